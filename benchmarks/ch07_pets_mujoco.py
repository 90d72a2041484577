"""Chapter 7.2: the PETS paper's model ablation on a MuJoCo task.

Chua et al. (2018) compare model families under the same planner: PE (an
ensemble of probabilistic nets) with trajectory sampling TS-inf and TS-1,
P (one probabilistic net), DE (an ensemble of deterministic nets) and D (one
deterministic net).  Here all five run on ``env_id`` with the same CEM
budget (candidates, iterations, horizon, particles), the same number of real
episodes (the first one uniformly random), the same network size and the
same number of gradient steps per refit; the reward is the task's known
reward from :mod:`mbrl_lessons.envs.mujoco_tasks`.  Every family is
:func:`mbrl_lessons.algorithms.pets.train` with one
:class:`~mbrl_lessons.models.ensemble.GaussianEnsemble`: deterministic nets
(``probabilistic=False``) are trained by squared error and propagate without
noise; probabilistic ones by the (beta-weighted) Gaussian NLL.  Ensembles
train each member on its own bootstrap resample; single nets on the data as
it is.

Measured per seed: every episode's return, and the number of real steps
until an episode first reaches ``threshold``.  The targets, paired by seed
with bootstrap intervals: PE-TS-inf reaches it in fewer steps than D, and
its mean return over the planned episodes is higher.  Every (family, seed)
is one job of an ``mbrl_lessons.sweep`` sweep.  Writes
results/ch07_pets_mujoco.json.
"""

import time
from dataclasses import replace

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

import gymnasium as gym  # noqa: E402

from mbrl_lessons.algorithms.pets import PETSConfig, train  # noqa: E402
from mbrl_lessons.analysis.intervals import mean_ci  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.envs.mujoco_tasks import MUJOCO_TASKS  # noqa: E402
from mbrl_lessons.models.ensemble import EnsembleTrainConfig  # noqa: E402
from mbrl_lessons.planning import PlannerConfig  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

# family -> (ensemble size, probabilistic, propagation)
FAMILIES = {"pe_ts_inf": (5, True, "ts_inf"), "pe_ts1": (5, True, "ts1"),
            "p": (1, True, "ts_inf"), "de": (5, False, "ts_inf"),
            "d": (1, False, "ts_inf")}
N_SEEDS = n_seeds(full=5, fast=2)
cfg = {
    "env_id": "Reacher-v5", "threshold": -10.0,
    "pets": PETSConfig(
        n_episodes=budget(fast=3, full=6), hidden=64, layers=3, n_particles=5,
        planner=PlannerConfig(horizon=budget(fast=5, full=10),
                              n_candidates=budget(fast=30, full=100),
                              n_iterations=budget(fast=2, full=3), n_elites=10),
        train=EnsembleTrainConfig(steps=budget(fast=50, full=300), batch_size=128)),
}


def family_config(family: str) -> PETSConfig:
    """The shared settings with the family's model and propagation."""
    E, probabilistic, prop = FAMILIES[family]
    base = cfg["pets"]
    return replace(base, ensemble_size=E, probabilistic=probabilistic,
                   propagation=prop, train=replace(base.train, bootstrap=E > 1))


def run(c: PETSConfig, seed: int) -> dict:
    """One family on one seed: the return of every episode and the planning
    seconds per real action."""
    reward_fn = MUJOCO_TASKS[cfg["env_id"]][0]
    res = train(gym.make(cfg["env_id"]), replace(c, seed=seed), reward_fn=reward_fn)
    return {"returns": res.returns, "seconds_per_action": res.seconds_per_action}


def steps_to(returns: list[float], threshold: float, ep_len: int) -> int:
    """Real steps (episodes x length) until an episode first reaches
    ``threshold``; one episode past the budget if none does (censored)."""
    hit = [i for i, r in enumerate(returns) if r >= threshold]
    return ((hit[0] if hit else len(returns)) + 1) * ep_len


if __name__ == "__main__":
    t0 = time.time()
    sweep = run_sweep(run, {f: family_config(f) for f in FAMILIES}, range(N_SEEDS),
                      name="ch07_pets_mujoco")
    ep_len = gym.make(cfg["env_id"]).spec.max_episode_steps
    returns = {f: [r["returns"] for r in sweep.per_seed(f)] for f in FAMILIES}
    to_thr = {f: [steps_to(r, cfg["threshold"], ep_len) for r in returns[f]]
              for f in FAMILIES}
    later = {f: [float(np.mean(r[1:])) for r in returns[f]] for f in FAMILIES}
    # t-intervals of each family's own numbers, for the tables of §7.2 and §7.6
    ci = {f"steps_{f}": mean_ci(to_thr[f]) for f in FAMILIES}
    ci.update({f"mean_return_planned_{f}": mean_ci(later[f]) for f in FAMILIES})
    thr = cfg["threshold"]
    targets = [
        Target.over_seeds(
            "steps_d_minus_pe_ts_inf", f"D's minus PE-TS-inf's real steps to a "
            f"return >= {thr} on {cfg['env_id']}, paired by seed (> 0: PE-TS-inf "
            f"faster; a run that never reaches it counts one episode past the "
            f"budget)", {"d": to_thr["d"], "pe_ts_inf": to_thr["pe_ts_inf"]},
            ">", 0.0, statistic="mean_difference"),
        Target.over_seeds(
            "return_pe_ts_inf_minus_d", "PE-TS-inf's minus D's mean return over the "
            "planned episodes, paired by seed (> 0: PE-TS-inf better)",
            {"pe_ts_inf": later["pe_ts_inf"], "d": later["d"]}, ">", 0.0,
            statistic="mean_difference"),
    ]
    write_results(
        "ch07_pets_mujoco",
        config={**cfg, "seeds": N_SEEDS, "n_episodes": cfg["pets"].n_episodes,
                "families": FAMILIES},
        targets=targets, seconds=time.time() - t0, results_dir=out_dir,
        extra={"returns": returns, "per_seed": {"steps_to_threshold": to_thr,
                                                "mean_return_planned": later},
               "ci95": ci, "episode_length": ep_len,
               "seconds_per_action": {f: [r["seconds_per_action"]
                                          for r in sweep.per_seed(f)]
                                      for f in FAMILIES}})
