"""Reading on the lines: a drawing's size and place on ruled paper, read with its shape.

A glyph alone cannot say c or C, o or O, p or P, g or 9: cropped to its ink and scaled to
20 px, they are the same picture. On lined paper they are not: a small c sits between the
x-height line and the baseline, a capital C reaches the cap line, a g hangs below the
baseline where a 9 stands on it. The app's ruled pads (`glyph_vae.ui.pad`) draw four guides
at fixed fractions of the square canvas's height (`GUIDES`); the guides are the page's, not
part of the ink, so an image of a drawing made on them is read here as:

1. the ink's geometry against the guides (`measure`): where its top and bottom are, how tall
   and wide it is, where its mass and its 10%/90% rows sit, how much of it hangs below the
   baseline or rises above the x-height line, all in x-heights from the baseline;
2. the shape reader's log-probabilities (GlyphVAE's own reader, on the normalised glyph);
3. combined by `RuledReader`, a small model over both: log p(c | shape) scaled, plus a
   per-class score of the geometry from a one-hidden-layer MLP (a learned log p(geometry | c)
   up to a constant, the product of two experts), divided by a temperature fitted on held-out
   drawings so that its probabilities stay calibrated.

It is trained (`python -m train.ruled`) on drawings made by `glyph_vae.testing.ruled_drawings` (`ruled_drawing`): the
skeletons of `glyph_vae.glyphs.strokes` placed on the lines the way a person writes, with a person's
sloppiness (size 0.85-1.2x the guides, the baseline missed by a few percent, slant, rotation,
wobble, any width and pen). Its `TEST_SEED` is the benchmark's and no training step draws with it.

Ink too small to be a character against the x-height (a dot, a tiny scribble) is not read:
`TooSmallToReadError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import GlyphError
from ..models.model import CHARSET, RULED_NAME, GlyphVAE  # noqa: F401 (RULED_NAME: where its weights are)
from ..glyphs.preprocess import ink_map, load_image, normalize_ink
from .reading import Reading, glyph_tensor
# The reader's weights load with the model's, from the module below it (names kept here too).
from ..models.ruled_reader import FEATURES, RuledReader, load_ruled_reader, reader_fingerprint  # noqa: F401

# Fractions of the canvas height, from the top: where the guides are drawn.
GUIDES = {"cap": 0.22, "x": 0.46, "base": 0.70, "descender": 0.88}
X_HEIGHT = GUIDES["base"] - GUIDES["x"]  # the unit of every measure here
# Ink whose height and width are both under this many x-heights is a stray mark, not a letter
# (a lower-case o written 0.85x the guides is 0.85 x-heights tall; a pen's dot is about 0.3).
SMALLEST = 0.45


class TooSmallToReadError(GlyphError):
    def __init__(self, message: str = "Too small to read: write the character on the lines, small letters "
                                      "from the baseline up to the dashed line, capitals and digits up to "
                                      "the top line."):
        super().__init__(message)


def _units(rows_fraction: np.ndarray | float) -> np.ndarray | float:
    """Canvas-height fractions from the top -> x-heights above the baseline."""
    return (GUIDES["base"] - rows_fraction) / X_HEIGHT


@dataclass
class Geometry:
    """A drawing's ink against the guides, in x-heights above the baseline (negative: below it)."""
    top: float
    bottom: float
    height: float
    width: float
    centre: float  # of the ink's mass
    row10: float  # 10% of the ink lies above this row...
    row90: float  # ...and 90% above this one
    below_base: float  # share of the ink more than 0.1 x-height below the baseline
    above_x: float  # share of the ink more than 0.1 x-height above the x-height line

    @property
    def too_small(self) -> bool:
        return max(self.height, self.width) < SMALLEST

    def vector(self) -> np.ndarray:
        # Clipped: a drawing far off the lines says no more than one at the edge of the range.
        return np.clip(np.array([getattr(self, name) for name in FEATURES], np.float32), -3.0, 4.0)


