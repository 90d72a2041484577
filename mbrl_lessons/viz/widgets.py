"""Interactive widgets with a static fallback for the website.

The website is a static page: an ipywidgets slider there has no kernel behind
it.  :func:`live_figure` therefore first draws the figure at the default
settings (what the website shows), then returns the live controls, which
redraw the figure when the notebook runs in Jupyter or Colab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt


def live_figure(draw: Callable[..., Any], caption: str = "", **controls: Any):
    """Draw ``draw(**defaults)`` statically, then return interactive controls.

    ``controls`` are ipywidgets widgets (their ``.value`` is the default) keyed
    by ``draw``'s argument names.  ``draw`` must create its own figure.
    """
    import ipywidgets as widgets
    from IPython.display import Markdown, display

    defaults = {name: w.value for name, w in controls.items()}
    draw(**defaults)
    plt.show()
    note = caption or "Static preview at the default settings."
    display(Markdown(f"*{note} Run the notebook to move the sliders.*"))

    def _redraw(**kwargs: Any) -> None:
        draw(**kwargs)
        plt.show()

    return widgets.interactive(_redraw, **controls)
