"""Known reward and termination functions of gymnasium's MuJoCo tasks (v5).

Model-based agents that plan (PETS) or imagine (MBPO) need the reward and the
end of an episode for transitions the simulator never produced.  When both
can be read off the observations, they are written here once, batched in
torch, with the signatures

- ``reward_fn(obs [B, O], act [B, A], next_obs [B, O]) -> reward [B]``
- ``termination_fn(obs, act, next_obs) -> done [B]`` (bool; *termination*
  only, never the time limit)

as mbrl-lib ships them for its own tasks (Pineda et al. 2021).  Every function
is checked against ``env.step`` on random transitions in
``tests/test_mujoco_tasks.py``.

:data:`MUJOCO_TASKS` holds the tasks whose reward AND termination follow from
``(obs, act, next_obs)`` with gymnasium's default observations:

============================  ==========================================
InvertedPendulum-v5           +1 while ``|angle| <= 0.2``; exact
InvertedDoublePendulum-v5     tip position from the cart position and the
                              two angles' sin/cos (forward kinematics,
                              links of 0.6); exact while ``|qvel| <= 10``
                              (the observation clips the velocities the
                              penalty uses)
Reacher-v5                    ``-|fingertip - target| - |a|^2``; the
                              planar offset is ``next_obs[8:10]`` (the
                              bodies' heights are equal); exact
Pusher-v5                     arm tip, object and goal positions are
                              ``next_obs[14:23]``; exact
============================  ==========================================

Two tasks are *not* in it, because their forward reward is the displacement
``(x_after - x_before) / dt`` of a root position that the default
observation leaves out (``exclude_current_positions_from_observation=True``).
The observation does hold the root's *instantaneous* velocity at the end of
the step, but it differs from the displacement over the 4-5 physics substeps
of one env step (on 3,000 random steps: by 0.23 on average and up to 1.2 for
HalfCheetah, whose velocities spread by 0.66; by 0.04 and up to 0.15 for
Hopper; checked in the test), so using it would change the task.  For them
:data:`MUJOCO_TERMINATIONS` gives the termination alone and the reward must
be learned, as MBPO does by default (mbrl-lib makes the same choice for
Hopper; for HalfCheetah it uses its own environment whose observation starts
with the displacement velocity):

- HalfCheetah-v5: never terminates.
- Hopper-v5: terminates when the torso height ``next_obs[0] <= 0.7``, its
  angle ``|next_obs[1]| >= 0.2`` or any of ``next_obs[1:]`` leaves
  ``(-100, 100)``; exact except that the observation clips velocities to
  ``[-10, 10]``, so a velocity beyond 100 (not seen in the test) is missed.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

RewardFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
TerminationFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _check(obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor,
           obs_dim: int, act_dim: int, task: str) -> None:
    if (obs.ndim != 2 or next_obs.shape != obs.shape or act.ndim != 2
            or act.shape[0] != obs.shape[0] or obs.shape[1] != obs_dim
            or act.shape[1] != act_dim):
        raise ValueError(f"{task}: expected obs/next_obs [B, {obs_dim}] and act "
                         f"[B, {act_dim}], got {tuple(obs.shape)}, "
                         f"{tuple(act.shape)}, {tuple(next_obs.shape)}")


# --- InvertedPendulum-v5: obs = (cart x, pole angle, their velocities) -------

def inverted_pendulum_termination(obs, act, next_obs) -> torch.Tensor:
    """Done when the pole leans more than 0.2 rad (or the state is not finite)."""
    _check(obs, act, next_obs, 4, 1, "InvertedPendulum-v5")
    return (~torch.isfinite(next_obs).all(-1)) | (next_obs[:, 1].abs() > 0.2)


def inverted_pendulum_reward(obs, act, next_obs) -> torch.Tensor:
    """+1 for every step that does not end the episode, 0 for the one that does."""
    return (~inverted_pendulum_termination(obs, act, next_obs)).to(next_obs.dtype)


# --- InvertedDoublePendulum-v5 ------------------------------------------------
# obs = (cart x, sin th1, sin th2, cos th1, cos th2, v_cart, v1, v2, constraint
# force), velocities clipped to [-10, 10]; th2 is relative to the first pole.
IDP_LINK = 0.6


def _idp_tip(next_obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, z)`` of the second pole's tip: both links are 0.6 long and hinge
    about the y axis, so a link at angle ``th`` spans ``0.6 (sin th, cos th)``;
    ``th1 + th2`` comes from the angle-sum identities."""
    cart, s1, s2, c1, c2 = next_obs[:, :5].unbind(-1)
    s12, c12 = s1 * c2 + c1 * s2, c1 * c2 - s1 * s2
    return cart + IDP_LINK * (s1 + s12), IDP_LINK * (c1 + c12)


