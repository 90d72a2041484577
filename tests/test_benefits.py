"""Chapter 8's experiments: new-task rewards, transfer, pessimistic planning."""

import math

import numpy as np
import pytest
import torch

from mbrl_lessons.analysis import benefits as bf
from mbrl_lessons.core.seeding import stream_seed
from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.models import TrainConfig, TrueModel
from mbrl_lessons.planning import PlannerConfig

torch.set_num_threads(1)
SMALL_PLAN = PlannerConfig(horizon=15, n_candidates=80, n_iterations=3, n_elites=8)


def _obs(th, thdot):
    return torch.tensor([[math.cos(th), math.sin(th), thdot]], dtype=torch.float32)


def test_target_angle_reward_by_hand():
    r = bf.target_angle_reward(math.pi / 2)
    # at the target, at rest, no torque: zero cost
    assert r(_obs(math.pi / 2, 0.0), torch.zeros(1, 1)).item() == pytest.approx(0.0,
                                                                                 abs=1e-6)
    # upright: a quarter turn away
    assert r(_obs(0.0, 0.0), torch.zeros(1, 1)).item() == pytest.approx(
        -(math.pi / 2) ** 2, rel=1e-5)
    # target 0 gives back the swing-up reward
    o, a = torch.randn(20, 3), torch.randn(20, 1)
    o[:, :2] = torch.nn.functional.normalize(o[:, :2], dim=-1)
    assert torch.allclose(bf.target_angle_reward(0.0)(o, a), pendulum_reward(o, a),
                          atol=1e-5)


def test_spin_reward_by_hand():
    r = bf.spin_reward(5.0)
    assert r(_obs(1.0, 5.0), torch.zeros(1, 1)).item() == pytest.approx(0.0, abs=1e-7)
    assert r(_obs(1.0, 3.0), torch.ones(1, 1)).item() == pytest.approx(-0.401)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="speed"):
        bf.spin_reward(0.0)
    with pytest.raises(ValueError, match="target"):
        bf.target_angle_reward(float("nan"))
    with pytest.raises(ValueError, match="obs"):
        bf.TASKS["spin"](torch.zeros(4, 2), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="tasks"):
        bf.transfer_experiment(bf.TransferConfig(tasks=("swing-up", "juggle")))
    with pytest.raises(ValueError, match="penalty"):
        bf.PessimisticModelEnv(None, pendulum_reward, -1.0)
    with pytest.raises(ValueError, match="speed_limit"):
        bf.safe_region_data(10, 0.0)
    with pytest.raises(ValueError, match="ceiling"):
        bf.normalised_score(-10.0, -5.0, -20.0)
    with pytest.raises(TypeError, match="dataclass"):
        bf.count_settings(int)
    with pytest.raises(ValueError, match="n_members"):
        bf.EnsembleDynamics(*bf.safe_region_data(20, 4.0), n_members=1)


def test_normalised_score():
    assert bf.normalised_score(-100.0, -300.0, -100.0) == pytest.approx(1.0)
    assert bf.normalised_score(-200.0, -300.0, -100.0) == pytest.approx(0.5)


def test_true_model_mpc_solves_a_new_task_and_a_sign_flip_does_not():
    """Swap the reward only: MPC holds the pendulum tilted; with the reward's
    sign flipped (a broken planner objective) it does not."""
    spin = bf.TASKS["tilted hang"]
    true = TrueModel(pendulum_step)
    good, obs = bf.real_returns(bf.mpc_factory(true, spin, SMALL_PLAN, 0), spin, 1, 0,
                                steps=60)
    bad, _ = bf.real_returns(bf.mpc_factory(true, lambda o, a, o2: -spin(o, a, o2),
                                            SMALL_PLAN, 0), spin, 1, 0, steps=60)
    rnd, _ = bf.real_returns(bf.random_factory(0), spin, 1, 0, steps=60)
    assert good[0] > rnd[0] + 5 > bad[0] + 5
    th = np.arctan2(obs[0][-20:, 1], obs[0][-20:, 0])
    assert np.abs(np.abs(th) - (math.pi - 0.35)).mean() < 0.1  # really tilted


def test_learned_model_transfers_to_a_new_reward():
    model, starts = bf.learn_pendulum_model(60, 20, hidden=64,
                                            train=TrainConfig(max_epochs=60))
    assert starts.shape == (1200, 3)
    spin = bf.TASKS["tilted hang"]
    learned, _ = bf.real_returns(bf.mpc_factory(model, spin, SMALL_PLAN, 0), spin, 1,
                                 0, steps=60)
    rnd, _ = bf.real_returns(bf.random_factory(0), spin, 1, 0, steps=60)
    assert learned[0] > rnd[0] + 5


