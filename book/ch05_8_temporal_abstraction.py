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
# # 5.8 Temporal abstraction
#
# *About 17 minutes: 16 to read, 1 to run at FAST.* Section 5.8 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - define an option and its multi-time model $(R_o, P_o)$;
# - compute an option's model exactly from the one-step model with one linear system;
# - plan with options by SMDP value iteration and explain what they speed up and what they cannot change;
# - compute goal-conditioned values for every goal at once, and discover subgoals as the bottlenecks of shortest paths.
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
import torch

from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# Every model in this chapter so far answers a one-step question: given $s$
# and $a$, what happens next? A planner that uses such a model inherits its
# time scale. In chapter 2 we saw the consequence: value iteration needs as
# many sweeps as the goal is steps away, because each sweep carries the news
# of a reward back by exactly one step. Nobody plans a walk to the station one
# footstep at a time. We think in chunks — leave the room, go down the
# stairs, cross the road — and we can predict where each chunk ends and
# roughly what it costs without replaying its steps. A model of such a chunk
# is a *multi-step* model, and a single backup through it moves value across
# the whole stretch the chunk covers.
#
# This idea, temporal (or action) abstraction, is the planning side of
# hierarchical reinforcement learning. It comes in several forms. *Options*
# {cite}`sutton1999options` are policies with a rule for where they may start
# and when they stop, and are used exactly like actions. In *goal-conditioned*
# hierarchies a higher level picks a target and a lower level learns to reach
# it, as in feudal reinforcement learning {cite}`dayan1993feudal` or with
# value functions that take the goal as an input {cite}`schaul2015uvfa`.
# *Subgoal discovery* looks for the states worth turning into targets, such
# as the bottlenecks between regions that the agent's experience reveals
# {cite}`menache2002qcut`. All three trade many small decisions for a few
# large ones, which makes plans shallower; and a skill learned once can be
# reused for every task that passes through it. We work with options, because
# their model has a closed form that we can compute and check exactly.
#
# ```{prf:definition} Option
# :label: def-option
# An option $o = (\mathcal I_o, \pi_o, \beta_o)$ consists of an *initiation
# set* $\mathcal I_o \subseteq \mathcal S$ of states where it may be started, a
# policy $\pi_o(a \mid s)$ that it follows while it runs, and a *termination
# condition* $\beta_o(s) \in [0, 1]$, the probability that it stops on
# arriving in $s$ {cite}`sutton1999options`.
# ```
#
# A primitive action $a$ is an option too: it may start anywhere, always
# picks $a$, and stops after one step ($\beta \equiv 1$).
#
# ## The model of an option
#
# Start option $o$ in state $s$ at time $t$. It runs for a random number of
# steps $k \ge 1$ and stops in a random state $s_{t+k}$. What a planner needs
# to know about it is what it pays on the way, discounted as usual, and where
# and when it ends:
#
# $$
# R_o(s) = \mathbb E\big[r_t + \gamma r_{t+1} + \dots + \gamma^{k-1} r_{t+k-1}
#   \,\big|\, o \text{ started in } s\big],
# \qquad
# P_o(s, s') = \sum_{k=1}^{\infty} \gamma^k \Pr\big(\text{$o$ stops in $s'$
#   after exactly $k$ steps} \,\big|\, s\big).
# $$
#
# $P_o$ is not a probability distribution: its rows sum to
# $\mathbb E[\gamma^k] < 1$. The discount for the time the option takes is
# folded into the model, so a long option is discounted more than a short one.
# For a primitive action, $k = 1$ and the pair reduces to the one-step model,
# $R_o(s) = R(s, a)$ and $P_o(s, s') = \gamma P(s' \mid s, a)$. The pair
# $(R_o, P_o)$ is the option's *multi-time model* {cite}`sutton1999options`.
#
# With a set of options $\mathcal O$, and $\mathcal O(s)$ the options that may
# start in $s$, the Bellman optimality equation keeps its shape but loses the
# explicit $\gamma$, which now lives inside $P_o$:
#
# $$
# V^\star_{\mathcal O}(s) = \max_{o \in \mathcal O(s)} \Big[ R_o(s)
#   + \sum_{s'} P_o(s, s')\, V^\star_{\mathcal O}(s') \Big].
# $$
#
# This is the Bellman equation of a *semi-Markov* decision process, in which
# decisions take variable amounts of time. Each row of $P_o$ sums to at most
# $\gamma$, so the backup is still a $\gamma$-contraction and value iteration
# over options converges. Two facts frame the experiment below. If
# $\mathcal O$ contains all primitive actions, then $V^\star_{\mathcal O} =
# V^\star$: options add shortcuts for the planner but no behaviour the
# primitives could not already produce. If it does not, $V^\star_{\mathcal O}
# \le V^\star$, and the gap is the price of committing to a fixed repertoire.
#
# ## Computing the model from the one-step model
#
# Given the true one-step model, $R_o$ and $P_o$ follow exactly from a linear
# system. Condition on the first step: the option pays $r$, lands in $s'$, and
# then either stops there (probability $\beta(s')$) or carries on from $s'$,
# one step of discount later. With $P_\pi$ and $r_\pi$ the one-step model under
# the option's policy, $B = \operatorname{diag}(\beta)$ and $C = I - B$,
#
# $$
# R_o = r_\pi + \gamma P_\pi C R_o, \qquad
# P_o = \gamma P_\pi B + \gamma P_\pi C P_o,
# $$
#
# so both come from the same matrix, $(I - \gamma P_\pi C)^{-1}$, restricted to
# the initiation set. For that restriction to make sense the option must never
# keep running in a state where it could not have been started; the package
# refuses options that do.

