"""``lava-vle compare``: VLE against BPTT, matched: same network, data, epochs,
learning-rate grid and seeds; each rule's lr picked on a validation split.

Arms (a rule at a cadence, :class:`Arm`):

- **equal cadence**: VLE with an optimiser step every U time steps against
  truncated BPTT with a step on every window of U steps (state carried, the
  gradient cut at the window edge): the same optimiser steps per sequence.
  ``U = ceil(T / updates_per_sequence)`` for sequences of T steps.
- **natural cadence**: VLE at its recipe's interval (every step on
  MNIST-1D, every 50 steps elsewhere) against BPTT once per sequence.

Every arm trains every lr of the grid with every seed (a :class:`Trial` of
:mod:`lava_vle.experiments.sweep`, on Ray). The lr of an arm is the one with the best
mean final *validation* metric over the seeds: the last ``validation``
training sequences are held out for it; a task of one sequence (pattern
generation) is validated on another pattern of the same generator
(``dataset_kwargs["seed"] = 1``), then trained on the test pattern at the
picked lr. A trial that diverged counts as the worst value. The report
gives, per arm, the test metric (mean +- std over seeds) of the picked lr,
the optimiser steps per sequence, minutes per run and samples/s; per
cadence, the paired (same seed) difference VLE - BPTT. It writes
``compare.json``, ``compare.md`` and ``compare.png``.
"""
from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from lava_vle.experiments.summaries import (CADENCES, COMPARE_JSON, SPLIT_SELECTION,
                                           metric_cell, seed_stats, tested_arm)
from lava_vle.experiments.sweep import Trial, finished_results, run_sweep
from lava_vle.experiments.targets import variant, verdict_table
from lava_vle.results import read_json
from lava_vle.train import TrainConfig

VALIDATION_PATTERN_SEED = 1  # the pattern lr is picked on (the test pattern has seed 0)


@dataclass(frozen=True)
class Arm:
    """One rule at one cadence: ``update_interval`` None is once per sequence
    (BPTT) or the recipe's (VLE)."""

    name: str
    rule: str
    cadence: str
    update_interval: Optional[int]


def arms(cadences: Sequence[str], updates_per_sequence: int, vle_natural: int, steps: int,
         settle_steps: int = 0) -> list[Arm]:
    """The arms of ``cadences`` for sequences of ``steps`` steps: equal (both
    rules ``updates_per_sequence`` optimiser steps per sequence: BPTT on
    windows of ``ceil(steps / updates)``, VLE every ``ceil((steps +
    settle_steps) / updates)`` steps, its settle steps included) and natural
    (VLE every ``vle_natural`` steps, BPTT once per sequence)."""
    def arm(rule: str, cadence: str, every: Optional[int], length: int) -> Arm:
        name = f"{rule}-per-sequence" if every is None or every >= length else \
            f"{rule}-every-{every}"
        return Arm(name, rule, cadence, every)

    vle_steps = steps + settle_steps
    result = []
    for cadence in cadences:
        if cadence not in CADENCES:
            raise ValueError(f"cadence {cadence!r} must be one of {', '.join(CADENCES)}")
        if cadence == "equal":
            result += [arm("vle", cadence, equal_interval(vle_steps, updates_per_sequence),
                           vle_steps),
                       arm("bptt", cadence, equal_interval(steps, updates_per_sequence), steps)]
        else:
            result += [arm("vle", cadence, vle_natural, vle_steps),
                       arm("bptt", cadence, None, steps)]
    unique: dict = {}
    for arm in result:  # an arm both cadences share is trained once, in both
        length = vle_steps if arm.rule == "vle" else steps
        key = (arm.rule, min(arm.update_interval or length, length))
        if key in unique:
            unique[key] = replace(unique[key], cadence=f"{unique[key].cadence},{arm.cadence}")
        else:
            unique[key] = arm
    return list(unique.values())


def equal_interval(steps: int, updates_per_sequence: int) -> int:
    """``ceil(steps / updates_per_sequence)``: the window of the equal cadence."""
    if not isinstance(updates_per_sequence, int) or not 1 <= updates_per_sequence <= steps:
        raise ValueError(f"updates_per_sequence={updates_per_sequence!r} must be an integer "
                         f"in 1..{steps} (the steps of a sequence)")
    return math.ceil(steps / updates_per_sequence)


def _lr_name(lr: float) -> str:
    return f"lr={lr:g}"


