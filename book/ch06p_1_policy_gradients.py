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
# # P.1 Policy gradients and actor-critic
#
# *About 11 minutes: 10 to read, 1 to run at FAST.* Section 1 of {doc}`ch06p_model_free`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - derive the score-function (REINFORCE) gradient and say why only the rewards after a step belong in its weight;
# - explain why subtracting a baseline leaves the gradient unbiased and what it does to its variance;
# - compute generalised advantages from a critic, and say how termination and truncation differ in them;
# - read a learning curve of REINFORCE and of actor-critic on CartPole.
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
from mbrl_lessons.algorithms import policy_gradient as pg
from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once
full = load_results("ch06p_primer")

# %% [markdown]
# Chapter 7's Dreamer learns its behaviour with an actor and a critic, MBPO
# hands its model's rollouts to an actor-critic learner, and MuZero's policy
# head is trained much like an actor. All of them rest on one identity: the
# gradient of a policy's expected return can be estimated from samples of
# its own behaviour, without a model of the environment and without
# differentiating through it. This section derives that identity, turns it
# into the oldest algorithm that uses it, and then replaces the noisiest part
# with a learned critic.
#
# ## The score-function gradient
#
# Let a policy $\pi_\phi(a \mid s)$ with parameters $\phi$ generate
# trajectories $\tau = (s_0, a_0, r_0, s_1, \dots)$. Its objective is the
# expected discounted return $J(\phi) = \mathbb E_{\tau \sim \pi_\phi}[R(\tau)]$.
# The probability of a trajectory is a product of the start distribution,
# the policy's choices and the environment's transitions; only the policy's
# factors depend on $\phi$. Using $\nabla p = p\,\nabla \log p$,
#
# $$
# \nabla_\phi J = \mathbb E_\tau\Big[R(\tau) \sum_t \nabla_\phi \log \pi_\phi(a_t \mid s_t)\Big].
# $$
#
# The transition probabilities have dropped out: the gradient needs only the
# log-probabilities of the actions taken, which we can differentiate, and
# the returns, which we observe. That is why it is called *model-free*.
#
# One refinement matters a great deal in practice. An action taken at time
# $t$ cannot influence rewards received before $t$; those terms average to
# zero and only add noise. Dropping them gives the weight each log-probability
# really deserves, the discounted **return-to-go**
#
# $$
# \nabla_\phi J = \mathbb E\Big[\sum_t \nabla_\phi \log \pi_\phi(a_t \mid s_t)\, G_t\Big],
# \qquad G_t = \sum_{k \ge t} \gamma^{k-t} r_k .
# $$
#
# Williams called the resulting algorithm REINFORCE {cite}`williams1992reinforce`;
# the policy-gradient theorem of Sutton et al. {cite}`sutton2000pg` states the
# same result with the action value $Q^\pi(s_t, a_t)$ in place of $G_t$, of
# which $G_t$ is a one-sample estimate. The package computes $G_t$ in one
# backward pass over the episode:

# %%
show_source(pg.returns_to_go)

# %% [markdown]
# ## Baselines: same mean, less noise
#
# Any function $b(s_t)$ of the state alone can be subtracted from $G_t$
# without changing the expected gradient, because
# $\mathbb E_{a \sim \pi}[\nabla \log \pi(a \mid s)]\, b(s) = b(s)\,\nabla \sum_a \pi(a \mid s) = b(s)\,\nabla 1 = 0$.
# What it does change is the variance. If every reward is around 100, every
# sampled action gets pushed up hard, and only the small differences between
# the pushes carry information. With $b(s) \approx V^\pi(s)$ the weight
# $A_t = G_t - b(s_t)$, an estimate of the **advantage**, is positive for
# actions that did better than usual in that state and negative for worse
# ones.
#
# The widget shows this on the smallest possible problem: a two-armed bandit
# with a policy $\pi(a{=}1) = \sigma(\phi)$, where arm 0 pays $c + 1$ and arm 1
# pays $c + 2$, each with unit Gaussian noise. Each histogram collects 20,000
# one-sample gradient estimates $(r - b)\,\partial_\phi \log \pi(a)$ at
# $\phi = 0$. Move the baseline $b$ and the reward offset $c$: the mean stays
# at the true gradient, the spread does not.

