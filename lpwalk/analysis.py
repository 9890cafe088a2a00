r"""Trajectory statistics of a walk (DESIGN §8): decay of the loss, early estimates of its final level, vertex density.

Hinz (arXiv 2105.02831) observed that near a local minimum of the layer-wise
L1 loss the walk "behaves differently": the loss seems to decay exponentially
at subsequent adjacent vertices, so the final level can be estimated from
earlier ones, and the vertices lie denser.  The functions here measure each of
these on a walk's record, as pure functions of arrays (or of a
:class:`~lpwalk.results.Trajectory`), returning frozen result objects.

Notation: the stop vertices of a walk (entries of kind ``"vertex"``) in
order, :math:`t = 0, 1, \dots, T`, with losses :math:`L_t` and parameters
:math:`\theta_t`; decrements :math:`\Delta_t = L_t - L_{t+1}`
(:math:`t = 0..T-1`, never negative: the walk never goes uphill).

Flat pivots
    A pivot may not decrease the loss (a zero-length pivot at a degenerate
    vertex, or a step along a flat edge): :math:`\Delta_t = 0` and
    :math:`\log\Delta_t` is undefined.  Such decrements — those with
    :math:`\Delta_t \le \epsilon \max_s |L_s|`, :math:`\epsilon` =
    :data:`FLAT_RTOL` — are *left out* of the log-linear fits (their ``t`` is
    kept for the others, so a flat pivot still counts as a step in time), and
    every fit reports how many it left out.

Lengths
    Step lengths, distances and crossing densities are measured in the
    unit-consistent metric of the problem, :math:`\hat\theta = \kappa\theta`
    with :math:`\kappa` = ``prob.parameter_scale`` (DESIGN §7), when a scale
    is given: rescaling the data then changes none of them.

References
----------
P. Hinz, *The layer-wise L1 loss landscape of neural nets is more complex
around local minima*, arXiv 2105.02831.
P. Hinz and S. van de Geer, *Deep ReLU Programming*, arXiv 2011.14895.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_finite_array, check_count, check_real, make_rng
from .results import EntryKind, Trajectory

__all__ = [
    "FLAT_RTOL",
    "StopVertices",
    "DecayFit",
    "EarlyEstimates",
    "EstimateError",
    "CrossingDensity",
    "OnlineLossEstimate",
    "stop_vertices",
    "decrements",
    "fit_decay",
    "trailing_fit",
    "early_fit",
    "early_estimates",
    "estimate_errors",
    "step_lengths",
    "distance_to_final",
    "crossing_density",
]

#: decrements at most this fraction of the largest |loss| count as flat (Δ_t = 0)
FLAT_RTOL = 1e-12


# ---------------------------------------------------------------- the record
@dataclass(frozen=True, eq=False)
class StopVertices:
    """The stop vertices of a walk, in order.

    Attributes
    ----------
    pivot : ndarray of int, shape (T+1,)
        Pivots done when each vertex was reached.
    loss : ndarray of shape (T+1,)
    theta : ndarray of shape (T+1, n)
    """

    pivot: np.ndarray
    loss: np.ndarray
    theta: np.ndarray

    def __len__(self) -> int:
        return int(self.loss.shape[0])


def _check_loss(loss) -> np.ndarray:
    """The loss record as a finite 1-D float array, or raise naming ``loss``."""
    return as_finite_array("loss", loss, ndim=1)


def stop_vertices(trajectory: Trajectory) -> StopVertices:
    """The entries of kind ``"vertex"`` (the first vertex reached and every pivot's stop vertex)."""
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"trajectory must be a Trajectory, got {type(trajectory).__name__}")
    keep = np.asarray(trajectory.kind) == EntryKind.VERTEX.value
    return StopVertices(np.asarray(trajectory.pivot)[keep], np.asarray(trajectory.loss, dtype=float)[keep],
                        np.asarray(trajectory.theta, dtype=float)[keep])


