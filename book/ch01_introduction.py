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
# # Chapter 1: Introduction
#
# *About 7 minutes: 6 to read, 1 to run at FAST.*
#
# An agent that learns only by trial and error must *live through* every
# consequence it learns about. An agent with a model of its world can try
# things in imagination first. Model-based reinforcement learning (MBRL) is
# the study of agents of the second kind: they learn or are given a model of
# how the environment responds, **plan** with it, and **learn** a policy or
# value function with the help of those plans.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - say what a model is in reinforcement learning and what planning does with it;
# - name the main promise of MBRL (fewer real interactions) and its main risk
#   (a wrong model, whose errors compound over a long imagined rollout);
# - find your way around the rest of the course.
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
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from mbrl_lessons import budget
from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp import ModelBasedConfig, QLearningConfig, model_based_rl, q_learning
from mbrl_lessons.viz import live_figure
from mbrl_lessons.viz.style import fig_size

# %% [markdown]
# ## Planning plus learning
#
# In reinforcement learning an agent observes a state $s_t$, takes an action
# $a_t$, receives a reward $r_t$ and lands in a new state $s_{t+1}$. A **model**
# is anything that answers the question "what happens if I do $a$ in $s$?" —
# formally, an estimate $\hat P(s_{t+1} \mid s_t, a_t)$ of the transition
# distribution, usually with a reward estimate $\hat R(s_t, a_t)$.
#
# **Planning** turns a model into better decisions without touching the real
# environment: searching over action sequences, running dynamic programming,
# or simulating whole trajectories. **Learning** fits global functions — a
# policy $\pi(a \mid s)$ or a value function — from data. Model-free methods
# learn those functions straight from real experience. Model-based methods put
# a model in the loop: real experience trains the model, the model generates
# imagined experience or look-ahead search, and the two together shape the
# policy {cite}`moerland2023mbrl,sutton2018rl`.
#
# Why bother? Because real interaction is often the scarce resource — a robot
# wears out, a patient cannot be experimented on, a simulator call may cost
# seconds. Every real transition stored in a model can be replayed, recombined
# and propagated many times over. The catch is that the model is only an
# approximation: a planner that optimises hard against it will find and
# exploit its mistakes, and errors in one-step predictions compound when the
# model is rolled forward many steps.
#
# ## A first look
#
# Here is chapter 3's experiment in miniature. Two agents learn the same grid
# world from scratch. One is Q-learning, which updates a table of action
# values from each real step and discards the step. The other counts the
# transitions it sees, builds a model from the counts, and plans with it. We
# plot the return of every episode each agent plays.

# %% mystnb={"image": {"alt": "Return of each episode against episode number on a log axis, for Q-learning and for learning a model then planning, on the same slippery grid with the same number of real steps; the model-based learner reaches high returns after far fewer episodes."}}
n_steps = budget(fast=6_000, full=15_000)
curves = {}
for name, fn, cfg in (
        ("Q-learning (model-free)", q_learning,
         QLearningConfig(total_steps=n_steps, alpha=0.2)),
        ("learn a model, then plan (model-based)", model_based_rl,
         ModelBasedConfig(total_steps=n_steps))):
    curves[name] = fn(GridWorld(slip=0.1), cfg, seed=0).episode_returns

fig, ax = plt.subplots(figsize=fig_size(3.8))
for name, returns in curves.items():
    ax.plot(np.arange(1, len(returns) + 1), returns, label=name, alpha=0.85)
ax.set_xlabel("episode")
ax.set_ylabel("return of the episode")
ax.set_title("Same grid, same seed, same number of real steps")
ax.set_xscale("log")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
for name, returns in curves.items():
    print(f"{name}: {len(returns)} episodes in {n_steps:,} real steps")

