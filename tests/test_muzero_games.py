"""MuZero on tic-tac-toe (§7.5): self-play targets in the search's sign
convention, root-only legal masking, and a tiny reproducible run."""

import numpy as np
import torch

from mbrl_lessons.algorithms import muzero_games as mg
from mbrl_lessons.algorithms.alphazero import AlphaZeroConfig
from mbrl_lessons.algorithms.muzero import FrozenModel, MuZeroNet
from mbrl_lessons.envs import tictactoe as t
from mbrl_lessons.search.mcts import tictactoe_game

GAME = tictactoe_game()


def test_config_from_alphazero_keeps_the_shared_settings():
    az = AlphaZeroConfig(n_games=7, n_simulations=5, seed=4)
    cfg = mg.from_alphazero(az, unroll_steps=3)
    assert (cfg.n_games, cfg.n_simulations, cfg.seed, cfg.unroll_steps) == (7, 5, 4, 3)


def test_self_play_targets_and_root_mask():
    model = FrozenModel(MuZeroNet(18, 9, 8, 16, seed=0))
    cfg = mg.MuZeroGameConfig(n_simulations=8)
    obs, acts, rew, pi, z = mg.self_play(GAME, model, cfg, np.random.default_rng(0))
    T = len(acts)
    assert obs.shape == (T + 1, 18) and pi.shape == (T, 9) and z.shape == (T + 1,)
    assert z[-1] == 0 and np.all(rew[:-1] == 0) and rew[-1] in (0.0, 1.0)
    # the winner's moves have z = +1, the loser's -1 (a draw: all 0)
    back = z[:-1][::-1]  # from the last mover backwards
    assert np.all(back[::2] == rew[-1]) and np.all(back[1::2] == -rew[-1])
    occupied = obs[:-1, :9] + obs[:-1, 9:]
    assert (pi[occupied > 0] == 0).all()  # the root never visits an occupied cell
    # replaying the actions gives a legal game
    s = GAME.initial
    for a in acts:
        s = t.play(s, int(a))
    assert t.is_terminal(s)


TINY = mg.MuZeroGameConfig(n_games=4, n_simulations=6, games_per_update=2, updates=3,
                           batch_size=8, eval_every=2, eval_games=1, hidden=16,
                           latent_dim=8, unroll_steps=2, seed=1)


def test_train_smoke_and_reproducible():
    torch.set_num_threads(1)
    a = mg.train(None, TINY)
    assert a.checkpoint_games.tolist() == [0, 2, 4] and a.losses.shape == (6, 3)
    assert np.isfinite(a.losses).all()
    b = mg.train(None, TINY)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.vs_random, b.vs_random)


def test_unroll_targets_follow_the_rules():
    """The K-step targets MuZero trains on, checked against the rules: the
    reward of unroll step k is 1 exactly when move k completes a line (it is
    paid to the mover), the value target is the result for the player to move
    at that step, and past the end of the game reward and value are 0 with
    no policy target.  An off-by-one in the reward index or a value kept for
    one fixed player would fail here."""
    from mbrl_lessons.core.replay import EpisodeReplay

    rng = np.random.default_rng(3)
    model = FrozenModel(MuZeroNet(18, 9, 8, 16, seed=0))
    cfg = mg.MuZeroGameConfig(n_simulations=4)
    replay, K = EpisodeReplay(18, 9, 4), 4
    decided = 0
    for _ in range(12):
        data = mg.self_play(GAME, model, cfg, rng)
        replay.add(*data, True, rng)
        decided += data[2][-1] == 1
    assert decided > 0  # some games were won, so rewards of 1 are checked
    b = replay.sample(300, rng)

    def decode(o):  # (own, other) for the player to move -> (x, o) bits
        own = sum(int(o[i]) << i for i in range(9))
        other = sum(int(o[9 + i]) << i for i in range(9))
        return (own, other) if bin(own).count("1") == bin(other).count("1") \
            else (other, own)

    for i in range(300):
        s, ended = decode(b.obs[i].numpy()), False
        for k in range(K + 1):
            if k:
                if ended:
                    assert b.reward[i, k] == 0 and b.value[i, k] == 0
                    assert b.policy_mask[i, k] == 0
                    continue
                s = t.play(s, int(b.actions[i, k - 1]))
                assert b.reward[i, k] == abs(t.winner(s))
            if t.is_terminal(s):
                ended = True
                assert b.value[i, k] == 0
                continue
            # the value target: the game's result for the player to move at s
            assert b.value[i, k] in (-1.0, 0.0, 1.0)
            assert b.policy_mask[i, k] == 1
            later = b.value[i, k + 1] if k < K else None
            if later is not None and not t.is_terminal(
                    t.play(s, int(b.actions[i, k]))):
                assert later == -b.value[i, k]  # one player's win, the other's loss


