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

from lava_vle.arithmetic import Arithmetic, FloatArithmetic, bias_delta, weight_delta
from lava_vle.validation import check_learning_epoch


class LocalRule:
    """``dW = eta m e_post r_pre^T`` with ``eta`` in the arithmetic's units,
    applied once per learning epoch of ``learning_epoch`` steps."""

    def __init__(self, eta: float, arith: Arithmetic = FloatArithmetic,
                 learning_epoch: int = 1):
        self.A = arith
        self.eta = arith.learning_rate(eta)
        self.learning_epoch = check_learning_epoch(learning_epoch)
        self.trace_decay = arith.trace_decay(learning_epoch) if learning_epoch > 1 else None

    def trace(self, e_breve: Any, modulator: Any) -> Any:
        """``eta m e_breve`` of the post-synaptic population, (batch, n_post) or a
        (L, batch, n) stack; ``modulator`` is the third factor per sample (batch,)."""
        return self.A.learning_trace(e_breve, modulator, self.eta)

    def filtered(self, trace: Any, value: Any) -> Any:
        """A learning trace after one more step: ``value`` itself for ``N = 1``,
        else ``trace + (value - trace) / N``."""
        return value if self.trace_decay is None else self.A.relax(trace, value, self.trace_decay)

    def learns_at(self, step: int) -> bool:
        """Whether time step ``step`` (counted from 1, as in Lava) ends an epoch."""
        return step % self.learning_epoch == 0

    def epoch_factor(self, post_trace: Any) -> Any:
        """``N y``: the post factor of the epoch's update."""
        return post_trace if self.learning_epoch == 1 else post_trace * self.learning_epoch

    def apply(self, weights: Any, bias: Optional[Any], post_trace: Any, pre_trace: Any,
              weight_exp: Optional[int] = None, seed: int = 0,
              step: int = 0) -> tuple[Any, Optional[Any]]:
        """Return the weights (and bias, if any) after one epoch's update
        ``W += N y x^T`` (summed over the batch)."""
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
