"""Correct a trained GlyphVAE's class prior to the frequencies of a target data set.

    python -m train.prior runs/glyph_vae/model \\
        --train ../shared/data/mnist.npz --train ../shared/data/emnist_byclass_test.npz \\
        --target ../shared/data/emnist_byclass_test.npz

The classifier learns p_train(y|x). Training on MNIST + EMNIST makes digits about
twice as common as in EMNIST's natural handwriting, so round shapes read as 0 and
strokes as 1 far more often than they should. Adding log p_target(y) - log p_train(y)
to the logits (Saerens et al. 2002; Menon et al. 2021, "logit adjustment") gives
p_target(y|x) without retraining. Among digits the shift is nearly uniform, so
reading MNIST as digits is unaffected.
"""
from __future__ import annotations

import argparse

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from glyph_vae import GlyphVAE
from glyph_vae.models.hub import WEIGHTS_NAME

from .fine_tune import save_step
from .records import this_command


def label_counts(paths: list[str], num_classes: int = 62) -> np.ndarray:
    counts = np.zeros(num_classes)
    for path in paths:
        with np.load(path) as archive:
            counts += np.bincount(archive["y_train"].astype(np.int64), minlength=num_classes)
    return counts


def prior_shift(train_counts: np.ndarray, target_counts: np.ndarray) -> torch.Tensor:
    """log p_target - log p_train, with add-one smoothing so an unseen class stays finite."""
    p_train = (train_counts + 1) / (train_counts + 1).sum()
    p_target = (target_counts + 1) / (target_counts + 1).sum()
    return torch.from_numpy(np.log(p_target) - np.log(p_train)).float()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="model folder to update in place")
    p.add_argument("--train", action="append", required=True, help=".npz files the model was trained on")
    p.add_argument("--target", action="append", required=True, help=".npz files whose class frequencies to use")
    p.add_argument("--letters-bias", type=float, default=0.0,
                   help="nats added to every letter's shift on top of the frequencies' correction (choose it on "
                        "held-out data: a reader trained on mouse-style drawings of every character as well "
                        "leans to letters a little)")
    args = p.parse_args(argv)
    shift = prior_shift(label_counts(args.train), label_counts(args.target))
    shift[10:] += args.letters_bias
    # Edit the weights file directly: this also upgrades a model saved before the
    # buffer existed, whose file lacks the key and so would not load strictly.
    weights = Path(args.model) / WEIGHTS_NAME
    state = load_file(str(weights))
    state["class_prior_shift"] = shift
    save_file(state, str(weights), metadata={"format": "pt"})
    model = GlyphVAE.from_pretrained(args.model)  # strict check of the result
    save_step(model, Path(args.model), {
        "step": "prior", "command": this_command("python -m train.prior", argv),
        "digits_shift": round(float(shift[:10].mean()), 4), "letters_shift": round(float(shift[10:].mean()), 4),
        "letters_bias": args.letters_bias})
    print(f"{args.model}: class prior shift set (digits {shift[:10].mean():+.2f}, letters {shift[10:].mean():+.2f} "
          "nats on average)")


if __name__ == "__main__":
    main()
