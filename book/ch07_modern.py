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
#
# %% [markdown]
# # Chapter 7: Five modern algorithms
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
# Each of the following sections states the idea and the maths, shows the core
# of our implementation from the `mbrl_lessons` package, and runs it. Our
# versions keep what makes each method what it is and shrink the rest; every
# section says what was shrunk. Four of the five run on the pendulum of
# chapter 4, so that chapter's true-model ceiling and learned-model MPC are
# the yardsticks (section 7.6 puts all of them side by side); MuZero, a
# method for discrete actions, goes back to the Dyna maze of chapter 6.
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
from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import live_figure, show_source

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once


# %% [markdown]
# ## 7.1 World Models
#
# Chapter 4's scheme v2.0 trained a policy against a learned model, and
# chapter 5.7 learned a model in a small space of codes instead of pictures.
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
# §5.7) needs a code that captures velocity well enough to pump energy for
# 200 steps, and a CMA-ES search of many dreamed episodes per generation;
# within this chapter's CPU budget we could not make that reliable. We
# therefore run the recipe on `Pendulum-v1` as chapter 4 did, on its state
# vector $o = (\cos\theta, \sin\theta, \dot\theta)$. V is then the identity
# and $z = o$; the encoder of §5.7 would slot into the same place
# (exercise {ref}`ex-ch07-world-models-1`). What remains is the part of the
# paper that matters most for this chapter: a stochastic M, a temperature
# that controls how random the dream is, and a controller that has never
# touched the real pendulum.
#
# ### M: a mixture density network
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
# log-sum-exp of §5.2's mixture loss). The paper mixes each code dimension
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
# ### C: evolution in the dream
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
    TrueModel,
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
from mbrl_lessons.core.results import load_results
from mbrl_lessons.core.seeding import torch_generator

torch.set_num_threads(1)
show_source(mdn_sample)

# %% [markdown]
# The dreamed return of a whole CMA-ES population, every candidate on the
# same start codes and each step one call of M on all of them:

# %%
show_source(dream_returns)

# %% [markdown]
# ### The experiment
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

# %%
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
# ### Dream against reality, rollout by rollout
#
# The widget runs each temperature's final controller from the same four
# start states twice: inside M at its training temperature (thin lines, a
# fresh dream per start) and in the real pendulum (thick lines). The angle
# is 0 when the pendulum is upright.

