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
# # 7.3 MBPO: short model rollouts for a model-free learner
#
# *About 27 minutes: 26 to read, 1 to run at FAST.* Section 7.3 of {doc}`ch07_modern`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - write soft actor-critic's losses and explain the role of the temperature;
# - explain MBPO's argument for short model rollouts branched from real states;
# - compare MBPO with SAC alone at equal real steps, and watch a model drift as its rollouts grow.
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
from mbrl_lessons.core.results import bootstrap_ci, load_results
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# How MBPO is put together. The diagram follows the book's colours: the real
# environment in orange, learned model parts in blue, planning or imagination
# in green, the policy or controller in purple.

# %% mystnb={"image": {"alt": "Architecture diagram of MBPO: real transitions fill a real buffer, on which an ensemble model is fitted; short k-step branches start from real states, are simulated by the model with the current policy, and fill a model buffer; SAC makes several updates per real step from it and acts in the real environment."}} tags=["hide-input"]
from mbrl_lessons.viz.diagrams import architecture

architecture("mbpo");

# %% [markdown]
# PETS ({doc}`§7.2 <ch07_2_pets>`) never learns a policy: it plans through its model at every real
# step. The opposite use of a model is the one Dyna introduced (chapter 6):
# let the model *invent* transitions, and hand them to a model-free learner
# as if they were real. Model-based policy optimisation, MBPO
# {cite}`janner2019mbpo`, is that idea scaled to deep networks and continuous
# actions. Its learner is soft actor-critic (SAC) {cite}`haarnoja2018sac`, a
# sample-hungry but reliable off-policy algorithm; its model is an ensemble
# of Gaussian networks, as in chapter 5 and PETS.
#
# The difficulty is the one {doc}`§5.6 <ch05_6_multistep>` measured: a learned model is accurate one
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
# pendulum: MBPO learns with fewer real steps than SAC taking one update per
# step, and the rollout length $k$ trades model error against the amount of
# useful data. The same benchmark also runs the fair baseline, SAC given as
# many updates as MBPO, and two MuJoCo tasks repeat that comparison.

# %%
import time
from dataclasses import replace

import gymnasium as gym

from mbrl_lessons.algorithms import mbpo, sac
from mbrl_lessons.analysis.modern import branch_drift
from mbrl_lessons.envs.pendulum import pendulum_step

torch.set_num_threads(1)
full_mbpo = load_results("ch07_mbpo")  # the committed full-budget benchmark

