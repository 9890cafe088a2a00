r"""The trajectory study: do the seed paper's three observations hold on walks we can certify?

Hinz (arXiv 2105.02831) reports that near a local minimum of the layer-wise
L1 loss (i) the loss decays roughly exponentially over subsequent vertices,
(ii) so the final level can be estimated early, and (iii) the vertices lie
denser.  :func:`run_trajectory_study` walks a grid of instances (teacher–student
and pure-noise targets, several widths and seeds) to certified local minima,
measures each observation with :mod:`lpwalk.analysis`, and
:func:`write_study_report` writes a folder with ``report.md`` (one section per
observation: medians and quartiles over seeds, and a verdict computed from
stated criteria), figures and the raw per-pivot data.

Protocol (per instance)
    Inputs uniform in :math:`[-1, 1]^{d}`, a student ``[d, width, 1]`` with
    random weights (:func:`lpwalk.cli.demo_instance`); targets either a teacher
    of the same shape plus 10 % noise (``teacher``) or independent standard
    normal noise (``noise``).  Walk layer ``layer`` (default the first) with
    steepest-edge pricing under a time limit.  Walks that do not end at a
    certified local minimum, or end after fewer than ``min_pivots`` pivots,
    are listed but left out of the statistics (the final loss must be a
    local minimum's for :math:`L_t - L^*` to mean anything).

Per walk (stop vertices :math:`t = 0..T`, window :math:`W = \max(w_0, \mathrm{round}(fT))`)
    * decay: :func:`~lpwalk.analysis.trailing_fit` (last ``W`` decrements) and
      :func:`~lpwalk.analysis.early_fit` (first ``W``): rate ``q`` and :math:`R^2`;
    * early estimate: :func:`~lpwalk.analysis.early_estimates` with window
      ``W``; errors at fractions of the walk;
    * density: step length (metric :math:`\hat\theta = \kappa\theta`), median
      over the last third of the pivots divided by the median over the first
      third (positive steps only); crossing density
      (:func:`~lpwalk.analysis.crossing_density`, radius
      :math:`r = \rho\,\|\kappa\theta_T\|`) at evenly spaced vertices, mean over
      the last third divided by the mean over the first third, and Spearman's
      correlation of density with the distance to the final vertex.
"""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import analysis
from ._io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ._validation import check_count, check_real, check_time_limit

__all__ = [
    "StudyConfig",
    "WalkRecord",
    "StudyResult",
    "run_trajectory_study",
    "walk_metrics",
    "group_summaries",
    "verdicts",
    "write_study_report",
    "read_pivots_csv",
    "fmt",
    "PIVOT_COLUMNS",
    "CRITERIA",
]

DATA_KINDS = ("teacher", "noise")

#: The criteria of the verdicts (stated in the report with the measured numbers).
CRITERIA = {
    "decay_r2": 0.7,  # trailing R² at least this (median)
    "decay_q": 1.0,  # trailing q below this (median)
    "estimate_gap": 1.0,  # median gap ratio at 75 % of the walk below this
    "estimate_fraction": 0.75,
    "density_ratio": 1.0,  # late/early crossing density above this: increases
    "density_strong": 2.0,  # ... at least this: increases strongly
}


