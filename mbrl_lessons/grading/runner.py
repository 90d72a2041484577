"""Grade a submission: extract its code, run it in its own process, score it.

Entry points: :func:`check` (in a notebook), :func:`grade_path` (a file),
:func:`grade_class` (a folder of submissions), all used by
``python -m mbrl_lessons.grade``.

The checks, the reference answers, the hidden checks and the scoring all run
here, in the trusted process.  The submission's code runs in a separate
process (:mod:`mbrl_lessons.grading.sandbox`); the checks call its functions
there with inputs sent by value and judge the values that come back.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import json
import os
import re
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mbrl_lessons.grading.core import (
    CheckResult,
    ExerciseResult,
    LearnerCrash,
    LearnerError,
    LearnerTimeout,
    RemoteNamespace,
)
from mbrl_lessons.grading.registry import exercises_for_notebook, load_exercises
from mbrl_lessons.grading.sandbox import Limits, Submission, WorkerDied, WorkerTimeout

IN_SANDBOX = "MBRL_LESSONS_GRADING"
OUTPUT_CAP = 2000          # characters of feedback per test in results.json
TOTAL_OUTPUT_CAP = 8000    # characters of the top-level output
VISIBILITIES = ("after_published", "hidden", "after_due_date", "visible")
ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")


def _cap(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 20] + " ... (cut short)"


@dataclass
class Report:
    """Everything a grading run found, for one submission."""

    source: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    hidden_tests: set = field(default_factory=set)   # (exercise id, check name)

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
            lines.append(f"  ! while running your notebook: {_cap(err, 600)}")
        for ex in self.exercises:
            lines.append(f"\n{ex.id} — {ex.title}: {ex.score:g} / {ex.max_score:g}")
            if ex.error:
                lines.append(f"  ! {ex.error}")
            for c in ex.checks:
                mark = "PASS" if c.score == c.max_score else (
                    "PART" if c.score > 0 else "FAIL")
                lines.append(f"  [{mark}] {c.name} ({c.score:g}/{c.max_score:g})"
                             + ("" if c.output == "ok" else f": {_cap(c.output, 900)}"))
        lines.append(f"\nTotal: {self.score:g} / {self.max_score:g}")
        return "\n".join(lines)

    def gradescope(self, hidden_visibility: str = "after_published") -> dict:
        """Gradescope's results.json: every test with its visibility; an
        instructor's hidden checks ``after_published`` (or ``hidden``)."""
        if hidden_visibility not in VISIBILITIES:
            raise ValueError(f"hidden visibility must be one of {VISIBILITIES}")
        tests = []
        for ex in self.exercises:
            for c in ex.checks:
                hidden = (ex.id, c.name) in self.hidden_tests
                tests.append({"name": f"{ex.id}: {c.name}", "score": c.score,
                              "max_score": c.max_score,
                              "output": _cap(c.output, OUTPUT_CAP),
                              "visibility": hidden_visibility if hidden else "visible"})
        out = {"score": self.score, "max_score": self.max_score, "tests": tests,
               "execution_time": round(self.seconds, 2), "visibility": "visible",
               "stdout_visibility": "hidden"}
        if self.load_errors:
            out["output"] = _cap("\n".join(self.load_errors), TOTAL_OUTPUT_CAP)
        return out


