"""Every letter as pen strokes: a stroke structure per character, fitted to what the decoder draws.

The decoder gives a 28x28 map of ink probabilities: a blur over the strokes a writer might
have made, which knows nothing of how a letter is built. A tracer that follows it turns blur
into lumps and an i's dot into a triangle. Here a letter is built the way a person writes it
and the decoder decides only its shape:

1. **Constructions.** Each character has one or more constructions (`CONSTRUCTIONS`): a few
   pen strokes in a unit box, x right and y down, taken from the skeletons of
   `glyph_vae.glyphs.strokes` (the strokes a mouse user makes), with the variants people use (an open
   and a closed 4, a 7 with or without a bar, a 1 with or without its flag, a straight or a
   cupped y, a one- or two-storey a). Every stroke is a smooth curve (Catmull-Rom) through
   `POINTS` control points, corners of the skeleton kept among them.
2. **Placement.** The construction is put over the decoder's ink: the ink's box and its slant
   (second moments), no gradients.
3. **Fitting.** The control points move so that the strokes, soft-rasterised with a round pen
   (`render`: ink = sigmoid((width/2 - distance to the curve) / softness)), match the page's
   own ink of the decoder's probabilities (`style.ink`), by gradient descent in torch, with
   priors that keep each stroke smooth and evenly spaced and a dot a dot. The construction
   that fits best is kept. Nothing is added or dropped: an i always has its dot, a t its bar.

`fit_strokes` does this per glyph (the reference); `StrokeNet` predicts the same control
points from (class, z) in one pass, trained against the decoder with the same loss
(`python -m train.strokes`), and is what the app uses when its weights are bundled.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..models.model import CHARSET
from .strokes import SKELETONS, arc

POINTS = 8  # control points per stroke
STROKES = 3  # at most, per construction
SAMPLES = 3  # curve points per control-point span, for rendering
SIZE = 28  # the decoder's grid


def _variants() -> dict[str, list[list[list[tuple[float, float]]]]]:
    """Each character's constructions: lists of strokes (polylines in the unit box, y down)."""
    out = {c: [strokes] for c, strokes in SKELETONS.items()}
    # m and n as a person writes them, the arches apart from the stem (the skeletons retrace the
    # stems, and a fitted retrace tangles).
    out["m"] = [[[(0.1, 0.02), (0.1, 1.0)],
                 arc(0.3, 0.3, 0.2, 0.26, 180, 360) + [(0.5, 1.0)],
                 arc(0.71, 0.3, 0.21, 0.26, 180, 360) + [(0.92, 1.0)]]]
    out["n"] = [[[(0.15, 0.02), (0.15, 1.0)], arc(0.5, 0.36, 0.35, 0.3, 180, 360) + [(0.85, 1.0)]]]
    out["h"] = [[[(0.2, 0.0), (0.2, 1.0)], arc(0.5, 0.62, 0.3, 0.24, 180, 360) + [(0.8, 1.0)]]]
    out["1"].append([[(0.5, 0.0), (0.5, 1.0)]])  # a plain stem
    out["7"].append(SKELETONS["7"] + [[(0.3, 0.52), (0.78, 0.52)]])  # with a bar
    out["4"].append([[(0.4, 0.0), (0.12, 0.66), (0.9, 0.66)], [(0.68, 0.3), (0.68, 1.0)]])  # open
    out["y"].append([[(0.12, 0.0), (0.14, 0.35)] + arc(0.48, 0.35, 0.34, 0.22, 180, 0)[1:],
                     [(0.82, 0.0), (0.82, 0.8)] + arc(0.55, 0.8, 0.27, 0.2, 0, 160)])  # cupped
    out["a"].append([[(0.2, 0.15), (0.42, 0.02), (0.7, 0.08), (0.8, 0.3), (0.8, 1.0)],
                     arc(0.52, 0.72, 0.3, 0.26, -10, -350)])  # two-storey
    return out