def decrements(loss) -> np.ndarray:
    r""":math:`\Delta_t = L_t - L_{t+1}`, shape ``(T,)`` for ``T + 1`` losses."""
    loss = _check_loss(loss)
    return loss[:-1] - loss[1:]


def _flat_threshold(loss) -> float:
    loss = np.asarray(loss, dtype=float)
    return FLAT_RTOL * (float(np.max(np.abs(loss))) if loss.size else 0.0)


# ---------------------------------------------------------------- decay fits
@dataclass(frozen=True)
class DecayFit:
    r"""Least-squares fit :math:`\log\Delta_t \approx a + t\log q` on a window ``start <= t < stop``.

    Attributes
    ----------
    q : float
        Fitted decay rate per pivot, :math:`e^{b}` with ``b`` the slope (NaN
        with fewer than 3 positive decrements).
    intercept : float
        ``a``: the fitted :math:`\log\Delta` at ``t = 0``.
    r2 : float
        Coefficient of determination of the fit (NaN when undefined: fewer
        than 3 points, or all :math:`\log\Delta_t` equal).
    start, stop : int
        The window (indices of decrements).
    n_points : int
        Decrements used (positive ones).
    n_flat : int
        Flat decrements left out (:data:`FLAT_RTOL`).
    """

    q: float
    intercept: float
    r2: float
    start: int
    stop: int
    n_points: int
    n_flat: int

    def delta_at(self, t) -> np.ndarray:
        r"""The fitted decrement :math:`\hat\Delta_t = e^{a} q^{t}`."""
        return np.exp(self.intercept + np.log(self.q) * np.asarray(t, dtype=float))


