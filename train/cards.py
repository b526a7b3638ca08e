"""Model cards: the values a model's card template (glyph_vae/models/cards/) is filled with.

The card of a model folder is rendered by huggingface_hub's `ModelCard.from_template`
(through the model's `generate_model_card`) from what the folder holds: its config, its
`training.json` (how the weights were made), its `eval.json` (test figures from
`train.evaluate`) or, failing that, the validation figures of the run it came from. So a
card is never edited afterwards: pushing to the Hub renders it again for the repo id.
"""
from __future__ import annotations

import json
from pathlib import Path

from glyph_vae.models.hub import CARD_NAME, EVAL_RECORD, TRAINING_RECORD, HubModel

from .records import command_data, completed_epochs, run_records, val_fraction

VALIDATION_NAMES = {
    "val_acc": "accuracy",
    "val_recon": "reconstruction -log p(x\\|...) per image, nats",
    "val_kl": "KL(q(z\\|x) \\|\\| p(z)) per image, nats",
    "val_ce": "class cross-entropy per image, nats",
    "val_active_dims": "active latent dimensions (Var of the posterior mean > 0.01)",
}


def card_values(model: HubModel, *, model_id: str | None = None, run: Path | None = None,
                evaluation: dict | None = None, figures_from: str | None = None) -> dict:
    """Everything the card templates use, for `model` (loaded with its sidecar files).

    model_id: the Hub repo id (None: the bundled weights); run: the training run folder it
    came from, if any; evaluation: test figures (default: the model's eval.json)."""
    if evaluation is None and EVAL_RECORD in model.files:
        evaluation = json.loads(model.files[EVAL_RECORD])
    steps = json.loads(model.files[TRAINING_RECORD]) if TRAINING_RECORD in model.files else []
    values = {"model_id": model_id, "steps": steps, "val_pct": round(100 * val_fraction(run)),
              "evaluation": evaluation}
    if model_id is None:
        values["heading"] = f"{model.display_name} (bundled weights)"
    done = completed_epochs(run)
    if not evaluation and done:
        last = done[-1]
        values["validation"] = {"epoch": last["epoch"],
                                "figures": [(VALIDATION_NAMES.get(k, k), last[k]) for k in sorted(last)
                                            if k.startswith("val_")]}
    records = run_records(run)
    if records:
        last = records[-1]
        values["run"] = {"name": Path(run).name, "epochs": len(done), "global_step": last["global_step"],
                         "n_train": last.get("n_train"), "n_val": last.get("n_val"),
                         "processes": last.get("processes", 1), "data": command_data(run)}
        values["figures_from"] = figures_from or ("the test evaluation of `train.evaluate`" if evaluation
                                                  else "the run's validation figures (no test data was given)")
    return values


def write_card(model: HubModel, folder: Path, **options) -> Path:
    """Render `model`'s card into folder/README.md (see card_values for the options)."""
    path = Path(folder) / CARD_NAME
    model.generate_model_card(**card_values(model, **options)).save(path)
    return path
