"""Exercise and check definitions, and the results they produce.

An *exercise* (id ``chNN_topic``) asks the learner to write one or more
functions.  It carries *checks*: plain functions ``check(ns)`` that receive the
learner's namespace and either return (pass) or raise ``AssertionError`` with
a message saying what was expected, what came back, and a hint — the same
style as pytest tests.  A check may also return a fraction in ``[0, 1]`` for
partial credit.

Checks run in the *trusted* grading process, never beside the learner's code:
``ns`` is a :class:`RemoteNamespace`, whose functions run in the submission's
own process (see :mod:`mbrl_lessons.grading.sandbox`) on inputs sent by value
and return their results by value.  Live inputs (an environment, a callback,
a torch model) are sent as fixture specs, ``wire.fx(name, ...)``.
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
    hidden: bool = False          # set for an instructor's hidden check


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
    # the package's reference implementation(s) of this exercise, as public
    # dotted names: the submission may not import them while it is graded
    forbidden: tuple[str, ...] = ()
    torch: bool = False           # the checks send or receive torch tensors

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

# Relative precision a returned dtype is held to (on top of the check's atol):
# float32 code passes whenever it is within float32 precision of the answer.
_RTOL = {2: 2e-2, 4: 1e-4}      # itemsize of the floating type -> relative tol


def _values(value):
    """The array inside whatever came back (a tensor's numbers, a RemoteTensor)."""
    from mbrl_lessons.grading.wire import Opaque, RemoteTensor

    if isinstance(value, RemoteTensor):
        return value.array
    if isinstance(value, Opaque):
        raise AssertionError(f"your function returned {value!r}, not numbers")
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


def as_array(value, name: str, shape: tuple | None = None, kind: str = "f"):
    """Check ``value`` is a numpy array of the right shape and kind; return it."""
    if value is None:
        raise AssertionError(f"{name} returned None; did you forget `return`?")
    value = _values(value)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray(None)
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


def _digits(x: float, diff: float) -> str:
    """``x`` with enough significant digits that a difference ``diff`` shows."""
    digits = 6
    if diff > 0 and x != 0 and np.isfinite(x):
        digits = int(np.clip(np.ceil(np.log10(abs(x) / diff)) + 2, 6, 17))
    return f"{x:.{digits}g}"


def tolerance(got, expected, atol: float) -> float:
    """``atol``, widened to the precision of the dtype the learner returned."""
    dtype = np.asarray(_values(got)).dtype
    scale = float(np.abs(np.asarray(expected, dtype=float)).max(initial=0.0))
    if np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating):
        rtol = _RTOL.get(np.dtype(dtype).itemsize // (
            2 if np.issubdtype(dtype, np.complexfloating) else 1), 0.0)
        return max(atol, rtol * max(scale, 1.0))
    return atol


def assert_close(got, expected, name: str, atol: float = 1e-6, hint: str = "",
                 hint_when=None):
    """``got`` equals ``expected`` within ``atol`` (widened for float32).

    The message prints enough digits to show the difference; ``hint`` is given
    only when the failure looks like the mistake it describes: not for a
    near-miss (that is a precision question), and not when ``hint_when(got,
    expected)`` says it does not match."""
    allowed = tolerance(got, expected, atol)
    got_raw = _values(got)
    try:
        got = np.asarray(got_raw, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name}: expected numbers, got "
                             f"{type(got_raw).__name__}") from None
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        try:
            np.broadcast_shapes(got.shape, expected.shape)
        except ValueError:
            raise AssertionError(f"{name}: expected shape {expected.shape}, got "
                                 f"{got.shape}") from None
        if got.size != expected.size:
            raise AssertionError(f"{name}: expected shape {expected.shape}, got "
                                 f"{got.shape}")
        got = got.reshape(expected.shape)
    if not np.isfinite(got).all():
        raise AssertionError(f"{name}: your result contains NaN or inf")
    diff = np.abs(got - expected)
    err = float(diff.max()) if diff.size else 0.0
    if err <= allowed:
        return
    idx = np.unravel_index(diff.argmax(), got.shape)
    e, g = float(expected[idx]), float(got[idx])
    where = f" at index {tuple(int(i) for i in idx)}" if got.ndim else ""
    msg = (f"{name}: largest error {err:.3g} (allowed {allowed:.3g}){where}: "
           f"expected {_digits(e, err)}, got {_digits(g, err)}.")
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-12)
    if err < 1e-3 * scale:
        msg += (" Close, but not within tolerance: the first digits agree, so look "
                "for a loop that stops a little early or late, or lost precision.")
    elif hint and (hint_when is None or hint_when(got, expected)):
        msg += f" Hint: {hint}"
    raise AssertionError(msg)


