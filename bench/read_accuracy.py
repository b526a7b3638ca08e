"""How well GlyphVAE reads, as a user meets it: through /classify, on the held-out test splits
and on mouse-drawn characters; the class prior's trade between digits and letters; the
confusions that remain; latent use and latency.

    python -m bench.read_accuracy [--model assets/glyph_vae] [--data-dir ../shared/data] [--http 300]

Every test image is sent as a PNG and read as /classify reads it (`train.evaluate.read_as_sent`:
normalize_glyph, then the model with its prior shift); --http N sends the first N of each split
to a launched `python app.py` over its plain HTTP API as well and counts the answers that differ.
Writes the "read" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from glyph_vae import GlyphVAE, read
from glyph_vae.models.model import CHARSET
from glyph_vae.pipelines.reading import case_fold
from glyph_vae.testing.drawings import render_drawing
from train.evaluate import evaluate, png_bytes, raw_test_split, read_as_sent

from .report import Headline, machine, write_section

TARGETS = {"mnist": 0.993, "emnist": 0.87, "emnist_casefold": 0.91, "drawn_upper": 0.98, "drawn_lower": 0.85}
BIASES = np.round(np.arange(-3.0, 3.01, 0.5), 2)  # nats added to every letter's logit (0: the shipped prior)


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


def trade_curve(logits: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> list[dict]:
    """MNIST and EMNIST 62-way accuracy as the letters' logits are moved by each bias: the
    prior shift trades digits read as letters against letters read as digits."""
    rows = []
    letters = np.r_[np.zeros(10), np.ones(52)]
    for bias in BIASES:
        row = {"bias": float(bias)}
        for name in ("mnist", "emnist"):
            pred = (logits[name] + bias * letters).argmax(1)
            row[name] = float((pred == labels[name]).mean())
            row[name + "_casefold"] = float((case_fold(pred) == case_fold(labels[name])).mean())
        rows.append(row)
    return rows


def confusions(pred: np.ndarray, labels: np.ndarray, top: int = 12, casefold: bool = True) -> list[tuple[str, int]]:
    """The most frequent misreadings "true->read" (case-folded ones not counted when `casefold`)."""
    wrong = (case_fold(pred) != case_fold(labels)) if casefold else pred != labels
    pairs = Counter(f"{CHARSET[t]}->{CHARSET[p]}" for t, p in zip(labels[wrong], pred[wrong]))
    return pairs.most_common(top)


def http_check(images: dict[str, np.ndarray], preds: dict[str, np.ndarray], n: int) -> dict:
    """The first n images of each split through a launched app's /classify over plain HTTP:
    how many top labels differ from the in-process reading."""
    import httpx

    from harness.app import running_app
    from harness.http import call

    from .api_latency import upload

    folder = Path(tempfile.mkdtemp())
    differ, sent = 0, 0
    with running_app(folder / "app.log") as url, httpx.Client(base_url=url.rstrip("/"), timeout=60) as http:
        for name, split in images.items():
            for i in range(min(n, len(split))):
                path = folder / f"{name}_{i}.png"
                path.write_bytes(png_bytes(split[i]))
                event, data = call(url, "classify", [upload(http, str(path))])
                if event != "complete":
                    raise RuntimeError(f"/classify answered {event}: {data}")
                differ += data[0]["label"] != CHARSET[preds[name][i]]
                sent += 1
    return {"sent": sent, "differ": differ}


def pct(x: float) -> str:
    return f"{x:.2%}"


def verdict(value: float, target: float) -> str:
    return f"{pct(value)} ({'met' if value >= target else '**missed**'}, target >= {target:.1%})"


HEADLINE_MEASURES = {"mnist": ("MNIST test through `/classify`, 62-way", "mnist_classify_62way"),
                     "emnist": ("EMNIST ByClass test through `/classify`, 62-way", "emnist_classify_62way"),
                     "emnist_casefold": ("EMNIST ByClass test through `/classify`, case-folded",
                                         "emnist_classify_casefold"),
                     "drawn_upper": ("mouse-drawn 0-9 and A-Z read, case-folded", "mouse_drawn_accuracy_casefold"),
                     "drawn_lower": ("mouse-drawn a-z read, case-folded", "mouse_drawn_accuracy_casefold_lower")}


def headline(m: dict) -> list[Headline]:
    return [Headline(what, pct(m[key]), f">= {TARGETS[name]:.1%}", m[key] >= TARGETS[name])
            for name, (what, key) in HEADLINE_MEASURES.items()]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model folder or Hub id (default: bundled)")
    p.add_argument("--data-dir", default="../shared/data")
    p.add_argument("--http", type=int, default=300, help="images of each split also sent over HTTP (0: none)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # what one request gets on a busy server
    model = GlyphVAE.from_pretrained(args.model)
    data_dir = Path(args.data_dir)

    m = evaluate(model, data_dir)
    raw, labels, logits, preds = {}, {}, {}, {}
    for name, file in (("mnist", "mnist.npz"), ("emnist", "emnist_byclass_test.npz")):
        raw[name], labels[name] = raw_test_split(data_dir / file)
        logits[name] = read_as_sent(model, raw[name])
        preds[name] = logits[name].argmax(1)
    curve = trade_curve(logits, labels)
    http = http_check(raw, preds, args.http) if args.http else None
    latency = read_latency_ms(model)
    c = model.config
    reader = (f"a reader trunk of its own ({c.reader_channels} channels)" if c.reader_channels
              else "the class head on the trunk it shares with the posterior")
    curve_rows = "\n".join(
        f"| {r['bias']:+.1f}{' (shipped)' if r['bias'] == 0 else ''} | {pct(r['mnist'])} | {pct(r['emnist'])} | "
        f"{pct(r['emnist_casefold'])} |" for r in curve)
    http_text = ("" if http is None else
                 f"\nThe first {args.http} images of each split were also sent to `python app.py` over its plain HTTP "
                 f"API: {http['differ']} of {http['sent']} answers differ from the in-process reading.\n")

    body = f"""## Reading (`python -m bench.read_accuracy`)

