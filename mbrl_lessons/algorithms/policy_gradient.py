"""Policy gradients: REINFORCE with a baseline, and advantage actor-critic
(the model-free primer; Dreamer's learner in chapter 7 is an actor-critic).

Both ascend the score-function gradient (Williams 1992; Sutton et al. 2000)

    grad J = E[ sum_t grad log pi(a_t | s_t) A_t ],

and differ in the weight ``A_t``:

- **REINFORCE** waits for whole episodes and uses the discounted return-to-go
  ``G_t = sum_k gamma^k r_{t+k}`` (:func:`returns_to_go`) minus a baseline
  ``b(s_t)``: a learned value ``V(s_t)`` fitted to ``G_t``.  Subtracting a
  baseline leaves the gradient's mean alone and shrinks its variance.
- **Actor-critic** updates every ``n_steps`` steps from a bootstrapped
  estimate: the generalised advantage ``A_t = sum_k (gamma lam)^k delta_{t+k}``
  built from TD errors ``delta_t = r_t + gamma V(s_{t+1}) - V(s_t)``
  (:func:`gae_advantages`; Schulman et al. 2016).  ``lam = 1`` is the
  Monte-Carlo advantage, ``lam = 0`` the one-step TD error.

Actions must be ``Discrete`` (a categorical policy) and observations a 1-D
``Box``; for continuous actions see :mod:`mbrl_lessons.algorithms.sac`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env


def _positive_ints(cfg, names: tuple[str, ...]) -> None:
    for name in names:
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{type(cfg).__name__}.{name} must be a positive int, "
                             f"got {v!r}")
    if not 0.0 < cfg.gamma <= 1.0:
        raise ValueError(f"{type(cfg).__name__}.gamma must be in (0, 1], got "
                         f"{cfg.gamma}")
    if cfg.lr <= 0 or cfg.entropy_coef < 0:
        raise ValueError(f"{type(cfg).__name__}: lr must be > 0 and entropy_coef >= 0")


@dataclass(frozen=True)
class REINFORCEConfig:
    """Settings of :func:`train_reinforce`."""

    total_steps: int = 100_000
    """Real environment steps (whole episodes: the last batch may run over)."""
    episodes_per_update: int = 8
    """Episodes in each policy-gradient estimate."""
    baseline: bool = True
    """Subtract a learned value ``V(s_t)`` from the return-to-go."""
    normalize: bool = True
    """Scale the batch's advantages to zero mean and unit variance."""
    hidden: int = 64
    """Width of the policy's and the value's hidden layers."""
    layers: int = 2
    """Hidden layers of each network."""
    lr: float = 3e-3
    """Adam learning rate of the policy."""
    value_lr: float = 1e-2
    """Adam learning rate of the baseline."""
    value_steps: int = 20
    """Regression steps of the baseline on each batch (after the policy step)."""
    gamma: float = 0.99
    """Discount."""
    entropy_coef: float = 0.0
    """Weight of an entropy bonus in the policy loss."""
    eval_every: int = 5_000
    """Evaluate the greedy policy about every this many real steps."""
    eval_episodes: int = 5
    """Episodes per evaluation."""
    seed: int = 0
    """Seeds the networks, the action sampling and the env."""

    def __post_init__(self) -> None:
        _positive_ints(self, ("total_steps", "episodes_per_update", "hidden",
                              "value_steps", "eval_every", "eval_episodes"))


@dataclass(frozen=True)
class ActorCriticConfig:
    """Settings of :func:`train_actor_critic` (a single-env A2C)."""

    total_steps: int = 100_000
    """Real environment steps."""
    n_steps: int = 32
    """Steps of each rollout between updates."""
    lam: float = 0.95
    """GAE's lambda: 0 uses the one-step TD error, 1 the Monte-Carlo advantage."""
    hidden: int = 64
    """Width of the actor's and the critic's hidden layers."""
    layers: int = 2
    """Hidden layers of each network."""
    lr: float = 2e-3
    """Adam learning rate (actor and critic)."""
    value_coef: float = 0.5
    """Weight of the critic's squared error in the joint loss."""
    entropy_coef: float = 0.01
    """Weight of the entropy bonus."""
    max_grad_norm: float = 0.5
    """Gradient-norm clip of each update."""
    gamma: float = 0.99
    """Discount."""
    eval_every: int = 5_000
    """Evaluate the greedy policy every this many real steps."""
    eval_episodes: int = 5
    """Episodes per evaluation."""
    seed: int = 0
    """Seeds the networks, the action sampling and the env."""

    def __post_init__(self) -> None:
        _positive_ints(self, ("total_steps", "n_steps", "hidden", "eval_every",
                              "eval_episodes"))
        if not 0.0 <= self.lam <= 1.0:
            raise ValueError(f"ActorCriticConfig.lam must be in [0, 1], got {self.lam}")


