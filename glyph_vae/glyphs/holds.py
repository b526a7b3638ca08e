"""Letters held to how they are built, where the decoder's blur bends the fitted strokes.

StrokeNet (glyph_vae.glyphs.pen) lays each construction's strokes over the decoder's ink, and the
decoder still decides where each stroke runs. But its ink is a blur over the strokes a writer
might have made, and where it is wrong the fit follows it: a k's arm up to the ascender, an f's
bar on the baseline, an m's arch up its own stem, a j's tail under the letter before. Each
`hold_` function takes one letter's fitted strokes (decoder pixels, x right, y down; the
construction's strokes in order) and returns them held to the construction, moving as little as
it can; `join_ends` makes strokes that stop short of each other meet. They are called by
`glyph_vae.pipelines.stroke_glyphs.from_fit`, and `bench/strokes`' structure checks test each
on the page.
"""
from __future__ import annotations

import numpy as np

from .round_pen import catmull_rom


ARM_ABOVE = 0.04  # of the letter's height: the most a k's arm reaches above the x-height


def _distance(curve: np.ndarray, point: np.ndarray) -> float:
    """How far `point` is from the dense polyline `curve` (from its nearest point)."""
    return float(np.linalg.norm(curve - point, axis=1).min())


def _nearest(curve: np.ndarray, point: np.ndarray) -> np.ndarray:
    """The point of the dense polyline `curve` nearest `point`."""
    return curve[np.linalg.norm(curve - point, axis=1).argmin()]


def _extent(strokes: list[np.ndarray]) -> tuple[float, float]:
    """(top, bottom) of a letter's control points, decoder pixels (y down)."""
    solid = np.vstack(strokes)
    return float(solid[:, 1].min()), float(solid[:, 1].max())


def _bend_end(stroke: np.ndarray, end: int, to: np.ndarray) -> np.ndarray:
    """`stroke` with its `end` (0 or -1) moved to `to`, the rest following less the farther it is."""
    weight = np.linspace(1.0, 0.0, len(stroke))[:, None]
    return stroke + (to - stroke[end]) * (weight if end == 0 else weight[::-1])


def hold_k(strokes: list[np.ndarray], x_height_depth: float | None) -> list[np.ndarray]:
    """A k's or a K's strokes (stem, arm, leg; decoder pixels) held to how the letter is built:
    the leg starts on the arm (where it starts on the stem above the arm's foot, the two cross
    in an X), and a k's arm reaches no higher than the x-height, `x_height_depth` of the letter's
    height below its top (None: a K's arm, left where it is). Many hands write k as a small K and
    the decoder's k often reaches up like one; a k whose arm meets the ascender reads as a
    capital. Each stroke bends from the end that moves."""
    stem, arm, leg = (s.copy() for s in strokes[:3])
    if x_height_depth is not None:
        top, bottom = _extent(strokes)
        highest = top + (x_height_depth - ARM_ABOVE) * (bottom - top)
        end = 0 if arm[0, 1] <= arm[-1, 1] else -1
        if arm[end, 1] < highest:
            arm = _bend_end(arm, end, np.array([arm[end, 0], highest]))
    # the arm meets the stem (the fit may stop it short, or carry it through: cut_at)
    stem_curve = catmull_rom(stem)
    foot = 0 if _distance(stem_curve, arm[0]) < _distance(stem_curve, arm[-1]) else -1
    if _crossing_any(arm, stem_curve) is None:
        arm = _bend_end(arm, foot, _nearest(stem_curve, arm[foot]))
    else:  # carried through the stem: an X of the K
        arm = cut_at(arm, stem)
    arm_curve = catmull_rom(arm)
    start = 0 if _distance(arm_curve, leg[0]) <= _distance(arm_curve, leg[-1]) else -1
    return [stem, arm, cut_at(_bend_end(leg, start, _nearest(arm_curve, leg[start])), stem), *strokes[3:]]


