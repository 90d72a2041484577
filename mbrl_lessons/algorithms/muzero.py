"""MuZero (Schrittwieser et al. 2020): tree search in a learned latent model, §7.5.

Three small networks make the model:

* representation ``h(o) -> s``: an observation to a hidden state;
* dynamics ``g(s, a) -> (r, s')``: a predicted reward and the next hidden state;
* prediction ``f(s) -> (logits, v)``: a policy prior and a value.

The hidden state is never asked to look like the observation.  Training unrolls
``g`` for ``K`` steps along a stored trajectory and fits, at every step, only
the three quantities a planner needs: the observed reward, an ``n``-step value
target and the search's visit-count policy (*value equivalence*).

Acting runs the pUCT tree search of ``mbrl_lessons.search.puct`` over the
hidden states: each simulation descends by the pUCT rule (prior-weighted UCB,
paper eq. 2) with min-max normalised Q values, expands one leaf with a single
call of ``g`` and ``f`` (no rollout), and backs up the discounted return.  The
root's visit counts are both the behaviour policy (with Dirichlet noise at the
root and a temperature) and the policy target.  The search takes any
mctx-style ``recurrent_fn(state, action) -> RecurrentOutput``, so the same
code runs over the learned model or over a known simulator (AlphaZero's
setting, ``algorithms/alphazero.py``).

This is a single-player, discrete-action version for small tabular tasks such
as the Dyna maze of chapter 6: scalar (not categorical) reward and value heads,
whole-episode replay sampled uniformly.  Departures from the paper's
pseudocode, each for the small budgets of the book: by default
the n-step targets bootstrap from the latest network's value, refreshed after
every episode, and after every episode the policy targets of 200 random stored
positions are replaced by a fresh search with the latest network (both halves
of MuZero Reanalyse, made cheap); the output layers start at zero (uniform
prior, zero value and reward); greedy evaluation breaks visit ties by Q.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.search.puct import (
    PUCTNode,
    RecurrentOutput,
    best_action,
    run_mcts,
    visit_policy,
)

# ------------------------------------------------------------------ networks


def scale_hidden(s: torch.Tensor) -> torch.Tensor:
    """Min-max scale each hidden state ``[B, D]`` to ``[0, 1]`` (paper, App. G):
    keeps the states the dynamics reads on the same scale as its action input."""
    lo = s.min(-1, keepdim=True).values
    hi = s.max(-1, keepdim=True).values
    return (s - lo) / (hi - lo).clamp_min(1e-5)


class MuZeroNet(nn.Module):
    """``h``, ``g`` and ``f`` as MLPs with one hidden layer each."""

    def __init__(self, obs_dim: int, n_actions: int, latent_dim: int = 32,
                 hidden: int = 64, seed: int = 0) -> None:
        super().__init__()
        self.n_actions, self.latent_dim = n_actions, latent_dim
        self.representation = mlp(obs_dim, latent_dim, hidden, 1, nn.ELU, seed)
        self.dynamics = mlp(latent_dim + n_actions, latent_dim + 1, hidden, 1,
                            nn.ELU, seed + 1)
        self.prediction = mlp(latent_dim, n_actions + 1, hidden, 1, nn.ELU, seed + 2)
        # start from a uniform prior, zero values and zero rewards: a random
        # offset in the first search values would live on in the bootstrapped
        # targets, which keep the search values they were stored with
        with torch.no_grad():
            self.prediction[-1].weight.zero_()
            self.prediction[-1].bias.zero_()
            self.dynamics[-1].weight[-1].zero_()
            self.dynamics[-1].bias[-1].zero_()

    def predict(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f``: hidden states ``[B, D]`` -> logits ``[B, A]``, values ``[B]``."""
        out = self.prediction(s)
        return out[:, :-1], out[:, -1]

    def initial_inference(self, obs: torch.Tensor):
        """``h`` then ``f``: obs ``[B, O]`` -> (s ``[B, D]``, logits, value)."""
        s = scale_hidden(self.representation(obs))
        return (s, *self.predict(s))

    def recurrent_inference(self, s: torch.Tensor, act: torch.Tensor):
        """``g`` then ``f``: (s ``[B, D]``, act ``[B]`` long) ->
        ``RecurrentOutput`` of reward ``[B]``, s' ``[B, D]``, logits ``[B, A]``,
        value ``[B]``."""
        a = nn.functional.one_hot(act, self.n_actions).to(s.dtype)
        out = self.dynamics(torch.cat([s, a], -1))
        s2 = scale_hidden(out[:, :-1])
        return RecurrentOutput(out[:, -1], s2, *self.predict(s2))


