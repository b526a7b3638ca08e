"""How truly ambiguous are the muddles a user gets? The pictures /confuse returns, judged by a
panel of five readers the app never uses.

    python -m bench.muddle [--runs 30] [--drawn 10] [--calls 50] [--data-dir ../shared/data]

For every muddle maker, both criteria and every digit, `--runs` calls of the app's endpoint
handler (each run its own seed, a random MNIST test image of the digit as a): the muddle PNG it
returns is read back from the file's bytes, decoded as a client decodes it (Pillow, then grey),
and read on the glyph grid as the app's scorers read it (`glyph_vae.pipelines.confuse.read_pictures`:
each 6x6 block of the 168 px picture averaged, then the shared normalisation). The path is read
from the GIF returned beside it (its forward frames).

- **Good muddle** (`glyph_vae.pipelines.confuse.is_good_muddle`): the panel's (`bench/panel.py`) mean
  has top two {d, e}, each 0.3-0.7, together >= 0.9; and every panel member on its own has
  {d, e} as its top two with p_d + p_e >= 0.8. Reported: the share of good muddles, the two
  halves of the definition apart, the share of runs whose returned path holds a good frame,
  the panel's mutual information, and, as a check on the reading, the share of good muddles
  when the PNG is read instead by the app's normalisation of any uploaded picture
  (`preprocess.normalize_glyph`, as /classify reads it).
- **Still looks like a digit**: of the ink (> 0.1 after the shared normalisation) in the
  returned pictures read on the glyph grid, the share that is mid-grey (0.25-0.75), against
  real MNIST test digits.
- **Drawn digits**: the mouse-drawn test set's digits (`glyph_vae.testing.drawings.drawing_set`,
  `--drawn` of each) sent as the drawing, criterion balance.
- The median time of the /confuse handler per call, in-process on one thread (what `gr.api`
  serves, pictures and GIF included), over `--calls` calls.

Writes the "muddle" section of BENCHMARKS.md, the app as shipped; `--section NAME` writes a run of a
variant that did not ship into docs/experiments/muddle-runs.md instead.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from glyph_vae.pipelines.confuse import (CRITERIA, frame_glyphs, is_between, is_good_muddle, mid_grey_share,
                               mutual_information, read_pictures, reads_as_pair)
from glyph_vae.errors import BlankDrawingError
from glyph_vae.glyphs.preprocess import normalize_glyph
from train.data import load_npz

from . import panel as panel_module
from .report import EXPERIMENTS, Headline, machine, write_section


def read_returned(png: bytes) -> np.ndarray:
    """The bytes of a returned muddle PNG -> (28, 28) its ink on the glyph grid, as the app's
    scorers read the picture they chose (decoded with Pillow, as a client decodes it)."""
    return read_pictures(np.asarray(Image.open(io.BytesIO(png)).convert("L")))[0]


def read_returned_gif(gif: bytes) -> np.ndarray:
    """The bytes of a returned path GIF -> (frames, 28, 28): its forward frames (the GIF walks
    the path forth and back), each read as `read_returned` reads the muddle."""
    image = Image.open(io.BytesIO(gif))
    frames = []
    for k in range(image.n_frames):
        image.seek(k)
        frames.append(np.asarray(image.convert("L")))
    forward = (len(frames) + 2) // 2
    return read_pictures(np.stack(frames[:forward]))


def read_as_upload(png: bytes) -> np.ndarray | None:
    """The same bytes read as /classify reads any uploaded picture (None if blank)."""
    try:
        return normalize_glyph(png)
    except BlankDrawingError:
        return None


class Tally:
    """The panel's figures over one method's returned muddles."""

    def __init__(self):
        self.good, self.path, self.mean_between, self.all_read, self.mi, self.upload_good = [], [], [], [], [], []
        self.readings, self.per_digit, self.errors = [], {d: [] for d in range(10)}, 0

    def add(self, reading, each, d: int, e: int, path_each=None, upload_each=None) -> bool:
        good = is_good_muddle(each, d, e)
        self.good.append(good)
        self.per_digit[d].append(good)
        self.mean_between.append(is_between(each.mean(0), d, e))
        self.all_read.append(all(reads_as_pair(p, d, e) for p in each))
        self.mi.append(mutual_information(each))
        if path_each is not None:
            self.path.append(any(is_good_muddle(p, d, e) for p in path_each))
        if upload_each is not None:
            self.upload_good.append(is_good_muddle(upload_each, d, e))
        self.readings.append(reading)
        return good

    def refused(self, d: int) -> None:
        """A call that gave no muddle (a drawing read as a letter): counted as not good."""
        self.errors += 1
        for series in (self.good, self.mean_between, self.all_read, self.upload_good):
            series.append(False)
        self.per_digit[d].append(False)

    def figures(self, real_grey: float) -> dict:
        grey = mid_grey_share(np.stack(self.readings)) if self.readings else float("nan")
        mean = lambda v: float(np.mean(v)) if v else None  # noqa: E731
        return {"n": len(self.good), "good": mean(self.good), "path": mean(self.path),
                "mean_between": mean(self.mean_between), "all_read": mean(self.all_read),
                "mi_median": float(np.median(self.mi)) if self.mi else None, "upload_good": mean(self.upload_good),
                "mid_grey": grey, "mid_grey_ratio": grey / real_grey, "errors": self.errors,
                "per_digit": {d: mean(v) for d, v in self.per_digit.items() if v}}


def make_tab():
    """The Confuse tab as the app builds it (bundled weights, prepared for serving)."""
    from glyph_vae.loading import app_confuser, load_models
    from glyph_vae.serving import OutputFiles
    from glyph_vae.ui.confuse_tab import ConfuseTab

    models = load_models({})  # the bundled weights, each prepared for serving as the app's are
    return ConfuseTab(app_confuser(models), models.glyph_vae.model, OutputFiles(Path(tempfile.mkdtemp())))


def endpoint(tab, maker: str | None):
    """The handler `gr.api` serves for this maker: /confuse_with, or /confuse_by where the app
    has one maker only."""
    if maker is None:
        return lambda digit, drawing, seed, criterion: tab.confuse_by(digit, drawing, seed, criterion)
    return lambda digit, drawing, seed, criterion: tab.confuse_with(digit, drawing, seed, criterion, maker)


def server_ms(tab, calls: int) -> tuple[float, float]:
    """Median ms of the /confuse handler per call (in-process, one thread, as `gr.api` calls it):
    wall-clock, and this process's CPU time (what the call costs when the machine is shared)."""
    tab.confuse("3", None, 0)  # warm
    wall, cpu = [], []
    for i in range(calls):
        start, start_cpu = time.perf_counter(), time.process_time()
        tab.confuse(str(i % 10), None, 1000 + i)
        wall.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - start_cpu))
    return float(np.median(wall)), float(np.median(cpu))