BAR_FROM_X_HEIGHT = 0.12  # of the letter's height: the farthest an f's or a t's bar sits from the x-height
BAR_SHORTEST = 0.36  # of the letter's height: an f's or a t's bar is at least this long
BAR_ONE_SIDE = 0.35  # of the bar's length: the most the bar's middle sits off its stem
BAR_CLEAR = 1.0  # decoder pixels: the paper between an f's bar and its hook, beside the pen's width


def hold_bar(strokes: list[np.ndarray], x_height_depth: float, pen: float = 0.0) -> list[np.ndarray]:
    """An f's or a t's strokes (stem, bar; decoder pixels) with the bar crossing the stem near
    the x-height (`x_height_depth` of the letter's height below its top), at least BAR_SHORTEST
    long and with the stem in its middle part. The decoder draws a t's bar as a lump that the
    fit shrinks to a nub, and a bold hand's f with its bar on the baseline, like a pound sign.
    `pen`: the pen's width in the same pixels (a bar stops BAR_CLEAR of paper short of an f's hook)."""
    stem, bar = strokes[0], strokes[1].copy()
    top, bottom = _extent(strokes)
    height = max(bottom - top, 1e-6)
    centre = bar.mean(0)
    y = np.clip(centre[1], top + (x_height_depth - BAR_FROM_X_HEIGHT) * height,
                top + (x_height_depth + BAR_FROM_X_HEIGHT) * height)
    stem_curve = catmull_rom(stem)
    down = stem_curve[stem_curve[:, 1].argmin():]  # from the top down: not an f's hook
    stem_x = down[np.abs(down[:, 1] - y).argmin(), 0]
    direction = bar[-1] - bar[0]
    length = max(float(np.linalg.norm(direction)), BAR_SHORTEST * height)
    direction = direction / max(float(np.linalg.norm(direction)), 1e-6)
    x = stem_x + np.clip(centre[0] - stem_x, -BAR_ONE_SIDE * length, BAR_ONE_SIDE * length)
    along = np.linspace(-0.5, 0.5, len(bar))[:, None] * length
    bar = np.array([x, y]) + along * direction
    # An f's hook comes down on the right: a bar that runs into it closes the f into a P. The
    # bar then stops short of it.
    if bar[-1, 0] < bar[0, 0]:
        bar = bar[::-1]
    hook = stem_curve[stem_curve[:, 0] > stem_x + 1.0]
    clear = BAR_CLEAR + pen
    in_the_way = hook[np.abs(hook[:, 1] - np.interp(hook[:, 0], bar[:, 0], bar[:, 1])) < clear]
    if len(in_the_way) and in_the_way[:, 0].min() - clear < bar[-1, 0]:
        right = max(in_the_way[:, 0].min() - clear, stem_x + BAR_ONE_SIDE * length / 2)
        bar = np.linspace(bar[0], [right, np.interp(right, bar[:, 0], bar[:, 1])], len(bar))
    return [stem, bar, *strokes[2:]]


TAIL_WIDEST = 0.3  # of the letter's height: the farthest a j's tail curls back left of its stem


def hold_tail(stroke: np.ndarray, stem_end: int) -> np.ndarray:
    """A j's stroke (decoder pixels; the stem to point `stem_end`, then the tail) with the tail
    drawn in to curl back at most TAIL_WIDEST of the letter's height left of the stem: the
    decoder sweeps it far under the letter before, and "fox jumps" reads "fox _jumps"."""
    height = max(np.ptp(stroke[:, 1]), 1e-6)
    foot = stroke[stem_end]
    widest = foot[0] - stroke[stem_end:, 0].min()
    if widest <= TAIL_WIDEST * height:
        return stroke
    out = stroke.copy()
    out[stem_end:, 0] = foot[0] + (stroke[stem_end:, 0] - foot[0]) * (TAIL_WIDEST * height / widest)
    return out


ON_STROKE = 1.5  # decoder pixels: an arch's points this near the stroke it grows from still run along it


def _spread(points: np.ndarray, n: int) -> np.ndarray:
    """n points evenly spaced by length along the polyline `points`."""
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    even = np.linspace(0.0, along[-1], n)
    return np.stack([np.interp(even, along, points[:, 0]), np.interp(even, along, points[:, 1])], 1)


