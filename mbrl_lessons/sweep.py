"""Sweeps of (config variant x seed) jobs on Ray, cached on disk and resumable.

Every benchmark measures its numbers through :func:`run_sweep`::

    results = run_sweep(train_one, {"k1": cfg1, "k5": cfg5}, seeds=range(5),
                        name="ch07_mbpo")
    results["k5", 3]          # what train_one(cfg5, 3) returned

Each job ``fn(cfg, seed)`` runs as one Ray task with one CPU and one torch
thread.  ``ray.init()`` starts a local Ray on this machine's cores unless
``RAY_ADDRESS`` names an existing cluster (``ray start --head`` prints it);
then the same command runs there, and the package itself is shipped to the
workers with the job.  If a local Ray cannot start (on a heavily loaded
machine its raylet gives up waiting for its agent), the sweep says so in one
line and runs the jobs one after another in this process instead, as
``MBRL_LESSONS_SWEEP_INPROCESS=1`` asks for explicitly; a cluster named by
``RAY_ADDRESS`` that cannot be reached stays an error.

Every finished job's result is written to a cache folder
(``MBRL_LESSONS_SWEEP_CACHE``, default ``.sweep_cache/`` at the repository
root), keyed by the benchmark, the budget, the commit, the variant, the seed
and a hash of the config and of ``fn``'s source.  A sweep that is killed and
started again computes only the jobs that had not finished.  A job that
raises is reported with its variant, config and seed while the others carry
on; once every job has ended, :class:`SweepError` lists the failures (the
finished jobs stay cached, so a rerun redoes only the failed ones).

Results must be plain data (numbers, strings, lists, dicts; numpy arrays and
scalars are turned into lists and floats): a cached result and a fresh one
are then the same object, whichever path produced it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbrl_lessons.core.budget import budget, budget_name

SEEDS_ENV_VAR = "MBRL_LESSONS_SEEDS"
CACHE_ENV_VAR = "MBRL_LESSONS_SWEEP_CACHE"
CPUS_ENV_VAR = "MBRL_LESSONS_NUM_CPUS"
INPROCESS_ENV_VAR = "MBRL_LESSONS_SWEEP_INPROCESS"
_REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE_DIR = _REPO_ROOT / ".sweep_cache"
# environment every task sees: one BLAS/OpenMP thread, the driver's budget
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# every sweep this process ran: write_results records them in the results file
SWEEPS_RUN: list[dict[str, Any]] = []


def n_seeds(full: int, fast: int = 1) -> int:
    """How many seeds a benchmark runs: ``full`` (or ``fast`` in FAST mode),
    raised to ``MBRL_LESSONS_SEEDS`` when that is set and larger.

    ``make reproduce SEEDS=10`` sets it, so every benchmark runs at least ten
    seeds; it never lowers a count below the benchmark's own.
    """
    default = budget(fast=fast, full=full)
    value = os.environ.get(SEEDS_ENV_VAR, "").strip()
    if not value:
        return default
    try:
        floor = int(value)
    except ValueError:
        raise ValueError(f"{SEEDS_ENV_VAR}={value!r} is not a whole number of "
                         "seeds") from None
    if floor < 1:
        raise ValueError(f"{SEEDS_ENV_VAR} must be at least 1, got {floor}")
    return max(default, floor)


def to_plain(x: Any) -> Any:
    """``x`` as JSON-able plain data (dataclasses, NamedTuples and dicts become
    dicts; tuples, lists and numpy arrays become lists; numpy scalars become
    Python numbers).  NaN and infinities are kept (JSON's ``NaN`` token)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: to_plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, tuple) and hasattr(x, "_asdict"):
        return {k: to_plain(v) for k, v in x._asdict().items()}
    if isinstance(x, Mapping):
        return {str(k): to_plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_plain(v) for v in x]
    if hasattr(x, "tolist"):  # numpy arrays and scalars, torch tensors
        return to_plain(x.tolist())
    if x is None or isinstance(x, bool | int | float | str):
        return x
    raise TypeError(f"a sweep result must be plain data (numbers, strings, lists, "
                    f"dicts, arrays); got {type(x).__name__}: {x!r:.80}")


def config_hash(cfg: Any, fn: Callable | None = None) -> str:
    """A short stable hash of a config (and of ``fn``'s source code)."""
    text = json.dumps(to_plain(cfg), sort_keys=True)
    if fn is not None:
        try:
            text += inspect.getsource(fn)
        except (OSError, TypeError):  # no source (a builtin, an interactive fn)
            text += f"{fn.__module__}.{fn.__qualname__}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _commit() -> str:
    from mbrl_lessons.core import results

    return results._START_COMMIT or results.git_commit()


@dataclass(frozen=True)
class JobFailure:
    """A job that raised: which one, with what config, and the traceback."""

    variant: str
    seed: int
    config: Any
    error: str

    def __str__(self) -> str:
        return (f"variant {self.variant!r}, seed {self.seed}, config "
                f"{json.dumps(to_plain(self.config), sort_keys=True)}:\n{self.error}")


class SweepError(RuntimeError):
    """Raised after a sweep in which some jobs failed (the rest are cached)."""

    def __init__(self, name: str, failures: list[JobFailure], n_jobs: int):
        self.failures = failures
        lines = "\n\n".join(str(f) for f in failures)
        super().__init__(f"sweep {name!r}: {len(failures)} of {n_jobs} jobs "
                         f"raised; the others are cached, so a rerun recomputes "
                         f"only these:\n\n{lines}")


class SweepResults(dict):
    """``{(variant, seed): result}`` plus what the sweep did.

    ``computed``/``cached`` count the jobs run now and those read from the
    cache; ``failures`` lists the jobs that raised (only when the sweep was
    asked not to raise); ``seconds`` is the wall-clock time.
    """

    computed: int = 0
    cached: int = 0
    seconds: float = 0.0
    failures: list[JobFailure]

    def per_seed(self, variant: str, key: Callable[[Any], Any] | str | None = None,
                 ) -> list[Any]:
        """One variant's results in seed order (or ``key`` of each: a callable
        or the name of a field of a dict result)."""
        items = sorted((s, r) for (v, s), r in self.items() if v == variant)
        if isinstance(key, str):
            field = key
            return [r[field] for _, r in items]
        return [key(r) if key else r for _, r in items]


def cache_dir_for(name: str, cache_root: Path | str | None = None) -> Path:
    """Where the sweep ``name`` keeps its finished jobs at this budget and commit."""
    root = Path(cache_root or os.environ.get(CACHE_ENV_VAR) or DEFAULT_CACHE_DIR)
    return root / name / f"{budget_name()}-{_commit()}"


def _job_path(folder: Path, variant: str, seed: int, chash: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in variant)
    return folder / f"{safe}__seed{seed}__{chash}.json"


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(payload, allow_nan=True))
    os.replace(tmp, path)  # a kill mid-write never leaves half a result


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text())["result"]
    except (OSError, ValueError, KeyError):
        return _MISSING


