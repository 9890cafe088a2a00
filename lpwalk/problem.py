r"""The layer-wise L1 problem: one trainable layer, everything else fixed.

Notation of DESIGN §1–3.  The trainable layer is affine map ``k``; its inputs
are the fixed features :math:`h_i` (the data pushed through layers ``< k``),
:math:`\tilde h_i = (h_i, 1) \in \mathbb R^p`.  The parameters are
:math:`\theta = (\theta_1, \dots, \theta_m)`, :math:`\theta_j = (W_k[j,:], b_k[j])`,
flattened neuron by neuron, ``n = m p`` of them.

Constraints
    Every sign that can change is a constraint function of θ with an integer id:

    * activation ``("relu", l, i, j)``, the pre-activation :math:`z^{(l)}_{ij}`
      for ``l = k..L-1``; id ``offset[l] + i * n_l + j``;
    * residual ``("res", i)``, :math:`r_i = f(x_i) - y_i`; id ``offset[L] + i``.

    A *side* array (``+1``/``-1`` for every id) fixes a pattern, hence a region
    on which every constraint is affine.  Side ``+1`` of an activation means
    *on* (``D = 1``).  Where a constraint is tight the side is a convention the
    caller chooses; :meth:`LayerwiseL1Problem.sides` puts tight constraints on
    side ``+1`` unless told otherwise.

Gradients
    On a region, :math:`\nabla c = v_c \otimes \tilde h_{i(c)}` with a
    *coefficient* :math:`v_c \in \mathbb R^m`: :math:`e_j` for an activation of
    layer ``k``, the backward product :math:`e_j^T W_l D_{l-1}\cdots W_{k+1}D_k`
    for a deeper activation, and :math:`u_i = W_L D_{L-1}\cdots W_{k+1} D_k` for
    a residual.  Nothing here builds a dense ``N x n`` matrix except
    :meth:`LayerwiseL1Problem.jacobian_rows` when asked for all rows (oracle only).

Local structure
    :math:`\ell(\theta+d) = \ell(\theta) + \varphi(\theta, d)` for small ``d``;
    forward mode computes φ exactly: a tight activation passes
    :math:`\max(dz, 0)`, a tight residual contributes :math:`|dr|`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import tolerances
from ._validation import as_finite_array, check_index
from .network import ReLUNetwork

__all__ = ["LayerwiseL1Problem", "Evaluation"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything the forward pass at θ gives.

    Attributes
    ----------
    theta : ndarray of shape (n,)
    preactivations : tuple of ndarray
        :math:`z^{(l)}` of shape ``(N, n_l)`` for ``l = k..L-1`` (empty when ``k = L``).
    residuals : ndarray of shape (N,)
        :math:`r_i = f(x_i) - y_i`.
    values : ndarray of shape (n_constraints,)
        Every constraint value, indexed by id.
    scales : ndarray of shape (n_constraints,)
        The rounding scale of every value (:mod:`lpwalk.tolerances`).
    tight : ndarray of bool, shape (n_constraints,)
    loss : float
    """

    theta: np.ndarray
    preactivations: tuple
    residuals: np.ndarray
    values: np.ndarray
    scales: np.ndarray
    tight: np.ndarray
    loss: float

    @property
    def tight_ids(self) -> np.ndarray:
        return np.flatnonzero(self.tight)

    @property
    def loss_scale(self) -> float:
        """Scale of the loss: the sum of the residual scales."""
        n_res = self.residuals.shape[0]
        return float(self.scales[-n_res:].sum())


