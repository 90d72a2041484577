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
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5.1 What kind of model?
#
# *About 10 minutes: 8 to read, 2 to run at FAST.* Section 5.1 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - name forward, backward and inverse models and say which part of an agent uses each;
# - tell parametric from non-parametric, and global from local, models;
# - fit a time-varying linear model around a trajectory and measure how far from it the model can be trusted;
# - explain from a learning curve why a linear model stops improving and a neural network does not.
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
import matplotlib.pyplot as plt
import torch

from mbrl_lessons import budget
from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# The sections of this chapter learn five kinds of mapping. This section's
# plain forward model maps a state and an action to the next state; the other
# four each change one part of it: a history of states instead of one (§5.4),
# a sequence of actions (§5.6), a learned latent state (§5.7) and an abstract
# action, an option (§5.8). The changes do not exclude each other, and modern
# agents combine several.

# %% mystnb={"image": {"alt": "Diagram of five model mappings, one per row: Markov, state and action to next state; partial observability, a history of states and an action to the next state; multi-step, a state and an action sequence to the state n steps later; state abstraction, an encoder to a latent state, a latent transition, and a decoder back to the next state; temporal abstraction, a state and an option to the state where the option ends."}} tags=["hide-input"]
from mbrl_lessons.viz.diagrams import model_mappings

model_mappings();

# %% [markdown]
# Learning a model is supervised learning on the agent's own transitions
# $(s_t, a_t, r_t, s_{t+1})$. Before choosing a network, three questions
# shape the problem.
#
# **Which direction does it predict?** A *forward* model maps
# $(s_t, a_t) \mapsto s_{t+1}$; it is what a planner rolls out, and the
# default in this book. A *backward* model maps $s_{t+1} \mapsto (s_t, a_t)$:
# which states and actions lead here? Prioritized sweeping (chapter 6) uses
# one to push a value change back to the predecessors of a state. An
# *inverse* model maps $(s_t, s_{t+1}) \mapsto a_t$: which action connects
# two states? It is a common auxiliary task in representation learning,
# because only features the agent can influence help predict its action.
#
# **How is it estimated?** *Parametric* models (linear regression, neural
# networks) compress the data into a fixed set of weights. *Non-parametric*
# ones (nearest neighbours, kernel regression, Gaussian processes
# {cite}`deisenroth2011pilco`) keep the data and answer a query from the
# stored transitions nearest to it. A tabular model is the exact special
# case: one entry per state–action pair, as in chapters 2, 3 and 6.
#
# **Where must it be right?** A *global* model tries to be accurate
# everywhere; a *local* model only near the states the agent is in now —
# for example a linearisation around the current trajectory, refitted as the
# trajectory moves {cite}`atkeson1997locally`.
#
# The experiment below fits three forward models of the pendulum to random
# transitions and measures their error on fresh transitions from the whole
# state space, as the data grow. All three predict the *change* of state.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Log-log plot of next-state prediction error against the number of training transitions for a global linear model, five nearest neighbours and a small neural network on the pendulum; the network's error falls fastest as data grow."}}
families = ml.model_families(sizes=budget(fast=(100, 300, 1000), full=(100, 300, 1000,
                                                                      3000)),
                             epochs=budget(fast=80, full=200))
fig, ax = plt.subplots(figsize=fig_size(3.6, 6.5))
for name, label in (("linear", "global linear"), ("knn", "5 nearest neighbours"),
                    ("mlp", "MLP (2×64)")):
    ax.plot(families["sizes"], families[name], "o-", label=label)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training transitions")
ax.set_ylabel("next-state error (mean distance)")
ax.set_title("Forward models of the pendulum")
ax.legend()
plt.show()

# %% [markdown]
# The linear model is wrong in a way more data cannot fix: gravity pulls
# with $\sin\theta$, which no single plane through the data matches. The
# nearest-neighbour model has no such bias — with enough data it can fit
# anything — but it improves slowly, since every query only sees a few
# stored points nearby. The network sits in between: flexible, yet it
# shares what it learns across the whole state space, so it is the most
# accurate at every size here. That is why the rest of the book uses neural
# networks, and why their blind spots, the subject of the next sections,
# matter.

