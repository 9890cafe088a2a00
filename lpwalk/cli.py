"""The ``lpwalk`` command line.

Usage: ``lpwalk [--debug] SUBCOMMAND [options]`` (or ``python -m lpwalk``).

Exit codes: 0 success, 1 a check failed (e.g. a certificate was refuted),
2 a usage or input error, 130 interrupted (Ctrl-C).  Results go to stdout; progress and errors go to
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
from typing import TYPE_CHECKING, Callable, Sequence

from . import __version__
from .errors import LPWalkError

if TYPE_CHECKING:  # the problem module (numpy, scipy) is imported only by the commands that need it
    from .problem import LayerwiseL1Problem

__all__ = [
    "main",
    "build_parser",
    "subcommand",
    "Subcommand",
    "SUBCOMMANDS",
    "EXIT_OK",
    "EXIT_CHECK_FAILED",
    "EXIT_USAGE",
    "EXIT_INTERRUPTED",
    "add_walk_arguments",
    "demo_instance",
    "add_data_arguments",
    "add_network_arguments",
    "problem_from_args",
    "parse_arch",
    "info",
]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
#: Exit code when Ctrl-C ended the run (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

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
        ("flat neurons", _flat_neurons_text(prob, ev)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return EXIT_OK


def _flat_neurons_text(prob: LayerwiseL1Problem, ev) -> str:
    """Neurons whose block the loss ignores: strictly dead at the start, disconnected from the output."""
    import numpy as np

    def listed(mask):
        ids = np.flatnonzero(mask)
        return f"{ids.size}" + (f" {ids.tolist()}" if 0 < ids.size <= 10 else "")

    return (f"{listed(prob.dead_neurons(ev))} strictly dead at start, "
            f"{listed(prob.disconnected_neurons)} disconnected from the output")


# ------------------------------------------------------------ walk options
def _int_at_least(low: int, what: str):
    """An argparse type: an integer ``>= low``, with a message naming ``what`` was expected."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}")
        return value

    return parse


