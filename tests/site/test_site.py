"""Checks of the built website (run by `make test` after `jupyter-book build`).

Every toc entry must have produced a page, and no page may contain error
output (a traceback or an exception name in an output cell).
"""

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_notebooks import ROOT, _toc_files  # noqa: E402

HTML = Path(os.environ.get("MBRL_LESSONS_SITE", ROOT / "_build" / "html"))
ERROR_PATTERNS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'class="[^"]*output[^"]*(traceback|error)[^"]*"'),
    re.compile(r"\b(NotImplementedError|ModuleNotFoundError|NameError)\b:"),
]

pytestmark = pytest.mark.skipif(
    not HTML.exists() and not os.environ.get("MBRL_LESSONS_REQUIRE_SITE"),
    reason="build the site first (make test-book does, and requires it)")


@pytest.mark.parametrize("doc", _toc_files())
def test_page_built_without_error_output(doc):
    page = HTML / f"{doc}.html"
    assert page.exists(), f"no page for toc entry {doc}"
    text = page.read_text(encoding="utf-8")
    for pattern in ERROR_PATTERNS:
        match = pattern.search(text)
        assert match is None, f"{doc}: error output in the page: {match.group(0)!r}"


@pytest.mark.parametrize("doc", [d for d in _toc_files() if
                                 (ROOT / f"{d}.ipynb").exists()])
def test_notebook_pages_have_colab_launch_button(doc):
    text = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    assert "colab.research.google.com" in text, f"{doc}: no Colab launch button"


def test_maths_rendered_with_mathjax():
    pages = [HTML / f"{d}.html" for d in _toc_files()]
    assert any("mathjax" in p.read_text(encoding="utf-8").lower() for p in pages)


@pytest.mark.parametrize("doc", _toc_files())
def test_no_dead_widgets_on_the_page(doc):
    """A static page has no kernel: a slider there would move and change
    nothing.  The site renders the controls' HTML note instead
    (mbrl_lessons.viz.live_figure)."""
    text = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" not in text, \
        f"{doc}: a widget view was rendered on the static page"
    # book builds switch progress bars off (MBRL_LESSONS_NO_PROGRESS)
    bar = re.search(r"\d+%\|[^|<]{0,80}\|\s*\d+/\d+", text)
    assert bar is None, f"{doc}: a progress bar saved in the page: {bar.group(0)!r}"


def test_every_slider_has_its_static_note():
    pages = [(HTML / f"{d}.html").read_text(encoding="utf-8") for d in _toc_files()]
    notes = sum(p.count('class="mbrl-static-controls"') for p in pages)
    sources = sum(p.read_text(encoding="utf-8").count("live_figure(")
                  for p in (ROOT / "book").glob("*.py"))
    assert notes >= sources > 0, (notes, sources)


def test_syllabus_anchors_exist_in_the_site():
    """Each heading book/syllabus.yml names is an anchor of its built page."""
    import yaml
    from docutils.nodes import make_id

    missing = []
    for entry in yaml.safe_load((ROOT / "book" / "syllabus.yml").read_text()):
        html = (HTML / f"{entry['page']}.html").read_text(encoding="utf-8")
        anchor = make_id(entry["heading"])
        if f'id="{anchor}"' not in html:
            missing.append(f"{entry['page']}#{anchor}")
    assert not missing, f"syllabus anchors missing from the site: {missing}"


_IMG = re.compile(r"<img\b[^>]*>")
_ALT = re.compile(r'\balt="([^"]*)"')


@pytest.mark.parametrize("doc", _toc_files())
def test_every_image_has_alt_text(doc):
    """Each image says in words what it shows: myst-nb writes a figure cell's
    ``mystnb.image.alt`` into ``alt``; without it, ``alt`` is the file's path."""
    text = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    bad = []
    for tag in _IMG.findall(text):
        alt = _ALT.search(tag)
        words = alt.group(1).strip() if alt else ""
        if not words or re.search(r"_images/|\.(png|jpe?g|svg|gif)$", words):
            bad.append(tag[:120])
    assert not bad, f"{doc}: images without alt text: {bad}"


def test_no_answer_key_text_on_the_site():
    """The prose exercises' keys (instructors/answer_keys) are for course
    staff: no sentence of theirs may appear in a built page."""
    sys.path.insert(0, str(ROOT / "tools"))
    import answer_keys

    def plain(text):
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))

    site = " ".join(plain(p.read_text(encoding="utf-8")) for p in HTML.rglob("*.html"))
    sentences = []
    for _, key in answer_keys.answer_keys().values():
        for s in re.split(r"(?<=[.;:])\s+", re.sub(r"\s+", " ", key)):
            if len(s.split()) >= 10 and not re.search(r"[$`*\\\[\]]", s):
                sentences.append(s)
    assert len(sentences) > 40
    leaked = [s for s in sentences if s in site]
    assert not leaked, f"answer-key text on the website: {leaked[:3]}"
