"""File input and output: atomic writes (temporary name, then rename) and checked reads."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_npz", "atomic_write_json", "read_npz"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash never leaves a truncated file.

    The bytes go to a temporary file in the same folder, are flushed to disk, and
    the temporary file is renamed over ``path`` (an atomic operation on POSIX).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{os.fspath(path)!r} is a folder, expected a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def atomic_write_npz(path, **arrays) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def read_npz(path) -> dict:
    """Read every array of an ``.npz`` file into a dict (no pickled objects).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is not a readable ``.npz`` archive.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {os.fspath(path)!r}")
    if path.is_dir():
        raise ValueError(f"{os.fspath(path)!r} is a folder, expected an .npz file")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: np.array(data[key]) for key in data.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValueError(f"could not read {os.fspath(path)!r} as an .npz file: {exc}") from None