# ------------------------------------------------------------- building blocks
def returns_to_go(rew: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = r_t + gamma G_{t+1}`` (``G_T = 0``) of one episode: ``[T] -> [T]``."""
    out = np.zeros(len(rew), dtype=np.float64)
    g = 0.0
    for t in range(len(rew) - 1, -1, -1):
        g = rew[t] + gamma * g
        out[t] = g
    return out


def gae_advantages(rew: np.ndarray, values: np.ndarray, next_values: np.ndarray,
                   terminated: np.ndarray, done: np.ndarray, gamma: float,
                   lam: float) -> np.ndarray:
    """Generalised advantages of a rollout, all ``[T] -> [T]``.

    ``delta_t = r_t + gamma (1 - terminated_t) V(s_{t+1}) - V(s_t)`` and
    ``A_t = delta_t + gamma lam (1 - done_t) A_{t+1}``, where ``done`` marks any
    episode end (termination or time limit) and ``terminated`` only a true
    one: a truncated step still bootstraps from ``V(s_{t+1})``, but the sum does
    not run into the next episode.  The rollout's last step is cut like ``done``.
    """
    delta = rew + gamma * (1.0 - terminated) * next_values - values
    adv = np.zeros(len(rew), dtype=np.float64)
    a = 0.0
    for t in range(len(rew) - 1, -1, -1):
        a = delta[t] + gamma * lam * (1.0 - done[t]) * a
        adv[t] = a
    return adv


def check_env(env: gym.Env) -> tuple[int, int]:
    """``(obs_dim, n_actions)``, or a TypeError naming the unsupported space."""
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise TypeError("these policy gradients use a categorical policy and need a "
                        f"Discrete action space, got {env.action_space!r}; for Box "
                        "actions use SAC")
    space = env.observation_space
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise TypeError(f"policy gradients here need a 1-D Box observation space, "
                        f"got {space!r}")
    return int(space.shape[0]), int(env.action_space.n)


class Policy(nn.Module):
    """``obs [B, O] -> Categorical`` over the discrete actions."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int, layers: int,
                 seed: int) -> None:
        super().__init__()
        self.net = mlp(obs_dim, n_actions, hidden, layers, nn.Tanh, seed=seed)

    def forward(self, obs: torch.Tensor) -> torch.distributions.Categorical:
        return torch.distributions.Categorical(logits=self.net(obs))

    @torch.no_grad()
    def act(self, obs: np.ndarray, gen: torch.Generator | None,
            greedy: bool = False) -> int:
        logits = self.net(torch.as_tensor(np.asarray(obs, np.float32))[None])[0]
        if greedy:
            return int(logits.argmax())
        return int(torch.multinomial(logits.softmax(-1), 1, generator=gen))


@dataclass
class PGResult:
    """What :func:`train_reinforce` and :func:`train_actor_critic` return."""

    policy: Policy
    value: nn.Module | None
    """The baseline / critic ``V(s)`` (``None`` for REINFORCE without one)."""
    eval_steps: list[int]
    eval_returns: list[float]
    """Mean return of the greedy policy at ``eval_steps``."""
    episode_returns: list[float]
    """Return of every finished training episode (the sampling policy)."""
    seconds: float


def evaluate(env: gym.Env, policy: Policy, episodes: int, seed: int) -> float:
    """Mean undiscounted return of the greedy (argmax) policy."""
    total = 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=stream_seed(seed, "eval", i))
        done = False
        while not done:
            obs, r, term, trunc, _ = env.step(policy.act(obs, None, greedy=True))
            total += float(r)
            done = term or trunc
    return total / episodes


def _eval_env(env: gym.Env, eval_env: gym.Env | None) -> gym.Env:
    if eval_env is not None:
        return eval_env
    if env.spec is None:
        raise ValueError("this env is not registered with gymnasium; pass eval_env=")
    return gym.make(env.spec)


