"""Upload a trained model to the Hugging Face Hub with its model card.

    python -m train.push runs/glyph_vae owner/glyph-vae --eval-data-dir ../shared/data
    python -m train.push assets/muddle owner/muddle --revision v2 --private

`python -m train ... --push-to-hub owner/name` calls the same code after training.

The folder uploaded is the model's `save_pretrained` output (config.json and
model.safetensors), README.md (the model card of train/evaluate.py) and, from a run
folder, the run's metrics.jsonl and command.txt. The card's figures are:

- with --eval-data-dir: the held-out test figures of `train.evaluate` (as the
  bundled cards; needs mnist.npz, plus emnist_byclass_test.npz for GlyphVAE);
- else, if the model folder already has a README.md (from `train.evaluate
  --write-card`): that card's figures;
- else: the run's own validation figures from metrics.jsonl, which the card says.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from glyph_vae.hub import CONFIG_NAME, hub_token, upload_folder
from glyph_vae.style import STYLE_AXES_NAME

from . import evaluate
from .fit import METRICS, MODELS
from .tune_decoder import TUNING_RECORD

# Files a training run leaves beside its model that are worth publishing with it.
RUN_FILES = (METRICS, "command.txt")
# Files that live beside a model's weights and go wherever they go: the style sliders'
# axes (the app loads them with the model) and the decoder tuning record (the card's).
MODEL_SIDECARS = (STYLE_AXES_NAME, TUNING_RECORD)
EVAL_FILES = {"glyph_vae": ("mnist.npz", "emnist_byclass_test.npz"), "muddle": ("mnist.npz",),
              "digits": ("mnist.npz",)}
CARDS = {"glyph_vae": evaluate.CARD, "muddle": evaluate.MUDDLE_CARD, "digits": evaluate.DIGITS_CARD}
VALIDATION_NAMES = {
    "val_acc": "accuracy",
    "val_recon": "reconstruction -log p(x\\|...) per image, nats",
    "val_kl": "KL(q(z\\|x) \\|\\| p(z)) per image, nats",
    "val_ce": "class cross-entropy per image, nats",
    "val_active_dims": "active latent dimensions (Var of the posterior mean > 0.01)",
}


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


def detect_kind(model_dir: Path) -> str:
    """Which model a config.json belongs to: each config class has its own set of fields."""
    keys = set(json.loads((model_dir / CONFIG_NAME).read_text()))
    for kind, cls in MODELS.items():
        if keys == {f.name for f in dataclasses.fields(cls.config_class)}:
            return kind
    raise SystemExit(f"{model_dir / CONFIG_NAME} matches none of {sorted(MODELS)}; pass --kind")


def preflight(flag: str, repo_id: str, kind: str | None, eval_data_dir: Path | None) -> str:
    """Everything a push needs that can be checked before training or evaluating: a repo
    id, the test data when asked for, and a token (returned)."""
    if repo_id.count("/") != 1:
        raise SystemExit(f"{flag} {repo_id!r}: expected a Hub repo id like 'owner/name'")
    if eval_data_dir and kind:
        missing = [f for f in EVAL_FILES[kind] if not (Path(eval_data_dir) / f).is_file()]
        if missing:
            raise SystemExit(f"--eval-data-dir {eval_data_dir} lacks {', '.join(missing)}")
    return hub_token(flag)


def run_records(run: Path | None) -> list[dict]:
    if run is None or not (run / METRICS).is_file():
        return []
    return [json.loads(line) for line in (run / METRICS).read_text().splitlines() if line.strip()]


def commit_message(kind: str, model_dir: Path, run: Path | None) -> str:
    """Names the run: its folder, the model, epochs and steps, and the last validation figures."""
    name = MODELS[kind].__name__
    records = run_records(run)
    if not records:
        return f"Upload {name} from {model_dir}"
    done = [r for r in records if r.get("epoch_complete")]
    validated = done[-1] if done else {}  # a run stopped mid-epoch has no figures for that epoch
    figures = ", ".join(f"{k} {validated[k]:.4g}" for k in ("val_acc", "val_recon", "val_kl") if k in validated)
    return (f"{name} from run {run.name}: {len(done)} epochs, {records[-1]['global_step']} steps"
            + (f"; {figures}" if figures else ""))


def command_data(run: Path | None) -> list[str]:
    """The --data sources named in the run's command.txt."""
    if run is None or not (run / "command.txt").is_file():
        return []
    words = shlex.split((run / "command.txt").read_text())
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--data"]


