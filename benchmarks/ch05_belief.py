"""Chapter 5.4: acting on a belief against acting on the last observation.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it) x 20,000 steps of the
tiger problem per agent, each (agent, seed) one job of an
``mbrl_lessons.sweep`` sweep.  Writes results/ch05_belief.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)  # runs of under a minute a seed: 10 (issue 12)
N_STEPS = budget(fast=2_000, full=20_000)
variants = {"last_observation": {"policy": "last_observation", "steps": N_STEPS},
            "belief_0.9": {"policy": "belief", "threshold": 0.9, "steps": N_STEPS}}


def one_job(cfg: dict, seed: int) -> dict:
    """One agent on the tiger problem for ``cfg["steps"]`` steps."""
    from mbrl_lessons.mdp.pomdp import belief_policy, last_observation_policy, run_tiger

    policy = (belief_policy(cfg["threshold"]) if cfg["policy"] == "belief"
              else last_observation_policy)
    return run_tiger(policy, cfg["steps"], seed)


t0 = time.time()
sweep = run_sweep(one_job, variants, range(N_SEEDS), name="ch05_belief")
seconds = time.time() - t0
per_step = {v: sweep.per_seed(v, "reward_per_step") for v in variants}
treasure = {v: sweep.per_seed(v, "treasure_rate") for v in variants}
targets = [
    Target.over_seeds(
        "belief_minus_last_observation_reward_per_step",
        "tiger problem: mean reward per step, acting on the Bayes-filtered belief "
        "(open at belief >= 0.9) minus acting on the last observation only",
        {"belief": per_step["belief_0.9"], "last": per_step["last_observation"]},
        ">", 0, statistic="mean_difference"),
    Target.over_seeds(
        "belief_treasure_rate", "fraction of doors opened on the treasure side, "
        "belief agent", treasure["belief_0.9"], ">=", 0.95),
    Target.over_seeds(
        "last_observation_treasure_rate", "the same for the last-observation "
        "agent (the growl's accuracy is 0.85)", treasure["last_observation"],
        "<=", 0.9),
]
write_results("ch05_belief", config={"n_seeds": N_SEEDS, "variants": variants},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"reward_per_step": per_step, "treasure_rate": treasure})
