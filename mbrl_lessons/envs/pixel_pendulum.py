"""The pendulum seen through a small camera (chapter 5.7, state abstraction).

:func:`render_pendulum` draws a grey rod with a round bob on a black
background, procedurally and in one batched torch expression: every pixel's
brightness falls off linearly with its distance to the rod (a one-pixel soft
edge is a cheap anti-aliasing), so 5,000 frames of 24 x 24 render in under
0.1 s on one CPU thread, and a small change of angle changes the image
smoothly.
:func:`pixel_pendulum_dataset` rolls the true ``Pendulum-v1`` dynamics
(:func:`~mbrl_lessons.envs.pendulum.pendulum_step`) under random torques and
returns the frames with the actions and the hidden true states;
:func:`frame_angle` reads the angle back from a (possibly predicted) frame,
which is how the book scores forecasts made in pixels.

One frame shows the angle but not the angular velocity, so a model that sees
pixels gets *two* consecutive frames as its observation
(:func:`stack_frames`).  The angle convention is gymnasium's: ``theta = 0`` is
upright, and the rod's tip sits at ``(sin theta, cos theta)`` in image
coordinates with the y axis pointing up.

The same camera is also a task (chapter 7.1, World Models from pixels):
:class:`PixelPendulum` is ``Pendulum-v1`` whose observation is the frame
(registered as ``mbrl_lessons/PixelPendulum-v0`` and, with rare random
velocity kicks, ``mbrl_lessons/PixelPendulumKicks-v0``, both with
Pendulum-v1's 200-step limit).  :func:`kicked_step` is its transition in
batched torch, and :class:`PixelPendulumBatch` steps many such pendulums at
once with one explicit torch generator (what the benchmarks evaluate with;
a test checks it against the gymnasium env step for step).
"""

from __future__ import annotations

from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.core.seeding import SeedLike, make_rng
from mbrl_lessons.envs.pendulum import (
    MAX_SPEED,
    MAX_TORQUE,
    pendulum_reward,
    pendulum_step,
)


def render_pendulum(theta: torch.Tensor | np.ndarray | float, size: int = 24,
                    rod_length: float = 0.8, rod_width: float = 0.09,
                    bob_radius: float = 0.17) -> torch.Tensor:
    """Grayscale frames ``[..., size, size]`` (float32 in ``[0, 1]``) of a rod
    from the image centre at angle ``theta`` (shape ``[...]``, radians).

    Lengths are in units of half the image width.  A pixel's brightness is
    ``clip(0.5 + (r - d) / pixel, 0, 1)`` with ``d`` its distance to the rod
    (or the bob's centre) and ``r`` the half-width (or bob radius): one
    pixel of linear ramp across each edge.
    """
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    if not 0 < rod_length + bob_radius <= 1:
        raise ValueError("rod_length + bob_radius must be in (0, 1] so the "
                         "pendulum fits in the frame")
    theta = torch.as_tensor(theta, dtype=torch.float32)
    pixel = 2.0 / size
    # pixel centres; y points up so theta = 0 draws the pendulum upright
    coords = torch.linspace(-1 + pixel / 2, 1 - pixel / 2, size)
    y, x = coords.flip(0)[:, None], coords[None, :]                 # [S,1], [1,S]
    tip_x = (rod_length * torch.sin(theta))[..., None, None]         # [..., 1, 1]
    tip_y = (rod_length * torch.cos(theta))[..., None, None]
    # distance from each pixel to the segment pivot -> tip
    along = ((x * tip_x + y * tip_y) / rod_length**2).clamp(0.0, 1.0)
    d_rod = torch.hypot(x - along * tip_x, y - along * tip_y)
    d_bob = torch.hypot(x - tip_x, y - tip_y)
    rod = (0.5 + (rod_width / 2 - d_rod) / pixel).clamp(0.0, 1.0)
    bob = (0.5 + (bob_radius - d_bob) / pixel).clamp(0.0, 1.0)
    return torch.maximum(0.7 * rod, bob)


def stack_frames(frames: torch.Tensor) -> torch.Tensor:
    """Pair each frame with its predecessor: ``[N, T, H, W] -> [N, T-1, 2, H, W]``.

    Observation ``t`` (``t = 0 .. T-2``) holds frames ``t`` and ``t+1``: the
    second channel is the newest.  Under the pendulum's semi-implicit Euler
    step the angle moves by exactly ``DT * theta_dot`` between frames, so the
    pair carries the velocity that a single frame lacks.
    """
    if frames.ndim != 4 or frames.shape[1] < 2:
        raise ValueError("frames must be [N, T, H, W] with T >= 2, got "
                         f"{tuple(frames.shape)}")
    return torch.stack([frames[:, :-1], frames[:, 1:]], dim=2)


