"""Chapter 7.3: MBPO against fair SAC baselines on a MuJoCo task.

Arms, all with the same SAC learner (width, learning rate, batch, warm-up):

- ``mbpo``: MBPO with G SAC updates per real step, k-step branched rollouts
  of a learned model (learned reward, known termination from
  :mod:`mbrl_lessons.envs.mujoco_tasks`, as mbrl-lib's MBPO does);
- ``sac_g``: SAC at the same G on real data only.  In this code MBPO's
  learner *is* :class:`~mbrl_lessons.algorithms.sac.SACAgent` with the same
  config, so this arm is also "MBPO's learner fed real data only";
- ``sac_g1``: SAC at G = 1, the usual baseline (what MBPO was compared with
  before).

The paper's claim, tested: MBPO reaches the G-matched SAC's return at
``sac_steps`` with at most a third of the real steps, i.e. MBPO's return at
``sac_steps / 3`` minus ``sac_g``'s at ``sac_steps``, paired by seed, has a
95% bootstrap interval above 0.  Every (arm, seed) is one job of an
``mbrl_lessons.sweep`` sweep.  Writes results/ch07_mbpo_mujoco.json.
"""

import time
from dataclasses import replace

import numpy as np

from mbrl_lessons.core.results import benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

import gymnasium as gym  # noqa: E402

from mbrl_lessons.algorithms import mbpo, sac  # noqa: E402
from mbrl_lessons.analysis.modern import arm_curves  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.envs.mujoco_tasks import MUJOCO_TERMINATIONS  # noqa: E402
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
learner = sac.SACConfig(hidden=cfg["sac_hidden"], lr=cfg["sac_lr"],
                        start_steps=cfg["start_steps"], eval_every=cfg["eval_every"],
                        eval_episodes=cfg["eval_episodes"])


def run(c: mbpo.MBPOConfig | sac.SACConfig, seed: int) -> dict:
    """One arm on one seed: its evaluation curve and seconds."""
    env = gym.make(cfg["env_id"])
    if isinstance(c, mbpo.MBPOConfig):
        res = mbpo.train(env, replace(c, seed=seed),
                         termination_fn=MUJOCO_TERMINATIONS[cfg["env_id"]])
    else:
        res = sac.train(env, replace(c, seed=seed))
    return {"steps": res.eval_steps, "returns": res.eval_returns,
            "seconds": res.seconds}


ARMS = {
    "mbpo": mbpo.MBPOConfig(
        total_steps=cfg["mbpo_steps"], rollout_length=cfg["rollout_length"],
        updates_per_step=cfg["updates_per_step"], real_ratio=cfg["real_ratio"],
        model_train_every=cfg["model_train_every"],
        train=replace(mbpo.MBPO_MODEL_TRAIN, steps=cfg["model_train_steps"]),
        ensemble_size=cfg["ensemble_size"], n_elites=cfg["n_elites"],
        eval_every=cfg["eval_every"],
        eval_episodes=cfg["eval_episodes"], sac=learner),
    "sac_g": replace(learner, total_steps=cfg["sac_steps"],
                     updates_per_step=cfg["updates_per_step"]),
    "sac_g1": replace(learner, total_steps=cfg["sac_steps"], updates_per_step=1),
}


if __name__ == "__main__":
    t0 = time.time()
    arms = tuple(ARMS)
    sweep = run_sweep(run, ARMS, range(cfg["seeds"]), name="ch07_mbpo_mujoco")
    total = time.time() - t0
    runs = arm_curves({arm: sweep.per_seed(arm) for arm in arms})
    N, M, G = cfg["sac_steps"], cfg["mbpo_steps"], cfg["updates_per_step"]
    third = N // 3 - (N // 3) % cfg["eval_every"]  # the last evaluation <= N/3
    sps = {a: float(np.mean([runs.run_seconds[f"{a}_seed{s}"]
                             for s in range(cfg["seeds"])]) / (M if a == "mbpo" else N))
           for a in arms}
    targets = [
        runs.gap("mbpo_third_minus_sac_g_final", f"MBPO's return at {third} real "
                 f"steps minus G-matched SAC's (G={G}) at {N}, paired by seed (the "
                 "paper's claim: > 0)", ("mbpo", third), ("sac_g", N)),
        runs.gap("mbpo_minus_sac_g_same_steps", f"MBPO minus G-matched SAC at {M} "
                 "real steps, paired by seed (> 0: the model helps at equal "
                 "updates)", ("mbpo", M), ("sac_g", M)),
        runs.gap("mbpo_minus_sac_g1_same_steps", f"MBPO minus SAC at G=1 at {M} "
                 "real steps, paired by seed (the old, confounded comparison)",
                 ("mbpo", M), ("sac_g1", M)),
    ]
    write_results(
        "ch07_mbpo_mujoco", config=cfg, targets=targets, seconds=total,
        results_dir=out_dir,
        extra={"curves": runs.curves, "run_seconds": runs.run_seconds,
               "seconds_per_real_step": sps})
