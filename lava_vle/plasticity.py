"""The local three-factor rule, written once for every arithmetic and layout.

    trace   = eta * m(t) * e_breve_post(t)             post-synaptic learning trace
    dW      = trace^T r_pre(t-1)                        summed over the batch
    db      = sum_batch trace                           bias: weight from an always-on rate 1

With learning epochs (``learning_epoch = N > 1``, as the Loihi 2 learning
engine runs) the synapse keeps a post trace ``y`` and a pre trace ``x`` that
relax toward ``eta m e_breve_post(t)`` and ``r_pre(t-1)`` by ``1/N`` per step
(``y += (value - y) / N``), and learns only at the end of an epoch
(``step % N == 0``, Lava's ``t_epoch``):

    dW = N * y x^T ,   db = N * sum_batch y

which is ``sum_{epoch} eta m e_post r_pre^T`` when the two factors are
uncorrelated within an epoch; ``N = 1`` is the rule above exactly.

:class:`LocalRule` holds ``eta`` in the arithmetic's units and applies the
update with the arithmetic's :meth:`~lava_vle.arithmetic.Arithmetic.plastic_update`
(fixed point: 16-bit accumulators with stochastic rounding). The batched
simulator and the plastic-synapse process models apply it per projection;
:meth:`LocalRule.accumulate_stacked` sums it over the fused trainer's layer
stacks, where the optimiser takes the place of ``eta``.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from lava_vle.arrays import is_numpy, to_numpy, zeros, zeros_like
from lava_vle.arithmetic import (Arithmetic, FloatArithmetic, bias_delta, eligibility_delta,
                                 weight_delta)
from lava_vle.validation import check_learning_epoch


TRACES = ("filtered", "sampled")


class LocalRule:
    """``dW = eta m e_post r_pre^T`` with ``eta`` in the arithmetic's units,
    applied once per learning epoch of ``learning_epoch`` steps.

    ``traces="filtered"``: the learning traces relax by ``1/N`` per step
    (module docstring); ``"sampled"``: each trace is the step's value itself,
    so an epoch's update pairs ``eta m e_post`` and ``r_pre`` of its last step
    only, as Lava's learning engine samples its ``x1`` trace.
    """

    def __init__(self, eta: float, arith: Arithmetic = FloatArithmetic,
                 learning_epoch: int = 1, traces: str = "filtered"):
        if traces not in TRACES:
            raise ValueError(f"traces={traces!r} must be one of {TRACES}")
        self.A = arith
        self.eta = arith.learning_rate(eta)
        self.learning_epoch = check_learning_epoch(learning_epoch)
        self.trace_decay = (arith.trace_decay(learning_epoch)
                            if learning_epoch > 1 and traces == "filtered" else None)

    def trace(self, e_breve: Any, modulator: Optional[Any]) -> Any:
        """``eta m e_breve`` of the post-synaptic population, (batch, n_post) or a
        (L, batch, n) stack; ``modulator`` is the third factor per sample
        (batch,), None for ``m = 1``."""
        return self.A.learning_trace(e_breve, modulator, self.eta)

    def filtered(self, trace: Any, value: Any) -> Any:
        """A learning trace after one more step: ``value`` itself for ``N = 1``
        (or sampled traces), else ``trace + (value - trace) / N``. The pre trace
        takes ``r_pre(t-1)``, the post trace ``eta m e_post(t)`` (:meth:`post_trace`)."""
        return value if self.trace_decay is None else self.A.relax(trace, value, self.trace_decay)

    def post_trace(self, trace: Any, e_post: Any, modulator: Optional[Any]) -> Any:
        """The post trace after one more step: :meth:`filtered` of ``eta m e_post(t)``."""
        return self.filtered(trace, self.trace(e_post, modulator))

    def learns_at(self, step: int) -> bool:
        """Whether time step ``step`` (counted from 1, as in Lava) ends an epoch."""
        return step % self.learning_epoch == 0

    def epoch_factor(self, post_trace: Any) -> Any:
        """``N y``: the post factor of the epoch's update."""
        return post_trace if self.learning_epoch == 1 else post_trace * self.learning_epoch

    def apply(self, weights: Any, bias: Optional[Any], post_trace: Any, pre_trace: Any,
              weight_exp: Optional[int], seed: int, step: int) -> tuple[Any, Optional[Any]]:
        """Return the weights (and bias, if any) after one epoch's update
        ``W += N y x^T`` (summed over the batch); fixed point rounds it
        stochastically by the hash of (``seed``, ``step``, synapse) and shifts
        by ``weight_exp`` (float ignores the three)."""
        return self.A.plastic_update(weights, bias, self.epoch_factor(post_trace), pre_trace,
                                     weight_exp, self.eta, seed, step)

    def accumulate_stacked(self, sums: list, post_trace: np.ndarray, pre_trace: np.ndarray,
                           rec_trace: Optional[np.ndarray] = None,
                           recurrent_mask: Optional[np.ndarray] = None) -> None:
        """Add one epoch's updates of every layer to ``sums`` = ``[dW, db(, dR)]``
        (float stacks ``(L, n, n)``, ``(L, 1, n)``, ``(L, n, n)``).

        ``pre_trace`` (L, B, n) is the trace of the forward projections'
        presynaptic rates, ``rec_trace`` that of the recurrent ones (each
        layer's own previous rates), counted only where ``recurrent_mask`` is 1.
        """
        post = self.epoch_factor(post_trace)
        sums[0] += weight_delta(post, pre_trace)
        sums[1] += bias_delta(post)[:, None, :]
        if rec_trace is not None:
            sums[2] += weight_delta(post, rec_trace) * recurrent_mask


