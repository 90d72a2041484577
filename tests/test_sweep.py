"""The sweep runner: a grid of (variant x seed) jobs on Ray, cached, resumable,
failures reported with their config and seed."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from mbrl_lessons.sweep import (
    SweepError,
    cache_dir_for,
    config_hash,
    n_seeds,
    run_sweep,
    to_plain,
)

REPO = Path(__file__).resolve().parents[1]


def square_plus_seed(cfg, seed):
    """A job whose answer is known: plain data built from numpy."""
    rng = np.random.default_rng(seed)
    return {"value": cfg["x"] ** 2 + seed, "draw": rng.random(2),
            "pid": os.getpid()}


def fails_on_seed_one(cfg, seed):
    if seed == 1 and not Path(cfg["ok_flag"]).exists():
        raise ValueError(f"seed {seed} is broken")
    return seed * 10


def test_grid_results_match_direct_calls(ray_local, tmp_path):
    variants = {"a": {"x": 2}, "b": {"x": 3}}
    res = run_sweep(square_plus_seed, variants, seeds=[0, 1, 2], name="t_grid",
                    cache_dir=tmp_path, progress=False)
    assert set(res) == {(v, s) for v in variants for s in (0, 1, 2)}
    for (v, s), r in res.items():
        direct = to_plain(square_plus_seed(variants[v], s))
        assert r["value"] == direct["value"] and r["draw"] == direct["draw"]
    assert res.computed == 6 and res.cached == 0
    # the jobs ran in Ray workers, not in this process
    assert os.getpid() not in {r["pid"] for r in res.values()}
    assert res.per_seed("b", "value") == [9, 10, 11]
    # a second run reads everything from the cache and returns the same data
    again = run_sweep(square_plus_seed, variants, seeds=[0, 1, 2], name="t_grid",
                      cache_dir=tmp_path, progress=False)
    assert again.computed == 0 and again.cached == 6 and dict(again) == dict(res)
    # a changed config is a different job
    other = run_sweep(square_plus_seed, {"a": {"x": 5}}, seeds=[0], name="t_grid",
                      cache_dir=tmp_path, progress=False)
    assert other.computed == 1 and other["a", 0]["value"] == 25


def test_failure_is_reported_with_config_and_seed_and_rerun_redoes_only_it(
        ray_local, tmp_path):
    flag = tmp_path / "ok"
    variants = {"v": {"ok_flag": str(flag)}}
    with pytest.raises(SweepError) as err:
        run_sweep(fails_on_seed_one, variants, seeds=[0, 1, 2, 3], name="t_fail",
                  cache_dir=tmp_path, progress=False)
    msg = str(err.value)
    assert "1 of 4 jobs" in msg and "seed 1" in msg and "'v'" in msg
    assert "ok_flag" in msg and "ValueError: seed 1 is broken" in msg
    assert [(f.variant, f.seed) for f in err.value.failures] == [("v", 1)]
    # without raising, the others are returned and the failure listed
    res = run_sweep(fails_on_seed_one, variants, seeds=[0, 1, 2, 3], name="t_fail",
                    cache_dir=tmp_path, progress=False, raise_on_failure=False)
    assert dict(res) == {("v", 0): 0, ("v", 2): 20, ("v", 3): 30}
    assert res.computed == 0 and len(res.failures) == 1
    flag.touch()  # "fix the bug" and rerun: only the failed job is computed
    res = run_sweep(fails_on_seed_one, variants, seeds=[0, 1, 2, 3], name="t_fail",
                    cache_dir=tmp_path, progress=False)
    assert res.computed == 1 and res.cached == 3 and res["v", 1] == 10


SLOW_SWEEP = textwrap.dedent("""
    import time
    from mbrl_lessons.sweep import run_sweep

    def job(cfg, seed):
        time.sleep(cfg["sleep"] * (seed + 1))
        return seed

    res = run_sweep(job, {"slow": {"sleep": 0.5}}, seeds=range(6), name="t_kill",
                    cache_dir={cache!r}, progress=False)
    print("COMPUTED", res.computed, "CACHED", res.cached, flush=True)
