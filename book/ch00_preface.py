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
# # Preface: how to use this course
#
# *About 7 minutes: 6 to read, 1 to run at FAST.*
#
# This book teaches model-based reinforcement learning (MBRL) by building it.
# Each chapter explains an idea in words and mathematics, then runs it: the
# figures you see were drawn by the code on the same page, and the algorithms
# that code calls live in a small Python package, `mbrl_lessons`, that you can
# read, import and test.
#
# ## Who this course is for
#
# - **Students** who know some probability, linear algebra and Python, and
#   have met the basic vocabulary of reinforcement learning (states, actions,
#   rewards). Chapter 2 recaps Markov decision processes from scratch, so a
#   rusty background is fine. Chapter 7 builds on deep model-free methods
#   (policy gradients, actor-critic, DQN, SAC), variational autoencoders,
#   recurrent networks and CMA-ES; if they are new to you, the primer
#   {doc}`ch06p_model_free` teaches each at the depth chapter 7 needs.
# - **Instructors** who want a course with graded exercises that grade
#   themselves, in a notebook or for a whole class at once (see
#   {doc}`instructors`).
# - **Practitioners** who want a compact, readable implementation of the
#   classic and modern model-based algorithms, each written as one module that
#   reads from top to bottom.
#
# ## How to read it
#
# The chapters follow one arc. Chapters 1–3 set up the language: what a model
# is, what planning means, and how model-based RL differs from pure planning
# and from model-free learning. Chapter 4 builds the four basic schemes — fit
# once and plan once, iterate, replan at every step (MPC), and backpropagate
# through the model — on one continuous-control task. Chapter 5 asks what it
# takes to learn a model that deserves the planner's trust: distributions
# instead of averages, ensembles that know where they are ignorant, memory
# for what the observation hides, models that notice when the world
# changes, training for many steps ahead, and models
# that think in larger units of state or time. Chapter 6 turns to the
# questions every model-based agent must answer: where to start planning, how
# much to plan, with which planner, and how planning feeds learning. A
# primer on model-free tools follows (policy gradients, DQN, SAC, VAEs and
# recurrent networks, CMA-ES), the learners and networks that chapter 7 puts
# to work on its models. Chapter 7 rebuilds five modern algorithms from these parts — World Models,
# PETS, MBPO, Dreamer and MuZero — small enough to train on a CPU. Chapter 8
# weighs the benefits of a model against its costs with measurements, and
# chapter 9 closes with what remains open. The appendices collect the
# full-budget results and an API reference of the package.
#
# Every chapter has the same parts:
#
# 1. **Learning goals** at the top, so you know what to look for.
# 2. **Prose and maths**, with definitions and pseudocode in boxes.
# 3. **Code from the package**, shown with `show_source` rather than pasted,
#    so the page and the library can never disagree.
# 4. **Experiments** whose results are plotted. Each runs at a small *FAST*
#    budget on the page; the full-budget numbers come from `benchmarks/` and are
#    collected in {doc}`appendix_results`.
# 5. **An interactive widget**: on the website you see a static figure at the
#    default settings; run the notebook to move the sliders.
# 6. **Exercises**, graded automatically, and **references**.
#
# ## Running the notebooks on your own machine
#
# You need Python 3.10 or newer, `make` and a couple of gigabytes of disk; no
# GPU is used anywhere. From a checkout of the repository:
#
# ```bash
# make book   # creates .venv, installs everything, runs the notebooks, builds the site
# make test   # the whole test suite at the FAST budget
# make lab    # opens the notebooks in JupyterLab with mbrl_lessons importable
# ```
#
# The first `make` installs the CPU build of PyTorch before anything else, so
# no multi-gigabyte GPU build is downloaded.
#
# ## Running in Colab
#
# Each chapter page has a launch button (the rocket icon at the top) that opens
# its notebook in Google Colab. The first cell of every notebook installs the
# course package when — and only when — it runs inside Colab.
#
# ## FAST and full budgets
#
# Experiments ask one helper, `budget(fast=..., full=...)`, how large to be.
# Set the environment variable `MBRL_LESSONS_FAST=1` and every notebook
# finishes in about two minutes on a laptop while still showing its effect;
# leave it unset to run the full experiment. The cell below tells you which
# mode this page was built in.

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
import platform

