"""Tree search planners (chapter 6): MCTS with UCT."""

from mbrl_lessons.search.mcts import (
    Game,
    MCTSPlayer,
    Node,
    backpropagate,
    mcts,
    play_match,
    search_policy,
    select_child,
    tictactoe_game,
    ucb_score,
)

__all__ = ["Game", "MCTSPlayer", "Node", "backpropagate", "mcts", "play_match",
           "search_policy", "select_child", "tictactoe_game", "ucb_score"]
