"""Chapter 7: our SAC against stable-baselines3's SAC, the external reference.

stable-baselines3 (Raffin et al. 2021; a benchmark-only dependency) runs SAC on
two tasks at the settings of two benchmarks' SAC arms (G = 1 and MBPO's G):
``benchmarks/ch07_mbpo_mujoco.py`` (InvertedDoublePendulum) and
``benchmarks/ch07_mbpo_hopper.py`` (Hopper): the same real steps, two hidden
layers of the same width with ReLU, learning rate, batch, buffer, warm-up of
uniformly random actions, Polyak rate, discount, initial temperature 0.2
learned towards an entropy of ``-|A|``.  It is scored exactly as ours: the
deterministic policy, ``eval_episodes`` episodes from the same start seeds as
``sac.evaluate`` (``stream_seed(seed, "eval", i)``) every ``eval_every``
steps.  Our SAC's
per-seed returns are read from those benchmarks' results files (the same code
and settings; run them first, at the same budget).

Checked, for each G: our SAC's mean return at the last step is at least 80 %
of SB3's (a non-inferiority margin: our baseline is not the weaker one), met
only if the 95 % bootstrap interval of the ratio of means lies above 0.8.  The
two implementations draw different random numbers, so seed ``i`` of one is
not matched to seed ``i`` of the other; resampling them in pairs is only
bookkeeping.  Every (G, seed) SB3 run is one job of an ``mbrl_lessons.sweep``
sweep (cached, resumable).  Writes results/ch07_sac_reference.json.
"""

import time

import torch

from mbrl_lessons.core.results import Target, benchmark_cli, load_results, write_results

out_dir, fast = benchmark_cli(__doc__)

import gymnasium as gym  # noqa: E402

from mbrl_lessons.analysis.modern import arm_curves  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.core.results import bootstrap_ci  # noqa: E402
from mbrl_lessons.core.seeding import stream_seed  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

# the settings of the SAC arms of two benchmarks (checked against their
# results files below): InvertedDoublePendulum (ch07_mbpo_mujoco) and Hopper
# (ch07_mbpo_hopper).  The IDP arms keep their old names; Hopper's are prefixed.
COMMON = {"updates_per_step": 5, "eval_episodes": 5, "sac_hidden": 64,
          "sac_lr": 3e-4, "batch_size": 256, "tau": 0.005, "gamma": 0.99,
          "init_alpha": 0.2}
TASKS = {
    "": {"from": "ch07_mbpo_mujoco", "env_id": "InvertedDoublePendulum-v5",
         "sac_steps": budget(fast=1000, full=3000),
         "eval_every": budget(fast=200, full=250), "start_steps": 250},
    "hopper_": {"from": "ch07_mbpo_hopper", "env_id": "Hopper-v5",
                "sac_steps": budget(fast=1000, full=18000),
                "eval_every": budget(fast=200, full=1000),
                "start_steps": budget(fast=250, full=1000)},
}
cfg = {"seeds": n_seeds(full=5, fast=2), "margin": 0.8, **COMMON,
       "tasks": {prefix.rstrip("_") or "idp": task for prefix, task in TASKS.items()}}


def evaluate(env, model, episodes: int, seed: int) -> float:
    """Mean return of the deterministic policy, from ``sac.evaluate``'s starts."""
    total = 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=stream_seed(seed, "eval", i))
        done = False
        while not done:
            act, _ = model.predict(obs, deterministic=True)
            obs, r, term, trunc, _ = env.step(act)
            total += float(r)
            done = term or trunc
    return total / episodes


