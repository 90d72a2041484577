"""Interactive widgets with a static fallback for the website.

The website is a static page: an ipywidgets slider there has no kernel behind
it.  :func:`live_figure` therefore draws the figure at the default settings
as an ordinary output (what the website shows), then returns the controls.
When the notebook runs in Jupyter or Colab, moving a control redraws that
same figure in place, so the page never holds two copies of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt


def _figure_of(draw: Callable[..., Any], kwargs: dict[str, Any]):
    """Run ``draw(**kwargs)`` and take the figure it made off pyplot's stack
    (so that the inline backend does not show it a second time)."""
    before = set(plt.get_fignums())
    draw(**kwargs)
    new = [n for n in plt.get_fignums() if n not in before]
    if not new:
        raise ValueError(f"{getattr(draw, '__name__', draw)!r} drew no new figure "
                         "(it must create one, and not call plt.show())")
    figs = [plt.figure(n) for n in new]
    for extra in figs[:-1]:  # only the last figure is kept
        plt.close(extra)
    plt.close(figs[-1])
    return figs[-1]


def live_figure(draw: Callable[..., Any], caption: str = "", **controls: Any):
    """Draw ``draw(**defaults)`` as a static figure, then return the controls.

    ``controls`` are ipywidgets widgets (their ``.value`` is the default) keyed
    by ``draw``'s argument names.  ``draw`` must create one figure and must not
    call ``plt.show()``.  Anything ``draw`` prints while redrawing appears
    under the controls.
    """
    import ipywidgets as widgets
    from IPython.display import Markdown, display

    if not controls:
        raise ValueError("live_figure needs at least one control widget")
    defaults = {name: w.value for name, w in controls.items()}
    handle = display(_figure_of(draw, defaults), display_id=True)
    note = caption or "Static preview at the default settings."
    display(Markdown(f"*{note} Run the notebook to move the sliders.*"))
    messages = widgets.Output()

    def _redraw(_change: Any = None) -> None:
        values = {name: w.value for name, w in controls.items()}
        messages.clear_output(wait=True)
        with messages:
            fig = _figure_of(draw, values)
        handle.update(fig)

    for w in controls.values():
        w.observe(_redraw, names="value")
    return widgets.VBox([*controls.values(), messages])
