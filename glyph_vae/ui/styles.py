"""Write like me's "Your style": the style as a file to save and load, two styles mixed, and
a word morphed from one to the other (a looping GIF and a strip).

A part of the Write tab (drawn in it; its events read the tab's style and sliders, and put a
new style in the tab through a function the tab gives), in a module of its own, with its API
endpoints: /style, /write_with_style, /font_with_style, /write_svg_with_style, /mix and /morph.
A style file is one way to pass a style everywhere: every endpoint that takes drawings has a
twin that takes a style file instead. Its handlers are plain functions of the model, the
output files, the style sliders, a page writer and the downloads.

In the tab the style lives in the style state and the sliders (the sliders' moves from the
style's own place are the file's offsets). A load, an example or a mix replaces them only
once the file has been read and checked: a bad file raises a message and changes nothing."""

import io
import re
from dataclasses import dataclass
from typing import Callable, NamedTuple

import gradio as gr
from gradio.data_classes import FileData

from ..errors import SettingError
from ..models.hub import bundled_path
from ..models.model import GlyphVAE
from ..glyphs.render import captioned_grid, page_gif
from ..serving import OutputFiles
from ..pipelines.style import Sliders, Style, mix_styles
from ..pipelines.style_file import (DEFAULT_NAME, MAX_NAME_LENGTH, LoadedStyle, StyleInfo, check_style_name,
                                    style_from_file, style_to_file)
from ..pipelines.writing import MAX_MORPH_WORD, MORPH_STEPS, morph, morph_weights
from . import notes
from .common import drawings_style, file_data, markdown_text, style_or_average, user_errors, warn
from .downloads import Downloads
from .inputs import client_style

EXAMPLE_STYLE_FILES = ("narrow", "wide", "light", "bold", "italic")
UPLOADED = "my file"  # the second style's choice that means the file loaded as the second style
DEFAULT_MORPH_WORD = "Hello"
DEFAULT_MORPH_STEPS = 8


def example_style_file(name: str):
    """The bundled style file of an example style, beside its drawings (`python -m train.style_examples`)."""
    return bundled_path("style_examples", f"{name}.json")


def file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "style"


class NewStyle(NamedTuple):
    """A style for the Write tab to take in place of its own (a loaded file, an example file, a
    mix): the style, the sliders' moves from its own place (by axis name), the note to show."""

    style: Style
    offsets: dict[str, float]
    note: str


@dataclass(frozen=True)
class StyleFileControls:
    """The components of "Your style" (`StyleFiles.render` makes them, `StyleFiles.wire` wires them)."""

    name: gr.Textbox
    save_button: gr.DownloadButton  # its file is the style of the page on show (the tab keeps it so)
    load_button: gr.UploadButton
    example_buttons: list[gr.Button]
    choice: gr.Radio
    other: gr.UploadButton
    weight: gr.Slider
    mix_button: gr.Button
    word: gr.Textbox
    steps: gr.Slider
    morph_button: gr.Button
    gif: gr.Image
    strip: gr.Image


