"""Train GlyphVAE's reading half alone, with everything else frozen.

    python -m train.tune_head runs/glyph_vae/model --data ../shared/data/mnist.npz \
        --data ../shared/data/emnist_byclass_test.npz --epochs 2
    python -m train.tune_head runs/glyph_vae/model --reader-channels 32 --epochs 15 \
        --data ../shared/data/mnist.npz --data ../shared/data/emnist_byclass_test.npz
    python -m train.tune_head runs/glyph_vae/model --reader-channels 24 --reader-hidden 256 \
        --optimizer adamw --weight-decay 5e-4 --lr 3e-3 --augment-recipe moved --augment 0.75 --epochs 3 \
        --data ../shared/data/mnist.npz --data ../shared/data/emnist_byclass_test.npz

The encoder trunk is shared by the class head and the posterior over z, and the
full loss spends much of its effort on reconstruction. Cross-entropy on the head alone
(same data and augmentation as training) sharpens the reading without moving z, the
decoder, or anything a style depends on. With --reader-channels the head gets a trunk
of its own (a VGG-style CNN, `glyph_vae.models.model.reader_trunk`), trained from scratch
here: the model's config gains `reader_channels`, and the old head is replaced.

The third is the recipe of a dedicated VGG-BN character CNN (widths 24/48/96, a 256-wide
feature layer, AdamW with a one-cycle schedule, the glyphs moved within the frame rather than
framed again, soft dilation and erosion: `train.augment.augment_reader`).

Each epoch ends with the accuracy on a held-out share of the training data and a
checkpoint (`--checkpoint`, default MODEL/../tune_head.pt); `--resume` continues from
it. Run this before `python -m train.prior`, which then corrects the head's class prior.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from glyph_vae.models.model import CHARSET, GlyphVAE

from . import fine_tune
from .data import train_tensors
from .records import this_command


def with_reader(model: GlyphVAE, channels: int, hidden: int = 0) -> GlyphVAE:
    """A copy of `model` whose class head reads from a fresh trunk of its own; every other
    weight (the posterior's trunk, the decoder) is carried over. The class prior shift
    starts at zero again: it corrected the old head (`train.prior` corrects the new one)."""
    config = dataclasses.replace(model.config, reader_channels=channels, reader_hidden=hidden)
    new = GlyphVAE(config)
    reading = ("class_head.", "reader.", "class_prior_shift")
    kept = {k: v for k, v in model.state_dict().items() if not k.startswith(reading)}
    missing, unexpected = new.load_state_dict(kept, strict=False)
    assert not unexpected and all(k.startswith(reading) for k in missing), (missing, unexpected)
    new.files = dict(model.files)
    new.style_axes = model.style_axes
    return new


def drawn_glyphs(per_char: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`per_char` mouse-style drawings of each character as /classify sees them: (N, 28, 28)
    uint8 glyphs and (N,) labels. EMNIST's writers wrote with a pen on forms; the app's users
    draw with a mouse or a finger, with even strokes, any width and a hand's wobble, and a
    drawn O is a wider ring than a drawn 0. The reader learns their look from these."""
    from glyph_vae.glyphs.preprocess import normalize_glyph
    from glyph_vae.testing.drawings import TEST_SEED, drawing_set

    if seed == TEST_SEED:
        raise SystemExit(f"--drawn-seed {seed} is the mouse-drawn test set's seed: take another")
    drawings = drawing_set(per_char=per_char, seed=seed)
    glyphs = np.stack([np.round(normalize_glyph(image) * 255).astype(np.uint8) for _, image in drawings])
    labels = [CHARSET.index(char) for char, _ in drawings]
    return torch.from_numpy(glyphs), torch.tensor(labels, dtype=torch.long)


@torch.no_grad()
def accuracy(model: GlyphVAE, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2048) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch_size):
        x = images[i:i + batch_size].float().div(255).unsqueeze(1)
        correct += int((model.read_logits(x).argmax(1) == labels[i:i + batch_size]).sum())
    return correct / max(1, len(labels))


