"""Every training run behind the bundled models, the ones that lost too, as a table.

    python -m bench.training_runs                      # write the "Training runs" section
    python -m bench.training_runs add runs/big --note "wider encoder"   # record a run first
    python -m bench.training_runs add-reader runs/reader32/model --note "..."  # a train.tune_head run
    python -m bench.training_runs add-muddle runs/muddle_acai/model --figures runs/acai.json --note "..."

Runs are recorded in bench/records/training_runs.jsonl, one JSON object per run, from what
the run measured: `add` reads a run folder's metrics.jsonl (epochs, validation accuracy)
and its model's eval.json (the test figures of `train.evaluate`). The section is written
from those records alone.
"""
from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from .report import write_section

RECORDS = Path(__file__).resolve().parent / "records" / "training_runs.jsonl"


def records() -> list[dict]:
    return [json.loads(line) for line in RECORDS.read_text().splitlines() if line.strip()]


def append_record(record: dict) -> dict:
    """Add one run's record to RECORDS (a JSON object a line)."""
    with RECORDS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")
    return record


def record_run(run: Path, note: str = "", config: str | None = None) -> dict:
    """A reader run's record from its folder: metrics.jsonl and model/eval.json."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    done = [json.loads(line) for line in lines if line.strip() and json.loads(line).get("epoch_complete")]
    evaluation = json.loads((run / "model" / "eval.json").read_text()) if (run / "model" / "eval.json").is_file() else {}
    command = (run / "command.txt").read_text().strip() if (run / "command.txt").is_file() else ""
    record = {"kind": "reader", "run": run.name, "date": date.today().isoformat(), "config": config or command,
              "epochs": str(len(done)), "val_acc": done[-1].get("val_acc") if done else None,
              "mnist_test_digits": evaluation.get("mnist_test_accuracy"),
              "emnist_62": evaluation.get("emnist_test_accuracy"),
              "emnist_casefold": evaluation.get("emnist_test_accuracy_casefold"),
              "mouse_drawn_casefold": evaluation.get("mouse_drawn_accuracy_casefold"), "note": note}
    return append_record(record)


def record_reader_run(model: Path, name: str, note: str = "", config: str | None = None) -> dict:
    """A `train.tune_head` run's record from its model folder: the step's held-out history
    (training.json) and the model's eval.json, with the figures as /classify reads."""
    steps = json.loads((model / "training.json").read_text())
    head = [s for s in steps if s["step"] == "tune_head"]
    step = head[-1] if head else {}
    history = step.get("history", [])
    evaluation = json.loads((model / "eval.json").read_text())
    record = {"kind": "reader_head", "run": name, "date": date.today().isoformat(),
              "config": config or step.get("command", ""), "reader_channels": step.get("reader_channels", 0),
              "epochs": str(step.get("epochs", "")),
              "val_acc": history[-1]["val_accuracy"] if history else None,
              "minutes_per_epoch": (round(sum(h["seconds"] for h in history) / 60 / len(history), 1)
                                    if history and all("seconds" in h for h in history) else None),
              "mnist_62_sent": evaluation.get("mnist_classify_62way"),
              "emnist_62_sent": evaluation.get("emnist_classify_62way"),
              "emnist_casefold_sent": evaluation.get("emnist_classify_casefold"),
              "drawn_upper": evaluation.get("mouse_drawn_accuracy_casefold"),
              "drawn_lower": evaluation.get("mouse_drawn_accuracy_casefold_lower"), "note": note}
    return append_record(record)


def record_muddle(model: Path, figures: Path, note: str = "", bundled: bool = False) -> dict:
    """A muddle autoencoder's record: its training.json (command, epochs, time) and the
    figures `python -m bench.muddle --json` measured with it."""
    steps = json.loads((model / "training.json").read_text()) if (model / "training.json").is_file() else []
    train = next((s for s in steps if s.get("step") == "train"), {})
    r = json.loads(figures.read_text())
    ours = r["ours"]
    record = {"kind": "muddle", "run": str(model), "date": date.today().isoformat(),
              "config": train.get("command", ""), "epochs": str(train.get("epochs", "")),
              "seconds": train.get("seconds"), "good": ours["good"], "path": ours["path"],
              "all_read": ours["all_read"], "mid_grey_ratio": ours["mid_grey_ratio"],
              "midpoint_good": r["midpoint"]["good"], "far_good": r["far"]["good"],
              "runs": r["runs"], "bundled": bundled, "note": note}
    return append_record(record)


def minutes(seconds) -> str:
    return "" if seconds is None else f"{seconds / 60:.0f} min"


def cell(text: str) -> str:
    return str(text).replace("|", "\\|")  # a | inside a cell would end it


def pct(value) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


def pair(values) -> str:
    return "" if not values else f"{100 * values[0]:.1f}% / {100 * values[1]:.1f}%"


def decoder_row(r: dict) -> str:
    ratios = " / ".join(f"{v:.2f}" for v in r["style_ratio_narrow_bold_italic"])
    recon = "" if r["test_recon_nats"] is None else f"{r['test_recon_nats']:.1f} nats"
    return (f"| {cell(r['run'])} | {r['epochs']} | {pair(r['prior_z'])} | {pair(r['one_glyph'])} | {pair(r['style_sets'])} | "
            f"{ratios} | {recon} | {cell(r['note'])} |")


