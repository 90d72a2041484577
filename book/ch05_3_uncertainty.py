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
# *About 29 minutes: 28 to read, 1 to run at FAST.* Section 5.3 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - tell aleatoric from epistemic uncertainty and say how a planner should treat each;
# - split an ensemble's predictive variance into the two with the law of total variance;
# - check on the pendulum whether an ensemble's disagreement predicts its error, and where it does not.
# - build MC-dropout and last-layer Laplace uncertainty for the same network and read a calibration curve;
# - turn an ensemble's disagreement into an exploration bonus and say when it beats ε-greedy, and when a count would do.
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
# the test states by their error, though only roughly: a rank correlation of
# 1 would be a perfect ranking and 0 none, and over the ten seeds of the
# full benchmark (`benchmarks/ch05_models.py`) this ensemble's averages 0.79
# (interval 0.76 to 0.82).
# That is what PETS and MBPO (chapter 7) rely on: PETS
# samples a member per rollout so that plans must work under every
# plausible model {cite}`chua2018pets`, and MBPO keeps its imagined
# rollouts short so they stay where the members agree
# {cite}`janner2019mbpo`. Disagreement is a warning, not a guarantee: all
# members can be wrong in the same way, so the correlation is well below 1.
# In the right panel, the points in the upper left are exactly that: small
# disagreement, large error, an ensemble confident and wrong at once.

# %% [markdown]
# ## Three approximate posteriors, calibrated
#
# The ensemble is one way of approximating $p(\theta \mid \mathcal D)$.
# Two other approximations are common
# {cite}`gal2016dropout,mackay1992practical`, and both fit in a few lines
# around the same network (two hidden layers of 64 units, trained by squared
# error on the pendulum's state change):
#
# - **MC dropout** {cite}`gal2016dropout`. Train with dropout, and keep it
#   on at test time: each pass draws a random mask, that is, a random
#   sub-network $\theta_t$, and the spread of $T$ such passes,
#   $\frac1T \sum_t \big(f_{\theta_t}(x) - \bar f(x)\big)^2$, is the
#   epistemic variance. Gal and Ghahramani show that training with
#   dropout fits a variational approximation of the posterior, so the
#   passes are samples from it.
# - **Laplace** {cite}`mackay1992practical`. Fit the weights $\theta^*$ that
#   maximise the posterior, then replace the posterior by the Gaussian that
#   matches its curvature there: $p(\theta \mid \mathcal D) \approx
#   \mathcal N\big(\theta^*, H^{-1}\big)$ with $H = -\nabla^2_\theta \log
#   p(\theta \mid \mathcal D)\big|_{\theta^*}$. For all the weights of a
#   network $H$ is too large to invert, so we take the common shortcut of
#   treating only the *last layer* as uncertain {cite}`daxberger2021laplace`.
#   With $\psi(x)$ the last hidden layer (plus a constant 1; $\phi$ is kept
#   for a policy's parameters), $\Psi$ the
#   matrix whose rows are $\psi(x_i)^\top$ for the training inputs
#   $x_1, \dots, x_N$, noise variance $s_d^2$ in output $d$ and a prior
#   $\mathcal N(0, \lambda^{-1} I)$ on that output's weights $w_d$, the
#   layer is linear and the Hessian is exact:
#
# $$
# \Sigma_d = \Big(\frac{\Psi^\top \Psi}{s_d^2} + \lambda I\Big)^{-1},
# \qquad
# \operatorname{Var}[y_d \mid x] = \psi(x)^\top \Sigma_d\, \psi(x) + s_d^2 .
# $$
#
# The prior precision $\lambda$ is not tuned on test data: it maximises the
# Laplace approximation of the marginal likelihood, which with $P$ weights
# per output (the length of $\psi$) is,
# up to terms that do not depend on $\lambda$,
# $\sum_d \big[\tfrac P2 \log \lambda - \tfrac\lambda2 \lVert w_d^* \rVert^2
# - \tfrac12 \log\det \Sigma_d^{-1}\big]$.
#
# All three add the same noise term $s_d^2$: the mean squared residual of
# their own mean prediction on the training data. To compare them we ask
# the question a planner cares about: when a model says "90% of outcomes
# fall in this interval", do they? For each probability $p$, count the test
# transitions whose true change falls inside the central $p$ interval
# $\mu \pm z_{(1+p)/2}\,\sigma$ of the predictive Gaussian, where $z_q$
# is the standard normal's $q$-quantile (all three state dimensions pooled). Plotting that fraction
# against $p$ gives a *calibration curve* {cite}`kuleshov2018calibrated`,
# which is the diagonal for a calibrated model; above it, the model is
# too cautious; below it, too sure. The *calibration error* is the mean
# distance from the diagonal over $p = 0.05, 0.10, \dots, 0.95$. We measure
# it on held-out transitions like the training data (*near*: random-torque
# episodes that start hanging) and on transitions from the whole state
# space (*far*), where the model extrapolates.