@dataclass
class Plan:
    """The trials of a comparison: ``selection[arm][lr]`` (the trials the lr is
    picked on) and how test trials are made from a picked lr."""

    arms: list[Arm]
    lrs: list[float]
    seeds: list[int]
    selection: dict
    split_validation: bool  # True: the selection trials are the test trials too
    base: Callable[[Arm, float, int], TrainConfig]


def make_plan(base: Callable[[Arm, float, int], TrainConfig], arm_list: list[Arm],
              lrs: Sequence[float], seeds: Sequence[int], n_train: int,
              validation: int) -> Plan:
    """Every arm x lr x seed; with one training sequence (``n_train == 1``) the
    selection trials train on the validation pattern instead of a held-out split."""
    if len(lrs) < 1 or len(set(lrs)) < len(lrs) or any(not lr > 0 for lr in lrs):
        raise ValueError(f"lrs={list(lrs)} must be distinct positive learning rates")
    split = n_train > 1
    if split and not 0 < validation < n_train:
        raise ValueError(f"validation={validation} must lie in 1..{n_train - 1}: the held-out "
                         f"training sequences each rule's lr is picked on")

    def selection_config(arm: Arm, lr: float, seed: int) -> TrainConfig:
        config = base(arm, lr, seed)
        if split:
            return replace(config, validation=validation)
        return replace(config, dataset_kwargs={**config.dataset_kwargs,
                                               "seed": VALIDATION_PATTERN_SEED})

    selection = {arm.name: {lr: [Trial(f"{arm.name}/{_lr_name(lr)}" + ("" if split else
                                                                       "/validation"),
                                       selection_config(arm, lr, seed)) for seed in seeds]
                            for lr in lrs} for arm in arm_list}
    return Plan(arm_list, list(lrs), list(seeds), selection, split, base)


def _final(results: Optional[dict], key: str, lower_is_better: bool) -> float:
    """The last epoch's ``key`` of a run; a missing (diverged) run counts as the worst."""
    if results is None:
        return math.inf if lower_is_better else -math.inf
    return float(results["history"][-1][key])


def pick(plan: Plan, out: Path, lower_is_better: bool) -> dict:
    """Per arm: the lr with the best mean final validation metric, and every
    lr's mean (``grid``)."""
    key = "val_metric" if plan.split_validation else "test_metric"
    picked = {}
    for arm in plan.arms:
        grid = {}
        for lr, trials in plan.selection[arm.name].items():
            values = [_final(finished_results(out / t.folder, t.config), key, lower_is_better)
                      for t in trials]
            grid[lr] = float(np.mean(values))
        ranked = sorted(grid, key=lambda lr: grid[lr], reverse=not lower_is_better)
        picked[arm.name] = {"lr": ranked[0], "validation": grid[ranked[0]],
                            "grid": {_lr_name(lr): value for lr, value in grid.items()}}
    return picked


def reported_trials(plan: Plan, picked: dict) -> dict[str, list[Trial]]:
    """The trials whose test metric is reported: the selection trials of the
    picked lr (split validation) or new runs at that lr on the test task."""
    if plan.split_validation:
        return {arm.name: plan.selection[arm.name][picked[arm.name]["lr"]] for arm in plan.arms}
    return {arm.name: [Trial(f"{arm.name}/{_lr_name(picked[arm.name]['lr'])}",
                             plan.base(arm, picked[arm.name]["lr"], seed))
                       for seed in plan.seeds] for arm in plan.arms}


def summarize(plan: Plan, picked: dict, tests: dict[str, list[Trial]], out: Path,
              lower_is_better: bool) -> dict:
    """The comparison's rows (one per arm) and paired differences per cadence."""
    rows = []
    for arm in plan.arms:
        runs = [(t, finished_results(out / t.folder, t.config)) for t in tests[arm.name]]
        done = [(t, r) for t, r in runs if r is not None]
        row = {"arm": arm.name, "rule": arm.rule, "cadence": arm.cadence,
               "update_interval": arm.update_interval, "lr": picked[arm.name]["lr"],
               "validation": picked[arm.name]["validation"], "grid": picked[arm.name]["grid"],
               "seeds": [t.config.seed for t, _ in done],
               "diverged_or_unfinished": [str(t.folder) for t, r in runs if r is None]}
        if done:
            history = [r["history"] for _, r in done]
            row["config"] = arm_settings(done[0][0].config)
            row.update(
                test=seed_stats([r["test_metric"] for _, r in done]),
                optimizer_steps_per_sequence=float(np.mean(
                    [h[-1]["optimizer_steps_per_sequence"] for h in history])),
                epochs=len(history[0]),
                minutes_per_run=float(np.mean([r["train_wall_s"] for _, r in done]) / 60),
                samples_per_s=float(np.mean([np.mean([e["samples_per_s"] for e in h])
                                             for h in history])),
                by_seed={str(t.config.seed): r["test_metric"] for t, r in done})
        rows.append(row)
    paired = []
    for cadence in CADENCES:
        group = {row["rule"]: row for row in rows
                 if cadence in row["cadence"].split(",") and "test" in row}
        if set(group) != {"vle", "bptt"}:
            continue
        seeds = sorted(set(group["vle"]["by_seed"]) & set(group["bptt"]["by_seed"]), key=int)
        if seeds:
            diffs = [group["vle"]["by_seed"][s] - group["bptt"]["by_seed"][s] for s in seeds]
            paired.append({"cadence": cadence, "vle": group["vle"]["arm"],
                           "bptt": group["bptt"]["arm"], "vle_minus_bptt": seed_stats(diffs)})
    return {"rows": rows, "paired": paired}


