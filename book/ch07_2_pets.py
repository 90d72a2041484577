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
# # 7.2 PETS: planning through an uncertain model
#
# *About 26 minutes: 25 to read, 1 to run at FAST.* Section 7.2 of {doc}`ch07_modern`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - build a probabilistic ensemble and say which part of its variance is aleatoric and which epistemic;
# - plan with trajectory sampling (TS-1, TS-$\infty$) and CEM through an uncertain model;
# - read PETS's learning curve and its propagation ablation against chapter 4's learned-model MPC.
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
from IPython.display import Markdown, display

from mbrl_lessons import budget
from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# How PETS is put together. The diagram follows the book's colours: the real
# environment in orange, learned model parts in blue, planning or imagination
# in green, the policy or controller in purple.

# %% mystnb={"image": {"alt": "Architecture diagram of PETS: the real environment's transitions go to a buffer of all real data, on which an ensemble of Gaussian networks is fitted each episode; CEM proposes action sequences, trajectory sampling pushes particles through the ensemble members and returns the mean predicted return; the first action of the best plan is executed and the plan is remade at every step."}} tags=["hide-input"]
from mbrl_lessons.viz.diagrams import architecture

architecture("pets");

# %% [markdown]
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
# that needed 8 to 125 times more experience (SAC and PPO on half-cheetah),
# which is
# where the paper's title comes from. (The primer's
# {doc}`ch06p_model_free` introduces those model-free learners.)
#
# ## The model
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
# ## Trajectory sampling
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
# and CEM ({doc}`section 6.3 <ch06_3_how_to_plan>`) searches for the sequence with the best score. As in
# v1.5, only the first action is executed, the next state is observed, and
# the search starts again. After each episode, the ensemble is refitted on
# all data gathered so far. The first episode uses random actions.
#
# **What we shrank.** The paper uses 20 particles, 400 to 500 CEM candidates
# and members with three or four hidden layers of 200 to 500 units. Our
# members have two layers of 48 units, and each plan scores 200 candidates
# with 5 particles (one per member) for 4 CEM iterations over 25 steps. One
# plan then costs 0.06 to 0.09 s on a single CPU thread in the full
# benchmark (0.07 s on average; the run below prints its own time per
# action).

# %%
from mbrl_lessons.algorithms.pets import ParticleModelEnv, PETSConfig, train
from mbrl_lessons.analysis.modern import fans_by_data
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    batched_gaussian_forward,
    fit_ensemble,
    gaussian_nll,
)
from mbrl_lessons.planning import PlannerConfig

# %% [markdown]
# The ensemble class lives in `mbrl_lessons.models.ensemble`; MBPO in
# {doc}`§7.3 <ch07_3_mbpo>` reuses its forward pass and loss. It holds each
# layer's weights for all members in one tensor of shape
# $[E, \text{in}, \text{out}]$, so a single batched matrix product
# (`torch.baddbmm`) runs every member at once. The output is split into the
# mean and the raw log-variance $v$, which the two softplus lines squash
# between the learned bounds $\ell_{\min}, \ell_{\max}$, exactly the
# formula above:

# %%
show_source(batched_gaussian_forward)
show_source(GaussianEnsemble.forward)

# %% [markdown]
# The loss is the $\beta$-NLL summed over members plus the penalty on the
# bounds. `gaussian_nll` computes $(\Delta - \mu)^2 / \sigma^2 + \log
# \sigma^2$ per element, averages it over rows and dimensions (a constant
# factor away from the sum in the formula), and returns both the plain NLL
# and the $\beta$-weighted objective, whose weight is detached so that no
# gradient flows through it:

# %%
show_source(GaussianEnsemble.loss)
show_source(gaussian_nll)

# %% [markdown]
# Training draws one bootstrap resample per member and then, at every step,
# a minibatch from each member's own resample. The function can also hold
# out a share of the transitions, as the MBPO authors' code and mbrl-lib
# do: every
# 50 steps it scores each member on them, a member keeps the weights of its
# best check, training stops once no member has improved by 1 % for five
# checks in a row, and the members that score best become the *elites*.
# PETS, like the PETS paper's own code, holds nothing out
# (`holdout_ratio=0`): every transition trains, and every member is used.

