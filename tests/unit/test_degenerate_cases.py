"""One small hand-built instance per kind of degenerate data (DESIGN §4.5), walked and checked.

Each test builds its instance from explicit numbers (or a fixed seed), walks it
from θ0 and asserts what the tool answers: the status, the certificate's test
(``rays`` at a nondegenerate vertex, ``milp`` at a degenerate one), the
``degenerate`` flag, that the complete MILP test agrees with the local minimum,
that the flag equals the oracle's vertex test at θ (both modulo the flat space:
lineality plus strictly dead neurons), and that the walk ends well inside a
pivot cap (no cycling).  These are the instances the robustness notes cite.
"""

from __future__ import annotations

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, oracle, walk

#: far above what any instance here needs; reaching it would be cycling
PIVOT_CAP = 500


def walk_and_check(prob: LayerwiseL1Problem):
    """Walk from θ0; assert the end is a certified local minimum the oracle agrees with; return the result."""
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=60.0)
    assert res.status is WalkStatus.LOCAL_MIN, res.message
    assert res.n_pivots < PIVOT_CAP
    assert np.all(np.diff(res.trajectory.loss) <= 1e-9 * max(prob.evaluate(prob.theta0).loss_scale, 1e-300))
    cert = res.certificate
    assert cert is not None and cert.is_local_min
    milp = oracle.certify_local_min(prob, res.theta, method="milp")
    assert milp.is_local_min, milp.message
    vc = oracle.certify_vertex(prob, res.theta)
    assert vc.is_vertex, vc.reason
    assert cert.degenerate == vc.degenerate, vc.reason
    assert res.loss == pytest.approx(prob.loss(res.theta), rel=1e-12, abs=1e-12)
    return res, vc



# a 1-2-1 network whose two hidden neurons see x and -x
_W0 = np.array([[1.0], [-1.0]])
_B0 = np.array([0.5, 0.5])
_NET_121 = ReLUNetwork([_W0, np.array([[1.0, 2.0]])], [_B0, np.array([0.0])])
# a 2-2-1 network with generic weights
_NET_221 = ReLUNetwork([np.array([[1.0, -0.5], [-0.7, 0.4]]), np.array([[1.0, -1.0]])],
                       [np.array([0.1, 0.2]), np.array([0.0])])
_Y10 = np.random.default_rng(3).uniform(-2, 2, size=10)


def test_duplicated_rows_end_at_a_degenerate_vertex_certified_by_milp():
    """Five inputs, each twice (two pairs with different targets): the minimum is degenerate (6 tight, rank 4)."""
    X = np.repeat(np.array([[-1.5], [-0.5], [0.25], [1.0], [2.0]]), 2, axis=0)
    y = np.array([0.3, 1.1, 0.2, 0.2, -0.4, 0.9, 1.7, 1.7, 0.1, 0.6])
    prob = LayerwiseL1Problem(_NET_121, X, y, layer=0)
    res, vc = walk_and_check(prob)
    assert res.certificate.degenerate and res.certificate.method == "milp"
    assert (len(vc.tight), vc.rank) == (6, 4)
    assert res.loss == pytest.approx(5.12, abs=1e-9)


def test_integer_targets_with_ties_hidden_layer():
    """Integer inputs and targets (ties everywhere), first layer: a degenerate vertex (7 tight, rank 4), MILP-certified."""
    X = np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0], [-2.0], [1.0], [2.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 2.0])
    res, vc = walk_and_check(LayerwiseL1Problem(_NET_121, X, y, layer=0))
    assert res.certificate.degenerate and res.certificate.method == "milp"
    assert (len(vc.tight), vc.rank) == (7, 4)
    assert res.loss == pytest.approx(2.0, abs=1e-9)


def test_integer_targets_with_ties_output_layer():
    """The same data, output layer (LAD on the hidden features): degenerate (4 tight, rank 3), loss 2.2."""
    X = np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0], [-2.0], [1.0], [2.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 2.0])
    res, vc = walk_and_check(LayerwiseL1Problem(_NET_121, X, y, layer=1))
    assert res.certificate.degenerate and res.certificate.method == "milp"
    assert (len(vc.tight), vc.rank) == (4, 3)
    assert res.loss == pytest.approx(2.2, abs=1e-9)


_TEACHER = ReLUNetwork([np.array([[1.0, -1.0], [0.5, 1.0]]), np.array([[1.0, -2.0]])],
                       [np.array([0.2, -0.1]), np.array([0.3])])
