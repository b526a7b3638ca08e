"""The hand as a font: tables and metrics, the character map, calt alternates as HarfBuzz
shapes them, the checks browsers apply (the OpenType Sanitizer), determinism, bad input."""
from __future__ import annotations

import io

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from glyph_vae import GlyphVAE, bundled_path
from glyph_vae.errors import UserInputError
from glyph_vae.export.font import CAP_UNITS, build_font, check_font_name, postscript_name
from glyph_vae.models.model import CHARSET
from glyph_vae.pipelines.writing import style_from_drawings

PRINTABLE = "".join(chr(i) for i in range(32, 127))


@pytest.fixture(scope="module")
def model():
    return GlyphVAE.from_pretrained()


@pytest.fixture(scope="module")
def style(model):
    return style_from_drawings(model, [bundled_path("style_examples", "italic", f"{c}.png") for c in "AGK47"])[0]


@pytest.fixture(scope="module")
def font(model, style):
    return build_font(model, style, name="Test Hand", alternates=3, randomness=0.3, seed=5)


def shaped(ttf: bytes, text: str) -> list[int]:
    """HarfBuzz's glyph ids for `text`, with the font's default features (calt among them)."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob(ttf))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(face), buffer)
    return [info.codepoint for info in buffer.glyph_infos]


def test_every_printable_ascii_character_has_a_glyph(font):
    cmap = TTFont(io.BytesIO(font.ttf)).getBestCmap()
    assert set(PRINTABLE) <= {chr(c) for c in cmap} and font.missing == ""
    names = TTFont(io.BytesIO(font.ttf)).getGlyphOrder()
    assert all(f"{cmap[ord(c)]}.alt2" in names for c in CHARSET)  # two alternates besides each glyph


def test_metrics_follow_the_page_layout(font):
    tt = TTFont(io.BytesIO(font.ttf))
    glyf, hmtx, cmap = tt["glyf"], tt["hmtx"], tt.getBestCmap()

    def box(char):
        g = glyf[cmap[ord(char)]]
        return g.xMin, g.yMin, g.xMax, g.yMax

    for char in "HEX":  # capitals on the baseline, one capital height tall
        _, y_min, _, y_max = box(char)
        assert abs(y_min) <= 30 and abs(y_max - CAP_UNITS) <= 40
    assert abs(box("x")[3] - 0.62 * CAP_UNITS) <= 40  # the x-height
    for char in "gjpqy":  # descenders below the line
        assert box(char)[1] < -0.25 * CAP_UNITS
    assert box("b")[3] > box("a")[3] + 0.2 * CAP_UNITS  # ascenders above the x-height
    assert all(hmtx[name][0] > 0 for name in tt.getGlyphOrder())
    assert tt["OS/2"].sxHeight == round(0.62 * CAP_UNITS) and tt["OS/2"].sCapHeight == CAP_UNITS
    assert tt["head"].unitsPerEm == 1000 and tt["hhea"].ascent > CAP_UNITS and tt["hhea"].descent < 0
    assert tt["post"].formatType == 2.0


def test_the_font_is_named_for_font_menus(font):
    name = TTFont(io.BytesIO(font.ttf))["name"]
    assert name.getDebugName(1) == "Test Hand" and name.getDebugName(2) == "Regular"
    assert name.getDebugName(4) == "Test Hand Regular" and name.getDebugName(6) == "TestHand-Regular"


def test_the_font_meets_what_font_validators_fail_it_for(font):
    """fontbakery's universal profile (bench/fontbakery.py runs it) fails a font with Mac name
    records, no code page, no dropout control for unhinted outlines or no no-break space."""
    from glyph_vae.export.font import ASCENT, DESCENT, LINE_GAP

    tt = TTFont(io.BytesIO(font.ttf))
    assert {r.platformID for r in tt["name"].names} == {3}  # Windows names only
    assert tt["OS/2"].ulCodePageRange1 & 1  # Latin 1
    assert tt["OS/2"].ulUnicodeRange1 & 1  # Basic Latin
    program = tt["prep"].program.getBytecode()
    assert bytes([0xB8, 0x01, 0xFF, 0x85, 0xB0, 0x04, 0x8D]) in bytes(program)  # SCANCTRL 511, SCANTYPE 4
    assert tt["gasp"].gaspRange == {0xFFFF: 0x000F}
    cmap = tt.getBestCmap()
    assert cmap[0xA0] == cmap[0x20] == "space"
    # no line gap, the same 1.75 capitals from line to line in hhea and OS/2
    assert tt["hhea"].lineGap == tt["OS/2"].sTypoLineGap == 0
    for ascent, descent in ((tt["hhea"].ascent, tt["hhea"].descent),
                            (tt["OS/2"].sTypoAscender, tt["OS/2"].sTypoDescender)):
        assert ascent - descent == ASCENT + DESCENT + LINE_GAP


def test_the_opentype_sanitizer_passes_the_ttf_and_the_woff2(font, tmp_path):
    import ots

    for suffix, data in (("ttf", font.ttf), ("woff2", font.woff2)):
        path = tmp_path / f"font.{suffix}"
        path.write_bytes(data)
        result = ots.sanitize(str(path), str(tmp_path / f"clean.{suffix}"), capture_output=True)
        assert result.returncode == 0, result.stderr
    assert font.woff2[:4] == b"wOF2" and len(font.woff2) < len(font.ttf)


def test_the_font_round_trips_through_fonttools(font):
    tt = TTFont(io.BytesIO(font.ttf))
    again = io.BytesIO()
    tt.save(again)
    reread = TTFont(io.BytesIO(again.getvalue()))
    assert reread.getGlyphOrder() == tt.getGlyphOrder()
    for name in ("A", "g", "period", "at"):
        assert reread["glyf"][name].getCoordinates(reread["glyf"])[0] == tt["glyf"][name].getCoordinates(tt["glyf"])[0]
    assert TTFont(io.BytesIO(font.woff2)).flavor == "woff2"


def test_calt_gives_repeated_letters_different_glyphs(model, style, font):
    ids = shaped(font.ttf, "llama 1000 book")  # l0 l1 a2 m3 a4 _5 '1'6 '0'7 '0'8 '0'9 _10 b11 o12 o13 k14
    for a, b in ((0, 1), (7, 8), (8, 9), (12, 13)):  # ll, 00, 00, oo
        assert ids[a] != ids[b]
    assert len(set(ids[7:10])) >= 2 and ids[2] != ids[4]  # the zeros of 1000; the two a of llama
    plain = build_font(model, style, name="Plain", alternates=1, randomness=0.3, seed=5)
    ids = shaped(plain.ttf, "llama 1000 book")
    assert ids[0] == ids[1] and ids[7] == ids[8] == ids[9] and ids[12] == ids[13]  # N = 1: one glyph each


def test_the_alternates_differ_visibly(model, style):
    from glyph_vae.export.font import alternate_glyphs
    from glyph_vae.pipelines.style import ink

    variants = [ink(v) for v in alternate_glyphs(model, style, 3, 0.0, 5)]  # even at randomness 0
    differences = [np.abs(variants[0][i] - variants[k][i]).mean() / max(1e-6, variants[0][i].mean())
                   for i in range(len(CHARSET)) for k in (1, 2)]
    assert np.median(differences) > 0.1


def test_the_same_inputs_give_the_same_bytes(model, style, font):
    again = build_font(model, style, name="Test Hand", alternates=3, randomness=0.3, seed=5)
    assert again.ttf == font.ttf and again.woff2 == font.woff2
    other = build_font(model, style, name="Test Hand", alternates=3, randomness=0.3, seed=6)
    assert other.ttf != font.ttf


@pytest.mark.parametrize("options,message", [
    ({"alternates": 0}, "number of alternates must be a whole number from 1 to 5, not 0"),
    ({"alternates": 9}, "not 9"),
    ({"randomness": float("nan")}, "Randomness must be between 0 and 1 .*not nan"),
    ({"name": "My\x07Hand"}, "control character \\(U\\+0007\\)"),
    ({"name": "x" * 500}, "The font name has 500 characters; at most 40"),
])
def test_bad_input_gets_a_clear_error(model, style, options, message):
    with pytest.raises(UserInputError, match=message):
        build_font(model, style, **{"name": "Test", **options})


def test_names_are_cleaned_for_menus_and_postscript():
    assert check_font_name("  My   Hand ") == "My Hand" and check_font_name("") == "GlyphVAE Hand"
    assert postscript_name("Écriture de Zoé 2") == "EcrituredeZoe2-Regular"
    assert postscript_name("手書き") == "GlyphVAEHand-Regular"