class PixelPendulumData(NamedTuple):
    frames: torch.Tensor   # [N, T + 1, H, W] rendered frames, float32 in [0, 1]
    actions: torch.Tensor  # [N, T, 1] torque applied between frame t and t + 1
    states: torch.Tensor   # [N, T + 1, 3] true (cos th, sin th, th_dot)


def pixel_pendulum_dataset(n_episodes: int, steps: int, seed: SeedLike,
                           size: int = 24, max_speed0: float = 2.0
                           ) -> PixelPendulumData:
    """``n_episodes`` trajectories of ``steps`` random torques each.

    Start angles are uniform on the circle (so every angle is seen) and start
    velocities uniform in ``[-max_speed0, max_speed0]``; torques are uniform
    in ``[-2, 2]``, drawn independently each step.
    """
    if n_episodes < 1 or steps < 1:
        raise ValueError(f"need n_episodes >= 1 and steps >= 1, got {n_episodes} "
                         f"and {steps}")
    rng = make_rng(seed)
    th0 = rng.uniform(-np.pi, np.pi, n_episodes)
    thdot0 = rng.uniform(-max_speed0, max_speed0, n_episodes)
    act = rng.uniform(-MAX_TORQUE, MAX_TORQUE, (n_episodes, steps, 1))
    actions = torch.as_tensor(act, dtype=torch.float32)
    s = torch.as_tensor(np.stack([np.cos(th0), np.sin(th0), thdot0], -1),
                        dtype=torch.float32)
    states = [s]
    for t in range(steps):
        s = pendulum_step(s, actions[:, t])
        states.append(s)
    states_t = torch.stack(states, 1)
    theta = torch.atan2(states_t[..., 1], states_t[..., 0])
    return PixelPendulumData(render_pendulum(theta, size), actions, states_t)


def frame_angle(frames: torch.Tensor) -> torch.Tensor:
    """Read the angle back from frames ``[..., S, S] -> [...]`` (radians).

    The brightness-weighted centroid of a frame lies on the rod, so its
    direction from the centre is the angle: exact up to pixelation for a
    rendered frame, and a fair summary of a blurred predicted one (whose
    centroid is pulled towards the centre as it spreads out).
    """
    if frames.ndim < 2 or frames.shape[-1] != frames.shape[-2]:
        raise ValueError(f"frames must be [..., S, S], got {tuple(frames.shape)}")
    size = frames.shape[-1]
    coords = torch.linspace(-1 + 1 / size, 1 - 1 / size, size)
    mass = frames.sum((-2, -1)).clamp_min(1e-8)
    cx = (frames * coords).sum((-2, -1)) / mass
    cy = (frames * coords.flip(0)[:, None]).sum((-2, -1)) / mass
    return torch.atan2(cx, cy)


# --------------------------------------------------------------- the pixel task
def kicked_step(state: torch.Tensor, act: torch.Tensor, kick: torch.Tensor
                ) -> torch.Tensor:
    """The pendulum's true step after a velocity kick: ``state [..., 3]``,
    ``act [..., 1]``, ``kick [...]`` (rad/s, 0 for no kick) -> ``[..., 3]``.

    The kick is added to the angular velocity (clipped to the top speed)
    before the step, so it already moves the next frame's angle by
    ``DT * kick``: a rare event the camera sees at once.
    """
    thdot = (state[..., 2] + kick).clamp(-MAX_SPEED, MAX_SPEED)
    return pendulum_step(torch.cat([state[..., :2], thdot[..., None]], -1), act)


def draw_kicks(n: int, kick_prob: float, kick_size: float,
               gen: torch.Generator) -> torch.Tensor:
    """``[n]`` kicks: ``+-kick_size`` (equally likely) with probability
    ``kick_prob`` each, else 0.  Always two draws of ``n`` uniforms, so the
    stream of random numbers does not depend on ``kick_prob``."""
    hit = torch.rand(n, generator=gen) < kick_prob
    sign = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    return hit * sign * kick_size


def _check_task(size: int, kick_prob: float, kick_size: float) -> None:
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    if not 0.0 <= kick_prob <= 1.0:
        raise ValueError(f"kick_prob must be in [0, 1], got {kick_prob!r}")
    if not (np.isfinite(kick_size) and kick_size >= 0):
        raise ValueError(f"kick_size must be a finite number >= 0, got {kick_size!r}")


