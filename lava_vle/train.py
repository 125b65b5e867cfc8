"""Training: VLE local (online), VLE exact (adjoint) and BPTT on the same network.

:class:`Trainer` runs epochs of one rule (:mod:`lava_vle.rules`) on one
dataset and the benchmark network for it (:mod:`lava_vle.networks`):
shuffling, per-epoch learning-rate schedule, evaluation, the NaN stop and
checkpoints. Every epoch ends with a checkpoint (atomic write); ``resume``
continues from it to the same result as an uninterrupted run (the shuffling
of epoch ``e`` is drawn from ``(seed, e)``). :func:`fit` is the whole run,
ending with :func:`lava_vle.results.write_results`.
"""
from __future__ import annotations

import os
import pickle
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.datasets import SequenceDataset, nrmse, one_hot_targets
from lava_vle.network import RECURRENT_ERROR_MODES, NetworkSpec, init_params
from lava_vle.networks import default_network
from lava_vle.results import write_results
from lava_vle.rules import make_rule
from lava_vle.validation import check_learning_epoch

RULES = ("vle", "exact", "bptt")
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine", "plateau")
PLATEAU_PATIENCE = 2  # epochs without a lower train loss before the lr halves
PRECISIONS = ("float", "fixed")
CHECKPOINT = "checkpoint.pkl"


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
    update_interval: int = 50
    optimizer: str = "adam"
    lr_schedule: str = "constant"
    carry_state: bool = False
    width: Optional[int] = None
    activation: Optional[str] = None
    sigma_delta: float = 0.0
    error_sigma_delta: float = 0.0
    feedback: str = "mirrored"
    learning_epoch: int = 1
    recurrent_error: str = "none"
    limit_train: Optional[int] = None
    limit_test: Optional[int] = None
    dataset_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"rule={self.rule!r} must be one of {RULES}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision={self.precision!r} must be one of {PRECISIONS}")
        if self.precision == "fixed" and self.rule != "vle":
            raise ValueError(f"precision='fixed' trains with the local rule only; "
                             f"rule={self.rule!r} needs precision='float'")
        for name in ("epochs", "batch_size", "update_interval"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must be >= 1")
        if not self.lr > 0:
            raise ValueError(f"lr={self.lr} must be > 0")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r} must be one of {OPTIMIZERS}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule={self.lr_schedule!r} must be one of {LR_SCHEDULES}")
        if self.width is not None and int(self.width) < 3:
            raise ValueError(f"width={self.width} must be >= 3 (LE and two LI groups)")
        if self.carry_state and (self.rule != "vle" or self.precision != "float"):
            raise ValueError("carry_state applies to rule='vle', precision='float' only")
        check_learning_epoch(self.learning_epoch)
        if self.recurrent_error not in RECURRENT_ERROR_MODES:
            raise ValueError(f"recurrent_error={self.recurrent_error!r} must be one of "
                             f"{RECURRENT_ERROR_MODES}")
        if self.recurrent_error == "eprop" and self.precision != "float":
            raise ValueError("recurrent_error='eprop' trains in float only "
                             "(the fused trainer's eligibility traces)")
        if self.learning_epoch > 1 and self.rule != "vle":
            raise ValueError(f"learning_epoch={self.learning_epoch} applies to rule='vle' only")

    def lr_at(self, epoch: int, train_losses: Sequence[float] = ()) -> float:
        """Learning rate of epoch ``epoch`` (0-based).

        ``constant``: ``lr``. ``cosine``: ``lr (1 + cos(pi epoch / epochs)) / 2``,
        from ``lr`` towards 0. ``plateau``: ``lr`` halved each time the train
        loss of the epochs so far (``train_losses``) went more than
        ``PLATEAU_PATIENCE`` epochs without a new minimum (the GLE reference's
        ReduceLROnPlateau, on the train loss instead of the test loss); a
        function of the history, so a resumed run continues identically.
        """
        if self.lr_schedule == "cosine":
            return self.lr * 0.5 * (1.0 + np.cos(np.pi * epoch / self.epochs))
        lr = self.lr
        if self.lr_schedule == "plateau":
            best, bad = np.inf, 0
            for loss in train_losses[:epoch]:
                best, bad = (loss, 0) if loss < best else (best, bad + 1)
                if bad > PLATEAU_PATIENCE:
                    lr, bad = lr * 0.5, 0
        return lr


