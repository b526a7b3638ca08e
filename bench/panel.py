"""A panel of readers for the benchmarks: five digit classifiers of different architectures.

Ambiguity a person sees is aleatoric: every reasonable reader finds the image to be a d-or-e
digit and their opinions split. bench/muddle.py measures it with this panel (the idea of
an ensemble as the judge follows Mukhoti et al., "Deep Deterministic Uncertainty", and
Weiss et al., "Generating and detecting true ambiguity"). None of the members is used by
the app: they judge, they never choose.

    python -m bench.panel              # trains any member whose weights are missing, then reports
    python -m bench.panel --retrain    # trains all five again (seeded: the same weights)

Every member is trained on MNIST train less a held-out 10% (a seeded split), with its own
seed, and then temperature-calibrated on that held-out split (one scalar T that minimises
the held-out negative log-likelihood; Guo et al., "On calibration of modern neural
networks", 2017). The report (the "panel" section of BENCHMARKS.md) gives each member's
MNIST test accuracy and its expected calibration error on the held-out split before and
after calibration, and on MNIST test.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from glyph_vae.models.chooser import fit_temperature  # the app's chooser is calibrated the same way
from glyph_vae.pipelines.ruled import expected_calibration_error as ruled_ece
from glyph_vae.pipelines.confuse import frame_glyphs

from .classifier_fit import fit_classifier
from .report import machine, write_section

FOLDER = Path(__file__).resolve().parent / "panel"
HELD_OUT = 0.1  # share of MNIST train kept back for temperature calibration
SPLIT_SEED = 0
ECE_BINS = 15


def _lenet5() -> nn.Module:
    """LeNet-5 (LeCun et al. 1998), with max pooling and ReLU."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 25, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def _mlp() -> nn.Module:
    """A multi-layer perceptron: no convolution at all, so it reads the pixels differently."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + self.skip(x))


def _resnet() -> nn.Module:
    """A small ResNet: a stem and three residual blocks (16, 32, 64 channels), global pooling."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         _Block(16, 16, 1), _Block(16, 32, 2), _Block(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def _vgg_bn() -> nn.Module:
    """VGG-style: pairs of 3x3 convolutions with batch norm, max pooling, a dense head."""
    def conv(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*conv(1, 16), *conv(16, 16), nn.MaxPool2d(2), *conv(16, 32), *conv(32, 32), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 49, 64), nn.ReLU(), nn.Linear(64, 10))


