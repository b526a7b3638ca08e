"""The "Confuse this digit" tab: a digit, its nearest other digit, and a picture between them."""
import numpy as np
import gradio as gr
from gradio.data_classes import FileData
from PIL import Image

from ..pipelines.confuse import (CRITERIA, DEFAULT_MAKER, MAKERS, Confuser, MuddleResult, latent_map)
from ..errors import BlankDrawingError, SettingError, UserInputError, shown
from ..models.model import CHARSET, GlyphVAE
from ..glyphs.preprocess import normalize_glyph
from ..pipelines.reading import read_glyphs
from ..glyphs.render import glyph_image, labelled_strip, path_gif
from ..serving import OutputFiles
from .common import file_data, user_errors
from .inputs import client_image
from .pad import drawing_pad
from .read_tab import BRUSH_RADIUS, CANVAS

DIGITS = [str(d) for d in range(10)]
DEFAULT_DIGIT = "3"
# How the muddle is chosen: (the tab's words, the API's value); the first is the default.
CRITERION_CHOICES = [("the readers' closest 50/50", "balance"),
                     ("far from both ends of the path (largest mse to each)", "far_from_both")]
assert [value for _, value in CRITERION_CHOICES] == list(CRITERIA)
# Who makes it; the first is the default (glyph_vae.pipelines.confuse.DEFAULT_MAKER).
MAKER_CHOICES = [("GlyphVAE, drawing a class between the two digits", "class_mix"),
                 ("the muddle autoencoder, walking its latent space", "autoencoder")]
assert [value for _, value in MAKER_CHOICES] == list(MAKERS) and MAKERS[0] == DEFAULT_MAKER


# The Confuse pad asks for a digit: a drawing on it is this many times likelier a digit than a
# letter, a priori. A drawn 0 that the 62-way reader calls an O (46%, against 22% for 0) is then
# a 0; a drawn A (a digit at 1%) is still an A, and refused.
DIGIT_PAD_ODDS = 10.0


def on_a_digit_pad(probabilities: np.ndarray) -> np.ndarray:
    """A reading over the 62 characters (62,) as of a drawing on a pad that asks for a digit: the
    digits' probabilities weighted by DIGIT_PAD_ODDS against the letters' (Bayes' rule with that
    prior), renormalised."""
    weighted = np.asarray(probabilities, np.float64).copy()
    weighted[:len(DIGITS)] *= DIGIT_PAD_ODDS
    return weighted / weighted.sum()


class NotADigitError(UserInputError):
    """A drawing that GlyphVAE reads as a letter: there is no digit to confuse."""