def eligibility_step(elig_u: Any, r_pre: Any, phi_prime: Any, k_m: Any, k_r: Any,
                     arith: Arithmetic = FloatArithmetic,
                     out: Optional[tuple[Any, Any]] = None) -> tuple[Any, Any]:
    """One step of the e-prop eligibility of synapses ``W_ij`` into VLE neurons.

    The neuron's own dependence of ``r_i(t)`` on ``W_ij`` (recurrence through
    other neurons ignored, as e-prop does):

        elig_ij(t)  = phi'_i(t) (eps_ij(t-1) + k_r,i (r_j(t-1) - eps_ij(t-1)))   d r_i / d W_ij
        eps_ij(t)   = eps_ij(t-1) + k_m,i (r_j(t-1) - eps_ij(t-1))               d u_i / d W_ij

    with ``k_m = dt/tau_m``, ``k_r = tau_r/tau_m`` (the neuron's own
    relaxations, in ``arith``: fixed point uses its 12-bit decay, 16-bit
    gain and 12-bit slope). Shapes: ``elig_u`` (..., n_post, n_pre),
    ``r_pre`` (..., n_pre), ``phi_prime``, ``k_m``, ``k_r`` (..., n_post).
    Returns ``(eps, elig)``, written into ``out`` (two numpy arrays, neither
    of them ``elig_u``) when given. Per synapse this is one extra state
    variable (a Loihi 2 synaptic trace/tag).
    """
    r = r_pre[..., None, :]
    eps, elig = arith.relax_two(elig_u, r, k_m[..., :, None], k_r[..., :, None], out=out)
    return eps, arith.scale(elig, phi_prime[..., :, None], out=None if out is None else elig)


