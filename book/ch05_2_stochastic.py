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
# # 5.2 Stochastic transitions
#
# *About 12 minutes: 9 to read, 3 to run at FAST.* Section 5.2 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - explain why a model trained by mean squared error predicts outcomes that never happen when a transition has several outcomes;
# - write the Gaussian negative log-likelihood and say what a Gaussian model can and cannot represent;
# - fit a mixture density network and compare the three models by test likelihood and by where their samples land;
# - fit a conditional VAE $p(s' \mid s, a)$ by its ELBO, recognise posterior collapse, and score a model by how far its samples are from the world's.
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
import torch

from IPython.display import Markdown, display

from mbrl_lessons import budget
from mbrl_lessons.analysis import generative
from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results
from mbrl_lessons.models.vae import ConditionalVAE
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
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

# %% mystnb={"image": {"alt": "Three panels over the same bimodal data (grey points, next state against input): a mean-squared-error model predicts the mean, which falls between the two branches; a Gaussian model covers both with one wide band; samples from a mixture model fall on both branches."}}
sto = ml.stochastic_fits(n=budget(fast=600, full=1500), epochs=budget(fast=100,
                                                                     full=200))
x_data, y_data = ml.bimodal_data(400, seed=3)
grid = torch.linspace(-1, 1, 200)[:, None]
gen = torch.Generator().manual_seed(0)
with torch.no_grad():
    point = sto.point(grid)[:, 0]
    g_mean, g_var = sto.gaussian(grid)
    mix_samples = torch.stack([sto.mixture.sample(grid, gen) for _ in range(3)])


