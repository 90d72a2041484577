"""``python -m mbrl_lessons.grade``: grade a file, or a whole class.

    python -m mbrl_lessons.grade exercises/ch02_mdp.ipynb [--json results.json]
    python -m mbrl_lessons.grade --submissions DIR --out gradebook.csv
    ... [--hidden DIR] [--hidden-visibility after_published|hidden]
    ... [--exercise ch02_value_iteration] [--cell-limit 30]
    python -m mbrl_lessons.grade --list      # every exercise, its notebook and points

Exit code: 0 when grading worked (whatever the score), 2 for a usage error
(no such file, unknown exercise), 1 when the grader itself failed.  With
``--json`` a valid Gradescope ``results.json`` is written in every case.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback


def _write_json(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)


def _failure_json(message: str) -> dict:
    return {"score": 0.0, "max_score": 0.0, "tests": [],
            "output": message[:8000], "visibility": "visible"}


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
    parser.add_argument("--hidden-visibility", default="after_published",
                        choices=["after_published", "hidden"],
                        help="when learners see the hidden checks' results "
                             "(Gradescope visibility; default after_published)")
    parser.add_argument("--exercise", action="append", default=None,
                        help="grade only this exercise id (repeatable)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--cell-limit", type=float, default=None,
                        help="seconds one notebook cell may run (default 30)")
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
    from mbrl_lessons.grading.sandbox import Limits

    limits = Limits(**({"cell": args.cell_limit} if args.cell_limit else {}))
    try:
        if args.submissions:
            rows = grade_class(args.submissions, args.out, hidden=args.hidden,
                               workers=args.workers, limits=limits)
            for row in rows:
                print(f"{row['student']:>20}: {row['total']:g} / {row['max_total']:g}")
            print(f"wrote {args.out} ({len(rows)} students)")
            return 0
        if not args.path:
            parser.error("give a file to grade, or --submissions DIR")
        report = grade_path(args.path, hidden=args.hidden, exercise_ids=args.exercise,
                            limits=limits)
    except (KeyError, ValueError, FileNotFoundError) as err:
        msg = err.args[0] if err.args else str(err)
        print(f"error: {msg}", file=sys.stderr)
        if args.json:
            _write_json(args.json, _failure_json(f"not graded: {msg}"))
        return 2
    except Exception:  # noqa: BLE001 - the grader itself failed: say so, still write
        tb = traceback.format_exc()
        print(tb, file=sys.stderr)
        if args.json:
            _write_json(args.json, _failure_json(
                "the autograder itself failed (not your code); tell your instructor"))
        return 1
    print(report.table())
    if args.json:
        _write_json(args.json, report.gradescope(args.hidden_visibility))
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
