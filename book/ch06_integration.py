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
# # Chapter 6: Integrating planning and learning
#
# *About 7 minutes: 6 to read, 1 to run at FAST* (this page; each section states its own time).
#
# A model is only useful if something plans with it, and planning is only
# useful if it changes what the agent learns or does. This chapter takes the
# four design questions every model-based agent answers — *where* to start
# planning, *how much* to plan, *how* to plan, and *how* planning feeds back
# into learning and acting — and answers each with an experiment. The
# tabular experiments reproduce the classic results of Sutton and Barto's
# chapter 8 {cite}`sutton2018rl` with numbers; the search experiment builds
# Monte Carlo tree search from its four steps.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - explain why the choice of start states for planning (uniform, visited,
#   prioritized, current) changes how fast values propagate;
# - trade real steps against planning compute with Dyna's budget $n$;
# - plan continuous actions by random shooting, the cross-entropy method or
#   gradient ascent through a differentiable model, and compare them at
#   equal model calls;
# - implement UCT: selection by the UCB rule, expansion, random rollouts,
#   backpropagation, and turning visit counts into a policy;
# - strengthen UCT at a fixed budget with RAVE and the MCTS-Solver, and
#   measure what each buys;
# - learn a deterministic or a stochastic tabular model and say when each is
#   right;
# - say how Dyna, Dyna-Q+ and prioritized sweeping differ, and reproduce
#   Figures 8.2, 8.4, 8.5 and Example 8.4 of Sutton and Barto.
# ```

# %% [markdown]
# ## The sections
#
# | section | the question | its experiments |
# |---|---|---|
# | {doc}`6.1 Where does planning start? <ch06_1_start_states>` | which pairs to back up, in which order | four start rules on the Dyna maze |
# | {doc}`6.2 How much to plan, and when? <ch06_2_how_much>` | how many planning backups per real step | Dyna-Q's budget $n$, Figure 8.2 |
# | {doc}`6.3 How to plan <ch06_3_how_to_plan>` | sampling sequences, following gradients, or growing a tree | CEM against random shooting; gradient shooting against CEM at equal model calls; UCT, RAVE and the MCTS-Solver on tic-tac-toe |
# | {doc}`6.4 How planning feeds learning and acting <ch06_4_planning_feeds_back>` | the three channels | MCTS on CartPole and on the maze with a learned value |
# | {doc}`6.5 Noisy and changing worlds, smarter sweeps <ch06_5_noisy_changing>` | what the model must remember, and when to re-explore | the slippery maze, Figures 8.4 and 8.5, Example 8.4 |

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

# %% [markdown]
# ## Four questions
#
# Every method that plans with a learned model and learns from real data must
# answer four questions. The diagram puts them on the loop of this chapter;
# sections 6.1 to 6.4 take them one at a time.

# %% mystnb={"image": {"alt": "Diagram of the loop between the real environment, the experience it produces, the learned model fitted to it, planning with the model, and the policy or value that acts; labels mark the four questions: which state to start planning from, how much to plan per real step, which planning algorithm, and how the planning output feeds back into the policy or value."}} tags=["hide-input"]
from mbrl_lessons.viz.diagrams import planning_questions

planning_questions();

# %% [markdown]
# ## The full-budget numbers

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results

full = load_results("ch06_planning")

# %% [markdown]
# The section pages run at the budget they were built with. The
# full-budget run of `benchmarks/ch06_planning.py`, committed in `results/`,
# measured most targets of this chapter; three smaller benchmarks report
# on their own pages: §6.2's schedule and adaptive-budget runs
# (`benchmarks/ch06_schedule.py`, `benchmarks/ch06_adaptive.py`) and §6.3's
# gradient shooting against CEM (`benchmarks/ch06_trajopt.py`).

# %% tags=["hide-input"]
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    display(Markdown(f"Commit `{full['commit'][:10]}`, {full['seconds']:.0f} s.\n\n"
                     + targets_markdown(full)))

