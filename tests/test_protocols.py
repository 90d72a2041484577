"""The package's Protocols (``core/types.py``): conforming objects pass,
misfits get a TypeError that names what is missing; the three tree searches
keep one vocabulary of node statistics."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms.alphazero import rules_model
from mbrl_lessons.algorithms.muzero import FrozenModel, MuZeroNet
from mbrl_lessons.algorithms.pets import ParticleModelEnv
from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.core.types import (
    BatchedModelEnv,
    DynamicsModel,
    Planner,
    RecurrentFn,
    RecurrentOutput,
    require,
)
from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.models import MLPDynamics, ModelEnv, TrueModel
from mbrl_lessons.planning import (
    CEMPlanner,
    MPCAgent,
    PlannerConfig,
    RandomShootingPlanner,
)
from mbrl_lessons.search import mcts, mcts_env, tictactoe_game
from mbrl_lessons.search.env_mcts import EnvNode
from mbrl_lessons.search.mcts import Node
from mbrl_lessons.search.puct import PUCTNode, run_mcts

CFG = PlannerConfig(horizon=3, n_candidates=8, n_iterations=1, n_elites=2)


class NoPredict:
    def forward(self, obs, act):
        return obs


def test_the_package_models_and_planners_fit_their_protocols():
    menv = ModelEnv(TrueModel(pendulum_step), pendulum_reward)
    for model in (TrueModel(pendulum_step), MLPDynamics(3, 1)):
        assert isinstance(model, DynamicsModel)
    assert isinstance(menv, BatchedModelEnv)
    assert isinstance(ParticleModelEnv.__new__(ParticleModelEnv), BatchedModelEnv)
    for cls in (CEMPlanner, RandomShootingPlanner):
        planner = cls(menv, -2.0, 2.0, CFG, seed=0)
        assert isinstance(planner, Planner)
        assert planner.plan(np.zeros(3, np.float32)).shape == (3, 1)
    net = MuZeroNet(4, 2, latent_dim=3, hidden=5)
    assert isinstance(FrozenModel(net).recurrent, RecurrentFn)
    from mbrl_lessons.models.muzero_conv import ConvMuZeroNet, FrozenConvModel
    conv = ConvMuZeroNet(2, (3, 3), 9, channels=2, hidden=4)
    assert isinstance(FrozenConvModel(conv).recurrent, RecurrentFn)
    game = tictactoe_game()
    assert isinstance(rules_model(game, None), RecurrentFn)


def test_misfits_get_a_type_error_that_names_what_is_missing():
    menv = ModelEnv(TrueModel(pendulum_step), pendulum_reward)
    assert not isinstance(NoPredict(), DynamicsModel)
    with pytest.raises(TypeError, match="ModelEnv's model must be a DynamicsModel.*"
                                        "NoPredict lacks predict"):
        ModelEnv(NoPredict(), pendulum_reward)
    with pytest.raises(TypeError, match="reward_fn must be callable"):
        ModelEnv(TrueModel(pendulum_step), reward_fn=3.0)
    with pytest.raises(TypeError, match="CEMPlanner's model_env must be a "
                                        "BatchedModelEnv.*lacks returns"):
        CEMPlanner(TrueModel(pendulum_step), -2.0, 2.0, CFG)  # a model, not an env
    with pytest.raises(TypeError, match="MPCAgent's planner must be a Planner.*"
                                        "ModelEnv lacks plan, reset"):
        MPCAgent(menv)
    with pytest.raises(TypeError, match="run_mcts's recurrent_fn.*__call__"):
        run_mcts(0, np.zeros(2), 0.0, "not a function", 4)


def test_a_recurrent_fn_must_return_the_named_output():
    def as_tuple(state, action):  # the right numbers in an anonymous tuple
        return (0.0, state + 1, np.zeros(2), 0.0, False)

    def named(state, action):
        return RecurrentOutput(0.0, state + 1, np.zeros(2), 0.0)

    assert RecurrentOutput._fields == ("reward", "next_state", "logits", "value",
                                       "terminal")
    with pytest.raises(TypeError, match="must return a RecurrentOutput"):
        run_mcts(0, np.zeros(2), 0.0, as_tuple, 4)
    root = run_mcts(0, np.zeros(2), 0.0, named, 4)
    assert sum(ch.N for ch in root.children.values()) == 4


def test_require_accepts_any_object_with_the_methods():
    class Duck:
        def returns(self, obs0, actions):
            return torch.zeros(len(actions))

    require(Duck(), BatchedModelEnv, "x")  # no base class needed
    with pytest.raises(TypeError, match="x must be a Planner"):
        require(Duck(), Planner, "x")


def test_the_three_tree_searches_share_one_vocabulary_of_node_statistics():
    """UCT (two-player games), MCTS on an env and pUCT all call a node's visit
    count ``N``, its summed backed-up value ``W``, the mean ``V = W / N`` and
    its successors ``children`` (action -> node)."""
    uct = mcts(tictactoe_game(), tictactoe_game().initial, 30, make_rng(0))
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    env_root = mcts_env(env, 20, make_rng(0), horizon=5)
    puct_root = run_mcts(0, np.zeros(2), 0.0,
                         lambda s, a: RecurrentOutput(1.0, s + 1, np.zeros(2), 0.5), 20)
    for cls in (Node, EnvNode, PUCTNode):
        for name in ("N", "W", "children"):
            assert name in cls.__slots__, (cls.__name__, name)
        assert isinstance(cls.V, property)
    for root in (uct, env_root, puct_root):
        assert root.N >= 20 and root.children
        assert root.V == pytest.approx(root.W / root.N)
        for child in root.children.values():
            assert child.N >= 1 and math.isfinite(child.V)
    # the edge statistics that exist in only some searches keep one name too
    assert "reward" in EnvNode.__slots__ and "reward" in PUCTNode.__slots__
    assert "prior" in PUCTNode.__slots__