# %% [markdown]
# ## The learner: soft actor-critic
#
# The primer's {doc}`ch06p_3_sac` derives SAC at length, with the
# maximum-entropy policy, the over-estimation that twin critics counter and a
# run that tracks the temperature; what follows recaps the pieces MBPO needs.
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
# **A squashed Gaussian actor.** The network outputs a mean $\mu_\phi(s)$
# and a log standard deviation $\log\sigma_\phi(s)$; we draw
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
# **Twin critics and a soft target.** Two networks $Q_{w_1}, Q_{w_2}$
# regress onto the same target. With $a' \sim \pi(\cdot \mid s')$,
#
# $$
# y = r + \gamma\,(1 - d)\Big(\min_{j=1,2} Q_{\bar w_j}(s', a')
#   - \alpha \log \pi(a' \mid s')\Big),
# $$
#
# where $d$ marks a true termination (a time limit is not one, so the
# pendulum always bootstraps) and $\bar w_j$ are *target* copies that
# trail the critics by Polyak averaging,
# $\bar w \leftarrow (1-\tau)\bar w + \tau w$ with $\tau = 0.005$.
# Taking the smaller of two estimates counters the upward bias that
# maximising over a noisy critic creates (clipped double Q).
#
# **The actor** minimises $\mathbb E_{s}\big[\alpha \log\pi(a \mid s) -
# \min_j Q_{w_j}(s, a)\big]$ with $a$ drawn by the reparameterised
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
# ## When can model data be trusted? The argument for short branches
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
# ## MBPO
#
# ```{prf:algorithm} MBPO (as implemented here)
# :label: alg-mbpo
# 1. Act randomly for the first 250 real steps; store every transition in the
#    real buffer $\mathcal D_{\text{env}}$.
# 2. Every 250 real steps, refit the ensemble of $E = 7$ Gaussian networks to
#    all of $\mathcal D_{\text{env}}$ (inputs $(s, a)$, targets $(s' - s, r)$),
#    holding out a fifth of it: each member keeps its weights that scored
#    best on the held-out part, and the 5 best members are the *elites*.
# 3. At every real step, act with the current policy and store the result.
# 4. Every 10 real steps, draw 400 states from $\mathcal D_{\text{env}}$ and
#    roll the policy $k$ steps in the model from each, choosing a random
#    elite member for every transition; store the results in the model
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
# from lining up into one consistent, confidently wrong trajectory; drawing
# it from the elites only keeps a member that fits the held-out data badly
# out of the rollouts. The ensemble is the very `GaussianEnsemble` PETS plans
# with ({doc}`§7.2 <ch07_2_pets>`), trained by the same `fit_ensemble`; only
# the settings differ (the plain NLL, a held-out fifth, seven members, and
# no bootstrap resampling: every member trains on the same data and differs
# only by its initial weights and minibatches, where §7.2 gives each member
# its own bootstrap resample), and
# its members are evaluated together with batched matrix products, which
# makes it cheap enough to refit often.

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
# ## Experiment: MBPO against SAC alone
#
# Both use the identical SAC learner (same networks, learning rate
# $3\cdot 10^{-4}$, batch 256, 250 random steps at the start). SAC gets one
# update per real step, MBPO five, on mixed batches, with $k = 5$. A third
# arm, SAC with MBPO's five updates per step on real data only, is the fair
# baseline: it differs from MBPO only in having no model. At
# regular intervals (every 500 steps in the benchmark, every 250 in the live
# run below) we run the deterministic policy (the squashed mean) for five
# 200-step episodes with fixed start states. A pendulum swung up and balanced
# from a random start scores around $-150$; a policy that never swings it up
# scores below $-1{,}000$. The live run below uses one seed; the full
# benchmark eight.

# %% mystnb={"image": {"alt": "Two panels of evaluation return against real steps for MBPO, SAC alone at one update per step and SAC alone at five: left, this run (one seed); right, the full benchmark's mean and min-max over eight seeds, where SAC at five updates per step climbs highest, MBPO next and SAC at one update last."}}
env = gym.make("Pendulum-v1")
learner = sac.SACConfig(hidden=64, lr=3e-4, eval_every=250, eval_episodes=5)
live = {"mbpo_steps": budget(fast=500, full=3000), "sac_steps": budget(fast=500,
                                                                       full=5000)}
t0 = time.time()
mbpo_run = mbpo.train(env, mbpo.MBPOConfig(
    total_steps=live["mbpo_steps"], rollout_length=5, updates_per_step=5,
    eval_every=250, seed=0, sac=learner))
sac_run = sac.train(env, replace(learner, total_steps=live["sac_steps"]))
# the G-matched baseline: MBPO's learner and update ratio, no model
sac_g5_run = sac.train(env, replace(learner, total_steps=live["mbpo_steps"],
                                    updates_per_step=5))
print(f"trained MBPO and SAC (G=1, G=5) in {time.time() - t0:.0f} s")
print("MBPO returns:     ", np.round(mbpo_run.eval_returns).astype(int).tolist())
print("SAC G=1 returns:  ", np.round(sac_run.eval_returns).astype(int).tolist())
print("SAC G=5 returns:  ", np.round(sac_g5_run.eval_returns).astype(int).tolist())

fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6), layout="constrained", sharey=True)
axes[0].plot(mbpo_run.eval_steps, mbpo_run.eval_returns, "o-", label="MBPO, k=5, G=5")
axes[0].plot(sac_run.eval_steps, sac_run.eval_returns, "s-", label="SAC alone, G=1")
axes[0].plot(sac_g5_run.eval_steps, sac_g5_run.eval_returns, "^-",
             label="SAC alone, G=5")
