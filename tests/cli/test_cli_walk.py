"""``lpwalk demo``, ``lpwalk walk`` and ``lpwalk lad`` end to end, in a temporary folder.

Small instances only (a few dozen samples): every file of the output folder is
written and loads, the printed numbers match the files and the library, input
errors are one line with exit code 2, and a stopped walk still writes its files.
"""

import csv
import dataclasses
import json
import re

import numpy as np
import pytest

import lpwalk.walker
from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus
from lpwalk.certificate import Certificate, load_problem, verify
from lpwalk.cli import demo_instance, main
from lpwalk.lad import lad_fit
from lpwalk.output import TRAJECTORY_COLUMNS

TRAJECTORY_KEYS = {"loss", "theta", "step_length", "entering", "leaving", "crossed", "kind", "pivot", "time"}
SUMMARY_KEYS = {
    "command", "instance", "settings", "problem", "status", "stop_reason", "message", "pivots",
    "breakpoints", "initial_loss", "final_loss", "initial_mean_loss", "final_mean_loss", "elapsed",
    "certificate", "versions", "certificate_error", "out", "files",
}
WALK_FILES = {"trajectory.npz", "trajectory.csv", "start_network.npz", "network.npz", "problem.npz",
              "figure.png", "summary.json"}
SMALL_DEMO = ["--samples", "30", "--width", "3", "--seed", "0", "--no-progress"]


def table(text):
    """The ``key  value`` rows printed on stdout, as a dict."""
    rows = {}
    for line in text.strip().splitlines():
        if line.strip():
            key, _, value = line.partition("  ")
            rows[key.strip()] = value.strip()
    return rows


@pytest.fixture
def csv_data(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2)).round(3)
    y = (np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.normal(size=20)).round(3)
    path = tmp_path / "data.csv"
    path.write_text("u,target,v\n" + "".join(f"{a},{t},{b}\n" for (a, b), t in zip(X, y)))
    return path, X, y


