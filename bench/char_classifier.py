"""An independent 62-class character classifier for the "Write like me" benchmark.

It judges GlyphVAE's generated glyphs, so it shares nothing with GlyphVAE but the
normalisation: a plain VGG-style CNN (3x3 convolutions, batch norm, max pooling,
dropout), not GlyphVAE's two strided 4x4 convolutions, trained here on its own
from normalised EMNIST ByClass train + MNIST train. Its 128-d penultimate layer
is the feature space of the benchmark's Frechet distance.

    python -m bench.char_classifier              # trains it if bench/char_cnn/ has no weights, then evaluates
    python -m bench.char_classifier --retrain    # trains it again
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

from glyph_vae.models.model import CHARSET

from .classifier_fit import fit_classifier
from .digit_classifier import load_judge

WEIGHTS = Path(__file__).resolve().parent / "char_cnn" / "model.safetensors"
NUM_CLASSES = len(CHARSET)
FEATURES = 128

# MNIST train has 60,000 digits, EMNIST train 49,000 digits and 50,000 letters.
# All of MNIST would make digits three times as common as letters in training and
# tilt every round or upright glyph towards 0 and 1; a fresh random 20,000 of it
# each epoch keeps digits at about the share EMNIST itself has, plus some.
MNIST_PER_EPOCH = 20_000

# Glyphs that people cannot tell apart either; the benchmark counts a reading
# inside one of these groups as right ("confusables merged").
CONFUSABLE_GROUPS = ("0Oo", "1Il")


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class CharCNN(nn.Module):
    def __init__(self):
        super().__init__()
        # One 3x3 conv per scale, 28 -> 14 -> 7 -> 3: cheap enough to train in
        # minutes on two CPU cores, and already far better at reading than needed.
        self.body = nn.Sequential(
            *_block(1, 32), nn.MaxPool2d(2),
            *_block(32, 64), nn.MaxPool2d(2),
            *_block(64, 128), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 3 * 3, FEATURES), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, NUM_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _tensor(glyphs: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(glyphs, dtype=np.float32)).reshape(-1, 1, 28, 28)


@torch.no_grad()
def predict(model: CharCNN, glyphs: np.ndarray, batch: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Glyphs (N, 28, 28) in [0, 1] -> (predicted class indices (N,), penultimate features (N, 128))."""
    model.eval()
    classes, features = [], []
    for start in range(0, len(glyphs), batch):
        h = model.body(_tensor(glyphs[start:start + batch]))
        classes.append(model.head(h).argmax(1).numpy())
        features.append(h.numpy())
    if not classes:
        return np.zeros(0, np.int64), np.zeros((0, FEATURES), np.float32)
    return np.concatenate(classes), np.concatenate(features)


def casefold(classes: np.ndarray) -> np.ndarray:
    """Class indices -> case-folded indices: a-z (36-61) become A-Z (10-35)."""
    classes = np.asarray(classes)
    return np.where(classes >= 36, classes - 26, classes)


def _merge_table() -> np.ndarray:
    same = np.zeros((NUM_CLASSES, NUM_CLASSES), bool)
    folded = casefold(np.arange(NUM_CLASSES))
    same |= folded[:, None] == folded[None, :]
    for group in CONFUSABLE_GROUPS:
        idx = [CHARSET.index(c) for c in group]
        same[np.ix_(idx, idx)] = True
    return same


_SAME_MERGED = _merge_table()


