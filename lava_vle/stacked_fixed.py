"""A feed-forward chain in Loihi 2's integers, every layer at once.

:class:`~lava_vle.stacked.StackedNetwork` with
:class:`~lava_vle.arithmetic.FixedArithmetic` steps the populations as
``(L, B, n)`` stacks; this module adds what the one-process Lava model
keeps between steps and the local rule's integer update on the stacks:

    acc_l  = sat16(acc_l + SR(N y_l^T [x_l, 1], S_l))      every projection at once

one ``(L, n, n + 1)`` stack of 16-bit accumulators (the bias is the last
column, a weight from an always-on rate ``ONE``), shifted by each layer's
``S_l`` (:func:`~lava_vle.fixed_point.update_shift`) and rounded with each
projection's hash stream keyed by the unpadded synapse index ``i (n_pre +
1) + j``. So it equals :meth:`lava_vle.simulator.Simulator.step` (and the
composed fixed_pt processes) bit for bit, in a handful of array calls
instead of a dozen per population. Chains only: no recurrent, skip or
e-prop projections, and widths even enough that padding at most doubles
the synapses (:func:`stackable`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import FixedArithmetic as X
from lava_vle.dynamics import NetworkState
from lava_vle.stacked import StackedNetwork, StackedParams, StackedState
from lava_vle.spec import FixedParams, NetworkSpec
from lava_vle.plasticity import LocalRule

#: per-population state the chain keeps (padded stacks (L, B, n)), then the
#: populations 0..L ones (input first) and the output error
LAYER_STATE = ("u", "v", "u_breve", "e_breve", "spike_acc", "post_trace")
WITH_INPUT = ("rates", "pre_trace")
#: every state stack, in the fused process's Var names
STATE_VARS = LAYER_STATE + WITH_INPUT + ("e_target",)
#: the accumulators, in the fused process's Var names
PLASTIC_VARS = ("weight_acc", "bias_acc")


#: the most padded synapses (and biases) the stacks may hold per real one
MAX_PADDING = 2.0


def stackable(spec: NetworkSpec) -> bool:
    """Whether the integer stacks step ``spec``: a chain (projection ``k``
    maps population ``k`` to ``k + 1``, nothing else) whose padding to the
    widest population at most doubles the synapses (``MAX_PADDING``)."""
    sizes, L = spec.sizes, spec.n_layers
    chain = (len(spec.projections) == L
             and all(p.pre == k and p.post == k + 1 for k, p in enumerate(spec.projections)))
    real = sum(sizes[l + 1] * (sizes[l] + 1) for l in range(L))
    return chain and L * max(sizes) * (max(sizes) + 1) <= MAX_PADDING * real


class FixedChain:
    """The state, accumulators and one step of a chain in fixed point.

    Arrays are zero-padded stacks: ``state[name]`` (L, B, n) for
    ``LAYER_STATE``, (L + 1, B, n) for ``WITH_INPUT`` (population 0 is the
    input), ``state["e_target"]`` (B, n); ``acc`` (L, n, n + 1). :meth:`load`
    and :meth:`store` move them from and to the flat per-population /
    per-projection layout of the fused process's Vars.
    """

    def __init__(self, spec: NetworkSpec, params: FixedParams, seed: int, batch: int = 1):
        if not stackable(spec):
            raise ValueError("FixedChain steps chains only (projection k from population k "
                             f"to k + 1) padded at most {MAX_PADDING:g}x; this spec has "
                             "recurrent or skip projections or too unequal widths")
        self.spec, self.seed, self.base = spec, int(seed), params
        self.net = net = StackedNetwork(spec, arith=X)
        L, n, sizes = spec.n_layers, net.width, spec.sizes
        self.exp = np.array(params.weight_exp, np.int64)[:, None, None]
        # the error paths (projections 1..L-1): all mirrored or all fixed random
        feedback = [f is not None for f in params.feedback_mant[1:]]
        if any(feedback) and not all(feedback):
            raise ValueError("FixedChain needs every error path mirrored or every one "
                             "random; these parameters mix the two")
        B, B_exp = np.zeros((L, n, n), np.int64), self.exp.copy()
        for k, mant in enumerate(params.feedback_mant):
            if mant is not None:
                B[k, :mant.shape[0], :mant.shape[1]] = mant
                B_exp[k] = params.feedback_exp[k]
        self.feedback = (B, B_exp) if any(feedback) else None
        self.streams = [fxp.stream_seed(self.seed, k) for k in range(L)]
        # the unpadded synapse index i (n_pre + 1) + j of every stacked accumulator
        # (padded ones: any index; their products are 0 and round to 0)
        i, j = np.arange(n)[:, None], np.arange(n + 1)[None, :]
        self.index = np.stack([i * (sizes[l] + 1) + np.minimum(j, sizes[l]) for l in range(L)])
        self.index[:, :, n] = [np.arange(n) * (sizes[l] + 1) + sizes[l] for l in range(L)]
        shapes = {name: (L, batch, n) for name in LAYER_STATE}
        shapes.update({name: (L + 1, batch, n) for name in WITH_INPUT})
        shapes["e_target"] = (batch, n)
        self.state = {name: np.zeros(shape, np.int64) for name, shape in shapes.items()}
        self.acc = np.zeros((L, n, n + 1), np.int64)
        self.always_on = np.full((L, batch, 1), fxp.ONE, np.int64)
        self._positions = self._flat_positions()
        self._params: Optional[StackedParams] = None  # of the accumulators as they are
        self.load("weight_acc", np.concatenate([a.ravel() for a in params.weight_acc]))
        self.load("bias_acc", np.concatenate(params.bias_acc))

    # --- the flat layout of the fused process's Vars -------------------------------
    def _flat_positions(self) -> dict[str, np.ndarray]:
        """Per Var name, the position in the padded stack of every flat value
        (batch of one)."""
        sizes, n, L = self.spec.sizes, self.net.width, self.spec.n_layers
        per_pop = lambda first, pops: np.concatenate(  # noqa: E731
            [(l - first) * n + np.arange(sizes[l]) for l in pops])
        weights = np.concatenate([l * n * (n + 1) + (np.arange(sizes[l + 1])[:, None] * (n + 1)
                                                      + np.arange(sizes[l])[None, :]).ravel()
                                  for l in range(L)])
        bias = np.concatenate([l * n * (n + 1) + np.arange(sizes[l + 1]) * (n + 1) + n
                               for l in range(L)])
        positions = {name: per_pop(1, range(1, L + 1)) for name in LAYER_STATE}
        positions.update({name: per_pop(0, range(L + 1)) for name in WITH_INPUT})
        positions.update(e_target=np.arange(self.spec.n_out), weight_acc=weights,
                         bias_acc=bias)
        return positions

    def _stack(self, name: str) -> np.ndarray:
        return self.acc if name in PLASTIC_VARS else self.state[name]

    def load(self, name: str, flat: np.ndarray) -> None:
        """Set stack ``name`` (a state name, ``weight_acc`` or ``bias_acc``)
        from the flat values of the fused process's Var."""
        self._stack(name).reshape(-1)[self._positions[name]] = flat
        if name in PLASTIC_VARS:
            self._params = None

    def store(self, name: str, flat: np.ndarray) -> None:
        """Write stack ``name`` into the flat Var values ``flat`` (in place)."""
        flat[...] = self._stack(name).reshape(-1)[self._positions[name]]

    def fixed_params(self) -> FixedParams:
        """The accumulators as :class:`FixedParams` (exponents and feedback
        as given to the constructor)."""
        sizes, base = self.spec.sizes, self.base
        weight_acc = [self.acc[l, :sizes[l + 1], :sizes[l]].copy() for l in range(len(sizes) - 1)]
        bias_acc = [self.acc[l, :sizes[l + 1], -1].copy() for l in range(len(sizes) - 1)]
        return FixedParams(weight_acc, list(base.weight_exp), bias_acc, list(base.bias_exp),
                           base.feedback_mant, base.feedback_exp)

    def network_state(self, learned: bool) -> NetworkState:
        """The held state per population, as :meth:`Simulator.step` returns it
        (learning traces if ``learned``; no error input, no eligibility)."""
        s, sizes, net = self.state, self.spec.sizes, self.net
        layers = lambda a: tuple(a[l, :, :sizes[l + 1]] for l in range(len(sizes) - 1))  # noqa
        with_input = lambda a: tuple(a[l, :, :n] for l, n in enumerate(sizes))  # noqa: E731
        phi_prime = X.phi_prime(net.activation, s["u_breve"], None)
        return NetworkState(
            u=layers(s["u"]), v=layers(s["v"]), u_breve=layers(s["u_breve"]),
            e_breve=layers(s["e_breve"]), phi_prime=layers(phi_prime),
            rates=with_input(s["rates"]), e_target=s["e_target"][:, :self.spec.n_out],
            spike_acc=layers(s["spike_acc"]),
            pre_trace=with_input(s["pre_trace"]) if learned else None,
            post_trace=layers(s["post_trace"]) if learned else None)

    def output(self) -> np.ndarray:
        """What the output population sent last, (n_out,) of the first sample."""
        return self.state["rates"][-1, 0, :self.spec.n_out]

    # --- one step -------------------------------------------------------------------
    def params(self) -> StackedParams:
        """The synapses as the step reads them: 8-bit mantissas of the
        accumulators (computed again after they change)."""
        if self._params is None:
            mant = fxp.accumulator_to_mantissa(self.acc)
            W, b = mant[:, :, :-1], mant[:, None, :, -1]
            B, B_exp = self.feedback if self.feedback is not None else (W, self.exp)
            self._params = StackedParams(W=W, b=b, R=None, B=B, W_exp=self.exp, B_exp=B_exp)
        return self._params

    def step(self, target: np.ndarray, scale: np.ndarray, x_now: np.ndarray,
             modulator: Optional[np.ndarray], rule: Optional[LocalRule], step: int) -> bool:
        """One time step numbered ``step``: the network from the held state,
        the output error of ``target`` (B, n_out; state units) with ``scale``
        for the next step, ``x_now`` (B, n_in) as the input's rate, and with a
        ``rule`` the learning traces and, at the end of an epoch, the update.
        Returns whether the accumulators changed."""
        s, A, net = self.state, X, self.net
        before = StackedState(u=s["u"], v=s["v"], r=s["rates"][1:], e_breve=s["e_breve"],
                              phi_prime=A.phi_prime(net.activation, s["u_breve"], None),
                              e_target=s["e_target"], spike_acc=s["spike_acc"])
        new, _ = net.step(before, self.params(), s["rates"][0])
        if rule is not None:  # x <- r_pre(t-1): the rates before this step's are written
            s["pre_trace"][...] = rule.filtered(s["pre_trace"], s["rates"])
        for name, value in (("u", new.u), ("v", new.v), ("e_breve", new.e_breve),
                            ("spike_acc", new.spike_acc)):
            s[name][...] = value
        s["u_breve"][...] = new.u_breve
        s["rates"][1:] = new.r
        s["rates"][0, :, :x_now.shape[-1]] = x_now
        n_out = self.spec.n_out
        s["e_target"][:, :n_out] = A.output_error(self.spec.loss, new.r[-1][:, :n_out], target,
                                                  scale)
        if rule is None:
            return False
        s["post_trace"][...] = rule.post_trace(s["post_trace"], new.e_breve, modulator)
        if not rule.learns_at(step):
            return False
        self._apply(rule, step)
        return True

    def _apply(self, rule: LocalRule, step: int) -> None:
        """Every projection's ``acc += SR(N y^T [x, 1], S)`` at once."""
        post = rule.epoch_factor(self.state["post_trace"])
        pre = np.concatenate([self.state["pre_trace"][:-1], self.always_on], axis=-1)
        prod = fxp.int_matmul(post.swapaxes(-1, -2), pre)
        shift = fxp.update_shift(self.exp, rule.eta[1])
        keys = np.array([fxp.hash_key(seed, step) for seed in self.streams],
                        np.uint64)[:, None, None]
        self.acc = fxp.keyed_update(self.acc, prod, shift, keys, self.index)
        self._params = None
