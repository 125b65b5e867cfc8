"""Time resolution of a sequence task: inputs held for K steps, a teaching window.

Each synapse hop delays by one simulation step, so when one input (a row, a
pixel) lasts one step an error taught on the last inputs reaches a layer h
hops below only h inputs later. :func:`with_time_resolution` holds every
input for ``hold`` steps with ``dt / hold``, so that time constants keep
their meaning in input units and each input lasts several steps; and sets
the teaching window to the last ``teach_window`` inputs.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from ._common import _check_int
from .container import SequenceDataset

MAX_HOLD = 64


def with_time_resolution(dataset: SequenceDataset, hold: int = 1,
                         teach_window: Optional[int] = None) -> SequenceDataset:
    """``dataset`` with each input held ``hold`` steps and the loss taught on the
    last ``teach_window`` inputs (None: the dataset's own window).

    Holding repeats every step ``hold`` times (inputs, regression targets and
    both windows), divides ``dt`` by ``hold`` and the loss weight by ``hold``
    (a held input carries the loss of one input, spread over its steps), so
    the loss sum and the time constants in input units stay as they were.
    ``teach_window = W`` sets the loss weight to 1 on the last W inputs and
    0 before (the readout window is unchanged). ``hold = 1`` and no window
    return ``dataset`` itself.
    """
    hold = _check_int("hold", hold, 1)
    if hold > MAX_HOLD:
        raise ValueError(f"hold={hold} must lie in 1..{MAX_HOLD} (steps per input)")
    if hold == dataset.hold and teach_window is None:
        return dataset
    if dataset.hold != 1:
        raise ValueError(f"{dataset.name} is already held {dataset.hold} steps per input")
    inputs, loss_weight = dataset.steps, dataset.loss_weight
    if teach_window is not None:
        teach_window = _check_int("teach_window", teach_window, 1)
        if teach_window > inputs:
            raise ValueError(f"teach_window={teach_window} must lie in 1..{inputs}, the "
                             f"inputs of a {dataset.name} sequence")
        loss_weight = np.zeros(inputs, np.float32)
        loss_weight[inputs - teach_window:] = 1.0

    def held(a: np.ndarray, axis: int) -> np.ndarray:
        return np.ascontiguousarray(np.repeat(a, hold, axis=axis))

    regression = dataset.task == "regression"
    info = {**dataset.info, "hold": hold, "input_dt": dataset.dt,
            "teach_window": teach_window}
    return replace(
        dataset, x_train=held(dataset.x_train, 1), x_test=held(dataset.x_test, 1),
        y_train=held(dataset.y_train, 1) if regression else dataset.y_train,
        y_test=held(dataset.y_test, 1) if regression else dataset.y_test,
        loss_weight=(held(loss_weight, 0) / np.float32(hold)).astype(np.float32),
        readout_weight=held(dataset.readout_weight, 0), dt=dataset.dt / hold, hold=hold,
        info=info)
