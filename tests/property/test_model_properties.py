"""Properties of the layer-wise model checked against independent references.

Instances come from ``strategies.instances``: small random networks (0–2
hidden layers of widths 1..4, 1..3 inputs), N in 3..30, every layer index,
in the "float" family (generic position) and the "lattice" family (exact ties,
duplicated rows, realisable targets).  The references are a plain numpy
forward pass, finite differences of the loss and of the constraint values, and
the same problem after rescaling or permuting the samples.
"""

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

import strategies
from lpwalk import LayerwiseL1Problem, ReLUNetwork

seeds = st.integers(0, 2**32 - 1)


def numpy_forward(weights, biases, X):
    """f(x) written out: ReLU after every affine map but the last."""
    h = np.asarray(X, dtype=float)
    for W, b in zip(weights[:-1], biases[:-1]):
        h = np.maximum(h @ np.asarray(W).T + b, 0.0)
    return h @ np.asarray(weights[-1])[0] + biases[-1][0]


def numpy_loss(prob, theta):
    Theta = np.asarray(theta).reshape(prob.n_neurons, prob.p)
    weights = list(prob.base_network.weights)
    biases = list(prob.base_network.biases)
    weights[prob.layer], biases[prob.layer] = Theta[:, :-1], Theta[:, -1]
    return np.abs(numpy_forward(weights, biases, prob.X) - prob.y).sum()


#: instance options under which each kind of kink applies (strategies.kinked_points)
KINK_CASES = [
    pytest.param("none", {"min_hidden": 0}, id="none"),
    pytest.param("residual", {"min_hidden": 0}, id="residual"),
    pytest.param("relu", {"min_hidden": 1, "layer": "hidden"}, id="relu"),
    pytest.param("collapse", {"min_hidden": 1, "layer": "hidden"}, id="collapse"),
    pytest.param("relu_deep", {"min_hidden": 2, "layer": 0}, id="relu_deep"),
]


def perturbed(prob, seed, scale=0.5):
    return prob.theta0 + np.random.default_rng(seed).normal(scale=scale, size=prob.n_params)


def strict_signs(prob, theta):
    return np.sign(prob.constraint_values(theta))


# ---------------------------------------------------------------- the loss
@given(strategies.instances(), seeds)
def test_loss_agrees_with_numpy_forward_pass(inst, seed):
    """loss(θ) equals Σ|f(x_i) − y_i| of a forward pass written here, at θ0 and at a random θ."""
    prob = LayerwiseL1Problem(*inst[:3], layer=inst[3])
    for theta in (prob.theta0, perturbed(prob, seed)):
        expected = numpy_loss(prob, theta)
        assert np.isclose(prob.loss(theta), expected, rtol=1e-12, atol=1e-12)
        assert np.isclose(prob.evaluate(theta).loss, expected, rtol=1e-12, atol=1e-12)
    assert np.isclose(prob.loss(prob.theta0), inst[0].loss(inst[1], inst[2]), rtol=1e-12, atol=1e-12)


@given(strategies.instances(), seeds)
def test_network_round_trips_theta(inst, seed):
    """network(θ) puts θ into layer k and nothing else changes; θ0 comes back unchanged."""
    net, X, y, k = inst
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    assert prob.network() is net
    back = LayerwiseL1Problem(prob.network(prob.theta0), X, y, layer=k)
    np.testing.assert_array_equal(back.theta0, prob.theta0)
    theta = perturbed(prob, seed)
    moved = prob.network(theta)
    np.testing.assert_array_equal(LayerwiseL1Problem(moved, X, y, layer=k).theta0, theta)
    for l in range(net.output_layer + 1):
        if l != k:
            np.testing.assert_array_equal(moved.weights[l], net.weights[l])
            np.testing.assert_array_equal(moved.biases[l], net.biases[l])
    assert np.isclose(moved.loss(X, y), prob.loss(theta), rtol=1e-12, atol=1e-12)


