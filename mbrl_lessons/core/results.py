"""The results contract shared by every benchmark (see ``benchmarks/``).

A benchmark measures, then calls :func:`write_results`, which writes
``results/<name>.json``::

    {"name": ..., "commit": ..., "budget": "full", "seconds": ...,
     "config": {...}, "targets": [{"id", "description", "measured", "op",
                                   "threshold", "met"}, ...]}

A target that compares methods or aggregates over seeds is built with
:meth:`Target.over_seeds`: it also stores ``per_seed`` (the values it was
computed from, one per seed; a dict of such lists for a statistic of several
paired samples), ``statistic`` and ``ci``, a 95% bootstrap confidence interval
(``scipy.stats.bootstrap``, percentile method, as rliable reports), and it is
``met`` only if the whole interval lies on the right side of the threshold.

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
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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


def _iqm(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Interquartile mean: the mean of the middle 50% (rliable's summary of
    learning curves; robust to one outlying seed, less noisy than the median)."""
    from scipy.stats import trim_mean

    return trim_mean(x, 0.25, axis=axis)


def _ratio_of_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) / np.mean(b, axis=axis)


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


# name -> (function of one or more paired samples, number of samples)
STATISTICS = {
    "mean": (np.mean, 1),
    "median": (np.median, 1),
    "iqm": (_iqm, 1),
    "ratio_of_means": (_ratio_of_means, 2),
    "mean_difference": (_mean_difference, 2),
}


def bootstrap_ci(samples: list[np.ndarray], statistic: str = "mean",
                 confidence: float = 0.95, n_resamples: int = 9_999,
                 seed: int = 0) -> tuple[float, float]:
    """A ``confidence`` bootstrap interval of ``statistic`` over seeds.

    ``samples`` are paired (seed ``i`` of every sample is resampled together).
    Uses ``scipy.stats.bootstrap`` with the percentile method; with every
    resample the same (all seeds agree) the interval is that one value.
    """
    from scipy.stats import bootstrap

    fn, n_samples = STATISTICS[statistic]
    arrays = [np.asarray(x, dtype=float).ravel() for x in samples]
    if len(arrays) != n_samples:
        raise ValueError(f"statistic {statistic!r} takes {n_samples} sample(s), "
                         f"got {len(arrays)}")
    if len({len(a) for a in arrays}) != 1 or len(arrays[0]) < 2:
        raise ValueError("a bootstrap interval needs paired samples of equal "
                         f"length >= 2, got lengths {[len(a) for a in arrays]}")
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"per-seed values must be finite, got {arrays}")
    if all(np.ptp(a) == 0 for a in arrays):
        value = float(fn(*arrays))
        return value, value
    res = bootstrap(tuple(arrays), fn, paired=True, vectorized=True,
                    confidence_level=confidence, n_resamples=n_resamples,
                    method="percentile", rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


@dataclass(frozen=True)
class Target:
    """One measured number against its threshold (``measured op threshold``).

    With ``ci`` set (see :meth:`over_seeds`), ``met`` asks more: the whole
    interval must lie on the right side of the threshold.
    """

    id: str
    description: str
    measured: float
    op: str
    threshold: float
    per_seed: list[float] | dict[str, list[float]] | None = None
    """The values ``measured`` was computed from, one per seed."""
    statistic: str | None = None
    """How ``measured`` summarises ``per_seed`` (a key of ``STATISTICS``)."""
    ci: tuple[float, float] | None = None
    """95% bootstrap confidence interval of ``measured`` over seeds."""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {sorted(_OPS)}, got {self.op!r}")

    @classmethod
    def over_seeds(cls, id: str, description: str,
                   per_seed: Any, op: str, threshold: float, *,
                   statistic: str = "mean", confidence: float = 0.95) -> Target:
        """A target measured over seeds: ``statistic`` of ``per_seed`` with its
        bootstrap interval, met only if the interval clears the threshold.

        ``per_seed`` is a list (one value per seed) or, for a statistic of two
        paired samples (``ratio_of_means``, ``mean_difference``), a dict of two
        such lists in the statistic's argument order.  The description gets a
        note saying how the number and its verdict were made.
        """
        if statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {sorted(STATISTICS)}, "
                             f"got {statistic!r}")
        if isinstance(per_seed, dict):
            values = {str(k): [float(v) for v in np.asarray(x, float).ravel()]
                      for k, x in per_seed.items()}
            samples = [np.array(v) for v in values.values()]
        else:
            values = [float(v) for v in np.asarray(per_seed, float).ravel()]
            samples = [np.array(values)]
        fn, _ = STATISTICS[statistic]
        measured = float(fn(*samples))
        ci = bootstrap_ci(samples, statistic, confidence)
        n = len(samples[0])
        side = "above" if op in (">", ">=") else "below" if op in ("<", "<=") \
            else "equal to"
        note = (f" [{statistic.replace('_', ' ')} over {n} seeds; met only if its "
                f"{confidence:.0%} bootstrap interval lies {side} the threshold]")
        return cls(id, description + note, measured, op, threshold,
                   per_seed=values, statistic=statistic, ci=ci)

    @property
    def met(self) -> bool:
        if self.measured is None or (
            isinstance(self.measured, float) and math.isnan(self.measured)
        ):
            return False
        if not _OPS[self.op](self.measured, self.threshold):
            return False
        if self.ci is None:
            return True
        low, high = self.ci
        if self.op in (">", ">="):
            return bool(_OPS[self.op](low, self.threshold))
        if self.op in ("<", "<="):
            return bool(_OPS[self.op](high, self.threshold))
        return low == high == self.threshold

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["measured"] = _jsonable(self.measured)
        for key in ("per_seed", "statistic", "ci"):
            if d[key] is None:
                del d[key]
            else:
                d[key] = _jsonable(d[key])
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


def software_versions() -> dict[str, str]:
    """The versions a result depends on beyond the commit.  The same seed gives
    the same numbers only on the same stack: a different torch build (or
    thread count) changes floating-point sums, and a learning run amplifies
    the difference until the curves part."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "machine": platform.machine()}
    for pkg in ("numpy", "torch", "gymnasium", "mujoco", "open_spiel"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


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
        "software": software_versions(),
        "config": _jsonable(config),
        "targets": [t.as_dict() for t in targets],
    }
    sweep = sys.modules.get("mbrl_lessons.sweep")
    if sweep is not None and sweep.SWEEPS_RUN:
        # which (variant x seed) grids ran through mbrl_lessons.sweep
        payload["sweeps"] = [{k: v for k, v in run.items()
                              if k not in ("computed", "cached")}
                             for run in sweep.SWEEPS_RUN]
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
        if t.get("ci"):
            shown += f" [95% CI {t['ci'][0]:.4g}, {t['ci'][1]:.4g}]"
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
