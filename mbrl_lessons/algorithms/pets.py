"""PETS: probabilistic ensembles with trajectory sampling (chapter 7, §7.2).

Chua et al. 2018 {chua2018pets} combine three pieces, each small here:

1. :class:`~mbrl_lessons.models.ensemble.GaussianEnsemble` — ``E`` Gaussian
   MLPs held as batched weights ``[E, in, out]`` so one ``bmm`` runs every
   member.  Each predicts the mean and a soft-bounded log-variance of the
   *normalised* state change; the bounds are learned and pushed together by a
   small penalty (the paper's appendix A.1).
   :func:`~mbrl_lessons.models.ensemble.fit_ensemble` trains every member on
   its own bootstrap resample (epistemic spread) with the Gaussian NLL
   (aleatoric spread).
2. :class:`ParticleModelEnv` — propagates ``P`` particles per candidate action
   sequence.  ``"ts_inf"``: each particle keeps one member for the whole
   horizon; ``"ts1"``: the member is redrawn every step; ``"mean"``: no
   sampling, the state follows the ensemble-mean prediction.  A sequence's
   score is the mean over its particles of the summed known reward.
3. CEM-MPC with data collected episode by episode (:func:`train`), reusing
   :class:`~mbrl_lessons.planning.CEMPlanner` with the particle env in place
   of a deterministic :class:`~mbrl_lessons.models.ModelEnv`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.rewards import RewardFn, TerminationFn, resolve_task
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.planning import CEMPlanner, MPCAgent, PlannerConfig, run_episode

PROPAGATIONS = ("ts_inf", "ts1", "mean")


def assign_members(n: int, n_particles: int, ensemble_size: int,
                   gen: torch.Generator) -> torch.Tensor:
    """A random member for each of ``n x n_particles`` particles, ``[n, P]``.

    Balanced: every member gets exactly ``P / E`` particles of each candidate
    (a random permutation of ``0..P-1`` taken modulo ``E``), so the particles
    split into ``E`` equal batches."""
    if n_particles % ensemble_size:
        raise ValueError(f"n_particles ({n_particles}) must be a multiple of "
                         f"ensemble_size ({ensemble_size})")
    perm = torch.argsort(torch.rand(n, n_particles, generator=gen), dim=1)
    return perm % ensemble_size


class ParticleRollout(NamedTuple):
    obs: torch.Tensor      # [N, P, H + 1, O] particle states
    rewards: torch.Tensor  # [N, P, H] known reward of each particle's step
    members: torch.Tensor  # [N, P, H] member that moved each particle (-1: mean)


class ParticleModelEnv:
    """Trajectory sampling through a :class:`GaussianEnsemble` of state changes.

    ``returns(obs0, actions [N, H, A]) -> [N]`` has the interface CEMPlanner
    expects of a ``ModelEnv``."""

    def __init__(self, model: GaussianEnsemble, reward_fn, n_particles: int = 5,
                 propagation: str = "ts_inf", seed: int = 0,
                 termination_fn=None) -> None:
        if propagation not in PROPAGATIONS:
            raise ValueError(f"propagation must be one of {PROPAGATIONS}, got "
                             f"{propagation!r}")
        if propagation != "mean" and n_particles % model.ensemble_size:
            raise ValueError(f"n_particles ({n_particles}) must be a multiple of "
                             f"ensemble_size ({model.ensemble_size})")
        self.model, self.reward_fn = model, reward_fn
        # a particle that terminates earns nothing afterwards (None: never ends)
        self.termination_fn = termination_fn
        self.n_particles, self.propagation = n_particles, propagation
        self.gen = torch_generator(seed)

    def _sample_step(self, obs, act, members):
        """Move particles ``obs [M, O]`` with ``act [M, A]``, particle ``i`` by
        member ``members[i]``: sort by member, one batched call, unsort."""
        E, M = self.model.ensemble_size, obs.shape[0]
        order = torch.argsort(members, stable=True)
        x = torch.cat([obs, act], -1)[order].view(E, M // E, -1)
        mean, var = self.model.predict(x)
        noise = torch.randn(mean.shape, generator=self.gen)
        delta = torch.empty_like(obs)
        delta[order] = (mean + var.sqrt() * noise).reshape(M, -1)
        return obs + delta

    def _sorted_step(self, obs, act):
        """As :meth:`_sample_step` for particles already sorted by member."""
        E, M = self.model.ensemble_size, obs.shape[0]
        mean, var = self.model.predict(torch.cat([obs, act], -1).view(E, M // E, -1))
        noise = torch.randn(mean.shape, generator=self.gen)
        return obs + (mean + var.sqrt() * noise).view(M, -1)

    def _mean_step(self, obs, act):
        E = self.model.ensemble_size
        x = torch.cat([obs, act], -1).expand(E, *obs.shape[:-1], -1)
        mean, _ = self.model.predict(x)
        return obs + mean.mean(0)

    @torch.no_grad()
    def rollout(self, obs0, actions: torch.Tensor) -> ParticleRollout:
        """Propagate ``P`` particles per sequence from ``obs0 [O]`` or ``[N, O]``
        through ``actions [N, H, A]``."""
        actions = torch.as_tensor(actions, dtype=torch.float32)
        obs0 = torch.as_tensor(obs0, dtype=torch.float32)
        if actions.ndim != 3:
            raise ValueError(f"actions must be [N, H, A], got {tuple(actions.shape)}")
        N, H, _ = actions.shape
        P = 1 if self.propagation == "mean" else self.n_particles
        obs = obs0.expand(N, -1) if obs0.ndim == 1 else obs0
        if obs.shape[0] != N or obs.shape[1] + actions.shape[2] != self.model.in_dim:
            raise ValueError(f"obs0 {tuple(obs0.shape)} does not fit actions "
                             f"{tuple(actions.shape)} and the model")
        obs = obs.unsqueeze(1).expand(N, P, -1).reshape(N * P, -1)
        acts = actions.repeat_interleave(P, 0)  # [N * P, H, A], particle-major
        E = self.model.ensemble_size
        order = None
        if self.propagation == "ts_inf":
            # one draw for the whole horizon; keep the particles sorted by member
            # so every step is one batched call, and unsort once at the end
            fixed = assign_members(N, P, E, self.gen).reshape(-1)
            order = torch.argsort(fixed, stable=True)
            obs, acts, fixed = obs[order], acts[order], fixed[order]
        traj, rewards, members = [obs], [], []
        alive = torch.ones(N * P, dtype=torch.bool)
        for t in range(H):
            act = acts[:, t]
            if self.propagation == "mean":
                m = torch.full((N * P,), -1)
                next_obs = self._mean_step(obs, act)
            elif order is not None:
                m = fixed
                next_obs = self._sorted_step(obs, act)
            else:
                m = assign_members(N, P, E, self.gen).reshape(-1)
                next_obs = self._sample_step(obs, act, m)
            rew = self.reward_fn(obs, act, next_obs)
            if self.termination_fn is not None:
                rew = torch.where(alive, rew, torch.zeros_like(rew))
                alive = alive & ~self.termination_fn(obs, act, next_obs).bool()
            rewards.append(rew)
            obs = next_obs
            traj.append(obs)
            members.append(m)

        def shape(ts):
            out = torch.stack(ts, 1)  # [N * P, T, ...]
            if order is not None:
                out = torch.empty_like(out).index_copy_(0, order, out)
            return out.view(N, P, *out.shape[1:])

        return ParticleRollout(shape(traj), shape(rewards), shape(members))

    def returns(self, obs0, actions: torch.Tensor) -> torch.Tensor:
        """Mean over particles of each sequence's predicted return, ``[N]``."""
        return self.rollout(obs0, actions).rewards.sum(-1).mean(-1)


