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
# # Exercises for the model-free primer
#
# Five small computations at the heart of the primer's learners: four the
# target or weight of a loss, REINFORCE's advantage (the return-to-go minus a
# baseline), the generalised advantage of actor-critic, DQN's temporal-
# difference target with terminal masking and SAC's soft target with twin
# critics and the entropy term; and one generation of CMA-ES's update of its
# search distribution. Write each function in numpy in the cell that
# raises `NotImplementedError`, then run the `check(...)` cell under it.
#
# Conventions: one array entry per time step or per transition; `terminated`
# is a boolean (or 0/1) array that is true only where the episode truly ended
# (a time-limit cut is *not* a termination).

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
# ## Exercise 1 — REINFORCE's advantage (`ch06p_reinforce_advantage`, 4 points)
#
# One finished episode paid rewards $r_0, \dots, r_{T-1}$; a baseline gave
# $b_0, \dots, b_{T-1}$ for the states visited. REINFORCE weights
# $\nabla \log \pi(a_t \mid s_t)$ by
#
# $$
# A_t = G_t - b_t, \qquad G_t = \sum_{k=t}^{T-1} \gamma^{k-t} r_k .
# $$
#
# Write `reinforce_advantage(rewards, baseline, gamma)` returning $A$, shape
# `[T]`. Each step is credited only with the rewards that came *after* it.

# %%
def reinforce_advantage(rewards, baseline, gamma):
    # BEGIN SOLUTION
    g, out = 0.0, np.zeros(len(rewards))
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out - baseline
    # END SOLUTION


print(reinforce_advantage(np.array([1.0, 0.0, 2.0]), np.zeros(3), 0.5))

# %%
check("ch06p_reinforce_advantage", globals())

# %% [markdown]
# ## Exercise 2 — the generalised advantage (`ch06p_gae`, 4 points)
#
# Actor-critic replaces the return by a bootstrapped estimate. A rollout of
# $T$ steps gives rewards $r_t$, critic values $V(s_t)$ (`values`) and
# $V(s_{t+1})$ (`next_values`, the value of the state each step reached),
# `terminated` (a true end: no future) and `done` (any episode end, a time
# limit included, and the rollout's last step). With TD errors
#
# $$
# \delta_t = r_t + \gamma\,(1 - \text{terminated}_t)\,V(s_{t+1}) - V(s_t),
# $$
#
# the advantages are computed backwards:
# $A_t = \delta_t + \gamma\lambda\,(1 - \text{done}_t)\,A_{t+1}$, with
# $A_T = 0$. Write `gae(rewards, values, next_values, terminated, done, gamma,
# lam)` returning $A$, shape `[T]`.

# %%
def gae(rewards, values, next_values, terminated, done, gamma, lam):
    # BEGIN SOLUTION
    term = np.asarray(terminated, dtype=float)
    cut = np.asarray(done, dtype=float)
    delta = rewards + gamma * (1.0 - term) * next_values - values
    out, a = np.zeros(len(rewards)), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        a = delta[t] + gamma * lam * (1.0 - cut[t]) * a
        out[t] = a
    return out
    # END SOLUTION


print(gae(np.ones(3), np.zeros(3), np.ones(3), np.array([0, 0, 1]),
          np.array([0, 0, 1]), 0.9, 0.5))

# %%
check("ch06p_gae", globals())

# %% [markdown]
# ## Exercise 3 — DQN's target (`ch06p_dqn_target`, 4 points)
#
# For a minibatch of `B` transitions with rewards `rew` `[B]`, termination
# flags `terminated` `[B]` and the target network's action values at the next
# states `next_q` `[B, A]`, DQN regresses $Q(s, a)$ on
#
# $$
# y = r + \gamma\,(1 - \text{terminated})\,\max_{a'} Q^-(s', a') .
# $$
#
# Write `dqn_target(rew, terminated, next_q, gamma)` returning $y$, shape `[B]`.

# %%
def dqn_target(rew, terminated, next_q, gamma):
    # BEGIN SOLUTION
    alive = 1.0 - np.asarray(terminated, dtype=float)
    return rew + gamma * alive * next_q.max(axis=1)
    # END SOLUTION


