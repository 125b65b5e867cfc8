"""A warning where a run's membrane potentials leave the range of the arithmetic.

Fixed point holds states up to ``fixed_point.STATE_MAX_REAL`` (Q7.16: just
under 128) and saturates there; a float network whose potentials pass that
bound would not run on Loihi 2, and one that keeps growing is diverging
(e.g. ``recurrent_error="loop"`` with a lead gain above 1). NaN and inf are
past every bound. :class:`RangeWatch` is called once per step by the
simulator and the Lava process models, and warns once, naming the
population and the step.
"""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import numpy as np

from lava_vle import fixed_point as fxp


class RangeWatch:
    """Watches ``|u|`` of each population against ``limit`` (real units).

    ``where`` names the run in the warning (e.g. ``"Simulator.run"``);
    ``unit`` is the real value of one unit of the arithmetic's potentials
    (``A.from_units(1)``: 1 in float, ``2**-16`` in fixed point); ``found`` is ``(population, step, peak)`` of the first excess (population
    1 is the first hidden one), ``None`` while there is none; ``single``: the
    potentials are one population's (a ``VLENeuron``), not numbered.
    """

    def __init__(self, where: str, unit: float = 1.0, limit: float = fxp.STATE_MAX_REAL,
                 single: bool = False) -> None:
        self.where, self.unit, self.limit, self.single = where, unit, limit, single
        self.found: Optional[tuple[int, int, float]] = None

    def check(self, step: int, potentials: Sequence[np.ndarray]) -> None:
        """Check the potentials after ``step`` (in the arithmetic's units); warn
        at the first population past the limit. ``potentials`` may be one
        stacked array (populations first), checked in one pass while in range."""
        if self.found is not None:
            return
        if isinstance(potentials, np.ndarray) and \
                float(np.max(np.abs(potentials), initial=0.0)) * self.unit < self.limit:
            return
        for population, u in enumerate(potentials, 1):
            peak = float(np.max(np.abs(u), initial=0.0)) * self.unit
            if not peak < self.limit:  # NaN too
                self.found = (population, step, peak)
                warnings.warn(self.message(), RuntimeWarning, stacklevel=3)
                return

    def message(self) -> str:
        """The warning's text for :attr:`found`."""
        population, step, peak = self.found
        whose = "its" if self.single else f"population {population}'s"
        return (f"{self.where}: {whose} membrane potential reached "
                f"{peak:.3g} at step {step}, beyond +-{self.limit:.0f} (what Loihi 2's Q7.16 "
                "state holds; fixed point saturates there): the network is diverging or "
                "overdriven; lower the learning rate, the weights or the input, or use "
                "recurrent_error='none' or 'stable' for recurrent layers")
