"""Synaptic operation counts of a VLE network.

Dense graded communication (every synapse carries a message every step):
per time step a projection of ``n_post x n_pre`` synapses performs
``n_post * n_pre`` forward accumulates, as many on its error path (when it
carries errors back: not from the input, see ``NetworkSpec.carries_error``) and, while learning, as many weight
updates (plus ``n_post`` bias updates when it carries the bias).
"""
from __future__ import annotations

from lava_vle.network import NetworkSpec


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
