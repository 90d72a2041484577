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
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from mbrl_lessons.core.seeding import SeedLike, make_rng
from mbrl_lessons.envs.pendulum import MAX_TORQUE, pendulum_step


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
