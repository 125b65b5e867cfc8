"""Stacked simulation: all populations advance in a few stacked array ops.

With one synaptic delay per projection, every population updates from the
previous step's state, so the whole network can step at once. Populations
are padded to a common width ``n`` and stacked on a leading layer axis
``(L, B, n)``; weights become ``(L, n, n)`` stacks (projection ``l`` maps
population ``l-1`` to ``l``). The compartments are the very functions of
:mod:`lava_vle.dynamics` (:func:`representation_neuron`,
:func:`error_dendrite`), applied to the stacks in either arithmetic;
padded neurons have zero weights and stay at zero. :class:`FloatArithmetic`
works on numpy arrays (training with the local rule) and torch tensors
(BPTT); :class:`FixedArithmetic` steps Loihi 2's integers (8-bit weight
mantissas, one exponent per layer), bit for bit the per-population step.
Tests check both against :class:`lava_vle.simulator.Simulator`.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import Any, Callable, Optional

import numpy as np

from lava_vle import arrays
from lava_vle.activations import Activation
from lava_vle.arithmetic import Arithmetic, FloatArithmetic as F
from lava_vle.dynamics import (error_dendrite, loss_scale, neuron_input, recurrent_loop_gain,
                               representation_neuron, sent_error, sent_rate,
                               stable_recurrent_error, synaptic_drive)
from lava_vle.spec import FloatParams, NetworkSpec
from lava_vle.validation import check_choice

Array = Any
#: when the first population reads the input (StackedNetwork's input_timing)
INPUT_TIMINGS = ("delayed", "current")
# on_step(t, state, rates_pre, rates_before): called after every step of run()
StepHook = Callable[[int, "StackedState", Array, Array], None]


def _cat(arrays: list, out: Optional[np.ndarray] = None) -> Array:
    """Concatenate along the first axis (numpy: into ``out`` if given)."""
    if isinstance(arrays[0], np.ndarray):
        return np.concatenate(arrays, out=out)
    import torch

    return torch.cat(arrays)


def _error_input(A: Any, B: Array, B_exp: Any, e_above: Array, e_target: Array,
                 out: Optional[np.ndarray]) -> Array:
    """Each layer's error input: ``B^T e_breve`` of the layer above, the
    output error at the top (numpy: the product written into ``out``)."""
    if out is None:
        return _cat([A.backward(B, B_exp, e_above), e_target[None]])
    below_top = out[:-1]
    back = A.backward(B, B_exp, e_above, out=below_top)
    if back is not below_top:  # fixed point returns its own array
        below_top[...] = back
    out[-1] = e_target
    return out


class StackedActivation(Activation):
    """phi and phi' of a layer stack: each run of layers with one activation
    applies its own (``groups`` of ``(first, stop, activation)``); the
    fixed-point forms exist where every group has them."""

    def __init__(self, groups: list[tuple[int, int, Activation]]):
        self.groups = groups
        fixed = all(act.fixed_point_capable for _, _, act in groups)
        super().__init__("stacked", phi=self._per_group("phi"),
                         phi_prime=self._per_group("phi_prime"),
                         phi_fixed=self._per_group("phi_fixed") if fixed else None,
                         phi_prime_fixed=self._per_group("phi_prime_fixed") if fixed else None)

    def _per_group(self, attr: str) -> Callable[[Array], Array]:
        groups = self.groups

        def fn(x: Array) -> Array:
            if len(groups) == 1:
                return getattr(groups[0][2], attr)(x)
            if not isinstance(x, np.ndarray):
                return _cat([getattr(act, attr)(x[a:b]) for a, b, act in groups])
            out = np.empty_like(x)
            for a, b, act in groups:
                out[a:b] = getattr(act, attr)(x[a:b])
            return out
        return fn

    def slope(self, u_breve: Array, rate: Array, out: Optional[np.ndarray] = None) -> Array:
        """Each group's :meth:`Activation.slope`, into ``out`` (numpy) if given."""
        if not arrays.is_numpy(u_breve):
            return _cat([act.slope(u_breve[a:b], rate[a:b]) for a, b, act in self.groups])
        out = np.empty_like(u_breve) if out is None else out
        for a, b, act in self.groups:
            act.slope(u_breve[a:b], rate[a:b], out=out[a:b])
        return out

    def apply(self, u_breve: Array, out: Optional[np.ndarray] = None) -> Array:
        """Each group's phi, into ``out`` (numpy) if given."""
        if out is None:
            return self.phi(u_breve)
        for a, b, act in self.groups:
            act.apply(u_breve[a:b], out=out[a:b])
        return out