# %% mystnb={"image": {"alt": "Histogram of one-sample REINFORCE gradient estimates for a reward offset c and baseline b, with the true gradient 0.25 as a dashed line; the spread of the estimates shrinks when the baseline matches the offset."}}
def gradient_samples(offset, baseline, n=20_000, seed=0):
    """One-sample score-function estimates of dJ/dphi at phi = 0."""
    rng = np.random.default_rng(seed)
    p1 = 0.5                                   # sigma(0)
    a = rng.random(n) < p1                     # arm 1 with probability p1
    r = offset + np.where(a, 2.0, 1.0) + rng.normal(size=n)
    score = np.where(a, 1 - p1, -p1)           # d/dphi log pi(a) for a sigmoid
    return (r - baseline) * score


def draw_baseline(offset=10.0, baseline=0.0):
    g = gradient_samples(offset, baseline)
    fig, ax = plt.subplots(figsize=fig_size(3.2))
    ax.hist(g, bins=120, range=(-12, 12), color="tab:blue", alpha=0.8)
    ax.axvline(0.25, color="k", ls="--", label="true gradient 0.25")
    ax.set_xlabel("one-sample gradient estimate")
    ax.set_ylabel("count")
    ax.set_title(f"offset c = {offset:g}, baseline b = {baseline:g}: "
                 f"mean {g.mean():.3f}, std {g.std():.2f}")
    ax.legend(loc="upper right")
    plt.tight_layout()


live_figure(draw_baseline, caption="The variance of REINFORCE's estimate.",
            offset=widgets.FloatSlider(value=10.0, min=0.0, max=20.0, step=1.0,
                                       description="offset c"),
            baseline=widgets.FloatSlider(value=0.0, min=0.0, max=20.0, step=0.5,
                                         description="baseline b"))

# %% [markdown]
# With no baseline and an offset of 10 the estimates split into two humps
# near $\pm 5.5$, and the true gradient of $0.25$ is a small difference
# between them: thousands of samples are needed to see its sign. Setting
# $b$ near the mean reward, $c + 1.5$, collapses the spread to about $0.5$.
# In the agent we cannot know the mean reward of each state, so we *learn*
# it: a second network $V_w(s)$ regresses on the returns-to-go by least
# squares, and its prediction is the baseline.
#
# ## REINFORCE in the package
#
# `train_reinforce` samples a batch of whole episodes with the current
# policy, computes $G_t$ for every step, subtracts $V_w(s_t)$ (and, a common
# stabiliser, rescales the batch's advantages to unit variance), takes one
# gradient step on
# $-\frac1N\sum_t \log\pi_\phi(a_t \mid s_t)\, A_t$, and then refits $V_w$ to
# the batch's returns. The loss is only a device to obtain the gradient: its
# value means nothing by itself.

# %%
show_source(pg.train_reinforce)

# %% [markdown]
# ## From returns to a critic
#
# REINFORCE must wait for the end of an episode and its weights carry all the
# randomness of the rest of it. An **actor-critic** uses the learned value
# function not just as a baseline but as a substitute for the future. The
# one-step temporal-difference error
#
# $$
# \delta_t = r_t + \gamma V_w(s_{t+1}) - V_w(s_t)
# $$
#
# is itself an estimate of the advantage, with far less variance than
# $G_t - V_w(s_t)$ but biased wherever $V_w$ is wrong. The **generalised
# advantage estimator** {cite}`schulman2016gae` blends the two with a
# parameter $\lambda \in [0, 1]$,
#
# $$
# A_t^{\lambda} = \sum_{k \ge 0} (\gamma\lambda)^k\, \delta_{t+k},
# $$
#
# so that $\lambda = 0$ gives the TD error and $\lambda = 1$ gives the
# return-to-go minus the value. Dreamer's $\lambda$-returns in §7.4 are the
# same construction written for values instead of advantages.
#
# Two kinds of episode end must be kept apart. When the pole *falls*
# (termination) there is no future, so $V(s_{t+1})$ must not be counted:
# $\delta_t = r_t - V(s_t)$. When the episode is merely *cut* by a time limit
# (truncation), the state still has a future that the critic can estimate,
# so $\delta_t$ keeps $\gamma V(s_{t+1})$; only the sum over $k$ must stop
# there, since the next step belongs to a new episode. The package writes
# both rules into one backward loop:

