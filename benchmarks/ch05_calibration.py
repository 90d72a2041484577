"""Chapter 5.3: an ensemble, MC dropout and a last-layer Laplace
approximation of the same network, compared on the calibration of their
predictive distributions for pendulum transitions.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it); each seed trains
all three on 40 random-torque episodes of 50 steps that start hanging (two
hidden layers of 64, 150 epochs; 5 bootstrapped members of the batched
GaussianEnsemble, its variance heads off; dropout rate 0.1
with 50 test-time samples; the Laplace prior precision by marginal
likelihood) and scores them on 2,000 held-out transitions from the same kind
of episodes (near) and 2,000 from states over the whole state space (far).
Each seed is one job of an ``mbrl_lessons.sweep`` sweep.  Writes
results/ch05_calibration.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
cfg = {"n_train": budget(fast=30, full=40), "n_test": budget(fast=800, full=2000),
       "epochs": budget(fast=80, full=150), "n_members": 5, "p": 0.1,
       "n_samples": 50}
METHODS = ("ensemble", "mc_dropout", "laplace")


def one_job(cfg: dict, seed: int) -> dict:
    """All three approximations trained and scored on one seed's data."""
    import torch

    from mbrl_lessons.analysis.calibration import calibration_check

    torch.set_num_threads(1)
    return calibration_check(seed, **cfg)


t0 = time.time()
sweep = run_sweep(one_job, {"all": cfg}, range(N_SEEDS), name="ch05_calibration")
seconds = time.time() - t0
runs = sweep.per_seed("all")


def per_seed(method: str, test: str, key: str) -> list[float]:
    return [r[method][test][key] for r in runs]


targets = [
    Target.over_seeds(
        f"ensemble_minus_{other}_calibration_error_far",
        "pendulum transitions from the whole state space (the training data only "
        "hang near the bottom): calibration error (mean |observed - nominal| "
        f"coverage of the central intervals), ensemble minus {label}",
        {"ensemble": per_seed("ensemble", "far", "calibration_error"),
         other: per_seed(other, "far", "calibration_error")}, "<", 0,
        statistic="mean_difference")
    for other, label in (("mc_dropout", "MC dropout"),
                         ("laplace", "last-layer Laplace"))
] + [
    Target.over_seeds(
        "ensemble_coverage_90_far",
        "the same far transitions: fraction inside the ensemble's central 90% "
        "interval",
        per_seed("ensemble", "far", "coverage_90"), ">=", 0.8),
] + [
    Target.over_seeds(
        f"mc_dropout_minus_{other}_rank_correlation_far",
        "the same far transitions: Spearman rank correlation between predicted "
        f"spread and true error, MC dropout minus {label}, paired by seed "
        "(MC dropout ranks them better: > 0)",
        {"mc_dropout": per_seed("mc_dropout", "far", "rank_correlation"),
         other: per_seed(other, "far", "rank_correlation")}, ">", 0,
        statistic="mean_difference")
    for other, label in (("ensemble", "the ensemble"),
                         ("laplace", "last-layer Laplace"))
]
extra = {key: {m: {t: per_seed(m, t, key) for t in ("near", "far")} for m in METHODS}
         for key in ("calibration_error", "coverage_90", "nll", "rank_correlation")}
extra["curve"] = {m: {t: per_seed(m, t, "curve") for t in ("near", "far")}
                  for m in METHODS}
extra["laplace_prior_precision"] = [r["laplace_prior_precision"] for r in runs]
write_results("ch05_calibration", config={"n_seeds": N_SEEDS, **cfg},
              targets=targets, seconds=seconds, results_dir=out_dir, extra=extra)
