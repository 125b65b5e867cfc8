"""Batched VLE simulator: many samples at once, float or bit-exact fixed point.

The simulator advances :class:`~lava_vle.dynamics.VLEDynamics` over a
sequence and applies the local plasticity rule after every step:

    dW_k = eta * m(t) * e_breve_post(t) r_pre(t-1)^T       (summed over the batch)
    db_l = eta * m(t) * e_breve_l(t)

In fixed point this is :func:`lava_vle.fixed_point.plastic_update` (16-bit
accumulator, stochastic rounding keyed by the step number), so a batch of one
equals the Lava fixed_pt process models bit for bit. Time steps are numbered
from 1, as in Lava.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.dynamics import NetworkState, Synapses, VLEDynamics
from lava_vle.network import FixedParams, FloatParams, NetworkSpec
from lava_vle.plasticity import LocalRule
from lava_vle.synops import effective_synops

PRECISIONS = ("float", "fixed")
PLASTICITY = ("off", "accumulate", "apply")
RECORDABLE = ("u", "v", "u_breve", "e_breve", "phi_prime", "rates", "e_target")


@dataclass
class SimResult:
    """What :meth:`Simulator.run` returns.

    ``outputs``: output rates (T, B, n_out) as real numbers.
    ``updates``: the local rule's summed dW per projection and db per layer
    (``plasticity='accumulate'``, float only), as real numbers.
    ``trace``: recorded variables, ``trace[name][l]`` is (T, B, n) for the
    populations the variable exists in (``rates`` includes the input).
    ``state``: the final network state (to continue a run).
    ``synops``: effective synaptic operations summed over the run and batch
    (``count_synops=True``).
    """

    outputs: np.ndarray
    state: NetworkState
    updates: Optional[tuple[list[np.ndarray], list[np.ndarray]]] = None
    trace: dict[str, list[np.ndarray]] = field(default_factory=dict)
    synops: Optional[dict] = None


def bias_carriers(spec: NetworkSpec) -> list[int]:
    """Index of the projection that carries each population's bias (the first into it)."""
    return [next(k for k, p in enumerate(spec.projections) if p.post == post)
            for post in range(1, spec.n_layers + 1)]


def synapses_of(spec: NetworkSpec, params: Union[FloatParams, FixedParams]) -> Synapses:
    """The per-step synapse view of float or fixed parameters."""
    fixed = isinstance(params, FixedParams)
    forward = params.weight_mant() if fixed else params.weights
    biases = params.bias_mant() if fixed else params.biases
    feedback = params.feedback_mant if fixed else params.feedback
    forward_exp = params.weight_exp if fixed else [None] * len(forward)
    feedback_exp = params.feedback_exp if fixed else [None] * len(forward)
    bias = [None] * len(forward)
    for l, k in enumerate(bias_carriers(spec)):
        bias[k] = biases[l]
    backward = [w if f is None else f for w, f in zip(forward, feedback)]
    backward_exp = [e if f is None else fe for e, f, fe in zip(forward_exp, feedback, feedback_exp)]
    return Synapses(forward, forward_exp, backward, backward_exp, bias)


def per_step(name: str, value: Any, steps: int, batch: int, default: float) -> np.ndarray:
    """Broadcast a scalar, (T,) or (T, B) array to (T, B) float64."""
    if value is None:
        return np.full((steps, batch), default)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full((steps, batch), float(arr))
    if arr.ndim == 1 and arr.shape[0] == steps:
        return np.repeat(arr[:, None], batch, axis=1)
    if arr.shape == (steps, batch):
        return arr
    raise ValueError(f"{name} must be a scalar, shape ({steps},) or ({steps}, {batch}), "
                     f"got {arr.shape}")


