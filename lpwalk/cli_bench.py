"""``lpwalk bench``: the performance benchmark of :mod:`lpwalk.bench` from the command line."""

from __future__ import annotations

import argparse

from .cli import EXIT_OK, _positive_float, info, subcommand

_SECTIONS = ("lad", "first_layer", "scaling")


def _sections(text: str) -> tuple:
    parts = tuple(p.strip().replace("-", "_") for p in str(text).split(",") if p.strip())
    bad = [p for p in parts if p not in _SECTIONS]
    if not parts or bad:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated sections from {', '.join(_SECTIONS)}, got {text!r}")
    return parts


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="toy sizes: the whole run takes seconds (checks that everything works)")
    parser.add_argument("--out", metavar="DIR", default="lpwalk-bench",
                        help="report folder, created if missing (default: lpwalk-bench)")
    parser.add_argument("--sections", type=_sections, default=_SECTIONS, metavar="S1,S2",
                        help="which sections to run: lad, first_layer, scaling (default: all)")
    parser.add_argument("--lad-budget", type=_positive_float, default=None, metavar="SECONDS",
                        help="time budget per LAD contender and size (default: 60, quick 5)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile section")


def run_bench_command(args: argparse.Namespace, command: str) -> int:
    from dataclasses import replace

    from .bench import full_config, print_tables, quick_config, run_bench, write_bench_report

    cfg = quick_config() if args.quick else full_config()
    if args.lad_budget is not None:
        cfg = replace(cfg, lad_budget=float(args.lad_budget))
    if args.no_profile:
        cfg = replace(cfg, profile=False)
    result = run_bench(cfg, log=info, sections=args.sections)
    print_tables(result)
    files = write_bench_report(result, args.out, command=command)
    print(f"wrote {args.out} ({', '.join(files)}) in {result.elapsed:.1f} s", flush=True)
    return EXIT_OK


@subcommand("bench", "performance benchmark: LAD and first-layer walks against HiGHS, "
            "scikit-learn, statsmodels and gradient methods", add_bench_arguments)
def _run_bench(args: argparse.Namespace) -> int:
    return run_bench_command(args, "lpwalk bench" + (" --quick" if args.quick else ""))
