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
# # P.5 Evolution strategies: CMA-ES on a small controller
#
# *About 9 minutes: 8 to read, 1 to run at FAST.* Section 5 of {doc}`ch06p_model_free`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - describe one generation of CMA-ES: sample, rank, recombine, adapt the step size and the covariance;
# - say when a gradient-free search over a policy's parameters is a sensible choice, and what it costs in episodes;
# - evolve a linear CartPole controller with the `cma` package through the book's `cma_es.train`.
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
import cma
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from mbrl_lessons import budget
from mbrl_lessons.algorithms import cma_es
from mbrl_lessons.analysis.report import targets_markdown
from mbrl_lessons.core.results import load_results
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

full = load_results("ch06p_primer")

# %% [markdown]
# The learners so far follow gradients: of a log-probability (§P.1), of a
# regression loss (§P.2), of a critic (§P.3). World Models (§7.1) trains its
# controller differently. The controller is tiny, a linear map from the
# model's state to the action, and its return inside the model is a noisy,
# non-differentiable function of its weights. For a search space of tens to
# a few thousand parameters, an **evolution strategy** that only *evaluates*
# candidate weights is simple, robust to noise and easy to run in parallel.
#
# ## One generation of CMA-ES
#
# The covariance matrix adaptation evolution strategy
# {cite}`hansen2001cma,hansen2016cma` keeps a Gaussian search distribution
# $\mathcal N(m, \sigma^2 C)$ over the parameters $\theta \in \mathbb R^n$. Each
# generation:
#
# 1. **Sample** $\lambda$ candidates $\theta_k = m + \sigma y_k$,
#    $y_k \sim \mathcal N(0, C)$.
# 2. **Rank** them by fitness (here: mean episode return; `cma` minimises, so
#    we hand it the negative).
# 3. **Recombine**: the new mean is a weighted average of the best $\mu$
#    candidates, $m \leftarrow m + \sigma \sum_{i=1}^{\mu} w_i\, y_{i:\lambda}$, with
#    positive weights that decrease with rank.
# 4. **Adapt the step size** by comparing the length of an *evolution path*
#    $p_\sigma$ (an exponentially smoothed sum of recent mean steps, whitened
#    by $C^{-1/2}$) with its expected length under random selection: long
#    paths mean consistent progress, so $\sigma$ grows; short, zig-zagging
#    paths mean overshooting, so $\sigma$ shrinks,
#    $\sigma \leftarrow \sigma \exp\big(\tfrac{c_\sigma}{d_\sigma}(\lVert p_\sigma\rVert / \mathbb E\lVert\mathcal N(0,I)\rVert - 1)\big)$.
# 5. **Adapt the covariance** towards the directions that paid:
#    $C \leftarrow (1 - c_1 - c_\mu) C + c_1\, p_c p_c^\top + c_\mu \sum_i w_i\, y_{i:\lambda} y_{i:\lambda}^\top$,
#    a rank-one term from the evolution path and a rank-$\mu$ term from
#    this generation's winners.
#
# Because only the *ranks* of the fitnesses enter, the method is unchanged by
# any monotone transformation of the return, and a few wildly lucky episodes
# cannot dominate an update. The learning rates $c_\sigma, d_\sigma, c_1,
# c_\mu$ and the weights have well-tested defaults that depend only on $n$.
#
# The widget runs `cma` on a long, tilted valley in two dimensions,
# $f(\theta) = (\theta_1 + \theta_2 - 2)^2 + 25\,(\theta_1 - \theta_2)^2$, from
# $m = (-3, 3)$. Step through the generations: the samples (dots) and the
# one-standard-deviation ellipse of $\sigma^2 C$ first stretch along the
# valley, then shrink onto the minimum at $(1, 1)$.

