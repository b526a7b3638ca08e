"""The package's model types: the one list of them, and which class a saved model is.

It sits above the models (as in diffusers, the base mixin in `glyph_vae.models.hub` imports no
model): each model module imports `HubModel`, and this module imports every model.
`model_type` in a config.json says which class a folder holds (`model_class_for`), so
training, evaluation and pushing dispatch from here.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .chooser import ChooserEnsemble
from .digits import DigitClassifier
from .hub import CONFIG_NAME, HubModel, ModelLoadError
from .model import GlyphVAE
from .muddle import MuddleAutoencoder

REGISTRY: dict[str, type[HubModel]] = {cls.model_type: cls for cls in
                                       (GlyphVAE, MuddleAutoencoder, DigitClassifier, ChooserEnsemble)}
MODEL_TYPES = tuple(REGISTRY)  # "glyph_vae", "muddle", "digits", "chooser"


def model_class(model_type: str) -> type[HubModel]:
    """The class of a config's `model_type` (one of MODEL_TYPES)."""
    try:
        return REGISTRY[model_type]
    except KeyError:
        raise ModelLoadError(f"unknown model_type {model_type!r}; known: {sorted(REGISTRY)}") from None


def model_class_for(folder: str | os.PathLike) -> type[HubModel]:
    """The class of the model saved in `folder`, from its config.json's model_type."""
    path = Path(folder) / CONFIG_NAME
    try:
        model_type = json.loads(path.read_text()).get("model_type")
    except (OSError, ValueError, AttributeError) as exc:
        raise ModelLoadError(f"{path} is not a readable model config: {exc}") from None
    if not model_type:
        raise ModelLoadError(f"{path} has no model_type, so it does not say which model it holds")
    return model_class(model_type)
