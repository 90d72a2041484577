"""A sled that must stop on a goal beyond a patch of ice (chapter 4).

A task built so that the random data of scheme v0.5 miss exactly the states
a good plan passes through.  The sled starts at rest at ``x = 0`` on rough
ground, where friction eats half its speed every step; the ice begins at
``x = 1`` and has no friction at all; the goal is ``x = 2``, on the ice.
Random pushes barely move the sled on the ground (its position wanders by a
few tenths), so a model fitted to them has never seen ice.  It predicts that
friction will stop the sled, a plan from it pushes hard the whole way, and on
the ice the sled keeps speeding up and crashes into the wall at ``x = 4``.

Dynamics (``dt`` folded into the constants), observation ``[x, v]``, action
``a`` in ``[-1, 1]``::

    v' = (1 - c(x)) v + 0.2 a,   c(x) = 0.5 if x < 1 else 0
    x' = x + 0.1 v'

with walls at ``x = -1`` and ``x = 4``: the sled stops there (``v = 0``).
Reward ``-(x - 2)^2 - 0.01 a^2`` per step, charged on the state before the
step (as the pendulum's is), and ``CRASH_PENALTY`` more on a step that hits
the far wall faster than ``CRASH_SPEED``.  Episodes last 80 steps.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces

ICE_START, GOAL, WALL_LOW, WALL_HIGH = 1.0, 2.0, -1.0, 4.0
GROUND_FRICTION, THRUST, DT = 0.5, 0.2, 0.1
CRASH_SPEED, CRASH_PENALTY = 1.0, 10.0
EPISODE_STEPS = 80


def ice_step(obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
    """The true next observation; ``obs [..., 2]``, ``act [..., 1]``."""
    x, v = obs[..., 0], obs[..., 1]
    a = act[..., 0].clamp(-1.0, 1.0)
    friction = torch.where(x < ICE_START, GROUND_FRICTION, 0.0)
    v2 = (1 - friction) * v + THRUST * a
    x2 = x + DT * v2
    hit = (x2 <= WALL_LOW) | (x2 >= WALL_HIGH)
    x2 = x2.clamp(WALL_LOW, WALL_HIGH)
    v2 = torch.where(hit, torch.zeros_like(v2), v2)
    return torch.stack([x2, v2], -1)


def ice_reward(obs: torch.Tensor, act: torch.Tensor,
               next_obs: torch.Tensor | None = None) -> torch.Tensor:
    """``-(x - 2)^2 - 0.01 a^2``, and the crash penalty when ``next_obs`` is
    given and the sled hit the far wall faster than ``CRASH_SPEED``.
    ``obs [..., 2]``, ``act [..., 1]`` -> ``[...]``."""
    r = -(obs[..., 0] - GOAL) ** 2 - 0.01 * act[..., 0].clamp(-1, 1) ** 2
    if next_obs is not None:
        r = r - CRASH_PENALTY * crashed(obs, act, next_obs).float()
    return r


def crashed(obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor
            ) -> torch.Tensor:
    """Whether a step ran into the far wall faster than ``CRASH_SPEED``
    (the speed the sled would have had without the wall)."""
    v = (1 - torch.where(obs[..., 0] < ICE_START, GROUND_FRICTION, 0.0)) \
        * obs[..., 1] + THRUST * act[..., 0].clamp(-1, 1)
    return (next_obs[..., 0] >= WALL_HIGH - 1e-6) & (v > CRASH_SPEED)


class IceSlide(gym.Env):
    """The sled of the module docstring; ``info["crash"]`` flags a crash."""

    metadata = {"render_modes": []}

    def __init__(self) -> None:
        self.observation_space = spaces.Box(np.array([WALL_LOW, -10.0], np.float32),
                                            np.array([WALL_HIGH, 10.0], np.float32))
        self.action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.state = np.zeros(2, np.float32)

    def reset(self, *, seed: int | None = None, options=None):
        super().reset(seed=seed)
        # a small random start on the rough ground
        self.state = np.array([self.np_random.uniform(-0.1, 0.1), 0.0], np.float32)
        return self.state.copy(), {}

    def step(self, action):
        obs = torch.as_tensor(self.state)
        act = torch.as_tensor(np.asarray(action, np.float32).reshape(1))
        nxt = ice_step(obs, act)
        reward = float(ice_reward(obs, act, nxt))
        crash = bool(crashed(obs, act, nxt))
        self.state = nxt.numpy().astype(np.float32)
        return self.state.copy(), reward, False, False, {"crash": crash}