# ----------------------------------------------------------- extraction
def _transform(source: str) -> str:
    """IPython syntax (``x?``, ``!ls``, ``%time``, ``%%capture``) turned into
    plain Python the way IPython does; ``get_ipython()`` is a no-op stub while
    grading.  Without IPython, such lines become ``pass``."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return "\n".join(
            (ln[: len(ln) - len(ln.lstrip())] + "pass")
            if re.match(r"^\s*[%!]|.*\?\s*$", ln) else ln
            for ln in source.splitlines())
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - a malformed cell is reported when it runs
        return source


def _decode_text(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def cells_from_notebook(path: Path) -> list[str]:
    """The code cells of a notebook; ``ValueError`` if it is not one."""
    import nbformat

    raw = Path(path).read_bytes()
    if not raw.strip():
        raise ValueError(f"{Path(path).name} is empty")
    try:
        nb = nbformat.reads(_decode_text(raw), as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is the learner's
        raise ValueError(f"{Path(path).name} is not a readable notebook: "
                         f"{_cap(err, 200)}") from None
    cells = []
    for c in nb.get("cells", []):
        if c.get("cell_type") == "code":
            src = c.get("source", "")
            src = "".join(src) if isinstance(src, list) else str(src)
            cells.append(_transform(src))
    return cells


def cells_from_py(path: Path) -> list[str]:
    text = _decode_text(Path(path).read_bytes())
    parts = re.split(r"^# %%.*$", text, flags=re.M)
    return [_transform(p) for p in parts if p.strip()]


def _class_source(cls) -> str:
    """A notebook class's source, found through its methods' code (``inspect``
    cannot find classes defined in ``__main__`` of a kernel)."""
    import ast
    import linecache

    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        pass
    for value in vars(cls).values():
        fn = getattr(value, "__func__", value)
        fn = getattr(fn, "fget", fn)
        code = getattr(fn, "__code__", None)
        if code is None:
            continue
        text = "".join(linecache.getlines(code.co_filename))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__ and \
                    node.lineno <= code.co_firstlineno <= node.end_lineno:
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                lines = text.splitlines(True)[start - 1: node.end_lineno]
                return __import__("textwrap").dedent("".join(lines))
    raise OSError("source not found")


_IPY_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open", "check"}
_IPY_PRIVATE = re.compile(r"^_(i{0,3}|\d+|i\d+|ih|oh|dh|ii|iii)$")


def _imported_from(name: str, val) -> str | None:
    """The module a non-data value was imported from under the same name."""
    import sys

    for mod_name, mod in list(sys.modules.items()):
        if mod_name == "__main__" or mod is None:
            continue
        try:
            if getattr(mod, name, None) is val:
                return mod_name
        except Exception:  # noqa: BLE001 - lazy modules may raise on access
            continue
    return None


def namespace_code(ns: dict) -> tuple[list[str], dict, list[str]]:
    """What a live notebook namespace holds, as code and values to rebuild it
    in the grading process: modules and imported names as imports, the
    functions and classes defined in the notebook (``_private`` ones too) as
    their source, and plain data (numbers, strings, numeric arrays and
    tensors, and lists, tuples, dicts of them) by value.  Returns ``(cells,
    data, skipped names)``."""
    from mbrl_lessons.grading import wire

    imports, defs, data, skipped = [], [], {}, []
    for name, val in list(ns.items()):
        if name in _IPY_NAMES or name.startswith("__") or _IPY_PRIVATE.match(name):
            continue
        if isinstance(val, types.ModuleType):
            imports.append(f"import {val.__name__} as {name}")
            continue
        mod = getattr(val, "__module__", None)
        qual = getattr(val, "__qualname__", "")
        if (inspect.isfunction(val) or inspect.isclass(val)) and mod == ns.get(
                "__name__", "__main__"):
            try:
                src = _class_source(val) if inspect.isclass(val) else \
                    inspect.getsource(val)
            except (OSError, TypeError):
                skipped.append(name)
                continue
            defs.append(src if val.__name__ == name else
                        src + f"\n{name} = {val.__name__}\n")
            continue
        if callable(val) and mod and not mod.startswith("__") and qual and \
                "<" not in qual and "." not in qual:
            imports.append(f"from {mod} import {qual} as {name}")
            continue
        enc = json.dumps(wire.encode(val))
        if "__opaque__" not in enc and len(enc) <= 8e6:
            data[name] = json.loads(enc)
            continue
        home = _imported_from(name, val)     # e.g. `from pkg import TASKS`
        if home:
            imports.append(f"from {home} import {name}")
        else:
            skipped.append(name)
    return imports + defs, data, skipped


# -------------------------------------------------------------- running
def resolve_forbidden(exercises) -> dict[str, str]:
    """Public dotted names -> ``{"module.qualname": public name}``."""
    out = {}
    for ex in exercises:
        for dotted in ex.forbidden:
            mod_name, _, attr = dotted.rpartition(".")
            try:
                obj = getattr(importlib.import_module(mod_name), attr)
            except (ImportError, AttributeError):
                continue
            out[f"{obj.__module__}.{obj.__qualname__}"] = dotted
    return out


def _grade_exercise(sub: Submission, ex, report: Report) -> ExerciseResult:
    res = ExerciseResult(ex.id, ex.title)
    try:
        reply = sub.ask({"op": "defined", "names": list(ex.functions)}, 10.0)
        defined = set(reply.get("callable", []))
    except (WorkerDied, WorkerTimeout) as err:
        defined, res.error = set(), f"not graded: the grading process failed ({err})"
    missing = [f for f in ex.functions if f not in defined]
    if missing and not res.error:
        res.error = ("missing function(s): " + ", ".join(missing)
                     + "; define them with exactly these names")
    deadline = time.monotonic() + ex.time_limit
    stopped = ""
    for chk in ex.checks:
        if chk.hidden:
            report.hidden_tests.add((ex.id, chk.name))
        if res.error or stopped:
            res.checks.append(CheckResult(chk.name, 0.0, chk.points,
                                          "not run: " + (res.error or stopped)))
            continue
        ns = RemoteNamespace(sub, defined, deadline)
        try:
            frac = chk.fn(ns)
            frac = 1.0 if frac is None else float(frac)
            if not 0.0 <= frac <= 1.0:
                raise ValueError(f"check returned {frac}")
            out = "ok" if frac == 1.0 else f"partial credit ({frac:.0%})"
            res.checks.append(CheckResult(chk.name, frac * chk.points, chk.points, out))
            continue
        except LearnerTimeout:
            stopped = (f"stopped after {ex.time_limit:g} s: your code did not finish "
                       "(an infinite loop, or far too slow)")
            res.error, msg = stopped, stopped
        except LearnerCrash as err:
            stopped = f"your code ended the grading process ({err})"
            res.error, msg = stopped, stopped
        except NotImplementedError:
            msg = "not implemented yet (the stub still raises NotImplementedError)"
        except LearnerError as err:
            msg = "your code raised " + str(err)
        except AssertionError as err:
            msg = str(err) or "wrong answer"
        except Exception as err:  # noqa: BLE001 - a check tripping on odd output
            detail = "" if chk.hidden else f": {_cap(err, 200)}"
            msg = (f"the check could not use what your function returned "
                   f"({type(err).__name__}{detail})")
        res.checks.append(CheckResult(chk.name, 0.0, chk.points, _cap(msg, OUTPUT_CAP)))
    return res


def grade_cells(cells: list[str], exercise_ids: list[str], *, source: str = "<code>",
                hidden=None, timeout: float | None = None, data: dict | None = None,
                limits: Limits | None = None) -> Report:
    """Run ``cells`` in a fresh process and score ``exercise_ids`` there."""
    exercises = load_exercises(hidden)
    unknown = [e for e in exercise_ids if e not in exercises]
    if unknown:
        raise KeyError(f"unknown exercise(s) {unknown}; known exercises: "
                       + ", ".join(sorted(exercises)))
    limits = limits or Limits()
    chosen = [exercises[e] for e in exercise_ids]
    uses_torch = any(e.torch for e in chosen) or any("torch" in c for c in cells)
    cpu = int(len(cells) * limits.cell + sum(e.time_limit for e in chosen) + 60)
    t0 = time.monotonic()
    report = Report(source)
    sub = Submission(cells, data=data, forbidden=resolve_forbidden(chosen),
                     limits=limits, torch=uses_torch, cpu_seconds=cpu)
    try:
        try:
            sub.ensure()
        except WorkerDied:
            pass
        for ex in chosen:
            report.exercises.append(_grade_exercise(sub, ex, report))
    finally:
        sub.close()
    report.load_errors = list(sub.load_errors)
    if sub.broken and sub.broken not in report.load_errors:
        report.load_errors.append(sub.broken)
    report.seconds = time.monotonic() - t0
    return report


def exercises_in_file(path: Path, cells: list[str], hidden=None) -> list[str]:
    """The notebook's own exercises if its name is known; else every exercise
    whose functions the code defines."""
    ids = exercises_for_notebook(Path(path).stem, hidden)
    if ids:
        return ids
    code = "\n".join(cells)
    return [e.id for e in load_exercises(hidden).values()
            if all(re.search(rf"^\s*def {f}\s*\(", code, re.M) for f in e.functions)]


def _zero_report(source: str, ids: list[str], why: str, hidden=None) -> Report:
    report = Report(source, load_errors=[why])
    exercises = load_exercises(hidden)
    for e in ids:
        ex = exercises[e]
        res = ExerciseResult(ex.id, ex.title, error=why)
        res.checks = [CheckResult(c.name, 0.0, c.points, "not graded: " + why)
                      for c in ex.checks]
        report.exercises.append(res)
        report.hidden_tests |= {(ex.id, c.name) for c in ex.checks if c.hidden}
    return report


def grade_path(path: str | Path, *, hidden=None, exercise_ids=None,
               limits: Limits | None = None) -> Report:
    """Grade one notebook or ``.py`` file.  A file that cannot be read scores
    0 with a note saying why (it never raises for what a submission holds)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix not in (".ipynb", ".py"):
        raise ValueError(f"{path}: grade a .ipynb notebook or a .py file")
    ids = list(exercise_ids or exercises_for_notebook(path.stem, hidden))
    try:
        cells = (cells_from_notebook(path) if path.suffix == ".ipynb"
                 else cells_from_py(path))
    except (ValueError, OSError) as err:
        return _zero_report(str(path), ids, str(err), hidden)
    ids = ids or exercises_in_file(path, cells, hidden)
    if not ids:
        return Report(str(path), load_errors=[
            "no exercise found: name the file like the exercise notebook or "
            "define the exercise functions"])
    return grade_cells(cells, ids, source=str(path), hidden=hidden, limits=limits)


