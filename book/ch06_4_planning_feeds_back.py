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
# # 6.4 How planning feeds learning and acting
#
# *About 8 minutes: 7 to read, 1 to run at FAST.* Section 6.4 of {doc}`ch06_integration`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - name the three channels through which planning feeds learning and acting;
# - run MCTS on any gymnasium environment that can be copied, and say how its rollout policy biases it;
# - combine a rough learned value with search, and explain why each needs the other.
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
import numpy as np
from IPython.display import Markdown, display

from mbrl_lessons import budget
from mbrl_lessons.analysis import planning as exp
from mbrl_lessons.analysis.report import measured_cell
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import show_source
from mbrl_lessons.viz.style import fig_size

full = load_results("ch06_planning")  # the committed full-budget run, or None

# %% [markdown]
# Planning and a learned policy or value can be joined by three channels: the
# policy or value can guide the planner (its input), the planner's result can
# train them (a target), and the action taken in the real world can come from
# the planner or from the policy. The table on the right marks which channels
# the methods of this book use.

# %% mystnb={"image": {"alt": "Left, a diagram of three channels between the policy or value and the planner: the policy or value as the planner's input, the planner's output as a training target, and the real action taken either by the planner or by the policy. Right, a table of methods against the channels: MPC and PETS let the plan act; Dyna-Q uses planning only as a target; MBPO, World Models and Dreamer use input and target; AlphaZero and MuZero use all three."}} tags=["hide-input"]
from mbrl_lessons.viz.diagrams import integration_channels

integration_channels();

# %% [markdown]
# There are three channels, and each algorithm picks its own combination:
#
# 1. **Planning input from learned functions** — the search starts from, or is
#    guided by, a learned policy or value: AlphaZero's and MuZero's PUCT uses a
#    policy prior {cite}`silver2018alphazero,schrittwieser2020muzero`. Our UCT
#    uses none (uniform rollouts), the baseline the learned priors improve on.
# 2. **Planning output as a training target** — Dyna writes imagined
#    transitions into the same Q-learning update as real ones
#    (`DynaQ.plan` → `DynaQ.update`); AlphaZero trains its policy on the visit
#    counts of its search (`visit_policy` in `mbrl_lessons.search.puct`, the
#    rule that `search_policy` applies to UCT's tree here).
# 3. **Planning output for acting** — the agent acts on the plan itself: MPC
#    executes the first planned action (chapter 4), and the tic-tac-toe player
#    of {doc}`§6.3 <ch06_3_how_to_plan>` (`MCTSPlayer` in `mbrl_lessons.search`) plays
#    the most visited move; Dyna instead acts from its learned Q.
#
# ## MCTS on any simulator you can copy
#
# Tree search needs only one thing from its model: a state it can go back
# to. Tic-tac-toe gave us that for free (pure functions on small integers).
# `mcts_env` asks for any gymnasium environment with discrete actions that
# `copy.deepcopy` can clone, and searches from its current state without
# touching it. Two things change from the two-player version: a node stores
# the reward of the step into it, so the value of an edge is
# $r + \gamma V(s')$; and since returns are not in $[0, 1]$, the UCB rule
# compares values rescaled to the smallest and largest seen in the tree.
# Acting with it is MPC again (channel 3): search, take the most visited
# action, search again.
#
# First, with the *true* CartPole simulator, random rollouts of 30 steps and
# a handful of simulations per step:

# %% mystnb={"image": {"alt": "Episode return on CartPole against simulations per step for Monte Carlo tree search with the true simulator, above the dotted line of a random policy."}}
from mbrl_lessons.search import mcts_env  # noqa: E402

show_source(mcts_env)
cart = exp.cartpole_mcts(sims=budget(fast=(1, 5), full=(1, 2, 5, 20)),
                         n_seeds=budget(fast=2, full=3),
                         max_steps=budget(fast=200, full=500))
fig, ax = plt.subplots(figsize=fig_size(3.2, 6))
ax.plot(cart["sims"], np.mean(cart["returns"], 1), "o-", label="MCTS, true simulator")
ax.axhline(np.mean(cart["random"]), color="tab:gray", ls=":", label="random policy")
ax.set_xscale("log")
ax.set_xlabel("simulations per step")
ax.set_ylabel("episode return")
ax.set_title("CartPole-v1")
ax.legend()
plt.show()
for k, rets, ends in zip(cart["sims"], cart["returns"], cart["end_x"], strict=True):
    print(f"{k:>3} simulations: returns {rets}; cart position where an episode "
          f"ended early: {[round(x, 2) for x in ends]}")
if full is not None:
    fc = full["extra"]["cartpole_mcts"]
    print(f"full budget ({full['config']['cartpole_max_steps']}-step episodes, "
          f"{len(fc['random'])} seeds; random policy {[int(r) for r in fc['random']]}):")
    for k, rets, ends in zip(fc["sims"], fc["returns"], fc["end_x"], strict=True):
        print(f"{k:>3} simulations: returns {[int(r) for r in rets]}; cart position "
              f"where an episode ended early: {[round(x, 2) for x in ends]}")
    t = next(t for t in full["targets"] if t["id"] == "env_mcts_cartpole_vs_random")
    print(f"MCTS ({fc['sims'][-1]} simulations) / random policy, mean return: "
          f"{measured_cell(t)} (target {t['op']} {t['threshold']}; "
          f"{'met' if t['met'] else 'not met'})")