# %%
demo_starts = reset_states(4, torch_generator(11))
demo = {tau: (rollout_angles(M, controllers[tau], demo_starts, 200, tau,
                             torch_generator(12)),
              rollout_angles(TrueModel(), controllers[tau], demo_starts, 200, 0.0,
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
# ### When random data are not enough
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
# current controller. `train(WorldModelsConfig(n_rounds=2))` does one such
# extra round; in the benchmark (`iterative_round_real`) it brought the
# seed-0 controller close to the true-model MPC ceiling. This
# loop is chapter 4's scheme v1.0 with a policy in place of a plan, and it
# leads straight to the algorithms of the rest of this chapter, which
# interleave data collection and learning far more tightly.
#
# ```{exercise}
# :label: ex-ch07-world-models-1
# Put a real V in front of M: collect pixel-pendulum data with
# `pixel_pendulum_dataset`, train §5.7's `LatentModel`, freeze its encoder,
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
# ## 7.2 PETS: planning through an uncertain model
#
# Scheme v1.5 of chapter 4 already plans well on the pendulum: a single
# network predicts the next state, CEM searches over action sequences in it,
# and only the first action is executed before planning again. Its weak spot
# is the model's confidence. A deterministic network gives one answer
# everywhere, including in regions of the state space it has never seen, and
# the optimiser is attracted exactly to the places where the model is
# wrong in its favour. With little data that happens often.
#
# Chua et al. {cite}`chua2018pets` kept the MPC loop and changed what the
# planner looks through. Their method, **PETS** (probabilistic ensembles with
# trajectory sampling), uses the two kinds of uncertainty of chapter 5:
#
# - each network outputs a *Gaussian* over the next state rather than a
#   point, which captures noise in the system itself (aleatoric
#   uncertainty);
# - several such networks, each trained on its own bootstrap resample,
#   agree where data was plentiful and drift apart where it was not
#   (epistemic uncertainty).
#
# The planner then judges a candidate action sequence by sending several
# simulated trajectories, the *particles*, through the ensemble and
# averaging their returns. A sequence that only looks good to one member,
# or only under lucky noise, scores lower than one that works for all of
# them. With a handful of episodes of data, PETS matched model-free methods
# that needed one or two orders of magnitude more experience, which is
# where the paper's title comes from.
#
# ### The model
#
# Each of the $E$ members $b = 1, \dots, E$ predicts the *change* of the
# state, which is smaller and more uniform in scale than the state itself:
#
# $$
# s_{t+1} - s_t \sim \mathcal N\big(\mu_b(s_t, a_t),\ \operatorname{diag}
# \sigma_b^2(s_t, a_t)\big).
# $$
#
# Inputs and targets are standardised with the mean and standard deviation of
# the data. Member $b$ is trained on a resample $\mathcal D_b$ of the $N$
# transitions drawn with replacement, by the Gaussian negative
# log-likelihood (up to constants)
#
# $$
# \mathcal L_b = \frac{1}{|\mathcal D_b|}\sum_{(s,a,s') \in \mathcal D_b}
# \big(\Delta - \mu_b\big)^\top \operatorname{diag}\sigma_b^{-2}\,
# \big(\Delta - \mu_b\big) + \log\det \operatorname{diag}\sigma_b^2,
# \qquad \Delta = s' - s.
# $$
#
# Left alone, a network can drive this loss towards $-\infty$ by shrinking
# $\sigma_b$ on a few points it fits exactly, and its variance far from the
# data is arbitrary. PETS therefore passes the raw output $v$ through two
# soft limits,
#
# $$
# \log\sigma^2 = \ell_{\min} + \operatorname{softplus}\big(
# \ell_{\max} - \operatorname{softplus}(\ell_{\max} - v) - \ell_{\min}\big),
# $$
#
# where the bounds $\ell_{\min}, \ell_{\max}$ are themselves learned, and
# adds $0.01\,(\sum\ell_{\max} - \sum\ell_{\min})$ to the loss so that they
# close in on the range the data needs.
#
# One departure from the paper. The Gaussian NLL has a second way to lower
# itself: where the mean is hard to fit, it can raise $\sigma_b^2$ and the
# squared error counts for less. On a system with no real noise, such as the
# pendulum, the model then calls its own errors "noise" and stops improving
# its mean. We train with the $\beta$-NLL of Seitzer et al.
# {cite}`seitzer2022betanll`: each element of the loss is multiplied by
# $\operatorname{sg}\big[\sigma_b^{2\beta}\big]$, a weight through which no
# gradient flows, with $\beta = 0.5$ (`EnsembleTrainConfig.beta`; $\beta = 0$
# is the plain NLL). The weight undoes part of the discount that a large
# variance gives to an error, so the mean keeps learning.
#
# ### Trajectory sampling
#
# To score an action sequence $a_{t:t+H-1}$ from the real state $s_t$, PETS
# starts $P$ particles $s^p_t = s_t$ and moves each one by sampling from a
# member $b(p, \tau)$:
#
# $$
# s^p_{\tau+1} = s^p_\tau + \mu_{b(p,\tau)}(s^p_\tau, a_\tau)
# + \sigma_{b(p,\tau)}(s^p_\tau, a_\tau) \odot \varepsilon,
# \qquad \varepsilon \sim \mathcal N(0, I).
# $$
#
# The paper compares two ways to choose the member:
#
# - **TS-$\infty$**: $b(p, \tau) = b(p)$ is drawn once per particle and kept
#   for the whole horizon. A particle then lives in one consistent
#   hypothesis of the dynamics, and the spread between particles shows how
#   much the hypotheses disagree.
# - **TS-1**: the member is drawn again at every step, so every particle
#   mixes the members.
#
# As a third variant we use no sampling at all: a single state moved by the
# ensemble's mean prediction $\frac1E\sum_b \mu_b$, the same kind of
# deterministic model as in v1.5 but built from an ensemble. The score of a
# sequence is the average return over particles, with the known reward $r$
# of the pendulum,
#
# $$
# J(a_{t:t+H-1}) = \frac1P \sum_{p=1}^{P} \sum_{\tau=t}^{t+H-1}
# r(s^p_\tau, a_\tau),
# $$
#
# and CEM (section 6.3) searches for the sequence with the best score. As in
# v1.5, only the first action is executed, the next state is observed, and
# the search starts again. After each episode, the ensemble is refitted on
# all data gathered so far. The first episode uses random actions.
#
# **What we shrank.** The paper uses 20 particles, 400 to 500 CEM candidates
# and members with three or four hidden layers of 200 to 500 units. Our
# members have two layers of 48 units, and each plan scores 200 candidates
# with 5 particles (one per member) for 4 CEM iterations over 25 steps. One
# plan then costs a few tens of milliseconds on a single CPU thread.

# %%
from mbrl_lessons.algorithms.pets import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    ParticleModelEnv,
    PETSConfig,
    fans_by_data,
    fit_gaussian_ensemble,
    train,
)
from mbrl_lessons.planning import PlannerConfig

# %% [markdown]
# The ensemble holds each layer's weights for all members in one tensor of
# shape $[E, \text{in}, \text{out}]$, so a single batched matrix product
# (`torch.baddbmm`) runs every member at once. The output is split into the
# mean and the soft-bounded log-variance:

# %%
show_source(GaussianEnsemble.forward_normalised)

# %% [markdown]
# Training draws one bootstrap resample per member and then, at every step,
# a minibatch from each member's own resample:

# %%
show_source(fit_gaussian_ensemble)

# %% [markdown]
# The particle rollout is the heart of PETS. For TS-$\infty$, each
# candidate's $P$ particles are shared out evenly over the $E$ members in a
# random order, and that assignment holds for the whole horizon. To run
# all members in one call, the particles are sorted by member once, stepped
# in that order, and put back in their original order at the end. TS-1
# draws a new assignment, and sorts again, at every step:

# %%
show_source(ParticleModelEnv.rollout)

# %% [markdown]
# `ParticleModelEnv.returns` averages the particles' returns per candidate.
# It has the interface that chapter 4's `CEMPlanner` expects of a model
# environment, so the planner and the MPC agent are reused unchanged. The
# training loop is chapter 4's v1.5 with the ensemble in place of the single
# network. The starting states and the random first episode are the same as
# v1.5's for the same seed, so each PETS run can be compared with a v1.5 run
# episode by episode.

# %%
show_source(train)

# %% [markdown]
# ### Experiment: learning to swing up from a few episodes
#
# We run PETS with TS-$\infty$ and plot the return of each real episode. The
# first episode is random, so its return is that of a random policy. The
# full-budget results (three seeds, ten episodes each, read from
# `results/ch07_pets.json`) are drawn next to chapter 4's v1.5 with the same
# data budget and starting states (from `results/ch04_schemes.json`).

# %%
cfg = PETSConfig(
    n_episodes=budget(fast=3, full=10),
    hidden=budget(fast=32, full=48),
    planner=budget(fast=PlannerConfig(horizon=15, n_candidates=50, n_iterations=2,
                                      n_elites=5),
                   full=PETSConfig().planner),
)
live = train(cfg, seed=0)
print("live run, return per episode:", np.round(live.returns, 1))
print(f"planning time per action: {1000 * live.seconds_per_action:.0f} ms")

# %%
full = load_results("ch07_pets")
ch04 = load_results("ch04_schemes")


def spread_plot(ax, curves, label, color):
    curves = np.asarray(curves, dtype=float)
    steps = 200 * np.arange(1, curves.shape[1] + 1)
    ax.plot(steps, curves.mean(0), "o-", color=color, ms=4, label=label)
    if len(curves) > 1:
        ax.fill_between(steps, curves.min(0), curves.max(0), color=color, alpha=0.2)


fig, ax = plt.subplots(figsize=(7, 4))
if full is not None:
    spread_plot(ax, full["extra"]["returns"]["ts_inf"],
                "PETS TS-$\\infty$ (full budget, 3 seeds)", "C0")
if ch04 is not None:
    spread_plot(ax, ch04["extra"]["returns"]["v1.5"],
                "ch04 v1.5, deterministic MLP (3 seeds)", "C1")
spread_plot(ax, [live.returns], "PETS, this run", "C2")
ax.set_xlabel("real environment steps")
ax.set_ylabel("episode return")
ax.set_title("Return per episode: mean over seeds, shaded min to max")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# In the full-budget run, a single random episode was enough: on every seed
# the second episode already swings the pendulum up and holds it. After
# that, the return depends mostly on where the pendulum starts, because a
# start near the bottom costs more on the way up however good the
# controller is. PETS's average over episodes 6 to 10 is level with v1.5's
# (the table at the end of the section has the numbers).
#
# It was not at first. Trained with the plain NLL ($\beta = 0$; exercise
# {ref}`ex-ch07-pets-3` reruns it), the same PETS lost the pendulum in
# several later episodes of one seed and ended below v1.5 on average. The
# obvious suspects were not the cause: giving its planner v1.5's larger
# budget (500 candidates, 5 iterations), a wider network or more particles
# left the failing episode failed, while the *same* data fitted by mean
# squared error, or by the $\beta$-NLL above, recovered the true model's
# return. The NLL ensemble's one-step errors on that episode were far larger
# than the MSE fit's, and its predicted variances inflated to match: a loss
# function, not the idea of PETS, was at fault. On a deterministic system the ensemble can help only through
# its epistemic part; with a good mean it does no worse than one network,
# and here the ensemble-mean propagation scores the same as sampling
# particles. The paper's gains came from tasks with contacts and noise, and
# from high-dimensional ones, where one network is overconfident far more
# often.
#
# ### The ablation: how particles are propagated
#
# The full-budget run also repeated seed 0 with TS-1 and with the
# ensemble-mean propagation. The same starts and the same random first
# episode make the three directly comparable:

# %%
if full is not None:
    fig, ax = plt.subplots(figsize=(7, 3.6))
    names = {"ts_inf": "TS-$\\infty$", "ts1": "TS-1", "mean": "ensemble mean"}
    for i, (key, name) in enumerate(names.items()):
        spread_plot(ax, full["extra"]["returns"][key][:1], f"{name} (seed 0)", f"C{i}")
    ax.set_xlabel("real environment steps")
    ax.set_ylabel("episode return")
    ax.legend(fontsize=8)
    plt.tight_layout()
    plt.show()
    plain = {"ts_inf": "TS-inf", "ts1": "TS-1", "mean": "ensemble mean"}
    for key, name in plain.items():
        tail = np.mean(full["extra"]["returns"][key][0][5:10])
        print(f"{name:>16s}: mean return, episodes 6-10 = {tail:7.1f}")

# %% [markdown]
# On the MuJoCo tasks of the paper, the choice mattered. The mean
# propagation did clearly worse than either TS variant, because a mean
# prediction averages away the disagreement that keeps the planner out of
# unexplored regions. On the pendulum with seed 0, the three curves lie
# almost on top of each other. Once the data cover the swing-up, the members
# agree so closely that sampling among them changes hardly any decision of
# the planner. One seed is too few to rank them, so the table reports the
# differences only as measured numbers.
#
# ### Particles fanning out
#
# What do the particles look like? Take a trajectory that the real pendulum
# followed in the last episode (a swing-up), fit an ensemble on the first
# $k$ episodes of data, and send 20 TS-$\infty$ particles along the same 50
# actions. After one episode of random data, the members have seen only
# the states that random torques reach, and anything beyond them is an
# extrapolation that each member makes in its own way. How far apart the
# particles end up shows how much these extrapolations differ along this
# particular path. The pendulum's dynamics are smooth, so the fan can be
# narrow even with little data.
#
# Two effects mix in this picture. One is the model's uncertainty, which
# more data reduces. The other is the pendulum itself: the upright position
# is unstable, so when the real trajectory balances at the top, even a
# nearly perfect model sends open-loop particles falling to either side
# after a while. (MPC looks only 25 steps ahead and replans at every
# step.) The spread after 50 steps therefore
# need not shrink with more data. A cleaner measure of what the ensemble
# does not know is its *one-step disagreement*: the standard deviation
# over members of the predicted change of $\dot\theta$, averaged over the
# transitions of an episode that none of the ensembles was trained on.

# %%
k_plentiful = cfg.n_episodes - 1
fans = fans_by_data(live, cfg, [1, k_plentiful], horizon=50,
                    train_cfg=EnsembleTrainConfig(steps=budget(fast=300, full=1500)))


def draw_fan(ax, angles, true_angles, title):
    t = np.arange(angles.shape[-1])
    ax.plot(t, np.unwrap(angles, axis=-1).T, color="C0", lw=0.8, alpha=0.6)
    ax.plot(t, np.unwrap(true_angles), "k--", lw=2, label="real pendulum")
    ax.set_xlabel("steps ahead")
    ax.set_title(title, fontsize=9)


fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, k, a in zip(axes, fans.episodes, fans.angles, strict=True):
    draw_fan(ax, a, fans.true_angles, f"ensemble fit on {k} episode(s) of data")
axes[0].set_ylabel("angle (rad, unwrapped)")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()
print("std of the final angle over particles:", np.round(fans.spread, 2))
print("one-step disagreement on the held-out episode:",
      np.round(fans.disagreement, 3))

# %% [markdown]
# The slider below uses the ensembles of the full-budget run, fitted on 1
# to 9 episodes of seed 0's data. It shows the fan along a trajectory from
# the tenth episode, which none of these ensembles was trained on. The right
# panel shows the one-step disagreement on that episode. It falls steeply
# between one episode of data (random motion) and two (which include a
# swing-up). After that it no longer falls steadily but varies from one
# refit to the next, well below its value for one episode. The 50-step fan does not shrink in the same way, for the
# reason given above. If the benchmark has not been run, the widget shows
# this page's live ensembles.

# %%
if full is not None:
    fan_data = full["extra"]["fans"]
    fan_k = fan_data["episodes"]
    fan_angles = np.asarray(fan_data["angles"])
    fan_true = np.asarray(fan_data["true_angles"])
    fan_dis = np.asarray(fan_data["disagreement"])
else:
    fan_k, fan_angles, fan_true = fans.episodes, fans.angles, fans.true_angles
    fan_dis = fans.disagreement


def draw_fan_slider(episodes=1):
    i = int(np.argmin(np.abs(np.asarray(fan_k) - episodes)))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4),
                             gridspec_kw={"width_ratios": [2, 1]})
    draw_fan(axes[0], fan_angles[i], fan_true,
             f"ensemble fit on {fan_k[i]} episode(s) of data")
    axes[0].set_ylabel("angle (rad, unwrapped)")
    axes[0].set_ylim(-12, 12)
    axes[1].semilogy(fan_k, fan_dis, "o-")
    axes[1].semilogy(fan_k[i], fan_dis[i], "ro", ms=9)
    axes[1].set_xlabel("episodes of data")
    axes[1].set_ylabel("one-step disagreement")
    plt.tight_layout()


live_figure(draw_fan_slider, caption="One episode of data.",
            episodes=widgets.IntSlider(value=1, min=min(fan_k), max=max(fan_k),
                                       description="episodes"))

# %% [markdown]
# ### The full-budget numbers
#
# `benchmarks/ch07_pets.py` runs the full budget: PETS with TS-$\infty$ on
# three seeds, the ablation on seed 0, and the fans. Each claim of this
# section is checked against a threshold fixed in advance, and the table
# reports each one as met or missed:

# %%
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    display(Markdown(f"Commit `{full['commit'][:10]}`, {full['seconds']:.0f} s.\n\n"
                     + targets_markdown(full)))

# %% [markdown]
# ### Exercises
#
# ```{exercise}
# :label: ex-ch07-pets-1
# Break the soft bounds: construct the ensemble and then set
# `model.min_logvar.data.fill_(-30.0)` and `model.max_logvar.data.fill_(30.0)`,
# and set `bound_weight=0` in `EnsembleTrainConfig`. Fit it on one
# episode of pendulum data and print the predicted standard deviation of
# the angular-velocity change on the training inputs and on inputs with
# $|\dot\theta| = 7$. Compare both with the bounded model. Which of the two
# would you trust inside a planner, and why?
# ```
#
# ```{exercise}
# :label: ex-ch07-pets-3
# Rerun PETS on seed 1 for ten episodes with the plain NLL,
# `EnsembleTrainConfig(beta=0.0)`, and with the default $\beta = 0.5$. For
# the ensemble after episode 4, compare the one-step error of the mean and
# the predicted standard deviation on the transitions of episode 5. Which of
# the two losses lets the model trade mean error for variance, and why
# does that matter more on a deterministic system than on a noisy one?
# ```
#
# ```{exercise}
# :label: ex-ch07-pets-2
# Make the pendulum noisy by adding Gaussian noise with a standard deviation
# of 0.3 to every executed action (`run_episode`'s `action_noise`, or a
# wrapper around the environment). Then rerun TS-$\infty$, the
# ensemble-mean propagation, and chapter 4's v1.5 for a few episodes.
# Predict first: which of the three should lose the least, and why?
# Does the aleatoric part of the ensemble now learn a larger variance?
# ```

