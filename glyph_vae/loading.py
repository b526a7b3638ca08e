"""Which models the app runs: read from the environment once, one record per model.

    GLYPH_VAE_MODEL=owner/glyph-vae@v2 MUDDLE_MODEL=./runs/muddle/model python app.py

Each variable names a Hub repo id (optionally @revision) or a local folder; unset means
the bundled weights. A model that cannot be loaded is replaced by the bundled one and
the record says why, so the app still starts and the page shows the warning. HF_TOKEN
(a Space's secret) is passed to the Hub for private repos.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import torch

from .models.chooser import ChooserEnsemble
from .pipelines.confuse import Confuser, make_confuser
from .models.digits import DigitClassifier
from .models.hub import HubModel, ModelLoadError, bundled_path
from .models.model import GlyphVAE
from .models.muddle import MuddleAutoencoder

log = logging.getLogger(__name__)

# (record name, class, environment variable)
MODEL_SOURCES: tuple[tuple[str, type[HubModel], str], ...] = (
    ("glyph_vae", GlyphVAE, "GLYPH_VAE_MODEL"),
    ("muddle", MuddleAutoencoder, "MUDDLE_MODEL"),
    ("digits", DigitClassifier, "DIGIT_CLASSIFIER_MODEL"),
    ("chooser", ChooserEnsemble, "CHOOSER_MODEL"),
)


@dataclass(frozen=True)
class LoadedModel:
    """One model the app runs: where it came from, the model, and what went wrong, if anything."""

    name: str  # the class name, as /health and the page call it
    source: str  # "bundled (assets/glyph_vae)", or the repo id / folder it was loaded from
    model: HubModel
    warnings: tuple[str, ...] = ()  # why another source was not used; missing sidecars

    def health(self) -> dict:
        """What /health says about it: source, config, the first 16 hex digits of its weights' sha256."""
        identity = self.model.identity()
        return {"source": self.source, "config": identity["config"], "sha256": identity["sha256"]}


@dataclass(frozen=True)
class AppModels:
    glyph_vae: LoadedModel
    muddle: LoadedModel
    digits: LoadedModel
    chooser: LoadedModel
    records: tuple[LoadedModel, ...] = field(default=())

    @property
    def warnings(self) -> list[str]:
        return [w for record in (self.glyph_vae, self.muddle, self.digits, self.chooser) for w in record.warnings]


def load_one(cls: type[HubModel], env_name: str, environ: Mapping[str, str]) -> LoadedModel:
    """The model `environ[env_name]` names, else (or if it cannot be loaded) the bundled one."""
    bundled = f"bundled (assets/{cls.bundled_folder})"
    source = (environ.get(env_name) or "").strip()
    warnings: list[str] = []
    model = None
    if source:
        try:
            model = cls.from_pretrained(source, token=(environ.get("HF_TOKEN") or None))
        except ModelLoadError as exc:
            reason = str(exc).rstrip(".")
            warnings.append(f"Could not load {cls.__name__} from {env_name}={source}: {reason}. "
                            "Using the bundled weights instead.")
            log.warning(warnings[-1])
    if model is None:
        model, source = cls.from_pretrained(), bundled
    warnings.extend(model.load_warnings)
    return LoadedModel(cls.__name__, source, for_serving(model), tuple(warnings))


def for_serving(model: HubModel) -> HubModel:
    """The model in evaluation mode with its conv weights stored channels-last (NHWC).

    On the CPU, oneDNN's convolutions and max-pooling run on NHWC without reordering;
    in NCHW the pooling alone took a large share of the digit classifier's time, and every
    model of the Confuse tab's path runs faster so, with the same outputs to float rounding
    (docs/experiments/choices.md). (save_pretrained still writes the usual contiguous tensors.)"""
    return model.eval().to(memory_format=torch.channels_last)


def load_models(environ: Mapping[str, str] | None = None) -> AppModels:
    """Every model the app needs, from `environ` (default: os.environ), read once."""
    environ = os.environ if environ is None else environ
    records = {name: load_one(cls, env_name, environ) for name, cls, env_name in MODEL_SOURCES}
    return AppModels(**records, records=tuple(records.values()))


def app_confuser(models: AppModels, **options) -> Confuser:
    """The Confuse tab's confuser: the app's models, all five scorers, and the bundled pool of
    test digits that muddles start from. `options`: make_confuser's (off_line)."""
    pool = np.load(bundled_path("muddle", "test_digits.npz"))
    return make_confuser(pool["images"], pool["labels"], glyph_vae=models.glyph_vae.model,
                         muddle=models.muddle.model, digits=models.digits.model, chooser=models.chooser.model,
                         **options)
