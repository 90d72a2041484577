"""Chapter 6: Sutton & Barto's Dyna results, prioritized sweeping, and MCTS.

Full budget: Fig 8.2 with 30 seeds x 50 episodes, Figs 8.4/8.5 with 20 seeds,
Example 8.4 at resolutions 1-5 (5 seeds; step size 0.5 as in the widely used
reproduction, and 1), MCTS on tic-tac-toe (200 games vs
random at 200 simulations, 20 games vs minimax at 1,000).  The MCTS targets
are measured on UCT with RAVE (k = 1000) and the MCTS-Solver; plain UCT is
measured beside it, and both also play 25 x 200 further games against random
so that the loss *rate* is known, not only the one 200-game tally.  Writes
results/ch06_planning.json.
"""

import time

import numpy as np

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis import planning as P  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402

cfg = {
    "fig8_2_seeds": budget(fast=5, full=30), "fig8_2_episodes": 50,
    "changing_maze_seeds": budget(fast=3, full=20),
    "slippery_seeds": budget(fast=3, full=10),
    "cartpole_seeds": budget(fast=1, full=3),
    "example8_4_resolutions": budget(fast=[1, 2], full=[1, 2, 3, 4, 5]),
    "example8_4_seeds": budget(fast=2, full=5),
    "mcts_random_games": budget(fast=20, full=200), "mcts_random_sims": 200,
    "mcts_minimax_games": budget(fast=4, full=20), "mcts_minimax_sims": 1000,
    "mcts_player": {"rave": 1000, "solver": True},
    "mcts_rate_seeds": budget(fast=2, full=25),
    "dyna": {"alpha": 0.1, "epsilon": 0.1, "gamma": 0.95},
}
t0 = time.time()
fig82 = P.fig8_2(n_seeds=cfg["fig8_2_seeds"], progress=True)
steps, paths = fig82.steps, fig82.paths
order_violations = int(sum(
    not (steps[50][e] <= steps[5][e] <= steps[0][e]) for e in range(1, 10)))
noisy = P.stochastic_world(slip=0.2, n=50, n_seeds=cfg["slippery_seeds"],
                           n_episodes=50, progress=True)
maze_seeds = cfg["changing_maze_seeds"]
blocking = P.changing_maze("blocking", n_seeds=maze_seeds, progress=True)
shortcut = P.changing_maze("shortcut", n_seeds=maze_seeds, progress=True)
ratio_ci = {name: P.ratio_interval(res[2]["final_dyna_q_plus"], res[2]["final_dyna_q"])
            for name, res in (("blocking", blocking), ("shortcut", shortcut))}
ex84 = P.example8_4(cfg["example8_4_resolutions"], n_seeds=cfg["example8_4_seeds"],
                    progress=True)
# the same with alpha = 1, the natural step size in a deterministic maze: each
# pair's value is then settled by one backup, and prioritized sweeping stops
# re-updating the same pairs with half steps
ex84_a1 = P.example8_4(cfg["example8_4_resolutions"],
                       n_seeds=cfg["example8_4_seeds"], progress=True, alpha=1.0)
player = cfg["mcts_player"]
variants = {"uct": {}, "uct_rave_solver": player}
vs_random = {name: P.mcts_match("random", cfg["mcts_random_sims"],
                                cfg["mcts_random_games"], **kw)
             for name, kw in variants.items()}
vs_perfect = {name: P.mcts_match("perfect", cfg["mcts_minimax_sims"],
                                 cfg["mcts_minimax_games"], **kw)
              for name, kw in variants.items()}
loss_rate = {}
for name, kw in variants.items():
    per_seed = [P.mcts_match("random", cfg["mcts_random_sims"],
                             cfg["mcts_random_games"], seed=s, **kw)["loss"]
                for s in tqdm(range(1, 1 + cfg["mcts_rate_seeds"]),
                              desc=f"{name} loss rate")]
    games = cfg["mcts_rate_seeds"] * cfg["mcts_random_games"]
    loss_rate[name] = {"losses_per_seed": per_seed, "games": games,
                       "rate": sum(per_seed) / games}
reply_rate = {name: {opening: P.mcts_perfect_reply_rate(
    opening_cells, sims=(50, 200, 400, 1000), n_searches=budget(fast=20, full=200),
    **kw) for opening, opening_cells in (("corner", (0,)), ("edge", (1,)))}
    for name, kw in variants.items()}
cart = P.cartpole_mcts(sims=(1, 2, 5, 20), n_seeds=cfg["cartpole_seeds"],
                       max_steps=500, progress=True)
maze_search = P.maze_mcts_with_learned_value(dyna_episodes=2, n_simulations=100)
speeds = {name: float(np.median([P.mcts_speed(20_000, seed=s, **kw)
                                 for s in range(3)]))
          for name, kw in variants.items()}
seconds = time.time() - t0

