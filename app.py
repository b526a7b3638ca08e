"""GlyphVAE: a Gradio app that reads handwritten characters and makes ambiguous digits.

    python app.py            # http://127.0.0.1:7860

The UI is a thin layer: every handler below calls a pure function of the
glyph_vae package and only turns its result into Gradio values or messages.
"""
from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import io
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np

from glyph_vae import BlankDrawingError, GlyphError, GlyphVAE, ModelLoadError, normalize_glyph, read
from glyph_vae.confuse import latent_map, make_confuser
from glyph_vae.digits import DigitClassifier
from glyph_vae.muddle import MuddleAutoencoder
from glyph_vae.render import glyph_image, labelled_strip, path_gif
from glyph_vae.style import (Style, check_randomness, load_style_axes, prior_style, slider_offset,
                             slider_positions)
from glyph_vae.style import check_seed as check_seed_value
from glyph_vae.writing import (FULL_CHARACTER_SET, MAX_STYLE_DRAWINGS, MAX_TEXT_LENGTH, glyphs_for,
                               style_from_drawings, write)

ASSETS = Path(__file__).parent / "assets"


def tune_malloc(arenas: int = 2, mmap_threshold: int = 256 * 1024, trim_every_s: float = 5.0) -> None:
    """Keep the server's resident memory flat under a long run of requests (glibc only).

    glibc gives each new thread its own malloc arena (up to 8 per core) and rarely hands
    their freed pages back, so a server whose requests run on a pool of worker threads
    creeps upwards; a couple of shared arenas stop that. It also raises its mmap
    threshold each time a large block is freed, until images and tensors of a few
    hundred KiB come from the heap, where they fragment it; a fixed threshold keeps
    them in their own mappings, which go back to the system the moment they are freed.
    Must run before the worker threads start; a no-op where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        libc.mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD (setting it also turns off the sliding threshold)
    except (OSError, AttributeError):
        return

    def trim_now_and_then():
        # Free pages inside the heaps go back to the system only when the top of a heap
        # is free; malloc_trim hands back the free pages anywhere in them. A few ms, off
        # the request path, every few seconds.
        while True:
            time.sleep(trim_every_s)
            libc.malloc_trim(0)

    threading.Thread(target=trim_now_and_then, name="malloc_trim", daemon=True).start()


tune_malloc()


def load_model(cls, env_name: str, bundled: str | None = None):
    """The model named by an environment variable (a Hub repo id, optionally @revision,
    or a folder), else the bundled weights (assets/<bundled>, or the class's default).
    A model that cannot be loaded is reported and replaced by the bundled one, so the
    app still starts."""
    default = ASSETS / bundled if bundled else None
    source = os.environ.get(env_name, "").strip()
    if not source:
        return cls.from_pretrained(default), None
    try:
        return cls.from_pretrained(source, token=os.environ.get("HF_TOKEN") or None), None
    except ModelLoadError as exc:
        warning = f"Could not load {cls.__name__} from {env_name}={source}: {exc}. Using the bundled weights instead."
        print(f"WARNING: {warning}", file=sys.stderr)
        return cls.from_pretrained(default), warning


MODEL, _MODEL_WARNING = load_model(GlyphVAE, "GLYPH_VAE_MODEL")  # default: assets/glyph_vae
MUDDLE, _MUDDLE_WARNING = load_model(MuddleAutoencoder, "MUDDLE_MODEL")  # default: assets/muddle
LOAD_WARNINGS = [w for w in (_MODEL_WARNING, _MUDDLE_WARNING) if w]
# The latent sliders' directions, computed at training time and stored beside the weights.
STYLE_AXES = load_style_axes(None if _MODEL_WARNING else (os.environ.get("GLYPH_VAE_MODEL", "").strip() or None))
_POOL = np.load(ASSETS / "muddle" / "test_digits.npz")
DIGITS = DigitClassifier.from_pretrained()
CONFUSER = make_confuser(_POOL["images"], _POOL["labels"], glyph_vae=MODEL, muddle=MUDDLE, digits=DIGITS)
APP_VERSION = "1.1.0"
# Limits (README "Limits"): uploads over MAX_FILE_SIZE are refused with HTTP 413; at most QUEUE_SIZE
# requests wait in the queue (more get "Queue is full"); each endpoint runs up to CONCURRENCY calls at once.
MAX_FILE_SIZE = "10mb"
QUEUE_SIZE = 64
CONCURRENCY = 8


def model_health(model, env_name: str | None, warning: str | None) -> dict:
    """Which weights a model runs: its source, config and the sha256 prefix of its safetensors."""
    from glyph_vae.hub import ASSETS_DIR, resolve_files

    source = None if warning or not env_name else (os.environ.get(env_name, "").strip() or None)
    try:
        _, weights = resolve_files(source or ASSETS_DIR / model.default_subfolder)
        digest = hashlib.sha256(Path(weights).read_bytes()).hexdigest()[:16]
    except Exception as exc:  # noqa: BLE001 - health must answer even if the file moved since loading
        digest = f"unavailable: {exc}"
    return {"source": source or f"bundled (assets/{model.default_subfolder})",
            "config": dataclasses.asdict(model.config), "sha256": digest}


# Computed once at start-up: /health only returns it (the framework's floor in bench/api_latency.py).
HEALTH = {"status": "ok", "app_version": APP_VERSION, "gradio": gr.__version__,
          "torch": __import__("torch").__version__,
          "models": {"GlyphVAE": model_health(MODEL, "GLYPH_VAE_MODEL", _MODEL_WARNING),
                     "MuddleAutoencoder": model_health(MUDDLE, "MUDDLE_MODEL", _MUDDLE_WARNING),
                     "DigitClassifier": model_health(DIGITS, None, None)},
          "warnings": LOAD_WARNINGS}


def health() -> dict:
    """The app's version and the models it runs (source, config, weights' sha256 prefix)."""
    return HEALTH


EXAMPLES = sorted(str(p) for p in (ASSETS / "examples").glob("drawn_*.png"))
CANVAS = 400  # px; big enough to draw with a mouse, small enough for a phone
BRUSH_RADIUS = 14  # px: a felt-tip pen on a 400 px canvas (a 28 px wide stroke)
PREVIEW = 168  # px: the 28x28 glyphs are shown at 6x, pixel for pixel

BLANK_HINT = "✏️ **Draw a character** (0-9, A-Z, a-z) on the canvas. It is read when you lift the pen."
READ_HINT = ("Not what you meant? Below is the 28×28 glyph the model saw. Clear the canvas and try again: "
             "some pairs (0/O, 1/I/l, 5/S) look alike even to people.")


IMAGE_DIR = Path(tempfile.mkdtemp(prefix="glyphvae_images_"))


def output_file(data: bytes, filename: str) -> str:
    """Save an output file in a folder named by its content (once, atomically) and return the path.

    Returning a PIL image instead lets Gradio write it to a content-named file in place, so two
    concurrent requests with the same picture can serve a half-written file ("Too much data for
    declared Content-Length"); a file path is copied into Gradio's cache by rename. The same
    content is stored once, however often it is asked for.
    """
    path = IMAGE_DIR / hashlib.sha256(data).hexdigest()[:32] / filename
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{filename}.{os.getpid()}.{id(data)}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return str(path)


def png_file(image, name: str = "image") -> str:
    """A PIL image as a content-named PNG file (see output_file)."""
    buffer = io.BytesIO()
    # zlib level 1, not PIL's 6: the 336 px muddle encodes in 1 ms instead of 4 for 15 KB
    # instead of 13, and a request's time is what a user waits for.
    image.save(buffer, format="PNG", compress_level=1)
    return output_file(buffer.getvalue(), f"{name}.png")


def read_drawing(drawing):
    """Sketchpad value -> (top-5 label, what the model saw, its reconstruction, hint)."""
    try:
        reading = read(MODEL, drawing)
    except BlankDrawingError:
        return None, None, None, BLANK_HINT
    except GlyphError as exc:
        raise gr.Error(str(exc)) from None
    return (reading.top(5), png_file(glyph_image(reading.glyph, PREVIEW), "glyph"),
            png_file(glyph_image(reading.reconstruction, PREVIEW), "redrawn"), READ_HINT)


def classify(image: str | None) -> dict[str, float]:
    """One image file in, the five most likely characters with their probabilities out."""
    if image is None:
        raise gr.Error("Send an image of one character (PNG, JPEG or WebP).")
    try:
        return read(MODEL, image).top(5)
    except GlyphError as exc:
        raise gr.Error(str(exc)) from None


def check_seed(seed) -> int:
    """glyph_vae.style's seed rule (a whole number from 0 to 2^63-1), as a message in the page."""
    if seed is None or (isinstance(seed, float) and not np.isfinite(seed)):
        raise gr.Error("The seed must be a whole number from 0 to 2^63-1.")
    try:
        return check_seed_value(seed)
    except (TypeError, ValueError, OverflowError):
        raise gr.Error(f"The seed must be a whole number from 0 to 2^63-1, not {seed}.") from None


def confuse(digit, drawing, seed):
    """Digit (or a drawing of one), seed -> a, b, the muddle, a GIF of the path, and a summary.

    With ink on the drawing, the drawing is a and its digit is what GlyphVAE reads.
    """
    seed = check_seed(seed)
    glyph = None
    try:
        glyph = normalize_glyph(drawing) if drawing is not None else None
    except BlankDrawingError:
        glyph = None  # an empty pad means: use the chosen digit
    except GlyphError as exc:
        raise gr.Error(str(exc)) from None
    if glyph is not None:
        digit = int(np.argmax(CONFUSER.scorer(glyph[None])[0]))
    else:
        if digit is None or str(digit).strip() not in [str(d) for d in range(10)]:
            raise gr.Error(f"Choose a digit from 0 to 9 (got {digit!r}), or draw one.")
        digit = int(str(digit).strip())
    result = CONFUSER.confuse(digit, seed, drawing=glyph)
    frames = [f.image for f in result.path]
    gif = output_file(path_gif(frames), f"muddle_{result.digit}{result.partner}_{seed}.gif")
    summary = {**result.summary(), "seed": seed, "from_drawing": glyph is not None}
    return (png_file(glyph_image(result.a), "a"), png_file(glyph_image(result.b), "b"),
            png_file(glyph_image(result.muddle.image, 336, smooth=True), "muddle"),
            gif, summary, result)


def confuse_details(result):
    """The path strip with each frame's two top digits, the latent map and a verdict."""
    if result is None:
        return None, None, ""
    frames, captions, chosen = [], [], None
    for i, f in enumerate(result.path):
        top = np.argsort(-f.probs)[:2]
        frames.append(f.image)
        captions.append(f"{top[0]}: {f.probs[top[0]]:.0%}\n{top[1]}: {f.probs[top[1]]:.0%}")
        if chosen is None and abs(f.weight - result.muddle.weight) < 1e-9:
            chosen = i
    strip = labelled_strip(frames, captions, highlight=chosen)
    p_d, p_e = result.muddle.probs[result.digit], result.muddle.probs[result.partner]
    verdict = ("**Truly between**" if result.qualifies else "**Only partly between**")
    text = (f"{verdict}: the muddle reads as **{result.digit}** {p_d:.0%} and **{result.partner}** {p_e:.0%} "
            f"(together {p_d + p_e:.0%}; balance {result.balance:.0%}, where 100% is an exact tie). "
            f"It sits at {result.muddle.weight:.0%} of the way from a to b"
            + (", found by bisecting between two frames of the path." if result.refined else "."))
    return png_file(strip, "path"), png_file(latent_map(MUDDLE, result), "latent_map"), text


# -- Write like me --------------------------------------------------------------
STYLE_PADS = 6
STYLE_PADS_PER_ROW = 3  # each pad wide enough to draw in with a mouse (six in a row leave ~100 px each)
STYLE_CANVAS = 240  # px: big enough to draw a character with the mouse, three to a row
STYLE_BRUSH = 9  # px radius: the same pen as the Read tab's, scaled to the smaller canvas
SLIDER_RANGE = 3.0  # standard deviations of the training styles either way
DEFAULT_TEXT = "The quick brown fox\njumps over the lazy dog"
STYLE_EXAMPLES = ASSETS / "style_examples"
NO_STYLE_NOTE = ("No drawings yet, so this is the **average style**. Draw a few characters above "
                 "(any of 0-9, A-Z, a-z) and the text is rewritten in your hand.")


def style_from_inputs(files, pads) -> tuple[Style, list[str], str]:
    """Uploaded files and sketchpads -> the style, what each pad was read as, a note."""
    sources = list(files or []) + list(pads)
    try:
        style, readings = style_from_drawings(MODEL, sources)
    except (GlyphError, ValueError) as exc:
        raise gr.Error(str(exc)) from None
    pad_readings = readings[len(files or []):]
    reads = [f"read as **{r.character}** ({r.probabilities.max():.0%})" if r else "*empty*" for r in pad_readings]
    if style.count == 0:
        note = NO_STYLE_NOTE
    else:
        seen = " ".join(r.character for r in readings if r)
        note = f"Style from **{style.count}** drawing{'s' if style.count > 1 else ''} (read as {seen})."
    return style, reads, note


def check_text_input(text) -> str:
    if text is None:
        raise gr.Error("Type some text to write.")
    text = str(text)
    if len(text) > MAX_TEXT_LENGTH:
        raise gr.Error(f"The text has {len(text):,} characters; at most {MAX_TEXT_LENGTH} are written at once.")
    return text


def check_randomness_input(randomness) -> float:
    try:
        return check_randomness(randomness if randomness is not None else float("nan"))
    except (TypeError, ValueError):
        raise gr.Error(f"Randomness must be between 0 (the style's mean) and 1 (a full sample), not {randomness}.")


def write_page(style: Style, text, randomness, seed, *, line_width: int = 1000, size: int = 48,
               offset: np.ndarray | None = None) -> str:
    """-> path of the page's PNG. Unknown characters become gaps and a warning."""
    text, randomness, seed = check_text_input(text), check_randomness_input(randomness), check_seed(seed)
    if offset is not None:
        style = style.shifted(offset)
    try:
        page = write(MODEL, text, style, randomness, seed, cap_height=int(size), line_width=int(line_width))
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    if page.unknown:
        gr.Warning("Left as gaps (not in 0-9, A-Z, a-z): " + " ".join(repr(c) for c in page.unknown[:20]))
    return png_file(page.image, f"glyphvae_{seed}")


def api_write(drawings, text, randomness, seed):
    """Style drawings (image files, may be empty), text, randomness, seed -> one PNG of the text."""
    style, _, _ = style_from_inputs(drawings, [])
    return write_page(style, text, randomness, seed)


def api_glyphs(drawings, characters, randomness, seed):
    """Style drawings, characters, randomness, seed -> one image per non-space character, in order."""
    style, _, _ = style_from_inputs(drawings, [])
    randomness, seed = check_randomness_input(randomness), check_seed(seed)
    try:
        chars, glyphs = glyphs_for(MODEL, check_text_input(characters), style, randomness, seed)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    return [(png_file(glyph_image(g, 112, smooth=True), f"glyph_{ord(c)}"), c) for c, g in zip(chars, glyphs)]


def start_positions(style: Style | None) -> list[float]:
    """Where the sliders start for a style: its place on each axis, as a slider can show it."""
    style = style if style is not None else prior_style(MODEL.config.latent_dim)
    return [round(max(-SLIDER_RANGE, min(SLIDER_RANGE, p)), 2) for p in slider_positions(style, STYLE_AXES)]


def update_style(files, *pads):
    """Any pad or upload changed -> style state, a note, each pad's reading, slider positions."""
    style, reads, note = style_from_inputs(files, pads)
    return (style, note, *reads, *start_positions(style))


def write_ui(style, text, randomness, seed, line_width, size, *positions):
    """The Write tab's page: the inferred style, moved as far as the sliders were moved."""
    style = style if style is not None else prior_style(MODEL.config.latent_dim)
    offset = slider_offset(STYLE_AXES, start_positions(style), list(positions)) if STYLE_AXES else None
    return write_page(style, text, randomness, seed, line_width=line_width, size=size, offset=offset)


# Gradio 6 opens a Sketchpad with no tool chosen ("select the draw tool to
# start"), and clearing it drops the tool again. A visitor should be able to
# just draw, so whenever a pad has neither brush nor eraser, pick the brush.
SELECT_BRUSH_JS = """
() => {
  let queued = false;
  const active = (button) => button && button.classList.contains('highlight');
  const pick = () => {
    queued = false;
    document.querySelectorAll('.glyph-pad').forEach((pad) => {
      const brush = pad.querySelector('button[aria-label="Brush"]');
      const eraser = pad.querySelector('button[aria-label="Erase"]');
      if (brush && !active(brush) && !active(eraser)) brush.click();
    });
  };
  const later = () => { if (!queued) { queued = true; setTimeout(pick, 50); } };
  pick();
  // Gradio drops the tool again when the canvas is cleared: pick it again then.
  new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
}
"""

CLICK_PAD_CLEAR_JS = """
() => { document.querySelector('#read-pad button[aria-label="Clear canvas"]')?.click(); }
"""

CLICK_STYLE_CLEAR_JS = """
() => { document.querySelectorAll('.style-pad button[aria-label="Clear canvas"]').forEach((b) => b.click()); }
"""

CSS = """
.glyph-preview img { image-rendering: pixelated; }
footer { visibility: hidden; }
.load-warning { border: 1px solid #f59e0b; background: #fffbeb; border-radius: 8px; padding: 4px 12px; }
"""


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="GlyphVAE: read and write handwriting") as demo:
        gr.Markdown("# GlyphVAE\nA variational autoencoder that reads what you draw, writes like you, "
                    "and makes digits nobody can tell apart.")
        for warning in LOAD_WARNINGS:
            gr.Markdown(f"⚠️ {warning}", elem_classes=["load-warning"])
        with gr.Tab("Read my writing"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    pad = gr.Sketchpad(
                        label="Draw one character",
                        canvas_size=(CANVAS, CANVAS),
                        fixed_canvas=True,
                        height=CANVAS + 100,
                        brush=gr.Brush(default_size=BRUSH_RADIUS, colors=["#000000"], color_mode="fixed"),
                        eraser=gr.Eraser(default_size=16),
                        layers=False,
                        transforms=(),
                        image_mode="RGBA",
                        type="pil",
                        elem_classes=["glyph-pad"],
                        elem_id="read-pad",
                    )
                    clear = gr.Button("Clear", variant="secondary", elem_id="read-clear")
                with gr.Column(scale=2, min_width=280):
                    hint = gr.Markdown(BLANK_HINT, elem_id="read-hint")
                    label = gr.Label(num_top_classes=5, label="What it reads", elem_id="read-label")
                    with gr.Row():
                        seen = gr.Image(label="What the model saw (28×28)", interactive=False, height=PREVIEW + 40,
                                        buttons=["download"], elem_classes=["glyph-preview"], format="png")
                        recon = gr.Image(label="How it redraws it", interactive=False, height=PREVIEW + 40,
                                         buttons=["download"], elem_classes=["glyph-preview"], format="png")
                    with gr.Accordion("Or upload a picture of a character", open=False):
                        # a File, not an Image: Gradio would decode an Image before our
                        # checks and turn a bad file into a vague error
                        upload = gr.File(label="Picture (PNG, JPEG, WebP...)", file_types=["image"],
                                         type="filepath", elem_id="read-upload")
                        gr.Examples(examples=EXAMPLES, inputs=upload, outputs=[label, seen, recon, hint],
                                    fn=read_drawing, run_on_click=True, cache_examples=False,
                                    label="Drawings to try (click one)")
            pad.change(read_drawing, pad, [label, seen, recon, hint], show_progress="hidden",
                       trigger_mode="always_last", api_visibility="private")
            # Clear in the browser with the pad's own tool: a value pushed from the server
            # re-creates the editor and drops the chosen brush.
            clear.click(None, js=CLICK_PAD_CLEAR_JS)
            pad.clear(lambda: (None, None, None, BLANK_HINT), None, [label, seen, recon, hint],
                      api_visibility="private", queue=False)
            upload.upload(classify, upload, label, api_name="classify").success(
                read_drawing, upload, [label, seen, recon, hint], api_visibility="private")
        with gr.Tab("Write like me"):
            gr.Markdown("Draw a few characters in your own hand (any of 0-9, A-Z, a-z, one per box; empty boxes "
                        "are ignored). GlyphVAE infers your style from them and writes any text in it.")
            pads, reads = [], []
            for row in range(0, STYLE_PADS, STYLE_PADS_PER_ROW):
              with gr.Row(equal_height=False):
                for i in range(row + 1, row + STYLE_PADS_PER_ROW + 1):
                    with gr.Column(min_width=220):
                        pads.append(gr.Sketchpad(
                            label=f"Character {i}", canvas_size=(STYLE_CANVAS, STYLE_CANVAS), fixed_canvas=True,
                            height=STYLE_CANVAS + 60,
                            brush=gr.Brush(default_size=STYLE_BRUSH, colors=["#000000"], color_mode="fixed"),
                            eraser=gr.Eraser(default_size=12), layers=False, transforms=(), type="pil",
                            elem_classes=["glyph-pad", "style-pad"], elem_id=f"style-pad-{i}"))
                        reads.append(gr.Markdown("*empty*", elem_id=f"style-read-{i}"))
            with gr.Row():
                clear_style = gr.Button("Clear all drawings", elem_id="style-clear")
            with gr.Accordion("Or upload pictures of your writing (one character each)", open=False):
                style_files = gr.File(label=f"Style drawings (up to {MAX_STYLE_DRAWINGS})", file_count="multiple",
                                      file_types=["image"], type="filepath", elem_id="style-files")
            style_note = gr.Markdown(NO_STYLE_NOTE, elem_id="style-note")
            with gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=300):
                    text = gr.Textbox(DEFAULT_TEXT, lines=4, max_length=MAX_TEXT_LENGTH, label="Text to write",
                                      info=f"0-9, A-Z, a-z, spaces and new lines; up to {MAX_TEXT_LENGTH} characters",
                                      elem_id="write-text")
                    with gr.Row():
                        write_go = gr.Button("Write it", variant="primary", elem_id="write-go")
                        full_set = gr.Button("Full character set", elem_id="write-full-set")
                    randomness = gr.Slider(0, 1, value=0.3, step=0.05, label="Randomness",
                                           info="0: every letter at your style's mean; 1: each one sampled from it",
                                           elem_id="write-randomness")
                    write_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", elem_id="write-seed")
                    with gr.Accordion("Page", open=False):
                        line_width = gr.Slider(400, 1600, value=1000, step=50, label="Line width (px)",
                                               elem_id="write-width")
                        size = gr.Slider(24, 96, value=48, step=4, label="Capital height (px)", elem_id="write-size")
                    with gr.Accordion("Fine-tune the style", open=bool(STYLE_AXES)):
                        if not STYLE_AXES:
                            gr.Markdown("This model has no style axes (style_axes.json), so there are no sliders.")
                        sliders = [gr.Slider(-SLIDER_RANGE, SLIDER_RANGE, value=p, step=0.05, label=axis.label,
                                             elem_id=f"style-axis-{k}")
                                   for k, (axis, p) in enumerate(zip(STYLE_AXES, start_positions(None)))]
                        reset = gr.Button("Reset to my style", size="sm", elem_id="style-reset")
                with gr.Column(scale=3, min_width=320):
                    page = gr.Image(label="In your hand (download with the button)", type="filepath", format="png",
                                    buttons=["download", "fullscreen"], elem_id="write-output")
            gr.Examples(
                examples=[[sorted(str(f) for f in (STYLE_EXAMPLES / name).glob("*.png")), DEFAULT_TEXT]
                          for name in ("narrow", "wide", "light", "bold", "italic")],
                example_labels=["Narrow", "Wide", "Light", "Bold", "Italic"],
                inputs=[style_files, text], label="Styles to try (click one: five drawings each)")
            style_state = gr.State()
            glyph_gallery = gr.Gallery(visible=False)  # the /glyphs endpoint's output
            api_trigger = gr.Button(visible=False)

            style_inputs = [style_files, *pads]
            style_outputs = [style_state, style_note, *reads, *sliders]
            page_inputs = [style_state, text, randomness, write_seed, line_width, size, *sliders]
            for source in pads:
                source.change(update_style, style_inputs, style_outputs, trigger_mode="always_last",
                              show_progress="hidden", api_visibility="private").then(
                    write_ui, page_inputs, page, show_progress="minimal", api_visibility="private")
            style_files.change(update_style, style_inputs, style_outputs, api_visibility="private").then(
                write_ui, page_inputs, page, api_visibility="private")
            clear_style.click(None, js=CLICK_STYLE_CLEAR_JS)
            for trigger in (write_go.click, text.submit, randomness.release, write_seed.submit,
                            line_width.release, size.release, *[s.release for s in sliders]):
                trigger(write_ui, page_inputs, page, api_visibility="private")
            full_set.click(lambda: FULL_CHARACTER_SET, None, text, queue=False, api_visibility="private").then(
                write_ui, page_inputs, page, api_visibility="private")
            reset.click(start_positions, style_state, sliders, queue=False, api_visibility="private").then(
                write_ui, page_inputs, page, api_visibility="private")
            # The public API: the same functions, fed image files instead of sketchpads.
            api_trigger.click(api_glyphs, [style_files, text, randomness, write_seed], glyph_gallery,
                              api_name="glyphs")
            api_trigger.click(api_write, [style_files, text, randomness, write_seed], page, api_name="write")
            demo.load(write_ui, page_inputs, page, api_visibility="private")
        with gr.Tab("Confuse this digit"):
            gr.Markdown("Pick a digit (or draw one): the muddle autoencoder walks from it towards the nearest "
                        "*other* digit and shows the image that sits between them, still a digit, but which?")
            with gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=300):
                    digit = gr.Radio([str(d) for d in range(10)], value="3", label="Digit", elem_id="confuse-digit")
                    with gr.Accordion("Or draw your own digit", open=False):
                        confuse_pad = gr.Sketchpad(
                            label="Your digit (leave empty to use the one chosen above)",
                            canvas_size=(CANVAS, CANVAS), fixed_canvas=True, height=CANVAS + 100,
                            brush=gr.Brush(default_size=BRUSH_RADIUS, colors=["#000000"], color_mode="fixed"),
                            eraser=gr.Eraser(default_size=16), layers=False, transforms=(), type="pil",
                            elem_classes=["glyph-pad"], elem_id="confuse-pad")
                    seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", elem_id="confuse-seed")
                    with gr.Row():
                        go = gr.Button("Confuse this digit", variant="primary", elem_id="confuse-go")
                        again = gr.Button("Re-generate (new seed)", elem_id="confuse-again")
                with gr.Column(scale=3, min_width=320):
                    with gr.Row():
                        a_img = gr.Image(label="a: the digit", height=200, format="png", elem_id="confuse-a")
                        b_img = gr.Image(label="b: its nearest other digit", height=200, format="png",
                                         elem_id="confuse-b")
                    muddle_img = gr.Image(label="The muddle", height=360, format="png", elem_id="confuse-muddle")
                    verdict = gr.Markdown(elem_id="confuse-verdict")
            with gr.Row(equal_height=False):
                gif = gr.Image(label="The path as a loop (download it with the button)", type="filepath",
                               height=220, elem_id="confuse-gif")
                latent = gr.Image(label="Latent map", height=420, format="png", elem_id="confuse-map")
            strip = gr.Image(label="The path, frame by frame, with each frame's two top digits", format="png",
                             elem_id="confuse-strip")
            details = gr.JSON(label="Details", elem_id="confuse-json")
            state = gr.State()

            outputs = [a_img, b_img, muddle_img, gif, details, state]
            go.click(confuse, [digit, confuse_pad, seed], outputs, api_name="confuse").success(
                confuse_details, state, [strip, latent, verdict], api_visibility="private")
            again.click(lambda: int(np.random.default_rng().integers(0, 2**31)), None, seed,
                        api_visibility="private", queue=False).then(
                confuse, [digit, confuse_pad, seed], outputs, api_visibility="private").success(
                confuse_details, state, [strip, latent, verdict], api_visibility="private")
        gr.api(health, api_name="health")
        demo.load(None, js=SELECT_BRUSH_JS)
    return demo


demo = build_demo()

def main() -> None:
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        css=CSS,
        max_file_size=MAX_FILE_SIZE,
    )


if __name__ == "__main__":
    main()
