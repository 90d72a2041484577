"""The book's one figure width, so that every figure shows at its natural size.

The website's output area is :data:`COLUMN_PX` pixels wide at a 1280 px
window (sphinx-book-theme 1.1); the theme scales a wider image down to it,
which shrinks its text with it.  Jupyter's inline backend saves a figure at
``figure.dpi`` (100) pixels per inch, cropped to what it draws plus a margin
of 0.1 inch a side, so a figure :data:`FIG_WIDTH` inches wide comes out at
most ``FIG_WIDTH * DPI + 20`` pixels wide (measured on the built site: a
figure that draws to its edges, e.g. with a colorbar, reaches that) and is
shown as drawn.  Every figure of the book asks for its size
with :func:`fig_size` (or is narrower); ``tests/test_viz.py`` checks the
sources and ``tests/site/test_browser.py`` measures the built pages.
"""

from __future__ import annotations

#: width of the website's output area at a 1280 px window, in CSS pixels
COLUMN_PX = 688
#: pixels per inch of the inline backend (matplotlib's default ``figure.dpi``)
DPI = 100
#: the tight-save margin, 0.1 inch on each side, in pixels
MARGIN_PX = 20
#: the house figure width in inches: ``FIG_WIDTH * DPI + MARGIN_PX`` fits
#: :data:`COLUMN_PX`
FIG_WIDTH = 6.6


def fig_size(height: float = 3.4, width: float = FIG_WIDTH) -> tuple[float, float]:
    """``(width, height)`` in inches, the ``figsize`` of ``plt.subplots``.

    ``width`` defaults to the house width and may not exceed it: a wider
    figure would be scaled down on the website.
    """
    if not height > 0:
        raise ValueError(f"height must be positive, got {height}")
    if not 0 < width <= FIG_WIDTH:
        raise ValueError(f"width must be in (0, {FIG_WIDTH}] inches (the website's "
                         f"column is {COLUMN_PX} px at {DPI} dpi), got {width}")
    return (float(width), float(height))