targets = [
    Target("fig8_2_n50_ep3", "Dyna-Q n=50: mean steps in episode 3",
           steps[50][2], "<=", 20),
    Target("fig8_2_n5_ep10", "Dyna-Q n=5: mean steps in episode 10",
           steps[5][9], "<=", 20),
    Target("fig8_2_n0_ep10", "n=0 (Q-learning): mean steps in episode 10",
           steps[0][9], ">", 80),
    Target("fig8_2_order_violations",
           "episodes 2-10 where n=50 <= n=5 <= n=0 fails", order_violations, "==", 0),
    Target("fig8_2_final_greedy_path_n50",
           "fraction of n=50 runs whose final greedy path is the 14-step optimum "
           "(the others settle on the 16-step top route)",
           float(np.mean(np.array(paths[50]) == 14)), ">=", 1.0),
    Target("slippery_stochastic_minus_deterministic",
           "slippery Dyna maze (slip 0.2, n=50, 50 episodes): true value of the "
           "greedy policy, count model minus last-outcome model",
           noisy["stochastic"]["greedy_value"][-1]
           - noisy["deterministic"]["greedy_value"][-1], ">", 0),
    Target("fig8_4_blocking_ratio", "Dyna-Q+ / Dyna-Q cumulative reward, blocking",
           blocking[1][-1] / blocking[0][-1], ">=", 1.3),
    Target("fig8_5_shortcut_ratio", "Dyna-Q+ / Dyna-Q cumulative reward, shortcut",
           shortcut[1][-1] / shortcut[0][-1], ">=", 1.3),
    Target("ex8_4_ratio_res1", "Dyna-Q / prioritized-sweeping backups, resolution 1",
           ex84["ratio"][0], ">=", 2),
    Target("ex8_4_ratio_res2", "Dyna-Q / prioritized-sweeping backups, resolution 2",
           ex84["ratio"][1], ">=", 2),
    Target("ex8_4_alpha1_ratio_grows",
           "alpha = 1: ratio at the largest resolution / ratio at resolution 1 "
           "(prioritized sweeping's advantage grows with the maze, as in S&B)",
           ex84_a1["ratio"][-1] / ex84_a1["ratio"][0], ">", 1),
    Target("mcts_losses_vs_random",
           f"UCT+RAVE+solver (200 sims) losses in {cfg['mcts_random_games']} "
           "games vs random (seed 0)",
           vs_random["uct_rave_solver"]["loss"], "==", 0),
    Target("mcts_non_draws_vs_minimax",
           f"UCT+RAVE+solver (1000 sims) games not drawn in "
           f"{cfg['mcts_minimax_games']} vs minimax",
           vs_perfect["uct_rave_solver"]["win"] + vs_perfect["uct_rave_solver"]["loss"],
           "==", 0),
    Target("mcts_simulations_per_second",
           "UCT+RAVE+solver simulations per second (median of 3)",
           speeds["uct_rave_solver"], ">=", 20_000),
    Target("env_mcts_maze_learned_value_steps",
           "Dyna maze: MCTS (100 sims) with leaves scored by Dyna-Q's max Q after "
           "2 episodes, steps to the goal (shortest 14)",
           maze_search["mcts_learned_value"] or 101, "==", 14),
    Target("env_mcts_cartpole_vs_random",
           "CartPole-v1, MCTS with the true simulator (20 sims, 30-step random "
           "rollouts): mean return / random policy's mean return",
           float(np.mean(cart["returns"][-1]) / np.mean(cart["random"])), ">=", 10),
    Target("full_budget_seconds", "the whole chapter-6 benchmark, seconds",
           seconds, "<=", 300),
]
write_results("ch06_planning", config=cfg, targets=targets, seconds=seconds,
              results_dir=out_dir, extra={
                  "fig8_2_steps": {str(k): v for k, v in steps.items()},
                  "fig8_2_final_paths": {str(k): v for k, v in paths.items()},
                  "fig8_2_model_paths": {str(k): v for k, v in
                                         fig82.model_paths.items()},
                  "fig8_2_first_episode": {str(k): v for k, v in
                                           fig82.first_episode.items()},
                  "blocking": {"dyna_q": blocking[0][::10], "dyna_q_plus":
                               blocking[1][::10], "config": blocking[2],
                               "ratio_ci95": ratio_ci["blocking"]},
                  "shortcut": {"dyna_q": shortcut[0][::10], "dyna_q_plus":
                               shortcut[1][::10], "config": shortcut[2],
                               "ratio_ci95": ratio_ci["shortcut"]},
                  "slippery_maze": noisy,
                  "cartpole_mcts": cart, "maze_mcts": maze_search,
                  "example8_4": ex84, "example8_4_alpha1": ex84_a1,
                  "mcts_vs_random": vs_random,
                  "mcts_vs_minimax": vs_perfect,
                  "mcts_loss_rate_vs_random": loss_rate,
                  "mcts_perfect_reply_rate": reply_rate,
                  "mcts_simulations_per_second": speeds})