def run(runs: int, drawn: int, data_dir: Path, calls: int = 50, log=print) -> dict:
    import gradio as gr

    from glyph_vae.testing.drawings import drawing_set

    tab = make_tab()
    makers = list(tab.confuser.makers) if hasattr(tab, "confuse_with") else [None]
    panel = panel_module.load()
    judge = lambda glyphs: panel.probabilities(frame_glyphs(glyphs)).numpy()  # noqa: E731
    test = load_npz(data_dir / "mnist.npz", "test")
    real_grey = mid_grey_share(test.images.astype(np.float32) / 255)
    tallies = {}
    for maker in makers:
        call = endpoint(tab, maker)
        for criterion in CRITERIA:
            tally = tallies[(maker, criterion)] = Tally()
            start = time.time()
            for d in range(10):
                for i in range(runs):
                    *_, muddle, gif, info = call(str(d), None, 10_000 * d + i, criterion)
                    png, gif_bytes = Path(muddle["path"]).read_bytes(), Path(gif["path"]).read_bytes()
                    reading, path = read_returned(png), read_returned_gif(gif_bytes)
                    upload = read_as_upload(png)
                    each = judge(np.concatenate([reading[None], path] + ([upload[None]] if upload is not None else [])))
                    tally.add(reading, each[0], d, info["partner"], path_each=each[1:1 + len(path)],
                              upload_each=each[-1] if upload is not None else np.zeros((len(each[0]), 10)))
            log(f"{maker} {criterion}: {np.mean(tally.good):.1%} good ({time.time() - start:.0f} s)")
    drawn_tallies = {}
    drawings = drawing_set("0123456789", per_char=drawn) if drawn else []
    for maker in makers:
        call = endpoint(tab, maker)
        tally = drawn_tallies[maker] = Tally()
        for k, (char, image) in enumerate(drawings):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            value = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()  # as the pad sends it
            try:
                *_, muddle, gif, info = call(char, value, k, "balance")
            except gr.Error:
                tally.refused(int(char))
                continue
            if info["digit"] != int(char):  # read as another digit: not a muddle of this one
                tally.refused(int(char))
                continue
            png = Path(muddle["path"]).read_bytes()
            reading, upload = read_returned(png), read_as_upload(png)
            each = judge(np.stack([reading] + ([upload] if upload is not None else [])))
            tally.add(reading, each[0], int(char), info["partner"],
                      upload_each=each[-1] if upload is not None else np.zeros((len(each[0]), 10)))
        if drawings:
            log(f"{maker} drawn: {np.mean(tally.good):.1%} good")
    return {"runs": runs * 10, "per_run": runs, "drawn": len(drawings), "real_grey": real_grey,
            "figures": {f"{m}|{c}": t.figures(real_grey) for (m, c), t in tallies.items()},
            "drawn_figures": {str(m): t.figures(real_grey) for m, t in drawn_tallies.items()},
            "makers": [str(m) for m in makers], "server_ms": server_ms(tab, calls), "calls": calls,
            "members": panel.names, "scorers": tab.confuser.scorer_names,
            "default_maker": getattr(__import__("glyph_vae.pipelines.confuse", fromlist=["x"]), "DEFAULT_MAKER", None)}


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:.1%}"