_positive_int = _int_at_least(1, "positive")
_nonnegative_int = _int_at_least(0, "non-negative")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}") from None
    if not (value >= 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")
    return value


#: Defaults of the walk options; they are None after parsing when not given, so that
#: ``walk --resume`` can tell an option given on its command line from a default.
WALK_DEFAULTS = {"max_pivots": 100_000, "pricing": "steepest", "record": "stops",
                 "out": "lpwalk-out", "checkpoint_every": 2.0}


def add_walk_arguments(parser: argparse.ArgumentParser, time_limit: float | None = None) -> None:
    """``--max-pivots``, ``--time-limit``, ``--pricing``, ``--record``, ``--progress``, ``--out``
    and ``--checkpoint-every``.

    Options not given are None after parsing; :func:`resolve_walk_options`
    fills in the defaults (``time_limit`` here is the default time limit).
    """
    parser.set_defaults(_default_time_limit=time_limit)
    parser.add_argument("--max-pivots", type=_nonnegative_int, default=None, metavar="N",
                        help="stop after N pivots (default: 100000)")
    default = "none" if time_limit is None else f"{time_limit:g}"
    parser.add_argument("--time-limit", type=_positive_float, default=None, metavar="SECONDS",
                        help=f"stop after this many seconds (default: {default})")
    parser.add_argument("--pricing", choices=("steepest", "dantzig", "bland"), default=None,
                        help="entering-ray rule (default: steepest)")
    parser.add_argument("--record", choices=("stops", "all"), default=None,
                        help="trajectory: the stop vertex of each pivot, or also every "
                        "breakpoint crossed inside long steps (default: stops)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show pivots and loss on stderr while walking "
                        "(default: on when stderr is a terminal)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="output folder, created if missing (default: lpwalk-out); "
                        "a checkpoint is kept in DIR/checkpoint/ while walking")
    parser.add_argument("--checkpoint-every", type=_nonnegative_float, default=None,
                        metavar="SECONDS",
                        help="seconds between checkpoints in DIR/checkpoint/ (default: 2; "
                        "0: at every pivot)")


def resolve_walk_options(args: argparse.Namespace) -> None:
    """Replace the walk options that were not given by their defaults."""
    for name, value in WALK_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if args.time_limit is None:
        args.time_limit = args._default_time_limit


def _walk_settings(args: argparse.Namespace) -> dict:
    return {"pricing": args.pricing, "max_pivots": args.max_pivots, "time_limit": args.time_limit,
            "record": args.record, "seed": args.seed}


def _run_walk_and_write(args, prob, start_network, *, command: str, instance: str,
                        settings: dict, extra_files=None, resume=None) -> int:
    """Walk ``prob``, write the output folder, print the summary table; returns the exit code.

    While walking, a checkpoint is kept in ``args.out/checkpoint/``
    (:class:`lpwalk.checkpoint.CheckpointWriter`); ``resume`` (a
    :class:`lpwalk.checkpoint.LoadedCheckpoint` of that folder) continues it.
    ``extra_files`` are written before the walk, so that they are there for
    a run that is killed and resumed.
    """
    from .checkpoint import CheckpointWriter
    from .output import format_table, summary_rows, write_walk_outputs
    from .results import WalkStatus
    from .walker import walk

    from pathlib import Path

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {args.out!r} exists and is not a folder")
    writer = CheckpointWriter(out)
    if resume is None:
        out.mkdir(parents=True, exist_ok=True)
        for name, write in (extra_files or {}).items():
            write(out / name)
        listed = list(extra_files or {})
        writer.start(prob, {"command": command, "instance": instance, "settings": settings,
                            "listed_files": listed})
    else:
        writer.continue_from(resume)
        listed = list(resume.run.get("listed_files") or [])
    progress = sys.stderr.isatty() if args.progress is None else bool(args.progress)
    verb = "walking" if resume is None else f"resuming at pivot {resume.checkpoint.state.pivots}:"
    info(f"{verb} layer {prob.layer}: {prob.n_params} parameters, {prob.n_constraints} "
         f"constraints, N = {prob.n_samples} ({args.pricing} pricing)")
    result = walk(prob, pricing=args.pricing, max_pivots=args.max_pivots,
                  time_limit=args.time_limit, record=args.record, progress=False,
                  seed=None if resume is not None else args.seed,
                  on_pivot=_progress_with_estimate(progress), on_checkpoint=writer.save,
                  checkpoint_every=args.checkpoint_every,
                  resume=None if resume is None else resume.checkpoint)
    _progress_with_estimate.close(result)
    if result.status is WalkStatus.INTERRUPTED:
        info("interrupted: writing what was computed so far "
             f"(continue with: lpwalk walk --resume {args.out})")
    summary = write_walk_outputs(out, prob, result, start_network, command=command,
                                 instance=instance, settings=settings, listed_files=listed)
    print(format_table(summary_rows(summary)), flush=True)
    if summary["certificate_error"]:
        info(f"error: the certificate could not be written: {summary['certificate_error']}")
        return EXIT_CHECK_FAILED
    return _walk_exit_code(result.status)


class _ProgressWithEstimate:
    """The walk's progress line, fed by ``on_pivot``, with the online estimate of the final loss.

    After each pivot :class:`lpwalk.analysis.OnlineLossEstimate` is updated and,
    once meaningful, its ``L* ≈ ...`` is shown after the loss.
    """

    def __call__(self, enabled: bool):
        from .analysis import OnlineLossEstimate
        from .walker import _Progress

        self.bar = _Progress(enabled)
        self.estimate = OnlineLossEstimate()

        def on_pivot(p):
            self.estimate.update(p)
            self.bar.extra = self.estimate.describe()
            self.bar.update(p.pivot, p.loss)

        return on_pivot

    def close(self, result) -> None:
        self.bar.update(result.n_pivots, result.loss, force=True)
        self.bar.close()


_progress_with_estimate = _ProgressWithEstimate()


def _walk_exit_code(status) -> int:
    """0 at a certified local minimum or a requested limit, 1 inconclusive, 130 interrupted."""
    from .results import WalkStatus

    if status is WalkStatus.INCONCLUSIVE:
        return EXIT_CHECK_FAILED
    if status is WalkStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_OK


# ----------------------------------------------------------------------- demo
def demo_instance(seed: int = 0, samples: int = 200, width: int = 8, inputs: int = 2,
                  noise: float = 0.1):
    r"""The demo's teacher-student instance.

    Inputs ``X`` uniform in ``[-1, 1]^{inputs}``; a teacher network
    ``[inputs, width, 1]`` with random (He) weights; targets
    ``y = teacher(X) + noise * s * e`` with ``e`` standard normal and ``s`` the
    standard deviation of the teacher's outputs (so ``noise`` is relative);
    a student of the same shape with different random weights.  Everything is
    drawn from ``seed`` (independent streams for data, teacher, student).

    Returns
    -------
    X : ndarray of shape (samples, inputs)
    y : ndarray of shape (samples,)
    teacher, student : ReLUNetwork
    """
    import numpy as np

    from .network import ReLUNetwork

    from ._validation import check_count

    seed = check_count("seed", seed)
    sizes = [inputs, width, 1]
    rng = np.random.default_rng([seed, 0])
    X = rng.uniform(-1.0, 1.0, size=(samples, inputs))
    teacher = ReLUNetwork.random(sizes, seed=[seed, 1])
    f = teacher.forward(X)
    spread = float(np.std(f)) or 1.0
    y = f + noise * spread * rng.standard_normal(samples)
    student = ReLUNetwork.random(sizes, seed=[seed, 2])
    return X, y, teacher, student


def _add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data, the teacher and the student (default: 0)")
    parser.add_argument("--samples", type=_positive_int, default=200, metavar="N",
                        help="number of samples (default: 200)")
    parser.add_argument("--width", type=_positive_int, default=8,
                        help="hidden units of teacher and student (default: 8)")
    parser.add_argument("--inputs", type=_positive_int, default=2, help="input dimension (default: 2)")
    parser.add_argument("--noise", type=_nonnegative_float, default=0.1,
                        help="target noise, relative to the spread of the teacher's outputs "
                        "(default: 0.1)")
    add_walk_arguments(parser, time_limit=60.0)


@subcommand(
    "demo",
    "walk a teacher-student instance (first layer) to a certified local minimum",
    _add_demo_arguments,
)
def _run_demo(args: argparse.Namespace) -> int:
    from functools import partial

    from .problem import LayerwiseL1Problem

    resolve_walk_options(args)
    X, y, teacher, student = demo_instance(args.seed, args.samples, args.width, args.inputs,
                                           args.noise)
    prob = LayerwiseL1Problem(student, X, y, layer=0)
    instance = (f"teacher-student, {args.inputs} inputs, {args.width} hidden units, "
                f"{args.samples} samples, noise {args.noise:g}, seed {args.seed}")
    settings = {**_walk_settings(args), "samples": args.samples, "width": args.width,
                "inputs": args.inputs, "noise": args.noise, "layer": 0}
    extra = {
        "data.npz": partial(_save_data, X=X, y=y),
        "teacher_network.npz": teacher.save,
    }
    return _run_walk_and_write(args, prob, student, command="demo", instance=instance,
                               settings=settings, extra_files=extra)


def _save_data(path, X, y) -> None:
    from ._io import atomic_write_npz

    atomic_write_npz(path, X=X, y=y)


# ----------------------------------------------------------------------- walk
def _add_walk_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, required=False)
    add_network_arguments(parser, required=False)
    add_walk_arguments(parser)
    parser.add_argument("--resume", metavar="DIR", default=None,
                        help="continue the walk whose output folder is DIR from its last "
                        "checkpoint, to the result an uninterrupted run has; takes the problem "
                        "and settings from DIR (--max-pivots and --time-limit may be given anew)")
    # None when not given, so that --resume can refuse them
    parser.set_defaults(layer=None, seed=None)


