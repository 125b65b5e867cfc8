"""Plastic VLE synapse: forward weights, error path and the local three-factor rule."""
