"""Every book page states how long it takes, and no page is too long to finish.

A notebook page says, near its top, "About N minutes: M to read, K to run at
FAST", where M is estimated from the page's words (prose and code alike, at
200 words a minute) and K is the page's measured run time at the FAST budget,
rounded up. These tests check the line's format and arithmetic, that the stated
M agrees with the word count, that no page needs more than 30 minutes of
reading, and that the split chapters list all their section pages in the toc.
A Markdown page (no code to run) says "About N minutes to read".
"""

import math
import re
from pathlib import Path

import jupytext
import pytest
from test_notebooks import ROOT, _toc_files

WORDS_PER_MINUTE = 200
MAX_READING_MINUTES = 30
TIME_LINE = re.compile(
    r"About (\d+) minutes?: (\d+) to read, (\d+) to run at FAST")
MD_TIME_LINE = re.compile(r"About (\d+) minutes? to read")
NOTEBOOK_PAGES = [d for d in _toc_files() if (ROOT / f"{d}.py").exists()]
MARKDOWN_PAGES = [d for d in _toc_files() if (ROOT / f"{d}.md").exists()]
# chapters split into one page per lecture section: chapter -> section count
SPLIT_CHAPTERS = {"ch05_model_learning": 8, "ch06_integration": 5,
                  "ch06p_model_free": 5, "ch07_modern": 6}


def reading_minutes(path: Path) -> int:
    """Estimated reading time of a page: all its words at 200 a minute."""
    if path.suffix == ".md":
        words = len(re.findall(r"\S+", path.read_text()))
    else:
        nb = jupytext.read(path)
        words = sum(len(re.findall(r"\S+", c.source)) for c in nb.cells
                    if c.cell_type in ("markdown", "code"))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def _time_line(doc: str) -> re.Match:
    nb = jupytext.read(ROOT / f"{doc}.py")
    first_md = next(c for c in nb.cells
                    if c.cell_type == "markdown" and c.source.strip())
    match = TIME_LINE.search(first_md.source)
    assert match, (f"{doc}: the first text cell must state the page's time as "
                   "'About N minutes: M to read, K to run at FAST'")
    return match


def test_reading_minutes_counts_words(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n" + "word " * 398)
    assert reading_minutes(page) == 2  # 400 words
    page.write_text("# Title\n\n" + "word " * 399)
    assert reading_minutes(page) == 3


def test_time_line_format():
    assert TIME_LINE.search("*About 7 minutes: 5 to read, 2 to run at FAST.*")
    assert not TIME_LINE.search("*About 7 minutes to read.*")


@pytest.mark.parametrize("doc", MARKDOWN_PAGES)
def test_markdown_page_states_its_reading_time(doc):
    path = ROOT / f"{doc}.md"
    match = MD_TIME_LINE.search(path.read_text())
    assert match, f"{doc}: state the page's time as 'About N minutes to read'"
    estimate = reading_minutes(path)
    assert abs(int(match.group(1)) - estimate) <= max(1, round(0.2 * estimate))
    assert estimate <= MAX_READING_MINUTES


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_page_states_its_time(doc):
    total, read, run = (int(g) for g in _time_line(doc).groups())
    assert total == read + run, f"{doc}: {total} minutes is not {read} + {run}"
    assert run >= 1, f"{doc}: round the FAST run time up to whole minutes"


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_page_reading_time_is_honest_and_short(doc):
    estimate = reading_minutes(ROOT / f"{doc}.py")
    stated = int(_time_line(doc).group(2))
    assert abs(stated - estimate) <= max(1, round(0.2 * estimate)), (
        f"{doc}: states {stated} minutes of reading, the word count gives {estimate}")
    assert estimate <= MAX_READING_MINUTES, (
        f"{doc}: about {estimate} minutes of reading; split it into pages of at most "
        f"{MAX_READING_MINUTES}")


@pytest.mark.parametrize("chapter", sorted(SPLIT_CHAPTERS))
def test_split_chapters_nest_their_section_pages(chapter):
    prefix = chapter.split("_")[0]  # "ch06p" for the model-free primer
    pages = sorted(p.stem for p in (ROOT / "book").glob(f"{prefix}_[0-9]*_*.py"))
    numbers = sorted(int(p.split("_")[1]) for p in pages)
    assert numbers == list(range(1, SPLIT_CHAPTERS[chapter] + 1)), (
        f"{chapter}: section pages {pages}")
    files = _toc_files()
    i = files.index(f"book/{chapter}")
    # the toc walk lists a chapter's sections right after the chapter, in order
    nested = files[i + 1:i + 1 + len(pages)]
    in_order = sorted(pages, key=lambda p: int(p.split("_")[1]))
    assert nested == [f"book/{p}" for p in in_order], f"{chapter}: toc {nested}"
    for p in pages:
        assert (ROOT / "book" / f"{p}.ipynb").exists(), f"{p}.ipynb: run make sync"
