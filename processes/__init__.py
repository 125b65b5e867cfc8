"""Lava processes of lava-vle (installed as ``lava_vle.processes``)::

    from lava_vle.processes import VLENetwork, build_vle_network, stopping

One folder per process, each with ``process.py`` and ``models.py``
(``floating_pt`` and ``fixed_pt`` models):

- :class:`VLENeuron` (``vle_neuron``): prospective leaky integrator
- :class:`ErrorDendrite` (``error_dendrite``): prospective error compartment
- :class:`Neuromodulator` (``neuromodulator``): global third-factor broadcast
- :class:`PlasticSynapse` (``plastic_synapse``): forward + error paths, local rule
- :class:`OutputError` (``output_error``): target error of the output population
- :class:`VLENetwork` (``vle_network``): a whole network as one hierarchical
  process; ``VLENetwork(..., fused=True)`` is :class:`FusedVLENetwork`
  (``fused_vle_network``), the same network in one leaf process
- :class:`EngineEncoder` (``learning_engine_encoder``): a population's interface to
  stock LearningDense

:func:`build_vle_network` wires a network from these processes;
:func:`build_engine_network` one whose synapses are stock LearningDense.
:func:`stopping` stops a run's Lava runtime, also after a failed run;
:func:`graded_dense` builds a stock ``Dense`` that carries graded VLE rates
in either precision. The names load on first use.
"""

from lava_vle._lazy import lazy_exports

#: public name -> the module (below lava_vle.processes) that defines it
_EXPORTS = {
    "VLENeuron": "vle_neuron.process", "ErrorDendrite": "error_dendrite.process",
    "Neuromodulator": "neuromodulator.process", "PlasticSynapse": "plastic_synapse.process",
    "OutputError": "output_error.process", "VLENetwork": "vle_network.process",
    "FusedVLENetwork": "fused_vle_network.process", "EngineEncoder": "learning_engine_encoder.process",
    "build_vle_network": "network_builder", "build_engine_network": "learning_engine_network",
    "stopping": "runtime", "graded_dense": "stock",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
