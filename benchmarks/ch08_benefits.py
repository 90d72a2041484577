"""Chapter 8: the transfer and safety claims, at the full budget.

Transfer: one pendulum model learned from random-torque data; MPC with it on
two NEW tasks (as close to horizontal as the motor allows; hang tilted),
scored against MPC on the true dynamics (1) and random torques (0).  Safety:
an ensemble trained on slow states only; MPC with and without a disagreement
penalty; share of real steps outside the data's speed range.  Five seeds of
each (every (experiment, seed) one job of an ``mbrl_lessons.sweep`` sweep;
``MBRL_LESSONS_SEEDS`` raises the count).  Also times an MPC action against a
policy action.  Writes results/ch08_benefits.json.
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
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

torch.set_num_threads(1)
N_SEEDS = n_seeds(full=5, fast=2)
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


def transfer_seed(c: bf.TransferConfig, seed: int) -> dict:
    """One transfer experiment: returns and normalised scores per task."""
    tr = bf.transfer_experiment(c, seed=seed)
    return {"tasks": tr.tasks, "returns": tr.returns, "score": tr.score,
            "train_seconds": tr.train_seconds, "n_transitions": tr.n_transitions}


def safety_seed(c: bf.SafetyConfig, seed: int) -> dict:
    """One safety experiment: returns and violations per penalty."""
    sa = bf.safety_experiment(c, seed=seed)
    return {"returns": {str(k): v for k, v in sa.returns.items()},
            "violations": {str(k): v for k, v in sa.violations.items()},
            "u_ref": sa.u_ref}


t0 = time.time()
transfer = run_sweep(transfer_seed, {"transfer": transfer_cfg}, range(N_SEEDS),
                     name="ch08_benefits_transfer").per_seed("transfer")
safety = run_sweep(safety_seed, {"safety": safety_cfg}, range(N_SEEDS),
                   name="ch08_benefits_safety").per_seed("safety")

# compute per action: the transfer's MPC agent against the old-task policy
model, starts = bf.learn_pendulum_model(40, 20, train=TrainConfig(max_epochs=5))
mpc = bf.mpc_factory(model, bf.TASKS["horizontal"], transfer_cfg.planner, 0)()
policy = bf.policy_act_fn(bf.train_policy_in_model(model, bf.TASKS["horizontal"],
                                                   starts, steps=5))
obs = starts[0]
ms = {"mpc": 1e3 * bf.seconds_per_action(mpc, obs),
      "policy": 1e3 * bf.seconds_per_action(policy, obs, n_calls=200)}
seconds = time.time() - t0

new_tasks = transfer[0]["tasks"][1:]
strongest = max(safety_cfg.penalties)


def violations(pen: float) -> np.ndarray:
    """Each seed's share of real steps outside the data's speed range."""
    return np.array([np.mean(r["violations"][str(pen)]) for r in safety])


targets = [
    Target.over_seeds(
        f"transfer_score_{task.replace(' ', '_')}",
        f"new task '{task}', zero new data: MPC with the learned model, normalised "
        f"score (0 = random torques, 1 = MPC with the true dynamics)",
        [r["score"][task]["MPC, learned model"] for r in transfer], ">=", 0.8)
    for task in new_tasks
] + [
    Target.over_seeds(
        f"old_policy_score_{task.replace(' ', '_')}",
        f"new task '{task}': the swing-up policy used unchanged, normalised score",
        [r["score"][task]["old-task policy"] for r in transfer], "<=", 0.5)
    for task in new_tasks
] + [
    Target.over_seeds(
        "safety_plain_violations",
        "plain mean-model MPC (no penalty): share of real steps with |speed| "
        f"above the data's limit of {safety_cfg.speed_limit} rad/s",
        violations(0.0), ">=", 0.05),
    Target.over_seeds(
        "safety_pessimistic_violations",
        f"the same with the disagreement penalty {strongest:g}",
        violations(strongest), "<=", 0.01),
    Target("mpc_vs_policy_ms_ratio",
           "milliseconds per action: the transfer's MPC agent / a policy network",
           ms["mpc"] / ms["policy"], ">=", 10),
]
write_results(
    "ch08_benefits", config={"transfer": transfer_cfg, "safety": safety_cfg},
    targets=targets, seconds=seconds, results_dir=out_dir,
    extra={
        "seeds": N_SEEDS,
        "transfer_returns": [r["returns"] for r in transfer],
        "transfer_scores": [r["score"] for r in transfer],
        "transfer_train_seconds": [r["train_seconds"] for r in transfer],
        "transfer_n_transitions": transfer[0]["n_transitions"],
        "safety_returns": [r["returns"] for r in safety],
        "safety_violations": [r["violations"] for r in safety],
        "safety_u_ref": [r["u_ref"] for r in safety],
        "ms_per_action": ms,
    },
)
