r"""The Deep ReLU Simplex walk (DESIGN §4): vertex to vertex, never uphill, to a certified local minimum.

The walk reads top to bottom in phases:

1. **checks** of the arguments;
2. **start**: from θ0, reach a vertex without increasing the loss
   (:meth:`_Walk.reach_vertex`);
3. **pivot loop**: price the 2n edge rays (:meth:`_Walk.price`), move along
   the chosen one with a Barrodale–Roberts long step across region boundaries
   (:meth:`_Walk.line_search`), update the basis by rank-one formulas;
4. **termination**: the 2n-ray test at a nondegenerate vertex, re-checked by
   forward mode; the complete test (:func:`lpwalk.oracle.certify_local_min`,
   MILP) at a degenerate one, whose descent direction, if any, the walk follows.

Basis and Jacobian
    The basis holds ``n - dim Λ`` constraint ids; ``J`` stacks their gradients
    (in the side convention ``sides``) and the orthonormal rows of the
    lineality space Λ (*pins*, fixed throughout).  ``J^{-1}`` is kept by
    rank-one updates (row replacement at a pivot, ``J + a ∇c^T`` at a bend or at
    a ray that flips a basic activation) and refactorised every
    ``REFACTOR_EVERY`` pivots.

Pricing (DESIGN §3)
    With :math:`g` the loss gradient over non-basic residuals and
    :math:`\pi = J^{-T} g`, the edge ray moving basic constraint ``q`` (row ``r``)
    to its convention side :math:`c_q` has :math:`\varphi = c_q \pi_r` (plus 1
    for a residual), and the ray to the other side has
    :math:`\varphi = -c_q(\pi_r - \pi^T\delta) + \beta`, where
    :math:`\delta_b = -c_q\,\partial c_b/\partial a_q` collects how the rows of
    the basic constraints below ``q`` change when ``q`` flips and
    :math:`\beta` the same for ``q``'s own residual.  For LAD this reduces to
    Barrodale–Roberts: optimal iff :math:`|\pi_r| \le 1`.

Long step (Barrodale & Roberts 1973, across regions)
    The loss along the ray is piecewise linear.  Residual crossings raise the
    slope by :math:`2|\dot r|`; an activation crossing changes its sample's
    deeper rates, and *bends* the path when a basic constraint depends on it:
    :math:`J' = J + a\nabla c^T`, :math:`d' = s\,J'^{-1}e_r`; a denominator
    :math:`1 + \nabla c^T J^{-1} a \le 0` is a *fold* and the step stops there.
    The step stops at the first breakpoint after which the slope is
    :math:`\ge 0`; that constraint enters the basis and ``q`` leaves.

    Simultaneous crossings (ties: duplicated samples, integer data) are taken
    as a group; the slope past the whole group decides.  A step that stops at
    a group keeps the sides of the region it came from, so that the entering
    constraint's row (which a member of the group may bend) is the one it
    moved with, at a nonzero rate along the ray: the new basis is nonsingular.

    The basis Jacobian ``J`` is always that of the region of ``sides``: the
    Newton step that puts the basic constraints back on zero
    (:meth:`_Walk.refine`) is refused when it would carry the point across an
    activation that bends a basic row, and a side change of such an
    activation rebuilds ``J``.

Degeneracy (DESIGN §4.5)
    Zero-length pivots switch pricing to Bland's rule on (id, side) until a
    step of positive length; more than ``max_zero_pivots`` of them in a row, or
    a degenerate vertex without a descent ray, hand the point to the complete
    test.  The walk never reports a local minimum the complete test refutes.

Flat directions
    Vertices are taken modulo the flat space at θ
    (:meth:`lpwalk.LayerwiseL1Problem.flat_basis`): the lineality space and the
    blocks of strictly dead and of disconnected neurons, pinned in ``J``; a
    tight constraint whose gradient lies in them never enters the basis
    (:meth:`_Walk._independent_subset`).  A neuron that collapses
    (all N of its activations tight at once) is replaced by a strictly dead
    one with the same loss and frozen (:meth:`_Walk.prune_collapsed`).

References
----------
I. Barrodale and F. D. K. Roberts, *An improved algorithm for discrete l1
linear approximation*, SIAM J. Numer. Anal. 10 (1973).
P. Hinz and S. van de Geer, *Deep ReLU Programming*, arXiv 2011.14895.
"""

from __future__ import annotations

import numbers
import sys
import time
from dataclasses import dataclass

import numpy as np

from . import tolerances
from ._events import EventQueue, crossing_times
from ._validation import check_count, make_rng
from .checkpoint import WalkCheckpoint, WalkState
from .errors import NumericalError
from .problem import LayerwiseL1Problem
from .results import (
    EntryKind,
    LocalMinCertificate,
    LocalMinStatus,
    Trajectory,
    WalkResult,
    WalkStatus,
)

__all__ = ["walk", "PivotInfo", "PRICING_RULES"]

PRICING_RULES = ("steepest", "dantzig", "bland")
RECORD_MODES = ("stops", "all")
#: pivots between two refactorisations of the basis Jacobian
REFACTOR_EVERY = 50
#: seed of the fixed generic vector projected onto a flat null space (``walk(seed=None)``)
_FLAT_SEED = 20201130


def approach_step_limit(n_params: int) -> int:
    """Most line searches the approach to a first vertex may take before it is called stuck.

    Each approach step adds a tight constraint independent of the held ones
    and the pins, so ``n`` steps reach a vertex; held constraints are lost
    only when a collapsed neuron is pruned.  Twenty times that, plus a margin
    for tiny problems, is far beyond any approach that makes progress.
    """
    return 20 * n_params + 200


class _OutOfTime(Exception):
    """The time limit passed while reaching a vertex."""


@dataclass(frozen=True)
class PivotInfo:
    """What a walk reports to ``on_pivot`` after each pivot."""

    pivot: int
    loss: float
    theta: np.ndarray
    step_length: float
    entering: int
    leaving: int
    crossed: int
    elapsed: float


@dataclass
class _StepOutcome:
    """The end of one line search."""

    theta: np.ndarray
    t: float
    entering: int  # constraint met at the stop (-1: none)
    crossed: int
    zero_length: bool
    folded: bool = False


class _Recorder:
    """Collects trajectory entries in lists; :meth:`freeze` turns them into a :class:`Trajectory`."""

    def __init__(self, t0: float):
        self.t0 = t0
        self.rows: list = []

    def add(self, theta, loss, kind, entering=-1, leaving=-1, crossed=0, pivot=0):
        prev_theta = self.rows[-1][1] if self.rows else theta
        step = float(np.linalg.norm(theta - prev_theta)) if self.rows else 0.0
        self.rows.append(
            (float(loss), np.array(theta, dtype=float), step, int(entering), int(leaving),
             int(crossed), str(kind), int(pivot), time.perf_counter() - self.t0)
        )

    def freeze(self, n: int, start: int = 0, stop: int | None = None) -> Trajectory:
        return Trajectory.from_rows(self.rows[start:stop], n)