# %%
from IPython.display import Markdown, display  # noqa: E402

from mbrl_lessons.analysis.calibration import (  # noqa: E402
    LEVELS,
    calibration_check,
    fit_last_layer_laplace,
)
from mbrl_lessons.analysis.report import targets_markdown  # noqa: E402
from mbrl_lessons.core.results import bootstrap_ci, load_results  # noqa: E402

show_source(fit_last_layer_laplace)

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels of calibration curves, observed coverage against nominal coverage, with the diagonal dashed, for the ensemble, MC dropout and the last-layer Laplace approximation. Left, transitions like the training data; right, transitions from the whole state space, where all three curves lie below the diagonal, the Laplace curve lowest."}}
calib = calibration_check(0, n_train=budget(fast=30, full=40),
                          n_test=budget(fast=800, full=2000),
                          epochs=budget(fast=80, full=150))
labels = {"ensemble": "ensemble (5)", "mc_dropout": "MC dropout",
          "laplace": "last-layer Laplace"}
fig, axes = plt.subplots(1, 2, figsize=fig_size(3.4), sharey=True)
for ax, test in zip(axes, ("near", "far"), strict=True):
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    for method, label in labels.items():
        sc = calib[method][test]
        ax.plot(LEVELS, sc["curve"], marker=".",
                label=f"{label}: {sc['calibration_error']:.2f}")
    ax.set_xlabel("nominal coverage p")
    ax.set_title(f"{test}: held-out transitions" if test == "near"
                 else "far: whole state space")
    ax.legend(fontsize=7, title="calibration error", title_fontsize=7)
axes[0].set_ylabel("observed coverage")
plt.tight_layout()
plt.show()

# %% [markdown]
# Over ten seeds (`benchmarks/ch05_calibration.py`), the mean of each score
# with its 95% bootstrap interval. The rank correlation is computed as in the
# pendulum figure above, between the predicted standard deviation and the
# true error, but the models differ: this table's ensemble is five of the
# networks just described, trained by squared error (the same batched
# `GaussianEnsemble` class with its variance heads switched off), while the
# figure's is an ensemble of Gaussian networks, so its 0.79 and this table's
# values need not agree. The negative log-likelihood is per dimension, in units of the
# normalised state change.

# %% tags=["hide-input"]
calib_full = load_results("ch05_calibration")
if calib_full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    def cell(values):
        lo, hi = bootstrap_ci([np.asarray(values)])
        return f"{np.mean(values):.2f} [{lo:.2f}, {hi:.2f}]"

    ex = calib_full["extra"]
    rows = ["| method | test | calibration error | in the 90% interval | NLL "
            "| rank correlation |", "|---|---|---:|---:|---:|---:|"]
    for method, label in labels.items():
        for test in ("near", "far"):
            rows.append(f"| {label} | {test} | " + " | ".join(
                cell(ex[key][method][test]) for key in
                ("calibration_error", "coverage_90", "nll", "rank_correlation"))
                + " |")
    display(Markdown("\n".join(rows)))
    display(Markdown(targets_markdown(calib_full)))

