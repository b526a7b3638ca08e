"""The one normalisation, on every kind of input a user or a data set can give."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from glyph_vae.glyphs.preprocess import (BlankDrawingError, UnreadableImageError, load_image, normalize_glyph,
                                  normalize_ink)
from glyph_vae.testing.drawings import render_drawing


def drawing(size=(300, 200), ink=0, paper=255, box=(60, 40, 140, 170), width=14) -> Image.Image:
    """A dark 'L'-like shape on light paper (or the reverse), not centred."""
    image = Image.new("L", size, paper)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    draw.line([(x0, y0), (x0, y1), (x1, y1)], fill=ink, width=width)
    return image


def ink_box(glyph: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(glyph > 0.15)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def assert_normalised(glyph: np.ndarray) -> None:
    assert glyph.shape == (28, 28) and glyph.dtype == np.float32
    assert 0.0 <= glyph.min() and glyph.max() <= 1.0 and glyph.max() > 0.9
    h, w = ink_box(glyph)
    assert max(h, w) in (19, 20, 21), (h, w)
    ys, xs = np.indices(glyph.shape)
    com = ((ys * glyph).sum() / glyph.sum(), (xs * glyph).sum() / glyph.sum())
    assert abs(com[0] - 13.5) <= 1.0 and abs(com[1] - 13.5) <= 1.0, com
    # the border is paper: ink is white on black
    assert glyph[0].max() < 0.05 and glyph[:, 0].max() < 0.05


REFERENCE = normalize_glyph(drawing())


def close_to_reference(glyph: np.ndarray, tol: float = 0.06) -> bool:
    return float(np.abs(glyph - REFERENCE).mean()) < tol


def test_dark_on_light_is_cropped_scaled_and_centred():
    assert_normalised(REFERENCE)
    h, w = ink_box(REFERENCE)
    assert h > w  # the shape is taller than wide and stays so: aspect kept
    assert abs(w / h - 94 / 144) < 0.12


def test_light_on_dark_gives_the_same_glyph():
    assert close_to_reference(normalize_glyph(drawing(ink=255, paper=0)), tol=0.01)


def test_position_and_scale_on_the_canvas_do_not_matter():
    moved = drawing(size=(512, 512), box=(300, 250, 460, 480), width=25)
    assert close_to_reference(normalize_glyph(moved), tol=0.08)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "1", "I;16", "CMYK"])
def test_every_pil_mode(mode):
    base = drawing()
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base, dtype=np.uint16) * 257)
        assert image.mode.startswith("I;16")
    else:
        image = base.convert(mode)
    glyph = normalize_glyph(image)
    assert_normalised(glyph)
    assert close_to_reference(glyph, tol=0.08)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "BMP"])
def test_every_file_format_from_path_and_bytes(tmp_path, fmt):
    path = tmp_path / f"glyph.{fmt.lower()}"
    drawing().convert("RGB").save(path, fmt)
    assert close_to_reference(normalize_glyph(path), tol=0.08)
    assert close_to_reference(normalize_glyph(str(path)), tol=0.08)
    assert close_to_reference(normalize_glyph(path.read_bytes()), tol=0.08)


def test_transparent_canvas_with_ink_only_in_alpha():
    alpha = np.asarray(drawing(ink=255, paper=0))
    rgba = np.zeros((*alpha.shape, 4), np.uint8)  # black everywhere: colour carries nothing
    rgba[..., 3] = alpha
    assert close_to_reference(normalize_glyph(Image.fromarray(rgba, "RGBA")), tol=0.02)
    # white ink on a transparent canvas reads the same
    rgba[..., :3] = 255
    assert close_to_reference(normalize_glyph(Image.fromarray(rgba, "RGBA")), tol=0.02)


def test_sketchpad_value_composite_and_layers():
    alpha = np.asarray(drawing(ink=255, paper=0))
    layer = np.zeros((*alpha.shape, 4), np.uint8)
    layer[..., 3] = alpha
    background = np.full((*alpha.shape, 4), 255, np.uint8)
    composite = np.asarray(drawing().convert("RGBA"))
    value = {"background": background, "layers": [layer], "composite": composite}
    assert close_to_reference(normalize_glyph(value), tol=0.02)
    # no composite: background and layers are combined
    value_no_composite = {"background": Image.fromarray(background), "layers": [Image.fromarray(layer)],
                          "composite": None}
    assert close_to_reference(normalize_glyph(value_no_composite), tol=0.04)


def test_numpy_arrays_of_any_dtype():
    base = np.asarray(drawing())
    assert close_to_reference(normalize_glyph(base), tol=0.01)
    assert close_to_reference(normalize_glyph(base.astype(np.float32) / 255), tol=0.01)
    assert close_to_reference(normalize_glyph(base.astype(np.uint16) * 257), tol=0.01)
    assert close_to_reference(normalize_glyph(np.stack([base] * 3, -1)), tol=0.01)


def test_tiny_and_huge_images():
    small = drawing(size=(30, 20), box=(6, 4, 14, 17), width=2)
    assert_normalised(normalize_glyph(small))
    wide = drawing(size=(2000, 300), box=(1500, 40, 1600, 260), width=20)
    assert_normalised(normalize_glyph(wide))


def test_mouse_drawings_are_normalised():
    for seed in range(5):
        assert_normalised(normalize_glyph(render_drawing("A", seed)))


def test_already_normalised_glyph_is_a_fixed_point():
    glyph = REFERENCE
    again = normalize_ink(glyph)
    assert float(np.abs(again - glyph).mean()) < 0.02


@pytest.mark.parametrize("blank", [
    Image.new("RGB", (400, 400), "white"),
    Image.new("L", (400, 400), 0),
    Image.new("RGBA", (400, 400), (0, 0, 0, 0)),
    {"background": None, "layers": [], "composite": None},
    None,
])
def test_blank_canvas_asks_for_a_drawing(blank):
    with pytest.raises(BlankDrawingError, match="Draw a character first"):
        normalize_glyph(blank)


def test_a_speck_is_near_blank():
    image = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(image).ellipse((200, 200, 203, 203), fill=0)
    with pytest.raises(BlankDrawingError, match="Draw a character first"):
        normalize_glyph(image)


def test_faint_noise_is_blank():
    rng = np.random.default_rng(0)
    noise = (250 + rng.integers(0, 6, size=(300, 300))).astype(np.uint8)
    with pytest.raises(BlankDrawingError):
        normalize_glyph(noise)


def test_not_an_image_and_truncated_file(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(UnreadableImageError, match="not an image"):
        normalize_glyph(text)
    buffer = io.BytesIO()
    drawing().save(buffer, "PNG")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(UnreadableImageError, match="damaged or truncated"):
        normalize_glyph(truncated)
    with pytest.raises(UnreadableImageError, match="No image file"):
        normalize_glyph(tmp_path / "missing.png")


def test_animated_gif_uses_the_first_frame(tmp_path):
    frames = [drawing().convert("P"), Image.new("P", (300, 200), 255)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert load_image(path).n_frames == 2
    assert close_to_reference(normalize_glyph(path), tol=0.08)


def test_the_mouse_drawn_test_set_covers_all_62_characters_and_dots_are_strokes_of_their_own():
    from glyph_vae.models.model import CHARSET
    from glyph_vae.glyphs.strokes import SKELETONS
    from glyph_vae.testing.drawings import ALL_CHARACTERS, drawing_set

    assert ALL_CHARACTERS == CHARSET and set(SKELETONS) == set(CHARSET)
    drawings = drawing_set(per_char=2)
    assert len(drawings) == 124 and [c for c, _ in drawings[::2]] == list(CHARSET)
    for dotted in "ij":
        stem, dot = SKELETONS[dotted][0], SKELETONS[dotted][-1]
        assert len(SKELETONS[dotted]) == 2 and max(y for _, y in dot) < min(y for _, y in stem)
