"""Data-parallel training helpers: the same `python -m train` command under torchrun.

    torchrun --nproc_per_node=4 -m train --out runs/glyph_vae --data ...

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (plus MASTER_ADDR and
MASTER_PORT); with WORLD_SIZE > 1 every process joins one process group (NCCL on GPUs,
gloo on CPUs) and trains a DistributedDataParallel replica on its shard of each global
batch. Without those variables nothing here does anything, so a plain
`python -m train` runs exactly as before.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def main(self) -> bool:
        """Rank 0 is the one writer: logs, metrics, checkpoints, the model folder and pushes."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def world_from_env() -> World:
    env = os.environ
    size = int(env.get("WORLD_SIZE", "1"))
    return World(rank=int(env.get("RANK", "0")), size=size, local_rank=int(env.get("LOCAL_RANK", "0")),
                 local_size=int(env.get("LOCAL_WORLD_SIZE", str(size))))


def setup(world: World, device_name: str, threads: int) -> torch.device:
    """Pick this process's device and, when launched by torchrun, join the process group."""
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    if device_name == "cpu":
        # Processes that share a machine share its cores; each taking all of them
        # oversubscribes the CPU and makes every rank slower.
        default = max(1, (os.cpu_count() or 1) // world.local_size)
        torch.set_num_threads(threads or default)
    device = torch.device(device_name)
    if device.type == "cuda" and world.distributed:
        device = torch.device("cuda", world.local_rank)  # one GPU per process
        torch.cuda.set_device(device)
    if world.distributed and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return device


def teardown(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def shard(batch: torch.Tensor, world: World) -> torch.Tensor:
    """This rank's equal, contiguous share of a global batch of indices.

    The global batch length is always a multiple of the world size (see
    `usable_length`), so every rank gets the same number of images. That matters
    for exactness: DDP averages the ranks' gradients, and the average of per-rank
    batch means is the global batch mean only when the per-rank batches are equal.
    """
    per_rank = len(batch) // world.size
    return batch[world.rank * per_rank:(world.rank + 1) * per_rank]


def usable_length(n: int, world: World) -> int:
    """Images used per epoch: all of them in one process; with N processes the
    epoch's permutation is cut to a multiple of N (dropping at most N - 1 images,
    different ones each epoch), so the last, short batch also splits evenly."""
    return n - n % world.size


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    """What the training step calls for its forward pass: the model itself, or when
    distributed its DistributedDataParallel wrapper, which hooks the averaging of the
    ranks' gradients into its own __call__ (calling the bare model would skip it).

    DDP broadcasts rank 0's parameters and buffers when it is built, so every replica
    starts (or resumes) from the same weights.
    """
    if not world.distributed:
        return model
    device_ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def all_sum(values: list[float], world: World, device: torch.device) -> list[float]:
    """Element-wise sum over ranks (epoch loss sums and image counts for the log)."""
    if not world.distributed:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def gather(obj, world: World) -> list:
    """Every rank's `obj`, in rank order (used for the per-rank RNG states in a checkpoint)."""
    if not world.distributed:
        return [obj]
    result = [None] * world.size
    dist.all_gather_object(result, obj)
    return result


def launch_command(world: World) -> str:
    """How this process was started, for command.txt and the model card."""
    if not world.distributed:
        return "python -m train"
    nodes = max(1, world.size // max(1, world.local_size))
    node_flag = f"--nnodes={nodes} " if nodes > 1 else ""
    return f"torchrun {node_flag}--nproc_per_node={world.local_size} -m train"
