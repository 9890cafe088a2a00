r"""Performance side by side: the walker against what a user would pick instead.

One run, the same data for every contender, three sections:

* **LAD regression** :math:`\min_{w,b}\sum_i |x_i^T w + b - y_i|` (heavy-tailed
  noise): :func:`lpwalk.lad_fit` against HiGHS on the textbook LP (dual
  simplex; interior point with crossover), scikit-learn's
  ``QuantileRegressor(quantile=0.5, alpha=0, solver="highs")`` and statsmodels'
  ``QuantReg(...).fit(q=0.5)`` (IRLS, approximate).  Each contender has a time
  budget per size: a size whose predicted time (a power law fitted to the
  smaller sizes of the same ``p``) exceeds it is skipped and reported so.
* **First-layer walks** (teacher–student data): the walker per pivot and to
  its local minimum against the LP-per-region approach (the region LP of
  :func:`lpwalk.oracle.solve_region`, timed on a few regions the walk visits),
  and against subgradient descent and Adam on the same L1 loss given the
  walk's wall time (step sizes tuned on a small grid, the tuning not charged).
* **Scaling**: per-pivot time against ``N`` (fixed ``n``) and against ``n``
  (fixed ``N``), with the exponents of log–log least-squares fits.

Per-pivot time is the time from the first vertex to the last stop vertex
divided by the pivots in between: reaching the first vertex and the final
certificate are excluded (they are in the "to the local minimum" time).

scikit-learn and statsmodels are optional (``pip install lpwalk[bench]``): a
contender whose package is missing is skipped with a note.  HiGHS is driven
directly through ``highspy`` here, as a user solving the LP would.

Timings depend on the machine and its load; the report states the machine.
Nothing here is used by the test suite except the quick mode's file layout.
"""

from __future__ import annotations

import cProfile
import csv
import io
import math
import os
import platform
import pstats
import time
from dataclasses import dataclass, field
from pathlib import Path

import warnings

import numpy as np

from ._io import atomic_write_bytes, atomic_write_text

__all__ = [
    "BenchConfig",
    "quick_config",
    "full_config",
    "run_bench",
    "write_bench_report",
    "lad_data",
    "lad_lp_highs",
    "LAD_COLUMNS",
    "FIRST_LAYER_COLUMNS",
    "SCALING_COLUMNS",
]

LAD_COLUMNS = ("N", "p", "contender", "time_s", "ratio_to_lpwalk", "objective", "rel_gap", "exact", "note")
FIRST_LAYER_COLUMNS = (
    "n0", "width", "N", "n_params", "walk_status", "pivots", "walk_time_s", "walk_per_pivot_s",
    "lp_per_region_s", "lp_regions_timed", "per_pivot_ratio", "lp_to_min_est_s", "to_min_ratio_est",
    "walk_loss", "subgradient_loss", "subgradient_step", "adam_loss", "adam_lr", "baseline_time_s",
)
SCALING_COLUMNS = ("family", "vary", "N", "n_params", "pivots", "per_pivot_s")


# ======================================================================= configuration
@dataclass(frozen=True)
class BenchConfig:
    """Sizes and budgets of one benchmark run."""

    lad_sizes: tuple = ((1_000, 5), (1_000, 10), (1_000, 50), (10_000, 5), (10_000, 10), (10_000, 50),
                        (100_000, 5), (100_000, 10), (100_000, 50))
    #: seconds per contender and size; a size predicted to take longer is skipped
    lad_budget: float = 60.0
    #: a larger budget for one contender at one size: the anchor of the headline ratio
    lad_anchor: tuple = (100_000, 10, "highs-ipm", 120.0)
    lad_noise_df: float = 1.5
    #: n0 = 10 with width 32 (n = 352) is left out: reaching the first vertex took 4 minutes at
    #: N = 1000 (the walk's time limit is checked only in the pivot loop), and a region LP 13 s
    fl_cases: tuple = ((2, 8, 1_000), (2, 32, 1_000), (10, 8, 1_000),
                       (2, 8, 10_000), (2, 32, 10_000), (10, 8, 10_000))
    fl_time_limit: float = 30.0
    #: wall time of each descent baseline: the walk's own time, capped here
    fl_baseline_cap: float = 10.0
    fl_lp_regions: int = 4
    scaling_N: tuple = (1_000, 2_000, 4_000, 8_000, 16_000, 32_000)
    scaling_N_width: int = 8
    scaling_widths: tuple = (4, 8, 16, 32, 64)
    scaling_widths_N: int = 2_000
    scaling_lad_N: tuple = (1_000, 3_000, 10_000, 30_000, 100_000)
    scaling_lad_p: tuple = (5, 10, 20, 50, 100)
    scaling_max_pivots: int = 150
    profile: bool = True
    profile_lad: tuple = (100_000, 10)
    profile_walk: tuple = (10, 8, 1_000)
    seed: int = 0
    quick: bool = False


def full_config() -> BenchConfig:
    """The sizes of the committed report (about 15–20 minutes on two cores)."""
    return BenchConfig()


