"""The benchmark scripts' own arithmetic: records become tables, figures come from what was measured."""
from __future__ import annotations

import json

from bench import training_runs


def test_a_reader_run_is_recorded_from_its_model_folder_and_shown(tmp_path, monkeypatch):
    records = tmp_path / "runs.jsonl"
    records.write_text("")
    monkeypatch.setattr(training_runs, "RECORDS", records)
    model = tmp_path / "model"
    model.mkdir()
    (model / "training.json").write_text(json.dumps([
        {"step": "train", "command": "python -m train"},
        {"step": "tune_head", "command": "python -m train.tune_head m --reader-channels 32", "epochs": 2,
         "reader_channels": 32, "history": [{"epoch": 1, "val_accuracy": 0.871, "seconds": 150},
                                            {"epoch": 2, "val_accuracy": 0.889, "seconds": 162}]}]))
    (model / "eval.json").write_text(json.dumps({
        "mnist_classify_62way": 0.9941, "emnist_classify_62way": 0.8712, "emnist_classify_casefold": 0.9105,
        "mouse_drawn_accuracy_casefold": 0.985, "mouse_drawn_accuracy_casefold_lower": 0.861}))
    record = training_runs.record_reader_run(model, "reader32", note="a reader of its own")
    assert record["minutes_per_epoch"] == 2.6 and record["val_acc"] == 0.889 and record["reader_channels"] == 32
    assert json.loads(records.read_text()) == record
    text = training_runs.section(training_runs.records())
    row = next(line for line in text.splitlines() if line.startswith("| reader32 |"))
    assert "| 2.6 | 88.90% | 99.41% | 87.12% | 91.05% | 98.50% | 86.10% | a reader of its own |" in row
    assert "1 of the reader alone" in text.replace("\n", " ")


def test_the_stroke_bench_measures_pen_downs_from_the_path_data():
    """bench.strokes parses the plotter file's path data: one length per subpath (M), with lines,
    cubic curves and a dot's two half circles measured."""
    import math

    from bench.strokes import pen_downs

    lengths = pen_downs("M0 0L3 4L3 10M10 10C10 10 20 10 20 10M5 5A2 2 0 1 1 1 5A2 2 0 1 1 5 5")
    assert len(lengths) == 3
    assert math.isclose(lengths[0], 11.0) and math.isclose(lengths[1], 10.0, rel_tol=1e-6)
    assert math.isclose(lengths[2], 4 * math.pi)
