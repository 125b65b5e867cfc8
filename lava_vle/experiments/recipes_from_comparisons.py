"""Task recipes picked from the comparisons' validation scores, never their test scores.

    python -m lava_vle.experiments.recipes_from_comparisons docs/compare \
        --runs docs/gle-reproduction/validation-400 docs/gle-reproduction/validation-400-updated \
        --earlier docs/recipe-selection/earlier --out docs/recipe-selection/from-comparisons.md

Every comparison (``compare.json``) trained each arm over an lr grid and
kept the mean final *validation* metric of the lr it picked. The comparisons
of one task and rule as defined (no variant: no hold, no teach window, no
weight averaging, no eligibilities on every weight;
:func:`lava_vle.experiments.targets.variant`), at full scale and the default
width, with the same epochs and validation split, differ only in the rule's
cadence, schedule, carried state and learning rate: their arms are candidate
recipes scored on one validation split. Per task and rule the pick is the
arm with the best validation metric (ties: the comparison listed first).
A recipe is thus the task as defined; a variant stays an option given on
the command line. Options no candidate varies are not chosen here (the
table says which were varied). ``--runs`` adds candidates that are not
comparisons: folders of one configuration's seeds (``seed-N/results.json``)
trained with a held-out split, scored by their mean final validation metric.
``--earlier`` adds the comparisons as they first ran, where a re-run since
(with the recipe they chose) no longer trains every arm they compared: their
arms stay candidates, labelled as the earlier run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.command_parser import CommandParser
from lava_vle.experiments.targets import lr_pick, variant

#: the options a comparison varies per rule (TrainConfig field names)
RULE_OPTIONS = {"vle": ("lr", "update_interval", "lr_schedule", "ema", "recurrent_error",
                        "carry_state", "settle_steps", "error_weights", "input_timing",
                        "bias_init"),
                "bptt": ("lr", "update_interval", "lr_schedule", "ema", "input_timing",
                         "bias_init")}


def _defines_the_task(summary: dict) -> bool:
    config = summary.get("config", {})
    return (not variant(summary) and config.get("limit_train") is None
            and config.get("width") is None)


def _options(summary: dict, row: dict) -> dict[str, Any]:
    from lava_vle.train import saved_config

    # the arm's own settings (recorded per row since each rule runs its recipe),
    # else the comparison's; settings added since: their defaults
    config = saved_config(row.get("config", summary["config"]))
    options = {name: config.get(name) for name in RULE_OPTIONS[row["rule"]]}
    options["lr"] = row["lr"]
    per_sequence = row["arm"].endswith("per-sequence")
    options["update_interval"] = None if per_sequence and row["rule"] == "bptt" else \
        row["update_interval"]
    return options


def candidates(summaries: Sequence[dict]) -> dict[tuple, list[dict]]:
    """Per ``(task, rule, epochs, selection, metric)``: every arm with a
    validation score in a comparison that defines the task
    (:func:`_defines_the_task`), as ``{"folder", "arm", "validation",
    "lr_pick", "options"}``."""
    found: dict[tuple, list[dict]] = {}
    for summary in summaries:
        if not _defines_the_task(summary):
            continue
        for row in summary["rows"]:
            if row["rule"] not in RULE_OPTIONS or row.get("validation") is None:
                continue
            key = (summary["task"], row["rule"], summary["epochs"], summary["selection"],
                   summary["metric"])
            found.setdefault(key, []).append({
                "folder": summary["folder"], "arm": row["arm"],
                "validation": row["validation"], "lr_pick": lr_pick(row),
                "options": _options(summary, row)})
    return found


def runs_as_summary(folder: Path) -> dict:
    """A folder of one configuration's seeds (``seed-N/results.json``, trained
    with a held-out split) as a one-arm comparison summary: its mean final
    validation metric is the arm's score."""
    from lava_vle.experiments.ablations import seed_runs, settings
    from lava_vle.experiments.summaries import SPLIT_SELECTION, seed_stats

    runs = seed_runs([folder])
    config = settings(runs)
    if not config["validation"]:
        raise ValueError(f"{folder}: trained without a held-out split (validation=0): no "
                         "validation score to pick on")
    first = next(iter(runs.values()))
    every = config["update_interval"]
    arm = f"{config['rule']}-" + ("per-sequence" if every is None else f"every-{every}")
    score = float(np.mean([r["history"][-1]["val_metric"] for r in runs.values()]))
    return {"folder": Path(folder).name, "task": config["task"], "epochs": config["epochs"],
            "selection": SPLIT_SELECTION.format(config["validation"]), "metric": first["metric"],
            "hold": config["hold"], "teach_window": config["teach_window"], "config": config,
            "rows": [{"arm": arm, "rule": config["rule"], "lr": config["lr"],
                      "update_interval": every, "validation": score,
                      "grid": {f"lr={config['lr']:g}": score},
                      "test": seed_stats([r["test_metric"] for r in runs.values()])}]}


