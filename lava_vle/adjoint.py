"""Exact mode: the adjoint (anti-causal) error dynamics of the discretised network.

For the forward Euler step of :mod:`lava_vle.dynamics` (with ``gamma = 0``)

    a(t)       = b + sum_k W_k r_pre(t-1)
    u_breve(t) = (1 - k_r) u(t-1) + k_r a(t)
    u(t)       = (1 - k_m) u(t-1) + k_m a(t)
    r(t)       = phi(u_breve(t))

the adjoint variables ``lambda_u(t) = dL/du(t)`` and ``lambda_r(t) = dL/dr(t)``
run backward in time over the stored trajectory:

    lambda_ub(t)  = phi'(u_breve(t)) * lambda_r(t)
    lambda_a(t)   = k_r lambda_ub(t) + k_m lambda_u(t)
    lambda_u(t-1) = (1 - k_r) lambda_ub(t) + (1 - k_m) lambda_u(t)
    lambda_r_pre(t-1) += W_k^T lambda_a_post(t)
    lambda_r_L(t) += dL/dr_L(t) = -e_target(t)

and ``dL/dW_k = sum_t lambda_a_post(t) r_pre(t-1)^T``, ``dL/db = sum_t lambda_a(t)``.
This is the discrete counterpart of the continuous adjoint method, so it
equals backpropagation through time of the same discretisation to round-off.
Compare ``k_r lambda_ub`` with the local rule's prospective error
``e_breve = v + (tau_m/tau_r)(e_inst - v)``: the local error dendrite runs
the same filter forward in time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lava_vle.dynamics import loss_scale
from lava_vle.losses import sequence_loss
from lava_vle.spec import FloatParams, NetworkSpec
from lava_vle.simulator import Simulator
from lava_vle.validation import check_sequence, per_step


@dataclass
class Gradients:
    """``dL/dW_k`` per projection and ``dL/db_l`` per population, and ``L``."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    loss: float


def exact_gradients(spec: NetworkSpec, params: FloatParams, x: np.ndarray,
                    target: np.ndarray, loss_weight: Any = None) -> Gradients:
    """Gradient of the sequence loss by the adjoint method, in float64.

    The forward trajectory is simulated and stored; the adjoint runs
    backward over it. The error path uses ``W^T`` (the true gradient),
    whatever ``spec.feedback`` says.
    """
    if spec.gamma != 0.0:
        raise ValueError("exact mode needs gamma=0: with nudging the forward pass "
                         "depends on the errors and L is not a function of W alone")
    x = check_sequence("x", x, spec.n_in)
    steps, batch = x.shape[:2]
    target = check_sequence("target", target, spec.n_out, steps, batch)
    weight = per_step("loss_weight", loss_weight, steps, batch, 1.0)
    sim = Simulator(spec, params, precision="float", dtype=np.float64)
    run = sim.run(x, target, weight, record=("rates", "phi_prime"))
    rates, phi_prime = run.trace["rates"], run.trace["phi_prime"]
    weights = sim.params.weights
    consts = sim.dynamics.constants
    # e_target(t) = -dL/dr_L(t), from the arithmetic's own output error
    e_target = sim.arith.output_error(spec.loss, rates[-1], target,
                                      loss_scale(sim.arith, spec.beta, weight)[:, :, None])

    n_layers = spec.n_layers
    grad_w = [np.zeros_like(w) for w in weights]
    grad_b = [np.zeros_like(b) for b in sim.params.biases]
    lam_u = [np.zeros((batch, n)) for n in spec.sizes[1:]]
    lam_r = [np.zeros((batch, n)) for n in spec.sizes[1:]]
    for t in range(steps - 1, -1, -1):
        lam_r[-1] = lam_r[-1] - e_target[t]
        lam_a = []
        for l in range(1, n_layers + 1):
            c = consts[l - 1]
            lam_ub = phi_prime[l - 1][t] * lam_r[l - 1]
            lam_a.append(c["k_r"] * lam_ub + c["k_m"] * lam_u[l - 1])
            lam_u[l - 1] = (1.0 - c["k_r"]) * lam_ub + (1.0 - c["k_m"]) * lam_u[l - 1]
        lam_r = [np.zeros_like(r) for r in lam_r]
        for k, proj in enumerate(spec.projections):
            post_a = lam_a[proj.post - 1]
            if t > 0:
                r_pre = rates[proj.pre][t - 1]
                grad_w[k] += post_a.T @ r_pre
                if proj.pre > 0:
                    lam_r[proj.pre - 1] += post_a @ weights[k]
        for l in range(n_layers):
            grad_b[l] += lam_a[l].sum(axis=0)
    loss = float(sequence_loss(spec.loss, rates[-1], target, weight, spec.beta))
    return Gradients(grad_w, grad_b, loss)
