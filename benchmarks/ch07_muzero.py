"""Chapter 7, §7.5: MuZero on the Dyna maze (Sutton & Barto Fig 8.2).

Three seeds of MuZero (search over a learned value-equivalent model, one-hot
observations, gamma 0.95) against chapter 6's Dyna-Q (n = 50) and Q-learning
on the same maze: steps per episode, and at checkpoints the greedy path from
the start with search versus with the raw policy head.  Writes
results/ch07_muzero.json.
"""

import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.muzero import MuZeroConfig, train  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.dyna.dyna_q import DynaConfig, run_episodes  # noqa: E402
from mbrl_lessons.envs.mazes import DYNA_MAZE_SHORTEST, DynaMaze  # noqa: E402

torch.set_num_threads(1)
N_SEEDS = budget(fast=1, full=3)
mz_cfg = MuZeroConfig(n_episodes=budget(fast=10, full=40), eval_every=5)


def run_seed(seed: int):
    """One MuZero run (in its own process: seeds are independent, and one
    thread each keeps the CPU time what a single-threaded run would use)."""
    torch.set_num_threads(1)
    t = time.process_time()
    result = train(DynaMaze(), MuZeroConfig(**{**mz_cfg.__dict__, "seed": seed}),
                   progress=False)
    return result, time.process_time() - t


t0 = time.time()
with ProcessPoolExecutor(N_SEEDS) as pool:
    runs, cpu_seconds = zip(*pool.map(run_seed, range(N_SEEDS)), strict=True)
dyna = {n: np.array([run_episodes(DynaMaze(), DynaConfig(n_planning=n),
                                  mz_cfg.n_episodes, seed=s).steps_per_episode
                     for s in range(30)]) for n in (0, 50)}
seconds = time.time() - t0

fail = mz_cfg.eval_max_steps + 1  # a failed evaluation counts as one past the cap


def path(x: float) -> float:
    return fail if math.isnan(x) else float(x)


final_search = [path(r.search_path[-1]) for r in runs]
final_policy = [path(r.policy_path[-1]) for r in runs]
real_steps = [int(r.steps_per_episode.sum()) for r in runs]
targets = [
    Target("search_path_solved_seeds",
           "seeds whose final greedy-with-search path from the start is <= 16 steps "
           f"(shortest {DYNA_MAZE_SHORTEST})",
           sum(p <= 16 for p in final_search), ">=", N_SEEDS),
    Target("search_path_worst_seed", "longest final greedy-with-search path over "
           f"seeds ({fail} = not reached in {mz_cfg.eval_max_steps})",
           max(final_search), "<=", 16),
    Target("search_not_worse_than_policy",
           "seeds where the final search path is <= the raw policy head's path",
           sum(s <= p for s, p in zip(final_search, final_policy, strict=True)),
           ">=", N_SEEDS),
]
write_results("ch07_muzero", config={"muzero": mz_cfg, "seeds": N_SEEDS,
                                     "dyna_seeds": 30},
              targets=targets, seconds=seconds, results_dir=out_dir, extra={
                  "real_steps_total": real_steps,
                  "final_search_path": final_search,
                  "final_policy_path": final_policy,
                  "muzero_steps_per_episode": [r.steps_per_episode for r in runs],
                  "eval_episode": runs[0].eval_episode,
                  "eval_real_steps": [r.eval_real_steps for r in runs],
                  "search_path": [[path(x) for x in r.search_path] for r in runs],
                  "policy_path": [[path(x) for x in r.policy_path] for r in runs],
                  "value_map_final": [r.value_maps[-1] for r in runs],
                  "dyna_q50_mean_steps": dyna[50].mean(0),
                  "q_learning_mean_steps": dyna[0].mean(0),
                  "dyna_q50_real_steps_total": dyna[50].sum(1).mean(),
                  "q_learning_real_steps_total": dyna[0].sum(1).mean(),
                  "muzero_cpu_seconds_per_seed": cpu_seconds})
