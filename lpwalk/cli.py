"""The ``lpwalk`` command line.

Usage: ``lpwalk [--debug] SUBCOMMAND [options]`` (or ``python -m lpwalk``).

Exit codes: 0 success, 1 a check failed (e.g. a certificate was refuted),
2 a usage or input error.  Results go to stdout; progress and errors go to
stderr.  Errors print as one line ``error: ...``; ``--debug`` shows the
traceback instead.

Adding a subcommand
-------------------
Write an argument function and a handler, and register the pair::

    def _add_demo_arguments(parser):          # parser: argparse.ArgumentParser
        parser.add_argument("--out", default="lpwalk-out")

    @subcommand("demo", "walk a teacher-student instance to a certified local minimum",
                _add_demo_arguments)
    def _run_demo(args) -> int:
        ...
        return EXIT_OK

The helpers :func:`add_data_arguments`, :func:`add_network_arguments` and
:func:`problem_from_args` give every subcommand the same ``--data``,
``--target``, ``--arch``/``--net``, ``--layer`` and ``--seed`` options.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from dataclasses import dataclass
from typing import Callable, Sequence

from . import __version__
from .errors import LPWalkError

__all__ = [
    "main",
    "build_parser",
    "subcommand",
    "Subcommand",
    "SUBCOMMANDS",
    "EXIT_OK",
    "EXIT_CHECK_FAILED",
    "EXIT_USAGE",
    "add_data_arguments",
    "add_network_arguments",
    "problem_from_args",
    "parse_arch",
    "info",
]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2

#: Exceptions reported as a one-line ``error: ...`` with exit code 2.
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, LPWalkError)


@dataclass(frozen=True)
class Subcommand:
    """One subcommand: its name, one-line help, argument function and handler."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


#: Registered subcommands, in the order ``--help`` lists them.
SUBCOMMANDS: list[Subcommand] = []


def subcommand(name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Decorator registering ``run(args) -> exit code`` as subcommand ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        if any(cmd.name == name for cmd in SUBCOMMANDS):
            raise RuntimeError(f"subcommand {name!r} is registered twice")
        SUBCOMMANDS.append(Subcommand(name, help, add_arguments, run))
        return run

    return register


def info(message: str) -> None:
    """Print a progress or status line on stderr (stdout is for results)."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- shared options
def add_data_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``--data FILE`` and ``--target COLUMN``."""
    parser.add_argument(
        "--data",
        metavar="FILE",
        required=required,
        help="CSV file with a header row, or .npz file with arrays X (N, n_features) and y (N,)",
    )
    parser.add_argument(
        "--target",
        metavar="COLUMN",
        default=None,
        help="CSV only: the target column (default: the last column)",
    )


def add_network_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``--arch W1,...,1`` or ``--net FILE``, then ``--layer`` and ``--seed``."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--arch",
        metavar="WIDTHS",
        help="hidden widths then the output width 1, comma-separated (e.g. 8,1; 1 is a "
        "linear model); weights are drawn at random (He initialisation) from --seed",
    )
    group.add_argument("--net", metavar="FILE", help="network .npz file (arrays W0..WL, b0..bL)")
    parser.add_argument(
        "--layer",
        type=int,
        default=0,
        metavar="K",
        help="the trainable affine map, 0..L where L is the output layer (default: 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def parse_arch(text: str) -> list[int]:
    """``"8,4,1"`` -> ``[8, 4, 1]``; the last width must be 1 (scalar output)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        raise ValueError(
            f"--arch must be comma-separated positive integers ending in 1 (e.g. 8,1), got {text!r}"
        ) from None
    if any(w < 1 for w in widths):
        raise ValueError(f"--arch widths must be positive, got {text!r}")
    if widths[-1] != 1:
        raise ValueError(f"--arch must end with the output width 1 (scalar output), got {text!r}")
    return widths


def problem_from_args(args: argparse.Namespace):
    """Load the data and the network named by the shared options.

    Returns ``(dataset, network, problem)``.
    """
    from .data import load_data
    from .network import ReLUNetwork
    from .problem import LayerwiseL1Problem

    data = load_data(args.data, target=args.target)
    if getattr(args, "net", None):
        network = ReLUNetwork.load(args.net)
    else:
        widths = parse_arch(args.arch)
        network = ReLUNetwork.random([data.n_features] + widths, seed=args.seed)
    problem = LayerwiseL1Problem(network, data.X, data.y, layer=args.layer)
    return data, network, problem


# -------------------------------------------------------------------- inspect
def _add_inspect_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    add_network_arguments(parser)


@subcommand(
    "inspect",
    "summarise the layer-wise L1 problem of a network on a data set",
    _add_inspect_arguments,
)
def _run_inspect(args: argparse.Namespace) -> int:
    data, network, prob = problem_from_args(args)
    ev = prob.evaluate(prob.theta0)
    n_res = prob.n_samples
    n_act = prob.n_constraints - n_res
    tight = ev.tight_ids
    n_tight_res = int(prob.is_residual(tight).sum())
    L = network.output_layer
    kind = "output layer: LAD regression on the features" if prob.layer == L else "hidden layer"
    rows = [
        ("data", f"{data.source} (target {data.target_name!r})"),
        ("samples N", f"{prob.n_samples}"),
        ("features n0", f"{data.n_features}"),
        ("network sizes", ",".join(str(s) for s in network.sizes)),
        ("layer", f"{prob.layer} of 0..{L} ({kind})"),
        ("parameters n", f"{prob.n_params} ({prob.n_neurons} neurons x {prob.p})"),
        ("constraints", f"{prob.n_constraints} ({n_act} activations, {n_res} residuals)"),
        ("loss at start", f"{ev.loss:.10g} (mean {ev.loss / prob.n_samples:.6g})"),
        (
            "tight at start",
            f"{tight.size} ({tight.size - n_tight_res} activations, {n_tight_res} residuals)",
        ),
        ("lineality dim", f"{prob.lineality_dim}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return EXIT_OK


# ----------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="lpwalk",
        description="Exact, certified study of layer-wise L1 loss landscapes of ReLU networks.",
        epilog="Exit codes: 0 ok, 1 a check failed, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"lpwalk {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks instead of one-line errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for cmd in SUBCOMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS,
            help="show full tracebacks instead of one-line errors",
        )
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 check failed, 2 usage/input error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, and argparse usage errors
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except USER_ERRORS as exc:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line."""
    if isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"no such file: {exc.filename!r}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
