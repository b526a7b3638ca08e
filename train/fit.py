"""Train GlyphVAE, the muddle autoencoder or the digit classifier.

    python -m train --out runs/glyph_vae \
        --data ../shared/data/mnist.npz --data ../shared/data/emnist_byclass_test.npz
    python -m train --model muddle --out runs/muddle --data ../shared/data/mnist.npz

Every run is seeded; `--resume` picks up the last checkpoint exactly (model,
optimizer, schedule, epoch, step within the epoch and every RNG), so a run
killed at any moment continues as if it never stopped.

The same command runs data-parallel under torchrun (see train/distributed.py):

    torchrun --nproc_per_node=4 -m train --out runs/glyph_vae --data ...

The loop at the bottom (`train`) reads top to bottom: data, model, optimiser, resume,
then for each epoch its batches (one `training_step` each), validation, checkpoint and
the model folder. Each step of it is a small function above.
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from glyph_vae.models.hub import TRAINING_RECORD, HubModel, atomic_write_bytes
from glyph_vae.models.registry import MODEL_TYPES, model_class

from .augment import augment
from .data import GlyphSet, concat, load_source, parse_label_map, split_validation
from .distributed import (World, all_sum, barrier, gather, launch_command, setup, shard, teardown,
                          usable_length, world_from_env, wrap)
from .records import CHECKPOINT, COMMAND, METRICS


@dataclass
class TrainConfig:
    """What `python -m train` takes (besides the model's own config)."""

    data: list[str] = field(default_factory=list, metadata={
        "help": "an .npz like ../shared/data/mnist.npz, or a datasets.load_dataset id/folder (repeatable)"})
    out: str = field(default="", metadata={"help": "run folder: checkpoint, metrics.jsonl and model/"})
    model: str = field(default="glyph_vae", metadata={"help": "which model to train", "choices": MODEL_TYPES})
    label_offset: int = field(default=0, metadata={
        "help": "added to every label (10: a letters set's 0-25 become A-Z)"})
    label_map: str | None = field(default=None, metadata={
        "help": "'letters' (EMNIST Letters' 1-26 become A-Z) or pairs like '0:10,1:11'; applied before --label-offset"})
    epochs: int = 15
    batch_size: int = field(default=256, metadata={"help": "global batch: under torchrun each of N processes takes batch/N"})
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    class_weight: float = field(default=30.0, metadata={
        "help": "weight of the per-image classification cross-entropy (alpha in Kingma et al. 2014)"})
    kl_warmup_steps: int = field(default=2000, metadata={"help": "KL weight rises linearly from 0 to 1"})
    free_bits: float = field(default=0.0, metadata={"help": "per-dimension KL floor in nats"})
    augment: float = field(default=0.8, metadata={"help": "share of training glyphs augmented (0 = off)"})
    aug_rotate: float = field(default=10.0, metadata={"help": "max rotation in degrees"})
    aug_shear: float = field(default=0.3, metadata={"help": "max horizontal shear (italic)"})
    aug_stretch: float = field(default=0.3, metadata={"help": "max log horizontal stretch (narrow/wide)"})
    val_fraction: float = 0.03
    checkpoint_every: int = field(default=500, metadata={"help": "steps between mid-epoch checkpoints"})
    max_steps: int = field(default=0, metadata={"help": "stop after this many steps in all (0 = no limit)"})
    limit: int = field(default=0, metadata={"help": "use only the first N training images (smoke tests)"})
    resume: bool = field(default=False, metadata={"help": "continue from OUT/checkpoint.pt"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda"})
    threads: int = field(default=0, metadata={
        "help": "CPU threads per process (0 = all cores, shared among the processes on a machine)"})
    push_to_hub: str | None = field(default=None, metadata={
        "help": "after training, upload the model with its card (needs `hf auth login` or HF_TOKEN)",
        "metavar": "OWNER/NAME"})
    hub_revision: str | None = field(default=None, metadata={"help": "branch to push to (created if missing; default main)"})
    hub_private: bool = field(default=False, metadata={"help": "create the Hub repo as private"})
    acai: float = field(default=0.0, metadata={
        "help": "muddle only: weight of ACAI's adversarial interpolation term (Berthelot et al. 2018; "
                "train/acai.py); 0 = off, the published recipe"})
    acai_gamma: float = field(default=0.2, metadata={
        "help": "ACAI: the critic also answers 0 on gamma x + (1 - gamma) x_hat (the paper's 0.2)"})
    acai_critic_lr: float = field(default=1e-3, metadata={"help": "ACAI: the critic's learning rate (Adam)"})
    eval_data_dir: str | None = field(default=None, metadata={
        "help": "with --push-to-hub: evaluate on the test splits here (like ../shared/data) for the card; "
                "without it the card shows the run's validation figures"})


def switch(text: str) -> bool:
    """A model config's on/off switch on the command line: 1/0 (as the recorded commands say
    it), true/false, yes/no or on/off."""
    value = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected 1 or 0 (true or false), not {text!r}")
    return value


def parse_args(argv: list[str] | None = None):
    """(TrainConfig, the model's config) from the command line; the model's config fields
    (e.g. --channels) are options too, with its defaults."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model", choices=MODEL_TYPES, default="glyph_vae")
    model_cls = model_class(pre.parse_known_args(argv)[0].model)
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n\n")[0])
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        extra = {k: v for k, v in f.metadata.items()}
        if f.type in ("bool", bool):
            p.add_argument(flag, action="store_true", **extra)
        elif f.name == "data":
            p.add_argument(flag, action="append", required=True, **extra)
        elif f.name == "out":
            p.add_argument(flag, required=True, **extra)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            p.add_argument(flag, type=kind, default=f.default, **extra)
    model_fields = dataclasses.fields(model_cls.config_class)
    for f in model_fields:
        if f.type in (bool, "bool"):
            p.add_argument(f"--{f.name.replace('_', '-')}", type=switch, default=f.default, metavar="1|0",
                           help=f"model config switch (default {int(f.default)})")
        else:
            p.add_argument(f"--{f.name.replace('_', '-')}", type=int, default=f.default,
                           help=f"model config (default {f.default})")
    args = vars(p.parse_args(argv))
    config = TrainConfig(**{f.name: args[f.name] for f in dataclasses.fields(TrainConfig)})
    return config, model_cls.config_class(**{f.name: args[f.name] for f in model_fields})


# -- the steps of the loop ------------------------------------------------------------------
def lr_factor(step: int, total: int, warmup: int = 300) -> float:
    """Linear warm-up (at most 5% of the run), then cosine decay to 5% of the peak."""
    warmup = max(1, min(warmup, total // 20))
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


def rank_seed(base: int, rank: int) -> int:
    """A seed of this rank's own random stream; rank 0 keeps the single-process seed."""
    return base + 1_000_003 * rank


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 100_003 + epoch


def load_data(cfg: TrainConfig, world: World) -> tuple[GlyphSet, GlyphSet]:
    """The training and validation glyphs, normalised. The first process on each machine
    reads Hub datasets first, and the others then find them in that machine's datasets
    cache, rather than all downloading at once (every rank reaches exactly one barrier)."""
    try:
        label_map = parse_label_map(cfg.label_map)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    from_hub = any(not spec.endswith(".npz") for spec in cfg.data)
    if from_hub and world.local_rank != 0:
        barrier(world)
    data = concat([load_source(spec, "train", cfg.label_offset, label_map) for spec in cfg.data])
    if from_hub and world.local_rank == 0:
        barrier(world)
    if cfg.limit:
        data = GlyphSet(data.images[:cfg.limit], data.labels[:cfg.limit])
    return split_validation(data, cfg.val_fraction, cfg.seed)


def build_model(cfg: TrainConfig, model_config, train_set: GlyphSet, device: torch.device) -> HubModel:
    model = model_class(cfg.model)(model_config).to(device)
    if model.digits_only and train_set.labels.max() >= model_config.num_digits:
        raise SystemExit(f"--model {cfg.model} trains on digits only (labels 0-9); pass MNIST-style data")
    return model


@dataclass
class Adversary:
    """ACAI's critic beside the autoencoder (train/acai.py): the bare module (frozen while
    the autoencoder's term uses it), its wrapper for its own update (DDP when distributed)
    and its optimiser; saved in the checkpoint only."""
    critic: torch.nn.Module
    net: torch.nn.Module
    optimizer: torch.optim.Optimizer


def acai_step(net, model, optimizer, scheduler, adversary: Adversary, x, y, cfg: TrainConfig, generator):
    """One ACAI step: the autoencoder on reconstruction + cfg.acai x the adversarial term,
    then the critic on its own loss (each with one forward and one backward through its
    wrapper, as DDP needs)."""
    from .acai import autoencoder_term, critic_loss, mixing_weights

    alpha = mixing_weights(len(x), generator, x.device)
    out = net(x, y, mix=alpha)
    terms = model.loss(out, x, y)
    adversarial = autoencoder_term(adversary.critic, out.mixed_logits)
    terms = {**terms, "loss": terms["loss"] + cfg.acai * adversarial, "acai_ae": adversarial}
    optimizer.zero_grad(set_to_none=True)
    terms["loss"].backward()
    optimizer.step()
    scheduler.step()
    critic_term = critic_loss(adversary.net, x, out.recon_logits, out.mixed_logits, alpha, cfg.acai_gamma)
    adversary.optimizer.zero_grad(set_to_none=True)
    critic_term.backward()
    adversary.optimizer.step()
    return {**terms, "acai_critic": critic_term.detach()}, out


def training_step(net, model, optimizer, scheduler, x, y, cfg: TrainConfig, global_step: int):
    """One optimisation step on a batch -> (loss terms, the forward pass's outputs).

    The forward pass goes through `net` (the DDP wrapper when distributed), so the backward
    pass averages the ranks' gradients. Every loss term is a mean over the rank's images,
    so with equal shards the average is the global batch's mean, as in one process (not
    quite for --free-bits, whose floor applies to each shard's mean KL)."""
    kl_weight = min(1.0, (global_step + 1) / max(1, cfg.kl_warmup_steps))
    out = net(x, y)
    terms = model.loss(out, x, y, kl_weight=kl_weight, class_weight=cfg.class_weight, free_bits=cfg.free_bits)
    optimizer.zero_grad(set_to_none=True)
    terms["loss"].backward()
    optimizer.step()
    scheduler.step()
    return terms, out


class EpochFigures:
    """Sums over an epoch's images: each loss term, and the right readings (for classifiers)."""

    def __init__(self):
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, terms: dict[str, torch.Tensor], logits: torch.Tensor | None, y: torch.Tensor) -> None:
        n = len(y)
        self.count += n
        for k, v in terms.items():
            self.sums[k] = self.sums.get(k, 0.0) + v.item() * n
        if logits is not None:
            self.sums["acc"] = self.sums.get("acc", 0.0) + float((logits.argmax(1) == y).sum())

    def totals(self, world: World, device: torch.device) -> tuple[dict[str, float], int]:
        """The epoch's figures over all ranks' images, not just this rank's shard."""
        keys = sorted(self.sums)
        summed = all_sum([self.sums[k] for k in keys] + [self.count], world, device)
        return dict(zip(keys, summed[:-1])), int(summed[-1])


@torch.no_grad()
def validate(model, data: GlyphSet, device: torch.device, batch_size: int = 1024) -> dict:
    """Mean loss terms over the validation set (posterior means, no sampling), the accuracy
    for classifiers, and the active latent dimensions for GlyphVAE."""
    model.eval()
    figures = EpochFigures()
    means = []
    for i in range(0, len(data), batch_size):
        x = torch.from_numpy(data.images[i:i + batch_size]).to(device).float().div_(255).unsqueeze(1)
        y = torch.from_numpy(data.labels[i:i + batch_size]).to(device)
        out = model(x, y)
        terms = {k: v for k, v in model.loss(out, x, y).items() if k != "loss"}
        figures.add(terms, out.class_logits, y)
        if out.posterior_means is not None:
            means.append(out.posterior_means.cpu())
    model.train()
    n = max(1, figures.count)
    result = {f"val_{k}": v / n for k, v in figures.sums.items()}
    if means:
        result["val_active_dims"] = int((torch.cat(means).var(0) > 0.01).sum())
    return result


def save_checkpoint(path: Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


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


@dataclass
class Progress:
    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0


def resume(path: Path, cfg: TrainConfig, model, optimizer, scheduler, generator, world: World,
           device: torch.device, steps_per_epoch: int, adversary: Adversary | None = None) -> Progress:
    """Every rank loads the checkpoint: model, optimiser, schedule, progress and its own
    random state (bit-identical when the number of processes is the same)."""
    if not path.is_file():
        raise SystemExit(f"--resume: no checkpoint at {path}")
    # weights_only=True: our own checkpoint, but still never run pickled code. Loaded to
    # the CPU: RNG states must stay there, and load_state_dict moves the rest.
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["config"] != dataclasses.asdict(model.config):
        raise SystemExit(f"--resume: the checkpoint's model config {state['config']} differs from this command's")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if adversary is not None:
        if "critic" not in state:
            raise SystemExit("--resume --acai: the checkpoint has no ACAI critic (it was trained without --acai)")
        adversary.critic.load_state_dict(state["critic"])
        adversary.optimizer.load_state_dict(state["critic_optimizer"])
    elif "critic" in state:
        raise SystemExit("--resume: the checkpoint was trained with --acai; pass the same --acai")
    scheduler.load_state_dict(state["scheduler"])
    progress = Progress(state["epoch"], state["step_in_epoch"], state["global_step"])
    saved_rng = state["rng"]
    if len(saved_rng) == world.size:
        restore_rng(saved_rng[world.rank], generator, device)
    else:
        # Other shards and other streams: training goes on correctly, but is no longer
        # bit-identical to an uninterrupted run.
        generator.manual_seed(rank_seed(cfg.seed * 100_003 + progress.global_step, world.rank))
        torch.manual_seed(rank_seed(cfg.seed + progress.global_step, world.rank))
        if world.main:
            print(f"note: the checkpoint was written by {len(saved_rng)} process(es), this run has "
                  f"{world.size}; it continues, but not bit-identically", file=sys.stderr)
    if world.main:
        print(f"resumed from {path}: epoch {progress.epoch}, step {progress.step_in_epoch}/{steps_per_epoch}",
              file=sys.stderr)
    return progress


def batch(images, labels, order, step: int, cfg: TrainConfig, world: World, device, generator):
    """This rank's share of global batch `step` of the epoch's order, augmented as asked."""
    idx = shard(order[step * cfg.batch_size:(step + 1) * cfg.batch_size], world)
    x = images[idx].to(device).float().div_(255).unsqueeze(1)
    y = labels[idx].to(device)
    if cfg.augment > 0:
        x = augment(x.cpu(), generator, probability=cfg.augment, max_rotate=cfg.aug_rotate,
                    max_shear=cfg.aug_shear, max_stretch=cfg.aug_stretch).to(device)
    return x, y


def training_record(cfg: TrainConfig, command: str, out: Path, world: World) -> dict:
    """The run as one step of the model's training.json (see train.records)."""
    lines = (out / METRICS).read_text().splitlines() if (out / METRICS).is_file() else []
    records = [json.loads(line) for line in lines if line.strip()]
    recipe = "AdamW with warm-up and cosine decay"
    if cfg.model == "glyph_vae":
        recipe += f", KL weight warmed up from 0 to 1 over the first {cfg.kl_warmup_steps:,} steps"
    if cfg.acai:
        recipe += (f", ACAI's adversarial interpolation term (Berthelot et al. 2018) with weight {cfg.acai:g}, "
                   f"critic gamma {cfg.acai_gamma:g}, critic Adam lr {cfg.acai_critic_lr:g} (critic not saved)")
    return {"step": "train", "command": command, "epochs": sum(1 for r in records if r.get("epoch_complete")),
            "seconds": round(sum(r["seconds"] for r in records), 1),
            "images_per_s": float(np.median([r["images_per_s"] for r in records])) if records else None,
            "processes": world.size, "recipe": recipe}


# -- the run ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> Path:
    cfg, model_config = parse_args(argv)
    world = world_from_env()
    token = None
    if cfg.push_to_hub:
        # A push needs a login (and the test data, if named): find out now, not after
        # the hours of training it would upload.
        from .push import preflight

        token = preflight("--push-to-hub", cfg.push_to_hub, cfg.model,
                          Path(cfg.eval_data_dir) if cfg.eval_data_dir else None)
    if cfg.batch_size % world.size:
        raise SystemExit(f"--batch-size {cfg.batch_size} is the global batch and must be a multiple of "
                         f"the number of processes ({world.size})")
    device = setup(world, cfg.device, cfg.threads)
    command = launch_command(world) + " " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        model_dir = train(cfg, model_config, world, device, command)
        if cfg.push_to_hub and world.main:
            from .push import push

            url = push(Path(cfg.out), cfg.push_to_hub, token=token, revision=cfg.hub_revision,
                       private=cfg.hub_private, eval_data_dir=Path(cfg.eval_data_dir) if cfg.eval_data_dir else None)
            print(f"pushed {model_dir} to {url}", file=sys.stderr)
        return model_dir
    finally:
        teardown(world)


def train(cfg: TrainConfig, model_config, world: World, device: torch.device, command: str) -> Path:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if world.main:
        (out / COMMAND).write_text(command + "\n")
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    t0 = time.time()
    train_set, val_set = load_data(cfg, world)
    if world.main:
        print(f"data: {len(train_set)} train / {len(val_set)} validation glyphs, normalised in "
              f"{time.time() - t0:.1f}s", file=sys.stderr)
    model = build_model(cfg, model_config, train_set, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    adversary = None
    if cfg.acai:
        if cfg.model != "muddle":
            raise SystemExit("--acai is for --model muddle (it regularises the autoencoder's interpolations)")
        from .acai import Critic

        critic = Critic(model_config.channels, model_config.latent_dim).to(device)
        adversary = Adversary(critic, wrap(critic, world, device),
                              torch.optim.Adam(critic.parameters(), lr=cfg.acai_critic_lr, betas=(0.5, 0.9)))
    # --batch-size is global: with N processes each takes batch/N images per step, so the
    # optimisation (steps, learning rate, schedule) is the same for any N.
    n_used = usable_length(len(train_set), world)
    steps_per_epoch = math.ceil(n_used / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, total_steps))
    generator = torch.Generator(device="cpu")  # augmentation noise
    if world.distributed:
        # The same weights everywhere (DDP also broadcasts rank 0's), but each rank's own
        # noise: identical sampling noise on every shard would be correlated.
        torch.manual_seed(rank_seed(cfg.seed, world.rank))
        print(f"rank {world.rank}/{world.size}: {cfg.batch_size // world.size} images of each {cfg.batch_size}-image "
              f"batch, {n_used // world.size} per epoch, on {device}", file=sys.stderr)
    progress = Progress()
    if cfg.resume:
        progress = resume(out / CHECKPOINT, cfg, model, optimizer, scheduler, generator, world, device,
                          steps_per_epoch, adversary)

    def checkpoint() -> None:
        # Collective: every rank reaches each checkpoint at the same step and hands over
        # its random state; rank 0 alone writes the file.
        rng = gather(rng_state(generator, device), world)
        if world.main:
            save_checkpoint(out / CHECKPOINT, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), **dataclasses.asdict(progress), "rng": rng,
                "world_size": world.size, "config": dataclasses.asdict(model.config),
                **({"critic": adversary.critic.state_dict(), "critic_optimizer": adversary.optimizer.state_dict()}
                   if adversary is not None else {})})

    net = wrap(model, world, device)
    images, labels = torch.from_numpy(train_set.images), torch.from_numpy(train_set.labels)
    log = open(out / METRICS, "a") if world.main else None
    model.train()
    stop = False
    while progress.epoch < cfg.epochs and not stop:
        # The order of an epoch depends only on (seed, epoch), so a resumed run replays
        # the same permutation and skips the batches already done; every rank computes
        # the same permutation and takes its own slice of each batch.
        order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(
            epoch_seed(cfg.seed, progress.epoch)))[:n_used]
        if progress.step_in_epoch == 0:
            generator.manual_seed(rank_seed(epoch_seed(cfg.seed, progress.epoch), world.rank))
        figures, start = EpochFigures(), time.time()
        bar = tqdm(range(progress.step_in_epoch, steps_per_epoch), initial=progress.step_in_epoch,
                   total=steps_per_epoch, desc=f"epoch {progress.epoch + 1}/{cfg.epochs}", dynamic_ncols=True,
                   mininterval=1.0, disable=not world.main)
        for step in bar:
            x, y = batch(images, labels, order, step, cfg, world, device, generator)
            if adversary is not None:
                terms, outputs = acai_step(net, model, optimizer, scheduler, adversary, x, y, cfg, generator)
            else:
                terms, outputs = training_step(net, model, optimizer, scheduler, x, y, cfg, progress.global_step)
            progress.global_step += 1
            progress.step_in_epoch = step + 1
            figures.add(terms, outputs.class_logits, y)
            if step % 20 == 0:
                bar.set_postfix({k: f"{v.item():.3g}" for k, v in terms.items()})
            if cfg.max_steps and progress.global_step >= cfg.max_steps:
                stop = True
                break
            if cfg.checkpoint_every and progress.global_step % cfg.checkpoint_every == 0 \
                    and progress.step_in_epoch < steps_per_epoch:
                checkpoint()
        bar.close()

        sums, count = figures.totals(world, device)
        epoch_done = progress.step_in_epoch >= steps_per_epoch
        record = {"epoch": progress.epoch + 1, "global_step": progress.global_step, "epoch_complete": epoch_done,
                  "seconds": round(time.time() - start, 1),
                  "images_per_s": round(count / max(1e-9, time.time() - start), 1),
                  "lr": scheduler.get_last_lr()[0], "processes": world.size,
                  "n_train": len(train_set), "n_val": len(val_set),
                  **{f"train_{k}": v / max(1, count) for k, v in sums.items()}}
        if epoch_done:
            if world.main:  # validation only feeds the log, which rank 0 writes
                record.update(validate(model, val_set, device))
            # On every rank, from the same weights and data, so all replicas stay identical.
            model.on_epoch_end((images, labels), (torch.from_numpy(val_set.images), torch.from_numpy(val_set.labels)))
            progress.epoch, progress.step_in_epoch = progress.epoch + 1, 0
        checkpoint()
        if world.main:
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in record.items()}),
                  file=sys.stderr)
            model.save_pretrained(out / "model")
    if log:
        log.close()
    if world.main:
        from .cards import write_card

        model.files = {TRAINING_RECORD: (json.dumps([training_record(cfg, command, out, world)], indent=2)
                                         + "\n").encode()}
        model.save_pretrained(out / "model")
        write_card(model, out / "model", model_id=str(out / "model"), run=out)
    barrier(world)  # no rank leaves before rank 0 has written the final model
    return out / "model"


if __name__ == "__main__":
    main()
