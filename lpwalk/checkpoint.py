"""Checkpoints of a walk: continue a stopped or killed walk to the result it would have had.

A checkpoint is taken at a *pivot boundary* (the top of the walker's pivot
loop, where no basis update is half done) and holds everything the loop reads:
θ, the basis and the side convention, ``J`` and ``J^{-1}`` as the rank-one
updates left them, the pinned flat directions, the counters, and the state
of the random generator.  :func:`lpwalk.walk` called with ``resume=`` restores
it exactly, so the continued walk makes the same decisions in the same
floating-point arithmetic and ends with the same θ, basis, pivots and
trajectory as the walk that was never stopped.

On disk (:class:`CheckpointWriter`, :func:`load_checkpoint`) a checkpoint is
a folder ``checkpoint/`` inside a walk's output folder:

``problem.npz``
    The problem (:func:`lpwalk.certificate.save_problem`), written once.
``run.json``
    What the command line needs to finish the run (command, instance,
    settings), written once.
``trajectory-000001.npz``, ``trajectory-000002.npz``, ...
    The trajectory in chunks: each holds the entries recorded since the
    previous checkpoint, so writing a checkpoint costs the new entries only.
``state.npz``
    The state at the boundary, with the number of chunks and entries that
    belong to it.  Replaced atomically after its chunk is on disk: a process
    killed at any moment leaves the previous complete checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._io import atomic_write_json, atomic_write_npz, read_npz
from .results import Trajectory, WalkStatus

__all__ = [
    "WalkState",
    "WalkCheckpoint",
    "CheckpointWriter",
    "LoadedCheckpoint",
    "load_checkpoint",
    "CHECKPOINT_FOLDER",
]

#: name of the checkpoint folder inside a walk's output folder
CHECKPOINT_FOLDER = "checkpoint"
_FORMAT = "lpwalk-checkpoint"
_VERSION = 1
_STATE_ARRAYS = ("theta", "sides", "basis", "J", "Jinv", "pins", "pin_origin", "versions", "rejected")
_TRAJECTORY_FIELDS = tuple(Trajectory.__dataclass_fields__)


@dataclass(frozen=True, eq=False)
class WalkState:
    """The walker's state at a pivot boundary (see the module docstring).

    Attributes
    ----------
    theta : ndarray (n,)
    sides : ndarray of int (n_constraints,)
        The side convention of every constraint.
    basis : ndarray of int (n - f,)
        Basic constraint ids, in the order of the rows of ``J``.
    J, Jinv : ndarray (n, n)
        The basis Jacobian (basic gradients, then the pins) and its inverse,
        as the rank-one updates left them.
    updates : int
        Rank-one updates since the last refactorisation.
    pins, pin_origin : ndarray
        The pinned flat directions (f, n) and the point they are pinned at.
    versions : ndarray of int (n_constraints,)
        The event queue's version stamps.
    total_crossed, pivots, zero_streak : int
    rejected : ndarray of int (k, 2)
        ``(constraint id, side)`` rays rejected at this vertex.
    rng_state : dict or None
        ``bit_generator.state`` of the walk's generator (``walk(seed=...)``).
    elapsed : float
        Seconds walked before this checkpoint.
    """

    theta: np.ndarray
    sides: np.ndarray
    basis: np.ndarray
    J: np.ndarray
    Jinv: np.ndarray
    updates: int
    pins: np.ndarray
    pin_origin: np.ndarray
    versions: np.ndarray
    total_crossed: int
    pivots: int
    zero_streak: int
    rejected: np.ndarray
    rng_state: dict | None
    elapsed: float


@dataclass(frozen=True, eq=False)
class WalkCheckpoint:
    """A walk stopped at a pivot boundary: its state, its trajectory so far, and how it was run.

    The trajectory so far is the first ``n_rows`` of ``entries`` (tuples in the
    order of :meth:`lpwalk.results.Trajectory.from_rows`; the walker's own list,
    which only grows, so taking a checkpoint copies no trajectory).  ``settings``
    are the walk's ``pricing``, ``record`` and ``max_zero_pivots``: a walk
    resumed with other settings would not be the same walk, so
    :func:`lpwalk.walk` refuses them.  ``status`` is None for a checkpoint
    taken while walking, or how the walk ended for the last one.
    ``fingerprint`` is :func:`lpwalk.certificate.fingerprint` of the problem.
    """

    state: WalkState
    entries: list
    n_rows: int
    settings: dict
    fingerprint: str
    n_params: int
    n_constraints: int
    status: WalkStatus | None = None
    extra: dict = field(default_factory=dict)

    def trajectory(self, start: int = 0) -> Trajectory:
        """Entries ``start .. n_rows - 1`` of the trajectory so far."""
        return Trajectory.from_rows(self.entries[start : self.n_rows], self.n_params)


# --------------------------------------------------------------------------- disk
class CheckpointWriter:
    """Write checkpoints of one walk into ``folder/checkpoint/``.

    Use as ``walk(prob, on_checkpoint=writer.save, ...)`` after :meth:`start`.
    Each :meth:`save` appends the trajectory entries recorded since the last
    one as a new chunk, then atomically replaces ``state.npz``; a chunk left
    by a process killed between the two is overwritten by the next save.
    """

    def __init__(self, folder):
        self.folder = Path(folder) / CHECKPOINT_FOLDER
        self.n_chunks = 0
        self.n_rows = 0
        self.saves = 0

    def start(self, prob, run: dict) -> None:
        """Begin a new walk: clear an old checkpoint, write the problem and ``run.json``."""
        from .certificate import save_problem

        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        save_problem(self.folder / "problem.npz", prob)
        atomic_write_json(self.folder / "run.json", run)

    def continue_from(self, loaded: "LoadedCheckpoint") -> None:
        """Continue the checkpoint that ``loaded`` was read from (after :func:`load_checkpoint`)."""
        self.n_chunks = loaded.n_chunks
        self.n_rows = loaded.checkpoint.n_rows

    def save(self, cp: WalkCheckpoint) -> None:
        """Write ``cp``: the new trajectory entries as one chunk, then the state."""
        n_rows = cp.n_rows
        if n_rows < self.n_rows:
            raise ValueError(f"checkpoint with {n_rows} trajectory entries after one with {self.n_rows}")
        chunks = self.n_chunks
        if n_rows > self.n_rows:
            chunks += 1
            atomic_write_npz(self.folder / f"trajectory-{chunks:06d}.npz",
                             **cp.trajectory(self.n_rows).as_arrays())
        s = cp.state
        meta = {
            "format": _FORMAT,
            "version": _VERSION,
            "fingerprint": cp.fingerprint,
            "n_params": int(cp.n_params),
            "n_constraints": int(cp.n_constraints),
            "settings": cp.settings,
            "status": None if cp.status is None else cp.status.value,
            "n_chunks": chunks,
            "n_rows": n_rows,
            "updates": int(s.updates),
            "total_crossed": int(s.total_crossed),
            "pivots": int(s.pivots),
            "zero_streak": int(s.zero_streak),
            "rng_state": s.rng_state,
            "elapsed": float(s.elapsed),
            "extra": cp.extra,
        }
        arrays = {name: getattr(s, name) for name in _STATE_ARRAYS}
        atomic_write_npz(self.folder / "state.npz", meta=np.array(json.dumps(meta)), **arrays)
        self.n_chunks, self.n_rows = chunks, n_rows
        self.saves += 1


@dataclass(frozen=True, eq=False)
class LoadedCheckpoint:
    """What :func:`load_checkpoint` read: the problem, ``run.json``, and the checkpoint."""

    problem: object
    run: dict
    checkpoint: WalkCheckpoint
    n_chunks: int


def load_checkpoint(folder) -> LoadedCheckpoint:
    """Read the checkpoint in ``folder/checkpoint/`` (``folder`` a walk's output folder).

    Raises
    ------
    FileNotFoundError
        No checkpoint in ``folder``.
    ValueError
        A file is unreadable, of another format or version, a chunk is
        missing, or the problem file does not match the state's fingerprint.
    """
    from .certificate import fingerprint, load_problem

    root = Path(folder)
    cdir = root / CHECKPOINT_FOLDER
    if not (cdir / "state.npz").exists():
        if not root.exists():
            raise FileNotFoundError(f"no such folder: {os.fspath(root)!r}")
        raise FileNotFoundError(
            f"no checkpoint in {os.fspath(root)!r} (expected {os.fspath(cdir / 'state.npz')!r}; "
            "it is written by a walk with an output folder once the first vertex is reached)")
    raw = read_npz(cdir / "state.npz")
    where = f"checkpoint {os.fspath(cdir)!r}"
    try:
        meta = json.loads(str(raw.pop("meta")))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{where}: state.npz has no readable metadata ({exc})") from None
    if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
        raise ValueError(f"{where}: not an lpwalk checkpoint of version {_VERSION} "
                         f"(format {meta.get('format')!r}, version {meta.get('version')!r})")
    missing = [name for name in _STATE_ARRAYS if name not in raw]
    if missing:
        raise ValueError(f"{where}: state.npz lacks the arrays {', '.join(missing)}")
    try:
        run = json.loads((cdir / "run.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{where}: run.json is missing") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: run.json is unreadable ({exc})") from None
    prob = load_problem(cdir / "problem.npz")
    if fingerprint(prob) != meta["fingerprint"]:
        raise ValueError(f"{where}: problem.npz does not match the state (fingerprint differs)")

    chunks = []
    for k in range(1, int(meta["n_chunks"]) + 1):
        path = cdir / f"trajectory-{k:06d}.npz"
        if not path.exists():
            raise ValueError(f"{where}: trajectory chunk {path.name} is missing")
        chunks.append(read_npz(path))
    columns = {}
    for name in _TRAJECTORY_FIELDS:
        try:
            columns[name] = np.concatenate([c[name] for c in chunks]) if chunks else None
        except KeyError:
            raise ValueError(f"{where}: a trajectory chunk lacks {name!r}") from None
    if not chunks or columns["loss"].shape[0] != int(meta["n_rows"]):
        raise ValueError(f"{where}: the trajectory chunks do not hold the {meta['n_rows']} entries "
                         "the state names")
    columns["theta"] = columns["theta"].reshape(-1, int(meta["n_params"]))
    state = WalkState(
        theta=raw["theta"], sides=raw["sides"], basis=raw["basis"], J=raw["J"], Jinv=raw["Jinv"],
        updates=int(meta["updates"]), pins=raw["pins"], pin_origin=raw["pin_origin"],
        versions=raw["versions"], total_crossed=int(meta["total_crossed"]), pivots=int(meta["pivots"]),
        zero_streak=int(meta["zero_streak"]), rejected=raw["rejected"].reshape(-1, 2),
        rng_state=meta["rng_state"], elapsed=float(meta["elapsed"]),
    )
    status = None if meta["status"] is None else WalkStatus(meta["status"])
    cp = WalkCheckpoint(state=state, entries=Trajectory(**columns).rows(), n_rows=int(meta["n_rows"]),
                        settings=meta["settings"],
                        fingerprint=meta["fingerprint"], n_params=int(meta["n_params"]),
                        n_constraints=int(meta["n_constraints"]), status=status,
                        extra=meta.get("extra") or {})
    return LoadedCheckpoint(problem=prob, run=run, checkpoint=cp, n_chunks=int(meta["n_chunks"]))
