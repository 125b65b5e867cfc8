"""Global neuromodulatory broadcast m(t) as a Lava process."""
from __future__ import annotations

import typing as ty

from lava.magma.core.process.process import LogConfig

from lava_vle import fixed_point as fxp
from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess)
from lava_vle.validation import check_bool, check_real


class Neuromodulator(ValidatedProcess):
    """Broadcasts one scalar ``m(t)`` to every plastic synapse of a network.

    ``m`` gates and scales learning (``dW = eta m e_post r_pre``): 1 learns,
    0 freezes, a reward signal modulates. With ``external=False`` it sends
    the constant ``value``; with ``external=True`` it relays what arrives on
    ``m_in`` (e.g. from an io source; fixed_pt: 8-bit integers, 64 = 1.0).
    Connect ``m_out`` to the ``m_in`` of every plastic synapse (one OutPort
    fans out to many InPorts).

    Ports
    -----
    m_in : InPort (1,)   external gate / reward (used when external=True).
    m_out : OutPort (1,) the broadcast third factor.

    Vars
    ----
    m : (1,) value last broadcast (fixed_pt: signed 8-bit, 64 = 1.0).
    """

    def __init__(self, *, value: float = 1.0, external: bool = False,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        fxp.modulator_to_fixed(check_real("value", value), "value")  # the 8-bit range
        super().__init__(value=float(value), external=check_bool("external", external), name=name,
                         log_config=log_config)
        self.m_in = CheckedInPort(shape=(1,))
        self.m_out = CheckedOutPort(shape=(1,))
        self.m = CheckedVar(shape=(1,), init=0)