# %%
show_source(fit_ensemble)

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
# ## Experiment: learning to swing up from a few episodes
#
# We run PETS with TS-$\infty$ and plot the return of each real episode. The
# first episode is random, so its return is that of a random policy. The
# full-budget results (five seeds, ten episodes each, read from
# `results/ch07_pets.json`) are drawn next to chapter 4's v1.5, run by the
# same benchmark on the same five seeds: the same data budget, the same
# random first episode and the same starting states, so the two can be
# compared seed by seed and episode by episode.

# %%
cfg = PETSConfig(
    n_episodes=budget(fast=3, full=10),
    hidden=budget(fast=32, full=48),
    planner=budget(fast=PlannerConfig(horizon=15, n_candidates=50, n_iterations=2,
                                      n_elites=5),
                   full=PETSConfig().planner),
)
live = train("Pendulum-v1", cfg)
print("live run, return per episode:", np.round(live.returns, 1))
print(f"planning time per action: {1000 * live.seconds_per_action:.0f} ms")

# %% mystnb={"image": {"alt": "Episode return against real environment steps on the pendulum for PETS TS-inf and chapter 4's v1.5 (full benchmark: mean over seeds with a shaded min-max band) and for this page's own PETS run."}}
full = load_results("ch07_pets")


def spread_plot(ax, curves, label, color):
    curves = np.asarray(curves, dtype=float)
    steps = 200 * np.arange(1, curves.shape[1] + 1)
    ax.plot(steps, curves.mean(0), "o-", color=color, ms=4, label=label)
    if len(curves) > 1:
        ax.fill_between(steps, curves.min(0), curves.max(0), color=color, alpha=0.2)


fig, ax = plt.subplots(figsize=fig_size(4))
if full is not None:
    n_full = len(full["extra"]["returns"]["ts_inf"])
    spread_plot(ax, full["extra"]["returns"]["ts_inf"],
                f"PETS TS-$\\infty$ (full budget, {n_full} seeds)", "C0")
    v15_runs = full["extra"]["returns"]["v1.5"]  # same seeds, same starts
    spread_plot(ax, v15_runs,
                f"ch04's v1.5, deterministic MLP ({len(v15_runs)} seeds)", "C1")
spread_plot(ax, [live.returns], "PETS, this run", "C2")
ax.set_xlabel("real environment steps")
ax.set_ylabel("episode return")
ax.set_title("Return per episode: mean over seeds, shaded min to max")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# In the full-budget run a single random episode was enough. The random
# episode returns $-1{,}020$ on average over the seeds; after it, no PETS
# episode on any seed returns less than $-380$, and three in four return
# between $-100$ and $-250$.
# From then on the return depends mostly on where the pendulum starts, since
# a start near the bottom costs more on the way up however good the
# controller is. Over episodes 6 to 10, when both have five to nine episodes
# of data (1,000 to 1,800 real steps), PETS and v1.5 are level: PETS averages $-144$ (95% interval over
# seeds $[-163, -125]$), and PETS minus v1.5 is $-3.1$ $[-8.2, 0.0]$, inside
# the 30 points the target allows.
#
# With little data they differ. Over episodes 2 to 5 (200 to 800 real
# steps of data), PETS is ahead of v1.5 by $33.8$ per episode, with an
# interval of $[15.1, 52.5]$ over the five paired seeds. That agrees with
# the PETS paper's claim that modelling uncertainty helps most when data
# are scarce, but v1.5 also differs in its network, its training and its
# planner's budget, so this run does not isolate uncertainty as the cause. The gain comes from a few episodes, not from a steady edge:
# in five of the twenty early episodes (on four of the five seeds) v1.5
# returned between 100 and 260 points less than PETS from the same start
# with the same amount of data, and in the other fifteen the two are within 10
# points of each other. The table at the end of this page has every number.
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
# function, not the idea of PETS, was at fault. On a deterministic system
# the ensemble can help only through its epistemic part: where the data are
# thin, the members disagree and the planner's particles spread, which
# penalises plans that lean on one member's guess. Once the data cover the
# swing-up, that part shrinks (the members' disagreement on held-out data
# falls by a factor of 10.6, interval $[1.7, 37.2]$, from one episode of data
# to nine; the interval is wide because on one seed the one-episode ensemble
# disagrees far more than on the others), and an ensemble with a good mean
# does no better than one network. The paper's larger gains came from tasks with contacts and
# higher-dimensional states, where one network is overconfident far more
# often.
#
# ## The ablation: how particles are propagated
#
# The full-budget run also repeated all five seeds with TS-1 and with the
# ensemble-mean propagation. The same starts and the same random first
# episode make the three directly comparable, seed by seed:

