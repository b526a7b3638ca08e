"""GlyphVAE: a Gradio app that reads handwritten characters.

    python app.py            # http://127.0.0.1:7860

The UI is a thin layer: every handler below calls a pure function of the
glyph_vae package and only turns its result into Gradio values or messages.
"""
from __future__ import annotations

import os
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from glyph_vae import BlankDrawingError, GlyphError, GlyphVAE, read

MODEL = GlyphVAE.from_pretrained()  # the weights bundled in assets/glyph_vae
EXAMPLES = sorted(str(p) for p in (Path(__file__).parent / "assets" / "examples").glob("drawn_*.png"))
CANVAS = 400  # px; big enough to draw with a mouse, small enough for a phone
BRUSH_RADIUS = 14  # px: a felt-tip pen on a 400 px canvas (a 28 px wide stroke)
PREVIEW = 168  # px: the 28x28 glyphs are shown at 6x, pixel for pixel

BLANK_HINT = "✏️ **Draw a character** (0-9, A-Z, a-z) on the canvas. It is read when you lift the pen."
READ_HINT = "Not what you meant? Clear the canvas and draw it a little larger, or in one go."


def _preview(glyph: np.ndarray) -> Image.Image:
    """A 28x28 glyph blown up with visible pixels, ink dark on white like the canvas."""
    image = Image.fromarray(np.uint8(255 - np.clip(glyph, 0, 1) * 255))
    return image.resize((PREVIEW, PREVIEW), Image.NEAREST)


def read_drawing(drawing):
    """Sketchpad value -> (top-5 label, what the model saw, its reconstruction, hint)."""
    try:
        reading = read(MODEL, drawing)
    except BlankDrawingError:
        return None, None, None, BLANK_HINT
    except GlyphError as exc:
        raise gr.Error(str(exc)) from None
    return reading.top(5), _preview(reading.glyph), _preview(reading.reconstruction), READ_HINT


def classify(image: str | None) -> dict[str, float]:
    """One image file in, the five most likely characters with their probabilities out."""
    if image is None:
        raise gr.Error("Send an image of one character (PNG, JPEG or WebP).")
    try:
        return read(MODEL, image).top(5)
    except GlyphError as exc:
        raise gr.Error(str(exc)) from None


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

CSS = """
.glyph-preview img { image-rendering: pixelated; }
footer { visibility: hidden; }
"""


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="GlyphVAE: read and write handwriting") as demo:
        gr.Markdown("# GlyphVAE\nDraw a character and see how a variational autoencoder reads it.")
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
        demo.load(None, js=SELECT_BRUSH_JS)
    return demo


demo = build_demo()

def main() -> None:
    demo.queue(default_concurrency_limit=8).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        css=CSS,
        max_file_size="10mb",
    )


if __name__ == "__main__":
    main()