VARIANTS = _variants()
# Constructions in a fixed order: (character, variant index).
CONSTRUCTIONS: list[tuple[str, int]] = [(c, k) for c in CHARSET for k in range(len(VARIANTS[c]))]
DOT_LENGTH = 0.08  # a stroke shorter than this (unit box) is a dot, and kept one


def _resample(stroke, n: int = POINTS) -> np.ndarray:
    """A skeleton polyline as `n` control points: its corners (turns over 50 degrees) and ends
    kept, the rest spread evenly by length between them."""
    p = np.asarray(stroke, np.float64)
    if len(p) == 1 or np.linalg.norm(p[-1] - p[0]) + np.linalg.norm(np.diff(p, axis=0), axis=1).sum() < DOT_LENGTH:
        return np.repeat(p.mean(0, keepdims=True), n, axis=0)
    keep = [0]
    for i in range(1, len(p) - 1):
        a, b = p[i] - p[i - 1], p[i + 1] - p[i]
        cos = a @ b / max(1e-9, np.linalg.norm(a) * np.linalg.norm(b))
        if cos < math.cos(math.radians(50)):
            keep.append(i)
    keep.append(len(p) - 1)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(seg)])
    corners = along[keep]
    # spread the n points: corners fixed, the others by length over the pieces
    free = n - len(corners)
    if free < 0:  # more corners than points: keep the most evenly spread
        idx = np.round(np.linspace(0, len(corners) - 1, n)).astype(int)
        targets = corners[idx]
    else:
        lengths = np.diff(corners)
        share = lengths / max(lengths.sum(), 1e-9) * free
        counts = np.floor(share).astype(int)
        for i in np.argsort(-(share - counts))[:free - counts.sum()]:
            counts[i] += 1
        targets = [corners[0]]
        for a, b, k in zip(corners[:-1], corners[1:], counts):
            targets.extend(np.linspace(a, b, k + 2)[1:])
        targets = np.asarray(targets)
    x = np.interp(targets, along, p[:, 0])
    y = np.interp(targets, along, p[:, 1])
    return np.stack([x, y], 1)


def construction_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(templates (V, STROKES, POINTS, 2) in the unit box, stroke mask (V, STROKES), dot mask (V, STROKES))."""
    templates = np.zeros((len(CONSTRUCTIONS), STROKES, POINTS, 2), np.float32)
    mask = np.zeros((len(CONSTRUCTIONS), STROKES), bool)
    dots = np.zeros((len(CONSTRUCTIONS), STROKES), bool)
    for v, (c, k) in enumerate(CONSTRUCTIONS):
        for s, stroke in enumerate(VARIANTS[c][k]):
            points = _resample(stroke)
            templates[v, s] = points
            mask[v, s] = True
            dots[v, s] = np.ptp(points, axis=0).max() < DOT_LENGTH
        for s in range(len(VARIANTS[c][k]), STROKES):  # unused strokes sit on the first, masked out
            templates[v, s] = templates[v, 0]
    return torch.from_numpy(templates), torch.from_numpy(mask), torch.from_numpy(dots)


TEMPLATES, STROKE_MASK, DOT_MASK = construction_tensors()
CLASS_CONSTRUCTIONS = [[v for v, (c, _) in enumerate(CONSTRUCTIONS) if c == ch] for ch in CHARSET]


STRAIGHT = 0.012  # unit box: control points this near a line through their ends are a straight run
CLOSED = 0.06  # unit box: a stroke that ends this near its start is a closed loop (an o, a 0, an 8)


def _straight_runs(points: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) control points of each run of three or more that lie on a line, in order."""
    runs, i, n = [], 0, len(points)
    while i < n - 2:
        j = i + 2
        while j < n and _on_a_line(points[i:j + 1]):
            j += 1
        if j - 1 - i >= 2:
            runs.append((i, j - 1))
            i = j - 1
        else:
            i += 1
    return runs


