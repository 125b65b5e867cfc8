"""Stock Lava processes set up to carry VLE rates.

A VLE population sends graded rates: real numbers in floating_pt, Q7.16
integers (1.0 = 2**16, 24-bit payload) in fixed_pt. Lava's ``Dense`` with
its defaults (``num_message_bits=0``) turns them into binary spikes (0/1),
and its fixed_pt model takes weights as an 8-bit mantissa with a shared
``weight_exp`` (even integers -256..254 in ``SignMode.MIXED``, scaled by 2).
:func:`graded_dense` builds one that does it right in either precision.
"""
from __future__ import annotations

import numpy as np
from lava.proc.dense.process import Dense
from lava.utils.weightutils import SignMode

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import PRECISIONS
from lava_vle.processes._validation import CheckedInPort, CheckedOutPort
from lava_vle.validation import check_choice, check_finite

# fractional bits of what a receiver's fixed_pt a_in takes: a VLE process
# (VLENetwork.s_in, VLENeuron.a_in, PlasticSynapse.s_in) Q7.16; a stock LIF
# integers (it adds a_in << 6 to u and compares v with vth << 6, so a_in = 1
# is one unit of vth)
RECEIVERS = {"vle": fxp.STATE_FRAC_BITS, "lif": 0}


def graded_dense(weights: np.ndarray, precision: str, receiver: str = "vle",
                 saturate: bool = False, **dense_kwargs) -> Dense:
    """A stock ``Dense`` that sends ``W r`` for graded VLE rates ``r``.

    floating_pt: ``Dense(weights, num_message_bits=24)``. fixed_pt: the
    weights as 8-bit mantissas ``m`` with the smallest exponent ``e`` that
    holds ``max|W|`` (``w = m 2**e``, :func:`lava_vle.fixed_point.quantize_weights`;
    a weight beyond ``127 * 2**7`` raises unless ``saturate=True``), handed
    to Dense as ``2 m`` with ``weight_exp = e - 1 - (16 - f)`` in
    ``SignMode.MIXED``, where ``f`` is the receiver's fractional bits (rates
    arrive with 16): its output is then
    ``W r`` in Q7.16 for ``receiver="vle"`` and in a stock LIF's integer
    units for ``receiver="lif"`` (a weight of 100 from a rate of 1.0 adds
    100, i.e. ``100 << 6`` to the LIF's 24-bit u). ``precision`` is
    ``"float"`` or ``"fixed"``, as the run's ``select_tag`` will be
    (``"floating_pt"`` / ``"fixed_pt"``); other keyword arguments go to Dense.
    Connecting its ports to ports of another shape raises a ValueError
    naming both.
    """
    weights = check_finite("weights", weights)
    if weights.ndim != 2:
        raise ValueError(f"weights must be a (n_out, n_in) matrix, got shape {weights.shape}")
    check_choice("precision", precision, PRECISIONS)
    frac_bits = RECEIVERS[check_choice("receiver", receiver, tuple(RECEIVERS))]
    if precision == "float":
        return naming_shapes(Dense(weights=weights, num_message_bits=fxp.MAX_PAYLOAD_BITS,
                                   **dense_kwargs))
    exp = fxp.choose_weight_exp(np.abs(weights).max(initial=0.0))
    mant = fxp.quantize_weights(weights, exp, name="weights", saturate=saturate,
                                remedy="scale the weights down, or pass saturate=True to "
                                       "clip them")
    return naming_shapes(Dense(weights=2 * mant,
                               weight_exp=exp - 1 - (fxp.STATE_FRAC_BITS - frac_bits),
                               sign_mode=SignMode.MIXED,
                               num_message_bits=fxp.MAX_PAYLOAD_BITS, **dense_kwargs))


def naming_shapes(dense: Dense) -> Dense:
    """``dense`` with the ports of lava-vle's processes: a connection of another
    shape names both ports (the classes add only that check to Lava's)."""
    dense.s_in.__class__ = CheckedInPort
    dense.a_out.__class__ = CheckedOutPort
    return dense
