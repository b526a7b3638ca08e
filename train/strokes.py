"""Train StrokeNet: (class, z) -> the pen strokes of the glyph the decoder draws.

    python -m train.strokes --out /root/ckpt/22/strokes --minutes 25
    python -m train.strokes --out /root/ckpt/22/strokes --resume --minutes 10 --lr 3e-4
    python -m train.strokes --out /root/ckpt/22/strokes --export assets/strokes

The loss is the per-glyph fit's (glyph_vae.glyphs.pen.stroke_loss): the strokes, soft-rasterised,
against the decoder's own ink, with the same priors; the decoder is frozen. Styles are drawn
from the prior, shrunk by a random factor (a style inferred from drawings sits nearer the
mean than a prior sample), so the net sees every hand the sliders and style files reach.
Every construction of a glyph's class is trained at once; the app keeps the best-fitting.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from glyph_vae import GlyphVAE
from glyph_vae.glyphs import pen
from glyph_vae.pipelines.style import ink, written_probabilities


def batch(model: GlyphVAE, size: int, generator: torch.Generator):
    classes = torch.randint(0, len(pen.CLASS_CONSTRUCTIONS), (size,), generator=generator)
    shrink = torch.rand(size, 1, generator=generator) * 1.2
    z = torch.randn(size, model.config.latent_dim, generator=generator) * shrink
    target = torch.from_numpy(ink(written_probabilities(model, classes, z)))
    rows = [(b, v) for b, c in enumerate(classes.tolist()) for v in pen.CLASS_CONSTRUCTIONS[c]]
    index = torch.tensor([b for b, _ in rows])
    construction = torch.tensor([v for _, v in rows])
    return construction, z[index], target[index]


def loss_of(net: pen.StrokeNet, construction, z, target, soft_weight: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    placed = pen.placement(target, construction)
    points, width = net(construction, z, placed, pen.initial_width(target))
    nearest = pen.nearest_segments(pen.curve(points.detach()), pen.STROKE_MASK[construction])
    # A softer pen's error as well: ink a few pixels away still pulls (the per-glyph fit anneals to
    # 0.5). Once the strokes are near the ink, a run without it (--soft-weight 0) lays them on it.
    total, image = pen.stroke_loss(points, width, target, construction, placed, 0.5, nearest=nearest,
                                   soft_weight=soft_weight)
    return total.mean(), image.mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export", type=Path, help="write the trained weights as safetensors here and stop")
    parser.add_argument("--init", type=Path, help="start from these exported weights (a folder with "
                                                  "stroke_net.safetensors), with a fresh optimiser")
    parser.add_argument("--soft-weight", type=float, default=0.5,
                        help="weight of the softer pen's error (0: the pen's alone, to settle the strokes on the ink)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / "checkpoint.pt"

    model = GlyphVAE.from_pretrained().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    net = pen.StrokeNet(model.config.latent_dim)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    step = 0
    if args.resume or args.export:
        state = torch.load(checkpoint, weights_only=False)
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        step = state["step"]
        for group in optimizer.param_groups:  # --lr holds on a resumed run too (a lower one to settle)
            group["lr"] = args.lr
    elif args.init:
        net.load_state_dict(pen.load_stroke_net(args.init, model.config.latent_dim).state_dict())
        net.train()
    if args.export:
        pen.save_stroke_net(net, args.export, {"steps": step})
        print(f"exported {args.export} after {step} steps")
        return

    log = open(args.out / "log.jsonl", "a")
    start, last_save = time.time(), time.time()
    while time.time() - start < args.minutes * 60:
        construction, z, target = batch(model, args.batch, generator)
        loss, image = loss_of(net, construction, z, target, args.soft_weight)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        optimizer.step()
        step += 1
        if step % 20 == 0:
            log.write(json.dumps({"step": step, "loss": loss.item(), "image_mse": image.item(),
                                  "seconds": round(time.time() - start, 1)}) + "\n")
            log.flush()
        if time.time() - last_save > 120:
            torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(),
                        "generator": generator.get_state(), "step": step}, checkpoint)
            last_save = time.time()
    torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(),
                "generator": generator.get_state(), "step": step}, checkpoint)
    print(f"{step} steps")


if __name__ == "__main__":
    main()
