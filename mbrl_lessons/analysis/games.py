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


def _negamax(state, memo: dict) -> float:
    """Exact game value of an OpenSpiel state for its player to move."""
    key = str(state)
    if key not in memo:
        if state.is_terminal():
            raise ValueError("_negamax is for positions with a player to move")
        best = -np.inf
        for a in state.legal_actions():
            child = state.child(a)
            v = (child.returns()[state.current_player()] if child.is_terminal()
                 else -_negamax(child, memo))
            best = max(best, v)
        memo[key] = float(best)
    return memo[key]


VS_RANDOM_POLICIES = ("uniform_optimal", "best_optimal", "best_any")


def perfect_vs_random(os_game, policy: str = "best_optimal") -> np.ndarray:
    """Exact ``[2, 3]`` win / draw / loss probabilities of a deterministic
    searcher against a uniformly random player, moving first (row 0) and
    second (row 1), in a two-player zero-sum OpenSpiel game small enough to
    enumerate (tic-tac-toe: 5,478 positions).

    ``policy`` says how our player chooses:

    * ``"uniform_optimal"``: uniformly among the game-theoretically optimal
      moves (what ``solver_bot`` does);
    * ``"best_optimal"``: among the optimal moves, the one with the highest
      probability of winning against the random player (expectimax over the
      random player's replies), so it still never loses to perfect play;
    * ``"best_any"``: the move with the highest win probability against the
      random player, optimal or not; no agent can win more often than this.

    The positions and results are OpenSpiel's.  The ``"best_*"`` players
    maximise the win probability (ties: the smaller loss probability).
    """
    if policy not in VS_RANDOM_POLICIES:
        raise ValueError(f"policy must be one of {VS_RANDOM_POLICIES}, got {policy!r}")
    if os_game.num_players() != 2:
        raise ValueError("perfect_vs_random needs a two-player game")
    values: dict = {}
    memo: dict = {}

    def outcome(state, me: int) -> np.ndarray:
        """[win, draw, loss] probabilities for ``me`` from ``state``."""
        if state.is_terminal():
            r = state.returns()[me]
            return np.array([r > 0, r == 0, r < 0], dtype=float)
        key = (str(state), me)
        if key in memo:
            return memo[key]
        moves = state.legal_actions()
        children = [state.child(a) for a in moves]
        if state.current_player() != me:  # the random player: the average
            out = np.mean([outcome(c, me) for c in children], axis=0)
        else:
            if policy != "best_any":  # keep the moves that hold the game value
                worth = [c.returns()[me] if c.is_terminal()
                         else -_negamax(c, values) for c in children]
                children = [c for c, w in zip(children, worth, strict=True)
                            if w == max(worth)]
            outs = [outcome(c, me) for c in children]
            if policy == "uniform_optimal":
                out = np.mean(outs, axis=0)
            else:
                out = max(outs, key=lambda o: (o[0], -o[2]))
        memo[key] = out
        return out

    root = os_game.new_initial_state()
    return np.stack([outcome(root, 0), outcome(root, 1)])


def chance_target_met(win_probs, games_per_side: int, n_seeds: int,
                      threshold: float, reps: int, rng: np.random.Generator
                      ) -> float:
    """How often a player with exact win probabilities ``win_probs`` (moving
    first, moving second) would meet a both-sides win-rate target measured as
    the benchmarks measure it: ``n_seeds`` seeds of ``games_per_side`` games as
    each side, met only if the bootstrap interval of the mean over seeds lies
    at or above ``threshold`` (``Target.over_seeds``).  A Monte Carlo estimate
    over ``reps`` simulated benchmarks."""
    from mbrl_lessons.core.results import Target

    p = np.asarray(win_probs, dtype=float)
    if p.shape != (2,) or not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"win_probs must be two probabilities, got {win_probs!r}")
    if min(games_per_side, n_seeds, reps) < 1:
        raise ValueError("games_per_side, n_seeds and reps must be >= 1")
    met = 0
    for _ in range(reps):
        wins = rng.binomial(games_per_side, p, size=(n_seeds, 2)).sum(1)
        t = Target.over_seeds("sim", "", wins / (2 * games_per_side), ">=",
                              threshold)
        met += t.met
    return met / reps


__all__ = ["VS_RANDOM_POLICIES", "chance_target_met", "load_game", "mcts_bot",
           "perfect_vs_random", "random_bot", "refereed_game", "refereed_match",
           "solver_bot"]
