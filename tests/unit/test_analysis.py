"""Trajectory statistics on synthetic records with known answers."""

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork
from lpwalk import analysis
from lpwalk.walker import line_breakpoints


def geometric(L_star=3.0, C=10.0, q=0.8, T=30):
    return L_star + C * q ** np.arange(T + 1)


def test_geometric_sequence_gives_its_rate_and_limit():
    loss = geometric()
    fit = analysis.trailing_fit(loss, 10)
    assert fit.q == pytest.approx(0.8, rel=1e-10)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    assert (fit.start, fit.stop, fit.n_points, fit.n_flat) == (20, 30, 10, 0)
    est = analysis.early_estimates(loss, 5)
    assert np.all(np.isnan(est.estimate[:5]))
    np.testing.assert_allclose(est.estimate[5:], 3.0, rtol=1e-9)
    np.testing.assert_allclose(est.q[5:], 0.8, rtol=1e-9)


def test_flat_pivots_are_left_out_of_the_fit():
    loss = geometric(T=20)
    loss = np.insert(loss, 12, loss[12])  # a zero decrement at t = 12
    fit = analysis.fit_decay(loss, 8, 16)
    assert fit.n_flat == 1 and fit.n_points == 7
    assert fit.r2 < 1.0  # the time index after the flat pivot is shifted by one


def test_too_few_points_give_nan():
    fit = analysis.fit_decay([5.0, 5.0, 5.0, 4.0], 0, 3)
    assert np.isnan(fit.q) and np.isnan(fit.r2) and fit.n_flat == 2


def test_estimate_errors_against_the_final_loss():
    loss = geometric(T=40)
    est = analysis.early_estimates(loss, 5)
    errs = analysis.estimate_errors(loss, est, (0.5, 0.9), final_loss=3.0)
    assert [e.t for e in errs] == [20, 36]
    for e in errs:
        assert e.relative_error < 1e-9 and e.gap_ratio < 1e-6


def test_estimate_is_undefined_without_decay():
    loss = 100.0 - np.arange(12) * 1.1 ** np.arange(12)  # accelerating decrease: q > 1
    est = analysis.early_estimates(loss, 5)
    assert np.all(np.isnan(est.estimate))


def test_lengths_in_the_scaled_metric():
    theta = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(analysis.step_lengths(theta), [3.0, 4.0])
    np.testing.assert_allclose(analysis.step_lengths(theta, scale=[2.0, 1.0]), [6.0, 4.0])
    np.testing.assert_allclose(analysis.distance_to_final(theta), [5.0, 4.0, 0.0])


def test_online_estimate_matches_the_batch_estimate():
    loss = geometric(T=25)
    est = analysis.OnlineLossEstimate(window=6, min_pivots=6, min_r2=0.9)
    values = []
    for L in loss:
        est.update_loss(L)
        values.append(est.value)
    assert values[5] is None and values[6] == pytest.approx(3.0, rel=1e-9)
    assert est.describe().startswith("L* ≈ 3")


def lad_problem(x, y):
    """Σ|w x_i + b − y_i| over (w, b): LAD with one feature (the output layer of a linear model)."""
    net = ReLUNetwork([np.zeros((1, 1))], [np.zeros(1)])
    return LayerwiseL1Problem(net, np.asarray(x, float).reshape(-1, 1), np.asarray(y, float), layer=0)


def test_line_breakpoints_of_lad_with_one_feature_are_known_in_closed_form():
    """Along (w, b) + t (dw, db) residual i crosses at t_i = −r_i / (dw x_i + db)."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, 30), rng.normal(size=30)
    prob = lad_problem(x, y)
    theta, d, R = np.array([0.3, -0.2]), np.array([0.7, 0.4]), 1.5
    times, ids = line_breakpoints(prob, theta, d, R)
    r = theta[0] * x + theta[1] - y
    t_exact = -r / (d[0] * x + d[1])
    expected = np.sort(t_exact[np.abs(t_exact) <= R])
    np.testing.assert_allclose(times, expected, rtol=1e-12)
    assert np.all(prob.is_residual(ids))


def test_crossing_density_of_lad_is_the_count_over_the_length_and_scale_invariant():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, 40), rng.normal(size=40)
    prob = lad_problem(x, y)
    theta = np.array([0.1, 0.05])
    cd = analysis.crossing_density(prob, theta, radius=0.5, n_lines=5, seed=3)
    # recompute by hand: same directions, closed-form crossings
    kappa = prob.parameter_scale
    gen = np.random.default_rng(3)
    total = 0
    for k in range(5):
        d_hat = gen.standard_normal(2)
        d = d_hat / np.linalg.norm(d_hat) / kappa
        t = -(theta[0] * x + theta[1] - y) / (d[0] * x + d[1])
        total += int(np.count_nonzero(np.abs(t) <= 0.5))
        assert cd.counts[k] == int(np.count_nonzero(np.abs(t) <= 0.5))
    assert cd.density == pytest.approx(total / (2 * 0.5 * 5))
    # rescaling the inputs by 1000 rescales the weight, not the density
    prob2 = lad_problem(1000 * x, y)
    cd2 = analysis.crossing_density(prob2, theta / [1000.0, 1.0], radius=0.5, n_lines=5, seed=3)
    assert cd2.density == pytest.approx(cd.density)


def test_line_breakpoints_of_a_hidden_layer_agree_with_sign_changes_on_a_grid():
    rng = np.random.default_rng(2)
    X, y = rng.uniform(-1, 1, (25, 2)), rng.normal(size=25)
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=4), X, y, layer=0)
    theta, d = prob.theta0, rng.normal(size=prob.n_params)
    R = 0.5
    times, ids = line_breakpoints(prob, theta, d, R)
    grid = np.linspace(-R, R, 20001)
    vals = np.stack([prob.constraint_values(theta + t * d) for t in grid])
    changes = np.count_nonzero(np.sign(vals[1:]) * np.sign(vals[:-1]) < 0)
    assert times.size == changes
    assert np.all(np.diff(times) >= 0) and np.all(np.abs(times) <= R)


def test_arguments_are_checked():
    prob = lad_problem([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="radius"):
        analysis.crossing_density(prob, np.zeros(2), radius=0.0)
    with pytest.raises(ValueError, match="window"):
        analysis.early_estimates([3.0, 2.0, 1.0], 2)
    with pytest.raises(ValueError, match="t_max"):
        line_breakpoints(prob, np.zeros(2), np.ones(2), -1.0)
