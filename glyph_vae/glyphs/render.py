"""Pictures for people: enlarged glyphs, a looping GIF of a latent path, a frame strip, a latent map."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def glyph_image(glyph: np.ndarray, size: int = 168, dark_on_light: bool = True,
                smooth: bool = False) -> Image.Image:
    """A 28x28 glyph in [0, 1] as a size x size picture (ink dark on white by default)."""
    values = np.clip(glyph, 0, 1)
    pixels = np.uint8(255 - values * 255) if dark_on_light else np.uint8(values * 255)
    return Image.fromarray(pixels).resize((size, size), Image.BICUBIC if smooth else Image.NEAREST)


def frame_image(frame: np.ndarray, size: int) -> Image.Image:
    """A frame as a size x size picture: a uint8 picture already made for people (dark on
    light) is resized when it is not that size; a 28x28 glyph in [0, 1] is drawn by `glyph_image`."""
    if frame.dtype == np.uint8:
        image = Image.fromarray(frame)
        return image if image.size == (size, size) else image.resize((size, size), Image.LANCZOS)
    return glyph_image(frame, size, smooth=True)


def path_gif(frames: list[np.ndarray], size: int = 168, frame_ms: int = 90, levels: int = 16) -> bytes:
    """A looping GIF that walks the path forth and back, as the bytes of a .gif file (frames:
    28x28 glyphs in [0, 1], or uint8 pictures as `frame_image` takes them).

    Frames are cut to `levels` shades of grey: LZW packs smooth 256-level ramps
    hardly at all, and 16 shades look the same at this size for a fraction of the bytes
    and the time (docs/experiments/choices.md)."""
    step = 255 // (levels - 1)
    images = []
    for frame in frames:
        grey = np.asarray(frame_image(frame, size), np.float32)
        images.append(Image.fromarray(np.uint8(np.round(grey / step) * step)))
    loop = images + images[-2:0:-1]
    buffer = io.BytesIO()
    loop[0].save(buffer, format="GIF", save_all=True, append_images=loop[1:], duration=frame_ms, loop=0,
                 optimize=False)
    return buffer.getvalue()


def page_gif(frames: list[Image.Image], frame_ms: int = 140, hold_ms: int = 700, levels: int = 16) -> bytes:
    """Pages of one size (a morph) as a GIF that loops forth and back, holding each end.

    Every frame is cut to `levels` blends of its paper and its ink (the page has no other
    colours), so LZW packs them well and one palette serves every frame."""
    if not frames:
        raise ValueError("A GIF needs at least one frame.")
    rgb = [np.asarray(f.convert("RGB"), np.float32) for f in frames]
    paper, ink = rgb[0][0, 0], _darkest(rgb)
    span = np.maximum(np.abs(paper - ink).max(), 1.0)
    palette = [np.uint8(np.round(paper + (ink - paper) * k / (levels - 1))) for k in range(levels)]
    flat = [int(v) for colour in palette for v in colour] + [0] * (3 * (256 - levels))
    images = []
    for pixels in rgb:
        amount = np.clip(np.abs(pixels - paper).max(-1) / span, 0, 1)  # how much ink, 0 to 1
        image = Image.fromarray(np.uint8(np.round(amount * (levels - 1))), "P")
        image.putpalette(flat)
        images.append(image)
    loop = images + images[-2:0:-1]
    durations = [hold_ms if i in (0, len(images) - 1) else frame_ms for i in range(len(loop))]
    buffer = io.BytesIO()
    loop[0].save(buffer, format="GIF", save_all=True, append_images=loop[1:], duration=durations, loop=0,
                 optimize=False)
    return buffer.getvalue()


def _darkest(frames: list[np.ndarray]) -> np.ndarray:
    pixels = np.concatenate([f.reshape(-1, 3) for f in frames])
    return pixels[pixels.sum(-1).argmin()]


def captioned_grid(frames: list[Image.Image], captions: list[str], per_row: int = 4, pad: int = 8) -> Image.Image:
    """Images of one size in rows of `per_row`, left to right, each with its caption above it
    (a morph's strip: 2 to 24 frames read in order, in a picture that stays about as wide as tall)."""
    font = _font(14)
    text_h = 20
    cell_w, cell_h = max(f.width for f in frames) + pad, max(f.height for f in frames) + text_h + pad
    columns = min(per_row, len(frames))
    rows = -(-len(frames) // columns)
    grid = Image.new("RGB", (columns * cell_w + pad, rows * cell_h + pad), "white")
    draw = ImageDraw.Draw(grid)
    for k, (frame, caption) in enumerate(zip(frames, captions)):
        x, y = pad + (k % columns) * cell_w, pad + (k // columns) * cell_h
        draw.text((x, y + 2), caption, fill=(90, 90, 90), font=font)
        grid.paste(frame.convert("RGB"), (x, y + text_h))
        draw.rectangle((x - 1, y + text_h - 1, x + frame.width, y + text_h + frame.height), outline=(228, 228, 228))
    return grid


def labelled_strip(frames: list[np.ndarray], captions: list[str], size: int = 84, per_row: int = 11,
                   highlight: int | None = None) -> Image.Image:
    """Frames (as `frame_image` takes them) in rows of `per_row`, each with up to two caption
    lines below it; the `highlight` frame gets an orange border."""
    font = _font(13)
    pad, text_h = 6, 34
    rows = (len(frames) + per_row - 1) // per_row
    cell_w, cell_h = size + pad, size + text_h + pad
    strip = Image.new("RGB", (min(len(frames), per_row) * cell_w + pad, rows * cell_h + pad), "white")
    draw = ImageDraw.Draw(strip)
    for i, (frame, caption) in enumerate(zip(frames, captions)):
        x, y = pad + (i % per_row) * cell_w, pad + (i // per_row) * cell_h
        strip.paste(frame_image(frame, size).convert("RGB"), (x, y))
        if i == highlight:
            draw.rectangle((x - 3, y - 3, x + size + 2, y + size + 2), outline=(234, 88, 12), width=3)
        for j, line in enumerate(caption.split("\n")[:2]):
            draw.text((x + 2, y + size + 3 + 15 * j), line, fill=(40, 40, 40), font=font)
    return strip


# matplotlib's "tab10": ten colours that stay distinct for most kinds of colour blindness.
DIGIT_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def latent_map(points: np.ndarray, labels: np.ndarray, centres: np.ndarray, *, a: np.ndarray | None = None,
               b: np.ndarray | None = None, muddle: np.ndarray | None = None, digit: int | None = None,
               partner: int | None = None, size: int = 500) -> Image.Image:
    """A 2-d map of latent codes: `points` (N, 2) coloured by their digit `labels`, each
    digit's centre labelled, and, when given, the path from a to b with the muddle on it.

    Drawn with Pillow (the app needs no plotting library): a scatter of a few thousand
    points is a loop of small discs."""
    pad, legend_h = 24, 0 if a is None else 26
    image = Image.new("RGB", (size, size + legend_h), "white")
    draw = ImageDraw.Draw(image, "RGBA")
    everything = np.concatenate([points, centres] + [p[None] for p in (a, b, muddle) if p is not None])
    low, high = everything.min(0), everything.max(0)
    scale = (size - 2 * pad) / max(float((high - low).max()), 1e-9)
    offset = pad + ((size - 2 * pad) - (high - low) * scale) / 2

    def xy(p) -> tuple[float, float]:
        x, y = (np.asarray(p, np.float64) - low) * scale + offset
        return float(x), float(size - y)  # up is up

    for p, label in zip(points, labels):
        x, y = xy(p)
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=DIGIT_COLOURS[int(label) % 10] + (90,))
    font = _font(15)
    for d, c in enumerate(centres):
        x, y = xy(c)
        draw.ellipse((x - 11, y - 11, x + 11, y + 11), fill="white", outline=DIGIT_COLOURS[d], width=2)
        draw.text((x, y), str(d), fill=DIGIT_COLOURS[d], font=font, anchor="mm")
    if a is not None and b is not None:
        (ax, ay), (bx, by) = xy(a), xy(b)
        draw.line((ax, ay, bx, by), fill=(0, 0, 0, 200), width=2)
        draw.ellipse((ax - 7, ay - 7, ax + 7, ay + 7), fill="white", outline="black", width=2)
        draw.rectangle((bx - 7, by - 7, bx + 7, by + 7), fill="white", outline="black", width=2)
        if muddle is not None:
            mx, my = xy(muddle)
            draw.polygon(_star(mx, my, 13), fill=(234, 88, 12), outline="black")
        # The legend: the same marks, drawn (the default font has no such symbols).
        small, y = _font(13), size + legend_h / 2
        draw.ellipse((pad, y - 6, pad + 12, y + 6), fill="white", outline="black", width=2)
        draw.text((pad + 18, y), f"a ({digit})", fill=(40, 40, 40), font=small, anchor="lm")
        draw.rectangle((pad + 90, y - 6, pad + 102, y + 6), fill="white", outline="black", width=2)
        draw.text((pad + 108, y), f"b ({partner})", fill=(40, 40, 40), font=small, anchor="lm")
        draw.polygon(_star(pad + 186, y, 8), fill=(234, 88, 12), outline="black")
        draw.text((pad + 198, y), "the muddle", fill=(40, 40, 40), font=small, anchor="lm")
    return image


def _star(x: float, y: float, r: float) -> list[tuple[float, float]]:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    return [(float(x + q * np.cos(t)), float(y - q * np.sin(t))) for q, t in zip(radii, angles)]


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one fixed-size default font
        return ImageFont.load_default()
