"""A trained network out of its run folder: :func:`load_run`, and its test
metric in the simulator or in Lava: :func:`evaluate_run`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from lava_vle.arithmetic import PRECISIONS
from lava_vle.datasets import SequenceDataset, load_dataset
from lava_vle.results import read_json
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.train import Trainer, TrainConfig, read_checkpoint, saved_config
from lava_vle.validation import check_choice, check_int

BACKENDS = ("simulator", "lava")


@dataclass
class Run:
    """A run of ``lava-vle train`` (or :func:`~lava_vle.train.fit`) as it was saved.

    ``params``: the real parameters, unpadded, one matrix per projection (the
    weights evaluations use: the average with ``config.ema``; fixed point:
    the values of the 8-bit mantissas); ``fixed_params``: fixed point's
    integers (None in float); ``results``: its ``results.json`` (None for a
    run that has not finished); ``epoch``: the epochs its checkpoint holds;
    ``dataset``: the task's data it was trained on.
    """

    spec: NetworkSpec
    params: FloatParams
    fixed_params: Optional[FixedParams]
    config: TrainConfig
    results: Optional[dict]
    epoch: int
    dataset: SequenceDataset


def load_run(folder: str | Path, dataset: Optional[SequenceDataset] = None) -> Run:
    """The network a run folder's checkpoint holds, with its configuration and
    results. The task's data set (``dataset``, loaded when not given) fixes the
    network's input and output sizes, as it did for training; a checkpoint
    trained on other data is refused by its fingerprint."""
    folder = Path(folder)
    state = read_checkpoint(folder)
    config = TrainConfig(**saved_config(state["config"]))
    if dataset is None:
        dataset = load_dataset(config.task, **config.dataset_kwargs)
    trainer = Trainer(dataset, config)
    trainer.load_state_dict(state)
    with trainer.evaluated_weights():
        params = trainer.rule.float_params()
    results_file = folder / "results.json"
    results = read_json(results_file) if results_file.is_file() else None
    fixed = trainer.rule.params if config.precision == "fixed" else None
    return Run(trainer.spec, params, fixed, config, results, trainer.epoch, dataset)


#: settings under which training evaluated otherwise than the simulator and
#: Lava do (both run each test sequence from rest, reading x[t-1] at step t)
EVALUATION_DIFFERS = {"carry_state": (True, "evaluated from the state carried over the "
                                            "training sequences"),
                      "input_timing": ("current", "read x[t] at step t"),
                      "evaluation_state": ("shared", "evaluated with the error dendrites running "
                                                     "on, no target error"),
                      "dtype": ("float64", "evaluated in float64")}


def evaluate_run(run: Run, backend: str = "simulator", precision: Optional[str] = None,
                 limit: Optional[int] = None, progress: bool = False) -> dict:
    """The test metric of a loaded run's network, run from rest on the first
    ``limit`` test sequences (all that training evaluated when None) by the
    ``Simulator`` or by Lava (one fused ``VLENetwork``, learning off;
    :func:`lava_vle.processes.sequences.run_sequences`) in ``precision``
    (default: the run's). Returns ``{"metric", "value", "sequences",
    "backend", "precision", "recorded", "differs"}``: ``recorded`` is the
    test metric training wrote, ``differs`` the settings under which
    training evaluated otherwise (``EVALUATION_DIFFERS``)."""
    from lava_vle.simulator import Simulator

    check_choice("backend", backend, BACKENDS)
    precision = run.config.precision if precision is None else check_choice(
        "precision", precision, PRECISIONS)
    trainer = Trainer(run.dataset, run.config)
    available = len(trainer.dataset.x_test)
    count = available if limit is None else check_int("limit", limit, 1, available,
                                                       "test sequences")
    index = np.arange(count)
    x, _ = trainer.sequences("test", index)
    params = run.fixed_params if precision == "fixed" and run.fixed_params else run.params
    if backend == "simulator":
        outputs = Simulator(run.spec, params, precision, seed=run.config.seed).run(x).outputs
    else:
        from lava_vle.processes.sequences import run_sequences
        outputs = run_sequences(run.spec, params, precision, x, progress=progress)
    differs = [f"{name}={value!r}: {what}" for name, (value, what) in EVALUATION_DIFFERS.items()
               if getattr(run.config, name) == value]
    classification = trainer.dataset.task == "classification"
    return {"metric": "accuracy_percent" if classification else "nrmse",
            "value": trainer.metric(outputs, "test", index), "sequences": count,
            "backend": backend, "precision": precision,
            "recorded": run.results["test_metric"] if run.results else None,
            "differs": differs}
