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
# # 7.1 World Models
#
# *About 13 minutes: 12 to read, 1 to run at FAST.* Section 7.1 of {doc}`ch07_modern`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - describe the V, M and C parts of World Models and why C is kept tiny;
# - write the ELBO of a VAE and the loss of an MDN-RNN, and sample a mixture with a temperature;
# - train a controller by CMA-ES entirely inside a learned model from pixels, and check its dream returns against reality.
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
import numpy as np
import torch

from mbrl_lessons import budget
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# How World Models is put together. The diagram follows the book's colours:
# the real environment in orange, learned model parts in blue, planning or
# imagination in green, the policy or controller in purple.

# %% mystnb={"image": {"alt": "Architecture diagram of World Models: the real environment gives frames to the VAE, which encodes them as latent codes z for the MDN-RNN; the RNN's imagined latents drive the dream, where the controller acts; CMA-ES reads the dream returns and sets new controller weights; after training the controller acts in the real environment."}} tags=["hide-input"]
from mbrl_lessons.viz.diagrams import architecture

architecture("world_models");

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
# - **V (vision)** compresses a frame $o_t$ into a code $z_t$: a variational
#   autoencoder (VAE) {cite}`kingma2014vae`.
# - **M (memory)** predicts what comes next in code space: an LSTM whose hidden
#   state $h_t$ summarises the past, topped by a mixture density network
#   (MDN) {cite}`bishop1994mdn` that gives a *distribution* over the next code
#   (an MDN-RNN).
# - **C (controller)** maps $[z_t, h_t]$ to an action. It is a single linear
#   map, so that almost all the capacity, and all the learning from data,
#   lives in V and M. C is found by CMA-ES {cite}`hansen2016cma`, a
#   black-box evolution strategy that needs only the return of each candidate.
#
# (The primer teaches each piece: the VAE's ELBO and the LSTM in
# {doc}`ch06p_4_vae_rnn`, CMA-ES in {doc}`ch06p_5_cma_es`.)
#
# **Our task** is the pendulum of chapter 4 seen only through the camera of
# {doc}`§5.7 <ch05_7_state_abstraction>`: each observation is one grey 24 × 24 frame
# (`mbrl_lessons/PixelPendulum-v0`). One frame shows the angle but not the
# speed, so C must rely on M's memory $h_t$ for it. The variant
# `PixelPendulumKicks-v0` adds rare events: at each step, with probability
# 0.05, the pendulum's speed is kicked by ±3 rad/s. The paper's Doom world had
# such events (fireballs), and they are what a too-confident dream leaves out.
# The frames are small and the networks tiny (a 4-number code, 32 LSTM units,
# 37 weights in C) so that a full run fits this course's CPU budget.

# %%
from mbrl_lessons.algorithms.world_models import (
    Dream,
    Reality,
    WorldModelsConfig,
    cma_in_dream,
    eval_starts,
    fit_world_model,
    random_baseline,
    rollout_returns,
    task_of,
)
from mbrl_lessons.core.seeding import stream_seed, torch_generator
from mbrl_lessons.envs.pixel_pendulum import frame_angle
from mbrl_lessons.models.mdn import MDNRNN, mdn_sample
from mbrl_lessons.models.vae import vae_loss

# %% [markdown]
# ## V: a variational autoencoder
#
# V and M together are the model, so their weights are $\theta$'s, as
# everywhere in the book (C, the policy, gets $\phi$). The encoder maps a
# frame $x$ to a Gaussian over codes,
# $q_{\theta_e}(z \mid x) = \mathcal N(\mu_{\theta_e}(x), \operatorname{diag}\sigma^2_{\theta_e}(x))$;
# the decoder maps a code back to pixel probabilities $\hat x_{\theta_d}(z)$.
# Training maximises the evidence lower bound (ELBO) on the log-likelihood of
# each frame,
#
# $$
# \log p_{\theta_d}(x) \;\ge\; \mathbb E_{q_{\theta_e}(z\mid x)}\big[\log p_{\theta_d}(x \mid z)\big]
# - \beta\, \mathrm{KL}\big(q_{\theta_e}(z \mid x)\,\|\,\mathcal N(0, I)\big),
# \qquad
# \mathrm{KL} = \tfrac12 \sum_j \big(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\big),
# $$
#
# with $\beta = 1$ (the bound itself; we state it because many VAEs change it).
# The expectation is estimated with one draw $z = \mu + \sigma \odot
# \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$, which keeps the sample
# differentiable in $\mu$ and $\sigma$ (the reparameterisation trick). We read
# each grey level as the probability that a pixel is lit, so $-\log p(x \mid z)$
# is a binary cross-entropy summed over pixels. The paper used a squared
# error; on our frames, a thin bright rod on black, that loss sat on the
# blurred mean frame for hundreds of steps, and the cross-entropy did not. M and
# C see the posterior mean $\mu_{\theta_e}(x)$.

