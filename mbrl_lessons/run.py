"""Train any algorithm of the book from a terminal.

    python -m mbrl_lessons.run --list
    python -m mbrl_lessons.run NAME --env ID [--seed N] [--fast]
                               [--set field=value ...] [--out run.json]

``NAME`` is a key of :data:`mbrl_lessons.algorithms.registry.REGISTRY`;
``--fast`` starts from the algorithm's FAST config (seconds) instead of its
defaults; ``--set`` overrides a config field (``--set planner.horizon=10``
reaches into a nested config; values are parsed as Python literals).
Bad names, environments and fields end with one line that says what is allowed.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from mbrl_lessons.algorithms.registry import REGISTRY, Entry, get, with_seed


def _fields(cfg: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cfg)]


def set_field(cfg: Any, path: str, raw: str) -> Any:
    """``cfg`` with the (possibly nested, dotted) field ``path`` set to the
    literal ``raw``; ``ValueError`` names the allowed fields."""
    head, _, rest = path.partition(".")
    if head not in _fields(cfg):
        raise ValueError(f"{type(cfg).__name__} has no field {head!r}; fields: "
                         + ", ".join(_fields(cfg)))
    current = getattr(cfg, head)
    if rest:
        if not dataclasses.is_dataclass(current):
            raise ValueError(f"{type(cfg).__name__}.{head} is not a nested config")
        return dataclasses.replace(cfg, **{head: set_field(current, rest, raw)})
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw  # a bare word is a string
    return dataclasses.replace(cfg, **{head: value})


def summarise(label: str, values: np.ndarray) -> str:
    """One paragraph on a learning curve: length, first, last, best, and the
    means of its first and last fifths."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return f"{label}: empty"
    k = max(1, len(v) // 5)
    return (f"{label}: {len(v)} points, first {v[0]:.4g}, last {v[-1]:.4g}, "
            f"min {np.nanmin(v):.4g}, max {np.nanmax(v):.4g}; mean of first "
            f"{k} {np.nanmean(v[:k]):.4g} -> mean of last {k} {np.nanmean(v[-k:]):.4g}")


def _jsonable(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray | np.generic):
        return x.tolist()
    if isinstance(x, int | float | str | bool) or x is None:
        return x
    return repr(x)


def list_algorithms() -> str:
    width = max(map(len, REGISTRY))
    return "\n".join(f"{e.name:<{width}}  ch {e.chapter:<4} {e.summary}\n"
                     f"{'':<{width}}  envs: {', '.join(e.envs)}"
                     for e in REGISTRY.values())


def build_config(entry: Entry, fast: bool, seed: int | None,
                 sets: list[str]) -> Any:
    cfg = entry.fast if fast else entry.config()
    if seed is not None:
        cfg = with_seed(entry, cfg, seed)
    for item in sets:
        path, eq, raw = item.partition("=")
        if not eq:
            raise ValueError(f"--set takes field=value, got {item!r}")
        cfg = set_field(cfg, path.strip(), raw.strip())
    return cfg


def check_env(entry: Entry, env_id: str) -> None:
    if env_id not in entry.envs:
        raise ValueError(f"{entry.name} runs on {', '.join(entry.envs)}; got "
                         f"{env_id!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mbrl_lessons.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", help="algorithm (see --list)")
    parser.add_argument("--list", action="store_true", help="list the algorithms")
    parser.add_argument("--env", help="environment id (default: the first listed)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--fast", action="store_true",
                        help="the FAST config (seconds) instead of the defaults")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--out", type=Path, help="write the run as JSON here")
    args = parser.parse_args(argv)
    if args.list:
        print(list_algorithms())
        return 0
    if args.name is None:
        parser.error("give an algorithm NAME or --list")
    try:
        entry = get(args.name)
        env_id = args.env or entry.envs[0]
        check_env(entry, env_id)
        cfg = build_config(entry, args.fast, args.seed, args.set)
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{entry.name} on {env_id}: {type(cfg).__name__}"
          f"{' (FAST)' if args.fast else ''}")
    t0 = time.perf_counter()
    result = entry.train(env_id, cfg, progress=True)
    seconds = time.perf_counter() - t0
    label, curve = entry.curve(result)
    print(summarise(label, curve))
    print(f"{seconds:.1f} s")
    if args.out is not None:
        payload = {"algorithm": entry.name, "env": env_id, "seconds": seconds,
                   "config": _jsonable(cfg), "curve": {label: _jsonable(curve)}}
        args.out.write_text(json.dumps(payload, indent=1))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
