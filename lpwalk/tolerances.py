r"""Every floating-point tolerance of lpwalk, in one place, relative to the data.

Floating point decides two things: whether a constraint is *tight* (its value
is zero) and whether a directional derivative is *negative*.  Both decisions
compare a computed number with the size of the rounding error it may carry,
which is bounded by the same expression evaluated on absolute values
(DESIGN §7).

Constraint scale
    For a constraint value :math:`c(\theta)` computed by the forward pass, its
    scale :math:`s_c` is that forward pass evaluated with :math:`|W|`,
    :math:`|b|`, :math:`|\tilde h|` and :math:`|y|`, where the trainable layer's
    entries are replaced by their per-column maximum over the layer's neurons.
    The scale is unit-consistent (biases scale with the data, weights do not),
    invariant to rescaling the data, and does not vanish for a single neuron
    that has collapsed to rounding noise.  Each column maximum is floored at
    :attr:`lpwalk.LayerwiseL1Problem.parameter_floor`, the size of a weight that
    moves the output by the size of the outputs (the targets, or the network's
    output at the given weights θ0 when that is larger: with ``y = 0`` the
    targets give no unit), so the scale does not vanish either when the whole
    layer collapses to rounding noise around zero.
    ``c`` is tight when
    :math:`|c| \le \mathrm{TIGHT\_RTOL}\cdot s_c`.

Directional-derivative scale
    For a direction :math:`d`, :math:`\phi(d)` is compared with the forward-mode
    derivative evaluated on absolute values, :math:`\bar\phi(d)`.  ``d`` is a
    descent direction when :math:`\phi(d) < -\mathrm{PHI\_RTOL}\cdot\bar\phi(d)`.
    A zero ``φ`` is a flat direction, not a descent: local minima with flat
    edge rays are common (DESIGN §7).

Rank
    A singular value is zero when it is at most ``RANK_RTOL`` times the largest
    one of the same matrix.

Exact verification (rational arithmetic, :mod:`lpwalk.certificate`) is the
backstop that says whether a float decision was right.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "TIGHT_RTOL",
    "PHI_RTOL",
    "RANK_RTOL",
    "FOLD_RTOL",
    "LOSS_RTOL",
    "PROJECTED_GRADIENT_RTOL",
    "COLLAPSE_SCREEN_RTOL",
    "is_tight",
    "is_descent",
    "numerical_rank",
    "loss_tolerance",
    "ORACLE_FEAS_RTOL",
    "ORACLE_OBJ_RTOL",
    "MILP_PHI_RTOL",
    "SOLVER_FEAS_TOL",
    "SOLVER_DROP_VALUE",
    "MAX_MAGNITUDE",
]

#: A constraint is tight when ``|c| <= TIGHT_RTOL * scale``.
TIGHT_RTOL: float = 1e-9
#: A direction is a descent direction when ``phi < -PHI_RTOL * phi_scale``.
PHI_RTOL: float = 1e-9
#: Singular values below ``RANK_RTOL * sigma_max`` count as zero.
RANK_RTOL: float = 1e-10
#: A Sherman–Morrison denominator ``1 + g^T J^{-1} a`` at most ``FOLD_RTOL`` times its scale
#: is a fold of the path (DESIGN §4.3), or a singular basis update.
FOLD_RTOL: float = 1e-10
#: While reaching a vertex, a projected gradient shorter than this times the
#: gradient's absolute scale is rounding of the projection: the direction is flat.
PROJECTED_GRADIENT_RTOL: float = 1e-7
#: A crossing of trainable neuron ``j`` can be a collapse (all its activations zero) only
#: when the part of ``kappa * theta_j`` off ``ker H~`` is at most this times the size of the
#: step and of ``theta_j``: a cheap screen, loose on purpose, before the exact ``O(N)`` check
#: (:meth:`lpwalk.walker._Walk._collapses`).  It decides nothing by itself.
COLLAPSE_SCREEN_RTOL: float = 1e-6
#: Loss values closer than ``LOSS_RTOL * loss_scale`` are equal (used by checks
#: of monotonicity and of agreement between solvers).
LOSS_RTOL: float = 1e-9

# --------------------------------------------------------------------- oracle
# The oracle (:mod:`lpwalk.oracle`) re-checks every answer of the LP/MIP solver
# itself.  Its checks are looser than the solver's own tolerances, so that a
# correct answer is never rejected for rounding, and tight enough that a wrong
# one (a dropped matrix entry, a wrong basis) is caught.

#: A point is in the closure of a region when every constraint on the wrong
#: side is at most ``ORACLE_FEAS_RTOL * scale`` away from zero (the constraint
#: scale of the module docstring, evaluated at the point).
ORACLE_FEAS_RTOL: float = 1e-7
#: Two LP objective values ``u, v`` agree when ``|u - v| <= ORACLE_OBJ_RTOL * s``
#: with ``s`` the objective evaluated on absolute values.
ORACLE_OBJ_RTOL: float = 1e-7
#: The complete local-minimum test (MILP) certifies a minimum when its lower
#: bound on ``min phi(d), ||d||_inf <= 1`` is at least ``-MILP_PHI_RTOL`` times
#: the phi scale of the box (forward mode on absolute values with ``|d| = 1``).
MILP_PHI_RTOL: float = 1e-7
#: Primal and integrality feasibility tolerance asked from HiGHS, on rows scaled
#: to a largest entry of 1.
SOLVER_FEAS_TOL: float = 1e-9
#: Entries of a row scaled to a largest entry of 1 that are at most this in
#: absolute value are set to zero before the model is passed to HiGHS (HiGHS
#: would drop them itself, option ``small_matrix_value``, with a warning).
SOLVER_DROP_VALUE: float = 1e-9

#: The largest data-sized value a problem may hold: the features, the targets
#: and the forward pass on absolute values at the given weights.  The
#: numerics square values of this size (Euclidean norms of steps and rows),
#: and squares overflow beyond about 1.3e154; 1e150 leaves room for sums over
#: N samples and n parameters.  Nothing is lost by refusing larger data: the
#: walk and its certificates are invariant to rescaling the data (DESIGN §7),
#: and data as small as 1e-300 are handled (tested).
MAX_MAGNITUDE: float = 1e150


def is_tight(values: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Boolean mask of the values that are zero up to rounding: ``|v| <= TIGHT_RTOL * s``."""
    return np.abs(values) <= TIGHT_RTOL * scales


def is_descent(phi: np.ndarray | float, phi_scale: np.ndarray | float) -> np.ndarray:
    """Boolean mask of the directional derivatives that are negative beyond rounding."""
    return np.asarray(phi) < -PHI_RTOL * np.asarray(phi_scale)


def numerical_rank(matrix: np.ndarray, reference: float | None = None) -> int:
    """Rank of ``matrix``: the number of singular values above ``RANK_RTOL * sigma_max``.

    ``reference`` replaces ``sigma_max`` when the matrix is a projection of
    another one (rows with the flat directions taken out): rows the projection
    leaves at rounding level are then not counted, even when all are.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.size == 0:
        return 0
    sv = np.linalg.svd(matrix, compute_uv=False)
    top = sv[0] if reference is None else float(reference)
    if top == 0.0:
        return 0
    return int(np.count_nonzero(sv > RANK_RTOL * top))


def loss_tolerance(loss_scale: float) -> float:
    """Absolute tolerance for comparing two loss values whose scale is ``loss_scale``."""
    return LOSS_RTOL * float(loss_scale)
