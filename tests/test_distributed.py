"""The training command under torchrun with two CPU processes (gloo): both ranks train on
disjoint equal shards, rank 0 alone writes, resume is exact, and the result equals one
process with the same global batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from tiny_data import ROOT, glyphs
from train import fit
from train.distributed import World, launch_command, shard, usable_length

# 160 glyphs, 10% held out: 144 to train on, 4 full global batches of 32 and a last one of
# 16 that splits 8 + 8. No augmentation and a model without sampling noise or dropout,
# so one process and two must agree up to the order of float sums.
COMMON = ["--batch-size", "32", "--seed", "3", "--val-fraction", "0.1", "--lr", "3e-3", "--threads", "1"]
MUDDLE = ["--model", "muddle", "--channels", "4", "--latent-dim", "4", "--augment", "0", "--epochs", "2"]
GLYPH_VAE = ["--channels", "8", "--hidden", "32", "--latent-dim", "8", "--encoder-sees-class", "0", "--decoder-hidden", "0",
             "--kl-warmup-steps", "20", "--epochs", "2"]
TOLERANCE = 1e-4  # relative; measured: losses 3e-8, weights 6e-6 (float summation order only)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    x, y = glyphs(40, 0)
    np.savez_compressed(folder / "chars.npz", x_train=x, y_train=y)
    digits = y < 10  # the muddle autoencoder trains on digits only
    np.savez_compressed(folder / "digits.npz", x_train=x[digits][:160], y_train=y[digits][:160])
    return folder


def torchrun(out: Path, *args: str) -> str:
    """`torchrun --standalone --nproc_per_node=2 -m train ...`; returns its stderr."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "train", "--out", str(out), *COMMON, *args]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stderr


def metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_two_processes_train_like_one_with_the_same_global_batch(data, tmp_path):
    fit.main(["--data", str(data / "digits.npz"), "--out", str(tmp_path / "one"), *COMMON, *MUDDLE])
    log = torchrun(tmp_path / "two", "--data", str(data / "digits.npz"), *MUDDLE)

    # Both ranks took part, each with half of every global batch; rank 0 alone logged.
    assert "rank 0/2: 16 images of each 32-image batch, 72 per epoch" in log
    assert "rank 1/2: 16 images of each 32-image batch, 72 per epoch" in log
    assert log.count("data: 144 train") == 1
    one, two = metrics(tmp_path / "one"), metrics(tmp_path / "two")
    assert len(two) == 2 and all(r["processes"] == 2 and r["epoch_complete"] for r in two)
    assert [r["global_step"] for r in two] == [r["global_step"] for r in one] == [5, 10]
    for a, b in zip(one, two):
        for key in ("train_loss", "val_recon"):
            assert abs(a[key] - b[key]) <= TOLERANCE * abs(a[key]), (key, a[key], b[key])
    weights_one = load_file(tmp_path / "one" / "model" / "model.safetensors")
    weights_two = load_file(tmp_path / "two" / "model" / "model.safetensors")
    for key, value in weights_one.items():  # centroids too: fitted on every rank from equal weights
        assert torch.allclose(value, weights_two[key], rtol=TOLERANCE, atol=1e-6), key


@pytest.mark.slow
def test_checkpoint_is_written_once_and_resumes_exactly(data, tmp_path):
    chars = ["--data", str(data / "chars.npz"), *GLYPH_VAE]  # with augmentation and sampling noise
    torchrun(tmp_path / "straight", *chars)
    torchrun(tmp_path / "broken", *chars, "--max-steps", "13", "--checkpoint-every", "4")
    state = torch.load(tmp_path / "broken" / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 1 and state["step_in_epoch"] == 4 and state["world_size"] == 2
    # Each rank's own random streams are saved, and they differ (no shared noise).
    assert len(state["rng"]) == 2 and not torch.equal(state["rng"][0]["torch"], state["rng"][1]["torch"])
    assert not torch.equal(state["rng"][0]["generator"], state["rng"][1]["generator"])

    log = torchrun(tmp_path / "broken", *chars, "--resume")
    assert log.count("resumed from") == 1
    a = load_file(tmp_path / "straight" / "model" / "model.safetensors")
    b = load_file(tmp_path / "broken" / "model" / "model.safetensors")
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert [r["epoch"] for r in metrics(tmp_path / "straight")] == [1, 2]  # one writer: no duplicate lines
    assert (tmp_path / "straight" / "command.txt").read_text().startswith("torchrun --nproc_per_node=2 -m train ")
    assert not list((tmp_path / "broken").glob(".*.tmp"))


def test_shards_are_equal_disjoint_and_cover_the_usable_batch():
    two = [World(rank=r, size=2, local_size=2) for r in range(2)]
    assert usable_length(139, two[0]) == 138 and usable_length(139, World()) == 139
    order = torch.randperm(138)
    for start in range(0, 138, 32):  # the last batch has 10 images: 5 per rank
        batch = order[start:start + 32]
        parts = [shard(batch, world) for world in two]
        assert len(parts[0]) == len(parts[1]) == len(batch) // 2
        assert torch.equal(torch.cat(parts), batch)
    assert launch_command(World()) == "python -m train"
    assert launch_command(World(rank=5, size=8, local_rank=1, local_size=4)) == \
        "torchrun --nnodes=2 --nproc_per_node=4 -m train"


def test_global_batch_must_split_evenly(data, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")  # checked before any process group is joined
    with pytest.raises(SystemExit, match="multiple of the number of processes"):
        fit.main(["--data", str(data / "digits.npz"), "--out", str(tmp_path), *COMMON, *MUDDLE])