class PixelPendulum(gym.Env):
    """``Pendulum-v1`` seen only through the camera: the observation is one
    grey ``size x size`` frame (float32 in ``[0, 1]``) of
    :func:`render_pendulum`; action, reward and reset distribution are
    Pendulum-v1's (angle uniform on the circle, speed uniform in
    ``[-1, 1]``).  One frame shows no velocity, so an agent must remember.

    With ``kick_prob > 0`` the pendulum is stochastic: at each step, with
    that probability, its velocity is kicked by ``+-kick_size`` rad/s
    (:func:`kicked_step`), a rare event that a too-confident model leaves
    out.  ``info["state"]`` holds the hidden true ``[cos, sin, th_dot]``.
    Like gymnasium's ``PendulumEnv`` the env itself never ends an episode;
    the registered ids add the 200-step time limit.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(self, size: int = 24, kick_prob: float = 0.0,
                 kick_size: float = 3.0, render_mode: str | None = None) -> None:
        _check_task(size, kick_prob, kick_size)
        self.size, self.kick_prob, self.kick_size = size, kick_prob, kick_size
        self.render_mode = render_mode
        self.observation_space = gym.spaces.Box(0.0, 1.0, (size, size), np.float32)
        self.action_space = gym.spaces.Box(-MAX_TORQUE, MAX_TORQUE, (1,), np.float32)
        self.state: torch.Tensor | None = None
        self._gen: torch.Generator | None = None

    def _frame(self) -> np.ndarray:
        th = torch.atan2(self.state[1], self.state[0])
        return render_pendulum(th, self.size).numpy()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self._gen is None or seed is not None:
            self._gen = torch.Generator().manual_seed(
                int(self.np_random.integers(2**62)))
        th = self.np_random.uniform(-np.pi, np.pi)
        thdot = self.np_random.uniform(-1.0, 1.0)
        self.state = torch.tensor([np.cos(th), np.sin(th), thdot], dtype=torch.float32)
        return self._frame(), {"state": self.state.numpy().copy()}

    def step(self, action):
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        a = torch.as_tensor(np.asarray(action, dtype=np.float32).reshape(1))
        kick = draw_kicks(1, self.kick_prob, self.kick_size, self._gen)[0]
        reward = pendulum_reward(self.state, a).item()
        self.state = kicked_step(self.state, a, kick)
        info = {"state": self.state.numpy().copy(), "kick": float(kick)}
        return self._frame(), reward, False, False, info

    def render(self):
        frame = (self._frame() * 255).astype(np.uint8)
        return np.repeat(frame[..., None], 3, -1)


class PixelPendulumBatch:
    """``n`` pixel pendulums stepped together in torch (no gymnasium
    overhead): the batched twin of :class:`PixelPendulum`, driven by one
    ``torch.Generator`` for starts and kicks.

    ``reset(n)`` and ``step(act [n, 1])`` return frames ``[n, size, size]``;
    ``step`` also returns the reward ``[n]`` (charged on the state before the
    step, as Pendulum-v1 does).  ``states`` holds the hidden true states.
    """

    def __init__(self, gen: torch.Generator, size: int = 24, kick_prob: float = 0.0,
                 kick_size: float = 3.0) -> None:
        _check_task(size, kick_prob, kick_size)
        self.gen, self.size = gen, size
        self.kick_prob, self.kick_size = kick_prob, kick_size
        self.states: torch.Tensor | None = None

    def frames(self) -> torch.Tensor:
        th = torch.atan2(self.states[:, 1], self.states[:, 0])
        return render_pendulum(th, self.size)

    def reset(self, n: int | None = None, states: torch.Tensor | None = None,
              max_angle: float = np.pi) -> torch.Tensor:
        """Fresh starts from Pendulum-v1's reset distribution (angle uniform
        in ``[-max_angle, max_angle]``, speed in ``[-1, 1]``), or the given
        ``states [n, 3]``."""
        if states is None:
            if n is None or n < 1:
                raise ValueError(f"reset needs n >= 1 or states, got n={n!r}")
            th = (2 * torch.rand(n, generator=self.gen) - 1) * max_angle
            thdot = 2 * torch.rand(n, generator=self.gen) - 1
            states = torch.stack([th.cos(), th.sin(), thdot], -1)
        if states.ndim != 2 or states.shape[1] != 3:
            raise ValueError(f"states must be [n, 3], got {tuple(states.shape)}")
        self.states = states.float()
        return self.frames()

    def step(self, act: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.states is None:
            raise RuntimeError("call reset() before step()")
        if act.shape != (len(self.states), 1):
            raise ValueError(f"act must be [{len(self.states)}, 1], got "
                             f"{tuple(act.shape)}")
        kick = draw_kicks(len(act), self.kick_prob, self.kick_size, self.gen)
        reward = pendulum_reward(self.states, act)
        self.states = kicked_step(self.states, act, kick)
        return self.frames(), reward
