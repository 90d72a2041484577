"""§5.3: three approximations of a Bayesian neural network, side by side.

The same small network (two hidden layers of 64 SiLU units, trained by mean
squared error on the pendulum's state change) is turned into a predictive
distribution three ways:

- **ensemble**: ``E`` networks, each from its own initial weights and on its
  own bootstrap resample; the spread of their means is the epistemic
  variance (Lakshminarayanan et al. 2017).  They are the batched
  :class:`~mbrl_lessons.models.ensemble.GaussianEnsemble` of PETS and MBPO
  with its variance heads switched off (``probabilistic=False``), so that all
  three methods train the same network by squared error;
- **MC dropout**: one network trained with dropout and kept stochastic at
  test time; the spread of ``T`` sampled predictions is the epistemic
  variance (Gal & Ghahramani 2016);
- **last-layer Laplace**: one network; its last linear layer gets a
  Gaussian posterior centred at the trained weights with precision
  ``Psi^T Psi / s^2 + lambda I`` (the exact Hessian of the loss in those
  weights), ``lambda`` chosen by the Laplace approximation of the marginal
  likelihood (MacKay 1992; Daxberger et al. 2021).

Each adds the same kind of noise variance ``s_d^2`` per output dimension:
the mean squared residual of its own mean prediction on the training data.
:func:`calibration_check` trains all three on random-torque episodes that
start hanging and scores their predictive Gaussians on held-out transitions
from the same distribution (``near``) and on states from the whole state
space (``far``): how often the truth falls inside each central interval
(a calibration curve), the Gaussian negative log-likelihood, and how well
the predicted standard deviation ranks the true error.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from scipy.stats import norm
from torch import nn

from mbrl_lessons.analysis.model_learning import (
    _ranks,
    pendulum_trajectories,
    transitions,
)
from mbrl_lessons.core.seeding import stream_seed, torch_generator, torch_seeded
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.models.probabilistic import PointMLP, RegressionConfig, fit_regression

METHODS = ("ensemble", "mc_dropout", "laplace")
LEVELS = np.linspace(0.05, 0.95, 19)
"""The central-interval probabilities of the calibration curve."""
PRIOR_PRECISIONS = np.logspace(-4, 4, 33)
"""The grid over which the Laplace prior precision is chosen."""


class Predictive(NamedTuple):
    mean: np.ndarray  # [N, D]
    var: np.ndarray   # [N, D] epistemic + noise variance


class DropoutMLP(nn.Module):
    """An MLP with dropout (rate ``p``) after every hidden layer, its masks
    drawn from an explicit ``torch.Generator`` so that runs repeat."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 64, layers: int = 2,
                 p: float = 0.1, seed: int = 0) -> None:
        super().__init__()
        if not 0.0 < p < 1.0:
            raise ValueError(f"dropout rate p must be in (0, 1), got {p}")
        self.p = p
        with torch_seeded(seed):
            dims = [in_dim] + [hidden] * layers
            self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(
                dims[:-1], dims[1:], strict=True))
            self.out = nn.Linear(dims[-1], out_dim)
        self.gen = torch_generator(stream_seed(seed, "dropout_masks"))

    def forward(self, x: torch.Tensor, dropout: bool = True) -> torch.Tensor:
        for layer in self.hidden:
            x = nn.functional.silu(layer(x))
            if dropout:
                keep = torch.full_like(x, 1 - self.p)
                x = x * torch.bernoulli(keep, generator=self.gen) / (1 - self.p)
        return self.out(x)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((self(x) - y) ** 2).mean()


