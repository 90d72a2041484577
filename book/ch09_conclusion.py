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
# # Chapter 9: Conclusion and open problems
#
# *About 7 minutes: 6 to read, 1 to run at FAST.*
#
# Model-based reinforcement learning rests on one idea: if an agent can
# predict what its actions will do, it can think before it acts, and it can
# learn from imagined experience as well as from real experience. This book
# followed that idea from tabular dynamic programming to agents that plan in
# learned latent spaces. This last chapter looks back at what the
# experiments showed and ahead at what is still unsolved.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - summarise, with a measurement for each, what a model buys an agent and
#   what it costs;
# - name the main open problems of model-based RL and the research
#   directions that address them.
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
from IPython.display import Markdown, display

from mbrl_lessons.analysis.report import all_results, targets_markdown
from mbrl_lessons.viz import live_figure
from mbrl_lessons.viz.style import fig_size

# %% [markdown]
# ## 9.1 What the course showed
#
# - **A model turns data into computation.** Dynamic programming
#   ({doc}`ch02_mdps`) needs no data at all when the model is given; learning
#   the model from experience and planning in it reached an optimal policy in
#   a fraction of the real steps Q-learning needed ({doc}`ch03_categories`).
# - **How you use the model matters as much as the model.** Planning once and
#   executing blindly failed on the pendulum, replanning at every step (MPC)
#   worked on every seed, and backpropagating through the model into a
#   policy was unreliable: its final policy swung up on three seeds of five
#   and failed on the other two ({doc}`ch04_schemes`).
# - **Learning a good model is its own discipline.** Stochastic, partially
#   observed, changing and high-dimensional worlds each need their own model
#   class. An ensemble's disagreement ranks a model's errors, though only
#   roughly, and its scale cannot be trusted where the model extrapolates:
#   far from the pendulum's data, an ensemble's 90% intervals held about
#   half of the true outcomes ({doc}`ch05_model_learning`).
# - **Planning and learning can be interleaved at many points**: which states
#   to start from, how much to plan, how to search (CEM, MCTS), and how to
#   feed imagined transitions back into a value function (Dyna)
#   ({doc}`ch06_integration`).
# - **Modern algorithms combine these pieces**: ensembles and MPC (PETS),
#   short model rollouts for a model-free learner (MBPO), latent imagination
#   (World Models, Dreamer), and search with a learned value-equivalent model
#   (MuZero) ({doc}`ch07_modern`).
# - **The benefits are real and measurable, and so are the costs**: data
#   efficiency and transfer to new rewards on one side; model bias, compute
#   per action and many more settings on the other ({doc}`ch08_benefits`).
#   Uncertainty-aware safety was not shown: with the largest penalty, a
#   pessimistic planner kept the pendulum inside its data in four runs of
#   five, and a small penalty made it leave the data more often than no
#   penalty at all.
#
# The book's headline claims are targets in benchmarks; other statements
# rest on the experiments beside them. The figure counts, per benchmark (one
# or more per chapter, plus the grader's timing), how many of the committed
# full-budget targets were met, and the table beside it lists the targets of
# the benchmark you pick (missed ones in red); the results appendix ({doc}`appendix_results`)
# lists them all.

# %% mystnb={"image": {"alt": "Horizontal bars of met and missed full-budget targets for each benchmark, beside a table of the highlighted benchmark's targets."}}
payloads = all_results()
if not payloads:
    print("No committed results yet: run `make reproduce`.")