@dataclass(frozen=True)
class StudyConfig:
    """Settings of the protocol (module docstring)."""

    seeds: tuple = (0, 1, 2, 3, 4)
    widths: tuple = (4, 8)
    samples: int = 200
    inputs: int = 2
    layer: int = 0
    data_kinds: tuple = DATA_KINDS
    noise: float = 0.1
    time_limit: float = 20.0
    max_pivots: int = 20_000
    window_fraction: float = 0.25
    min_window: int = 5
    min_pivots: int = 12
    fractions: tuple = (0.25, 0.5, 0.75, 0.9)
    density_points: int = 7
    density_lines: int = 6
    radius_fraction: float = 0.02

    def check(self) -> "StudyConfig":
        """Return the configuration unchanged, or raise naming the first setting that is out of range."""
        if not self.seeds or not self.widths:
            raise ValueError("seeds and widths must not be empty")
        for seed in self.seeds:
            check_count("seeds", seed, minimum=0)
        for width in self.widths:
            check_count("widths", width, minimum=1)
        if isinstance(self.layer, bool) or self.layer not in (0, 1):
            raise ValueError(f"layer must be 0 (hidden) or 1 (output) for the [inputs, width, 1] "
                             f"networks of the study, got {self.layer!r}")
        check_count("samples", self.samples, minimum=1)
        check_count("inputs", self.inputs, minimum=1)
        check_count("max_pivots", self.max_pivots, minimum=1)
        check_count("min_pivots", self.min_pivots, minimum=0)
        check_real("noise", self.noise, low=0.0)
        if check_time_limit("time_limit", self.time_limit) is None:
            raise ValueError("time_limit must be a positive number of seconds, got None")
        check_real("window_fraction", self.window_fraction, low=0.0, strict=True)
        check_real("radius_fraction", self.radius_fraction, low=0.0, strict=True)
        for f in self.fractions:
            if not 0.0 <= check_real("fractions", f) <= 1.0:
                raise ValueError(f"fractions must lie in [0, 1], got {f!r}")
        bad = [k for k in self.data_kinds if k not in DATA_KINDS]
        if bad or not self.data_kinds:
            raise ValueError(f"data_kinds must be a non-empty subset of {DATA_KINDS}, got {self.data_kinds}")
        if self.min_window < 3 or self.density_points < 3 or self.density_lines < 1:
            raise ValueError("min_window and density_points must be at least 3, density_lines at least 1")
        return self


@dataclass(frozen=True, eq=False)
class WalkRecord:
    """One walk of the study: its instance, outcome and per-vertex series.

    ``series`` maps a column of :data:`PIVOT_COLUMNS` (from ``t`` on) to an
    array over the stop vertices; ``metrics`` holds :func:`walk_metrics`.
    """

    data: str
    width: int
    seed: int
    status: str
    n_pivots: int
    final_loss: float
    elapsed: float
    eligible: bool
    series: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class StudyResult:
    """The walks of a trajectory study; ``interrupted`` when Ctrl-C stopped it before the last walk."""

    config: StudyConfig
    records: tuple
    elapsed: float
    interrupted: bool = False

    @property
    def planned(self) -> int:
        """Walks the protocol asks for (``len(records)`` unless interrupted)."""
        cfg = self.config
        return len(cfg.data_kinds) * len(cfg.widths) * len(cfg.seeds)


#: Columns of ``pivots.csv`` (one row per stop vertex of every walk).
PIVOT_COLUMNS = ("data", "width", "seed", "status", "eligible", "t", "pivot", "loss", "decrement",
                 "step_length", "dist_to_final", "estimate", "q_window", "r2_window",
                 "crossing_density", "radius")


# ------------------------------------------------------------------ instances
def _instance(kind: str, seed: int, samples: int, width: int, inputs: int, noise: float, layer: int):
    from .cli import demo_instance
    from .problem import LayerwiseL1Problem

    X, y, _teacher, student = demo_instance(seed, samples, width, inputs, noise)
    if kind == "noise":
        y = np.random.default_rng([seed, 3]).standard_normal(samples)
    return LayerwiseL1Problem(student, X, y, layer=layer)