def fit_decay(loss, start: int, stop: int) -> DecayFit:
    r"""Fit :math:`\log\Delta_t = a + t\log q` by least squares over ``start <= t < stop``.

    .. math:: R^2 = 1 - \frac{\sum (\log\Delta_t - a - bt)^2}{\sum (\log\Delta_t - \overline{\log\Delta})^2}

    A geometric decay :math:`L_t = L^* + C q^t` has
    :math:`\Delta_t = C(1-q)q^t`: the fit returns ``q`` and :math:`R^2 = 1`.
    Flat decrements are left out (module docstring); ``t`` is the index of
    the decrement in the walk, so the rate is per pivot.

    Parameters
    ----------
    loss : array_like of shape (T+1,)
        Losses at the stop vertices.
    start, stop : int
        Window of decrement indices, ``0 <= start <= stop <= T``.
    """
    loss = _check_loss(loss)
    T = loss.shape[0] - 1
    start = check_count("start", start)
    stop = check_count("stop", stop)
    if not (0 <= start <= stop <= max(T, 0)):
        raise ValueError(f"window [{start}, {stop}) must lie in [0, {max(T, 0)}]")
    delta = decrements(loss)[start:stop]
    t = np.arange(start, stop, dtype=float)
    pos = delta > _flat_threshold(loss)
    n_flat = int(np.count_nonzero(~pos))
    nan = float("nan")
    if np.count_nonzero(pos) < 3:
        return DecayFit(nan, nan, nan, start, stop, int(np.count_nonzero(pos)), n_flat)
    x, z = t[pos], np.log(delta[pos])
    xm, zm = x.mean(), z.mean()
    sxx = float(np.sum((x - xm) ** 2))
    slope = float(np.sum((x - xm) * (z - zm)) / sxx)
    intercept = float(zm - slope * xm)
    ss_tot = float(np.sum((z - zm) ** 2))
    ss_res = float(np.sum((z - intercept - slope * x) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else nan
    return DecayFit(float(np.exp(slope)), intercept, r2, start, stop, int(x.size), n_flat)


def trailing_fit(loss, window: int) -> DecayFit:
    """:func:`fit_decay` on the last ``window`` decrements (the walk near its final vertex)."""
    loss = _check_loss(loss)
    window = check_count("window", window)
    T = loss.shape[0] - 1
    return fit_decay(loss, max(T - window, 0), max(T, 0))


def early_fit(loss, window: int) -> DecayFit:
    """:func:`fit_decay` on the first ``window`` decrements (for contrast with :func:`trailing_fit`)."""
    loss = _check_loss(loss)
    window = check_count("window", window)
    T = loss.shape[0] - 1
    return fit_decay(loss, 0, min(window, max(T, 0)))


# ----------------------------------------------------------- early estimates
@dataclass(frozen=True, eq=False)
class EarlyEstimates:
    r"""The estimates :math:`\hat L^*(t)` of the final loss, one per stop vertex.

    Attributes
    ----------
    t : ndarray of int, shape (T+1,)
    estimate : ndarray of shape (T+1,)
        :math:`\hat L^*(t)`; NaN where undefined (fewer than ``window``
        decrements known, fewer than 3 positive ones, or :math:`\hat q \ge 1`).
    q, r2 : ndarray of shape (T+1,)
        The fit of the window ending at ``t``.
    window : int
    """

    t: np.ndarray
    estimate: np.ndarray
    q: np.ndarray
    r2: np.ndarray
    window: int


def _estimate_from_fit(loss_t: float, t: int, fit: DecayFit) -> float:
    if not (np.isfinite(fit.q) and fit.q < 1.0):
        return float("nan")
    remaining = float(fit.delta_at(t)) / (1.0 - fit.q)
    return max(loss_t - remaining, 0.0)


def early_estimates(loss, window: int) -> EarlyEstimates:
    r"""Estimate the final loss from each window of decrements known at time ``t``.

    At stop vertex ``t`` the decrements :math:`\Delta_{t-W}, \dots, \Delta_{t-1}`
    are known (``W = window``).  :func:`fit_decay` on them gives
    :math:`\hat q(t)` and :math:`\hat\Delta_s = e^{a} \hat q^{s}`; summing the
    geometric tail from ``t`` on,

    .. math:: \hat L^*(t) = \max\Big(L_t - \frac{\hat\Delta_t}{1 - \hat q(t)},\; 0\Big),

    the estimate of DESIGN §8 (:math:`L^* = L_t - \Delta_t/(1-q)`) with the
    decrement at ``t`` taken from the fit (extrapolated one step, so only the
    past is used).  The loss is a sum of absolute values, hence the clip at 0.
    An exact geometric sequence :math:`L_t = L^* + Cq^t` gives
    :math:`\hat L^*(t) = L^*` for every ``t >= W``.
    """
    loss = _check_loss(loss)
    window = check_count("window", window)
    if window < 3:
        raise ValueError(f"window must be at least 3 decrements, got {window}")
    n = loss.shape[0]
    est = np.full(n, np.nan)
    q = np.full(n, np.nan)
    r2 = np.full(n, np.nan)
    for t in range(window, n):
        fit = fit_decay(loss, t - window, t)
        q[t], r2[t] = fit.q, fit.r2
        est[t] = _estimate_from_fit(float(loss[t]), t, fit)
    return EarlyEstimates(np.arange(n), est, q, r2, window)


@dataclass(frozen=True)
class EstimateError:
    r"""The error of :math:`\hat L^*(t)` at the stop vertex reached after a fraction ``f`` of the walk.

    Attributes
    ----------
    fraction : float
        ``f``; the vertex is :math:`t = \lfloor f T \rceil`.
    t : int
    estimate : float
        :math:`\hat L^*(t)` (NaN when undefined).
    relative_error : float
        :math:`|\hat L^*(t) - L^*| / L^*` (NaN when :math:`L^* = 0`).
    gap_ratio : float
        :math:`|\hat L^*(t) - L^*| / (L_t - L^*)`: below 1 the estimate is
        closer to the final loss than the current loss is (NaN when
        :math:`L_t = L^*`).
    """

    fraction: float
    t: int
    estimate: float
    relative_error: float
    gap_ratio: float


def estimate_errors(loss, estimates: EarlyEstimates, fractions, final_loss=None) -> tuple[EstimateError, ...]:
    r"""The error of :math:`\hat L^*(t)` against the final loss :math:`L^* = L_T` at fractions of the walk."""
    loss = _check_loss(loss)
    if loss.size == 0:
        raise ValueError("loss is empty: estimate_errors needs at least one loss value")
    if not isinstance(estimates, EarlyEstimates):
        raise TypeError(f"estimates must be an EarlyEstimates (from early_estimates), got "
                        f"{type(estimates).__name__}")
    if estimates.estimate.shape[0] != loss.shape[0]:
        raise ValueError(f"estimates hold {estimates.estimate.shape[0]} values but loss has "
                         f"{loss.shape[0]}: compute them with early_estimates(loss, window)")
    T = loss.shape[0] - 1
    final = float(loss[-1]) if final_loss is None else check_real("final_loss", final_loss)
    out = []
    for f in fractions:
        f = check_real("fractions", f)
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"fractions must lie in [0, 1], got {f}")
        t = int(round(f * T))
        e = float(estimates.estimate[t])
        err = abs(e - final)
        rel = err / final if final > 0 else float("nan")
        gap = float(loss[t]) - final
        ratio = err / gap if gap > 0 else float("nan")
        out.append(EstimateError(f, t, e, rel, ratio))
    return tuple(out)


# ------------------------------------------------------------------- lengths
def _scaled(theta, scale):
    theta = as_finite_array("theta", theta, ndim=2)
    if theta.shape[0] == 0:
        raise ValueError("theta has no rows: expected shape (T+1, n) with T+1 >= 1")
    if scale is None:
        return theta
    scale = as_finite_array("scale", scale, ndim=1)
    if scale.shape[0] != theta.shape[1]:
        raise ValueError(f"scale has {scale.shape[0]} entries but theta has {theta.shape[1]} columns")
    return theta * scale


def step_lengths(theta, scale=None) -> np.ndarray:
    r"""Step lengths :math:`\|\kappa(\theta_{t+1} - \theta_t)\|_2`, shape ``(T,)``.

    ``theta`` of shape ``(T+1, n)``; ``scale`` = :math:`\kappa` (e.g.
    ``prob.parameter_scale``), or None for the Euclidean length in θ.
    """
    th = _scaled(theta, scale)
    return np.linalg.norm(np.diff(th, axis=0), axis=1)


def distance_to_final(theta, scale=None) -> np.ndarray:
    r"""Distances :math:`\|\kappa(\theta_t - \theta_T)\|_2` to the final vertex, shape ``(T+1,)``."""
    th = _scaled(theta, scale)
    return np.linalg.norm(th - th[-1], axis=1)


# ------------------------------------------------------------ crossing density
@dataclass(frozen=True, eq=False)
class CrossingDensity:
    r"""Breakpoints of the loss per unit length along random lines through a point.

    Attributes
    ----------
    density : float
        :math:`\sum_k K_k / (2 r M)`: breakpoints per unit length in the
        metric :math:`\hat\theta = \kappa\theta`, over ``M`` lines.
    radius : float
        ``r``: each line is :math:`\theta + s\,\hat d/\kappa`,
        :math:`|s| \le r`, :math:`\|\hat d\|_2 = 1`.
    counts : ndarray of int, shape (M,)
        Breakpoints ``K_k`` on each line (the point itself not counted).
    residual_counts : ndarray of int, shape (M,)
        Of those, residual crossings.
    """

    density: float
    radius: float
    counts: np.ndarray
    residual_counts: np.ndarray


def crossing_density(prob, theta, radius: float, n_lines: int = 8, seed=None) -> CrossingDensity:
    r"""Breakpoints per unit length along ``n_lines`` random lines through ``theta`` within ``radius``.

    Directions :math:`\hat d` are uniform on the unit sphere of the metric
    :math:`\hat\theta = \kappa\theta` (``kappa = prob.parameter_scale``); the
    line is :math:`\theta + s\,\hat d/\kappa` for :math:`|s| \le r`, so ``s``
    is length in that metric and the density does not change when the data are
    rescaled.  Breakpoints (constraint crossings, DESIGN §4.3) come from the
    walker's line machinery, :func:`lpwalk.walker.line_breakpoints`.

    .. math:: \rho = \frac{1}{2 r M}\sum_{k=1}^{M} K_k
    """
    from .problem import LayerwiseL1Problem
    from .walker import line_breakpoints

    if not isinstance(prob, LayerwiseL1Problem):
        raise TypeError(f"prob must be a LayerwiseL1Problem, got {type(prob).__name__}")
    radius = check_real("radius", radius, low=0.0, strict=True)
    n_lines = check_count("n_lines", n_lines, minimum=1)
    theta = prob.check_theta(theta, "theta")
    kappa = prob.parameter_scale
    rng = make_rng("seed", seed)
    counts, res_counts = [], []
    for _ in range(int(n_lines)):
        d_hat = rng.standard_normal(prob.n_params)
        d_hat /= np.linalg.norm(d_hat)
        _, ids = line_breakpoints(prob, theta, d_hat / kappa, float(radius))
        counts.append(ids.size)
        res_counts.append(int(np.count_nonzero(prob.is_residual(ids))) if ids.size else 0)
    counts = np.asarray(counts, dtype=np.int64)
    return CrossingDensity(float(counts.sum()) / (2.0 * float(radius) * counts.size), float(radius), counts,
                           np.asarray(res_counts, dtype=np.int64))


# ------------------------------------------------------------ online estimate
class OnlineLossEstimate:
    r"""The estimate :math:`\hat L^*` of the final loss, updated during a walk.

    Feed it from ``walk(..., on_pivot=est.update)`` (a
    :class:`~lpwalk.walker.PivotInfo`, or any object with ``.loss``).  After
    each pivot it fits the last ``window`` decrements as
    :func:`early_estimates` does and exposes the estimate once it is
    meaningful: at least ``min_pivots`` pivots, :math:`\hat q < 1` and
    :math:`R^2 \ge` ``min_r2``.  Otherwise :attr:`value` is None.

    Examples
    --------
    >>> est = OnlineLossEstimate(window=5, min_pivots=5, min_r2=0.9)
    >>> for t in range(12):
    ...     est.update_loss(2.0 + 0.5 ** t)
    >>> round(est.value, 9)
    2.0
    """

    def __init__(self, window: int = 20, min_pivots: int = 10, min_r2: float = 0.5):
        self.window = check_count("window", window, minimum=3)
        self.min_pivots = check_count("min_pivots", min_pivots)
        self.min_r2 = check_real("min_r2", min_r2)
        self.losses: list[float] = []
        self.value: float | None = None
        self.fit: DecayFit | None = None

    def update(self, info) -> None:
        """Take the loss of a :class:`~lpwalk.walker.PivotInfo`."""
        self.update_loss(info.loss)

    def update_loss(self, loss: float) -> None:
        self.losses.append(check_real("loss", loss))
        self.value, self.fit = None, None
        n = len(self.losses)
        w = min(self.window, n - 1)
        if n - 1 < self.min_pivots or w < 3:
            return
        recent = np.asarray(self.losses[-(w + 1):])
        fit = fit_decay(recent, 0, w)
        self.fit = fit
        if np.isfinite(fit.r2) and fit.r2 >= self.min_r2:
            est = _estimate_from_fit(float(recent[-1]), w, fit)
            self.value = None if np.isnan(est) else est

    def describe(self) -> str | None:
        """``"L* ≈ 12.3 (q 0.91, R² 0.84)"`` when meaningful, else None (for a progress line)."""
        if self.value is None:
            return None
        return f"L* ≈ {self.value:.6g} (q {self.fit.q:.3f}, R² {self.fit.r2:.2f})"
