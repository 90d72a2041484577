"""Chapter 5.1: a local (time-varying linear) model around a swing-up against
global models, near the trajectory and away from it.

Full budget: 10 seeds (about 30 s each; ``MBRL_LESSONS_SEEDS`` raises it),
each one job of an ``mbrl_lessons.sweep`` sweep: a swing-up by MPC with the
true pendulum, an affine model per step fitted to 30 true transitions around
it (Gaussian noise of standard deviation 0.05), and a global linear model and
a global MLP fitted to 3,000 random transitions; one-step errors at 20 query
points per step, perturbed by 0.01 to 1.0.
Writes results/ch05_local.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
cfg = {"deltas": [0.01, 0.03, 0.1, 0.3, 1.0], "sigma": 0.05, "n_local": 30,
       "n_train": budget(fast=1000, full=3000), "n_test": 20,
       "epochs": budget(fast=60, full=200)}


def one_seed(cfg: dict, seed: int) -> dict:
    """The three models' errors at each distance from one seed's swing-up."""
    import torch

    from mbrl_lessons.analysis.local_models import local_vs_global

    torch.set_num_threads(1)
    return local_vs_global(seed=seed, **cfg)


t0 = time.time()
sweep = run_sweep(one_seed, {"pendulum": cfg}, range(N_SEEDS), name="ch05_local")
seconds = time.time() - t0
runs = sweep.per_seed("pendulum")
near, far = cfg["deltas"].index(0.03), cfg["deltas"].index(1.0)
targets = [
    Target.over_seeds(
        "local_over_mlp_error_near",
        "one-step error 0.03 from the swing-up: local linear model / global MLP",
        {"local": [r["local"][near] for r in runs],
         "mlp": [r["global MLP"][near] for r in runs]}, "<=", 0.1,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "local_over_mlp_error_far",
        "the same 1.0 away from the swing-up (angle, speed and torque each "
        "moved by a standard normal): the local model is worse there",
        {"local": [r["local"][far] for r in runs],
         "mlp": [r["global MLP"][far] for r in runs]}, ">=", 1.5,
        statistic="ratio_of_means"),
]
write_results("ch05_local", config={**cfg, "n_seeds": N_SEEDS}, targets=targets,
              seconds=seconds, results_dir=out_dir,
              extra={k: [r[k] for r in runs]
                     for k in ("local", "global linear", "global MLP")})