class ConfuseTab:
    """Handlers of the tab (plain functions of the models) and its part of the page."""

    def __init__(self, confuser: Confuser, reader: GlyphVAE, files: OutputFiles):
        self.confuser, self.reader, self.files = confuser, reader, files

    # -- handlers ----------------------------------------------------------------------
    def muddle(self, digit, drawing, seed, criterion="balance", maker=DEFAULT_MAKER) -> tuple[MuddleResult, dict]:
        """The muddle of `digit`, or of the drawing when it has ink, and its summary.

        A drawing is read by GlyphVAE over all 62 characters, as drawn on a pad that asks for a
        digit (`on_a_digit_pad`); one that still reads as a letter is refused (NotADigitError),
        never swapped for a digit it is not."""
        glyph = None
        drawing = client_image(drawing)
        if drawing is not None:
            try:
                glyph = normalize_glyph(drawing)
            except BlankDrawingError:
                glyph = None  # an empty pad means: use the chosen digit
        read_as = None
        if glyph is not None:
            read_as = CHARSET[int(on_a_digit_pad(read_glyphs(self.reader, glyph[None])[0][0]).argmax())]
            if read_as not in DIGITS:
                raise NotADigitError(f"Your drawing reads as {read_as!r}, which is not a digit. Draw a digit from "
                                     "0 to 9, or clear the pad to confuse the digit chosen above.")
            digit = int(read_as)
        else:
            if digit is None or str(digit).strip() not in DIGITS:
                raise SettingError(f"Choose a digit from 0 to 9 (not {shown(digit)}), or draw one.")
            digit = int(str(digit).strip())
        result = self.confuser.confuse(digit, seed, drawing=glyph, criterion=criterion, maker=maker)
        info = {**result.summary(), "seed": result.seed, "from_drawing": glyph is not None, "read_as": read_as}
        return result, info

    def pictures(self, result: MuddleResult, seed: int) -> tuple[str, str, str, str]:
        """a, b, the muddle as shown (PNG paths) and the path as shown, as a looping GIF."""
        gif = self.files.save(path_gif([f.picture for f in result.shown_path]),
                              f"muddle_{result.digit}{result.partner}_{seed}.gif")
        return (self.files.png(glyph_image(result.a), "a"), self.files.png(glyph_image(result.b), "b"),
                self.files.png(Image.fromarray(result.picture), "muddle"), gif)

    def answer(self, digit, drawing, seed, criterion="balance", maker=DEFAULT_MAKER):
        """What every /confuse endpoint returns: the four pictures' paths and the summary; and the
        result, for the tab's details."""
        result, info = self.muddle(digit, drawing, seed, criterion, maker)
        return (*self.pictures(result, info["seed"]), info), result

    @user_errors
    def confuse_ui(self, digit, drawing, seed, criterion="balance", maker=DEFAULT_MAKER):
        """The tab: the pictures, the summary, the result (for the details) and the digit that
        was used (the radio follows a drawing). A drawing that reads as a letter empties the
        pictures and leaves its message for the verdict, in place of the answer: one message
        that the next stroke replaces, where toasts would pile up at every pen-up."""
        try:
            outputs, result = self.answer(digit, drawing, seed, criterion, maker)
        except NotADigitError as refused:
            return None, None, None, None, None, str(refused), gr.update()
        return (*outputs, result, str(result.digit))

    @user_errors
    def confuse_digit_ui(self, digit, seed, criterion="balance", maker=DEFAULT_MAKER):
        """Choosing a digit: its muddle (the pad is emptied: the chosen digit is what is confused)."""
        outputs, result = self.answer(digit, None, seed, criterion, maker)
        return (*outputs, result, str(result.digit), "")

    def details(self, result: MuddleResult | None):
        """The path strip with each frame's two top digits, the latent map and the verdict."""
        if result is None:
            return None, None, ""
        if isinstance(result, str):  # the drawing was refused: its message stands in the verdict's place
            return None, None, f"**{result}**"
        frames, captions, chosen = [], [], None
        for i, f in enumerate(result.strip_path):
            top = np.argsort(-f.probs)[:2]
            frames.append(f.picture)
            captions.append(f"{top[0]}: {f.probs[top[0]]:.0%}\n{top[1]}: {f.probs[top[1]]:.0%}")
            if f is result.muddle:
                chosen = i
        strip = labelled_strip(frames, captions, highlight=chosen)
        return (self.files.png(strip, "path"), self.files.png(latent_map(self.confuser.autoencoder, result),
                                                               "latent_map"), self.verdict(result))

    def verdict(self, result: MuddleResult) -> str:
        """In plain words: how the app's digit readers read the picture shown, and how it was made."""
        d, e = result.digit, result.partner
        p_d, p_e = result.muddle.probs[d], result.muddle.probs[e]
        n = len(result.muddle.each)
        others = [k for k in np.argsort(-result.muddle.probs) if k not in (d, e)]
        if result.good:
            head = (f"**A good muddle.** All {n} of the app's digit readers see a {d} or a {e} in this picture, "
                    f"and they are split between the two")
        elif result.qualifies:
            strays = [name for name, p in zip(self.confuser.scorer_names, result.muddle.each)
                      if set(np.argsort(-p)[:2].tolist()) != {d, e} or p[d] + p[e] < 0.8]
            head = (f"**Half a muddle.** On average the readers are split between {d} and {e}, but "
                    f"{' and '.join(strays)} {'sees' if len(strays) == 1 else 'see'} something else as well")
        elif max(p_d, p_e) >= 0.8:
            head = f"**Not a muddle: the readers see a {d if p_d > p_e else e}**"
        elif result.every_scorer_reads_pair:
            leans = d if p_d > p_e else e
            head = f"**Not quite between.** Every reader sees a {d} or a {e}, but most of them lean to {leans}"
        else:
            head = (f"**Not a clear muddle.** The readers do not all see a {d} or a {e}; the next most likely "
                    f"digit is {others[0]}")
        if result.maker == "class_mix":
            made = (f"GlyphVAE drew it, asked for a character {result.muddle.weight:.0%} of the way from {d} to {e} "
                    f"in the handwriting of the digit you started from")
        elif result.off_line:
            made = (f"The muddle autoencoder drew it, about {result.muddle.weight:.0%} of the way from a to b, then "
                    f"moved off the straight path to where the readers split it more evenly")
        else:
            made = f"The muddle autoencoder drew it, {result.muddle.weight:.0%} of the way from a to b"
        how = ("the frame of the path farthest from both ends (mean squared error)"
               if result.criterion == "far_from_both" else "the frame the readers split most evenly")
        each = "; ".join(f"{name}: {d} {p[d]:.0%}, {e} {p[e]:.0%}"
                         for name, p in zip(self.confuser.scorer_names, result.muddle.each))
        return (f"{head}: together they read it as **{d}** {p_d:.0%} and **{e}** {p_e:.0%}.\n\n"
                f"{made}; it is {how}. Each reader on its own: {each}.")

    @staticmethod
    def new_seed() -> int:
        return int(np.random.default_rng().integers(0, 2**31))

    # -- the API -------------------------------------------------------------------------
    @user_errors
    def confuse(self, digit: str, drawing: dict | None, seed: int) -> tuple[FileData, FileData, FileData, FileData, dict]:
        """Make an ambiguous digit: from a digit towards the nearest other digit, stopping between them.

        GlyphVAE, asked for a character between the digit and its nearest other digit in the
        handwriting of a real MNIST image of the digit (or of the drawing), draws the picture
        that the app's five digit readers find most evenly split between the two.

        Args:
            digit: "0" to "9", the digit to start from (ignored when the drawing has ink).
            drawing: None, or a drawing of a digit as a sketchpad value {"background": None, "layers": [], "composite": an image file}; a drawing that reads as a letter is refused.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same muddle.

        Returns:
            a (PNG), b (PNG), the muddle as shown (PNG), the path as a looping GIF, and a summary: digit, partner, probabilities of all ten digits for the muddle as shown, p_digit, p_partner, balance (1 = exact tie), pair_mass, truly_between, blend_weight (how far along the path), refined_by_bisection, every_scorer_reads_the_pair, good_muddle, mutual_information, scorers (each scorer's ten probabilities), criterion, off_line, maker ("class_mix"), seed, from_drawing, read_as.
        """
        return self._api(digit, drawing, seed, "balance", DEFAULT_MAKER)

    @user_errors
    def confuse_by(self, digit: str, drawing: dict | None, seed: int,
                   criterion: str) -> tuple[FileData, FileData, FileData, FileData, dict]:
        """Make an ambiguous digit as /confuse does, choosing the muddle among the path's frames by a criterion.

        Args:
            digit: "0" to "9", the digit to start from (ignored when the drawing has ink).
            drawing: None, or a drawing of a digit as a sketchpad value {"background": None, "layers": [], "composite": an image file}.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same muddle.
            criterion: "balance" (what /confuse does: the frame the app's digit readers find closest to 50/50, refined by bisection) or "far_from_both" (the path's frame that maximises mse(frame, start) + mse(frame, end)).

        Returns:
            What /confuse returns; the summary's criterion says which was used.
        """
        return self._api(digit, drawing, seed, criterion, DEFAULT_MAKER)

    @user_errors
    def confuse_with(self, digit: str, drawing: dict | None, seed: int, criterion: str,
                     maker: str) -> tuple[FileData, FileData, FileData, FileData, dict]:
        """Make an ambiguous digit as /confuse_by does, with the muddle maker of your choice.

        Args:
            digit: "0" to "9", the digit to start from (ignored when the drawing has ink).
            drawing: None, or a drawing of a digit as a sketchpad value {"background": None, "layers": [], "composite": an image file}.
            seed: a whole number from 0 to 2^63-1; the same inputs and seed give the same muddle.
            criterion: "balance" or "far_from_both", as for /confuse_by.
            maker: "class_mix" (what /confuse does: GlyphVAE draws a class vector between the two digits in one handwriting) or "autoencoder" (the muddle autoencoder walks its 10-d latent space from a real image of the digit to one of the other, and off that path).

        Returns:
            What /confuse returns; the summary's maker says which made the muddle.
        """
        return self._api(digit, drawing, seed, criterion, maker)

    def _api(self, digit, drawing, seed, criterion, maker):
        (a, b, muddle, gif, info), _ = self.answer(digit, drawing, seed, criterion, maker)
        return file_data(a), file_data(b), file_data(muddle), file_data(gif), info

    # -- layout ----------------------------------------------------------------------------
    def render(self, demo: gr.Blocks) -> None:
        gr.Markdown("Pick a digit (or draw one): the app walks from it towards the nearest *other* digit and "
                    "shows the picture that sits between them, still a digit, but which?")
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                digit = gr.Radio(DIGITS, value=DEFAULT_DIGIT, label="Digit", elem_id="confuse-digit")
                with gr.Accordion("Or draw your own digit", open=False):
                    pad = drawing_pad(label="Your digit (leave empty to use the one chosen above)", canvas=CANVAS,
                                      brush=BRUSH_RADIUS, elem_id="confuse-pad", ruled=True)
                maker = gr.Radio(MAKER_CHOICES, value=DEFAULT_MAKER, label="Made by", elem_id="confuse-maker")
                criterion = gr.Radio(CRITERION_CHOICES, value="balance", label="Choose the muddle by",
                                     elem_id="confuse-criterion")
                seed = gr.Number(value=0, label="Seed", info="a whole number: the same seed, the same muddle",
                                 elem_id="confuse-seed")
                with gr.Row():
                    go = gr.Button("Confuse this digit", variant="primary", elem_id="confuse-go")
                    again = gr.Button("Another one (new seed)", elem_id="confuse-again")
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    a = gr.Image(label="a: the digit", height=200, format="png", elem_id="confuse-a")
                    b = gr.Image(label="b: its nearest other digit", height=200, format="png", elem_id="confuse-b")
                muddle = gr.Image(label="The muddle", height=360, format="png", elem_id="confuse-muddle")
                verdict = gr.Markdown(elem_id="confuse-verdict")
        with gr.Row(equal_height=False):
            gif = gr.Image(label="The path as a loop (download it with the button)", type="filepath", height=220,
                           elem_id="confuse-gif")
            latent = gr.Image(label="Where the muddle autoencoder places a, b and the muddle", height=420,
                              format="png", elem_id="confuse-map")
        strip = gr.Image(label="The path, frame by frame, with each frame's two top digits", format="png",
                         elem_id="confuse-strip")
        details = gr.JSON(label="Details", elem_id="confuse-json")
        state = gr.State()

        quiet = dict(api_visibility="private")
        # The progress shows on the muddle alone: the Digit radio is an output too (it follows a
        # drawing), and a spinner over it would hide the digits while the muddle is made.
        making = dict(quiet, show_progress_on=[muddle])
        inputs = [digit, pad, seed, criterion, maker]
        outputs = [a, b, muddle, gif, details, state, digit]
        explained = [strip, latent, verdict]

        def then_explain(event):
            event.success(self.details, state, explained, **quiet)

        # On arrival, and whenever a choice changes, the muddle follows (the user's own changes
        # only: `.input`, so that the radio following a drawing does not run it again).
        then_explain(demo.load(self.confuse_ui, inputs, outputs, **making))
        then_explain(digit.input(self.confuse_digit_ui, [digit, seed, criterion, maker], outputs + [pad],
                                 trigger_mode="always_last", **making))
        for control in (criterion, maker):
            then_explain(control.input(self.confuse_ui, inputs, outputs, trigger_mode="always_last", **making))
        then_explain(go.click(self.confuse_ui, inputs, outputs, **making))
        # A drawn digit is confused as soon as the pen lifts (the last stroke's answer is shown).
        then_explain(pad.input(self.confuse_ui, inputs, outputs, trigger_mode="always_last",
                               show_progress="minimal", **making))
        then_explain(again.click(self.new_seed, None, seed, queue=False, **quiet).then(
            self.confuse_ui, inputs, outputs, **making))
        gr.api(self.confuse, api_name="confuse")
        gr.api(self.confuse_by, api_name="confuse_by")
        gr.api(self.confuse_with, api_name="confuse_with")
