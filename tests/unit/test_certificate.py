"""Certificate files and their verification on small hand-made instances.

Every tampering test checks the status *and* that the reason names what is
wrong; none of them may raise.
"""

import dataclasses
import json

import numpy as np
import pytest

from lpwalk import CertificateError, LayerwiseL1Problem, ReLUNetwork, walk
from lpwalk.certificate import (
    CERTIFICATE_FORMAT,
    CERTIFICATE_VERSION,
    Certificate,
    fingerprint,
    from_walk,
    load_problem,
    save_problem,
    verify,
)


def _problem(seed=0, sizes=(2, 3, 1), N=20, layer=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, sizes[0]))
    y = np.abs(X[:, 0]) + 0.1 * rng.normal(size=N)
    return LayerwiseL1Problem(ReLUNetwork.random(list(sizes), seed=seed + 1), X, y, layer=layer)


@pytest.fixture(scope="module")
def certified():
    """A nondegenerate local minimum of a hidden layer and its certificate."""
    for seed in range(10):
        prob = _problem(seed)
        res = walk(prob)
        if res.status.value == "local_min" and res.certificate.method == "rays":
            return prob, res, from_walk(prob, res)
    pytest.skip("no nondegenerate minimum among the seeds")


# ------------------------------------------------------------------ problem files
def test_problem_round_trip_keeps_fingerprint(tmp_path):
    prob = _problem(3, sizes=(2, 3, 2, 1), layer=1)
    save_problem(tmp_path / "p.npz", prob)
    back = load_problem(tmp_path / "p.npz")
    assert fingerprint(back) == fingerprint(prob)
    assert back.layer == 1 and back.train_bias and back.n_params == prob.n_params
    np.testing.assert_array_equal(back.X, prob.X)


def test_problem_round_trip_without_bias(tmp_path):
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=0), np.eye(2), [1.0, 2.0], layer=1,
                              train_bias=False)
    save_problem(tmp_path / "p.npz", prob)
    back = load_problem(tmp_path / "p.npz")
    assert not back.train_bias and fingerprint(back) == fingerprint(prob)


def test_fingerprint_sees_every_input():
    prob = _problem(0)
    fp = fingerprint(prob)
    net = prob.base_network
    X = prob.X.copy()
    X[3, 1] = np.nextafter(X[3, 1], np.inf)
    w = [a.copy() for a in net.weights]
    w[1][0, 0] += 1e-12
    variants = [
        LayerwiseL1Problem(net, X, prob.y, layer=0),
        LayerwiseL1Problem(net, prob.X, prob.y + np.eye(prob.n_samples)[0], layer=0),
        LayerwiseL1Problem(ReLUNetwork(w, net.biases), prob.X, prob.y, layer=0),
        LayerwiseL1Problem(net, prob.X, prob.y, layer=1),
        LayerwiseL1Problem(net, prob.X, prob.y, layer=0, train_bias=False),
    ]
    assert len({fp, *(fingerprint(v) for v in variants)}) == len(variants) + 1
    # the memory layout does not matter
    assert fingerprint(LayerwiseL1Problem(net, np.asfortranarray(prob.X), prob.y, layer=0)) == fp