def _noise_var(mean: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``s_d^2``: the mean squared training residual of each output dimension."""
    return ((mean - y) ** 2).mean(axis=0) + 1e-12


@torch.no_grad()
def ensemble_predictive(model: GaussianEnsemble, x_train, y_train,
                        x) -> Predictive:
    """Mean of the members' means; variance of the means plus ``s_d^2`` (any
    variance the members predict themselves is not used)."""
    def means(z):
        z = torch.as_tensor(np.asarray(z), dtype=torch.float32)
        return model.predict(z.expand(model.ensemble_size, *z.shape))[0].numpy()

    noise = _noise_var(means(x_train).mean(0), y_train)
    m = means(x)
    return Predictive(m.mean(0), m.var(0) + noise)


@torch.no_grad()
def dropout_predictive(model: DropoutMLP, x_train, y_train, x,
                       n_samples: int = 50) -> Predictive:
    """MC dropout: ``n_samples`` stochastic passes; their mean, and their
    variance plus ``s_d^2`` (from the MC mean on the training data)."""
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")

    def samples(z):
        z = torch.as_tensor(z, dtype=torch.float32)
        return torch.stack([model(z) for _ in range(n_samples)]).numpy()

    noise = _noise_var(samples(x_train).mean(0), y_train)
    s = samples(x)
    return Predictive(s.mean(0), s.var(0) + noise)


class LaplaceFit(NamedTuple):
    prior_precision: float       # lambda, chosen by the marginal likelihood
    noise_var: np.ndarray        # [D] s_d^2
    covariances: np.ndarray      # [D, F+1, F+1] posterior covariance per output
    log_evidence: np.ndarray     # [len(grid)] the criterion over the grid


def _features(model: PointMLP, x) -> np.ndarray:
    """The last hidden layer's activations with a constant 1 for the bias."""
    with torch.no_grad():
        h = model.net[:-1](torch.as_tensor(x, dtype=torch.float32)).numpy()
    return np.hstack([h, np.ones((len(h), 1))]).astype(float)


def fit_last_layer_laplace(model: PointMLP, x_train, y_train,
                           grid=PRIOR_PRECISIONS) -> LaplaceFit:
    """A Gaussian posterior over the last layer's weights of a trained
    :class:`PointMLP`, centred at those weights.

    With features ``Psi`` (the last hidden layer plus a 1), noise ``s_d^2``
    and a prior ``N(0, I / lambda)``, the log-posterior's Hessian in output
    ``d``'s weights ``w_d`` is ``-(Psi^T Psi / s_d^2 + lambda I)`` exactly (the
    layer is linear).  ``lambda`` maximises the Laplace approximation of the
    marginal likelihood summed over outputs, up to terms free of lambda:
    ``(P/2) log lambda - (lambda/2) ||w_d||^2 - (1/2) log det H_d``."""
    psi = _features(model, x_train)
    last = model.net[-1]
    w = torch.cat([last.weight, last.bias[:, None]], 1).detach().numpy().astype(float)
    with torch.no_grad():
        mean = model(torch.as_tensor(x_train, dtype=torch.float32)).numpy()
    noise = _noise_var(mean, y_train)
    gram = psi.T @ psi
    eig = np.linalg.eigvalsh(gram)
    P = psi.shape[1]
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 1 or (grid <= 0).any():
        raise ValueError("grid must be a 1-d array of positive prior precisions")
    evidence = np.array([sum(P / 2 * np.log(lam) - lam / 2 * w[d] @ w[d]
                             - 0.5 * np.log(eig / noise[d] + lam).sum()
                             for d in range(len(noise))) for lam in grid])
    lam = float(grid[int(np.argmax(evidence))])
    covs = np.stack([np.linalg.inv(gram / noise[d] + lam * np.eye(P))
                     for d in range(len(noise))])
    return LaplaceFit(lam, noise, covs, evidence)


def laplace_predictive(model: PointMLP, fit: LaplaceFit, x) -> Predictive:
    """The network's output; variance ``psi(x)^T Sigma_d psi(x) + s_d^2``."""
    psi = _features(model, x)
    with torch.no_grad():
        mean = model(torch.as_tensor(x, dtype=torch.float32)).numpy()
    epi = np.einsum("nf,dfg,ng->nd", psi, fit.covariances, psi)
    return Predictive(mean, epi + fit.noise_var)


def calibration_curve(pred: Predictive, y: np.ndarray,
                      levels: np.ndarray = LEVELS) -> np.ndarray:
    """For each ``p`` in ``levels``, the fraction of test values (all
    dimensions pooled) inside the predictive Gaussian's central ``p``
    interval; a calibrated model gives back ``levels``."""
    z = np.abs(y - pred.mean) / np.sqrt(pred.var)
    half = norm.ppf((1 + np.asarray(levels)) / 2)
    return (z.ravel()[None, :] <= half[:, None]).mean(axis=1)


