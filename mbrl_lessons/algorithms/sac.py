"""Soft actor-critic, compact (Haarnoja et al. 2018; chapter 7, the learner of MBPO).

SAC maximises reward plus the entropy of the policy,
``sum_t gamma^t (r_t + alpha H(pi(.|s_t)))``, off-policy from a replay buffer.

- **Actor**: a Gaussian over a pre-squash variable ``u``, squashed by ``tanh``
  and scaled to the action bounds.  Its log-density needs the change-of-
  variables correction ``- sum log |da/du|`` (:func:`squashed_log_prob`).
- **Critics**: two Q networks; the target uses the smaller of their two
  target copies (clipped double Q, against over-estimation) and the soft value
  ``min Q - alpha log pi`` (:func:`soft_q_target`).
- **Target networks** follow the critics by Polyak averaging.
- **Temperature** ``alpha`` is learned so that the policy's entropy stays
  near ``-|A|`` (Haarnoja et al. 2018b, "SAC: algorithms and applications").

:class:`SACAgent` holds the networks and does one gradient update on any
batch, which is what MBPO reuses; :func:`train` is plain SAC on a gymnasium
environment with a ``Box`` action space.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.replay import Batch, ReplayBuffer
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class SACConfig:
    """Settings of the SAC learner (used alone and inside MBPO)."""

    total_steps: int = 20_000
    """Real environment steps."""
    start_steps: int = 250
    """Uniformly random actions before the policy acts (and before updates)."""
    updates_per_step: int = 1
    """Gradient updates per real step (the update-to-data ratio)."""
    batch_size: int = 256
    """Minibatch size of each update."""
    hidden: int = 128
    """Width of the actor's and critics' hidden layers."""
    layers: int = 2
    """Hidden layers of the actor and of each critic."""
    lr: float = 3e-4
    """Adam learning rate (actor, critics and temperature)."""
    gamma: float = 0.99
    """Discount."""
    tau: float = 0.005
    """Polyak rate of the target critics: ``targ <- (1 - tau) targ + tau Q``."""
    init_alpha: float = 0.2
    """Initial entropy temperature."""
    target_entropy: float | None = None
    """Entropy the temperature aims for; ``None`` means ``-act_dim``."""
    buffer_size: int = 100_000
    """Replay capacity."""
    eval_every: int = 1000
    """Evaluate the deterministic policy every this many real steps."""
    eval_episodes: int = 5
    """Episodes per evaluation."""
    seed: int = 0
    """Seeds the networks, the sampling noise, the buffer and the env."""

    def __post_init__(self) -> None:
        for name in ("total_steps", "updates_per_step", "batch_size", "hidden",
                     "buffer_size", "eval_every", "eval_episodes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"SACConfig.{name} must be a positive int, got {v!r}")
        if not 0.0 < self.gamma <= 1.0 or not 0.0 < self.tau <= 1.0:
            raise ValueError(f"SACConfig: gamma and tau must be in (0, 1], got "
                             f"gamma={self.gamma}, tau={self.tau}")
        if self.start_steps < 0 or self.init_alpha <= 0:
            raise ValueError("SACConfig: start_steps must be >= 0 and init_alpha > 0")


def squashed_log_prob(u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor,
                      scale: torch.Tensor) -> torch.Tensor:
    """``log pi(a)`` for ``a = scale * tanh(u)``, ``u ~ N(mean, exp(log_std)^2)``.

    All inputs ``[B, A]`` (``scale`` broadcasts) -> ``[B]``.  Change of variables:
    ``log pi(a) = log N(u) - sum_i log(scale_i (1 - tanh(u_i)^2))``, with
    ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))`` for numerical
    stability where ``tanh`` saturates (SAC paper, appendix C).
    """
    gauss = -0.5 * ((u - mean) / log_std.exp()) ** 2 - log_std - HALF_LOG_2PI
    log_det = 2.0 * (math.log(2.0) - u - nn.functional.softplus(-2.0 * u))
    return (gauss - log_det - torch.log(scale)).sum(-1)


def soft_q_target(rew: torch.Tensor, terminated: torch.Tensor, next_q1: torch.Tensor,
                  next_q2: torch.Tensor, next_logp: torch.Tensor, alpha: float,
                  gamma: float) -> torch.Tensor:
    """The critics' regression target, all ``[B]``:
    ``y = r + gamma (1 - done) (min(Q1', Q2') - alpha log pi(a'|s'))``.

    ``done`` is *termination* only: a time-limit cut still bootstraps.
    """
    soft_v = torch.minimum(next_q1, next_q2) - alpha * next_logp
    return rew + gamma * (1.0 - terminated.float()) * soft_v


class SquashedGaussianActor(nn.Module):
    """``s -> (mean, log_std)`` of ``u``; the action is ``bias + scale tanh(u)``."""

    def __init__(self, obs_dim: int, low, high, hidden: int, layers: int,
                 seed: int) -> None:
        super().__init__()
        low = torch.as_tensor(np.asarray(low), dtype=torch.float32)
        high = torch.as_tensor(np.asarray(high), dtype=torch.float32)
        self.act_dim = len(low)
        self.net = mlp(obs_dim, 2 * self.act_dim, hidden, layers, nn.ReLU, seed=seed)
        self.register_buffer("scale", (high - low) / 2)
        self.register_buffer("bias", (high + low) / 2)

    def forward(self, obs: torch.Tensor, gen: torch.Generator | None = None,
                deterministic: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``obs [B, O] -> (action [B, A], log_prob [B])``; the sample is
        reparameterised (``u = mean + std * eps``) so gradients flow into it."""
        mean, log_std = self.net(obs).split(self.act_dim, dim=-1)
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        if deterministic:
            u = mean
        else:
            u = mean + log_std.exp() * torch.randn(mean.shape, generator=gen)
        logp = squashed_log_prob(u, mean, log_std, self.scale)
        return self.bias + self.scale * torch.tanh(u), logp


