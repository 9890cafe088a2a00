r"""Small-scale exact studies: local minima found by the walker against the global minimum.

For a family of tiny random instances, :func:`exact_study` computes the global
minimum of the loss inside the box :math:`\|\theta\|_\infty \le B` by MILP
(:func:`lpwalk.oracle.global_min`) and walks (:func:`lpwalk.walk`) from many
random starts drawn uniformly in the box.  It reports, per instance and
overall, the gap between each local minimum found and the global minimum, the
fraction of starts that reach the global value, the number of distinct local
minima, and the outcome of re-checking every walker minimum with
:func:`lpwalk.certificate.verify`.

The walker is not confined to the box: a local minimum it finds may lie
outside, where the loss can be lower than the box's minimum.  Such minima are
counted separately and left out of the gap statistics; inside the box the
global minimum must never be above a local minimum (a violation is reported).

Instances
    A network ``[inputs, width, 1]`` (He initialisation), inputs uniform in
    ``[-1, 1]``, targets from a teacher (the same network with layer ``k``'s
    parameters drawn uniformly in half the box) plus Gaussian noise of
    standard deviation ``noise`` times the teacher's output spread, so the
    good minima lie inside the box.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field

import numpy as np

from . import oracle, tolerances
from .certificate import from_walk, verify
from ._validation import check_index, check_real, check_time_limit, make_rng
from .errors import NumericalError
from .network import ReLUNetwork
from .problem import LayerwiseL1Problem
from .results import WalkStatus
from .walker import walk

__all__ = ["StartOutcome", "InstanceSummary", "StudyResult", "exact_study", "make_instance"]


@dataclass(frozen=True)
class StartOutcome:
    """One walk of a study."""

    instance: int
    start: int
    status: str
    loss: float
    gap: float  # loss minus the global minimum of the box (nan when not a local minimum)
    reached_global: bool
    in_box: bool
    max_abs_theta: float
    minimum: int  # index of the distinct local minimum of its instance (-1: not a local minimum)
    method: str
    degenerate: bool | None
    certificate: str  # proved / verified / refuted / invalid / "" (not checked)
    pivots: int
    seconds: float
    error: str = ""  # the walker's error message when status is "error"


@dataclass(frozen=True)
class InstanceSummary:
    """The per-instance row of a study."""

    instance: int
    n_params: int
    n_samples: int
    global_status: str
    global_loss: float
    global_bound: float
    tolerance: float
    starts: int
    local_minima: int
    in_box: int
    reached_global: int
    distinct_minima: int
    distinct_in_box: int
    distinct_values: int  # distinct loss values among the local minima (flat faces count once)
    gap_min: float
    gap_median: float
    gap_max: float
    violations: int  # in-box local minima below the global minimum beyond tolerance
    certificates: dict = field(default_factory=dict)

    @property
    def fraction_global(self) -> float:
        return self.reached_global / self.starts if self.starts else float("nan")


@dataclass(frozen=True)
class StudyResult:
    """The result of :func:`exact_study`: parameters, per-instance summaries, every walk."""

    parameters: dict
    instances: tuple
    outcomes: tuple
    seconds: float
    #: True when Ctrl-C stopped the study: ``instances`` holds the ones finished before it
    interrupted: bool = False

    # ------------------------------------------------------------ overall
    @property
    def n_starts(self) -> int:
        return len(self.outcomes)

    @property
    def fraction_global(self) -> float:
        return sum(o.reached_global for o in self.outcomes) / max(len(self.outcomes), 1)

    @property
    def gaps(self) -> np.ndarray:
        """Gaps of the in-box local minima (one per start that reached one)."""
        return np.array([o.gap for o in self.outcomes if o.minimum >= 0 and o.in_box])

    @property
    def errors(self) -> int:
        """Walks that stopped with a numerical error (status ``"error"``)."""
        return sum(o.status == "error" for o in self.outcomes)

    @property
    def violations(self) -> int:
        return sum(s.violations for s in self.instances)

    @property
    def certificate_counts(self) -> dict:
        counts: dict = {}
        for o in self.outcomes:
            if o.certificate:
                counts[o.certificate] = counts.get(o.certificate, 0) + 1
        return counts

    @property
    def all_certified(self) -> bool:
        """Every walker minimum was proved or verified."""
        return all(o.certificate in ("proved", "verified") for o in self.outcomes if o.minimum >= 0
                   and o.certificate)

    # ------------------------------------------------------------- output
    def table(self) -> str:
        """A plain-text table: one row per instance and an overall line."""
        head = ("inst", "n", "N", "global", "starts", "minima", "in box", "distinct", "values", "reach glob",
                "gap min", "gap med", "gap max", "certified")
        rows = []
        for s in self.instances:
            cert = " ".join(f"{k} {v}" for k, v in sorted(s.certificates.items())) or "-"
            rows.append((str(s.instance), str(s.n_params), str(s.n_samples), _fmt(s.global_loss),
                         str(s.starts), str(s.local_minima), str(s.in_box), str(s.distinct_minima),
                         str(s.distinct_values),
                         f"{s.reached_global} ({s.fraction_global:.0%})", _fmt(s.gap_min),
                         _fmt(s.gap_median), _fmt(s.gap_max), cert))
        gaps = self.gaps
        cert = " ".join(f"{k} {v}" for k, v in sorted(self.certificate_counts.items())) or "-"
        rows.append(("all", "", "", "", str(self.n_starts),
                     str(sum(s.local_minima for s in self.instances)),
                     str(sum(s.in_box for s in self.instances)),
                     str(sum(s.distinct_minima for s in self.instances)),
                     str(sum(s.distinct_values for s in self.instances)),
                     f"{sum(s.reached_global for s in self.instances)} ({self.fraction_global:.0%})",
                     _fmt(gaps.min() if gaps.size else np.nan), _fmt(np.median(gaps) if gaps.size else np.nan),
                     _fmt(gaps.max() if gaps.size else np.nan), cert))
        widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
        lines.append(
            f"box ||theta||_inf <= {self.parameters['box']:g}; gaps over in-box local minima; "
            f"{self.violations} violations (in-box minimum below the global minimum); "
            f"{self.errors} walks stopped by a numerical error; "
            f"{self.seconds:.1f} s"
        )
        if self.interrupted:
            lines.append(f"interrupted (Ctrl-C): {len(self.instances)} of {self.parameters['instances']} "
                         "instances finished; the one in progress is left out")
        return "\n".join(lines)

    def instances_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["instance", "n_params", "n_samples", "global_status", "global_loss", "global_bound",
                    "tolerance", "starts", "local_minima", "in_box", "reached_global", "fraction_global",
                    "distinct_minima", "distinct_in_box", "distinct_values", "gap_min", "gap_median", "gap_max", "violations",
                    "proved", "verified", "refuted", "invalid"])
        for s in self.instances:
            c = s.certificates
            w.writerow([s.instance, s.n_params, s.n_samples, s.global_status, repr(s.global_loss),
                        repr(s.global_bound), repr(s.tolerance), s.starts, s.local_minima, s.in_box,
                        s.reached_global, repr(s.fraction_global), s.distinct_minima, s.distinct_in_box,
                        s.distinct_values,
                        repr(s.gap_min), repr(s.gap_median), repr(s.gap_max), s.violations,
                        c.get("proved", 0), c.get("verified", 0), c.get("refuted", 0), c.get("invalid", 0)])
        return buf.getvalue()

    def starts_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        names = list(StartOutcome.__dataclass_fields__)
        w.writerow(names)
        for o in self.outcomes:
            w.writerow([repr(v) if isinstance(v, float) else v for v in (getattr(o, k) for k in names)])
        return buf.getvalue()

    def write_csv(self, folder) -> list:
        """Write ``instances.csv`` and ``starts.csv`` into ``folder`` (atomically); returns the paths."""
        from pathlib import Path

        from ._io import atomic_write_text

        folder = Path(folder)
        paths = [folder / "instances.csv", folder / "starts.csv"]
        atomic_write_text(paths[0], self.instances_csv())
        atomic_write_text(paths[1], self.starts_csv())
        return paths


def _count_values(losses, tol) -> int:
    """Number of loss values that differ by more than ``tol`` (sorted sweep)."""
    count, last = 0, None
    for v in sorted(losses):
        if last is None or v - last > tol:
            count += 1
            last = v
    return count


def _fmt(x) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.4g}"


def make_instance(rng: np.random.Generator, inputs: int, width: int, samples: int, layer: int,
                  box: float, noise: float = 0.1) -> LayerwiseL1Problem:
    """One random instance of the study family (see the module docstring)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    for name, value in (("inputs", inputs), ("width", width), ("samples", samples)):
        _check_positive_int(name, value)
    layer = check_index("layer", layer, 0, 1)
    box = check_real("box", box, low=0.0, strict=True)
    noise = check_real("noise", noise, low=0.0)
    sizes = [inputs, width, 1]
    net = ReLUNetwork.random(sizes, seed=rng)
    X = rng.uniform(-1.0, 1.0, size=(samples, inputs))
    w = net.weights[layer]
    teacher = net.with_layer(layer, rng.uniform(-box / 2, box / 2, size=w.shape),
                             rng.uniform(-box / 2, box / 2, size=w.shape[0]))
    f = teacher.forward(X)
    spread = float(np.std(f)) or 1.0
    y = f + noise * spread * rng.normal(size=samples)
    return LayerwiseL1Problem(net, X, y, layer=layer)


