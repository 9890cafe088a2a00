"""Named kinds of degenerate and extreme layer-wise L1 instances, and the properties every walk must keep.

Each strategy draws a :class:`FuzzCase`: the kind, the problem and a short
description of what was drawn.  As in ``strategies.py`` every random choice is
made by Hypothesis (sizes, layer, variant) or by a numpy generator seeded by an
integer Hypothesis draws, so failures shrink.  Instances stay small (``N <= 40``,
at most two hidden layers of width at most 4, ``n0 <= 3``, every layer index)
so that the complete (MILP) local-minimum test answers in well under a second.

The kinds (:data:`KINDS`) are the data that DESIGN §4.5 and §7 name as sources
of degeneracy and of tolerance trouble:

``duplicated_rows``
    Few distinct samples, each repeated (some with the same target, some with
    another): ties among activations and residuals.
``integer_ties``
    Integer targets in ``-2..2`` (many equal values), inputs integer or float.
``teacher``
    Realisable targets ``y = f_teacher(x)``, the teacher being the network
    with layer ``k`` replaced: every residual is zero at the teacher.  The
    student starts elsewhere, or at the teacher itself (loss 0, every residual
    tight at the start).
``collinear_features``
    Input columns that are exact multiples of one another (lineality space
    when the first layer is trained, bent collinearity deeper).
``constant_feature``
    An input column that is constant (collinear with the bias column).
``few_samples``
    ``N`` smaller than the number of parameters (a large lineality space).
``collapsed_neuron``
    A hidden neuron of the trained layer with weights and bias zero at the
    start: all ``N`` of its activations tight at once (θ_j = 0).
``all_dead``
    Every hidden unit dead on every sample (negative biases below the largest
    pre-activation): the network's output is constant near θ0.
``disconnected``
    Zero weights after the trained hidden layer that cut some of its neurons
    (or all: a zero output layer) from the output, so the loss does not
    depend on their blocks; on integer data, some of their activations are
    tight at the start.
``tiny_scale``, ``huge_scale``
    Generic float data with ``X``, ``y`` and every bias times ``1e-6`` / ``1e6``.
``mixed_scales``
    Input columns multiplied by ``10**u``, ``u`` uniform in ``[-4, 4]``.
``generic``
    Generic float data (the control: no ties with probability one).

:func:`check_walk` runs the properties the fuzz test and the long campaign
(``verification/fuzz.py``) assert on every case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import strategies
from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, oracle, walk
from lpwalk.tolerances import LOSS_RTOL

__all__ = ["KINDS", "FuzzCase", "cases", "any_case", "rescaled", "check_walk", "WalkCheck",
           "MAX_SAMPLES", "MAX_PIVOTS", "TIME_LIMIT"]

KINDS = (
    "duplicated_rows",
    "integer_ties",
    "teacher",
    "collinear_features",
    "constant_feature",
    "few_samples",
    "collapsed_neuron",
    "all_dead",
    "disconnected",
    "tiny_scale",
    "huge_scale",
    "mixed_scales",
    "generic",
)

MAX_SAMPLES = 40
MAX_INPUTS = 3
MAX_WIDTH = 4
MAX_HIDDEN = 2
#: pivot cap of a fuzz walk: far above what any of these tiny instances needs
MAX_PIVOTS = 2000
#: seconds: a guard against hangs, far above what any of these tiny instances needs
TIME_LIMIT = 60.0

_seeds = st.integers(min_value=0, max_value=2**32 - 1)


@dataclass(frozen=True, eq=False)
class FuzzCase:
    """One drawn instance: its ``kind`` (one of :data:`KINDS`), the problem, and what was drawn."""

    kind: str
    prob: LayerwiseL1Problem
    description: str

    def __repr__(self) -> str:  # shown by Hypothesis on failure
        return f"FuzzCase({self.kind!r}, {self.prob!r}, {self.description!r})"


def rescaled(prob: LayerwiseL1Problem, scale: float) -> LayerwiseL1Problem:
    """The same problem with ``X``, ``y`` and every bias times ``scale`` (weights unchanged).

    Every pre-activation and residual scales by ``scale``; the trainable weights
    do not, the trainable biases do.
    """
    net = prob.base_network
    scaled = ReLUNetwork(list(net.weights), [b * scale for b in net.biases])
    return LayerwiseL1Problem(scaled, prob.X * scale, prob.y * scale, layer=prob.layer,
                              train_bias=prob.train_bias)


def _float_network(rng, sizes) -> ReLUNetwork:
    net = ReLUNetwork.random(sizes, seed=rng)
    biases = [rng.uniform(-0.5, 0.5, size=b.shape) for b in net.biases]
    return ReLUNetwork(net.weights, biases)


@st.composite
def _shape(draw, min_hidden=0, min_inputs=1, max_samples=MAX_SAMPLES, min_samples=3, layer=None):
    """``(sizes, layer, N)``: an architecture, a trained layer (any index unless ``layer`` says) and N."""
    sizes = draw(strategies.architectures(max_inputs=MAX_INPUTS, max_width=MAX_WIDTH,
                                          min_hidden=min_hidden, max_hidden=MAX_HIDDEN))
    if sizes[0] < min_inputs:
        sizes = [min_inputs, *sizes[1:]]
    L = len(sizes) - 2
    if layer == "hidden":
        k = draw(st.integers(0, L - 1))
    else:
        k = draw(st.integers(0, L))
    n = draw(st.integers(min_samples, max_samples))
    return sizes, k, n


def _prob(net, X, y, k) -> LayerwiseL1Problem:
    return LayerwiseL1Problem(net, X, y, layer=k)


# ----------------------------------------------------------------- the kinds
@st.composite
def _duplicated_rows(draw):
    sizes, k, n = draw(_shape(min_samples=4))
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    n_distinct = draw(st.integers(1, max(1, n // 3)))
    base_X = rng.uniform(-2, 2, size=(n_distinct, sizes[0]))
    base_y = rng.uniform(-2, 2, size=n_distinct)
    idx = np.concatenate([np.arange(n_distinct), rng.integers(0, n_distinct, size=n - n_distinct)])
    idx = idx[rng.permutation(n)]
    X, y = base_X[idx], base_y[idx].copy()
    other = draw(st.booleans())  # some repeated rows with another target (a tie of residual kinks)
    if other:
        flip = rng.random(n) < 0.3
        y[flip] = rng.uniform(-2, 2, size=int(flip.sum()))
    return FuzzCase("duplicated_rows", _prob(net, X, y, k),
                    f"{n_distinct} distinct rows repeated to N={n}"
                    + (", some with other targets" if other else ""))


@st.composite
def _integer_ties(draw):
    sizes, k, n = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    integer_X = draw(st.booleans())
    X = (rng.integers(-2, 3, size=(n, sizes[0])).astype(float) if integer_X
         else rng.uniform(-2, 2, size=(n, sizes[0])))
    y = rng.integers(-2, 3, size=n).astype(float)
    return FuzzCase("integer_ties", _prob(net, X, y, k),
                    f"targets in -2..2, {'integer' if integer_X else 'float'} inputs, N={n}")


@st.composite
def _teacher(draw):
    sizes, k, n = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    w = net.weights[k]
    teacher = net.with_layer(k, rng.normal(size=w.shape), rng.uniform(-0.5, 0.5, size=w.shape[0]))
    y = teacher.forward(X)
    at_teacher = draw(st.booleans())
    student = teacher if at_teacher else net
    return FuzzCase("teacher", _prob(student, X, y, k),
                    f"y = teacher output, N={n}, start {'at the teacher (loss 0)' if at_teacher else 'elsewhere'}")


@st.composite
def _collinear_features(draw):
    sizes, k, n = draw(_shape(min_inputs=2))
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    factor = draw(st.sampled_from([2.0, -0.5, 3.0, -1.0, 0.1]))
    X[:, 1] = factor * X[:, 0]
    if sizes[0] == 3 and draw(st.booleans()):
        X[:, 2] = X[:, 0] - X[:, 1]
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase("collinear_features", _prob(net, X, y, k),
                    f"x1 = {factor} x0, n0={sizes[0]}, N={n}")


@st.composite
def _constant_feature(draw):
    sizes, k, n = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    col = draw(st.integers(0, sizes[0] - 1))
    value = draw(st.sampled_from([0.0, 1.0, -1.5, 0.3]))
    X[:, col] = value
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase("constant_feature", _prob(net, X, y, k),
                    f"column {col} constant {value}, n0={sizes[0]}, N={n}")


@st.composite
def _few_samples(draw):
    sizes, k, _ = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    w = net.weights[k]
    n_params = w.shape[0] * (w.shape[1] + 1)
    if n_params < 2:
        # a 1-1 linear model has 2 parameters; at least one sample is needed
        n_params = 2
    n = draw(st.integers(1, n_params - 1))
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase("few_samples", _prob(net, X, y, k), f"N={n} < n={n_params}")


@st.composite
def _collapsed_neuron(draw):
    sizes, k, n = draw(_shape(min_hidden=1, layer="hidden"))
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    j = draw(st.integers(0, sizes[k + 1] - 1))
    W, b = net.weights[k].copy(), net.biases[k].copy()
    W[j] = 0.0
    b[j] = 0.0
    net = net.with_layer(k, W, b)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase("collapsed_neuron", _prob(net, X, y, k),
                    f"neuron {j} of layer {k} has theta_j = 0 at the start, N={n}")


@st.composite
def _all_dead(draw):
    sizes, k, n = draw(_shape(min_hidden=1))
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    y = rng.uniform(-2, 2, size=n)
    margin = draw(st.sampled_from([0.5, 1.0]))
    weights, biases = list(net.weights), list(net.biases)
    h = X
    for l in range(net.output_layer):  # every hidden layer dead on every sample
        z = h @ weights[l].T
        biases[l] = -(z.max(axis=0)) - margin
        h = np.zeros((n, weights[l].shape[0]))
    net = ReLUNetwork(weights, biases)
    return FuzzCase("all_dead", _prob(net, X, y, k),
                    f"every hidden unit dead on all N={n} samples (margin {margin})")


@st.composite
def _disconnected(draw):
    sizes, k, n = draw(_shape(min_hidden=1, layer="hidden"))
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    weights, biases = list(net.weights), list(net.biases)
    if draw(st.booleans()):  # integer data and trained layer: activations tight at the start
        X = rng.integers(-2, 3, size=(n, sizes[0])).astype(float)
        weights[k] = rng.integers(-2, 3, size=weights[k].shape).astype(float)
        biases[k] = rng.integers(-1, 2, size=biases[k].shape).astype(float)
        y = rng.integers(-2, 3, size=n).astype(float)
    else:
        X = rng.uniform(-2, 2, size=(n, sizes[0]))
        y = rng.uniform(-2, 2, size=n)
    drop = draw(st.sampled_from([0.0, 0.3, 0.6]))  # further weights after layer k set to zero
    for l in range(k + 1, len(weights)):
        weights[l] = np.where(rng.random(weights[l].shape) < drop, 0.0, weights[l])
    if draw(st.booleans()):
        weights[k + 1][:, draw(st.integers(0, sizes[k + 1] - 1))] = 0.0  # cut one neuron
    else:
        weights[-1] = np.zeros_like(weights[-1])  # cut the whole network from the output
    prob = _prob(ReLUNetwork(weights, biases), X, y, k)
    cut = np.flatnonzero(prob.disconnected_neurons).tolist()
    return FuzzCase("disconnected", prob, f"neurons {cut} of layer {k} disconnected from the output "
                                          f"(further weights dropped with probability {drop}), N={n}")


@st.composite
def _scaled(draw, kind, scale):
    sizes, k, n = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase(kind, rescaled(_prob(net, X, y, k), scale), f"generic data times {scale:g}, N={n}")


@st.composite
def _mixed_scales(draw):
    sizes, k, n = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    exps = rng.uniform(-4, 4, size=sizes[0])
    X = rng.uniform(-2, 2, size=(n, sizes[0])) * 10.0**exps
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase("mixed_scales", _prob(net, X, y, k),
                    "columns times 10^[" + ", ".join(f"{e:.1f}" for e in exps) + f"], N={n}")


@st.composite
def _generic(draw):
    sizes, k, n = draw(_shape())
    rng = np.random.default_rng(draw(_seeds))
    net = _float_network(rng, sizes)
    X = rng.uniform(-2, 2, size=(n, sizes[0]))
    y = rng.uniform(-2, 2, size=n)
    return FuzzCase("generic", _prob(net, X, y, k), f"generic float data, N={n}")


_BUILDERS = {
    "duplicated_rows": _duplicated_rows,
    "integer_ties": _integer_ties,
    "teacher": _teacher,
    "collinear_features": _collinear_features,
    "constant_feature": _constant_feature,
    "few_samples": _few_samples,
    "collapsed_neuron": _collapsed_neuron,
    "all_dead": _all_dead,
    "disconnected": _disconnected,
    "tiny_scale": lambda: _scaled("tiny_scale", 1e-6),
    "huge_scale": lambda: _scaled("huge_scale", 1e6),
    "mixed_scales": _mixed_scales,
    "generic": _generic,
}


def cases(kind: str):
    """Strategy of :class:`FuzzCase` of one ``kind`` (see the module docstring)."""
    if kind not in _BUILDERS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return _BUILDERS[kind]()


def any_case():
    """Strategy of :class:`FuzzCase` of any kind."""
    return st.sampled_from(KINDS).flatmap(cases)


# ----------------------------------------------------------------- the properties
LEGAL_END = (WalkStatus.LOCAL_MIN, WalkStatus.INCONCLUSIVE)


@dataclass
class WalkCheck:
    """What :func:`check_walk` saw on one case, and the properties that failed (``failures``)."""

    kind: str
    status: str = ""
    method: str = ""
    degenerate: bool | None = None
    oracle_degenerate: bool | None = None
    milp_agrees: bool | None = None
    pivots: int = 0
    walk_seconds: float = 0.0
    check_seconds: float = 0.0
    max_loss_increase: float = 0.0
    slack: float = 0.0
    exception: str = ""
    failures: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def loss_slack(prob: LayerwiseL1Problem, *thetas) -> float:
    """Rounding slack for comparing losses of one walk, relative to the data (no absolute floor).

    ``1e3 * LOSS_RTOL`` times the loss's rounding scale (the residuals' scales
    summed, :attr:`lpwalk.Evaluation.loss_scale`), the largest over ``thetas``:
    it scales with the data, so a case at scale 1e-6 is held to the same
    relative standard as one at scale 1.
    """
    return 1e3 * LOSS_RTOL * max(prob.evaluate(t).loss_scale for t in thetas)


def check_walk(prob: LayerwiseL1Problem, kind: str = "", max_pivots: int = MAX_PIVOTS,
               time_limit: float = TIME_LIMIT) -> WalkCheck:
    """Walk ``prob`` from θ0 and check the fuzz properties; never raises for a failed property.

    Properties (each failure is a line in ``failures``):

    1. the walk raises nothing (valid input: no documented exception applies);
    2. it ends with ``local_min`` or ``inconclusive``; ``max_pivots`` (2000 on
       instances with at most a few dozen parameters: cycling) and
       ``time_limit`` (a hang) are failures;
    3. the recorded loss never increases by more than :func:`loss_slack`;
    4. a ``local_min`` carries a certificate that says so, the reported loss
       is the loss at θ, θ is a vertex (``oracle.certify_vertex``), and the
       complete MILP test (``oracle.certify_local_min(..., method="milp")``)
       agrees;
    5. the certificate's ``degenerate`` flag equals the oracle's
       (``certify_vertex(prob, θ).degenerate``), and a degenerate point was
       certified by the MILP, never by the 2n-ray test.  Both sides mean the
       same thing: more tight constraints than the rank of their gradients,
       the rank taken modulo the flat space F(θ) (lineality space plus the
       blocks of strictly dead and of disconnected neurons, ``prob.flat_basis``): the walker's
       ray certificate is issued only when the tight set is exactly the basis
       (``n - dim F`` independent rows), its MILP certificate copies the
       oracle's vertex test at θ.
    """
    out = WalkCheck(kind=kind)
    t0 = time.perf_counter()
    try:
        res = walk(prob, max_pivots=max_pivots, time_limit=time_limit)
    except Exception as exc:  # noqa: BLE001 - every exception is a finding here
        out.exception = f"{type(exc).__name__}: {exc}"
        out.failures.append(f"walk raised {out.exception}")
        out.walk_seconds = time.perf_counter() - t0
        return out
    out.walk_seconds = time.perf_counter() - t0
    out.status = res.status.value
    out.pivots = res.n_pivots
    t1 = time.perf_counter()
    try:
        _check_result(prob, res, out)
    except Exception as exc:  # noqa: BLE001 - an oracle crash on the walker's answer is a finding too
        out.exception = f"{type(exc).__name__}: {exc}"
        out.failures.append(f"checking the result raised {out.exception}")
    out.check_seconds = time.perf_counter() - t1
    return out


def _check_result(prob, res, out: WalkCheck) -> None:
    if res.status not in LEGAL_END:
        out.failures.append(f"walk ended {res.status.value} ({res.elapsed:.1f} s, n = {prob.n_params}): "
                            f"{res.message}")
    traj = res.trajectory
    out.slack = loss_slack(prob, prob.theta0, res.theta)
    if len(traj) > 1:
        out.max_loss_increase = float(np.diff(traj.loss).max())
        if out.max_loss_increase > out.slack:
            out.failures.append(f"loss increased by {out.max_loss_increase:.3g} (slack {out.slack:.3g})")
    if res.loss > res.initial_loss + out.slack:
        out.failures.append(f"final loss {res.loss!r} above the initial loss {res.initial_loss!r}")
    if res.status is not WalkStatus.LOCAL_MIN:
        return
    cert = res.certificate
    if cert is None or not cert.is_local_min:
        out.failures.append("local_min without a certificate that says so")
        return
    out.method = cert.method
    out.degenerate = bool(cert.degenerate)
    if abs(res.loss - prob.loss(res.theta)) > out.slack:
        out.failures.append(f"reported loss {res.loss!r} but the loss at theta is {prob.loss(res.theta)!r}")
    vc = oracle.certify_vertex(prob, res.theta)
    out.oracle_degenerate = bool(vc.degenerate)
    if not vc.is_vertex:
        out.failures.append(f"local_min is not a vertex: {vc.reason}")
    if bool(cert.degenerate) != bool(vc.degenerate):
        out.failures.append(f"certificate degenerate={cert.degenerate} but the oracle says {vc.reason}")
    if vc.degenerate and cert.method != "milp":
        out.failures.append(f"degenerate point certified by the {cert.method} test")
    check = oracle.certify_local_min(prob, res.theta, method="milp")
    out.milp_agrees = check.is_local_min
    if not check.is_local_min:
        out.failures.append(f"the complete test refutes the local minimum: {check.message}")
