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
# # 7.1 World Models
#
# *About 15 minutes: 14 to read, 1 to run at FAST.* Section 7.1 of {doc}`ch07_modern`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - describe the V, M and C parts of World Models and why C is kept tiny;
# - write the loss of a mixture density network and sample it with a temperature;
# - train a controller by CMA-ES entirely inside a learned model, and check its dream returns against reality.
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
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import live_figure, show_source

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# Chapter 4's scheme v2.0 trained a policy against a learned model, and
# {doc}`chapter 5.7 <ch05_7_state_abstraction>` learned a model in a small space of codes instead of pictures.
# World Models {cite}`ha2018worldmodels` put the two together and push the
# idea to its end: once the model is learned, the controller never needs the
# real environment again until it is tested. It is trained entirely inside
# the model's imagination, "in the dream", and then dropped into reality.
#
# The agent has three parts, named by their roles.
#
# - **V (vision)** compresses an observation $o_t$ into a code
#   $z_t = V(o_t)$. In the paper it is a variational autoencoder over frames
#   of a car race or a Doom level.
# - **M (memory)** predicts what comes next in code space. It does not output
#   one next code but a *distribution* over it, a mixture density network
#   (MDN) {cite}`bishop1994mdn`; in the paper it sits on top of an LSTM.
# - **C (controller)** maps the code to an action. It is deliberately tiny,
#   a single linear map in the paper (867 weights for the car race), so that
#   almost all the capacity, and all the learning from data, lives in V and M.
#   C is found by CMA-ES {cite}`hansen2016cma`, a black-box evolution
#   strategy that only needs the return of each candidate.
#
# Splitting the work this way lets each part use the tool that suits it:
# V and M learn by gradient descent from a pile of recorded data, C by a
# derivative-free search that would be hopeless with millions of weights but
# is comfortable with a few dozen.
#
# **Our setting.** The swing-up of the pendulum from pixels (the camera of
# {doc}`§5.7 <ch05_7_state_abstraction>`) needs a code that captures velocity well enough to pump energy for
# 200 steps, and a CMA-ES search of many dreamed episodes per generation;
# within this chapter's CPU budget we could not make that reliable. We
# therefore run the recipe on `Pendulum-v1` as chapter 4 did, on its state
# vector $o = (\cos\theta, \sin\theta, \dot\theta)$. V is then the identity
# and $z = o$; the encoder of {doc}`§5.7 <ch05_7_state_abstraction>` would slot into the same place
# (exercise {ref}`ex-ch07-world-models-1`). What remains is the part of the
# paper that matters most for this chapter: a stochastic M, a temperature
# that controls how random the dream is, and a controller that has never
# touched the real pendulum.
#
# ## M: a mixture density network
#
# Given code and action, M outputs $K$ mixture weights $\pi_k$, means
# $\mu_k$ and standard deviations $\sigma_k$ for the normalised change
# $y = (z_{t+1} - z_t - m)/s$, where $m$ and $s$ are the mean and standard
# deviation of the change $z_{t+1} - z_t$ over the training data (fixed
# before training, so that every output dimension is of order one):
#
# $$
# p_\psi(y \mid z_t, a_t) = \sum_{k=1}^{K} \pi_k(z_t, a_t)\,
# \mathcal N\!\big(y;\ \mu_k(z_t, a_t),\ \operatorname{diag}\sigma_k^2(z_t, a_t)\big),
# \qquad \pi = \operatorname{softmax}(\ell),
# $$
#
# trained by maximum likelihood on random-policy transitions (the
# log-sum-exp of {doc}`§5.2 <ch05_2_stochastic>`'s mixture loss). The paper mixes each code dimension
# separately; we let one component cover the whole code, which keeps
# $\cos\theta$ and $\sin\theta$ moving together.
#
# **Temperature.** To dream, M is sampled at a temperature $\tau$:
#
# $$
# k \sim \operatorname{Categorical}\big(\operatorname{softmax}(\ell/\tau)\big),
# \qquad
# y = \mu_k + \sqrt{\tau}\,\sigma_k\,\varepsilon,\quad \varepsilon\sim\mathcal N(0, I).
# $$
#
# At $\tau = 1$ the dream samples the fitted model. As $\tau \to 0$ the
# most likely component wins and its noise vanishes: a deterministic dream.
# Above 1 rare components get picked more often and every component is
# wider: a dream more uncertain than the data suggest.
#
# ## C: evolution in the dream
#
# C is a one-hidden-layer tanh network
# $a = 2\tanh\!\big(w_2^\top \tanh(W_1 \tilde z + b_1) + b_2\big)$ with 16
# hidden units, 81 weights $\theta$ in all ($\tilde z$ divides the
# velocity by its top speed 8). CMA-ES maximises the dreamed return
#
# $$
# \hat J_\tau(\theta) = \mathbb E\Big[\sum_{t=0}^{T-1} r(z_t, a_t)\Big],
# \qquad a_t = C_\theta(z_t),\quad z_{t+1} \sim p_\psi^{(\tau)}(\cdot \mid z_t, a_t),
# $$
#
# where $z_0$ is the code of a recorded real first observation and $r$ is the
# pendulum's known reward evaluated on the dreamed code. Each generation,
# CMA-ES samples a population of $\theta$'s from a Gaussian, scores each by
# a batch of dreams, and moves the Gaussian's mean and covariance towards
# the better ones. All dreams of a generation run as one batch in torch: a
# population of 24 candidates times 16 dreams is 384 episodes stepped
# together.
#
# The danger is plain from the objective: $\hat J_\tau$ is the return *in the
# model*. An optimiser that only sees $\hat J_\tau$ will happily find
# behaviour that the model gets wrong in the controller's favour, a
# *model exploitation* that scheme v1.0 met in chapter 4 and that the paper
# observed vividly (in a dreamed Doom, with $\tau$ low, the agent found
# moves that made the monsters never fire). Their remedy was the temperature:
# a noisier dream is harder to exploit, because a trick that works only on
# one precise predicted trajectory does not survive the sampling.