def _series(prob, result, cfg: StudyConfig, seed: int) -> dict:
    sv = analysis.stop_vertices(result.trajectory)
    T = len(sv) - 1
    kappa = prob.parameter_scale
    W = max(cfg.min_window, int(round(cfg.window_fraction * T)))
    est = analysis.early_estimates(sv.loss, W) if T >= 1 else None
    nan = np.full(T + 1, np.nan)
    dec = np.concatenate([analysis.decrements(sv.loss), [np.nan]])
    step = np.concatenate([[np.nan], analysis.step_lengths(sv.theta, kappa)])
    dist = analysis.distance_to_final(sv.theta, kappa)
    density = nan.copy()
    radius = nan.copy()
    if T >= cfg.min_pivots:
        r = cfg.radius_fraction * float(np.linalg.norm(kappa * sv.theta[-1]))
        if r > 0:
            at = np.unique(np.round(np.linspace(0, T, cfg.density_points)).astype(int))
            for t in at:
                cd = analysis.crossing_density(prob, sv.theta[t], r, cfg.density_lines, seed=[seed, int(t)])
                density[t], radius[t] = cd.density, r
    return {
        "t": np.arange(T + 1), "pivot": sv.pivot, "loss": sv.loss, "decrement": dec,
        "step_length": step, "dist_to_final": dist,
        "estimate": est.estimate if est is not None else nan, "q_window": est.q if est is not None else nan,
        "r2_window": est.r2 if est is not None else nan, "crossing_density": density, "radius": radius,
        "window": W,
    }


def walk_metrics(series: dict, cfg: StudyConfig) -> dict:
    """The per-walk numbers of the report, from the per-vertex series alone (module docstring)."""
    missing = [c for c in ("loss", "step_length", "crossing_density", "dist_to_final") if c not in series]
    if missing:
        raise ValueError(f"series misses the columns {missing}")
    loss = np.asarray(series["loss"], dtype=float)
    T = loss.shape[0] - 1
    W = max(cfg.min_window, int(round(cfg.window_fraction * T)))
    trail = analysis.trailing_fit(loss, W)
    early = analysis.early_fit(loss, W)
    est = analysis.early_estimates(loss, W)
    errs = analysis.estimate_errors(loss, est, cfg.fractions)
    out = {"T": T, "window": W, "trailing_q": trail.q, "trailing_r2": trail.r2, "trailing_flat": trail.n_flat,
           "early_q": early.q, "early_r2": early.r2, "early_flat": early.n_flat, "final_loss": float(loss[-1])}
    for e in errs:
        key = f"{int(round(100 * e.fraction))}"
        out[f"gap_ratio_{key}"] = e.gap_ratio
        out[f"rel_error_{key}"] = e.relative_error
    t = np.arange(T + 1)
    step = np.asarray(series["step_length"], dtype=float)
    first, last = (t >= 1) & (t <= T / 3), t >= 2 * T / 3
    s_first = step[first & (step > 0)]
    s_last = step[last & (step > 0)]
    out["step_early"] = float(np.median(s_first)) if s_first.size else float("nan")
    out["step_late"] = float(np.median(s_last)) if s_last.size else float("nan")
    out["step_ratio"] = out["step_late"] / out["step_early"] if s_first.size and s_last.size else float("nan")
    dens = np.asarray(series["crossing_density"], dtype=float)
    have = np.isfinite(dens)
    d_first = dens[have & (t <= T / 3)]
    d_last = dens[have & (t >= 2 * T / 3)]
    out["density_early"] = float(np.mean(d_first)) if d_first.size else float("nan")
    out["density_late"] = float(np.mean(d_last)) if d_last.size else float("nan")
    out["density_ratio"] = (out["density_late"] / out["density_early"]
                            if d_first.size and d_last.size and out["density_early"] > 0 else float("nan"))
    dist = np.asarray(series["dist_to_final"], dtype=float)
    out["density_spearman"] = _spearman(dist[have], dens[have])
    return out


