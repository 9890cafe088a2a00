"""The oracle against independent references: cvxpy, a textbook LAD LP, forward mode.

Instances come from ``tests/strategies.py``: ``n0`` in 1..3, one or two hidden
layers of widths 1..4, ``N`` in 3..30, every layer index, and the two data
families ("float" in generic position; "lattice": integer data with ties,
duplicated rows, realisable teacher targets, which produce degenerate vertices).
Losses and certificates are compared, not θ (L1 optima are often not unique).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import strategies
from lpwalk import LayerwiseL1Problem, OracleError, ReLUNetwork, oracle, tolerances
from lpwalk.reference import solve_region_reference
from lpwalk.results import LocalMinStatus

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------------ helpers
def loss_scale(prob, theta) -> float:
    return prob.evaluate(theta).loss_scale + 1.0


def assert_loss_decreases(prob, theta, d):
    """``d`` is a real descent direction: for some small ε the loss drops by at least ε|φ|/2."""
    phi = prob.phi(theta, d)
    assert phi < 0
    base = prob.loss(theta)
    size = max(1.0, float(np.abs(theta).max()))
    for e in 10.0 ** -np.arange(1, 11):
        eps = e * size / max(float(np.abs(d).max()), 1e-300)
        drop = base - prob.loss(theta + eps * d)
        if drop >= 0.5 * eps * abs(phi) and drop > 0:
            return
    raise AssertionError(f"the loss does not decrease along d (phi = {phi})")


def textbook_lad(prob):
    r"""LAD by the textbook LP with highspy: min Σ(u+v) s.t. H̃θ + u - v = y, u, v >= 0."""
    import highspy

    H, y = prob.features_tilde, prob.y
    N, p = H.shape
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "simplex")
    inf = highspy.kHighsInf
    cost = np.concatenate([np.zeros(p), np.ones(2 * N)])
    lower = np.concatenate([np.full(p, -inf), np.zeros(2 * N)])
    upper = np.full(p + 2 * N, inf)
    h.addVars(p + 2 * N, lower, upper)
    h.changeColsCost(p + 2 * N, np.arange(p + 2 * N), cost)
    A = np.hstack([H, np.eye(N), -np.eye(N)])
    starts = np.arange(N) * A.shape[1]
    h.addRows(N, y, y, A.size, starts, np.tile(np.arange(A.shape[1]), N), A.ravel())
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.array(h.getSolution().col_value)
    return x[:p], float(np.sum(x[p:]))


def region_vertex(prob, theta):
    """A vertex from the region LP of θ, or None when the region has no vertex (mod Λ)."""
    sol = oracle.solve_region(prob, theta)
    assert sol.status is oracle.OracleStatus.OPTIMAL, sol.message
    G, _, _ = oracle.region_affine(prob, sol.sides)
    if tolerances.numerical_rank(G) < prob.vertex_rank:
        return sol, None  # the region's lineality is larger than Λ: no vertex
    return sol, sol.theta


def next_vertex(prob, v, ray):
    """Move from vertex ``v`` along an edge ray of the region of ``v`` (tight on +1) to the next constraint."""
    sides = prob.sides(v)
    G, c0, _ = oracle.region_affine(prob, sides)
    vals = G @ v + c0
    rate = G @ ray
    ev = prob.evaluate(v)
    moving_out = (~ev.tight) & (
        sides * rate < -tolerances.RANK_RTOL * np.linalg.norm(G, axis=1) * np.linalg.norm(ray))
    if not np.any(moving_out):
        return None
    t = np.min(-vals[moving_out] / rate[moving_out])
    return v + t * ray


# ------------------------------------------------------------------ region LP
@settings(max_examples=80, **SETTINGS)
@given(inst=strategies.instances(min_hidden=1), seed=strategies.seeds)
def test_region_lp_at_random_point(inst, seed):
    """At a random θ: θ is in its region, the affine forms reproduce the forward pass,
    the LP objective at θ is loss(θ), and the sparse builder and the cvxpy model
    (written from the network's equations) reach the same optimum."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    theta = prob.theta0 + np.random.default_rng(seed).normal(scale=0.5, size=prob.n_params)
    ev = prob.evaluate(theta)
    sides = prob.sides(ev)
    assert oracle.region_violation(prob, theta, sides) == 0.0
    G, c0, c0s = oracle.region_affine(prob, sides)
    np.testing.assert_allclose(G @ theta + c0, ev.values, rtol=0,
                               atol=1e-9 * (ev.scales.max() + c0s.max() + 1))
    res = slice(prob.residual_offset, prob.n_constraints)
    objective_at_theta = prob.loss_gradient(sides) @ theta + sides[res] @ c0[res]
    assert objective_at_theta == pytest.approx(ev.loss, rel=1e-9, abs=1e-9 * loss_scale(prob, theta))

    sol = oracle.solve_region(prob, theta)
    assert sol.status is oracle.OracleStatus.OPTIMAL, sol.message
    assert sol.loss <= ev.loss + 1e-9 * loss_scale(prob, theta)
    assert oracle.region_violation(prob, sol.theta, sides) <= tolerances.ORACLE_FEAS_RTOL
    ref = solve_region_reference(prob, theta)
    assert ref.status == "optimal"
    assert ref.value == pytest.approx(sol.loss, rel=1e-6, abs=1e-6 * loss_scale(prob, sol.theta))


# ------------------------------------------------------------------ LAD
@settings(max_examples=80, **SETTINGS)
@given(inst=strategies.instances(layer="output", max_samples=20))
def test_lad_textbook_optimum_is_certified(inst):
    """LAD (layer = L): the optimum of the textbook LP is certified a local minimum
    by the default test and by the MILP, and global_min finds the same loss."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    theta, value = textbook_lad(prob)
    assert prob.loss(theta) == pytest.approx(value, rel=1e-7, abs=1e-7 * loss_scale(prob, theta))
    for method in ("auto", "milp"):
        cert = oracle.certify_local_min(prob, theta, method=method)
        assert cert.status is LocalMinStatus.LOCAL_MIN, cert.message
    box = 2.0 * max(1.0, float(np.abs(theta).max()))
    g = oracle.global_min(prob, box=box)
    assert g.status is oracle.OracleStatus.OPTIMAL, g.message
    assert g.loss == pytest.approx(prob.loss(theta), rel=1e-7, abs=1e-7 * loss_scale(prob, theta))


# ------------------------------------------------------------------ vertices
@settings(max_examples=150, **SETTINGS)
@given(inst=strategies.instances(min_hidden=1, max_samples=20), seed=strategies.seeds)
def test_vertices_rays_agree_with_milp(inst, seed):
    """Region-LP optima are vertices; where the edge-ray test is valid it agrees
    with the complete MILP test; every reported descent really lowers the loss."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    theta = prob.theta0 + np.random.default_rng(seed).normal(scale=0.5, size=prob.n_params)
    sol, v = region_vertex(prob, theta)
    assume(v is not None)
    vc = oracle.certify_vertex(prob, v)
    assert vc.is_vertex, vc.reason
    assert vc.degenerate == (len(vc.tight) > prob.vertex_rank_at(v))
    milp = oracle.certify_local_min(prob, v, method="milp")
    event(f"{'degenerate' if vc.degenerate else 'nondegenerate'} vertex, {milp.status.value}")
    assert milp.status is not LocalMinStatus.INCONCLUSIVE, milp.message
    if milp.status is LocalMinStatus.DESCENT:
        assert_loss_decreases(prob, v, milp.descent)
    if vc.degenerate:
        with pytest.raises(OracleError, match="nondegenerate vertex"):
            oracle.certify_local_min(prob, v, method="rays")
        return
    rays = oracle.certify_local_min(prob, v, method="rays")
    assert rays.status is milp.status, (rays.message, milp.message)
    assert len(rays.ray_phi) == 2 * prob.vertex_rank_at(v)
    if rays.status is LocalMinStatus.DESCENT:
        assert_loss_decreases(prob, v, rays.descent)
        assert milp.min_phi <= rays.min_phi + 1e-7 * prob.phi_scale(v, 1.0 / prob.parameter_scale)


# a dead unit upstream (a zero feature column): Λ holds whole columns that no row touches
_DEAD_FEATURE = (
    ReLUNetwork(
        [np.array([[-0.05770915], [-0.12024207], [-0.32084522]]),
         np.array([[1.45587486, -0.64029005, 0.60317635], [-0.80365551, 0.79518778, -0.94260978],
                   [0.43000428, -0.79894181, -0.74678464], [-1.50587096, -0.29969096, -0.42296229]]),
         np.array([[-3.52852451e-04, 1.41161308e+00, 3.36263488e-01, -6.47717896e-01]])],
        [np.array([-0.36939608, 0.38833931, 0.25149649]),
         np.array([0.18112971, 0.46363866, -0.38688644, 0.05154441]), np.array([-0.3639177])],
    ),
    np.array([[-0.89478683], [1.20051166], [-1.58049765]]),
    np.array([0.11472885, 1.49276287, -1.46591978]),
    1,
)


@settings(max_examples=80, **SETTINGS)
@given(inst=strategies.instances(max_samples=20), seed=strategies.seeds, which=st.integers(0, 10**6))
@example(inst=_DEAD_FEATURE, seed=0, which=1)
def test_adjacency_along_an_edge(inst, seed, which):
    """A nondegenerate vertex and the next vertex along one of its edge rays are
    adjacent; a vertex is not adjacent to itself; two neighbours that share fewer
    than n' - 1 tight constraints are not adjacent."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    theta = prob.theta0 + np.random.default_rng(seed).normal(scale=0.5, size=prob.n_params)
    _, v = region_vertex(prob, theta)
    assume(v is not None)
    vc = oracle.certify_vertex(prob, v)
    assume(vc.is_vertex and not vc.degenerate)
    ids, sides, rays = oracle.edge_rays(prob, v)
    plus = np.flatnonzero(sides > 0)
    neighbours = []
    for r in np.roll(plus, which % len(plus)):
        b = next_vertex(prob, v, rays[r])
        if b is not None and oracle.certify_vertex(prob, b).is_vertex:
            neighbours.append(b)
        if len(neighbours) == 2:
            break
    assume(neighbours)
    cert = oracle.certify_adjacent(prob, v, neighbours[0])
    assert cert.is_adjacent, cert.reason
    assert len(cert.shared) >= prob.vertex_rank_at(v) - 1
    assert not oracle.certify_adjacent(prob, v, v).is_adjacent
    if len(neighbours) == 2:
        b1, b2 = neighbours
        shared = np.intersect1d(prob.tight_set(b1), prob.tight_set(b2))
        if len(shared) < prob.vertex_rank_at(b1) - 1:
            assert not oracle.certify_adjacent(prob, b1, b2).is_adjacent


# ------------------------------------------------------------------ global minimum
def _descend_to_local_min(prob, theta, max_steps=25):
    """Region-LP vertices joined by confirmed descent steps, until the MILP certifies a minimum."""
    for _ in range(max_steps):
        sol = oracle.solve_region(prob, theta)
        assert sol.success, sol.message
        theta = sol.theta
        cert = oracle.certify_local_min(prob, theta)
        if cert.is_local_min:
            return theta
        assert cert.status is LocalMinStatus.DESCENT, cert.message
        d = cert.descent
        base = prob.loss(theta)
        eps = max(1.0, float(np.abs(theta).max())) / max(float(np.abs(d).max()), 1e-300)
        while prob.loss(theta + eps * d) >= base and eps > 1e-12:
            eps *= 0.5
        assert prob.loss(theta + eps * d) < base
        theta = theta + eps * d
    return None


@settings(max_examples=40, **SETTINGS)
@given(inst=strategies.instances(min_hidden=1, max_hidden=1, max_inputs=2, max_width=2,
                                 max_samples=7))
def test_global_min_below_certified_local_min(inst):
    """On tiny instances: the loss of global_min over a box holding a certified
    local minimum is at most that minimum's loss."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    local = _descend_to_local_min(prob, prob.theta0)
    assume(local is not None)
    box = 1.5 * max(1.0, float(np.abs(local).max()))
    g = oracle.global_min(prob, box=box, time_limit=60)
    assert g.status is oracle.OracleStatus.OPTIMAL, g.message
    assert g.loss <= prob.loss(local) + 1e-7 * loss_scale(prob, local)
    assert g.bound <= g.loss + 1e-7 * loss_scale(prob, local)
    vc = oracle.certify_vertex(prob, local)
    event(f"local minimum at a {'degenerate' if vc.degenerate else 'nondegenerate'} vertex")
    if vc.is_vertex and not vc.degenerate:
        assert oracle.certify_local_min(prob, local, method="rays").is_local_min


# ------------------------------------------------------------------ degenerate cases
@settings(max_examples=60, **SETTINGS)
@given(point=strategies.kinked_points(kind="collapse"))
def test_collapsed_neuron(point):
    """A neuron collapsed to θ_j = 0 makes all its N activations tight: the ray test
    refuses whenever that is not a nondegenerate vertex, and the MILP answers,
    with a descent that really lowers the loss when it finds one."""
    prob, theta, kind = point
    vc = oracle.certify_vertex(prob, theta)
    if not vc.is_vertex or vc.degenerate:
        with pytest.raises(OracleError):
            oracle.certify_local_min(prob, theta, method="rays")
    cert = oracle.certify_local_min(prob, theta, method="milp")
    assert cert.status is not LocalMinStatus.INCONCLUSIVE, cert.message
    if cert.status is LocalMinStatus.DESCENT:
        assert_loss_decreases(prob, theta, cert.descent)
    else:
        rng = np.random.default_rng(0)
        for d in rng.normal(size=(20, prob.n_params)):
            assert not prob.is_descent_direction(theta, d)


@settings(max_examples=50, **SETTINGS)
@given(inst=strategies.instances(family="lattice", layer="output", max_samples=12))
def test_lad_duplicated_rows_degenerate(inst):
    """Duplicating every sample of a LAD problem makes each optimal vertex degenerate
    (each tight residual comes twice): the ray test refuses, the MILP certifies."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, np.repeat(X, 2, axis=0), np.repeat(y, 2), layer=k)
    theta, _ = textbook_lad(prob)
    vc = oracle.certify_vertex(prob, theta)
    if vc.tight:
        assert vc.degenerate
        with pytest.raises(OracleError, match="nondegenerate vertex"):
            oracle.certify_local_min(prob, theta, method="rays")
    cert = oracle.certify_local_min(prob, theta)
    assert cert.method == "milp"
    assert cert.is_local_min, cert.message


@settings(max_examples=strategies.examples(80), **SETTINGS)
@given(point=strategies.kinked_points(), data=st.data())
def test_milp_without_binaries_for_convex_relus_has_the_same_optimum(point, data):
    """The complete test drops the binary of a last-layer ReLU whose objective weight is >= 0
    (``oracle._relu_chain``, Notes); its twin keeps every binary.  Both must find the same
    minimum of φ over the box and the same verdict, at kinks of every kind and at vertices."""
    prob, theta, kind = point
    if data.draw(st.booleans(), label="vertex"):
        _, v = region_vertex(prob, theta)
        if v is not None:
            theta, kind = v, "vertex"
    chain = oracle._relu_chain

    def every_binary(*args, output_sign=None, **kwargs):
        return chain(*args, **kwargs)

    fast = oracle.certify_local_min(prob, theta, method="milp")
    oracle._relu_chain = every_binary
    try:
        full = oracle.certify_local_min(prob, theta, method="milp")
    finally:
        oracle._relu_chain = chain
    event(f"{kind}: {full.status.value}")
    assert fast.status is full.status, (fast.message, full.message)
    tol = 2 * tolerances.MILP_PHI_RTOL * prob.phi_scale(theta, 1.0 / prob.parameter_scale) + 1e-300
    assert abs(fast.min_phi - full.min_phi) <= tol + 1e-9 * abs(full.min_phi)