@given(strategies.problems())
def test_constraint_id_label_round_trip(prob):
    """Every id has a distinct label in the documented ranges, and constraint_id inverts it."""
    labels = [prob.constraint_label(c) for c in range(prob.n_constraints)]
    assert len(set(labels)) == prob.n_constraints
    for c, lab in enumerate(labels):
        assert prob.constraint_id(lab) == c
        if lab[0] == "res":
            assert c >= prob.residual_offset and 0 <= lab[1] < prob.n_samples
        else:
            _, l, i, j = lab
            assert prob.layer <= l < prob.output_layer and c < prob.residual_offset
            assert 0 <= i < prob.n_samples and 0 <= j < prob.activation_widths[l - prob.layer]
    n_res = sum(lab[0] == "res" for lab in labels)
    assert n_res == prob.n_samples
    assert prob.n_constraints == prob.n_samples * (sum(prob.activation_widths) + 1)


# ------------------------------------------------------- gradients on a region
def directional_sides(prob, theta, d):
    """Sides of the region entered from θ along d, and the tight constraints that stay zero.

    Tight constraints take the side ``sign(∇c · d)``, decided in id order (a
    constraint's row depends only on the sides of earlier layers of its sample,
    whose ids are smaller).  A tight constraint with a zero row (e.g. a residual
    of a sample whose units are all off) stays zero along d.  Returns None when
    d is tangent to a tight constraint with a nonzero row (no region is entered).
    """
    ev = prob.evaluate(theta)
    sides = prob.sides(ev)
    stays = np.zeros(prob.n_constraints, dtype=bool)
    for c in ev.tight_ids:
        row = prob.jacobian_rows(sides, [c])[0]
        rate, scale = float(row @ d), float(np.abs(row) @ np.abs(d))
        if scale <= 1e-12 * np.linalg.norm(d) * np.abs(prob.features_tilde).max():
            stays[c] = True
        elif abs(rate) <= 1e-9 * scale:
            return None
        else:
            sides[c] = 1 if rate > 0 else -1
    return sides, stays


def region_step(prob, theta, d, sides, stays):
    """The largest ε in 1e-2..1e-9 such that θ+εd and θ+εd/2 are strictly inside the region
    of ``sides`` (apart from the constraints that stay zero)."""
    for eps in 10.0 ** -np.arange(2, 10):
        ok = True
        for t in (eps, eps / 2):
            ev = prob.evaluate(theta + t * d)
            off = np.where(ev.values > 0, 1, -1) != sides
            if np.any((ev.tight | off) & ~stays):
                ok = False
                break
        if ok:
            return eps
    return None


@pytest.mark.parametrize("kind, options", KINK_CASES)
@given(data=st.data(), seed=seeds)
def test_jacobian_rows_agree_with_finite_differences(kind, options, data, seed):
    """On the region entered from θ along d, values(θ+εd) − values(θ) = ε J d for every constraint.

    θ is generic or on a kink (strategies.kinked_points); the sides of tight
    constraints are chosen as d moves them, so this also checks the side
    convention of bent rows.  Values are affine on a region, so the identity
    holds up to rounding for any ε small enough to stay in it.
    """
    prob, theta, kind = data.draw(strategies.kinked_points(kind=kind, **options))
    d = np.random.default_rng(seed).normal(size=prob.n_params)
    found = directional_sides(prob, theta, d)
    assume(found is not None)
    sides, stays = found
    eps = region_step(prob, theta, d, sides, stays)
    assume(eps is not None)
    note(f"kind={kind} eps={eps}")
    J = prob.jacobian_rows(sides, np.arange(prob.n_constraints))
    ev0, ev1 = prob.evaluate(theta), prob.evaluate(theta + eps * d)
    predicted = eps * (J @ d)
    tol = 1e-10 * (ev0.scales + ev1.scales) + 1e-12 * eps * (np.abs(J) @ np.abs(d))
    assert np.all(np.abs(ev1.values - ev0.values - predicted) <= tol)


