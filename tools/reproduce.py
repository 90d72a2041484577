"""Run every benchmark, one after another: ``make reproduce`` and
``make reproduce-fast``.

Each ``benchmarks/<name>.py`` runs its (variant x seed) jobs through
``mbrl_lessons.sweep``: on a local Ray (or in process if a local Ray cannot
start), or on the cluster at ``RAY_ADDRESS``; finished jobs are cached, so a
rerun after an interruption recomputes only what had not finished.
``MBRL_LESSONS_SEEDS`` (``make reproduce SEEDS=10``) is passed on to every
benchmark.  A benchmark that fails is reported and the others still run.  The
end prints each benchmark's wall-clock seconds and their total against the
budget (3 hours for the full run, 2 minutes per benchmark at FAST; see
``benchmarks/README.md``), and exits with status 1 if any benchmark failed.

    python tools/reproduce.py [--fast] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL_BUDGET_S = 3 * 3600  # make reproduce at 5 seeds (issue 12)
FAST_BUDGET_S = 120  # one benchmark's FAST run


def _clock(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    return f"{h} h {rest // 60:02d} min" if h else f"{rest // 60} min {rest % 60:02d} s"


def summary(times: dict[str, float], failed: list[str], fast: bool) -> str:
    """The closing report: seconds per benchmark, the total and the budget."""
    width = max([len(n) for n in times] + [9])
    lines = [f"{'benchmark':<{width}}  seconds"]
    lines += [f"{n:<{width}}  {s:7.0f}{'  FAILED' if n in failed else ''}"
              for n, s in times.items()]
    total = sum(times.values())
    lines.append(f"{'total':<{width}}  {total:7.0f}  ({_clock(total)})")
    if fast:
        slow = [n for n, s in times.items() if s > FAST_BUDGET_S]
        lines.append(f"FAST budget {FAST_BUDGET_S} s per benchmark: "
                     + (f"over in {', '.join(slow)}" if slow else "all within"))
    else:
        verdict = ("within" if total <= FULL_BUDGET_S else
                   f"over by {total - FULL_BUDGET_S:.0f} s")
        lines.append(f"budget {FULL_BUDGET_S} s ({_clock(FULL_BUDGET_S)}): {verdict}")
    if failed:
        lines.append(f"{len(failed)} benchmark(s) FAILED: {', '.join(failed)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="FAST budget")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these benchmarks (names without .py)")
    parser.add_argument("--benchmarks", type=Path, default=ROOT / "benchmarks",
                        help="the folder of benchmark scripts")
    args = parser.parse_args(argv)
    scripts = sorted(args.benchmarks.glob("*.py"))
    if args.only:
        unknown = set(args.only) - {p.stem for p in scripts}
        if unknown:
            parser.error(f"no such benchmark(s) in {args.benchmarks}: "
                         f"{', '.join(sorted(unknown))}")
        scripts = [p for p in scripts if p.stem in args.only]
    if not scripts:
        parser.error(f"no benchmarks/*.py in {args.benchmarks}")
    times: dict[str, float] = {}
    failed: list[str] = []
    for i, script in enumerate(scripts, 1):
        print(f"== [{i}/{len(scripts)}] {script.relative_to(args.benchmarks.parent)}",
              flush=True)
        t0 = time.time()
        cmd = [sys.executable, str(script)] + (["--fast"] if args.fast else [])
        code = subprocess.run(cmd, cwd=ROOT).returncode
        times[script.stem] = time.time() - t0
        if code != 0:
            failed.append(script.stem)
            print(f"== {script.stem} FAILED (exit status {code}); going on", flush=True)
    print(summary(times, failed, args.fast), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