def _on_a_line(points: np.ndarray) -> bool:
    a, b = points[0], points[-1]
    ab = b - a
    length = float(np.linalg.norm(ab))
    if length < 1e-6:
        return False
    along = (points - a) @ ab / length ** 2
    off = np.abs((points - a) @ np.array([-ab[1], ab[0]]) / length)
    return bool(off.max() < STRAIGHT and np.all(np.diff(along) > 0))


# Characters built on one straight stem. Their stems are held straight and at the slant of the
# ink's rows (`stem_slant`): the decoder blurs an i's stem and dot into one blob that the fit follows
# into a hook, and in a bold, wide hand it draws an i or an l with a wide foot that the fit follows
# into a diagonal slash. Straightening every straight stroke (a D's or a b's stem, an r's) read
# worse by the benchmark's independent reader (bench/strokes).
STEM_CHARACTERS = "ijlI1"
# Letters crossed by a bar: the bar (a straight stroke of the construction) is held straight, since
# the fit of a short bar over the decoder's lump folds back on itself (an f's bar as a loop).
BAR_CHARACTERS = "ft"


def _shapes() -> tuple[list[list[list[tuple[int, int]]]], np.ndarray, np.ndarray]:
    """Per construction and stroke: the straight runs of its control points that are held
    straight, whether each run is a stem (upright in the construction, held at the ink's slant),
    and whether the stroke is closed."""
    templates = TEMPLATES.numpy().astype(np.float64)
    def held(v: int, s: int, c: str) -> bool:
        if not STROKE_MASK[v, s] or DOT_MASK[v, s]:
            return False
        return c in STEM_CHARACTERS or (c in BAR_CHARACTERS and _straight_runs(templates[v, s]) == [(0, POINTS - 1)])

    runs = [[_straight_runs(templates[v, s]) if held(v, s, c) else [] for s in range(STROKES)]
            for v, (c, _) in enumerate(CONSTRUCTIONS)]
    stems = [[[bool(abs(np.subtract(*templates[v, s, [last, first], 0]))
                    < 0.5 * abs(np.subtract(*templates[v, s, [last, first], 1]))) for first, last in stroke_runs]
              for s, stroke_runs in enumerate(construction_runs)] for v, construction_runs in enumerate(runs)]
    closed = (np.linalg.norm(templates[:, :, 0] - templates[:, :, -1], axis=-1) < CLOSED) \
        & STROKE_MASK.numpy() & ~DOT_MASK.numpy()
    return runs, stems, closed


STRAIGHT_RUNS, STEM_RUNS, CLOSED_STROKES = _shapes()
SLANT_RANGE = (-0.2, 0.6)  # dx per unit of height, y up: a backhand to a steep italic


def stem_slant(target: torch.Tensor) -> torch.Tensor:
    """The slant of each glyph's stem (B,) (dx per unit of height, y up) from its ink (B, 28, 28):
    the median of the slopes between the centres of its rows of ink (Theil-Sen). A dot, a
    foot or a flag moves the centres of a few rows, and the median ignores them; the ink's second
    moments (as `placement` takes them) follow them, and a bold hand's i with a wide foot measures
    as a slash."""
    w = target.clamp_min(0)
    xs = torch.arange(SIZE, dtype=torch.float32) + 0.5
    row_ink = w.sum(2)
    centres = (w * xs).sum(2) / row_ink.clamp_min(1e-6)
    inked = row_ink > 0.5
    rows = torch.arange(SIZE, dtype=torch.float32)
    apart = rows[None, :] - rows[:, None]  # (lower row - upper row)
    slopes = (centres[:, None, :] - centres[:, :, None]) / apart.clamp_min(1.0)
    usable = inked[:, :, None] & inked[:, None, :] & (apart >= 3)
    slopes = torch.where(usable, slopes, torch.full_like(slopes, float("nan"))).flatten(1)
    slant = -slopes.nanmedian(1).values  # x per row downward -> x per unit of height upward
    return torch.nan_to_num(slant, nan=0.0).clamp(*SLANT_RANGE)


