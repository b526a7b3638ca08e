"""The "Write like me" tab: a few drawn characters give a style; any text is written in it."""
import math

import numpy as np
import gradio as gr
from gradio.data_classes import FileData

from ..errors import NoTextError, check_randomness, check_seed, check_whole_number
from ..hub import bundled_path
from ..model import CHARSET, GlyphVAE
from ..render import glyph_image
from ..serving import OutputFiles
from ..style import Style, prior_style, slider_offset, slider_positions
from ..writing import FULL_CHARACTER_SET, MAX_STYLE_DRAWINGS, MAX_TEXT_LENGTH, glyphs_for, style_from_drawings, write
from . import notes
from .common import file_data, markdown_text, user_errors, warn
from .inputs import client_images
from .pad import drawing_pad, image_value
from .styles import StyleFiles

STYLE_PADS = 6
STYLE_PADS_PER_ROW = 3
STYLE_CANVAS = 200  # px: big enough to draw a character with the mouse, three to a row beside the page
STYLE_BRUSH = 8  # px radius: the Read tab's pen, scaled to the smaller canvas
DEFAULT_TEXT = "The quick brown fox\njumps over the lazy dog"
LINE_WIDTHS = (400, 1600)  # px
CAP_HEIGHTS = (24, 96)  # px
EXAMPLE_STYLES = ("narrow", "wide", "light", "bold", "italic")
EXAMPLE_ORDER = "AGK47"  # the characters of each example style, in the pads' order
AS_READ = "✓"  # a pad's correction left alone: the character is the one read
FIX_CHOICES = [AS_READ, *CHARSET]  # the 62 characters a drawing can be
GAPS = "Left as gaps (not printable ASCII): "
NO_STYLE_NOTE = ("No drawings yet, so this is the **average style**. Draw a few characters "
                 "(any of 0-9, A-Z, a-z) and the text is rewritten in your hand.")


def gaps_note(unknown) -> str:
    """The warning for characters left as gaps (the first 20 of them)."""
    return GAPS + " ".join(repr(c) for c in unknown[:20])


def gaps_shown(messages: list[str]) -> str:
    """The Write tab's note under the text: the gaps of the page on show, or nothing."""
    gaps = next((m for m in messages if m.startswith(GAPS)), "")
    return "⚠️ " + GAPS + markdown_text(gaps[len(GAPS):]) if gaps else ""  # a '*' or a '<' shows as itself


def example_drawings(name: str) -> list[str]:
    """The bundled drawings of an example style, in the order they go into the pads."""
    folder = bundled_path("style_examples", name)
    return [str(folder / f"{char}.png") for char in EXAMPLE_ORDER if (folder / f"{char}.png").is_file()]


