"""Choosing the class-mix maker's settings without the panel: some of the app's five scorers
choose each muddle, the others judge it.

    python -m bench.muddle_held_out [--held-out 2] [--seeds 12] [--styles 4,6,8] [--steps 11]

The benchmark's panel (`bench/muddle.py`) must stay independent of the choices it judges, so the
maker's settings (how many styles it tries, how many mix weights a path) are set here, inside the
app's own models. For every set of `--held-out` scorers in turn, the muddles of every digit
(`--seeds` seeds each, the same seeds for every setting) are chosen by the other scorers, reading
the pictures as the app shows them, and the held-out scorers read the returned picture. A muddle
is good for them as it is for the panel (`is_good_muddle`: their mean's top two are the two
digits, each 0.3-0.7, together >= 0.9, and each of them sees a d-or-e digit). Also reported: the
share each of them reads as a d-or-e digit, and the share of GIF paths holding a frame good for
them. Prints one line a setting, with the median time a call on one thread.

Two held out, judged by their mean, is the default: it predicted the panel where one held out did
not (docs/experiments/muddle.md: one held-out scorer rated 6 styles 4.3 points above 4, two rated
them 0.5 points apart, and the panel 1.0 point below).
"""
from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import torch


def held_out_good(confuser, seeds: int, held_out: int = 2) -> dict[str, float]:
    """Every set of `held_out` scorers judging in turn what the others chose: {"good": the share
    of muddles good for them, "pair": the share every one of them reads as a d-or-e digit,
    "path": the share of GIF paths (`shown_path`) holding a frame good for them, "ms": the
    median ms a call}."""
    from glyph_vae.pipelines.confuse import frame_glyphs, is_good_muddle, read_pictures, reads_as_pair

    scorers = list(confuser.predictors)
    if not 1 <= held_out < len(scorers):
        raise ValueError(f"hold out 1 to {len(scorers) - 1} of the {len(scorers)} scorers, not {held_out}")
    good, pair, path, ms = [], [], [], []
    try:
        for judges in itertools.combinations(range(len(scorers)), held_out):
            confuser.predictors = [p for k, p in enumerate(scorers) if k not in judges]
            for digit in range(10):
                for s in range(seeds):
                    start = time.perf_counter()
                    result = confuser.confuse(digit, 500 + 97 * digit + s, maker="class_mix")
                    ms.append(1000 * (time.perf_counter() - start))
                    pictures = frame_glyphs(read_pictures(
                        np.stack([result.picture] + [f.picture for f in result.shown_path])))
                    with torch.no_grad():  # (judges, pictures, 10)
                        p = np.stack([scorers[k](pictures).numpy() for k in judges])
                    e = result.partner
                    good.append(is_good_muddle(p[:, 0], digit, e))
                    pair.append(all(reads_as_pair(q, digit, e) for q in p[:, 0]))
                    path.append(any(is_good_muddle(p[:, i], digit, e) for i in range(1, p.shape[1])))
    finally:
        confuser.predictors = scorers
    return {"good": float(np.mean(good)), "pair": float(np.mean(pair)), "path": float(np.mean(path)),
            "ms": float(np.median(ms))}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-out", type=int, default=2, help="scorers that judge, the rest choose")
    parser.add_argument("--seeds", type=int, default=12, help="muddles of each digit per set of judges")
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
                out[(styles, steps)] = r = held_out_good(confuser, args.seeds, args.held_out)
                print(f"{styles} styles, {steps} weights, {args.held_out} held out: good for them "
                      f"{100 * r['good']:.1f}%, every one reads d-or-e {100 * r['pair']:.1f}%, GIF path holding "
                      f"a good frame {100 * r['path']:.1f}%, {r['ms']:.0f} ms a call", flush=True)
    finally:
        confuse.CLASS_MIX_STYLES, confuse.CLASS_MIX_STEPS = shipped
    return out


if __name__ == "__main__":
    main()