# %%
from mbrl_lessons.mdp import TabularMDP, value_iteration
from mbrl_lessons.mdp.options import (
    four_rooms,
    hallway_options,
    option_model,
    primitive_options,
    smdp_value_iteration,
)
from mbrl_lessons.viz import plot_grid_values

show_source(option_model)

# %% [markdown]
# ## Planning in four rooms
#
# Our test bed follows the rooms example of the options paper
# {cite}`sutton1999options`: 104 cells split into four rooms that are joined
# by one-cell hallways. A move succeeds with probability $2/3$; otherwise the
# agent slips in one of the other three directions, each with probability
# $1/9$. Every step pays $0$, entering the goal pays $+1$, and $\gamma = 0.9$.
# The goal is the hallway between the two right-hand rooms, and we watch the
# value of the top-left corner (dashed), 14 steps away along the shortest
# route.
#
# Each room gets one option per hallway on its border, eight in all. An
# option may start anywhere in its room or in the room's other hallway; it
# walks a shortest path to its target hallway and stops as soon as it leaves
# the room — normally in the target, occasionally elsewhere after a slip.
# Below are two of their models. For the option that leads from the top-left
# room to its right-hand hallway, $P_o(s, \text{hallway})$ shrinks by a roughly
# constant factor per cell of distance — about $0.8$, less than
# $\gamma = 0.9$, because slips add detours. For an option that ends in the
# goal, $R_o(s)$ is the discounted chance of collecting the $+1$ on the way.

# %% mystnb={"image": {"alt": "Two heat maps of the four-rooms grid: the option model's discounted probability of ending in the hallway from each cell, for the option that walks to that hallway, and the expected reward from each cell of the option that walks to the goal."}}
env = four_rooms()
mdp = TabularMDP.from_env(env, gamma=0.9)
options = hallway_options(env)
prim_models = [option_model(mdp, o) for o in primitive_options(mdp)]
hall_models = [option_model(mdp, o) for o in options]
print("".join("".join(row) + "\n" for row in env.grid))
print("\n".join(f"{o.name}: starts in {o.initiation.sum()} states" for o in options))

to_hall, to_goal = options[0], options[3]
hallway = env.state_of(3, 6)
fig, axes = plt.subplots(1, 2, figsize=fig_size(4.4))
plot_grid_values(env, hall_models[0].P[:, hallway], ax=axes[0], annotate=False,
                 title=f"$P_o(s, (3, 6))$ of '{to_hall.name}'")
plot_grid_values(env, hall_models[3].R, ax=axes[1], annotate=False,
                 title=f"$R_o(s)$ of '{to_goal.name}'")
plt.tight_layout()
plt.show()

# %% [markdown]
# Now we plan three times with SMDP value iteration from $V_0 = 0$: with the
# four primitive actions only (this is ordinary value iteration), with the
# primitives plus the eight hallway options, and with the hallway options
# alone. For each we record $V_k$ after every sweep and count the *backups*,
# one per state and available option per sweep; a backup through an option
# costs as much as one through a primitive action, a dot product of a row of
# $P_o$ with $V$.

