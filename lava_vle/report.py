"""Summarise training runs (``results.json`` files) as a markdown table."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Optional


def collect(root: Path, skipped: Optional[list] = None) -> list[dict]:
    """One row per ``*/results.json`` below ``root``, sorted by folder name.

    A file that is not a readable run result is left out; ``skipped`` (if
    given) receives ``"PATH: what is wrong"`` for each, else a warning names it.
    """
    rows = []
    for path in sorted(Path(root).glob("*/results.json")):
        try:
            rows.append(_row(path))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
                ZeroDivisionError) as err:
            problem = f"{path}: not a readable run result ({type(err).__name__}: {err})"
            if skipped is None:
                warnings.warn(problem)
            else:
                skipped.append(problem)
    return rows


def _row(path: Path) -> dict:
    """The table row of one results.json."""
    result = json.loads(path.read_text())
    history, cfg = result["history"], result["config"]
    accuracy = result["metric"] == "accuracy_percent"
    metrics = [row["test_metric"] for row in history]
    return {
        "run": path.parent.name, "task": str(result["task"]), "rule": str(cfg["rule"]),
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
