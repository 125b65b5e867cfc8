"""Test settings shared by every module."""
from hypothesis import settings

# No test asserts on time: a first call may compile (numba, torch) or load
# from a cold cache, and CI machines differ several-fold.
settings.register_profile("lava-vle", deadline=None)
settings.load_profile("lava-vle")
