"""ReLUNetwork: a hand-worked forward pass, save/load, and every bad input."""

import numpy as np
import pytest

from lpwalk import ReLUNetwork


def small_net():
    # f(x) = relu(x1 - x2) + 2 relu(x1 + 1) - 1
    W0 = np.array([[1.0, -1.0], [1.0, 0.0]])
    b0 = np.array([0.0, 1.0])
    W1 = np.array([[1.0, 2.0]])
    b1 = np.array([-1.0])
    return ReLUNetwork([W0, W1], [b0, b1])


def test_forward_by_hand():
    X = np.array([[0.0, 0.0], [2.0, 1.0], [-3.0, 0.0]])
    # [0 + 2*1 - 1, 1 + 2*3 - 1, 0 + 0 - 1]
    np.testing.assert_array_equal(small_net().forward(X), [1.0, 6.0, -1.0])
    assert small_net().loss(X, [0.0, 0.0, 0.0]) == 8.0


def test_linear_model_and_sizes():
    net = ReLUNetwork([[[2.0, -1.0]]], [[0.5]])
    assert net.output_layer == 0 and net.sizes == (2, 1)
    np.testing.assert_allclose(net.forward([[1.0, 1.0], [0.0, 2.0]]), [1.5, -1.5])


def test_layer_input_and_with_layer():
    net = small_net()
    X = np.array([[2.0, 1.0]])
    np.testing.assert_array_equal(net.layer_input(X, 0), X)
    np.testing.assert_array_equal(net.layer_input(X, 1), [[1.0, 3.0]])
    net2 = net.with_layer(1, [[0.0, 1.0]], [0.0])
    assert net2.forward(X)[0] == 3.0
    assert net.forward(X)[0] == 6.0  # the original is unchanged


def test_random_is_reproducible():
    a = ReLUNetwork.random([3, 4, 2, 1], seed=7)
    b = ReLUNetwork.random([3, 4, 2, 1], seed=7)
    assert a.sizes == (3, 4, 2, 1)
    for wa, wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(wa, wb)


def test_weights_are_read_only():
    net = small_net()
    with pytest.raises(ValueError):
        net.weights[0][0, 0] = 5.0


def test_save_load_round_trip(tmp_path):
    net = ReLUNetwork.random([2, 3, 2, 1], seed=1)
    path = tmp_path / "sub" / "net.npz"
    net.save(path)
    back = ReLUNetwork.load(path)
    assert back.sizes == net.sizes
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        np.testing.assert_array_equal(a, b)
    assert not list(path.parent.glob("*.tmp"))


# ------------------------------------------------------------------ bad input
W0, b0 = np.ones((2, 2)), np.zeros(2)
W1, b1 = np.ones((1, 2)), np.zeros(1)


@pytest.mark.parametrize(
    "weights, biases, error, match",
    [
        ([], [], ValueError, "at least one layer"),
        ([W0, W1], [b0], ValueError, "2 weight matrices but 1 bias"),
        (np.ones((1, 2)), [b1], TypeError, "lists of arrays"),
        ([W0, W1], [np.zeros(3), b1], ValueError, r"biases\[0\] has length 3 but weights\[0\] has 2 rows"),
        ([W0, np.ones((1, 3))], [b0, b1], ValueError, r"weights\[1\] has 3 columns but layer 0 has 2 units"),
        ([W0, np.ones((2, 2))], [b0, np.zeros(2)], ValueError, "one row \\(scalar output\\), got 2"),
        ([W0[0], W1], [b0, b1], ValueError, r"weights\[0\] must be 2-dimensional"),
        ([np.zeros((0, 2)), W1[:, :0]], [np.zeros(0), b1], ValueError, "empty shape"),
        ([np.array([[1.0, np.nan], [0, 0]]), W1], [b0, b1], ValueError,
         r"weights\[0\] contains NaN or inf \(first at index \(0, 1\)\)"),
        ([W0, W1], [b0, np.array([np.inf])], ValueError, r"biases\[1\] contains NaN or inf \(first at index 0\)"),
        ([np.array([["a", "b"], ["c", "d"]]), W1], [b0, b1], TypeError, r"weights\[0\] must be a numeric array"),
        ([W0.astype(complex), W1], [b0, b1], TypeError, r"weights\[0\] must be real"),
        ([W0, W1], ["ab", b1], TypeError, r"biases\[0\] must be a numeric array, got str"),
        ([[[1.0], [1.0, 2.0]], W1], [b0, b1], ValueError, r"weights\[0\] could not be read as an array"),
    ],
)
def test_bad_network_raises(weights, biases, error, match):
    with pytest.raises(error, match=match):
        ReLUNetwork(weights, biases)


@pytest.mark.parametrize(
    "sizes, match",
    [([3], "at least \\[n_inputs, 1\\]"), ([2, 0, 1], "positive entries"), ([2, 3, 2], "last size must be 1")],
)
def test_bad_random_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        ReLUNetwork.random(sizes, seed=0)


def test_forward_bad_inputs():
    net = small_net()
    with pytest.raises(ValueError, match="X has 3 columns but the network expects 2 inputs"):
        net.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(1, 0\)\)"):
        net.forward([[0.0, 0.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="X has 2 rows but y has 3 entries"):
        net.loss(np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="layer must be in 0..1, got 2"):
        net.layer_input(np.ones((2, 2)), 2)
    with pytest.raises(TypeError, match="layer must be an integer, got float"):
        net.with_layer(1.0, W1, b1)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*nope.npz"):
        ReLUNetwork.load(tmp_path / "nope.npz")


def test_load_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        ReLUNetwork.load(tmp_path)


def test_load_unreadable_file(tmp_path):
    path = tmp_path / "net.npz"
    path.write_text("this is not a zip archive")
    with pytest.raises(ValueError, match="could not read .*net.npz.* as an .npz file"):
        ReLUNetwork.load(path)


def test_load_missing_arrays(tmp_path):
    path = tmp_path / "net.npz"
    np.savez(path, W0=W0, W1=W1, b0=b0)
    with pytest.raises(ValueError, match=r"missing bias arrays \['b1'\]"):
        ReLUNetwork.load(path)
    np.savez(path, X=np.ones(3))
    with pytest.raises(ValueError, match=r"has no array 'W0' \(found \['X'\]\)"):
        ReLUNetwork.load(path)


def test_load_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "net.npz"
    np.savez(path, W0=np.array([{"a": 1}], dtype=object), b0=np.zeros(1))
    with pytest.raises(ValueError, match="could not read"):
        ReLUNetwork.load(path)
