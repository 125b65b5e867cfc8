"""Training: VLE local (online), VLE exact (adjoint) and BPTT on the same network.

:class:`Trainer` runs epochs of one rule (:mod:`lava_vle.learners`) on one
dataset and the benchmark network for it (:mod:`lava_vle.task_networks`):
shuffling, per-epoch learning-rate schedule, evaluation, the NaN stop and
checkpoints. Every epoch ends with a checkpoint; ``resume`` continues from
it to the same result as an uninterrupted run (the shuffling of epoch ``e``
is drawn from ``(seed, e)``). :func:`fit` is the whole run, ending with
:func:`lava_vle.results.write_results`.

The checkpoint format (two files, no pickle) is :mod:`lava_vle.checkpoints`.
"""
from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.activations import ACTIVATIONS
from lava_vle.arithmetic import PRECISIONS
from lava_vle.arrays import copy_into, to_numpy
from lava_vle.task_networks import default_network
from lava_vle.checkpoints import (CHECKPOINT, LEGACY_CHECKPOINT, CheckpointError,  # noqa: F401
                                  is_checkpoint_name, read_checkpoint, write_checkpoint)
from lava_vle.datasets import (DATASETS, SequenceDataset, nrmse, one_hot_targets,
                               with_time_resolution)
from lava_vle.datasets.registry import check_dataset_kwargs
from lava_vle.datasets.resolution import MAX_HOLD
from lava_vle.learners import EVALUATION_STATES, check_capture, check_rule_options, make_rule
from lava_vle.spec import (BIAS_INITS, DEFAULT_RECURRENT_ERROR, FEEDBACK_MODES,
                           RECURRENT_ERROR_MODES, NetworkSpec, init_params)
from lava_vle.recipes import recipe
from lava_vle.results import RESULT_FILES, write_results
from lava_vle.validation import (check_bool, check_choice, check_int, check_learning_epoch,
                                 check_real, check_threshold)

RULES = ("vle", "exact", "bptt", "hybrid")
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine", "plateau", "plateau-validation", "plateau-frozen")
# the plateau schedules: torch's ReduceLROnPlateau as the GLE reference runs it
PLATEAU_PATIENCE = 2  # epochs without a lower watched loss before the lr halves
PLATEAU_THRESHOLD = 1e-4  # "lower": below the best so far by this fraction of it
PLATEAU_MIN_DECREMENT = 1e-8  # the lr stops halving once a halving changes it by less
#: the loss each plateau schedule watches (a key of the epoch's history row)
PLATEAU_WATCHES = {"plateau": "train_loss", "plateau-validation": "val_loss",
                   "plateau-frozen": "frozen_train_loss"}