class StackedLearning:
    """The local rule over one batch on the fused trainer's stacks.

    Holds what the rule keeps between steps: the learning-epoch traces, for
    ``recurrent_error="eprop"`` the eligibility of the recurrent weights
    (``all_weights``, ``"eprop-all"``: of the forward weights and biases too,
    which then learn by e-prop instead of the local rule), and the summed
    updates ``[dW, db(, dR)]`` until :meth:`take`.
    """

    def __init__(self, rule: LocalRule, arrays: list, state_shape: tuple,
                 recurrent_mask: np.ndarray, eprop_constants: Optional[dict] = None,
                 all_weights: bool = False):
        self.rule, self.recurrent_mask = rule, recurrent_mask
        self.sums = [zeros_like(a) for a in arrays]
        state_zeros = zeros(state_shape, arrays[0])
        self.post, self.pre = state_zeros, state_zeros
        self.rec = state_zeros if len(arrays) > 2 and eprop_constants is None else None
        self.eprop = eprop_constants
        # eps per synapse of the weights learning by e-prop (a bias: from an always-on 1),
        # in the layers that have them: recurrent weights only where recurrent_mask is 1
        names = [] if eprop_constants is None else (
            (["recurrent"] if len(arrays) > 2 else []) + (["forward", "bias"] if all_weights else []))
        recurrent = np.flatnonzero(to_numpy(recurrent_mask).ravel()).tolist()
        self.layers = {name: recurrent if name == "recurrent" else slice(None) for name in names}
        self.elig = {name: eligibility_traces(
            (len(recurrent),) + tuple(state_shape[1:]) if name == "recurrent" else state_shape,
            1 if name == "bias" else state_shape[-1], arrays[0],
            eprop_constants["k_m"][self.layers[name]]) for name in names}
        self.always_on = (zeros(state_shape[:-1] + (1,), arrays[0]) + 1.0
                          if "bias" in self.elig else None)

    def observe(self, step: int, e_breve: np.ndarray, modulator: Optional[np.ndarray],
                rates_pre: np.ndarray, rates_before: np.ndarray,
                e_in: Optional[np.ndarray] = None,
                phi_prime: Optional[np.ndarray] = None) -> bool:
        """Update the traces with step ``step`` (counted from 1) and add an
        epoch's updates when it ends one; returns whether anything was added."""
        rule = self.rule
        self.post = rule.post_trace(self.post, e_breve, modulator)
        self.pre = rule.filtered(self.pre, rates_pre)
        if self.rec is not None:
            self.rec = rule.filtered(self.rec, rates_before)
        added = False
        if self.elig:
            self._eprop(rule.trace(e_in, modulator), rates_pre, rates_before, phi_prime)
            added = True
            if "forward" in self.elig:
                return added  # every weight learned by e-prop
        if rule.learns_at(step):
            rule.accumulate_stacked(self.sums, self.post, self.pre, self.rec, self.recurrent_mask)
            added = True
        return added

    def _eprop(self, signal: Any, rates_pre: Any, rates_before: Any, phi_prime: Any) -> None:
        """Add ``sum_b signal_i elig_ij`` of every e-prop weight to its sum (on
        numpy deferred to :meth:`take`); ``signal`` is eta m times the error
        reaching the neuron."""
        inputs = {"forward": rates_pre, "bias": self.always_on, "recurrent": rates_before}
        for name, elig in self.elig.items():
            layers = self.layers[name]
            self._add(name, elig.step(inputs[name][layers], phi_prime[layers], signal[layers],
                                      self.eprop["k_m"][layers], self.eprop["k_r"][layers]))

    def _add(self, name: str, update: Any) -> None:
        """Add an e-prop update (None: nothing yet) to the sum of its weights."""
        if update is None:
            return
        if name == "forward":
            self.sums[0] += update
        elif name == "bias":
            self.sums[1] += update.swapaxes(-1, -2)
        else:
            self.sums[2][self.layers[name]] += update

    def flush(self) -> list:
        """The sums ``[dW, db(, dR)]`` with every deferred e-prop update added."""
        for name, elig in self.elig.items():
            self._add(name, elig.flush())
        return self.sums

    def take(self, divisor: float = 1.0) -> list:
        """The summed updates so far divided by ``divisor``; the sums restart from zero."""
        self.flush()
        taken = [s / divisor for s in self.sums]
        for s in self.sums:
            s[...] = 0.0
        return taken