axes[0].set_title("this run (one seed)")
if full_mbpo is not None:
    for name, label, marker in (("mbpo_k5", "MBPO, k=5, G=5", "o-"),
                                ("sac", "SAC alone, G=1", "s-"),
                                ("sac_g5", "SAC alone, G=5", "^-")):
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
# been run): the mean over eight seeds with the range shaded; the dotted line
# at $-250$ marks "swung up and held". In the benchmark MBPO does not clear
# that line reliably: at 3,000 real steps its mean is $-672$, 95 % interval
# $[-1{,}052, -322]$, with three seeds above the line ($-150$ to $-207$), a
# fourth close to it ($-302$) and four far below. SAC, with exactly the same
# learner but one update per step on real data only, is at $-838$
# $[-1{,}037, -630]$ after 5,000 steps, with no seed above the line: its
# best seed touched $-233$ at 4,000 steps and ended at $-714$. At equal real
# steps (3,000) MBPO is ahead of that SAC by 337, interval $[7, 648]$: above
# zero, but only just. The third arm changes the picture. SAC at $G = 5$,
# MBPO's learner and update ratio with no model, has a mean of $-229$ at
# 3,000 real steps, six seeds of eight above the line and two below ($-287$
# and $-560$); at 5,000 steps all eight are above it ($-98$ to $-239$, mean
# $-164$). At equal real steps (3,000) MBPO minus this SAC is $-443$,
# interval $[-827, -109]$, entirely below zero: MBPO is behind. The
# benchmark's claims, as measured:

# %%
if full_mbpo is not None:
    for t in full_mbpo["targets"]:
        mark = "met" if t["met"] else "not met"
        ci = t.get("ci")
        ci_text = f" [95% interval {ci[0]:.1f}, {ci[1]:.1f}]" if ci else ""
        print(f"{t['id']}: {t['measured']:.1f}{ci_text} ({t['op']} "
              f"{t['threshold']}: {mark})")

# %% [markdown]
# The comparison with SAC at $G = 1$ is not fair, and the unfairness favours
# MBPO. MBPO takes five gradient updates per real step and that SAC one, so
# the two differ in the model *and* in the number of updates. Recent
# model-free work shows how much the second alone can buy: SAC-style
# learners with many updates per step (REDQ {cite}`chen2021redq`) match
# MBPO's sample efficiency without any model. SAC at $G = 5$ isolates the
# update ratio, and on the pendulum it accounts for all of MBPO's gain and
# more: SAC at $G = 5$ minus SAC at $G = 1$ at 3,000 real steps is 781,
# interval $[659, 900]$, against MBPO's 337 $[7, 648]$. The five updates per
# step, not the model, carry the gain over SAC at $G = 1$, and adding the
# model data lowered the return. The budget is the caveat: 3,000 real
# steps, $G = 5$ instead of the paper's 20 to 40, and small networks; the
# paper measured its gains at far larger budgets, where a model may pay for
# itself.
#
# ## A fair baseline, on a MuJoCo task
#
# `benchmarks/ch07_mbpo_mujoco.py` runs the same three agents on gymnasium's
# InvertedDoublePendulum-v5 (a cart balancing two stacked poles; random
# actions topple it within a few dozen steps, the best policies score about
# 9,300 over 1,000 steps): MBPO ($k = 1$, $G = 5$, learned reward, the known
# termination from `mbrl_lessons.envs.mujoco_tasks`), SAC at $G = 5$ and SAC
# at $G = 1$, all with the same learner, over five seeds. In our code MBPO's
# learner *is* `SACAgent` with the same settings, so SAC at $G = 5$ is also
# "MBPO's learner fed real data only". The budget is small because the
# machine is: 3,000 real steps for SAC and 1,500 for MBPO (MBPO costs about
# 0.036 s of shared CPU per real step here, SAC at $G = 5$ about 0.018 s), and
# $G = 5$ instead of the paper's 20. The intervals are 95 % bootstrap
# intervals over the seeds, and a comparison counts as shown only if its
# whole interval lies above zero.

