"""Where exercises are found: the check modules shipped with the package,
plus any instructor folder of hidden checks passed with ``--hidden``."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import pkgutil
from pathlib import Path

from mbrl_lessons.grading.core import Exercise


def _from_module(mod) -> list[Exercise]:
    exercises = getattr(mod, "EXERCISES", None)
    if exercises is None:
        raise ValueError(f"check module {mod.__name__} defines no EXERCISES list")
    return list(exercises)


def load_exercises(hidden: list[str | Path] | None = None) -> dict[str, Exercise]:
    """All exercises by id.  Hidden modules may add checks to existing ids."""
    from mbrl_lessons.grading import checks as pkg

    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for ex in _from_module(mod):
            if ex.id in found:
                raise ValueError(f"exercise id {ex.id!r} is defined twice")
            found[ex.id] = ex
    for folder in hidden or []:
        folder = Path(folder)
        if not folder.is_dir():
            raise ValueError(f"--hidden {folder}: not a folder")
        for path in sorted(folder.glob("*.py")):
            spec = importlib.util.spec_from_file_location(f"hidden_{path.stem}", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            extra = getattr(mod, "HIDDEN_CHECKS", {})
            for ex_id, checks in extra.items():
                if ex_id not in found:
                    raise ValueError(f"{path}: hidden checks for unknown exercise "
                                     f"{ex_id!r}")
                ex = found[ex_id]
                extra_checks = tuple(dataclasses.replace(c, hidden=True)
                                     for c in checks)
                found[ex_id] = dataclasses.replace(ex, checks=ex.checks + extra_checks)
    return found


def exercises_for_notebook(stem: str, hidden=None) -> list[str]:
    return [e.id for e in load_exercises(hidden).values() if e.notebook == stem]
