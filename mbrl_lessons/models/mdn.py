"""A mixture density network over a vector, sampled with a temperature.

World Models' M (Ha and Schmidhuber 2018; chapter 7, §7.1):
``p(z' | z, a) = sum_k pi_k N(z'; mu_k, diag sigma_k^2)``, fitted by maximum
likelihood (:func:`fit_mdn`) and sampled at temperature ``tau``
(:func:`mdn_sample`).  Chapter 5's scalar mixture model is
:class:`~mbrl_lessons.models.probabilistic.MixtureMLP`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.envs.pendulum import MAX_TORQUE


class MixtureParams(NamedTuple):
    logits: torch.Tensor   # [B, K] unnormalised log mixture weights
    mean: torch.Tensor     # [B, K, D] component means
    log_std: torch.Tensor  # [B, K, D] component log standard deviations


def mdn_sample(params: MixtureParams, tau: float, gen: torch.Generator
               ) -> torch.Tensor:
    """One draw ``[B, D]`` from each mixture at temperature ``tau``.

    The World Models recipe: pick component ``k`` with probabilities
    ``softmax(logits / tau)``, then draw ``mean_k + sqrt(tau) sigma_k eps``.
    ``tau = 0`` is the deterministic limit (most likely component, its mean);
    ``tau = 1`` samples the fitted model; ``tau > 1`` is wider than the fit.
    """
    if not isinstance(tau, int | float) or tau < 0 or math.isnan(tau):
        raise ValueError(f"tau must be a number >= 0, got {tau!r}")
    if tau == 0:
        k = params.logits.argmax(-1)
    else:
        probs = torch.softmax(params.logits / tau, -1)
        k = torch.multinomial(probs, 1, generator=gen)[:, 0]
    rows = torch.arange(len(k))
    mean, std = params.mean[rows, k], params.log_std[rows, k].exp()
    eps = torch.randn(mean.shape, generator=gen)
    return mean + math.sqrt(tau) * std * eps


class MDN(nn.Module):
    """M: ``p(z_{t+1} | z_t, a_t)`` as a mixture of ``K`` diagonal Gaussians
    over the normalised change ``(z_{t+1} - z_t - shift) / scale``.

    One component covers the whole code vector (the paper mixes each code
    dimension separately; keeping ``cos`` and ``sin`` in one component is
    simpler here).  Input and output statistics are buffers set by
    :func:`fit_mdn`.
    """

    def __init__(self, code_dim: int = 3, n_mixtures: int = 5,
                 hidden: int = 128, seed: int = 0) -> None:
        super().__init__()
        if n_mixtures < 1 or code_dim < 1:
            raise ValueError("MDN needs n_mixtures >= 1 and code_dim >= 1")
        self.K, self.D = n_mixtures, code_dim
        self.net = mlp(code_dim + 1, n_mixtures * (1 + 2 * code_dim), hidden, 2,
                       nn.SiLU, seed=seed)
        for name in ("in_mean", "out_mean"):
            self.register_buffer(name, torch.zeros(code_dim))
        for name in ("in_std", "out_std"):
            self.register_buffer(name, torch.ones(code_dim))

    def forward(self, z: torch.Tensor, act: torch.Tensor) -> MixtureParams:
        """``z [B, D]``, ``act [B, 1]`` -> mixture over the normalised change."""
        if z.ndim != 2 or z.shape[-1] != self.D or act.shape != (len(z), 1):
            raise ValueError(f"need z [B, {self.D}] and act [B, 1], got "
                             f"{tuple(z.shape)} and {tuple(act.shape)}")
        x = torch.cat([(z - self.in_mean) / self.in_std, act / MAX_TORQUE], -1)
        out = self.net(x)
        logits, rest = out[:, :self.K], out[:, self.K:].view(-1, self.K, 2 * self.D)
        return MixtureParams(logits, rest[..., :self.D],
                             rest[..., self.D:].clamp(-7.0, 2.0))

    def nll(self, z: torch.Tensor, act: torch.Tensor, z_next: torch.Tensor
            ) -> torch.Tensor:
        """Mean negative log-likelihood of ``z_next`` (normalised units)."""
        p = self(z, act)
        y = ((z_next - z - self.out_mean) / self.out_std)[:, None]      # [B, 1, D]
        log_n = (-0.5 * ((y - p.mean) / p.log_std.exp()).square() - p.log_std
                 - 0.5 * math.log(2 * math.pi)).sum(-1)                  # [B, K]
        return -torch.logsumexp(torch.log_softmax(p.logits, -1) + log_n, -1).mean()

    @torch.no_grad()
    def sample_next(self, z: torch.Tensor, act: torch.Tensor, tau: float,
                    gen: torch.Generator) -> torch.Tensor:
        """A dreamed ``z_{t+1}`` ``[B, D]`` at temperature ``tau``."""
        y = mdn_sample(self(z, act), tau, gen)
        return z + self.out_mean + self.out_std * y


def fit_mdn(obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor,
            n_mixtures: int = 5, hidden: int = 128, n_steps: int = 2000,
            batch_size: int = 256, lr: float = 2e-3, seed: int = 0,
            progress: bool = True) -> tuple[MDN, np.ndarray]:
    """Fit :class:`MDN` by maximum likelihood (Adam on minibatches).

    ``obs, next_obs [N, D]``, ``act [N, 1]``.  Returns the model and the loss
    per step ``[n_steps]``.  Same data and seed, same weights.
    """
    if obs.ndim != 2 or obs.shape != next_obs.shape or act.shape != (len(obs), 1):
        raise ValueError(f"need obs, next_obs [N, D] and act [N, 1], got "
                         f"{tuple(obs.shape)}, {tuple(next_obs.shape)}, "
                         f"{tuple(act.shape)}")
    model = MDN(obs.shape[1], n_mixtures, hidden, seed)
    delta = next_obs - obs
    model.in_mean.copy_(obs.mean(0))
    model.in_std.copy_(obs.std(0).clamp_min(1e-6))
    model.out_mean.copy_(delta.mean(0))
    model.out_std.copy_(delta.std(0).clamp_min(1e-6))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    gen = torch_generator(seed)
    losses = np.empty(n_steps)
    bar = tqdm(range(n_steps), desc="fit M (MDN)", leave=False, disable=not progress)
    for i in bar:
        idx = torch.randint(len(obs), (batch_size,), generator=gen)
        loss = model.nll(obs[idx], act[idx], next_obs[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses[i] = loss.item()
    model.eval()
    return model, losses


__all__ = ["MDN", "MixtureParams", "fit_mdn", "mdn_sample"]
