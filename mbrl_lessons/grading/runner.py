"""Grade a submission: extract its code, run it in the sandbox, report.

Entry points: :func:`check` (in a notebook), :func:`grade_path` (a file),
:func:`grade_class` (a folder of submissions), all used by
``python -m mbrl_lessons.grade``.
"""

from __future__ import annotations

import csv
import inspect
import json
import os
import re
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mbrl_lessons.grading.core import CheckResult, ExerciseResult
from mbrl_lessons.grading.registry import exercises_for_notebook, load_exercises
from mbrl_lessons.grading.sandbox import MARKER

IN_SANDBOX = "MBRL_LESSONS_GRADING"
_MAGIC = re.compile(r"^\s*[%!]")
_CHECK_CALL = re.compile(r"^\s*(print\()?\s*check\(")


@dataclass
class Report:
    """Everything a grading run found, for one submission."""

    source: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return float(sum(e.score for e in self.exercises))

    @property
    def max_score(self) -> float:
        return float(sum(e.max_score for e in self.exercises))

    def table(self) -> str:
        """A plain-text score table with the messages a learner can act on."""
        lines = [f"Grading {self.source}  ({self.seconds:.1f} s)"]
        for err in self.load_errors:
            lines.append(f"  ! while running your notebook: {err}")
        for ex in self.exercises:
            lines.append(f"\n{ex.id} — {ex.title}: {ex.score:g} / {ex.max_score:g}")
            if ex.error:
                lines.append(f"  ! {ex.error}")
            for c in ex.checks:
                mark = "PASS" if c.score == c.max_score else (
                    "PART" if c.score > 0 else "FAIL")
                lines.append(f"  [{mark}] {c.name} ({c.score:g}/{c.max_score:g})"
                             + ("" if c.output == "ok" else f": {c.output}"))
        lines.append(f"\nTotal: {self.score:g} / {self.max_score:g}")
        return "\n".join(lines)

    def gradescope(self) -> dict:
        """Gradescope's results.json layout."""
        tests = []
        for ex in self.exercises:
            for c in ex.checks:
                tests.append({"name": f"{ex.id}: {c.name}", "score": c.score,
                              "max_score": c.max_score, "output": c.output})
        out = {"score": self.score, "max_score": self.max_score, "tests": tests,
               "execution_time": round(self.seconds, 2)}
        if self.load_errors:
            out["output"] = "\n".join(self.load_errors)
        return out


# ----------------------------------------------------------- extraction
def cells_from_notebook(path: Path) -> list[str]:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is the learner's
        raise ValueError(f"{path} is not a readable notebook: {err}") from None
    return [_clean(c.source) for c in nb.cells if c.cell_type == "code"]


