"""Light augmentation on the GPU/CPU in batches, followed by re-normalisation.

Users write narrower, wider, bolder, lighter and more slanted than the data, so
each training glyph gets a random stroke weight, rotation, shear and width.
The result is framed again by the same rule as `normalize_glyph` (ink box
longest side 20 px, centre of mass at the centre), so the model never sees a
glyph framed in a way a user's drawing never is.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

BOX = 20.0
SIZE = 28


def _stroke_weight(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Blend each glyph towards its dilation (bolder) or erosion (lighter)."""
    b = x.shape[0]
    amount = torch.rand(b, 1, 1, 1, generator=generator, device=x.device)
    kind = torch.rand(b, 1, 1, 1, generator=generator, device=x.device)
    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    bold = x + amount * (dilated - x)
    light = x + 0.6 * amount * (eroded - x)
    return torch.where(kind < 0.3, bold, torch.where(kind < 0.5, light, x))


def _random_affine(x: torch.Tensor, generator: torch.Generator, max_rotate: float, max_shear: float,
                   max_stretch: float) -> torch.Tensor:
    b = x.shape[0]
    u = lambda: torch.rand(b, generator=generator, device=x.device) * 2 - 1  # noqa: E731
    angle = u() * math.radians(max_rotate)
    shear = u() * max_shear
    stretch = torch.exp(u() * max_stretch)  # horizontal scale: narrow <1, wide >1
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Output->input map: inverse of (rotate . shear . stretch); only its shape
    # matters because the glyph is re-framed afterwards.
    a11, a12 = cos / stretch, (-sin + shear * cos) / stretch
    a21, a22 = sin, cos + shear * sin
    theta = torch.stack([torch.stack([a11, a12, torch.zeros_like(a11)], 1),
                         torch.stack([a21, a22, torch.zeros_like(a11)], 1)], 1)
    # Shrink first so nothing is cut off at the border; re-framing restores the size.
    grid = F.affine_grid(theta * 1.4, x.shape, align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def reframe(x: torch.Tensor, threshold: float = 0.15) -> torch.Tensor:
    """Batch version of the normalisation rule for already-28x28 glyphs."""
    b = x.shape[0]
    img = x[:, 0]
    mask = img > threshold
    rows, cols = mask.any(2), mask.any(1)
    idx = torch.arange(SIZE, device=x.device, dtype=x.dtype)
    big = torch.full_like(rows, SIZE, dtype=x.dtype)
    top = torch.where(rows, idx, big).amin(1)
    bottom = torch.where(rows, idx, -big).amax(1)
    left = torch.where(cols, idx, big).amin(1)
    right = torch.where(cols, idx, -big).amax(1)
    span = torch.maximum(bottom - top + 1, right - left + 1).clamp(min=1)
    mass = img.sum((1, 2)).clamp(min=1e-6)
    cy = (img.sum(2) * idx).sum(1) / mass
    cx = (img.sum(1) * idx).sum(1) / mass
    scale = span / BOX  # input pixels per output pixel
    center = (SIZE - 1) / 2
    out_idx = (idx - center)
    ys = cy[:, None] + out_idx[None] * scale[:, None]  # (b, 28) input rows for output rows
    xs = cx[:, None] + out_idx[None] * scale[:, None]
    # grid_sample's normalised coordinates, align_corners=False
    gy = (ys + 0.5) / SIZE * 2 - 1
    gx = (xs + 0.5) / SIZE * 2 - 1
    grid = torch.stack([gx[:, None, :].expand(b, SIZE, SIZE), gy[:, :, None].expand(b, SIZE, SIZE)], dim=-1)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    empty = ~rows.any(1)
    return torch.where(empty[:, None, None, None], x, out)


def augment(x: torch.Tensor, generator: torch.Generator, *, probability: float = 0.8,
            max_rotate: float = 10.0, max_shear: float = 0.3, max_stretch: float = 0.3) -> torch.Tensor:
    """x: (B, 1, 28, 28) normalised glyphs -> augmented, re-framed glyphs."""
    if probability <= 0:
        return x
    y = _stroke_weight(x, generator)
    y = _random_affine(y, generator, max_rotate, max_shear, max_stretch)
    y = reframe(y).clamp(0, 1)
    keep = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device) >= probability
    return torch.where(keep, x, y)


def augment_reader(x: torch.Tensor, generator: torch.Generator, *, probability: float = 0.75,
                   max_rotate: float = 12.0, max_scale: float = 0.15, max_aspect: float = 0.12,
                   max_shear: float = 0.25, max_shift: float = 1.7, stroke_share: float = 0.15) -> torch.Tensor:
    """The reader's augmentation: x (B, 1, 28, 28) normalised glyphs -> glyphs moved within the frame.

    Unlike `augment` it does not re-frame: a reader meets drawings that `normalize_glyph` framed a
    little off (a stray pixel moves the box, a tail moves the centre of mass), so size and place
    vary here too. `probability` of the glyphs get a random rotation, scale, aspect, shear and shift
    (in pixels); independently `stroke_share` of them are blended towards their dilation (bolder)
    and as many towards their erosion (lighter), each by a random amount."""
    b, device = x.shape[0], x.device
    u = lambda: torch.rand(b, generator=generator, device=device) * 2 - 1  # noqa: E731
    amount = 0.3 + 0.7 * torch.rand(b, 1, 1, 1, generator=generator, device=device)
    kind = torch.rand(b, 1, 1, 1, generator=generator, device=device)
    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    y = torch.where(kind < stroke_share, x + amount * (dilated - x),
                    torch.where(kind < 2 * stroke_share, x + amount * (eroded - x), x))

    angle = u() * math.radians(max_rotate)
    scale = 1 + u() * max_scale
    aspect = torch.exp(u() * math.log1p(max_aspect))
    sx, sy = scale * aspect, scale / aspect
    shear = u() * max_shear
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Forward map A = rotate . shear . diag(sx, sy) in normalised coordinates; affine_grid wants
    # its inverse (output -> input).
    a = torch.stack([torch.stack([cos * sx, (cos * shear - sin) * sy], 1),
                     torch.stack([sin * sx, (sin * shear + cos) * sy], 1)], 1)
    inv = torch.linalg.inv(a)
    shift = torch.stack([u(), u()], 1) * max_shift * 2 / SIZE  # pixels -> normalised units
    offset = -(inv @ shift.unsqueeze(2))
    theta = torch.cat([inv, offset], 2)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    moved = F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    pick = torch.rand(b, 1, 1, 1, generator=generator, device=device) < probability
    return torch.where(pick, moved, y).clamp(0, 1)
