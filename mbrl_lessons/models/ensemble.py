"""The batched ensemble of Gaussian MLPs of chapter 7.

:class:`GaussianEnsemble` holds ``E`` members' weights stacked as
``[E, in, out]`` tensors, so one batched matrix product evaluates every
member at once.  Each member reads a diagonal Gaussian over the (normalised)
target off its last layer: the mean, and a log-variance squashed softly
between two bounds that are themselves learned (Chua et al. 2018, appendix
A.1; mbrl-lib's ``GaussianMLP`` does the same).  With ``probabilistic=False``
the same class is a deterministic ensemble (only the mean is read, trained by
squared error; the predicted variance is 0): PETS's "D" and "DE" ablations.
PETS and MBPO both use the class (MBPO draws the member of every model step
from the elites, :meth:`GaussianEnsemble.random_elites`).

:func:`fit_ensemble` trains it as the PETS and MBPO papers and mbrl-lib do:

- inputs and targets are standardised with one :class:`Normaliser` each
  (statistics of the training rows);
- a held-out share of the rows is set aside (``holdout_ratio``; PETS's own
  code used none, MBPO's a fifth); every member trains on its own
  bootstrap resample of the rest (epistemic spread) by the (beta-)Gaussian
  NLL (aleatoric spread), plus a small penalty that pulls the learned
  log-variance bounds together;
- every ``eval_every`` steps each member's held-out score (its NLL, or
  squared error if deterministic) is measured; a member keeps the weights of
  its best check, and training stops once no member has improved for
  ``patience`` checks in a row;
- the ``n_elites`` members with the lowest held-out score are the *elites*
  (MBPO draws its rollout members from them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.seeding import torch_generator


class Normaliser(nn.Module):
    """Per-dimension standardisation ``z = (x - mean) / std``; ``mean`` and
    ``std`` are buffers (saved with the model, never trained)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, x: torch.Tensor) -> None:
        """Set the statistics from rows ``x [N >= 2, dim]``: the mean and the
        sample std, at least 1e-6 (so a dimension that was constant in these
        rows is divided by 1e-6)."""
        if x.ndim != 2 or x.shape[1] != len(self.mean) or len(x) < 2:
            raise ValueError(f"x must be [N >= 2, {len(self.mean)}], got "
                             f"{tuple(x.shape)}")
        self.mean.copy_(x.mean(0))
        self.std.copy_(x.std(0).clamp_min(1e-6))

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def denormalise(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.std + self.mean


def batched_gaussian_forward(h: torch.Tensor, weights: Sequence[torch.Tensor],
                             biases: Sequence[torch.Tensor], out_dim: int,
                             min_logvar: torch.Tensor | float,
                             max_logvar: torch.Tensor | float,
                             ) -> tuple[torch.Tensor, torch.Tensor]:
    """``h [E, B, in]`` through SiLU layers ``weights[i] [E, a, b]``,
    ``biases[i] [E, 1, b]`` -> ``mean, logvar [E, B, out_dim]``.

    The last layer outputs ``2 * out_dim`` numbers: the mean and a raw
    log-variance, which is squashed softly between the bounds."""
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.baddbmm(b, h, w)  # every member's layer in one product
        if i < len(weights) - 1:
            h = nn.functional.silu(h)
    mean, raw = h.split(out_dim, dim=-1)
    # soft clamp into [min_logvar, max_logvar]: smooth, so gradients never
    # vanish at a bound, and the bounds themselves get gradients
    logvar = max_logvar - nn.functional.softplus(max_logvar - raw)
    logvar = min_logvar + nn.functional.softplus(logvar - min_logvar)
    return mean, logvar


def gaussian_nll(mean: torch.Tensor, logvar: torch.Tensor, target: torch.Tensor,
                 beta: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian negative log-likelihood (up to a constant and a factor 2) of
    ``target`` under ``N(mean, exp(logvar))``, all ``[E, B, out]``: the mean
    over rows and dimensions, summed over members.  Returns ``(objective, nll)``.

    ``nll`` is the plain NLL.  ``objective`` is what to minimise: the beta-NLL
    of Seitzer et al. 2022, where each element's NLL is weighted by its
    predicted variance to the power ``beta`` with no gradient through the
    weight, ``sigma^(2 beta)``.  ``beta = 0`` is the plain NLL (``objective``
    is then ``nll`` itself)."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    per_elem = (mean - target) ** 2 * torch.exp(-logvar) + logvar
    nll = per_elem.mean((1, 2)).sum()
    if not beta:
        return nll, nll
    weight = torch.exp(beta * logvar.detach())  # sigma^(2 beta)
    return (weight * per_elem).mean((1, 2)).sum(), nll


class GaussianEnsemble(nn.Module):
    """``E`` MLPs with batched weights ``[E, in, out]`` and SiLU hidden layers,
    each predicting a diagonal Gaussian over ``y`` given ``x``.

    :meth:`forward` and :meth:`loss` work in normalised units (``in_norm``,
    ``out_norm``, set by :func:`fit_ensemble`); :meth:`predict` and
    :meth:`sample` take and return raw units.  ``probabilistic=False`` ignores
    the variance outputs: the members' means train by squared error and their
    predicted variance is 0 (the layers stay the same, so a deterministic and
    a probabilistic ensemble built with one seed start from the same weights).
    """

    def __init__(self, in_dim: int, out_dim: int, ensemble_size: int = 5,
                 hidden: int = 64, layers: int = 2, *, probabilistic: bool = True,
                 n_elites: int | None = None, init_min_logvar: float = -10.0,
                 init_max_logvar: float = 0.5, seed: int = 0) -> None:
        super().__init__()
        if min(in_dim, out_dim, ensemble_size, hidden, layers) < 1:
            raise ValueError("in_dim, out_dim, ensemble_size, hidden and layers must "
                             f"be >= 1, got {in_dim}, {out_dim}, {ensemble_size}, "
                             f"{hidden}, {layers}")
        n_elites = ensemble_size if n_elites is None else n_elites
        if not 1 <= n_elites <= ensemble_size:
            raise ValueError(f"n_elites must be in 1..{ensemble_size}, got {n_elites}")
        if not init_min_logvar < init_max_logvar:
            raise ValueError(f"init_min_logvar ({init_min_logvar}) must be below "
                             f"init_max_logvar ({init_max_logvar})")
        self.in_dim, self.out_dim, self.ensemble_size = in_dim, out_dim, ensemble_size
        self.probabilistic, self.n_elites = probabilistic, n_elites
        gen = torch_generator(seed)
        # a deterministic ensemble keeps the same layers (its variance outputs
        # are ignored), so PE and DE start from the same weights for a seed
        dims = [in_dim] + [hidden] * layers + [2 * out_dim]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            bound = 1 / math.sqrt(a)  # nn.Linear's default scale, one draw per member
            self.weights.append(nn.Parameter(
                (torch.rand(ensemble_size, a, b, generator=gen) * 2 - 1) * bound))
            self.biases.append(nn.Parameter(torch.zeros(ensemble_size, 1, b)))
        # learned soft bounds of the log-variance (normalised units), shared by
        # the members, as in PETS and mbrl-lib
        self.min_logvar = nn.Parameter(torch.full((out_dim,), init_min_logvar),
                                       requires_grad=probabilistic)
        self.max_logvar = nn.Parameter(torch.full((out_dim,), init_max_logvar),
                                       requires_grad=probabilistic)
        self.in_norm, self.out_norm = Normaliser(in_dim), Normaliser(out_dim)
        self.register_buffer("elites", torch.arange(n_elites))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Normalised ``x [E, B, in]`` -> normalised ``mean, logvar [E, B, out]``
        (``logvar`` is None for a deterministic ensemble)."""
        if x.ndim != 3 or x.shape[0] != self.ensemble_size or x.shape[2] != self.in_dim:
            raise ValueError(f"x must be [{self.ensemble_size}, B, {self.in_dim}], got "
                             f"{tuple(x.shape)}")
        mean, logvar = batched_gaussian_forward(x, self.weights, self.biases,
                                                self.out_dim, self.min_logvar,
                                                self.max_logvar)
        return mean, logvar if self.probabilistic else None

    def loss(self, x: torch.Tensor, y: torch.Tensor, beta: float = 0.0,
             bound_weight: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
        """``(objective, fit)`` on normalised ``x [E, B, in]``, ``y [E, B, out]``,
        summed over members.  Probabilistic: the (beta-)Gaussian NLL plus
        ``bound_weight * (sum(max_logvar) - sum(min_logvar))``, which keeps the
        learned bounds as tight as the data allows; ``fit`` is the plain NLL.
        Deterministic: both are the mean squared error."""
        mean, logvar = self(x)
        if logvar is None:
            mse = ((mean - y) ** 2).mean((1, 2)).sum()
            return mse, mse
        objective, nll = gaussian_nll(mean, logvar, y, beta)
        bounds = self.max_logvar.sum() - self.min_logvar.sum()
        return objective + bound_weight * bounds, nll

    def predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw ``x [E, B, in]`` -> each member's raw ``mean, var [E, B, out]``."""
        mean, logvar = self(self.in_norm.normalise(x))
        var = (torch.zeros_like(mean) if logvar is None
               else logvar.exp() * self.out_norm.std ** 2)
        return self.out_norm.denormalise(mean), var

    @torch.no_grad()
    def sample(self, x: torch.Tensor, member: torch.Tensor,
               gen: torch.Generator) -> torch.Tensor:
        """One draw of ``y`` per row of raw ``x [B, in]`` from member
        ``member[b]`` (``[B]`` ints), in raw units -> ``[B, out]``."""
        mean, var = self.predict(x.expand(self.ensemble_size, *x.shape))
        rows = torch.arange(len(x))
        mean, var = mean[member, rows], var[member, rows]
        return mean + var.sqrt() * torch.randn(mean.shape, generator=gen)

    def random_elites(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """``[n]`` member indices drawn uniformly (with replacement) from the
        elites: MBPO asks one such member for every transition of its rollouts,
        so a member that fits the held-out data badly is never used."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be an int >= 0, got {n!r}")
        return self.elites[torch.randint(len(self.elites), (n,), generator=gen)]


@dataclass(frozen=True)
class EnsembleTrainConfig:
    """How :func:`fit_ensemble` trains a :class:`GaussianEnsemble`."""

    steps: int = 400
    """The most gradient steps per fit (every member takes one per step; 0:
    no training, a broken-model control)."""
    batch_size: int = 64
    """Rows per member per step."""
    lr: float = 1e-3
    """Adam learning rate."""
    weight_decay: float = 1e-5
    """L2 penalty on all parameters."""
    bound_weight: float = 0.01
    """Weight of ``sum(max_logvar) - sum(min_logvar)`` (PETS uses 0.01)."""
    bootstrap: bool = True
    """Each member draws its own training rows with replacement."""
    beta: float = 0.5
    """beta-NLL (Seitzer et al. 2022): each element's NLL is weighted by its
    predicted variance to the power ``beta``, with no gradient through the
    weight.  0 is the plain NLL, which on a noise-free system can explain its
    own mean error away as variance and stop fitting the mean."""
    holdout_ratio: float = 0.0
    """Share of the rows held out to pick each member's best weights, stop
    early and choose the elites (MBPO's code holds out 0.2).  0, the default
    as in PETS's code: every row trains, every step counts, and the members
    keep their order as elites."""
    eval_every: int = 50
    """Steps between held-out evaluations."""
    patience: int = 5
    """Stop after this many evaluations in which no member improved by more
    than ``improvement`` (relative)."""
    improvement: float = 0.01
    """Drop of a member's held-out score, relative to its best so far, that
    counts as better (mbrl-lib's threshold)."""

    def __post_init__(self) -> None:
        for name, least in (("steps", 0), ("batch_size", 1), ("eval_every", 1),
                            ("patience", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"EnsembleTrainConfig.{name} must be an int >= "
                                 f"{least}, got {v!r}")
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {self.beta}")
        if not 0.0 <= self.holdout_ratio < 1.0:
            raise ValueError(f"holdout_ratio must be in [0, 1), got "
                             f"{self.holdout_ratio}")
        if self.lr <= 0 or self.weight_decay < 0 or self.bound_weight < 0 \
                or self.improvement < 0:
            raise ValueError("lr must be > 0 and weight_decay, bound_weight and "
                             "improvement >= 0")


class FitResult(NamedTuple):
    train_loss: list[float]     # plain NLL (or MSE) of every step taken
    holdout: list[list[float]]  # [checks][E] held-out score (see holdout_score)
    best: list[float]           # [E] each member's held-out score at its kept weights
    steps: int                  # gradient steps taken (< cfg.steps: stopped early)
    elites: list[int]           # the members with the lowest held-out score


@torch.no_grad()
def holdout_score(model: GaussianEnsemble, xn: torch.Tensor,
                  yn: torch.Tensor) -> torch.Tensor:
    """Each member's score on normalised held-out rows ``[N, .]`` -> ``[E]``,
    lower is better: the plain Gaussian NLL, or the squared error for a
    deterministic ensemble.  (mbrl-lib scores by squared error alone; the NLL
    also counts the variance, which keeps improving after the mean has
    settled, so selecting by squared error would throw that learning away.)"""
    mean, logvar = model(xn.expand(model.ensemble_size, *xn.shape))
    if logvar is None:
        return ((mean - yn) ** 2).mean((1, 2))
    return ((mean - yn) ** 2 * torch.exp(-logvar) + logvar).mean((1, 2))


def fit_ensemble(model: GaussianEnsemble, x, y,
                 cfg: EnsembleTrainConfig = EnsembleTrainConfig(), seed: int = 0,
                 normalise: bool = True) -> FitResult:
    """Train ``model`` on raw ``x [N, in]``, ``y [N, out]`` (see the module
    docstring); sets ``model.elites``.  ``normalise`` refits the input/output
    statistics on the training rows first (keep them when continuing to train
    on the same data).  Warm-starts from the current weights."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 1:
        raise ValueError(f"x and y must be [N, in] and [N, out] with the same N >= 1,"
                         f" got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[1] != model.in_dim or y.shape[1] != model.out_dim:
        raise ValueError(f"model maps {model.in_dim} -> {model.out_dim} dims, data "
                         f"has {x.shape[1]} -> {y.shape[1]}")
    gen, E = torch_generator(seed), model.ensemble_size
    # 1. hold out a share of the rows (none if that leaves fewer than 1 row)
    n_hold = int(cfg.holdout_ratio * len(x))
    perm = torch.randperm(len(x), generator=gen) if n_hold else torch.arange(len(x))
    hold, train = perm[:n_hold], perm[n_hold:]
    # 2. normalise by the training rows' statistics
    if normalise:
        model.in_norm.fit(x[train])
        model.out_norm.fit(y[train])
    xn, yn = model.in_norm.normalise(x), model.out_norm.normalise(y)
    x_hold, y_hold, xn, yn = xn[hold], yn[hold], xn[train], yn[train]
    N = len(xn)
    # 3. each member's own bootstrap resample of the training rows
    rows = (torch.randint(N, (E, N), generator=gen) if cfg.bootstrap
            else torch.arange(N).expand(E, N))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    losses, history = [], []
    best = holdout_score(model, x_hold, y_hold) if n_hold else torch.full((E,), np.inf)
    kept = [p.detach().clone() for p in _member_params(model)]
    stale, step, last_eval = 0, 0, 0

    def check() -> bool:
        """Held-out check: a member that improved keeps its new weights.
        Returns whether any member improved."""
        nonlocal best
        score = holdout_score(model, x_hold, y_hold)
        history.append(score.tolist())
        better = best - score > cfg.improvement * best.abs()
        for p, k in zip(_member_params(model), kept, strict=True):
            k[better] = p.detach()[better]
        best = torch.where(better, score, best)
        return bool(better.any())

    for step in range(1, cfg.steps + 1):
        # 4. one Adam step for every member, each on a minibatch of its resample
        pick = torch.randint(N, (E, min(cfg.batch_size, N)), generator=gen)
        idx = torch.gather(rows, 1, pick)  # [E, B]
        objective, fit = model.loss(xn[idx], yn[idx], cfg.beta, cfg.bound_weight)
        opt.zero_grad()
        objective.backward()
        opt.step()
        losses.append(fit.item())
        if n_hold and step % cfg.eval_every == 0:
            # 5. early stopping: no member better for `patience` checks in a row
            last_eval = step
            stale = 0 if check() else stale + 1
            if stale >= cfg.patience:
                break
    if n_hold:
        if last_eval != step:
            check()  # the weights after the last step get their chance too
        # 6. every member returns to its best weights; the best are the elites
        with torch.no_grad():
            for p, k in zip(_member_params(model), kept, strict=True):
                p.copy_(k)
        model.elites = torch.argsort(best)[:model.n_elites].sort().values
    else:
        model.elites = torch.arange(model.n_elites)
    return FitResult(losses, history, best.tolist(), step, model.elites.tolist())


def _member_params(model: GaussianEnsemble) -> list[torch.Tensor]:
    """The parameters with a leading member axis (all but the shared
    log-variance bounds, which keep their last values)."""
    return [*model.weights, *model.biases]
