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
# # 6.1 Where does planning start?
#
# *About 5 minutes: 4 to read, 1 to run at FAST.* Section 6.1 of {doc}`ch06_integration`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - name four rules for choosing where planning backups start (uniform, visited, prioritized, current);
# - measure how many backups each rule needs before the start state's value is right;
# - explain why planning from the current state can stall short of the optimum.
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

from mbrl_lessons.analysis import planning as exp
from mbrl_lessons.core.results import load_results
from mbrl_lessons.envs.mazes import DynaMaze
from mbrl_lessons.viz.style import fig_size

full = load_results("ch06_planning")

# %% [markdown]
# Our test bed is the *Dyna maze* of Sutton and Barto: a 6×9 room with a few
# walls, a start on the left and a goal in the top-right corner. Reaching the
# goal pays $+1$, every other step pays $0$, and $\gamma = 0.95$, so the only
# way to do well is to get there in few steps. The shortest route — through
# the bottom of the room — takes 14 steps.

# %%
maze = DynaMaze()
print("".join("".join(r) + "\n" for r in maze.grid))

# %% [markdown]
# A planning *backup* updates one state–action value from the model:
# $Q(s,a) \leftarrow \hat r + \gamma \max_{a'} Q(\hat s', a')$. Which pairs we back
# up, in which order, decides how fast the news of the goal travels back to the
# start. Four classic answers:
#
# - **uniform** over all states, as in dynamic programming sweeps;
# - **visited** states only, as in Dyna {cite}`sutton1990dyna`, which samples
#   from remembered experience (in the experiment below, the state–action
#   pairs a 2,000-step random walk happened to try);
# - **prioritized**: the pair whose value would change most goes first, and
#   its predecessors are queued after it (prioritized sweeping
#   {cite}`moore1993prioritized`);
# - the **current** state: simulate forward from where the agent is, as MPC
#   and MCTS do (here: trajectory sampling, following the current greedy
#   policy with $\varepsilon = 0.1$).
#
# We hand each rule the *true* maze model and count backups until the value of
# the start state is right.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Value error at the start state against the number of planning backups, on a symmetric-log axis, one line per rule for choosing where planning backups start."}}
checkpoints, errors = exp.start_state_experiment()
fig, ax = plt.subplots(figsize=fig_size(4))
for rule, err in errors.items():
    ax.plot(checkpoints, err, label=rule)
ax.set_xscale("symlog", linthresh=100)
ax.set_xlabel("planning backups")
ax.set_ylabel("$|\\max_a Q(s_0, a) - V^\\star(s_0)|$")
ax.set_title("Value error at the start state vs planning effort (true model)")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
for rule, err in errors.items():
    hit = checkpoints[np.flatnonzero(err < 1e-3)]
    print(f"{rule:>11}: start value exact after "
          f"{hit[0] if len(hit) else 'more than ' + str(checkpoints[-1])} backups")

# %% [markdown]
# Prioritized sweeping wins by an order of magnitude: it starts at the goal and
# works backwards along exactly the pairs whose values can change. Uniform and
# visited sampling get there by brute force — most of their backups move
# nothing. Planning from the current state stalls just short of the optimum:
# following its own greedy policy, it polishes the route it already likes (the
# 16-step top route) and never backs up the pairs of the shorter bottom route.
# Focusing on the current state is what makes MPC and MCTS efficient in huge
# spaces, but it inherits the exploration problem of the policy it follows.

# %% [markdown]
# ## Summary
#
# Which state–action pairs a planner backs up, and in which order, decides how
# fast the news of a reward travels. With the true maze model, prioritized
# sweeping gets the start state's value right an order of magnitude sooner than
# uniform or visited sampling, because it works backwards from the goal along
# the pairs whose values can change. Planning from the current state, the
# focus of MPC and tree search, is efficient in large spaces but inherits the
# exploration problem of the policy it follows, and here it stops short of the
# optimum.

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-ch06-current
# Planning from the current state stalled in §6.1. Change the experiment so
# that trajectory sampling explores more (a larger $\varepsilon$, or optimistic
# initial values). Does it now reach the optimum, and at what cost in backups?
# ```

# %% [markdown]
# ## References
#
# Dyna is due to Sutton {cite}`sutton1990dyna`, prioritized sweeping to Moore
# and Atkeson {cite}`moore1993prioritized`; Sutton and Barto
# {cite}`sutton2018rl` (chapter 8) compare the rules.