def test_load_problem_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_problem(tmp_path / "missing.npz")
    np.savez(tmp_path / "bad.npz", W0=np.ones((1, 2)), b0=np.zeros(1))
    with pytest.raises(ValueError, match=r"missing arrays \['lpwalk_problem_version', 'layer'"):
        load_problem(tmp_path / "bad.npz")
    save_problem(tmp_path / "p.npz", _problem(0))
    arrays = dict(np.load(tmp_path / "p.npz"))
    arrays["lpwalk_problem_version"] = np.array(7)
    np.savez(tmp_path / "v7.npz", **arrays)
    with pytest.raises(ValueError, match="format version 7"):
        load_problem(tmp_path / "v7.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="could not read"):
        load_problem(tmp_path / "junk.npz")


# ------------------------------------------------------------------ certificate files
def test_certificate_round_trip(tmp_path, certified):
    prob, res, cert = certified
    cert.save(tmp_path / "c.json")
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["format"] == CERTIFICATE_FORMAT and doc["version"] == CERTIFICATE_VERSION
    assert [float.fromhex(h) for h in doc["theta_hex"]] == list(res.theta)
    assert doc["basis_labels"][0] == list(prob.constraint_label(doc["basis"][0]))
    assert len(doc["checks"]["rays"]) == 2 * prob.vertex_rank_at(res.theta)
    back = Certificate.load(tmp_path / "c.json")
    assert back == cert
    assert Certificate.from_dict(cert.to_dict()) == cert
    np.testing.assert_array_equal(back.theta_array, res.theta)


def test_from_walk_refuses_a_walk_that_did_not_end_at_a_minimum():
    prob = _problem(0)
    res = walk(prob, max_pivots=0)
    with pytest.raises(ValueError, match="status 'max_pivots'"):
        from_walk(prob, res)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(version=2), "unknown certificate version 2"),
    (lambda d: d.update(format="something"), "not an lpwalk certificate"),
    (lambda d: d.pop("basis"), "no field 'basis'"),
    (lambda d: d["theta"].__setitem__(0, d["theta"][0] + 1.0), "disagrees with theta_hex"),
    (lambda d: d.update(method="magic"), "'rays' or 'milp'"),
])
def test_malformed_certificates(tmp_path, certified, edit, match):
    prob, _, cert = certified
    doc = cert.to_dict()
    edit(doc)
    (tmp_path / "c.json").write_text(json.dumps(doc))
    with pytest.raises(CertificateError, match=match):
        Certificate.load(tmp_path / "c.json")
    v = verify(tmp_path / "c.json", prob)
    assert v.status == "invalid" and v.exit_code == 2
    assert match.split()[0] in v.reason


def test_not_json(tmp_path, certified):
    prob = certified[0]
    (tmp_path / "c.json").write_text("{nope")
    v = verify(tmp_path / "c.json", prob)
    assert v.status == "invalid" and "not a JSON document" in v.reason
    assert verify(tmp_path / "missing.json", prob).status == "invalid"


# ------------------------------------------------------------------ verification
def test_walker_certificate_is_verified_and_proved(certified):
    prob, _, cert = certified
    v = verify(cert, prob)
    assert v.status == "verified" and v.exit_code == 0 and not v.degenerate
    e = verify(cert, prob, exact=True)
    assert e.status == "proved" and e.exact and e.exit_code == 0
    assert e.strict == v.strict
    assert e.details["exact_vertex_deviation"] < 1e-12
    np.testing.assert_allclose(sorted(e.details["exact_phi"]), sorted(cert.ray_phi), rtol=1e-7, atol=1e-9)


def test_lad_certificate_is_proved():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(15, 2))
    y = X @ [1.0, -2.0] + rng.laplace(size=15)
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 1], seed=0), X, y, layer=0)
    cert = from_walk(prob, walk(prob))
    assert verify(cert, prob, exact=True).status == "proved"


def test_tampered_basis_id(certified):
    prob, _, cert = certified
    nonbasic = next(c for c in range(prob.n_constraints) if c not in cert.basis)
    basis = (nonbasic,) + cert.basis[1:]
    labels = (prob.constraint_label(nonbasic),) + cert.basis_labels[1:]
    bad = dataclasses.replace(cert, basis=basis, basis_labels=labels)
    for exact in (False, True):
        v = verify(bad, prob, exact=exact)
        assert v.status == "invalid", v.reason
        assert "basis" in v.reason


def test_tampered_basis_id_out_of_range(certified):
    prob, _, cert = certified
    bad = dataclasses.replace(cert, basis=(prob.n_constraints + 5,) + cert.basis[1:])
    v = verify(bad, prob)
    assert v.status == "invalid" and "out of range" in v.reason


