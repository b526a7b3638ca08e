"""Saving and loading models the Hugging Face way: config.json + model.safetensors.

One mixin serves every model in the package. Loading takes a local folder or a
Hub repo id (optionally "owner/name@revision"), reads safetensors only (a pickle
can run code when it is loaded, so `pytorch_model.bin` is never opened) and
checks every key and shape against the config before any weight is used.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


class ModelLoadError(RuntimeError):
    """A model that could not be loaded; the message names the model and why."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so a reader (or a
    crash) never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def split_revision(source: str) -> tuple[str, str | None]:
    """"owner/name@rev" -> ("owner/name", "rev")."""
    if "@" in source:
        repo_id, revision = source.rsplit("@", 1)
        return repo_id, revision or None
    return source, None


def resolve_files(source: str | os.PathLike, *, token: str | None = None) -> tuple[Path, Path]:
    """Local paths of config.json and model.safetensors for a folder or Hub repo."""
    path = Path(source)
    if path.is_dir():
        config, weights = path / CONFIG_NAME, path / WEIGHTS_NAME
        if not weights.is_file():
            pickles = [p.name for p in path.glob("*.bin")] + [p.name for p in path.glob("*.pt")]
            extra = f" (found {', '.join(pickles)}, which is refused: pickles can run code)" if pickles else ""
            raise ModelLoadError(f"{path} has no {WEIGHTS_NAME}{extra}.")
        if not config.is_file():
            raise ModelLoadError(f"{path} has no {CONFIG_NAME}.")
        return config, weights
    if path.exists() or str(source).startswith((".", "/")) or str(source).count("/") != 1:
        raise ModelLoadError(f"{source} is neither a model folder nor a Hub repo id like 'owner/name'.")

    from huggingface_hub import hf_hub_download  # imported lazily: only Hub loads need it

    repo_id, revision = split_revision(str(source))
    try:
        # hf_hub_download honours HF_TOKEN, HF_HUB_OFFLINE and the shared cache.
        config = hf_hub_download(repo_id, CONFIG_NAME, revision=revision, token=token)
        weights = hf_hub_download(repo_id, WEIGHTS_NAME, revision=revision, token=token)
    except Exception as exc:  # the hub raises many types; the user needs one message
        raise ModelLoadError(f"could not download {repo_id}{'@' + revision if revision else ''}: "
                             f"{type(exc).__name__}: {exc}") from exc
    return Path(config), Path(weights)


class HubMixin:
    """save_pretrained / from_pretrained / push_to_hub for a module with a dataclass config."""

    config_class: ClassVar[type]
    default_subfolder: ClassVar[str]  # the bundled weights under assets/

    def save_pretrained(self, folder: str | os.PathLike, metadata: dict[str, str] | None = None) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = json.dumps(dataclasses.asdict(self.config), indent=2, sort_keys=True) + "\n"
        atomic_write_bytes(folder / CONFIG_NAME, config.encode())
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        tmp = folder / f".{WEIGHTS_NAME}.tmp"
        save_file(state, str(tmp), metadata={"format": "pt", **(metadata or {})})
        os.replace(tmp, folder / WEIGHTS_NAME)
        return folder

    @classmethod
    def from_pretrained(cls, source: str | os.PathLike | None = None, *, token: str | None = None,
                        map_location: str | torch.device = "cpu"):
        """Load from a folder, a Hub repo id ("owner/name" or "owner/name@rev"), or
        with no argument the weights bundled in assets/."""
        source = ASSETS_DIR / cls.default_subfolder if source is None else source
        name = cls.__name__
        config_path, weights_path = resolve_files(source, token=token)
        try:
            raw = json.loads(Path(config_path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"{name}: {config_path} is not valid JSON: {exc}") from None
        fields = {f.name for f in dataclasses.fields(cls.config_class)}
        unknown = sorted(set(raw) - fields)
        if unknown:
            raise ModelLoadError(f"{name}: {config_path} has unknown config keys {unknown}.")
        config = cls.config_class(**raw)
        model = cls(config)
        try:
            state = load_file(str(weights_path), device=str(map_location))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelLoadError(f"{name}: {weights_path} is not a readable safetensors file "
                                 f"(truncated or tampered?): {exc}") from None
        check_state_dict(model, state, config_path, weights_path)
        model.load_state_dict(state, strict=True)
        return model.eval()

    def push_to_hub(self, repo_id: str, *, commit_message: str, token: str | None = None,
                    private: bool = False, revision: str | None = None,
                    extra_files: dict[str, str] | None = None) -> str:
        """Save to a temp folder (plus extra text files like README.md) and upload it."""
        with tempfile.TemporaryDirectory() as tmp:
            self.save_pretrained(tmp)
            for filename, text in (extra_files or {}).items():
                Path(tmp, filename).write_text(text)
            return upload_folder(tmp, repo_id, commit_message=commit_message, token=token,
                                 private=private, revision=revision)


def hub_token(flag: str) -> str:
    """The Hugging Face token (HF_TOKEN or a saved login), or a SystemExit saying how to get one.

    Called before any data is read or any step is taken, so a missing login stops a
    run at once rather than after hours of training.
    """
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise SystemExit(f"{flag} needs a Hugging Face token with write access, and none was found: "
                         "run `hf auth login`, or set HF_TOKEN (a token from "
                         "https://huggingface.co/settings/tokens). Stopped before training or uploading anything.")
    return token


def upload_folder(folder: str | os.PathLike, repo_id: str, *, commit_message: str, token: str | None = None,
                  private: bool = False, revision: str | None = None) -> str:
    """Create the model repo if needed (and the branch, for a revision) and upload the
    folder as one commit; returns the commit's URL."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    # private=None leaves a new repo at the account's default visibility (and never
    # changes an existing repo's).
    api.create_repo(repo_id, private=private or None, exist_ok=True)
    if revision and revision != "main":
        # upload_folder commits to an existing branch only.
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=commit_message,
                             revision=revision)
    return str(getattr(info, "commit_url", info))


def check_state_dict(model: torch.nn.Module, state: dict[str, torch.Tensor], config_path: Any, weights_path: Any) -> None:
    """Strict key and shape check with a message that names both files."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = sorted(f"{k}: config wants {expected[k]}, weights have {found[k]}"
                   for k in set(expected) & set(found) if expected[k] != found[k])
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing keys {missing[:5]}{'...' if len(missing) > 5 else ''}")
        if unexpected:
            parts.append(f"unexpected keys {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}")
        if wrong:
            parts.append(f"shape mismatches {wrong[:3]}{'...' if len(wrong) > 3 else ''}")
        raise ModelLoadError(f"{type(model).__name__}: config {config_path} does not match weights "
                             f"{weights_path}: " + "; ".join(parts))
