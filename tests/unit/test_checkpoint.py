"""Checkpoints and resume: hand-made cases, the file format, and every refusal."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, walk
from lpwalk.checkpoint import CheckpointWriter, load_checkpoint


@pytest.fixture(scope="module")
def prob():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(150, 3))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.normal(size=150)
    return LayerwiseL1Problem(ReLUNetwork.random([3, 8, 1], seed=5), X, y, layer=0)


def same(a, b):
    return (a.status is b.status and a.n_pivots == b.n_pivots and a.basis == b.basis
            and np.array_equal(a.theta, b.theta)
            and np.array_equal(a.trajectory.theta, b.trajectory.theta))


def test_checkpoints_do_not_change_the_walk(prob):
    plain = walk(prob)
    cps = []
    observed = walk(prob, on_checkpoint=cps.append, checkpoint_every=0.0)
    assert same(plain, observed)
    # one per pivot boundary: the first vertex, after every pivot, and the final one
    assert [cp.state.pivots for cp in cps] == list(range(plain.n_pivots + 1)) + [plain.n_pivots]
    assert [cp.status for cp in cps] == [None] * (plain.n_pivots + 1) + [WalkStatus.LOCAL_MIN]
    assert plain.n_pivots >= 20


def test_a_pivot_limit_then_resume_is_one_walk(prob):
    """Stop at a pivot limit, continue with a larger one: the walk that had the larger limit."""
    full = walk(prob)
    cps = []
    first = walk(prob, max_pivots=10, on_checkpoint=cps.append, checkpoint_every=1e9)
    assert first.status is WalkStatus.MAX_PIVOTS and len(cps) == 1
    assert cps[0].status is WalkStatus.MAX_PIVOTS and cps[0].state.pivots == 10
    again = walk(prob, resume=cps[0])
    assert same(full, again)
    assert again.trajectory.time[0] == first.trajectory.time[0]


def test_interrupt_at_a_boundary_leaves_a_final_checkpoint(prob):
    """Ctrl-C inside ``on_pivot`` comes mid-iteration: the last boundary checkpoint stands and
    resuming from it gives the uninterrupted walk."""
    full = walk(prob)
    cps = []

    def stop(info):
        if info.pivot == 7:
            raise KeyboardInterrupt

    res = walk(prob, on_pivot=stop, on_checkpoint=cps.append, checkpoint_every=0.0)
    assert res.status is WalkStatus.INTERRUPTED and res.n_pivots == 7
    assert cps[-1].status is None and cps[-1].state.pivots == 6  # no final one: not at a boundary
    assert same(full, walk(prob, resume=cps[-1]))


def test_seeded_walk_resumes_its_generator():
    """A flat start (every residual zero: y is the network's output) uses the seeded generator."""
    rng = np.random.default_rng(0)
    X = rng.integers(-2, 3, size=(12, 2)).astype(float)
    net = ReLUNetwork.random([2, 3, 1], seed=1)
    prob = LayerwiseL1Problem(net, X, net.forward(X) + rng.integers(-1, 2, size=12), layer=0)
    cps = []
    full = walk(prob, seed=5, on_checkpoint=cps.append, checkpoint_every=0.0)
    assert cps[0].state.rng_state is not None
    for cp in cps:
        assert same(full, walk(prob, resume=cp))


def test_writer_and_loader_round_trip(prob, tmp_path):
    writer = CheckpointWriter(tmp_path)
    writer.start(prob, {"command": "walk", "settings": {"x": 1}})
    res = walk(prob, max_pivots=15, on_checkpoint=writer.save, checkpoint_every=0.0)
    loaded = load_checkpoint(tmp_path)
    assert loaded.run == {"command": "walk", "settings": {"x": 1}}
    assert loaded.n_chunks == writer.n_chunks == 16  # the first vertex + 15 pivots; the final adds no entry
    cp = loaded.checkpoint
    assert cp.status is WalkStatus.MAX_PIVOTS and cp.state.pivots == 15
    traj = cp.trajectory()
    for name in ("loss", "theta", "kind", "pivot", "entering", "leaving", "crossed"):
        assert np.array_equal(getattr(traj, name), getattr(res.trajectory, name)), name
    # a new start clears the old checkpoint
    writer2 = CheckpointWriter(tmp_path)
    writer2.start(prob, {"command": "walk"})
    assert not (tmp_path / "checkpoint" / "state.npz").exists()


def test_a_chunk_written_after_the_last_state_is_ignored_and_replaced(prob, tmp_path):
    """A process killed between a chunk and its state leaves an orphan chunk; the state still
    names the previous chunks, and the next save overwrites the orphan."""
    writer = CheckpointWriter(tmp_path)
    writer.start(prob, {})
    walk(prob, max_pivots=3, on_checkpoint=writer.save, checkpoint_every=0.0)
    folder = tmp_path / "checkpoint"
    orphan = folder / f"trajectory-{writer.n_chunks + 1:06d}.npz"
    orphan.write_bytes(b"partial")
    loaded = load_checkpoint(tmp_path)
    assert loaded.checkpoint.state.pivots == 3
    w2 = CheckpointWriter(tmp_path)
    w2.continue_from(loaded)
    walk(prob, max_pivots=4, resume=loaded.checkpoint, on_checkpoint=w2.save, checkpoint_every=0.0)
    assert load_checkpoint(tmp_path).checkpoint.state.pivots == 4


def test_resume_refuses_another_problem_or_other_settings(prob):
    cps = []
    walk(prob, max_pivots=3, on_checkpoint=cps.append, checkpoint_every=1e9)
    cp = cps[-1]
    other = LayerwiseL1Problem(prob.network(), prob.X, prob.y + 1.0, layer=0)
    with pytest.raises(ValueError, match="another problem"):
        walk(other, resume=cp)
    smaller = LayerwiseL1Problem(prob.network(), prob.X[:-1], prob.y[:-1], layer=0)
    with pytest.raises(ValueError, match="constraints"):
        walk(smaller, resume=cp)
    with pytest.raises(ValueError, match="pricing='steepest'"):
        walk(prob, resume=cp, pricing="bland")
    with pytest.raises(ValueError, match="record='stops'"):
        walk(prob, resume=cp, record="all")
    with pytest.raises(ValueError, match="do not give theta0 or seed"):
        walk(prob, resume=cp, seed=1)
    with pytest.raises(TypeError, match="WalkCheckpoint"):
        walk(prob, resume={"theta": prob.theta0})
    with pytest.raises(TypeError, match="on_checkpoint must be callable"):
        walk(prob, on_checkpoint="file.npz")
    with pytest.raises(ValueError, match="checkpoint_every"):
        walk(prob, on_checkpoint=cps.append, checkpoint_every=-1.0)


def _checkpoint_folder(prob, tmp_path):
    writer = CheckpointWriter(tmp_path)
    writer.start(prob, {"command": "walk"})
    walk(prob, max_pivots=4, on_checkpoint=writer.save, checkpoint_every=0.0)
    return tmp_path / "checkpoint"


@pytest.mark.parametrize("damage, error, match", [
    (lambda d: shutil.rmtree(d), FileNotFoundError, "no checkpoint in"),
    (lambda d: (d / "state.npz").write_bytes(b"PK\x03\x04 truncated"), ValueError, "could not read"),
    (lambda d: (d / "run.json").unlink(), ValueError, "run.json is missing"),
    (lambda d: (d / "run.json").write_text("{not json"), ValueError, "run.json is unreadable"),
    (lambda d: (d / "trajectory-000002.npz").unlink(), ValueError, "trajectory-000002.npz is missing"),
    (lambda d: (d / "problem.npz").unlink(), FileNotFoundError, "problem.npz"),
])
def test_damaged_checkpoints_are_named(prob, tmp_path, damage, error, match):
    folder = _checkpoint_folder(prob, tmp_path)
    damage(folder)
    with pytest.raises(error, match=match):
        load_checkpoint(tmp_path)


def test_a_checkpoint_of_other_data_or_version_is_refused(prob, tmp_path):
    from lpwalk.certificate import save_problem

    folder = _checkpoint_folder(prob, tmp_path)
    other = LayerwiseL1Problem(prob.network(), prob.X, prob.y * 2, layer=0)
    save_problem(folder / "problem.npz", other)
    with pytest.raises(ValueError, match="does not match the state"):
        load_checkpoint(tmp_path)
    folder = _checkpoint_folder(prob, tmp_path / "b")
    with np.load(folder / "state.npz") as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta["version"] = 99
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(folder / "state.npz", **arrays)
    with pytest.raises(ValueError, match="version"):
        load_checkpoint(tmp_path / "b")


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_checkpoint(tmp_path / "nowhere")
