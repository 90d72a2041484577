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
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 5: Learning the dynamics model
#
# Chapter 4 learned a model of the pendulum by plain regression and
# planned with it as if it were the truth. That worked because the pendulum
# is deterministic, fully observed, unchanging, and cheap to cover with data.
# Real problems break each of these assumptions. This chapter takes them one
# at a time, following the survey of Moerland et al.
# {cite}`moerland2023mbrl`: what kind of model to learn (§5.1), outcomes
# that are random (§5.2), data that run out (§5.3), observations that hide
# part of the state (§5.4), worlds that change (§5.5), predictions many
# steps ahead (§5.6), and models that work in a learned, smaller space —
# of states (§5.7) or of time (§5.8). Each section has an experiment whose
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

# %%
# Running in Colab? Install the course package first (a no-op elsewhere).
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mbrl-lessons @ git+https://github.com/mbrl-lessons/mbrl-lessons"],
                   check=True)

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from mbrl_lessons import budget
from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results
from mbrl_lessons.models.multistep import fit_multistep
from mbrl_lessons.models.probabilistic import ensemble_predict
from mbrl_lessons.viz import live_figure, show_source

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# ## 5.1 What kind of model?
#
# Learning a model is supervised learning on the agent's own transitions
# $(s_t, a_t, r_t, s_{t+1})$. Before choosing a network, three questions
# shape the problem.
#
# **Which direction does it predict?** A *forward* model maps
# $(s_t, a_t) \mapsto s_{t+1}$; it is what a planner rolls out, and the
# default in this book. A *backward* model maps $s_{t+1} \mapsto (s_t, a_t)$:
# which states and actions lead here? Prioritized sweeping (chapter 6) uses
# one to push a value change back to the predecessors of a state. An
# *inverse* model maps $(s_t, s_{t+1}) \mapsto a_t$: which action connects
# two states? It is a common auxiliary task in representation learning,
# because only features the agent can influence help predict its action.
#
# **How is it estimated?** *Parametric* models (linear regression, neural
# networks) compress the data into a fixed set of weights. *Non-parametric*
# ones (nearest neighbours, kernel regression, Gaussian processes
# {cite}`deisenroth2011pilco`) keep the data and answer a query from the
# stored transitions nearest to it. A tabular model is the exact special
# case: one entry per state–action pair, as in chapters 2, 3 and 6.
#
# **Where must it be right?** A *global* model tries to be accurate
# everywhere; a *local* model only near the states the agent is in now —
# for example a linearisation around the current trajectory, refitted as the
# trajectory moves {cite}`atkeson1997locally`.
#
# The experiment below fits three forward models of the pendulum to random
# transitions and measures their error on fresh transitions from the whole
# state space, as the data grow. All three predict the *change* of state.

# %%
families = ml.model_families(sizes=budget(fast=(100, 300, 1000), full=(100, 300, 1000,
                                                                      3000)),
                             epochs=budget(fast=80, full=200))
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for name, label in (("linear", "global linear"), ("knn", "5 nearest neighbours"),
                    ("mlp", "MLP (2×64)")):
    ax.plot(families["sizes"], families[name], "o-", label=label)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training transitions")
ax.set_ylabel("next-state error (mean distance)")
ax.set_title("Forward models of the pendulum")
ax.legend()
plt.show()

# %% [markdown]
# The linear model is wrong in a way more data cannot fix: gravity pulls
# with $\sin\theta$, which no single plane through the data matches. The
# nearest-neighbour model has no such bias — with enough data it can fit
# anything — but it improves slowly, since every query only sees a few
# stored points nearby. The network sits in between: flexible, yet it
# shares what it learns across the whole state space, so it is the most
# accurate at every size here. That is why the rest of the book uses neural
# networks, and why their blind spots, the subject of the next sections,
# matter.
#
# ## 5.2 Stochastic transitions
#
# Many environments do not have one next state but a distribution over
# them, $P(s_{t+1} \mid s_t, a_t)$. A network trained by mean squared error
# minimises $\mathbb E\,\lVert y - f(x)\rVert^2$, whose minimiser is the
# conditional mean $f^\star(x) = \mathbb E[y \mid x]$. When the outcome is
# bimodal — the door opens or it does not, the ball goes left or right — the
# mean lies between the modes, at a next state that *never* happens. A
# planner that trusts it plans for a world that does not exist.
#
# The remedy is to learn the distribution, by maximising the likelihood of
# the observed outcomes:
#
# - a **Gaussian model** outputs a mean and a variance,
#   $s_{t+1} \sim \mathcal N(\mu_\theta(s_t,a_t), \Sigma_\theta(s_t,a_t))$, and
#   minimises $\tfrac12 \log|\Sigma_\theta| + \tfrac12 (y - \mu_\theta)^\top
#   \Sigma_\theta^{-1} (y - \mu_\theta)$; it captures how *much* noise there is,
#   but still has one mode;
# - a **mixture model** (a mixture density network {cite}`bishop1994mdn`)
#   outputs $K$ weights, means and variances,
#   $p(y\mid x) = \sum_k w_k(x)\,\mathcal N(y; \mu_k(x), \sigma_k^2(x))$, and
#   can put mass on each mode;
# - **generative models** with latent noise (variational autoencoders
#   {cite}`kingma2014vae`, normalising flows, GANs) go further, to
#   high-dimensional outcomes such as video frames.
#
# Here is a one-dimensional transition with two outcomes,
# $y = \sin 3x \pm 0.6$ (a fair coin picks the sign), fitted by all three
# model types:

# %%
sto = ml.stochastic_fits(n=budget(fast=600, full=1500), epochs=budget(fast=100,
                                                                     full=200))
x_data, y_data = ml.bimodal_data(400, seed=3)
grid = torch.linspace(-1, 1, 200)[:, None]
gen = torch.Generator().manual_seed(0)
with torch.no_grad():
    point = sto.point(grid)[:, 0]
    g_mean, g_var = sto.gaussian(grid)
    mix = sto.mixture.distribution(grid)
    torch.manual_seed(0)
    mix_samples = mix.sample((3,))


def draw_stochastic(model="all three"):
    names = ["MSE", "Gaussian", "mixture"] if model == "all three" else [model]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names) + 0.6, 3.6),
                             sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        ax.scatter(x_data, y_data, s=4, color="0.6", label="real transitions")
        if name == "MSE":
            ax.plot(grid, point, "r", lw=2, label="MSE prediction (the mean)")
        elif name == "Gaussian":
            sd = g_var.sqrt()[:, 0]
            ax.plot(grid, g_mean[:, 0], "r", lw=2, label="Gaussian mean")
            ax.fill_between(grid[:, 0], g_mean[:, 0] - 2 * sd, g_mean[:, 0] + 2 * sd,
                            color="r", alpha=0.2, label="± 2 std")
        else:
            for i in range(len(mix_samples)):
                ax.scatter(grid[:, 0], mix_samples[i], s=5, color="r",
                           label="mixture samples" if i == 0 else None)
        ax.set_xlabel("$x = (s_t, a_t)$")
        ax.set_title(f"{name} model")
        ax.legend(loc="lower left", fontsize=7)
    axes[0, 0].set_ylabel("$y = s_{t+1}$")
    plt.tight_layout()


live_figure(draw_stochastic, caption="The three models side by side.",
            model=widgets.ToggleButtons(options=["all three", "MSE", "Gaussian",
                                                 "mixture"], value="all three"))

# %%
print(f"{'model':10s} {'test NLL':>9s} {'samples near a real outcome':>28s}")
for name in ("point", "gaussian", "mixture"):
    print(f"{name:10s} {sto.test_nll[name]:9.2f} {sto.near_a_mode[name]:28.0%}")

# %% [markdown]
# The MSE model draws a smooth curve through the empty middle: none of its
# predictions is within 0.15 of an outcome that can occur. The Gaussian
# model reports the spread honestly but puts its peak where the data are
# not, so most of its samples land between the modes. Only the mixture
# gives both outcomes their share; its test negative log-likelihood (NLL,
# lower is better) is lower by far. (The MSE model predicts no spread, so to
# give it an NLL at all we score it as a Gaussian around its prediction with
# the single variance that fits its residuals best. On these data the
# spread is the same everywhere, so the Gaussian model learns an almost
# constant variance too, hence the nearly equal NLL.)
#
# ## 5.3 Uncertainty: what the model does not know
#
# A model learned from finite data is unsure for two different reasons.
#
# - **Aleatoric** uncertainty is noise in the world itself — §5.2's coin
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
show_source(ensemble_predict)

