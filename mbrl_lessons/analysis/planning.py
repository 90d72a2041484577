"""Chapter 6's experiments, shared by the notebook and the benchmark.

Settings follow Sutton & Barto (2018), chapter 8, unless a docstring says
otherwise.  Every function takes explicit seeds and returns arrays.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_seed
from mbrl_lessons.dyna import (
    DynaConfig,
    DynaQ,
    PrioritizedSweeping,
    PSConfig,
    greedy_path_length,
    model_path_length,
    run_episodes,
    run_ps_episodes,
    run_steps,
)
from mbrl_lessons.envs.mazes import (
    BlockingMaze,
    DynaMaze,
    ShortcutMaze,
    scaled_dyna_maze,
    shortest_path_length,
)
from mbrl_lessons.envs.tictactoe import EMPTY, legal_actions, perfect_moves, play
from mbrl_lessons.mdp import TabularMDP, value_iteration
from mbrl_lessons.mdp.dp import policy_evaluation_exact
from mbrl_lessons.search import MCTSPlayer, mcts, play_match, tictactoe_game


# --------------------------------------------------------------- Fig 8.2
class Fig82(NamedTuple):
    steps: dict[int, np.ndarray]  # n -> mean steps per episode [n_episodes]
    paths: dict[int, list]        # n -> each run's final greedy path length
    model_paths: dict[int, list]  # n -> shortest path the run's model knows
    first_episode: dict[int, list]  # n -> each run's first-episode length


def fig8_2_run(n: int, seed: int, n_episodes: int = 50) -> dict:
    """One Dyna-Q run of Fig 8.2 (``n`` planning steps, alpha 0.1, epsilon
    0.1, gamma 0.95): its steps per episode, its final greedy path length,
    the shortest path its learned model knows about, and the length of its
    first episode (a random walk, which decides what the model has seen)."""
    st = run_episodes(DynaMaze(), DynaConfig(n_planning=n), n_episodes, seed=seed)
    return {"steps": [int(x) for x in st.steps_per_episode],
            "greedy_path": greedy_path_length(DynaMaze(), st.Q),
            "model_path": model_path_length(DynaMaze(), st.model),
            "first_episode": int(st.steps_per_episode[0])}


def fig8_2(n_values=(0, 5, 50), n_seeds=30, n_episodes=50, progress=False
           ) -> Fig82:
    """Mean steps per episode on the Dyna maze over seeds ``0..n_seeds-1``
    (the same seeds for every ``n``), and every run's :func:`fig8_2_run`
    path lengths and first episode."""
    steps, paths, model_paths, first = {}, {}, {}, {}
    for n in n_values:
        runs = [fig8_2_run(n, seed, n_episodes)
                for seed in tqdm(range(n_seeds), desc=f"n={n}", disable=not progress,
                                 leave=False)]
        steps[n] = np.mean([r["steps"] for r in runs], axis=0)
        paths[n] = [r["greedy_path"] for r in runs]
        model_paths[n] = [r["model_path"] for r in runs]
        first[n] = [r["first_episode"] for r in runs]
    return Fig82(steps, paths, model_paths, first)


def _slippery_setup(slip: float):
    mdp = TabularMDP.from_env(DynaMaze(slip=slip), 0.95)
    v_star = value_iteration(mdp, tol=1e-12).V
    return mdp, v_star, DynaMaze().start_states[0]


def stochastic_world_run(kind: str, seed: int, slip=0.2, n=50, n_episodes=50,
                         eval_every=5, _setup=None) -> dict:
    """One Dyna-Q run on the slippery Dyna maze with a ``kind`` model
    (``"deterministic"``: last outcome, ``"stochastic"``: counts): the exact
    value from the start of its greedy policy every ``eval_every`` episodes,
    and ``|max_a Q(s0, a) - V*(s0)|`` at the end."""
    if kind not in ("deterministic", "stochastic"):
        raise ValueError(f"kind must be 'deterministic' or 'stochastic', got {kind!r}")
    mdp, v_star, s0 = _setup or _slippery_setup(slip)
    cfg = DynaConfig(n_planning=n, model=kind)
    rng = make_rng(seed)
    env = DynaMaze(slip=slip)
    agent = DynaQ(env.observation_space.n, env.action_space.n, cfg, rng)
    curve = []
    for _ in range(eval_every, n_episodes + 1, eval_every):
        run_episodes(env, cfg, eval_every, seed=rng, agent=agent)
        greedy = np.eye(4)[agent.Q.argmax(1)]
        curve.append(float(policy_evaluation_exact(mdp, greedy)[s0]))
    return {"greedy_value": curve,
            "q_error": abs(float(agent.Q[s0].max()) - float(v_star[s0]))}


def stochastic_world(slip=0.2, n=50, n_seeds=10, n_episodes=50, eval_every=5,
                     progress=False) -> dict:
    """Dyna-Q with a deterministic (last outcome) and a stochastic (counts)
    model on a slippery Dyna maze: the exact value of the greedy policy from
    the start, ``V^{pi_Q}(s0)``, every ``eval_every`` episodes, against
    ``V*(s0)`` (both computed on the true model); also ``|max_a Q(s0, a) -
    V*(s0)|`` at the end (mean over seeds; see :func:`stochastic_world_run`)."""
    setup = _slippery_setup(slip)
    checkpoints = list(range(eval_every, n_episodes + 1, eval_every))
    out = {"slip": slip, "n": n, "seeds": n_seeds, "episodes": checkpoints,
           "v_star": float(setup[1][setup[2]])}
    for kind in ("deterministic", "stochastic"):
        runs = [stochastic_world_run(kind, seed, slip, n, n_episodes, eval_every,
                                     _setup=setup)
                for seed in tqdm(range(n_seeds), desc=kind, disable=not progress,
                                 leave=False)]
        values = [r["greedy_value"] for r in runs]
        out[kind] = {"greedy_value": np.mean(values, 0).tolist(),
                     "final_values": [c[-1] for c in values],
                     "q_error": float(np.mean([r["q_error"] for r in runs]))}
    return out


# ------------------------------------------------------- Figs 8.4 and 8.5
CHANGING_MAZES = {"blocking": (BlockingMaze, 3000, 10, 1e-4),
                  "shortcut": (ShortcutMaze, 6000, 50, 1e-3)}


def changing_maze_run(maze: str, plus: bool, seed: int) -> np.ndarray:
    """Cumulative reward of one Dyna-Q (``plus=False``) or Dyna-Q+ run on the
    blocking or shortcut maze (settings in :func:`changing_maze`)."""
    if maze not in CHANGING_MAZES:
        raise ValueError(f"maze must be one of {sorted(CHANGING_MAZES)}, got {maze!r}")
    env_cls, steps, n, kappa = CHANGING_MAZES[maze]
    cfg = DynaConfig(n_planning=n, alpha=1.0, kappa=kappa if plus else 0.0)
    return run_steps(env_cls(), cfg, steps, seed=seed)


def changing_maze(maze: str, n_seeds=20, progress=False
                  ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Mean cumulative reward of Dyna-Q and Dyna-Q+ on the blocking or
    shortcut maze.  Settings of the widely used reproduction of Figs 8.4/8.5:
    alpha 1, epsilon 0.1, gamma 0.95; blocking: n 10, kappa 1e-4, 3000 steps;
    shortcut: n 50, kappa 1e-3, 6000 steps.  Both agents of a seed share it
    (paired runs)."""
    env_cls, steps, n, kappa = CHANGING_MAZES[maze]
    q, qp = [], []
    for seed in tqdm(range(n_seeds), desc=maze, disable=not progress, leave=False):
        q.append(changing_maze_run(maze, False, seed))
        qp.append(changing_maze_run(maze, True, seed))
    cfg = {"steps": steps, "n": n, "kappa": kappa, "alpha": 1.0, "seeds": n_seeds,
           "switch_step": env_cls.SWITCH,
           # each seed's final cumulative reward, for the spread of the ratio
           "final_dyna_q": [float(c[-1]) for c in q],
           "final_dyna_q_plus": [float(c[-1]) for c in qp]}
    return np.mean(q, 0), np.mean(qp, 0), cfg