#: plateau-frozen: the training sequences whose frozen-weight loss it watches
FROZEN_WATCH_SEQUENCES = 1000
VLE_UPDATE_INTERVAL = 50  # VLE's optimiser cadence when none is given
MAX_SEED = 2**32 - 1
DIVERGING_FACTOR = 1e3  # a batch loss this many times the lowest so far: a warning


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainConfig:
    """Everything a training run depends on (saved with every checkpoint)."""

    task: str
    rule: str = "vle"
    precision: str = "float"
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3
    seed: int = 0
    # optimiser step every N time steps; None: the rule's natural cadence (VLE
    # every 50 steps, BPTT and exact once per sequence); BPTT with N: truncated
    update_interval: Optional[int] = None
    # None: "adam" for the float rules, "sgd" in fixed point (its integer rule,
    # W += eta e r, is plain SGD and the only optimiser it has)
    optimizer: Optional[str] = None
    lr_schedule: str = "constant"
    carry_state: bool = False
    width: Optional[int] = None
    activation: Optional[str] = None
    sigma_delta: float = 0.0
    error_sigma_delta: float = 0.0
    feedback: str = "mirrored"
    learning_epoch: int = 1
    recurrent_error: str = DEFAULT_RECURRENT_ERROR
    limit_train: Optional[int] = None
    limit_test: Optional[int] = None
    dataset_kwargs: dict = field(default_factory=dict)
    device: Optional[str] = None  # None: numpy; else a torch device (VLE, BPTT in float)
    settle_steps: int = 0  # VLE float: silent steps after each training sequence
    hold: int = 1  # simulation steps per input (dt / hold): with_time_resolution
    teach_window: Optional[int] = None  # loss on the last W inputs (None: the task's)
    validation: int = 0  # last N training sequences held out to pick settings on
    clip: Optional[float] = None  # float rules: clip the update's global norm to this
    ema: Optional[float] = None  # float rules: evaluate an average of the weights (decay)
    dtype: str = "float32"  # float rules: the trainer's float precision
    # VLE: the weights the error path reads: "updated" (after the last optimiser
    # step) or "forward" (those of the step's forward pass: the GLE reference's)
    error_weights: str = "updated"
    # float VLE and BPTT: "delayed" (x[t-1] at step t, as the simulator and Lava) or
    # "current" (x[t] at step t, the GLE reference's)
    input_timing: str = "delayed"
    bias_init: str = "zero"  # "zero" or "uniform" (U(+-g/sqrt(fan_in)), torch's nn.Linear)
    # with carry_state: "copy" (evaluations run on a copy of the carried state) or
    # "shared" (training goes on from the test evaluation's state: the GLE reference's)
    evaluation_state: str = "copy"
    bptt_layers: int = 1  # rule "hybrid": BPTT's gradient for populations 1..k, VLE above
    # on a torch device: VLE's update windows per compiled call, BPTT's windows
    # compiled (lava_vle.captured; 0: off)
    capture: int = 0

    def __post_init__(self) -> None:
        for item in fields(self):  # numpy scalars as Python numbers (results.json is JSON)
            value = getattr(self, item.name)
            if isinstance(value, np.generic):
                setattr(self, item.name, value.item())
        check_choice("task", self.task, sorted(DATASETS))
        check_choice("rule", self.rule, RULES)
        check_choice("precision", self.precision, PRECISIONS)
        if self.precision == "fixed" and self.rule != "vle":
            raise ValueError(f"precision='fixed' trains with the local rule only; "
                             f"rule={self.rule!r} needs precision='float'")
        self._check_precision_options()
        if self.update_interval is None and self.rule in ("vle", "hybrid") \
                and self.precision == "float":
            self.update_interval = VLE_UPDATE_INTERVAL
        for name in ("epochs", "batch_size") + (("update_interval",) * (
                self.update_interval is not None)):
            check_int(name, getattr(self, name), 1)
        if self.update_interval is not None and self.rule == "exact":
            raise ValueError(f"update_interval={self.update_interval} applies to rule='vle' "
                             "and 'bptt' (truncated); rule='exact' steps once per sequence")
        check_real("lr", self.lr, 0.0, lo_open=True)
        check_int("seed", self.seed, 0, MAX_SEED, "32-bit unsigned")
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        if self.lr_schedule == "plateau-validation" and not self.validation:
            raise ValueError("lr_schedule='plateau-validation' watches the validation loss: "
                             f"it needs validation >= 1 held-out training sequences (got "
                             f"validation={self.validation})")
        if self.width is not None:
            check_int("width", self.width, 3)
        if self.activation is not None:
            check_choice("activation", self.activation, sorted(ACTIVATIONS))
        for name in ("sigma_delta", "error_sigma_delta"):
            check_threshold(getattr(self, name), name)
        check_choice("feedback", self.feedback, FEEDBACK_MODES)
        for name in ("limit_train", "limit_test"):
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name), 1)
        if not isinstance(self.dataset_kwargs, dict):
            raise TypeError(f"dataset_kwargs={self.dataset_kwargs!r} must be a dict")
        check_dataset_kwargs(self.task, self.dataset_kwargs)
        check_learning_epoch(self.learning_epoch)
        check_int("hold", self.hold, 1, MAX_HOLD, "steps per input")
        if self.teach_window is not None:
            check_int("teach_window", self.teach_window, 1)
        check_int("validation", self.validation, 0)
        if self.clip is not None:
            check_real("clip", self.clip, 0.0, lo_open=True)
            if self.precision != "float":
                raise ValueError("clip applies to the float rules; fixed point's integer "
                                 "rule has no optimiser")
        if self.ema is not None:
            check_real("ema", self.ema, 0.0, 1.0, lo_open=True, hi_open=True)
            if self.precision != "float":
                raise ValueError("ema applies to the float rules (fixed point keeps its "
                                 "integer weights)")
        check_choice("recurrent_error", self.recurrent_error, RECURRENT_ERROR_MODES)
        if self.recurrent_error == "eprop-all" and self.precision != "float":
            raise ValueError("recurrent_error='eprop-all' trains in float only (the fused "
                             "trainer's eligibility traces); fixed point has 'eprop'")
        if self.device is not None:
            if not isinstance(self.device, str):
                raise TypeError(f"device={self.device!r} must be a torch device name or None")
            if self.rule in ("exact", "hybrid") or self.precision != "float":
                raise ValueError(f"device={self.device!r} applies to rule='vle' or 'bptt' in "
                                 f"float (got rule={self.rule!r}, precision={self.precision!r}); "
                                 "the others train with numpy")
        if self.learning_epoch > 1 and self.rule != "vle":
            raise ValueError(f"learning_epoch={self.learning_epoch} applies to rule='vle' only")
        check_rule_options(self.rule, self.precision, self.feedback, self.dtype,
                           self.error_weights, self.input_timing)
        check_choice("bias_init", self.bias_init, BIAS_INITS)
        check_int("bptt_layers", self.bptt_layers, 1)
        if self.capture != 0:  # BPTT runs torch on the CPU by default
            check_capture(self.capture, self.device or ("cpu" if self.rule == "bptt" else None),
                          self.optimizer, self.clip, self.learning_epoch)
        if self.bptt_layers != 1 and self.rule != "hybrid":
            raise ValueError(f"bptt_layers={self.bptt_layers} applies to rule='hybrid' only")

    @classmethod
    def from_recipe(cls, task: str, rule: str = "vle", precision: str = "float",
                    **options: Any) -> "TrainConfig":
        """The configuration ``lava-vle train --task TASK`` builds: the task's
        recipe (:mod:`lava_vle.recipes`) for ``rule`` and ``precision``, then
        ``options``, which win (``TrainConfig(...)`` itself takes the plain
        defaults)."""
        return cls(task=task, rule=rule, precision=precision,
                   **{**recipe(task, rule, precision), **options})

    def _check_precision_options(self) -> None:
        """The options that only some rules and precisions have (each error
        names the option and what it applies to); the optimiser's default."""
        if self.precision == "fixed" and self.update_interval is not None:
            raise ValueError(f"update_interval={self.update_interval} applies to the float "
                             "rules; fixed point's integer rule updates once per learning "
                             "epoch (learning_epoch)")
        if self.optimizer is None:
            self.optimizer = default_optimizer(self.precision)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.precision == "fixed" and self.optimizer != "sgd":
            raise ValueError(f"optimizer={self.optimizer!r} applies to the float rules; fixed "
                             "point trains with its integer rule, plain SGD (W += eta e r): "
                             "leave optimizer out")
        check_bool("carry_state", self.carry_state)
        if self.carry_state and (self.rule not in ("vle", "hybrid") or self.precision != "float"):
            raise ValueError("carry_state applies to rule='vle' (or 'hybrid'), precision='float' "
                             "only")
        check_choice("evaluation_state", self.evaluation_state, EVALUATION_STATES)
        if self.evaluation_state == "shared" and not self.carry_state:
            raise ValueError("evaluation_state='shared' needs carry_state=True (training from "
                             "rest has no state to share with the evaluations)")
        check_int("settle_steps", self.settle_steps, 0)
        if self.settle_steps and (self.rule not in ("vle", "hybrid")
                                  or self.precision != "float"):
            raise ValueError("settle_steps applies to rule='vle' (or 'hybrid'), "
                             "precision='float' only")

    def lr_at(self, epoch: int, watched_losses: Sequence[float] = ()) -> float:
        """Learning rate of epoch ``epoch`` (0-based).

        ``constant``: ``lr``. ``cosine``: ``lr (1 + cos(pi epoch / epochs)) / 2``,
        from ``lr`` towards 0. ``plateau``, ``plateau-validation`` and
        ``plateau-frozen``: ``lr`` halved each time the watched loss of the
        epochs so far (``watched_losses``, see ``PLATEAU_WATCHES``: the online
        training loss, the validation loss, or the loss of the epoch's final
        weights, frozen, on the first ``FROZEN_WATCH_SEQUENCES`` training
        sequences) went more than ``PLATEAU_PATIENCE`` epochs without falling
        below ``(1 - PLATEAU_THRESHOLD)`` times its best. This is torch's
        ``ReduceLROnPlateau`` as the GLE reference runs it, which watches a
        frozen-weight loss of its test set; here the test set stays untouched.
        A function of the history, so a resumed run continues identically.
        """
        if self.lr_schedule == "cosine":
            return self.lr * 0.5 * (1.0 + np.cos(np.pi * epoch / self.epochs))
        lr = self.lr
        if self.lr_schedule in PLATEAU_WATCHES:
            best, bad = np.inf, 0
            for loss in watched_losses[:epoch]:
                lower = loss < best * (1 - PLATEAU_THRESHOLD)
                best, bad = (loss, 0) if lower else (best, bad + 1)
                if bad > PLATEAU_PATIENCE:
                    lr, bad = (lr * 0.5 if lr * 0.5 > PLATEAU_MIN_DECREMENT else lr), 0
        return lr


