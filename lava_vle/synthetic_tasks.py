"""Small synthetic tasks used by the demo and the gradient-quality benchmark."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_vle.spec import FloatParams, LayerSpec, NetworkSpec, init_params
from lava_vle.simulator import Simulator


def smooth_inputs(steps: int, batch: int, n_in: int, dt: float, seed: int = 0,
                  n_modes: int = 4, max_freq: float = 0.5) -> np.ndarray:
    """Random smooth signals: per channel a sum of ``n_modes`` sinusoids.

    Frequencies are uniform in (0, ``max_freq``] cycles per time unit,
    phases uniform, amplitudes normalised so each channel has unit peak.
    Returns (steps, batch, n_in).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(steps)[:, None, None, None] * dt
    freq = rng.uniform(0.05, max_freq, size=(1, batch, n_in, n_modes))
    phase = rng.uniform(0, 2 * np.pi, size=(1, batch, n_in, n_modes))
    amp = rng.uniform(0.5, 1.0, size=(1, batch, n_in, n_modes))
    signal = (amp * np.sin(2 * np.pi * freq * t + phase)).sum(-1)
    return signal / np.abs(signal).max(axis=0, keepdims=True)


def demo_spec(learning_epoch: int = 1) -> NetworkSpec:
    """The ``lava-vle demo`` network: 2 -> 16 (LE) -> 16 (tau_r = tau_m / 2) -> 2 (linear),
    hard_tanh hidden layers, MSE, dt = 0.1."""
    return NetworkSpec(n_in=2, layers=(LayerSpec(16, tau_m=1.0, tau_r=1.0, activation="hard_tanh"),
                                       LayerSpec(16, tau_m=1.0, tau_r=0.5, activation="hard_tanh"),
                                       LayerSpec(2, tau_m=1.0, tau_r=1.0, activation="linear")),
                       dt=0.1, loss="mse", learning_epoch=learning_epoch)


def demo_task(spec: NetworkSpec, steps: int = 400) -> "TeacherStudent":
    """The ``lava-vle demo`` task: one sequence of ``steps``, teacher gain 1.5, seed 0."""
    return teacher_student(spec, steps=steps, batch=1, seed=0, teacher_gain=1.5)


@dataclass
class TeacherStudent:
    """A student network must reproduce a fixed teacher's output."""

    spec: NetworkSpec
    teacher: FloatParams
    student: FloatParams
    x: np.ndarray
    target: np.ndarray


def teacher_student(spec: NetworkSpec, steps: int = 1000, batch: int = 8,
                    seed: int = 0, teacher_gain: float = 2.0,
                    max_freq: float = 0.5) -> TeacherStudent:
    """Teacher and student share ``spec``; the teacher has larger weights."""
    teacher = init_params(spec, seed=seed + 1000, gain=teacher_gain)
    student = init_params(spec, seed=seed)
    x = smooth_inputs(steps, batch, spec.n_in, spec.dt, seed=seed, max_freq=max_freq)
    target = Simulator(spec, teacher).run(x).outputs
    return TeacherStudent(spec, teacher, student, x, target)


def recurrent_network(tau_m: float, tau_r: float, mode: str, dt: float = 0.1) -> NetworkSpec:
    """2 -> 16 (recurrent, tanh, ``tau_m``, ``tau_r``) -> 2 (linear), MSE, with
    recurrent error mode ``mode``: the recurrent teacher-student network."""
    return NetworkSpec(n_in=2, dt=dt, loss="mse", recurrent_error=mode, layers=(
        LayerSpec(16, tau_m, tau_r, "tanh", recurrent=True),
        LayerSpec(2, tau_m, tau_m, "linear")))
