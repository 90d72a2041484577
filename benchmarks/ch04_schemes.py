"""Chapter 4: the four basic schemes on Pendulum-v1, and the planner's numbers.

Full budget: 5 seeds (``MBRL_LESSONS_SEEDS`` raises the count), each seed a
row of jobs of one ``mbrl_lessons.sweep`` sweep: the random baseline and
schemes v0.5, v1.0, v1.5 (MPC) and v2.0 with 10 real episodes (2,000 steps)
each; MPC-CEM with the TRUE model (the ceiling, 4 episodes per seed, from the
same start states as the schemes' first four episodes); and CEM against
random shooting at equal model calls (TRUE model, 2 episodes per seed and
budget).  Seed ``s`` of every job shares its episode starts
(``stream_seed(s, "episode", ep)``), so the comparisons are paired by seed.
Every comparative target is a statistic over the seeds with a 95% bootstrap
interval and is met only if the interval clears the threshold.  The time of
one CEM plan is measured once, after the sweep, with one torch thread, in
CPU time.
Writes results/ch04_schemes.json.
"""

import time
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms import SchemeConfig  # noqa: E402
from mbrl_lessons.analysis import schemes as S  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.envs.pendulum import pendulum_reward  # noqa: E402
from mbrl_lessons.models import MLPDynamics, ModelEnv, TrainConfig  # noqa: E402
from mbrl_lessons.planning import CEMPlanner, PlannerConfig  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=5, fast=2)
SCHEMES = ("random", "v0.5", "v1.0", "v1.5", "v2.0")
# FAST shrinks the planners and the training so the whole sweep stays short
cfg = SchemeConfig(
    n_episodes=budget(fast=4, full=10),
    planner=budget(fast=PlannerConfig(horizon=15, n_candidates=100, n_iterations=3,
                                      n_elites=10), full=PlannerConfig()),
    open_loop_planner=budget(
        fast=PlannerConfig(horizon=200, n_candidates=100, n_iterations=3,
                           n_elites=10),
        full=PlannerConfig(horizon=200, n_candidates=500, n_iterations=8,
                           n_elites=50)),
    train=TrainConfig(max_epochs=budget(fast=40, full=200)))
v2_cfg = replace(cfg, policy_steps=budget(fast=30, full=300))
ceiling_cfg = budget(fast=PlannerConfig(horizon=20, n_candidates=100, n_iterations=3,
                                        n_elites=10),
                     full=PlannerConfig(horizon=30, n_candidates=400, n_iterations=5,
                                        n_elites=40))
CEILING_EPISODES = budget(fast=1, full=4)
CEM_RS_BUDGETS = budget(fast=((20, 2), (50, 2)), full=((50, 2), (100, 4), (200, 5)))
speed_cfg = PlannerConfig(horizon=25, n_candidates=500, n_iterations=5, n_elites=50)

JOBS = {name: {"job": name, "scheme": v2_cfg if name == "v2.0" else cfg}
        for name in SCHEMES}
JOBS["ceiling"] = {"job": "ceiling", "planner": ceiling_cfg,
                   "n_episodes": CEILING_EPISODES}
JOBS["cem_vs_rs"] = {"job": "cem_vs_rs", "budgets": CEM_RS_BUDGETS, "horizon": 30,
                     "n_episodes": budget(fast=1, full=2)}


def one_job(job: dict, seed: int) -> dict:
    """One scheme, the true-model ceiling, or the planner comparison, one seed."""
    import torch

    from mbrl_lessons.algorithms import (
        random_policy,
        v0_5,
        v1_0,
        v1_5_mpc,
        v2_0_backprop,
    )
    from mbrl_lessons.analysis import schemes as S

    torch.set_num_threads(1)
    kind = job["job"]
    if kind == "ceiling":
        return {"returns": S.mpc_returns(CEMPlanner, job["planner"],
                                         job["n_episodes"], seed=seed)}
    if kind == "cem_vs_rs":
        return S.cem_vs_random_shooting(budgets=job["budgets"],
                                        horizon=job["horizon"],
                                        n_episodes=job["n_episodes"], seed=seed)
    fn = {"random": random_policy, "v0.5": v0_5, "v1.0": v1_0, "v1.5": v1_5_mpc,
          "v2.0": v2_0_backprop}[kind]
    r = fn("Pendulum-v1", replace(job["scheme"], seed=seed))
    return {"returns": r.returns, "final": r.final_return,
            "seconds_per_action": r.seconds_per_action,
            "eval_returns": r.eval_returns}


