"""Chapter 6.2: planning after every real step (Dyna) against planning once
per episode (as PILCO does), at the same number of backups.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it) of Dyna-Q on the
Dyna maze with n = 5 and n = 50 backups per real step, either after each
step or all at the end of the episode (n times its length); each (schedule,
n, seed) is one job of an ``mbrl_lessons.sweep`` sweep.  Measures the real
steps until the greedy path is the 14-step optimum.  Writes
results/ch06_schedule.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
variants = {f"{when}_n{n}": {"n": n, "plan_every": when, "max_episodes": 300}
            for n in (5, 50) for when in ("step", "episode")}


def one_job(cfg: dict, seed: int) -> dict:
    """Real steps and backups to the optimal path, one seed."""
    from mbrl_lessons.analysis.planning import budget_to_optimal

    r = budget_to_optimal(cfg["n"], cfg["plan_every"], n_seeds=1,
                          max_episodes=cfg["max_episodes"], first_seed=seed)
    return {"real_steps": r.real_steps, "backups": r.backups}


t0 = time.time()
sweep = run_sweep(one_job, variants, range(N_SEEDS), name="ch06_schedule")
seconds = time.time() - t0
steps = {v: sweep.per_seed(v, "real_steps") for v in variants}
backups = {v: sweep.per_seed(v, "backups") for v in variants}
targets = [
    Target.over_seeds(
        f"episode_minus_step_real_steps_n{n}",
        f"real steps to the optimal path, planning once per episode minus after "
        f"every step, n = {n} backups per real step",
        {"episode": steps[f"episode_n{n}"], "step": steps[f"step_n{n}"]}, ">", 0,
        statistic="mean_difference")
    for n in (5, 50)
]
write_results("ch06_schedule", config={"n_seeds": N_SEEDS, "variants": variants},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"real_steps": steps, "backups": backups})