else:
    names = [p["name"] for p in payloads]
    met = [sum(t["met"] for t in p["targets"]) for p in payloads]
    missed = [len(p["targets"]) - m for p, m in zip(payloads, met, strict=True)]

    # preview the benchmark with the most misses: the most to read
    worst = max(names, key=lambda n: missed[names.index(n)])

    def draw_summary(highlight=worst):
        fig, (ax, tab) = plt.subplots(1, 2, figsize=fig_size(0.45 * len(names) + 1.6),
                                      gridspec_kw={"width_ratios": [2, 3]})
        ax.barh(names, met, color="tab:green", label="met")
        ax.barh(names, missed, left=met, color="tab:red", label="missed")
        ax.get_yticklabels()[names.index(highlight)].set_fontweight("bold")
        ax.invert_yaxis()
        ax.set_xlabel("full-budget targets")
        ax.legend(loc="lower right")
        ax.set_title("Claims of the book, checked by its benchmarks")
        # the chosen benchmark's targets, one row each
        chosen = payloads[names.index(highlight)]["targets"]
        rows = [[t["id"] if len(t["id"]) <= 26 else t["id"][:25] + "…",
                 f"{t['measured']:.3g}" if isinstance(t["measured"], float)
                 else str(t["measured"]), f"{t['op']} {t['threshold']:g}",
                 "yes" if t["met"] else "NO"] for t in chosen]
        tab.axis("off")
        table = tab.table(rows, colLabels=["target", "measured", "needed", "met"],
                          loc="upper center", cellLoc="left", colLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(7)
        table.auto_set_column_width([0, 1, 2, 3])
        for (r, c), cell in table.get_celld().items():
            if r > 0 and not chosen[r - 1]["met"]:
                cell.set_facecolor("#f8d0d0")
        tab.set_title(f"targets of {highlight}", fontsize=9)
        fig.tight_layout()

    display(live_figure(draw_summary, caption="Targets per benchmark.",
                        highlight=widgets.Dropdown(options=names, value=worst)))

# %% [markdown]
# The misses are part of the record. They mark places where our small,
# CPU-sized experiments do not reproduce a published number, or where an
# effect is weaker than the textbook version suggests.
#
# ## 9.2 Open problems
#
# **Robust models.** Most successes assume a world that is fully observed,
# nearly deterministic and fixed. Real systems are partially observable
# {cite}`kaelbling1998pomdp`, noisy, and change over time
# {cite}`nagabandi2019adapt`. Chapter 5 handled each of these in isolation on
# a pendulum; handling all of them at once, in a model that stays accurate
# enough to plan with, is open.
#
# **Balancing planning and data collection.** When should an agent think, and
# when should it act to learn more? More planning extracts more from the
# current model but also exploits its errors further; more exploration
# improves the model but costs real interaction. Chapter 6 showed how many
# knobs there are; principled ways to set them, per state and over time, are
# still being developed.
#
# **Scaling with safety.** Pessimism about the model is meant to keep an
# agent where its data are. On the pendulum the largest penalty did so in
# four runs of five, a small one made the pendulum leave the data on more
# steps than no penalty, and every penalty cost return ({doc}`ch08_benefits`).
# Combining guarantees {cite}`berkenkamp2017safe` with the scale of modern
# latent-model agents {cite}`hafner2023dreamerv3` is an open problem.
#
# **Temporal abstraction.** Planning one primitive step at a time does not
# scale to long tasks. Hierarchical methods plan over options or subgoals
# {cite}`dayan1993feudal,sutton1999options`, and chapter 5 showed how option
# models shorten planning; learning the right abstractions from data, and
# models of them that can be trusted, is unsolved.
#
# **Uncertainty.** Ensembles are the workhorse, but their disagreement is only
# a proxy for the model's error. On transitions from the whole pendulum
# state space, far from its training data, an ensemble's 90% interval held
# half of them, 0.49 [0.47, 0.51] over ten seeds; MC dropout's held about
# as many and a last-layer Laplace approximation's fewer than one in five
# ({doc}`ch05_3_uncertainty`).
# Cheaper and better-calibrated estimates of epistemic uncertainty, and ways
# to propagate them through long rollouts, would help exploration, safety
# and model-bias control alike.
#
# **Theory and practice.** Bounds on how model error turns into lost return
# exist {cite}`janner2019mbpo`, but they are loose, and the most successful
# agents learn models that are not even trained to predict observations
# {cite}`schrittwieser2020muzero`. What a model should be accurate *about*
# — the objective-mismatch question {cite}`lambert2020objective` — has no
# settled answer.
#
# **Interpretable models.** A learned model can be inspected in principle
# (chapter 8 drew one's phase portrait), but a latent model of pixels is as
# opaque as a policy. Models whose structure a person can read and correct —
# object-based, causal, or physically structured {cite}`battaglia2016interaction`
# — would make model-based agents easier to trust.
#
# ## 9.3 Where to go next
#
# The survey this course follows {cite}`moerland2023mbrl` is the map; Sutton
# and Barto {cite}`sutton2018rl` is the foundation. The package that comes
# with this book is meant to be taken apart: every experiment is a function
# you can call with other settings, and every claim a benchmark you can rerun.
#
# ```{exercise}
# :label: ex-ch09-open-problem
# Pick one open problem above and design a small experiment in the style of
# this book that measures it — for example, chapter 5's non-stationary
# pendulum combined with §8.5's pessimistic planner: does the ensemble notice
# the change, and does the planner become cautious in time? Write down the
# claim, the threshold that would confirm it, and the budget, before you run
# anything.
# ```
#
# ## References
#
# The open challenges listed here follow the conclusion of Moerland et al.'s
# survey {cite}`moerland2023mbrl`.
