"""Find the directions of z that matter, name them, and store them with the model.

    python -m train.style_axes assets/glyph_vae --data ../shared/data/mnist.npz \
        --data ../shared/data/emnist_byclass_test.npz

The app's latent sliders move a writer's style along these axes: for each style
measure (glyph_vae.glyphs.measures: width, stroke weight, slant, height), the direction of
the posterior means over training glyphs that covaries most with it (partial least
squares' first component), made orthogonal to the axes before it, computed once here
rather than at every start-up, oriented so that moving right increases it. Each axis
also gets its range: how far its slider goes before the glyphs stop being letters.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from glyph_vae.glyphs.measures import fill_limits, ink_fill, measure_all
from glyph_vae.models.model import CHARSET, STYLE_AXES_NAME, GlyphVAE
from glyph_vae.pipelines.style import ink, written_probabilities

from .data import concat, load_source
from .fine_tune import save_step
from .records import this_command

LABELS = {
    "width": "Width (narrow → wide)",
    "stroke_thickness": "Stroke weight (light → bold)",
    "slant": "Slant (back → italic)",
    "height": "Height (short → tall)",
}
PROBE = "0123456789ABCDEFGHKMNRSTUVWXYZabdeghkmnpqrstuwy"  # decoded along each axis to name it


@torch.no_grad()
def posterior_means(model: GlyphVAE, images: np.ndarray, labels: np.ndarray, batch: int = 4096) -> np.ndarray:
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i:i + batch]).float().div(255).unsqueeze(1)
        out.append(model.encode(x, torch.from_numpy(labels[i:i + batch]).long())[1])
    return torch.cat(out).numpy()


@torch.no_grad()
def name_axis(model: GlyphVAE, direction: np.ndarray, scale: float, spread: dict[str, float]) -> tuple[str, float, dict]:
    """Decode PROBE at -2 and +2 standard deviations along the axis; the measure that
    moves most (relative to how much it varies between real glyphs) names it."""
    classes = torch.tensor([CHARSET.index(c) for c in PROBE])
    changes = {}
    for sign in (-2.0, 2.0):
        z = torch.from_numpy(np.float32(sign * scale * direction))[None].repeat(len(PROBE), 1)
        measured = measure_all(torch.sigmoid(model.decode(classes, z))[:, 0].numpy())
        for k, v in measured.items():
            changes.setdefault(k, []).append(float(np.median(v)))
    relative = {k: (hi - lo) / spread[k] for k, (lo, hi) in changes.items()}
    name = max(relative, key=lambda k: abs(relative[k]))
    return name, relative[name], relative


RANGE_STEP = 0.25  # standard deviations between the positions tried
MAX_RANGE = 3.0


@torch.no_grad()
def letter_range(model: GlyphVAE, direction: np.ndarray, scale: float, blob_fill: np.ndarray
                 ) -> tuple[float, float]:
    """How far the slider may go each way: the average style moved along the axis, every
    character drawn at randomness 0 and inked as the page inks it; a position is inside
    while the model's reader still reads at least 90% of what it reads at 0 (a reading
    people would accept: train.tune_decoder's ACCEPTED) and at most 5% of the glyphs are
    blobs (more ink in their box than `blob_fill`, per class: measures.fill_limits of real
    glyphs). The range stops before the first position that fails, at most MAX_RANGE."""
    from .tune_decoder import ACCEPTED

    classes = torch.arange(len(CHARSET))

    def letters_at(position: float) -> tuple[float, float]:
        z = torch.from_numpy(np.float32(position * scale * direction))[None].repeat(len(classes), 1)
        glyphs = ink(written_probabilities(model, classes, z))  # as the app draws them
        read = model.read_logits(torch.from_numpy(glyphs)[:, None]).argmax(1)
        return float(ACCEPTED[classes, read].float().mean()), float((ink_fill(glyphs) > blob_fill).mean())

    legible_at_zero = letters_at(0.0)[0]
    ends = []
    for sign in (-1.0, 1.0):
        end = 0.0
        for step in np.arange(RANGE_STEP, MAX_RANGE + 1e-9, RANGE_STEP):
            legible, blobs = letters_at(sign * step)
            if legible < 0.9 * legible_at_zero or blobs > 0.05:
                break
            end = sign * float(step)
        ends.append(end if end != 0.0 else sign * RANGE_STEP)  # a slider always moves a little
    return ends[0], ends[1]


def class_relative(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Standardise a measure within each class: an l is narrow, but a wide l is wide for an l."""
    out = np.zeros_like(values, dtype=np.float64)
    for c in np.unique(labels):
        pick = labels == c
        out[pick] = (values[pick] - values[pick].mean()) / (values[pick].std() + 1e-9)
    return out


