"""Bad input at every public entry point of the Python API: a clear error, never a deep traceback.

One table per module: ``(id, call, exception type, message regex)``.  ``call``
takes the shared fixtures (a small problem, its θ0, a folder of prepared bad
files) and must raise exactly that type with a message naming the argument,
what arrived and what was expected.  Cases already pinned elsewhere
(``test_problem_unit``, ``test_network_unit``, ``test_data_unit``,
``test_lad``, ``test_walker_unit``, ``test_oracle_unit``, ``test_certificate``,
``test_analysis``) are not repeated.  Cases that need a change in
``lpwalk/walker.py`` are ``xfail(strict=True)`` with the reason.

Everything here is cheap: a 2-2-1 network on 4 samples, no MILP, no long walk.
"""

import json
import os
import pickle

import numpy as np
import pytest

from lpwalk import CertificateError, LayerwiseL1Problem, ReLUNetwork, oracle, walk
from lpwalk import analysis, studies
from lpwalk import studies_trajectory as st
from lpwalk.certificate import Certificate, from_walk, load_problem, save_problem, verify
from lpwalk.data import load_data
from lpwalk.lad import LADRegressor, lad_fit
from lpwalk.walker import line_breakpoints

NAN, INF = float("nan"), float("inf")
X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, -1.0]])
Y = np.array([0.0, 1.0, 0.0, 2.0])
NET = ReLUNetwork.random([2, 2, 1], seed=0)
PROB = LayerwiseL1Problem(NET, X, Y, layer=0)
TH = PROB.theta0
N_P, N_C = PROB.n_params, PROB.n_constraints
LOSS = [3.0, 2.0, 1.5, 1.25, 1.125]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder of bad files, and a good problem file and certificate to spoil."""
    d = tmp_path_factory.mktemp("bad")
    (d / "folder").mkdir()
    np.savez(d / "net_mismatch.npz", W0=np.ones((2, 2)), b0=np.ones(2), W1=np.ones((1, 3)), b1=np.ones(1))
    np.savez(d / "net_1d.npz", W0=np.ones(2), b0=np.ones(1))
    np.save(d / "objects.npy", np.array([{"W0": 1}], dtype=object), allow_pickle=True)
    os.replace(d / "objects.npy", d / "objects.npz")
    (d / "pickled.npz").write_bytes(pickle.dumps({"W0": np.ones((1, 2))}))
    np.savez(d / "prob_missing.npz", X=X, y=Y)
    np.savez(d / "prob_shapes.npz", W0=np.ones((2, 3)), b0=np.ones(2), W1=np.ones((1, 2)), b1=np.ones(1),
             X=X, y=Y, layer=np.array(0), train_bias=np.array(True), lpwalk_problem_version=np.array(1))
    np.savez(d / "prob_layer.npz", W0=np.ones((2, 2)), b0=np.ones(2), W1=np.ones((1, 2)), b1=np.ones(1),
             X=X, y=Y, layer=np.array(0.5), train_bias=np.array(True), lpwalk_problem_version=np.array(1))
    (d / "trunc.json").write_text('{"format": "lpwalk-certificate", "vers')
    (d / "v9.json").write_text(json.dumps({"format": "lpwalk-certificate", "version": 9}))
    (d / "list.json").write_text("[1, 2, 3]")
    (d / "binary.json").write_bytes(b"\xff\xfe\x00\x81")
    (d / "pivots_bad.csv").write_text("a,b\n1,2\n")
    from lpwalk.studies_trajectory import PIVOT_COLUMNS
    row = ["teacher", "4", "0", "local_min", "1"] + ["x"] * (len(PIVOT_COLUMNS) - 5)
    (d / "pivots_nonnum.csv").write_text(",".join(PIVOT_COLUMNS) + "\n" + ",".join(row) + "\n")
    (d / "nan.csv").write_text("a,y\n1,NaN\n")
    (d / "header_only.csv").write_text("a,b,y\n")
    np.savez(d / "data_complex.npz", X=np.ones((2, 1)) * 1j, y=np.ones(2))
    np.savez(d / "data_3d.npz", X=np.ones((2, 1, 1)), y=np.ones(2))
    return d


@pytest.fixture(scope="module")
def certified():
    """A LAD problem, a walk to its certified minimum, and the certificate."""
    lad = LayerwiseL1Problem(ReLUNetwork([np.zeros((1, 1))], [np.zeros(1)]),
                             [[0.0], [1.0], [2.0], [3.0]], [0.0, 1.0, 2.0, 10.0], layer=0)
    res = walk(lad)
    return lad, res, from_walk(lad, res)


def check(call, error, match, files, certified):
    with pytest.raises(error, match=match) as info:
        call(files, certified)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"


def table(rows):
    """``pytest.param`` per row; a 5th element is an xfail reason."""
    out = []
    for row in rows:
        ident, call, error, match = row[:4]
        marks = [pytest.mark.xfail(strict=True, reason=row[4])] if len(row) > 4 else []
        out.append(pytest.param(call, error, match, id=ident, marks=marks))
    return out


def _sweep(rows):
    return pytest.mark.parametrize("call, error, match", table(rows))


# ====================================================================== network
NETWORK = [
    ("forward X 3-D", lambda f, c: NET.forward(np.ones((2, 2, 2))), ValueError,
     r"X must be 2-dimensional, got shape \(2, 2, 2\)"),
    ("forward X str", lambda f, c: NET.forward("abc"), TypeError, "X must be a numeric array, got str"),
    ("forward X object", lambda f, c: NET.forward(np.array([[None, 1.0]], dtype=object)), TypeError,
     "X must be a numeric array, got dtype object"),
    ("forward X complex", lambda f, c: NET.forward(X * 1j), TypeError, "X must be real, got dtype complex128"),
    ("forward X inf", lambda f, c: NET.forward([[0.0, 1.0], [0.0, INF]]), ValueError,
     r"X contains NaN or inf \(first at index \(1, 1\)\)"),
    ("layer_input layer bool", lambda f, c: NET.layer_input(X, True), TypeError,
     "layer must be an integer, got bool"),
    ("with_layer wrong shape", lambda f, c: NET.with_layer(0, np.ones((3, 3)), np.ones(3)), ValueError,
     r"weights\[0\] has 3 columns but the network|weights\[1\] has 2 columns but layer 0 has 3 units"),
    ("random sizes str", lambda f, c: ReLUNetwork.random("21"), TypeError,
     "sizes must be a sequence of integers, got str"),
    ("random sizes None", lambda f, c: ReLUNetwork.random(None), TypeError,
     "sizes must be a sequence of integers, got NoneType"),
    ("random sizes float entry", lambda f, c: ReLUNetwork.random([2.5, 1]), TypeError,
     r"sizes must be integers, got 2.5 in \[2.5, 1\]"),
    ("random sizes bool entry", lambda f, c: ReLUNetwork.random([2, True]), TypeError,
     "sizes must be integers, got True"),
    ("random seed str", lambda f, c: ReLUNetwork.random([2, 1], seed="x"), TypeError,
     "seed must be None, a non-negative integer.*got str"),
    ("random seed negative", lambda f, c: ReLUNetwork.random([2, 1], seed=-1), ValueError,
     "seed must be None, a non-negative integer.*got -1"),
    ("random bias_scale NaN", lambda f, c: ReLUNetwork.random([2, 1], bias_scale=NAN), ValueError,
     "bias_scale must be a finite number, got nan"),
    ("random bias_scale negative", lambda f, c: ReLUNetwork.random([2, 1], bias_scale=-1), ValueError,
     "bias_scale must be a number >= 0, got -1.0"),
    ("save to a folder", lambda f, c: NET.save(f / "folder"), ValueError,
     "is a folder, expected a file name to write"),
    ("load mismatched shapes", lambda f, c: ReLUNetwork.load(f / "net_mismatch.npz"), ValueError,
     r"weights\[1\] has 3 columns but layer 0 has 2 units"),
    ("load 1-D weights", lambda f, c: ReLUNetwork.load(f / "net_1d.npz"), ValueError,
     r"weights\[0\] must be 2-dimensional, got shape \(2,\)"),
    ("load object arrays", lambda f, c: ReLUNetwork.load(f / "objects.npz"), ValueError,
     "could not read .*objects.npz.* as an .npz file"),
]


@_sweep(NETWORK)
def test_network(call, error, match, files, certified):
    check(call, error, match, files, certified)


# ====================================================================== problem
PROBLEM = [
    ("X 3-D", lambda f, c: LayerwiseL1Problem(NET, np.ones((4, 2, 1)), Y, 0), ValueError,
     r"X must be 2-dimensional, got shape \(4, 2, 1\)"),
    ("X object", lambda f, c: LayerwiseL1Problem(NET, np.array([[None, 1]] * 4), Y, 0), TypeError,
     "X must be a numeric array, got dtype object"),
    ("X complex", lambda f, c: LayerwiseL1Problem(NET, X * 1j, Y, 0), TypeError, "X must be real"),
    ("X inf", lambda f, c: LayerwiseL1Problem(NET, np.vstack([X[:3], [INF, 0]]), Y, 0), ValueError,
     r"X contains NaN or inf \(first at index \(3, 0\)\)"),
    ("X 1e200", lambda f, c: LayerwiseL1Problem(NET, X * 1e200, Y, 0), ValueError,
     r"the data are too large for floating point: .* reach .*e\+200 \(at most 1e\+150"),
    ("y 1e200", lambda f, c: LayerwiseL1Problem(NET, X, Y * 1e200, 0), ValueError, "too large for floating point"),
    ("weights 1e300", lambda f, c: LayerwiseL1Problem(
        ReLUNetwork([w * 1e300 for w in NET.weights], NET.biases), X, Y, 1), ValueError,
     "too large for floating point"),
    ("y scalar", lambda f, c: LayerwiseL1Problem(NET, X, 3.0, 0), ValueError,
     r"y must be 1-dimensional, got shape \(\)"),
    ("layer str", lambda f, c: LayerwiseL1Problem(NET, X, Y, "0"), TypeError, "layer must be an integer, got str"),
    ("train_bias str", lambda f, c: LayerwiseL1Problem(NET, X, Y, 0, train_bias="no"), TypeError,
     "train_bias must be True or False, got str"),
    ("phi d NaN", lambda f, c: PROB.phi(TH, np.full(N_P, NAN)), ValueError,
     r"d contains NaN or inf \(first at index 0\)"),
    ("phi d str", lambda f, c: PROB.phi(TH, "abc"), TypeError, "d must be a numeric array, got str"),
    ("phi d complex", lambda f, c: PROB.phi(TH, np.ones(N_P) * 1j), TypeError, "d must be real"),
    ("phi d 3-D", lambda f, c: PROB.phi(TH, np.ones((1, 1, N_P))), ValueError,
     r"d must have shape \(6,\) or \(K, 6\), got \(1, 1, 6\)"),
    ("phi theta NaN", lambda f, c: PROB.phi(np.full(N_P, NAN), np.ones(N_P)), ValueError,
     r"theta contains NaN or inf \(first at index 0\)"),
    ("phi_scale d inf", lambda f, c: PROB.phi_scale(TH, np.full((2, N_P), INF)), ValueError,
     r"d contains NaN or inf \(first at index \(0, 0\)\)"),
    ("is_descent_direction d short", lambda f, c: PROB.is_descent_direction(TH, np.ones(2)), ValueError,
     r"d must have shape \(6,\) or \(K, 6\), got \(2,\)"),
    ("first_layer_tangent d short", lambda f, c: PROB.first_layer_tangent(np.ones(2)), ValueError,
     r"d must have shape \(6,\) or \(K, 6\), got \(2,\)"),
    ("activation_masks sides short", lambda f, c: PROB.activation_masks(np.ones(3)), ValueError,
     r"sides must have shape \(12,\) \(one side per constraint\), got \(3,\)"),
    ("jacobian_rows sides short", lambda f, c: PROB.jacobian_rows(np.ones(3), [0]), ValueError,
     r"sides must have shape \(12,\)"),
    ("jacobian_rows sides str", lambda f, c: PROB.jacobian_rows("abc", [0]), TypeError,
     "sides must be a numeric array"),
    ("loss_gradient sides short", lambda f, c: PROB.loss_gradient(np.ones(3)), ValueError,
     r"sides must have shape \(12,\)"),
    ("coefficients ids float", lambda f, c: PROB.coefficients(np.ones(N_C), [0.5]), TypeError,
     "constraint ids must be integers, got dtype float64"),
    ("decompose_ids bool", lambda f, c: PROB.decompose_ids([True]), TypeError,
     "constraint ids must be integers, got dtype bool"),
    ("describe id too large", lambda f, c: PROB.describe(10**6), ValueError,
     r"constraint id 1000000 is out of range 0..11"),
    ("sides tight_side 5", lambda f, c: PROB.sides(TH, tight_side=5), ValueError,
     "tight_side must be \\+1, -1 or 0, got 5"),
    ("dead_neurons theta NaN", lambda f, c: PROB.dead_neurons(np.full(N_P, NAN)), ValueError,
     "theta contains NaN or inf"),
    ("network theta short", lambda f, c: PROB.network(np.ones(2)), ValueError,
     r"theta must have 6 entries \(2 neurons x 3 parameters\), got shape \(2,\)"),
    ("evaluate theta complex", lambda f, c: PROB.evaluate(TH * 1j), TypeError, "theta must be real"),
    ("tight_set theta inf", lambda f, c: PROB.tight_set(np.full(N_P, INF)), ValueError,
     r"theta contains NaN or inf \(first at index 0\)"),
]


@_sweep(PROBLEM)
def test_problem(call, error, match, files, certified):
    check(call, error, match, files, certified)


# ====================================================================== walker
WALKER = [
    ("walk max_pivots float", lambda f, c: walk(PROB, max_pivots=2.5), ValueError,
     "max_pivots must be a non-negative integer, got 2.5"),
    ("walk max_pivots str", lambda f, c: walk(PROB, max_pivots="3"), ValueError,
     "max_pivots must be a non-negative integer, got '3'"),
    ("walk max_pivots bool", lambda f, c: walk(PROB, max_pivots=True), ValueError,
     "max_pivots must be a non-negative integer, got True"),
    ("walk time_limit negative", lambda f, c: walk(PROB, time_limit=-1), ValueError,
     "time_limit must be a positive number of seconds or None, got -1"),
    ("walk time_limit NaN", lambda f, c: walk(PROB, time_limit=NAN), ValueError,
     "time_limit must be a positive number of seconds or None, got nan"),
    ("walk time_limit str", lambda f, c: walk(PROB, time_limit="1"), ValueError,
     "time_limit must be a positive number of seconds or None, got '1'"),
    ("walk theta0 str", lambda f, c: walk(PROB, theta0="abc"), TypeError, "theta0 must be a numeric array"),
    ("walk theta0 complex", lambda f, c: walk(PROB, theta0=TH * 1j), TypeError, "theta0 must be real"),
    ("walk pricing None", lambda f, c: walk(PROB, pricing=None), ValueError, "pricing must be one of"),
    ("walk max_zero_pivots str", lambda f, c: walk(PROB, max_zero_pivots="x"), TypeError,
     "max_zero_pivots must be"),
    ("walk max_zero_pivots negative", lambda f, c: walk(PROB, max_zero_pivots=-1), ValueError,
     "max_zero_pivots must be"),
    ("walk seed str", lambda f, c: walk(PROB, seed="x"), TypeError, "seed must be"),
    ("line_breakpoints prob str", lambda f, c: line_breakpoints("x", TH, TH, 1.0), TypeError,
     "prob must be a LayerwiseL1Problem, got str"),
    ("line_breakpoints t_max str", lambda f, c: line_breakpoints(PROB, TH, TH, "x"), TypeError,
     "t_max must be a number"),
    ("line_breakpoints t_max None", lambda f, c: line_breakpoints(PROB, TH, TH, None), TypeError,
     "t_max must be a number"),
    ("line_breakpoints d NaN", lambda f, c: line_breakpoints(PROB, TH, np.full(N_P, NAN), 1.0), ValueError,
     r"d contains NaN or inf \(first at index 0\)"),
    ("line_breakpoints d short", lambda f, c: line_breakpoints(PROB, TH, np.ones(2), 1.0), ValueError,
     r"d must have 6 entries \(2 neurons x 3 parameters\), got shape \(2,\)"),
    ("line_breakpoints t_max NaN", lambda f, c: line_breakpoints(PROB, TH, TH, NAN), ValueError,
     "t_max must be a positive finite number, got nan"),
]


@_sweep(WALKER)
def test_walker(call, error, match, files, certified):
    check(call, error, match, files, certified)


# ====================================================================== oracle
ORACLE = [
    ("solve_region prob str", lambda f, c: oracle.solve_region("x", TH), TypeError,
     "prob must be a LayerwiseL1Problem, got str"),
    ("solve_region theta NaN", lambda f, c: oracle.solve_region(PROB, np.full(N_P, NAN)), ValueError,
     r"theta contains NaN or inf \(first at index 0\)"),
    ("solve_region time_limit negative", lambda f, c: oracle.solve_region(PROB, TH, time_limit=-1), ValueError,
     "time_limit must be a positive number of seconds or None, got -1.0"),
    ("solve_region time_limit NaN", lambda f, c: oracle.solve_region(PROB, TH, time_limit=NAN), ValueError,
     "time_limit must be a positive number of seconds or None, got nan"),
    ("solve_region time_limit str", lambda f, c: oracle.solve_region(PROB, TH, time_limit="1"), TypeError,
     "time_limit must be a positive number of seconds or None, got str"),
    ("solve_region sides str", lambda f, c: oracle.solve_region(PROB, TH, sides="abc"), ValueError,
     r"sides must have shape \(12,\)"),
    ("solve_region sides NaN", lambda f, c: oracle.solve_region(PROB, TH, sides=np.full(N_C, NAN)), ValueError,
     r"sides must be \+1 or -1, got .*nan.* at id 0"),
    ("certify_vertex prob None", lambda f, c: oracle.certify_vertex(None, TH), TypeError,
     "prob must be a LayerwiseL1Problem, got NoneType"),
    ("certify_adjacent b NaN", lambda f, c: oracle.certify_adjacent(PROB, TH, np.full(N_P, NAN)), ValueError,
     r"b contains NaN or inf \(first at index 0\)"),
    ("certify_local_min time_limit 0", lambda f, c: oracle.certify_local_min(PROB, TH, time_limit=0),
     ValueError, "time_limit must be a positive number of seconds or None, got 0.0"),
    ("certify_local_min time_limit NaN", lambda f, c: oracle.certify_local_min(PROB, TH, time_limit=NAN),
     ValueError, "time_limit must be a positive number of seconds or None, got nan"),
    ("certify_local_min method None", lambda f, c: oracle.certify_local_min(PROB, TH, method=None), ValueError,
     "method must be 'auto', 'rays' or 'milp', got None"),
    ("certify_local_min theta str", lambda f, c: oracle.certify_local_min(PROB, "abc"), TypeError,
     "theta must be a numeric array, got str"),
    ("edge_rays theta NaN", lambda f, c: oracle.edge_rays(PROB, np.full(N_P, NAN)), ValueError,
     "theta contains NaN or inf"),
    ("global_min prob str", lambda f, c: oracle.global_min("x", box=1.0), TypeError,
     "prob must be a LayerwiseL1Problem, got str"),
    ("global_min box str", lambda f, c: oracle.global_min(PROB, box="x"), TypeError, "box must be a number, got str"),
    ("global_min box NaN", lambda f, c: oracle.global_min(PROB, box=NAN), ValueError,
     "box must be a positive finite number .*got nan"),
    ("global_min box inf", lambda f, c: oracle.global_min(PROB, box=INF), ValueError,
     "box must be a positive finite number .*got inf"),
    ("global_min time_limit 0", lambda f, c: oracle.global_min(PROB, box=1.0, time_limit=0), ValueError,
     "time_limit must be a positive number of seconds or None, got 0.0"),
    ("global_min time_limit bool", lambda f, c: oracle.global_min(PROB, box=1.0, time_limit=True), TypeError,
     "time_limit must be a positive number of seconds or None, got bool"),
    ("region_affine sides short", lambda f, c: oracle.region_affine(PROB, np.ones(2)), ValueError,
     r"sides must have shape \(12,\)"),
    ("region_affine prob str", lambda f, c: oracle.region_affine("x", np.ones(2)), TypeError,
     "prob must be a LayerwiseL1Problem"),
    ("region_violation theta NaN", lambda f, c: oracle.region_violation(PROB, np.full(N_P, NAN), np.ones(N_C)),
     ValueError, "theta contains NaN or inf"),
]


@_sweep(ORACLE)
def test_oracle(call, error, match, files, certified):
    check(call, error, match, files, certified)


def test_oracle_infinite_time_limit_means_no_limit():
    """``time_limit=inf`` is accepted as no limit (HiGHS's own default), as in ``walk``."""
    assert oracle.solve_region(PROB, TH, time_limit=INF).status.value == "optimal"


# ====================================================================== certificate
CERTIFICATE = [
    ("load truncated JSON", lambda f, c: Certificate.load(f / "trunc.json"), CertificateError,
     "trunc.json' is not a JSON document"),
    ("load unknown version", lambda f, c: Certificate.load(f / "v9.json"), CertificateError,
     "unknown certificate version 9; this lpwalk reads version 1"),
    ("load a JSON list", lambda f, c: Certificate.load(f / "list.json"), CertificateError,
     "a certificate is a JSON object, got list"),
    ("load binary", lambda f, c: Certificate.load(f / "binary.json"), CertificateError,
     "is not a JSON document"),
    ("load a folder", lambda f, c: Certificate.load(f / "folder"), CertificateError,
     "'.*folder' is a folder, expected a certificate JSON file"),
    ("load missing", lambda f, c: Certificate.load(f / "nope.json"), FileNotFoundError,
     "no such file: .*nope.json"),
    ("save to a folder", lambda f, c: c[2].save(f / "folder"), ValueError, "is a folder, expected a file name"),
    ("from_dict str", lambda f, c: Certificate.from_dict("{}"), CertificateError,
     "a certificate is a JSON object, got str"),
    ("save_problem prob str", lambda f, c: save_problem(f / "p.npz", "x"), TypeError,
     "prob must be a LayerwiseL1Problem, got str"),
    ("save_problem to a folder", lambda f, c: save_problem(f / "folder", PROB), ValueError,
     "is a folder, expected a file name"),
    ("load_problem missing arrays", lambda f, c: load_problem(f / "prob_missing.npz"), ValueError,
     r"is missing arrays \['lpwalk_problem_version', 'layer', 'train_bias', 'W0', 'b0'\]"),
    ("load_problem mismatched shapes", lambda f, c: load_problem(f / "prob_shapes.npz"), ValueError,
     "does not hold a valid problem: .*weights\\[1\\] has 2 columns but layer 0 has 2 units|"
     "does not hold a valid problem: X has 2 columns but the network expects 3 inputs"),
    ("load_problem layer not an integer", lambda f, c: load_problem(f / "prob_layer.npz"), ValueError,
     "'layer' must be an integer, got dtype float64"),
    ("load_problem pickled", lambda f, c: load_problem(f / "pickled.npz"), ValueError,
     "could not read .*pickled.npz.* as an .npz file"),
    ("load_problem folder", lambda f, c: load_problem(f / "folder"), ValueError,
     "is a folder, expected an .npz file"),
    ("from_walk prob str", lambda f, c: from_walk("x", c[1]), TypeError,
     "prob must be a LayerwiseL1Problem, got str"),
    ("from_walk result str", lambda f, c: from_walk(c[0], "x"), TypeError, "result must be a WalkResult, got str"),
    ("verify time_limit negative", lambda f, c: verify(c[2], c[0], time_limit=-1), ValueError,
     "time_limit must be a positive number of seconds or None, got -1.0"),
    ("verify cert int", lambda f, c: _raise_if_invalid(verify(3, c[0])), ValueError,
     "invalid: certificate: cert must be a Certificate, a dict or a path, got int"),
    ("verify cert folder", lambda f, c: _raise_if_invalid(verify(f / "folder", c[0])), ValueError,
     "invalid: certificate: .*is a folder, expected a certificate JSON file"),
    ("verify cert unknown version", lambda f, c: _raise_if_invalid(verify(f / "v9.json", c[0])), ValueError,
     "invalid: certificate: unknown certificate version 9"),
    ("verify problem missing arrays", lambda f, c: _raise_if_invalid(verify(c[2], f / "prob_missing.npz")),
     ValueError, r"invalid: problem: problem file .* is missing arrays \['lpwalk_problem_version'"),
    ("verify problem folder", lambda f, c: _raise_if_invalid(verify(c[2], f / "folder")), ValueError,
     "invalid: problem: .*is a folder, expected an .npz file"),
]


def _raise_if_invalid(v):
    """``verify`` never raises for bad files: turn an ``invalid`` outcome into a ValueError to match."""
    if v.status == "invalid":
        assert v.exit_code == 2
        raise ValueError(v.line())
    return v


@_sweep(CERTIFICATE)
def test_certificate(call, error, match, files, certified):
    check(call, error, match, files, certified)


def test_unreadable_certificate(tmp_path, certified, make_unreadable):
    path = tmp_path / "c.json"
    certified[2].save(path)
    make_unreadable(path)
    with pytest.raises(CertificateError, match="could not read .*c.json"):
        Certificate.load(path)
    assert verify(path, certified[0]).status == "invalid"


# ====================================================================== LAD
LAD = [
    ("lad_fit X str", lambda f, c: lad_fit("abc", Y), TypeError, "X must be a numeric array, got str"),
    ("lad_fit X 3-D", lambda f, c: lad_fit(np.ones((4, 2, 1)), Y), ValueError,
     r"X must be 2-dimensional \(n_samples, n_features\), got shape \(4, 2, 1\)"),
    ("lad_fit X complex", lambda f, c: lad_fit(X * 1j, Y), TypeError, "X must be real"),
    ("lad_fit y 2-D", lambda f, c: lad_fit(X, np.ones((4, 2))), ValueError,
     r"y must be 1-dimensional, got shape \(4, 2\)"),
    ("lad_fit X no columns", lambda f, c: lad_fit(np.ones((4, 0)), Y), ValueError, "X has no columns"),
    ("lad_fit start NaN", lambda f, c: lad_fit(X, Y, start=[NAN, 0.0]), ValueError,
     r"start contains NaN or inf \(first at index 0\)"),
    ("lad_fit start wrong length", lambda f, c: lad_fit(X, Y, start=[1.0]), ValueError,
     r"start must have 3 entries \(1 neurons x 3 parameters\), got shape \(1,\)"),
    ("lad_fit pricing", lambda f, c: lad_fit(X, Y, pricing="x"), ValueError, "pricing must be one of"),
    ("lad_fit max_pivots negative", lambda f, c: lad_fit(X, Y, max_pivots=-1), ValueError,
     "max_pivots must be a non-negative integer, got -1"),
    ("lad_fit time_limit 0", lambda f, c: lad_fit(X, Y, time_limit=0), ValueError,
     "time_limit must be a positive number of seconds or None, got 0"),
    ("lad_fit unknown option", lambda f, c: lad_fit(X, Y, bogus=1), TypeError, "unexpected keyword argument 'bogus'"),
    ("lad_fit fit_intercept str", lambda f, c: lad_fit(X, Y, fit_intercept="no"), TypeError,
     "fit_intercept must be True or False, got str"),
    ("LADRegressor.fit X NaN", lambda f, c: LADRegressor().fit(np.full((4, 1), NAN), Y), ValueError,
     r"X contains NaN or inf \(first at index \(0, 0\)\)"),
    ("LADRegressor.fit pricing", lambda f, c: LADRegressor(pricing="x").fit(X, Y), ValueError,
     "pricing must be one of"),
    ("LADRegressor.predict X NaN", lambda f, c: LADRegressor().fit(X, Y).predict(np.full((2, 2), NAN)), ValueError,
     "X contains NaN or inf"),
    ("LADRegressor.predict X 1-D", lambda f, c: LADRegressor().fit(X, Y).predict(np.ones(2)), ValueError,
     r"X must be 2-dimensional, got shape \(2,\)"),
    ("LADRegressor.score y length", lambda f, c: LADRegressor().fit(X, Y).score(X, Y[:2]), ValueError,
     r"X and y have inconsistent numbers of samples: \[4, 2\]"),
    ("LADRegressor.score y NaN", lambda f, c: LADRegressor().fit(X, Y).score(X, np.full(4, NAN)), ValueError,
     r"y contains NaN or inf \(first at index 0\)"),
    ("LADRegressor.score N = 0", lambda f, c: LADRegressor().fit(X, Y).score(np.zeros((0, 2)), np.zeros(0)),
     ValueError, "X has no rows"),
    ("LADRegressor.score unfitted", lambda f, c: LADRegressor().score(X, Y), ValueError, "not fitted yet"),
]


@_sweep(LAD)
def test_lad(call, error, match, files, certified):
    check(call, error, match, files, certified)


# ====================================================================== data
DATA = [
    ("CSV NaN cell", lambda f, c: load_data(f / "nan.csv"), ValueError, r"column 'y': 'NaN' is not finite"),
    ("CSV header only", lambda f, c: load_data(f / "header_only.csv"), ValueError, "has a header but no data rows"),
    ("CSV target missing", lambda f, c: load_data(f / "header_only.csv", target="t"), ValueError,
     r"has no column 't'; the columns are \['a', 'b', 'y'\]"),
    ("npz complex X", lambda f, c: load_data(f / "data_complex.npz"), TypeError, "X in .* must be real"),
    ("npz 3-D X", lambda f, c: load_data(f / "data_3d.npz"), ValueError, "X in .* must be 2-dimensional"),
    ("npz pickled", lambda f, c: load_data(f / "pickled.npz"), ValueError, "could not read .* as an .npz file"),
    ("npz folder", lambda f, c: load_data(f / "folder", target=None), ValueError, "is a folder"),
]


@_sweep(DATA)
def test_data(call, error, match, files, certified):
    check(call, error, match, files, certified)


def test_unreadable_npz(tmp_path, make_unreadable):
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=Y)
    make_unreadable(path)
    with pytest.raises(ValueError, match="could not read .*d.npz"):
        load_data(path)
    with pytest.raises(ValueError, match="could not read .*d.npz"):
        ReLUNetwork.load(path)


