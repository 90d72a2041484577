"""The grader and the exercise generator, against the failures learners make."""

import json
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from mbrl_lessons.grade import main as grade_main
from mbrl_lessons.grading.generate import generate, stub_source
from mbrl_lessons.grading.runner import grade_cells, grade_class, grade_path
from mbrl_lessons.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
GOOD_BACKUP = """
import numpy as np
def bellman_optimality_backup(P, R, gamma, V):
    return (R + gamma * P @ V).max(axis=1)
"""
GOOD_GREEDY = """
def greedy_policy(P, R, gamma, V):
    return (R + gamma * P @ V).argmax(axis=1)
"""


def score(report, ex_id):
    return next(e for e in report.exercises if e.id == ex_id)


def test_good_code_full_marks():
    rep = grade_cells([GOOD_BACKUP], ["ch02_bellman_backup"])
    assert rep.score == rep.max_score == 5


def test_infinite_loop_is_stopped_and_other_exercises_still_graded():
    looping = GOOD_BACKUP + """
def greedy_policy(P, R, gamma, V):
    while True:
        pass
"""
    t0 = time.monotonic()
    rep = grade_cells([looping], ["ch02_greedy_policy", "ch02_bellman_backup"])
    assert time.monotonic() - t0 < 10 + 15  # the greedy exercise's limit + slack
    assert score(rep, "ch02_greedy_policy").score == 0
    assert "infinite loop" in score(rep, "ch02_greedy_policy").error
    assert score(rep, "ch02_bellman_backup").score == 5


def test_top_level_infinite_loop_cell_is_stopped():
    rep = grade_cells(["while True:\n    pass", GOOD_BACKUP], ["ch02_bellman_backup"],
                      limits=Limits(cell=2.0))
    assert any("did not finish" in e for e in rep.load_errors)
    assert rep.score == 5  # the next cell still ran


def test_loop_that_swallows_exceptions_is_still_stopped():
    sneaky = """
def greedy_policy(P, R, gamma, V):
    while True:
        try:
            while True:
                pass
        except Exception:
            pass
"""
    rep = grade_cells([sneaky], ["ch02_greedy_policy"])
    assert rep.score == 0 and "infinite loop" in rep.exercises[0].error


def test_syntax_error_in_one_cell_keeps_the_others():
    rep = grade_cells(["def oops(:\n  pass", GOOD_GREEDY + "\nimport numpy as np"],
                      ["ch02_greedy_policy"])
    assert any("SyntaxError" in e for e in rep.load_errors)
    assert rep.score == rep.max_score


@pytest.mark.parametrize("fn, body, expected", [
    ("greedy_policy", "raise ValueError('boom')", "ValueError: boom"),
    ("bellman_optimality_backup", "return np.full(P.shape[0], np.nan)", "NaN"),
    ("bellman_optimality_backup", "return np.zeros(P.shape[0] + 1)", "shape"),
    ("greedy_policy", "return (R + gamma * P @ V).argmax(axis=1).astype(float)",
     "integer"),
    ("greedy_policy", "return None", "returned None"),
])
def test_learner_mistakes_get_clear_messages(fn, body, expected):
    code = f"import numpy as np\ndef {fn}(P, R, gamma, V):\n    {body}\n"
    ex_id = {"greedy_policy": "ch02_greedy_policy",
             "bellman_optimality_backup": "ch02_bellman_backup"}[fn]
    rep = grade_cells([code], [ex_id])
    outputs = " ".join(c.output for c in rep.exercises[0].checks)
    assert rep.score == 0 and expected in outputs, outputs


def test_missing_function_and_unknown_exercise():
    rep = grade_cells(["x = 1"], ["ch02_greedy_policy"])
    assert rep.score == 0 and "missing function" in rep.exercises[0].error
    with pytest.raises(KeyError, match="known exercises"):
        grade_cells(["x = 1"], ["ch99_nope"])


def test_crashing_process_is_reported_not_raised():
    rep = grade_cells(["import os\nos._exit(3)"], ["ch02_greedy_policy"])
    assert rep.score == 0 and "ended the grading process" in rep.load_errors[0]
    assert "exited with code 3" in rep.load_errors[0]


