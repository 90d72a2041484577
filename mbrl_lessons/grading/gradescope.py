"""The Gradescope autograder: build the bundle, and grade one submission in it.

``make gradescope`` (or ``python -m mbrl_lessons.grading.gradescope build``)
writes ``build/gradescope/<notebook>.zip`` for every exercise notebook: a
``setup.sh`` that installs Python, CPU torch and the course package (from the
wheel inside the zip), a ``run_autograder`` that grades
``/autograder/submission`` into ``/autograder/results/results.json``, a
``config.json`` naming the notebook, and, if given, a ``hidden/`` folder of
instructor checks.

``python -m mbrl_lessons.grading.gradescope run --submission DIR --results
FILE --config FILE`` is what ``run_autograder`` calls.  It always writes a
valid ``results.json``: files it cannot read, archives and empty submissions
score 0 with a note saying why.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import traceback
import zipfile
from pathlib import Path

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
# CPU torch from PyTorch's index (PyPI's default is the multi-GB CUDA build)
/autograder/venv/bin/pip install -q --index-url https://download.pytorch.org/whl/cpu \\
  "torch>=2.2"
/autograder/venv/bin/pip install -q ./wheels/*.whl
/autograder/venv/bin/python -c "import mbrl_lessons.grading; print('grader ready')"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission.  AUTOGRADER_ROOT and
# MBRL_GRADER_PYTHON exist so the bundle can be tested outside Gradescope.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${MBRL_GRADER_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
"$PY" -m mbrl_lessons.grading.gradescope run \\
  --submission "$ROOT/submission" \\
  --results "$ROOT/results/results.json" \\
  --config "$ROOT/source/config.json"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  printf '{"score": 0, "tests": [], "output": "%s (exit %s)"}' \\
    "the autograder could not start" "$status" > "$ROOT/results/results.json"
fi
exit 0
"""


def _zero_test(ex, why: str) -> list[dict]:
    return [{"name": f"{ex.id}: {c.name}", "score": 0.0, "max_score": c.points,
             "output": why, "visibility": "visible"} for c in ex.checks]


