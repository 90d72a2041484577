# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
# ---

# %% [markdown]
# # Exercises for §7.1: World Models
#
# Two small functions at the heart of World Models: the loss of its VAE (the
# negative ELBO) and sampling its mixture density network at a temperature.
# Write each function in numpy in the cell that raises `NotImplementedError`,
# then run the `check(...)` cell under it.

# %%
# Running in Colab? Install this course's release and run the FAST budget
# (Colab's free CPU; a no-op elsewhere). Written by tools/colab_cells.py from
# _config.yml: change the release there, not here.
import os
import sys
if "google.colab" in sys.modules:
    import subprocess
    os.environ.setdefault("MBRL_LESSONS_FAST", "1")
    # pip adds only what Colab lacks: Colab's torch, numpy and ipywidgets
    # already satisfy the package's version ranges and are left as they are
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mbrl-lessons @ git+https://github.com/mbrl-lessons/mbrl-lessons@v0.1.0"], check=True)

# %%
import numpy as np
import numpy as np

from mbrl_lessons.grading import check

# %% [markdown]
# ## Exercise 1 — the VAE's negative ELBO (`ch07_vae_elbo`, 4 points)
#
# V encodes a frame into a diagonal Gaussian $q(z \mid x) = \mathcal N(\mu,
# \operatorname{diag} e^{\ell})$ ($\ell$ the log-variances) and decodes a code
# into pixel probabilities $\hat x$. Its loss per frame is
#
# $$
# -\sum_{p} \big[x_p \ln \hat x_p + (1 - x_p) \ln(1 - \hat x_p)\big]
# \;+\; \beta \cdot \tfrac12 \sum_j \big(\mu_j^2 + e^{\ell_j} - 1 - \ell_j\big),
# $$
#
# the reconstruction term (a binary cross-entropy summed over pixels) plus
# $\beta$ times the KL divergence from $q$ to $\mathcal N(0, I)$. Write
# `neg_elbo(x, x_hat, mu, log_var, beta)` for frames `x`, `x_hat` of shape
# `[B, P]` (flattened pixels, `x_hat` strictly inside (0, 1)) and `mu`,
# `log_var` of shape `[B, D]`, returning `(loss, recon, kl)`: each the mean
# over the `B` frames, with `loss = recon + beta * kl`.

# %%
def neg_elbo(x, x_hat, mu, log_var, beta):
    # BEGIN SOLUTION
    recon = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(-1)
    kl = 0.5 * (mu ** 2 + np.exp(log_var) - 1 - log_var).sum(-1)
    return float((recon + beta * kl).mean()), float(recon.mean()), float(kl.mean())
    # END SOLUTION


print(neg_elbo(np.array([[0.0, 1.0]]), np.array([[0.1, 0.8]]), np.array([[1.0]]),
               np.array([[0.0]]), 1.0))

# %%
check("ch07_vae_elbo", globals())

# %% [markdown]
# ## Exercise 2 — sampling a mixture at a temperature (`ch07_mdn_temperature`, 4 points)
#
# M's mixture has, for each of `B` rows, `K` logits $\ell_k$, means
# $\mu_k \in \mathbb R^D$ and standard deviations $\sigma_k$. World Models
# samples it at a temperature $\tau > 0$: the component from
# $\operatorname{softmax}(\ell / \tau)$, then $\mu_k + \sqrt\tau\,\sigma_k\,
# \varepsilon$. Write `sample_at_temperature(logits, means, stds, tau, u,
# eps)` with `logits [B, K]`, `means`, `stds [B, K, D]`, and the random draws
# given so the result is deterministic: `u [B]` uniform on [0, 1) picks the
# component (the first `k` whose cumulative probability exceeds `u[b]`), `eps
# [B, D]` standard normal. For `tau == 0` return the mean of the most likely
# component (the largest logit). Return the samples `[B, D]`.

# %%
def sample_at_temperature(logits, means, stds, tau, u, eps):
    # BEGIN SOLUTION
    rows = np.arange(len(logits))
    if tau == 0:
        return means[rows, logits.argmax(-1)]
    z = logits / tau
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    k = (np.cumsum(p, -1) <= u[:, None]).sum(-1).clip(max=logits.shape[1] - 1)
    return means[rows, k] + np.sqrt(tau) * stds[rows, k] * eps
    # END SOLUTION


print(sample_at_temperature(np.array([[0.0, 0.0]]), np.array([[[-1.0], [1.0]]]),
                            np.ones((1, 2, 1)), 1.0, np.array([0.7]), np.array([[0.5]])))

# %%
check("ch07_mdn_temperature", globals())
