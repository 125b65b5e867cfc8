"""VLE representation neuron: prospective leaky integrator."""
