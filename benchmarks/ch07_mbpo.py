"""Chapter 7.3: MBPO against SAC alone on Pendulum-v1, and the rollout length k.

MBPO (k = 5, G = 5 SAC updates per real step) for 3,000 real steps and plain
SAC with the same learner settings for 5,000, at G = 1 and at MBPO's G = 5
(the G-matched baseline: MBPO's learner fed real data only), eight seeds
each; then
k = 1 and k = 20 for 1,500 steps on the same eight seeds (k = 5 comes from the
main runs, whose first 1,500 steps are the same computation).  The outcome of
a run is close to all or nothing (swung up, or not yet), so the ablation also
counts the runs of each k that clear the task's bar of -250 at 1,500 steps.  The model's
drift from the true pendulum along a rollout is measured for every final
model.  Every (variant, seed) is one job of an ``mbrl_lessons.sweep`` sweep
(Ray; cached, resumable; ``MBRL_LESSONS_SEEDS`` raises the count); every
comparison is paired by seed.  Writes results/ch07_mbpo.json.
"""

import time
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

import gymnasium as gym  # noqa: E402

from mbrl_lessons.algorithms import mbpo, sac  # noqa: E402
from mbrl_lessons.analysis.modern import arm_curves, branch_drift  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.core.seeding import (  # noqa: E402
    stream_rng,
    stream_seed,
    torch_generator,
)
from mbrl_lessons.envs.pendulum import pendulum_step  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=8, fast=2)  # the k-ablation counts runs: 8 seeds
cfg = {
    "seeds": N_SEEDS, "mbpo_steps": budget(fast=500, full=3000),
    "sac_steps": budget(fast=750, full=5000), "updates_per_step": 5,
    "main_k": 5, "ablation_ks": [1, 20], "ablation_seeds": N_SEEDS,
    "ablation_steps": budget(fast=500, full=1500),
    "eval_every": budget(fast=250, full=500),
    "eval_episodes": 5, "sac_hidden": 64, "sac_lr": 3e-4, "real_ratio": 0.05,
    "model_train_every": 250, "ensemble_size": 7, "n_elites": 5,
    "error_horizon": 20, "error_starts": 500,
}
learner = sac.SACConfig(hidden=cfg["sac_hidden"], lr=cfg["sac_lr"],
                        eval_every=cfg["eval_every"],
                        eval_episodes=cfg["eval_episodes"])


def mbpo_cfg(k: int, steps: int, seed: int) -> mbpo.MBPOConfig:
    return mbpo.MBPOConfig(total_steps=steps, rollout_length=k,
                           updates_per_step=cfg["updates_per_step"],
                           real_ratio=cfg["real_ratio"],
                           model_train_every=cfg["model_train_every"],
                           ensemble_size=cfg["ensemble_size"], n_elites=cfg["n_elites"],
                           eval_every=cfg["eval_every"],
                           eval_episodes=cfg["eval_episodes"], seed=seed, sac=learner)


def drift(res: mbpo.MBPOResult, seed: int) -> list[float]:
    """Model-vs-truth distance after h = 1..H steps from real buffer states."""
    rng = stream_rng(seed, "drift")
    gen = torch_generator(stream_seed(seed, "drift"))
    start = torch.as_tensor(res.real_buffer.sample(cfg["error_starts"], rng).obs)
    err = branch_drift(res.model, lambda o: res.agent.actor(o, gen)[0], start,
                        cfg["error_horizon"], pendulum_step, gen)
    return err.tolist()


def mbpo_seed(c: mbpo.MBPOConfig, seed: int) -> dict:
    """One MBPO run: its evaluation curve and its final model's drift."""
    res = mbpo.train(gym.make("Pendulum-v1"), replace(c, seed=seed))
    return {"steps": res.eval_steps, "returns": res.eval_returns,
            "drift": drift(res, seed), "seconds": res.seconds}


def sac_seed(c: sac.SACConfig, seed: int) -> dict:
    """One run of SAC alone."""
    res = sac.train(gym.make("Pendulum-v1"), replace(c, seed=seed))
    return {"steps": res.eval_steps, "returns": res.eval_returns,
            "seconds": res.seconds}


t0 = time.time()
variants = {"mbpo_k5": mbpo_cfg(cfg["main_k"], cfg["mbpo_steps"], 0)}
variants.update({f"mbpo_k{k}": mbpo_cfg(k, cfg["ablation_steps"], 0)
                 for k in cfg["ablation_ks"]})