# %%
show_source(smdp_value_iteration)

# %%
V_star = value_iteration(mdp, tol=1e-12).V
start = env.start_states[0]
runs = {
    "primitives": smdp_value_iteration(mdp, prim_models, record=True),
    "primitives + hallway options": smdp_value_iteration(
        mdp, prim_models + hall_models, record=True),
    "hallway options only": smdp_value_iteration(mdp, hall_models, record=True),
}
print(f"V*(start) = {V_star[start]:.4f}\n")
print(f"{'':30s} {'start sees':>10s} {'start within 1%':>17s} {'all within 1e-8':>17s}")
print(f"{'option set':30s} {'goal':>10s} {'sweeps':>8s} {'backups':>8s} "
      f"{'sweeps':>8s} {'backups':>8s} {'V(start)':>9s}")
for name, res in runs.items():
    per_sweep = res.backups // res.iterations
    sees = int(np.argmax(res.history[:, start] > 0))
    close = np.abs(res.history[:, start] - V_star[start]) < 0.01 * V_star[start]
    within = f"{np.argmax(close):d}" if close.any() else "never"
    cost = f"{np.argmax(close) * per_sweep:d}" if close.any() else "-"
    print(f"{name:30s} {sees:10d} {within:>8s} {cost:>8s} {res.iterations:8d} "
          f"{res.backups:8d} {res.V[start]:9.4f}")
both = runs["primitives + hallway options"]
print(f"\nprimitives + options: max |V - V*| = {np.abs(both.V - V_star).max():.1e};"
      f" the converged greedy choice is an option in {(both.policy >= 4).sum()}"
      f" of {(both.policy >= 0).sum()} states")

# %% [markdown]
# The columns give the first sweep at which the start state has a non-zero
# value, the sweeps (and backups) until its value is within 1% of
# $V^\star(\text{start})$, and the sweeps (and backups) until no value changes
# by more than $10^{-8}$. Three things stand out.
#
# - **The goal reaches the start in 2 sweeps instead of 14.** In the first
#   sweep the options that end in the goal hallway give value to both
#   right-hand rooms and to the hallways leading into them; in the second, the
#   top-left room's option to its right-hand hallway passes that value on to
#   the whole room at once. With primitives only, the value front moves one
#   cell per sweep.
# - **The answer does not change.** With the primitives included, the values
#   converge to the same $V^\star$ as plain value iteration, as the theory
#   says. The options only change how fast the planner gets there.
# - **The speed-up is for the rough answer, not the last digits.** Getting
#   within 1% of $V^\star$ at the start takes about a third of the sweeps and
#   half of the backups. Converging to $10^{-8}$ everywhere, though, still
#   takes most of the sweeps (58 against 74) and more backups in total, since
#   every sweep now also backs up the options. In this slippery world the
#   hallway options are a little worse than the best primitive behaviour, so
#   once converged no state picks an option at all: the options lay down a
#   good first estimate quickly, and the remaining few percent must travel the
#   primitive way, one cell per sweep, shrinking by $\gamma$ each time.
#
# Without the primitives the planner converges fastest of all, but to a worse
# answer. The hallway options follow shortest routes picked as if moves never
# failed; among routes of equal length some fare worse than others once the
# agent slips, and a plan built only from options has no way to correct them.
# The errors per sweep show all three behaviours:

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels on log axes against planning sweeps: the relative value error at the start state and the largest value error over the grid, for planning with primitive actions only and with options; with options both errors fall in fewer sweeps."}}
fig, axes = plt.subplots(1, 2, figsize=fig_size(3.8))
for name, res in runs.items():
    gap = np.abs(res.history - V_star)
    axes[0].semilogy(gap[:, start] / V_star[start], label=name)
    axes[1].semilogy(gap.max(axis=1), label=name)
axes[0].set_ylabel("$|V_k(s_0) - V^\\star(s_0)| \\,/\\, V^\\star(s_0)$")
axes[0].set_title("Relative error at the start")
axes[1].set_ylabel("$\\max_s |V_k(s) - V^\\star(s)|$")
axes[1].set_title("Largest error over the grid")
for ax in axes:
    ax.set_xlabel("sweep $k$")
    ax.set_ylim(1e-9, 2)
axes[1].legend()
plt.tight_layout()
plt.show()


