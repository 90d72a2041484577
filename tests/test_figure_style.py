"""Every figure of the book is drawn at the house width and carries alt text.

The website shows an image wider than its column scaled down (and its text
with it); ``mbrl_lessons.viz.style`` fixes one width that fits.  These checks
run on the sources; ``tests/site`` measures the built pages.
"""

import io
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mbrl_lessons.viz.style import COLUMN_PX, DPI, FIG_WIDTH, MARGIN_PX, fig_size  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p for p in (ROOT / "book").glob("*.ipynb"))
SOURCES = sorted((ROOT / "book").glob("*.py")) + sorted(
    (ROOT / "mbrl_lessons").rglob("*.py"))


def test_house_width_fits_the_column():
    assert FIG_WIDTH * DPI + MARGIN_PX <= COLUMN_PX
    assert fig_size(3) == (FIG_WIDTH, 3.0)
    assert fig_size(2, 4) == (4.0, 2.0)
    with pytest.raises(ValueError, match="width"):
        fig_size(3, FIG_WIDTH + 0.1)
    with pytest.raises(ValueError, match="height"):
        fig_size(0)


def test_a_house_figure_saves_within_the_column():
    """What the inline backend does: save at DPI, cropped to what is drawn."""
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3))
    fig.colorbar(axes[1].imshow([[0, 1]]), ax=axes[1])  # draws to the right edge
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="a line")
        ax.set_title("a title of ordinary length")
        ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    width = int.from_bytes(buf.getvalue()[16:20], "big")  # PNG IHDR width
    assert 0 < width <= COLUMN_PX


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_figure_asks_for_the_house_size(path):
    """``figsize=`` is always given by ``fig_size``, which refuses a width
    the website would shrink."""
    text = path.read_text(encoding="utf-8")
    pattern = r"figsize\s*=\s*(?!fig_size\()[^,)\n]+"
    bad = [m.group(0) for m in re.finditer(pattern, text)]
    assert not bad, (f"{path.name}: figsize not from fig_size(): {bad}; write "
                     "figsize=fig_size(height) (from mbrl_lessons.viz.style) so the "
                     "website shows the figure at its natural size")


def test_matplotlibrc_of_the_book_matches_the_house_style():
    """Notebooks run in book/, where matplotlib reads book/matplotlibrc."""
    rc = matplotlib.rc_params_from_file(str(ROOT / "book" / "matplotlibrc"),
                                        use_default_template=False)
    assert rc["figure.figsize"][0] <= FIG_WIDTH
    assert rc["figure.dpi"] == DPI


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_figure_cell_has_alt_text(path):
    """A cell that draws (asks for a house-size figure) says in words what its
    figure shows: ``mystnb.image.alt`` in its metadata, which myst-nb puts in
    the image's ``alt`` attribute."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    missing = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"])
        if cell["cell_type"] != "code" or "fig_size(" not in src:
            continue
        alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
        if len(alt.split()) < 5:
            missing.append(f"cell {i}: {src.splitlines()[0][:60]!r}")
    assert not missing, (
        f"{path.name}: figure cells without alt text: {missing}; say what the "
        "figure shows in the .py twin's cell header, e.g. "
        '# %% mystnb={"image": {"alt": "Return against real steps for ..."}}, '
        "then jupytext --sync")
