"""No control characters in the book's sources.

A page edited through a Python string without ``r""`` can turn LaTeX's
``\\theta``, ``\\text``, ``\\bar`` and ``\\big`` into a tab or a backspace
followed by the rest of the word; MathJax then shows a TeX error on the
site (this happened to §6.5's prioritized-sweeping formula).  The browser
test catches it only after a full build; this catches it in a second.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [*ROOT.glob("book/*.py"), *ROOT.glob("book/*.md"), *ROOT.glob("solutions/*.py"),
     *ROOT.glob("instructors/**/*.md")]
)
CONTROL = {"\t": "a tab", "\x08": "a backspace", "\x0b": "a vertical tab",
           "\x0c": "a form feed", "\r": "a carriage return", "\x07": "a bell"}


IDS = [str(p.relative_to(ROOT)) for p in SOURCES]


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_no_control_characters(path):
    for n, line in enumerate(path.read_text("utf-8").split("\n"), start=1):
        for ch, name in CONTROL.items():
            assert ch not in line, (
                f"{path.relative_to(ROOT)}:{n} has {name} ({line.strip()[:60]!r}): "
                "a LaTeX command written through a non-raw Python string?")
