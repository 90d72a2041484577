"""Plots shared by the chapters: grid values/policies and learning curves."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from mbrl_lessons.core.types import LearningCurve
from mbrl_lessons.envs.gridworld import ARROWS
from mbrl_lessons.viz.style import FIG_WIDTH, fig_size


def plot_grid_values(env, V: np.ndarray, policy: np.ndarray | None = None, ax=None,
                     title: str = "", cmap: str = "viridis", annotate: bool = True):
    """Heat-map of ``V [S]`` on the grid, with the greedy ``policy [S]`` as arrows.

    Walls are dark grey, goals are outlined green, traps red; terminal cells
    show no arrow.  ``env`` is a :class:`~mbrl_lessons.envs.gridworld.GridWorld`.
    """
    base = getattr(env, "unwrapped", env)
    V = np.asarray(V, dtype=float)
    if V.shape != (base.n_states,):
        raise ValueError(f"V must have shape ({base.n_states},), got {V.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=fig_size(0.7 * base.n_rows + 0.6,
                                              min(FIG_WIDTH, 0.7 * base.n_cols + 1.5)))
    # terminal cells are worth 0 by definition: colouring them would make a
    # trap look attractive, so they are masked and drawn as coloured tiles
    hidden = base.wall_mask | base.terminal_mask
    grid = np.ma.masked_array(V.reshape(base.n_rows, base.n_cols),
                              mask=hidden.reshape(base.n_rows, base.n_cols))
    cm = plt.get_cmap(cmap).copy()
    cm.set_bad("#3a3a3a")
    im = ax.imshow(grid, cmap=cm)
    plt.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="value")
    for s in range(base.n_states):
        r, c = base.cell_of(s)
        if base.wall_mask[s]:
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color="#3a3a3a"))
            continue
        if base.goal_mask[s] or base.trap_mask[s]:
            colour = "limegreen" if base.goal_mask[s] else "red"
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=colour,
                                       edgecolor="white", linewidth=1.5))
            ax.text(c, r, "G" if base.goal_mask[s] else "T", ha="center",
                    va="center", color="white", fontweight="bold")
        elif policy is not None:
            ax.text(c, r + (0.18 if annotate else 0), ARROWS[int(policy[s])],
                    ha="center", va="center", color="white", fontsize=13)
        if annotate and not (base.goal_mask[s] or base.trap_mask[s]):
            ax.text(c, r - 0.25, f"{V[s]:.1f}", ha="center", va="center",
                    color="white", fontsize=7)
    for s in base.start_states:
        r, c = base.cell_of(s)
        ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False,
                                   edgecolor="white", linewidth=1.5, linestyle="--"))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def plot_learning_curves(curves: Sequence[LearningCurve], ax=None,
                         xlabel: str = "real environment steps",
                         ylabel: str = "performance", title: str = "",
                         spread: str = "std"):
    """Mean over seeds with a shaded band (``std`` or ``minmax``) per curve.

    Each curve's ``values`` is ``[n_seeds, K]`` (or ``[K]`` for one run).
    """
    if spread not in ("std", "minmax"):
        raise ValueError(f"spread must be 'std' or 'minmax', got {spread!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=fig_size(4))
    for curve in curves:
        vals = np.atleast_2d(np.asarray(curve.values, dtype=float))
        steps = np.asarray(curve.steps)
        if vals.shape[1] != len(steps):
            raise ValueError(f"curve {curve.label!r}: {len(steps)} steps but values "
                             f"of shape {vals.shape}")
        mean = vals.mean(0)
        (line,) = ax.plot(steps, mean, label=curve.label)
        if vals.shape[0] > 1:
            lo, hi = ((mean - vals.std(0), mean + vals.std(0)) if spread == "std"
                      else (vals.min(0), vals.max(0)))
            ax.fill_between(steps, lo, hi, color=line.get_color(), alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
