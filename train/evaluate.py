"""Evaluate a GlyphVAE checkpoint on the held-out test splits and write its model card.

    python -m train.evaluate assets/glyph_vae --data-dir ../shared/data --run runs/glyph_vae --write-card

Prints MNIST and EMNIST test accuracy (62 classes and case-folded), accuracy on
mouse-drawn characters, KL per image in nats and the number of active latent
dimensions, and (with --write-card) writes them into the folder's README.md.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import date
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from glyph_vae.model import CHARSET, GlyphVAE, glyph_vae_loss
from glyph_vae.preprocess import normalize_glyph
from glyph_vae.reading import case_fold, glyph_tensor
from glyph_vae.strokes import drawing_set

from .data import load_npz

ACTIVE_THRESHOLD = 0.01  # a dimension is active if Var_x[E q(z|x)] exceeds this


@torch.no_grad()
def score(model: GlyphVAE, images: np.ndarray, labels: np.ndarray, batch_size: int = 2048) -> dict:
    """Accuracy, case-folded accuracy, per-image recon/KL in nats and the posterior means."""
    model.eval()
    preds, digit_preds, mus, recon, kl = [], [], [], 0.0, 0.0
    for i in range(0, len(labels), batch_size):
        x = glyph_tensor(images[i:i + batch_size].astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0))
        y = torch.from_numpy(np.asarray(labels[i:i + batch_size], dtype=np.int64))
        out = model(x, y)
        terms = glyph_vae_loss(out, x, y)
        recon += terms["recon"].item() * len(y)
        kl += terms["kl"].item() * len(y)
        preds.append(out["class_logits"].argmax(1).numpy())
        digit_preds.append(out["class_logits"][:, :10].argmax(1).numpy())
        mus.append(out["mu"].numpy())
    pred = np.concatenate(preds)
    n = len(labels)
    return {
        "accuracy": float((pred == labels).mean()),
        "accuracy_digits_only": float((np.concatenate(digit_preds) == labels).mean()),
        "accuracy_casefold": float((case_fold(pred) == case_fold(labels)).mean()),
        "recon_nats": recon / n, "kl_nats": kl / n, "mu": np.concatenate(mus), "pred": pred,
    }


def mouse_drawn_accuracy(model: GlyphVAE, per_char: int = 10) -> dict:
    drawings = drawing_set(per_char=per_char)
    glyphs = np.stack([normalize_glyph(image) for _, image in drawings])
    labels = np.array([CHARSET.index(c) for c, _ in drawings])
    result = score(model, glyphs, labels)
    wrong = [f"{c}->{CHARSET[p]}" for (c, _), p, ok in
             zip(drawings, result["pred"], case_fold(result["pred"]) == case_fold(labels)) if not ok]
    return {"n": len(labels), "accuracy_casefold": result["accuracy_casefold"],
            "accuracy": result["accuracy"], "errors": wrong}


def evaluate(model: GlyphVAE, data_dir: Path) -> dict:
    mnist = load_npz(data_dir / "mnist.npz", "test")
    emnist = load_npz(data_dir / "emnist_byclass_test.npz", "test")
    m, e = score(model, mnist.images, mnist.labels), score(model, emnist.images, emnist.labels)
    mu = np.concatenate([m["mu"], e["mu"]])
    n_m, n_e = len(mnist), len(emnist)
    drawn = mouse_drawn_accuracy(model)
    return {
        "mnist_test_accuracy": m["accuracy_digits_only"],
        "mnist_test_accuracy_62way": m["accuracy"],
        "emnist_test_accuracy": e["accuracy"],
        "emnist_test_accuracy_casefold": e["accuracy_casefold"],
        "mouse_drawn_accuracy_casefold": drawn["accuracy_casefold"],
        "mouse_drawn_n": drawn["n"],
        "mouse_drawn_errors": drawn["errors"],
        "kl_nats_per_image": (m["kl_nats"] * n_m + e["kl_nats"] * n_e) / (n_m + n_e),
        "recon_nats_per_image": (m["recon_nats"] * n_m + e["recon_nats"] * n_e) / (n_m + n_e),
        "active_dims": int((mu.var(0) > ACTIVE_THRESHOLD).sum()),
        "latent_dim": model.config.latent_dim,
        "test_images": n_m + n_e,
    }


def training_summary(run: Path | None) -> dict:
    if not run or not (run / "metrics.jsonl").is_file():
        return {}
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    done = [r for r in records if r.get("epoch_complete")]
    summary = {"epochs": len(done), "train_seconds": round(sum(r["seconds"] for r in records)),
               "images_per_s_median": float(np.median([r["images_per_s"] for r in records]))}
    command = run / "command.txt"
    if command.is_file():
        summary["command"] = command.read_text().strip()
    return summary


def training_text(run: Path | None, recipe: str = "") -> str:
    """The model card's training paragraph, from the run's metrics.jsonl and command.txt."""
    summary = training_summary(run)
    if not summary:
        return "See the training log of the run that produced these weights."
    text = (f"{summary['epochs']} epochs, {summary['train_seconds'] / 60:.0f} minutes on this machine "
            f"({summary['images_per_s_median']:.0f} images/s median). {recipe}").rstrip()
    if "command" in summary:
        text += f"\n\n```\n{summary['command']}\n```"
    return text


CARD = """---
license: mit
library_name: pytorch
tags: [vae, handwriting, emnist, mnist, gradio]
datasets: [mnist, emnist]
metrics: [accuracy]
---

