"""What a training run leaves behind, and the record of how a model's weights were made.

A run folder (`python -m train --out RUN`) holds:
- `command.txt`: the command that started it;
- `metrics.jsonl`: one JSON record per epoch (losses, validation figures, speed);
- `checkpoint.pt`: everything `--resume` needs;
- `model/`: the model's `save_pretrained` folder.

A model folder's `training.json` lists every step that made its weights, in order: the
training run, then any fine-tuning (`train.tune_head`, `train.prior`,
`train.tune_decoder`, `train.style_axes`), each with its command and figures. It travels
with the weights (a sidecar of glyph_vae.models.hub) and the model card tells it.
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from glyph_vae.models.hub import CONFIG_NAME, TRAINING_RECORD, atomic_write_bytes

METRICS = "metrics.jsonl"
COMMAND = "command.txt"
CHECKPOINT = "checkpoint.pt"
RUN_FILES = (METRICS, COMMAND)  # published with a model pushed from its run


def this_command(prog: str, argv: list[str] | None) -> str:
    """How this process was started, as a shell line (`prog` plus its arguments)."""
    return f"{prog} " + shlex.join(sys.argv[1:] if argv is None else argv)


def read_steps(model_dir: Path) -> list[dict]:
    path = Path(model_dir) / TRAINING_RECORD
    return json.loads(path.read_text()) if path.is_file() else []


def append_step(model_dir: Path, step: dict) -> None:
    """Add one step (its "step" name, "command" and figures) to the folder's training.json."""
    steps = read_steps(model_dir) + [step]
    atomic_write_bytes(Path(model_dir) / TRAINING_RECORD, (json.dumps(steps, indent=2) + "\n").encode())


def run_records(run: Path | None) -> list[dict]:
    """The epoch records of a run's metrics.jsonl ([] without a run)."""
    if run is None or not (Path(run) / METRICS).is_file():
        return []
    return [json.loads(line) for line in (Path(run) / METRICS).read_text().splitlines() if line.strip()]


def completed_epochs(run: Path | None) -> list[dict]:
    return [r for r in run_records(run) if r.get("epoch_complete")]


def command_data(run: Path | None) -> list[str]:
    """The --data sources named in the run's command.txt."""
    if run is None or not (Path(run) / COMMAND).is_file():
        return []
    words = shlex.split((Path(run) / COMMAND).read_text())
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--data"]


def val_fraction(run: Path | None) -> float:
    """The share of the run's data held out for validation (train's default when unknown)."""
    last = (run_records(run) or [{}])[-1]
    if "n_val" not in last:
        return 0.03
    return last["n_val"] / (last["n_val"] + last["n_train"])


def locate(folder: Path) -> tuple[Path, Path | None]:
    """(model folder, run folder or None) for a run folder (with model/) or a model folder."""
    folder = Path(folder)
    if (folder / "model" / CONFIG_NAME).is_file():
        return folder / "model", folder
    if (folder / CONFIG_NAME).is_file():
        run = folder.parent if (folder.parent / METRICS).is_file() else None
        return folder, run
    raise SystemExit(f"{folder} is neither a training run folder (with model/) nor a model folder "
                     f"(with {CONFIG_NAME})")