class FrozenModel:
    """A numpy copy of ``h``, ``g`` and ``f`` for the search.

    A search calls the model once per simulation on a single state; in torch
    the call overhead is far larger than the arithmetic, so acting uses a
    snapshot of the weights (taken once per search or episode) in numpy.
    """

    def __init__(self, net: MuZeroNet) -> None:
        def layers(seq: nn.Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
            return [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy())
                    for m in seq if isinstance(m, nn.Linear)]
        self.h, self.g = layers(net.representation), layers(net.dynamics)
        self.f, self.n_actions = layers(net.prediction), net.n_actions

    @staticmethod
    def _mlp(layers, x: np.ndarray) -> np.ndarray:
        for i, (w, b) in enumerate(layers):
            x = x @ w + b
            if i < len(layers) - 1:
                x = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))  # ELU
        return x

    @staticmethod
    def _scale(s: np.ndarray) -> np.ndarray:
        return (s - s.min()) / max(s.max() - s.min(), 1e-5)

    def values(self, obs: np.ndarray) -> np.ndarray:
        """``f(h(o))``'s value for a batch of observations ``[B, O]`` -> ``[B]``."""
        s = self._mlp(self.h, obs)
        lo, hi = s.min(-1, keepdims=True), s.max(-1, keepdims=True)
        return self._mlp(self.f, (s - lo) / np.maximum(hi - lo, 1e-5))[:, -1]

    def initial(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """obs ``[O]`` -> (hidden state ``[D]``, logits ``[A]``, value)."""
        s = self._scale(self._mlp(self.h, obs))
        out = self._mlp(self.f, s)
        return s, out[:-1], float(out[-1])

    def recurrent(self, s: np.ndarray, action: int) -> RecurrentOutput:
        """An mctx-style ``recurrent_fn``: (state ``[D]``, action) -> reward,
        next state ``[D]``, logits ``[A]``, value (never terminal: the model
        has to learn what an absorbing state looks like)."""
        a = np.zeros(self.n_actions, s.dtype)
        a[action] = 1.0
        out = self._mlp(self.g, np.concatenate([s, a]))
        s2 = self._scale(out[:-1])
        pred = self._mlp(self.f, s2)
        return RecurrentOutput(float(out[-1]), s2, pred[:-1], float(pred[-1]))


# ----------------------------------------------------------------- targets


def n_step_value_targets(rewards: np.ndarray, root_values: np.ndarray, gamma: float,
                         n: int, terminated: bool = True) -> np.ndarray:
    """``z_t = sum_{i<n} gamma^i r_{t+i} + gamma^n v_{t+n}`` for ``t = 0..T``.

    ``rewards[t]`` (``[T]``) follows action ``t``; ``root_values`` (``[T + 1]``)
    are the search values, the last one of the final observation.  Past the end
    of a terminated episode nothing is added (the terminal state is worth 0);
    a truncated one bootstraps from its final search value.  Returns ``[T + 1]``.
    """
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


class UnrollBatch(NamedTuple):
    """Targets for ``K`` unroll steps from ``B`` sampled positions."""

    obs: torch.Tensor         # [B, O] observation at the start position
    actions: torch.Tensor     # [B, K] long
    value: torch.Tensor       # [B, K + 1] n-step value targets
    reward: torch.Tensor      # [B, K + 1] observed rewards (entry 0 unused)
    policy: torch.Tensor      # [B, K + 1, A] search visit distributions
    policy_mask: torch.Tensor  # [B, K + 1] 1 where a search policy exists
    mask: torch.Tensor        # [B, K + 1] 0 past the end of a truncated episode


class EpisodeReplay:
    """Whole episodes, each padded with ``K`` steps past its end, in flat arrays.

    Past a terminal state the model is taught to stay put: random actions,
    reward 0, value 0, no policy target.  Past a cut (truncated) episode
    nothing is known, so those steps are masked out of the loss.
    """

    def __init__(self, obs_dim: int, n_actions: int, K: int) -> None:
        self.obs_dim, self.n_actions, self.K = obs_dim, n_actions, K
        self._parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "obs", "act", "value", "reward", "policy", "policy_mask", "mask")}
        self.starts: list[np.ndarray] = []  # flat index of every start position
        self.size = 0
        self._flat: dict[str, np.ndarray] | None = None
        self.episodes: list[tuple[np.ndarray, np.ndarray, bool]] = []

    def add(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray,
            policies: np.ndarray, value_targets: np.ndarray, terminated: bool,
            rng: np.random.Generator) -> None:
        """Store one episode: obs ``[T + 1, O]``, actions and rewards ``[T]``,
        search policies ``[T, A]``, value targets ``[T + 1]``."""
        T, K, A = len(actions), self.K, self.n_actions
        if obs.shape != (T + 1, self.obs_dim) or policies.shape != (T, A):
            raise ValueError(f"an episode of {T} steps needs obs [{T + 1}, "
                             f"{self.obs_dim}] and policies [{T}, {A}], got "
                             f"{obs.shape} and {policies.shape}")
        n = T + 1 + K  # rows: positions 0..T+K
        pad = np.zeros((n - T - 1, self.obs_dim), np.float32)
        part = {
            "obs": np.concatenate([obs, pad]).astype(np.float32),
            "act": np.concatenate([actions, rng.integers(A, size=K + 1)]),
            "value": np.concatenate([value_targets, np.zeros(K)]),
            # reward[i] is the reward of the step INTO position i
            "reward": np.concatenate([[0.0], rewards, np.zeros(K)]),
            "policy": np.concatenate([policies, np.full((K + 1, A), 1.0 / A)]),
            "policy_mask": np.r_[np.ones(T), np.zeros(K + 1)],
            "mask": np.r_[np.ones(T + 1), np.full(K, float(terminated))],
        }
        for k, v in part.items():
            self._parts[k].append(v)
        self.episodes.append((obs, np.asarray(rewards, np.float64), terminated))
        self.starts.append(self.size + np.arange(T))
        self.size += n
        self._flat = None

    def refresh_values(self, value_fn: Callable[[np.ndarray], np.ndarray],
                       gamma: float, n: int) -> None:
        """Recompute every n-step value target, bootstrapping from
        ``value_fn(obs [T + 1, O]) -> [T + 1]`` (a recent network: the value
        half of MuZero Reanalyse) instead of the stored search values."""
        for e, (obs, rewards, terminated) in enumerate(self.episodes):
            z = n_step_value_targets(rewards, value_fn(obs), gamma, n, terminated)
            self._parts["value"][e][:len(z)] = z
        self._flat = None

    def reanalyse_policies(self, policy_fn: Callable[[np.ndarray], np.ndarray],
                           n_positions: int, rng: np.random.Generator) -> None:
        """Replace the policy targets of ``n_positions`` stored positions (a
        uniform episode, then a uniform step) by ``policy_fn(obs [O]) -> [A]``,
        a fresh search with a recent network (the policy half of MuZero
        Reanalyse)."""
        for _ in range(n_positions):
            e = int(rng.integers(len(self.episodes)))
            obs = self.episodes[e][0]
            t = int(rng.integers(len(obs) - 1))
            self._parts["policy"][e][t] = policy_fn(obs[t])
        self._flat = None

    def sample(self, batch_size: int, rng: np.random.Generator) -> UnrollBatch:
        """A uniform episode, then a uniform position in it (paper's pseudocode)."""
        if not self.starts:
            raise ValueError("the replay is empty")
        if self._flat is None:
            self._flat = {k: np.concatenate(v) for k, v in self._parts.items()}
        f = self._flat
        eps = rng.integers(len(self.starts), size=batch_size)
        t0 = np.array([self.starts[e][rng.integers(len(self.starts[e]))] for e in eps])
        idx = t0[:, None] + np.arange(self.K + 1)  # [B, K + 1]

        def tens(x, dtype=torch.float32):
            return torch.as_tensor(x, dtype=dtype)

        return UnrollBatch(tens(f["obs"][t0]), tens(f["act"][idx[:, :-1]], torch.long),
                           tens(f["value"][idx]), tens(f["reward"][idx]),
                           tens(f["policy"][idx]), tens(f["policy_mask"][idx]),
                           tens(f["mask"][idx]))


