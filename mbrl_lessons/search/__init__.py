"""Tree searches (chapters 6 and 7): MCTS with UCT, RAVE and the MCTS-Solver on
two-player games, MCTS on any single-agent env with a copyable simulator, and
the pUCT search of AlphaZero and MuZero (``puct``).  All three keep the same
node statistics: ``N`` visits, ``W`` summed value, ``V = W / N``."""

from mbrl_lessons.search.env_mcts import EnvNode, MCTSAgent, mcts_env, run_mcts_episode
from mbrl_lessons.search.mcts import (
    Game,
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

__all__ = ["EnvNode", "Game", "MCTSAgent", "MCTSPlayer", "Node", "backpropagate",
           "best_move", "mcts", "mcts_env", "play_match", "prove", "run_mcts_episode",
           "search_policy", "select_child", "select_child_enhanced", "tictactoe_game",
           "ucb_score", "update_amaf"]
