"""Hand-worked cases of the oracle, its refusals and its error messages.

The main example is LAD on three points of the line, ``x = 0, 1, 2`` and
``y = 0, 1, 3``, as a linear model (one affine map, ``θ = (w, b)``).  The three
lines through two of the points have losses 1 (through the first two), 0.5
(through the first and the last: ``w = 1.5, b = 0``) and 1 (the last two), so
the global minimum is ``θ* = (1.5, 0)`` with loss 0.5, a strict nondegenerate
vertex where residuals 0 and 2 are tight.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, OracleError, ReLUNetwork, oracle, tolerances
from lpwalk.reference import solve_region_reference
from lpwalk.results import LocalMinStatus

THETA_STAR = np.array([1.5, 0.0])


@pytest.fixture
def line():
    net = ReLUNetwork([np.array([[1.0]])], [np.array([0.0])])
    return LayerwiseL1Problem(net, np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0]), layer=0)


@pytest.fixture
def hidden():
    rng = np.random.default_rng(3)
    net = ReLUNetwork.random([2, 3, 1], seed=3)
    X = rng.normal(size=(10, 2))
    return LayerwiseL1Problem(net, X, rng.normal(size=10), layer=0)


# ------------------------------------------------------------------ LAD on a line
def test_vertex_of_the_line(line):
    vc = oracle.certify_vertex(line, THETA_STAR)
    assert vc.is_vertex and not vc.degenerate
    assert vc.tight == (0, 2) and vc.rank == 2
    off = oracle.certify_vertex(line, [1.2, 0.0])  # only residual 0 is tight
    assert not off.is_vertex and off.tight == (0,)


def test_global_minimum_of_the_line_is_certified(line):
    cert = oracle.certify_local_min(line, THETA_STAR)
    assert cert.method == "rays" and cert.is_local_min and cert.strict
    assert len(cert.ray_phi) == 4 and np.all(cert.ray_phi > 0)
    milp = oracle.certify_local_min(line, THETA_STAR, method="milp")
    assert milp.is_local_min and milp.min_phi == pytest.approx(0.0, abs=1e-9)
    g = oracle.global_min(line, box=5.0)
    assert g.status is oracle.OracleStatus.OPTIMAL
    assert g.loss == pytest.approx(0.5)
    np.testing.assert_allclose(g.theta, THETA_STAR, atol=1e-8)


def test_a_worse_vertex_of_the_line_is_rejected(line):
    theta = np.array([1.0, 0.0])  # through the first two points, loss 1
    for method in ("rays", "milp"):
        cert = oracle.certify_local_min(line, theta, method=method)
        assert cert.status is LocalMinStatus.DESCENT
        assert line.phi(theta, cert.descent) < 0
        assert line.loss(theta + 1e-3 * cert.descent) < line.loss(theta)


def test_region_lp_of_the_line(line):
    sol = oracle.solve_region(line, [1.0, 0.2])  # residual signs (+, +, -)
    assert sol.status is oracle.OracleStatus.OPTIMAL
    ref = solve_region_reference(line, [1.0, 0.2])
    assert ref.value == pytest.approx(sol.loss)
    assert sol.loss == pytest.approx(line.loss(sol.theta))
    assert set(sol.active) <= {0, 1, 2}


def test_adjacent_vertices_of_the_line(line):
    # vertices (w, b) through two data points: (1, 0), (1.5, 0), (2, -1); each pair shares one residual
    a, b, c = np.array([1.0, 0.0]), THETA_STAR, np.array([2.0, -1.0])
    cert = oracle.certify_adjacent(line, a, b)
    assert cert.is_adjacent, cert.reason
    assert cert.shared == (0,)
    assert oracle.certify_adjacent(line, b, c).is_adjacent
    assert not oracle.certify_adjacent(line, a, a).is_adjacent
    far = oracle.certify_adjacent(line, np.array([1.0, 0.0]), np.array([3.0, -3.0]))
    assert not far.is_adjacent  # (3, -3) passes only through (2, 3): not a vertex


# ------------------------------------------------------------------ refusals and errors
def test_rays_refuse_outside_a_nondegenerate_vertex(line, hidden):
    with pytest.raises(OracleError, match="nondegenerate vertex"):
        oracle.certify_local_min(line, [1.2, 0.0], method="rays")
    theta = hidden.theta0.copy()
    theta[: hidden.p] = 0.0  # neuron 0 collapsed: all 10 of its activations tight
    vc = oracle.certify_vertex(hidden, theta)
    assert len(vc.tight) >= 10 and vc.degenerate
    with pytest.raises(OracleError, match="use method='milp'"):
        oracle.certify_local_min(hidden, theta, method="rays")
    cert = oracle.certify_local_min(hidden, theta)
    assert cert.method == "milp" and cert.status is not LocalMinStatus.INCONCLUSIVE


def test_bad_arguments(line):
    with pytest.raises(ValueError, match="method must be"):
        oracle.certify_local_min(line, THETA_STAR, method="simplex")
    with pytest.raises(ValueError, match="sides must have shape"):
        oracle.solve_region(line, THETA_STAR, sides=np.ones(2))
    with pytest.raises(ValueError, match=r"sides must be \+1 or -1"):
        oracle.solve_region(line, THETA_STAR, sides=np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="box must be a positive"):
        oracle.global_min(line, box=0.0)
    with pytest.raises(ValueError, match="theta must have 2 entries"):
        oracle.certify_vertex(line, np.zeros(3))


def test_empty_region_is_infeasible():
    net = ReLUNetwork([np.array([[1.0]])], [np.array([0.0])])
    prob = LayerwiseL1Problem(net, np.zeros((2, 1)), np.array([0.0, 1.0]), layer=0)
    # r_0 = b <= 0 and r_1 = b - 1 >= 0 cannot both hold
    sol = oracle.solve_region(prob, [0.0, 0.5], sides=np.array([-1, 1]))
    assert sol.status is oracle.OracleStatus.INFEASIBLE and sol.theta is None


def test_constant_residual_on_the_wrong_side_is_infeasible():
    # every hidden unit is off for every sample: the residual is the constant b_out - y
    net = ReLUNetwork([np.array([[1.0]]), np.array([[1.0]])], [np.array([-10.0]), np.array([2.0])])
    prob = LayerwiseL1Problem(net, np.array([[0.0], [1.0]]), np.array([0.0, 0.0]), layer=1)
    assert oracle.solve_region(prob, prob.theta0).status is oracle.OracleStatus.OPTIMAL
    layer0 = LayerwiseL1Problem(net, prob.X, prob.y, layer=0)
    s0 = layer0.sides(layer0.theta0)
    s0[layer0.residual_offset] = -1  # the residual is +2 whatever θ is (unit off)
    sol = oracle.solve_region(layer0, layer0.theta0, sides=s0)
    assert sol.status is oracle.OracleStatus.INFEASIBLE
    assert "res(i=0)" in sol.message


# ------------------------------------------------------------------ degenerate minima
def test_dead_network_is_a_flat_local_minimum(hidden):
    theta = hidden.theta0.copy().reshape(hidden.n_neurons, hidden.p)
    theta[:, :-1] = 0.0
    theta[:, -1] = -1.0  # every unit strictly off: φ ≡ 0
    theta = theta.ravel()
    vc = oracle.certify_vertex(hidden, theta)
    # every direction is flat (all neurons strictly dead): a vertex modulo the flat space,
    # with no tight constraint and no edge ray
    assert vc.is_vertex and vc.tight == () and vc.vertex_rank == 0
    assert hidden.dead_neurons(theta).all()
    rays = oracle.certify_local_min(hidden, theta, method="rays")
    assert rays.is_local_min and rays.strict is False and rays.ray_phi.size == 0
    cert = oracle.certify_local_min(hidden, theta, method="milp", time_limit=30)
    assert cert.method == "milp" and cert.is_local_min
    assert cert.min_phi == pytest.approx(0.0, abs=1e-12)


def test_realisable_targets_zero_loss_is_certified():
    net = ReLUNetwork([np.array([[1.0, -1.0], [2.0, 1.0]]), np.array([[1.0, -1.0]])],
                      [np.array([0.0, -1.0]), np.array([0.0])])
    X = np.array([[x0, x1] for x0 in (-1.0, 0.0, 1.0) for x1 in (-1.0, 0.0, 1.0)])
    y = net.forward(X)
    for layer in (0, 1):
        prob = LayerwiseL1Problem(net, X, y, layer=layer)
        assert prob.loss(prob.theta0) == 0.0
        cert = oracle.certify_local_min(prob, prob.theta0)
        assert cert.is_local_min, cert.message
        assert oracle.global_min(prob, box=3.0).loss == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_scaled_data(line, scale):
    """Scaling X and y scales θ's bias with the data; the certificates do not change."""
    prob = LayerwiseL1Problem(line.base_network, line.X * scale, line.y * scale, layer=0)
    theta = np.array([1.5, 0.0])
    for method in ("rays", "milp"):
        assert oracle.certify_local_min(prob, theta, method=method).is_local_min
        cert = oracle.certify_local_min(prob, np.array([1.0, 0.0]), method=method)
        assert cert.status is LocalMinStatus.DESCENT
    sol = oracle.solve_region(prob, np.array([1.0, 0.2 * scale]))
    assert sol.success and sol.loss == pytest.approx(line.loss(sol.theta * [1.0, 1 / scale]) * scale)


