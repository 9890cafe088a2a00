"""Ctrl-C during a long HiGHS solve (MILP or LP): KeyboardInterrupt within a fraction of a second, not at the end.

``tests/data/slow_complete_test.npz`` is a fuzz case (generic data times 1e6,
a 1-3-3-1 network, first layer, N = 40) whose walk ends at a vertex where the
first layer is constant on the data and two second-layer units sit at zero on
every sample: 80 tight activations, and a complete MILP test that runs for
about a minute.  A SIGINT is sent to this process once HiGHS is running.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import highspy
import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, oracle, walk
from lpwalk.certificate import load_problem

DATA = Path(__file__).resolve().parent.parent / "data" / "slow_complete_test.npz"


@pytest.fixture
def default_sigint():
    """The interpreter's own SIGINT handler (a runner may have installed another one)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class _SigintOnSolve:
    """Once armed, sends SIGINT to this process ``delay`` seconds after the next HiGHS solve starts."""

    def __init__(self):
        self.armed = False
        self.sent_at = None
        self.timer = None
        self.delay = 0.5
        self.model_status = None

    def arm(self, delay: float = 0.5):
        self.armed, self.sent_at, self.delay = True, None, delay

    def before_run(self):
        if not self.armed:
            return
        self.armed = False

        def fire():
            self.sent_at = time.perf_counter()
            os.kill(os.getpid(), signal.SIGINT)

        self.timer = threading.Timer(self.delay, fire)
        self.timer.daemon = True
        self.timer.start()


@pytest.fixture
def sigint_on_solve(monkeypatch):
    trigger = _SigintOnSolve()
    run = oracle._run_interruptible

    def run_after_trigger(h, mip):
        trigger.before_run()
        try:
            return run(h, mip)
        finally:
            trigger.model_status = h.getModelStatus()  # kInterrupt: HiGHS stopped before the end

    monkeypatch.setattr(oracle, "_run_interruptible", run_after_trigger)
    yield trigger
    if trigger.timer is not None:
        trigger.timer.cancel()


POSIX = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


@POSIX
def test_ctrl_c_in_the_complete_test_ends_the_walk_interrupted_at_once(default_sigint, sigint_on_solve):
    prob = load_problem(DATA)
    sigint_on_solve.arm()
    res = walk(prob, max_pivots=2000)
    stopped = time.perf_counter()
    assert sigint_on_solve.sent_at is not None, "the walk never reached the complete test"
    assert sigint_on_solve.model_status == highspy.HighsModelStatus.kInterrupt
    assert stopped - sigint_on_solve.sent_at < 5.0  # the solve alone runs for about a minute
    assert res.status is WalkStatus.INTERRUPTED
    assert re.fullmatch(r"interrupted after \d+ pivots, during the complete MILP test \(\d+ tight constraints\)",
                        res.message), res.message
    assert res.certificate is None
    # the trajectory up to the vertex is kept (how many pivots lead there depends on the
    # machine's floating-point kernels: data at scale 1e6)
    assert res.n_pivots >= 1 and len(res.trajectory.loss) >= res.n_pivots + 1
    assert res.loss == prob.loss(res.theta)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@POSIX
def test_ctrl_c_in_a_milp_raises_keyboard_interrupt_at_once(default_sigint, sigint_on_solve):
    prob = load_problem(DATA)
    res = walk(prob, max_pivots=2000, time_limit=2.0)  # stops inside the complete test, at the vertex
    assert res.status is WalkStatus.TIME_LIMIT and res.n_pivots >= 1
    assert re.search(r"during the complete MILP test \(\d+ tight constraints\)$", res.message), res.message
    sigint_on_solve.arm()
    with pytest.raises(KeyboardInterrupt):
        oracle.certify_local_min(prob, res.theta, method="milp")
    assert sigint_on_solve.model_status == highspy.HighsModelStatus.kInterrupt
    assert time.perf_counter() - sigint_on_solve.sent_at < 5.0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # the oracle still works afterwards
    cert = oracle.certify_local_min(prob, res.theta, method="milp", time_limit=0.5)
    assert cert.status.value in ("local_min", "inconclusive")


@POSIX
def test_ctrl_c_in_a_long_region_lp_raises_keyboard_interrupt_at_once(default_sigint, sigint_on_solve):
    """A region LP with N = 40 000 samples (about 3 s of simplex here) is stopped 0.2 s in."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40_000, 3)), rng.normal(size=40_000)
    prob = LayerwiseL1Problem(ReLUNetwork.random([3, 8, 1], seed=1), X, y, layer=0)
    sigint_on_solve.arm(delay=0.2)
    with pytest.raises(KeyboardInterrupt):
        oracle.solve_region(prob, prob.theta0)
    # HiGHS checks the callbacks from the simplex on (not in presolve): the solve is cut short, not finished
    assert sigint_on_solve.model_status == highspy.HighsModelStatus.kInterrupt
    assert time.perf_counter() - sigint_on_solve.sent_at < 30.0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
