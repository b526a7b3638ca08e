"""GlyphVAE shapes, loss terms, and Hugging Face style saving and strict loading."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from glyph_vae import CHARSET, GlyphVAE, GlyphVAEConfig, ModelLoadError, bundled_path, glyph_vae_loss, read


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GlyphVAE(GlyphVAEConfig.published())


def test_the_configs_defaults_are_the_shipped_models_and_an_older_config_loads_as_it_was_saved(tmp_path):
    """GlyphVAEConfig() is the shipped architecture but for its reader, which `train.tune_head`
    adds after training; a config saved before the additions existed loads with them off."""
    shipped = json.loads((bundled_path("glyph_vae") / "config.json").read_text())
    shipped.pop("model_type")
    assert shipped["reader_channels"] == 32 and GlyphVAEConfig().reader_channels == 0
    assert GlyphVAEConfig(**shipped) == GlyphVAEConfig(reader_channels=32, reader_hidden=256)
    published = GlyphVAEConfig.published(latent_dim=8)
    GlyphVAE(published).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    for key in GlyphVAEConfig.ABSENT_MEANS:  # as written before these fields existed
        del config[key]
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert GlyphVAE.from_pretrained(tmp_path).config == published  # strict keys: the same weights load


@pytest.mark.parametrize("folder", ["digit_classifier", "muddle", "chooser"])
def test_the_other_models_config_defaults_are_the_shipped_ones(folder):
    from glyph_vae.models.registry import model_class_for

    cls = model_class_for(bundled_path(folder))
    shipped = json.loads((bundled_path(folder) / "config.json").read_text())
    assert shipped.pop("model_type") == cls.model_type
    assert cls.config_class(**shipped) == cls.config_class()
    assert cls.from_pretrained().config == cls.config_class()  # strict keys and shapes


def test_charset_is_emnist_byclass_order():
    assert len(CHARSET) == 62 and CHARSET[:10] == "0123456789" and CHARSET[10] == "A" and CHARSET[36] == "a"


def test_the_published_architectures_shapes(model):
    x = torch.rand(5, 1, 28, 28)
    logits, mu, logvar = model.encode(x)
    assert logits.shape == (5, 62) and mu.shape == (5, 64) and logvar.shape == (5, 64)
    assert model.encoder(x).shape == (5, 32 * 7 * 7)  # the published architecture's 1568 features
    assert model.decode(torch.arange(5), mu).shape == (5, 1, 28, 28)
    # its layer sizes
    assert model.class_head[0].in_features == 1568 and model.class_head[0].out_features == 128
    assert model.latent_head.out_features == 128
    assert model.z_to_features.in_features == 64 and model.z_to_features.out_features == 1568


def test_decoder_uses_the_requested_class_not_a_guess(model):
    z = torch.randn(3, 64)
    y = torch.tensor([4, 20, 50])
    one_hot = F.one_hot(y, 62).float()
    assert torch.allclose(model.decode(y, z), model.decode(one_hot, z))
    assert not torch.allclose(model.decode(torch.tensor([4, 4, 4]), z), model.decode(y, z))


def test_widths_are_config_fields():
    wide = GlyphVAE(GlyphVAEConfig.published(channels=64, hidden=256, latent_dim=16))
    logits, mu, _ = wide.encode(torch.rand(2, 1, 28, 28))
    assert mu.shape == (2, 16) and wide.encoder(torch.rand(1, 1, 28, 28)).shape == (1, 64 * 49)


def test_loss_terms_are_per_image_sums(model):
    model.eval()
    x = torch.rand(4, 1, 28, 28)
    y = torch.tensor([1, 2, 3, 4])
    out = model(x, y)
    terms = glyph_vae_loss(out, x, y, kl_weight=1.0, class_weight=2.0)
    recon = F.binary_cross_entropy_with_logits(out.recon_logits, x, reduction="sum") / 4
    mu, logvar = out.mu, out.logvar
    kl = (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).sum() / 4
    ce = F.cross_entropy(out.class_logits, y)
    assert torch.allclose(terms["recon"], recon, rtol=1e-5)
    assert torch.allclose(terms["kl"], kl, rtol=1e-5)
    assert torch.allclose(terms["ce"], ce, rtol=1e-5)
    assert torch.allclose(terms["loss"], recon + kl + 2.0 * ce, rtol=1e-5)
    assert recon > 100  # summed over 784 pixels, not averaged


def test_kl_is_zero_at_the_prior_and_free_bits_floor_it():
    from glyph_vae.models.outputs import GlyphVAEOutput

    out = GlyphVAEOutput(mu=torch.zeros(2, 8), logvar=torch.zeros(2, 8), recon_logits=torch.zeros(2, 1, 28, 28),
                         class_logits=torch.zeros(2, 62))
    x, y = torch.zeros(2, 1, 28, 28), torch.tensor([0, 1])
    assert glyph_vae_loss(out, x, y)["kl"].item() == pytest.approx(0.0)
    with_floor = glyph_vae_loss(out, x, y, free_bits=0.5)
    assert with_floor["loss"].item() == pytest.approx(glyph_vae_loss(out, x, y)["loss"].item() + 8 * 0.5)


def test_training_samples_and_eval_uses_the_mean(model):
    x, y = torch.rand(2, 1, 28, 28), torch.tensor([0, 1])
    model.eval()
    assert torch.equal(model(x, y).recon_logits, model(x, y).recon_logits)
    model.train()
    torch.manual_seed(1)
    a = model(x, y).recon_logits
    assert not torch.equal(a, model(x, y).recon_logits)


def test_every_model_says_its_reading_and_posterior_in_a_typed_output():
    """What the trainer reads, the same way for each model: class logits (None for the
    autoencoder) and posterior means (GlyphVAE's alone); fields are readable by name too."""
    from glyph_vae.models.chooser import ChooserConfig, ChooserEnsemble
    from glyph_vae.models.digits import DigitClassifier
    from glyph_vae.models.muddle import MuddleAutoencoder, MuddleConfig
    from glyph_vae.models.outputs import GlyphVAEOutput

    torch.manual_seed(0)
    x, y = torch.rand(3, 1, 28, 28), torch.tensor([1, 2, 3])
    glyph = GlyphVAE(GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4)).eval()(x, y)
    assert isinstance(glyph, GlyphVAEOutput) and glyph.class_logits.shape == (3, 62)
    assert glyph.posterior_means is glyph.mu and glyph["mu"] is glyph.mu
    with pytest.raises(KeyError):
        glyph["z"]
    muddle = MuddleAutoencoder(MuddleConfig(channels=4))(x)
    assert muddle.class_logits is None and muddle.posterior_means is None and muddle.recon_logits.shape == x.shape
    digits = DigitClassifier()(x)
    assert digits.class_logits is digits.logits and digits.logits.shape == (3, 10) and digits.posterior_means is None
    chooser = ChooserEnsemble(ChooserConfig(width=4))(x)
    assert torch.allclose(chooser.class_logits, chooser.member_logits.log_softmax(-1).mean(1))


