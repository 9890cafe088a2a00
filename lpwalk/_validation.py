"""Checks of user input that raise errors naming the argument (never deep numpy tracebacks)."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_finite_array", "check_index", "check_count", "check_real", "check_time_limit", "make_rng"]


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


def check_count(name: str, value, minimum: int = 0) -> int:
    """Return ``value`` as an int ``>= minimum`` or raise naming ``name`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_real(name: str, value, low: float | None = None, strict: bool = False) -> float:
    """Return ``value`` as a finite float (``> low`` when ``strict``, else ``>= low``) or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and (value <= low if strict else value < low):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be a number {relation} {low:g}, got {value!r}")
    return value


def check_time_limit(name: str, value) -> float | None:
    """``None``, or a positive number of seconds (``inf`` means no limit); raise naming ``name`` otherwise."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number of seconds or None, got {type(value).__name__}")
    value = float(value)
    if not value > 0:  # NaN too
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return value


def make_rng(name: str, seed) -> np.random.Generator:
    """``np.random.default_rng(seed)``, raising an error that names ``name`` for a seed numpy refuses."""
    if isinstance(seed, (bool, float, str, bytes)):
        raise TypeError(f"{name} must be None, a non-negative integer, a sequence of them or a "
                        f"numpy Generator, got {type(seed).__name__}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} must be None, a non-negative integer, a sequence of them or a "
                        f"numpy Generator, got {seed!r:.80} ({exc})") from None