def _spearman(x, y) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN with fewer than 3 points or a constant."""
    from scipy.stats import rankdata

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 3:
        return float("nan")
    rx, ry = rankdata(x), rankdata(y)
    if np.std(rx) == 0 or np.std(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


# ------------------------------------------------------------------------ run
def run_trajectory_study(cfg: StudyConfig, log=None) -> StudyResult:
    """Walk every instance of the protocol and measure it; ``log(str)`` reports progress.

    Ctrl-C ends the study, not only the walk it interrupts: the result holds
    the walks measured so far (the interrupted walk included, with status
    ``interrupted``, never used in the statistics) and ``interrupted=True``,
    so the report of a stopped study can still be written.
    """
    from .results import WalkStatus
    from .walker import walk

    if not isinstance(cfg, StudyConfig):
        raise TypeError(f"cfg must be a StudyConfig, got {type(cfg).__name__}")
    cfg.check()
    t0 = time.perf_counter()
    records = []
    plan = [(kind, int(width), int(seed)) for kind in cfg.data_kinds for width in cfg.widths for seed in cfg.seeds]
    interrupted = False
    for kind, width, seed in plan:
        try:
            prob = _instance(kind, seed, cfg.samples, width, cfg.inputs, cfg.noise, cfg.layer)
            res = walk(prob, max_pivots=cfg.max_pivots, time_limit=cfg.time_limit, seed=seed)
            series = _series(prob, res, cfg, seed)
            T = len(series["loss"]) - 1
            eligible = res.status is WalkStatus.LOCAL_MIN and T >= cfg.min_pivots
            metrics = walk_metrics(series, cfg) if eligible else {}
        except KeyboardInterrupt:  # while building or measuring: that walk is left out
            interrupted = True
            break
        records.append(WalkRecord(kind, width, seed, res.status.value, int(res.n_pivots),
                                  float(res.loss), float(res.elapsed), eligible, series, metrics))
        if log is not None:
            log(f"{kind:<7} width {width:>3} seed {seed:>3}: {res.status.value}, {res.n_pivots} pivots, "
                f"loss {res.loss:.6g}, {time.perf_counter() - t0:.1f} s")
        if res.status is WalkStatus.INTERRUPTED:  # the walk caught the Ctrl-C: the study stops too
            interrupted = True
            break
    return StudyResult(cfg, tuple(records), time.perf_counter() - t0, interrupted=interrupted)


# ---------------------------------------------------------------- aggregation
def fmt(x) -> str:
    """Numbers in the report: 4 significant digits, ``nan`` for undefined."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "nan"
    return f"{float(x):.4g}"


def _stats(values) -> dict:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return {"n": 0, "median": float("nan"), "q25": float("nan"), "q75": float("nan")}
    return {"n": int(v.size), "median": float(np.median(v)), "q25": float(np.quantile(v, 0.25)),
            "q75": float(np.quantile(v, 0.75))}


#: (metric key, label in the report) per observation
OBS_METRICS = {
    "decay": [("trailing_q", "q, trailing window"), ("trailing_r2", "R², trailing window"),
              ("early_q", "q, early window"), ("early_r2", "R², early window"),
              ("trailing_flat", "flat pivots left out, trailing window")],
    "estimate": None,  # filled from the fractions
    "density": [("step_ratio", "step length late/early"), ("density_early", "crossing density early"),
                ("density_late", "crossing density late"), ("density_ratio", "crossing density late/early"),
                ("density_spearman", "Spearman(density, distance to final)")],
}


def _estimate_metrics(cfg: StudyConfig):
    rows = []
    for f in cfg.fractions:
        key = f"{int(round(100 * f))}"
        rows.append((f"gap_ratio_{key}", f"gap ratio at {key} % of the walk"))
    for f in cfg.fractions:
        key = f"{int(round(100 * f))}"
        rows.append((f"rel_error_{key}", f"relative error at {key} % of the walk"))
    return rows


def group_summaries(records, cfg: StudyConfig) -> dict:
    """``{(data, width or "all"): {metric: stats}}`` over the eligible walks."""
    keys = [k for obs in ("decay", "density") for k, _ in OBS_METRICS[obs]]
    keys += [k for k, _ in _estimate_metrics(cfg)] + ["T"]
    groups = {}
    for kind in cfg.data_kinds:
        for width in list(cfg.widths) + ["all"]:
            recs = [r for r in records if r.eligible and r.data == kind and (width == "all" or r.width == width)]
            groups[(kind, width)] = {k: _stats([r.metrics[k] for r in recs]) for k in keys}
    return groups


