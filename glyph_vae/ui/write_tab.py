"""The "Write like me" tab: a few drawn characters give a style; any text is written in it.

`WriteTab` holds the tab's handlers (plain functions of the model, testable without a
browser) and builds the tab: its components are gathered in one `WriteControls`, which the
events read from (dict inputs) and write to (dict outputs); `WriteControls.put` is the one
way a style is put in the tab. Its parts in modules of their own, "Your style"
(`styles.StyleFiles`) and the downloads (`downloads.Downloads`), are given the model, the
output files, the style sliders' arithmetic (`glyph_vae.pipelines.style.Sliders`) and a page writer,
never the tab; they import nothing from this module.
"""
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import gradio as gr
from gradio.data_classes import FileData

from ..errors import check_whole_number
from ..models.hub import bundled_path
from ..models.model import CHARSET, GlyphVAE
from ..glyphs.render import glyph_image
from ..serving import OutputFiles
from ..pipelines.style import SliderSetting, Sliders, Style, prior_style
from ..pipelines.writing import (FULL_CHARACTER_SET, MAX_STYLE_DRAWINGS, MAX_TEXT_LENGTH, glyphs_for,
                                 style_from_drawings, write)
from . import notes
from .common import as_text, drawings_style, file_data, markdown_text, style_or_average, user_errors, warn
from .downloads import Downloads
from .inputs import client_images
from .notes import GAPS, gaps_note
from .pad import drawing_pad, image_value
from .styles import NewStyle, StyleFileControls, StyleFiles

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
EMPTY_READ = "*empty*"  # what an empty pad was read as
NO_STYLE_NOTE = ("No drawings yet, so this is the **average style**. Draw a few characters "
                 "(any of 0-9, A-Z, a-z) and the text is rewritten in your hand.")


def gaps_shown(messages: list[str]) -> str:
    """The Write tab's note under the text: the gaps of the page on show, or nothing."""
    gaps = next((m for m in messages if m.startswith(GAPS)), "")
    return "⚠️ " + GAPS + markdown_text(gaps[len(GAPS):]) if gaps else ""  # a '*' or a '<' shows as itself


def example_drawings(name: str) -> list[str]:
    """The bundled drawings of an example style, in the order they go into the pads."""
    folder = bundled_path("style_examples", name)
    return [str(folder / f"{char}.png") for char in EXAMPLE_ORDER if (folder / f"{char}.png").is_file()]


def slider_updates(settings: list[SliderSetting]) -> list[dict]:
    """The sliders' settings as updates of the tab's sliders (value and range)."""
    return [gr.update(value=s.value, minimum=s.low, maximum=s.high) for s in settings]


def written_page(model: GlyphVAE, files: OutputFiles, style: Style, text, randomness, seed, *, line_width=1000,
                 size=48, toast: bool = True) -> str:
    """A text written in a style -> path of the page's PNG. Characters outside printable ASCII
    become gaps and a warning (a toast unless `toast` is False, and a note the PNG carries
    with the call's others). The text, randomness and seed are checked where the library is
    entered (writing.write); the page's size is the tab's own."""
    line_width = check_whole_number(line_width, "The line width", *LINE_WIDTHS)
    size = check_whole_number(size, "The capital height", *CAP_HEIGHTS)
    page = write(model, as_text(text), style, randomness, seed, cap_height=size, line_width=line_width)
    if page.unknown:
        (warn if toast else notes.record)(gaps_note(page.unknown))
    return files.save(notes.png_bytes(page.image, notes.current()), f"glyphvae_{page.seed}.png")


@dataclass(frozen=True)
class ShownStyle:
    """A style as the tab shows it: the style (the tab's style state), the note under the pads,
    what each pad was read as, and where the sliders stand."""

    style: Style
    note: str
    reads: list[str]
    sliders: list[SliderSetting]