# ====================================================================== analysis
EST = analysis.early_estimates(LOSS[:4], 3)
ANALYSIS = [
    ("decrements NaN", lambda f, c: analysis.decrements([1.0, NAN, 0.0]), ValueError,
     r"loss contains NaN or inf \(first at index 1\)"),
    ("decrements str", lambda f, c: analysis.decrements("abc"), TypeError, "loss must be a numeric array, got str"),
    ("decrements 2-D", lambda f, c: analysis.decrements(np.ones((3, 3))), ValueError,
     r"loss must be 1-dimensional, got shape \(3, 3\)"),
    ("fit_decay NaN", lambda f, c: analysis.fit_decay([3.0, 2.0, NAN, 1.0], 0, 3), ValueError,
     r"loss contains NaN or inf \(first at index 2\)"),
    ("fit_decay start float", lambda f, c: analysis.fit_decay(LOSS, 0.5, 4), TypeError,
     "start must be an integer, got float"),
    ("fit_decay start bool", lambda f, c: analysis.fit_decay(LOSS, True, 4), TypeError,
     "start must be an integer, got bool"),
    ("fit_decay stop too large", lambda f, c: analysis.fit_decay(LOSS, 0, 9), ValueError,
     r"window \[0, 9\) must lie in \[0, 4\]"),
    ("trailing_fit window str", lambda f, c: analysis.trailing_fit(LOSS, "x"), TypeError,
     "window must be an integer, got str"),
    ("early_fit window negative", lambda f, c: analysis.early_fit(LOSS, -1), ValueError,
     "window must be an integer >= 0, got -1"),
    ("early_estimates window float", lambda f, c: analysis.early_estimates(LOSS, 3.7), TypeError,
     "window must be an integer, got float"),
    ("early_estimates loss inf", lambda f, c: analysis.early_estimates([3.0, 2.0, INF, 1.0], 3), ValueError,
     r"loss contains NaN or inf \(first at index 2\)"),
    ("estimate_errors fraction NaN", lambda f, c: analysis.estimate_errors(LOSS[:4], EST, [NAN]), ValueError,
     "fractions must be a finite number, got nan"),
    ("estimate_errors fraction str", lambda f, c: analysis.estimate_errors(LOSS[:4], EST, ["x"]), TypeError,
     "fractions must be a number, got str"),
    ("estimate_errors estimates None", lambda f, c: analysis.estimate_errors(LOSS[:4], None, [0.5]), TypeError,
     "estimates must be an EarlyEstimates .*got NoneType"),
    ("estimate_errors length mismatch", lambda f, c: analysis.estimate_errors(LOSS, EST, [1.0]), ValueError,
     "estimates hold 4 values but loss has 5"),
    ("estimate_errors final_loss NaN", lambda f, c: analysis.estimate_errors(LOSS[:4], EST, [0.5], final_loss=NAN),
     ValueError, "final_loss must be a finite number, got nan"),
    ("step_lengths theta 1-D", lambda f, c: analysis.step_lengths(np.ones(3)), ValueError,
     r"theta must be 2-dimensional, got shape \(3,\)"),
    ("step_lengths theta NaN", lambda f, c: analysis.step_lengths(np.full((3, 2), NAN)), ValueError,
     r"theta contains NaN or inf \(first at index \(0, 0\)\)"),
    ("step_lengths scale length", lambda f, c: analysis.step_lengths(np.ones((3, 2)), scale=np.ones(3)), ValueError,
     "scale has 3 entries but theta has 2 columns"),
    ("distance_to_final empty", lambda f, c: analysis.distance_to_final(np.ones((0, 2))), ValueError,
     "theta has no rows"),
    ("crossing_density prob str", lambda f, c: analysis.crossing_density("x", TH, 1.0), TypeError,
     "prob must be a LayerwiseL1Problem, got str"),
    ("crossing_density radius str", lambda f, c: analysis.crossing_density(PROB, TH, "x"), TypeError,
     "radius must be a number, got str"),
    ("crossing_density radius NaN", lambda f, c: analysis.crossing_density(PROB, TH, NAN), ValueError,
     "radius must be a finite number, got nan"),
    ("crossing_density n_lines float", lambda f, c: analysis.crossing_density(PROB, TH, 1.0, n_lines=2.5), TypeError,
     "n_lines must be an integer, got float"),
    ("crossing_density n_lines 0", lambda f, c: analysis.crossing_density(PROB, TH, 1.0, n_lines=0), ValueError,
     "n_lines must be an integer >= 1, got 0"),
    ("crossing_density theta NaN", lambda f, c: analysis.crossing_density(PROB, np.full(N_P, NAN), 1.0), ValueError,
     "theta contains NaN or inf"),
    ("crossing_density seed str", lambda f, c: analysis.crossing_density(PROB, TH, 1.0, seed="x"), TypeError,
     "seed must be None, a non-negative integer"),
    ("stop_vertices str", lambda f, c: analysis.stop_vertices("x"), TypeError, "trajectory must be a Trajectory, got str"),
    ("OnlineLossEstimate window str", lambda f, c: analysis.OnlineLossEstimate(window="x"), TypeError,
     "window must be an integer, got str"),
    ("OnlineLossEstimate window 2", lambda f, c: analysis.OnlineLossEstimate(window=2), ValueError,
     "window must be an integer >= 3, got 2"),
    ("OnlineLossEstimate min_r2 NaN", lambda f, c: analysis.OnlineLossEstimate(min_r2=NAN), ValueError,
     "min_r2 must be a finite number, got nan"),
    ("OnlineLossEstimate.update_loss NaN", lambda f, c: analysis.OnlineLossEstimate().update_loss(NAN), ValueError,
     "loss must be a finite number, got nan"),
    ("OnlineLossEstimate.update_loss str", lambda f, c: analysis.OnlineLossEstimate().update_loss("x"), TypeError,
     "loss must be a number, got str"),
]


