"""The latent sliders' axes: directions of z that matter, read from a model's style_axes.json
(`python -m train.style_axes` writes it). Below the model, which loads them as a sidecar;
`glyph_vae.pipelines.style` moves styles along them."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class StyleAxis:
    """A direction of z that matters (a principal direction of the posterior means
    over the training glyphs), named after the style measure it changes most."""

    name: str  # the measure: "width", "stroke_thickness", "slant", "height"
    label: str  # for people, e.g. "Slant (upright → italic)"
    direction: np.ndarray  # (latent_dim,) unit vector, oriented so + increases the measure
    scale: float  # standard deviation of the training posterior means along it
    # How far the slider goes, in those standard deviations: where glyphs stop being
    # letters (train.style_axes measures it), or +-3 for a file that does not say.
    low: float = -3.0
    high: float = 3.0


def read_style_axes(path, latent_dim: int) -> list[StyleAxis]:
    """The axes in a style_axes.json (as `python -m train.style_axes` writes it).

    Raises ValueError naming what is wrong with a broken file: not JSON, no "axes", a
    direction of the wrong length, or non-finite numbers. The model's loader reports it
    as a load error: sliders that point the wrong way are worse than none."""
    try:
        raw = json.loads(Path(path).read_text())
        axes = [StyleAxis(str(a["name"]), str(a["label"]), np.asarray(a["direction"], np.float32), float(a["scale"]),
                          *(float(v) for v in a.get("range", (-3.0, 3.0))))
                for a in raw["axes"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a readable style axes file: {type(exc).__name__}: {exc}") from None
    for axis in axes:
        if axis.direction.shape != (latent_dim,):
            raise ValueError(f"{path}: axis {axis.name!r} has {axis.direction.size} numbers for a "
                             f"{latent_dim}-d latent")
        if not (np.isfinite(axis.direction).all() and np.isfinite(axis.scale) and axis.scale > 0):
            raise ValueError(f"{path}: axis {axis.name!r} has non-finite numbers or a scale <= 0")
        if not (np.isfinite(axis.low) and np.isfinite(axis.high) and axis.low < 0 < axis.high):
            raise ValueError(f"{path}: axis {axis.name!r} has a range that does not go either way of 0")
    return axes