def keep_construction(points: np.ndarray, construction: int, slant: float | None = None) -> np.ndarray:
    """A glyph's fitted control points (STROKES, POINTS, 2) held to its construction where the
    decoder's blur bent it: the straight runs of a stem letter (STEM_CHARACTERS: an i's, a j's, an
    l's, an I's, a 1's) are made straight again, their points projected, in order, on a line
    through their centre: the stem's at `slant` (the ink's, `stem_slant`; None: the line that fits
    the points best), a bar's the line that fits it best. A closed loop (an o, a 0, an 8) is
    closed (its ends met halfway). The decoder still decides where each stroke runs, how long it
    is and, through its ink, its slant."""
    out = np.array(points, np.float64)
    for s in range(STROKES):
        for (first, last), stem in zip(STRAIGHT_RUNS[construction][s], STEM_RUNS[construction][s]):
            run = out[s, first:last + 1]
            centre = run.mean(0)
            if stem and slant is not None:
                direction = np.array([-slant, 1.0]) / math.hypot(slant, 1.0)  # y down: lower is further left
            else:
                direction = np.linalg.svd(run - centre)[2][0]
            along = (run - centre) @ direction
            if along[-1] < along[0]:
                along = -along
                direction = -direction
            along = np.maximum.accumulate(along)  # in order: the pen does not go back on a straight line
            out[s, first:last + 1] = centre + along[:, None] * direction
        if CLOSED_STROKES[construction, s]:
            meet = (out[s, 0] + out[s, -1]) / 2
            out[s, 0] = out[s, -1] = meet
    return out


# -- curves and rendering ------------------------------------------------------------------------

def curve(points: torch.Tensor, samples: int = SAMPLES) -> torch.Tensor:
    """Catmull-Rom curves through control points (..., POINTS, 2) -> (..., (POINTS-1)*samples+1, 2)."""
    p = torch.cat([2 * points[..., :1, :] - points[..., 1:2, :], points,
                   2 * points[..., -1:, :] - points[..., -2:-1, :]], dim=-2)
    p0, p1, p2, p3 = p[..., :-3, :], p[..., 1:-2, :], p[..., 2:-1, :], p[..., 3:, :]
    t = torch.linspace(0, 1, samples + 1, dtype=points.dtype)[:-1]
    t = t[:, None]  # (samples, 1)
    a = (-0.5 * t ** 3 + t ** 2 - 0.5 * t)
    b = (1.5 * t ** 3 - 2.5 * t ** 2 + 1)
    c = (-1.5 * t ** 3 + 2 * t ** 2 + 0.5 * t)
    d = (0.5 * t ** 3 - 0.5 * t ** 2)
    seg = p0.unsqueeze(-2) * a + p1.unsqueeze(-2) * b + p2.unsqueeze(-2) * c + p3.unsqueeze(-2) * d
    out = seg.flatten(-3, -2)
    return torch.cat([out, points[..., -1:, :]], dim=-2)


_GRID = torch.stack(torch.meshgrid(torch.arange(SIZE, dtype=torch.float32) + 0.5,
                                   torch.arange(SIZE, dtype=torch.float32) + 0.5, indexing="xy"), -1).reshape(-1, 2)


def _segment_distances2(points: torch.Tensor, mask: torch.Tensor, grid: torch.Tensor = _GRID) -> torch.Tensor:
    """Squared distance from each grid point to every segment of the strokes (B, G, S * (P-1)),
    masked strokes 1e6 away: points (B, S, P, 2). x and y apart and in place: the same numbers
    as with a trailing axis of 2, many times faster (torch reduces a last axis of 2 slowly)."""
    B, _, P, _ = points.shape
    a, b = points[:, :, :-1], points[:, :, 1:]
    ax, ay = a[..., 0].reshape(B, 1, -1), a[..., 1].reshape(B, 1, -1)
    abx, aby = (b[..., 0] - a[..., 0]).reshape(B, 1, -1), (b[..., 1] - a[..., 1]).reshape(B, 1, -1)
    inverse = 1.0 / (abx * abx + aby * aby).clamp_min(1e-6)
    apx, apy = grid[:, 0].view(1, -1, 1) - ax, grid[:, 1].view(1, -1, 1) - ay
    t = ((apx * abx + apy * aby) * inverse).clamp_(0, 1)
    dx, dy = apx.sub_(t * abx), apy.sub_(t * aby)
    far = torch.where(mask, 0.0, 1e6).repeat_interleave(P - 1, 1)[:, None, :]
    return dx.mul_(dx).add_(dy.mul_(dy)).add_(far)