def arm_settings(config: TrainConfig) -> dict:
    """What a comparison records of an arm's training: its configuration but
    the lr and seed (the row's) and the rule (the arm's)."""
    return {k: v for k, v in asdict(config).items() if k not in ("seed", "lr", "rule")}


def machine() -> dict:
    """Where the comparison ran: CPU count, processor, load average."""
    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "load_average": list(os.getloadavg())}


def run_compare(base: Callable[[Arm, float, int], TrainConfig], arm_list: list[Arm],
                lrs: Sequence[float], seeds: Sequence[int], n_train: int, validation: int,
                out: Path, metric: str, address: Optional[str] = None,
                cpus_per_trial: float = 1.0, gpus_per_trial: float = 0.0,
                settings: Optional[dict] = None, log=print) -> dict:
    """Train the plan (resuming what is done), pick, test, and write the results."""
    out = Path(out)
    lower = metric == "nrmse"
    plan = make_plan(base, arm_list, lrs, seeds, n_train, validation)
    start = time.perf_counter()
    selection = [t for per_lr in plan.selection.values() for ts in per_lr.values() for t in ts]
    log(f"compare: {len(plan.arms)} arms x {len(plan.lrs)} lrs x {len(plan.seeds)} seeds "
        f"({'held-out training sequences' if plan.split_validation else 'a validation pattern'}"
        " pick each arm's lr)")
    run_sweep(selection, out / "trials", address, cpus_per_trial, gpus_per_trial, log)
    picked = pick(plan, out / "trials", lower)
    tests = reported_trials(plan, picked)
    if not plan.split_validation:
        run_sweep([t for ts in tests.values() for t in ts], out / "trials", address,
                  cpus_per_trial, gpus_per_trial, log)
    summary = summarize(plan, picked, tests, out / "trials", lower)
    trained = {t.folder: t.config for t in selection} | {
        t.folder: t.config for ts in tests.values() for t in ts}
    results = [finished_results(out / "trials" / folder, config)
               for folder, config in trained.items()]
    first = next(iter(tests.values()))[0].config
    summary.update(
        task=first.task, metric=metric, hold=first.hold, teach_window=first.teach_window,
        epochs=first.epochs, lrs=list(plan.lrs), seeds=list(plan.seeds),
        selection=SPLIT_SELECTION.format(validation)
        if plan.split_validation else
        f"a validation pattern (dataset seed {VALIDATION_PATTERN_SEED}); test pattern seed 0",
        config=arm_settings(first),
        settings=settings or {}, wall_minutes=(time.perf_counter() - start) / 60,
        trial_minutes=sum(r["train_wall_s"] for r in results if r is not None) / 60,
        machine=machine())
    write(summary, out)
    return summary


def write(summary: dict, out: Path) -> None:
    """``compare.json``, ``compare.md`` and ``compare.png`` in ``out``."""
    from lava_vle.plots import plot_compare, without_matplotlib

    out.mkdir(parents=True, exist_ok=True)
    (out / COMPARE_JSON).write_text(json.dumps(summary, indent=2))
    (out / "compare.md").write_text(markdown(summary) + "\n")
    without_matplotlib(lambda: plot_compare(summary, out / "compare.png"), "compare.png")


def _minutes(summary: dict) -> str:
    """How long a comparison took: its trials' summed training time (a
    resumed run's own wall time says little), else the wall time."""
    if "trial_minutes" in summary:
        return (f"trials trained {summary['trial_minutes']:.0f} min in all (this invocation: "
                f"{summary['wall_minutes']:.0f} min wall)")
    return f"{summary['wall_minutes']:.0f} min in all"