# %% mystnb={"image": {"alt": "One CMA-ES generation on a tilted two-dimensional valley: contours of the objective, the sampled candidates in orange, the distribution mean as a black cross and its covariance ellipse, and the minimum as a red star."}}
def valley(theta):
    t = np.asarray(theta)
    return (t[0] + t[1] - 2) ** 2 + 25 * (t[0] - t[1]) ** 2


def record_cma(generations=30, seed=0):
    rng = np.random.default_rng(seed)
    es = cma.CMAEvolutionStrategy([-3.0, 3.0], 1.0, {
        "popsize": 8, "seed": np.nan, "verbose": -9,
        "randn": lambda *shape: rng.standard_normal(shape)})
    frames = []
    for _ in range(generations):
        xs = es.ask()
        frames.append((np.array(es.mean), es.sigma ** 2 * np.array(es.C),
                       np.array(xs)))
        es.tell(xs, [valley(x) for x in xs])
    return frames


FRAMES = record_cma()


def draw_generation(generation=0):
    mean, cov, xs = FRAMES[generation]
    g1, g2 = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-5, 5, 200))
    f = (g1 + g2 - 2) ** 2 + 25 * (g1 - g2) ** 2
    fig, ax = plt.subplots(figsize=fig_size(4.6, 5.2))
    ax.contour(g1, g2, np.log10(f + 1e-3), levels=15, cmap="Greys", linewidths=0.7)
    vals, vecs = np.linalg.eigh(cov)
    t = np.linspace(0, 2 * np.pi, 100)
    ring = vecs @ (np.sqrt(vals)[:, None] * np.stack([np.cos(t), np.sin(t)]))
    ax.plot(mean[0] + ring[0], mean[1] + ring[1], "tab:blue")
    ax.plot(xs[:, 0], xs[:, 1], ".", color="tab:orange", ms=8, label="samples")
    ax.plot(*mean, "k+", ms=12, label="mean m")
    ax.plot(1, 1, "r*", ms=12, label="minimum")
    ax.set_xlim(-5, 5)
    ax.set_ylim(-5, 5)
    ax.set_aspect("equal")
    ax.set_title(f"generation {generation}: sigma = {np.sqrt(vals.max()):.3f} "
                 "(longest axis)")
    ax.legend(fontsize=8, loc="lower right")
    plt.tight_layout()


live_figure(draw_generation, caption="CMA-ES on a tilted valley.",
            generation=widgets.IntSlider(value=6, min=0, max=len(FRAMES) - 1,
                                         description="generation"))

# %% [markdown]
# ## A controller for CartPole
#
# `cma_es.train` evolves a controller for any gymnasium environment with a
# 1-D `Box` observation. The controller is linear, $y = W s + b$, or a small
# $\tanh$ network; a `Discrete` action is $\arg\max y$ and a `Box` action is
# $\tanh(y)$ scaled to the bounds. For CartPole that is $4 \times 2 + 2 = 10$
# parameters. The fitness of a candidate is its mean return over a few
# episodes, and all candidates of one generation meet the *same* start states
# (common random numbers), so that their ranking reflects the controllers
# rather than the luck of the draw.

# %%
show_source(cma_es.train)

# %% mystnb={"image": {"alt": "Two panels against CMA-ES generation for a controller on CartPole: the return of the distribution mean and of the best candidate, and the step size sigma."}}
cfg = cma_es.CMAESConfig(generations=budget(fast=8, full=20), popsize=16,
                         episodes_per_eval=3)
res = cma_es.train("CartPole-v1", cfg)
fig, axes = plt.subplots(1, 2, figsize=fig_size(3.4))
axes[0].plot(res.generations, res.mean_returns, "o-", label="distribution mean")
axes[0].plot(res.generations, res.best_returns, "s--", label="best candidate")
axes[0].set_ylabel("return")
axes[0].legend(fontsize=8)
axes[1].plot(res.generations, res.sigmas, "o-")
axes[1].set_ylabel("step size sigma")
for ax in axes:
    ax.set_xlabel("generation")
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()
print(f"{res.episodes} fitness episodes in {res.seconds:.0f} s; final mean's "
      f"return {res.mean_returns[-1]:.0f}; weights {np.round(res.theta, 2)}")

