"""Atomic writes: a crash or an interrupt while writing never leaves a truncated file behind.

Every file lpwalk writes goes through :mod:`lpwalk._io` (temporary name in the
same folder, flush and fsync, rename over the target).  These tests break the
write at each step and check that the target holds either its old content or
the complete new content, and that no temporary file is left over; the last
test keeps the rest of the package honest by looking for direct writes.
"""

import ast
import os
from pathlib import Path

import numpy as np
import pytest

import lpwalk
from lpwalk import _io


def _leftovers(folder: Path) -> list:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()], ids=["OSError", "KeyboardInterrupt"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, step, error):
    target = tmp_path / "report.md"
    target.write_text("old content\n")

    def boom(*args, **kwargs):
        raise error

    if step == "write":
        real_fdopen = os.fdopen

        class Breaking:
            def __init__(self, fh):
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

            def write(self, data):
                self.fh.write(data[: len(data) // 2])  # half the bytes reach the temporary file
                raise error

        monkeypatch.setattr(_io.os, "fdopen", lambda fd, mode: Breaking(real_fdopen(fd, mode)))
    elif step == "fsync":
        monkeypatch.setattr(_io.os, "fsync", boom)
    else:
        monkeypatch.setattr(_io.os, "replace", boom)

    with pytest.raises(type(error)):
        _io.atomic_write_text(target, "new content, much longer than the old one\n" * 100)
    assert target.read_text() == "old content\n"
    assert _leftovers(tmp_path) == []


def test_a_failed_first_write_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(_io.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("no space")))
    with pytest.raises(OSError, match="no space"):
        _io.atomic_write_npz(tmp_path / "state.npz", theta=np.arange(5.0))
    assert list(tmp_path.iterdir()) == []


def test_a_complete_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "state.npz"
    _io.atomic_write_npz(target, theta=np.arange(3.0))
    _io.atomic_write_npz(target, theta=np.arange(7.0))
    np.testing.assert_array_equal(_io.read_npz(target)["theta"], np.arange(7.0))
    assert _leftovers(target.parent) == []


def test_written_files_get_the_usual_permissions(tmp_path):
    target = tmp_path / "walk.json"
    _io.atomic_write_json(target, {"a": 1})
    assert target.stat().st_mode & 0o777 == 0o666 & ~_io._UMASK


def test_writing_onto_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is a folder, expected a file name to write"):
        _io.atomic_write_text(tmp_path, "x")


def test_truncated_npz_is_named_not_a_zipfile_traceback(tmp_path):
    target = tmp_path / "state.npz"
    _io.atomic_write_npz(target, theta=np.arange(100.0))
    target.write_bytes(target.read_bytes()[:50])  # what a non-atomic writer could leave
    with pytest.raises(ValueError, match=r"could not read .*state\.npz.* as an \.npz file"):
        _io.read_npz(target)


# Calls that would write a file directly: only lpwalk/_io.py may make them.
_NUMPY_WRITES = {"savez", "savez_compressed", "save", "savetxt"}
_DIRECT_WRITES = {"write_text", "write_bytes", "savefig", "dump"}


def _direct_writes(source: str) -> list:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        on_numpy = isinstance(func, ast.Attribute) and getattr(func.value, "id", None) in {"np", "numpy"}
        if name in _DIRECT_WRITES or (name in _NUMPY_WRITES and on_numpy):
            # savefig / savez into an in-memory buffer are fine: the bytes then go through _io
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Name) and first.id in {"buf", "buffer"}:
                continue
            found.append((name, node.lineno))
        if name == "open" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            mode = str(node.args[1].value)
            if any(c in mode for c in "wax") and not (
                    isinstance(node.args[0], ast.Attribute) and node.args[0].attr == "devnull"):
                found.append((f"open(..., {mode!r})", node.lineno))
    return found


def test_every_file_the_package_writes_goes_through_the_atomic_helpers():
    package = Path(lpwalk.__file__).parent
    offenders = {}
    for path in sorted(package.glob("*.py")):
        if path.name == "_io.py":
            continue
        hits = _direct_writes(path.read_text())
        if hits:
            offenders[path.name] = hits
    assert offenders == {}


def test_the_direct_write_finder_finds_direct_writes():
    source = ("np.savez(path, a=1)\nopen(p, 'w')\nfig.savefig(buf)\nopen(os.devnull, 'w')\n"
              "Path(p).write_text('x')\nnet.save(path)\nnp.save(path, a)\n")
    assert _direct_writes(source) == [("savez", 1), ("open(..., 'w')", 2), ("write_text", 5), ("save", 7)]
