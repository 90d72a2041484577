"""Goal-conditioned values and subgoal discovery (§5.8): distances and values
by hand, and the four hallways found from shortest paths."""

import numpy as np
import pytest

from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp.options import four_rooms
from mbrl_lessons.mdp.subgoals import (
    bottleneck_counts,
    discover_subgoals,
    goal_distances,
    goal_values,
    hallways_found,
)

# two 2x2 rooms joined by one door cell in the middle column
DUMBBELL = """\
#######
#..#..#
#.....#
#######
"""


def _env():
    return GridWorld(layout=DUMBBELL.replace("#..#..#\n#.....#", "#S.#..#\n#....G#"),
                     slip=0.0)


def test_distances_and_goal_values_by_hand():
    env = _env()
    D = goal_distances(env)
    a, door, b = env.state_of(1, 1), env.state_of(2, 3), env.state_of(1, 5)
    assert D[a, b] == 6 and D[a, door] == 3 and D[a, a] == 0
    V = goal_values(D, 0.9)
    assert np.isclose(V[a, b], 0.9 ** 5) and V[a, a] == 0.0
    assert V[env.state_of(0, 0), b] == 0.0  # a wall reaches nothing
    with pytest.raises(ValueError, match="gamma"):
        goal_values(D, 0.0)


def test_the_door_is_the_bottleneck():
    env = _env()
    D = goal_distances(env)
    counts = bottleneck_counts(env, 300, np.random.default_rng(0), D)
    door = env.state_of(2, 3)
    assert discover_subgoals(counts, D, 1) == [door]


def test_four_rooms_subgoals_find_every_hallway():
    """A broken count (say, of path endpoints) or no exclusion radius (all
    four subgoals at one doorway) would fail this."""
    env = four_rooms(slip=0.0)
    D = goal_distances(env)
    halls = [env.state_of(*c) for c in ((3, 6), (6, 2), (7, 9), (10, 6))]
    for seed in range(3):
        counts = bottleneck_counts(env, 200, np.random.default_rng(seed), D)
        found = discover_subgoals(counts, D, 4)
        assert hallways_found(found, halls, D, 1) == 1.0
    with pytest.raises(ValueError, match="n_pairs"):
        bottleneck_counts(env, 0, np.random.default_rng(0), D)