# -------------------------------------------------------------------- losses


class Unroll(NamedTuple):
    value: torch.Tensor   # [B, K + 1]
    reward: torch.Tensor  # [B, K + 1] (entry 0 is 0)
    logits: torch.Tensor  # [B, K + 1, A]


def unroll(net: MuZeroNet, obs: torch.Tensor, actions: torch.Tensor) -> Unroll:
    """``h`` once, then ``g`` along ``actions [B, K]``, with ``f`` at every step.

    The gradient into each hidden state is halved (paper App. G) so that the
    total gradient through a long unroll stays of the same size.
    """
    if obs.ndim != 2 or actions.ndim != 2 or len(obs) != len(actions):
        raise ValueError(f"unroll needs obs [B, O] and actions [B, K], got "
                         f"{tuple(obs.shape)} and {tuple(actions.shape)}")
    s, logits, v = net.initial_inference(obs)
    values, rewards, all_logits = [v], [torch.zeros_like(v)], [logits]
    for k in range(actions.shape[1]):
        s = 0.5 * s + 0.5 * s.detach()
        step = net.recurrent_inference(s, actions[:, k])
        s = step.next_state
        values.append(step.value)
        rewards.append(step.reward)
        all_logits.append(step.logits)
    return Unroll(torch.stack(values, 1), torch.stack(rewards, 1),
                  torch.stack(all_logits, 1))


