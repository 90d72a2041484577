"""MBPO against fair SAC baselines on a MuJoCo task (chapter 7.3's benchmarks).

Three arms share one SAC learner (width, learning rate, batch, warm-up):

- ``mbpo``: MBPO with G SAC updates per real step and k-step branched
  rollouts of a learned model (learned reward, known termination from
  :mod:`mbrl_lessons.envs.mujoco_tasks`, as mbrl-lib's MBPO does);
- ``sac_g``: SAC at the same G on real data only.  MBPO's learner *is*
  :class:`~mbrl_lessons.algorithms.sac.SACAgent` with the same config, so this
  arm is also "MBPO's learner fed real data only";
- ``sac_g1``: SAC at G = 1, the usual (update-count-confounded) baseline.

``benchmarks/ch07_mbpo_mujoco.py`` (InvertedDoublePendulum) and
``benchmarks/ch07_mbpo_hopper.py`` (Hopper, where SAC needs well over 10k real
steps) differ only in the settings dict passed here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from mbrl_lessons.analysis.modern import ArmCurves, arm_curves
from mbrl_lessons.core.results import Target

ARM_NAMES = ("mbpo", "sac_g", "sac_g1")


def arms(cfg: dict) -> dict[str, tuple[str, Any]]:
    """``{arm: (env_id, config)}`` for :func:`run_arm`, from a settings dict."""
    from mbrl_lessons.algorithms import mbpo, sac

    learner = sac.SACConfig(hidden=cfg["sac_hidden"], lr=cfg["sac_lr"],
                            start_steps=cfg["start_steps"],
                            eval_every=cfg["eval_every"],
                            eval_episodes=cfg["eval_episodes"])
    env_id = cfg["env_id"]
    return {
        "mbpo": (env_id, mbpo.MBPOConfig(
            total_steps=cfg["mbpo_steps"], rollout_length=cfg["rollout_length"],
            updates_per_step=cfg["updates_per_step"], real_ratio=cfg["real_ratio"],
            model_train_every=cfg["model_train_every"],
            train=replace(mbpo.MBPO_MODEL_TRAIN, steps=cfg["model_train_steps"]),
            ensemble_size=cfg["ensemble_size"], n_elites=cfg["n_elites"],
            eval_every=cfg["eval_every"], eval_episodes=cfg["eval_episodes"],
            sac=learner)),
        "sac_g": (env_id, replace(learner, total_steps=cfg["sac_steps"],
                                  updates_per_step=cfg["updates_per_step"])),
        "sac_g1": (env_id, replace(learner, total_steps=cfg["sac_steps"],
                                   updates_per_step=1)),
    }


def run_arm(job: tuple[str, Any], seed: int) -> dict:
    """One arm on one seed (a sweep job): its evaluation curve and seconds."""
    import gymnasium as gym

    from mbrl_lessons.algorithms import mbpo, sac
    from mbrl_lessons.envs.mujoco_tasks import MUJOCO_TERMINATIONS

    env_id, c = job
    env = gym.make(env_id)
    if isinstance(c, mbpo.MBPOConfig):
        res = mbpo.train(env, replace(c, seed=seed),
                         termination_fn=MUJOCO_TERMINATIONS[env_id])
    else:
        res = sac.train(env, replace(c, seed=seed))
    return {"steps": res.eval_steps, "returns": res.eval_returns,
            "seconds": res.seconds}


def report(cfg: dict, per_seed: dict[str, list[dict]]) -> tuple[list[Target], dict]:
    """The three paired targets and the ``extra`` block of the results file."""
    runs: ArmCurves = arm_curves(per_seed)
    N, M, G = cfg["sac_steps"], cfg["mbpo_steps"], cfg["updates_per_step"]
    third = N // 3 - (N // 3) % cfg["eval_every"]  # the last evaluation <= N/3
    sps = {a: float(np.mean([runs.run_seconds[f"{a}_seed{s}"]
                             for s in range(cfg["seeds"])]) / (M if a == "mbpo" else N))
           for a in ARM_NAMES}
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
    extra = {"curves": runs.curves, "run_seconds": runs.run_seconds,
             "seconds_per_real_step": sps}
    return targets, extra
