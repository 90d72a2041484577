"""The OpenSpiel referee (§7.5): our rules agree with OpenSpiel's, an illegal
move is refused, the solver never loses, and a perfect player never loses to
it while a random one does."""

import numpy as np
import pytest

pytest.importorskip("pyspiel")

from mbrl_lessons.analysis import games  # noqa: E402
from mbrl_lessons.envs import tictactoe as t  # noqa: E402
from mbrl_lessons.search.mcts import Game, tictactoe_game  # noqa: E402

GAME = tictactoe_game()


@pytest.fixture(scope="module")
def ttt():
    return games.load_game("tic_tac_toe")


def perfect(rng):
    def act(state):
        moves = t.perfect_moves(state)
        return int(moves[rng.integers(len(moves))])
    return act


def random_ours(rng):
    def act(state):
        legal = t.legal_actions(state)
        return int(legal[rng.integers(len(legal))])
    return act


def test_random_games_agree_with_openspiel(ttt):
    """200 random games: the referee raises if our rules and OpenSpiel's
    disagree about legality, the end or the winner, so finishing is the test."""
    rng = np.random.default_rng(0)
    counts = games.refereed_match(ttt, GAME, random_ours(rng),
                                  games.random_bot(rng), 100)
    assert counts.sum() == 200 and counts[:, 0].sum() > 0 and counts[:, 2].sum() > 0


def test_perfect_player_never_loses_to_the_solver_and_random_does(ttt):
    rng = np.random.default_rng(1)
    solver = games.solver_bot(ttt, rng)
    counts = games.refereed_match(ttt, GAME, perfect(rng), solver, 10)
    assert counts[:, 2].sum() == 0 and counts[:, 0].sum() == 0  # all draws
    counts = games.refereed_match(ttt, GAME, random_ours(rng), solver, 10)
    assert counts[:, 2].sum() >= 10  # the solver punishes random play


def test_mcts_bot_beats_random_play(ttt):
    rng = np.random.default_rng(2)
    bot = games.mcts_bot(ttt, 200, seed=0)
    counts = games.refereed_match(ttt, GAME, random_ours(rng), bot, 5)
    assert counts[:, 2].sum() >= 6


def test_illegal_move_and_wrong_rules_are_caught(ttt):
    # the opponent (second) takes the centre; our agent then plays it again
    with pytest.raises(ValueError, match="illegal move 4"):
        games.refereed_game(ttt, GAME, lambda s: 4, lambda st: 4, our_seat=1)
    # rules that call every game a win for X disagree with OpenSpiel's
    wrong = Game(t.legal_actions, t.play, t.is_terminal, lambda s: 1, t.to_play,
                 9, t.EMPTY, t.encode)
    rng = np.random.default_rng(3)
    with pytest.raises(AssertionError, match="disagree|early"):
        for _ in range(20):
            games.refereed_game(ttt, wrong, random_ours(rng), games.random_bot(rng), 0)
    with pytest.raises(ValueError, match="our_seat"):
        games.refereed_game(ttt, GAME, random_ours(rng), games.random_bot(rng), 2)
