"""Train GlyphVAE or the muddle autoencoder.

    python -m train --out runs/glyph_vae \
        --data ../shared/data/mnist.npz --data ../shared/data/emnist_byclass_test.npz
    python -m train --model muddle --out runs/muddle --data ../shared/data/mnist.npz

Every run is seeded; `--resume` picks up the last checkpoint exactly (model,
optimizer, schedule, epoch, step within the epoch and every RNG), so a run
killed at any moment continues as if it never stopped.

The same command runs data-parallel under torchrun (see train/distributed.py):

    torchrun --nproc_per_node=4 -m train --out runs/glyph_vae --data ...
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import math
import random
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from glyph_vae.hub import atomic_write_bytes
from glyph_vae.model import GlyphVAE
from glyph_vae.digits import DigitClassifier
from glyph_vae.muddle import MuddleAutoencoder

from .augment import augment
from .data import GlyphSet, concat, load_source, parse_label_map, split_validation
from .distributed import (World, all_sum, barrier, gather, launch_command, setup, shard, teardown,
                          usable_length, world_from_env, wrap)

MODELS = {"glyph_vae": GlyphVAE, "muddle": MuddleAutoencoder, "digits": DigitClassifier}
CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model", choices=sorted(MODELS), default="glyph_vae")
    model_cls = MODELS[pre.parse_known_args(argv)[0].model]
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(MODELS), default="glyph_vae", help="which model to train")
    p.add_argument("--data", action="append", required=True,
                   help="an .npz like ../shared/data/mnist.npz, or a datasets.load_dataset id/folder (repeatable)")
    p.add_argument("--label-offset", type=int, default=0, help="added to every label (10: a letters set's 0-25 become A-Z)")
    p.add_argument("--label-map", help="'letters' (EMNIST Letters' 1-26 become A-Z) or pairs like '0:10,1:11'; "
                                       "applied before --label-offset")
    p.add_argument("--out", required=True, help="run folder: checkpoint, metrics.jsonl and model/")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=256,
                   help="global batch: under torchrun each of N processes takes batch/N")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class-weight", type=float, default=30.0,
                   help="weight of the per-image classification cross-entropy (alpha in Kingma et al. 2014)")
    p.add_argument("--kl-warmup-steps", type=int, default=2000, help="KL weight rises linearly from 0 to 1")
    p.add_argument("--free-bits", type=float, default=0.0, help="per-dimension KL floor in nats")
    p.add_argument("--augment", type=float, default=0.8, help="share of training glyphs augmented (0 = off)")
    p.add_argument("--aug-rotate", type=float, default=10.0, help="max rotation in degrees")
    p.add_argument("--aug-shear", type=float, default=0.3, help="max horizontal shear (italic)")
    p.add_argument("--aug-stretch", type=float, default=0.3, help="max log horizontal stretch (narrow/wide)")
    p.add_argument("--val-fraction", type=float, default=0.03)
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between mid-epoch checkpoints")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps in all (0 = no limit)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N training images (smoke tests)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads per process (0 = all cores, shared among the processes on a machine)")
    p.add_argument("--push-to-hub", metavar="OWNER/NAME",
                   help="after training, upload the model with its card (needs `hf auth login` or HF_TOKEN)")
    p.add_argument("--hub-revision", help="branch to push to (created if missing; default main)")
    p.add_argument("--hub-private", action="store_true", help="create the Hub repo as private")
    p.add_argument("--eval-data-dir", type=Path,
                   help="with --push-to-hub: evaluate on the test splits here (like ../shared/data) for the card; "
                        "without it the card shows the run's validation figures")
    for field in dataclasses.fields(model_cls.config_class):
        p.add_argument(f"--{field.name.replace('_', '-')}", type=int, default=field.default,
                       help=f"model config (default {field.default})")
    return p.parse_args(argv)


def lr_factor(step: int, total: int, warmup: int = 300) -> float:
    """Linear warm-up (at most 5% of the run), then cosine decay to 5% of the peak."""
    warmup = max(1, min(warmup, total // 20))
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


def save_checkpoint(path: Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


@torch.no_grad()
def validate(model, data: GlyphSet, device: torch.device, batch_size: int = 1024) -> dict:
    """Mean loss terms over the validation set (posterior means, no sampling)."""
    model.eval()
    totals: dict[str, float] = {}
    means = []
    for i in range(0, len(data), batch_size):
        x = torch.from_numpy(data.images[i:i + batch_size]).to(device).float().div_(255).unsqueeze(1)
        y = torch.from_numpy(data.labels[i:i + batch_size]).to(device)
        terms = model.loss(x, y)
        for k, v in terms.items():
            if k == "mu":
                means.append(v.cpu())
            elif k == "correct":
                totals["acc"] = totals.get("acc", 0.0) + v.item()
            elif k != "loss":
                totals[k] = totals.get(k, 0.0) + v.item() * len(y)
    model.train()
    n = max(1, len(data))
    result = {f"val_{k}": v / n for k, v in totals.items()}
    if means:
        result["val_active_dims"] = int((torch.cat(means).var(0) > 0.01).sum())
    return result


def rank_seed(base: int, rank: int) -> int:
    """A seed of this rank's own random stream; rank 0 keeps the single-process seed."""
    return base + 1_000_003 * rank