#: options that define the problem or the walk, which ``walk --resume`` takes from the checkpoint
_RESUME_FIXED = ("data", "target", "arch", "net", "layer", "seed", "pricing", "record", "out")


@subcommand(
    "walk",
    "walk one layer of a network on your data to a certified local minimum",
    _add_walk_arguments,
)
def _run_walk(args: argparse.Namespace) -> int:
    if args.resume is not None:
        return _resume_walk(args)
    if args.data is None:
        raise ValueError("walk needs --data FILE (or --resume DIR to continue a walk)")
    if args.arch is None and args.net is None:
        raise ValueError("walk needs --arch WIDTHS or --net FILE")
    args.layer = 0 if args.layer is None else args.layer
    args.seed = 0 if args.seed is None else args.seed
    resolve_walk_options(args)
    data, network, prob = problem_from_args(args)
    start = f"--net {args.net}" if args.net else f"random init, seed {args.seed}"
    sizes = "-".join(str(s) for s in network.sizes)
    instance = (f"{data.source} (target {data.target_name!r}), network {sizes} ({start}), "
                f"layer {prob.layer}")
    settings = {**_walk_settings(args), "data": data.source, "target": data.target_name,
                "arch": args.arch, "net": args.net, "layer": prob.layer}
    return _run_walk_and_write(args, prob, network, command="walk", instance=instance,
                               settings=settings)


def _resume_walk(args: argparse.Namespace) -> int:
    """``walk --resume DIR``: continue the walk of DIR from its checkpoint and rewrite DIR."""
    from .checkpoint import load_checkpoint

    given = [name for name in _RESUME_FIXED if getattr(args, name, None) is not None]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"--resume takes the problem and the walk's settings from its folder; "
                         f"do not give {flags}")
    loaded = load_checkpoint(args.resume)
    settings = dict(loaded.run.get("settings") or {})
    args.out = args.resume
    args.pricing = loaded.checkpoint.settings["pricing"]
    args.record = loaded.checkpoint.settings["record"]
    args.seed = settings.get("seed")
    for name in ("max_pivots", "time_limit"):
        if getattr(args, name) is None:
            setattr(args, name, settings.get(name, WALK_DEFAULTS.get(name)))
        settings[name] = getattr(args, name)
    if args.max_pivots is None:
        args.max_pivots = WALK_DEFAULTS["max_pivots"]
    if args.checkpoint_every is None:
        args.checkpoint_every = WALK_DEFAULTS["checkpoint_every"]
    prob = loaded.problem
    return _run_walk_and_write(args, prob, prob.base_network, command=loaded.run.get("command", "walk"),
                               instance=loaded.run.get("instance", ""), settings=settings,
                               resume=loaded)


