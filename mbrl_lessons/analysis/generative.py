"""Chapter 5.2's generative model, measured: a conditional VAE beside the
MSE, Gaussian and mixture models of
:func:`~mbrl_lessons.analysis.model_learning.stochastic_fits`, on the same
two-outcome transition ``y = sin(3x) +- 0.6 + N(0, 0.05^2)``.

Test likelihood says how much probability a model gives the outcomes that
happened; a planner that samples from the model also needs its *samples* to
look like the world's.  :func:`sample_distances` measures that directly: at
each of ``n_inputs`` test inputs ``x`` it draws ``n_samples`` next states from
the model and as many from the true ``p(y | x)``, and takes their 1-D
Wasserstein distance (:func:`scipy.stats.wasserstein_distance`, the mean
distance a unit of probability must move to turn one sample into the other),
averaged over the inputs.  0 is a perfect match; a model that always predicts
the mean of the two outcomes scores about 0.6, the distance to either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from scipy.stats import wasserstein_distance

from mbrl_lessons.analysis.model_learning import (
    StochasticFits,
    bimodal_data,
    stochastic_fits,
)
from mbrl_lessons.core.seeding import make_rng, stream_seed
from mbrl_lessons.models.probabilistic import RegressionConfig, fit_regression
from mbrl_lessons.models.vae import ConditionalVAE, gaussian_kl

Sampler = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def true_bimodal_sample(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of :func:`bimodal_data`'s ``y`` per row of ``x [M, 1]``: ``[M]``."""
    x = np.asarray(x, float)[:, 0]
    sign = np.where(rng.random(len(x)) < 0.5, 1.0, -1.0)
    return np.sin(3 * x) + 0.6 * sign + 0.05 * rng.normal(size=len(x))


def fit_bimodal_cvae(n: int = 1000, epochs: int = 300, seed: int = 0,
                     kl_weight: float = 1.0, z_dim: int = 1, lr: float = 1e-3
                     ) -> ConditionalVAE:
    """A :class:`ConditionalVAE` fitted by :func:`fit_regression` to the same
    training data as :func:`stochastic_fits` at this ``seed`` (its own init,
    noise and minibatch streams).  Adam at ``lr = 1e-3``: in our first
    trials at the 3e-3 the other models use, the VAE collapsed to a Gaussian."""
    x, y = bimodal_data(n, stream_seed(seed, "train data"))
    model = ConditionalVAE(1, 1, z_dim=z_dim, kl_weight=kl_weight,
                           seed=stream_seed(seed, "init", "cvae"))
    fit_regression(model, x, y, RegressionConfig(epochs=epochs, lr=lr),
                   seed=stream_seed(seed, "fit", "cvae"))
    model.eval()
    return model


def samplers(fits: StochasticFits, cvae: ConditionalVAE) -> dict[str, Sampler]:
    """How each model draws one next state per input row: ``x [M, 1] -> [M]``.
    The MSE model's "sample" is its prediction (it has no spread)."""
    def point(x, gen):
        return fits.point(x)[:, 0]

    def gaussian(x, gen):
        mean, var = fits.gaussian(x)
        return (mean + var.sqrt() * torch.randn(mean.shape, generator=gen))[:, 0]

    return {"MSE": point, "Gaussian": gaussian,
            "mixture": lambda x, gen: fits.mixture.sample(x, gen),
            "VAE": lambda x, gen: cvae.sample(x, gen)[:, 0]}


@torch.no_grad()
def sample_distances(models: dict[str, Sampler], n_inputs: int = 21,
                     n_samples: int = 400, seed: int = 0) -> dict[str, float]:
    """Each model's mean 1-D Wasserstein distance between its samples and the
    true next-state distribution, over ``n_inputs`` evenly spaced ``x`` in
    ``[-1, 1]`` (``n_samples`` draws of each per input)."""
    if n_inputs < 1 or n_samples < 2:
        raise ValueError(f"need n_inputs >= 1 and n_samples >= 2, got {n_inputs} "
                         f"and {n_samples}")
    xs = np.linspace(-1, 1, n_inputs)
    rng = make_rng(stream_seed(seed, "true samples"))
    truth = [true_bimodal_sample(np.full((n_samples, 1), x), rng) for x in xs]
    out = {}
    for name, draw in models.items():
        gen = torch.Generator().manual_seed(stream_seed(seed, "model samples", name))
        dists = [wasserstein_distance(
                     draw(torch.full((n_samples, 1), float(x)), gen).numpy(), t)
                 for x, t in zip(xs, truth, strict=True)]
        out[name] = float(np.mean(dists))
    return out


class GenerativeRun(NamedTuple):
    fits: StochasticFits       # the MSE, Gaussian and mixture models
    cvae: ConditionalVAE
    distance: dict             # per model: mean Wasserstein distance of samples
    vae_test_nll: float        # importance-sampled, 100 draws per test point
    vae_kl: float              # mean KL(q(z | x, y) || N(0, I)) on test data, nats


def generative_run(n: int = 1000, epochs: int = 150, vae_epochs: int = 300,
                   seed: int = 0) -> GenerativeRun:
    """All four models on one seed's data, scored by :func:`sample_distances`;
    the VAE also by an importance-sampled test negative log-likelihood and by
    its KL term on the test data :func:`stochastic_fits` uses.  A KL near 0
    means the encoder passes nothing to the decoder: posterior collapse."""
    fits = stochastic_fits(n, epochs, seed)
    cvae = fit_bimodal_cvae(n, vae_epochs, seed)
    tx, ty = (torch.as_tensor(a, dtype=torch.float32)
              for a in bimodal_data(2000, stream_seed(seed, "test data")))
    gen = torch.Generator().manual_seed(stream_seed(seed, "importance", "cvae"))
    with torch.no_grad():
        nll = -float(cvae.log_likelihood(tx, ty, gen).mean())
        kl = float(gaussian_kl(*cvae.encode(tx, ty)).mean())
    dist = sample_distances(samplers(fits, cvae), seed=stream_seed(seed, "distances"))
    return GenerativeRun(fits, cvae, dist, nll, kl)


__all__ = ["GenerativeRun", "fit_bimodal_cvae", "generative_run", "sample_distances",
           "samplers", "true_bimodal_sample"]
