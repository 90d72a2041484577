"""AlphaZero (§7.5): the rules as a recurrent_fn, the board seen by the player
to move, self-play targets, the loss by hand, searches that must win or
block, and a tiny reproducible run."""

import dataclasses

import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms import alphazero as az
from mbrl_lessons.envs import tictactoe as t
from mbrl_lessons.search.mcts import tictactoe_game

GAME = tictactoe_game()
CFG = az.AlphaZeroConfig(n_simulations=64)


def blank_net(seed: int = 0) -> az.FrozenNet:
    """A network with zero output weights: uniform prior, value 0."""
    net = az.PolicyValueNet(18, 9, 16, seed)
    with torch.no_grad():
        net.body[-1].weight.zero_()
        net.body[-1].bias.zero_()
    return az.FrozenNet(net)


def test_encode_is_from_the_player_to_move():
    s = t.from_board("X.." "..." "...")  # O to move
    x = t.encode(s)
    assert x[9] == 1 and x[:9].sum() == 0  # X's mark is the opponent's
    s2 = t.play(s, 4)  # X to move
    x2 = t.encode(s2)
    assert x2[0] == 1 and x2[9 + 4] == 1


def test_rules_model_scores_the_end_for_the_mover():
    fn = az.rules_model(GAME, blank_net())
    win = t.from_board("XX." "OO." "...")  # X to move, 2 wins
    out = fn(win, 2)
    assert out.terminal and out.reward == 1.0 and out.value == 0.0
    o_win = t.from_board("XX." "OO." "X..")  # O to move, 5 wins for O
    assert fn(o_win, 5).reward == 1.0  # +1 to the player who moved (O)
    draw = t.from_board("XOX" "XOO" "OX.")  # X's last move draws
    out = fn(draw, 8)
    assert out.terminal and out.reward == 0.0
    out = fn(t.EMPTY, 4)
    assert not out.terminal and np.isneginf(out.logits[4]) and out.logits[0] == 0


@pytest.mark.parametrize("board, move", [
    ("XX." "OO." "...", 2),   # X wins at once
    ("XX." "O.." "O..", 2),   # X must... win too (2), rather than block
    ("X.." "OO." "X..", 5),   # X must block O's row
    ("O.X" ".X." "...", 6),   # O must block X's diagonal
])
def test_search_over_the_rules_wins_and_blocks(board, move):
    root = az.search(GAME, blank_net(), t.from_board(board), CFG)
    assert az.best_action(root, two_player=True) == move


def test_self_play_targets():
    rng = np.random.default_rng(0)
    cfg = az.AlphaZeroConfig(n_simulations=8)
    obs, pi, z = az.self_play(GAME, blank_net(), cfg, rng)
    T = len(z)
    assert 5 <= T <= 9 and obs.shape == (T, 18) and pi.shape == (T, 9)
    np.testing.assert_allclose(pi.sum(1), 1.0, rtol=1e-6)
    # no visits to occupied cells
    occupied = obs[:, :9] + obs[:, 9:]
    assert (pi[occupied > 0] == 0).all()
    # outcomes alternate in sign with the player to move (or are all 0)
    assert np.all(z[::2] == z[0]) and np.all(z[1::2] == -z[0])
    assert z[-1] in (0.0, 1.0)  # the last mover never loses by moving


def test_loss_by_hand():
    net = az.PolicyValueNet(18, 9, 8, 0)
    obs = torch.rand(4, 18)
    pi = torch.softmax(torch.randn(4, 9), -1)
    z = torch.tensor([1.0, -1.0, 0.0, 1.0])
    logits, v = net(obs)
    expected_v = float(((z - v) ** 2).mean())
    expected_p = float(-(pi * torch.log_softmax(logits, -1)).sum(-1).mean())
    value, policy = az.alphazero_loss(net, obs, pi, z)
    assert float(value) == pytest.approx(expected_v)
    assert float(policy) == pytest.approx(expected_p)


def test_bad_config_and_game():
    with pytest.raises(ValueError, match="n_simulations"):
        az.AlphaZeroConfig(n_simulations=0)
    with pytest.raises(ValueError, match="noise_fraction"):
        az.AlphaZeroConfig(noise_fraction=2.0)
    with pytest.raises(TypeError, match="rules"):
        az.train("CartPole-v1", az.AlphaZeroConfig(n_games=1))


TINY = az.AlphaZeroConfig(n_games=6, n_simulations=8, games_per_update=3, updates=5,
                          batch_size=16, eval_every=3, eval_games=2, hidden=16,
                          seed=3)


