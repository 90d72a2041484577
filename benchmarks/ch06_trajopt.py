"""Chapter 6.3: gradient shooting against CEM at equal model calls.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it); each seed plans once
from 10 Pendulum-v1 start states with the TRUE model, horizon 30, for each of
four planners: CEM and gradient shooting at 1,500 and at 6,000 model calls
per plan, and CEM with 100 times the larger budget (1,000 candidates x 20
rounds).  Every (planner, seed) is one job of an ``mbrl_lessons.sweep`` sweep.
Writes results/ch06_trajopt.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis.trajopt import (  # noqa: E402
    equal_budget_configs,
    plan_from_starts,
)
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.planning import PlannerConfig  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)  # runs of under a minute a seed: 10 (issue 12)
N_STARTS = budget(fast=2, full=10)
H = 30
variants = {}
for calls in (1500, 6000):
    cem, grad = equal_budget_configs(calls, H)
    variants[f"cem_{calls}"], variants[f"gradient_{calls}"] = cem, grad
variants["cem_600000"] = PlannerConfig(horizon=H, n_candidates=1000, n_iterations=20,
                                       n_elites=100)


def one_job(cfg, seed: int) -> dict:
    """One planner's plans from one seed's start states."""
    import torch

    torch.set_num_threads(1)
    return plan_from_starts(cfg, N_STARTS, seed)


t0 = time.time()
sweep = run_sweep(one_job, variants, range(N_SEEDS), name="ch06_trajopt")
seconds = time.time() - t0
ret = {v: [float(np.mean(r)) for r in sweep.per_seed(v, "returns")] for v in variants}
ms = {v: [float(np.median(r)) for r in sweep.per_seed(v, "ms")] for v in variants}
calls = {v: sweep.per_seed(v, "calls")[0] for v in variants}

targets = [
    Target.over_seeds(
        "gradient_minus_cem_return_6000_calls",
        "mean return of a 30-step plan, gradient shooting minus CEM, both at "
        "6,000 model calls per plan (TRUE pendulum model, 10 start states)",
        {"gradient": ret["gradient_6000"], "cem": ret["cem_6000"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "gradient_minus_cem_return_1500_calls",
        "the same at 1,500 model calls per plan",
        {"gradient": ret["gradient_1500"], "cem": ret["cem_1500"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "gradient_over_cem_ms_6000_calls",
        "milliseconds per plan, gradient shooting / CEM, both at 6,000 model "
        "calls (median plan of each seed)",
        {"gradient": ms["gradient_6000"], "cem": ms["cem_6000"]}, ">=", 5,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "cem_100x_calls_minus_gradient_return",
        "mean plan return, CEM at 600,000 calls (1,000 x 20 rounds) minus "
        "gradient shooting at 6,000: CEM catches up given 100 times the calls",
        {"cem": ret["cem_600000"], "gradient": ret["gradient_6000"]}, ">=", -5,
        statistic="mean_difference"),
    Target.over_seeds(
        "cem_100x_calls_over_gradient_ms",
        "milliseconds per plan, CEM at 600,000 calls / gradient shooting at "
        "6,000: batched calls are cheap, sequential ones are not",
        {"cem": ms["cem_600000"], "gradient": ms["gradient_6000"]}, "<", 1,
        statistic="ratio_of_means"),
]
write_results(
    "ch06_trajopt", config={"n_seeds": N_SEEDS, "n_starts": N_STARTS, "horizon": H,
                            "variants": variants},
    targets=targets, seconds=seconds, results_dir=out_dir,
    extra={"returns_per_seed": ret, "ms_per_seed": ms, "calls_per_plan": calls,
           "returns_seed0": {v: sweep[v, 0]["returns"] for v in variants}})
