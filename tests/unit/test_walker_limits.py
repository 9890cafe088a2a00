"""Limits honoured while reaching the first vertex."""

from __future__ import annotations

import numpy as np

from lpwalk import LayerwiseL1Problem, ReLUNetwork, WalkStatus, walk


def test_time_limit_while_reaching_the_first_vertex():
    """A limit that passes before any vertex ends the walk at the last point reached, loss not above the start."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 5))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=300)
    prob = LayerwiseL1Problem(ReLUNetwork.random([5, 30, 1], seed=6), X, y, layer=0)
    res = walk(prob, time_limit=1e-3)
    assert res.status is WalkStatus.TIME_LIMIT
    assert res.n_pivots == 0 and res.basis == ()
    assert res.loss <= res.initial_loss + 1e-9 * res.initial_loss
    assert res.loss == prob.loss(res.theta)
