"""Write ``book/course_plan.md``: the syllabus an instructor plans a term with.

For each chapter of ``_toc.yml``: its pages, the reading and FAST run time the
pages state (their "About N minutes: M to read, K to run at FAST" lines), the
graded exercises of its exercise notebook and their points (from the grader's
catalogue).  ``--check`` reports whether the page is out of date (a test runs
it); ``make sync`` rewrites it.

    python tools/course_plan.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "course_plan.md"
TIME = re.compile(r"About (\d+) minutes?(?:: (\d+) to read, (\d+) to run at FAST)?")


def _chapters() -> list[tuple[str, list[str]]]:
    """(chapter file, [its page files]) in toc order, chapters 1-9 only."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = []
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            name = Path(ch["file"]).name
            if re.match(r"ch0[1-9]p?_", name):  # ch06p: the model-free primer
                sections = [s["file"] for s in ch.get("sections", [])]
                out.append((ch["file"], [ch["file"], *sections]))
    return out


def _times(page: str) -> tuple[int, int]:
    for suffix in (".py", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            m = TIME.search(path.read_text())
            if m is None:
                raise SystemExit(f"{page}{suffix} states no time line")
            total, read, run = m.groups()
            return (int(read), int(run)) if read else (int(total), 0)
    raise SystemExit(f"no source for {page}")


def _title(page: str) -> str:
    text = (ROOT / f"{page}.py").read_text()
    return re.search(r"^# # (.+)$", text, re.M).group(1).strip()


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from mbrl_lessons.grading.registry import load_exercises

    by_chapter: dict[str, list] = defaultdict(list)
    for ex in load_exercises().values():
        by_chapter[ex.id.split("_")[0]].append(ex)
    rows, total_read, total_run, total_points = [], 0, 0, 0.0
    for chapter, pages in _chapters():
        read = run = 0
        for page in pages:
            r, k = _times(page)
            read, run = read + r, run + k
        key = Path(chapter).name.split("_")[0]
        exercises = sorted(by_chapter.get(key, []), key=lambda e: e.id)
        points = sum(sum(c.points for c in e.checks) for e in exercises)
        names = ", ".join(f"`{e.id}` ({sum(c.points for c in e.checks):g})"
                          for e in exercises) or "—"
        notebook = f"`exercises/{exercises[0].notebook}.ipynb`" if exercises else "—"
        rows.append(f"| {{doc}}`{Path(chapter).name}` | {len(pages)} | {read} | "
                    f"{run} | {notebook} | {names} | {points:g} |")
        total_read, total_run, total_points = (total_read + read, total_run + run,
                                               total_points + points)
    head = [
        "# Course plan",
        "",
        "*About 3 minutes to read.* Written by `tools/course_plan.py` from the",
        "pages' own time lines and the grader's catalogue (`make sync` rewrites",
        "it; a test fails when it is out of date).",
        "",
        "One row per chapter: how many pages it has, the minutes its pages say",
        "they take to read and to run at the FAST budget, and its graded",
        "exercises with their points. A common pace is one chapter a week,",
        "with chapters 5-7 (the longest) two weeks each; each section page is",
        "sized for one sitting. Points are the grader's; reweight them in your",
        "own gradebook if you like. See {doc}`instructors` for grading.",
        "",
        "| chapter | pages | read (min) | run at FAST (min) | exercise notebook "
        "| graded exercises (points) | points |",
        "|---|---|---|---|---|---|---|",
        *rows,
        f"| **total** | | **{total_read}** | **{total_run}** | | | "
        f"**{total_points:g}** |",
        "",
    ]
    return "\n".join(head)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print("out of date: book/course_plan.md (run `make sync`)")
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
