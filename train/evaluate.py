"""Evaluate a model on the held-out test splits, and write its eval.json and model card.

    python -m train.evaluate assets/glyph_vae --data-dir ../shared/data --write-card
    python -m train.evaluate runs/muddle/model --run runs/muddle --write-card

The kind of model comes from its config.json's model_type. GlyphVAE: MNIST and EMNIST test
accuracy (62 classes and case-folded), mouse-drawn characters, KL per image in nats and the
number of active latent dimensions; the muddle autoencoder: reconstruction and how often
GlyphVAE reads its reconstructions right; the digit classifier: MNIST test accuracy. With
--write-card the figures go to the folder's eval.json and its README.md (train.cards).
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

from glyph_vae.models.hub import ASSETS_DIR, EVAL_RECORD, HubModel, atomic_write_bytes
from glyph_vae.models.registry import model_class_for
from glyph_vae.models.model import CHARSET, GlyphVAE, glyph_vae_loss
from glyph_vae.glyphs.preprocess import normalize_glyph
from glyph_vae.pipelines.reading import case_fold, glyph_tensor
from glyph_vae.testing.drawings import drawing_set

from .cards import write_card
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
        preds.append(out.class_logits.argmax(1).numpy())
        digit_preds.append(out.class_logits[:, :10].argmax(1).numpy())
        mus.append(out.mu.numpy())
    pred = np.concatenate(preds)
    n = len(labels)
    return {
        "accuracy": float((pred == labels).mean()),
        "accuracy_digits_only": float((np.concatenate(digit_preds) == labels).mean()),
        "accuracy_casefold": float((case_fold(pred) == case_fold(labels)).mean()),
        "recon_nats": recon / n, "kl_nats": kl / n, "mu": np.concatenate(mus), "pred": pred,
    }


@torch.no_grad()
def read_as_sent(model: GlyphVAE, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Class logits (N, 62) of raw test images as /classify reads them: each one sent as a
    PNG file, turned into a glyph by normalize_glyph, read by the model with its prior shift.
    (The arrays `score` reads were normalised once when the data was loaded and stored as
    uint8; a PNG goes through the app's own path, paper detection included.)"""
    model.eval()
    logits = []
    for i in range(0, len(images), batch_size):
        glyphs = np.stack([normalize_glyph(png_bytes(image)) for image in images[i:i + batch_size]])
        logits.append(model.read_logits(glyph_tensor(glyphs)).numpy())
    return np.concatenate(logits)


def png_bytes(image: np.ndarray) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def mouse_drawn_accuracy(model: GlyphVAE, per_char: int = 20) -> dict:
    """Case-folded accuracy on the mouse-drawn test set (glyph_vae.testing.drawings.drawing_set, its
    test seed), for 0-9 with A-Z and for a-z; the misreads of each."""
    drawings = drawing_set(per_char=per_char)
    glyphs = np.stack([normalize_glyph(image) for _, image in drawings])
    labels = np.array([CHARSET.index(c) for c, _ in drawings])
    with torch.no_grad():
        model.eval()
        pred = model.read_logits(glyph_tensor(glyphs)).argmax(1).numpy()
    right = case_fold(pred) == case_fold(labels)
    lower = labels >= 36
    wrong = [f"{c}->{CHARSET[p]}" for (c, _), p, ok in zip(drawings, pred, right) if not ok]
    return {"n": len(labels), "n_upper": int((~lower).sum()), "n_lower": int(lower.sum()),
            "accuracy_casefold": float(right[~lower].mean()), "accuracy_casefold_lower": float(right[lower].mean()),
            "errors": [w for w, low in zip(wrong, [CHARSET.index(w[0]) >= 36 for w in wrong]) if not low],
            "errors_lower": [w for w in wrong if CHARSET.index(w[0]) >= 36]}


