"""The benchmark's quick mode runs end to end in a temporary folder and writes what it promises.

No timing is asserted (the machine is shared); only files, table columns and
the exactness of the LAD contenders' objectives.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lpwalk.bench import FIRST_LAYER_COLUMNS, LAD_COLUMNS, SCALING_COLUMNS
from lpwalk.cli import main

ROOT = Path(__file__).resolve().parents[1]
FILES = ("bench.md", "bench.png", "bench_lad.csv", "bench_first_layer.csv", "bench_scaling.csv")


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    return out


def read_csv(path):
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def test_every_promised_file_is_written(bench_dir):
    for name in FILES:
        assert (bench_dir / name).is_file() and (bench_dir / name).stat().st_size > 0, name
    assert (bench_dir / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_columns_and_rows(bench_dir):
    for name, columns in (("bench_lad.csv", LAD_COLUMNS), ("bench_first_layer.csv", FIRST_LAYER_COLUMNS),
                          ("bench_scaling.csv", SCALING_COLUMNS)):
        header, rows = read_csv(bench_dir / name)
        assert tuple(header) == columns, name
        assert rows, name


def test_lad_table_has_every_contender_and_exact_optima(bench_dir):
    _, rows = read_csv(bench_dir / "bench_lad.csv")
    names = {r["contender"] for r in rows}
    assert {"lpwalk", "highs-dual", "highs-ipm", "sklearn-quantile", "statsmodels-quantreg"} <= names
    for r in rows:
        if r["contender"] == "lpwalk":
            assert float(r["ratio_to_lpwalk"]) == 1.0
            assert abs(float(r["rel_gap"])) <= 1e-9  # lpwalk reaches the best exact objective
        elif r["time_s"] in ("", "nan"):
            assert r["note"].startswith("skipped"), r


def test_report_tables_and_machine(bench_dir):
    text = (bench_dir / "bench.md").read_text()
    for heading in ("## Machine", "## Headline", "## LAD regression", "## First-layer walks",
                    "## Scaling of the per-pivot time", "## Profile (cProfile)"):
        assert heading in text, heading
    header = next(line for line in text.splitlines() if line.startswith("| N | p | contender"))
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert cells == ["N", "p", "contender", "time", "ratio to lpwalk", "objective ‖r‖₁", "rel. gap", "note"]
    assert "highspy" in text and "cores" in text
    assert "bench.png" in text


def test_verification_script_quick(tmp_path):
    """``python verification/bench.py --quick --out DIR`` as a user runs it (LAD section only, for time)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(ROOT / "verification" / "bench.py"), "--quick", "--sections", "lad",
                           "--no-profile", "--out", str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ratio to lpwalk" in proc.stdout
    assert (tmp_path / "bench.md").is_file() and (tmp_path / "bench_lad.csv").is_file()