# GlyphVAE (bundled weights)

A conditional, semi-supervised variational autoencoder for handwritten characters
(Kingma et al. 2014, model M2). The encoder reads a 28x28 glyph and gives logits
over 62 classes (`0-9`, `A-Z`, `a-z`, EMNIST ByClass order) and a Gaussian
posterior over a {latent_dim}-d style latent z; the decoder draws any character from
(one-hot class, z). It powers the GlyphVAE Gradio app.

## Use

```python
from glyph_vae import GlyphVAE, read
model = GlyphVAE.from_pretrained("{folder}")  # or a Hub repo id
print(read(model, "drawing.png").top(5))
```

Inputs must be normalised with `glyph_vae.normalize_glyph` (crop to the ink, longest
side 20 px, centre of mass at the centre of 28x28, white ink on black): `read` does it.

## Data

MNIST train (60,000 digits, labels 0-9) and the `x_train` part of the EMNIST ByClass
file in this project's shared data (98,873 glyphs, 62 classes; it is EMNIST's official
test portion re-split 85/15, so test writers also appear in training). {val_pct}% of the
training images are held out for validation. Every image is re-framed by the same
normalisation as a user's drawing, and 80% of training glyphs get a random stroke weight,
rotation, shear and width before being framed again.

## Config

```json
{config}
```

## Training

{training}

{decoder_tuning}

{prior}

## Evaluation ({today}, {machine})

Held-out test splits: MNIST test (10,000) and the EMNIST ByClass `x_test` split (17,450).

| measure | value | target |
| --- | --- | --- |
| MNIST test accuracy (a digit task: argmax over the 10 digits) | {mnist_test_accuracy:.2%} | >= 99.3% |
| MNIST test read 62-way (a digit read as a look-alike letter, such as 5 as S, counts as wrong) | {mnist_test_accuracy_62way:.2%} | |
| EMNIST test accuracy, 62 classes | {emnist_test_accuracy:.2%} | >= 85% |
| EMNIST test accuracy, case-folded (a-z read as A-Z is right) | {emnist_test_accuracy_casefold:.2%} | >= 89% |
| mouse-drawn 0-9 and A-Z, case-folded ({mouse_drawn_n} drawings) | {mouse_drawn_accuracy_casefold:.2%} | >= 95% |
| KL(q(z\\|x) \\|\\| p(z)) per image | {kl_nats_per_image:.1f} nats | |
| reconstruction -log p(x\\|y,z) per image | {recon_nats_per_image:.1f} nats | |
| active latent dimensions (Var of the posterior mean > 0.01) | {active_dims} of {latent_dim} | |

Mouse-drawn set: synthetic drawings made the way a user draws on the app's canvas (thick
round-brush strokes on a white canvas of 280-512 px, anywhere and any size, slanted from
-0.1 to 0.35), from the stroke skeletons in `glyph_vae/strokes.py`; see `bench/`.
Misread: {errors}.

## Intended use and limits

