"""Write like me's downloads: the hand as a font (TTF, WOFF2) with a live preview, and the
written page as SVG outlines, as single-line SVG for pen plotters, and as a print PNG.

A part of the Write tab (drawn in it, given the tab's style and page settings as inputs),
in a module of its own, with its two API endpoints, /font and /write_svg. Its handlers are
plain functions of the model, the output files and the style sliders."""
import base64
import hashlib
import io
import json
import re

import gradio as gr
from gradio.data_classes import FileData

from ..errors import SettingError, shown
from ..export.font import DEFAULT_NAME, MAX_ALTERNATES, MAX_NAME_LENGTH, build_font
from ..models.model import GlyphVAE
from ..serving import OutputFiles
from ..pipelines.style import Sliders, Style
from ..pipelines.writing import SVG_KINDS, page_print, page_svg, write, write_svg
from . import notes
from .common import as_text, drawings_style, file_data, style_or_average, user_errors, warn

PREVIEW_TEXT = "Type here to try your font: The quick brown fox jumps over the lazy dog. 0123456789 ?!&@"

PREVIEW_TEMPLATE = """
<div class="font-status" role="status">Make your font to see it here.</div>
<div class="font-preview" contenteditable="true" spellcheck="false" aria-label="Font preview: type to try the font">
PREVIEW_TEXT
</div>
""".replace("PREVIEW_TEXT", PREVIEW_TEXT)

PREVIEW_CSS = """
.font-status { font-size: var(--text-sm); color: var(--body-text-color-subdued); margin-bottom: 6px; }
.font-preview { min-height: 90px; padding: 10px 12px; font-size: 34px; line-height: 1.35; color: #161b30;
                border: 1px solid var(--border-color-primary); border-radius: var(--radius-md); background: #fff; }
"""

# The preview's value is {"family", "woff2" (base64), "glyphs"}: the browser loads it with the
# FontFace API and sets the box in it, so the user sees the font as a font.
PREVIEW_JS = """
const box = element.querySelector('.font-preview');
const status = element.querySelector('.font-status');
watch('value', async () => {
  if (!props.value) return;
  const font = JSON.parse(props.value);
  const face = new FontFace(font.family, `url(data:font/woff2;base64,${font.woff2})`);
  try {
    await face.load();
    document.fonts.add(face);
    box.style.fontFamily = `"${font.family}", cursive`;
    status.textContent = `Your font, ${font.name}: ${font.glyphs} glyphs. Type in the box to try it.`;
  } catch (error) {
    status.textContent = `The browser could not load the font: ${error}`;
  }
});
"""