# %% [markdown]
# ## Try it: watch the values spread
#
# Move the slider to see $V_k$ after $k$ sweeps, on the same colour scale,
# with primitive actions only (left) and with the hallway options added
# (right). On the left the value seeps out of the goal cell by cell; on the
# right whole rooms light up together.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two heat maps of the four-rooms grid after two sweeps of value iteration, with primitive actions and with options; with options, value from the goal has already reached the start room."}}
def draw_sweep(k=2):
    fig, axes = plt.subplots(1, 2, figsize=fig_size(4.4))
    for ax, name in zip(axes, ["primitives", "primitives + hallway options"],
                        strict=True):
        hist = runs[name].history
        plot_grid_values(env, hist[min(k, len(hist) - 1)], ax=ax, annotate=False,
                         title=f"{name}: $V_{{{k}}}$")
        ax.images[0].set_clim(0, V_star.max())
    plt.tight_layout()


live_figure(
    draw_sweep,
    caption="Values after 2 sweeps: with options, the start already sees the goal.",
    k=widgets.IntSlider(value=2, min=0, max=30, step=1, description="sweep k"),
)

# %% [markdown]
# A caveat on cost. We computed the option models from the true one-step
# model by solving one linear system per option, which is cheap for rooms of
# 30 cells but grows with the cube of an option's initiation set. The payoff
# comes from reuse: the options describe the rooms, not the task. For any goal
# placed in a hallway the eight options and their $P_o$ stay the same and only
# the rewards change, so the cost is paid once and each new task is planned
# in a handful of sweeps. A learning agent would estimate $R_o$ and $P_o$ from
# experience instead, for instance from the steps taken while an option runs
# {cite}`sutton1999options`, and then faces the same model-learning questions
# as the rest of this chapter.

# %% [markdown]
# ## Goal-conditioned values and subgoal discovery, in brief
#
# Options answer *how* to reach a hallway; two neighbouring ideas answer
# *which* targets to have and how one value function can serve them all.
#
# **Goal-conditioned values.** Instead of one value function per task,
# learn one function of the state *and* the goal, $V(s, g)$: the value of
# $s$ for the task "reach $g$". In the slip-free four rooms with reward 1
# on arrival, $V(s, g) = \gamma^{d(s,g) - 1}$, with $d$ the fewest moves,
# and one table of shape $[S, G]$ holds every task at once. A higher level
# that picks goals, as in feudal reinforcement learning
# {cite}`dayan1993feudal`, then needs only $V(\cdot, g)$ for the goal it
# chose; a network that takes $g$ as an input
# {cite}`schaul2015uvfa` learns the table and generalises to goals it was
# not trained on.
#
# **Subgoal discovery.** Good targets for options are *bottlenecks*, the
# states that connect regions. One way to find them from a model is to ask
# which cells many shortest paths must cross {cite}`menache2002qcut`:
# draw random pairs of cells, follow a shortest path between each pair
# (ties broken at random), and count how often each cell lies inside a
# path. The cells just before and after a hallway are crossed almost as
# often as the hallway itself, so we take the top cell, rule out everything
# within two moves of it, and repeat.

# %%
from mbrl_lessons.mdp import subgoals  # noqa: E402

show_source(subgoals.bottleneck_counts)

# %% tags=["hide-input"] mystnb={"image": {"alt": "Three heat maps of the slip-free four-rooms grid: the goal-conditioned value V(s, g) for a goal in the top-left room and for one in the bottom-right room, and the number of random shortest paths through each cell, with the four discovered subgoals as red stars on or beside the hallways."}}
rooms = four_rooms(slip=0.0, goal=(1, 11))  # the goal cell only changes the drawing
D = subgoals.goal_distances(rooms)
Vg = subgoals.goal_values(D, 0.9)
counts = subgoals.bottleneck_counts(rooms, 200, np.random.default_rng(0), D)
found = subgoals.discover_subgoals(counts, D, 4)
fig, axes = plt.subplots(1, 3, figsize=fig_size(2.8))
for ax, cell in zip(axes[:2], ((1, 1), (9, 9)), strict=True):
    g = rooms.state_of(*cell)
    plot_grid_values(rooms, Vg[:, g], ax=ax, annotate=False,
                     title=f"$V(s, g)$, goal {cell}")
plot_grid_values(rooms, counts, ax=axes[2], annotate=False,
                 title="shortest paths through\neach cell (200 pairs)")