def nearest_segments(points: torch.Tensor, mask: torch.Tensor, grid: torch.Tensor = _GRID) -> torch.Tensor:
    """For each grid point, the index of the nearest segment among all strokes' (B, G): found
    without gradients, the costly part (every point against every segment)."""
    with torch.no_grad():
        return _segment_distances2(points, mask, grid).argmin(-1)


def distances(points: torch.Tensor, mask: torch.Tensor, nearest: torch.Tensor | None = None,
              grid: torch.Tensor = _GRID) -> torch.Tensor:
    """Distance from each grid point to the strokes: points (B, S, P, 2) curve points in pixels,
    mask (B, S) -> (B, G). Only the nearest segment (`nearest_segments`, reusable for a few
    steps) and its two neighbours on the stroke are measured with gradients."""
    if nearest is None:
        nearest = nearest_segments(points, mask, grid)
    B, S, P, _ = points.shape
    n = P - 1
    a_all, b_all = points[:, :, :-1].reshape(B, S * n, 2), points[:, :, 1:].reshape(B, S * n, 2)
    stroke, k = nearest // n, nearest % n
    best = None
    for shift in (-1, 0, 1):
        index = (stroke * n + (k + shift).clamp(0, n - 1))[..., None].expand(-1, -1, 2)
        a, b = a_all.gather(1, index), b_all.gather(1, index)
        ab, ap = b - a, grid[None] - a
        t = ((ap * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-6)).clamp(0, 1)
        d = (ap - t[..., None] * ab).pow(2).sum(-1).add(1e-6).sqrt()
        best = d if best is None else torch.minimum(best, d)
    return best


def render(points: torch.Tensor, mask: torch.Tensor, width: torch.Tensor, softness: float = 0.5,
           nearest: torch.Tensor | None = None) -> torch.Tensor:
    """Control points (B, S, POINTS, 2) in pixels, a pen `width` (B,) in pixels -> ink (B, 28, 28)."""
    d = distances(curve(points), mask, nearest)
    ink = torch.sigmoid((width[:, None] / 2 - d) / softness)
    return ink.reshape(-1, SIZE, SIZE)


# -- placement ------------------------------------------------------------------------------------

