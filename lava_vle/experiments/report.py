"""Summarise training runs (``results.json`` files) and sweeps (``summary.json``)
as markdown tables."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

from lava_vle.results import read_json

SWEEP_SUMMARY = "summary.json"  # what marks a sweep folder (lava_vle.experiments.sweep writes it)


def run_row(result: dict, run: str) -> dict:
    """The table row of one training run (the contents of its ``results.json``)."""
    history, cfg = result["history"], result["config"]
    accuracy = result["metric"] == "accuracy_percent"
    metrics = [row["test_metric"] for row in history]
    return {
        "run": run, "task": str(result["task"]), "rule": str(cfg["rule"]),
        "precision": str(cfg["precision"]), "optimizer": str(cfg.get("optimizer", "adam")),
        "lr": float(cfg["lr"]), "update_interval": cfg.get("update_interval"),
        "schedule": str(cfg.get("lr_schedule", "constant")),
        "carry": bool(cfg.get("carry_state", False)),
        "metric": "accuracy %" if accuracy else "NRMSE",
        "final": float(result["test_metric"]),
        "best": float(max(metrics) if accuracy else min(metrics)),
        "epochs": len(history), "train_wall_s": float(result["train_wall_s"]),
        "samples_per_s": sum(float(r["samples_per_s"]) for r in history) / len(history),
        "parameters": int(result["network"]["parameters"])}


def collect(root: Path, skipped: Optional[list] = None) -> list[dict]:
    """One row per ``*/results.json`` in ``root``, sorted by folder name; where
    there is none, one per ``results.json`` at any depth, named by its folder
    relative to ``root`` (the trials of an interrupted ``compare``; a run
    folder's own).

    A file that is not a readable run result is left out; ``skipped`` (if
    given) receives ``"PATH: what is wrong"`` for each, else a warning names it.
    """
    rows = []
    root = Path(root)
    paths = sorted(root.glob("*/results.json")) or sorted(root.rglob("results.json"))
    for path in paths:
        try:
            name = path.parent.relative_to(root).as_posix()
            rows.append(run_row(read_json(path), root.name if name == "." else name))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
                ZeroDivisionError) as err:
            problem = f"{path}: not a readable run result ({type(err).__name__}: {err})"
            if skipped is None:
                warnings.warn(problem)
            else:
                skipped.append(problem)
    return rows


def markdown(rows: list[dict]) -> str:
    head = ("| run | task | rule | precision | optimiser (lr, interval) | metric | final | best "
            "| epochs | train wall s | samples/s | params |\n|" + "---|" * 12)
    lines = [head]
    for r in rows:
        interval = ""
        if r["rule"] == "vle" and r["precision"] == "float":
            every = r["update_interval"]
            interval = ", every step" if every == 1 else f", every {every} steps"
        if r["schedule"] != "constant":
            interval += f", {r['schedule']}"
        if r["carry"]:
            interval += ", carried state"
        lines.append(
            f"| {r['run']} | {r['task']} | {r['rule']} | {r['precision']} | "
            f"{r['optimizer'] if r['precision'] == 'float' else 'integer SGD'} ({r['lr']:g}"
            f"{interval}) | {r['metric']} | {r['final']:.2f} | {r['best']:.2f} | {r['epochs']} | "
            f"{r['train_wall_s']:.0f} | {r['samples_per_s']:.0f} | {r['parameters']} |")
    return "\n".join(lines)


def sweep_markdown(summary: dict) -> str:
    """One row per configuration of a sweep's ``summary.json``: final and best test
    metric over the seeds (mean +/- std, min..max), train wall time, samples/s."""
    head = ("| configuration | task | rule | precision | metric | n | final mean +/- std "
            "| final min..max | best mean +/- std | best min..max | train wall s | samples/s |"
            "\n|" + "---|" * 12)
    lines = [head]
    for c in summary["configurations"]:
        cfg, final, best = c["config"], c["final"], c["best"]
        lines.append(
            f"| {c['name']} | {cfg['task']} | {cfg['rule']} | {cfg['precision']} | "
            f"{c['metric']} | {c['n']} | {final['mean']:.2f} +/- {final['std']:.2f} | "
            f"{final['min']:.2f}..{final['max']:.2f} | {best['mean']:.2f} +/- {best['std']:.2f} | "
            f"{best['min']:.2f}..{best['max']:.2f} | {c['train_wall_s']:.1f} | "
            f"{c['samples_per_s']:.0f} |")
    return "\n".join(lines)


def table(folder: Path) -> str:
    """The sweep table of ``folder/summary.json`` if the folder holds a sweep,
    else the table of the training runs in its sub-folders."""
    summary = Path(folder) / SWEEP_SUMMARY
    if summary.exists():
        return sweep_markdown(read_json(summary))
    return markdown(collect(folder))