for s in found:
    r, c = rooms.cell_of(s)
    axes[2].plot(c, r, "r*", ms=16)
plt.tight_layout()
plt.show()
print("discovered subgoals (red stars):", [rooms.cell_of(s) for s in found])

# %% [markdown]
# The two value maps are two columns of one table. The greedy move towards
# any goal $g$ is the neighbour $s'$ with the largest
# $r(s \to s') + \gamma V(s', g)$, where $r = 1$ on arriving in $g$ and 0
# otherwise: the goal cell itself has $V(g, g) = 0$ (nothing is left to
# collect there), so ranking neighbours by $V(\cdot, g)$ alone would step
# away from a goal one move off. The counts light
# up the four doorways, and the four subgoals land on the hallways or on
# their doorsteps, the targets the hallway options of this section were
# given by hand. The full-budget run (`benchmarks/ch05_subgoals.py`, ten
# seeds of 200 pairs each):

# %% tags=["hide-input"]
from mbrl_lessons.core.results import load_results  # noqa: E402

subgoal_full = load_results("ch05_subgoals")
if subgoal_full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    for t in subgoal_full["targets"]:
        lo, hi = t["ci"]
        print(f"[{'MET ' if t['met'] else 'MISS'}] {t['id']}: {t['measured']:.2f} "
              f"(95% CI {lo:.2f} to {hi:.2f}) {t['op']} {t['threshold']}")
    print("subgoals per seed:", subgoal_full["extra"]["subgoals"])

# %% [markdown]
# Both ideas use the model: the distances, and therefore the paths, come
# from knowing which moves lead where. An agent without a model can count
# the cells on its own successful trajectories instead, at the price of
# noisier counts.

# %% [markdown]
# ## Summary
#
# An option is a policy with an initiation set and a termination rule, and its
# model $(R_o, P_o)$ folds the discount for its duration into $P_o$, so the
# Bellman equation keeps its shape. Given the one-step model, both follow from
# one linear system. In four rooms, hallway options carry the goal's value to
# the start in 2 sweeps instead of 14 and reach a 1% answer in far fewer
# sweeps; with the primitives included they converge to the same $V^\star$,
# and without them to a worse one. Options speed up the rough answer, not the
# last digits, and they pay off when reused across tasks. A goal-conditioned
# value table serves every goal at once, and counting the cells that
# shortest paths cross finds the hallways as subgoals.

# %% [markdown]
# ## Exercises
#
# The graded version of the multi-time model $(R_o, P_o)$ of an option is in [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb) (see {doc}`ch00_checking_your_work`). The exercises below go further than the grader does.
#
# ```{exercise}
# :label: ex-ch05-options-room-goal
# Move the goal into a room, for example `four_rooms(goal=(9, 9))`, so that no
# option has it as its target. Before running anything, predict how many
# sweeps the start state needs to see the goal with and without the hallway
# options, and whether the options still help. Then measure both, and explain
# why an option can end in the goal although it was never aimed at it.
# ```
#
# ```{exercise}
# :label: ex-ch05-subgoals-experience
# Discover subgoals without the model: run Q-learning in the slip-free four
# rooms with random goals, count the cells on the agent's *successful*
# episodes only, and apply `discover_subgoals` to those counts. How many
# episodes does it take before all four hallways are found?
# ```
#
# ```{exercise}
# :label: ex-ch05-options-slip
# Plan with the hallway options alone and map the gap
# $V^\star - V^\star_{\mathcal O}$ over the grid, once with `slip = 1/3` and
# once in the slip-free world `four_rooms(slip=0.0)`. Why does the gap vanish
# without slipping? Which option causes most of it? (Compare
# $R_o(s) + \sum_{s'} P_o(s, s') V^\star(s')$ with $V^\star(s)$ room by
# room.) Give that option the greedy policy of $V^\star$ inside its room, using
# `Option(name, initiation, policy, termination)`, and measure the gap again.
# ```

# %% [markdown]
# ## References
#
# Options and their multi-time models are from Sutton, Precup and Singh
# {cite}`sutton1999options`; feudal reinforcement learning from Dayan and
# Hinton {cite}`dayan1993feudal`; universal value functions from Schaul et al.
# {cite}`schaul2015uvfa`; subgoal discovery by cuts from Menache et al.
# {cite}`menache2002qcut`.