class _Eligibility:
    """The e-prop eligibilities ``eps`` (L, B, n_post, n_pre) of one set of
    weights over a batch, following the equations of :func:`eligibility_step`.

    torch: stepped and summed every step. numpy: the update only matters
    when the optimiser takes it, and neither ``eps`` nor the update depends
    on the weights, so each step only records ``r_pre`` and ``g = signal
    phi'`` and :meth:`flush` sums the window in closed form: with ``a = 1 -
    k_m``, ``h = g (1 - k_r)`` and ``P_s = h_{s+1} + a P_{s+1}`` (``P_w = 0``),

        sum_t update(t) = sum_b (sum_t a^(t-1) h(t)) eps(0)
                        + sum_s (k_m P_s + k_r g_s)^T r_s            (one GEMM)
        eps(w)          = a^w eps(0) + sum_s a^(w-s) k_m r_s          (one batched GEMM)

    two passes over ``eps`` per window instead of four per step (equal to
    the stepped equations to rounding, tested)."""

    def __init__(self, state_shape: tuple, n_pre: int, like: Any):
        shape = tuple(state_shape) + (n_pre,)
        self.deferred = is_numpy(like)
        self.eps = np.zeros(shape, like.dtype) if self.deferred else zeros(shape, like)
        self.window: list[tuple[np.ndarray, np.ndarray]] = []
        self.constants: Optional[tuple[np.ndarray, np.ndarray]] = None

    def step(self, r_pre: Any, phi_prime: Any, signal: Any, k_m: Any, k_r: Any) -> Any:
        """Advance one step: return ``sum_b signal_i elig_ij`` (L, n_post, n_pre)
        (torch), or record the step and return None (numpy: see :meth:`flush`)."""
        if not self.deferred:
            self.eps, elig = eligibility_step(self.eps, r_pre, phi_prime, k_m, k_r)
            return eligibility_delta(signal, elig)
        self.constants = (k_m, k_r)
        self.window.append((np.array(r_pre), signal * phi_prime))
        return None

    def flush(self) -> Optional[np.ndarray]:
        """The summed update of the steps recorded since the last flush (None if
        none), with ``eps`` advanced past them."""
        if not self.window:
            return None
        k_m, k_r = self.constants
        r = np.stack([step[0] for step in self.window])  # (w, L, B, n_pre)
        g = np.stack([step[1] for step in self.window])  # (w, L, B, n_post)
        steps, layers, batch, n_post = g.shape
        decay = 1.0 - k_m
        exponents = np.arange(steps + 1, dtype=self.eps.dtype)
        powers = decay[None] ** exponents.reshape(-1, *([1] * decay.ndim))
        h = g * (1.0 - k_r)
        later = np.zeros_like(g)  # P_s
        for s in range(steps - 2, -1, -1):
            later[s] = h[s + 1] + decay * later[s + 1]
        update = np.einsum("lbi,lbij->lij", (h * powers[:steps]).sum(0), self.eps)
        # numpy's matmul reaches BLAS only for contiguous operands
        weights = (k_m * later + k_r * g).transpose(1, 3, 0, 2).reshape(layers, n_post, -1)
        update += weights @ np.ascontiguousarray(r.transpose(1, 0, 2, 3)).reshape(
            layers, steps * batch, -1)
        self.eps *= powers[steps][..., None]
        self.eps += (np.ascontiguousarray((powers[steps - 1::-1] * k_m).transpose(1, 2, 3, 0))
                     @ np.ascontiguousarray(r.transpose(1, 2, 0, 3)))
        self.window.clear()
        return update


MAX_TIME_CONSTANT_GROUPS = 8  # more distinct tau_m: one eps per synapse pays better


