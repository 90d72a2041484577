"""World Models from pixels (chapter 7.1): C, the dream/reality loop, a
perfect-model check and a broken M."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms.world_models import (
    MDNRNN,
    ConvVAE,
    Dream,
    Reality,
    Task,
    WorldModelsAgent,
    WorldModelsConfig,
    cma_in_dream,
    controller_act,
    eval_starts,
    fit_world_model,
    n_controller_params,
    random_returns,
    rollout_returns,
    task_of,
    train,
)
from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.envs import make

torch.set_num_threads(1)

# a balancing task from 24 x 24 frames: short episodes from near upright
TINY = WorldModelsConfig(n_random_episodes=16, episode_len=50, max_angle=0.5,
                         vae_steps=300, mdn_steps=300, seq_len=16, rnn_hidden=16,
                         generations=12, popsize=12, dream_starts=8, eval_every=4,
                         n_eval=32)


def test_controller_is_linear_in_z_and_h_and_bounded():
    phi = torch.zeros(2, n_controller_params(4, 8))
    phi[0, 0], phi[1, -1] = 1.0, 100.0
    zn, h = torch.zeros(2, 3, 4), torch.zeros(2, 3, 8)
    zn[0, :, 0] = torch.tensor([0.1, -0.2, 0.3])
    a = controller_act(phi, zn, h)
    assert a.shape == (2, 3, 1)
    torch.testing.assert_close(a[0, :, 0], 2 * torch.tanh(zn[0, :, 0]))
    torch.testing.assert_close(a[1], torch.full((3, 1), 2.0))
    with pytest.raises(ValueError, match="phi must be"):
        controller_act(torch.zeros(2, 5), zn, h)
    with pytest.raises(ValueError, match="zn must be"):
        controller_act(phi, zn, torch.zeros(2, 4, 8))


def test_the_dream_with_the_true_dynamics_reproduces_the_real_return():
    """Perfect-model check: the batched loop CMA-ES scores with, driven by the
    true pixel pendulum instead of M's samples, gives exactly the return of
    the same V, M and C run frame by frame in the gymnasium env."""
    vae, model = ConvVAE(24, 4, seed=0), MDNRNN(4, 8, 3, seed=0)
    phi = np.random.default_rng(0).normal(0, 1.0, n_controller_params(4, 8))
    # C decides every second step and holds its torque: the agent must too
    task = task_of("mbrl_lessons/PixelPendulum-v0", action_repeat=2)
    starts = eval_starts(replace(TINY, n_eval=3))
    batched = rollout_returns(torch.as_tensor(phi, dtype=torch.float32)[None],
                              model, Reality(vae, task, starts, torch_generator(0)), 25)
    agent, returns = WorldModelsAgent(vae, model, phi, action_repeat=2), []
    env = make("PixelPendulum-v0")
    for s in starts:
        frame, _ = env.reset(seed=0)
        env.unwrapped.state = s.clone()
        frame = env.unwrapped._frame()
        agent.reset()
        total = 0.0
        for _ in range(50):
            frame, r, *_ = env.step(agent.act(frame))
            total += r
        returns.append(total)
    assert batched.item() == pytest.approx(np.mean(returns), rel=1e-4)
    # and a dream at tau = 0 is deterministic, at tau = 1 it is not
    z0 = Reality(vae, task, starts, torch_generator(0)).reset(1)
    ph = torch.as_tensor(phi, dtype=torch.float32)[None]
    d0 = [rollout_returns(ph, model, Dream(model, z0, 0.0, torch_generator(s)), 20)
          for s in (1, 2)]
    d1 = [rollout_returns(ph, model, Dream(model, z0, 1.0, torch_generator(s)), 20,
                          record=True)[1] for s in (1, 2)]
    assert torch.equal(d0[0], d0[1]) and not torch.equal(d1[0], d1[1])


def test_cma_es_on_z_and_h_learns_to_balance_when_the_world_is_true():
    """The controller class and the search work: CMA-ES scored in the real
    pixel pendulum (the diagnostic of ``in_reality``) balances it far better
    than its start and than random torques; M and V are barely trained."""
    task = task_of("mbrl_lessons/PixelPendulum-v0")
    wm = fit_world_model(task, replace(TINY, vae_steps=150, mdn_steps=20))
    _, trace = cma_in_dream(wm, task, TINY, in_reality=True)
    rand = random_returns(TINY.task(task), eval_starts(TINY), torch_generator(6),
                          TINY.decisions)
    print(f"real return {trace.real[0]:.0f} -> {trace.real[-1]:.0f}, random {rand:.0f}")
    assert trace.real[-1] > trace.real[0] + 30
    assert trace.real[-1] > rand + 30
    # the best candidate of a generation never scores below the mean's start
    assert trace.best_dream.max() > trace.real[0]


def test_m_is_seeded():
    task = task_of("mbrl_lessons/PixelPendulum-v0")
    quick = replace(TINY, vae_steps=5, mdn_steps=5)
    one, two = fit_world_model(task, quick), fit_world_model(task, quick)
    for a, b in zip(one.model.parameters(), two.model.parameters(), strict=True):
        assert torch.equal(a, b)
    torch.testing.assert_close(one.codes, two.codes)


def test_train_runs_the_whole_loop_on_pixels():
    r = train("mbrl_lessons/PixelPendulum-v0",
              replace(TINY, vae_steps=20, mdn_steps=20, generations=2, eval_every=1))
    assert r.n_transitions == 16 * 50
    assert r.trace.generation.tolist() == [0, 1, 2] and len(r.trace.best_dream) == 2
    assert r.real_return == r.trace.real[-1] and np.isfinite(r.random_return)
    assert r.phi.shape == (n_controller_params(TINY.z_dim, TINY.rnn_hidden),)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="pixel pendulum"):
        train("Pendulum-v1", TINY)
    with pytest.raises(ValueError, match="seq_len"):
        WorldModelsConfig(seq_len=300)
    with pytest.raises(ValueError, match="tau"):
        WorldModelsConfig(tau=-1.0)
    with pytest.raises(ValueError, match="max_angle"):
        WorldModelsConfig(max_angle=4.0)
    assert task_of("mbrl_lessons/PixelPendulumKicks-v0") == Task(24, 0.05, 3.0, 1)
    with pytest.raises(ValueError, match="action_repeat"):
        WorldModelsConfig(episode_len=50, action_repeat=4)


def test_evaluation_streams_leave_training_alone():
    """Named streams: scoring the CMA-ES mean on more evaluation starts draws
    more from the evaluation streams only, so V, M and the controller CMA-ES
    finds are unchanged; the same seed repeats, another seed does not."""
    quick = replace(TINY, vae_steps=20, mdn_steps=20, generations=2, eval_every=1,
                    n_random_episodes=4)
    a = train("mbrl_lessons/PixelPendulum-v0", quick)
    b = train("mbrl_lessons/PixelPendulum-v0", replace(quick, n_eval=8))
    np.testing.assert_array_equal(a.phi, b.phi)
    np.testing.assert_array_equal(a.trace.best_dream, b.trace.best_dream)
    assert a.real_return != b.real_return  # other starts, other scores
    again = train("mbrl_lessons/PixelPendulum-v0", quick)
    np.testing.assert_array_equal(a.phi, again.phi)
    assert a.random_return == again.random_return
    other = train("mbrl_lessons/PixelPendulum-v0", replace(quick, seed=1))
    assert not np.array_equal(a.phi, other.phi)