# %% [markdown]
# ## 7.3 MBPO: short model rollouts for a model-free learner
#
# PETS (§7.2) never learns a policy: it plans through its model at every real
# step. The opposite use of a model is the one Dyna introduced (chapter 6):
# let the model *invent* transitions, and hand them to a model-free learner
# as if they were real. Model-based policy optimisation, MBPO
# {cite}`janner2019mbpo`, is that idea scaled to deep networks and continuous
# actions. Its learner is soft actor-critic (SAC) {cite}`haarnoja2018sac`, a
# sample-hungry but reliable off-policy algorithm; its model is an ensemble
# of Gaussian networks, as in chapter 5 and PETS.
#
# The difficulty is the one §5.6 measured: a learned model is accurate one
# step ahead and steadily less so as it feeds on its own predictions. If the
# learner trains on long imagined trajectories it learns to exploit the
# model's mistakes. MBPO's answer is almost disappointingly simple: never let
# the model run long. Every imagined trajectory *branches* off a state the
# agent really visited and lasts only $k$ steps, often between one and a
# handful. The model is trusted only where it has seen data and only for as
# long as its errors stay small, and the learner still gets many times more
# transitions than the environment gave it.
#
# This section first builds the learner, then the argument for short
# branches, then MBPO itself, and finally measures both claims on the
# pendulum: MBPO learns with far fewer real steps than SAC alone, and the
# rollout length $k$ trades model error against the amount of useful data.

# %%
import time
from dataclasses import replace

import gymnasium as gym

from mbrl_lessons.algorithms import mbpo, sac
from mbrl_lessons.core.results import load_results
from mbrl_lessons.envs.pendulum import pendulum_step

torch.set_num_threads(1)
full_mbpo = load_results("ch07_mbpo")  # the committed full-budget benchmark

# %% [markdown]
# ### The learner: soft actor-critic
#
# SAC maximises the return *plus* the entropy of the policy at every state
# visited,
#
# $$
# J(\pi) = \mathbb E_\pi\Big[\sum_t \gamma^t \big(r(s_t, a_t)
#   + \alpha\, \mathcal H(\pi(\cdot \mid s_t))\big)\Big],
# $$
#
# where the temperature $\alpha > 0$ sets the price of certainty. The entropy
# bonus keeps the policy exploring until the critic is sure of something, and
# makes the algorithm much less sensitive to its settings than its
# deterministic cousins. Four pieces implement it.
#
# **A squashed Gaussian actor.** The network outputs a mean $\mu_\theta(s)$
# and a log standard deviation $\log\sigma_\theta(s)$; we draw
# $u = \mu + \sigma\epsilon$ with $\epsilon \sim \mathcal N(0, I)$ and act
# with $a = c\,\tanh(u)$, where $c$ is half the action range (2 for the
# pendulum's torque). Writing the sample as a deterministic function of
# $\epsilon$ (the reparameterisation trick) lets gradients flow from the
# critic into the actor. The squashing changes the density: by the change of
# variables formula,
#
# $$
# \log \pi(a \mid s) = \log \mathcal N(u;\, \mu, \sigma^2)
#   - \sum_{i} \log\big(c_i\,(1 - \tanh^2 u_i)\big).
# $$
#
# Forgetting the correction makes the policy look far more random near the
# action bounds than it is, and the entropy bonus then pushes it there. For
# numerical safety, where $\tanh$ saturates, the code uses the identity
# $\log(1 - \tanh^2 u) = 2(\log 2 - u - \operatorname{softplus}(-2u))$. The
# tests compare it against a finite-difference version of the same formula.

# %%
show_source(sac.squashed_log_prob)

# %% [markdown]
# **Twin critics and a soft target.** Two networks $Q_{\phi_1}, Q_{\phi_2}$
# regress onto the same target. With $a' \sim \pi(\cdot \mid s')$,
#
# $$
# y = r + \gamma\,(1 - d)\Big(\min_{j=1,2} Q_{\bar\phi_j}(s', a')
#   - \alpha \log \pi(a' \mid s')\Big),
# $$
#
# where $d$ marks a true termination (a time limit is not one, so the
# pendulum always bootstraps) and $\bar\phi_j$ are *target* copies that
# trail the critics by Polyak averaging,
# $\bar\phi \leftarrow (1-\tau)\bar\phi + \tau\phi$ with $\tau = 0.005$.
# Taking the smaller of two estimates counters the upward bias that
# maximising over a noisy critic creates (clipped double Q).
#
# **The actor** minimises $\mathbb E_{s}\big[\alpha \log\pi(a \mid s) -
# \min_j Q_{\phi_j}(s, a)\big]$ with $a$ drawn by the reparameterised
# sampler.
#
# **The temperature** is learned rather than tuned
# (in the follow-up report, *Soft Actor-Critic Algorithms and Applications*
# {cite}`haarnoja2018sacapps`): minimising
# $-\log\alpha\,\big(\log\pi(a \mid s) + \bar{\mathcal H}\big)$ raises
# $\alpha$ when the policy's entropy drops below the target
# $\bar{\mathcal H} = -\dim\mathcal A$ and lowers it otherwise.

# %%
show_source(sac.soft_q_target)

# %%
show_source(sac.SACAgent.update)

# %% [markdown]
# `SACAgent.update` takes any batch of transitions. It does not know, or
# care, whether they came from the environment or from a model: that is the
# seam MBPO uses.
#
# ### When can model data be trusted? The argument for short branches
#
# Write $\eta[\pi]$ for the true expected return of a policy and
# $\hat\eta[\pi]$ for its return as predicted by the model. A policy that
# looks good in the model is good in reality only if the two are close, and
# MBPO's analysis asks how close they must be. Two errors enter. The
# *model error* $\epsilon_m$ is how far (in total variation) the model's
# next-state distribution is from the true one, on the states and actions
# the data came from. The *policy shift* $\epsilon_\pi$ is how far the new
# policy is from the one that collected the data.
#
# If the policy is evaluated by running the model from the start state for
# the whole task, errors compound over the entire horizon, and the gap
# between $\eta$ and $\hat\eta$ can only be bounded by a term that grows like
# $\frac{\gamma}{(1-\gamma)^2}(\epsilon_m + 2\epsilon_\pi)$. With
# $\gamma = 0.99$ the factor $1/(1-\gamma)^2$ is $10^4$: even a model that is
# wrong one time in a thousand gives no guarantee at all. Read literally,
# this says real data, however old, always beats model data.
#
# *Branched* rollouts change the bookkeeping. Start from states the data
# policy actually visited and run the model for only $k$ steps. The states
# at the branch points are real, so they carry no model error; only the $k$
# imagined steps do. The bound of {cite}`janner2019mbpo` (their theorem 4.3)
# then has, up to the common factor $2 r_{\max}$, three penalty terms:
#
# $$
# \eta[\pi] \;\ge\; \eta^{\text{branch}}[\pi] - 2r_{\max}\Big[
#   \underbrace{\frac{\gamma^{k+1}\epsilon_\pi}{(1-\gamma)^2}
#   + \frac{\gamma^{k}\epsilon_\pi}{1-\gamma}}_{\text{shrink as } k \text{ grows}}
#   + \underbrace{\frac{k\,\epsilon_{m'}}{1-\gamma}}_{\text{grows with } k}
# \Big].
# $$
#
# The first two charge for the *old* part of the data: beyond the branch the
# states are still distributed as under the old policy, and the longer the
# branch the more of each trajectory is generated by the new one. The last
# charges $\epsilon_{m'}$, the model error *under the new policy*, once per
# imagined step. So long branches pay model error, short branches pay policy
# shift. The second observation of the paper makes the trade worth taking:
# measured on real training runs, $\epsilon_{m'}$ grows only slowly as the
# policy moves away from the data, because a network generalises a little
# beyond its training distribution. When $\epsilon_{m'}$ is small the best
# $k$ is positive but short, which is exactly the practical recipe. The bound
# is loose (it is a worst case), and what matters is its *shape*: error that
# grows linearly in $k$ against benefits that saturate.
#
# ### MBPO
#
# ```{prf:algorithm} MBPO (as implemented here)
# :label: alg-mbpo
# 1. Act randomly for the first 250 real steps; store every transition in the
#    real buffer $\mathcal D_{\text{env}}$.
# 2. Every 250 real steps, refit the ensemble of $E = 5$ Gaussian networks to
#    all of $\mathcal D_{\text{env}}$ (inputs $(s, a)$, targets $(s' - s, r)$).
# 3. At every real step, act with the current policy and store the result.
# 4. Every 10 real steps, draw 400 states from $\mathcal D_{\text{env}}$ and
#    roll the policy $k$ steps in the model from each, choosing a random
#    ensemble member for every transition; store the results in the model
#    buffer $\mathcal D_{\text{model}}$ (which keeps the last 1,000 real
#    steps' worth).
# 5. At every real step, take $G$ SAC updates, each on a batch with 5 % real
#    and 95 % model transitions.
# ```
#
# The model learns the reward as well as the dynamics, as in the paper,
# although the package's `pendulum_reward` (the known reward, chapter 4)
# could be passed in instead (`mbpo.train(..., reward_fn=pendulum_reward)`).
# Drawing a random member at every step keeps the members' individual biases
# from lining up into one consistent, confidently wrong trajectory. The
# ensemble is a single module whose $E$ members are evaluated together with
# batched matrix products, which makes it cheap enough to refit often.

# %%
show_source(mbpo.branched_rollout)

# %%
show_source(mbpo.mixed_batch)

# %% [markdown]
# The update-to-data ratio $G$ is the lever. Plain SAC takes one update per
# real step; taking many more on the same small buffer makes the critic
# overfit it. Model data are fresh, on-policy for the current actor and
# plentiful, so MBPO can afford $G \gg 1$. The paper uses $G = 20$ to $40$;
# our CPU budget allows $G = 5$, with small networks (two hidden layers of
# 64 units for the actor and critics).
#
# ### Experiment: MBPO against SAC alone
#
# Both use the identical SAC learner (same networks, learning rate
# $3\cdot 10^{-4}$, batch 256, 250 random steps at the start). SAC gets one
# update per real step, MBPO five, on mixed batches, with $k = 5$. At
# regular intervals (every 500 steps in the benchmark, every 250 in the live
# run below) we run the deterministic policy (the squashed mean) for five
# 200-step episodes with fixed start states. A pendulum swung up and balanced
# from a random start scores around $-150$; a policy that never swings it up
# scores below $-1{,}000$. The live run below uses one seed; the full
# benchmark three.

