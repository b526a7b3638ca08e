"""The benchmark scripts' own arithmetic: records become tables, figures come from what was measured."""
from __future__ import annotations

import json
import re

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


def test_sections_record_their_headline_rows_and_the_table_opens_benchmarks(tmp_path, monkeypatch):
    """write_section keeps each section's headline rows with the date they were measured and writes one
    table of them at the top of BENCHMARKS.md, sections in the page's order; a rerun replaces only its rows."""
    from bench import report

    page, records = tmp_path / "BENCHMARKS.md", tmp_path / "headline.json"
    monkeypatch.setattr(report, "BENCHMARKS", page)
    monkeypatch.setattr(report, "HEADLINES", records)
    page.write_text(report.HEADER)
    report.write_section("read", "## Reading (`python -m bench.read_accuracy`)\n\nbody one",
                         [("MNIST read", "98.32%", ">= 99.3%", False)])
    report.write_section("ui", "## Drawing, live (`python -m bench.ui_latency`)\n\nbody two",
                         [report.Headline("pen-up to reading", "38 ms", "<= 150 ms", True),
                          report.Headline("on a phone", "52 ms")])
    text = page.read_text()
    assert text.index("<!-- bench:headline -->") < text.index("<!-- bench:read -->") < text.index("<!-- bench:ui -->")
    table = text.split("<!-- bench:headline -->")[1].split("<!-- /bench:headline -->")[0]
    today = __import__("datetime").date.today().isoformat()
    assert f"| MNIST read | 98.32% | >= 99.3% | **missed** | {today} | Reading |" in table
    assert f"| pen-up to reading | 38 ms | <= 150 ms | met | {today} | Drawing, live |" in table
    assert f"| on a phone | 52 ms |  |  | {today} | Drawing, live |" in table
    assert "1 of 2 targets met." in table
    assert table.index("MNIST read") < table.index("pen-up to reading")

    report.record_headline("read", "Reading", [report.Headline("MNIST read", "99.40%", ">= 99.3%", True)],
                           measured="2027-01-02")
    table = page.read_text().split("<!-- /bench:headline -->")[0]
    assert "| MNIST read | 99.40% | >= 99.3% | met | 2027-01-02 | Reading |" in table and "98.32%" not in table
    assert "pen-up to reading" in table and "body one" in page.read_text()
    assert json.loads(records.read_text())["ui"]["rows"][1] == {"measure": "on a phone", "value": "52 ms",
                                                                 "target": "", "met": None}


def test_a_variant_that_did_not_ship_is_written_beside_its_experiments_not_in_the_headline(tmp_path, monkeypatch):
    from bench import report

    page, records, runs = tmp_path / "BENCHMARKS.md", tmp_path / "headline.json", tmp_path / "muddle-runs.md"
    monkeypatch.setattr(report, "BENCHMARKS", page)
    monkeypatch.setattr(report, "HEADLINES", records)
    page.write_text(report.HEADER)
    runs.write_text("# Muddle runs\n\n<!-- bench:muddle-acai -->\nold\n<!-- /bench:muddle-acai -->\n")
    report.write_section("muddle-acai", "## Confuse this digit: ACAI\n\nnew", into=runs)
    assert "new" in runs.read_text() and "old" not in runs.read_text()
    assert page.read_text() == report.HEADER and not records.exists()


def test_the_headline_table_is_the_records_and_every_section_it_names_is_in_benchmarks():
    """The committed table is what bench/records/headline.json makes, and each record is a section of the page."""
    from bench import report

    text = report.BENCHMARKS.read_text()
    records = report.read_headlines()
    order = re.findall(r"^<!-- bench:([\w-]+) -->$", text, re.M)
    assert report.headline_table(records, order) in text
    assert set(records) <= set(order)
