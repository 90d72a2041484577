"""Chapter 5.3: exploration by the disagreement of a *neural* ensemble on a
continuous chain, where no state repeats and nothing can be counted.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it) of the planner of
``mbrl_lessons.analysis.exploration.explore_continuous`` (5 bootstrapped
MLPs, 128 candidate sequences of 15 steps, a refit of 100 steps after every
episode, one random episode first) for 30 episodes of at most 20 steps, with
three rules at equal real steps and equal planning: the disagreement bonus
(beta = 1), ε-greedy (ε = 0.3) and plain greedy planning.  Each (rule, seed)
is one job of an ``mbrl_lessons.sweep`` sweep.  Writes
results/ch05_explore_nn.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
N_EPISODES = budget(fast=8, full=30)
variants = {"disagreement": {"bonus": True, "beta": 1.0},
            "egreedy_0.3": {"bonus": False, "epsilon": 0.3},
            "greedy": {"bonus": False}}
variants = {k: {**v, "n_episodes": N_EPISODES} for k, v in variants.items()}


def one_job(cfg: dict, seed: int) -> dict:
    """One run on the continuous chain with the variant's rule."""
    import torch

    from mbrl_lessons.analysis.exploration import explore_continuous

    torch.set_num_threads(1)
    return explore_continuous(seed, **cfg)


t0 = time.time()
sweep = run_sweep(one_job, variants, range(N_SEEDS), name="ch05_explore_nn")
seconds = time.time() - t0
first = {v: [N_EPISODES + 1 if e is None else e
             for e in sweep.per_seed(v, "first_treasure_episode")] for v in variants}
found = {v: [float(e <= N_EPISODES) for e in first[v]] for v in variants}
treasures = {v: sweep.per_seed(v, "treasure_episodes") for v in variants}
targets = [
    Target.over_seeds(
        f"nn_disagreement_minus_{other}_treasure_episodes",
        f"continuous chain, {N_EPISODES} episodes: episodes that reach the treasure, "
        f"neural-ensemble disagreement bonus minus {label}",
        {"disagreement": treasures["disagreement"], other: treasures[other]}, ">", 0,
        statistic="mean_difference")
    for other, label in (("egreedy_0.3", "ε-greedy (ε = 0.3)"),
                         ("greedy", "greedy planning without a bonus"))
] + [
    Target.over_seeds(
        "nn_disagreement_found_fraction",
        f"continuous chain: fraction of seeds in which the disagreement-driven "
        f"planner reaches the treasure within {N_EPISODES} episodes",
        found["disagreement"], ">=", 0.9),
]
write_results("ch05_explore_nn", config={"n_seeds": N_SEEDS, "variants": variants},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"first_treasure_episode": first, "treasure_episodes": treasures,
                     "farthest": {v: sweep.per_seed(v, "farthest") for v in variants}})