# %% mystnb={"image": {"alt": "Episode return against real steps for three ways of propagating the ensemble's uncertainty in PETS: TS-infinity, TS-1 and the ensemble mean, mean over seeds with a min-max band."}}
if full is not None:
    fig, ax = plt.subplots(figsize=fig_size(3.6))
    names = {"ts_inf": "TS-$\\infty$", "ts1": "TS-1", "mean": "ensemble mean"}
    for i, (key, name) in enumerate(names.items()):
        curves = full["extra"]["returns"][key]
        spread_plot(ax, curves, f"{name} ({len(curves)} seeds)", f"C{i}")
    ax.set_xlabel("real environment steps")
    ax.set_ylabel("episode return")
    ax.legend(fontsize=8)
    plt.tight_layout()
    plt.show()
    plain = {"ts_inf": "TS-inf", "ts1": "TS-1", "mean": "ensemble mean"}
    for key, name in plain.items():
        tails = np.mean(np.asarray(full["extra"]["returns"][key])[:, 5:10], axis=1)
        print(f"{name:>16s}: mean return, episodes 6-10, per seed = "
              f"{np.round(tails, 1)}")
    for t in full["targets"]:
        if t.get("ci"):
            print(f"{t['id']}: {t['measured']:.1f}, 95% interval "
                  f"[{t['ci'][0]:.1f}, {t['ci'][1]:.1f}], {'met' if t['met'] else 'not met'}")

# %% [markdown]
# On the MuJoCo tasks of the paper, the choice mattered. The mean
# propagation did clearly worse than either TS variant, because a mean
# prediction averages away the disagreement that keeps the planner out of
# unexplored regions. On the pendulum the three curves lie almost on top of
# each other. TS-1 averages $-144.2$ over episodes 6 to 10 against
# TS-$\infty$'s $-144.0$. TS-$\infty$ minus the ensemble mean is $-5.1$, with
# an interval of $[-15.0, 0.0]$ over the five paired seeds: the paper's
# ordering (sampling beats the mean) is not shown here, and if anything the
# mean propagation is slightly ahead. Once the data cover the swing-up the
# members agree so closely that sampling among them changes hardly any
# decision of the planner; the early episodes, where they disagree, are
# where the ensemble paid off against a single network, not where the
# propagation scheme made a difference.
#
# The paper's model ablation belongs on a task where it can show.
# `benchmarks/ch07_pets_mujoco.py` runs it on gymnasium's Reacher-v5, a
# two-joint arm reaching for a random target, with the known reward of
# `mbrl_lessons.envs.mujoco_tasks`: a probabilistic ensemble with TS-$\infty$
# and TS-1 (PE), one probabilistic network (P), an ensemble of deterministic
# networks (DE) and one deterministic network (D), all with the same CEM
# budget, network size, training steps and number of real episodes, five
# seeds each. The claim it tests is the paper's: PE-TS-$\infty$ reaches a
# stated return in fewer real steps than D, with a 95 % interval over seeds
# that excludes zero. The same run also puts PETS against SAC on the same
# task: SAC gets five times PETS's real steps, and PETS's last ensemble and
# SAC's last policy are scored from the same five starts.
#
# Which return to state was settled before the reported runs, on three pilot
# seeds (100 to 102) that the results never use, after a first run on the
# reported seeds had asked for $-10$: there PE-TS-∞ and D both reached it
# in their fourth episode on every seed. The
# cell below shows why that was no test: an arm that applies no torque at
# all scores about $-11.5$, because the return adds up the fingertip's
# distance to the target over 50 steps, and a target that happens to lie
# close to the resting fingertip makes even that a good score. The pilots
# tried ten episodes, returns from $-10$ to $-5$ and 300 or 1,000 gradient
# steps per refit; a larger planner and the harder Pusher-v5 only as far as
# their cost allowed. No setting had PE ahead of D on all three pilot seeds;
# the largest mean gap, 150 real steps, came from one seed on which D stayed
# stuck. The reported run uses that setting: ten episodes (500 real steps),
# 1,000 gradient steps per refit, and a stated return of $-8$. The
# benchmark's description lists the pilots.

