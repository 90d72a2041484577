# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: mystnb,tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
# ---

# %% [markdown]
# # Exercises for chapter 5: learning the dynamics model
#
# Ten small functions behind the chapter's models: the loss a Gaussian
# model is trained with (§5.2), the split of an ensemble's variance into its
# aleatoric and epistemic parts (§5.3), a detector that notices when the
# physics change (§5.5), the loss that trains a model through its own
# rollouts (§5.6), the consistency term of a latent model (§5.7) and the
# multi-time model of an option (§5.8), plus the Bayes filter, an ensemble's
# disagreement, a last layer's Laplace posterior (§5.3) and the pendulum's
# exact inverse model (§5.1). Write each function in numpy (the
# latent loss in torch) in the cell that raises `NotImplementedError`, then
# run the `check(...)` cell under it.

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

# %% [markdown]
# ## Exercise 4 — noticing that the physics changed (`ch05_first_alarm`, 5 points)
#
# Section 5.5 watches a model's one-step errors as they stream in and raises an
# alarm when they jump. Write `first_alarm(errors, reference, window,
# threshold)`: `errors` is a 1-D array of one-step errors, `reference` the
# model's usual error level, `window` a number of steps and `threshold` a
# factor. At every step `t` that has a full window behind it (the `window`
# errors `errors[t - window + 1]` to `errors[t]`, both included), take the
# **median** of that window; return the first `t` (an `int`) at which the
# median is larger than `threshold * reference`, or `None` if it never is
# (also when there are fewer than `window` errors). Why the median and not the
# mean: a handful of large errors from rarely seen states should not count as
# a change.

# %%
def first_alarm(errors, reference, window, threshold):
    """First step ``t`` whose trailing window ``errors[t - window + 1 : t + 1]``
    has a median above ``threshold * reference``; ``None`` if there is none.

    errors: ``[N]`` one-step errors; reference, threshold: positive floats;
    window: int >= 1.  Returns an int or ``None``.
    """
    # BEGIN SOLUTION
    errors = np.asarray(errors, dtype=float)
    for t in range(window - 1, len(errors)):
        if np.median(errors[t - window + 1:t + 1]) > threshold * reference:
            return t
    return None
    # END SOLUTION


print(first_alarm(np.r_[np.ones(10), np.full(10, 10.0)], 1.0, 5, 4.0))

# %%
check("ch05_first_alarm", globals())

# %% [markdown]
# ## Exercise 5 — the latent consistency loss (`ch05_latent_consistency`, 5 points)
#
# Section 5.7's model encodes an observation into a code, $z_t = e(o_t)$, and
# steps the code forward, $\hat z_{t+1} = f(\hat z_t, a_t)$. Its consistency
# term asks each predicted code to land where the encoder puts the real
# observation, with the encoder's output treated as a fixed target:
# $\frac1K \sum_{k=1}^{K} \lVert \hat z_{t+k} - \operatorname{sg}[e(o_{t+k})]
# \rVert^2$.
#
# Write `latent_consistency(encode, step, obs, act)` in torch. `obs` holds
# windows of `K + 1` observations, shape `[B, K + 1, ...]`, and `act` the `K`
# actions between them, `[B, K, A]`; `encode` maps `[..., obs dims] -> [..., Z]`
# and `step(z [B, Z], a [B, A]) -> [B, Z]`. Encode only the first observation
# of each window, then step it `K` times along the recorded actions. At each
# step take the squared distance to the encoded true observation, summed over
# the `Z` numbers and averaged over the batch; return the average over the `K`
# steps as a scalar tensor. The targets must carry **no gradient** (use
# `.detach()` or `torch.no_grad()`), so this term trains the transition and
# not the encoder's targets; the start code $z_t$ keeps its gradient.

# %%
import torch


def latent_consistency(encode, step, obs, act):
    """(1/K) sum_k mean_b ||z_hat_{t+k} - sg[encode(o_{t+k})]||^2, a scalar tensor.

    obs: ``[B, K + 1, ...]`` observations; act: ``[B, K, A]`` actions;
    encode: ``[..., obs dims] -> [..., Z]``; step: ``([B, Z], [B, A]) -> [B, Z]``.
    """
    # BEGIN SOLUTION
    z = encode(obs[:, 0])
    with torch.no_grad():
        target = encode(obs[:, 1:])
    K, total = act.shape[1], 0.0
    for k in range(K):
        z = step(z, act[:, k])
        total = total + (z - target[:, k]).square().sum(-1).mean()
    return total / K
    # END SOLUTION


print(latent_consistency(lambda o: o, lambda z, a: z + a,
                         torch.tensor([[[0.0], [1.0], [3.0]]]),
                         torch.tensor([[[2.0], [1.0]]])))

