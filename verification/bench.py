"""Performance side by side: the walker against HiGHS, scikit-learn, statsmodels and gradient methods.

Runs :mod:`lpwalk.bench` (the same code as ``lpwalk bench``) and writes
``bench.md``, ``bench.png`` and the CSV files to ``verification/results/``
(or ``--out DIR``).  The full run takes about 15–20 minutes on two cores;
``--quick`` runs toy sizes in seconds.

Usage::

    python verification/bench.py [--quick] [--out DIR] [--sections lad,first_layer,scaling]
"""

from __future__ import annotations

import sys
from pathlib import Path

from lpwalk.cli import build_parser
from lpwalk.cli_bench import run_bench_command


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not any(a == "--out" or a.startswith("--out=") for a in argv):
        argv += ["--out", str(Path(__file__).resolve().parent / "results")]
    args = build_parser().parse_args(["bench", *argv])
    quick = " --quick" if args.quick else ""
    return run_bench_command(args, f"python verification/bench.py{quick}")


if __name__ == "__main__":
    raise SystemExit(main())