# %% [markdown]
# A one-dimensional example: noisy data on two intervals with a gap between
# them, and an ensemble of Gaussian networks. Move the slider to add
# members.

# %%
x_gap, y_gap = ml.gap_data(budget(fast=200, full=400), seed=0)
members = ml.fit_gaussian_ensemble(x_gap, y_gap, n_members=budget(fast=5, full=8),
                                   epochs=budget(fast=150, full=300), seed=0)
xs = np.linspace(-5, 5, 300)[:, None]


def draw_ensemble(n_members=5):
    pred = ensemble_predict(members[:n_members], xs)
    alea = pred.aleatoric[:, 0].sqrt().numpy()
    epi = pred.epistemic[:, 0].sqrt().numpy()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
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


live_figure(draw_ensemble, caption=f"All {len(members)} members.",
            n_members=widgets.IntSlider(value=len(members), min=2, max=len(members),
                                        description="members"))

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

# %%
unc = ml.pendulum_uncertainty(n_train=budget(fast=30, full=40),
                              n_test=budget(fast=800, full=2000),
                              epochs=budget(fast=80, full=150))
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
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
#
# ## 5.4 Partial observability
#
# A model can only predict what its input determines. If the observation
# $o_t$ hides part of the state, then $(o_t, a_t)$ does not fix $o_{t+1}$,
# and the best a one-step model can do is average over the hidden part — the
# §5.2 failure again, caused not by noise in the world but by what the agent
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

# %%
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
# ## 5.5 Non-stationarity
#
# Every model in this chapter so far rests on a quiet assumption: the rule
# that turns $(s, a)$ into $s'$ is the same today as it was when the data were
# collected. Real systems break it. A robot arm picks up a tool and its
# effective mass changes; a walking robot moves from carpet onto ice; a motor
# wears, a battery sags, another driver joins the road. In MDP terms the
# transition function $P$ (or the reward $R$) depends on time, and the
# environment is *non-stationary* {cite}`moerland2023mbrl`.
#
# A learned model has no way of knowing that the world has changed. Its
# training set is now a pile of transitions from two different systems, and a
# regression fit to that pile answers a question nobody asked: what happens
# *on average* over the old and the new physics. There are two classic
# remedies. The first is to **forget**: learn only from recent data (a sliding
# window, a high learning rate, or weights that decay with age), so that old
# evidence fades away on its own. The second is to **notice** the change and
# act on it: watch how well the model predicts, and when its error jumps,
# start a fresh model for the new regime while keeping the old one. Keeping
# one model per regime and deciding from prediction errors which one is in
# charge is the multiple-model (or partial-model) approach of Doya et al.
# {cite}`doya2002multiple`. Chapter 6 meets the tabular version of the problem,
# where Dyna-Q+ re-explores a maze whose walls move {cite}`sutton2018rl`; here
# we look at it from the model's side, on a continuous system.
#
# ### A pendulum that picks up a payload
#
# `NonStationaryPendulum` is Gymnasium's `Pendulum-v1` with one physical
# constant that jumps after a set number of real steps, counted over the env's
# whole life (a new episode does not undo the change). Here the mass doubles
# from $m = 1$ to $m = 2$ halfway through the stream. In the pendulum's update
#
# $$
# \dot\theta_{t+1} = \dot\theta_t + \Big(\frac{3g}{2l}\sin\theta_t
#   + \frac{3}{m l^2}\,u_t\Big)\,\Delta t ,
# $$
#
# the mass only divides the torque, so doubling it halves the effect of every
# action while gravity acts as before: the same torque now swings the
# pendulum half as hard. We collect a stream of transitions with uniformly
# random torques, restarting the pendulum at a random state every 50 steps so
# that each stretch of the stream covers similar states. Because we know
# both sets of physics, we can measure how far apart they are on the stream's
# own state–action pairs: the average gap
# $\bar\delta = \mathbb E\,\lVert f_{\text{old}}(s, a) - f_{\text{new}}(s, a)\rVert$
# is the error a perfect model of the old pendulum makes on the new one.

# %%
from mbrl_lessons.envs.nonstationary import (
    NonStationaryPendulum,
    pendulum_step_params,
    random_stream,
)
from mbrl_lessons.models.adaptation import (
    AdaptConfig,
    DetectorConfig,
    first_alarm,
    refit_all,
    refit_on_change,
    refit_window,
)

switch = budget(fast=800, full=1500)  # real steps before the mass doubles
n_steps = 2 * switch
n_seeds = budget(fast=1, full=3)
streams = [random_stream(NonStationaryPendulum(switch_step=switch, param="m",
                                               after=2.0),
                         n_steps, seed=s, episode_len=50) for s in range(n_seeds)]

new = streams[0]
obs, act = torch.as_tensor(new.obs[switch:]), torch.as_tensor(new.act[switch:])
gap = (pendulum_step_params(obs, act, m=1.0)
       - pendulum_step_params(obs, act, m=2.0)).norm(dim=-1).mean().item()
print(f"{n_steps} real steps, mass 1 -> 2 at step {switch}; "
      f"old vs new physics differ by {gap:.4f} per step on average")

# %% [markdown]
# ### What a model fitted to everything learns
#
# Suppose the old regime lasted $S$ steps and we are $n$ steps into the new
# one, so the training set holds $S$ old and $n$ new transitions from roughly
# the same states and actions. The function that minimises the squared
# prediction error over this set is, for a flexible enough model, the
# conditional mean of the targets, and here that is a blend of the two
# physics:
#
# $$
# \hat f_n(s, a) = p_n\, f_{\text{old}}(s, a) + (1 - p_n)\, f_{\text{new}}(s, a),
# \qquad p_n = \frac{S}{S + n}.
# $$
#
# On fresh data from the new regime its error is
# $\hat f_n - f_{\text{new}} = p_n\,(f_{\text{old}} - f_{\text{new}})$, so the
# average error is $p_n \bar\delta$. This is pure bias: more data of the same
# mixture would not reduce it, only a smaller share of old data does. To push
# it below a fraction $\varepsilon$ of $\bar\delta$ we need
# $n \ge S\,(1/\varepsilon - 1)$ new steps: cutting the bias to a tenth takes
# nine times as long as the old regime lasted. The longer the robot worked
# without the payload, the longer it takes to learn to carry it.
#
# The three strategies below share one small model (two hidden layers of 64
# units), refit after every block of 100 real steps with the same number of
# gradient steps, starting from the current weights. Each block is first
# predicted and only then trained on, so every point of the error curve is an
# error on data the model has not yet seen.
#
# - **All data**: refit on every transition so far.
# - **Window**: refit on the most recent $W = 400$ transitions only.
# - **Detect + new model**: refit on everything since the last detected
#   change. The detector compares the median one-step error of the last 50
#   steps with the median of the 200 steps before the current block (the
#   pre-change level) and raises an alarm when the ratio exceeds 4. On an
#   alarm, the current model is put aside, and a copy of it continues on the
#   data from the alarm on.

# %%
show_source(first_alarm)

# %%
cfg = AdaptConfig(block=100, hidden=64)
window = 400
runs = {"all data": [], f"window {window}": [], "detect + new model": []}
for data in streams:
    runs["all data"].append(refit_all(data, cfg))
    runs[f"window {window}"].append(refit_window(data, window, cfg))
    runs["detect + new model"].append(refit_on_change(data, cfg, DetectorConfig()))

ends = runs["all data"][0].block_end
starts = ends - cfg.block
fig, ax = plt.subplots(figsize=(9, 4))
for name, rs in runs.items():
    ax.plot(ends, np.mean([r.block_error for r in rs], 0), "o-", ms=3, label=name)
blend = np.where(starts >= switch, switch / np.maximum(starts, 1) * gap, np.nan)
ax.plot(ends, blend, "k--", lw=1, label=r"theory for all data: $p_n\bar\delta$")
ax.set_yscale("log")
ax.axvline(switch, color="grey", ls=":", lw=2)
ax.text(switch, 0.97, "mass doubles ", ha="right", va="top", color="grey",
        transform=ax.get_xaxis_transform())
