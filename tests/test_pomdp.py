"""The Bayes filter by hand on the tiger problem, the transition step it must
not skip, and the two agents of §5.4."""

import numpy as np
import pytest

from mbrl_lessons.mdp.pomdp import (
    LISTEN,
    OPEN_LEFT,
    Tiger,
    belief_policy,
    belief_update,
    last_observation_policy,
    run_tiger,
)


def test_two_agreeing_growls_by_hand():
    t = Tiger()
    b = belief_update(np.array([0.5, 0.5]), LISTEN, 0, t.P, t.Z)
    assert np.allclose(b, [0.85, 0.15])
    b = belief_update(b, LISTEN, 0, t.P, t.Z)
    # 0.85^2 / (0.85^2 + 0.15^2)
    assert np.allclose(b[0], 0.7225 / (0.7225 + 0.0225))
    # a contradicting growl undoes one agreeing growl
    assert np.allclose(belief_update(b, LISTEN, 1, t.P, t.Z), [0.85, 0.15])


def test_the_transition_step_is_not_skipped():
    """Opening a door resets the tiger: whatever the belief was, it is 0.5
    afterwards.  A filter that only reweights by the observation would keep
    the old belief."""
    t = Tiger()
    b = belief_update(np.array([0.97, 0.03]), OPEN_LEFT, 0, t.P, t.Z)
    assert np.allclose(b, [0.5, 0.5])


def test_matches_the_joint_posterior_on_a_random_pomdp():
    rng = np.random.default_rng(0)
    S, A, K = 4, 2, 3
    P = rng.dirichlet(np.ones(S), size=(S, A))
    Z = rng.dirichlet(np.ones(K), size=(A, S))
    b = rng.dirichlet(np.ones(S))
    joint = b[:, None] * P[:, 1, :] * Z[1, None, :, 2]  # p(s, s', o=2 | a=1)
    assert np.allclose(belief_update(b, 1, 2, P, Z), joint.sum(0) / joint.sum())


def test_bad_beliefs_and_impossible_observations_are_refused():
    t = Tiger()
    with pytest.raises(ValueError, match="distribution"):
        belief_update(np.array([0.7, 0.7]), LISTEN, 0, t.P, t.Z)
    Z = t.Z.copy()
    Z[LISTEN] = [[1.0, 0.0], [1.0, 0.0]]  # a listener that always hears left
    with pytest.raises(ValueError, match="probability 0"):
        belief_update(np.array([0.5, 0.5]), LISTEN, 1, t.P, Z)


def test_the_belief_agent_beats_the_memoryless_one():
    belief = run_tiger(belief_policy(0.9), 3000, seed=0)
    memoryless = run_tiger(last_observation_policy, 3000, seed=0)
    assert belief["treasure_rate"] > 0.93 > 0.9 > memoryless["treasure_rate"]
    assert belief["reward_per_step"] > 0 > memoryless["reward_per_step"]
