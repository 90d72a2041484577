"""Chapter 4: distribution mismatch on the sled task, and MPC's safer data.

Full budget: 5 seeds (``MBRL_LESSONS_SEEDS`` raises it), each one job of an
``mbrl_lessons.sweep`` sweep running schemes v0.5, v1.0 and v1.5 on
``mbrl_lessons/IceSlide-v0`` with 10 real episodes (800 steps) each.  A good
plan must cross a patch of ice that random data never reach.  Writes
results/ch04_ice.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis.ice import ice_config, ice_schemes  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=5, fast=2)
cfg = ice_config(n_episodes=budget(fast=4, full=10), fast=fast)


def one_seed(cfg, seed: int) -> dict:
    """The three schemes on the sled, one seed."""
    from dataclasses import replace

    import torch

    torch.set_num_threads(1)
    return ice_schemes(replace(cfg, seed=seed))


t0 = time.time()
sweep = run_sweep(one_seed, {"ice": cfg}, range(N_SEEDS), name="ch04_ice")
seconds = time.time() - t0
runs = sweep.per_seed("ice")
final = {k: [r[k]["final"] for r in runs] for k in ("v0.5", "v1.0", "v1.5")}
n_data = cfg.n_episodes
# v0.5's evaluation episodes follow its n_episodes random ones
v05_eval_crash = [float(np.mean(np.array(r["v0.5"]["crashes"][n_data:]) > 0))
                  for r in runs]
collect_crashes = {k: [float(np.sum(np.array(r[k]["crashes"]) > 0)) for r in runs]
                   for k in ("v1.0", "v1.5")}
err = [r["v0.5"]["model_error"] for r in runs]

targets = [
    Target.over_seeds(
        "v0_5_eval_crash_fraction",
        "v0.5 (random data, one model, open-loop plans): fraction of its "
        "evaluation episodes that crash into the wall",
        v05_eval_crash, ">=", 0.5),
    Target.over_seeds(
        "v0_5_model_error_ratio_plan_over_train",
        "v0.5's model: median one-step error on the states its plan visited / "
        "on its random training data",
        {"plan": [e["plan_median"] for e in err],
         "train": [e["train_median"] for e in err]}, ">=", 10,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "v1_0_minus_v0_5_final_return",
        "final return, v1.0 (refit on the data its plans collect) minus v0.5, "
        "same data budget",
        {"v1.0": final["v1.0"], "v0.5": final["v0.5"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "v1_0_minus_v1_5_crashed_collection_episodes",
        "data-collection episodes that crash: v1.0 (open loop) minus v1.5 "
        "(MPC); MPC collects its data more safely",
        {"v1.0": collect_crashes["v1.0"], "v1.5": collect_crashes["v1.5"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "v1_5_crashed_collection_episodes",
        "data-collection episodes of v1.5 (MPC) that crash, per run",
        collect_crashes["v1.5"], "<=", 0),
    Target.over_seeds(
        "v1_5_final_return", "final return of v1.5 (MPC) on the sled",
        final["v1.5"], ">=", -100),
]
write_results(
    "ch04_ice", config={"n_seeds": N_SEEDS, "scheme": cfg}, targets=targets,
    seconds=seconds, results_dir=out_dir,
    extra={"final": final, "returns": {k: [r[k]["returns"] for r in runs]
                                       for k in ("v0.5", "v1.0", "v1.5")},
           "crashes": {k: [r[k]["crashes"] for r in runs]
                       for k in ("v0.5", "v1.0", "v1.5")},
           "peak_speed": {k: [r[k]["peak_speed"] for r in runs]
                          for k in ("v0.5", "v1.0", "v1.5")},
           "farthest": {k: [r[k]["farthest"] for r in runs]
                        for k in ("v0.5", "v1.0", "v1.5")},
           "v0_5_model_error": err,
           "v0_5_visited_x_seed0": runs[0]["v0.5"]["visited_x"]})
