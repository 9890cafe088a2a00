"""Result objects shared by the oracle and the walker.

Solver outcomes are statuses with a message a person can read; bad input
raises.  Every result carries what is needed to re-check it (θ, the basis).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

__all__ = ["WalkStatus", "LocalMinStatus", "LocalMinCertificate", "Trajectory", "WalkResult", "EntryKind"]


class WalkStatus(str, enum.Enum):
    """How a walk ended."""

    LOCAL_MIN = "local_min"
    MAX_PIVOTS = "max_pivots"
    TIME_LIMIT = "time_limit"
    INTERRUPTED = "interrupted"
    #: the complete test claimed a descent that forward mode did not confirm (never a minimum)
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


class LocalMinStatus(str, enum.Enum):
    """Outcome of a local-minimum test."""

    LOCAL_MIN = "local_min"  # φ ≥ -tol on every direction the test covers: certified
    DESCENT = "descent"  # a direction with φ < 0 was found and confirmed by forward mode
    INCONCLUSIVE = "inconclusive"  # the solver claimed descent that forward mode does not confirm

    def __str__(self) -> str:
        return self.value


class EntryKind(str, enum.Enum):
    """What a trajectory entry is."""

    START = "start"  # the initial point (need not be a vertex)
    APPROACH = "approach"  # a point met while reaching the first vertex
    VERTEX = "vertex"  # the stop vertex of a pivot (or the first vertex reached)
    BREAKPOINT = "breakpoint"  # a vertex crossed inside a long step (record="all")
    DESCENT = "descent"  # the end of a step along a descent direction from the complete test
    PRUNE = "prune"  # a collapsed neuron replaced by a strictly dead one (same loss)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class LocalMinCertificate:
    """The result of a local-minimum test at θ (DESIGN §3).

    Attributes
    ----------
    status : LocalMinStatus
    method : str
        ``"rays"`` (the 2n-edge-ray test, a proof only at a nondegenerate vertex)
        or ``"milp"`` (the complete mixed-integer test).
    theta : ndarray of shape (n,)
    degenerate : bool
        More tight constraints than the vertex rank, or a rank-deficient tight set.
    strict : bool or None
        Rays: φ > tol on every edge ray (the minimiser is locally unique modulo
        the lineality space).  None when the test cannot tell (MILP).
    min_phi : float
        Rays: the smallest φ over the edge rays.  MILP: the optimum of
        ``min φ(d)`` over ``‖d‖_∞ ≤ 1``.
    descent : ndarray of shape (n,) or None
        A direction with φ(θ, d) < 0 (confirmed by forward mode), when not a minimum.
    basis : tuple of int
        The constraint ids whose edge rays were tested (rays), or the tight ids (MILP).
    tight : tuple of int
        Every constraint tight at θ.
    ray_ids, ray_sides, ray_phi : ndarray or None
        Rays only: constraint id, side (±1) and φ of each of the 2n edge rays.
    message : str
    """

    status: LocalMinStatus
    method: str
    theta: np.ndarray
    degenerate: bool
    strict: bool | None
    min_phi: float
    descent: np.ndarray | None
    basis: tuple
    tight: tuple
    message: str
    ray_ids: np.ndarray | None = None
    ray_sides: np.ndarray | None = None
    ray_phi: np.ndarray | None = None
    milp_bound: float | None = None

    @property
    def is_local_min(self) -> bool:
        return self.status is LocalMinStatus.LOCAL_MIN


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The record of a walk, one entry per recorded point, as parallel arrays.

    Attributes
    ----------
    loss : ndarray of shape (T,)
    theta : ndarray of shape (T, n)
    step_length : ndarray of shape (T,)
        Euclidean distance to the previous entry (0 for the first).
    entering, leaving : ndarray of int, shape (T,)
        Constraint ids that entered / left the basis on the way to this entry
        (-1 when none).
    crossed : ndarray of int, shape (T,)
        Breakpoints crossed between the previous stop and this entry.
    kind : ndarray of str, shape (T,)
        :class:`EntryKind` values.
    pivot : ndarray of int, shape (T,)
        Number of pivots done when the entry was recorded.
    time : ndarray of shape (T,)
        Seconds since the walk started.
    """

    loss: np.ndarray
    theta: np.ndarray
    step_length: np.ndarray
    entering: np.ndarray
    leaving: np.ndarray
    crossed: np.ndarray
    kind: np.ndarray
    pivot: np.ndarray
    time: np.ndarray

    def __len__(self) -> int:
        return int(self.loss.shape[0])

    @classmethod
    def from_rows(cls, rows, n: int) -> "Trajectory":
        """Build from entries ``(loss, theta, step_length, entering, leaving, crossed, kind, pivot, time)``."""
        if not rows:
            empty = np.zeros(0)
            return cls(empty, np.zeros((0, n)), empty, empty.astype(np.int64), empty.astype(np.int64),
                       empty.astype(np.int64), np.zeros(0, dtype="<U10"), empty.astype(np.int64), empty)
        cols = list(zip(*rows))
        return cls(
            loss=np.array(cols[0], dtype=float),
            theta=np.vstack(cols[1]).astype(float),
            step_length=np.array(cols[2], dtype=float),
            entering=np.array(cols[3], dtype=np.int64),
            leaving=np.array(cols[4], dtype=np.int64),
            crossed=np.array(cols[5], dtype=np.int64),
            kind=np.array(cols[6], dtype="<U10"),
            pivot=np.array(cols[7], dtype=np.int64),
            time=np.array(cols[8], dtype=float),
        )

    def rows(self) -> list:
        """The entries as tuples in the order of :meth:`from_rows` (its inverse)."""
        return [
            (float(self.loss[i]), np.array(self.theta[i], dtype=float), float(self.step_length[i]),
             int(self.entering[i]), int(self.leaving[i]), int(self.crossed[i]), str(self.kind[i]),
             int(self.pivot[i]), float(self.time[i]))
            for i in range(len(self))
        ]

    def vertices(self) -> "Trajectory":
        """The entries that are vertices (stop vertices and crossed breakpoints)."""
        keep = np.isin(self.kind, [EntryKind.VERTEX.value, EntryKind.BREAKPOINT.value])
        return self.select(keep)

    def select(self, mask) -> "Trajectory":
        return Trajectory(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})

    def as_arrays(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class WalkResult:
    """The end of a Deep ReLU Simplex walk.

    Attributes
    ----------
    status : WalkStatus
    message : str
        E.g. ``"local minimum after 212 pivots (strict, nondegenerate)"``.
    theta : ndarray of shape (n,)
    loss : float
    initial_loss : float
    n_pivots : int
    n_breakpoints : int
        Breakpoints crossed inside long steps, over the whole walk.
    basis : tuple of int
        The constraint ids of the final vertex (empty if no vertex was reached).
    trajectory : Trajectory
    certificate : LocalMinCertificate or None
        The local-minimum test that ended the walk (None unless status is local_min).
    elapsed : float
        Wall-clock seconds.
    """

    status: WalkStatus
    message: str
    theta: np.ndarray
    loss: float
    initial_loss: float
    n_pivots: int
    n_breakpoints: int
    basis: tuple
    trajectory: Trajectory
    certificate: LocalMinCertificate | None
    elapsed: float
    extra: dict = field(default_factory=dict)

    def raise_if_interrupted(self) -> "WalkResult":
        """This result, or KeyboardInterrupt when Ctrl-C ended the walk (status ``interrupted``).

        The walker catches Ctrl-C and returns what it reached; a caller that
        runs many walks (a study, a benchmark, a loop over fits) calls this so
        that Ctrl-C stops it too instead of going on with the next walk.
        """
        if self.status is WalkStatus.INTERRUPTED:
            raise KeyboardInterrupt
        return self