class Trainer:
    """Trains one network on one dataset with one rule; see the module docstring."""

    def __init__(self, dataset: SequenceDataset, config: TrainConfig,
                 spec: Optional[NetworkSpec] = None):
        """The dataset at ``config.hold`` / ``teach_window``
        (:func:`with_time_resolution`); ``config.validation`` holds out the
        last N training sequences as a validation split (evaluated every
        epoch); then ``config.limit_train`` / ``limit_test`` keep the first N
        samples of the rest."""
        dataset = with_time_resolution(dataset, config.hold, config.teach_window)
        if config.learning_epoch > dataset.steps:
            raise ValueError(f"learning_epoch={config.learning_epoch} must be <= the "
                             f"{dataset.steps} steps of a {dataset.name} sequence: a sequence "
                             "would end before its first weight update")
        n_fit = len(dataset.x_train) - config.validation
        if n_fit < 1:
            raise ValueError(f"validation={config.validation} must be smaller than the "
                             f"{len(dataset.x_train)} training sequences of {dataset.name}")
        self.validation = None if not config.validation else replace(
            dataset, x_train=dataset.x_train[n_fit:], y_train=dataset.y_train[n_fit:],
            x_test=dataset.x_train[n_fit:], y_test=dataset.y_train[n_fit:])
        self.dataset = replace(dataset, x_train=dataset.x_train[:n_fit][:config.limit_train],
                               y_train=dataset.y_train[:n_fit][:config.limit_train],
                               x_test=dataset.x_test[:config.limit_test],
                               y_test=dataset.y_test[:config.limit_test])
        self.config = config
        self.spec = spec or replace(
            default_network(dataset, config.precision, config.feedback, config.activation,
                            config.sigma_delta, config.error_sigma_delta, config.width),
            learning_epoch=config.learning_epoch, recurrent_error=config.recurrent_error)
        if (self.spec.n_in, self.spec.n_out) != (dataset.n_in, dataset.n_out):
            kind = "classes" if dataset.task == "classification" else "outputs"
            raise ValueError(f"spec has {self.spec.n_in} inputs and {self.spec.n_out} outputs; "
                             f"{dataset.name} has {dataset.n_in} input channels and "
                             f"{dataset.n_out} {kind}")
        self.rule = make_rule(config.rule, config.precision, self.spec,
                              init_params(self.spec, seed=config.seed,
                                          bias_init=config.bias_init),
                              dataset.loss_weight, config.lr, config.optimizer,
                              config.update_interval, config.carry_state, config.seed,
                              config.device, config.settle_steps, config.clip, config.dtype,
                              config.error_weights, config.input_timing, config.bptt_layers,
                              config.capture, config.evaluation_state)
        self.epoch = 0
        self.lowest_loss = np.inf  # the lowest batch loss so far (divergence warnings)
        self.history: list[dict] = []
        self.ema: Optional[list[np.ndarray]] = None  # the averaged weights (config.ema)

    def lr(self) -> float:
        """The learning rate of the current epoch."""
        watched = PLATEAU_WATCHES.get(self.config.lr_schedule, "train_loss")
        return self.config.lr_at(self.epoch, [row[watched] for row in self.history])

    # --- data -------------------------------------------------------------------
    def batches(self, epoch: int):
        """Sample indices of each batch of epoch ``epoch`` (shuffled by (seed, epoch))."""
        n = len(self.dataset.x_train)
        order = np.random.default_rng([self.config.seed, epoch]).permutation(n)
        for start in range(0, n, self.config.batch_size):
            yield order[start:start + self.config.batch_size]

    def split(self, split: str) -> tuple[SequenceDataset, str]:
        """The dataset and its split that hold ``split`` (``train``, ``test``,
        or ``val``: the held-out training sequences)."""
        if split == "val":
            if self.validation is None:
                raise ValueError("no validation split: set validation= to hold out sequences")
            return self.validation, "test"
        return self.dataset, split

    def sequences(self, split: str, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets of samples ``index``, time-major (T, B, n)."""
        ds, split = self.split(split)
        x = getattr(ds, f"x_{split}")[index]
        y = one_hot_targets(ds, split, index)
        return np.ascontiguousarray(x.transpose(1, 0, 2)), np.ascontiguousarray(y.transpose(1, 0, 2))

    # --- evaluation -------------------------------------------------------------------
    def metric(self, outputs: np.ndarray, split: str, index: np.ndarray) -> float:
        """Accuracy (classification, %) or NRMSE (regression) of time-major outputs."""
        ds, split = self.split(split)
        if ds.task == "classification":
            scores = np.einsum("t,tbk->bk", ds.readout_weight, outputs)
            labels = getattr(ds, f"y_{split}")[index]
            return float(100.0 * np.mean(scores.argmax(-1) == labels))
        target = getattr(ds, f"y_{split}")[index]
        return float(nrmse(outputs.transpose(1, 0, 2), target, ds.readout_weight))

    def average_weights(self) -> None:
        """``ema <- d ema + (1 - d) W`` after a batch (Polyak averaging, decay ``d``)."""
        current = [to_numpy(a) for a in self.rule.params.arrays()]
        if self.ema is None:
            self.ema = [a.astype(np.float64) for a in current]
            return
        for average, value in zip(self.ema, current):
            average *= self.config.ema
            average += (1.0 - self.config.ema) * value

    @contextlib.contextmanager
    def evaluated_weights(self):
        """The weights evaluations use: the averaged ones with ``config.ema``."""
        if self.ema is None:
            yield
            return
        arrays = self.rule.params.arrays()
        live = [to_numpy(a).copy() for a in arrays]
        for dst, src in zip(arrays, self.ema):
            copy_into(dst, src.astype(live[0].dtype))
        try:
            yield
        finally:
            for dst, src in zip(arrays, live):
                copy_into(dst, src)

    def evaluate(self, split: str = "test", batch_size: int = 500,
                 limit: Optional[int] = None, keep_state: bool = False) -> dict:
        """Loss per sample, metric and outputs (T, N, n_out) on a whole split,
        or on its first ``limit`` sequences (with the averaged weights when
        ``config.ema`` is set). ``keep_state`` (``evaluation_state="shared"``):
        the split runs as one batch, and training goes on from its final
        state, as the GLE reference's does after its test run."""
        with self.evaluated_weights():
            return self._evaluate(split, batch_size, limit, keep_state)

    def _evaluate(self, split: str, batch_size: int, limit: Optional[int],
                  keep_state: bool = False) -> dict:
        ds, name = self.split(split)
        n = len(getattr(ds, f"x_{name}"))
        n = n if limit is None else min(n, limit)
        batch_size = n if keep_state else batch_size
        kept = {"keep_state": True} if keep_state else {}
        outputs, losses = [], 0.0
        for start in range(0, n, batch_size):
            index = np.arange(start, min(n, start + batch_size))
            x, y = self.sequences(split, index)
            out = self.rule.forward(x, **kept)
            losses += float(self.rule.loss(out.astype(np.float64), y))
            outputs.append(out)
        outputs = np.concatenate(outputs, axis=1)
        return {"loss": losses / n, "metric": self.metric(outputs, split, np.arange(n)),
                "outputs": outputs}

    # --- epochs, checkpoints ------------------------------------------------------------
    def train_epoch(self, progress: bool = True) -> dict:
        """One epoch of ``rule.batch`` over shuffled batches, then a test evaluation."""
        from lava_vle.progress import progress_bar

        self.rule.lr = self.lr()
        start, seen, total_loss, metrics = time.perf_counter(), 0, 0.0, []
        steps_before, batches, diverging = self.rule.optimizer_steps, 0, False
        bar = progress_bar(list(self.batches(self.epoch)), unit="batch", leave=False,
                           desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
                           disable=None if progress else True)  # None: only on a terminal
        for index in bar:
            if not all(np.all(np.isfinite(w)) for w in self.rule.float_params().weights):
                raise self.diverged("the weights hold NaN or inf", len(metrics) + 1)
            x, y = self.sequences("train", index)
            out = self.rule.batch(x, y)
            loss = float(self.rule.loss(np.asarray(out, np.float64), y)) / len(index)
            if not np.isfinite(loss) or not np.all(np.isfinite(out)):
                raise self.diverged(f"loss is {loss}", len(metrics) + 1)
            self.lowest_loss = min(self.lowest_loss, loss)
            diverging |= loss > DIVERGING_FACTOR * self.lowest_loss
            total_loss += loss * len(index)
            seen += len(index)
            metrics.append(self.metric(out, "train", index) * len(index))
            batches += 1
            if self.config.ema is not None:
                self.average_weights()
            bar.set_postfix(loss=f"{loss:.4f}")
        wall = time.perf_counter() - start
        test = self.evaluate("test", keep_state=self.config.evaluation_state == "shared")
        self.epoch += 1
        steps = self.rule.optimizer_steps - steps_before
        row = {"epoch": self.epoch, "train_loss": total_loss / seen,
               "train_metric": sum(metrics) / seen, "test_loss": test["loss"],
               "test_metric": test["metric"], "lr": self.rule.lr, "train_wall_s": wall,
               "samples_per_s": seen / wall, "optimizer_steps": steps,
               # every sequence of a batch takes the batch's steps
               "optimizer_steps_per_sequence": steps / batches, "diverging": bool(diverging)}
        if self.validation is not None:
            val = self.evaluate("val")
            row.update(val_loss=val["loss"], val_metric=val["metric"])
        if self.config.lr_schedule == "plateau-frozen":
            row["frozen_train_loss"] = self.evaluate("train", limit=FROZEN_WATCH_SEQUENCES)["loss"]
        self.history.append(row)
        return row

    def diverged(self, what: str, batch: int) -> TrainingDiverged:
        return TrainingDiverged(
            f"{what} at epoch {self.epoch + 1}, batch {batch}: lower the learning rate "
            f"(lr={self.config.lr}); the checkpoint of the last completed epoch "
            f"({self.epoch}) is kept")

    def state_dict(self) -> dict:
        """Everything a resume needs: nested dicts and lists of numpy arrays,
        numbers, strings and None (the rule's part from ``rule.state_dict``)."""
        return {"config": asdict(self.config), "epoch": self.epoch, "history": self.history,
                "ema": self.ema, "data_fingerprint": self.data_fingerprint(),
                **self.rule.state_dict()}

    def data_fingerprint(self) -> str:
        """SHA-256 of the sequences and labels this trainer learns and is
        evaluated on (after hold, teaching window, validation and limits)."""
        if getattr(self, "_fingerprint", None) is None:
            self._fingerprint = self._hash_data()
        return self._fingerprint

    def _hash_data(self) -> str:
        digest = hashlib.sha256()
        for ds in (self.dataset, self.validation):
            for array in (() if ds is None else (ds.x_train, ds.y_train, ds.x_test, ds.y_test,
                                                   ds.loss_weight)):
                array = np.ascontiguousarray(array)
                digest.update(f"{array.dtype.str}{array.shape}".encode())
                digest.update(array.tobytes())
        return digest.hexdigest()

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state``; raises CheckpointError naming every setting
        that differs from this trainer's (``epochs`` may grow)."""
        saved = saved_config(state["config"])
        current = asdict(self.config)
        # epochs may grow, except where the schedule is a function of them
        free = () if self.config.lr_schedule == "cosine" else ("epochs",)
        differing = [f"{key}: {saved[key]!r} in the checkpoint, {current[key]!r} now"
                     + (" (the cosine schedule decays over all epochs)" * (key == "epochs"))
                     for key in current if key not in free and saved.get(key) != current[key]]
        unknown = sorted(set(saved) - set(current))
        if differing or unknown:
            raise CheckpointError(
                "the checkpoint was written with other settings: "
                + "; ".join(differing + [f"{key}: unknown setting" for key in unknown])
                + " (rerun with the checkpoint's settings, or start again with --overwrite)")
        fingerprint = state.get("data_fingerprint")
        if fingerprint is not None and fingerprint != self.data_fingerprint():
            raise CheckpointError(
                "the checkpoint was trained on other data (its fingerprint, a SHA-256 of the "
                "training, validation and test sequences and labels, differs): resume on the "
                "same data, or start again with --overwrite")
        self.epoch, self.history = state["epoch"], state["history"]
        self.ema = state.get("ema")
        self.rule.load_state_dict(state)

    def save_checkpoint(self, out: Path) -> Path:
        """Write the checkpoint of the epochs so far (:func:`write_checkpoint`);
        return the manifest's path."""
        return write_checkpoint(Path(out), self.state_dict(), self.epoch)


def _named_as_run_files(out: Path) -> list[Path]:
    """What in ``out`` bears a name a run writes (checkpoints, results), whatever it is."""
    return sorted(path for path in (out.iterdir() if out.is_dir() else ())
                  if is_checkpoint_name(path.name) or path.name in RESULT_FILES)


def run_files(out: Path) -> list[Path]:
    """The files of a run in ``out``, by exact name: what checkpoints and
    results write (nothing else in the folder is a run's)."""
    return [path for path in _named_as_run_files(out)
            if path.is_file() and not path.is_symlink()]


def check_run_names(out: Path) -> None:
    """Raise ``FileExistsError`` if a name a run writes in ``out`` is taken by
    something that is not a regular file (a folder, a link): the run would fail
    at its first checkpoint or at the end."""
    taken = [path for path in _named_as_run_files(out)
             if path.is_symlink() or not path.is_file()]
    if taken:
        raise FileExistsError(f"{', '.join(str(p) for p in taken)}: not a file, where a "
                              "run writes one of its files: move it away or pass another "
                              "--out (nothing was removed)")


def prepare_run_folder(out: Path, resume: bool = False, overwrite: bool = False) -> None:
    """Check before any training that ``out`` can take a run: writable, no
    name a run writes taken by a folder or link, and holding no checkpoint
    unless resuming it or overwriting. ``overwrite`` removes the files a run
    writes, by exact name (:func:`run_files`), and nothing else; every check
    runs before the first removal. Files of a checkpoint that a kill left
    unfinished (no manifest) do not count."""
    committed = [path for path in (out / CHECKPOINT, out / LEGACY_CHECKPOINT) if path.exists()]
    if resume and overwrite:
        raise ValueError("--resume continues a checkpoint and --overwrite discards it: "
                         "choose one")
    if resume and not committed:
        raise FileNotFoundError(f"--resume: no checkpoint in {out}")
    if committed and not (resume or overwrite):
        raise FileExistsError(f"{out} holds the checkpoint of an earlier run: pass --resume to "
                              "continue it, --overwrite to start again, or another --out")
    check_run_names(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):  # a name of its own: no file of the user's
            pass
    except OSError as err:
        raise OSError(f"--out {out} is not a writable folder: {err.strerror or err}") from None
    if overwrite:
        for path in run_files(out):
            path.unlink()


def saved_config(config: dict) -> dict:
    """A configuration as a checkpoint or results.json saved it, completed with
    the defaults of the settings added to :class:`TrainConfig` since it was
    written (a run saved before a setting existed ran at its default)."""
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    saved = {"dataset_kwargs": {}, **defaults, **config}
    if saved["optimizer"] is None or saved.get("precision") == "fixed":
        # fixed-point runs saved before their optimiser was recorded as it ran
        # (they said "adam"; the integer rule is SGD)
        saved["optimizer"] = default_optimizer(saved.get("precision", "float"))
    return saved


def default_optimizer(precision: str) -> str:
    """The optimiser of a run that names none: Adam for the float rules, the
    integer rule's SGD in fixed point."""
    return "sgd" if precision == "fixed" else "adam"


def fit(dataset: SequenceDataset, config: TrainConfig, out: Path, resume: bool = False,
        progress: bool = True, log=print, overwrite: bool = False) -> dict:
    """Train for ``config.epochs`` epochs with a checkpoint each epoch; write results.

    ``resume``: continue the checkpoint in ``out`` (its settings must equal
    ``config`` but for more ``epochs``); ``overwrite``: discard it. Returns
    the results dict also written to ``out/results.json``; plots go to
    ``out/learning_curves.png`` and ``out/outputs.png``.
    """
    out = Path(out)
    trainer = Trainer(dataset, config)  # settings and data checked before any file is touched
    prepare_run_folder(out, resume, overwrite)
    if resume:
        trainer.load_state_dict(read_checkpoint(out))
        if trainer.epoch > config.epochs:
            raise CheckpointError(f"{out / CHECKPOINT}: {trainer.epoch} epochs are done, more "
                                  f"than epochs={config.epochs}: pass --epochs "
                                  f"{trainer.epoch} or more")
        log(f"resumed from {out / CHECKPOINT} after epoch {trainer.epoch}")
    metric_name = "accuracy %" if dataset.task == "classification" else "NRMSE"
    while trainer.epoch < config.epochs:
        row = trainer.train_epoch(progress)
        trainer.save_checkpoint(out)
        log(f"epoch {row['epoch']:>3}: train loss {row['train_loss']:.4f}, "
            f"test {metric_name} {row['test_metric']:.2f}, "
            f"{row['samples_per_s']:.0f} samples/s")
        if row["diverging"]:
            log(f"warning: epoch {row['epoch']}: a batch loss grew past {DIVERGING_FACTOR:g}x the "
                f"lowest so far ({trainer.lowest_loss:.3g}): the run is diverging; lower the "
                f"learning rate (lr={config.lr:g})")
    return write_results(trainer, out)
