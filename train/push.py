"""Upload a trained model to the Hugging Face Hub with its model card.

    python -m train.push runs/glyph_vae owner/glyph-vae --eval-data-dir ../shared/data
    python -m train.push assets/muddle owner/muddle --revision v2 --private

`python -m train ... --push-to-hub owner/name` calls the same code after training.

The model is loaded (every key and shape checked, so a broken folder is never uploaded)
and pushed with huggingface_hub's `push_to_hub` as one commit: config.json,
model.safetensors, its sidecar files (style axes, the reader of ruled drawings, training.json, eval.json), the model
card rendered for the repo id, and, from a run folder, the run's metrics.jsonl and
command.txt. The card's figures are:

- with --eval-data-dir: the held-out test figures of `train.evaluate`, measured now
  (needs mnist.npz, plus emnist_byclass_test.npz for GlyphVAE);
- else the folder's eval.json, if `train.evaluate --write-card` left one;
- else the run's own validation figures from metrics.jsonl, which the card says.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glyph_vae.models.hub import EVAL_RECORD, HubModel, MissingTokenError, hub_token
from glyph_vae.models.registry import model_class, model_class_for

from . import evaluate
from .cards import card_values
from .records import RUN_FILES, completed_epochs, locate, run_records


def preflight(flag: str, repo_id: str, model_type: str | None, eval_data_dir: Path | None) -> str:
    """Everything a push needs that can be checked before training or evaluating: a repo
    id, the test data when asked for, and a token (returned)."""
    if repo_id.count("/") != 1:
        raise SystemExit(f"{flag} {repo_id!r}: expected a Hub repo id like 'owner/name'")
    if eval_data_dir and model_type:
        missing = [f for f in evaluate.TEST_FILES[model_type] if not (Path(eval_data_dir) / f).is_file()]
        if missing:
            raise SystemExit(f"--eval-data-dir {eval_data_dir} lacks {', '.join(missing)}")
    try:
        return hub_token(flag)
    except MissingTokenError as exc:  # a command stops with the message, not a traceback
        raise SystemExit(str(exc)) from None


def commit_message(model: HubModel, model_dir: Path, run: Path | None) -> str:
    """Names the run: its folder, the model, epochs and steps, and the last validation figures."""
    name = type(model).__name__
    records = run_records(run)
    if not records:
        return f"Upload {name} from {model_dir}"
    done = completed_epochs(run)
    validated = done[-1] if done else {}  # a run stopped mid-epoch has no figures for that epoch
    figures = ", ".join(f"{k} {validated[k]:.4g}" for k in ("val_acc", "val_recon", "val_kl") if k in validated)
    return (f"{name} from run {run.name}: {len(done)} epochs, {records[-1]['global_step']} steps"
            + (f"; {figures}" if figures else ""))


def push(folder: Path, repo_id: str, *, token: str, revision: str | None = None, private: bool = False,
         message: str | None = None, model_type: str | None = None, eval_data_dir: Path | None = None) -> str:
    """Load the model of a run or model folder and push it with its card; returns the commit URL."""
    from huggingface_hub import HfApi

    model_dir, run = locate(Path(folder))
    cls = model_class(model_type) if model_type else model_class_for(model_dir)
    model = cls.from_pretrained(model_dir)
    evaluation = None
    if eval_data_dir:
        evaluation = evaluate.evaluate(model, Path(eval_data_dir))
        model.files[EVAL_RECORD] = (json.dumps(evaluation, indent=2) + "\n").encode()  # pushed, not written here
    for name in RUN_FILES:  # the run's log and command travel with the weights they made
        if run and (run / name).is_file():
            model.files[name] = (run / name).read_bytes()
    values = card_values(model, model_id=repo_id, run=run, evaluation=evaluation)
    api = HfApi(token=token)
    if revision and revision != "main":
        # push_to_hub commits to an existing branch only.
        api.create_repo(repo_id, private=private or None, exist_ok=True)
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    print(f"uploading {cls.__name__} from {model_dir} to {repo_id}{'@' + revision if revision else ''}; "
          f"card figures: {'test evaluation' if values['evaluation'] else 'validation'}", file=sys.stderr)
    info = model.push_to_hub(repo_id, commit_message=message or commit_message(model, model_dir, run), token=token,
                             private=private or None, branch=revision, model_card_kwargs=values)
    return str(getattr(info, "commit_url", info))


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(prog="python -m train.push", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a training run folder (OUT of python -m train) or a model folder")
    p.add_argument("repo_id", help="the Hub model repo, owner/name (created if missing)")
    p.add_argument("--revision", help="branch to push to (created if missing; default main)")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--message", help="commit message (default: names the run, model, epochs, steps, figures)")
    p.add_argument("--eval-data-dir", type=Path, help="evaluate on the test splits here for the card")
    args = p.parse_args(argv)
    model_type = model_class_for(locate(args.folder)[0]).model_type
    token = preflight("python -m train.push", args.repo_id, model_type, args.eval_data_dir)  # before any evaluation
    url = push(args.folder, args.repo_id, token=token, revision=args.revision, private=args.private,
               message=args.message, model_type=model_type, eval_data_dir=args.eval_data_dir)
    print(url)
    return url


if __name__ == "__main__":
    main()
