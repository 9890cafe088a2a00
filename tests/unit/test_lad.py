"""LAD regression: ``lad_fit`` and ``LADRegressor`` against an independent textbook LP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from lpwalk import LADRegressor, WalkStatus, lad_fit


def textbook_lad(X, y, intercept=True) -> float:
    """min Σ(u+v) s.t. [X, 1]β + u − v = y, u, v ≥ 0 (HiGHS through scipy)."""
    A = np.hstack([X, np.ones((X.shape[0], 1))]) if intercept else X
    N, p = A.shape
    sol = linprog(np.r_[np.zeros(p), np.ones(2 * N)], A_eq=np.hstack([A, np.eye(N), -np.eye(N)]),
                  b_eq=y, bounds=[(None, None)] * p + [(0, None)] * (2 * N), method="highs-ds")
    assert sol.status == 0
    return float(sol.fun)


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 5), st.booleans(), st.booleans())
def test_lad_fit_is_the_lp_optimum(seed, n, p, intercept, integer):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.standard_cauchy(size=n)
    if integer:
        X, y = np.round(X), np.round(y)
    coef, b, res = lad_fit(X, y, fit_intercept=intercept)
    assert res.status is WalkStatus.LOCAL_MIN
    loss = np.abs(X @ coef + b - y).sum()
    ref = textbook_lad(X, y, intercept)
    assert loss == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert res.loss == pytest.approx(loss, rel=1e-12, abs=1e-12)
    if not intercept:
        assert b == 0.0


def test_regressor_follows_estimator_conventions():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    y = 3 * X[:, 0] - X[:, 1] + 0.5
    y[:10] += 50.0  # gross outliers: L1 ignores them
    est = LADRegressor()
    assert est.fit(X, y) is est
    assert est.coef_ == pytest.approx([3.0, -1.0], abs=1e-9)
    assert est.intercept_ == pytest.approx(0.5, abs=1e-9)
    assert est.n_features_in_ == 2
    assert est.predict(X[:3]) == pytest.approx(X[:3] @ est.coef_ + est.intercept_)
    assert est.get_params() == {"fit_intercept": True, "pricing": "steepest", "max_pivots": 100_000,
                                "time_limit": None}
    assert est.set_params(fit_intercept=False).fit_intercept is False
    assert -np.inf < est.score(X, y) <= 1.0


def test_regressor_errors():
    with pytest.raises(ValueError, match="not fitted"):
        LADRegressor().predict(np.zeros((1, 1)))
    est = LADRegressor().fit(np.arange(5.0).reshape(-1, 1), np.arange(5.0))
    with pytest.raises(ValueError, match="fitted with 1"):
        est.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="invalid parameter"):
        est.set_params(alpha=1.0)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros(5), np.zeros(5), "2-dimensional"),
        (np.zeros((0, 2)), np.zeros(0), "no rows"),
        (np.zeros((4, 2)), np.zeros(3), "inconsistent numbers of samples"),
        (np.full((3, 1), np.nan), np.zeros(3), "NaN"),
        (np.zeros((3, 1)), np.array([0.0, np.inf, 1.0]), "NaN or inf"),
    ],
)
def test_lad_fit_rejects_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        lad_fit(X, y)


def test_ctrl_c_during_fit_raises_and_leaves_the_estimator_unfitted(monkeypatch):
    import lpwalk.lad
    from lpwalk.walker import walk as real_walk

    def interrupted_walk(*args, **kwargs):
        def ctrl_c(info):
            raise KeyboardInterrupt
        return real_walk(*args, on_pivot=ctrl_c, **kwargs)

    monkeypatch.setattr(lpwalk.lad, "walk", interrupted_walk)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    est = LADRegressor()
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert not hasattr(est, "coef_")
    monkeypatch.undo()
    coef, intercept, res = lad_fit(X, y, on_pivot=lambda info: (_ for _ in ()).throw(KeyboardInterrupt))
    assert res.status.value == "interrupted"  # the function returns the result; its status says so


def test_a_loop_over_walks_stops_at_an_interrupted_walk():
    """``WalkResult.raise_if_interrupted``, which the benchmark, the studies and ``LADRegressor.fit`` call."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    _, _, done = lad_fit(X, y)
    assert done.raise_if_interrupted() is done
    _, _, cut = lad_fit(X, y, on_pivot=lambda info: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        cut.raise_if_interrupted()
