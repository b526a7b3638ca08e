"""How truly ambiguous are the muddles? Judged by an independent digit classifier.

    python -m bench.muddle [--runs 50] [--data-dir ../shared/data] [--model assets/muddle]

For every digit, `--runs` muddles from random MNIST test images (each run its own
seed). A muddle is "between" when the independent classifier's two top digits are
{d, e}, each with probability 0.3-0.7, together >= 0.9. Reports the share of
muddles that are between, the share of runs whose path holds at least one such
frame, and the same for mnistMuddle's plain method (the decoded midpoint, and a
7-step path). Writes the "muddle" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from glyph_vae.confuse import is_between, make_confuser
from glyph_vae.muddle import MuddleAutoencoder
from train.data import load_npz

from . import digit_classifier
from .report import machine, write_section


def run(runs: int, data_dir: Path, model: str | None = None) -> dict:
    test = load_npz(data_dir / "mnist.npz", "test")
    muddle = MuddleAutoencoder.from_pretrained(model)  # None: the bundled one
    confuser = make_confuser(test.images, test.labels, muddle=muddle)
    judge = digit_classifier.scorer(digit_classifier.load(data_dir))
    ours, ours_path, mid, mid_path7, times = [], [], [], [], []
    per_digit = {}
    for d in range(10):
        hits = 0
        for i in range(runs):
            seed = 10_000 * d + i
            t = time.perf_counter()
            result = confuser.confuse(d, seed)
            times.append(time.perf_counter() - t)
            frames = [f.image for f in result.path + result.extra_frames]
            probs = judge(np.stack([result.muddle.image] + frames))
            e = result.partner
            ok = is_between(probs[0], d, e)
            hits += ok
            ours.append(ok)
            ours_path.append(any(is_between(p, d, e) for p in probs[1:]))
            # mnistMuddle's method on the same digit and seed: a and b drawn the same way.
            plain = confuser.midpoint(d, seed)
            weights = np.linspace(0, 1, 7)
            with torch.no_grad():
                z = torch.from_numpy((1 - weights)[:, None] * plain.z_a + weights[:, None] * plain.z_b).float()
                seven = muddle.decode(z)[:, 0].numpy()
            p_plain = judge(np.stack([plain.muddle.image, *seven]))
            mid.append(is_between(p_plain[0], d, plain.partner))
            mid_path7.append(any(is_between(p, d, plain.partner) for p in p_plain[1:]))
        per_digit[d] = hits / runs
    return {"runs": runs * 10, "ours": float(np.mean(ours)), "ours_path": float(np.mean(ours_path)),
            "midpoint": float(np.mean(mid)), "midpoint_path7": float(np.mean(mid_path7)),
            "per_digit": per_digit, "median_ms": 1000 * float(np.median(times)),
            "steps": confuser.steps}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=50, help="runs per digit")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--model", default=None, help="muddle autoencoder folder (default: the bundled one)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    r = run(args.runs, args.data_dir, args.model)
    digits = " | ".join(f"{d}: {v:.0%}" for d, v in r["per_digit"].items())
    body = f"""## Confuse this digit (`python -m bench.muddle`)

Machine: {machine()}. {r['runs']} runs ({args.runs} per digit, random MNIST test images, one seed each),
judged by an independent CNN digit classifier (`bench/digit_classifier.py`, trained on MNIST train only).
"Between": the judge's two top digits are {{d, e}}, each 0.3-0.7, together >= 0.9.

| method | muddles truly between | runs whose path has such a frame |
| --- | --- | --- |
| ours: {r['steps']}-step path, frame chosen by GlyphVAE's digit head and the app's digit CNN together, bisection in batches of 8 weights (up to 3 rounds) when needed | {r['ours']:.1%} (target >= 70%) | {r['ours_path']:.1%} (target >= 95%) |
| mnistMuddle's plain midpoint (7-step path for the second column) | {r['midpoint']:.1%} | {r['midpoint_path7']:.1%} |

Per digit (ours): {digits}. Median time per muddle: {r['median_ms']:.0f} ms (1 thread).
"""
    write_section("muddle", body)
    print(body)
    return r


if __name__ == "__main__":
    main()