def correct_casefolded(target: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Read right up to case (a read as A counts)."""
    return casefold(target) == casefold(predicted)


def correct_merged(target: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Read right up to case, or within one confusable group (O read as 0, l read as 1).

    A relation on the 62 characters, not a further folding: l and L are the same
    letter and l and 1 are confusable, but an L read as 1 is still wrong.
    """
    return _SAME_MERGED[np.asarray(target), np.asarray(predicted)]


def train(data_dir: Path, epochs: int = 3, seed: int = 0, batch: int = 128) -> CharCNN:
    from train.data import load_npz

    torch.manual_seed(seed)
    emnist = load_npz(data_dir / "emnist_byclass_test.npz", "train")
    mnist = load_npz(data_dir / "mnist.npz", "train")
    model = CharCNN()

    def epoch_data(gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        # All of EMNIST and a fresh sample of MNIST each epoch, so digits do not outweigh letters.
        pick = torch.randperm(len(mnist), generator=gen)[:MNIST_PER_EPOCH].numpy()
        images = np.concatenate([emnist.images, mnist.images[pick]])
        labels = np.concatenate([emnist.labels, mnist.labels[pick]])
        return torch.from_numpy(images).float().div(255).unsqueeze(1), torch.from_numpy(labels)

    start = time.time()
    # Augmented more widely than the digit judges: the glyphs it will judge are drawn bolder,
    # lighter, narrower and more slanted than the data on purpose.
    fit_classifier(model, epoch_data, examples_per_epoch=len(emnist) + min(MNIST_PER_EPOCH, len(mnist)),
                   epochs=epochs, seed=seed, batch_size=batch, max_stretch=0.2, name="char classifier",
                   log=lambda line: print(line, flush=True))
    WEIGHTS.parent.mkdir(exist_ok=True)
    # How it was trained travels with the weights, so the report can say so later.
    save_file(model.state_dict(), str(WEIGHTS),
              metadata={"epochs": str(epochs), "seed": str(seed), "threads": str(torch.get_num_threads()),
                        "train_seconds": f"{time.time() - start:.0f}"})
    return model.eval()


def load(data_dir: Path | None = None) -> CharCNN:
    """The committed classifier; trains it first if the weights are missing and data_dir is given."""
    return load_judge(CharCNN(), WEIGHTS, train, data_dir, "python -m bench.char_classifier")


def evaluate(model: CharCNN, data_dir: Path) -> dict:
    from train.data import load_npz

    emnist = load_npz(data_dir / "emnist_byclass_test.npz", "test")
    mnist = load_npz(data_dir / "mnist.npz", "test")
    e_pred, _ = predict(model, emnist.images.astype(np.float32) / 255)
    m_pred, _ = predict(model, mnist.images.astype(np.float32) / 255)
    # Class-balanced: the benchmark asks for every character equally often.
    per_class = np.array([correct_casefolded(emnist.labels[emnist.labels == c], e_pred[emnist.labels == c]).mean()
                          for c in range(NUM_CLASSES)])
    per_class_merged = np.array([correct_merged(emnist.labels[emnist.labels == c], e_pred[emnist.labels == c]).mean()
                                 for c in range(NUM_CLASSES)])
    wrong = e_pred != emnist.labels
    case_ok = correct_casefolded(emnist.labels, e_pred)
    merged_ok = correct_merged(emnist.labels, e_pred)
    other = Counter(f"{CHARSET[t]}->{CHARSET[p]}" for t, p in zip(emnist.labels[~merged_ok], e_pred[~merged_ok]))
    return {
        "emnist_errors": int(wrong.sum()), "emnist_case_errors": int((wrong & case_ok).sum()),
        "emnist_group_errors": int((~case_ok & merged_ok).sum()), "emnist_other_errors": int((~merged_ok).sum()),
        "emnist_other_top": [f"{pair} ({n})" for pair, n in other.most_common(8)],
        "emnist_merged_balanced": float(per_class_merged.mean()),
        "emnist_n": len(emnist), "mnist_n": len(mnist),
        "emnist_62": float((e_pred == emnist.labels).mean()),
        "emnist_casefold": float(correct_casefolded(emnist.labels, e_pred).mean()),
        "emnist_merged": float(correct_merged(emnist.labels, e_pred).mean()),
        "emnist_casefold_balanced": float(per_class.mean()),
        "mnist_62": float((m_pred == mnist.labels).mean()),
        "mnist_merged": float(correct_merged(mnist.labels, m_pred).mean()),
    }


def training_record() -> dict:
    """What the committed weights say about their training (epochs, seed, train_seconds)."""
    from safetensors import safe_open

    with safe_open(str(WEIGHTS), "pt") as f:
        return dict(f.metadata() or {})


def report(model: CharCNN, metrics: dict) -> str:
    from .report import machine

    params = sum(p.numel() for p in model.parameters())
    record = training_record()
    seconds = record.get("train_seconds")
    threads = record.get("threads")
    on = f" ({threads} CPU thread{'s' if threads != '1' else ''})" if threads else ""
    trained = f" Training took {float(seconds) / 60:.1f} min{on}." if seconds else ""
    return f"""## Character classifier (`python -m bench.char_classifier`)

Machine: {machine()}. The independent judge of "Write like me": a VGG-style CNN
(three 3x3 conv + batch-norm + max-pool stages, dropout, a 128-d feature layer; {params / 1e6:.2f} M parameters),
not GlyphVAE's encoder, trained on normalised EMNIST ByClass train + a fresh 20,000 of MNIST train per epoch,
{record.get('epochs', '?')} epochs, light augmentation (`train.augment`, p = 0.5).{trained} Weights: `bench/char_cnn/model.safetensors`.

| test split | 62 classes | case-folded | case-folded, {{0,O,o}} and {{1,I,l}} merged |
| --- | --- | --- | --- |
| EMNIST ByClass test ({metrics['emnist_n']:,} glyphs) | {metrics['emnist_62']:.2%} | {metrics['emnist_casefold']:.2%} | {metrics['emnist_merged']:.2%} |
| EMNIST ByClass test, class-balanced (mean over the 62 characters) | | {metrics['emnist_casefold_balanced']:.2%} | {metrics['emnist_merged_balanced']:.2%} |
| MNIST test ({metrics['mnist_n']:,} digits, read 62-way) | {metrics['mnist_62']:.2%} | | {metrics['mnist_merged']:.2%} |

Compare GlyphVAE's own head in "Reading" above. Of the judge's {metrics['emnist_errors']:,} errors on EMNIST test,
{metrics['emnist_case_errors']:,} are the case only (pairs ByClass itself labels inconsistently: c/C, o/O, s/S, ...) and
{metrics['emnist_group_errors']:,} fall within {{0, O, o}} or {{1, I, l}}; the other {metrics['emnist_other_errors']:,} are led by
{', '.join(metrics['emnist_other_top'])}.
"""


def main(argv=None):
    from .report import write_section

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--retrain", action="store_true")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2, help="CPU threads (1 when another job shares the cores)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.retrain or not WEIGHTS.is_file():
        model = train(args.data_dir, epochs=args.epochs)
    else:
        model = load()
    metrics = evaluate(model, args.data_dir)
    print(metrics)
    body = report(model, metrics)
    write_section("char_classifier", body)
    print(body)
    return metrics


if __name__ == "__main__":
    main()
