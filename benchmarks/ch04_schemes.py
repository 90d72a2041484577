"""Chapter 4: the four basic schemes on Pendulum-v1, and the planner's numbers.

Full budget: 3 seeds; 10 real episodes (2,000 steps) per scheme; the TRUE-model
MPC ceiling over 20 episodes; CEM vs random shooting at equal model calls;
the time of one CEM plan.  Writes results/ch04_schemes.json.
"""

import time
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms import (  # noqa: E402
    SchemeConfig,
    random_policy,
    v0_5,
    v1_0,
    v1_5_mpc,
    v2_0_backprop,
)
from mbrl_lessons.analysis import schemes as S  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.envs.pendulum import pendulum_reward  # noqa: E402
from mbrl_lessons.models import MLPDynamics, ModelEnv  # noqa: E402
from mbrl_lessons.planning import CEMPlanner, PlannerConfig  # noqa: E402

torch.set_num_threads(2)
seeds = list(range(budget(fast=1, full=3)))
cfg = SchemeConfig(n_episodes=budget(fast=4, full=10))
v2_cfg = SchemeConfig(n_episodes=budget(fast=4, full=10),
                      policy_steps=budget(fast=50, full=300))
ceiling_cfg = PlannerConfig(horizon=30, n_candidates=400, n_iterations=5, n_elites=40)
speed_cfg = PlannerConfig(horizon=25, n_candidates=500, n_iterations=5, n_elites=50)
t0 = time.time()

ceiling = S.mpc_returns(CEMPlanner, ceiling_cfg, budget(fast=2, full=20), seed=0)
runs = {name: [fn("Pendulum-v1", replace(c, seed=s)) for s in seeds]
        for name, fn, c in (
    ("random", random_policy, cfg), ("v0.5", v0_5, cfg), ("v1.0", v1_0, cfg),
    ("v1.5", v1_5_mpc, cfg), ("v2.0", v2_0_backprop, v2_cfg))}
finals = {k: float(np.mean([r.final_return for r in v])) for k, v in runs.items()}
v15_tail = float(np.mean([r.returns[5:10].mean() for r in runs["v1.5"]]))
mpc_cost = float(np.mean([r.seconds_per_action for r in runs["v1.5"]]))
pol_cost = float(np.mean([r.seconds_per_action for r in runs["v2.0"]]))
cem_rs = S.cem_vs_random_shooting(budgets=((50, 2), (100, 4), (200, 5)), horizon=30,
                                  n_episodes=budget(fast=1, full=3))
plan_ms_by_width = {h: S.plan_time_ms(ModelEnv(MLPDynamics(3, 1, hidden=h),
                                                pendulum_reward), speed_cfg)
                    for h in (64, cfg.hidden, 200)}
plan_ms = plan_ms_by_width[cfg.hidden]
seconds = time.time() - t0

targets = [
    Target("ceiling_true_model_mpc", "MPC-CEM with the TRUE dynamics (H30, 400 "
           "candidates, 5 iterations): mean return", float(np.mean(ceiling)), ">=",
           -150),
    Target("v1_5_mean_return_episodes_6_10", "v1.5 MPC-CEM with a learned MLP: mean "
           "return over episodes 6-10 (<= 2,000 real steps), mean over seeds",
           v15_tail, ">=", -220),
    Target("v1_5_minus_v0_5", "final return v1.5 - v0.5 (same data budget)",
           finals["v1.5"] - finals["v0.5"], ">=", 100),
    Target("v1_5_minus_v1_0", "final return v1.5 - v1.0 (same data budget)",
           finals["v1.5"] - finals["v1.0"], ">=", 100),
    Target("v2_0_final_return", f"v2.0 policy trained only in the model, "
           f"{v2_cfg.n_episodes * 200} real steps: mean return", finals["v2.0"], ">=",
           -400),
    Target("mpc_vs_policy_action_cost_ratio", "seconds per action: MPC / policy",
           mpc_cost / pol_cost, ">=", 100),
    Target("cem_minus_random_shooting_at_equal_calls", "MPC return with CEM minus "
           "with random shooting, TRUE model, H30, smallest budget (3,000 calls)",
           cem_rs["cem"][0] - cem_rs["random_shooting"][0], ">=", 0),
    Target("cem_plan_ms", f"one CEM plan: 500 candidates, H25, 5 iterations, "
           f"2x{cfg.hidden} MLP (the model the schemes use), 2 threads (median ms)",
           plan_ms, "<=", 50),
]
write_results("ch04_schemes", config={"scheme": cfg, "v2": v2_cfg, "seeds": seeds,
                                      "ceiling_planner": ceiling_cfg,
                                      "speed_planner": speed_cfg},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"returns": {k: [r.returns for r in v] for k, v in runs.items()},
                     "finals": finals, "ceiling_returns": ceiling,
                     "cem_vs_random_shooting": cem_rs,
                     "plan_ms_by_model_width": plan_ms_by_width,
                     "seconds_per_action": {"mpc": mpc_cost, "policy": pol_cost}})
