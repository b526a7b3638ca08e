"""Confuse this digit: a digit d, its nearest other digit e, and a picture between them.

Two muddle makers walk from d to e and give a path of frames:
- "autoencoder" (mnistMuddle's method): encode an image a of d in the muddle autoencoder's
  10-d latent space, find the nearest centroid of another digit e, take a random image b of e
  and decode latents on the straight path from a to b (then off it, where real codes live).
- "class_mix": GlyphVAE is class-conditional; asked for a class vector (1 - w) d + w e in the
  style z of a, its decoder draws one glyph between the two. The mix weight w is the path;
  a few styles around a's posterior are tried, and the path is the chosen style's.

Every frame is shown as a picture (`shown_pictures`: scaled up, inked as the written glyphs
are) and every scorer reads that picture (`read_pictures`), so the frame chosen is chosen on
what a person sees. The "balance" criterion takes the frame that every scorer reads as a d or
an e with their mean closest to 50/50, bisecting the weight where their preference flips;
"far_from_both" (the "further thoughts" of the mnistMuddle write-up) takes the path's frame
that maximises mse(frame, a) + mse(frame, b) between the path's ends.

What counts as a good muddle (`is_good_muddle`, the benchmark's definition and the
tab's verdict): a panel of readers, whose mean has {d, e} as its top two, each 0.3-0.7,
together >= 0.9, and every one of whom on its own has {d, e} as its top two with
p_d + p_e >= 0.8 (all readers see a d-or-e digit; their opinions split).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from ..models.chooser import MEMBERS as CHOOSER_MEMBERS
from ..errors import BlankDrawingError, SettingError, check_seed, shown
from ..models.muddle import MuddleAutoencoder
from ..glyphs.preprocess import normalize_ink
from .style import INK_FLOOR, INK_SPAN, full_strength


class CriterionError(SettingError):
    """A criterion for choosing the muddle that is not one of CRITERIA."""


class MakerError(SettingError):
    """A muddle maker that is not one of MAKERS."""


DigitScorer = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28) glyphs -> (N, 10) probabilities
# (N, 1, 28, 28) glyphs already framed by the shared normalisation -> (N, 10) probabilities
DigitPredictor = Callable[[torch.Tensor], torch.Tensor]


def probability_scorer(predict: DigitPredictor) -> DigitScorer:
    """A DigitScorer from a predictor: it first frames every glyph by the shared
    normalisation (decoded frames are not), as the predictor was trained on."""

    @torch.no_grad()
    def score(glyphs: np.ndarray) -> np.ndarray:
        return predict(frame_glyphs(glyphs)).numpy()

    return score


def frame_glyphs(glyphs: np.ndarray) -> torch.Tensor:
    """(N, 28, 28) decoded frames -> (N, 1, 28, 28) framed as the scorers were trained."""
    return torch.from_numpy(np.stack([_reframe(g) for g in glyphs])).float().unsqueeze(1)


def glyph_vae_digit_probabilities(model) -> DigitPredictor:
    """GlyphVAE's class head restricted to the ten digits."""
    return lambda x: model.read_logits(x)[:, :10].softmax(dim=1)


def digit_classifier_probabilities(model) -> DigitPredictor:
    """A dedicated digit classifier (glyph_vae.models.digits.DigitClassifier)."""
    return model.eval().probabilities


def _reframe(glyph: np.ndarray) -> np.ndarray:
    try:
        return normalize_ink(glyph)
    except BlankDrawingError:
        return glyph.astype(np.float32)


# The muddle as shown: each 28x28 frame scaled up SHOWN_SCALE times (bicubic), then inked by the
# pen's curve of the written glyphs (`style.ink`, after `style.full_strength`), dark on white.
# Every scorer, the benchmark's panel and the tab's verdict read this picture, reduced back to the
# glyph grid by averaging each SHOWN_SCALE x SHOWN_SCALE block (`read_pictures`). 6x (168 px):
# a one-pixel anti-aliased edge at the size the tab shows it, and several times faster to treat
# than 336 px (docs/experiments/choices.md has the timings).
SHOWN_SCALE = 6
SHOWN_SIZE = 28 * SHOWN_SCALE


@functools.lru_cache(maxsize=4)
def _upscale_matrix(scale: int) -> torch.Tensor:
    """(28 * scale, 28): bicubic upscaling of one axis as a matrix (torch's bicubic kernel)."""
    eye = torch.eye(28)[None, None]
    return torch.nn.functional.interpolate(eye, size=(28 * scale, 28), mode="bicubic", align_corners=False)[0, 0]


@functools.lru_cache(maxsize=4)
def _block_mean_matrix(scale: int) -> torch.Tensor:
    """(28, 28 * scale): the mean of each run of `scale` pixels along one axis."""
    return torch.kron(torch.eye(28), torch.full((1, scale), 1.0 / scale))


