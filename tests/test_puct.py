"""pUCT search (§7.5): the score by hand, min-max normalisation, the first
simulations on hand-built trees (prior respected, unvisited children at 0),
the negamax backup and terminal nodes of two-player games, root noise, and
search over a known maze model."""

import math

import numpy as np
import pytest

from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.envs.mazes import shortest_path_length
from mbrl_lessons.search import puct
from mbrl_lessons.search.puct import RecurrentOutput

NEG = -np.inf


def test_puct_score_by_hand():
    # c = 1.25 + log((10 + 19652 + 1) / 19652) = 1.2505596...
    c = 1.25 + math.log(19663 / 19652)
    expected = 0.5 + 0.4 * c * math.sqrt(10) / 3
    assert puct.puct_score(0.5, 0.4, 10, 2) == pytest.approx(expected)
    assert expected == pytest.approx(1.02728, abs=1e-5)
    # an unvisited parent gives no exploration bonus; more child visits, less
    assert puct.puct_score(0.3, 0.9, 0, 0) == pytest.approx(0.3)
    assert puct.puct_score(0.0, 0.5, 9, 1) > puct.puct_score(0.0, 0.5, 9, 4)


def test_min_max_normalisation():
    stats = puct.MinMaxStats()
    assert stats.normalize(0.7) == 0.7  # no range yet: unchanged
    for q in (2.0, -1.0, 5.0):
        stats.update(q)
    assert stats.normalize(2.0) == pytest.approx(0.5)
    assert stats.normalize(-1.0) == 0.0 and stats.normalize(5.0) == 1.0
    known = puct.MinMaxStats((-1.0, 1.0))  # fixed bounds ignore updates
    known.update(7.0)
    assert known.normalize(0.0) == 0.5 and known.normalize(1.0) == 1.0


def constant_model(logits, value=0.0, reward=0.0):
    """A model in which every state looks the same; counts its calls."""
    calls = []

    def fn(state, action):
        calls.append((state, action))
        return RecurrentOutput(reward, state + 1, np.asarray(logits, float), value)

    return fn, calls


def visits(root, n_actions=4):
    return [root.children[a].N if a in root.children else 0
            for a in range(n_actions)]


def test_first_simulation_follows_the_prior():
    """Root priors (0, 0, ~1, 0): the root's own evaluation counts as one
    visit, so the exploration term is not 0 at the first simulation and the
    prior picks action 2 (the old search went to action 0 first)."""
    logits = np.log([1e-6, 1e-6, 1.0, 1e-6])
    fn, _ = constant_model(np.zeros(4))
    for n, expected in [(1, [0, 0, 1, 0]), (2, [0, 0, 2, 0]), (3, [0, 0, 3, 0])]:
        root = puct.run_mcts(0, logits, 0.0, fn, n, gamma=1.0)
        assert visits(root) == expected, (n, visits(root))
        assert root.N == n + 1  # the root's evaluation plus n simulations
    assert puct.visit_policy(root).tolist() == [0.0, 0.0, 1.0, 0.0]


def test_unvisited_child_scores_zero_not_the_parent_value():
    """A visited child with normalised Q 0.5 and prior 0.8 against an
    unvisited one with prior 0.2, under a parent worth 0.9: with unvisited
    children at 0 (MuZero pseudocode, mctx's default) the visited child wins;
    completing with the parent's value (close to Gumbel MuZero's mixed value)
    would pick the other."""
    node = puct.PUCTNode(1.0)
    puct.expand(node, "s", 0.0, np.log([0.8, 0.2]))
    node.N, node.W = 2, 1.8
    seen = node.children[0]
    puct.expand(seen, "s0", 0.0, np.zeros(2))
    seen.N, seen.W = 1, 0.5
    stats = puct.MinMaxStats((0.0, 1.0))
    c = 1.25 + math.log((2 + 19652 + 1) / 19652)
    score_seen = 0.5 + 0.8 * c * math.sqrt(2) / 2
    score_unseen_zero = 0.0 + 0.2 * c * math.sqrt(2)
    score_unseen_parent = 0.9 + 0.2 * c * math.sqrt(2)
    assert score_unseen_zero < score_seen < score_unseen_parent
    a, _ = puct.select_child(node, stats, 1.0, 1.25, 19652.0)
    assert a == 0


