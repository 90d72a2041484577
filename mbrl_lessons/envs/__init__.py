"""Teaching environments, registered with gymnasium under ``mbrl_lessons/``.

Registration uses entry-point strings, so a module is imported only when its
environment is first made:  ``gymnasium.make("mbrl_lessons/GridWorld-v0")``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

NAMESPACE = "mbrl_lessons"

# id (without namespace) -> (entry point, default kwargs, max_episode_steps)
_REGISTRY: dict[str, tuple[str, dict, int | None]] = {
    "GridWorld-v0": ("mbrl_lessons.envs.gridworld:GridWorld", {}, None),
    "DynaMaze-v0": ("mbrl_lessons.envs.mazes:DynaMaze", {}, None),
    "BlockingMaze-v0": ("mbrl_lessons.envs.mazes:BlockingMaze", {}, None),
    "ShortcutMaze-v0": ("mbrl_lessons.envs.mazes:ShortcutMaze", {}, None),
    "TicTacToe-v0": ("mbrl_lessons.envs.tictactoe:TicTacToe", {}, None),
    "ConnectFour-v0": ("mbrl_lessons.envs.connect_four:ConnectFour", {}, None),
    "ConnectFour5x6-v0": ("mbrl_lessons.envs.connect_four:ConnectFour",
                          {"rows": 5, "columns": 6}, None),
    # MinAtar (Young & Tian 2019; ``pip install minatar``, a benchmark
    # dependency): Breakout on a 10x10x4 grid, its 3 useful actions
    "MinAtarBreakout-v1": ("minatar.gym:BaseEnv",
                           {"game": "breakout", "use_minimal_action_set": True},
                           None),
    "NonStationaryPendulum-v0": (
        "mbrl_lessons.envs.nonstationary:NonStationaryPendulum", {}, 200),
    "IceSlide-v0": ("mbrl_lessons.envs.ice:IceSlide", {}, 80),
    "PixelPendulum-v0": ("mbrl_lessons.envs.pixel_pendulum:PixelPendulum", {}, 200),
    "PixelPendulumKicks-v0": ("mbrl_lessons.envs.pixel_pendulum:PixelPendulum",
                              {"kick_prob": 0.05, "kick_size": 3.0}, 200),
}


def register_all() -> None:
    """Register every teaching env (idempotent)."""
    for name, (entry_point, kwargs, max_steps) in _REGISTRY.items():
        env_id = f"{NAMESPACE}/{name}"
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id, entry_point=entry_point, kwargs=kwargs,
            max_episode_steps=max_steps,
        )


def make(env_id: str, **kwargs):
    """``gymnasium.make`` with a clear error for an unknown id.

    Accepts ``"GridWorld-v0"`` or ``"mbrl_lessons/GridWorld-v0"``.
    """
    register_all()
    full_id = env_id if "/" in env_id else f"{NAMESPACE}/{env_id}"
    if full_id not in gym.registry:
        ours = sorted(k for k in gym.registry if k.startswith(NAMESPACE + "/"))
        raise ValueError(
            f"unknown environment id {env_id!r}; the course registers: "
            + ", ".join(ours)
        )
    return gym.make(full_id, **kwargs)


register_all()


def as_env(env) -> gym.Env:
    """A gymnasium env from an env or an id (``"Pendulum-v1"``,
    ``"mbrl_lessons/DynaMaze-v0"`` or the course's short ``"DynaMaze-v0"``):
    what every ``train(env, cfg)`` accepts."""
    if not isinstance(env, str):
        return env
    register_all()
    if env in gym.registry:
        return gym.make(env)
    return make(env)


def encoder_for(space: gym.Space):
    """Observation -> float32 vector for a network's input: one-hot for a
    ``Discrete`` space, flattened for a ``Box`` (MuZero's encoder)."""
    if isinstance(space, gym.spaces.Discrete):
        eye = np.eye(space.n, dtype=np.float32)
        return lambda o: eye[int(o)]
    if isinstance(space, gym.spaces.Box):
        return lambda o: np.asarray(o, np.float32).reshape(-1)
    raise TypeError(f"a vector encoding needs a Discrete or Box observation space, "
                    f"got {space}")
