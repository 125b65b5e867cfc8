"""Choose a task recipe's learning rate on a validation split, never the test set.

    python -m lava_vle.experiments.recipe_selection --task digits --precision float \\
        --lrs 1e-3,3e-3,1e-2,3e-2,0.1 --epochs 5 --validation 300 \\
        --out docs/recipe-selection/digits-float.json

Every learning rate of the grid trains with ``--seeds`` seeds from the task's
recipe (:meth:`TrainConfig.from_recipe`) with the last ``--validation``
training sequences held out; the pick is the learning rate whose final
validation loss (the objective training lowers), averaged over the seeds, is
lowest. The file keeps every seed's validation loss and metric (and, for the
record only, the test metric), the pick, the protocol and the minutes; a pick
at the grid's edge is flagged.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle.command_parser import CommandParser, at_least, positive_floats


def select_lr(task: str, precision: str, lrs: Sequence[float], seeds: int, epochs: int,
              validation: int, folder: Path) -> dict:
    """Train the grid (runs in ``folder``) and pick the lr of the lowest mean
    final validation loss."""
    from lava_vle import TrainConfig, fit, load_dataset
    from lava_vle.recipes import recipe

    data = load_dataset(task)
    start, rows = time.time(), []
    for lr in lrs:
        finals = []
        for seed in range(seeds):
            config = TrainConfig.from_recipe(task, precision=precision, lr=lr, seed=seed,
                                             epochs=epochs, validation=validation)
            result = fit(data, config, folder / f"lr={lr:g}" / f"seed-{seed}", overwrite=True,
                         progress=False, log=lambda *_: None)
            finals.append({"val_loss": result["history"][-1]["val_loss"],
                           "val_metric": result["history"][-1]["val_metric"],
                           "test_metric": result["test_metric"]})
        rows.append({"lr": lr, "seeds": finals,
                     "val_loss_mean": float(np.mean([f["val_loss"] for f in finals])),
                     "val_metric_mean": float(np.mean([f["val_metric"] for f in finals]))})
    best = min(range(len(rows)), key=lambda k: rows[k]["val_loss_mean"])
    return {"task": task, "precision": precision, "epochs": epochs, "seeds": seeds,
            "validation": validation, "recipe": recipe(task, "vle", precision),
            "criterion": "lowest mean final validation loss", "rows": rows,
            "picked_lr": rows[best]["lr"], "at_grid_edge": best in (0, len(rows) - 1),
            "minutes": round((time.time() - start) / 60, 2)}


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="python -m lava_vle.experiments.recipe_selection",
                           description=__doc__)
    parser.add_argument("--task", required=True, help="the benchmark task")
    parser.add_argument("--precision", choices=["float", "fixed"], default="float",
                        help="arithmetic")
    parser.add_argument("--lrs", type=positive_floats, required=True, help="the lr grid")
    parser.add_argument("--seeds", type=at_least(1), default=3, help="seeds per lr")
    parser.add_argument("--epochs", type=at_least(1), default=5, help="epochs per run")
    parser.add_argument("--validation", type=at_least(1), required=True,
                        help="held-out training sequences")
    parser.add_argument("--runs", default="results/recipe-selection",
                        help="folder of the training runs")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    args = parser.parse_args(argv)
    selection = select_lr(args.task, args.precision, args.lrs, args.seeds, args.epochs,
                          args.validation, Path(args.runs) / f"{args.task}-{args.precision}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(selection, indent=1))
    for row in selection["rows"]:
        print(f"lr {row['lr']:g}: validation loss {row['val_loss_mean']:.3f}, metric "
              f"{row['val_metric_mean']:.2f}")
    print(f"picked lr {selection['picked_lr']:g}"
          + (" (at the grid's edge: widen it)" if selection["at_grid_edge"] else "")
          + f"; wrote {args.out}")
    return selection


if __name__ == "__main__":
    main()
