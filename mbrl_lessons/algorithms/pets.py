"""PETS: probabilistic ensembles with trajectory sampling (chapter 7, §7.2).

Chua et al. 2018 {chua2018pets} combine three pieces, each small here:

1. :class:`GaussianEnsemble` — ``E`` Gaussian MLPs held as batched weights
   ``[E, in, out]`` so one ``bmm`` runs every member.  Each predicts the mean
   and a soft-bounded log-variance of the *normalised* state change; the
   bounds are learned and pushed together by a small penalty (the paper's
   appendix A.1).  :func:`fit_gaussian_ensemble` trains every member on its
   own bootstrap resample (epistemic spread) with the Gaussian NLL (aleatoric
   spread).
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

import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, torch_generator
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.rewards import RewardFn, TerminationFn, resolve_task
from mbrl_lessons.models.ensemble import batched_gaussian_forward, gaussian_nll
from mbrl_lessons.planning import CEMPlanner, MPCAgent, PlannerConfig, run_episode

PROPAGATIONS = ("ts_inf", "ts1", "mean")


class GaussianEnsemble(nn.Module):
    """``E`` Gaussian MLPs with batched weights; SiLU (swish) hidden layers.

    Inputs and targets are normalised with statistics set by
    :meth:`set_normalisation`; :meth:`predict` returns raw-unit moments.
    """

    def __init__(self, in_dim: int, out_dim: int, ensemble_size: int = 5,
                 hidden: int = 64, layers: int = 2, seed: int = 0) -> None:
        super().__init__()
        if min(in_dim, out_dim, ensemble_size, hidden, layers) < 1:
            raise ValueError("in_dim, out_dim, ensemble_size, hidden and layers must "
                             f"be >= 1, got {in_dim}, {out_dim}, {ensemble_size}, "
                             f"{hidden}, {layers}")
        self.in_dim, self.out_dim, self.ensemble_size = in_dim, out_dim, ensemble_size
        gen = torch_generator(seed)
        dims = [in_dim] + [hidden] * layers + [2 * out_dim]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            bound = 1 / math.sqrt(a)  # nn.Linear's default scale, one draw per member
            self.weights.append(nn.Parameter(
                (torch.rand(ensemble_size, a, b, generator=gen) * 2 - 1) * bound))
            self.biases.append(nn.Parameter(torch.zeros(ensemble_size, 1, b)))
        # learned soft bounds of the log-variance (normalised units), as in PETS
        self.max_logvar = nn.Parameter(torch.full((out_dim,), 0.5))
        self.min_logvar = nn.Parameter(torch.full((out_dim,), -10.0))
        for name, dim in (("in_mean", in_dim), ("out_mean", out_dim)):
            self.register_buffer(name, torch.zeros(dim))
        for name, dim in (("in_std", in_dim), ("out_std", out_dim)):
            self.register_buffer(name, torch.ones(dim))

    def set_normalisation(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Store mean/std of inputs ``x [N, in]`` and targets ``y [N, out]``."""
        self.in_mean.copy_(x.mean(0))
        self.in_std.copy_(x.std(0).clamp_min(1e-6))
        self.out_mean.copy_(y.mean(0))
        self.out_std.copy_(y.std(0).clamp_min(1e-6))

    def forward_normalised(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [E, B, in]`` (normalised) -> ``mean, logvar [E, B, out]``."""
        if x.ndim != 3 or x.shape[0] != self.ensemble_size or x.shape[2] != self.in_dim:
            raise ValueError(f"x must be [{self.ensemble_size}, B, {self.in_dim}], got "
                             f"{tuple(x.shape)}")
        return batched_gaussian_forward(x, self.weights, self.biases, self.out_dim,
                                        self.min_logvar, self.max_logvar)

    def predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw inputs ``x [E, B, in]`` -> each member's ``mean, var [E, B, out]``."""
        mean, logvar = self.forward_normalised((x - self.in_mean) / self.in_std)
        return mean * self.out_std + self.out_mean, logvar.exp() * self.out_std ** 2


@dataclass(frozen=True)
class EnsembleTrainConfig:
    """Minibatch training of a :class:`GaussianEnsemble`."""

    steps: int = 400
    """Gradient steps per fit (every member takes one per step)."""
    batch_size: int = 64
    """Rows per member per step."""
    lr: float = 1e-3
    """Adam learning rate."""
    weight_decay: float = 1e-5
    """L2 penalty on all parameters."""
    bound_weight: float = 0.01
    """Weight of ``sum(max_logvar) - sum(min_logvar)``, which keeps the learned
    log-variance bounds tight."""
    bootstrap: bool = True
    """Each member draws its own ``N`` rows with replacement."""
    beta: float = 0.5
    """beta-NLL (Seitzer et al. 2022): each element's NLL is weighted by its
    predicted variance to the power ``beta``, with no gradient through the
    weight.  0 is the plain NLL, which on a noise-free system can explain its
    own mean error away as variance and stop fitting the mean."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {self.beta}")


def fit_gaussian_ensemble(model: GaussianEnsemble, x, y,
                          cfg: EnsembleTrainConfig = EnsembleTrainConfig(),
                          seed: int = 0, normalise: bool = True) -> list[float]:
    """Train ``model`` on ``x [N, in], y [N, out]`` by the (beta-weighted)
    Gaussian NLL in normalised units, summed over members; returns the plain
    NLL of every step.

    ``normalise`` refits the input/output statistics first (keep them fixed
    when continuing training on the same data)."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x and y must be [N, in] and [N, out] with the same N, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[1] != model.in_dim or y.shape[1] != model.out_dim:
        raise ValueError(f"model maps {model.in_dim} -> {model.out_dim} dims, data "
                         f"has {x.shape[1]} -> {y.shape[1]}")
    if normalise:
        model.set_normalisation(x, y)
    xn, yn = (x - model.in_mean) / model.in_std, (y - model.out_mean) / model.out_std
    gen, E, N = torch_generator(seed), model.ensemble_size, len(x)
    rows = (torch.randint(N, (E, N), generator=gen) if cfg.bootstrap
            else torch.arange(N).expand(E, N))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    losses = []
    for _ in range(cfg.steps):
        pick = torch.randint(N, (E, min(cfg.batch_size, N)), generator=gen)
        idx = torch.gather(rows, 1, pick)  # [E, B]: each member from its resample
        mean, logvar = model.forward_normalised(xn[idx])
        objective, nll = gaussian_nll(mean, logvar, yn[idx], cfg.beta)
        loss = objective + cfg.bound_weight * (model.max_logvar.sum()
                                               - model.min_logvar.sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(nll.item())
    return losses


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
    n_particles: int = 5
    """Particles P per candidate (a multiple of E for ts_inf / ts1)."""
    propagation: str = "ts_inf"
    """``"ts_inf"``, ``"ts1"`` or ``"mean"`` (see :class:`ParticleModelEnv`)."""
    planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(
        horizon=25, n_candidates=200, n_iterations=4, n_elites=20))
    """CEM settings (candidates are scored with all their particles at once;
    sized so one plan costs about 30-50 ms on one CPU thread)."""
    train: EnsembleTrainConfig = field(default_factory=EnsembleTrainConfig)
    """Ensemble training per refit."""
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
                            cfg.layers, seed=seed)


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
    ret, obs, acts = run_episode(env, lambda o: rng.uniform(low, high), seed * 1000)
    steps = [(obs[:-1], acts, obs[1:])]
    returns, times = [ret], []
    model = make_ensemble(obs_dim, act_dim, cfg, seed)
    for ep in tqdm(range(1, cfg.n_episodes), desc=f"PETS {cfg.propagation}",
                   disable=not progress, leave=False):
        if not cfg.warm_start:
            model = make_ensemble(obs_dim, act_dim, cfg, seed + ep)
        data = [np.concatenate(part) for part in zip(*steps, strict=True)]
        fit_gaussian_ensemble(model, *dynamics_data(*data), cfg.train, seed=seed + ep)
        particles = ParticleModelEnv(model, reward_fn, cfg.n_particles,
                                     cfg.propagation, seed=seed * 1000 + ep,
                                     termination_fn=termination_fn)
        agent = MPCAgent(CEMPlanner(particles, low, high, cfg.planner, seed=seed + ep))

        def act(o, agent=agent):
            t0 = time.perf_counter()
            a = agent.act(o)
            times.append(time.perf_counter() - t0)
            return a

        ret, obs, acts = run_episode(env, act, seed * 1000 + ep)
        steps.append((obs[:-1], acts, obs[1:]))
        returns.append(ret)
    data = tuple(np.concatenate(part) for part in zip(*steps, strict=True))
    return PETSResult(np.array(returns), model, data,
                      float(np.mean(times)) if times else 0.0)
