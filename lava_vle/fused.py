"""Fused float simulation: all populations advance in a few stacked array ops.

With one synaptic delay per projection, every population updates from the
previous step's state, so the whole network can step at once. Populations
are padded to a common width ``n`` and stacked on a leading layer axis
``(L, B, n)``; weights become ``(L, n, n)`` stacks (projection ``l`` maps
population ``l-1`` to ``l``). The compartments are the very functions of
:mod:`lava_vle.dynamics` (:func:`representation_neuron`,
:func:`error_dendrite`) with :class:`FloatArithmetic`, applied to the stacks;
padded neurons have zero weights and stay at zero. Works on numpy arrays
(training with the local rule) and torch tensors (BPTT); a test checks it
against :class:`lava_vle.simulator.Simulator`.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Optional

import numpy as np

from lava_vle.activations import Activation, get_activation
from lava_vle.arithmetic import FloatArithmetic, neuron_constants
from lava_vle.dynamics import error_dendrite, representation_neuron
from lava_vle.network import FloatParams, NetworkSpec

Array = Any


def _cat(arrays: list) -> Array:
    if isinstance(arrays[0], np.ndarray):
        return np.concatenate(arrays)
    import torch

    return torch.cat(arrays)


def _swap(x: Array) -> Array:
    """Transpose the last two axes."""
    return x.swapaxes(-1, -2) if isinstance(x, np.ndarray) else x.transpose(-1, -2)


class StackedActivation(Activation):
    """phi of a layer stack: each run of layers with one activation gets its own."""

    def __init__(self, groups: list[tuple[int, int, Activation]]):
        self.groups = groups

        def apply(attr: str):
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

        super().__init__("stacked", phi=apply("phi"), phi_prime=apply("phi_prime"))

    def slopes(self, u_breve: np.ndarray, rate: np.ndarray) -> np.ndarray:
        """phi'(u_breve), reusing ``rate = phi(u_breve)`` where an identity allows.

        tanh' = 1 - tanh^2 = 1 - r^2 saves a second tanh; linear' = 1.
        """
        out = np.empty_like(u_breve)
        for a, b, act in self.groups:
            if act.name == "tanh":
                out[a:b] = 1.0 - rate[a:b] * rate[a:b]
            elif act.name == "linear":
                out[a:b] = 1.0
            else:
                out[a:b] = act.phi_prime(u_breve[a:b])
        return out


@dataclass
class StackedParams:
    """Weights in the stacked layout: ``W`` (L, n, n), ``R`` recurrent (L, n, n)
    or None, ``b`` (L, 1, n), and the error-path matrices ``B`` of the forward
    and ``BR`` of the recurrent projections (``B is W``, ``BR is R`` for
    mirrored feedback)."""

    W: Array
    b: Array
    R: Optional[Array]
    B: Array
    BR: Optional[Array] = None

    def arrays(self) -> list:
        """The trainable arrays, in a fixed order."""
        return [self.W, self.b] + ([self.R] if self.R is not None else [])


@dataclass
class StackedState:
    """``(L, B, n)`` stacks of u, v, r (what is sent: rates or spikes),
    e_breve, phi' and the spike encoders' accumulators; e_target (B, n)."""

    u: Array
    v: Array
    r: Array
    e_breve: Array
    phi_prime: Optional[Array]
    e_target: Array
    spike_acc: Array


class StackedNetwork:
    """A chain ``NetworkSpec`` (optionally self-recurrent layers) in stacked form."""

    def __init__(self, spec: NetworkSpec, dtype: Any = np.float32):
        self.spec = spec
        self.dtype = np.dtype(dtype)
        self.n_layers = spec.n_layers
        self.width = max(spec.sizes)
        tau_m = np.ones((self.n_layers, self.width))
        tau_r = np.ones((self.n_layers, self.width))
        for l, layer in enumerate(spec.layers):
            tau_m[l, :layer.size], tau_r[l, :layer.size] = layer.time_constants()
        tau_m, tau_r = np.maximum(tau_m, spec.dt), np.maximum(tau_r, spec.dt)
        self.constants = {k: v[:, None, :].astype(self.dtype)
                          for k, v in neuron_constants(spec.dt, tau_m, tau_r, False).items()}
        groups, start = [], 0
        for l in range(1, self.n_layers + 1):
            name = spec.layers[l - 1].activation
            if l == self.n_layers or spec.layers[l].activation != name:
                groups.append((start, l, get_activation(name)))
                start = l
        self.activation = StackedActivation(groups)
        self.recurrent = any(layer.recurrent for layer in spec.layers)
        # 1 for layers that have a recurrent projection: R of the others stays zero
        self.recurrent_mask = np.array([float(layer.recurrent) for layer in spec.layers],
                                       self.dtype)[:, None, None]
        spiking = np.array([layer.spiking for layer in spec.layers], self.dtype)
        self.spiking = spiking[:, None, None] if spiking.any() else None
        # sigma-delta thresholds; 0 holds nothing back, so one stack serves all layers
        thresholds = np.array([layer.sigma_delta for layer in spec.layers], self.dtype)
        self.sigma_delta = thresholds[:, None, None] if thresholds.any() else None
        thresholds = np.array([layer.error_sigma_delta for layer in spec.layers], self.dtype)
        self.error_sigma_delta = thresholds[:, None, None] if thresholds.any() else None

    def to_torch(self) -> "StackedNetwork":
        """A copy whose constants are torch tensors (for the BPTT baseline)."""
        import copy

        import torch

        clone = copy.copy(self)
        clone.constants = {k: torch.from_numpy(v) for k, v in self.constants.items()}
        if self.spiking is not None:
            clone.spiking = torch.from_numpy(self.spiking)
        if self.sigma_delta is not None:
            clone.sigma_delta = torch.from_numpy(self.sigma_delta)
        if self.error_sigma_delta is not None:
            clone.error_sigma_delta = torch.from_numpy(self.error_sigma_delta)
        return clone

    # --- layout conversion ------------------------------------------------------
    def pack(self, params: FloatParams) -> StackedParams:
        """FloatParams -> stacked numpy arrays (zero padding)."""
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
        if self.spec.recurrent_error == "none":
            BR = None
        return StackedParams(W, b, R, B, BR)

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

    def pad_input(self, x: Array) -> Array:
        """(T, B, n_in) -> (T, B, n) zero-padded (numpy)."""
        pad = self.width - x.shape[-1]
        return np.pad(x, ((0, 0), (0, 0), (0, pad))).astype(self.dtype)

    def initial_state(self, batch: int, zeros: Any = None) -> StackedState:
        if zeros is None:
            zeros = lambda *shape: np.zeros(shape, self.dtype)  # noqa: E731
        stack = (self.n_layers, batch, self.width)
        phi_prime = self.activation.phi_prime(zeros(*stack)) if isinstance(zeros(1), np.ndarray) \
            else None
        return StackedState(zeros(*stack), zeros(*stack), zeros(*stack), zeros(*stack),
                            phi_prime, zeros(batch, self.width), zeros(*stack))

    @staticmethod
    def take_batch(source: StackedState, batch: int, rest: StackedState) -> StackedState:
        """``source`` for a batch of ``batch`` sequences: its first ``batch``
        rows, completed from ``rest`` (a state of that batch size) where
        ``source`` has fewer."""
        def take(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
            out = b.copy()
            n = min(batch, a.shape[axis])
            index = (slice(None),) * axis + (slice(0, n),)
            out[index] = a[index]
            return out

        values = []
        for field in fields(StackedState):
            a, b = getattr(source, field.name), getattr(rest, field.name)
            values.append(None if a is None else take(a, b, 0 if a.ndim == 2 else 1))
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

    # --- one step ---------------------------------------------------------------
    def step(self, state: StackedState, p: StackedParams, x_prev: Array,
             errors: bool = True) -> tuple[StackedState, Array]:
        """One network step; returns the new state and the presynaptic stack.

        ``x_prev`` is the padded input of the previous step (B, n). The
        returned ``rates_pre`` (L, B, n) is ``r_pre(t-1)`` of every forward
        projection, which the local rule needs.
        """
        F = FloatArithmetic
        c = self._constants_for(state.u)
        rates_pre = _cat([x_prev[None], state.r[:-1]])
        # a contiguous W^T makes the stacked matmul a BLAS call (2x faster)
        w_t = np.ascontiguousarray(_swap(p.W)) if isinstance(p.W, np.ndarray) else _swap(p.W)
        drive = rates_pre @ w_t + p.b
        if p.R is not None:
            drive = drive + state.r @ _swap(p.R)
        v, e_breve = state.v, state.e_breve
        if errors:
            e_in = _cat([state.e_breve[1:] @ p.B[1:], state.e_target[None]])
            if p.BR is not None:
                e_in = e_in + state.e_breve @ p.BR
            v, e_breve = error_dendrite(F, c, state.v, e_in, state.phi_prime)
            if self.error_sigma_delta is not None:
                e_breve = F.sigma_delta(e_breve, state.e_breve, self.error_sigma_delta)
            if self.spec.gamma:
                drive = drive + self.spec.gamma * e_breve
        u, u_breve, r = representation_neuron(F, c, self.activation, state.u, drive)
        phi_prime = self.activation.slopes(u_breve, r) if errors else None
        acc = state.spike_acc
        if self.spiking is not None:  # spiking layers send their encoder's spikes
            acc, spikes = F.spike_encode(acc, r)
            r = r + self.spiking * (spikes - r)
            acc = acc * self.spiking
        if self.sigma_delta is not None:
            r = F.sigma_delta(r, state.r, self.sigma_delta)
        return StackedState(u, v, r, e_breve, phi_prime, state.e_target, acc), rates_pre

    def output_error(self, state: StackedState, target: np.ndarray,
                     scale: np.ndarray) -> StackedState:
        """Set the target error ``scale (y - prediction)`` (padded to n) for the next step."""
        n_out = self.spec.n_out
        e_target = np.zeros_like(state.e_target)
        e_target[:, :n_out] = FloatArithmetic.output_error(
            self.spec.loss, state.r[-1][:, :n_out], target, self.spec.beta * scale)
        state.e_target = e_target
        return state

    def outputs(self, state: StackedState) -> Array:
        return state.r[-1][:, :self.spec.n_out]
