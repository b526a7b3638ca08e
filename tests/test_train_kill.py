"""Training killed with SIGKILL in the middle of an epoch, then resumed with --resume.

`python -m train` runs in a subprocess on a small data set (test_train's glyphs) and is
killed as soon as its first mid-epoch checkpoint exists. Then: the checkpoint on disk is
whole (it loads, and says it is mid-epoch), nothing else half-written is left under its
name, the resumed run continues from it, and its final weights equal an uninterrupted
run's with the same seed bit for bit (the pipeline claims an exact resume: model,
optimizer, schedule, epoch, step and random state are all in the checkpoint).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from tiny_data import ROOT, glyphs

pytestmark = pytest.mark.slow

STEPS_PER_EPOCH = 72  # 288 training glyphs (320 less the 10% validation split) in batches of 4
ARGS = ["--batch-size", "4", "--seed", "3", "--channels", "8", "--hidden", "32", "--latent-dim", "8",
        "--encoder-sees-class", "0", "--decoder-hidden", "0",  # the published architecture, as tiny_data.run
        "--kl-warmup-steps", "20", "--val-fraction", "0.1", "--lr", "3e-3", "--threads", "1", "--epochs", "2",
        "--checkpoint-every", "5"]
CHECKPOINT_WAIT_S = 300  # as long as finish() gives a whole run, of which this is 5 steps


@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    x_train, y_train = glyphs(40, 0)
    x_test, y_test = glyphs(2, 10_000)
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def train(npz, out, *extra) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "train", "--data", str(npz), "--out", str(out), *ARGS, *extra],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]


def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(npz, tmp_path):
    killed = tmp_path / "killed"
    proc = train(npz, killed)
    checkpoint = killed / "checkpoint.pt"
    # The first mid-epoch checkpoint; a run that ends without one fails, and so does one that
    # writes none in the time a whole run takes (stopped here, not left running after the test).
    deadline = time.monotonic() + CHECKPOINT_WAIT_S
    while not checkpoint.exists():
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(30)
            pytest.fail(f"no checkpoint within {CHECKPOINT_WAIT_S} s:\n{proc.stderr.read()[-3000:]}")
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    # What the kill left: a whole checkpoint from the middle of the first epoch, no final model,
    # and at most a temp file (never the checkpoint's own name) if the kill hit a write.
    state = torch.load(checkpoint, weights_only=True)
    assert state["epoch"] == 0 and 0 < state["step_in_epoch"] < STEPS_PER_EPOCH, \
        (state["epoch"], state["step_in_epoch"])
    assert state["global_step"] % 5 == 0
    assert not (killed / "model" / "model.safetensors").exists()
    leftovers = {p.name for p in killed.iterdir()} - {"checkpoint.pt", "metrics.jsonl", "command.txt"}
    assert all(name.startswith(".checkpoint.pt.") and name.endswith(".tmp") for name in leftovers), leftovers

    resumed = train(npz, killed, "--resume")
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    assert f"resumed from {checkpoint}: epoch 0, step {state['step_in_epoch']}/{STEPS_PER_EPOCH}" in err

    straight = tmp_path / "straight"
    finish(train(npz, straight))

    a = load_file(straight / "model" / "model.safetensors")
    b = load_file(killed / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    records = [json.loads(line) for line in (killed / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["epoch"] == 2 and records[-1]["epoch_complete"]
    assert not list((killed / "model").glob(".*.tmp"))