class SACAgent:
    """Actor, twin critics, their Polyak targets and the temperature.

    ``update(batch)`` does one gradient step on all of them from any
    :class:`~mbrl_lessons.core.replay.Batch` (real or model-generated).
    """

    def __init__(self, obs_dim: int, low, high, cfg: SACConfig) -> None:
        self.cfg = cfg
        seed = cfg.seed  # one named stream per network and for the policy's noise
        self.gen = torch_generator(stream_seed(seed, "policy_noise"))
        self.actor = SquashedGaussianActor(obs_dim, low, high, cfg.hidden, cfg.layers,
                                           seed=stream_seed(seed, "actor"))
        in_dim = obs_dim + self.actor.act_dim
        self.q1 = mlp(in_dim, 1, cfg.hidden, cfg.layers, nn.ReLU,
                      seed=stream_seed(seed, "critic", 1))
        self.q2 = mlp(in_dim, 1, cfg.hidden, cfg.layers, nn.ReLU,
                      seed=stream_seed(seed, "critic", 2))
        self.q1_targ, self.q2_targ = copy.deepcopy(self.q1), copy.deepcopy(self.q2)
        for p in [*self.q1_targ.parameters(), *self.q2_targ.parameters()]:
            p.requires_grad_(False)
        self.log_alpha = torch.tensor(math.log(cfg.init_alpha), requires_grad=True)
        self.target_entropy = (-float(self.actor.act_dim) if cfg.target_entropy is None
                               else cfg.target_entropy)
        self._q_params = [*self.q1.parameters(), *self.q2.parameters()]
        self._targ_params = [*self.q1_targ.parameters(), *self.q2_targ.parameters()]
        adam = dict(lr=cfg.lr, foreach=True)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), **adam)
        self.q_opt = torch.optim.Adam(self._q_params, **adam)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], **adam)

    @property
    def alpha(self) -> float:
        return float(self.log_alpha.detach().exp())

    @torch.no_grad()
    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """One action (``obs [O] -> [A]``) or a batch (``[B, O] -> [B, A]``)."""
        o = torch.as_tensor(np.asarray(obs, np.float32))
        a, _ = self.actor(o.reshape(-1, o.shape[-1]), self.gen, deterministic)
        return a.numpy().reshape(*o.shape[:-1], -1)

    def update(self, batch: Batch) -> dict[str, float]:
        """One SAC step: critics, then actor, then temperature, then targets."""
        obs, act, rew, next_obs, term = (torch.as_tensor(x) for x in batch)
        alpha = self.alpha
        with torch.no_grad():
            next_act, next_logp = self.actor(next_obs, self.gen)
            sa_next = torch.cat([next_obs, next_act], -1)
            y = soft_q_target(rew, term, self.q1_targ(sa_next)[:, 0],
                              self.q2_targ(sa_next)[:, 0], next_logp, alpha,
                              self.cfg.gamma)
        sa = torch.cat([obs, act], -1)
        q_loss = ((self.q1(sa)[:, 0] - y) ** 2).mean() + \
            ((self.q2(sa)[:, 0] - y) ** 2).mean()
        self.q_opt.zero_grad()
        q_loss.backward()
        self.q_opt.step()

        # actor: maximise min Q(s, a~pi) - alpha log pi, i.e. minimise its negative
        new_act, logp = self.actor(obs, self.gen)
        sa_new = torch.cat([obs, new_act], -1)
        q_new = torch.minimum(self.q1(sa_new), self.q2(sa_new))[:, 0]
        actor_loss = (alpha * logp - q_new).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()

        # temperature: raise alpha when the entropy (-logp) is below its target
        # (loss: -log_alpha * mean(logp + target); its gradient is set by hand,
        # which saves a backward pass)
        self.log_alpha.grad = -(logp.detach() + self.target_entropy).mean()
        self.alpha_opt.step()

        with torch.no_grad():  # Polyak averaging, all parameters in one call
            torch._foreach_lerp_(self._targ_params, self._q_params, self.cfg.tau)
        return {"q_loss": q_loss.item(), "actor_loss": actor_loss.item(),
                "alpha": alpha, "entropy": -logp.mean().item()}


