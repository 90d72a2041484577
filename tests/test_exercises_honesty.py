"""Honesty checks of every exercise notebook (discovered automatically).

- every solution scores full marks;
- every generated (untouched) exercise scores 0 and finishes within its limits;
- every known-wrong variant in tests/wrong_variants/<exercise_id>.py scores
  strictly less than full marks (and every exercise has one);
- exercises/ is exactly what regenerating from solutions/ gives.
"""

from pathlib import Path

import pytest

from mbrl_lessons.grading import load_exercises
from mbrl_lessons.grading.generate import generate, make_exercise
from mbrl_lessons.grading.registry import exercises_for_notebook
from mbrl_lessons.grading.runner import grade_path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = load_exercises()
WRONG = ROOT / "tests" / "wrong_variants"


@pytest.mark.parametrize("nb", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_scores_full_marks(nb):
    ids = exercises_for_notebook(nb.stem)
    assert ids, f"{nb.name}: no exercise registered for this notebook"
    report = grade_path(nb)
    assert not report.load_errors, report.table()
    assert report.score == report.max_score > 0, report.table()


@pytest.mark.parametrize("nb", SOLUTIONS, ids=lambda p: p.stem)
def test_untouched_exercise_scores_zero_and_finishes(nb):
    ex_nb = ROOT / "exercises" / nb.name
    assert ex_nb.exists(), f"exercises/{nb.name} missing: run make exercises"
    report = grade_path(ex_nb)
    assert report.score == 0 and report.max_score > 0, report.table()
    limit = sum(EXERCISES[e].time_limit for e in exercises_for_notebook(nb.stem))
    assert report.seconds < limit


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_known_wrong_variant_gets_less_than_full(ex_id):
    variant = WRONG / f"{ex_id}.py"
    assert variant.exists(), f"add a known-wrong variant: {variant}"
    report = grade_path(variant, exercise_ids=[ex_id])
    assert report.exercises[0].max_score > 0
    assert report.score < report.max_score, report.table()


def test_exercises_are_exactly_regenerated(tmp_path):
    for nb in SOLUTIONS:
        committed = (ROOT / "exercises" / nb.name).read_text()
        assert committed == make_exercise(nb), (
            f"exercises/{nb.name} is stale: run `make exercises`")
    # and the generator agrees there is nothing to do
    actions = generate(ROOT / "solutions", ROOT / "exercises", check_only=True)
    assert set(actions.values()) <= {"unchanged"}, actions
