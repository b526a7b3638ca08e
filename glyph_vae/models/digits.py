"""A dedicated digit classifier for judging muddles in the app.

GlyphVAE's head reads 62 characters; restricted to digits its boundaries between
two digits are shaped by letters it also knows. The muddle search scores frames
with both it and this small CNN trained on MNIST digits alone, and keeps frames
that both find ambiguous, so a muddle does not rest on one model's quirks.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .hub import HubModel
from .outputs import ClassifierOutput


@dataclass
class DigitClassifierConfig:
    channels: int = 32
    hidden: int = 256
    num_digits: int = 10
    image_size: int = 28


class DigitClassifier(HubModel, nn.Module):
    config_class = DigitClassifierConfig
    digits_only = True
    display_name = "Digit classifier"
    model_type = "digits"
    bundled_folder = "digit_classifier"
    card_template = "digits.md"
    card_data = {"license": "mit", "library_name": "pytorch", "datasets": ["mnist"], "metrics": ["accuracy"],
                 "tags": ["mnist", "digit-classification"], "pipeline_tag": "image-classification"}

    def __init__(self, config: DigitClassifierConfig | None = None):
        super().__init__()
        self.config = config = config or DigitClassifierConfig()
        c = config.channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(c, 2 * c, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
            nn.Flatten(), nn.Dropout(0.25),
            nn.Linear(2 * c * 49, config.hidden), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(config.hidden, config.num_digits),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> ClassifierOutput:
        """Glyphs (B, 1, 28, 28) -> digit logits (B, 10); y is taken (and unused) so that
        training calls every model the same way."""
        return ClassifierOutput(self.net(x))

    def loss(self, out: ClassifierOutput, x: torch.Tensor, y: torch.Tensor, **_) -> dict[str, torch.Tensor]:
        """Cross-entropy on the known digit."""
        ce = F.cross_entropy(out.logits, y)
        return {"loss": ce, "ce": ce}

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return self(x).logits.softmax(dim=1)
