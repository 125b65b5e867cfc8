"""Values a process model derives from its Vars, recomputed when the Vars change.

Lava's LIF reads ``du``/``dv`` every step, so ``lif.du.set(...)`` between runs
takes effect. A VLE model derives its Euler factors, gains and learning rate
from physical Vars (``tau_m``, ``tau_r``, ``gamma``, ``learning_rate``) with
the arithmetic's conversions (fixed_pt: 12-bit decays, 16-bit gains, with the
same range errors); :class:`Derived` redoes the conversion whenever the Vars'
values differ from the last call, and only then.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


class Derived:
    """``compute(*vars)``, cached on the Vars' current values."""

    def __init__(self, compute: Callable[..., Any]):
        self.compute = compute
        self._key: Any = None
        self._value: Any = None

    def __call__(self, *values: np.ndarray) -> Any:
        key = tuple(np.asarray(v).tobytes() for v in values)
        if key != self._key:
            self._value = self.compute(*values)
            self._key = key
        return self._value
