"""What the steps after training share (`train.tune_head`, `train.tune_decoder`, `train.prior`,
`train.style_axes`): their common options, how a run starts, training a few parameters with
the rest frozen, the optimiser and its schedule, the batches of an epoch, and how a step is
recorded in the model's training.json and saved with its card."""
from __future__ import annotations

import argparse
import contextlib
import json
import math
from pathlib import Path
from typing import Iterable, Iterator

import torch

from glyph_vae.models.hub import ASSETS_DIR, EVAL_RECORD, TRAINING_RECORD
from glyph_vae.models.model import GlyphVAE

from .augment import augment, augment_reader


def parser(prog: str, doc: str, *, model_help: str, epochs: int, lr: float) -> argparse.ArgumentParser:
    """The options every fine-tuning step takes; the caller adds its own."""
    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    p.add_argument("model", help=model_help)
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--augment", type=float, default=0.8,
                   help="share of the training glyphs augmented, as in training")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    return p


def start(args: argparse.Namespace) -> GlyphVAE:
    """Threads and seed as asked, then the model to tune."""
    torch.set_num_threads(args.threads or torch.get_num_threads())
    torch.manual_seed(args.seed)
    return GlyphVAE.from_pretrained(args.model)


@contextlib.contextmanager
def only_training(model: torch.nn.Module, params: Iterable[torch.nn.Parameter]) -> Iterator[None]:
    """Gradients for `params` alone while inside; every parameter trainable again after."""
    for param in model.parameters():
        param.requires_grad_(False)
    for param in params:
        param.requires_grad_(True)
    try:
        yield
    finally:
        for param in model.parameters():
            param.requires_grad_(True)


def adam_cosine(params: list[torch.nn.Parameter], args: argparse.Namespace, labels: torch.Tensor):
    """Adam at --lr, decayed along a cosine over all of the run's steps."""
    optimizer = torch.optim.Adam(params, lr=args.lr)
    steps = args.epochs * batches_per_epoch(labels, args)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)


def adamw_one_cycle(params: list[torch.nn.Parameter], args: argparse.Namespace, labels: torch.Tensor):
    """AdamW with --weight-decay, on a one-cycle schedule (Smith & Topin 2019) rising to --lr and
    annealed over all of the run's steps."""
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * batches_per_epoch(labels, args)
    return optimizer, torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=steps)


def shuffled_batches(images: torch.Tensor, labels: torch.Tensor, args: argparse.Namespace,
                     generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch: (glyphs (B, 1, 28, 28) in [0, 1], augmented as --augment says, labels (B,))
    in a fresh random order. Draws from `generator` as it goes, so a run is repeatable."""
    order = torch.randperm(len(labels), generator=generator)
    for start_at in range(0, len(labels), args.batch_size):
        idx = order[start_at:start_at + args.batch_size]
        x = images[idx].float().div(255).unsqueeze(1)
        if args.augment > 0 and getattr(args, "augment_recipe", "reframed") == "moved":
            x = augment_reader(x, generator, probability=args.augment)
        elif args.augment > 0:
            x = augment(x, generator, probability=args.augment)
        yield x, labels[idx]


def batches_per_epoch(labels: torch.Tensor, args: argparse.Namespace) -> int:
    return math.ceil(len(labels) / args.batch_size)


def record_step(model: GlyphVAE, step: dict, *, weights_changed: bool = True) -> None:
    """Add a step (its "step" name, "command" and figures) to the model's training.json.
    When the weights changed, the test figures of eval.json no longer describe them and
    are dropped: `train.evaluate --write-card` measures the new weights."""
    steps = json.loads(model.files.get(TRAINING_RECORD, b"[]")) + [step]
    model.files[TRAINING_RECORD] = (json.dumps(steps, indent=2) + "\n").encode()
    if weights_changed:
        model.files.pop(EVAL_RECORD, None)


def save_step(model: GlyphVAE, folder: Path, step: dict, *, weights_changed: bool = True) -> Path:
    """Record the step, then save the model, its sidecars and its card into `folder`."""
    from .cards import write_card

    record_step(model, step, weights_changed=weights_changed)
    folder = Path(folder)
    model.save_pretrained(folder)
    if weights_changed:
        (folder / EVAL_RECORD).unlink(missing_ok=True)
    bundled = folder.resolve().is_relative_to(ASSETS_DIR.resolve())
    write_card(model, folder, model_id=None if bundled else str(folder))
    return folder
