"""A population's interface to stock LearningDense synapses (Lava's learning engine)."""
