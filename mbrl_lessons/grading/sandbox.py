"""The process that runs a learner's code and the checks (never the kernel).

Started by :func:`mbrl_lessons.grading.runner.grade_cells` as
``python -m mbrl_lessons.grading.sandbox``; reads a JSON request on stdin and
writes one JSON line of results after the marker ``@@GRADER@@``.

Limits, and why:
- a CPU-time rlimit kills a runaway process even if it ignores signals;
- every cell of the submission runs under a wall-clock alarm, so a cell that
  loops forever is stopped and the next cell still runs;
- every exercise's checks share a wall-clock budget, so an infinite loop inside
  one learner function costs that exercise only.
The timeout is a ``BaseException``: a learner's ``except Exception`` cannot
swallow it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
import traceback

MARKER = "@@GRADER@@"
CELL_LIMIT = 10.0


class GradingTimeout(BaseException):
    """Raised by the alarm when learner code runs past its time budget."""


def _on_alarm(signum, frame):
    raise GradingTimeout


@contextlib.contextmanager
def _time_limit(seconds: float):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _describe(err: BaseException) -> str:
    """``TypeError: ... (line 12 of your code)`` — the learner's frame, not ours."""
    line = ""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.startswith("<cell"):
            line = f" ({frame.filename.strip('<>')}, line {frame.lineno})"
            break
    return f"{type(err).__name__}: {err}{line}"


def run_request(req: dict) -> dict:
    from mbrl_lessons.grading.core import CheckResult, ExerciseResult
    from mbrl_lessons.grading.registry import load_exercises

    exercises = load_exercises(req.get("hidden"))
    ns: dict = {"__name__": "__submission__"}
    load_errors: list[str] = []
    sink = io.StringIO()  # learner prints go here, not into our JSON
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        for i, source in enumerate(req["cells"]):
            try:
                code = compile(source, f"<cell {i + 1}>", "exec")
            except SyntaxError as err:
                load_errors.append(f"cell {i + 1} has a SyntaxError at line "
                                   f"{err.lineno}: {err.msg}")
                continue
            try:
                with _time_limit(req.get("cell_limit", CELL_LIMIT)):
                    exec(code, ns)
            except GradingTimeout:
                load_errors.append(f"cell {i + 1} did not finish within "
                                   f"{req.get('cell_limit', CELL_LIMIT):g} s and was "
                                   "stopped (an infinite loop?)")
            except NotImplementedError:
                pass  # an unfinished stub called at top level: graded below
            except BaseException as err:  # noqa: BLE001 - learner code may raise anything
                load_errors.append(f"cell {i + 1} raised {_describe(err)}")

        results = []
        for ex_id in req["exercises"]:
            ex = exercises[ex_id]
            res = ExerciseResult(ex.id, ex.title)
            missing = [f for f in ex.functions if not callable(ns.get(f))]
            if missing:
                res.error = ("missing function(s): " + ", ".join(missing)
                             + "; define them with exactly these names")
            deadline = time.monotonic() + ex.time_limit
            timed_out = False
            for chk in ex.checks:
                if missing or timed_out:
                    res.checks.append(CheckResult(chk.name, 0.0, chk.points,
                                                  "not run: " + (res.error or
                                                                 "time limit reached")))
                    continue
                try:
                    with _time_limit(deadline - time.monotonic()):
                        frac = chk.fn(ns)
                    frac = 1.0 if frac is None else float(frac)
                    if not 0.0 <= frac <= 1.0:
                        raise ValueError(f"check returned {frac}")
                    out = "ok" if frac == 1.0 else f"partial credit ({frac:.0%})"
                    res.checks.append(CheckResult(chk.name, frac * chk.points,
                                                  chk.points, out))
                except GradingTimeout:
                    timed_out = True
                    res.error = (f"stopped after {ex.time_limit:g} s: your code did "
                                 "not finish (an infinite loop, or far too slow)")
                    res.checks.append(CheckResult(chk.name, 0.0, chk.points,
                                                  res.error))
                except NotImplementedError:
                    res.checks.append(CheckResult(
                        chk.name, 0.0, chk.points,
                        "not implemented yet (the stub still raises "
                        "NotImplementedError)"))
                except AssertionError as err:
                    res.checks.append(CheckResult(chk.name, 0.0, chk.points,
                                                  str(err) or "wrong answer"))
                except BaseException as err:  # noqa: BLE001
                    res.checks.append(CheckResult(chk.name, 0.0, chk.points,
                                                  "your code raised " + _describe(err)))
            results.append(res)
    return {
        "load_errors": load_errors,
        "results": [
            {"id": r.id, "title": r.title, "error": r.error,
             "checks": [c.__dict__ for c in r.checks]} for r in results
        ],
        "printed": sink.getvalue()[-2000:],
    }


def main() -> None:
    import resource

    req = json.loads(sys.stdin.read())
    cpu = int(req.get("cpu_limit", 120))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    os.environ.setdefault("MPLBACKEND", "Agg")
    out = run_request(req)
    sys.__stdout__.write(MARKER + json.dumps(out) + "\n")
    sys.__stdout__.flush()


if __name__ == "__main__":
    main()