def grade_submission(submission: Path, notebooks: list[str], hidden: list[str],
                     hidden_visibility: str = "after_published") -> dict:
    """One Gradescope results.json for everything in ``submission``."""
    from mbrl_lessons.grading.registry import exercises_for_notebook, load_exercises
    from mbrl_lessons.grading.runner import (
        ARCHIVES,
        OUTPUT_CAP,
        _student_files,
        grade_path,
    )

    exercises = load_exercises(hidden)
    wanted = [e for nb in notebooks for e in exercises_for_notebook(nb, hidden)]
    best: dict[str, dict] = {}
    notes: list[str] = []
    files, more = _student_files(submission) if submission.is_dir() else ([], [])
    notes += [n.split(": ", 1)[-1] for n in more]
    archives = [p.name for p in submission.rglob("*")
                if p.is_file() and p.name.lower().endswith(ARCHIVES)] \
        if submission.is_dir() else []
    if archives and files:
        notes.append(f"archives not unpacked: {', '.join(archives[:5])}")
    for f in files:
        try:
            rep = grade_path(f, hidden=hidden)
        except Exception as err:  # noqa: BLE001 - a file we cannot grade
            notes.append(f"{f.name}: {str(err)[:300]}")
            continue
        notes += [f"{f.name}: {e[:300]}" for e in rep.load_errors]
        data = rep.gradescope(hidden_visibility)
        for ex in rep.exercises:
            if wanted and ex.id not in wanted:
                continue
            tests = [t for t in data["tests"] if t["name"].startswith(ex.id + ": ")]
            if ex.id not in best or ex.score > best[ex.id]["score"]:
                best[ex.id] = {"score": ex.score, "tests": tests, "file": f.name}
    tests = []
    for ex_id in wanted or sorted(best):
        if ex_id in best:
            tests += best[ex_id]["tests"]
        else:
            tests += _zero_test(exercises[ex_id], "not graded: no submitted file "
                                "defines this exercise's functions")
    if not files:
        notes.insert(0, "nothing to grade: submit the exercise notebook (.ipynb) or "
                        "a .py file")
    for t in tests:
        t["output"] = str(t.get("output", ""))[:OUTPUT_CAP]
    out = {"score": float(sum(t["score"] for t in tests)),
           "max_score": float(sum(t["max_score"] for t in tests)), "tests": tests,
           "visibility": "visible", "stdout_visibility": "hidden"}
    if notes:
        out["output"] = "\n".join(notes)[:8000]
    return out


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="gradescope run")
    parser.add_argument("--submission", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        cfg_path = Path(args.config)
        cfg = json.loads(cfg_path.read_text())
        hidden = [str(cfg_path.parent / h) for h in cfg.get("hidden", [])]
        data = grade_submission(Path(args.submission), cfg.get("notebooks", []),
                                hidden, cfg.get("hidden_visibility", "after_published"))
        code = 0
    except Exception:  # noqa: BLE001 - never leave Gradescope without a result
        traceback.print_exc()
        data = {"score": 0.0, "tests": [], "output": "the autograder itself failed "
                "(not your code); tell your instructor"}
        code = 1
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(results)
    return code


def build_bundle(out_dir: Path, notebook: str, *, hidden: Path | None = None,
                 hidden_visibility: str = "after_published",
                 wheel: Path | None = None) -> Path:
    """Write ``out_dir/<notebook>.zip``; ``wheel`` is the course package's wheel
    (built by :func:`build_wheel`; omitted only in tests)."""
    from mbrl_lessons.grading.registry import exercises_for_notebook

    if not exercises_for_notebook(notebook):
        raise ValueError(f"{notebook}: no exercises are registered for this notebook")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{notebook}.zip"
    cfg = {"notebooks": [notebook], "hidden_visibility": hidden_visibility,
           "hidden": ["hidden"] if hidden else []}

    def add(zf, name, text, mode=0o644):
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, text)

    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "setup.sh", SETUP_SH, 0o755)
        add(zf, "run_autograder", RUN_AUTOGRADER, 0o755)
        add(zf, "config.json", json.dumps(cfg, indent=2) + "\n")
        if wheel is not None:
            add(zf, f"wheels/{wheel.name}", wheel.read_bytes())
        if hidden is not None:
            for f in sorted(Path(hidden).glob("*.py")):
                add(zf, f"hidden/{f.name}", f.read_text())
    return path


def build_wheel(repo: Path, out_dir: Path) -> Path:
    """The course package's wheel (offline, no build isolation)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                        "--no-build-isolation", "-w", tmp, str(repo)], check=True)
        found = sorted(Path(tmp).glob("mbrl_lessons-*.whl"))
        if not found:
            raise RuntimeError("pip wheel produced no mbrl_lessons wheel")
        target = out_dir / found[0].name
        shutil.copy(found[0], target)
    return target


def build(argv: list[str]) -> int:
    from mbrl_lessons.grading.registry import load_exercises

    parser = argparse.ArgumentParser(prog="gradescope build")
    parser.add_argument("--out", default="build/gradescope")
    parser.add_argument("--notebook", action="append", default=None,
                        help="only this exercise notebook (repeatable)")
    parser.add_argument("--hidden", default=None, help="a folder of hidden checks")
    parser.add_argument("--hidden-visibility", default="after_published",
                        choices=["after_published", "hidden"])
    parser.add_argument("--repo", default=".")
    args = parser.parse_args(argv)
    out = Path(args.out)
    wheel = build_wheel(Path(args.repo), out / "wheel")
    notebooks = args.notebook or sorted({e.notebook for e in load_exercises().values()})
    for nb in notebooks:
        path = build_bundle(out, nb, hidden=Path(args.hidden) if args.hidden else None,
                            hidden_visibility=args.hidden_visibility, wheel=wheel)
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "build"):
        print("usage: python -m mbrl_lessons.grading.gradescope run|build ...",
              file=sys.stderr)
        return 2
    return (run if argv[0] == "run" else build)(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
