"""BPTT baseline: torch autograd through the very step the VLE trainer runs.

The forward pass is :meth:`lava_vle.stacked.StackedNetwork.run` on torch
tensors (error dendrites off), i.e. the compartment functions of
:mod:`lava_vle.dynamics` with :class:`~lava_vle.arithmetic.FloatArithmetic`,
so BPTT and VLE train the same network in the same discretisation. One
path serves the trainer (float32) and the exactness tests against the
adjoint (float64). torch is imported here only.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable, Optional

import numpy as np

from lava_vle.adjoint import Gradients
from lava_vle.arrays import require_torch, to_numpy
from lava_vle.stacked import StackedNetwork, StackedParams, StackedState
from lava_vle.losses import sequence_loss
from lava_vle.spec import FloatParams, NetworkSpec
from lava_vle.validation import check_sequence, per_step


def bptt_step(net: StackedNetwork, arrays: list[np.ndarray], x: np.ndarray,
              loss_fn: Callable[[Any], Any], device: str = "cpu",
              state: Optional[StackedState] = None, x_prev: Optional[np.ndarray] = None,
              run: Optional[Callable[..., tuple]] = None
              ) -> tuple[np.ndarray, list[np.ndarray], float, StackedState]:
    """Outputs (T, B, n_out), ``d loss_fn(outputs) / d arrays``, the loss and
    the final state (detached: a later window's gradient stops there),
    computed with torch on ``device`` (``loss_fn`` gets the outputs there).

    ``arrays`` are the stacked trainable arrays ``[W, b(, R)]``
    (:meth:`StackedParams.arrays`); only layers with a recurrent projection
    use ``R``. ``state`` and ``x_prev`` (the input before ``x``): where the
    run continues from (default: at rest, zero input). ``run``: the forward
    pass of a network already on the device (e.g. a
    :class:`~lava_vle.captured.CapturedRun`), in place of ``net.run``.
    """
    require_torch("BPTT")
    on_torch = net if net.on_torch else net.to_torch(device)
    if state is not None and isinstance(state.u, np.ndarray):  # a numpy state, to the device
        state = StackedState(*(None if value is None else on_torch.as_array(value)
                               for value in (getattr(state, f.name) for f in fields(state))))
    leaves = [on_torch.as_array(a).requires_grad_() for a in arrays]
    recurrent = None
    if len(leaves) > 2:
        recurrent = leaves[2] * on_torch.recurrent_mask
    params = StackedParams(leaves[0], leaves[1], recurrent, leaves[0], recurrent)
    out, final = (on_torch.run if run is None else run)(params, x, state, x_prev=x_prev)
    loss = loss_fn(out)
    loss.backward()
    final = StackedState(*(None if value is None else value.detach()
                           for value in (getattr(final, f.name) for f in fields(final))))
    return to_numpy(out), [to_numpy(leaf.grad) for leaf in leaves], float(loss.item()), final


def bptt_gradients(spec: NetworkSpec, params: FloatParams, x: np.ndarray,
                   target: np.ndarray, loss_weight: Any = None) -> Gradients:
    """``dL/dW`` and ``dL/db`` by torch autograd (float64), for comparison."""
    torch = require_torch("bptt_gradients")

    x = check_sequence("x", x, spec.n_in)
    steps, batch = x.shape[:2]
    target = torch.from_numpy(check_sequence("target", target, spec.n_out, steps, batch))
    weight = torch.from_numpy(per_step("loss_weight", loss_weight, steps, batch, 1.0))
    net = StackedNetwork(spec, np.float64)
    stacked = net.pack(params)
    _, grads, loss, _ = bptt_step(net, stacked.arrays(), x,
                               lambda out: sequence_loss(spec.loss, out, target, weight,
                                                         spec.beta))
    recurrent = grads[2] if len(grads) > 2 else None
    unpacked = net.unpack(StackedParams(grads[0], grads[1], recurrent, grads[0]), params)
    return Gradients(unpacked.weights, unpacked.biases, loss)


def trajectory_bytes(net: StackedNetwork, arrays: list[np.ndarray], x: np.ndarray,
                     loss_fn: Callable[[Any], Any]) -> int:
    """Bytes of the tensors autograd keeps for the backward pass of one batch
    (the BPTT trajectory), counted as they are saved (each storage once)."""
    torch = require_torch("trajectory_bytes")

    seen: dict[int, int] = {}

    def pack(tensor: Any) -> Any:
        storage = tensor.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        bptt_step(net, arrays, x, loss_fn)
    return sum(seen.values())