def muzero_losses(net: MuZeroNet, batch: UnrollBatch,
                  step_weight: float | None = None) -> torch.Tensor:
    """Value, reward and policy losses ``[3]`` (paper eq. 1), each summed over
    the unroll and averaged over the batch; steps ``k >= 1`` are weighted
    ``step_weight`` (``None``: the paper's ``1/K``)."""
    out = unroll(net, batch.obs, batch.actions)
    K = batch.actions.shape[1]
    w = torch.full((K + 1,), 1.0 / K if step_weight is None else step_weight)
    w[0] = 1.0
    w = w * batch.mask
    value = ((out.value - batch.value) ** 2 * w).sum(1).mean()
    reward = ((out.reward - batch.reward)[:, 1:] ** 2 * w[:, 1:]).sum(1).mean()
    ce = -(batch.policy * torch.log_softmax(out.logits, -1)).sum(-1)
    policy = (ce * batch.policy_mask * w).sum(1).mean()
    return torch.stack([value, reward, policy])


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
    """``"search"``: bootstrap the n-step target from the search value stored
    while acting (the paper's main setting); ``"network"``: from the value of
    the network of the latest episode, all targets refreshed after each episode
    (like MuZero Reanalyse's target network)."""
    step_weight: float | None = None
    """Loss weight of each unrolled step ``k >= 1`` (``None``: ``1/K``)."""
    reanalyse_positions: int = 200
    """Stored positions whose policy target is replaced, after each episode, by
    the visit counts of a fresh noise-free search with the latest network (the
    policy half of MuZero Reanalyse); 0 keeps the policies stored while
    acting."""
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
                     "eval_max_steps", "latent_dim", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"MuZeroConfig.{name} must be >= 1, "
                                 f"got {getattr(self, name)}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"MuZeroConfig.gamma must be in (0, 1], got {self.gamma}")
        if self.value_bootstrap not in ("search", "network"):
            raise ValueError("MuZeroConfig.value_bootstrap must be 'search' or "
                             f"'network', got {self.value_bootstrap!r}")
        if self.reanalyse_positions < 0:
            raise ValueError("MuZeroConfig.reanalyse_positions must be >= 0, "
                             f"got {self.reanalyse_positions}")
        if not 0.0 <= self.noise_fraction <= 1.0:
            raise ValueError("MuZeroConfig.noise_fraction must be in [0, 1]")


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


