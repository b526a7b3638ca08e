"""Adversarially constrained autoencoder interpolation (ACAI) for the muddle autoencoder.

Berthelot, Raffel, Roy and Goodfellow, "Understanding and Improving Interpolation in
Autoencoders via an Adversarial Regularizer", ICLR 2019 (arXiv:1807.07543).

A plain autoencoder's decoded midpoints are grey blurs or double exposures: nothing in its
loss asks a decoded mixture of two codes to look like a digit. ACAI adds a critic that sees
decoded mixtures x_alpha = dec(alpha z1 + (1 - alpha) z2), alpha in [0, 0.5], and predicts
alpha; the autoencoder learns to make the critic answer 0 ("this is a reconstruction of a
real digit, not a mixture"), so the mixtures move onto the digit manifold.

`python -m train --model muddle --acai 0.5 ...` turns it on (default 0: off, the published
mnistMuddle recipe unchanged). The critic lives only in the run's checkpoint (so --resume
continues it); it is not part of the saved model.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Critic(nn.Module):
    """The paper's critic has the encoder's architecture and reads alpha as the mean of its
    output: here four conv blocks as in the muddle encoder, then the mean of a 10-d output."""

    def __init__(self, channels: int = 16, latent_dim: int = 10):
        super().__init__()
        c, c2 = channels, 2 * channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, c2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(c2, c2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(c2, c2, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(c2 * 49, latent_dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).mean(1)


def mixing_weights(n: int, generator: torch.Generator, device) -> torch.Tensor:
    """alpha ~ U[0, 0.5] per image (the paper's range: by symmetry 0.5 is the farthest mixture)."""
    return (0.5 * torch.rand(n, generator=generator)).to(device)


def autoencoder_term(critic: Critic, mixed_logits: torch.Tensor) -> torch.Tensor:
    """The autoencoder's adversarial term, ||d(x_alpha)||^2: it is rewarded when the critic
    cannot tell its decoded mixtures from reconstructions (the critic predicts alpha = 0).
    The critic's own weights are frozen for this term: only the autoencoder learns from it."""
    for p in critic.parameters():
        p.requires_grad_(False)
    try:
        return critic(torch.sigmoid(mixed_logits)).pow(2).mean()
    finally:
        for p in critic.parameters():
            p.requires_grad_(True)


def critic_loss(critic_net, x: torch.Tensor, recon_logits: torch.Tensor, mixed_logits: torch.Tensor,
                alpha: torch.Tensor, gamma: float) -> torch.Tensor:
    """The critic's loss (both terms on detached images: the autoencoder does not learn from it):
    ||d(x_alpha) - alpha||^2, recover the mixing weight of a decoded mixture; plus
    ||d(gamma x + (1 - gamma) x_hat)||^2, answer 0 on a blend of a real digit and its
    reconstruction, which the paper adds so that the critic's output is 0 on realistic
    images even when the reconstructions are poor, and so its gradient stays informative."""
    mixed = torch.sigmoid(mixed_logits.detach())
    blend = gamma * x + (1 - gamma) * torch.sigmoid(recon_logits.detach())
    out = critic_net(torch.cat([mixed, blend]))
    n = len(alpha)
    return F.mse_loss(out[:n], alpha) + out[n:].pow(2).mean()