def assert_greedy(Q: np.ndarray, pi: np.ndarray, where: str = "",
                  atol: float = 1e-6) -> None:
    """Every action in ``pi [S]`` must maximise ``Q [S, A]`` (any of tied ones)."""
    if pi.min(initial=0) < 0 or pi.max(initial=0) >= Q.shape[1]:
        raise AssertionError(f"actions must lie in 0..{Q.shape[1] - 1}, got "
                             f"{pi.tolist()}")
    chosen = Q[np.arange(len(pi)), pi]
    if not np.allclose(chosen, Q.max(1), atol=atol):
        s = int(np.argmax(Q.max(1) - chosen))
        raise AssertionError(f"in state {s} you chose action {pi[s]} with Q = "
                             f"{_digits(chosen[s], Q[s].max() - chosen[s])}{where}, "
                             f"but the best action has Q = "
                             f"{_digits(Q[s].max(), Q[s].max() - chosen[s])}")


def get_function(ns, name: str):
    """The learner's function ``name`` (in the trusted process: a handle that
    calls it in the submission's process)."""
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


# ------------------------------------------------------ remote functions
class LearnerError(Exception):
    """The learner's function raised (the message is theirs, capped)."""


class LearnerTimeout(Exception):
    """The learner's function ran past the exercise's time limit."""


class LearnerCrash(Exception):
    """The learner's function ended its own process."""


@dataclass
class CallResult:
    value: object
    state: dict
    args: list | None
    no_grad: bool = False


class RemoteFunction:
    """Calls the learner's function ``name`` in the submission's process."""

    def __init__(self, ns: RemoteNamespace, name: str):
        self.ns, self.name = ns, name

    def __call__(self, *args, **kwargs):
        return self.call(*args, **kwargs).value

    def call(self, *args, state: bool = False, backward: bool = False,
             return_args: bool = False, **kwargs) -> CallResult:
        return self.ns.call(self.name, args, kwargs, state=state, backward=backward,
                            return_args=return_args)


class RemoteNamespace:
    """What a check sees as ``ns``: the learner's callables, by name."""

    def __init__(self, submission, defined: set[str], deadline: float):
        self.submission, self.defined, self.deadline = submission, defined, deadline

    def get(self, name, default=None):
        return RemoteFunction(self, name) if name in self.defined else default

    def __getitem__(self, name):
        fn = self.get(name)
        if fn is None:
            raise AssertionError(f"no function named `{name}` was found")
        return fn

    def __contains__(self, name):
        return name in self.defined

    def call(self, name, args, kwargs, *, state=False, backward=False,
             return_args=False) -> CallResult:
        import time

        from mbrl_lessons.grading import wire
        from mbrl_lessons.grading.sandbox import WorkerDied, WorkerTimeout, format_error

        left = self.deadline - time.monotonic()
        if left <= 0:
            raise LearnerTimeout
        msg = {"op": "call", "fn": name, "args": [wire.encode(a) for a in args],
               "kwargs": {k: wire.encode(v) for k, v in kwargs.items()},
               "limit": left, "state": state, "backward": backward,
               "return_args": return_args}
        try:
            reply = self.submission.ask(msg, left)
        except WorkerTimeout:
            raise LearnerTimeout from None
        except WorkerDied as err:
            raise LearnerCrash(str(err)) from None
        if reply.get("timeout"):
            raise LearnerTimeout
        if reply.get("missing"):
            raise AssertionError(f"no function named `{name}` was found")
        if reply.get("not_implemented"):
            raise NotImplementedError
        if "raised" in reply:
            raise LearnerError(format_error(reply["raised"]))
        try:
            value = wire.decode(reply.get("value"))
            st = wire.decode(reply.get("state", {"__dict__": []}))
            got_args = wire.decode(reply["args"]) if "args" in reply else None
        except (wire.ProtocolError, ValueError, TypeError) as err:
            raise AssertionError(f"`{name}` returned something the grader cannot "
                                 f"read ({err})") from None
        return CallResult(value, st, got_args, bool(reply.get("no_grad")))