@dataclass(frozen=True)
class PETSConfig:
    """PETS settings (defaults sized for Pendulum-v1, a few CPU minutes a run)."""

    seed: int = 0
    """Seed of every random draw (episode starts, ensemble, particles, CEM)."""
    n_episodes: int = 10
    """Real episodes; the first uses uniformly random actions."""
    ensemble_size: int = 5
    """Members E."""
    hidden: int = 48
    """Width of each member's hidden layers."""
    layers: int = 2
    """Hidden layers per member."""
    probabilistic: bool = True
    """Gaussian members ("PE"); False: mean-only members trained by squared
    error, a deterministic ensemble ("DE", or "D" with ``ensemble_size=1``)."""
    n_particles: int = 5
    """Particles P per candidate (a multiple of E for ts_inf / ts1)."""
    propagation: str = "ts_inf"
    """``"ts_inf"``, ``"ts1"`` or ``"mean"`` (see :class:`ParticleModelEnv`)."""
    planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(
        horizon=25, n_candidates=200, n_iterations=4, n_elites=20))
    """CEM settings (candidates are scored with all their particles at once;
    one plan costs about a tenth of a second on one CPU thread; results/
    ch07_pets.json records the measured time per action)."""
    train: EnsembleTrainConfig = field(default_factory=EnsembleTrainConfig)
    """Ensemble training per refit (by default, as in PETS's code, no
    held-out split: every transition trains and every member plans)."""
    warm_start: bool = True
    """Continue training the previous episode's ensemble (else start afresh)."""

    def __post_init__(self) -> None:
        if self.propagation not in PROPAGATIONS:
            raise ValueError(f"propagation must be one of {PROPAGATIONS}, got "
                             f"{self.propagation!r}")
        if self.n_episodes < 1:
            raise ValueError(f"n_episodes must be >= 1, got {self.n_episodes}")