def quick_config() -> BenchConfig:
    """Toy sizes: the whole run takes seconds (used by the smoke test)."""
    return BenchConfig(
        lad_sizes=((200, 3), (400, 3), (800, 3)),
        lad_budget=5.0,
        lad_anchor=(800, 3, "highs-ipm", 5.0),
        fl_cases=((2, 4, 150),),
        fl_time_limit=3.0,
        fl_baseline_cap=0.3,
        fl_lp_regions=2,
        scaling_N=(100, 200, 400),
        scaling_N_width=4,
        scaling_widths=(2, 4),
        scaling_widths_N=150,
        scaling_lad_N=(200, 400),
        scaling_lad_p=(2, 4),
        scaling_max_pivots=20,
        profile_lad=(400, 3),
        profile_walk=(2, 4, 150),
        quick=True,
    )


# ======================================================================= timing helpers
def _timed(fn, min_total: float = 0.5, max_repeats: int = 5):
    """Run ``fn`` at least once, repeating while the total stays under ``min_total``; the best time and result."""
    best, result, total, runs = math.inf, None, 0.0, 0
    while runs < max_repeats:
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        if dt < best:
            best, result = dt, out
        total += dt
        runs += 1
        if total >= min_total:
            break
    return best, result


def _predict(history: list, N: int) -> float | None:
    """Predicted time at ``N`` from ``[(N_k, t_k)]`` of smaller sizes: a log–log fit (slope at least 1)."""
    pts = [(n, t) for n, t in history if t > 0]
    if not pts:
        return None
    if len(pts) == 1:
        n1, t1 = pts[0]
        return t1 * (N / n1) ** 1.5  # one point: an LP solver's typical growth, between linear and quadratic
    x = np.log([n for n, _ in pts])
    y = np.log([t for _, t in pts])
    slope = max(float(np.polyfit(x, y, 1)[0]), 1.0)
    n_last, t_last = pts[-1]
    return t_last * (N / n_last) ** slope


