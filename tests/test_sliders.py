"""The style sliders' arithmetic (glyph_vae.pipelines.style.Sliders) on small made-up axes: no model, no app."""
from __future__ import annotations

import numpy as np
import pytest

from glyph_vae.pipelines.style import SliderSetting, Sliders, Style, StyleAxis, slider_offset, slider_positions

LATENT = 6


def axis(name: str, k: int, scale: float, low: float = -3.0, high: float = 3.0) -> StyleAxis:
    direction = np.zeros(LATENT, np.float32)
    direction[k] = 1.0
    return StyleAxis(name, name.capitalize(), direction, scale, low, high)


AXES = [axis("width", 0, 0.5), axis("stroke_thickness", 1, 2.0, -2.0, 2.5), axis("slant", 3, 0.8)]


def style_at(*places: float) -> Style:
    """A style whose places on AXES are `places` (in standard deviations), its other coordinates set too."""
    mean = np.float32([0.1, 0.0, 0.0, 0.0, -0.7, 0.3])
    for a, place in zip(AXES, places):
        mean[np.argmax(a.direction)] = place * a.scale
    return Style(mean, np.full(LATENT, 0.5, np.float32), 3)


@pytest.fixture
def sliders() -> Sliders:
    return Sliders(AXES)


def test_positions_are_the_places_on_the_axes_rounded_to_hundredths(sliders):
    style = style_at(0.123, -1.456, 2.0)
    assert sliders.positions(style) == [0.12, -1.46, 2.0]
    assert sliders.positions(style) == [round(p, 2) for p in slider_positions(style, AXES)]


def test_sliders_at_the_styles_own_place_draw_the_style_itself(sliders):
    style = style_at(0.123, -1.456, 2.0)
    assert np.array_equal(sliders.moved(style, sliders.positions(style)).mean, style.mean)
    assert np.array_equal(sliders.moved_by(style, {}).mean, style.mean)


def test_a_move_moves_the_style_that_far_along_its_axis_only(sliders):
    style = style_at(0.5, 0.0, -1.0)
    values = sliders.positions(style)
    values[2] += 1.25
    moved = sliders.moved(style, values)
    assert np.allclose(slider_positions(moved, AXES), [0.5, 0.0, 0.25], atol=1e-5)
    assert np.array_equal(np.delete(moved.mean, 3), np.delete(style.mean, 3))  # the other coordinates stay
    assert np.array_equal(moved.std, style.std) and moved.count == style.count  # the spread is kept
    assert np.allclose(moved.mean, style.mean + slider_offset(AXES, sliders.positions(style), values))


def test_offsets_are_the_moves_by_axis_name_and_move_the_style_the_same_way(sliders):
    style = style_at(0.31, -0.2, 1.1)
    values = [0.81, -0.2, 0.6]
    offsets = sliders.offsets(style, values)
    assert offsets == pytest.approx({"width": 0.5, "stroke_thickness": 0.0, "slant": -0.5})
    assert np.array_equal(sliders.moved_by(style, offsets).mean, sliders.moved(style, values).mean)
    only_slant = sliders.moved_by(style, {"slant": -0.5})  # an axis not named is not moved
    assert np.allclose(slider_positions(only_slant, AXES), [0.31, -0.2, 0.6], atol=1e-5)


def test_settings_stand_at_the_style_in_the_axes_ranges(sliders):
    style = style_at(0.5, 1.0, -0.25)
    assert sliders.settings(style) == [SliderSetting(0.5, -3.0, 3.0), SliderSetting(1.0, -2.0, 2.5),
                                       SliderSetting(-0.25, -3.0, 3.0)]
    # a value beyond a range stops at its end, and values stand on hundredths
    assert sliders.settings(style, [7.0, -9.0, 0.4567]) == [SliderSetting(3.0, -3.0, 3.0),
                                                            SliderSetting(-2.0, -2.0, 2.5),
                                                            SliderSetting(0.46, -3.0, 3.0)]


def test_a_range_stretches_to_the_next_step_beyond_a_style_outside_it(sliders):
    far = style_at(3.42, -2.31, 0.0)
    width, thickness, slant = sliders.settings(far)
    assert width == SliderSetting(3.42, -3.0, 3.45)  # the slider shows the style as it is
    assert thickness == SliderSetting(-2.31, -2.35, 2.5)
    assert slant == SliderSetting(0.0, -3.0, 3.0)
    assert sliders.settings(far, [5.0, -5.0, 0.0])[:2] == [SliderSetting(3.45, -3.0, 3.45),
                                                           SliderSetting(-2.35, -2.35, 2.5)]


def test_a_new_style_keeps_the_moves_made_on_the_old(sliders):
    old, new = style_at(0.0, 0.0, 0.0), style_at(1.0, -1.0, 2.9)
    carried = sliders.carried(old, new, [0.5, None, 0.5])  # None: a slider not moved
    assert carried == [SliderSetting(1.5, -3.0, 3.0), SliderSetting(-1.0, -2.0, 2.5), SliderSetting(3.0, -3.0, 3.0)]
    # back from beyond a range: the range is the axis's own again, the move kept
    back = sliders.carried(style_at(3.42, 0.0, 0.0), old, [3.42, 0.0, 0.0])
    assert back[0] == SliderSetting(0.0, -3.0, 3.0)


def test_a_style_files_offsets_give_the_sliders_and_the_style_the_same_move(sliders):
    style = style_at(0.2, 0.4, -0.6)
    offsets = {"slant": 0.55, "width": -0.3}
    settings = sliders.with_offsets(style, offsets)
    assert [s.value for s in settings] == [-0.1, 0.4, -0.05]
    drawn_by_sliders = sliders.moved(style, [s.value for s in settings])
    assert np.allclose(drawn_by_sliders.mean, sliders.moved_by(style, offsets).mean, atol=1e-6)


def test_no_axes_no_sliders():
    none = Sliders([])
    style = style_at()
    assert len(none) == 0 and none.positions(style) == [] and none.settings(style) == []
    assert none.moved(style, []) is style and none.moved_by(style, {"slant": 1.0}) is style
    assert none.offsets(style, []) == {}