def test_illegal_moves_get_no_child_and_no_visits():
    logits = np.array([0.0, NEG, 0.0, NEG])
    fn, _ = constant_model(np.zeros(4))
    root = puct.run_mcts(0, logits, 0.0, fn, 10)
    assert sorted(root.children) == [0, 2]
    pi = puct.visit_policy(root)
    assert pi[1] == pi[3] == 0.0 and pi.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no legal action"):
        puct.run_mcts(0, np.full(4, NEG), 0.0, fn, 1)
    with pytest.raises(ValueError, match="n_simulations"):
        puct.run_mcts(0, logits, 0.0, fn, 0)


def chain_model(values, rewards):
    """One legal move per state (a chain), so each simulation goes one step
    deeper: state ``d`` has value ``values[d]``; the step into it pays
    ``rewards[d]``."""

    def fn(d, action):
        assert action == 0
        return RecurrentOutput(rewards[d + 1], d + 1, np.array([0.0, NEG]),
                               values[d + 1])

    return fn


def test_negamax_backup_by_hand():
    """Root -> child -> grandchild, values for the player to move at each:
    root 0.1, child 0.3, grandchild 0.6; rewards into them 0 and 0.2."""
    fn = chain_model([0.1, 0.3, 0.6], [0.0, 0.0, 0.2])
    root = puct.run_mcts(0, np.array([0.0, NEG]), 0.1, fn, 2, gamma=1.0,
                         two_player=True)
    child = root.children[0]
    grand = child.children[0]
    # simulation 1 expands the child (0.3): root gets 0 - 0.3
    # simulation 2 expands the grandchild (0.6): child gets 0.2 - 0.6 = -0.4,
    # root gets 0 - (-0.4) = 0.4
    assert (grand.N, grand.W) == (1, pytest.approx(0.6))
    assert (child.N, child.W) == (2, pytest.approx(0.3 - 0.4))
    assert (root.N, root.W) == (3, pytest.approx(0.1 - 0.3 + 0.4))
    assert puct.edge_q(child, 1.0, -1.0) == pytest.approx(0.0 + 0.05)
    # one player: the same tree backs up sums, not alternating signs
    root1 = puct.run_mcts(0, np.array([0.0, NEG]), 0.1, fn, 2, gamma=1.0)
    assert root1.W == pytest.approx(0.1 + 0.3 + 0.8)


def trap_game():
    """P1 moves at the root.  Move 0 lets P2 win at once (P2's move 0, reward
    +1 to P2); move 1 leads only to draws.  Minimax: move 1 (value 0), move 0
    is worth -1 to P1.  Network values 0, uniform priors."""

    def fn(state, action):
        if state == "root":
            return RecurrentOutput(0.0, f"after{action}", np.zeros(2), 0.0)
        win = state == "after0" and action == 0
        return RecurrentOutput(1.0 if win else 0.0, "end", np.zeros(2), 0.0,
                               terminal=True)

    return fn


def test_two_player_search_avoids_the_move_that_lets_the_opponent_win():
    fn = trap_game()
    root = puct.run_mcts("root", np.zeros(2), 0.0, fn, 60, two_player=True,
                         value_bounds=(-1.0, 1.0))
    assert puct.best_action(root, two_player=True) == 1
    assert visits(root, 2)[1] > visits(root, 2)[0]
    assert puct.edge_q(root.children[0], 1.0, -1.0) < -0.5
    # without the sign flip the opponent's win looks like the player's own
    root1 = puct.run_mcts("root", np.zeros(2), 0.0, fn, 60,
                          value_bounds=(-1.0, 1.0))
    assert puct.best_action(root1) == 0