_XT = np.random.default_rng(1).uniform(-2, 2, size=(12, 2))
_YT = _TEACHER.forward(_XT)


@pytest.mark.parametrize("layer, start", [(1, "other"), (0, "other"), (0, "teacher")])
def test_realisable_teacher_targets_reach_loss_zero_at_a_degenerate_vertex(layer, start):
    """y = teacher(x) on 12 samples: the walk reaches loss 0 (all 12 residuals tight: degenerate, MILP).

    From another layer ``layer`` (output: LAD, convex; first layer: not convex) and
    from the teacher itself (loss 0 at the start, no pivot needed).
    """
    if start == "teacher":
        student = _TEACHER
    elif layer == 1:
        student = _TEACHER.with_layer(1, np.array([[0.3, 0.4]]), np.array([-0.5]))
    else:
        student = _TEACHER.with_layer(0, np.array([[0.8, -0.6], [0.2, 1.3]]), np.array([0.0, 0.1]))
    prob = LayerwiseL1Problem(student, _XT, _YT, layer=layer)
    res, vc = walk_and_check(prob)
    assert res.loss <= 1e-12 * np.abs(_YT).sum()
    assert res.certificate.degenerate and res.certificate.method == "milp"
    assert len(vc.tight) == 12 and vc.rank == prob.n_params
    if start == "teacher":
        assert res.n_pivots == 0


def test_collinear_features_vertex_is_nondegenerate_modulo_the_lineality_space():
    """x1 = 2 x0: Λ has dimension 2 (one per neuron); the end is a nondegenerate vertex of rank n - dim Λ = 4."""
    X = np.random.default_rng(2).uniform(-2, 2, size=(10, 2))
    X[:, 1] = 2 * X[:, 0]
    prob = LayerwiseL1Problem(_NET_221, X, _Y10, layer=0)
    assert prob.lineality_dim == 2
    res, vc = walk_and_check(prob)
    assert not res.certificate.degenerate and res.certificate.method == "rays"
    assert (len(vc.tight), vc.rank, vc.vertex_rank) == (4, 4, 4)
    assert len(res.basis) == 4


@pytest.mark.parametrize("layer, lineality, rank", [(0, 2, 4), (1, 0, 3)])
def test_constant_feature(layer, lineality, rank):
    """A constant input column (collinear with the bias column): rays certificate, nondegenerate.

    First layer: Λ of dimension 2, vertex rank 4.  Output layer: the hidden
    features are not collinear, no lineality, vertex rank 3.
    """
    X = np.random.default_rng(2).uniform(-2, 2, size=(10, 2))
    X[:, 1] = 1.0
    prob = LayerwiseL1Problem(_NET_221, X, _Y10, layer=layer)
    assert prob.lineality_dim == lineality
    res, vc = walk_and_check(prob)
    assert not res.certificate.degenerate and res.certificate.method == "rays"
    assert vc.rank == vc.vertex_rank == rank


def test_fewer_samples_than_parameters():
    """N = 2 samples, n = 8 parameters (3-2-1, first layer): Λ of dimension 4, loss 0 at a nondegenerate vertex."""
    net = ReLUNetwork([np.array([[1.0, -0.5, 0.2], [-0.7, 0.4, 0.9]]), np.array([[1.0, -1.0]])],
                      [np.array([0.1, 0.2]), np.array([0.0])])
    X = np.array([[0.5, -1.0, 1.5], [-1.2, 0.3, 0.8]])
    y = np.array([0.7, -0.4])
    prob = LayerwiseL1Problem(net, X, y, layer=0)
    assert prob.lineality_dim == 4
    res, vc = walk_and_check(prob)
    assert not res.certificate.degenerate and res.certificate.method == "rays"
    assert vc.vertex_rank == 4
    assert res.loss <= 1e-12