class Trainer:
    """Trains one network on one dataset with one rule; see the module docstring."""

    def __init__(self, dataset: SequenceDataset, config: TrainConfig,
                 spec: Optional[NetworkSpec] = None):
        """``config.limit_train`` / ``limit_test`` keep the first N samples."""
        self.dataset = replace(dataset, x_train=dataset.x_train[:config.limit_train],
                               y_train=dataset.y_train[:config.limit_train],
                               x_test=dataset.x_test[:config.limit_test],
                               y_test=dataset.y_test[:config.limit_test])
        self.config = config
        self.spec = spec or replace(
            default_network(dataset, config.precision, config.feedback, config.activation,
                            config.sigma_delta, config.error_sigma_delta, config.width),
            learning_epoch=config.learning_epoch, recurrent_error=config.recurrent_error)
        self.rule = make_rule(config.rule, config.precision, self.spec,
                              init_params(self.spec, seed=config.seed), dataset.loss_weight,
                              config.lr, config.optimizer, config.update_interval,
                              config.carry_state, config.seed)
        self.epoch = 0
        self.history: list[dict] = []

    def lr(self) -> float:
        """The learning rate of the current epoch."""
        return self.config.lr_at(self.epoch, [row["train_loss"] for row in self.history])

    # --- data -------------------------------------------------------------------
    def batches(self, epoch: int):
        """Sample indices of each batch of epoch ``epoch`` (shuffled by (seed, epoch))."""
        n = len(self.dataset.x_train)
        order = np.random.default_rng([self.config.seed, epoch]).permutation(n)
        for start in range(0, n, self.config.batch_size):
            yield order[start:start + self.config.batch_size]

    def sequences(self, split: str, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets of samples ``index``, time-major (T, B, n)."""
        x = getattr(self.dataset, f"x_{split}")[index]
        y = one_hot_targets(self.dataset, split, index)
        return np.ascontiguousarray(x.transpose(1, 0, 2)), np.ascontiguousarray(y.transpose(1, 0, 2))

    # --- evaluation -------------------------------------------------------------------
    def metric(self, outputs: np.ndarray, split: str, index: np.ndarray) -> float:
        """Accuracy (classification, %) or NRMSE (regression) of time-major outputs."""
        ds = self.dataset
        if ds.task == "classification":
            scores = np.einsum("t,tbk->bk", ds.readout_weight, outputs)
            labels = getattr(ds, f"y_{split}")[index]
            return float(100.0 * np.mean(scores.argmax(-1) == labels))
        target = getattr(ds, f"y_{split}")[index]
        return float(nrmse(outputs.transpose(1, 0, 2), target, ds.readout_weight))

    def evaluate(self, split: str = "test", batch_size: int = 500) -> dict:
        """Loss per sample, metric and outputs (T, N, n_out) on a whole split."""
        n = len(getattr(self.dataset, f"x_{split}"))
        outputs, losses = [], 0.0
        for start in range(0, n, batch_size):
            index = np.arange(start, min(n, start + batch_size))
            x, y = self.sequences(split, index)
            out = self.rule.forward(x)
            losses += float(self.rule.loss(out.astype(np.float64), y))
            outputs.append(out)
        outputs = np.concatenate(outputs, axis=1)
        return {"loss": losses / n, "metric": self.metric(outputs, split, np.arange(n)),
                "outputs": outputs}

    # --- epochs, checkpoints ------------------------------------------------------------
    def train_epoch(self, progress: bool = True) -> dict:
        """One epoch of ``rule.batch`` over shuffled batches, then a test evaluation."""
        from tqdm import tqdm

        self.rule.lr = self.lr()
        start, seen, total_loss, metrics = time.perf_counter(), 0, 0.0, []
        bar = tqdm(list(self.batches(self.epoch)), unit="batch", leave=False,
                   desc=f"epoch {self.epoch + 1}/{self.config.epochs}", disable=not progress)
        for index in bar:
            x, y = self.sequences("train", index)
            out = self.rule.batch(x, y)
            loss = float(self.rule.loss(np.asarray(out, np.float64), y)) / len(index)
            if not np.isfinite(loss) or not np.all(np.isfinite(out)):
                raise TrainingDiverged(
                    f"loss is {loss} at epoch {self.epoch + 1}, batch {len(metrics) + 1}: "
                    f"lower the learning rate (lr={self.config.lr}); the checkpoint of the "
                    f"last completed epoch ({self.epoch}) is kept")
            total_loss += loss * len(index)
            seen += len(index)
            metrics.append(self.metric(out, "train", index) * len(index))
            bar.set_postfix(loss=f"{loss:.4f}")
        wall = time.perf_counter() - start
        test = self.evaluate("test")
        self.epoch += 1
        row = {"epoch": self.epoch, "train_loss": total_loss / seen,
               "train_metric": sum(metrics) / seen, "test_loss": test["loss"],
               "test_metric": test["metric"], "train_wall_s": wall,
               "samples_per_s": seen / wall}
        self.history.append(row)
        return row

    def state_dict(self) -> dict:
        return {"config": asdict(self.config), "epoch": self.epoch, "history": self.history,
                **self.rule.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        saved = TrainConfig(**state["config"])
        if asdict(saved) | {"epochs": 0} != asdict(self.config) | {"epochs": 0}:
            raise ValueError("the checkpoint was written by a run with another configuration: "
                             f"{state['config']}")
        self.epoch, self.history = state["epoch"], state["history"]
        self.rule.load_state_dict(state)

    def save_checkpoint(self, out: Path) -> Path:
        """Write ``checkpoint.pkl`` atomically (a crash never leaves half a file)."""
        out.mkdir(parents=True, exist_ok=True)
        path, tmp = out / CHECKPOINT, out / (CHECKPOINT + ".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self.state_dict(), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path


def fit(dataset: SequenceDataset, config: TrainConfig, out: Path, resume: bool = False,
        progress: bool = True, log=print) -> dict:
    """Train for ``config.epochs`` epochs with a checkpoint each epoch; write results.

    Returns the results dict also written to ``out/results.json``; plots go
    to ``out/learning_curves.png`` and ``out/outputs.png``.
    """
    out = Path(out)
    trainer = Trainer(dataset, config)
    checkpoint = out / CHECKPOINT
    if resume:
        if not checkpoint.exists():
            raise FileNotFoundError(f"--resume: no checkpoint at {checkpoint}")
        with open(checkpoint, "rb") as fh:
            trainer.load_state_dict(pickle.load(fh))
        log(f"resumed from {checkpoint} after epoch {trainer.epoch}")
    elif checkpoint.exists():
        raise FileExistsError(f"{checkpoint} exists: pass --resume to continue it or choose "
                              "another --out")
    metric_name = "accuracy %" if dataset.task == "classification" else "NRMSE"
    while trainer.epoch < config.epochs:
        row = trainer.train_epoch(progress)
        trainer.save_checkpoint(out)
        log(f"epoch {row['epoch']:>3}: train loss {row['train_loss']:.4f}, "
            f"test {metric_name} {row['test_metric']:.2f}, "
            f"{row['samples_per_s']:.0f} samples/s")
    return write_results(trainer, out)
