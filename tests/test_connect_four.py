"""Connect Four (§7.5's harder game): our rules against OpenSpiel's move by
move, hand-built wins in every direction, the mirror symmetry, the gym env,
and AlphaZero's search over these rules finding a win and a block."""

import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms import alphazero as az
from mbrl_lessons.envs import make
from mbrl_lessons.envs.connect_four import FIRST, SECOND, ConnectFour, ConnectFourRules

R = ConnectFourRules(5, 6, 4)


@pytest.mark.parametrize("rows, columns, k", [(6, 7, 4), (5, 6, 4), (4, 5, 3)])
def test_random_games_agree_with_openspiel(rows, columns, k):
    """Every legal move list, every end of game and every winner, against
    OpenSpiel's implementation over 100 random games."""
    pyspiel = pytest.importorskip("pyspiel")
    rules = ConnectFourRules(rows, columns, k)
    os_game = pyspiel.load_game(rules.openspiel_name())
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(100):
        state, mine = os_game.new_initial_state(), rules.initial
        while not state.is_terminal():
            assert not rules.is_terminal(mine)
            assert sorted(state.legal_actions()) == rules.legal_actions(mine)
            assert (state.current_player() == 0) == (rules.to_play(mine) == FIRST)
            a = int(rng.choice(state.legal_actions()))
            state.apply_action(a)
            mine = rules.play(mine, a)
        assert rules.is_terminal(mine) and rules.legal_actions(mine) == []
        assert round(state.returns()[0]) == rules.winner(mine)
        outcomes.add(rules.winner(mine))
    assert {FIRST, SECOND} <= outcomes  # both sides won some games


@pytest.mark.parametrize("board, winner", [
    ("......\n......\n......\nOO....\nXXXXOO", FIRST),        # horizontal
    ("......\nX.....\nXO....\nXO....\nXO....", FIRST),        # vertical
    ("......\n...X..\n..XO..\n.XOO..\nXOOXX.", FIRST),        # diagonal /
    ("......\nO.....\nXO....\nXXO..O\nXXXO.O", SECOND),       # diagonal \
    ("......\n......\n......\n......\nXXX.OO", 0),           # three is not four
])
def test_wins_in_every_direction(board, winner):
    assert R.winner(R.from_board(board)) == winner


def test_no_line_wraps_across_columns():
    """Cells at the top of one column and the bottom of the next are adjacent
    bits; the sentinel bit keeps them from counting as a vertical line."""
    s = R.from_board("X.....\nX.....\nX.....\nO.....\nOXOO..")
    assert R.winner(s) == 0 and not R.is_terminal(s)


def test_play_stacks_and_rejects_full_columns():
    s = R.initial
    for _ in range(5):
        s = R.play(s, 2)
    assert 2 not in R.legal_actions(s)
    assert R.render(s).splitlines()[0] == "..X..."  # 5 discs: X on top
    with pytest.raises(ValueError, match="illegal move 2"):
        R.play(s, 2)
    with pytest.raises(ValueError, match="illegal move 6"):
        R.play(s, 6)
    with pytest.raises(ValueError, match="k must be"):
        ConnectFourRules(4, 4, 5)
    with pytest.raises(ValueError, match="above an empty cell"):
        R.from_board("......\n......\n......\nX.....\n.O....")


def test_encode_and_mirror():
    s = R.play(R.initial, 0)  # X in the bottom-left corner, O to move
    x = R.encode(s)
    assert x.shape == (60,) and x[30] == 1 and x.sum() == 1  # opponent plane, cell 0
    obs_perm, act_perm = R.symmetries[1]
    mirrored = R.encode(R.play(R.initial, 5))
    np.testing.assert_array_equal(x[obs_perm], mirrored)
    np.testing.assert_array_equal(act_perm, [5, 4, 3, 2, 1, 0])


def test_gym_env_and_registry():
    env = make("ConnectFour-v0")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (6, 7) and obs.sum() == 0
    obs, r, done, _, _ = env.step(3)
    assert obs[0, 3] == 1 and (obs == 2).sum() == 1 and r == 0 and not done
    small = ConnectFour(4, 5, 3)
    small.reset(seed=0)
    small.state = small.rules.from_board("O....\nX....\nO....\nX....")
    _, r, done, _, info = small.step(0)  # column 0 is full
    assert done and r == -1.0 and info["illegal"]


def blank_net(rules: ConnectFourRules) -> az.FrozenNet:
    net = az.PolicyValueNet(2 * rules.rows * rules.columns, rules.columns, 16, 0)
    with torch.no_grad():
        net.body[-1].weight.zero_()
        net.body[-1].bias.zero_()
    return az.FrozenNet(net)


def test_search_over_the_rules_wins_and_blocks():
    """With a blank network (uniform prior, value 0) the rules alone must
    make the search take an immediate win and block the opponent's."""
    game, cfg = R.game(), az.AlphaZeroConfig(n_simulations=200)
    win = R.from_board("......\n......\n......\nOO....\nXXX...")  # X to move
    root = az.search(game, blank_net(R), win, cfg)
    assert az.best_action(root, two_player=True) == 3
    block = R.from_board("......\n......\n......\nX.....\nOOO.XX")  # X to move
    root = az.search(game, blank_net(R), block, cfg)
    assert az.best_action(root, two_player=True) == 3


def test_alphazero_plays_refereed_games_inside_openspiel():
    """A tiny AlphaZero run on 4x5 plays OpenSpiel's random bot and its MCTS
    bot from both seats; OpenSpiel checks every move and our rules must agree
    with its verdict (refereed_game raises otherwise)."""
    pytest.importorskip("pyspiel")
    from mbrl_lessons.analysis import games

    rules = ConnectFourRules(4, 5, 4)
    cfg = az.AlphaZeroConfig(n_games=4, n_simulations=8, games_per_update=2,
                             updates=2, batch_size=16, eval_every=4, eval_games=1,
                             hidden=16)
    res = az.train(make("ConnectFour5x6-v0").unwrapped.game, cfg)  # an env's .game
    assert res.game_lengths.min() >= 7  # four in a row needs 7 moves at least
    run = az.train(rules.game(), cfg)
    player = az.AlphaZeroPlayer(rules.game(), run.checkpoints[-1], cfg)
    os_game = games.load_game(rules.openspiel_name())
    rng = np.random.default_rng(0)
    out = games.refereed_match(os_game, rules.game(), player, games.random_bot(rng), 2)
    assert out.sum() == 4
    out = games.refereed_match(os_game, rules.game(), player,
                               games.mcts_bot(os_game, 8, seed=0), 1)
    assert out.sum() == 2
