"""Local linear models: exact on affine dynamics, accurate near the point
they were fitted at and worse far from it on the pendulum."""

import numpy as np
import pytest
import torch

from mbrl_lessons.envs.pendulum import pendulum_step
from mbrl_lessons.models.local import fit_affine, fit_local_linear


def test_fit_affine_recovers_affine_dynamics_exactly():
    rng = np.random.default_rng(0)
    A, B, c = rng.normal(size=(3, 3)), rng.normal(size=(3, 1)), rng.normal(size=3)
    obs, act = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    A2, B2, c2 = fit_affine(obs, act, obs @ A.T + act @ B.T + c)
    assert np.allclose(A2, A) and np.allclose(B2, B) and np.allclose(c2, c)
    with pytest.raises(ValueError, match="cannot determine"):
        fit_affine(obs[:4], act[:4], obs[:4])


def test_local_model_is_accurate_near_its_point_and_not_far():
    rng = np.random.default_rng(1)

    def near(th, thdot, u, scale, n):
        t = th + scale * rng.normal(size=n)
        o = np.stack([np.cos(t), np.sin(t), thdot + scale * rng.normal(size=n)], 1)
        a = np.clip(u + scale * rng.normal(size=(n, 1)), -2, 2)
        return o.astype(np.float32), a.astype(np.float32)

    def true(o, a):
        return pendulum_step(torch.as_tensor(o), torch.as_tensor(a)).numpy()

    samples = []
    for th, thdot, u in ((0.5, 1.0, 0.5), (2.0, -3.0, -1.0)):
        o, a = near(th, thdot, u, 0.05, 40)
        samples.append((o, a, true(o, a)))
    local = fit_local_linear(samples)
    o, a = near(2.0, -3.0, -1.0, 0.02, 50)
    err_near = np.linalg.norm(local.predict(1, o, a) - true(o, a), axis=1).mean()
    o, a = near(2.0, -3.0, -1.0, 1.0, 50)
    err_far = np.linalg.norm(local.predict(1, o, a) - true(o, a), axis=1).mean()
    assert err_near < 1e-3 and err_far > 20 * err_near
    with pytest.raises(ValueError, match="t must be"):
        local.predict(2, o, a)


def test_inverse_model_recovers_the_torque_unless_the_speed_was_clipped():
    from mbrl_lessons.analysis.local_models import inverse_model_errors

    out = inverse_model_errors(n_train=800, n_test=1500, epochs=40, seed=0)
    # inside the speed limit the two states determine the torque (range 4)
    assert out["free"] < 0.35
    # clipped at the limit they do not: several times worse
    assert 0 < out["share_at_limit"] < 0.2
    assert out["at_limit"] > 2 * out["free"]
