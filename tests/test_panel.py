"""The benchmark's panel of readers (bench/panel.py) and the definition of a good muddle."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from bench import panel
from bench.muddle import Tally
from glyph_vae.pipelines.confuse import (Frame, MuddleResult, is_between, is_good_muddle, mid_grey_share,
                                         mutual_information, reads_as_pair)
from glyph_vae.models.hub import ASSETS_DIR
from glyph_vae.glyphs.preprocess import normalize_glyph
from glyph_vae.testing.drawings import render_drawing


def tiny_digits(n_per_digit: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mouse-style drawings of the ten digits, normalised: (N, 1, 28, 28) in [0, 1], labels."""
    images, labels = [], []
    for i in range(n_per_digit):
        for d in range(10):
            images.append(normalize_glyph(render_drawing(str(d), seed + 17 * i + d, canvas=96, brush=9)))
            labels.append(d)
    return torch.from_numpy(np.stack(images)).float().unsqueeze(1), torch.tensor(labels)


@pytest.fixture(scope="module")
def digits():
    return tiny_digits(12, 0)


def test_five_members_of_different_architectures():
    nets = [panel.Member(name).net for name in panel.MEMBERS]
    assert len(nets) >= 5
    kinds = [tuple(sorted({type(m).__name__ for m in net.modules()})) for net in nets]
    assert len(set(kinds)) == len(kinds)  # no two members are built of the same layers
    assert len({seed for _, seed, _, _ in panel.MEMBERS.values()}) == len(panel.MEMBERS)
    for net in nets:
        assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_training_is_reproducible_with_its_seed(digits):
    torch.set_num_threads(1)
    x, y = digits
    first = panel.train_member("lenet5", x, y, epochs=2, batch_size=30, log=lambda *_: None)
    second = panel.train_member("lenet5", x, y, epochs=2, batch_size=30, log=lambda *_: None)
    other = panel.train_member("lenet5", x, y, seed=99, epochs=2, batch_size=30, log=lambda *_: None)
    a, b, c = first.state_dict(), second.state_dict(), other.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_temperature_recovers_a_known_overconfidence():
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.normal(0, 2, (4000, 10))).float()
    labels = torch.multinomial(z.softmax(1), 1, generator=torch.Generator().manual_seed(0))[:, 0]
    # softmax(z) is calibrated for these labels; logits 3z are three times too sharp.
    t = panel.fit_temperature(3 * z, labels)
    assert t == pytest.approx(3.0, rel=0.1)
    before = panel.expected_calibration_error((3 * z).softmax(1).numpy(), labels.numpy())
    after = panel.expected_calibration_error((3 * z / t).softmax(1).numpy(), labels.numpy())
    assert after < 0.03 < before


def test_expected_calibration_error_on_hand_made_readings():
    probs = np.array([[0.9, 0.1] + [0] * 8] * 10)  # 90% sure, right 9 times in 10: calibrated
    labels = np.array([0] * 9 + [1])
    assert panel.expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-9)
    labels = np.array([0] * 5 + [1] * 5)  # right half the time: off by 0.4
    assert panel.expected_calibration_error(probs, labels) == pytest.approx(0.4)


def test_calibration_on_a_held_out_split_lowers_its_error(digits, tmp_path):
    torch.set_num_threads(1)
    x, y = digits
    fit, held = panel.held_out_split(len(y), fraction=0.3, seed=1)
    assert not set(fit) & set(held) and len(fit) + len(held) == len(y)
    member = panel.train_member("mlp", x[fit], y[fit], epochs=40, batch_size=21, log=lambda *_: None)
    logits = panel.logits_of(member, x[held])
    nll_before = torch.nn.functional.cross_entropy(logits, y[held])
    report = panel.calibrate(member, x[held], y[held])
    nll_after = torch.nn.functional.cross_entropy(logits / member.temperature, y[held])
    assert report["temperature"] != 1.0 and nll_after < nll_before
    assert report["ece_after"] < report["ece_before"]
    # saved and loaded with its temperature, strict keys
    panel.save(member, tmp_path)
    loaded = panel.load(tmp_path, names=("mlp",)).members["mlp"]
    assert float(loaded.temperature) == report["temperature"]
    assert torch.equal(loaded.probabilities(x[:5]), member.probabilities(x[:5]))


def test_loading_refuses_weights_of_another_architecture(tmp_path):
    from safetensors.torch import save_file

    save_file(panel.Member("lenet5").state_dict(), str(tmp_path / "mlp.safetensors"))
    with pytest.raises(RuntimeError, match="state_dict"):
        panel.load(tmp_path, names=("mlp",))


def test_committed_panel_reads_mnist_and_is_calibrated():
    pool = np.load(ASSETS_DIR / "muddle" / "test_digits.npz")  # 1,000 MNIST test digits
    x = torch.from_numpy(pool["images"]).float().div(255).unsqueeze(1)
    committed = panel.load()
    each = committed.probabilities(x).numpy()  # (N, members, 10)
    assert each.shape == (1000, len(panel.MEMBERS), 10)
    sizes = sum(panel.weights_path(n).stat().st_size for n in panel.MEMBERS)
    assert sizes < 4e6
    for m, name in enumerate(committed.names):
        probs = each[:, m]
        assert (probs.argmax(1) == pool["labels"]).mean() > 0.97, name
        assert panel.expected_calibration_error(probs, pool["labels"]) < 0.03, name
        assert float(committed.members[name].temperature) != 1.0, name