@given(strategies.problems(), seeds)
def test_loss_gradient_is_signed_sum_of_residual_rows(prob, seed):
    """loss_gradient(sides) = Σ_i σ_i ∇r_i with the residual rows of jacobian_rows,
    and at a point with no tight constraint φ(θ, d) = ∇ℓ_R · d."""
    theta = perturbed(prob, seed)
    ev = prob.evaluate(theta)
    sides = prob.sides(ev)
    res_ids = np.arange(prob.residual_offset, prob.n_constraints)
    rows = prob.jacobian_rows(sides, res_ids)
    sigma = sides[prob.residual_offset:].astype(float)
    grad = prob.loss_gradient(sides)
    np.testing.assert_allclose(grad, sigma @ rows, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(prob.residual_coefficients(sides), prob.coefficients(sides, res_ids)[0])
    if not np.any(ev.tight):
        d = np.random.default_rng(seed + 1).normal(size=prob.n_params)
        assert np.isclose(prob.phi(ev, d), grad @ d, rtol=1e-9, atol=1e-9 * prob.phi_scale(ev, d))


# ----------------------------------------------------------------------- phi
def check_phi_by_difference_quotient(prob, theta, d):
    """φ(θ, d) against (loss(θ+εd) − loss(θ))/ε for the largest ε (1e-2..1e-9) at which the
    constraint signs at θ+εd and θ+εd/2 agree and no constraint non-tight at θ changed side."""
    ev = prob.evaluate(theta)
    signs0 = np.where(ev.values > 0, 1, -1)
    for eps in 10.0 ** -np.arange(2, 10):
        e1, e2 = prob.evaluate(theta + eps * d), prob.evaluate(theta + eps / 2 * d)
        s1, s2 = np.where(e1.values > 0, 1, -1), np.where(e2.values > 0, 1, -1)
        if np.any(e1.tight & ~ev.tight) or np.any(s1 != s2) or np.any((s1 != signs0) & ~ev.tight):
            continue
        phi, phi_scale = prob.phi(ev, d), prob.phi_scale(ev, d)
        quotient = (e1.loss - ev.loss) / eps
        # rounding of the two losses, plus tight-but-not-exactly-zero values moved by eps
        tol = 1e-8 * phi_scale + 1e-13 * (ev.loss_scale + e1.loss_scale) / eps
        tol += 2 * np.abs(ev.values[ev.tight]).sum() / eps * max(1, len(prob.activation_widths) + 1)
        assert abs(phi - quotient) <= tol, (phi, quotient, eps, tol)
        return eps
    return None


@pytest.mark.parametrize("kind, options", KINK_CASES)
@given(data=st.data(), seed=seeds)
def test_phi_agrees_with_difference_quotient(kind, options, data, seed):
    """φ(θ, d) = (ℓ(θ+εd) − ℓ(θ))/ε for small ε, at random points and at constructed kinks
    (a layer-k activation, a deeper activation, residuals, a collapsed neuron)."""
    prob, theta, kind = data.draw(strategies.kinked_points(kind=kind, **options))
    rng = np.random.default_rng(seed)
    for d in (rng.normal(size=prob.n_params), rng.normal(size=(prob.n_params)) * (rng.random(prob.n_params) < 0.5)):
        if not np.any(d):
            continue
        eps = check_phi_by_difference_quotient(prob, theta, d)
        note(f"kind={kind} eps={eps}")
        assume(eps is not None)


@given(strategies.instances(family="lattice"), seeds)
def test_phi_at_lattice_ties(inst, seed):
    """At θ0 of lattice instances (exact ties: integer data and weights, duplicated rows,
    realisable or self-generated targets) φ agrees with the difference quotient, φ is
    positively homogeneous, and φ(θ, 0) = 0."""
    prob = LayerwiseL1Problem(*inst[:3], layer=inst[3])
    d = np.random.default_rng(seed).normal(size=prob.n_params)
    eps = check_phi_by_difference_quotient(prob, prob.theta0, d)
    assume(eps is not None)
    ev = prob.evaluate(prob.theta0)
    assert np.isclose(prob.phi(ev, 3.0 * d), 3.0 * prob.phi(ev, d), rtol=1e-12, atol=1e-12)
    assert prob.phi(ev, np.zeros(prob.n_params)) == 0.0
    batch = prob.phi(ev, np.stack([d, -d, 2 * d]))
    np.testing.assert_allclose(batch, [prob.phi(ev, d), prob.phi(ev, -d), prob.phi(ev, 2 * d)], rtol=1e-12, atol=1e-12)


def test_phi_of_a_dead_layer_is_zero():
    """Killing every neuron of the trainable hidden layer (all pre-activations strictly
    negative) makes the loss locally constant: φ ≡ 0, a flat local minimum (DESIGN §7)."""
    net = ReLUNetwork.random([2, 3, 1], seed=0)
    X = np.random.default_rng(1).normal(size=(10, 2))
    prob = LayerwiseL1Problem(net, X, X[:, 0], layer=0)
    theta = np.tile([0.0, 0.0, -1.0], 3)
    d = np.random.default_rng(2).normal(size=(20, prob.n_params))
    assert prob.tight_set(theta).size == 0
    np.testing.assert_array_equal(prob.phi(theta, d), np.zeros(20))
    np.testing.assert_array_equal(prob.loss_gradient(prob.sides(theta)), np.zeros(prob.n_params))


# --------------------------------------------------------------- invariances
def scaled_problem(prob, s):
    net = prob.base_network
    scaled = ReLUNetwork(net.weights, [b * s for b in net.biases])
    return LayerwiseL1Problem(scaled, prob.X * s, prob.y * s, layer=prob.layer)


@given(strategies.problems(), st.sampled_from([1e-6, 1e6]), seeds)
def test_rescaling_data_and_biases(prob, s, seed):
    """Scaling X, y and every bias by s scales f, the loss and φ by s (ReLU is positively
    homogeneous) and leaves the tight set, the pattern and the lineality dimension unchanged."""
    big = scaled_problem(prob, s)
    bias_scale = np.tile(np.r_[np.ones(prob.p - 1), s], prob.n_neurons)
    np.testing.assert_allclose(big.theta0, prob.theta0 * bias_scale, rtol=1e-15)
    ev, ev_s = prob.evaluate(prob.theta0), big.evaluate(big.theta0)
    assert np.isclose(ev_s.loss, s * ev.loss, rtol=1e-10, atol=1e-12 * s * ev.loss_scale)
    np.testing.assert_array_equal(ev_s.tight_ids, ev.tight_ids)
    np.testing.assert_array_equal(big.pattern(big.theta0), prob.pattern(prob.theta0))
    assert big.lineality_dim == prob.lineality_dim
    d = np.random.default_rng(seed).normal(size=prob.n_params)
    phi, phi_s = prob.phi(ev, d), big.phi(ev_s, d * bias_scale)
    assert np.isclose(phi_s, s * phi, rtol=1e-8, atol=1e-9 * s * prob.phi_scale(ev, d))


@given(strategies.problems(), seeds)
def test_permuting_samples_changes_nothing(prob, seed):
    """Reordering the samples permutes the constraints' labels and changes no loss, φ,
    tight set (up to relabelling) or lineality dimension."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(prob.n_samples)
    other = LayerwiseL1Problem(prob.base_network, prob.X[perm], prob.y[perm], layer=prob.layer)
    theta = prob.theta0 if rng.random() < 0.5 else perturbed(prob, seed)
    ev, ev_p = prob.evaluate(theta), other.evaluate(theta)
    assert np.isclose(ev_p.loss, ev.loss, rtol=1e-12, atol=1e-12 * ev.loss_scale)
    inverse = np.argsort(perm)  # sample i of prob is sample inverse[i] of other

    def relabel(lab):
        return ("res", int(inverse[lab[1]])) if lab[0] == "res" else ("relu", lab[1], int(inverse[lab[2]]), lab[3])

    tight = {relabel(prob.constraint_label(c)) for c in ev.tight_ids}
    assert tight == {other.constraint_label(c) for c in ev_p.tight_ids}
    d = rng.normal(size=prob.n_params)
    assert np.isclose(other.phi(ev_p, d), prob.phi(ev, d), rtol=1e-10, atol=1e-10 * prob.phi_scale(ev, d))
    assert other.lineality_dim == prob.lineality_dim


# ------------------------------------------------------------------ save/load
@given(strategies.networks())
def test_save_load_round_trip(tmp_path_factory, net):
    """Any network saved to .npz loads back with identical weights and biases."""
    path = tmp_path_factory.mktemp("nets") / "net.npz"
    net.save(path)
    back = ReLUNetwork.load(path)
    assert back.sizes == net.sizes
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        np.testing.assert_array_equal(a, b)