print(dqn_target(np.array([1.0, 1.0]), np.array([False, True]),
                 np.array([[2.0, 3.0], [5.0, 4.0]]), 0.9))

# %%
check("ch06p_dqn_target", globals())

# %% [markdown]
# ## Exercise 4 — SAC's soft target (`ch06p_soft_target`, 4 points)
#
# SAC's critics regress on a target built from the *smaller* of two target
# critics and the entropy of the policy at the next state. With the next
# action $a' \sim \pi(\cdot \mid s')$ already sampled, `next_q1`, `next_q2`
# `[B]` the two target critics at $(s', a')$ and `next_logp` `[B]` its
# $\log \pi(a' \mid s')$:
#
# $$
# y = r + \gamma\,(1 - \text{terminated})\,\big(\min(Q_1^-, Q_2^-) - \alpha \log \pi(a' \mid s')\big).
# $$
#
# Write `soft_target(rew, terminated, next_q1, next_q2, next_logp, alpha,
# gamma)` returning $y$, shape `[B]`.

# %%
def soft_target(rew, terminated, next_q1, next_q2, next_logp, alpha, gamma):
    # BEGIN SOLUTION
    alive = 1.0 - np.asarray(terminated, dtype=float)
    soft_v = np.minimum(next_q1, next_q2) - alpha * next_logp
    return rew + gamma * alive * soft_v
    # END SOLUTION


print(soft_target(np.array([1.0]), np.array([False]), np.array([2.0]),
                  np.array([1.5]), np.array([0.5]), 0.2, 0.9))

# %%
check("ch06p_soft_target", globals())

# %% [markdown]
# ## Exercise 5 — CMA-ES's mean and covariance update (`ch06p_cma_update`, 4 points)
#
# CMA-ES searches with $\mathcal N(m, \sigma^2 C)$ (§P.5). One generation
# sampled $\lambda$ candidates $\theta_k = m + \sigma y_k$ (`candidates`
# `[lambda, n]`) and measured their `fitness` `[lambda]`, here a return:
# **higher is better**. With $y_{i:\lambda}$ the $y$ of the $i$-th best
# candidate, the recombination `weights` $w_1 \ge \dots \ge w_\mu$ `[mu]`
# (summing to 1), the learning rates $c_1, c_\mu$ and the evolution path
# $p_c$ `[n]` (already updated), the new mean and covariance are
#
# $$
# m' = m + \sigma \sum_{i=1}^{\mu} w_i\, y_{i:\lambda}, \qquad
# C' = (1 - c_1 - c_\mu)\, C + c_1\, p_c p_c^\top
#      + c_\mu \sum_{i=1}^{\mu} w_i\, y_{i:\lambda} y_{i:\lambda}^\top .
# $$
#
# Write `cma_update(mean, sigma, cov, candidates, fitness, weights, c1, cmu,
# p_c)` returning the pair `(new_mean, new_cov)`. (The step size $\sigma$
# and the paths are updated elsewhere; this is the part that moves and
# shapes the search distribution.)

# %%
def cma_update(mean, sigma, cov, candidates, fitness, weights, c1, cmu, p_c):
    # BEGIN SOLUTION
    y = (np.asarray(candidates) - mean) / sigma
    best = y[np.argsort(-np.asarray(fitness), kind="stable")[:len(weights)]]
    new_mean = mean + sigma * weights @ best
    rank_mu = np.einsum("i,ij,ik->jk", weights, best, best)
    new_cov = (1 - c1 - cmu) * cov + c1 * np.outer(p_c, p_c) + cmu * rank_mu
    return new_mean, new_cov
    # END SOLUTION


print(cma_update(np.zeros(2), 2.0, np.eye(2), np.array([[2.0, 0.0], [0.0, 2.0]]),
                 np.array([1.0, 3.0]), np.array([1.0]), 0.0, 0.5, np.zeros(2)))

# %%
check("ch06p_cma_update", globals())
