"""A small training set made here (the suite needs no downloaded data): mouse-style
drawings of eight characters, normalised as training data is, and a run on them."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from glyph_vae.glyphs.preprocess import normalize_glyph
from glyph_vae.testing.drawings import render_drawing

ROOT = Path(__file__).resolve().parent.parent
CHARS = "0123ABCD"


def glyphs(n_per_char: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n_per_char x 8 normalised uint8 glyphs, their labels: 0-3 and A-D in the 62-class set)."""
    images, labels = [], []
    for i in range(n_per_char):
        for label, char in enumerate(CHARS):
            image = render_drawing(char, seed + 31 * i + label, canvas=96, brush=9)
            images.append(np.uint8(normalize_glyph(image) * 255))
            labels.append(label if label < 4 else 10 + label - 4)
    return np.stack(images), np.array(labels, np.uint8)


def write_npz(path: Path, n_train: int = 40, n_test: int = 5) -> Path:
    x_train, y_train = glyphs(n_train, 0)
    x_test, y_test = glyphs(n_test, 10_000)
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def run(npz, out, *extra):
    """`python -m train` in-process on the tiny set with a tiny GlyphVAE (of the published
    architecture, every addition off, unless `extra` says otherwise)."""
    from train import fit

    return fit.main(["--data", str(npz), "--out", str(out), "--batch-size", "32", "--seed", "3",
                     "--channels", "8", "--hidden", "32", "--latent-dim", "8", "--encoder-sees-class", "0",
                     "--decoder-hidden", "0", "--kl-warmup-steps", "20",
                     "--val-fraction", "0.1", "--lr", "3e-3", "--threads", "1", *extra])
