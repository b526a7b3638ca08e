"""GlyphVAE: a conditional, semi-supervised VAE over 62 handwritten characters.

The encoder reads a 28x28 glyph and gives class logits and a Gaussian posterior
q(z|x) over a style latent z. The decoder draws p(x|y, z) for a class y given
as a one-hot vector: the class it is asked for, never the encoder's guess. This
is the M2 model of Kingma et al., "Semi-Supervised Learning with Deep Generative
Models" (2014), trained here with every label known.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .hub import EVAL_RECORD, TRAINING_RECORD, HubModel, ModelLoadError
from .outputs import GlyphVAEOutput
from .ruled_reader import load_ruled_reader
from .style_axes import read_style_axes

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # EMNIST ByClass order


@dataclass
class GlyphVAEConfig:
    """The architecture; the defaults are the shipped model's (assets/glyph_vae/config.json),
    but for its reader (`reader_channels`, `reader_hidden`: see there). `published()` is the published hand-writing VAE's."""

    num_classes: int = 62
    latent_dim: int = 64
    channels: int = 64  # conv width of encoder and decoder (the published architecture's 32)
    hidden: int = 512  # width of the class head and of the class embedding (published: 128)
    image_size: int = 28
    # Additions to the published architecture (off or 0 = that architecture; a config saved
    # before one of them existed lacks its key, and loads with it off: ABSENT_MEANS):
    # on: the posterior over z also sees the class, q(z|x, y), as in Kingma et al.'s
    # M2. With q(z|x) alone, z has to say "this is a thin 1" and a style read from
    # a wide A decodes as a blob when asked for an l; with q(z|x, y), z only says
    # how this glyph differs from its class's usual shape, which transfers.
    encoder_sees_class: bool = True
    # > 0: class and z meet in an MLP of this width before the deconvolutions
    # instead of being summed, so what a style dimension does can depend on the class.
    decoder_hidden: int = 256
    # > 0: the class head reads from a trunk of its own (a VGG-style CNN whose first
    # block has this many channels) instead of the two convolutions it shares with the
    # posterior over z. The shared trunk is shaped as much by reconstruction as by
    # reading; a reader of its own reads 62-way as well as a dedicated classifier does,
    # and the posterior, the decoder and every style stay as they were.
    # 0 by default, where the shipped model has 32 (and a feature layer of 256): its reader is
    # added after training, by `train.tune_head --reader-channels 32 --reader-hidden 256` (the
    # recorded recipe, training.json), so that
    # `python -m train` as recorded starts without one.
    reader_channels: int = 0
    # > 0: the width of the reader's feature layer (between its trunk and the 62 logits);
    # 0 = `hidden`, as before this option existed.
    reader_hidden: int = 0

    # What a saved config without one of the additions' keys meant: it was saved before the
    # addition existed, by the published architecture (hub reads configs with these filled in).
    ABSENT_MEANS: ClassVar[dict] = {"encoder_sees_class": False, "decoder_hidden": 0, "reader_channels": 0,
                                    "reader_hidden": 0}

    @classmethod
    def published(cls, **changes) -> "GlyphVAEConfig":
        """The published hand-writing VAE's architecture (every addition off), with `changes`."""
        return cls(**{"channels": 32, "hidden": 128, **cls.ABSENT_MEANS, **changes})

    def __post_init__(self):
        # Switches saved as 0/1 (as configs were before they were typed) load as bools.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type in (bool, "bool"):
                if value not in (0, 1) or isinstance(value, float):
                    raise ValueError(f"{f.name} must be true or false (or 1 or 0), not {value!r}")
                setattr(self, f.name, bool(value))


