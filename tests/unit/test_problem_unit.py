"""LayerwiseL1Problem: hand-worked 2-D cases, constraint ids, and every bad input."""

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork


def hidden_net():
    # one input, two hidden units, f(x) = relu(x) - relu(-x + 1) (theta0 of layer 0 = [1,0, -1,1])
    return ReLUNetwork([[[1.0], [-1.0]], [[1.0, -1.0]]], [[0.0, 1.0], [0.0]])


X1 = np.array([[-1.0], [0.0], [2.0]])
Y1 = np.array([0.0, 1.0, 1.0])


def test_hand_worked_layer0():
    prob = LayerwiseL1Problem(hidden_net(), X1, Y1, layer=0)
    assert (prob.n_params, prob.p, prob.n_neurons) == (4, 2, 2)
    np.testing.assert_array_equal(prob.theta0, [1.0, 0.0, -1.0, 1.0])
    # f = [0 - 2, 0 - 1, 2 - 0] = [-2, -1, 2]; residuals [-2, -2, 1]
    assert prob.loss(prob.theta0) == 5.0
    ev = prob.evaluate(prob.theta0)
    np.testing.assert_array_equal(ev.preactivations[0], [[-1.0, 2.0], [0.0, 1.0], [2.0, -1.0]])
    np.testing.assert_array_equal(ev.residuals, [-2.0, -2.0, 1.0])
    # ids: activations i * 2 + j, then residuals 6 + i; z_{1,0} = 0 is the only tight one
    assert prob.n_constraints == 9 and prob.residual_offset == 6
    assert list(prob.tight_set(prob.theta0)) == [2]
    assert prob.constraint_label(2) == ("relu", 0, 1, 0)
    assert prob.describe(7) == "res(i=1)"
    np.testing.assert_array_equal(prob.pattern(prob.theta0), [-1, 1, 0, 1, 1, -1, -1, -1, 1])
    # phi along +e(w_0): sample 1 (x=0) has dz=0 -> no change; sample 2 (x=2): dr = 2, side +
    d = np.array([1.0, 0.0, 0.0, 0.0])
    assert prob.phi(prob.theta0, d) == 2.0
    # along +e(b_0): the tight unit of sample 1 switches on: dr_1 = 1 with r_1 < 0 -> -1; sample 2 +1
    d = np.array([0.0, 1.0, 0.0, 0.0])
    assert prob.phi(prob.theta0, d) == 0.0
    assert prob.phi(prob.theta0, -d) == -1.0  # sample 2 only: dr = -1 with r > 0


def test_hand_worked_lad_layer():
    net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, -1.0]]], [[0.0, 1.0], [0.0]])
    prob = LayerwiseL1Problem(net, X1, Y1, layer=1)
    # features relu(x), relu(1 - x): [[0, 2], [0, 1], [2, 0]]
    np.testing.assert_array_equal(prob.features_tilde, [[0, 2, 1], [0, 1, 1], [2, 0, 1]])
    assert prob.n_constraints == 3 and prob.n_activation_layers == 0
    np.testing.assert_array_equal(prob.theta0, [1.0, -1.0, 0.0])
    theta = np.array([0.5, 0.0, 0.0])  # f = [0, 0, 1]: residuals 0 and 2 are zero
    assert prob.loss(theta) == 1.0
    assert list(prob.tight_set(theta)) == [0, 2]
    assert prob.lineality_dim == 0


