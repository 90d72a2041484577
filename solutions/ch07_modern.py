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
# # Exercises for chapter 7: five modern algorithms
#
# Eight small functions at the heart of chapter 7's algorithms: PETS's
# trajectory-sampling step, MBPO's branched rollouts, Dreamer's
# $\lambda$-returns, the KL term of Dreamer's world model, MuZero's selection score, the two-player (negamax)
# backup of AlphaZero's search, the visit-count policy target, and MuZero's
# n-step value target. Write each function in
# numpy in the cell that raises `NotImplementedError`, then run the
# `check(...)` cell under it.

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
# ## Exercise 1 — one step of trajectory sampling (`ch07_ts_step`, 4 points)
#
# PETS pushes `P` particles through an ensemble of `E` Gaussian models. For
# the current particles, every member has predicted a mean and a standard
# deviation: `means` and `stds` of shape `[E, P, D]`. Under TS-∞ each
# particle `p` follows its own member `member[p]` (an int array of shape
# `[P]`) for the whole horizon. Write `ts_step(means, stds, member, noise)`
# returning the next particles `[P, D]`: for each particle, the mean of its
# member plus that member's standard deviation times the particle's standard
# normal draw `noise[p]` (shape `[P, D]`, given, so the result is
# deterministic).

# %%
def ts_step(means, stds, member, noise):
    # BEGIN SOLUTION
    p = np.arange(means.shape[1])
    return means[member, p] + stds[member, p] * noise
    # END SOLUTION


print(ts_step(np.array([[[0.0]], [[10.0]]]), np.ones((2, 1, 1)), np.array([1]),
              np.array([[0.5]])))

# %%
check("ch07_ts_step", globals())

# %% [markdown]
# ## Exercise 2 — MBPO's branched rollouts (`ch07_branched_rollout`, 4 points)
#
# MBPO starts `B` short imagined rollouts from states drawn from the real
# replay buffer and runs each for `k` steps with the current policy in the
# model. Write `branched_rollout(starts, policy, model, k)`: `starts` is
# `[B, O]`, `policy(s [B, O]) -> a [B, A]`, and
# `model(s, a) -> (next_s [B, O], r [B])`. Return the imagined transitions
# `(obs, act, rew, next_obs)` with shapes `[k * B, O]`, `[k * B, A]`,
# `[k * B]`, `[k * B, O]`, step by step: the `B` transitions of the first
# step, then the `B` of the second, and so on. Each step starts from the
# previous step's predicted states.

# %%
def branched_rollout(starts, policy, model, k):
    # BEGIN SOLUTION
    s, parts = starts, []
    for _ in range(k):
        a = policy(s)
        s2, r = model(s, a)
        parts.append((s, a, r, s2))
        s = s2
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))
    # END SOLUTION


print(branched_rollout(np.zeros((2, 1)), lambda s: np.ones_like(s),
                       lambda s, a: (s + a, s[:, 0]), 2))

# %%
check("ch07_branched_rollout", globals())

# %% [markdown]
# ## Exercise 3 — $\lambda$-returns (`ch07_lambda_returns`, 4 points)
#
# Dreamer trains its actor and critic on $\lambda$-returns of an imagined
# trajectory of length `H`, laid out as in the chapter
# (§7.4, `mbrl_lessons.algorithms.dreamer.lambda_returns`):
# a batch of `B` trajectories, rewards $r_0, \dots, r_{H-1}$ in `rewards`
# (shape `[B, H]`) and the critic's values $v(s_0), \dots, v(s_H)$ of every
# state along the way in `values` (shape `[B, H+1]`: `values[:, t]` is the
# value of the state in which `rewards[:, t]` is received, and
# `values[:, H]` that of the last state). With discount $\gamma$ and
# $\lambda$, the returns are defined backwards:
#
# $$
# G^\lambda_{H-1} = r_{H-1} + \gamma v(s_H), \qquad
# G^\lambda_t = r_t + \gamma\big[(1-\lambda)\, v(s_{t+1}) + \lambda\, G^\lambda_{t+1}\big].
# $$
#
# Write `lambda_returns(rewards, values, gamma, lam)` returning all
# $G^\lambda_t$, shape `[B, H]`. With $\lambda = 0$ these are one-step TD
# targets; with $\lambda = 1$, discounted sums of the rewards bootstrapped
# with $v(s_H)$ at the end. (The first value, $v(s_0)$, is not used.)

