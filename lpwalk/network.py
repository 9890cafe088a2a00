r"""Fully connected ReLU networks with scalar output.

.. math::

    f(x) = W_L\, g_{L-1}(\cdots g_0(x)) + b_L, \qquad g_l(z) = \max(W_l z + b_l, 0),

with affine maps indexed ``0..L`` (``L`` is the output layer, one row).  A
network with a single affine map (``L = 0``) is a linear model.  Notation as in
DESIGN §1 (Hinz & van de Geer, *Deep ReLU Programming*, arXiv 2011.14895).
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._validation import as_finite_array, check_index, check_real, make_rng

__all__ = ["ReLUNetwork"]


@dataclass(frozen=True, eq=False)
class ReLUNetwork:
    """A ReLU network: weights ``W_l`` of shape ``(n_l, n_{l-1})`` and biases ``b_l`` of shape ``(n_l,)``.

    Parameters
    ----------
    weights : sequence of ndarray
        ``W_0, ..., W_L``; the last has exactly one row (scalar output).
    biases : sequence of ndarray
        ``b_0, ..., b_L``.

    Raises
    ------
    ValueError
        Empty network, shapes that do not chain, a non-scalar output, NaN/inf.
    TypeError
        Non-numeric entries.

    Examples
    --------
    >>> import numpy as np
    >>> net = ReLUNetwork([np.ones((2, 1)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    >>> float(net.forward(np.array([[1.0], [-1.0]]))[0])
    2.0
    """

    weights: tuple
    biases: tuple

    def __init__(self, weights: Sequence, biases: Sequence):
        if isinstance(weights, np.ndarray) or isinstance(biases, np.ndarray):
            raise TypeError("weights and biases must be lists of arrays, one per layer")
        weights = list(weights)
        biases = list(biases)
        if not weights:
            raise ValueError("a network needs at least one layer (got no weights)")
        if len(weights) != len(biases):
            raise ValueError(
                f"got {len(weights)} weight matrices but {len(biases)} bias vectors"
            )
        ws, bs = [], []
        for l, (w, b) in enumerate(zip(weights, biases)):
            w = as_finite_array(f"weights[{l}]", w, ndim=2)
            b = as_finite_array(f"biases[{l}]", b, ndim=1)
            if b.shape[0] != w.shape[0]:
                raise ValueError(
                    f"biases[{l}] has length {b.shape[0]} but weights[{l}] has {w.shape[0]} rows"
                )
            if w.shape[0] == 0 or w.shape[1] == 0:
                raise ValueError(f"weights[{l}] has an empty shape {w.shape}")
            if l > 0 and w.shape[1] != ws[-1].shape[0]:
                raise ValueError(
                    f"weights[{l}] has {w.shape[1]} columns but layer {l - 1} has "
                    f"{ws[-1].shape[0]} units"
                )
            w.flags.writeable = False
            b.flags.writeable = False
            ws.append(w)
            bs.append(b)
        if ws[-1].shape[0] != 1:
            raise ValueError(
                f"the output layer must have one row (scalar output), got {ws[-1].shape[0]}"
            )
        object.__setattr__(self, "weights", tuple(ws))
        object.__setattr__(self, "biases", tuple(bs))

    # ------------------------------------------------------------------ shape
    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_L = 1)``: input dimension, then the width of every layer."""
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    @property
    def n_inputs(self) -> int:
        return self.weights[0].shape[1]

    @property
    def output_layer(self) -> int:
        """Index ``L`` of the output layer (0 for a linear model)."""
        return len(self.weights) - 1

    # ---------------------------------------------------------------- factory
    @classmethod
    def random(cls, sizes: Sequence[int], seed=None, bias_scale: float = 0.1) -> "ReLUNetwork":
        """He-style initialisation: ``W_l ~ N(0, 2 / n_{l-1})``, ``b_l ~ N(0, bias_scale^2)``.

        Parameters
        ----------
        sizes : sequence of int
            ``[n_0, n_1, ..., 1]``: input dimension, hidden widths, output (1).
        seed : int or numpy Generator, optional
            Reproducible when given.
        """
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise TypeError(f"sizes must be a sequence of integers, got {type(sizes).__name__}")
        sizes = list(sizes)
        bad = [s for s in sizes if isinstance(s, bool) or not isinstance(s, numbers.Integral)]
        if bad:
            raise TypeError(f"sizes must be integers, got {bad[0]!r} in {sizes}")
        sizes = [int(s) for s in sizes]
        bias_scale = check_real("bias_scale", bias_scale, low=0.0)
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least [n_inputs, 1] with positive entries, got {sizes}")
        if sizes[-1] != 1:
            raise ValueError(f"the last size must be 1 (scalar output), got {sizes[-1]}")
        rng = make_rng("seed", seed)
        weights = [
            rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
        ]
        biases = [rng.normal(0.0, bias_scale, size=fan_out) for fan_out in sizes[1:]]
        return cls(weights, biases)

    # ---------------------------------------------------------------- forward
    def _check_inputs(self, X) -> np.ndarray:
        X = as_finite_array("X", X, ndim=2)
        if X.shape[1] != self.n_inputs:
            raise ValueError(f"X has {X.shape[1]} columns but the network expects {self.n_inputs} inputs")
        return X

    def layer_input(self, X, layer: int) -> np.ndarray:
        """Features ``h_i`` entering affine map ``layer``: ``X`` pushed through layers ``< layer``.

        Returns an array of shape ``(N, n_{layer-1})`` (``X`` itself for ``layer = 0``).
        """
        layer = check_index("layer", layer, 0, self.output_layer)
        h = self._check_inputs(X)
        for w, b in zip(self.weights[:layer], self.biases[:layer]):
            h = np.maximum(h @ w.T + b, 0.0)
        return np.ascontiguousarray(h)

    def forward(self, X) -> np.ndarray:
        """Network output ``f(x_i)`` for every row of ``X``; shape ``(N,)``."""
        h = self._check_inputs(X)
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ w.T + b, 0.0)
        return h @ self.weights[-1][0] + self.biases[-1][0]

    def loss(self, X, y) -> float:
        """L1 training loss ``sum_i |f(x_i) - y_i|`` (a sum, not a mean)."""
        y = as_finite_array("y", y, ndim=1)
        out = self.forward(X)
        if y.shape[0] != out.shape[0]:
            raise ValueError(f"X has {out.shape[0]} rows but y has {y.shape[0]} entries")
        return float(np.abs(out - y).sum())

    def with_layer(self, layer: int, weight, bias) -> "ReLUNetwork":
        """A copy of the network with affine map ``layer`` replaced."""
        layer = check_index("layer", layer, 0, self.output_layer)
        weights = list(self.weights)
        biases = list(self.biases)
        weights[layer] = weight
        biases[layer] = bias
        return ReLUNetwork(weights, biases)

    # -------------------------------------------------------------------- I/O
    def save(self, path) -> None:
        """Write the network to ``path`` (``.npz`` with arrays ``W0..WL``, ``b0..bL``), atomically."""
        from ._io import atomic_write_npz

        arrays = {f"W{l}": w for l, w in enumerate(self.weights)}
        arrays.update({f"b{l}": b for l, b in enumerate(self.biases)})
        atomic_write_npz(path, **arrays)

    @classmethod
    def from_arrays(cls, arrays, source: str = "network file") -> "ReLUNetwork":
        """Build a network from a mapping holding ``W0..WL`` and ``b0..bL``."""
        keys = set(arrays.keys())
        if "W0" not in keys:
            raise ValueError(f"{source} has no array 'W0' (found {sorted(keys) or 'no arrays'})")
        n = 0
        while f"W{n}" in keys:
            n += 1
        missing = [f"b{l}" for l in range(n) if f"b{l}" not in keys]
        if missing:
            raise ValueError(f"{source} is missing bias arrays {missing}")
        return cls([arrays[f"W{l}"] for l in range(n)], [arrays[f"b{l}"] for l in range(n)])

    @classmethod
    def load(cls, path) -> "ReLUNetwork":
        """Read a network written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        ValueError
            The file is not a readable ``.npz`` or misses arrays.
        """
        from ._io import read_npz

        return cls.from_arrays(read_npz(path), source=f"network file {os.fspath(path)!r}")

    def __repr__(self) -> str:
        return f"ReLUNetwork(sizes={list(self.sizes)})"
