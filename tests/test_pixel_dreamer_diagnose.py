"""mbrl_lessons.analysis.pixel_dreamer: the §7.4 diagnostics measure what
they say (a saturated actor reads as saturated; the true state is probed)."""

from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms.dreamer_pixels import (
    DreamerPixelsConfig,
    RSSMConfig,
    train,
)
from mbrl_lessons.analysis.pixel_dreamer import diagnose

TINY = DreamerPixelsConfig(n_seed_episodes=1, n_episodes=2, updates_per_episode=2,
                           batch=4, seq_len=8, horizon=3, hidden=16, n_eval=1,
                           rssm=RSSMConfig(deter=16, stoch=4, hidden=16, embed=16,
                                           channels=4))


@pytest.fixture(scope="module")
def tiny():
    torch.set_num_threads(1)
    return train("Pendulum-v1", replace(TINY, seed=1))


@contextmanager
def constant_output(layer: torch.nn.Linear, bias: float, n: int | None = None):
    """Make ``layer`` output ``bias`` (on its first ``n`` outputs, 0 on the
    rest) whatever its input, and restore its weights afterwards."""
    saved = layer.weight.detach().clone(), layer.bias.detach().clone()
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
        layer.bias[:n] = bias
    try:
        yield
    finally:
        with torch.no_grad():
            layer.weight.copy_(saved[0])
            layer.bias.copy_(saved[1])


def test_fields_ranges_and_determinism(tiny):
    a = diagnose(tiny, TINY, seed=1, n_episodes=2)
    b = diagnose(tiny, TINY, seed=1, n_episodes=2)
    assert a == b
    assert 0.0 <= a["saturated_fraction"] <= 1.0
    assert a["mean_abs_pre_tanh"] >= 0.0 and -1.0 <= a["reward_corr"] <= 1.0
    assert set(a["probe_r2"]) == {"cos", "sin", "thetadot"}
    assert all(np.isfinite(v) and v <= 1.0 for v in a["probe_r2"].values())
    assert len(a["returns"]) == 2 and all(-3300 < r <= 0 for r in a["returns"])


def test_a_saturated_actor_reads_as_saturated(tiny):
    """Push the actor's mean output to +8 (tanh(8) = 0.9999998): every action
    sits at the box's edge, and the pre-tanh magnitude shows why."""
    with constant_output(tiny.actor.net[-1], 8.0, tiny.actor.act_dim):
        d = diagnose(tiny, TINY, seed=1, n_episodes=2)
    assert d["saturated_fraction"] == 1.0
    assert d["mean_abs_pre_tanh"] == pytest.approx(8.0, abs=1e-5)


def test_bad_input(tiny):
    with pytest.raises(TypeError, match="DreamerPixelsResult"):
        diagnose("not a result", TINY, seed=0)
    with pytest.raises(ValueError, match="n_episodes"):
        diagnose(tiny, TINY, seed=0, n_episodes=1)


def test_ridge_probe_recovers_a_linear_target_and_not_noise():
    from mbrl_lessons.analysis.pixel_dreamer import ridge_probe_r2

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 20))
    y = x @ rng.normal(size=20) + 0.05 * rng.normal(size=400)
    assert ridge_probe_r2(x[:300], y[:300], x[300:], y[300:]) > 0.99
    noise = rng.normal(size=400)
    assert ridge_probe_r2(x[:300], noise[:300], x[300:], noise[300:]) < 0.05


def test_imagined_reward_r2_of_a_constant_reward_head_is_not_positive(tiny):
    """A reward head that always says the same number explains none of the
    real rewards' spread: its R² is at most 0, over 1 step and H steps."""
    from mbrl_lessons.analysis.pixel_dreamer import imagined_reward_r2

    with constant_output(tiny.model.reward_head[-1], -0.5):
        r2 = imagined_reward_r2(tiny, TINY, seed=1, n_episodes=2)
    assert set(r2) == {"1", str(TINY.horizon)}
    assert all(v <= 0.0 for v in r2.values())
    trained = imagined_reward_r2(tiny, TINY, seed=1, n_episodes=2)
    assert trained == imagined_reward_r2(tiny, TINY, seed=1, n_episodes=2)


def test_constant_torque_cannot_lift_the_pendulum():
    """Full torque from hanging down: the rod swings on one side of the
    bottom (gravity's torque m g l / 2 = 5 exceeds the motor's 2)."""
    from mbrl_lessons.analysis.pixel_dreamer import constant_torque_rollout

    ret, highest = constant_torque_rollout(-2.0)
    assert 20 < highest < 90 and -2000 < ret < -1000
    still = constant_torque_rollout(0.0)  # hangs still: -pi^2 a step, at the bottom
    assert still == (pytest.approx(-200 * np.pi ** 2), pytest.approx(0.0, abs=1e-9))


def test_diagnosis_report_from_a_payload():
    from mbrl_lessons.analysis.pixel_dreamer import diagnosis_report

    def run(k):
        return {"reward_corr": 0.9 + k / 100, "saturated_fraction": 1.0,
                "mean_abs_pre_tanh": 10.0 + k,
                "imagined_reward_r2": {"1": 0.5 - k / 10, "15": -0.5 - k / 10},
                "action_response": {"difference_corr": 0.2, "sign_agreement": 0.6,
                                    "level_corr": 0.3}}
    runs = {"pixels": [run(k) for k in range(5)],
            "pixels_no_deter": [run(k + 5) for k in range(5)]}
    payload = {"extra": {"diagnose": runs}}
    md = diagnosis_report(payload)
    assert md.count("\n| ") == 7 and "| actor: share of actions at the box's edge | " \
        "1.00 [1.00, 1.00] | 1.00 [1.00, 1.00] |" in md
    assert "(paired by seed): +0.50 [+0.50, +0.50]" in md  # 0.5 - 0.0 per seed


def test_action_response_of_a_model_blind_to_actions(tiny):
    """Zero the prior's input weights from the action: the model predicts the
    same return for +2 and -2 held, so the predicted difference is 0 on every
    start and never has the real difference's sign."""
    from mbrl_lessons.analysis.pixel_dreamer import action_response

    a = action_response(tiny, TINY, seed=1, n_starts=6)
    assert a == action_response(tiny, TINY, seed=1, n_starts=6)
    assert set(a) == {"difference_corr", "sign_agreement", "level_corr"}
    assert -1.0 <= a["difference_corr"] <= 1.0 and 0.0 <= a["sign_agreement"] <= 1.0
    inp = tiny.model.inp  # Linear([z, a] -> hidden): the action's columns are last
    saved = inp.weight.detach().clone()
    with torch.no_grad():
        inp.weight[:, -tiny.model.act_dim:] = 0.0
    try:
        with pytest.warns(RuntimeWarning):  # a constant difference has no correlation
            blind = action_response(tiny, TINY, seed=1, n_starts=6)
    finally:
        with torch.no_grad():
            inp.weight.copy_(saved)
    assert blind["sign_agreement"] == 0.0 and np.isnan(blind["difference_corr"])
    assert action_response(tiny, TINY, seed=1, n_starts=6) == a  # weights restored