def test_switches_are_bools_and_configs_saved_with_0_or_1_load(tmp_path):
    assert GlyphVAEConfig(encoder_sees_class=1).encoder_sees_class is True
    assert GlyphVAEConfig(encoder_sees_class=0).encoder_sees_class is False
    for bad in (2, 0.5, "1", None):
        with pytest.raises(ValueError, match="encoder_sees_class must be true or false"):
            GlyphVAEConfig(encoder_sees_class=bad)
    shipped = json.loads((bundled_path("glyph_vae") / "config.json").read_text())
    assert shipped["encoder_sees_class"] == 1  # the bundled config as it was written, 1 not true
    bundled = GlyphVAE.from_pretrained()
    assert bundled.config.encoder_sees_class is True
    # /health and style files name the weights by an identity whose switches stay 1 or 0
    assert type(bundled.identity()["config"]["encoder_sees_class"]) is int
    GlyphVAE(GlyphVAEConfig.published(channels=4, hidden=8, latent_dim=4, encoder_sees_class=True)).save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["encoder_sees_class"] is True
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "encoder_sees_class": 2}))
    with pytest.raises(ModelLoadError, match="encoder_sees_class must be true or false"):
        GlyphVAE.from_pretrained(tmp_path)


def test_save_and_load_round_trip(model, tmp_path):
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["latent_dim"] == 64 and config["model_type"] == "glyph_vae"
    assert "GlyphVAE.from_pretrained()" in (tmp_path / "README.md").read_text()  # a card from the template
    loaded = GlyphVAE.from_pretrained(tmp_path)
    x = torch.rand(3, 1, 28, 28)
    model.eval()
    assert torch.equal(loaded.encode(x)[0], model.encode(x)[0])
    assert not loaded.training


