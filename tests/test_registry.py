"""One way to call every algorithm: the registry, the command, and the
known-reward rule (a planner never plans with a reward it was not given)."""

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

from mbrl_lessons import run
from mbrl_lessons.algorithms import pets, schemes
from mbrl_lessons.algorithms.registry import REGISTRY

pytestmark = pytest.mark.timeout(300)


def test_registry_lists_the_books_algorithms():
    assert len(REGISTRY) >= 16
    for name in ("value-iteration", "policy-iteration", "q-learning", "v0.5", "v1.0",
                 "v1.5", "v2.0", "dyna-q", "dyna-q+", "prioritized-sweeping", "uct",
                 "pets", "sac", "mbpo", "world-models", "dreamer", "muzero"):
        assert name in REGISTRY
    for e in REGISTRY.values():
        assert isinstance(e.fast, e.config) and e.envs
        # frozen configs: a run cannot change the config it was given
        assert e.config.__dataclass_params__.frozen


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_algorithm_trains_at_the_fast_budget(name):
    torch.set_num_threads(1)
    e = REGISTRY[name]
    result = e.train(e.envs[0], e.fast, progress=False)
    label, curve = e.curve(result)
    assert np.asarray(curve).size >= 1 and np.isfinite(curve).any(), label


class _NoRewardKnown(gym.Env):
    """A Box env whose id the reward registry has never heard of."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self):
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t, self.s = 0, np.zeros(2, np.float32)
        return self.s.copy(), {}

    def step(self, act):
        self.t += 1
        self.s = np.clip(self.s + np.array([act[0], 0.0], np.float32) * 0.1, -1, 1)
        return self.s.copy(), float(self.s[0]), False, self.t >= 20, {}


def test_planner_without_a_known_reward_raises():
    gym.register("IfaceNoReward-v0", entry_point=_NoRewardKnown)
    try:
        for train, cfg in ((pets.train, REGISTRY["pets"].fast),
                           (schemes.v1_5_mpc, REGISTRY["v1.5"].fast)):
            with pytest.raises(ValueError, match="no known reward.*IfaceNoReward-v0"):
                train(gym.make("IfaceNoReward-v0"), cfg)
    finally:
        gym.registry.pop("IfaceNoReward-v0")


def test_planner_uses_a_custom_reward():
    """Given reward_fn, PETS scores its plans with it, called with
    (obs, act, next_obs): a reward for pushing the torque up makes MPC push
    near the +2 bound, which the swing-up reward never does for long."""
    calls = []

    def push(obs, act, next_obs):
        calls.append((obs.shape, act.shape, next_obs.shape))
        return act[..., 0]

    cfg = REGISTRY["pets"].fast
    custom = pets.train("Pendulum-v1", cfg, reward_fn=push)
    default = pets.train("Pendulum-v1", cfg)
    assert calls and all(len(o) == 2 and o == n for o, _, n in calls)
    # the second episode is the planner's (the first is random, and shared)
    assert custom.data[1][200:].mean() > 1.5 > default.data[1][200:].mean()


def test_run_command_lists_trains_and_writes(tmp_path, capsys):
    assert run.main(["--list"]) == 0
    listing = capsys.readouterr().out
    assert "pets" in listing and "Pendulum-v1" in listing
    out = tmp_path / "run.json"
    assert run.main(["dyna-q", "--env", "mbrl_lessons/DynaMaze-v0", "--fast",
                     "--seed", "3", "--set", "dyna.n_planning=10",
                     "--out", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["config"]["seed"] == 3
    assert payload["config"]["dyna"]["n_planning"] == 10
    assert len(payload["curve"]["steps_per_episode"]) == 5
    assert "steps_per_episode: 5 points" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["nope"], "unknown algorithm 'nope'; known: value-iteration"),
    (["pets", "--env", "CartPole-v1"], "pets runs on Pendulum-v1"),
    (["pets", "--fast", "--set", "horizon=3"], "PETSConfig has no field 'horizon'"),
    (["value-iteration", "--seed", "1"], "deterministic"),
])
def test_run_command_one_line_errors(argv, message, capsys):
    assert run.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
