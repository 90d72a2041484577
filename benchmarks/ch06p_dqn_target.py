"""The model-free primer, §P.2: DQN with and without its target network.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises the count) x 2 variants of
DQN on CartPole-v1, 10,000 real steps each, through ``mbrl_lessons.sweep``.
The variants differ only in ``target_update_every``: 500 (the target network
is a copy refreshed every 500 steps) or 1 (the target is the network being
trained).  Each run's score is the mean greedy return over its last four
evaluations (every 1,000 steps, 5 fixed start states each).  Target: the
target network raises that score (paired difference over seeds, its 95%
bootstrap interval above 0).  Writes results/ch06p_dqn_target.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from dataclasses import replace  # noqa: E402

import torch  # noqa: E402

from mbrl_lessons.algorithms import dqn  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)  # runs of under a minute a seed: 10 (issue 12)
STEPS = budget(fast=2_000, full=10_000)
BASE = dqn.DQNConfig(total_steps=STEPS, start_steps=500, eps_decay_steps=STEPS // 2,
                     hidden=64, eval_every=STEPS // 10)
VARIANTS = {"target network": BASE,
            "no target network": replace(BASE, target_update_every=1)}


def one_run(cfg: dqn.DQNConfig, seed: int) -> dict:
    torch.set_num_threads(1)
    res = dqn.train("CartPole-v1", replace(cfg, seed=seed))
    return {"x": res.eval_steps, "returns": res.eval_returns, "losses": res.losses,
            "seconds": res.seconds}


t0 = time.time()
sweep = run_sweep(one_run, VARIANTS, range(N_SEEDS), name="ch06p_dqn_target")
seconds = time.time() - t0
runs = {v: sweep.per_seed(v) for v in VARIANTS}
score = {v: np.array([np.mean(r["returns"][-4:]) for r in rs])
         for v, rs in runs.items()}
targets = [Target.over_seeds(
    "dqn_target_network_raises_return",
    "DQN on CartPole-v1: mean greedy return over the last four evaluations, with "
    "a target network (copied every 500 steps) minus without one",
    {"target": score["target network"], "none": score["no target network"]},
    ">", 0.0, statistic="mean_difference")]
write_results(
    "ch06p_dqn_target",
    config={"env": "CartPole-v1", "n_seeds": N_SEEDS,
            **{v: c.__dict__ for v, c in VARIANTS.items()}},
    targets=targets, seconds=seconds, results_dir=out_dir,
    extra={"curves": {v: {"x": rs[0]["x"], "returns": [r["returns"] for r in rs],
                          "losses": [r["losses"] for r in rs]}
                      for v, rs in runs.items()},
           "score": score})