def compute_axes(model: GlyphVAE, images: np.ndarray, labels: np.ndarray) -> list[dict]:
    """One axis per style measure: the direction of z along which that measure of
    real glyphs (relative to their class) covaries most with the training posterior
    means. Principal directions alone do not line up with what
    people call width or slant (several came out as mixtures of slant and width),
    so each measure gets its own direction, made orthogonal to the ones before it
    so that a slider moves one thing; the decoder then confirms what each does."""
    means = posterior_means(model, images, labels)
    centred = means - means.mean(0)
    glyphs = images.astype(np.float32) / 255
    measured = measure_all(glyphs)
    spread = {k: float(np.std(v)) or 1.0 for k, v in measured.items()}
    blob_fill = fill_limits(glyphs, labels)
    axes, found = [], []
    for name in LABELS:
        target = class_relative(measured[name], labels)
        # The direction of greatest covariance with the measure (partial least
        # squares' first component). Least squares would pick low-variance
        # directions with big coefficients, which barely move a decoded glyph.
        direction = centred.T.astype(np.float64) @ target
        for previous in found:  # Gram-Schmidt: each slider moves only its own coordinate
            direction -= (direction @ previous) * previous
        direction /= np.linalg.norm(direction)
        found.append(direction)
        scale = float(np.std(centred @ direction))
        _, _, relative = name_axis(model, direction.astype(np.float32), scale, spread)
        if relative[name] < 0:
            direction = -direction
        low, high = letter_range(model, direction.astype(np.float32), scale, blob_fill)
        axes.append({"name": name, "label": LABELS[name], "scale": scale, "range": [low, high],
                     "direction": direction.astype(np.float32).tolist(),
                     "correlation": round(float(abs(np.corrcoef(centred @ direction, target)[0, 1])), 3),
                     "change_per_4_sd": {m: round(abs(v), 3) for m, v in relative.items()}})
    return axes


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(prog="python -m train.style_axes", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="model folder; style_axes.json is written into it")
    p.add_argument("--data", action="append", required=True, help="training data, as for python -m train")
    p.add_argument("--sample", type=int, default=60_000, help="training glyphs used (a random sample)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    model = GlyphVAE.from_pretrained(args.model)
    data = concat([load_source(spec, "train", 0) for spec in args.data])
    pick = np.random.default_rng(args.seed).permutation(len(data.labels))[:args.sample]
    axes = compute_axes(model, data.images[pick], data.labels[pick])
    note = ("For each style measure, the direction of the training posterior means of z that covaries most "
            "with it (relative to the glyph's class), made orthogonal to the ones before; written by "
            "python -m train.style_axes.")
    model.files[STYLE_AXES_NAME] = (json.dumps({"note": note, "axes": axes}, indent=1) + "\n").encode()
    for a in axes:
        print(f"{a['label']:<32} scale {a['scale']:.3f}  range {a['range']}  r {a['correlation']}  "
              f"changes {a['change_per_4_sd']}")
    save_step(model, Path(args.model), {"step": "style_axes", "command": this_command("python -m train.style_axes", argv)},
              weights_changed=False)
    return Path(args.model) / STYLE_AXES_NAME


if __name__ == "__main__":
    main()