# %%
show_source(vae_loss)

# %% [markdown]
# ## M: an MDN-RNN
#
# An LSTM reads the code and the action, $h_{t+1} = \mathrm{LSTM}([z_t, a_t], h_t)$,
# and a linear head on $h_{t+1}$ gives $K = 5$ mixture weights, means and
# standard deviations for the normalised change of code
# $y_t = (z_{t+1} - z_t - m)/s$ ($m$, $s$ the mean and spread of the changes in
# the data), plus a predicted reward $\hat r_t$:
#
# $$
# p_{\theta_M}(y_t \mid h_{t+1}) = \sum_{k=1}^{K} \pi_k\,
# \mathcal N\big(y_t;\ \mu_k,\ \operatorname{diag}\sigma_k^2\big),
# \qquad \pi = \operatorname{softmax}(\ell),
# \qquad
# \mathcal L(\theta_M) = -\log p_{\theta_M}(y_t \mid h_{t+1}) + (\hat r_t - r_t)^2 .
# $$
#
# The negative log-likelihood is a log-sum-exp over components, trained on
# windows of 32 recorded steps read from a zero memory, as an episode starts.
# The pendulum never ends early, so M has no "done" output; a task that ends
# would add a Bernoulli head here.
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
# heaviest component wins every draw and its noise vanishes: a deterministic
# dream in which a rare component, a kick, never happens. Above 1 rare
# components are picked more often and every component is wider.

# %%
show_source(mdn_sample)

# %%
show_source(MDNRNN.loss)

# %% [markdown]
# ## C: evolution in the dream
#
# C is $a_t = 2\tanh\big(w^\top [\tilde z_t, h_t] + b\big)$, 37 weights
# $\phi = (w, b)$ ($\tilde z$ the normalised code). CMA-ES maximises the dreamed
# return $\hat J_\tau(\phi) = \mathbb E\big[\sum_t \hat r_t\big]$, where the
# codes come from M's samples at temperature $\tau$ and the rewards from M's
# reward head, starting from codes of recorded real first frames. One loop
# serves the dream and reality alike: only the source of the next code and
# reward changes.

# %%
show_source(rollout_returns)

# %% [markdown]
# The danger is plain from the objective: $\hat J_\tau$ is the return *in the
# model*. An optimiser that sees only $\hat J_\tau$ will find behaviour that the
# model gets wrong in the controller's favour, the *model exploitation* that
# scheme v1.0 met in chapter 4. The paper saw it in a dreamed Doom: at low
# $\tau$ the agent found moves after which the monsters never fired. Their
# remedy was the temperature: a noisier dream is harder to exploit.
#
# ## The experiment, at the FAST budget
#
# Random torques on the kicked task, V on the frames, M on V's codes, then
# CMA-ES in the dream at $\tau = 1$. At the FAST budget everything is far too
# short to learn a swing-up; the cells show that the pipeline runs and what
# each piece looks like. The full-budget numbers follow.

# %%
task = task_of("mbrl_lessons/PixelPendulumKicks-v0")
cfg = WorldModelsConfig(n_random_episodes=budget(fast=12, full=50),
                        vae_steps=budget(fast=200, full=1000),
                        mdn_steps=budget(fast=200, full=2000),
                        generations=budget(fast=6, full=40),
                        popsize=budget(fast=8, full=16), eval_every=budget(fast=2, full=10),
                        n_eval=budget(fast=16, full=64))