# %%
env = gym.make("Pendulum-v1")
learner = sac.SACConfig(hidden=64, lr=3e-4, eval_every=250, eval_episodes=5)
live = {"mbpo_steps": budget(fast=500, full=3000), "sac_steps": budget(fast=500,
                                                                       full=5000)}
t0 = time.time()
mbpo_run = mbpo.train(env, mbpo.MBPOConfig(
    total_steps=live["mbpo_steps"], rollout_length=5, updates_per_step=5,
    eval_every=250, seed=0, sac=learner))
sac_run = sac.train(env, replace(learner, total_steps=live["sac_steps"]))
print(f"trained MBPO and SAC in {time.time() - t0:.0f} s")
print("MBPO returns:", np.round(mbpo_run.eval_returns).astype(int).tolist())
print("SAC returns: ", np.round(sac_run.eval_returns).astype(int).tolist())

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
axes[0].plot(mbpo_run.eval_steps, mbpo_run.eval_returns, "o-", label="MBPO, k=5, G=5")
axes[0].plot(sac_run.eval_steps, sac_run.eval_returns, "s-", label="SAC alone, G=1")
axes[0].set_title("this run (one seed)")
if full_mbpo is not None:
    for name, label, marker in (("mbpo_k5", "MBPO, k=5, G=5", "o-"),
                                ("sac", "SAC alone, G=1", "s-")):
        c = full_mbpo["extra"]["curves"][name]
        r = np.array(c["returns"])
        axes[1].plot(c["steps"], r.mean(0), marker, label=label)
        axes[1].fill_between(c["steps"], r.min(0), r.max(0), alpha=0.2)
    axes[1].set_title(f"full benchmark ({len(r)} seeds: mean, min-max)")
for ax in axes:
    ax.axhline(-250, color="gray", ls=":", lw=1)
    ax.set_xlabel("real environment steps")
    ax.legend(fontsize=8)
axes[0].set_ylabel("evaluation return")
plt.show()

# %% [markdown]
# The right panel is the committed full-budget result (if the benchmark has
# been run): the mean over three seeds with the range shaded; the dotted line
# at $-250$ marks "swung up and held". In the benchmark MBPO clears that
# line by its last evaluation, at 3,000 real steps, while SAC, with exactly
# the same learner but one update per step on real data only, is still well
# below it at 5,000 steps. The benchmark's claims, as measured:

# %%
if full_mbpo is not None:
    for t in full_mbpo["targets"]:
        mark = "met" if t["met"] else "MISSED"
        print(f"{t['description']}: {t['measured']:.1f} "
              f"({t['op']} {t['threshold']}: {mark})")

# %% [markdown]
# Part of the gain is simply the larger number of gradient updates; the point
# of the model is that those updates do not overfit a small buffer. The first
# exercise asks you to separate the two effects.
#
# ### Rollout length: watching the model drift
#
# The bound predicts that the cost of a branch grows with its length,
# through the model error accumulated along it. We can watch that happen,
# because for the pendulum we know the true dynamics (`pendulum_step`,
# chapter 4). From 500 states of the real buffer we roll the trained model
# with the trained policy for 20 steps, replay the same actions through the
# true dynamics, and measure how far apart the two states are after each
# step.

# %%
show_source(mbpo.rollout_error)

# %%
gen = torch.Generator().manual_seed(0)
starts = torch.as_tensor(mbpo_run.real_buffer.sample(500, np.random.default_rng(0)).obs)
drift = mbpo.rollout_error(mbpo_run.model, lambda o: mbpo_run.agent.actor(o, gen)[0],
                           starts, 20, pendulum_step, gen).numpy()
print("model-vs-truth distance after 1, 5, 10, 20 steps:",
      ", ".join(f"{d:.4f}" for d in drift[[0, 4, 9, 19]]))

# %% [markdown]
# Use the slider to choose $k$. The left panel shows how far a branch of that
# length drifts from the truth (this run's model, and the full benchmark's
# final models if available); the shaded part is the error MBPO's learner
# actually sees. The right panel shows, from the full benchmark, the learning
# curves of MBPO with $k = 1$, $5$ and $20$ over the first 1,500 real steps,
# the chosen one in bold (the two seeds the ablation ran, for every $k$).

# %%
ablation = {}
if full_mbpo is not None:  # the ablation's seeds only, for k = 5 as well
    n_seeds = full_mbpo["config"]["ablation_seeds"]
    ablation = {int(n.split("k")[1]): {"steps": c["steps"],
                                       "returns": c["returns"][:n_seeds]}
                for n, c in full_mbpo["extra"]["curves"].items()
                if n.startswith("mbpo_k")}


def draw_k(k=5):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    h = np.arange(1, len(drift) + 1)
    axes[0].plot(h, drift, "k-", label="this run's model")
    if full_mbpo is not None:
        for name, errs in full_mbpo["extra"]["drift"].items():
            axes[0].plot(h, np.mean(errs, 0), "--", lw=1,
                         label=f"benchmark, k={name.split('k')[1]} runs")
    axes[0].axvspan(0.5, k + 0.5, color="C1", alpha=0.15)
    axes[0].set_xlabel("model steps along the branch")
    axes[0].set_ylabel("distance to true state")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=7)
    axes[0].set_title(f"error the learner sees with k = {k}")
    for kk, c in sorted(ablation.items()):
        steps = np.array(c["steps"])
        keep = steps <= 1500
        mean = np.array(c["returns"])[:, keep].mean(0)
        axes[1].plot(steps[keep], mean, "o-", lw=3 if kk == k else 1,
                     alpha=1 if kk == k else 0.5, label=f"k = {kk}")
    if ablation:
        axes[1].legend(fontsize=8)
    else:
        axes[1].text(0.5, 0.5, "run benchmarks/ch07_mbpo.py", ha="center",
                     transform=axes[1].transAxes)
    axes[1].set_xlabel("real environment steps")
    axes[1].set_ylabel("evaluation return")
    axes[1].set_title("MBPO by rollout length (full benchmark)")


live_figure(draw_k, caption="Rollout length k = 5.",
            k=widgets.IntSlider(value=5, min=1, max=20, description="k"))

# %% [markdown]
# Three things are visible. First, the drift grows steadily with the number
# of model steps: each imagined step starts from a slightly wrong state and
# the errors pile up, as the $k\,\epsilon_{m'}$ term of the bound says
# (the benchmark's `model_error_compounds` target compares the distance after
# 20 steps with the distance after one). Models fitted on more data drift
# less: in the benchmark the $k = 5$ runs went on to 3,000 real steps, the
# $k = 1$ and $k = 20$ runs stopped at 1,500.
#
# Second, $k = 1$ learned slowest. One model step from a real state already
# evaluates *new actions* at states the agent has visited, which real data
# alone never provides, but it adds no new states.
#
# Third, and against the paper's warning, $k = 20$ did *not* do worse than
# $k = 5$ on the pendulum in our benchmark; over the first 1,500 steps it did
# better (see the `k5_vs_k20_return` target, which we set from the paper's
# claim and which our measurement misses). This does not contradict the
# argument; it is the argument applied to an easy model. The pendulum is
# smooth, deterministic and three-dimensional, a five-member ensemble fits it
# well after a few hundred transitions, and even after 20 steps the drift
# stays a fraction of the state's scale. With $\epsilon_{m'}$ that small the
# $k\,\epsilon_{m'}$ penalty is cheap and the longer branches' extra reach
# wins. On the paper's MuJoCo tasks (contacts, tens of dimensions) the
# model error is much larger; the authors used $k = 1$ on some of them and,
# on others, raised $k$ slowly from 1 as training went on and the model
# improved.
#
# Treat the ablation as a direction, not a ranking. Each evaluation episode
# either swings the pendulum up or does not, two outcomes far apart in
# return, and at 1,500 real steps the runs are half-way through learning the
# swing-up, so a mean of five episodes mostly counts how many happened to
# succeed. With two seeds per setting, one lucky or unlucky seed decides the
# sign (the committed runs show it: one $k = 5$ seed had swung up by then,
# the other had not). The last exercise below asks how many seeds a fair
# ranking needs.
#
# ```{exercise}
# :label: ex-ch07-mbpo-1
# Separate the model from the update ratio. Train plain SAC with
# `updates_per_step=5` (the same $G$ as MBPO) for the same number of real
# steps, and compare its learning curve with MBPO's and with SAC at $G = 1$.
# Then try MBPO with `real_ratio=1.0`, which ignores the model buffer
# completely. Which part of MBPO's advantage comes from the extra updates,
# and which from the model data?
# ```
#
# ```{exercise}
# :label: ex-ch07-mbpo-2
# Break the model on purpose. Run MBPO with `model_train_steps=0` (the
# ensemble keeps its random initial weights) and, separately, with a trained
# model but the known reward `reward_fn=pendulum_reward`. Before running,
# predict the effect of each on the learning curve. Then compute
# `rollout_error` for the untrained model and use the bound above to explain
# why $k = 1$ still does less damage than $k = 20$ with a useless model.
# ```
#
# ```{exercise}
# :label: ex-ch07-mbpo-3
# Make the rollout-length comparison trustworthy. Rerun $k \in \{1, 5, 20\}$
# with `model_beta=0.5` (the loss our PETS uses, §7.2) and with the default
# 0, on
# eight seeds each, and replace the mean return at 1,500 steps by the share
# of evaluation episodes that swing up. How many seeds does it take before
# the ranking of the three settings stops changing when you add more?
# ```