mbpo_runs = run_sweep(mbpo_seed, variants, range(N_SEEDS), name="ch07_mbpo")
sac_runs = run_sweep(sac_seed, {
    "sac": replace(learner, total_steps=cfg["sac_steps"]),
    # the G-matched arm: MBPO's learner and update ratio, real data only
    "sac_g5": replace(learner, total_steps=cfg["sac_steps"],
                      updates_per_step=cfg["updates_per_step"])},
    range(N_SEEDS), name="ch07_mbpo_sac")
total = time.time() - t0
runs = {name: mbpo_runs.per_seed(name) for name in variants}
runs["sac"] = sac_runs.per_seed("sac")
runs["sac_g5"] = sac_runs.per_seed("sac_g5")
arms = arm_curves(runs)
errors = {name: [x["drift"] for x in r] for name, r in runs.items()
          if not name.startswith("sac")}

A, H, M, S = (cfg["ablation_steps"], cfg["error_horizon"], cfg["mbpo_steps"],
              cfg["sac_steps"])
err = np.array(errors["mbpo_k5"])
BAR = -250.0  # the task's bar (mbpo_return); a run "succeeds" if it clears it
solved = {k: (arms.at(f"mbpo_k{k}", A) >= BAR).astype(float) for k in (1, 5, 20)}
targets = [
    Target.over_seeds(
        "mbpo_return", f"MBPO (k=5, G=5) mean eval return at {M} real steps (task: "
        ">= -250 within 5,000)", arms.at("mbpo_k5", M), ">=", -250),
    Target.over_seeds(
        "sac_return", f"SAC alone (G=1) mean eval return at {S} real steps: below "
        "the bar MBPO must clear", arms.at("sac", S), "<", -250),
    arms.gap("mbpo_minus_sac_same_steps", f"MBPO minus SAC return at {M} real "
             "steps, paired by seed (MBPO better)", ("mbpo_k5", M), ("sac", M)),
    arms.gap("mbpo_minus_sac_g5_same_steps", f"MBPO minus SAC at MBPO's G=5 "
             f"(its learner on real data only) at {M} real steps, paired by seed "
             "(the model adds to the update ratio)", ("mbpo_k5", M), ("sac_g5", M)),
    arms.gap("sac_g5_minus_sac_g1_same_steps", f"SAC at G=5 minus SAC at G=1 at "
             f"{M} real steps, paired by seed (what the update ratio alone buys)",
             ("sac_g5", M), ("sac", M)),
    Target.over_seeds(
        "model_error_compounds", f"final k=5 models: drift after {H} model steps "
        "over drift after 1 step (errors compound: > 1)",
        {"after_h": err[:, -1], "after_1": err[:, 0]}, ">", 1.0,
        statistic="ratio_of_means"),
    arms.gap("k5_vs_k20_return", f"return at {A} steps, k=5 minus k=20, paired by "
             "seed (the paper: very long rollouts hurt)", ("mbpo_k5", A),
             ("mbpo_k20", A), ">=", 0.0),
    arms.gap("k5_vs_k1_return", f"return at {A} steps, k=5 minus k=1, paired by "
             "seed (a few model steps add more than one)", ("mbpo_k5", A),
             ("mbpo_k1", A), ">=", 0.0),
    Target.over_seeds(
        "k5_vs_k20_solved", f"runs at or above {BAR:.0f} at {A} steps, k=5 minus "
        f"k=20, as a share of the {N_SEEDS} seeds, paired by seed (k=5 solved "
        f"{int(solved[5].sum())}, k=20 {int(solved[20].sum())})",
        {"k5": solved[5], "k20": solved[20]}, ">", 0.0,
        statistic="mean_difference"),
    Target.over_seeds(
        "k5_vs_k1_solved", f"runs at or above {BAR:.0f} at {A} steps, k=5 minus "
        f"k=1, as a share of the {N_SEEDS} seeds, paired by seed (k=1 solved "
        f"{int(solved[1].sum())})", {"k5": solved[5], "k1": solved[1]}, ">", 0.0,
        statistic="mean_difference"),
]
write_results("ch07_mbpo", config=cfg, targets=targets, seconds=total,
              results_dir=out_dir,
              extra={"curves": arms.curves, "drift": errors,
                     "run_seconds": arms.run_seconds,
                     "mbpo_final": float(arms.at("mbpo_k5", M).mean()),
                     "sac_final": float(arms.at("sac", S).mean()),
                     "sac_at_mbpo_steps": float(arms.at("sac", M).mean()),
                     "sac_g5_final": float(arms.at("sac_g5", S).mean()),
                     "sac_g5_at_mbpo_steps": float(arms.at("sac_g5", M).mean()),
                     "solved_at_ablation_steps": {f"k{k}": int(v.sum())
                                                  for k, v in solved.items()}})
