"""Write like me: from a few drawings of a writer to glyphs or a page in their hand.

Pure functions over a loaded model, the same ones the app and its API call:

    >>> from glyph_vae import GlyphVAE
    >>> from glyph_vae.pipelines.writing import style_from_drawings, write
    >>> model = GlyphVAE.from_pretrained()
    >>> style, readings = style_from_drawings(model, ["my_a.png", "my_k.png", "my_7.png"])
    >>> page = write(model, "Hello world", style, randomness=0.3, seed=1)
    >>> page.image.save("hello.png")
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from .layout import Page, layout_text
from ..models.model import CHARSET, GlyphVAE
from ..errors import (BlankDrawingError, GlyphError, NoTextError, SettingError, TextTooLongError,
                     TooManyDrawingsError, UnsupportedCharactersError, check_randomness, check_seed,
                     check_whole_number, shown)
from ..glyphs.preprocess import normalize_glyph
from ..glyphs.proportions import measured_proportions, with_width
from .punctuation import PUNCTUATION, style_pen
from .stroke_glyphs import draw_stroke_glyphs, measured_width, pen_width
from .ruled import glyph_on_lines, ruled_probabilities
from .reading import Reading, read_glyphs_and_posteriors
from .style import Style, check_characters, combine_posteriors, draw_glyphs, mix_styles, prior_style

MAX_TEXT_LENGTH = 500  # characters of one page: a long note, and a fraction of a second to draw
MAX_STYLE_DRAWINGS = 16  # more adds little to the style (precisions add up) and costs upload time
FULL_CHARACTER_SET = "0123456789\nABCDEFGHIJKLM NOPQRSTUVWXYZ\nabcdefghijklm nopqrstuvwxyz"


def style_from_drawings(model: GlyphVAE, drawings: Sequence[Any], *, ruled: Sequence[bool] = (),
                        characters: Sequence[str | None] = ()) -> tuple[Style, list[Reading | None]]:
    """Infer the style of the drawings (files, images or sketchpad values; None or
    blank ones are skipped) -> the style and, per drawing, how it was read (None if blank).

    `ruled[i]`: drawing i was made on a ruled pad and is read with its place on the lines
    (glyph_vae.pipelines.ruled); `characters[i]`: the character drawing i is, as the writer says (a
    misreading corrected; None or "" = as read). The style's posteriors are conditioned on
    these characters, and the style's `characters` are them. Drawings on ruled pads also give
    the style its writer's proportions (glyph_vae.glyphs.proportions): how tall the small letters
    are against the capitals, how far ascenders and descenders reach."""
    drawings = list(drawings or [])
    if len(drawings) > MAX_STYLE_DRAWINGS:
        raise TooManyDrawingsError(f"At most {MAX_STYLE_DRAWINGS} style drawings, got {len(drawings)}.")
    on_lines = [bool(i < len(ruled) and ruled[i]) and model.ruled is not None for i in range(len(drawings))]
    glyphs: list[np.ndarray | None] = []
    geometries: dict[int, Any] = {}
    for number, drawing in enumerate(drawings, 1):
        if drawing is None:
            glyphs.append(None)
            continue
        try:
            if on_lines[number - 1]:
                glyph, geometries[number - 1] = glyph_on_lines(drawing)
                glyphs.append(glyph)
            else:
                glyphs.append(normalize_glyph(drawing))
        except BlankDrawingError:
            glyphs.append(None)
        except GlyphError as exc:
            raise type(exc)(f"Style drawing {number}: {exc}") from None
    filled = [i for i, g in enumerate(glyphs) if g is not None]
    readings: list[Reading | None] = [None] * len(glyphs)
    if not filled:
        return prior_style(model.config.latent_dim), readings
    stack = np.stack([glyphs[i] for i in filled])
    known = [characters[i] if i < len(characters) and characters[i] else None for i in filled]
    for char in known:
        if char is not None and char not in CHARSET:
            raise UnsupportedCharactersError(char)
    # One encoder pass gives both the readings and the posteriors the style combines; a second
    # where the characters differ from the shape reader's (read on the lines, or corrected).
    probs, recons, mu, logvar = read_glyphs_and_posteriors(model, stack)
    lined = [k for k, i in enumerate(filled) if i in geometries]
    if lined:
        probs[lined] = ruled_probabilities(model, stack[lined], [geometries[filled[k]] for k in lined])
    classes = torch.tensor([CHARSET.index(c) if c else int(p.argmax()) for c, p in zip(known, probs)])
    if (classes != torch.from_numpy(probs.argmax(1))).any() or lined:
        _, recons, mu, logvar = read_glyphs_and_posteriors(model, stack, classes)
    for k, i in enumerate(filled):
        readings[i] = Reading(glyph=glyphs[i], reconstruction=recons[k], probabilities=probs[k])
    style = combine_posteriors(mu, logvar)
    read_as = "".join(CHARSET[int(c)] for c in classes)
    # The writer's proportions, from where the drawings on the lines reach.
    proportions = measured_proportions((read_as[k], geometries[i].top, geometries[i].bottom)
                                       for k, i in enumerate(filled) if i in geometries)
    style = replace(style, characters=read_as, proportions=proportions)
    return with_measured_width(model, style, stack, classes.tolist()), readings


def with_measured_width(model: GlyphVAE, style: Style, glyphs: np.ndarray, classes: Sequence[int]) -> Style:
    """`style` with the width its drawings (normalised glyphs (N, 28, 28) of `classes`) show the
    hand writes at, against the model's stroke glyphs of them (stroke_glyphs.measured_width)."""
    return replace(style, proportions=with_width(style.proportions, measured_width(model, glyphs, classes, style)))


