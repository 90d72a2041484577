"""Exercise and check definitions, and the results they produce.

An *exercise* (id ``chNN_topic``) asks the learner to write one or more
functions.  It carries *checks*: plain functions ``check(ns)`` that receive the
learner's namespace and either return (pass) or raise ``AssertionError`` with
a message saying what was expected, what came back, and a hint — the same
style as pytest tests.  A check may also return a fraction in ``[0, 1]`` for
partial credit.  Checks run inside the sandbox process (see
:mod:`mbrl_lessons.grading.sandbox`), never in the learner's kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Check:
    """One graded property of an exercise."""

    name: str
    points: float
    fn: Callable[[dict], float | None]


@dataclass(frozen=True)
class Exercise:
    """A graded exercise: the functions to write and the checks that score them."""

    id: str
    title: str
    notebook: str                 # stem of the solutions/exercises notebook
    functions: tuple[str, ...]    # names the learner must define
    checks: tuple[Check, ...]
    time_limit: float = 10.0      # wall-clock seconds for all of its checks
    hint: str = ""                # shown in the generated stub

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))


@dataclass
class CheckResult:
    name: str
    score: float
    max_score: float
    output: str


@dataclass
class ExerciseResult:
    id: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    error: str = ""

    @property
    def score(self) -> float:
        return float(sum(c.score for c in self.checks))

    @property
    def max_score(self) -> float:
        return float(sum(c.max_score for c in self.checks))


# ---------------------------------------------------------------- helpers
# Small assertion helpers shared by the check modules: each failure message
# says what was expected, what came back, and how to start looking.

def as_array(value, name: str, shape: tuple | None = None, kind: str = "f"):
    """Check ``value`` is a numpy array of the right shape and kind; return it."""
    if value is None:
        raise AssertionError(f"{name} returned None; did you forget `return`?")
    arr = np.asarray(value)
    if arr.dtype == object:
        raise AssertionError(f"{name} returned {type(value).__name__} that is not a "
                             "numeric array")
    if kind == "f" and not np.issubdtype(arr.dtype, np.number):
        raise AssertionError(f"{name} should return numbers, got dtype {arr.dtype}")
    if kind == "i" and not np.issubdtype(arr.dtype, np.integer):
        raise AssertionError(
            f"{name} should return integer actions, got dtype {arr.dtype}; "
            "hint: argmax returns ints, keep them (no float conversion)")
    if shape is not None and arr.shape != tuple(shape):
        raise AssertionError(f"{name} should return shape {tuple(shape)}, got "
                             f"{arr.shape}")
    if kind == "f" and not np.isfinite(arr).all():
        raise AssertionError(f"{name} returned NaN or inf values; check for a "
                             "division by zero or a value that never converged")
    return arr


def assert_close(got, expected, name: str, atol: float = 1e-6, hint: str = ""):
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    err = np.abs(got - expected).max()
    if not err <= atol:
        idx = np.unravel_index(np.abs(got - expected).argmax(), got.shape)
        raise AssertionError(
            f"{name}: largest error {err:.3g} (allowed {atol:g}); at index "
            f"{tuple(int(i) for i in idx)} expected {expected[idx]:.6g}, got "
            f"{got[idx]:.6g}." + (f" Hint: {hint}" if hint else ""))


def assert_greedy(Q: np.ndarray, pi: np.ndarray, where: str = "",
                  atol: float = 1e-6) -> None:
    """Every action in ``pi [S]`` must maximise ``Q [S, A]`` (any of tied ones)."""
    chosen = Q[np.arange(len(pi)), pi]
    if not np.allclose(chosen, Q.max(1), atol=atol):
        s = int(np.argmax(Q.max(1) - chosen))
        raise AssertionError(f"in state {s} you chose action {pi[s]} with Q = "
                             f"{chosen[s]:.4g}{where}, but the best action has Q = "
                             f"{Q[s].max():.4g}")


def get_function(ns: dict, name: str):
    fn = ns.get(name)
    if fn is None:
        raise AssertionError(f"no function named `{name}` was found; define it "
                             "with exactly this name")
    if not callable(fn):
        raise AssertionError(f"`{name}` is not a function")
    return fn


def random_mdp(rng: np.random.Generator, S: int, A: int):
    """A dense random MDP ``(P [S, A, S], R [S, A])`` for property checks."""
    P = rng.random((S, A, S)) ** 3  # skewed rows, so mistakes show
    P /= P.sum(-1, keepdims=True)
    R = rng.normal(size=(S, A))
    return P, R
