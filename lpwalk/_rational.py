"""Exact rational arithmetic on the layer-wise problem (python-flint), for certificate proofs.

Every float of the network, the data and θ is converted exactly
(:func:`Q`: the float's integer ratio), so the numbers here are the numbers
stored, with no rounding anywhere.  Matrices are :class:`flint.fmpq_mat`;
per-entry work (ReLU, masks, signs) goes through Python lists, everything else
through flint's matrix products and solves.
"""

from __future__ import annotations

import numpy as np
from flint import fmpq, fmpq_mat, fmpz, fmpz_mat

__all__ = ["Q", "qmat", "qvec", "ExactProblem"]

_ZERO = fmpq(0)


def Q(x) -> fmpq:
    """The rational number equal to the float ``x`` (exactly)."""
    num, den = float(x).as_integer_ratio()
    return fmpq(num, den)


def qmat(a) -> fmpq_mat:
    """A 2-D float array as an exact ``fmpq_mat``."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    return fmpq_mat(a.shape[0], a.shape[1], [Q(v) for v in a.ravel()])


def qvec(a) -> list:
    return [Q(v) for v in np.asarray(a, dtype=float).ravel()]


def signs(entries) -> np.ndarray:
    """Signs (-1, 0, +1) of a list of rationals, as int8."""
    return np.array([(e > 0) - (e < 0) for e in entries], dtype=np.int8)


def relu(M: fmpq_mat) -> fmpq_mat:
    return fmpq_mat(M.nrows(), M.ncols(), [e if e > 0 else _ZERO for e in M.entries()])


def masked(M: fmpq_mat, mask: np.ndarray) -> fmpq_mat:
    """``M`` with the entries where ``mask`` is False set to zero (``D ⊙ M``)."""
    flat = np.asarray(mask, dtype=bool).ravel()
    return fmpq_mat(M.nrows(), M.ncols(), [e if keep else _ZERO for e, keep in zip(M.entries(), flat)])


def add_row_vector(M: fmpq_mat, row: list) -> fmpq_mat:
    c = M.ncols()
    ent = M.entries()
    return fmpq_mat(M.nrows(), c, [e + row[t % c] for t, e in enumerate(ent)])


def rows_of(M: fmpq_mat, idx) -> fmpq_mat:
    c = M.ncols()
    ent = M.entries()
    out = []
    for i in idx:
        out.extend(ent[int(i) * c:(int(i) + 1) * c])
    return fmpq_mat(len(idx), c, out)


def _common(values: list):
    """Rationals as integers over one common denominator: ``(list of fmpz, fmpz d > 0)``."""
    d = fmpz(1)
    for v in values:
        q = v.q
        if q != 1:
            d = d * q // d.gcd(q)
    return [v.p * (d // v.q) for v in values], d


def _add_row(M: fmpz_mat, row: list) -> fmpz_mat:
    c = M.ncols()
    return fmpz_mat(M.nrows(), c, [e + row[t % c] for t, e in enumerate(M.entries())])


def to_float(entries) -> np.ndarray:
    return np.array([float(e) for e in entries], dtype=float)


def integer_kernel(M: fmpq_mat) -> list:
    """A basis of ``ker M`` (columns, as lists of fmpq) computed exactly."""
    if M.nrows() == 0:
        return [[fmpq(int(i == j)) for i in range(M.ncols())] for j in range(M.ncols())]
    num, _ = M.numer_denom()
    X, nullity = fmpz_mat(num).nullspace()
    cols = []
    for j in range(nullity):
        cols.append([fmpq(X[i, j]) for i in range(M.ncols())])
    return cols


class ExactProblem:
    """The inputs of a :class:`~lpwalk.problem.LayerwiseL1Problem` as exact rationals.

    Attributes
    ----------
    Ht : fmpq_mat of shape (N, p)
        The features :math:`\\tilde h_i` computed exactly from ``X`` (ReLU in
        rationals through the layers ``< k``).
    down_w, down_b : list
        The fixed maps ``k+1..L`` as ``fmpq_mat`` (weights) and lists (biases).
    fixed_bias : list
        Layer ``k``'s fixed biases (zeros when they are trained).
    y : list of fmpq
    """

    def __init__(self, prob):
        net = prob.base_network
        k = prob.layer
        self.prob = prob
        self.N, self.m, self.p = prob.n_samples, prob.n_neurons, prob.p
        h = qmat(prob.X)
        for w, b in zip(net.weights[:k], net.biases[:k]):
            h = relu(add_row_vector(h * qmat(w).transpose(), qvec(b)))
        if prob.train_bias:
            ent = h.entries()
            c = h.ncols()
            rows = []
            for i in range(self.N):
                rows.extend(ent[i * c:(i + 1) * c])
                rows.append(fmpq(1))
            h = fmpq_mat(self.N, c + 1, rows)
            self.fixed_bias = [fmpq(0)] * self.m
        else:
            self.fixed_bias = qvec(net.biases[k])
        self.Ht = h
        self.Ht_entries = h.entries()
        self.down_w = [qmat(w) for w in net.weights[k + 1:]]
        self.down_wT = [w.transpose() for w in self.down_w]
        self.down_w_rows = [[[w[r, c] for c in range(w.ncols())] for r in range(w.nrows())]
                            for w in self.down_w]
        self.down_b = [qvec(b) for b in net.biases[k + 1:]]
        self.y = qvec(prob.y)

    def h_row(self, i: int) -> list:
        return self.Ht_entries[i * self.p:(i + 1) * self.p]

    def theta_matrix(self, theta: list) -> fmpq_mat:
        """θ (list of n rationals) as the ``(m, p)`` matrix Θ."""
        return fmpq_mat(self.m, self.p, list(theta))

    # --------------------------------------------------------------- forward
    def values(self, theta: list, rows=None, masks=None) -> list:
        """Constraint values, exactly: the true forward pass, or the pattern's affine forms.

        Parameters
        ----------
        theta : list of fmpq, length n
        rows : sequence of int, optional
            Only these samples (default: all).
        masks : list of bool arrays ``(N, n_l)``, optional
            When given, activations pass ``D ⊙ z`` (the affine forms of the
            region of that pattern) instead of ``max(z, 0)``.

        Returns
        -------
        list of ``(Z, d)`` : ``Z`` an ``fmpz_mat``, ``d > 0`` an ``fmpz``, the
        values being ``Z / d``: the pre-activations ``z_k, ..., z_{L-1}``, then
        the residuals as an ``(N', 1)`` matrix.

        Notes
        -----
        Each layer is kept as an integer matrix over one common denominator, so
        the products are integer matrix products and no fraction is reduced
        (θ* of a vertex has long denominators; reducing every entry would cost
        far more than the products).
        """
        H = self.Ht if rows is None else rows_of(self.Ht, rows)
        Hn, dH = H.numer_denom()
        Tn, dT = self.theta_matrix(theta).transpose().numer_denom()
        fb, dfb = _common(self.fixed_bias)
        d = dH * dT * dfb
        Z = _add_row(Hn * Tn * dfb, [v * dH * dT for v in fb])
        out = []
        idx = None if rows is None else np.asarray(rows, dtype=int)
        for t, (wT, b) in enumerate(zip(self.down_wT, self.down_b)):
            out.append((Z, d))
            if masks is None:
                A = fmpz_mat(Z.nrows(), Z.ncols(), [e if e > 0 else 0 for e in Z.entries()])
            else:
                mk = masks[t] if idx is None else masks[t][idx]
                A = fmpz_mat(Z.nrows(), Z.ncols(), [e if keep else 0 for e, keep in zip(Z.entries(), np.ravel(mk))])
            Wn, dW = wT.numer_denom()
            bn, db = _common(b)
            Z = _add_row(A * Wn * db, [v * d * dW for v in bn])
            d = d * dW * db
        ys = self.y if rows is None else [self.y[int(i)] for i in rows]
        yn, dy = _common(ys)
        res = fmpz_mat(len(ys), 1, [o * dy - v * d for o, v in zip(Z.entries(), yn)])
        out.append((res, d * dy))
        return out

    # ------------------------------------------------------------- gradients
    def residual_coefficients(self, masks) -> fmpq_mat:
        """:math:`u_i` for every sample, ``(N, m)``, on the region of ``masks``."""
        if not self.down_w:
            return fmpq_mat(self.N, 1, [fmpq(1)] * self.N)
        last = self.down_w_rows[-1][0]
        rows = fmpq_mat(self.N, len(last), last * self.N)
        for s in range(len(self.down_w) - 1, -1, -1):
            rows = masked(rows, masks[s])
            if s > 0:
                rows = rows * self.down_w[s - 1]
        return rows

    def coefficient(self, masks, pos: int, i: int, j: int) -> list:
        """:math:`v_c` (length m) of constraint (layer position ``pos``, sample ``i``, neuron ``j``)."""
        if pos == 0:
            return [fmpq(int(r == j)) for r in range(self.m)]
        row = list(self.down_w_rows[pos - 1][j])
        for s in range(pos - 1, -1, -1):
            mk = masks[s][i]
            row = [v if keep else _ZERO for v, keep in zip(row, mk)]
            if s > 0:
                w = self.down_w_rows[s - 1]
                row = [sum((row[r] * w[r][c] for r in range(len(row))), _ZERO) for c in range(len(w[0]))]
        return row

    def activation_tangents(self, masks, pos: int, i: int, j: int) -> list:
        """Derivatives of sample ``i``'s deeper constraints w.r.t. the post-activation ``a`` of (pos, i, j).

        Returns ``[dz_{pos+1}, ..., dz_{L-1}, dr]``: lists of rationals, one per
        layer below ``pos`` (the last has length 1), on the region of ``masks``.
        """
        w = self.down_w_rows[pos]
        dz = [w[r][j] for r in range(len(w))]
        out = []
        for s in range(pos + 1, len(self.down_w)):
            out.append(dz)
            mk = masks[s][i]
            a = [v if keep else _ZERO for v, keep in zip(dz, mk)]
            ws = self.down_w_rows[s]
            dz = [sum((ws[r][c] * a[c] for c in range(len(a))), _ZERO) for r in range(len(ws))]
        out.append(dz)
        return out