class StyleFiles:
    """Handlers of "Your style" (plain functions of the model) and its part of the Write tab.

    `write_page(style, text, randomness, seed)`: the path of the PNG page of a text written in
    a style, as the tab's page is written (/write_with_style answers with it); `downloads`:
    the font and SVG answers the *_with_style endpoints share with /font and /write_svg."""

    def __init__(self, model: GlyphVAE, files: OutputFiles, sliders: Sliders,
                 write_page: Callable[..., str], downloads: Downloads):
        self.model, self.files, self.sliders = model, files, sliders
        self.write_page, self.downloads = write_page, downloads

    def drawn(self, loaded: LoadedStyle) -> Style:
        """A loaded style as pages draw it: moved by its offsets (the move the tab's sliders make)."""
        return self.sliders.moved_by(loaded.style, loaded.offsets)

    def load(self, source, what: str = "The style file", *, say: bool = True) -> LoadedStyle:
        """A style file as a client sent it (an upload, or its JSON) read and checked; its warnings
        shown (unless `say` is False: a check before the load that says them)."""
        source = client_style(source, what)
        if source is None:
            raise SettingError(f"{what} is missing: send a style file (the .json that \"Save my style\" or "
                               "/style makes).")
        return self.shown(style_from_file(source, self.model), say)

    def example(self, name: str, say: bool = True) -> LoadedStyle:
        """A bundled example style file, read and checked like any other."""
        return self.shown(style_from_file(str(example_style_file(name)), self.model), say)

    @staticmethod
    def shown(loaded: LoadedStyle, say: bool = True) -> LoadedStyle:
        for message in loaded.warnings if say else ():
            warn(message)
        return loaded

    def save(self, style: Style, offsets: dict[str, float] | None, name) -> str:
        """A style file of `style` (with the slider moves `offsets`) -> its path."""
        name = check_style_name(name)
        return self.files.save(style_to_file(style, self.model, offsets=offsets, name=name),
                               f"{file_stem(name)}.json")

    def mixed(self, a: LoadedStyle, b: LoadedStyle, weight) -> tuple[Style, dict[str, float], str]:
        """Two styles mixed `weight` of the way from `a` to `b`: the posteriors by `mix_styles`
        and the slider moves linearly, so that the mix draws what `mix_styles` of the two
        styles as they are drawn would (the moves are linear in the latent), and weight 0 gives
        `a` back exactly and weight 1 `b`. -> (style, offsets, a name)."""
        style = mix_styles(a.style, b.style, weight)
        weight = float(weight)
        offsets = {axis.name: (1.0 - weight) * a.offsets.get(axis.name, 0.0) + weight * b.offsets.get(axis.name, 0.0)
                   for axis in self.sliders.axes}
        name = a.info.name if weight == 0 else b.info.name if weight == 1 else \
            f"{a.info.name} + {b.info.name} ({weight:.0%})"
        if len(name) > MAX_NAME_LENGTH:
            name = name[:MAX_NAME_LENGTH - 3].rstrip() + "..."
        return style, offsets, name

    def morph_files(self, a: Style, b: Style, word, steps, names: tuple[str, str]) -> tuple[str, str]:
        """The word morphed from `a` to `b` -> (looping GIF path, strip PNG path)."""
        frames = morph(self.model, word, a, b, steps)
        weights = morph_weights(steps)
        captions = [names[0] if w == 0 else names[1] if w == 1 else f"{w:.0%} of the way" for w in weights]
        strip = captioned_grid(frames, captions)
        buffer = io.BytesIO()
        strip.save(buffer, format="PNG", compress_level=6)
        stem = file_stem(str(word))
        gif = notes.gif_with_notes(page_gif(frames), notes.current())
        return (self.files.save(gif, f"morph_{stem}_{len(frames)}.gif"),
                self.files.save(buffer.getvalue(), f"morph_{stem}_{len(frames)}_strip.png"))

    def current(self, style: Style | None, sliders, name: str = "My style") -> LoadedStyle:
        """The tab's style and sliders as a LoadedStyle (as if saved and loaded again)."""
        style = style_or_average(style, self.model)
        identity = self.model.identity()
        return LoadedStyle(style, self.sliders.offsets(style, sliders),
                           StyleInfo(name, style.characters, identity["sha256"], identity["config"]), [])

    def second(self, choice, upload, *, say: bool = True) -> LoadedStyle:
        """The tab's second style: the uploaded file or an example style file."""
        if choice in EXAMPLE_STYLE_FILES:
            return self.example(choice, say)
        if upload is None:
            raise SettingError("Load a second style file first (\"Load a second style\"), or choose an example style "
                               "as the second style.")
        return self.load(upload, "The second style file", say=say)

    # -- the tab's handlers ----------------------------------------------------------------
    @user_errors
    def save_ui(self, style, name, *sliders) -> str:
        """"Save my style": the style file of the style as the page draws it."""
        style = style_or_average(style, self.model)
        return self.save(style, self.sliders.offsets(style, sliders), name)

    def loaded_note(self, loaded: LoadedStyle, how: str) -> str:
        style = loaded.style
        read = f" (read as {' '.join(style.characters)})" if style.characters else ""
        drawings = f"{style.count} drawing{'s' if style.count != 1 else ''}" if style.count else "no drawings"
        warning = " **It was made with other weights: see the warning.**" if loaded.warnings else ""
        return (f"{how} **{markdown_text(loaded.info.name)}**: a style from {drawings}{read}.{warning} Drawing in a box "
                "starts a new style from the drawings.")

    # A refusal of an event's inputs marks every output of the event with a red "Error" badge
    # (Gradio 6); "Load a style" and "Mix" replace seventeen. So the tab first checks what they
    # would refuse, in an event with no outputs (the refusal is one message, and the tab keeps
    # its look), and loads or mixes only on its success.
    @user_errors
    def check_load(self, upload) -> None:
        self.load(upload, say=False)

    @user_errors
    def check_mix(self, style, choice, upload, weight, *sliders) -> None:
        self.mixed(self.current(style, sliders, "your style"), self.second(choice, upload, say=False), weight)

    @user_errors
    def load_ui(self, upload) -> NewStyle:
        """"Load a style": the file's style and slider moves, to replace the tab's. A refused file
        raises, and an event that raises updates nothing: the tab keeps its style and sliders."""
        loaded = self.load(upload)
        return NewStyle(loaded.style, loaded.offsets, self.loaded_note(loaded, "Loaded the style"))

    @user_errors
    def load_example_ui(self, name: str) -> NewStyle:
        loaded = self.example(name)
        return NewStyle(loaded.style, loaded.offsets, self.loaded_note(loaded, "The example style file"))

    @user_errors
    def mix_ui(self, style, choice, upload, weight, *sliders) -> NewStyle:
        """"Mix": the tab's style mixed with the second style; the mix becomes the tab's style."""
        other = self.second(choice, upload)
        mix, offsets, _ = self.mixed(self.current(style, sliders, "your style"), other, weight)
        note = (f"A mix: **{float(weight):.0%}** of the way from your style to **{markdown_text(other.info.name)}** "
                f"(read as {' '.join(mix.characters) or 'nothing'}). Save it to keep it.")
        return NewStyle(mix, offsets, note)

    @user_errors
    def morph_ui(self, style, choice, upload, word, steps, *sliders):
        """"Morph": the word from the tab's style to the second style -> (GIF, strip)."""
        other = self.second(choice, upload)
        here = self.sliders.moved(style_or_average(style, self.model), sliders)
        return self.morph_files(here, self.drawn(other), word, steps, ("your style", other.info.name))

    # -- the API -------------------------------------------------------------------------
    @user_errors
    def style(self, drawings: list[FileData]) -> tuple[FileData, str]:
        """Read the handwriting style of a few drawn characters as a style file, to keep and pass to the *_with_style endpoints.

        Args:
            drawings: 0 to 16 image files, one handwritten character each (none: the average style).

        Returns:
            The style file (JSON: the style's posterior, slider offsets, the model it belongs to, the characters it was read from, a name, a format version) and the characters the drawings were read as, in order.
        """
        style = drawings_style(self.model, drawings)
        return file_data(self.save(style, None, DEFAULT_NAME)), style.characters

    @user_errors
    def write_with_style(self, style: FileData, text: str, randomness: float, seed: int) -> FileData:
        """Write a text in the handwriting style of a style file, as one PNG (as /write does from drawings).

        Args:
            style: a style file (the JSON that /style, /mix or the page's "Save my style" makes).
            text: up to 500 characters; 0-9, A-Z, a-z, printable ASCII punctuation and symbols, spaces and new lines are written, other characters are left as gaps (with a warning).
            randomness: 0 draws every letter at the style's mean, 1 samples each one from it; between 0 and 1.
            seed: a whole number from 0 to 2^63-1; the same style file, text, randomness and seed give the same PNG, byte for byte, as the page does.

        Returns:
            The written text as a PNG image.
        """
        loaded = self.load(style)
        return file_data(self.write_page(self.drawn(loaded), text, randomness, seed))

    @user_errors
    def font_with_style(self, style: FileData, name: str, alternates: int, randomness: float,
                        seed: int) -> tuple[FileData, FileData]:
        """Make an installable font of the handwriting style of a style file (as /font does from drawings).

        Args:
            style: a style file (the JSON that /style, /mix or the page's "Save my style" makes).
            name: the font's family name as font menus show it (1 to 40 printable characters; empty: "GlyphVAE Hand").
            alternates: variants of every letter and digit, 1 to 5 (1: a plain font).
            randomness: how far the alternates stray from the style, 0 to 1.
            seed: a whole number from 0 to 2^63-1; the same inputs give the same files, byte for byte.

        Returns:
            The font as TrueType (.ttf) and as WOFF2 (.woff2, for the web).
        """
        loaded = self.load(style)
        ttf, woff2, _ = self.downloads.font_files(self.drawn(loaded), name, alternates, randomness, seed)
        return file_data(ttf), file_data(woff2)

    @user_errors
    def write_svg_with_style(self, style: FileData, text: str, randomness: float, seed: int,
                             kind: str) -> FileData:
        """Write a text in the handwriting style of a style file, as an SVG (as /write_svg does from drawings).

        Args:
            style: a style file (the JSON that /style, /mix or the page's "Save my style" makes).
            text: up to 500 characters; 0-9, A-Z, a-z, printable ASCII punctuation and symbols, spaces and new lines are written, others are left as gaps.
            randomness: 0 draws every letter at the style's mean, 1 samples each one from it; between 0 and 1.
            seed: a whole number from 0 to 2^63-1.
            kind: "outline" (filled shapes) or "single_line" (centre-line strokes).

        Returns:
            One SVG file: a path per glyph, a group per line.
        """
        loaded = self.load(style)
        return file_data(self.downloads.svg_file(self.drawn(loaded), text, randomness, seed, kind))

    @user_errors
    def mix(self, style_a: FileData, style_b: FileData, weight: float) -> FileData:
        """Mix two handwriting styles: a style file `weight` of the way from the first style to the second.

        The means of the two styles' Gaussians are interpolated linearly and their log-variances
        linearly, so every style slider measure of the mix lies the same fraction of the way
        between the two; weight 0 gives the first style back exactly, 1 the second.

        Args:
            style_a: the first style file (weight 0).
            style_b: the second style file (weight 1).
            weight: from 0 to 1.

        Returns:
            The mix as a style file.
        """
        a, b = self.load(style_a, "The first style file"), self.load(style_b, "The second style file")
        style, offsets, name = self.mixed(a, b, weight)
        return file_data(self.save(style, offsets, name))

    @user_errors
    def morph(self, style_a: FileData, style_b: FileData, word: str, steps: int) -> FileData:
        """Write one word in a sequence of styles from one style file to another, as a looping GIF.

        Args:
            style_a: the style file of the first frame.
            style_b: the style file of the last frame.
            word: up to 24 characters on one line (0-9, A-Z, a-z and spaces).
            steps: the number of styles (frames), 2 to 24, both ends included.

        Returns:
            A GIF that goes from the first style to the second and back, looping.
        """
        a, b = self.load(style_a, "The first style file"), self.load(style_b, "The second style file")
        gif, _ = self.morph_files(self.drawn(a), self.drawn(b), word, steps, (a.info.name, b.info.name))
        return file_data(gif)

    # -- layout ----------------------------------------------------------------------------
    def render(self) -> StyleFileControls:
        """Inside the Write tab: save, load (and the example style files), mix and morph; `wire`
        then connects them to the tab's style, once the tab has made its sliders."""
        with gr.Accordion("Your style: save, load, mix, morph", open=False, elem_id="your-style"):
            with gr.Row(equal_height=True):
                name = gr.Textbox(DEFAULT_NAME, label="Style name", max_length=MAX_NAME_LENGTH, scale=2,
                                  elem_id="style-name", show_label=True)
                with gr.Column(scale=2, min_width=160):
                    # Its file is kept up to date with the page, so one click downloads the style as it is drawn.
                    save_button = gr.DownloadButton("Save my style", variant="secondary", elem_id="style-save")
                    load_button = gr.UploadButton("Load a style", file_types=[".json"], type="filepath",
                                                  elem_id="style-load")
            gr.Markdown("**Example style files** (one click loads one):")
            with gr.Row(elem_id="style-file-examples"):
                example_buttons = [gr.Button(f"{n}.json", size="sm", min_width=60, elem_id=f"style-file-{n}")
                                   for n in EXAMPLE_STYLE_FILES]
            gr.Markdown("**Mix and morph** your style with a second one:")
            choice = gr.Radio([UPLOADED, *EXAMPLE_STYLE_FILES], value=EXAMPLE_STYLE_FILES[-1],
                              label="Second style", elem_id="style-second-choice")
            other = gr.UploadButton("Load a second style (.json)", file_types=[".json"], type="filepath",
                                    size="sm", elem_id="style-second")
            with gr.Row(equal_height=False):
                weight = gr.Slider(0, 1, value=0.5, step=0.05, label="Mix weight",
                                   info="0: your style, 1: the second style", elem_id="style-mix-weight", scale=3)
                mix_button = gr.Button("Mix", size="sm", scale=1, min_width=80, elem_id="style-mix")
            with gr.Row(equal_height=False):
                word = gr.Textbox(DEFAULT_MORPH_WORD, label="Word to morph", max_length=MAX_MORPH_WORD,
                                  elem_id="morph-word", scale=2)
                steps = gr.Slider(*MORPH_STEPS, value=DEFAULT_MORPH_STEPS, step=1, label="Steps",
                                  elem_id="morph-steps", scale=2)
                morph_button = gr.Button("Morph", size="sm", scale=1, min_width=80, elem_id="morph-go")
            gif = gr.Image(label="Morph (looping GIF)", type="filepath", buttons=["download"],
                           elem_id="morph-gif", height=130)
            strip = gr.Image(label="The morph as a strip (PNG)", type="filepath", format="png",
                             buttons=["download", "fullscreen"], elem_id="morph-strip", height=260)
        return StyleFileControls(name, save_button, load_button, example_buttons, choice, other, weight, mix_button,
                                 word, steps, morph_button, gif, strip)

    def second_ui(self, upload):
        """A second style file loaded: checked (a refused file is a message) and chosen."""
        loaded = self.load(upload, "The second style file")
        return gr.update(value=UPLOADED, label=f"Second style ({UPLOADED}: {loaded.info.name})")

    def wire(self, controls: StyleFileControls, style_state, sliders: list, taken: list,
             take: Callable[[NewStyle], dict], write_page: Callable) -> None:
        """The events and the API endpoints. `style_state`, `sliders`: the tab's style and its
        sliders; `take(new_style)`: the outputs that put a new style in the tab, the components
        `taken`; `write_page`: chains the page's rewrite (and the saved file's) to an event."""
        c, quiet = controls, dict(api_visibility="private")

        def load_taken(upload) -> dict:
            return take(self.load_ui(upload))

        def example_taken(name) -> dict:
            return take(self.load_example_ui(name))

        def mix_taken(*inputs) -> dict:
            return take(self.mix_ui(*inputs))

        saving = [style_state, c.name, *sliders]
        c.name.change(self.save_ui, saving, c.save_button, show_progress="hidden", **quiet)
        write_page(c.load_button.upload(self.check_load, c.load_button, None, **quiet).success(
            load_taken, c.load_button, taken, **quiet))
        for n, button in zip(EXAMPLE_STYLE_FILES, c.example_buttons):
            write_page(button.click(example_taken, gr.State(n), taken, **quiet))
        c.other.upload(user_errors(self.second_ui), c.other, c.choice, **quiet)
        mixing = [style_state, c.choice, c.other, c.weight, *sliders]
        write_page(c.mix_button.click(self.check_mix, mixing, None, **quiet).success(
            mix_taken, mixing, taken, **quiet))
        c.morph_button.click(self.morph_ui, [style_state, c.choice, c.other, c.word, c.steps, *sliders],
                             [c.gif, c.strip], **quiet)
        gr.api(self.style, api_name="style")
        gr.api(self.write_with_style, api_name="write_with_style")
        gr.api(self.font_with_style, api_name="font_with_style")
        gr.api(self.write_svg_with_style, api_name="write_svg_with_style")
        gr.api(self.mix, api_name="mix")
        gr.api(self.morph, api_name="morph")