# %% mystnb={"image": {"alt": "Evaluation return against real steps on InvertedDoublePendulum for MBPO and SAC at two update ratios, mean and min-max over seeds, on a log-scale return axis."}}
def show_fair_arms(name: str, log_scale: bool) -> None:
    """Plot and print one fair-baseline benchmark's three arms from results/."""
    res = load_results(name)
    if res is None:
        print(f"benchmarks/{name}.py has not been run yet")
        return
    curves, cfg_m = res["extra"]["curves"], res["config"]
    fig, ax = plt.subplots(figsize=fig_size(3.6))
    for arm, label, marker in (("mbpo", "MBPO, k=1, G=5", "o-"),
                               ("sac_g", "SAC, G=5 (MBPO's learner, real data)",
                                "s-"),
                               ("sac_g1", "SAC, G=1", "^-")):
        r = np.array(curves[arm]["returns"])
        ax.plot(curves[arm]["steps"], r.mean(0), marker, label=label)
        ax.fill_between(curves[arm]["steps"], r.min(0), r.max(0), alpha=0.15)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("real environment steps")
    ax.set_ylabel("evaluation return" + (" (log scale)" if log_scale else ""))
    ax.set_title(f"{cfg_m['env_id']}: mean and min-max over {cfg_m['seeds']} seeds")
    ax.legend(fontsize=8)
    plt.show()
    N = cfg_m["sac_steps"]
    third = N // 3 - (N // 3) % cfg_m["eval_every"]
    for arm, step, text in (("mbpo", third, "MBPO at a third of SAC's steps"),
                            ("sac_g", N, "SAC G=5 at the end"),
                            ("sac_g1", N, "SAC G=1 at the end")):
        i = curves[arm]["steps"].index(step)
        vals = np.array([r[i] for r in curves[arm]["returns"]])
        lo, hi = bootstrap_ci([vals])
        print(f"{text:32s} mean {vals.mean():7.0f}  95% interval [{lo:7.0f}, "
              f"{hi:7.0f}]  seeds {np.round(vals).astype(int).tolist()}")
    for t in res["targets"]:
        lo, hi = t.get("ci") or (float("nan"), float("nan"))
        print(f"{t['id']:32s} mean {t['measured']:7.0f}  95% interval [{lo:7.0f}, "
              f"{hi:7.0f}]  {'met' if t['met'] else 'not shown'} (> 0)")


show_fair_arms("ch07_mbpo_mujoco", log_scale=True)

# %% [markdown]
# On this task the paper's claim does not hold at our budget, and the
# measurement says so with room to spare: MBPO's return at 1,000 real steps
# minus SAC-at-$G = 5$'s at 3,000 is $-2{,}009$, with a 95 % interval of
# $[-4{,}186, -170]$, entirely below zero. SAC at $G = 5$ is the clear winner.
# On two of the five seeds it already balances the poles for long stretches
# by 3,000 real steps (returns of 5,802 and 4,022); the other three are at
# 242 to 501, which is why its interval, $[321, 4{,}348]$, is so wide. MBPO,
# with the same learner and the same five updates per step, reaches 197
# $[160, 231]$ at 1,500 real steps, a few balancing steps more than random
# actions, and at those equal real steps it is behind SAC at $G = 5$ by 90
# $[-123, -63]$ (interval below zero). Against SAC at $G = 1$, the
# comparison the pendulum experiment made first, MBPO is ahead at equal steps by
# 91 $[57, 126]$, an interval above zero: the model data do help a learner
# that takes one update per step. But SAC at $G = 5$ gains more over SAC at
# $G = 1$ (returns of 287 against 105 at 1,500 steps, a gain of 181
# against MBPO's 91) than MBPO does, so on this task
# the five updates per step, not the model, carry the improvement, as they
# do on the pendulum, where MBPO minus SAC at $G = 5$ at equal real steps is
# $-443$ $[-827, -109]$. Two caveats keep
# this from being a verdict on MBPO. The budget is tiny by the paper's
# standards (it trains for 100,000 steps and more, with $G = 20$ and larger
# models), and a nine-dimensional state with a contact-force entry is a much
# harder regression target for a model fit on a few thousand transitions
# than the pendulum was. What the measurement does settle is the direction
# of the confound: before crediting a model with sample efficiency, give the
# model-free learner the same number of updates.
#
# Our SAC is checked against an external implementation,
# stable-baselines3's SAC {cite}`raffin2021sb3` at the same settings
# (`benchmarks/ch07_sac_reference.py`), so that "SAC wins" does not mean "our
# SAC was tuned and our MBPO was not" — or, the other way round, that our SAC
# is weak:

# %%
reference = load_results("ch07_sac_reference")
if reference is None:
    print("benchmarks/ch07_sac_reference.py has not been run yet")
else:
    tasks = reference["config"]["tasks"]
    for key, (m, lo, hi) in reference["extra"]["ci95"].items():
        task = tasks["hopper" if key.startswith("hopper_") else "idp"]
        print(f"{task['env_id']:26s} {key.removeprefix('hopper_'):8s} mean return "
              f"at {task['sac_steps']:6d} steps {m:7.0f}  95% interval "
              f"[{lo:7.0f}, {hi:7.0f}]")
    for t in reference["targets"]:
        print(f"{t['id']}: {'met' if t['met'] else 'MISSED'}")

# %% [markdown]
# The reference runs stable-baselines3 at the settings and seeds of our
# MuJoCo SAC arms, on both tasks, and asks, per update ratio, whether our
# SAC's mean return at the last step reaches at least 80 % of
# stable-baselines3's, with the whole bootstrap interval of the ratio above
# 0.8. On InvertedDoublePendulum (3,000 steps), at one update per step it
# does: the ratio is 1.09, interval 0.92 to 1.27, and the two learners'
# curves are level (means 200 and 184). At five updates per step our mean is
# 3.7 times stable-baselines3's (2,175 against 593), but the interval runs
# from 0.68 to 8.7. Two of our five seeds hold the poles up (5,802 and
# 4,022) and three do not (242 to 501), while stable-baselines3's seeds lie
# between 295 and 1,146; with five seeds of so bimodal an outcome the check
# is not shown either way. At one update per step it rules out the worry
# it was built for; at five the point estimate favours our SAC, but the
# interval does not rule out a weaker one. On Hopper (next
# section, 18,000 steps) the check passes at both ratios: at five updates
# per step our SAC averages 360 $[297, 465]$ against stable-baselines3's 324
# $[296, 354]$, a ratio of 1.11 $[0.86, 1.46]$; at one, 206 against 208,
# a ratio of 0.99 $[0.81, 1.23]$.
#
# ## Hopper: a task where SAC is slow
#
# InvertedDoublePendulum gave SAC at $G = 5$ little to learn after a few
# thousand steps, which leaves a model little room to save real steps.
# Hopper-v5 is the smallest of the paper's locomotion tasks: a one-legged
# robot that earns about 1 per step for staying up plus its forward speed,
# and whose episode ends when it falls (torso below 0.7 m or tilted by more
# than 0.2 rad; `hopper_termination`). SAC there is slow: the paper's
# Hopper runs take over a hundred thousand real steps.
# `benchmarks/ch07_mbpo_hopper.py` runs the same three arms on five seeds,
# SAC at $G = 5$ and $G = 1$ for 18,000 real steps and MBPO for 9,000, with
# settings fixed from the paper's Hopper recipe before any reported seed
# ran: $k = 1$ (the paper holds $k = 1$ for Hopper's first 20,000 steps),
# $G = 5$ instead of 20, SAC with two layers of 64 units instead of 256, and
# 1,000 random warm-up steps for every arm. The claim is tested as before:
# MBPO at 6,000 real steps, a third of SAC's, minus SAC at $G = 5$ after
# 18,000, paired by seed.

# %% mystnb={"image": {"alt": "Evaluation return against real steps on Hopper for MBPO and SAC at two update ratios, mean and min-max over seeds."}}
show_fair_arms("ch07_mbpo_hopper", log_scale=False)