ARCH_FROM = 0.5  # of the x-height: the lowest an h's arch leaves its stem, above the baseline


def hold_arches(strokes: list[np.ndarray], slant: float, x_height_depth: float = 0.0) -> list[np.ndarray]:
    """An m's, n's or h's strokes (stem, then arches; decoder pixels) held to how arches are
    written: each leaves the stroke before it once, where it last runs along it (the fit
    follows an arch up the stem it grows from, and the two retrace each other), starting on
    it, and goes rightward, over and down, never back under itself (a narrow hand's m tangled
    into a loop); rightward at the hand's `slant` (dx per unit of height, y up), so an italic
    arch's leg may lean left as it comes down. An h's arch (its x-height `x_height_depth` of the
    letter's height below its top) leaves the stem no lower than ARCH_FROM of the x-height: from
    the foot of the stem, it makes an L with a hump."""
    out = [strokes[0]]
    top, bottom = _extent(strokes)
    for k, arch in enumerate(strokes[1:]):
        before = catmull_rom(out[-1])
        # near the stroke before and below the top of the x-height's band (where an arch grows over)
        low = arch[:, 1] > top + (x_height_depth + 0.3 * (1 - x_height_depth)) * (bottom - top)
        near = (np.linalg.norm(arch[:, None] - before[None], axis=2).min(1) < ON_STROKE) & low
        leading = int(np.argmin(near)) if not near.all() else len(arch) - 1
        if leading >= 2:  # runs along the stroke before: starts where it leaves it
            arch = _spread(arch[leading - 1:], len(arch))
        if k == 0 and x_height_depth:
            lowest = top + (x_height_depth + (1 - ARCH_FROM) * (1 - x_height_depth)) * (bottom - top)
            if arch[0, 1] > lowest:
                arch = _bend_end(arch, 0, np.array([arch[0, 0], lowest]))
        arch = _bend_end(arch, 0, _nearest(before, arch[0]))  # starts on it
        unslanted = arch[:, 0] + slant * arch[:, 1]
        apex = int(arch[:, 1].argmin())
        if unslanted[apex] - unslanted[0] < ARCH_ROUND * (unslanted[-1] - unslanted[0]):
            # the fit put the hump over (or behind) the stem: rightward alone would leave a bare
            # diagonal, an m like a small-capital M. The arch is drawn again, round, over its span.
            arch = round_arch(arch[0], arch[-1], float(arch[:, 1].min()), slant, len(arch))
            unslanted = arch[:, 0] + slant * arch[:, 1]
        unslanted = np.maximum.accumulate(unslanted)
        out.append(np.stack([unslanted - slant * arch[:, 1], arch[:, 1]], 1))
    return out


ARCH_ROUND = 0.25  # of an arch's span: the least its top sits right of where it starts


def round_arch(start: np.ndarray, foot: np.ndarray, apex_y: float, slant: float, n: int) -> np.ndarray:
    """An arch of n points from `start` over a round top at height `apex_y` (halfway across, in
    the hand's `slant`) and down to `foot`, as the constructions of m, n and h draw one: a half
    ellipse from the start to the shoulder opposite it, then straight down."""
    span = (foot[0] + slant * foot[1]) - (start[0] + slant * start[1])  # unslanted
    rise = max(start[1] - apex_y, 1e-3)
    t = np.linspace(np.pi, 0.0, n - 2)  # over the top, from the left
    ux = start[0] + slant * start[1] + span * (1 - np.cos(np.pi - t)) / 2
    y = start[1] - rise * np.sin(t)
    points = np.stack([ux, y], 1)
    points = np.vstack([points, [[ux[-1], (start[1] + foot[1]) / 2], [ux[-1], foot[1]]]])
    return np.stack([points[:, 0] - slant * points[:, 1], points[:, 1]], 1)


SERIF_SHORTEST = 0.3  # of the letter's height: an I's bars are at least this long