def rng_state(generator: torch.Generator, device: torch.device) -> dict:
    state = {"generator": generator.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":  # the reparameterisation noise is drawn on the GPU there
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: dict, generator: torch.Generator, device: torch.device) -> None:
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    world = world_from_env()
    token = None
    if args.push_to_hub:
        # A push needs a login (and the test data, if named): find out now, not after
        # the hours of training it would upload.
        from .push import preflight

        token = preflight("--push-to-hub", args.push_to_hub, args.model, args.eval_data_dir)
    if args.batch_size % world.size:
        raise SystemExit(f"--batch-size {args.batch_size} is the global batch and must be a multiple of "
                         f"the number of processes ({world.size})")
    device = setup(world, args.device, args.threads)
    try:
        model_dir = train(args, world, device, argv)
        if args.push_to_hub and world.main:
            from .push import push

            url = push(Path(args.out), args.push_to_hub, token=token, revision=args.hub_revision,
                       private=args.hub_private, eval_data_dir=args.eval_data_dir)
            print(f"pushed {model_dir} to {url}", file=sys.stderr)
        return model_dir
    finally:
        teardown(world)


def train(args: argparse.Namespace, world: World, device: torch.device, argv: list[str] | None) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = launch_command(world) + " " + shlex.join(sys.argv[1:] if argv is None else argv)
    if world.main:
        (out / "command.txt").write_text(command + "\n")

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    t0 = time.time()
    try:
        label_map = parse_label_map(args.label_map)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    # The first process on each machine reads Hub datasets first and the others then
    # find them in that machine's datasets cache, rather than all downloading at once.
    # (Every rank reaches exactly one of the two barriers.)
    from_hub = any(not spec.endswith(".npz") for spec in args.data)
    if from_hub and world.local_rank != 0:
        barrier(world)
    data = concat([load_source(spec, "train", args.label_offset, label_map) for spec in args.data])
    if from_hub and world.local_rank == 0:
        barrier(world)
    if args.limit:
        data = GlyphSet(data.images[:args.limit], data.labels[:args.limit])
    train_set, val_set = split_validation(data, args.val_fraction, args.seed)
    if world.main:
        print(f"data: {len(train_set)} train / {len(val_set)} validation glyphs, normalised in "
              f"{time.time() - t0:.1f}s", file=sys.stderr)

    model_cls = MODELS[args.model]
    config = model_cls.config_class(**{f.name: getattr(args, f.name)
                                       for f in dataclasses.fields(model_cls.config_class)})
    model = model_cls(config).to(device)
    if args.model in ("muddle", "digits") and (train_set.labels.max() >= config.num_digits):
        raise SystemExit(f"--model {args.model} trains on digits only (labels 0-9); pass MNIST-style data")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    # --batch-size is global: with N processes each takes batch/N images per step, so
    # the optimisation (steps, learning rate, schedule) is the same for any N.
    per_rank = args.batch_size // world.size
    n_used = usable_length(len(train_set), world)
    steps_per_epoch = math.ceil(n_used / args.batch_size)
    total_steps = args.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, total_steps))
    generator = torch.Generator(device="cpu")
    if world.distributed:
        # The same weights everywhere (DDP also broadcasts rank 0's), but each rank's
        # own noise: identical sampling noise on every shard would be correlated.
        torch.manual_seed(rank_seed(args.seed, world.rank))
        print(f"rank {world.rank}/{world.size}: {per_rank} images of each {args.batch_size}-image batch, "
              f"{n_used // world.size} per epoch, on {device}", file=sys.stderr)

    epoch, step_in_epoch, global_step = 0, 0, 0
    ckpt_path = out / CHECKPOINT
    if args.resume:  # every rank loads the checkpoint: model, optimizer and its own random state
        if not ckpt_path.is_file():
            raise SystemExit(f"--resume: no checkpoint at {ckpt_path}")
        # weights_only=True: our own checkpoint, but still never run pickled code. Loaded
        # to the CPU: RNG states must stay there, and load_state_dict moves the rest.
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        if state["config"] != dataclasses.asdict(config):
            raise SystemExit(f"--resume: the checkpoint's model config {state['config']} differs from this command's")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        epoch, step_in_epoch, global_step = state["epoch"], state["step_in_epoch"], state["global_step"]
        saved_rng = state.get("rng") or [{"generator": state["generator"], "torch": state["torch_rng"]}]
        if len(saved_rng) == world.size:
            restore_rng(saved_rng[world.rank], generator, device)
        else:
            # Other shards and other streams: training goes on correctly, but is no
            # longer bit-identical to an uninterrupted run.
            generator.manual_seed(rank_seed(args.seed * 100_003 + global_step, world.rank))
            torch.manual_seed(rank_seed(args.seed + global_step, world.rank))
            if world.main:
                print(f"note: the checkpoint was written by {len(saved_rng)} process(es), this run has "
                      f"{world.size}; it continues, but not bit-identically", file=sys.stderr)
        if world.main:
            print(f"resumed from {ckpt_path}: epoch {epoch}, step {step_in_epoch}/{steps_per_epoch}", file=sys.stderr)

    def checkpoint() -> None:
        # Collective: every rank reaches each checkpoint at the same step and hands
        # over its random state; rank 0 alone writes the file.
        rng = gather(rng_state(generator, device), world)
        if world.main:
            save_checkpoint(ckpt_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch, "step_in_epoch": step_in_epoch,
                "global_step": global_step, "rng": rng, "world_size": world.size,
                "config": dataclasses.asdict(config),
            })

    loss_fn = wrap(model, world, device)
    images = torch.from_numpy(train_set.images)
    labels = torch.from_numpy(train_set.labels)
    log = open(out / METRICS, "a") if world.main else None
    model.train()
    stop = False
    while epoch < args.epochs and not stop:
        # The order of an epoch depends only on (seed, epoch), so a resumed run
        # replays the same permutation and skips the batches already done; every
        # rank computes the same permutation and takes its own slice of each batch.
        order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(args.seed * 100_003 + epoch))
        order = order[:n_used]
        if step_in_epoch == 0:
            generator.manual_seed(rank_seed(args.seed * 100_003 + epoch, world.rank))
        sums: dict[str, float] = {}
        count = 0
        start = time.time()
        bar = tqdm(range(step_in_epoch, steps_per_epoch), initial=step_in_epoch, total=steps_per_epoch,
                   desc=f"epoch {epoch + 1}/{args.epochs}", dynamic_ncols=True, mininterval=1.0,
                   disable=not world.main)
        for step_in_epoch in bar:
            idx = shard(order[step_in_epoch * args.batch_size:(step_in_epoch + 1) * args.batch_size], world)
            x = images[idx].to(device).float().div_(255).unsqueeze(1)
            y = labels[idx].to(device)
            if args.augment > 0:
                x = augment(x.cpu(), generator, probability=args.augment, max_rotate=args.aug_rotate,
                            max_shear=args.aug_shear, max_stretch=args.aug_stretch).to(device)
            kl_weight = min(1.0, (global_step + 1) / max(1, args.kl_warmup_steps))
            # Through the DDP wrapper when distributed, so the backward pass averages the
            # ranks' gradients. Every loss term is a mean over the rank's images, so with
            # equal shards the average is the global batch's mean, as in one process (not
            # quite for --free-bits, whose floor applies to each shard's mean KL).
            terms = loss_fn(x, y, kl_weight=kl_weight, class_weight=args.class_weight, free_bits=args.free_bits)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            scheduler.step()
            global_step += 1

            n = len(y)
            count += n
            for k, v in terms.items():
                if k == "correct":
                    sums["acc"] = sums.get("acc", 0.0) + v.item()
                elif k != "mu":
                    sums[k] = sums.get(k, 0.0) + v.item() * n
            if step_in_epoch % 20 == 0:
                bar.set_postfix({k: f"{v.item():.3g}" for k, v in terms.items() if k not in ("mu", "correct")})
            done_steps = step_in_epoch + 1
            if args.max_steps and global_step >= args.max_steps:
                step_in_epoch = done_steps
                stop = True
                break
            if args.checkpoint_every and global_step % args.checkpoint_every == 0 and done_steps < steps_per_epoch:
                step_in_epoch = done_steps
                checkpoint()
        else:
            step_in_epoch = steps_per_epoch
        bar.close()

        # The epoch's figures over all ranks' images, not just rank 0's shard.
        keys = sorted(sums)
        totals = all_sum([sums[k] for k in keys] + [count], world, device)
        sums, count = dict(zip(keys, totals[:-1])), totals[-1]
        epoch_done = step_in_epoch >= steps_per_epoch
        record = {"epoch": epoch + 1, "global_step": global_step, "epoch_complete": epoch_done,
                  "seconds": round(time.time() - start, 1),
                  "images_per_s": round(count / max(1e-9, time.time() - start), 1),
                  "lr": scheduler.get_last_lr()[0], "processes": world.size,
                  "n_train": len(train_set), "n_val": len(val_set)}
        record.update({f"train_{k}": v / max(1, count) for k, v in sums.items()})
        if epoch_done:
            if world.main:  # validation only feeds the log, which rank 0 writes
                record.update(validate(model, val_set, device))
            if hasattr(model, "fit_centroids"):  # stored with the weights, not recomputed by the app
                # On every rank, from the same weights and data, so all replicas stay identical.
                model.fit_centroids(images.float().div(255).unsqueeze(1).to(device), labels.to(device))
            epoch, step_in_epoch = epoch + 1, 0
        checkpoint()
        if world.main:
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in record.items()}),
                  file=sys.stderr)
            model.save_pretrained(out / "model")
    if log:
        log.close()
    barrier(world)  # no rank leaves before rank 0 has written the final model
    return out / "model"


if __name__ == "__main__":
    main()
