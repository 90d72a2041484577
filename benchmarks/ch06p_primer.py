"""The model-free primer: four model-free learners on CartPole-v1.

Full budget, 10 seeds each (``MBRL_LESSONS_SEEDS`` raises the count), one job
per (learner, seed) through ``mbrl_lessons.sweep``:

- REINFORCE with a learned baseline and without one, 30,000 real steps;
- advantage actor-critic (GAE, lambda = 0.95), 30,000 real steps;
- DQN (replay, target network copied every 500 steps), 20,000 real steps;
- CMA-ES on a linear controller (10 weights), 20 generations of 16 candidates.

Every learner's greedy policy is scored on the same 5 fixed start seeds.  Targets:
each learner's final score (the mean of its last two evaluations) is at least
195 (the threshold at which CartPole-v0 counted as solved), and the baseline
raises REINFORCE's mean evaluation return over the whole run.  Writes
results/ch06p_primer.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from dataclasses import replace  # noqa: E402

import torch  # noqa: E402

from mbrl_lessons.algorithms import cma_es, dqn  # noqa: E402
from mbrl_lessons.algorithms import policy_gradient as pg  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

ENV = "CartPole-v1"
N_SEEDS = n_seeds(full=10, fast=2)  # runs of under a minute a seed: 10 (issue 12)
PG_STEPS = budget(fast=3_000, full=30_000)
VARIANTS = {
    "REINFORCE + baseline": pg.REINFORCEConfig(
        total_steps=PG_STEPS, eval_every=PG_STEPS // 10),
    "REINFORCE, no baseline": pg.REINFORCEConfig(
        total_steps=PG_STEPS, eval_every=PG_STEPS // 10, baseline=False),
    "actor-critic": pg.ActorCriticConfig(
        total_steps=PG_STEPS, eval_every=PG_STEPS // 10),
    "DQN": dqn.DQNConfig(total_steps=budget(fast=2_000, full=20_000),
                         eval_every=budget(fast=400, full=2_000)),
    "CMA-ES": cma_es.CMAESConfig(generations=budget(fast=3, full=20)),
}
TRAIN = {pg.REINFORCEConfig: pg.train_reinforce,
         pg.ActorCriticConfig: pg.train_actor_critic,
         dqn.DQNConfig: dqn.train}


def one_run(cfg, seed: int) -> dict:
    """One learner, one seed: its evaluation curve (x = real steps, or
    generations for CMA-ES) and its fitness episodes."""
    torch.set_num_threads(1)
    cfg = replace(cfg, seed=seed)
    if isinstance(cfg, cma_es.CMAESConfig):
        res = cma_es.train(ENV, cfg)
        return {"x": res.generations, "returns": res.mean_returns,
                "episodes": res.episodes, "seconds": res.seconds}
    res = TRAIN[type(cfg)](ENV, cfg)
    return {"x": res.eval_steps, "returns": res.eval_returns,
            "episodes": len(res.episode_returns), "seconds": res.seconds}


t0 = time.time()
sweep = run_sweep(one_run, VARIANTS, range(N_SEEDS), name="ch06p_primer")
seconds = time.time() - t0
runs = {v: sweep.per_seed(v) for v in VARIANTS}
final = {v: np.array([np.mean(r["returns"][-2:]) for r in rs])
         for v, rs in runs.items()}
area = {v: np.array([np.mean(r["returns"]) for r in rs]) for v, rs in runs.items()}
IDS = {"REINFORCE + baseline": "reinforce", "REINFORCE, no baseline":
       "reinforce_no_baseline", "actor-critic": "actor_critic", "DQN": "dqn",
       "CMA-ES": "cma_es"}

targets = [
    Target.over_seeds(
        f"{IDS[v]}_final_at_least_195",
        f"{v}: greedy return on CartPole-v1, mean of the last two evaluations "
        f"(5 fixed start states each)", final[v], ">=", 195.0)
    for v in VARIANTS
]
targets.append(Target.over_seeds(
    "reinforce_baseline_raises_mean_return",
    "REINFORCE: mean evaluation return over the run, with a learned baseline minus "
    "without", {"baseline": area["REINFORCE + baseline"],
                "none": area["REINFORCE, no baseline"]},
    ">", 0.0, statistic="mean_difference"))

write_results(
    "ch06p_primer",
    config={"env": ENV, "n_seeds": N_SEEDS,
            **{v: c.__dict__ for v, c in VARIANTS.items()}},
    targets=targets, seconds=seconds, results_dir=out_dir,
    extra={"curves": {v: {"x": rs[0]["x"],
                          "returns": [r["returns"] for r in rs]}
                      for v, rs in runs.items()},
           "episodes": {v: [r["episodes"] for r in rs] for v, rs in runs.items()},
           "job_seconds": {v: [r["seconds"] for r in rs] for v, rs in runs.items()}},
)