# %% [markdown]
# ## A local model, measured
#
# How local is local? We linearise the pendulum along one swing-up (an
# episode of MPC with the true dynamics): for every step $t$, an affine model
#
# $$
# s_{t+1} \approx A_t s_t + B_t a_t + c_t ,
# $$
#
# fitted by least squares to 30 true transitions sampled around
# $(s_t, a_t)$ (angle, speed and torque each moved by Gaussian noise of
# standard deviation $\sigma = 0.05$) — the model iterative LQR and guided policy search refit
# around their current trajectory. We compare it with the global linear
# model and the global MLP of the experiment above, both fitted to random
# transitions from the whole state space, at query points moved away from
# the trajectory by $\delta$ (angle, speed and torque each shifted by
# $\delta$ times a standard normal).

# %%
from mbrl_lessons.analysis.local_models import local_vs_global  # noqa: E402
from mbrl_lessons.models.local import fit_affine  # noqa: E402
from mbrl_lessons.viz import show_source  # noqa: E402

show_source(fit_affine)

# %% tags=["hide-input"] mystnb={"image": {"alt": "Log-log plot of one-step error against the distance of the query from a swing-up trajectory for a local affine model fitted around the trajectory, a global linear model and a global MLP; the local model is far more accurate near the trajectory and worse than the MLP far from it."}}
loc = local_vs_global(seed=0, n_local=30, n_train=budget(fast=1000, full=3000),
                      n_test=budget(fast=8, full=20), epochs=budget(fast=60, full=200))
