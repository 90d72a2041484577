"""Chapter 6.2: a planning budget that follows the model's confidence
(after Kalweit & Boedecker 2017), against a fixed budget.

Full budget: 20 seeds (``MBRL_LESSONS_SEEDS`` raises it) of Dyna-Q with a
count model on the slippery Dyna maze (slip 0.2), 30 episodes, either 50
planning backups after every real step or 50 times the model's confidence
(pairs count fully once seen 20 times); each (variant, seed) is one job of an
``mbrl_lessons.sweep`` sweep.  Writes results/ch06_adaptive.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=20, fast=3)
base = {"n_max": 50, "slip": 0.2, "n_episodes": budget(fast=10, full=30)}
variants = {"fixed": {**base, "k": None}, "adaptive_k20": {**base, "k": 20}}


def one_job(cfg: dict, seed: int) -> dict:
    """One Dyna-Q run with the variant's planning budget."""
    from mbrl_lessons.analysis.adaptive_budget import adaptive_dyna

    return adaptive_dyna(seed, **cfg)


t0 = time.time()
sweep = run_sweep(one_job, variants, range(N_SEEDS), name="ch06_adaptive")
seconds = time.time() - t0
value = {v: sweep.per_seed(v, "value") for v in variants}
backups = {v: sweep.per_seed(v, "planning_backups") for v in variants}
targets = [
    Target.over_seeds(
        "adaptive_minus_fixed_greedy_value",
        "slippery Dyna maze, 30 episodes: true value from the start of the final "
        "greedy policy, confidence-driven budget minus fixed n = 50",
        {"adaptive": value["adaptive_k20"], "fixed": value["fixed"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "adaptive_over_fixed_planning_backups",
        "planning backups made, confidence-driven budget / fixed n = 50",
        {"adaptive": backups["adaptive_k20"], "fixed": backups["fixed"]}, "<=", 0.5,
        statistic="ratio_of_means"),
]
write_results("ch06_adaptive", config={"n_seeds": N_SEEDS, "variants": variants},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"value": value, "planning_backups": backups,
                     "v_star": sweep.per_seed("fixed", "v_star")[0]})
