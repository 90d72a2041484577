"""Chapter 5.4: a recurrent belief state against a window of observations.

The pendulum observed without its speed, ``o = (cos th, sin th)``, clean and
with Gaussian sensor noise (sd 0.02).  Per seed and noise level: window models
(1 and 2 observations) and a GRU, trained on one-step prediction from 200
random-torque trajectories of 30 steps, then forecast open loop for 21 steps
after a 10-step burn-in on 300 fresh trajectories; error = mean distance to
the noise-free observation.  Every (noise, seed) is one job of an
``mbrl_lessons.sweep`` sweep.  Writes results/ch05_recurrent.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis.partial_obs import recurrent_experiment  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=5, fast=2)
NOISES = {"clean": 0.0, "noisy": 0.02}
base = {"n_train": budget(fast=60, full=200), "length": 30, "burn_in": 10,
        "steps": budget(fast=150, full=1500), "hidden": 64, "windows": (1, 2)}
HORIZON = 10  # the forecast step the targets compare (index HORIZON - 1)


def one_seed(cfg: dict, seed: int) -> dict:
    t = time.process_time()
    r = recurrent_experiment(cfg["noise"], cfg["windows"], cfg["n_train"],
                             cfg["length"], cfg["burn_in"], cfg["steps"],
                             cfg["hidden"], seed)
    return {"error": r["error"], "horizon": r["horizon"],
            "cpu_seconds": time.process_time() - t}


t0 = time.time()
sweep = run_sweep(one_seed, {k: {**base, "noise": v} for k, v in NOISES.items()},
                  range(N_SEEDS), name="ch05_recurrent")
seconds = time.time() - t0


def at(variant: str, model: str, h: int = HORIZON) -> list[float]:
    return [r["error"][model][h - 1] for r in sweep.per_seed(variant)]


targets = []
for v in NOISES:
    targets.append(Target.over_seeds(
        f"gru_beats_window2_{v}",
        f"{v} observations: forecast error {HORIZON} steps after the burn-in, "
        "window of 2 minus GRU (the belief state forecasts better: > 0)",
        {"window 2": at(v, "window 2"), "GRU": at(v, "GRU")}, ">", 0.0,
        statistic="mean_difference"))
targets.append(Target.over_seeds(
    "window2_beats_window1_one_step",
    "clean observations: one-step error of the 1-observation model divided by "
    "that of the 2-observation window (the speed needs two frames: > 3)",
    {"window 1": at("clean", "window 1", 1), "window 2": at("clean", "window 2", 1)},
    ">", 3.0, statistic="ratio_of_means"))
extra = {v: {m: {"mean": np.mean([r["error"][m] for r in sweep.per_seed(v)], 0),
                 "per_seed": [r["error"][m] for r in sweep.per_seed(v)]}
             for m in ("window 1", "window 2", "GRU")} for v in NOISES}
extra["horizon"] = sweep.per_seed("clean")[0]["horizon"]
extra["cpu_seconds"] = {v: sweep.per_seed(v, "cpu_seconds") for v in NOISES}
write_results("ch05_recurrent", config={**base, "noises": NOISES, "seeds": N_SEEDS,
                                         "target_horizon": HORIZON},
              targets=targets, seconds=seconds, extra=extra, results_dir=out_dir)