for r in runs["detect + new model"]:  # alarms along the bottom edge
    ax.plot(r.alarms, np.full(len(r.alarms), 0.03), "rv", ms=8,
            transform=ax.get_xaxis_transform())
ax.set_xlabel("real steps")
ax.set_ylabel("one-step error on the next block")
ax.set_title(f"Non-stationary pendulum, {n_seeds} seed(s) "
             "(red triangles: detector alarms)")
ax.legend(fontsize=8)
plt.show()


def summary(r):
    e = r.step_error
    return (e[3 * cfg.block:switch].mean(), e[switch:switch + window].mean(),
            e[switch + window:].mean())


print(f"{'strategy':>20} | before | first {window} after | rest after")
for name, rs in runs.items():
    pre, early, late = np.mean([summary(r) for r in rs], 0)
    print(f"{name:>20} | {pre:.4f} |        {early:.4f}     |   {late:.4f}")
alarms = [t for r in runs["detect + new model"] for t in r.alarms]
print("alarms at steps", alarms, "-> delays",
      [t - switch for t in alarms if t >= switch], "steps after the switch")

# %% [markdown]
# Before the switch the three strategies nearly coincide: the window of 400
# steps loses little, and the detector has not fired, so its model *is* the
# all-data model. At the switch all three errors jump to about $\bar\delta$,
# because every model still predicts the light pendulum. Then they part ways.
#
# - The all-data model follows the dashed curve $p_n\bar\delta$ closely: the
#   network really does learn the blend the formula describes. Its error
#   falls only as fast as new data dilute the old, and at the end of the
#   stream, with about as much new data as old, it is still near half of
#   $\bar\delta$.
# - The windowed model returns to its old accuracy once the window has slid
#   past the switch, $W$ steps later; in between, its stale share of data
#   shrinks linearly.
# - The detector fires a few dozen steps after the switch. Its new model
#   starts from the old weights and sees only new data, and it typically
#   gets back to the old accuracy before the window does. The first block or
#   two after the alarm are the weak spot: the new model has been fitted to
#   a few dozen transitions, and there it can be as bad as the others, or
#   worse. In some of our other runs the detector also fired a second time
#   inside the new regime, on a stretch of unusually hard states, and started
#   over for nothing.

# %% [markdown]
# ### Choosing the window: bias against variance
#
# A window trades one error for another. With window $W$, $n$ steps after the
# switch a share $p_n = \max(0, 1 - n/W)$ of the training data is stale, so
# the bias is $p_n\bar\delta$, and it vanishes after $W$ steps. But a model
# fitted to only $W$ transitions is noisier than one fitted to all of them:
# its estimation error (the variance term) shrinks roughly like $c/W$, for
# some constant $c$ set by the model and the task. If regimes last about $T$
# steps, the squared bias averaged over a regime is
# $\frac{1}{T}\int_0^W \bar\delta^2 (1 - n/W)^2\,dn = \bar\delta^2 W / (3T)$, and
# the total $\bar\delta^2 W/(3T) + c/W$ is smallest at
#
# $$
# W^\star = \frac{\sqrt{3\,c\,T}}{\bar\delta}.
# $$
#
# Large or frequent changes call for short windows; small or rare ones for
# long windows. Detection sidesteps the choice of $W$: it forgets everything at
# once, at the alarm, and keeps everything in between, so its window is
# "since the last change". Its price is the detection delay and the false
# alarms.
#
# Move the slider to see the trade-off on our stream (seed 0). The left panel
# shows the error of the chosen window against the all-data model, with the
# bias the formula predicts for that window; the right panel shows, for every
# window, the average error before the switch (where only the variance term
# counts) and after it.

# %%
windows = budget(fast=(100, 400, 800), full=(50, 100, 200, 400, 800, 1600))
by_window = {w: (runs[f"window {w}"][0] if w == window
                 else refit_window(streams[0], w, cfg)) for w in windows}
every = runs["all data"][0]


def draw_window(w=window):
    r = by_window[w]
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    axes[0].plot(ends, every.block_error, "o-", ms=3, color="C0", label="all data")
    axes[0].plot(ends, r.block_error, "o-", ms=3, color="C1", label=f"window {w}")
    stale = np.clip(1 - (starts - switch) / w, 0, 1)
    # once the window holds only new data the bias is 0, which a log axis
    # cannot draw: stop the line there
    bias = np.where((starts >= switch) & (stale > 0), stale * gap, np.nan)
    axes[0].plot(ends, bias, "k--", lw=1, label="bias of the window (theory)")
    axes[0].axvline(switch, color="grey", ls=":", lw=2)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("real steps")
    axes[0].set_ylabel("one-step error on the next block")
    axes[0].legend(fontsize=8)
    errs = np.array([summary(by_window[v]) for v in windows])
    axes[1].plot(windows, errs[:, 0], "o-", label="before the switch")
    axes[1].plot(windows, errs[:, 1:].mean(1), "s-", label="after the switch")
    axes[1].axvline(w, color="C1", lw=2, alpha=0.5)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("window W (real steps)")
    axes[1].set_ylabel("mean one-step error")
    axes[1].legend(fontsize=8)
    plt.tight_layout()


live_figure(draw_window, caption=f"Window of {window} steps.",
            w=widgets.SelectionSlider(options=windows, value=window,
                                      description="window"))

# %% [markdown]
# Short windows pay before the switch: a model that sees only the last 100
# transitions is clearly worse than one that sees them all, even though
# nothing has changed. Long windows pay after it: the stale share of the data
# decays slowly, exactly as the dashed line says.
#
# ### Detecting the change
#
# The detector is a simple threshold rule. Two choices make it usable on
# one-step errors of a learned model:
#
# 1. **Compare with the model's own level, not an absolute number.** What
#    counts as a large error depends on the task, the model and how much data
#    it has seen. So the reference is the median error of the current model
#    over the 200 steps before the block being checked, and the rule fires on
#    a *ratio*.
# 2. **Use a running median, not a single step or a mean.** One-step errors
#    are heavy-tailed even in a stationary world: the model is poor on the few
#    states it has rarely visited. A mean over the window can be dragged up by
#    a handful of such states; the median cannot, as long as they make up less
#    than half of the window. A real change raises the error on almost every
#    step, so the median crosses the threshold once a little over half of the
#    window lies after the change: the delay is about half the window, 25
#    steps here.
#
# The threshold sets the balance between missed or late alarms and false
# ones. Here the physics change raises the median error roughly eightfold,
# while excursions into new states raised it at most about threefold in our
# runs, so a factor of 4 lies in between. A 10% heavier pendulum, rather than
# a twice as heavy one, raises the median error only about twofold, and this
# rule never notices it. The classical tool for
# small shifts is the cumulative-sum (CUSUM) test of Page
# {cite}`page1954cusum`, which adds up evidence over time instead of judging
# a fixed window; the literature on *concept drift* collects many such
# detectors and window schemes {cite}`gama2014drift`.
#
# Doya et al. {cite}`doya2002multiple` do not switch models with a hard
# threshold. Every module predicts the next state, and each gets a
# *responsibility* $\lambda_i \propto \exp\!\big(-\lVert s_{t+1} -
# \hat f_i(s_t, a_t)\rVert^2 / 2\sigma^2\big)$, normalised over the modules.
# The responsibilities weight both how much each module learns from a
# transition and how much its controller contributes to the action. When a
# familiar regime returns, the module that predicted it well before takes
# over again at once; nothing is relearned. Our detector is the hard version
# of this for one change: it creates a module when no existing one explains
# the data. A third route avoids detection altogether: meta-learning trains a
# model to adapt from the last few dozen transitions, so that a sliding window
# becomes short enough to track changes as they happen
# {cite}`nagabandi2019adapt`.