# %% [markdown]
# A few simulations per step already keep the pole up for hundreds of
# steps. With one or two simulations the pole falls, wherever the cart is.
# Over the benchmark's 10 seeds, MCTS with 20 simulations earns 25 times the
# random policy's return from the same start states (95% interval 20 to 32).
# When an episode ends early with a *larger* budget (the full-budget run,
# printed above), look at the cart's position: near $\pm 2.4$, the edge of
# the track. A random rollout
# measures how long a *random* player would survive from here, and that
# depends on the pole's angle, not on where the cart is; drifting to the
# edge costs nothing until it is too late for a 30-step look-ahead. The
# rollout policy is part of the model of the future, and a bad one biases
# the search.
#
# Second, the Dyna maze, where the reward is sparse: a random rollout from
# the start seldom reaches the goal, so most actions look the same to the
# search. A learned value helps (channel 1). Dyna-Q runs for two episodes, too
# few for its greedy policy to find the goal reliably; then MCTS crosses the maze
# with leaves scored by random rollouts, or by that unfinished $\max_a Q$
# (one seed here, ten in the full benchmark printed below the table):

# %% tags=["hide-input"]
mz = exp.maze_mcts_with_learned_value(dyna_episodes=2, n_simulations=100)
display(Markdown(
    "| agent | steps to the goal (shortest 14) |\n|---|---|\n"
    f"| greedy in Dyna-Q's Q after {mz['dyna_episodes']} episodes | "
    f"{mz['greedy_q'] or 'loops, never arrives'} |\n"
    f"| MCTS, {mz['simulations']} simulations, random rollouts | "
    f"{mz['mcts_rollouts'] or 'not in 100 steps'} |\n"
    f"| MCTS, {mz['simulations']} simulations, leaves scored by max Q | "
    f"{mz['mcts_learned_value'] or 'not in 100 steps'} |"))
if full is not None:
    fm = full["extra"]["maze_mcts"]
    print(f"full budget, {len(fm['steps_per_seed']['greedy_q'])} seeds "
          f"(steps per seed, {fm['max_steps'] + 1} = not reached in "
          f"{fm['max_steps']} steps):")
    for key, label in (("greedy_q", "greedy in Q"), ("mcts_rollouts", "MCTS, rollouts"),
                       ("mcts_learned_value", "MCTS, leaves scored by max Q")):
        print(f"  {label:>28}: {fm['steps_per_seed'][key]}; reached the goal in "
              f"{sum(fm['reached'][key])}")
    for tid in ("env_mcts_maze_rollouts_minus_learned_value_steps",
                "env_mcts_maze_learned_value_steps"):
        t = next(t for t in full["targets"] if t["id"] == tid)
        print(f"{tid}: {measured_cell(t)} (target {t['op']} {t['threshold']}; "
              f"{'met' if t['met'] else 'not met'})")

# %% [markdown]
# Neither ingredient is reliable alone. Over the benchmark's 10 seeds, the
# greedy policy of the unfinished Q reaches the goal in 2 runs; MCTS with
# random rollouts in 7, after 20 to 87 steps of wandering until rollouts
# happen to hit the goal; MCTS with leaves scored by $\max_a Q$ in 8, after 14
# to 63 steps. Counting a run that never arrives as 101 steps, the learned
# value saves 25.6 steps on average against random rollouts, with a 95%
# interval of 4.4 to 47.8 over seeds: clearly faster. It does not make the
# search optimal, though: the shortest path, 14 steps, came out on one seed
# only, and two runs never arrived (the target of 14 steps on every seed is
# missed). Search corrects the value's local mistakes by looking a few steps
# ahead, and the value tells the search what lies beyond its horizon; with a
# value this rough, the two together still go astray. This division of
# labour is AlphaZero's and MuZero's, with neural networks in place of our
# table and far better values (chapter 7).

# %% [markdown]
# ## Summary
#
# Planning feeds back in three ways: learned functions guide the search,
# search results become training targets, and the agent acts on the plan. MCTS
# needs only a simulator it can copy: on CartPole a few simulations per step
# keep the pole up, although random rollouts ignore the edge of the track. In
# the sparse-reward maze neither an unfinished Q nor search with random
# rollouts reaches the goal reliably on its own; search with leaves scored by
# that Q gets there in fewer steps, though not on every seed and seldom by the
# shortest path. That division of labour is AlphaZero's and MuZero's.

# %% [markdown]
# ## References
#
# AlphaZero {cite}`silver2018alphazero` and MuZero
# {cite}`schrittwieser2020muzero` guide their search with learned policies and
# values.
