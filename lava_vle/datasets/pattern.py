"""Temporal pattern generation: reproduce a fixed periodic multi-channel series.

:func:`pattern_generation` builds the task (a regression, measured with
:func:`~lava_vle.datasets.nrmse`); :func:`_pattern_target` draws the target
sinusoids and :func:`_pattern_input` makes the constant or clock input.
"""
from __future__ import annotations

import numpy as np

from ._common import _check_dt, _check_int
from .container import SequenceDataset


def pattern_generation(n_channels: int = 3, steps: int = 500, seed: int = 0,
                       input: str = "clock", dt: float = 0.1, n_components: int = 3,
                       max_harmonic: int = 6, clock_channels: int = 4,
                       clock_sharpness: float = 4.0,
                       warmup_steps: int = 50) -> SequenceDataset:
    """Temporal pattern generation: reproduce a fixed multi-channel time series.

    Target ``y`` ``(1, steps, n_channels)`` float32: with ``P = steps * dt``
    the pattern duration and ``t = step * dt``, channel ``c`` is
    ``sum_j a_j sin(2 pi k_j t / P + phi_j)`` over ``n_components``
    sinusoids with distinct integer harmonics ``k_j`` drawn from
    ``1..max_harmonic`` (so the pattern is exactly periodic with period
    ``P`` and can be looped), amplitudes ``a_j`` uniform in [0.5, 1] and
    phases uniform in [0, 2 pi), then scaled so ``max_t |y_c| = 1``.  All
    drawn from ``numpy.random.default_rng(seed)``.

    Input ``x`` ``(1, steps, n_in)`` float32:

    * ``"constant"``: one channel equal to 1 (the network must generate the
      pattern from its own dynamics);
    * ``"clock"``: ``clock_channels`` phase-shifted periodic bumps, channel
      ``j`` = ``exp(s * (cos(2 pi (t/P - j/clock_channels)) - 1))`` with
      ``s = clock_sharpness``: period ``P``, peak 1 at ``t = j P /
      clock_channels``, values in ``(0, 1]``.

    Train and test are the same single sequence (pattern generation is
    evaluated on the pattern it was trained to produce).  ``loss_weight`` is
    1 at every step; ``readout_weight`` is 0 for the first ``warmup_steps``
    steps (the network's transient) and 1 after: measure :func:`nrmse` with
    it.  Regression, ``n_out = n_channels``, ``dt`` as given (default 0.1:
    with ``steps = 500`` the pattern lasts 50 time units, the slowest
    harmonic has period 50 and the fastest ``50 / max_harmonic``).
    """
    n_channels = _check_int("n_channels", n_channels, 1)
    steps = _check_int("steps", steps, 2)
    seed = _check_int("seed", seed, 0)
    n_components = _check_int("n_components", n_components, 1)
    max_harmonic = _check_int("max_harmonic", max_harmonic, 1)
    if n_components > max_harmonic:
        raise ValueError(f"n_components={n_components} needs max_harmonic >= n_components "
                         f"(distinct harmonics), got max_harmonic={max_harmonic}")
    clock_channels = _check_int("clock_channels", clock_channels, 1)
    warmup_steps = _check_int("warmup_steps", warmup_steps, 0)
    if warmup_steps >= steps:
        raise ValueError(f"warmup_steps={warmup_steps} must be smaller than steps={steps}")
    if input not in ("clock", "constant"):
        raise ValueError(f"input must be 'clock' or 'constant', got {input!r}")
    _check_dt(dt)
    if not (np.isfinite(clock_sharpness) and clock_sharpness > 0):
        raise ValueError(f"clock_sharpness must be positive, got {clock_sharpness!r}")

    duration = steps * dt
    t = np.arange(steps) * dt
    target, components = _pattern_target(np.random.default_rng(seed), t / duration,
                                         n_channels, n_components, max_harmonic)
    x = _pattern_input(input, t / duration, clock_channels, clock_sharpness)
    x = x.astype(np.float32)[None]
    y = target.astype(np.float32)[None]
    readout = np.ones(steps, dtype=np.float32)
    readout[:warmup_steps] = 0.0
    info = {
        "generator": "pattern_generation",
        "args": dict(n_channels=n_channels, steps=steps, seed=seed, input=input, dt=dt,
                     n_components=n_components, max_harmonic=max_harmonic,
                     clock_channels=clock_channels, clock_sharpness=clock_sharpness,
                     warmup_steps=warmup_steps),
        "period": duration,
        "components": components,
        "evaluation": "test = train (the same pattern); nrmse over readout_weight > 0",
    }
    return SequenceDataset(
        name="pattern", x_train=x, y_train=y, x_test=x.copy(), y_test=y.copy(),
        task="regression", n_out=n_channels, loss_weight=np.ones(steps, dtype=np.float32),
        readout_weight=readout, dt=float(dt), info=info)


def _pattern_target(rng: np.random.Generator, phase: np.ndarray, n_channels: int,
                    n_components: int, max_harmonic: int
                    ) -> tuple[np.ndarray, list[dict[str, list]]]:
    """The target ``(T, n_channels)`` float64 and each channel's components.

    ``phase`` is ``t / P`` per step.  Channel by channel, draws
    ``n_components`` distinct harmonics from ``1..max_harmonic``, amplitudes
    in [0.5, 1] and phases in [0, 2 pi) from ``rng``, sums the sinusoids and
    scales the channel to ``max |y| = 1``.
    """
    target = np.zeros((phase.size, n_channels))
    components = []
    for c in range(n_channels):
        harmonics = rng.choice(np.arange(1, max_harmonic + 1), size=n_components, replace=False)
        amps = rng.uniform(0.5, 1.0, size=n_components)
        phases = rng.uniform(0.0, 2 * np.pi, size=n_components)
        sig = (amps * np.sin(2 * np.pi * np.outer(phase, harmonics) + phases)).sum(-1)
        target[:, c] = sig / np.abs(sig).max()
        components.append({"harmonics": harmonics.tolist(), "amplitudes": amps.tolist(),
                           "phases": phases.tolist()})
    return target, components


def _pattern_input(input: str, phase: np.ndarray, clock_channels: int,
                   clock_sharpness: float) -> np.ndarray:
    """The input ``(T, n_in)`` float64 for ``input`` ``"constant"`` or ``"clock"``.

    ``phase`` is ``t / P`` per step; see :func:`pattern_generation`.
    """
    if input == "constant":
        return np.ones((phase.size, 1))
    shifts = np.arange(clock_channels) / clock_channels
    return np.exp(clock_sharpness * (np.cos(2 * np.pi * (phase[:, None] - shifts)) - 1))
