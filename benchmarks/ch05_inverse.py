"""Chapter 5.1: an inverse model of the pendulum, ``(s_t, s_{t+1}) -> a_t``,
inside the speed limit and where the next speed was clipped at it.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it), each one job of an
``mbrl_lessons.sweep`` sweep: an MLP fitted by squared error to 3,000 random
one-step transitions from the whole state space (100 epochs) and scored on
4,000 fresh ones by the mean absolute torque error (torques in [-2, 2]).
About 10 s of one core per seed.
Writes results/ch05_inverse.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
cfg = {"n_train": budget(fast=1000, full=3000), "n_test": budget(fast=1000, full=4000),
       "epochs": budget(fast=60, full=100)}


def one_seed(cfg: dict, seed: int) -> dict:
    """The inverse model's torque errors for one seed."""
    import torch

    from mbrl_lessons.analysis.local_models import inverse_model_errors

    torch.set_num_threads(1)
    return inverse_model_errors(seed=seed, **cfg)


t0 = time.time()
sweep = run_sweep(one_seed, {"pendulum": cfg}, range(N_SEEDS), name="ch05_inverse")
seconds = time.time() - t0
runs = sweep.per_seed("pendulum")
targets = [
    Target.over_seeds(
        "inverse_torque_error_inside_speed_limit",
        "mean absolute torque error of the inverse model on transitions whose "
        "next speed stayed inside the limit (torques span 4: at most a tenth "
        "of that)", [r["free"] for r in runs], "<=", 0.4),
    Target.over_seeds(
        "inverse_error_at_limit_over_inside",
        "the same error where the next speed was clipped at the limit, divided "
        "by the error inside it (the clipped next state does not determine the "
        "torque)",
        {"at limit": [r["at_limit"] for r in runs],
         "inside": [r["free"] for r in runs]}, ">=", 3.0,
        statistic="ratio_of_means"),
]
write_results("ch05_inverse", config={**cfg, "n_seeds": N_SEEDS}, targets=targets,
              seconds=seconds, results_dir=out_dir,
              extra={k: [r[k] for r in runs] for k in ("free", "at_limit",
                                                       "share_at_limit")})