def placement(target: torch.Tensor, construction: torch.Tensor) -> torch.Tensor:
    """The templates of `construction` (B,) laid over the ink of `target` (B, 28, 28): the ink's
    box (where the ink is over a third) and its slant -> control points (B, S, POINTS, 2) in pixels."""
    w = target.clamp_min(0)
    ys, xs = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32) + 0.5,
                            torch.arange(SIZE, dtype=torch.float32) + 0.5, indexing="ij")
    mass = w.sum((1, 2)).clamp_min(1e-6)
    mx, my = (w * xs).sum((1, 2)) / mass, (w * ys).sum((1, 2)) / mass
    cov = (w * (xs - mx[:, None, None]) * (ys - my[:, None, None])).sum((1, 2)) / mass
    var_y = (w * (ys - my[:, None, None]) ** 2).sum((1, 2)) / mass
    slant = (-cov / var_y.clamp_min(1e-6)).clamp(-0.2, 0.6)  # dx per unit of height, y up
    inked = target > 0.33
    rows, cols = inked.any(2), inked.any(1)
    idx = torch.arange(SIZE, dtype=torch.float32)
    big = torch.tensor(1e3)
    top = torch.where(rows, idx, big).min(1).values
    bottom = torch.where(rows, idx + 1, -big).max(1).values
    left = torch.where(cols, idx, big).min(1).values
    right = torch.where(cols, idx + 1, -big).max(1).values
    empty = ~rows.any(1)
    top, bottom = torch.where(empty, 4.0, top), torch.where(empty, 24.0, bottom)
    left, right = torch.where(empty, 4.0, left), torch.where(empty, 24.0, right)
    h = (bottom - top).clamp_min(2)
    w_ = (right - left - slant.abs() * h).clamp_min(2)  # the unslanted width
    t = TEMPLATES[construction]  # (B, S, P, 2) unit box, y down
    x0 = left + torch.where(slant > 0, slant * h, torch.zeros_like(h))
    x = x0[:, None, None] + t[..., 0] * w_[:, None, None] - slant[:, None, None] * t[..., 1] * h[:, None, None]
    y = top[:, None, None] + t[..., 1] * h[:, None, None]
    return torch.stack([x, y], -1)


# -- the loss ----------------------------------------------------------------------------------

@dataclass
class Priors:
    bend: float = 0.3  # kinks the fit adds to the construction (second differences of the moves, px^2)
    spacing: float = 1.0  # control points bunching up or spreading out against the construction's spacing
    dot: float = 2.0  # a dot's points stay together (px^2)
    anchor: float = 0.01  # a light pull to the placed construction (px^2): it stays itself