@dataclass(frozen=True)
class WriteControls:
    """Every component of the Write tab that an event reads, sets or is fired by (`WriteTab.render` makes them)."""

    style: gr.State  # the style the drawings give (None until the first event: the average style)
    pads: list  # the ruled drawing pads (glyph_vae.ui.pad)
    reads: list[gr.Markdown]  # what each pad was read as
    fixes: list[gr.Dropdown]  # which character each pad is, as the user says (AS_READ: as read)
    note: gr.Markdown  # the style's note under the pads
    clear: gr.Button
    example_buttons: list[gr.Button]  # one per EXAMPLE_STYLES
    uploads: gr.File
    style_files: StyleFileControls
    page: gr.Image
    text: gr.Textbox
    gaps: gr.Markdown  # the characters of the page on show left as gaps
    write_go: gr.Button
    full_set: gr.Button
    randomness: gr.Slider
    seed: gr.Number
    line_width: gr.Slider
    size: gr.Slider
    sliders: list[gr.Slider]  # one per style axis
    reset: gr.Button

    @property
    def page_settings(self) -> list:
        """What the page is written from, besides the sliders: the style and the page's settings."""
        return [self.style, self.text, self.randomness, self.seed, self.line_width, self.size]

    @property
    def drawing_inputs(self) -> set:
        """What the style is read from: the uploads, the pads and their corrections (a dict input,
        see `drawn`), with the style before and the sliders (whose moves a new style keeps)."""
        return {self.uploads, *self.pads, *self.fixes, self.style, *self.sliders}

    def drawn(self, data: dict) -> tuple:
        """The values of `drawing_inputs` -> (uploads, pads, fixes, style before, sliders)."""
        return (data[self.uploads], [data[p] for p in self.pads], [data[f] for f in self.fixes], data[self.style],
                [data[s] for s in self.sliders])

    def put(self, shown: ShownStyle, *, drawings: Sequence[str] | None = None, fixes: bool = False) -> dict:
        """The outputs that put a style in the tab: the style, its note, what each pad was read
        as, the sliders; with `drawings`, the pads set to them and the uploads emptied (the
        style is no longer the uploads'); with `fixes`, every pad's correction back to "as
        read" (they were for the drawings before). Its components are `put_targets`."""
        out = {}
        if drawings is not None:
            out.update(zip(self.pads, drawings))
            if fixes:
                out.update((fix, AS_READ) for fix in self.fixes)
            out[self.uploads] = None
        out.update({self.style: shown.style, self.note: shown.note})
        out.update(zip(self.reads, shown.reads))
        out.update(zip(self.sliders, slider_updates(shown.sliders)))
        return out

    def put_targets(self, *, drawings: bool = False, fixes: bool = False) -> list:
        """The components `put` sets, as an event's outputs."""
        return [*(self.pads if drawings else []), *(self.fixes if drawings and fixes else []),
                *([self.uploads] if drawings else []), self.style, self.note, *self.reads, *self.sliders]


