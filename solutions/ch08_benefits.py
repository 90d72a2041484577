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
# # Exercises for chapter 8: benefits and drawbacks, measured
#
# Two small functions behind two of the chapter's benefits: reusing one
# learned model for a task it was never trained for (§8.4), and a planner
# that distrusts its model where the ensemble's members disagree (§8.5).
# Both work on torch tensors, because the models and rewards of the chapter
# do. Write each function in the cell that raises `NotImplementedError`, then
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
import math

import torch

from mbrl_lessons.grading import check

# %% [markdown]
# ## Exercise 1 — a new task for the same model (`ch08_plan_new_task`, 5 points)
#
# A dynamics model says nothing about the task; the reward does. To plan for a
# new task, a model-based agent keeps its model and only swaps the reward
# function it scores plans with. Write `plan_new_task(predict, reward_fn, obs0,
# candidates)`:
#
# - `predict(obs [N, O], act [N, A]) -> [N, O]` is the learned model and
#   `reward_fn(obs [N, O], act [N, A]) -> [N]` the reward of the new task;
# - `obs0 [O]` is the current state and `candidates [N, H, A]` holds `N`
#   action sequences of `H` steps.
#
# Roll every sequence through the model from `obs0`, all `N` at once, and add
# up its rewards $\sum_{k=0}^{H-1} r'(\hat s_k, a_k)$, where the reward of
# step $k$ is charged on the state **before** the step, $\hat s_0$ is `obs0`
# and $\hat s_{k+1} = \hat T(\hat s_k, a_k)$. Return `(scores [N],
# best_first_action [A])`: the total of each sequence, and the first action of
# the sequence with the highest total (the action an MPC agent would take).

# %%
def plan_new_task(predict, reward_fn, obs0, candidates):
    """Score ``candidates [N, H, A]`` from ``obs0 [O]`` under the model
    ``predict`` and the reward ``reward_fn``; return ``(scores [N],
    best_first_action [A])``."""
    # BEGIN SOLUTION
    N, H, _ = candidates.shape
    obs, scores = obs0.expand(N, -1), torch.zeros(N)
    for k in range(H):
        scores = scores + reward_fn(obs, candidates[:, k])
        obs = predict(obs, candidates[:, k])
    return scores, candidates[scores.argmax(), 0]
    # END SOLUTION


# %% [markdown]
# The same true pendulum model and the same 300 random torque sequences,
# scored for the old task (swing-up) and for a new one (hold the pole
# horizontal): the two rewards choose different first torques.

# %%
from mbrl_lessons.analysis.benefits import TASKS
from mbrl_lessons.envs.pendulum import pendulum_step

gen = torch.Generator().manual_seed(0)
th = torch.tensor(math.pi - 0.1)                     # hanging, slightly to one side
hanging = torch.stack([torch.cos(th), torch.sin(th), torch.tensor(0.0)])
torques = 4.0 * torch.rand(300, 20, 1, generator=gen) - 2.0
with torch.no_grad():
    for task in ("swing-up", "horizontal"):
        scores, first = plan_new_task(pendulum_step, TASKS[task], hanging, torques)
        print(f"{task:>10}: best score {scores.max():8.2f}, first torque "
              f"{first.item():+.2f}")

# %%
check("ch08_plan_new_task", globals())

# %% [markdown]
# ## Exercise 2 — distrust the model where the data end (`ch08_pessimistic_returns`, 5 points)
#
# Section 8.5's planner scores a sequence of actions with an ensemble of `E`
# models and charges for the steps where the members disagree more than they
# do on their training data:
#
# $$
# J(a_{0:H}) = \sum_{t=0}^{H-1}
#   \Big[ r(\hat s_t, a_t) - \lambda \max\big(0,\; u(\hat s_t, a_t)/u_{\mathrm{ref}}
#   - 1\big) \Big].
# $$
#
# Write `pessimistic_returns(predict_members, reward_fn, obs0, actions,
# penalty, u_ref)` that returns $J$ for every sequence, shape `[N]`.
# `predict_members(obs [N, O], act [N, A]) -> [E, N, O]` gives every member's
# next state; `obs0 [O]`; `actions [N, H, A]`; `penalty` is $\lambda$. At each
# step, the disagreement $u$ of a state–action pair is the norm, over the `O`
# numbers of the state, of the members' **population** standard deviation
# (divide by `E`: `std(0, unbiased=False)`), and the next state is the
# members' mean.

# %%
def pessimistic_returns(predict_members, reward_fn, obs0, actions, penalty, u_ref):
    """The disagreement-penalised return ``[N]`` of ``actions [N, H, A]`` from
    ``obs0 [O]`` under the ensemble ``predict_members``."""
    # BEGIN SOLUTION
    N, H, _ = actions.shape
    obs, total = obs0.expand(N, -1), torch.zeros(N)
    for t in range(H):
        nxt = predict_members(obs, actions[:, t])             # [E, N, O]
        total = total + reward_fn(obs, actions[:, t])
        u = nxt.std(0, unbiased=False).norm(dim=-1)          # [N]
        total = total - penalty * torch.relu(u / u_ref - 1.0)
        obs = nxt.mean(0)
    return total
    # END SOLUTION


# %% [markdown]
# Two members that always differ by $(0.6, 0.8)$, so $u = 0.5$ everywhere.
# With $u_{\mathrm{ref}} = 1$ the disagreement counts as known and costs
# nothing; with $u_{\mathrm{ref}} = 0.25$ it costs $\lambda$ per step.

# %%
def two_members(obs, act):
    base = obs + act
    return torch.stack([base, base + torch.tensor([0.6, 0.8])])


def first_coordinate(obs, act):
    return obs[..., 0]


acts = torch.tensor([[[1.0], [1.0]], [[0.0], [0.0]]])
for u_ref in (1.0, 0.25):
    print(f"u_ref = {u_ref}:", pessimistic_returns(two_members, first_coordinate,
                                                    torch.zeros(2), acts, 2.0, u_ref))

# %%
check("ch08_pessimistic_returns", globals())
