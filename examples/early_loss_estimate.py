"""Estimate the final loss of a walk while it runs, and check the estimate afterwards.

Near a local minimum the loss at successive vertices often decays roughly
geometrically, L_t ≈ L* + C q^t, so L* can be estimated from a window of
recent decrements: L̂* = L_t − Δ̂_t / (1 − q̂).  ``OnlineLossEstimate`` does
this after every pivot (fed by ``walk(..., on_pivot=...)``); the analysis
functions do it afterwards on the whole record.
"""

from lpwalk import LayerwiseL1Problem, walk
from lpwalk import analysis
from lpwalk.cli import demo_instance

X, y, teacher, student = demo_instance(seed=4, samples=200, width=8)
prob = LayerwiseL1Problem(student, X, y, layer=0)

online = analysis.OnlineLossEstimate(window=20, min_pivots=10, min_r2=0.5)
seen = []


def on_pivot(info):
    online.update(info)
    seen.append((info.pivot, info.loss, online.value))


result = walk(prob, on_pivot=on_pivot, time_limit=30, max_pivots=10_000, seed=4)
print(result.message, f"final loss {result.loss:.5f}")
shown = [(p, L, e) for p, L, e in seen if e is not None]
print(f"the online estimate was meaningful (R² >= 0.5, q < 1) after {len(shown)} of {len(seen)} pivots")
for pivot, loss, estimate in shown[:: max(len(shown) // 6, 1)]:
    print(f"pivot {pivot:4d}  loss {loss:.5f}  estimate of the final loss {estimate:.5f}")

# afterwards: decay fit and the estimate's error as a function of the fraction of the walk
loss = analysis.stop_vertices(result.trajectory).loss
W = max(5, round(0.25 * (loss.size - 1)))
fit = analysis.trailing_fit(loss, W)
print(f"trailing window of {W} pivots: q = {fit.q:.3f}, R² = {fit.r2:.2f}")
for e in analysis.estimate_errors(loss, analysis.early_estimates(loss, W), (0.5, 0.75, 0.9)):
    print(f"at {e.fraction:.0%} of the walk: relative error {e.relative_error:.2e}, "
          f"gap ratio {e.gap_ratio:.2f} (< 1: better than the current loss)")
