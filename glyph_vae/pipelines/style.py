"""A writer's style: inferred from a few drawings, then used to draw any character.

    >>> from glyph_vae import GlyphVAE, normalize_glyph
    >>> from glyph_vae.pipelines.style import draw_glyphs, infer_style
    >>> model = GlyphVAE.from_pretrained()
    >>> style = infer_style(model, [normalize_glyph("my_a.png"), normalize_glyph("my_k.png")])
    >>> glyphs = draw_glyphs(model, "Hello", style, randomness=0.3, seed=7)  # (5, 28, 28) in [0, 1]
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch

from ..errors import UnsupportedCharactersError
from ..models.model import CHARSET, GlyphVAE
from ..glyphs.proportions import Proportions, blend
from .reading import glyph_tensor
from ..models.style_axes import StyleAxis, read_style_axes

__all__ = ["SliderSetting", "Sliders", "Style", "StyleAxis", "UnsupportedCharactersError",
           "check_characters", "combine_posteriors", "draw_glyphs", "full_strength",
           "infer_style", "ink", "mix_styles", "prior_style", "read_style_axes", "slider_offset", "slider_positions",
           "style_latents", "written_probabilities"]

@dataclass(frozen=True)
class Style:
    """A Gaussian belief over the style latent z shared by a writer's glyphs."""

    mean: np.ndarray  # (latent_dim,) float32
    std: np.ndarray  # (latent_dim,) float32
    count: int  # drawings it was inferred from; 0 means the prior, the average writer
    # How much one drawing leaves z open: the geometric mean of the drawings' own posterior
    # spreads (None: the style's spread). The style's `std` shrinks as drawings are added,
    # since they agree on the writer; a writer's glyphs still differ from one another by
    # about this much (see glyph_vae.export.font's alternates).
    variation: np.ndarray | None = None
    # What the drawings were read as, in order ("AK7"; "" for the prior): what a style file
    # says it was read from, so that a user sees what a loaded style is made of.
    characters: str = ""
    # The writer's vertical proportions, measured on the ruled pads (None: a typical hand's).
    proportions: Proportions | None = None

    @property
    def hand_variation(self) -> np.ndarray:
        return self.std if self.variation is None else self.variation

    def shifted(self, offset: np.ndarray) -> "Style":
        """The same belief moved by `offset` (the latent sliders), its spread kept."""
        return replace(self, mean=np.float32(self.mean + offset))


def prior_style(latent_dim: int) -> Style:
    """No drawings: the average style N(0, I), the prior every posterior is measured against."""
    return Style(np.zeros(latent_dim, np.float32), np.ones(latent_dim, np.float32), 0)


@torch.no_grad()
def infer_style(model: GlyphVAE, glyphs: np.ndarray | list[np.ndarray]) -> Style:
    """The style shared by normalised glyphs (N, 28, 28); N = 0 gives the prior.

    The drawings are N views of one writer, so their evidence multiplies: by
    Bayes, p(z | x_1..x_N) is proportional to p(z) * prod_i q(z|x_i) / p(z), a
    product of Gaussians divided N - 1 times by the prior. Precisions add (minus
    the prior's N - 1 extra copies) and the mean is the precision-weighted mean,
    so a dimension one drawing is sure about and another is vague about follows
    the sure one, and dimensions none of them use stay at the prior. A mixture
    would instead pick one drawing per sample and never agree on a style.
    Randomness then samples around this (narrower) belief, so more drawings give
    a steadier hand.
    """
    glyphs = np.asarray(glyphs, np.float32)
    if len(glyphs) == 0:
        return prior_style(model.config.latent_dim)
    _, mu, logvar = model.encode(glyph_tensor(glyphs))
    return combine_posteriors(mu, logvar)


def combine_posteriors(mu: torch.Tensor, logvar: torch.Tensor) -> Style:
    """The product of N Gaussian posteriors (N, latent) over the prior's N - 1 copies (see infer_style)."""
    precision = torch.exp(-logvar)  # (N, latent)
    # Never less sure than the prior (precision 1), even where an encoder's
    # posterior is wider than N(0, 1) and the subtraction would go below it.
    total = torch.clamp(precision.sum(0) - (len(mu) - 1), min=1.0)
    mean = (precision * mu).sum(0) / total
    variation = torch.exp(0.5 * logvar.mean(0))  # the drawings' spreads, geometric mean
    return Style(mean.numpy().astype(np.float32), total.rsqrt().numpy().astype(np.float32), len(mu),
                 variation.numpy().astype(np.float32))


