"""The local three-factor rule, written once for every arithmetic and layout.

    trace   = eta * m(t) * e_breve_post(t)             post-synaptic learning trace
    dW      = trace^T r_pre(t-1)                        summed over the batch
    db      = sum_batch trace                           bias: weight from an always-on rate 1

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


class LocalRule:
    """``dW = eta m e_post r_pre^T`` with ``eta`` in the arithmetic's units."""

    def __init__(self, eta: float, arith: Arithmetic = FloatArithmetic):
        self.A = arith
        self.eta = arith.learning_rate(eta)

    def trace(self, e_breve: Any, modulator: Any) -> Any:
        """Learning trace of the post-synaptic population, (batch, n_post) or a
        (L, batch, n) stack; ``modulator`` is the third factor per sample (batch,)."""
        return self.A.learning_trace(e_breve, modulator, self.eta)

    def apply(self, weights: Any, bias: Optional[Any], trace: Any, r_pre: Any,
              weight_exp: Optional[int] = None, seed: int = 0,
              step: int = 0) -> tuple[Any, Optional[Any]]:
        """Return the weights (and bias, if any) after one local update."""
        return self.A.plastic_update(weights, bias, trace, r_pre, weight_exp, self.eta,
                                     seed, step)

    def accumulate_stacked(self, sums: list, e_breve: np.ndarray, modulator: np.ndarray,
                           rates_pre: np.ndarray, rates_rec: Optional[np.ndarray] = None,
                           recurrent_mask: Optional[np.ndarray] = None) -> None:
        """Add one step's updates of every layer to ``sums`` = ``[dW, db(, dR)]``
        (float stacks ``(L, n, n)``, ``(L, 1, n)``, ``(L, n, n)``).

        ``rates_pre`` (L, B, n) are the forward projections' presynaptic rates
        ``r_pre(t-1)``; ``rates_rec`` the recurrent ones (each layer's own
        previous rates), counted only where ``recurrent_mask`` is 1.
        """
        trace = self.trace(e_breve, modulator)
        sums[0] += weight_delta(trace, rates_pre)
        sums[1] += bias_delta(trace)[:, None, :]
        if rates_rec is not None:
            sums[2] += weight_delta(trace, rates_rec) * recurrent_mask
