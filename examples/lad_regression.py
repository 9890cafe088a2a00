"""Exact least absolute deviations (L1) regression with lpwalk.

Fits y ≈ X w + b minimising Σ|residual| exactly (a vertex of the LP, found by
the Barrodale–Roberts walk), compares it with least squares on data with a few
gross outliers, and says whether the L1 minimiser is unique.
"""

import numpy as np

from lpwalk import LADRegressor, lad_fit

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(200, 3))
y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.05 * rng.standard_normal(200)
y[:10] += 20.0  # gross outliers

coef, intercept, result = lad_fit(X, y)
print("LAD coefficients:", np.round(coef, 3), "intercept", round(intercept, 3))
print("status:", result.status.value, "| unique minimiser:", result.certificate.strict)
ls = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
print("least squares:   ", np.round(ls[:3], 3), "intercept", round(ls[3], 3))

model = LADRegressor().fit(X, y)  # the same, scikit-learn style
print("mean |residual| on the clean points:", round(float(np.mean(np.abs(model.predict(X[10:]) - y[10:]))), 4))
