"""Choosing the class-mix maker's settings without the panel: choose with four of the app's five
scorers, judge with the fifth.

    python -m bench.muddle_held_out [--seeds 12] [--styles 4,6,8] [--steps 11]

The benchmark's panel (`bench/muddle.py`) must stay independent of the choices it judges, so the
maker's settings (how many styles it tries, how many mix weights a path) are set here, inside the
app's own models: for each scorer in turn, the muddles of every digit (`--seeds` seeds each, the
same seeds for every setting) are chosen by the other four, reading the pictures as the app shows
them, and the held-out scorer reads the returned picture. A muddle is good for it when its top
two are the two digits, each 0.3-0.7, together >= 0.9 (`is_between`), the test the panel's mean
has to pass; and the share of GIF paths holding a frame good for it. Prints one line a setting,
with the median time a call on one thread.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def held_out_good(confuser, seeds: int) -> dict[str, float]:
    """Every scorer held out in turn: {"good": the share of muddles good for the held-out scorer,
    "pair": the share it reads as a d-or-e digit, "path": the share of GIF paths (`shown_path`)
    holding a frame good for it, "ms": the median ms a call}."""
    from glyph_vae.pipelines.confuse import frame_glyphs, is_between, read_pictures, reads_as_pair

    scorers = list(confuser.predictors)
    good, pair, path, ms = [], [], [], []
    try:
        for k, judge in enumerate(scorers):
            confuser.predictors = scorers[:k] + scorers[k + 1:]
            for digit in range(10):
                for s in range(seeds):
                    start = time.perf_counter()
                    result = confuser.confuse(digit, 500 + 97 * digit + s, maker="class_mix")
                    ms.append(1000 * (time.perf_counter() - start))
                    pictures = np.stack([result.picture] + [f.picture for f in result.shown_path])
                    with torch.no_grad():
                        p = judge(frame_glyphs(read_pictures(pictures))).numpy()
                    good.append(is_between(p[0], digit, result.partner))
                    pair.append(reads_as_pair(p[0], digit, result.partner))
                    path.append(any(is_between(q, digit, result.partner) for q in p[1:]))
    finally:
        confuser.predictors = scorers
    return {"good": float(np.mean(good)), "pair": float(np.mean(pair)), "path": float(np.mean(path)),
            "ms": float(np.median(ms))}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="muddles of each digit per held-out scorer")
    parser.add_argument("--styles", default="4,6,8", help="numbers of styles to try, comma-separated")
    parser.add_argument("--steps", default="11", help="numbers of mix weights a path, comma-separated")
    args = parser.parse_args(argv)
    from glyph_vae.loading import app_confuser, load_models
    from glyph_vae.pipelines import confuse
    from glyph_vae.serving import set_torch_threads

    set_torch_threads()  # as the app serves
    confuser = app_confuser(load_models({}))
    shipped = (confuse.CLASS_MIX_STYLES, confuse.CLASS_MIX_STEPS)
    out = {}
    try:
        for styles in map(int, args.styles.split(",")):
            for steps in map(int, args.steps.split(",")):
                confuse.CLASS_MIX_STYLES, confuse.CLASS_MIX_STEPS = styles, steps
                out[(styles, steps)] = r = held_out_good(confuser, args.seeds)
                print(f"{styles} styles, {steps} weights: good for the held-out scorer {100 * r['good']:.1f}%, "
                      f"read as d-or-e {100 * r['pair']:.1f}%, GIF path holding a good frame {100 * r['path']:.1f}%, "
                      f"{r['ms']:.0f} ms a call", flush=True)
    finally:
        confuse.CLASS_MIX_STYLES, confuse.CLASS_MIX_STEPS = shipped
    return out


if __name__ == "__main__":
    main()
