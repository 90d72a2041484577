"""Chapter 7.1: World Models on Pendulum-v1, at the full budget.

Per seed: random-policy data, one MDN world model M, then a tiny controller C
trained by CMA-ES only inside M at three temperatures tau; every few
generations the CMA-ES mean is scored both in the dream and in the real
pendulum.  Writes results/ch07_world_models.json.
"""

import time
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.world_models import (  # noqa: E402
    WorldModelsConfig,
    cma_in_dream,
    collect,
    fit_mdn,
    random_returns,
    reset_states,
    train,
)
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.core.seeding import torch_generator  # noqa: E402

torch.set_num_threads(1)
TAUS = (0.1, 1.0, 1.5)
MPC_CEILING = -142.0  # ch04: CEM-MPC with the TRUE pendulum model
base = WorldModelsConfig(generations=budget(fast=15, full=120),
                         mdn_steps=budget(fast=300, full=2000),
                         popsize=budget(fast=12, full=24))
cfg = {"seeds": budget(fast=1, full=3), "taus": TAUS, "world_models": base,
       "iterative_rounds": 2, "mpc_ceiling": MPC_CEILING}
t0 = time.time()
runs = {tau: [] for tau in TAUS}
random_ret = []
for seed in range(cfg["seeds"]):
    c = WorldModelsConfig(**{**base.__dict__, "seed": seed})
    gen = torch_generator(seed)
    obs, act, nxt = collect(None, c.n_random_episodes, c, gen)
    starts = obs.view(c.episode_len, -1, 3)[0]
    model, _ = fit_mdn(obs, act, nxt, c.n_mixtures, c.mdn_hidden, c.mdn_steps,
                       seed=seed)
    random_ret.append(random_returns(reset_states(c.n_eval, torch_generator(seed + 2)),
                                     torch_generator(seed + 9), c.episode_len))
    for tau in TAUS:
        _, trace = cma_in_dream(model, starts, WorldModelsConfig(
            **{**c.__dict__, "tau": tau}))
        runs[tau].append(trace)
        print(f"seed {seed} tau {tau}: dream {trace.dream[-1]:.0f} "
              f"real {trace.real[-1]:.0f}")
# one run with a second round of data collected by the controller itself
iterative = train("Pendulum-v1", replace(base, n_rounds=2))
seconds = time.time() - t0

final = {tau: {"dream": [float(t.dream[-1]) for t in runs[tau]],
               "real": [float(t.real[-1]) for t in runs[tau]]} for tau in TAUS}
gap = {tau: float(np.mean(np.subtract(final[tau]["dream"], final[tau]["real"])))
       for tau in TAUS}
real_mean = {tau: float(np.mean(final[tau]["real"])) for tau in TAUS}
rand = float(np.mean(random_ret))
threshold = -670.0  # half-way from random (about -1200) to the ch04 ceiling (-142)
targets = [
    Target("real_return_tau1", "C trained only in the dream (tau = 1), mean real "
           "return over seeds: at least half-way from random to the ch04 "
           "true-model MPC ceiling", real_mean[1.0], ">=", threshold),
    Target("beats_random_all_taus", "worst real return over every tau and seed minus "
           "the random policy's return (dream training helps at every tau)",
           min(min(v["real"]) for v in final.values()) - rand, ">", 0.0),
    Target("lowest_tau_largest_gap", "dream-minus-real gap at tau = 0.1 minus the "
           "largest gap at tau in {1.0, 1.5} (the near-deterministic dream is "
           "exploited most)", gap[0.1] - max(gap[1.0], gap[1.5]), ">", 0.0),
    Target("higher_tau_transfers_better", "best mean real return at tau in "
           "{1.0, 1.5} minus the one at tau = 0.1", max(real_mean[1.0], real_mean[1.5])
           - real_mean[0.1], ">=", 0.0),
    Target("iterative_round_real", "real return after a second round of data "
           "collected by the controller (seed 0)", iterative.real_return, ">=",
           threshold),
]
extra = {
    "random_return": rand, "gap": gap, "real_mean": real_mean, "final": final,
    "traces": {tau: [{"generation": t.generation, "dream": t.dream, "real": t.real}
                     for t in runs[tau]] for tau in TAUS},
    "iterative": {"traces": [t._asdict() for t in iterative.traces],
                  "n_transitions": iterative.n_transitions},
}
write_results("ch07_world_models", config=cfg, targets=targets, seconds=seconds,
              extra=extra, results_dir=out_dir)
