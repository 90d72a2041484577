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
    best_move,
    mcts,
    play_match,
    prove,
    search_policy,
    select_child,
    select_child_enhanced,
    tictactoe_game,
    ucb_score,
    update_amaf,
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
    assert np.isclose(a.V, b.V)


def test_corner_opening_needs_a_bigger_budget():
    from mbrl_lessons.analysis.planning import mcts_perfect_reply_rate

    out = mcts_perfect_reply_rate((0,), sims=(20, 1000), n_searches=20)
    assert out["perfect_replies"] == [4]          # only the centre keeps the draw
    assert out["rate"][1] >= 0.9 > out["rate"][0]


# ----------------------------------------------------- RAVE and MCTS-Solver
def test_amaf_update_by_hand():
    # one simulation played 4 (X, at the root), 0 (O, at the child), 8 (X)
    root = Node(EMPTY, -1, GAME)
    child = Node(play(EMPTY, 4), 1, GAME)
    update_amaf([root, child], [4, 0, 8], result=1)   # X won
    assert root.amaf_N == {4: 1, 8: 1} and root.amaf_W == {4: 1.0, 8: 1.0}
    assert child.amaf_N == {0: 1} and child.amaf_W == {0: 0.0}  # O lost
    update_amaf([root, child], [4, 0, 8], result=0)   # a draw counts half
    assert root.amaf_W[8] == 1.5 and child.amaf_W[0] == 0.5


def test_rave_blend_by_hand():
    root = Node(EMPTY, -1, GAME)
    for a, (n, w) in {4: (1, 0.0), 0: (1, 0.0)}.items():
        ch = Node(play(EMPTY, a), 1, GAME)
        ch.N, ch.W = n, w
        root.children[a] = ch
    root.untried = []
    root.N = 2
    root.amaf_N, root.amaf_W = {4: 10, 0: 10}, {4: 9.0, 0: 1.0}
    # both children lost their only visit; AMAF says 4 is good, 0 is not
    assert select_child(root, 1.0)[0] == 4   # plain UCT: tie -> first inserted
    a, _ = select_child_enhanced(root, 1.0, rave=1000, solver=False)
    assert a == 4
    root.amaf_W = {4: 1.0, 0: 9.0}
    a, _ = select_child_enhanced(root, 1.0, rave=1000, solver=False)
    assert a == 0                            # the blend follows AMAF


def test_prove_win_loss_and_draw():
    s = from_board("XX.OO....")              # X to move; 2 wins at once
    root = Node(s, -1, GAME)
    win = Node(play(s, 2), 1, GAME)
    assert win.proven == 1.0                 # terminal: exact for its mover
    root.children[2] = win
    prove([root, win])
    assert root.proven == 0.0                # the mover into root (O) has lost
    draw_state = from_board("XOXXOOOX.")     # X to move; the last cell draws
    node = Node(draw_state, -1, GAME)
    leaf = Node(play(draw_state, 8), 1, GAME)
    node.untried.remove(8)
    node.children[8] = leaf
    prove([node, leaf])
    assert leaf.proven == 0.5 and node.proven == 0.5


def test_solver_finds_a_forced_win_in_two_and_stops_early():
    s = from_board("X...O...X")          # X: 0, 8; O: 4; O to move
    assert to_play(s) == -1
    # O must take an edge; a corner (2 or 6) lets X take the other and fork
    assert sorted(perfect_moves(s)) == [1, 3, 5, 7]
    root = mcts(GAME, s, 20_000, make_rng(0), solver=True)
    assert root.proven is not None and root.N < 20_000   # solved, stopped early
    assert root.proven == 0.5                            # the game is a draw
    assert best_move(root, solver=True) in perfect_moves(s)
    for a in (2, 6):
        assert root.children[a].proven == 0.0            # proven losses for O


def test_solver_off_ignores_proofs_and_reproduces_plain_uct():
    a = mcts(GAME, EMPTY, 300, make_rng(3))
    b = mcts(GAME, EMPTY, 300, make_rng(3), rave=0, solver=False)
    assert [c.N for c in a.children.values()] == [c.N for c in b.children.values()]


def test_enhanced_search_answers_a_corner_opening_better():
    from mbrl_lessons.analysis.planning import mcts_perfect_reply_rate

    plain = mcts_perfect_reply_rate((0,), sims=(200,), n_searches=60)["rate"][0]
    both = mcts_perfect_reply_rate((0,), sims=(200,), n_searches=60, rave=1000,
                                   solver=True)["rate"][0]
    assert both >= plain + 0.15, (plain, both)


def test_bad_search_arguments():
    with pytest.raises(ValueError, match="n_simulations"):
        mcts(GAME, EMPTY, 0, make_rng(0))
    with pytest.raises(ValueError, match="rave"):
        mcts(GAME, EMPTY, 10, make_rng(0), rave=-1)
    with pytest.raises(ValueError, match="finished"):
        mcts(GAME, from_board("XXXOO...."), 10, make_rng(0))


def test_clear_errors_for_bad_games_states_and_policies():
    with pytest.raises(TypeError, match="Game"):
        mcts(None, EMPTY, 10, make_rng(0))
    with pytest.raises(ValueError, match="not a state"):
        mcts(GAME, (1, 2, 3), 10, make_rng(0))
    with pytest.raises(ValueError, match="exploration weight"):
        mcts(GAME, EMPTY, 10, make_rng(0), c=-1)
    root = mcts(GAME, EMPTY, 50, make_rng(0))
    with pytest.raises(ValueError, match="temperature"):
        search_policy(root, 9, temperature=-1)
    with pytest.raises(ValueError, match="too small"):
        search_policy(root, 3)