def check(exercise_id: str, namespace: dict, *, hidden=None) -> Report | None:
    """Grade one exercise from inside a notebook: ``check("ch02_...", globals())``.

    Everything your notebook defined (functions, classes, constants, imports)
    is rebuilt in a separate process and graded there exactly as the
    command-line grader grades the saved notebook, so a crash or an infinite
    loop cannot hurt your notebook.  Call it again after an edit to re-score.
    """
    if os.environ.get(IN_SANDBOX):
        return None  # we are the grader running your notebook: don't recurse
    exercises = load_exercises(hidden)
    if exercise_id not in exercises:
        raise KeyError(f"unknown exercise {exercise_id!r}; known exercises: "
                       + ", ".join(sorted(exercises)))
    if not isinstance(namespace, dict):
        raise TypeError("pass your notebook's namespace: check(name, globals())")
    cells, data, skipped = namespace_code(namespace)
    report = grade_cells(cells, [exercise_id], source=f"your notebook ({exercise_id})",
                         hidden=hidden, data=data)
    if skipped:
        report.load_errors.append("not copied to the grader (not plain data): "
                                  + ", ".join(skipped[:20]))
    print(report.table())
    return report


# ----------------------------------------------------------------- class
def student_name(entry: Path) -> str:
    """The one identity rule: an entry's name without its extension(s)
    (``carol.py``, ``carol.ipynb`` and the folder ``carol/`` are all carol)."""
    name = entry.name
    if entry.is_dir():
        return name
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz", *ARCHIVES, ".ipynb", ".py"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return entry.stem


