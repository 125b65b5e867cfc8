"""The learning rules a :class:`~lava_vle.train.Trainer` trains with, one class each.

Every rule trains the same :class:`~lava_vle.spec.NetworkSpec` from the
same initial weights; the float rules share one numpy optimiser
(:class:`~lava_vle.optim.Adam` or :class:`~lava_vle.optim.SGD`) and one time
loop (:meth:`lava_vle.stacked.StackedNetwork.run`), and differ only in the
update direction:

- :class:`VLELocal`: the local rule online; every ``update_interval``
  steps the optimiser receives ``-sum_b e_breve_post r_pre^T / B``
  (:meth:`lava_vle.plasticity.LocalRule.accumulate_stacked`), in float32
  or float64 (``dtype``).
- :class:`VLEFixed`: the bit-exact fixed-point simulator with the integer
  local rule (plain SGD with stochastic rounding, every step), i.e. what
  the fixed_pt Lava processes do; the rule sums the batch, so
  ``eta = lr / batch``.
- :class:`ExactAdjoint`: the adjoint gradient of each batch's sequence loss (float64).
- :class:`BPTT`: torch autograd through the same stacked step,
  once per sequence or, with ``update_interval = U``, truncated: an
  optimiser step on each window of U steps, the state carried across
  windows and the gradient cut at the window edge (VLE's cadence).

Each has ``batch(x, y)`` (learn from one time-major batch, return its
outputs), ``forward(x)`` (outputs without learning), ``float_params()``,
``lr``, ``optimizer_steps`` (how many updates it has made) and
``state_dict`` / ``load_state_dict``: plain nested dicts and
lists of numpy arrays and numbers, which a checkpoint stores without pickle.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

import numpy as np

from lava_vle import arrays
from lava_vle.arrays import broadcast_to, copy_into, on_device, require_torch, to_numpy
from lava_vle.losses import sequence_loss
from lava_vle.optim import SGD, Adam
from lava_vle.plasticity import LocalRule, StackedLearning
from lava_vle.simulator import Simulator
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.stacked import INPUT_TIMINGS, StackedNetwork, StackedParams, StackedState
from lava_vle.validation import check_choice

#: the float dtypes the float rules train in
DTYPES = ("float32", "float64")
#: which weights the error path reads (VLELocal's error_weights)
ERROR_WEIGHTS = ("updated", "forward")
#: how an evaluation shares the carried state with training (VLELocal's evaluation_state)
EVALUATION_STATES = ("copy", "shared")


def check_rule_options(rule: str, precision: str, feedback: str, dtype: str = "float32",
                       error_weights: str = "updated", input_timing: str = "delayed") -> None:
    """Refuse, naming the option and the path, an option the rule does not
    implement: ``dtype`` (float rules), ``error_weights="forward"`` (the local
    rule with mirrored feedback: a fixed random feedback matrix has no timing),
    ``input_timing="current"`` (the stacked rules; the adjoint, the simulator
    and the Lava processes read the input through a synapse)."""
    check_choice("dtype", dtype, DTYPES)
    check_choice("error_weights", error_weights, ERROR_WEIGHTS)
    check_choice("input_timing", input_timing, INPUT_TIMINGS)
    fixed = precision == "fixed"
    if fixed and dtype != "float32":
        raise ValueError(f"dtype={dtype!r} applies to the float rules; fixed point trains in "
                         "Loihi 2's integers")
    if rule == "hybrid" and fixed:
        raise ValueError("rule='hybrid' trains in float (it takes BPTT's gradient for its "
                         "lowest populations)")
    if error_weights == "forward" and (rule not in ("vle", "hybrid") or fixed
                                       or feedback != "mirrored"):
        raise ValueError(f"error_weights='forward' applies to rule='vle' in float with mirrored "
                         f"feedback (got rule={rule!r}, precision={precision!r}, "
                         f"feedback={feedback!r})")
    if input_timing == "current" and (rule == "exact" or fixed):
        raise ValueError(f"input_timing='current' applies to rule='vle' and 'bptt' in float (got "
                         f"rule={rule!r}, precision={precision!r}): the adjoint and the "
                         "fixed-point simulator read the input through a synapse")


class StackedRule:
    """A float rule on the fused stacked network with a shared optimiser.

    ``device``: None steps numpy arrays; a torch device (``"cpu"``,
    ``"cuda"``, ``"cuda:1"``) steps torch tensors there through the same code.
    """

    # the parameters live on the device (VLE); False: numpy parameters, the
    # device only runs the batch (BPTT)
    steps_on_device = True

    def __init__(self, spec: NetworkSpec, init: FloatParams, loss_weight: np.ndarray,
                 lr: float, optimizer: str = "adam", dtype: Any = np.float32,
                 device: Optional[str] = None, clip: Optional[float] = None,
                 input_timing: str = "delayed"):
        self.spec, self.init, self.device = spec, init, device
        self.loss_weight = np.asarray(loss_weight, dtype=np.float64)
        self.net = StackedNetwork(spec, dtype, input_timing=input_timing)
        if device is not None and self.steps_on_device:
            self.net = self.net.to_torch(check_device(device))
        self.params = self.net.pack(init)
        self.optimizer = {"adam": Adam, "sgd": SGD}[optimizer](self.params.arrays(), lr=lr,
                                                               clip=clip)

    @property
    def optimizer_steps(self) -> int:
        """Optimiser steps taken so far."""
        return self.optimizer.t

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = value

    def check_capture(self, capture: int, device: Optional[str]) -> None:
        """:func:`check_capture` of this rule's optimiser and network."""
        check_capture(capture, device, "adam" if isinstance(self.optimizer, Adam) else "sgd",
                      self.optimizer.clip, self.spec.learning_epoch)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Outputs (T, B, n_out) of ``x`` (T, B, n_in), no learning (numpy)."""
        return to_numpy(self.net.run(self.params, x)[0])

    def float_params(self) -> FloatParams:
        return self.net.unpack(self.params, self.init)

    def loss(self, outputs: Any, target: Any, first_step: int = 0,
             weight: Optional[np.ndarray] = None) -> Any:
        """Sequence loss summed over a time-major batch (numpy or torch), with
        the dataset's per-step weights (of steps ``first_step`` onwards), or
        with ``weight`` (one per step) where given."""
        weight = (self.loss_weight[first_step:first_step + len(outputs)] if weight is None
                  else weight)[:, None]
        if not isinstance(outputs, np.ndarray):
            weight = on_device(weight, outputs.device).to(outputs.dtype)
            target = on_device(target, outputs.device)
        return sequence_loss(self.spec.loss, outputs, target, weight, self.spec.beta)

    def state_dict(self) -> dict:
        """The trainable arrays (``params.arrays()``) and the optimiser's state (numpy)."""
        return {"params": [to_numpy(a) for a in self.params.arrays()],
                "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        for dst, src in zip(self.params.arrays(), state["params"]):
            copy_into(dst, src)
        self.optimizer.load_state_dict(state["optimizer"])


class VLELocal(StackedRule):
    """The local rule, online: an optimiser step every ``update_interval`` steps
    (when a learning epoch ended since the last one).

    With ``spec.learning_epoch = N > 1`` the update comes from pre and post
    traces once per epoch (:class:`~lava_vle.plasticity.LocalRule`); epochs
    are counted in time steps across batches (``steps_done``), as Lava counts
    ``t_epoch``, and the traces start from zero with each batch.
    ``carry_state``: each batch runs on from the previous batch's final
    network state (the GLE reference's recipe with Adam on every step), and
    so does an evaluation (:meth:`forward`), its sequences starting from the
    carried state's rows repeated, as the reference evaluates: a network that
    never starts from rest in training is not judged from rest.
    ``settle_steps``: after each sequence the network runs on for this many
    steps with zero input and no new target error, still learning, so that
    errors of the last steps reach the lower layers (each hop delays them a
    step); the outputs returned are the sequence's.
    ``error_weights``: the weights the error path sends ``W^T e`` down
    through: ``"updated"``, the current ones (updated by the optimiser at
    the end of the previous step); ``"forward"``, those of the previous
    step's forward pass, one update behind (the GLE reference's timing,
    ``docs/model.md`` section 4).
    ``capture``: on a torch device, run ``capture`` update windows per
    compiled call (:class:`~lava_vle.captured.CapturedWindows`; 0: step by
    step from Python).
    ``evaluation_state`` (with ``carry_state``): ``"copy"``, an evaluation
    runs from a copy of the carried state with the error dendrites off and
    training resumes from its own last batch; ``"shared"``, the GLE
    reference's protocol: an evaluation runs the error dendrites too, with
    no target error (the errors training left decay), and
    ``forward(x, keep_state=True)`` hands its final state to the next
    training batch, which starts from its first rows (as the reference
    narrows a batch). Evaluations before that batch still start from
    training's own state.
    """

    def __init__(self, *args: Any, update_interval: int = 50, carry_state: bool = False,
                 settle_steps: int = 0, error_weights: str = "updated", capture: int = 0,
                 evaluation_state: str = "copy", **kwargs: Any):
        super().__init__(*args, **kwargs)
        check_choice("error_weights", error_weights, ERROR_WEIGHTS)
        check_choice("evaluation_state", evaluation_state, EVALUATION_STATES)
        if evaluation_state == "shared" and not carry_state:
            raise ValueError("evaluation_state='shared' needs carry_state=True: from rest, "
                             "training has no state to share with an evaluation")
        self.evaluation_state = evaluation_state
        self.captured = None
        if capture:
            self.check_capture(capture, self.device)
            from lava_vle.captured import CapturedWindows

            self.captured = CapturedWindows(self, capture)
        self.update_interval = update_interval
        self.carry_state = carry_state
        self.settle_steps = settle_steps
        self.carried = None  # final state of the last batch (carry_state) ...
        self.carried_input = None  # ... and its last input, which the next step reads
        self.handed = None  # (state, last input) a kept evaluation hands the next batch
        self.steps_done = 0
        # eta = 1: the optimiser scales the step
        self.rule = LocalRule(1.0, learning_epoch=self.spec.learning_epoch)
        self.error_weights = error_weights
        # "forward": the error path's own copy of W (and R), refreshed after each
        # step that followed an update (stale: W has moved since the copy)
        self.feedback_stale = False
        if error_weights == "forward":
            if self.spec.feedback != "mirrored":
                raise ValueError("error_weights='forward' needs mirrored feedback (a fixed "
                                 f"random feedback matrix has no timing); got "
                                 f"feedback={self.spec.feedback!r}")
            p = self.params
            p.B = arrays.copy(p.W)
            p.BR = None if p.BR is None else arrays.copy(p.R)

    def _feedback_pairs(self) -> list[tuple[Any, Any]]:
        """(error-path copy, forward weights) pairs of ``error_weights='forward'``."""
        p = self.params
        return [(p.B, p.W)] + ([(p.BR, p.R)] if p.BR is not None else [])

    def refresh_feedback(self) -> None:
        """After a step: the error path takes the weights its forward pass used
        (``error_weights='forward'``, where an update has moved them since)."""
        if self.feedback_stale:
            for copy_, weights in self._feedback_pairs():
                copy_into(copy_, weights)
            self.feedback_stale = False

    def apply_update(self, grads: list) -> None:
        """One optimiser step on the descent directions ``grads``."""
        self.optimizer.step(grads)
        self.feedback_stale = self.error_weights == "forward"

    def batch(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        net, p = self.net, self.params
        length, batch = x.shape[:2]
        x, y, weight = self.with_settle_steps(x, y)
        steps = x.shape[0]
        state, x_prev = self.start(x)
        learning = self.learning(state.u.shape)
        if self.captured is not None:
            state, outputs = self.captured.run(learning, state, x_prev, x, y, weight)
            if self.carry_state:
                self.carried, self.carried_input = state, np.array(x[-1])
            return outputs[:length]
        if net.on_torch:
            y = net.as_array(y)  # on the device once
        pending = False  # an update waits for the optimiser

        def learn(t: int, state: Any, rates_pre: np.ndarray, rates_before: np.ndarray) -> None:
            nonlocal pending
            net.output_error(state, y[t], weight[t])
            self.steps_done += 1
            pending |= learning.observe(self.steps_done, state.e_breve, None, rates_pre,
                                        rates_before, state.e_in, state.phi_prime)
            self.refresh_feedback()
            if pending and ((t + 1) % self.update_interval == 0 or t == steps - 1):
                self.apply_update(learning.take(-batch))  # descent on -update
                pending = False

        outputs, state = net.run(p, x, state, errors=True, on_step=learn, x_prev=x_prev)
        if self.carry_state:
            self.carried, self.carried_input = state, np.array(x[-1])
        return to_numpy(outputs[:length])

    def with_settle_steps(self, x: np.ndarray, y: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``x``, ``y`` and the loss weights, followed by ``settle_steps`` of zero
        input and the last target at zero loss weight."""
        weight = self.loss_weight.astype(self.net.dtype)
        settle = self.settle_steps
        if not settle:
            return x, y, weight
        return (np.concatenate([x, np.zeros((settle,) + x.shape[1:], x.dtype)]),
                np.concatenate([y, np.repeat(y[-1:], settle, axis=0)]),
                np.concatenate([weight, np.zeros(settle, weight.dtype)]))

    def start(self, x: np.ndarray) -> tuple[StackedState, Optional[np.ndarray]]:
        """The state a batch ``x`` starts from, and the input in flight: at rest,
        or (``carry_state``) the last batch's, its last input in flight."""
        batch = x.shape[1]
        state, x_prev = self.net.initial_state(batch), None
        if self.handed is not None:
            (self.carried, self.carried_input), self.handed = self.handed, None
        if self.carried is not None:
            state = self.net.take_batch(self.carried, batch, state)
            x_prev = np.zeros((batch,) + x.shape[2:], x.dtype)
            rows = min(batch, len(self.carried_input))
            x_prev[:rows] = self.carried_input[:rows]
        return state, x_prev

    def forward(self, x: np.ndarray, keep_state: bool = False) -> np.ndarray:
        """Outputs (T, B, n_out) of ``x`` (T, B, n_in), no learning; with a carried
        state, from that state's rows repeated over the batch. The carried
        state is not changed; with ``evaluation_state="shared"`` and
        ``keep_state``, the next training batch starts from this run's final
        state."""
        if self.carried is None:
            return super().forward(x)
        if keep_state and self.evaluation_state != "shared":
            raise ValueError("keep_state=True needs evaluation_state='shared'")
        batch = x.shape[1]
        rows = np.arange(batch) % len(self.carried_input)
        state = self.net.tile_batch(self.carried, batch)
        shared = self.evaluation_state == "shared"
        if shared:  # the error dendrites run on, with no target error
            self.refresh_feedback()
            state.e_target = arrays.zeros_like(state.e_target)
        outputs, final = self.net.run(self.params, x, state, errors=shared,
                                      x_prev=self.carried_input[rows])
        if keep_state:
            self.handed = final, np.array(x[-1])
        return to_numpy(outputs)

    def learning(self, state_shape: tuple) -> StackedLearning:
        """The rule's state for one batch (traces from zero)."""
        eprop = None
        mode = self.spec.recurrent_error
        if mode == "eprop-all" or mode == "eprop" and self.params.R is not None:
            eprop = {k: broadcast_to(self.net.constants[k], state_shape)
                     for k in ("k_m", "k_r")}
        return StackedLearning(self.rule, self.params.arrays(), state_shape,
                               self.net.recurrent_mask, eprop, all_weights=mode == "eprop-all")

    def state_dict(self) -> dict:
        carried = None if self.carried is None else self._state_arrays(self.carried)
        feedback = None if self.error_weights == "updated" else {
            "arrays": [to_numpy(copy_) for copy_, _ in self._feedback_pairs()],
            "stale": self.feedback_stale}
        handed = None if self.handed is None else {
            "state": self._state_arrays(self.handed[0]), "input": self.handed[1]}
        return {**super().state_dict(), "carried": carried, "carried_input": self.carried_input,
                "handed": handed, "steps_done": self.steps_done, "feedback": feedback}

    @staticmethod
    def _state_arrays(state: StackedState) -> dict:
        return {k: None if v is None else to_numpy(v) for k, v in asdict(state).items()}

    def _state_from(self, arrays_: dict) -> StackedState:
        return StackedState(**{k: None if v is None else self.net.as_array(v)
                               for k, v in arrays_.items()})

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        carried, handed = state.get("carried"), state.get("handed")
        self.carried = None if carried is None else self._state_from(carried)
        self.handed = None if handed is None else (self._state_from(handed["state"]),
                                                   handed["input"])
        self.carried_input = state.get("carried_input")
        if self.carried is not None and self.carried_input is None:  # saved before it was kept
            self.carried_input = np.zeros((self.carried.u.shape[1], self.spec.n_in))
        self.steps_done = state.get("steps_done", 0)
        feedback = state.get("feedback")
        if (feedback is None) != (self.error_weights == "updated"):
            raise ValueError(f"the saved state has error_weights="
                             f"{'updated' if feedback is None else 'forward'!r}, this rule "
                             f"{self.error_weights!r}")
        if feedback is not None:
            for (copy_, _), saved in zip(self._feedback_pairs(), feedback["arrays"]):
                copy_into(copy_, saved)
            self.feedback_stale = bool(feedback["stale"])


class ExactAdjoint(StackedRule):
    """The adjoint gradient of each batch's sequence loss, fed to the optimiser."""

    def batch(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from lava_vle.adjoint import exact_gradients

        grads = exact_gradients(self.spec, self.float_params(), x, y, self.loss_weight)
        stacked = self.net.pack(FloatParams(grads.weights, grads.biases,
                                            [None] * len(grads.weights)))
        self.optimizer.step([g / x.shape[1] for g in stacked.arrays()])
        return self.forward(x)


class BPTT(StackedRule):
    """Torch autograd through the fused step (on ``device``, default the CPU),
    fed to the same optimiser (numpy parameters).

    ``update_interval`` None: one step per sequence. ``U``: truncated BPTT,
    one step per window of U time steps (the last may be shorter) on the
    window's loss; the network state runs on across windows, detached, so
    the gradient is cut at each window's edge. ``U >= T`` is plain BPTT.
    ``capture`` (any K >= 1): each window's forward pass, and so its backward
    pass, as one compiled graph (:class:`~lava_vle.captured.CapturedRun`);
    the optimiser steps between windows, on the host.
    """

    steps_on_device = False

    def __init__(self, *args: Any, update_interval: Optional[int] = None, capture: int = 0,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.update_interval = update_interval
        self.captured = None
        if capture:
            self.check_capture(capture, self.device or "cpu")
            from lava_vle.captured import CapturedRun

            self.captured = CapturedRun(self.net.to_torch(self.device or "cpu"))

    def batch(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from lava_vle.bptt import bptt_step

        steps, batch = x.shape[:2]
        window = self.update_interval or steps
        outputs, state, x_prev = [], None, None
        net, run = ((self.net, None) if self.captured is None
                    else (self.captured.net, self.captured))
        for first in range(0, steps, window):
            last = min(steps, first + window)
            out, grads, _, state = bptt_step(
                net, self.params.arrays(), x[first:last],
                lambda out: self.loss(out, y[first:last], first) / batch,
                self.device or "cpu", state, x_prev, run)
            self.optimizer.step(grads)
            outputs.append(out)
            x_prev = x[last - 1]
        return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


class Hybrid(VLELocal):
    """BPTT's gradient for the lowest ``bptt_layers`` populations, the local
    rule above: a causal test of where the local rule loses. Every
    ``update_interval`` steps the optimiser takes, for populations 1..k,
    truncated BPTT's gradient of the window's loss (from the state and input
    the window started with, the gradient cut at its edge, as :class:`BPTT`)
    and, for populations k+1..L, the local rule's update over the same window.
    The forward dynamics of both are the same (the errors do not act on the
    membranes), so one window's state serves both.
    """

    def __init__(self, *args: Any, bptt_layers: int = 1, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not 1 <= bptt_layers < self.spec.n_layers:
            raise ValueError(f"bptt_layers={bptt_layers!r} must be an integer from 1 to "
                             f"{self.spec.n_layers - 1} (the network's populations below the "
                             "output)")
        if self.net.on_torch or self.spec.learning_epoch > 1:
            raise ValueError("rule='hybrid' steps numpy arrays, without learning epochs")
        self.bptt_layers = bptt_layers

    def batch(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        from lava_vle.bptt import bptt_step

        net, p, (length, batch) = self.net, self.params, x.shape[:2]
        x, y, weight = self.with_settle_steps(x, y)
        steps = x.shape[0]
        state, x_prev = self.start(x)
        learning = self.learning(state.u.shape)
        window = {"first": 0, "state": state.copy(), "x_prev": x_prev}

        def learn(t: int, state: Any, rates_pre: np.ndarray, rates_before: np.ndarray) -> None:
            net.output_error(state, y[t], weight[t])
            self.steps_done += 1
            learning.observe(self.steps_done, state.e_breve, None, rates_pre, rates_before,
                             state.e_in, state.phi_prime)
            self.refresh_feedback()
            if (t + 1) % self.update_interval and t != steps - 1:
                return
            first, last = window["first"], t + 1
            local = learning.take(-batch)
            exact = bptt_step(net, p.arrays(), x[first:last],  # settle steps at weight 0
                              lambda out: self.loss(out, y[first:last],
                                                    weight=weight[first:last]) / batch,
                              "cpu", window["state"], window["x_prev"])[1]
            for mixed, gradient in zip(local, exact):  # populations 1..k from BPTT
                mixed[:self.bptt_layers] = gradient[:self.bptt_layers]
            self.apply_update(local)
            window.update(first=last, state=state.copy(), x_prev=x[t])

        outputs, state = net.run(p, x, state, errors=True, on_step=learn, x_prev=x_prev)
        if self.carry_state:
            self.carried, self.carried_input = state, np.array(x[-1])
        return to_numpy(outputs[:length])


class VLEFixed:
    """The integer local rule of the fixed_pt processes on the batched simulator.

    The hash counter of stochastic rounding runs on across batches and epochs.
    """

    optimizer = None

    def __init__(self, spec: NetworkSpec, init: FloatParams, loss_weight: np.ndarray,
                 lr: float, seed: int = 0):
        self.spec, self.lr, self.seed = spec, lr, seed
        self.loss_weight = loss_weight
        self.params = FixedParams.from_float(spec, init)
        self.steps_done = 0

    @property
    def optimizer_steps(self) -> int:
        """Weight updates so far: one per learning epoch of time steps."""
        return self.steps_done // self.spec.learning_epoch

    def batch(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        sim = Simulator(self.spec, self.params, "fixed", seed=self.seed)
        # the integer rule sums the batch's updates: eta = lr / batch matches the
        # float rules' batch-mean update (same lr, same step)
        out = sim.run(x, y, loss_weight=self.loss_weight, plasticity="apply",
                      eta=self.lr / x.shape[1], first_step=self.steps_done + 1).outputs
        self.params = sim.params
        self.steps_done += x.shape[0]
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:
        return Simulator(self.spec, self.params, "fixed").run(x).outputs

    def float_params(self) -> FloatParams:
        """The effective (8-bit mantissa) parameters as real values."""
        return self.params.to_float()

    def loss(self, outputs: np.ndarray, target: np.ndarray) -> float:
        return sequence_loss(self.spec.loss, outputs, target, self.loss_weight[:, None],
                             self.spec.beta)

    def state_dict(self) -> dict:
        return {"params": asdict(self.params), "steps_done": self.steps_done}

    def load_state_dict(self, state: dict) -> None:
        self.params, self.steps_done = FixedParams(**state["params"]), state["steps_done"]


def local_updates(spec: NetworkSpec, params: FloatParams, x: np.ndarray, y: np.ndarray,
                  loss_weight: Any = None, dtype: Any = np.float64) -> FloatParams:
    """The local rule's update summed over a batch with the weights frozen, in
    the layout of ``params``: what :class:`VLELocal` hands the optimiser
    (negated, per sample), for comparisons with the exact gradient."""
    steps, batch = x.shape[:2]
    weight = np.ones(steps) if loss_weight is None else np.asarray(loss_weight, np.float64)
    rule = VLELocal(spec, params, weight, lr=1.0, dtype=dtype)
    learning = rule.learning((spec.n_layers, batch, rule.net.width))

    def observe(t: int, state: Any, rates_pre: np.ndarray, rates_before: np.ndarray) -> None:
        rule.net.output_error(state, y[t], weight[t])
        learning.observe(t + 1, state.e_breve, None, rates_pre, rates_before, state.e_in,
                         state.phi_prime)

    rule.net.run(rule.params, x, errors=True, on_step=observe)
    sums = learning.flush()
    recurrent = sums[2] if len(sums) > 2 else None
    return rule.net.unpack(StackedParams(sums[0], sums[1], recurrent, sums[0]), params)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """cos(a, b) of two flattened arrays."""
    a, b = a.ravel(), b.ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def make_rule(name: str, precision: str, spec: NetworkSpec, init: FloatParams,
              loss_weight: np.ndarray, lr: float, optimizer: str = "adam",
              update_interval: Optional[int] = 50, carry_state: bool = False,
              seed: int = 0, device: Optional[str] = None, settle_steps: int = 0,
              clip: Optional[float] = None, dtype: str = "float32",
              error_weights: str = "updated", input_timing: str = "delayed",
              bptt_layers: int = 1, capture: int = 0, evaluation_state: str = "copy") -> Any:
    """The rule ``name`` (``vle``, ``exact``, ``bptt``) in ``precision``;
    ``device`` (VLE and BPTT in float): a torch device to step on; ``clip``:
    the float rules' global-norm clipping; ``update_interval`` (VLE; BPTT:
    truncated when not None; ``hybrid``: :class:`Hybrid` with ``bptt_layers``);
    ``dtype`` of the float rules; ``error_weights``
    (VLE) and ``input_timing`` (VLE, BPTT): the conventions of
    :class:`VLELocal` and :class:`~lava_vle.stacked.StackedNetwork`;
    ``capture`` (VLE on a torch device: update windows per compiled call;
    BPTT: each window's passes compiled); ``evaluation_state`` (VLE and
    hybrid with ``carry_state``). An option
    the rule does not implement is refused (:func:`check_rule_options`)."""
    check_rule_options(name, precision, spec.feedback, dtype, error_weights, input_timing)
    if precision == "fixed":
        return VLEFixed(spec, init, loss_weight, lr, seed)
    stacked = dict(dtype=np.dtype(dtype), clip=clip)
    if name == "vle":
        return VLELocal(spec, init, loss_weight, lr, optimizer, update_interval=update_interval,
                        carry_state=carry_state, device=device, settle_steps=settle_steps,
                        error_weights=error_weights, input_timing=input_timing,
                        capture=capture, evaluation_state=evaluation_state, **stacked)
    if capture and name not in ("vle", "bptt"):
        raise ValueError(f"capture={capture} applies to rule='vle' and 'bptt' in float (got "
                         f"rule={name!r})")
    if name == "hybrid":
        return Hybrid(spec, init, loss_weight, lr, optimizer, update_interval=update_interval,
                      carry_state=carry_state, settle_steps=settle_steps,
                      bptt_layers=bptt_layers, error_weights=error_weights,
                      input_timing=input_timing, evaluation_state=evaluation_state, **stacked)
    if name == "bptt":
        return BPTT(spec, init, loss_weight, lr, optimizer, device=device,
                    update_interval=update_interval, input_timing=input_timing,
                    capture=capture, **stacked)
    return ExactAdjoint(spec, init, loss_weight, lr, optimizer, **stacked)


def check_capture(capture: Any, device: Optional[str], optimizer: Optional[str],
                  clip: Optional[float], learning_epoch: int) -> None:
    """Refuse, saying why, a ``capture`` the captured windows cannot run: they
    step torch tensors with Adam's formula, unclipped (a global norm is a
    host synchronisation), one learning epoch per step."""
    if isinstance(capture, bool) or not isinstance(capture, (int, np.integer)) or capture < 0:
        raise ValueError(f"capture={capture!r} must be an integer >= 0 (update windows per "
                         "compiled call; 0: off)")
    if device is None:
        raise ValueError(f"capture={capture} compiles torch steps: it needs a torch device "
                         "(device='cpu' or 'cuda')")
    if optimizer not in (None, "adam") or clip is not None:
        raise ValueError(f"capture={capture} runs Adam without clipping (got "
                         f"optimizer={optimizer!r}, clip={clip})")
    if learning_epoch != 1:
        raise ValueError(f"capture={capture} learns on every step: learning_epoch="
                         f"{learning_epoch} needs capture=0")


def check_device(device: str) -> str:
    """``device`` if torch can step tensors there; else a ValueError that says why."""
    torch = require_torch(f"device={device!r}")

    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device={device!r} is not a torch device ('cpu', 'cuda', "
                         f"'cuda:1'): {err}") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: torch finds no CUDA device on this machine "
                         "(torch.cuda.is_available() is False); leave device unset to "
                         "train with numpy on the CPU")
    return device


Rule = Optional[Any]  # one of the classes above