# %%
import importlib.util

import gymnasium as gym

# MuJoCo is a test/benchmark dependency: Colab lacks it (pip install
# "gymnasium[mujoco]"); without it the page reads the results and skips the
# zero-torque reference runs.
HAVE_MUJOCO = importlib.util.find_spec("mujoco") is not None


def zero_torque_returns(env_id: str, seeds) -> np.ndarray:
    """The return of holding the arm still (zero action) from each start."""
    env, out = gym.make(env_id), []
    for s in seeds:
        env.reset(seed=int(s))
        total, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(np.zeros(env.action_space.shape))
            total, done = total + float(r), term or trunc
        out.append(total)
    return np.array(out)


still = zero_torque_returns("Reacher-v5", range(20)) if HAVE_MUJOCO else None
if still is None:
    print("MuJoCo is not installed here: the zero-torque reference is skipped "
          "(pip install 'gymnasium[mujoco]' to run it).")
else:
    print(f"zero torques on Reacher-v5, 20 starts: mean {still.mean():.1f}, "
          f"from {still.min():.1f} to {still.max():.1f}")

pets_mujoco = load_results("ch07_pets_mujoco")
if pets_mujoco is None:
    print("benchmarks/ch07_pets_mujoco.py has not been run at the full budget yet; "
          "until it has, this page makes no claim about the model families.")
else:
    pm = pets_mujoco["extra"]
    from mbrl_lessons.core.seeding import stream_seed

    # the five evaluation starts of each seed (those of sac.evaluate)
    starts = [stream_seed(seed, "eval", i) for seed in range(pets_mujoco["config"]["seeds"])
              for i in range(pets_mujoco["config"]["eval_episodes"])]
    if HAVE_MUJOCO:
        still_eval = zero_torque_returns("Reacher-v5", starts)
        print(f"zero torques from the {len(starts)} evaluation starts: mean "
              f"{still_eval.mean():.1f}")
    print("real steps to the stated return, per seed:")
    for fam, steps in pm["per_seed"]["steps_to_threshold"].items():
        print(f"  {fam:10s} {steps}")
    for key, (m, lo, hi) in pm["ci95"].items():
        print(f"{key:34s} {m:8.1f}  95% interval [{lo:8.1f}, {hi:8.1f}]")
    for t in pets_mujoco["targets"]:
        print(f"{t['id']}: {t['measured']:.2f}, 95% interval "
              f"[{t['ci'][0]:.2f}, {t['ci'][1]:.2f}], "
              f"{'met' if t['met'] else 'not met'}")

# %% mystnb={"image": {"alt": "Episode return against real steps on Reacher-v5 for the five PETS model families, mean over seeds, with SAC's evaluation return over five times as many steps, the stated return and the score of holding the arm still."}}
if pets_mujoco is not None:
    ep_len = pm["episode_length"]
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6), sharey=True,
                             gridspec_kw={"width_ratios": [1, 1.6]})
    names = {"pe_ts_inf": "PE TS-$\\infty$", "pe_ts1": "PE TS-1", "p": "P",
             "de": "DE", "d": "D"}
    for i, (fam, name) in enumerate(names.items()):
        r = np.asarray(pm["returns"][fam])
        x = ep_len * np.arange(1, r.shape[1] + 1)
        axes[0].plot(x, r.mean(0), "o-", ms=3, color=f"C{i}", label=name)
    sc = pm["sac_curves"]
    sr = np.asarray(sc["returns"])
    axes[1].plot(sc["steps"], sr.mean(0), "s-", color="C5", ms=4,
                 label=f"SAC, evaluation ({len(sr)} seeds)")
    axes[1].fill_between(sc["steps"], sr.min(0), sr.max(0), color="C5", alpha=0.2)
    pe = pm["per_seed"]["eval_return_pe_ts_inf"]
    axes[1].errorbar([pets_mujoco["config"]["pets_steps"]], [np.mean(pe)],
                     yerr=[[np.mean(pe) - np.min(pe)], [np.max(pe) - np.mean(pe)]],
                     fmt="o", color="C0", label="PE TS-$\\infty$, same starts")
    for ax in axes:
        ax.axhline(pets_mujoco["config"]["threshold"], color="k", ls="--", lw=0.8,
                   label="stated return")
        if still is not None:
            ax.axhline(still.mean(), color="grey", ls=":", lw=1, label="zero torques")
        ax.set_xlabel("real environment steps")
    axes[0].set_ylim(-25, 0)
    axes[0].set_ylabel("episode return (mean over seeds)")
    axes[0].legend(handles=axes[0].get_lines()[:len(names)], fontsize=7, ncol=2)
    axes[1].legend(fontsize=7, loc="lower right")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# The left panel shows every family's episode returns (the random first