For demonstrations of reading and generating single handwritten characters. It reads
one character per image, upright, 0-9/A-Z/a-z only. EMNIST ByClass labels for letters
whose upper and lower case look alike (c, k, m, o, p, s, u, v, w, x, y, z) are noisy, and
0/O/o and 1/I/l are often ambiguous even to people. Not for reading documents, forms or
signatures, and not for identifying writers.
"""


GLYPH_VAE_RECIPE = "AdamW with warm-up and cosine decay, KL weight warmed up from 0 to 1 over the first 2,000 steps."


def write_card(folder: Path, metrics: dict, run: Path | None, val_fraction: float = 0.03) -> Path:
    model_config = json.loads((folder / "config.json").read_text())
    training = training_text(run, GLYPH_VAE_RECIPE)
    prior = prior_text(GlyphVAE.from_pretrained(folder).class_prior_shift)
    card = CARD.format(folder=folder.as_posix(), config=json.dumps(model_config, indent=2), prior=prior,
                       decoder_tuning=decoder_tuning_text(folder),
                       training=training, today=date.today().isoformat(), machine=machine_name(),
                       val_pct=round(val_fraction * 100), errors=", ".join(metrics["mouse_drawn_errors"]) or "none",
                       **{k: v for k, v in metrics.items() if k != "mouse_drawn_errors"})
    path = folder / "README.md"
    path.write_text(card)
    (folder / "eval.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return path


def decoder_tuning_text(folder: Path) -> str:
    """The card's paragraph on `python -m train.tune_decoder`, from the record it leaves beside the weights."""
    from .tune_decoder import TUNING_RECORD

    path = folder / TUNING_RECORD
    if not path.is_file():
        return "Decoder: as trained with the ELBO."
    r = json.loads(path.read_text())
    return (f"Decoder: then fine-tuned for {r['epochs']} epochs with the encoder, reader and posteriors frozen "
            "(`python -m train.tune_decoder`): besides redrawing each glyph from its own posterior, every step "
            "draws random characters in styles from the prior and from other glyphs, and GlyphVAE's own reader "
            f"(through random augmentation, weight {r['legibility_weight']:g}) must read them as asked "
            "(c as C counts, a shape people cannot tell from it; l as L does not). "
            f"Glyphs drawn from z ~ N(0, I) that the reader reads as asked: {r['legibility_before']:.1%} before, "
            f"{r['legibility_after']:.1%} after; an independent judge's figures are in BENCHMARKS.md "
            "(\"Write like me\").\n\n```\n" + r["command"] + "\n```")


def prior_text(shift: torch.Tensor) -> str:
    """The card's sentence on the class prior correction stored in the weights."""
    if shift.abs().sum() == 0:
        return "Class prior: as trained (no correction)."
    return ("Class prior: after training, `class_prior_shift` = log p_EMNIST(y) - log p_train(y) was added "
            "to the logits (`python -m train.prior`), so characters are read at EMNIST's natural frequencies "
            "rather than with MNIST's extra digits (digits "
            f"{shift[:10].mean():+.2f}, letters {shift[10:].mean():+.2f} nats on average).")


def machine_name() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}"


MUDDLE_CARD = """---
license: mit
library_name: pytorch
tags: [autoencoder, mnist, gradio]
datasets: [mnist]
---

# The muddle autoencoder (bundled weights)

A small convolutional autoencoder with a 10-d latent, trained on MNIST digits. The
"Confuse this digit" tab of the GlyphVAE app walks its latent space from a digit towards the
nearest other digit's cluster to make deliberately ambiguous digits.

Architecture: four conv blocks (3x3, 4x4/2, 4x4/2, 3x3, ReLU) then a dense layer to 10
numbers; a dense layer then four transposed-conv blocks back to 28x28 logits. Stored with
the weights, computed once from the training set after training: the 10x10 per-digit
centroids of the latents (`centroids`) and a 2-d PCA of the latents with 2,000 projected
training points for the latent map (`map_mean`, `map_axes`, `map_points`, `map_labels`).

## Use

```python
from glyph_vae.muddle import MuddleAutoencoder
model = MuddleAutoencoder.from_pretrained("{folder}")
z = model.encode(glyphs)            # (N, 1, 28, 28) normalised glyphs -> (N, 10)
images = model.decode(z)            # -> (N, 1, 28, 28) in [0, 1]
```

## Data and training

MNIST train (60,000), every image framed by `glyph_vae.normalize_glyph` (as GlyphVAE's
data), 3% held out for validation, light augmentation (stroke weight, rotation, shear,
width). Loss: Bernoulli reconstruction summed per image.

```json
{config}
```

{training}

## Evaluation ({today}, {machine})

| measure (MNIST test, 10,000) | value |
| --- | --- |
| reconstruction -log p(x\\|z) per image | {recon:.1f} nats |
| reconstructions read as the right digit by GlyphVAE's digit head | {readback:.2%} |

How truly ambiguous its muddles are is measured in `BENCHMARKS.md` (`python -m bench.muddle`).

## Limits

Digits only, upright, one per image. The muddles are meant to be ambiguous: not for any use
that needs a digit to be read reliably.
"""