wm = fit_world_model(task, cfg)
print(f"{cfg.n_random_episodes * cfg.episode_len} random transitions; "
      f"V's loss (recon + KL) {wm.vae_log[-20:, 0].mean():.1f}, M's NLL "
      f"{wm.mdn_log[-20:, 0].mean():.2f}")

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two rows of pendulum frames: real frames from the pixel pendulum on top and, below each, the VAE's reconstruction from its short latent code."}}
frames = wm.data.frames[0, :60:10]
with torch.no_grad():
    recon = wm.vae.decode(wm.vae.code(frames))
fig, axes = plt.subplots(2, len(frames), figsize=fig_size(2.8))
for i in range(len(frames)):
    axes[0, i].imshow(frames[i], cmap="gray", vmin=0, vmax=1)
    axes[1, i].imshow(recon[i], cmap="gray", vmin=0, vmax=1)
    for ax in axes[:, i]:
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_ylabel("frame")
axes[1, 0].set_ylabel("V's recon.")
plt.suptitle("Real frames (top) and V's reconstructions from 4-number codes")
plt.show()

# %%
phi, trace = cma_in_dream(wm, task, cfg)
rand = random_baseline(task, cfg)
print(f"CMA-ES mean after {cfg.generations} generations: dream {trace.dream[-1]:.0f}, "
      f"real {trace.real[-1]:.0f}; random torques {rand:.0f}")

# %% tags=["hide-input"] mystnb={"image": {"alt": "First figure: two rows of decoded pendulum frames every five steps, the real episode of the controller on top and the dream of the same controller from the same first frame below. Second figure: left, the angle read from each frame over the steps, real against dreamed; right, returns against CMA-ES generation: the best candidate in the dream, the CMA-ES mean in the dream and in reality, and random torques as a dotted line."}}
ph = torch.as_tensor(phi, dtype=torch.float32)[None]
start = eval_starts(cfg)[:1]
real_world = Reality(wm.vae, cfg.task(task), start,
                     torch_generator(stream_seed(cfg.seed, "eval_kicks")))
_, real_codes = rollout_returns(ph, wm.model, real_world, 40, record=True)
dream_world = Dream(wm.model, real_codes[:, 0], 1.0,
                    torch_generator(stream_seed(cfg.seed, "eval_dream")))
_, dream_codes = rollout_returns(ph, wm.model, dream_world, 40, record=True)
steps = range(0, 40, 5)
with torch.no_grad():
    real_img = wm.vae.decode(real_codes[0, list(steps)])
    dream_img = wm.vae.decode(dream_codes[0, list(steps)])
fig, axes = plt.subplots(2, len(steps), figsize=fig_size(2.4))
for i, t in enumerate(steps):
    axes[0, i].imshow(real_img[i], cmap="gray", vmin=0, vmax=1)
    axes[1, i].imshow(dream_img[i], cmap="gray", vmin=0, vmax=1)
    axes[0, i].set_title(f"t={t}", fontsize=8)
    for ax in axes[:, i]:
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_ylabel("real")
axes[1, 0].set_ylabel("dream")
plt.suptitle("The same controller from the same first frame: real vs dreamed (decoded)")
plt.show()
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=fig_size(3.2), layout="constrained")
ax1.plot(np.degrees(frame_angle(real_img).numpy()), "o-", label="real")
ax1.plot(np.degrees(frame_angle(dream_img).numpy()), "s--", label="dream (τ = 1)")
ax1.set_xticks(range(len(steps)), [str(t) for t in steps])
ax1.set_xlabel("step")
ax1.set_ylabel("angle read from the frame (deg)")
ax1.legend()
ax2.plot(np.arange(1, len(trace.best_dream) + 1), trace.best_dream, label="best in population (dream)")
ax2.plot(trace.generation, trace.dream, "o-", label="CMA-ES mean, dream")
ax2.plot(trace.generation, trace.real, "s-", label="CMA-ES mean, real")
ax2.axhline(rand, color="grey", ls=":", label="random torques")
ax2.set_xlabel("CMA-ES generation")
ax2.set_ylabel("return")
ax2.legend(fontsize=7)
plt.show()