_MISSING = object()


def _task_env() -> dict[str, str]:
    env = {var: "1" for var in _THREAD_VARS}
    for var in ("MBRL_LESSONS_FAST", SEEDS_ENV_VAR):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def ensure_ray(num_cpus: int | None = None) -> None:
    """Connect to Ray once per process: the cluster at ``RAY_ADDRESS`` if set,
    else a fresh local Ray with ``num_cpus`` (default: ``MBRL_LESSONS_NUM_CPUS``
    or every core of this machine).

    A local Ray starts without its dashboard (``include_dashboard=False``: no
    dashboard process, no web server) and without usage statistics.  Its
    raylet still starts a dashboard *agent* and waits a fixed 15 s for the
    agent's port files whatever ``ray.init`` is told (ray-project/ray#65983;
    ``_system_config`` has no key for that wait in Ray 2.x), so on a loaded
    machine the start can still fail: :func:`run_sweep` then runs the jobs in
    its own process.
    """
    import ray

    if ray.is_initialized():
        return
    runtime_env: dict[str, Any] = {"env_vars": _task_env()}
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True,
                              "logging_level": "WARNING"}
    # no usage-stats reporting thread, prompt or network call at start
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if os.environ.get("RAY_ADDRESS"):
        # a cluster's workers may not have this checkout: ship the package
        import mbrl_lessons

        runtime_env["py_modules"] = [str(Path(mbrl_lessons.__file__).parent)]
    else:
        # "local": always a private Ray of this process, never a cluster that
        # some earlier `ray start` left registered on this machine
        kwargs["address"] = "local"
        if num_cpus is None:
            num_cpus = int(os.environ.get(CPUS_ENV_VAR) or os.cpu_count() or 1)
        kwargs["num_cpus"] = num_cpus
    ray.init(runtime_env=runtime_env, **kwargs)


