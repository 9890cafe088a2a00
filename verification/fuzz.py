"""Long fuzz campaign on degenerate and extreme data (the properties of ``tests/fuzz/test_fuzz.py``).

For every kind of ``tests/fuzz_cases.py`` (duplicated rows, integer ties,
realisable teacher targets, collinear and constant features, N < n, a
collapsed neuron, all units dead, neurons disconnected from the output,
data at scales 1e-6 and 1e6, columns on wildly different scales, generic
data), draws cases with Hypothesis and runs
:func:`fuzz_cases.check_walk` on each: the walk raises nothing, ends
``local_min`` or ``inconclusive`` within the pivot cap and the time guard,
never increases the loss, every local minimum is confirmed by the complete
MILP test, and the certificate's ``degenerate`` flag equals the oracle's.

A failing case never stops the campaign: it is counted, its message kept, and
its problem written with :func:`lpwalk.certificate.save_problem` to
``OUT/fuzz_failures/<kind>-<n>.npz`` (re-run with
``lpwalk.certificate.load_problem`` and ``fuzz_cases.check_walk``).  The
slowest walk of each kind is recorded too, and kept as
``OUT/fuzz_failures/<kind>-slowest.npz`` when it took 5 s or more.

Writes ``OUT/fuzz.md`` (a table by kind) and ``OUT/fuzz.json``.  Progress goes
to stderr.  The examples of each kind are drawn in chunks with seeds derived
from ``--seed``, kinds in turn, so a ``--minutes`` budget stops every kind at
about the same count.

Usage::

    python verification/fuzz.py --examples 15000 --seed 0 --minutes 25
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import seed as hyp_seed  # noqa: E402

import fuzz_cases  # noqa: E402
import lpwalk  # noqa: E402
from lpwalk.certificate import save_problem  # noqa: E402

CHUNK = 250
#: seconds: a walk at least this slow is kept in ``OUT/fuzz_failures/<kind>-slowest.npz``
SLOW_WALK_SECONDS = 5.0


class KindStats:
    """Counts for one kind."""

    def __init__(self, kind: str):
        self.kind = kind
        self.tried = 0
        self.status = collections.Counter()
        self.method = collections.Counter()
        self.degenerate = 0
        self.flag_agrees = 0
        self.flag_checked = 0
        self.milp_checked = 0
        self.milp_agrees = 0
        self.max_pivots = 0
        self.max_walk_seconds = 0.0
        self.slowest: dict = {}
        self.max_relative_increase = 0.0
        self.failures: list = []
        self.exceptions = collections.Counter()
        self.seconds = 0.0

    def add(self, case, check, failure_dir: Path) -> None:
        self.tried += 1
        self.status[check.status or "exception"] += 1
        if check.method:
            self.method[check.method] += 1
        if check.degenerate:
            self.degenerate += 1
        if check.degenerate is not None and check.oracle_degenerate is not None:
            self.flag_checked += 1
            self.flag_agrees += check.degenerate == check.oracle_degenerate
        if check.milp_agrees is not None:
            self.milp_checked += 1
            self.milp_agrees += bool(check.milp_agrees)
        self.max_pivots = max(self.max_pivots, check.pivots)
        if check.walk_seconds > self.max_walk_seconds:
            self.max_walk_seconds = check.walk_seconds
            self.slowest = {"seconds": round(check.walk_seconds, 3), "status": check.status,
                            "method": check.method, "pivots": check.pivots,
                            "description": case.description, "problem": repr(case.prob)}
            if check.walk_seconds >= SLOW_WALK_SECONDS:  # kept so that it can be re-run
                failure_dir.mkdir(parents=True, exist_ok=True)
                path = failure_dir / f"{self.kind}-slowest.npz"
                save_problem(path, case.prob)
                self.slowest["file"] = str(path.relative_to(failure_dir.parent))
        if check.slack > 0:
            self.max_relative_increase = max(self.max_relative_increase, check.max_loss_increase / check.slack)
        if check.exception:
            self.exceptions[check.exception.splitlines()[0][:200]] += 1
        if check.failures:
            failure_dir.mkdir(parents=True, exist_ok=True)
            path = failure_dir / f"{self.kind}-{len(self.failures)}.npz"
            save_problem(path, case.prob)
            self.failures.append({"file": str(path.relative_to(failure_dir.parent)),
                                  "description": case.description, "problem": repr(case.prob),
                                  "failures": check.failures})

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "tried": self.tried, "status": dict(self.status),
            "method": dict(self.method), "degenerate": self.degenerate,
            "degenerate_flag_checked": self.flag_checked, "degenerate_flag_agrees": self.flag_agrees,
            "milp_checked": self.milp_checked, "milp_agrees": self.milp_agrees,
            "max_pivots": self.max_pivots, "max_walk_seconds": round(self.max_walk_seconds, 3),
            "slowest": self.slowest,
            "max_loss_increase_over_slack": self.max_relative_increase,
            "exceptions": dict(self.exceptions), "failures": self.failures,
            "seconds": round(self.seconds, 1),
        }


def run_chunk(kind: str, n: int, seed: int, stats: KindStats, failure_dir: Path) -> None:
    """``n`` cases of ``kind`` drawn with Hypothesis seed ``seed``, each checked and counted."""

    @hyp_seed(seed)
    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=["generate"])
    @given(fuzz_cases.cases(kind))
    def one(case):
        check = fuzz_cases.check_walk(case.prob, case.kind)
        stats.add(case, check, failure_dir)

    one()


def source_revision() -> str:
    """The git commit of the checkout (with ``+dirty`` when it has changes), or ``unknown``."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=HERE, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=HERE,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def write_report(out: Path, all_stats: dict, args, elapsed: float, finished: bool, revision: str) -> None:
    rows = [s.as_dict() for s in all_stats.values()]
    meta = {
        "examples_per_kind_requested": args.examples, "seed": args.seed, "minutes": args.minutes,
        "elapsed_seconds": round(elapsed, 1), "finished": finished,
        "max_pivots_cap": fuzz_cases.MAX_PIVOTS, "time_limit_guard": fuzz_cases.TIME_LIMIT,
        "lpwalk": lpwalk.__version__, "revision": revision, "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
    }
    (out / "fuzz.json").write_text(json.dumps({"meta": meta, "kinds": rows}, indent=1) + "\n")
    total = sum(r["tried"] for r in rows)
    n_fail = sum(len(r["failures"]) for r in rows)
    lines = [
        "# Fuzz campaign: degenerate and extreme data",
        "",
        f"`python verification/fuzz.py --examples {args.examples} --seed {args.seed}"
        + (f" --minutes {args.minutes}" if args.minutes else "") + "`: "
        f"{total} cases in {elapsed / 60:.1f} min ({meta['cpus']} cores), "
        f"{'all kinds run to the end' if finished else 'stopped by the time budget'}; "
        f"{n_fail} failing case(s). Source revision `{meta['revision']}`.",
        "",
        "Properties checked on every case (`tests/fuzz_cases.py`, `check_walk`): no exception; "
        f"the walk ends `local_min` or `inconclusive` (pivot cap {fuzz_cases.MAX_PIVOTS}, "
        f"time guard {fuzz_cases.TIME_LIMIT:g} s: `max_pivots`/`time_limit` count as failures); "
        "the recorded loss never increases beyond the rounding slack; every local minimum is a "
        "vertex, is confirmed by the complete MILP test, and its certificate's `degenerate` flag "
        "equals `oracle.certify_vertex(...).degenerate` (both modulo the flat space).",
        "",
        "| kind | cases | local_min | inconclusive | other ends | rays / milp | degenerate | "
        "flag agrees | MILP agrees | max pivots | max walk s | max Δloss / slack | failures |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        st = r["status"]
        other = {k: v for k, v in st.items() if k not in ("local_min", "inconclusive")}
        lines.append(
            f"| {r['kind']} | {r['tried']} | {st.get('local_min', 0)} | {st.get('inconclusive', 0)} | "
            f"{', '.join(f'{k} {v}' for k, v in other.items()) or '0'} | "
            f"{r['method'].get('rays', 0)} / {r['method'].get('milp', 0)} | {r['degenerate']} | "
            f"{r['degenerate_flag_agrees']}/{r['degenerate_flag_checked']} | "
            f"{r['milp_agrees']}/{r['milp_checked']} | {r['max_pivots']} | {r['max_walk_seconds']:.2f} | "
            f"{r['max_loss_increase_over_slack']:.2g} | {len(r['failures'])} |"
        )
    slow = [r for r in rows if r["slowest"].get("seconds", 0.0) >= 1.0]
    if slow:
        lines += ["", "## Slowest walks (1 s or more)", ""]
        for r in slow:
            w = r["slowest"]
            lines.append(f"- {r['kind']}: {w['seconds']:.1f} s, {w['pivots']} pivots, {w['status']}"
                         + (f" ({w['method']} test)" if w["method"] else "") + f"; {w['problem']}; "
                         f"{w['description']}" + (f"; kept as `{w['file']}`" if "file" in w else ""))
    lines += ["", "## Failures", ""]
    if n_fail == 0:
        lines.append("None.")
    for r in rows:
        for f in r["failures"]:
            lines.append(f"- {r['kind']}: `{f['file']}` ({f['problem']}; {f['description']}): "
                         + "; ".join(f["failures"]))
        for msg, count in r["exceptions"].items():
            lines.append(f"- {r['kind']}: exception {count}x: `{msg}`")
    lines.append("")
    (out / "fuzz.md").write_text("\n".join(lines))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=15000, help="cases per kind (default 15000)")
    ap.add_argument("--seed", type=int, default=0, help="campaign seed (default 0)")
    ap.add_argument("--minutes", type=float, default=None,
                    help="stop starting new chunks after this many minutes (default: no budget)")
    ap.add_argument("--kinds", default=",".join(fuzz_cases.KINDS), help="comma-separated kinds (default all)")
    ap.add_argument("--out", default=str(HERE / "results"), help="output folder (default verification/results)")
    args = ap.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in fuzz_cases.KINDS:
            ap.error(f"unknown kind {k!r}; choose among {', '.join(fuzz_cases.KINDS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    revision = source_revision()  # of the code imported now, not of a checkout changed meanwhile
    failure_dir = out / "fuzz_failures"
    all_stats = {k: KindStats(k) for k in kinds}
    t0 = time.perf_counter()
    deadline = None if args.minutes is None else t0 + 60.0 * args.minutes
    finished = True
    chunk_index = 0
    while any(all_stats[k].tried < args.examples for k in kinds):
        if deadline is not None and time.perf_counter() >= deadline:
            finished = False
            break
        for i, kind in enumerate(kinds):
            s = all_stats[kind]
            n = min(CHUNK, args.examples - s.tried)
            if n <= 0:
                continue
            t = time.perf_counter()
            run_chunk(kind, n, args.seed * 1_000_003 + chunk_index * 101 + i, s, failure_dir)
            s.seconds += time.perf_counter() - t
            fails = sum(len(x.failures) for x in all_stats.values())
            print(f"[{(time.perf_counter() - t0) / 60:6.1f} min] {kind:<20s} {s.tried:>7d} cases  "
                  f"degenerate {s.degenerate:>6d}  max pivots {s.max_pivots:>5d}  failures so far {fails}",
                  file=sys.stderr, flush=True)
        chunk_index += 1
        write_report(out, all_stats, args, time.perf_counter() - t0, finished=False,
                     revision=revision)
    elapsed = time.perf_counter() - t0
    write_report(out, all_stats, args, elapsed, finished, revision)
    total = sum(s.tried for s in all_stats.values())
    fails = sum(len(s.failures) for s in all_stats.values())
    print(f"{total} cases, {fails} failing, {elapsed / 60:.1f} min; wrote {out / 'fuzz.md'}", file=sys.stderr)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
