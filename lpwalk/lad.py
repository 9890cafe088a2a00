r"""Least absolute deviations (L1) regression: the walker on the output layer of a linear model.

.. math:: \min_{w, b} \sum_i |x_i^T w + b - y_i|

With no hidden layer the layer-wise problem is convex and the Deep ReLU
Simplex walk is the Barrodale–Roberts algorithm: every vertex it certifies a
local minimum is a global one.  The answer is exact (a vertex of the LP, found
without an LP solver); several optimal vertices may exist, and the certificate
says so (``strict`` is False when some edge ray is flat).

References
----------
I. Barrodale and F. D. K. Roberts, *An improved algorithm for discrete l1
linear approximation*, SIAM J. Numer. Anal. 10 (1973).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_finite_array
from .network import ReLUNetwork
from .problem import LayerwiseL1Problem
from .results import WalkStatus
from .walker import walk

__all__ = ["lad_fit", "LADRegressor"]


def _check_xy(X, y):
    X = as_finite_array("X", X)
    if X.ndim == 1:
        raise ValueError(
            f"X must be 2-dimensional (n_samples, n_features), got shape {X.shape}; "
            "reshape a single feature with X.reshape(-1, 1)"
        )
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X has no rows: LAD regression needs at least one sample")
    if X.shape[1] == 0:
        raise ValueError("X has no columns")
    y = as_finite_array("y", np.ravel(y) if np.ndim(y) == 2 and np.shape(y)[1] == 1 else y, ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y have inconsistent numbers of samples: [{X.shape[0]}, {y.shape[0]}]")
    return X, y


def lad_fit(X, y, *, fit_intercept: bool = True, start=None, **walk_options):
    r"""Exact L1 regression of ``y`` on ``X``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    fit_intercept : bool
        Fit ``b`` (default) or fix it at 0.
    start : array_like of shape (n_features,) or (n_features + 1,), optional
        Starting coefficients (default zero: the classical Barrodale–Roberts start).
    **walk_options
        Passed to :func:`lpwalk.walk` (``pricing``, ``max_pivots``, ``time_limit``, ...).

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float
    result : WalkResult
        ``result.status`` is ``local_min`` (= global, by convexity) unless a
        limit stopped the walk; ``result.loss`` is the sum of absolute residuals.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 2.0, 10.0])
    >>> coef, intercept, res = lad_fit(X, y)
    >>> np.round(coef, 12), round(intercept, 12), res.loss
    (array([1.]), 0.0, 7.0)
    """
    X, y = _check_xy(X, y)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False, got {type(fit_intercept).__name__}")
    p = X.shape[1]
    # a linear model; without an intercept its bias stays fixed at 0 (train_bias=False)
    net = ReLUNetwork([np.zeros((1, p))], [np.zeros(1)])
    prob = LayerwiseL1Problem(net, X, y, layer=0, train_bias=fit_intercept)
    theta0 = None
    if start is not None:
        start = as_finite_array("start", start, ndim=1)
        if start.shape[0] == p and fit_intercept:
            start = np.append(start, 0.0)
        theta0 = prob.check_theta(start, "start")
    result = walk(prob, theta0=theta0, **walk_options)
    coef = result.theta[:p].copy()
    intercept = float(result.theta[p]) if fit_intercept else 0.0
    return coef, intercept, result


class LADRegressor:
    """L1 (median) regression with scikit-learn estimator conventions, solved exactly.

    Parameters
    ----------
    fit_intercept : bool, default True
    pricing : {"steepest", "dantzig", "bland"}
    max_pivots : int
    time_limit : float or None

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_features_in_ : int
    loss_ : float
        Sum of absolute residuals at the solution.
    n_iter_ : int
        Pivots of the walk.
    result_ : WalkResult

    Notes
    -----
    A fit stopped by ``max_pivots`` or ``time_limit`` keeps the last vertex and
    warns (``RuntimeWarning``); Ctrl-C during ``fit`` raises KeyboardInterrupt
    and leaves the estimator as it was, so a loop over fits stops too.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6.0).reshape(-1, 1); y = 2 * X[:, 0] + 1; y[5] = 100
    >>> LADRegressor().fit(X, y).predict([[10.0]]).round(9)
    array([21.])
    """

    def __init__(self, fit_intercept: bool = True, pricing: str = "steepest",
                 max_pivots: int = 100_000, time_limit: float | None = None):
        self.fit_intercept = fit_intercept
        self.pricing = pricing
        self.max_pivots = max_pivots
        self.time_limit = time_limit

    def get_params(self, deep: bool = True) -> dict:
        return {"fit_intercept": self.fit_intercept, "pricing": self.pricing,
                "max_pivots": self.max_pivots, "time_limit": self.time_limit}

    def set_params(self, **params) -> "LADRegressor":
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"invalid parameter {key!r} for LADRegressor")
            setattr(self, key, value)
        return self

    def fit(self, X, y) -> "LADRegressor":
        coef, intercept, result = lad_fit(
            X, y, fit_intercept=self.fit_intercept, pricing=self.pricing,
            max_pivots=self.max_pivots, time_limit=self.time_limit,
        )
        # Ctrl-C stops the caller (a loop over fits, a grid search), not only this fit;
        # the estimator is left as it was
        result.raise_if_interrupted()
        self.coef_ = coef
        self.intercept_ = intercept
        self.n_features_in_ = coef.shape[0]
        self.loss_ = result.loss
        self.n_iter_ = result.n_pivots
        self.result_ = result
        if result.status is not WalkStatus.LOCAL_MIN:
            import warnings

            warnings.warn(f"LAD fit did not finish: {result.message}", RuntimeWarning, stacklevel=2)
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise ValueError("this LADRegressor is not fitted yet; call fit(X, y) first")

    def predict(self, X) -> np.ndarray:
        self._check_fitted()
        X = as_finite_array("X", X, ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but LADRegressor was fitted with {self.n_features_in_}")
        return X @ self.coef_ + self.intercept_

    def score(self, X, y) -> float:
        """Coefficient of determination R² of the prediction (scikit-learn's regressor score)."""
        y = as_finite_array("y", y, ndim=1)
        pred = self.predict(X)
        if y.shape[0] != pred.shape[0]:
            raise ValueError(f"X and y have inconsistent numbers of samples: [{pred.shape[0]}, {y.shape[0]}]")
        if y.shape[0] == 0:
            raise ValueError("X has no rows: the score needs at least one sample")
        resid = y - pred
        total = ((y - y.mean()) ** 2).sum()
        return float(1.0 - (resid**2).sum() / total) if total > 0 else 0.0

    def __repr__(self) -> str:
        return f"LADRegressor(fit_intercept={self.fit_intercept}, pricing={self.pricing!r})"