# ------------------------------------------------------------ Example 8.4
def _near_optimal(env, factor=1.2):
    limit = factor * shortest_path_length(env)

    def ok(Q):
        length = greedy_path_length(env, Q)
        return length is not None and length <= limit

    return ok


def _backups_and_per_pair(k: int, method: str, seed: int, max_episodes: int = 5_000,
                      alpha: float = 0.5) -> tuple[int, float]:
    """Backups to near-optimal, and the backups per state-action pair in the
    final model (how many times, on average, each known pair was updated)."""
    env = scaled_dyna_maze(k)
    ok = _near_optimal(env)
    if method == "prioritized":
        st = run_ps_episodes(env, PSConfig(alpha=alpha), max_episodes, seed=seed,
                             stop=ok)
        backups = int(st.backups_per_episode[-1])
        return backups, backups / max(len(st.model), 1)
    rng = make_rng(seed)
    agent = DynaQ(env.n_states, 4, DynaConfig(n_planning=5, alpha=alpha), rng)
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    for _ in range(max_episodes):
        done = False
        while not done:
            a = agent.act(obs)
            obs2, r, done, _, _ = env.step(a)
            agent.observe(obs, a, r, obs2, done)
            agent.plan(5)
            obs = obs2
        obs, _ = env.reset()
        if ok(agent.Q):
            break
    return int(agent.backups), agent.backups / max(len(agent.model), 1)