def run_sb3(job: dict, seed: int) -> dict:
    """SB3 SAC with ``job["g"]`` updates per real step on one seed."""
    torch.set_num_threads(1)
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import Logger

    env, eval_env = gym.make(job["env_id"]), gym.make(job["env_id"])
    steps, returns = [], []

    class Eval(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % job["eval_every"] == 0:
                steps.append(self.num_timesteps)
                returns.append(evaluate(eval_env, self.model, job["eval_episodes"],
                                        seed))
            return True

    t0 = time.time()
    model = SAC("MlpPolicy", env, learning_rate=job["sac_lr"],
                buffer_size=job["sac_steps"], learning_starts=job["start_steps"],
                batch_size=job["batch_size"], tau=job["tau"], gamma=job["gamma"],
                train_freq=1, gradient_steps=job["g"],
                ent_coef=f"auto_{job['init_alpha']}", target_entropy="auto",
                policy_kwargs={"net_arch": [job["sac_hidden"]] * 2},
                seed=stream_seed(seed, "sb3"), device="cpu")
    # a logger with no outputs: SB3's default makes an empty /tmp/SB3-<time>
    # folder for every run even with verbose=0
    model.set_logger(Logger(folder=None, output_formats=[]))
    model.learn(job["sac_steps"], callback=Eval())
    return {"steps": steps, "returns": returns, "seconds": time.time() - t0}


def compare(prefix: str, task: dict, sweep) -> tuple[list, dict, dict]:
    """The targets, intervals and SB3 curves of one task (arm names prefixed)."""
    ours_payload = load_results(task["from"], out_dir)
    if ours_payload is None:
        raise SystemExit(f"no {task['from']}.json in {out_dir}: run "
                         f"benchmarks/{task['from']}.py (same budget) first")
    settings = {**COMMON, **task}
    differ = {k: (v, ours_payload["config"].get(k)) for k, v in settings.items()
              if k in ours_payload["config"] and ours_payload["config"][k] != v}
    if differ:
        raise SystemExit(f"settings differ from {task['from']}.json: {differ}")
    G, N = COMMON["updates_per_step"], task["sac_steps"]
    theirs = arm_curves({f"{prefix}sb3_g{g}": sweep.per_seed(f"{prefix}sb3_g{g}")
                         for g in (G, 1)})
    ours = arm_curves({arm: [{"steps": c["steps"], "returns": r, "seconds": 0.0}
                             for r in c["returns"]]
                       for arm, c in ours_payload["extra"]["curves"].items()})
    targets, ci = [], {}
    for g, arm in ((G, "sac_g"), (1, "sac_g1")):
        mine, sb3 = ours.at(arm, N), theirs.at(f"{prefix}sb3_g{g}", N)
        if len(mine) != len(sb3):
            raise SystemExit(f"{len(mine)} seeds of ours against {len(sb3)} of SB3")
        ci[f"{prefix}ours_g{g}"] = [float(mine.mean()), *bootstrap_ci([mine])]
        ci[f"{prefix}sb3_g{g}"] = [float(sb3.mean()), *bootstrap_ci([sb3])]
        targets.append(Target.over_seeds(
            f"{prefix}ours_over_sb3_g{g}", f"our SAC's mean return at {N} real "
            f"steps over SB3 SAC's (G={g}), {task['env_id']} (>= {cfg['margin']}: "
            "ours is not the weaker baseline)", {"ours": mine, "sb3": sb3}, ">=",
            cfg["margin"], statistic="ratio_of_means"))
    ours_from = {"file": f"{task['from']}.json", "commit": ours_payload["commit"]}
    return targets, ci, {"curves": theirs.curves, "ours_from": ours_from,
                         "sb3_seconds": theirs.run_seconds}


if __name__ == "__main__":
    t0 = time.time()
    G = COMMON["updates_per_step"]
    jobs = {f"{prefix}sb3_g{g}": {**COMMON, **task, "g": g}
            for prefix, task in TASKS.items() for g in (G, 1)}
    sweep = run_sweep(run_sb3, jobs, range(cfg["seeds"]), name="ch07_sac_reference")
    targets, extra = [], {"curves": {}, "ci95": {}, "ours_from": {},
                          "sb3_seconds": {}}
    for prefix, task in TASKS.items():
        t, ci, rest = compare(prefix, task, sweep)
        targets += t
        extra["ci95"].update(ci)
        extra["curves"].update(rest["curves"])
        extra["sb3_seconds"].update(rest["sb3_seconds"])
        extra["ours_from"][task["env_id"]] = rest["ours_from"]
    write_results("ch07_sac_reference", config=cfg, targets=targets,
                  seconds=time.time() - t0, results_dir=out_dir, extra=extra)
