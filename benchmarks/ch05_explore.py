"""Chapter 5.3: exploring where a bootstrapped ensemble of models disagrees,
against ε-greedy, on deep chains of growing length.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it) of the model-based
learner of ``mbrl_lessons.analysis.exploration`` on chains of 4 to 20 states,
100 episodes of 2n steps each, with four exploration rules at equal real
steps and equal value-iteration sweeps: the ensemble-disagreement bonus
(beta = 0.1, 10 members), the count bonus (beta = 0.1), and ε-greedy with
ε = 0.1 and 0.3.  Each (rule, chain length, seed) is one job of an
``mbrl_lessons.sweep`` sweep.  Writes results/ch05_explore.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
N_EPISODES = budget(fast=30, full=100)
LENGTHS = budget(fast=(4, 6, 10), full=(4, 6, 8, 10, 15, 20))
HEADLINE = 10  # the chain length of the headline comparisons
RULES = {"disagreement": {"bonus": "disagreement", "beta": 0.1},
         "count": {"bonus": "count", "beta": 0.1},
         "egreedy_0.1": {"bonus": "none", "epsilon": 0.1},
         "egreedy_0.3": {"bonus": "none", "epsilon": 0.3}}
variants = {f"{rule}_n{n}": {**cfg, "n": n, "n_episodes": N_EPISODES}
            for rule, cfg in RULES.items() for n in LENGTHS}


def one_job(cfg: dict, seed: int) -> dict:
    """One run of the chain learner with the variant's exploration rule."""
    from mbrl_lessons.analysis.exploration import explore_chain

    return explore_chain(seed, **cfg)


t0 = time.time()
sweep = run_sweep(one_job, variants, range(N_SEEDS), name="ch05_explore")
seconds = time.time() - t0


def per_seed(rule: str, n: int, key: str) -> list:
    return sweep.per_seed(f"{rule}_n{n}", key)


# a run that never reached the treasure is counted at N_EPISODES + 1
first = {rule: {n: [N_EPISODES + 1 if e is None else e
                    for e in per_seed(rule, n, "first_treasure_episode")]
                for n in LENGTHS} for rule in RULES}
found = {rule: {n: [float(e <= N_EPISODES) for e in first[rule][n]] for n in LENGTHS}
         for rule in RULES}
treasures = {rule: {n: per_seed(rule, n, "treasure_episodes") for n in LENGTHS}
             for rule in RULES}
longest = max(LENGTHS)
targets = [
    Target.over_seeds(
        f"disagreement_minus_egreedy_treasure_episodes_n{HEADLINE}",
        f"deep chain of {HEADLINE} states, {N_EPISODES} episodes: episodes that reach "
        "the treasure, ensemble-disagreement bonus minus ε-greedy with ε = 0.3",
        {"disagreement": treasures["disagreement"][HEADLINE],
         "egreedy": treasures["egreedy_0.3"][HEADLINE]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        f"disagreement_found_fraction_n{longest}",
        f"deep chain of {longest} states: fraction of seeds in which the "
        "disagreement-driven learner reaches the treasure within "
        f"{N_EPISODES} episodes",
        found["disagreement"][longest], ">=", 0.9),
    Target.over_seeds(
        f"egreedy_found_fraction_n{HEADLINE}",
        f"deep chain of {HEADLINE} states: fraction of seeds in which ε-greedy "
        f"(ε = 0.3) reaches the treasure within {N_EPISODES} episodes",
        found["egreedy_0.3"][HEADLINE], "<=", 0.2),
    Target.over_seeds(
        f"disagreement_minus_count_treasure_episodes_n{HEADLINE}",
        f"deep chain of {HEADLINE} states: episodes that reach the treasure, "
        "disagreement bonus minus count bonus at the same beta = 0.1 (the "
        "ensemble's spread fades after a few visits of a deterministic move, "
        "the count bonus only as 1/sqrt(N))",
        {"disagreement": treasures["disagreement"][HEADLINE],
         "count": treasures["count"][HEADLINE]}, ">", 0,
        statistic="mean_difference"),
]
write_results("ch05_explore",
              config={"n_seeds": N_SEEDS, "n_episodes": N_EPISODES,
                      "lengths": list(LENGTHS), "rules": RULES, "slip": 0.1,
                      "gamma": 0.99, "n_members": 10},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"first_treasure_episode": first, "treasure_episodes": treasures,
                     "real_steps": {rule: {n: per_seed(rule, n, "real_steps")
                                           for n in LENGTHS} for rule in RULES},
                     "pairs_tried": {rule: {n: per_seed(rule, n, "pairs_tried")
                                            for n in LENGTHS} for rule in RULES}})