def run_section(run: Path | None, figures: str) -> str:
    """The card's account of this particular run and of where its figures come from."""
    lines = ["## This run", ""]
    records = run_records(run)
    if records:
        last = records[-1]
        epochs = sum(1 for r in records if r.get("epoch_complete"))
        sizes = (f", {last['n_train']:,} training and {last['n_val']:,} validation glyphs"
                 if "n_train" in last else "")
        processes = f", {last['processes']} processes" if last.get("processes", 1) > 1 else ""
        lines.append(f"- run `{run.name}`: {epochs} epochs, {last['global_step']:,} steps{sizes}{processes}")
    sources = command_data(run)
    if sources:
        lines.append("- data: " + ", ".join(f"`{s}`" for s in sources)
                     + " (the Data section above describes how the bundled weights were trained)")
    lines.append(f"- figures: {figures}")
    return "\n".join(lines) + "\n\n"


def insert_before_figures(card: str, text: str) -> str:
    match = re.search(r"(?m)^## (Evaluation|Validation)", card)
    return card[:match.start()] + text + card[match.start():] if match else card.rstrip("\n") + "\n\n" + text


def val_fraction(run: Path | None) -> float:
    """The share of the run's data held out for validation (train's default when unknown)."""
    last = (run_records(run) or [{}])[-1]
    if "n_val" not in last:
        return 0.03
    return last["n_val"] / (last["n_val"] + last["n_train"])


def validation_section(run: Path | None) -> str:
    done = [r for r in run_records(run) if r.get("epoch_complete")]
    if not done:
        return ("## Validation\n\nNo evaluation data was given and the run left no validation figures, "
                "so this card has no figures.\n\n")
    last = done[-1]
    rows = "\n".join(f"| {VALIDATION_NAMES.get(k, k)} | {last[k]:.4g} |" for k in sorted(last) if k.startswith("val_"))
    return (f"## Validation (epoch {last['epoch']}, not a test evaluation)\n\n"
            "No test data was given when this card was written, so these are the run's own validation "
            "figures (from `metrics.jsonl`, on the images held out from its training data), not the "
            "held-out test splits of the bundled cards. `python -m train.push ... --eval-data-dir "
            "../shared/data` writes the test figures.\n\n"
            f"| measure | value |\n| --- | --- |\n{rows}\n\n")


def validation_card(kind: str, staging: Path, run: Path | None, repo_id: str) -> str:
    """train/evaluate.py's card for this kind, its Evaluation section replaced by the run's
    validation figures (the other sections are filled in as train.evaluate fills them)."""
    config = json.loads((staging / CONFIG_NAME).read_text())
    values = {"folder": repo_id, "config": json.dumps(config, indent=2), "latent_dim": config.get("latent_dim"),
              "val_pct": round(100 * val_fraction(run)), "training": evaluate.training_text(run)}
    if kind == "glyph_vae":
        model = MODELS[kind].from_pretrained(staging)
        values.update(training=evaluate.training_text(run, evaluate.GLYPH_VAE_RECIPE),
                      prior=evaluate.prior_text(model.class_prior_shift),
                      decoder_tuning=evaluate.decoder_tuning_text(staging))
    sections = re.split(r"(?m)^(?=## )", CARDS[kind])
    kept = [validation_section(run) if s.startswith("## Evaluation") else s.format(**values) for s in sections]
    return "".join(kept)


