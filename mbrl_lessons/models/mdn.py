"""Mixture density networks over a vector, sampled with a temperature.

World Models' M (Ha and Schmidhuber 2018; chapter 7, §7.1) is
:class:`MDNRNN`: an LSTM reads the code ``z_t`` and action ``a_t``, and a
mixture head on its hidden state gives
``p(z_{t+1} | h_{t+1}, z_t) = sum_k pi_k N(z_{t+1}; mu_k, diag sigma_k^2)`` and
a predicted reward; fitted by maximum likelihood on sequences
(:func:`fit_mdnrnn`) and sampled at temperature ``tau``
(:func:`mdn_sample`).  :class:`MDN` is the memoryless version
``p(z' | z, a)`` for a fully observed state.  Chapter 5's scalar mixture
model is :class:`~mbrl_lessons.models.probabilistic.MixtureMLP`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import torch_generator, torch_seeded
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


def mixture_nll(params: MixtureParams, y: torch.Tensor) -> torch.Tensor:
    """``-log sum_k pi_k N(y; mu_k, diag sigma_k^2)`` per row: ``y [B, D] -> [B]``
    (the log-sum-exp keeps it finite when every component is far away)."""
    y = y[:, None]                                                     # [B, 1, D]
    log_n = (-0.5 * ((y - params.mean) / params.log_std.exp()).square()
             - params.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)   # [B, K]
    return -torch.logsumexp(torch.log_softmax(params.logits, -1) + log_n, -1)


LSTMState = tuple[torch.Tensor, torch.Tensor]


class MDNRNN(nn.Module):
    """M of World Models: an LSTM over ``(z_t, a_t)`` with a mixture head.

    After reading ``(z_t, a_t)`` the LSTM's hidden state is ``h_{t+1}``; a
    linear head on ``h_{t+1}`` gives ``K`` mixture weights, means and
    standard deviations of the normalised change
    ``y = (z_{t+1} - z_t - m) / s`` (``m, s`` fixed from the data before
    training) and the normalised reward ``r_t``.  The head sees only ``h``
    (bounded by the LSTM's tanh): with ``z_t`` as a direct input, a dream
    fed its own samples could amplify the code step after step (we saw the
    dreamed reward reach 1e18).  Dreamed codes are also kept inside the box
    of codes seen in the data (``z_lo, z_hi``), the codes V can produce.
    One component covers the whole code (the paper mixes each code
    dimension separately).  The
    pendulum never terminates, so there is no done head; a task that ends
    would add a Bernoulli output here.  Statistics are buffers set by
    :func:`fit_mdnrnn`.
    """

    def __init__(self, z_dim: int = 4, hidden: int = 32, n_mixtures: int = 5,
                 seed: int = 0) -> None:
        super().__init__()
        if z_dim < 1 or hidden < 1 or n_mixtures < 1:
            raise ValueError("MDNRNN needs z_dim, hidden and n_mixtures >= 1")
        self.D, self.H, self.K = z_dim, hidden, n_mixtures
        with torch_seeded(seed):
            self.lstm = nn.LSTM(z_dim + 1, hidden, batch_first=True)
            self.head = nn.Linear(hidden, n_mixtures * (1 + 2 * z_dim) + 1)
        for name in ("z_mean", "d_mean"):
            self.register_buffer(name, torch.zeros(z_dim))
        for name in ("z_std", "d_std", "z_hi"):
            self.register_buffer(name, torch.ones(z_dim))
        self.register_buffer("z_lo", -torch.ones(z_dim))
        self.register_buffer("r_stats", torch.tensor([0.0, 1.0]))  # mean, std

    def _heads(self, h: torch.Tensor) -> tuple[MixtureParams, torch.Tensor]:
        out = self.head(h)
        K, D = self.K, self.D
        logits, rest, r = out[..., :K], out[..., K:-1], out[..., -1]
        rest = rest.reshape(*out.shape[:-1], K, 2 * D)
        return MixtureParams(logits, rest[..., :D], rest[..., D:].clamp(-7.0, 2.0)), r

    def forward(self, z: torch.Tensor, act: torch.Tensor,
                state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[MixtureParams, torch.Tensor, LSTMState]:
        """``z [B, T, D]``, ``act [B, T, 1]`` -> mixture parameters (``[B, T, K]``,
        ``[B, T, K, D]``), normalised predicted rewards ``[B, T]`` and the
        LSTM state ``(h, c)`` after the last step."""
        if z.ndim != 3 or z.shape[-1] != self.D or act.shape != (*z.shape[:2], 1):
            raise ValueError(f"need z [B, T, {self.D}] and act [B, T, 1], got "
                             f"{tuple(z.shape)} and {tuple(act.shape)}")
        zn = (z - self.z_mean) / self.z_std
        h, state = self.lstm(torch.cat([zn, act / MAX_TORQUE], -1), state)
        params, r = self._heads(h)
        return params, r, state

    def step(self, z: torch.Tensor, act: torch.Tensor,
             state: tuple[torch.Tensor, torch.Tensor] | None
             ) -> tuple[MixtureParams, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One step for a batch: ``z [B, D]``, ``act [B, 1]`` -> mixture over
        the change (``[B, K]``, ``[B, K, D]``), the predicted reward ``[B]``
        in reward units, and the new state (``h = state[0][0]``, ``[B, H]``)."""
        p, r, state = self(z[:, None], act[:, None], state)
        params = MixtureParams(p.logits[:, 0], p.mean[:, 0], p.log_std[:, 0])
        return params, self.r_stats[0] + self.r_stats[1] * r[:, 0], state

    def next_code(self, z: torch.Tensor, params: MixtureParams, tau: float,
                  gen: torch.Generator) -> torch.Tensor:
        """Sample ``z_{t+1} [B, D]`` from a :meth:`step`'s mixture at ``tau``
        (kept inside the data's box of codes)."""
        z_next = z + self.d_mean + self.d_std * mdn_sample(params, tau, gen)
        return torch.maximum(torch.minimum(z_next, self.z_hi), self.z_lo)

    def loss(self, z: torch.Tensor, act: torch.Tensor, reward: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``(NLL of the next codes, squared error of the normalised
        rewards)`` over a batch of sequences ``z [B, T + 1, D]``,
        ``act [B, T, 1]``, ``reward [B, T]`` read from ``h = 0``."""
        p, r_hat, _ = self(z[:, :-1], act)
        y = ((z[:, 1:] - z[:, :-1] - self.d_mean) / self.d_std).reshape(-1, self.D)
        flat = MixtureParams(p.logits.reshape(-1, self.K),
                             p.mean.reshape(-1, self.K, self.D),
                             p.log_std.reshape(-1, self.K, self.D))
        r = (reward - self.r_stats[0]) / self.r_stats[1]
        return mixture_nll(flat, y).mean(), (r_hat - r).square().mean()


def fit_mdnrnn(codes: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor,
               hidden: int = 32, n_mixtures: int = 5, n_steps: int = 2000,
               seq_len: int = 32, batch_size: int = 32, lr: float = 3e-3,
               seed: int = 0, progress: bool = True) -> tuple[MDNRNN, np.ndarray]:
    """Fit :class:`MDNRNN` by maximum likelihood (plus the reward's squared
    error) on windows of ``seq_len`` steps cut at random from the episodes
    ``codes [N, T + 1, D]``, ``actions [N, T, 1]``, ``rewards [N, T]``; each
    window is read from a zero LSTM state, as an episode starts.  Returns the
    model and ``[n_steps, 2]`` rows of ``(nll, reward error)``."""
    if codes.ndim != 3 or actions.shape != (len(codes), codes.shape[1] - 1, 1) \
            or rewards.shape != actions.shape[:2]:
        raise ValueError(f"need codes [N, T + 1, D], actions [N, T, 1], rewards "
                         f"[N, T]; got {tuple(codes.shape)}, {tuple(actions.shape)}, "
                         f"{tuple(rewards.shape)}")
    N, T = actions.shape[:2]
    if not 1 <= seq_len <= T:
        raise ValueError(f"seq_len must be in [1, {T}], got {seq_len}")
    model = MDNRNN(codes.shape[-1], hidden, n_mixtures, seed)
    z_all, d_all = codes.reshape(-1, codes.shape[-1]), (codes[:, 1:] - codes[:, :-1])
    d_all = d_all.reshape(-1, codes.shape[-1])
    model.z_mean.copy_(z_all.mean(0))
    model.z_std.copy_(z_all.std(0).clamp_min(1e-6))
    model.z_lo.copy_(z_all.min(0).values)
    model.z_hi.copy_(z_all.max(0).values)
    model.d_mean.copy_(d_all.mean(0))
    model.d_std.copy_(d_all.std(0).clamp_min(1e-6))
    model.r_stats.copy_(torch.stack([rewards.mean(), rewards.std().clamp_min(1e-6)]))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    gen = torch_generator(seed)
    log = np.empty((n_steps, 2))
    offsets = torch.arange(seq_len + 1)
    for i in tqdm(range(n_steps), desc="fit M (MDN-RNN)", leave=False,
                  disable=not progress):
        ep = torch.randint(N, (batch_size,), generator=gen)
        t0 = torch.randint(T - seq_len + 1, (batch_size,), generator=gen)
        idx = t0[:, None] + offsets                                   # [B, L + 1]
        z = codes[ep[:, None], idx]
        a, r = actions[ep[:, None], idx[:, :-1]], rewards[ep[:, None], idx[:, :-1]]
        nll, r_err = model.loss(z, a, r)
        opt.zero_grad()
        (nll + r_err).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        sched.step()
        log[i] = nll.item(), r_err.item()
    model.eval()
    return model, log


__all__ = ["MDN", "MDNRNN", "MixtureParams", "fit_mdn", "fit_mdnrnn", "mdn_sample",
           "mixture_nll"]