# %%
from mbrl_lessons.algorithms.world_models import (
    TruePendulumDream,
    WorldModelsConfig,
    cma_in_dream,
    collect,
    dream_returns,
    fit_mdn,
    mdn_sample,
    random_returns,
    reset_states,
    rollout_angles,
)
from mbrl_lessons.core.seeding import torch_generator

torch.set_num_threads(1)
show_source(mdn_sample)

# %% [markdown]
# The dreamed return of a whole CMA-ES population, every candidate on the
# same start codes and each step one call of M on all of them:

# %%
show_source(dream_returns)

# %% [markdown]
# ## The experiment
#
# We collect 40 episodes of uniformly random torques from gymnasium's reset
# distribution (the paper's first step: random rollouts), fit M on them once,
# and then run CMA-ES in dreams at three temperatures, $\tau \in \{0.1, 1,
# 1.5\}$. Every five generations we take the current CMA-ES mean and score
# it twice on fixed starts: once in the dream it is trained in, once in the
# real pendulum. The real score is recorded and never shown to CMA-ES.

# %%
wm_cfg = WorldModelsConfig(generations=budget(fast=15, full=120),
                           mdn_steps=budget(fast=300, full=2000),
                           popsize=budget(fast=12, full=24))
taus = (0.1, 1.0, 1.5)
gen = torch_generator(wm_cfg.seed)
obs, act, nxt = collect(None, wm_cfg.n_random_episodes, wm_cfg, gen)
starts = obs.view(wm_cfg.episode_len, -1, 3)[0]  # recorded first observations
M, m_losses = fit_mdn(obs, act, nxt, wm_cfg.n_mixtures, wm_cfg.mdn_hidden,
                      wm_cfg.mdn_steps, seed=wm_cfg.seed)
print(f"{len(obs)} random transitions; final NLL of M {m_losses[-50:].mean():.2f}")

controllers, traces = {}, {}
for tau in taus:
    cfg_tau = WorldModelsConfig(**{**wm_cfg.__dict__, "tau": tau})
    controllers[tau], traces[tau] = cma_in_dream(M, starts, cfg_tau)
rand_ret = random_returns(reset_states(wm_cfg.n_eval, torch_generator(2)),
                          torch_generator(9))
for tau in taus:
    tr = traces[tau]
    print(f"tau = {tau}: dream {tr.dream[-1]:7.0f}   real {tr.real[-1]:7.0f}")
print(f"random torques, real: {rand_ret:.0f}")

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
for ax, tau in zip(axes, taus, strict=True):
    tr = traces[tau]
    ax.plot(tr.generation, tr.dream, "o-", label="in the dream (what CMA-ES sees)")
    ax.plot(tr.generation, tr.real, "s-", label="in the real pendulum")
    ax.axhline(rand_ret, color="grey", ls=":", label="random torques")
    ax.set_title(f"τ = {tau}")
    ax.set_xlabel("CMA-ES generation")
axes[0].set_ylabel("return of the CMA-ES mean")
axes[0].legend(fontsize=7)
plt.show()

# %% [markdown]
# Each panel follows one controller as CMA-ES improves it. The circles are
# its return in the dream, the squares its return in the real pendulum, both
# from the same start states. Where
# the circles sit above the squares, the dream promises more than reality
# delivers: the controller has found something M gets wrong in its favour.
# Where they sit below, the dream is *harder* than reality: the model is
# pessimistic about this controller.
#
# One run with one seed at the budget this page was built with says little.
# At the FAST budget (a few CMA-ES generations with a small population and
# a short fit of M, on the same random data as the full run) the
# controllers have usually not learned anything yet and can score below
# random torques; the numbers printed above are then a test that the code
# runs, not a result. The full-budget benchmark repeats it with three seeds and 120 generations:

