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
# # Exercises for chapter 2: dynamic programming
#
# Four functions, each a few lines of numpy. Write each one in the cell that
# raises `NotImplementedError`, then run the `check(...)` cell under it: the
# grader runs your function in a separate process on hand-worked cases and on
# random MDPs, and prints a score table with what it expected, what came back
# and a hint.
#
# Conventions used throughout: `P` has shape `[S, A, S]` with
# `P[s, a, s2]` the probability of landing in `s2`; `R` has shape `[S, A]`
# (expected reward); `gamma` is the discount; a stochastic policy `pi` has
# shape `[S, A]` with rows summing to one. No terminal states here.

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

# A 2-state MDP to try things on, worked out by hand here (the grader checks
# these numbers): s0: a0 stays (+1), a1 moves to s1 (0); s1: a0 stays (+2),
# a1 moves to s0 (0). With gamma = 0.9, staying in s1 forever is worth
# 2 / (1 - 0.9) = 20, so V*(s1) = 20. From s0, staying forever is worth
# 1 / (1 - 0.9) = 10, moving is worth 0 + 0.9 * 20 = 18: V*(s0) = 18, and
# the greedy policy is [1, 0] (move, then stay).
P2 = np.zeros((2, 2, 2))
P2[0, 0, 0] = P2[0, 1, 1] = P2[1, 0, 1] = P2[1, 1, 0] = 1.0
R2 = np.array([[1.0, 0.0], [2.0, 0.0]])

# %% [markdown]
# ## Exercise 1 — iterative policy evaluation (`ch02_policy_evaluation`, 6 points)
#
# Write `policy_evaluation(P, R, gamma, pi, tol=1e-8)` returning $V^\pi$, shape
# `[S]`. Start from $V = 0$ and repeat
# $V \leftarrow r_\pi + \gamma P_\pi V$ with
# $r_\pi(s) = \sum_a \pi(a|s) R(s,a)$ and
# $P_\pi(s, s') = \sum_a \pi(a|s) P(s'|s,a)$, until the largest change is
# below `tol`. Graded on: the return shape; the 2-state MDP by hand; three
# random MDPs against the exact linear solve; and $\gamma = 0$.

# %%
def policy_evaluation(P, R, gamma, pi, tol=1e-8):
    # BEGIN SOLUTION
    r_pi = (pi * R).sum(axis=1)
    P_pi = np.einsum("sa,sat->st", pi, P)
    V = np.zeros(P.shape[0])
    while True:
        V_new = r_pi + gamma * P_pi @ V
        if np.abs(V_new - V).max() < tol:
            return V_new
        V = V_new
    # END SOLUTION


print(policy_evaluation(P2, R2, 0.9, np.array([[0.5, 0.5], [1.0, 0.0]])))

# %%
check("ch02_policy_evaluation", globals())

# %% [markdown]
# ## Exercise 2 — the Bellman optimality backup (`ch02_bellman_backup`, 5 points)
#
# Write `bellman_optimality_backup(P, R, gamma, V)` returning
# $(TV)(s) = \max_a \big[R(s,a) + \gamma \sum_{s'} P(s'|s,a) V(s')\big]$,
# shape `[S]`. Graded on the shape, $T(0)$ and the fixed point $T(V^\star) =
# V^\star$ of the 2-state MDP, and random MDPs.

# %%
def bellman_optimality_backup(P, R, gamma, V):
    # BEGIN SOLUTION
    Q = R + gamma * P @ V
    return Q.max(axis=1)
    # END SOLUTION


print(bellman_optimality_backup(P2, R2, 0.9, np.zeros(2)))

# %%
check("ch02_bellman_backup", globals())

# %% [markdown]
# ## Exercise 3 — value iteration with a stopping rule (`ch02_value_iteration`, 6 points)
#
# Write `value_iteration(P, R, gamma, tol=1e-8)` returning a tuple
# `(V, n_sweeps)`: start from $V = 0$, apply the optimality backup, and stop
# after the first sweep whose largest change $\max_s |V_{new}(s) - V(s)|$ is
# below `tol`; `n_sweeps` counts the backups you applied. Graded on the return
# types, $V^\star = [18, 20]$ for the 2-state MDP, random MDPs within the error
# bound $\text{tol}\cdot\gamma/(1-\gamma)$, and the number of sweeps.

# %%
def value_iteration(P, R, gamma, tol=1e-8):
    # BEGIN SOLUTION
    V = np.zeros(P.shape[0])
    n_sweeps = 0
    while True:
        V_new = (R + gamma * P @ V).max(axis=1)
        n_sweeps += 1
        if np.abs(V_new - V).max() < tol:
            return V_new, n_sweeps
        V = V_new
    # END SOLUTION


print(value_iteration(P2, R2, 0.9))

# %%
check("ch02_value_iteration", globals())

# %% [markdown]
# ## Exercise 4 — greedy policy improvement (`ch02_greedy_policy`, 5 points)
#
# Write `greedy_policy(P, R, gamma, V)` returning, for every state, the action
# that maximises the one-step lookahead $R(s,a) + \gamma\sum_{s'}P(s'|s,a)V(s')$,
# as an integer array of shape `[S]`. Graded on the dtype and shape, the
# 2-state MDP, and random MDPs (any maximising action counts, ties included).

# %%
def greedy_policy(P, R, gamma, V):
    # BEGIN SOLUTION
    Q = R + gamma * P @ V
    return Q.argmax(axis=1)
    # END SOLUTION


print(greedy_policy(P2, R2, 0.9, np.array([18.0, 20.0])))

# %%
check("ch02_greedy_policy", globals())