def example8_4_run(method: str, seed: int, resolutions=(1, 2, 3, 4, 5),
                   alpha: float = 0.5) -> dict:
    """One seed of Example 8.4 for one method (``"dyna_q"`` or
    ``"prioritized"``): at each resolution, the backups until the greedy path
    is near-optimal and the backups per known state-action pair."""
    if method not in ("dyna_q", "prioritized"):
        raise ValueError(f"method must be 'dyna_q' or 'prioritized', got {method!r}")
    runs = [_backups_and_per_pair(k, method, seed, alpha=alpha) for k in resolutions]
    return {"resolution": list(resolutions), "backups": [b for b, _ in runs],
            "backups_per_pair": [r for _, r in runs]}


def example8_4(resolutions=(1, 2, 3, 4, 5), n_seeds=5, progress=False,
               alpha: float = 0.5) -> dict:
    """Mean backups to a near-optimal path for Dyna-Q and prioritized sweeping
    on the Dyna maze at each resolution, and their ratio."""
    out = {"resolution": list(resolutions),
           "states": [int((~scaled_dyna_maze(k).wall_mask).sum()) for k in resolutions],
           "alpha": alpha}
    for m in ("dyna_q", "prioritized"):
        runs = [example8_4_run(m, s, resolutions, alpha)
                for s in tqdm(range(n_seeds), desc=m, disable=not progress,
                              leave=False)]
        out[m] = np.mean([r["backups"] for r in runs], 0).tolist()
        out[f"{m}_backups_per_pair"] = np.mean([r["backups_per_pair"] for r in runs],
                                              0).tolist()
    out["ratio"] = [d / p for d, p in zip(out["dyna_q"], out["prioritized"],
                                          strict=True)]
    return out


# ------------------------------------------------- §6.1 start states
def start_state_experiment(n_backups=20_000, record_every=100, seed=0,
                           explore_steps=2_000) -> tuple[np.ndarray, dict]:
    """Planning only, with the TRUE (deterministic) Dyna-maze model: the error
    |max_a Q(s0, a) - V*(s0)| against the number of backups, for four ways of
    choosing where each backup starts (the lecture's §6.1):

    - uniform: any (s, a) of the maze;
    - visited: pairs seen during a random walk of ``explore_steps`` real steps;
    - prioritized: the largest Bellman error first, predecessors queued;
    - current: trajectory sampling, following the greedy-in-Q policy from the
      start state (epsilon 0.1), backing up along the way.
    """
    env = DynaMaze()
    gamma = 0.95
    mdp = TabularMDP.from_env(env, gamma)
    s0 = env.start_states[0]
    v_star = value_iteration(mdp, tol=1e-12).V[s0]
    free = [s for s in range(env.n_states) if not (env.wall_mask[s]
                                                  or env.terminal_mask[s])]
    nxt = {(s, a): env._move(s, a) for s in free for a in range(4)}
    rew = {sa: float(env.goal_mask[t]) for sa, t in nxt.items()}
    done = {sa: bool(env.goal_mask[t]) for sa, t in nxt.items()}

    def backup(Q, s, a):
        t = nxt[(s, a)]
        Q[s, a] = rew[(s, a)] + (0.0 if done[(s, a)] else gamma * Q[t].max())

    checkpoints = np.arange(0, n_backups + 1, record_every)
    errors = {}
    for rule in ("uniform", "visited", "prioritized", "current"):
        rng = make_rng(seed)
        Q = np.zeros((env.n_states, 4))
        errs = [abs(Q[s0].max() - v_star)]
        if rule == "visited":
            s, seen = s0, []
            for _ in range(explore_steps):
                a = int(rng.integers(4))
                seen.append((s, a))
                s = s0 if done[(s, a)] else nxt[(s, a)]
            pairs = sorted(set(seen))
        if rule == "prioritized":
            # the package's prioritized sweeping, handed the true model
            ps = PrioritizedSweeping(env.n_states, 4, PSConfig(alpha=1.0, gamma=gamma,
                                                               theta=1e-9), rng)
            for (s, a), t in nxt.items():
                ps.model[(s, a)] = (rew[(s, a)], t, done[(s, a)])
                ps.predecessors[t].add((s, a))
                ps.push(s, a, rew[(s, a)])
            Q = ps.Q
        s_cur = s0
        for i in range(1, n_backups + 1):
            if rule == "uniform":
                s = free[rng.integers(len(free))]
                backup(Q, s, int(rng.integers(4)))
            elif rule == "visited":
                backup(Q, *pairs[rng.integers(len(pairs))])
            elif rule == "prioritized":
                ps.sweep(1)
            else:
                a = (int(rng.integers(4)) if rng.random() < 0.1 else
                     int(rng.choice(np.flatnonzero(Q[s_cur] == Q[s_cur].max()))))
                backup(Q, s_cur, a)
                s_cur = s0 if done[(s_cur, a)] else nxt[(s_cur, a)]
            if i % record_every == 0:
                errs.append(abs(Q[s0].max() - v_star))
        errors[rule] = np.array(errs)
    return checkpoints, errors