def test_stdout_stays_clean(tmp_path):
    """HiGHS prints a banner on the first Highs() of a process; the oracle keeps it off stdout."""
    code = (
        "import numpy as np\n"
        "from lpwalk import ReLUNetwork, LayerwiseL1Problem, oracle\n"
        "net = ReLUNetwork.random([2, 3, 1], seed=0)\n"
        "X = np.random.default_rng(0).normal(size=(8, 2)); y = X[:, 0]\n"
        "prob = LayerwiseL1Problem(net, X, y, layer=0)\n"
        "sol = oracle.solve_region(prob, prob.theta0)\n"
        "oracle.certify_local_min(prob, sol.theta, method='milp')\n"
        "oracle.global_min(prob, box=2.0)\n"
    )
    import os

    import lpwalk

    root = os.path.dirname(os.path.dirname(lpwalk.__file__))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""


def test_region_lp_with_indecisive_dual_simplex():
    """A region LP (optimum 0, N = 3 < n = 12) on which HiGHS's dual simplex ends
    with model status kUnknown; the oracle falls back to other strategies."""
    net = ReLUNetwork(
        [np.array([[0.00483597, -1.25258826], [-1.80182108, 0.90467867],
                   [-0.12536076, 0.93065564], [-1.27126509, -1.36780569]]),
         np.array([[0.78100341, -0.29819134, 1.90818558, -0.29504515]])],
        [np.array([-0.04235648, -0.47825799, -0.20790497, -0.07661336]), np.array([-0.07949368])],
    )
    X = np.array([[-1.25126579, -0.78277312], [-1.82597202, -1.97181944], [-0.29590581, 0.87968431]])
    prob = LayerwiseL1Problem(net, X, np.array([0.09204521, -1.43161663, 0.15277204]), layer=0)
    theta = prob.theta0 + np.random.default_rng(26389).normal(scale=0.5, size=prob.n_params)
    sol = oracle.solve_region(prob, theta)
    assert sol.status is oracle.OracleStatus.OPTIMAL, sol.message
    assert sol.loss == pytest.approx(0.0, abs=1e-9)
    assert solve_region_reference(prob, theta).value == pytest.approx(0.0, abs=1e-7)


