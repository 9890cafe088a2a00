"""The output folder of a walk: trajectory, networks, problem, certificate, summary, figure.

:func:`write_walk_outputs` writes every file of a finished (or stopped) walk
into one folder, each atomically (:mod:`lpwalk._io`), and returns the summary
that it also stores as ``summary.json``.  :func:`summary_rows` turns that
summary into the table the command line prints.

Files
-----
``trajectory.npz``
    The :class:`~lpwalk.results.Trajectory` arrays: ``loss``, ``theta``
    (shape ``(T, n)``), ``step_length``, ``entering``, ``leaving``,
    ``crossed``, ``kind``, ``pivot``, ``time``.
``trajectory.csv``
    One row per entry: ``index, kind, pivot, loss, step_length, entering,
    leaving, entering_label, leaving_label, crossed, time`` (θ only in the npz;
    labels as ``relu(l=0, i=3, j=1)`` / ``res(i=5)``, empty for id -1).
``start_network.npz``, ``network.npz``
    The network before and after the walk (:meth:`ReLUNetwork.save`).
``problem.npz``
    The problem (network, layer, X, y): :func:`lpwalk.certificate.save_problem`.
``certificate.json``
    Only when the walk ended at a certified local minimum:
    :func:`lpwalk.certificate.from_walk`; re-check it with
    ``lpwalk certify certificate.json --problem problem.npz``.
``figure.png``
    Loss against pivot and step length against pivot (:mod:`lpwalk.figures`).
``summary.json``
    The numbers of the summary table, the status and message, the elapsed
    time, the settings and the versions of lpwalk and its dependencies.
"""

from __future__ import annotations

import csv
import io
import os
import platform
from pathlib import Path

import numpy as np

from ._io import atomic_write_bytes, atomic_write_json, atomic_write_npz, atomic_write_text
from .results import Trajectory, WalkResult, WalkStatus

__all__ = [
    "TRAJECTORY_COLUMNS",
    "trajectory_csv",
    "write_trajectory",
    "write_figure",
    "write_walk_outputs",
    "walk_summary",
    "stop_reason",
    "summary_rows",
    "format_table",
    "versions",
]

#: Columns of ``trajectory.csv``.
TRAJECTORY_COLUMNS = (
    "index", "kind", "pivot", "loss", "step_length", "entering", "leaving",
    "entering_label", "leaving_label", "crossed", "time",
)


# ------------------------------------------------------------------ trajectory
def trajectory_csv(prob, trajectory: Trajectory) -> str:
    """The text of ``trajectory.csv`` (floats written so that they round-trip)."""
    labels: dict = {-1: ""}

    def label(cid: int) -> str:
        if cid not in labels:
            labels[cid] = prob.describe(cid)
        return labels[cid]

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TRAJECTORY_COLUMNS)
    for k in range(len(trajectory)):
        entering = int(trajectory.entering[k])
        leaving = int(trajectory.leaving[k])
        writer.writerow([
            k, str(trajectory.kind[k]), int(trajectory.pivot[k]), repr(float(trajectory.loss[k])),
            repr(float(trajectory.step_length[k])), entering, leaving, label(entering),
            label(leaving), int(trajectory.crossed[k]), f"{float(trajectory.time[k]):.6f}",
        ])
    return buf.getvalue()


def write_trajectory(out_dir, prob, trajectory: Trajectory) -> list[str]:
    """Write ``trajectory.npz`` and ``trajectory.csv`` into ``out_dir``; returns the file names."""
    out_dir = Path(out_dir)
    arrays = trajectory.as_arrays()
    arrays["kind"] = np.asarray(arrays["kind"]).astype(str)  # fixed-width unicode, no pickle
    atomic_write_npz(out_dir / "trajectory.npz", **arrays)
    atomic_write_text(out_dir / "trajectory.csv", trajectory_csv(prob, trajectory))
    return ["trajectory.npz", "trajectory.csv"]


def write_figure(path, trajectory: Trajectory, title: str = "") -> None:
    """Draw the two-panel figure of :func:`lpwalk.figures.trajectory_figure` to a PNG file, atomically."""
    from .figures import render_png, trajectory_figure

    atomic_write_bytes(path, render_png(trajectory_figure(trajectory, title=title)))


# ---------------------------------------------------------------------- summary
_REASONS = {
    WalkStatus.LOCAL_MIN: "certified local minimum",
    WalkStatus.MAX_PIVOTS: "stopped at the requested pivot limit (not a certified minimum)",
    WalkStatus.TIME_LIMIT: "stopped at the requested time limit (not a certified minimum)",
    WalkStatus.INTERRUPTED: "stopped by Ctrl-C; the point reached is kept (not certified)",
    WalkStatus.INCONCLUSIVE: "inconclusive: the complete local test could not decide",
}


def stop_reason(status: WalkStatus) -> str:
    """Why the walk stopped, in words (for the summary)."""
    return _REASONS[WalkStatus(status)]


