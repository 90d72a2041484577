"""Every section of the lecture the course follows has a home in the book.

``book/syllabus.yml`` maps each seed section to a page, a heading on it, the
results file of its experiment and its graded exercises; this test checks the
map against the toc, the pages, ``results/`` and the grader's catalogue.
``tests/site/test_site.py`` checks each heading's anchor in the built site.
"""

import re
from pathlib import Path

import pytest
import yaml
from test_notebooks import _toc_files

from mbrl_lessons.grading.registry import load_exercises

ROOT = Path(__file__).resolve().parents[1]
SYLLABUS = yaml.safe_load((ROOT / "book" / "syllabus.yml").read_text())
# the seed lecture's sections (its headings 1-9 and their numbered parts)
SEED_SECTIONS = (
    ["1 ", "2 ", "3 ", "4 "]
    + [f"5.{i} " for i in range(1, 9)]
    + [f"6.{i} " for i in range(1, 6)] + ["6.3.1 "]
    + [f"7.{i} " for i in range(1, 6)]
    + [f"8.{i} " for i in range(1, 8)]
    + ["9 "]
)


def page_headings(page: str) -> list[str]:
    for suffix, prefix in ((".py", r"# #+ "), (".md", r"#+ ")):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            return [m.group(1).strip() for m in
                    re.finditer(rf"^{prefix}(.+)$", path.read_text(), re.M)]
    raise FileNotFoundError(page)


def test_every_seed_section_has_a_home():
    homes = [e["seed"] for e in SYLLABUS]
    missing = [s for s in SEED_SECTIONS if not any(h.startswith(s) for h in homes)]
    assert not missing, f"seed sections without a page: {missing}"


@pytest.mark.parametrize("entry", SYLLABUS, ids=[e["seed"] for e in SYLLABUS])
def test_entry_points_at_real_things(entry):
    assert set(entry) <= {"seed", "page", "heading", "experiment", "exercises"}, entry
    assert entry["page"] in _toc_files(), f"{entry['page']} is not in _toc.yml"
    assert entry["heading"] in page_headings(entry["page"]), \
        f"no heading {entry['heading']!r} on {entry['page']}"
    if "experiment" in entry:
        assert (ROOT / "results" / f"{entry['experiment']}.json").exists()
    catalogue = load_exercises()
    for name in entry.get("exercises", []):
        assert name in catalogue, f"{name} is not a graded exercise"