# ---------------------------------------------------------- §6.2 budgets
class BudgetResult(NamedTuple):
    real_steps: float
    backups: float
    seconds: float


def budget_to_optimal(n: int, plan_every: str = "step", n_seeds: int = 10,
                      max_episodes: int = 300, first_seed: int = 0) -> BudgetResult:
    """Mean real steps, Q backups and wall-clock seconds until the greedy path
    on the Dyna maze is the 14-step optimum (seeds ``first_seed`` onwards; a
    run that never gets there counts the steps of its ``max_episodes``)."""
    real, backups, secs = [], [], []
    for seed in range(first_seed, first_seed + n_seeds):
        env = DynaMaze()
        rng = make_rng(seed)
        cfg = DynaConfig(n_planning=n, plan_every=plan_every)
        agent = DynaQ(env.n_states, 4, cfg, rng)
        obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
        t0, steps = time.perf_counter(), 0
        for _ in range(max_episodes):
            done, ep = False, 0
            while not done:
                a = agent.act(obs)
                obs2, r, done, _, _ = env.step(a)
                agent.observe(obs, a, r, obs2, done)
                if plan_every == "step":
                    agent.plan(n, current=obs2)
                obs, ep = obs2, ep + 1
            steps += ep
            if plan_every == "episode":
                agent.plan(n * ep)
            obs, _ = env.reset()
            if greedy_path_length(env, agent.Q) == 14:
                break
        real.append(steps)
        backups.append(agent.backups)
        secs.append(time.perf_counter() - t0)
    return BudgetResult(float(np.mean(real)), float(np.mean(backups)),
                        float(np.mean(secs)))


# ------------------------------------------------------------------ MCTS
def mcts_match(opponent: str, n_simulations: int, n_games: int, seed: int = 0,
               **search) -> dict[str, int]:
    """Wins/draws/losses of UCT against a random or a perfect (minimax) player;
    MCTS plays X in even games and O in odd ones.  ``search`` goes to
    :class:`MCTSPlayer` (``rave=``, ``solver=``, ``c=``)."""
    game = tictactoe_game()
    rng = make_rng(seed)

    def other(s):
        moves = legal_actions(s) if opponent == "random" else perfect_moves(s)
        return moves[rng.integers(len(moves))]

    tally = {"win": 0, "draw": 0, "loss": 0}
    for i in range(n_games):
        me = MCTSPlayer(game, n_simulations, seed=stream_seed(seed, "mcts_match", i),
                        **search)
        r = play_match(game, me, other) if i % 2 == 0 else -play_match(game, other, me)
        tally["win" if r > 0 else "draw" if r == 0 else "loss"] += 1
    return tally


def mcts_perfect_reply_rate(opening: tuple[int, ...], sims=(50, 200, 400, 1000),
                            n_searches=100, seed=0, **search) -> dict:
    """How often UCT's move after ``opening`` (cells played so far) keeps the
    game value, i.e. is one of minimax's moves, for each simulation budget.
    After a corner opening only the centre holds the draw."""
    state = EMPTY
    for a in opening:
        state = play(state, a)
    good = set(perfect_moves(state))
    game = tictactoe_game()
    rate = []
    for k in sims:
        # the same search seeds at every budget k (common random numbers)
        hits = sum(MCTSPlayer(game, k, seed=stream_seed(seed, "reply", i),
                              **search)(state) in good
                   for i in range(n_searches))
        rate.append(hits / n_searches)
    return {"opening": list(opening), "perfect_replies": sorted(good),
            "sims": list(sims), "rate": rate}


