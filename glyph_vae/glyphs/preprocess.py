"""One normalisation for every glyph: training images and user drawings alike.

MNIST digits were cropped to their ink, scaled so the longest side is 20 px and
placed in a 28x28 field by centre of mass. EMNIST letters are framed differently
(bounding-box centred, about 24 px tall). A model trained on both as shipped can
tell a digit from a letter by its framing alone, and then misreads a user's
drawing, which is framed like neither. So every image, whatever it came from,
goes through `normalize_glyph` before the model sees it.
"""
from __future__ import annotations

import base64
import binascii
import io
import math
import threading
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import BlankDrawingError, GlyphError, UnreadableImageError

__all__ = ["BlankDrawingError", "GlyphError", "UnreadableImageError", "load_image", "normalize_glyph",
           "normalize_ink", "normalize_batch", "ink_map"]

GLYPH_SIZE = 28
BOX_SIZE = 20  # longest side of the ink after scaling, as in MNIST

# Images bigger than this many pixels are refused before decoding (a 20000x20000
# PNG decompresses to 400 MP). Pillow's own limit raises only at twice its value.
MAX_PIXELS = 40_000_000
# The kinds of file read; Pillow's others (TIFF, ICO, TGA, EPS, which runs Ghostscript, ...)
# are refused before their decoders run.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
# Every picture is brought down to this longest side right after decoding (a JPEG already
# while decoding): a glyph is 28 px, and a 6300x6300 picture held at full size costs
# seconds and gigabytes in the float arrays that follow.
MAX_SIDE = 1024
# Decodes of pictures over LARGE_PICTURE pixels run at most LARGE_DECODES at a time, so a
# burst of big uploads cannot hold many full-size bitmaps at once.
LARGE_PICTURE = 4_000_000
LARGE_DECODES = 2
_large_decodes = threading.BoundedSemaphore(LARGE_DECODES)
# A sketchpad value's layers are each decoded; a drawing has a background and a layer or two.
MAX_LAYERS = 8

# Ink fainter than this (0..1, after contrast normalisation) counts as paper.
_INK_THRESHOLD = 0.15
# A drawing whose ink covers fewer pixels than this share of the canvas, or
# whose ink spans less than this share of the canvas's longer side, is a stray
# click, not a character.
_MIN_INK_AREA = 0.0002
_MIN_INK_SPAN = 0.03


def load_image(source: Any) -> Image.Image:
    """Open any supported input as a PIL image (first frame of an animation).

    Accepts a path, bytes, a PIL image, a numpy array, a `data:image/...;base64,` URL, a
    Gradio file value (a dict with "path") or a Gradio Sketchpad / ImageEditor value (a
    dict with "background", "layers" and "composite").
    """
    if source is None or (isinstance(source, str) and not source.strip()):
        raise BlankDrawingError()  # an empty pad's value is ""
    if isinstance(source, Mapping):
        if "path" in source:  # a file sent through Gradio's API: {"path": ..., "orig_name": ...}
            path = source["path"]
            if not isinstance(path, (str, Path)) or not str(path):
                raise UnreadableImageError("A file value's path must be a file name.")
            name = source.get("orig_name")
            return _open_path(Path(path), name if isinstance(name, str) and name else Path(path).name)
        return _editor_value_to_image(source)
    if isinstance(source, Image.Image):
        image = _reduced(_first_frame(source))
    elif isinstance(source, np.ndarray):
        return _array_to_image(source)
    elif isinstance(source, (bytes, bytearray)):
        image = _open(io.BytesIO(bytes(source)), "the uploaded bytes")
    elif isinstance(source, str) and source.startswith("data:"):
        image = _open(io.BytesIO(_data_url_bytes(source)), "the drawing")
    elif isinstance(source, (str, Path)):
        return _open_path(Path(source), Path(source).name)
    else:
        raise UnreadableImageError(
            f"Cannot read an image from a {type(source).__name__}; "
            "pass a file path, bytes, a PIL image, a numpy array or a sketchpad value."
        )
    return image


