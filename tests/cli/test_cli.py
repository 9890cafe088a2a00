"""The lpwalk command line end to end, in a temporary folder: exit codes, stdout/stderr split."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lpwalk
from lpwalk import LayerwiseL1Problem, ReLUNetwork
from lpwalk.cli import main


@pytest.fixture
def csv_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(-2, 3, size=(12, 2))
    y = X[:, 0] - 2 * X[:, 1]
    path = tmp_path / "data.csv"
    lines = ["u,target,v"] + [f"{a},{t},{b}" for (a, b), t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return path, X.astype(float), y.astype(float)


def parse_summary(text):
    rows = {}
    for line in text.strip().splitlines():
        key, value = line.split("  ", 1)
        rows[key.strip()] = value.strip()
    return rows


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lpwalk {lpwalk.__version__}"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "inspect" in out and "Exit codes" in out
    assert main(["inspect", "--help"]) == 0
    assert "--data" in capsys.readouterr().out


def test_no_subcommand_is_a_usage_error(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "SUBCOMMAND" in captured.err


def test_usage_errors(capsys, csv_file):
    path, _, _ = csv_file
    assert main(["nosuch"]) == 2
    assert main(["inspect", "--data", str(path)]) == 2  # neither --arch nor --net
    assert "one of the arguments --arch --net is required" in capsys.readouterr().err
    assert main(["inspect", "--data", str(path), "--arch", "3,1", "--net", "x.npz"]) == 2
    assert main(["inspect", "--data", str(path), "--arch", "3,1", "--layer", "x"]) == 2


def test_inspect_matches_the_model(capsys, csv_file):
    path, X, y = csv_file
    assert main(["inspect", "--data", str(path), "--target", "target", "--arch", "3,1", "--seed", "5"]) == 0
    captured = capsys.readouterr()
    rows = parse_summary(captured.out)
    prob = LayerwiseL1Problem(ReLUNetwork.random([2, 3, 1], seed=5), X, y, layer=0)
    assert rows["samples N"] == "12"
    assert rows["parameters n"].startswith(f"{prob.n_params} ")
    assert rows["constraints"].startswith(f"{prob.n_constraints} (36 activations, 12 residuals)")
    assert float(rows["loss at start"].split()[0]) == pytest.approx(prob.loss(prob.theta0), rel=1e-9)
    assert rows["tight at start"].split()[0] == str(prob.tight_set(prob.theta0).size)
    assert rows["lineality dim"] == str(prob.lineality_dim)


def test_inspect_with_net_file_and_npz_data(capsys, tmp_path):
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[-1.0, 1.0], [0.0]])
    net.save(tmp_path / "net.npz")
    y = net.forward(X)  # every residual zero at the start
    np.savez(tmp_path / "d.npz", X=X, y=y)
    code = main(["inspect", "--data", str(tmp_path / "d.npz"), "--net", str(tmp_path / "net.npz"), "--layer", "1"])
    assert code == 0
    rows = parse_summary(capsys.readouterr().out)
    assert rows["loss at start"].startswith("0 ")
    assert rows["tight at start"] == "4 (0 activations, 4 residuals)"
    assert rows["layer"].startswith("1 of 0..1 (output layer")
    assert rows["flat neurons"] == "0 strictly dead at start, 0 disconnected from the output"


def test_inspect_names_dead_and_disconnected_neurons(capsys, tmp_path):
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    # neuron 1 is dead on every sample, neuron 2 has output weight 0
    net = ReLUNetwork([[[1.0], [1.0], [1.0]], [[1.0, 1.0, 0.0]]], [[0.5, -9.0, 0.0], [0.0]])
    net.save(tmp_path / "net.npz")
    np.savez(tmp_path / "d.npz", X=X, y=X[:, 0])
    assert main(["inspect", "--data", str(tmp_path / "d.npz"), "--net", str(tmp_path / "net.npz")]) == 0
    rows = parse_summary(capsys.readouterr().out)
    assert rows["flat neurons"] == "1 [1] strictly dead at start, 1 [2] disconnected from the output"


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--arch", "3,2"], "--arch must end with the output width 1"),
        (["--arch", "3,a"], "--arch must be comma-separated positive integers"),
        (["--arch", "0,1"], "--arch widths must be positive"),
        (["--arch", "3,1", "--layer", "5"], "layer must be in 0..1, got 5"),
        (["--arch", "3,1", "--target", "nope"], r"has no column 'nope'; the columns are \['u', 'target', 'v'\]"),
        (["--net", "missing.npz"], "no such file: 'missing.npz'"),
    ],
)
def test_input_errors_are_one_line(capsys, csv_file, extra, match, monkeypatch):
    path, _, _ = csv_file
    monkeypatch.chdir(path.parent)
    assert main(["inspect", "--data", str(path), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert re.search(match, lines[0])


def test_bad_data_names_row_and_column(capsys, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,2\n3,oops\n")
    assert main(["inspect", "--data", str(path), "--arch", "1"]) == 2
    err = capsys.readouterr().err
    assert "line 3 (data row 2), column 'y': 'oops' is not a number" in err


def test_network_data_mismatch(capsys, tmp_path, csv_file):
    path, _, _ = csv_file
    ReLUNetwork.random([3, 2, 1], seed=0).save(tmp_path / "net.npz")
    assert main(["inspect", "--data", str(path), "--net", str(tmp_path / "net.npz")]) == 2
    assert "X has 2 columns but the network expects 3 inputs" in capsys.readouterr().err


def test_debug_shows_traceback(capsys, csv_file):
    path, _, _ = csv_file
    assert main(["--debug", "inspect", "--data", str(path), "--arch", "3,1", "--layer", "9"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: layer must be in 0..1, got 9" in err
    assert main(["inspect", "--debug", "--data", str(path), "--arch", "3,1", "--layer", "9"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_python_dash_m(csv_file):
    path, _, _ = csv_file
    # the lpwalk under test, whether installed or imported from the source tree
    env = {**os.environ, "PYTHONPATH": str(Path(lpwalk.__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-m", "lpwalk", "inspect", "--data", str(path), "--arch", "2,1"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "samples N" in proc.stdout and proc.stderr == ""
    proc = subprocess.run([sys.executable, "-m", "lpwalk", "inspect", "--data", "nope.csv", "--arch", "1"],
                          capture_output=True, text=True, timeout=120, cwd=path.parent, env=env)
    assert proc.returncode == 2 and proc.stderr.strip() == "error: no such file: 'nope.csv'"


@pytest.mark.skipif(shutil.which("lpwalk") is None, reason="the lpwalk console script is not installed")
def test_console_script():
    proc = subprocess.run(["lpwalk", "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == f"lpwalk {lpwalk.__version__}"
