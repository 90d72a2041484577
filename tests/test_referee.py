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


def _ours_vs_random(policy: str, me: int) -> np.ndarray:
    """The same expectimax written over our own rules, as a cross-check of
    ``games.perfect_vs_random`` (which walks OpenSpiel's states)."""
    memo: dict = {}

    def outcome(state) -> np.ndarray:
        if t.is_terminal(state):
            w = t.winner(state) * (1 if me == 0 else -1)
            return np.array([w > 0, w == 0, w < 0], dtype=float)
        if state in memo:
            return memo[state]
        moves = t.legal_actions(state)
        mover = 0 if t.to_play(state) == t.X else 1
        if mover != me:
            out = np.mean([outcome(t.play(state, a)) for a in moves], axis=0)
        else:
            if policy != "best_any":
                moves = t.perfect_moves(state)
            outs = [outcome(t.play(state, a)) for a in moves]
            out = (np.mean(outs, axis=0) if policy == "uniform_optimal"
                   else max(outs, key=lambda o: (o[0], -o[2])))
        memo[state] = out
        return out

    return outcome(t.EMPTY)


def test_perfect_vs_random_ceiling(ttt):
    """The best record any player can have against a random one: exact, equal
    over OpenSpiel's rules and ours, ordered uniform <= best-optimal <=
    best-any, and below 0.95 as second player even for the unconstrained best
    (so the >= 95% both-sides target has a ceiling of its own)."""
    out = {p: games.perfect_vs_random(ttt, p) for p in games.VS_RANDOM_POLICIES}
    for p, rec in out.items():
        np.testing.assert_allclose(rec.sum(1), 1.0)
        for seat in (0, 1):
            np.testing.assert_allclose(rec[seat], _ours_vs_random(p, seat), atol=1e-12)
    assert out["uniform_optimal"][:, 2].max() == 0  # optimal play never loses
    assert out["best_optimal"][:, 2].max() == 0
    assert out["best_any"][1, 2] > 0  # greed for wins risks losses as second
    assert np.all(out["uniform_optimal"][:, 0] <= out["best_optimal"][:, 0])
    assert np.all(out["best_optimal"][:, 0] <= out["best_any"][:, 0])
    assert out["best_any"][1, 0] < 0.95 < out["best_optimal"][0, 0]
    with pytest.raises(ValueError, match="policy must be one of"):
        games.perfect_vs_random(ttt, "greedy")


def test_chance_target_met():
    """A sure winner always meets the target, a coin never, and one just above
    the threshold only sometimes (sampling noise of 100 games a side)."""
    rng = np.random.default_rng(0)
    assert games.chance_target_met([1.0, 1.0], 100, 5, 0.95, 20, rng) == 1.0
    assert games.chance_target_met([0.5, 0.5], 100, 5, 0.95, 20, rng) == 0.0
    assert 0.0 < games.chance_target_met([0.96, 0.955], 100, 5, 0.95, 100, rng) < 1.0
    with pytest.raises(ValueError, match="two probabilities"):
        games.chance_target_met([1.2, 0.5], 100, 5, 0.95, 10, rng)