def _first_frame(image: Image.Image) -> Image.Image:
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # animated GIF/WebP/PNG: the first frame is the drawing
    return image


def _open_path(path: Path, name: str) -> Image.Image:
    if not path.is_file():  # also refuses a FIFO or a device, which would block or never end
        raise UnreadableImageError(f"No image file at {path}.")
    return _open(path, name)


def _data_url_bytes(url: str) -> bytes:
    """The bytes of a base64 `data:` URL (what a browser canvas exports)."""
    header, _, payload = url.partition(",")
    if not header.startswith("data:image/") or ";base64" not in header:
        raise UnreadableImageError("The drawing is not an image: expected a data:image/...;base64 URL.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise UnreadableImageError("The drawing's data URL is damaged: its base64 does not decode.") from None


def _open(fp, name: str) -> Image.Image:
    """Decode one of FORMATS, its first frame, at most MAX_SIDE on its longest side."""
    try:
        image = Image.open(fp, formats=FORMATS)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise UnreadableImageError(
                f"{name} is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels."
            )
        image = _first_frame(image)
        if image.format == "JPEG" and max(width, height) > MAX_SIDE:
            image.draft(None, (MAX_SIDE, MAX_SIDE))  # decoded at 1/2, 1/4 or 1/8 scale by the DCT
        if width * height > LARGE_PICTURE:
            with _large_decodes:
                image.load()
                image = _reduced(image)
        else:
            image.load()
            image = _reduced(image)
    except UnreadableImageError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses twice its own limit before our size check can run.
        raise UnreadableImageError(f"{name} is too large to decode safely: over {MAX_PIXELS // 1_000_000} "
                                   f"megapixels, the limit ({exc})") from None
    except UnidentifiedImageError:
        raise UnreadableImageError(f"{name} is not an image: send a PNG, JPEG, WebP, GIF or BMP file.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"{name} is damaged or truncated: {exc}") from None
    return image


def _reduced(image: Image.Image) -> Image.Image:
    """The picture box-averaged by a whole factor to at most MAX_SIDE on its longest side.
    Averaging (not sampling) keeps a thin stroke's ink: a 3 px line in a 6300 px picture
    becomes a fainter line, which normalize_ink brings back to full strength."""
    factor = math.ceil(max(image.size) / MAX_SIDE)
    if factor <= 1:
        return image
    if image.mode in ("1", "P", "PA"):  # palette and 1-bit pictures cannot be averaged as they are
        has_alpha = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "L")
    elif image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F", "I;16"):
        image = image.convert("RGB")
    return image.reduce(factor)


def _array_to_image(array: np.ndarray) -> Image.Image:
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise UnreadableImageError(f"An image array must be HxW, HxWx3 or HxWx4, not {array.shape}.")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise UnreadableImageError(f"The image array is {array.shape[1]}x{array.shape[0]} pixels; the limit is "
                                   f"{MAX_PIXELS // 1_000_000} megapixels.")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype == np.uint16:
        array = (array // 257).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise UnreadableImageError("The image array contains NaN or infinite values.")
        scale = 255.0 if array.max(initial=0) <= 1.0 else 1.0
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    else:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return _reduced(Image.fromarray(array))


def _editor_value_to_image(value: Mapping) -> Image.Image:
    """A Sketchpad value: the composite if present, else background + layers."""
    composite = value.get("composite")
    if composite is not None:
        return load_image(composite)
    layers = value.get("layers") or []
    if not isinstance(layers, (list, tuple)) or len(layers) > MAX_LAYERS:
        raise UnreadableImageError(f"A sketchpad value has a list of at most {MAX_LAYERS} layers.")
    layers = [load_image(layer).convert("RGBA") for layer in layers if layer is not None]
    background = value.get("background")
    if background is None and not layers:
        raise BlankDrawingError()
    base = load_image(background).convert("RGBA") if background is not None else None
    if base is None:
        base = Image.new("RGBA", layers[0].size, (0, 0, 0, 0))
    for layer in layers:
        if layer.size != base.size:
            layer = layer.resize(base.size)
        base = Image.alpha_composite(base, layer)
    return base


def ink_map(image: Image.Image) -> np.ndarray:
    """Float array in [0, 1]: how much ink each pixel holds, whatever the polarity.

    A transparent canvas carries its ink in the alpha channel. Otherwise the
    paper colour is read from the border, so dark-on-light and light-on-dark
    both give ink as the distance from the paper.
    """
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        lum = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if mode.startswith("I;16") or lum.max(initial=0) > 255 else 255.0
        if mode == "F" and lum.max(initial=0) <= 1.0:
            peak = 1.0
        lum = lum / peak
        alpha = None
    else:
        if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
            image = image.convert("RGB")
        has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info)
        if has_alpha:
            rgba = image.convert("RGBA")
            alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
            lum = np.asarray(rgba.convert("L"), dtype=np.float64) / 255.0
        else:
            alpha = None
            lum = np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    lum = np.clip(np.nan_to_num(lum), 0.0, 1.0)

    if alpha is not None and alpha.min() < 0.5:
        # Ink lives in the alpha channel (a transparent canvas); the colour of
        # fully transparent pixels means nothing.
        return alpha.astype(np.float32)

    border = np.concatenate([lum[:2].ravel(), lum[-2:].ravel(), lum[:, :2].ravel(), lum[:, -2:].ravel()])
    paper = float(np.median(border))
    ink = (paper - lum) if paper > 0.5 else (lum - paper)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


def normalize_ink(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, scale the longest side to 20 px, centre by mass in 28x28."""
    peak = float(ink.max(initial=0.0))
    height, width = ink.shape
    if peak < 0.08:
        raise BlankDrawingError()
    ink = ink / peak
    mask = ink > _INK_THRESHOLD
    rows, cols = np.nonzero(mask)
    if len(rows) < 3 or len(rows) < _MIN_INK_AREA * height * width:
        raise BlankDrawingError("Draw a character first: the canvas is almost blank.")
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    span = max(bottom - top, right - left)
    if span < _MIN_INK_SPAN * max(height, width):
        raise BlankDrawingError("Draw a character first: that is only a speck of ink.")
    crop = np.where(ink[top:bottom, left:right] > 0.05, ink[top:bottom, left:right], 0.0).astype(np.float32)

    scale = BOX_SIZE / span
    new_h = max(1, int(round(crop.shape[0] * scale)))
    new_w = max(1, int(round(crop.shape[1] * scale)))
    # LANCZOS on a float image averages properly when shrinking a 512 px canvas.
    small = Image.fromarray(crop, mode="F").resize((new_w, new_h), Image.LANCZOS)
    small = np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)

    total = small.sum()
    ys, xs = np.indices(small.shape)
    com_y = (ys * small).sum() / total
    com_x = (xs * small).sum() / total
    center = (GLYPH_SIZE - 1) / 2.0
    off_y = int(np.clip(round(center - com_y), 0, GLYPH_SIZE - new_h))
    off_x = int(np.clip(round(center - com_x), 0, GLYPH_SIZE - new_w))
    glyph = np.zeros((GLYPH_SIZE, GLYPH_SIZE), dtype=np.float32)
    glyph[off_y : off_y + new_h, off_x : off_x + new_w] = small
    return glyph


def normalize_glyph(source: Any) -> np.ndarray:
    """Any image or drawing -> 28x28 float32 glyph in [0, 1], white ink on black.

    Raises BlankDrawingError for an empty or near-empty drawing and
    UnreadableImageError for anything that is not a readable image.
    """
    image = load_image(source)
    if image.width < 1 or image.height < 1:
        raise BlankDrawingError()
    return normalize_ink(ink_map(image))


def normalize_batch(images: np.ndarray) -> np.ndarray:
    """Normalise a stack of uint8 white-on-black 28x28 images (training data)."""
    out = np.zeros((len(images), GLYPH_SIZE, GLYPH_SIZE), dtype=np.float32)
    for i, image in enumerate(images):
        try:
            out[i] = normalize_ink(image.astype(np.float32) / 255.0)
        except BlankDrawingError:
            pass  # a blank training image stays blank; the loader drops it
    return out
