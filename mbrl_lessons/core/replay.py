"""Replay buffers, shared by the deep methods.

:class:`ReplayBuffer` holds continuous transitions (SAC, MBPO, PETS): fixed
capacity, first in first out. ``add`` takes one transition or a batch
(leading dimension), ``sample`` draws uniformly with an explicit generator,
and ``all`` hands back everything stored (oldest first), which is what model
fitting wants.

:class:`EpisodeReplay` holds whole episodes for MuZero's ``K``-step unrolled
training (§7.5) and samples :class:`UnrollBatch` es of targets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch


class Batch(NamedTuple):
    """Arrays with a leading batch dimension."""

    obs: np.ndarray
    act: np.ndarray
    rew: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray


class ReplayBuffer:
    """Transitions ``(obs, act, rew, next_obs, terminated)`` as float32 arrays."""

    def __init__(self, obs_dim: int, act_dim: int, capacity: int) -> None:
        sizes = {"obs_dim": obs_dim, "act_dim": act_dim, "capacity": capacity}
        for name, v in sizes.items():
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"ReplayBuffer: {name} must be a positive int, "
                                 f"got {v!r}")
        self.obs_dim, self.act_dim = int(obs_dim), int(act_dim)
        self.capacity = int(capacity)
        self._obs = np.zeros((capacity, obs_dim), np.float32)
        self._act = np.zeros((capacity, act_dim), np.float32)
        self._rew = np.zeros(capacity, np.float32)
        self._next = np.zeros((capacity, obs_dim), np.float32)
        self._term = np.zeros(capacity, bool)
        self._next_slot = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, act, rew, next_obs, terminated) -> None:
        """Store one transition, or a batch of them (arrays with a leading axis)."""
        obs = np.asarray(obs, np.float32)
        n = obs.shape[0] if obs.ndim == 2 else 1
        parts = {
            "obs": (obs, (n, self.obs_dim)),
            "act": (np.asarray(act, np.float32), (n, self.act_dim)),
            "rew": (np.asarray(rew, np.float32), (n,)),
            "next_obs": (np.asarray(next_obs, np.float32), (n, self.obs_dim)),
            "terminated": (np.asarray(terminated, bool), (n,)),
        }
        arrays = {}
        for name, (a, shape) in parts.items():
            if a.size != int(np.prod(shape)):
                raise ValueError(
                    f"ReplayBuffer.add: {name} has shape {a.shape}; expected {shape} "
                    f"(obs_dim={self.obs_dim}, act_dim={self.act_dim})")
            arrays[name] = a.reshape(shape)
        if n > self.capacity:  # only the newest ``capacity`` survive anyway
            arrays = {k: v[-self.capacity:] for k, v in arrays.items()}
            n = self.capacity
        idx = (self._next_slot + np.arange(n)) % self.capacity
        self._obs[idx] = arrays["obs"]
        self._act[idx] = arrays["act"]
        self._rew[idx] = arrays["rew"]
        self._next[idx] = arrays["next_obs"]
        self._term[idx] = arrays["terminated"]
        self._next_slot = int((self._next_slot + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def _take(self, idx: np.ndarray) -> Batch:
        return Batch(self._obs[idx], self._act[idx], self._rew[idx], self._next[idx],
                     self._term[idx])

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """``batch_size`` transitions drawn uniformly (with replacement)."""
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty")
        if not isinstance(rng, np.random.Generator):
            raise TypeError("ReplayBuffer.sample needs an np.random.Generator "
                            f"(explicit randomness), got {type(rng).__name__}")
        return self._take(rng.integers(0, self.size, size=int(batch_size)))

    def all(self) -> Batch:
        """Everything stored, oldest first."""
        start = self._next_slot if self.size == self.capacity else 0
        return self._take((start + np.arange(self.size)) % self.capacity)


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

    def refresh_values(self, targets_fn: Callable[[np.ndarray, np.ndarray, bool],
                                                  np.ndarray]) -> None:
        """Replace every episode's value targets by ``targets_fn(obs [T + 1, O],
        rewards [T], terminated) -> [T + 1]`` (MuZero bootstraps them from a
        recent network: the value half of MuZero Reanalyse)."""
        for e, (obs, rewards, terminated) in enumerate(self.episodes):
            z = targets_fn(obs, rewards, terminated)
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
