"""``python -m mbrl_lessons.grade``: grade a file, or a whole class.

    python -m mbrl_lessons.grade exercises/ch02_mdp.ipynb [--json results.json]
    python -m mbrl_lessons.grade --submissions DIR --out gradebook.csv
    ... [--hidden DIR] [--exercise ch02_value_iteration]
    python -m mbrl_lessons.grade --list      # every exercise, its notebook and points
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mbrl_lessons.grade",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", help="a notebook (.ipynb) or .py file")
    parser.add_argument("--json", help="write Gradescope-style results here")
    parser.add_argument("--submissions", help="a folder with one entry per student")
    parser.add_argument("--out", default="gradebook.csv", help="gradebook CSV path")
    parser.add_argument("--hidden", action="append", default=[],
                        help="a folder of instructor-only checks (repeatable)")
    parser.add_argument("--exercise", action="append", default=None,
                        help="grade only this exercise id (repeatable)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--list", action="store_true",
                        help="list every exercise (id, notebook, points, functions)")
    args = parser.parse_args(argv)

    if args.list:
        try:
            print(exercise_catalogue(args.hidden))
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0

    from mbrl_lessons.grading.runner import grade_class, grade_path

    try:
        if args.submissions:
            rows = grade_class(args.submissions, args.out, hidden=args.hidden,
                               workers=args.workers)
            for row in rows:
                print(f"{row['student']:>20}: {row['total']:g} / {row['max_total']:g}")
            print(f"wrote {args.out} ({len(rows)} students)")
            return 0
        if not args.path:
            parser.error("give a file to grade, or --submissions DIR")
        report = grade_path(args.path, hidden=args.hidden, exercise_ids=args.exercise)
    except (KeyError, ValueError, FileNotFoundError) as err:
        print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    print(report.table())
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report.gradescope(), fh, indent=2)
        print(f"wrote {args.json}")
    return 0


def exercise_catalogue(hidden: list[str] | None = None) -> str:
    """A plain-text table of every exercise, grouped by notebook."""
    from mbrl_lessons.grading.registry import load_exercises

    exercises = sorted(load_exercises(hidden).values(),
                       key=lambda e: (e.notebook, e.id))
    width = max(len(e.id) for e in exercises)
    lines, notebook = [], None
    for ex in exercises:
        if ex.notebook != notebook:
            notebook = ex.notebook
            lines.append(f"{notebook}.ipynb")
        lines.append(f"  {ex.id:<{width}}  {ex.max_score:>4g} pts  "
                     f"{', '.join(ex.functions)}  ({ex.title})")
    total = sum(e.max_score for e in exercises)
    lines.append(f"{len(exercises)} exercises, {total:g} points")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
