"""Ctrl-C stops a whole study, not only the walk it lands in, and what was finished is kept.

The walker catches KeyboardInterrupt and returns status ``interrupted``; the
studies take that as the end of the study.  A Ctrl-C outside a walk (the
global MILP, the measurements) ends it too.  Either way the finished part is
reported and written, and the command exits 130.
"""

import csv
import json

import pytest

import lpwalk.walker
from lpwalk import oracle, studies
from lpwalk import studies_trajectory as st
from lpwalk.cli import EXIT_INTERRUPTED, main


def _interrupting_walk(real_walk, at_call: int):
    """``walk`` whose ``at_call``-th call (1-based) is stopped by Ctrl-C after its first pivot."""
    calls = {"n": 0}

    def walk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] != at_call:
            return real_walk(*args, **kwargs)

        def ctrl_c(info):
            raise KeyboardInterrupt

        return real_walk(*args, on_pivot=ctrl_c, **kwargs)

    walk.calls = calls
    return walk


STUDY_ARGS = ["study", "--seeds", "0,1,2", "--widths", "4", "--samples", "60", "--data", "teacher",
              "--density-lines", "1", "--time-limit", "20"]


def test_ctrl_c_in_a_study_walk_ends_the_study_and_writes_the_report(tmp_path, capsys, monkeypatch):
    walk = _interrupting_walk(lpwalk.walker.walk, at_call=2)
    monkeypatch.setattr(lpwalk.walker, "walk", walk)
    code = main(STUDY_ARGS + ["--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == EXIT_INTERRUPTED, err
    assert walk.calls["n"] == 2  # the third walk never started
    assert "interrupted: the report covers 2 of 3 walks" in err
    with open(tmp_path / "walks.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["status"] for r in rows][1] == "interrupted" and len(rows) == 2
    assert rows[1]["eligible"] in ("False", "0", "false")
    assert "Interrupted (Ctrl-C) after 2 of the 3 walks" in (tmp_path / "report.md").read_text()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["walks"] == {"planned": 3, "run": 2}


def _ctrl_c_at_call(real, at_call: int):
    """``real``, except that its ``at_call``-th call (1-based) raises KeyboardInterrupt."""
    calls = {"n": 0}

    def wrapped(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == at_call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return wrapped


def test_ctrl_c_while_measuring_a_walk_leaves_that_walk_out(monkeypatch):
    monkeypatch.setattr(st, "_series", _ctrl_c_at_call(st._series, at_call=2))
    cfg = st.StudyConfig(seeds=(0, 1, 2), widths=(4,), samples=60, data_kinds=("teacher",), density_lines=1)
    result = st.run_trajectory_study(cfg)
    assert result.interrupted and result.planned == 3
    assert [r.seed for r in result.records] == [0]


EXACT_ARGS = ["exact", "--instances", "3", "--starts", "2", "--samples", "6", "--box", "3", "--certify", "float"]


def test_ctrl_c_in_an_exact_study_walk_keeps_the_finished_instances(tmp_path, capsys, monkeypatch):
    walk = _interrupting_walk(studies.walk, at_call=3)  # the first start of the second instance
    monkeypatch.setattr(studies, "walk", walk)
    code = main(EXACT_ARGS + ["--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == EXIT_INTERRUPTED
    assert walk.calls["n"] == 3
    assert "interrupted (Ctrl-C): 1 of 3 instances finished" in out
    with open(tmp_path / "instances.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 1
    with open(tmp_path / "starts.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 2


def test_ctrl_c_in_the_global_milp_keeps_the_finished_instances(monkeypatch):
    monkeypatch.setattr(oracle, "global_min", _ctrl_c_at_call(oracle.global_min, at_call=3))
    result = studies.exact_study(instances=4, starts=2, samples=6, box=3.0, certify="none")
    assert result.interrupted
    assert [s.instance for s in result.instances] == [0, 1] and result.n_starts == 4
    assert "2 of 4 instances finished" in result.table()


@pytest.mark.parametrize("interrupted", [False, True])
def test_a_finished_study_says_nothing_about_interruption(interrupted):
    result = studies.StudyResult(parameters={"box": 1.0, "instances": 2}, instances=(), outcomes=(), seconds=0.0,
                                 interrupted=interrupted)
    assert ("interrupted" in result.table()) is interrupted