def verdicts(groups: dict, cfg: StudyConfig) -> dict:
    """``{(observation, data): (verdict, reason)}`` from the pooled ("all" widths) medians and :data:`CRITERIA`."""
    out = {}
    c = CRITERIA
    fkey = f"gap_ratio_{int(round(100 * c['estimate_fraction']))}"
    for kind in cfg.data_kinds:
        g = groups[(kind, "all")]
        if g["trailing_r2"]["n"] == 0:
            for obs in ("decay", "estimate", "density"):
                out[(obs, kind)] = ("no data", "no eligible walk")
            continue
        r2, q, er2 = g["trailing_r2"]["median"], g["trailing_q"]["median"], g["early_r2"]["median"]
        if r2 >= c["decay_r2"] and q < c["decay_q"]:
            v = "supported" if (math.isfinite(er2) and r2 > er2) else "partly supported"
            why = (f"median trailing R² {fmt(r2)} ≥ {fmt(c['decay_r2'])} and median q {fmt(q)} < 1; "
                   f"early-window R² {fmt(er2)} is {'lower' if v == 'supported' else 'not lower'}")
        else:
            v = "not supported"
            why = f"median trailing R² {fmt(r2)} (criterion ≥ {fmt(c['decay_r2'])}), median q {fmt(q)}"
        out[("decay", kind)] = (v, why)
        gap = g.get(fkey, {"median": float("nan")})["median"]
        if math.isfinite(gap) and gap < c["estimate_gap"]:
            out[("estimate", kind)] = ("supported", f"median gap ratio at {fkey[10:]} % of the walk {fmt(gap)} < 1: "
                                                    "the estimate is closer to the final loss than the current loss")
        else:
            out[("estimate", kind)] = ("not supported", f"median gap ratio at {fkey[10:]} % of the walk {fmt(gap)} "
                                                        "(criterion < 1)")
        dr = g["density_ratio"]["median"]
        if math.isfinite(dr) and dr >= c["density_strong"]:
            out[("density", kind)] = ("supported", f"median late/early crossing density {fmt(dr)} ≥ "
                                                   f"{fmt(c['density_strong'])}")
        elif math.isfinite(dr) and dr > c["density_ratio"]:
            out[("density", kind)] = ("partly supported", f"median late/early crossing density {fmt(dr)} > 1 "
                                                          f"but < {fmt(c['density_strong'])} (not strongly)")
        else:
            out[("density", kind)] = ("not supported", f"median late/early crossing density {fmt(dr)} (criterion > 1)")
    return out


# --------------------------------------------------------------------- output
def _pivots_csv(records) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PIVOT_COLUMNS)
    for r in records:
        s = r.series
        for i in range(len(s["loss"])):
            row = [r.data, r.width, r.seed, r.status, int(r.eligible)]
            for col in PIVOT_COLUMNS[5:]:
                v = s[col][i]
                row.append(int(v) if col in ("t", "pivot") else repr(float(v)))
            w.writerow(row)
    return buf.getvalue()


def read_pivots_csv(path) -> dict:
    """``{(data, width, seed): {column: array}}`` from ``pivots.csv`` (for re-analysis)."""
    name = str(path)
    if not Path(path).exists():
        raise FileNotFoundError(f"no such file: {name!r}")
    if Path(path).is_dir():
        raise ValueError(f"{name!r} is a folder, expected pivots.csv")
    out: dict = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in PIVOT_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{name!r} is not a pivots.csv file: missing columns {missing}")
            for row in reader:
                where = f"{name!r} line {reader.line_num}"
                try:
                    key = (row["data"], int(row["width"]), int(row["seed"]))
                    d = out.setdefault(key, {"status": row["status"], "eligible": bool(int(row["eligible"]))})
                    for col in PIVOT_COLUMNS[5:]:
                        d.setdefault(col, []).append(float(row[col]))
                except (TypeError, ValueError):
                    raise ValueError(f"{where}: a cell is missing or not a number") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"could not parse {name!r} as CSV: {exc}") from None
    except OSError as exc:
        raise ValueError(f"could not read {name!r}: {exc.strerror or exc}") from None
    for d in out.values():
        for col in PIVOT_COLUMNS[5:]:
            d[col] = np.asarray(d[col])
    return out


