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
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # Exercises for chapter 5: learning the dynamics model
#
# Three small functions behind the chapter's models: the loss a Gaussian
# model is trained with, the split of an ensemble's variance into its
# aleatoric and epistemic parts, and the loss that trains a model through its
# own rollouts. Write each function in numpy in the cell that raises
# `NotImplementedError`, then run the `check(...)` cell under it.

# %%
# Running in Colab? Install the course package first (a no-op elsewhere).
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mbrl-lessons @ git+https://github.com/mbrl-lessons/mbrl-lessons"],
                   check=True)

# %%
import numpy as np

from mbrl_lessons.grading import check

# %% [markdown]
# ## Exercise 1 — the Gaussian negative log-likelihood (`ch05_gaussian_nll`, 4 points)
#
# Write `gaussian_nll(mean, var, y)` for arrays of the same shape `[B, D]`: the
# negative log-density of each element of `y` under an independent Gaussian
# with that mean and variance,
# $\tfrac12\big(\log(2\pi\sigma^2) + (y - \mu)^2/\sigma^2\big)$, averaged over
# all elements. Return one number. Graded by hand-worked cases and on random
# data.

# %%
def gaussian_nll(mean, var, y):
    # BEGIN SOLUTION
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)))
    # END SOLUTION


print(gaussian_nll(np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1))))

# %%
check("ch05_gaussian_nll", globals())

# %% [markdown]
# ## Exercise 2 — aleatoric and epistemic variance (`ch05_split_uncertainty`, 4 points)
#
# An ensemble of `E` Gaussian models predicts, for `B` inputs, means and
# variances of shape `[E, B, D]`. Write `split_uncertainty(means, variances)`
# returning `(mean, aleatoric, epistemic)`, each `[B, D]`: the average of the
# members' means; the average of their variances; and the (population)
# variance of their means. The last two add up to the variance of the
# ensemble's mixture prediction.

# %%
def split_uncertainty(means, variances):
    # BEGIN SOLUTION
    return means.mean(axis=0), variances.mean(axis=0), means.var(axis=0)
    # END SOLUTION


print(split_uncertainty(np.array([[[1.0]], [[3.0]]]), np.array([[[0.5]], [[1.5]]])))

# %%
check("ch05_split_uncertainty", globals())

# %% [markdown]
# ## Exercise 3 — the k-step unrolled loss (`ch05_kstep_loss`, 4 points)
#
# Write `kstep_loss(predict, obs, act)`, where `obs` is `[B, k + 1, O]` (true
# states), `act` is `[B, k, A]` and `predict(s [B, O], a [B, A]) -> [B, O]` is
# a model. Start from the true first state `obs[:, 0]`, then for each of the
# `k` steps feed the model **its own previous prediction** and the recorded
# action. At each step take the squared error against the true state, summed
# over the `O` dimensions and averaged over the batch; return the average of
# these `k` numbers.

# %%
def kstep_loss(predict, obs, act):
    # BEGIN SOLUTION
    s, total = obs[:, 0], 0.0
    k = act.shape[1]
    for j in range(k):
        s = predict(s, act[:, j])
        total += np.mean(np.sum((s - obs[:, j + 1]) ** 2, axis=-1))
    return total / k
    # END SOLUTION


print(kstep_loss(lambda s, a: s + a, np.zeros((1, 3, 1)), np.zeros((1, 2, 1))))

# %%
check("ch05_kstep_loss", globals())