# %% [markdown]
# The paper's claim is not shown on Hopper either. MBPO at 6,000 real steps
# minus SAC at $G = 5$ after 18,000 is $-122$, interval $[-262, 23]$: the
# interval reaches a little above zero, so the claim is not refuted at five
# seeds, but the estimate is on the wrong side. At equal real steps (9,000)
# MBPO scores 299 $[230, 369]$ and SAC at $G = 5$ 361 $[317, 405]$, a
# difference of $-62$ $[-154, 47]$: no effect of the model shown either way.
# Against SAC at $G = 1$, which has 199 $[176, 226]$ at 9,000 steps and 206
# $[168, 239]$ at 18,000, MBPO is ahead by 100 $[36, 161]$, an interval above
# zero. The pattern of InvertedDoublePendulum repeats: the model data help a
# learner that takes one update per step, and the extra updates alone help
# about as much (the gap between the two is not shown either way). None of the arms learned to hop far. SAC at $G = 5$
# stays between about 250 and 420 from 8,000 steps on, far below what the
# paper reports for Hopper with its larger networks, $G = 20$ and many more
# steps; at about 0.031 s per real step for SAC at $G = 5$ and 0.046 s for
# MBPO on this shared machine, the paper's budget is out of reach. What the run does show is
# where MBPO's reported gain can come from at a small budget: compared with
# SAC at one update per step it looks like sample efficiency, and the same
# learner at the same update ratio, with no model, was not shown to do
# worse.
#
# ## Rollout length: watching the model drift
#
# The bound predicts that the cost of a branch grows with its length,
# through the model error accumulated along it. We can watch that happen,
# because for the pendulum we know the true dynamics (`pendulum_step`,
# chapter 4). From 500 states of the real buffer we roll the trained model
# with the trained policy for 20 steps, replay the same actions through the
# true dynamics, and measure how far apart the two states are after each
# step.

# %%
show_source(branch_drift)

# %%
gen = torch.Generator().manual_seed(0)
starts = torch.as_tensor(mbpo_run.real_buffer.sample(500, np.random.default_rng(0)).obs)
drift = branch_drift(mbpo_run.model, lambda o: mbpo_run.agent.actor(o, gen)[0],
                           starts, 20, pendulum_step, gen).numpy()
print("model-vs-truth distance after 1, 5, 10, 20 steps:",
      ", ".join(f"{d:.4f}" for d in drift[[0, 4, 9, 19]]))

# %% [markdown]
# Use the slider to choose $k$. The left panel shows how far a branch of that
# length drifts from the truth (this run's model, and the full benchmark's
# final models if available); the shaded part is the error MBPO's learner
# actually sees. The right panel shows, from the full benchmark, the learning
# curves of MBPO with $k = 1$, $5$ and $20$ over the first 1,500 real steps,
# the chosen one in bold (mean over the eight seeds the ablation ran, for
# every $k$).

# %% mystnb={"image": {"alt": "Two panels. Left: the distance between model and true state along a branched rollout against model steps, with the chosen rollout length marked. Right: MBPO's evaluation return against real steps for each rollout length k from the benchmark."}}
ablation = {}
if full_mbpo is not None:  # the ablation's seeds only, for k = 5 as well
    n_seeds = full_mbpo["config"]["ablation_seeds"]
    ablation = {int(n.split("k")[1]): {"steps": c["steps"],
                                       "returns": c["returns"][:n_seeds]}
                for n, c in full_mbpo["extra"]["curves"].items()
                if n.startswith("mbpo_k")}


