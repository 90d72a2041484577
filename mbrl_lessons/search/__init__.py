"""Tree search planners (chapter 6): MCTS with UCT, RAVE and the MCTS-Solver."""

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

__all__ = ["Game", "MCTSPlayer", "Node", "backpropagate", "best_move", "mcts",
           "play_match", "prove", "search_policy", "select_child",
           "select_child_enhanced", "tictactoe_game", "ucb_score", "update_amaf"]
