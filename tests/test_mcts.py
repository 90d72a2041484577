"""Tic-tac-toe simulator, minimax, and MCTS with UCT."""

import math

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.envs import make
from mbrl_lessons.envs.tictactoe import (
    EMPTY,
    TicTacToe,
    from_board,
    legal_actions,
    minimax_value,
    perfect_moves,
    play,
    to_play,
    winner,
)
from mbrl_lessons.search import (
    MCTSPlayer,
    Node,
    backpropagate,
    mcts,
    play_match,
    search_policy,
    tictactoe_game,
    ucb_score,
)

GAME = tictactoe_game()


def test_rules():
    s = from_board("XX.OO....")
    assert to_play(s) == 1 and legal_actions(s) == [2, 5, 6, 7, 8]
    assert winner(play(s, 2)) == 1
    with pytest.raises(ValueError, match="illegal"):
        play(s, 0)
    with pytest.raises(ValueError, match="X moves first"):
        from_board("OO.......")
    assert minimax_value(EMPTY) == 0  # perfect play draws


def test_env_is_a_gymnasium_env():
    check_env(TicTacToe(), skip_render_check=True)
    env = make("TicTacToe-v0", opponent="perfect")
    env.reset(seed=0)
    _, r, done, _, info = env.unwrapped.step(4)
    assert not done
    with pytest.raises(ValueError, match="opponent"):
        TicTacToe(opponent="mediocre")


def test_ucb_score_by_hand():
    # q + c sqrt(ln N / n) = 0.5 + sqrt(2) * sqrt(ln 10 / 2)
    assert ucb_score(0.5, 10, 2, math.sqrt(2)) == pytest.approx(
        0.5 + math.sqrt(2) * math.sqrt(math.log(10) / 2))
    assert ucb_score(0.0, 10, 0, 1.0) == math.inf


def test_backpropagation_credits_each_mover():
    root = Node(EMPTY, -1, GAME)           # O "moved" into the empty board
    child = Node(play(EMPTY, 4), 1, GAME)  # X moved into the child
    backpropagate([root, child], result=1)  # X won the rollout
    assert (child.N, child.W) == (1, 1.0) and (root.N, root.W) == (1, 0.0)
    backpropagate([root, child], result=0)  # a draw is worth half
    assert child.W == 1.5 and root.W == 0.5


def test_mcts_takes_a_win_in_one_and_blocks_a_loss_in_one():
    rng = make_rng(0)
    win = from_board("XX.OO....")          # X to move: 2 wins
    assert max(mcts(GAME, win, 300, rng).children.items(),
               key=lambda kv: kv[1].N)[0] == 2
    block = from_board("OO.X..X..")        # X to move, O threatens 2
    assert to_play(block) == 1
    assert max(mcts(GAME, block, 500, rng).children.items(),
               key=lambda kv: kv[1].N)[0] == 2


def test_search_policy_from_visits():
    root = mcts(GAME, EMPTY, 400, make_rng(1))
    pi = search_policy(root, 9)
    assert pi.sum() == pytest.approx(1.0) and pi.argmax() == 4  # the centre
    greedy = search_policy(root, 9, temperature=0)
    assert greedy[4] == 1.0


def test_mcts_never_loses_to_random_and_draws_perfect_play():
    rng = make_rng(2)

    def rand(s):
        moves = legal_actions(s)
        return moves[rng.integers(len(moves))]

    def perfect(s):
        moves = perfect_moves(s)
        return moves[rng.integers(len(moves))]

    results = [play_match(GAME, MCTSPlayer(GAME, 200, seed=i), rand) if i % 2 == 0
               else -play_match(GAME, rand, MCTSPlayer(GAME, 200, seed=i))
               for i in range(20)]
    assert min(results) >= 0
    results = [play_match(GAME, MCTSPlayer(GAME, 1000, seed=i), perfect) if i % 2 == 0
               else -play_match(GAME, perfect, MCTSPlayer(GAME, 1000, seed=i))
               for i in range(4)]
    assert results == [0, 0, 0, 0]


def test_same_seed_same_tree():
    a = mcts(GAME, EMPTY, 200, make_rng(5))
    b = mcts(GAME, EMPTY, 200, make_rng(5))
    assert [c.N for c in a.children.values()] == [c.N for c in b.children.values()]
    assert np.isclose(a.Q, b.Q)


def test_corner_opening_needs_a_bigger_budget():
    from mbrl_lessons.analysis.planning import mcts_perfect_reply_rate

    out = mcts_perfect_reply_rate((0,), sims=(20, 1000), n_searches=20)
    assert out["perfect_replies"] == [4]          # only the centre keeps the draw
    assert out["rate"][1] >= 0.9 > out["rate"][0]