def test_train_smoke_and_reproducible():
    a = az.train(None, TINY)
    assert a.checkpoint_games.tolist() == [0, 3, 6]
    assert a.vs_random.shape == (3, 2, 3) and a.losses.shape == (10, 2)
    np.testing.assert_allclose(a.vs_random.sum(-1), 1.0)
    assert np.isfinite(a.losses).all()
    b = az.train(t.TicTacToe(), TINY)
    np.testing.assert_array_equal(a.game_lengths, b.game_lengths)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.vs_random, b.vs_random)


def test_augmented_positions_keep_the_winning_move():
    """X wins by playing 2; under each of the 8 symmetries, the transformed
    visit distribution must point at a winning move of the transformed board."""
    s = t.from_board("XX." "OO." "...")
    pi = np.eye(9, dtype=np.float32)[2][None]
    obs, pis, z = az.augment((t.encode(s)[None], pi, np.ones(1, np.float32)),
                             GAME.symmetries)
    assert obs.shape == (8, 18) and pis.shape == (8, 9) and (z == 1).all()
    boards = set()
    for o, p in zip(obs, pis, strict=True):
        own = sum(1 << i for i in range(9) if o[i])      # X, to move
        other = sum(1 << i for i in range(9) if o[9 + i])
        board = (own, other)
        boards.add(board)
        assert t.winner(t.play(board, int(np.argmax(p)))) == t.X
    assert len(boards) == 8  # the position has no symmetry of its own


def test_round_lr_is_a_cosine_from_lr_to_lr_final():
    const = az.AlphaZeroConfig(n_games=100, games_per_update=10)
    assert [az.round_lr(const, r) for r in (0, 5, 9)] == [const.lr] * 3
    cfg = az.AlphaZeroConfig(n_games=100, games_per_update=10, lr=1e-2, lr_final=1e-3)
    steps = [az.round_lr(cfg, r) for r in range(10)]   # rounds 0..9
    assert steps[0] == pytest.approx(1e-2) and steps[-1] == pytest.approx(1e-3)
    # symmetric about the middle
    assert steps[4] + steps[5] == pytest.approx(1e-2 + 1e-3)
    assert all(a > b for a, b in zip(steps, steps[1:], strict=False))
    with pytest.raises(ValueError, match="lr_final"):
        az.AlphaZeroConfig(lr_final=0.0)


@pytest.mark.parametrize("module", ["alphazero", "muzero_games"])
def test_training_uses_the_decayed_step_size(module, monkeypatch):
    """The optimiser's step size during each round is round_lr's: record it
    at every Adam step of a tiny run."""
    import importlib
    mod = importlib.import_module(f"mbrl_lessons.algorithms.{module}")
    seen = []

    class Recording(torch.optim.Adam):
        def step(self, *args, **kwargs):
            seen.append(self.param_groups[0]["lr"])
            return super().step(*args, **kwargs)

    monkeypatch.setattr(mod.torch.optim, "Adam", Recording)
    cfg = dataclasses.replace(TINY, lr=1e-2, lr_final=1e-4)
    if module == "muzero_games":
        cfg = mod.from_alphazero(cfg, unroll_steps=2, latent_dim=8)
    mod.train(None, cfg)
    assert seen == [az.round_lr(cfg, r) for r in (0, 1) for _ in range(cfg.updates)]
    assert seen[0] == pytest.approx(1e-2) and seen[-1] == pytest.approx(1e-4)


def test_moves_after_the_temperature_moves_are_the_most_visited():
    """Temperature 1 for the first ``temperature_moves`` moves, then the most
    visited move: read each played move off the next stored board."""
    def played_is_most_visited(cfg, seed):
        obs, pi, _ = az.self_play(GAME, blank_net(), cfg, np.random.default_rng(seed))
        occupied = obs[:, :9] + obs[:, 9:]
        moves = np.argmax(occupied[1:] - occupied[:-1], 1)  # the newly filled cell
        return [bool(p[m] == p.max()) for p, m in zip(pi, moves, strict=False)]

    greedy = az.AlphaZeroConfig(n_simulations=8, temperature_moves=0)
    assert all(all(played_is_most_visited(greedy, s)) for s in range(5))
    late = az.AlphaZeroConfig(n_simulations=8, temperature_moves=2)
    assert all(all(played_is_most_visited(late, s)[2:]) for s in range(5))
    sampled = az.AlphaZeroConfig(n_simulations=8, temperature_moves=9)
    assert not all(all(played_is_most_visited(sampled, s)) for s in range(5))
