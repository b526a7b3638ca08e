"""The one training loop of the benchmarks' judges (the character and digit classifiers and the
panel's members): AdamW under a one-cycle schedule, cross-entropy, light augmentation."""
from __future__ import annotations

import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

Batches = Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def fit_classifier(model: nn.Module, epoch_data: Batches, *, examples_per_epoch: int, epochs: int, seed: int,
                   batch_size: int = 128, max_stretch: float | None = 0.1, name: str = "classifier",
                   log: Callable[[str], None] = print) -> nn.Module:
    """Train `model` (built by the caller after `torch.manual_seed`, so its initial weights are
    seeded) for `epochs`; returns it in eval mode.

    `epoch_data(generator)` gives each epoch's (N, 1, 28, 28) images in [0, 1] and labels, drawn
    with the loop's generator where it samples (every epoch holds `examples_per_epoch`). Each
    batch is augmented (stroke weight, shear, width, rotation; `max_stretch` bounds the width)
    with probability 1/2, or not at all when `max_stretch` is None. Seeded: the same inputs
    give the same weights on the same machine and thread count."""
    from train.augment import augment

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=1e-4)
    per_epoch = max(1, examples_per_epoch // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * per_epoch)
    model.train()
    for epoch in range(epochs):
        x, y = epoch_data(gen)
        order = torch.randperm(len(y), generator=gen)
        start, seen, right = time.time(), 0, 0
        for i in range(per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb = x[idx] if max_stretch is None else augment(x[idx], gen, probability=0.5, max_stretch=max_stretch)
            logits = model(xb)
            loss = F.cross_entropy(logits, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += len(idx)
            right += int((logits.argmax(1) == y[idx]).sum())
        log(f"{name} epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, train acc {right / seen:.3f} "
            f"({time.time() - start:.0f}s)")
    return model.eval()
