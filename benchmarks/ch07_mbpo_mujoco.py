"""Chapter 7.3: MBPO against fair SAC baselines on InvertedDoublePendulum.

Arms (see :mod:`mbrl_lessons.analysis.fair_mbpo`): ``mbpo`` (G SAC updates
per real step on mostly model data), ``sac_g`` (the same learner at the same G
on real data only, which is also "MBPO's learner fed real data only") and
``sac_g1`` (SAC at G = 1, the usual baseline).

The paper's claim, tested: MBPO reaches the G-matched SAC's return at
``sac_steps`` with at most a third of the real steps, i.e. MBPO's return at
``sac_steps / 3`` minus ``sac_g``'s at ``sac_steps``, paired by seed, has a
95% bootstrap interval above 0.  Every (arm, seed) is one job of an
``mbrl_lessons.sweep`` sweep.  Writes results/ch07_mbpo_mujoco.json.
"""

import time

from mbrl_lessons.core.results import benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis import fair_mbpo  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

cfg = {
    "env_id": "InvertedDoublePendulum-v5", "seeds": n_seeds(full=5, fast=2),
    "sac_steps": budget(fast=1000, full=3000), "mbpo_steps": budget(fast=600,
                                                                   full=1500),
    "updates_per_step": 5, "rollout_length": 1, "eval_every": budget(fast=200,
                                                                    full=250),
    "eval_episodes": 5, "sac_hidden": 64, "sac_lr": 3e-4, "start_steps": 250,
    "real_ratio": 0.05, "model_train_every": 250, "model_train_steps": 300,
    "ensemble_size": 7, "n_elites": 5,
}

if __name__ == "__main__":
    t0 = time.time()
    sweep = run_sweep(fair_mbpo.run_arm, fair_mbpo.arms(cfg), range(cfg["seeds"]),
                      name="ch07_mbpo_mujoco")
    total = time.time() - t0
    targets, extra = fair_mbpo.report(
        cfg, {arm: sweep.per_seed(arm) for arm in fair_mbpo.ARM_NAMES})
    write_results("ch07_mbpo_mujoco", config=cfg, targets=targets, seconds=total,
                  results_dir=out_dir, extra=extra)
