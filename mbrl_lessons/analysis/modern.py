"""Chapter 7's figures and experiments around the complete algorithms (kept
out of the algorithm modules so each of those reads as the algorithm alone).

- :func:`particle_fan` / :func:`fans_by_data`: how PETS's particles spread
  along a fixed action sequence, and how the spread shrinks with data (§7.2).
- :func:`pets_evaluate`: a trained PETS ensemble planning from given start
  states without collecting more data (PETS against SAC's evaluation
  episodes on a MuJoCo task, §7.2).
- :func:`branch_drift`: how far MBPO's branched rollouts drift from the true
  dynamics, step by step (§7.3).
- :func:`arm_curves` / :class:`ArmCurves`: the evaluation curves of a sweep's
  arms over seeds, and paired-by-seed comparisons of two arms as targets (the
  MBPO and SAC benchmarks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from mbrl_lessons.algorithms.mbpo import branched_rollout
from mbrl_lessons.algorithms.pets import (
    ParticleModelEnv,
    PETSConfig,
    PETSResult,
    dynamics_data,
    make_ensemble,
)
from mbrl_lessons.core.results import Target
from mbrl_lessons.core.seeding import stream_seed
from mbrl_lessons.envs.pendulum import pendulum_reward
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.planning import CEMPlanner, MPCAgent, run_episode


@torch.no_grad()
def particle_fan(model: GaussianEnsemble, obs0, actions, n_particles: int = 20,
                 propagation: str = "ts_inf", seed: int = 0) -> np.ndarray:
    """Predicted pendulum angles ``[P, H + 1]`` of ``n_particles`` particles
    following one action sequence ``actions [H, A]`` from ``obs0 [O]`` (the
    picture of how far the ensemble's predictions spread)."""
    actions = torch.as_tensor(np.asarray(actions), dtype=torch.float32)
    if actions.ndim != 2:
        raise ValueError(f"actions must be one sequence [H, A], got "
                         f"{tuple(actions.shape)}")
    env = ParticleModelEnv(model, pendulum_reward, n_particles, propagation, seed)
    traj = env.rollout(torch.as_tensor(obs0, dtype=torch.float32), actions[None]).obs[0]
    return torch.atan2(traj[..., 1], traj[..., 0]).numpy()


class Fans(NamedTuple):
    episodes: list[int]     # episodes of data each ensemble was trained on
    angles: np.ndarray      # [K, P, H + 1] predicted angles per particle
    true_angles: np.ndarray  # [H + 1] what the real pendulum did
    spread: np.ndarray      # [K] std over particles of the final angle (rad)
    disagreement: np.ndarray  # [K] members' one-step std of the change of
    #                           th_dot, averaged over the held-out episode


def fans_by_data(result: PETSResult, cfg: PETSConfig, episodes, horizon: int = 50,
                 n_particles: int = 20, episode_len: int = 200, seed: int = 0,
                 train_cfg: EnsembleTrainConfig | None = None) -> Fans:
    """Refit an ensemble on the first ``k`` episodes of ``result.data`` for each
    ``k`` in ``episodes`` and fan particles out along the first ``horizon`` real
    actions of the LAST episode (held out unless ``k`` covers it).
    ``train_cfg`` overrides ``cfg.train`` (each fit starts from scratch)."""
    train_cfg = train_cfg or cfg.train
    obs, act, next_obs = result.data
    if max(episodes) * episode_len > len(obs) or min(episodes) < 1:
        raise ValueError(f"episodes must lie in 1..{len(obs) // episode_len}, got "
                         f"{list(episodes)}")
    start = len(obs) - episode_len
    seq, true = act[start:start + horizon], obs[start:start + horizon + 1]
    held_x = torch.as_tensor(dynamics_data(obs[start:], act[start:],
                                           next_obs[start:])[0], dtype=torch.float32)
    angles, disagreement = [], []
    for k in episodes:
        n = k * episode_len
        # named streams: each k's initial weights and fit draws of their own, one
        # particle stream shared by every k (its fans differ by the model only)
        model = make_ensemble(obs.shape[1], act.shape[1], cfg,
                              stream_seed(seed, "init", k))
        fit_ensemble(model, *dynamics_data(obs[:n], act[:n], next_obs[:n]),
                     train_cfg, seed=stream_seed(seed, "fit", k))
        angles.append(particle_fan(model, obs[start], seq, n_particles, "ts_inf",
                                   seed=stream_seed(seed, "particles")))
        with torch.no_grad():
            mean, _ = model.predict(held_x.expand(model.ensemble_size, -1, -1))
        disagreement.append(float(mean[..., 2].std(0).mean()))
    angles = np.stack(angles)
    final = np.unwrap(angles, axis=-1)[..., -1]
    return Fans(list(episodes), angles, np.arctan2(true[:, 1], true[:, 0]),
                final.std(-1), np.array(disagreement))


def pets_evaluate(env, model: GaussianEnsemble, cfg: PETSConfig, reward_fn,
                  start_seeds, termination_fn=None) -> list[float]:
    """Return of one real episode per seed in ``start_seeds`` (the episode
    starts from ``env.reset(seed=s)``), acting by PETS's CEM-MPC through the
    trained ``model`` with ``cfg``'s planner and propagation, and learning
    nothing more: the counterpart of SAC's evaluation of its deterministic
    policy (:func:`mbrl_lessons.algorithms.sac.evaluate`) on the same starts.

    The particles and the planner draw from ``stream_seed(cfg.seed,
    "eval_propagation" / "eval_planner", i)``, streams that
    :func:`~mbrl_lessons.algorithms.pets.train` never uses."""
    start_seeds = [int(s) for s in start_seeds]
    if not start_seeds:
        raise ValueError("pets_evaluate needs at least one start seed")
    low, high = env.action_space.low, env.action_space.high
    returns = []
    for i, start in enumerate(start_seeds):
        particles = ParticleModelEnv(model, reward_fn, cfg.n_particles, cfg.propagation,
                                     seed=stream_seed(cfg.seed, "eval_propagation", i),
                                     termination_fn=termination_fn)
        agent = MPCAgent(CEMPlanner(particles, low, high, cfg.planner,
                                    seed=stream_seed(cfg.seed, "eval_planner", i)))
        returns.append(float(run_episode(env, agent.act, start)[0]))
    return returns


@torch.no_grad()
def branch_drift(model: GaussianEnsemble, policy: Callable[[torch.Tensor],
                  torch.Tensor], start_obs: torch.Tensor, k: int,
                  true_step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                  gen: torch.Generator) -> torch.Tensor:
    """How far an MBPO branched rollout drifts from the truth: ``[k]`` mean
    Euclidean distance between the model's state after ``h`` steps and the true
    state reached by replaying the same actions with ``true_step(obs, act)``."""
    roll = branched_rollout(model, policy, start_obs, k, gen)
    obs, errors = start_obs.float(), []
    for h in range(k):
        obs = true_step(obs, roll.act[h])
        errors.append((roll.next_obs[h] - obs).norm(dim=-1).mean())
    return torch.stack(errors)


class ArmCurves(NamedTuple):
    """Evaluation curves of a benchmark's arms (seeds in order)."""

    curves: dict[str, dict]
    """arm -> ``{"steps": [T], "returns": [seeds][T]}``."""
    run_seconds: dict[str, float]
    """``"<arm>_seed<s>"`` -> seconds of that run."""

    def at(self, arm: str, step: int) -> np.ndarray:
        """Each seed's evaluation return of ``arm`` at real step ``step``."""
        c = self.curves[arm]
        if step not in c["steps"]:
            raise ValueError(f"{arm} was not evaluated at step {step}; its steps: "
                             f"{c['steps']}")
        i = c["steps"].index(step)
        return np.array([r[i] for r in c["returns"]])

    def gap(self, id: str, description: str, a: tuple[str, int],
            b: tuple[str, int], op: str = ">", threshold: float = 0.0) -> Target:
        """The target "arm ``a[0]``'s return at step ``a[1]`` minus arm
        ``b[0]``'s at step ``b[1]``, paired by seed" with its bootstrap
        interval (met only if the interval clears ``threshold``)."""
        return Target.over_seeds(id, description, {a[0]: self.at(*a),
                                                   b[0]: self.at(*b)},
                                 op, threshold, statistic="mean_difference")


def arm_curves(runs: dict[str, list[dict]]) -> ArmCurves:
    """``runs`` maps an arm to its per-seed results (dicts with ``steps``,
    ``returns`` and ``seconds``, as a sweep's ``per_seed`` gives them)."""
    curves = {arm: {"steps": list(r[0]["steps"]),
                    "returns": [list(x["returns"]) for x in r]}
              for arm, r in runs.items()}
    seconds = {f"{arm}_seed{s}": float(x["seconds"]) for arm, r in runs.items()
               for s, x in enumerate(r)}
    return ArmCurves(curves, seconds)
