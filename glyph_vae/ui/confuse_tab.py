"""The "Confuse this digit" tab: walk from a digit towards its nearest other digit and stop between."""
import numpy as np
import gradio as gr
from gradio.data_classes import FileData

from ..confuse import Confuser, MuddleResult, latent_map
from ..errors import BlankDrawingError, SettingError, check_seed
from ..model import CHARSET, GlyphVAE
from ..preprocess import normalize_glyph
from ..reading import read_glyphs
from ..render import glyph_image, labelled_strip, path_gif
from ..serving import OutputFiles
from .common import file_data, user_errors, warn
from .pad import drawing_pad
from .read_tab import BRUSH_RADIUS, CANVAS

DIGITS = [str(d) for d in range(10)]


class ConfuseTab:
    """Handlers of the tab (plain functions of the models) and its part of the page."""

    def __init__(self, confuser: Confuser, reader: GlyphVAE, files: OutputFiles):
        self.confuser, self.reader, self.files = confuser, reader, files

    # -- handlers ----------------------------------------------------------------------
    def muddle(self, digit, drawing, seed) -> tuple[MuddleResult, dict]:
        """The muddle of `digit`, or of the drawing when it has ink, and its summary.

        A drawing is read twice: by GlyphVAE over all 62 characters (what it is), and by
        the confuser's digit scorers (which digit to start from). A drawing that reads as a
        letter is still used, as the digit it is most like, and the user is told."""
        seed = check_seed(seed)
        glyph = None
        if drawing is not None:
            try:
                glyph = normalize_glyph(drawing)
            except BlankDrawingError:
                glyph = None  # an empty pad means: use the chosen digit
        read_as = None
        if glyph is not None:
            read_as = CHARSET[int(read_glyphs(self.reader, glyph[None])[0][0].argmax())]
            digit = int(np.argmax(self.confuser.scorer(glyph[None])[0]))
            if read_as not in DIGITS:
                warn(f"Your drawing reads as {read_as!r}, which is not a digit; it is used as the digit it "
                     f"looks most like, {digit}.")
        else:
            if digit is None or str(digit).strip() not in DIGITS:
                raise SettingError(f"Choose a digit from 0 to 9 (not {digit!r}), or draw one.")
            digit = int(str(digit).strip())
        result = self.confuser.confuse(digit, seed, drawing=glyph)
        info = {**result.summary(), "seed": seed, "from_drawing": glyph is not None, "read_as": read_as}
        return result, info

    def pictures(self, result: MuddleResult, seed: int) -> tuple[str, str, str, str]:
        """a, b, the muddle (PNG paths) and the path as a looping GIF."""
        gif = self.files.save(path_gif([f.image for f in result.path]),
                              f"muddle_{result.digit}{result.partner}_{seed}.gif")
        return (self.files.png(glyph_image(result.a), "a"), self.files.png(glyph_image(result.b), "b"),
                self.files.png(glyph_image(result.muddle.image, 336, smooth=True), "muddle"), gif)

    @user_errors
    def confuse_ui(self, digit, drawing, seed):
        """The tab's button: the pictures, the summary, the result (for the details) and the
        digit that was used (the radio follows a drawing)."""
        result, info = self.muddle(digit, drawing, seed)
        return (*self.pictures(result, info["seed"]), info, result, str(result.digit))

    def details(self, result: MuddleResult | None):
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
        verdict = "**Truly between**" if result.qualifies else "**Only partly between**"
        text = (f"{verdict}: the muddle reads as **{result.digit}** {p_d:.0%} and **{result.partner}** {p_e:.0%} "
                f"(together {p_d + p_e:.0%}; balance {result.balance:.0%}, where 100% is an exact tie). "
                f"It sits at {result.muddle.weight:.0%} of the way from a to b"
                + (", found by bisecting between two frames of the path." if result.refined else "."))
        return (self.files.png(strip, "path"), self.files.png(latent_map(self.confuser.autoencoder, result),
                                                               "latent_map"), text)

    @staticmethod
    def new_seed() -> int:
        return int(np.random.default_rng().integers(0, 2**31))

    # -- the API -------------------------------------------------------------------------
    @user_errors
    def confuse(self, digit: str, drawing: dict | None, seed: int) -> tuple[FileData, FileData, FileData, FileData, dict]:
        """Make an ambiguous digit: walk from a digit towards the nearest other digit and stop between them.

        A small autoencoder encodes a real MNIST image of the digit (or the drawing), walks its
        10-d latent space towards the nearest other digit's cluster, and returns the frame on
        that path that is most truly between the two.

        Args:
            digit: "0" to "9", the digit to start from (ignored when the drawing has ink).
            drawing: None, or a drawing of a digit as a sketchpad value {"background": None, "layers": [], "composite": an image file}.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same muddle.

        Returns:
            a (PNG), b (PNG), the muddle (PNG), the path as a looping GIF, and a summary: digit, partner, probabilities of all ten digits for the muddle, p_digit, p_partner, balance (1 = exact tie), pair_mass, truly_between, blend_weight, refined_by_bisection, seed, from_drawing, read_as.
        """
        result, info = self.muddle(digit, drawing, seed)
        a, b, muddle, gif = self.pictures(result, info["seed"])
        return file_data(a), file_data(b), file_data(muddle), file_data(gif), info

    # -- layout ----------------------------------------------------------------------------
    def render(self) -> None:
        gr.Markdown("Pick a digit (or draw one): the muddle autoencoder walks from it towards the nearest "
                    "*other* digit and shows the image that sits between them, still a digit, but which?")
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                digit = gr.Radio(DIGITS, value="3", label="Digit", elem_id="confuse-digit")
                with gr.Accordion("Or draw your own digit", open=False):
                    pad = drawing_pad(label="Your digit (leave empty to use the one chosen above)", canvas=CANVAS,
                                      brush=BRUSH_RADIUS, elem_id="confuse-pad")
                seed = gr.Number(value=0, label="Seed", info="a whole number: the same seed, the same muddle",
                                 elem_id="confuse-seed")
                with gr.Row():
                    go = gr.Button("Confuse this digit", variant="primary", elem_id="confuse-go")
                    again = gr.Button("Re-generate (new seed)", elem_id="confuse-again")
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    a = gr.Image(label="a: the digit", height=200, format="png", elem_id="confuse-a")
                    b = gr.Image(label="b: its nearest other digit", height=200, format="png", elem_id="confuse-b")
                muddle = gr.Image(label="The muddle", height=360, format="png", elem_id="confuse-muddle")
                verdict = gr.Markdown(elem_id="confuse-verdict")
        with gr.Row(equal_height=False):
            gif = gr.Image(label="The path as a loop (download it with the button)", type="filepath", height=220,
                           elem_id="confuse-gif")
            latent = gr.Image(label="Latent map", height=420, format="png", elem_id="confuse-map")
        strip = gr.Image(label="The path, frame by frame, with each frame's two top digits", format="png",
                         elem_id="confuse-strip")
        details = gr.JSON(label="Details", elem_id="confuse-json")
        state = gr.State()

        quiet = dict(api_visibility="private")
        outputs = [a, b, muddle, gif, details, state, digit]
        go.click(self.confuse_ui, [digit, pad, seed], outputs, **quiet).success(
            self.details, state, [strip, latent, verdict], **quiet)
        # A drawn digit is confused as soon as the pen lifts (the last stroke's answer is shown).
        pad.input(self.confuse_ui, [digit, pad, seed], outputs, trigger_mode="always_last", show_progress="minimal",
                  **quiet).success(self.details, state, [strip, latent, verdict], **quiet)
        again.click(self.new_seed, None, seed, queue=False, **quiet).then(
            self.confuse_ui, [digit, pad, seed], outputs, **quiet).success(
            self.details, state, [strip, latent, verdict], **quiet)
        gr.api(self.confuse, api_name="confuse")
