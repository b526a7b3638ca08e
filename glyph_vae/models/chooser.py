"""The chooser ensemble: three small digit classifiers of their own that help the app choose a muddle.

An ensemble's 50/50 transfers to other readers far better than one model's, so the muddle
search scores frames with GlyphVAE's digit head, the digit CNN and these three together.
They are unlike each other and unlike the benchmark's panel (bench/panel.py), which the app
never uses: an all-convolutional net (Springenberg et al. 2015, "Striving for simplicity"),
a depthwise-separable CNN (MobileNet-style) and a GRU that reads the image row by row.
Each has its own initialisation and its own loss term (their gradients are independent),
and its own temperature, fitted on the run's held-out validation split after each epoch
(`calibrate`), so that their probabilities can be averaged.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .hub import HubModel
from .outputs import EnsembleOutput

MEMBERS = ("all_conv", "separable", "row_gru")


@dataclass
class ChooserConfig:
    width: int = 16  # the convolutional members' first width; the GRU's hidden size is 4x this
    num_digits: int = 10
    image_size: int = 28


def _all_conv(w: int, n: int) -> nn.Module:
    """No pooling and no dense layer: strided convolutions, then 1x1 class maps averaged
    (batch norm after each convolution, without which it learnt several times slower)."""
    def conv(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*conv(1, w, 1), *conv(w, w, 2), *conv(w, 2 * w, 1), *conv(2 * w, 2 * w, 2),  # 7x7
                         *conv(2 * w, 2 * w, 1), nn.Conv2d(2 * w, n, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def _separable(w: int, n: int) -> nn.Module:
    def block(cin, cout, stride):
        return [nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(nn.Conv2d(1, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                         *block(w, 2 * w, 2), *block(2 * w, 4 * w, 2), *block(4 * w, 4 * w, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, n))


class _RowGRU(nn.Module):
    """Reads the 28 rows top to bottom as a sequence; the last state reads the digit."""

    def __init__(self, hidden: int, n: int):
        super().__init__()
        self.gru = nn.GRU(28, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n)

    def forward(self, x):
        _, h = self.gru(x[:, 0].contiguous())
        return self.head(h[-1])


class ChooserEnsemble(HubModel, nn.Module):
    config_class = ChooserConfig
    digits_only = True
    display_name = "The chooser ensemble"
    model_type = "chooser"
    bundled_folder = "chooser"
    card_template = "chooser.md"
    card_data = {"license": "mit", "library_name": "pytorch", "datasets": ["mnist"], "metrics": ["accuracy"],
                 "tags": ["mnist", "digit-classification", "ensemble"], "pipeline_tag": "image-classification"}

    def __init__(self, config: ChooserConfig | None = None):
        super().__init__()
        self.config = config = config or ChooserConfig()
        w, n = config.width, config.num_digits
        self.members = nn.ModuleDict({"all_conv": _all_conv(w, n), "separable": _separable(w, n),
                                      "row_gru": _RowGRU(4 * w, n)})
        # One temperature per member, fitted on held-out data (`calibrate`) and saved with the weights.
        self.register_buffer("temperatures", torch.ones(len(MEMBERS)))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> EnsembleOutput:
        """Glyphs (B, 1, 28, 28) -> every member's raw logits (B, members, 10); y is unused."""
        return EnsembleOutput(torch.stack([self.members[name](x) for name in MEMBERS], dim=1))

    def loss(self, out: EnsembleOutput, x: torch.Tensor, y: torch.Tensor, **_) -> dict[str, torch.Tensor]:
        """The members' cross-entropies summed: each member's parameters get its own term's gradient only."""
        terms = {f"ce_{name}": F.cross_entropy(out.member_logits[:, i], y) for i, name in enumerate(MEMBERS)}
        return {"loss": sum(terms.values()), **terms}

    def on_epoch_end(self, train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor]) -> None:
        """The members' temperatures, on the held-out validation split."""
        device = self.temperatures.device
        images, labels = val
        self.calibrate(images.float().div(255).unsqueeze(1).to(device), labels.to(device))

    @torch.no_grad()
    def calibrate(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Fit each member's temperature on a held-out split (images (N, 1, 28, 28) in [0, 1]):
        the T minimising the negative log-likelihood of softmax(logits / T)."""
        was_training = self.training
        self.eval()
        logits = torch.cat([self(images[i:i + batch_size]).member_logits for i in range(0, len(images), batch_size)])
        for i in range(len(MEMBERS)):
            self.temperatures[i] = fit_temperature(logits[:, i], labels)
        self.train(was_training)
        return self.temperatures

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) -> calibrated probabilities (B, members, 10)."""
        return (self(x).member_logits / self.temperatures.view(1, -1, 1)).softmax(-1)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature T > 0 minimising the cross-entropy of softmax(logits / T) (as log T, by LBFGS)."""
    with torch.enable_grad():
        log_t = torch.zeros((), requires_grad=True)
        opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")
        logits = logits.detach().float()

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(logits / log_t.exp(), labels)
            loss.backward()
            return loss

        opt.step(closure)
    return float(log_t.detach().exp())