def resolution(summary: dict) -> str:
    """The comparison's time resolution in words: ``hold K``, and the teaching
    window where it is not the task's own (``taught on the last W inputs``)."""
    window = summary.get("teach_window")
    return f"hold {summary['hold']}" + (f", taught on the last {window} inputs" if window else "")


def markdown(summary: dict) -> str:
    """The comparison as a Markdown table (one row per arm) and its paired differences."""
    metric = summary["metric"]
    unit = "test accuracy %" if metric == "accuracy_percent" else "test NRMSE"
    lines = [f"**{summary['task']}**, {resolution(summary)}, "
             f"{summary['epochs']} epochs, lr grid "
             f"{', '.join(f'{lr:g}' for lr in summary['lrs'])}, "
             f"seeds {', '.join(map(str, summary['seeds']))}; lr picked on "
             f"{summary['selection']}.", "",
             f"| arm | cadence | optimiser steps / sequence | picked lr | validation | {unit} "
             "| minutes / run | samples/s |", "|" + "---|" * 8]
    for row in summary["rows"]:
        if "test" not in row:
            lines.append(f"| {row['arm']} | {row['cadence']} | | {row['lr']:g} | | "
                         "diverged or unfinished | | |")
            continue
        lines.append(f"| {row['arm']} | {row['cadence']} | {row['optimizer_steps_per_sequence']:g}"
                     f" | {row['lr']:g} | {row['validation']:.3g} | {metric_cell(row['test'], metric)}"
                     f" (n={row['test']['n']}) | {row['minutes_per_run']:.2f} | "
                     f"{row['samples_per_s']:.0f} |")
    for pair in summary["paired"]:
        lines.append("")
        lines.append(f"Paired over seeds, {pair['cadence']} cadence: {pair['vle']} - "
                     f"{pair['bptt']} = {metric_cell(pair['vle_minus_bptt'], metric)}")
    return "\n".join(lines)


def load_summaries(root: Path) -> list[dict]:
    """The ``compare.json`` of ``root`` and of its sub-folders, ordered by task
    and hold (each with ``folder``: its path relative to ``root``)."""
    root = Path(root)
    summaries = []
    for path in sorted([root / COMPARE_JSON] + list(root.glob(f"*/{COMPARE_JSON}"))):
        if path.is_file():
            summary = read_json(path)
            summary["folder"] = str(path.parent.relative_to(root))
            summaries.append(summary)
    return sorted(summaries, key=lambda s: (s["task"], s["hold"], s["folder"]))


NOTES = "NOTES.md"  # hand-written findings beside the summaries, appended to the page