def _check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _study_instance(inst, rng, inputs, width, samples, layer, B, noise, starts, certify, time_limit):
    """One instance of :func:`exact_study`: its global minimum, the walks from ``starts`` random starts.

    Returns ``(InstanceSummary, list of StartOutcome, GlobalMinResult)``; Ctrl-C
    (in the MILP, a walk or a verification) raises KeyboardInterrupt.
    """
    prob = make_instance(rng, inputs, width, samples, layer, B, noise)
    g = oracle.global_min(prob, box=B, time_limit=time_limit)
    if g.theta is not None:
        tol = tolerances.ORACLE_OBJ_RTOL * max(prob.evaluate(g.theta).loss_scale, 1e-300)
    else:
        tol = tolerances.ORACLE_OBJ_RTOL * float(np.abs(prob.y).sum())
    kappa = prob.parameter_scale
    Lam = prob.lineality_basis
    reps: list = []  # (loss, projected θ in the κ metric, in_box)
    inst_out = []
    for s in range(starts):
        theta0 = rng.uniform(-B, B, size=prob.n_params)
        t0 = time.perf_counter()
        try:
            res = walk(prob, theta0, time_limit=time_limit)
        except NumericalError as exc:
            secs = time.perf_counter() - t0
            inst_out.append(StartOutcome(
                instance=inst, start=s, status="error", loss=float("nan"), gap=float("nan"),
                reached_global=False, in_box=False, max_abs_theta=float("nan"), minimum=-1,
                method="", degenerate=None, certificate="", pivots=0, seconds=secs,
                error=" ".join(str(exc).split()),
            ))
            continue
        secs = time.perf_counter() - t0
        res.raise_if_interrupted()  # the walk caught the Ctrl-C: the study stops too
        is_min = res.status is WalkStatus.LOCAL_MIN
        max_abs = float(np.abs(res.theta).max())
        in_box = bool(max_abs <= B * (1 + 1e-9))
        gap = res.loss - g.loss if is_min else float("nan")
        idx, cert_status, degenerate, method = -1, "", None, ""
        if is_min:
            th = res.theta - Lam @ (Lam.T @ res.theta) if Lam.size else res.theta
            key = th * kappa
            for r, (rl, rk, _) in enumerate(reps):
                if abs(rl - res.loss) <= tol and np.max(np.abs(rk - key)) <= 1e-6 * max(1.0, np.max(np.abs(rk))):
                    idx = r
                    break
            if idx < 0:
                reps.append((res.loss, key, in_box))
                idx = len(reps) - 1
            degenerate = bool(res.certificate.degenerate)
            method = res.certificate.method
            if certify != "none":
                cert = from_walk(prob, res)
                cert_status = verify(cert, prob, exact=certify == "exact").status
        inst_out.append(StartOutcome(
            instance=inst, start=s, status=res.status.value, loss=float(res.loss), gap=float(gap),
            reached_global=bool(is_min and abs(gap) <= tol), in_box=in_box, max_abs_theta=max_abs,
            minimum=idx, method=method, degenerate=degenerate, certificate=cert_status,
            pivots=int(res.n_pivots), seconds=secs,
        ))
    mins = [o for o in inst_out if o.minimum >= 0]
    inbox = [o for o in mins if o.in_box]
    gaps = np.array([o.gap for o in inbox])
    certs: dict = {}
    for o in mins:
        if o.certificate:
            certs[o.certificate] = certs.get(o.certificate, 0) + 1
    summary = InstanceSummary(
        instance=inst, n_params=prob.n_params, n_samples=prob.n_samples,
        global_status=g.status.value, global_loss=float(g.loss), global_bound=float(g.bound),
        tolerance=float(tol), starts=starts, local_minima=len(mins), in_box=len(inbox),
        reached_global=sum(o.reached_global for o in inst_out), distinct_minima=len(reps),
        distinct_in_box=sum(1 for r in reps if r[2]),
        distinct_values=_count_values([r[0] for r in reps], tol),
        gap_min=float(gaps.min()) if gaps.size else float("nan"),
        gap_median=float(np.median(gaps)) if gaps.size else float("nan"),
        gap_max=float(gaps.max()) if gaps.size else float("nan"),
        violations=int(np.count_nonzero(gaps < -tol)) if g.success else 0,
        certificates=certs,
    )
    return summary, inst_out, g