def check_output_folder(out, summary_status, certificate):
    """Every promised file exists and loads; returns (summary, trajectory arrays, csv rows)."""
    names = {p.name for p in out.iterdir()}
    assert WALK_FILES <= names
    assert ("certificate.json" in names) == certificate
    assert not any(name.endswith(".tmp") for name in names)
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["status"] == summary_status
    assert set(summary["files"]) == names & set(summary["files"]) and set(summary["files"]) <= names
    with np.load(out / "trajectory.npz", allow_pickle=False) as z:
        traj = {k: z[k] for k in z.files}
    assert set(traj) == TRAJECTORY_KEYS
    T = traj["loss"].shape[0]
    assert traj["theta"].shape == (T, summary["problem"]["n_params"])
    with open(out / "trajectory.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == TRAJECTORY_COLUMNS
    assert len(rows) == T + 1
    assert [float(r[3]) for r in rows[1:]] == traj["loss"].tolist()
    png = (out / "figure.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert summary["final_loss"] == pytest.approx(float(traj["loss"][-1]))
    assert np.all(np.diff(traj["loss"]) <= 1e-9 * max(1.0, traj["loss"][0]))
    return summary, traj, rows


# ------------------------------------------------------------------------ demo
def test_demo_writes_every_file(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", *SMALL_DEMO, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    rows = table(captured.out)
    assert "walking layer 0" in captured.err
    summary, traj, csv_rows = check_output_folder(out, "local_min", certificate=True)
    assert {"data.npz", "teacher_network.npz"} <= set(summary["files"])

    # the printed table is the summary
    assert rows["pivots"] == str(summary["pivots"])
    assert rows["breakpoints"] == f"{summary['breakpoints']} crossed"
    assert float(rows["final loss"].split()[0]) == pytest.approx(summary["final_loss"], rel=1e-9)
    assert float(rows["initial loss"].split()[0]) == pytest.approx(summary["initial_loss"], rel=1e-9)
    assert rows["status"].startswith("local_min")
    assert rows["certificate"].split()[0] == summary["certificate"]["method"]
    assert rows["degenerate"] in ("yes", "no") and rows["strict"].split()[0] in ("yes", "no", "unknown")
    assert rows["time"].endswith(" s")

    # the files describe the instance of demo_instance(seed 0)
    X, y, teacher, student = demo_instance(0, 30, 3, 2, 0.1)
    with np.load(out / "data.npz") as z:
        np.testing.assert_array_equal(z["X"], X)
        np.testing.assert_array_equal(z["y"], y)
    start = ReLUNetwork.load(out / "start_network.npz")
    for a, b in zip(start.weights + start.biases, student.weights + student.biases):
        np.testing.assert_array_equal(a, b)
    prob = load_problem(out / "problem.npz")
    assert prob.layer == 0 and prob.n_samples == 30
    final = ReLUNetwork.load(out / "network.npz")
    assert final.loss(X, y) == pytest.approx(summary["final_loss"], rel=1e-9)
    np.testing.assert_allclose(prob.loss(traj["theta"][-1]), summary["final_loss"], rtol=1e-12)
    assert traj["kind"][0] == "start" and traj["kind"][-1] == "vertex"

    # labels in the CSV name the constraint ids
    for r in csv_rows[1:]:
        if int(r[5]) >= 0:
            assert r[7] == prob.describe(int(r[5]))
            assert re.fullmatch(r"relu\(l=0, i=\d+, j=\d+\)|res\(i=\d+\)", r[7])
        else:
            assert r[7] == ""

    # the certificate is the walk's and re-checks
    cert = Certificate.load(out / "certificate.json")
    assert cert.loss == pytest.approx(summary["final_loss"], rel=1e-12)
    assert verify(out / "certificate.json", out / "problem.npz").status in ("verified", "proved")


def test_demo_record_all_and_determinism(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["demo", *SMALL_DEMO, "--out", str(a)]) == 0
    assert main(["demo", *SMALL_DEMO, "--record", "all", "--pricing", "steepest", "--out", str(b)]) == 0
    capsys.readouterr()
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert sa["final_loss"] == sb["final_loss"] and sa["pivots"] == sb["pivots"]
    with np.load(b / "trajectory.npz") as z:
        kinds = set(z["kind"].tolist())
    if sb["breakpoints"]:
        assert "breakpoint" in kinds
    assert sb["settings"]["record"] == "all"


# ------------------------------------------------------------------------ walk
def test_walk_on_csv(tmp_path, capsys, csv_data):
    path, X, y = csv_data
    out = tmp_path / "w"
    code = main(["walk", "--data", str(path), "--target", "target", "--arch", "3,1", "--seed", "1",
                 "--out", str(out), "--no-progress"])
    rows = table(capsys.readouterr().out)
    summary, _, _ = check_output_folder(out, summary_status=json.loads((out / "summary.json").read_text())["status"],
                                        certificate=(out / "certificate.json").exists())
    assert code == (1 if summary["status"] == "inconclusive" else 0)
    assert summary["problem"]["sizes"] == [2, 3, 1] and summary["problem"]["n_samples"] == 20
    assert summary["settings"]["target"] == "target"
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=1), X, y, layer=0)
    assert summary["initial_loss"] == pytest.approx(prob.loss(prob.theta0), rel=1e-12)
    assert rows["instance"].startswith(f"{path} (target 'target'), network 2-3-1")


def test_walk_output_layer_from_net_file_is_lad(tmp_path, capsys):
    """Layer L of a given network is LAD on the features: the walk's loss is lad_fit's."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(25, 2))
    y = np.sin(X[:, 0]) + X[:, 1] + 0.05 * rng.normal(size=25)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    net = ReLUNetwork.random([2, 4, 1], seed=2)
    net.save(tmp_path / "net.npz")
    out = tmp_path / "w"
    assert main(["walk", "--data", str(tmp_path / "d.npz"), "--net", str(tmp_path / "net.npz"),
                 "--layer", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    summary, _, _ = check_output_folder(out, "local_min", certificate=True)
    H = net.layer_input(X, 1)
    _, _, lad = lad_fit(H, y)
    assert summary["final_loss"] == pytest.approx(lad.loss, rel=1e-9)
    assert summary["settings"]["net"] == str(tmp_path / "net.npz")


def test_walk_pivot_limit_exits_0_and_removes_a_stale_certificate(tmp_path, capsys, csv_data):
    path, _, _ = csv_data
    out = tmp_path / "w"
    out.mkdir()
    (out / "certificate.json").write_text("{}")
    assert main(["walk", "--data", str(path), "--arch", "3,1", "--out", str(out), "--max-pivots", "1"]) == 0
    rows = table(capsys.readouterr().out)
    summary, _, _ = check_output_folder(out, "max_pivots", certificate=False)
    assert summary["pivots"] <= 1 and summary["certificate"] is None
    assert "pivot limit" in rows["status"] and rows["certificate"].startswith("none")


def _patched_walk(monkeypatch, change):
    real = lpwalk.walker.walk

    def fake(prob, **kwargs):
        return change(real, prob, **kwargs)

    monkeypatch.setattr(lpwalk.walker, "walk", fake)


def test_walk_interrupted_keeps_the_files(tmp_path, capsys, csv_data, monkeypatch):
    def walk_with_ctrl_c(real, prob, on_pivot=None, **kw):
        def ctrl_c(info):
            if on_pivot is not None:
                on_pivot(info)  # the CLI's progress line
            if info.pivot >= 2:
                raise KeyboardInterrupt

        return real(prob, on_pivot=ctrl_c, **kw)

    _patched_walk(monkeypatch, walk_with_ctrl_c)
    path, _, _ = csv_data
    out = tmp_path / "w"
    assert main(["walk", "--data", str(path), "--arch", "3,1", "--out", str(out)]) == 130
    captured = capsys.readouterr()
    assert "interrupted" in captured.err
    summary, traj, _ = check_output_folder(out, "interrupted", certificate=False)
    assert summary["pivots"] == 2 and traj["pivot"][-1] == 2
    assert table(captured.out)["status"].startswith("interrupted")


def test_walk_inconclusive_exits_1(tmp_path, capsys, csv_data, monkeypatch):
    def inconclusive(real, prob, **kw):
        res = real(prob, **kw)
        return dataclasses.replace(res, status=WalkStatus.INCONCLUSIVE, certificate=None,
                                   message="the complete test was inconclusive")

    _patched_walk(monkeypatch, inconclusive)
    path, _, _ = csv_data
    out = tmp_path / "w"
    assert main(["walk", "--data", str(path), "--arch", "3,1", "--out", str(out)]) == 1
    capsys.readouterr()
    check_output_folder(out, "inconclusive", certificate=False)


# ------------------------------------------------------------------------- lad
def test_lad_matches_lad_fit(tmp_path, capsys, csv_data):
    path, X, y = csv_data
    out = tmp_path / "lad.json"
    assert main(["lad", "--data", str(path), "--target", "target", "--out", str(out)]) == 0
    rows = table(capsys.readouterr().out)
    coef, intercept, res = lad_fit(X, y)
    assert float(rows["u"]) == pytest.approx(coef[0], abs=1e-9)
    assert float(rows["v"]) == pytest.approx(coef[1], abs=1e-9)
    assert float(rows["(intercept)"]) == pytest.approx(intercept, abs=1e-9)
    assert float(rows["loss"].split()[0]) == pytest.approx(res.loss, rel=1e-9)
    assert float(rows["mean |residual|"]) == pytest.approx(res.loss / 20, rel=1e-5)
    assert rows["pivots"] == str(res.n_pivots)
    doc = json.loads(out.read_text())
    assert doc["coef"] == pytest.approx({"u": coef[0], "v": coef[1]}, abs=1e-12)
    assert doc["loss"] == pytest.approx(res.loss, rel=1e-12) and doc["status"] == "local_min"
    # the loss is the sum of absolute residuals of the printed fit
    assert doc["loss"] == pytest.approx(np.abs(X @ coef + intercept - y).sum(), rel=1e-9)


def test_lad_without_intercept(capsys, csv_data):
    path, X, y = csv_data
    assert main(["lad", "--data", str(path), "--target", "target", "--no-intercept"]) == 0
    rows = table(capsys.readouterr().out)
    coef, _, res = lad_fit(X, y, fit_intercept=False)
    assert rows["(intercept)"].startswith("0 ")
    assert float(rows["u"]) == pytest.approx(coef[0], abs=1e-9)
    assert float(rows["loss"].split()[0]) == pytest.approx(res.loss, rel=1e-9)


# ---------------------------------------------------------------- input errors
@pytest.fixture
def bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,y\n1,2\n3,oops\n")
    return path


@pytest.mark.parametrize(
    "args, match",
    [
        (["walk", "--data", "missing.csv", "--arch", "3,1"], r"no such file: 'missing.csv'"),
        (["walk", "--data", "{csv}", "--target", "nope", "--arch", "3,1"], r"has no column 'nope'"),
        (["walk", "--data", "{bad}", "--arch", "3,1"], r"column 'y': 'oops' is not a number"),
        (["walk", "--data", "{csv}", "--arch", "3,x"], r"--arch must be comma-separated"),
        (["walk", "--data", "{csv}", "--arch", "3,2"], r"--arch must end with the output width 1"),
        (["walk", "--data", "{csv}", "--arch", "3,1", "--layer", "2"], r"layer must be in 0\.\.1, got 2"),
        (["walk", "--data", "{csv}", "--net", "nonet.npz"], r"no such file: 'nonet.npz'"),
        (["walk", "--data", "{csv}", "--arch", "3,1", "--out", "{csv}"], r"exists and is not a folder"),
        (["lad", "--data", "missing.csv"], r"no such file: 'missing.csv'"),
        (["lad", "--data", "{csv}", "--target", "nope"], r"has no column 'nope'"),
        (["lad", "--data", "{bad}"], r"'oops' is not a number"),
    ],
)
def test_input_errors_are_one_line(capsys, tmp_path, csv_data, bad_csv, monkeypatch, args, match):
    monkeypatch.chdir(tmp_path)
    args = [a.format(csv=csv_data[0], bad=bad_csv) for a in args]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [line for line in captured.err.strip().splitlines() if not line.startswith("walking")]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert re.search(match, lines[0]), lines[0]
    assert not (tmp_path / "lpwalk-out").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--samples", "0"],
        ["demo", "--noise", "-1"],
        ["demo", "--time-limit", "0"],
        ["demo", "--pricing", "fastest"],
        ["walk", "--data", "x.csv"],  # neither --arch nor --net
        ["walk", "--data", "x.csv", "--arch", "3,1", "--max-pivots", "-1"],
        ["lad"],  # --data is required
    ],
)
def test_usage_errors_exit_2(capsys, args):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "error:" in captured.err


@pytest.mark.parametrize(
    "command, options",
    [
        ("demo", ["--out", "--seed", "--samples", "--width", "--inputs", "--noise", "--max-pivots",
                  "--time-limit", "--pricing", "--record", "--progress"]),
        ("walk", ["--data", "--target", "--arch", "--net", "--layer", "--seed", "--max-pivots",
                  "--time-limit", "--pricing", "--record", "--out", "--no-progress"]),
        ("lad", ["--data", "--target", "--no-intercept", "--out"]),
    ],
)
def test_help(capsys, command, options):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for option in options:
        assert option in out
    assert main(["--help"]) == 0
    assert command in capsys.readouterr().out
