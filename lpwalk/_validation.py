"""Checks of user input that raise errors naming the argument (never deep numpy tracebacks)."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_finite_array", "check_index"]


def as_finite_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a C-contiguous float64 array, or raise naming ``name``.

    Raises
    ------
    TypeError
        ``value`` is not numeric (strings, objects, complex numbers).
    ValueError
        Wrong number of dimensions, or a NaN/inf entry (the first offending
        index is named).
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = first[0] if len(first) == 1 else first
        raise ValueError(f"{name} contains NaN or inf (first at index {where})")
    return arr


def check_index(name: str, value, low: int, high: int) -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low}..{high}, got {value}")
    return value