def _needs_pickle_by_value(fn: Callable) -> bool:
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return False  # __main__ is pickled by value anyway
    top = module.__name__.split(".")[0]
    where = str(getattr(module, "__file__", "") or "")
    return (top != "mbrl_lessons" and top not in sys.stdlib_module_names
            and bool(where) and "site-packages" not in where)


def _run_job(fn: Callable[[Any, int], Any], cfg: Any, seed: int) -> dict[str, Any]:
    """The body of one Ray task: one torch thread, a plain-data result or the
    traceback of the error (never raised: the driver reports it)."""
    # OMP_NUM_THREADS=1 in the task's environment already gives torch one
    # thread; a torch imported earlier in this worker is told so explicitly
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    t0 = time.process_time()
    try:
        result = to_plain(fn(cfg, seed))
    except BaseException:  # noqa: BLE001 - any error is reported, with its job
        return {"ok": False, "error": traceback.format_exc()}
    return {"ok": True, "result": result, "cpu_seconds": time.process_time() - t0}


# why a local Ray failed to start in this process ("" if it did not fail):
# later sweeps of the same benchmark go straight to the in-process runner
_LOCAL_RAY_FAILED = ""


def _in_process(fn: Callable[[Any, int], Any], todo: list):
    # one thread, as in a Ray task: a torch imported by the first job reads
    # OMP_NUM_THREADS; one imported already is set by _run_job
    os.environ.update({var: "1" for var in _THREAD_VARS})
    for variant, cfg, seed, path in todo:
        yield variant, cfg, seed, path, _run_job(fn, cfg, seed)


def _start_ray_or_fall_back(name: str, n_jobs: int, num_cpus: int | None,
                            warn: Callable[[str], None]) -> bool:
    """Start (or join) Ray; ``False`` if a *local* Ray failed to start, after
    one line through ``warn`` saying the jobs run in this process instead.  A
    cluster at ``RAY_ADDRESS`` that cannot be joined raises."""
    global _LOCAL_RAY_FAILED
    address = os.environ.get("RAY_ADDRESS", "").strip()
    if _LOCAL_RAY_FAILED and not address:
        warn(f"WARNING: sweep {name}: a local Ray did not start earlier in this "
             f"process ({_LOCAL_RAY_FAILED}); running its {n_jobs} jobs here")
        return False
    try:
        ensure_ray(num_cpus)
    except Exception as err:  # noqa: BLE001 - whatever stopped the raylet
        if address:
            raise RuntimeError(
                f"sweep {name!r}: cannot connect to the Ray cluster at "
                f"RAY_ADDRESS={address} ({type(err).__name__}: {err}); start it "
                f"with `ray start --head` or unset RAY_ADDRESS to run locally"
            ) from err
        reason = " ".join(str(err).split())[:160]
        _LOCAL_RAY_FAILED = f"{type(err).__name__}: {reason[:60]}"
        warn(f"WARNING: sweep {name}: a local Ray did not start "
             f"({type(err).__name__}: {reason}); running its {n_jobs} jobs in "
             f"this process, one after another ({INPROCESS_ENV_VAR}=1 skips "
             f"the attempt)")
        return False
    return True


