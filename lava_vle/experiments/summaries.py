"""What the comparison, the targets and the sweep share: statistics over
seeds, the cadences, and how a comparison's summary is read."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

#: file name of a comparison's summary (written by :mod:`~lava_vle.experiments.compare`)
COMPARE_JSON = "compare.json"
#: how a comparison names a selection split of held-out training sequences
SPLIT_SELECTION = "validation split of the last {} training sequences"
#: the update cadences a comparison runs: both rules at the same optimiser steps
#: per sequence, and each at its natural one
CADENCES = ("equal", "natural")


def seed_stats(values: Sequence[float]) -> dict:
    """Statistics over seeds: mean, standard deviation (n - 1 in the
    denominator; 0 for one value), min, max, ``n`` and the values."""
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return {"mean": float(values.mean()), "std": float(std), "min": float(values.min()),
            "max": float(values.max()), "n": int(len(values)), "values": values.tolist()}


def metric_cell(stats: dict, metric: str) -> str:
    """``mean +- std`` of a test metric over seeds (std where the statistics
    have it), 1 decimal for accuracy %, 3 for NRMSE."""
    digits = 1 if metric == "accuracy_percent" else 3
    std = f" +- {stats['std']:.{digits}f}" if "std" in stats else ""
    return f"{stats['mean']:.{digits}f}{std}"


def tested_arm(summary: dict, rule: str, cadence: str) -> Optional[dict]:
    """The row of ``summary`` that trains ``rule`` at ``cadence`` and has a
    test result (None if none has)."""
    return next((row for row in summary["rows"] if row["rule"] == rule and "test" in row
                 and cadence in row["cadence"].split(",")), None)
