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


def test_live_figure_draws_once_and_redraws_in_place(monkeypatch):
    """The static figure is one display output; moving a control updates that
    same output (no second copy), and the draw's prints go under the controls."""
    import ipywidgets as widgets
    from IPython import display as ipd

    from mbrl_lessons.viz import live_figure

    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(*objs, display_id=None, **kw):
        shown.extend(objs)
        return Handle() if display_id else None

    monkeypatch.setattr(ipd, "display", fake_display)
    calls = []

    def draw(k=1):
        calls.append(k)
        fig, ax = plt.subplots()
        ax.plot([0, k])
        print(f"k = {k}")

    slider = widgets.IntSlider(value=1, min=1, max=3)
    box = live_figure(draw, caption="demo", k=slider)
    figures = [o for o in shown if isinstance(o, plt.Figure)]
    assert calls == [1] and len(figures) == 1
    assert plt.get_fignums() == []  # nothing left for the inline backend to show
    assert isinstance(box, widgets.VBox) and box.children[0] is slider
    slider.value = 3
    assert calls == [1, 3] and len(updates) == 1
    assert isinstance(updates[0], plt.Figure) and updates[0] is not figures[0]
    # what a redraw prints goes to an Output under the controls (captured only
    # inside a kernel, so here we check that the Output is there)
    assert isinstance(box.children[-1], widgets.Output)
    # a kernel front end renders the widget view; the website (which prefers
    # HTML over widget views) shows a note that the figure is static
    bundle = box._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == box.model_id
    assert "static figure" in bundle["text/html"] and "k = 1" in bundle["text/html"]
    assert "demo" in bundle["text/html"]


def test_live_figure_rejects_a_draw_without_a_figure(monkeypatch):
    import ipywidgets as widgets
    from IPython import display as ipd

    from mbrl_lessons.viz import live_figure

    monkeypatch.setattr(ipd, "display", lambda *a, **k: None)
    with pytest.raises(ValueError, match="drew no new figure"):
        live_figure(lambda k=1: None, k=widgets.IntSlider(value=1))
    with pytest.raises(ValueError, match="at least one control"):
        live_figure(lambda: plt.subplots())