MAKER_WORDS = {"class_mix": "GlyphVAE class mix", "autoencoder": "muddle autoencoder",
               "None": "muddle autoencoder (the app's one maker)"}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30, help="runs per digit, maker and criterion")
    p.add_argument("--drawn", type=int, default=10, help="mouse-drawn drawings per digit")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--calls", type=int, default=50, help="/confuse calls timed")
    p.add_argument("--section", default="muddle",
                   help="the section to write: muddle (BENCHMARKS.md) or a variant's (docs/experiments/muddle-runs.md)")
    p.add_argument("--title", default="Confuse this digit", help="the section's title")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    load_before = os.getloadavg()[0]
    r = run(args.runs, args.drawn, args.data_dir, args.calls)
    r["load"] = (load_before, os.getloadavg()[0])
    r["server_ms"], r["server_cpu_ms"] = r["server_ms"]
    if args.json:
        args.json.write_text(json.dumps(r, indent=1, default=str))

    def verdict(value, target, above=True):
        if value is None:
            return "not measured"
        met = value >= target if above else value <= target
        return "met" if met else "**missed**"

    rows = []
    for key, t in r["figures"].items():
        maker, criterion = key.split("|")
        default = " (the default)" if maker == str(r["default_maker"]) or maker == "None" else ""
        rows.append(f"| {MAKER_WORDS[maker]}{default} | {criterion} | {_pct(t['good'])} | {_pct(t['path'])} | "
                    f"{_pct(t['mean_between'])} | {_pct(t['all_read'])} | {t['mi_median']:.3f} | "
                    f"{t['mid_grey']:.3f} ({t['mid_grey_ratio']:.2f}x) | {_pct(t['upload_good'])} |")
    drawn_rows = [f"| {MAKER_WORDS[m]} | {_pct(t['good'])} | {_pct(t['mean_between'])} | {_pct(t['all_read'])} | "
                  f"{t['errors']} | {t['mid_grey_ratio']:.2f}x |" for m, t in r["drawn_figures"].items()]
    default = r["default_maker"] if r["default_maker"] in r["makers"] else r["makers"][0]
    best = r["figures"][f"{default}|balance"]
    drawn = r["drawn_figures"].get(str(default))
    per_digit = " | ".join(f"{d}: {v:.0%}" for d, v in best["per_digit"].items())
    drawn_target = (f"drawn digits good >= 60%: {_pct(drawn['good'])}, {verdict(drawn['good'], 0.6)}; "
                    if drawn else "")
    body = f"""## {args.title} (`python -m bench.muddle`)

Machine: {machine()}. For each maker and criterion {r['runs']} calls of the endpoint handler ({r['per_run']} per
digit, a random MNIST test image of the digit as a, one seed each), judged on the **pictures returned**: the
muddle PNG's bytes decoded with Pillow and read on the 28 px glyph grid as the app's scorers read what they
chose (each 6x6 block averaged, then the shared normalisation), and the path from the returned GIF's forward
frames. The judges: the panel of five readers of `bench/panel.py` ({", ".join(r['members'])}; the app uses
none of them). The app's {len(r['scorers'])} scorers, which choose: {", ".join(r['scorers'])}.

**Good muddle**: the panel's mean has top two {{d, e}}, each 0.3-0.7, together >= 0.9, **and** every member on its own
has {{d, e}} as its top two with p_d + p_e >= 0.8. "Mean between" and "all see d-or-e" are the two halves apart.
MI: the panel's mutual information in nats, median. Mid-grey: the share of the ink (> 0.1 after the shared
normalisation) that is 0.25-0.75, pooled over the returned muddles read on the glyph grid; real MNIST test digits:
{r['real_grey']:.3f}. "Read as an upload": good muddles when the same PNG is read instead as /classify reads any
picture (`normalize_glyph`: cropped to its ink at full size, then shrunk), a check that the figure does not hang
on the reading.

| maker | criterion | good muddles | runs whose returned path has a good frame | mean between | all see d-or-e | MI | mid-grey share (vs real) | good, read as an upload |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Drawn digits: the mouse-drawn test set's digits (`glyph_vae.testing.drawings.drawing_set`, {r['drawn']} drawings,
{r['drawn'] // 10} of each digit) sent as the drawing, criterion balance. A drawing the app reads as a letter
(refused) or as another digit counts as not good ("no muddle" column).

| maker | good muddles | mean between | all see d-or-e | no muddle | mid-grey (vs real) |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(drawn_rows)}

Targets, for the default maker ({MAKER_WORDS[str(default)]}) and criterion balance: good muddles >= 70%:
{_pct(best['good'])}, {verdict(best['good'], 0.7)}; returned path with a good frame >= 95%: {_pct(best['path'])},
{verdict(best['path'], 0.95)}; mid-grey within 1.1x of real: {best['mid_grey_ratio']:.2f}x,
{verdict(best['mid_grey_ratio'], 1.1, above=False)}; {drawn_target}/confuse handler under 150 ms a call
(median, one thread): {r['server_ms']:.0f} ms wall-clock, {verdict(r['server_ms'], 150, above=False)}
({r['server_cpu_ms']:.0f} ms of CPU time, {verdict(r['server_cpu_ms'], 150, above=False)} on that count).

Good muddles per digit (default maker, balance): {per_digit}. The /confuse handler (in-process, one thread,
pictures and GIF included): {r['server_ms']:.0f} ms median over {r['calls']} calls, {r['server_cpu_ms']:.0f} ms of CPU time. The machine was shared while
measuring (load average {r['load'][0]:.1f} at the start, {r['load'][1]:.1f} at the end, on {os.cpu_count()} cores),
so the times are upper bounds of the quiet machine's.
"""
    if args.section != "muddle":  # a variant that did not ship: no headline figures
        write_section(args.section, body, into=EXPERIMENTS / "muddle-runs.md")
    else:
        handler = [Headline(f"/confuse handler a call, median, one thread ({what})", f"{ms:.0f} ms", "<= 150 ms",
                            ms <= 150) for ms, what in ((r["server_ms"], "wall-clock"), (r["server_cpu_ms"], "CPU time"))]
        drawn_row = [Headline("drawn digits giving a good muddle", _pct(drawn["good"]), ">= 60%",
                              drawn["good"] >= 0.6)] if drawn else []
        write_section("muddle", body, [
            Headline("good muddles (default maker, balance), judged by the panel", _pct(best["good"]), ">= 70%",
                     best["good"] >= 0.7),
            Headline("returned paths holding a good frame", _pct(best["path"]), ">= 95%", best["path"] >= 0.95),
            Headline("muddles' mid-grey ink against real MNIST", f"{best['mid_grey_ratio']:.2f}x", "<= 1.1x",
                     best["mid_grey_ratio"] <= 1.1), *drawn_row, *handler])
    print(body)
    return r


if __name__ == "__main__":
    main()
