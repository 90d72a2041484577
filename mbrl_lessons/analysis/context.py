"""Chapter 7 in context: what each paper reported, beside what our miniature
versions measured.

The papers' headline results are stated as the lecture states them, with
their bibliography keys (``references.bib``); our side is read from the
committed ``results/*.json`` when the page is built, never typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbrl_lessons.analysis.report import _SEED_NOTE, measured_cell
from mbrl_lessons.core.results import load_results


@dataclass(frozen=True)
class PaperResult:
    algorithm: str
    cite: tuple[str, ...]       # keys of references.bib
    reference: str              # how the table names the paper(s)
    domains: str                # where the paper measured
    headline: str               # its headline result, as the lecture states it
    ours: tuple[tuple[str, str, str], ...]  # (results file, target id, setting)


PAPER_RESULTS: tuple[PaperResult, ...] = (
    PaperResult(
        "World Models", ("ha2018worldmodels",), "Ha & Schmidhuber 2018",
        "CarRacing and VizDoom, from pixels",
        "a controller trained entirely inside the learned latent model (the "
        "dream) works in the real game",
        (("ch07_world_models", "real_return_tau1", "pendulum swing-up"),)),
    PaperResult(
        "PETS", ("chua2018pets",), "Chua et al. 2018",
        "MuJoCo continuous control (HalfCheetah, Ant, ...)",
        "matches model-free SAC and PPO with far fewer environment steps; "
        "probabilistic ensembles keep the planner from exploiting the model",
        (("ch07_pets", "pets_ts_inf_mean_return_episodes_6_10", "pendulum swing-up"),
         ("ch07_pets_mujoco", "steps_d_minus_pe_ts_inf", "MuJoCo, PE against D"),
         ("ch07_pets_mujoco", "pets_minus_sac_at_5x_steps", "MuJoCo, against SAC"))),
    PaperResult(
        "MBPO", ("janner2019mbpo",), "Janner et al. 2019",
        "MuJoCo continuous control",
        "reaches the final return of the strongest model-free baselines, or "
        "beats it, after roughly a tenth of the environment interaction they use",
        (("ch07_mbpo", "mbpo_return", "pendulum swing-up"),
         ("ch07_mbpo_mujoco", "mbpo_minus_sac_g_same_steps", "MuJoCo"),
         ("ch07_mbpo_hopper", "mbpo_third_minus_sac_g_final", "Hopper, a third of "
          "the steps"))),
    PaperResult(
        "Dreamer V1–V3",
        ("hafner2020dreamer", "hafner2021dreamerv2", "hafner2023dreamerv3"),
        "Hafner et al. 2020, 2021, 2023",
        "DeepMind Control from pixels (V1); Atari (V2); Atari, ProcGen, DMC, "
        "robotics and Minecraft (V3)",
        "V1: state of the art on DeepMind Control from images; V2: beats DQN on "
        "Atari with one architecture; V3: a single fixed configuration for every "
        "domain, and the first agent to mine a diamond in Minecraft starting "
        "from nothing, with no human demonstrations",
        (("ch07_dreamer", "dreamer_final_return", "pendulum swing-up"),
         ("ch07_dreamer_pixels", "pixel_final_return", "pendulum from pixels"))),
    PaperResult(
        "MuZero (and AlphaZero)", ("schrittwieser2020muzero", "silver2018alphazero"),
        "Schrittwieser et al. 2020; Silver et al. 2018",
        "Go, chess and shogi; the 57 Atari games",
        "matches AlphaZero on Go, chess and shogi without being given the "
        "rules, and set new records on Atari-57",
        (("ch07_muzero", "search_path_mean", "MuZero, Dyna maze"),
         ("ch07_muzero_games", "solver_losses", "MuZero, board game"),
         ("ch07_alphazero", "solver_losses", "AlphaZero, board game"),
         ("ch07_connect_four", "muzero_minus_alphazero", "Connect Four, MuZero "
          "against AlphaZero"),
         ("ch07_muzero_minatar", "muzero_minus_dqn", "MinAtar Breakout, "
          "against DQN"))),
)


def our_result(name: str, target_id: str, results_dir: Path | None = None
               ) -> dict[str, Any] | None:
    """One target of a committed result, with how many of the file's targets
    were met; the file's first target if ``target_id`` is gone, ``None`` if
    the benchmark has not been run."""
    payload = load_results(name, results_dir)
    if payload is None or not payload["targets"]:
        return None
    targets = payload["targets"]
    t = next((t for t in targets if t["id"] == target_id), targets[0])
    return {"name": name, "target": t, "met": sum(bool(x["met"]) for x in targets),
            "of": len(targets), "task": _env_id(payload.get("config", {}))}


def _env_id(config: Any) -> str | None:
    """The first ``env_id`` anywhere in a results config."""
    if isinstance(config, dict):
        if isinstance(config.get("env_id"), str):
            return config["env_id"]
        for v in config.values():
            found = _env_id(v)
            if found:
                return found
    return None


def _ours_cell(r: dict[str, Any] | None, name: str, setting: str) -> str:
    if r is None:
        return f"*{setting}*: `{name}` not run yet"
    t = r["target"]
    desc = _SEED_NOTE.sub("", str(t["description"])).replace("|", "\\|")
    task = f"*{setting}*" + (f" ({r['task']})" if r["task"] else "") + ": "
    verdict = "met" if t["met"] else "missed"
    return (f"{task}{desc}: **{measured_cell(t)}** (target {t['op']} "
            f"{t['threshold']}, {verdict}); `{r['name']}` met {r['met']} of "
            f"{r['of']} targets")


def context_markdown(results_dir: Path | None = None) -> str:
    """A Markdown table: algorithm, the paper's domains and headline result,
    and each of our benchmarks' headline measurement."""
    lines = ["| algorithm | the paper: where, and what it reported | "
             "our miniature version (from `results/`) |", "|---|---|---|"]
    for p in PAPER_RESULTS:
        ours = "<br>".join(_ours_cell(our_result(n, tid, results_dir), n, setting)
                           for n, tid, setting in p.ours)
        lines.append(f"| **{p.algorithm}** | {p.reference}, {p.domains}: "
                     f"{p.headline}. | {ours} |")
    return "\n".join(lines)