def reader_trunk(channels: int) -> tuple[nn.Sequential, int]:
    """A VGG-style reader at glyph scale (Simonyan & Zisserman 2015): blocks of 3x3
    convolutions with batch norm, each halving the image, 28 -> 14 -> 7 -> 3; returns
    the trunk and the width of its flattened output."""

    def block(cin: int, cout: int, convs: int) -> list[nn.Module]:
        layers: list[nn.Module] = []
        for k in range(convs):
            layers += [nn.Conv2d(cin if k == 0 else cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU()]
        return layers + [nn.MaxPool2d(2)]

    c = channels
    trunk = nn.Sequential(*block(1, c, 2), *block(c, 2 * c, 2), *block(2 * c, 4 * c, 1), nn.Flatten())
    return trunk, 4 * c * 3 * 3


STYLE_AXES_NAME = "style_axes.json"  # the latent sliders' directions; written by `python -m train.style_axes`
# the reader of ruled drawings (glyph_vae.pipelines.ruled); written by `python -m train.ruled`
RULED_NAME = "ruled.safetensors"


class GlyphVAE(HubModel, nn.Module):
    config_class = GlyphVAEConfig
    display_name = "GlyphVAE"
    model_type = "glyph_vae"
    bundled_folder = "glyph_vae"
    sidecars = (STYLE_AXES_NAME, RULED_NAME, TRAINING_RECORD, EVAL_RECORD)
    card_template = "glyph_vae.md"
    card_data = {"license": "mit", "library_name": "pytorch", "datasets": ["mnist", "emnist"],
                 "metrics": ["accuracy"], "tags": ["vae", "handwriting", "emnist", "mnist", "gradio"],
                 "pipeline_tag": "image-classification"}

    def __init__(self, config: GlyphVAEConfig | None = None):
        super().__init__()
        self.config = config = config or GlyphVAEConfig()
        if config.image_size != 28:
            raise ValueError("GlyphVAE is built for 28x28 glyphs (two stride-2 convs to 7x7).")
        c, side = config.channels, config.image_size // 4
        self.feature_shape = (c, side, side)
        flat = c * side * side  # 32 x 7 x 7 = 1568 at the published architecture's sizes
        self.style_axes: list = []  # the latent sliders (glyph_vae.pipelines.style.StyleAxis), from style_axes.json
        # The reader of ruled drawings (glyph_vae.models.ruled_reader.RuledReader), from ruled.safetensors; kept
        # out of the module tree so that it is not saved into model.safetensors.
        object.__setattr__(self, "ruled", None)

        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, c, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
        )
        if config.reader_channels:
            self.reader, read_width = reader_trunk(config.reader_channels)
            # Dropout against the reader memorising the training glyphs (it has no other regulariser).
            width = config.reader_hidden or config.hidden
            self.class_head = nn.Sequential(nn.Linear(read_width, width), nn.ReLU(), nn.Dropout(0.3),
                                            nn.Linear(width, config.num_classes))
        else:
            self.reader = None
            self.class_head = nn.Sequential(
                nn.Linear(flat, config.hidden), nn.ReLU(), nn.Linear(config.hidden, config.num_classes)
            )
        self.latent_head = nn.Linear(flat + (config.num_classes if config.encoder_sees_class else 0),
                                     2 * config.latent_dim)

        if config.decoder_hidden:
            self.class_and_z_to_features = nn.Sequential(
                nn.Linear(config.num_classes + config.latent_dim, config.decoder_hidden), nn.ReLU(),
                nn.Linear(config.decoder_hidden, flat), nn.ReLU(),
            )
        else:
            self.class_to_features = nn.Sequential(
                nn.Linear(config.num_classes, config.hidden), nn.ReLU(), nn.Linear(config.hidden, flat)
            )
            self.z_to_features = nn.Linear(config.latent_dim, flat)
        # Added to the class logits at inference. Zero while training; afterwards it
        # can hold log p_target(y) - log p_train(y), which turns the head's p_train(y|x)
        # into p_target(y|x) (prior shift, Saerens et al. 2002; Menon et al. 2021).
        # It matters because MNIST's 60,000 digits make digits far more common in
        # training than in handwriting, so an O would otherwise always read as 0.
        self.register_buffer("class_prior_shift", torch.zeros(config.num_classes))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c, c, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),
        )

    # -- the three halves -------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: (B, 1, 28, 28) in [0, 1] -> class logits, posterior mean, log-variance.

        y (class indices) is what the posterior is conditioned on when the config
        has encoder_sees_class; None means the class the encoder reads."""
        h = self.encoder(x)
        logits = self._read(x, h)
        if self.config.encoder_sees_class:
            y = logits.argmax(dim=1) if y is None else y
            h = torch.cat([h, F.one_hot(y.long(), self.config.num_classes).to(h.dtype)], dim=1)
        mu, logvar = self.latent_head(h).chunk(2, dim=1)
        return logits, mu, logvar

    def posterior(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 1, 28, 28), y: (B,) the classes they are -> the posterior's mean and log-variance,
        without reading (for glyphs already read, or whose class the user gave)."""
        h = self.encoder(x)
        if self.config.encoder_sees_class:
            h = torch.cat([h, F.one_hot(y.long(), self.config.num_classes).to(h.dtype)], dim=1)
        mu, logvar = self.latent_head(h).chunk(2, dim=1)
        return mu, logvar

    def _read(self, x: torch.Tensor, shared: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits from the reader's own trunk, or from the shared trunk's features."""
        if self.reader is not None:
            features = self.reader(x)
        else:
            features = self.encoder(x) if shared is None else shared
        return self.class_head(features) + self.class_prior_shift

    def read_logits(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28) -> class logits alone, without the posterior encode() also
        computes (for scoring many glyphs, as the muddle search does)."""
        return self._read(x)

    def reading_parameters(self) -> list[nn.Parameter]:
        """Every parameter the class logits depend on that nothing else uses: the reader's own
        trunk (if any) and the class head."""
        parts = ([self.reader] if self.reader is not None else []) + [self.class_head]
        return [p for part in parts for p in part.parameters()]

    def decode(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """y: (B,) class indices or (B, C) one-hot; z: (B, latent) -> pixel logits."""
        if y.dim() == 1:
            y = F.one_hot(y.long(), self.config.num_classes).to(z.dtype)
        if self.config.decoder_hidden:
            h = self.class_and_z_to_features(torch.cat([y, z], dim=1))
        else:
            h = self.class_to_features(y) + self.z_to_features(z)
        return self.decoder(h.view(-1, *self.feature_shape))

    def decoder_parameters(self) -> list[nn.Parameter]:
        """Every parameter decode() uses (and nothing that reads or infers a style)."""
        parts = ([self.class_and_z_to_features] if self.config.decoder_hidden
                 else [self.class_to_features, self.z_to_features])
        return [p for part in parts + [self.decoder] for p in part.parameters()]

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> GlyphVAEOutput:
        logits, mu, logvar = self.encode(x, y)  # z's posterior sees the true class (if configured)
        # Reparameterisation (Kingma & Welling 2014): z = mu + sigma * eps keeps the
        # sample differentiable with respect to mu and sigma.
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return GlyphVAEOutput(class_logits=logits, mu=mu, logvar=logvar, recon_logits=self.decode(y, z))

    def loss(self, out: GlyphVAEOutput, x: torch.Tensor, y: torch.Tensor, *, kl_weight: float = 1.0,
             class_weight: float = 1.0, free_bits: float = 0.0) -> dict[str, torch.Tensor]:
        """The training terms of a batch from its forward pass (see glyph_vae_loss)."""
        return glyph_vae_loss(out, x, y, kl_weight=kl_weight, class_weight=class_weight, free_bits=free_bits)

    def load_sidecars(self, folder) -> None:
        """The style sliders' axes and the reader of ruled drawings: a broken file is an error, a
        missing one a warning (no sliders; no reading on the lines)."""
        path = folder / STYLE_AXES_NAME
        if not path.is_file():
            self.load_warnings.append(f"GlyphVAE from {folder} has no {STYLE_AXES_NAME}, so the Write tab has "
                                      "no style sliders (`python -m train.style_axes` makes them).")
        else:
            try:
                self.style_axes = read_style_axes(path, self.config.latent_dim)
            except ValueError as exc:
                raise ModelLoadError(f"GlyphVAE: {exc}") from None
        object.__setattr__(self, "ruled", load_ruled_reader(folder / RULED_NAME, self))

    def card_data_values(self, values: dict) -> dict:
        """The card's metadata, with the test figures as Hub evaluation results when there are some."""
        from huggingface_hub import EvalResult

        data = dict(self.card_data)
        figures = values.get("evaluation")
        if figures:
            name = (values.get("model_id") or "glyph-vae").split("/")[-1]
            data["model_name"] = name
            data["eval_results"] = [
                EvalResult(task_type="image-classification", dataset_type="mnist", dataset_name="MNIST test",
                           metric_type="accuracy", metric_value=round(figures["mnist_test_accuracy_62way"], 4),
                           metric_name="Accuracy (62-way)"),
                EvalResult(task_type="image-classification", dataset_type="emnist", dataset_name="EMNIST ByClass test",
                           dataset_config="byclass", metric_type="accuracy",
                           metric_value=round(figures["emnist_test_accuracy"], 4), metric_name="Accuracy (62 classes)"),
            ]
        return data

    # -- inference helpers --------------------------------------------------
    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities for a batch of glyphs."""
        return self.read_logits(x).softmax(dim=1)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decode the posterior mean, as the read class (or y) -> images in [0, 1]."""
        logits, mu, _ = self.encode(x)
        y = logits.argmax(dim=1) if y is None else y
        return torch.sigmoid(self.decode(y, mu))


def glyph_vae_loss(out: GlyphVAEOutput, x: torch.Tensor, y: torch.Tensor, *,
                   kl_weight: float = 1.0, class_weight: float = 1.0,
                   free_bits: float = 0.0) -> dict[str, torch.Tensor]:
    """Loss terms, each summed over one image's pixels or dims and averaged over the batch.

    Per-image sums are the ELBO's own scale. Averaging the reconstruction over
    784 pixels instead (as a published model of this kind did) divides it by 784
    while the KL stays per image, so the KL's weight becomes ~784x too large and
    the posterior collapses onto a handful of dimensions.
    """
    # Reconstruction: -log p(x|y,z) under a Bernoulli per pixel.
    recon = reconstruction_nll(out.recon_logits, x)
    # KL(q(z|x) || N(0, I)) in closed form, per latent dimension (Kingma & Welling 2014, App. B).
    kl_per_dim = 0.5 * (out.mu.pow(2) + out.logvar.exp() - 1.0 - out.logvar).mean(0)
    kl = kl_per_dim.sum()
    # Free bits (Kingma et al. 2016, "Improved Variational Inference with IAF"):
    # a dimension whose batch-mean KL is under the floor is not pushed further
    # towards the prior, so style dimensions are not switched off early.
    kl_term = torch.clamp(kl_per_dim, min=free_bits).sum() if free_bits > 0 else kl
    # Classification: cross-entropy on the known label (Kingma et al. 2014, eq. 9:
    # the alpha-weighted term that trains q(y|x) directly). The decoder never sees
    # this guess, so the head would otherwise learn nothing.
    ce = F.cross_entropy(out.class_logits, y)
    total = recon + kl_weight * kl_term + class_weight * ce
    return {"loss": total, "recon": recon, "kl": kl, "ce": ce}


def reconstruction_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | logits) under a Bernoulli per pixel, summed per image, averaged over the batch.

    Glyphs are grey in [0, 1], which BCE accepts as soft targets (Kingma & Welling 2014, App. C)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1).mean()