def mix_styles(a: Style, b: Style, weight: float) -> Style:
    """A style `weight` of the way from `a` (0) to `b` (1).

    How the two Gaussians are mixed: the means are interpolated linearly and the
    log-variances linearly (so the spread goes geometrically, and stays positive). A slider
    measure is a linear function of the mean (`slider_positions`), so every slider of the
    mix sits the same fraction of the way between the two styles' own positions: a morph
    moves width, weight, slant and height evenly at once, and the midpoint is halfway in
    each. Interpolating the natural parameters instead (precision and precision times mean,
    the geometric mixture p_a^(1-w) p_b^w) weights each dimension's mean by how sure each
    style is of it: right for evidence about one writer (that is how `infer_style` combines
    drawings), wrong for blending two hands, where it follows the surer style and can put a
    slider measure outside the range of the two. A mixture of the two densities would not be
    one style at all, but a coin tossed per glyph.

    The arithmetic is done in float64 and rounded to float32 once, so weight 0 gives `a`'s
    arrays back exactly and weight 1 `b`'s (float64 carries the 2 x log and exp of a float32
    value back to within 1e-16 of it, far inside float32's rounding). `count` (how many
    drawings' worth of evidence) is interpolated the same way and rounded, `variation` (one
    drawing's spread) like the spread; the mix is read from both styles' characters, and its
    proportions lie the same fraction of the way between theirs.
    """
    from ..errors import check_fraction

    weight = check_fraction(weight, "The mixing weight", "0: the first style, 1: the second")
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"Styles of {a.mean.size}-d and {b.mean.size}-d latents cannot be mixed.")

    def between(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (1.0 - weight) * np.float64(x) + weight * np.float64(y)

    def spread(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        log_var = between(2.0 * np.log(np.float64(x)), 2.0 * np.log(np.float64(y)))
        return np.float32(np.exp(0.5 * log_var))

    variation = None
    if a.variation is not None or b.variation is not None:
        variation = spread(a.hand_variation, b.hand_variation)
    count = int(np.floor((1.0 - weight) * a.count + weight * b.count + 0.5))
    characters = a.characters if weight == 0 else b.characters if weight == 1 else a.characters + b.characters
    return Style(np.float32(between(a.mean, b.mean)), spread(a.std, b.std), count, variation, characters,
                 blend(a.proportions, b.proportions, weight))


def check_characters(characters: str) -> None:
    bad = [c for c in characters if c not in CHARSET]
    if bad:
        raise UnsupportedCharactersError("".join(bad))


def style_latents(style: Style, count: int, randomness: float, seed: int, *,
                  spread: np.ndarray | None = None) -> torch.Tensor:
    """`count` latents: the style's mean plus randomness x a spread x N(0, I) noise; the
    spread is the style's own (`std`) unless another is given.

    Each glyph gets its own draw, as a hand never makes two letters alike; the
    noise comes from one seeded generator, so the same seed gives the same glyphs.
    The randomness (0 to 1) and the seed (0 to 2^63-1) are a user's, checked where the
    library is entered (writing.check_inputs, font.build_font), not again at every layer.
    """
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(count, len(style.mean), generator=generator)
    spread = style.std if spread is None else spread
    return torch.from_numpy(style.mean)[None] + randomness * torch.from_numpy(np.float32(spread))[None] * noise


# The ink curve: no ink below the floor, full ink a span above it (through 0.45 at half ink).
INK_FLOOR, INK_SPAN = 0.25, 0.4
# A glyph's strongest pixels (its top 2%) are brought up to this probability, by at most
# MAX_INK_GAIN times (see full_strength). Measured on the contact sheet and the style-transfer
# benchmark: 0.6 mends most broken strokes (shape checks passed 1,681 -> 1,790 of 2,000) and keeps
# a light hand light (transfer ratio 0.94 -> 0.83); 0.9 mended more (1,871) but drew every hand
# at one weight (light 0.32).
FULL_STRENGTH, STRENGTH_QUANTILE, MAX_INK_GAIN = 0.6, 0.98, 2.0


def ink_gain(probabilities: np.ndarray) -> np.ndarray:
    """Per glyph (the last two axes), the factor that brings its strongest pixels to
    FULL_STRENGTH: 1 for a glyph that is already sure of its strokes, up to MAX_INK_GAIN
    for a faint one (shape (..., 1, 1), to multiply the glyph by)."""
    p = np.asarray(probabilities, np.float32)
    peak = np.quantile(p, STRENGTH_QUANTILE, axis=(-2, -1), keepdims=True)
    return np.float32(np.clip(FULL_STRENGTH / np.maximum(peak, 1e-6), 1.0, MAX_INK_GAIN))


def full_strength(probabilities: np.ndarray) -> np.ndarray:
    """The decoder's pixel probabilities with each glyph's faint strokes brought to full strength.

    In a style far from the average (a light, a wide or a slanted hand) the decoder is less
    sure where each stroke runs, and its best guess is a fainter blur: a light A peaks at
    0.5 where an average one reaches 0.8. The ink curve then breaks its strokes into pieces
    (the contact sheet's light, wide, narrow and italic example styles lost a stroke or
    more in half of their characters). A pen lays
    its ink at one strength whatever the hand, so the glyph is scaled up until its top 2%
    of pixels reach FULL_STRENGTH; the shape, and where the ink curve cuts it, stay the decoder's.
    Everything written (pages, fonts, vectors) starts from these probabilities."""
    p = np.asarray(probabilities, np.float32)
    return np.clip(p * ink_gain(p), 0.0, 1.0)


@torch.no_grad()
def written_probabilities(model: GlyphVAE, classes: torch.Tensor, z: torch.Tensor) -> np.ndarray:
    """(B,) classes and (B, latent) styles -> (B, 28, 28) the decoder's glyphs at full strength,
    not yet inked: what every written glyph starts from."""
    return full_strength(torch.sigmoid(model.decode(classes, z))[:, 0].numpy())


def ink(probabilities: np.ndarray) -> np.ndarray:
    """Pixel probabilities of ink -> ink as a pen lays it down.

    The decoder gives each pixel's Bernoulli mean, which is a blur over the strokes
    the writer might have made: thicker and greyer than any one of them, so a light
    hand and a bold one come out much alike. A steep curve through 0.45 keeps where
    the stroke most likely is, with a one-pixel anti-aliased edge. The page layout
    applies the same curve after upscaling, the glyph endpoints at 28x28.
    """
    return np.clip((np.asarray(probabilities, np.float32) - INK_FLOOR) / INK_SPAN, 0.0, 1.0)


@torch.no_grad()
def draw_glyphs(model: GlyphVAE, characters: str, style: Style, randomness: float = 0.0,
                seed: int = 0, *, crisp: bool = True, spread: np.ndarray | None = None) -> np.ndarray:
    """One 28x28 glyph in [0, 1] (white ink on black) per character of `characters`:
    inked (see `ink`), or with crisp=False the decoder's probabilities at full strength
    (`full_strength`), not yet inked. `spread`: what
    randomness scales (default the style's std; see style_latents). The randomness and seed
    are taken as checked (writing.glyphs_for is the entry that checks them)."""
    check_characters(characters)
    z = style_latents(style, len(characters), randomness, seed, spread=spread)
    if not characters:
        return np.zeros((0, 28, 28), np.float32)
    classes = torch.tensor([CHARSET.index(c) for c in characters])
    probabilities = written_probabilities(model, classes, z)
    return ink(probabilities) if crisp else probabilities


# -- style axes: the latent sliders ------------------------------------------


def slider_positions(style: Style, axes: list[StyleAxis]) -> list[float]:
    """Where a style sits on each axis, in standard deviations of the training styles."""
    return [float(style.mean @ a.direction / a.scale) for a in axes]


def slider_offset(axes: list[StyleAxis], start: list[float], wanted: list[float]) -> np.ndarray:
    """The move in z from sliders at `start` to sliders at `wanted` (the axes are
    orthogonal, so each slider moves only its own coordinate of z)."""
    offset = np.zeros(len(axes[0].direction) if axes else 0, np.float32)
    for axis, a, b in zip(axes, start, wanted):
        offset += (float(b) - float(a)) * axis.scale * axis.direction
    return offset


class SliderSetting(NamedTuple):
    """One style slider as it stands: its value and its range, in standard deviations."""

    value: float
    low: float
    high: float


class Sliders:
    """The arithmetic of the style sliders, one per style axis (what an app shows them with is its own).

    A slider stands at a style's own place on its axis (`positions`), rounded to hundredths as
    the sliders stand (their step is 0.05). A move of a slider is an offset from that place, and
    the style drawn is the style moved by the offsets (`moved`); a style file keeps the offsets
    by axis name (`offsets`, `moved_by`). A slider's range is its axis's own, stretched to the
    next step beyond a style whose own place lies outside it, so that the slider can show the
    style as it is; a value is clipped into the range and rounded (`settings`). A style that
    changes under the sliders keeps their moves (`carried`).
    """

    DECIMALS = 2  # the sliders stand on hundredths
    STEPS = 20  # slider steps per standard deviation (a step of 0.05): a stretched range ends on one

    def __init__(self, axes: Sequence[StyleAxis]):
        self.axes = tuple(axes)

    def __len__(self) -> int:
        return len(self.axes)

    def positions(self, style: Style) -> list[float]:
        """Where a style sits on each axis, as the sliders stand."""
        return [round(p, self.DECIMALS) for p in slider_positions(style, list(self.axes))]

    def offsets(self, style: Style, values: Sequence[float]) -> dict[str, float]:
        """Sliders at `values` as moves from the style's own place, by axis name (a style file's offsets)."""
        return {axis.name: float(v) - p for axis, v, p in zip(self.axes, values, self.positions(style))}

    def moved(self, style: Style, values: Sequence[float]) -> Style:
        """The style as sliders at `values` draw it: moved as far as they were moved from its own place."""
        if not self.axes:
            return style
        return style.shifted(slider_offset(list(self.axes), self.positions(style), list(values)))

    def moved_by(self, style: Style, offsets: Mapping[str, float]) -> Style:
        """The style moved by `offsets` (by axis name; an axis not named is not moved): the move
        sliders standing that far from the style's own place make."""
        if not self.axes:
            return style
        return style.shifted(slider_offset(list(self.axes), [0.0] * len(self.axes),
                                           [offsets.get(axis.name, 0.0) for axis in self.axes]))

    def settings(self, style: Style, values: Sequence[float] | None = None) -> list[SliderSetting]:
        """The sliders for `style` standing at `values` (None: at the style's own place), each
        range stretched to the style's place where that lies beyond the axis's own."""
        positions = self.positions(style)
        return self._at(positions if values is None else values, positions)

    def with_offsets(self, style: Style, offsets: Mapping[str, float]) -> list[SliderSetting]:
        """The sliders for `style` moved by `offsets` (by axis name, as a style file keeps them)."""
        positions = self.positions(style)
        return self._at([p + offsets.get(axis.name, 0.0) for axis, p in zip(self.axes, positions)], positions)

    def carried(self, old: Style, new: Style, values: Sequence[float | None]) -> list[SliderSetting]:
        """The sliders for `new` that keep the moves made on `old` (sliders at `values`; None: not moved)."""
        before, after = self.positions(old), self.positions(new)
        moves = [float(v) - b if v is not None else 0.0 for v, b in zip(values, before)]
        return self._at([a + m for a, m in zip(after, moves)], after)

    def _at(self, values: Sequence[float], positions: Sequence[float]) -> list[SliderSetting]:
        settings = []
        for axis, value, place in zip(self.axes, values, positions):
            low = min(axis.low, math.floor(place * self.STEPS) / self.STEPS)
            high = max(axis.high, math.ceil(place * self.STEPS) / self.STEPS)
            settings.append(SliderSetting(round(float(np.clip(value, low, high)), self.DECIMALS), low, high))
        return settings
