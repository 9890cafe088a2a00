"""Every script in examples/ runs (in a subprocess, as a user would run it) and says what it promises."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
EXPECT = {
    "lad_regression.py": "unique minimiser",
    "first_layer_walk.py": "check: True",
    "certificate_roundtrip.py": "verified: True",
    "early_loss_estimate.py": "trailing window",
}


def test_every_example_is_listed():
    assert {p.name for p in EXAMPLES} == set(EXPECT)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert EXPECT[script.name] in proc.stdout
    assert '"""' in script.read_text().split("\n", 1)[0]  # a docstring says what it shows
