"""What a finished training run writes: results.json, learning curves, outputs,
and the synaptic operations measured with the trained weights."""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from lava_vle.simulator import Simulator
from lava_vle.synops import bptt_synaptic_ops, dense_synaptic_ops

if TYPE_CHECKING:
    from lava_vle.train import Trainer


def read_json(path: Path) -> object:
    """The JSON in ``path``; a damaged file (cut short, edited, not UTF-8) is
    named in a ``ValueError``."""
    try:
        return json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is damaged, not readable JSON ({err}); it was written by "
                         "lava-vle: rerun the command that wrote it, or move it away") from None


def synops_of_the_rule(trainer: Trainer) -> Optional[dict]:
    """Synaptic operations per training sample of the rule that trained:
    the local rule's, measured (:func:`measured_synops`); BPTT's and the
    adjoint's, dense (:func:`~lava_vle.synops.bptt_synaptic_ops`: a forward
    pass and a backward pass through time); ``None`` for the hybrid (a
    backward pass for its lowest populations, the local rule above: not
    counted)."""
    rule = trainer.config.rule
    if rule == "hybrid":
        return None
    if rule in ("bptt", "exact"):
        return {"rule": rule, **bptt_synaptic_ops(trainer.spec, trainer.dataset.x_train.shape[1])}
    return {"rule": "vle", **measured_synops(trainer)}


def measured_synops(trainer: Trainer, batch: int = 100) -> dict:
    """Effective SynOps per training sample, counted on the first test sequences
    with the trained weights and the local rule running (not applied).
    ``eprop`` and ``eprop-all`` are counted as ``none`` (same error paths;
    their updates are per step, as the local rule's)."""
    ds = trainer.dataset
    spec = trainer.spec
    if spec.recurrent_error.startswith("eprop"):
        spec = replace(spec, recurrent_error="none")
    index = np.arange(min(batch, len(ds.x_test)))
    x, y = trainer.sequences("test", index)
    if trainer.config.precision == "fixed":
        sim = Simulator(spec, trainer.rule.params, "fixed", seed=trainer.config.seed)
        run = sim.run(x, y, loss_weight=ds.loss_weight, plasticity="apply",
                      eta=trainer.lr() / len(index), count_synops=True)
    else:
        run = Simulator(spec, trainer.rule.float_params()).run(
            x, y, loss_weight=ds.loss_weight, plasticity="accumulate", count_synops=True)
    return {key: value / len(index) for key, value in run.synops.items()}


#: the files :func:`write_results` writes into a run folder
RESULT_FILES = ("results.json", "learning_curves.png", "outputs.png")


def write_results(trainer: Trainer, out: Path) -> dict:
    """Write ``out/results.json`` (config, network, history, test metric, SynOps)
    and the plots ``learning_curves.png`` and ``outputs.png``; return the results."""
    from lava_vle.plots import plot_learning_curves, plot_outputs, without_matplotlib

    ds, spec = trainer.dataset, trainer.spec
    test = trainer.evaluate("test")
    steps = ds.x_train.shape[1]
    results = {
        "task": ds.name, "config": asdict(trainer.config), "dataset_info": ds.info,
        "network": {"sizes": list(spec.sizes), "parameters": spec.n_parameters(),
                    "recurrent": [layer.recurrent for layer in spec.layers], "dt": spec.dt,
                    "loss": spec.loss, "feedback": spec.feedback},
        "metric": "accuracy_percent" if ds.task == "classification" else "nrmse",
        "test_metric": test["metric"], "history": trainer.history,
        "train_wall_s": sum(r["train_wall_s"] for r in trainer.history),
        "synops_per_sample": dense_synaptic_ops(spec, steps, learning=True),
        "effective_synops_per_sample": synops_of_the_rule(trainer),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    without_matplotlib(lambda: plot_learning_curves(results, out / "learning_curves.png"),
                       "learning_curves.png")
    without_matplotlib(lambda: plot_outputs(ds, test["outputs"], out / "outputs.png"),
                       "outputs.png")
    return results