def _layer_stack(values: list, dtype: Any) -> Optional[np.ndarray]:
    """Per-layer values as an (L, 1, 1) stack; None if all are zero (off)."""
    stack = np.array(values, dtype)[:, None, None]
    return stack if stack.any() else None


@dataclass
class StackedParams:
    """Weights in the stacked layout: ``W`` (L, n, n), ``R`` recurrent (L, n, n)
    or None, ``b`` (L, 1, n), and the error-path matrices ``B`` of the forward
    and ``BR`` of the recurrent projections (``B is W``, ``BR is R`` for
    mirrored feedback). Fixed point: 8-bit mantissas, with the exponents
    ``W_exp`` (of ``W`` and ``b``) and ``B_exp`` per layer (L, 1, 1); None
    in float."""

    W: Array
    b: Array
    R: Optional[Array]
    B: Array
    BR: Optional[Array] = None
    W_exp: Optional[np.ndarray] = None
    B_exp: Optional[np.ndarray] = None

    def arrays(self) -> list:
        """The trainable arrays, in a fixed order."""
        return [self.W, self.b] + ([self.R] if self.R is not None else [])


@dataclass
class StackedState:
    """``(L, B, n)`` stacks of u, v, r (what is sent: rates or spikes),
    e_breve, phi' and the spike encoders' accumulators; e_target (B, n);
    ``e_in``: the error input of the last step (the e-prop learning signal);
    ``u_breve``: the prospective membrane of the last step (numpy float: a
    buffer the next step overwrites)."""

    u: Array
    v: Array
    r: Array
    e_breve: Array
    phi_prime: Optional[Array]
    e_target: Array
    spike_acc: Array
    e_in: Optional[Array] = None
    u_breve: Optional[Array] = None

    def copy(self) -> "StackedState":
        """The state with arrays of its own (numpy)."""
        values = (getattr(self, field.name) for field in fields(self))
        return StackedState(*(None if value is None else arrays.copy(value) for value in values))


