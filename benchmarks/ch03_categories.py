"""Chapter 3: real steps to an optimal policy, model-based vs Q-learning.

Full budget: 10 seeds x 30,000 real steps per learner on the default grid
(slip 0.1).  Writes results/ch03_categories.json.
"""

import time
from dataclasses import replace

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis.categories import CategoriesConfig, run  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402

cfg = replace(CategoriesConfig(), n_seeds=budget(fast=3, full=10),
              total_steps=budget(fast=20_000, full=30_000))
t0 = time.time()
res = run(cfg)
seconds = time.time() - t0

steps = res.steps_to_optimal
targets = [
    Target("model_based_vs_q_learning_step_ratio",
           "mean real steps to an optimal greedy policy: model-based / Q-learning "
           f"(mean over {cfg.n_seeds} seeds; never-optimal runs count as the budget)",
           res.ratio, "<=", 1 / 3),
]
write_results(
    "ch03_categories", config=cfg, targets=targets, seconds=seconds,
    results_dir=out_dir,
    extra={
        "v_star": res.v_star,
        "steps_to_optimal": {k: v for k, v in steps.items()},
        "curve_steps": res.curves["Q-learning"].steps,
        "curves_mean": {k: c.values.mean(0) for k, c in res.curves.items()},
        "curves_std": {k: c.values.std(0) for k, c in res.curves.items()},
    },
)