def mcts_speed(n_simulations: int = 20_000, seed: int = 0, **search) -> float:
    """Simulations per second from the empty board (one search; with the
    solver on, it may stop early, so the speed counts the root's visits)."""
    t0 = time.perf_counter()
    root = mcts(tictactoe_game(), EMPTY, n_simulations, make_rng(seed), **search)
    n_simulations = root.N
    return n_simulations / (time.perf_counter() - t0)


# ------------------------------------------- MCTS on a copyable simulator
def cartpole_mcts_run(n_simulations: int | None, seed: int, max_steps=500,
                     horizon=30) -> dict:
    """One CartPole-v1 episode of MCTS-MPC with the true simulator (random
    rollouts of ``horizon`` steps, gamma 0.99), or of a uniformly random
    policy when ``n_simulations`` is None: its return, and the cart position
    if it ended early.  The episode's start comes from the stream
    ``stream_seed(seed, "cartpole_start")``, so every budget and the random
    policy start from the same state for the same seed."""
    import gymnasium as gym

    from mbrl_lessons.search.env_mcts import MCTSAgent, run_mcts_episode

    env = gym.make("CartPole-v1", max_episode_steps=max_steps)
    start = stream_seed(seed, "cartpole_start")
    if n_simulations is None:
        rng = make_rng(stream_seed(seed, "cartpole_random_policy"))
        env.reset(seed=start)
        ret, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(int(rng.integers(2)))
            ret, done = ret + float(r), term or trunc
    else:
        agent = MCTSAgent(n_simulations, seed=stream_seed(seed, "cartpole_mcts"),
                          horizon=horizon)
        ret, _ = run_mcts_episode(env, agent, seed=start, max_steps=max_steps)
    end_x = float(env.unwrapped.state[0]) if ret < max_steps else None
    return {"return": float(ret), "end_x": end_x}


def cartpole_mcts(sims=(1, 2, 5, 20), n_seeds=3, max_steps=500, horizon=30,
                  progress=False) -> dict:
    """Returns of MCTS-MPC with the true CartPole simulator for each budget
    and of a random policy over seeds ``0..n_seeds-1`` (see
    :func:`cartpole_mcts_run`); also the cart position when an episode ended
    early."""
    out = {"sims": list(sims), "returns": [], "end_x": [], "random": []}
    for k in tqdm(sims, desc="CartPole MCTS", disable=not progress, leave=False):
        runs = [cartpole_mcts_run(k, seed, max_steps, horizon)
                for seed in range(n_seeds)]
        out["returns"].append([r["return"] for r in runs])
        out["end_x"].append([r["end_x"] for r in runs if r["end_x"] is not None])
    out["random"] = [cartpole_mcts_run(None, seed, max_steps)["return"]
                     for seed in range(n_seeds)]
    return out


def maze_mcts_with_learned_value(dyna_episodes=2, n_simulations=100, horizon=30,
                                 max_steps=100, seed=0) -> dict:
    """Dyna-Q (n = 5) learns for a few episodes; then the Dyna maze is crossed
    three ways: greedy in the learned Q, MCTS with random rollouts, and MCTS
    whose leaves are scored by the learned ``max_a Q`` (no rollout).  Returns
    the steps each needed (``None``: not reached in ``max_steps``).  Dyna-Q,
    the searches and the maze draw from separate named streams of ``seed``."""
    from mbrl_lessons.search.env_mcts import MCTSAgent, run_mcts_episode

    Q = run_episodes(DynaMaze(), DynaConfig(n_planning=5), dyna_episodes,
                     seed=stream_seed(seed, "maze_dyna")).Q
    out = {"dyna_episodes": dyna_episodes, "simulations": n_simulations,
           "greedy_q": greedy_path_length(DynaMaze(), Q),
           "shortest": shortest_path_length(DynaMaze())}
    for name, value_fn in (("mcts_rollouts", None),
                           ("mcts_learned_value", lambda env: Q[env._state].max())):
        agent = MCTSAgent(n_simulations, seed=stream_seed(seed, "maze_search"),
                          horizon=horizon, gamma=0.95, value_fn=value_fn)
        ret, steps = run_mcts_episode(DynaMaze(max_steps=max_steps), agent,
                                      seed=stream_seed(seed, "maze_start"),
                                      max_steps=max_steps)
        out[name] = steps if ret > 0 else None
    return out
