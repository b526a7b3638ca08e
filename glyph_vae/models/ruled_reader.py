"""The reader of ruled drawings as the model loads it: `RuledReader`'s weights, saved beside a
GlyphVAE's as ruled.safetensors, and the check that they were fitted to its shape reader.

What the reader reads and how it is trained are `glyph_vae.pipelines.ruled`'s (which re-exports these
names). This module sits below the model: `GlyphVAE.load_sidecars` loads the reader from here,
and nothing here imports the model, so that the model does not import the reading on the lines.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .hub import ModelLoadError

if TYPE_CHECKING:
    from pathlib import Path

    from .model import GlyphVAE

# The geometry of a drawing against the guides that the reader reads (glyph_vae.pipelines.ruled.Geometry).
FEATURES = ("top", "bottom", "height", "width", "centre", "row10", "row90", "below_base", "above_x")
NUM_CLASSES = 62  # GlyphVAE's characters (model.CHARSET); a test checks that they agree


class RuledReader(nn.Module):
    """p(c | shape, geometry) ~ softmax((a * log p(c | shape) + g(geometry)_c) / T): the shape
    reader's log-probabilities, scaled, plus a per-class geometry score (an MLP), over a
    temperature T fitted after training on held-out drawings."""

    def __init__(self, hidden: int = 48, num_classes: int = NUM_CLASSES):
        super().__init__()
        n = len(FEATURES)
        self.register_buffer("feature_mean", torch.zeros(n))
        self.register_buffer("feature_std", torch.ones(n))
        self.shape_weight = nn.Parameter(torch.ones(()))
        self.geometry = nn.Sequential(nn.Linear(n, hidden), nn.Tanh(), nn.Linear(hidden, num_classes))
        self.register_buffer("temperature", torch.ones(()))

    def forward(self, shape_log_probs: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """(B, 62) log-probabilities, (B, len(FEATURES)) -> (B, 62) calibrated logits."""
        g = self.geometry((features - self.feature_mean) / self.feature_std)
        return (self.shape_weight * shape_log_probs + g) / self.temperature


def load_ruled_reader(path: Path, model: GlyphVAE) -> RuledReader | None:
    """The RuledReader saved at `path` (safetensors, every key and shape checked), or None with a
    warning in model.load_warnings when there is none or it was fitted to another reader."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        model.load_warnings.append(f"GlyphVAE from {path.parent} has no {path.name}, so drawings on ruled pads are "
                                   "read by their shape alone (`python -m train.ruled` fits a reader for them).")
        return None
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}
        reader = RuledReader(hidden=int(metadata.get("hidden", "48")))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"GlyphVAE: {path} is not a readable safetensors file: {exc}") from None
    expected = reader.state_dict()
    if set(state) != set(expected) or any(state[k].shape != expected[k].shape for k in expected):
        raise ModelLoadError(f"GlyphVAE: {path} does not hold a ruled reader's weights "
                             f"(keys {sorted(state)})")
    if metadata.get("reader") != reader_fingerprint(model):
        model.load_warnings.append(f"{path} was fitted to another shape reader than {path.parent}'s, so drawings "
                                   "on ruled pads are read by their shape alone (`python -m train.ruled` again).")
        return None
    reader.load_state_dict(state, strict=True)
    return reader.eval()


def reader_fingerprint(model: GlyphVAE) -> str:
    """A hash of the reading parameters (prior shift excluded): the combiner was fitted to them."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if name.startswith(("reader.", "class_head.")):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]
