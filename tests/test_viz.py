"""The plotting helpers draw what they say, and refuse bad shapes."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mbrl_lessons.core.types import LearningCurve  # noqa: E402
from mbrl_lessons.envs.gridworld import GridWorld  # noqa: E402
from mbrl_lessons.mdp import TabularMDP, value_iteration  # noqa: E402
from mbrl_lessons.viz import plot_grid_values, plot_learning_curves, show_source  # noqa: E402


def test_grid_values_draws_an_arrow_per_free_nonterminal_cell():
    env = GridWorld()
    vi = value_iteration(TabularMDP.from_env(env, 0.9))
    ax = plot_grid_values(env, vi.V, vi.policy, annotate=False)
    arrows = [t for t in ax.texts if t.get_text() in "↑→↓←"]
    free = (~env.wall_mask & ~env.terminal_mask).sum()
    assert len(arrows) == free
    with pytest.raises(ValueError, match="shape"):
        plot_grid_values(env, vi.V[:-1])
    plt.close("all")


def test_learning_curves_mean_and_band():
    steps = np.arange(5)
    c = LearningCurve(steps, np.stack([steps, steps + 2.0]), label="a")
    ax = plot_learning_curves([c], ylabel="return")
    assert np.allclose(ax.lines[0].get_ydata(), steps + 1.0)
    assert ax.get_ylabel() == "return" and len(ax.collections) == 1
    with pytest.raises(ValueError, match="steps"):
        plot_learning_curves([LearningCurve(steps, np.zeros(3))])
    plt.close("all")


def test_show_source_returns_code():
    code = show_source(plot_learning_curves)
    assert "def plot_learning_curves" in getattr(code, "data", code)
    with pytest.raises(TypeError):
        show_source(3)