def cells_from_py(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    parts = re.split(r"^# %%.*$", text, flags=re.M)
    return [_clean(p) for p in parts if p.strip()]


def _clean(source: str) -> str:
    """Drop IPython magics/shell lines and calls to check() (no recursion)."""
    keep = []
    for line in source.splitlines():
        if _MAGIC.match(line) or _CHECK_CALL.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            keep.append(indent + "pass")
        else:
            keep.append(line)
    return "\n".join(keep)


def cells_from_namespace(ns: dict) -> list[str]:
    """Rebuild runnable code from a live notebook namespace (for :func:`check`):
    module imports, then the source of every function and class defined there."""
    cells = []
    for name, val in list(ns.items()):
        if name.startswith("_"):
            continue
        if isinstance(val, types.ModuleType):
            cells.append(f"import {val.__name__} as {name}")
        elif (inspect.isfunction(val) or inspect.isclass(val)) and getattr(
                val, "__module__", "") == "__main__":
            try:
                cells.append(inspect.getsource(val))
            except (OSError, TypeError):
                continue
        elif (inspect.isfunction(val) or inspect.isclass(val)):
            mod = getattr(val, "__module__", None)
            if mod and not mod.startswith("__"):
                cells.append(f"from {mod} import {val.__name__} as {name}")
    return cells


# -------------------------------------------------------------- running
def grade_cells(cells: list[str], exercise_ids: list[str], *, source: str = "<code>",
                hidden=None, timeout: float | None = None) -> Report:
    """Run ``cells`` and the checks of ``exercise_ids`` in a fresh process."""
    exercises = load_exercises(hidden)
    unknown = [e for e in exercise_ids if e not in exercises]
    if unknown:
        raise KeyError(f"unknown exercise(s) {unknown}; known exercises: "
                       + ", ".join(sorted(exercises)))
    budget = sum(exercises[e].time_limit for e in exercise_ids)
    cell_limit = 10.0
    wall = timeout or (budget + cell_limit * 2 + 30)
    request = {"cells": cells, "exercises": exercise_ids,
               "hidden": [str(h) for h in hidden or []], "cell_limit": cell_limit,
               "cpu_limit": int(wall + 30)}
    env = dict(os.environ, **{IN_SANDBOX: "1", "MPLBACKEND": "Agg",
                              "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"})
    t0 = time.monotonic()
    report = Report(source)
    try:
        proc = subprocess.run([sys.executable, "-m", "mbrl_lessons.grading.sandbox"],
                              input=json.dumps(request), capture_output=True,
                              text=True, timeout=wall, env=env)
        payload = None
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith(MARKER):
                payload = json.loads(line[len(MARKER):])
                break
        if payload is None:
            why = ("it used up its CPU-time limit" if proc.returncode in (-24, 152)
                   else f"it crashed (exit code {proc.returncode})")
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise RuntimeError(f"the grading process stopped before finishing: "
                               f"{why}. {' '.join(tail)}")
        report.load_errors = payload["load_errors"]
        for r in payload["results"]:
            ex = ExerciseResult(r["id"], r["title"], error=r["error"])
            ex.checks = [CheckResult(**c) for c in r["checks"]]
            report.exercises.append(ex)
    except (subprocess.TimeoutExpired, RuntimeError) as err:
        msg = (f"stopped after {wall:.0f} s of wall-clock time"
               if isinstance(err, subprocess.TimeoutExpired) else str(err))
        report.load_errors.append(msg)
        for e in exercise_ids:
            ex = exercises[e]
            res = ExerciseResult(ex.id, ex.title, error=msg)
            res.checks = [CheckResult(c.name, 0.0, c.points, "not graded: " + msg)
                          for c in ex.checks]
            report.exercises.append(res)
    report.seconds = time.monotonic() - t0
    return report


def exercises_in_file(path: Path, cells: list[str], hidden=None) -> list[str]:
    """The notebook's own exercises if its name is known; else every exercise
    whose functions the code defines."""
    stem = path.stem
    ids = exercises_for_notebook(stem, hidden)
    if ids:
        return ids
    code = "\n".join(cells)
    return [e.id for e in load_exercises(hidden).values()
            if all(re.search(rf"^\s*def {f}\s*\(", code, re.M) for f in e.functions)]


def grade_path(path: str | Path, *, hidden=None, exercise_ids=None) -> Report:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix == ".ipynb":
        cells = cells_from_notebook(path)
    elif path.suffix == ".py":
        cells = cells_from_py(path)
    else:
        raise ValueError(f"{path}: grade a .ipynb notebook or a .py file")
    ids = exercise_ids or exercises_in_file(path, cells, hidden)
    if not ids:
        report = Report(str(path))
        report.load_errors.append("no exercise found: name the file like the "
                                  "exercise notebook or define the exercise functions")
        return report
    return grade_cells(cells, ids, source=str(path), hidden=hidden)


def check(exercise_id: str, namespace: dict, *, hidden=None) -> Report | None:
    """Grade one exercise from inside a notebook: ``check("ch02_...", globals())``.

    Your functions are copied into a separate process and checked there, so a
    crash or an infinite loop cannot hurt your notebook.  Call it again after
    an edit to re-score.
    """
    if os.environ.get(IN_SANDBOX):
        return None  # we are the grader running your notebook: don't recurse
    exercises = load_exercises(hidden)
    if exercise_id not in exercises:
        raise KeyError(f"unknown exercise {exercise_id!r}; known exercises: "
                       + ", ".join(sorted(exercises)))
    if not isinstance(namespace, dict):
        raise TypeError("pass your notebook's namespace: check(name, globals())")
    report = grade_cells(cells_from_namespace(namespace), [exercise_id],
                         source=f"your notebook ({exercise_id})", hidden=hidden)
    print(report.table())
    return report


# ----------------------------------------------------------------- class
def _student_files(entry: Path) -> list[Path]:
    if entry.is_file():
        return [entry] if entry.suffix in (".ipynb", ".py") else []
    return sorted(p for p in entry.rglob("*") if p.suffix in (".ipynb", ".py")
                  and ".ipynb_checkpoints" not in p.parts)


def grade_student(entry: Path, hidden=None) -> tuple[str, dict[str, float], list[str]]:
    scores: dict[str, float] = {}
    notes: list[str] = []
    for f in _student_files(entry):
        try:
            rep = grade_path(f, hidden=hidden)
        except Exception as err:  # noqa: BLE001 - keep going past a broken file
            notes.append(f"{f.name}: {err}")
            continue
        notes += [f"{f.name}: {e}" for e in rep.load_errors]
        for ex in rep.exercises:
            scores[ex.id] = max(scores.get(ex.id, 0.0), ex.score)
    return entry.stem if entry.is_file() else entry.name, scores, notes


def grade_class(submissions: str | Path, out_csv: str | Path, *, hidden=None,
                workers: int | None = None) -> list[dict]:
    """Grade every student in ``submissions`` (a sub-folder or a file each) and
    write a gradebook CSV: one row per student, one column per exercise."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"--submissions {submissions}: not a folder")
    entries = sorted(p for p in submissions.iterdir() if not p.name.startswith("."))
    exercises = load_exercises(hidden)
    workers = workers or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda e: grade_student(e, hidden), entries))
    seen = sorted({ex for _, s, _ in results for ex in s})
    rows = []
    for name, scores, notes in results:
        row = {"student": name}
        for ex in seen:
            row[ex] = scores.get(ex, 0.0)
        row["total"] = sum(scores.values())
        row["max_total"] = sum(exercises[e].max_score for e in seen)
        row["notes"] = " | ".join(notes)[:500]
        rows.append(row)
    with open(out_csv, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["student", *seen, "total",
                                                "max_total", "notes"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