def inverted_double_pendulum_termination(obs, act, next_obs) -> torch.Tensor:
    """Done when the tip drops to a height of 1 or below (upright it is at 1.2)."""
    _check(obs, act, next_obs, 9, 1, "InvertedDoublePendulum-v5")
    return _idp_tip(next_obs)[1] <= 1.0


def inverted_double_pendulum_reward(obs, act, next_obs) -> torch.Tensor:
    """``10 [alive] - (0.01 x^2 + (z - 2)^2) - (1e-3 v1^2 + 5e-3 v2^2)`` at the
    tip position ``(x, z)`` and pole velocities after the step."""
    x, z = _idp_tip(next_obs)
    alive = (~inverted_double_pendulum_termination(obs, act, next_obs)).to(x.dtype)
    v1, v2 = next_obs[:, 6], next_obs[:, 7]
    return 10.0 * alive - (0.01 * x ** 2 + (z - 2.0) ** 2) - (1e-3 * v1 ** 2
                                                               + 5e-3 * v2 ** 2)


# --- Reacher-v5: obs[8:10] = (fingertip - target) in the plane ----------------

def reacher_reward(obs, act, next_obs) -> torch.Tensor:
    """``-|fingertip - target| - sum(a^2)`` after the step (v5: both weights 1)."""
    _check(obs, act, next_obs, 10, 2, "Reacher-v5")
    return -next_obs[:, 8:10].norm(dim=-1) - (act ** 2).sum(-1)


# --- Pusher-v5: obs[14:17] arm tip, [17:20] object, [20:23] goal --------------

def pusher_reward(obs, act, next_obs) -> torch.Tensor:
    """``-|object - goal| - 0.5 |object - tip| - 0.1 sum(a^2)`` after the step."""
    _check(obs, act, next_obs, 23, 7, "Pusher-v5")
    tip, obj, goal = next_obs[:, 14:17], next_obs[:, 17:20], next_obs[:, 20:23]
    return (-(obj - goal).norm(dim=-1) - 0.5 * (obj - tip).norm(dim=-1)
            - 0.1 * (act ** 2).sum(-1))


def no_termination(obs, act, next_obs) -> torch.Tensor:
    """Tasks that only end at the time limit."""
    if obs.ndim != 2:
        raise ValueError(f"obs must be [B, O], got {tuple(obs.shape)}")
    return torch.zeros(obs.shape[0], dtype=torch.bool)


# --- Hopper-v5: obs = (z, torso angle, 3 joint angles, 6 velocities) ----------

def hopper_termination(obs, act, next_obs) -> torch.Tensor:
    """Unhealthy: ``z <= 0.7``, ``|angle| >= 0.2`` or ``obs[1:]`` outside
    ``(-100, 100)`` (gymnasium's open intervals)."""
    _check(obs, act, next_obs, 11, 3, "Hopper-v5")
    z, angle = next_obs[:, 0], next_obs[:, 1]
    healthy = ((next_obs[:, 1:].abs() < 100.0).all(-1) & (z > 0.7)
               & (angle > -0.2) & (angle < 0.2))
    return ~healthy


MUJOCO_TASKS: dict[str, tuple[RewardFn, TerminationFn]] = {
    "InvertedPendulum-v5": (inverted_pendulum_reward, inverted_pendulum_termination),
    "InvertedDoublePendulum-v5": (inverted_double_pendulum_reward,
                                  inverted_double_pendulum_termination),
    "Reacher-v5": (reacher_reward, no_termination),
    "Pusher-v5": (pusher_reward, no_termination),
}
"""Tasks whose reward and termination both follow from ``(obs, act, next_obs)``."""

MUJOCO_TERMINATIONS: dict[str, TerminationFn] = {
    **{k: term for k, (_, term) in MUJOCO_TASKS.items()},
    "HalfCheetah-v5": no_termination,
    "Hopper-v5": hopper_termination,
}
"""Known terminations, including the tasks whose reward must be learned."""