def fit_exponent(x, y) -> float:
    """Slope of the least-squares line through ``(log x, log y)``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = (x > 0) & (y > 0)
    if np.count_nonzero(ok) < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


# ======================================================================= LAD
def lad_data(N: int, p: int, seed: int, df: float = 1.5):
    """``X`` standard normal ``(N, p)``; ``y = X w + 1 + e`` with Student-t noise of ``df`` degrees of freedom."""
    rng = np.random.default_rng([seed, N, p])
    X = rng.standard_normal((N, p))
    w = rng.standard_normal(p)
    y = X @ w + 1.0 + rng.standard_t(df, size=N)
    return np.ascontiguousarray(X), y


def lad_objective(X, y, coef, intercept) -> float:
    return float(np.abs(y - X @ np.asarray(coef, float) - float(intercept)).sum())


def lad_lp_highs(X, y, method: str = "dual"):
    r"""The textbook LAD LP solved by HiGHS; returns ``(coef, intercept, status string)``.

    Layout::

        columns  0 .. p-1      w   (free)
                 p             b   (free)
                 p+1 .. p+N    u+  (>= 0)
                 p+N+1 ..      u-  (>= 0)
        rows     i = 0 .. N-1  x_i^T w + b + u+_i - u-_i = y_i
        cost     sum(u+) + sum(u-)

    ``method``: ``"dual"`` (dual simplex) or ``"ipm"`` (interior point with crossover).
    """
    import highspy
    import scipy.sparse as sp

    from .oracle import _new_highs

    N, p = X.shape
    A = sp.hstack([sp.csc_matrix(np.hstack([X, np.ones((N, 1))])), sp.identity(N, format="csc"),
                   -sp.identity(N, format="csc")], format="csc")
    n_col = p + 1 + 2 * N
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = N
    lp.col_cost_ = np.concatenate([np.zeros(p + 1), np.ones(2 * N)])
    lp.col_lower_ = np.concatenate([np.full(p + 1, -highspy.kHighsInf), np.zeros(2 * N)])
    lp.col_upper_ = np.full(n_col, highspy.kHighsInf)
    lp.row_lower_ = np.asarray(y, dtype=float)
    lp.row_upper_ = np.asarray(y, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if method == "dual":
        options = {"solver": "simplex", "simplex_strategy": 1}
    elif method == "ipm":
        options = {"solver": "ipm", "run_crossover": "on"}
    else:
        raise ValueError(f"method must be 'dual' or 'ipm', got {method!r}")
    h = _new_highs(options)  # silent, HiGHS's default tolerances
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    x = np.array(h.getSolution().col_value, dtype=float)
    return x[:p], float(x[p]), status


def _lad_contenders():
    """``[(name, exact, fit(X, y) -> (coef, intercept, note) or None when unavailable, unavailable note)]``."""
    from .lad import lad_fit

    def lpwalk_fit(X, y):
        coef, b, res = lad_fit(X, y)
        res.raise_if_interrupted()  # a benchmark must not time a cut-short walk and go on
        return coef, b, f"{res.n_pivots} pivots, {res.status.value}"

    def highs(method):
        def fit(X, y):
            coef, b, status = lad_lp_highs(X, y, method)
            return coef, b, status
        return fit

    out = [("lpwalk", True, lpwalk_fit, ""),
           ("highs-dual", True, highs("dual"), ""),
           ("highs-ipm", True, highs("ipm"), "")]
    try:
        from sklearn.linear_model import QuantileRegressor

        def sk_fit(X, y):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(X, y)
            return m.coef_, float(m.intercept_), ""
        out.append(("sklearn-quantile", True, sk_fit, ""))
    except ImportError:
        out.append(("sklearn-quantile", True, None, "not installed (pip install scikit-learn)"))
    try:
        from statsmodels.regression.quantile_regression import QuantReg

        def sm_fit(X, y):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = QuantReg(y, np.hstack([X, np.ones((X.shape[0], 1))])).fit(q=0.5)
            params = np.asarray(res.params)
            return params[:-1], float(params[-1]), f"IRLS, {int(getattr(res, 'iterations', 0) or 0)} iterations"
        out.append(("statsmodels-quantreg", False, sm_fit, ""))
    except ImportError:
        out.append(("statsmodels-quantreg", False, None, "not installed (pip install statsmodels)"))
    return out


def run_lad(cfg: BenchConfig, log=None) -> list[dict]:
    """The LAD section: one row per (size, contender)."""
    log = log or (lambda m: None)
    contenders = _lad_contenders()
    history: dict = {}
    rows = []
    for N, p in sorted(cfg.lad_sizes):
        X, y = lad_data(N, p, cfg.seed, cfg.lad_noise_df)
        size_rows = []
        for name, exact, fit, missing in contenders:
            row = dict(N=N, p=p, contender=name, time_s=math.nan, ratio_to_lpwalk=math.nan,
                       objective=math.nan, rel_gap=math.nan, exact=exact, note="")
            if fit is None:
                row["note"] = f"skipped: {missing}"
                size_rows.append(row)
                continue
            budget = cfg.lad_budget
            anchor_N, anchor_p, anchor_name, anchor_budget = cfg.lad_anchor
            if (N, p, name) == (anchor_N, anchor_p, anchor_name):
                budget = anchor_budget
            pred = _predict(history.get((name, p), []), N)
            if pred is not None and pred > budget:
                row["note"] = f"skipped (budget): predicted {pred:.0f} s > {budget:.0f} s"
                size_rows.append(row)
                log(f"lad N={N} p={p} {name}: skipped (predicted {pred:.0f} s)")
                continue
            t, (coef, b, note) = _timed(lambda: fit(X, y))
            history.setdefault((name, p), []).append((N, t))
            row.update(time_s=t, objective=lad_objective(X, y, coef, b), note=note)
            size_rows.append(row)
            log(f"lad N={N} p={p} {name}: {t:.3g} s, objective {row['objective']:.10g}")
        exact_objs = [r["objective"] for r in size_rows if r["exact"] and np.isfinite(r["objective"])]
        best = min(exact_objs) if exact_objs else math.nan
        t_walk = next(r["time_s"] for r in size_rows if r["contender"] == "lpwalk")
        for r in size_rows:
            if np.isfinite(r["objective"]) and best > 0:
                r["rel_gap"] = (r["objective"] - best) / best
            if np.isfinite(r["time_s"]) and t_walk > 0:
                r["ratio_to_lpwalk"] = r["time_s"] / t_walk
        rows.extend(size_rows)
    return rows


# ======================================================================= first-layer walks
def first_layer_problem(n0: int, width: int, N: int, seed: int):
    """Teacher–student instance (:func:`lpwalk.cli.demo_instance`) and its first-layer problem."""
    from .cli import demo_instance
    from .problem import LayerwiseL1Problem

    X, y, _teacher, student = demo_instance(seed=seed, samples=N, width=width, inputs=n0)
    return LayerwiseL1Problem(student, X, y, layer=0)


def per_pivot_time(result) -> tuple[float, int]:
    """``(seconds per pivot, pivots)`` from the first vertex to the last stop vertex of a walk."""
    from .results import EntryKind

    traj = result.trajectory
    kind = np.asarray(traj.kind)
    stops = np.flatnonzero(kind == EntryKind.VERTEX.value)
    if stops.size < 2:
        return math.nan, 0
    pivots = int(traj.pivot[stops[-1]] - traj.pivot[stops[0]])
    if pivots <= 0:
        return math.nan, 0
    return float(traj.time[stops[-1]] - traj.time[stops[0]]) / pivots, pivots


class _L1Model:
    """The layer-wise L1 loss of a first-layer problem and a subgradient, in plain numpy."""

    def __init__(self, prob):
        net = prob.network()
        self.H = np.ascontiguousarray(prob.features_tilde)  # (N, p)
        self.m, self.p = prob.n_neurons, prob.p
        self.w2 = np.asarray(net.weights[1], float)[0]
        self.b2 = float(np.asarray(net.biases[1], float)[0])
        self.y = prob.y

    def loss_grad(self, theta):
        Theta = theta.reshape(self.m, self.p)
        Z = self.H @ Theta.T
        r = np.maximum(Z, 0.0) @ self.w2 + self.b2 - self.y
        s = np.sign(r)
        G = ((s[:, None] * self.w2[None, :]) * (Z > 0)).T @ self.H
        return float(np.abs(r).sum()), G.ravel()


def _descent(model, theta0, wall: float, method: str, step: float) -> float:
    """Best loss reached by subgradient descent (normalised, step/√k) or Adam in ``wall`` seconds."""
    theta = theta0.copy()
    best = math.inf
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-12
    k = 0
    deadline = time.perf_counter() + wall
    while True:
        loss, g = model.loss_grad(theta)
        best = min(best, loss)
        if time.perf_counter() >= deadline:
            return best
        k += 1
        if method == "subgradient":
            gn = np.linalg.norm(g)
            if gn == 0:
                return best
            theta -= (step / math.sqrt(k)) * g / gn
        else:
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta -= step * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + eps)


def _tuned_descent(model, theta0, wall: float, method: str) -> tuple[float, float]:
    """Tune the step on a small grid (short runs, not charged), then run ``wall`` seconds: ``(loss, step)``."""
    scale = float(np.linalg.norm(theta0)) or 1.0
    if method == "subgradient":
        grid = [scale * f for f in (1e-3, 1e-2, 1e-1, 1.0)]
    else:
        grid = [float(np.abs(theta0).max() or 1.0) * f for f in (1e-4, 1e-3, 1e-2, 1e-1)]
    short = max(0.1, 0.15 * wall)
    scores = [(_descent(model, theta0, short, method, s), s) for s in grid]
    step = min(scores)[1]
    return _descent(model, theta0, wall, method, step), step


def run_first_layer(cfg: BenchConfig, log=None) -> list[dict]:
    """The first-layer section: one row per (n0, width, N)."""
    from . import oracle
    from .results import EntryKind
    from .walker import walk

    log = log or (lambda m: None)
    rows = []
    for n0, width, N in cfg.fl_cases:
        prob = first_layer_problem(n0, width, N, cfg.seed)
        res = walk(prob, time_limit=cfg.fl_time_limit).raise_if_interrupted()
        per_pivot, _ = per_pivot_time(res)
        # the LP-per-region approach: the region LP at a few regions the walk visits
        traj = res.trajectory
        stops = np.flatnonzero(np.asarray(traj.kind) == EntryKind.VERTEX.value)
        picks = stops[np.unique(np.linspace(0, max(stops.size - 1, 0), cfg.fl_lp_regions).astype(int))] \
            if stops.size else np.array([0])
        lp_times = []
        for idx in picks:
            t0 = time.perf_counter()
            oracle.solve_region(prob, traj.theta[idx])
            lp_times.append(time.perf_counter() - t0)
        lp_time = float(np.median(lp_times)) if lp_times else math.nan
        model = _L1Model(prob)
        theta0 = prob.theta0.copy()
        wall = min(res.elapsed, cfg.fl_baseline_cap)
        sg_loss, sg_step = _tuned_descent(model, theta0, wall, "subgradient")
        ad_loss, ad_lr = _tuned_descent(model, theta0, wall, "adam")
        row = dict(
            n0=n0, width=width, N=N, n_params=prob.n_params, walk_status=res.status.value,
            pivots=res.n_pivots, walk_time_s=res.elapsed, walk_per_pivot_s=per_pivot,
            lp_per_region_s=lp_time, lp_regions_timed=len(lp_times),
            per_pivot_ratio=lp_time / per_pivot if per_pivot > 0 else math.nan,
            lp_to_min_est_s=lp_time * res.n_pivots,
            to_min_ratio_est=lp_time * res.n_pivots / res.elapsed if res.elapsed > 0 else math.nan,
            walk_loss=res.loss, subgradient_loss=sg_loss, subgradient_step=sg_step,
            adam_loss=ad_loss, adam_lr=ad_lr, baseline_time_s=wall,
        )
        rows.append(row)
        log(f"first layer n0={n0} width={width} N={N}: {res.n_pivots} pivots in {res.elapsed:.2f} s "
            f"({res.status.value}), {per_pivot * 1e3:.3g} ms/pivot, region LP {lp_time * 1e3:.3g} ms; "
            f"loss walk {res.loss:.6g}, subgradient {sg_loss:.6g}, adam {ad_loss:.6g}")
    return rows


# ======================================================================= scaling
def run_scaling(cfg: BenchConfig, log=None) -> list[dict]:
    """Per-pivot time against N and against n, for first-layer walks and for LAD."""
    from .lad import lad_fit
    from .walker import walk

    log = log or (lambda m: None)
    rows = []

    def walk_row(family, vary, prob):
        res = walk(prob, max_pivots=cfg.scaling_max_pivots, time_limit=cfg.fl_time_limit).raise_if_interrupted()
        t, k = per_pivot_time(res)
        rows.append(dict(family=family, vary=vary, N=prob.n_samples, n_params=prob.n_params, pivots=k,
                         per_pivot_s=t))
        log(f"scaling {family} vary {vary}: N={prob.n_samples} n={prob.n_params}: "
            f"{k} pivots, {t * 1e3:.3g} ms/pivot")

    for N in cfg.scaling_N:
        walk_row("first-layer", "N", first_layer_problem(2, cfg.scaling_N_width, N, cfg.seed))
    for width in cfg.scaling_widths:
        walk_row("first-layer", "n", first_layer_problem(2, width, cfg.scaling_widths_N, cfg.seed))

    def lad_row(vary, N, p):
        X, y = lad_data(N, p, cfg.seed, cfg.lad_noise_df)
        _, _, res = lad_fit(X, y, max_pivots=cfg.scaling_max_pivots)
        t, k = per_pivot_time(res.raise_if_interrupted())
        rows.append(dict(family="lad", vary=vary, N=N, n_params=p + 1, pivots=k, per_pivot_s=t))
        log(f"scaling lad vary {vary}: N={N} p={p}: {k} pivots, {t * 1e3:.3g} ms/pivot")

    p_fixed = 10 if not cfg.quick else 3
    for N in cfg.scaling_lad_N:
        lad_row("N", N, p_fixed)
    N_fixed = 10_000 if not cfg.quick else 400
    for p in cfg.scaling_lad_p:
        lad_row("n", N_fixed, p)
    return rows


def scaling_exponents(rows) -> list[dict]:
    """Fitted exponents of per-pivot time, one per (family, vary)."""
    out = []
    for family in ("first-layer", "lad"):
        for vary, key in (("N", "N"), ("n", "n_params")):
            sel = [r for r in rows if r["family"] == family and r["vary"] == vary]
            if not sel:
                continue
            xs = [r[key] for r in sel]
            out.append(dict(family=family, vary=vary,
                            exponent=fit_exponent(xs, [r["per_pivot_s"] for r in sel]),
                            range=f"{min(xs)}..{max(xs)}"))
    return out


# ======================================================================= profile
#: what to change, by hot function (the walker's owner reads these in the report)
_HINTS = {
    "_forward_scales": "evaluate() recomputes the absolute-value forward pass for the tolerances at every "
                       "call; the scales only change on the rows that moved: update them with the values, "
                       "or evaluate once per pivot instead of three times (line_search start, refine twice)",
    "_forward": "full forward pass per evaluate(): three per pivot (line_search's ev0 repeats refine's); "
                "reuse the evaluation of the previous vertex",
    "evaluate": "called about three times per pivot (line_search start + refine's two): keep the last "
                "vertex's evaluation and reuse it",
    "price": "dense (N, n) work per pivot: residual_coefficients and the gbar product over all N samples; "
             "update g incrementally from the residuals whose sides flipped in the step",
    "__init__": "EventQueue.__init__ lexsorts every candidate breakpoint: select the few needed with "
                "np.partition (weighted median of the slope increments) before sorting",
    "rates": "two tangent propagations (values and absolute values) over all N samples per segment",
    "first_layer_tangent": "H~ @ D product per segment; reuse H~ D^T across the segments of one step",
    "svd": "reach_vertex recomputes a full SVD of the tight rows after every added constraint "
           "(O(k n^2) each): an incremental QR of the held rows would make it O(n^2) per addition",
    "line_search": "Python-level loop over activation crossings (one heap push/pop, decompose_ids, "
                   "activation_tangents per crossing)",
    "_collapses": "called at every first-layer activation crossing, an O(N) check each: test only when "
                  "the neuron's tight count is near N",
    "crossing_times": "called once per activation crossing on the sample's few deeper ids: per-call "
                      "overhead dominates; inline the scalar case",
    "decompose_ids": "_check_ids validation on every internal call: an unchecked fast path for ids the "
                     "walker produced itself",
    "_phi_parts": "the final ray certificate: one forward-mode pass over all 2n rays (once per walk)",
    "pop_residuals_before": "per activation crossing; fine unless crossings are many",
    "is_tight": "many small calls; cheap each",
}


def profile_call(fn, top: int = 12) -> tuple[float, list[dict]]:
    """Profile ``fn()`` with cProfile: total seconds and the ``top`` functions by own time."""
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    try:
        fn()
    finally:
        pr.disable()
    total = time.perf_counter() - t0
    st = pstats.Stats(pr, stream=io.StringIO())
    entries = []
    for (fname, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():
        entries.append(dict(function=func, file=f"{Path(fname).name}:{line}", calls=nc, own_s=tt, cum_s=ct,
                            own_pct=100.0 * tt / total if total > 0 else 0.0))
    entries.sort(key=lambda e: -e["own_s"])
    return total, entries[:top]


def run_profiles(cfg: BenchConfig, log=None) -> list[dict]:
    """cProfile of one LAD fit and one first-layer walk."""
    from .lad import lad_fit
    from .walker import walk

    log = log or (lambda m: None)
    out = []
    N, p = cfg.profile_lad
    X, y = lad_data(N, p, cfg.seed, cfg.lad_noise_df)
    total, top = profile_call(lambda: lad_fit(X, y)[2].raise_if_interrupted())
    out.append(dict(name=f"LAD N={N} p={p} (lad_fit)", total=total, top=top))
    log(f"profiled LAD N={N} p={p}: {total:.2f} s")
    n0, width, N = cfg.profile_walk
    prob = first_layer_problem(n0, width, N, cfg.seed)
    total, top = profile_call(lambda: walk(prob, time_limit=cfg.fl_time_limit).raise_if_interrupted())
    out.append(dict(name=f"first-layer walk n0={n0} width={width} N={N}", total=total, top=top))
    log(f"profiled first-layer walk n0={n0} width={width} N={N}: {total:.2f} s")
    return out


# ======================================================================= machine
def machine_description() -> dict:
    from importlib import metadata

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for pkg in ("numpy", "scipy", "highspy", "scikit-learn", "statsmodels"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return dict(cpu=cpu, cores=cores, python=platform.python_version(), system=platform.platform(),
                source=source_state(), **versions)


def source_state() -> str:
    """The git commit of the measured source and its uncommitted package files ("unknown" outside git)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lpwalk"], cwd=root, capture_output=True,
                               text=True, timeout=10, check=True).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    changed = sorted(line[3:] for line in dirty if line.strip())
    return f"commit {head}" + (f", uncommitted changes in {', '.join(changed)}" if changed else "")