def hold_serifs(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """An I's strokes (stem, top bar, bottom bar; decoder pixels) with each bar at least
    SERIF_SHORTEST of the letter's height long, straight, across the stem's end it caps. Where a
    hand writes I as a bare stem the fit shrinks the bars to nubs: marks a plotter makes as
    dots, and an I that reads as an l."""
    stem = strokes[0]
    top_end, bottom_end = (stem[0], stem[-1]) if stem[0, 1] <= stem[-1, 1] else (stem[-1], stem[0])
    top, bottom = _extent(strokes)
    shortest = SERIF_SHORTEST * max(bottom - top, 1e-6)
    out = [stem]
    for bar in strokes[1:3]:
        end = top_end if abs(bar[:, 1].mean() - top_end[1]) <= abs(bar[:, 1].mean() - bottom_end[1]) else bottom_end
        direction = bar[-1] - bar[0]
        length = float(np.linalg.norm(direction))
        if length >= shortest:
            out.append(bar)
            continue
        direction = direction / length if length > 1e-6 and abs(direction[0]) > abs(direction[1]) else np.array([1.0, 0.0])
        out.append(end + np.linspace(-0.5, 0.5, len(bar))[:, None] * shortest * direction)
    return out + strokes[3:]


def _crossing(p, q, a, b):
    """Where segment p-q crosses segment a-b, as the fraction along p-q; None where they do not."""
    r, d = q - p, b - a
    denominator = r[0] * d[1] - r[1] * d[0]
    if abs(denominator) < 1e-12:
        return None
    t = ((a[0] - p[0]) * d[1] - (a[1] - p[1]) * d[0]) / denominator
    u = ((a[0] - p[0]) * r[1] - (a[1] - p[1]) * r[0]) / denominator
    return t if 0.0 <= t <= 1.0 and 0.0 <= u <= 1.0 else None


def _crossing_any(stroke: np.ndarray, curve: np.ndarray, beyond: float = -1.0):
    """(segment index, fraction) of the first crossing of the polyline `stroke` with `curve`, or
    None; a crossing on its first segment counts only past `beyond` that fraction of it."""
    for i in range(len(stroke) - 1):
        for a, b in zip(curve[:-1], curve[1:]):
            t = _crossing(stroke[i], stroke[i + 1], a, b)
            if t is not None and (i > 0 or t > beyond):
                return i, t
    return None


def cut_at(stroke: np.ndarray, stem: np.ndarray) -> np.ndarray:
    """A stroke that starts on (or across) `stem` and runs away from it, cut where it last
    crosses the stem and its control points spread again over what is left (a K's arm that
    the fit carried through the stem and out the other side); unchanged where it does not cross."""
    stem_curve = catmull_rom(stem)
    far = 0 if _distance(stem_curve, stroke[0]) > _distance(stem_curve, stroke[-1]) else -1  # away from the stem
    path = stroke if far == 0 else stroke[::-1]
    crossing = _crossing_any(path, stem_curve, beyond=0.05)  # not where it starts on the stem
    if crossing is None:
        return stroke
    i, t = crossing
    cut = _spread(np.vstack([path[:i + 1], path[i] + t * (path[i + 1] - path[i])]), len(stroke))
    return cut if far == 0 else cut[::-1]


JOIN = 3.5  # decoder pixels: a stroke's end this near another stroke meets it


def join_ends(strokes: list[np.ndarray], is_dot: list[bool]) -> list[np.ndarray]:
    """Strokes whose ends stop short of another stroke (a K's arm, an m's arches, a B's bowls)
    made to meet it: the end control point moved onto the nearest point of the other curve.
    Catmull-Rom passes through its control points, so the curve then ends there and the ink
    joins whatever the pen's width; a letter built of joined strokes never comes in pieces."""
    curves = [catmull_rom(s) if len(s) > 2 else s for s in strokes]
    out = [s.copy() for s in strokes]
    for k, stroke in enumerate(strokes):
        if is_dot[k] or len(stroke) < 2:
            continue
        for end in (0, -1):
            best, where = JOIN, None
            for j, other in enumerate(curves):
                if j == k or is_dot[j]:
                    continue
                d = np.linalg.norm(other - stroke[end], axis=1)
                if d.min() < best:
                    best, where = d.min(), other[d.argmin()]
            if where is not None:
                out[k][end] = where
    return out
