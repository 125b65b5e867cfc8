"""Lava processes of lava-vle (installed as ``lava_vle.processes``).

One folder per process, each with ``process.py`` and ``models.py``
(``floating_pt`` and ``fixed_pt`` models):

- ``vle_neuron.VLENeuron``: prospective leaky integrator
- ``error_dendrite.ErrorDendrite``: prospective error compartment
- ``neuromodulator.Neuromodulator``: global third-factor broadcast
- ``plastic_synapse.PlasticSynapse``: forward + error paths, local rule
- ``output_error.OutputError``: target error of the output population
- ``vle_network.VLENetwork``: a whole network as one hierarchical process
- ``fused_vle_network.FusedVLENetwork``: the same network in one leaf process
  (``VLENetwork(..., fused=True)``)
- ``engine_encoder.EngineEncoder``: a population's interface to stock LearningDense

``network_builder`` wires a network from these processes;
``engine_network_builder`` wires one whose synapses are stock LearningDense.
:func:`stopping` (``runtime.py``) stops a run's Lava runtime, also after a
failed run; :func:`graded_dense` (``stock.py``) builds a stock ``Dense`` that
carries graded VLE rates in either precision.
"""
from lava_vle.processes.runtime import stopping
from lava_vle.processes.stock import graded_dense

__all__ = ["graded_dense", "stopping"]