# ======================================================================= the run
@dataclass
class BenchResult:
    config: BenchConfig
    machine: dict
    lad: list = field(default_factory=list)
    first_layer: list = field(default_factory=list)
    scaling: list = field(default_factory=list)
    exponents: list = field(default_factory=list)
    profiles: list = field(default_factory=list)
    elapsed: float = 0.0


def run_bench(cfg: BenchConfig | None = None, log=None, sections=("lad", "first_layer", "scaling")) -> BenchResult:
    """Run the benchmark sections of ``cfg`` (default :func:`full_config`)."""
    cfg = cfg or full_config()
    log = log or (lambda m: None)
    t0 = time.perf_counter()
    result = BenchResult(config=cfg, machine=machine_description())
    if "lad" in sections:
        result.lad = run_lad(cfg, log)
    if "first_layer" in sections:
        result.first_layer = run_first_layer(cfg, log)
    if "scaling" in sections:
        result.scaling = run_scaling(cfg, log)
        result.exponents = scaling_exponents(result.scaling)
    if cfg.profile:
        result.profiles = run_profiles(cfg, log)
    result.elapsed = time.perf_counter() - t0
    return result


# ======================================================================= report
def _fmt(x, spec=".3g") -> str:
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return format(x, spec)


def _fmt_time(t) -> str:
    if not (isinstance(t, (int, float)) and math.isfinite(t)):
        return "–"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.3g} ms"
    return f"{t:.3g} s"


