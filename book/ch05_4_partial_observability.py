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
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5.4 Partial observability
#
# *About 5 minutes: 4 to read, 1 to run at FAST.* Section 5.4 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - explain why a one-step model averages over what the observation hides;
# - list four ways to give a model the missing information (window, filter, recurrent state, memory);
# - measure how much a window of past observations helps when the pendulum's speed is hidden.
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
import torch

from mbrl_lessons.analysis import model_learning as ml

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# A model can only predict what its input determines. If the observation
# $o_t$ hides part of the state, then $(o_t, a_t)$ does not fix $o_{t+1}$,
# and the best a one-step model can do is average over the hidden part — the
# {doc}`§5.2 <ch05_2_stochastic>` failure again, caused not by noise in the world but by what the agent
# cannot see. Formally the agent faces a partially observable MDP, and the
# sufficient statistic for prediction is the *belief*, the posterior over
# the hidden state given the whole history {cite}`kaelbling1998pomdp`. Four
# practical answers:
#
# - **a window** of the last $n$ observations (and actions) as input — the
#   frame stacking of Atari agents;
# - **a belief state** maintained by a Bayesian filter when the
#   observation model is known (a Kalman or particle filter);
# - **a recurrent network** (LSTM {cite}`hochreiter1997lstm`, GRU) whose
#   hidden state $h_t$ summarises the history — World Models and Dreamer
#   (chapter 7) build on this;
# - **external memory** that the network reads and writes, for dependencies
#   longer than a recurrent state can hold.
#
# The pendulum makes the point concrete when we hide its angular velocity
# and observe only $o_t = (\cos\theta_t, \sin\theta_t)$. The position alone
# says nothing about where the pendulum is going; two positions in a row
# say how fast it moves.

# %% tags=["hide-input"]
win = ml.window_experiment(windows=(1, 2, 3), n_train=200, epochs=150)  # ~5 s
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.bar([f"{w} observation{'s' if w > 1 else ''}" for w in win["windows"]],
       win["error"], color=["tab:red", "tab:green", "tab:green"])
ax.set_yscale("log")
ax.set_ylabel("next-observation error (mean distance)")
ax.set_title("Pendulum without its speed: predicting from a window")
for i, e in enumerate(win["error"]):
    ax.text(i, e, f"{e:.3f}", ha="center", va="bottom")
plt.show()

# %% [markdown]
# One observation leaves the speed to guesswork and the error is an order
# of magnitude larger; with two, the network can difference them, and a third
# adds little. The window has to span the hidden variable's effect: for a
# speed, two frames; for something that shows only rarely (a key picked up
# long ago), no short window suffices, and a recurrent state or memory is
# needed.

# %% [markdown]
# ## Summary
#
# When the observation hides part of the state, the same observation and
# action can lead to different next observations, and a one-step model can only
# average them. The fix is to give the model a summary of the past: a window of
# observations, a filter's belief, a recurrent state or an external memory. On
# the pendulum without its speed, a window of two observations cuts the error
# by about an order of magnitude and a third adds little; dependencies that
# reach further back need a recurrent state or memory.

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-ch05-window
# Repeat §5.4 with the pendulum observed as its angle only, $o = \theta$
# (no cosine and sine). Which window length is needed now, and what goes wrong
# when the angle wraps around from $\pi$ to $-\pi$?
# ```

# %% [markdown]
# ## References
#
# Kaelbling et al. {cite}`kaelbling1998pomdp` treat partially observable MDPs
# and beliefs; LSTMs are from Hochreiter and Schmidhuber
# {cite}`hochreiter1997lstm`.