# %% [markdown]
# The model-based agent plays far more episodes in the same number of real
# steps, because it finds a short route to the goal early and then keeps to
# it, while Q-learning's early episodes are long walks (the counts are printed
# below the figure). Chapter 3 measures the gap properly, over many seeds.
#
# ## The catch: compounding model error
#
# A model that is almost right for one step can be badly wrong for fifty. The
# widget rolls a simple system forward twice from the same start: once with the
# true dynamics $x_{t+1} = a\,x_t + 0.1\sin(x_t) + u$ and once with a model
# whose coefficient $a$ is off by the amount you choose. Each step the model adds
# a fresh error on top of the one it carried from the step before. What
# happens to the old errors depends on the system: if it *damps* differences
# ($a = 0.98$), they fade and the gap levels off towards a steady bias
# (lengthen the horizon to watch it settle); if it *amplifies* them ($a = 1.02$, like a pendulum near the
# top), the gap keeps growing, faster than linearly. Either way the
# prediction is worst at the far end of the plan, which is why the planners of
# chapter 4 replan every step.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels. Left: the state of a true one-dimensional system and of a slightly wrong learned model rolled out open loop from the same start with the same actions; the dashed model curve drifts away from the true one. Right: the gap between the two curves grows step by step, far above the single step's fresh error shown dotted."}}
def draw_rollouts(model_error=0.02, horizon=40, a=0.98):
    x_true = np.empty(horizon + 1)
    x_model = np.empty(horizon + 1)
    x_true[0] = x_model[0] = 1.0
    u = 0.05  # the same action sequence for both
    for t in range(horizon):
        x_true[t + 1] = a * x_true[t] + 0.1 * np.sin(x_true[t]) + u
        x_model[t + 1] = (a + model_error) * x_model[t] + 0.1 * np.sin(x_model[t]) + u
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.4))
    axes[0].plot(x_true, label="true system")
    axes[0].plot(x_model, "--", label="learned model")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("state $x_t$")
    axes[0].legend()
    axes[0].set_title(f"Open-loop rollouts from the same start, a = {a}")
    gap = np.abs(x_model - x_true)
    axes[1].plot(gap, color="C3", label="accumulated gap")
    axes[1].plot(model_error * np.abs(x_true), ":", color="gray",
                 label="one step's fresh error")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("$|\\hat x_t - x_t|$")
    axes[1].set_title("The gap between model and truth")
    axes[1].legend(fontsize=8)
    plt.tight_layout()


live_figure(draw_rollouts, caption="A 2% coefficient error over 40 steps, a = 0.98.",
            model_error=widgets.FloatSlider(value=0.02, min=0.0, max=0.1, step=0.005,
                                            description="model error"),
            horizon=widgets.IntSlider(value=40, min=5, max=100, step=5,
                                      description="horizon"),
            a=widgets.Dropdown(options=[("damps (a = 0.98)", 0.98),
                                        ("amplifies (a = 1.02)", 1.02)],
                               value=0.98, description="system"))

# %% [markdown]
# ## A map of the course
#
# The course follows one lecture on model-based methods, section by section.
#
# | chapter | topic | status in this edition |
# |---|---|---|
# | 2 | Markov decision processes: values, Bellman equations, dynamic programming | ✔ |
# | 3 | Planning vs model-free vs model-based; the simplest model-based agent | ✔ |
# | 4 | The four basic schemes: fit once (v0.5), iterate (v1.0), MPC (v1.5), backprop through the model (v2.0) | ✔ |
# | 5 | Learning dynamics models: stochasticity, uncertainty, partial observability, non-stationarity, multi-step prediction, state and temporal abstraction | ✔ |
# | 6 | Integrating planning and learning: start states, budgets, CEM, MCTS, Dyna | ✔ |
# | 7 | Modern algorithms: World Models, PETS, MBPO, Dreamer, MuZero | ✔ |
# | 8 | Benefits and drawbacks, measured: data efficiency, exploration, optimality, transfer, safety, explainability | ✔ |
# | 9 | Conclusion and open problems | ✔ |
#
# Each chapter pairs the ideas with code from the `mbrl_lessons` package and
# with experiments you can rerun and modify.
#
# ```{exercise}
# :label: ex-ch01-where
# Think of a task you care about. Is real interaction expensive there? Would a
# model be easy or hard to learn? Would you trust a plan 100 steps long?
# ```
#
# ## References
#
# The survey by Moerland et al. {cite}`moerland2023mbrl` is the map this course
# follows; Levine's lectures {cite}`levine2017cs294` introduce the basic schemes
# of chapter 4; Sutton and Barto {cite}`sutton2018rl` cover the tabular
# foundations and Dyna.