def _md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def lad_table(rows) -> tuple:
    header = ("N", "p", "contender", "time", "ratio to lpwalk", "objective ‖r‖₁", "rel. gap", "note")
    body = []
    for r in rows:
        gap = r["rel_gap"]
        body.append((r["N"], r["p"], r["contender"], _fmt_time(r["time_s"]),
                     _fmt(r["ratio_to_lpwalk"], ".3g") + ("×" if math.isfinite(r["ratio_to_lpwalk"]) else ""),
                     _fmt(r["objective"], ".10g"), _fmt(gap, ".1e") if math.isfinite(gap) else "–",
                     r["note"] or ("exact" if r["exact"] else "approximate")))
    return header, body


def first_layer_table(rows) -> tuple:
    header = ("n0", "width", "N", "n", "walk", "pivots", "walk time", "per pivot", "region LP",
              "LP / pivot", "loss walk", "subgradient", "Adam", "baseline time")
    body = [(r["n0"], r["width"], r["N"], r["n_params"], r["walk_status"], r["pivots"],
             _fmt_time(r["walk_time_s"]), _fmt_time(r["walk_per_pivot_s"]), _fmt_time(r["lp_per_region_s"]),
             _fmt(r["per_pivot_ratio"], ".3g") + "×", _fmt(r["walk_loss"], ".6g"),
             _fmt(r["subgradient_loss"], ".6g"), _fmt(r["adam_loss"], ".6g"), _fmt_time(r["baseline_time_s"]))
            for r in rows]
    return header, body


