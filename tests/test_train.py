"""The training pipeline on a small data set made here: it learns, logs, checkpoints and resumes exactly."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from glyph_vae import GlyphVAE
from glyph_vae.models.model import CHARSET
from train import fit
from train.data import load_source, parse_label_map
from tiny_data import run, write_npz

@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    return write_npz(tmp_path_factory.mktemp("data") / "tiny.npz")


def metrics(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_training_lowers_the_loss_and_writes_a_loadable_model(npz, tmp_path):
    model_dir = run(npz, tmp_path, "--epochs", "8")
    records = metrics(tmp_path)
    assert [r["epoch"] for r in records] == list(range(1, 9)) and all(r["epoch_complete"] for r in records)
    assert records[-1]["train_loss"] < 0.8 * records[0]["train_loss"]
    assert records[-1]["val_recon"] < records[0]["val_recon"]
    assert records[-1]["val_acc"] > records[0]["val_acc"]
    for key in ("val_kl", "val_ce", "val_active_dims", "images_per_s", "lr"):
        assert key in records[-1]
    model = GlyphVAE.from_pretrained(model_dir)
    assert model.config.channels == 8
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_a_model_switch_on_the_command_line_is_a_bool(tmp_path, capsys):
    common = ["--data", "x.npz", "--out", str(tmp_path)]
    for given, wanted in (("1", True), ("true", True), ("on", True), ("0", False), ("False", False)):
        _, config = fit.parse_args([*common, "--encoder-sees-class", given])
        assert config.encoder_sees_class is wanted, given
    assert fit.parse_args(common)[1].encoder_sees_class is True  # the shipped model's
    assert fit.parse_args([*common, "--channels", "8"])[1].channels == 8  # widths stay whole numbers
    with pytest.raises(SystemExit):
        fit.parse_args([*common, "--encoder-sees-class", "2"])
    assert "expected 1 or 0 (true or false), not '2'" in capsys.readouterr().err


def test_resume_continues_exactly_where_the_checkpoint_left_off(npz, tmp_path):
    straight = tmp_path / "straight"
    run(npz, straight, "--epochs", "2")
    broken = tmp_path / "broken"
    run(npz, broken, "--epochs", "2", "--max-steps", "13")  # stops mid-way through epoch 2
    state = torch.load(broken / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 1 and 0 < state["step_in_epoch"] < 10
    run(npz, broken, "--epochs", "2", "--resume")
    a = load_file(straight / "model" / "model.safetensors")
    b = load_file(broken / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert metrics(broken)[-1]["epoch"] == 2


def test_resume_without_checkpoint_or_with_another_config_fails_clearly(npz, tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint"):
        run(npz, tmp_path, "--epochs", "1", "--resume")
    run(npz, tmp_path, "--epochs", "1")
    with pytest.raises(SystemExit, match="config"):
        fit.main(["--data", str(npz), "--out", str(tmp_path), "--epochs", "2", "--resume", "--channels", "4"])


def parquet_dataset(folder, images, labels):
    """A local dataset in ylecun/mnist's layout: an `image` column and an integer `label`
    column; the images are dark on light PNGs, to show they go through the same normalisation."""
    datasets = pytest.importorskip("datasets")
    from PIL import Image

    (folder / "data").mkdir(parents=True)
    ds = datasets.Dataset.from_dict({"image": [Image.fromarray(255 - im) for im in images], "label": labels})
    ds = ds.cast_column("image", datasets.Image())
    ds.to_parquet(str(folder / "data" / "train-00000-of-00001.parquet"))
    return folder


@pytest.fixture
def offline_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))


def test_hugging_face_dataset_from_local_parquet(npz, tmp_path, offline_datasets):
    with np.load(npz) as archive:
        x, y = archive["x_train"][:64], archive["y_train"][:64]
    folder = parquet_dataset(tmp_path / "letters", x, (y % 4).tolist())

    loaded = load_source(str(folder), "train", label_offset=10)
    assert len(loaded) == 64 and set(loaded.labels.tolist()) <= {10, 11, 12, 13}
    ink = loaded.images.reshape(64, -1)
    assert ink[:, 0].max() == 0 and ink.max() == 255  # normalised: white ink on black

    with pytest.raises(ValueError, match="0..61"):
        load_source(str(folder), "train", label_offset=60)

    run(folder, tmp_path / "run", "--epochs", "1", "--label-offset", "10")
    assert metrics(tmp_path / "run")[0]["epoch_complete"]


def test_label_map_reads_a_letters_only_set_as_capitals(npz, tmp_path, offline_datasets):
    with np.load(npz) as archive:
        x, y = archive["x_train"][:64], archive["y_train"][:64]
    # EMNIST Letters labels a/A as 1 ... z/Z as 26; here 1-4 stand for A-D.
    folder = parquet_dataset(tmp_path / "emnist-letters", x, (y % 4 + 1).tolist())
    letters = load_source(str(folder), "train", label_map=parse_label_map("letters"))
    assert set(letters.labels.tolist()) == {10, 11, 12, 13}  # A-D in the 62-class set
    lower = load_source(str(folder), "train", label_map=parse_label_map("1:36,2:37,3:38,4:39"))
    assert set(lower.labels.tolist()) == {36, 37, 38, 39}  # a-d
    assert np.array_equal(lower.labels - 26, letters.labels)
    with pytest.raises(ValueError, match=r"labels \[3, 4\] are not in --label-map"):
        load_source(str(folder), "train", label_map=parse_label_map("1:10,2:11"))
    with pytest.raises(ValueError, match="expected a preset"):
        parse_label_map("A=10")

    run(folder, tmp_path / "run", "--epochs", "1", "--label-map", "letters")
    assert metrics(tmp_path / "run")[0]["epoch_complete"]


def test_prior_shift_corrects_logits_to_the_target_frequencies(npz, tmp_path):
    from train import prior

    counts_train, counts_target = np.array([9.0, 29.0]), np.array([19.0, 19.0])
    shift = prior.prior_shift(counts_train, counts_target).numpy()
    assert np.allclose(shift, np.log([0.5, 0.5]) - np.log([0.25, 0.75]))

    torch.manual_seed(0)
    model = GlyphVAE(__import__("glyph_vae").GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4))
    model.save_pretrained(tmp_path)
    x = torch.rand(2, 1, 28, 28)
    before = model.eval().encode(x)[0]
    target = tmp_path / "target.npz"
    with np.load(npz) as archive:  # a target set with only the letters A-D
        keep = archive["y_train"] >= 10
        np.savez(target, x_train=archive["x_train"][keep], y_train=archive["y_train"][keep])
    prior.main([str(tmp_path), "--train", str(npz), "--target", str(target)])
    loaded = GlyphVAE.from_pretrained(tmp_path)
    after = loaded.encode(x)[0]
    assert torch.allclose(after - before, loaded.class_prior_shift.expand_as(after), atol=1e-5)
    assert loaded.class_prior_shift[10] > 0 > loaded.class_prior_shift[0]  # letters up, digits down


def test_tune_decoder_makes_other_styles_legible_and_leaves_the_reader_alone(npz, tmp_path):
    from train import tune_decoder

    model_dir = run(npz, tmp_path / "base", "--epochs", "40", "--decoder-hidden", "32", "--encoder-sees-class", "1")
    before = GlyphVAE.from_pretrained(model_dir).eval()
    classes = torch.tensor([0, 1, 2, 3, 10, 11, 12, 13])
    tuned_dir = tune_decoder.main([str(model_dir), "--out", str(tmp_path / "tuned"), "--data", str(npz),
                                   "--epochs", "4", "--batch-size", "32", "--lr", "3e-3", "--threads", "1"])
    after = GlyphVAE.from_pretrained(tuned_dir).eval()
    old, new = before.state_dict(), after.state_dict()
    reader = [k for k in old if k.startswith(("encoder.", "class_head.", "latent_head.", "class_prior_shift"))]
    drawer = [k for k in old if k.startswith(("decoder.", "class_and_z_to_features."))]
    assert reader and drawer and len(reader) + len(drawer) == len(old)
    assert all(torch.equal(old[k], new[k]) for k in reader)  # reading and every inferred style unchanged
    assert any(not torch.equal(old[k], new[k]) for k in drawer)
    # Glyphs drawn from z ~ N(0, I) read as the character asked for more often.
    assert tune_decoder.legibility(after, classes) > tune_decoder.legibility(before, classes) + 0.05
    steps = json.loads((tuned_dir / "training.json").read_text())  # how the weights were made, for the card
    assert [s["step"] for s in steps] == ["train", "tune_decoder"]
    record = steps[-1]
    assert record["epochs"] == 4 and record["legibility_after"] > record["legibility_before"]
    assert record["command"].startswith("python -m train.tune_decoder ") and "--epochs 4" in record["command"]
    card = (tuned_dir / "README.md").read_text()
    assert "the decoder alone was fine-tuned for 4 epochs" in card and "--epochs 4" in card
    assert "Not evaluated yet" in card  # the run's figures describe the weights before tuning


def test_tune_decoder_accepts_the_readings_people_would_and_inks_like_the_app():
    from glyph_vae.pipelines.style import full_strength, ink
    from glyph_vae.models.model import CHARSET
    from train.tune_decoder import ink_for_training, reading_nll

    def read_as(char):
        logits = torch.full((1, 62), -10.0)
        logits[0, CHARSET.index(char)] = 10.0
        return logits

    def nll(asked, read):
        return float(reading_nll(read_as(read), torch.tensor([CHARSET.index(asked)])))

    assert nll("c", "C") < 1e-3 and nll("x", "X") < 1e-3  # same shape, only the size differs
    assert nll("l", "1") < 1e-3 and nll("O", "0") < 1e-3  # shapes people cannot tell apart either
    assert nll("D", "C") > 15
    assert nll("l", "L") > 15 and nll("I", "i") > 15 and nll("a", "A") > 15  # here case is shape

    # one faint glyph (a row of pixels) and one sure of its strokes
    p = torch.tensor([[[0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45]], [[0.0, 0.1, 0.3, 0.45, 0.6, 0.9, 1.0]]],
                     requires_grad=True)
    inked = ink_for_training(p)
    app = ink(full_strength(p.detach().numpy()))
    assert np.allclose(inked.detach().numpy(), app)  # forward: exactly the app's ink
    assert app[0].max() > ink(p.detach().numpy()[0]).max()  # the faint glyph brought to full strength
    inked.sum().backward()
    assert p.grad[1, 0, 1] > 0  # a faint pixel still learns it should be ink (the hard curve is flat there)


def test_the_card_tells_every_step_of_the_training_record(tmp_path):
    from train.cards import write_card

    torch.manual_seed(0)
    model = GlyphVAE(__import__("glyph_vae").GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4))
    model.files = {"training.json": json.dumps([
        {"step": "train", "command": "python -m train --out r --epochs 3", "epochs": 3, "seconds": 120.0,
         "images_per_s": 900.0, "processes": 2, "recipe": "AdamW"},
        {"step": "tune_decoder", "command": "python -m train.tune_decoder m --epochs 3", "epochs": 3,
         "legibility_weight": 40.0, "legibility_before": 0.611, "legibility_after": 0.962}]).encode()}
    text = write_card(model, tmp_path, model_id="someone/glyphs").read_text()
    assert "3 epochs, 2 minutes on 2 processes (900 images/s median). AdamW." in text
    assert "61.1% before, 96.2% after" in text and "python -m train.tune_decoder m --epochs 3" in text
    assert 'GlyphVAE.from_pretrained("someone/glyphs")' in text and "{" not in text.split("```json")[0]
    from huggingface_hub import ModelCard

    data = ModelCard.load(tmp_path / "README.md").data  # the metadata parses as the Hub reads it
    assert data.license == "mit" and data.library_name == "pytorch" and "emnist" in data.datasets


def test_tune_head_changes_only_the_class_head(npz, tmp_path):
    from train import tune_head

    torch.manual_seed(0)
    GlyphVAE(__import__("glyph_vae").GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4)).save_pretrained(tmp_path)
    before = GlyphVAE.from_pretrained(tmp_path).state_dict()
    tune_head.main([str(tmp_path), "--data", str(npz), "--epochs", "2", "--batch-size", "32", "--lr", "1e-2",
                    "--threads", "1"])
    after = GlyphVAE.from_pretrained(tmp_path).state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith("class_head.") for k in changed)


def test_tune_head_with_a_reader_of_its_own_keeps_every_other_weight_and_resumes(npz, tmp_path):
    from glyph_vae import GlyphVAEConfig
    from train import tune_head

    torch.manual_seed(0)
    GlyphVAE(GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4)).save_pretrained(tmp_path / "m")
    before = GlyphVAE.from_pretrained(tmp_path / "m").state_dict()
    common = ["--data", str(npz), "--batch-size", "32", "--lr", "1e-2", "--threads", "1",
              "--reader-channels", "4", "--checkpoint", str(tmp_path / "head.pt")]
    tune_head.main([str(tmp_path / "m"), "--epochs", "1", *common])
    one_epoch = torch.load(tmp_path / "head.pt", weights_only=True)
    assert one_epoch["epoch"] == 1 and len(one_epoch["history"]) == 1

    tune_head.main([str(tmp_path / "m"), "--epochs", "2", "--resume", *common])
    model = GlyphVAE.from_pretrained(tmp_path / "m")
    assert model.config.reader_channels == 4 and model.reader is not None
    after = model.state_dict()
    for key, value in before.items():
        if not key.startswith("class_head."):
            assert torch.equal(value, after[key]), key  # the posterior and the decoder stay
    record = json.loads((tmp_path / "m" / "training.json").read_text())[-1]
    assert record["step"] == "tune_head" and record["reader_channels"] == 4
    # the resumed run carried the first epoch's record on and added the second
    assert [h["epoch"] for h in record["history"]] == [1, 2]
    assert record["history"][0] == one_epoch["history"][0]
    assert all(0 <= h["val_accuracy"] <= 1 for h in record["history"])


def test_the_reader_recipe_adamw_one_cycle_moved_augmentation_and_a_feature_width(tmp_path, npz):
    from glyph_vae import GlyphVAEConfig
    from train import tune_head
    from train.augment import augment_reader

    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0
    moved = augment_reader(x, torch.Generator().manual_seed(0), probability=1.0)
    assert moved.shape == x.shape and 0 <= moved.min() and moved.max() <= 1
    assert (moved - x).abs().flatten(1).sum(1).gt(1).float().mean() > 0.9  # nearly every glyph changed
    assert torch.equal(augment_reader(x, torch.Generator().manual_seed(0), probability=0.0, stroke_share=0.0), x)

    torch.manual_seed(0)
    GlyphVAE(GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4)).save_pretrained(tmp_path / "m")
    tune_head.main([str(tmp_path / "m"), "--epochs", "1", "--data", str(npz), "--batch-size", "32", "--threads", "1",
                    "--reader-channels", "4", "--reader-hidden", "12", "--optimizer", "adamw", "--lr", "3e-3",
                    "--augment-recipe", "moved", "--augment", "0.75", "--checkpoint", str(tmp_path / "head.pt")])
    model = GlyphVAE.from_pretrained(tmp_path / "m")
    assert model.config.reader_hidden == 12 and model.class_head[0].out_features == 12
    record = json.loads((tmp_path / "m" / "training.json").read_text())[-1]
    assert record["optimizer"] == "adamw" and record["augment_recipe"] == "moved"


def test_drawn_glyphs_for_the_reader_are_read_as_classify_reads_them_and_never_the_test_sets(tmp_path, npz):
    from glyph_vae import GlyphVAEConfig
    from glyph_vae.glyphs.preprocess import normalize_glyph
    from glyph_vae.testing.drawings import TEST_SEED, drawing_set
    from train import tune_head

    glyphs, labels = tune_head.drawn_glyphs(2, seed=5)
    assert glyphs.shape == (124, 28, 28) and glyphs.dtype == torch.uint8
    assert [CHARSET[int(k)] for k in labels[::2]] == list(CHARSET)
    char, image = drawing_set(per_char=2, seed=5)[3]
    assert CHARSET[int(labels[3])] == char
    assert np.abs(glyphs[3].numpy() / 255 - normalize_glyph(image)).max() <= 0.5 / 255 + 1e-6
    with pytest.raises(SystemExit, match="test set's seed"):
        tune_head.drawn_glyphs(1, seed=TEST_SEED)

    torch.manual_seed(0)
    GlyphVAE(GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4)).save_pretrained(tmp_path / "m")
    tune_head.main([str(tmp_path / "m"), "--epochs", "1", "--data", str(npz), "--batch-size", "64", "--threads", "1",
                    "--drawn", "1", "--checkpoint", str(tmp_path / "head.pt")])
    record = json.loads((tmp_path / "m" / "training.json").read_text())[-1]
    assert record["drawn_per_char"] == 1