def scores(pred: Predictive, y: np.ndarray) -> dict:
    """Calibration error (the mean of ``abs(observed - nominal)`` over
    ``LEVELS``), the coverage of the central 90% interval, the Gaussian NLL
    per dimension, and the rank correlation of the predicted std with the
    error."""
    curve = calibration_curve(pred, y)
    nll = 0.5 * (np.log(2 * np.pi * pred.var) + (y - pred.mean) ** 2 / pred.var)
    err = np.linalg.norm(y - pred.mean, axis=1)
    std = np.sqrt(pred.var.sum(axis=1))
    return {"calibration_error": float(np.abs(curve - LEVELS).mean()),
            "coverage_90": float(calibration_curve(pred, y, np.array([0.9]))[0]),
            "nll": float(nll.mean()),
            "rank_correlation": float(np.corrcoef(_ranks(std), _ranks(err))[0, 1]),
            "curve": curve.tolist()}


def calibration_check(seed: int = 0, n_train: int = 40, n_test: int = 2000,
                      epochs: int = 150, n_members: int = 5, p: float = 0.1,
                      n_samples: int = 50) -> dict:
    """Train the three approximations on ``n_train`` random-torque episodes
    of 50 steps that start hanging; score each on ``n_test`` held-out
    transitions from the same kind of episodes (``near``) and on ``n_test``
    transitions from states spread over the whole state space (``far``).

    Returns ``{method: {"near": scores, "far": scores}}`` (see
    :func:`scores`) and the chosen Laplace prior precision."""
    o, a, nx = transitions(*pendulum_trajectories(
        n_train, 50, stream_seed(seed, "train"), start="hanging"))
    x, d = np.hstack([o, a]), nx - o
    mu, sd = x.mean(0), x.std(0) + 1e-6
    dmu, dsd = d.mean(0), d.std(0) + 1e-6
    xn, yn = (x - mu) / sd, (d - dmu) / dsd
    tests = {}
    n_near = max(1, n_test // 50)
    for name, (n_traj, length, start) in {"near": (n_near, 50, "hanging"),
                                          "far": (n_test, 1, "any")}.items():
        to, ta, tn = transitions(*pendulum_trajectories(
            n_traj, length, stream_seed(seed, "test", name), start=start))
        tests[name] = ((np.hstack([to, ta]) - mu) / sd, (tn - to - dmu) / dsd)
    cfg = RegressionConfig(epochs=epochs, batch_size=256)
    # the ensemble takes as many Adam steps as the single networks (epochs x
    # minibatches), each member on its own bootstrap resample, no held-out
    # early stopping (none of the three stops early)
    ensemble = GaussianEnsemble(4, 3, n_members, probabilistic=False,
                                seed=stream_seed(seed, "ensemble"))
    fit_ensemble(ensemble, xn, yn, EnsembleTrainConfig(
        steps=epochs * -(-len(xn) // cfg.batch_size), batch_size=cfg.batch_size,
        lr=cfg.lr, weight_decay=cfg.weight_decay, bootstrap=True),
        seed=stream_seed(seed, "ensemble_fit"))
    dropout = DropoutMLP(4, 3, p=p, seed=stream_seed(seed, "dropout"))
    fit_regression(dropout, xn, yn, cfg, seed=stream_seed(seed, "dropout_fit"))
    point = PointMLP(4, 3, seed=stream_seed(seed, "laplace"))
    fit_regression(point, xn, yn, cfg, seed=stream_seed(seed, "laplace_fit"))
    lap = fit_last_layer_laplace(point, xn, yn)
    out: dict = {"laplace_prior_precision": lap.prior_precision}
    for method in METHODS:
        out[method] = {}
        for name, (tx, ty) in tests.items():
            if method == "ensemble":
                pred = ensemble_predictive(ensemble, xn, yn, tx)
            elif method == "mc_dropout":
                pred = dropout_predictive(dropout, xn, yn, tx, n_samples)
            else:
                pred = laplace_predictive(point, lap, tx)
            out[method][name] = scores(pred, ty)
    return out
