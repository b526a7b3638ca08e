"""How truly ambiguous are the muddles? Judged by a panel of five readers the app never uses.

    python -m bench.muddle [--runs 50] [--data-dir ../shared/data] [--model assets/muddle] [--calls 50]

For every digit, `--runs` muddles from random MNIST test images (each run its own seed).

- **Good muddle** (`glyph_vae.confuse.is_good_muddle`): the panel's (`bench/panel.py`) mean
  probabilities have top two {d, e}, each 0.3-0.7, together >= 0.9; and every panel member on
  its own has {d, e} as its top two with p_d + p_e >= 0.8. Reported: the share of muddles
  that are good, the share of runs whose path (with the bisection's frames) holds a good
  frame, the two halves of the definition apart, and the panel's mutual information
  H(mean) - mean H on the muddles (low: the readers agree on how it splits).
- **Still looks like a digit**: the share of the ink (> 0.1 after the shared normalisation)
  that is mid-grey (0.25-0.75), against real MNIST test digits normalised the same way.
- Beside them: mnistMuddle's plain midpoint (and a 7-step path), the far-from-both criterion
  (the path's frame maximising mse(frame, a) + mse(frame, b)), each panel member alone as a
  single judge (0.3-0.7 band, mass >= 0.9), and the old single judge (`bench/digit_classifier.py`).
- The median time of the app's /confuse function per call, in-process on one thread
  (the handler as Gradio calls it, pictures and GIF included), over `--calls` calls.

Writes the "muddle" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from glyph_vae.confuse import (is_between, is_good_muddle, make_confuser, mid_grey_share, mutual_information,
                               reads_as_pair)
from glyph_vae.muddle import MuddleAutoencoder
from train.data import load_npz

from . import digit_classifier, panel as panel_module
from .report import machine, write_section


class Tally:
    """The panel's figures over one method's muddles."""

    def __init__(self, names: list[str]):
        self.names = names
        self.good, self.path, self.mean_between, self.all_read, self.mi, self.old = [], [], [], [], [], []
        self.single = {n: [] for n in names}
        self.images = []

    def add(self, image: np.ndarray, each: np.ndarray, d: int, e: int, old: np.ndarray,
            path_each: np.ndarray | None = None) -> bool:
        good = is_good_muddle(each, d, e)
        self.good.append(good)
        self.mean_between.append(is_between(each.mean(0), d, e))
        self.all_read.append(all(reads_as_pair(p, d, e) for p in each))
        self.mi.append(mutual_information(each))
        self.old.append(is_between(old, d, e))
        for name, p in zip(self.names, each):
            self.single[name].append(is_between(p, d, e))
        if path_each is not None:
            self.path.append(any(is_good_muddle(p, d, e) for p in path_each))
        self.images.append(image)
        return good

    def figures(self, real_grey: float) -> dict:
        grey = mid_grey_share(np.stack(self.images))
        return {"good": float(np.mean(self.good)), "path": float(np.mean(self.path)) if self.path else None,
                "mean_between": float(np.mean(self.mean_between)), "all_read": float(np.mean(self.all_read)),
                "mi_median": float(np.median(self.mi)), "mi_mean": float(np.mean(self.mi)),
                "old_judge": float(np.mean(self.old)),
                "single": {n: float(np.mean(v)) for n, v in self.single.items()},
                "mid_grey": grey, "mid_grey_ratio": grey / real_grey}


def server_ms(confuser, calls: int) -> float:
    """Median ms of the app's /confuse function per call (in-process, one thread): the tab's
    `confuse`, which `gr.api` serves as /confuse, with this benchmark's confuser, the models
    prepared for serving as the app prepares them."""
    from glyph_vae.loading import for_serving
    from glyph_vae.model import GlyphVAE
    from glyph_vae.serving import OutputFiles
    from glyph_vae.ui.confuse_tab import ConfuseTab

    for model in {id(m): m for m in [confuser.autoencoder, *confuser.models]}.values():
        for_serving(model)
    tab = ConfuseTab(confuser, for_serving(GlyphVAE.from_pretrained()), OutputFiles(Path(tempfile.mkdtemp())))
    confuse = tab.confuse
    confuse("3", None, 0)  # warm
    times = []
    for i in range(calls):
        start = time.perf_counter()
        confuse(str(i % 10), None, 1000 + i)
        times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times))


def run(runs: int, data_dir: Path, model: str | None = None, calls: int = 50, chooser: str | None = None) -> dict:
    from glyph_vae.chooser import ChooserEnsemble

    test = load_npz(data_dir / "mnist.npz", "test")
    muddle = MuddleAutoencoder.from_pretrained(model)  # None: the bundled one
    if chooser == "none":  # the app's first two scorers alone
        confuser = make_confuser(test.images, test.labels, muddle=muddle, with_chooser=False)
    else:
        confuser = make_confuser(test.images, test.labels, muddle=muddle,
                                 chooser=ChooserEnsemble.from_pretrained(chooser) if chooser else None)
    panel = panel_module.load()
    read = panel.scorer()  # (N, 28, 28) -> (N, members, 10)
    old_judge = digit_classifier.scorer(digit_classifier.load(data_dir))
    names = panel.names
    ours, mid, far = Tally(names), Tally(names), Tally(names)
    per_digit, search_ms, moved = {}, [], []
    for d in range(10):
        hits = 0
        for i in range(runs):
            seed = 10_000 * d + i
            start = time.perf_counter()
            result = confuser.confuse(d, seed)
            search_ms.append(1000 * (time.perf_counter() - start))
            moved.append(result.off_line)
            e = result.partner
            frames = np.stack([result.muddle.image] + [f.image for f in result.path + result.extra_frames])
            each = read(frames)
            hits += ours.add(frames[0], each[0], d, e, old_judge(frames[:1])[0], path_each=each[1:])
            # The far-from-both criterion on the same digit and seed (the same path).
            other = confuser.confuse(d, seed, criterion="far_from_both")
            far.add(other.muddle.image, read(other.muddle.image[None])[0], d, e, old_judge(other.muddle.image[None])[0],
                    path_each=each[1:1 + len(result.path)])
            # mnistMuddle's method on the same digit and seed: a and b drawn the same way.
            plain = confuser.midpoint(d, seed)
            weights = np.linspace(0, 1, 7)
            with torch.no_grad():
                z = torch.from_numpy((1 - weights)[:, None] * plain.z_a + weights[:, None] * plain.z_b).float()
                seven = muddle.decode(z)[:, 0].numpy()
            plain_frames = np.stack([plain.muddle.image, *seven])
            plain_each = read(plain_frames)
            mid.add(plain_frames[0], plain_each[0], d, plain.partner, old_judge(plain_frames[:1])[0],
                    path_each=plain_each[1:])
        per_digit[d] = hits / runs
    real_grey = mid_grey_share(test.images.astype(np.float32) / 255)
    return {"runs": runs * 10, "per_run": runs, "ours": ours.figures(real_grey), "midpoint": mid.figures(real_grey),
            "far": far.figures(real_grey), "real_grey": real_grey, "per_digit": per_digit,
            "search_ms": float(np.median(search_ms)), "server_ms": server_ms(confuser, calls), "calls": calls,
            "steps": confuser.steps, "members": names, "scorers": confuser.scorer_names,
            "off_line": confuser.off_line, "off_line_share": float(np.mean(moved))}


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=50, help="runs per digit")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--model", default=None, help="muddle autoencoder folder (default: the bundled one)")
    p.add_argument("--calls", type=int, default=50, help="/confuse calls timed")
    p.add_argument("--chooser", default=None,
                   help="chooser ensemble folder (default: the bundled one; 'none': the app's first two scorers alone)")
    p.add_argument("--label", default=None, help="what the model is, for the section (default: the bundled one)")
    p.add_argument("--section", default="muddle", help="the BENCHMARKS.md section to write")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here (for bench.training_runs)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    load_before = os.getloadavg()[0]
    r = run(args.runs, args.data_dir, args.model, args.calls, args.chooser)
    r["load"] = (load_before, os.getloadavg()[0])
    if args.json:
        args.json.write_text(json.dumps({**r, "model": args.model or "assets/muddle"}, indent=1))
    o, m, f = r["ours"], r["midpoint"], r["far"]
    digits = " | ".join(f"{d}: {v:.0%}" for d, v in r["per_digit"].items())

    def verdict(value, target, above=True):
        met = value >= target if above else value <= target
        return "met" if met else "**missed**"

    rows = "\n".join(
        f"| {label} | {_pct(t['good'])} | {_pct(t['path'])} | {_pct(t['mean_between'])} | {_pct(t['all_read'])} | "
        f"{t['mi_median']:.3f} | {t['mid_grey']:.3f} ({t['mid_grey_ratio']:.2f}x) | {_pct(t['old_judge'])} |"
        for label, t in [(f"ours: {r['steps']}-step path, frame chosen by the app's {len(r['scorers'])} scorers "
                           f"({', '.join(r['scorers'])}), bisection (up to 3 rounds of 8)"
                           + (f", then {r['off_line']} points off the path where real codes are dense "
                              f"(taken in {r['off_line_share']:.0%} of runs)" if r['off_line'] else ""), o),
                         ("far from both: the path's frame maximising mse(frame, a) + mse(frame, b)", f),
                         ("mnistMuddle's plain midpoint (7-step path for the path column)", m)])
    singles = "\n".join(f"| {name} | {o['single'][name]:.1%} | {f['single'][name]:.1%} | {m['single'][name]:.1%} |"
                        for name in r["members"])
    model = args.label or (f"`{args.model}`" if args.model else "the bundled muddle autoencoder (`assets/muddle`)")
    body = f"""## Confuse this digit (`python -m bench.muddle`)