def _walks_csv(records, cfg) -> str:
    keys = sorted({k for r in records for k in r.metrics})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["data", "width", "seed", "status", "pivots", "final_loss", "elapsed", "eligible"] + keys)
    for r in records:
        w.writerow([r.data, r.width, r.seed, r.status, r.n_pivots, repr(r.final_loss), f"{r.elapsed:.4f}",
                    int(r.eligible)] + [repr(float(r.metrics[k])) if k in r.metrics else "" for k in keys])
    return buf.getvalue()


def _table(groups, cfg, metrics) -> str:
    lines = ["| data | width | walks | quantity | median | q25 | q75 |", "|---|---|---|---|---|---|---|"]
    for kind in cfg.data_kinds:
        for width in list(cfg.widths) + ["all"]:
            g = groups[(kind, width)]
            for key, label in metrics:
                s = g[key]
                lines.append(f"| {kind} | {width} | {s['n']} | {label} | {fmt(s['median'])} | {fmt(s['q25'])} "
                             f"| {fmt(s['q75'])} |")
    return "\n".join(lines)


def _report(result: StudyResult, groups, verdict) -> str:
    cfg = result.config
    recs = result.records
    n_el = sum(r.eligible for r in recs)
    status_counts: dict = {}
    for r in recs:
        status_counts[r.status] = status_counts.get(r.status, 0) + 1
    short = sum(1 for r in recs if r.status == "local_min" and not r.eligible)
    c = CRITERIA
    L = []
    L.append("# Trajectory study: loss decay, early estimates and vertex density near local minima\n")
    if result.interrupted:
        L.append(f"**Interrupted (Ctrl-C) after {len(recs)} of the {result.planned} walks of the protocol**: "
                 "the numbers below are over the walks that were run.\n")
    L.append(f"Protocol: {len(recs)} walks — data {', '.join(cfg.data_kinds)}; widths "
             f"{', '.join(map(str, cfg.widths))}; seeds {', '.join(map(str, cfg.seeds))}; "
             f"N = {cfg.samples} samples, {cfg.inputs} inputs, layer {cfg.layer}; time limit "
             f"{fmt(cfg.time_limit)} s per walk; {fmt(result.elapsed)} s in total.")
    L.append("Walk outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(status_counts.items()))
             + f". Used in the statistics: {n_el} walks (certified local minimum and at least "
               f"{cfg.min_pivots} pivots; {short} certified walks were shorter).")
    L.append(f"Window: W = max({cfg.min_window}, round({fmt(cfg.window_fraction)} T)) decrements, T the pivots "
             "of the walk. Flat pivots (zero decrement) are left out of the log-linear fits. Medians and "
             "quartiles are over the walks of each group; width `all` pools the widths. "
             "Raw data: `pivots.csv` (per stop vertex), `walks.csv` (per walk).\n")

    L.append("## Observation 1: exponential decay of the loss near local minima\n")
    L.append("Fit of log Δ_t = a + t log q on the last W decrements (trailing) and on the first W (early).")
    L.append(f"Criterion: supported when the pooled median trailing R² ≥ {fmt(c['decay_r2'])}, the median q < 1 "
             "and the early-window R² is lower (the walk behaves differently near the minimum).\n")
    L.append(_table(groups, cfg, OBS_METRICS["decay"]) + "\n")
    for kind in cfg.data_kinds:
        v, why = verdict[("decay", kind)]
        L.append(f"- **{kind}: {v}** — {why}.")
    L.append("\n![L_t − L* against t](decay.png)\n")

    L.append("## Observation 2: early estimate of the final loss\n")
    L.append("L̂*(t) = L_t − Δ̂_t/(1 − q̂(t)) from the W decrements before vertex t. Gap ratio "
             "|L̂*(t) − L*| / (L_t − L*): below 1 the estimate beats the current loss as a guess of the final "
             "one; relative error |L̂*(t) − L*| / L*. Undefined estimates (q̂ ≥ 1, too few points) are left out.")
    L.append(f"Criterion: supported when the pooled median gap ratio at {int(100 * c['estimate_fraction'])} % "
             "of the walk is below 1.\n")
    L.append(_table(groups, cfg, _estimate_metrics(cfg)) + "\n")
    for kind in cfg.data_kinds:
        v, why = verdict[("estimate", kind)]
        L.append(f"- **{kind}: {v}** — {why}.")
    L.append("\n![L̂*(t) against t](estimate.png)\n")

    L.append("## Observation 3: vertex density increases near local minima\n")
    L.append("Step length ‖κ(θ_{t+1} − θ_t)‖ (metric θ̂ = κθ): median over the last third of the pivots "
             "divided by the median over the first third. Crossing density: breakpoints per unit length "
             f"(θ̂ metric) along {cfg.density_lines} random lines through {cfg.density_points} evenly spaced "
             f"vertices, radius {fmt(cfg.radius_fraction)} ‖κθ_T‖; late/early = mean over the last third over "
             "the mean over the first third. Spearman < 0: denser closer to the final vertex.")
    L.append(f"Criterion: supported when the pooled median late/early density ratio ≥ {fmt(c['density_strong'])} "
             "(increases strongly), partly supported when > 1.\n")
    L.append(_table(groups, cfg, OBS_METRICS["density"]) + "\n")
    for kind in cfg.data_kinds:
        v, why = verdict[("density", kind)]
        L.append(f"- **{kind}: {v}** — {why}.")
    L.append("\n![step length and crossing density](density.png)\n")
    return "\n".join(L) + "\n"