# %% [markdown]
# A linear controller is enough for CartPole, and in our runs CMA-ES finds
# one that balances for most of the 500 steps within about ten generations,
# a few hundred fitness episodes (the ten seeds below show how reliably). Counted in episodes this looks cheap, but each of those
# episodes may be 500 steps long: once the controllers get good, CMA-ES
# spends tens of thousands of real steps per generation to compare them.
# That is why World Models runs it inside the learned model, where episodes
# cost no real interaction. The full-budget benchmark runs ten seeds:

# %% mystnb={"image": {"alt": "Full benchmark: return of the CMA-ES distribution mean against generation, each seed thin and their mean as a thick green line."}}
if full is None:
    print("No full-budget result yet: run `python benchmarks/ch06p_primer.py`.")
else:
    c = full["extra"]["curves"]["CMA-ES"]
    ret = np.asarray(c["returns"], float)
    fig, ax = plt.subplots(figsize=fig_size(3.3))
    ax.plot(c["x"], ret.T, color="tab:green", alpha=0.4, lw=1)
    ax.plot(c["x"], ret.mean(0), color="tab:green", lw=2.5, label="mean of seeds")
    ax.set_xlabel("generation")
    ax.set_ylabel("return of the distribution mean")
    ax.legend()
    ax.grid(alpha=0.3)
    plt.show()
    print("fitness episodes per seed:", full["extra"]["episodes"]["CMA-ES"])
    display(Markdown(targets_markdown(
        {**full, "targets": [t for t in full["targets"]
                             if t["id"].startswith("cma_es")]})))

# %% [markdown]
# ## When to reach for an evolution strategy
#
# Evolution strategies ignore the structure that gradient methods exploit:
# they do not use the individual rewards, the time at which they came, or the
# gradient of a model. What they get in exchange is robustness. The fitness
# may be noisy, discontinuous or computed by a simulator with no gradient,
# and the search parallelises trivially, one candidate per worker (Salimans
# et al. {cite}`salimans2017es` scaled a simpler ES to thousands of cores).
# The cost grows with the number of parameters: CMA-ES keeps an $n \times n$
# covariance and needs more generations as $n$ grows, so it suits controllers
# of up to a few thousand weights, which is exactly how World Models uses it.
#
# ## Summary
#
# CMA-ES samples candidate parameters from a Gaussian, ranks them by fitness,
# moves the mean towards the winners, and adapts both the step size (from
# the length of the evolution path) and the covariance (towards directions
# that paid). Ranking makes it invariant to how the fitness is scaled. On
# CartPole it evolves a ten-parameter linear controller in a few
# generations, at a cost counted in whole episodes, which World Models pays
# inside its model instead of the real world.
#
# ## Exercises
#
# Graded: `ch06p_cma_update` (one generation's new mean and covariance,
# steps 3 and 5 above) in `exercises/ch06p_model_free.ipynb` (see
# {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-primer-cma-popsize
# Run `cma_es.train` on CartPole with `popsize` 4, 16 and 64 at a fixed total
# of 1,000 fitness episodes (choose `generations` accordingly) on three seeds.
# Which population size wins, and how many real steps did each use?
# ```
#
# ```{exercise}
# :label: ex-primer-cma-pendulum
# Try `cma_es.train` on `Pendulum-v1` with a linear controller and with
# `hidden=8`. Can a linear controller swing the pendulum up? Why not? Compare
# with the controller that World Models evolves in §7.1.
# ```
#
# ## References
#
# CMA-ES is due to Hansen and Ostermeier {cite}`hansen2001cma`; Hansen's
# tutorial {cite}`hansen2016cma` gives the full update with its default
# settings, and the `cma` package used here is his implementation. Salimans
# et al. {cite}`salimans2017es` ran evolution strategies at scale on RL tasks.