def main(argv: list[str] | None = None) -> Path:
    p = fine_tune.parser("python -m train.tune_head", __doc__, model_help="model folder, updated in place",
                         epochs=2, lr=5e-4)
    p.add_argument("--reader-channels", type=int, default=0,
                   help="give the head a trunk of its own with this many channels in its first block (0: keep)")
    p.add_argument("--reader-hidden", type=int, default=0,
                   help="width of the new reader's feature layer (0: the config's hidden)")
    p.add_argument("--optimizer", choices=("adam", "adamw"), default="adam",
                   help="adam: Adam with a cosine decay from --lr; adamw: AdamW (--weight-decay) with a "
                        "one-cycle schedule peaking at --lr")
    p.add_argument("--weight-decay", type=float, default=5e-4, help="AdamW's decoupled weight decay")
    p.add_argument("--augment-recipe", choices=("reframed", "moved"), default="reframed",
                   help="reframed: training's augmentation, each glyph framed again; moved: the reader's "
                        "(train.augment.augment_reader: rotation, scale, aspect, shear and shift kept, soft "
                        "dilation and erosion), on --augment of the glyphs")
    p.add_argument("--drawn", type=int, default=0,
                   help="add this many mouse-style drawings of each character (glyph_vae.glyphs.strokes, seed "
                        "--drawn-seed, never the test set's), normalised as /classify reads a drawing")
    p.add_argument("--drawn-seed", type=int, default=7,
                   help="seed of the added drawings (the mouse-drawn test set's seed is refused)")
    p.add_argument("--val-fraction", type=float, default=0.03, help="share of the training data held out")
    p.add_argument("--checkpoint", default=None, help="per-epoch checkpoint (default: MODEL/../tune_head.pt)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    args = p.parse_args(argv)
    model = fine_tune.start(args)
    if args.reader_channels and (args.reader_channels, args.reader_hidden) != (model.config.reader_channels,
                                                                                model.config.reader_hidden):
        model = with_reader(model, args.reader_channels, args.reader_hidden)
    elif model.class_prior_shift.abs().sum() > 0:
        raise SystemExit(f"{args.model} already has a class prior shift: tune the head before python -m train.prior")
    checkpoint = Path(args.checkpoint or Path(args.model).resolve().parent / "tune_head.pt")

    images, labels = train_tensors(args.data)
    if args.drawn:
        drawn_images, drawn_labels = drawn_glyphs(args.drawn, args.drawn_seed)
        images, labels = torch.cat([images, drawn_images]), torch.cat([labels, drawn_labels])
    held_out = torch.randperm(len(labels), generator=torch.Generator().manual_seed(args.seed + 1))
    n_val = int(round(args.val_fraction * len(labels)))
    val_images, val_labels = images[held_out[:n_val]], labels[held_out[:n_val]]
    images, labels = images[held_out[n_val:]], labels[held_out[n_val:]]

    params = model.reading_parameters()
    if args.optimizer == "adamw":
        optimizer, schedule = fine_tune.adamw_one_cycle(params, args, labels)
    else:
        optimizer, schedule = fine_tune.adam_cosine(params, args, labels)
    generator = torch.Generator().manual_seed(args.seed)
    first_epoch, history = 0, []
    if args.resume:
        # weights_only: our own checkpoint, but never run pickled code.
        state = torch.load(checkpoint, weights_only=True)
        if state["config"] != dataclasses.asdict(model.config):
            raise SystemExit(f"--resume: {checkpoint} is of another config ({state['config']})")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        # A resumed run may be given more epochs than it started with: the cosine then
        # stretches over the longer run from where it is (the one-cycle keeps its length).
        if args.optimizer == "adam":
            schedule.T_max = args.epochs * fine_tune.batches_per_epoch(labels, args)
        generator.set_state(state["generator"])
        first_epoch, history = state["epoch"], state["history"]
        print(f"resumed from {checkpoint} after epoch {first_epoch}", file=sys.stderr)

    with fine_tune.only_training(model, params):
        for epoch in range(first_epoch, args.epochs):
            model.eval()  # the posterior's trunk and the decoder have no dropout or batch norm to switch
            model.class_head.train()
            if model.reader is not None:
                model.reader.train()
            bar = tqdm(fine_tune.shuffled_batches(images, labels, args, generator),
                       total=fine_tune.batches_per_epoch(labels, args), desc=f"head epoch {epoch + 1}/{args.epochs}")
            correct = seen = 0
            started = time.perf_counter()
            for x, y in bar:
                logits = model.read_logits(x)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                correct += int((logits.argmax(1) == y).sum())
                seen += len(y)
                bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{correct / seen:.4f}")
            history.append({"epoch": epoch + 1, "train_accuracy": round(correct / max(1, seen), 4),
                            "val_accuracy": round(accuracy(model, val_images, val_labels), 4),
                            "seconds": round(time.perf_counter() - started)})
            print(f"epoch {epoch + 1}: train accuracy {history[-1]['train_accuracy']:.4f}, "
                  f"held-out {history[-1]['val_accuracy']:.4f}", file=sys.stderr)
            torch.save({"config": dataclasses.asdict(model.config), "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                        "generator": generator.get_state(), "epoch": epoch + 1, "history": history}, checkpoint)
    model.eval()
    return fine_tune.save_step(model, Path(args.model), {
        "step": "tune_head", "command": this_command("python -m train.tune_head", argv), "epochs": args.epochs,
        "reader_channels": model.config.reader_channels, "reader_hidden": model.config.reader_hidden,
        "optimizer": args.optimizer, "augment_recipe": args.augment_recipe, "drawn_per_char": args.drawn,
        "history": history})


if __name__ == "__main__":
    main()