class Downloads:
    """Handlers of the downloads (plain functions of the model) and their part of the Write tab."""

    def __init__(self, model: GlyphVAE, files: OutputFiles, sliders: Sliders):
        self.model, self.files, self.sliders = model, files, sliders

    def font_files(self, style: Style, name, alternates, randomness, seed) -> tuple[str, str, object]:
        """The font of a style -> (TTF path, WOFF2 path, the FontFiles)."""
        font = build_font(self.model, style, name=name, alternates=alternates,
                          randomness=randomness, seed=seed)
        stem = re.sub(r"[^A-Za-z0-9]+", "-", font.family).strip("-") or "GlyphVAE-Hand"
        return self.files.save(font.ttf, f"{stem}.ttf"), self.files.save(font.woff2, f"{stem}.woff2"), font

    def page_files(self, style: Style, text, randomness, seed, line_width, size) -> tuple[str, str, str]:
        """The page as SVG outlines, single-line SVG and a print PNG -> three paths."""
        # The page is drawn and laid out once; its three files are drawn from the same strokes.
        page = write(self.model, as_text(text), style, randomness, seed, cap_height=int(size),
                     line_width=int(line_width))
        seed = page.seed
        outline_svg, single_svg, printed = page_svg(page, "outline"), page_svg(page, "single_line"), page_print(page)
        buffer = io.BytesIO()
        printed.save(buffer, format="PNG", dpi=(300, 300), compress_level=6)
        return (self.files.save(outline_svg.encode(), f"glyphvae_page_{seed}.svg"),
                self.files.save(single_svg.encode(), f"glyphvae_single_line_{seed}.svg"),
                self.files.save(buffer.getvalue(), f"glyphvae_page_{seed}_300dpi.png"))

    @user_errors
    def make(self, style, text, randomness, seed, line_width, size, name, alternates, *sliders,
             progress=gr.Progress()):
        """The tab's button: every download for the style as the page draws it (sliders included)."""
        style = self.sliders.moved(style_or_average(style, self.model), sliders)
        progress(0.05, desc="Drawing every character and its alternates as pen strokes")
        ttf, woff2, font = self.font_files(style, name, alternates, randomness, seed)
        progress(0.7, desc="Drawing the page's files")
        svg, single, printed = self.page_files(style, text, randomness, seed, line_width, size)
        # A family of its own per build: the browser caches faces by name.
        preview = json.dumps({"family": f"{font.family} {hashlib.sha256(font.ttf).hexdigest()[:8]}",
                              "name": font.family, "glyphs": font.glyph_count,
                              "woff2": base64.b64encode(font.woff2).decode()})
        ready = dict(interactive=True)
        return (gr.update(value=ttf, **ready), gr.update(value=woff2, **ready), gr.update(value=svg, **ready),
                gr.update(value=single, **ready), gr.update(value=printed, **ready), preview)

    # -- the API -------------------------------------------------------------------------
    @user_errors
    def font(self, drawings: list[FileData], name: str, alternates: int, randomness: float,
             seed: int) -> tuple[FileData, FileData]:
        """Make an installable font of the handwriting style of a few drawn characters.

        All of 0-9, A-Z and a-z are drawn in the style, each with `alternates` variants that the
        font's contextual alternates (calt) cycle through, so repeated letters differ as in real
        handwriting; the space and printable ASCII punctuation are drawn by rule in the style's
        stroke weight and slant.

        Args:
            drawings: 0 to 16 image files, one handwritten character each (none: the average style).
            name: the font's family name as font menus show it (1 to 40 printable characters; empty: "GlyphVAE Hand").
            alternates: variants of every letter and digit, 1 to 5 (1: a plain font).
            randomness: how far the alternates stray from the style, 0 to 1 (below 0.5 they still differ a little).
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same files, byte for byte.

        Returns:
            The font as TrueType (.ttf) and as WOFF2 (.woff2, for the web).
        """
        style = drawings_style(self.model, drawings)
        ttf, woff2, _ = self.font_files(style, name, alternates, randomness, seed)
        return file_data(ttf), file_data(woff2)

    @user_errors
    def write_svg(self, drawings: list[FileData], text: str, randomness: float, seed: int,
                  kind: str) -> FileData:
        """Write a text in the handwriting style of a few drawn characters, as an SVG.

        The page /write makes as a PNG, as vectors that print sharp at any size, sized in millimetres
        (a 1000 px line is 210 mm): "outline" fills each glyph's pen strokes expanded by a round pen;
        "single_line" gives each glyph's pen strokes themselves, one subpath per pen-down, no fill and
        no background, for pen plotters and engravers.

        Args:
            drawings: 0 to 16 image files, one handwritten character each (none: the average style).
            text: up to 500 characters; 0-9, A-Z, a-z, printable ASCII punctuation and symbols, spaces and new lines are written, others are left as gaps.
            randomness: 0 draws every letter at the style's mean, 1 samples each one from it; between 0 and 1.
            seed: a whole number from 0 to 2^63-1.
            kind: "outline" (filled shapes) or "single_line" (pen strokes, for plotters).

        Returns:
            One SVG file: a path per glyph, a group per line.
        """
        style = drawings_style(self.model, drawings)
        return file_data(self.svg_file(style, text, randomness, seed, kind))

    def svg_file(self, style: Style, text, randomness, seed, kind: str) -> str:
        """The text written in a style as one SVG of `kind` -> its path (/write_svg and
        /write_svg_with_style both answer with it)."""
        if kind not in SVG_KINDS:
            raise SettingError(f"The kind of SVG must be one of {', '.join(map(repr, SVG_KINDS))}, not {shown(kind)}.")
        page, svg = write_svg(self.model, as_text(text), style, randomness, seed, kind=kind)
        if page.unknown:
            warn(notes.gaps_note(page.unknown))
        return self.files.save(notes.svg_with_notes(svg, notes.current()).encode(),
                               f"glyphvae_{kind}_{page.seed}.svg")

    # -- layout ----------------------------------------------------------------------------
    def render(self, page_settings: list, sliders: list) -> None:
        """Inside the Write tab; `page_settings`: its style state, text, randomness, seed, line width
        and capital height; `sliders`: its style sliders (the downloads are of the style as they draw it)."""
        with gr.Accordion("Your hand as a font, and the page as vectors", open=True, elem_id="downloads"):
            with gr.Row():
                name = gr.Textbox(DEFAULT_NAME, label="Font name", max_length=MAX_NAME_LENGTH,
                                  info="as font menus will show it", elem_id="font-name")
                alternates = gr.Slider(1, MAX_ALTERNATES, value=3, step=1, label="Alternates",
                                       info="variants of each letter, cycled so repeated letters differ",
                                       elem_id="font-alternates")
            go = gr.Button("Make my font and downloads", variant="secondary", elem_id="downloads-go")
            with gr.Row():
                ttf = gr.DownloadButton("Font (TTF)", interactive=False, size="sm", elem_id="download-ttf")
                woff2 = gr.DownloadButton("Web font (WOFF2)", interactive=False, size="sm", elem_id="download-woff2")
                svg = gr.DownloadButton("Page (SVG)", interactive=False, size="sm", elem_id="download-svg")
                single = gr.DownloadButton("Plotter lines (SVG)", interactive=False, size="sm",
                                           elem_id="download-single-line")
                printed = gr.DownloadButton("Print (PNG, 300 dpi)", interactive=False, size="sm",
                                            elem_id="download-print")
            preview = gr.HTML(value="", html_template=PREVIEW_TEMPLATE, css_template=PREVIEW_CSS,
                              js_on_load=PREVIEW_JS, elem_id="font-preview")
        go.click(self.make, [*page_settings, name, alternates, *sliders], [ttf, woff2, svg, single, printed, preview],
                 api_visibility="private")
        gr.api(self.font, api_name="font")
        gr.api(self.write_svg, api_name="write_svg")