def versions() -> dict:
    """Versions of Python, lpwalk and its main dependencies (``None`` when not installed)."""
    from importlib import metadata

    from . import __version__

    out = {"lpwalk": __version__, "python": platform.python_version()}
    for name in ("numpy", "scipy", "highspy", "matplotlib", "python-flint"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def walk_summary(prob, result: WalkResult, *, command: str, instance: str,
                 settings: dict | None = None) -> dict:
    """The summary of a walk as a JSON-ready dict (without the ``files`` list)."""
    cert = result.certificate
    certificate = None
    if result.status is WalkStatus.LOCAL_MIN and cert is not None:
        certificate = {
            "method": cert.method,
            "degenerate": bool(cert.degenerate),
            "strict": None if cert.strict is None else bool(cert.strict),
            "min_phi": float(cert.min_phi),
            "message": cert.message,
        }
    N = prob.n_samples
    return {
        "command": command,
        "instance": instance,
        "settings": dict(settings or {}),
        "problem": {
            "sizes": [int(s) for s in prob.base_network.sizes],
            "layer": int(prob.layer),
            "n_samples": int(N),
            "n_params": int(prob.n_params),
            "n_constraints": int(prob.n_constraints),
            "train_bias": bool(prob.train_bias),
        },
        "status": result.status.value,
        "stop_reason": stop_reason(result.status),
        "message": result.message,
        "pivots": int(result.n_pivots),
        "breakpoints": int(result.n_breakpoints),
        "initial_loss": float(result.initial_loss),
        "final_loss": float(result.loss),
        "initial_mean_loss": float(result.initial_loss) / N,
        "final_mean_loss": float(result.loss) / N,
        "elapsed": float(result.elapsed),
        "certificate": certificate,
        "versions": versions(),
    }


def write_walk_outputs(out_dir, prob, result: WalkResult, start_network, *, command: str,
                       instance: str, settings: dict | None = None, title: str | None = None,
                       extra_files: dict | None = None, listed_files=()) -> dict:
    """Write the output folder of a walk; returns the summary (also in ``summary.json``).

    Parameters
    ----------
    out_dir : str or path-like
        Created if missing; files already there are replaced.
    prob : LayerwiseL1Problem
    result : WalkResult
        Any status: a walk stopped by a limit or by Ctrl-C is written too; only
        ``certificate.json`` needs a certified local minimum.
    start_network : ReLUNetwork
        The network the walk started from.
    command, instance : str
        What ran and on what (stored in the summary, shown in the figure's title).
    settings : dict, optional
        Options of the run (stored in the summary).
    title : str, optional
        Figure title (default: ``instance`` and the status).
    extra_files : dict, optional
        ``{file name: callable(path)}`` written first (e.g. the demo's data).
    listed_files : sequence of str
        Files already in the folder that belong to the run (listed first in
        ``files``).

    Returns
    -------
    dict
        :func:`walk_summary` plus ``out`` (the folder), ``files`` (names
        written, in order) and ``certificate_error`` (None, or why
        ``certificate.json`` could not be made for a local minimum).
    """
    from .certificate import from_walk, save_problem

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {os.fspath(out_dir)!r} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[str] = list(listed_files)
    for name, writer in (extra_files or {}).items():
        writer(out_dir / name)
        files.append(name)
    files += write_trajectory(out_dir, prob, result.trajectory)
    start_network.save(out_dir / "start_network.npz")
    files.append("start_network.npz")
    prob.network(result.theta).save(out_dir / "network.npz")
    files.append("network.npz")
    save_problem(out_dir / "problem.npz", prob)
    files.append("problem.npz")

    summary = walk_summary(prob, result, command=command, instance=instance, settings=settings)
    summary["certificate_error"] = None
    stale = out_dir / "certificate.json"
    if result.status is WalkStatus.LOCAL_MIN:
        try:
            cert = from_walk(prob, result)
        except (ValueError, TypeError) as exc:
            summary["certificate_error"] = " ".join(str(exc).split())
        else:
            cert.save(stale)
            files.append("certificate.json")
            summary["certificate"]["file"] = "certificate.json"
    if "certificate.json" not in files and stale.exists():
        stale.unlink()  # a certificate left by an earlier run would not belong to this walk

    if title is None:
        title = f"{instance}\n{result.status.value}: {result.message}"
    write_figure(out_dir / "figure.png", result.trajectory, title=title)
    files.append("figure.png")
    files.append("summary.json")
    summary["out"] = os.fspath(out_dir)
    summary["files"] = files
    atomic_write_json(out_dir / "summary.json", summary)
    return summary


# ------------------------------------------------------------------------ table
def _yes_no(flag) -> str:
    return {True: "yes", False: "no", None: "unknown"}[flag]


def summary_rows(summary: dict) -> list[tuple[str, str]]:
    """The rows ``(key, value)`` of the summary table printed by ``demo`` and ``walk``."""
    p = summary["problem"]
    cert = summary.get("certificate")
    rows = [
        ("instance", summary["instance"]),
        ("layer", f"{p['layer']} ({p['n_params']} parameters, {p['n_constraints']} constraints, "
                  f"N = {p['n_samples']})"),
        ("pivots", f"{summary['pivots']}"),
        ("breakpoints", f"{summary['breakpoints']} crossed"),
        ("initial loss", f"{summary['initial_loss']:.10g} (mean {summary['initial_mean_loss']:.6g})"),
        ("final loss", f"{summary['final_loss']:.10g} (mean {summary['final_mean_loss']:.6g})"),
        ("time", f"{summary['elapsed']:.3g} s"),
        ("status", f"{summary['status']}: {summary['stop_reason']}"),
    ]
    if cert is not None:
        method = {"rays": "rays (2n edge rays at a nondegenerate vertex)",
                  "milp": "milp (complete test at a degenerate vertex)"}.get(cert["method"], cert["method"])
        rows += [
            ("certificate", method),
            ("degenerate", _yes_no(cert["degenerate"])),
            ("strict", _yes_no(cert["strict"]) + (f" (min phi {cert['min_phi']:.3g})"
                                                  if cert["method"] == "rays" else "")),
        ]
        if summary.get("certificate_error"):
            rows.append(("certificate file", f"not written: {summary['certificate_error']}"))
    else:
        rows.append(("certificate", f"none ({summary['message']})"))
    if "out" in summary:
        rows.append(("output", f"{summary['out']}{os.sep} ({', '.join(summary['files'])})"))
    return rows


def format_table(rows) -> str:
    """Two aligned columns separated by at least two spaces (one row per line)."""
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)
