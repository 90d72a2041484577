"""Deep Q-learning (Mnih et al. 2015; the model-free primer, and the MinAtar
baseline of chapter 7).

Q-learning with a neural network ``Q(s, .; w)`` for every discrete action,
trained off-policy from a replay buffer on the temporal-difference target

    y = r + gamma (1 - terminated) max_a' Q(s', a'; w^-)

where ``w^-`` is a *target network*: a copy of ``w`` refreshed every
``target_update_every`` steps, so the regression target stands still between
refreshes.  Two further ingredients keep the regression tame: the *replay
buffer* (uniform minibatches break the correlation of consecutive steps) and
the Huber loss (a squared error that turns linear for large errors).
``double=True`` picks ``a'`` with the online network and scores it with the
target one (van Hasselt et al. 2016), which curbs the max's over-estimation.

Observations are any ``Box``: a vector goes into an MLP; an image-like
``[H, W, C]`` array (MinAtar's layout) into one 3x3 convolution with 16
channels and a 128-unit layer (the MinAtar paper's network, Young & Tian
2019) when ``encoder="conv"`` (or ``"auto"``), or flattened into the MLP
with ``encoder="mlp"``.  Actions must be ``Discrete``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_rng, stream_seed, torch_seeded
from mbrl_lessons.envs import as_env

ENCODERS = ("auto", "mlp", "conv")


@dataclass(frozen=True)
class DQNConfig:
    """Settings of :func:`train`.

    Measured on CartPole-v1 (``benchmarks/ch06p_primer.py``, these defaults
    with ``total_steps=20_000``, 5 seeds): the greedy return peaks early and
    then falls back, ending below 195; ``results/ch06p_primer.json`` has the
    numbers.
    """

    total_steps: int = 30_000
    """Real environment steps."""
    start_steps: int = 1_000
    """Uniformly random actions (and no updates) before learning starts."""
    buffer_size: int = 50_000
    """Replay capacity (first in, first out)."""
    batch_size: int = 64
    """Minibatch size of each update."""
    train_every: int = 1
    """One gradient update every this many real steps."""
    hidden: int = 128
    """Width of the hidden layers (and of the conv encoder's dense layer)."""
    layers: int = 2
    """Hidden layers of the MLP (ignored by the conv encoder, which has one)."""
    encoder: str = "auto"
    """``"mlp"`` (flatten any observation), ``"conv"`` (``[H, W, C]`` images) or
    ``"auto"`` (conv for 3-D observations, MLP otherwise)."""
    lr: float = 5e-4
    """Adam learning rate."""
    gamma: float = 0.99
    """Discount."""
    target_update_every: int = 500
    """Copy the online network into the target network every this many steps
    (1 means no separate target network at all)."""
    double: bool = False
    """Double DQN: choose ``a'`` with the online net, score it with the target."""
    eps_start: float = 1.0
    """Exploration rate of epsilon-greedy when learning starts..."""
    eps_end: float = 0.05
    """...decayed linearly to this..."""
    eps_decay_steps: int = 10_000
    """...over this many steps after ``start_steps``."""
    huber_delta: float = 1.0
    """The Huber loss is quadratic inside +-delta, linear outside."""
    max_grad_norm: float = 10.0
    """Gradient-norm clip of each update."""
    eval_every: int = 2_000
    """Evaluate the greedy policy every this many real steps."""
    eval_episodes: int = 5
    """Episodes per evaluation."""
    seed: int = 0
    """Seeds the network, the exploration, the buffer and the env."""

    def __post_init__(self) -> None:
        for name in ("total_steps", "buffer_size", "batch_size", "train_every",
                     "hidden", "target_update_every", "eps_decay_steps",
                     "eval_every", "eval_episodes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"DQNConfig.{name} must be a positive int, got {v!r}")
        if self.start_steps < 0 or self.layers < 0:
            raise ValueError("DQNConfig: start_steps and layers must be >= 0")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"DQNConfig.gamma must be in (0, 1], got {self.gamma}")
        if not 0.0 <= self.eps_end <= self.eps_start <= 1.0:
            raise ValueError("DQNConfig: need 0 <= eps_end <= eps_start <= 1, got "
                             f"{self.eps_end}, {self.eps_start}")
        if self.encoder not in ENCODERS:
            raise ValueError(f"DQNConfig.encoder must be one of {ENCODERS}, "
                             f"got {self.encoder!r}")
        if self.lr <= 0 or self.huber_delta <= 0 or self.max_grad_norm <= 0:
            raise ValueError("DQNConfig: lr, huber_delta and max_grad_norm must be > 0")


# ------------------------------------------------------------- building blocks
def td_target(rew: torch.Tensor, terminated: torch.Tensor, next_q_target: torch.Tensor,
              gamma: float, next_q_online: torch.Tensor | None = None) -> torch.Tensor:
    """The regression target of DQN, ``rew``/``terminated`` ``[B]``, ``next_q_*``
    ``[B, A]`` -> ``[B]``:

    ``y = r + gamma (1 - terminated) Q_targ(s', a')`` with ``a' = argmax Q_targ``
    (DQN) or ``a' = argmax Q_online`` when ``next_q_online`` is given (double DQN).
    Only a true termination stops the bootstrap: a time-limit cut still has a
    future, so a truncated transition is stored with ``terminated=False``.
    """
    if next_q_online is None:
        next_v = next_q_target.max(dim=-1).values
    else:
        a_star = next_q_online.argmax(dim=-1, keepdim=True)
        next_v = next_q_target.gather(-1, a_star)[:, 0]
    return rew + gamma * (1.0 - terminated.float()) * next_v


def epsilon_at(step: int, cfg: DQNConfig) -> float:
    """Epsilon-greedy's exploration rate at real step ``step`` (1-based): 1
    during the random warm-up, then linear from ``eps_start`` to ``eps_end``."""
    if step <= cfg.start_steps:
        return 1.0
    frac = min(1.0, (step - cfg.start_steps) / cfg.eps_decay_steps)
    return cfg.eps_start + frac * (cfg.eps_end - cfg.eps_start)


class ConvQ(nn.Module):
    """``[B, H, W, C] -> [B, A]``: conv 3x3/16, ReLU, dense ``hidden``, ReLU, linear."""

    def __init__(self, shape: tuple[int, int, int], n_actions: int, hidden: int,
                 seed: int) -> None:
        super().__init__()
        h, w, c = shape
        with torch_seeded(seed):
            self.conv = nn.Conv2d(c, 16, kernel_size=3, stride=1)
            self.head = nn.Sequential(nn.Linear(16 * (h - 2) * (w - 2), hidden),
                                      nn.ReLU(), nn.Linear(hidden, n_actions))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv(obs.permute(0, 3, 1, 2)))  # channels first
        return self.head(x.flatten(1))


