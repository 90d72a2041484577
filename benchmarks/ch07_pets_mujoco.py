"""Chapter 7.2: the PETS paper's model ablation on a MuJoCo task.

Chua et al. (2018) compare model families under the same planner: PE (an
ensemble of probabilistic nets) with trajectory sampling TS-inf and TS-1,
P (one probabilistic net), DE (an ensemble of deterministic nets) and D (one
deterministic net).  Here all five run on ``env_id`` with the same CEM
budget (candidates, iterations, horizon, particles), the same number of real
episodes (the first one uniformly random), the same network size and the
same number of gradient steps per refit; the reward is the task's known
reward from :mod:`mbrl_lessons.envs.mujoco_tasks`.  Deterministic nets are
trained by squared error and propagate without noise; probabilistic ones by
the (beta-weighted) Gaussian NLL of :mod:`mbrl_lessons.algorithms.pets`.
Ensembles train each member on its own bootstrap resample; single nets on
the data as it is.

Measured per seed: every episode's return, and the number of real steps
until an episode first reaches ``threshold``.  The target: PE-TS-inf reaches
it in fewer steps than D, the 95% interval (Student t over seeds) of
D's steps minus PE-TS-inf's above 0.  Writes results/ch07_pets_mujoco.json.
"""

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

import gymnasium as gym  # noqa: E402

from mbrl_lessons.algorithms.pets import (  # noqa: E402
    EnsembleTrainConfig,
    GaussianEnsemble,
    ParticleModelEnv,
    dynamics_data,
    fit_gaussian_ensemble,
)
from mbrl_lessons.analysis.intervals import mean_ci  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.core.seeding import make_rng, torch_generator  # noqa: E402
from mbrl_lessons.envs.mujoco_tasks import MUJOCO_TASKS  # noqa: E402
from mbrl_lessons.planning import (  # noqa: E402
    CEMPlanner,
    MPCAgent,
    PlannerConfig,
    run_episode,
)

# family -> (ensemble size, probabilistic, propagation)
FAMILIES = {"pe_ts_inf": (5, True, "ts_inf"), "pe_ts1": (5, True, "ts1"),
            "p": (1, True, "ts_inf"), "de": (5, False, "ts_inf"),
            "d": (1, False, "ts_inf")}
cfg = {
    "env_id": "Reacher-v5", "seeds": budget(fast=2, full=5),
    "n_episodes": budget(fast=3, full=6), "threshold": -10.0,
    "hidden": 64, "layers": 3, "n_particles": 5,
    "planner": PlannerConfig(horizon=budget(fast=5, full=10),
                             n_candidates=budget(fast=30, full=100),
                             n_iterations=budget(fast=2, full=3), n_elites=10),
    "train": EnsembleTrainConfig(steps=budget(fast=50, full=300), batch_size=128),
    "workers": 2,
}


class DeterministicEnsemble(GaussianEnsemble):
    """The same batched nets, read as deterministic: :meth:`predict` returns
    the mean and zero variance, so particles move without noise."""

    def predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, _ = super().predict(x)
        return mean, torch.zeros_like(mean)


