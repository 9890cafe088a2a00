"""Resuming a walk from any checkpoint ends exactly where the walk that was never stopped ends.

A checkpoint (:mod:`lpwalk.checkpoint`) holds the walker's whole state at a
pivot boundary, ``J^{-1}`` as the rank-one updates left it included, so the
continued walk repeats the same floating-point operations: the comparison is
bitwise (θ, basis, pivots, every trajectory column but the clock), on both
data families, the lattice one with its ties, collapsed neurons and
degenerate vertices included.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from lpwalk import walk
from lpwalk.checkpoint import CheckpointWriter, load_checkpoint

_COMPARED = ("loss", "theta", "step_length", "entering", "leaving", "crossed", "kind", "pivot")


def assert_same_walk(a, b):
    """Two walk results are the same walk (the clock aside)."""
    assert a.status is b.status, (a.status, b.status)
    assert a.n_pivots == b.n_pivots and a.basis == b.basis
    assert a.n_breakpoints == b.n_breakpoints
    assert np.array_equal(a.theta, b.theta) and a.loss == b.loss
    assert a.initial_loss == b.initial_loss
    for name in _COMPARED:
        assert np.array_equal(getattr(a.trajectory, name), getattr(b.trajectory, name)), name
    if a.certificate is not None:
        assert b.certificate is not None and a.certificate.method == b.certificate.method
        assert a.certificate.degenerate == b.certificate.degenerate


@settings(max_examples=strategies.examples(30))
@given(strategies.problems(), st.sampled_from(["steepest", "dantzig", "bland"]),
       st.sampled_from([None, 7]), st.data())
def test_resume_from_any_checkpoint_is_the_same_walk(prob, pricing, seed, data):
    """Checkpoint at every pivot; resume from one drawn at random (the last, final one included)."""
    checkpoints = []
    full = walk(prob, pricing=pricing, seed=seed, max_pivots=500, on_checkpoint=checkpoints.append,
                checkpoint_every=0.0)
    if not checkpoints:  # the walk never reached a vertex (it cannot here: no time limit)
        raise AssertionError(f"no checkpoint taken, status {full.status}")
    assert checkpoints[-1].status is full.status
    k = data.draw(st.integers(0, len(checkpoints) - 1), label="checkpoint")
    resumed = walk(prob, pricing=pricing, max_pivots=500, resume=checkpoints[k])
    assert_same_walk(full, resumed)


@settings(max_examples=strategies.examples(10))
@given(strategies.problems(), st.data())
def test_resume_through_the_disk_is_the_same_walk(tmp_path_factory, prob, data):
    """Write every checkpoint with :class:`CheckpointWriter`, read back the one on disk when the
    walk is cut at a random pivot, resume: the same walk."""
    full = walk(prob, max_pivots=500)
    cut = data.draw(st.integers(0, full.n_pivots), label="cut")
    folder = tmp_path_factory.mktemp("run")
    writer = CheckpointWriter(folder)
    writer.start(prob, {"command": "test"})
    stopped = walk(prob, max_pivots=cut, on_checkpoint=writer.save, checkpoint_every=0.0)
    loaded = load_checkpoint(folder)
    assert loaded.checkpoint.state.pivots == stopped.n_pivots == cut
    assert loaded.checkpoint.n_rows == len(stopped.trajectory)
    resumed = walk(loaded.problem, max_pivots=500, resume=loaded.checkpoint)
    assert_same_walk(full, resumed)
