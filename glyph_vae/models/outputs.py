"""What the models' forward passes return: typed outputs, as diffusers' `modeling_outputs`.

Every output says what the trainer reads from it, the same way for every model:
`class_logits` (the reading, for the training log's accuracy; None for a model that reads no
classes) and `posterior_means` (for the log's count of active latent dimensions; None for a
model without a posterior). The fields are also readable by name, `out["mu"]`, as the
string-keyed dicts these replace were.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch


@dataclass
class ModelOutput:
    def __getitem__(self, name: str) -> torch.Tensor | None:
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__} is read by a field's name, not {type(name).__name__}")
        if name not in {f.name for f in dataclasses.fields(self)}:
            raise KeyError(name)
        return getattr(self, name)


@dataclass
class GlyphVAEOutput(ModelOutput):
    """GlyphVAE's pass over glyphs x of classes y."""

    class_logits: torch.Tensor  # (B, 62) the encoder's reading
    mu: torch.Tensor  # (B, latent) the posterior q(z|x[, y]): mean...
    logvar: torch.Tensor  # ...and log-variance
    recon_logits: torch.Tensor  # (B, 1, 28, 28) the decoder's Bernoulli logits for class y and z

    @property
    def posterior_means(self) -> torch.Tensor:
        return self.mu


@dataclass
class AutoencoderOutput(ModelOutput):
    """The muddle autoencoder's pass: reconstructions, and with ACAI's mixing weights the
    decoded mixtures of each glyph's code with the previous glyph's."""

    recon_logits: torch.Tensor  # (B, 1, 28, 28)
    mixed_logits: torch.Tensor | None = None  # (B, 1, 28, 28), with `mix` only

    @property
    def class_logits(self) -> None:
        return None  # it reads no classes

    @property
    def posterior_means(self) -> None:
        return None  # a plain autoencoder: no posterior


@dataclass
class ClassifierOutput(ModelOutput):
    """A digit classifier's pass."""

    logits: torch.Tensor  # (B, 10)

    @property
    def class_logits(self) -> torch.Tensor:
        return self.logits

    @property
    def posterior_means(self) -> None:
        return None


@dataclass
class EnsembleOutput(ModelOutput):
    """The chooser ensemble's pass: every member's raw logits."""

    member_logits: torch.Tensor  # (B, members, 10)

    @property
    def class_logits(self) -> torch.Tensor:
        return self.member_logits.log_softmax(-1).mean(1)  # the ensemble's reading

    @property
    def posterior_means(self) -> None:
        return None
