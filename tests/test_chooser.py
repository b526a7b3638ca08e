"""The chooser ensemble (glyph_vae/models/chooser.py): its members, their calibration, its training
through `python -m train --model chooser`, and its place among the app's scorers."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glyph_vae.models.chooser import MEMBERS, ChooserConfig, ChooserEnsemble, fit_temperature
from glyph_vae.models.hub import ASSETS_DIR
from tests.test_acai import digits_npz
from train import fit


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return digits_npz(tmp_path_factory.mktemp("chooser") / "digits.npz", n_train=20)


def test_three_members_of_different_designs_with_independent_gradients():
    torch.manual_seed(0)
    model = ChooserEnsemble(ChooserConfig(width=4))
    x, y = torch.rand(5, 1, 28, 28), torch.arange(5)
    out = model(x)
    assert out.member_logits.shape == (5, len(MEMBERS), 10)
    kinds = [{type(m).__name__ for m in model.members[n].modules()} for n in MEMBERS]
    assert "GRU" in kinds[2] and "GRU" not in kinds[0] | kinds[1] and kinds[0] != kinds[1]
    terms = model.loss(out, x, y)
    terms[f"ce_{MEMBERS[0]}"].backward()  # one member's term moves that member alone
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.members[MEMBERS[0]].parameters())
    assert all(p.grad is None or not p.grad.any() for n in MEMBERS[1:] for p in model.members[n].parameters())
    assert torch.allclose(terms["loss"], sum(terms[f"ce_{n}"] for n in MEMBERS))


def test_temperature_recovers_a_known_overconfidence():
    rng = np.random.default_rng(1)
    z = torch.from_numpy(rng.normal(0, 2, (3000, 10))).float()
    labels = torch.multinomial(z.softmax(1), 1, generator=torch.Generator().manual_seed(1))[:, 0]
    assert fit_temperature(2.5 * z, labels) == pytest.approx(2.5, rel=0.1)


def test_training_calibrates_every_member_on_the_held_out_split(tiny, tmp_path):
    torch.set_num_threads(1)
    folder = fit.main(["--model", "chooser", "--data", str(tiny), "--out", str(tmp_path / "run"), "--epochs", "4",
                       "--batch-size", "25", "--width", "4", "--val-fraction", "0.25", "--threads", "1",
                       "--augment", "0", "--lr", "1e-2", "--seed", "1"])
    model = ChooserEnsemble.from_pretrained(folder)
    assert torch.all(model.temperatures != 1.0)
    # the saved temperatures are the NLL-optimal ones on the run's validation split
    from train.data import load_npz, split_validation

    _, val = split_validation(load_npz(tiny, "train"), 0.25, 1)
    x, y = torch.from_numpy(val.images).float().div(255).unsqueeze(1), torch.from_numpy(val.labels)
    with torch.no_grad():
        logits = model.eval()(x).member_logits
    for i in range(len(MEMBERS)):
        nll = lambda t: F.cross_entropy(logits[:, i] / t, y).item()  # noqa: E731
        best = nll(model.temperatures[i])
        assert best <= nll(1.0) + 1e-6 and best <= nll(model.temperatures[i] * 1.2) + 1e-6 and \
            best <= nll(model.temperatures[i] / 1.2) + 1e-6
    probs = model.probabilities(x)
    assert probs.shape == (len(y), len(MEMBERS), 10) and torch.allclose(probs.sum(-1), torch.ones(len(y), 3))
    recipe = json.loads((folder / "training.json").read_text())[0]
    assert recipe["epochs"] == 4


def test_the_app_chooses_with_five_scorers_of_its_own(models, confuser):
    from glyph_vae.pipelines.confuse import make_confuser

    pool = np.load(ASSETS_DIR / "muddle" / "test_digits.npz")
    assert len(confuser.predictors) == 5 and len(set(confuser.scorer_names)) == 5
    bundled = ChooserEnsemble.from_pretrained()
    x = torch.from_numpy(pool["images"]).float().div(255).unsqueeze(1)
    probs = bundled.probabilities(x).numpy()
    for i, name in enumerate(MEMBERS):
        assert (probs[:, i].argmax(1) == pool["labels"]).mean() > 0.96, name
    result = confuser.confuse(2, seed=4)
    assert result.muddle.each.shape == (5, 10)
    two = make_confuser(pool["images"], pool["labels"], glyph_vae=models.glyph_vae.model, muddle=models.muddle.model,
                        digits=models.digits.model)  # no chooser: its two scorers only
    assert len(two.predictors) == 2