def scaling_table(rows) -> tuple:
    header = ("family", "vary", "N", "n", "pivots", "per pivot")
    body = [(r["family"], r["vary"], r["N"], r["n_params"], r["pivots"], _fmt_time(r["per_pivot_s"]))
            for r in rows]
    return header, body


def text_table(header, body) -> str:
    cells = [list(map(str, header))] + [[str(c) for c in r] for r in body]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def headline(result: BenchResult) -> list[str]:
    """The headline ratios, one sentence each."""
    lines = []
    by = {(r["N"], r["p"], r["contender"]): r for r in result.lad}
    sizes = sorted({(r["N"], r["p"]) for r in result.lad})
    for N, p in sizes:
        walk = by.get((N, p, "lpwalk"))
        if walk is None or not math.isfinite(walk["time_s"]):
            continue
        parts = []
        for name in ("highs-dual", "highs-ipm", "sklearn-quantile", "statsmodels-quantreg"):
            r = by.get((N, p, name))
            if r is not None and math.isfinite(r["ratio_to_lpwalk"]):
                parts.append(f"{name} {r['ratio_to_lpwalk']:.3g}×")
            elif r is not None:
                parts.append(f"{name} skipped")
        lines.append(f"LAD N={N}, p={p}: lpwalk {_fmt_time(walk['time_s'])} (gap {_fmt(walk['rel_gap'], '.1e')}); "
                     f"time ratios {', '.join(parts)}")
    if result.first_layer:
        ratios = [r["per_pivot_ratio"] for r in result.first_layer if math.isfinite(r["per_pivot_ratio"])]
        if ratios:
            lines.append(f"first-layer walks: region LP / walker pivot {min(ratios):.3g}× to {max(ratios):.3g}× "
                         f"(median {float(np.median(ratios)):.3g}×) over {len(ratios)} cases")
    for e in result.exponents:
        lines.append(f"per-pivot time exponent, {e['family']} against {e['vary']} ({e['range']}): "
                     f"{_fmt(e['exponent'], '.2f')}")
    return lines


