"""The non-stationary pendulum and the three ways of keeping a model current
(chapter 5.5)."""

import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

from mbrl_lessons.envs.nonstationary import (
    NonStationaryPendulum,
    pendulum_step_params,
    random_stream,
)
from mbrl_lessons.envs.pendulum import pendulum_step
from mbrl_lessons.models.adaptation import (
    AdaptConfig,
    DetectorConfig,
    first_alarm,
    refit_all,
    refit_on_change,
    refit_window,
)


def _true_next(obs, act, **params):
    return pendulum_step_params(torch.as_tensor(obs), torch.as_tensor(act),
                                **params).numpy()


def test_default_params_are_pendulum_v1():
    rng = np.random.default_rng(0)
    th = rng.uniform(-np.pi, np.pi, 50)
    obs = torch.as_tensor(np.stack([np.cos(th), np.sin(th), rng.uniform(-8, 8, 50)],
                                   -1), dtype=torch.float32)
    act = torch.as_tensor(rng.uniform(-3, 3, (50, 1)), dtype=torch.float32)
    assert torch.allclose(pendulum_step_params(obs, act), pendulum_step(obs, act))


@pytest.mark.parametrize("param, after", [("m", 2.0), ("l", 1.5), ("g", 15.0)])
def test_env_switches_at_the_set_step(param, after):
    switch = 30
    env = NonStationaryPendulum(switch_step=switch, param=param, after=after)
    obs, _ = env.reset(seed=1)
    rng = np.random.default_rng(1)
    regimes = ({param: env.before}, {param: after})
    differs = []
    for t in range(60):
        if t == 45:  # a new episode does not undo the change
            obs, _ = env.reset(seed=2)
        act = rng.uniform(-2, 2, size=1).astype(np.float32)
        assert env.total_steps == t
        nxt, _, _, _, info = env.step(act)
        k = int(t >= switch)
        assert info["regime"] == k and info[param] == regimes[k][param]
        assert np.allclose(_true_next(obs, act, **regimes[k]), nxt, atol=1e-4)
        differs.append(not np.allclose(_true_next(obs, act, **regimes[1 - k]), nxt,
                                       atol=1e-4))
        obs = nxt
    # the other regime's physics would have given a different next state (except
    # where both hit the speed limit)
    assert np.mean(differs[:switch]) > 0.8 and np.mean(differs[switch:]) > 0.8


@pytest.mark.filterwarnings("ignore:.*symmetric and normalized")  # as Pendulum-v1
def test_passes_gymnasium_check_env():
    check_env(NonStationaryPendulum(), skip_render_check=True)


def test_switch_back_and_params_at():
    env = NonStationaryPendulum(switch_step=5, switch_back_step=8, after=3.0)
    assert [env.regime(t) for t in range(10)] == [0] * 5 + [1] * 3 + [0] * 2
    assert env.params_at(6) == {"m": 3.0, "l": 1.0, "g": 10.0}
    assert env.params_at(9)["m"] == 1.0


@pytest.mark.parametrize("kwargs", [
    {"switch_step": -1}, {"switch_step": 2.5}, {"switch_step": True},
    {"param": "mass"}, {"after": 0.0}, {"before": -1.0}, {"after": float("nan")},
    {"switch_step": 10, "switch_back_step": 10},
])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        NonStationaryPendulum(**kwargs)


def test_stream_is_seeded_and_labelled():
    a = random_stream(NonStationaryPendulum(switch_step=70), 120, seed=3,
                      episode_len=50)
    b = random_stream(NonStationaryPendulum(switch_step=70), 120, seed=3,
                      episode_len=50)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    assert a.obs.shape == (120, 3) and a.act.shape == (120, 1)
    assert a.regime.tolist() == [0] * 70 + [1] * 50
    # within an episode, each transition starts where the previous one ended
    assert np.allclose(a.obs[1:50], a.next_obs[:49])


def _synthetic_errors(n, switch, seed, jump=8.0):
    """Log-normal one-step errors (median 0.01) whose level jumps at ``switch``."""
    rng = np.random.default_rng(seed)
    err = 0.01 * np.exp(0.8 * rng.normal(size=n))
    err[switch:] *= jump
    return err


@pytest.mark.parametrize("seed", range(5))
def test_detector_fires_soon_after_a_jump(seed):
    window, switch = 50, 600
    err = _synthetic_errors(1500, switch, seed)
    reference = np.median(err[:200])  # the pre-change level
    t = first_alarm(err, reference, window=window, threshold=4.0)
    assert t is not None and switch <= t <= switch + window


@pytest.mark.parametrize("seed", range(5))
def test_detector_is_quiet_on_a_stationary_stream(seed):
    err = _synthetic_errors(5000, 5000, seed)
    # a few wild errors (states the model has never seen) are not a change
    err[np.random.default_rng(seed).integers(0, 5000, 40)] *= 30
    assert first_alarm(err, np.median(err[:200]), window=50, threshold=4.0) is None


def test_detector_edge_cases():
    assert first_alarm(np.ones(10), 0.1, window=20, threshold=2.0) is None
    assert first_alarm(np.r_[np.ones(5), 10 * np.ones(5)], 1.0, 3, 2.0) == 6
    with pytest.raises(ValueError):
        first_alarm(np.ones(10), 0.0, window=3, threshold=2.0)


def test_forgetting_beats_all_data_after_the_switch():
    switch, n = 600, 1200
    data = random_stream(NonStationaryPendulum(switch_step=switch), n, seed=0,
                         episode_len=50)
    cfg = AdaptConfig(block=100, updates=100)
    every = refit_all(data, cfg)
    window = refit_window(data, 300, cfg)
    detect = refit_on_change(data, cfg, DetectorConfig())
    assert every.block_error.shape == (12,) and np.isnan(every.block_error[0])
    late = slice(switch + 300, n)  # after the window has slid past the switch
    all_err = every.step_error[late].mean()
    assert window.step_error[late].mean() < all_err
    assert detect.step_error[late].mean() < all_err
    # the detector noticed the change, within a window of it
    assert any(switch <= t <= switch + 100 for t in detect.alarms)
    # before the switch the detector never fired, so it matches refit_all
    assert np.allclose(detect.step_error[:switch], every.step_error[:switch],
                       equal_nan=True)


def test_bad_strategy_arguments():
    data = random_stream(NonStationaryPendulum(switch_step=50), 100, seed=0)
    with pytest.raises(ValueError):
        refit_window(data, 5)
    with pytest.raises(ValueError):
        refit_all(data, AdaptConfig(block=10))
