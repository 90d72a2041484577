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
# *About 6 minutes: 5 to read, 1 to run at FAST.* Section 5.2 of {doc}`ch05_model_learning`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - explain why a model trained by mean squared error predicts outcomes that never happen when a transition has several outcomes;
# - write the Gaussian negative log-likelihood and say what a Gaussian model can and cannot represent;
# - fit a mixture density network and compare the three models by test likelihood and by where their samples land.
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

from mbrl_lessons import budget
from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.viz import live_figure
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
# ## Summary
#
# Squared error is minimised by the conditional mean, and on a transition with
# two outcomes the mean is a state that never occurs. Fitting a distribution by
# maximum likelihood repairs this in steps: a Gaussian reports how much spread
# there is but keeps one mode, while a mixture density network puts mass on
# each outcome and has by far the lowest test negative log-likelihood. Which
# model is right depends on whether the world's randomness has one mode or
# several.

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
