"""Summarise training runs (``results.json`` files) as a markdown table."""
from __future__ import annotations

import json
from pathlib import Path


def collect(root: Path) -> list[dict]:
    """One row per ``*/results.json`` below ``root``, sorted by folder name."""
    rows = []
    for path in sorted(Path(root).glob("*/results.json")):
        result = json.loads(path.read_text())
        history, cfg = result["history"], result["config"]
        accuracy = result["metric"] == "accuracy_percent"
        metrics = [row["test_metric"] for row in history]
        rows.append({
            "run": path.parent.name, "task": result["task"], "rule": cfg["rule"],
            "precision": cfg["precision"], "optimizer": cfg.get("optimizer", "adam"),
            "lr": cfg["lr"], "update_interval": cfg.get("update_interval"),
            "schedule": cfg.get("lr_schedule", "constant"), "carry": cfg.get("carry_state", False),
            "metric": "accuracy %" if accuracy else "NRMSE",
            "final": result["test_metric"],
            "best": max(metrics) if accuracy else min(metrics),
            "epochs": len(history), "train_wall_s": result["train_wall_s"],
            "samples_per_s": sum(r["samples_per_s"] for r in history) / len(history),
            "parameters": result["network"]["parameters"]})
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