# %% [markdown]
# The left panel reads the angle back from the decoded frames of one real
# episode and of its dream from the same first frame; the right panel is the
# CMA-ES curve: the best dreamed return in each generation, and the mean
# controller scored in the dream and, on the side, in reality.
#
# ## The full-budget run
#
# `benchmarks/ch07_world_models.py` repeats this on five seeds, with 50 random
# episodes, V trained for 1,000 steps, M for 2,000, and CMA-ES for 40
# generations of 16 candidates times 16 dreams, at $\tau = 0.1$ and
# $\tau = 1$ on the kicked task. It also trains the same C by CMA-ES in the
# real task as a diagnostic: what this controller class reaches with a
# perfect dream. The claims it checks: C trained only in the dream gets a real
# return at least half-way from random torques to chapter 4's MPC with the
# true model; the dream-minus-real gap is larger at $\tau = 0.1$ than at
# $\tau = 1$; and $\tau = 1$ transfers better. Sizes were shrunk from the
# paper's (64 × 64 colour frames, a 32-number code, 256 LSTM units) so that
# all five seeds need well under an hour of one core.

# %% mystnb={"image": {"alt": "Full benchmark: return against CMA-ES generation for each dream temperature, dashed in the dream and solid in reality, mean over seeds, with random torques as a dotted line."}}
full = load_results("ch07_world_models")
if full is None or "in_reality_final" not in full["extra"]:
    print("No full-budget result of the pixel version yet: run "
          "`python benchmarks/ch07_world_models.py`.")
else:
    ex = full["extra"]
    for t in full["targets"]:
        lo, hi = t.get("ci", (t["measured"], t["measured"]))
        print(f"[{'MET ' if t['met'] else 'MISS'}] {t['id']}: {t['measured']:.1f} "
              f"(95% CI {lo:.1f} to {hi:.1f}) {t['op']} {t['threshold']:.1f}")
    print(f"random torques {np.mean(ex['random_return']):.0f}; C trained in "
          f"reality (diagnostic) {np.mean(ex['in_reality_final']):.0f}")
    fig, ax = plt.subplots(figsize=fig_size(3.4))
    for i, tau in enumerate(full["config"]["taus"]):
        runs = ex["traces"][str(tau)]
        g = np.array(runs[0]["generation"])
        ax.plot(g, np.mean([r["dream"] for r in runs], 0), "o--", color=f"C{i}",
                label=f"τ = {tau}, dream")
        ax.plot(g, np.mean([r["real"] for r in runs], 0), "s-", color=f"C{i}",
                label=f"τ = {tau}, real")
    ax.axhline(np.mean(ex["random_return"]), color="grey", ls=":", label="random")
    ax.set_xlabel("CMA-ES generation")
    ax.set_ylabel("return (mean of seeds)")
    ax.legend(fontsize=7)
    plt.show()