# %%
def lambda_returns(rewards, values, gamma, lam):
    # BEGIN SOLUTION
    rewards, values = np.asarray(rewards, float), np.asarray(values, float)
    out = np.empty_like(rewards)
    nxt = values[:, -1]
    for t in range(rewards.shape[1] - 1, -1, -1):
        nxt = rewards[:, t] + gamma * ((1 - lam) * values[:, t + 1] + lam * nxt)
        out[:, t] = nxt
    return out
    # END SOLUTION


print(lambda_returns(np.ones((1, 3)), np.zeros((1, 4)), 0.9, 0.5))

# %%
check("ch07_lambda_returns", globals())

# %% [markdown]
# ## Exercise 4 — MuZero's selection score (`ch07_puct_score`, 4 points)
#
# MuZero's tree search picks the child that maximises a prior-weighted
# upper confidence bound. For a node visited $N$ times, a child with
# normalised value estimate $Q$ (in $[0, 1]$), prior probability $P$ from the
# policy head and $n$ visits scores
#
# $$
# Q + P\,\frac{\sqrt{N}}{1 + n}\Big(c_1 + \log\frac{N + c_2 + 1}{c_2}\Big).
# $$
#
# Write `puct_score(q, prior, n_parent, n_child, c1=1.25, c2=19652)`; it
# must work elementwise on numpy arrays of children as well as on single
# numbers. An unvisited child ($n = 0$) of an unvisited node ($N = 0$)
# scores $Q$.

# %%
def puct_score(q, prior, n_parent, n_child, c1=1.25, c2=19652):
    # BEGIN SOLUTION
    n_parent = np.asarray(n_parent, dtype=float)
    explore = np.sqrt(n_parent) / (1.0 + np.asarray(n_child, dtype=float))
    return q + prior * explore * (c1 + np.log((n_parent + c2 + 1.0) / c2))
    # END SOLUTION


print(puct_score(0.5, 0.25, 16, 3))

# %%
check("ch07_puct_score", globals())

# %% [markdown]
# ## Exercise 5 — The negamax backup (`ch07_negamax_backup`, 4 points)
#
# In a two-player game the search stores each node's value for the player
# to move there. A simulation went down $d$ moves from the root; move $k$
# paid reward $r_k$ to the player who made it, and the new leaf is worth
# $v$ to the player to move at it. Going back up, each node gets
#
# $$
# G_d = v, \qquad G_{k-1} = r_k - \gamma\, G_k ,
# $$
#
# the sign flipping at every level because the player to move changes.
# Write `negamax_backup(rewards, leaf_value, gamma=1.0)` returning the
# $d + 1$ values $G_0, \dots, G_d$ (root first).

# %%
def negamax_backup(rewards, leaf_value, gamma=1.0):
    # BEGIN SOLUTION
    out = np.zeros(len(rewards) + 1)
    out[-1] = leaf_value
    for k in range(len(rewards), 0, -1):
        out[k - 1] = rewards[k - 1] - gamma * out[k]
    return out
    # END SOLUTION


print(negamax_backup(np.array([0.0, 0.2]), 0.6))

# %%
check("ch07_negamax_backup", globals())

# %% [markdown]
# ## Exercise 6 — The visit-count policy target (`ch07_visit_policy`, 4 points)
#
# After a search, AlphaZero and MuZero turn the root's visit counts $N(a)$
# into a policy, used both to pick the move and as the training target for
# the prior:
#
# $$
# \pi(a) = \frac{N(a)^{1/T}}{\sum_b N(b)^{1/T}},
# $$
#
# with temperature $T$; at $T = 0$ all the mass goes to the most visited
# move (the first one if several tie). Write
# `visit_policy_target(counts, temperature=1.0)`.

# %%
def visit_policy_target(counts, temperature=1.0):
    # BEGIN SOLUTION
    counts = np.asarray(counts, dtype=float)
    if temperature == 0:
        out = np.zeros_like(counts)
        out[int(np.argmax(counts))] = 1.0
        return out
    powered = counts ** (1.0 / temperature)
    return powered / powered.sum()
    # END SOLUTION


