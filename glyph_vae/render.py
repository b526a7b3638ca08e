"""Pictures for people: enlarged glyphs, a looping GIF of a latent path, a frame strip."""
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


def path_gif(frames: list[np.ndarray], size: int = 168, frame_ms: int = 90, levels: int = 16) -> bytes:
    """A looping GIF that walks the path forth and back, as the bytes of a .gif file.

    Frames are cut to `levels` shades of grey: LZW packs smooth 256-level ramps
    hardly at all (a 21-frame path was 400 KB and 40 ms to encode), and 16 shades
    look the same at this size (90 KB, 10 ms)."""
    step = 255 // (levels - 1)
    images = []
    for frame in frames:
        grey = np.asarray(glyph_image(frame, size, smooth=True), np.float32)
        images.append(Image.fromarray(np.uint8(np.round(grey / step) * step)))
    loop = images + images[-2:0:-1]
    buffer = io.BytesIO()
    loop[0].save(buffer, format="GIF", save_all=True, append_images=loop[1:], duration=frame_ms, loop=0,
                 optimize=False)
    return buffer.getvalue()


def labelled_strip(frames: list[np.ndarray], captions: list[str], size: int = 84, per_row: int = 11,
                   highlight: int | None = None) -> Image.Image:
    """Frames in rows of `per_row`, each with up to two caption lines below it;
    the `highlight` frame gets an orange border."""
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:  # Pillow < 10.1 has one fixed-size default font
        font = ImageFont.load_default()
    pad, text_h = 6, 34
    rows = (len(frames) + per_row - 1) // per_row
    cell_w, cell_h = size + pad, size + text_h + pad
    strip = Image.new("RGB", (min(len(frames), per_row) * cell_w + pad, rows * cell_h + pad), "white")
    draw = ImageDraw.Draw(strip)
    for i, (frame, caption) in enumerate(zip(frames, captions)):
        x, y = pad + (i % per_row) * cell_w, pad + (i // per_row) * cell_h
        strip.paste(glyph_image(frame, size, smooth=True).convert("RGB"), (x, y))
        if i == highlight:
            draw.rectangle((x - 3, y - 3, x + size + 2, y + size + 2), outline=(234, 88, 12), width=3)
        for j, line in enumerate(caption.split("\n")[:2]):
            draw.text((x + 2, y + size + 3 + 15 * j), line, fill=(40, 40, 40), font=font)
    return strip


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