def check_box_env(env: gym.Env) -> tuple[int, np.ndarray, np.ndarray]:
    """``(obs_dim, act_low, act_high)``, or a TypeError for non-Box spaces."""
    for name, space in (("observation", env.observation_space),
                        ("action", env.action_space)):
        if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
            raise TypeError(f"SAC/MBPO need a 1-D Box {name} space, got {space!r}")
    return (env.observation_space.shape[0], env.action_space.low.astype(np.float32),
            env.action_space.high.astype(np.float32))


def fresh_env(env: gym.Env) -> gym.Env:
    """A new copy of a registered env (for evaluation, so training episodes are
    not interrupted); unregistered envs need an explicit ``eval_env``."""
    if env.spec is None:
        raise ValueError("this env is not registered with gymnasium; pass eval_env=")
    return gym.make(env.spec.id)


def evaluate(env: gym.Env, agent: SACAgent, episodes: int, seed: int) -> float:
    """Mean undiscounted return of the deterministic policy (the tanh of the mean)
    over ``episodes`` episodes that start from the named streams
    ``stream_seed(seed, "eval", i)``: the same starts at every evaluation of a
    run, and none shared with the training env or with another run's seed."""
    total = 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=stream_seed(seed, "eval", i))
        done = False
        while not done:
            obs, r, term, trunc, _ = env.step(agent.act(obs, deterministic=True))
            total += float(r)
            done = term or trunc
    return total / episodes


@dataclass
class SACResult:
    """What :func:`train` returns."""

    agent: SACAgent
    eval_steps: list[int]
    """Real steps at which the policy was evaluated."""
    eval_returns: list[float]
    """Mean evaluation return at those steps."""
    seconds: float
    alphas: list[float] = field(default_factory=list)
    """The temperature at those steps (that of the last update before each)."""
    entropies: list[float] = field(default_factory=list)
    """The last update's minibatch estimate of the policy's entropy, ``-mean log pi``
    (nan before the first update)."""


def random_action(low: np.ndarray, high: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(low, high).astype(np.float32)


def train(env: gym.Env | str, cfg: SACConfig = SACConfig(), *, progress: bool = False,
          eval_env: gym.Env | None = None) -> SACResult:
    """Plain SAC: act, store, ``updates_per_step`` updates per real step.

    ``eval_env`` (default: a fresh ``gym.make(env.spec.id)``) scores the
    deterministic policy every ``cfg.eval_every`` steps, on the same fixed
    start seeds each time (disjoint from training).
    """
    env = as_env(env)
    obs_dim, low, high = check_box_env(env)
    t0 = time.time()
    rng = make_rng(cfg.seed)
    agent = SACAgent(obs_dim, low, high, cfg)
    buf = ReplayBuffer(obs_dim, len(low), min(cfg.buffer_size, cfg.total_steps))
    eval_env = eval_env if eval_env is not None else fresh_env(env)
    steps, returns, alphas, entropies = [], [], [], []
    stats = {"alpha": agent.alpha, "entropy": float("nan")}
    obs, _ = env.reset(seed=stream_seed(cfg.seed, "env"))
    for t in tqdm(range(1, cfg.total_steps + 1), desc="SAC", leave=False,
                  disable=not progress):
        a = (random_action(low, high, rng) if t <= cfg.start_steps
             else agent.act(obs))
        next_obs, r, term, trunc, _ = env.step(a)
        buf.add(obs, a, r, next_obs, term)
        obs = next_obs
        if term or trunc:
            obs, _ = env.reset()
        if t > cfg.start_steps:
            for _ in range(cfg.updates_per_step):
                stats = agent.update(buf.sample(cfg.batch_size, rng))
        if t % cfg.eval_every == 0:
            steps.append(t)
            alphas.append(stats["alpha"])
            entropies.append(stats["entropy"])
            returns.append(evaluate(eval_env, agent, cfg.eval_episodes, cfg.seed))
    return SACResult(agent, steps, returns, time.time() - t0, alphas, entropies)
