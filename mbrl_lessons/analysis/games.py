"""Chapter 7's board-game experiments: OpenSpiel as an outside referee.

Our agents search over our own rules (``search.mcts.Game``), so a bug in
those rules could flatter them.  Here every game is played *inside*
OpenSpiel (Lanctot et al. 2019, ``pip install open_spiel``): each of our
moves is applied to OpenSpiel's state, whose implementation refuses an
illegal move (``pyspiel.SpielError``), and the result is OpenSpiel's.  Our
own state is advanced alongside, and the two must agree at the end.  The
opponents are OpenSpiel's too: its alpha-beta solver (perfect play, ties
between equally good moves broken at random) and its MCTS bot (UCT with
random rollouts) at a stated simulation count.

OpenSpiel is a test/benchmark dependency; importing this module does not
need it, calling the functions does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mbrl_lessons.search.mcts import Game

OurPlayer = Callable[[object], int]        # our state -> action
OpenSpielPlayer = Callable[[object], int]  # pyspiel.State -> action


def _pyspiel():
    try:
        import pyspiel
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError("the referee needs OpenSpiel: pip install open_spiel "
                          "(a test/benchmark dependency, see requirements.txt)"
                          ) from err
    return pyspiel


def load_game(name: str):
    """An OpenSpiel game, e.g. ``"tic_tac_toe"`` or
    ``"connect_four(rows=5,columns=6)"``."""
    return _pyspiel().load_game(name)


def random_bot(rng: np.random.Generator) -> OpenSpielPlayer:
    """Uniformly random legal moves."""
    def act(state) -> int:
        legal = state.legal_actions()
        return int(legal[rng.integers(len(legal))])
    return act


def solver_bot(os_game, rng: np.random.Generator) -> OpenSpielPlayer:
    """Perfect play by OpenSpiel's alpha-beta search: every move's exact value
    for the player to move, a random choice among the best (so that repeated
    games differ).  Values are cached by position."""
    from open_spiel.python.algorithms import minimax

    cache: dict[tuple[str, int], float] = {}

    def value(child, player: int) -> float:
        key = (str(child), player)
        if key not in cache:
            if child.is_terminal():
                cache[key] = child.returns()[player]
            else:
                cache[key] = minimax.alpha_beta_search(
                    os_game, child.clone(), maximizing_player_id=player)[0]
        return cache[key]

    def act(state) -> int:
        player = state.current_player()
        scored = []
        for a in state.legal_actions():
            child = state.clone()
            child.apply_action(a)
            scored.append((value(child, player), a))
        best = max(v for v, _ in scored)
        moves = [a for v, a in scored if v == best]
        return int(moves[rng.integers(len(moves))])
    return act


def mcts_bot(os_game, n_simulations: int, seed: int, uct_c: float = 2.0
             ) -> OpenSpielPlayer:
    """OpenSpiel's MCTS bot: UCT (``uct_c``) with one random rollout per leaf,
    ``n_simulations`` simulations per move, no solver."""
    from open_spiel.python.algorithms import mcts

    state_rng = np.random.RandomState(seed)
    bot = mcts.MCTSBot(os_game, uct_c, n_simulations,
                       mcts.RandomRolloutEvaluator(1, state_rng), solve=False,
                       random_state=state_rng)
    return bot.step


def refereed_game(os_game, game: Game, ours: OurPlayer,
                  opponent: OpenSpielPlayer, our_seat: int) -> int:
    """One game inside OpenSpiel; ``our_seat`` 0 moves first.  Returns our
    result, +1 win, 0 draw, -1 loss, as OpenSpiel scores it.  Raises if our
    move is illegal (OpenSpiel checks) or if our rules disagree with OpenSpiel's
    about the end of the game or its winner."""
    if our_seat not in (0, 1):
        raise ValueError(f"our_seat must be 0 (first) or 1 (second), got {our_seat}")
    state, mine = os_game.new_initial_state(), game.initial
    while not state.is_terminal():
        if game.is_terminal(mine):
            raise AssertionError(f"our rules end the game early:\n{state}")
        if state.current_player() == our_seat:
            action = int(ours(mine))
            if action not in state.legal_actions():
                raise ValueError(f"illegal move {action} by our agent in\n{state}")
        else:
            action = int(opponent(state))
        state.apply_action(action)  # OpenSpiel's own legality check
        mine = game.play(mine, action)
    result = int(round(state.returns()[our_seat]))
    ours_says = game.winner(mine) * (1 if our_seat == 0 else -1)
    if not game.is_terminal(mine) or ours_says != result:
        raise AssertionError(f"our rules disagree with OpenSpiel's on\n{state}")
    return result


def refereed_match(os_game, game: Game, ours: OurPlayer,
                   opponent: OpenSpielPlayer, n_games: int) -> np.ndarray:
    """``[2, 3]`` counts of wins, draws and losses for our player moving first
    (row 0) and second (row 1), ``n_games`` games each."""
    out = np.zeros((2, 3), dtype=int)
    for seat in (0, 1):
        for _ in range(n_games):
            out[seat, 1 - refereed_game(os_game, game, ours, opponent, seat)] += 1
    return out


__all__ = ["load_game", "mcts_bot", "random_bot", "refereed_game",
           "refereed_match", "solver_bot"]