Machine: {machine()}. Model: `{args.model or 'assets/glyph_vae'}` (channels {c.channels}, hidden {c.hidden},
latent {c.latent_dim}; it reads with {reader}).

As a user meets it: each test image sent as a PNG and read as `/classify` reads it (`normalize_glyph`, the
model, its class prior shift), the top label of 62 (an MNIST 5 read as S is wrong).
{http_text}
| measure | value |
| --- | --- |
| MNIST test (10,000) through `/classify`, 62-way | {verdict(m['mnist_classify_62way'], TARGETS['mnist'])} |
| EMNIST ByClass test (17,450) through `/classify`, 62 classes | {verdict(m['emnist_classify_62way'], TARGETS['emnist'])} |
| EMNIST ByClass test through `/classify`, case-folded | {verdict(m['emnist_classify_casefold'], TARGETS['emnist_casefold'])} |
| mouse-drawn 0-9 and A-Z, case-folded ({m['mouse_drawn_n'] * 36 // 62} drawings) | {verdict(m['mouse_drawn_accuracy_casefold'], TARGETS['drawn_upper'])} |
| mouse-drawn a-z, case-folded ({m['mouse_drawn_n'] * 26 // 62} drawings) | {verdict(m['mouse_drawn_accuracy_casefold_lower'], TARGETS['drawn_lower'])} |
| MNIST test, argmax over the 10 digits only | {pct(m['mnist_test_accuracy'])} |
| KL per image (MNIST + EMNIST test) | {m['kl_nats_per_image']:.1f} nats |
| reconstruction per image | {m['recon_nats_per_image']:.1f} nats |
| active latent dims (Var of posterior mean > 0.01) | {m['active_dims']} of {m['latent_dim']} |
| read one 400x400 drawing, median of 200, 1 thread | {latency:.1f} ms |

The mouse-drawn test set: {m['mouse_drawn_n']} drawings (`glyph_vae.testing.drawings.drawing_set`, 20 of each character,
its test seed, which no training or tuning step uses), made the way a user draws on the app's canvas.
Misread: {', '.join(m['mouse_drawn_errors']) or 'none'}; lower case: {', '.join(m['mouse_drawn_errors_lower']) or 'none'}.

The class prior trades digits against letters: a bias added to all 52 letters' logits on top of the shipped
prior shift (positive: letters more likely), accuracy through `/classify`:

| letters' bias (nats) | MNIST 62-way | EMNIST 62-way | EMNIST case-folded |
| --- | --- | --- | --- |
{curve_rows}

Confusions that remain (true->read, case-folded errors only): MNIST {', '.join(f'{k} ({v})' for k, v in confusions(preds['mnist'], labels['mnist']))};
EMNIST {', '.join(f'{k} ({v})' for k, v in confusions(preds['emnist'], labels['emnist']))}.
"""
    write_section("read", body, headline(m))
    print(body)
    return {**m, "curve": curve, "http": http}


if __name__ == "__main__":
    main()
