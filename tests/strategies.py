"""Hypothesis strategies for small random layer-wise L1 problems.

Every random choice is either drawn by Hypothesis directly (sizes, family,
layer) or made by a numpy generator seeded with an integer that Hypothesis
draws, so failures shrink: to fewer samples, narrower and shallower networks,
smaller seeds.

Two data families (STYLE "Tests"):

``"float"``
    Inputs, targets and biases are floats in a fixed band (``[-2, 2]``),
    weights He-initialised.  Generic position: ties have probability zero, so
    these instances test the arithmetic away from degeneracy.
``"lattice"``
    Small integers everywhere (inputs in ``-2..2``, weights and biases in
    ``-2..2``), duplicated rows, and targets that are integers, realisable
    by a teacher (the same network with layer ``k`` replaced by other integer
    weights), or the network's own output (every residual zero at θ0).  Exact
    integer arithmetic makes pre-activations and residuals hit zero exactly:
    this family forces ties, collapsed neurons and degenerate vertices, which
    DESIGN §4.5 says are common on real data.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lpwalk import LayerwiseL1Problem, ReLUNetwork

__all__ = [
    "FAMILIES",
    "FLOAT_BAND",
    "architectures",
    "networks",
    "datasets",
    "instances",
    "problems",
    "directions",
    "kinked_points",
    "KINKS",
]

FAMILIES = ("float", "lattice")
#: Floats of the "float" family lie in ``[-FLOAT_BAND, FLOAT_BAND]``.
FLOAT_BAND = 2.0
#: Integers of the "lattice" family lie in ``-LATTICE_MAX..LATTICE_MAX``.
LATTICE_MAX = 2

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def architectures(draw, max_inputs=3, max_width=4, min_hidden=0, max_hidden=2):
    """Layer sizes ``[n0, n1, ..., 1]``: ``n0`` in ``1..max_inputs``, ``min_hidden..max_hidden``
    hidden layers (0 is a linear model) of widths ``1..max_width``.

    Shrinks towards one input and ``min_hidden`` hidden layers of width 1.
    """
    n0 = draw(st.integers(1, max_inputs))
    depth = draw(st.integers(min_hidden, max_hidden))
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth, max_size=depth))
    return [n0, *widths, 1]


def _lattice_network(rng: np.random.Generator, sizes) -> ReLUNetwork:
    weights = [
        rng.integers(-LATTICE_MAX, LATTICE_MAX + 1, size=(b, a)).astype(float)
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    biases = [rng.integers(-LATTICE_MAX, LATTICE_MAX + 1, size=b).astype(float) for b in sizes[1:]]
    return ReLUNetwork(weights, biases)


def _float_network(rng: np.random.Generator, sizes) -> ReLUNetwork:
    net = ReLUNetwork.random(sizes, seed=rng)
    biases = [rng.uniform(-FLOAT_BAND / 4, FLOAT_BAND / 4, size=b.shape) for b in net.biases]
    return ReLUNetwork(net.weights, biases)


@st.composite
def networks(draw, family=None, sizes=None, **arch_kwargs):
    """A :class:`ReLUNetwork` of the given family (drawn when None) and sizes (drawn when None).

    "float": He-initialised weights, biases uniform in a quarter of the band.
    "lattice": integer weights and biases in ``-2..2`` (dead and tied units are likely).
    """
    family = draw(st.sampled_from(FAMILIES)) if family is None else family
    sizes = draw(architectures(**arch_kwargs)) if sizes is None else sizes
    rng = np.random.default_rng(draw(seeds))
    return _lattice_network(rng, sizes) if family == "lattice" else _float_network(rng, sizes)


@st.composite
def datasets(draw, network, layer, family, min_samples=3, max_samples=30):
    """``(X, y)`` for ``network`` with ``N`` in ``min_samples..max_samples``.

    "float": ``X`` and ``y`` uniform in ``[-2, 2]``.
    "lattice": ``X`` integer in ``-2..2`` with some rows duplicated; ``y`` one
    of: random integers, a realisable teacher (``network`` with layer ``layer``
    replaced by random integer weights, so the layer-wise problem has loss 0
    somewhere), or the network's own output (every residual is zero at θ0).
    """
    n = draw(st.integers(min_samples, max_samples))
    rng = np.random.default_rng(draw(seeds))
    n0 = network.n_inputs
    if family == "float":
        X = rng.uniform(-FLOAT_BAND, FLOAT_BAND, size=(n, n0))
        y = rng.uniform(-FLOAT_BAND, FLOAT_BAND, size=n)
        return X, y
    n_distinct = draw(st.integers(1, n))
    base = rng.integers(-LATTICE_MAX, LATTICE_MAX + 1, size=(n_distinct, n0)).astype(float)
    X = base[np.concatenate([np.arange(n_distinct), rng.integers(0, n_distinct, size=n - n_distinct)])]
    X = X[rng.permutation(n)]
    targets = draw(st.sampled_from(["integer", "teacher", "self"]))
    if targets == "integer":
        y = rng.integers(-2 * LATTICE_MAX, 2 * LATTICE_MAX + 1, size=n).astype(float)
    elif targets == "teacher":
        w = network.weights[layer]
        teacher = network.with_layer(
            layer,
            rng.integers(-LATTICE_MAX, LATTICE_MAX + 1, size=w.shape).astype(float),
            rng.integers(-LATTICE_MAX, LATTICE_MAX + 1, size=w.shape[0]).astype(float),
        )
        y = teacher.forward(X)
    else:
        y = network.forward(X)
    return X, y


@st.composite
def instances(draw, family=None, layer=None, min_hidden=0, max_hidden=2, max_inputs=3,
              max_width=4, min_samples=3, max_samples=30):
    """``(network, X, y, layer)`` for a small random layer-wise problem.

    ``n0`` in ``1..3``, ``min_hidden..max_hidden`` hidden layers of widths
    ``1..4``, ``N`` in ``3..30``, ``layer`` any index ``0..L`` (drawn unless
    given; ``"output"`` means ``L``, ``"hidden"`` any index ``< L``, which
    needs ``min_hidden >= 1``).  ``family`` is ``"float"`` or ``"lattice"``
    (drawn when None); see the module docstring for what each family is for.
    """
    family = draw(st.sampled_from(FAMILIES)) if family is None else family
    sizes = draw(architectures(max_inputs=max_inputs, max_width=max_width,
                               min_hidden=min_hidden, max_hidden=max_hidden))
    net = draw(networks(family=family, sizes=sizes))
    L = net.output_layer
    if layer is None:
        k = draw(st.integers(0, L))
    elif layer == "output":
        k = L
    elif layer == "hidden":
        if L == 0:
            raise ValueError("layer='hidden' needs min_hidden >= 1")
        k = draw(st.integers(0, L - 1))
    else:
        k = int(layer)
    X, y = draw(datasets(net, k, family, min_samples=min_samples, max_samples=max_samples))
    return net, X, y, k


def problems(**kwargs):
    """:class:`LayerwiseL1Problem` built from :func:`instances` (same keyword arguments)."""
    return instances(**kwargs).map(lambda inst: LayerwiseL1Problem(*inst[:3], layer=inst[3]))


@st.composite
def directions(draw, n, scale=1.0):
    """A nonzero direction of length ``n`` with normal entries times ``scale`` (seeded, so it shrinks)."""
    rng = np.random.default_rng(draw(seeds))
    d = rng.normal(scale=scale, size=n)
    if not np.any(d):
        d[0] = scale
    return d


KINKS = ("none", "relu", "relu_deep", "residual", "collapse")


@st.composite
def kinked_points(draw, kind=None, **instance_kwargs):
    """``(problem, theta, kind)``: a point of a random instance, moved onto a kink on purpose.

    ``kind`` (drawn among the kinds that apply to the drawn instance when None;
    a given kind that does not apply falls back to ``"none"``):

    ``"none"``
        θ0 plus a seeded normal perturbation: generic, usually no tight constraint.
    ``"relu"``
        A layer-``k`` activation made exactly zero by setting neuron ``j``'s bias
        to ``-w_j · h_i`` (a true hyperplane through θ; duplicated rows make
        several tight at once).
    ``"relu_deep"``
        An activation of a deeper layer ``l > k`` made zero by shifting the fixed
        bias ``b_l[j]`` of the network (a bent hyperplane).
    ``"residual"``
        One to three residuals made zero by setting ``y_i = f(x_i)``.
    ``"collapse"``
        A neuron collapsed to ``θ_j = 0``: all ``N`` of its activations tight.

    Every kink is a point where the loss is not differentiable, which is
    where φ's forward-mode rules (``max(dz, 0)``, ``|dr|``) matter.
    """
    net, X, y, k = draw(instances(**instance_kwargs))
    prob = LayerwiseL1Problem(net, X, y, layer=k)
    L = net.output_layer
    applicable = ["none", "residual"]
    if k < L:
        applicable += ["relu", "collapse"]
    if L - k >= 2:
        applicable.append("relu_deep")
    kind = draw(st.sampled_from(applicable)) if kind is None else kind
    if kind not in applicable:
        kind = "none"
    rng = np.random.default_rng(draw(seeds))
    theta = prob.theta0 + rng.normal(scale=0.5, size=prob.n_params)
    if kind == "relu":
        Theta = theta.reshape(prob.n_neurons, prob.p)
        i = draw(st.integers(0, prob.n_samples - 1))
        j = draw(st.integers(0, prob.n_neurons - 1))
        Theta[j, -1] = -(prob.features_tilde[i, :-1] @ Theta[j, :-1])
        theta = Theta.ravel()
    elif kind == "collapse":
        j = draw(st.integers(0, prob.n_neurons - 1))
        theta.reshape(prob.n_neurons, prob.p)[j] = 0.0
    elif kind == "relu_deep":
        l = draw(st.integers(k + 1, L - 1))
        i = draw(st.integers(0, prob.n_samples - 1))
        j = draw(st.integers(0, net.weights[l].shape[0] - 1))
        z = prob.evaluate(theta).preactivations[l - k][i, j]
        biases = list(net.biases)
        biases[l] = biases[l].copy()
        biases[l][j] -= z
        prob = LayerwiseL1Problem(ReLUNetwork(net.weights, biases), X, y, layer=k)
    elif kind == "residual":
        f = prob.network(theta).forward(X)
        idx = draw(st.lists(st.integers(0, prob.n_samples - 1), min_size=1, max_size=3, unique=True))
        y = y.copy()
        y[idx] = f[idx]
        prob = LayerwiseL1Problem(net, X, y, layer=k)
    return prob, theta, kind


def examples(n: int) -> int:
    """``n`` examples scaled by the Hypothesis profile: ``dev`` 1x, ``ci`` 8x, ``campaign`` 20x.

    Used by the differential tests, whose per-test ``max_examples`` would
    otherwise override the profile.
    """
    import os

    factor = {"dev": 1, "ci": 8, "campaign": 20}.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), 1)
    return n * factor
