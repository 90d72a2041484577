"""Chapter 4: v2.0 exploits a wrong model; an ensemble and a disagreement
penalty against it.

Full budget: 5 seeds (``MBRL_LESSONS_SEEDS`` raises it), each one job of an
``mbrl_lessons.sweep`` sweep: fit one MLP and a bootstrap ensemble of five to
ten episodes of random pushes on the sled (``mbrl_lessons/IceSlide-v0``,
whose random data never reach the ice), then train one policy by backprop
through each of: the true sled, the single model, every ensemble member,
and the ensemble mean with a disagreement penalty of weight 10 and of
weight 100.  Measures the return each
policy's model predicts and the return it really gets, from the same start
states.  Writes results/ch04_v2_overfit.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis.v2_overfit import VARIANTS, OverfitConfig  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.models import TrainConfig  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=5, fast=2)
cfg = OverfitConfig(policy_steps=budget(fast=60, full=200),
                    eval_every=budget(fast=30, full=25),
                    train=TrainConfig(max_epochs=budget(fast=100, full=200),
                                      batch_size=64))


def one_seed(cfg, seed: int) -> dict:
    """The five variants on the sled, one seed."""
    from dataclasses import replace

    import torch

    from mbrl_lessons.analysis.v2_overfit import overfit_experiment

    torch.set_num_threads(1)
    return overfit_experiment(replace(cfg, seed=seed))


t0 = time.time()
sweep = run_sweep(one_seed, {"overfit": cfg}, range(N_SEEDS), name="ch04_v2_overfit")
seconds = time.time() - t0
runs = sweep.per_seed("overfit")
per = {v: {k: [r[v][k] for r in runs]
           for k in ("gap", "final_predicted", "final_real", "final_crashed")}
       for v in VARIANTS}

targets = [
    Target.over_seeds(
        "single_model_gap",
        "plain v2.0 (backprop through one model fitted to random data): "
        "predicted minus real episode return of its policy",
        per["single"]["gap"], ">=", 50),
    Target.over_seeds(
        "single_model_crash_fraction",
        "plain v2.0: share of its policy's real episodes that crash into the wall",
        per["single"]["final_crashed"], ">=", 0.5),
    Target.over_seeds(
        "single_minus_ensemble_gap",
        "overfitting gap, single model minus ensemble (the policy trained "
        "through every member)",
        {"single": per["single"]["gap"], "ensemble": per["ensemble"]["gap"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "ensemble_minus_single_real_return",
        "real episode return, policy trained through the ensemble minus through "
        "the single model",
        {"ensemble": per["ensemble"]["final_real"],
         "single": per["single"]["final_real"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "single_minus_penalty_gap",
        "overfitting gap, single model minus ensemble mean with a disagreement "
        "penalty of weight 10",
        {"single": per["single"]["gap"], "penalty": per["penalty"]["gap"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "penalty_minus_single_real_return",
        "real episode return, ensemble mean with a disagreement penalty minus "
        "single model",
        {"penalty": per["penalty"]["final_real"],
         "single": per["single"]["final_real"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "strong_penalty_gap",
        "ensemble mean with a disagreement penalty of weight 100: predicted "
        "minus real episode return (an honest prediction: within 10)",
        per["strong penalty"]["gap"], "<=", 10),
    Target.over_seeds(
        "strong_penalty_minus_single_real_return",
        "real episode return, disagreement penalty of weight 100 minus single "
        "model",
        {"strong penalty": per["strong penalty"]["final_real"],
         "single": per["single"]["final_real"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "ensemble_minus_true_model_real_return",
        "real episode return, policy trained through the ensemble minus through "
        "the true sled (within 25 of the ceiling)",
        {"ensemble": per["ensemble"]["final_real"],
         "true": per["true"]["final_real"]}, ">=", -25,
        statistic="mean_difference"),
]
write_results(
    "ch04_v2_overfit", config={"n_seeds": N_SEEDS, "overfit": cfg}, targets=targets,
    seconds=seconds, results_dir=out_dir,
    extra={"per_variant": per,
           "curves": {v: {k: [r[v][k] for r in runs]
                          for k in ("step", "predicted", "real", "crashed")}
                      for v in VARIANTS}})
