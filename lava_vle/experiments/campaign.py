"""The paper's table as one resumable campaign of ``lava-vle compare`` runs.

Each row of "The paper's table, reproduced or refuted" is one matched
comparison (:mod:`lava_vle.experiments.compare`) at two scales: ``full`` (the sizes the
table asks for; the GPU run) and ``tiny`` (a few hundred sequences, one
epoch: checks on a CPU that every row runs and writes its summary). Rows run
in the order below without Ray, on ``device`` (a torch device, or numpy when
None), each into ``out/<row>``: a row's trials one after another in this
process (``--address local``), or ``workers`` at a time in worker processes
(``--address local:N``; e.g. one per core of a GPU machine's host). A row
already summarised is skipped, an interrupted one resumes from its trials'
checkpoints. With a time budget, no further row starts once it is spent (the
first one always does; rerun to continue). ``lava-vle report out`` makes the
results page.

Needs numpy (and torch for BPTT and a device); not Lava, Ray, scipy or
scikit-learn. MNIST comes from ``$LAVA_VLE_CACHE/mnist`` (IDX files, plain or
``.gz``), MNIST-1D from the ``mnist1d`` package.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from lava_vle.experiments.summaries import COMPARE_JSON

#: row name -> (task, compare options at full scale). Cadences: equal (S
#: optimiser steps per sequence for both rules) and natural, unless given.
ROWS: dict[str, tuple[str, list[str]]] = {
    "smnist-row": ("smnist-row", ["--epochs", "5", "--lrs", "1e-3,3e-3,1e-2", "--seeds", "3",
                                  "--updates-per-sequence", "4", "--validation", "5000"]),
    # taught on the last 14 rows, where MNIST's digits still have ink (the task's own
    # window, the last 3 rows, is almost blank: docs/compare/smnist-row-window14)
    "smnist-row-window14": ("smnist-row", ["--epochs", "5", "--lrs", "1e-3,3e-3,1e-2",
                                           "--seeds", "3", "--updates-per-sequence", "4",
                                           "--validation", "5000", "--teach-window", "14"]),
    # the same, each row held 2 steps (the best row-wise sMNIST comparison)
    "smnist-row-window14-hold2": ("smnist-row", ["--epochs", "5", "--lrs", "1e-3,3e-3",
                                                 "--seeds", "3", "--updates-per-sequence", "4",
                                                 "--validation", "5000", "--teach-window", "14",
                                                 "--hold", "2"]),
    # the task's own window, VLE with an eligibility trace on every weight, weights
    # averaged for evaluation (every rule alike), equal cadence
    "smnist-row-eprop-all-ema": ("smnist-row", ["--epochs", "5", "--lrs", "1e-3,3e-3",
                                                "--seeds", "3", "--updates-per-sequence", "4",
                                                "--validation", "5000", "--recurrent-error",
                                                "eprop-all", "--ema", "0.99", "--cadences",
                                                "equal"]),
    "delayed-xor": ("delayed-xor", ["--epochs", "30", "--lrs", "1e-3,3e-3,1e-2", "--seeds", "3",
                                    "--updates-per-sequence", "13", "--validation", "400"]),
    # natural (VLE every step, BPTT once per sequence) and equal: both every 36 steps;
    # the grid of docs/compare/mnist1d-gle-budget-equal (the natural rows ran 1e-3 only)
    "mnist1d": ("mnist1d", ["--epochs", "100", "--lrs", "1e-3,3e-3", "--seeds", "3",
                            "--updates-per-sequence", "10", "--validation", "400"]),
    # <= 42k parameters (41,128) at the same budget, weights averaged for evaluation
    "mnist1d-42k": ("mnist1d", ["--width", "89", "--epochs", "100", "--lrs", "1e-3",
                                "--seeds", "3", "--cadences", "natural", "--validation", "400",
                                "--ema", "0.99"]),
    "fashion-smnist-row": ("fashion-smnist-row", ["--epochs", "5", "--lrs", "1e-3,3e-3,1e-2",
                                                  "--seeds", "3", "--updates-per-sequence", "4",
                                                  "--validation", "5000"]),
    "pattern": ("pattern", ["--epochs", "300", "--lrs", "1e-3,3e-3,1e-2,3e-2", "--seeds", "3",
                            "--updates-per-sequence", "10"]),
    # the CPU subset row's mode and grid (docs/compare/smnist-pixel-subset: picks
    # 1e-4 and 3e-4, collapse at lr >= 1e-3), at the default batch of 100
    "smnist": ("smnist", ["--epochs", "5", "--lrs", "1e-4,3e-4,1e-3,3e-3", "--seeds", "3",
                          "--recurrent-error", "eprop",
                          "--updates-per-sequence", "16", "--validation", "5000"]),
}
#: what ``tiny`` replaces: one epoch, two lrs, one seed, a few hundred sequences
TINY = {"--epochs": "1", "--seeds": "1", "--lrs": "1e-3,3e-3", "--validation": "100"}
TINY_LIMITS = ["--limit-train", "300", "--limit-test", "100"]
SCALES = ("full", "tiny")


def row_arguments(row: str, scale: str, out: Path, device: Optional[str] = None,
                  workers: int = 1) -> list[str]:
    """The ``lava-vle compare`` arguments of ``row`` at ``scale`` into ``out/row``,
    training ``workers`` trials at a time."""
    if row not in ROWS:
        raise ValueError(f"row={row!r} must be one of {list(ROWS)}")
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} must be one of {list(SCALES)}")
    if not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"workers={workers!r} must be an integer >= 1")
    task, options = ROWS[row]
    options = list(options)
    if scale == "tiny":
        for flag, value in TINY.items():
            if flag in options:
                options[options.index(flag) + 1] = value
        if task != "pattern":  # one sequence
            options += TINY_LIMITS
    argv = ["compare", "--task", task, *options, "--out", str(Path(out) / row),
            "--address", "local" if workers == 1 else f"local:{workers}"]
    return argv + (["--device", device] if device else [])


def run_campaign(out: Path, scale: str = "full", device: Optional[str] = None,
                 rows: Optional[Sequence[str]] = None, budget_minutes: Optional[float] = None,
                 workers: int = 1, *, command: Callable[[list[str]], object],
                 log: Callable[[str], None] = print) -> dict[str, str]:
    """Run ``rows`` (default: all, in order); return each row's outcome:
    ``"done"`` (summary written before), ``"ran"``, or ``"not started"``
    (budget spent). ``command`` runs one ``lava-vle`` argument list (the
    command line passes its own ``main``)."""
    if budget_minutes is not None and budget_minutes <= 0:
        raise ValueError(f"budget_minutes={budget_minutes!r} must be > 0 (or None)")
    out, start, outcome = Path(out), time.perf_counter(), {}
    for row in rows or list(ROWS):
        argv = row_arguments(row, scale, out, device, workers)
        if (out / row / COMPARE_JSON).is_file():
            outcome[row] = "done"
            continue
        spent = (time.perf_counter() - start) / 60
        if budget_minutes is not None and "ran" in outcome.values() and spent >= budget_minutes:
            outcome[row] = "not started"
            continue
        log(f"campaign: {row} after {spent:.1f} min: lava-vle {' '.join(argv)}")
        command(argv)
        outcome[row] = "ran"
    log("campaign: " + ", ".join(f"{row} {state}" for row, state in outcome.items()))
    return outcome
