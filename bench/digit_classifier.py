"""An independent digit classifier for the benchmarks: not GlyphVAE's head.

A plain CNN trained on normalised MNIST train digits only, so it judges generated
digits with a model that shares nothing with the generators.

    python -m bench.digit_classifier          # trains it if bench/digit_cnn/ has no weights
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from glyph_vae.pipelines.confuse import probability_scorer

from .classifier_fit import fit_classifier

WEIGHTS = Path(__file__).resolve().parent / "digit_cnn" / "model.safetensors"


class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 49, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.net(x)


def train(data_dir: Path, epochs: int = 4, seed: int = 0) -> DigitCNN:
    from train.data import load_npz

    torch.manual_seed(seed)
    data = load_npz(data_dir / "mnist.npz", "train")
    x = torch.from_numpy(data.images).float().div(255).unsqueeze(1)
    y = torch.from_numpy(data.labels)
    model = DigitCNN()
    fit_classifier(model, lambda _: (x, y), examples_per_epoch=len(y), epochs=epochs, seed=seed,
                   name="digit classifier")
    WEIGHTS.parent.mkdir(exist_ok=True)
    save_file(model.state_dict(), str(WEIGHTS))
    return model.eval()


def load_judge(model: nn.Module, weights: Path, train_fn, data_dir: Path | None, command: str) -> nn.Module:
    """A benchmark's committed judge (strict keys); trained first if its weights are
    missing and data_dir is given."""
    if not weights.is_file():
        if data_dir is None:
            raise FileNotFoundError(f"{weights} is missing: run {command}")
        return train_fn(data_dir)
    model.load_state_dict(load_file(str(weights)), strict=True)
    return model.eval()


def load(data_dir: Path | None = None) -> DigitCNN:
    return load_judge(DigitCNN(), WEIGHTS, train, data_dir, "python -m bench.digit_classifier")


def scorer(model: DigitCNN):
    """(N, 28, 28) images in [0, 1] -> (N, 10) probabilities, after the shared normalisation."""
    return probability_scorer(lambda x: model(x).softmax(1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--retrain", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(__import__("os").cpu_count() or 1)
    model = train(args.data_dir) if args.retrain or not WEIGHTS.is_file() else load()
    from train.data import load_npz

    test = load_npz(args.data_dir / "mnist.npz", "test")
    with torch.no_grad():
        pred = model(torch.from_numpy(test.images).float().div(255).unsqueeze(1)).argmax(1).numpy()
    print(f"independent digit classifier, MNIST test accuracy: {(pred == test.labels).mean():.4f}")


if __name__ == "__main__":
    main()
