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
# # Chapter 3: planning, model-free and model-based
#
# *About 9 minutes: 8 to read, 1 to run at FAST.*
#
# "Model-based" is used loosely. This chapter pins it down with the taxonomy of
# Moerland et al. {cite}`moerland2023mbrl`, then runs one experiment that puts
# the three families side by side on the same grid world, with the same seeds,
# and counts the one resource that matters most in practice: real
# interactions with the environment.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - tell planning, model-free RL and model-based RL apart by two questions:
#   *is there a model?* and *is a global policy or value function learned?*;
# - distinguish model-based RL with a known model from RL with a learned model;
# - build the simplest complete model-based agent — count transitions, plan
#   with the estimate, act — and explain why it needs far fewer real steps
#   than Q-learning.
# ```

# %% tags=["remove-input"]
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
from dataclasses import replace

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from mbrl_lessons import budget
from mbrl_lessons.analysis.categories import CategoriesConfig, run
from mbrl_lessons.core.results import load_results
from mbrl_lessons.core.types import LearningCurve
from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp import (
    ModelBasedConfig,
    QLearningConfig,
    TabularMDP,
    TabularModel,
    greedy_policy,
    model_based_rl,
    q_learning,
    value_iteration,
)
from mbrl_lessons.viz import live_figure, plot_grid_values, plot_learning_curves, show_source
from mbrl_lessons.viz.style import fig_size

# %% [markdown]
# ## Two questions, three families
#
# Ask of any method: (1) does it use a model of the transitions — given or
# learned — to look ahead? (2) does it learn a *global* solution, a policy or
# value function that covers every state, rather than only a plan for the
# state it is in?
#
# | | no global solution learned | global policy / value learned |
# |---|---|---|
# | **model used** | **planning** — e.g. MPC, tree search from the current state, a trajectory optimised for one start | **model-based RL** — e.g. Dyna, AlphaZero, MBPO, Dreamer, MuZero |
# | **no model** | — | **model-free RL** — e.g. Q-learning, SAC, PPO |
#
# Model-based RL itself comes in two flavours. With a **known model** the rules
# are given — AlphaZero {cite}`silver2018alphazero` searches with the exact rules
# of Go and chess and distils the search into a network. With a **learned
# model** the agent must estimate $\hat P(s' \mid s, a)$ (and usually
# $\hat R$) from its own experience, as in Dyna {cite}`sutton1990dyna`, MBPO
# {cite}`janner2019mbpo` or Dreamer {cite}`hafner2020dreamer`. A third mixture
# — planning over a learned model without ever storing a global policy, like
# the MPC agents of chapter 4 — learns *something* (the model) and plans, but by
# the strict definition it is planning with a learned model rather than
# model-based RL. Strictly, the same test puts chapter 2's value iteration
# in the model-based column, with a known model: what it computes and keeps
# is a value for every state, a global solution. In the experiment below we
# still call it "planning (true model)", the everyday name for computing a
# policy from a given model without any real interaction.
#
# ## The simplest model-based agent
#
# In a tabular world the maximum-likelihood model is a table of counts:
#
# $$
# \hat P(s' \mid s, a) = \frac{N(s, a, s')}{N(s, a)}, \qquad
# \hat R(s, a) = \frac{1}{N(s, a)} \sum_{i:\, (s_i, a_i) = (s, a)} r_i .
# $$
#
# For a pair never tried, $N(s,a) = 0$ and the formula says nothing; we must
# choose. Our agent is *optimistic*: an untried pair is modelled as paying the
# best possible reward forever (zero here, since every step costs $-1$). The
# planner then deliberately walks to untried actions — exploration by planning,
# the idea behind R-max {cite}`brafman2002rmax` — instead of stumbling on
# them by chance.

# %%
show_source(TabularModel.to_mdp)

# %% [markdown]
# The agent alternates acting, counting and planning:

# %%
show_source(model_based_rl)