def stage(folder: Path, repo_id: str, staging: Path, *, kind: str | None = None,
          eval_data_dir: Path | None = None) -> dict:
    """Write into `staging` everything that is uploaded; returns what was done."""
    model_dir, run = locate(folder)
    kind = kind or detect_kind(model_dir)
    # Loading checks every key and shape, so a broken folder is never uploaded.
    model = MODELS[kind].from_pretrained(model_dir)
    model.save_pretrained(staging)
    for name in MODEL_SIDECARS:
        if (model_dir / name).is_file():
            shutil.copyfile(model_dir / name, staging / name)
    for name in RUN_FILES:
        if run and (run / name).is_file():
            shutil.copyfile(run / name, staging / name)

    if eval_data_dir:
        if kind == "glyph_vae":
            evaluate.write_card(staging, evaluate.evaluate(model, eval_data_dir), run, val_fraction(run))
        elif kind == "muddle":
            evaluate.evaluate_muddle(str(staging), eval_data_dir, run, write=True)
        else:
            evaluate.evaluate_digits(str(staging), eval_data_dir, run, write=True)
        card = (staging / "README.md").read_text()
        figures = f"test-set evaluation by `train.evaluate` on `{eval_data_dir}`"
    elif (model_dir / "README.md").is_file():
        card = (model_dir / "README.md").read_text()
        if (model_dir / "eval.json").is_file():
            shutil.copyfile(model_dir / "eval.json", staging / "eval.json")
        figures = "those of the card that `train.evaluate --write-card` wrote for these weights"
    else:
        card = validation_card(kind, staging, run, repo_id)
        figures = "the run's validation figures (no test data was given)"
    # The card templates describe the copy bundled with the app and load it from the
    # folder the card was written in; on the Hub the model is loaded by its repo id.
    card = card.replace(" (bundled weights)", "")
    card = re.sub(r'from_pretrained\("[^"]*"\)', f'from_pretrained("{repo_id}")', card)
    if run:
        card = insert_before_figures(card, run_section(run, figures))
    (staging / "README.md").write_text(card)
    return {"kind": kind, "model_dir": model_dir, "run": run, "figures": figures,
            "message": commit_message(kind, model_dir, run)}


def push(folder: Path, repo_id: str, *, token: str, revision: str | None = None, private: bool = False,
         message: str | None = None, kind: str | None = None, eval_data_dir: Path | None = None) -> str:
    """Stage the folder, then upload it as one commit; returns the commit URL."""
    with tempfile.TemporaryDirectory(prefix="glyph-vae-push-") as tmp:
        done = stage(Path(folder), repo_id, Path(tmp), kind=kind, eval_data_dir=eval_data_dir)
        print(f"uploading {sorted(p.name for p in Path(tmp).iterdir())} to {repo_id}"
              f"{'@' + revision if revision else ''}; card figures: {done['figures']}", file=sys.stderr)
        return upload_folder(tmp, repo_id, commit_message=message or done["message"], token=token,
                             private=private, revision=revision)


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(prog="python -m train.push", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a training run folder (OUT of python -m train) or a model folder")
    p.add_argument("repo_id", help="the Hub model repo, owner/name (created if missing)")
    p.add_argument("--revision", help="branch to push to (created if missing; default main)")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--message", help="commit message (default: names the run, model, epochs, steps, figures)")
    p.add_argument("--kind", choices=sorted(MODELS), help="model kind (default: read from config.json)")
    p.add_argument("--eval-data-dir", type=Path, help="evaluate on the test splits here for the card")
    args = p.parse_args(argv)
    kind = args.kind or detect_kind(locate(args.folder)[0])
    token = preflight("python -m train.push", args.repo_id, kind, args.eval_data_dir)  # before any evaluation
    url = push(args.folder, args.repo_id, token=token, revision=args.revision, private=args.private,
               message=args.message, kind=kind, eval_data_dir=args.eval_data_dir)
    print(url)
    return url


if __name__ == "__main__":
    main()
