"""Bad input at every ``lpwalk`` subcommand: exit code 2, one line ``error: ...`` on stderr, no traceback.

Three tables:

* input errors found while running (files, data, networks, seeds): exactly
  one stderr line starting ``error: `` that names the problem;
* option values argparse refuses (types, ranges, choices): exit 2, no
  traceback, the whole of stderr one ``error: `` line that names the option
  and points to the subcommand's ``--help``;
* ``certify`` with a bad certificate or problem file: the outcome
  ``invalid: ...`` on stdout (the documented result line) and exit 2.

Cases already pinned in ``test_cli.py``, ``test_cli_walk.py``,
``test_cli_certify.py`` and ``test_cli_study.py`` are not repeated.  Every case
stops before any walk (a few milliseconds each, in process through ``main``).
"""

import json
import os
import pickle
import re

import numpy as np
import pytest

from lpwalk import LayerwiseL1Problem, ReLUNetwork, walk
from lpwalk.certificate import from_walk, save_problem
from lpwalk.cli import main


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_bad")
    (d / "dir").mkdir()
    (d / "d.csv").write_text("a,b,y\n1,2,3\n2,1,0\n0,0,1\n")
    (d / "header_only.csv").write_text("a,b,y\n")
    (d / "nonnum.csv").write_text("a,y\n1,x\n")
    (d / "nan.csv").write_text("a,y\n1,2\n2,nan\n")
    (d / "ragged.csv").write_text("a,y\n1,2\n3\n")
    (d / "binary.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    np.savez(d / "noy.npz", X=np.ones((3, 2)))
    np.savez(d / "net_missing.npz", W0=np.ones((2, 2)))
    np.savez(d / "net_shape.npz", W0=np.ones((2, 2)), b0=np.ones(2), W1=np.ones((1, 3)), b1=np.ones(1))
    np.savez(d / "net_nan.npz", W0=np.array([[1.0, np.nan]]), b0=np.ones(1))
    (d / "pickled.npz").write_bytes(pickle.dumps({"W0": np.ones((1, 2))}))
    np.save(d / "objects.npy", np.array([{"W0": 1}], dtype=object), allow_pickle=True)
    os.replace(d / "objects.npy", d / "objects.npz")
    np.savez(d / "prob_missing.npz", X=np.ones((3, 2)), y=np.ones(3))
    prob = LayerwiseL1Problem(ReLUNetwork([np.zeros((1, 1))], [np.zeros(1)]),
                              [[0.0], [1.0], [2.0], [3.0]], [0.0, 1.0, 2.0, 10.0], layer=0)
    res = walk(prob)
    from_walk(prob, res).save(d / "cert.json")
    save_problem(d / "problem.npz", prob)
    doc = json.loads((d / "cert.json").read_text())
    (d / "trunc.json").write_text((d / "cert.json").read_text()[:200])
    (d / "v9.json").write_text(json.dumps({**doc, "version": 9}))
    (d / "nobasis.json").write_text(json.dumps({k: v for k, v in doc.items() if k != "basis"}))
    return d


def run(capsys, monkeypatch, folder, args):
    monkeypatch.chdir(folder)
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured


INPUT_ERRORS = [
    (["inspect", "--data", "dir", "--arch", "1"], r"^error: 'dir' is a folder, expected a data file$"),
    (["inspect", "--data", "header_only.csv", "--arch", "1"], r"'header_only.csv' has a header but no data rows"),
    (["inspect", "--data", "nonnum.csv", "--arch", "1"], r"line 2 \(data row 1\), column 'y': 'x' is not a number"),
    (["inspect", "--data", "nan.csv", "--arch", "1"], r"line 3 \(data row 2\), column 'y': 'nan' is not finite"),
    (["inspect", "--data", "ragged.csv", "--arch", "1"], r"line 3: 1 cells but the header has 2 columns"),
    (["inspect", "--data", "binary.csv", "--arch", "1"], r"could not read 'binary.csv' as a text CSV file"),
    (["inspect", "--data", "noy.npz", "--arch", "1"], r"'noy.npz' is missing array\(s\) \['y'\]"),
    (["inspect", "--data", "noy.npz", "--target", "y", "--arch", "1"], r"applies to CSV files only"),
    (["inspect", "--data", "d.csv", "--net", "net_missing.npz"],
     r"network file 'net_missing.npz' is missing bias arrays \['b0'\]"),
    (["inspect", "--data", "d.csv", "--net", "net_shape.npz"], r"weights\[1\] has 3 columns but layer 0 has 2 units"),
    (["inspect", "--data", "d.csv", "--net", "net_nan.npz"],
     r"weights\[0\] contains NaN or inf \(first at index \(0, 1\)\)"),
    (["inspect", "--data", "d.csv", "--net", "pickled.npz"], r"could not read 'pickled.npz' as an .npz file"),
    (["inspect", "--data", "d.csv", "--net", "objects.npz"], r"could not read 'objects.npz' as an .npz file"),
    (["inspect", "--data", "d.csv", "--net", "dir"], r"'dir' is a folder, expected an .npz file"),
    (["inspect", "--data", "d.csv", "--arch", "1", "--layer", "-1"], r"layer must be in 0\.\.0, got -1"),
    (["inspect", "--data", "d.csv", "--arch", "3,1", "--seed", "-1"],
     r"seed must be None, a non-negative integer.*got -1"),
    (["walk", "--data", "dir", "--arch", "3,1", "--out", "o"], r"'dir' is a folder, expected a data file"),
    (["walk", "--data", "d.csv", "--net", "net_shape.npz", "--out", "o"], r"weights\[1\] has 3 columns"),
    (["walk", "--data", "header_only.csv", "--arch", "3,1", "--out", "o"], r"has a header but no data rows"),
    (["lad", "--data", "header_only.csv"], r"has a header but no data rows"),
    (["lad", "--data", "nan.csv"], r"'nan' is not finite"),
    (["lad", "--data", "dir"], r"'dir' is a folder, expected a data file"),
    (["lad", "--data", "d.csv", "--out", "dir"], r"'dir' is a folder, expected a file name to write"),
    (["exact", "--seed", "-1", "--instances", "1", "--starts", "1"],
     r"seed must be None, a non-negative integer.*got -1"),
    (["study", "--seeds=-1,2", "--out", "s"], r"seeds must be an integer >= 0, got -1"),
    (["study", "--widths=4,0", "--seeds", "1", "--out", "s"], r"widths must be an integer >= 1, got 0"),
    (["demo", "--seed", "-1", "--out", "o"], r"seed must be an integer >= 0, got -1"),
]


@pytest.mark.parametrize("args, match", INPUT_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_input_error_is_one_line(capsys, monkeypatch, folder, args, match):
    code, captured = run(capsys, monkeypatch, folder, args)
    lines = [line for line in captured.err.strip().splitlines() if not line.startswith("walking")]
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert re.search(match, lines[0]), lines[0]
    assert not (folder / "o").exists() and not (folder / "s").exists()


def test_unreadable_data_file(capsys, monkeypatch, folder, tmp_path, make_unreadable):
    path = tmp_path / "locked.csv"
    path.write_text("a,y\n1,2\n")
    make_unreadable(path)
    code, captured = run(capsys, monkeypatch, folder, ["inspect", "--data", str(path), "--arch", "1"])
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: could not read")


# (argv, option named on the error line)
ARGPARSE_ERRORS = [
    (["inspect", "--data", "d.csv", "--arch", "1", "--layer", "1.5"], "--layer"),
    (["inspect", "--data", "d.csv", "--arch", "1", "--layer", "True"], "--layer"),
    (["walk", "--data", "d.csv", "--arch", "1", "--max-pivots", "1.5"], "--max-pivots"),
    (["walk", "--data", "d.csv", "--arch", "1", "--max-pivots", "-1"], "--max-pivots"),
    (["walk", "--data", "d.csv", "--arch", "1", "--time-limit", "nan"], "--time-limit"),
    (["walk", "--data", "d.csv", "--arch", "1", "--time-limit", "inf"], "--time-limit"),
    (["walk", "--data", "d.csv", "--arch", "1", "--time-limit", "-3"], "--time-limit"),
    (["walk", "--data", "d.csv", "--arch", "1", "--pricing", "greedy"], "--pricing"),
    (["walk", "--data", "d.csv", "--arch", "1", "--record", "some"], "--record"),
    (["demo", "--width", "0"], "--width"),
    (["demo", "--samples", "x"], "--samples"),
    (["demo", "--noise", "nan"], "--noise"),
    (["lad", "--data", "d.csv", "--max-pivots", "x"], "--max-pivots"),
    (["lad", "--data", "d.csv", "--time-limit", "0"], "--time-limit"),
    (["certify", "cert.json", "--problem", "problem.npz", "--time-limit", "-1"], "--time-limit"),
    (["certify", "cert.json", "--problem", "problem.npz", "--time-limit", "nan"], "--time-limit"),
    (["exact", "--instances", "0"], "--instances"),
    (["exact", "--starts", "-2"], "--starts"),
    (["exact", "--samples", "0"], "--samples"),
    (["exact", "--layer", "2"], "--layer"),
    (["exact", "--box", "nan"], "--box"),
    (["exact", "--box", "0"], "--box"),
    (["exact", "--noise", "-1"], "--noise"),
    (["exact", "--certify", "maybe"], "--certify"),
    (["study", "--seeds", "0"], "--seeds"),
    (["study", "--layer", "2"], "--layer"),
    (["study", "--time-limit", "0"], "--time-limit"),
    (["study", "--radius", "inf"], "--radius"),
    (["bench", "--sections", "nope"], "--sections"),
    (["bench", "--lad-budget", "-1"], "--lad-budget"),
]
_IDS = [" ".join(a) for a, _ in ARGPARSE_ERRORS]


@pytest.mark.parametrize("args, option", ARGPARSE_ERRORS, ids=_IDS)
def test_refused_option_exits_2_and_names_it(capsys, monkeypatch, folder, args, option):
    code, captured = run(capsys, monkeypatch, folder, args)
    assert code == 2 and captured.out == ""
    last = captured.err.strip().splitlines()[-1]
    assert re.search(rf"error: argument {re.escape(option)}\b", last), captured.err


@pytest.mark.parametrize("args, option", ARGPARSE_ERRORS, ids=_IDS)
def test_refused_option_is_one_line(capsys, monkeypatch, folder, args, option):
    code, captured = run(capsys, monkeypatch, folder, args)
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert f"(see 'lpwalk {args[0]} --help')" in lines[0]


CERTIFY_INVALID = [
    (["certify", "trunc.json", "--problem", "problem.npz"], r"^invalid: certificate: 'trunc.json' is not a JSON document"),
    (["certify", "v9.json", "--problem", "problem.npz"], r"^invalid: certificate: unknown certificate version 9"),
    (["certify", "nobasis.json", "--problem", "problem.npz"], r"^invalid: certificate: certificate has no field 'basis'"),
    (["certify", "dir", "--problem", "problem.npz"], r"^invalid: certificate: 'dir' is a folder"),
    (["certify", "nope.json", "--problem", "problem.npz"], r"^invalid: certificate: no such file: 'nope.json'"),
    (["certify", "cert.json", "--problem", "prob_missing.npz"],
     r"^invalid: problem: problem file 'prob_missing.npz' is missing arrays \['lpwalk_problem_version'"),
    (["certify", "cert.json", "--problem", "pickled.npz"], r"^invalid: problem: could not read 'pickled.npz'"),
    (["certify", "cert.json", "--problem", "dir"], r"^invalid: problem: 'dir' is a folder"),
    (["certify", "cert.json", "--problem", "d.csv"], r"^invalid: problem: could not read 'd.csv' as an .npz file"),
]


@pytest.mark.parametrize("args, match", CERTIFY_INVALID, ids=[" ".join(a) for a, _ in CERTIFY_INVALID])
def test_certify_bad_files_are_invalid(capsys, monkeypatch, folder, args, match):
    code, captured = run(capsys, monkeypatch, folder, args)
    assert code == 2 and captured.err == ""
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1 and re.search(match, lines[0]), captured.out