print(visit_policy_target(np.array([1, 3, 0, 4]), 0.5))

# %%
check("ch07_visit_policy", globals())

# %% [markdown]
# ## Exercise 7 — MuZero's n-step value target (`ch07_n_step_value`, 4 points)
#
# An episode of $T$ steps has rewards `rewards[t]` $= r_{t+1}$ (the reward
# that arrives with observation $t + 1$, after action $t$: the $r_t$
# convention of `rlax`; $T$ of them) and search values `root_values[t]`
# $= v_t$ for the $T + 1$ observations. The value target of position $t$ is
#
# $$
# z_t = \sum_{i=0}^{n-1} \gamma^{i} r_{t+1+i} + \gamma^{n} v_{t+n},
# $$
#
# where rewards past the end count 0, and the bootstrap term is added only
# if $t + n < T$ or the episode was cut (truncated) rather than finished: a
# terminal state is worth 0. When $t + n \ge T$ in a cut episode, the
# bootstrap is $\gamma^{T - t} v_T$. Write
# `n_step_value_targets(rewards, root_values, gamma, n, terminated=True)`
# returning the $T + 1$ targets.

# %%
def n_step_value_targets(rewards, root_values, gamma, n, terminated=True):
    # BEGIN SOLUTION
    T = len(rewards)
    z = np.zeros(T + 1)
    for t in range(T + 1):
        end = min(t + n, T)
        z[t] = sum(gamma ** (i - t) * rewards[i] for i in range(t, end))
        if t + n < T or not terminated:
            z[t] += gamma ** (end - t) * root_values[end]
    return z
    # END SOLUTION


print(n_step_value_targets(np.array([0.0, 0.0, 1.0]), np.array([0.5, 0.6, 0.7, 0.4]),
                           0.9, 2))

# %%
check("ch07_n_step_value", globals())


# %% [markdown]
# ## Exercise 8 — the RSSM's KL term (`ch07_rssm_kl`, 4 points)
#
# Dreamer's world model has, at every step $t$, a posterior
# $q(z_t \mid h_t, e_t) = \mathcal N(\mu^q_t, \operatorname{diag}(\sigma^q_t)^2)$
# that has seen the frame and a prior
# $p(z_t \mid h_t) = \mathcal N(\mu^p_t, \operatorname{diag}(\sigma^p_t)^2)$
# that has not. Its loss pays the KL divergence from posterior to prior,
# summed over the $D$ latent dimensions:
#
# $$
# \mathrm{KL}_t = \sum_{i=1}^{D} \Big[\ln\frac{\sigma^p_{t,i}}{\sigma^q_{t,i}}
#   + \frac{(\sigma^q_{t,i})^2 + (\mu^q_{t,i} - \mu^p_{t,i})^2}{2(\sigma^p_{t,i})^2}
#   - \frac12\Big],
# $$
#
# and with *free nats* the loss is $\max(\overline{\mathrm{KL}}, F)$, where
# $\overline{\mathrm{KL}}$ is the mean of $\mathrm{KL}_t$ over all steps and
# sequences. Write `rssm_kl(post_mean, post_std, prior_mean, prior_std,
# free_nats)` for arrays of shape `[T, B, D]`, returning the pair
# `(kl, loss)`: `kl` of shape `[T, B]` and the scalar `loss`.
# Mind the direction: $\mathrm{KL}(q \,\|\, p)$, posterior first.

# %%
def rssm_kl(post_mean, post_std, prior_mean, prior_std, free_nats):
    # BEGIN SOLUTION
    kl = (np.log(prior_std / post_std)
          + (post_std ** 2 + (post_mean - prior_mean) ** 2) / (2 * prior_std ** 2)
          - 0.5).sum(-1)
    return kl, max(float(kl.mean()), free_nats)
    # END SOLUTION


print(rssm_kl(np.ones((1, 1, 1)), np.full((1, 1, 1), 0.5), np.zeros((1, 1, 1)),
              np.ones((1, 1, 1)), 0.0))

# %%
check("ch07_rssm_kl", globals())
