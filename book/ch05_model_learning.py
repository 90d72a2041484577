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

from mbrl_lessons import budget
from mbrl_lessons.analysis import model_learning as ml
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


def draw_stochastic(model="mixture"):
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.scatter(x_data, y_data, s=4, color="0.6", label="real transitions")
    if model == "MSE":
        ax.plot(grid, point, "r", lw=2, label="MSE prediction (the mean)")
    elif model == "Gaussian":
        sd = g_var.sqrt()[:, 0]
        ax.plot(grid, g_mean[:, 0], "r", lw=2, label="Gaussian mean")
        ax.fill_between(grid[:, 0], g_mean[:, 0] - 2 * sd, g_mean[:, 0] + 2 * sd,
                        color="r", alpha=0.2, label="± 2 std")
    else:
        for i in range(len(mix_samples)):
            ax.scatter(grid[:, 0], mix_samples[i], s=5, color="r",
                       label="mixture samples" if i == 0 else None)
    ax.set_xlabel("$x = (s_t, a_t)$")
    ax.set_ylabel("$y = s_{t+1}$")
    ax.set_title(f"{model} model")
    ax.legend(loc="lower left", fontsize=8)


live_figure(draw_stochastic, caption="The mixture model.",
            model=widgets.ToggleButtons(options=["MSE", "Gaussian", "mixture"],
                                        value="mixture"))

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
# lower is better) is lower by far.
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
# on its own bootstrap resample of the data {cite}`lakshminarayanan2017ensembles`.
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
# The aleatoric curve follows the noise in the data (it grows with $|x|$, as
# the data were generated). The epistemic curve is small on the data and
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
#
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
# Below, two models with the same architecture and the same number of
# updates learn from the same random-torque trajectories, one with the
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
# both have lost track. The model trained through 10-step unrolls is, if
# anything, slightly *less* accurate one step ahead — it was not trained for
# that alone — but it drifts more slowly, because it was penalised for
# exactly the errors a rollout makes. The gain is real but modest here, and it costs $k$ times
# more computation per update; for short planning horizons plain one-step
# training is often good enough, which is why most methods in chapter 7 use
# it and keep their rollouts short instead.
#
# ## Exercises
#
# The graded versions of the first exercise, of the split of an ensemble's
# variance, and of the $k$-step loss are in
# [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb)
# (see {doc}`ch00_checking_your_work`).
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
# ## References
#
# The organisation of this chapter follows the model-learning section of
# Moerland et al.'s survey {cite}`moerland2023mbrl`. Ensembles for model-based
# control are studied in PETS {cite}`chua2018pets` and MBPO
# {cite}`janner2019mbpo`; deep ensembles in general by Lakshminarayanan et al.
# {cite}`lakshminarayanan2017ensembles`; mixture density networks by Bishop
# {cite}`bishop1994mdn`; PILCO {cite}`deisenroth2011pilco` propagates a
# Gaussian process's uncertainty through its rollouts.
