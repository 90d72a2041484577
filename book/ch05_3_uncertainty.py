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
# # 5.3 Uncertainty: what the model does not know
#
# *About 7 minutes: 6 to read, 1 to run at FAST.* Section 5.3 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - tell aleatoric from epistemic uncertainty and say how a planner should treat each;
# - split an ensemble's predictive variance into the two with the law of total variance;
# - check on the pendulum whether an ensemble's disagreement predicts its error, and where it does not.
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

from mbrl_lessons import budget
from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.models.probabilistic import ensemble_predict, split_variance
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# A model learned from finite data is unsure for two different reasons.
#
# - **Aleatoric** uncertainty is noise in the world itself — {doc}`§5.2 <ch05_2_stochastic>`'s coin
#   flip. More data describe it better but never remove it.
# - **Epistemic** uncertainty is the model's ignorance where it has seen
#   little or nothing. More data in that region remove it.
#
# A planner must treat them differently. Aleatoric noise is part of the task
# and belongs in the predicted return; epistemic uncertainty is an error
# waiting to be exploited — the optimiser finds the actions where the model
# is wrong in its favour — so the planner should avoid it, or explore it on
# purpose.
#
# The principled account keeps a posterior over models. With weights
# $\theta$ and data $\mathcal D$, a **Bayesian neural network** predicts
#
# $$
# p(s_{t+1} \mid s_t, a_t, \mathcal D) =
#   \int P_\theta(s_{t+1} \mid s_t, a_t)\, p(\theta \mid \mathcal D)\, d\theta ,
# $$
#
# which is intractable for a network, so in practice the posterior is
# approximated: by variational inference {cite}`blundell2015weight`, by
# dropout kept on at test time {cite}`gal2016dropout`, or — simplest and,
# in model-based RL, most used {cite}`chua2018pets,janner2019mbpo` — by an
# **ensemble**. Train $E$ networks, each from its own random initial weights
# {cite}`lakshminarayanan2017ensembles` (who used the full data for every
# member) and, as PETS does {cite}`chua2018pets`, on its own bootstrap
# resample of the data.
# Where data were plentiful they agree; elsewhere each extrapolates its own
# way. If member $i$ predicts a Gaussian with mean $\mu_i$ and variance
# $\sigma_i^2$, the law of total variance splits the ensemble's predictive
# variance into the two kinds:
#
# $$
# \operatorname{Var}[y] \;=\;
#   \underbrace{\frac1E \sum_{i=1}^E \sigma_i^2}_{\text{aleatoric}}
#   \;+\; \underbrace{\frac1E \sum_{i=1}^E
#          \big(\mu_i - \bar\mu\big)^2}_{\text{epistemic}},
# \qquad \bar\mu = \frac1E \sum_i \mu_i .
# $$

# %%
show_source(split_variance)

# %% [markdown]
# The package's ensemble is the one PETS and MBPO use in chapter 7,
# `GaussianEnsemble`: the members' weights are stacked so that one batched
# product evaluates all of them, inputs and targets are standardised, and each
# member trains on its own bootstrap resample by the Gaussian negative
# log-likelihood of §5.2. `ensemble_predict` asks it for every member's mean
# and variance and hands them to the function above.
#
# A one-dimensional example: noisy data on two intervals with a gap between
# them, and an ensemble of Gaussian networks. Move the slider to add
# members.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels. Left: the mean predictions of each ensemble member on one-dimensional data with a gap in the middle; the members agree where there are data and fan out in the gap. Right: the aleatoric standard deviation stays flat while the epistemic one rises sharply in the shaded no-data region."}}
x_gap, y_gap = ml.gap_data(budget(fast=200, full=400), seed=0)
ensemble = ml.fit_gaussian_ensemble(x_gap, y_gap, n_members=budget(fast=5, full=8),
                                    steps=budget(fast=1500, full=3000), seed=0)
xs = np.linspace(-5, 5, 300)[:, None]


def draw_ensemble(n_members=5):
    pred = ensemble_predict(ensemble, xs, n_members)
    alea = pred.aleatoric[:, 0].sqrt().numpy()
    epi = pred.epistemic[:, 0].sqrt().numpy()
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6))
    ax = axes[0]
    ax.scatter(x_gap, y_gap, s=5, color="0.5", label="data")
    for m in pred.member_means[:, :, 0]:
        ax.plot(xs, m, lw=0.8, alpha=0.7)
    ax.plot(xs, xs * np.sin(2 * xs), "k:", label="truth")
    ax.set_ylim(-6, 6)
    ax.set_title(f"{n_members} members: their means")
    ax.legend(loc="upper center", fontsize=8)
    ax = axes[1]
    ax.plot(xs, alea, label="aleatoric std")
    ax.plot(xs, epi, label="epistemic std")
    ax.axvspan(-1, 1, color="0.9", label="no data")
    ax.set_title("The two kinds of uncertainty")
    ax.legend(fontsize=8)
    plt.tight_layout()