class LayerwiseL1Problem:
    r"""The L1 loss of ``network`` on ``(X, y)`` as a function of layer ``layer``'s parameters.

    Parameters
    ----------
    network : ReLUNetwork
    X : ndarray of shape (N, n_0)
    y : ndarray of shape (N,)
    layer : int
        Trainable affine map ``k`` in ``0..L``; ``L`` (the output layer) makes the
        problem LAD regression on the features.
    train_bias : bool, default True
        When False the layer's biases stay fixed at the network's values and
        θ holds only the weights (``p = n_{k-1}``, :math:`\tilde h_i = h_i`):
        LAD regression without an intercept, for instance.

    Raises
    ------
    ValueError
        NaN/inf, shapes that do not match, ``N = 0``, ``layer`` out of range.
    TypeError
        ``network`` is not a :class:`ReLUNetwork`, non-numeric data.

    Examples
    --------
    >>> import numpy as np
    >>> from lpwalk import ReLUNetwork, LayerwiseL1Problem
    >>> net = ReLUNetwork.random([2, 3, 1], seed=0)
    >>> X = np.random.default_rng(0).normal(size=(10, 2)); y = X[:, 0]
    >>> prob = LayerwiseL1Problem(net, X, y, layer=0)
    >>> prob.n_params
    9
    >>> bool(np.isclose(prob.loss(prob.theta0), net.loss(X, y)))
    True
    """

    def __init__(self, network: ReLUNetwork, X, y, layer: int, train_bias: bool = True):
        if not isinstance(network, ReLUNetwork):
            raise TypeError(f"network must be a ReLUNetwork, got {type(network).__name__}")
        if not isinstance(train_bias, (bool, np.bool_)):
            raise TypeError(f"train_bias must be True or False, got {type(train_bias).__name__}")
        X = as_finite_array("X", X, ndim=2)
        if X.shape[0] == 0:
            raise ValueError("X has no rows (N = 0): the loss needs at least one sample")
        y_arr = np.asarray(y) if not isinstance(y, (str, bytes)) else y
        if isinstance(y_arr, np.ndarray) and y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr[:, 0]
        y = as_finite_array("y", y_arr, ndim=1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: [{X.shape[0]}, {y.shape[0]}]"
            )
        if X.shape[1] != network.n_inputs:
            raise ValueError(
                f"X has {X.shape[1]} columns but the network expects {network.n_inputs} inputs"
            )
        #: the network as given (θ0 is its layer ``k``)
        self.base_network = network
        self.X = X
        self.y = y
        self.layer = check_index("layer", layer, 0, network.output_layer)
        k, L = self.layer, network.output_layer
        self.output_layer = L
        H = network.layer_input(X, k)
        self.train_bias = bool(train_bias)
        if self.train_bias:
            self.features_tilde = np.ascontiguousarray(np.hstack([H, np.ones((H.shape[0], 1))]))
            #: biases of layer k that stay fixed (zero when they are trained)
            self.fixed_bias = np.zeros(network.weights[k].shape[0])
        else:
            self.features_tilde = np.ascontiguousarray(H)
            self.fixed_bias = np.array(network.biases[k], dtype=float)
        self.abs_features_tilde = np.abs(self.features_tilde)
        self.n_samples = X.shape[0]
        self.n_neurons = network.weights[k].shape[0]
        self.p = self.features_tilde.shape[1]
        self.n_params = self.n_neurons * self.p
        #: widths of the activation layers k..L-1 whose signs are constraints
        self.activation_widths = tuple(network.weights[l].shape[0] for l in range(k, L))
        offsets = [0]
        for width in self.activation_widths:
            offsets.append(offsets[-1] + self.n_samples * width)
        #: ``offsets[l - k]`` is the first id of activation layer ``l``;
        #: ``offsets[-1]`` is the first residual id.
        self.offsets = tuple(offsets)
        self.n_constraints = offsets[-1] + self.n_samples
        # layers after the trainable one, as (W, b) pairs for maps k+1..L
        self._down_w = network.weights[k + 1 :]
        self._down_b = network.biases[k + 1 :]
        self._down_abs_w = tuple(np.abs(w) for w in self._down_w)
        self._down_abs_b = tuple(np.abs(b) for b in self._down_b)
        if self.train_bias:
            theta0 = np.hstack([network.weights[k], network.biases[k][:, None]]).ravel()
        else:
            theta0 = np.array(network.weights[k], dtype=float).ravel()
        theta0.flags.writeable = False
        self.theta0 = theta0
        self._check_magnitude()

    # ------------------------------------------------------------- parameters
    def check_theta(self, theta, name: str = "theta") -> np.ndarray:
        """Return θ as a float array of shape ``(n,)`` or raise naming the problem."""
        theta = as_finite_array(name, theta)
        if theta.ndim == 2 and theta.shape == (self.n_neurons, self.p):
            theta = theta.ravel()
        if theta.ndim != 1 or theta.shape[0] != self.n_params:
            raise ValueError(
                f"{name} must have {self.n_params} entries ({self.n_neurons} neurons x "
                f"{self.p} parameters), got shape {theta.shape}"
            )
        return theta

    def check_point(self, theta, name: str = "theta") -> np.ndarray:
        """:meth:`check_theta`, and refuse a θ whose forward pass is too large for the numerics.

        For the entry points that take a user's θ (the walk's start, the
        oracle's points): values above ``tolerances.MAX_MAGNITUDE`` would
        overflow when squared, so they get a clear error instead.
        """
        theta = self.check_theta(theta, name)
        self._check_magnitude(theta, name)
        return theta

    def network(self, theta=None) -> ReLUNetwork:
        """The network with layer ``k`` replaced by θ (the network as given when θ is None)."""
        if theta is None:
            return self.base_network
        Theta = self.check_theta(theta).reshape(self.n_neurons, self.p)
        if not self.train_bias:
            return self.base_network.with_layer(self.layer, Theta, self.fixed_bias)
        return self.base_network.with_layer(self.layer, Theta[:, :-1], Theta[:, -1])

    # ---------------------------------------------------------- constraint ids
    @property
    def residual_offset(self) -> int:
        """Id of the residual of sample 0; residual ``i`` has id ``residual_offset + i``."""
        return self.offsets[-1]

    @property
    def n_activation_layers(self) -> int:
        return len(self.activation_widths)

    def _check_ids(self, ids) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"constraint ids must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.n_constraints):
            bad = ids[(ids < 0) | (ids >= self.n_constraints)][0]
            raise ValueError(f"constraint id {int(bad)} is out of range 0..{self.n_constraints - 1}")
        return ids

    def decompose_ids(self, ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split ids into (layer position ``t``, sample ``i``, neuron ``j``).

        ``t = l - k`` for an activation of layer ``l``; ``t = n_activation_layers``
        for a residual, whose neuron index is 0.
        """
        ids = self._check_ids(ids)
        pos = np.searchsorted(np.asarray(self.offsets), ids, side="right") - 1
        widths = np.asarray(self.activation_widths + (1,), dtype=np.int64)
        rem = ids - np.asarray(self.offsets)[pos]
        samples, neurons = np.divmod(rem, widths[pos])
        return pos, samples, neurons

    def constraint_label(self, cid) -> tuple:
        """``("relu", l, i, j)`` or ``("res", i)`` for an integer id (DESIGN §2)."""
        pos, i, j = (int(a[0]) for a in self.decompose_ids([cid]))
        if pos == self.n_activation_layers:
            return ("res", i)
        return ("relu", self.layer + pos, i, j)

    def constraint_id(self, label) -> int:
        """Inverse of :meth:`constraint_label`."""
        if not isinstance(label, (tuple, list)) or not label:
            raise ValueError(f"a constraint label is ('relu', l, i, j) or ('res', i), got {label!r}")
        kind = label[0]
        if kind == "res" and len(label) == 2:
            i = check_index("sample index", label[1], 0, self.n_samples - 1)
            return self.residual_offset + i
        if kind == "relu" and len(label) == 4:
            l = check_index("activation layer", label[1], self.layer, self.output_layer - 1)
            i = check_index("sample index", label[2], 0, self.n_samples - 1)
            width = self.activation_widths[l - self.layer]
            j = check_index("neuron index", label[3], 0, width - 1)
            return self.offsets[l - self.layer] + i * width + j
        raise ValueError(f"a constraint label is ('relu', l, i, j) or ('res', i), got {label!r}")

    def describe(self, cid) -> str:
        """Short human-readable name of a constraint, e.g. ``relu(l=0, i=3, j=1)``."""
        label = self.constraint_label(cid)
        if label[0] == "res":
            return f"res(i={label[1]})"
        return f"relu(l={label[1]}, i={label[2]}, j={label[3]})"

    def is_residual(self, ids) -> np.ndarray:
        return np.asarray(ids) >= self.residual_offset

    # ------------------------------------------------------------ forward pass
    def _forward(self, Theta: np.ndarray):
        """Pre-activations of layers k..L-1 and the output, for θ of shape (m, p)."""
        z = self.features_tilde @ Theta.T + self.fixed_bias
        zs = []
        for w, b in zip(self._down_w, self._down_b):
            zs.append(z)
            z = np.maximum(z, 0.0) @ w.T + b
        return zs, z[:, 0]

    @cached_property
    def parameter_scale(self) -> np.ndarray:
        r"""The unit-consistent metric on θ: :math:`\kappa_{jc} = \max_i |\tilde h_{ic}|`, shape ``(n,)``.

        A weight on feature ``c`` is measured by its largest effect on a
        pre-activation, :math:`\kappa_c \theta_{jc}`.  Steepest edges,
        projected gradients, rank decisions and the box of the complete
        local-minimum test use :math:`\hat\theta = \kappa\theta`, so they do
        not change when the data are rescaled (DESIGN §7).  A zero column gets 1.
        """
        colmax = self.abs_features_tilde.max(axis=0)
        return np.tile(np.where(colmax > 0, colmax, 1.0), self.n_neurons)

    @cached_property
    def parameter_floor(self) -> np.ndarray:
        r"""The smallest per-column parameter size the tolerances assume, shape ``(p,)``.

        .. math:: \underline\theta_c = \frac{Y}{G\,\max_i |\tilde h_{ic}|},
            \qquad G = \big\| |W_L|\,|W_{L-1}| \cdots |W_{k+1}| \big\|_\infty,
            \qquad Y = \max\big(\|y\|_\infty,\ \max_i |f_{\theta_0}(x_i)|\big)

        is the size of a weight on feature ``c`` that moves the output by the
        size of the outputs: of the targets, or of the network's output at the
        given weights :math:`\theta_0` when that is larger.  ``Y`` is the
        problem's unit of output: with ``y = 0`` (LAD through the origin) the
        targets alone would give no unit, the floor would be 0, and the scale of
        every value would shrink with θ, so that an approach to the vertex
        θ = 0 never calls a residual tight.  The floor keeps the rounding scale of
        a value from vanishing when the whole layer, not only one neuron, sits at
        rounding noise around zero (LAD through the origin, every neuron
        collapsed): there a value of ``1e-32`` is noise from a walk whose
        parameters were of order one, not a distance from the constraint.
        Unit-consistent (``Y`` has the units of the output, weights those of
        output over feature) and invariant to rescaling the data, like the rest
        of DESIGN §7.  Zero only when the targets and the network's output at
        θ0 all vanish (then the loss is 0 at θ0).
        """
        gain = np.ones((1, 1))
        for w in reversed(self._down_abs_w):
            gain = gain @ w
        G = float(gain.max()) if gain.size else 1.0
        out0 = self._forward(self.theta0.reshape(self.n_neurons, self.p))[1]
        ymax = max(float(np.abs(self.y).max()), float(np.abs(out0).max()))
        colmax = self.abs_features_tilde.max(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            floor = np.where((colmax > 0) & (G > 0), ymax / (G * colmax), 0.0)
        return floor

    def _forward_scales(self, Theta: np.ndarray):
        """The forward pass on absolute values (tolerances, DESIGN §7)."""
        colmax = np.maximum(np.abs(Theta).max(axis=0), self.parameter_floor)
        s = self.abs_features_tilde @ colmax
        z = s[:, None] + np.abs(self.fixed_bias)
        scales = []
        for w, b in zip(self._down_abs_w, self._down_abs_b):
            scales.append(z)
            z = z @ w.T + b
        return scales, z[:, 0] + np.abs(self.y)

    def _check_magnitude(self, theta=None, name: str = "") -> None:
        """Refuse data (and θ) whose forward pass would overflow the numerics (``tolerances.MAX_MAGNITUDE``)."""
        theta = self.theta0 if theta is None else theta
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is what this looks for
            scales, out = self._forward_scales(theta.reshape(self.n_neurons, self.p))
            # np.max, not max(): it propagates a NaN
            biggest = float(np.max([self.abs_features_tilde.max(), out.max()] + [s.max() for s in scales]))
        if biggest <= tolerances.MAX_MAGNITUDE:  # False for inf or NaN from an overflowing forward pass
            return
        if name:
            raise ValueError(
                f"{name} is too large for floating point: the pre-activations at {name} reach {biggest:.3g} "
                f"(at most {tolerances.MAX_MAGNITUDE:.0e}, whose square still fits in a double)"
            )
        raise ValueError(
            f"the data are too large for floating point: X, y or the network's pre-activations at the "
            f"given weights reach {biggest:.3g} (at most {tolerances.MAX_MAGNITUDE:.0e}, whose square still "
            "fits in a double); rescale X, y and the biases by a power of ten: the walk and its "
            "certificate rescale with them"
        )

    def loss(self, theta) -> float:
        r""":math:`\ell(\theta) = \sum_i |f(x_i) - y_i|`."""
        Theta = self.check_theta(theta).reshape(self.n_neurons, self.p)
        _, out = self._forward(Theta)
        return float(np.abs(out - self.y).sum())

    def evaluate(self, theta) -> Evaluation:
        """Forward pass at θ: every constraint value, its scale, the tight set and the loss."""
        theta = self.check_theta(theta)
        Theta = theta.reshape(self.n_neurons, self.p)
        zs, out = self._forward(Theta)
        zscales, rscale = self._forward_scales(Theta)
        r = out - self.y
        values = np.concatenate([z.ravel() for z in zs] + [r])
        scales = np.concatenate([np.ravel(s) for s in zscales] + [rscale])
        tight = tolerances.is_tight(values, scales)
        return Evaluation(
            theta=theta,
            preactivations=tuple(zs),
            residuals=r,
            values=values,
            scales=scales,
            tight=tight,
            loss=float(np.abs(r).sum()),
        )

    def _as_evaluation(self, theta_or_eval) -> Evaluation:
        if isinstance(theta_or_eval, Evaluation):
            return theta_or_eval
        return self.evaluate(theta_or_eval)

    def constraint_values(self, theta) -> np.ndarray:
        """Value of every constraint at θ, indexed by id."""
        return self.evaluate(theta).values

    def tight_set(self, theta) -> np.ndarray:
        """Ids of the constraints tight at θ (tolerance of :mod:`lpwalk.tolerances`)."""
        return self.evaluate(theta).tight_ids

    def sides(self, theta_or_eval, tight_side: int = 1) -> np.ndarray:
        """The pattern at θ: ``+1``/``-1`` per constraint; tight ones get ``tight_side``."""
        if tight_side not in (-1, 0, 1) or isinstance(tight_side, bool):
            raise ValueError(f"tight_side must be +1, -1 or 0, got {tight_side!r}")
        ev = self._as_evaluation(theta_or_eval)
        sides = np.where(ev.values > 0, 1, -1).astype(np.int8)
        sides[ev.tight] = np.int8(tight_side)
        return sides

    def pattern(self, theta) -> np.ndarray:
        """Signs at θ: ``+1``, ``-1``, or ``0`` for a tight constraint."""
        return self.sides(self.evaluate(theta), tight_side=0)

    def _check_sides(self, sides) -> np.ndarray:
        """A side array of shape ``(n_constraints,)`` (any real or bool dtype), or raise."""
        arr = np.asarray(sides)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise TypeError(f"sides must be a numeric array, got dtype {arr.dtype}")
        if arr.shape != (self.n_constraints,):
            raise ValueError(
                f"sides must have shape ({self.n_constraints},) (one side per constraint), got {arr.shape}"
            )
        return arr

    def _check_directions(self, d) -> np.ndarray:
        """``d`` of shape ``(n,)`` or ``(K, n)``, finite, or raise naming it."""
        d = as_finite_array("d", d)
        if d.ndim not in (1, 2) or d.shape[-1] != self.n_params:
            raise ValueError(f"d must have shape ({self.n_params},) or (K, {self.n_params}), got {d.shape}")
        return d

    def activation_masks(self, sides) -> list:
        """``D_l`` (bool, shape ``(N, n_l)``) for every activation layer, from a side array."""
        sides = self._check_sides(sides)
        return [
            sides[self.offsets[t] : self.offsets[t + 1]].reshape(self.n_samples, w) > 0
            for t, w in enumerate(self.activation_widths)
        ]

    # ------------------------------------------------------- tangents (forward mode)
    def first_layer_tangent(self, d) -> np.ndarray:
        """:math:`dz^{(k)} = \\tilde H\\, d_{\\cdot}^T`: shape ``(N, m)``, or ``(K, N, m)`` for ``d`` of shape ``(K, n)``."""
        d = self._check_directions(d)
        if d.ndim == 1:
            return self.features_tilde @ d.reshape(self.n_neurons, self.p).T
        Dm = d.reshape(d.shape[0], self.n_neurons, self.p)
        return np.einsum("np,kmp->knm", self.features_tilde, Dm, optimize=True)

    def propagate_tangent(self, dz, masks, tight_masks=None, rows=None, abs_weights=False):
        """Push the tangent ``dz`` of :math:`z^{(k)}` through the fixed layers.

        Parameters
        ----------
        dz : ndarray of shape (..., N', m)
        masks : list of bool arrays ``D_l`` of shape ``(N, n_l)``
        tight_masks : list of bool arrays, optional
            Tight activations pass :math:`\\max(dz, 0)` instead of :math:`D\\,dz`.
        rows : ndarray of int, optional
            The samples ``dz`` belongs to (default: all).
        abs_weights : bool
            Use :math:`|W|` (the rounding scale of the tangent).

        Returns
        -------
        dzs : list of ndarray
            Tangents of the activation layers ``k..L-1``.
        dr : ndarray of shape (..., N')
            Tangent of the residuals.
        """
        dzs = []
        weights = self._down_abs_w if abs_weights else self._down_w
        for t, w in enumerate(weights):
            dzs.append(dz)
            D = masks[t] if rows is None else masks[t][rows]
            if tight_masks is not None:
                T = tight_masks[t] if rows is None else tight_masks[t][rows]
                da = np.where(T, np.maximum(dz, 0.0), np.where(D, dz, 0.0))
            else:
                da = np.where(D, dz, 0.0)
            dz = da @ w.T
        return dzs, dz[..., 0]

    def phi(self, theta_or_eval, d) -> np.ndarray | float:
        r"""The one-sided directional derivative :math:`\varphi(\theta, d)`, exactly, by forward mode.

        .. math:: \ell(\theta + t d) = \ell(\theta) + t\,\varphi(\theta, d) \quad (0 \le t \le t_0)

        Tight activations pass :math:`\max(dz, 0)`, tight residuals contribute
        :math:`|dr|`, everything else is linear (DESIGN §3).  ``d`` may be one
        direction ``(n,)`` or a batch ``(K, n)``.
        """
        ev = self._as_evaluation(theta_or_eval)
        return self._phi_parts(ev, d)[0]

    def phi_scale(self, theta_or_eval, d) -> np.ndarray | float:
        """The rounding scale of :meth:`phi`: the same forward mode on absolute values."""
        ev = self._as_evaluation(theta_or_eval)
        return self._phi_parts(ev, d)[1]

    def _phi_parts(self, ev: Evaluation, d, chunk: int = 64):
        d = self._check_directions(d)
        single = d.ndim == 1
        D2 = d[None, :] if single else d
        masks = self.activation_masks(ev.values > 0)
        tmasks = self.activation_masks(ev.tight)
        abs_masks = [m | t for m, t in zip(masks, tmasks)]
        res_tight = ev.tight[self.residual_offset :]
        res_sign = np.where(ev.residuals > 0, 1.0, -1.0)
        phis, scales = [], []
        for start in range(0, D2.shape[0], chunk):
            block = D2[start : start + chunk]
            _, dr = self.propagate_tangent(self.first_layer_tangent(block), masks, tmasks)
            phis.append(np.where(res_tight, np.abs(dr), res_sign * dr).sum(axis=-1))
            dz_abs = np.einsum(
                "np,kmp->knm", self.abs_features_tilde,
                np.abs(block).reshape(block.shape[0], self.n_neurons, self.p), optimize=True,
            )
            _, dr_abs = self.propagate_tangent(dz_abs, abs_masks, abs_weights=True)
            scales.append(dr_abs.sum(axis=-1))
        phi = np.concatenate(phis) if phis else np.zeros(0)
        scale = np.concatenate(scales) if scales else np.zeros(0)
        if single:
            return float(phi[0]), float(scale[0])
        return phi, scale

    def is_descent_direction(self, theta_or_eval, d) -> bool:
        """True when φ(θ, d) is negative beyond rounding (:func:`lpwalk.tolerances.is_descent`)."""
        ev = self._as_evaluation(theta_or_eval)
        phi, scale = self._phi_parts(ev, d)
        return bool(tolerances.is_descent(phi, scale))

    # ------------------------------------------------------------- gradients
    def coefficients(self, sides, ids) -> tuple[np.ndarray, np.ndarray]:
        r"""Coefficients :math:`v_c` with :math:`\nabla c = v_c \otimes \tilde h_{i(c)}` on the region of ``sides``.

        Returns ``(V, samples)``: ``V`` of shape ``(K, m)``, ``samples`` of shape ``(K,)``.
        """
        pos, samples, neurons = self.decompose_ids(ids)
        masks = self.activation_masks(sides)
        V = np.zeros((pos.shape[0], self.n_neurons))
        for t in np.unique(pos):
            sel = pos == t
            j, i = neurons[sel], samples[sel]
            if t == 0:
                V[sel] = np.eye(self.n_neurons)[j]
                continue
            rows = self._down_w[t - 1][j]
            for s in range(t - 1, -1, -1):
                rows = rows * masks[s][i]
                if s > 0:
                    rows = rows @ self._down_w[s - 1]
            V[sel] = rows
        return V, samples

    def residual_coefficients(self, sides) -> np.ndarray:
        """:math:`u_i` for every sample, shape ``(N, m)``: ∂f_i/∂θ_j = u_ij h̃_i."""
        masks = self.activation_masks(sides)
        if not self._down_w:
            return np.ones((self.n_samples, 1))
        rows = np.broadcast_to(self._down_w[-1][0], (self.n_samples, self._down_w[-1].shape[1]))
        for s in range(len(self._down_w) - 1, -1, -1):
            rows = rows * masks[s]
            if s > 0:
                rows = rows @ self._down_w[s - 1]
        return rows

    def jacobian_rows(self, sides, ids) -> np.ndarray:
        """Gradients of the constraints ``ids`` on the region of ``sides``; shape ``(K, n)``.

        Side convention: ``sides[c] = +1`` puts activation ``c`` on (``D = 1``).
        A tight activation's side changes the rows of the deeper constraints of
        its sample by multiples of its own gradient (DESIGN §2).
        """
        V, samples = self.coefficients(sides, ids)
        Ht = self.features_tilde[samples]
        return (V[:, :, None] * Ht[:, None, :]).reshape(V.shape[0], self.n_params)

    def loss_gradient(self, sides) -> np.ndarray:
        r"""Gradient of :math:`\ell_R(\theta) = \sum_i \sigma_i r_i(\theta)` on the region of ``sides``."""
        sides = self._check_sides(sides)
        U = self.residual_coefficients(sides)
        sigma = np.asarray(sides[self.residual_offset :], dtype=float)
        return ((U * sigma[:, None]).T @ self.features_tilde).ravel()

    # ------------------------------------------------------------- lineality
    @cached_property
    def lineality_basis(self) -> np.ndarray:
        r"""Orthonormal basis of the lineality space :math:`\Lambda = \mathbb R^m \otimes \ker \tilde H`.

        Every constraint depends on θ only through :math:`\tilde H \theta_j`, so the
        loss is constant along Λ.  Λ is nonzero when the features are collinear
        (a constant column, a dead unit upstream, ``N < p``).  Vertices are then
        understood modulo Λ: the tight gradients span :math:`\Lambda^\perp`.
        Shape ``(n, dim Λ)``.

        Notes
        -----
        The rank is decided on :math:`\tilde H` with every feature column divided
        by its rounding scale (the largest entry of the same forward pass on
        absolute values, DESIGN §7): the feature columns carry the units of the
        data and the constant column does not, so without this equilibration the
        decision would change when the data are rescaled, and a feature that is
        rounding noise (a unit upstream that is exactly dead in exact arithmetic)
        stays negligible.  The kernel is mapped back and orthonormalised.
        """
        h_abs = np.abs(self.X)
        for w, b in zip(self.base_network.weights[: self.layer], self.base_network.biases[: self.layer]):
            h_abs = h_abs @ np.abs(w).T + np.abs(b)
        col = h_abs.max(axis=0)
        if self.train_bias:
            col = np.append(col, 1.0)
        col[col == 0] = 1.0
        A = self.features_tilde / col
        # the full V (p x p) needs full_matrices only when N < p; the full U (N x N)
        # is never needed and would cost O(N^2) memory and O(N^2 p) time
        _, sv, vt = np.linalg.svd(A, full_matrices=A.shape[0] < A.shape[1])
        rank = int(np.count_nonzero(sv > tolerances.RANK_RTOL * sv[0])) if sv.size and sv[0] > 0 else 0
        self._equilibrated_kernel = (vt[rank:].T, col)  # orthonormal for H~ / col, and col
        null = vt[rank:].T / col[:, None]  # (p, p - rank), the kernel of H~
        if null.shape[1]:
            null = np.linalg.qr(null)[0]
        self._feature_kernel = null
        basis = np.kron(np.eye(self.n_neurons), null)
        return np.ascontiguousarray(basis)

    @cached_property
    def scaled_feature_kernel(self) -> np.ndarray:
        r"""Orthonormal basis of :math:`\kappa_{1..p} \ker\tilde H`, the kernel of one neuron in θ̂ = κθ; ``(p, k)``.

        Computed from the equilibrated kernel (:attr:`lineality_basis`, Notes)
        times the ratio of κ to the equilibration scale: rescaling ``X``, ``y``
        and the biases by a power of two scales both exactly, so this basis is
        the same bit for bit, and so are the walker's pins (DESIGN §7).
        """
        self.lineality_basis  # computes the equilibrated kernel
        kernel, col = self._equilibrated_kernel
        kernel = kernel * (self.parameter_scale[: self.p] / col)[:, None]
        if kernel.shape[1]:
            kernel = np.linalg.qr(kernel)[0]
        return np.ascontiguousarray(kernel)

    def scaled_flat_basis(self, flat_neurons=None) -> np.ndarray:
        r"""Orthonormal basis of :math:`\kappa F` in θ̂ = κθ, for the flat neurons given (mask, default none).

        The span of ``κ * flat_basis(θ)`` when ``flat_neurons = flat_neurons(θ)``:
        the scaled feature kernel (:attr:`scaled_feature_kernel`) for every
        neuron, the whole coordinate block for a flat one.  Shape ``(n, dim F)``.
        """
        flat = np.zeros(self.n_neurons, dtype=bool) if flat_neurons is None else np.asarray(flat_neurons, bool)
        return self._block_basis(flat, self.scaled_feature_kernel)

    def _block_basis(self, flat: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        """Columns ``e_j ⊗ kernel`` for every neuron, ``e_j ⊗ I_p`` for a flat one; shape ``(n, dim)``."""
        cols = []
        for j in range(self.n_neurons):
            block = np.eye(self.p) if flat[j] else kernel
            for c in range(block.shape[1]):
                v = np.zeros(self.n_params)
                v[j * self.p : (j + 1) * self.p] = block[:, c]
                cols.append(v)
        return np.array(cols).T if cols else np.zeros((self.n_params, 0))

    def dead_neurons(self, theta_or_eval) -> np.ndarray:
        r"""Neurons of the trainable layer that are *strictly dead* at θ; bool, shape ``(m,)``.

        Neuron ``j`` is strictly dead when every one of its pre-activations
        :math:`z^{(k)}_{ij}` is negative and not tight.  Small changes of
        :math:`\theta_j` then change nothing the network computes on the data, so
        the loss is locally constant along its whole block
        :math:`e_j \otimes \mathbb R^p`.  Always all False for the output layer.
        """
        ev = self._as_evaluation(theta_or_eval)
        if not self.activation_widths:
            return np.zeros(self.n_neurons, dtype=bool)
        z = ev.values[: self.offsets[1]].reshape(self.n_samples, self.n_neurons)
        tight = ev.tight[: self.offsets[1]].reshape(self.n_samples, self.n_neurons)
        return np.all((z < 0) & ~tight, axis=0)

    @cached_property
    def disconnected_neurons(self) -> np.ndarray:
        r"""Neurons of the trainable layer with no path of nonzero weights to the output; bool, ``(m,)``.

        Neuron ``j`` is disconnected when every path from it to the output
        crosses a zero weight of :math:`W_{k+1}, \dots, W_L`.  The network's
        output then does not depend on :math:`\theta_j` at all, for every θ:
        the loss is constant along the whole block :math:`e_j \otimes \mathbb R^p`,
        globally (a dead neuron's block is flat only near θ).  Decided on the
        pattern of zero weights, so exactly.  Always all False for the output layer.
        """
        if not self._down_w:
            return np.zeros(self.n_neurons, dtype=bool)
        reach = np.ones(1, dtype=bool)  # the output unit
        for w in reversed(self._down_w):
            reach = (w[reach] != 0).any(axis=0)  # units with a nonzero weight into a reaching unit
        out = ~reach
        out.flags.writeable = False
        return out

    def flat_neurons(self, theta_or_eval) -> np.ndarray:
        """Neurons whose whole block is flat at θ: strictly dead (:meth:`dead_neurons`) or disconnected."""
        return self.dead_neurons(theta_or_eval) | self.disconnected_neurons

    def flat_basis(self, theta_or_eval) -> np.ndarray:
        r"""Orthonormal basis of the directions along which the loss is locally constant at θ.

        :math:`F(\theta) = \Lambda + \bigoplus_{j \text{ flat}} e_j \otimes \mathbb R^p`:
        the lineality space plus the blocks of the strictly dead and the
        disconnected neurons (:meth:`flat_neurons`).  Vertices are understood
        modulo ``F``: θ is a vertex when its tight gradients have rank
        ``n - dim F`` (:meth:`vertex_rank_at`).  Shape ``(n, dim F)``.
        """
        flat = self.flat_neurons(theta_or_eval)
        if not flat.any():
            return self.lineality_basis
        self.lineality_basis  # computes the kernel of the features
        return self._block_basis(flat, self._feature_kernel)

    def gradient_rank(self, rows: np.ndarray, flat: np.ndarray | None = None) -> int:
        r"""Rank of gradient rows in the unit-consistent metric (columns times ``1/κ``, DESIGN §7).

        With ``flat`` (a basis of flat directions, shape ``(n, f)``, e.g.
        :meth:`flat_basis`) the rank is taken modulo them: the rank of the rows
        restricted to the complement of ``κ F`` in the scaled coordinates
        :math:`\hat\theta = \kappa\theta`.  A tight constraint's gradient has no
        component along the lineality space, nor along a strictly dead neuron's
        block (its activations are not tight and it feeds nothing deeper); a
        tight activation of a disconnected neuron lies inside its block and
        counts 0 (it is constant on that complement).
        """
        scaled = np.asarray(rows, dtype=float) / self.parameter_scale
        if flat is None or flat.shape[1] == 0 or scaled.size == 0:
            return tolerances.numerical_rank(scaled)
        f_hat = np.linalg.qr(flat * self.parameter_scale[:, None])[0]
        projected = scaled - (scaled @ f_hat) @ f_hat.T
        return tolerances.numerical_rank(projected, reference=np.linalg.norm(scaled, 2))

    def vertex_rank_at(self, theta_or_eval) -> int:
        """Rank the tight gradients need for θ to be a vertex: ``n - dim F(θ)`` (:meth:`flat_basis`)."""
        return self.n_params - self.flat_basis(theta_or_eval).shape[1]

    @property
    def lineality_dim(self) -> int:
        return self.lineality_basis.shape[1]

    @property
    def vertex_rank(self) -> int:
        """Rank the tight gradients need at a vertex: ``n - dim Λ``."""
        return self.n_params - self.lineality_dim

    def __repr__(self) -> str:
        return (
            f"LayerwiseL1Problem(sizes={list(self.base_network.sizes)}, layer={self.layer}, "
            f"N={self.n_samples}, n_params={self.n_params})"
        )