""")


def test_killed_sweep_resumes_without_recomputing(ray_local, tmp_path):
    """Kill a sweep's driver half-way; the rerun computes only unfinished jobs."""
    script = tmp_path / "sweep_script.py"
    script.write_text(SLOW_SWEEP.replace("{cache!r}", repr(str(tmp_path / "cache"))))
    env = {**os.environ, "RAY_ADDRESS": ray_local, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    folder = tmp_path / "cache" / "t_kill"
    deadline = time.time() + 90
    while time.time() < deadline and len(list(folder.rglob("*.json"))) < 2:
        assert proc.poll() is None, proc.stdout.read().decode()
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(folder.rglob("*.json")))
    assert 2 <= finished < 6
    out = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"COMPUTED {6 - finished} CACHED {finished}" in out.stdout


def test_cache_key_and_results_are_plain(tmp_path, monkeypatch):
    assert config_hash({"a": 1}) == config_hash({"a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    assert config_hash({"a": 1}, square_plus_seed) != config_hash(
        {"a": 1}, fails_on_seed_one)
    monkeypatch.setenv("MBRL_LESSONS_FAST", "1")
    fast_dir = cache_dir_for("bench", tmp_path)
    monkeypatch.setenv("MBRL_LESSONS_FAST", "0")
    assert cache_dir_for("bench", tmp_path) != fast_dir  # budgets never mix
    plain = to_plain({"a": np.arange(3), "b": (np.float32(0.5), float("nan"))})
    assert plain["a"] == [0, 1, 2] and plain["b"][0] == 0.5
    assert np.isnan(json.loads(json.dumps(plain))["b"][1])
    with pytest.raises(TypeError, match="plain data"):
        to_plain(object())


def test_seed_count_is_raised_never_lowered_by_env(monkeypatch):
    monkeypatch.setenv("MBRL_LESSONS_FAST", "0")
    monkeypatch.delenv("MBRL_LESSONS_SEEDS", raising=False)
    assert n_seeds(full=5, fast=2) == 5
    monkeypatch.setenv("MBRL_LESSONS_SEEDS", "10")
    assert n_seeds(full=5, fast=2) == 10 and n_seeds(full=30) == 30
    monkeypatch.setenv("MBRL_LESSONS_FAST", "1")
    assert n_seeds(full=5, fast=2) == 10
    monkeypatch.setenv("MBRL_LESSONS_SEEDS", "ten")
    with pytest.raises(ValueError, match="whole number"):
        n_seeds(full=5)


def test_bad_sweeps_are_refused(tmp_path):
    with pytest.raises(ValueError, match="variant"):
        run_sweep(square_plus_seed, {}, seeds=[0], name="x", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="repeat"):
        run_sweep(square_plus_seed, {"a": {"x": 1}}, seeds=[0, 0], name="x",
                  cache_dir=tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(600)  # two FAST runs; minutes when the machine is busy
def test_killed_muzero_benchmark_recomputes_only_unfinished_seeds(ray_local, tmp_path):
    """``python benchmarks/ch07_muzero.py --fast`` killed after its first seed
    finished, then rerun: the rerun trains only the seeds that had not."""
    env = {**os.environ, "RAY_ADDRESS": ray_local, "PYTHONPATH": str(REPO),
           "MBRL_LESSONS_SWEEP_CACHE": str(tmp_path / "cache"),
           "MBRL_LESSONS_SEEDS": "3"}
    cmd = [sys.executable, str(REPO / "benchmarks" / "ch07_muzero.py"), "--fast",
           "--out", str(tmp_path / "results")]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    folder = tmp_path / "cache" / "ch07_muzero"
    deadline = time.time() + 240
    while time.time() < deadline and not list(folder.rglob("*.json")):
        assert proc.poll() is None, "the benchmark ended before it was killed"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(folder.rglob("*.json")))
    assert 1 <= finished < 3
    out = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert (f"sweep ch07_muzero: 3 jobs, {3 - finished} computed, {finished} cached"
            in out.stdout)
    payload = json.loads((tmp_path / "results" / "ch07_muzero.json").read_text())
    assert len(payload["extra"]["final_search_path"]) == 3


def test_in_process_mode_runs_the_same_jobs_without_ray(tmp_path, monkeypatch):
    """MBRL_LESSONS_SWEEP_INPROCESS=1: the jobs run here, one after another,
    with the same results, cache and failure report as on Ray."""
    import mbrl_lessons.sweep as sweep

    monkeypatch.setenv("MBRL_LESSONS_SWEEP_INPROCESS", "1")
    monkeypatch.setattr(sweep, "ensure_ray", lambda *a, **k: pytest.fail("Ray used"))
    variants = {"a": {"x": 2}, "b": {"x": 3}}
    res = run_sweep(square_plus_seed, variants, seeds=[0, 1], name="t_inproc",
                    cache_dir=tmp_path, progress=False)
    assert res.computed == 4 and {r["pid"] for r in res.values()} == {os.getpid()}
    for (v, s), r in res.items():
        assert r == to_plain(square_plus_seed(variants[v], s))
    again = run_sweep(square_plus_seed, variants, seeds=[0, 1], name="t_inproc",
                      cache_dir=tmp_path, progress=False)
    assert again.cached == 4 and dict(again) == dict(res)
    flag = tmp_path / "ok"
    with pytest.raises(SweepError, match="seed 1 is broken"):
        run_sweep(fails_on_seed_one, {"v": {"ok_flag": str(flag)}}, seeds=[0, 1],
                  name="t_inproc_fail", cache_dir=tmp_path, progress=False)


def _broken_ray(monkeypatch, error):
    """A Ray whose ``ray.init`` raises ``error``; returns the kwargs it got."""
    ray = pytest.importorskip("ray")
    import mbrl_lessons.sweep as sweep

    calls = []

    def init(*args, **kwargs):
        calls.append(kwargs)
        raise error

    monkeypatch.delenv("MBRL_LESSONS_SWEEP_INPROCESS", raising=False)
    monkeypatch.setattr(sweep, "_LOCAL_RAY_FAILED", "")
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", init)
    return calls


def test_local_ray_that_fails_to_start_falls_back_to_in_process(
        tmp_path, monkeypatch, capsys):
    """No RAY_ADDRESS and a local Ray that does not start (the raylet timing
    out on a loaded machine): one warning line, then the jobs run here."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    calls = _broken_ray(monkeypatch, Exception(
        "The current node timed out during startup. This could happen because "
        "some of the raylet failed to startup or the GCS has become overloaded."))
    variants = {"a": {"x": 2}, "b": {"x": 3}}
    res = run_sweep(square_plus_seed, variants, seeds=[0, 1], name="t_fallback",
                    cache_dir=tmp_path, progress=False)
    assert res.computed == 4 and {r["pid"] for r in res.values()} == {os.getpid()}
    for (v, s), r in res.items():
        assert r == to_plain(square_plus_seed(variants[v], s))
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "WARNING" in ln]
    assert len(warnings) == 1
    line = warnings[0]
    assert "t_fallback" in line and "local Ray did not start" in line
    assert "timed out during startup" in line and "in this process" in line
    # a private local Ray without its dashboard was what failed
    assert len(calls) == 1 and calls[0]["address"] == "local"
    assert calls[0]["include_dashboard"] is False
    # the cache is the one Ray would have filled; a later sweep of the same
    # process does not wait for another failed start
    again = run_sweep(square_plus_seed, {**variants, "c": {"x": 4}}, seeds=[0, 1],
                      name="t_fallback", cache_dir=tmp_path, progress=False)
    assert again.cached == 4 and again.computed == 2 and len(calls) == 1
    assert again["c", 1]["value"] == 17
    # a failing job is still reported with its seed
    with pytest.raises(SweepError, match="seed 1 is broken"):
        run_sweep(fails_on_seed_one, {"v": {"ok_flag": str(tmp_path / "no")}},
                  seeds=[0, 1], name="t_fallback_fail", cache_dir=tmp_path,
                  progress=False)


def test_unreachable_ray_cluster_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    """With RAY_ADDRESS set, a cluster that cannot be joined stops the sweep
    (running a cluster's sweep on this machine instead would be a surprise)."""
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
    calls = _broken_ray(monkeypatch, ConnectionError("could not reach the GCS"))
    with pytest.raises(RuntimeError, match=r"RAY_ADDRESS=127\.0\.0\.1:1") as err:
        run_sweep(square_plus_seed, {"a": {"x": 2}}, seeds=[0, 1], name="t_cluster",
                  cache_dir=tmp_path, progress=False)
    assert "could not reach the GCS" in str(err.value) and len(calls) == 1
    assert not list(tmp_path.rglob("*.json"))  # no job ran