# %% [markdown]
# Q-learning {cite}`watkins1992qlearning`, the model-free baseline, keeps no
# model. Each real transition updates one entry,
# $Q(s,a) \leftarrow Q(s,a) + \alpha\,[r + \gamma \max_{a'} Q(s',a') - Q(s,a)]$,
# and is then thrown away.
#
# ## The experiment
#
# One grid world (the default layout, slip 0.1, $\gamma = 0.95$), one set of
# seeds, three methods. Every 100 real steps we take the greedy policy each
# learner would follow and evaluate it **exactly on the true MDP**; the
# quality measure is that policy's value at the start state, compared with
# $V^\star$. Planning with the true model is optimal before any real step. The
# learners' Q-learning step size was chosen as the best of
# $\alpha \in \{0.1, 0.2, 0.5\}$, so the baseline is not a straw man.

# %% mystnb={"image": {"alt": "Learning curves of the gap between the greedy policy's value and the optimal value at the start state, against real steps on a symmetric-log axis, for each category of agent (mean over seeds with the min-max band); the learners that use a model close the gap with fewer real steps."}}
cfg = replace(CategoriesConfig(), n_seeds=budget(fast=3, full=10),
              total_steps=budget(fast=20_000, full=30_000))
result = run(cfg)

fig, ax = plt.subplots(figsize=fig_size(4.2))
gap = [LearningCurve(c.steps, c.values - result.v_star, label=name)
       for name, c in result.curves.items()]
plot_learning_curves(gap, ax=ax, ylabel="$V^{\\pi_{greedy}}(s_0) - V^\\star(s_0)$",
                     title=f"Policy quality vs real steps ({cfg.n_seeds} seeds, "
                     "mean and min–max)", spread="minmax")
ax.set_xscale("symlog", linthresh=1000)
plt.show()

# %%
def describe(name, steps):
    never = int(np.isnan(steps).sum())
    # a run that never gets there counts as needing the whole budget
    counted = np.where(np.isnan(steps), cfg.total_steps, steps)
    return f"| {name} | {counted.mean():,.0f} | {never} of {len(steps)} |"


rows = [describe(name, s) for name, s in result.steps_to_optimal.items()]
display(Markdown("| method | mean real steps to optimal (never = whole budget) "
                 "| runs never optimal |\n"
                 "|---|---|---|\n" + "\n".join(rows)))
print(f"model-based / Q-learning real-step ratio (this run): {result.ratio:.3f}")

# %% [markdown]
# A run "reaches optimal" at the first measurement from which its greedy policy
# is within 0.05 of $V^\star(s_0)$ and stays there for 2,000 more real steps; a
# run that never does is counted as needing the whole budget, which can only
# flatter Q-learning. The full-budget run, measured by
# `benchmarks/ch03_categories.py` and committed to `results/`, says:

# %%
full = load_results("ch03_categories")
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    t = full["targets"][0]
    budget_steps = float(full["config"]["total_steps"])
    # a run that never became optimal counts as the whole budget, as in the ratio
    steps = {k: np.nan_to_num(np.array(v, float), nan=budget_steps)
             for k, v in full["extra"]["steps_to_optimal"].items()}
    never = {k: int(np.isnan(np.array(v, float)).sum())
             for k, v in full["extra"]["steps_to_optimal"].items()}
    display(Markdown(
        f"Full run ({full['config']['n_seeds']} seeds, {full['config']['total_steps']:,} "
        f"real steps each, commit `{full['commit'][:10]}`): model-based needs "
        f"**{t['measured']:.3f}×** Q-learning's real steps (95% bootstrap "
        f"interval over seeds {t['ci'][0]:.3f} to {t['ci'][1]:.3f}; target: the "
        f"whole interval ≤ 1/3, {'met' if t['met'] else 'missed'}). Mean steps: "
        f"Q-learning "
        f"{np.mean(steps['Q-learning']):,.0f}, model-based "
        f"{np.mean(steps['model-based']):,.0f} (runs never optimal: "
        f"{never['Q-learning']} and {never['model-based']})."))

