"""``lpwalk walk --out DIR`` keeps a checkpoint; ``lpwalk walk --resume DIR`` finishes the same walk.

Three ways a run ends early: a pivot limit, Ctrl-C (KeyboardInterrupt inside
the walk), and a process killed with SIGKILL while walking.  In every case
``--resume DIR`` must end with the files an uninterrupted run writes: the
same trajectory (every column but the clock), the same final θ, basis and
status, the same certificate.  The kill test slows the walk down (a sleep
after each checkpoint write, in the child process only) so that the kill
lands in the middle of the walk on any machine, then checks that the folder
holds no half-written file.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import lpwalk.walker
from lpwalk.checkpoint import CHECKPOINT_FOLDER, load_checkpoint
from lpwalk.cli import main

COMPARED = ("loss", "theta", "step_length", "entering", "leaving", "crossed", "kind", "pivot")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    """A first-layer instance whose walk takes a few dozen pivots."""
    rng = np.random.default_rng(11)
    X = rng.uniform(-1, 1, size=(120, 2))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.normal(size=120)
    path = tmp_path_factory.mktemp("resume_data") / "d.npz"
    np.savez(path, X=X, y=y)
    return path


def walk_args(data_file, out, *extra):
    return ["walk", "--data", str(data_file), "--arch", "6,1", "--seed", "2", "--no-progress",
            "--out", str(out), *extra]


def load_run(out):
    """What two runs must agree on: the trajectory (clock aside), network, summary, certificate."""
    with np.load(out / "trajectory.npz", allow_pickle=False) as z:
        traj = {k: z[k] for k in COMPARED}
    with np.load(out / "network.npz", allow_pickle=False) as z:
        net = {k: z[k] for k in z.files}
    summary = json.loads((out / "summary.json").read_text())
    cert = json.loads((out / "certificate.json").read_text()) if (out / "certificate.json").exists() else None
    return traj, net, summary, cert


def assert_same_run(a, b):
    traj_a, net_a, sum_a, cert_a = load_run(a)
    traj_b, net_b, sum_b, cert_b = load_run(b)
    for name in COMPARED:
        assert np.array_equal(traj_a[name], traj_b[name]), name
    assert net_a.keys() == net_b.keys()
    assert all(np.array_equal(net_a[k], net_b[k]) for k in net_a)
    for key in ("status", "pivots", "breakpoints", "initial_loss", "final_loss", "instance"):
        assert sum_a[key] == sum_b[key], key
    assert set(sum_a["files"]) == set(sum_b["files"])
    assert (cert_a is None) == (cert_b is None)
    if cert_a is not None:
        for key in ("theta", "basis", "method", "degenerate", "strict", "fingerprint"):
            assert cert_a[key] == cert_b[key], key


@pytest.fixture(scope="module")
def reference(data_file, tmp_path_factory):
    """The uninterrupted run."""
    out = tmp_path_factory.mktemp("resume_ref") / "full"
    assert main(walk_args(data_file, out)) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "local_min" and summary["pivots"] >= 10
    return out


def test_pivot_limit_then_resume(tmp_path, capsys, data_file, reference):
    out = tmp_path / "run"
    assert main(walk_args(data_file, out, "--max-pivots", "4")) == 0
    assert json.loads((out / "summary.json").read_text())["status"] == "max_pivots"
    assert load_checkpoint(out).checkpoint.state.pivots == 4
    assert main(["walk", "--resume", str(out), "--max-pivots", "100000", "--no-progress"]) == 0
    assert "resuming at pivot 4" in capsys.readouterr().err
    assert_same_run(reference, out)


def test_ctrl_c_then_resume(tmp_path, capsys, data_file, reference, monkeypatch):
    """KeyboardInterrupt in the middle of the walk: exit 130, then --resume finishes the same walk."""
    out = tmp_path / "run"
    real_walk = lpwalk.walker.walk

    def interrupted_walk(*args, **kwargs):
        user = kwargs["on_pivot"]

        def on_pivot(info):
            user(info)
            if info.pivot == 5:
                raise KeyboardInterrupt
        return real_walk(*args, **{**kwargs, "on_pivot": on_pivot})

    monkeypatch.setattr(lpwalk.walker, "walk", interrupted_walk)
    assert main(walk_args(data_file, out, "--checkpoint-every", "0")) == 130
    assert f"continue with: lpwalk walk --resume {out}" in capsys.readouterr().err
    monkeypatch.setattr(lpwalk.walker, "walk", real_walk)
    assert main(["walk", "--resume", str(out), "--no-progress"]) == 0
    assert_same_run(reference, out)


_SLOW_CHILD = """
import sys, time
import lpwalk.checkpoint as cp
save = cp.CheckpointWriter.save
def slow_save(self, checkpoint):
    save(self, checkpoint)
    time.sleep(0.15)
cp.CheckpointWriter.save = slow_save
from lpwalk.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_killed_process_then_resume(tmp_path, data_file, reference):
    """SIGKILL mid-walk loses at most the pivots since the last checkpoint; --resume finishes it."""
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", _SLOW_CHILD,
                              *walk_args(data_file, out, "--checkpoint-every", "0")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = out / CHECKPOINT_FOLDER / "state.npz"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if state.exists() and load_pivots(out) >= 3:
                break
            time.sleep(0.05)
        assert child.poll() is None, "the walk ended before it could be killed: " + child.stderr.read().decode()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists()  # killed before the end: no final files yet
    loaded = load_checkpoint(out)  # a complete checkpoint survives any kill
    assert 3 <= loaded.checkpoint.state.pivots < json.loads((reference / "summary.json").read_text())["pivots"]
    resumed = subprocess.run([sys.executable, "-m", "lpwalk", "walk", "--resume", str(out), "--no-progress"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(reference, out)
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))


def load_pivots(out) -> int:
    """Pivots of the checkpoint on disk (0 while it cannot be read yet)."""
    try:
        return load_checkpoint(out).checkpoint.state.pivots
    except (OSError, ValueError):
        return 0


def test_resume_refuses_options_that_define_the_walk(tmp_path, capsys, data_file):
    out = tmp_path / "run"
    assert main(walk_args(data_file, out, "--max-pivots", "2")) == 0
    capsys.readouterr()
    assert main(["walk", "--resume", str(out), "--pricing", "bland"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --resume takes the problem and the walk's settings from its folder; "
                   "do not give --pricing"]
    assert main(["walk", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no such folder" in capsys.readouterr().err