# %%
show_source(pg.gae_advantages)

# %% [markdown]
# `train_actor_critic` collects `n_steps` transitions, computes their
# advantages with the critic's current values, and takes one gradient step on
# the sum of three losses: the policy-gradient term, the critic's squared
# error against $A_t^\lambda + V_w(s_t)$, and a small entropy bonus that
# delays the policy's collapse onto one action. This is the synchronous
# advantage actor-critic (A2C) with one environment.
#
# ## Experiment: REINFORCE, its baseline, and actor-critic on CartPole
#
# CartPole pays $+1$ for every step the pole stays up, up to 500. We train
# the three learners with the same networks (two hidden layers of 64 units)
# for the same number of real steps and score the greedy policy on five
# fixed start states.

# %% mystnb={"image": {"alt": "Greedy return on CartPole against real steps for the policy-gradient variants of this page, one seed."}}
steps = budget(fast=6_000, full=30_000)
runs = {
    "REINFORCE + baseline": pg.train_reinforce(
        "CartPole-v1", pg.REINFORCEConfig(total_steps=steps, eval_every=steps // 6)),
    "REINFORCE, no baseline": pg.train_reinforce(
        "CartPole-v1", pg.REINFORCEConfig(total_steps=steps, eval_every=steps // 6,
                                          baseline=False)),
    "actor-critic": pg.train_actor_critic(
        "CartPole-v1", pg.ActorCriticConfig(total_steps=steps,
                                            eval_every=steps // 6)),
}
fig, ax = plt.subplots(figsize=fig_size(3.5))
for name, res in runs.items():
    ax.plot(res.eval_steps, res.eval_returns, "o-", label=name)
ax.set_xlabel("real steps")
ax.set_ylabel("greedy return (5 episodes)")
ax.set_title(f"CartPole-v1, one seed, {steps} steps")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
for name, res in runs.items():
    print(f"{name:>24}: {len(res.episode_returns)} training episodes, "
          f"{res.seconds:.0f} s, last evaluation {res.eval_returns[-1]:.0f}")

# %% [markdown]
# One seed at a small budget is an anecdote: policy gradients are noisy
# enough that two seeds of the same learner often cross. The claims below
# rest on the full-budget benchmark `benchmarks/ch06p_primer.py`, ten seeds
# per learner with 95% bootstrap intervals over seeds.

# %% mystnb={"image": {"alt": "Full benchmark: greedy return on CartPole against real steps for each policy-gradient variant, mean over seeds."}}
def plot_full(names, payload, ax):
    for name in names:
        c = payload["extra"]["curves"][name]
        ret = np.asarray(c["returns"], float)
        mean = ret.mean(0)
        ax.plot(c["x"], mean, label=name)
        ax.fill_between(c["x"], ret.min(0), ret.max(0), alpha=0.15)
    ax.set_xlabel("real steps")
    ax.set_ylabel("greedy return")
    ax.legend()
    ax.grid(alpha=0.3)


if full is None:
    print("No full-budget result yet: run `python benchmarks/ch06p_primer.py`.")
else:
    fig, ax = plt.subplots(figsize=fig_size(3.5))
    plot_full(["REINFORCE + baseline", "REINFORCE, no baseline", "actor-critic"],
              full, ax)
    ax.set_title(f"Full budget: mean over {full['config']['n_seeds']} seeds "
                 "(band: min to max)")
    plt.show()
    keep = ("reinforce_final", "reinforce_no_baseline", "actor_critic",
            "reinforce_baseline")
    display(Markdown(targets_markdown(
        {**full, "targets": [t for t in full["targets"]
                             if t["id"].startswith(keep)]})))

# %% [markdown]
# Without a baseline REINFORCE climbs faster than with one, to a mean of 348
# at 12,000 steps, and then rises only slowly, to 400 at 30,000: three seeds
# that had reached 500 fall back to 206, 269 and 348 at the last evaluation
# (final scores, the mean of the last two evaluations, 202, 306 and 368),
# and the final score is 391 (95% interval [320, 456]). With the learned
# baseline it climbs more slowly, is still rising at the end of the run,
# and ends at 438 [412, 466], its lowest seed at 388. Both clear the 195
# bar. Actor-critic reaches the cap on every seed; on nine of the ten it
# falls back at least once (the tenth holds 500 from 21,000 steps on): its
# greedy return swings between 500 and a hundred or two from one evaluation
# to the next (once down to 20), the price of bootstrapping from a critic
# that is still moving. Its final mean, 289, has an interval [207, 369]
# that lies above 195, so at ten seeds it clears the bar, though narrowly:
# four seeds end near 140, below it. The baseline's benefit, so plain in
# the widget, does not show at this scale: the difference in mean return
# over the run, baseline minus none, is −7 [−40, 26], an interval that
# includes zero. Part of the reason is our own configuration. With
# `normalize=True` the advantages of each batch are shifted to mean zero,
# which is itself a constant baseline, so the "no baseline" variant is not
# baseline-free; the learned $V(s)$ adds only its dependence on the state,
# and on CartPole, where every step pays the same, that matters less than it
# does on tasks whose rewards differ between states.

# %% [markdown]
# ## Summary
#
# The policy gradient is an expectation over the policy's own behaviour of
# $\nabla \log \pi(a_t \mid s_t)$ times a weight; the environment's dynamics
# never need to be known or differentiated. REINFORCE uses the return-to-go
# as the weight, and a learned baseline $V(s_t)$ removes most of its variance
# without adding bias. Actor-critic goes further and replaces the future by
# the critic's estimate, trading variance for bias through GAE's $\lambda$.
# Termination removes the bootstrap term; truncation keeps it and only stops
# the sum. Dreamer (§7.4) trains exactly such an actor and critic, but on
# trajectories imagined by its model.
#
# ## Exercises
#
# Graded: `ch06p_reinforce_advantage` and `ch06p_gae` in
# `exercises/ch06p_model_free.ipynb` (see {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-primer-baseline
# In the widget, find the baseline that minimises the standard deviation for
# offsets 0, 10 and 20. Is it exactly the mean reward $c + 1.5$? Work out the
# variance of $(r - b)\,\partial_\phi \log \pi(a)$ at $\phi = 0$ as a function
# of $b$ and find its minimiser.
# ```
#
# ```{exercise}
# :label: ex-primer-normalize
# Repeat the baseline comparison with `normalize=False` in both variants, on
# five seeds at 30,000 steps. Does the learned baseline now make a
# measurable difference?
# ```
#
# ```{exercise}
# :label: ex-primer-lambda
# Train `train_actor_critic` with $\lambda \in \{0, 0.5, 0.95, 1\}$ on three
# seeds each at 20,000 steps. Which $\lambda$ learns fastest on CartPole, and
# how does the spread between seeds change with $\lambda$?
# ```
#
# ## References
#
# REINFORCE is due to Williams {cite}`williams1992reinforce`; the policy-gradient
# theorem with function approximation to Sutton et al. {cite}`sutton2000pg`;
# generalised advantage estimation to Schulman et al. {cite}`schulman2016gae`.
# Chapter 13 of Sutton and Barto {cite}`sutton2018rl` covers all three.