class StackedNetwork:
    """A chain ``NetworkSpec`` (optionally self-recurrent layers) in stacked
    form, stepped in the arithmetic ``arith`` (``dtype``: the float dtype).

    ``input_timing``: ``"delayed"``, the first population reads the input
    through a synapse like every other, ``x[t-1]`` at step ``t`` (the
    simulator's and the Lava processes' timing); ``"current"``, it reads
    ``x[t]`` in the same step (the GLE reference's timing,
    ``docs/model.md`` section 3).
    """

    def __init__(self, spec: NetworkSpec, dtype: Any = np.float32, arith: Arithmetic = F,
                 input_timing: str = "delayed"):
        check_choice("input_timing", input_timing, INPUT_TIMINGS)
        self.spec = spec
        self.input_timing = input_timing
        self.A = arith
        self.dtype = np.dtype(arith.state_dtype(dtype))
        self.n_layers = spec.n_layers
        self.width = max(spec.sizes)
        tau_m = np.ones((self.n_layers, self.width))
        tau_r = np.ones((self.n_layers, self.width))
        for l, layer in enumerate(spec.layers):
            tm, tr = layer.time_constants()
            # padded neurons (inert) take the layer's first time constants
            tau_m[l], tau_r[l] = np.ravel(tm)[0], np.ravel(tr)[0]
            tau_m[l, :layer.size], tau_r[l, :layer.size] = tm, tr
        self.constants = {k: v[:, None, :].astype(self.dtype)
                          for k, v in arith.neuron_constants(spec.dt, tau_m, tau_r).items()}
        self.gamma = arith.gain(spec.gamma, "gamma")
        groups, start = [], 0
        for l in range(1, self.n_layers + 1):
            name = spec.layers[l - 1].activation
            if l == self.n_layers or spec.layers[l].activation != name:
                groups.append((start, l, arith.activation(name)))
                start = l
        self.activation = StackedActivation(groups)
        self.recurrent = any(layer.recurrent for layer in spec.layers)
        # 1 for layers that have a recurrent projection: R of the others stays zero
        self.recurrent_mask = np.array([float(layer.recurrent) for layer in spec.layers],
                                       self.dtype)[:, None, None]
        self.spiking = _layer_stack([layer.spiking for layer in spec.layers], bool)
        # sigma-delta thresholds; 0 holds nothing back, so one stack serves all layers
        self.sigma_delta = _layer_stack([arith.threshold(layer.sigma_delta)
                                         for layer in spec.layers], self.dtype)
        self.error_sigma_delta = _layer_stack(
            [arith.threshold(layer.error_sigma_delta) for layer in spec.layers], self.dtype)
        self.on_torch, self.device = False, None  # numpy (see to_torch)

    def to_torch(self, device: str = "cpu") -> "StackedNetwork":
        """A copy that steps torch tensors on ``device`` (BPTT; VLE on a torch
        device): its constants and masks are tensors there."""
        import copy

        clone = copy.copy(self)
        clone.on_torch, clone.device, clone._buffers = True, device, None
        clone.constants = {k: arrays.on_device(v, device) for k, v in self.constants.items()}
        for name in ("spiking", "sigma_delta", "error_sigma_delta", "recurrent_mask"):
            if getattr(self, name) is not None:
                setattr(clone, name, arrays.on_device(getattr(self, name), device))
        return clone

    def as_array(self, x: Any) -> Array:
        """``x`` (numpy) in this network's dtype and array library (and device)."""
        if self.on_torch:
            return arrays.on_device(x, self.device, self.dtype)
        return np.asarray(x, self.dtype)

    # --- layout conversion ------------------------------------------------------
    def pack(self, params: FloatParams) -> StackedParams:
        """FloatParams -> stacked arrays (zero padding; torch tensors on the
        device after :meth:`to_torch`)."""
        L, n = self.n_layers, self.width
        W = np.zeros((L, n, n), self.dtype)
        R = np.zeros((L, n, n), self.dtype) if self.recurrent else None
        B = np.zeros((L, n, n), self.dtype)
        b = np.zeros((L, 1, n), self.dtype)
        BR = np.zeros((L, n, n), self.dtype) if self.recurrent else None
        for k, proj in enumerate(self.spec.projections):
            w, forward = params.weights[k], proj.pre == proj.post - 1
            (W if forward else R)[proj.post - 1, :w.shape[0], :w.shape[1]] = w
            if params.feedback[k] is not None:
                (B if forward else BR)[proj.post - 1, :w.shape[0], :w.shape[1]] = params.feedback[k]
        for l, bias in enumerate(params.biases):
            b[l, 0, :bias.size] = bias
        if self.spec.feedback == "mirrored":
            B, BR = W, R
        if self.spec.recurrent_error not in ("loop", "stable"):
            BR = None
        stacked = (W, b, R, B, BR)
        if self.on_torch:  # tensors on the device; mirrored B stays W itself
            moved = {id(a): self.as_array(a) for a in stacked if a is not None}
            stacked = tuple(None if a is None else moved[id(a)] for a in stacked)
        return StackedParams(*stacked)

    def unpack(self, stacked: StackedParams, like: FloatParams) -> FloatParams:
        """Stacked arrays -> FloatParams with the shapes of ``like``."""
        as_np = (lambda a: a if isinstance(a, np.ndarray) else a.detach().cpu().numpy())
        W, b = as_np(stacked.W), as_np(stacked.b)
        R = None if stacked.R is None else as_np(stacked.R)
        weights = []
        for k, proj in enumerate(self.spec.projections):
            rows, cols = like.weights[k].shape
            source = W if proj.pre == proj.post - 1 else R
            weights.append(source[proj.post - 1, :rows, :cols].astype(np.float64))
        biases = [b[l, 0, :bias.size].astype(np.float64) for l, bias in enumerate(like.biases)]
        return FloatParams(weights, biases, [None if f is None else f.copy() for f in like.feedback])

    def pad_input(self, x: np.ndarray, out: Optional[np.ndarray] = None) -> Array:
        """(..., n_in) -> (..., n) zero-padded, in this network's dtype and
        array library (numpy: written into ``out``, whose padding is zero, if given)."""
        if out is not None:
            out[..., :x.shape[-1]] = x
            return out
        if not arrays.is_numpy(x):  # a tensor on this network's device
            import torch.nn.functional as nnf

            return nnf.pad(x, (0, self.width - x.shape[-1]))
        padded = np.zeros(x.shape[:-1] + (self.width,), self.dtype)
        padded[..., :x.shape[-1]] = x
        return self.as_array(padded) if self.on_torch else padded

    def initial_state(self, batch: int) -> StackedState:
        """All compartments at rest, phi' = phi'(0)."""
        zeros = lambda *shape: self.as_array(np.zeros(shape, self.dtype))  # noqa: E731
        stack = (self.n_layers, batch, self.width)
        rest = zeros(*stack)
        phi_prime = self.A.phi_prime(self.activation, rest, self.A.phi(self.activation, rest))
        return StackedState(zeros(*stack), zeros(*stack), zeros(*stack), zeros(*stack),
                            phi_prime, zeros(batch, self.width), zeros(*stack))

    @staticmethod
    def take_batch(source: StackedState, batch: int, rest: StackedState) -> StackedState:
        """``source`` for a batch of ``batch`` sequences: its first ``batch``
        rows, completed from ``rest`` (a state of that batch size) where
        ``source`` has fewer."""
        def take(a: Array, b: Array, axis: int) -> Array:
            out = arrays.copy(b)
            n = min(batch, a.shape[axis])
            index = (slice(None),) * axis + (slice(0, n),)
            out[index] = a[index]
            return out

        values = []
        for field in fields(StackedState):
            a, b = getattr(source, field.name), getattr(rest, field.name)
            values.append(None if a is None or b is None else take(a, b, 0 if a.ndim == 2 else 1))
        return StackedState(*values)

    @staticmethod
    def tile_batch(source: StackedState, batch: int) -> StackedState:
        """``source``'s sequences repeated, in order, to fill a batch of
        ``batch`` (row ``i`` is source row ``i mod B``); the GLE reference's
        way of continuing one state into a batch of another size."""
        rows = np.arange(batch) % source.u.shape[1]
        values = [None if a is None else arrays.take_rows(a, rows, 0 if a.ndim == 2 else 1)
                  for a in (getattr(source, field.name) for field in fields(StackedState))]
        return StackedState(*values)

    def _constants_for(self, like: Array) -> dict:
        """Constants expanded to the state's (L, B, n) shape (numpy).

        Same-shape elementwise products run about twice as fast as ones
        broadcasting a (L, 1, n) array over the batch.
        """
        if not isinstance(like, np.ndarray):
            return self.constants
        if getattr(self, "_expanded_shape", None) != like.shape:
            self._expanded = {k: np.ascontiguousarray(np.broadcast_to(v, like.shape))
                              for k, v in self.constants.items()}
            self._expanded_shape = like.shape
        return self._expanded

    # --- one step and the time loop ------------------------------------------------
    def step(self, state: StackedState, p: StackedParams, x_prev: Array,
             errors: bool = True) -> tuple[StackedState, Array]:
        """One network step: the functions of :mod:`lava_vle.dynamics` on the
        stacks. Returns the new state and ``rates_pre`` (L, B, n), the
        presynaptic rates ``r_pre(t-1)`` of every forward projection.

        ``x_prev`` is the padded input of the previous step (B, n);
        ``errors=False`` skips the error dendrites (inference, BPTT).
        """
        A, c = self.A, self._constants_for(state.u)
        buf = self._buffers_for(state)
        out = buf.next_slot(state) if buf is not None else dict.fromkeys(_StepBuffers.SLOT)
        tmp = buf if buf is not None else _StepBuffers.NONE
        rates_pre = _cat([x_prev[None], state.r[:-1]], out=tmp.rates_pre)
        drive = [synaptic_drive(A, p.W, p.W_exp, p.b, rates_pre, out=tmp.drive)]
        if p.R is not None:
            drive.append(synaptic_drive(A, p.R, None, None, state.r))
        v, e_breve, e_in, gamma = state.v, state.e_breve, None, 0.0
        if errors:
            B_exp = None if p.B_exp is None else p.B_exp[1:]
            e_in = [_error_input(A, p.B[1:], B_exp, state.e_breve[1:], state.e_target,
                                 out["e_in"])]
            if p.BR is not None:
                e_in.append(self._recurrent_error(p, state))
            e_in = A.total(e_in, out=out["e_in"])
            v, e_breve = error_dendrite(A, c, state.v, e_in, state.phi_prime,
                                        out=None if buf is None else (out["v"], out["e_breve"]))
            e_breve = sent_error(A, e_breve, state.e_breve, self.error_sigma_delta)
            gamma = self.gamma
        u, u_breve, r = representation_neuron(
            A, c, self.activation, state.u, neuron_input(A, drive, e_breve, gamma, out=tmp.drive),
            out=None if buf is None else (out["u"], tmp.u_breve, out["r"]))
        phi_prime = A.phi_prime(self.activation, u_breve, r, out=out["phi_prime"]) if errors else None
        acc, r = sent_rate(A, r, state.r, state.spike_acc, self.spiking, self.sigma_delta)
        return StackedState(u, v, r, e_breve, phi_prime, state.e_target, acc, e_in,
                            u_breve), rates_pre

    def _buffers_for(self, state: StackedState) -> Optional["_StepBuffers"]:
        """The step's preallocated arrays for the state's shape (numpy; None on torch)."""
        if not isinstance(state.u, np.ndarray):
            return None
        if getattr(self, "_buffers", None) is None or self._buffers.shape != state.u.shape:
            self._buffers = _StepBuffers(state.u.shape, self.dtype)
        return self._buffers

    def _recurrent_error(self, p: StackedParams, state: StackedState) -> Array:
        """``BR^T e_breve(t-1)`` of the recurrent projections (``"loop"``), or
        ``c BR^T v(t-1)`` (``"stable"``, :func:`recurrent_loop_gain`)."""
        if self.spec.recurrent_error == "stable":
            gain = self.as_array(recurrent_loop_gain(F, arrays.to_numpy(p.BR)))
            return stable_recurrent_error(F, p.BR, None, state.v, gain)
        return F.backward(p.BR, None, state.e_breve)

    def run(self, p: StackedParams, x: np.ndarray, state: Optional[StackedState] = None,
            errors: bool = False, on_step: Optional[StepHook] = None,
            x_prev: Optional[np.ndarray] = None) -> tuple[Array, StackedState]:
        """Step through ``x`` (T, B, n_in); returns the outputs (T, B, n_out)
        and the final state (numpy: a copy, the step's buffers are reused).
        The one time loop of VLE training, BPTT and evaluation:
        ``on_step(t, state, rates_pre, rates_before)`` runs after step ``t``
        (to set the output error and learn). ``state`` and ``x_prev`` (the
        input of the step before ``x[0]``, (B, n_in); unused with
        ``input_timing="current"``) continue an earlier run; default: at
        rest, zero input."""
        state = self.initial_state(x.shape[1]) if state is None else state
        # the padded input of the previous step; numpy refills one buffer (the
        # step has copied it), so memory does not grow with the sequence
        prev = self.input_in_flight(x, x_prev)
        source = self.as_array(x) if self.on_torch else x  # on the device once
        outputs = [] if self.on_torch else np.empty(x.shape[:2] + (self.spec.n_out,), self.dtype)
        for t in range(x.shape[0]):
            before = state.r
            state, rates_pre, prev = self.advance(state, p, prev, source[t], errors)
            if on_step is not None:
                on_step(t, state, rates_pre, before)
            if self.on_torch:
                outputs.append(self.outputs(state))
            else:
                outputs[t] = self.outputs(state)
        if self.on_torch:
            return _torch_stack(outputs), state
        # the step's buffers are reused by the next run: hand out a copy
        return outputs, state.copy()

    def input_in_flight(self, x: np.ndarray, x_prev: Optional[np.ndarray] = None) -> Array:
        """The padded input in flight before ``x[0]`` (T, B, n_in): ``x_prev``
        (B, n_in), or zero."""
        return self.pad_input(np.zeros_like(x[0]) if x_prev is None else np.array(x_prev))

    def advance(self, state: StackedState, p: StackedParams, prev: Array, x_t: Array,
                errors: bool) -> tuple[StackedState, Array, Array]:
        """One step of :meth:`run` on the input ``x_t`` (B, n_in): the first
        population reads it in this step (``input_timing="current"``) or in
        the next, through a synapse (``prev``, the padded input in flight;
        numpy refills it). Returns the new state, ``rates_pre`` and the
        input in flight after the step."""
        refill = None if self.on_torch else prev
        if self.input_timing == "current":
            prev = self.pad_input(x_t, refill)
        state, rates_pre = self.step(state, p, prev, errors)
        if self.input_timing != "current":
            prev = self.pad_input(x_t, refill)
        return state, rates_pre, prev

    def loss_scales(self, weight: np.ndarray) -> Array:
        """``beta w_t`` of every step of ``weight`` (T,), in this network's
        array library: the ``scale`` of :meth:`scaled_output_error`."""
        return self.as_array(loss_scale(self.A, self.spec.beta, weight))

    def output_error(self, state: StackedState, target: np.ndarray,
                     weight: Any) -> StackedState:
        """Set the target error ``beta w_t (y - prediction)`` (padded to n)
        for the next step."""
        scale = loss_scale(self.A, self.spec.beta, weight)
        return self.scaled_output_error(state, target, self.as_array(scale) if self.on_torch
                                        else scale)

    def scaled_output_error(self, state: StackedState, target: Array,
                            scale: Array) -> StackedState:
        """Set the target error ``scale (y - prediction)`` (padded to n), with
        ``scale = beta w_t`` already in this network's array library."""
        n_out = self.spec.n_out
        e_target = arrays.zeros_like(state.e_target)
        e_target[:, :n_out] = self.A.output_error(self.spec.loss, state.r[-1][:, :n_out], target,
                                             scale)
        state.e_target = e_target
        return state

    def outputs(self, state: StackedState) -> Array:
        return state.r[-1][:, :self.spec.n_out]


class _StepBuffers:
    """Preallocated numpy arrays of :meth:`StackedNetwork.step`.

    Two slots of state arrays take turns, so the state a step returns stays
    valid through the next step (which reads it) and is overwritten by the
    one after: copy a state to keep it longer. ``rates_pre``, ``drive`` and
    ``u_breve`` are the step's temporaries (``rates_pre`` is valid until the
    next step).
    """

    SLOT = ("u", "v", "r", "e_breve", "phi_prime", "e_in")
    NONE = SimpleNamespace(rates_pre=None, drive=None, u_breve=None)  # torch: allocate

    def __init__(self, shape: tuple, dtype: Any):
        self.shape = shape
        self.slots = [{name: np.zeros(shape, dtype) for name in self.SLOT} for _ in range(2)]
        self.rates_pre, self.drive, self.u_breve = (np.zeros(shape, dtype) for _ in range(3))

    def next_slot(self, state: StackedState) -> dict:
        """The slot whose arrays ``state`` does not hold."""
        first, second = self.slots
        return second if state.u is first["u"] else first


def _torch_stack(tensors: list) -> Any:
    import torch

    return torch.stack(tensors)
