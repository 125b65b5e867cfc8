"""Lava processes of lava-vle (installed as ``lava_vle.processes``).

One folder per process, each with ``process.py`` and ``models.py``
(``floating_pt`` and ``fixed_pt`` models):

- ``vle_neuron.VLENeuron``: prospective leaky integrator
- ``error_dendrite.ErrorDendrite``: prospective error compartment
- ``neuromodulator.Neuromodulator``: global third-factor broadcast
- ``plastic_synapse.PlasticSynapse``: forward + error paths, local rule
- ``output_error.OutputError``: target error of the output population
- ``vle_network.VLENetwork``: a whole network as one hierarchical process
- ``engine_encoder.EngineEncoder``: a population's interface to stock LearningDense

``network_builder`` wires a network from these processes;
``engine_network_builder`` wires one whose synapses are stock LearningDense.
"""