# episode, about $-44$, lies below the frame); the right one SAC's
# evaluation return every 500 real steps, and PE-TS-$\infty$'s last ensemble
# scored from the same starts at its own 500 steps.
#
# At this budget the model families still cannot be told apart. The real
# steps to a return of $-8$ were 200, 400, 200, 250 and 350 for
# PE-TS-$\infty$ on the five seeds and 200, 400, 250, 250 and 200 for D, so
# D's minus PE-TS-$\infty$'s is $-20$ steps with an interval of $[-90, 30]$:
# if anything D came first, and the interval straddles zero. PE-TS-$\infty$
# minus D in mean return over the nine planned episodes is $+0.11$, interval
# $[-0.45, 0.59]$. The deterministic ensemble (DE) reached $-8$ in its
# fourth episode on all five seeds, the earliest of the five families, which
# is not the paper's ordering either. The paper's claim is not shown here,
# and the pilots had not shown it on more than one seed of three. Most of the swings from episode to
# episode, such as the dip of all five curves in episode 9, come from the
# targets: every family meets the same target positions in the same
# episode, and a far target costs more than any difference between the
# models. Reacher's dynamics are smooth and noise-free, so one network fitted
# on a few hundred transitions predicts the next ten steps well enough for
# this planner. What the ensemble guards against, a planner that steers into
# regions where a lone network is confidently wrong, needs a planner strong
# enough to find those regions and a task whose model errors cost something.
# The paper's Reacher (a 7-DOF arm, not Reacher-v5) had both: larger models, particle counts and
# planning budgets (mbrl-lib: ensembles of seven 4x200 networks, 20
# particles, CEM 350 x 5, horizon 15) and many more episodes. In the pilots
# a planner still far smaller than that (CEM 200 x 5, horizon 15, five
# particles) cost about ten times as much per action as the one used here,
# more than this benchmark could spend; `benchmarks/README.md` compares the
# costs.
#
# Against SAC, PETS met its target. After 500 real steps PE-TS-$\infty$
# scores $-7.9$ $[-8.4, -7.5]$ from the evaluation starts, SAC after 2,500
# steps $-9.5$ $[-10.1, -8.9]$; PETS minus SAC is $+1.6$ with an interval of
# $[1.0, 2.3]$, so PETS reached SAC's return with a fifth of its real steps.
# Read it with the reference beside it: holding the arm still scores $-11.1$
# from the same starts. In 2,500 steps SAC has gained about one and a half
# points over doing nothing and PETS, in 500, about three. That is the
# paper's kind of result at a small scale: SAC is slow to get going on this
# task. It does not say that PETS ends higher than SAC would with more
# steps, which this run did not measure.

# %% [markdown]
# ## Particles fanning out
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

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels of predicted pendulum angles over the planning horizon: a fan of particle trajectories from an ensemble fit on one episode of data (left) and on more (right), with the real pendulum's angle as a dashed black line; in both, the particles stay close together for the first steps and spread apart towards the end of the horizon."}}
k_plentiful = cfg.n_episodes - 1
fans = fans_by_data(live, cfg, [1, k_plentiful], horizon=50,
                    train_cfg=EnsembleTrainConfig(steps=budget(fast=300, full=1500)))


