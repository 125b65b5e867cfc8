"""Training: VLE local (online), VLE exact (adjoint) and BPTT on the same network.

All three rules train the same :class:`~lava_vle.network.NetworkSpec` from
the same initial weights with the same numpy optimiser (:class:`~lava_vle.optim.Adam`
or :class:`~lava_vle.optim.SGD`); they differ only in the update direction:

- ``vle`` / float: the local rule, online: every ``update_interval`` time
  steps (1: every step) the optimiser receives the accumulated
  ``-sum_b e_breve_post r_pre^T / B``; the fused stacked simulator runs it
  (float32). Adam on every step (the GLE reference's recipe) needs the
  network state carried across batches (``carry_state``) and a decaying
  learning rate (``lr_schedule``) to be stable; then it trains MNIST-1D
  best (see README).
- ``vle`` / fixed: the bit-exact fixed-point simulator with the integer
  local rule (plain SGD with stochastic rounding, applied every step), i.e.
  what the fixed_pt Lava processes do. The rule sums the updates of the
  batch's sequences, so ``eta = lr / batch_size``: the same step as float
  ``--optimizer sgd --update-interval 1`` with the same ``lr``.
- ``exact``: the adjoint gradient of each batch's sequence loss (float64).
- ``bptt``: torch autograd through the same fused step (float32).

Every epoch ends with a checkpoint (atomic write); ``resume`` continues from
it to the same result as an uninterrupted run (the shuffling of epoch ``e``
is drawn from ``(seed, e)``).
"""
from __future__ import annotations

import json
import os
import pickle
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.datasets import SequenceDataset, nrmse, one_hot_targets
from lava_vle.fused import StackedNetwork, StackedParams
from lava_vle.losses import sequence_loss
from lava_vle.network import FixedParams, FloatParams, LayerSpec, NetworkSpec, init_params
from lava_vle.optim import SGD, Adam
from lava_vle.simulator import Simulator
from lava_vle.synops import dense_synaptic_ops

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


