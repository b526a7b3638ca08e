"""ACAI for the muddle autoencoder (train/acai.py): the critic and its two loss terms on a tiny
model, and `python -m train --model muddle --acai` with its checkpoints and --resume."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from glyph_vae.models.muddle import MuddleAutoencoder, MuddleConfig
from glyph_vae.glyphs.preprocess import normalize_glyph
from glyph_vae.testing.drawings import render_drawing
from train import fit
from train.acai import Critic, autoencoder_term, critic_loss, mixing_weights


def digits_npz(path, n_train: int = 12, n_test: int = 2):
    """A tiny MNIST-like archive of mouse-style digits (labels 0-9 only, as --model muddle needs)."""
    def make(n, seed):
        images = [np.uint8(255 * normalize_glyph(render_drawing(str(d), seed + 13 * i + d, canvas=96, brush=9)))
                  for i in range(n) for d in range(10)]
        return np.stack(images), np.tile(np.arange(10, dtype=np.uint8), n)

    x_train, y_train = make(n_train, 0)
    x_test, y_test = make(n_test, 5000)
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return digits_npz(tmp_path_factory.mktemp("acai") / "digits.npz")


def test_mixtures_pair_each_code_with_the_previous_one():
    torch.manual_seed(0)
    model = MuddleAutoencoder(MuddleConfig(channels=4))
    x = torch.rand(4, 1, 28, 28)
    alpha = torch.tensor([0.0, 0.5, 0.25, 0.1])
    out = model(x, mix=alpha)
    recon, mixed = out.recon_logits, out.mixed_logits
    assert torch.allclose(recon, model(x).recon_logits)  # the reconstruction is the plain forward pass
    assert model(x).mixed_logits is None
    z = model.encode(x)
    expected = model.decode_logits(alpha[:, None] * z + (1 - alpha[:, None]) * z.roll(1, 0))
    assert torch.allclose(mixed, expected, atol=1e-6)
    assert torch.allclose(mixed[0], model.decode_logits(z[3:4])[0], atol=1e-6)  # alpha 0: the other code


def test_each_term_trains_only_its_own_side():
    torch.manual_seed(0)
    model, critic = MuddleAutoencoder(MuddleConfig(channels=4)), Critic(4)
    x = torch.rand(6, 1, 28, 28)
    alpha = mixing_weights(6, torch.Generator().manual_seed(0), "cpu")
    assert ((alpha >= 0) & (alpha <= 0.5)).all()
    out = model(x, mix=alpha)
    recon, mixed = out.recon_logits, out.mixed_logits
    autoencoder_term(critic, mixed).backward(retain_graph=True)
    assert all(p.grad is None for p in critic.parameters())  # the critic does not learn from it
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.decoder.parameters())
    assert all(p.requires_grad for p in critic.parameters())  # unfrozen again afterwards
    model.zero_grad(set_to_none=True)
    critic_loss(critic, x, recon, mixed, alpha, gamma=0.2).backward()
    assert all(p.grad is None for p in model.parameters())  # the autoencoder does not learn from it
    assert all(p.grad is not None for p in critic.parameters())


def test_the_critic_learns_to_tell_the_mixing_weight_of_double_exposures(tiny):
    """What a plain autoencoder's midpoints look like, made by hand: pixel blends
    alpha x_i + (1 - alpha) x_(i-1) of two digits. The critic must learn to read alpha off them."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    with np.load(tiny) as data:
        x = torch.from_numpy(data["x_train"]).float().div(255).unsqueeze(1)

    def logits(images):
        return torch.logit(images.clamp(1e-3, 1 - 1e-3))

    def blends(alpha):
        a = alpha.view(-1, 1, 1, 1)
        return logits(a * x + (1 - a) * x.roll(1, 0))

    critic = Critic(4)
    opt = torch.optim.Adam(critic.parameters(), 1e-3, betas=(0.5, 0.9))
    gen = torch.Generator().manual_seed(1)
    fixed_alpha = mixing_weights(len(x), torch.Generator().manual_seed(2), "cpu")
    before = critic_loss(critic, x, logits(x), blends(fixed_alpha), fixed_alpha, 0.2).item()
    for _ in range(300):
        alpha = mixing_weights(len(x), gen, "cpu")
        loss = critic_loss(critic, x, logits(x), blends(alpha), alpha, 0.2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        after = critic_loss(critic, x, logits(x), blends(fixed_alpha), fixed_alpha, 0.2).item()
        guess = critic(torch.sigmoid(blends(fixed_alpha)))
    assert after < 0.5 * before
    # it reads the weight, not a constant: its guesses follow alpha
    assert np.corrcoef(guess.numpy(), fixed_alpha.numpy())[0, 1] > 0.7


def run(npz, out, *extra):
    return fit.main(["--model", "muddle", "--data", str(npz), "--out", str(out), "--batch-size", "32", "--seed", "3",
                     "--channels", "4", "--val-fraction", "0.1", "--threads", "1", "--augment", "0.5", *extra])


def test_training_with_acai_resumes_exactly_and_keeps_the_critic_out_of_the_model(tiny, tmp_path):
    torch.set_num_threads(1)
    whole = run(tiny, tmp_path / "whole", "--epochs", "2", "--acai", "0.5")
    run(tiny, tmp_path / "parts", "--epochs", "2", "--acai", "0.5", "--max-steps", "6")  # stopped mid-epoch
    parts = run(tiny, tmp_path / "parts", "--epochs", "2", "--acai", "0.5", "--resume")
    a, b = load_file(str(whole / "model.safetensors")), load_file(str(parts / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)  # as if never stopped
    assert not any("critic" in k for k in a)  # the saved model is the plain architecture
    MuddleAutoencoder.from_pretrained(whole)  # and loads with strict keys
    state = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)
    assert "critic" in state and "critic_optimizer" in state
    metrics = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert "train_acai_ae" in metrics[-1] and "train_acai_critic" in metrics[-1]
    recipe = json.loads((whole / "training.json").read_text())[0]["recipe"]
    assert "ACAI" in recipe and "Berthelot" in recipe
    assert "ACAI" in (whole / "README.md").read_text()
    with pytest.raises(SystemExit, match="trained with --acai"):
        run(tiny, tmp_path / "parts", "--epochs", "3", "--resume")


def test_acai_is_off_by_default_and_only_for_the_muddle_model(tiny, tmp_path):
    torch.set_num_threads(1)
    plain = run(tiny, tmp_path / "plain", "--epochs", "1")
    assert "critic" not in torch.load(tmp_path / "plain" / "checkpoint.pt", weights_only=True)
    assert "ACAI" not in json.loads((plain / "training.json").read_text())[0]["recipe"]
    with pytest.raises(SystemExit, match="--acai is for --model muddle"):
        fit.main(["--model", "digits", "--data", str(tiny), "--out", str(tmp_path / "d"), "--epochs", "1",
                  "--threads", "1", "--acai", "0.5"])


@pytest.mark.slow
def test_acai_trains_under_torchrun_with_two_processes_and_resumes(tiny, tmp_path):
    """Data-parallel (two CPU processes, gloo): the autoencoder and the critic each have one
    forward and one backward through their own DDP wrapper a step; both ranks finish, rank 0
    writes a model of the plain architecture, and --resume continues the critic too."""
    import os
    import subprocess
    import sys

    from tests.tiny_data import ROOT

    def torchrun(*args):
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "train",
                   "--model", "muddle", "--data", str(tiny), "--out", str(tmp_path / "ddp"), "--batch-size", "32",
                   "--seed", "3", "--channels", "4", "--val-fraction", "0.1", "--threads", "1", "--acai", "0.5", *args]
        result = subprocess.run(command, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-4000:]
        return result.stderr

    log = torchrun("--epochs", "2", "--max-steps", "5")
    assert "rank 1/2" in log
    log = torchrun("--epochs", "2", "--resume")
    assert "resumed from" in log
    model = MuddleAutoencoder.from_pretrained(tmp_path / "ddp" / "model")
    assert not any("critic" in k for k in model.state_dict())
    state = torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=True)
    assert state["global_step"] == 8 and "critic" in state