def check_sequence(name: str, value: Any, width: int, steps: Optional[int] = None,
                   batch: Optional[int] = None) -> np.ndarray:
    """Validate a (T, B, width) float array and return it as float64."""
    arr = np.asarray(value)
    if arr.ndim != 3 or arr.shape[2] != width:
        raise ValueError(f"{name} must have shape (T, B, {width}), got {arr.shape}")
    if (steps is not None and arr.shape[0] != steps) or (batch is not None and arr.shape[1] != batch):
        raise ValueError(f"{name} must have shape ({steps}, {batch}, {width}), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


class Simulator:
    """A VLE network with its parameters, simulated on a batch of sequences.

    Args:
        spec: the network.
        params: real parameters (quantised here when ``precision='fixed'``),
            or already-quantised :class:`FixedParams`.
        precision: ``"float"`` or ``"fixed"``.
        dtype: float dtype of the float simulation (float32 or float64).
        seed: seed of the stochastic-rounding hash (fixed point).
        headroom: weight-exponent headroom when quantising.
    """

    def __init__(self, spec: NetworkSpec, params: Union[FloatParams, FixedParams],
                 precision: str = "float", dtype: Any = np.float64, seed: int = 0,
                 headroom: float = 2.0):
        if precision not in PRECISIONS:
            raise ValueError(f"precision={precision!r} must be one of {PRECISIONS}")
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype={dtype!r} must be float32 or float64")
        self.spec = spec
        self.fixed = precision == "fixed"
        self.dtype = np.dtype(dtype)
        self.seed = int(seed)
        self.dynamics = VLEDynamics(spec, fixed=self.fixed, dtype=self.dtype)
        if self.fixed:
            self.params = (params.copy() if isinstance(params, FixedParams)
                           else FixedParams.from_float(spec, params, headroom))
        else:
            if isinstance(params, FixedParams):
                params = params.to_float()
            self.params = FloatParams([w.astype(self.dtype) for w in params.weights],
                                      [b.astype(self.dtype) for b in params.biases],
                                      [None if f is None else f.astype(self.dtype)
                                       for f in params.feedback])
        self._check_shapes()

    def _check_shapes(self) -> None:
        sizes = self.spec.sizes
        p = self.params
        mats = p.weight_acc if self.fixed else p.weights
        if len(mats) != len(self.spec.projections):
            raise ValueError(f"params hold {len(mats)} weight matrices, the spec has "
                             f"{len(self.spec.projections)} projections")
        for w, proj in zip(mats, self.spec.projections):
            if w.shape != (sizes[proj.post], sizes[proj.pre]):
                raise ValueError(f"{proj.name} must have shape "
                                 f"{(sizes[proj.post], sizes[proj.pre])}, got {w.shape}")

    def initial_state(self, batch: int) -> NetworkState:
        return self.dynamics.initial_state(batch, dtype=self.dtype)

    def run(self, x: np.ndarray, target: Optional[np.ndarray] = None,
            loss_weight: Any = None, modulator: Any = None,
            plasticity: str = "off", eta: float = 1e-3,
            record: Sequence[str] = (), state: Optional[NetworkState] = None,
            first_step: int = 1, count_synops: bool = False) -> SimResult:
        """Simulate ``x`` (T, B, n_in) and return outputs, updates and traces.

        Args:
            target: (T, B, n_out) targets (one-hot for ``loss='ce'``); None
                means no output error.
            loss_weight: ``w_t`` of the loss ``sum_t w_t l(r_L(t), y(t))``:
                scalar, (T,) or (T, B); default 1.
            modulator: third factor ``m(t)``: scalar, (T,) or (T, B); default 1.
            plasticity: ``"off"``; ``"accumulate"`` (sum the local updates
                without applying them, float only); ``"apply"`` (change the
                weights every step, plain SGD ascent on ``-loss``).
            eta: learning rate of the local rule.
            record: names from ``RECORDABLE`` to keep for every step.
            state: continue from this state (default: at rest).
            first_step: number of the first step (the hash counter).
            count_synops: sum :func:`lava_vle.synops.effective_synops` of
                every projection over the run into ``result.synops``.
        """
        spec = self.spec
        x = check_sequence("x", x, spec.n_in)
        steps, batch = x.shape[:2]
        if plasticity not in PLASTICITY:
            raise ValueError(f"plasticity={plasticity!r} must be one of {PLASTICITY}")
        if plasticity == "accumulate" and self.fixed:
            raise ValueError("plasticity='accumulate' is float only; use 'apply' in fixed point")
        for name in record:
            if name not in RECORDABLE:
                raise ValueError(f"record: {name!r} is not one of {RECORDABLE}")
        if target is None:
            target = np.zeros((steps, batch, spec.n_out))
            loss_weight = 0.0
        target = check_sequence("target", target, spec.n_out, steps, batch)
        weight = per_step("loss_weight", loss_weight, steps, batch, 1.0)
        mod = per_step("modulator", modulator, steps, batch, 1.0)
        rule = LocalRule(eta, self.fixed)
        if self.fixed:  # ports of fixed_pt models carry Q7.16 integers
            x_in = fxp.to_state(x)
            target = fxp.to_state(target)
            mod = fxp.modulator_to_fixed(mod)
        else:
            x_in = x.astype(self.dtype)
            target = target.astype(self.dtype)
        state = state if state is not None else self.initial_state(batch)
        before = state  # the state one step before ``state`` (sigma-delta message counts)
        updates = self._zero_updates() if plasticity == "accumulate" else None
        trace: dict[str, list[list[np.ndarray]]] = {name: [] for name in record}
        outputs = []
        synops = {"forward": 0, "error_path": 0, "weight_updates": 0}
        carriers = bias_carriers(spec)
        syn = synapses_of(spec, self.params)
        for t in range(steps):
            scale = self.dynamics.loss_scale(weight[t])[:, None]
            scale = scale if self.fixed else scale.astype(self.dtype)
            new = self.dynamics.step(state, syn, x_in[t], target[t], scale)
            if count_synops:
                for k, proj in enumerate(spec.projections):
                    learning_trace = (rule.trace(new.e_breve[proj.post - 1], mod[t])
                                      if plasticity != "off" else None)
                    sd_pre = proj.pre > 0 and spec.layers[proj.pre - 1].sigma_delta > 0
                    sd_post = spec.layers[proj.post - 1].error_sigma_delta > 0
                    counts = effective_synops(
                        state.rates[proj.pre], state.e_breve[proj.post - 1], learning_trace,
                        spec.carries_error(proj), carriers[proj.post - 1] == k,
                        before.rates[proj.pre] if sd_pre else None,
                        before.e_breve[proj.post - 1] if sd_post else None)
                    for key, value in counts.items():
                        synops[key] += value
            if plasticity == "accumulate":
                self._accumulate(rule, new, state.rates, mod[t], updates)
            elif plasticity == "apply":
                self._apply(rule, new, state.rates, mod[t], first_step + t)
                syn = synapses_of(spec, self.params)
            before, state = state, new
            outputs.append(state.rates[-1])
            for name in record:
                trace[name].append(getattr(state, name) if name != "e_target"
                                   else (state.e_target,))
        out = np.stack(outputs)
        result = SimResult(outputs=fxp.from_state(out) if self.fixed else out, state=state)
        result.trace = {name: [np.stack(layer) for layer in zip(*steps_)]
                        for name, steps_ in trace.items()}
        if updates is not None:
            result.updates = updates
        if count_synops:
            result.synops = synops
        return result

    # --- the local rule -------------------------------------------------------
    def _zero_updates(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return ([np.zeros(w.shape, dtype=np.float64) for w in self.params.weights],
                [np.zeros(b.shape, dtype=np.float64) for b in self.params.biases])

    def _accumulate(self, rule: LocalRule, new: NetworkState, rates_prev: tuple,
                    mod: np.ndarray, updates: tuple[list, list]) -> None:
        """Add this step's ``(dW, db)`` to ``updates`` without applying them."""
        traces = [rule.trace(e, mod) for e in new.e_breve]
        carriers = bias_carriers(self.spec)
        for k, proj in enumerate(self.spec.projections):
            d_weights, d_bias = rule.delta(traces[proj.post - 1], rates_prev[proj.pre])
            updates[0][k] += d_weights
            if k == carriers[proj.post - 1]:
                updates[1][proj.post - 1] += d_bias

    def _apply(self, rule: LocalRule, new: NetworkState, rates_prev: tuple,
               mod: np.ndarray, step: int) -> None:
        """One local update of every projection (and the bias it carries)."""
        p = self.params
        weights, biases = (p.weight_acc, p.bias_acc) if self.fixed else (p.weights, p.biases)
        traces = [rule.trace(e, mod) for e in new.e_breve]
        carriers = bias_carriers(self.spec)
        for k, proj in enumerate(self.spec.projections):
            l = proj.post - 1
            carried = biases[l] if k == carriers[l] else None
            weights[k], new_bias = rule.apply(
                weights[k], carried, traces[l], rates_prev[proj.pre],
                p.weight_exp[k] if self.fixed else None, fxp.stream_seed(self.seed, k), step)
            if carried is not None:
                biases[l] = new_bias