def _student_files(entry: Path) -> tuple[list[Path], list[str]]:
    notes = []
    if entry.is_file():
        if entry.suffix in (".ipynb", ".py"):
            return [entry], notes
        if entry.name.lower().endswith(ARCHIVES):
            notes.append(f"{entry.name}: an archive is not unpacked; submit the "
                         "notebook (.ipynb) or .py file itself")
        else:
            notes.append(f"{entry.name}: not a notebook or .py file, not graded")
        return [], notes
    files = sorted(p for p in entry.rglob("*") if p.is_file()
                   and p.suffix in (".ipynb", ".py")
                   and ".ipynb_checkpoints" not in p.parts)
    if not files:
        archives = [p.name for p in entry.rglob("*") if p.is_file()
                    and p.name.lower().endswith(ARCHIVES)]
        notes.append(f"{entry.name}/: " + (
            f"only archives ({', '.join(archives[:5])}), which are not unpacked"
            if archives else "an empty folder (no .ipynb or .py file)"))
    return files, notes


def grade_student(entries: list[Path], hidden=None,
                  limits: Limits | None = None) -> tuple[str, dict, list[str]]:
    """Grade every entry of one student; the best score per exercise counts."""
    name = student_name(entries[0])
    scores: dict[str, float] = {}
    notes: list[str] = []
    if len(entries) > 1:
        notes.append(f"{len(entries)} entries share the name {name!r} ("
                     + ", ".join(e.name + ("/" if e.is_dir() else "") for e in entries)
                     + "): graded as one student, best score per exercise")
    for entry in entries:
        files, more = _student_files(entry)
        notes += more
        for f in files:
            try:
                rep = grade_path(f, hidden=hidden, limits=limits)
            except Exception as err:  # noqa: BLE001 - keep going past a broken file
                notes.append(f"{f.name}: {_cap(err, 200)}")
                continue
            notes += [f"{f.name}: {_cap(e, 200)}" for e in rep.load_errors]
            for ex in rep.exercises:
                scores[ex.id] = max(scores.get(ex.id, 0.0), ex.score)
    return name, scores, notes


def grade_class(submissions: str | Path, out_csv: str | Path, *, hidden=None,
                workers: int | None = None, limits: Limits | None = None) -> list[dict]:
    """Grade every student in ``submissions`` and write a gradebook CSV: one
    row per student (see :func:`student_name`), one column per exercise."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"--submissions {submissions}: not a folder")
    groups: dict[str, list[Path]] = {}
    for p in sorted(submissions.iterdir()):
        if not p.name.startswith("."):
            groups.setdefault(student_name(p), []).append(p)
    exercises = load_exercises(hidden)
    workers = workers or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda g: grade_student(g, hidden, limits),
                                groups.values()))
    seen = sorted({ex for _, s, _ in results for ex in s})
    rows = []
    for name, scores, notes in results:
        row = {"student": name}
        for ex in seen:
            row[ex] = scores.get(ex, 0.0)
        row["total"] = sum(scores.values())
        row["max_total"] = sum(exercises[e].max_score for e in seen)
        row["notes"] = _cap(" | ".join(notes), 1000)
        rows.append(row)
    tmp = Path(str(out_csv) + ".tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["student", *seen, "total",
                                                "max_total", "notes"])
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out_csv)
    return rows
