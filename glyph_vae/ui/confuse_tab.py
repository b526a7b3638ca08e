"""The "Confuse this digit" tab: walk from a digit towards its nearest other digit and stop between."""
import numpy as np
import gradio as gr
from gradio.data_classes import FileData

from ..confuse import CRITERIA, Confuser, MuddleResult, check_criterion, latent_map, mutual_information
from ..errors import BlankDrawingError, SettingError, check_seed, shown
from ..model import CHARSET, GlyphVAE
from ..preprocess import normalize_glyph
from ..reading import read_glyphs
from ..render import glyph_image, inked_glyph_image, labelled_strip, path_gif
from ..serving import OutputFiles
from .common import file_data, user_errors, warn
from .inputs import client_image
from .pad import drawing_pad
from .read_tab import BRUSH_RADIUS, CANVAS

DIGITS = [str(d) for d in range(10)]
# How the muddle is chosen: (the tab's words, the API's value); the first is the default.
CRITERION_CHOICES = [("the scorers' closest 50/50", "balance"),
                     ("far from both a and b (largest mse to each)", "far_from_both")]
assert [value for _, value in CRITERION_CHOICES] == list(CRITERIA)


class ConfuseTab:
    """Handlers of the tab (plain functions of the models) and its part of the page."""

    def __init__(self, confuser: Confuser, reader: GlyphVAE, files: OutputFiles):
        self.confuser, self.reader, self.files = confuser, reader, files

    # -- handlers ----------------------------------------------------------------------
    def muddle(self, digit, drawing, seed, criterion="balance") -> tuple[MuddleResult, dict]:
        """The muddle of `digit`, or of the drawing when it has ink, and its summary.

        A drawing is read twice: by GlyphVAE over all 62 characters (what it is), and by
        the confuser's digit scorers (which digit to start from). A drawing that reads as a
        letter is still used, as the digit it is most like, and the user is told."""
        seed = check_seed(seed)
        criterion = check_criterion(criterion)
        glyph = None
        drawing = client_image(drawing)
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
                raise SettingError(f"Choose a digit from 0 to 9 (not {shown(digit)}), or draw one.")
            digit = int(str(digit).strip())
        result = self.confuser.confuse(digit, seed, drawing=glyph, criterion=criterion)
        info = {**result.summary(), "seed": seed, "from_drawing": glyph is not None, "read_as": read_as}
        return result, info

    def pictures(self, result: MuddleResult, seed: int) -> tuple[str, str, str, str]:
        """a, b, the muddle (PNG paths) and the path as a looping GIF."""
        gif = self.files.save(path_gif([f.image for f in result.path]),
                              f"muddle_{result.digit}{result.partner}_{seed}.gif")
        return (self.files.png(glyph_image(result.a), "a"), self.files.png(glyph_image(result.b), "b"),
                self.files.png(inked_glyph_image(result.muddle.image, 336), "muddle"), gif)

    @user_errors
    def confuse_ui(self, digit, drawing, seed, criterion="balance"):
        """The tab's button: the pictures, the summary, the result (for the details) and the
        digit that was used (the radio follows a drawing)."""
        result, info = self.muddle(digit, drawing, seed, criterion)
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
        return (self.files.png(strip, "path"), self.files.png(latent_map(self.confuser.autoencoder, result),
                                                               "latent_map"), self.verdict(result))

    def verdict(self, result: MuddleResult) -> str:
        """How the app's own panel of scorers reads the muddle: together, and each one."""
        d, e = result.digit, result.partner
        p_d, p_e = result.muddle.probs[d], result.muddle.probs[e]
        if result.good:
            verdict = "**A good muddle**: every scorer sees a {d} or a {e}, and together they split it"
        elif result.qualifies:
            verdict = "**Between on average, but not for every scorer**"
        elif result.every_scorer_reads_pair:
            verdict = "**Every scorer sees a {d} or a {e}, but they do not split it evenly**"
        else:
            verdict = "**Only partly between**"
        each = "; ".join(f"{name}: {d} {p[d]:.0%}, {e} {p[e]:.0%}"
                         for name, p in zip(self.confuser.scorer_names, result.muddle.each))
        how = ("chosen as the path's frame farthest from both a and b (mean squared error)"
               if result.criterion == "far_from_both" else
               "then moved off the straight path, where real digits' codes still live, to where the scorers "
               "split it more evenly" if result.off_line else
               "found by bisecting between two frames of the path" if result.refined else
               "the path's frame the scorers find closest to 50/50")
        return (f"{verdict.format(d=d, e=e)}. For the app's scorers together the muddle reads as **{d}** {p_d:.0%} "
                f"and **{e}** {p_e:.0%} (together {p_d + p_e:.0%}; balance {result.balance:.0%}, where 100% is an exact "
                f"tie; disagreement {mutual_information(result.muddle.each):.2f} nats). Each on its own: {each}. "
                f"It sits at {result.muddle.weight:.0%} of the way from a to b, {how}.")

    @staticmethod
    def new_seed() -> int:
        return int(np.random.default_rng().integers(0, 2**31))

    # -- the API -------------------------------------------------------------------------
    @user_errors
    def confuse(self, digit: str, drawing: dict | None, seed: int) -> tuple[FileData, FileData, FileData, FileData, dict]:
        """Make an ambiguous digit: walk from a digit towards the nearest other digit and stop between them.

        A small autoencoder encodes a real MNIST image of the digit (or the drawing), walks its
        10-d latent space towards the nearest other digit's cluster, and returns the frame on
        that path that the app's digit scorers find most evenly split between the two.

        Args:
            digit: "0" to "9", the digit to start from (ignored when the drawing has ink).
            drawing: None, or a drawing of a digit as a sketchpad value {"background": None, "layers": [], "composite": an image file}.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same muddle.

        Returns:
            a (PNG), b (PNG), the muddle (PNG), the path as a looping GIF, and a summary: digit, partner, probabilities of all ten digits for the muddle, p_digit, p_partner, balance (1 = exact tie), pair_mass, truly_between, blend_weight, refined_by_bisection, every_scorer_reads_the_pair, good_muddle, mutual_information, scorers (each scorer's ten probabilities), criterion, off_line (the muddle was found off the straight path), seed, from_drawing, read_as.
        """
        return self.confuse_by(digit, drawing, seed, "balance")

    @user_errors
    def confuse_by(self, digit: str, drawing: dict | None, seed: int,
                   criterion: str) -> tuple[FileData, FileData, FileData, FileData, dict]:
        """Make an ambiguous digit as /confuse does, choosing the muddle among the path's frames by a criterion.

        Args:
            digit: "0" to "9", the digit to start from (ignored when the drawing has ink).
            drawing: None, or a drawing of a digit as a sketchpad value {"background": None, "layers": [], "composite": an image file}.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same muddle.
            criterion: "balance" (what /confuse does: the frame the app's digit scorers find closest to 50/50, refined by bisection and a search off the path) or "far_from_both" (the path's frame that maximises mse(frame, a) + mse(frame, b)).

        Returns:
            What /confuse returns; the summary's criterion says which was used.
        """
        result, info = self.muddle(digit, drawing, seed, criterion)
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
                criterion = gr.Radio(CRITERION_CHOICES, value="balance", label="Choose the muddle by",
                                     elem_id="confuse-criterion")
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
        go.click(self.confuse_ui, [digit, pad, seed, criterion], outputs, **quiet).success(
            self.details, state, [strip, latent, verdict], **quiet)
        # A drawn digit is confused as soon as the pen lifts (the last stroke's answer is shown).
        pad.input(self.confuse_ui, [digit, pad, seed, criterion], outputs, trigger_mode="always_last", show_progress="minimal",
                  **quiet).success(self.details, state, [strip, latent, verdict], **quiet)
        again.click(self.new_seed, None, seed, queue=False, **quiet).then(
            self.confuse_ui, [digit, pad, seed, criterion], outputs, **quiet).success(
            self.details, state, [strip, latent, verdict], **quiet)
        gr.api(self.confuse, api_name="confuse")
        gr.api(self.confuse_by, api_name="confuse_by")
