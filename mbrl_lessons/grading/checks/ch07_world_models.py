"""Checks for ``exercises/ch07_world_models.ipynb`` (§7.1, World Models)."""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)


# --------------------------------------------------------- the negative ELBO
def _elbo(ns, x, x_hat, mu, log_var, beta):
    out = get_function(ns, "neg_elbo")(x, x_hat, mu, log_var, beta)
    if not (isinstance(out, tuple | list) and len(out) == 3):
        raise AssertionError("neg_elbo should return the triple (loss, recon, kl)")
    return tuple(float(as_array(v, n, shape=())) for v, n in
                 zip(out, ("loss", "recon", "kl"), strict=True))


def elbo_hand(ns):
    x = np.array([[0.0, 1.0, 0.5]])
    x_hat = np.array([[0.1, 0.8, 0.5]])
    mu, log_var = np.array([[1.0, 0.0]]), np.array([[0.0, math.log(4.0)]])
    loss, recon, kl = _elbo(ns, x, x_hat, mu, log_var, 0.5)
    want_recon = -(math.log(0.9) + math.log(0.8) + math.log(0.5))
    assert_close(recon, want_recon, "recon of pixels 0 -> 0.1, 1 -> 0.8, 0.5 -> 0.5",
                 hint="-(x log x_hat + (1 - x) log(1 - x_hat)), summed over pixels")
    want_kl = 0.5 + 0.5 * (4 - 1 - math.log(4))
    assert_close(kl, want_kl, "KL of mu = (1, 0), variances (1, 4)",
                 hint="1/2 sum(mu^2 + exp(log_var) - 1 - log_var): exp of the "
                      "LOG-variance is the variance")
    assert_close(loss, want_recon + 0.5 * want_kl, "loss with beta = 0.5",
                 hint="loss = recon + beta * kl")


def elbo_random(ns):
    rng = np.random.default_rng(11)
    b, p, d = 6, 20, 3
    x = rng.uniform(0, 1, (b, p))
    x_hat = rng.uniform(0.05, 0.95, (b, p))
    mu, log_var = rng.normal(size=(b, d)), rng.normal(0, 0.5, (b, d))
    recon = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(-1)
    kl = 0.5 * (mu ** 2 + np.exp(log_var) - 1 - log_var).sum(-1)
    got = _elbo(ns, x, x_hat, mu, log_var, 2.0)
    assert_close(got, [(recon + 2 * kl).mean(), recon.mean(), kl.mean()],
                 "(loss, recon, kl) of 6 random frames with beta = 2", atol=1e-8,
                 hint="sum over pixels and code dimensions, then the mean over frames")


# ---------------------------------------------- sampling with a temperature
def _sample(ns, logits, means, stds, tau, u, eps):
    out = get_function(ns, "sample_at_temperature")(logits, means, stds, tau, u, eps)
    return as_array(out, "sample_at_temperature's result", shape=eps.shape)


def _ref_sample(logits, means, stds, tau, u, eps):
    rows = np.arange(len(logits))
    if tau == 0:
        return means[rows, logits.argmax(-1)]
    z = logits / tau
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    k = (np.cumsum(p, -1) <= u[:, None]).sum(-1).clip(max=logits.shape[1] - 1)
    return means[rows, k] + np.sqrt(tau) * stds[rows, k] * eps


def temperature_hand(ns):
    logits = np.array([[1.0, 0.0]] * 3)
    means = np.array([[[-1.0], [1.0]]] * 3)
    stds = np.full((3, 2, 1), 0.5)
    eps = np.array([[1.0], [1.0], [1.0]])
    # softmax([1, 0]) = (0.731, 0.269): u = 0.5 picks component 0, u = 0.9 component 1
    got = _sample(ns, logits, means, stds, 1.0, np.array([0.5, 0.9, 0.72]), eps)
    assert_close(got[:, 0], [-0.5, 1.5, -0.5], "tau = 1: components 0, 1, 0 plus "
                 "0.5 * eps", hint="the first k whose CUMULATIVE probability exceeds u")
    # tau = 4: weights softmax([0.25, 0]) = (0.562, 0.438), spread sqrt(4) * 0.5 = 1
    got = _sample(ns, logits, means, stds, 4.0, np.array([0.5, 0.6, 0.1]), eps)
    assert_close(got[:, 0], [0.0, 2.0, 0.0], "tau = 4: the weights flatten and the "
                 "spread doubles", hint="divide the logits by tau and multiply the "
                 "standard deviation by sqrt(tau), not by tau")
    got = _sample(ns, logits, means, stds, 0.0, np.array([0.99, 0.99, 0.99]), eps)
    assert_close(got[:, 0], [-1.0, -1.0, -1.0], "tau = 0: the mean of the most "
                 "likely component, no noise", hint="handle tau == 0 separately")


def temperature_random(ns):
    rng = np.random.default_rng(5)
    b, k, d = 40, 4, 3
    logits, means = rng.normal(size=(b, k)), rng.normal(size=(b, k, d))
    stds = rng.uniform(0.1, 1.0, (b, k, d))
    u, eps = rng.uniform(size=b), rng.normal(size=(b, d))
    for tau in (0.1, 1.0, 1.7):
        assert_close(_sample(ns, logits, means, stds, tau, u, eps),
                     _ref_sample(logits, means, stds, tau, u, eps),
                     f"40 random mixtures of 4 components at tau = {tau}", atol=1e-8,
                     hint="softmax(logits / tau) per row; then means[b, k] + "
                          "sqrt(tau) * stds[b, k] * eps[b]")


EXERCISES = [
    Exercise("ch07_vae_elbo", "The VAE's negative ELBO", "ch07_world_models",
             ("neg_elbo",),
             (Check("one frame by hand", 2, elbo_hand),
              Check("random frames, beta = 2", 2, elbo_random)),
             hint="recon: binary cross-entropy summed over pixels; kl: "
                  "1/2 sum(mu^2 + exp(log_var) - 1 - log_var); means over frames",
             forbidden=("mbrl_lessons.models.vae.vae_loss",
                        "mbrl_lessons.models.vae.gaussian_kl")),
    Exercise("ch07_mdn_temperature", "Sampling a mixture at a temperature",
             "ch07_world_models", ("sample_at_temperature",),
             (Check("two components by hand, tau = 1, 4 and 0", 2, temperature_hand),
              Check("random mixtures vs the reference", 2, temperature_random)),
             hint="k from softmax(logits / tau) and u; sample = mean_k + "
                  "sqrt(tau) std_k eps",
             forbidden=("mbrl_lessons.models.mdn.mdn_sample",)),
]
