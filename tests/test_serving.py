"""Serving concerns: the output files, which models the app runs (and what it says when it
cannot run the one asked for), and memory tuning."""
from __future__ import annotations

from pathlib import Path

from glyph_vae.loading import load_models
from glyph_vae.serving import OutputFiles, tune_malloc


def test_output_files_are_named_by_content_and_written_once(tmp_path):
    files = OutputFiles(tmp_path / "out")
    a = files.save(b"one picture", "page.png")
    assert Path(a).read_bytes() == b"one picture" and Path(a).name == "page.png"
    assert files.save(b"one picture", "page.png") == a  # the same content: the same file
    assert files.save(b"another picture", "page.png") != a
    assert not list((tmp_path / "out").rglob("*.tmp"))  # written through a rename


def test_output_files_stay_within_their_bound_oldest_first(tmp_path):
    files = OutputFiles(tmp_path / "out", max_bytes=3000)
    paths = [files.save(bytes([i]) * 1000, f"f{i}.png") for i in range(3)]
    files.save(bytes([0]) * 1000, "f0.png")  # used again: now the newest
    newest = files.save(bytes([9]) * 1000, "f9.png")
    assert files.total_bytes <= 3000
    assert not Path(paths[1]).exists()  # the one used longest ago went first
    assert Path(paths[0]).exists() and Path(paths[2]).exists() and Path(newest).exists()


def test_output_files_are_removed_on_clean_up(tmp_path):
    files = OutputFiles(tmp_path / "out")
    files.save(b"x", "a.png")
    files.clean_up()
    assert not (tmp_path / "out").exists() and files.total_bytes == 0


def test_no_environment_means_the_bundled_models_one_record_each():
    models = load_models({})
    assert [r.name for r in models.records] == ["GlyphVAE", "MuddleAutoencoder", "DigitClassifier", "ChooserEnsemble"]
    assert models.glyph_vae.source == "bundled (assets/glyph_vae)" and models.warnings == []
    assert models.digits.health()["sha256"] == models.digits.model.weights_sha256[:16]


def test_a_model_that_cannot_be_loaded_is_replaced_and_the_record_says_why(tmp_path):
    (tmp_path / "empty").mkdir()
    models = load_models({"MUDDLE_MODEL": str(tmp_path / "empty"), "GLYPH_VAE_MODEL": " "})
    assert models.glyph_vae.warnings == ()  # blank: the bundled one, as intended
    (warning,) = models.muddle.warnings
    assert warning.startswith(f"Could not load MuddleAutoencoder from MUDDLE_MODEL={tmp_path / 'empty'}: ")
    assert "has no model.safetensors" in warning and ".." not in warning
    assert warning.endswith("Using the bundled weights instead.")
    assert models.muddle.source == "bundled (assets/muddle)"


def test_a_folder_named_in_the_environment_is_used(tmp_path):
    from glyph_vae.digits import DigitClassifier, DigitClassifierConfig

    DigitClassifier(DigitClassifierConfig(channels=4, hidden=8)).save_pretrained(tmp_path)
    models = load_models({"DIGIT_CLASSIFIER_MODEL": str(tmp_path)})
    assert models.digits.source == str(tmp_path) and models.digits.model.config.channels == 4


def test_tune_malloc_applies_where_there_is_glibc_and_is_a_no_op_elsewhere():
    import platform

    assert tune_malloc(trim_every_s=3600) is (platform.libc_ver()[0] == "glibc")
