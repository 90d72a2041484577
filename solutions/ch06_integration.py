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
# # Exercises for chapter 6: Dyna, UCT and prioritized sweeping
#
# Four small functions at the heart of the chapter's algorithms. Write each in
# the cell that raises `NotImplementedError`, then run the `check(...)` cell.

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

import numpy as np

from mbrl_lessons.grading import check

# %% [markdown]
# ## Exercise 1 — the Dyna-Q planning loop (`ch06_dyna_planning`, 5 points)
#
# `model` maps remembered pairs `(s, a)` to `(r, s_next, done)`. Write
# `dyna_planning(Q, model, n, alpha, gamma, rng)`: repeat `n` times — pick a
# remembered pair uniformly at random (`rng` is a numpy Generator), and apply
# the Q-learning update with the model's outcome (no bootstrap when `done`).
# Return `Q`.

# %%
def dyna_planning(Q, model, n, alpha, gamma, rng):
    # BEGIN SOLUTION
    pairs = list(model)
    for _ in range(n):
        s, a = pairs[rng.integers(len(pairs))]
        r, s2, done = model[(s, a)]
        target = r if done else r + gamma * Q[s2].max()
        Q[s, a] += alpha * (target - Q[s, a])
    return Q
    # END SOLUTION


# %%
check("ch06_dyna_planning", globals())

# %% [markdown]
# ## Exercise 2 — the UCB rule (`ch06_ucb_score`, 3 points)
#
# Write `ucb_score(q, n_parent, n_child, c)` $= q + c\sqrt{\ln n_{parent} / n_{child}}$,
# and `math.inf` for a child never visited.

# %%
def ucb_score(q, n_parent, n_child, c):
    # BEGIN SOLUTION
    if n_child == 0:
        return math.inf
    return q + c * math.sqrt(math.log(n_parent) / n_child)
    # END SOLUTION


# %%
check("ch06_ucb_score", globals())

# %% [markdown]
# ## Exercise 3 — MCTS backpropagation (`ch06_mcts_backprop`, 3 points)
#
# Nodes are dicts with visit count `"N"`, total value `"W"` and `"mover"`
# (+1 or -1, the player who moved into the node). Write
# `backpropagate(path, result)` where `result` is +1 (player +1 won), -1 or 0:
# add one visit to every node on the path, and to `W` add 1 if the node's
# mover won, 0 if it lost, 0.5 for a draw.

# %%
def backpropagate(path, result):
    # BEGIN SOLUTION
    for node in path:
        node["N"] += 1
        node["W"] += 0.5 + 0.5 * result * node["mover"]
    # END SOLUTION


# %%
check("ch06_mcts_backprop", globals())

# %% [markdown]
# ## Exercise 4 — the predecessor update (`ch06_ps_predecessors`, 3 points)
#
# After prioritized sweeping updates a pair leading *out of* state `s`, the
# pairs leading *into* `s` may need updating. `predecessors[s]` is the set of
# pairs `(s_bar, a_bar)` the model says lead to `s`. Write
# `predecessor_priorities(Q, model, predecessors, s, gamma, theta)` returning
# a list of `(priority, s_bar, a_bar)` with
# `priority = |r_bar + gamma * max(Q[s]) - Q[s_bar, a_bar]|`, keeping only
# priorities above `theta`.

# %%
def predecessor_priorities(Q, model, predecessors, s, gamma, theta):
    # BEGIN SOLUTION
    out = []
    for s_bar, a_bar in predecessors.get(s, ()):
        r_bar = model[(s_bar, a_bar)][0]
        p = abs(r_bar + gamma * Q[s].max() - Q[s_bar, a_bar])
        if p > theta:
            out.append((p, s_bar, a_bar))
    return out
    # END SOLUTION


# %%
check("ch06_ps_predecessors", globals())

# %% [markdown]
# ## Exercise 5 — the gradient of a plan's return (`ch06_plan_gradient`, 5 points)
#
# Gradient shooting (§6.3) climbs the predicted return of a plan by its
# gradient. Compute that gradient by hand, with the backward (adjoint)
# recursion that automatic differentiation performs, for a one-dimensional
# linear model $s_{t+1} = \alpha s_t + \beta a_t$ and the reward
# $r_t = -(s_t^2 + \rho a_t^2)$, charged on the state *before* each step as
# the pendulum's is. With $J = \sum_{t=0}^{H-1} r_t$ and
# $\lambda_t = \partial J / \partial s_t$ (how much the return after
# $s_t$ changes with $s_t$):
#
# $$
# \lambda_H = 0, \qquad \lambda_t = -2 s_t + \alpha \lambda_{t+1}, \qquad
# \frac{\partial J}{\partial a_t} = -2 \rho a_t + \beta \lambda_{t+1}.
# $$
#
# Write `plan_gradient(actions, s0, alpha, beta, rho)`: roll the model
# forward from `s0` to get $s_0, \dots, s_H$, then run the recursion
# backwards and return $\partial J / \partial a_t$ for $t = 0, \dots, H-1$
# as a numpy array of shape `[H]`. (Check your answer against finite
# differences of $J$ before you submit.)

# %%
def plan_gradient(actions, s0, alpha, beta, rho):
    # BEGIN SOLUTION
    a = np.asarray(actions, dtype=float)
    H = len(a)
    s = np.empty(H + 1)
    s[0] = s0
    for t in range(H):
        s[t + 1] = alpha * s[t] + beta * a[t]
    grad = np.empty(H)
    lam_next = 0.0  # lambda_H: no reward is charged on the last state
    for t in range(H - 1, -1, -1):
        grad[t] = -2 * rho * a[t] + beta * lam_next
        lam_next = -2 * s[t] + alpha * lam_next  # lambda_t, for step t - 1
    return grad
    # END SOLUTION


# %%
check("ch06_plan_gradient", globals())