def section(rows: list[dict]) -> str:
    readers = [r for r in rows if r["kind"] == "reader"]
    decoders = [r for r in rows if r["kind"] == "decoder"]
    heads = [r for r in rows if r["kind"] == "reader_head"]
    head_rows = "\n".join(
        f"| {cell(r['run'])} | {cell(r['config'])} | {r['epochs']} | "
        f"{'' if r['minutes_per_epoch'] is None else r['minutes_per_epoch']} | {pct(r['val_acc'])} | "
        f"{pct(r['mnist_62_sent'])} | {pct(r['emnist_62_sent'])} | {pct(r['emnist_casefold_sent'])} | "
        f"{pct(r['drawn_upper'])} | {pct(r['drawn_lower'])} | {cell(r['note'])} |" for r in heads)
    reader_rows = "\n".join(
        f"| {cell(r['run'])} | {cell(r['config'])} | {r['epochs']} | {pct(r['val_acc'])} | {pct(r['mnist_test_digits'])} | "
        f"{pct(r['emnist_62'])} | {pct(r['emnist_casefold'])} | {pct(r['mouse_drawn_casefold'])} | {cell(r['note'])} |"
        for r in readers)
    decoder_rows = "\n".join(decoder_row(r) for r in decoders)
    muddles = [r for r in rows if r["kind"] == "muddle"]
    muddle_rows = "\n".join(
        f"| {cell(r['run'])}{' (bundled)' if r['bundled'] else ''} | {cell(r['config'])} | {r['epochs']} | "
        f"{minutes(r['seconds'])} | "
        f"{pct(r['good'])} | {pct(r['path'])} | {pct(r['all_read'])} | {r['mid_grey_ratio']:.2f}x | {pct(r['midpoint_good'])} | "
        f"{pct(r['far_good'])} | {r['runs']} | {cell(r['note'])} |" for r in muddles)
    dates = sorted({r["date"] for r in rows})
    return f"""## Training runs (`python -m bench.training_runs`)

Every recorded run ({len(rows)}: {len(readers)} of the whole model, {len(heads)} of the reader alone,
{len(decoders)} of the decoder alone, {len(muddles)} of the muddle autoencoder), from
`bench/records/training_runs.jsonl` ({dates[0]} to {dates[-1]}), losing runs included. "val" is the 3% validation
split (digits and letters mixed); test figures are `train.evaluate`'s, on MNIST test and the EMNIST ByClass test split.

| run | config | epochs | val acc | MNIST test (10-way) | EMNIST 62-way | EMNIST case-folded | mouse-drawn | note |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{reader_rows}

The reader alone (`python -m train.tune_head`), on the whole model's posterior and decoder, which do not move.
Figures as a user meets them: every test image sent as a PNG and read as `/classify` reads it, the top label of
62; mouse-drawn: the 1,240-drawing test set (20 of each character, a seed no training step draws with),
case-folded. "val": the held-out share of the training data after the last epoch.

| run | command | epochs | minutes per epoch (2 cores) | val acc | MNIST 62-way | EMNIST 62-way | EMNIST case-folded | drawn 0-9, A-Z | drawn a-z | note |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{head_rows}

The decoder alone (`python -m train.tune_decoder`), from the run named in each record with its reader frozen, so
the reading figures above do not change. Written glyphs as the independent judge of "Write like me" reads them
(case-folded / with {{0,O,o}} and {{1,I,l}} merged):

| decoder | epochs | prior z | z from one glyph of another character (r 0) | 5-glyph style sets | style ratio narrow / bold / italic | test reconstruction | note |
| --- | --- | --- | --- | --- | --- | --- | --- |
{decoder_rows}

The muddle autoencoder (`python -m train --model muddle`), judged by `python -m bench.muddle` (the panel of five
readers; good muddle, runs whose path has one, all readers seeing d-or-e, mid-grey share against real MNIST, and the
plain midpoint and far-from-both criterion with the same model):

| model | command | epochs | training time | good muddles | path has one | all see d-or-e | mid-grey vs real | plain midpoint good | far from both good | runs | note |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{muddle_rows}
"""


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command")
    add = sub.add_parser("add", help="record a run folder's figures")
    add.add_argument("run", type=Path)
    add.add_argument("--note", default="")
    add.add_argument("--config", default=None, help="a short description (default: the run's command)")
    head = sub.add_parser("add-reader", help="record a train.tune_head run from its model folder")
    head.add_argument("model", type=Path)
    head.add_argument("--name", required=True)
    head.add_argument("--note", default="")
    head.add_argument("--config", default=None)
    add_muddle = sub.add_parser("add-muddle", help="record a muddle autoencoder with bench.muddle's figures")
    add_muddle.add_argument("model", type=Path)
    add_muddle.add_argument("--figures", type=Path, required=True, help="python -m bench.muddle --json's file")
    add_muddle.add_argument("--note", default="")
    add_muddle.add_argument("--bundled", action="store_true")
    args = p.parse_args(argv)
    if args.command == "add":
        print(record_run(args.run, args.note, args.config))
    elif args.command == "add-reader":
        print(record_reader_run(args.model, args.name, args.note, args.config))
    elif args.command == "add-muddle":
        print(record_muddle(args.model, args.figures, args.note, args.bundled))
    body = section(records())
    write_section("runs", body)
    print(body)
    return body


if __name__ == "__main__":
    main()
