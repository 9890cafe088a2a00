r"""The region LP written a second time, as a readable cvxpy model.

:func:`lpwalk.oracle.solve_region` builds the region LP from the problem's
Jacobian rows.  This module writes the same LP from the network's equations
(DESIGN §1–2), with none of those matrices, so that tests can cross-check the
sparse builder:

.. math::

    Z^{(k)} = \tilde H\,\Theta^T, \qquad
    Z^{(l+1)} = (D_l \odot Z^{(l)})\,W_{l+1}^T + \mathbf 1 b_{l+1}^T, \qquad
    r = Z^{(L)}_{:,0} - y,

    \min_\Theta \sum_i \sigma_i r_i \quad\text{s.t.}\quad
    S_l \odot Z^{(l)} \ge 0 \ (l = k..L-1), \quad \sigma \odot r \ge 0,

where ``D_l`` is the on/off pattern (side +1 = on), ``S_l`` the sides of the
activations and σ the residual sides.  cvxpy is imported lazily; any installed
LP-capable solver will do.

References
----------
.. [1] P. Hinz and S. van de Geer, *Deep ReLU Programming*, arXiv 2011.14895.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ReferenceSolution", "region_problem", "solve_region_reference"]


@dataclass(frozen=True, eq=False)
class ReferenceSolution:
    """Outcome of the cvxpy region LP.

    Attributes
    ----------
    status : str
        cvxpy's status string (``"optimal"``, ``"infeasible"``, ...).
    value : float
        Optimal objective :math:`\\sum_i \\sigma_i r_i`.
    theta : ndarray of shape (n,) or None
        An optimal θ, flattened neuron by neuron.
    solver : str
    """

    status: str
    value: float
    theta: np.ndarray | None
    solver: str


def _pattern(prob, sides):
    """Split a side array into per-layer ``(N, n_l)`` side matrices and the residual sides."""
    sides = np.asarray(sides)
    if sides.shape != (prob.n_constraints,):
        raise ValueError(f"sides must have shape ({prob.n_constraints},), got {sides.shape}")
    N = prob.n_samples
    layers, start = [], 0
    for width in prob.activation_widths:
        layers.append(sides[start:start + N * width].reshape(N, width).astype(float))
        start += N * width
    return layers, sides[start:].astype(float)


def region_problem(prob, theta=None, sides=None):
    """The region LP as a ``cvxpy.Problem`` built from the network's equations.

    Parameters
    ----------
    prob : LayerwiseL1Problem
    theta : array_like of shape (n,), optional
        A point whose pattern (``prob.sides(theta)``) is the region, unless
        ``sides`` is given.
    sides : ndarray of shape (n_constraints,), optional

    Returns
    -------
    problem : cvxpy.Problem
    Theta : cvxpy.Variable of shape (m, p)
        The trainable layer, ``Theta[j] = (W_k[j, :], b_k[j])``.
    """
    import cvxpy as cp

    if sides is None:
        if theta is None:
            raise ValueError("give theta or sides to fix the region")
        sides = prob.sides(theta)
    act_sides, sigma = _pattern(prob, sides)
    net = prob.base_network
    k = prob.layer
    H = net.layer_input(prob.X, k)
    Ht = np.hstack([H, np.ones((H.shape[0], 1))])
    m = net.weights[k].shape[0]
    Theta = cp.Variable((m, Ht.shape[1]), name="Theta")

    constraints = []
    z = Ht @ Theta.T  # pre-activations of layer k, (N, m)
    for t, (W, b) in enumerate(zip(net.weights[k + 1:], net.biases[k + 1:])):
        S = act_sides[t]
        constraints.append(cp.multiply(S, z) >= 0)
        a = cp.multiply((S > 0).astype(float), z)  # a = D ⊙ z on the region
        z = a @ W.T + np.ones((Ht.shape[0], 1)) @ b[None, :]
    r = z[:, 0] - prob.y
    constraints.append(cp.multiply(sigma, r) >= 0)
    objective = cp.Minimize(cp.sum(cp.multiply(sigma, r)))
    return cp.Problem(objective, constraints), Theta


def solve_region_reference(prob, theta=None, sides=None, solver: str | None = None) -> ReferenceSolution:
    """Solve :func:`region_problem` with cvxpy.

    ``solver`` defaults to HiGHS when cvxpy has it, else CLARABEL, else cvxpy's choice.
    """
    import cvxpy as cp

    problem, Theta = region_problem(prob, theta, sides)
    if solver is None:
        installed = cp.installed_solvers()
        solver = next((s for s in ("HIGHS", "CLARABEL") if s in installed), None)
    problem.solve(solver=solver)
    value = float(problem.value) if problem.value is not None else float("nan")
    th = None if Theta.value is None else np.asarray(Theta.value, dtype=float).ravel()
    return ReferenceSolution(status=str(problem.status), value=value, theta=th,
                             solver=str(solver or problem.solver_stats.solver_name))