def test_weights_and_config_reach_the_disk_before_their_names_appear(model, tmp_path, monkeypatch):
    """Each file is written to a temp file, fsynced, then renamed: a power cut leaves the old
    file or the whole new one, never a name pointing at lost data."""
    import os

    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
                        or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", str(a), str(b))) or real_replace(a, b))
    model.save_pretrained(tmp_path)
    for name in ("config.json", "model.safetensors"):
        renamed = [e for e in events if e[0] == "replace" and e[2] == str(tmp_path / name)]
        assert len(renamed) == 1, (name, events)
        temp = renamed[0][1]
        assert ("fsync", temp) in events[:events.index(renamed[0])], (name, events)
    assert GlyphVAE.from_pretrained(tmp_path).state_dict().keys() == model.state_dict().keys()


def test_no_source_loads_the_bundled_weights_which_read_the_bundled_examples():
    bundled = GlyphVAE.from_pretrained()
    assert (bundled.config.channels, bundled.config.hidden, bundled.config.encoder_sees_class) == (64, 512, 1)
    for path in sorted(bundled_path("examples").glob("drawn_*.png")):
        assert read(bundled, path).character == path.stem[-1], path.name


def test_strict_loading_refuses_missing_and_unexpected_keys(model, tmp_path):
    model.save_pretrained(tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    state.pop("latent_head.bias")
    state["extra.weight"] = torch.zeros(1)
    save_file(state, tmp_path / "model.safetensors")
    with pytest.raises(ModelLoadError, match=r"missing keys \['latent_head.bias'\].*unexpected keys \['extra.weight'\]"):
        GlyphVAE.from_pretrained(tmp_path)


def test_config_that_does_not_match_the_weights_names_both(model, tmp_path):
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["latent_dim"] = 32
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError) as err:
        GlyphVAE.from_pretrained(tmp_path)
    message = str(err.value)
    assert "config.json" in message and "model.safetensors" in message and "shape" in message


def test_unknown_config_key_is_refused(model, tmp_path):
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["dropout"] = 0.1
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="unknown config keys"):
        GlyphVAE.from_pretrained(tmp_path)


def test_pickles_are_never_loaded(model, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "glyph_vae"}))
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="refused"):
        GlyphVAE.from_pretrained(tmp_path)


def test_truncated_weights_are_refused_by_name(model, tmp_path):
    model.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with pytest.raises(ModelLoadError, match="model.safetensors.*not a readable safetensors"):
        GlyphVAE.from_pretrained(tmp_path)


def test_not_a_folder_nor_a_repo_id(tmp_path):
    with pytest.raises(ModelLoadError, match="neither a model folder nor a Hub repo id"):
        GlyphVAE.from_pretrained(tmp_path / "missing")


def test_another_models_folder_is_refused_by_name(tmp_path):
    from glyph_vae.models.muddle import MuddleAutoencoder

    MuddleAutoencoder().save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="holds a 'muddle' model, not 'glyph_vae'"):
        GlyphVAE.from_pretrained(tmp_path)


def test_model_type_dispatches_from_one_registry(tmp_path):
    from glyph_vae.models.digits import DigitClassifier
    from glyph_vae.models.registry import model_class, model_class_for
    from glyph_vae.models.muddle import MuddleAutoencoder

    assert model_class("glyph_vae") is GlyphVAE and model_class("muddle") is MuddleAutoencoder
    assert model_class_for(bundled_path("digit_classifier")) is DigitClassifier
    with pytest.raises(ModelLoadError, match="unknown model_type 'vit'"):
        model_class("vit")


def test_sidecars_travel_with_the_model(tmp_path):
    bundled = GlyphVAE.from_pretrained()
    assert {"style_axes.json", "training.json", "eval.json"} <= set(bundled.files)
    bundled.save_pretrained(tmp_path)
    again = GlyphVAE.from_pretrained(tmp_path)
    assert [a.name for a in again.style_axes] == [a.name for a in bundled.style_axes]
    assert (tmp_path / "training.json").read_bytes() == bundled_path("glyph_vae", "training.json").read_bytes()
    assert again.load_warnings == []