# %% [markdown]
# ## Why the gap is so large
#
# Three effects compound.
#
# 1. **Reuse.** Q-learning uses each transition once, for one update, then
#    forgets it. The model keeps every transition, and each planning sweep
#    propagates what it implies through *all* states. One real step that
#    reveals the goal changes the value of every state upstream at the next
#    replan; Q-learning needs the agent to walk that path again and again for
#    the news to travel back one cell at a time.
# 2. **Directed exploration.** The optimistic model makes untried actions look
#    good, so the planner routes the agent to them. Q-learning relies on
#    $\varepsilon$-greedy dithering, which revisits the familiar start region
#    over and over.
# 3. **Averaging noise.** With slip, single rewards and next states are noisy.
#    Counts average that noise exactly; a constant step size keeps chasing it,
#    which is why Q-learning's greedy policy keeps flipping between routes
#    even late in the run.
#
# The price is compute and memory: the model-based agent solves an MDP every
# ten steps, and its model must be right. Here the model class (a table) can
# represent the truth exactly, so model bias is zero — the best case. Chapters
# 4–6 are about what happens when it cannot.
#
# ## Try it: how much data is enough?
#
# The slider sets the number of real steps. Left: the greedy policy Q-learning
# holds after that many steps; right: the policy planned from the model learned
# in the same number of steps (same seed). Arrows show the policy; colours show
# the *learner's own* value estimates.

# %% mystnb={"image": {"alt": "Two grid-world heat maps side by side: the values and greedy arrows of Q-learning and of the model-based learner after the same 500 real steps; the model-based learner's arrows already point to the goal over most of the grid."}}
env_w = GridWorld(slip=cfg.slip)
steps_max = 8_000
ql_run = q_learning(GridWorld(slip=cfg.slip), QLearningConfig(
    total_steps=steps_max, alpha=0.2, gamma=cfg.gamma, record_every=100), seed=1)
mb_run = model_based_rl(GridWorld(slip=cfg.slip), ModelBasedConfig(
    total_steps=steps_max, gamma=cfg.gamma, record_every=100), seed=1)


def draw_policies(real_steps=500):
    i = max(real_steps // 100 - 1, 0)
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.4))
    for ax, name, res in ((axes[0], "Q-learning", ql_run),
                          (axes[1], "model-based", mb_run)):
        Q = res.Q_history[i]
        plot_grid_values(env_w, Q.max(1), greedy_policy(Q), ax=ax, annotate=False,
                         title=f"{name} after {res.record_steps[i]:,} real steps")
    plt.tight_layout()


live_figure(draw_policies, caption="Both learners after 500 real steps.",
            real_steps=widgets.IntSlider(value=500, min=100, max=steps_max, step=100,
                                         description="real steps"))

# %% [markdown]
# Check the planning baseline with the same drawing: value iteration with the
# true model needs no real steps at all.

# %% mystnb={"image": {"alt": "Grid-world heat map of the optimal values and greedy arrows obtained by planning with the true model, using no real steps at all."}}
true_mdp = TabularMDP.from_env(env_w, cfg.gamma)
vi = value_iteration(true_mdp)
fig, ax = plt.subplots(figsize=fig_size(3.4, 6.5))
plot_grid_values(env_w, vi.V, vi.policy, ax=ax, annotate=False,
                 title="planning with the true model (0 real steps)")
plt.show()

# %% [markdown]
# ## Exercises
#
# The graded exercises are in
# [`exercises/ch03_model_learning.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch03_model_learning.ipynb):
# the maximum-likelihood tabular model from a list of transitions, and planning
# with the learned model. See {doc}`ch00_checking_your_work` for how they are
# graded.
#
# ```{exercise}
# :label: ex-ch03-pessimism
# The model-based agent above is optimistic: it models an untried pair as a
# self-loop paying `optimism = 0` per step, and on this grid, where every
# real step costs $-1$, that is better than anything real. Make it
# pessimistic with `ModelBasedConfig(optimism=-20.0)`: an untried action then
# looks like a self-loop costing $-20$ per step forever, far worse than even
# the trap. Does the agent still reach the optimal
# policy quickly? Explain what changed, in terms of which actions the planner
# is willing to try, and what is left to find them.
# ```
#
# ```{exercise}
# :label: ex-ch03-slip
# Raise the slip probability to 0.3. Which learner suffers more, and why?
# ```
#
# ## References
#
# The taxonomy follows the survey of Moerland et al. {cite}`moerland2023mbrl`;
# Sutton and Barto {cite}`sutton2018rl` (chapter 8) discuss the same contrast
# between learning from real and from simulated experience.