class PETSResult(NamedTuple):
    returns: np.ndarray        # [n_episodes] return of each real episode
    model: GaussianEnsemble    # the last fitted ensemble
    data: tuple                # (obs [T, O], act [T, A], next_obs [T, O]) in order
    seconds_per_action: float  # planning time per real action


def dynamics_data(obs, act, next_obs) -> tuple[np.ndarray, np.ndarray]:
    """Regression pairs: ``x = [s, a]``, ``y = s' - s`` (the state change)."""
    return np.concatenate([obs, act], 1), next_obs - obs


def make_ensemble(obs_dim: int, act_dim: int, cfg: PETSConfig,
                  seed: int = 0) -> GaussianEnsemble:
    """A fresh ensemble of the size ``cfg`` asks for."""
    return GaussianEnsemble(obs_dim + act_dim, obs_dim, cfg.ensemble_size, cfg.hidden,
                            cfg.layers, probabilistic=cfg.probabilistic, seed=seed)


def train(env, cfg: PETSConfig = PETSConfig(), *, progress: bool = False,
          reward_fn: RewardFn | None = None,
          termination_fn: TerminationFn | None = None) -> PETSResult:
    """Run PETS on ``env`` (a gymnasium env or id): one random episode, then
    per episode refit the ensemble and act by CEM-MPC over particle rollouts.

    The planner scores particles with ``reward_fn(obs, act, next_obs)`` and
    stops a particle's reward at ``termination_fn``; both default to the env's
    known task (:func:`mbrl_lessons.envs.rewards.known_task`), and an env with
    neither is a ``ValueError``.  Episode starts and the random first episode
    match :func:`mbrl_lessons.algorithms.schemes.v1_5_mpc` for the same seed,
    so the two can be compared pair by pair."""
    env, rng, seed = as_env(env), make_rng(cfg.seed), cfg.seed
    reward_fn, termination_fn = resolve_task(env, reward_fn, termination_fn)
    if not isinstance(env.action_space, gym.spaces.Box):
        raise TypeError(f"PETS needs a Box action space, got {env.action_space}")
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    low, high = env.action_space.low, env.action_space.high
    # 1. one episode of uniformly random actions seeds the data set
    ret, obs, acts = run_episode(env, lambda o: rng.uniform(low, high),
                                  stream_seed(seed, "episode", 0))
    steps = [(obs[:-1], acts, obs[1:])]
    returns, times = [ret], []
    model = make_ensemble(obs_dim, act_dim, cfg, stream_seed(seed, "model", 0))
    for ep in tqdm(range(1, cfg.n_episodes), desc=f"PETS {cfg.propagation}",
                   disable=not progress, leave=False):
        # 2. refit the ensemble on ALL data so far (by default warm-started:
        # the previous weights already fit the older data, so the step budget
        # goes to the new episode)
        if not cfg.warm_start:
            model = make_ensemble(obs_dim, act_dim, cfg, stream_seed(seed, "model", ep))
        data = [np.concatenate(part) for part in zip(*steps, strict=True)]
        fit_ensemble(model, *dynamics_data(*data), cfg.train,
                     seed=stream_seed(seed, "fit", ep))
        # 3. plan at every real step: CEM over action sequences, each scored
        # by the mean return of its particles through the ensemble; execute
        # only the first action (MPC)
        particles = ParticleModelEnv(model, reward_fn, cfg.n_particles,
                                     cfg.propagation,
                                     seed=stream_seed(seed, "propagation", ep),
                                     termination_fn=termination_fn)
        agent = MPCAgent(CEMPlanner(particles, low, high, cfg.planner,
                                              seed=stream_seed(seed, "planner", ep)))

        def act(o, agent=agent):
            t0 = time.perf_counter()
            a = agent.act(o)
            times.append(time.perf_counter() - t0)
            return a

        # 4. the episode's transitions join the data set
        ret, obs, acts = run_episode(env, act, stream_seed(seed, "episode", ep))
        steps.append((obs[:-1], acts, obs[1:]))
        returns.append(ret)
    data = tuple(np.concatenate(part) for part in zip(*steps, strict=True))
    return PETSResult(np.array(returns), model, data,
                      float(np.mean(times)) if times else 0.0)
