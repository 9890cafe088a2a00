"""One small hand-built instance per kind of degenerate data (DESIGN §4.5), walked and checked.

Each test builds its instance from explicit numbers (or a fixed seed), walks it
from θ0 and asserts what the tool answers: the status, the certificate's test
(``rays`` at a nondegenerate vertex, ``milp`` at a degenerate one), the
``degenerate`` flag, that the complete MILP test agrees with the local minimum,
that the flag equals the oracle's vertex test at θ (both modulo the flat space:
lineality plus strictly dead and disconnected neurons), and that the walk ends well inside a
pivot cap (no cycling).  These are the instances the robustness notes cite.
"""

from __future__ import annotations

import numpy as np
import pytest

import fuzz_cases
from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, certificate, oracle, walk
from lpwalk.errors import NumericalError

#: far above what any instance here needs; reaching it would be cycling
PIVOT_CAP = 500


def walk_and_check(prob: LayerwiseL1Problem, loss_rtol: float = 1e-9):
    """Walk from θ0; assert the end is a certified local minimum the oracle agrees with; return the result.

    The loss may rise along the record by ``loss_rtol`` times the loss scale at θ0 (rounding).
    """
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=60.0)
    assert res.status is WalkStatus.LOCAL_MIN, res.message
    assert res.n_pivots < PIVOT_CAP
    assert np.all(np.diff(res.trajectory.loss) <= loss_rtol * max(prob.evaluate(prob.theta0).loss_scale, 1e-300))
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


def _disconnected_layer() -> LayerwiseL1Problem:
    """Layer 0 of a 3-1-1 network whose output weight is 0: the loss ignores the layer, the parameter floor is 0."""
    net = ReLUNetwork([np.array([[0.0, -1.0, -1.0]]), np.array([[0.0]])], [np.array([0.0]), np.array([2.0])])
    X = np.random.default_rng(4).uniform(-2, 2, size=(12, 3))
    return LayerwiseL1Problem(net, X, np.random.default_rng(6).uniform(-2, 2, size=12), layer=0)


def test_a_layer_disconnected_from_the_output_ends_at_once():
    """A zero output weight: the loss does not depend on the first layer at all.

    The whole block is flat (:meth:`LayerwiseL1Problem.disconnected_neurons`),
    so θ0 is a vertex of rank 0 and a local minimum, not strict; the walk ends
    with 0 pivots and no time limit.  Before the disconnected blocks were flat,
    the approach to a first vertex never ended: the parameter floor is 0 here
    and its tolerance scales shrank with θ.
    """
    prob = _disconnected_layer()
    assert not np.any(prob.parameter_floor)
    assert prob.disconnected_neurons.tolist() == [True]
    res, vc = walk_and_check(prob)
    assert res.n_pivots == 0 and vc.vertex_rank == 0
    assert res.loss == prob.loss(prob.theta0)
    assert not res.certificate.strict
    assert certificate.verify(certificate.from_walk(prob, res), prob, exact=True).status == "proved"


def test_a_neuron_disconnected_from_the_output_keeps_its_block():
    """A 2-3-1 network whose output ignores hidden neuron 1, on integer data.

    Neuron 1's activations are tight on every sample with ``x1 = x2`` (its
    gradient lies in its own block, which is flat): they are kept out of the
    basis, the walk never moves that block, and a vertex where one of them is
    tight is degenerate (a tight constraint constant modulo the flat space),
    certified by the complete test, which the verifier re-runs.
    """
    W0 = np.array([[1.0, 0.5], [1.0, -1.0], [-0.5, 1.0]])
    net = ReLUNetwork([W0, np.array([[1.0, 0.0, -1.0]])], [np.array([0.5, 0.0, -0.5]), np.array([0.0])])
    grid = np.array([(a, b) for a in range(-2, 3) for b in range(-2, 3)], dtype=float)
    y = np.random.default_rng(8).integers(-2, 3, size=len(grid)).astype(float)
    prob = LayerwiseL1Problem(net, grid, y, layer=0)
    assert prob.disconnected_neurons.tolist() == [False, True, False]
    assert np.count_nonzero(prob.evaluate(prob.theta0).tight[1 : 3 * len(grid) : 3]) == 5
    res, vc = walk_and_check(prob)
    assert res.n_pivots > 0
    block = slice(prob.p, 2 * prob.p)
    np.testing.assert_allclose(res.theta[block], prob.theta0[block], rtol=0, atol=1e-12)
    assert res.certificate.degenerate and res.certificate.method == "milp"
    neuron_1 = set(range(1, 3 * len(grid), 3))
    assert neuron_1 & set(prob.tight_set(res.theta).tolist()) and not neuron_1 & set(res.basis)
    flat = prob.flat_neurons(res.theta)
    assert flat[1] and vc.vertex_rank == prob.n_params - prob.p * int(flat.sum())
    ver = certificate.verify(certificate.from_walk(prob, res), prob, exact=True)
    assert ver.status == "verified" and ver.degenerate, ver.reason  # degenerate: the complete test


