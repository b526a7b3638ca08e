"""Reading a drawing: normalise it, classify it, and show what the model saw.

Pure functions over a loaded model, usable from Python without Gradio:

    >>> from glyph_vae import GlyphVAE, read
    >>> reading = read(GlyphVAE.from_pretrained(), "my_drawing.png")
    >>> reading.top(5)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..models.model import CHARSET, GlyphVAE
from ..glyphs.preprocess import normalize_glyph


@dataclass
class Reading:
    glyph: np.ndarray  # (28, 28) float32 in [0, 1]: what the model saw
    reconstruction: np.ndarray  # (28, 28) float32: the decoder's redrawing of it as the top class
    probabilities: np.ndarray  # (62,) over CHARSET

    @property
    def character(self) -> str:
        return CHARSET[int(self.probabilities.argmax())]

    def top(self, k: int = 5) -> dict[str, float]:
        """The k most likely characters with their probabilities, best first."""
        order = np.argsort(-self.probabilities)[:k]
        return {CHARSET[i]: float(self.probabilities[i]) for i in order}


def glyph_tensor(glyphs: np.ndarray | list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.asarray(glyphs, dtype=np.float32)).reshape(-1, 1, 28, 28)


@torch.no_grad()
def read_glyphs_and_posteriors(model: GlyphVAE, glyphs: np.ndarray, classes: torch.Tensor | None = None
                               ) -> tuple[np.ndarray, np.ndarray, torch.Tensor, torch.Tensor]:
    """Normalised glyphs (N, 28, 28) -> probabilities (N, 62), reconstructions (N, 28, 28),
    and the posteriors' means and log-variances (N, latent), all from one pass of the encoder.
    `classes` (N,): the characters the glyphs are known to be, which the posteriors and the
    reconstructions are then conditioned on (None: the characters read)."""
    logits, mu, logvar = model.encode(glyph_tensor(glyphs), classes)
    probs = logits.softmax(dim=1)
    recon = torch.sigmoid(model.decode(probs.argmax(dim=1) if classes is None else classes, mu))
    return probs.numpy(), recon[:, 0].numpy(), mu, logvar


def read_glyphs(model: GlyphVAE, glyphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised glyphs (N, 28, 28) -> (probabilities (N, 62), reconstructions (N, 28, 28))."""
    return read_glyphs_and_posteriors(model, glyphs)[:2]


def read(model: GlyphVAE, source: Any) -> Reading:
    """Read one image, drawing or sketchpad value (see preprocess.normalize_glyph)."""
    glyph = normalize_glyph(source)
    probs, recon = read_glyphs(model, glyph[None])
    return Reading(glyph=glyph, reconstruction=recon[0], probabilities=probs[0])


def case_fold(index: int | np.ndarray) -> int | np.ndarray:
    """Map a-z (36..61) onto A-Z (10..35); digits and capitals are unchanged."""
    return np.where(np.asarray(index) >= 36, np.asarray(index) - 26, index)