class _Progress:
    """A one-line progress display on stderr, refreshed at most every ``interval`` seconds."""

    def __init__(self, enabled: bool, interval: float = 0.25, stream=None):
        self.enabled = enabled
        self.interval = interval
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.extra = None

    def update(self, pivots: int, loss: float, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        line = f"\rpivots {pivots:>8d}  loss {loss:.10g}"
        if self.extra is not None:
            line += f"  {self.extra}"
        self.stream.write(line + "   ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# ---------------------------------------------------------------------------
# the walk
# ---------------------------------------------------------------------------


class _Walk:
    """State of one walk: the vertex, its basis, the side convention, ``J`` and ``J^{-1}``."""

    def __init__(self, prob: LayerwiseL1Problem, pricing: str, record: str):
        self.prob = prob
        self.pricing = pricing
        self.record_all = record == "all"
        self.n = prob.n_params

        # unit-consistent metric on θ: a weight on feature c is measured by its effect
        # max_i |h̃_ic| θ_jc, so steepest edges, projected gradients and rank decisions
        # do not change when the data are rescaled (DESIGN §7)
        self.kappa = prob.parameter_scale
        self.set_flat(prob.scaled_flat_basis())
        # projector onto the complement of the feature kernel, in κ-scaled coordinates of one neuron
        k_hat = prob.scaled_feature_kernel
        self.row_space_projector = np.eye(prob.p) - k_hat @ k_hat.T
        self.res_off = prob.residual_offset
        self.n_act_layers = prob.n_activation_layers
        self.is_res_id = np.arange(prob.n_constraints) >= self.res_off
        self.id_pos, self.id_sample, self.id_neuron = prob.decompose_ids(np.arange(prob.n_constraints))
        self.versions = np.zeros(prob.n_constraints, dtype=np.int64)
        self.total_crossed = 0
        self.theta = None
        self.ev = None
        self.sides = None
        self.basis = None
        self.basic_mask = None
        self.J = None
        self.Jinv = None
        self.updates = 0

    def set_flat(self, f_hat: np.ndarray) -> None:
        """Pin the flat directions: ``f_hat`` (shape ``(n, f)``) is an orthonormal basis of ``κ F``.

        F is the lineality space and the blocks of flat neurons
        (:meth:`lpwalk.LayerwiseL1Problem.scaled_flat_basis`).  The pin rows
        ``(κ F̂)^T`` make every ray orthogonal to F in the unit-consistent
        metric θ̂ = κθ, so ray norms do not change when the data are rescaled,
        and ``F̂`` itself is the same bit for bit under a power-of-two rescaling.
        """
        if f_hat.shape[1]:
            self.pins = np.ascontiguousarray((f_hat * self.kappa[:, None]).T)  # (f, n)
        else:
            self.pins = np.zeros((0, self.n))
        self.n_basic = self.n - self.pins.shape[0]

    def prune_collapsed(self, theta, ev):
        r"""Replace every collapsed neuron by a strictly dead one with the same loss.

        Neuron ``j`` has *collapsed* when all ``N`` of its activations are tight
        (:math:`\theta_j \in \ker\tilde H`, typically :math:`\theta_j = 0`): every
        one of its hyperplanes passes through the origin of :math:`\theta_j`'s
        space, so the point is a vertex of the most degenerate kind.  The neuron
        outputs zero on every sample, and so does the neuron with weights 0 and
        bias :math:`-\beta < 0`: the network computes the same thing, the loss
        is unchanged, and the neuron is now strictly dead, its block frozen
        (:meth:`lpwalk.LayerwiseL1Problem.flat_basis`).  Needs a trained bias.

        Returns ``(theta, pruned)`` with ``pruned`` the neuron indices.
        """
        prob = self.prob
        if not prob.activation_widths or not prob.train_bias:
            return theta, []
        tight = ev.tight[: prob.offsets[1]].reshape(prob.n_samples, prob.n_neurons)
        collapsed = np.flatnonzero(tight.all(axis=0))
        if collapsed.size == 0:
            return theta, []
        Theta = theta.reshape(prob.n_neurons, prob.p).copy()
        beta = max(float(np.abs(Theta[:, -1]).max()), float(prob.parameter_floor[-1]))
        beta = beta if beta > 0 else 1.0
        Theta[collapsed] = 0.0
        Theta[collapsed, -1] = -beta
        return Theta.ravel(), [int(j) for j in collapsed]

    # -- small helpers -----------------------------------------------------
    def _masks(self, sides):
        return self.prob.activation_masks(sides)

    def rates(self, d: np.ndarray, sides: np.ndarray):
        """Rates ``dc/dt`` of every constraint along ``d`` (pattern ``sides``) and the loss slope's rounding scale.

        The slope scale is the forward mode on absolute values with ``|d|``
        entry by entry, the same as :meth:`lpwalk.LayerwiseL1Problem.phi_scale`,
        so the walk and the oracle agree on what a negative slope is.

        A rate is zero when it is within :data:`lpwalk.tolerances.TIGHT_RTOL` of
        the same tangent computed on absolute values, with every entry of the
        direction replaced by its largest entry in the unit-consistent metric
        (``max |κ d| / κ_c`` for feature column ``c``): rounding noise in the
        parts of ``d`` that mathematically vanish must not look like motion
        (the rule of DESIGN §7 for values, applied to directions).
        """
        prob = self.prob
        masks = self._masks(sides)
        dzs, dr = prob.propagate_tangent(prob.first_layer_tangent(d), masks)
        w = np.concatenate([dz.ravel() for dz in dzs] + [dr])
        col_scale = np.abs(d * self.kappa).max() / self.kappa[: prob.p]
        dz_abs = np.broadcast_to((prob.abs_features_tilde @ col_scale)[:, None], (prob.n_samples, prob.n_neurons))
        dzs_abs, dr_abs = prob.propagate_tangent(dz_abs, masks, abs_weights=True)
        w_abs = np.concatenate([dz.ravel() for dz in dzs_abs] + [dr_abs])
        # a rate within rounding of zero does not move its constraint (no spurious crossings)
        w[tolerances.is_tight(w, w_abs)] = 0.0
        dz_entry = prob.abs_features_tilde @ np.abs(d).reshape(prob.n_neurons, prob.p).T
        _, dr_entry = prob.propagate_tangent(dz_entry, masks, abs_weights=True)
        return w, float(dr_entry.sum())

    def activation_tangents(self, sides, pos, samples, neurons):
        """Tangents of the deeper pre-activations and of the residual w.r.t. post-activations ``a_c``.

        For activations at layer position ``pos`` (one value for all), sample
        ``samples[i]``, neuron ``neurons[i]``: returns ``({s: (K, n_s)}, dr)`` with
        ``s`` the deeper activation positions, computed with the pattern ``sides``.
        """
        prob = self.prob
        masks = self._masks(sides)
        down_w = prob.network().weights[prob.layer + 1 :]
        dz = down_w[pos][:, neurons].T.copy()  # tangent of layer pos+1
        tangents = {}
        for s in range(pos + 1, self.n_act_layers):
            tangents[s] = dz
            dz = (dz * masks[s][samples]) @ down_w[s].T
        return tangents, dz[:, 0]

    def gradient(self, cid: int, sides) -> np.ndarray:
        return self.prob.jacobian_rows(sides, [cid])[0]

    # -- basis bookkeeping -------------------------------------------------
    def refactor(self) -> None:
        """Rebuild ``J`` from the basis and the side convention, and invert it."""
        rows = self.prob.jacobian_rows(self.sides, self.basis)
        self.J = np.vstack([rows, self.pins]) if self.pins.size else rows
        self._invert()

    def _invert(self) -> None:
        """``J^{-1}`` from ``J`` itself; :class:`NumericalError` when ``J`` is singular.

        Singular means numerically singular in the unit-consistent metric
        (:meth:`lpwalk.LayerwiseL1Problem.gradient_rank`, columns times
        ``1/κ``): an inverse computed from a matrix of lower rank has no
        correct digit, and a walk on it would leave the zero set of the basis.
        """
        try:
            Jinv = np.linalg.inv(self.J)
        except np.linalg.LinAlgError:
            raise NumericalError("the basis Jacobian is singular") from None
        if not np.all(np.isfinite(Jinv)):
            raise NumericalError("the basis Jacobian is singular")
        rank = tolerances.numerical_rank(self.J / self.kappa)
        if rank < self.n:
            raise NumericalError(f"the basis Jacobian is singular (rank {rank} of {self.n} in the "
                                 f"unit-consistent metric)")
        self.Jinv = Jinv
        self.updates = 0

    def apply_rank_one(self, a: np.ndarray, g: np.ndarray) -> float:
        r"""``J <- J + a g^T`` and ``J^{-1}`` by Sherman–Morrison; returns the denominator ``1 + g^T J^{-1} a``.

        .. math:: (J + a g^T)^{-1} = J^{-1} - \frac{J^{-1} a\, g^T J^{-1}}{1 + g^T J^{-1} a}

        The denominator is ``det(J + a g^T) / det J``.  When it is zero within
        rounding, ``|1 + g^T J^{-1} a| <= FOLD_RTOL (1 + |g|^T |J^{-1} a|)``
        (:data:`lpwalk.tolerances.FOLD_RTOL`), the formula would divide by
        rounding noise (NaN, or an inverse with no correct digit): ``J^{-1}``
        is refactorised from the updated ``J`` instead, which raises
        :class:`NumericalError` if the updated ``J`` is singular.  Callers that
        can stop before a singular update (a fold of the path, DESIGN §4.3)
        test the same denominator first.
        """
        Ja = self.Jinv @ a
        den = 1.0 + g @ Ja
        self.J += np.outer(a, g)
        if not abs(den) > tolerances.FOLD_RTOL * (1.0 + np.abs(g) @ np.abs(Ja)):
            self._invert()
            return den
        self.Jinv -= np.outer(Ja, g @ self.Jinv) / den
        self.updates += 1
        return den

    def replace_row(self, r: int, g: np.ndarray) -> None:
        """Basis row ``r`` becomes ``g`` (Sherman–Morrison row replacement)."""
        u = g - self.J[r]
        e = np.zeros(self.n)
        e[r] = 1.0
        self.apply_rank_one(e, u)
        self.J[r] = g

    def set_vertex(self, theta, basis, sides) -> None:
        self.theta = theta
        self.pin_origin = np.array(theta, dtype=float)
        self.basis = np.asarray(basis, dtype=np.int64)
        self.basic_mask = np.zeros(self.prob.n_constraints, dtype=bool)
        self.basic_mask[self.basis] = True
        self.sides = sides
        self.refactor()
        self.refine()

    def refine(self) -> None:
        """One Newton step putting the basic constraints back on zero, then re-evaluate.

        The step corrects rounding, with the Jacobian ``J`` of the region of
        ``sides``.  It is taken only when it does not increase the loss and does
        not leave that region's closure across an activation whose side changes
        a basic row (:meth:`bends_basis`): such a step is not rounding (an
        ill-conditioned ``J`` near a degenerate vertex), and past that
        activation ``J`` is not the basis Jacobian any more.
        """
        ev = self.prob.evaluate(self.theta)
        target = np.concatenate([ev.values[self.basis], np.zeros(self.pins.shape[0])])
        if self.pins.size:
            target[self.n_basic :] = self.pins @ (self.theta - self.pin_origin)
        theta = self.theta - self.Jinv @ target
        ev2 = self.prob.evaluate(theta)
        if ev2.loss <= ev.loss + tolerances.loss_tolerance(ev.loss_scale) \
                and not np.any(self._leaves_region(ev2) & ~self._leaves_region(ev)):
            self.theta, ev = theta, ev2
        self.ev = ev
        self.sync_sides()

    def bends_basis(self, ids) -> np.ndarray:
        """Mask of the activations among ``ids`` whose side changes a basic row.

        Activation ``c`` of sample ``i`` at layer position ``l`` changes the
        rows of sample ``i``'s constraints below ``l`` (DESIGN §2): it bends the
        basis when a basic constraint of sample ``i`` lies below it.
        """
        deepest = np.full(self.prob.n_samples, -1, dtype=np.int64)
        np.maximum.at(deepest, self.id_sample[self.basis], self.id_pos[self.basis])
        ids = np.asarray(ids)
        return self.id_pos[ids] < deepest[self.id_sample[ids]]

    def _leaves_region(self, ev) -> np.ndarray:
        """Mask of the non-basic activations that bend the basis and are off their side at ``ev`` (not tight)."""
        off = ~ev.tight & ~self.basic_mask & ((ev.values > 0) != (self.sides > 0))
        off[self.res_off :] = False
        ids = np.flatnonzero(off)
        off[ids[~self.bends_basis(ids)]] = False
        return off

    def sync_sides(self) -> None:
        """Non-tight, non-basic constraints take the side of their sign.

        When that changes the side of an activation that bends the basis
        (:meth:`bends_basis`), ``J`` is rebuilt in the new sides, so that it
        stays the basis Jacobian of the region of ``sides``.
        """
        ev = self.ev
        bent = np.any(self._leaves_region(ev))
        free = ~ev.tight & ~self.basic_mask
        self.sides[free] = np.where(ev.values[free] > 0, 1, -1)
        if bent:
            self.refactor()

    @property
    def nondegenerate(self) -> bool:
        """Exactly the basic constraints are tight: the 2n-ray test is then a proof (DESIGN §3)."""
        return bool(np.array_equal(self.ev.tight, self.basic_mask))

    # -- pricing -------------------------------------------------------------
    def price(self):
        """φ, rays and scales of the 2n edge rays of the current basis.

        Returns a dict with arrays over the ``2 * n_basic`` rays: ``row``,
        ``side``, ``phi``, ``scale``, ``norm``, ``ids`` and the ray matrix
        ``rays`` of shape ``(2 n_basic, n)``.
        """
        prob = self.prob
        nb = self.n_basic
        sides = self.sides
        res_sides = sides[self.res_off :].astype(float)
        nonbasic_res = ~self.basic_mask[self.res_off :]
        U = prob.residual_coefficients(sides)
        g = ((U * (res_sides * nonbasic_res)[:, None]).T @ prob.features_tilde).ravel()
        gbar = ((np.abs(U) * nonbasic_res[:, None]).T @ prob.abs_features_tilde).ravel()
        pi = self.Jinv.T @ g
        pos, samp, neu = prob.decompose_ids(self.basis)
        is_res = pos == self.n_act_layers
        conv = np.where(is_res, 1.0, sides[self.basis].astype(float))
        Gamma, gres = self.sensitivities(pos, samp, neu)
        Delta = -Gamma * conv[None, :]
        beta = np.where(~is_res & nonbasic_res[samp], res_sides[samp] * gres, 0.0)
        piB = pi[:nb]
        one = is_res.astype(float)
        phi_conv = conv * piB + one
        phi_flip = -conv * (piB - piB @ Delta) + beta + one
        JB = self.Jinv[:, :nb]
        R_conv = JB * conv[None, :]
        R_flip = -(JB - JB @ Delta) * conv[None, :] if np.any(Delta) else -R_conv
        rays = np.hstack([R_conv, R_flip]).T  # (2 nb, n)
        phi = np.concatenate([phi_conv, phi_flip])
        scale = np.abs(rays) @ gbar + np.concatenate([one, one])
        return {
            "delta": Delta,
            "row": np.concatenate([np.arange(nb), np.arange(nb)]),
            "side": np.concatenate([conv, -conv]).astype(int),
            "ids": np.concatenate([self.basis, self.basis]),
            "phi": phi,
            "scale": scale,
            "norm": np.linalg.norm(rays * self.kappa, axis=1),
            "rays": rays,
        }

    def sensitivities(self, pos, samp, neu):
        """``Γ[b, q] = ∂c_b/∂a_q`` for basic ``b`` below basic activation ``q`` of the same sample, and ``∂r/∂a_q``."""
        nb = self.n_basic
        Gamma = np.zeros((nb, nb))
        gres = np.zeros(nb)
        T = self.n_act_layers
        if T <= 1 and not np.any(pos < T):
            return Gamma, gres
        for t in np.unique(pos[pos < T]):
            qsel = np.flatnonzero(pos == t)
            tangents, dr = self.activation_tangents(self.sides, int(t), samp[qsel], neu[qsel])
            gres[qsel] = dr
            for bpos in range(int(t) + 1, T + 1):
                bsel = np.flatnonzero(pos == bpos)
                if bsel.size == 0:
                    continue
                same = samp[bsel][:, None] == samp[qsel][None, :]
                if bpos == T:
                    vals = np.broadcast_to(dr[None, :], same.shape)
                else:
                    vals = tangents[bpos][:, neu[bsel]].T
                Gamma[np.ix_(bsel, qsel)] = np.where(same, vals, 0.0)
        return Gamma, gres

    def choose_ray(self, priced, rule: str):
        """Index of the entering ray by ``rule`` among the descent rays, or None."""
        descent = tolerances.is_descent(priced["phi"], priced["scale"])
        if not np.any(descent):
            return None
        idx = np.flatnonzero(descent)
        if rule == "bland":
            keys = np.lexsort((priced["side"][idx], priced["ids"][idx]))
            return int(idx[keys[0]])
        if rule == "dantzig":
            score = priced["phi"][idx]
        else:  # steepest edge
            score = priced["phi"][idx] / np.maximum(priced["norm"][idx], np.finfo(float).tiny)
        keys = np.lexsort((priced["side"][idx], priced["ids"][idx], score))
        return int(idx[keys[0]])

    # -- the long step -----------------------------------------------------
    def line_search(self, theta, d, sides, held, mode, row=-1, side=0, recorder=None, pivot=0,
                    max_crossings=None):
        """Move from ``theta`` along ``d`` while the loss slope stays negative (DESIGN §4.3).

        Parameters
        ----------
        theta : ndarray of shape (n,)
        d : ndarray of shape (n,)
            Direction; in ``"ray"`` mode ``d = side * J^{-1} e_row``, so the
            moving constraint changes at unit rate and ``t`` is its value.
        sides : int8 array
            The pattern; updated in place as constraints are crossed.
        held : bool array
            Constraints kept at zero (the basis, or the tight set while
            reaching a vertex); they are never events.
        mode : {"ray", "approach", "descent"}
            ``"ray"``: an edge ray of basic row ``row`` to side ``side``; bends
            update ``J`` and the step goes on.  ``"approach"``: a bend stops
            the step; a flat direction stops at its first breakpoint.
            ``"descent"``: crossings at ``t = 0`` are taken, then the step
            stops at its first breakpoint of positive length.
        max_crossings : int, optional
            Stop at the breakpoint after this many crossings even if the slope
            is still negative (used to stop short of a tie while reaching a vertex).

        Returns
        -------
        _StepOutcome, or None for a flat direction with no breakpoint ahead.
        """
        prob = self.prob
        ev0 = prob.evaluate(theta)
        values, scales = ev0.values, ev0.scales
        t_seg = t_now = 0.0
        theta_seg = np.array(theta, dtype=float)
        crossed = 0
        moving = self.basis[row] if mode == "ray" else -1
        counted = ~held[self.res_off :]

        def at(t):
            return theta_seg + (t - t_seg) * d

        # sides before the group of simultaneous crossings being taken (None: no group open)
        group = {"sides": None, "rates": None}

        def outcome(t, entering, folded=False):
            # a stop inside a group of simultaneous crossings: the stop point is the group's
            # point, where every member is zero, and the sides are put back to the region the
            # path came from.  The basis Jacobian after the pivot is then that region's, in
            # which the entering constraint moved at a nonzero rate along d: its new row is
            # independent of the rows held at zero (a member that bends the entering row,
            # e.g. an earlier activation of the same sample, must not leave it singular)
            n_back = 0
            if group["sides"] is not None:
                back = sides != group["sides"]
                n_back = int(np.count_nonzero(back))
                sides[back] = group["sides"][back]
            return _StepOutcome(at(t), t, int(entering), crossed - n_back, t == 0.0, folded)

        bent_at = -1  # the activation of the last bend: it enters if the slope past it is not negative
        while True:  # one pass per segment (a bend starts a new one)
            w, slope_scale = self.rates(d, sides)
            w[held] = 0.0
            if moving >= 0:
                w[moving] = float(side)
            slope = float(np.sum(w[self.res_off :][counted] * sides[self.res_off :][counted]))
            if moving >= self.res_off:
                slope += 1.0
            slope_tol = tolerances.PHI_RTOL * (slope_scale + (1.0 if moving >= self.res_off else 0.0))
            flat = slope >= -slope_tol
            if flat and mode == "ray":
                if bent_at >= 0:
                    crossed -= 1  # c stops the step rather than being crossed
                return outcome(t_now, bent_at)
            if bent_at >= 0:
                self._record(recorder, [theta_seg], pivot, mode)
            a = values - w * t_seg  # value(t) = a + w t on this segment
            ids = np.flatnonzero(~held & (sides * w < 0))
            at_zero = tolerances.is_tight(values[ids], scales[ids])
            times = crossing_times(a[ids], w[ids], sides[ids], t_now, at_zero)
            queue = EventQueue(ids, times, self.is_res_id[ids], self.versions)
            # a group of simultaneous crossings (duplicated samples, ties in the data) is taken
            # whole: the slope past the group decides, not the slope past its first member
            tie = None  # (time, first id) of the group being crossed
            group["sides"] = None
            while True:
                t_act, c_act = queue.peek_activation()
                r_ids, r_times = queue.pop_residuals_before(t_act)
                if tie is not None:
                    k = int(np.count_nonzero(r_times <= tie[0] * (1.0 + tolerances.TIGHT_RTOL)))
                    if k:
                        sides[r_ids[:k]] = -sides[r_ids[:k]]
                        slope += float(np.sum(2.0 * np.abs(w[r_ids[:k]])))
                        crossed += k
                        r_ids, r_times = r_ids[k:], r_times[k:]
                    t_next = r_times[0] if r_ids.size else t_act
                    if t_next > tie[0] * (1.0 + tolerances.TIGHT_RTOL):
                        if slope >= -slope_tol:
                            # the group ends where the slope is not negative.  Which member enters
                            # is not decided by their order in time, which is rounding (rescaling
                            # the data reorders them): the lowest id among the members moving at a
                            # nonzero rate in the sides the group started from (whose rows are
                            # then independent of the rows held at zero)
                            members = np.flatnonzero(sides != group["sides"])
                            members = members[group["rates"][members] != 0.0]
                            return outcome(tie[0], int(members.min()) if members.size else tie[1])
                        tie = None
                        group["sides"] = None  # the group is crossed: its sides stand
                if r_ids.size:
                    if mode == "approach" and flat:
                        return outcome(float(r_times[0]), r_ids[0])
                    if mode == "descent":
                        # take every kink at t = 0, stop at the first breakpoint beyond
                        later = np.flatnonzero(r_times > 0.0)
                        stop = int(later[0]) if later.size else -1
                        if stop >= 0 and slope + float(np.sum(2.0 * np.abs(w[r_ids[:stop]]))) >= -slope_tol:
                            return outcome(0.0, -1)  # not a descent once the kinks at t = 0 are taken
                    else:
                        cum = slope + np.cumsum(2.0 * np.abs(w[r_ids]))
                        hit = np.flatnonzero(cum >= -slope_tol)
                        stop = int(hit[0]) if hit.size else -1
                    if max_crossings is not None and (stop < 0 or crossed + stop > max_crossings) \
                            and crossed + r_ids.size > max_crossings:
                        stop = max_crossings - crossed
                    run = r_ids if stop < 0 else r_ids[:stop]
                    sides[run] = -sides[run]
                    self._record(recorder, [at(t) for t in (r_times if stop < 0 else r_times[:stop])], pivot, mode)
                    crossed += run.size
                    slope += float(np.sum(2.0 * np.abs(w[run])))
                    if stop >= 0:
                        return outcome(float(r_times[stop]), r_ids[stop])
                    t_now = float(r_times[-1])
                if c_act < 0:
                    if mode == "approach" and flat:
                        return None
                    if mode == "descent" and t_now > 0.0:
                        return outcome(t_now, -1)
                    raise NumericalError(
                        "no breakpoint ahead on a descent direction: the loss would decrease "
                        "without bound, which a sum of absolute values cannot (numerical breakdown)"
                    )
                # ---- an activation crossing at t_act
                if max_crossings is not None and crossed >= max_crossings:
                    return outcome(t_act, c_act)
                if (mode == "approach" and flat) or (mode == "descent" and t_act > 0.0):
                    if mode == "descent" and slope >= -slope_tol:
                        return outcome(0.0, -1)
                    return outcome(t_act, c_act)
                t_now = t_act
                queue.pop_activation(c_act)
                pos, smp, neu = int(self.id_pos[c_act]), int(self.id_sample[c_act]), int(self.id_neuron[c_act])
                if pos == 0 and self._collapses(neu, a, w, scales, t_act, at(t_act), d):
                    # the neuron's hyperplanes all meet here (θ_j reaches ker H̃): a tie of N
                    # crossings whose order is rounding; stop and let the caller prune it
                    return outcome(t_act, c_act)
                old_side = int(sides[c_act])
                delta_D = -1.0 if old_side > 0 else 1.0  # D_c goes 1 -> 0 or 0 -> 1
                tangents, dr = self.activation_tangents(sides, pos, np.array([smp]), np.array([neu]))
                deeper = self._sample_deeper_ids(pos, smp)
                gamma = self._stack_tangents(tangents, dr, pos)
                dependents = deeper[held[deeper]]
                if dependents.size:
                    if mode != "ray":
                        return outcome(t_act, c_act)
                    # the path bends: J' = J + a ∇c^T (DESIGN §4.3)
                    gc = self.gradient(c_act, sides)
                    avec = np.zeros(self.n)
                    avec[self.row_of[dependents]] = delta_D * gamma[held[deeper]]
                    Ja = self.Jinv @ avec
                    den = 1.0 + gc @ Ja
                    if den <= tolerances.FOLD_RTOL * (1.0 + np.abs(gc) @ np.abs(Ja)):
                        return outcome(t_act, c_act, folded=True)
                    sides[c_act] = -old_side
                    group["sides"] = None  # J now holds this crossing: the sides so far stand
                    self.apply_rank_one(avec, gc)
                    theta_seg, values, t_seg = at(t_act), a + w * t_act, t_act
                    d = side * self.Jinv[:, row]
                    crossed += 1
                    bent_at = c_act
                    break  # new segment: new rates; a non-negative slope stops it at c
                w_c = float(w[c_act])
                new_w = w[deeper] + delta_D * w_c * gamma
                res_id = self.res_off + smp
                slope_after = slope
                if not held[res_id]:
                    slope_after += float(sides[res_id]) * (new_w[-1] - w[res_id])
                if slope_after >= -slope_tol and mode != "descent" and tie is None:
                    t_peek = min(queue.peek_activation()[0], queue.peek_residual_time())
                    if not t_peek <= t_act * (1.0 + tolerances.TIGHT_RTOL):
                        return outcome(t_act, c_act)
                    tie = (t_act, c_act)
                    group["sides"] = sides.copy()
                    group["rates"] = w.copy()
                sides[c_act] = -old_side
                now = a[deeper] + w[deeper] * t_act
                w[deeper] = new_w
                a[deeper] = now - new_w * t_act
                retimed = deeper[~held[deeper]]
                at_zero = tolerances.is_tight(a[retimed] + w[retimed] * t_act, scales[retimed])
                queue.retime(retimed, crossing_times(a[retimed], w[retimed], sides[retimed], t_act, at_zero),
                             self.is_res_id[retimed])
                slope = slope_after
                crossed += 1
                self._record(recorder, [at(t_act)], pivot, mode)

    def _collapses(self, neuron, a, w, scales, t, theta_t, d) -> bool:
        r"""Whether every activation of trainable neuron ``neuron`` is zero at ``t`` (a collapse).

        A collapse needs :math:`\theta_j(t) \in \ker\tilde H`; an ``O(p)`` test of
        that (the part of :math:`\kappa\theta_j` off the kernel is tiny next to
        the step) screens out almost every crossing before the ``O(N)`` check.
        """
        prob = self.prob
        if not prob.train_bias:
            return False
        block = slice(neuron * prob.p, (neuron + 1) * prob.p)
        kappa = self.kappa[block]
        off_kernel = self.row_space_projector @ (kappa * theta_t[block])
        reference = np.linalg.norm(kappa * d[block]) * abs(t) + np.linalg.norm(kappa * theta_t[block])
        if np.linalg.norm(off_kernel) > tolerances.COLLAPSE_SCREEN_RTOL * reference:
            return False
        ids = prob.offsets[0] + np.arange(prob.n_samples) * prob.n_neurons + neuron
        return bool(np.all(tolerances.is_tight(a[ids] + w[ids] * t, scales[ids] + np.abs(w[ids]) * t)))

    def _sample_deeper_ids(self, pos, smp):
        """Ids of sample ``smp``'s constraints below layer position ``pos`` (activations, then the residual)."""
        prob = self.prob
        parts = []
        for s in range(pos + 1, self.n_act_layers):
            width = prob.activation_widths[s]
            start = prob.offsets[s] + smp * width
            parts.append(np.arange(start, start + width))
        parts.append(np.array([self.res_off + smp]))
        return np.concatenate(parts).astype(np.int64)

    def _stack_tangents(self, tangents, dr, pos):
        parts = [tangents[s][0] for s in range(pos + 1, self.n_act_layers)]
        parts.append(dr)
        return np.concatenate(parts)

    def _record(self, recorder, thetas, pivot, mode="ray"):
        """Record crossed breakpoints (``record="all"``): vertices on a ray, plain points otherwise."""
        if recorder is None or not self.record_all:
            return
        kind = EntryKind.BREAKPOINT.value if mode == "ray" else EntryKind.APPROACH.value
        for theta in thetas:
            recorder.add(theta, self.prob.loss(theta), kind, pivot=pivot)

    # -- reaching a vertex (DESIGN §4.1) ----------------------------------------
    def reach_vertex(self, theta, recorder, pivot, rng, deadline=None):
        """From any θ, reach a vertex without increasing the loss; returns ``(theta, basis, sides)``.

        With tight set ``T`` held at zero, move along the projected negative
        loss gradient in the null space of ``J_T`` (any null direction when that
        is zero), through breakpoints while the slope is negative, and add the
        constraint met to ``T``; repeat until the tight gradients and the pins
        span :math:`\\mathbb R^n`.
        """
        prob = self.prob
        ev = prob.evaluate(theta)
        theta, ev = self._prune(theta, ev, recorder, pivot)
        sides = prob.sides(ev)
        held = ev.tight.copy()
        steps, step_limit = 0, approach_step_limit(self.n)
        while True:
            if deadline is not None and time.perf_counter() >= deadline:
                self.theta, self.ev = theta, ev  # keep the point reached so far
                raise _OutOfTime
            ids = np.flatnonzero(held)
            rows = prob.jacobian_rows(sides, ids)
            A = np.vstack([rows, self.pins]) if self.pins.size else rows
            # work in the scaled coordinates θ̂ = κ θ: rows ∇c / κ, gradient g / κ
            if A.shape[0] == 0:
                rank, null = 0, np.eye(self.n)
            else:
                # the null space needs the full V only when there are fewer rows than columns
                _, sv, vt = np.linalg.svd(A / self.kappa, full_matrices=A.shape[0] < self.n)
                rank = int(np.count_nonzero(sv > tolerances.RANK_RTOL * sv[0])) if sv[0] > 0 else 0
                null = vt[rank:].T
            if rank >= self.n:
                break
            U = prob.residual_coefficients(sides)
            free_res = ~held[self.res_off :]
            sigma = sides[self.res_off :].astype(float) * free_res
            g_hat = ((U * sigma[:, None]).T @ prob.features_tilde).ravel() / self.kappa
            gbar_hat = ((np.abs(U) * free_res[:, None]).T @ prob.abs_features_tilde).ravel() / self.kappa
            d_hat = -null @ (null.T @ g_hat)
            # descent only when the projected gradient stands out of the rounding of the
            # projection (DESIGN §7); otherwise any null direction keeps the loss
            flat = not (np.linalg.norm(d_hat) > tolerances.PROJECTED_GRADIENT_RTOL * np.linalg.norm(gbar_hat)
                        and tolerances.is_descent(-(d_hat @ d_hat), gbar_hat @ np.abs(d_hat)))
            if flat:
                # a flat null space: project a fixed vector onto it (the projector, unlike
                # the SVD's basis of the null space, does not depend on rounding)
                # a generic fixed vector (the seed's, or a constant one) so that near-ties in
                # the projector's columns cannot flip the choice under rounding
                generic = (rng if rng is not None else np.random.default_rng(_FLAT_SEED)).normal(size=self.n)
                d_hat = null @ (null.T @ generic)
                if g_hat @ d_hat > 0:
                    d_hat = -d_hat  # flat up to rounding: never the uphill side
            d = d_hat / (np.linalg.norm(d_hat) * self.kappa)
            if steps >= step_limit:
                self.theta, self.ev = theta, ev
                raise NumericalError(
                    f"reaching a vertex: {steps} line searches without reaching rank {self.n} "
                    f"(the tight constraints reached have rank {rank}, |theta| = "
                    f"{np.max(np.abs(theta)):.3g}); the tight set keeps dissolving under rounding")
            steps += 1
            out, ev = self._approach_step(theta, d, sides, held, flat=flat, recorder=recorder, pivot=pivot)
            theta = out.theta
            self.total_crossed += out.crossed
            held[out.entering] = True
            held |= ev.tight
            theta, ev = self._prune(theta, ev, recorder, pivot)
            if not np.array_equal(held & ev.tight, held):
                held &= ev.tight  # the pruned neurons' activations are no longer tight
                sides[:] = prob.sides(ev)
        basis = self._independent_subset(rows, ids)
        return theta, basis, sides

    def _prune(self, theta, ev, recorder, pivot):
        """Prune collapsed neurons (:meth:`prune_collapsed`) and freeze every dead neuron's block."""
        theta, pruned = self.prune_collapsed(theta, ev)
        if pruned:
            ev = self.prob.evaluate(theta)
            if recorder is not None:
                recorder.add(theta, ev.loss, EntryKind.PRUNE.value, pivot=pivot)
        self.set_flat(self.prob.scaled_flat_basis(self.prob.flat_neurons(ev)))
        return theta, ev

    def _approach_step(self, theta, d, sides, held, flat, recorder, pivot):
        """One line search while reaching a vertex, steering clear of ties where it can.

        A tie (several constraints meeting zero at once) makes a degenerate
        vertex; the typical one is a neuron collapsing to θ_j = 0, where all N of
        its activations meet (its hyperplanes all pass through the origin of
        θ_j's space).  Along a flat direction both senses keep the loss: take the
        one whose first breakpoint is not a tie.  Along a descent direction, stop
        at the last breakpoint before a tie when there is one.
        """
        prob = self.prob

        def attempt(direction, limit=None):
            trial_sides = sides.copy()
            out = self.line_search(theta, direction, trial_sides, held, "approach", max_crossings=limit)
            if out is None or out.entering < 0:
                return None
            ev = prob.evaluate(out.theta)
            return out, ev, trial_sides, int(np.count_nonzero(ev.tight & ~held))

        tried = [a for a in [attempt(d)] if a is not None]
        if flat or not tried:  # (the line search may find a direction flat that looked descending)
            tried += [a for a in [attempt(-d)] if a is not None]
        if not tried:
            raise NumericalError("reaching a vertex: no constraint ahead in a direction of the null space")
        best = min(tried, key=lambda a: (a[3] > 1, a[0].t))
        if best[3] > 1 and best[0].crossed > 0 and not flat:
            shorter = attempt(d, best[0].crossed - 1)
            if shorter is not None and shorter[3] <= best[3]:
                best = shorter
        out, ev, trial_sides, _ = best
        sides[:] = trial_sides
        if recorder is not None:
            recorder.add(out.theta, ev.loss, EntryKind.APPROACH.value, entering=out.entering,
                         crossed=out.crossed, pivot=pivot)
        return out, ev

    def _independent_subset(self, rows, ids):
        """``n_basic`` ids of ``ids`` whose gradient rows are independent modulo the pins.

        Pivoted QR on the rows with the pinned directions projected out (in the
        scaled coordinates θ̂ = κθ), lowest ids first on ties: a row that lies
        in the pinned directions (an activation of a disconnected neuron) would
        make ``J`` singular.
        """
        import scipy.linalg

        if ids.size == self.n_basic:  # with the pins they span R^n: independent modulo the pins
            return ids
        scaled = rows / self.kappa
        if self.pins.size:
            f_hat = (self.pins / self.kappa).T  # orthonormal (set_flat)
            scaled = scaled - (scaled @ f_hat) @ f_hat.T
        order = np.argsort(ids, kind="stable")
        _, _, perm = scipy.linalg.qr(scaled[order].T, mode="economic", pivoting=True)
        chosen = np.sort(ids[order][perm[: self.n_basic]])
        return chosen

    # -- termination ------------------------------------------------------------
    def certify_rays(self, priced) -> LocalMinCertificate:
        """The 2n-edge-ray test at a nondegenerate vertex, with φ recomputed by exact forward mode."""
        rays = priced["rays"]
        phi, scale = self.prob._phi_parts(self.ev, rays)
        descent = tolerances.is_descent(phi, scale)
        flat = np.abs(phi) <= tolerances.PHI_RTOL * scale
        norms = np.maximum(np.linalg.norm(rays * self.kappa, axis=1), np.finfo(float).tiny)
        tight = tuple(int(i) for i in self.ev.tight_ids)
        common = dict(
            method="rays", theta=self.theta.copy(), degenerate=False, basis=tuple(int(b) for b in self.basis),
            tight=tight, ray_ids=priced["ids"].copy(), ray_sides=priced["side"].copy(), ray_phi=phi,
            min_phi=float(phi.min()) if phi.size else 0.0,
        )
        if np.any(descent):
            k = int(np.argmin(np.where(descent, phi / norms, np.inf)))
            return LocalMinCertificate(
                status=LocalMinStatus.DESCENT, strict=False, descent=rays[k].copy(),
                message=f"edge ray {self.prob.describe(priced['ids'][k])} side {priced['side'][k]:+d} "
                        f"has phi = {phi[k]:.3g} < 0", **common)
        strict = not np.any(flat) and phi.size > 0  # no edge ray at all: every direction is flat
        return LocalMinCertificate(
            status=LocalMinStatus.LOCAL_MIN, strict=strict, descent=None,
            message=f"phi >= 0 on all {phi.size} edge rays of a nondegenerate vertex "
                    f"({'strict' if strict else 'with flat edge rays'})", **common)

    def complete_test(self, time_limit=None) -> LocalMinCertificate:
        from . import oracle

        return oracle.certify_local_min(self.prob, self.theta, method="milp", time_limit=time_limit)


def _check_walk_arguments(prob, theta0, pricing, max_pivots, time_limit, record):
    if not isinstance(prob, LayerwiseL1Problem):
        raise TypeError(f"prob must be a LayerwiseL1Problem, got {type(prob).__name__}")
    theta = prob.theta0.copy() if theta0 is None else prob.check_point(theta0, "theta0").copy()
    if pricing not in PRICING_RULES:
        raise ValueError(f"pricing must be one of {PRICING_RULES}, got {pricing!r}")
    if record not in RECORD_MODES:
        raise ValueError(f"record must be one of {RECORD_MODES}, got {record!r}")
    if isinstance(max_pivots, bool) or not isinstance(max_pivots, (int, np.integer)) or max_pivots < 0:
        raise ValueError(f"max_pivots must be a non-negative integer, got {max_pivots!r}")
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
            raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    return theta


def walk(
    prob: LayerwiseL1Problem,
    theta0=None,
    pricing: str = "steepest",
    max_pivots: int = 100_000,
    time_limit: float | None = None,
    record: str = "stops",
    progress: bool = False,
    seed=None,
    on_pivot=None,
    max_zero_pivots: int | None = None,
    on_checkpoint=None,
    checkpoint_every: float = 2.0,
    resume: WalkCheckpoint | None = None,
) -> WalkResult:
    r"""Walk from θ0 to a certified local minimum of the layer-wise L1 loss (Deep ReLU Simplex).

    Parameters
    ----------
    prob : LayerwiseL1Problem
    theta0 : ndarray of shape (n,), optional
        Starting point (default: the network's current layer, ``prob.theta0``).
    pricing : {"steepest", "dantzig", "bland"}
        Entering-ray rule: steepest edge (φ(ρ)/‖ρ‖), most negative φ, or the
        descent ray with the smallest (constraint id, side).
    max_pivots : int
        Stop with status ``max_pivots`` after this many pivots.
    time_limit : float, optional
        Stop with status ``time_limit`` after this many seconds.
    record : {"stops", "all"}
        ``"all"`` also records every breakpoint crossed inside long steps.
    progress : bool
        Show pivots and loss on stderr while walking.
    seed : int, optional
        Seeds the choice of a direction in a flat null space while reaching
        the first vertex (default: the first null vector, deterministic).
    on_pivot : callable, optional
        Called with a :class:`PivotInfo` after every pivot.
    max_zero_pivots : int, optional
        Consecutive zero-length pivots before the complete test is asked
        (default ``10 n + 50``).
    on_checkpoint : callable, optional
        Called with a :class:`lpwalk.checkpoint.WalkCheckpoint` at a pivot
        boundary whenever ``checkpoint_every`` seconds have passed since the
        last one, and once more when the walk ends at a boundary (every status
        but a Ctrl-C that arrives in the middle of a pivot).  Taking one copies
        the basis state, not the trajectory.
    checkpoint_every : float
        Seconds between checkpoints (0: at every pivot).
    resume : WalkCheckpoint, optional
        Continue the walk a checkpoint was taken of, on the same problem and
        with the same ``pricing``, ``record`` and ``max_zero_pivots`` (else
        ``ValueError``).  The continued walk ends with the same θ, basis,
        pivots and trajectory as the walk that was never stopped; ``theta0``
        and ``seed`` must not be given (the state holds them).
        ``max_pivots`` counts every pivot since the start, ``time_limit``
        counts from this call.

    Returns
    -------
    WalkResult
        ``status`` is ``local_min`` only with a certificate: the 2n-ray test
        re-checked by forward mode at a nondegenerate vertex, or the complete
        MILP test at a degenerate one.

    Notes
    -----
    Per pivot the work is ``O(N n)`` vectorised arithmetic (rates along the
    ray, the pricing vector) plus ``O(n^2)`` for the rank-one basis updates
    (``O(n^3)`` when basic activations need their flipped rays), no LP solve
    and no dense ``N x n`` matrix.  The loss never increases along the record.
    Ctrl-C ends the walk with status ``interrupted`` and the trajectory so far.
    Checkpoints and ``resume`` (:mod:`lpwalk.checkpoint`) let a walk that was
    stopped, interrupted or killed continue to the result it would have had.

    Examples
    --------
    >>> import numpy as np
    >>> from lpwalk import ReLUNetwork, LayerwiseL1Problem, walk
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 2)); y = np.abs(X[:, 0]) + 0.1 * rng.normal(size=40)
    >>> prob = LayerwiseL1Problem(ReLUNetwork.random([2, 4, 1], seed=1), X, y, layer=0)
    >>> res = walk(prob)
    >>> res.status.value, res.loss <= prob.loss(prob.theta0)
    ('local_min', True)
    """
    theta = _check_walk_arguments(prob, theta0, pricing, max_pivots, time_limit, record)
    max_zero = (10 * prob.n_params + 50) if max_zero_pivots is None \
        else check_count("max_zero_pivots", max_zero_pivots)
    settings = {"pricing": pricing, "record": record, "max_zero_pivots": max_zero}
    if on_checkpoint is not None and not callable(on_checkpoint):
        raise TypeError(f"on_checkpoint must be callable, got {type(on_checkpoint).__name__}")
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, (int, float)) \
            or not checkpoint_every >= 0 or not np.isfinite(checkpoint_every):
        raise ValueError(f"checkpoint_every must be a non-negative number of seconds, got {checkpoint_every!r}")
    fingerprint = None
    if resume is not None:
        fingerprint = _check_resume(prob, resume, settings, theta0, seed)
    elif on_checkpoint is not None:
        from .certificate import fingerprint as problem_fingerprint

        fingerprint = problem_fingerprint(prob)

    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    rng = None if seed is None else make_rng("seed", seed)
    w = _Walk(prob, pricing, record)
    w.row_of = np.full(prob.n_constraints, -1, dtype=np.int64)
    bar = _Progress(progress)
    pivots, zero_streak = 0, 0
    certificate = None
    status = None
    rejected: set = set()
    have_vertex = False
    stopped_during = None  # what was running if a limit or Ctrl-C ends the walk inside the complete test
    if resume is None:
        recorder = _Recorder(t0)
        initial_loss = prob.loss(theta)
        recorder.add(theta, initial_loss, EntryKind.START.value)
    else:
        state = resume.state
        recorder = _Recorder(t0 - state.elapsed)
        recorder.rows = list(resume.entries[: resume.n_rows])
        initial_loss = recorder.rows[0][0]
        rng = _restore(w, state)
        pivots, zero_streak = state.pivots, state.zero_streak
        rejected = {(int(q), int(side)) for q, side in state.rejected}
        have_vertex = True
    last_checkpoint = time.perf_counter()
    # True from the top of the pivot loop until the first change to the basis state:
    # only then is the state one a checkpoint can continue from
    at_boundary = False

    def checkpoint(final_status=None):
        nonlocal last_checkpoint
        on_checkpoint(_snapshot(w, prob, recorder, settings, fingerprint, pivots, zero_streak,
                                rejected, rng, final_status))
        last_checkpoint = time.perf_counter()

    def enter_vertex(theta_new, basis, sides, kind):
        w.set_vertex(theta_new, basis, sides)
        w.row_of[:] = -1
        w.row_of[w.basis] = np.arange(w.basis.size)
        recorder.add(w.theta, w.ev.loss, kind, pivot=pivots)

    try:
        if not have_vertex:
            theta_v, basis, sides = w.reach_vertex(theta, recorder, pivots, rng, deadline)
            enter_vertex(theta_v, basis, sides, EntryKind.VERTEX.value)
            have_vertex = True
        bar.update(pivots, w.ev.loss, force=True)
        while True:
            at_boundary = True
            if on_checkpoint is not None and time.perf_counter() - last_checkpoint >= checkpoint_every:
                checkpoint()
            if pivots >= max_pivots:
                status = WalkStatus.MAX_PIVOTS
                break
            if deadline is not None and time.perf_counter() >= deadline:
                status = WalkStatus.TIME_LIMIT
                break
            priced = w.price()
            for (q, s) in rejected:
                priced["phi"][(priced["ids"] == q) & (priced["side"] == s)] = 0.0
            k = None if zero_streak > max_zero else w.choose_ray(priced, "bland" if zero_streak else pricing)
            if k is None:
                cert = None
                if w.nondegenerate and zero_streak <= max_zero:
                    cert = w.certify_rays(priced)
                    if cert.status is LocalMinStatus.DESCENT:
                        # forward mode sees a descent ray that pricing missed: follow it, once
                        # the ray the certificate names (its steepest descent, in the data's scale)
                        k = int(np.flatnonzero(np.all(priced["rays"] == cert.descent, axis=1))[0])
                        if (int(priced["ids"][k]), int(priced["side"][k])) in rejected:
                            cert, k = None, None
                        else:
                            at_boundary = False
                            w.refactor()
                if cert is None:
                    remaining = None if deadline is None else max(deadline - time.perf_counter(), 1.0)
                    stopped_during = f"the complete MILP test ({len(w.ev.tight_ids)} tight constraints)"
                    saved_extra, bar.extra = bar.extra, f"running {stopped_during}"
                    bar.update(pivots, w.ev.loss, force=True)
                    cert = w.complete_test(time_limit=remaining)
                    bar.extra = saved_extra
                if cert.status is LocalMinStatus.LOCAL_MIN:
                    certificate = cert
                    status = WalkStatus.LOCAL_MIN
                    break
                if cert.status is LocalMinStatus.INCONCLUSIVE or cert.descent is None:
                    timed_out = deadline is not None and time.perf_counter() >= deadline
                    # a complete test cut short by the time limit is the time limit, not a verdict
                    status = WalkStatus.TIME_LIMIT if timed_out else WalkStatus.INCONCLUSIVE
                    certificate = None if timed_out else cert
                    break
                stopped_during = None
                if k is None:
                    at_boundary = False
                    out = w.line_search(w.theta, cert.descent, w.sides.copy(),
                                        np.zeros(prob.n_constraints, dtype=bool), "descent",
                                        recorder=recorder, pivot=pivots)
                    if out is None or out.entering < 0 or not out.t > 0.0:
                        certificate = cert
                        status = WalkStatus.INCONCLUSIVE
                        break
                    w.total_crossed += out.crossed
                    recorder.add(out.theta, prob.loss(out.theta), EntryKind.DESCENT.value,
                                 crossed=out.crossed, pivot=pivots)
                    theta_v, basis, sides = w.reach_vertex(out.theta, recorder, pivots, rng, deadline)
                    enter_vertex(theta_v, basis, sides, EntryKind.VERTEX.value)
                    zero_streak = 0
                    rejected.clear()
                    continue
            at_boundary = False
            row, side = int(priced["row"][k]), int(priced["side"][k])
            q = int(w.basis[row])
            saved_sides = w.sides.copy()
            fresh = w.updates == 0  # J^{-1} was refactorised from the basis, no update since
            n_rows = len(recorder.rows)
            if side != int(w.sides[q]) and q < w.res_off:
                # the ray flips basic activation q: rows below it change by multiples of row q
                delta = np.zeros(w.n)
                delta[: w.n_basic] = priced["delta"][:, row]
                if np.any(delta):
                    w.apply_rank_one(delta, w.J[row].copy())
                w.sides[q] = side
            elif q < w.res_off:
                w.sides[q] = side
            d = side * w.Jinv[:, row]
            out = w.line_search(w.theta, d, w.sides, w.basic_mask, "ray", row=row, side=side,
                                recorder=recorder, pivot=pivots)
            if out.entering < 0:
                rejected.add((q, side))
                w.sides = saved_sides
                w.refactor()
                continue
            if prob.loss(out.theta) > w.ev.loss + tolerances.loss_tolerance(w.ev.loss_scale):
                # the long step never raises the loss (DESIGN §4.4); a stop above the start
                # means d was not the edge ray (J^{-1} without correct digits: the basic
                # constraints moved while the slope took them as held).  Drop the step,
                # refactorise and price again; from a fresh J^{-1} the ray is rejected
                del recorder.rows[n_rows:]
                if fresh:
                    rejected.add((q, side))
                w.sides = saved_sides
                w.refactor()
                continue
            # ---- the pivot: out.entering replaces q in the basis
            e = out.entering
            w.total_crossed += out.crossed
            w.basis[row] = e
            w.basic_mask[q] = False
            w.basic_mask[e] = True
            w.row_of[q] = -1
            w.row_of[e] = row
            if q >= w.res_off:
                w.sides[q] = side
            w.replace_row(row, w.gradient(e, w.sides))
            w.theta = out.theta
            if w.updates >= REFACTOR_EVERY:
                w.refactor()
            w.refine()
            pivots += 1
            zero_streak = zero_streak + 1 if out.zero_length else 0
            rejected.clear()
            recorder.add(w.theta, w.ev.loss, EntryKind.VERTEX.value, entering=e, leaving=q,
                         crossed=out.crossed, pivot=pivots)
            bar.update(pivots, w.ev.loss)
            if on_pivot is not None:
                on_pivot(PivotInfo(pivots, w.ev.loss, w.theta.copy(), recorder.rows[-1][2], e, q,
                                   out.crossed, time.perf_counter() - recorder.t0))
            if w.prune_collapsed(w.theta, w.ev)[1]:
                # the step ended where a neuron collapsed: prune it and reach a vertex again
                theta_v, basis, sides = w.reach_vertex(w.theta, recorder, pivots, rng, deadline)
                enter_vertex(theta_v, basis, sides, EntryKind.VERTEX.value)
                zero_streak = 0
    except KeyboardInterrupt:
        status = WalkStatus.INTERRUPTED
    except _OutOfTime:
        status = WalkStatus.TIME_LIMIT
        have_vertex = False  # stopped on the way to a vertex: the last recorded point stands
    finally:
        bar.update(pivots, w.ev.loss if w.ev is not None else initial_loss, force=True)
        bar.close()

    if on_checkpoint is not None and have_vertex and at_boundary:
        checkpoint(status)
    final_theta = w.theta if have_vertex else np.array(recorder.rows[-1][1])
    final_loss = float(w.ev.loss) if have_vertex else float(recorder.rows[-1][0])
    message = _message(status, pivots, certificate, stopped_during)
    return WalkResult(
        status=status,
        message=message,
        theta=np.array(final_theta),
        loss=final_loss,
        initial_loss=float(initial_loss),
        n_pivots=pivots,
        n_breakpoints=int(w.total_crossed),
        basis=tuple(int(b) for b in w.basis) if have_vertex else (),
        trajectory=recorder.freeze(prob.n_params),
        certificate=certificate,
        elapsed=time.perf_counter() - recorder.t0,
    )


def _check_resume(prob, resume, settings, theta0, seed) -> str:
    """Refuse a checkpoint of another problem or other settings; returns the problem's fingerprint."""
    from .certificate import fingerprint as problem_fingerprint

    if not isinstance(resume, WalkCheckpoint):
        raise TypeError(f"resume must be a WalkCheckpoint, got {type(resume).__name__}")
    if theta0 is not None or seed is not None:
        raise ValueError("resume continues a walk from its checkpoint: do not give theta0 or seed")
    if (resume.n_params, resume.n_constraints) != (prob.n_params, prob.n_constraints):
        raise ValueError(
            f"resume: the checkpoint is of a problem with {resume.n_params} parameters and "
            f"{resume.n_constraints} constraints, this one has {prob.n_params} and {prob.n_constraints}")
    fingerprint = problem_fingerprint(prob)
    if resume.fingerprint != fingerprint:
        raise ValueError("resume: the checkpoint is of another problem (fingerprints differ)")
    for key, value in settings.items():
        if resume.settings.get(key) != value:
            raise ValueError(f"resume: the walk was run with {key}={resume.settings.get(key)!r}; "
                             f"continue it with the same (got {value!r})")
    if resume.n_rows < 1:
        raise ValueError("resume: the checkpoint holds no trajectory")
    return fingerprint


def _snapshot(w, prob, recorder, settings, fingerprint, pivots, zero_streak, rejected, rng,
              status) -> WalkCheckpoint:
    """The state at a pivot boundary (copies of the basis state; the trajectory list is shared)."""
    state = WalkState(
        theta=np.array(w.theta, dtype=float), sides=w.sides.copy(), basis=w.basis.copy(),
        J=w.J.copy(), Jinv=w.Jinv.copy(), updates=int(w.updates), pins=w.pins.copy(),
        pin_origin=w.pin_origin.copy(), versions=w.versions.copy(),
        total_crossed=int(w.total_crossed), pivots=int(pivots), zero_streak=int(zero_streak),
        rejected=np.array(sorted(rejected), dtype=np.int64).reshape(-1, 2),
        rng_state=None if rng is None else rng.bit_generator.state,
        elapsed=time.perf_counter() - recorder.t0,
    )
    return WalkCheckpoint(state=state, entries=recorder.rows, n_rows=len(recorder.rows),
                          settings=dict(settings), fingerprint=fingerprint, n_params=prob.n_params,
                          n_constraints=prob.n_constraints, status=status)


def _restore(w: "_Walk", state: WalkState):
    """Put ``w`` in the state of a checkpoint; returns the random generator (or None)."""
    prob = w.prob
    w.pins = np.array(state.pins, dtype=float).reshape(-1, prob.n_params)
    w.n_basic = w.n - w.pins.shape[0]
    w.theta = np.array(state.theta, dtype=float)
    w.pin_origin = np.array(state.pin_origin, dtype=float)
    w.basis = np.array(state.basis, dtype=np.int64)
    w.basic_mask = np.zeros(prob.n_constraints, dtype=bool)
    w.basic_mask[w.basis] = True
    w.row_of[:] = -1
    w.row_of[w.basis] = np.arange(w.basis.size)
    w.sides = np.array(state.sides)  # the dtype of the walk's own side arrays
    w.J = np.array(state.J, dtype=float)
    w.Jinv = np.array(state.Jinv, dtype=float)
    w.updates = int(state.updates)
    w.versions[:] = state.versions
    w.total_crossed = int(state.total_crossed)
    w.ev = prob.evaluate(w.theta)
    if state.rng_state is None:
        return None
    rng = np.random.default_rng()
    rng.bit_generator.state = state.rng_state
    return rng


def _message(status, pivots, certificate, stopped_during=None) -> str:
    during = f", during {stopped_during}" if stopped_during else ""
    if status is WalkStatus.LOCAL_MIN:
        kind = "degenerate" if certificate.degenerate else "nondegenerate"
        strict = {True: "strict", False: "not strict", None: "strictness unknown"}[certificate.strict]
        return f"local minimum after {pivots} pivots ({strict}, {kind}, {certificate.method} test)"
    if status is WalkStatus.MAX_PIVOTS:
        return f"stopped at the pivot limit ({pivots} pivots)"
    if status is WalkStatus.TIME_LIMIT:
        return f"stopped at the time limit after {pivots} pivots{during}"
    if status is WalkStatus.INTERRUPTED:
        return f"interrupted after {pivots} pivots{during}"
    return f"stopped after {pivots} pivots: the complete test was inconclusive ({certificate.message})"


def line_breakpoints(prob: LayerwiseL1Problem, theta, d, t_max: float):
    r"""Every breakpoint of the loss along the line :math:`\theta + t d`, :math:`-t_{max} \le t \le t_{max}`.

    A breakpoint is a point where a constraint (activation or residual)
    crosses zero: the walker's notion of a breakpoint in a long step (DESIGN
    §4.3), i.e. where the line leaves one region of the arrangement for
    another.  The crossings are found by the walker's own line machinery
    (:meth:`_Walk.rates`, :func:`lpwalk._events.crossing_times`, the event
    queue and the per-sample re-timing after an activation crossing), run on
    each half-line ``t > 0`` along ``d`` and ``-d`` without any stopping rule.
    Constraints already at zero at ``t = 0`` (within the tolerances of
    :mod:`lpwalk.tolerances`) are taken at ``t = 0`` and not reported.

    Parameters
    ----------
    prob : LayerwiseL1Problem
    theta : ndarray of shape (n,)
    d : ndarray of shape (n,)
    t_max : float
        Half-length of the segment, in units of ``d``.

    Returns
    -------
    times : ndarray of shape (K,)
        Sorted parameters ``t`` of the crossings, ``0 < |t| <= t_max``.
    ids : ndarray of int, shape (K,)
        The constraint crossed at each.

    Notes
    -----
    A residual crossing always changes the loss slope (by :math:`2|\dot r|`);
    an activation crossing changes it unless its sample's downstream tangent
    vanishes.  Simultaneous crossings are reported once each.
    """
    if not isinstance(prob, LayerwiseL1Problem):
        raise TypeError(f"prob must be a LayerwiseL1Problem, got {type(prob).__name__}")
    theta = prob.check_point(theta, "theta")
    d = prob.check_theta(d, "d")
    if isinstance(t_max, (bool, np.bool_)) or not isinstance(t_max, numbers.Real):
        raise TypeError(f"t_max must be a number, got {type(t_max).__name__}")
    if not (np.isfinite(t_max) and t_max > 0):
        raise ValueError(f"t_max must be a positive finite number, got {t_max!r}")
    w = _Walk(prob, "steepest", "stops")
    ev = prob.evaluate(theta)
    cap = 64 * prob.n_constraints + 1000  # exact arithmetic needs far fewer: a guard against rounding loops
    all_t, all_ids = [], []
    for sign in (1.0, -1.0):
        sides = prob.sides(ev).copy()
        rate, _ = w.rates(sign * d, sides)
        a = ev.values.copy()  # value(t) = a + rate t (t = 0 is the start of the half-line)
        ids = np.flatnonzero(sides * rate < 0)
        at_zero = tolerances.is_tight(ev.values[ids], ev.scales[ids])
        queue = EventQueue(ids, crossing_times(a[ids], rate[ids], sides[ids], 0.0, at_zero),
                           w.is_res_id[ids], w.versions)
        events = 0
        while True:
            t_act, c_act = queue.peek_activation()
            r_ids, r_times = queue.pop_residuals_before(t_act)
            keep = (r_times > 0.0) & (r_times <= t_max)
            all_t.append(sign * r_times[keep])
            all_ids.append(r_ids[keep])
            sides[r_ids] = -sides[r_ids]
            events += r_ids.size
            if c_act < 0 or t_act > t_max or events > cap:
                break
            queue.pop_activation(c_act)
            events += 1
            if t_act > 0.0:
                all_t.append(np.array([sign * t_act]))
                all_ids.append(np.array([c_act]))
            pos, smp, neu = (int(x[0]) for x in prob.decompose_ids([c_act]))
            old_side = int(sides[c_act])
            delta_D = -1.0 if old_side > 0 else 1.0
            tangents, dr = w.activation_tangents(sides, pos, np.array([smp]), np.array([neu]))
            deeper = w._sample_deeper_ids(pos, smp)
            gamma = w._stack_tangents(tangents, dr, pos)
            sides[c_act] = -old_side
            now = a[deeper] + rate[deeper] * t_act
            rate[deeper] = rate[deeper] + delta_D * float(rate[c_act]) * gamma
            a[deeper] = now - rate[deeper] * t_act
            at_zero = tolerances.is_tight(now, ev.scales[deeper])
            queue.retime(deeper, crossing_times(a[deeper], rate[deeper], sides[deeper], t_act, at_zero),
                         w.is_res_id[deeper])
        if events > cap:
            raise NumericalError("line_breakpoints: too many crossings on one line (rounding loop)")
    times = np.concatenate(all_t) if all_t else np.zeros(0)
    ids = np.concatenate(all_ids).astype(np.int64) if all_ids else np.zeros(0, dtype=np.int64)
    order = np.lexsort((ids, times))
    return times[order], ids[order]