class WriteTab:
    """Handlers of the tab (plain functions of the model) and its part of the page.

    The sliders show where the style sits on each style axis. A user's move of a slider
    is an offset from the style's own place, and it is kept when the style changes (a
    new drawing, an example, clearing): only "Reset to my style" takes it away."""

    def __init__(self, model: GlyphVAE, files: OutputFiles):
        self.model, self.files, self.axes = model, files, list(model.style_axes)

    # -- style ---------------------------------------------------------------------------
    def style_from_inputs(self, files, pads, fixes=()) -> tuple[Style, list[str], str]:
        """Uploaded files and pads -> the style, what each pad was read as, and a note. The pads
        are ruled (read with their place on the lines); `fixes[i]`: the character pad i is, as
        the user says (AS_READ or empty: as read)."""
        files, pads = client_images(files, "Uploaded drawing"), client_images(list(pads), "Character")
        fixes = [f if f and f != AS_READ else None for f in list(fixes)[:len(pads)]]
        fixes += [None] * (len(pads) - len(fixes))
        style, readings = style_from_drawings(self.model, files + pads, ruled=[False] * len(files) + [True] * len(pads),
                                              characters=[None] * len(files) + fixes)
        pad_readings = readings[len(files):]
        reads = [("*empty*" if r is None else f"read as **{r.character}** ({r.probabilities.max():.0%})"
                  + (f", it is **{f}**" if f and f != r.character else "")) for r, f in zip(pad_readings, fixes)]
        if style.count == 0:
            note = NO_STYLE_NOTE
        else:
            seen = " ".join(style.characters)
            note = f"Style from **{style.count}** drawing{'s' if style.count > 1 else ''} (read as {seen})."
        return style, reads, note

    def prior(self) -> Style:
        return prior_style(self.model.config.latent_dim)

    def start_positions(self, style: Style | None) -> list[float]:
        """Where the sliders stand for a style left as it is: its place on each axis (beyond an
        axis's range too: the slider's range then follows it, see `sliders_at`)."""
        style = style if style is not None else self.prior()
        return [round(p, 2) for p in slider_positions(style, self.axes)]

    def sliders_at(self, values, starts) -> list[dict]:
        """Slider updates: each at its value, its range the axis's own or, for a style whose
        own place lies beyond it, stretched to that place (so the slider shows the style the
        page is written in); a user's move stays within the range."""
        updates = []
        for axis, value, start in zip(self.axes, values, starts):
            low, high = min(axis.low, math.floor(start * 20) / 20), max(axis.high, math.ceil(start * 20) / 20)
            updates.append(gr.update(value=round(float(np.clip(value, low, high)), 2), minimum=low, maximum=high))
        return updates

    def carried_sliders(self, old: Style | None, new: Style, sliders) -> list[dict]:
        """Slider updates for `new` that keep the user's moves made on `old`."""
        before, after = self.start_positions(old), self.start_positions(new)
        moved = [float(s) - b if s is not None else 0.0 for s, b in zip(sliders, before)]
        return self.sliders_at([a + m for a, m in zip(after, moved)], after)

    @user_errors
    def update_style(self, files, *rest):
        """Any pad, a pad's correction or the uploads changed -> style, note, each pad's reading,
        slider positions. `rest`: the pads, their corrections, then the style before and the
        sliders as they stand."""
        pads, fixes = rest[:STYLE_PADS], rest[STYLE_PADS:2 * STYLE_PADS]
        old, sliders = rest[2 * STYLE_PADS], rest[2 * STYLE_PADS + 1:]
        style, reads, note = self.style_from_inputs(files, pads, fixes)
        return (style, note, *reads, *self.carried_sliders(old, style, sliders))

    def pad_drawn(self, number: int):
        """Pad `number` (0-based) drawn, undone or cleared: its correction was for the drawing
        before, so it goes back to "as read"; then the style is updated."""
        def handler(files, *rest):
            rest = list(rest)
            rest[STYLE_PADS + number] = AS_READ
            return (AS_READ, *self.update_style(files, *rest))
        return handler

    @user_errors
    def load_example(self, name: str, old, *sliders):
        """An example style replaces the drawings: its five drawings go into the pads (the
        rest are emptied, the uploads too); the text and the slider moves stay."""
        paths = example_drawings(name)
        pads = [image_value(p) for p in paths] + [""] * (STYLE_PADS - len(paths))
        style, reads, note = self.style_from_inputs([], pads)
        note = note.replace("Style from", f"The **{name}** example: style from", 1)
        return (*pads, *[AS_READ] * STYLE_PADS, None, style, note, *reads, *self.carried_sliders(old, style, sliders))

    def clear_drawings(self, old, *sliders):
        """Every pad and the uploads emptied: the average style, the slider moves kept."""
        style = self.prior()
        return (*[""] * STYLE_PADS, *[AS_READ] * STYLE_PADS, None, style, NO_STYLE_NOTE, *["*empty*"] * STYLE_PADS,
                *self.carried_sliders(old, style, sliders))

    def reset_sliders(self, style):
        start = self.start_positions(style)
        return self.sliders_at(start, start)

    # -- the page ----------------------------------------------------------------------
    def page(self, style: Style, text, randomness, seed, *, line_width=1000, size=48, toast: bool = True) -> str:
        """-> path of the page's PNG. Characters outside printable ASCII become gaps and a warning
        (a toast unless `toast` is False, and a note the PNG carries with the call's others)."""
        if text is None:
            raise NoTextError("Type some text to write.")
        randomness, seed = check_randomness(randomness), check_seed(seed)
        line_width = check_whole_number(line_width, "The line width", *LINE_WIDTHS)
        size = check_whole_number(size, "The capital height", *CAP_HEIGHTS)
        page = write(self.model, str(text), style, randomness, seed, cap_height=size, line_width=line_width)
        if page.unknown:
            (warn if toast else notes.record)(gaps_note(page.unknown))
        return self.files.save(notes.png_bytes(page.image, notes.current()), f"glyphvae_{seed}.png")

    def styled(self, style: Style | None, sliders) -> Style:
        """The style as the page draws it: moved as far as the sliders were moved from its own place."""
        style = style if style is not None else self.prior()
        if not self.axes:
            return style
        return style.shifted(slider_offset(self.axes, self.start_positions(style), list(sliders)))

    @user_errors
    def write_ui(self, style, text, randomness, seed, line_width, size, *sliders) -> str:
        """The tab's page, in the style as the sliders have moved it. Gaps are said once, in the
        note under the text (`gaps_shown`), not in a toast at every rewrite."""
        return self.page(self.styled(style, sliders), text, randomness, seed, line_width=line_width, size=size,
                         toast=False)

    # -- the API -------------------------------------------------------------------------
    @user_errors
    def write(self, drawings: list[FileData], text: str, randomness: float, seed: int) -> FileData:
        """Write a text in the handwriting style of a few drawn characters, as one PNG.

        Each drawing is an image of one character (0-9, A-Z or a-z) in the writer's hand;
        their shared style (width, stroke weight, slant...) is inferred and the text is
        laid out in it like handwriting: a shared baseline, small lower case, descenders,
        lines wrapped at 1000 px. With no drawings the average style is used.

        Args:
            drawings: 0 to 16 image files, one handwritten character each.
            text: up to 500 characters; 0-9, A-Z, a-z, printable ASCII punctuation and symbols, spaces and new lines are written, other characters are left as gaps (with a warning).
            randomness: 0 draws every letter at the style's mean, 1 samples each one from it; between 0 and 1.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same PNG, byte for byte.

        Returns:
            The written text as a PNG image.
        """
        style, _, _ = self.style_from_inputs(drawings, [])
        return file_data(self.page(style, text, randomness, seed))

    @user_errors
    def glyphs(self, drawings: list[FileData], characters: str, randomness: float, seed: int) -> list[dict]:
        """Draw single characters in the handwriting style of a few drawn characters.

        Args:
            drawings: 0 to 16 image files, one handwritten character each (none: the average style).
            characters: the characters to draw, each of 0-9, A-Z, a-z (spaces are skipped; others are an error).
            randomness: 0 draws every character at the style's mean, 1 samples each one from it; between 0 and 1.
            seed: a whole number from 0 to 2^63-1.

        Returns:
            One 112x112 PNG per character, in order: [{"image": the PNG, "caption": the character}].
        """
        style, _, _ = self.style_from_inputs(drawings, [])
        # The characters, randomness and seed are checked where the library is entered (glyphs_for).
        chars, glyphs = glyphs_for(self.model, None if characters is None else str(characters), style, randomness,
                                   seed)
        return [{"image": file_data(self.files.png(glyph_image(g, 112, smooth=True), f"glyph_{ord(c)}")),
                 "caption": c} for c, g in zip(chars, glyphs)]

    # -- layout ----------------------------------------------------------------------------
    def render(self, demo: gr.Blocks) -> None:
        gr.Markdown("Draw a few characters in your own hand (any of 0-9, A-Z, a-z, one per box; empty boxes "
                    "are ignored), or pick a style to try. GlyphVAE infers the style and writes any text in it.")
        style_state = gr.State()
        # On a phone the columns stack; the CSS (glyph_vae.ui.CSS) then orders their parts so that
        # the written page comes right under the pads, and the rest of the style tools after it.
        with gr.Row(equal_height=False, elem_id="write-layout"):
            with gr.Column(scale=5, min_width=340, elem_id="write-style-column"):
                pads, reads, fixes = [], [], []
                for row in range(0, STYLE_PADS, STYLE_PADS_PER_ROW):
                    with gr.Row(equal_height=False, elem_classes=["style-pad-row"]):
                        for i in range(row + 1, row + STYLE_PADS_PER_ROW + 1):
                            with gr.Column(min_width=100):  # three to a row on a phone too
                                pads.append(drawing_pad(label=f"Character {i}", canvas=STYLE_CANVAS,
                                                        brush=STYLE_BRUSH, elem_id=f"style-pad-{i}",
                                                        extra_classes=("style-pad",), ruled=True))
                                with gr.Row(equal_height=True, elem_classes=["style-read-row"]):
                                    reads.append(gr.Markdown("*empty*", elem_id=f"style-read-{i}"))
                                    # Misread? The user says which character it is (type to find it).
                                    fixes.append(gr.Dropdown(FIX_CHOICES, value=AS_READ, label=f"Character {i} is",
                                                             show_label=False, container=False, filterable=True,
                                                             min_width=64, elem_id=f"style-fix-{i}",
                                                             elem_classes=["style-fix"]))
                style_note = gr.Markdown(NO_STYLE_NOTE, elem_id="style-note")
                with gr.Column(elem_id="write-style-try"):
                    with gr.Row():
                        clear = gr.Button("Clear all drawings", size="sm", elem_id="style-clear")
                    gr.Markdown("**Styles to try** (each replaces the drawings with five of its own):")
                    with gr.Row(elem_id="style-examples"):
                        example_buttons = [gr.Button(name.capitalize(), size="sm", min_width=60,
                                                     elem_id=f"style-example-{name}") for name in EXAMPLE_STYLES]
                with gr.Column(elem_id="write-style-keep"):
                    with gr.Accordion("Or upload pictures of your writing (one character each)", open=False):
                        uploads = gr.File(label=f"Style drawings (up to {MAX_STYLE_DRAWINGS})",
                                          file_count="multiple", file_types=["image"], type="filepath",
                                          elem_id="style-files")
                    style_files = StyleFiles(self, self.files)
                    style_files.render()
            with gr.Column(scale=6, min_width=340, elem_id="write-page-column"):
                page = gr.Image(label="In your hand", type="filepath", format="png",
                                buttons=["download", "fullscreen"], elem_id="write-output")
                text = gr.Textbox(DEFAULT_TEXT, lines=3, max_length=MAX_TEXT_LENGTH, label="Text to write",
                                  info=f"0-9, A-Z, a-z, spaces and new lines; up to {MAX_TEXT_LENGTH} characters",
                                  elem_id="write-text")
                gaps = gr.Markdown("", elem_id="write-gaps")
                with gr.Row():
                    write_go = gr.Button("Write it", variant="primary", elem_id="write-go")
                    full_set = gr.Button("Full character set", elem_id="write-full-set")
                with gr.Row():
                    randomness = gr.Slider(0, 1, value=0.3, step=0.05, label="Randomness",
                                           info="0: every letter at your style's mean; 1: each one sampled from it",
                                           elem_id="write-randomness")
                    seed = gr.Number(value=0, label="Seed", info="a whole number: the same seed, the same page",
                                     elem_id="write-seed")
                with gr.Accordion("Page", open=False):
                    line_width = gr.Slider(*LINE_WIDTHS, value=1000, step=50, label="Line width (px)",
                                           elem_id="write-width")
                    size = gr.Slider(*CAP_HEIGHTS, value=48, step=4, label="Capital height (px)", elem_id="write-size")
                with gr.Accordion("Fine-tune the style", open=bool(self.axes)):
                    if not self.axes:
                        gr.Markdown("This model has no style axes (style_axes.json), so there are no sliders.")
                    sliders = [gr.Slider(update["minimum"], update["maximum"], value=update["value"], step=0.05,
                                         label=axis.label, elem_id=f"style-axis-{k}")
                               for k, (axis, update) in enumerate(zip(self.axes, self.reset_sliders(None)))]
                    reset = gr.Button("Reset to my style", size="sm", elem_id="style-reset")
                page_inputs = [style_state, text, randomness, seed, line_width, size, *sliders]
                # The page and the style file "Save my style" downloads are rewritten together.
                rewrite = (style_files.page_and_file, [*page_inputs[:6], style_files.name, *sliders],
                           [page, style_files.save_button, gaps])
                style_files.downloads.render(page_inputs[:6], sliders)

        style_outputs = [style_state, style_note, *reads, *sliders]
        quiet = dict(api_visibility="private")
        style_inputs = [uploads, *pads, *fixes, style_state, *sliders]
        for number, (pad, fix) in enumerate(zip(pads, fixes)):
            # The user drew, undid or cleared; values the server sets (an example, clearing) do not fire it.
            pad.input(self.pad_drawn(number), style_inputs, [fix, *style_outputs],
                      trigger_mode="always_last", show_progress="hidden", **quiet).then(
                *rewrite, show_progress="minimal", **quiet)
            # The user corrected what the pad was read as.
            fix.input(self.update_style, style_inputs, style_outputs, trigger_mode="always_last",
                      show_progress="hidden", **quiet).then(*rewrite, show_progress="minimal", **quiet)
        # The user's own uploads and removals; values the server sets do not re-trigger these.
        for event in (uploads.upload, uploads.clear, uploads.delete):
            event(self.update_style, style_inputs, style_outputs, **quiet).then(
                *rewrite, **quiet)
        for name, button in zip(EXAMPLE_STYLES, example_buttons):
            button.click(self.load_example, [gr.State(name), style_state, *sliders],
                         [*pads, *fixes, uploads, *style_outputs], **quiet).then(*rewrite, **quiet)
        clear.click(self.clear_drawings, [style_state, *sliders], [*pads, *fixes, uploads, *style_outputs],
                    **quiet).then(*rewrite, **quiet)
        # A number typed in a box applies on Enter and on leaving the box: the seed box's own events,
        # and a slider's box's release (which glyph_vae.ui's NUMBER_BOX_JS also fires on Enter).
        for trigger in (write_go.click, text.submit, randomness.release, seed.submit, seed.blur, line_width.release,
                        size.release, *[s.release for s in sliders]):
            trigger(*rewrite, **quiet)
        full_set.click(lambda: FULL_CHARACTER_SET, None, text, queue=False, **quiet).then(
            *rewrite, **quiet)
        reset.click(self.reset_sliders, style_state, sliders, queue=False, **quiet).then(
            *rewrite, **quiet)
        demo.load(*rewrite, **quiet)
        style_files.wire(style_state, sliders, pads, uploads, style_note, reads,
                         lambda event: event.then(*rewrite, **quiet))
        gr.api(self.glyphs, api_name="glyphs")
        gr.api(self.write, api_name="write")