def test_cli_json_is_gradescope_shaped(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert grade_main([str(ROOT / "solutions" / "ch03_model_learning.ipynb"),
                       "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["score"] == data["max_score"] == 11
    assert {"name", "score", "max_score", "output"} <= set(data["tests"][0])
    assert grade_main(["nope.ipynb"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_list_names_every_exercise_with_its_notebook(capsys):
    from mbrl_lessons.grading.registry import load_exercises

    assert grade_main(["--list"]) == 0
    out = capsys.readouterr().out
    exercises = load_exercises()
    for ex in exercises.values():
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [ex.id])
        assert f"{ex.max_score:g} pts" in line and ex.functions[0] in line
    assert f"{len(exercises)} exercises" in out
    # every notebook header is a real exercises/ notebook
    headers = [ln for ln in out.splitlines() if ln.endswith(".ipynb")]
    assert headers and all((ROOT / "exercises" / h).exists() for h in headers)


def test_hidden_checks_are_added(tmp_path):
    (tmp_path / "extra.py").write_text(
        "from mbrl_lessons.grading.core import Check\n"
        "def never(ns):\n    raise AssertionError('hidden check failed')\n"
        "HIDDEN_CHECKS = {'ch02_greedy_policy': [Check('hidden', 3, never)]}\n")
    rep = grade_cells([GOOD_GREEDY + "\nimport numpy as np"], ["ch02_greedy_policy"],
                      hidden=[tmp_path])
    assert rep.max_score == 8 and rep.score == 5


def test_class_gradebook_keeps_going_past_broken_submissions(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "ch03_model_learning.ipynb", subs / "alice")
    (subs / "bob").mkdir()
    (subs / "bob" / "ch03_model_learning.ipynb").write_text("{not json")
    (subs / "carol.py").write_text(GOOD_GREEDY + "\nimport numpy as np\n")
    rows = grade_class(subs, tmp_path / "book.csv")
    by = {r["student"]: r for r in rows}
    assert by["alice"]["total"] == 11 and by["bob"]["total"] == 0
    assert "not a readable notebook" in by["bob"]["notes"]
    assert by["carol"]["ch02_greedy_policy"] == 5
    header = (tmp_path / "book.csv").read_text().splitlines()[0]
    assert header.startswith("student,") and "total" in header


# ------------------------------------------------------------- generator
def test_stub_keeps_indent_and_names_the_function():
    src = ("def f(x):\n    y = 1\n    # BEGIN SOLUTION\n    return x + y\n"
           "    # END SOLUTION\n")
    out = stub_source(src)
    assert "return x + y" not in out and "    raise NotImplementedError" in out
    assert "write f" in out
    with pytest.raises(ValueError, match="without END"):
        stub_source("# BEGIN SOLUTION\nx = 1\n")


def _setup(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    shutil.copy(ROOT / "solutions" / "ch02_mdp.ipynb", sol)
    return sol, ex


def test_generation_is_deterministic(tmp_path):
    sol, ex = _setup(tmp_path)
    generate(sol, ex)
    first = (ex / "ch02_mdp.ipynb").read_text()
    assert generate(sol, ex) == {"ch02_mdp": "unchanged"}
    assert (ex / "ch02_mdp.ipynb").read_text() == first


def test_never_overwrites_a_learners_work_and_force_keeps_a_backup(tmp_path):
    sol, ex = _setup(tmp_path)
    generate(sol, ex)
    target = ex / "ch02_mdp.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.cells[3].source += "\n# my precious work"
    nbformat.write(nb, target)
    learner = target.read_text()
    # the solution changes upstream; a plain regenerate must not touch the file
    snb = nbformat.read(sol / "ch02_mdp.ipynb", as_version=4)
    snb.cells[0].source += "\nA new sentence."
    nbformat.write(snb, sol / "ch02_mdp.ipynb")
    assert generate(sol, ex) == {"ch02_mdp": "kept-edited"}
    assert target.read_text() == learner
    assert generate(sol, ex, force=True) == {"ch02_mdp": "backed-up-and-written"}
    backups = list((ex / ".backup").glob("ch02_mdp.*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text() == learner
    assert "A new sentence." in target.read_text()


def test_unedited_exercise_is_updated_without_force(tmp_path):
    sol, ex = _setup(tmp_path)
    generate(sol, ex)
    snb = nbformat.read(sol / "ch02_mdp.ipynb", as_version=4)
    snb.cells[0].source += "\nUpdated."
    nbformat.write(snb, sol / "ch02_mdp.ipynb")
    assert generate(sol, ex) == {"ch02_mdp": "written"}


def test_unknown_notebook_name_is_refused(tmp_path):
    sol, ex = _setup(tmp_path)
    with pytest.raises(KeyError, match="unknown exercise notebook"):
        generate(sol, ex, names=["ch99"])


def test_grade_path_refuses_other_files(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match=".ipynb"):
        grade_path(tmp_path / "x.txt")
