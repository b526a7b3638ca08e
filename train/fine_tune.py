"""What the fine-tuning steps after training share (`train.tune_head`, `train.tune_decoder`):
their common options, how a run starts, training a few parameters with the rest frozen,
the optimiser and its schedule, and the batches of an epoch."""
from __future__ import annotations

import argparse
import contextlib
import math
from typing import Iterable, Iterator

import torch

from glyph_vae.model import GlyphVAE

from .augment import augment


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


def shuffled_batches(images: torch.Tensor, labels: torch.Tensor, args: argparse.Namespace,
                     generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch: (glyphs (B, 1, 28, 28) in [0, 1], augmented as --augment says, labels (B,))
    in a fresh random order. Draws from `generator` as it goes, so a run is repeatable."""
    order = torch.randperm(len(labels), generator=generator)
    for start_at in range(0, len(labels), args.batch_size):
        idx = order[start_at:start_at + args.batch_size]
        x = images[idx].float().div(255).unsqueeze(1)
        if args.augment > 0:
            x = augment(x, generator, probability=args.augment)
        yield x, labels[idx]


def batches_per_epoch(labels: torch.Tensor, args: argparse.Namespace) -> int:
    return math.ceil(len(labels) / args.batch_size)
