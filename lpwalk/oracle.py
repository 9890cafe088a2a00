r"""The oracle: region LPs, certificates and small global optima, solved by HiGHS.

This is the only module of lpwalk that imports :mod:`highspy`.  It is slow and
simple on purpose: the walker's correctness is defined by agreement with it
(DESIGN §5).  Every answer of the solver is re-checked here against the
problem's own forward pass; a status flag is never trusted alone.

Public functions
    :func:`solve_region`       the LP of the region (pattern) holding θ
    :func:`certify_vertex`     is θ a vertex of the arrangement, is it degenerate
    :func:`certify_adjacent`   are two vertices joined by an edge of one region
    :func:`certify_local_min`  the 2n-edge-ray test or the complete MILP test
    :func:`global_min`         the global minimum inside a box (tiny instances)
    :func:`region_affine`      the affine forms of every constraint on a region
    :func:`region_violation`   how far a point is outside a region's closure
    :func:`edge_rays`          the 2n edge rays of a nondegenerate vertex

Notation of DESIGN §1–3: ``n`` parameters, constraint ids of
:class:`lpwalk.problem.LayerwiseL1Problem`, side ``+1`` means ``c >= 0``.

HiGHS facts the code relies on (highspy 1.16): ``passModel`` drops entries
``|a| <= 1e-9`` and rejects ``|a| >= 1e15``, so every row is scaled to a largest
entry of 1 and tiny entries are zeroed beforehand, and the returned status is
checked; ``setOptionValue`` returns an error status for an unknown option; the
first ``Highs()`` of a process prints a banner on the C-level stdout, which is
redirected away while it is created.

References
----------
.. [1] P. Hinz and S. van de Geer, *Deep ReLU Programming*, arXiv 2011.14895 (2020).
.. [2] Q. Huangfu and J. A. J. Hall, *Parallelizing the dual revised simplex
   method*, Math. Prog. Comp. 10 (2018) 119–142 (HiGHS).
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import sys
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

import highspy

from . import tolerances
from .errors import OracleError
from ._validation import check_time_limit
from .problem import Evaluation, LayerwiseL1Problem
from .results import LocalMinCertificate, LocalMinStatus

__all__ = [
    "OracleStatus",
    "RegionSolution",
    "VertexCertificate",
    "AdjacencyCertificate",
    "GlobalMinResult",
    "solve_region",
    "certify_vertex",
    "certify_adjacent",
    "certify_local_min",
    "global_min",
    "region_affine",
    "region_violation",
    "edge_rays",
]


class OracleStatus(str, enum.Enum):
    """Outcome of an oracle solve."""

    OPTIMAL = "optimal"  # solved, and the answer passed the oracle's own re-check
    INFEASIBLE = "infeasible"  # the region (or model) is empty
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"  # stopped by the time limit; the best point found is reported
    FAILED = "failed"  # the solver failed, or its answer did not pass the re-check

    def __str__(self) -> str:
        return self.value


# ============================================================== result objects
@dataclass(frozen=True, eq=False)
class RegionSolution:
    r"""The optimum of a region LP :math:`\min \ell_R(\theta)` over the region of ``sides``.

    Attributes
    ----------
    status : OracleStatus
    message : str
    theta : ndarray of shape (n,) or None
        The optimum (a vertex of the region modulo the lineality space when
        the solver's basis determines one; see ``polished``).
    loss : float
        ``prob.loss(theta)`` (the forward pass, not the solver's objective).
    objective : float
        The solver's optimal objective :math:`\ell_R(\theta)`.
    sides : ndarray of int8, shape (n_constraints,)
        The pattern of the region.
    active : ndarray of int
        Ids of the rows nonbasic (at their bound) in the solver's optimal basis.
    duals : ndarray of shape (n_constraints,)
        Multipliers :math:`\mu_c \ge 0` of the rows :math:`s_c c(\theta) \ge 0`
        (zero for rows with a zero gradient, which are not passed to the solver).
    max_violation : float
        Largest violation of a region constraint at ``theta``, relative to the
        constraint's scale (:func:`region_violation`).
    polished : bool
        True when ``theta`` was recomputed from the active rows (one least-squares
        correction) and the correction passed the re-check.
    """

    status: OracleStatus
    message: str
    theta: np.ndarray | None
    loss: float
    objective: float
    sides: np.ndarray
    active: np.ndarray
    duals: np.ndarray
    max_violation: float
    polished: bool = False

    @property
    def success(self) -> bool:
        return self.status is OracleStatus.OPTIMAL


@dataclass(frozen=True, eq=False)
class VertexCertificate:
    """Is θ a vertex of the arrangement (modulo the lineality space)?

    Attributes
    ----------
    is_vertex : bool
        The tight gradients have rank ``prob.vertex_rank``.
    tight : tuple of int
        Ids of the constraints tight at θ.
    degenerate : bool
        The tight gradients are linearly dependent (more tight constraints than
        their rank); at a vertex: more than ``vertex_rank`` constraints tight.
    rank : int
        Numerical rank of the tight gradients (:func:`lpwalk.tolerances.numerical_rank`).
    vertex_rank : int
        ``n - dim Λ``.
    reason : str
    """

    is_vertex: bool
    tight: tuple
    degenerate: bool
    rank: int
    vertex_rank: int
    reason: str

    def __bool__(self) -> bool:
        return self.is_vertex


@dataclass(frozen=True, eq=False)
class AdjacencyCertificate:
    """Are ``a`` and ``b`` adjacent vertices (joined by an edge of one region)?

    Attributes
    ----------
    is_adjacent : bool
    region : ndarray of int8, shape (n_constraints,)
        The side array of the region used (the pattern of the midpoint, tight
        constraints on side +1).
    shared : tuple of int
        Ids tight at both ``a`` and ``b``.
    rank : int
        Rank of the shared gradients on ``region`` (``vertex_rank - 1`` for an edge).
    reason : str
    """

    is_adjacent: bool
    region: np.ndarray
    shared: tuple
    rank: int
    reason: str

    def __bool__(self) -> bool:
        return self.is_adjacent


@dataclass(frozen=True, eq=False)
class GlobalMinResult:
    r"""Global minimum of the loss inside :math:`\|\theta\|_\infty \le B`.

    Attributes
    ----------
    status : OracleStatus
        ``OPTIMAL`` when the MIP gap closed, ``TIME_LIMIT`` when stopped early
        (``theta`` is then the best point found, ``bound`` a valid lower bound).
    message : str
    theta : ndarray of shape (n,) or None
    loss : float
        ``prob.loss(theta)``.
    box : float
        ``B``.
    mip_gap : float
        HiGHS's relative gap at the end (0 for the LP of the output layer).
    bound : float
        Lower bound on the loss over the box proven by the solver.
    """

    status: OracleStatus
    message: str
    theta: np.ndarray | None
    loss: float
    box: float
    mip_gap: float
    bound: float

    @property
    def success(self) -> bool:
        return self.status is OracleStatus.OPTIMAL


# ============================================================== HiGHS adapter
_BANNER_LOCK = threading.Lock()
_BANNER_DONE = False


@contextlib.contextmanager
def _quiet_c_stdout():
    """Redirect the C-level stdout (file descriptor 1) to the null device."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        fd = 1
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            try:
                yield
            finally:
                os.dup2(saved, fd)
    finally:
        os.close(saved)


def _new_highs(options: dict) -> highspy.Highs:
    """A silent ``Highs`` instance with ``options`` set (each status checked)."""
    global _BANNER_DONE
    with _BANNER_LOCK:
        if not _BANNER_DONE:
            # The first instance of a process prints a copyright banner on the
            # C stdout before any option can be set.
            with _quiet_c_stdout():
                h = highspy.Highs()
            _BANNER_DONE = True
        else:
            h = highspy.Highs()
    settings = {"output_flag": False, "log_to_console": False}
    settings.update(options)
    for name, value in settings.items():
        status = h.setOptionValue(name, value)
        if status != highspy.HighsStatus.kOk:
            raise OracleError(f"HiGHS rejected option {name}={value!r} (status {status})")
    return h


@dataclass
class _RawSolution:
    model_status: object
    x: np.ndarray | None
    objective: float
    row_dual: np.ndarray | None
    row_nonbasic: np.ndarray | None
    mip_gap: float
    mip_dual_bound: float


def _scale_rows(A: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """Scale each row of ``A`` to a largest entry of 1 and zero the entries HiGHS would drop.

    Returns the scaled ``(A, lower, upper)`` and the row factors ``m`` (original
    row = ``m *`` scaled row).  Rows must not be zero.
    """
    m = np.abs(A).max(axis=1)
    if np.any(m == 0):
        raise OracleError("internal: a zero row reached the solver")
    A = A / m[:, None]
    A[np.abs(A) <= tolerances.SOLVER_DROP_VALUE] = 0.0
    return A, lower / m, upper / m, m


def _solve(
    cost: np.ndarray,
    A: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    *,
    integer: np.ndarray | None = None,
    offset: float = 0.0,
    sense_max: bool = False,
    options: dict | None = None,
) -> _RawSolution:
    """Pass one model to HiGHS as CSC arrays, run it, and read the answer.

    ``A`` is dense (the oracle's models are small); rows are scaled here.
    ``integer`` marks integer columns (a MIP); otherwise the simplex method is
    used so that the solution is basic.
    """
    n_col = cost.shape[0]
    n_row = A.shape[0]
    if n_row:
        A, row_lower, row_upper, factor = _scale_rows(A, row_lower, row_upper)
    else:
        factor = np.ones(0)
    csc = sp.csc_matrix(A) if n_row else sp.csc_matrix((0, n_col))
    csc.eliminate_zeros()
    big = np.abs(csc.data).max() if csc.nnz else 0.0
    if big >= 1e15:  # cannot happen after scaling; HiGHS would refuse the model
        raise OracleError(f"matrix entry {big:.3g} is too large for HiGHS")

    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(col_lower, dtype=float)
    lp.col_upper_ = np.asarray(col_upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if sense_max else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    is_mip = integer is not None and bool(np.any(integer))
    if is_mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]

    opts = {
        "primal_feasibility_tolerance": tolerances.SOLVER_FEAS_TOL,
        "dual_feasibility_tolerance": tolerances.SOLVER_FEAS_TOL,
    }
    if is_mip:
        opts["mip_feasibility_tolerance"] = tolerances.SOLVER_FEAS_TOL
    else:
        opts["solver"] = "simplex"
    opts.update(options or {})
    h = _new_highs(opts)
    status = h.passModel(lp)
    if status != highspy.HighsStatus.kOk:
        raise OracleError(
            f"HiGHS passModel returned {status} for a model with {n_row} rows, "
            f"{n_col} columns and {csc.nnz} nonzeros (entries dropped or rejected)"
        )
    status = _run_interruptible(h, mip=is_mip)
    if status == highspy.HighsStatus.kError:
        raise OracleError(f"HiGHS run() failed (model status {h.modelStatusToString(h.getModelStatus())})")
    model_status = h.getModelStatus()
    info = h.getInfo()
    solution = h.getSolution()
    x = np.array(solution.col_value, dtype=float) if solution.value_valid else None
    row_dual = None
    if solution.dual_valid and n_row:
        row_dual = np.array(solution.row_dual, dtype=float) / factor
    row_nonbasic = None
    basis = h.getBasis()
    if basis.valid and n_row:
        row_nonbasic = np.array(
            [s != highspy.HighsBasisStatus.kBasic for s in basis.row_status], dtype=bool
        )
    return _RawSolution(
        model_status=model_status,
        x=x,
        objective=float(info.objective_function_value),
        row_dual=row_dual,
        row_nonbasic=row_nonbasic,
        mip_gap=float(info.mip_gap) if is_mip else 0.0,
        mip_dual_bound=float(info.mip_dual_bound) if is_mip else float(info.objective_function_value),
    )


def _run_interruptible(h: highspy.Highs, mip: bool):
    """``h.run()``, stopped promptly by Ctrl-C (KeyboardInterrupt raised after HiGHS returns).

    Python runs a signal handler only between bytecodes of the main thread, so
    a KeyboardInterrupt during a plain ``h.run()`` waits for the end of the
    solve (measured: 55 s on the MILP of a degenerate vertex).  Here SIGINT is
    caught by a handler that only sets a flag; HiGHS calls its interrupt
    callbacks (Python, in this thread) at every branch-and-bound node and
    every simplex or interior-point iteration, where the handler gets to run
    and the callback asks HiGHS to stop.  After ``run`` returns the previous
    handler is restored and KeyboardInterrupt is raised.  Outside the main
    thread, under a SIGINT handler other than Python's default, or without
    the callback API (an old highspy), this is a plain ``h.run()``.
    """
    names = ("cbMipInterrupt", "cbSimplexInterrupt", "cbIpmInterrupt") if mip else ("cbSimplexInterrupt",
                                                                                      "cbIpmInterrupt")
    if not all(hasattr(h, name) for name in names) \
            or threading.current_thread() is not threading.main_thread():
        return h.run()
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:  # a user's own handler (or SIG_IGN) stays in charge
        return h.run()
    interrupted = threading.Event()

    def on_sigint(signum, frame):
        interrupted.set()

    def on_interrupt_check(event):
        if interrupted.is_set():
            event.interrupt()

    for name in names:
        getattr(h, name).subscribe(on_interrupt_check)
    signal.signal(signal.SIGINT, on_sigint)
    try:
        status = h.run()
    finally:
        signal.signal(signal.SIGINT, previous)
        for name in names:
            getattr(h, name).unsubscribe(on_interrupt_check)
    if interrupted.is_set():
        raise KeyboardInterrupt
    return status


#: LP strategies tried in turn when one ends without a decisive status
#: (HiGHS's dual simplex ends with ``kUnknown`` on some degenerate region LPs
#: whose optimum is 0): dual simplex, primal simplex, interior point with crossover.
_LP_FALLBACKS = ({}, {"simplex_strategy": 4}, {"solver": "ipm", "run_crossover": "on"})


def _solve_lp(*args, options: dict | None = None, **kwargs) -> _RawSolution:
    """:func:`_solve` for an LP, retrying other HiGHS strategies on an indecisive status.

    Every answer is re-checked by the caller, so trying several strategies is safe.
    """
    raw = None
    for extra in _LP_FALLBACKS:
        raw = _solve(*args, options={**(options or {}), **extra}, **kwargs)
        if _map_status(raw.model_status) in (OracleStatus.OPTIMAL, OracleStatus.INFEASIBLE,
                                             OracleStatus.TIME_LIMIT):
            return raw
    return raw


def _map_status(model_status) -> OracleStatus:
    MS = highspy.HighsModelStatus
    if model_status == MS.kOptimal:
        return OracleStatus.OPTIMAL
    if model_status == MS.kInfeasible:
        return OracleStatus.INFEASIBLE
    if model_status in (MS.kUnbounded, MS.kUnboundedOrInfeasible):
        return OracleStatus.UNBOUNDED
    if model_status == MS.kTimeLimit:
        return OracleStatus.TIME_LIMIT
    return OracleStatus.FAILED


# ============================================================== region algebra
def _check_problem(prob) -> LayerwiseL1Problem:
    if not isinstance(prob, LayerwiseL1Problem):
        raise TypeError(f"prob must be a LayerwiseL1Problem, got {type(prob).__name__}")
    return prob


def _check_sides(prob: LayerwiseL1Problem, sides) -> np.ndarray:
    _check_problem(prob)
    arr = np.asarray(sides)
    if arr.shape != (prob.n_constraints,):
        raise ValueError(
            f"sides must have shape ({prob.n_constraints},) (one side per constraint), got {arr.shape}"
        )
    if not np.all(np.isin(arr, (-1, 1))):
        bad = int(np.flatnonzero(~np.isin(arr, (-1, 1)))[0])
        raise ValueError(f"sides must be +1 or -1, got {arr[bad]!r} at id {bad}")
    return arr.astype(np.int8)


def region_affine(prob: LayerwiseL1Problem, sides) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The affine form :math:`c(\theta) = G_c\cdot\theta + c^0_c` of every constraint on a region.

    Parameters
    ----------
    prob : LayerwiseL1Problem
    sides : ndarray of shape (n_constraints,)
        The pattern (+1/-1 per constraint id).

    Returns
    -------
    G : ndarray of shape (n_constraints, n)
        Gradients, ``prob.jacobian_rows(sides, all ids)`` (dense: oracle only).
    c0 : ndarray of shape (n_constraints,)
        Constants: the forward pass of θ = 0 through the layers masked by the
        pattern (biases of layers ``> k`` pushed through ``D``; minus ``y`` for
        residuals).  On the region's closure ``G θ + c0`` equals the forward pass.
    c0_scale : ndarray of shape (n_constraints,)
        The same pass on absolute values (``|b|``, ``|W|``, ``+|y|``): the
        rounding scale of ``c0``.
    """
    sides = _check_sides(prob, sides)
    G = prob.jacobian_rows(sides, np.arange(prob.n_constraints))
    masks = prob.activation_masks(sides)
    net = prob.base_network
    k = prob.layer
    z = np.zeros((prob.n_samples, prob.n_neurons))
    za = np.zeros_like(z)
    consts, scales = [], []
    for t, (w, b) in enumerate(zip(net.weights[k + 1 :], net.biases[k + 1 :])):
        consts.append(z.ravel())
        scales.append(za.ravel())
        z = np.where(masks[t], z, 0.0) @ w.T + b
        za = np.where(masks[t], za, 0.0) @ np.abs(w).T + np.abs(b)
    consts.append(z[:, 0] - prob.y)
    scales.append(za[:, 0] + np.abs(prob.y))
    return G, np.concatenate(consts), np.concatenate(scales)


def region_violation(prob: LayerwiseL1Problem, theta, sides) -> float:
    r"""How far θ is outside the closure of the region of ``sides``.

    .. math:: \max_c \frac{\max(0, -s_c\, c(\theta))}{\mathrm{scale}_c}

    with ``c(θ)`` from the forward pass and the constraint scales of
    :mod:`lpwalk.tolerances`.  θ is in the closure (up to rounding) when this is
    at most :data:`lpwalk.tolerances.ORACLE_FEAS_RTOL`.  A violation with a zero
    scale counts as infinite.
    """
    _check_problem(prob)
    return _violation(prob, prob.check_point(theta), _check_sides(prob, sides))


def _violation(prob: LayerwiseL1Problem, theta: np.ndarray, sides: np.ndarray) -> float:
    """:func:`region_violation` for arguments already checked (the oracle's own points)."""
    ev = prob.evaluate(theta)
    wrong = np.maximum(-sides * ev.values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(wrong > 0, wrong / ev.scales, 0.0)
    return float(rel.max()) if rel.size else 0.0


def _objective_scale(prob: LayerwiseL1Problem, G: np.ndarray, c0_scale: np.ndarray, theta) -> float:
    """Scale of the region objective at θ: Σ over residuals of |∇r_i|·|θ| + |c0_i|."""
    res = slice(prob.residual_offset, prob.n_constraints)
    return float((np.abs(G[res]) @ np.abs(theta)).sum() + c0_scale[res].sum())


# ============================================================== region LP
def solve_region(prob: LayerwiseL1Problem, theta, sides=None, *, polish: bool = True,
                 time_limit: float | None = None) -> RegionSolution:
    r"""Solve the LP of the region holding θ (DESIGN §2).

    .. math::

        \min_{\theta'}\ \ell_R(\theta') = \sum_i \sigma_i r_i(\theta')
        \quad\text{s.t.}\quad s_c\,(\nabla c\cdot\theta' + c^0_c) \ge 0 \ \ \forall c,

    where on the region :math:`c(\theta') = \nabla c\cdot\theta' + c^0_c` is
    affine (:func:`region_affine`).  :math:`\ell_R = \ell` on the region's
    closure, so the optimum is the least loss over the closure.

    Parameters
    ----------
    prob : LayerwiseL1Problem
    theta : array_like of shape (n,)
        A point; its pattern ``prob.sides(theta)`` (tight constraints on side
        +1) is the region unless ``sides`` is given.
    sides : ndarray of shape (n_constraints,), optional
        The pattern, overriding θ's.
    polish : bool
        Return a vertex of the optimal face when the region has one: recompute
        the optimum from the rows at their bound in the solver's basis (one
        least-squares correction) when they determine a vertex, else move along
        the optimal face to a vertex (HiGHS may leave free columns nonbasic at
        zero, which gives a non-vertex optimum).  The result is kept only if it
        passes the re-check and does not raise the loss.
    time_limit : float, optional
        Seconds given to HiGHS.

    Returns
    -------
    RegionSolution

    Raises
    ------
    ValueError
        θ or ``sides`` of the wrong shape, NaN/inf.
    OracleError
        HiGHS refused the model or failed outright.

    Notes
    -----
    The region is bounded below (``ℓ_R >= 0`` on it) but need not be bounded;
    along the lineality space :math:`\Lambda` (``prob.lineality_basis``) every
    constraint is constant, so with ``dim Λ > 0`` the optimum is not unique.
    Rows whose gradient is zero (a constraint constant on the region, e.g. the
    residual of a sample whose every path is switched off) are not passed to
    the solver; they are checked here, and a violated one makes the region
    empty.  The answer is re-checked with the forward pass
    (:func:`region_violation`); an optimum that fails the check is reported
    as ``FAILED``, never as ``OPTIMAL``.  Solved by the dual simplex method of
    HiGHS [2]_.

    References
    ----------
    .. [1] P. Hinz and S. van de Geer, *Deep ReLU Programming*, arXiv 2011.14895.
    .. [2] Q. Huangfu and J. A. J. Hall, Math. Prog. Comp. 10 (2018) 119–142.

    Examples
    --------
    >>> import numpy as np
    >>> from lpwalk import ReLUNetwork, LayerwiseL1Problem, oracle
    >>> net = ReLUNetwork.random([1, 2, 1], seed=0)
    >>> X = np.linspace(-1, 1, 6)[:, None]; y = np.abs(X[:, 0])
    >>> prob = LayerwiseL1Problem(net, X, y, layer=1)
    >>> sol = oracle.solve_region(prob, prob.theta0)
    >>> sol.status.value, sol.loss <= prob.loss(prob.theta0) + 1e-12
    ('optimal', True)
    """
    _check_problem(prob)
    time_limit = check_time_limit("time_limit", time_limit)
    theta = prob.check_point(theta)
    sides = prob.sides(theta) if sides is None else _check_sides(prob, sides)
    G, c0, c0_scale = region_affine(prob, sides)
    n, n_con = prob.n_params, prob.n_constraints
    s = sides.astype(float)
    g = prob.loss_gradient(sides)
    res = slice(prob.residual_offset, n_con)
    const = float(s[res] @ c0[res])
    empty = np.zeros(0, dtype=np.int64)

    # ---- checks: rows with a zero gradient are constants on the region
    zero_row = ~np.any(G != 0.0, axis=1)
    bad = zero_row & (s * c0 < 0) & ~tolerances.is_tight(c0, c0_scale)

    def theta_inside() -> bool:
        """The given θ lies in the region by the forward pass (asked only before calling it empty)."""
        return _violation(prob, theta, sides) <= tolerances.ORACLE_FEAS_RTOL

    if np.any(bad):
        inside = theta_inside()
        cid = int(np.flatnonzero(bad)[0])
        why = f"{prob.describe(cid)} is the constant {c0[cid]:.6g} on it, on the wrong side"
        return RegionSolution(
            # the given θ lies in the region by the forward pass: the two scales disagree, no verdict
            status=OracleStatus.FAILED if inside else OracleStatus.INFEASIBLE,
            message=(f"inconsistent tolerances: theta lies in the region, yet {why} (theta and the data "
                     "are on scales too far apart)") if inside else f"the region is empty: {why}",
            theta=None, loss=float("nan"), objective=float("nan"), sides=sides,
            active=empty, duals=np.zeros(n_con), max_violation=float("inf"),
        )
    rows = np.flatnonzero(~zero_row)

    # ---- the LP, layout:
    #   columns  0 .. n-1       θ' (free), neuron by neuron as in DESIGN §1
    #   rows     r = 0 .. R-1   one per constraint id c = rows[r] with a nonzero gradient:
    #                           s_c ∇c · θ' >= -s_c c0_c     (scaled by max_j |∇c_j|)
    #   objective               g · θ' + Σ_i σ_i c0_res(i),  g = prob.loss_gradient(sides)
    A = s[rows, None] * G[rows]
    lower = -s[rows] * c0[rows]
    upper = np.full(rows.shape[0], np.inf)
    options = {} if time_limit is None else {"time_limit": float(time_limit)}
    raw = _solve_lp(g, A, lower, upper, np.full(n, -np.inf), np.full(n, np.inf),
                    offset=const, options=options)
    status = _map_status(raw.model_status)

    duals = np.zeros(n_con)
    active = empty
    if raw.row_dual is not None:
        duals[rows] = np.abs(raw.row_dual)
    if raw.row_nonbasic is not None:
        active = rows[raw.row_nonbasic]
    if status is not OracleStatus.OPTIMAL or raw.x is None:
        msg = {
            OracleStatus.INFEASIBLE: "the region is empty (HiGHS: infeasible)",
            OracleStatus.UNBOUNDED: "HiGHS reports the region LP unbounded, which the loss "
            "(bounded below by 0 on the region) rules out: a numerical failure",
            OracleStatus.TIME_LIMIT: "time limit reached before the region LP was solved",
        }.get(status, f"HiGHS ended with model status {raw.model_status}")
        if status is OracleStatus.UNBOUNDED:
            status = OracleStatus.FAILED
        if status is OracleStatus.INFEASIBLE and theta_inside():
            # re-check: the given θ is a point of the region, so the region is not empty
            status = OracleStatus.FAILED
            msg = ("HiGHS reports the region empty, but the given theta lies in it: a numerical failure "
                   "(theta and the data may be on scales too far apart for the solver's tolerances)")
        return RegionSolution(
            status=status, message=msg, theta=None, loss=float("nan"),
            objective=raw.objective, sides=sides, active=active, duals=duals,
            max_violation=float("inf"),
        )

    # ---- re-check: feasibility by the forward pass, objective against the loss
    x = raw.x
    polished = False
    if polish:
        x_pol = _polish(prob, x, G, c0, active) if active.size else None
        if x_pol is None:
            x_pol = _to_vertex(prob, x, sides, G, c0, g)
        if x_pol is not None:
            viol_pol = _violation(prob, x_pol, sides)
            if (viol_pol <= tolerances.ORACLE_FEAS_RTOL
                    and prob.loss(x_pol) <= prob.loss(x) + tolerances.ORACLE_OBJ_RTOL
                    * _objective_scale(prob, G, c0_scale, x)):
                x, polished = x_pol, True
    viol = _violation(prob, x, sides)
    loss = prob.loss(x)
    obj_scale = _objective_scale(prob, G, c0_scale, x)
    if viol > tolerances.ORACLE_FEAS_RTOL:
        return RegionSolution(
            status=OracleStatus.FAILED,
            message=f"HiGHS reported an optimum that violates the region by {viol:.3g} "
            f"(relative; allowed {tolerances.ORACLE_FEAS_RTOL:g})",
            theta=x, loss=loss, objective=raw.objective, sides=sides, active=active,
            duals=duals, max_violation=viol,
        )
    if abs(loss - raw.objective) > tolerances.ORACLE_OBJ_RTOL * max(obj_scale, 1e-300) and not polished:
        return RegionSolution(
            status=OracleStatus.FAILED,
            message=f"HiGHS's objective {raw.objective:.17g} differs from the loss "
            f"{loss:.17g} at its solution",
            theta=x, loss=loss, objective=raw.objective, sides=sides, active=active,
            duals=duals, max_violation=viol,
        )
    return RegionSolution(
        status=OracleStatus.OPTIMAL,
        message=f"region LP solved: loss {loss:.12g}, {active.size} rows at their bound"
        + (" (vertex polished)" if polished else ""),
        theta=x, loss=loss, objective=raw.objective, sides=sides, active=active,
        duals=duals, max_violation=viol, polished=polished,
    )


def _to_vertex(prob, x, sides, G, c0, g) -> np.ndarray | None:
    """Move an optimum that is not a vertex to a vertex of the optimal face.

    At an optimum ``x`` whose tight gradients have rank below ``vertex_rank``,
    every direction ``d`` in their null space (orthogonal to Λ) keeps ``x`` feasible
    both ways, so ``g·d = 0``; move along ``d`` (the sign with ``g·d <= 0``)
    until a new constraint becomes tight, and repeat.  HiGHS leaves free
    columns nonbasic at zero on such faces.  Returns None when the region has
    no vertex (a line of the optimal face is unbounded both ways).
    """
    Lam = prob.lineality_basis
    s = sides.astype(float)
    row_norm = np.linalg.norm(G, axis=1)
    for _ in range(prob.n_params + 1):
        ev = prob.evaluate(x)
        T = ev.tight_ids
        GT = np.vstack([G[T], Lam.T])
        if tolerances.numerical_rank(G[T]) >= prob.vertex_rank:
            return x
        _, sv, vt = np.linalg.svd(GT, full_matrices=True)
        rank = tolerances.numerical_rank(GT)
        d = vt[rank]
        if g @ d > 0:
            d = -d
        step = None
        for direction in (d, -d):
            rate = G @ direction
            vals = G @ x + c0
            # a rate counts when it is not rounding of |∇c|·|d| (norms: entries of d
            # at rounding level must not make a parallel row look like a crossing)
            out = (~ev.tight) & (s * rate < -tolerances.RANK_RTOL * row_norm * np.linalg.norm(direction))
            if np.any(out):
                step = float(np.min(-vals[out] / rate[out])) * direction
                break
            if abs(g @ d) > tolerances.RANK_RTOL * np.linalg.norm(g):
                break  # the other sign would raise the objective
        if step is None:
            return None
        x = x + step
    return None


def _polish(prob, x, G, c0, active) -> np.ndarray | None:
    """One least-squares correction putting the active rows exactly at zero.

    The correction ``δ = -G_A^+ (G_A x + c0_A)`` is the shortest one and lies in
    the row space of ``G_A`` (orthogonal to Λ).  Returns None when the active
    rows do not determine a vertex.
    """
    GA = G[active]
    if tolerances.numerical_rank(GA) < prob.vertex_rank:
        return None
    resid = GA @ x + c0[active]
    delta, *_ = np.linalg.lstsq(GA, -resid, rcond=None)
    return x + delta


# ============================================================== vertex test
def certify_vertex(prob: LayerwiseL1Problem, theta) -> VertexCertificate:
    r"""Decide whether θ is a vertex of the arrangement (DESIGN §3).

    θ is a vertex when the gradients of its tight constraints, taken in one
    adjacent region (tight constraints on side +1), span the complement of the
    flat directions :math:`F(\theta)` (the lineality space and the blocks of
    strictly dead and of disconnected neurons, ``prob.flat_basis``), i.e. have
    rank ``prob.vertex_rank_at(θ) = n - dim F`` modulo ``F``.  The
    rank does not depend on the adjacent region chosen: a bent row changes
    across sides by multiples of earlier tight rows.  The vertex is
    nondegenerate when exactly ``vertex_rank`` constraints are tight.

    Returns
    -------
    VertexCertificate

    Notes
    -----
    Tightness is decided by :func:`lpwalk.tolerances.is_tight`, rank by
    :func:`lpwalk.tolerances.numerical_rank`.  A tight constraint with a zero
    gradient modulo ``F`` (constant zero on the region, or an activation of a
    disconnected neuron) makes the point degenerate.
    """
    _check_problem(prob)
    ev = prob.evaluate(prob.check_point(theta))
    tight = ev.tight_ids
    vr = prob.vertex_rank_at(ev)
    sides = prob.sides(ev)
    rank = prob.gradient_rank(prob.jacobian_rows(sides, tight), prob.flat_basis(ev)) if tight.size else 0
    is_vertex = rank == vr
    degenerate = tight.size > rank
    if is_vertex and not degenerate:
        reason = f"nondegenerate vertex: {tight.size} tight constraints of rank {rank}"
    elif is_vertex:
        reason = (f"degenerate vertex: {tight.size} tight constraints, rank {rank} "
                  f"(= n - dim F = {vr})")
    else:
        reason = (f"not a vertex: {tight.size} tight constraints of rank {rank}, "
                  f"a vertex needs rank {vr}")
    return VertexCertificate(
        is_vertex=is_vertex, tight=tuple(int(c) for c in tight), degenerate=bool(degenerate),
        rank=rank, vertex_rank=vr, reason=reason,
    )


# ============================================================== adjacency test
def certify_adjacent(prob: LayerwiseL1Problem, a, b) -> AdjacencyCertificate:
    r"""Decide whether vertices ``a`` and ``b`` are adjacent (DESIGN §3).

    ``a`` and ``b`` are adjacent when a region's closure holds both and, in that
    region, they share ``vertex_rank - 1`` tight constraints with independent
    gradients, so that :math:`[a, b]` is an edge of the region's polyhedron.

    The region is the pattern of the midpoint (constraints tight there on side
    +1; on the face the choice does not matter, deeper rows differing by
    multiples of tight rows).  Checks, in order: both are vertices and differ
    modulo Λ; both lie in the region's closure (:func:`region_violation`); the
    shared tight gradients have rank ``vertex_rank - 1``; and on the face
    (region ∩ shared constraints = 0), minimising and maximising
    :math:`w\cdot\theta`, :math:`w = P_{\Lambda^\perp}(b - a)`, gives
    :math:`w\cdot a` and :math:`w\cdot b` — the face is exactly the segment.

    Returns
    -------
    AdjacencyCertificate
    """
    _check_problem(prob)
    a = prob.check_point(a, "a")
    b = prob.check_point(b, "b")
    mid = 0.5 * (a + b)
    region = prob.sides(mid)

    def reject(reason, shared=(), rank=0):
        return AdjacencyCertificate(False, region, tuple(shared), rank, reason)

    Lam = prob.flat_basis(a)
    if Lam.shape != prob.flat_basis(b).shape:
        return reject("a and b have different dead neurons")
    w = (b - a) - Lam @ (Lam.T @ (b - a))
    # entries at rounding level would put a cost on directions of Λ (columns that
    # no row touches) and make the face LP unbounded
    w[np.abs(w) <= tolerances.RANK_RTOL * np.abs(w).max(initial=0.0)] = 0.0
    span = np.abs(a).max() + np.abs(b).max()
    if not np.any(np.abs(w) > tolerances.ORACLE_FEAS_RTOL * max(span, 1e-300)):
        return reject("a and b are the same point (modulo the lineality space)")
    for name, pt in (("a", a), ("b", b)):
        vc = certify_vertex(prob, pt)
        if not vc.is_vertex:
            return reject(f"{name} is not a vertex ({vc.reason})")
        viol = _violation(prob, pt, region)
        if viol > tolerances.ORACLE_FEAS_RTOL:
            return reject(f"{name} is not in the closure of the midpoint's region "
                          f"(violation {viol:.3g})")
    ta = prob.tight_set(a)
    tb = prob.tight_set(b)
    shared = np.intersect1d(ta, tb)
    G, c0, c0_scale = region_affine(prob, region)
    rank = prob.gradient_rank(G[shared], Lam) if shared.size else 0
    vr = prob.vertex_rank_at(a)
    if rank != vr - 1:
        return reject(f"a and b share {shared.size} tight constraints of rank {rank}; "
                      f"an edge needs rank {vr - 1}", shared, rank)

    # ---- the face LPs, layout:
    #   columns  0 .. n-1   θ (free)
    #   rows     one per constraint id with a nonzero gradient:
    #            s_c (∇c·θ + c0_c) >= 0, and = 0 for the shared ids;
    #   objective  w · θ, minimised then maximised
    s = region.astype(float)
    nz = np.any(G != 0.0, axis=1)
    rows = np.flatnonzero(nz)
    A = s[rows, None] * G[rows]
    lower = -s[rows] * c0[rows]
    upper = np.where(np.isin(rows, shared), lower, np.inf)
    n = prob.n_params
    targets = {"min": float(w @ a), "max": float(w @ b)}
    scale = float(np.abs(w) @ (np.abs(a) + np.abs(b)))
    for sense, target in targets.items():
        raw = _solve_lp(w, A, lower, upper.copy(), np.full(n, -np.inf), np.full(n, np.inf),
                        sense_max=(sense == "max"))
        st = _map_status(raw.model_status)
        if st is not OracleStatus.OPTIMAL:
            return reject(f"the face LP ({sense} w·θ) ended {st}: the face is not the "
                          f"segment [a, b]", shared, rank)
        if abs(raw.objective - target) > tolerances.ORACLE_OBJ_RTOL * scale:
            return reject(f"the face reaches {sense} w·θ = {raw.objective:.12g}, "
                          f"beyond the segment's {target:.12g}", shared, rank)
    return AdjacencyCertificate(
        True, region, tuple(int(c) for c in shared), rank,
        f"adjacent: {shared.size} shared tight constraints of rank {rank}, and the face "
        f"LPs end at a and b",
    )


# ============================================================== local-minimum test
def certify_local_min(prob: LayerwiseL1Problem, theta, method: str = "auto", *,
                      time_limit: float | None = None) -> LocalMinCertificate:
    r"""Decide whether θ is a local minimum of the loss (DESIGN §3).

    θ is a local minimum iff :math:`\varphi(\theta, d) \ge 0` for every ``d``,
    with φ the one-sided directional derivative (``prob.phi``).

    Parameters
    ----------
    prob : LayerwiseL1Problem
    theta : array_like of shape (n,)
    method : {"auto", "rays", "milp"}
        ``"rays"``: the 2n-edge-ray test, a proof only at a nondegenerate vertex
        (raises :class:`OracleError` anywhere else).  ``"milp"``: the complete
        test :math:`\min \varphi(d)` s.t. :math:`\|d\|_\infty \le 1` by HiGHS's
        MIP solver, valid at any point.  ``"auto"``: rays where they are a
        proof, else the MILP.
    time_limit : float, optional
        Seconds given to the MIP solver; when it runs out without a proof the
        status is ``INCONCLUSIVE`` (or ``DESCENT`` if a confirmed descent was found).

    Returns
    -------
    LocalMinCertificate

    Raises
    ------
    OracleError
        ``"rays"`` away from a nondegenerate vertex; the MIP solver failed.
    ValueError
        Unknown ``method``, θ of the wrong shape.

    Notes
    -----
    *Rays.*  With ``T`` the ``n' = vertex_rank`` tight constraints and Λ the
    lineality basis, :math:`J = [\nabla c_T;\ \Lambda^T]` (tight rows on side
    +1) is square and invertible; :math:`\rho(q,+) = J^{-1} e_q`, and
    :math:`\rho(q,-)` solves :math:`J_- \rho = -e_q` with ``J_-`` rebuilt with
    ``q`` on side -1.  φ is evaluated by forward mode on each ray normalised to
    the box of the complete test, ``‖κρ‖_∞ = 1``; a ray with φ negative beyond rounding
    (:func:`lpwalk.tolerances.is_descent`) is a descent direction (the most
    negative one is returned); otherwise θ is a local minimum, strict when φ
    exceeds the rounding level on every ray.

    *MILP.*  Samples with no tight constraint contribute one linear term;
    for the others the tangent is pushed through the fixed layers with one
    binary per tight activation (``max(dz, 0)``, big-M from interval bounds of
    ``dz`` over the box) and an epigraph variable per tight residual
    (``|dr|``).  The objective is divided by the φ scale of the box
    (``prob.phi_scale`` at ``|d| = 1``).  A minimiser is reported as a descent
    only when forward mode confirms it; a lower bound at least
    ``-MILP_PHI_RTOL`` certifies a local minimum; anything else is
    ``INCONCLUSIVE`` — never a local minimum.
    """
    _check_problem(prob)
    time_limit = check_time_limit("time_limit", time_limit)
    if method not in ("auto", "rays", "milp"):
        raise ValueError(f"method must be 'auto', 'rays' or 'milp', got {method!r}")
    theta = prob.check_point(theta)
    ev = prob.evaluate(theta)
    vc = certify_vertex(prob, theta)
    rays_valid = vc.is_vertex and not vc.degenerate
    if method == "rays" and not rays_valid:
        raise OracleError(
            f"the edge-ray test is a proof only at a nondegenerate vertex, and θ is a "
            f"{vc.reason}; use method='milp'"
        )
    if method == "rays" or (method == "auto" and rays_valid):
        return _local_min_rays(prob, ev, vc)
    return _local_min_milp(prob, ev, vc, time_limit)


def edge_rays(prob: LayerwiseL1Problem, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The ``2 n'`` edge rays at a nondegenerate vertex (DESIGN §3), unnormalised.

    Returns ``(ids, sides, rays)``: ``rays[r]`` moves constraint ``ids[r]`` to
    side ``sides[r]`` at unit rate keeping the other tight constraints at zero
    and staying orthogonal to Λ.

    Raises
    ------
    OracleError
        θ is not a nondegenerate vertex.
    """
    _check_problem(prob)
    vc = certify_vertex(prob, theta)
    if not vc.is_vertex or vc.degenerate:
        raise OracleError(f"edge rays exist only at a nondegenerate vertex; θ is a {vc.reason}")
    return _edge_rays(prob, prob.evaluate(theta), np.asarray(vc.tight, dtype=np.int64))


def _edge_rays(prob, ev: Evaluation, tight: np.ndarray):
    n = prob.n_params
    Lam = prob.flat_basis(ev)
    base = prob.sides(ev)
    ids, sides, rays = [], [], []
    J = np.vstack([prob.jacobian_rows(base, tight), Lam.T])
    for pos, q in enumerate(tight):
        e = np.zeros(n)
        e[pos] = 1.0
        rays.append(np.linalg.solve(J, e))
        ids.append(q)
        sides.append(1)
        minus = base.copy()
        minus[q] = -1
        Jm = np.vstack([prob.jacobian_rows(minus, tight), Lam.T])
        rays.append(np.linalg.solve(Jm, -e))
        ids.append(q)
        sides.append(-1)
    rays = np.array(rays) if rays else np.zeros((0, n))
    return np.array(ids, dtype=np.int64), np.array(sides, dtype=np.int8), rays


def _local_min_rays(prob, ev: Evaluation, vc: VertexCertificate) -> LocalMinCertificate:
    tight = np.asarray(vc.tight, dtype=np.int64)
    ids, sides, rays = _edge_rays(prob, ev, tight)
    # normalised to the box of the complete test, ‖κ ρ‖_∞ = 1, so the MILP's optimum is at most min φ
    rays = rays / np.abs(rays * prob.parameter_scale).max(axis=1, keepdims=True)
    phi = np.asarray(prob.phi(ev, rays)).reshape(-1)
    scale = np.asarray(prob.phi_scale(ev, rays)).reshape(-1)
    descent = tolerances.is_descent(phi, scale)
    # no edge ray at all (every direction flat): a local minimum, not strict
    strict = bool(phi.size and np.all(phi > tolerances.PHI_RTOL * scale))
    common = dict(
        method="rays", theta=ev.theta, degenerate=False, min_phi=float(phi.min()) if phi.size else 0.0,
        basis=tuple(int(c) for c in tight), tight=tuple(int(c) for c in tight),
        ray_ids=ids, ray_sides=sides, ray_phi=phi,
    )
    if np.any(descent):
        r = int(np.argmin(np.where(descent, phi, np.inf)))
        return LocalMinCertificate(
            status=LocalMinStatus.DESCENT, strict=False, descent=rays[r].copy(),
            message=f"not a local minimum: edge ray {prob.describe(ids[r])} side "
            f"{'+' if sides[r] > 0 else '-'} has phi = {phi[r]:.6g} "
            f"({int(descent.sum())} of {len(phi)} rays descend)",
            **common,
        )
    flat = int(np.count_nonzero(~(phi > tolerances.PHI_RTOL * scale)))
    return LocalMinCertificate(
        status=LocalMinStatus.LOCAL_MIN, strict=strict, descent=None,
        message="local minimum (nondegenerate vertex, " + (
            "strict)" if strict else f"not strict: {flat} flat edge rays)"),
        **common,
    )


# ---------------------------------------------------------------- MIP builder
class _Model:
    """A small MIP assembled from sparse rows; variables are added as needed."""

    def __init__(self):
        self.lo, self.hi, self.integer, self.cost = [], [], [], []
        self.rows_idx, self.rows_val, self.row_lo, self.row_hi = [], [], [], []
        self.offset = 0.0

    def add_vars(self, lo, hi, integer=False, cost=0.0) -> np.ndarray:
        lo = np.atleast_1d(np.asarray(lo, dtype=float))
        hi = np.broadcast_to(np.asarray(hi, dtype=float), lo.shape)
        start = len(self.lo)
        self.lo.extend(lo)
        self.hi.extend(hi)
        self.integer.extend([integer] * lo.shape[0])
        self.cost.extend(np.broadcast_to(np.asarray(cost, dtype=float), lo.shape))
        return np.arange(start, start + lo.shape[0])

    def add_row(self, expr, lo, hi):
        """``lo <= expr <= hi`` for ``expr = (idx, val, const)``."""
        idx, val, const = expr
        self.rows_idx.append(np.asarray(idx, dtype=np.int64))
        self.rows_val.append(np.asarray(val, dtype=float))
        self.row_lo.append(lo - const)
        self.row_hi.append(hi - const)

    def add_cost(self, expr, weight=1.0):
        idx, val, const = expr
        cost = np.asarray(self.cost)
        np.add.at(cost, idx, weight * val)
        self.cost = list(cost)
        self.offset += weight * const

    def arrays(self):
        n_col, n_row = len(self.lo), len(self.rows_idx)
        A = np.zeros((n_row, n_col))
        for r, (idx, val) in enumerate(zip(self.rows_idx, self.rows_val)):
            np.add.at(A[r], idx, val)
        keep = np.any(A != 0.0, axis=1)
        lo, hi = np.array(self.row_lo), np.array(self.row_hi)
        if np.any(~keep & ((lo > 0) | (hi < 0))):
            raise OracleError("internal: an infeasible constant row in a MIP model")
        return (np.array(self.cost), A[keep], lo[keep], hi[keep],
                np.array(self.lo), np.array(self.hi), np.array(self.integer, dtype=bool))


def _combine(terms) -> tuple:
    """Sum of ``coef * expr`` over ``terms``; ``expr = (idx, val, const)``."""
    idx = np.concatenate([e[0] for _, e in terms]) if terms else np.zeros(0, np.int64)
    val = np.concatenate([c * e[1] for c, e in terms]) if terms else np.zeros(0)
    const = float(sum(c * e[2] for c, e in terms))
    if idx.size:
        uniq, inv = np.unique(idx, return_inverse=True)
        acc = np.zeros(uniq.shape[0])
        np.add.at(acc, inv, val)
        nz = acc != 0.0
        return uniq[nz], acc[nz], const
    return idx, val, const


def _relu_chain(model: _Model, z, lo, hi, modes, layers, output_sign=None):
    """Push expressions through ReLU layers, adding binaries where needed.

    Parameters
    ----------
    z : list of expr
        Pre-activations of the first ReLU layer (one sample), with interval
        bounds ``lo, hi`` (arrays).
    modes : list of ndarray of str
        Per ReLU layer and neuron: ``"on"`` (a = z), ``"off"`` (a = 0) or
        ``"relu"`` (a = max(z, 0), one binary unless the interval decides it).
    layers : list of (W, b)
        The affine maps after each ReLU layer; the last gives the output.
    output_sign : float, optional
        When the output enters the objective only as ``output_sign * out``
        (and nowhere else), a ReLU of the last layer with undecided neurons whose
        weight in that objective term is ``>= 0`` gets no binary (see Notes).

    Returns
    -------
    out : expr, out_lo, out_hi
        The output (first row of the last map), with interval bounds.

    Notes
    -----
    ``a = max(z, 0)`` with ``z ∈ [lo, hi]``, ``lo < 0 < hi``, binary δ:
    ``a >= 0``, ``a >= z``, ``a <= z - lo (1 - δ)``, ``a <= hi δ`` (exact).

    Convex terms need no binary.  Let ``t*`` be the last layer with a
    ``"relu"`` neuron; after it every neuron is ``"on"`` or ``"off"``, so the
    output is ``c · a + (terms without a)`` with ``c = W_L D_{L-1} ... W_{t*+1}``
    (``D`` the on masks).  The objective term ``output_sign * out`` is then
    nondecreasing in ``a_j`` when ``output_sign * c_j >= 0``, and a minimiser
    may take ``a_j`` as small as ``a_j >= max(z_j, 0)`` allows: the rows
    ``a >= 0, a >= z`` alone are exact for it (the standard LP form of a
    convex piecewise-linear term), and the relaxation is tighter.  Measured on
    the degenerate vertex of ``tests/data/slow_complete_test.npz`` (80 tight
    activations, half of them convex) at six rescalings of the data: 35–87 s
    with, 39 to over 120 s without; HiGHS's branching varies more from one
    rescaling to the next than between the two forms.
    """
    last_relu = max((t for t, mt in enumerate(modes) if np.any(mt == "relu")), default=-1)
    convex = None
    if output_sign is not None and last_relu >= 0:
        c = layers[-1][0][:1]
        for t in range(len(layers) - 2, last_relu - 1, -1):
            c = (c * (modes[t + 1] == "on")) @ layers[t][0]
        convex = output_sign * c[0] >= 0.0
    for t, (w, b) in enumerate(layers):
        acts, alo, ahi = [], np.zeros(len(z)), np.zeros(len(z))
        for j, expr in enumerate(z):
            mode = modes[t][j]
            if mode == "relu" and hi[j] <= 0:
                mode = "off"
            elif mode == "relu" and lo[j] >= 0:
                mode = "on"
            if mode == "off":
                acts.append((np.zeros(0, np.int64), np.zeros(0), 0.0))
            elif mode == "on":
                acts.append(expr)
                alo[j], ahi[j] = lo[j], hi[j]
            elif t == last_relu and convex is not None and convex[j]:
                a = int(model.add_vars(0.0, hi[j])[0])
                av = (np.array([a]), np.array([1.0]), 0.0)
                model.add_row(_combine([(1.0, av), (-1.0, expr)]), 0.0, np.inf)
                acts.append(av)
                alo[j], ahi[j] = 0.0, hi[j]
            else:
                a = int(model.add_vars(0.0, hi[j])[0])
                delta = int(model.add_vars(0.0, 1.0, integer=True)[0])
                av = (np.array([a]), np.array([1.0]), 0.0)
                dv = (np.array([delta]), np.array([1.0]), 0.0)
                model.add_row(_combine([(1.0, av), (-1.0, expr)]), 0.0, np.inf)
                model.add_row(_combine([(1.0, av), (-1.0, expr), (-lo[j], dv)]), -np.inf, -lo[j])
                model.add_row(_combine([(1.0, av), (-hi[j], dv)]), -np.inf, 0.0)
                acts.append(av)
                alo[j], ahi[j] = 0.0, hi[j]
        wp, wn = np.maximum(w, 0.0), np.minimum(w, 0.0)
        lo = wp @ alo + wn @ ahi + b
        hi = wp @ ahi + wn @ alo + b
        const_b = [(np.zeros(0, np.int64), np.zeros(0), float(bj)) for bj in b]
        z = [_combine([(float(w[r, j]), acts[j]) for j in range(len(acts)) if w[r, j] != 0.0]
                      + [(1.0, const_b[r])]) for r in range(w.shape[0])]
    return z[0], float(lo[0]), float(hi[0])


def _local_min_milp(prob, ev: Evaluation, vc: VertexCertificate, time_limit) -> LocalMinCertificate:
    n, m, p = prob.n_params, prob.n_neurons, prob.p
    k = prob.layer
    net = prob.base_network
    tight = ev.tight
    sides = prob.sides(ev)
    res_tight = tight[prob.residual_offset:]
    act_tight = prob.activation_masks(tight.astype(np.int8))
    on_masks = prob.activation_masks(ev.values > 0)
    sample_tight = res_tight.copy()
    for T in act_tight:
        sample_tight |= T.any(axis=1)
    sigma = np.where(ev.residuals > 0, 1.0, -1.0)
    # the box is ‖κ d‖_∞ <= 1 in the unit-consistent metric (DESIGN §7): the MILP's
    # variables are d̂ = κ d, so the same data rescaled give the same MILP
    kappa = prob.parameter_scale
    box_scale = float(prob.phi_scale(ev, 1.0 / kappa))
    norm = box_scale if box_scale > 0 else 1.0
    Ht = prob.features_tilde / kappa[:p]
    layers = [(w, np.zeros(w.shape[0])) for w in net.weights[k + 1:]]

    # ---- the MILP, layout:
    #   columns  0 .. n-1       d̂ = κ d ∈ [-1, 1]^n (the direction, ordered like θ;
    #                           0 on the blocks of disconnected neurons)
    #            then, per sample i with a tight constraint, per tight activation
    #            whose interval straddles 0: a (= max(dz, 0)) and its binary δ;
    #            per tight residual: an epigraph e_i >= |dr_i|
    #   rows     big-M rows of each ReLU (see _relu_chain), e_i ± dr_i >= 0
    #   objective  ( g_lin · d + Σ_{tight samples} [e_i or σ_i dr_i] ) / φ̄(box),
    #            g_lin = Σ_{samples without a tight constraint} σ_i ∇r_i
    model = _Model()
    # the block of a disconnected neuron never changes the loss (its activations reach the
    # output only through zero weights): its direction is fixed at 0, exactly as good
    movable = np.repeat(~prob.disconnected_neurons, p).astype(float)
    d_idx = model.add_vars(-movable, movable)
    free = ~sample_tight
    U = prob.residual_coefficients(sides)
    g_lin = (((U * sigma[:, None])[free]).T @ Ht[free]).ravel()  # gradient in d̂
    model.add_cost((d_idx, g_lin, 0.0), 1.0 / norm)
    for i in np.flatnonzero(sample_tight):
        h = Ht[i]
        if prob.n_activation_layers:
            z = [(d_idx[j * p:(j + 1) * p], h.copy(), 0.0) for j in range(m)]
            bound = np.full(m, np.abs(h).sum())
            modes = [np.where(T[i], "relu", np.where(D[i], "on", "off"))
                     for T, D in zip(act_tight, on_masks)]
            dr, lo, hi = _relu_chain(model, z, -bound, bound, modes, layers,
                                     output_sign=None if res_tight[i] else sigma[i])
        else:
            dr = (d_idx, h.copy(), 0.0)
            hi = float(np.abs(h).sum())
            lo = -hi
        if res_tight[i]:
            e = int(model.add_vars(0.0, max(abs(lo), abs(hi)), cost=1.0 / norm)[0])
            ev_ = (np.array([e]), np.array([1.0]), 0.0)
            model.add_row(_combine([(1.0, ev_), (-1.0, dr)]), 0.0, np.inf)
            model.add_row(_combine([(1.0, ev_), (1.0, dr)]), 0.0, np.inf)
        else:
            model.add_cost(dr, sigma[i] / norm)

    cost, A, rlo, rhi, clo, chi, integer = model.arrays()
    options = {"mip_rel_gap": 0.0, "mip_abs_gap": 0.1 * tolerances.MILP_PHI_RTOL}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    raw = _solve(cost, A, rlo, rhi, clo, chi, integer=integer, offset=model.offset,
                 options=options)
    status = _map_status(raw.model_status)
    if status in (OracleStatus.FAILED, OracleStatus.INFEASIBLE, OracleStatus.UNBOUNDED):
        raise OracleError(f"the local-minimum MILP ended with HiGHS model status "
                          f"{raw.model_status} (d = 0 is always feasible)")
    opt = raw.objective * norm if raw.x is not None else float("nan")
    bound = raw.mip_dual_bound * norm
    tol = tolerances.MILP_PHI_RTOL * norm
    common = dict(
        method="milp", theta=ev.theta, degenerate=bool(vc.degenerate), strict=None,
        basis=tuple(int(c) for c in ev.tight_ids), tight=tuple(int(c) for c in ev.tight_ids),
        min_phi=opt, milp_bound=bound,
    )
    if raw.x is not None:
        d = raw.x[:n] / kappa
        if np.any(d != 0.0) and prob.is_descent_direction(ev, d):
            phi_d = prob.phi(ev, d)
            return LocalMinCertificate(
                status=LocalMinStatus.DESCENT, descent=d,
                message=f"not a local minimum: the MILP minimiser has phi = {phi_d:.6g} "
                f"(forward mode), MILP optimum {opt:.6g}",
                **common,
            )
    if status is OracleStatus.OPTIMAL and bound >= -tol:
        return LocalMinCertificate(
            status=LocalMinStatus.LOCAL_MIN, descent=None,
            message=f"local minimum (complete MILP test: min phi >= {bound:.3g} over "
            f"||d||_inf <= 1, tolerance {tol:.3g}"
            + (", degenerate point)" if vc.degenerate or not vc.is_vertex else ")"),
            **common,
        )
    why = ("time limit reached without a proof" if status is OracleStatus.TIME_LIMIT
           else f"the MILP optimum {opt:.6g} is negative but forward mode does not "
           f"confirm its minimiser as a descent direction")
    return LocalMinCertificate(
        status=LocalMinStatus.INCONCLUSIVE, descent=None,
        message=f"inconclusive: {why} (bound {bound:.6g})", **common,
    )


# ============================================================== global minimum
def global_min(prob: LayerwiseL1Problem, box: float, time_limit: float | None = None) -> GlobalMinResult:
    r"""Global minimum of the loss over :math:`\|\theta\|_\infty \le B` by MILP (tiny instances only).

    .. math::

        \min_{\|\theta\|_\infty \le B} \sum_i |f_\theta(x_i) - y_i|

    Every activation of layers ``k..L-1`` is a variable :math:`a = \max(z, 0)`
    with a binary and big-M bounds from interval propagation of the
    pre-activation over the box (no binary where the interval decides the
    sign); every residual has an epigraph variable.  For the output layer
    (``k = L``) this is the LP of LAD regression (no binaries).

    The number of binaries grows like ``N`` times the widths of layers
    ``k..L-1`` and the big-M relaxation weakens as ``B`` grows: meant for exact
    small-scale studies (a few dozen samples, a handful of neurons).

    Parameters
    ----------
    prob : LayerwiseL1Problem
    box : float
        ``B > 0``.
    time_limit : float, optional
        Seconds for HiGHS; when reached the best point found is returned with
        status ``TIME_LIMIT`` and a proven lower bound.

    Returns
    -------
    GlobalMinResult

    Raises
    ------
    ValueError
        ``box`` not a positive finite number.
    OracleError
        HiGHS refused the model or failed.

    Notes
    -----
    The reported loss is ``prob.loss(theta)`` of the solver's point, not its
    objective; ``bound`` is the solver's dual bound (HiGHS branch and bound [2]_).

    References
    ----------
    .. [1] P. Hinz and S. van de Geer, *Deep ReLU Programming*, arXiv 2011.14895.
    .. [2] Q. Huangfu and J. A. J. Hall, Math. Prog. Comp. 10 (2018) 119–142.
    """
    _check_problem(prob)
    time_limit = check_time_limit("time_limit", time_limit)
    try:
        B = float(box)
    except (TypeError, ValueError):
        raise TypeError(f"box must be a number, got {type(box).__name__}") from None
    if not np.isfinite(B) or B <= 0:
        raise ValueError(f"box must be a positive finite number (the bound on ||theta||_inf), got {box!r}")
    n, m, p = prob.n_params, prob.n_neurons, prob.p
    k = prob.layer
    net = prob.base_network
    Ht = prob.features_tilde
    layers = list(zip(net.weights[k + 1:], net.biases[k + 1:]))
    loss_scale = float(np.abs(prob.y).sum())

    # ---- the MILP, layout:
    #   columns  0 .. n-1     θ ∈ [-B, B]^n
    #            per sample, per activation of layers k..L-1 whose interval
    #            straddles 0: a = max(z, 0) and its binary δ
    #            per sample: e_i >= |r_i|  (cost 1)
    #   rows     big-M rows of each ReLU, e_i ± r_i >= 0
    model = _Model()
    t_idx = model.add_vars(-B * np.ones(n), B * np.ones(n))
    for i in range(prob.n_samples):
        h = Ht[i]
        bound = B * np.abs(h).sum()
        z = [(t_idx[j * p:(j + 1) * p], h.copy(), 0.0) for j in range(m)]
        if layers:
            modes = [np.full(w.shape[1], "relu") for w, _ in layers]
            out, lo, hi = _relu_chain(model, z, np.full(m, -bound), np.full(m, bound), modes, layers)
        else:
            out, lo, hi = z[0], -bound, bound
        r = _combine([(1.0, out), (1.0, (np.zeros(0, np.int64), np.zeros(0), -float(prob.y[i])))])
        rmax = max(abs(lo - prob.y[i]), abs(hi - prob.y[i]))
        e = int(model.add_vars(0.0, rmax, cost=1.0)[0])
        ev_ = (np.array([e]), np.array([1.0]), 0.0)
        model.add_row(_combine([(1.0, ev_), (-1.0, r)]), 0.0, np.inf)
        model.add_row(_combine([(1.0, ev_), (1.0, r)]), 0.0, np.inf)
        loss_scale += rmax

    cost, A, rlo, rhi, clo, chi, integer = model.arrays()
    options = {"mip_rel_gap": 0.0,
               "mip_abs_gap": tolerances.LOSS_RTOL * max(float(np.abs(prob.y).sum()), 1.0)}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    solve = _solve if np.any(integer) else _solve_lp  # k = L: the LAD LP
    raw = solve(cost, A, rlo, rhi, clo, chi, integer=integer, options=options)
    status = _map_status(raw.model_status)
    if raw.x is None or status not in (OracleStatus.OPTIMAL, OracleStatus.TIME_LIMIT):
        return GlobalMinResult(
            status=status if status is not OracleStatus.OPTIMAL else OracleStatus.FAILED,
            message=f"no solution: HiGHS model status {raw.model_status}",
            theta=None, loss=float("nan"), box=B, mip_gap=raw.mip_gap, bound=raw.mip_dual_bound,
        )
    theta = np.clip(raw.x[:n], -B, B)
    loss = prob.loss(theta)
    if status is OracleStatus.OPTIMAL:
        msg = f"global minimum over ||theta||_inf <= {B:g}: loss {loss:.12g}"
    else:
        msg = (f"time limit: best loss {loss:.12g}, proven lower bound {raw.mip_dual_bound:.12g} "
               f"(gap {raw.mip_gap:.3g})")
    return GlobalMinResult(status=status, message=msg, theta=theta, loss=loss, box=B,
                           mip_gap=raw.mip_gap, bound=raw.mip_dual_bound)
