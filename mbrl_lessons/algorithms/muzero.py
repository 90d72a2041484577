"""MuZero (Schrittwieser et al. 2020): tree search in a learned latent model, §7.5.

Three small networks (``models/muzero_net.py``, with the unrolled loss), representation
``h(o) -> s``, dynamics ``g(s, a) -> (r, s')`` and prediction
``f(s) -> (logits, v)``, are trained by unrolling ``g`` for ``K`` steps
along stored trajectories and fitting only what a planner needs: the observed
reward, an ``n``-step value and the search's visit counts (*value
equivalence*; the hidden state never has to look like the observation).
Acting runs the pUCT search of :mod:`mbrl_lessons.search.puct` through the
``recurrent_fn`` protocol, as AlphaZero does over a game's rules.

Rewards follow rlax's ``r_t``: ``rewards[t]`` of an episode arrives with
observation ``t + 1``; an unroll target ``reward[k]`` is the reward of the
step into position ``k`` (``reward[0]`` is unused, like the paper's ``r^0``).

Single-player, discrete actions, scalar (not categorical) reward and value
heads, whole episodes replayed uniformly: a version for small tabular tasks
such as chapter 6's Dyna maze.  For the book's small budgets it departs from
the paper in three ways: both halves of MuZero Reanalyse, made cheap (value
targets re-bootstrapped from the latest network and 200 policy targets
re-searched after each episode); zero-initialised output layers (uniform
prior, zero value and reward); visit ties broken by Q when acting greedily.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import numpy as np
import torch
from gymnasium import spaces

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.replay import EpisodeReplay
from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.envs import encoder_for
from mbrl_lessons.models.muzero_net import FrozenModel, MuZeroNet, muzero_losses
from mbrl_lessons.search.puct import PUCTNode, best_action, run_mcts, visit_policy

# ----------------------------------------------------------------- targets


def n_step_value_targets(rewards: np.ndarray, root_values: np.ndarray, gamma: float,
                         n: int, terminated: bool = True) -> np.ndarray:
    """``z_t = sum_{i<n} gamma^i r_{t+1+i} + gamma^n v_{t+n}`` for ``t = 0..T``.

    ``rewards[t]`` (``[T]``) is ``r_{t+1}``, the reward that arrives after
    action ``t`` (rlax's ``r_t``), so the sum reads ``rewards[t:t + n]``;
    ``root_values`` (``[T + 1]``) are the search values ``v_t``, the last one
    of the final observation.  Past the end of a terminated episode nothing is
    added (the terminal state is worth 0); a truncated one bootstraps from its
    final search value.  Returns ``[T + 1]``."""
    rewards = np.asarray(rewards, dtype=np.float64)
    root_values = np.asarray(root_values, dtype=np.float64)
    T = len(rewards)
    if root_values.shape != (T + 1,):
        raise ValueError(f"root_values must have shape ({T + 1},) for {T} rewards, "
                         f"got {root_values.shape}")
    if n < 1:
        raise ValueError(f"n (td steps) must be >= 1, got {n}")
    z = np.zeros(T + 1)
    for t in range(T + 1):
        end = min(t + n, T)
        z[t] = sum(gamma ** (i - t) * rewards[i] for i in range(t, end))
        if t + n < T or not terminated:  # a terminal state adds nothing
            z[t] += gamma ** (end - t) * root_values[end]
    return z


# -------------------------------------------------------------------- training


@dataclass(frozen=True)
class MuZeroConfig:
    """MuZero settings; defaults learn the Dyna maze in about a minute."""

    n_episodes: int = 40
    """Real episodes to play."""
    max_episode_steps: int = 2000
    """Episodes are cut (truncated, not terminated) after this many steps."""
    n_simulations: int = 30
    """Search simulations per real move."""
    unroll_steps: int = 5
    """``K``: dynamics steps unrolled in training."""
    td_steps: int = 10
    """``n`` of the n-step value target."""
    gamma: float = 0.95
    """Discount factor (search and targets)."""
    value_bootstrap: str = "network"
    """n-step targets bootstrap from ``"search"``, the search value stored while
    acting (the paper's main setting), or ``"network"``, the latest network's
    value, every target refreshed after each episode (as in Reanalyse)."""
    step_weight: float | None = None
    """Loss weight of each unrolled step ``k >= 1`` (``None``: ``1/K``)."""
    reanalyse_positions: int = 200
    """Stored positions whose policy target is replaced by a fresh noise-free
    search with the latest network after each episode (0: never)."""
    updates_per_episode: int = 200
    """Adam steps after each episode."""
    batch_size: int = 64
    """Sampled start positions per Adam step."""
    lr: float = 3e-3
    """Adam step size."""
    weight_decay: float = 1e-4
    """L2 penalty (the paper's ``c ||theta||^2``)."""
    latent_dim: int = 32
    """Size of the hidden state ``s``."""
    hidden: int = 64
    """Width of the hidden layer of ``h``, ``g`` and ``f``."""
    c1: float = 1.25
    """pUCT exploration constant."""
    c2: float = 19652.0
    """pUCT visit-count scale."""
    dirichlet_alpha: float = 0.25
    """Root noise concentration while acting."""
    noise_fraction: float = 0.25
    """Share of the root prior replaced by noise while acting."""
    temperatures: tuple[float, ...] = (1.0, 0.5, 0.25)
    """Visit-count temperatures for acting, spread evenly over the episodes."""
    eval_every: int = 5
    """Evaluate greedy search and raw policy every this many episodes."""
    eval_max_steps: int = 50
    """Step cap of an evaluation episode (more counts as a failure)."""
    seed: int = 0
    """Seeds the network, the search noise and the replay sampling."""

    def __post_init__(self) -> None:
        for name in ("n_episodes", "max_episode_steps", "n_simulations",
                     "unroll_steps", "td_steps", "batch_size", "eval_every",
                     "eval_max_steps", "latent_dim", "hidden", "reanalyse_positions"):
            least = 0 if name == "reanalyse_positions" else 1
            if getattr(self, name) < least:
                raise ValueError(f"MuZeroConfig.{name} must be >= {least}, "
                                 f"got {getattr(self, name)}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"MuZeroConfig.gamma must be in (0, 1], got {self.gamma}")
        if self.value_bootstrap not in ("search", "network"):
            raise ValueError("MuZeroConfig.value_bootstrap must be 'search' or "
                             f"'network', got {self.value_bootstrap!r}")
        if not 0.0 <= self.noise_fraction <= 1.0:
            raise ValueError("MuZeroConfig.noise_fraction must be in [0, 1]")


class Checkpoint(NamedTuple):
    """One evaluation of the greedy agent (every ``cfg.eval_every`` episodes)."""

    episode: int           # training episodes played before it
    real_steps: int        # real steps used before it
    search_path: float     # steps to termination, most-visited move (nan: failed)
    policy_path: float     # the same with the raw policy head's argmax
    value_map: np.ndarray  # [S] f(h(o)) of every state of a Discrete space, else [0]


@dataclass
class MuZeroResult:
    """What :func:`train` returns; evaluation arrays have one row per checkpoint."""

    net: MuZeroNet
    steps_per_episode: np.ndarray   # [E] real steps of each training episode
    eval_episode: np.ndarray        # [C] episodes played before each checkpoint
    eval_real_steps: np.ndarray     # [C] real steps used before each checkpoint
    search_path: np.ndarray         # [C] greedy search steps to goal (nan: failed)
    policy_path: np.ndarray         # [C] raw policy steps to goal (nan: failed)
    value_maps: np.ndarray          # [C, S] predicted value of every state
    losses: np.ndarray              # [U, 3] value, reward, policy
    seconds: float
    config: MuZeroConfig = field(repr=False, default=None)


def search(model: FrozenModel, obs_vec: np.ndarray, cfg: MuZeroConfig,
           rng: np.random.Generator | None = None, explore: bool = False
           ) -> PUCTNode:
    """One MCTS over the learned model from an encoded observation ``[O]``."""
    s, logits, v = model.initial(obs_vec)
    return run_mcts(s, logits, v, model.recurrent, cfg.n_simulations,
                    gamma=cfg.gamma, rng=rng, dirichlet_alpha=cfg.dirichlet_alpha,
                    noise_fraction=cfg.noise_fraction if explore else 0.0,
                    c1=cfg.c1, c2=cfg.c2)


def fresh_policy(model: FrozenModel, cfg: MuZeroConfig, obs_vec: np.ndarray
                 ) -> np.ndarray:
    """The visit distribution ``[A]`` of a noise-free search (for Reanalyse)."""
    return visit_policy(search(model, obs_vec, cfg), 1.0)


def network_value_targets(model: FrozenModel, cfg: MuZeroConfig, obs: np.ndarray,
                          rewards: np.ndarray, terminated: bool) -> np.ndarray:
    """An episode's n-step targets ``[T + 1]`` bootstrapped from ``model``'s
    values of its observations ``[T + 1, O]`` (the value half of Reanalyse)."""
    return n_step_value_targets(rewards, model.values(obs), cfg.gamma, cfg.td_steps,
                                terminated)


def greedy_steps(env, net: MuZeroNet, cfg: MuZeroConfig, use_search: bool) -> float:
    """Steps from a reset to termination acting greedily (most-visited move, or
    argmax of the raw policy head); ``nan`` if not done in ``eval_max_steps``."""
    enc, model = encoder_for(env.observation_space), FrozenModel(net)
    obs, _ = env.reset(seed=0)  # the same start at every checkpoint
    for t in range(1, cfg.eval_max_steps + 1):
        x = enc(obs)
        if use_search:
            a = best_action(search(model, x, cfg), cfg.gamma)
        else:
            a = int(np.argmax(model.initial(x)[1]))
        obs, _, term, trunc, _ = env.step(a)
        if term:
            return float(t)
        if trunc:
            break
    return math.nan


def train(env, cfg: MuZeroConfig = MuZeroConfig(), *, progress: bool = False
          ) -> MuZeroResult:
    """Play ``cfg.n_episodes`` episodes with MuZero on ``env`` (discrete actions),
    training after each one; evaluates every ``cfg.eval_every`` episodes."""
    if not isinstance(env.action_space, spaces.Discrete):
        raise TypeError(f"MuZero needs a Discrete action space, got {env.action_space}")
    t0 = time.time()
    rng = make_rng(cfg.seed)
    enc = encoder_for(env.observation_space)
    n_actions = int(env.action_space.n)
    net = MuZeroNet(len(enc(env.observation_space.sample())), n_actions,
                    cfg.latent_dim, cfg.hidden, seed=cfg.seed)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    replay = EpisodeReplay(net.representation[0].in_features, n_actions,
                           cfg.unroll_steps)
    steps, losses, checkpoints = [], [], []
    tabular = isinstance(env.observation_space, spaces.Discrete)
    all_obs = torch.eye(env.observation_space.n) if tabular else None

    def evaluate() -> None:
        with torch.inference_mode():
            vmap = net.initial_inference(all_obs)[2].numpy() if tabular else np.zeros(0)
        # on a copy: greedy_steps resets with seed 0, which on the training env
        # would put every run on the same sequence of random events (and its
        # frames would count as training frames)
        probe = copy.deepcopy(env)
        checkpoints.append(Checkpoint(len(steps), sum(steps),
                                      greedy_steps(probe, net, cfg, True),
                                      greedy_steps(probe, net, cfg, False), vmap))

    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    for ep in tqdm(range(cfg.n_episodes), desc="MuZero", leave=False,
                   disable=not progress):
        if ep % cfg.eval_every == 0:
            evaluate()
        # 1. Act: search the learned model from every real state and draw the
        #    move from the root's visit counts (root noise; the temperature
        #    falls over training so that late episodes exploit what was learned)
        temp = cfg.temperatures[ep * len(cfg.temperatures) // cfg.n_episodes]
        model = FrozenModel(net)  # the weights do not change during an episode
        xs, acts, rews, pis, vals = [enc(obs)], [], [], [], []
        term = False
        for _ in range(cfg.max_episode_steps):
            root = search(model, xs[-1], cfg, rng, explore=True)
            a = int(rng.choice(n_actions, p=visit_policy(root, temp)))
            obs, r, term, trunc, _ = env.step(a)
            xs.append(enc(obs))
            acts.append(a)
            rews.append(r)  # r_t: arrives with obs t + 1
            pis.append(visit_policy(root, 1.0))  # the target is untempered
            vals.append(root.V)
            if term or trunc:
                break
        # 2. Store the episode with its targets: rewards, visit distributions
        #    and n-step values.  The final observation is worth 0 if terminal;
        #    a cut episode bootstraps from its search value (it could go on)
        vals.append(0.0 if term else search(model, xs[-1], cfg).V)
        z = n_step_value_targets(rews, vals, cfg.gamma, cfg.td_steps, term)
        replay.add(np.stack(xs), np.array(acts), np.array(rews), np.stack(pis), z,
                   term, rng)
        # 3. Reanalyse (cheap): stale targets from an ignorant early network
        #    would be replayed for the rest of training, so re-bootstrap every
        #    value target and re-search some stored positions with the latest one
        if cfg.value_bootstrap == "network":
            replay.refresh_values(partial(network_value_targets, FrozenModel(net),
                                          cfg))
        if cfg.reanalyse_positions:
            replay.reanalyse_policies(partial(fresh_policy, FrozenModel(net), cfg),
                                      cfg.reanalyse_positions, rng)
        steps.append(len(acts))
        obs, _ = env.reset()
        # 4. Learn: Adam steps on the K-step unrolled loss (reward, value and
        #    policy at every step; no reconstruction of observations)
        for _ in range(cfg.updates_per_episode):
            parts = muzero_losses(net, replay.sample(cfg.batch_size, rng),
                                  cfg.step_weight)
            opt.zero_grad()
            parts.sum().backward()
            opt.step()
            losses.append(parts.detach().numpy())
    evaluate()
    column = lambda name: np.array([getattr(c, name) for c in checkpoints])  # noqa: E731
    return MuZeroResult(
        net, np.array(steps), eval_episode=column("episode"),
        eval_real_steps=column("real_steps"), search_path=column("search_path"),
        policy_path=column("policy_path"), value_maps=column("value_map"),
        losses=np.array(losses).reshape(-1, 3), seconds=time.time() - t0, config=cfg)


# EpisodeReplay (core.replay), MuZeroNet, FrozenModel, muzero_losses (models.muzero_net)
# and encoder_for (envs) are imported here for the callers of this module
__all__ = ["Checkpoint", "MuZeroConfig", "MuZeroResult", "fresh_policy",
           "greedy_steps", "muzero_losses", "n_step_value_targets",
           "network_value_targets", "search", "train"]