def test_episode_return_matches_the_reward_sum():
    obs, act = bf.hanging_episode(lambda o: np.zeros(1), steps=5, seed=3)
    assert obs.shape == (6, 3) and act.shape == (5, 1)
    assert abs(math.atan2(obs[0, 1], obs[0, 0])) > math.pi - 0.21
    expect = sum(pendulum_reward(torch.as_tensor(obs[i:i + 1]),
                                 torch.as_tensor(act[i:i + 1])).item()
                 for i in range(5))
    assert bf.episode_return(pendulum_reward, obs, act) == pytest.approx(expect,
                                                                        rel=1e-5)
    with pytest.raises(ValueError, match="one more row"):
        bf.episode_return(pendulum_reward, obs, act[:3])


def test_episode_starts_are_named_streams_of_the_run_seed():
    """Same seed: the same starts for every method; episode ``ep`` of run
    ``seed`` starts from the stream ``stream_seed(seed, "start", ep)`` (not an
    offset such as ``seed * 1000 + ep``, which collides across runs)."""
    def starts(seed, n=3):
        _, trajs = bf.real_returns(lambda: (lambda o: np.zeros(1)), pendulum_reward,
                                   n, seed, steps=1)
        return np.array([t[0] for t in trajs])
    s0, s1 = starts(0), starts(1)
    np.testing.assert_array_equal(s0, starts(0))
    assert len({tuple(r) for r in s0}) == 3  # episodes differ within a run
    assert not np.isin(s0[:, 2], s1[:, 2]).any()  # and no start is shared across runs
    expect, _ = bf.hanging_episode(lambda o: np.zeros(1), 1,
                                   stream_seed(1, "start", 2))
    np.testing.assert_array_equal(s1[2], expect[0])


@pytest.fixture(scope="module")
def small_ensemble():
    return bf.EnsembleDynamics(*bf.safe_region_data(800, 3.0, seed=0), n_members=3,
                               hidden=32, epochs=25, seed=0)


def test_ensemble_disagrees_more_outside_its_data(small_ensemble):
    o, a, nx = bf.safe_region_data(200, 3.0, seed=5)
    inside = small_ensemble.disagreement(torch.as_tensor(o), torch.as_tensor(a))
    fast = o.copy()
    fast[:, 2] = np.sign(fast[:, 2] + 1e-9) * 7.5
    outside = small_ensemble.disagreement(torch.as_tensor(fast), torch.as_tensor(a))
    assert outside.median() > 2 * inside.median()
    # and it is a decent model inside
    err = (small_ensemble.predict(torch.as_tensor(o), torch.as_tensor(a))
           - torch.as_tensor(nx)).norm(dim=-1)
    assert err.median() < 0.05
    members = small_ensemble.predict_members(torch.as_tensor(o), torch.as_tensor(a))
    assert members.shape == (3, 200, 3)


def test_penalty_makes_planner_avoid_unknown_states(small_ensemble):
    """The pessimistic objective ranks a sequence that stays in the data below
    one that leaves it less often than the plain objective does; penalty 0 is
    exactly the mean-model return."""
    obs0 = torch.as_tensor(_obs(math.pi, 0.0)[0])
    seqs = torch.stack([torch.zeros(10, 1), torch.full((10, 1), 2.0)])
    plain = bf.PessimisticModelEnv(small_ensemble, pendulum_reward, 0.0)
    harsh = bf.PessimisticModelEnv(small_ensemble, pendulum_reward, 1e4, u_ref=1e-4)
    r_plain, r_harsh = plain.returns(obs0, seqs), harsh.returns(obs0, seqs)
    assert torch.all(r_harsh <= r_plain)
    from mbrl_lessons.models import ModelEnv
    assert torch.allclose(r_plain, ModelEnv(small_ensemble, pendulum_reward)
                          .returns(obs0, seqs), atol=1e-5)


def test_vector_field_of_the_true_model_is_exact():
    vf = bf.vector_field(TrueModel(pendulum_step), n=5, m=4)
    assert vf.true.shape == (4, 5, 2) and vf.disagreement is None
    np.testing.assert_allclose(vf.true, vf.predicted)


def test_timing_and_settings_helpers():
    assert bf.seconds_per_action(lambda o: o, np.zeros(3), n_calls=3) >= 0.0
    counts = bf.count_settings(PlannerConfig, TrainConfig)
    assert counts == {"PlannerConfig": 6, "TrainConfig": 6}