class WriteTab:
    """Handlers of the tab (plain functions of the model) and its part of the page.

    The sliders show where the style sits on each style axis. A user's move of a slider is
    an offset from the style's own place, and it is kept when the style changes (a new
    drawing, an example, clearing): only "Reset to my style" takes it away. The style state
    is None until the first event, which is the average style."""

    def __init__(self, model: GlyphVAE, files: OutputFiles):
        self.model, self.files, self.sliders = model, files, Sliders(model.style_axes)
        self.page = functools.partial(written_page, model, files)
        self.downloads = Downloads(model, files, self.sliders)
        self.style_files = StyleFiles(model, files, self.sliders, self.page, self.downloads)

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
        reads = [(EMPTY_READ if r is None else f"read as **{r.character}** ({r.probabilities.max():.0%})"
                  + (f", it is **{f}**" if f and f != r.character else "")) for r, f in zip(pad_readings, fixes)]
        if style.count == 0:
            note = NO_STYLE_NOTE
        else:
            seen = " ".join(style.characters)
            note = f"Style from **{style.count}** drawing{'s' if style.count > 1 else ''} (read as {seen})."
            if style.proportions is not None and style.proportions.worth_saying:
                note += f" Your proportions: {style.proportions.describe()}."
        return style, reads, note

    def prior(self) -> Style:
        return prior_style(self.model.config.latent_dim)

    def carried(self, old: Style | None, new: Style, sliders) -> list[SliderSetting]:
        """The sliders for `new` that keep the user's moves made on `old`."""
        return self.sliders.carried(style_or_average(old, self.model), new, sliders)

    @user_errors
    def update_style(self, files, pads, fixes, old, sliders) -> ShownStyle:
        """Any pad, a pad's correction or the uploads changed -> the style as the tab shows it.
        `old`, `sliders`: the style before and the sliders as they stand."""
        style, reads, note = self.style_from_inputs(files, pads, fixes)
        return ShownStyle(style, note, reads, self.carried(old, style, sliders))

    def pad_drawn(self, number: int, files, pads, fixes, old, sliders) -> ShownStyle:
        """Pad `number` (0-based) drawn, undone or cleared: its correction was for the drawing
        before, so it goes back to "as read" (the event sets it so); then the style is updated."""
        fixes = list(fixes)
        fixes[number] = AS_READ
        return self.update_style(files, pads, fixes, old, sliders)

    @user_errors
    def load_example(self, name: str, old, sliders) -> tuple[list[str], ShownStyle]:
        """An example style replaces the drawings: its five drawings go into the pads (the
        rest are emptied, the uploads too) -> (the pads, the style shown); the text and the
        slider moves stay."""
        paths = example_drawings(name)
        pads = [image_value(p) for p in paths] + [""] * (STYLE_PADS - len(paths))
        style, reads, note = self.style_from_inputs([], pads)
        note = note.replace("Style from", f"The **{name}** example: style from", 1)
        return pads, ShownStyle(style, note, reads, self.carried(old, style, sliders))

    def clear_drawings(self, old, sliders) -> ShownStyle:
        """Every pad and the uploads emptied: the average style, the slider moves kept."""
        style = self.prior()
        return ShownStyle(style, NO_STYLE_NOTE, [EMPTY_READ] * STYLE_PADS, self.carried(old, style, sliders))

    def taken(self, new: NewStyle) -> ShownStyle:
        """A style from "Your style" (a loaded file, an example file, a mix) as the tab shows it:
        no drawing makes it, and the sliders stand where its offsets move them."""
        return ShownStyle(new.style, new.note, [EMPTY_READ] * STYLE_PADS,
                          self.sliders.with_offsets(new.style, new.offsets))

    def reset_sliders(self, style) -> list[dict]:
        """"Reset to my style": every slider at the style's own place."""
        return slider_updates(self.sliders.settings(style_or_average(style, self.model)))

    # -- the page ----------------------------------------------------------------------
    @user_errors
    def write_ui(self, style, text, randomness, seed, line_width, size, *sliders) -> str:
        """The tab's page, in the style as the sliders have moved it. Gaps are said once, in the
        note under the text (`gaps_shown`), not in a toast at every rewrite."""
        style = self.sliders.moved(style_or_average(style, self.model), sliders)
        return self.page(style, text, randomness, seed, line_width=line_width, size=size, toast=False)

    def page_and_file(self, style, text, randomness, seed, line_width, size, name, *sliders):
        """The tab's page and its style's file, written together: the file "Save my style"
        downloads is always the style of the page on show (the same style and sliders)
        -> (page, the file or no change, the note of the page's gaps)."""
        with notes.collecting() as said:
            page = self.write_ui(style, text, randomness, seed, line_width, size, *sliders)
        try:
            saved = self.style_files.save_ui(style, name, *sliders)
        except gr.Error:  # a bad name: the name box's own change says so
            saved = gr.update()
        return page, saved, gaps_shown(said)

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
        style = drawings_style(self.model, drawings)
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
        style = drawings_style(self.model, drawings)
        # The characters, randomness and seed are checked where the library is entered (glyphs_for).
        chars, glyphs = glyphs_for(self.model, as_text(characters), style, randomness, seed)
        return [{"image": file_data(self.files.png(glyph_image(g, 112, smooth=True), f"glyph_{ord(c)}")),
                 "caption": c} for c, g in zip(chars, glyphs)]

    # -- layout ----------------------------------------------------------------------------
    def render(self, demo: gr.Blocks) -> WriteControls:
        """The tab's components (in its layout) and their events; its API endpoints."""
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
                                    reads.append(gr.Markdown(EMPTY_READ, elem_id=f"style-read-{i}"))
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
                    style_files = self.style_files.render()
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
                with gr.Accordion("Fine-tune the style", open=bool(self.sliders.axes)):
                    if not self.sliders.axes:
                        gr.Markdown("This model has no style axes (style_axes.json), so there are no sliders.")
                    sliders = [gr.Slider(setting.low, setting.high, value=setting.value, step=1 / Sliders.STEPS,
                                         label=axis.label, elem_id=f"style-axis-{k}")
                               for k, (axis, setting) in enumerate(zip(self.sliders.axes,
                                                                       self.sliders.settings(self.prior())))]
                    reset = gr.Button("Reset to my style", size="sm", elem_id="style-reset")
                self.downloads.render([style_state, text, randomness, seed, line_width, size], sliders)
        controls = WriteControls(style_state, pads, reads, fixes, style_note, clear, example_buttons, uploads,
                                 style_files, page, text, gaps, write_go, full_set, randomness, seed, line_width, size,
                                 sliders, reset)
        self.wire(controls, demo)
        return controls

    def wire(self, c: WriteControls, demo: gr.Blocks) -> None:
        """The tab's events (each a thin function from its inputs to `c.put`'s outputs) and its API endpoints."""
        quiet = dict(api_visibility="private")
        # The page and the style file "Save my style" downloads are rewritten together.
        rewrite = (self.page_and_file, [*c.page_settings, c.style_files.name, *c.sliders],
                   [c.page, c.style_files.save_button, c.gaps])

        def restyled(data: dict) -> dict:
            return c.put(self.update_style(*c.drawn(data)))

        def pad_drawn(number: int):
            def drawn(data: dict) -> dict:
                return {c.fixes[number]: AS_READ, **c.put(self.pad_drawn(number, *c.drawn(data)))}
            return drawn

        def example_loaded(name, old, *sliders) -> dict:
            pads, shown = self.load_example(name, old, sliders)
            return c.put(shown, drawings=pads, fixes=True)

        def cleared(old, *sliders) -> dict:
            return c.put(self.clear_drawings(old, sliders), drawings=[""] * STYLE_PADS, fixes=True)

        def taken(new: NewStyle) -> dict:
            # The pads are emptied, so their corrections go back to "as read" too.
            return c.put(self.taken(new), drawings=[""] * STYLE_PADS, fixes=True)

        restyling = c.put_targets()
        for number, (pad, fix) in enumerate(zip(c.pads, c.fixes)):
            # The user drew, undid or cleared; values the server sets (an example, clearing) do not fire it.
            pad.input(pad_drawn(number), c.drawing_inputs, [fix, *restyling],
                      trigger_mode="always_last", show_progress="hidden", **quiet).then(
                *rewrite, show_progress="minimal", **quiet)
            # The user corrected what the pad was read as.
            fix.input(restyled, c.drawing_inputs, restyling, trigger_mode="always_last",
                      show_progress="hidden", **quiet).then(*rewrite, show_progress="minimal", **quiet)
        # The user's own uploads and removals; values the server sets do not re-trigger these.
        for event in (c.uploads.upload, c.uploads.clear, c.uploads.delete):
            event(restyled, c.drawing_inputs, restyling, **quiet).then(
                *rewrite, **quiet)
        replacing = c.put_targets(drawings=True, fixes=True)
        for name, button in zip(EXAMPLE_STYLES, c.example_buttons):
            button.click(example_loaded, [gr.State(name), c.style, *c.sliders], replacing, **quiet).then(
                *rewrite, **quiet)
        c.clear.click(cleared, [c.style, *c.sliders], replacing, **quiet).then(*rewrite, **quiet)
        # A number typed in a box applies on Enter and on leaving the box: the seed box's own events,
        # and a slider's box's release (which glyph_vae.ui's NUMBER_BOX_JS also fires on Enter).
        for trigger in (c.write_go.click, c.text.submit, c.randomness.release, c.seed.submit, c.seed.blur,
                        c.line_width.release, c.size.release, *[s.release for s in c.sliders]):
            trigger(*rewrite, **quiet)
        c.full_set.click(lambda: FULL_CHARACTER_SET, None, c.text, queue=False, **quiet).then(
            *rewrite, **quiet)
        c.reset.click(self.reset_sliders, c.style, c.sliders, queue=False, **quiet).then(
            *rewrite, **quiet)
        demo.load(*rewrite, **quiet)
        self.style_files.wire(c.style_files, c.style, c.sliders, c.put_targets(drawings=True, fixes=True), taken,
                              lambda event: event.then(*rewrite, **quiet))
        gr.api(self.glyphs, api_name="glyphs")
        gr.api(self.write, api_name="write")
