"""The local three-factor rule, in float and fixed point.

    trace   = eta * m(t) * e_breve_post(t)             post-synaptic learning trace
    dW      = trace^T r_pre(t-1)                        summed over the batch
    db      = sum_batch trace                           bias: weight from an always-on rate 1

In fixed point the trace is :func:`~lava_vle.fixed_point.modulated_error`
and the bias is updated as one more column of the weight accumulator (an
always-on presynaptic rate of 1.0), so one stochastic-rounding call with one
hash stream covers a projection's weights and bias. The batched simulator and
the plastic-synapse process models both call :class:`LocalRule`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from lava_vle import fixed_point as fxp


class LocalRule:
    """``dW = eta m e_post r_pre^T`` with ``eta`` in the arithmetic's units."""

    def __init__(self, eta: float, fixed: bool):
        self.fixed = fixed
        self.eta = float(eta)
        if fixed:
            self.eta_mant, self.eta_shift = fxp.learning_rate_to_fixed(eta)

    def trace(self, e_breve: Any, modulator: Any) -> Any:
        """Learning trace of the post-synaptic population, (batch, n_post).

        ``modulator`` is the third factor per sample, (batch,): real, or
        8-bit integers (64 = 1.0) in fixed point.
        """
        if self.fixed:
            return fxp.modulated_error(e_breve, modulator, self.eta_mant)
        return self.eta * np.asarray(modulator, dtype=e_breve.dtype)[:, None] * e_breve

    @staticmethod
    def delta(trace: np.ndarray, r_pre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Real ``(dW, db)`` of one step (float)."""
        return trace.T @ r_pre, trace.sum(axis=0)

    def apply(self, weights: np.ndarray, bias: Optional[np.ndarray], trace: np.ndarray,
              r_pre: np.ndarray, weight_exp: Optional[int] = None, seed: int = 0,
              step: int = 0) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """Return the weights (and bias, if any) after one local update.

        Float: ``W + dW``. Fixed: 16-bit accumulators after
        :func:`~lava_vle.fixed_point.plastic_update`, the bias as the last
        column of the accumulator with an always-on rate of ``ONE``.
        """
        if not self.fixed:
            d_weights, d_bias = self.delta(trace, r_pre)
            return weights + d_weights, None if bias is None else bias + d_bias
        if bias is None:
            return fxp.plastic_update(weights, trace, r_pre, weight_exp, self.eta_shift,
                                      seed, step), None
        always_on = np.full((r_pre.shape[0], 1), fxp.ONE, dtype=np.int64)
        acc = fxp.plastic_update(np.column_stack([weights, bias]), trace,
                                 np.column_stack([r_pre, always_on]), weight_exp,
                                 self.eta_shift, seed, step)
        return acc[:, :-1], acc[:, -1]
