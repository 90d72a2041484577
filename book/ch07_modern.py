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
# # Chapter 7: Five modern algorithms
#
# *About 6 minutes: 5 to read, 1 to run at FAST* (this page; each section states its own time).
#
# The previous chapters built the parts of a model-based agent one at a time:
# models that predict the next state and know when they are unsure
# (chapter 5), planners that search over action sequences or trees
# (chapters 4 and 6), and the Dyna idea of feeding imagined experience to a
# learner (chapter 6). The algorithms that made model-based deep RL
# competitive are recombinations of these parts. This chapter rebuilds five of
# them, small enough to train on a laptop CPU in minutes, and runs each on a
# task from an earlier chapter so that their numbers can be compared with the
# simpler schemes that came before.
#
# Three questions tell the five apart.
#
# 1. **What does the model predict?** The next observation, a learned code of
#    it, or only the quantities a planner needs (reward, value, policy)?
# 2. **How does it represent what it does not know?** Not at all, through a
#    sampled distribution, or through disagreement among an ensemble?
# 3. **How is the model used?** To plan each action at decision time, to
#    generate training data for a model-free learner, to pass gradients into a
#    policy, or to grow a search tree?
#
# | algorithm | the model | uncertainty | how the model is used | what acts |
# |---|---|---|---|---|
# | World Models {cite}`ha2018worldmodels` | a compressed code of the image (VAE) and a mixture-density recurrent net on it | sampled mixtures, with a temperature | a small controller is evolved inside the model's dreams | the controller |
# | PETS {cite}`chua2018pets` | an ensemble of Gaussian nets on the state | aleatoric (each net's variance) and epistemic (the ensemble) | CEM plans through sampled trajectories at every step | the planner (MPC) |
# | MBPO {cite}`janner2019mbpo` | an ensemble of Gaussian nets on the state | one member drawn per imagined step | short rollouts branched from real states fill the replay buffer of SAC | the SAC policy |
# | Dreamer {cite}`hafner2020dreamer` | a stochastic recurrent latent model learned from pixels | a stochastic latent state | returns of imagined rollouts are differentiated into an actor; a critic extends them | the actor |
# | MuZero {cite}`schrittwieser2020muzero` | a latent dynamics trained only to predict reward, value and policy | none explicit | tree search in the latent space, to act and to make training targets | the search |
#
# Each section page states the idea and the maths, shows the core
# of our implementation from the `mbrl_lessons` package, and runs it. Our
# versions keep what makes each method what it is and shrink the rest; every
# section says what was shrunk. Four of the five run on the pendulum of
# chapter 4, so that chapter's true-model ceiling and learned-model MPC are
# the yardsticks ({doc}`section 7.6 <ch07_6_side_by_side>` puts all of them side by side); MuZero, a
# method for discrete actions, goes back to the Dyna maze of chapter 6 and
# on to board games and MinAtar Breakout.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - place World Models, PETS, MBPO, Dreamer and MuZero on the three questions
#   above and say what each borrows from the earlier chapters;
# - explain trajectory sampling, branched short rollouts, $\lambda$-returns
#   through a learned model, and value-equivalent models, with their maths;
# - say why a controller trained only inside a model can exploit the model's
#   errors, and what each method does against it;
# - read and modify compact implementations of all five.
# ```

# %% [markdown]
# ## The sections
#
# | section | the method | the task |
# |---|---|---|
# | {doc}`7.1 World Models <ch07_1_world_models>` | a controller evolved inside a learned model's dreams | pendulum swing-up |
# | {doc}`7.2 PETS <ch07_2_pets>` | planning through an uncertain ensemble | pendulum swing-up |
# | {doc}`7.3 MBPO <ch07_3_mbpo>` | short model rollouts for soft actor-critic | pendulum swing-up |
# | {doc}`7.4 Dreamer <ch07_4_dreamer>` | behaviour learned by backpropagating imagined returns | pendulum swing-up |
# | {doc}`7.5 AlphaZero and MuZero <ch07_5_muzero>` | self-play search over the rules, then over a value-equivalent latent model | tic-tac-toe, Connect Four 4×5, the Dyna maze, MinAtar Breakout |
# | {doc}`7.6 Side by side <ch07_6_side_by_side>` | all of them, and chapter 4's schemes | the pendulum table and the full-budget numbers |

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
# ## Exercises
#
# The graded versions of seven of the chapter's key computations — one step of
# trajectory sampling ({doc}`§7.2 <ch07_2_pets>`), MBPO's branched rollouts ({doc}`§7.3 <ch07_3_mbpo>`),
# $\lambda$-returns ({doc}`§7.4 <ch07_4_dreamer>`), and the pUCT score, the negamax backup, the
# visit-count policy target and the n-step value target ({doc}`§7.5 <ch07_5_muzero>`) — are in [`exercises/ch07_modern.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch07_modern.ipynb)
# (see {doc}`ch00_checking_your_work`). Every section also ends with open
# exercises of its own, without a grader.
#
# ## References
#
# The five algorithms are World Models {cite}`ha2018worldmodels`, PETS
# {cite}`chua2018pets`, MBPO {cite}`janner2019mbpo`, Dreamer
# {cite}`hafner2020dreamer` with its successors
# {cite}`hafner2021dreamerv2,hafner2023dreamerv3`, and MuZero
# {cite}`schrittwieser2020muzero`. MBPO's learner is soft actor-critic
# {cite}`haarnoja2018sac`; CMA-ES is described by Hansen
# {cite}`hansen2016cma`; the survey of Moerland et al.
# {cite}`moerland2023mbrl` places all of them in one taxonomy.
