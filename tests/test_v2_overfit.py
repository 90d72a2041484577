"""Chapter 4's v2.0-overfitting experiment: the batched ensemble, the
objectives by hand, the real return against the env, and the effect itself."""

import numpy as np
import pytest
import torch

from mbrl_lessons.analysis.v2_overfit import (
    ICE_ID,
    OverfitConfig,
    StackedModels,
    TrueDynamics,
    overfit_experiment,
    rollout_return,
    train_policy,
)
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.envs import make
from mbrl_lessons.models import MLPDynamics, TrainConfig


def _members(k=3):
    ms = []
    for i in range(k):
        m = MLPDynamics(2, 1, 16, seed=i)
        torch.manual_seed(i)
        m.set_normalisation(torch.randn(50, 3), torch.randn(50, 2))
        ms.append(m)
    return ms


def test_stacked_models_match_each_member():
    ms = _members()
    stack = StackedModels(ms)
    obs, act = torch.randn(3, 7, 2), torch.randn(3, 7, 1)
    got = stack.predict(obs, act)
    for k, m in enumerate(ms):
        assert torch.allclose(got[k], m.predict(obs[k], act[k]), atol=1e-5)


def test_true_rollout_return_is_the_env_return():
    policy = mlp(2, 1, hidden=8, seed=0)
    env = make(ICE_ID)
    obs, _ = env.reset(seed=3)
    want = 0.0
    for _ in range(80):
        with torch.no_grad():
            a = torch.tanh(policy(torch.as_tensor(obs))).numpy()
        obs, r, *_ = env.step(a)
        want += r
    env2 = make(ICE_ID)
    s0, _ = env2.reset(seed=3)
    with torch.no_grad():
        got = rollout_return(policy, TrueDynamics(), torch.as_tensor(s0)[None], 80)
    assert float(got[0]) == pytest.approx(want, rel=1e-4)


def test_the_penalty_subtracts_the_members_disagreement():
    ms = _members()
    policy = mlp(2, 1, hidden=8, seed=1)
    starts = torch.tensor([[0.0, 0.0], [0.5, 0.3]])
    with torch.no_grad():
        plain = rollout_return(policy, StackedModels(ms), starts, 1,
                               mean_of_members=True)
        pen = rollout_return(policy, StackedModels(ms), starts, 1, penalty=2.0,
                             mean_of_members=True)
        act = torch.tanh(policy(starts))
        preds = torch.stack([m.predict(starts, act) for m in ms])
    assert torch.allclose(plain - pen, 2.0 * preds.std(0).norm(dim=-1), atol=1e-5)
    # identical members never disagree: the penalty then changes nothing
    same = StackedModels([ms[0]] * 3)
    with torch.no_grad():
        a = rollout_return(policy, same, starts, 5, penalty=5.0, mean_of_members=True)
        b = rollout_return(policy, StackedModels([ms[0]]), starts, 5)
    assert torch.allclose(a, b, atol=1e-4)


def test_ensemble_objective_averages_member_trajectories():
    ms = _members(2)
    policy = mlp(2, 1, hidden=8, seed=2)
    starts = torch.tensor([[0.1, 0.0]])
    with torch.no_grad():
        both = rollout_return(policy, StackedModels(ms), starts, 10)
        each = [rollout_return(policy, StackedModels([m]), starts, 10) for m in ms]
    assert torch.allclose(both, (each[0] + each[1]) / 2, atol=1e-4)


def test_config_is_checked():
    with pytest.raises(ValueError, match="ensemble_size"):
        OverfitConfig(ensemble_size=1)
    with pytest.raises(ValueError, match="horizon"):
        OverfitConfig(horizon=0)
    with pytest.raises(ValueError, match="variant"):
        train_policy("magic", (None, []), OverfitConfig())


def test_single_model_is_exploited_and_the_ensemble_is_not():
    """The effect itself at a small budget (seed 0): through one wrong model
    the policy predicts far more than it gets, and crashes; the control's gap
    is zero; the ensemble's gap is much smaller."""
    cfg = OverfitConfig(seed=0, policy_steps=60, eval_every=30, n_eval_starts=8,
                        train=TrainConfig(max_epochs=100, batch_size=64))
    out = overfit_experiment(cfg, variants=("true", "single", "ensemble"))
    assert out["true"]["gap"] == pytest.approx(0.0, abs=1e-3)
    assert out["single"]["gap"] > 50 and out["single"]["final_crashed"] >= 0.5
    assert out["ensemble"]["gap"] < out["single"]["gap"] / 2
    assert out["ensemble"]["final_real"] > out["single"]["final_real"] + 50
    assert np.isfinite(out["single"]["predicted"]).all()
