"""``lpwalk study`` end to end with tiny settings; every number of report.md is re-derived from pivots.csv."""

import math
import re

import numpy as np
import pytest

from lpwalk import analysis
from lpwalk.cli import main
from lpwalk.studies_trajectory import CRITERIA, fmt, read_pivots_csv

FILES = ("report.md", "decay.png", "estimate.png", "density.png", "pivots.csv", "walks.csv", "summary.json")


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    code = main(["study", "--seeds", "0,1,3", "--widths", "4", "--samples", "100", "--density-lines", "2",
                 "--time-limit", "20", "--out", str(out)])
    assert code == 0
    return out


def test_every_promised_file_is_written(study_dir):
    for name in FILES:
        assert (study_dir / name).is_file() and (study_dir / name).stat().st_size > 0, name
    for name in FILES[1:4]:
        assert (study_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (study_dir / "report.md").read_text()
    for heading in ("Observation 1", "Observation 2", "Observation 3"):
        assert heading in text


def parse_tables(text):
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in ("teacher", "noise"):
            rows[(cells[0], cells[1], cells[3])] = (int(cells[2]), cells[4], cells[5], cells[6])
    return rows


def recompute(walk):
    """The per-walk numbers, re-derived from the raw per-vertex columns with the analysis functions."""
    loss = walk["loss"]
    T = loss.size - 1
    W = max(5, int(round(0.25 * T)))
    trail, early = analysis.trailing_fit(loss, W), analysis.early_fit(loss, W)
    est = analysis.early_estimates(loss, W)
    out = {"q, trailing window": trail.q, "R², trailing window": trail.r2, "q, early window": early.q,
           "R², early window": early.r2, "flat pivots left out, trailing window": float(trail.n_flat)}
    for f in (0.25, 0.5, 0.75, 0.9):
        t = int(round(f * T))
        err = abs(est.estimate[t] - loss[-1])
        out[f"gap ratio at {int(100 * f)} % of the walk"] = err / (loss[t] - loss[-1])
        out[f"relative error at {int(100 * f)} % of the walk"] = err / loss[-1]
    t = np.arange(T + 1)
    dens = walk["crossing_density"]
    have = np.isfinite(dens)
    early_d, late_d = dens[have & (t <= T / 3)].mean(), dens[have & (t >= 2 * T / 3)].mean()
    out["crossing density early"], out["crossing density late"] = early_d, late_d
    out["crossing density late/early"] = late_d / early_d if early_d > 0 else math.nan
    steps = walk["step_length"]
    s1, s3 = steps[(t >= 1) & (t <= T / 3) & (steps > 0)], steps[(t >= 2 * T / 3) & (steps > 0)]
    out["step length late/early"] = np.median(s3) / np.median(s1)
    return out


def test_every_number_in_the_report_comes_from_the_raw_data(study_dir):
    rows = parse_tables((study_dir / "report.md").read_text())
    walks = read_pivots_csv(study_dir / "pivots.csv")
    per_kind = {}
    for (kind, _w, _s), walk in walks.items():
        if walk["eligible"]:
            per_kind.setdefault(kind, []).append(recompute(walk))
    assert per_kind, "the tiny study must have walks in its statistics"
    checked = 0
    for (kind, width, label), (n, med, q25, q75) in rows.items():
        if label.startswith("Spearman"):
            continue
        values = np.array([m[label] for m in per_kind.get(kind, [])], dtype=float)
        values = values[np.isfinite(values)]
        assert n == values.size, (kind, width, label)
        if values.size:
            assert med == fmt(float(np.median(values))), (kind, label)
            assert q25 == fmt(float(np.quantile(values, 0.25))) and q75 == fmt(float(np.quantile(values, 0.75)))
            checked += 1
    assert checked >= 20


def test_verdicts_follow_from_the_tables(study_dir):
    text = (study_dir / "report.md").read_text()
    rows = parse_tables(text)
    for kind in ("teacher", "noise"):
        r2 = rows[(kind, "all", "R², trailing window")][1]
        verdict = re.search(rf"\*\*{kind}: ([a-z ]+)\*\* — median trailing R² ([^ ]+)", text)
        assert verdict and verdict.group(2) == r2
        if r2 != "nan" and float(r2) < CRITERIA["decay_r2"]:
            assert verdict.group(1) == "not supported"
        gap = rows[(kind, "all", "gap ratio at 75 % of the walk")][1]
        v2 = re.search(rf"\*\*{kind}: ([a-z ]+)\*\* — median gap ratio at 75 % of the walk ([^ ]+)", text)
        assert v2 and v2.group(2) == gap
        assert (v2.group(1) == "supported") == (gap != "nan" and float(gap) < 1)


def test_bad_options_are_usage_errors(tmp_path, capsys):
    assert main(["study", "--widths", "a,b", "--out", str(tmp_path)]) == 2
    assert main(["study", "--data", "teacher,cats", "--out", str(tmp_path)]) == 2
    assert "data_kinds" in capsys.readouterr().err
