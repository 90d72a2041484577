"""Chapter 8: the transfer and safety claims, at the full budget.

Transfer: one pendulum model learned from random-torque data; MPC with it on
two NEW tasks (as close to horizontal as the motor allows; hang tilted),
scored against MPC on the true dynamics (1) and random torques (0).  Safety:
an ensemble trained on slow states only; MPC with and without a disagreement
penalty; share of real steps outside the data's speed range.  Also times an
MPC action against a policy action.  Writes results/ch08_benefits.json.
"""

import time

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis import benefits as bf  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.models import TrainConfig  # noqa: E402
from mbrl_lessons.planning import PlannerConfig  # noqa: E402

torch.set_num_threads(1)
transfer_cfg = bf.TransferConfig(
    n_traj=budget(fast=60, full=200),
    train=TrainConfig(max_epochs=budget(fast=40, full=200)),
    planner=budget(fast=PlannerConfig(horizon=20, n_candidates=120, n_iterations=3,
                                      n_elites=12),
                   full=PlannerConfig(horizon=25, n_candidates=300, n_iterations=4,
                                      n_elites=30)),
    policy_steps=budget(fast=80, full=400),
    steps=budget(fast=100, full=200),
    n_episodes=budget(fast=1, full=2),
)
safety_cfg = bf.SafetyConfig(
    n_train=budget(fast=1500, full=3000),
    epochs=budget(fast=30, full=100),
    penalties=budget(fast=(0.0, 30.0), full=(0.0, 3.0, 10.0, 30.0)),
    steps=budget(fast=100, full=200),
    n_episodes=budget(fast=1, full=2),
)
t0 = time.time()
tr = bf.transfer_experiment(transfer_cfg, seed=0)
sa = bf.safety_experiment(safety_cfg, seed=0)

# compute per action: the transfer's MPC agent against the old-task policy
model, starts = bf.learn_pendulum_model(40, 20, train=TrainConfig(max_epochs=5))
mpc = bf.mpc_factory(model, bf.TASKS["horizontal"], transfer_cfg.planner, 0)()
policy = bf.policy_act_fn(bf.train_policy_in_model(model, bf.TASKS["horizontal"],
                                                   starts, steps=5))
obs = starts[0]
ms = {"mpc": 1e3 * bf.seconds_per_action(mpc, obs),
      "policy": 1e3 * bf.seconds_per_action(policy, obs, n_calls=200)}
seconds = time.time() - t0

new_tasks = tr.tasks[1:]
strongest = max(safety_cfg.penalties)
targets = [
    Target(f"transfer_score_{task.replace(' ', '_')}",
           f"new task '{task}', zero new data: MPC with the learned model, normalised "
           f"score (0 = random torques, 1 = MPC with the true dynamics)",
           tr.score[task]["MPC, learned model"], ">=", 0.8)
    for task in new_tasks
] + [
    Target(f"old_policy_score_{task.replace(' ', '_')}",
           f"new task '{task}': the swing-up policy used unchanged, normalised score",
           tr.score[task]["old-task policy"], "<=", 0.5)
    for task in new_tasks
] + [
    Target("safety_plain_violations",
           "plain mean-model MPC (no penalty): share of real steps with |speed| "
           f"above the data's limit of {safety_cfg.speed_limit} rad/s",
           float(np.mean(sa.violations[0.0])), ">=", 0.05),
    Target("safety_pessimistic_violations",
           f"the same with the disagreement penalty {strongest:g}",
           float(np.mean(sa.violations[strongest])), "<=", 0.01),
    Target("mpc_vs_policy_ms_ratio",
           "milliseconds per action: the transfer's MPC agent / a policy network",
           ms["mpc"] / ms["policy"], ">=", 10),
]
write_results(
    "ch08_benefits", config={"transfer": transfer_cfg, "safety": safety_cfg},
    targets=targets, seconds=seconds, results_dir=out_dir,
    extra={
        "transfer_returns": tr.returns, "transfer_scores": tr.score,
        "transfer_train_seconds": tr.train_seconds,
        "transfer_n_transitions": tr.n_transitions,
        "safety_returns": {str(k): v for k, v in sa.returns.items()},
        "safety_violations": {str(k): v for k, v in sa.violations.items()},
        "safety_u_ref": sa.u_ref,
        "ms_per_action": ms,
    },
)
