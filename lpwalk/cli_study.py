"""``lpwalk study``: the trajectory study of :mod:`lpwalk.studies_trajectory` from the command line."""

from __future__ import annotations

import argparse

from .cli import EXIT_INTERRUPTED, EXIT_OK, _nonnegative_float, _positive_float, _positive_int, info, subcommand


def _int_list(text: str) -> tuple:
    try:
        values = tuple(int(p) for p in str(text).split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    return values


def _seeds(text: str) -> tuple:
    """``"5"`` -> seeds 0..4; ``"3,7,9"`` -> those seeds."""
    values = _int_list(text)
    if len(values) == 1 and "," not in text:
        if values[0] < 1:
            raise argparse.ArgumentTypeError(f"--seeds N needs N >= 1, got {text!r}")
        return tuple(range(values[0]))
    return values


def _add_study_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=_seeds, default=tuple(range(5)), metavar="N|S1,S2,...",
                        help="number of seeds (0..N-1) or a comma-separated list (default: 5)")
    parser.add_argument("--widths", type=_int_list, default=(4, 8), metavar="W1,W2,...",
                        help="hidden widths of teacher and student (default: 4,8)")
    parser.add_argument("--samples", type=_positive_int, default=200, metavar="N",
                        help="samples per instance (default: 200)")
    parser.add_argument("--inputs", type=_positive_int, default=2, help="input dimension (default: 2)")
    parser.add_argument("--layer", type=int, choices=(0, 1), default=0,
                        help="trainable layer: 0 the hidden layer, 1 the output layer (default: 0)")
    parser.add_argument("--data", default="teacher,noise",
                        help="data kinds, comma-separated: teacher, noise (default: both)")
    parser.add_argument("--noise", type=_nonnegative_float, default=0.1,
                        help="teacher data: noise relative to the teacher's spread (default: 0.1)")
    parser.add_argument("--time-limit", type=_positive_float, default=20.0, metavar="SECONDS",
                        help="per walk (default: 20)")
    parser.add_argument("--max-pivots", type=_positive_int, default=20_000, metavar="N",
                        help="per walk (default: 20000)")
    parser.add_argument("--density-lines", type=_positive_int, default=6, metavar="M",
                        help="random lines per measured vertex for the crossing density (default: 6)")
    parser.add_argument("--radius", type=_positive_float, default=0.02, metavar="R",
                        help="crossing density: radius of the lines, as a fraction of the final "
                        "vertex's norm in the metric θ̂ = κθ (default: 0.02)")
    parser.add_argument("--out", metavar="DIR", default="lpwalk-study",
                        help="report folder, created if missing (default: lpwalk-study)")


@subcommand("study", "trajectory study: loss decay, early loss estimates and vertex density near minima",
            _add_study_arguments)
def _run_study(args: argparse.Namespace) -> int:
    from .studies_trajectory import StudyConfig, run_trajectory_study, write_study_report

    kinds = tuple(k.strip() for k in str(args.data).split(",") if k.strip())
    cfg = StudyConfig(seeds=args.seeds, widths=args.widths, samples=args.samples, inputs=args.inputs,
                      layer=args.layer, data_kinds=kinds, noise=args.noise, time_limit=args.time_limit,
                      max_pivots=args.max_pivots, density_lines=args.density_lines,
                      radius_fraction=args.radius).check()
    info(f"study: {len(kinds) * len(cfg.widths) * len(cfg.seeds)} walks")
    result = run_trajectory_study(cfg, log=info)
    files = write_study_report(result, args.out)
    print(f"wrote {args.out} ({', '.join(files)}) in {result.elapsed:.1f} s", flush=True)
    if result.interrupted:
        info(f"interrupted: the report covers {len(result.records)} of {result.planned} walks")
        return EXIT_INTERRUPTED
    return EXIT_OK
