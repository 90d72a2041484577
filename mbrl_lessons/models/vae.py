"""Variational autoencoders: a small convolutional one over grey frames, World
Models' V (chapter 7.1), and a conditional one over transitions,
:class:`ConditionalVAE`, the generative model of chapter 5.2.

The encoder maps a frame ``x`` to a diagonal Gaussian ``q(z | x) =
N(mu(x), diag sigma(x)^2)``; the decoder maps a code ``z`` back to a frame
``x_hat(z)``.  Training maximises the evidence lower bound (ELBO)

    log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || N(0, I)),

with a Bernoulli decoder that reads each grey level as the probability that
the pixel is lit (as the classic VAE on handwritten digits does):
``-log p(x | z) = -sum_pixels [x log x_hat + (1 - x) log(1 - x_hat)]``.  So the
loss per frame (:func:`vae_loss`) is

    recon + kl_weight * KL,
    KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2),

the negative ELBO at ``kl_weight = 1``; the expectation is estimated with one
reparameterised draw ``z = mu + sigma * eps``.  (World Models used a squared
error, a Gaussian decoder; on these frames, a thin bright rod on black, that
loss sat for hundreds of steps on the blurred mean frame before the codes were
used, while the cross-entropy's larger gradient on the few lit pixels gets
past it within a few hundred steps: measured, not assumed.)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import stream_seed, torch_generator, torch_seeded


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag exp(log_var)) || N(0, I))`` per row: ``[B, D] -> [B]``."""
    return 0.5 * (mu.square() + log_var.exp() - 1.0 - log_var).sum(-1)