# %% [markdown]
# Every target that compares methods or averages over seeds carries its
# per-seed values and a 95% bootstrap interval, and counts as met only if the
# whole interval lies on the right side of the threshold; a claim whose
# interval straddles its threshold is not shown, whatever its mean. Where a
# target is missed, the reasons are the ones shown in the sections.
#
# - *Fig 8.2's final paths* ({doc}`§6.2 <ch06_2_how_much>`): 22 of the 30
#   $n = 50$ runs end on the 14-step path (fraction 0.73, interval 0.57 to
#   0.87); the others are the runs whose model never saw the bottom route
#   (the scatter plot of §6.2). With $Q_0 = 0$ and $\varepsilon = 0.1$ such
#   runs are common, and no amount of planning finds a route the model does
#   not contain. "Every run ends on 14 steps" is not what these settings do.
# - *Changing mazes* ({doc}`§6.5 <ch06_5_noisy_changing>`): on the shortcut
#   maze the whole interval of Dyna-Q+ / Dyna-Q lies below 1.3, so more seeds
#   would not rescue the target: these settings give Dyna-Q+ a smaller
#   advantage than the target asks for. On the blocking maze the mean is 1.63
#   but the interval reaches down to 1.28: Dyna-Q+ collects more, clearly, but
#   a ratio of at least 1.3 is not shown.
# - *Example 8.4 at resolution 2* ({doc}`§6.5 <ch06_5_noisy_changing>`): with
#   $\alpha = 0.5$ the ratio of backups swings from seed to seed, and its
#   interval (0.92 to 6.1) even includes 1.
# - *Losses of the enhanced UCT against a random player*
#   ({doc}`§6.3 <ch06_3_how_to_plan>`): 5 losses in 5,000 games, on 5 of the
#   25 seeds, so "no loss in 200 games" does not hold on every seed; it loses
#   far less than plain UCT (39 losses), which is shown.
# - *MCTS with a learned value in the maze* ({doc}`§6.4
#   <ch06_4_planning_feeds_back>`): it reaches the goal in fewer steps than
#   MCTS with random rollouts (shown), but in 14 steps on only one of the 10
#   seeds, and not within 100 steps on two.
# - *The benchmark's wall-clock time*: the budget has grown to 10-30 seeds
#   per comparison, and the full run took 321 s on an otherwise idle machine
#   (local Ray, two cores), against the 300 s target. (UCT with RAVE and the
#   solver now meets its speed target: 25,900 simulations per second against
#   20,000; plain UCT, timed in the same run, ran 45,114. A run on the
#   machine shared with other jobs had measured less than half of both.)
#
# We report these as measured rather than tune the settings until they pass.

# %% tags=["hide-input"]
if full is not None:
    for maze, tid in (("blocking", "fig8_4_blocking_ratio"),
                      ("shortcut", "fig8_5_shortcut_ratio")):
        t = next(t for t in full["targets"] if t["id"] == tid)
        lo, hi = t["ci"]
        verdict = ("the target 1.3 lies inside it: not shown either way" if lo < 1.3 <= hi
                   else "the whole interval is at or above 1.3" if lo >= 1.3 else
                   "the whole interval is below 1.3: these settings give less")
        print(f"{maze:>8s} maze: Dyna-Q+ / Dyna-Q = {t['measured']:.2f}, 95% bootstrap "
              f"interval over {len(t['per_seed']['dyna_q'])} seeds [{lo:.2f}, "
              f"{hi:.2f}]; {verdict}")

# %% [markdown]
# ## Exercises
#
# Graded exercises — the Dyna-Q planning loop ({doc}`§6.2 <ch06_2_how_much>`), the UCB rule and MCTS
# backpropagation ({doc}`§6.3 <ch06_3_how_to_plan>`) and the prioritized-sweeping predecessor update
# ({doc}`§6.5 <ch06_5_noisy_changing>`) — are in [`exercises/ch06_integration.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch06_integration.ipynb)
# (see {doc}`ch00_checking_your_work`). Each section ends with open exercises
# of its own.
#
# ## References
#
# Dyna is due to Sutton {cite}`sutton1990dyna` and prioritized sweeping to
# Moore and Atkeson {cite}`moore1993prioritized`; the experiments reproduce
# chapter 8 of Sutton and Barto {cite}`sutton2018rl`. UCT is from Kocsis and
# Szepesvári {cite}`kocsis2006uct`, building on UCB1 {cite}`auer2002ucb`;
# RAVE is from Gelly and Silver {cite}`gelly2011rave` and the MCTS-Solver
# from Winands, Björnsson and Saito {cite}`winands2008solver`;
# Browne et al. survey MCTS {cite}`browne2012mcts`; Moerland et al.
# {cite}`moerland2023mbrl` organise the integration questions used here.