def test_collapsed_neuron_is_pruned_and_the_walk_ends_certified():
    """Neuron 1 of the first layer starts at θ_1 = 0 (all N of its activations tight).

    The walk prunes it (a ``prune`` entry: weights 0, bias negative, same loss)
    and ends at a nondegenerate vertex modulo the flat space (the dead neuron's
    block): here every neuron ends dead, so the vertex rank is 0 and the
    certificate is the (empty) ray test.
    """
    net = ReLUNetwork([np.array([[1.0, -0.5], [0.0, 0.0]]), np.array([[1.0, -1.0]])],
                      [np.array([0.1, 0.0]), np.array([0.0])])
    X = np.random.default_rng(6).uniform(-2, 2, size=(10, 2))
    prob = LayerwiseL1Problem(net, X, _Y10, layer=0)
    assert np.all(prob.evaluate(prob.theta0).tight[1 : 2 * 10 : 2])  # neuron 1 tight on all samples
    res, vc = walk_and_check(prob)
    assert "prune" in set(res.trajectory.kind)
    assert res.loss <= res.initial_loss
    assert not res.certificate.degenerate and res.certificate.method == "rays"
    assert vc.vertex_rank == 0


@pytest.mark.parametrize("layer", [0, 1])
def test_all_units_dead_on_all_samples(layer):
    """Hidden biases -10: every unit dead on every sample.

    First layer: the loss is constant near θ0 (every direction flat), so θ0 is
    already a local minimum (0 pivots, no tight constraint, vertex rank 0).
    Output layer: the features are all zero, only the bias moves the output:
    LAD on a constant (a median), one tight residual, rank 1.
    """
    net = ReLUNetwork([np.array([[1.0, -0.5], [-0.7, 0.4]]), np.array([[1.0, -1.0]])],
                      [np.array([-10.0, -10.0]), np.array([0.0])])
    X = np.random.default_rng(2).uniform(-2, 2, size=(10, 2))
    prob = LayerwiseL1Problem(net, X, _Y10, layer=layer)
    res, vc = walk_and_check(prob)
    assert not res.certificate.degenerate and res.certificate.method == "rays"
    assert res.certificate.strict is False  # flat directions everywhere
    if layer == 0:
        assert res.n_pivots == 0 and res.loss == res.initial_loss
        assert (len(vc.tight), vc.vertex_rank) == (0, 0)
    else:
        assert (len(vc.tight), vc.vertex_rank) == (1, 1)
        assert res.loss == pytest.approx(np.abs(_Y10 - np.median(_Y10)).sum(), rel=1e-12)


# ------------------------------------------------------------------ reproducers of open walker bugs
@pytest.mark.xfail(strict=True, reason="walker bug: with y = 0 the tolerance scales vanish as theta -> 0 "
                   "(parameter_floor is 0), the approach to the vertex theta = 0 never ends")
def test_lad_with_all_targets_zero_reaches_its_vertex():
    """LAD (a linear model) on 3 samples with y = 0: θ = 0 is the unique vertex (3 residuals tight, rank 3).

    Found by the fuzz campaign (``integer_ties``).  Reaching the first vertex
    shrinks θ geometrically towards 0 (down to subnormal numbers) without ever
    calling a residual tight, until the time limit.
    """
    net = ReLUNetwork([np.array([[-0.07014481090929982, -1.4233347841116748]])], [np.array([0.11838264308243529])])
    X = np.array([[2.0, -1.0], [-2.0, 1.0], [0.0, 1.0]])
    prob = LayerwiseL1Problem(net, X, np.zeros(3), layer=0)
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=3.0)
    assert res.status is WalkStatus.LOCAL_MIN, res.message


@pytest.mark.xfail(strict=True, reason="walker bug: NumericalError 'the basis Jacobian is singular' on generic "
                   "data times 1e6 (the same data at scale 1 walk to a certified minimum)")
def test_generic_data_times_1e6_walks_without_a_singular_basis():
    """A 1-3-3-1 network, first layer, 6 generic samples scaled by 1e6 (found by the fuzz campaign, ``huge_scale``)."""
    W = [np.array([[1.3438434338879144], [0.7089643779802717], [0.46557631686970014]]),
         np.array([[-0.8445205742530744, 0.5393718539087042, -0.3791262814310431],
                   [-0.4529910193761891, 0.5285344976510549, 1.1699562413437632],
                   [-0.5999490929788881, 0.17408086676048126, 0.5566882133645127]]),
         np.array([[0.5969011267456203, -0.426353690332857, 0.05354319705720488]])]
    b = [np.array([241792.668716593, 492348.2981194968, -169106.3012381647]),
         np.array([-304623.51721748384, -115959.76971061417, 36259.96272946974]),
         np.array([-475238.16439565405])]
    X = np.array([[-1665531.9658675056], [1365804.3721128027], [1467842.2176088982], [-1519242.3689370789],
                  [884118.0085916829], [1029046.5668614664]])
    y = np.array([1581325.2893968532, 1020146.1456957484, 1634460.8459212652, 1725974.919976339,
                  1251309.6048417625, 678081.3705181549])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=0)
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=30.0)
    assert res.status is WalkStatus.LOCAL_MIN, res.message