t0 = time.time()
sweep = run_sweep(one_job, JOBS, range(N_SEEDS), name="ch04_schemes")
runs = {name: sweep.per_seed(name) for name in SCHEMES}
final = {k: np.array([r["final"] for r in v]) for k, v in runs.items()}
curves = {k: np.array([r["returns"] for r in v]) for k, v in runs.items()}
# episodes 6-10 at the full budget (FAST: the last half of its 4 episodes)
tail = slice(5, 10) if cfg.n_episodes >= 10 else slice(cfg.n_episodes // 2, None)
v15_tail = curves["v1.5"][:, tail].mean(1)
ceiling = np.array(sweep.per_seed("ceiling", "returns"))  # [seeds, episodes]
cem_rs_runs = sweep.per_seed("cem_vs_rs")
cem_rs = {"model_calls_per_step": cem_rs_runs[0]["model_calls_per_step"],
          "cem": np.mean([r["cem"] for r in cem_rs_runs], 0).tolist(),
          "random_shooting": np.mean([r["random_shooting"] for r in cem_rs_runs],
                                     0).tolist(),
          "cem_per_seed": [r["cem"] for r in cem_rs_runs],
          "random_shooting_per_seed": [r["random_shooting"] for r in cem_rs_runs],
          "n_episodes_per_seed": JOBS["cem_vs_rs"]["n_episodes"]}
cost = {k: np.array([r["seconds_per_action"] for r in runs[k]])
        for k in ("v1.5", "v2.0")}
sweep_seconds = time.time() - t0

# the cost of one plan, measured here with one thread, in CPU time (process
# time), which other jobs sharing the machine do not inflate as they do the
# wall clock
torch.set_num_threads(1)
plan_ms_by_width = {h: S.plan_time_ms(ModelEnv(MLPDynamics(3, 1, hidden=h),
                                               pendulum_reward), speed_cfg,
                                      clock=time.process_time)
                    for h in (64, cfg.hidden, 200)}
plan_ms = plan_ms_by_width[cfg.hidden]
seconds = time.time() - t0
n_steps = cfg.n_episodes * 200

targets = [
    Target.over_seeds(
        "ceiling_true_model_mpc",
        f"MPC-CEM with the TRUE dynamics (H{ceiling_cfg.horizon}, "
        f"{ceiling_cfg.n_candidates} candidates, {ceiling_cfg.n_iterations} "
        f"iterations): mean return of {CEILING_EPISODES} episodes per seed",
        ceiling.mean(1), ">=", -150),
    Target.over_seeds(
        "v1_5_mean_return_episodes_6_10",
        f"v1.5 MPC-CEM with a learned MLP: mean return over episodes 6-10 "
        f"(<= {n_steps:,} real steps)", v15_tail, ">=", -220),
    Target.over_seeds(
        "v1_5_minus_v0_5", "final return v1.5 - v0.5 (same data budget, paired "
        "by seed)", {"v1.5": final["v1.5"], "v0.5": final["v0.5"]}, ">=", 100,
        statistic="mean_difference"),
    Target.over_seeds(
        "v1_5_minus_v1_0", "final return v1.5 - v1.0 (same data budget, paired "
        "by seed)", {"v1.5": final["v1.5"], "v1.0": final["v1.0"]}, ">=", 100,
        statistic="mean_difference"),
    Target.over_seeds(
        "v2_0_final_return", f"v2.0 policy trained only in the model, "
        f"{n_steps:,} real steps: mean return of its 3 final episodes",
        final["v2.0"], ">=", -400),
    Target.over_seeds(
        "mpc_vs_policy_action_cost_ratio", "seconds per action: MPC (v1.5) / "
        "v2.0's policy network, one thread, on a shared machine",
        {"mpc": cost["v1.5"], "policy": cost["v2.0"]}, ">=", 100,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "cem_minus_random_shooting_at_equal_calls",
        f"MPC return with CEM minus with random shooting, TRUE model, H30, "
        f"smallest budget ({cem_rs['model_calls_per_step'][0]:,} calls per step)",
        {"cem": [r[0] for r in cem_rs["cem_per_seed"]],
         "random shooting": [r[0] for r in cem_rs["random_shooting_per_seed"]]},
        ">=", 0, statistic="mean_difference"),
    Target("cem_plan_ms", f"one CEM plan: 500 candidates, H25, 5 iterations, "
           f"2x{cfg.hidden} MLP (the model the schemes use), 1 thread (median ms of "
           f"CPU time)", plan_ms, "<=", 50),
]
write_results(
    "ch04_schemes",
    config={"scheme": cfg, "v2": v2_cfg, "n_seeds": N_SEEDS,
            "seeds": list(range(N_SEEDS)), "ceiling_planner": ceiling_cfg,
            "ceiling_episodes_per_seed": CEILING_EPISODES,
            "cem_vs_random_shooting_budgets": CEM_RS_BUDGETS,
            "speed_planner": speed_cfg},
    targets=targets, seconds=seconds, results_dir=out_dir,
    extra={"returns": {k: v.tolist() for k, v in curves.items()},
           "finals": {k: float(v.mean()) for k, v in final.items()},
           "finals_per_seed": {k: v.tolist() for k, v in final.items()},
           "eval_returns": {k: [r["eval_returns"] for r in runs[k]]
                            for k in ("v0.5", "v2.0")},
           "ceiling_returns": ceiling.ravel().tolist(),
           "ceiling_returns_per_seed": ceiling.tolist(),
           "cem_vs_random_shooting": cem_rs,
           "plan_ms_by_model_width": plan_ms_by_width,
           "seconds_per_action": {"mpc": float(cost["v1.5"].mean()),
                                  "policy": float(cost["v2.0"].mean())},
           "sweep_seconds": sweep_seconds})
