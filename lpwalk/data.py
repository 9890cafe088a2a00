"""Reading data sets: CSV with a header row, or ``.npz`` with arrays ``X`` and ``y``.

Both readers return a :class:`Dataset`.  Every problem with the file raises an
error that names it: :class:`FileNotFoundError` for a missing file,
:class:`ValueError` for everything else (a non-numeric or non-finite cell, with
its line and column; a target column that does not exist, with the columns that
do; an empty file; an ``.npz`` without ``X`` or ``y``).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import read_npz
from ._validation import as_finite_array

__all__ = ["Dataset", "load_data", "read_csv", "read_npz_data"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples ``X`` of shape ``(N, n_0)`` and targets ``y`` of shape ``(N,)``.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    feature_names : tuple of str
        CSV header names of the columns of ``X`` (``x0, x1, ...`` for ``.npz``).
    target_name : str
    source : str
        The file the data came from.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    target_name: str
    source: str

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_data(path, target: str | None = None) -> Dataset:
    """Read a data set from ``path``: ``.npz`` by its suffix, CSV otherwise.

    Parameters
    ----------
    path : str or path-like
    target : str, optional
        CSV only: the name of the target column (default: the last column).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file cannot be read, is empty, has a non-numeric or non-finite
        cell, misses the target column or the arrays ``X``/``y``.
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        if target is not None:
            raise ValueError(
                f"a target column ({target!r}) applies to CSV files only; "
                f"{os.fspath(path)!r} is an .npz file whose targets are the array 'y'"
            )
        return read_npz_data(path)
    return read_csv(path, target=target)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"no such file: {os.fspath(path)!r}")
    if path.is_dir():
        raise ValueError(f"{os.fspath(path)!r} is a folder, expected a data file")


def read_csv(path, target: str | None = None) -> Dataset:
    """Read a CSV file with a header row; every cell must be a finite number.

    The target column is ``target`` (default: the last column); every other
    column is a feature.  Blank lines are skipped.
    """
    path = Path(path)
    name = os.fspath(path)
    _check_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [(reader_line, row) for reader_line, row in _numbered_rows(csv.reader(fh))]
    except UnicodeDecodeError as exc:
        raise ValueError(f"could not read {name!r} as a text CSV file: {exc}") from None
    except csv.Error as exc:
        raise ValueError(f"could not parse {name!r} as CSV: {exc}") from None
    except OSError as exc:
        raise ValueError(f"could not read {name!r}: {exc}") from None
    if not rows:
        raise ValueError(f"{name!r} is empty: expected a header row and at least one data row")
    _, header = rows[0]
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise ValueError(
            f"{name!r} has {len(header)} column ({header}): expected at least one feature "
            "column and a target column"
        )
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise ValueError(f"{name!r} has duplicate column names {dup}")
    if all(_is_number(h) for h in header):
        raise ValueError(f"{name!r} line 1 ({','.join(header)}) is all numbers: expected a header row of "
                         "column names first (the first row would otherwise be lost as names)")
    if target is None:
        t = len(header) - 1
    else:
        if target not in header:
            raise ValueError(
                f"{name!r} has no column {target!r}; the columns are {header}"
            )
        t = header.index(target)
    data_rows = rows[1:]
    if not data_rows:
        raise ValueError(f"{name!r} has a header but no data rows")
    values = np.empty((len(data_rows), len(header)))
    for r, (line, row) in enumerate(data_rows):
        if len(row) != len(header):
            raise ValueError(
                f"{name!r} line {line}: {len(row)} cells but the header has {len(header)} columns"
            )
        for c, cell in enumerate(row):
            text = cell.strip()
            try:
                v = float(text)
            except ValueError:
                what = "an empty cell" if not text else f"{text!r} is not a number"
                raise ValueError(
                    f"{name!r} line {line} (data row {r + 1}), column {header[c]!r}: {what}"
                ) from None
            if not math.isfinite(v):
                raise ValueError(
                    f"{name!r} line {line} (data row {r + 1}), column {header[c]!r}: "
                    f"{text!r} is not finite"
                )
            values[r, c] = v
    features = [c for c in range(len(header)) if c != t]
    return Dataset(
        X=np.ascontiguousarray(values[:, features]),
        y=np.ascontiguousarray(values[:, t]),
        feature_names=tuple(header[c] for c in features),
        target_name=header[t],
        source=name,
    )


def _numbered_rows(reader):
    """Yield ``(line number, row)`` for the non-blank rows of a CSV reader."""
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        yield reader.line_num, row


def read_npz_data(path) -> Dataset:
    """Read an ``.npz`` file holding ``X`` of shape ``(N, n_0)`` (or ``(N,)``) and ``y`` of shape ``(N,)`` (or ``(N, 1)``)."""
    path = Path(path)
    name = os.fspath(path)
    arrays = read_npz(path)
    missing = [key for key in ("X", "y") if key not in arrays]
    if missing:
        raise ValueError(
            f"{name!r} is missing array(s) {missing} (found {sorted(arrays) or 'no arrays'}); "
            "a data file needs X of shape (N, n_features) and y of shape (N,)"
        )
    X, y = arrays["X"], arrays["y"]
    if getattr(X, "ndim", None) == 1:
        X = X[:, None]
    if getattr(y, "ndim", None) == 2 and y.shape[1] == 1:
        y = y[:, 0]
    X = as_finite_array(f"X in {name!r}", X, ndim=2)
    y = as_finite_array(f"y in {name!r}", y, ndim=1)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X in {name!r} is empty (shape {X.shape})")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y in {name!r} have inconsistent numbers of samples: [{X.shape[0]}, {y.shape[0]}]"
        )
    return Dataset(
        X=X,
        y=y,
        feature_names=tuple(f"x{c}" for c in range(X.shape[1])),
        target_name="y",
        source=name,
    )