# ------------------------------------------------------------------ REINFORCE
def train_reinforce(env: gym.Env | str, cfg: REINFORCEConfig = REINFORCEConfig(), *,
                    progress: bool = False,
                    eval_env: gym.Env | None = None) -> PGResult:
    """REINFORCE: sample ``episodes_per_update`` episodes, weight each
    ``log pi(a_t|s_t)`` by ``G_t - V(s_t)``, one policy step, refit ``V``."""
    env = as_env(env)
    obs_dim, n_act = check_env(env)
    eval_env = _eval_env(env, eval_env)
    t0, gen = time.time(), torch_generator(stream_seed(cfg.seed, "actions"))
    policy = Policy(obs_dim, n_act, cfg.hidden, cfg.layers,
                    stream_seed(cfg.seed, "policy"))
    value = (mlp(obs_dim, 1, cfg.hidden, cfg.layers, nn.Tanh,
                 seed=stream_seed(cfg.seed, "value"))
             if cfg.baseline else None)
    pi_opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    v_opt = torch.optim.Adam(value.parameters(), lr=cfg.value_lr) if value else None
    res = PGResult(policy, value, [], [], [], 0.0)
    steps, next_eval, first = 0, cfg.eval_every, True
    bar = tqdm(total=cfg.total_steps, desc="REINFORCE", leave=False,
               disable=not progress)
    while steps < cfg.total_steps:
        obs_b, act_b, ret_b = [], [], []
        for _ in range(cfg.episodes_per_update):
            obs, _ = env.reset(seed=cfg.seed if first else None)
            first, rews, done = False, [], False
            while not done:
                a = policy.act(obs, gen)
                obs_b.append(obs)
                act_b.append(a)
                obs, r, term, trunc, _ = env.step(a)
                rews.append(float(r))
                done = term or trunc
            # a time-limit cut is treated like an end here: REINFORCE has no
            # critic to bootstrap from (CartPole's 500-step cap is the goal)
            ret_b.append(returns_to_go(np.asarray(rews), cfg.gamma))
            res.episode_returns.append(sum(rews))
            steps += len(rews)
            bar.update(len(rews))
        obs_t = torch.as_tensor(np.asarray(obs_b, np.float32))
        ret_t = torch.as_tensor(np.concatenate(ret_b), dtype=torch.float32)
        with torch.no_grad():
            base = value(obs_t)[:, 0] if value is not None else torch.zeros_like(ret_t)
        adv = ret_t - base
        if cfg.normalize and len(adv) > 1:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        dist = policy(obs_t)
        logp = dist.log_prob(torch.as_tensor(act_b))
        loss = -(logp * adv).mean() - cfg.entropy_coef * dist.entropy().mean()
        pi_opt.zero_grad()
        loss.backward()
        pi_opt.step()
        if value is not None:
            for _ in range(cfg.value_steps):
                v_loss = ((value(obs_t)[:, 0] - ret_t) ** 2).mean()
                v_opt.zero_grad()
                v_loss.backward()
                v_opt.step()
        while steps >= next_eval and next_eval <= cfg.total_steps:
            res.eval_steps.append(next_eval)
            res.eval_returns.append(evaluate(eval_env, policy, cfg.eval_episodes,
                                             seed=cfg.seed))
            next_eval += cfg.eval_every
    bar.close()
    res.seconds = time.time() - t0
    return res


# --------------------------------------------------------------- actor-critic
def train_actor_critic(env: gym.Env | str,
                       cfg: ActorCriticConfig = ActorCriticConfig(), *,
                       progress: bool = False,
                       eval_env: gym.Env | None = None) -> PGResult:
    """A2C: every ``n_steps`` real steps, one joint step on
    ``-log pi A + value_coef (V - (A + V_old))^2 - entropy_coef H`` with GAE ``A``."""
    env = as_env(env)
    obs_dim, n_act = check_env(env)
    eval_env = _eval_env(env, eval_env)
    t0, gen = time.time(), torch_generator(stream_seed(cfg.seed, "actions"))
    make_rng(cfg.seed)  # refuses a bad seed like every other train
    policy = Policy(obs_dim, n_act, cfg.hidden, cfg.layers,
                    stream_seed(cfg.seed, "policy"))
    value = mlp(obs_dim, 1, cfg.hidden, cfg.layers, nn.Tanh,
                 seed=stream_seed(cfg.seed, "value"))
    params = [*policy.parameters(), *value.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    res = PGResult(policy, value, [], [], [], 0.0)
    obs, _ = env.reset(seed=cfg.seed)
    ep_ret, t = 0.0, 0
    bar = tqdm(total=cfg.total_steps, desc="actor-critic", leave=False,
               disable=not progress)
    while t < cfg.total_steps:
        n = min(cfg.n_steps, cfg.total_steps - t)
        o_b, a_b, r_b, next_b, term_b, done_b = [], [], [], [], [], []
        for _ in range(n):
            a = policy.act(obs, gen)
            next_obs, r, term, trunc, _ = env.step(a)
            o_b.append(obs)
            a_b.append(a)
            r_b.append(float(r))
            next_b.append(next_obs)
            term_b.append(float(term))
            done_b.append(float(term or trunc))
            ep_ret += float(r)
            obs = next_obs
            t += 1
            if term or trunc:
                res.episode_returns.append(ep_ret)
                obs, _ = env.reset()
                ep_ret = 0.0
            if t % cfg.eval_every == 0:
                res.eval_steps.append(t)
                res.eval_returns.append(evaluate(eval_env, policy, cfg.eval_episodes,
                                                 seed=cfg.seed))
        bar.update(n)
        done_b[-1] = 1.0  # the advantage sum stops at the rollout's end
        o_t = torch.as_tensor(np.asarray(o_b, np.float32))
        with torch.no_grad():
            v_next = value(torch.as_tensor(np.asarray(next_b, np.float32)))[:, 0]
        v = value(o_t)[:, 0]
        adv = gae_advantages(np.asarray(r_b), v.detach().numpy().astype(np.float64),
                             v_next.numpy().astype(np.float64), np.asarray(term_b),
                             np.asarray(done_b), cfg.gamma, cfg.lam)
        adv_t = torch.as_tensor(adv, dtype=torch.float32)
        target = adv_t + v.detach()  # the lambda-return the critic regresses on
        dist = policy(o_t)
        logp = dist.log_prob(torch.as_tensor(a_b))
        loss = (-(logp * adv_t).mean() + cfg.value_coef * ((v - target) ** 2).mean()
                - cfg.entropy_coef * dist.entropy().mean())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        opt.step()
    bar.close()
    res.seconds = time.time() - t0
    return res