def test_tampered_theta_digit(tmp_path, certified):
    prob, _, cert = certified
    doc = cert.to_dict()
    flat = prob.flat_basis(np.asarray(doc["theta"]))
    # an entry that moves the features (not of a dead neuron, not along the lineality space)
    i = next(i for i in range(prob.n_params) if np.linalg.norm(flat[i]) < 1 - 1e-9 and doc["theta"][i] != 0)
    text = repr(doc["theta"][i])
    k = next(j for j, ch in enumerate(text) if ch.isdigit() and ch != "0")
    changed = float(text[:k] + str((int(text[k]) + 1) % 10) + text[k + 1:])
    doc["theta"][i] = changed
    doc["theta_hex"][i] = changed.hex()  # a consistent edit of both forms
    for exact in (False, True):
        v = verify(doc, prob, exact=exact)
        assert v.status == "invalid" and "not the vertex of its basis" in v.reason


def test_tampered_data_and_weights(tmp_path, certified):
    prob, _, cert = certified
    save_problem(tmp_path / "p.npz", prob)
    arrays = dict(np.load(tmp_path / "p.npz"))
    for key, index in (("X", (0, 0)), ("y", (1,)), ("W1", (0, 0))):
        changed = {k: v.copy() for k, v in arrays.items()}
        raw = changed[key].view(np.uint8).reshape(-1)
        raw[8 * int(np.ravel_multi_index(index, changed[key].shape))] ^= 1  # flip one bit of one byte
        np.savez(tmp_path / f"{key}.npz", **changed)
        v = verify(cert, tmp_path / f"{key}.npz")
        assert v.status == "invalid" and "fingerprint mismatch" in v.reason


def test_constructed_non_minimum_is_refuted(certified):
    """A vertex one pivot into a walk, dressed up as a certificate of a minimum."""
    prob = certified[0]
    for pivots in range(certified[1].n_pivots):
        res = walk(prob, max_pivots=pivots)
        if prob.evaluate(res.theta).tight_ids.size == prob.vertex_rank_at(res.theta):  # a nondegenerate vertex
            break
    else:
        pytest.skip("no nondegenerate vertex on the way")
    assert res.status.value == "max_pivots"
    basis = tuple(int(b) for b in res.basis)
    good = certified[2]
    fake = dataclasses.replace(
        good, theta=tuple(res.theta), loss=float(res.loss), basis=basis,
        basis_labels=tuple(prob.constraint_label(b) for b in basis),
        ray_ids=tuple(q for q in basis for _ in (0, 1)), ray_sides=(1, -1) * len(basis),
        ray_phi=(0.0,) * (2 * len(basis)),
    )
    v = verify(fake, prob)
    e = verify(fake, prob, exact=True)
    for r in (v, e):
        assert r.status == "refuted" and r.exit_code == 1
        assert "edge ray" in r.reason and r.ray["phi"] < 0
    assert (v.ray["id"], v.ray["side"]) in {(q, s) for q, s in zip(fake.ray_ids, fake.ray_sides)}


def test_degenerate_teacher_minimum_is_verified_never_proved():
    """Realisable targets: at the teacher every residual is zero, far more than n constraints."""
    rng = np.random.default_rng(1)
    net = ReLUNetwork.random([2, 2, 1], seed=3)
    X = rng.normal(size=(12, 2))
    prob = LayerwiseL1Problem(net, X, net.forward(X), layer=0)
    res = walk(prob)
    assert res.status.value == "local_min" and res.loss <= 1e-12
    cert = from_walk(prob, res)
    assert cert.degenerate and cert.method == "milp" and cert.tight_nonbasic
    for exact in (False, True):
        v = verify(cert, prob, exact=exact)
        assert v.status == "verified" and v.degenerate
        assert "not an exact proof" in v.reason
