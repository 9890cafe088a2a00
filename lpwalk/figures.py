"""Figures of a walk (matplotlib, Agg backend, no global state).

The figure is drawn on a :class:`matplotlib.figure.Figure` with an explicit
Agg canvas, so importing this module neither selects a backend for the
process nor needs a display, and it does not touch :mod:`matplotlib.pyplot`.
"""

from __future__ import annotations

import io

import numpy as np

from .results import EntryKind, Trajectory

__all__ = ["pivot_steps", "trajectory_figure", "render_png"]


def pivot_steps(trajectory: Trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stop vertices of a walk and the path length travelled to each.

    Returns
    -------
    pivot : ndarray of int, shape (V,)
        Pivots done at each stop vertex (0 for the first vertex reached).
    loss : ndarray of shape (V,)
    path_length : ndarray of shape (V,)
        Sum of the step lengths of every entry since the previous stop vertex
        (with ``record="all"`` a pivot's long step is split at its breakpoints;
        the sum is the length of the bent path).  For the first vertex: the
        distance travelled from the start.
    """
    kind = np.asarray(trajectory.kind)
    stops = np.flatnonzero(kind == EntryKind.VERTEX.value)
    cum = np.cumsum(np.asarray(trajectory.step_length, dtype=float))
    prev = np.concatenate([[0], stops[:-1]])
    path = cum[stops] - cum[prev] if stops.size else np.zeros(0)
    return (np.asarray(trajectory.pivot)[stops], np.asarray(trajectory.loss)[stops], path)


def trajectory_figure(trajectory: Trajectory, title: str = ""):
    """A two-panel figure: loss against pivot, and path length of each pivot (log scale).

    Parameters
    ----------
    trajectory : Trajectory
    title : str
        Shown above the panels (e.g. the instance and the walk's status).

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached; save it with :func:`render_png`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pivot, loss, path = pivot_steps(trajectory)
    fig = Figure(figsize=(9.0, 3.8), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax_loss, ax_step = fig.subplots(1, 2)

    if pivot.size:
        ax_loss.plot(pivot, loss, "-", color="C0", lw=1.2)
        ax_loss.plot(pivot, loss, ".", color="C0", ms=4, label="stop vertex")
        ax_loss.plot(pivot[-1:], loss[-1:], "o", color="C3", ms=6, label=f"final {loss[-1]:.6g}")
    if len(trajectory):
        # the start need not be a vertex and can lie far above: stated, not drawn
        ax_loss.text(0.02, 0.03, f"loss at start {float(trajectory.loss[0]):.6g}",
                     transform=ax_loss.transAxes, fontsize=8, color="0.35")
    ax_loss.set_xlabel("pivot")
    ax_loss.set_ylabel("loss  Σ|f(x_i) − y_i|")
    ax_loss.set_title("loss at each stop vertex")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(loc="upper right", fontsize=8)

    positive = path > 0
    if np.any(positive):
        ax_step.semilogy(pivot[positive], path[positive], ".", color="C1", ms=4, label="pivot step")
        zero = ~positive
        if np.any(zero):
            floor = float(path[positive].min())
            ax_step.semilogy(pivot[zero], np.full(int(zero.sum()), floor), "x", color="C7", ms=4,
                             label=f"zero-length ({int(zero.sum())}), drawn at the bottom")
        ax_step.legend(loc="upper right", fontsize=8)
    else:
        ax_step.set_yscale("log")
        ax_step.text(0.5, 0.5, "no step of positive length", transform=ax_step.transAxes,
                     ha="center", va="center", color="0.4")
    ax_step.set_xlabel("pivot")
    ax_step.set_ylabel("path length ‖Δθ‖ (log)")
    ax_step.set_title("length of each pivot's step")
    ax_step.grid(True, which="both", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def render_png(fig) -> bytes:
    """The PNG bytes of a figure made by :func:`trajectory_figure`."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