# %% [markdown]
# ## 5.6 Multi-step prediction
#
# A planner does not use one prediction but a chain of them: the model's
# output at step $t$ is its input at step $t + 1$. Small one-step errors then
# compound. If each step maps an error $e$ to roughly $L e + \epsilon$, with
# $L$ the model's local expansion rate and $\epsilon$ its one-step error, the
# error after $h$ steps is about
#
# $$
# e_h \approx \epsilon \,\frac{L^h - 1}{L - 1},
# $$
#
# which grows geometrically when $L > 1$. Worse, after the first step the
# model is evaluated on its own slightly wrong states, which the one-step
# training data never contained. Two remedies:
#
# - **train through the unroll**: start from a real state, feed the model's
#   predictions back for $k$ steps along a recorded action sequence, and
#   penalise the error at every step
#   {cite}`abbeel2005lagged,talvitie2014hallucinated,venkatraman2015dad`,
#
#   $$
#   \mathcal L_k(\theta) = \frac1k \sum_{j=1}^{k}
#     \big\lVert \hat s_{t+j} - s_{t+j} \big\rVert^2,
#   \qquad \hat s_{t+j} = f_\theta(\hat s_{t+j-1}, a_{t+j-1}),\ \hat s_t = s_t ;
#   $$
#
# - **predict several steps at once**: a dedicated model
#   $f^{(k)}(s_t, a_t, \dots, a_{t+k-1}) \approx s_{t+k}$ that is never
#   composed with itself.

# %%
show_source(fit_multistep)

# %% [markdown]
# Below, two models with the same architecture and the same number of passes
# over the data (the $k = 10$ model cuts the trajectories into fewer, longer
# windows, so it takes about a fifth fewer gradient steps) learn from the same
# random-torque trajectories, one with the
# one-step loss ($k = 1$) and one through 10-step unrolls ($k = 10$). Each is
# then rolled out open-loop on fresh trajectories, given only the first
# state and the recorded torques.

# %%
ms = ml.multistep_experiment(ks=(1, 10), n_train=30, epochs=60)  # ~5 s
test_obs, test_act = ml.pendulum_trajectories(4, 40, seed=7)
rollouts = []
with torch.no_grad():
    for model in ms["models"]:
        s, traj = torch.as_tensor(test_obs[:, 0]), []
        for t in range(test_act.shape[1]):
            s = model.predict(s, torch.as_tensor(test_act[:, t]))
            traj.append(s.numpy())
        rollouts.append(np.stack(traj, 1))


def draw_multistep(horizon=40):
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    for k, err in zip(ms["ks"], ms["error"], strict=True):
        axes[0].plot(ms["horizon"][:horizon], err[:horizon],
                     label=f"trained with k = {k}")
    axes[0].set_xlabel("steps ahead")
    axes[0].set_ylabel("mean prediction error")
    axes[0].set_yscale("log")
    axes[0].legend()
    axes[0].set_title("Compounding error (300 test trajectories)")
    t = np.arange(horizon + 1)
    true_th = np.arctan2(test_obs[0, :horizon + 1, 1], test_obs[0, :horizon + 1, 0])
    axes[1].plot(t, true_th, "k", lw=2, label="true")
    for k, traj in zip(ms["ks"], rollouts, strict=True):
        th = np.arctan2(traj[0, :horizon, 1], traj[0, :horizon, 0])
        axes[1].plot(t[1:], th, "--", label=f"k = {k}")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("angle θ")
    axes[1].set_title("One test trajectory, open loop")
    axes[1].legend(fontsize=8)
    plt.tight_layout()


live_figure(draw_multistep, caption="The whole 40-step horizon.",
            horizon=widgets.IntSlider(value=40, min=5, max=40, step=5,
                                      description="horizon"))

# %%
for k, err in zip(ms["ks"], ms["error"], strict=True):
    print(f"k = {k:2d}: error 1 step ahead {err[0]:.3f}, 10 steps {err[9]:.3f}, "
          f"40 steps {err[39]:.3f}")

# %% [markdown]
# Both models drift: a pendulum driven by random torques amplifies small
# errors in its angle, as the geometric formula warns, and after 40 steps
# both have lost track. Compare the printed errors: training through
# 10-step unrolls need not cost one-step accuracy (one step ahead the two
# models are about equally good), and the unrolled model was penalised for
# exactly the errors a rollout makes, so on average it should drift more
# slowly. The right panel follows a single trajectory, an anecdote that can
# go either way; the left panel's average over 300 is the measurement, and
# the full-budget benchmark repeats it over several seeds (its
# `multistep_gain_at_40_steps` target). The gain is real but modest here, and
# it costs $k$ times more computation per update; for short planning horizons plain one-step
# training is often good enough, which is why most methods in chapter 7 use
# it and keep their rollouts short instead.


# %% [markdown]
# ## 5.7 State abstraction
#
# Every model so far took the state as a short vector of meaningful numbers.
# A camera does not hand us that vector. Here the pendulum is seen as a
# $24 \times 24$ grey-scale picture, and the model receives two consecutive
# pictures at a time: 1,152 numbers, of which almost all are black, to
# describe a system whose true state is an angle and an angular velocity.
#
# We could learn a model that maps pictures to the next picture. Three things
# speak against it.
#
# - **Cost.** A planner such as CEM calls the model for every candidate at
#   every step of the horizon (chapter 4: hundreds of candidates, tens of
#   steps, several iterations, for every real action). Producing 1,152
#   outputs per call, when two would do, multiplies that bill.
# - **What the loss rewards.** A per-pixel error spends the model's capacity
#   on whatever covers the most pixels, not on what matters for control. For a
#   thin rod the two coincide only loosely.
# - **Feeding predictions back.** A multi-step forecast in pixel space
#   reads its own output as the next input. A slightly blurred predicted
#   image is an input the model never saw in training, and the damage
#   compounds (section 5.6 met the same effect in state space).
#
# The alternative is *state abstraction*: learn a compact code
# $z = e(o) \in \mathbb R^{d}$ with $d$ small, learn the dynamics on $z$, and
# turn codes back into pictures only when we want to look at them. World
# Models {cite}`ha2018worldmodels` compress frames with a VAE
# {cite}`kingma2014vae` and learn a recurrent model on the codes; PlaNet
# {cite}`hafner2019planet` plans with CEM entirely in a learned latent space;
# E2C {cite}`watter2015e2c` constrains the latent transition to be locally
# linear so that classical optimal control applies. Other ways to shape the
# code exist: one latent per object with a graph network between them
# {cite}`battaglia2016interaction`, or contrastive objectives that keep
# features which tell moments or goals apart instead of features that redraw
# every pixel {cite}`sermanet2018tcn,ghosh2018actionable`.
#
# ### Why two frames
#
# A single picture shows where the rod is, not where it is going: a rod at
# rest and a rod swinging through the same angle look identical, yet their
# futures differ. This is partial observability (section 5.4), and the
# cheapest remedy listed there, a window of recent observations, is enough
# here. The pendulum's integrator first updates the velocity and then moves
# the angle with it, $\theta_{t+1} = \theta_t + \Delta t\,\dot\theta_{t+1}$,
# so two consecutive angles pin down the current velocity exactly:
# $\dot\theta_{t+1} = (\theta_{t+1} - \theta_t)/\Delta t$. Our observation is
# therefore the pair $o_t = (x_t, x_{t+1})$ of frames $x$.
#
# ### The model
#
# Three networks with parameters $\phi, \psi, \eta$: an encoder, a latent
# transition written as a residual, and a decoder,
#
# $$
# z_t = e_\phi(o_t), \qquad
# \hat z_{t+1} = f_\psi(z_t, a_t) = z_t + g_\psi(z_t, a_t), \qquad
# \hat o_t = d_\eta(z_t).
# $$
#
# Starting from $\hat z_t = z_t$ and applying $f_\psi$ $k$ times along the
# recorded actions gives $\hat z_{t+k}$. Training minimises, on windows of
# $K+1$ observations,
#
# $$
# \mathcal L =
# \underbrace{\ell\big(d_\eta(z_t), o_t\big)}_{\text{reconstruction}}
# + \frac{1}{K}\sum_{k=1}^{K} \Big[
# \underbrace{\ell\big(d_\eta(\hat z_{t+k}), o_{t+k}\big)}_{\text{prediction}}
# + \underbrace{\big\|\hat z_{t+k} - \operatorname{sg}[e_\phi(o_{t+k})]\big\|^2}_{\text{latent consistency}}
# \Big],
# $$
#
# where $\ell$ is the binary cross-entropy summed over pixels (the negative
# log-likelihood of a Bernoulli image model) and $\operatorname{sg}$ stops the
# gradient. Reconstruction keeps in $z$ what is needed to redraw the picture.
# Prediction makes the transition useful: a predicted code must decode to
# the frame that really came next, $K$ steps on (training through several
# steps is section 5.6's remedy against compounding error). Consistency asks
# a predicted code to land where the encoder would put the real observation,
# so that the transition does not drift into regions of latent space that
# the decoder has never been trained on. The stop-gradient makes that last
# term train the transition alone, a choice shared with self-predictive
# representations {cite}`schwarzer2021spr`; otherwise the encoder could shrink
# the gap simply by shrinking its codes. Unlike World Models and PlaNet, our
# model is deterministic; so is the pendulum, and leaving the noise out keeps
# the implementation short.