def draw_stochastic(model="all three"):
    names = ["MSE", "Gaussian", "mixture"] if model == "all three" else [model]
    fig, axes = plt.subplots(1, len(names), figsize=fig_size(3.6),
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

# %% [markdown]
# ## A generative model: the conditional VAE
#
# The mixture names its modes in advance: $K = 2$ components for two
# outcomes. A *generative* model with a latent variable leaves that to
# learning. A conditional variational autoencoder (VAE) writes the
# transition as an average over a hidden cause $z$,
#
# $$
# p_\theta(s' \mid s, a) = \int p_\theta(s' \mid s, a, z)\,
# \mathcal N(z; 0, I)\, dz ,
# $$
#
# with a Gaussian *decoder* $p_\theta(s' \mid s, a, z)$: $z$ carries the
# randomness that $(s, a)$ leaves open (here, the coin), so one network
# can put its mass on several outcomes. The integral has no closed form, so
# an *encoder* $q_\psi(z \mid s, a, s')$, a Gaussian that guesses which $z$
# produced an observed $s'$, gives the evidence lower bound we met in
# {doc}`ch06p_4_vae_rnn` (§P.4 derives it), now conditioned on $(s, a)$:
#
# $$
# \log p_\theta(s' \mid s, a) \;\ge\;
# \mathbb E_{q_\psi}\big[\log p_\theta(s' \mid s, a, z)\big]
# - \beta\, \mathrm{KL}\big(q_\psi(z \mid s, a, s') \,\|\, \mathcal N(0, I)\big),
# \qquad \beta = 1 .
# $$
#
# We keep the KL weight at $\beta = 1$, where the right-hand side *is* the
# bound; the latent has one dimension, enough for a coin. Training
# minimises the negative bound with one reparameterised draw
# $z = \mu_\psi + \sigma_\psi \varepsilon$; sampling a next state needs only
# the prior and the decoder: $z \sim \mathcal N(0, I)$, then
# $s' \sim p_\theta(s' \mid s, a, z)$.

# %%
show_source(ConditionalVAE.elbo_terms)

# %% [markdown]
# The test likelihood of §5.2's table says how much probability a model
# gives to outcomes that happened. A planner that *samples* from the model
# needs more: its samples should look like the world's. We measure that
# directly. At 21 inputs $x$ across $[-1, 1]$ we draw 400 next states from
# the model and 400 from the true $p(s' \mid x)$, and take the 1-D
# Wasserstein distance between the two samples (`scipy.stats.wasserstein_distance`:
# the average distance a unit of probability must travel to turn one sample
# into the other). 0 is a perfect match; predicting the mean of the two
# outcomes scores about 0.6, their distance from it. The run below fits all
# four models to one seed's data at the FAST budget.

# %% mystnb={"image": {"alt": "Four panels over the same bimodal data (grey points): samples of the MSE model (one curve between the branches), the Gaussian model (a wide cloud), the mixture and the conditional VAE, each titled with its Wasserstein distance to the true next states."}}
gen_run = generative.generative_run(n=budget(fast=600, full=1500),
                                    epochs=budget(fast=100, full=200),
                                    vae_epochs=budget(fast=150, full=300), seed=0)
draw_from = generative.samplers(gen_run.fits, gen_run.cvae)
x_rep = grid.repeat(3, 1)
with torch.no_grad():
    model_samples = {name: draw(x_rep, torch.Generator().manual_seed(1))
                     for name, draw in draw_from.items()}


def draw_generative(model="all four"):
    names = list(draw_from) if model == "all four" else [model]
    fig, axes = plt.subplots(1, len(names), figsize=fig_size(3.2),
                             sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        ax.scatter(x_data, y_data, s=4, color="0.6")
        ax.scatter(x_rep[:, 0], model_samples[name], s=4, color="r")
        ax.set_title(f"{name}: W = {gen_run.distance[name]:.2f}", fontsize=9)
        ax.set_xlabel("$x$")
    axes[0, 0].set_ylabel("$y = s_{t+1}$ (red: model samples)")
    plt.tight_layout()


live_figure(draw_generative, caption="Samples of each model (red) over the data "
            "(grey), titled with the Wasserstein distance W to the true next states.",
            model=widgets.ToggleButtons(options=["all four", *draw_from],
                                        value="all four"))

# %%
print(f"VAE: test NLL {gen_run.vae_test_nll:.2f} (importance-sampled, 100 draws), "
      f"KL term {gen_run.vae_kl:.2f} nats per transition")

# %% [markdown]
# Read the KL term first. If it is well above 0, the encoder tells the
# decoder which outcome it saw, the decoder has learned to send $z < 0$ to
# one branch and $z > 0$ to the other, and the VAE's samples sit on both
# branches, with a few in between where $z$ is near 0. If it is close to 0,
# the VAE has suffered **posterior collapse**: the decoder ignores $z$ and
# is just a Gaussian model again, with the Gaussian's test likelihood and
# the Gaussian's samples. Collapse is a stable point of the ELBO: while the
# decoder ignores $z$, any information the encoder puts into $z$ costs KL
# and buys nothing, so there is almost no gradient to leave it. Which of the two a
# fit ends in depends on the initial weights and the minibatches. The step
# size matters too: in our first trials, at the Adam step of
# $3 \times 10^{-3}$ the other models use, the VAE collapsed, so it trains
# at $10^{-3}$.
#
# The full-budget benchmark `benchmarks/ch05_vae.py` repeats the four fits
# on ten seeds (1,500 transitions; 300 epochs for the VAE):

# %% tags=["hide-input"]
full_vae = load_results("ch05_vae")
if full_vae is None:
    print("No full-budget result yet: run `python benchmarks/ch05_vae.py`.")
else:
    kl = full_vae["extra"]["vae_kl"]
    w_vae = full_vae["extra"]["sample_distance"]["VAE"]
    w_mix = full_vae["extra"]["sample_distance"]["mixture"]
    print("seed            " + " ".join(f"{i:5d}" for i in range(len(kl))))
    print("VAE KL (nats)   " + " ".join(f"{v:5.2f}" for v in kl))
    print("VAE distance    " + " ".join(f"{v:5.2f}" for v in w_vae))
    print("mixture distance" + " ".join(f"{v:5.2f}" for v in w_mix))
    display(Markdown(targets_markdown(full_vae)))

# %% [markdown]
# The ten seeds split cleanly in two. On four of them the VAE escaped
# collapse: its KL term is about one nat per transition (a coin needs
# $\log 2 \approx 0.7$), its samples are about 0.1 (0.095 to 0.114) from the world's,
# and its test negative log-likelihood, about $-0.5$, is far below the
# Gaussian's 0.9. On the other six the KL term is 0.00 and the VAE *is* the
# Gaussian model, at the same distance of 0.29. So on average the VAE's
# samples are closer to the world's than the Gaussian's (the difference and
# its interval are below 0 in the table), but they are not as close as the
# mixture's: the target of half the Gaussian's distance is missed, with an
# interval of about 0.55 to 0.93 of it. Even when it escapes, the VAE stays
# behind the mixture (about 0.1 against 0.04 to 0.07), because its decoder must
# turn a continuous $z$ into two separate branches and spends some samples
# in the gap between them, where $z$ is near 0. When you know the number of
# outcomes, a mixture is the simpler and better model; a VAE earns its cost
# when the outcomes are high-dimensional, such as frames, where no one
# writes the modes down (§5.7 and World Models in §7.1).

# %% [markdown]
# ## Summary
#
# Squared error is minimised by the conditional mean, and on a transition with
# two outcomes the mean is a state that never occurs. Fitting a distribution by
# maximum likelihood repairs this in steps: a Gaussian reports how much spread
# there is but keeps one mode, while a mixture density network puts mass on
# each outcome and has by far the lowest test negative log-likelihood. Which
# model is right depends on whether the world's randomness has one mode or
# several. A conditional VAE learns the modes through a latent cause instead
# of naming them, at the price of a bound to optimise and of posterior
# collapse, in which its decoder ignores the latent and it is a Gaussian
# again; scoring each model by the distance between its samples and the
# world's shows which of them a planner could sample from.

# %% [markdown]
# ## Exercises
#
# The graded version of the Gaussian negative log-likelihood is in [`exercises/ch05_models.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch05_models.ipynb) (see {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-ch05-nll
# Write the Gaussian negative log-likelihood for a diagonal covariance by
# hand and check it against `torch.nn.functional.gaussian_nll_loss(...,
# full=True)`. Then train `GaussianMLP` on §5.2's data *without* the soft
# bounds on the log-variance (set `min_logvar=-30`). What happens to the
# training loss and to the predicted variance near the data points, and why?
# ```

# %% [markdown]
# ## References
#
# Mixture density networks are due to Bishop {cite}`bishop1994mdn`; variational
# autoencoders to Kingma and Welling {cite}`kingma2014vae`.
