"""A replay buffer of continuous transitions, shared by the deep methods.

Fixed capacity, first in first out. ``add`` takes one transition or a batch
(leading dimension), ``sample`` draws uniformly with an explicit generator,
and ``all`` hands back everything stored (oldest first), which is what model
fitting wants.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


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