def test_lineality_of_duplicated_features():
    # two identical hidden units -> features collinear for the output layer
    net = ReLUNetwork([[[1.0], [1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
    prob = LayerwiseL1Problem(net, [[1.0], [2.0], [3.0]], [1.0, 2.0, 3.0], layer=1)
    assert prob.lineality_dim == 1 and prob.vertex_rank == 2
    v = prob.lineality_basis[:, 0]
    assert prob.loss(prob.theta0 + 3.0 * v) == pytest.approx(prob.loss(prob.theta0))


def test_disconnected_neurons_follow_the_zero_pattern_of_the_later_weights():
    """Layer 0 of a 1-3-2-1 network: neuron 0 feeds only unit 0 of layer 1, whose output weight is 0;
    neuron 1 feeds unit 1 (connected); neuron 2 has a zero column.  Only neuron 1 reaches the output."""
    W1 = np.array([[2.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    net = ReLUNetwork([[[1.0], [-1.0], [0.5]], W1, [[0.0, 1.5]]], [[0.1, 0.2, 0.3], [0.0, 0.0], [0.0]])
    X = np.array([[-1.0], [0.5], [2.0]])
    prob = LayerwiseL1Problem(net, X, [0.0, 1.0, 2.0], layer=0)
    assert prob.disconnected_neurons.tolist() == [True, False, True]
    assert LayerwiseL1Problem(net, X, [0.0, 1.0, 2.0], layer=1).disconnected_neurons.tolist() == [True, False]
    assert LayerwiseL1Problem(net, X, [0.0, 1.0, 2.0], layer=2).disconnected_neurons.tolist() == [False]
    # the loss ignores their blocks, for every θ, however far
    theta = prob.theta0.copy()
    theta[[0, 1, 4, 5]] = [-7.0, 30.0, 1e3, -2.0]
    assert prob.loss(theta) == prob.loss(prob.theta0)
    # their blocks are flat; the connected neuron's is not
    F = prob.flat_basis(prob.theta0)
    assert F.shape == (6, 4) and not np.any(F[2:4])
    assert prob.vertex_rank_at(prob.theta0) == 2


def test_gradient_rank_modulo_the_flat_space():
    """An activation row of a disconnected neuron lies in the flat space: rank 0 modulo it, even when alone."""
    net = ReLUNetwork([[[1.0], [-1.0]], [[0.0, 1.0]]], [[0.0, 1.0], [0.0]])
    prob = LayerwiseL1Problem(net, X1 * 1e-7, Y1, layer=0)
    F = prob.flat_basis(prob.theta0)
    rows = prob.jacobian_rows(prob.sides(prob.theta0), np.array([0, 2]))  # neuron 0 on samples 0 and 1
    assert prob.gradient_rank(rows) == 2 and prob.gradient_rank(rows, F) == 0
    rows = prob.jacobian_rows(prob.sides(prob.theta0), np.array([0, 1]))  # one row of each neuron
    assert prob.gradient_rank(rows) == 2 and prob.gradient_rank(rows, F) == 1


def test_collapsed_neuron_makes_all_its_activations_tight():
    prob = LayerwiseL1Problem(hidden_net(), X1, Y1, layer=0)
    theta = prob.theta0.copy()
    theta[0:2] = 0.0  # neuron 0 collapses to theta_0 = 0
    tight = prob.tight_set(theta)
    assert {prob.constraint_label(c) for c in tight} >= {("relu", 0, i, 0) for i in range(3)}


def test_id_label_round_trip_two_hidden_layers():
    net = ReLUNetwork.random([2, 3, 2, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(4, 2))
    prob = LayerwiseL1Problem(net, X, np.zeros(4), layer=0)
    assert prob.n_constraints == 4 * 3 + 4 * 2 + 4
    labels = [prob.constraint_label(c) for c in range(prob.n_constraints)]
    assert len(set(labels)) == prob.n_constraints
    assert labels[0] == ("relu", 0, 0, 0) and labels[12] == ("relu", 1, 0, 0) and labels[-1] == ("res", 3)
    assert [prob.constraint_id(lab) for lab in labels] == list(range(prob.n_constraints))


# ------------------------------------------------------------------ bad input
NET = hidden_net()


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((NET, [[np.nan], [0.0], [1.0]], Y1, 0), ValueError, r"X contains NaN or inf \(first at index \(0, 0\)\)"),
        ((NET, X1, [0.0, np.inf, 1.0], 0), ValueError, r"y contains NaN or inf \(first at index 1\)"),
        ((NET, X1, [0.0, 1.0], 0), ValueError, r"inconsistent numbers of samples: \[3, 2\]"),
        ((NET, np.ones((3, 2)), Y1, 0), ValueError, "X has 2 columns but the network expects 1 inputs"),
        ((NET, np.ones(3), Y1, 0), ValueError, "X must be 2-dimensional, got shape \\(3,\\)"),
        ((NET, X1, np.ones((3, 2)), 0), ValueError, "y must be 1-dimensional, got shape \\(3, 2\\)"),
        ((NET, np.zeros((0, 1)), np.zeros(0), 0), ValueError, r"X has no rows \(N = 0\)"),
        ((NET, X1, Y1, 2), ValueError, "layer must be in 0..1, got 2"),
        ((NET, X1, Y1, -1), ValueError, "layer must be in 0..1, got -1"),
        ((NET, X1, Y1, 0.0), TypeError, "layer must be an integer, got float"),
        ((NET, X1, Y1, True), TypeError, "layer must be an integer, got bool"),
        (("net", X1, Y1, 0), TypeError, "network must be a ReLUNetwork, got str"),
        ((NET, [["a"], ["b"], ["c"]], Y1, 0), TypeError, "X must be a numeric array"),
        ((NET, X1, "abc", 0), TypeError, "y must be a numeric array, got str"),
        ((NET, X1, [1 + 1j, 0, 0], 0), TypeError, "y must be real"),
        ((NET, X1, np.array([None, 1.0, 2.0]), 0), TypeError, "y must be a numeric array, got dtype object"),
    ],
)
def test_bad_problem_raises(args, error, match):
    with pytest.raises(error, match=match):
        LayerwiseL1Problem(*args[:3], layer=args[3])


def test_column_y_is_accepted():
    prob = LayerwiseL1Problem(NET, X1, Y1[:, None], layer=0)
    assert prob.y.shape == (3,)


def test_non_scalar_output_network_is_refused():
    with pytest.raises(ValueError, match="one row \\(scalar output\\), got 2"):
        ReLUNetwork([[[1.0]], [[1.0], [2.0]]], [[0.0], [0.0, 0.0]])


@pytest.mark.parametrize(
    "theta, error, match",
    [
        (np.zeros(3), ValueError, r"theta must have 4 entries \(2 neurons x 2 parameters\), got shape \(3,\)"),
        (np.zeros(5), ValueError, r"theta must have 4 entries .*got shape \(5,\)"),
        (np.zeros((4, 1)), ValueError, r"theta must have 4 entries .*got shape \(4, 1\)"),
        ([0.0, np.nan, 0.0, 0.0], ValueError, r"theta contains NaN or inf \(first at index 1\)"),
        (["a", "b", "c", "d"], TypeError, "theta must be a numeric array"),
    ],
)
def test_bad_theta_raises(theta, error, match):
    prob = LayerwiseL1Problem(NET, X1, Y1, layer=0)
    for method in (prob.loss, prob.evaluate, prob.network, prob.tight_set):
        with pytest.raises(error, match=match):
            method(theta)


def test_theta_as_matrix_is_accepted():
    prob = LayerwiseL1Problem(NET, X1, Y1, layer=0)
    assert prob.loss(prob.theta0.reshape(2, 2)) == prob.loss(prob.theta0)


def test_bad_direction_and_ids():
    prob = LayerwiseL1Problem(NET, X1, Y1, layer=0)
    with pytest.raises(ValueError, match=r"d must have shape \(4,\) or \(K, 4\), got \(3,\)"):
        prob.phi(prob.theta0, np.zeros(3))
    with pytest.raises(ValueError, match="constraint id 9 is out of range 0..8"):
        prob.constraint_label(9)
    with pytest.raises(ValueError, match="constraint id -1 is out of range"):
        prob.jacobian_rows(prob.sides(prob.theta0), [-1])
    with pytest.raises(TypeError, match="constraint ids must be integers"):
        prob.constraint_label(1.5)
    with pytest.raises(ValueError, match="a constraint label is"):
        prob.constraint_id(("relu", 0, 1))
    with pytest.raises(ValueError, match="sample index must be in 0..2, got 3"):
        prob.constraint_id(("res", 3))
    with pytest.raises(ValueError, match="activation layer must be in 0..0, got 1"):
        prob.constraint_id(("relu", 1, 0, 0))
    with pytest.raises(ValueError, match="neuron index must be in 0..1, got 2"):
        prob.constraint_id(("relu", 0, 0, 2))
