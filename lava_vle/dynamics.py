"""One Euler step of a VLE network, written once for float and fixed point.

Per population ``l`` (``vle-model.md`` section 3), from the previous step's
state and the one-step-delayed inputs of every projection:

    a_l      = b_l + sum_{k: pre -> l} W_k r_pre(t-1)          synaptic input
    e_in_l   = sum_{k: l -> post} B_k^T e_breve_post(t-1)      error input
               (+ e_target(t-1) for the output population)
    e_inst   = phi'(u_breve(t-1)) * e_in
    e_breve  = v + (tau_m/tau_r)(e_inst - v)                   prospective error
    v       += (dt/tau_r)(e_inst - v)
    I        = a + gamma * e_breve                             nudged drive
    u_breve  = u + (tau_r/tau_m)(I - u)                        prospective membrane
    u       += (dt/tau_m)(I - u)
    r        = phi(u_breve)

``B_k = W_k`` for mirrored feedback, a fixed random matrix otherwise. The
output population then computes its target error for the next step. The
local plasticity rule (``dW_k = eta m e_breve_post(t) r_pre(t-1)^T``) lives
in :mod:`lava_vle.plasticity`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.activations import Activation, get_activation
from lava_vle.arithmetic import FixedArithmetic, FloatArithmetic, neuron_constants, scale_to_fixed
from lava_vle.network import NetworkSpec

Array = Any


@dataclass(frozen=True)
class Synapses:
    """What one step reads from the synapses, in the arithmetic's own units.

    Float: real matrices (``exps`` are None). Fixed: 8-bit mantissas and
    their exponents. ``backward[k]`` is the matrix of projection ``k``'s
    error path (None where the presynaptic population is the input).
    """

    forward: Sequence[Array]
    forward_exp: Sequence[Optional[int]]
    backward: Sequence[Optional[Array]]
    backward_exp: Sequence[Optional[int]]
    bias: Sequence[Array]
    bias_exp: Sequence[Optional[int]]


@dataclass(frozen=True)
class NetworkState:
    """State of every population after a step (index 0 of ``rates`` is the input).

    Lists are indexed by population ``l = 1..L`` at position ``l - 1``,
    except ``rates`` which holds populations ``0..L``.
    """

    u: tuple
    v: tuple
    u_breve: tuple
    e_breve: tuple
    phi_prime: tuple
    rates: tuple
    e_target: Array


class VLEDynamics:
    """The VLE network step for one spec in one arithmetic."""

    def __init__(self, spec: NetworkSpec, fixed: bool = False, dtype: Any = np.float64):
        self.spec = spec
        self.fixed = fixed
        self.arith = FixedArithmetic if fixed else FloatArithmetic
        self.activations: list[Activation] = [
            get_activation(layer.activation, fixed_point=fixed) for layer in spec.layers]
        self.constants = [neuron_constants(spec.dt, *layer.time_constants(), fixed=fixed)
                          for layer in spec.layers]
        if not fixed:
            self.constants = [{k: v.astype(dtype) for k, v in c.items()}
                              for c in self.constants]
        self.gamma = scale_to_fixed(spec.gamma, "gamma") if fixed else spec.gamma
        self.into = [[k for k, p in enumerate(spec.projections) if p.post == l]
                     for l in range(spec.n_layers + 1)]
        self.out_of = [[k for k, p in enumerate(spec.projections) if p.pre == l]
                       for l in range(spec.n_layers + 1)]

    def loss_scale(self, weight: np.ndarray) -> np.ndarray:
        """``beta * w_t`` in the arithmetic's units (16-bit gain in fixed point)."""
        scale = self.spec.beta * np.asarray(weight, dtype=np.float64)
        return scale_to_fixed(scale, "beta * loss_weight") if self.fixed else scale

    def initial_state(self, batch: int, dtype: Any = np.float64,
                      zeros: Any = None) -> NetworkState:
        """All compartments at rest (zero), phi' evaluated at u_breve = 0.

        ``zeros(n)`` may build the (batch, n) zero arrays of another array
        library (torch for BPTT); phi' is then left unset.
        """
        sizes = self.spec.sizes
        if zeros is None:  # numpy: the error dendrites need phi'(0)
            dtype = np.int64 if self.fixed else dtype
            zeros = lambda n: np.zeros((batch, n), dtype=dtype)  # noqa: E731
            layer_zeros = tuple(zeros(n) for n in sizes[1:])
            phi_prime = tuple(self.arith.phi_prime(act, z)
                              for act, z in zip(self.activations, layer_zeros))
        else:  # e.g. torch zeros for the error-free BPTT forward pass
            layer_zeros = tuple(zeros(n) for n in sizes[1:])
            phi_prime = (None,) * len(layer_zeros)
        return NetworkState(u=layer_zeros, v=layer_zeros, u_breve=layer_zeros,
                            e_breve=layer_zeros, phi_prime=phi_prime,
                            rates=tuple(zeros(n) for n in sizes),
                            e_target=zeros(sizes[-1]))

    def step(self, state: NetworkState, syn: Synapses, x_now: Array,
             target: Optional[np.ndarray] = None,
             loss_scale: Any = None, errors: bool = True) -> NetworkState:
        """Advance the network by one step (see the module docstring).

        ``x_now`` becomes population 0's rate for the next step. ``target``
        and ``loss_scale`` (``beta * w_t``, per sample or scalar) set the
        output error sent back at the next step (a zero ``loss_scale`` sends
        none). ``errors=False`` skips the
        error dendrites (pure inference, used by the BPTT baseline).
        """
        A = self.arith
        spec = self.spec
        n_layers = spec.n_layers
        new_u, new_v, new_ub, new_eb, new_pp, new_r = [], [], [], [], [], [x_now]
        for l in range(1, n_layers + 1):
            c = self.constants[l - 1]
            act = self.activations[l - 1]
            drive = A.bias(syn.bias[l - 1], syn.bias_exp[l - 1])
            for k in self.into[l]:
                pre = spec.projections[k].pre
                drive = A.add(drive, A.forward(syn.forward[k], syn.forward_exp[k],
                                               state.rates[pre]))
            u, v = state.u[l - 1], state.v[l - 1]
            if errors:
                e_in = state.e_target if l == n_layers else None
                for k in self.out_of[l]:
                    post = spec.projections[k].post
                    back = A.backward(syn.backward[k], syn.backward_exp[k],
                                      state.e_breve[post - 1])
                    e_in = back if e_in is None else A.add(e_in, back)
                e_inst = A.scale(e_in, state.phi_prime[l - 1])
                e_breve = A.relax(v, e_inst, c["k_e"])
                v = A.relax(v, e_inst, c["k_v"])
                if spec.gamma:
                    drive = A.add(drive, A.scale(e_breve, self.gamma))
            else:
                e_breve = state.e_breve[l - 1]
            u_breve = A.relax(u, drive, c["k_r"])
            u = A.relax(u, drive, c["k_m"])
            new_u.append(u)
            new_v.append(v)
            new_ub.append(u_breve)
            new_eb.append(e_breve)
            new_r.append(A.phi(act, u_breve))
            new_pp.append(A.phi_prime(act, u_breve) if errors else None)
        e_target = state.e_target
        if errors:
            e_target = A.output_error(spec.loss, new_r[-1], target, loss_scale)
        return NetworkState(u=tuple(new_u), v=tuple(new_v), u_breve=tuple(new_ub),
                            e_breve=tuple(new_eb), phi_prime=tuple(new_pp),
                            rates=tuple(new_r), e_target=e_target)