def earlier_runs(folder: Path) -> list[dict]:
    """The comparisons of ``folder`` as they first ran (before a re-run), each
    labelled "(earlier run)" after its folder."""
    from lava_vle.experiments.compare import load_summaries

    return [dict(s, folder=f"{s['folder']} (earlier run)") for s in load_summaries(folder)]


def pick(rows: list[dict], metric: str) -> dict:
    """The candidate with the best validation metric (accuracy: highest;
    NRMSE: lowest); the first of equals."""
    sign = -1 if metric == "accuracy_percent" else 1
    return min(rows, key=lambda row: sign * row["validation"])


def picks(summaries: Sequence[dict]) -> dict[tuple[str, str], dict]:
    """Per ``(task, rule)``: ``picked`` (the candidate), ``candidates`` and
    ``group`` (its key), from the group of comparisons with the most
    candidates (one validation protocol)."""
    groups = candidates(summaries)
    chosen: dict[tuple[str, str], dict] = {}
    for key, rows in sorted(groups.items(), key=lambda item: -len(item[1])):
        task, rule, _, _, metric = key
        if (task, rule) not in chosen:
            chosen[(task, rule)] = {"picked": pick(rows, metric), "candidates": rows,
                                    "group": key}
    return chosen


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "per sequence" if name == "update_interval" else "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def page(chosen: dict[tuple[str, str], dict], command: str) -> str:
    """Markdown: per task and rule every candidate with its validation score,
    the pick in bold, and which options the candidates varied."""
    lines = ["# Recipes picked on validation scores", "",
             f"Generated by `{command}`; do not edit by hand. "
             + __doc__.split("\n\n", 2)[2].replace("\n", " ").strip(), ""]
    for (task, rule), chosen_one in sorted(chosen.items()):
        _, _, epochs, selection, metric = chosen_one["group"]
        rows = chosen_one["candidates"]
        names = RULE_OPTIONS[rule]
        varied = [n for n in names if len({_shown(n, r["options"][n]) for r in rows}) > 1]
        unit = "accuracy %" if metric == "accuracy_percent" else "NRMSE"
        lines += [f"## {task}, {rule}", "",
                  f"{epochs} epochs, lr picked per arm on {selection}; varied: "
                  f"{', '.join(varied) or 'nothing but the lr grid'}.", "",
                  f"| comparison | arm | {' | '.join(names)} | lr in its grid "
                  f"| validation {unit} |",
                  "|" + "---|" * (len(names) + 4)]
        for row in rows:
            bold = "**" if row is chosen_one["picked"] else ""
            cells = " | ".join(_shown(n, row["options"][n]) for n in names)
            lines.append(f"| {bold}`{row['folder']}`{bold} | {row['arm']} | {cells} | "
                         f"{row['lr_pick']} | {bold}{row['validation']:.4g}{bold} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    from lava_vle.experiments.compare import load_summaries

    parser = CommandParser(prog="python -m lava_vle.experiments.recipes_from_comparisons",
                           description=__doc__)
    parser.add_argument("folder", help="the folder of comparisons (docs/compare)")
    parser.add_argument("--runs", nargs="*", default=[], type=Path,
                        help="folders of one configuration's seeds with a held-out split: "
                             "more candidates")
    parser.add_argument("--earlier", type=Path,
                        help="a folder of comparisons as they first ran, before a re-run: "
                             "more candidates")
    parser.add_argument("--out", help="write the Markdown here (default: print it)")
    args = parser.parse_args(argv)
    summaries = (load_summaries(Path(args.folder)) + [runs_as_summary(f) for f in args.runs]
                 + ([] if args.earlier is None else earlier_runs(args.earlier)))
    chosen = picks(summaries)
    runs = "".join(f" {folder}" for folder in args.runs)
    text = page(chosen, "python -m lava_vle.experiments.recipes_from_comparisons "
                + args.folder + (f" --runs{runs}" if runs else "")
                + (f" --earlier {args.earlier}" if args.earlier else "")
                + (f" --out {args.out}" if args.out else ""))
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return chosen


if __name__ == "__main__":
    main()
