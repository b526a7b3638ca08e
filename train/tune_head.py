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

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import fine_tune
from .data import train_tensors
from .records import this_command


def main(argv: list[str] | None = None) -> Path:
    args = fine_tune.parser("python -m train.tune_head", __doc__, model_help="model folder, updated in place",
                            epochs=2, lr=5e-4).parse_args(argv)
    model = fine_tune.start(args)
    if model.class_prior_shift.abs().sum() > 0:
        raise SystemExit(f"{args.model} already has a class prior shift: tune the head before python -m train.prior")
    images, labels = train_tensors(args.data)
    head = model.class_head
    optimizer, schedule = fine_tune.adam_cosine(list(head.parameters()), args, labels)
    generator = torch.Generator().manual_seed(args.seed)
    model.eval()  # no dropout or batch norm anywhere; only the head's weights change
    with fine_tune.only_training(model, head.parameters()):
        for epoch in range(args.epochs):
            bar = tqdm(fine_tune.shuffled_batches(images, labels, args, generator),
                       total=fine_tune.batches_per_epoch(labels, args), desc=f"head epoch {epoch + 1}/{args.epochs}")
            correct = seen = 0
            for x, y in bar:
                with torch.no_grad():
                    features = model.encoder(x)
                logits = head(features)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                correct += int((logits.argmax(1) == y).sum())
                seen += len(y)
                bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{correct / seen:.4f}")
            print(f"epoch {epoch + 1}: train accuracy {correct / seen:.4f}", file=sys.stderr)
    return fine_tune.save_step(model, Path(args.model), {
        "step": "tune_head", "command": this_command("python -m train.tune_head", argv), "epochs": args.epochs,
        "train_accuracy_last_epoch": round(correct / max(1, seen), 4)})


if __name__ == "__main__":
    main()
