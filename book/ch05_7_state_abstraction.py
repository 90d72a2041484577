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
# # 5.7 State abstraction
#
# *About 16 minutes: 14 to read, 2 to run at FAST.* Section 5.7 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - write the three losses of a latent model (reconstruction, prediction, latent consistency) and say what each is for;
# - forecast a pendulum from pixels in a learned latent space and measure the forecast by angle and by pixel error;
# - probe a learned code for the state, and explain why planning in the code is cheaper than planning through pixels.
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
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
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
#   compounds ({doc}`section 5.6 <ch05_6_multistep>` met the same effect in state space).
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
# ## Why two frames
#
# A single picture shows where the rod is, not where it is going: a rod at
# rest and a rod swinging through the same angle look identical, yet their
# futures differ. This is partial observability ({doc}`section 5.4 <ch05_4_partial_observability>`), and the
# cheapest remedy listed there, a window of recent observations, is enough
# here. The pendulum's integrator first updates the velocity and then moves
# the angle with it, $\vartheta_{t+1} = \vartheta_t + \Delta t\,\dot\vartheta_{t+1}$
# (on this page the angle is $\vartheta$, because $\theta$ names the model's
# weights, as everywhere in the book), so two consecutive angles pin down the
# current velocity exactly:
# $\dot\vartheta_{t+1} = (\vartheta_{t+1} - \vartheta_t)/\Delta t$. Our observation is
# therefore the pair $o_t = (x_t, x_{t+1})$ of frames $x$.
#
# ## The model
#
# Three networks, together the model, with parameters
# $\theta = (\theta_e, \theta_f, \theta_d)$: an encoder, a latent transition
# written as a residual, and a decoder,
#
# $$
# z_t = e_{\theta_e}(o_t), \qquad
# \hat z_{t+1} = f_{\theta_f}(z_t, a_t) = z_t + g_{\theta_f}(z_t, a_t), \qquad
# \hat o_t = d_{\theta_d}(z_t).
# $$
#
# Starting from $\hat z_t = z_t$ and applying $f_{\theta_f}$ $k$ times along the
# recorded actions gives $\hat z_{t+k}$. Training minimises, on windows of
# $K+1$ observations,
#
# $$
# \mathcal L =
# \underbrace{\ell\big(d_{\theta_d}(z_t), o_t\big)}_{\text{reconstruction}}
# + \frac{1}{K}\sum_{k=1}^{K} \Big[
# \underbrace{\ell\big(d_{\theta_d}(\hat z_{t+k}), o_{t+k}\big)}_{\text{prediction}}
# + \underbrace{\big\|\hat z_{t+k} - \operatorname{sg}[e_{\theta_e}(o_{t+k})]\big\|^2}_{\text{latent consistency}}
# \Big],
# $$
#
# where $\ell$ is the binary cross-entropy summed over pixels (the negative
# log-likelihood of a Bernoulli image model) and $\operatorname{sg}$ stops the
# gradient. Reconstruction keeps in $z$ what is needed to redraw the picture.
# Prediction makes the transition useful: a predicted code must decode to
# the frame that really came next, $K$ steps on (training through several
# steps is {doc}`section 5.6 <ch05_6_multistep>`'s remedy against compounding error). Consistency asks
# a predicted code to land where the encoder would put the real observation,
# so that the transition does not drift into regions of latent space that
# the decoder has never been trained on. The stop-gradient makes that last
# term train the transition alone, a choice shared with self-predictive
# representations {cite}`schwarzer2021spr`; otherwise the encoder could shrink
# the gap simply by shrinking its codes. Unlike World Models and PlaNet, our
# model is deterministic; so is the pendulum, and leaving the noise out keeps
# the implementation short.

# %% mystnb={"image": {"alt": "A row of eight small grey-scale images of the pendulum at different angles, the pixel observations the model learns from."}}
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
fig, axes = plt.subplots(1, 8, figsize=fig_size(1.6))
for ax, th, img in zip(axes, angles, render_pendulum(angles), strict=True):
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"ϑ = {np.degrees(th):.0f}°", fontsize=8)
    ax.axis("off")
plt.suptitle("What the model sees (ϑ = 0 is upright)", fontsize=9)
plt.show()

# %% [markdown]
# The frames are drawn procedurally: a pixel's brightness falls off linearly
# over one pixel with its distance to the rod or the bob. Those soft edges
# matter. A fast pendulum moves its bob by a few pixels per step and a slow
# one by a fraction of a pixel; with hard edges a small motion would often
# change no pixel at all, and the velocity would be invisible in the pair.
# The whole batch is one torch expression, so drawing is also cheap, which
# matters in chapter 7, where the pixel agents render every frame they see.
# The cell below times 5,000 frames on one thread of the machine running
# this page (best of three tries).

# %%
thetas = torch.linspace(-np.pi, np.pi, 5_000)  # one thread: set at the top
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    render_pendulum(thetas)
    best = min(best, time.perf_counter() - t0)
print(f"render_pendulum: {len(thetas) / best:,.0f} frames of 24 x 24 a second "
      "on one thread of this machine")

# %% [markdown]
# The loss, as the package computes it:

# %%
show_source(latent_losses)

