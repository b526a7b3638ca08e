"""Pushing to the Hub, up to the network: HfApi's create_repo, create_branch and
upload_folder are replaced by fakes that record their arguments and keep a copy of the
folder that would have been uploaded."""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from glyph_vae import GlyphVAE
from glyph_vae.models.registry import model_class_for
from glyph_vae.models.muddle import MuddleAutoencoder
from tiny_data import glyphs, run
from train import fit, push

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    x, y = glyphs(12, 0)
    np.savez_compressed(path, x_train=x, y_train=y, x_test=x[:16], y_test=y[:16])
    return path


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """Fake HfApi calls; `hub.calls` lists (name, token, kwargs), `hub.uploaded` is the folder's copy."""
    record = SimpleNamespace(calls=[], uploaded=tmp_path / "uploaded")

    def create_repo(self, repo_id, **kwargs):
        record.calls.append(("create_repo", self.token, {"repo_id": repo_id, **kwargs}))
        return SimpleNamespace(repo_id=repo_id)

    def create_branch(self, repo_id, **kwargs):
        record.calls.append(("create_branch", self.token, {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs):
        record.calls.append(("upload_folder", self.token, kwargs))
        shutil.copytree(kwargs["folder_path"], record.uploaded)  # it is a temp folder, gone afterwards
        return SimpleNamespace(commit_url=f"https://huggingface.co/{kwargs['repo_id']}/commit/abc")

    for name, fake in [("create_repo", create_repo), ("create_branch", create_branch),
                       ("upload_folder", upload_folder)]:
        monkeypatch.setattr(huggingface_hub.HfApi, name, fake)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    return record


@pytest.fixture
def no_token(tmp_path, monkeypatch):
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-saved-login"))


def test_training_with_push_uploads_a_complete_loadable_folder(npz, tmp_path, hub):
    out = tmp_path / "tiny-run"
    run(npz, out, "--epochs", "2", "--push-to-hub", "someone/tiny-glyph", "--hub-revision", "v1")

    names = [name for name, _, _ in hub.calls]
    # The branch first (huggingface_hub's push_to_hub commits to an existing branch), then the mixin's push.
    assert names == ["create_repo", "create_branch", "create_repo", "upload_folder"]
    assert all(token == "hf_test_token" for _, token, _ in hub.calls)
    repo = hub.calls[0][2]
    assert repo["repo_id"] == "someone/tiny-glyph" and repo["exist_ok"] is True
    assert hub.calls[1][2]["branch"] == "v1"
    upload = hub.calls[3][2]
    assert upload["repo_id"] == "someone/tiny-glyph" and upload["revision"] == "v1"
    message = upload["commit_message"]
    assert "tiny-run" in message and "GlyphVAE" in message and "2 epochs" in message and "val_acc" in message

    files = {p.name for p in hub.uploaded.iterdir()}
    assert files == {"config.json", "model.safetensors", "README.md", "metrics.jsonl", "command.txt", "training.json"}
    card = (hub.uploaded / "README.md").read_text()
    assert "python -m train --data" in card and "--push-to-hub someone/tiny-glyph" in card  # the command
    assert 'GlyphVAE.from_pretrained("someone/tiny-glyph")' in card
    assert "## Validation (epoch 2, not a test evaluation)" in card and "| accuracy |" in card
    assert "run `tiny-run`: 2 epochs" in card and "the run's validation figures" in card
    assert "## Intended use and limits" in card and "{" not in card.split("```json")[0]  # all filled in
    uploaded = GlyphVAE.from_pretrained(hub.uploaded)
    trained = load_file(out / "model" / "model.safetensors")
    for key, value in uploaded.state_dict().items():
        assert torch.equal(value, trained[key]), key


def test_no_token_stops_before_reading_any_data(npz, tmp_path, no_token, monkeypatch):
    def fail(*_, **__):
        raise AssertionError("data was read before the token check")

    monkeypatch.setattr(fit, "load_source", fail)
    with pytest.raises(SystemExit, match=r"--push-to-hub needs a Hugging Face token.*hf auth login.*HF_TOKEN"):
        run(npz, tmp_path / "run", "--epochs", "1", "--push-to-hub", "someone/tiny-glyph")
    assert not (tmp_path / "run").exists()
    with pytest.raises(SystemExit, match="python -m train.push needs a Hugging Face token"):
        push.main([str(ASSETS / "muddle"), "someone/muddle"])


def test_the_library_says_a_token_is_missing_with_its_own_exception(no_token):
    """Only the commands turn it into an exit; a program that calls hub_token can catch it."""
    from glyph_vae.models.hub import MissingTokenError, hub_token

    with pytest.raises(MissingTokenError, match="upload needs a Hugging Face token.*hf auth login"):
        hub_token("upload")


@pytest.mark.slow
def test_push_command_evaluates_on_test_data_for_the_card(npz, tmp_path, hub):
    out = tmp_path / "run"
    run(npz, out, "--epochs", "1")
    data_dir = tmp_path / "eval"
    data_dir.mkdir()
    with pytest.raises(SystemExit, match="lacks mnist.npz, emnist_byclass_test.npz"):
        push.main([str(out), "someone/tiny", "--eval-data-dir", str(data_dir)])
    assert hub.calls == []
    for name in ("mnist.npz", "emnist_byclass_test.npz"):  # the tiny set stands in for both test splits
        shutil.copyfile(npz, data_dir / name)

    url = push.main([str(out / "model"), "someone/tiny", "--eval-data-dir", str(data_dir), "--private",
                     "--message", "first tiny model"])
    assert url == "https://huggingface.co/someone/tiny/commit/abc"
    assert [name for name, _, _ in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][2]["private"] is True
    assert hub.calls[1][2]["commit_message"] == "first tiny model" and hub.calls[1][2]["revision"] is None
    card = (hub.uploaded / "README.md").read_text()
    assert "## Evaluation (" in card and "MNIST test read 62-way" in card and "## Validation" not in card
    assert "the test evaluation of `train.evaluate`" in card
    assert not (out / "model" / "eval.json").exists()  # measured for the push, not written into the run
    assert 'from_pretrained("someone/tiny")' in card and str(tmp_path) not in card.split("## Training")[0]
    assert (hub.uploaded / "eval.json").is_file()
    GlyphVAE.from_pretrained(hub.uploaded)


def test_push_of_a_model_folder_renders_its_evaluated_card_for_the_repo(hub):
    folder = ASSETS / "muddle"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    push.main([str(folder), "someone/muddle"])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # the source folder is left as it was
    message = hub.calls[-1][2]["commit_message"]
    assert "MuddleAutoencoder" in message
    card = (hub.uploaded / "README.md").read_text()
    bundled = (folder / "README.md").read_text()
    assert card.split("\n---\n")[0] == bundled.split("\n---\n")[0]  # the same metadata
    assert "# The muddle autoencoder\n" in card and "# The muddle autoencoder (bundled weights)" in bundled
    assert 'from_pretrained("someone/muddle")' in card and "83.2 nats" in card  # its eval.json's figures
    assert {p.name for p in hub.uploaded.iterdir()} == {"config.json", "model.safetensors", "README.md", "eval.json",
                                                        "training.json"}
    uploaded = MuddleAutoencoder.from_pretrained(hub.uploaded)
    assert torch.equal(uploaded.centroids, MuddleAutoencoder.from_pretrained(folder).centroids)


def test_a_bad_repo_id_or_a_broken_folder_is_refused(tmp_path, hub):
    with pytest.raises(SystemExit, match="owner/name"):
        push.main([str(ASSETS / "muddle"), "no-owner"])
    with pytest.raises(SystemExit, match="neither a training run folder"):
        push.main([str(tmp_path), "someone/x"])
    assert hub.calls == []


@pytest.mark.parametrize("kind", ["muddle", "digits"])
def test_the_other_models_get_their_own_card_with_validation_figures(npz, tmp_path, hub, kind):
    digits = tmp_path / "digits.npz"
    with np.load(npz) as archive:
        keep = archive["y_train"] < 10
        np.savez(digits, x_train=archive["x_train"][keep], y_train=archive["y_train"][keep])
    out = tmp_path / kind
    fit.main(["--model", kind, "--data", str(digits), "--out", str(out), "--epochs", "1", "--channels", "4",
              "--batch-size", "16", "--threads", "1", "--push-to-hub", f"someone/{kind}"])
    card = (hub.uploaded / "README.md").read_text()
    assert "## Validation (epoch 1, not a test evaluation)" in card
    if kind == "muddle":  # the digit classifier's card has no usage snippet
        assert 'from_pretrained("someone/muddle")' in card
    assert "(bundled weights)" not in card and "python -m train --model " + kind in card
    assert f"run `{kind}`: 1 epochs" in card
    assert type(model_class_for(hub.uploaded).from_pretrained(hub.uploaded)).model_type == kind


def test_push_of_the_bundled_glyph_vae_takes_its_style_axes_and_training_record(hub):
    folder = ASSETS / "glyph_vae"
    push.main([str(folder), "someone/glyph-vae"])
    uploaded = {p.name for p in hub.uploaded.iterdir()}
    assert {"config.json", "model.safetensors", "README.md", "eval.json", "style_axes.json", "ruled.safetensors",
            "training.json"} == uploaded
    for name in ("style_axes.json", "ruled.safetensors", "training.json", "eval.json", "model.safetensors"):
        assert (hub.uploaded / name).read_bytes() == (folder / name).read_bytes(), name
    assert "the decoder alone was fine-tuned for 5 epochs" in (hub.uploaded / "README.md").read_text()