def encoder_for(space: spaces.Space) -> Callable[[Any], np.ndarray]:
    """Observation -> float32 vector: one-hot for Discrete, flattened for Box."""
    if isinstance(space, spaces.Discrete):
        eye = np.eye(space.n, dtype=np.float32)
        return lambda o: eye[int(o)]
    if isinstance(space, spaces.Box):
        return lambda o: np.asarray(o, np.float32).reshape(-1)
    raise TypeError(f"MuZero needs a Discrete or Box observation space, got {space}")


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


def greedy_steps(env, net: MuZeroNet, cfg: MuZeroConfig, use_search: bool) -> float:
    """Steps from a reset to termination acting greedily (most-visited move, or
    argmax of the raw policy head); ``nan`` if not done in ``eval_max_steps``."""
    enc, model = encoder_for(env.observation_space), FrozenModel(net)
    obs, _ = env.reset(seed=0)
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
    steps, losses, evals = [], [], []
    all_obs = None  # every state, for the value maps of a tabular task
    if isinstance(env.observation_space, spaces.Discrete):
        all_obs = torch.as_tensor(np.eye(env.observation_space.n, dtype=np.float32))

    def evaluate() -> None:
        vmap = np.zeros(0)
        if all_obs is not None:
            with torch.inference_mode():
                vmap = net.initial_inference(all_obs)[2].numpy()
        evals.append((len(steps), sum(steps), greedy_steps(env, net, cfg, True),
                      greedy_steps(env, net, cfg, False), vmap))

    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    for ep in tqdm(range(cfg.n_episodes), desc="MuZero", leave=False,
                   disable=not progress):
        if ep % cfg.eval_every == 0:
            evaluate()
            obs, _ = env.reset()
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
            rews.append(r)
            pis.append(visit_policy(root, 1.0))
            vals.append(root.V)
            if term or trunc:
                break
        # the final observation: worth 0 if terminal, else its search value
        vals.append(0.0 if term else search(model, xs[-1], cfg).V)
        z = n_step_value_targets(rews, vals, cfg.gamma, cfg.td_steps, term)
        replay.add(np.stack(xs), np.array(acts), np.array(rews), np.stack(pis), z,
                   term, rng)
        if cfg.value_bootstrap == "network":
            replay.refresh_values(FrozenModel(net).values, cfg.gamma, cfg.td_steps)
        if cfg.reanalyse_positions:
            replay.reanalyse_policies(partial(fresh_policy, FrozenModel(net), cfg),
                                      cfg.reanalyse_positions, rng)
        steps.append(len(acts))
        obs, _ = env.reset()
        for _ in range(cfg.updates_per_episode):
            parts = muzero_losses(net, replay.sample(cfg.batch_size, rng),
                                  cfg.step_weight)
            opt.zero_grad()
            parts.sum().backward()
            opt.step()
            losses.append(parts.detach().numpy())
    evaluate()
    ev = list(zip(*evals, strict=True))
    return MuZeroResult(net, np.array(steps), np.array(ev[0]), np.array(ev[1]),
                        np.array(ev[2]), np.array(ev[3]), np.stack(ev[4]),
                        np.array(losses).reshape(-1, 3), time.time() - t0, cfg)


__all__ = ["EpisodeReplay", "FrozenModel", "MuZeroConfig", "MuZeroNet", "MuZeroResult",
           "Unroll", "UnrollBatch", "encoder_for", "fresh_policy", "greedy_steps",
           "muzero_losses", "n_step_value_targets", "scale_hidden", "search", "train",
           "unroll"]