def stroke_loss(points: torch.Tensor, width: torch.Tensor, target: torch.Tensor, construction: torch.Tensor,
                anchor: torch.Tensor, softness: float = 0.5, priors: Priors = Priors(),
                nearest: torch.Tensor | None = None, soft_weight: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per glyph: squared error of the rendered strokes against the target ink (summed over the
    pixels), plus the priors, measured against the construction as placed (`anchor`) ->
    (total (B,), the image error alone as a mean per pixel (B,)). `soft_weight`: the error of a
    softer pen (1.2 px) added with this weight, so that ink a few pixels off still pulls."""
    mask, dots = STROKE_MASK[construction], DOT_MASK[construction]
    d = distances(curve(points), mask, nearest).reshape(-1, SIZE, SIZE)
    half = width[:, None, None] / 2
    image = (torch.sigmoid((half - d) / softness) - target).pow(2).sum((1, 2))
    total = image.clone()
    if soft_weight:
        total = total + soft_weight * (torch.sigmoid((half - d) / 1.2) - target).pow(2).sum((1, 2))
    m = mask[..., None].float()
    move = points - anchor
    second = move[:, :, 2:] - 2 * move[:, :, 1:-1] + move[:, :, :-2]
    bend = (second.pow(2).sum(-1) * m).sum((1, 2))
    gaps = (points[:, :, 1:] - points[:, :, :-1]).pow(2).sum(-1).add(1e-4).sqrt()
    planned = (anchor[:, :, 1:] - anchor[:, :, :-1]).pow(2).sum(-1).add(1e-4).sqrt()
    ratio = torch.log(gaps / planned)
    solid = m * (~dots[..., None]).float()
    spacing = ((ratio - (ratio * solid).sum(-1, keepdim=True) / (POINTS - 1)).pow(2) * solid).sum((1, 2))
    centre = points.mean(-2, keepdim=True)
    dot = ((points - centre).pow(2).sum(-1) * dots[..., None].float()).sum((1, 2))
    near = (move.pow(2).sum(-1) * m).sum((1, 2))
    total = total + priors.bend * bend + priors.spacing * spacing + priors.dot * dot + priors.anchor * near
    return total, image / (SIZE * SIZE)


# -- the pen width -------------------------------------------------------------------------------

WIDTH_RANGE = (1.2, 4.5)  # pixels of the 28x28 grid: a hairline to a marker, counters still open


def initial_width(target: torch.Tensor) -> torch.Tensor:
    """A glyph's pen width from its ink: area over skeleton length, estimated as area / (half
    the perimeter) for a stroke much longer than wide (B,) pixels."""
    area = target.sum((1, 2))
    edges = (target[:, 1:, :] - target[:, :-1, :]).abs().sum((1, 2)) + (target[:, :, 1:] - target[:, :, :-1]).abs().sum((1, 2))
    return (2 * area / edges.clamp_min(1e-3)).clamp(*WIDTH_RANGE)


# -- the per-glyph fit (the reference) ----------------------------------------------------------

@dataclass
class Fit:
    points: torch.Tensor  # (B, S, POINTS, 2) control points, decoder pixels
    width: torch.Tensor  # (B,) pen width, decoder pixels
    construction: torch.Tensor  # (B,) index into CONSTRUCTIONS
    error: torch.Tensor  # (B,) squared error of the rendered strokes against the target ink
    slant: torch.Tensor  # (B,) the slant of the target's stem (stem_slant), which keep_construction holds stems to


def _optimise(points, width, target, construction, steps: int, lr: float) -> tuple[torch.Tensor, torch.Tensor]:
    anchor = points.detach().clone()
    points = points.detach().clone().requires_grad_(True)
    log_width = width.detach().log().clone().requires_grad_(True)
    opt = torch.optim.Adam([points, log_width], lr=lr)
    mask = STROKE_MASK[construction]
    for step in range(steps):
        softness = 1.5 - 1.0 * step / max(1, steps - 1)  # annealed 1.5 -> 0.5 px: far ink pulls first
        if step % 4 == 0:  # the nearest segments move slowly: found anew every 4 steps
            nearest = nearest_segments(curve(points.detach()), mask)
        w = log_width.exp().clamp(*WIDTH_RANGE)
        total, _ = stroke_loss(points, w, target, construction, anchor, softness, nearest=nearest)
        opt.zero_grad()
        total.sum().backward()
        opt.step()
    return points.detach(), log_width.detach().exp().clamp(*WIDTH_RANGE)


def _best_variant(rows, error, points, width, construction, slant: torch.Tensor) -> Fit:
    """Per glyph, the fitted variant (a row of `rows`: (glyph, construction)) of least error;
    `slant` (B,): each glyph's stem slant."""
    glyphs = len(slant)
    best = torch.full((glyphs,), -1, dtype=torch.long)
    best_error = torch.full((glyphs,), float("inf"))
    for r, (b, _) in enumerate(rows):
        if error[r] < best_error[b]:
            best_error[b], best[b] = error[r], r
    return Fit(points[best], width[best], construction[best], best_error, slant)


def fit_strokes(target: torch.Tensor, classes: torch.Tensor, steps: int = 120, lr: float = 0.15) -> Fit:
    """The per-glyph fit: every construction of each class placed over the target ink (B, 28, 28)
    and fitted by gradient descent; the one with the least image error kept."""
    rows = [(b, v) for b, c in enumerate(classes.tolist()) for v in CLASS_CONSTRUCTIONS[c]]
    index = torch.tensor([b for b, _ in rows])
    construction = torch.tensor([v for _, v in rows])
    t = target[index]
    placed = placement(t, construction)
    points, width = _optimise(placed, initial_width(t), t, construction, steps, lr)
    with torch.no_grad():
        _, error = stroke_loss(points, width, t, construction, placed)
    return _best_variant(rows, error, points, width, construction, stem_slant(target))


# -- the amortised fit -------------------------------------------------------------------------

