"""Walk the first layer of a ReLU network on your own data to a certified local minimum.

Reads a CSV file (header row; the last column is the target) — here one is
written first so the script runs as is; replace ``path`` with your file, or
pass arrays ``X``, ``y`` directly to :class:`lpwalk.LayerwiseL1Problem`.
"""

import csv
import tempfile
from pathlib import Path

import numpy as np

from lpwalk import LayerwiseL1Problem, ReLUNetwork, walk
from lpwalk.data import load_data

rng = np.random.default_rng(0)
path = Path(tempfile.mkdtemp()) / "my_data.csv"
with open(path, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["x1", "x2", "y"])
    for x1, x2 in rng.uniform(-1, 1, size=(150, 2)):
        w.writerow([x1, x2, abs(x1) - x2 + 0.1 * rng.standard_normal()])

data = load_data(path, target="y")
net = ReLUNetwork.random([data.n_features, 6, 1], seed=0)  # or ReLUNetwork.load("net.npz")
prob = LayerwiseL1Problem(net, data.X, data.y, layer=0)  # train layer 0, keep the rest fixed
result = walk(prob, time_limit=30, max_pivots=10_000, seed=0)

print(result.message)
print(f"loss {result.initial_loss:.4f} -> {result.loss:.4f} in {result.n_pivots} pivots")
trained = prob.network(result.theta)  # the network with the walked layer
print("check:", np.isclose(trained.loss(data.X, data.y), result.loss))