# %%
import time

from mbrl_lessons.envs.pendulum import angle_normalize
from mbrl_lessons.envs.pixel_pendulum import (
    frame_angle,
    pixel_pendulum_dataset,
    render_pendulum,
)
from mbrl_lessons.models.latent import (
    LatentConfig,
    LatentModel,
    latent_losses,
    linear_probe_r2,
    pixel_transitions,
    train_latent,
)
from mbrl_lessons.models.latent import rollout as latent_rollout

# random torques from random start angles; a separate seed for the test episodes
px_train = pixel_pendulum_dataset(budget(fast=120, full=300), budget(fast=40, full=50),
                                  seed=0)
px_test = pixel_pendulum_dataset(budget(fast=50, full=100), 30, seed=1)
print(f"training frames {tuple(px_train.frames.shape)}, "
      f"test frames {tuple(px_test.frames.shape)}")

angles = np.linspace(-np.pi, np.pi, 8, endpoint=False)
fig, axes = plt.subplots(1, 8, figsize=(10, 1.6))
for ax, th, img in zip(axes, angles, render_pendulum(angles), strict=True):
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"θ = {np.degrees(th):.0f}°", fontsize=8)
    ax.axis("off")
plt.suptitle("What the model sees (θ = 0 is upright)", fontsize=9)
plt.show()

# %% [markdown]
# The frames are drawn procedurally: a pixel's brightness falls off linearly
# over one pixel with its distance to the rod or the bob. Those soft edges
# matter. A fast pendulum moves its bob by a few pixels per step and a slow
# one by a fraction of a pixel; with hard edges a small motion would often
# change no pixel at all, and the velocity would be invisible in the pair.
#
# The loss, as the package computes it:

# %%
show_source(latent_losses)

# %% [markdown]
# ### Training
#
# The encoder and decoder are MLPs with two hidden layers of 128 units, the
# code has $d = 6$ numbers, and the transition is an MLP of the same depth.
# Training unrolls the transition $K = 4$ steps. The FAST build trains for a
# few hundred steps; the full budget for 5,000.

# %%
lat_cfg = LatentConfig(n_steps=budget(fast=700, full=5000))
lat_run = train_latent(px_train, lat_cfg)
lat_model = lat_run.model
print(f"{lat_cfg.n_steps} Adam steps in {lat_run.seconds:.0f} s")

fig, ax = plt.subplots(figsize=(7, 3.2))
smooth = np.ones(25) / 25
for i, name in enumerate(["reconstruction", "prediction (mean over k)"]):
    ax.plot(np.convolve(lat_run.losses[:, i], smooth, mode="valid"), label=name)
ax.set_xlabel("Adam step")
ax.set_ylabel("cross-entropy per observation")
ax.set_yscale("log")
ax.legend()
plt.show()

# %% [markdown]
# Neither curve can reach zero, however long we train, because the targets
# themselves are soft: even a perfect decoder pays the entropy of the grey
# edge pixels.
#
# ### Forecasting in latent space
#
# Now the test. From the first observation of each held-out episode we encode
# once, apply the latent transition along the recorded torques for 20 steps,
# and decode each predicted code. No picture enters the model after the
# first one. For contrast, we also run the same model *through pixels*,
# $z \leftarrow e(d(f(z, a)))$ at every step, which is what a model that
# predicts images and reads them back would do.
#
# Two yardsticks. The *pixel error* is the mean squared difference between
# predicted and true newest frames. It is harsh on thin objects: a sharp rod
# that misses its target by a rod's width overlaps it nowhere, and scores
# twice as badly as a blank picture would. The *angle error* reads the angle
# back from the predicted frame (the direction of its brightness centroid,
# which is exact on real frames) and compares it with the true angle. Two
# naive baselines
# set the scale: *copy*, which predicts that the pendulum stays where it was,
# and *mean frame*, which always predicts the average training frame.

# %%
K = 20
obs, act = pixel_transitions(px_test)
true_theta = torch.atan2(px_test.states[:, 1:K + 2, 1], px_test.states[:, 1:K + 2, 0])
true_frames = obs[:, :K + 1, 1]
pred = latent_rollout(lat_model, obs[:, 0], act[:, :K])
looped = latent_rollout(lat_model, obs[:, 0], act[:, :K], through_pixels=True)
mean_frame = px_train.frames.mean((0, 1))


def angle_err(frames):
    """Absolute angle error in degrees, [episodes, K + 1]."""
    return np.degrees(angle_normalize(frame_angle(frames) - true_theta).abs().numpy())


def pixel_err(frames):
    """Mean squared pixel error per step, [K + 1]."""
    return (frames - true_frames).square().mean((0, 2, 3)).numpy()


ang = {"latent rollout": angle_err(pred.frames),
       "through pixels": angle_err(looped.frames),
       "copy": np.degrees(angle_normalize(true_theta[:, :1] - true_theta).abs().numpy())}
pix = {"latent rollout": pixel_err(pred.frames),
       "through pixels": pixel_err(looped.frames),
       "copy": pixel_err(true_frames[:, :1].expand_as(true_frames)),
       "mean frame": pixel_err(mean_frame.expand_as(true_frames))}
print("median angle error (degrees) at k = 1, 5, 10, 20 steps ahead:")
for name, e in ang.items():
    print(f"  {name:15s}" + "".join(f"{np.median(e[:, k]):8.1f}" for k in (1, 5, 10, 20)))
print("pixel MSE at k = 1, 5, 10, 20:")
for name, e in pix.items():
    print(f"  {name:15s}" + "".join(f"{e[k]:8.4f}" for k in (1, 5, 10, 20)))

# %% [markdown]
# First, the pictures: the true future of one test episode (top), the frames
# decoded from the latent rollout (middle), and the rollout through pixels
# (bottom).

# %%
ep, shown = 0, range(0, 11)
rows = {"true": true_frames[ep], "latent rollout": pred.frames[ep],
        "through pixels": looped.frames[ep]}
