"""Fine-tune only GlyphVAE's class head, with everything else frozen.

    python -m train.tune_head runs/glyph_vae/model --data ../shared/data/mnist.npz \
        --data ../shared/data/emnist_byclass_test.npz --epochs 2

The encoder trunk is shared by the class head and the posterior over z, and the
full loss spends much of its effort on reconstruction. A few epochs of
cross-entropy on the head alone (same data and augmentation as training) sharpen
the reading without moving z, the decoder, or anything a style depends on. Run it
before `python -m train.prior`, which then corrects the head's class prior.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from glyph_vae.model import GlyphVAE

from .augment import augment
from .data import train_tensors


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(prog="python -m train.tune_head", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="model folder, updated in place")
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--augment", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads or torch.get_num_threads())
    torch.manual_seed(args.seed)

    model = GlyphVAE.from_pretrained(args.model)
    if model.class_prior_shift.abs().sum() > 0:
        raise SystemExit(f"{args.model} already has a class prior shift: tune the head before python -m train.prior")
    images, labels = train_tensors(args.data)
    for param in model.parameters():
        param.requires_grad_(False)
    head = model.class_head
    for param in head.parameters():
        param.requires_grad_(True)
    optimizer = torch.optim.Adam(head.parameters(), lr=args.lr)
    steps = args.epochs * math.ceil(len(labels) / args.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    generator = torch.Generator().manual_seed(args.seed)
    model.eval()  # no dropout or batch norm anywhere; only the head's weights change
    for epoch in range(args.epochs):
        order = torch.randperm(len(labels), generator=generator)
        bar = tqdm(range(0, len(labels), args.batch_size), desc=f"head epoch {epoch + 1}/{args.epochs}")
        correct = seen = 0
        for start in bar:
            idx = order[start:start + args.batch_size]
            x = images[idx].float().div(255).unsqueeze(1)
            if args.augment > 0:
                x = augment(x, generator, probability=args.augment)
            with torch.no_grad():
                features = model.encoder(x)
            logits = head(features)
            loss = F.cross_entropy(logits, labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            correct += int((logits.argmax(1) == labels[idx]).sum())
            seen += len(idx)
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{correct / seen:.4f}")
        print(f"epoch {epoch + 1}: train accuracy {correct / seen:.4f}", file=sys.stderr)
    for param in model.parameters():
        param.requires_grad_(True)
    model.save_pretrained(args.model)
    return Path(args.model)


if __name__ == "__main__":
    main()