def draw_fan(ax, angles, true_angles, title):
    t = np.arange(angles.shape[-1])
    ax.plot(t, np.unwrap(angles, axis=-1).T, color="C0", lw=0.8, alpha=0.6)
    ax.plot(t, np.unwrap(true_angles), "k--", lw=2, label="real pendulum")
    ax.set_xlabel("steps ahead")
    ax.set_title(title, fontsize=9)


fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6), sharey=True)
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
# The slider below uses ensembles refitted from scratch (1,500 gradient
# steps) on the first 1 to 9 episodes of seed 0's full-budget data. It
# shows the fan along a trajectory from the tenth episode, which none of
# these ensembles was trained on. The right panel shows the one-step
# disagreement on that episode. It falls to about a third of its
# one-episode value from one episode of data (random motion) to two (which
# include a swing-up). After that it changes little: from two to nine
# episodes it stays between a fifth and two fifths of the one-episode
# value, going up and down from one refit to the next. The 50-step fan does
# not shrink in the same way, for the reason given above. If the benchmark has not been run, the widget shows
# this page's live ensembles.

# %% mystnb={"image": {"alt": "Left: the ensemble's fan of predicted angle trajectories after the chosen number of episodes of data, with the real trajectory. Right: the ensemble's one-step disagreement against episodes of data, dropping to about a third from one episode to two and changing little after that."}}
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
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.4),
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
# ## The full-budget numbers
#
# `benchmarks/ch07_pets.py` runs the full budget: PETS with TS-$\infty$,
# TS-1 and the ensemble mean, and v1.5, on five seeds each, and the fans.
# Each claim of this
# section is checked against a threshold fixed in advance, and the table
# reports each one as met or missed. One threshold needs a word: the margin
# of 30 that PETS minus v1.5 is allowed is the gap between the two targets'
# return thresholds as they were first set ($-200$ for PETS against $-170$
# for v1.5; chapter 4 has since moved v1.5's to $-220$). The margin is a
# tolerance chosen in advance, not a property of the task; what counts is
# the measured difference and its interval.

# %%
if full is None:
    print("No full-budget result yet: run `make reproduce`.")
else:
    display(Markdown(f"Commit `{full['commit'][:10]}`, {full['seconds']:.0f} s.\n\n"
                     + targets_markdown(full)))

# %% [markdown]
# ## Summary
#
# PETS plans at every real step through an ensemble of Gaussian networks,
# propagating particles that each follow one sampled member (trajectory
# sampling), and scores CEM's candidates by their mean return over particles.
# On the pendulum one random episode is enough for it to swing up from the
# second episode on. With one to four episodes of data (episodes 2 to 5) it
# beats chapter 4's v1.5 on the same seeds and starts by 34 points per
# episode (interval $[15, 52]$, five seeds), possibly because v1.5's single
# network sometimes misleads its planner; with more data the two are level. What made it work was
# the loss: the plain NLL let the ensemble trade mean error for variance,
# and the $\beta$-NLL fixed it. On this deterministic task the particle
# propagation schemes score alike (sampling minus mean $-5.1$, interval
# $[-15.0, 0.0]$); the paper's gains from sampling came from
# higher-dimensional tasks with contacts. On MuJoCo's Reacher, at the budget this machine
# affords, the paper's model ablation is not reproduced either: no
# difference was shown between PE-TS-$\infty$ and one deterministic network
# in the real steps they need to reach a return of $-8$ (D minus
# PE-TS-$\infty$: $-20$ steps, interval $[-90, 30]$; five seeds, runs not
# reaching $-8$ counted as 550 steps: no difference shown, and none larger
# than about 100 steps at this budget). PETS does
# reach the return that SAC has after five times as many real steps ($+1.6$,
# interval $[1.0, 2.3]$), at scores a few points above holding the arm still.

# %% [markdown]
# ## Exercises
#
# The graded version of one step of trajectory sampling is in [`exercises/ch07_modern.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch07_modern.ipynb) (see {doc}`ch00_checking_your_work`).
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
# ## References
#
# PETS is from Chua et al. {cite}`chua2018pets`; deep ensembles from
# Lakshminarayanan et al. {cite}`lakshminarayanan2017ensembles`.