# %% [markdown]
# ## Training
#
# The encoder and decoder are MLPs with two hidden layers of 128 units, the
# code has $d = 6$ numbers, and the transition is an MLP of the same depth.
# Training unrolls the transition $K = 4$ steps. The FAST build trains for a
# few hundred steps; the full budget for 5,000.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Training curves of the latent model, log scale: reconstruction loss and multi-step prediction loss per observation against Adam steps, both falling."}}
lat_cfg = LatentConfig(n_steps=budget(fast=700, full=5000))
lat_run = train_latent(px_train, lat_cfg)
lat_model = lat_run.model
print(f"{lat_cfg.n_steps} Adam steps in {lat_run.seconds:.0f} s")

fig, ax = plt.subplots(figsize=fig_size(3.2))
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
# ## Forecasting in latent space
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

# %% tags=["hide-input"] mystnb={"image": {"alt": "A grid of pendulum frames: the true frames for 0 to 10 steps ahead in the top row, the latent model's rollout in the middle row and a rollout through decoded pixels in the bottom row."}}
ep, shown = 0, range(0, 11)
rows = {"true": true_frames[ep], "latent rollout": pred.frames[ep],
        "through pixels": looped.frames[ep]}
fig, axes = plt.subplots(3, len(shown), figsize=fig_size(3.9))
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

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels against steps ahead: the median angle error in degrees and the pixel mean-squared error of the latent rollout and of the rollout through pixels."}}
steps = np.arange(K + 1)
fig, axes = plt.subplots(1, 2, figsize=fig_size(3.8))
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

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two rows of five pendulum frames ten steps ahead: the true frames on top and the latent rollout's predictions below, each titled with its angle error in degrees."}}
def draw_horizon(k=10):
    fig, axes = plt.subplots(2, 5, figsize=fig_size(4.2))
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
# ## What the code has learned
#
# Nobody told the encoder what an angle is. Does its code contain one? A
# *linear probe* answers: fit a least-squares map from $z$ to
# $(\cos\vartheta, \sin\vartheta)$ on the training episodes and measure $R^2$ on the
# test episodes. An $R^2$ near 1 means the angle can be read off the code by
# a linear map. The same probe on the codes of an untrained encoder (random
# weights) says how much of that comes for free from the pixels. We probe the
# velocity the same way, and plot the code's first two principal components
# coloured by the true angle and velocity.

# %% mystnb={"image": {"alt": "Two scatter plots of the test observations' latent codes on their first two principal components, coloured by the true angle (left, the points form a ring ordered by angle) and by the true velocity (right)."}}
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
print(f"linear probe R^2: (cos ϑ, sin ϑ) {r2_angle:.3f} (untrained encoder "
      f"{r2_untrained:.3f}), velocity {r2_vel:.3f}")

centred = z_test - z_test.mean(0)
pcs = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
fig, axes = plt.subplots(1, 2, figsize=fig_size(4.2))
for ax, colour, label, cmap in (
        (axes[0], np.arctan2(s_test[:, 1], s_test[:, 0]), "true angle ϑ", "twilight"),
        (axes[1], s_test[:, 2], "true velocity", "coolwarm")):
    sc = ax.scatter(pcs[:, 0], pcs[:, 1], c=colour, cmap=cmap, s=4)
    plt.colorbar(sc, ax=ax, label=label)
    ax.set_xlabel("latent PC 1")
    ax.set_ylabel("latent PC 2")
plt.tight_layout()
plt.show()

# %% [markdown]
# The angle is there, and mostly linearly: the probe reads most of the
# variance of $(\cos\vartheta, \sin\vartheta)$ from the code, far more than it
# reads from an untrained encoder (the full-budget values are in the table on
# the chapter page, {doc}`ch05_model_learning`). Going round the figure, the colour changes
# continuously, so the codes form a loop ordered by angle, a bent copy of the
# circle $(\cos\vartheta, \sin\vartheta)$; the bend is what a linear map cannot
# undo. Near the hanging
# position, where weak random torques keep the pendulum most of the time and
# its velocity varies most, the loop widens, and the velocity separates the
# codes there (right). The velocity is encoded (the forecasts above would be
# impossible otherwise), but far from linearly, so the linear probe reads it
# poorly. A low probe score means "not linearly decodable", not "absent".
#
# ## Why this pays off for planning
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
# ## Summary
#
# A latent model encodes each picture into a few numbers, predicts in that
# space and decodes only when asked. Trained with reconstruction, multi-step
# prediction and a latent consistency term, ours forecasts the pixel pendulum
# 20 steps ahead from one encoded observation, far better than copying the last
# frame or going through pixels at every step; its late forecasts are blurred,
# because a deterministic decoder hedges. A linear probe finds the angle in the
# code, the velocity only non-linearly, and one latent step is much cheaper than
# one step through pixels, which is what a planner needs.

# %% [markdown]
# ## Exercises
#
# The graded version of the latent consistency loss with its stop-gradient is in [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb) (see {doc}`ch00_checking_your_work`). The exercises below go further than the grader does.
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
# compared with ten? Which part of {doc}`section 5.4 <ch05_4_partial_observability>` does this illustrate? Then try
# `latent_dim` 2 and 3 with two frames: the pendulum's states form a
# cylinder, which fits in a plane as an annulus; does $d = 2$ suffice in
# practice?
# ```

# %% [markdown]
# ## References
#
# World Models {cite}`ha2018worldmodels`, PlaNet {cite}`hafner2019planet` and
# Dreamer {cite}`hafner2020dreamer` learn latent models from pixels; the
# stop-gradient consistency target follows self-predictive representations
# {cite}`schwarzer2021spr`.