# %% [markdown]
# ## 7.4 Dreamer: learning behaviour in imagination
#
# Scheme v2.0 of chapter 4 trained a policy by differentiating the model's
# predicted return through a fixed number of imagined steps. It has a blind
# spot that no amount of data removes: everything after the last imagined
# step counts as zero. With a horizon of 25 steps on the pendulum that is
# barely enough to see the reward of a swing-up; with 5 steps the policy can
# only see that pushing towards the top costs torque and earns almost nothing
# yet. Making the horizon longer is not a free fix either. Every extra step
# multiplies in one more Jacobian of the model, so gradients grow or vanish,
# and every extra step lets model errors compound (section 5.6).
#
# Dreamer {cite}`hafner2020dreamer` closes the gap with a critic. It still
# imagines short rollouts inside a learned model and still backpropagates
# through them into the actor, but it ends every rollout with a learned value
# $v(s_H)$ that stands in for everything beyond the horizon. The critic
# itself is trained on the same imagined rollouts. So the model supplies
# accurate *short-range* gradients, and the critic supplies the *long-range*
# view that model rollouts cannot afford: the two halves of the old
# actor-critic idea, with a learned model in the middle.
#
# **What we keep and what we shrink.** The real Dreamer (and PlaNet before
# it {cite}`hafner2019planet`) learns its world model from pixels: a
# *recurrent state-space model* (RSSM) whose latent state has a deterministic
# recurrent part and a stochastic part, trained to reconstruct images and
# predict rewards. Section 5.7 learned a (deterministic) latent model of a
# pendulum seen in pixels, and showed why one plans in such a code rather
# than in pixel space. Here we keep the part of Dreamer that is new, learning
# behaviour in imagination, and use the pendulum's state directly with
# chapter 4's learned MLP dynamics model and the *known* reward function, as
# v2.0 did. That makes the comparison with v2.0 fair (same model, same
# reward, same data), and a whole run takes about half a minute on one CPU
# core instead of hours on a GPU.
#
# ### The maths
#
# From a batch of states $s_0$ drawn from the replay data, the actor
# $\pi_\theta$ and the frozen model $\hat f$ produce imagined trajectories
#
# $$
# a_t = \pi_\theta(s_t, \epsilon_t), \qquad r_t = r(s_t, a_t), \qquad
# s_{t+1} = \hat f(s_t, a_t), \qquad t = 0, \dots, H-1 .
# $$
#
# The actor is a *tanh-Gaussian*: $a = a_{\max}\tanh(\mu_\theta(s) +
# \sigma_\theta(s)\,\epsilon)$ with $\epsilon \sim \mathcal N(0, I)$. Written
# this way (the reparameterisation trick) every action, and hence every
# imagined state and reward, is a differentiable function of $\theta$.
#
# How good was step $t$ of an imagined trajectory? Dreamer mixes $n$-step
# returns of every length into a $\lambda$-return {cite}`sutton2018rl`,
# which has a short recursive form: with $V^\lambda_H = v(s_H)$,
#
# $$
# V^\lambda_t = r_t + \gamma\Big[(1-\lambda)\, v(s_{t+1})
#               + \lambda\, V^\lambda_{t+1}\Big].
# $$
#
# Two ends are worth checking by hand. With $\lambda = 0$ it is the one-step
# temporal-difference target $r_t + \gamma v(s_{t+1})$: all trust in the
# critic. With $\lambda = 1$ it is the discounted sum of the remaining
# imagined rewards plus the critic once, at the end,
# $\sum_{k=t}^{H-1}\gamma^{k-t}r_k + \gamma^{H-t} v(s_H)$: all trust in the
# model. In between, $\lambda$ trades the model's errors against the
# critic's (the same trade as in generalised advantage estimation
# {cite}`schulman2016gae`). Without a critic ($v \equiv 0$) every
# $V^\lambda_0$ collapses to v2.0's truncated return.
#
# The two learners read the same numbers in different ways.
#
# - The **critic** $v_\psi$ regresses them as fixed targets,
#   $\mathcal L(\psi) = \tfrac12\sum_t \big(v_\psi(s_t) -
#   \operatorname{sg}[V^\lambda_t]\big)^2$, where $\operatorname{sg}$ stops
#   the gradient. The values inside $V^\lambda$ come from a *target critic*
#   $v_{\bar\psi}$ whose weights trail the critic's,
#   $\bar\psi \leftarrow (1-\tau)\bar\psi + \tau\psi$: a target that moves
#   with every update of what it is meant to train chases its own tail
#   (the device is DQN's and DDPG's {cite}`lillicrap2016ddpg`; Dreamer v2
#   {cite}`hafner2021dreamerv2` uses it too).
# - The **actor** maximises them *through the model*,
#   $\mathcal L(\theta) = -\tfrac1H\sum_t V^\lambda_t - \eta\,\mathcal
#   H[\pi_\theta]$. The gradient of $V^\lambda_t$ with respect to $\theta$
#   flows back through every reward, every model step and the critic's value
#   of every imagined state, to every action that led there. This is
#   Dreamer v1's *analytic* (or pathwise) gradient, the same one PILCO
#   {cite}`deisenroth2011pilco` used with a Gaussian-process model; the
#   model's and the critic's weights are held fixed in this step. The small
#   entropy bonus $\eta\,\mathcal H$ (of the Gaussian before the squashing, a
#   closed-form stand-in) keeps the actor from collapsing to a deterministic
#   policy too early {cite}`haarnoja2018sac`.
#
# Around this core the agent runs the usual loop of chapter 4: collect an
# episode in the real environment with the actor's mean action plus Gaussian
# exploration noise, add it to the replay buffer, refit the model, then take
# a batch of actor and critic updates in imagination.
#
# The $\lambda$-return, as the package computes it, and a check against the
# hand-computed values above:

# %%
from mbrl_lessons.algorithms.dreamer import (
    DreamerConfig,
    imagination_losses,
    lambda_returns,
)
from mbrl_lessons.algorithms.dreamer import train as train_dreamer
from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step

show_source(lambda_returns)

# %%
rew = torch.tensor([[1.0, 2.0]])       # r_0, r_1
val = torch.tensor([[0.5, 1.0, 3.0]])  # v(s_0), v(s_1), v(s_2)
for lam in (0.0, 0.5, 1.0):
    print(f"lambda = {lam}: V = {lambda_returns(rew, val, 0.9, lam).numpy().round(3)}")
print("one-step TD targets r_t + γ v(s_t+1):", (rew + 0.9 * val[:, 1:]).numpy())
print("λ = 1 by hand: V_0 = 1 + 0.9·2 + 0.81·3 =", 1 + 0.9 * 2 + 0.81 * 3)

# %% [markdown]
# Both losses come from one batch of imagined rollouts. Note where the
# gradient is stopped: the critic sees detached states and detached targets,
# while the actor's loss keeps the whole graph through the model.

# %%
show_source(imagination_losses)

# %% [markdown]
# ### Experiment: does the critic buy a shorter horizon?
#
# We train three agents on Pendulum-v1 (200-step episodes, one random episode
# first): the Dreamer-style agent with horizon $H = 15$ and a critic, and two
# agents with the short horizon $H = 5$, one with the critic's bootstrap and
# one without it. The last is v2.0 with a five-step view. Each point is the
# return of one collected episode (with exploration noise). The FAST build
# uses fewer episodes and updates than the full run, usually too few to get
# past the random level: there the cell only shows the mechanics, and the
# committed curves below show the result. The benchmark
# (`benchmarks/ch07_dreamer.py`) repeats all of it with three seeds and adds
# $H = 15$ without a critic.

# %%
n_episodes = budget(fast=6, full=15)
updates = budget(fast=120, full=300)
live = {}
for h, critic in ((15, True), (5, True), (5, False)):
    cfg = DreamerConfig(n_episodes=n_episodes, updates_per_episode=updates,
                        horizon=h, use_critic=critic)
    live[(h, critic)] = train_dreamer(cfg, seed=0)
    print(f"H = {h:2d}, critic {'on ' if critic else 'off'}: returns "
          f"{live[(h, critic)].returns.round().astype(int).tolist()}, "
          f"noise-free final {live[(h, critic)].final_return:.0f} "
          f"({live[(h, critic)].seconds:.0f} s)")

fig, ax = plt.subplots(figsize=(7, 3.6))
for (h, critic), res in live.items():
    ax.plot(res.steps, res.returns, "o-", ms=3,
            label=f"H = {h}, {'critic' if critic else 'no critic'}")