def _replies(fn: Callable[[Any, int], Any], todo: list, num_cpus: int | None,
             name: str = "", warn: Callable[[str], None] = print):
    """Run the jobs ``todo`` and yield ``(variant, cfg, seed, path, reply)`` as
    each ends: as Ray tasks, or one after another in this process when
    ``MBRL_LESSONS_SWEEP_INPROCESS=1`` or when a local Ray fails to start (the
    same jobs, cache and results, for a machine where a local Ray cannot
    start, e.g. under a heavy load)."""
    if os.environ.get(INPROCESS_ENV_VAR, "").strip() == "1":
        yield from _in_process(fn, todo)
        return
    if not _start_ray_or_fall_back(name, len(todo), num_cpus, warn):
        yield from _in_process(fn, todo)
        return
    import ray

    remote = ray.remote(num_cpus=1, max_retries=0)(_run_job)
    if _needs_pickle_by_value(fn):
        # a test module or a script's helper: workers cannot import it by
        # name, so its functions travel by value
        ray.cloudpickle.register_pickle_by_value(sys.modules[fn.__module__])
    fn_ref = ray.put(fn)
    pending = {remote.remote(fn_ref, cfg, seed): (variant, cfg, seed, path)
               for variant, cfg, seed, path in todo}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            variant, cfg, seed, path = pending.pop(ref)
            try:
                reply = ray.get(ref)
            except Exception:  # noqa: BLE001 - a worker that died
                reply = {"ok": False, "error": traceback.format_exc()}
            yield variant, cfg, seed, path, reply


def run_sweep(
    fn: Callable[[Any, int], Any],
    variants: Mapping[str, Any],
    seeds: Iterable[int],
    *,
    name: str,
    cache_dir: Path | str | None = None,
    progress: bool = True,
    raise_on_failure: bool = True,
    num_cpus: int | None = None,
) -> SweepResults:
    """Run ``fn(cfg, seed)`` for every variant's config and every seed.

    Args:
        fn: one job; must return plain data (see :func:`to_plain`).  A function
            defined in a benchmark script is shipped to the workers by value.
        variants: ``{variant name: config}``; the config is passed to ``fn``
            unchanged and hashed (as plain data) into the cache key.
        seeds: the seeds every variant runs.
        name: the benchmark's name (the cache folder).
        cache_dir: the cache root (default ``MBRL_LESSONS_SWEEP_CACHE`` or
            ``.sweep_cache/``).
        progress: a tqdm bar of jobs done / total with elapsed time and ETA.
        raise_on_failure: after all jobs end, raise :class:`SweepError` if any
            failed; otherwise return them in ``.failures``.
        num_cpus: CPUs of a local Ray (ignored with ``RAY_ADDRESS``).

    Returns:
        ``{(variant, seed): result}`` (a :class:`SweepResults`).
    """
    from tqdm.auto import tqdm

    if not variants:
        raise ValueError("run_sweep needs at least one variant")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("run_sweep needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat: {seeds}")
    t0 = time.time()
    folder = cache_dir_for(name, cache_dir)
    out = SweepResults()
    out.failures = []
    todo = []
    for variant, cfg in variants.items():
        chash = config_hash(cfg, fn)
        for seed in seeds:
            path = _job_path(folder, variant, seed, chash)
            cached = _read(path) if path.exists() else _MISSING
            if cached is _MISSING:
                todo.append((variant, cfg, seed, path))
            else:
                out[variant, seed] = cached
    out.cached = len(out)
    total = len(variants) * len(seeds)
    bar = tqdm(total=total, initial=out.cached, desc=f"sweep {name}",
               unit="job", disable=not progress, file=sys.stdout)
    if todo:
        for variant, cfg, seed, path, reply in _replies(
                fn, todo, num_cpus, name,
                warn=lambda msg: bar.write(msg, file=sys.stderr)):
            if reply["ok"]:
                _write_atomic(path, {"name": name, "variant": variant,
                                     "seed": seed, "config": to_plain(cfg),
                                     "cpu_seconds": reply["cpu_seconds"],
                                     "result": reply["result"]})
                # read back, so a fresh result is exactly what a cached one is
                out[variant, seed] = json.loads(json.dumps(reply["result"]))
                out.computed += 1
            else:
                failure = JobFailure(variant, seed, cfg, reply["error"])
                out.failures.append(failure)
                bar.write(f"[sweep {name}] job FAILED: {failure}")
            bar.update(1)
    bar.close()
    out.seconds = time.time() - t0
    if progress:
        print(f"sweep {name}: {total} jobs, {out.computed} computed, {out.cached} "
              f"cached, {len(out.failures)} failed, {out.seconds:.0f} s", flush=True)
    SWEEPS_RUN.append({"name": name, "variants": list(variants), "seeds": seeds,
                       "computed": out.computed, "cached": out.cached,
                       "failed": len(out.failures)})
    if out.failures and raise_on_failure:
        raise SweepError(name, out.failures, total)
    return out