def test_terminal_node_is_not_expanded_again():
    """A move that wins at once: the model is called once, the terminal
    child backs up 0 after its reward of 1 every time."""
    calls = []

    def fn(state, action):
        calls.append(action)
        return RecurrentOutput(1.0, "won", np.zeros(2), 0.7, terminal=True)

    root = puct.run_mcts("s", np.array([0.0, NEG]), 0.2, fn, 5, two_player=True)
    child = root.children[0]
    assert calls == [0] and child.terminal and not child.children
    assert (child.N, child.W) == (5, 0.0)  # its value 0.7 is ignored: terminal
    assert root.W == pytest.approx(0.2 + 5 * 1.0)
    assert puct.edge_q(child, 1.0, -1.0) == 1.0


def test_dirichlet_noise_on_legal_moves_only():
    fn, _ = constant_model(np.zeros(4))
    logits = np.array([0.0, NEG, 0.0, 0.0])
    with pytest.raises(ValueError, match="rng"):
        puct.run_mcts(0, logits, 0.0, fn, 5, noise_fraction=0.25)
    root = puct.run_mcts(0, logits, 0.0, fn, 5, rng=np.random.default_rng(0),
                         noise_fraction=0.25, dirichlet_alpha=0.3)
    priors = [ch.prior for ch in root.children.values()]
    assert sorted(root.children) == [0, 2, 3]
    assert sum(priors) == pytest.approx(1.0) and max(priors) > 0.34
    # the same rng seed gives the same noise
    again = puct.run_mcts(0, logits, 0.0, fn, 5, rng=np.random.default_rng(0),
                          noise_fraction=0.25, dirichlet_alpha=0.3)
    assert [ch.prior for ch in again.children.values()] == priors


# from S, "right" reaches G in 4 steps; "left" needs 6; up and down hit walls
TINY = """\
.S..
.##.
...G
"""


def tiny_maze() -> GridWorld:
    return GridWorld(TINY, step_reward=0.0, goal_reward=1.0, max_steps=None)


def known_model(env: GridWorld, gamma: float, exact_value: bool):
    """A perfect ``recurrent_fn`` on cell indices: the true moves and rewards,
    uniform priors, and either the true value or none at all."""

    def value(s: int) -> float:
        if not exact_value or env.goal_mask[s]:
            return 0.0
        probe = tiny_maze()
        probe.start_states = [s]
        return gamma ** (shortest_path_length(probe) - 1)

    def fn(s: int, a: int) -> RecurrentOutput:
        if env.goal_mask[s]:
            return RecurrentOutput(0.0, s, np.zeros(4), 0.0)  # absorbing
        t = env._move(s, a)
        return RecurrentOutput(float(env.goal_mask[t]), t, np.zeros(4), value(t))

    return fn, value


@pytest.mark.parametrize("exact_value, sims", [(True, 20), (False, 300)])
def test_mcts_over_known_model_picks_the_shortest_way(exact_value, sims):
    env = tiny_maze()
    fn, value = known_model(env, 0.9, exact_value)
    start = env.start_states[0]
    root = puct.run_mcts(start, np.zeros(4), value(start), fn, sims, gamma=0.9)
    counts = visits(root)
    assert int(np.argmax(counts)) == 1, counts  # right
    assert sum(counts) == sims and root.N == sims + 1
    assert puct.visit_policy(root, 0.0).tolist() == [0.0, 1.0, 0.0, 0.0]
    if exact_value:  # backed-up returns average what paths achieve: <= optimum
        q = {a: puct.edge_q(ch, 0.9) for a, ch in root.children.items()}
        assert 0.9 ** 5 < q[1] <= 0.9 ** 3 + 1e-9 and q[3] <= 0.9 ** 5 + 1e-9
