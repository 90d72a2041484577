"""The grader: checks shipped with the package, run in a sandboxed process.

In a notebook::

    from mbrl_lessons.grading import check
    check("ch02_value_iteration", globals())

In a terminal: ``python -m mbrl_lessons.grade exercises/ch02_mdp.ipynb``.
See ``mbrl_lessons/grading/README.md`` for how to add an exercise.
"""

from mbrl_lessons.grading.registry import load_exercises
from mbrl_lessons.grading.runner import check, grade_class, grade_path

__all__ = ["check", "grade_class", "grade_path", "load_exercises"]
