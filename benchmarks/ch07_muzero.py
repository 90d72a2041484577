"""Chapter 7, §7.5: MuZero on the Dyna maze (Sutton & Barto Fig 8.2).

Five seeds of MuZero (search over a learned value-equivalent model, one-hot
observations, gamma 0.95; a seed costs 75-125 s of CPU) against
chapter 6's Dyna-Q (n = 50) and Q-learning on the same maze (30 seeds): steps
per episode, and at checkpoints the greedy path from the start with search
versus with the raw policy head.  Every seed is one job of an
``mbrl_lessons.sweep`` sweep (Ray; finished seeds are cached, so a rerun after
an interruption computes only the rest).  ``MBRL_LESSONS_SEEDS`` raises the
seed count.  Writes results/ch07_muzero.json.
"""

import math
import time
from dataclasses import replace

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.muzero import MuZeroConfig, train  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.dyna.dyna_q import DynaConfig, run_episodes  # noqa: E402
from mbrl_lessons.envs.mazes import DYNA_MAZE_SHORTEST, DynaMaze  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=5, fast=2)
DYNA_SEEDS = budget(fast=5, full=30)
mz_cfg = MuZeroConfig(n_episodes=budget(fast=10, full=40), eval_every=5)


def muzero_seed(cfg: MuZeroConfig, seed: int) -> dict:
    """One MuZero run, reduced to the plain numbers the benchmark keeps."""
    t = time.process_time()
    r = train(DynaMaze(), replace(cfg, seed=seed), progress=False)
    return {"steps_per_episode": r.steps_per_episode, "eval_episode": r.eval_episode,
            "eval_real_steps": r.eval_real_steps, "search_path": r.search_path,
            "policy_path": r.policy_path, "value_map_final": r.value_maps[-1],
            "cpu_seconds": time.process_time() - t}


def dyna_seed(cfg: dict, seed: int) -> list:
    """Steps per episode of one tabular Dyna-Q run (n = 0 is Q-learning)."""
    return run_episodes(DynaMaze(), DynaConfig(n_planning=cfg["n_planning"]),
                        cfg["n_episodes"], seed=seed).steps_per_episode


t0 = time.time()
mz = run_sweep(muzero_seed, {"muzero": mz_cfg}, range(N_SEEDS), name="ch07_muzero")
dyna_sweep = run_sweep(dyna_seed, {f"n{n}": {"n_planning": n,
                                             "n_episodes": mz_cfg.n_episodes}
                                   for n in (0, 50)},
                       range(DYNA_SEEDS), name="ch07_muzero_dyna")
seconds = time.time() - t0
runs = mz.per_seed("muzero")
dyna = {n: np.array(dyna_sweep.per_seed(f"n{n}")) for n in (0, 50)}

fail = mz_cfg.eval_max_steps + 1  # a failed evaluation counts as one past the cap


def path(x: float | None) -> float:
    return fail if x is None or math.isnan(x) else float(x)


final_search = [path(r["search_path"][-1]) for r in runs]
final_policy = [path(r["policy_path"][-1]) for r in runs]
real_steps = [int(np.sum(r["steps_per_episode"])) for r in runs]
targets = [
    Target.over_seeds(
        "search_path_solved_seeds",
        "share of seeds whose final greedy-with-search path from the start is "
        f"<= 16 steps (shortest {DYNA_MAZE_SHORTEST})",
        [float(p <= 16) for p in final_search], ">=", 1.0),
    Target.over_seeds(
        "search_path_mean",
        f"final greedy-with-search path from the start ({fail} = not reached in "
        f"{mz_cfg.eval_max_steps} steps)", final_search, "<=", 16),
    Target.over_seeds(
        "search_not_worse_than_policy",
        "final path of the raw policy head minus that of greedy search (search "
        "is not worse: >= 0)",
        {"policy": final_policy, "search": final_search}, ">=", 0,
        statistic="mean_difference"),
]
write_results("ch07_muzero", config={"muzero": mz_cfg, "seeds": N_SEEDS,
                                     "dyna_seeds": DYNA_SEEDS},
              targets=targets, seconds=seconds, results_dir=out_dir, extra={
                  "real_steps_total": real_steps,
                  "final_search_path": final_search,
                  "final_policy_path": final_policy,
                  "muzero_steps_per_episode": [r["steps_per_episode"] for r in runs],
                  "eval_episode": runs[0]["eval_episode"],
                  "eval_real_steps": [r["eval_real_steps"] for r in runs],
                  "search_path": [[path(x) for x in r["search_path"]] for r in runs],
                  "policy_path": [[path(x) for x in r["policy_path"]] for r in runs],
                  "value_map_final": [r["value_map_final"] for r in runs],
                  "dyna_q50_mean_steps": dyna[50].mean(0),
                  "q_learning_mean_steps": dyna[0].mean(0),
                  "dyna_q50_real_steps_total": dyna[50].sum(1).mean(),
                  "q_learning_real_steps_total": dyna[0].sum(1).mean(),
                  "muzero_cpu_seconds_per_seed": [r["cpu_seconds"] for r in runs]})
