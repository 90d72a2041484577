"""Grader timing: one submission, and a class of 30 synthetic submissions.

The class mixes full solutions, untouched exercises, known-wrong variants, a
submission that loops forever and one with a syntax error, and is graded with
`--submissions` (in parallel), with the full isolation of a class run (one
process per submission inside its warden: rlimits, Landlock and no network
where the platform has them).  Writes results/grader_timing.json.
"""

import shutil
import tempfile
import time
from pathlib import Path

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.grading.runner import grade_class, grade_path  # noqa: E402
from mbrl_lessons.grading.sandbox import isolation  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_STUDENTS = 30

t0 = time.time()
single = grade_path(ROOT / "solutions" / "ch02_mdp.ipynb")
per_submission = time.time() - t0

with tempfile.TemporaryDirectory() as tmp:
    subs = Path(tmp) / "subs"
    kinds = []
    for i in range(N_STUDENTS):
        d = subs / f"student{i:02d}"
        d.mkdir(parents=True)
        kind = ["solution", "untouched", "wrong", "solution", "wrong"][i % 5]
        if i == 7:
            kind = "infinite-loop"
        if i == 11:
            kind = "syntax-error"
        kinds.append(kind)
        if kind in ("solution", "untouched"):
            src = ROOT / ("solutions" if kind == "solution" else "exercises")
            for nb in ("ch02_mdp.ipynb", "ch03_model_learning.ipynb"):
                shutil.copy(src / nb, d / nb)
        elif kind == "wrong":
            for v in (ROOT / "tests" / "wrong_variants").glob("ch02_*.py"):
                shutil.copy(v, d / v.name)
        elif kind == "infinite-loop":
            (d / "loop.py").write_text(
                "def greedy_policy(P, R, gamma, V):\n    while True:\n        pass\n")
        else:
            (d / "broken.py").write_text("def greedy_policy(P, R, gamma V):\n  pass\n")
    t0 = time.time()
    rows = grade_class(subs, Path(tmp) / "gradebook.csv")
    class_seconds = time.time() - t0

targets = [
    Target("seconds_per_submission", "grading one full ch02 notebook (4 exercises)",
           per_submission, "<=", 10),
    Target("seconds_class_of_30", f"grading {N_STUDENTS} synthetic submissions "
           "with `--submissions` on this machine's cores", class_seconds, "<=", 300),
    Target("class_rows", "one gradebook row per student, none lost", len(rows),
           "==", N_STUDENTS),
]
write_results("grader_timing", config={"students": N_STUDENTS, "kinds": kinds,
                                      "isolation": isolation()},
              targets=targets, seconds=per_submission + class_seconds,
              results_dir=out_dir,
              extra={"single_score": single.score, "single_max": single.max_score})
