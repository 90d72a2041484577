"""Chapter 3: real steps to an optimal policy, model-based vs Q-learning.

Full budget: 10 seeds x 30,000 real steps per learner on the default grid
(slip 0.1), each seed one job of an ``mbrl_lessons.sweep`` sweep (Ray; cached,
resumable; ``MBRL_LESSONS_SEEDS`` raises the count).  Writes
results/ch03_categories.json.
"""

import time
from dataclasses import replace

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis.categories import CategoriesConfig, run  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=3)
cfg = replace(CategoriesConfig(), n_seeds=1,
              total_steps=budget(fast=20_000, full=30_000))
LEARNERS = ("Q-learning", "model-based")


def one_seed(cfg: CategoriesConfig, seed: int) -> dict:
    """Both learners on one seed: steps to optimal and the quality curves."""
    res = run(replace(cfg, seed=seed), progress=False)
    return {"v_star": res.v_star, "steps": res.curves["Q-learning"].steps,
            "steps_to_optimal": {k: float(res.steps_to_optimal[k][0])
                                 for k in LEARNERS},
            "curve": {k: res.curves[k].values[0] for k in LEARNERS}}


t0 = time.time()
sweep = run_sweep(one_seed, {"grid": cfg}, range(N_SEEDS), name="ch03_categories")
seconds = time.time() - t0
runs = sweep.per_seed("grid")

# a run that never became optimal counts as needing the whole budget (and
# more): this favours Q-learning in the ratio, never model-based
to_opt = {k: np.array([r["steps_to_optimal"][k] for r in runs], float)
          for k in LEARNERS}
counted = {k: np.nan_to_num(v, nan=float(cfg.total_steps)) for k, v in to_opt.items()}
curves = {k: np.array([r["curve"][k] for r in runs]) for k in LEARNERS}
targets = [
    Target.over_seeds(
        "model_based_vs_q_learning_step_ratio",
        "mean real steps to an optimal greedy policy: model-based / Q-learning "
        "(never-optimal runs count as the budget)",
        {"model-based": counted["model-based"], "Q-learning": counted["Q-learning"]},
        "<=", 1 / 3, statistic="ratio_of_means"),
]
write_results(
    "ch03_categories", config={**cfg.__dict__, "n_seeds": N_SEEDS}, targets=targets,
    seconds=seconds, results_dir=out_dir,
    extra={
        "v_star": runs[0]["v_star"],
        "steps_to_optimal": {**{k: v for k, v in to_opt.items()},
                             "planning (true model)": np.zeros(N_SEEDS)},
        "curve_steps": runs[0]["steps"],
        "curves_mean": {k: c.mean(0) for k, c in curves.items()},
        "curves_std": {k: c.std(0) for k, c in curves.items()},
    },
)
