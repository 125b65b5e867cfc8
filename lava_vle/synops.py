"""Synaptic operation counts of a VLE network.

Dense graded communication (every synapse carries a message every step):
per time step a projection of ``n_post x n_pre`` synapses performs
``n_post * n_pre`` forward accumulates, as many on its error path (when it
carries errors back, see ``NetworkSpec.carries_error``) and, while
learning, as many weight updates (plus ``n_post`` bias updates when it
carries the bias). :func:`effective_synops` counts what a run really sends.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from lava_vle.spec import NetworkSpec


def dense_synaptic_ops(spec: NetworkSpec, steps: int, learning: bool = True) -> dict:
    """Counts per sample of ``steps`` time steps, by category."""
    sizes = spec.sizes
    forward = error = updates = 0
    for proj in spec.projections:
        synapses = sizes[proj.post] * sizes[proj.pre]
        forward += synapses
        if spec.carries_error(proj):
            error += synapses
        updates += synapses
    updates += sum(sizes[1:])  # biases
    neurons = 2 * sum(sizes[1:])  # representation + error compartment
    counts = {"forward": forward * steps, "error_path": error * steps,
              "weight_updates": updates * steps if learning else 0,
              "neuron_updates": neurons * steps}
    counts["total"] = sum(counts.values())
    return counts


def bptt_synaptic_ops(spec: NetworkSpec, steps: int) -> dict:
    """What one BPTT training sample of ``steps`` steps performs, dense (its
    backward pass has no event sparsity): ``forward`` ``W r`` of every
    projection each step; ``error_path`` ``W^T delta`` back through time of
    every projection but the input's (recurrent ones included); and
    ``weight_updates`` the gradient ``delta r^T`` (and the bias's ``delta``)
    accumulated each step. The optimiser's once-per-window step is not
    counted."""
    sizes = spec.sizes
    synapses = [sizes[p.post] * sizes[p.pre] for p in spec.projections]
    back = sum(n for n, p in zip(synapses, spec.projections) if p.pre != 0)
    counts = {"forward": sum(synapses) * steps, "error_path": back * steps,
              "weight_updates": (sum(synapses) + sum(sizes[1:])) * steps}
    counts["total"] = sum(counts.values())
    return counts


def effective_synops(r_pre: np.ndarray, e_post: np.ndarray, trace: Optional[np.ndarray],
                     carries_error: bool, has_bias: bool,
                     r_pre_before: Optional[np.ndarray] = None,
                     e_post_before: Optional[np.ndarray] = None,
                     pre_trace: Optional[np.ndarray] = None) -> dict:
    """Operations one projection performs in one step, counting only nonzero inputs.

    NeuroBench's "effective" synaptic operations: a message of value 0
    (a silent spiking neuron, a zero error) costs nothing.

        forward        = nnz(r_pre(t-1)) * n_post
        error_path     = nnz(e_post(t-1)) * n_pre          (if it carries errors)
        weight_updates = nnz(trace(t)) * (nnz(r_pre(t-1)) + has_bias)   (if learning)

    With learning epochs the update multiplies the post trace ``trace`` with
    the pre trace (``pre_trace``, default ``r_pre``) and happens only at the
    end of an epoch: pass ``trace=None`` on the other steps.

    Over a sigma-delta link a message is a change: pass the values held one
    step earlier (``r_pre_before``, ``e_post_before``) and the message counts
    become ``nnz(r_pre - r_pre_before)`` and ``nnz(e_post - e_post_before)``.
    Arrays are (batch, n); counts are summed over the batch. The batched
    simulator and the plastic-synapse process models both call this.
    """
    n_post, n_pre = e_post.shape[-1], r_pre.shape[-1]
    active_pre = np.count_nonzero(r_pre, axis=-1)
    forward = active_pre if r_pre_before is None else \
        np.count_nonzero(np.asarray(r_pre) - r_pre_before, axis=-1)
    errors = e_post if e_post_before is None else np.asarray(e_post) - e_post_before
    counts = {"forward": int(forward.sum()) * n_post,
              "error_path": int(np.count_nonzero(errors)) * n_pre if carries_error else 0,
              "weight_updates": 0}
    if trace is not None:
        pre = active_pre if pre_trace is None else np.count_nonzero(pre_trace, axis=-1)
        counts["weight_updates"] = int((np.count_nonzero(trace, axis=-1)
                                        * (pre + int(has_bias))).sum())
    return counts
