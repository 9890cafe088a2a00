"""The breakpoint queue of a long step: events in order of time, re-timed lazily.

Along a line ``θ(t) = θ_s + (t - t_s) d`` every non-basic constraint value is
affine, ``c(t) = a_c + w_c t``, until an activation of the same sample changes
side.  A constraint *crosses* at ``t_c = -a_c / w_c`` when it moves against its
side (``side_c * w_c < 0``).  The queue hands out crossings in order of
``(t, id)``.  Residual crossings come out in vectorised runs (all residuals
before the next activation crossing at once), because between activation
crossings nothing changes their times: this is what keeps the
Barrodale–Roberts long step free of Python loops over samples.

When an activation crossing changes the rates of its sample's deeper
constraints, their old entries go stale (a version counter per constraint) and
the new times are pushed on a small heap.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["EventQueue", "crossing_times"]


def crossing_times(a: np.ndarray, w: np.ndarray, sides: np.ndarray, t_now: float,
                   at_zero: np.ndarray | None = None) -> np.ndarray:
    """Time at which each affine value ``a + w t`` crosses zero against its side, or ``inf``.

    A value on side ``s`` crosses when ``s * w < 0``.  A value already at zero
    (``at_zero``: tight within the tolerance of :mod:`lpwalk.tolerances`, or
    rounded past zero) crosses at ``t_now`` exactly, so that simultaneous kinks
    at a degenerate point are taken together and in id order.
    """
    moving = sides * w < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(moving, -a / np.where(moving, w, 1.0), np.inf)
    if at_zero is not None:
        t = np.where(moving & at_zero, t_now, t)
    return np.maximum(t, t_now)


class EventQueue:
    """Pending crossings of one line segment, split into activations and residuals."""

    def __init__(self, ids: np.ndarray, times: np.ndarray, is_residual: np.ndarray, versions: np.ndarray):
        self._versions = versions  # shared, mutated by ``retime``
        order = np.lexsort((ids, times))
        ids, times, is_residual = ids[order], times[order], is_residual[order]
        self._res_ids = ids[is_residual]
        self._res_times = times[is_residual]
        self._res_stamp = versions[self._res_ids].copy()
        self._act_ids = ids[~is_residual]
        self._act_times = times[~is_residual]
        self._act_stamp = versions[self._act_ids].copy()
        self._res_ptr = 0
        self._act_ptr = 0
        self._res_heap: list = []
        self._act_heap: list = []

    # -- re-timing ---------------------------------------------------------
    def retime(self, ids: np.ndarray, times: np.ndarray, is_residual: np.ndarray) -> None:
        """Invalidate the pending entries of ``ids`` and queue their new (finite) times."""
        self._versions[ids] += 1
        for cid, t, res in zip(ids.tolist(), times.tolist(), is_residual.tolist()):
            if t != np.inf:
                heap = self._res_heap if res else self._act_heap
                heapq.heappush(heap, (t, cid, int(self._versions[cid])))

    def _heap_top(self, heap):
        while heap and heap[0][2] != self._versions[heap[0][1]]:
            heapq.heappop(heap)
        return heap[0] if heap else None

    # -- activations -------------------------------------------------------
    def peek_activation(self) -> tuple[float, int]:
        """``(t, id)`` of the next valid activation crossing (``(inf, -1)`` if none)."""
        while self._act_ptr < self._act_ids.shape[0]:
            cid = self._act_ids[self._act_ptr]
            if self._versions[cid] == self._act_stamp[self._act_ptr]:
                break
            self._act_ptr += 1
        best = (np.inf, -1)
        if self._act_ptr < self._act_ids.shape[0]:
            best = (float(self._act_times[self._act_ptr]), int(self._act_ids[self._act_ptr]))
        top = self._heap_top(self._act_heap)
        if top is not None and (top[0], top[1]) < best:
            best = (top[0], top[1])
        return best

    def pop_activation(self, cid: int) -> None:
        """Remove activation ``cid`` (the one :meth:`peek_activation` returned)."""
        self._versions[cid] += 1  # every other entry of cid is now stale too

    # -- residuals ---------------------------------------------------------
    def peek_residual_time(self) -> float:
        """Time of the next valid residual crossing (``inf`` if none), without removing it."""
        while self._res_ptr < self._res_ids.shape[0]:
            if self._versions[self._res_ids[self._res_ptr]] == self._res_stamp[self._res_ptr]:
                break
            self._res_ptr += 1
        best = float(self._res_times[self._res_ptr]) if self._res_ptr < self._res_ids.shape[0] else np.inf
        top = self._heap_top(self._res_heap)
        return min(best, top[0]) if top is not None else best

    def pop_residuals_before(self, t_limit: float) -> tuple[np.ndarray, np.ndarray]:
        """All valid residual crossings with ``t < t_limit``, in ``(t, id)`` order."""
        stop = int(np.searchsorted(self._res_times, t_limit, side="left"))
        ids = self._res_ids[self._res_ptr : stop]
        times = self._res_times[self._res_ptr : stop]
        valid = self._versions[ids] == self._res_stamp[self._res_ptr : stop]
        ids, times = ids[valid], times[valid]
        self._res_ptr = max(self._res_ptr, stop)
        extra = []
        while True:
            top = self._heap_top(self._res_heap)
            if top is None or top[0] >= t_limit:
                break
            extra.append(heapq.heappop(self._res_heap))
        if extra:
            ids = np.concatenate([ids, np.array([e[1] for e in extra], dtype=np.int64)])
            times = np.concatenate([times, np.array([e[0] for e in extra])])
            order = np.lexsort((ids, times))
            ids, times = ids[order], times[order]
        return ids, times