# %%
check("ch05_latent_consistency", globals())

# %% [markdown]
# ## Exercise 6 — the model of an option (`ch05_option_model`, 5 points)
#
# Section 5.8 turns an option into a multi-step model: $R_o(s)$, the
# discounted reward it collects until it stops, and $P_o(s, s')$, the
# discounted probability that it stops in $s'$. Write
# `option_model(P, R, gamma, policy, beta)` for a finite MDP with `P [S, A, S]`
# and `R [S, A]`, an option that may start in every state, follows the
# deterministic `policy` (an int array `[S]`) and stops on **arriving** in
# state `s` with probability `beta[s]` (an array `[S]`). Return `(R_o [S],
# P_o [S, S])`.
#
# Condition on the first step, as the chapter does. With $P_\pi$, $r_\pi$ the
# one-step model under the policy, $B = \operatorname{diag}(\beta)$ and
# $C = I - B$:
# $R_o = r_\pi + \gamma P_\pi C R_o$ and
# $P_o = \gamma P_\pi B + \gamma P_\pi C P_o$. Both are linear systems with
# the same matrix; solve them with `np.linalg.solve` (no inverse needed).

# %%
def option_model(P, R, gamma, policy, beta):
    """The multi-time model ``(R_o [S], P_o [S, S])`` of an option that may start
    anywhere, acts with ``policy`` (int ``[S]``) and stops on arriving in ``s``
    with probability ``beta[s]``, in the MDP ``P [S, A, S]``, ``R [S, A]``.
    """
    # BEGIN SOLUTION
    S = P.shape[0]
    P_pi = P[np.arange(S), policy]            # [S, S']
    r_pi = R[np.arange(S), policy]            # [S]
    M = np.eye(S) - gamma * P_pi * (1.0 - beta)   # I - gamma P_pi C
    R_o = np.linalg.solve(M, r_pi)
    P_o = np.linalg.solve(M, gamma * P_pi * beta)
    return R_o, P_o
    # END SOLUTION


corridor = np.zeros((3, 1, 3))
corridor[[0, 1, 2], 0, [1, 2, 2]] = 1.0       # 0 -> 1 -> 2, and 2 stays
print(option_model(corridor, np.array([[1.0], [4.0], [0.0]]), 0.5,
                   np.zeros(3, dtype=int), np.array([0.0, 0.0, 1.0])))

# %%
check("ch05_option_model", globals())

# %% [markdown]
# ## Exercise 7 — the Bayes filter (`ch05_belief_update`, 5 points)
#
# Section 5.4 keeps a *belief* $b(s)$, the probability of each hidden state
# given everything seen so far, and updates it after action $a$ and
# observation $o$ in two steps: predict with the transition model, then
# weigh by the observation model and normalise,
#
# $$
# b'(s') = \frac{Z(o \mid s', a) \sum_s P(s' \mid s, a)\, b(s)}
#               {\sum_{s''} Z(o \mid s'', a) \sum_s P(s'' \mid s, a)\, b(s)}.
# $$
#
# Write `belief_update(b, a, o, P, Z)` with `b [S]`, `P [S, A, S]` (`P[s, a,
# s']`) and `Z [A, S, Obs]` (`Z[a, s', o]`), returning `b' [S]`.

# %%
def belief_update(b, a, o, P, Z):
    # BEGIN SOLUTION
    predicted = np.asarray(b, dtype=float) @ P[:, a, :]
    unnormalised = Z[a, :, o] * predicted
    return unnormalised / unnormalised.sum()
    # END SOLUTION


# the tiger problem: listening (action 0) hears the tiger's side with p = 0.85
tiger_P = np.zeros((2, 3, 2))
tiger_P[:, 0, :] = np.eye(2)
tiger_P[:, 1:, :] = 0.5
tiger_Z = np.full((3, 2, 2), 0.5)
tiger_Z[0] = [[0.85, 0.15], [0.15, 0.85]]
print(belief_update(np.array([0.5, 0.5]), 0, 0, tiger_P, tiger_Z))  # [0.85, 0.15]

# %%
check("ch05_belief_update", globals())

# %% [markdown]
# ## Exercise 8 — an ensemble's disagreement as an exploration bonus (`ch05_table_disagreement`, 4 points)
#
# §5.3's exploration learner keeps an ensemble of `E` table models. Member `k`
# holds weights `weights[k, s, a, s']` (its random prior plus its
# bootstrap-weighted counts of next states); its prediction for the pair
# `(s, a)` is those weights normalised into a distribution,
# $p_k(s' \mid s, a) = w_k(s, a, s') / \sum_{s''} w_k(s, a, s'')$. Write
# `table_disagreement(weights)` returning the `[S, A]` array of the members'
# spread,
#
# $$
# \sigma^2(s, a) = \frac1E \sum_{k=1}^E \sum_{s'} \big(p_k(s' \mid s, a) -
#   \bar p(s' \mid s, a)\big)^2, \qquad
# \bar p = \frac1E \sum_k p_k .
# $$

