"""The results contract shared by every benchmark (see ``benchmarks/``).

A benchmark measures, then calls :func:`write_results`, which writes
``results/<name>.json``::

    {"name": ..., "commit": ..., "budget": "full", "seconds": ...,
     "config": {...}, "targets": [{"id", "description", "measured", "op",
                                   "threshold", "met"}, ...]}

Chapters and the results appendix read these files with :func:`load_results`;
no number is ever typed into the book by hand.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import math
import operator
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbrl_lessons.core.budget import budget_name

REPO_ROOT = Path(__file__).resolve().parents[2]
# ``mbrl_lessons/results`` is a link to the repository's ``results/`` folder, so
# the committed numbers ship inside the wheel (and reach Colab) while the
# benchmarks keep writing ``results/<name>.json`` in a checkout.
RESULTS_DIR = Path(str(importlib.resources.files("mbrl_lessons") / "results"))
# the commit the measured code came from: fixed when a benchmark starts, so a
# commit made while a long benchmark runs is not credited with its numbers
_START_COMMIT: str | None = None

_OPS = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Target:
    """One measured number against its threshold (``measured op threshold``)."""

    id: str
    description: str
    measured: float
    op: str
    threshold: float

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {sorted(_OPS)}, got {self.op!r}")

    @property
    def met(self) -> bool:
        if self.measured is None or (
            isinstance(self.measured, float) and math.isnan(self.measured)
        ):
            return False
        return bool(_OPS[self.op](self.measured, self.threshold))

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["measured"] = _jsonable(self.measured)
        d["met"] = self.met
        return d


def git_commit(cwd: Path = REPO_ROOT) -> str:
    """The current commit sha (``"unknown"`` outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
            check=True,
        )
        sha = out.stdout.strip()
        # results/ itself is left out: a benchmark run writes there, and a
        # rerun should not call the code it ran "dirty" for that
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             ":(exclude)results"], cwd=cwd, capture_output=True, text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _jsonable(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(x).items()}
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "tolist"):  # numpy scalars and arrays
        return x.tolist()
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def write_results(
    name: str,
    *,
    config: Any,
    targets: list[Target],
    seconds: float,
    extra: dict[str, Any] | None = None,
    results_dir: Path | None = None,
) -> Path:
    """Write ``results/<name>.json`` and print every target with its value."""
    results_dir = Path(results_dir) if results_dir is not None else RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "commit": _START_COMMIT or git_commit(),
        "budget": budget_name(),
        "seconds": round(float(seconds), 2),
        "config": _jsonable(config),
        "targets": [t.as_dict() for t in targets],
    }
    if extra:
        payload["extra"] = _jsonable(extra)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print_targets(payload)
    print(f"wrote {path}")
    return path


def print_targets(payload: dict[str, Any]) -> None:
    """A readable table of a results payload's targets."""
    print(f"== {payload['name']} ({payload['budget']}, {payload['seconds']} s) ==")
    for t in payload["targets"]:
        mark = "MET " if t["met"] else "MISS"
        measured = t["measured"]
        shown = f"{measured:.4g}" if isinstance(measured, int | float) else measured
        print(f"  [{mark}] {t['id']}: {shown} {t['op']} {t['threshold']}"
              f"  ({t['description']})")


def load_results(name: str, results_dir: Path | None = None) -> dict[str, Any] | None:
    """The committed results of benchmark ``name``, or ``None`` if not run yet."""
    results_dir = Path(results_dir) if results_dir is not None else RESULTS_DIR
    path = results_dir / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def target_value(payload: dict[str, Any] | None, target_id: str) -> Any:
    """The measured value of one target of a results payload (``None`` if absent)."""
    if payload is None:
        return None
    for t in payload["targets"]:
        if t["id"] == target_id:
            return t["measured"]
    return None


def benchmark_cli(description: str) -> tuple[Path, bool]:
    """Parse the two flags every ``benchmarks/*.py`` takes.

    ``--fast`` switches to the FAST budget (sets ``MBRL_LESSONS_FAST=1`` before
    any size is read); ``--out DIR`` writes the JSON elsewhere than
    ``results/`` (FAST runs never overwrite the committed full results unless
    asked to).  Returns ``(out_dir, fast)``.
    """
    import argparse
    import os

    global _START_COMMIT
    _START_COMMIT = git_commit()

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="FAST budget")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    args = parser.parse_args()
    if args.fast:
        os.environ["MBRL_LESSONS_FAST"] = "1"
    from mbrl_lessons.core.budget import is_fast

    fast = is_fast()
    out = args.out
    if out is None:
        out = RESULTS_DIR if not fast else Path("/tmp/mbrl_lessons_results_fast")
    return out, fast
