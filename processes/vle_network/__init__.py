"""A whole VLE network (neurons, dendrites, synapses, output error, broadcast)."""
