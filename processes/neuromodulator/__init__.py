"""Neuromodulatory broadcast: the global third factor m(t)."""