@pytest.mark.xfail(strict=True, reason="walker bug: the walk ends with a rank-deficient basis (rank 3 of 4 "
                   "needed modulo the flat space); the MILP certifies the local minimum, but the end is not a vertex")
def test_collinear_features_walk_ends_at_a_vertex():
    """A 2-4-3-1 network, first layer, x1 = -0.5 x0 on 8 samples (found by the fuzz campaign, ``collinear_features``).

    The walk ends ``local_min`` with a MILP certificate (the MILP is right:
    the point is a local minimum), but its final basis of 4 deeper activations
    has rank 3 and ``oracle.certify_vertex`` says "not a vertex: 7 tight
    constraints of rank 3, a vertex needs rank 4".
    """
    W = [np.array([[0.40054869529452247, -1.6144394184092015], [-1.8369309194239873, -1.0275660141125929],
                   [-0.07471999580256986, -1.7687402479997232], [0.520491992699744, -0.4783660442679389]]),
         np.array([[-0.04769381125097195, -0.5493006523307654, -0.2449297547190388, -0.22044207402684057],
                   [-2.487076834136339, 0.5688757135952334, 0.0422562278612493, -0.4416626857228181],
                   [1.1753670273754415, 0.23972482433990172, 0.666091791194112, -0.5246975040949399]]),
         np.array([[0.5714770085449968, 0.033987122424022756, -0.4187598996426343]])]
    b = [np.array([0.41589673879143596, -0.13113753133919415, -0.22052286661187592, 0.32016688111463376]),
         np.array([-0.36221431296387696, -0.12660690857040502, -0.29484554082447434]),
         np.array([0.38984163886437573])]
    X = np.array([[1.5419667071534118, -0.7709833535767059], [-1.7527807098239232, 0.8763903549119616],
                  [-0.6180429495996149, 0.30902147479980746], [-0.944044558344566, 0.472022279172283],
                  [-1.3667263389100732, 0.6833631694550366], [1.3086052698573245, -0.6543026349286623],
                  [-1.7564355225146637, 0.8782177612573319], [0.8448820345921426, -0.4224410172960713]])
    y = np.array([0.5417216608806612, 1.904005081153664, 0.47821070096969054, 1.0199919104511812,
                  1.3932003391913774, -1.322275997393485, -0.6319845004406317, 1.6814870682631504])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=0)
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=30.0)
    assert res.status is WalkStatus.LOCAL_MIN
    assert oracle.certify_local_min(prob, res.theta, method="milp").is_local_min
    assert oracle.certify_vertex(prob, res.theta).is_vertex


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.xfail(strict=True, raises=ValueError, reason="walker bug: a singular basis update puts NaN into "
                   "theta (Jacobian inverse refine step), and the walk raises 'theta contains NaN or inf'")
def test_generic_data_times_1e6_walks_without_nan():
    """A 1-3-4-1 network, first layer, 3 generic samples scaled by 1e6 (found by the fuzz campaign, ``huge_scale``)."""
    W = [np.array([[-1.6151624282390735], [-1.512270294472572], [-1.070923836333478]]),
         np.array([[0.6276067361082279, -0.8474707583370692, -0.8377551596937465],
                   [-0.32057228257546583, 1.1330759384609495, -0.7490955723646096],
                   [-0.5688784944924203, 0.1578360636267529, 0.11810799130180998],
                   [0.3152442354324938, -0.4658835944864426, -0.7639008383110071]]),
         np.array([[-0.9443534513392285, 0.23300569593740456, -0.14675381152699918, 0.30177278974800853]])]
    b = [np.array([120692.79259622912, -230696.91906210344, -81382.93593095847]),
         np.array([12600.484068146177, -196066.3670152536, -165754.02585596178, -257317.24924422495]),
         np.array([-235879.38580186397])]
    X = np.array([[-1090893.374980342], [-830744.48311889], [818844.5890395064]])
    y = np.array([-1421894.9973083222, 476075.43318256474, -5787.742713912358])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=0)
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=30.0)
    assert res.status is WalkStatus.LOCAL_MIN, res.message