def _wide_cnn() -> nn.Module:
    """A wide, shallow CNN with heavy dropout."""
    return nn.Sequential(nn.Conv2d(1, 48, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(48, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.5), nn.Flatten(), nn.Linear(64 * 49, 10))


# name -> (builder, seed, epochs, augmented): different architectures, seeds and recipes.
MEMBERS = {
    "lenet5": (_lenet5, 11, 4, False),
    "mlp": (_mlp, 12, 6, False),
    "resnet": (_resnet, 13, 3, True),
    "vgg_bn": (_vgg_bn, 14, 3, False),
    "wide_cnn": (_wide_cnn, 15, 3, True),
}


class Member(nn.Module):
    """One reader: a network and its temperature (logits / T before the softmax)."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.net = MEMBERS[name][0]()
        self.register_buffer("temperature", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor, calibrated: bool = True) -> torch.Tensor:
        logits = self.eval()(x)
        return (logits / self.temperature if calibrated else logits).softmax(1)


class Panel(nn.Module):
    """The members together: (N, 1, 28, 28) framed glyphs -> (N, members, 10)."""

    def __init__(self, names=tuple(MEMBERS)):
        super().__init__()
        self.members = nn.ModuleDict({name: Member(name) for name in names})

    @property
    def names(self) -> list[str]:
        return list(self.members)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m.probabilities(x) for m in self.members.values()], dim=1)

    def scorer(self):
        """(N, 28, 28) glyphs in [0, 1] -> (N, members, 10), after the shared normalisation
        (the decoded frames are framed as the members were trained)."""
        return lambda glyphs: self.probabilities(frame_glyphs(glyphs)).numpy()


def train_member(name: str, images: torch.Tensor, labels: torch.Tensor, *, seed: int | None = None,
                 epochs: int | None = None, batch_size: int = 128, log=print) -> Member:
    """Train one member from scratch on (N, 1, 28, 28) images in [0, 1]; seeded, so the same
    inputs give the same weights (on the same machine and thread count)."""
    _, default_seed, default_epochs, augmented = MEMBERS[name]
    seed = default_seed if seed is None else seed
    epochs = default_epochs if epochs is None else epochs
    torch.manual_seed(seed)
    member = Member(name)
    return fit_classifier(member, lambda _: (images, labels), examples_per_epoch=len(labels), epochs=epochs,
                          seed=seed, batch_size=batch_size, max_stretch=0.1 if augmented else None,
                          name=f"panel {name}", log=log)


@torch.no_grad()
def logits_of(member: Member, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    member.eval()
    return torch.cat([member(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE over `bins` equal-width bins, as the app measures its ruled reader."""
    return ruled_ece(probs, labels, bins)


def calibrate(member: Member, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Set the member's temperature from a held-out split; its ECE there before and after."""
    logits = logits_of(member, images)
    before = expected_calibration_error(logits.softmax(1).numpy(), labels.numpy())
    member.temperature.fill_(fit_temperature(logits, labels))
    after = expected_calibration_error((logits / member.temperature).softmax(1).numpy(), labels.numpy())
    return {"temperature": float(member.temperature), "ece_before": before, "ece_after": after}


def held_out_split(n: int, fraction: float = HELD_OUT, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices) of a seeded permutation."""
    order = np.random.default_rng(seed).permutation(n)
    n_held = int(round(fraction * n))
    return order[n_held:], order[:n_held]


def weights_path(name: str, folder: Path = FOLDER) -> Path:
    return folder / f"{name}.safetensors"


def save(member: Member, folder: Path = FOLDER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = weights_path(member.name, folder)
    save_file({k: v.contiguous() for k, v in member.state_dict().items()}, str(path))
    return path


def load(folder: Path = FOLDER, names=tuple(MEMBERS)) -> Panel:
    """The committed panel (strict keys: a file that does not match its architecture fails)."""
    panel = Panel(names)
    for name, member in panel.members.items():
        path = weights_path(name, folder)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run python -m bench.panel")
        member.load_state_dict(load_file(str(path)), strict=True)
    return panel.eval()


def _tensors(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(images).float().div(255).unsqueeze(1), torch.from_numpy(np.asarray(labels)).long()


def main(argv=None) -> dict:
    from train.data import load_npz

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--retrain", action="store_true", help="train every member again")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    train_set = load_npz(args.data_dir / "mnist.npz", "train")
    test_set = load_npz(args.data_dir / "mnist.npz", "test")
    fit_idx, held_idx = held_out_split(len(train_set))
    x_fit, y_fit = _tensors(train_set.images[fit_idx], train_set.labels[fit_idx])
    x_held, y_held = _tensors(train_set.images[held_idx], train_set.labels[held_idx])
    x_test, y_test = _tensors(test_set.images, test_set.labels)
    rows, seconds = {}, {}
    for name in MEMBERS:
        if args.retrain or not weights_path(name).is_file():
            start = time.time()
            member = train_member(name, x_fit, y_fit)
            seconds[name] = time.time() - start
            calibrate(member, x_held, y_held)
            save(member)
    panel = load()
    for name, member in panel.members.items():
        held_logits, test_logits = logits_of(member, x_held), logits_of(member, x_test)
        t = member.temperature
        rows[name] = {
            "params": sum(v.numel() for v in member.net.parameters()),
            "seed": MEMBERS[name][1], "epochs": MEMBERS[name][2], "augmented": MEMBERS[name][3],
            "temperature": float(t),
            "test_accuracy": float((test_logits.argmax(1) == y_test).float().mean()),
            "held_ece_before": expected_calibration_error(held_logits.softmax(1).numpy(), y_held.numpy()),
            "held_ece_after": expected_calibration_error((held_logits / t).softmax(1).numpy(), y_held.numpy()),
            "test_ece_before": expected_calibration_error(test_logits.softmax(1).numpy(), y_test.numpy()),
            "test_ece_after": expected_calibration_error((test_logits / t).softmax(1).numpy(), y_test.numpy()),
        }
        print(name, rows[name])
    size = sum(weights_path(n).stat().st_size for n in MEMBERS)
    lines = "\n".join(
        f"| {name} | {r['params']:,} | {r['seed']} | {r['epochs']}{' (augmented)' if r['augmented'] else ''} | "
        f"{r['test_accuracy']:.2%} | {r['temperature']:.3f} | {r['held_ece_before']:.4f} -> {r['held_ece_after']:.4f} | "
        f"{r['test_ece_before']:.4f} -> {r['test_ece_after']:.4f} |" for name, r in rows.items())
    trained = (" Trained in this run: " + ", ".join(f"{n} {s:.0f} s" for n, s in seconds.items()) + f" ({args.threads} thread)."
               if seconds else "")
    body = f"""## The panel of readers (`python -m bench.panel`)

Machine: {machine()}. Five digit classifiers of different architectures (`bench/panel.py`; weights in
`bench/panel/`, {size / 1e6:.1f} MB in all), each with its own seed, trained on MNIST train less a seeded
held-out {HELD_OUT:.0%} ({len(held_idx):,} images), then temperature-calibrated on that held-out split (one T
minimising its negative log-likelihood). ECE: expected calibration error over {ECE_BINS} equal-width confidence
bins, before -> after calibration. The panel judges muddles in `bench/muddle.py`; the app never uses it.{trained}

| member | parameters | seed | epochs | MNIST test accuracy | T | ECE, held-out split | ECE, MNIST test |
| --- | --- | --- | --- | --- | --- | --- | --- |
{lines}
"""
    write_section("panel", body)
    print(body)
    return rows


if __name__ == "__main__":
    main()