@_sweep(ANALYSIS)
def test_analysis(call, error, match, files, certified):
    check(call, error, match, files, certified)


# ====================================================================== studies
RNG = np.random.default_rng(0)
STUDIES = [
    ("exact_study instances 0", lambda f, c: studies.exact_study(instances=0), ValueError,
     "instances must be an integer >= 1, got 0"),
    ("exact_study starts bool", lambda f, c: studies.exact_study(starts=True), ValueError,
     "starts must be an integer >= 1, got True"),
    ("exact_study layer 2", lambda f, c: studies.exact_study(layer=2), ValueError, "layer must be in 0..1, got 2"),
    ("exact_study layer float", lambda f, c: studies.exact_study(layer=0.5), TypeError,
     "layer must be an integer, got float"),
    ("exact_study layer bool", lambda f, c: studies.exact_study(layer=True), TypeError,
     "layer must be an integer, got bool"),
    ("exact_study noise NaN", lambda f, c: studies.exact_study(noise=NAN), ValueError,
     "noise must be a finite number, got nan"),
    ("exact_study noise negative", lambda f, c: studies.exact_study(noise=-1), ValueError,
     "noise must be a number >= 0, got -1.0"),
    ("exact_study time_limit 0", lambda f, c: studies.exact_study(time_limit=0), ValueError,
     "time_limit must be a positive number of seconds or None, got 0.0"),
    ("exact_study time_limit NaN", lambda f, c: studies.exact_study(time_limit=NAN), ValueError,
     "time_limit must be a positive number of seconds or None, got nan"),
    ("exact_study box inf", lambda f, c: studies.exact_study(box=INF), ValueError,
     "box must be a positive finite number, got inf"),
    ("exact_study box str", lambda f, c: studies.exact_study(box="x"), TypeError, "box must be a number, got str"),
    ("exact_study certify", lambda f, c: studies.exact_study(certify="x"), ValueError,
     "certify must be 'exact', 'float' or 'none', got 'x'"),
    ("exact_study seed str", lambda f, c: studies.exact_study(seed="x"), TypeError,
     "seed must be None, a non-negative integer"),
    ("make_instance rng str", lambda f, c: studies.make_instance("x", 1, 3, 10, 0, 4.0), TypeError,
     "rng must be a numpy Generator, got str"),
    ("make_instance layer 2", lambda f, c: studies.make_instance(RNG, 1, 3, 10, 2, 4.0), ValueError,
     "layer must be in 0..1, got 2"),
    ("make_instance samples 0", lambda f, c: studies.make_instance(RNG, 1, 3, 0, 0, 4.0), ValueError,
     "samples must be an integer >= 1, got 0"),
    ("make_instance box 0", lambda f, c: studies.make_instance(RNG, 1, 3, 10, 0, 0.0), ValueError,
     "box must be a number > 0, got 0.0"),
]


