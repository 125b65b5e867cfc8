"""A trained network out of its run folder: :func:`load_run`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from lava_vle.datasets import SequenceDataset, load_dataset
from lava_vle.results import read_json
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.train import Trainer, TrainConfig, read_checkpoint, saved_config


@dataclass
class Run:
    """A run of ``lava-vle train`` (or :func:`~lava_vle.train.fit`) as it was saved.

    ``params``: the real parameters, unpadded, one matrix per projection (the
    weights evaluations use: the average with ``config.ema``; fixed point:
    the values of the 8-bit mantissas); ``fixed_params``: fixed point's
    integers (None in float); ``results``: its ``results.json`` (None for a
    run that has not finished); ``epoch``: the epochs its checkpoint holds.
    """

    spec: NetworkSpec
    params: FloatParams
    fixed_params: Optional[FixedParams]
    config: TrainConfig
    results: Optional[dict]
    epoch: int


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
    return Run(trainer.spec, params, fixed, config, results, trainer.epoch)