# ------------------------------------------------------------------------ lad
def _add_lad_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    parser.add_argument("--pricing", choices=("steepest", "dantzig", "bland"), default="steepest",
                        help="entering-ray rule (default: steepest)")
    parser.add_argument("--max-pivots", type=_nonnegative_int, default=100_000, metavar="N",
                        help="stop after N pivots (default: 100000)")
    parser.add_argument("--time-limit", type=_positive_float, default=None, metavar="SECONDS",
                        help="stop after this many seconds (default: none)")
    parser.add_argument("--out", metavar="FILE.json", default=None,
                        help="also write the coefficients and the fit's numbers as JSON")


@subcommand(
    "lad",
    "least absolute deviations (L1) regression, solved exactly",
    _add_lad_arguments,
)
def _run_lad(args: argparse.Namespace) -> int:
    from ._io import atomic_write_json
    from .data import load_data
    from .lad import lad_fit
    from .output import stop_reason, versions
    from .results import WalkStatus

    data = load_data(args.data, target=args.target)
    fit_intercept = not args.no_intercept
    coef, intercept, result = lad_fit(data.X, data.y, fit_intercept=fit_intercept,
                                      pricing=args.pricing, max_pivots=args.max_pivots,
                                      time_limit=args.time_limit)
    N = data.n_samples
    cert = result.certificate
    unique = None
    if result.status is WalkStatus.LOCAL_MIN and cert is not None:
        unique = cert.strict
    rows = [(name, f"{float(c):.10g}") for name, c in zip(data.feature_names, coef)]
    rows.append(("(intercept)", f"{intercept:.10g}" if fit_intercept else "0 (not fitted)"))
    rows += [
        ("", ""),
        ("loss", f"{result.loss:.10g} (sum of absolute residuals)"),
        ("mean |residual|", f"{result.loss / N:.6g}"),
        ("samples", f"{N} ({data.source}, target {data.target_name!r})"),
        ("pivots", f"{result.n_pivots}"),
        ("time", f"{result.elapsed:.3g} s"),
        ("status", f"{result.status.value}: "
                   + ("global minimum (LAD is convex)" if result.status is WalkStatus.LOCAL_MIN
                      else stop_reason(result.status))),
    ]
    if unique is not None:
        rows.append(("unique", {True: "yes (strict minimum)",
                                False: "not necessarily (flat edge rays: other optimal "
                                       "coefficients may exist)"}[unique]))
    width = max(len(k) for k, _ in rows)
    print(f"{'coefficient':<{width}}  value")
    print("\n".join(f"{k:<{width}}  {v}".rstrip() for k, v in rows), flush=True)
    if args.out:
        atomic_write_json(args.out, {
            "command": "lad",
            "data": data.source,
            "target": data.target_name,
            "fit_intercept": fit_intercept,
            "coef": {name: float(c) for name, c in zip(data.feature_names, coef)},
            "intercept": float(intercept),
            "loss": float(result.loss),
            "mean_abs_residual": float(result.loss / N),
            "n_samples": int(N),
            "pivots": int(result.n_pivots),
            "elapsed": float(result.elapsed),
            "status": result.status.value,
            "message": result.message,
            "strict": unique,
            "versions": versions(),
        })
        info(f"wrote {args.out}")
    return _walk_exit_code(result.status)


# ----------------------------------------------------------------------- main
class _OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one ``error: ...`` line on stderr, exit code 2.

    argparse's own form (the usage block, then ``PROG: error: ...``) is
    several lines; every other input error of the CLI is one line, so this
    one is too, with a pointer to ``--help`` instead of the usage block.
    Subparsers inherit the class (``add_subparsers`` uses ``type(self)``).
    """

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = _OneLineErrorParser(
        prog="lpwalk",
        description="Exact, certified study of layer-wise L1 loss landscapes of ReLU networks.",
        epilog="Exit codes: 0 ok, 1 a check failed, 2 usage or input error, 130 interrupted.",
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
        return EXIT_INTERRUPTED


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line."""
    if isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"no such file: {exc.filename!r}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


# Subcommands defined in other modules register themselves on import.
from . import cli_certify  # noqa: E402,F401  (certify, exact)
from . import cli_study  # noqa: E402,F401  (study)
from . import cli_bench  # noqa: E402,F401  (bench)
