"""The optimisers every float trainer shares (VLE local, exact, BPTT), so the
rules differ only in the update direction they feed them; on numpy arrays or
on torch tensors (a VLE trainer on a torch device)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from lava_vle import kernels
from lava_vle.arrays import copy_into, is_numpy, module, to_numpy, zeros_like


def clip_global_norm(grads: Sequence[np.ndarray], clip: Optional[float]) -> Sequence[np.ndarray]:
    """``grads * min(1, clip / ||grads||)`` with ``||.||`` the norm of all arrays
    together (``grads`` itself when ``clip`` is None or the norm is within it)."""
    if clip is None:
        return grads
    norm = float(sum(float((g * g).sum()) for g in grads)) ** 0.5
    if norm <= clip:
        return grads
    return [g * (clip / norm) for g in grads]


class Adam:
    """Adam (Kingma & Ba) on a list of numpy arrays or torch tensors, updated in place.

    ``step(grads)`` performs, with ``t`` the steps so far (this one included)::

        m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
        p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    i.e. ``lr m_hat / (sqrt(v_hat) + eps)`` with eps added to the
    bias-corrected ``sqrt(v_hat)``, as ``torch.optim.Adam`` computes it (the
    one formula of every rule here, VLE and BPTT alike, and of the GLE
    reference). ``grads`` are the gradients of the loss (pass ``-dW`` for an
    ascent direction such as the local VLE update), clipped to the global
    norm ``clip`` first if given.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 clip: Optional[float] = None):
        if not lr > 0:
            raise ValueError(f"lr={lr} must be > 0")
        self.params = list(params)
        self.lr, self.betas, self.eps, self.clip = float(lr), betas, eps, clip
        self.m = [zeros_like(p) for p in self.params]
        self.v = [zeros_like(p) for p in self.params]
        self.t = 0
        # scratch arrays: the update allocates nothing (it may run every time step)
        self._scratch = [(zeros_like(p), zeros_like(p)) for p in self.params]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        self.apply(clip_global_norm(grads, self.clip), *self.next_scalars())

    def next_scalars(self) -> tuple[float, float]:
        """Count one step; its ``step_size = lr / (1 - b1^t)`` and
        ``root_correction = sqrt(1 - b2^t)`` (host numbers: a captured
        window takes them as tensors, computed ahead)."""
        b1, b2 = self.betas
        self.t += 1
        return self.lr / (1 - b1 ** self.t), float(np.sqrt(1 - b2 ** self.t))

    def apply(self, grads: Sequence[np.ndarray], step_size: Any, root_correction: Any) -> None:
        """The update of one step with its scalars (:meth:`next_scalars`;
        numbers, or 0-d tensors on the parameters' device), in place."""
        b1, b2 = self.betas
        for p, g, m, v, (num, den) in zip(self.params, grads, self.m, self.v, self._scratch):
            if kernels.adam_into(p, g, m, v, self.betas, step_size, root_correction,
                                 self.eps):  # the lines below, fused
                continue
            xp = module(p)
            m *= b1
            m += xp.multiply(g, 1 - b1, out=num)             # m = b1 m + (1 - b1) g
            v *= b2
            v += xp.multiply(xp.multiply(g, g, out=num), 1 - b2, out=num)  # v = b2 v + (1 - b2) g^2
            xp.divide(xp.sqrt(v, out=den), root_correction, out=den)
            den += self.eps                                  # sqrt(v_hat) + eps
            p -= xp.multiply(xp.divide(m, den, out=num), step_size, out=num)

    def state_dict(self) -> dict:
        """Moments as numpy arrays (whatever device the parameters are on)."""
        return {"m": [to_numpy(m).copy() for m in self.m],
                "v": [to_numpy(v).copy() for v in self.v], "t": self.t, "lr": self.lr}

    def load_state_dict(self, state: dict) -> None:
        for dst, src in zip(self.m + self.v, state["m"] + state["v"]):
            copy_into(dst, src)
        self.t, self.lr = state["t"], state["lr"]


class SGD:
    """Plain gradient descent ``p -= lr * g`` on numpy arrays or torch tensors, in
    place (``g`` clipped to the global norm ``clip`` first if given); ``t``
    counts the steps."""

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-2,
                 clip: Optional[float] = None):
        if not lr > 0:
            raise ValueError(f"lr={lr} must be > 0")
        self.params, self.lr, self.clip, self.t = list(params), float(lr), clip, 0

    def step(self, grads: Sequence[np.ndarray]) -> None:
        self.t += 1
        for p, g in zip(self.params, clip_global_norm(grads, self.clip)):
            step = self.lr * g
            p -= step.astype(p.dtype, copy=False) if is_numpy(step) else step

    def state_dict(self) -> dict:
        return {"lr": self.lr, "t": self.t}

    def load_state_dict(self, state: dict) -> None:
        self.lr, self.t = state["lr"], state.get("t", 0)