# %% [markdown]
# **What the numbers say.** The printout above is the measurement; one
# claim of four was met. The controller trained only in the dream at
# $\tau = 1$ earned a mean real return of about −1266 on the kicked task,
# *below* random torques (about −1180): it did not get half-way to the MPC
# ceiling (`real_return_tau1`), and over the five seeds it was worse than
# random by 87, with an interval of about 19 to 163 below it
# (`beats_random_tau1`). The dream was exploited at both temperatures: the
# CMA-ES mean's dreamed return sat above its real return on all five seeds
# at $\tau = 0.1$ and on three of five at $\tau = 1$. That gap was larger
# at the low temperature, by about 193 on average with an interval of about
# 58 to 327 over the seeds, so `lowest_tau_largest_gap` holds: a calm dream
# is easier to exploit, as the paper found. The second half of the paper's
# finding did not show. Whether $\tau = 1$ transfers better than
# $\tau = 0.1$ stays open: its mean real return was lower by about 43, and
# the interval, from about −136 to +46, straddles zero
# (`higher_tau_transfers_better` missed). Neither dream was good enough to
# train a controller that works, so neither temperature could transfer one.
#
# Short development runs showed why. M's one-step predictions did follow the
# torque, but its open-loop dreams drifted from the real codes within about
# ten steps (half a second), the drift the left panel above shows at the FAST
# budget. A dream that forgets the pendulum's state so fast cannot carry a
# 200-step swing-up. The earlier state-based version of this page (V the
# identity, M a memoryless mixture on the true state) did swing the pendulum up
# from the dream. So the difficulty lies in learning the state from pixels, and
# the speed from memory, with a model this small and this little data.
#
# The diagnostic, C trained by CMA-ES in reality on the same $[z, h]$
# features, helps to separate the culprits. It reached about −900 to −1010
# after 40 generations, better than random torques but also far from a
# swing-up. So the linear controller on these features is a second limit
# beside the dream, and a longer search did not lift it in one pilot run
# (seed 0, `PixelPendulum-v0` without kicks, actions held two steps): after
# 150 generations of 24 candidates in reality C reached −964, against −1218
# for random torques. The whole benchmark needed about eight and a half
# minutes of CPU (94 to 124 s per seed), so there is room for a small
# nonlinear C and more data for M; that is where we would start.
#
# ## When random data are not enough
#
# Everything above used random-policy data only. Whenever a good controller
# reaches states a random one rarely does, M is asked to predict where it has
# no data, which is exactly where a dream is easiest to exploit. The paper's
# answer is *iterative training*: run the current controller (with some
# exploration noise) in the real environment, add those episodes to the data,
# refit M, and continue CMA-ES from the current controller. That loop is chapter
# 4's scheme v1.0 with a policy in place of a plan, and it leads to the
# algorithms of the rest of this chapter, which interleave data collection and
# learning far more tightly.

# %% [markdown]
# ## Summary
#
# World Models splits an agent into a VAE V that compresses frames into codes,
# an MDN-RNN M that predicts the next code and the reward as a mixture sampled
# at a temperature, and a linear controller C evolved with CMA-ES inside M's
# dreams. V is trained on the ELBO, M on the mixture's log-likelihood; the
# temperature decides whether rare events such as a kick happen in the dream.
# The return a controller earns inside a model is a forecast, and the real
# return, measured on the same starts, is what counts.

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-ch07-world-models-1
# Write the negative ELBO of a batch by hand: the summed binary cross-entropy
# of each frame plus $\beta$ times the closed-form KL of a diagonal Gaussian to
# $\mathcal N(0, I)$. Check it against `vae_loss` on random inputs, then train
# V with $\beta \in \{0, 1, 4\}$ and compare the reconstructions and how well a
# linear probe reads $(\cos\vartheta, \sin\vartheta)$ (the angle, written
# $\vartheta$ beside the model's $\theta$) from the codes.
# ```
#
# ```{exercise}
# :label: ex-ch07-world-models-2
# Implement sampling from a mixture at temperature $\tau$ (`mdn_sample`). For a
# fitted M on the kicked task, measure how often a draw picks a component other
# than the heaviest at $\tau \in \{0.1, 0.5, 1, 1.5\}$, and how often the
# dreamed code jumps as a kick would. Explain the link to the gap between dream
# and reality.
# ```
#
# The graded versions of the first two, the negative ELBO (`ch07_vae_elbo`) and
# sampling a mixture at a temperature (`ch07_mdn_temperature`), are in
# [`exercises/ch07_world_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch07_world_models.ipynb) (see {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-ch07-world-models-3
# Add one round of iterative training: run the dream-trained C with Gaussian
# torque noise (sd 0.3) for 20 real episodes, add them to the data, refit M,
# and continue CMA-ES from C. Does the gap between dream and reality shrink?
# ```

# %% [markdown]
# ## References
#
# World Models is from Ha and Schmidhuber {cite}`ha2018worldmodels`; the VAE
# and its ELBO from Kingma and Welling {cite}`kingma2014vae`; mixture density
# networks from Bishop {cite}`bishop1994mdn`; LSTMs from Hochreiter and
# Schmidhuber {cite}`hochreiter1997lstm`; CMA-ES is described by Hansen
# {cite}`hansen2016cma`.
