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
# # Chapter 5: Learning the dynamics model
#
# *About 5 minutes: 4 to read, 1 to run at FAST* (this page; each section states its own time).
#
# Chapter 4 learned a model of the pendulum by plain regression and
# planned with it as if it were the truth. That worked because the pendulum
# is deterministic, fully observed, unchanging, and cheap to cover with data.
# Real problems break each of these assumptions. This chapter takes them one
# at a time, following the survey of Moerland et al.
# {cite}`moerland2023mbrl`: what kind of model to learn ({doc}`§5.1 <ch05_1_model_types>`), outcomes
# that are random ({doc}`§5.2 <ch05_2_stochastic>`), data that run out ({doc}`§5.3 <ch05_3_uncertainty>`), observations that hide
# part of the state ({doc}`§5.4 <ch05_4_partial_observability>`), worlds that change ({doc}`§5.5 <ch05_5_nonstationarity>`), predictions many
# steps ahead ({doc}`§5.6 <ch05_6_multistep>`), and models that work in a learned, smaller space —
# of states ({doc}`§5.7 <ch05_7_state_abstraction>`) or of time ({doc}`§5.8 <ch05_8_temporal_abstraction>`). Each section has an experiment whose
# numbers you can change.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - name forward, backward and inverse models, parametric and
#   non-parametric estimators, global and local models, and pick one;
# - explain why a mean-squared-error model fails on multimodal transitions
#   and fit a Gaussian or mixture model by maximum likelihood instead;
# - separate aleatoric from epistemic uncertainty with a bootstrapped
#   ensemble, and check whether its disagreement predicts its error;
# - handle a hidden state with a window of past observations;
# - measure how errors compound over a rollout and train against it;
# - describe latent (state-abstracted) and option (time-abstracted) models.
# ```

# %% [markdown]
# ## The sections
#
# Each section is its own page, with its own experiment, summary and
# exercises; they can be read in any order after the first, although {doc}`§5.3 <ch05_3_uncertainty>`
# builds on {doc}`§5.2 <ch05_2_stochastic>` and {doc}`§5.7 <ch05_7_state_abstraction>` on {doc}`§5.4 <ch05_4_partial_observability>` and {doc}`§5.6 <ch05_6_multistep>`.
#
# | section | what it asks | its experiment |
# |---|---|---|
# | {doc}`5.1 What kind of model? <ch05_1_model_types>` | forward, backward or inverse; parametric or not; global or local | three model families on the pendulum |
# | {doc}`5.2 Stochastic transitions <ch05_2_stochastic>` | what to learn when an action has several outcomes | MSE, Gaussian and mixture models on a coin flip |
# | {doc}`5.3 Uncertainty <ch05_3_uncertainty>` | how a model can know what it does not know | an ensemble's disagreement against its error |
# | {doc}`5.4 Partial observability <ch05_4_partial_observability>` | what to do when the observation hides part of the state | the pendulum without its speed |
# | {doc}`5.5 Non-stationarity <ch05_5_nonstationarity>` | how to keep up with a world that changes | a pendulum whose mass doubles |
# | {doc}`5.6 Multi-step prediction <ch05_6_multistep>` | how errors compound over a rollout | one-step against ten-step training |
# | {doc}`5.7 State abstraction <ch05_7_state_abstraction>` | how to predict in a learned, small space | a latent model of the pendulum from pixels |
# | {doc}`5.8 Temporal abstraction <ch05_8_temporal_abstraction>` | how to plan in chunks of time | options in four rooms |

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
# ## The full-budget numbers
#
# Each section runs its experiments at the budget its page was built with. The
# full-budget run of `benchmarks/ch05_models.py`, committed in `results/`,
# checks each claim the chapter makes:

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results

full = load_results("ch05_models")
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    display(Markdown(f"Commit `{full['commit'][:10]}`, {full['seconds']:.0f} s.\n\n"
                     + targets_markdown(full)))

# %% [markdown]
# ## Exercises
#
# Six of the chapter's building blocks are graded in [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb)
# (see {doc}`ch00_checking_your_work`): the Gaussian negative log-likelihood
# ({doc}`§5.2 <ch05_2_stochastic>`), the split of an ensemble's variance into its aleatoric and epistemic
# parts ({doc}`§5.3 <ch05_3_uncertainty>`), the running-median change detector `first_alarm` ({doc}`§5.5 <ch05_5_nonstationarity>`), the
# $k$-step loss ({doc}`§5.6 <ch05_6_multistep>`), the latent consistency loss with its stop-gradient
# ({doc}`§5.7 <ch05_7_state_abstraction>`), and the multi-time model $(R_o, P_o)$ of an option ({doc}`§5.8 <ch05_8_temporal_abstraction>`). Each
# section ends with open exercises that go further than the grader does.
#
# ## References
#
# The organisation of this chapter follows the model-learning section of
# Moerland et al.'s survey {cite}`moerland2023mbrl`. Ensembles for model-based
# control are studied in PETS {cite}`chua2018pets` and MBPO
# {cite}`janner2019mbpo`; deep ensembles in general by Lakshminarayanan et al.
# {cite}`lakshminarayanan2017ensembles`; mixture density networks by Bishop
# {cite}`bishop1994mdn`; PILCO {cite}`deisenroth2011pilco` propagates a
# Gaussian process's uncertainty through its rollouts. Each section lists the
# works it cites.
