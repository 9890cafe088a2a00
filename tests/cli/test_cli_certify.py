"""``lpwalk certify`` and ``lpwalk exact`` end to end, in a temporary folder."""

import csv
import json

import numpy as np
import pytest

import lpwalk.cli_certify  # noqa: F401  (registers the subcommands)
from lpwalk import LayerwiseL1Problem, ReLUNetwork, walk
from lpwalk.certificate import from_walk, save_problem
from lpwalk.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cert")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = np.abs(X[:, 0]) + 0.1 * rng.normal(size=20)
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=1), X, y, layer=0)
    res = walk(prob)
    assert res.status.value == "local_min"
    cert = from_walk(prob, res)
    cert.save(folder / "cert.json")
    save_problem(folder / "problem.npz", prob)
    return folder, prob, cert


def test_certify_float_and_exact(files, capsys):
    folder, _, cert = files
    code = main(["certify", str(folder / "cert.json"), "--problem", str(folder / "problem.npz")])
    out = capsys.readouterr()
    assert code == 0 and out.out.startswith("verified: ")
    code = main(["certify", str(folder / "cert.json"), "--problem", str(folder / "problem.npz"), "--exact"])
    out = capsys.readouterr()
    assert code == 0
    assert out.out.startswith("proved: " if cert.method == "rays" else "verified: ")
    assert len(out.out.strip().splitlines()) == 1


def test_certify_tampered_and_missing(files, tmp_path, capsys):
    folder, prob, cert = files
    doc = json.loads((folder / "cert.json").read_text())
    doc["basis"][0] = prob.n_constraints + 3
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    code = main(["certify", str(tmp_path / "bad.json"), "--problem", str(folder / "problem.npz")])
    out = capsys.readouterr().out
    assert code == 2 and out.startswith("invalid: ") and "out of range" in out
    code = main(["certify", str(tmp_path / "none.json"), "--problem", str(folder / "problem.npz")])
    assert code == 2 and capsys.readouterr().out.startswith("invalid: ")
    assert main(["certify", str(folder / "cert.json")]) == 2  # --problem is required
    capsys.readouterr()


def test_certify_refuted_exit_code(files, tmp_path, capsys):
    folder, prob, cert = files
    for pivots in range(40):
        res = walk(prob, max_pivots=pivots)
        if res.status.value == "max_pivots" and \
                prob.evaluate(res.theta).tight_ids.size == prob.vertex_rank_at(res.theta):
            break  # a nondegenerate vertex the walk had not finished with: not a minimum
    else:
        pytest.fail("no nondegenerate non-minimal vertex on the walk")
    doc = cert.to_dict()
    basis = [int(b) for b in res.basis]
    doc.update(theta=[float(t) for t in res.theta], theta_hex=[float(t).hex() for t in res.theta],
               basis=basis, basis_labels=[list(prob.constraint_label(b)) for b in basis])
    doc["checks"]["rays"] = [{"id": b, "label": list(prob.constraint_label(b)), "side": s, "phi": 0.0}
                             for b in basis for s in (1, -1)]
    (tmp_path / "fake.json").write_text(json.dumps(doc))
    code = main(["certify", str(tmp_path / "fake.json"), "--problem", str(folder / "problem.npz"), "--exact"])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("refuted: ") and "edge ray" in out


def test_exact_study_command(tmp_path, capsys):
    code = main(["exact", "--instances", "2", "--starts", "3", "--samples", "6", "--box", "3",
                 "--out", str(tmp_path / "study")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "reach glob" in out.out and out.out.count("\n") >= 4
    with open(tmp_path / "study" / "instances.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and all(float(r["gap_min"]) >= -float(r["tolerance"]) or r["gap_min"] == "nan"
                                  for r in rows)
    with open(tmp_path / "study" / "starts.csv") as fh:
        starts = list(csv.DictReader(fh))
    assert len(starts) == 6
    assert all(s["certificate"] in ("proved", "verified") for s in starts if s["status"] == "local_min")