# %%
full = load_results("ch07_world_models")
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    ex = full["extra"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
    for i, tau in enumerate(taus):
        runs = ex["traces"][str(tau)]
        g = np.array(runs[0]["generation"])
        d = np.mean([r["dream"] for r in runs], 0)
        r = np.mean([r["real"] for r in runs], 0)
        ax1.plot(g, d - r, "o-", color=f"C{i}", label=f"τ = {tau}")
    ax1.axhline(0, color="k", lw=0.5)
    ax1.set_xlabel("CMA-ES generation")
    ax1.set_ylabel("dream return − real return")
    ax1.set_title("the dream-real gap (mean of seeds)")
    ax1.legend()
    x = np.arange(len(taus))
    for j, (key, label) in enumerate((("dream", "dream"), ("real", "real"))):
        vals = [ex["final"][str(tau)][key] for tau in taus]
        ax2.bar(x + (j - 0.5) * 0.35, np.mean(vals, 1), 0.35, label=label,
                yerr=np.std(vals, 1))
    ax2.axhline(ex["random_return"], color="grey", ls=":", label="random")
    ax2.axhline(full["config"]["mpc_ceiling"], color="k", ls="--",
                label="ch04 MPC, true model")
    ax2.set_xticks(x, [f"τ = {t}" for t in taus])
    ax2.set_ylabel("final return (mean ± sd over seeds)")
    ax2.legend(fontsize=7)
    plt.show()
    print("final dream minus real return, mean over seeds: " + ", ".join(
        f"τ = {tau}: {ex['gap'][str(tau)]:+.1f}" for tau in taus))
    for t in full["targets"]:
        print(f"[{'MET ' if t['met'] else 'MISS'}] {t['id']}: {t['measured']:.1f} "
              f"{t['op']} {t['threshold']}")

# %% [markdown]
# **What the full-budget run shows.** The controller trained only in dreams
# at $\tau = 1$ swings the real pendulum up and holds it on two of the
# three seeds; its
# mean real return is well past the half-way mark between random torques
# and chapter 4's MPC with the *true* model (the target
# `real_return_tau1`), and every controller at every temperature beats
# random torques by a wide margin. It never saw a real transition after the
# random ones.
#
# The temperature story is *not* the paper's, and we keep the claim we set
# out to check as a miss (`lowest_tau_largest_gap`). Scored from the same
# start states, dream and reality agree closely at every temperature: the
# gaps in the left panel are small next to the returns, and of about the
# same size for all three values of $\tau$. So there is no model error for
# the controller to exploit, even in the near-deterministic dream. The reason is the
# task. Forty random episodes cover the pendulum's small state space, and its
# dynamics are deterministic, so M is accurate wherever the controllers go.
# Its mixture components crowd around the one true outcome, so even at
# $\tau = 0.1$, where the heaviest component wins almost every draw, the
# dream stays close to reality. The paper's Doom model faced rare events (a
# fireball) that a low temperature erases: there the deterministic dream is
# the one with holes in it, and the controller learns to walk through them.
# The exercise below gives the pendulum such rare events.
#
# An earlier version of this experiment scored the dream from the training
# starts and reality from fresh ones. Its gap then mixed model error with
# the difference between two samples of start states, which weak
# controllers feel strongly, and it seemed to grow with $\tau$. Scoring both
# from the same starts removed the artefact (and a test now checks that a
# perfect model shows no gap at all): a reminder that a comparison is only
# as good as the conditions it holds fixed.
#
# Finally, the spread between seeds is as large as the effect of $\tau$:
# with 120 generations CMA-ES sometimes settles in a poor local optimum (on
# one seed at $\tau = 0.1$, one at $\tau = 1$ and two at $\tau = 1.5$), and three
# seeds cannot rank the temperatures firmly. The weaker half of the paper's
# claim does hold here: $\tau = 1$ transferred better than $\tau = 0.1$
# (`higher_tau_transfers_better`), although $\tau = 1.5$ transferred worst.
# The lesson to carry forward is the measurement, not the knob: the return a
# controller earns inside a model is a forecast, and it must be checked
# against reality, as the squares in these plots do.
#
# ## Dream against reality, rollout by rollout
#
# The widget runs each temperature's final controller from the same four
# start states twice: inside M at its training temperature (thin lines, a
# fresh dream per start) and in the real pendulum (thick lines). The angle
# is 0 when the pendulum is upright.

# %% tags=["hide-input"]
demo_starts = reset_states(4, torch_generator(11))
demo = {tau: (rollout_angles(M, controllers[tau], demo_starts, 200, tau,
                             torch_generator(12)),
              rollout_angles(TruePendulumDream(), controllers[tau], demo_starts, 200, 0.0,
                             None))
        for tau in taus}


def draw_dream_vs_real(tau_index=1):
    tau = taus[tau_index]
    dream, real = demo[tau]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for i in range(len(demo_starts)):
        ax.plot(np.degrees(dream[i].numpy()), color=f"C{i}", lw=0.8, ls="--")
        ax.plot(np.degrees(real[i].numpy()), color=f"C{i}", lw=2.2)
    ax.plot([], [], "k--", lw=0.8, label="dream (inside M)")
    ax.plot([], [], "k-", lw=2.2, label="real pendulum")
    ax.set_ylim(-185, 185)
    ax.set_yticks([-180, -90, 0, 90, 180])
    ax.set_xlabel("step")
    ax.set_ylabel("angle θ (degrees, 0 = upright)")
    ax.set_title(f"controller trained in the dream at τ = {tau}")
    ax.legend(fontsize=8, loc="lower right")


live_figure(draw_dream_vs_real,
            caption="Dreamed and real angle trajectories of the final controller.",
            tau_index=widgets.IntSlider(value=1, min=0, max=len(taus) - 1,
                                        description="τ index"))

# %% [markdown]
# ## When random data are not enough
#
# Everything above used random-policy data only. That sufficed here because
# uniformly random torques from uniformly random angles already visit the
# states a swing-up passes through: all angles, and speeds up to the ones
# a good controller uses. It need not. Random rollouts also sufficed for
# both of the paper's tasks, but the authors point out that harder tasks
# will not be so kind: whenever a good controller reaches states a random
# one never does (the top of a hill, the far end of a maze), M is asked to
# predict where it has no data, which is exactly where a dream is easiest
# to exploit. Their proposed answer is *iterative training*: run the
# current controller (with some exploration noise) in the real environment,
# add those episodes to the data, refit M, and continue CMA-ES from the
# current controller. `train("Pendulum-v1", WorldModelsConfig(n_rounds=2))` does one such
# extra round; in the benchmark (`iterative_round_real`) it brought the
# seed-0 controller close to the true-model MPC ceiling. This
# loop is chapter 4's scheme v1.0 with a policy in place of a plan, and it
# leads straight to the algorithms of the rest of this chapter, which
# interleave data collection and learning far more tightly.

# %% [markdown]
# ## Summary
#
# World Models splits an agent into a compressor V, a mixture-density model M
# of what comes next and a tiny controller C that is evolved with CMA-ES inside
# M's dreams. On the pendulum, a controller that never saw a real transition
# after the random ones swings the real pendulum up on most seeds. The
# temperature did not behave as in the paper: dream and reality agree at every
# $\tau$, because random data cover this small deterministic task, and the
# seeds differ as much as the temperatures do. The lesson is the measurement: a
# return earned inside a model is a forecast to be checked against reality.

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-ch07-world-models-1
# Put a real V in front of M: collect pixel-pendulum data with
# `pixel_pendulum_dataset`, train {doc}`§5.7 <ch05_7_state_abstraction>`'s `LatentModel`, freeze its encoder,
# and fit the MDN on the 6-number codes instead of the state. The dream now
# has no angle to score: either fit a linear probe from the code to
# $(\cos\theta, \sin\theta, \dot\theta)$ and compute the known reward on its
# output, or learn a small reward head on the codes. Start with a balancing
# task (`max_angle=0.5`) before trying the swing-up. Which part breaks first?
# ```
#
# ```{exercise}
# :label: ex-ch07-world-models-2
# Make model exploitation easier to see: fit M on only 3 random episodes,
# and on random episodes that never exceed $|\dot\theta| = 2$ (filter the
# transitions). For $\tau \in \{0, 0.5, 1, 2\}$, plot the final dream return
# against the real return. Does a larger $\tau$ narrow the gap, as the paper
# found, when
# M's errors are systematic (missing data) rather than random? Then add one
# round of iterative collection and compare.
# ```
#
# ```{exercise}
# :label: ex-ch07-world-models-3
# Give the pendulum the rare events of the paper's Doom world. Wrap the
# pendulum step so that, with probability 0.05 per step, the velocity gets a
# kick of $\pm 2$ rad/s (draw the kicks from an explicit generator), use it
# both to collect M's data and for the real evaluation, and rerun
# $\tau \in \{0.1, 1, 1.5\}$ with the dream and reality scored from the
# same starts. Which temperature's dream is exploited most now? Measure how
# often `mdn_sample` picks a component other than the heaviest at each
# $\tau$, and explain the link.
# ```

# %% [markdown]
# ## References
#
# World Models is from Ha and Schmidhuber {cite}`ha2018worldmodels`; mixture
# density networks from Bishop {cite}`bishop1994mdn`; CMA-ES is described by
# Hansen {cite}`hansen2016cma`.
