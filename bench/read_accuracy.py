"""How well GlyphVAE reads: test-split accuracy, mouse-drawn characters, latent use, latency.

    python -m bench.read_accuracy [--model assets/glyph_vae] [--data-dir ../shared/data]

Writes the "read" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from glyph_vae import GlyphVAE, read
from glyph_vae.strokes import render_drawing
from train.evaluate import evaluate

from .report import machine, write_section


def read_latency_ms(model: GlyphVAE, repeats: int = 200) -> float:
    """Median time to read one 400x400 canvas: normalisation + encoder + decoder."""
    image = render_drawing("R", seed=1, canvas=400, brush=26)
    read(model, image)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        read(model, image)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model folder or Hub id (default: bundled)")
    p.add_argument("--data-dir", default="../shared/data")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # what one request gets on a busy server
    model = GlyphVAE.from_pretrained(args.model)
    from pathlib import Path

    m = evaluate(model, Path(args.data_dir))
    latency = read_latency_ms(model)
    c = model.config
    body = f"""## Reading (`python -m bench.read_accuracy`)

Machine: {machine()}. Model: `{args.model or 'assets/glyph_vae'}` (channels {c.channels}, hidden {c.hidden}, latent {c.latent_dim}).

| measure | value | target |
| --- | --- | --- |
| MNIST test accuracy (a digit task: argmax over the 10 digits) | {m['mnist_test_accuracy']:.2%} | >= 99.3% |
| MNIST test read 62-way (5 read as S counts as wrong) | {m['mnist_test_accuracy_62way']:.2%} | |
| EMNIST ByClass test accuracy, 62 classes | {m['emnist_test_accuracy']:.2%} | >= 85% |
| EMNIST ByClass test accuracy, case-folded | {m['emnist_test_accuracy_casefold']:.2%} | >= 89% |
| mouse-drawn 0-9 and A-Z, case-folded ({m['mouse_drawn_n']} drawings) | {m['mouse_drawn_accuracy_casefold']:.2%} | >= 95% |
| KL per image (MNIST + EMNIST test) | {m['kl_nats_per_image']:.1f} nats | |
| reconstruction per image | {m['recon_nats_per_image']:.1f} nats | |
| active latent dims (Var of posterior mean > 0.01) | {m['active_dims']} of {m['latent_dim']} | |
| read one 400x400 drawing, median of 200, 1 thread | {latency:.1f} ms | |

Mouse-drawn misreads: {', '.join(m['mouse_drawn_errors']) or 'none'}.
"""
    write_section("read", body)
    print(body)
    return m


if __name__ == "__main__":
    main()