def test_a_missing_style_axes_file_is_a_warning_and_a_broken_one_an_error(model, tmp_path):
    model.save_pretrained(tmp_path)
    loaded = GlyphVAE.from_pretrained(tmp_path)
    assert loaded.style_axes == [] and "has no style_axes.json" in loaded.load_warnings[0]
    (tmp_path / "style_axes.json").write_text('{"axes": [{"name": "width", "label": "W", "scale": 1, '
                                              '"direction": [1, 0]}]}')
    with pytest.raises(ModelLoadError, match="axis 'width' has 2 numbers for a 64-d latent"):
        GlyphVAE.from_pretrained(tmp_path)
    (tmp_path / "style_axes.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="style_axes.json is not a readable style axes file"):
        GlyphVAE.from_pretrained(tmp_path)


def test_a_reader_of_its_own_reads_beside_the_unchanged_posterior():
    torch.manual_seed(0)
    config = GlyphVAEConfig.published(channels=8, hidden=16, latent_dim=8, reader_channels=4)
    model = GlyphVAE(config).eval()
    x = torch.rand(3, 1, 28, 28)
    features = model.reader[:-1](x)  # the VGG-style blocks halve 28 -> 14 -> 7 -> 3
    assert features.shape == (3, 16, 3, 3) and model.class_head[0].in_features == 16 * 9
    logits, mu, _ = model.encode(x)
    assert logits.shape == (3, 62) and mu.shape == (3, 8)
    assert torch.equal(model.read_logits(x), logits)
    # the posterior does not depend on the reader: change every reading weight and it stays
    with torch.no_grad():
        for p in model.reading_parameters():
            p.add_(1.0)
    assert torch.equal(model.encode(x)[1], mu) and not torch.equal(model.read_logits(x), logits)
    reading = {id(p) for p in model.reading_parameters()}
    assert reading == {id(p) for p in [*model.reader.parameters(), *model.class_head.parameters()]}


def test_the_default_config_has_no_reader_and_reads_from_the_shared_trunk(model):
    assert model.config.reader_channels == 0 and model.reader is None
    assert {id(p) for p in model.reading_parameters()} == {id(p) for p in model.class_head.parameters()}
    x = torch.rand(2, 1, 28, 28)
    model.eval()
    assert torch.equal(model.read_logits(x), model.class_head(model.encoder(x)) + model.class_prior_shift)


def test_a_reader_config_saves_and_loads(tmp_path):
    torch.manual_seed(0)
    model = GlyphVAE(GlyphVAEConfig.published(channels=8, hidden=16, latent_dim=8, reader_channels=4)).eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["reader_channels"] == 4
    assert any(k.startswith("reader.") and k.endswith("running_mean") for k in load_file(tmp_path / "model.safetensors"))
    loaded = GlyphVAE.from_pretrained(tmp_path)
    x = torch.rand(3, 1, 28, 28)
    assert loaded.reader is not None and torch.equal(loaded.read_logits(x), model.read_logits(x))
    # a reader's weights under the default config are keys it does not expect: refused by name
    config = json.loads((tmp_path / "config.json").read_text())
    config["reader_channels"] = 0
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="reader"):
        GlyphVAE.from_pretrained(tmp_path)


def test_style_axes_ranges_are_read_and_checked(model, tmp_path):
    model.save_pretrained(tmp_path)
    axis = {"name": "width", "label": "W", "scale": 1.0, "direction": [1.0] + [0.0] * 63}
    (tmp_path / "style_axes.json").write_text(json.dumps({"axes": [axis]}))
    assert (GlyphVAE.from_pretrained(tmp_path).style_axes[0].low,
            GlyphVAE.from_pretrained(tmp_path).style_axes[0].high) == (-3.0, 3.0)  # a file without ranges
    (tmp_path / "style_axes.json").write_text(json.dumps({"axes": [{**axis, "range": [-2.25, 1.5]}]}))
    loaded = GlyphVAE.from_pretrained(tmp_path).style_axes[0]
    assert (loaded.low, loaded.high) == (-2.25, 1.5)
    (tmp_path / "style_axes.json").write_text(json.dumps({"axes": [{**axis, "range": [0.5, 1.5]}]}))
    with pytest.raises(ModelLoadError, match="range that does not go either way of 0"):
        GlyphVAE.from_pretrained(tmp_path)