import gymnasium
import numpy as np
import torch

import mbrl_lessons
from mbrl_lessons.core.budget import budget_name

print(f"mbrl_lessons {mbrl_lessons.__version__} | python {platform.python_version()}"
      f" | numpy {np.__version__} | torch {torch.__version__}"
      f" | gymnasium {gymnasium.__version__}")
print(f"budget mode: {budget_name().upper()}")

# %% [markdown]
# This is the whole budget helper; every experiment in the book goes through it.

# %%
from mbrl_lessons.viz import show_source

show_source(mbrl_lessons.budget)

# %% [markdown]
# ## Reproducibility
#
# Nothing in the package draws from a hidden global random number generator.
# Every stochastic function takes a seed or an explicit
# `numpy.random.Generator`, so the same seed gives the same numbers on every
# run — the two draws below are equal, and a test in the suite checks that
# every algorithm behaves the same way.

# %%
from mbrl_lessons import make_rng

first = make_rng(7).normal(size=3)
second = make_rng(7).normal(size=3)
print(first, second, "equal:", np.array_equal(first, second))

# %% [markdown]
# ## Exercises and grading
#
# Graded exercises live in notebooks under `exercises/`, one notebook for
# each of chapters 2 to 8 (its name is given in the chapter; ch03's is
# `ch03_model_learning`, ch05's is `ch05_models`), with two to six exercises
# each. Each exercise asks you to write one function (a Bellman backup, a CEM
# update, an MCTS backpropagation, …) in a cell that starts out raising
# `NotImplementedError`. `python -m mbrl_lessons.grade --list` prints them
# all. When you think it works, call the checker in the
# notebook, for example `check("ch02_value_iteration", globals())`; it runs
# your code in a separate process with a time limit, and prints a score table
# with what it expected, what came back, and a hint. {doc}`ch00_checking_your_work`
# explains the messages and the terminal command. Regenerating the exercises
# never overwrites a notebook you have edited.
#
# ## Notation
#
# | symbol | meaning |
# |---|---|
# | $s, s' \in \mathcal{S}$ | a state and the next state |
# | $a \in \mathcal{A}$ | an action |
# | $r$, $R(s,a)$ | a reward; the expected reward of taking $a$ in $s$ |
# | $P(s' \mid s, a)$ | the transition probabilities (the *model* of the environment) |
# | $\hat P, \hat R$ | a learned model |
# | $p(s_0)$ | the initial-state distribution |
# | $\gamma \in [0, 1]$ | the discount factor |
# | $\pi(a \mid s)$ | a policy; $\pi^\star$ an optimal one |
# | $V^\pi(s)$, $Q^\pi(s,a)$ | state and action values of $\pi$; $V^\star, Q^\star$ optimal values |
# | $H$ | a planning horizon |
# | $\theta, \phi$ | parameters of a model and of a policy |
# | $\vartheta$ | the pendulum's angle, on the pages that also name a model's parameters $\theta$ (elsewhere $\theta$, as gymnasium writes it) |
# | `obs, act, rew, next_obs` | the same quantities in code |
# | `[B, H, A]` | tensor shapes in docstrings: batch, horizon, action dimension |
#
# ## Where this course comes from
#
# The syllabus follows a lecture on model-based methods that merges material
# from Sergey Levine's deep RL course {cite}`levine2017cs294` with the survey
# by Moerland et al. {cite}`moerland2023mbrl`; the tabular chapters lean on
# Sutton and Barto {cite}`sutton2018rl`. The text, code and experiments here
# are our own.