def exact_study(instances: int = 6, starts: int = 30, inputs: int = 1, width: int = 3,
                samples: int = 10, layer: int = 0, box: float = 4.0, seed: int = 0,
                noise: float = 0.1, certify: str = "exact", time_limit: float | None = 60.0,
                progress=None) -> StudyResult:
    r"""Walk tiny random instances from many starts and compare with the global minimum in a box.

    Parameters
    ----------
    instances, starts : int
        Number of random instances, and of random starts per instance.
    inputs, width, samples : int
        Network ``[inputs, width, 1]`` and ``N = samples``.
    layer : int
        The trainable layer (0 hidden, 1 output).
    box : float
        ``B``: the global minimum is taken over :math:`\|\theta\|_\infty \le B`,
        starts are uniform in the box.
    seed : int
        Everything is reproducible from it.
    noise : float
        Noise level of the targets (see the module docstring).
    certify : {"exact", "float", "none"}
        How every walker minimum is re-checked (:func:`lpwalk.certificate.verify`).
    time_limit : float, optional
        Seconds for each global MILP.
    progress : callable, optional
        Called with a one-line string after each instance.

    Returns
    -------
    StudyResult

    Notes
    -----
    Two loss values agree when they differ by at most
    ``ORACLE_OBJ_RTOL`` times the loss scale at the global minimiser (the sum
    of the residuals' rounding scales, :mod:`lpwalk.tolerances`): a start
    *reaches the global value* when its minimum agrees with the box's global
    minimum.  Two local minima are the same when their losses agree and their
    parameters, with the lineality component removed and measured in the
    unit-consistent metric, agree to ``1e-6`` relative.
    """
    instances = _check_positive_int("instances", instances)
    starts = _check_positive_int("starts", starts)
    inputs = _check_positive_int("inputs", inputs)
    width = _check_positive_int("width", width)
    samples = _check_positive_int("samples", samples)
    layer = check_index("layer", layer, 0, 1)
    noise = check_real("noise", noise, low=0.0)
    time_limit = check_time_limit("time_limit", time_limit)
    if certify not in ("exact", "float", "none"):
        raise ValueError(f"certify must be 'exact', 'float' or 'none', got {certify!r}")
    try:
        B = float(box)
    except (TypeError, ValueError):
        raise TypeError(f"box must be a number, got {type(box).__name__}") from None
    if not np.isfinite(B) or B <= 0:
        raise ValueError(f"box must be a positive finite number, got {box!r}")
    t_start = time.perf_counter()
    rng = make_rng("seed", seed)
    summaries, outcomes = [], []
    interrupted = False
    for inst in range(instances):
        try:
            summary, inst_out, g = _study_instance(inst, rng, inputs, width, samples, layer, B, noise, starts,
                                                   certify, time_limit)
        except KeyboardInterrupt:  # the instance in progress is left out; the finished ones are kept
            interrupted = True
            break
        summaries.append(summary)
        outcomes.extend(inst_out)
        if progress is not None:
            progress(f"instance {inst + 1}/{instances}: global {g.loss:.6g} ({g.status.value}), "
                     f"{summary.local_minima} minima, {summary.reached_global} reach it")
    params = dict(instances=instances, starts=starts, inputs=inputs, width=width, samples=samples,
                  layer=layer, box=B, seed=seed, noise=noise, certify=certify)
    return StudyResult(parameters=params, instances=tuple(summaries), outcomes=tuple(outcomes),
                       seconds=time.perf_counter() - t_start, interrupted=interrupted)