@_sweep(STUDIES)
def test_studies(call, error, match, files, certified):
    check(call, error, match, files, certified)


def _cfg(**kw):
    return st.StudyConfig(**kw).check()


STUDY_TRAJECTORY = [
    ("StudyConfig samples 0", lambda f, c: _cfg(samples=0), ValueError, "samples must be an integer >= 1, got 0"),
    ("StudyConfig widths 0", lambda f, c: _cfg(widths=(4, 0)), ValueError, "widths must be an integer >= 1, got 0"),
    ("StudyConfig seeds negative", lambda f, c: _cfg(seeds=(-1,)), ValueError,
     "seeds must be an integer >= 0, got -1"),
    ("StudyConfig seeds float", lambda f, c: _cfg(seeds=(0.5,)), TypeError, "seeds must be an integer, got float"),
    ("StudyConfig layer bool", lambda f, c: _cfg(layer=True), ValueError,
     "layer must be 0 \\(hidden\\) or 1 \\(output\\).*got True"),
    ("StudyConfig inputs 0", lambda f, c: _cfg(inputs=0), ValueError, "inputs must be an integer >= 1, got 0"),
    ("StudyConfig noise NaN", lambda f, c: _cfg(noise=NAN), ValueError, "noise must be a finite number, got nan"),
    ("StudyConfig time_limit 0", lambda f, c: _cfg(time_limit=0), ValueError,
     "time_limit must be a positive number of seconds or None, got 0.0"),
    ("StudyConfig time_limit None", lambda f, c: _cfg(time_limit=None), ValueError,
     "time_limit must be a positive number of seconds, got None"),
    ("StudyConfig max_pivots negative", lambda f, c: _cfg(max_pivots=-1), ValueError,
     "max_pivots must be an integer >= 1, got -1"),
    ("StudyConfig fractions 2", lambda f, c: _cfg(fractions=(0.5, 2.0)), ValueError,
     "fractions must lie in \\[0, 1\\], got 2.0"),
    ("StudyConfig radius_fraction NaN", lambda f, c: _cfg(radius_fraction=NAN), ValueError,
     "radius_fraction must be a finite number, got nan"),
    ("StudyConfig window_fraction negative", lambda f, c: _cfg(window_fraction=-1.0), ValueError,
     "window_fraction must be a number > 0, got -1.0"),
    ("run_trajectory_study cfg str", lambda f, c: st.run_trajectory_study("x"), TypeError,
     "cfg must be a StudyConfig, got str"),
    ("walk_metrics missing columns", lambda f, c: st.walk_metrics({"loss": LOSS}, st.StudyConfig()), ValueError,
     r"series misses the columns \['step_length', 'crossing_density', 'dist_to_final'\]"),
    ("read_pivots_csv missing", lambda f, c: st.read_pivots_csv(f / "nope.csv"), FileNotFoundError,
     "no such file: .*nope.csv"),
    ("read_pivots_csv folder", lambda f, c: st.read_pivots_csv(f / "folder"), ValueError,
     "is a folder, expected pivots.csv"),
    ("read_pivots_csv other CSV", lambda f, c: st.read_pivots_csv(f / "pivots_bad.csv"), ValueError,
     r"is not a pivots.csv file: missing columns \['data'"),
    ("read_pivots_csv non-numeric", lambda f, c: st.read_pivots_csv(f / "pivots_nonnum.csv"), ValueError,
     "pivots_nonnum.csv' line 2: a cell is missing or not a number"),
    ("write_study_report result str", lambda f, c: st.write_study_report("x", f / "out"), TypeError,
     "result must be a StudyResult, got str"),
]


@_sweep(STUDY_TRAJECTORY)
def test_studies_trajectory(call, error, match, files, certified):
    check(call, error, match, files, certified)
