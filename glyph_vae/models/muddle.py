"""The muddle autoencoder: a small conv autoencoder with a 10-d latent on MNIST digits.

Four convolutional blocks and a dense layer encode a digit to 10 numbers; a dense
layer and four transposed-conv blocks decode it. The per-digit centroids of the
training latents are stored with the weights (computed once after training), so
the app never recomputes them at start-up.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .hub import HubModel
from .outputs import AutoencoderOutput
from .model import reconstruction_nll


@dataclass
class MuddleConfig:
    latent_dim: int = 10
    channels: int = 16  # first block's width; the others use twice this
    num_digits: int = 10
    image_size: int = 28


MAP_POINTS = 2000


class MuddleAutoencoder(HubModel, nn.Module):
    config_class = MuddleConfig
    digits_only = True
    display_name = "The muddle autoencoder"
    model_type = "muddle"
    bundled_folder = "muddle"
    card_template = "muddle.md"
    card_data = {"license": "mit", "library_name": "pytorch", "datasets": ["mnist"],
                 "tags": ["autoencoder", "mnist", "gradio"]}

    def __init__(self, config: MuddleConfig | None = None):
        super().__init__()
        self.config = config = config or MuddleConfig()
        if config.image_size != 28:
            raise ValueError("the muddle autoencoder is built for 28x28 glyphs")
        c, c2 = config.channels, 2 * config.channels
        self.feature_shape = (c2, 7, 7)
        flat = c2 * 7 * 7
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.ReLU(),  # 28x28
            nn.Conv2d(c, c2, 4, stride=2, padding=1), nn.ReLU(),  # 14x14
            nn.Conv2d(c2, c2, 4, stride=2, padding=1), nn.ReLU(),  # 7x7
            nn.Conv2d(c2, c2, 3, padding=1), nn.ReLU(),  # 7x7
            nn.Flatten(),
            nn.Linear(flat, config.latent_dim),
        )
        self.decoder_input = nn.Sequential(nn.Linear(config.latent_dim, flat), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c2, c2, 3, padding=1), nn.ReLU(),  # 7x7
            nn.ConvTranspose2d(c2, c2, 4, stride=2, padding=1), nn.ReLU(),  # 14x14
            nn.ConvTranspose2d(c2, c, 4, stride=2, padding=1), nn.ReLU(),  # 28x28
            nn.ConvTranspose2d(c, 1, 3, padding=1),  # logits
        )
        # Computed once from the training set after training and saved in
        # model.safetensors, so the app does no such work at start-up:
        # per-digit means of the latents, and a 2-d PCA of the latents with a
        # sample of projected training points for the latent map.
        self.register_buffer("centroids", torch.zeros(config.num_digits, config.latent_dim))
        self.register_buffer("map_mean", torch.zeros(config.latent_dim))
        self.register_buffer("map_axes", torch.zeros(2, config.latent_dim))
        self.register_buffer("map_points", torch.zeros(MAP_POINTS, 2))
        self.register_buffer("map_labels", torch.zeros(MAP_POINTS, dtype=torch.long))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.decoder_input(z).view(-1, *self.feature_shape))

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents -> images in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None,
                mix: torch.Tensor | None = None) -> AutoencoderOutput:
        """Glyphs -> reconstruction logits; y is taken (and unused) so that training calls
        every model the same way. With `mix` (one weight alpha per glyph, for ACAI training:
        train/acai.py) also the logits of the decoded mixtures alpha z_i + (1 - alpha) z_(i-1),
        each glyph's code with the previous glyph's."""
        z = self.encode(x)
        logits = self.decode_logits(z)
        if mix is None:
            return AutoencoderOutput(logits)
        alpha = mix.view(-1, 1)
        return AutoencoderOutput(logits, self.decode_logits(alpha * z + (1 - alpha) * z.roll(1, dims=0)))

    def loss(self, out: AutoencoderOutput, x: torch.Tensor, y: torch.Tensor, **_) -> dict[str, torch.Tensor]:
        """Bernoulli reconstruction summed per image: the architecture's only term."""
        recon = reconstruction_nll(out.recon_logits, x)
        return {"loss": recon, "recon": recon}

    def on_epoch_end(self, train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor]) -> None:
        """The class centroids of the training codes, stored with the weights (not recomputed by the app)."""
        device = next(self.parameters()).device
        images, labels = train
        self.fit_centroids(images.float().div(255).unsqueeze(1).to(device), labels.to(device))

    @torch.no_grad()
    def fit_centroids(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
        """Mean latent of each digit over a data set (images (N, 1, 28, 28) in [0, 1])."""
        was_training = self.training
        self.eval()
        z = torch.cat([self.encode(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
        for d in range(self.config.num_digits):
            mask = labels == d
            if mask.any():
                self.centroids[d] = z[mask].mean(0)
        # PCA for the latent map: the two directions of largest spread.
        mean = z.mean(0)
        _, _, v = torch.linalg.svd(z - mean, full_matrices=False)
        self.map_mean.copy_(mean)
        self.map_axes.copy_(v[:2])
        pick = torch.linspace(0, len(z) - 1, min(MAP_POINTS, len(z))).long()
        self.map_points[: len(pick)] = self.project(z[pick])
        self.map_labels[: len(pick)] = labels[pick].long()
        self.train(was_training)
        return self.centroids

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """Latents (N, 10) -> 2-d map coordinates."""
        return (z - self.map_mean) @ self.map_axes.T