fig, axes = plt.subplots(3, len(shown), figsize=(12, 3.9))
for r, (name, frames) in enumerate(rows.items()):
    for c, k in enumerate(shown):
        axes[r, c].imshow(frames[k], cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
        if r == 0:
            axes[r, c].set_title(f"k = {k}", fontsize=8)
    axes[r, 0].set_ylabel(name, fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# And the errors over all test episodes as the forecast reaches further:

# %%
steps = np.arange(K + 1)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for name, e in ang.items():
    axes[0].plot(steps[1:], np.median(e[:, 1:], 0), "o-", ms=3, label=name)
axes[0].set_ylabel("median angle error (degrees)")
axes[0].set_yscale("log")
for name, e in pix.items():
    axes[1].plot(steps[1:], e[1:], "o-", ms=3, label=name)
axes[1].set_ylabel("pixel MSE")
for ax in axes:
    ax.set_xlabel("steps ahead k")
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The latent rollout tracks the angle far better than both alternatives, and
# its angle error grows slowly with the horizon. The pixel error is less
# flattering at long range (with a short training budget the forecast can
# even fall to the level of the mean frame while its angle is still far
# better than copying), because late predictions are *blurred*: a
# deterministic decoder that is unsure where the rod will be paints a faint
# smear over the likely places, which has about the right centroid but
# overlaps the true thin rod poorly. A squared or cross-entropy loss rewards
# exactly this hedging under uncertainty, which is one reason PlaNet and
# Dreamer {cite}`hafner2020dreamer` make the latent state stochastic. Closing
# the loop through pixels is clearly worse than staying in latent space:
# every re-encoded picture is slightly off the training distribution, and
# the errors compound.
# Copying the last frame, finally, ends up twice as bad as the mean frame in
# pixel error for the reason given above, while its angle error says what it
# is: no forecast at all.
#
# Drag the slider to compare truth and forecast at any horizon for a few
# test episodes (all rollouts are computed above; the figure only redraws).

# %%
def draw_horizon(k=10):
    fig, axes = plt.subplots(2, 5, figsize=(10, 4.2))
    for c in range(5):
        axes[0, c].imshow(true_frames[c, k], cmap="gray", vmin=0, vmax=1)
        axes[1, c].imshow(pred.frames[c, k], cmap="gray", vmin=0, vmax=1)
        axes[1, c].set_title(f"error {ang['latent rollout'][c, k]:.1f}°", fontsize=8)
        for ax in axes[:, c]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("true")
    axes[1, 0].set_ylabel("latent rollout")
    fig.suptitle(f"{k} steps ahead ({k * 0.05:.2f} s of pendulum time)")
    plt.tight_layout()


live_figure(draw_horizon, caption="Ten steps ahead.",
            k=widgets.IntSlider(value=10, min=0, max=K, description="steps ahead"))

# %% [markdown]
# ### What the code has learned
#
# Nobody told the encoder what an angle is. Does its code contain one? A
# *linear probe* answers: fit a least-squares map from $z$ to
# $(\cos\theta, \sin\theta)$ on the training episodes and measure $R^2$ on the
# test episodes. An $R^2$ near 1 means the angle can be read off the code by
# a linear map. The same probe on the codes of an untrained encoder (random
# weights) says how much of that comes for free from the pixels. We probe the
# velocity the same way, and plot the code's first two principal components
# coloured by the true angle and velocity.

# %%
def codes(model, data):
    o, _ = pixel_transitions(data)
    with torch.no_grad():
        z = model.encode(o).flatten(0, 1).numpy()
    return z, data.states[:, 1:].flatten(0, 1).numpy()  # state of the newest frame


z_fit, s_fit = codes(lat_model, px_train)
z_test, s_test = codes(lat_model, px_test)
r2_angle = linear_probe_r2(z_fit, s_fit[:, :2], z_test, s_test[:, :2])
r2_vel = linear_probe_r2(z_fit, s_fit[:, 2:], z_test, s_test[:, 2:])
untrained = LatentModel(lat_cfg)
r2_untrained = linear_probe_r2(codes(untrained, px_train)[0], s_fit[:, :2],
                               codes(untrained, px_test)[0], s_test[:, :2])
print(f"linear probe R^2: (cos θ, sin θ) {r2_angle:.3f} (untrained encoder "
      f"{r2_untrained:.3f}), velocity {r2_vel:.3f}")

centred = z_test - z_test.mean(0)
pcs = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, colour, label, cmap in (
        (axes[0], np.arctan2(s_test[:, 1], s_test[:, 0]), "true angle θ", "twilight"),
        (axes[1], s_test[:, 2], "true velocity", "coolwarm")):
    sc = ax.scatter(pcs[:, 0], pcs[:, 1], c=colour, cmap=cmap, s=4)
    plt.colorbar(sc, ax=ax, label=label)
    ax.set_xlabel("latent PC 1")
    ax.set_ylabel("latent PC 2")
plt.tight_layout()
plt.show()

# %% [markdown]
# The angle is there, and mostly linearly: the probe reads most of the
# variance of $(\cos\theta, \sin\theta)$ from the code, far more than it
# reads from an untrained encoder (the full-budget values are in the table at
# the end of the chapter). Going round the figure, the colour changes
# continuously, so the codes form a loop ordered by angle, a bent copy of the
# circle $(\cos\theta, \sin\theta)$; the bend is what a linear map cannot
# undo. Near the hanging
# position, where weak random torques keep the pendulum most of the time and
# its velocity varies most, the loop widens, and the velocity separates the
# codes there (right). The velocity is encoded (the forecasts above would be
# impossible otherwise), but far from linearly, so the linear probe reads it
# poorly. A low probe score means "not linearly decodable", not "absent".
#
# ### Why this pays off for planning
#
# Planning needs predicted codes and rewards, not pictures. One step of the
# latent model is one small MLP on a 6-number code; a step through pixels
# decodes and re-encodes 1,152 numbers. Timing 1,000 candidate action
# sequences of 20 steps each, as a CEM planner would:

# %%
cands = 2 * torch.rand(1000, K, 1, generator=torch.Generator().manual_seed(0)) - 1
with torch.no_grad():
    z0 = lat_model.encode(obs[0, 0]).expand(1000, -1)
    t0 = time.perf_counter()
    z = z0
    for k in range(K):
        z = lat_model.step(z, cands[:, k])
    t_latent = time.perf_counter() - t0
    t0 = time.perf_counter()
    z = z0
    for k in range(K):
        z = lat_model.encode(lat_model.decode(lat_model.step(z, cands[:, k])))
    t_pixels = time.perf_counter() - t0
print(f"latent steps: {1000 * t_latent:.0f} ms, through pixels: "
      f"{1000 * t_pixels:.0f} ms ({t_pixels / t_latent:.0f}x slower)")

# %% [markdown]
# ## 5.8 Temporal abstraction
#
# Every model in this chapter so far answers a one-step question: given $s$
# and $a$, what happens next? A planner that uses such a model inherits its
# time scale. In chapter 2 we saw the consequence: value iteration needs as
# many sweeps as the goal is steps away, because each sweep carries the news
# of a reward back by exactly one step. Nobody plans a walk to the station one
# footstep at a time. We think in chunks — leave the room, go down the
# stairs, cross the road — and we can predict where each chunk ends and
# roughly what it costs without replaying its steps. A model of such a chunk
# is a *multi-step* model, and a single backup through it moves value across
# the whole stretch the chunk covers.
#
# This idea, temporal (or action) abstraction, is the planning side of
# hierarchical reinforcement learning. It comes in several forms. *Options*
# {cite}`sutton1999options` are policies with a rule for where they may start
# and when they stop, and are used exactly like actions. In *goal-conditioned*
# hierarchies a higher level picks a target and a lower level learns to reach
# it, as in feudal reinforcement learning {cite}`dayan1993feudal` or with
# value functions that take the goal as an input {cite}`schaul2015uvfa`.
# *Subgoal discovery* looks for the states worth turning into targets, such
# as the bottlenecks between regions that the agent's experience reveals
# {cite}`menache2002qcut`. All three trade many small decisions for a few
# large ones, which makes plans shallower; and a skill learned once can be
# reused for every task that passes through it. We work with options, because
# their model has a closed form that we can compute and check exactly.
#
# ```{prf:definition} Option
# :label: def-option
# An option $o = (\mathcal I_o, \pi_o, \beta_o)$ consists of an *initiation
# set* $\mathcal I_o \subseteq \mathcal S$ of states where it may be started, a
# policy $\pi_o(a \mid s)$ that it follows while it runs, and a *termination
# condition* $\beta_o(s) \in [0, 1]$, the probability that it stops on
# arriving in $s$ {cite}`sutton1999options`.
# ```
#
# A primitive action $a$ is an option too: it may start anywhere, always
# picks $a$, and stops after one step ($\beta \equiv 1$).
#
# ### The model of an option
#
# Start option $o$ in state $s$ at time $t$. It runs for a random number of
# steps $k \ge 1$ and stops in a random state $s_{t+k}$. What a planner needs
# to know about it is what it pays on the way, discounted as usual, and where
# and when it ends:
#
# $$
# R_o(s) = \mathbb E\big[r_t + \gamma r_{t+1} + \dots + \gamma^{k-1} r_{t+k-1}
#   \,\big|\, o \text{ started in } s\big],
# \qquad
# P_o(s, s') = \sum_{k=1}^{\infty} \gamma^k \Pr\big(\text{$o$ stops in $s'$
#   after exactly $k$ steps} \,\big|\, s\big).
# $$
#
# $P_o$ is not a probability distribution: its rows sum to
# $\mathbb E[\gamma^k] < 1$. The discount for the time the option takes is
# folded into the model, so a long option is discounted more than a short one.
# For a primitive action, $k = 1$ and the pair reduces to the one-step model,
# $R_o(s) = R(s, a)$ and $P_o(s, s') = \gamma P(s' \mid s, a)$. The pair
# $(R_o, P_o)$ is the option's *multi-time model* {cite}`sutton1999options`.
#
# With a set of options $\mathcal O$, and $\mathcal O(s)$ the options that may
# start in $s$, the Bellman optimality equation keeps its shape but loses the
# explicit $\gamma$, which now lives inside $P_o$:
#
# $$
# V^\star_{\mathcal O}(s) = \max_{o \in \mathcal O(s)} \Big[ R_o(s)
#   + \sum_{s'} P_o(s, s')\, V^\star_{\mathcal O}(s') \Big].
# $$
#
# This is the Bellman equation of a *semi-Markov* decision process, in which
# decisions take variable amounts of time. Each row of $P_o$ sums to at most
# $\gamma$, so the backup is still a $\gamma$-contraction and value iteration
# over options converges. Two facts frame the experiment below. If
# $\mathcal O$ contains all primitive actions, then $V^\star_{\mathcal O} =
# V^\star$: options add shortcuts for the planner but no behaviour the
# primitives could not already produce. If it does not, $V^\star_{\mathcal O}
# \le V^\star$, and the gap is the price of committing to a fixed repertoire.
#
# ### Computing the model from the one-step model
#
# Given the true one-step model, $R_o$ and $P_o$ follow exactly from a linear
# system. Condition on the first step: the option pays $r$, lands in $s'$, and
# then either stops there (probability $\beta(s')$) or carries on from $s'$,
# one step of discount later. With $P_\pi$ and $r_\pi$ the one-step model under
# the option's policy, $B = \operatorname{diag}(\beta)$ and $C = I - B$,
#
# $$
# R_o = r_\pi + \gamma P_\pi C R_o, \qquad
# P_o = \gamma P_\pi B + \gamma P_\pi C P_o,
# $$
#
# so both come from the same matrix, $(I - \gamma P_\pi C)^{-1}$, restricted to
# the initiation set. For that restriction to make sense the option must never
# keep running in a state where it could not have been started; the package
# refuses options that do.

# %%
from mbrl_lessons.mdp import TabularMDP, value_iteration
from mbrl_lessons.mdp.options import (
    four_rooms,
    hallway_options,
    option_model,
    primitive_options,
    smdp_value_iteration,
)
from mbrl_lessons.viz import plot_grid_values

show_source(option_model)

# %% [markdown]
# ### Planning in four rooms
#
# Our test bed follows the rooms example of the options paper
# {cite}`sutton1999options`: 104 cells split into four rooms that are joined
# by one-cell hallways. A move succeeds with probability $2/3$; otherwise the
# agent slips in one of the other three directions, each with probability
# $1/9$. Every step pays $0$, entering the goal pays $+1$, and $\gamma = 0.9$.
# The goal is the hallway between the two right-hand rooms, and we watch the
# value of the top-left corner (dashed), 14 steps away along the shortest
# route.
#
# Each room gets one option per hallway on its border, eight in all. An
# option may start anywhere in its room or in the room's other hallway; it
# walks a shortest path to its target hallway and stops as soon as it leaves
# the room — normally in the target, occasionally elsewhere after a slip.
# Below are two of their models. For the option that leads from the top-left
# room to its right-hand hallway, $P_o(s, \text{hallway})$ shrinks by a roughly
# constant factor per cell of distance — about $0.8$, less than
# $\gamma = 0.9$, because slips add detours. For an option that ends in the
# goal, $R_o(s)$ is the discounted chance of collecting the $+1$ on the way.

# %%
env = four_rooms()
mdp = TabularMDP.from_env(env, gamma=0.9)
options = hallway_options(env)
prim_models = [option_model(mdp, o) for o in primitive_options(mdp)]
hall_models = [option_model(mdp, o) for o in options]
print("".join("".join(row) + "\n" for row in env.grid))
print("\n".join(f"{o.name}: starts in {o.initiation.sum()} states" for o in options))

to_hall, to_goal = options[0], options[3]
hallway = env.state_of(3, 6)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
plot_grid_values(env, hall_models[0].P[:, hallway], ax=axes[0], annotate=False,
                 title=f"$P_o(s, (3, 6))$ of '{to_hall.name}'")
plot_grid_values(env, hall_models[3].R, ax=axes[1], annotate=False,
                 title=f"$R_o(s)$ of '{to_goal.name}'")
plt.tight_layout()
plt.show()

# %% [markdown]
# Now we plan three times with SMDP value iteration from $V_0 = 0$: with the
# four primitive actions only (this is ordinary value iteration), with the
# primitives plus the eight hallway options, and with the hallway options
# alone. For each we record $V_k$ after every sweep and count the *backups*,
# one per state and available option per sweep; a backup through an option
# costs as much as one through a primitive action, a dot product of a row of
# $P_o$ with $V$.

# %%
show_source(smdp_value_iteration)

# %%
V_star = value_iteration(mdp, tol=1e-12).V
start = env.start_states[0]
runs = {
    "primitives": smdp_value_iteration(mdp, prim_models, record=True),
    "primitives + hallway options": smdp_value_iteration(
        mdp, prim_models + hall_models, record=True),
    "hallway options only": smdp_value_iteration(mdp, hall_models, record=True),
}
print(f"V*(start) = {V_star[start]:.4f}\n")
print(f"{'':30s} {'start sees':>10s} {'start within 1%':>17s} {'all within 1e-8':>17s}")
print(f"{'option set':30s} {'goal':>10s} {'sweeps':>8s} {'backups':>8s} "
      f"{'sweeps':>8s} {'backups':>8s} {'V(start)':>9s}")
for name, res in runs.items():
    per_sweep = res.backups // res.iterations
    sees = int(np.argmax(res.history[:, start] > 0))
    close = np.abs(res.history[:, start] - V_star[start]) < 0.01 * V_star[start]
    within = f"{np.argmax(close):d}" if close.any() else "never"
    cost = f"{np.argmax(close) * per_sweep:d}" if close.any() else "-"
    print(f"{name:30s} {sees:10d} {within:>8s} {cost:>8s} {res.iterations:8d} "
          f"{res.backups:8d} {res.V[start]:9.4f}")
both = runs["primitives + hallway options"]
print(f"\nprimitives + options: max |V - V*| = {np.abs(both.V - V_star).max():.1e};"
      f" the converged greedy choice is an option in {(both.policy >= 4).sum()}"
      f" of {(both.policy >= 0).sum()} states")

# %% [markdown]
# The columns give the first sweep at which the start state has a non-zero
# value, the sweeps (and backups) until its value is within 1% of
# $V^\star(\text{start})$, and the sweeps (and backups) until no value changes
# by more than $10^{-8}$. Three things stand out.
#
# - **The goal reaches the start in 2 sweeps instead of 14.** In the first
#   sweep the options that end in the goal hallway give value to both
#   right-hand rooms and to the hallways leading into them; in the second, the
#   top-left room's option to its right-hand hallway passes that value on to
#   the whole room at once. With primitives only, the value front moves one
#   cell per sweep.
# - **The answer does not change.** With the primitives included, the values
#   converge to the same $V^\star$ as plain value iteration, as the theory
#   says. The options only change how fast the planner gets there.
# - **The speed-up is for the rough answer, not the last digits.** Getting
#   within 1% of $V^\star$ at the start takes about a third of the sweeps and
#   half of the backups. Converging to $10^{-8}$ everywhere, though, still
#   takes most of the sweeps (58 against 74) and more backups in total, since
#   every sweep now also backs up the options. In this slippery world the
#   hallway options are a little worse than the best primitive behaviour, so
#   once converged no state picks an option at all: the options lay down a
#   good first estimate quickly, and the remaining few percent must travel the
#   primitive way, one cell per sweep, shrinking by $\gamma$ each time.
#
# Without the primitives the planner converges fastest of all, but to a worse
# answer. The hallway options follow shortest routes picked as if moves never
# failed; among routes of equal length some fare worse than others once the
# agent slips, and a plan built only from options has no way to correct them.
# The errors per sweep show all three behaviours:

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for name, res in runs.items():
    gap = np.abs(res.history - V_star)
    axes[0].semilogy(gap[:, start] / V_star[start], label=name)
    axes[1].semilogy(gap.max(axis=1), label=name)
axes[0].set_ylabel("$|V_k(s_0) - V^\\star(s_0)| \\,/\\, V^\\star(s_0)$")
axes[0].set_title("Relative error at the start")
axes[1].set_ylabel("$\\max_s |V_k(s) - V^\\star(s)|$")
axes[1].set_title("Largest error over the grid")
for ax in axes:
    ax.set_xlabel("sweep $k$")
    ax.set_ylim(1e-9, 2)
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Try it: watch the values spread
#
# Move the slider to see $V_k$ after $k$ sweeps, on the same colour scale,
# with primitive actions only (left) and with the hallway options added
# (right). On the left the value seeps out of the goal cell by cell; on the
# right whole rooms light up together.

# %%
def draw_sweep(k=2):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, name in zip(axes, ["primitives", "primitives + hallway options"],
                        strict=True):
        hist = runs[name].history
        plot_grid_values(env, hist[min(k, len(hist) - 1)], ax=ax, annotate=False,
                         title=f"{name}: $V_{{{k}}}$")
        ax.images[0].set_clim(0, V_star.max())
    plt.tight_layout()


live_figure(
    draw_sweep,
    caption="Values after 2 sweeps: with options, the start already sees the goal.",
    k=widgets.IntSlider(value=2, min=0, max=30, step=1, description="sweep k"),
)

# %% [markdown]
# A caveat on cost. We computed the option models from the true one-step
# model by solving one linear system per option, which is cheap for rooms of
# 30 cells but grows with the cube of an option's initiation set. The payoff
# comes from reuse: the options describe the rooms, not the task. For any goal
# placed in a hallway the eight options and their $P_o$ stay the same and only
# the rewards change, so the cost is paid once and each new task is planned
# in a handful of sweeps. A learning agent would estimate $R_o$ and $P_o$ from
# experience instead, for instance from the steps taken while an option runs
# {cite}`sutton1999options`, and then faces the same model-learning questions
# as the rest of this chapter.

# %% [markdown]
# ## The full-budget numbers
#
# The experiments above ran at the budget this page was built with. The
# full-budget run of `benchmarks/ch05_models.py`, committed in `results/`,
# checks each claim this chapter makes:

# %%
full = load_results("ch05_models")
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    display(Markdown(f"Commit `{full['commit'][:10]}`, {full['seconds']:.0f} s.\n\n"
                     + targets_markdown(full)))

# %% [markdown]
# ## Exercises
#
# Six of the chapter's building blocks are graded in
# [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb)
# (see {doc}`ch00_checking_your_work`): the Gaussian negative log-likelihood
# of the first exercise below, the split of an ensemble's variance into its
# aleatoric and epistemic parts (§5.3), the running-median change detector
# `first_alarm` (§5.5), the $k$-step loss (§5.6), the latent consistency
# loss with its stop-gradient (§5.7), and the multi-time model
# $(R_o, P_o)$ of an option (§5.8). The exercises below go further than the
# grader does.
#
# ```{exercise}
# :label: ex-ch05-nll
# Write the Gaussian negative log-likelihood for a diagonal covariance by
# hand and check it against `torch.nn.functional.gaussian_nll_loss(...,
# full=True)`. Then train `GaussianMLP` on §5.2's data *without* the soft
# bounds on the log-variance (set `min_logvar=-30`). What happens to the
# training loss and to the predicted variance near the data points, and why?
# ```
#
# ```{exercise}
# :label: ex-ch05-ensemble
# In §5.3, train the ensemble without bootstrapping (`fit_ensemble(...,
# bootstrap=False)`), so that members differ only in their initial weights.
# Does the epistemic curve change in the gap? Then use a single member with
# five times the data: what can it no longer tell you?
# ```
#
# ```{exercise}
# :label: ex-ch05-window
# Repeat §5.4 with the pendulum observed as its angle only, $o = \theta$
# (no cosine and sine). Which window length is needed now, and what goes wrong
# when the angle wraps around from $\pi$ to $-\pi$?
# ```
#
# ```{exercise}
# :label: ex-ch05-multistep
# Vary $k$ in §5.6 over 1, 3, 10 and 20 at an equal number of *model calls*
# rather than an equal number of updates. Which $k$ gives the lowest error 20
# steps ahead?
# ```
#
# ```{exercise}
# :label: ex-ch05-options-room-goal
# Move the goal into a room, for example `four_rooms(goal=(9, 9))`, so that no
# option has it as its target. Before running anything, predict how many
# sweeps the start state needs to see the goal with and without the hallway
# options, and whether the options still help. Then measure both, and explain
# why an option can end in the goal although it was never aimed at it.
# ```
#
# ```{exercise}
# :label: ex-ch05-options-slip
# Plan with the hallway options alone and map the gap
# $V^\star - V^\star_{\mathcal O}$ over the grid, once with `slip = 1/3` and
# once in the slip-free world `four_rooms(slip=0.0)`. Why does the gap vanish
# without slipping? Which option causes most of it? (Compare
# $R_o(s) + \sum_{s'} P_o(s, s') V^\star(s')$ with $V^\star(s)$ room by
# room.) Give that option the greedy policy of $V^\star$ inside its room, using
# `Option(name, initiation, policy, termination)`, and measure the gap again.
# ```
#
# ```{exercise}
# :label: ex-ch05-nonstat-threshold
# Measure the detector's trade-off. Build a stationary stream
# (`NonStationaryPendulum(switch_step=10**9)`) and the stream of this
# section, with three seeds each. For thresholds 2, 3, 4, 6 and 10 and
# detector windows 20, 50 and 100 (`DetectorConfig`), count the false alarms
# on the stationary streams and the delay of the first alarm after the switch
# on the others. Then replace the running median in `first_alarm` by a
# running mean: what happens to the false alarms, and why? Finally halve the
# size of the change (`after=1.5` instead of 2): which settings still detect
# it?
# ```
#
# ```{exercise}
# :label: ex-ch05-nonstat-return
# Let the payload go again: `NonStationaryPendulum(switch_step=800,
# switch_back_step=1600)` on a stream of 2,400 steps. As written,
# `refit_on_change` starts yet another model when the old physics return.
# Change it so that on an alarm it first scores the models it has put aside
# on the last `window` steps, and reuses the best one if its median error is
# below the threshold times the reference; only otherwise does it start a new
# model. Compare the error after the switch back with the original version
# and with a window of 400. How does this relate to the responsibility
# signals of Doya et al.?
# ```
#
# ```{exercise}
# :label: ex-ch05-latent-stopgrad
# Train the latent model again with `LatentConfig(stop_gradient=False)`, so
# that the consistency term also pulls on the encoder. Compare the standard
# deviation of the codes, the final consistency loss and the median angle
# error at 5, 10 and 20 steps ahead with the default. Explain what the
# encoder does to make the consistency term small, and whether the forecasts
# gain or lose by it. Use two or three seeds before concluding anything.
# ```
#
# ```{exercise}
# :label: ex-ch05-latent-window
# Give the model one frame instead of two. `latent_losses` takes windows of
# observations directly, so write a short training loop like the one in
# `train_latent` that feeds it observations whose two channels both hold the
# newest frame (`obs[:, :, 1:].expand_as(obs)` for `obs` of shape
# `[N, T, 2, S, S]`), with the same budget. What happens to the velocity
# probe, to the forecasts, and to the error at one step ahead
# compared with ten? Which part of section 5.4 does this illustrate? Then try
# `latent_dim` 2 and 3 with two frames: the pendulum's states form a
# cylinder, which fits in a plane as an annulus; does $d = 2$ suffice in
# practice?
# ```
#
# ## References
#
# The organisation of this chapter follows the model-learning section of
# Moerland et al.'s survey {cite}`moerland2023mbrl`. Ensembles for model-based
# control are studied in PETS {cite}`chua2018pets` and MBPO
# {cite}`janner2019mbpo`; deep ensembles in general by Lakshminarayanan et al.
# {cite}`lakshminarayanan2017ensembles`; mixture density networks by Bishop
# {cite}`bishop1994mdn`; PILCO {cite}`deisenroth2011pilco` propagates a
# Gaussian process's uncertainty through its rollouts.
