"""Reproduce the seed paper's trajectory observations at a larger scale than ``lpwalk study``'s defaults.

Runs the protocol of :mod:`lpwalk.studies_trajectory` (teacher–student and
pure-noise targets, first layer, certified walks only) over more seeds,
widths and samples, and writes ``report.md``, the figures and the raw CSV
data to ``verification/results/`` (or the folder given as the first
argument).  About five minutes on two cores (72 walks of N = 1000).

Usage::

    python verification/reproduce_seed.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from lpwalk.studies_trajectory import StudyConfig, run_trajectory_study, write_study_report

CONFIG = StudyConfig(
    seeds=tuple(range(12)),
    widths=(4, 8, 16),
    samples=1000,
    inputs=2,
    layer=0,
    time_limit=120.0,
    max_pivots=50_000,
    density_points=9,
    density_lines=8,
    radius_fraction=0.02,
)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results"
    result = run_trajectory_study(CONFIG, log=lambda m: print(m, file=sys.stderr, flush=True))
    files = write_study_report(result, out)
    print(f"wrote {out} ({', '.join(files)}) in {result.elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
