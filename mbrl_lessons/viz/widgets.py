"""Interactive widgets with a static fallback for the website.

The website is a static page: an ipywidgets slider there has no kernel behind
it, so it would move and change nothing.  :func:`live_figure` therefore draws
the figure at the default settings as an ordinary output, then returns the
controls as a widget that also carries an HTML note.  Jupyter and Colab show
the sliders (moving one redraws that same figure in place, so the page never
holds two copies of it); the website, which is built to prefer HTML over
widget views (``nb_mime_priority_overrides`` in ``_config.yml``), shows the
note saying the figure is static and where to move the sliders.
"""

from __future__ import annotations

import html
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
    from IPython.display import display

    if not controls:
        raise ValueError("live_figure needs at least one control widget")
    defaults = {name: w.value for name, w in controls.items()}
    handle = display(_figure_of(draw, defaults), display_id=True)
    messages = widgets.Output()

    def _redraw(_change: Any = None) -> None:
        values = {name: w.value for name, w in controls.items()}
        messages.clear_output(wait=True)
        with messages:
            fig = _figure_of(draw, values)
        handle.update(fig)

    for w in controls.values():
        w.observe(_redraw, names="value")
    return _controls_with_note(widgets, [*controls.values(), messages],
                               _static_note(caption, controls))


def _static_note(caption: str, controls: dict[str, Any]) -> str:
    """The HTML the website shows in place of the sliders."""
    settings = ", ".join(
        f"{html.escape(getattr(w, 'description', '') or name).rstrip(':')} = "
        f"{html.escape(str(w.value))}" for name, w in controls.items())
    lead = html.escape(caption) + " " if caption else ""
    return ('<p class="mbrl-static-controls"><em>' + lead
            + f"A static figure at the default settings ({settings}). The sliders "
            "work when the notebook runs: open it in Colab or Jupyter (the rocket "
            "icon at the top of the page) to move them.</em></p>")


def _controls_with_note(widgets: Any, children: list[Any], note: str):
    """A ``VBox`` of ``children`` whose display also offers ``note`` as HTML.

    Front ends with a kernel render the widget view (the sliders); a static
    page that prefers ``text/html`` shows the note instead.  Both ipywidgets 7
    (Colab's, ``_ipython_display_``) and 8 (``_repr_mimebundle_``) are served.
    """

    class Controls(widgets.VBox):
        def _bundle(self) -> dict[str, Any]:
            return {
                "text/plain": "Interactive controls (run the notebook to use them)",
                "text/html": note,
                "application/vnd.jupyter.widget-view+json": {
                    "version_major": 2, "version_minor": 0, "model_id": self.model_id},
            }

        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            return self._bundle()

        def _ipython_display_(self, **kwargs: Any) -> None:
            from IPython.display import display
            display(self._bundle(), raw=True)

    return Controls(children)
