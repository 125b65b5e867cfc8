"""BPTT baseline: torch autograd through the very step the simulator runs.

The forward pass calls :meth:`lava_vle.dynamics.VLEDynamics.step` with
:class:`~lava_vle.arithmetic.FloatArithmetic` on torch tensors (error
dendrites off), so BPTT and VLE train the same network in the same
discretisation. torch is imported here only.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from lava_vle.adjoint import Gradients
from lava_vle.dynamics import VLEDynamics
from lava_vle.losses import sequence_loss
from lava_vle.network import FloatParams, NetworkSpec
from lava_vle.simulator import per_step, check_sequence, synapses_of


class TorchNetwork:
    """A VLE network's forward pass as a differentiable torch computation."""

    def __init__(self, spec: NetworkSpec, params: FloatParams, dtype: Any = None,
                 device: Optional[str] = None):
        import torch

        self.torch = torch
        self.spec = spec
        self.dtype = dtype or torch.float64
        self.device = device or "cpu"
        as_param = lambda a: torch.tensor(a, dtype=self.dtype, device=self.device,  # noqa: E731
                                          requires_grad=True)
        self.weights = [as_param(w) for w in params.weights]
        self.biases = [as_param(b) for b in params.biases]
        self.dynamics = VLEDynamics(spec, fixed=False)
        self.dynamics.constants = [
            {k: torch.tensor(v, dtype=self.dtype, device=self.device) for k, v in c.items()}
            for c in self.dynamics.constants]

    def forward(self, x: Any) -> Any:
        """Output rates (T, B, n_out) for input ``x`` (T, B, n_in) (tensor or array)."""
        torch = self.torch
        x = torch.as_tensor(x, dtype=self.dtype, device=self.device)
        steps, batch = x.shape[:2]
        zeros = lambda n: torch.zeros(batch, n, dtype=self.dtype, device=self.device)  # noqa: E731
        state = self.dynamics.initial_state(batch, zeros=zeros)
        syn = synapses_of(self.spec, FloatParams(self.weights, self.biases,
                                                 [None] * len(self.weights)))
        outputs = []
        for t in range(steps):
            state = self.dynamics.step(state, syn, x[t], errors=False)
            outputs.append(state.rates[-1])
        return torch.stack(outputs)

    def loss(self, x: Any, target: Any, weight: Any) -> Any:
        torch = self.torch
        out = self.forward(x)
        target = torch.as_tensor(target, dtype=self.dtype, device=self.device)
        weight = torch.as_tensor(weight, dtype=self.dtype, device=self.device)
        return sequence_loss(self.spec.loss, out, target, weight, self.spec.beta)


def bptt_gradients(spec: NetworkSpec, params: FloatParams, x: np.ndarray,
                   target: np.ndarray, loss_weight: Any = None) -> Gradients:
    """``dL/dW`` and ``dL/db`` by torch autograd (float64), for comparison."""
    x = check_sequence("x", x, spec.n_in)
    steps, batch = x.shape[:2]
    target = check_sequence("target", target, spec.n_out, steps, batch)
    weight = per_step("loss_weight", loss_weight, steps, batch, 1.0)
    net = TorchNetwork(spec, params)
    loss = net.loss(x, target, weight)
    loss.backward()
    return Gradients([w.grad.numpy().copy() for w in net.weights],
                     [b.grad.numpy().copy() for b in net.biases], float(loss.item()))