@torch.no_grad()
def evaluate_muddle(folder: str, data_dir: Path, run: Path | None, write: bool) -> dict:
    from glyph_vae.muddle import MuddleAutoencoder

    model = MuddleAutoencoder.from_pretrained(folder)
    reader = GlyphVAE.from_pretrained()
    test = load_npz(data_dir / "mnist.npz", "test")
    x = torch.from_numpy(test.images).float().div(255).unsqueeze(1)
    y = torch.from_numpy(test.labels)
    recon_nats, readback = 0.0, 0
    for i in range(0, len(y), 2000):
        xb, yb = x[i:i + 2000], y[i:i + 2000]
        logits = model(xb)  # one forward pass serves both measures
        recon_nats += F.binary_cross_entropy_with_logits(logits, xb, reduction="sum").item()
        readback += (reader.encode(torch.sigmoid(logits))[0][:, :10].argmax(1) == yb).sum().item()
    metrics = {"recon_nats_per_image": recon_nats / len(y), "readback_accuracy": readback / len(y)}
    for key, value in metrics.items():
        print(f"{key:32s} {value:.4f}")
    if write:
        training = training_text(run)
        card = MUDDLE_CARD.format(folder=folder, config=(Path(folder) / "config.json").read_text().strip(),
                                  training=training, today=date.today().isoformat(), machine=machine_name(),
                                  recon=metrics["recon_nats_per_image"], readback=metrics["readback_accuracy"])
        (Path(folder) / "README.md").write_text(card)
        (Path(folder) / "eval.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


DIGITS_CARD = """---
license: mit
library_name: pytorch
tags: [mnist, digit-classification]
datasets: [mnist]
---

# Digit classifier (bundled weights)

A small CNN (two 5x5 conv blocks with max-pooling, a 256-unit dense layer, dropout) that
reads digits only. The "Confuse this digit" tab scores every frame of a latent path with it
and with GlyphVAE's digit head together, so a muddle is ambiguous to two different models.
Trained with `python -m train --model digits` on MNIST train, framed by
`glyph_vae.normalize_glyph`.

```json
{config}
```

{training}

## Evaluation ({today}, {machine})

MNIST test accuracy: **{accuracy:.2%}** (10,000 digits).

Not the benchmark's judge: `bench/digit_classifier.py` trains a separate CNN of another
design for that.
"""


@torch.no_grad()
def evaluate_digits(folder: str, data_dir: Path, run: Path | None, write: bool) -> dict:
    from glyph_vae.digits import DigitClassifier

    model = DigitClassifier.from_pretrained(folder)
    test = load_npz(data_dir / "mnist.npz", "test")
    pred = model(torch.from_numpy(test.images).float().div(255).unsqueeze(1)).argmax(1).numpy()
    metrics = {"mnist_test_accuracy": float((pred == test.labels).mean())}
    print(f"mnist_test_accuracy              {metrics['mnist_test_accuracy']:.4f}")
    if write:
        training = training_text(run)
        (Path(folder) / "README.md").write_text(DIGITS_CARD.format(
            config=(Path(folder) / "config.json").read_text().strip(), training=training,
            today=date.today().isoformat(), machine=machine_name(), accuracy=metrics["mnist_test_accuracy"]))
    return metrics


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="model folder or Hub repo id")
    p.add_argument("--kind", choices=["glyph_vae", "muddle", "digits"], default="glyph_vae")
    p.add_argument("--data-dir", default="../shared/data", type=Path)
    p.add_argument("--run", type=Path, help="the training run folder (for the card's training section)")
    p.add_argument("--write-card", action="store_true")
    args = p.parse_args(argv)
    if args.kind == "muddle":
        return evaluate_muddle(args.model, args.data_dir, args.run, args.write_card)
    if args.kind == "digits":
        return evaluate_digits(args.model, args.data_dir, args.run, args.write_card)
    model = GlyphVAE.from_pretrained(args.model)
    metrics = evaluate(model, args.data_dir)
    for key, value in metrics.items():
        print(f"{key:32s} {value:.4f}" if isinstance(value, float) else f"{key:32s} {value}")
    if args.write_card:
        print(f"wrote {write_card(Path(args.model), metrics, args.run)}", file=sys.stderr)
    return metrics


if __name__ == "__main__":
    main()