def draw_k(k=5):
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6), layout="constrained")
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
# the errors pile up, as the $k\,\epsilon_{m'}$ term of the bound says. In
# the benchmark the final $k = 5$ models drift 21 times farther after 20
# steps than after one (95 % interval $[16, 26]$ over eight seeds, the
# `model_error_compounds` target).
#
# Second, on the pendulum the ablation ranks nothing. At 1,500 real steps,
# $k = 5$ minus $k = 20$ is $-158$, interval $[-363, 46]$, and $k = 5$ minus
# $k = 1$ is $-38$ $[-200, 129]$, paired over eight seeds: both intervals
# contain zero, so neither the paper's "very long rollouts hurt" nor its
# opposite is shown here. Counted as runs that clear the $-250$ bar at 1,500
# steps, $k = 5$ and $k = 20$ solved one seed of eight each and $k = 1$ none
# (differences 0 $[-0.375, 0.375]$ and 0.125 $[0, 0.375]$ of the seeds,
# neither shown). That long branches did not measurably hurt is plausible
# here: the system is smooth, deterministic and three-dimensional, so the
# $k\,\epsilon_{m'}$ penalty may cost little. On the paper's MuJoCo tasks (contacts, tens
# of dimensions) the model error is much larger; the authors used $k = 1$
# on some of them and, on others, raised $k$ slowly from 1 as training went
# on; our Hopper run above uses $k = 1$ for that reason.
#
# Third, the spread is the story. Each evaluation episode either swings the
# pendulum up or does not, two outcomes far apart in return, and at 1,500
# real steps most runs are still learning the swing-up, so a mean of five
# episodes mostly counts how many happened to succeed; even with eight seeds
# per setting the intervals are a few hundred wide. The last exercise below
# asks how many seeds a fair ranking needs.

# %% [markdown]
# ## Summary
#
# MBPO feeds a model-free learner, soft actor-critic, with short rollouts of an
# ensemble model branched from real states, so that most of its many gradient
# updates use model data while no branch drifts far. In the benchmark MBPO
# held three seeds of eight above $-250$ at 3,000 real steps; SAC with one
# update per step ended 5,000 steps with none above it, and MBPO's lead over
# it at equal steps is shown, barely (337, interval $[7, 648]$). But that
# comparison mixes the model with the update count. The same learner with
# MBPO's five updates per step and no model held six seeds of eight above
# $-250$ at 3,000 real steps and all eight at 5,000, and at equal steps MBPO
# is behind it ($-443$, interval $[-827, -109]$): on the pendulum the update
# ratio, not the model, carries the gain over SAC at one update. The same
# holds on InvertedDoublePendulum, where SAC at five updates per step beat MBPO
# clearly; on Hopper no difference from MBPO was shown at equal steps, and MBPO at a
# third of SAC's steps was not shown ahead. All of this is at a budget far
# below the paper's. The drift of the model grows with the branch length,
# as the bound says, but the rollout-length ablation at 1,500 steps shows
# no ranking of $k = 1$, 5 and 20 either way.

# %% [markdown]
# ## Exercises
#
# The graded version of MBPO's branched rollouts is in [`exercises/ch07_modern.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch07_modern.ipynb) (see {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-ch07-mbpo-1
# Separate the model from the update ratio. The benchmark's third arm is
# plain SAC with `updates_per_step=5`; rerun it for one seed and compare its
# curve with MBPO's and with SAC at $G = 1$. Then try MBPO with
# `real_ratio=1.0`, which ignores the model buffer completely. Is it level
# with SAC at $G = 5$? What do the model data add to the extra updates, or
# cost them?
# ```
#
# ```{exercise}
# :label: ex-ch07-mbpo-2
# Break the model on purpose. Run MBPO with
# `train=replace(mbpo.MBPO_MODEL_TRAIN, steps=0)` (the ensemble keeps its
# random initial weights) and, separately, with a trained
# model but the known reward `reward_fn=pendulum_reward`. Before running,
# predict the effect of each on the learning curve. Then compute
# `branch_drift` for the untrained model and use the bound above to explain
# why $k = 1$ still does less damage than $k = 20$ with a useless model.
# ```
#
# ```{exercise}
# :label: ex-ch07-mbpo-3
# Make the rollout-length comparison trustworthy. Rerun $k \in \{1, 5, 20\}$
# with `train=replace(mbpo.MBPO_MODEL_TRAIN, beta=0.5)` (the beta-NLL our
# PETS uses, {doc}`§7.2 <ch07_2_pets>`) and with the default 0, on eight
# seeds each, and replace the mean return at 1,500 steps by the share
# of evaluation episodes that swing up. How many seeds does it take before
# the ranking of the three settings stops changing when you add more?
# ```

# %% [markdown]
# ## References
#
# MBPO is from Janner et al. {cite}`janner2019mbpo`; its learner, soft
# actor-critic, from Haarnoja et al. {cite}`haarnoja2018sac`.