class StrokeNet(nn.Module):
    """(class, z, the placed template) -> control-point offsets and the pen width, for every
    construction of the class: an MLP, the per-glyph fit in one pass."""

    def __init__(self, latent_dim: int, hidden: int = 512):
        super().__init__()
        self.latent_dim = latent_dim
        self.embed = nn.Embedding(len(CONSTRUCTIONS), 64)
        self.body = nn.Sequential(nn.Linear(64 + latent_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.offsets = nn.Linear(hidden, STROKES * POINTS * 2)
        self.width = nn.Linear(hidden, 1)
        nn.init.zeros_(self.offsets.weight)
        nn.init.zeros_(self.offsets.bias)  # starts as the placed template
        nn.init.zeros_(self.width.weight)
        nn.init.zeros_(self.width.bias)

    def forward(self, construction: torch.Tensor, z: torch.Tensor, placed: torch.Tensor,
                width0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(torch.cat([self.embed(construction), z], -1))
        points = placed + 2.0 * self.offsets(h).view(-1, STROKES, POINTS, 2)
        width = (width0 * torch.exp(0.5 * torch.tanh(self.width(h)[:, 0]))).clamp(*WIDTH_RANGE)
        return points, width


def image_error(points: torch.Tensor, width: torch.Tensor, target: torch.Tensor, construction: torch.Tensor,
                softness: float = 0.5) -> torch.Tensor:
    """Without gradients: the mean squared error per pixel of the drawn strokes against the target (B,)."""
    with torch.no_grad():
        d = _segment_distances2(curve(points), STROKE_MASK[construction]).min(-1).values.sqrt().reshape(-1, SIZE, SIZE)
        drawn = torch.sigmoid((width[:, None, None] / 2 - d) / softness)
        return (drawn - target).pow(2).mean((1, 2))


def amortised_fit(net: StrokeNet, target: torch.Tensor, classes: torch.Tensor, z: torch.Tensor) -> Fit:
    """StrokeNet's strokes for each glyph; where the class has several constructions, each is
    drawn and the one nearest the target kept."""
    rows = [(b, v) for b, c in enumerate(classes.tolist()) for v in CLASS_CONSTRUCTIONS[c]]
    index = torch.tensor([b for b, _ in rows])
    construction = torch.tensor([v for _, v in rows])
    t = target[index]
    with torch.no_grad():
        points, width = net(construction, z[index], placement(t, construction), initial_width(t))
    error = torch.zeros(len(rows))
    several = torch.tensor([len(CLASS_CONSTRUCTIONS[c]) > 1 for c in classes.tolist()])[index]
    if several.any():
        error[several] = image_error(points[several], width[several], t[several], construction[several])
    return _best_variant(rows, error, points, width, construction, stem_slant(target))


# -- StrokeNet's weights ------------------------------------------------------------------------

STROKE_NET_FILE = "stroke_net.safetensors"


def save_stroke_net(net: StrokeNet, folder, metadata: dict | None = None) -> None:
    """The net's weights as safetensors, with the constructions they were trained for."""
    from pathlib import Path

    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"latent_dim": str(net.latent_dim), "constructions": construction_key(),
            **{k: str(v) for k, v in (metadata or {}).items()}}
    # float16: half the size, and the strokes move by under a thousandth of a pixel
    save_file({k: v.detach().half().contiguous() for k, v in net.state_dict().items()},
              str(folder / STROKE_NET_FILE), meta)


def construction_key() -> str:
    """The constructions in order, as the weights file records them: each character once per variant."""
    return "".join(c for c, _ in CONSTRUCTIONS)


def load_stroke_net(folder, latent_dim: int) -> StrokeNet:
    """StrokeNet from `folder`/stroke_net.safetensors, every key checked (strict); refuses weights
    trained for other constructions or another latent size."""
    from pathlib import Path

    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(folder) / STROKE_NET_FILE
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
    if meta.get("constructions") != construction_key():
        raise ValueError(f"{path} was trained for other constructions; retrain it (python -m train.strokes).")
    if meta.get("latent_dim") != str(latent_dim):
        raise ValueError(f"{path} is for a {meta.get('latent_dim')}-d latent, not {latent_dim}-d.")
    net = StrokeNet(latent_dim)
    net.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()}, strict=True)
    return net.eval()
