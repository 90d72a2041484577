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
# # Exercises for chapter 4: planners and the basic schemes
#
# Three pieces of the chapter's stack, each a few lines: the CEM update, the
# MPC loop, and the loss that version 2.0 backpropagates through the model.
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
import torch

from mbrl_lessons.grading import check

# %% [markdown]
# ## Exercise 1 — the CEM update (`ch04_cem_update`, 6 points)
#
# Write `cem_update(samples, returns, n_elites, mean, std, alpha)` with numpy
# arrays: `samples` `[N, H, A]`, `returns` `[N]`, `mean` and `std` `[H, A]`.
# Take the `n_elites` samples with the **highest** returns, compute their mean
# and (population) standard deviation, and return
# `(alpha * mean + (1 - alpha) * elite_mean, alpha * std + (1 - alpha) * elite_std)`.
# Graded on a case worked by hand, the smoothing, random data, and on whether
# iterating your update finds the optimum of a quadratic.

# %%
def cem_update(samples, returns, n_elites, mean, std, alpha):
    # BEGIN SOLUTION
    elites = samples[np.argsort(returns)[::-1][:n_elites]]
    return (alpha * mean + (1 - alpha) * elites.mean(axis=0),
            alpha * std + (1 - alpha) * elites.std(axis=0))
    # END SOLUTION


print(cem_update(np.arange(4.0).reshape(4, 1, 1), np.array([0.0, 1, 3, 2]), 2,
                 np.zeros((1, 1)), np.ones((1, 1)), 0.0))

# %%
check("ch04_cem_update", globals())

# %% [markdown]
# ## Exercise 2 — the MPC loop (`ch04_mpc_loop`, 4 points)
#
# Write `mpc_episode(env, plan_fn, seed)`: reset the environment with the
# seed, then until the episode is terminated or truncated, ask
# `plan_fn(obs)` for a plan of shape `[H, A]`, execute **only its first
# action**, and continue from the new observation. Return the total reward.
# Graded with a toy environment that records what you executed.

# %%
def mpc_episode(env, plan_fn, seed):
    # BEGIN SOLUTION
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        plan = plan_fn(obs)
        obs, reward, terminated, truncated, _ = env.step(plan[0])
        total += float(reward)
        done = terminated or truncated
    return total
    # END SOLUTION


# %%
check("ch04_mpc_loop", globals())

# %% [markdown]
# ## Exercise 3 — the v2.0 loss (`ch04_v2_loss`, 4 points)
#
# Write `model_return_loss(policy, model_step, reward_fn, starts, horizon)`
# in torch: from the batch of states `starts` `[B, O]`, repeat `horizon`
# times: `act = policy(obs)`, add `reward_fn(obs, act)` (shape `[B]`) to the
# running return, `obs = model_step(obs, act)`. Return minus the mean return
# over the batch, as a scalar tensor that gradients can flow through. Graded
# on its value and on its gradient with respect to the policy's weights.

# %%
def model_return_loss(policy, model_step, reward_fn, starts, horizon):
    # BEGIN SOLUTION
    obs, total = starts, torch.zeros(starts.shape[0])
    for _ in range(horizon):
        act = policy(obs)
        total = total + reward_fn(obs, act)
        obs = model_step(obs, act)
    return -total.mean()
    # END SOLUTION


# %%
check("ch04_v2_loss", globals())