fig, ax = plt.subplots(figsize=fig_size(3.6, 6.5))
for name in ("local", "global linear", "global MLP"):
    ax.plot(loc["deltas"], loc[name], "o-", label=name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("distance $\\delta$ of the query from the swing-up")
ax.set_ylabel("one-step error (mean distance)")
ax.set_title("Local against global models of the pendulum")
ax.legend()
plt.show()

# %% [markdown]
# Near the trajectory the local model is better than the global MLP by two
# orders of magnitude: over a small neighbourhood the dynamics *are* nearly
# affine, and 30 samples pin the affine map down. Its error grows roughly
# with the square of $\delta$, the size of the curvature it ignores, and a
# full unit away it is worse than the MLP, which was never especially good
# anywhere but is equally mediocre everywhere. That is the bargain of a
# local model: cheap, precise, and trustworthy only where it was fitted,
# which is why methods that use one keep each new trajectory close to the
# last and refit it after every change. The full-budget run
# (`benchmarks/ch05_local.py`, ten seeds, each with its own swing-up):

# %% tags=["hide-input"]
from IPython.display import Markdown, display  # noqa: E402

from mbrl_lessons.analysis.report import targets_markdown  # noqa: E402
from mbrl_lessons.core.results import load_results  # noqa: E402

local_full = load_results("ch05_local")
if local_full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    display(Markdown(targets_markdown(local_full)))

# %% [markdown]
# ## An inverse model, measured
#
# An inverse model answers a different question: given where the pendulum
# was and where it went, which torque did that? We fit one as plain
# regression, an MLP from the pair of observations $(s_t, s_{t+1})$ (six
# numbers) to the torque $a_t$, by squared error on random transitions from
# the whole state space, and score it on fresh ones. Physics says what to
# expect. The speed update $\dot\theta_{t+1} = \dot\theta_t + (\tfrac{3g}{2l}
# \sin\theta_t + \tfrac{3}{ml^2} a_t)\,\Delta t$ can be solved for $a_t$, so
# the torque is a function of the two states, *unless* the new speed was
# clipped at the limit of 8 rad/s: then many torques lead to the same next
# state and no model can tell them apart.

# %%
from mbrl_lessons.analysis.local_models import inverse_model_errors  # noqa: E402

show_source(inverse_model_errors)
inv = inverse_model_errors(n_train=budget(fast=1000, full=3000),
                           n_test=budget(fast=1000, full=4000),
                           epochs=budget(fast=60, full=100), seed=0)
print(f"mean |torque error|, speed inside the limit: {inv['free']:.2f}; "
      f"speed clipped at the limit ({inv['share_at_limit']:.1%} of the test "
      f"transitions): {inv['at_limit']:.2f}   (torques range over [-2, 2])")

# %% [markdown]
# In this run (one seed) the inverse model recovers the torque to within a
# small fraction of its range wherever the speed stayed inside the limit;
# on the few transitions that hit the limit its error is several times
# larger, close to what a guess of 0 would give for a torque drawn
# uniformly from $[-2, 2]$ (a mean error of 1). An inverse model is only as
# good as the information the next state keeps about the action. The
# full-budget run (`benchmarks/ch05_inverse.py`, ten seeds, table below)
# confirms both: a mean torque error of 0.12 inside the limit (interval
# 0.11 to 0.14), and 7.8 times that where the speed was clipped (7.0 to
# 8.5). The exercise below asks you to find the exact,
# linear version of the model and to explain the clipped case.

# %% tags=["hide-input"]
inverse_full = load_results("ch05_inverse")
if inverse_full is None:
    print("No full-budget result yet: run `python benchmarks/ch05_inverse.py`.")
else:
    display(Markdown(targets_markdown(inverse_full)))

# %% [markdown]
# ## Summary
#
# A model is supervised learning on the agent's own transitions, and three
# choices come before any network: the direction of prediction (forward,
# backward, inverse), how the data are summarised (a fixed set of weights or
# the stored transitions themselves), and where the model has to be accurate
# (everywhere or near the current trajectory). On the pendulum, a linear model
# stays wrong however much data it gets, nearest neighbours improve slowly, and
# a small MLP is the most accurate at every data size, which is why the rest
# of the book uses networks. A local linear model around one swing-up beats
# the MLP by orders of magnitude near the trajectory and loses to it a unit
# away: precise, but only where it was fitted.

# %% [markdown]
# ## Exercises
#
# Graded: `ch05_inverse_model` (the pendulum's torque solved exactly from two
# states, NaN where the speed was clipped) in
# [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb)
# (see {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-ch05-inverse
# Fit an *inverse* model of the pendulum, $(s_t, s_{t+1}) \mapsto a_t$, to
# random transitions, once with `fit_affine` on the features
# $(\sin\theta_t, \dot\theta_t, \dot\theta_{t+1})$ and once with a small
# MLP on the raw observations. `fit_affine(obs, act, next_obs)` fits
# $\texttt{next\_obs} \approx A\,\texttt{obs} + B\,\texttt{act} + c$
# by least squares, so give it the features `[N, 3]` as `obs`, an empty
# `np.zeros((N, 0))` as `act` and the torques `[N, 1]` as `next_obs`: $A$
# `[1, 3]` and $c$ are then the inverse model's coefficients
# (`analysis.local_models.inverse_model_errors` shows how to draw the
# transitions and score the MLP). Why is the first one exact whenever the
# speed limit of $8$ rad/s is not reached, and what goes wrong for
# transitions that hit it? (Hint: which torques lead to the same clipped
# speed?)
# ```
#
# ```{exercise}
# :label: ex-ch05-local-radius
# Refit the local model of the last section with samples drawn with a
# noise standard deviation of $\sigma = 0.01$ and of $\sigma = 0.3$ instead
# of $0.05$ (the argument `sigma` of `local_vs_global`). How does the error
# curve move, and why does a wider sampling radius trade accuracy near the
# trajectory for accuracy further away?
# ```

# %% [markdown]
# ## References
#
# Moerland et al. {cite}`moerland2023mbrl` organise model learning along the
# lines of this chapter; PILCO {cite}`deisenroth2011pilco` is the
# non-parametric (Gaussian process) example, and Atkeson et al.
# {cite}`atkeson1997locally` survey locally weighted models.