def vae_loss(x: torch.Tensor, x_hat: torch.Tensor, mu: torch.Tensor,
             log_var: torch.Tensor, kl_weight: float = 1.0
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The negative ELBO of a batch, averaged over frames.

    ``x, x_hat [B, H, W]`` (frames in ``[0, 1]`` and the decoder's pixel
    probabilities from one draw of ``z``), ``mu, log_var [B, D]`` (the
    encoder's Gaussian).  Returns ``(loss, recon, kl)``, each a scalar mean
    over the batch, with ``recon`` the summed binary cross-entropy of a frame
    and ``loss = recon + kl_weight * kl``.
    """
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have one shape, got {tuple(x.shape)} "
                         f"and {tuple(x_hat.shape)}")
    if mu.shape != log_var.shape or mu.ndim != 2 or len(mu) != len(x):
        raise ValueError(f"mu and log_var must both be [B={len(x)}, D], got "
                         f"{tuple(mu.shape)} and {tuple(log_var.shape)}")
    if kl_weight < 0:
        raise ValueError(f"kl_weight must be >= 0, got {kl_weight}")
    recon = F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(-1)
    kl = gaussian_kl(mu, log_var)
    return (recon + kl_weight * kl).mean(), recon.mean(), kl.mean()


class ConvVAE(nn.Module):
    """V: ``size x size`` grey frame <-> ``z_dim`` code.

    Encoder: two stride-2 4x4 convolutions (``size -> size/2 -> size/4``,
    16 and 32 channels, ReLU), then a linear map to ``mu`` and ``log_var``.
    Decoder: the mirror image with transposed convolutions and a sigmoid.
    ``size`` must be divisible by 4.
    """

    def __init__(self, size: int = 24, z_dim: int = 4,
                 channels: tuple[int, int] = (16, 32), seed: int = 0) -> None:
        super().__init__()
        if size % 4 or size < 8:
            raise ValueError(f"size must be a multiple of 4 and >= 8, got {size}")
        if z_dim < 1:
            raise ValueError(f"z_dim must be >= 1, got {z_dim}")
        self.size, self.z_dim = size, z_dim
        c1, c2 = channels
        self._flat = (c2, size // 4, size // 4)
        n_flat = c2 * (size // 4) ** 2
        with torch_seeded(seed):
            self.enc = nn.Sequential(
                nn.Conv2d(1, c1, 4, 2, 1), nn.ReLU(),
                nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(), nn.Flatten(),
                nn.Linear(n_flat, 2 * z_dim))
            self.dec_in = nn.Linear(z_dim, n_flat)
            self.dec = nn.Sequential(
                nn.ReLU(), nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(),
                nn.ConvTranspose2d(c1, 1, 4, 2, 1), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames ``[B, S, S]`` -> ``(mu, log_var)``, each ``[B, z_dim]``."""
        if x.ndim != 3 or x.shape[1:] != (self.size, self.size):
            raise ValueError(f"frames must be [B, {self.size}, {self.size}], got "
                             f"{tuple(x.shape)}")
        out = self.enc(x[:, None])
        mu, log_var = out.chunk(2, -1)
        return mu, log_var.clamp(-12.0, 6.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes ``[B, z_dim]`` -> frames ``[B, S, S]`` in ``(0, 1)``."""
        return self.dec(self.dec_in(z).view(-1, *self._flat))[:, 0]

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(x_hat, mu, log_var)`` with one reparameterised draw of ``z``."""
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, generator=gen)
        return self.decode(mu + (0.5 * log_var).exp() * eps), mu, log_var

    @torch.no_grad()
    def code(self, x: torch.Tensor) -> torch.Tensor:
        """The code World Models' M and C see: the posterior mean ``mu(x)``."""
        return self.encode(x)[0]


def fit_vae(frames: torch.Tensor, z_dim: int = 4, n_steps: int = 2000,
            batch_size: int = 32, lr: float = 3e-3, kl_weight: float = 1.0,
            seed: int = 0, progress: bool = True
            ) -> tuple[ConvVAE, np.ndarray]:
    """Fit :class:`ConvVAE` to ``frames [N, S, S]`` by Adam on the negative
    ELBO (:func:`vae_loss`).  Returns the model and ``[n_steps, 3]`` rows of
    ``(loss, recon, kl)``.  Same frames and seed, same weights."""
    if frames.ndim != 3 or len(frames) < 2:
        raise ValueError(f"frames must be [N >= 2, S, S], got {tuple(frames.shape)}")
    vae = ConvVAE(frames.shape[-1], z_dim, seed=seed)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    gen = torch_generator(seed)
    log = np.empty((n_steps, 3))
    for i in tqdm(range(n_steps), desc="fit V (VAE)", leave=False,
                  disable=not progress):
        x = frames[torch.randint(len(frames), (batch_size,), generator=gen)]
        x_hat, mu, log_var = vae(x, gen)
        loss, recon, kl = vae_loss(x, x_hat, mu, log_var, kl_weight)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        log[i] = loss.item(), recon.item(), kl.item()
    vae.eval()
    return vae, log


class ConditionalVAE(nn.Module):
    """A conditional VAE over a transition, ``p(y | x)`` with ``x = (s, a)`` and
    ``y = s'`` (chapter 5.2): a latent ``z ~ N(0, I)`` carries the randomness
    the input does not fix, so one decoder can put mass on several outcomes.

    - encoder ``q(z | x, y) = N(mu(x, y), diag sigma(x, y)^2)`` (training only);
    - decoder ``p(y | x, z) = N(m(x, z), diag v(x, z))``, the log-variance
      bounded softly as in :class:`~mbrl_lessons.models.probabilistic.GaussianMLP`;
    - loss per transition: the negative ELBO
      ``-log p(y | x, z) + kl_weight * KL(q(z | x, y) || N(0, I))`` with one
      reparameterised draw ``z = mu + sigma * eps`` (``kl_weight = 1`` is the
      bound itself; :func:`gaussian_kl` is the KL term).

    ``loss(x, y)`` fits :func:`~mbrl_lessons.models.probabilistic.fit_regression`;
    its draws of ``eps`` come from the model's own generator, seeded by
    ``seed``, so a fit is reproducible.  :meth:`sample` draws ``z`` from the
    prior and ``y`` from the decoder: the encoder is not used.
    """

    def __init__(self, in_dim: int, out_dim: int, z_dim: int = 1, hidden: int = 64,
                 layers: int = 2, kl_weight: float = 1.0, seed: int = 0,
                 min_logvar: float = -8.0, max_logvar: float = 1.0) -> None:
        super().__init__()
        if z_dim < 1:
            raise ValueError(f"z_dim must be >= 1, got {z_dim}")
        if kl_weight < 0:
            raise ValueError(f"kl_weight must be >= 0, got {kl_weight}")
        self.out_dim, self.z_dim, self.kl_weight = out_dim, z_dim, kl_weight
        self.min_logvar, self.max_logvar = min_logvar, max_logvar
        self.enc = mlp(in_dim + out_dim, 2 * z_dim, hidden, layers,
                       seed=stream_seed(seed, "encoder"))
        self.dec = mlp(in_dim + z_dim, 2 * out_dim, hidden, layers,
                       seed=stream_seed(seed, "decoder"))
        self.gen = torch_generator(stream_seed(seed, "eps"))

    def encode(self, x: torch.Tensor, y: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """``q(z | x, y)``: ``(mu, log_var)``, each ``[B, z_dim]``."""
        mu, log_var = self.enc(torch.cat([x, y], -1)).chunk(2, -1)
        return mu, log_var.clamp(-12.0, 6.0)

    def decode(self, x: torch.Tensor, z: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """``p(y | x, z)``: ``(mean, var)``, each ``[B, out_dim]``."""
        mean, raw = self.dec(torch.cat([x, z], -1)).split(self.out_dim, dim=-1)
        logvar = self.max_logvar - F.softplus(self.max_logvar - raw)
        logvar = self.min_logvar + F.softplus(logvar - self.min_logvar)
        return mean, logvar.exp()

    def elbo_terms(self, x: torch.Tensor, y: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per transition: ``(recon, kl)`` with ``recon = -log p(y | x, z)`` at
        one draw of ``z`` from the encoder, each ``[B]``."""
        if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or y.shape[1] != self.out_dim:
            raise ValueError(f"x must be [B, in] and y [B, {self.out_dim}], got "
                             f"{tuple(x.shape)} and {tuple(y.shape)}")
        mu, log_var = self.encode(x, y)
        z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=self.gen)
        mean, var = self.decode(x, z)
        recon = F.gaussian_nll_loss(mean, y, var, full=True,
                                    reduction="none").sum(-1)
        return recon, gaussian_kl(mu, log_var)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The batch mean of ``recon + kl_weight * KL`` (the negative ELBO at
        ``kl_weight = 1``)."""
        recon, kl = self.elbo_terms(x, y)
        return (recon + self.kl_weight * kl).mean()

    @torch.no_grad()
    def sample(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """One draw ``y ~ p(y | x) = E_{z ~ N(0, I)} p(y | x, z)`` per row of
        ``x [B, in]``: ``[B, out_dim]``."""
        z = torch.randn((len(x), self.z_dim), generator=gen)
        mean, var = self.decode(x, z)
        return mean + var.sqrt() * torch.randn(mean.shape, generator=gen)

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator,
                       n_draws: int = 100) -> torch.Tensor:
        """An importance-sampled estimate of ``log p(y | x)`` per row, ``[B]``,
        with the encoder as the proposal: ``log mean_k p(y | x, z_k) p(z_k) /
        q(z_k | x, y)``.  It is never below the ELBO in expectation and tends to
        ``log p(y | x)`` as ``n_draws`` grows."""
        mu, log_var = self.encode(x, y)
        std = (0.5 * log_var).exp()
        z = mu + std * torch.randn((n_draws, *mu.shape), generator=gen)  # [K, B, Z]
        normal = torch.distributions.Normal
        log_q = normal(mu, std).log_prob(z).sum(-1)
        log_prior = normal(0.0, 1.0).log_prob(z).sum(-1)
        mean, var = self.decode(x.expand(n_draws, *x.shape), z)
        log_lik = normal(mean, var.sqrt()).log_prob(y).sum(-1)
        return torch.logsumexp(log_lik + log_prior - log_q, 0) - np.log(n_draws)


__all__ = ["ConditionalVAE", "ConvVAE", "fit_vae", "gaussian_kl", "vae_loss"]
