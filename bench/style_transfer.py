"""Prompt styles for the style-transfer benchmark, and the transfer ratio.

A prompt set is a few real test glyphs; each style is the same glyphs changed
one way (narrower, wider, bolder, lighter, slanted), applied to the raw 28x28
test image and then normalised by `glyph_vae.glyphs.preprocess.normalize_ink`, exactly
as a user's drawing in that style would be. Prompts and generated glyphs are
then measured in that normalised space, the one the model sees and draws in.

    >>> prompts = styled_prompts(raw_uint8_images, "italic")   # (N, 28, 28) normalised
    >>> ratios = transfer_ratios(prompt_change, generated_change)     # per set, relative to neutral
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from glyph_vae.glyphs.preprocess import BlankDrawingError, normalize_ink

STYLES = ("neutral", "narrow", "wide", "bold", "light", "italic")
# Which measure each style is meant to move (glyph_vae.glyphs.measures names).
STYLE_MEASURE = {"narrow": "width", "wide": "width", "bold": "stroke_thickness",
                 "light": "stroke_thickness", "italic": "slant"}
NARROW, WIDE, SHEAR = 0.6, 1.4, 0.35

# The raw glyph is placed in a canvas this big before it is changed, so a wide
# or slanted glyph is never cut off at the 28x28 border; the normalisation
# crops to the ink afterwards anyway.
CANVAS = 56
# Affine changes are sampled at 4 points across each output pixel and averaged,
# so a glyph squeezed to 60% keeps its thin strokes instead of skipping over
# them. Only across: every change here moves ink sideways, never up or down.
SUPERSAMPLE = 4


def _padded(raw: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(np.asarray(raw, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    pad = (CANVAS - 28) // 2
    return F.pad(x, (pad, pad, pad, pad))


def _affine(x: torch.Tensor, x_scale: float = 1.0, shear: float = 0.0) -> torch.Tensor:
    """x' = cx + x_scale (x - cx) + shear (cy - y) about each glyph's ink centre (y = row, down).

    Positive shear moves the top of the glyph to the right: italic.
    """
    n, _, h, w = x.shape
    mass = x.sum((1, 2, 3)).clamp(min=1e-6)
    rows = torch.arange(h, dtype=x.dtype)
    cols = torch.arange(w, dtype=x.dtype)
    cy = (x[:, 0].sum(2) * rows).sum(1) / mass
    cx = (x[:, 0].sum(1) * cols).sum(1) / mass
    s = SUPERSAMPLE
    # Output sample points, in pixel coordinates of the canvas: s per pixel across.
    sub = (torch.arange(w * s, dtype=x.dtype) + 0.5) / s - 0.5
    out_r = rows[None, :, None].expand(n, h, w * s)
    out_c = sub[None, None, :].expand(n, h, w * s)
    # Invert the map: which input point lands on each output point.
    in_r = out_r
    in_c = cx[:, None, None] + (out_c - cx[:, None, None] - shear * (cy[:, None, None] - out_r)) / x_scale
    grid = torch.stack([2 * in_c / (w - 1) - 1, 2 * in_r / (h - 1) - 1], dim=-1)
    fine = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return F.avg_pool2d(fine, (1, s))


def _dilate(x: torch.Tensor) -> torch.Tensor:
    """Grey dilation with a 3x3 square: every stroke one pixel thicker on each side."""
    return F.max_pool2d(x, 3, stride=1, padding=1)


def _thin(x: torch.Tensor) -> torch.Tensor:
    """Grey erosion with a plus-shaped (4-neighbour) element: strokes about a pixel thinner.

    Each pixel keeps the least ink of itself and its four neighbours. A 3x3
    square element also eats the diagonal neighbours, which breaks diagonal
    2-px strokes apart (GlyphVAE then reads only 72% of the set right, against
    87% unchanged); the plus shape thins as much across straight strokes and
    keeps 84%, a glyph that still reads as itself.
    """
    p = F.pad(x, (1, 1, 1, 1))
    centre = p[..., 1:-1, 1:-1]
    up, down = p[..., :-2, 1:-1], p[..., 2:, 1:-1]
    left, right = p[..., 1:-1, :-2], p[..., 1:-1, 2:]
    return torch.minimum(torch.minimum(torch.minimum(centre, up), torch.minimum(down, left)), right)


def transform_raw(raw: np.ndarray, style: str) -> np.ndarray:
    """Raw uint8 test images (N, 28, 28) -> float (N, 56, 56) canvases in the given style."""
    x = _padded(raw)
    if style == "neutral":
        out = x
    elif style == "narrow":
        out = _affine(x, x_scale=NARROW)
    elif style == "wide":
        out = _affine(x, x_scale=WIDE)
    elif style == "bold":
        out = _dilate(x)
    elif style == "light":
        out = _thin(x)
    elif style == "italic":
        out = _affine(x, shear=SHEAR)
    else:
        raise ValueError(f"unknown style {style!r}; one of {STYLES}")
    return out[:, 0].clamp(0, 1).numpy()


def styled_prompts(raw: np.ndarray, style: str) -> np.ndarray:
    """Raw uint8 test images (N, 28, 28) -> normalised glyphs (N, 28, 28) in the given style.

    A glyph the change leaves blank (it never happens with these transforms on
    real glyphs) stays blank rather than stopping the benchmark.
    """
    canvases = transform_raw(raw, style)
    out = np.zeros((len(canvases), 28, 28), np.float32)
    for i, canvas in enumerate(canvases):
        try:
            out[i] = normalize_ink(canvas)
        except BlankDrawingError:
            pass
    return out


def transfer_ratios(prompt_change: np.ndarray, generated_change: np.ndarray, min_change: float = 1e-6) -> np.ndarray:
    """Per prompt set: (change of the generated glyphs' measure) / (change of the prompts' measure).

    Both changes are the style's mean measure minus the neutral set's, per set
    (shape (S,)); a set whose prompts did not change (|change| < min_change) gets NaN.
    1 means the generated glyphs move as far as the prompts, 0 not at all.
    """
    prompt_change = np.asarray(prompt_change, np.float64)
    generated_change = np.asarray(generated_change, np.float64)
    ok = np.abs(prompt_change) >= min_change
    return np.where(ok, generated_change / np.where(ok, prompt_change, 1.0), np.nan)


def relative_ratios(prompt_neutral: np.ndarray, prompt_styled: np.ndarray, generated_neutral: np.ndarray,
                    generated_styled: np.ndarray) -> np.ndarray:
    """Per set: log(generated styled / neutral) / log(prompts styled / neutral).

    The same question asked of proportions: a writer whose glyphs are all a
    little smaller than the prompts and narrow them by the same factor scores 1
    here, and less than 1 on the plain difference. For width and stroke
    thickness (scales), not slant (a shear adds, it does not multiply).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        prompt_log = np.log(np.asarray(prompt_styled, np.float64) / np.asarray(prompt_neutral, np.float64))
        generated_log = np.log(np.asarray(generated_styled, np.float64) / np.asarray(generated_neutral, np.float64))
    return transfer_ratios(prompt_log, generated_log)


def summarise_ratios(prompt_change: np.ndarray, generated_change: np.ndarray) -> dict[str, float]:
    """Median and mean of the per-set ratios, and the pooled ratio (sum of changes over sum)."""
    ratios = transfer_ratios(prompt_change, generated_change)
    return {
        "median": float(np.nanmedian(ratios)),
        "mean": float(np.nanmean(ratios)),
        "pooled": float(np.sum(generated_change) / np.sum(prompt_change)),
        "sets": int(np.isfinite(ratios).sum()),
    }
