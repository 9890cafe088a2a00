"""The walker's contract: arguments, limits, interruption, the result object, and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, walk
from lpwalk._events import EventQueue, crossing_times


@pytest.fixture
def prob():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.normal(size=60)
    return LayerwiseL1Problem(ReLUNetwork.random([2, 6, 1], seed=4), X, y, layer=0)


def test_walk_reaches_a_certified_local_minimum(prob):
    res = walk(prob)
    assert res.status is WalkStatus.LOCAL_MIN
    assert res.certificate.is_local_min
    assert res.loss <= res.initial_loss
    assert res.loss == pytest.approx(prob.loss(res.theta))
    assert "local minimum" in res.message
    assert len(res.basis) == prob.vertex_rank_at(res.theta)
    assert res.trajectory.loss[0] == pytest.approx(res.initial_loss)
    assert res.trajectory.loss[-1] == pytest.approx(res.loss)


def test_max_pivots_is_honoured(prob):
    res = walk(prob, max_pivots=2)
    assert res.n_pivots <= 2
    assert res.status in (WalkStatus.MAX_PIVOTS, WalkStatus.LOCAL_MIN)
    full = walk(prob)
    if full.n_pivots > 2:
        assert res.status is WalkStatus.MAX_PIVOTS
        assert res.loss >= full.loss - 1e-9


def test_time_limit_is_honoured(prob):
    res = walk(prob, time_limit=1e-9)
    assert res.status is WalkStatus.TIME_LIMIT
    assert res.n_pivots == 0
    assert len(res.trajectory) >= 1


def test_keyboard_interrupt_keeps_the_trajectory(prob):
    seen = []

    def stop_after_two(info):
        seen.append(info.loss)
        if info.pivot >= 2:
            raise KeyboardInterrupt

    full = walk(prob)
    res = walk(prob, on_pivot=stop_after_two)
    if full.n_pivots >= 2:
        assert res.status is WalkStatus.INTERRUPTED
        assert res.n_pivots == 2
        assert res.trajectory.pivot[-1] == 2
        assert seen == sorted(seen, reverse=True)


def test_on_pivot_reports_every_pivot(prob):
    infos = []
    res = walk(prob, on_pivot=infos.append)
    assert [i.pivot for i in infos] == list(range(1, res.n_pivots + 1))
    assert all(i.theta.shape == (prob.n_params,) for i in infos)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pricing": "greedy"}, "pricing must be one of"),
        ({"record": "some"}, "record must be one of"),
        ({"max_pivots": -1}, "max_pivots"),
        ({"time_limit": 0}, "time_limit"),
        ({"theta0": np.zeros(3)}, "theta0 must have"),
        ({"theta0": np.full(18, np.nan)}, "NaN"),
    ],
)
def test_bad_arguments_raise(prob, kwargs, match):
    with pytest.raises(ValueError, match=match):
        walk(prob, **kwargs)


def test_walk_needs_a_problem():
    with pytest.raises(TypeError, match="LayerwiseL1Problem"):
        walk("not a problem")


def test_hand_worked_median():
    """LAD with only an intercept is the median: 1-D, four points, optimum 6 at any b in [1, 3]."""
    X = np.zeros((4, 1))
    y = np.array([0.0, 1.0, 3.0, 5.0])
    prob = LayerwiseL1Problem(ReLUNetwork([np.zeros((1, 1))], [np.zeros(1)]), X, y, layer=0)
    res = walk(prob)
    assert res.status is WalkStatus.LOCAL_MIN
    assert res.loss == pytest.approx(7.0)
    assert 1.0 - 1e-12 <= res.theta[1] <= 3.0 + 1e-12
    assert prob.lineality_dim == 1  # the all-zero feature column is a lineality direction


def test_crossing_times_respect_sides():
    a = np.array([1.0, -1.0, 1.0, 0.0])
    w = np.array([-1.0, 1.0, 1.0, 2.0])
    sides = np.array([1, -1, 1, -1])
    t = crossing_times(a, w, sides, 0.0)
    assert t.tolist() == [1.0, 1.0, np.inf, 0.0]


def test_event_queue_orders_and_retimes():
    versions = np.zeros(6, dtype=np.int64)
    ids = np.array([0, 1, 4, 5])
    times = np.array([2.0, 1.0, 0.5, 3.0])
    is_res = np.array([False, False, True, True])
    q = EventQueue(ids, times, is_res, versions)
    assert q.peek_activation() == (1.0, 1)
    r_ids, r_times = q.pop_residuals_before(1.0)
    assert r_ids.tolist() == [4] and r_times.tolist() == [0.5]
    q.pop_activation(1)
    q.retime(np.array([5]), np.array([1.5]), np.array([True]))
    assert q.peek_activation() == (2.0, 0)
    r_ids, r_times = q.pop_residuals_before(2.0)
    assert r_ids.tolist() == [5] and r_times.tolist() == [1.5]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_singular_rank_one_update_raises_and_never_gives_nan(prob):
    """Sherman–Morrison with a denominator zero within rounding refactorises ``J``: never NaN.

    Replacing a row of ``J`` by a combination of the other rows makes ``J``
    singular (denominator ``1 + g^T J^{-1} a = 0`` up to rounding): the
    update refactorises, finds the rank short and raises NumericalError
    instead of dividing by rounding noise.  A regular replacement is a plain
    update.
    """
    from lpwalk.errors import NumericalError
    from lpwalk.walker import _Walk

    w = _Walk(prob, "steepest", "stops")
    rng = np.random.default_rng(0)
    n = w.n
    w.J = rng.normal(size=(n, n)) * w.kappa
    w.Jinv = np.linalg.inv(w.J)
    w.replace_row(0, rng.normal(size=n) * w.kappa)
    assert w.updates == 1 and np.allclose(w.Jinv @ w.J, np.eye(n), atol=1e-8)
    with pytest.raises(NumericalError, match="singular"):
        w.replace_row(0, w.J[1] + 2.0 * w.J[2])


def test_a_long_step_that_would_raise_the_loss_is_dropped(prob, monkeypatch):
    """The walk never takes a step whose stop is above its start (DESIGN §4.4).

    A long step stops above its start only when its direction was not the
    edge ray (an inverse Jacobian without correct digits).  Simulated here by
    a line search that, on the first pivot, stops at a point of higher loss:
    the walk drops that step (nothing of it is recorded), refactorises,
    rejects the ray (``J^{-1}`` was fresh) and still ends certified, with a
    loss that never increases.
    """
    from lpwalk.walker import _Walk

    real = _Walk.line_search
    spoiled = []

    def line_search(self, theta, d, sides, held, mode, **kwargs):
        out = real(self, theta, d, sides, held, mode, **kwargs)
        if mode == "ray" and not spoiled:
            start = self.prob.loss(theta)
            worse = theta + 0.5 * (out.theta - theta) + np.abs(theta).max() * np.ones_like(theta)
            assert self.prob.loss(worse) > start * (1 + 1e-6)
            spoiled.append(worse)
            out.theta = worse
        return out

    monkeypatch.setattr(_Walk, "line_search", line_search)
    res = walk(prob)
    assert spoiled, "no long step was taken"
    assert res.status is WalkStatus.LOCAL_MIN, res.message
    traj = res.trajectory
    assert np.all(np.diff(traj.loss) <= 1e-9 * traj.loss[0])
    assert not any(np.array_equal(row, spoiled[0]) for row in traj.theta)


def test_a_start_too_large_for_floating_point_is_refused(prob):
    with pytest.raises(ValueError, match="theta0 is too large for floating point"):
        walk(prob, theta0=np.full(prob.n_params, 1e200))