# %% [markdown]
# Read the table by rows of the same test.
#
# *Near the data* all three are too cautious: their intervals are wider than
# the errors need. The ensemble's 90% interval holds about 99% of the held-out
# transitions and MC dropout's all of them; the last-layer Laplace comes
# closest, with about 93% and the smallest calibration error. A likely reason,
# which we have not tested separately: the noise term $s_d^2$ is one number
# per dimension, the *mean* squared training residual, while the residuals
# are uneven, many small and a few large. A constant variance fitted to
# their mean is too wide for the many, and each method then adds its
# epistemic part on top.
#
# *Far from the data* all three are too sure of themselves. The ensemble's
# 90% interval holds about half the transitions, MC dropout's about as
# many, the Laplace approximation's fewer than one in five: none of them
# can be taken at its word where the model extrapolates, which is where a
# planner needs it most. The two targets that compare calibration off the
# data say the same thing in numbers. The ensemble beats the last-layer
# Laplace clearly. Against MC dropout it loses: its calibration error off
# the data is higher by 0.02, with an interval over the ten seeds of about
# 0.002 to 0.046, above zero, so the advantage of ensembles under a shift
# of the data that Ovadia et al. report {cite}`ovadia2019trust` does not
# show here; on this small problem the opposite does, if narrowly.
# MC dropout also ranks the far transitions by their error best of the
# three: the rank correlation between its spread and the true error is
# higher than the ensemble's by 0.15 (interval over the ten seeds, paired by
# seed: 0.08 to 0.23) and than the Laplace approximation's by 0.11 (0.05 to
# 0.18), both intervals above zero. It trains one network instead of five, though it pays with 50
# forward passes per prediction.
#
# The Laplace result has a plain cause. Its uncertainty lives in the last
# layer only, on top of features that were fitted to the training data and
# are then held fixed. A far input whose features happen to resemble those
# of training inputs gets almost no extra variance, however wrong the
# prediction. The ensemble and dropout vary every layer, so their members
# can disagree about the features themselves. What the approximations
# share is the lesson of the pendulum figure above: their spread ranks
# errors, but only roughly (rank correlations of about 0.5 to 0.7), and its
# scale is not to be trusted off the data. Recalibrating on held-out data
# {cite}`kuleshov2018calibrated` only fixes the near case, because off the
# data there are no held-out labels to calibrate against.