def measure(ink: np.ndarray) -> Geometry:
    """An ink map (H, W) in [0, 1] of the whole canvas, guides at `GUIDES` of its height ->
    its Geometry. Raises BlankDrawingError (via the same rule as normalisation) when blank."""
    from ..errors import BlankDrawingError

    peak = float(ink.max(initial=0.0))
    if peak < 0.08:
        raise BlankDrawingError()
    height = ink.shape[0]
    inked = np.where(ink / peak > 0.15, ink, 0.0)
    by_row = inked.sum(1, dtype=np.float64)  # ink per row, top to bottom
    rows, cols = np.nonzero(by_row)[0], np.nonzero(inked.any(0))[0]
    if len(rows) == 0:
        raise BlankDrawingError()
    total = by_row.sum()
    u = _units((np.arange(height) + 0.5) / height)  # each row's height above the baseline
    cumulative = np.cumsum(by_row) / total  # rows from the top: the share of ink above and in each
    row10, row90 = u[np.searchsorted(cumulative, [0.1, 0.9]).clip(0, height - 1)]
    top, bottom = _units(rows.min() / height), _units((rows.max() + 1) / height)
    return Geometry(top=float(top), bottom=float(bottom), height=float(top - bottom),
                    width=float((cols.max() + 1 - cols.min()) / height / X_HEIGHT),
                    centre=float((u * by_row).sum() / total), row10=float(row10), row90=float(row90),
                    below_base=float(by_row[u < -0.1].sum() / total),
                    above_x=float(by_row[u > 1.1].sum() / total))


def shape_log_probs(model: GlyphVAE, glyphs: torch.Tensor) -> torch.Tensor:
    """The shape reader's log-probabilities without its class prior shift: the combiner learns
    its own prior for ruled writing, and stays valid when `train.prior` moves the shift."""
    with torch.no_grad():
        return (model.read_logits(glyphs) - model.class_prior_shift).log_softmax(dim=1)


@dataclass
class RuledReading(Reading):
    geometry: Geometry | None = None


def glyph_on_lines(source: Any) -> tuple[np.ndarray, Geometry]:
    """A drawing on a ruled pad (the whole canvas, only the ink) -> its normalised glyph and its
    geometry against the guides. Raises BlankDrawingError for a blank canvas and
    TooSmallToReadError for a stray mark."""
    ink = ink_map(load_image(source))
    glyph = normalize_ink(ink)
    geometry = measure(ink)
    if geometry.too_small:
        raise TooSmallToReadError()
    return glyph, geometry


@torch.no_grad()
def ruled_probabilities(model: GlyphVAE, glyphs: np.ndarray, geometries: list[Geometry]) -> np.ndarray:
    """Normalised glyphs (N, 28, 28) and their geometries -> (N, 62) probabilities, read with
    both shape and place (the model's RuledReader; RuntimeError when it has none)."""
    ruled = getattr(model, "ruled", None)
    if ruled is None:
        raise RuntimeError("This GlyphVAE has no reader for ruled drawings (ruled.safetensors): "
                           "`python -m train.ruled` fits one.")
    features = torch.from_numpy(np.stack([g.vector() for g in geometries]))
    return ruled(shape_log_probs(model, glyph_tensor(glyphs)), features).softmax(dim=1).numpy()


@torch.no_grad()
def read_ruled(model: GlyphVAE, source: Any) -> RuledReading:
    """Read a drawing made on a ruled pad: `source` is the whole square canvas (any image
    `glyph_vae.glyphs.preprocess.load_image` opens), guides at GUIDES, only the ink in it.

    Raises BlankDrawingError for a blank canvas, TooSmallToReadError for a stray mark, and
    RuntimeError when the model has no ruled reader (no ruled.safetensors beside it)."""
    glyph, geometry = glyph_on_lines(source)
    x = glyph_tensor(glyph[None])
    probs = ruled_probabilities(model, glyph[None], [geometry])[0]
    top = torch.tensor([int(probs.argmax())])
    mu, _ = model.posterior(x, top)  # the style as the character read on the lines, not the shape's guess
    recon = torch.sigmoid(model.decode(top, mu))[0, 0].numpy()
    return RuledReading(glyph=glyph, reconstruction=recon, probabilities=probs, geometry=geometry)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE (Guo et al. 2017): the confidence-weighted gap between confidence and accuracy,
    over `bins` equal-width bins of the top probability."""
    confidence = probabilities.max(1)
    right = probabilities.argmax(1) == labels
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(confidence[inside].mean() - right[inside].mean())
    return float(total)
