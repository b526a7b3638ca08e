"""The "Read my writing" tab: draw (or upload) one character, see what GlyphVAE reads."""
import gradio as gr
from gradio.data_classes import FileData

from ..errors import BlankDrawingError, UnreadableImageError, shown
from ..models.hub import bundled_path
from ..models.model import GlyphVAE
from ..pipelines.reading import Reading, read
from ..pipelines.ruled import TooSmallToReadError, read_ruled
from ..glyphs.render import glyph_image
from ..serving import OutputFiles
from .common import user_errors
from .inputs import client_image
from .pad import drawing_pad, example_strip, image_value, picture_value

CANVAS = 400  # px; big enough to draw with a mouse, small enough for a phone
BRUSH_RADIUS = 14  # px: a felt-tip pen on a 400 px canvas (a 28 px wide stroke)
PREVIEW = 168  # px: the 28x28 glyphs are shown at 6x, pixel for pixel
TOP = 5  # characters shown with their probabilities
LIVE_MS = 100  # the reading follows the pen while it draws, this often at most
# The bundled example drawings, by the character each shows.
EXAMPLES = {p.stem.removeprefix("drawn_"): str(p) for p in sorted(bundled_path("examples").glob("drawn_*.png"))}

BLANK_HINT = ("✏️ **Draw a character** (0-9, A-Z, a-z) on the lines, as on lined paper: small letters from the "
              "baseline up to the dashed line, capitals, digits and tall letters up to the top line, tails "
              "below. It is read as you draw.")
TOO_SMALL_HINT = ("**Too small to read.** Write the character on the lines: small letters from the baseline "
                  "up to the dashed line, capitals and digits up to the top line.")
READ_HINT = ("Not what you meant? Below is the 28×28 glyph the model saw. Clear the canvas and try again: "
             "some pairs (0/O, 1/I/l, 5/S) look alike even to people.")


def label_value(reading: Reading, k: int = TOP) -> dict:
    """A reading as gr.Label's value: the top character and the k best with their probabilities."""
    top = reading.top(k)
    return {"label": reading.character,
            "confidences": [{"label": c, "confidence": p} for c, p in top.items()]}