def results_page(summaries: list[dict], command: str, notes: str = "") -> str:
    """Markdown of the paper's table as targets with their verdicts
    (:func:`lava_vle.experiments.targets.verdict_table`), then every comparison, one
    table per task with a row per hold and arm, and the paired differences;
    ``command`` regenerates the page; ``notes`` (the findings, in words)
    close it."""
    lines = ["# Results: VLE vs BPTT, matched", "",
             f"Generated by `{command}` from the `compare.json` summaries beside it; do not "
             "edit by hand. Every row: the same network, data, epochs, lr grid and seeds for "
             "both rules; each arm's lr picked on a validation split (never the test set); "
             "test metric mean +- std over the seeds at the picked lr. *Equal* cadence: both "
             "rules take the same optimiser steps per sequence (VLE every U steps, truncated "
             "BPTT on windows of U steps); *natural*: VLE at its recipe's interval, BPTT once "
             "per sequence. Minutes and samples/s are per run, with the machine's load "
             "(two trials ran at once on 2 cores unless said otherwise).",
             "", "## The paper's table: targets and verdicts", "",
             "Each target against the comparisons that test it on the paper's task as "
             "defined, cadence by cadence (means +- std over the seeds; where each arm's lr "
             "lies in its grid: at an edge a wider grid might pick another). The measured "
             "reason of each miss is in the notes at the end, under the benchmark's name.",
             "", verdict_table(summaries), "", "### Variants of the tasks", "",
             "Comparisons that change the task (a hold, a teach window) or the rule (weight "
             "averaging, eligibilities on every weight), each named with what it changes; "
             "their verdicts are never \"reached\". What a change costs BPTT is its BPTT "
             "column against the task's own row above.", "",
             verdict_table(summaries, variants=True)]
    for task in dict.fromkeys(s["task"] for s in summaries):
        group = [s for s in summaries if s["task"] == task]
        metric = group[0]["metric"]
        unit = "test accuracy %" if metric == "accuracy_percent" else "test NRMSE"
        lines += ["", f"## {task}", ""]
        for s in group:
            load = ", ".join(f"{x:.1f}" for x in s["machine"]["load_average"])
            lines.append(f"- {resolution(s)} (`{s['folder']}`): {s['epochs']} epochs, lr grid "
                         f"{', '.join(f'{lr:g}' for lr in s['lrs'])}, seeds "
                         f"{', '.join(map(str, s['seeds']))}; lr picked on {s['selection']}; "
                         f"{_minutes(s)} on {s['machine']['cpus']} CPUs "
                         f"({s['machine'].get('processor', '?')}, Python "
                         f"{s['machine'].get('python', '?')}, load {load}); "
                         f"`{s['settings'].get('command', '')}`")
        lines += ["", f"| comparison | arm | cadence | optimiser steps / sequence | picked lr "
                      f"| {unit} | minutes / run | samples/s |", "|" + "---|" * 8]
        for s in group:
            for row in s["rows"]:
                test = (f"{metric_cell(row['test'], metric)} (n={row['test']['n']})"
                        if "test" in row else "diverged or unfinished")
                steps = f"{row['optimizer_steps_per_sequence']:g}" if "test" in row else ""
                timing = (f"{row['minutes_per_run']:.2f} | {row['samples_per_s']:.0f}"
                          if "test" in row else " | ")
                lines.append(f"| `{s['folder']}` | {row['arm']} | {row['cadence']} | {steps} | "
                             f"{row['lr']:g} | {test} | {timing} |")
        lines += ["", "Paired over seeds (VLE - BPTT, same seed):", ""]
        for s in group:
            for pair in s["paired"]:
                lines.append(f"- `{s['folder']}`, {pair['cadence']} cadence ({pair['vle']} vs "
                             f"{pair['bptt']}): {metric_cell(pair['vle_minus_bptt'], metric)}")
    lines += ["", "## Summary", "", summary_table(summaries)]
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines)


TABLE_MARKERS = ("<!-- results-table: lava-vle report docs/compare --readme README.md -->",
                 "<!-- /results-table -->")


def replace_table(path: Path, summaries: list[dict]) -> None:
    """Put the :func:`summary_table` of the comparisons of the paper's tasks
    as defined (:func:`~lava_vle.experiments.targets.variant` empty; the
    variants are on the results page) between the :data:`TABLE_MARKERS` of
    ``path``."""
    from lava_vle.experiments.pages import replace_between

    replace_between(path, TABLE_MARKERS, summary_table(tasks_as_defined(summaries)),
                    "results-table")


def tasks_as_defined(summaries: list[dict]) -> list[dict]:
    """The comparisons that change nothing of their task (no hold, teach
    window, averaging or eligibility on every weight)."""
    return [s for s in summaries if not variant(s)]


def summary_table(summaries: list[dict]) -> str:
    """One row per comparison, named by its folder: its training sequences
    (``all`` of the task's training set, or the limit) and each rule's test
    metric at the equal and the natural cadence, with the optimiser steps per
    sequence (once for the equal cadence, both rules' at the natural one; the
    README's summary of :func:`results_page`)."""
    lines = ["| comparison | training sequences | hold | metric | equal cadence: VLE "
             "| BPTT (steps / sequence) | natural: VLE (steps / sequence) | BPTT (steps) "
             "| paired VLE - BPTT (equal; natural) |", "|" + "---|" * 9]
    for s in summaries:
        metric = s["metric"]
        cells = []
        for cadence in CADENCES:
            for rule in ("vle", "bptt"):
                row = tested_arm(s, rule, cadence)
                if row is None:
                    cells.append("-")
                    continue
                steps = f" ({row['optimizer_steps_per_sequence']:g})" if cadence == "natural" \
                    or rule == "bptt" else ""
                cells.append(metric_cell(row["test"], metric) + steps)
        paired = "; ".join(metric_cell(p["vle_minus_bptt"], metric) for p in s["paired"]) or "-"
        name = "accuracy %" if metric == "accuracy_percent" else "NRMSE"
        limit = s["config"].get("limit_train")
        data = "all" if limit is None else f"{limit:,}"
        hold = str(s["hold"]) + (f" (taught on the last {s['teach_window']})"
                                 if s.get("teach_window") else "")
        lines.append(f"| {s['folder']} | {data} | {hold} | {name} | " + " | ".join(cells)
                     + f" | {paired} |")
    return "\n".join(lines)