class FlatQ(nn.Module):
    """Any observation shape, flattened into an MLP: ``[B, *shape] -> [B, A]``."""

    def __init__(self, obs_size: int, n_actions: int, hidden: int, layers: int,
                 seed: int) -> None:
        super().__init__()
        self.net = mlp(obs_size, n_actions, hidden, layers, nn.ReLU, seed=seed)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs.flatten(1))


def check_env(env: gym.Env, encoder: str) -> tuple[tuple[int, ...], int, str]:
    """``(obs_shape, n_actions, encoder)`` with ``"auto"`` resolved, or a
    TypeError/ValueError naming what DQN cannot handle."""
    obs_space, act_space = env.observation_space, env.action_space
    if not isinstance(act_space, gym.spaces.Discrete):
        raise TypeError(f"DQN needs a Discrete action space (one Q value per "
                        f"action), got {act_space!r}; for Box actions use SAC")
    if not isinstance(obs_space, gym.spaces.Box):
        raise TypeError(f"DQN needs a Box observation space, got {obs_space!r}; "
                        "wrap Discrete observations (e.g. one-hot) first")
    shape = tuple(int(d) for d in obs_space.shape)
    if encoder == "auto":
        encoder = "conv" if len(shape) == 3 else "mlp"
    if encoder == "conv" and (len(shape) != 3 or min(shape[:2]) < 3):
        raise ValueError(f"encoder='conv' needs [H, W, C] observations with H, W >= 3,"
                         f" got shape {shape}")
    return shape, int(act_space.n), encoder


class FrameReplay:
    """Replay of ``(obs, act, rew, next_obs, terminated)`` keeping observations in
    their own shape and a compact dtype (booleans as uint8: MinAtar frames are
    400 bytes, not 1600)."""

    def __init__(self, shape: tuple[int, ...], dtype, capacity: int) -> None:
        dtype = np.uint8 if np.dtype(dtype) == np.bool_ else np.dtype(dtype)
        self.obs = np.zeros((capacity, *shape), dtype)
        self.next_obs = np.zeros((capacity, *shape), dtype)
        self.act = np.zeros(capacity, np.int64)
        self.rew = np.zeros(capacity, np.float32)
        self.term = np.zeros(capacity, bool)
        self.capacity, self.size, self._slot = capacity, 0, 0

    def add(self, obs, act: int, rew: float, next_obs, terminated: bool) -> None:
        i = self._slot
        self.obs[i], self.act[i], self.rew[i] = obs, act, rew
        self.next_obs[i], self.term[i] = next_obs, terminated
        self._slot = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator):
        """``(obs, act, rew, next_obs, terminated)`` tensors, drawn uniformly."""
        idx = rng.integers(0, self.size, size=batch_size)
        return (torch.as_tensor(self.obs[idx], dtype=torch.float32),
                torch.as_tensor(self.act[idx]), torch.as_tensor(self.rew[idx]),
                torch.as_tensor(self.next_obs[idx], dtype=torch.float32),
                torch.as_tensor(self.term[idx]))