# %% [markdown]
# ## Disagreement as an exploration bonus
#
# Epistemic uncertainty is not only a hazard for the planner; it is also a
# map of what is still worth finding out. An agent that acts only on what its
# model predicts never learns what happens where the model has no data.
# The usual remedy in model-free RL is ε-greedy: with probability ε take a
# random action. That noise is *undirected*. If the reward lies at the end
# of a path of $k$ particular moves that the agent's estimates advise
# against, each step of the path is taken only when the coin says "random"
# and the random action happens to be the right one, so one episode follows
# the path with probability about $(\varepsilon/|\mathcal A|)^k$: the wait
# grows exponentially with the length of the path.
#
# A model offers a directed alternative. Plan, not for the model's reward
# $\hat r$ alone, but for
#
# $$
# \tilde r(s,a) = \hat r(s,a) + \beta\, \sigma(s,a),
# $$
#
# where $\sigma(s,a)$ is the ensemble's epistemic standard deviation at
# $(s,a)$ and $\beta \ge 0$ sets how much an unknown is worth. The planner
# now walks, many steps ahead, towards the pairs the members disagree on;
# once they have been tried, the members agree there, the bonus fades and
# the real reward takes over. Pathak et al. use the variance of an ensemble
# of forward models as the reward of a policy learner
# {cite}`pathak2019disagreement`, Plan2Explore plans for it inside a learned
# world model {cite}`sekar2020plan2explore`, and bootstrapped DQN draws its
# exploration from an ensemble of value functions instead of models
# {cite}`osband2016bootstrapped`.
#
# We test this on a task built so that dithering fails: a **deep chain**
# (after the "deep sea" of the behaviour suite {cite}`osband2020bsuite`).
# There are $n$ states in a row, each episode starts at the left end and
# lasts at most $2n$ steps, and a treasure worth 1 ends the episode at the
# right end. In every state one of the two actions (drawn at random per
# state) moves right, at a cost of $0.01/n$ and with a 10% chance of staying
# put; the other moves left for free. Until the treasure has been seen, every
# reward says that moving right is a loss.
#
# The learner is the model-based agent of chapter 3: a count model (untried
# pairs stay where they are with reward 0) and, before every action, $n$
# sweeps of value iteration on it, warm-started. Three exploration rules
# share it, and with it the same episodes and the same sweeps per real step
# (an episode ends early at the treasure, so a learner that finds it uses
# fewer real steps, never more):
#
# - **ε-greedy**: plan for $\hat r$ and take a random action with
#   probability ε (0.1 or 0.3);
# - **ensemble disagreement**: plan for $\hat r + \beta\sigma$ with
#   $\beta = 0.1$ and act greedily;
# - **count bonus**: plan for $\hat r + \beta / \sqrt{N(s,a) + 1}$, the
#   bonus of model-based interval estimation {cite}`strehl2008mbie`, with
#   the same $\beta$.
#
# A table has no random initial weights to make its members differ where
# they have no data, so each member $k$ of our ensemble gets a *random
# prior* instead {cite}`osband2018randomized`: one pseudo-observation of a
# next state $z_k$ drawn at random for each pair. Each real transition
# reaches member $k$ with a weight $w_{k,i} \sim \text{Poisson}(1)$, the
# online form of a bootstrap resample (in a resample of size $N$ drawn with
# replacement a point appears a Binomial$(N, 1/N)$ number of times, close
# to Poisson(1)). With the next state one-hot encoded, member $k$ predicts
#
# $$
# p_k(s' \mid s,a) = \frac{\mathbb 1[s' = z_k] + \sum_i w_{k,i}\,
#   \mathbb 1[s' = s'_i]}{1 + \sum_i w_{k,i}},
# \qquad
# \sigma^2(s,a) = \frac1E \sum_{k=1}^E \big\lVert p_k(\cdot \mid s,a) -
#   \bar p(\cdot \mid s,a)\big\rVert^2 ,
# $$
#
# the epistemic term of the variance split above, summed over the
# components of the one-hot vector. On an untried pair the members hold
# only their priors and disagree almost as much as they can:
# $\sigma^2 = 1 - \sum_{s'} \bar p(s')^2$, at most $1 - 1/E$. After $N$
# visits, the prior's
# share of each prediction has fallen to about $1/(1+N)$, and what remains
# is the bootstrap's spread, an estimate of the variance of the
# frequencies themselves: $\sum_{s'} q(s')\big(1-q(s')\big)/N =
# \big(1 - \sum_{s'} q(s')^2\big)/N$ for true next-state probabilities
# $q$. For a deterministic move that is zero, so $\sigma$ falls like
# $1/N$; for a noisy one $\sigma$ falls like $1/\sqrt N$, as the count
# bonus does. Noise alone does not keep the bonus alive, which is the
# difference from a bonus on the model's *prediction error*: that error
# never falls below the noise, and an agent paid for it stays at the
# noisiest transition it can find.

# %%
from mbrl_lessons.analysis.exploration import (  # noqa: E402
    BootstrapTableEnsemble,
    explore_chain,
    make_ensemble,
)

show_source(BootstrapTableEnsemble)

# %% [markdown]
# Left, the spread of a ten-member ensemble on one pair fed a deterministic
# move and on one fed a coin flip between two next states, with the count
# bonus for comparison (all three as the bonus they pay at $\beta = 1$).
# Right, the episode in which each run first reached the treasure, for chains
# of growing length; a run that never did is drawn above the dashed line.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels. Left, on log-log axes: the ensemble's spread on a deterministic move falls about as one over the number of visits, on a coin-flip move about as one over its square root, close to the count bonus. Right: the episode of the first treasure against the chain length for each exploration rule, one point per seed; the disagreement and count bonuses find the treasure within a few episodes at every length, while epsilon-greedy runs land above the dashed never-found line from short chains on."}}
visits = np.arange(1, 301)
spread_rng = np.random.default_rng(0)
ens = make_ensemble(3, 2, seed=0, n_members=10)
spread = np.zeros((len(visits), 2))
for i in range(len(visits)):
    ens.update(0, 0, 1)
    ens.update(0, 1, int(spread_rng.integers(1, 3)))
    spread[i] = np.sqrt(ens.disagreement()[0])