def test_the_approach_to_a_vertex_is_bounded():
    """A stuck approach ends with a named error, never a hang.

    Without the flat blocks of disconnected neurons (switched off here), the
    instance of :func:`test_a_layer_disconnected_from_the_output_ends_at_once`
    makes the approach shrink θ toward 0 forever; the step limit
    (:func:`lpwalk.walker.approach_step_limit`) ends it.
    """
    prob = _disconnected_layer()
    prob.__dict__["disconnected_neurons"] = np.zeros(1, dtype=bool)  # the cached property, overridden
    with pytest.raises(NumericalError, match=r"reaching a vertex: \d+ line searches without reaching rank 4"):
        walk(prob, max_pivots=PIVOT_CAP)


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
def test_lad_with_all_targets_zero_reaches_its_vertex():
    """LAD (a linear model) on 3 samples with y = 0: θ = 0 is the unique vertex (3 residuals tight, rank 3).

    Found by the fuzz campaign (``integer_ties``).  With the parameter floor
    taken from ``y`` alone (0 here), reaching the first vertex shrank θ
    geometrically towards 0 (down to subnormal numbers) without ever calling a
    residual tight, until the time limit; the floor now takes the output's unit
    from the network at θ0 as well (``LayerwiseL1Problem.parameter_floor``).
    """
    net = ReLUNetwork([np.array([[-0.07014481090929982, -1.4233347841116748]])], [np.array([0.11838264308243529])])
    X = np.array([[2.0, -1.0], [-2.0, 1.0], [0.0, 1.0]])
    prob = LayerwiseL1Problem(net, X, np.zeros(3), layer=0)
    res = walk(prob, max_pivots=PIVOT_CAP, time_limit=3.0)
    assert res.status is WalkStatus.LOCAL_MIN, res.message


def assert_walks_like_the_rescaled(prob: LayerwiseL1Problem, res, s: float):
    """The same problem with ``X``, ``y`` and every bias times ``s`` ends certified at the loss times ``s``."""
    other = walk(fuzz_cases.rescaled(prob, s), max_pivots=PIVOT_CAP, time_limit=60.0)
    assert other.status is WalkStatus.LOCAL_MIN, other.message
    slack = fuzz_cases.loss_slack(prob, prob.theta0, res.theta)
    assert abs(other.loss - s * res.loss) <= s * slack


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_generic_data_times_1e6_walks_without_a_singular_basis():
    """A 1-3-3-1 network, first layer, 6 generic samples scaled by 1e6 (found by the fuzz campaign, ``huge_scale``).

    It raised NumericalError "the basis Jacobian is singular".  A long step
    met a layer-0 activation and a deeper activation of the same sample at
    the same point (neuron 1 of layer 1 is identically zero on the region the
    sample enters); rounding, which the factor 1e6 changes, put the deeper
    one first, and the pivot took its row in the sides past the layer-0 one,
    where that row is a combination of the rows held at zero: the
    Sherman–Morrison denominator of the row replacement was -2e-16.  The
    entering row is now taken in the sides the group of simultaneous
    crossings started from, the entering member is the lowest id (not the
    first in rounded time), and a denominator that is zero within rounding
    refactorises ``J`` (``_Walk.apply_rank_one``) instead of dividing by it.
    """
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
    res, _ = walk_and_check(prob)
    assert res.status is WalkStatus.LOCAL_MIN, res.message
    assert_walks_like_the_rescaled(prob, res, 1e-6)


