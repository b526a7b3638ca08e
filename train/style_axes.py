"""Find the directions of z that matter, name them, and store them with the model.

    python -m train.style_axes assets/glyph_vae --data ../shared/data/mnist.npz \
        --data ../shared/data/emnist_byclass_test.npz

The app's latent sliders move a writer's style along these axes. They are the
principal directions of the posterior means over training glyphs (the ways real
writers differ most), computed once here rather than at every start-up. Each is
named after the style measure it changes most when decoded (glyph_vae.measures),
and oriented so that moving right increases that measure.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from glyph_vae.hub import atomic_write_bytes
from glyph_vae.measures import measure_all
from glyph_vae.model import CHARSET, GlyphVAE
from glyph_vae.style import STYLE_AXES_NAME

from .data import concat, load_source

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


def compute_axes(model: GlyphVAE, images: np.ndarray, labels: np.ndarray, count: int = 6) -> list[dict]:
    means = posterior_means(model, images, labels)
    centred = means - means.mean(0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    scales = singular / np.sqrt(len(means) - 1)
    spread = {k: float(np.std(v)) or 1.0 for k, v in measure_all(images[:5000].astype(np.float32) / 255).items()}
    axes, used = [], {}
    for k in range(count):
        direction = vt[k].astype(np.float32)
        name, change, relative = name_axis(model, direction, float(scales[k]), spread)
        if change < 0:  # orient so that moving the slider right increases the measure
            direction, change = -direction, -change
        used[name] = used.get(name, 0) + 1
        label = LABELS[name] + (f" · {used[name]}" if used[name] > 1 else "")
        axes.append({"name": name, "label": label, "scale": float(scales[k]), "direction": direction.tolist(),
                     "change_per_4_sd": {m: round(abs(v), 3) for m, v in relative.items()}})
    return axes


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(prog="python -m train.style_axes", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="model folder; style_axes.json is written into it")
    p.add_argument("--data", action="append", required=True, help="training data, as for python -m train")
    p.add_argument("--count", type=int, default=6, help="number of axes (sliders)")
    p.add_argument("--sample", type=int, default=60_000, help="training glyphs used (a random sample)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    model = GlyphVAE.from_pretrained(args.model)
    data = concat([load_source(spec, "train", 0) for spec in args.data])
    pick = np.random.default_rng(args.seed).permutation(len(data.labels))[:args.sample]
    axes = compute_axes(model, data.images[pick], data.labels[pick], args.count)
    path = Path(args.model) / STYLE_AXES_NAME
    note = ("Principal directions of the posterior means of z over training glyphs, each named after the "
            "style measure it changes most; written by python -m train.style_axes.")
    atomic_write_bytes(path, (json.dumps({"note": note, "axes": axes}, indent=1) + "\n").encode())
    for a in axes:
        print(f"{a['label']:<40} scale {a['scale']:.3f}  changes {a['change_per_4_sd']}")
    return path


if __name__ == "__main__":
    main()
