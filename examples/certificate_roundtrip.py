"""Write a problem and its local-minimum certificate to files, then verify them exactly.

A third party needs only the two files: the verification rebuilds the vertex
from the basis in rational arithmetic and re-checks every edge ray exactly.
"""

import tempfile
from pathlib import Path

import numpy as np

from lpwalk import LayerwiseL1Problem, ReLUNetwork, walk
from lpwalk import certificate

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(80, 2))
y = np.maximum(X[:, 0], 0) - 0.5 * X[:, 1] + 0.05 * rng.standard_normal(80)
prob = LayerwiseL1Problem(ReLUNetwork.random([2, 4, 1], seed=1), X, y, layer=0)
result = walk(prob, time_limit=30, max_pivots=10_000)
print(result.message)

folder = Path(tempfile.mkdtemp())
certificate.save_problem(folder / "problem.npz", prob)
certificate.from_walk(prob, result).save(folder / "certificate.json")

# ... later, elsewhere: load both and check
cert = certificate.Certificate.load(folder / "certificate.json")
problem = certificate.load_problem(folder / "problem.npz")
check = certificate.verify(cert, problem, exact=True)
print(check.line())
print("verified:", check.ok)