ax.axhline(-250, color="grey", ls=":", lw=1)
ax.set_xlabel("real environment steps")
ax.set_ylabel("episode return")
ax.set_title("This run (one seed)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The full benchmark's curves, the mean over three seeds with the band between
# the worst and the best seed, next to chapter 4's v2.0 (horizon 25, no
# critic; its curves come from chapter 4's committed benchmark, same seeds):

# %%
full = load_results("ch07_dreamer")
if full is None:
    print("results/ch07_dreamer.json not found: run benchmarks/ch07_dreamer.py")
else:
    ex = full["extra"]
    steps = np.array(ex["steps"])
    fig, ax = plt.subplots(figsize=(8, 4))
    for name, style in (("H15_critic", "C0-"), ("H5_critic", "C1-"),
                        ("H15_no_critic", "C2--"), ("H5_no_critic", "C3--")):
        c = np.array(ex["curves"][name])
        ax.plot(steps, c.mean(0), style, label=name.replace("_", ", ")
                .replace("no, critic", "no critic"))
        ax.fill_between(steps, c.min(0), c.max(0), color=style[:2], alpha=0.12)
    if ex["v2_0_curves_from_ch04"]:
        v2 = np.array(ex["v2_0_curves_from_ch04"])
        ax.plot(200 * np.arange(1, v2.shape[1] + 1), v2.mean(0), "k:",
                label="ch04 v2.0 (H = 25, no critic)")
    ax.axhline(-250, color="grey", ls=":", lw=1)
    ax.set_xlabel("real environment steps")
    ax.set_ylabel("episode return (mean over seeds)")
    ax.legend(fontsize=8, loc="lower right")
    plt.show()
    display(Markdown(targets_markdown(full)))

# %% [markdown]
# Read the figure from left to right. All agents start from the same random
# episode, and for the first several episodes their returns stay near the
# random level while the model and the critic learn something useful. Then
# the two agents with a critic learn the swing-up, and their mean return
# rises to the level of chapter 4's model-predictive control and stays there;
# the table above says how many real steps that took at the full budget.
# The two critic-free agents do not get there within the same budget.
#
# The comparison that matters most is at $H = 5$. The
# critic-free agent optimises a five-step window (a quarter of a second of
# pendulum time). The pendulum's reward is dense, but over five steps from
# the bottom it only sees the costs of a swing (torque, speed, an angle that
# barely changes) and none of its payoff, which comes seconds later near the
# top; so it never learns one and can at best learn to hold the pendulum
# when it already is near the top. The same horizon with the
# critic's bootstrap learns the swing-up about as well as $H = 15$ with the
# critic, because $v(s_5)$ already knows which states with which momentum
# lead to the top. Even fifteen imagined steps without a critic are not
# enough to learn the swing-up reliably here. The learned value turns a
# myopic horizon into a sufficient one, and makes the horizon a knob for the
# model's accuracy rather than for the task's time scale.
#
# Chapter 4's v2.0 is a useful contrast. It unrolls 25 steps and refits its
# model from scratch each time, and it often finds a swing-up within the
# first few episodes. But its returns keep jumping between success and
# failure from one episode to the next, because nothing beyond its 25 steps
# enters its objective, whereas the agents with a critic stay at the top
# once they have found it, with the odd relapse.
#
# An earlier version of this benchmark lost that early race by a wide
# margin, and the reason was in the bookkeeping, not in the method: our
# agent took 100 gradient steps per real episode, at a third of v2.0's
# learning rate, while v2.0 took 300, so it saw about a tenth as many
# imagined transitions. Both now take 300 gradient steps per episode, and
# the table above compares them at that equal number of steps (our agent
# still uses a smaller batch, learning rate and horizon, so it imagines about
# a third as many transitions as v2.0). A comparison of methods is only fair
# at comparable optimisation budgets; the exercise below asks you to measure
# how much the budget matters.
#
# The slider below redraws the committed curves for any horizon, with and
# without the critic (nothing is retrained).

# %%
def draw_curves(horizon=5, critic=True):
    fig, ax = plt.subplots(figsize=(7, 3.6))
    if full is None:
        ax.text(0.5, 0.5, "run benchmarks/ch07_dreamer.py first", ha="center")
        return
    ex = full["extra"]
    name = f"H{horizon}_{'critic' if critic else 'no_critic'}"
    for k, returns in enumerate(ex["curves"][name]):
        ax.plot(ex["steps"], returns, "o-", ms=3, alpha=0.7, label=f"seed {k}")
    ax.plot(ex["steps"], np.mean(ex["curves"][name], 0), "k-", lw=2, label="mean")
    ax.axhline(-250, color="grey", ls=":", lw=1)
    ax.set_ylim(-1800, 0)
    ax.set_xlabel("real environment steps")
    ax.set_ylabel("episode return")
    ax.set_title(f"H = {horizon}, {'with' if critic else 'without'} the critic; "
                 f"noise-free final return {ex['finals'][name]:.0f}")
    ax.legend(fontsize=8, loc="lower right")


live_figure(draw_curves, caption="H = 5 with the critic.",
            horizon=widgets.SelectionSlider(options=[5, 15], value=5,
                                            description="horizon H"),
            critic=widgets.Checkbox(value=True, description="critic bootstrap"))

# %% [markdown]
# ### What the agent imagines
#
# The actor never sees the real pendulum while it learns; it sees the model.
# How far can it trust it? From a few real states we roll the trained
# actor's mean action through the learned model and, with the same actions,
# through the true pendulum dynamics (chapter 4's `pendulum_step`, which
# matches gymnasium step for step), and compare the angles over 50 steps.
# The grey band marks the imagination horizon the agent trained with.

# %%
agent = live[(15, True)]
th0 = torch.tensor([np.pi, 2.0, -1.0, 0.3])
s_model = s_true = torch.stack([th0.cos(), th0.sin(), torch.zeros(4)], -1)
ang_model, ang_true, cost_model, cost_true = [], [], [], []
with torch.no_grad():
    for _ in range(50):
        a = agent.actor.mode(s_true)        # the actions the agent would take
        a_im = agent.actor.mode(s_model)    # the actions it imagines taking
        cost_true.append(pendulum_reward(s_true, a))
        cost_model.append(pendulum_reward(s_model, a_im))
        s_true = pendulum_step(s_true, a)
        s_model = agent.model.predict(s_model, a_im)
        ang_true.append(torch.atan2(s_true[:, 1], s_true[:, 0]))
        ang_model.append(torch.atan2(s_model[:, 1], s_model[:, 0]))
# unwrap: a full turn is a continuous curve, not a jump from 180° to -180°
ang_true = np.unwrap(torch.stack(ang_true, 1).numpy(), axis=1)
ang_model = np.unwrap(torch.stack(ang_model, 1).numpy(), axis=1)
fig, axes = plt.subplots(1, 4, figsize=(13, 3), sharey=True)
for k, ax in enumerate(axes):
    ax.axvspan(0, 15, color="grey", alpha=0.15)
    ax.plot(np.degrees(ang_true[k]), label="real")
    ax.plot(np.degrees(ang_model[k]), "--", label="imagined")
    ax.set_title(f"start θ = {np.degrees(float(th0[k])):.0f}°", fontsize=9)
    ax.set_xlabel("step")
axes[0].set_ylabel("angle θ (degrees, unwrapped)")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()
print(f"summed reward over 50 steps, real vs imagined: "
      f"{torch.stack(cost_true).sum(0).numpy().round()} vs "
      f"{torch.stack(cost_model).sum(0).numpy().round()}")

# %% [markdown]
# Within the shaded horizon the imagined and real angles usually stay close:
# the model has been trained on exactly the states this actor visits. Further
# out they can drift apart, most of all around the moment of a swing-up,
# where a small error in velocity decides whether the pendulum makes it over
# the top or falls back for another swing. This is the reason to keep $H$
# short and let the critic, which is trained on many short pieces, carry the
# long view.
#
# ### What we left out
#
# Dreamer's world model is a large part of the paper: the RSSM, its
# variational training objective, the learned reward and (in later
# versions) continuation predictors, and, in Dreamer v2 and v3
# {cite}`hafner2021dreamerv2,hafner2023dreamerv3`, discrete latents,
# policy-gradient (REINFORCE) actor updates for discrete actions, and return
# normalisation. Our state-based model is deterministic, so the imagined
# rollouts are stochastic only through the actor's sampling; with a
# stochastic model, the same reparameterisation trick lets gradients pass
# through sampled next states too.
#
# ```{exercise}
# :label: ex-ch07-dreamer-1
# Train the $H = 5$ agent with the critic for $\lambda \in \{0, 0.5, 0.95,
# 1\}$ (`DreamerConfig(lam=...)`). Predict first: which end leans on the
# model, which on the critic? Plot the learning curves and explain what you
# see at $\lambda = 0$, where the actor's gradient passes through one model
# step only before reaching the critic.
# ```
#
# ```{exercise}
# :label: ex-ch07-dreamer-budget
# Rerun the Dreamer-style agent ($H = 15$, critic) with
# `updates_per_episode` of 50, 100, 200 and 300 on three seeds, and plot the
# mean return of episodes 6 to 10 against the number of updates. Where does
# it overtake chapter 4's v2.0? Then hold the updates at 100 and raise
# `actor_lr` threefold instead: is a larger step worth as much as more
# steps?
# ```
#
# ```{exercise}
# :label: ex-ch07-dreamer-2
# Turn the analytic actor gradient into a likelihood-ratio (REINFORCE)
# gradient: detach the imagined actions before they enter the model, and
# minimise
# $-\sum_t \log\pi_\theta(a_t \mid s_t)\,\operatorname{sg}[V^\lambda_t - v(s_t)]$
# instead. Compare the learning curves at equal numbers of
# updates, and explain why Dreamer v1 preferred the analytic gradient for a
# smooth task such as the pendulum (hint: what does each estimator know about
# how the return changes with the action?).
# ```

# %% [markdown]
# ## 7.5 MuZero: planning with a value-equivalent model
#
# Chapter 6 searched a game tree with MCTS because the rules of tic-tac-toe
# were handed to us. AlphaZero {cite}`silver2018alphazero` keeps that
# arrangement: a perfect simulator inside the search, and a network that
# supplies a prior over moves and a value for the leaves. MuZero
# {cite}`schrittwieser2020muzero` removes the simulator. The tree is grown
# inside a model the agent has learned, and, unlike every model of chapter 5,
# this one is never asked to predict the next observation.
#
# Why give that up? A planner only ever reads three things from a model: the
# rewards along a path, an estimate of what the path is worth at its end, and
# (for a tree search) which moves deserve attention. If a model gets those
# right for every sequence of actions, a planner cannot tell it apart from
# the real environment, however little its internal state resembles the
# world. Such a model is called *value equivalent*: equivalent to the real
# environment as far as rewards and values go
# {cite}`grimm2020valueequivalence`. Predicting pixels, or here which maze
# cell comes next, is more than the planner needs, and spends model capacity
# on detail that may not matter for the decision.
#
# ### Three functions
#
# MuZero's model is three networks with shared parameters $\theta$:
#
# $$
# s^0 = h_\theta(o_t), \qquad
# (r^{k}, s^{k}) = g_\theta(s^{k-1}, a^{k}), \qquad
# (\mathbf p^{k}, v^{k}) = f_\theta(s^{k}).
# $$
#
# The *representation* $h$ turns the current observation into a hidden state
# $s^0$; the *dynamics* $g$ takes a hidden state and an action to a predicted
# reward and the next hidden state; the *prediction* $f$ reads a policy
# prior $\mathbf p$ and a value $v$ off any hidden state. The superscript $k$
# counts imagined steps from the real time $t$. Nothing ties $s^k$ to the
# observation $o_{t+k}$: the hidden state is whatever helps $g$ and $f$ get
# rewards, values and policies right.
#
# ### Search in the hidden states
#
# The tree's root holds $s^0$. A simulation walks down the tree choosing, at
# a node with visit count $N$, the child maximising the pUCT score
#
# $$
# \bar Q(s, a) + P(s, a)\,\frac{\sqrt{N}}{1 + N(s, a)}
# \Big(c_1 + \log\frac{N + c_2 + 1}{c_2}\Big),
# \qquad c_1 = 1.25,\ c_2 = 19652,
# $$
#
# the UCB rule of chapter 6 with the exploration bonus shared out by the
# prior $P$. When the walk leaves the tree, one call of $g$ and $f$ creates
# the new leaf: a predicted reward, a hidden state, a prior for its children
# and a value $v$. There is no random rollout. The value is backed up along
# the path as a discounted return, $G \leftarrow r + \gamma G$, and each
# node keeps the mean of the returns that passed through it, so that
# $Q(s, a) = r(s, a) + \gamma\,\overline{G}(s')$.
#
# Rewards in a general task have no fixed scale, while the bonus term does.
# MuZero therefore rescales Q values with the smallest and largest seen so
# far in the current search, $\bar Q = (Q - Q_{\min}) / (Q_{\max} - Q_{\min})$.
# One change from the published pseudocode matters at our small budgets:
# there an unvisited child scores $\bar Q = 0$, the very bottom of the
# range, and with a few dozen simulations the search then stays with the
# first child it happened to try. We score an unvisited child with the mean
# value of its parent instead, as DeepMind's later `mctx` library does.
#
# After the simulations, the root's visit counts $N(a)$ form the *search
# policy* $\pi(a) \propto N(a)^{1/T}$. While collecting data, the agent mixes
# Dirichlet noise into the root prior (so that even a move the prior
# dismisses gets tried) and samples its move from $\pi$ with a temperature
# $T$ that falls from 1 to $\frac14$ during training. To evaluate, it plays the
# most visited move without noise.

# %%
from mbrl_lessons.core.results import load_results
from mbrl_lessons.dyna.dyna_q import DynaConfig, run_episodes
from mbrl_lessons.envs.mazes import (
    DYNA_MAZE_SHORTEST,
    DynaMaze,
    shortest_path_length,
)
from mbrl_lessons.search.muzero import (
    MuZeroConfig,
    muzero_losses,
    n_step_value_targets,
    run_mcts,
    select_child,
    train,
)

torch.set_num_threads(1)
show_source(select_child)

# %% [markdown]
# The whole search, written against an mctx-style `recurrent_fn(state,
# action) -> (reward, next_state, logits, value)`. Passing the learned $g$
# and $f$ gives MuZero; passing a true simulator gives AlphaZero (the tests
# do exactly that with a hand-written maze model):

# %%
show_source(run_mcts)

# %% [markdown]
# ### Training the model
#
# The agent stores whole episodes: observations, actions, the rewards that
# followed, and the search policy $\pi_t$ and search value $\nu_t$ of every
# step. A training example is a position $t$ in a stored episode. From
# $o_t$ alone, the model unrolls $g$ along the $K$ actions that were really
# taken next, $a_{t+1}, \dots, a_{t+K}$ (we use $K = 5$), and each step is
# scored against what really happened:
#
# $$
# \mathcal L_t = \sum_{k=0}^{K} w_k \Big[
# \big(u_{t+k} - r^{k}\big)^2
# + \big(z_{t+k} - v^{k}\big)^2
# - \boldsymbol\pi_{t+k}^\top \log \mathbf p^{k} \Big],
# \qquad w_0 = 1,\ w_{k \ge 1} = \tfrac1K ,
# $$
#
# with $u$ the observed reward (no reward term at $k = 0$) and $z$ the
# $n$-step value target
#
# $$
# z_t = \sum_{i=0}^{n-1} \gamma^{i} u_{t+1+i} + \gamma^{n} \nu_{t+n},
# $$
#
# the discounted rewards of the next $n$ steps plus the discounted value
# of the state reached then. The reward that follows the action taken at
# $o_t$ (the paper's $a_{t+1}$) is $u_{t+1}$; the code below
# (`n_step_value_targets`) calls that action number $t$ and stores its
# reward as `rewards[t]`, so its docstring's $r_{t+i}$ is the same quantity
# as $u_{t+1+i}$ here. Past the end of an episode the targets are those
# of an absorbing state: reward 0, value 0 and no policy target.
#
# There is no reconstruction term: the loss never compares $s^k$ with an
# observation. The only pressure on the hidden states is that $g$, unrolled
# from them, must reproduce rewards, values and search policies: value
# equivalence, trained directly. The gradient flowing back into each
# hidden state is halved, as in the paper, so that a longer unroll does not
# simply mean a larger gradient for $g$.
#
# The bootstrap value $\nu_{t+n}$ in the paper is the search value recorded
# when the episode was played. That value was computed by an older network
# and is never updated; on our maze, where every state starts out worth 0
# and the single reward sits 14 steps from the start, the stale values slow
# the spread of value from the goal badly. MuZero Reanalyse, in the same
# paper, recomputes targets with a recent network; we take its cheapest part
# and, after every episode, recompute all bootstrap values with the current
# network (`value_bootstrap="network"`; `"search"` is the original).
#
# The policy targets age in the same way. $\boldsymbol\pi_t$ is the visit
# distribution of the search that chose the move, run with the network of
# that time; the first episodes, hundreds or thousands of steps long, were
# searched with a model that knew nothing, and their nearly uniform visit
# counts would be replayed as targets for the rest of training. Reanalyse's other half
# searches stored positions again. After every episode we draw $M = 200$
# stored positions $t$ (a uniform episode, then a uniform step in it) and
# replace their targets by
#
# $$
# \boldsymbol\pi_t \leftarrow
# \Big(\frac{N_\theta(o_t, a)}{\sum_b N_\theta(o_t, b)}\Big)_{a},
# $$
#
# the visit counts of a fresh 30-simulation search from $o_t$ with the
# current parameters $\theta$ and no root noise (`reanalyse_positions=200`;
# 0 keeps the targets stored while acting). The loss does not change, only
# the targets it reads. The price is 200 searches per episode, as many as
# ten or so late training episodes; in return the prior $\mathbf p$ learns
# what the current model believes, and the prior is what steers the next
# search.

# %%
show_source(n_step_value_targets)

# %%
show_source(muzero_losses)

# %% [markdown]
# ### The Dyna maze again
#
# We return to the $6 \times 9$ maze that Dyna-Q solved in chapter 6
# {cite}`sutton2018rl`: reward 1 for reaching the goal, 0 otherwise,
# $\gamma = 0.95$, the shortest route 14 steps. The observation is the
# agent's cell as a one-hot vector, so $h$ has no more to go on than Dyna-Q's
# table did; but nothing in MuZero knows that observations are cells, and the
# model is not told that moves change cells. Each network is a small MLP with
# one hidden layer of 64 units and a 32-number hidden state; every move
# costs 30 simulations. After every episode the network takes 200 Adam steps on
# batches of 64 positions. Dyna-Q and Q-learning run with chapter 6's
# settings ($\alpha = 0.1$, $\varepsilon = 0.1$).

# %%
n_seeds = budget(fast=1, full=3)
mz_cfg = MuZeroConfig(n_episodes=budget(fast=8, full=40),
                      updates_per_episode=budget(fast=100, full=200),
                      max_episode_steps=budget(fast=600, full=2000),
                      eval_every=budget(fast=2, full=5))
runs = [train(DynaMaze(), MuZeroConfig(**{**mz_cfg.__dict__, "seed": s}))
        for s in range(n_seeds)]
dyna = {n: np.array([run_episodes(DynaMaze(), DynaConfig(n_planning=n),
                                  mz_cfg.n_episodes, seed=s).steps_per_episode
                     for s in range(10)]) for n in (0, 50)}
for s, r in enumerate(runs):
    print(f"seed {s}: {r.steps_per_episode.sum()} real steps in "
          f"{mz_cfg.n_episodes} episodes, {r.seconds:.0f} s")

episodes = np.arange(1, mz_cfg.n_episodes + 1)
mz_steps = np.array([r.steps_per_episode for r in runs])
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(episodes, mz_steps.mean(0), label=f"MuZero ({n_seeds} seeds)", color="C3")
if n_seeds > 1:
    ax.fill_between(episodes, mz_steps.min(0), mz_steps.max(0), color="C3",
                    alpha=0.2)
ax.plot(episodes, dyna[50].mean(0), label="Dyna-Q, n = 50", color="C0")
ax.plot(episodes, dyna[0].mean(0), label="Q-learning", color="C7")
ax.axhline(DYNA_MAZE_SHORTEST, ls=":", color="k", lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("episode")
ax.set_ylabel("steps per episode")
ax.legend()
plt.show()

# %% [markdown]
# Read the curves in real steps, the currency of this book. Every agent's
# first episodes are long walks in the dark: no reward has been seen, so
# MuZero's values and priors are flat and its search is no better than a
# random walk. Dyna-Q turns its first success into a route within two or
# three episodes, because fifty planning backups per step spread the single
# reward through its table at once. MuZero has to learn the same thing
# through gradient steps on a network, and it needs five to twenty episodes
# before its episodes are short; in the full benchmark its 40 episodes cost
# on average about as many real steps as Q-learning's, between one and a half
# and six times Dyna-Q's depending on the seed (the numbers are printed at
# the end of the section). Its curve then settles a
# little above the shortest path, as Dyna-Q's does: during training MuZero
# samples its moves from the visit counts with noise at the root, just as
# Dyna-Q explores with $\varepsilon$-greedy. In wall-clock time MuZero is
# far behind: every move costs 30 steps of the network model, every update an
# unroll of five.
#
# ### Does search help?
#
# At each checkpoint we start from S and act greedily two ways: with the
# most visited move of a 30-simulation search over the learned model, and
# with the argmax of the raw policy head $\mathbf p^0 = f(h(o))$ with no
# search at all. An evaluation that has not reached the goal after 50 steps
# counts as a failure (drawn at the top of the plot).

# %%
fail = mz_cfg.eval_max_steps + 1
fig, ax = plt.subplots(figsize=(7, 3.4))
for s, r in enumerate(runs):
    kw = {"alpha": 0.8, "marker": "o", "ms": 3}
    ax.plot(r.eval_real_steps, np.nan_to_num(r.search_path, nan=fail), color="C3",
            label="greedy with search" if s == 0 else None, **kw)
    ax.plot(r.eval_real_steps, np.nan_to_num(r.policy_path, nan=fail), color="C2",
            ls="--", label="raw policy head" if s == 0 else None, **kw)
ax.axhline(DYNA_MAZE_SHORTEST, ls=":", color="k", lw=0.8)
ax.set_xscale("symlog", linthresh=100)
ax.set_xlabel("real steps so far")
ax.set_ylabel("greedy steps from S to G")
ax.legend()
plt.show()

# %% [markdown]
# In the full benchmark the search walks the 16-step route (two steps longer
# than the shortest) in all three seeds, from episode 30 at the latest (from
# episode 10 in the quickest seed). The raw policy head gets there later or
# not at all: in two seeds it too finds the 16-step route, from episodes 20
# and 35 on, and in the third it never reaches the goal. The head is trained
# to imitate the visit counts of searches, which are spread over several
# moves (30 simulations, noise at the root while acting), and greedy play
# needs its argmax to be right in every cell on the route: one wrong cell,
# and the agent bumps into a wall or steps back and forth for ever. The
# search looks a few steps ahead in the model before each move and corrects
# such cells.
#
# It needs a good prior to do so. Without the refreshed policy targets
# (`reanalyse_positions=0`), seed 1's training episodes are short, yet its
# greedy search stops in a cell next to a wall and never reaches the goal:
# the move that bumps into the wall (and so leaves the agent where it is)
# and the move along the route differ in value by a few hundredths, and the
# learned model's one-step predictions are off by as much. Nothing forces
# $g$ to map a bump into a wall onto the hidden state of staying put, so the
# search cannot tell the two moves apart, and without root noise nothing in
# a deterministic evaluation takes it out of that cell. With priors learned
# from fresh searches, seed 1 walks the 16-step route like the others: the
# prior, trained on what recent searches chose, tips such near-ties towards
# the route. A search is only as good as the model it searches, and as the
# prior that tells it where to look.
#
# ### What the model believes
#
# Since observations are cells, we can ask the learned $f(h(o))$ for the
# value of every cell and draw it over the maze, next to the true value
# $\gamma^{d - 1}$ of a cell $d$ steps from the goal.

# %%
maze = DynaMaze()
true_v = np.full(maze.n_states, np.nan)
for s in range(maze.n_states):
    if maze.wall_mask[s] or maze.goal_mask[s]:
        continue
    maze.start_states = [s]  # distance from s: BFS from a moved start
    true_v[s] = 0.95 ** (shortest_path_length(maze) - 1)
maze = DynaMaze()


def draw_values(ax, v, title):
    grid = np.where(maze.wall_mask | maze.goal_mask, np.nan, v).reshape(
        maze.n_rows, maze.n_cols)
    im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1)
    for (r, c), ch in np.ndenumerate(maze.grid):
        if ch in "SG":
            ax.text(c, r, ch, ha="center", va="center", color="w", fontsize=11)
        elif ch == "#":
            ax.add_patch(plt.Rectangle((c - .5, r - .5), 1, 1, color="0.25"))
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


fig, axes = plt.subplots(1, 2, figsize=(8, 2.6))
draw_values(axes[0], runs[0].value_maps[-1], "learned value f(h(o)), seed 0")
im = draw_values(axes[1], true_v, "true value γ^(d-1)")
fig.colorbar(im, ax=axes, shrink=0.8)
plt.show()

# %% [markdown]
# The learned values rise toward the goal along the route the agent uses,
# along the bottom of the maze; the top-left corner, which the trained
# agent no longer visits, keeps values far below the truth that nothing
# corrects. The model was never told which cell follows which, yet its values
# carry the maze's geometry, because that is what value equivalence asks of
# it.
#
# The slider steps through the checkpoints of seed 0: the value map at that
# point of training, with the greedy paths' lengths in the title.

# %%
run0 = runs[0]
last = len(run0.eval_episode) - 1


def draw_checkpoint(checkpoint=last):
    fig, ax = plt.subplots(figsize=(5, 2.8))
    im = draw_values(ax, run0.value_maps[checkpoint], "")

    def shown(x):
        return "not reached" if np.isnan(x) else f"{x:.0f} steps"

    ax.set_title(f"after {run0.eval_episode[checkpoint]} episodes "
                 f"({run0.eval_real_steps[checkpoint]} real steps): search "
                 f"{shown(run0.search_path[checkpoint])}, policy head "
                 f"{shown(run0.policy_path[checkpoint])}", fontsize=8)
    fig.colorbar(im, ax=ax, shrink=0.8)


live_figure(draw_checkpoint, caption="Learned values over training (seed 0).",
            checkpoint=widgets.IntSlider(value=last, min=0, max=last,
                                         description="checkpoint"))

# %% [markdown]
# ### The full-budget numbers
#
# The benchmark `benchmarks/ch07_muzero.py` runs three seeds for 40 episodes
# and checks the claims of this section: that greedy play with search reaches
# the goal in at most 16 steps (the shortest path is 14) for every seed, and
# that search is never worse than the raw policy head at the end.

# %%
res = load_results("ch07_muzero")
if res is None:
    print("run benchmarks/ch07_muzero.py to produce results/ch07_muzero.json")
else:
    for t in res["targets"]:
        print(f"{'MET ' if t['met'] else 'MISS'} {t['description']}: "
              f"{t['measured']} {t['op']} {t['threshold']}")
    ex = res["extra"]
    print("real steps used per seed:", ex["real_steps_total"])
    print(f"Dyna-Q n=50 real steps in the same episodes: "
          f"{ex['dyna_q50_real_steps_total']:.0f}; Q-learning: "
          f"{ex['q_learning_real_steps_total']:.0f}")

# %% [markdown]
# ```{exercise}
# :label: ex-ch07-muzero-1
#
# Switch the value targets back to the paper's stored search values,
# `MuZeroConfig(value_bootstrap="search")`, and rerun the experiment. Plot
# the learned value map after the same number of episodes. Where in the maze
# do the two versions differ most, and why there? (Think about how many
# episodes it takes for value to travel $n = 10$ steps further from the goal
# when every target keeps the value it was stored with.)
# ```
#
# ```{exercise}
# :label: ex-ch07-muzero-2
#
# Value equivalence claims that $g$ need not know which cell comes next. Test
# how far that goes: take a trained network, encode every cell with $h$,
# step each hidden state with $g$ for each action, and find the cell whose
# encoding is nearest to the result. How often is it the true next cell? Then
# rerun training with `unroll_steps=1`. Does the agent still plan well,
# and does the nearest-cell accuracy change?
# ```

# %% [markdown]
# ## 7.6 Side by side
#
# Four of the five methods, and three of chapter 4's schemes, learned to
# swing up the same pendulum. The table below reads every number from the
# committed full-budget results, so it always shows what the code in this
# repository last measured. "Real steps" counts the transitions taken in the
# real environment; the returns are per 200-step episode, the higher the
# better; the first row is an agent that applies random torques.

# %%
PENDULUM_ROWS = [
    # (agent, chapter, what acts, results file, target id, how the real steps are counted)
    ("MPC with the true model (ceiling)", "4", "CEM planner", "ch04_schemes",
     "ceiling_true_model_mpc", lambda c: 0),
    ("v1.5: learned MLP + CEM (MPC)", "4", "CEM planner", "ch04_schemes",
     "v1_5_mean_return_episodes_6_10", lambda c: 2000),
    ("v2.0: policy through the model", "4", "policy net", "ch04_schemes",
     "v2_0_final_return", lambda c: 200 * c["v2"]["n_episodes"]),
    ("World Models (tau = 1)", "7.1", "81-weight controller", "ch07_world_models",
     "real_return_tau1", lambda c: c["world_models"]["n_random_episodes"]
     * c["world_models"]["episode_len"]),
    ("PETS (TS-inf)", "7.2", "CEM planner", "ch07_pets",
     "pets_ts_inf_mean_return_episodes_6_10", lambda c: 2000),
    ("MBPO (k = 5)", "7.3", "SAC policy", "ch07_mbpo", "mbpo_return",
     lambda c: c["mbpo_steps"]),
    ("Dreamer-style", "7.4", "actor net", "ch07_dreamer", "dreamer_final_return",
     lambda c: 200 * c["dreamer"]["n_episodes"]),
]


def side_by_side():
    wm = load_results("ch07_world_models")
    rows = [("random torques", "–", "nothing", 0,
             None if wm is None else float(np.mean(wm["extra"]["random_return"])),
             "ch07_world_models")]
    for agent, chapter, actor, name, target, steps in PENDULUM_ROWS:
        payload = load_results(name)
        t = None if payload is None else next(
            (t for t in payload["targets"] if t["id"] == target), None)
        if t is None:
            rows.append((agent, chapter, actor, None, None, name))
            continue
        rows.append((agent, chapter, actor, steps(payload["config"]),
                     float(t["measured"]), name))
    return rows


rows = side_by_side()
lines = ["| agent | chapter | what acts | real steps | return | from |",
         "|---|---|---|---|---|---|"]
for agent, chapter, actor, steps, ret, name in rows:
    if ret is None:
        lines.append(f"| {agent} | {chapter} | {actor} | – | not yet run | `{name}` |")
    else:
        lines.append(f"| {agent} | {chapter} | {actor} | {steps:,} | {ret:.0f} | "
                     f"`{name}` |")
display(Markdown("\n".join(lines)))

measured = [r for r in rows if r[4] is not None]
fig, ax = plt.subplots(figsize=(8, 4))
for i, (agent, chapter, actor, steps, ret, name) in enumerate(measured):
    ax.scatter(max(steps, 1), ret, s=60, zorder=3)
    ax.annotate(agent, (max(steps, 1), ret), textcoords="offset points",
                xytext=(6, 4 if i % 2 else -10), fontsize=8)
ax.set_xscale("log")
ax.set_xlabel("real environment steps used (log scale; the ceiling used none)")
ax.set_ylabel("return per episode")
ax.set_title("Pendulum swing-up: data used against return reached")
ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the table with care: the rows are not a race run under one rule. Each
# method was given the budget its section describes, some returns are
# averages over the last episodes of training and others of a final
# evaluation, and the planners spend far more computation per action than
# the policies (section 8.8 measures how much more). What the table does
# show is the shape of the field. Every learned-model method in it gets most
# of the way from random torques to the true-model ceiling within a few
# thousand real steps. SAC on its own, with the same learner as MBPO, had
# not reached the $-250$ bar of a swing-up held at the top after 5,000 real
# steps (section 7.3), while MBPO, PETS and the Dreamer-style agent did
# within 3,000. The methods that train a policy
# inside the model
# must defend it against the model's errors, and each does so differently:
# World Models with noise in the dream, MBPO with short rollouts that start
# from real states, Dreamer with a critic that lets the imagined horizon stay
# short.
#
# ## The full-budget numbers
#
# Each section's claims, checked by its benchmark script
# (`benchmarks/ch07_*.py`) at the full budget. A claim that missed stays in
# the table as a miss.

# %%
for name in ("ch07_world_models", "ch07_pets", "ch07_mbpo", "ch07_dreamer",
             "ch07_muzero"):
    payload = load_results(name)
    if payload is None:
        display(Markdown(f"**{name}**: no full-budget result yet — run "
                         f"`python benchmarks/{name}.py`."))
    else:
        display(Markdown(f"**{name}** — commit `{payload['commit'][:10]}`, "
                         f"{payload['seconds']:.0f} s.\n\n"
                         + targets_markdown(payload)))

# %% [markdown]
# ## Exercises
#
# The graded versions of four of the chapter's key computations — one step of
# trajectory sampling, MBPO's branched rollouts, $\lambda$-returns and the
# pUCT score — are in
# [`exercises/ch07_modern.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch07_modern.ipynb)
# (see {doc}`ch00_checking_your_work`). Sections 7.1 to 7.5 also end with
# open exercises of their own, without a grader.
#
# ```{exercise}
# :label: ex-ch07-compare
# Put two of the methods under one rule: give PETS and the Dreamer-style
# agent exactly the same number of real steps and the same seeds, and
# compare both the return and the wall-clock time per real step. Which one
# would you deploy on a robot that can afford 5 ms per action?
# ```
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