def test_a_region_containing_theta_is_never_reported_empty():
    """θ = 1e10 on data of size 1: a residual whose neurons are all dead is tight by the rounding scale of
    the forward pass but a wrong-side constant by the region's: the oracle says it failed, not 'empty'."""
    rng = np.random.default_rng(0)
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=0), rng.normal(size=(20, 2)),
                              rng.normal(size=20), layer=0)
    theta = np.full(prob.n_params, 1e10)
    assert oracle.region_violation(prob, theta, prob.sides(theta)) <= tolerances.ORACLE_FEAS_RTOL
    sol = oracle.solve_region(prob, theta)
    assert sol.status is oracle.OracleStatus.FAILED, sol.message
    assert "theta lies in the region" in sol.message


@pytest.mark.parametrize("call", [
    lambda prob, t: oracle.solve_region(prob, t),
    lambda prob, t: oracle.certify_vertex(prob, t),
    lambda prob, t: oracle.certify_local_min(prob, t),
    lambda prob, t: oracle.certify_adjacent(prob, t, prob.theta0),
    lambda prob, t: oracle.region_violation(prob, t, prob.sides(prob.theta0)),
], ids=["solve_region", "certify_vertex", "certify_local_min", "certify_adjacent", "region_violation"])
def test_a_theta_too_large_for_floating_point_is_refused(call):
    rng = np.random.default_rng(0)
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=0), rng.normal(size=(20, 2)),
                              rng.normal(size=20), layer=0)
    with pytest.raises(ValueError, match=r"too large for floating point: the pre-activations at \w+ reach"):
        call(prob, np.full(prob.n_params, 1e160))