def bench_figure(result: BenchResult):
    """Three panels: LAD time against N, first-layer per-pivot against the region LP, scaling fits."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13.0, 4.2), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax_lad, ax_fl, ax_sc = fig.subplots(1, 3)

    ps = sorted({r["p"] for r in result.lad})
    p_show = 10 if 10 in ps else (ps[len(ps) // 2] if ps else None)
    markers = {"lpwalk": "o", "highs-dual": "s", "highs-ipm": "D", "sklearn-quantile": "^",
               "statsmodels-quantreg": "v"}
    for i, (name, mk) in enumerate(markers.items()):
        sel = [r for r in result.lad if r["p"] == p_show and r["contender"] == name and math.isfinite(r["time_s"])]
        if sel:
            ax_lad.loglog([r["N"] for r in sel], [r["time_s"] for r in sel], "-" + mk, color=f"C{i}", label=name)
    ax_lad.set_xlabel("samples N")
    ax_lad.set_ylabel("time (s)")
    ax_lad.set_title(f"LAD regression, p = {p_show}")
    ax_lad.grid(True, which="both", alpha=0.3)
    if ax_lad.lines:
        ax_lad.legend(fontsize=7)

    fl = [r for r in result.first_layer if math.isfinite(r["walk_per_pivot_s"])]
    if fl:
        x = np.arange(len(fl))
        ax_fl.bar(x - 0.2, [r["walk_per_pivot_s"] for r in fl], 0.4, label="walker, per pivot", color="C0")
        ax_fl.bar(x + 0.2, [r["lp_per_region_s"] for r in fl], 0.4, label="region LP (HiGHS)", color="C3")
        ax_fl.set_yscale("log")
        ax_fl.set_xticks(x, [f"{r['n0']}/{r['width']}/{r['N']}" for r in fl], rotation=45, fontsize=7)
        ax_fl.legend(fontsize=7)
    ax_fl.set_xlabel("n0 / width / N")
    ax_fl.set_ylabel("seconds")
    ax_fl.set_title("first layer: per pivot vs per region LP")
    ax_fl.grid(True, axis="y", which="both", alpha=0.3)

    exps = {(e["family"], e["vary"]): e["exponent"] for e in result.exponents}
    for i, (family, vary, key) in enumerate((("first-layer", "N", "N"), ("first-layer", "n", "n_params"),
                                             ("lad", "N", "N"), ("lad", "n", "n_params"))):
        sel = [r for r in result.scaling if r["family"] == family and r["vary"] == vary
               and math.isfinite(r["per_pivot_s"])]
        if sel:
            ax_sc.loglog([r[key] for r in sel], [r["per_pivot_s"] for r in sel], "o-", color=f"C{i}",
                         label=f"{family} vs {vary}: slope {_fmt(exps.get((family, vary)), '.2f')}")
    ax_sc.set_xlabel("N or n")
    ax_sc.set_ylabel("time per pivot (s)")
    ax_sc.set_title("scaling of the per-pivot time")
    ax_sc.grid(True, which="both", alpha=0.3)
    if ax_sc.lines:
        ax_sc.legend(fontsize=7)
    return fig


def _write_csv(path, columns, rows) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    atomic_write_text(path, buf.getvalue())


def report_markdown(result: BenchResult, command: str) -> str:
    cfg, m = result.config, result.machine
    out = ["# lpwalk performance benchmark", ""]
    out.append(f"One run of `{command}`{' (quick mode: toy sizes)' if cfg.quick else ''}, "
               f"{result.elapsed / 60:.1f} minutes in all. Every contender gets the same data.")
    out += ["", "## Machine", "",
            f"- CPU: {m['cpu']}, {m['cores']} cores available (shared with other work while this ran)",
            f"- Python {m['python']} on {m['system']}",
            f"- lpwalk source measured: {m.get('source', 'unknown')}",
            f"- numpy {m['numpy']}, scipy {m['scipy']}, highspy {m['highspy']}, "
            f"scikit-learn {m['scikit-learn']}, statsmodels {m['statsmodels']}", ""]
    out += ["## Headline", ""] + [f"- {line}" for line in headline(result)] + [""]
    if result.lad:
        out += ["## LAD regression", "",
                f"`X` standard normal, `y = X w + 1 + e`, `e` Student-t with {cfg.lad_noise_df} degrees of "
                "freedom. Time is the best of up to five runs while their total stays under 0.5 s "
                "(one run for anything slower), data preparation included for every contender "
                "(lpwalk builds its problem, HiGHS its sparse LP). Ratio = contender time / lpwalk time. "
                "Relative gap = (objective − best exact objective) / best exact objective; the exact "
                "contenders are lpwalk, HiGHS and scikit-learn (HiGHS inside); statsmodels' IRLS is "
                f"approximate. Budget: {cfg.lad_budget:.0f} s per contender and size "
                f"({cfg.lad_anchor[3]:.0f} s for {cfg.lad_anchor[2]} at N={cfg.lad_anchor[0]}, "
                f"p={cfg.lad_anchor[1]}, the anchor of the headline ratio); a size whose time, "
                "extrapolated from the smaller sizes with the same p by a log–log fit, exceeds it is "
                "skipped.", ""]
        out += [_md_table(*lad_table(result.lad)), ""]
    if result.first_layer:
        out += ["## First-layer walks", "",
                "Teacher–student data (`lpwalk.cli.demo_instance`: inputs uniform in [-1, 1]^n0, a "
                "random teacher of the same shape, 10 % noise), the student's first layer trained "
                f"(n = width·(n0+1)). Walk time limit {cfg.fl_time_limit:.0f} s. *Per pivot*: time from "
                "the first vertex to the last stop vertex over the pivots between. *Region LP*: median "
                f"time of `oracle.solve_region` (HiGHS dual simplex, re-checked) at {cfg.fl_lp_regions} "
                "regions the walk visits (start, end and between): the cost of one step of the "
                "LP-per-region approach. *LP / pivot* is their ratio. Subgradient descent (normalised "
                "subgradient, step η/√k) and Adam run from the same start for the walk's wall time "
                f"(capped at {cfg.fl_baseline_cap:.0f} s; column *baseline time*), each with its step "
                "tuned on a 4-point grid in short runs that are not charged; the loss shown is the "
                "best reached.", ""]
        out += [_md_table(*first_layer_table(result.first_layer)), ""]
        est = [(r, r["lp_to_min_est_s"]) for r in result.first_layer if r["walk_status"] == "local_min"]
        if est:
            out += ["To the local minimum, the LP-per-region approach would need at least one region LP per "
                    "pivot of the walk (it moves one region per LP, the walk's long steps cross "
                    "many): lower estimates " + "; ".join(
                        f"{r['n0']}/{r['width']}/{r['N']}: {_fmt_time(t)} vs the walk's "
                        f"{_fmt_time(r['walk_time_s'])}" for r, t in est) + ".", ""]
    if result.scaling:
        out += ["## Scaling of the per-pivot time", "",
                f"First-layer walks (n0 = 2) with up to {cfg.scaling_max_pivots} pivots; LAD fits with the "
                "same pivot cap. Exponents are slopes of log–log least-squares lines.", ""]
        out += [_md_table(("family", "against", "range", "fitted exponent"),
                          [(e["family"], e["vary"], e["range"], _fmt(e["exponent"], ".2f"))
                           for e in result.exponents]), ""]
        out += [_md_table(*scaling_table(result.scaling)), ""]
    if result.profiles:
        out += ["## Profile (cProfile)", "",
                "Own time of the top functions (cProfile adds overhead to Python-level calls). The hint "
                "says what would remove the cost.", ""]
        for prof in result.profiles:
            out += [f"### {prof['name']}: {prof['total']:.2f} s under the profiler", ""]
            body = [(e["function"], e["file"], e["calls"], f"{e['own_s']:.3f}", f"{e['own_pct']:.1f} %",
                     f"{e['cum_s']:.3f}", _HINTS.get(e["function"], ""))
                    for e in prof["top"]]
            out += [_md_table(("function", "where", "calls", "own s", "own %", "cum s", "what to change"),
                              body), ""]
    out += ["![benchmark](bench.png)", "", "Raw numbers: `bench_lad.csv`, `bench_first_layer.csv`, "
            "`bench_scaling.csv`.", ""]
    return "\n".join(out)


def write_bench_report(result: BenchResult, out, command: str = "python verification/bench.py") -> list[str]:
    """Write ``bench.md``, ``bench.png`` and the CSV files into ``out``; returns the file names."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "bench_lad.csv", LAD_COLUMNS, result.lad)
    _write_csv(out / "bench_first_layer.csv", FIRST_LAYER_COLUMNS, result.first_layer)
    _write_csv(out / "bench_scaling.csv", SCALING_COLUMNS, result.scaling)
    fig = bench_figure(result)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(out / "bench.png", buf.getvalue())
    atomic_write_text(out / "bench.md", report_markdown(result, command))
    return ["bench.md", "bench.png", "bench_lad.csv", "bench_first_layer.csv", "bench_scaling.csv"]


def print_tables(result: BenchResult, stream=None) -> None:
    """The tables as aligned text (stdout by default)."""
    import sys

    stream = stream or sys.stdout
    if result.lad:
        print("LAD regression", file=stream)
        print(text_table(*lad_table(result.lad)), file=stream)
        print(file=stream)
    if result.first_layer:
        print("First-layer walks", file=stream)
        print(text_table(*first_layer_table(result.first_layer)), file=stream)
        print(file=stream)
    if result.scaling:
        print("Scaling", file=stream)
        print(text_table(*scaling_table(result.scaling)), file=stream)
        for e in result.exponents:
            print(f"  exponent {e['family']} vs {e['vary']}: {_fmt(e['exponent'], '.2f')}", file=stream)
        print(file=stream)
    for line in headline(result):
        print(line, file=stream)
