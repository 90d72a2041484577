"""Chapter 7.1: World Models from pixels on the kicked pixel pendulum.

Per seed (one job of an ``mbrl_lessons.sweep`` sweep): 50 episodes of random
torques on ``mbrl_lessons/PixelPendulumKicks-v0`` (24 x 24 grey frames; with
probability 0.05 per step the velocity is kicked by +-3 rad/s), V (a conv VAE)
on their frames, M (an MDN-RNN) on V's codes, then a linear C trained by
CMA-ES only inside M's dream at tau = 0.1 and tau = 1; every few generations
the CMA-ES mean is scored in the dream and in the real task from the same
starts.  A diagnostic run trains the same C by CMA-ES in the real task
(what a perfect dream could give this controller class).
Writes results/ch07_world_models.json.
"""

import time
from dataclasses import replace

import numpy as np

from mbrl_lessons.core.results import (
    Target,
    benchmark_cli,
    load_results,
    target_value,
    write_results,
)

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.world_models import (  # noqa: E402
    WorldModelsConfig,
    cma_in_dream,
    fit_world_model,
    random_baseline,
    task_of,
)
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=5, fast=2)
TAUS = (0.1, 1.0)
# ch04's measured ceiling: CEM-MPC with the TRUE model on the calm pendulum
# (results/ch04_schemes.json, ``ceiling_true_model_mpc``, the mean over its seeds)
MPC_CEILING = target_value(load_results("ch04_schemes"), "ceiling_true_model_mpc")
if MPC_CEILING is None:
    raise SystemExit("ch07_world_models needs results/ch04_schemes.json: "
                     "run benchmarks/ch04_schemes.py first")
MPC_CEILING = float(MPC_CEILING)
ENV = "mbrl_lessons/PixelPendulumKicks-v0"
wm_cfg = WorldModelsConfig(vae_steps=budget(fast=150, full=1000),
                           mdn_steps=budget(fast=150, full=2000),
                           generations=budget(fast=4, full=40),
                           popsize=budget(fast=8, full=16),
                           eval_every=budget(fast=2, full=10),
                           n_random_episodes=budget(fast=12, full=50),
                           n_eval=budget(fast=16, full=64))


def one_seed(cfg: dict, seed: int) -> dict:
    """V, M, then C in the dream at each tau (and in reality, as a diagnostic)."""
    t = time.process_time()
    c = replace(cfg["wm"], seed=seed)
    task = task_of(cfg["env"])
    wm = fit_world_model(task, c)
    out = {"random": random_baseline(task, c),
           "vae_final": wm.vae_log[-50:].mean(0), "mdn_final": wm.mdn_log[-50:].mean(0),
           "taus": {}}
    for tau in cfg["taus"]:
        _, tr = cma_in_dream(wm, task, replace(c, tau=tau))
        out["taus"][str(tau)] = tr._asdict()
    _, tr = cma_in_dream(wm, task, replace(c, tau=1.0), in_reality=True)
    out["in_reality"] = tr._asdict()
    out["cpu_seconds"] = time.process_time() - t
    return out


t0 = time.time()
sweep = run_sweep(one_seed, {"kicks": {"env": ENV, "taus": TAUS, "wm": wm_cfg}},
                  range(N_SEEDS), name="ch07_world_models")
seconds = time.time() - t0
runs = sweep.per_seed("kicks")
rand = [r["random"] for r in runs]
real = {tau: [r["taus"][str(tau)]["real"][-1] for r in runs] for tau in TAUS}
dream = {tau: [r["taus"][str(tau)]["dream"][-1] for r in runs] for tau in TAUS}
gap = {tau: list(np.subtract(dream[tau], real[tau])) for tau in TAUS}
threshold = (float(np.mean(rand)) + MPC_CEILING) / 2
targets = [
    Target.over_seeds(
        "real_return_tau1",
        "C trained only in the dream (tau = 1), real return on the kicked pixel "
        "pendulum: at least half-way from random torques to the calm pendulum's "
        f"true-model MPC ceiling ({MPC_CEILING:.0f})", real[1.0], ">=", threshold),
    Target.over_seeds(
        "beats_random_tau1", "real return of the dream-trained C (tau = 1) minus "
        "that of random torques, same starts", {"C": real[1.0], "random": rand},
        ">", 0.0, statistic="mean_difference"),
    Target.over_seeds(
        "lowest_tau_largest_gap", "dream-minus-real gap at tau = 0.1 minus the gap "
        "at tau = 1 (the cold dream, which drops the kicks, is exploited most)",
        {"0.1": gap[0.1], "1.0": gap[1.0]}, ">", 0.0, statistic="mean_difference"),
    Target.over_seeds(
        "higher_tau_transfers_better", "real return of C trained at tau = 1 minus "
        "that of C trained at tau = 0.1", {"1.0": real[1.0], "0.1": real[0.1]},
        ">", 0.0, statistic="mean_difference"),
]
extra = {"random_return": rand, "threshold": threshold, "real": real, "dream": dream,
         "gap": gap, "traces": {str(tau): [r["taus"][str(tau)] for r in runs]
                                for tau in TAUS},
         "in_reality": [r["in_reality"] for r in runs],
         "in_reality_final": [r["in_reality"]["real"][-1] for r in runs],
         "vae_final": [r["vae_final"] for r in runs],
         "mdn_final": [r["mdn_final"] for r in runs],
         "cpu_seconds": [r["cpu_seconds"] for r in runs]}
write_results("ch07_world_models", config={
    "seeds": N_SEEDS, "taus": TAUS, "env": ENV, "world_models": wm_cfg,
    "mpc_ceiling": MPC_CEILING}, targets=targets, seconds=seconds, extra=extra,
    results_dir=out_dir)
