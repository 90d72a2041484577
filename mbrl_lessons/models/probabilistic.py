"""Probabilistic regression models, one network at a time (chapter 5), and
the predictive moments of an ensemble of them.

A transition model is a conditional distribution ``p(y | x)`` with
``x = (s, a)`` and ``y = s'`` (or the change ``s' - s``).  Three ways to learn
one, from least to most expressive:

- :class:`PointMLP` — a deterministic network trained by mean squared error.
  It converges to the *conditional mean* ``E[y | x]``, which for a two-valued
  outcome is a value that never happens.
- :class:`GaussianMLP` — outputs a mean and a variance per input and is trained
  by the Gaussian negative log-likelihood; the variance captures *aleatoric*
  noise (Chua et al. 2018 bound the log-variance softly, as here).
- :class:`MixtureMLP` — a mixture of ``K`` Gaussians (a mixture density
  network, Bishop 1994) for multimodal outcomes, built on
  ``torch.distributions.MixtureSameFamily``.

An *ensemble* of ``E`` Gaussian networks, each trained from its own initial
weights on its own bootstrap resample of the data, adds *epistemic*
uncertainty: the members agree where data was plentiful and disagree away from
it (Lakshminarayanan et al. 2017).  The package has one such ensemble,
:class:`mbrl_lessons.models.ensemble.GaussianEnsemble` (all members in one
batched network, trained by :func:`~mbrl_lessons.models.ensemble.fit_ensemble`);
:func:`ensemble_predict` splits its predictive variance into the two parts
(the law of total variance, :func:`split_variance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical, MixtureSameFamily, Normal

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.models.ensemble import GaussianEnsemble


class PointMLP(nn.Module):
    """``y_hat = net(x)``; loss: mean squared error."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 64, layers: int = 2,
                 seed: int = 0) -> None:
        super().__init__()
        self.net = mlp(in_dim, out_dim, hidden, layers, seed=seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((self.net(x) - y) ** 2).mean()


class GaussianMLP(nn.Module):
    """``y ~ N(mean(x), var(x))`` with a diagonal variance.

    The log-variance is squashed softly into ``[min_logvar, max_logvar]`` so
    the likelihood cannot be made infinite by shrinking the variance to zero
    on a few points (PETS, Chua et al. 2018, appendix A.1).
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 64, layers: int = 2,
                 seed: int = 0, min_logvar: float = -8.0, max_logvar: float = 1.0
                 ) -> None:
        super().__init__()
        self.out_dim = out_dim
        self.net = mlp(in_dim, 2 * out_dim, hidden, layers, seed=seed)
        self.min_logvar, self.max_logvar = min_logvar, max_logvar

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [B, in] -> mean [B, out], var [B, out]``."""
        mean, raw = self.net(x).split(self.out_dim, dim=-1)
        logvar = self.max_logvar - nn.functional.softplus(self.max_logvar - raw)
        logvar = self.min_logvar + nn.functional.softplus(logvar - self.min_logvar)
        return mean, logvar.exp()

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mean, var = self(x)
        return nn.functional.gaussian_nll_loss(mean, y, var, full=True)


class MixtureMLP(nn.Module):
    """A mixture density network: ``p(y|x) = sum_k w_k(x) N(y; mu_k(x), s_k(x)^2)``
    for a scalar ``y`` (chapter 5's multimodal example)."""

    def __init__(self, in_dim: int, n_components: int = 2, hidden: int = 64,
                 layers: int = 2, seed: int = 0) -> None:
        super().__init__()
        if n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {n_components}")
        self.k = n_components
        self.net = mlp(in_dim, 3 * n_components, hidden, layers, seed=seed)

    def distribution(self, x: torch.Tensor) -> MixtureSameFamily:
        """The predictive distribution at ``x [B, in]`` (batch shape ``[B]``)."""
        logits, mu, raw = self.net(x).split(self.k, dim=-1)
        std = nn.functional.softplus(raw) + 1e-3
        return MixtureSameFamily(Categorical(logits=logits), Normal(mu, std))

    @torch.no_grad()
    def sample(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """One draw ``[B]`` from :meth:`distribution` at ``x [B, in]`` with an
        explicit generator (``MixtureSameFamily.sample`` takes none).  Same
        draws, in the same order, as that method under a global seed: the
        component first, then every component's Gaussian, then a gather."""
        dist = self.distribution(x)
        probs = dist.mixture_distribution.probs
        comp = torch.multinomial(probs, 1, True, generator=gen)  # [B, 1]
        normal = dist.component_distribution
        draws = torch.normal(normal.loc, normal.scale, generator=gen)  # [B, K]
        return draws.gather(-1, comp).squeeze(-1)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if y.ndim != 2 or y.shape[1] != 1:
            raise ValueError(f"MixtureMLP models a scalar: y must be [B, 1], got "
                             f"{tuple(y.shape)}")
        return -self.distribution(x).log_prob(y[:, 0]).mean()


@dataclass(frozen=True)
class RegressionConfig:
    """Minibatch training of any model with a ``loss(x, y)`` method."""

    epochs: int = 300
    """Passes over the data."""
    batch_size: int = 128
    """Minibatch size."""
    lr: float = 3e-3
    """Adam learning rate."""
    weight_decay: float = 0.0
    """L2 regularisation."""


def _check_xy(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"x and y must be [N, D] arrays, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    return x, y


def fit_regression(model: nn.Module, x, y, cfg: RegressionConfig = RegressionConfig(),
                   seed: int = 0, progress: bool = False) -> list[float]:
    """Minimise ``model.loss`` on ``x [N, in], y [N, out]`` with Adam; returns
    the mean training loss of every epoch."""
    x, y = _check_xy(x, y)
    gen = torch_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history = []
    for _ in tqdm(range(cfg.epochs), desc="fit", disable=not progress, leave=False):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            loss = model.loss(x[idx], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(x))
    return history


class EnsemblePrediction(NamedTuple):
    mean: torch.Tensor        # [B, D] mean of the members' means
    aleatoric: torch.Tensor   # [B, D] mean of the members' variances
    epistemic: torch.Tensor   # [B, D] variance of the members' means
    member_means: torch.Tensor  # [E, B, D]


def split_variance(means: torch.Tensor, variances: torch.Tensor
                   ) -> EnsemblePrediction:
    """The law of total variance over ``E`` members' Gaussians, ``means`` and
    ``variances`` both ``[E, B, D]``.

    ``Var[y] = E_i[var_i] + Var_i[mean_i]``: the first term is the noise each
    member believes is in the data, the second is how much they disagree.
    """
    if means.ndim != 3 or means.shape != variances.shape:
        raise ValueError(f"means and variances must both be [E, B, D], got "
                         f"{tuple(means.shape)} and {tuple(variances.shape)}")
    return EnsemblePrediction(means.mean(0), variances.mean(0),
                              means.var(0, unbiased=False), means)


@torch.no_grad()
def ensemble_predict(model: GaussianEnsemble, x,
                     n_members: int | None = None) -> EnsemblePrediction:
    """Predictive moments of a :class:`GaussianEnsemble` at raw inputs
    ``x [B, in]`` (in raw units), from its first ``n_members`` members (all by
    default).  A deterministic ensemble's aleatoric part is 0."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    E = model.ensemble_size if n_members is None else n_members
    if not 1 <= E <= model.ensemble_size:
        raise ValueError(f"n_members must be in 1..{model.ensemble_size}, got "
                         f"{n_members}")
    means, variances = model.predict(x.expand(model.ensemble_size, *x.shape))
    return split_variance(means[:E], variances[:E])
