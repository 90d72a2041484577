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