chain_seeds = budget(fast=3, full=10)
chain_episodes = budget(fast=30, full=100)
lengths = budget(fast=(4, 6, 8, 10), full=(4, 6, 8, 10, 15, 20))
rules = {"ensemble disagreement": {"bonus": "disagreement"},
         "count bonus": {"bonus": "count"},
         "ε-greedy, ε = 0.1": {"bonus": "none", "epsilon": 0.1},
         "ε-greedy, ε = 0.3": {"bonus": "none", "epsilon": 0.3}}
chain_runs = {name: {n: [explore_chain(s, n=n, n_episodes=chain_episodes, **kw)
                         for s in range(chain_seeds)] for n in lengths}
              for name, kw in rules.items()}

fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6))
ax = axes[0]
ax.loglog(visits, spread[:, 0], label="ensemble, deterministic move")
ax.loglog(visits, spread[:, 1], label="ensemble, coin flip")
ax.loglog(visits, 1 / np.sqrt(visits + 1), "k:", label="count bonus")
ax.set_xlabel("visits N of the pair")
ax.set_ylabel("bonus at β = 1")
ax.set_title("The spread fades with data")
ax.legend(fontsize=7)
ax = axes[1]
offsets = np.linspace(-0.45, 0.45, len(rules))
for (name, per_n), dx in zip(chain_runs.items(), offsets, strict=True):
    xs_, ys_ = [], []
    for n, runs_n in per_n.items():
        for r in runs_n:
            first_ep = r["first_treasure_episode"]
            xs_.append(n + dx)
            ys_.append(chain_episodes * 1.5 if first_ep is None else first_ep)
    ax.scatter(xs_, ys_, s=10, alpha=0.7, label=name)
ax.axhline(chain_episodes * 1.2, color="k", ls="--", lw=1)
ax.text(min(lengths) - 0.5, chain_episodes * 1.75, "never found", fontsize=7)
ax.set_yscale("log")
ax.set_xlabel("chain length n")
ax.set_ylabel("episode of the first treasure")
ax.set_title(f"{chain_seeds} seeds, {chain_episodes} episodes")
ax.legend(fontsize=7, loc="center right")
plt.tight_layout()
plt.show()

# %% [markdown]
# The full-budget run (`benchmarks/ch05_explore.py`: 10 seeds, 100
# episodes, chains of 4 to 20 states) counts, for each rule and length, the
# seeds that found the treasure at all:

# %% tags=["hide-input"]
explore_full = load_results("ch05_explore")
if explore_full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    firsts = explore_full["extra"]["first_treasure_episode"]
    n_eps = explore_full["config"]["n_episodes"]
    cols = explore_full["config"]["lengths"]
    table = ["| rule | " + " | ".join(f"n = {n}" for n in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for rule, per_n in firsts.items():
        table.append(f"| {rule} | " + " | ".join(
            f"{sum(e <= n_eps for e in per_n[str(n)])} / {len(per_n[str(n)])}"
            for n in cols) + " |")
    display(Markdown("\n".join(table)))
    display(Markdown(targets_markdown(explore_full)))

# %% [markdown]
# Both bonuses find the treasure in every seed at every length up to 20
# states, within the first four episodes, and after that the
# disagreement-driven learner collects it in 86 to 92 of its 100 episodes.
# ε-greedy finds it reliably only in the shortest chain. From ten states
# on, neither ε found it in any seed in 100 episodes: the random actions
# needed for roughly ten consecutive right moves never came together, and
# the runs left on average 39% to 80% of the state–action pairs untried
# (the mean over seeds for each ε and length, more the longer the chain;
# single runs left 17% to 87%). At ten states the disagreement bonus reaches the
# treasure in about 89 more of the 100 episodes than ε-greedy with
# ε = 0.3, with an interval far from zero.
#
# The last target compares the two bonuses, and the difference is
# large: the disagreement learner reaches the treasure in about 61 more
# episodes than the count learner, at the same $\beta$. Both explore
# equally fast; the difference is what happens *after* the treasure is
# found. The count bonus of a pair falls only as $1/\sqrt{N}$, so with
# $\beta = 0.1$ and $\gamma = 0.99$ a pair is still worth up to
# $\beta/\big((1-\gamma)\sqrt{N+1}\big) = 10/\sqrt{N+1}$, more than
# the treasure, until it has been tried about 100 times, and the learner
# keeps wandering off to try moves it already knows. The ensemble's spread
# on a deterministic move (every left move here) falls as $1/N$: after a
# few visits the members agree that the move is known, and the bonus
# stops pulling. That is the epistemic signal doing its job — one sample
# of a deterministic move *is* the truth — but the comparison holds at this
# one $\beta$: a count bonus with a smaller $\beta$ would also settle
# sooner, at the risk of exploring less.
#
# The chain was built so that dithering fails. On a task where the reward
# is dense and a few random moves suffice, such as the shortest chain,
# ε-greedy does fine, and a bonus only adds a constant to tune. And the
# chain is a table: there the ensemble's spread is essentially a function
# of the counts, as the formula above shows, and there is little reason to
# prefer one over the other.
#
# ### Without counts: a neural ensemble on a continuous chain
#
# The ensemble earns its keep where states cannot be counted, because no
# two of them repeat. A second benchmark (`benchmarks/ch05_explore_nn.py`)
# makes the chain's position continuous, $x \in [0, 1]$: a right move
# advances it by 0.1 plus Gaussian noise (standard deviation 0.02) at a cost
# of 0.05, a left move takes it back by 0.1 for free, and the treasure
# waits at $x \ge 1$, ten right moves away. The model is an ensemble of five
# small networks (two hidden layers of 32), each trained on its own
# Poisson-weighted bootstrap of the data, that predict the change of
# position and the reward. Before each action a planner scores 128 action
# sequences of 15 steps through the ensemble's mean prediction and adds, at
# every imagined step, $\beta = 1$ times the members' standard deviation of
# the predicted change: Plan2Explore's idea {cite}`sekar2020plan2explore`
# in miniature. All three rules start from the same episode of random
# actions; after it, the disagreement planner, ε-greedy (ε = 0.3) and
# plain greedy planning get the same model, planner and budget of 30
# episodes of at most 20 steps.

# %% tags=["hide-input"]
explore_nn = load_results("ch05_explore_nn")
if explore_nn is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    nn_first = explore_nn["extra"]["first_treasure_episode"]
    nn_eps = explore_nn["config"]["variants"]["greedy"]["n_episodes"]
    rows = ["| rule | seeds that found the treasure | first treasure (episodes, "
            "per seed) | treasure episodes (mean) |", "|---|---:|---|---:|"]
    for rule, eps in nn_first.items():
        hits = [e for e in eps if e <= nn_eps]
        rows.append(f"| {rule} | {len(hits)} / {len(eps)} | "
                    + (", ".join(map(str, sorted(hits))) or "none") + " | "
                    f"{np.mean(explore_nn['extra']['treasure_episodes'][rule]):.1f} |")
    display(Markdown("\n".join(rows)))
    display(Markdown(targets_markdown(explore_nn)))

# %% [markdown]
# The result has the shape of the table's, with less room to spare. The
# disagreement planner found the treasure in all ten seeds, ε-greedy in
# three and greedy planning in one, and the difference in treasure episodes
# against ε-greedy has an interval well above zero. Two things differ from
# the table. First, the bonus finds the treasure later, in a median of six
# or seven episodes rather than one or two, and in one seed only in the
# twentieth. A likely reason, not tested separately: the networks'
# disagreement marks the unknown less sharply than an untried pair does,
# as the pendulum figure found it ranks errors only roughly. Second, plain
# greedy planning found the treasure at all. Off its data, the reward
# network can promise reward where there is none, and chasing such an
# error is exploration by accident. That accident shaped the task. A
# first version, tried on two seeds while the task was being built and
# never run as a benchmark, had the table's tiny cost of 0.001 per move
# and no random first episode; there ε-greedy found the treasure in both
# seeds, most likely because the network's errors were larger than the
# cost. At 0.05, the cost stands out of the noise, as
# it did in the table, where the count model knew it exactly.

# %% [markdown]
# ## Summary
#
# Noise in the world (aleatoric) stays however much data arrive; ignorance
# (epistemic) shrinks where data arrive. A bootstrapped ensemble of Gaussian
# networks estimates both: the mean of the members' variances is the
# aleatoric part, the spread of their means the epistemic part. On the
# pendulum the members' disagreement ranks unseen states by their true error,
# but only roughly: some states are predicted wrongly by every member at
# once. PETS and MBPO in chapter 7 build on exactly this signal.
#
# MC dropout and a last-layer Laplace approximation give the same kind of
# signal from a single network. All three approximations were too cautious
# on held-out pendulum transitions like the training data and far too
# confident on transitions from the whole state space, where the ensemble's
# 90% interval held only about half of them. On those far transitions the
# last-layer Laplace was clearly the worst calibrated, and MC dropout was,
# narrowly, better calibrated than the ensemble: its calibration error was
# lower by 0.023 $[0.002, 0.046]$ over ten seeds. As an exploration bonus, the
# ensemble's spread sent a model-based learner straight down deep chains of
# up to 20 states, while ε-greedy never found the reward from 10 states on,
# and, unlike a count bonus at the same weight, it stopped pulling once the
# moves were known. On a continuous chain, where nothing can be counted, a
# small neural ensemble's disagreement still found the reward in every
# seed, more slowly, where ε-greedy found it in three of ten.

# %% [markdown]
# ## Exercises
#
# The graded versions of the split of an ensemble's variance into its aleatoric and epistemic parts (`ch05_split_uncertainty`), of the table ensemble's disagreement that drives the exploration bonus (`ch05_table_disagreement`), and of a last layer's Laplace posterior and predictive (`ch05_laplace_last_layer`) are in [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb) (see {doc}`ch00_checking_your_work`). The exercises below go further than the grader does.
#
# ```{exercise}
# :label: ex-ch05-ensemble
# In §5.3, train the ensemble without bootstrapping (`fit_gaussian_ensemble(...,
# bootstrap=False)`), so that members differ only in their initial weights.
# Does the epistemic curve change in the gap? Then use a single member with
# five times the data: what can it no longer tell you?
# ```
#
# ```{exercise}
# :label: ex-ch05-explore-slip
# Run `explore_chain` on a chain of 10 states with `slip=0.5` instead of
# 0.1, for both bonuses. Before you run it, use the formula for the
# ensemble's spread after $N$ visits to predict how the bonus on a *right*
# move now decays, and whether the gap between the two bonuses in
# treasure episodes should grow or shrink. Then measure it over five seeds.
# ```
#
# ```{exercise}
# :label: ex-ch05-laplace-prior
# `fit_last_layer_laplace` picks the prior precision $\lambda$ by the
# marginal likelihood. Refit it with `grid=[1e-3]` and with `grid=[1e3]`
# and score both with `calibration_check`'s `scores` on the near and far
# transitions. Which way does each change move the 90% coverage, and
# why can no value of $\lambda$ make the far intervals honest?
# ```

# %% [markdown]
# ## References
#
# Bayesian neural networks by variational inference are from Blundell et al.
# {cite}`blundell2015weight`, dropout as approximate inference from Gal and
# Ghahramani {cite}`gal2016dropout`, deep ensembles from Lakshminarayanan et
# al. {cite}`lakshminarayanan2017ensembles`; PETS {cite}`chua2018pets` and
# MBPO {cite}`janner2019mbpo` use bootstrapped ensembles for control. The
# Laplace approximation for networks is MacKay's {cite}`mackay1992practical`,
# the last-layer version is surveyed by Daxberger et al.
# {cite}`daxberger2021laplace`, calibration curves for regression are from
# Kuleshov et al. {cite}`kuleshov2018calibrated`, and the comparison of these
# methods under a shift of the data from Ovadia et al.
# {cite}`ovadia2019trust`. Exploration by ensemble disagreement is from
# Pathak et al. {cite}`pathak2019disagreement` and, in a learned world model,
# Sekar et al. {cite}`sekar2020plan2explore`; bootstrapped DQN
# {cite}`osband2016bootstrapped` and randomized priors
# {cite}`osband2018randomized` are its value-based relatives, and the deep
# chain follows the deep sea of the behaviour suite {cite}`osband2020bsuite`.
# The count bonus is MBIE-EB's {cite}`strehl2008mbie`.