# %%
def table_disagreement(weights):
    # BEGIN SOLUTION
    w = np.asarray(weights, dtype=float)
    p = w / w.sum(axis=3, keepdims=True)
    return ((p - p.mean(axis=0)) ** 2).sum(axis=3).mean(axis=0)
    # END SOLUTION


# two members that disagree completely about one pair: spread 0.5
print(table_disagreement(np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])))

# %%
check("ch05_table_disagreement", globals())

# %% [markdown]
# ## Exercise 9 — a last layer's Laplace posterior (`ch05_laplace_last_layer`, 4 points)
#
# §5.3's Laplace approximation keeps the network's hidden layers fixed and
# treats its last layer as Bayesian linear regression on the features
# $\Psi$ `[N, d]` (the last hidden layer with a constant 1 appended, as
# `fit_last_layer_laplace` builds them), targets $y$ `[N]`, noise variance
# $\sigma^2$ and the prior $\mathcal N(0, I/\lambda)$ ($\lambda$ the prior
# precision, the package's convention). The posterior over the weights and
# the predictive at new features $\psi_*$ are
#
# $$
# \Sigma = \Big(\frac{\Psi^\top \Psi}{\sigma^2} + \lambda I\Big)^{-1}, \quad
# m = \frac{\Sigma \Psi^\top y}{\sigma^2}, \quad
# \mu_* = \psi_*^\top m, \quad
# v_* = \psi_*^\top \Sigma\, \psi_* + \sigma^2 .
# $$
#
# Write `laplace_last_layer(psi, y, noise_var, prior_precision, psi_star)`
# (`psi_star` `[M, d]`) returning `(m, Sigma, mu_star, v_star)`. (The package
# centres the posterior at the trained weights instead of $m$; its $\Sigma$
# and $v_*$ are these.)

# %%
def laplace_last_layer(psi, y, noise_var, prior_precision, psi_star):
    # BEGIN SOLUTION
    psi, psi_star = np.asarray(psi, dtype=float), np.asarray(psi_star, dtype=float)
    cov = np.linalg.inv(psi.T @ psi / noise_var
                        + prior_precision * np.eye(psi.shape[1]))
    mean = cov @ psi.T @ np.asarray(y, dtype=float) / noise_var
    var_star = np.einsum("nf,fg,ng->n", psi_star, cov, psi_star) + noise_var
    return mean, cov, psi_star @ mean, var_star
    # END SOLUTION


# two orthogonal features: Sigma = I / 4, m = (1, -0.5), v* = 0.5 + 0.5
print(laplace_last_layer(np.eye(2), np.array([2.0, -1.0]), 0.5, 2.0,
                         np.array([[1.0, 1.0]])))

# %%
check("ch05_laplace_last_layer", globals())

# %% [markdown]
# ## Exercise 10 — the pendulum's torque from two states (`ch05_inverse_model`, 4 points)
#
# §5.1's inverse model learns $a_t$ from $(s_t, s_{t+1})$. For Pendulum-v1
# (`mbrl_lessons.envs.pendulum`: $g = 10$, $m = l = 1$, $\Delta t = 0.05$,
# speed limit 8) the answer is known: with $s = (\cos\theta, \sin\theta,
# \dot\theta)$ the step is
# $\dot\theta_{t+1} = \mathrm{clip}\big(\dot\theta_t + (\tfrac{3g}{2l}\sin\theta_t
# + \tfrac{3}{ml^2} u)\Delta t,\ \pm 8\big)$, so solve it for $u$. Where the
# speed was clipped ($|\dot\theta_{t+1}| \ge 8 - 10^{-5}$) many torques give
# the same transition: return NaN there. Write `inverse_torque(obs, next_obs)`
# (both `[N, 3]`) returning `[N]` torques.

# %%
def inverse_torque(obs, next_obs):
    # BEGIN SOLUTION
    g, m, l, dt, max_speed = 10.0, 1.0, 1.0, 0.05, 8.0
    obs, next_obs = np.asarray(obs, dtype=float), np.asarray(next_obs, dtype=float)
    accel = (next_obs[:, 2] - obs[:, 2]) / dt
    u = (accel - 3 * g / (2 * l) * obs[:, 1]) * m * l ** 2 / 3
    return np.where(np.abs(next_obs[:, 2]) >= max_speed - 1e-5, np.nan, u)
    # END SOLUTION


# at rest at theta = pi/2, next speed 0.9: torque 1
print(inverse_torque(np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 1.0, 0.9]])))

# %%
check("ch05_inverse_model", globals())