def check_text(text: str | None) -> str:
    """A text to write, its line ends made "\n"; None (what an API call with no text sends),
    a text with nothing to draw in it and one of more than MAX_TEXT_LENGTH characters are refused."""
    if text is None:
        raise NoTextError("Type some text to write.")
    if not isinstance(text, str):
        raise NoTextError(f"The text to write must be text, not {type(text).__name__} {shown(text)}.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_TEXT_LENGTH:
        raise TextTooLongError(f"The text has {len(text):,} characters; at most {MAX_TEXT_LENGTH} are written at once.")
    if not any(c in CHARSET or c in PUNCTUATION for c in text):
        raise NoTextError("Type some text to write: letters (A-Z, a-z), digits (0-9) or punctuation.")
    return text


def check_inputs(text: str | None, randomness, seed) -> tuple[str, float, int]:
    """What a page is written from, checked once where the library is entered (`write`,
    `write_svg`, `write_print`; `morph` and `glyphs_for` check their own words the same way):
    the text (`check_text`), the randomness (0 to 1) and the seed (a whole number from 0 to
    2^63-1), in that order -> the text with its line ends made "\n", the randomness as a float,
    the seed as an int. The layers below (`style.draw_glyphs`, `stroke_glyphs.draw_stroke_glyphs`,
    `style.style_latents`) take them as checked."""
    return check_text(text), check_randomness(randomness), check_seed(seed)


def write(model: GlyphVAE, text: str, style: Style, randomness: float = 0.0, seed: int = 0, *,
          cap_height: int = 48, line_width: int = 1000) -> Page:
    """Lay out `text` in `style`: letters and digits drawn by the model, punctuation and symbols
    by rule in the style's pen. Characters outside printable ASCII become gaps and are listed
    in `page.unknown`. The same arguments give the same image, pixel for pixel; the page keeps
    the seed it was written with (`page.seed`, as `check_inputs` reads it)."""
    text, randomness, seed = check_inputs(text, randomness, seed)
    return written(model, text, style, randomness, seed, cap_height=cap_height, line_width=line_width)


def written(model: GlyphVAE, text: str, style: Style, randomness: float, seed: int, *, cap_height: int,
            line_width: int) -> Page:
    """`write` of inputs `check_inputs` has checked."""
    characters = "".join(c for c in text if c in CHARSET)
    weight, slant = style_pen(model, style)
    pen = (pen_width(weight), slant)  # letters, digits and punctuation in one pen
    glyphs = draw_stroke_glyphs(model, characters, style, randomness, seed, pen=pen[0])
    page = layout_text(text, glyphs, cap_height=cap_height, line_width=line_width, pen=pen, strokes=True,
                       proportions=style.proportions)
    return replace(page, seed=seed)


def glyphs_for(model: GlyphVAE, characters: str, style: Style, randomness: float = 0.0,
               seed: int = 0) -> tuple[str, np.ndarray]:
    """Each non-space character of `characters` drawn in `style` -> (those characters, glyphs)."""
    if characters is not None and not isinstance(characters, str):
        raise NoTextError(f"The characters to draw must be text, not {type(characters).__name__} {shown(characters)}.")
    characters = "".join(c for c in (characters or "") if not c.isspace())
    if not characters:
        raise NoTextError("Give at least one character to draw (0-9, A-Z, a-z).")
    if len(characters) > MAX_TEXT_LENGTH:
        raise TextTooLongError(f"{len(characters):,} characters asked for; at most {MAX_TEXT_LENGTH} at once.")
    check_characters(characters)
    randomness, seed = check_randomness(randomness), check_seed(seed)
    return characters, draw_glyphs(model, characters, style, randomness, seed)


SVG_KINDS = ("outline", "single_line")
PRINT_SCALE = 2.48  # the default 1000 px line as the width of an A4 page at 300 dpi (2,480 px)


def page_svg(page: Page, kind: str = "outline") -> str:
    """A written page as SVG: "outline" (the strokes' round-pen outlines, filled) or "single_line"
    (the strokes themselves, for pen plotters); one path per glyph, a group per line, in mm."""
    from .stroke_glyphs import svg_page

    if kind not in SVG_KINDS:
        raise SettingError(f"The kind of SVG must be one of {', '.join(SVG_KINDS)}, not {shown(kind)}.")
    return svg_page(page, kind)


def page_print(page: Page, scale: float = PRINT_SCALE) -> Image.Image:
    """A written page drawn from its strokes at print resolution (300 dpi when the line is an A4 page wide)."""
    from .stroke_glyphs import render_page

    image = render_page(page, scale)
    image.info["dpi"] = (300, 300)
    return image


def write_svg(model: GlyphVAE, text: str, style: Style, randomness: float = 0.0, seed: int = 0, *,
              kind: str = "outline", cap_height: int = 48, line_width: int = 1000) -> tuple[Page, str]:
    """The page `write` lays out, as SVG (`page_svg`)."""
    if kind not in SVG_KINDS:
        raise SettingError(f"The kind of SVG must be one of {', '.join(SVG_KINDS)}, not {shown(kind)}.")
    page = write(model, text, style, randomness, seed, cap_height=cap_height, line_width=line_width)
    return page, page_svg(page, kind)


def write_print(model: GlyphVAE, text: str, style: Style, randomness: float = 0.0, seed: int = 0, *,
                cap_height: int = 48, line_width: int = 1000, scale: float = PRINT_SCALE) -> Image.Image:
    """The page `write` lays out, at print resolution (`page_print`)."""
    page = write(model, text, style, randomness, seed, cap_height=cap_height, line_width=line_width)
    return page_print(page, scale)


MORPH_STEPS = (2, 24)  # frames from one style to the other, both included
MAX_MORPH_WORD = 24  # characters: one line of the morph's page
MORPH_CAP_HEIGHT = 40  # px: a 24-character word fits the 1000 px line in most hands


def morph_weights(steps) -> list[float]:
    """The mixing weights of a morph's frames: 0 to 1 in `steps` even steps, the ends exact."""
    steps = check_whole_number(steps, "The number of morph steps", *MORPH_STEPS)
    return [k / (steps - 1) for k in range(steps)]


def check_morph_word(word) -> str:
    if word is not None and not isinstance(word, str):
        raise NoTextError(f"The word to morph must be text, not {type(word).__name__} {shown(word)}.")
    word = (word or "").strip()
    if not word:
        raise NoTextError("Type a word to morph: letters (A-Z, a-z) or digits (0-9).")
    if "\n" in word or "\r" in word:
        raise SettingError("The morph writes one line: type a word or two, without new lines.")
    if len(word) > MAX_MORPH_WORD:
        raise TextTooLongError(f"The word to morph has {len(word):,} characters; at most {MAX_MORPH_WORD}.")
    check_characters(word.replace(" ", ""))
    return word


def morph(model: GlyphVAE, word: str, style_a: Style, style_b: Style, steps: int = 8, randomness: float = 0.0,
          seed: int = 0) -> list[Image.Image]:
    """`word` written in `steps` styles from `style_a` to `style_b` (mix_styles at weights 0 to 1):
    one page image per step, all the same size (white paper added to the right and below the
    smaller ones), the word on the same baseline in each. Every frame draws its glyphs from
    the same seeded noise, so with randomness > 0 they still change only with the style."""
    word = check_morph_word(word)
    weights = morph_weights(steps)
    randomness, seed = check_randomness(randomness), check_seed(seed)
    pages = [written(model, word, mix_styles(style_a, style_b, w), randomness, seed,
                     cap_height=MORPH_CAP_HEIGHT, line_width=1000).image for w in weights]
    width, height = max(p.width for p in pages), max(p.height for p in pages)
    frames = []
    for page in pages:
        frame = Image.new("RGB", (width, height), "white")
        frame.paste(page, (0, 0))
        frames.append(frame)
    return frames