class ReadTab:
    """Handlers of the tab (plain functions of the model) and its part of the page."""

    def __init__(self, model: GlyphVAE, files: OutputFiles):
        self.model, self.files = model, files

    # -- handlers ----------------------------------------------------------------------
    @user_errors
    def read_drawing(self, drawing):
        """An uploaded file or an example drawing (read by its shape alone) -> (top-5 label, the
        glyph the model saw, its redrawing, the hint). A blank image is not an error: it asks for a drawing."""
        drawing = client_image(drawing)
        try:
            reading = read(self.model, drawing)
        except BlankDrawingError:
            return None, None, None, BLANK_HINT
        return self._shown(reading)

    @user_errors
    def read_pad(self, drawing):
        """The ruled pad's drawing, read with its place on the lines (as /classify_ruled reads
        it); a stray mark is "too small to read", a blank pad asks for a drawing."""
        if self.model.ruled is None:
            return self.read_drawing(drawing)
        try:
            reading = read_ruled(self.model, client_image(drawing))
        except BlankDrawingError:
            return None, None, None, BLANK_HINT
        except TooSmallToReadError:
            return None, None, None, TOO_SMALL_HINT
        return self._shown(reading)

    def _shown(self, reading: Reading):
        return (reading.top(TOP), self.files.png(glyph_image(reading.glyph, PREVIEW), "glyph"),
                self.files.png(glyph_image(reading.reconstruction, PREVIEW), "redrawn"), READ_HINT)

    def read_example(self, event: gr.EventData):
        """An example drawing clicked: it goes into the pad (to look at, or to draw over) and is read."""
        name = getattr(event, "name", None)
        if name not in EXAMPLES:
            raise gr.Error(f"There is no example drawing {shown(name)}.", print_exception=False)
        drawing = image_value(EXAMPLES[name])
        return (drawing, *self.read_drawing(drawing))

    @user_errors
    def read_upload(self, upload):
        """An uploaded picture: its ink goes into the pad (to see what is read, or to draw over) and is read."""
        if not upload:  # the upload removed: the pad and the reading stay as they are
            return (gr.skip(),) * 5
        return (picture_value(client_image(upload, "The picture"), CANVAS), *self.read_drawing(upload))

    @user_errors
    def classify(self, image: FileData) -> dict:
        """Read one handwritten character (0-9, A-Z or a-z) in an image.

        The image may be a photo, a scan or a drawing of a single character, dark on light
        or light on dark (PNG, JPEG, WebP, GIF or BMP, up to 10 MB). It is cropped to its
        ink and read by GlyphVAE, which knows 62 characters.

        Args:
            image: an image file showing one character.

        Returns:
            {"label": the most likely character, "confidences": [{"label", "confidence"}] for the five most likely, best first}
        """
        if not image:
            raise UnreadableImageError("Send an image of one character (PNG, JPEG, WebP, GIF or BMP).")
        return label_value(read(self.model, client_image(image, "The image")))

    @user_errors
    def classify_ruled(self, image: FileData) -> dict:
        """Read one handwritten character (0-9, A-Z or a-z) written on ruled lines, by its shape and its place on the lines.

        The image is the whole square canvas of a ruled pad, holding only the ink (the lines are
        not in it): its guides are at 0.22 (capitals' and ascenders' tops), 0.46 (x-height),
        0.70 (baseline) and 0.88 (descenders' ends) of its height from the top. Size and place
        tell c from C, o from O, p from P and g from 9, which a shape alone cannot. A stray
        mark (a dot, a tiny scribble) is refused as too small to read. For any other picture
        use /classify.

        Args:
            image: an image file of the ruled canvas (PNG, JPEG, WebP, GIF or BMP, up to 10 MB).

        Returns:
            {"label": the most likely character, "confidences": [{"label", "confidence"}] for the five most likely, best first}
        """
        if not image:
            raise UnreadableImageError("Send an image of one character written on the ruled canvas "
                                       "(PNG, JPEG, WebP, GIF or BMP).")
        return label_value(read_ruled(self.model, client_image(image, "The image")))

    # -- the page ------------------------------------------------------------------------
    def render(self) -> None:
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                pad = drawing_pad(label="Draw one character", canvas=CANVAS, brush=BRUSH_RADIUS, elem_id="read-pad",
                                  live_ms=LIVE_MS, ruled=True)
                examples = example_strip(EXAMPLES, title="Or try a drawing (it goes into the pad)",
                                         elem_id="read-examples")
            with gr.Column(scale=2, min_width=280):
                # The reading first: on a phone the columns stack, and it must show under the pad.
                label = gr.Label(num_top_classes=TOP, label="What it reads", elem_id="read-label")
                hint = gr.Markdown(BLANK_HINT, elem_id="read-hint")
                with gr.Row():
                    seen = gr.Image(label="What the model saw (28×28)", interactive=False, height=PREVIEW + 40,
                                    buttons=["download"], elem_classes=["glyph-preview"], format="png",
                                    elem_id="read-seen")
                    redrawn = gr.Image(label="How it redraws it", interactive=False, height=PREVIEW + 40,
                                       buttons=["download"], elem_classes=["glyph-preview"], format="png",
                                       elem_id="read-redrawn")
                with gr.Accordion("Or upload a picture of a character", open=False):
                    # a File, not an Image: Gradio would decode an Image before our checks
                    # and turn a bad file into a vague error
                    upload = gr.File(label="Picture (PNG, JPEG, WebP...)", file_types=["image"], type="filepath",
                                     elem_id="read-upload")
        outputs = [label, seen, redrawn, hint]
        examples.click(self.read_example, None, [pad, *outputs], api_visibility="private")
        # One listener for drawing and clearing, answered in order (always_last): the answer
        # to a clear always comes after any reading still on its way, so it is the one left.
        pad.input(self.read_pad, pad, outputs, show_progress="hidden", trigger_mode="always_last",
                  api_visibility="private")
        upload.upload(self.read_upload, upload, [pad, *outputs], api_visibility="private")
        gr.api(self.classify, api_name="classify")
        gr.api(self.classify_ruled, api_name="classify_ruled")