def test_collinear_features_walk_ends_at_a_vertex():
    """A 2-4-3-1 network, first layer, x1 = -0.5 x0 on 8 samples (found by the fuzz campaign, ``collinear_features``).

    The walk used to end ``local_min`` (the MILP was right) with a final basis
    of 4 deeper activations of rank 3: "not a vertex: 7 tight constraints of
    rank 3, a vertex needs rank 4".  A long step stopped at a group of
    simultaneous crossings, a layer-0 activation and a deeper activation of
    the same sample, and the deeper one entered with the sides past the group,
    in which its row is a combination of the rows held at zero.
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


def test_teacher_targets_walk_keeps_the_basis_jacobian_consistent():
    """A 1-4-4-1 network, second hidden layer, realisable teacher targets (fuzz campaign ``teacher-0``).

    The walk reaches loss ≈ 0 at a vertex with about 100 tight constraints and
    pivots there by zero-length steps.  It used to raise NumericalError "the
    basis Jacobian is singular": the Newton step that puts the basic
    constraints back on zero (``_Walk.refine``, an ill-conditioned ``J``) moved
    a tight non-basic activation off its side, and ``sync_sides`` changed that
    side without changing the basic residual rows that depend on it, so ``J``
    stopped being the basis Jacobian and later rank-one updates made it singular.
    """
    W = [np.array([[-1.2695102045482192], [-0.7058526296628261], [-1.208237966790081], [-2.9325818355506166]]),
         np.array([[0.19752808259557947, 0.6576341844826494, 0.38330205341719353, -0.4594425567093311],
                   [0.4657152976711651, -0.9672844509715579, -0.19031876194123193, 0.08928475317223086],
                   [-0.12917675134774317, -0.40606666763780574, -0.5401440724713107, -0.25480259685457124],
                   [-0.37788427226566973, -1.1669198176308786, 1.0336734921332331, 0.5700441284355171]]),
         np.array([[0.5955005211120934, 0.1375134686935521, 0.3482104577042303, 0.048946520922390296]])]
    b = [np.array([-0.3208924561778248, 0.4899214316476954, 0.2463701769482871, 0.009026149775946624]),
         np.array([0.45441987710870446, 0.4468784978450715, 0.18259401683152698, -0.08340488711970928]),
         np.array([-0.11480797289283762])]
    X = np.array([[1.4360200993041938], [1.487225988238131], [1.0613564293699875], [-1.9074400920438004],
                  [0.013367150928093263], [-0.36610080515825283], [-0.8850150734871911], [-0.8574452254895975],
                  [1.6433137589439366], [-1.1953174896513388], [-0.5982390039537182], [-0.6123841464953723],
                  [0.922899139863048], [0.02807672305580633], [1.6265216496625459], [1.3630203164164665],
                  [-1.9446506595950326], [-0.6658807025132787], [-1.8618254365496196], [-0.2634375627404175],
                  [1.4713038653909751], [1.4782333103086764], [1.425413987870066], [-0.44474260895248907],
                  [1.0385516849010767], [-0.5114299573413263], [-0.48454405594448735], [-1.1030860277052108],
                  [1.3728650838623624], [-1.975780994953181], [-0.05806284188011146], [0.07841014002203606],
                  [1.1452232737007408], [1.448134254280928], [-0.4195830752543013], [-0.8054673635379888]])
    y = np.array([-0.05852302491264785, -0.05852302491264785, -0.05852302491264785, 0.031862159670779544,
                  -0.02995866337032431, -0.03355443644397771, -0.011530988784994159, -0.012701091712201074,
                  -0.05852302491264785, 0.0016386799598152035, -0.023702166458636223, -0.023101826816023976,
                  -0.05852302491264785, -0.03156254583967792, -0.05852302491264785, -0.05852302491264785,
                  0.03344142822599705, -0.02083135812147384, 0.029926209863514186, -0.037911608107751474,
                  -0.05852302491264785, -0.05852302491264785, -0.05852302491264785, -0.030216768248327835,
                  -0.05852302491264785, -0.027386463867822827, -0.02852753914425467, -0.0022757523436620908,
                  -0.05852302491264785, 0.03476264321893732, -0.03111361920034976, -0.037050733014252935,
                  -0.05852302491264785, -0.05852302491264785, -0.03128457406394136, -0.014907104905485413])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=1)
    res, vc = walk_and_check(prob)
    assert res.certificate.degenerate and res.certificate.method == "milp"
    assert vc.rank == vc.vertex_rank == len(res.basis)
    assert res.loss <= 1e-9 * prob.evaluate(prob.theta0).loss_scale  # the teacher's loss, 0, up to rounding


def test_mixed_scale_features_walk_ends_at_a_vertex():
    """A 1-4-3-1 network, second hidden layer, inputs of size 1e4 and targets of size 1 (fuzz campaign ``mixed_scales-0``).

    The hidden features are nearly collinear (the first layer's kinks sit close
    to 0 on the scale of the inputs), the walk grows weights of size 1e4 and
    the basis Jacobian is ill-conditioned.  The walk used to end ``local_min``
    (MILP) at a point that is not a vertex ("12 tight constraints of rank 7, a
    vertex needs rank 8"): the refine step moved a tight non-basic activation
    off its side and ``sync_sides`` changed its side without changing the basic
    residual row of the same sample, so the pivots that followed built a
    singular basis.  The loss may rise by rounding of that ill-conditioned
    refine step (the fuzz campaign's slack, ``1e3 * LOSS_RTOL``).
    """
    W = [np.array([[1.7350515623670864], [-0.6905253341767851], [0.9506101196490829], [0.7716265724056415]]),
         np.array([[0.23209036311572365, -0.08633478144654945, 1.1304016066492433, 0.20843870806414522],
                   [0.8027554842283434, -0.1514278482518178, 0.8800276889248395, -0.3100117410273661],
                   [-2.1094293972959477, -1.056269142433077, 1.0674176274107232, 0.22636864951630783]]),
         np.array([[0.11796743886420524, -0.7930302119722761, 0.898718712603616]])]
    b = [np.array([-0.040275499710871854, 0.20440709677471292, -0.11059265517419092, -0.0027876398217546727]),
         np.array([-0.43237250161656426, 0.2688623824471579, 0.11534856355810075]),
         np.array([-0.03517685234308443])]
    X = np.array([[490.7564871492612], [5724.025871418001], [-4569.741023576894], [-8754.161473309949],
                  [1767.6086465321096], [4922.563843673648], [-3980.623563291509], [-1239.772184880755],
                  [379.3782788518411], [-4585.6415215486095], [-2233.5391038039224], [5104.018067045499],
                  [8481.37062879262], [2499.501172739596], [-8706.039289433078], [3244.0397633188068],
                  [8555.702565563077], [-7904.663028332122], [-2038.862438762682], [-9848.167759605789],
                  [-9974.287728903992], [-8707.040241731636], [7977.910611469096], [2478.508756445078],
                  [7595.127942865737], [5458.872578669567], [9672.761624010722], [-8013.075945350684],
                  [-602.8815806562498], [9735.650463148018], [-7639.338528344571], [9042.646040496988],
                  [-3753.539338493245], [-521.7639301169233], [-6504.178124143299], [3080.4007542726827],
                  [-1328.729397016886]])
    y = np.array([1.7196227977270069, -1.8072509011056663, 1.7785195888323355, 0.1500347074296995,
                  -0.09526109458773346, -1.9332347929153637, 1.5505152066208763, -0.0872110956101615,
                  1.3170610133961809, -0.9062899449056738, 1.749502137572752, 1.1667324956122807,
                  0.049427890099145166, 0.10803631287331772, -1.92513946214155, -0.19793947548230584,
                  1.6500782647318015, -0.22209692226353583, -1.7291666511014134, 1.5918960025039266,
                  0.548719549766767, -1.9389633379769449, -1.7955887450982542, 1.2113286819343196,
                  -1.8424753415228126, 0.9094339605150972, -1.2192695705255447, 0.39463368687737166,
                  1.935914129912061, -1.1871659428991292, -1.4966754494958106, 0.41375691811893356,
                  0.5532768204654648, 1.485466951994744, -1.382271459938078, -0.8045513806855098,
                  1.4177333256103783])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=1)
    res, vc = walk_and_check(prob, loss_rtol=1e-6)
    assert res.certificate.degenerate and res.certificate.method == "milp"
    assert vc.rank == vc.vertex_rank == len(res.basis)


def test_lad_with_all_targets_zero_has_a_parameter_floor_from_the_network():
    """LAD through the origin, y = 0, 3 integer samples (fuzz campaign ``integer_ties-0``: a 60 s hang).

    The same instance as :func:`test_lad_with_all_targets_zero_reaches_its_vertex`,
    held to every check: θ = 0 is reached without a pivot, a nondegenerate
    vertex (3 residuals tight, rank 3), loss 0.  The tolerance floor is not 0
    (its unit of output comes from the network's output at θ0 when y has none)
    and it is unit-consistent: with X, y and the bias times s, the weights'
    floor stays and the bias's scales by s.
    """
    W = [np.array([[-0.07014481090929982, -1.4233347841116748]])]
    b = [np.array([0.11838264308243529])]
    X = np.array([[2.0, -1.0], [-2.0, 1.0], [0.0, 1.0]])
    y = np.array([0.0, 0.0, 0.0])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=0)
    floor = prob.parameter_floor
    assert np.all(floor > 0)
    s = 2.0**-30
    scaled = LayerwiseL1Problem(ReLUNetwork(W, [b[0] * s]), X * s, y * s, layer=0)
    assert np.array_equal(scaled.parameter_floor, floor * np.array([1.0, 1.0, s]))
    res, vc = walk_and_check(prob)
    assert res.n_pivots == 0 and res.loss <= 1e-12
    assert not res.certificate.degenerate and res.certificate.method == "rays"
    assert (len(vc.tight), vc.rank, vc.vertex_rank) == (3, 3, 3)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_generic_data_times_1e6_walks_without_nan():
    """A 1-3-4-1 network, first layer, 3 generic samples scaled by 1e6 (found by the fuzz campaign, ``huge_scale``).

    The walk raised ValueError "theta contains NaN or inf": at the first
    pivot a layer-0 activation and a deeper one of the same sample (sample 2)
    met zero together, the deeper one entered with its row taken past the
    layer-0 one, a combination of the rows held at zero, and the
    Sherman–Morrison row replacement divided by a denominator of exactly 0
    (NaN in ``J^{-1}``, then in the Newton step of ``_Walk.refine``).  At
    scale 1 the denominator rounded to -2e-16 instead, and the walk reported
    a local minimum the complete test refutes.  No RuntimeWarning (division
    by zero) may be raised now.
    """
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
    res, _ = walk_and_check(prob)
    assert res.status is WalkStatus.LOCAL_MIN, res.message
    assert_walks_like_the_rescaled(prob, res, 1e-6)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_generic_data_times_1e6_never_increases_the_loss():
    """A 1-4-2-1 network, first layer, 36 generic samples scaled by 1e6 (fuzz campaign ``huge_scale-2``).

    The loss rose by 1.25e6 in one pivot (slack 1.3e5) and the walk ended
    above its start.  At pivot 3 a long step stopped at a layer-0 activation
    and a deeper one of the same sample meeting zero together, the deeper one
    entered with its row taken past the layer-0 one, nearly a combination of
    the rows held at zero (Sherman–Morrison denominator -3e-16 of its scale):
    ``J^{-1}`` kept no correct digit, the next ray was not an edge ray (its
    basic constraints moved while the slope took them as held), and the step
    along it raised the loss.  Now the entering row is taken in the sides the
    group started from, a rank-one update with a denominator zero within
    rounding refactorises ``J``, and a step whose stop has a higher loss is
    dropped (``walk``: refactorise and price again) instead of being taken.
    """
    W = [np.array([[0.2601052310791425], [-0.7057727582852648], [0.36626258927163174], [-0.46249939565839565]]),
         np.array([[-0.18577916998610025, -0.23446996533871173, -0.14059010682442177, -0.010144823514713857],
                   [-0.2039561497431406, -1.2490243910981642, 0.24662273941399868, 0.2871558082325478]]),
         np.array([[-1.7043011441714142, -0.06140216123295405]])]
    b = [np.array([207161.03271605878, -144172.55963828, -326568.6023820274, -157448.4798943463]),
         np.array([-366507.9358379423, 59377.83647356221]),
         np.array([23791.430839329776])]
    X = np.array([[757621.7439626887], [-1619532.155484768], [-653604.8228476164], [899811.2974120281],
                  [194895.10796112075], [1989533.2594688884], [610150.4623684346], [703386.8740457088],
                  [1025595.6517881098], [382592.25780985993], [-77651.68361005337], [136160.53065229926],
                  [1779570.0640434204], [-1646692.5224480904], [1524881.5786717657], [-162272.11320568103],
                  [-1186046.879059692], [590310.5116703067], [1911496.998673278], [5836.751475361002],
                  [-850230.3519963066], [1766641.6501289892], [1547269.4794490666], [748663.1014909153],
                  [-366318.5766888799], [1798600.4677855626], [-718035.5591936474], [-1149011.003400301],
                  [538174.1786957091], [1178007.0856972577], [-1768605.7702836276], [-1356049.218963565],
                  [1818367.8585619712], [128942.20345407791], [-180307.30702539044], [1238078.2444849552]])
    y = np.array([-843595.5547982523, 975912.5186802642, 1207393.2287042122, -1198968.895177513,
                  -1520932.7888014093, -694431.6936604511, 479517.57218605094, 1335595.5514036983,
                  1287450.3527739746, 681894.3008222904, 395351.200251453, -1527024.3267185695,
                  -796566.2837259631, -1488795.1338592367, 1015326.7628223008, -549118.5291314644,
                  1585880.050904029, -272593.14961829915, -1334720.8604935089, -897911.0198493267,
                  -652473.8449720009, 1457038.2882434467, 1854153.2956979303, -164087.30750237676,
                  1919680.750995516, 1266661.935628825, 1169227.1242797205, -389253.60377798503,
                  -1063071.73903949, 42538.87595710815, 282890.7101755238, -167029.70480819745, 810958.33718022,
                  969027.3291739956, 503123.53516630636, -556382.3772670093])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=0)
    res, _ = walk_and_check(prob)  # the loss rises nowhere along the record beyond 1e-9 of its scale
    assert res.loss < res.initial_loss
    assert_walks_like_the_rescaled(prob, res, 1e-6)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_generic_data_times_1e_minus_6_walks_without_nan():
    """A 1-4-2-1 network, first layer, 31 generic samples scaled by 1e-6 (fuzz campaign ``tiny_scale-0``).

    The walk raised ValueError "theta contains NaN or inf" at its second
    pivot: the same simultaneous crossing as in the 1e6 cases above (a
    layer-0 activation and a deeper one of sample 25), an entering row taken
    past the group, a Sherman–Morrison denominator of exactly 0.
    """
    W = [np.array([[0.488729851359769], [1.161943521631142], [0.46730859464945773], [-1.8429426308394639]]),
         np.array([[0.6401832727115854, 0.3156344870678377, -0.37968327390331397, 0.41091255214751204],
                   [0.2577916135766028, 0.20798308295245196, 0.02009755957092037, 0.3865844601964114]]),
         np.array([[-0.7364540870016669, -0.16290994799305278]])]
    b = [np.array([-2.1959124201396006e-07, -1.4809025568364941e-08, 4.807371998012386e-07,
                   4.6165719366378674e-07]),
         np.array([2.2478994077353363e-07, 4.122685554743422e-08]),
         np.array([-2.2310879595462917e-07])]
    X = np.array([[-1.3573919648994924e-06], [1.8797016528645301e-06], [6.427434219151484e-08],
                  [-1.5365375501169186e-06], [4.939590221500017e-07], [1.1067324573691918e-06],
                  [4.520132042121618e-07], [1.6691908191636106e-06], [-1.8416284933431885e-06],
                  [1.1435705304008658e-07], [-1.626564684583851e-07], [-1.7506016834004976e-06],
                  [5.653126765574998e-07], [1.4105313539226268e-06], [3.7176407241713603e-07],
                  [-9.596102090511072e-07], [1.3595260841256351e-06], [3.7983526086037496e-08],
                  [4.355553786613209e-08], [1.0121208308087115e-06], [-1.4083118568601738e-06],
                  [1.278506876477108e-06], [7.331476240130285e-07], [1.148387766219204e-06],
                  [-1.233534963919459e-06], [1.2094566445381201e-06], [-1.2347042957711988e-06],
                  [-1.673789530545949e-06], [1.4209078971482807e-06], [1.4451339847106735e-06],
                  [1.506148385666322e-06]])
    y = np.array([-1.1236112256483909e-07, -9.038064455451269e-07, -1.971632685587335e-06,
                  5.828835822997913e-07, 8.796375340347722e-07, 1.3422768660010965e-06, -8.724886905418314e-07,
                  -1.1391273313481055e-06, 5.573255202663514e-07, 1.2202193325800386e-06,
                  1.8546834913798834e-06, -1.39790067831529e-06, -7.115044720265384e-08, 1.5788634487846939e-06,
                  -3.0913237221825084e-07, 3.5800824833619236e-07, -1.9020372900265472e-06,
                  6.938395486117556e-07, 1.6763544785352899e-06, 1.3073013182268842e-06, 1.542081066839787e-06,
                  6.414215220820933e-07, -1.0177909310272895e-06, 1.0740679955850173e-06,
                  -1.153301029569958e-06, 1.3250993386578447e-06, -1.749128309716927e-06,
                  1.3019512535742232e-06, -1.3419709341035947e-06, -4.994120140134326e-07,
                  -7.330473337721428e-07])
    prob = LayerwiseL1Problem(ReLUNetwork(W, b), X, y, layer=0)
    res, _ = walk_and_check(prob)
    assert_walks_like_the_rescaled(prob, res, 1e6)