class DQNAgent:
    """The online and target Q networks, their optimiser and one update."""

    def __init__(self, shape: tuple[int, ...], n_actions: int, encoder: str,
                 cfg: DQNConfig) -> None:
        self.cfg, self.n_actions = cfg, n_actions
        if encoder == "conv":
            self.q: nn.Module = ConvQ(shape, n_actions, cfg.hidden, cfg.seed)
        else:
            self.q = FlatQ(int(np.prod(shape)), n_actions, cfg.hidden, cfg.layers,
                           cfg.seed)
        self.q_targ = copy.deepcopy(self.q)
        for p in self.q_targ.parameters():
            p.requires_grad_(False)
        self.opt = torch.optim.Adam(self.q.parameters(), lr=cfg.lr)

    @torch.no_grad()
    def act(self, obs: np.ndarray, eps: float, rng: np.random.Generator) -> int:
        """Epsilon-greedy: a uniform action with probability ``eps``, else argmax Q."""
        if rng.random() < eps:
            return int(rng.integers(self.n_actions))
        q = self.q(torch.as_tensor(np.asarray(obs), dtype=torch.float32)[None])
        return int(q[0].argmax())

    def update(self, batch) -> float:
        """One Huber-loss step on ``Q(s, a) -> y``; returns the loss."""
        obs, act, rew, next_obs, term = batch
        with torch.no_grad():
            online = self.q(next_obs) if self.cfg.double else None
            y = td_target(rew, term, self.q_targ(next_obs), self.cfg.gamma, online)
        q_sa = self.q(obs).gather(-1, act[:, None])[:, 0]
        loss = nn.functional.huber_loss(q_sa, y, delta=self.cfg.huber_delta)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q.parameters(), self.cfg.max_grad_norm)
        self.opt.step()
        return loss.item()

    def sync_target(self) -> None:
        self.q_targ.load_state_dict(self.q.state_dict())


@dataclass
class DQNResult:
    """What :func:`train` returns."""

    agent: DQNAgent
    eval_steps: list[int]
    """Real steps at which the greedy policy was evaluated."""
    eval_returns: list[float]
    """Mean undiscounted return of the greedy policy at those steps."""
    episode_returns: list[float]
    """Return of every finished training episode (epsilon-greedy behaviour)."""
    losses: list[float]
    """Mean TD loss over each ``eval_every`` window."""
    seconds: float


def evaluate(env: gym.Env, agent: DQNAgent, episodes: int, seed: int) -> float:
    """Mean undiscounted return of the greedy policy over ``episodes`` episodes."""
    rng, total = stream_rng(seed, "eval_actions"), 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=stream_seed(seed, "eval", i))
        done = False
        while not done:
            obs, r, term, trunc, _ = env.step(agent.act(obs, 0.0, rng))
            total += float(r)
            done = term or trunc
    return total / episodes


def _fresh(env: gym.Env) -> gym.Env:
    if env.spec is None:
        raise ValueError("this env is not registered with gymnasium; pass eval_env=")
    return gym.make(env.spec)


def train(env: gym.Env | str, cfg: DQNConfig = DQNConfig(), *, progress: bool = False,
          eval_env: gym.Env | None = None) -> DQNResult:
    """DQN: act epsilon-greedily, store, update every ``train_every`` steps, copy
    the target network every ``target_update_every`` steps.

    ``eval_env`` (default: a fresh copy of a registered ``env``) scores the greedy
    policy every ``cfg.eval_every`` steps on fixed start seeds.
    """
    env = as_env(env)
    shape, n_actions, encoder = check_env(env, cfg.encoder)
    t0 = time.time()
    rng = make_rng(cfg.seed)
    agent = DQNAgent(shape, n_actions, encoder, cfg)
    buf = FrameReplay(shape, env.observation_space.dtype,
                      min(cfg.buffer_size, cfg.total_steps))
    eval_env = eval_env if eval_env is not None else _fresh(env)
    res = DQNResult(agent, [], [], [], [], 0.0)
    window: list[float] = []
    obs, _ = env.reset(seed=cfg.seed)
    ep_ret = 0.0
    for t in tqdm(range(1, cfg.total_steps + 1), desc="DQN", leave=False,
                  disable=not progress):
        a = agent.act(obs, epsilon_at(t, cfg), rng)
        next_obs, r, term, trunc, _ = env.step(a)
        buf.add(obs, a, r, next_obs, term)  # truncation is not termination
        ep_ret += float(r)
        obs = next_obs
        if term or trunc:
            res.episode_returns.append(ep_ret)
            obs, _ = env.reset()
            ep_ret = 0.0
        if t > cfg.start_steps and t % cfg.train_every == 0:
            window.append(agent.update(buf.sample(cfg.batch_size, rng)))
        if t % cfg.target_update_every == 0:
            agent.sync_target()
        if t % cfg.eval_every == 0:
            res.eval_steps.append(t)
            res.eval_returns.append(evaluate(eval_env, agent, cfg.eval_episodes,
                                             seed=cfg.seed))
            res.losses.append(float(np.mean(window)) if window else float("nan"))
            window = []
    res.seconds = time.time() - t0
    return res
