"""Chapter 5.8: subgoal discovery by counting shortest paths in four rooms.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it), each sampling 200
random pairs of cells of the slip-free four-rooms grid, counting how often
every cell lies inside a shortest path between them, and taking the 4 cells
with the largest counts (at least 3 moves apart) as subgoals.  Each seed is
one job of an ``mbrl_lessons.sweep`` sweep.  Writes results/ch05_subgoals.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)  # runs of under a minute a seed: 10 (issue 12)
HALLWAYS = ((3, 6), (6, 2), (7, 9), (10, 6))
cfg = {"n_pairs": 200, "k": 4, "radius": 2, "hallways": HALLWAYS}


def one_seed(cfg: dict, seed: int) -> dict:
    """Counts, discovered subgoals and how many hallways they find."""
    import numpy as np

    from mbrl_lessons.mdp.options import four_rooms
    from mbrl_lessons.mdp.subgoals import (
        bottleneck_counts,
        discover_subgoals,
        goal_distances,
        hallways_found,
    )

    env = four_rooms(slip=0.0)
    D = goal_distances(env)
    halls = [env.state_of(*c) for c in cfg["hallways"]]
    counts = bottleneck_counts(env, cfg["n_pairs"], np.random.default_rng(seed), D)
    found = discover_subgoals(counts, D, cfg["k"], cfg["radius"])
    return {"subgoals": [env.cell_of(s) for s in found],
            "found_within_1": hallways_found(found, halls, D, 1),
            "found_exact": hallways_found(found, halls, D, 0)}


t0 = time.time()
sweep = run_sweep(one_seed, {"four_rooms": cfg}, range(N_SEEDS), name="ch05_subgoals")
seconds = time.time() - t0
runs = sweep.per_seed("four_rooms")
targets = [
    Target.over_seeds(
        "hallways_found_within_one_move",
        "four rooms: fraction of the 4 hallways with a discovered subgoal on it "
        "or on its doorstep (4 subgoals from 200 random shortest paths)",
        [r["found_within_1"] for r in runs], ">=", 0.95),
]
write_results("ch05_subgoals", config={**cfg, "n_seeds": N_SEEDS}, targets=targets,
              seconds=seconds, results_dir=out_dir,
              extra={"subgoals": [r["subgoals"] for r in runs],
                     "found_exact": [r["found_exact"] for r in runs]})
