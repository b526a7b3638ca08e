"""Models in the Hugging Face format, on huggingface_hub's own mixin.

Every model of the package is a `HubModel`: huggingface_hub's `PyTorchModelHubMixin` gives
it `save_pretrained`, `from_pretrained`, `push_to_hub` and a model card rendered from a
template with `ModelCardData`. This module adds what the project promises and the mixin
does not do by default:

- safetensors only: `pytorch_model.bin` (a pickle, which can run code when loaded) is
  never opened, even where the mixin would fall back to it;
- strict loading: every key and shape is checked against the config before a weight is
  used, and unknown config keys or another model's `model_type` are refused;
- one Hub revision: config, weights and the files that travel with a model (its
  "sidecars": style axes, tuning record, evaluation) come from one `snapshot_download`,
  so they can never land from different commits;
- no source means the bundled weights in `assets/`;
- every failure is a `ModelLoadError` whose message names the model and the reason.

The mixin imports no model: `model_type` in config.json says which class a folder holds,
and `glyph_vae.models.registry`, above the models, maps it to the class.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import torch
from huggingface_hub import ModelCard, ModelCardData, PyTorchModelHubMixin

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
TRAINING_RECORD = "training.json"  # every step that made the weights (command, epochs, time): see train.record
EVAL_RECORD = "eval.json"  # the test figures of train.evaluate, for the model card
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # glyph_vae/, beside which a checkout keeps assets/
CARDS_DIR = Path(__file__).resolve().parent / "cards"


def _bundled_dir() -> Path:
    """Where the bundled weights and examples are: inside the installed package
    (`pip install .` puts assets/ there), or beside it in a source checkout."""
    for candidate in (PACKAGE_DIR / "assets", PACKAGE_DIR.parent / "assets"):
        if (candidate / "glyph_vae" / CONFIG_NAME).is_file():
            return candidate
    return PACKAGE_DIR.parent / "assets"


ASSETS_DIR = _bundled_dir()


def bundled_path(*parts: str) -> Path:
    """A file or folder of the bundled assets, e.g. bundled_path("examples", "drawn_7.png")."""
    return ASSETS_DIR.joinpath(*parts)


class ModelLoadError(RuntimeError):
    """A model that could not be loaded; the message names the model and why."""


class MissingTokenError(RuntimeError):
    """An upload asked for with no Hugging Face token to make it; the message says how to get one."""


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


def is_repo_id(source: str) -> bool:
    """"owner/name" or "owner/name@rev", and not a path on this machine."""
    return (not Path(source).exists() and not source.startswith((".", "/", "~"))
            and split_revision(source)[0].count("/") == 1)


class HubModel(PyTorchModelHubMixin):
    """save_pretrained / from_pretrained / push_to_hub for a torch module with a dataclass config.

    A subclass sets `config_class`, `model_type` (written to config.json; glyph_vae.models.registry
    maps it back to the class),
    `bundled_folder` (its weights under assets/), `sidecars` (other files that travel with
    the weights) and its card (`card_template`, a Jinja file in glyph_vae/models/cards/, and
    `card_data`)."""

    config_class: ClassVar[type]
    model_type: ClassVar[str]
    display_name: ClassVar[str]  # what its card and the page call it
    bundled_folder: ClassVar[str]
    sidecars: ClassVar[tuple[str, ...]] = (TRAINING_RECORD, EVAL_RECORD)
    card_template: ClassVar[str] = ""
    card_data: ClassVar[dict[str, Any]] = {}
    digits_only: ClassVar[bool] = False  # trains on digits alone (labels 0-9)

    # Set by from_pretrained: where the model came from and the files that came with it.
    source: str | None = None
    weights_sha256: str | None = None
    load_warnings: list[str]
    files: dict[str, bytes]

    def identity(self) -> dict:
        """Which weights these are, as /health and style files name them: the first 16 hex digits
        of model.safetensors' sha256 ("" if it was not loaded from one) and the config, its
        switches as 1 or 0 (as these records have always named them, so that a style file
        written today is byte for byte one written before the switches were typed bool)."""
        config = {k: int(v) if isinstance(v, bool) else v for k, v in dataclasses.asdict(self.config).items()}
        return {"sha256": (self.weights_sha256 or "")[:16], "config": config}

    def on_epoch_end(self, train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor]) -> None:
        """The trainer's one hook, after each complete epoch: what a model keeps beside its
        weights that is computed from data (the muddle autoencoder's centroids, the chooser's
        temperatures). `train` and `val` are (uint8 images (N, 28, 28), labels) on the CPU.
        Called on every rank, with the same weights and data, so the replicas stay identical.
        Nothing by default."""

    # -- saving ------------------------------------------------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        """config.json (with model_type), model.safetensors and the sidecar files the model
        holds; each written atomically, so a reader never sees half a file."""
        from safetensors.torch import save

        folder = Path(save_directory)
        config = {"model_type": self.model_type, **dataclasses.asdict(self.config)}
        atomic_write_bytes(folder / CONFIG_NAME, (json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        atomic_write_bytes(folder / WEIGHTS_NAME, save(state, metadata={"format": "pt"}))
        for name, data in getattr(self, "files", {}).items():
            atomic_write_bytes(folder / name, data)

    def generate_model_card(self, *args, **values) -> ModelCard:
        """The card from the class's Jinja template (glyph_vae/models/cards/) and its ModelCardData;
        `values` fill it in (train.cards gathers them from a model folder's records)."""
        import jinja2

        config = dataclasses.asdict(self.config)
        values.setdefault("model_id", None)  # None: the bundled weights, `from_pretrained()`
        values.setdefault("heading", self.display_name)
        values.setdefault("config", config)
        values.setdefault("config_json", json.dumps({"model_type": self.model_type, **config}, indent=2,
                                                    sort_keys=True))
        steps = values.get("steps")
        if steps is None:
            steps = json.loads(self.files[TRAINING_RECORD]) if TRAINING_RECORD in getattr(self, "files", {}) else []
        # The account of training is its own template, shared by every model's card.
        values.setdefault("training_text", jinja2.Template((CARDS_DIR / "_steps.md").read_text()).render(steps=steps))
        template = (CARDS_DIR / self.card_template).read_text()
        return ModelCard.from_template(ModelCardData(**self.card_data_values(values)), template_str=template,
                                       **values)

    def card_data_values(self, values: dict) -> dict:
        """The card's YAML metadata (license, library, datasets, metrics, results)."""
        return dict(self.card_data)

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, source: str | os.PathLike | None = None, *, revision: str | None = None,
                        token: str | bool | None = None, map_location: str | torch.device = "cpu",
                        cache_dir: str | os.PathLike | None = None, local_files_only: bool = False,
                        force_download: bool = False):
        """Load from a folder, a Hub repo id ("owner/name" or "owner/name@rev"), or with no
        argument the weights bundled in assets/."""
        source = bundled_path(cls.bundled_folder) if source is None else source
        folder = cls._fetch(source, revision=revision, token=token, cache_dir=cache_dir,
                            local_files_only=local_files_only, force_download=force_download)
        config = cls._read_config(folder)
        model = super().from_pretrained(folder, config=config, map_location=str(map_location))
        model.source = str(source)
        return model

    @classmethod
    def _fetch(cls, source: str | os.PathLike, *, revision: str | None, token, cache_dir, local_files_only: bool,
               force_download: bool) -> Path:
        """A local folder holding config.json, model.safetensors and the sidecars of one revision."""
        name = cls.__name__
        path = Path(source)
        if path.is_dir():
            return path
        if not is_repo_id(str(source)):
            raise ModelLoadError(f"{name}: {source} is neither a model folder nor a Hub repo id like 'owner/name'.")
        from huggingface_hub import snapshot_download

        repo_id, suffix = split_revision(str(source))
        revision = revision or suffix
        wanted = [CONFIG_NAME, WEIGHTS_NAME, CARD_NAME, *cls.sidecars]
        try:
            # One call: the files of one commit, whatever is pushed meanwhile. It honours
            # HF_TOKEN, HF_HUB_OFFLINE and the shared cache.
            folder = snapshot_download(repo_id, revision=revision, allow_patterns=wanted, token=token,
                                       cache_dir=cache_dir, local_files_only=local_files_only,
                                       force_download=force_download)
        except Exception as exc:  # the hub raises many types; the user needs one message
            raise ModelLoadError(f"{name}: could not download {repo_id}{'@' + revision if revision else ''}: "
                                 f"{type(exc).__name__}: {exc}") from exc
        return Path(folder)

    @classmethod
    def _read_config(cls, folder: Path):
        """The config of `folder`, refusing unknown keys and another model's model_type."""
        name = cls.__name__
        weights, config_path = folder / WEIGHTS_NAME, folder / CONFIG_NAME
        if not weights.is_file():
            pickles = [p.name for p in folder.glob("*.bin")] + [p.name for p in folder.glob("*.pt")]
            extra = f" (found {', '.join(pickles)}, which is refused: pickles can run code)" if pickles else ""
            raise ModelLoadError(f"{name}: {folder} has no {WEIGHTS_NAME}{extra}.")
        if not config_path.is_file():
            raise ModelLoadError(f"{name}: {folder} has no {CONFIG_NAME}.")
        try:
            raw = json.loads(config_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"{name}: {config_path} is not valid JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ModelLoadError(f"{name}: {config_path} is not a JSON object.")
        model_type = raw.pop("model_type", cls.model_type)  # configs saved before model_type: the class says
        if model_type != cls.model_type:
            raise ModelLoadError(f"{name}: {config_path} holds a {model_type!r} model, not {cls.model_type!r}.")
        fields = {f.name for f in dataclasses.fields(cls.config_class)}
        unknown = sorted(set(raw) - fields)
        if unknown:
            raise ModelLoadError(f"{name}: {config_path} has unknown config keys {unknown}.")
        # A key the config lacks was saved before its field existed: what it meant then, not today's default.
        raw = {**getattr(cls.config_class, "ABSENT_MEANS", {}), **raw}
        try:
            return cls.config_class(**raw)
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"{name}: {config_path}: {exc}") from None

    @classmethod
    def _from_pretrained(cls, *, model_id: str, config=None, map_location: str = "cpu", **_hub_arguments):
        """The mixin's loading step, on a local folder (from_pretrained fetched it): safetensors
        only, every key and shape checked, then the sidecars."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        folder = Path(model_id)
        weights = folder / WEIGHTS_NAME
        try:
            model = cls(config)
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"{cls.__name__}: {folder / CONFIG_NAME}: {exc}") from None
        try:
            state = load_file(str(weights), device=map_location)
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelLoadError(f"{cls.__name__}: {weights} is not a readable safetensors file "
                                 f"(truncated or tampered?): {exc}") from None
        check_state_dict(model, state, folder / CONFIG_NAME, weights)
        model.load_state_dict(state, strict=True)
        model.weights_sha256 = hashlib.sha256(weights.read_bytes()).hexdigest()
        model.files, model.load_warnings = {}, []
        for name in cls.sidecars:
            path = folder / name
            if path.is_file():
                model.files[name] = path.read_bytes()
        model.load_sidecars(folder)
        return model.eval()

    def load_sidecars(self, folder: Path) -> None:
        """Read what the sidecar files mean for this model (a subclass's hook); a broken one
        is a ModelLoadError, a missing one that matters a warning in `load_warnings`."""


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


def hub_token(flag: str) -> str:
    """The Hugging Face token (HF_TOKEN or a saved login), or a MissingTokenError saying how to get one.

    Called before any data is read or any step is taken, so a missing login stops a
    run at once rather than after hours of training.
    """
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise MissingTokenError(f"{flag} needs a Hugging Face token with write access, and none was found: "
                         "run `hf auth login`, or set HF_TOKEN (a token from "
                         "https://huggingface.co/settings/tokens). Stopped before training or uploading anything.")
    return token
