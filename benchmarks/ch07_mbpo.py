"""Chapter 7.3: MBPO against SAC alone on Pendulum-v1, and the rollout length k.

MBPO (k = 5, G = 5 SAC updates per real step) for 3,000 real steps and plain
SAC (G = 1, the same learner settings) for 5,000, three seeds each; then
k = 1 and k = 20 for 1,500 steps on two seeds (k = 5 comes from the main runs,
whose first 1,500 steps are the same computation).  The model's drift from
the true pendulum along a rollout is measured for every final model.
Writes results/ch07_mbpo.json.
"""

import time
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

import gymnasium as gym  # noqa: E402

from mbrl_lessons.algorithms import mbpo, sac  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.envs.pendulum import pendulum_step  # noqa: E402

torch.set_num_threads(1)
cfg = {
    "seeds": budget(fast=1, full=3), "mbpo_steps": budget(fast=1000, full=3000),
    "sac_steps": budget(fast=1500, full=5000), "updates_per_step": 5,
    "main_k": 5, "ablation_ks": [1, 20], "ablation_seeds": budget(fast=1, full=2),
    "ablation_steps": budget(fast=500, full=1500), "eval_every": 500,
    "eval_episodes": 5, "sac_hidden": 64, "sac_lr": 3e-4, "real_ratio": 0.05,
    "model_train_every": 250, "error_horizon": 20, "error_starts": 500,
}
learner = sac.SACConfig(hidden=cfg["sac_hidden"], lr=cfg["sac_lr"],
                        eval_every=cfg["eval_every"],
                        eval_episodes=cfg["eval_episodes"])


def mbpo_cfg(k: int, steps: int, seed: int) -> mbpo.MBPOConfig:
    return mbpo.MBPOConfig(total_steps=steps, rollout_length=k,
                           updates_per_step=cfg["updates_per_step"],
                           real_ratio=cfg["real_ratio"],
                           model_train_every=cfg["model_train_every"],
                           eval_every=cfg["eval_every"],
                           eval_episodes=cfg["eval_episodes"], seed=seed, sac=learner)


def drift(res: mbpo.MBPOResult, seed: int) -> list[float]:
    """Model-vs-truth distance after h = 1..H steps from real buffer states."""
    rng, gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    start = torch.as_tensor(res.real_buffer.sample(cfg["error_starts"], rng).obs)
    err = mbpo.rollout_error(res.model, lambda o: res.agent.actor(o, gen)[0], start,
                             cfg["error_horizon"], pendulum_step, gen)
    return err.tolist()


t0 = time.time()
env = gym.make("Pendulum-v1")
curves: dict[str, dict] = {}
errors: dict[str, list[list[float]]] = {}
seconds: dict[str, float] = {}
for name, k, steps, seeds in (
        [("mbpo_k5", cfg["main_k"], cfg["mbpo_steps"], cfg["seeds"])]
        + [(f"mbpo_k{k}", k, cfg["ablation_steps"], cfg["ablation_seeds"])
           for k in cfg["ablation_ks"]]):
    runs = []
    for s in range(seeds):
        res = mbpo.train(env, mbpo_cfg(k, steps, s), progress=True)
        runs.append(res.eval_returns)
        errors.setdefault(name, []).append(drift(res, s))
        seconds[f"{name}_seed{s}"] = res.seconds
        print(f"{name} seed {s}: {np.round(res.eval_returns).tolist()} "
              f"({res.seconds:.0f} s)", flush=True)
    curves[name] = {"steps": res.eval_steps, "returns": runs}
runs = []
for s in range(cfg["seeds"]):
    res = sac.train(env, replace(learner, seed=s, total_steps=cfg["sac_steps"]),
                    progress=True)
    runs.append(res.eval_returns)
    seconds[f"sac_seed{s}"] = res.seconds
    print(f"sac seed {s}: {np.round(res.eval_returns).tolist()} ({res.seconds:.0f} s)",
          flush=True)
curves["sac"] = {"steps": res.eval_steps, "returns": runs}
total = time.time() - t0


def at(name: str, step: int, seeds: int | None = None) -> float:
    c = curves[name]
    i = c["steps"].index(step)
    return float(np.mean([r[i] for r in c["returns"][:seeds]]))


A, H = cfg["ablation_steps"], cfg["error_horizon"]
mbpo_final = at("mbpo_k5", cfg["mbpo_steps"])
sac_final = at("sac", cfg["sac_steps"])
err5 = np.mean(errors["mbpo_k5"], axis=0)
targets = [
    Target("mbpo_return", f"MBPO (k=5, G=5) mean eval return at {cfg['mbpo_steps']} "
           "real steps (task: >= -250 within 5,000)", mbpo_final, ">=", -250),
    Target("sac_return", f"SAC alone (G=1) mean eval return at {cfg['sac_steps']} "
           "real steps: below the bar MBPO must clear", sac_final, "<", -250),
    Target("mbpo_minus_sac_same_steps", "MBPO minus SAC mean return at "
           f"{cfg['mbpo_steps']} real steps (MBPO better)",
           mbpo_final - at("sac", cfg["mbpo_steps"]), ">", 0),
    Target("model_error_compounds", f"final k=5 models: drift after {H} model steps "
           "over drift after 1 step (errors compound: > 1)", err5[-1] / err5[0], ">",
           1.0),
    Target("k5_vs_k20_return", f"mean return at {A} steps, k=5 minus k=20 (the "
           "paper: very long rollouts hurt)",
           at("mbpo_k5", A, cfg["ablation_seeds"]) - at("mbpo_k20", A), ">=", 0.0),
    Target("k5_vs_k1_return", f"mean return at {A} steps, k=5 minus k=1 (a few "
           "model steps add more than one)",
           at("mbpo_k5", A, cfg["ablation_seeds"]) - at("mbpo_k1", A), ">=", 0.0),
]
write_results("ch07_mbpo", config=cfg, targets=targets, seconds=total,
              results_dir=out_dir,
              extra={"curves": curves, "drift": errors, "run_seconds": seconds,
                     "mbpo_final": mbpo_final, "sac_final": sac_final,
                     "sac_at_mbpo_steps": at("sac", cfg["mbpo_steps"])})