def test_one_step_errors_of_a_model_that_knows_the_rules():
    """A stub model whose hidden state is the board itself: with the true
    rewards no error and no missed win; with reward 0 everywhere every win is
    missed."""
    from mbrl_lessons.core.types import RecurrentOutput

    class Rules:
        def __init__(self, knows: bool) -> None:
            self.knows = knows

        def initial(self, obs):
            return obs, np.zeros(9), 0.0

        def recurrent(self, obs, action):
            own = sum(int(obs[i]) << i for i in range(9)) | (1 << action)
            won = float(t.has_won(own)) if self.knows else 0.0
            return RecurrentOutput(won, obs, np.zeros(9), 0.0)

    states = t.positions()
    good = mg.one_step_errors(GAME, Rules(True), states)
    assert good["reward_mse_winning_moves"] == 0 == good["reward_mse_other_moves"]
    assert good["winning_moves_missed"] == 0 and good["n_winning_moves"] > 0
    blind = mg.one_step_errors(GAME, Rules(False), states)
    assert blind["winning_moves_missed"] == 1 == blind["reward_mse_winning_moves"]
    import pytest
    with pytest.raises(ValueError, match="move to make"):
        mg.one_step_errors(GAME, Rules(True), t.positions(terminal=True))


# ------------------------------------------------------- the conv net (issue 16)


def test_conv_config_is_validated():
    import pytest
    for bad in ({"net": "cnn"}, {"channels": 0}, {"blocks": -1}):
        with pytest.raises(ValueError):
            mg.MuZeroGameConfig(**bad)
    assert mg.MuZeroGameConfig().net == "mlp"  # connect four keeps its model
    no_board = GAME.__class__(**{**GAME.__dict__, "board_shape": ()})
    with pytest.raises(ValueError, match="board_shape"):
        mg.make_model(no_board, mg.MuZeroGameConfig(net="conv"))


def test_action_planes_are_cells_or_columns():
    import pytest

    from mbrl_lessons.models.muzero_conv import action_planes
    np.testing.assert_array_equal(action_planes((3, 3), 9), np.eye(9))
    cols = action_planes((2, 3), 3).reshape(3, 2, 3)  # cell r * cols + c
    assert (cols[1, :, 1] == 1).all() and cols[1].sum() == 2
    with pytest.raises(ValueError):
        action_planes((3, 3), 4)


def test_frozen_conv_model_computes_what_the_torch_net_does():
    """The search's numpy copy (3x3 convs as gathered neighbourhoods times the
    filters, hidden states [cells, channels]) against torch's conv2d, on a
    square and a non-square board, with random heads so every output counts;
    a wrong filter layout, padding or flatten order fails here."""
    from mbrl_lessons.models.muzero_conv import ConvMuZeroNet, FrozenConvModel
    rng = np.random.default_rng(0)
    for shape, n_act in (((3, 3), 9), ((6, 7), 7)):
        net = ConvMuZeroNet(2, shape, n_act, channels=4, blocks=2, hidden=8, seed=3)
        with torch.no_grad():
            for m in (net.prediction[-1], net.reward_head[-1]):
                m.weight.normal_(generator=torch.Generator().manual_seed(1))
        model = FrozenConvModel(net)
        obs = (rng.random((4, 2 * shape[0] * shape[1])) < 0.3).astype(np.float32)
        acts = rng.integers(0, n_act, 4)
        with torch.no_grad():
            s, logits, v = net.initial_inference(torch.as_tensor(obs))
            out = net.recurrent_inference(s, torch.as_tensor(acts))
        for i in range(4):
            s_np, logits_np, v_np = model.initial(obs[i])
            np.testing.assert_allclose(s_np, s[i].reshape(4, -1).T, atol=1e-5)
            np.testing.assert_allclose(logits_np, logits[i], atol=1e-5)
            assert abs(v_np - float(v[i])) < 1e-5
            step = model.recurrent(s_np, int(acts[i]))
            assert 0 < step.reward < 1
            assert abs(step.reward - float(out.reward[i])) < 1e-5
            np.testing.assert_allclose(step.next_state,
                                       out.next_state[i].reshape(4, -1).T, atol=1e-5)
            np.testing.assert_allclose(step.logits, out.logits[i], atol=1e-5)
            assert abs(step.value - float(out.value[i])) < 1e-5


def test_conv_reward_is_scored_by_cross_entropy():
    """The conv net's 0/1 rewards are trained by cross-entropy (the MLP's by
    squared error): the reward loss equals BCE of the unrolled predictions."""
    from mbrl_lessons.core.replay import EpisodeReplay
    from mbrl_lessons.models.muzero_net import muzero_losses, unroll

    rng = np.random.default_rng(2)
    cfg = mg.MuZeroGameConfig(n_simulations=4, net="conv", channels=4, hidden=8)
    net, freeze = mg.make_model(GAME, cfg)
    replay = EpisodeReplay(18, 9, 3)
    for _ in range(6):
        replay.add(*mg.self_play(GAME, freeze(net), cfg, rng), True, rng)
    b = replay.sample(64, rng)
    assert b.reward.max() == 1  # some winning moves are in the batch
    p = unroll(net, b.obs, b.actions).reward[:, 1:]
    bce = -(b.reward[:, 1:] * torch.log(p) + (1 - b.reward[:, 1:]) * torch.log(1 - p))
    w = b.mask[:, 1:] / 3
    expected = (bce * w).sum(1).mean()
    assert torch.isclose(muzero_losses(net, b)[1], expected, rtol=1e-5)


def test_conv_train_smoke_and_reproducible():
    torch.set_num_threads(1)
    import dataclasses
    tiny = dataclasses.replace(TINY, net="conv", channels=4)
    a = mg.train(None, tiny)
    assert a.losses.shape == (6, 3) and np.isfinite(a.losses).all()
    b = mg.train(None, tiny)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.vs_random, b.vs_random)