Machine: {machine()}. {r['runs']} runs ({r['per_run']} per digit, random MNIST test images, one seed each) with
{model}, judged by the panel of five readers of `bench/panel.py` ({", ".join(r['members'])}; the app uses none of them).

**Good muddle**: the panel's mean has top two {{d, e}}, each 0.3-0.7, together >= 0.9, **and** every member on its own
has {{d, e}} as its top two with p_d + p_e >= 0.8. "Mean between" and "all see d-or-e" are the two halves apart.
MI: the panel's mutual information H(mean) - mean H in nats, median over the muddles (low: the readers agree on the
split). Mid-grey: the share of the ink (> 0.1 after the shared normalisation) that is 0.25-0.75, pooled over the
muddles; real MNIST test digits normalised the same way: {r['real_grey']:.3f}. Old judge: the single CNN of the old
definition (`bench/digit_classifier.py`: 0.3-0.7 band, mass >= 0.9).

| method | good muddles | runs whose path has a good frame | mean between | all see d-or-e | MI | mid-grey share (vs real) | old single judge |
| --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

Targets: good muddles >= 70%: {_pct(o['good'])}, {verdict(o['good'], 0.7)}; path >= 95%: {_pct(o['path'])},
{verdict(o['path'], 0.95)}; mid-grey within 1.1x of real: {o['mid_grey_ratio']:.2f}x, {verdict(o['mid_grey_ratio'], 1.1, above=False)};
/confuse under 150 ms of server time a call (median): {r['server_ms']:.0f} ms, {verdict(r['server_ms'], 150, above=False)}.

Each panel member alone as the judge (its two top digits {{d, e}}, each 0.3-0.7, together >= 0.9):

| member | ours | far from both | plain midpoint |
| --- | --- | --- | --- |
{singles}

Good muddles per digit (ours): {digits}. Median search time per muddle: {r['search_ms']:.0f} ms; the app's /confuse
function (in-process, one thread, pictures and GIF included): {r['server_ms']:.0f} ms median over {r['calls']} calls.
The machine was shared while measuring (load average {r['load'][0]:.1f} at the start, {r['load'][1]:.1f} at the end,
on {os.cpu_count()} cores), so the times are upper bounds of the quiet machine's.
"""
    write_section(args.section, body)
    print(body)
    return r


if __name__ == "__main__":
    main()