def shown_pictures(probabilities: np.ndarray, scale: int = SHOWN_SCALE) -> np.ndarray:
    """(N, 28, 28) pixel probabilities -> (N, 28 * scale, 28 * scale) uint8 pictures, dark ink on
    white: brought to full strength, scaled up smoothly, inked by the pen's curve. What the tab
    shows and /confuse returns, pixel for pixel."""
    p = torch.from_numpy(full_strength(np.asarray(probabilities, np.float32).reshape(-1, 28, 28)))
    up = _upscale_matrix(scale)
    ink = ((up @ p @ up.T - INK_FLOOR) / INK_SPAN).clamp(0.0, 1.0)
    return (255 - torch.round(ink * 255)).to(torch.uint8).numpy()


def read_pictures(pictures: np.ndarray) -> np.ndarray:
    """(N, H, W) or (H, W) uint8 pictures, dark ink on white, H and W a multiple of 28 (as
    `shown_pictures` makes them, or as a client decodes the returned PNG) -> (N, 28, 28) ink
    in [0, 1] on the glyph grid: each block of pixels averaged. The scorers frame it as usual."""
    pictures = np.asarray(pictures)
    if pictures.ndim == 2:
        pictures = pictures[None]
    if pictures.dtype != np.uint8 or pictures.ndim != 3 or pictures.shape[1] != pictures.shape[2] \
            or pictures.shape[1] % 28:
        raise ValueError(f"expected uint8 square pictures whose side is a multiple of 28, not "
                         f"{pictures.dtype} {pictures.shape}")
    block = _block_mean_matrix(pictures.shape[1] // 28)
    ink = 1.0 - torch.from_numpy(pictures if pictures.flags.writeable else pictures.copy()).float() / 255.0
    return (block @ ink @ block.T).numpy()


@dataclass
class Frame:
    weight: float  # 0 = a, 1 = b (the autoencoder's blend, or the class mix's weight of e)
    image: np.ndarray  # (28, 28) in [0, 1]: the maker's pixel probabilities
    probs: np.ndarray  # (10,) the scorers' mean, reading the picture (NaN: shown, not read)
    each: np.ndarray  # (scorers, 10) every scorer's own probabilities, reading the picture
    z: np.ndarray | None = None  # its latent, when it is off the straight path (weight: the point it left)
    picture: np.ndarray | None = None  # (SHOWN_SIZE, SHOWN_SIZE) uint8: the frame as shown
    style: int = 0  # class_mix: which of the styles tried drew it


@dataclass
class MuddleResult:
    digit: int
    partner: int
    a: np.ndarray
    b: np.ndarray
    z_a: np.ndarray
    z_b: np.ndarray
    path: list[Frame]
    muddle: Frame
    refined: bool
    bisection_rounds: int = 0  # rounds of batched bisection taken
    extra_frames: list[Frame] = field(default_factory=list)
    criterion: str = "balance"
    off_line_frames: list[Frame] = field(default_factory=list)  # the candidates tried off the path
    maker: str = "autoencoder"
    styles_tried: int = 1  # class_mix: how many styles were searched
    between_frames: list[Frame] = field(default_factory=list)  # class_mix: the path between its steps, for the GIF
    seed: int = 0  # the seed it was made with, as checked (a caller may have given "7" or 7.0)

    @property
    def off_line(self) -> bool:
        """The autoencoder's muddle was found off the straight path from a to b."""
        return self.maker == "autoencoder" and self.muddle.z is not None

    @property
    def strip_path(self) -> list[Frame]:
        """The path as the strip shows it: the maker's evenly spaced frames with the muddle in its
        place (by weight; a muddle found off the line, or by bisection, is added beside it)."""
        frames = list(self.path)
        if not any(f is self.muddle for f in frames):
            frames.append(self.muddle)
        return sorted(frames, key=lambda f: f.weight)

    @property
    def shown_path(self) -> list[Frame]:
        """The path as the GIF shows it: the strip's frames, the class mix's path between them
        (`between_frames`), and those the bisection drew where the digits change over, in order
        of weight, so the GIF slows down where the picture is in between."""
        strip = self.strip_path
        frames = strip + [f for f in self.extra_frames + self.between_frames if not any(f is g for g in strip)]
        return sorted(frames, key=lambda f: f.weight)

    @property
    def picture(self) -> np.ndarray:
        """The muddle as shown (uint8, dark on white)."""
        return self.muddle.picture if self.muddle.picture is not None else shown_pictures(self.muddle.image[None])[0]

    @property
    def balance(self) -> float:
        """1 when the two digits are exactly 50/50, 0 when one of them has it all."""
        p = self.muddle.probs
        return float(1 - abs(p[self.digit] - p[self.partner]) / max(1e-9, p[self.digit] + p[self.partner]))

    @property
    def pair_mass(self) -> float:
        return float(self.muddle.probs[self.digit] + self.muddle.probs[self.partner])

    @property
    def qualifies(self) -> bool:
        return is_between(self.muddle.probs, self.digit, self.partner)

    @property
    def good(self) -> bool:
        """A good muddle for the scorers that read it: their mean between d and e, and every
        one of them seeing a d-or-e digit (`is_good_muddle`)."""
        return is_good_muddle(self.muddle.each, self.digit, self.partner)

    @property
    def every_scorer_reads_pair(self) -> bool:
        return all(reads_as_pair(p, self.digit, self.partner) for p in self.muddle.each)

    def summary(self) -> dict:
        p = self.muddle.probs
        return {"digit": self.digit, "partner": self.partner, "blend_weight": round(self.muddle.weight, 4),
                "probabilities": {str(k): round(float(p[k]), 4) for k in range(10)},
                "p_digit": round(float(p[self.digit]), 4), "p_partner": round(float(p[self.partner]), 4),
                "balance": round(self.balance, 4), "pair_mass": round(self.pair_mass, 4),
                "truly_between": bool(self.qualifies), "refined_by_bisection": bool(self.refined),
                "every_scorer_reads_the_pair": bool(self.every_scorer_reads_pair), "good_muddle": bool(self.good),
                "mutual_information": round(mutual_information(self.muddle.each), 4),
                "scorers": [{str(k): round(float(p[k]), 4) for k in range(10)} for p in self.muddle.each],
                "criterion": self.criterion, "off_line": self.off_line, "maker": self.maker}


def is_between(probs: np.ndarray, d: int, e: int, low: float = 0.3, high: float = 0.7, mass: float = 0.9) -> bool:
    """The benchmark's test: top two are {d, e}, each in [low, high], together >= mass."""
    top2 = set(np.argsort(-probs)[:2].tolist())
    return bool(top2 == {d, e} and low <= probs[d] <= high and low <= probs[e] <= high and probs[d] + probs[e] >= mass)


def reads_as_pair(probs: np.ndarray, d: int, e: int, mass: float = 0.8) -> bool:
    """One reader sees a d-or-e digit: its top two are {d, e}, together >= mass."""
    return bool(set(np.argsort(-probs)[:2].tolist()) == {d, e} and probs[d] + probs[e] >= mass)


def is_good_muddle(each: np.ndarray, d: int, e: int, member_mass: float = 0.8) -> bool:
    """A good muddle for a panel of readers, `each` (readers, 10): the panel's mean is
    between d and e (`is_between`: top two {d, e}, each 0.3-0.7, together >= 0.9) and every
    reader on its own has {d, e} as its top two with p_d + p_e >= member_mass."""
    each = np.asarray(each, dtype=np.float64).reshape(-1, 10)
    return bool(is_between(each.mean(0), d, e) and all(reads_as_pair(p, d, e, member_mass) for p in each))


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats along the last axis."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    return -(p * np.log(p)).sum(-1)


def mutual_information(each: np.ndarray) -> float:
    """H(mean) - mean(H) over readers (readers, 10), in nats: the readers' disagreement
    (epistemic); low when they agree on how the image splits, whatever the split."""
    each = np.asarray(each, dtype=np.float64).reshape(-1, 10)
    return float(entropy(each.mean(0)) - entropy(each).mean())


MID_GREY = (0.25, 0.75)  # pixel values counted as mid-grey, after the shared normalisation
INK = 0.1  # pixel values above this count as ink


def mid_grey_share(glyphs: np.ndarray) -> float:
    """Of all ink (> 0.1) in the glyphs (N, 28, 28) in [0, 1], each framed by the shared
    normalisation (peak to 1), the share that is mid-grey (0.25-0.75): blurs and double
    exposures are mostly mid-grey, pen strokes mostly not."""
    framed = frame_glyphs(np.asarray(glyphs, dtype=np.float32)).numpy()
    ink = framed > INK
    grey = (framed >= MID_GREY[0]) & (framed <= MID_GREY[1])
    return float(grey.sum() / max(1, ink.sum()))


def far_from_both(images: np.ndarray, a: np.ndarray, b: np.ndarray) -> int:
    """The index of the image (N, 28, 28) that maximises mse(image, a) + mse(image, b)."""
    images = np.asarray(images, dtype=np.float64)
    distance = ((images - a[None]) ** 2).mean((1, 2)) + ((images - b[None]) ** 2).mean((1, 2))
    return int(np.argmax(distance))


# How the muddle is chosen among the path's frames: the scorers' closest 50/50 (with
# bisection), or the frame farthest from both a and b by mean squared error.
CRITERIA = ("balance", "far_from_both")


def check_criterion(criterion) -> str:
    value = "balance" if criterion is None or str(criterion).strip() == "" else str(criterion).strip()
    if value not in CRITERIA:
        raise CriterionError(f"The criterion must be one of {', '.join(CRITERIA)}, not {shown(criterion)}.")
    return value


# Who makes the muddle: the muddle autoencoder walking its latent space (mnistMuddle's method), or
# GlyphVAE drawing a class vector between d and e in one style. The first is the default.
MAKERS = ("class_mix", "autoencoder")
DEFAULT_MAKER = MAKERS[0]


def check_maker(maker) -> str:
    value = DEFAULT_MAKER if maker is None or str(maker).strip() == "" else str(maker).strip()
    if value not in MAKERS:
        raise MakerError(f"The muddle maker must be one of {', '.join(MAKERS)}, not {shown(maker)}.")
    return value


def nearest_other_centroid(z: np.ndarray, centroids: np.ndarray, digit: int) -> int:
    """The class whose centroid is nearest to z, excluding `digit` itself."""
    distances = np.linalg.norm(centroids - z[None], axis=1)
    distances[digit] = np.inf
    return int(np.argmin(distances))


def _pick(frames: list[Frame], d: int, e: int, every_scorer: bool = True) -> Frame | None:
    """Among frames that every scorer reads as a d or an e (`reads_as_pair`: top two {d, e},
    together >= 0.8, as the benchmark asks of every reader), the one whose mean is closest to
    50/50 with the least disagreement (|p_d - p_e| of the mean + half the mutual information:
    readers who agree on the split): the panel rates more of these good than of the rule below
    alone (docs/experiments/choices.md). When no frame qualifies:
    closest to 50/50 among frames whose top two are {d, e} with mass >= 0.9, for every scorer
    (the gap that counts is the worst scorer's), or for the scorers' mean."""
    if every_scorer:
        readable = [f for f in frames if all(reads_as_pair(p, d, e) for p in f.each)]
        if readable:
            return min(readable, key=lambda f: _evenness(f, d, e))
    best, best_gap = None, np.inf
    for frame in frames:
        rows = frame.each if every_scorer else frame.probs[None]
        if any(set(np.argsort(-p)[:2].tolist()) != {d, e} or p[d] + p[e] < 0.9 for p in rows):
            continue
        gap = max(abs(p[d] - p[e]) for p in rows)
        if gap < best_gap:
            best, best_gap = frame, gap
    return best


def _evenness(frame: Frame, d: int, e: int) -> float:
    """Lower is better: how far the scorers' mean is from 50/50, plus half their disagreement."""
    return abs(frame.probs[d] - frame.probs[e]) + 0.5 * mutual_information(frame.each)


# Latent search off the straight path (Confuser._off_line): candidates a call, their spread
# (in units of each latent dimension's spread over real codes), the real codes the density is
# estimated from, and the share of real codes that sit below the density a candidate must keep.
# These values made more muddles good for the panel than the straight path alone, and more of
# them seen as a d or an e by every member (docs/experiments/choices.md has the runs).
OFF_LINE_CANDIDATES = 32
OFF_LINE_SCALE = 0.5
DENSITY_CODES = 1000
DENSITY_FLOOR_PERCENTILE = 10


class CodeDensity:
    """A Gaussian kernel density of real digits' latent codes (the pool's): the bandwidth is the
    median distance from a code to its nearest other code. `real` keeps the points at least as
    dense as 90% of the real codes themselves (or as the point the search started from)."""

    def __init__(self, codes: np.ndarray):
        self.codes = codes.astype(np.float64)
        d2 = ((self.codes[:, None] - self.codes[None]) ** 2).sum(-1)
        np.fill_diagonal(d2, np.inf)
        self.h2 = float(np.median(d2.min(1)))
        self.spread = self.codes.std(0)
        self.floor = float(np.percentile(self.log_density(self.codes), DENSITY_FLOOR_PERCENTILE))

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """log sum_i exp(-|z - c_i|^2 / 2h^2) for each row of z (up to a constant)."""
        m = -((np.asarray(z, np.float64)[:, None] - self.codes[None]) ** 2).sum(-1) / (2 * self.h2)
        top = m.max(1, keepdims=True)
        return top[:, 0] + np.log(np.exp(m - top).sum(1))

    def real(self, z: np.ndarray, at_least: float = np.inf) -> np.ndarray:
        """Which rows of z are where real codes live: density >= min(the floor, at_least)."""
        return self.log_density(z) >= min(self.floor, at_least)


def _balanced(frame: Frame, d: int, e: int) -> bool:
    return all(is_between(p, d, e, 0.4, 0.6) for p in frame.each)


# The class-mix maker (Confuser._class_mix): the styles it tries (a's posterior mean, then draws
# from its posterior at CLASS_MIX_SPREAD of its standard deviation) and the mix weights of each
# style's path; then up to CLASS_MIX_ROUNDS rounds of 8 weights bisect the chosen style's flip.
# 4 styles: `bench/muddle_held_out.py` (two of the app's scorers judge what the other three chose)
# rates 6 styles no better (33.0% good against 32.5%), as the benchmark's panel does (52.5% against
# 53.5%), and 6 cost 15 ms a call more (docs/experiments/muddle.md).
CLASS_MIX_STYLES = 4
CLASS_MIX_STEPS = 11
CLASS_MIX_SPREAD = 1.0
CLASS_MIX_ROUNDS = 2


class Confuser:
    """Holds the muddle makers (the autoencoder, and GlyphVAE when given), the digit classifiers
    that score the frames as shown, and a pool of real digit images."""

    def __init__(self, autoencoder: MuddleAutoencoder, predictors: DigitPredictor | list[DigitPredictor],
                 pool_images: np.ndarray, pool_labels: np.ndarray, steps: int = 21,
                 scorer_names: list[str] | None = None, off_line: int = OFF_LINE_CANDIDATES, glyph_vae=None):
        if steps < 15:
            raise ValueError("use at least 15 steps along the path")
        self.autoencoder = autoencoder.eval()
        self.glyph_vae = glyph_vae.eval() if glyph_vae is not None else None
        self.predictors = predictors if isinstance(predictors, list) else [predictors]
        self.scorer_names = scorer_names or [f"scorer {i + 1}" for i in range(len(self.predictors))]
        self.pool_images = pool_images.astype(np.float32) / (255.0 if pool_images.dtype == np.uint8 else 1.0)
        self.pool_labels = np.asarray(pool_labels)
        self.steps = steps
        self.centroids = autoencoder.centroids.numpy()
        self.off_line = off_line
        self.density = CodeDensity(self._codes(self.pool_images)) if off_line else None

    @property
    def makers(self) -> tuple[str, ...]:
        """The makers this confuser can use (class_mix needs GlyphVAE)."""
        return MAKERS if self.glyph_vae is not None else ("autoencoder",)

    @torch.no_grad()
    def _codes(self, images: np.ndarray, most: int = DENSITY_CODES) -> np.ndarray:
        """The latents of up to `most` pool images, evenly spaced through the pool."""
        pick = np.unique(np.linspace(0, len(images) - 1, min(most, len(images))).round().astype(int))
        x = torch.from_numpy(images[pick]).float().view(-1, 1, 28, 28)
        return torch.cat([self.autoencoder.encode(x[i:i + 1000]) for i in range(0, len(x), 1000)]).numpy()

    def _shown(self, images: np.ndarray, weights, zs=None, style: int | np.ndarray = 0) -> list[Frame]:
        """Frames of the maker's images (N, 28, 28): each shown as a picture, and read from it.
        `style`: the class-mix style that drew them, one for all or one per image."""
        pictures = shown_pictures(images)
        each = self._each(read_pictures(pictures))
        zs = [None] * len(images) if zs is None else zs
        styles = np.broadcast_to(np.asarray(style, int), (len(images),))
        return [Frame(float(w), img, p.mean(0), p, z, pic, int(k))
                for w, img, p, z, pic, k in zip(weights, images, each, zs, pictures, styles)]

    def _pictured(self, images: np.ndarray, weights, style: int) -> list[Frame]:
        """Frames of the maker's images (N, 28, 28) shown as pictures and not read: their
        probabilities are NaN (the GIF shows them; no choice or caption uses them)."""
        unread = np.full((len(self.predictors), 10), np.nan, np.float32)
        return [Frame(float(w), img, unread[0].copy(), unread.copy(), None, pic, style)
                for w, img, pic in zip(weights, images, shown_pictures(images))]

    @torch.no_grad()
    def _off_line(self, chosen: Frame, z_a, z_b, d: int, e: int, rng: np.random.Generator):
        """Latent search off the straight path: `self.off_line` random points around the chosen
        frame's latent (Gaussian, 0.5 of each latent dimension's spread over real codes), only
        those where real digits' codes are dense (`CodeDensity.real`), scored like the path. The
        best of them replaces the chosen frame when every scorer reads it as a d or an e and its
        mean is closer to 50/50 with less disagreement (or the chosen frame is not so read).
        -> (the muddle, the candidates tried)."""
        z0 = (1 - chosen.weight) * z_a + chosen.weight * z_b
        cand = z0[None] + OFF_LINE_SCALE * self.density.spread[None] * rng.standard_normal((self.off_line, len(z0)))
        cand = cand[self.density.real(cand, at_least=self.density.log_density(z0[None])[0])]
        if not len(cand):
            return chosen, []
        images = self.autoencoder.decode(torch.from_numpy(cand).float())[:, 0].numpy()
        frames = self._shown(images, [chosen.weight] * len(images), list(cand))
        readable = [f for f in frames if all(reads_as_pair(p, d, e) for p in f.each)]
        if readable:
            best = min(readable, key=lambda f: _evenness(f, d, e))
            if not all(reads_as_pair(p, d, e) for p in chosen.each) or _evenness(best, d, e) < _evenness(chosen, d, e):
                return best, frames
        return chosen, frames

    @torch.no_grad()
    def _encode(self, glyph: np.ndarray) -> np.ndarray:
        return self.autoencoder.encode(torch.from_numpy(glyph).float().view(1, 1, 28, 28))[0].numpy()

    @torch.no_grad()
    def _each(self, glyphs: np.ndarray) -> np.ndarray:
        """(N, 28, 28) glyphs -> (N, predictors, 10): framed once, scored by every predictor."""
        framed = frame_glyphs(glyphs)
        return np.stack([predict(framed).numpy() for predict in self.predictors], axis=1)

    def read_shown(self, pictures: np.ndarray) -> np.ndarray:
        """(N, H, W) uint8 pictures as shown (see `read_pictures`) -> (N, scorers, 10)."""
        return self._each(read_pictures(pictures))

    @torch.no_grad()
    def _frames(self, z_a: np.ndarray, z_b: np.ndarray, weights: np.ndarray) -> list[Frame]:
        z = torch.from_numpy((1 - weights)[:, None] * z_a[None] + weights[:, None] * z_b[None]).float()
        return self._shown(self.autoencoder.decode(z)[:, 0].numpy(), weights)

    def scorer(self, glyphs: np.ndarray) -> np.ndarray:
        """The predictors' mean digit probabilities for (N, 28, 28) glyphs (read as they are)."""
        return self._each(glyphs).mean(axis=1)

    def random_image(self, digit: int, rng: np.random.Generator) -> np.ndarray:
        candidates = np.flatnonzero(self.pool_labels == digit)
        return self.pool_images[rng.choice(candidates)]

    def _endpoints(self, digit: int, rng: np.random.Generator, drawing: np.ndarray | None = None):
        """mnistMuddle's steps: a (random image of `digit`, or the drawing), the nearest other
        centroid's digit e, and a random image b of e, with both latents."""
        a = drawing.astype(np.float32) if drawing is not None else self.random_image(digit, rng)
        z_a = self._encode(a)
        partner = nearest_other_centroid(z_a, self.centroids, digit)
        b = self.random_image(partner, rng)
        return a, z_a, partner, b, self._encode(b)

    def _balance(self, path: list[Frame], frames_at: Callable[[np.ndarray], list[Frame]], d: int, e: int,
                 rounds: int, splits: int, pool: list[Frame] | None = None) -> tuple[Frame, list[Frame], int]:
        """The balance criterion on a path (and `pool`, more candidates): the frame `_pick` takes;
        when it is not within 40-60% for every scorer, bisect the weight where the scorers' mean
        flips from d to e, `splits` weights a round (one batch through the maker and the scorers
        costs about what one weight does; three rounds of 8 narrow the bracket 729-fold, as 9-10
        sequential halvings would). -> (the frame, the bisection's frames, rounds taken)."""
        pool = path if pool is None else pool
        chosen = _pick(pool, d, e)
        extra: list[Frame] = []
        rounds_taken = 0
        if chosen is None or not _balanced(chosen, d, e):
            margin = [f.probs[d] - f.probs[e] for f in path]
            flips = [i for i in range(len(path) - 1) if margin[i] >= 0 > margin[i + 1]]
            if flips:
                i = min(flips, key=lambda k: abs(margin[k]) + abs(margin[k + 1]))
                lo, hi = path[i].weight, path[i + 1].weight
                for rounds_taken in range(1, rounds + 1):  # noqa: B007 - returned: how many rounds it took
                    batch = frames_at(np.linspace(lo, hi, splits + 2)[1:-1])
                    extra.extend(batch)
                    if any(_balanced(f, d, e) for f in batch):
                        break
                    weights = [lo] + [f.weight for f in batch] + [hi]
                    m = [1.0] + [f.probs[d] - f.probs[e] for f in batch] + [-1.0]
                    k = next(j for j in range(len(m) - 1) if m[j] >= 0 > m[j + 1])
                    lo, hi = weights[k], weights[k + 1]
                chosen = _pick(([chosen] if chosen else []) + extra, d, e) or chosen
        if chosen is None:  # the scorers never agree: go by their mean
            chosen = _pick(pool + extra, d, e, every_scorer=False)
        if chosen is None:  # nothing reads as both digits: show the frame that is most of each
            chosen = max(pool + extra, key=lambda f: min(f.probs[d], f.probs[e]))
        return chosen, extra, rounds_taken

    def check_inputs(self, digit, seed, criterion, maker) -> tuple[int, int, str, str]:
        """`confuse`'s arguments, each checked once, here where the confuser is entered (as
        diffusers' pipelines do in check_inputs): (digit, seed, criterion, maker) as used."""
        if not 0 <= int(digit) <= 9:
            raise SettingError(f"The digit must be one of 0-9, not {digit}.")
        maker = check_maker(maker) if maker is not None else self.makers[0]
        if maker not in self.makers:
            raise MakerError("The class_mix maker needs GlyphVAE: make the confuser with glyph_vae=.")
        return int(digit), check_seed(seed), check_criterion(criterion), maker

    def confuse(self, digit: int, seed: int, drawing: np.ndarray | None = None,
                rounds: int = 3, splits: int = 8, criterion: str = "balance", maker: str | None = None
                ) -> MuddleResult:
        """One muddle of `digit` (from a random pool image, or the user's normalised drawing),
        made by `maker` ("class_mix" or "autoencoder"; None: the first this confuser can use) and chosen by `criterion`: "balance" (the
        scorers' closest 50/50, bisecting when needed) or "far_from_both" (the path's frame
        maximising mse(frame, path start) + mse(frame, path end))."""
        digit, seed, criterion, maker = self.check_inputs(digit, seed, criterion, maker)
        return replace(self._confuse(digit, np.random.default_rng(seed), drawing, rounds, splits, criterion, maker),
                       seed=seed)

    def _confuse(self, digit: int, rng: np.random.Generator, drawing: np.ndarray | None, rounds: int, splits: int,
                 criterion: str, maker: str) -> MuddleResult:
        a, z_a, partner, b, z_b = self._endpoints(digit, rng, drawing)
        if maker == "class_mix":
            return self._class_mix(digit, partner, a, z_a, rng, criterion, CLASS_MIX_ROUNDS, splits)
        path = self._frames(z_a, z_b, np.linspace(0.0, 1.0, self.steps))
        if criterion == "far_from_both":
            chosen = path[far_from_both(np.stack([f.image for f in path]), a, b)]
            return MuddleResult(digit=digit, partner=partner, a=a, b=b, z_a=z_a, z_b=z_b, path=path, muddle=chosen,
                                refined=False, criterion=criterion)
        chosen, extra, rounds_taken = self._balance(path, lambda w: self._frames(z_a, z_b, w), digit, partner,
                                                    rounds, splits)
        refined = bool(extra) and any(chosen is f for f in extra)
        tried: list[Frame] = []
        if self.off_line:
            chosen, tried = self._off_line(chosen, z_a, z_b, digit, partner, rng)
        return MuddleResult(digit=digit, partner=partner, a=a, b=b, z_a=z_a, z_b=z_b, path=path, muddle=chosen,
                            refined=refined, bisection_rounds=rounds_taken, extra_frames=extra,
                            off_line_frames=tried)

    @torch.no_grad()
    def class_mix_styles(self, a: np.ndarray, digit: int, rng: np.random.Generator,
                         count: int | None = None) -> torch.Tensor:
        """(count, latent) styles for a glyph a of `digit`: GlyphVAE's posterior mean of a (the
        encoder told the class), then draws from that posterior at CLASS_MIX_SPREAD of its spread
        (`count` None: CLASS_MIX_STYLES in all)."""
        count = CLASS_MIX_STYLES if count is None else count
        _, mu, logvar = self.glyph_vae.encode(frame_glyphs(a[None]), torch.tensor([digit]))
        noise = torch.from_numpy(rng.standard_normal((count - 1, mu.shape[1])).astype(np.float32))
        return torch.cat([mu, mu + CLASS_MIX_SPREAD * torch.exp(0.5 * logvar) * noise])

    @torch.no_grad()
    def class_mix_images(self, d: int, e: int, styles: torch.Tensor, weights: np.ndarray) -> np.ndarray:
        """(S, W, 28, 28): GlyphVAE's pixel probabilities for the class vector (1 - w) d + w e,
        every weight w in every style."""
        n_classes = self.glyph_vae.config.num_classes
        w = torch.from_numpy(np.asarray(weights, np.float32))
        y = torch.zeros(len(w), n_classes)
        y[:, d], y[:, e] = 1 - w, w
        ys = y.repeat(len(styles), 1)
        zs = styles.repeat_interleave(len(w), dim=0)
        return torch.sigmoid(self.glyph_vae.decode(ys, zs))[:, 0].numpy().reshape(len(styles), len(w), 28, 28)

    def _class_mix(self, d: int, e: int, a: np.ndarray, z_a: np.ndarray, rng: np.random.Generator,
                   criterion: str, rounds: int, splits: int) -> MuddleResult:
        """GlyphVAE's muddle: CLASS_MIX_STEPS mix weights in each of CLASS_MIX_STYLES styles, all
        shown and scored; the balance criterion picks among all of them (bisecting the weight in
        the style of the frame it picked), far_from_both among the posterior mean's path. The
        path returned is the chosen style's."""
        styles = self.class_mix_styles(a, d, rng)
        weights = np.linspace(0.0, 1.0, CLASS_MIX_STEPS)
        images = self.class_mix_images(d, e, styles, weights)
        # every style's path shown and read in one batch (the scorers cost less a frame in bulk)
        frames = self._shown(images.reshape(-1, 28, 28), np.tile(weights, len(styles)),
                             style=np.repeat(np.arange(len(styles)), len(weights)))
        paths = [frames[k * len(weights):(k + 1) * len(weights)] for k in range(len(styles))]
        extra: list[Frame] = []
        rounds_taken = 0
        if criterion == "far_from_both":
            path = paths[0]
            chosen = path[far_from_both(images[0], images[0][0], images[0][-1])]
        else:
            def frames_at(w, k=None):
                k = chosen_style if k is None else k
                return self._shown(self.class_mix_images(d, e, styles[k:k + 1], w)[0], w, style=k)

            everything = [f for path in paths for f in path]
            first = _pick(everything, d, e)
            chosen_style = first.style if first is not None else 0
            chosen, extra, rounds_taken = self._balance(paths[chosen_style], frames_at, d, e, rounds, splits,
                                                        pool=everything)
            path = paths[chosen.style]
        # The GIF walks the path in twice the strip's steps (21, as the autoencoder's path): the
        # muddle is chosen from the strip's and the bisection's frames, and a reader whose 50/50
        # lies elsewhere on the path finds it in the GIF more often (bench/muddle_held_out.py).
        # Only shown: nothing is chosen from them, and reading them would cost the scorers 15 ms.
        halves, k = (weights[:-1] + weights[1:]) / 2, path[0].style
        between = self._pictured(self.class_mix_images(d, e, styles[k:k + 1], halves)[0], halves, k)
        with torch.no_grad():  # where the autoencoder puts the path's ends and the muddle (the latent map)
            codes = self.autoencoder.encode(torch.from_numpy(np.stack([path[-1].image, chosen.image]))[:, None])
        z_b, chosen.z = codes[0].numpy(), codes[1].numpy()
        return MuddleResult(digit=d, partner=e, a=a, b=path[-1].image, z_a=z_a, z_b=z_b, path=path, muddle=chosen,
                            refined=any(chosen is f for f in extra), bisection_rounds=rounds_taken,
                            extra_frames=extra, criterion=criterion, maker="class_mix", styles_tried=len(styles),
                            between_frames=between)

    def midpoint(self, digit: int, seed: int) -> MuddleResult:
        """mnistMuddle's plain method, for comparison: the decoded midpoint of a and b."""
        digit, seed, _, _ = self.check_inputs(digit, seed, None, None)
        a, z_a, partner, b, z_b = self._endpoints(digit, np.random.default_rng(seed))
        frame = self._frames(z_a, z_b, np.array([0.5]))[0]
        return MuddleResult(digit, partner, a, b, z_a, z_b, [frame], frame, refined=False, seed=seed)


def latent_map(autoencoder: MuddleAutoencoder, result: MuddleResult | None = None):
    """The training latents in 2-d (the PCA stored with the model) coloured by digit, with the
    centroids, and when given a result: a, b and the muddle on the path between them (a PIL image)."""
    from ..glyphs.render import latent_map as draw_map

    with torch.no_grad():
        centres = autoencoder.project(autoencoder.centroids).numpy()
        extra = {}
        if result is not None:
            a, b = autoencoder.project(torch.from_numpy(np.stack([result.z_a, result.z_b])).float()).numpy()
            w = result.muddle.weight
            muddle = ((1 - w) * a + w * b if result.muddle.z is None else
                      autoencoder.project(torch.from_numpy(result.muddle.z[None]).float()).numpy()[0])
            extra = {"a": a, "b": b, "muddle": muddle, "digit": result.digit, "partner": result.partner}
    return draw_map(autoencoder.map_points.numpy(), autoencoder.map_labels.numpy(), centres, **extra)


def chooser_probabilities(model, member: int) -> DigitPredictor:
    """One member of the chooser ensemble (glyph_vae.models.chooser.ChooserEnsemble), calibrated."""
    return lambda x: (model.members[CHOOSER_MEMBERS[member]](x) / model.temperatures[member]).softmax(1)


# The chooser's members as the verdict names them, in plain words.
CHOOSER_READERS = {"all_conv": "the all-convolutional reader", "separable": "the lightweight CNN",
                   "row_gru": "the row-by-row reader"}


def make_confuser(pool_images: np.ndarray, pool_labels: np.ndarray, *, glyph_vae, muddle: MuddleAutoencoder,
                  digits, chooser=None, off_line: int = OFF_LINE_CANDIDATES) -> Confuser:
    """A confuser of these models: the muddle autoencoder (and GlyphVAE) making muddles, scored
    by GlyphVAE's digit head, the digit classifier and, given a chooser ensemble, its three
    members. The app's, with its models and the bundled pool, is `glyph_vae.loading.app_confuser`."""
    predictors = [glyph_vae_digit_probabilities(glyph_vae), digit_classifier_probabilities(digits)]
    names = ["GlyphVAE's digit head", "the digit CNN"]
    if chooser is not None:
        chooser = chooser.eval()
        predictors += [chooser_probabilities(chooser, i) for i in range(len(CHOOSER_MEMBERS))]
        names += [CHOOSER_READERS[n] for n in CHOOSER_MEMBERS]
    return Confuser(muddle, predictors, pool_images, pool_labels, scorer_names=names, off_line=off_line,
                    glyph_vae=glyph_vae)