E = ensemble.ensemble_size
live_figure(draw_ensemble, caption=f"All {E} members.",
            n_members=widgets.IntSlider(value=E, min=2, max=E, description="members"))

# %% [markdown]
# The aleatoric curve stays close to the noise the data were generated with
# (a standard deviation between 0.1 and 0.22 on the data), and outside the
# data it is a guess like any other output. The epistemic curve is small on the data and
# rises in the gap and beyond the ends, where nothing tells the members how
# to agree. Two members already show the shape; more members make the
# estimate smoother.
#
# Does the same hold for a real dynamics model? Below, an ensemble learns
# the pendulum from random-torque episodes that start hanging down — the only
# states such a policy sees — and is then asked about states across the
# whole state space, including fast and upright ones. If disagreement is a
# useful warning, it should be large exactly where the ensemble's error is
# large.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two scatter plots on pendulum test inputs. Left: the true error of the ensemble mean grows with the distance to the nearest training input. Right: on log axes, the true error rises with the ensemble's disagreement, whose rank correlation is given in the title."}}
unc = ml.pendulum_uncertainty(n_train=budget(fast=30, full=40),
                              n_test=budget(fast=800, full=2000),
                              steps=budget(fast=1000, full=2000))
fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6))
axes[0].scatter(unc.distance, unc.error, s=4, alpha=0.5)
axes[0].set_xlabel("distance to the nearest training input (normalised)")
axes[0].set_ylabel("true error of the ensemble mean")
axes[0].set_title("Error grows away from the data")
axes[1].scatter(unc.epistemic_std, unc.error, s=4, alpha=0.5)
axes[1].set_xscale("log")
axes[1].set_yscale("log")
axes[1].set_xlabel("ensemble disagreement (epistemic std)")
axes[1].set_ylabel("true error")
axes[1].set_title(f"Spearman rank correlation {unc.rank_correlation:.2f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# The ensemble does not know the true dynamics, yet its disagreement ranks
# the test states by error well (a rank correlation of 1 would be a perfect
# ranking, 0 none). That is what PETS and MBPO (chapter 7) rely on: PETS
# samples a member per rollout so that plans must work under every
# plausible model {cite}`chua2018pets`, and MBPO keeps its imagined
# rollouts short so they stay where the members agree
# {cite}`janner2019mbpo`. Disagreement is a warning, not a guarantee: all
# members can be wrong in the same way, so the correlation is well below 1.
# In the right panel, the points in the upper left are exactly that: small
# disagreement, large error, an ensemble confident and wrong at once.

# %% [markdown]
# ## Summary
#
# Noise in the world (aleatoric) stays however much data arrive; ignorance
# (epistemic) shrinks where data arrive. A bootstrapped ensemble of Gaussian
# networks estimates both: the mean of the members' variances is the
# aleatoric part, the spread of their means the epistemic part. On the
# pendulum the members' disagreement ranks unseen states by their true error
# well, though not perfectly: some states are predicted wrongly by every member
# at once. PETS and MBPO in chapter 7 build on exactly this signal.

# %% [markdown]
# ## Exercises
#
# The graded version of the split of an ensemble's variance into its aleatoric and epistemic parts is in [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb) (see {doc}`ch00_checking_your_work`). The exercise below goes further than the grader does.
#
# ```{exercise}
# :label: ex-ch05-ensemble
# In §5.3, train the ensemble without bootstrapping (`fit_gaussian_ensemble(...,
# bootstrap=False)`), so that members differ only in their initial weights.
# Does the epistemic curve change in the gap? Then use a single member with
# five times the data: what can it no longer tell you?
# ```

# %% [markdown]
# ## References
#
# Bayesian neural networks by variational inference are from Blundell et al.
# {cite}`blundell2015weight`, dropout as approximate inference from Gal and
# Ghahramani {cite}`gal2016dropout`, deep ensembles from Lakshminarayanan et
# al. {cite}`lakshminarayanan2017ensembles`; PETS {cite}`chua2018pets` and
# MBPO {cite}`janner2019mbpo` use bootstrapped ensembles for control.