def fit_deterministic(model: GaussianEnsemble, x, y, tc: EnsembleTrainConfig,
                      seed: int) -> None:
    """Squared error of the mean in normalised units, each member on its own
    bootstrap resample when ``tc.bootstrap``; the same steps, batch and
    optimiser as :func:`~mbrl_lessons.algorithms.pets.fit_gaussian_ensemble`."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    model.set_normalisation(x, y)
    xn, yn = (x - model.in_mean) / model.in_std, (y - model.out_mean) / model.out_std
    gen, E, N = torch_generator(seed), model.ensemble_size, len(x)
    rows = (torch.randint(N, (E, N), generator=gen) if tc.bootstrap
            else torch.arange(N).expand(E, N))
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    for _ in range(tc.steps):
        pick = torch.randint(N, (E, min(tc.batch_size, N)), generator=gen)
        idx = torch.gather(rows, 1, pick)
        mean, _ = model.forward_normalised(xn[idx])
        loss = ((mean - yn[idx]) ** 2).mean(dim=(1, 2)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


def run(job: tuple[str, int]) -> tuple[list[float], float]:
    """One family on one seed -> (return of every episode, planning seconds
    per real action)."""
    torch.set_num_threads(1)
    family, seed = job
    E, probabilistic, prop = FAMILIES[family]
    env, rng = gym.make(cfg["env_id"]), make_rng(seed)
    reward_fn = MUJOCO_TASKS[cfg["env_id"]][0]
    low, high = env.action_space.low, env.action_space.high
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    ret, obs, acts = run_episode(env, lambda o: rng.uniform(low, high), seed * 1000)
    steps, returns, times = [(obs[:-1], acts, obs[1:])], [ret], []
    cls = GaussianEnsemble if probabilistic else DeterministicEnsemble
    model = cls(obs_dim + act_dim, obs_dim, E, cfg["hidden"], cfg["layers"], seed=seed)
    tc = replace(cfg["train"], bootstrap=E > 1)
    for ep in range(1, cfg["n_episodes"]):
        data = [np.concatenate(part) for part in zip(*steps, strict=True)]
        x, y = dynamics_data(*data)
        if probabilistic:
            fit_gaussian_ensemble(model, x, y, tc, seed=seed + ep)
        else:
            fit_deterministic(model, x, y, tc, seed=seed + ep)
        # ParticleModelEnv scores reward_fn(obs, act, next_obs) on each particle's
        # predicted step itself (the MuJoCo rewards charge the state after it)
        particles = ParticleModelEnv(model, reward_fn, cfg["n_particles"], prop,
                                     seed=seed * 1000 + ep)
        agent = MPCAgent(CEMPlanner(particles, low, high, cfg["planner"],
                                    seed=seed + ep))

        def act(o, agent=agent):
            t0 = time.perf_counter()
            a = agent.act(o)
            times.append(time.perf_counter() - t0)
            return a

        ret, obs, acts = run_episode(env, act, seed * 1000 + ep)
        steps.append((obs[:-1], acts, obs[1:]))
        returns.append(ret)
    print(f"{family} seed {seed}: {np.round(returns, 1).tolist()}", flush=True)
    return returns, float(np.mean(times))


def steps_to(returns: list[float], threshold: float, ep_len: int) -> int:
    """Real steps (episodes x length) until an episode first reaches
    ``threshold``; one episode past the budget if none does (censored)."""
    hit = [i for i, r in enumerate(returns) if r >= threshold]
    return ((hit[0] if hit else len(returns)) + 1) * ep_len


if __name__ == "__main__":
    t0 = time.time()
    jobs = [(f, s) for s in range(cfg["seeds"]) for f in FAMILIES]
    with ProcessPoolExecutor(max_workers=cfg["workers"]) as pool:
        outs = dict(zip(jobs, pool.map(run, jobs), strict=True))
    ep_len = gym.make(cfg["env_id"]).spec.max_episode_steps
    seeds = range(cfg["seeds"])
    returns = {f: [outs[(f, s)][0] for s in seeds] for f in FAMILIES}
    to_thr = {f: [steps_to(r, cfg["threshold"], ep_len) for r in returns[f]]
              for f in FAMILIES}
    later = {f: [float(np.mean(r[1:])) for r in returns[f]] for f in FAMILIES}
    ci = {f"steps_{f}": mean_ci(to_thr[f]) for f in FAMILIES}
    ci.update({f"mean_return_planned_{f}": mean_ci(later[f]) for f in FAMILIES})
    d_minus_pe = np.array(to_thr["d"]) - np.array(to_thr["pe_ts_inf"])
    ci["steps_d_minus_pe_ts_inf"] = mean_ci(d_minus_pe)
    ret_diff = np.array(later["pe_ts_inf"]) - np.array(later["d"])
    ci["return_pe_ts_inf_minus_d"] = mean_ci(ret_diff)
    thr = cfg["threshold"]
    targets = [
        Target("steps_d_minus_pe_ts_inf_ci_low", f"lower end of the 95% interval "
               f"of D's minus PE-TS-inf's real steps to a return >= {thr} on "
               f"{cfg['env_id']} (same seeds; > 0: PE-TS-inf faster)",
               ci["steps_d_minus_pe_ts_inf"][1], ">", 0.0),
        Target("return_pe_ts_inf_minus_d_ci_low", "lower end of the 95% interval "
               "of PE-TS-inf's minus D's mean return over the planned episodes "
               "(> 0: PE-TS-inf better)", ci["return_pe_ts_inf_minus_d"][1], ">",
               0.0),
    ]
    write_results(
        "ch07_pets_mujoco", config={**cfg, "families": FAMILIES}, targets=targets,
        seconds=time.time() - t0, results_dir=out_dir,
        extra={"returns": returns, "per_seed": {"steps_to_threshold": to_thr,
                                                "mean_return_planned": later},
               "ci95": ci, "episode_length": ep_len, "cpu_count": os.cpu_count(),
               "seconds_per_action": {f"{f}_{s}": outs[(f, s)][1]
                                      for f, s in jobs}})