def _figures(result: StudyResult) -> dict:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .figures import render_png

    cfg = result.config
    kinds = list(cfg.data_kinds)
    used = [r for r in result.records if r.eligible]
    out = {}

    def new(rows=1):
        fig = Figure(figsize=(4.6 * len(kinds), 3.6 * rows), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        return fig, np.atleast_2d(fig.subplots(rows, len(kinds), squeeze=False))

    fig, axes = new()
    for j, kind in enumerate(kinds):
        ax = axes[0, j]
        for r in used:
            if r.data != kind:
                continue
            loss = r.series["loss"]
            gap = loss - loss[-1]
            keep = gap > 0
            ax.semilogy(r.series["t"][keep], gap[keep], "-", lw=0.8, alpha=0.7,
                        color=f"C{list(cfg.widths).index(r.width) % 10}")
        for i, w in enumerate(cfg.widths):
            ax.plot([], [], color=f"C{i % 10}", label=f"width {w}")
        ax.set_title(f"{kind}: L_t − L* (log)")
        ax.set_xlabel("stop vertex t")
        ax.set_ylabel("L_t − L*")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    out["decay.png"] = render_png(fig)

    fig, axes = new(2)
    for j, kind in enumerate(kinds):
        ax = axes[0, j]
        mine = [r for r in used if r.data == kind]
        if mine:
            r = max(mine, key=lambda r: len(r.series["loss"]))
            s = r.series
            ax.plot(s["t"], s["loss"], "-", color="C0", lw=1, label="L_t")
            ax.plot(s["t"], s["estimate"], ".", color="C1", ms=3, label="L̂*(t)")
            ax.axhline(s["loss"][-1], color="C3", lw=1, ls="--", label=f"final {s['loss'][-1]:.4g}")
            lo, hi = s["loss"][-1], s["loss"][0]
            ax.set_ylim(lo - 0.3 * (hi - lo) - 1e-12, hi + 0.05 * (hi - lo) + 1e-12)
            ax.set_title(f"{kind}: longest walk (width {r.width}, seed {r.seed})")
        ax.set_xlabel("stop vertex t")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        ax = axes[1, j]
        for r in mine:
            s = r.series
            T = len(s["loss"]) - 1
            gap = s["loss"] - s["loss"][-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.abs(s["estimate"] - s["loss"][-1]) / gap
            keep = np.isfinite(ratio) & (ratio > 0)
            ax.semilogy(s["t"][keep] / max(T, 1), ratio[keep], "-", lw=0.7, alpha=0.6)
        ax.axhline(1.0, color="k", lw=1, ls="--")
        ax.set_xlabel("fraction of the walk t/T")
        ax.set_ylabel("|L̂*(t) − L*| / (L_t − L*)")
        ax.set_title(f"{kind}: gap ratio (< 1: better than L_t)")
        ax.grid(True, which="both", alpha=0.3)
    out["estimate.png"] = render_png(fig)

    fig, axes = new(2)
    for j, kind in enumerate(kinds):
        mine = [r for r in used if r.data == kind]
        ax = axes[0, j]
        for r in mine:
            s = r.series
            keep = np.isfinite(s["step_length"]) & (s["step_length"] > 0)
            T = len(s["loss"]) - 1
            ax.semilogy(s["t"][keep] / max(T, 1), s["step_length"][keep], ".", ms=2, alpha=0.5,
                        color=f"C{list(cfg.widths).index(r.width) % 10}")
        ax.set_xlabel("fraction of the walk t/T")
        ax.set_ylabel("step length ‖κΔθ‖")
        ax.set_title(f"{kind}: step lengths")
        ax.grid(True, which="both", alpha=0.3)
        ax = axes[1, j]
        for r in mine:
            s = r.series
            keep = np.isfinite(s["crossing_density"])
            dens = s["crossing_density"][keep]
            T = len(s["loss"]) - 1
            if dens.size and dens[0] > 0:
                ax.semilogy(s["t"][keep] / max(T, 1), dens / dens[0], ".-", lw=0.6, ms=4, alpha=0.7,
                            color=f"C{list(cfg.widths).index(r.width) % 10}")
        ax.axhline(1.0, color="k", lw=1, ls="--")
        for i, w in enumerate(cfg.widths):
            ax.plot([], [], color=f"C{i % 10}", label=f"width {w}")
        ax.set_xlabel("fraction of the walk t/T")
        ax.set_ylabel("crossing density / density at t = 0")
        ax.set_title(f"{kind}: crossing density (breakpoints per unit length)")
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
    out["density.png"] = render_png(fig)
    return out


def _json_ready(obj):
    """NaN and inf become None (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_study_report(result: StudyResult, out_dir) -> list[str]:
    """Write ``report.md``, ``decay.png``, ``estimate.png``, ``density.png``, ``pivots.csv``, ``walks.csv``
    and ``summary.json`` into ``out_dir`` (each atomically); returns the file names."""
    if not isinstance(result, StudyResult):
        raise TypeError(f"result must be a StudyResult, got {type(result).__name__}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {str(out_dir)!r} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    groups = group_summaries(result.records, cfg)
    verdict = verdicts(groups, cfg)
    files = []
    atomic_write_text(out_dir / "pivots.csv", _pivots_csv(result.records))
    atomic_write_text(out_dir / "walks.csv", _walks_csv(result.records, cfg))
    files += ["pivots.csv", "walks.csv"]
    for name, png in _figures(result).items():
        atomic_write_bytes(out_dir / name, png)
        files.append(name)
    atomic_write_text(out_dir / "report.md", _report(result, groups, verdict))
    files.append("report.md")
    atomic_write_json(out_dir / "summary.json", _json_ready({
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()},
        "criteria": CRITERIA,
        "elapsed": result.elapsed,
        "interrupted": result.interrupted,
        "walks": {"planned": result.planned, "run": len(result.records)},
        "verdicts": {f"{obs}/{kind}": {"verdict": v, "reason": why} for (obs, kind), (v, why) in verdict.items()},
        "groups": {f"{kind}/{width}": g for (kind, width), g in groups.items()},
    }))
    files.append("summary.json")
    return files