# ---------------------------------------------------------------------------
# Networks of the benchmarks
# ---------------------------------------------------------------------------
def mnist1d_reference_layer(dt: float, activation: str, width: int = 53) -> LayerSpec:
    """The GLE reference's hidden layer. 53 units: 17 LE (tau_m = tau_r = 1.2),
    18 LI (tau_m 0.6, tau_r = dt), 18 LI (1.2, dt); other widths keep the
    proportions (LE = round(width / 3.1), half the LI units at tau_m 0.6)."""
    fast = round(width / 3.1)
    slow = width - fast
    tau_m = np.array([1.2] * fast + [0.6] * (slow // 2) + [1.2] * (slow - slow // 2))
    tau_r = np.array([1.2] * fast + [dt] * slow)
    return LayerSpec(width, tau_m, tau_r, activation)


def memory_layer(size: int, dt: float, tau_max: float, activation: str,
                 recurrent: bool = True, max_gain: float = 8.0) -> LayerSpec:
    """A bank of low-pass memories: tau_m log-spaced from 2 dt to ``tau_max``,
    ``tau_r = max(dt, tau_m / max_gain)``.

    Mostly-LI units remember their input over tau_m. ``tau_r`` is not
    simply ``dt``: the error dendrite amplifies by ``tau_m / tau_r`` (noise
    grows with it, and fixed point allows < 16).
    """
    tau_m = np.geomspace(2 * dt, tau_max, size)
    return LayerSpec(size, tau_m=tau_m, tau_r=np.maximum(dt, tau_m / max_gain),
                     activation=activation, recurrent=recurrent)


def default_network(dataset: SequenceDataset, precision: str = "float",
                    feedback: str = "mirrored", activation: Optional[str] = None,
                    sigma_delta: float = 0.0, error_sigma_delta: float = 0.0,
                    width: Optional[int] = None) -> NetworkSpec:
    """The network each benchmark trains (hidden ``activation``; default tanh,
    hard_tanh in fixed point; sigma-delta thresholds for the rates and the
    errors of non-spiking hidden layers; ``width``: hidden layer width of the
    MNIST-1D network, default 53).

    Recurrent layers use ``recurrent_error="none"``: the GLE error loop
    through ``W_rec^T`` is unstable for LI units (``tau_m/tau_r`` gain, see
    README) and did not train in our tests.
    """
    act = activation or ("hard_tanh" if precision == "fixed" else "tanh")
    n_in, n_out, dt, steps = dataset.x_train.shape[-1], dataset.n_out, dataset.dt, \
        dataset.x_train.shape[1]
    loss = "ce" if dataset.task == "classification" else "mse"
    out = LayerSpec(n_out, tau_m=dt, tau_r=dt, activation="linear")
    name = dataset.name
    if name == "mnist1d":  # first layer linear, as the GLE reference's input layer
        width = 53 if width is None else width
        layers = (mnist1d_reference_layer(dt, "linear", width),) + tuple(
            mnist1d_reference_layer(dt, act, width) for _ in range(5))
        out = LayerSpec(n_out, tau_m=1.2, tau_r=1.2, activation="linear")
    elif name == "delayed-xor":
        # spiking memory bank (no recurrence: its local update destabilised the
        # memory) and a spiking LE layer; sparse input spikes need init gains
        memory = memory_layer(64, dt, steps * dt, act, recurrent=False)
        layers = (replace(memory, spiking=True, init_gain=30.0),
                  LayerSpec(32, tau_m=dt, tau_r=dt, activation=act, spiking=True, init_gain=3.0))
    elif name in ("smnist", "fashion-smnist", "smnist-row", "fashion-smnist-row", "pattern"):
        memory = memory_layer(128 if "smnist" in name else 64, dt, steps * dt, act)
        layers = (memory, LayerSpec(32, tau_m=dt, tau_r=dt, activation=act))
    else:  # digits and other small smoke tasks: one feed-forward layer
        layers = (LayerSpec(32, tau_m=dt, tau_r=dt, activation=act),)
    if width is not None and name != "mnist1d":
        raise ValueError(f"width applies to the mnist1d network only, not {name!r}")
    layers = tuple(layer if layer.spiking else
                   replace(layer, sigma_delta=sigma_delta, error_sigma_delta=error_sigma_delta)
                   for layer in layers)
    return NetworkSpec(n_in=n_in, layers=layers + (out,), dt=dt, loss=loss, feedback=feedback,
                       recurrent_error="none")


# ---------------------------------------------------------------------------
# The trainer
# ---------------------------------------------------------------------------
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
        self.spec = spec or default_network(dataset, config.precision, config.feedback,
                                            config.activation, config.sigma_delta,
                                            config.error_sigma_delta, config.width)
        self.stacked = StackedNetwork(self.spec, np.float32)
        params = init_params(self.spec, seed=config.seed)
        self.fixed = config.precision == "fixed"
        if self.fixed:
            self.params: Any = FixedParams.from_float(self.spec, params)
            self.optimizer = None
        else:
            self.params = self.stacked.pack(params)
            optimizer = Adam if config.optimizer == "adam" else SGD
            self.optimizer = optimizer(self.params.arrays(), lr=config.lr)
        self.init_params = params
        self.epoch = 0
        self.steps_done = 0
        self.history: list[dict] = []
        self.carried: Optional[Any] = None  # final state of the last batch (carry_state)

    def lr(self) -> float:
        """The learning rate (eta in fixed point) of the current epoch."""
        return self.config.lr_at(self.epoch, [row["train_loss"] for row in self.history])

    # --- data -------------------------------------------------------------------
    def _batches(self, epoch: int):
        n = len(self.dataset.x_train)
        order = np.random.default_rng([self.config.seed, epoch]).permutation(n)
        for start in range(0, n, self.config.batch_size):
            yield order[start:start + self.config.batch_size]

    def _sequences(self, split: str, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets of samples ``index``, time-major (T, B, n)."""
        x = getattr(self.dataset, f"x_{split}")[index]
        y = one_hot_targets(self.dataset, split, index)
        return np.ascontiguousarray(x.transpose(1, 0, 2)), np.ascontiguousarray(y.transpose(1, 0, 2))

    # --- one batch per rule -------------------------------------------------------
    def _vle_float(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Online local rule: an optimiser step every ``update_interval`` steps."""
        net, p = self.stacked, self.params
        steps, batch, n_in = x.shape
        weight = self.dataset.loss_weight.astype(np.float32)
        state = net.initial_state(batch)
        if self.carried is not None:  # run on from the last batch (carry_state)
            state = net.take_batch(self.carried, batch, state)
        prev = np.zeros((batch, net.width), np.float32)  # padded input, one step at a time
        grads = [np.zeros_like(a) for a in p.arrays()]
        outputs = np.empty((steps, batch, self.spec.n_out), np.float32)
        for t in range(steps):
            old_rates = state.r
            state, rates_pre = net.step(state, p, prev)  # copies prev into rates_pre
            prev[:, :n_in] = x[t]
            state = net.output_error(state, y[t], weight[t])
            outputs[t] = net.outputs(state)
            trace_t = state.e_breve.swapaxes(1, 2)
            grads[0] -= trace_t @ rates_pre
            grads[1] -= state.e_breve.sum(axis=1, keepdims=True)
            if p.R is not None:
                grads[2] -= (trace_t @ old_rates) * net.recurrent_mask
            if (t + 1) % self.config.update_interval == 0 or t == steps - 1:
                self.optimizer.step([g / batch for g in grads])
                for g in grads:
                    g[...] = 0.0
        if self.config.carry_state:
            self.carried = state
        return outputs

    def _vle_fixed(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Integer local rule; the hash counter runs on across batches and epochs."""
        sim = Simulator(self.spec, self.params, "fixed", seed=self.config.seed)
        # the integer rule sums the batch's updates: eta = lr / batch matches the
        # float rules' batch-mean update (same lr, same step)
        out = sim.run(x, y, loss_weight=self.dataset.loss_weight, plasticity="apply",
                      eta=self.lr() / x.shape[1], first_step=self.steps_done + 1).outputs
        self.params = sim.params
        self.steps_done += x.shape[0]
        return out

    def _exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from lava_vle.adjoint import exact_gradients

        float_params = self.float_params()
        grads = exact_gradients(self.spec, float_params, x, y, self.dataset.loss_weight)
        self._step_from_float_grads(grads.weights, grads.biases, x.shape[1])
        return self._forward_numpy(x)

    def _bptt(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import torch

        net = self.stacked.to_torch()
        leaves = [torch.tensor(a, requires_grad=True) for a in self.params.arrays()]
        recurrent = None
        if len(leaves) > 2:  # only layers with a recurrent projection use R
            recurrent = leaves[2] * torch.from_numpy(self.stacked.recurrent_mask)
        p = StackedParams(leaves[0], leaves[1], recurrent, leaves[0], recurrent)
        steps, batch = x.shape[:2]
        xp = torch.tensor(self.stacked.pad_input(x))
        state = net.initial_state(batch, zeros=lambda *s: torch.zeros(s))
        prev, outputs = torch.zeros_like(xp[0]), []
        for t in range(steps):
            state, _ = net.step(state, p, prev, errors=False)
            prev = xp[t]
            outputs.append(net.outputs(state))
        out = torch.stack(outputs)
        loss = self.loss(out, torch.tensor(y)) / batch
        loss.backward()
        self.optimizer.step([leaf.grad.numpy() for leaf in leaves])
        return out.detach().numpy()

    def _step_from_float_grads(self, weights: list, biases: list, batch: int) -> None:
        stacked = self.stacked.pack(FloatParams(weights, biases, [None] * len(weights)))
        self.optimizer.step([g / batch for g in stacked.arrays()])

    # --- evaluation -------------------------------------------------------------------
    def loss(self, outputs: Any, target: Any) -> Any:
        """Sequence loss summed over a time-major batch (numpy or torch), with
        the dataset's per-step weights."""
        weight = self.dataset.loss_weight[:, None]
        if not isinstance(outputs, np.ndarray):
            import torch

            weight = torch.tensor(weight, dtype=outputs.dtype)
        return sequence_loss(self.spec.loss, outputs, target, weight, self.spec.beta)

    def float_params(self) -> FloatParams:
        """Current parameters as real values (fixed point: the 8-bit mantissas)."""
        if self.fixed:
            return self.params.to_float()
        return self.stacked.unpack(self.params, self.init_params)

    def _forward_numpy(self, x: np.ndarray) -> np.ndarray:
        if self.fixed:
            return Simulator(self.spec, self.params, "fixed").run(x).outputs
        net, p = self.stacked, self.params
        xp = net.pad_input(x)
        state, prev = net.initial_state(x.shape[1]), np.zeros_like(xp[0])
        out = np.empty((x.shape[0], x.shape[1], self.spec.n_out), np.float32)
        for t in range(x.shape[0]):
            state, _ = net.step(state, p, prev, errors=False)
            prev = xp[t]
            out[t] = net.outputs(state)
        return out

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
        n = len(getattr(self.dataset, f"x_{split}"))
        outputs, losses = [], 0.0
        for start in range(0, n, batch_size):
            index = np.arange(start, min(n, start + batch_size))
            x, y = self._sequences(split, index)
            out = self._forward_numpy(x)
            losses += float(self.loss(out.astype(np.float64), y))
            outputs.append(out)
        outputs = np.concatenate(outputs, axis=1)
        return {"loss": losses / n, "metric": self.metric(outputs, split, np.arange(n)),
                "outputs": outputs}

    # --- epochs, checkpoints ------------------------------------------------------------
    def train_epoch(self, progress: bool = True) -> dict:
        from tqdm import tqdm

        batch_fn = {"vle": self._vle_fixed if self.fixed else self._vle_float,
                    "exact": self._exact, "bptt": self._bptt}[self.config.rule]
        if self.optimizer is not None:
            self.optimizer.lr = self.lr()
        start, seen, total_loss, metrics = time.perf_counter(), 0, 0.0, []
        batches = list(self._batches(self.epoch))
        bar = tqdm(batches, desc=f"epoch {self.epoch + 1}/{self.config.epochs}", unit="batch",
                   disable=not progress, leave=False)
        for index in bar:
            x, y = self._sequences("train", index)
            out = batch_fn(x, y)
            loss = float(self.loss(np.asarray(out, np.float64), y)) / len(index)
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
                "params": self.params, "steps_done": self.steps_done, "carried": self.carried,
                "optimizer": None if self.optimizer is None else self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        saved = TrainConfig(**state["config"])
        if asdict(saved) | {"epochs": 0} != asdict(self.config) | {"epochs": 0}:
            raise ValueError("the checkpoint was written by a run with another configuration: "
                             f"{state['config']}")
        self.epoch, self.history = state["epoch"], state["history"]
        self.steps_done, self.carried = state["steps_done"], state.get("carried")
        if self.fixed:
            self.params = state["params"]
        else:
            for dst, src in zip(self.params.arrays(), state["params"].arrays()):
                dst[...] = src
            self.optimizer.load_state_dict(state["optimizer"])

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
    results = write_results(trainer, out)
    return results


def measured_synops(trainer: Trainer, batch: int = 100) -> dict:
    """Effective SynOps per training sample, counted on the first test sequences
    with the trained weights and the local rule running (not applied)."""
    ds = trainer.dataset
    index = np.arange(min(batch, len(ds.x_test)))
    x, y = trainer._sequences("test", index)
    if trainer.fixed:
        sim = Simulator(trainer.spec, trainer.params, "fixed", seed=trainer.config.seed)
        run = sim.run(x, y, loss_weight=ds.loss_weight, plasticity="apply",
                      eta=trainer.lr() / len(index), count_synops=True)
    else:
        run = Simulator(trainer.spec, trainer.float_params()).run(
            x, y, loss_weight=ds.loss_weight, plasticity="accumulate", count_synops=True)
    return {key: value / len(index) for key, value in run.synops.items()}


def write_results(trainer: Trainer, out: Path) -> dict:
    from lava_vle.plots import plot_learning_curves, plot_outputs

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
        "effective_synops_per_sample": measured_synops(trainer),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    plot_learning_curves(results, out / "learning_curves.png")
    plot_outputs(ds, test["outputs"], out / "outputs.png")
    return results
