"""The ``lpwalk certify`` and ``lpwalk exact`` subcommands.

``lpwalk certify CERT.json --problem PROBLEM.npz [--exact]``
    Re-check a local-minimum certificate; prints ``<status>: <reason>`` on
    stdout.  Exit code 0 proved or verified, 1 refuted, 2 invalid.

``lpwalk exact [--instances ...] [--out DIR]``
    Small-scale exact study (:func:`lpwalk.studies.exact_study`): a table on
    stdout, ``instances.csv`` and ``starts.csv`` in ``--out``.
"""

from __future__ import annotations

import argparse

from .cli import (EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, _nonnegative_float, _positive_float,
                  _positive_int, info, subcommand)

__all__: list = []


# ---------------------------------------------------------------- certify
def _add_certify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("certificate", metavar="CERT.json", help="certificate file (JSON)")
    parser.add_argument("--problem", metavar="PROBLEM.npz", required=True,
                        help="problem file: network, layer, X and y (.npz)")
    parser.add_argument("--exact", action="store_true",
                        help="decide in rational arithmetic (a nondegenerate vertex that passes is 'proved')")
    parser.add_argument("--time-limit", type=_positive_float, default=None, metavar="SECONDS",
                        help="seconds for the complete MILP test at degenerate vertices")


@subcommand("certify", "re-check a local-minimum certificate against its problem file",
            _add_certify_arguments)
def _run_certify(args: argparse.Namespace) -> int:
    from .certificate import verify

    result = verify(args.certificate, args.problem, exact=args.exact, time_limit=args.time_limit)
    print(result.line())
    return {"proved": EXIT_OK, "verified": EXIT_OK, "refuted": EXIT_CHECK_FAILED}.get(result.status, EXIT_USAGE)


# ------------------------------------------------------------------ exact
def _add_exact_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--instances", type=_positive_int, default=6, help="random instances (default: 6)")
    parser.add_argument("--starts", type=_positive_int, default=30,
                        help="random starts per instance (default: 30)")
    parser.add_argument("--inputs", type=_positive_int, default=1, help="network inputs n0 (default: 1)")
    parser.add_argument("--width", type=_positive_int, default=3, help="hidden width (default: 3)")
    parser.add_argument("--samples", type=_positive_int, default=10, help="samples N (default: 10)")
    parser.add_argument("--layer", type=int, choices=(0, 1), default=0,
                        help="trainable layer, 0 or 1 (default: 0)")
    parser.add_argument("--box", type=_positive_float, default=4.0,
                        help="B: global minimum over ||theta||_inf <= B, starts drawn in the box (default: 4)")
    parser.add_argument("--noise", type=_nonnegative_float, default=0.1,
                        help="target noise level (default: 0.1)")
    parser.add_argument("--certify", choices=("exact", "float", "none"), default="exact",
                        help="how each walker minimum is re-checked (default: exact)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="write instances.csv and starts.csv into DIR")


@subcommand("exact", "small exact study: walker minima from many starts against the global MILP minimum",
            _add_exact_arguments)
def _run_exact(args: argparse.Namespace) -> int:
    from .studies import exact_study

    result = exact_study(
        instances=args.instances, starts=args.starts, inputs=args.inputs, width=args.width,
        samples=args.samples, layer=args.layer, box=args.box, seed=args.seed, noise=args.noise,
        certify=args.certify, progress=info,
    )
    print(result.table())
    if args.out:
        for path in result.write_csv(args.out):
            info(f"wrote {path}")
    if result.errors:
        info(f"note: {result.errors} walks stopped with a numerical error (see starts.csv)")
    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.violations or not result.all_certified:
        info("check failed: " + (f"{result.violations} in-box minima below the global minimum"
                                 if result.violations else "a walker minimum was not certified"))
        return EXIT_CHECK_FAILED
    return EXIT_OK