def raw_test_split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The test split as stored (uint8 white on black, not yet normalised) and its labels."""
    with np.load(path) as archive:
        return archive["x_test"], archive["y_test"].astype(np.int64)


def evaluate_glyph_vae(model: GlyphVAE, data_dir: Path) -> dict:
    mnist = load_npz(data_dir / "mnist.npz", "test")
    emnist = load_npz(data_dir / "emnist_byclass_test.npz", "test")
    m, e = score(model, mnist.images, mnist.labels), score(model, emnist.images, emnist.labels)
    mu = np.concatenate([m["mu"], e["mu"]])
    n_m, n_e = len(mnist), len(emnist)
    drawn = mouse_drawn_accuracy(model)
    sent = {}
    for name, file in (("mnist", "mnist.npz"), ("emnist", "emnist_byclass_test.npz")):
        images, labels = raw_test_split(data_dir / file)
        pred = read_as_sent(model, images).argmax(1)
        sent[name] = {"62way": float((pred == labels).mean()),
                      "casefold": float((case_fold(pred) == case_fold(labels)).mean())}
    return {
        "mnist_test_accuracy": m["accuracy_digits_only"],
        "mnist_test_accuracy_62way": m["accuracy"],
        "emnist_test_accuracy": e["accuracy"],
        "emnist_test_accuracy_casefold": e["accuracy_casefold"],
        "mnist_classify_62way": sent["mnist"]["62way"],
        "emnist_classify_62way": sent["emnist"]["62way"],
        "emnist_classify_casefold": sent["emnist"]["casefold"],
        "mouse_drawn_accuracy_casefold": drawn["accuracy_casefold"],
        "mouse_drawn_accuracy_casefold_lower": drawn["accuracy_casefold_lower"],
        "mouse_drawn_n": drawn["n"],
        "mouse_drawn_errors": drawn["errors"],
        "mouse_drawn_errors_lower": drawn["errors_lower"],
        "kl_nats_per_image": (m["kl_nats"] * n_m + e["kl_nats"] * n_e) / (n_m + n_e),
        "recon_nats_per_image": (m["recon_nats"] * n_m + e["recon_nats"] * n_e) / (n_m + n_e),
        "active_dims": int((mu.var(0) > ACTIVE_THRESHOLD).sum()),
        "latent_dim": model.config.latent_dim,
        "test_images": n_m + n_e,
    }


@torch.no_grad()
def evaluate_muddle(model, data_dir: Path) -> dict:
    reader = GlyphVAE.from_pretrained()
    test = load_npz(data_dir / "mnist.npz", "test")
    x = torch.from_numpy(test.images).float().div(255).unsqueeze(1)
    y = torch.from_numpy(test.labels)
    recon_nats, readback = 0.0, 0
    for i in range(0, len(y), 2000):
        xb, yb = x[i:i + 2000], y[i:i + 2000]
        logits = model(xb).recon_logits  # one forward pass serves both measures
        recon_nats += F.binary_cross_entropy_with_logits(logits, xb, reduction="sum").item()
        readback += (reader.encode(torch.sigmoid(logits))[0][:, :10].argmax(1) == yb).sum().item()
    return {"recon_nats_per_image": recon_nats / len(y), "readback_accuracy": readback / len(y)}


@torch.no_grad()
def evaluate_digits(model, data_dir: Path) -> dict:
    test = load_npz(data_dir / "mnist.npz", "test")
    pred = model(torch.from_numpy(test.images).float().div(255).unsqueeze(1)).logits.argmax(1).numpy()
    return {"mnist_test_accuracy": float((pred == test.labels).mean())}


@torch.no_grad()
def evaluate_chooser(model, data_dir: Path) -> dict:
    """MNIST test accuracy of the ensemble's mean and of each member."""
    from glyph_vae.models.chooser import MEMBERS

    test = load_npz(data_dir / "mnist.npz", "test")
    probs = model.probabilities(torch.from_numpy(test.images).float().div(255).unsqueeze(1)).numpy()
    figures = {"mnist_test_accuracy": float((probs.mean(1).argmax(1) == test.labels).mean())}
    for i, name in enumerate(MEMBERS):
        figures[f"mnist_test_accuracy_{name}"] = float((probs[:, i].argmax(1) == test.labels).mean())
    return figures


EVALUATORS = {"glyph_vae": evaluate_glyph_vae, "muddle": evaluate_muddle, "digits": evaluate_digits,
              "chooser": evaluate_chooser}
TEST_FILES = {"glyph_vae": ("mnist.npz", "emnist_byclass_test.npz"), "muddle": ("mnist.npz",),
              "digits": ("mnist.npz",), "chooser": ("mnist.npz",)}


def evaluate(model: HubModel, data_dir: Path) -> dict:
    """The test figures of any model kind, with the date and the machine they were measured on."""
    model.eval()
    figures = EVALUATORS[model.model_type](model, Path(data_dir))
    return {**figures, "date": date.today().isoformat(), "machine": machine_name()}


def save_evaluation(model: HubModel, folder: Path, figures: dict) -> None:
    """eval.json in the folder, and in the model's own files (so a later push takes it along)."""
    data = (json.dumps(figures, indent=2) + "\n").encode()
    atomic_write_bytes(Path(folder) / EVAL_RECORD, data)
    model.files[EVAL_RECORD] = data


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


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("model", type=Path, help="model folder (its config.json says which kind)")
    p.add_argument("--data-dir", default="../shared/data", type=Path)
    p.add_argument("--run", type=Path, help="the training run folder, for the card's account of the run")
    p.add_argument("--write-card", action="store_true", help="write eval.json and README.md into the folder")
    args = p.parse_args(argv)
    model = model_class_for(args.model).from_pretrained(args.model)
    figures = evaluate(model, args.data_dir)
    for key, value in figures.items():
        print(f"{key:32s} {value:.4f}" if isinstance(value, float) else f"{key:32s} {value}")
    if args.write_card:
        save_evaluation(model, args.model, figures)
        bundled = args.model.resolve().is_relative_to(ASSETS_DIR.resolve())
        path = write_card(model, args.model, run=args.run, model_id=None if bundled else str(args.model))
        print(f"wrote {path}", file=sys.stderr)
    return figures


if __name__ == "__main__":
    main()