def eligibility_traces(state_shape: tuple, n_pre: int, like: Any,
                       k_m: Any) -> "_Eligibility | _GroupedEligibility":
    """The e-prop eligibilities of one set of weights over a batch: grouped by
    time constant (:class:`_GroupedEligibility`) on numpy where the neurons'
    ``k_m`` (``state_shape``, the same for every sample) takes at most
    ``MAX_TIME_CONSTANT_GROUPS`` values, else one ``eps`` per synapse."""
    if is_numpy(like):
        per_neuron = np.asarray(k_m)
        first = per_neuron[..., :1, :]
        if np.array_equal(np.broadcast_to(first, per_neuron.shape), per_neuron):
            values = np.unique(first)
            if len(values) <= MAX_TIME_CONSTANT_GROUPS:
                return _GroupedEligibility(state_shape, n_pre, like, first, values)
    return _Eligibility(state_shape, n_pre, like)


class _GroupedEligibility:
    """The e-prop eligibilities of one set of weights over a batch, stored
    once per pre-synaptic neuron and time constant (numpy).

    ``eps_ij`` relaxes toward ``r_j`` at the rate ``k_m,i`` of the neuron it
    feeds (:func:`eligibility_step`), so it depends on ``i`` only through
    ``k_m,i``: neurons with the same time constant share it. With ``G``
    distinct ``k_m`` values (``eps_gj``, g = g(i)), ``h = signal phi' (1 -
    k_r)`` and ``q = signal phi' k_r``, each step adds

        update_ij = sum_b h_i eps_g(i)j(t-1) + q_i r_j(t)     (one GEMM per layer)
        eps_gj(t) = eps_gj(t-1) + k_m,g (r_j(t) - eps_gj(t-1))

    to the sum :meth:`flush` returns: ``G / n_post`` of the state and none of
    the per-synapse passes of :class:`_Eligibility` (the same equations; equal
    to them to rounding, tested). On Loihi 2 the same factorisation would be
    a pre-synaptic trace per time constant instead of a tag per synapse."""

    def __init__(self, state_shape: tuple, n_pre: int, like: Any, k_m: np.ndarray,
                 values: np.ndarray):
        layers, batch, n_post = state_shape
        self.rates = values.astype(like.dtype).reshape(-1, 1, 1, 1)  # k_m of each group
        # (G, L, 1, n_post): whether neuron i of layer l relaxes at group g's rate
        self.member = (k_m[None] == self.rates).astype(like.dtype)
        self.eps = np.zeros((len(values), layers, batch, n_pre), like.dtype)
        self.sum = np.zeros((layers, n_post, n_pre), like.dtype)
        self.pending = False

    def step(self, r_pre: Any, phi_prime: Any, signal: Any, k_m: Any, k_r: Any) -> None:
        """Add one step's update to the sum (returned by :meth:`flush`); the
        groups' ``k_m`` are those given at construction."""
        g = signal * phi_prime
        posts = np.concatenate([(g * (1.0 - k_r))[None] * self.member, (g * k_r)[None]])
        pres = np.concatenate([self.eps, r_pre[None]])  # (G + 1, L, B, n_pre)
        layers, n_post, n_pre = self.sum.shape
        # numpy's stacked matmul does not reach BLAS for this shape: a loop over the layers
        posts = np.ascontiguousarray(posts.transpose(1, 3, 0, 2)).reshape(layers, n_post, -1)
        pres = np.ascontiguousarray(pres.transpose(1, 0, 2, 3)).reshape(layers, -1, n_pre)
        for total, post, pre in zip(self.sum, posts, pres):
            total += post @ pre
        self.eps += self.rates * (r_pre[None] - self.eps)
        self.pending = True

    def flush(self) -> Optional[np.ndarray]:
        """The summed update of the steps since the last flush (None if none)."""
        if not self.pending:
            return None
        total, self.sum, self.pending = self.sum, np.zeros_like(self.sum), False
        return total
