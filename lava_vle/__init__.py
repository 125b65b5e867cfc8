"""lava-vle: Lava processes that learn with Variational Latent Equilibrium.

The core, importable with numpy alone (BPTT and the exactness checks need
torch, the processes need Lava)::

    from lava_vle import NetworkSpec, LayerSpec, Simulator, TrainConfig, fit

- networks: :class:`NetworkSpec`, :class:`LayerSpec`, :func:`init_params`,
  :class:`FloatParams`, :class:`FixedParams`, :func:`default_network` (the
  benchmark networks)
- simulation: :class:`Simulator` (batched, float or Loihi 2 fixed point)
- training: :class:`TrainConfig`, :class:`Trainer`, :func:`fit`,
  :func:`load_run` (a trained network out of its run folder),
  :func:`evaluate_run` (its test metric in the simulator or in Lava),
  :func:`to_nir` / :func:`export_nir` (a frozen network as a NIR graph),
  :func:`make_rule`; :func:`local_updates`, :func:`exact_gradients`,
  :func:`bptt_gradients`, :func:`cosine` to compare the local rule with
  exact gradients
- data: :func:`load_dataset`, :data:`DATASETS`, :class:`SequenceDataset`,
  :func:`with_time_resolution`, :func:`one_hot_targets`; synthetic tasks
  :func:`teacher_student`, :func:`demo_spec`, :func:`demo_task`
- counting: :func:`dense_synaptic_ops`, :func:`vle_counts`, :func:`bptt_counts`
- precisions: :data:`PRECISIONS`, :data:`LAVA_TAGS`

Modules with more: :mod:`lava_vle.fixed_point` (the Loihi 2 integer rules),
:mod:`lava_vle.energy`, :mod:`lava_vle.datasets`, :mod:`lava_vle.experiments`;
the Lava processes are in :mod:`lava_vle.processes`. The names above load
on first use, so ``import lava_vle`` stays cheap (it runs at interpreter
start to fix lava-nc on Python 3.11).
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING  # noqa: E402

from lava_vle import _lava_py311  # noqa: E402  (Python 3.11 fix for lava-nc)
from lava_vle._lazy import lazy_exports  # noqa: E402

_lava_py311.install()

#: public name -> the module that defines it
_EXPORTS = {
    "NetworkSpec": "spec", "LayerSpec": "spec", "FloatParams": "spec",
    "FixedParams": "spec", "init_params": "spec", "FEEDBACK_MODES": "spec",
    "RECURRENT_ERROR_MODES": "spec",
    "default_network": "task_networks",
    "Simulator": "simulator",
    "TrainConfig": "train", "Trainer": "train", "fit": "train", "TrainingDiverged": "train",
    "load_run": "runs", "Run": "runs", "evaluate_run": "runs",
    "to_nir": "nir_export", "export_nir": "nir_export",
    "make_rule": "learners", "local_updates": "learners", "cosine": "learners",
    "exact_gradients": "adjoint", "bptt_gradients": "bptt",
    "load_dataset": "datasets", "DATASETS": "datasets", "SequenceDataset": "datasets",
    "with_time_resolution": "datasets", "one_hot_targets": "datasets",
    "teacher_student": "synthetic_tasks", "demo_spec": "synthetic_tasks",
    "demo_task": "synthetic_tasks", "TeacherStudent": "synthetic_tasks",
    "recurrent_network": "synthetic_tasks",
    "dense_synaptic_ops": "synops", "vle_counts": "energy", "bptt_counts": "energy",
    "PRECISIONS": "arithmetic", "LAVA_TAGS": "arithmetic",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see; at run time the names load lazily
    from lava_vle.adjoint import exact_gradients
    from lava_vle.arithmetic import LAVA_TAGS, PRECISIONS
    from lava_vle.bptt import bptt_gradients
    from lava_vle.datasets import (DATASETS, SequenceDataset, load_dataset, one_hot_targets,
                                   with_time_resolution)
    from lava_vle.energy import bptt_counts, vle_counts
    from lava_vle.learners import cosine, local_updates, make_rule
    from lava_vle.nir_export import export_nir, to_nir
    from lava_vle.runs import Run, evaluate_run, load_run
    from lava_vle.simulator import Simulator
    from lava_vle.spec import (FEEDBACK_MODES, FixedParams, FloatParams, LayerSpec, NetworkSpec,
                               RECURRENT_ERROR_MODES, init_params)
    from lava_vle.synops import dense_synaptic_ops
    from lava_vle.synthetic_tasks import (TeacherStudent, demo_spec, demo_task, recurrent_network,
                                          teacher_student)
    from lava_vle.task_networks import default_network
    from lava_vle.train import TrainConfig, Trainer, TrainingDiverged, fit


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
