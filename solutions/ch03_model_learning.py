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
# # Exercises for chapter 3: learning a model and planning with it
#
# Two functions: the maximum-likelihood tabular model, and a planner that uses
# it. A transition is a tuple `(obs, act, rew, next_obs)` of ints and a float.
# Write each function in the cell that raises `NotImplementedError`, then run
# the `check(...)` cell under it.

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

transitions = [(0, 0, 1.0, 1), (0, 0, 3.0, 2), (1, 1, -1.0, 1)]

# %% [markdown]
# ## Exercise 1 — the maximum-likelihood model (`ch03_model_learning`, 6 points)
#
# Write `estimate_model(transitions, n_states, n_actions)` returning
# `(P_hat, R_hat)` with shapes `[S, A, S]` and `[S, A]`:
# $\hat P(s'|s,a) = N(s,a,s')/N(s,a)$ and $\hat R(s,a)$ the mean reward seen
# after $(s,a)$. A pair never tried must be a **zero-reward self-loop**
# ($\hat P(s|s,a) = 1$, $\hat R(s,a) = 0$). Graded on the shapes, a case worked
# by hand, the untried-pair rule, and random data against the reference.

# %%
def estimate_model(transitions, n_states, n_actions):
    # BEGIN SOLUTION
    counts = np.zeros((n_states, n_actions, n_states))
    reward_sums = np.zeros((n_states, n_actions))
    for obs, act, rew, next_obs in transitions:
        counts[obs, act, next_obs] += 1
        reward_sums[obs, act] += rew
    visits = counts.sum(axis=2)
    P_hat = np.zeros_like(counts)
    R_hat = np.zeros_like(reward_sums)
    seen = visits > 0
    P_hat[seen] = counts[seen] / visits[seen][:, None]
    R_hat[seen] = reward_sums[seen] / visits[seen]
    for s, a in zip(*np.nonzero(~seen), strict=True):
        P_hat[s, a, s] = 1.0
    return P_hat, R_hat
    # END SOLUTION


P_hat, R_hat = estimate_model(transitions, 3, 2)
print(P_hat[0, 0], R_hat[0, 0])

# %%
check("ch03_model_learning", globals())

# %% [markdown]
# ## Exercise 2 — planning with the learned model (`ch03_planning_with_model`, 5 points)
#
# Write `plan_with_model(transitions, n_states, n_actions, gamma)` returning the
# greedy policy (integer array `[S]`) of the learned model: estimate the model
# with your `estimate_model`, solve it by value iteration, and act greedily.
# Graded on the shape and dtype, a chain where looking ahead matters (a planner
# that only maximises the immediate reward fails it), and random data, where
# every chosen action must be optimal for the learned model.

# %%
def plan_with_model(transitions, n_states, n_actions, gamma):
    # BEGIN SOLUTION
    P_hat, R_hat = estimate_model(transitions, n_states, n_actions)
    V = np.zeros(n_states)
    while True:
        V_new = (R_hat + gamma * P_hat @ V).max(axis=1)
        if np.abs(V_new - V).max() < 1e-10:
            break
        V = V_new
    return (R_hat + gamma * P_hat @ V_new).argmax(axis=1)
    # END SOLUTION


print(plan_with_model(transitions, 3, 2, 0.9))

# %%
check("ch03_planning_with_model", globals())