def reading(pairs: dict[int, float]) -> np.ndarray:
    p = np.zeros(10)
    for k, v in pairs.items():
        p[k] = v
    return p


GOOD = np.stack([reading({3: 0.5, 5: 0.45, 8: 0.05}), reading({3: 0.4, 5: 0.5, 8: 0.1}),
                 reading({3: 0.6, 5: 0.38, 2: 0.02})])
ONE_SEES_AN_8 = np.stack([reading({3: 0.5, 5: 0.5}), reading({3: 0.5, 8: 0.26, 5: 0.24}),
                          reading({3: 0.45, 5: 0.55})])  # the mean is between, one reader is not
LOPSIDED = np.stack([reading({3: 0.8, 5: 0.2})] * 3)
JUNK = np.stack([reading({3: 0.42, 5: 0.4, 1: 0.18})] * 3)  # mean mass 0.82 < 0.9


@pytest.mark.parametrize("each, good", [(GOOD, True), (ONE_SEES_AN_8, False), (LOPSIDED, False), (JUNK, False)])
def test_the_chooser_and_the_benchmark_define_good_alike(each, good):
    assert is_good_muddle(each, 3, 5) is good and is_good_muddle(each, 5, 3) is good
    if each is ONE_SEES_AN_8:
        assert is_between(each.mean(0), 3, 5)  # the mean alone would pass
    # the app's verdict on a result whose muddle its scorers read as `each`
    frame = Frame(0.5, np.zeros((28, 28)), each.mean(0), each)
    result = MuddleResult(3, 5, np.zeros((28, 28)), np.zeros((28, 28)), np.zeros(10), np.zeros(10),
                          [frame], frame, refined=False)
    assert result.good is good and result.summary()["good_muddle"] is good
    # the benchmark's tally of the same reading
    tally = Tally()
    assert tally.add(np.zeros((28, 28)), each, 3, 5, path_each=[each]) is good
    assert tally.figures(real_grey=1.0)["good"] == tally.figures(real_grey=1.0)["path"] == float(good)


def test_every_reader_must_see_the_pair():
    assert reads_as_pair(reading({3: 0.5, 5: 0.31, 8: 0.19}), 3, 5)
    assert not reads_as_pair(reading({3: 0.5, 5: 0.29, 8: 0.21}), 3, 5)  # mass 0.79
    assert not reads_as_pair(reading({3: 0.5, 8: 0.3, 5: 0.2}), 3, 5)  # 8 is second


def test_mutual_information_is_low_when_readers_agree_on_the_split():
    agree = np.stack([reading({3: 0.5, 5: 0.5})] * 5)
    split = np.stack([reading({3: 1.0}), reading({5: 1.0})] * 2 + [reading({3: 0.5, 5: 0.5})])
    assert mutual_information(agree) == pytest.approx(0.0, abs=1e-9)
    assert mutual_information(split) > 0.4  # each reader sure, of different digits


def test_mid_grey_share_of_pen_strokes_and_of_a_blur():
    stroke = np.zeros((28, 28), np.float32)
    stroke[4:24, 12:16] = 1.0
    stroke[4:24, 11] = stroke[4:24, 16] = 0.5  # an anti-aliased edge
    assert mid_grey_share(stroke[None]) == pytest.approx(40 / 120, abs=0.02)
    blur = np.zeros((28, 28), np.float32)
    blur[4:24, 8:20] = 0.5
    blur[10:18, 12:16] = 1.0
    assert mid_grey_share(blur[None]) > 0.8


def test_a_muddle_run_is_recorded_from_what_the_benchmark_measured(tmp_path, monkeypatch):
    import json

    from bench import training_runs

    records = tmp_path / "runs.jsonl"
    records.write_text("")
    monkeypatch.setattr(training_runs, "RECORDS", records)
    model = tmp_path / "model"
    model.mkdir()
    (model / "training.json").write_text(json.dumps([{"step": "train", "command": "python -m train --acai 0.5",
                                                      "epochs": 8, "seconds": 1800}]))
    tally = {"good": 0.5, "path": 0.8, "all_read": 0.7, "mid_grey_ratio": 1.3}
    figures = tmp_path / "figures.json"
    figures.write_text(json.dumps({"ours": tally, "midpoint": {"good": 0.1}, "far": {"good": 0.05}, "runs": 500}))
    record = training_runs.record_muddle(model, figures, note="ACAI", bundled=False)
    assert record["good"] == 0.5 and record["epochs"] == "8" and record["seconds"] == 1800
    row = training_runs.section(training_runs.records()).split("far from both good")[1]
    assert "python -m train --acai 0.5" in row and "50.00%" in row and "1.30x" in row and "30 min" in row
