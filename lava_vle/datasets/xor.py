"""Spiking delayed XOR: two bits shown at separate times, answer after a delay.

:func:`delayed_xor` builds the task; :func:`_xor_layout` places the step
windows and channel groups, :func:`_make_xor_split` draws one split's spike
trains and labels and :func:`_spike_block` the spikes of one active group.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import _check_fraction, _check_int
from .container import SequenceDataset


def delayed_xor(n_train: int = 2000, n_test: int = 500, seed: int = 0,
                bit_steps: int = 20, gap_steps: int = 20, delay_steps: int = 50,
                answer_steps: int = 20, n_channels_per_bit: int = 5, rate: float = 0.2,
                spikes: str = "poisson", cue: bool = True, shared_channels: bool = False,
                noise_rate: float = 0.0) -> SequenceDataset:
    """Spiking delayed XOR: two bits at separate times, answer after a delay.

    Timeline at the defaults (T = 2 bit_steps + gap_steps + delay_steps +
    answer_steps = 20 + 20 + 20 + 50 + 20 = 130 steps)::

        step        0        20       40       60                 110      130
                    | bit A  |  gap   | bit B  |      delay        | answer |
        A=0 or A=1  |:|::|:|:|
        B=0 or B=1                    |:|::|:|:|
        cue                                                       |::|:|:|:|
        loss_weight  0 ...................................... 0   | 1 .. 1 |
        readout      0 ...................................... 0   | 1 .. 1 |

    Inputs ``x`` ``(N, T, n_in)`` float32 are binary spike trains (0 or 1).
    Channel groups, each ``k = n_channels_per_bit`` wide, in this order:
    ``A=0, A=1, B=0, B=1, cue`` (``n_in = 5k``; without the cue ``4k``).
    With ``shared_channels=True`` both bits use the same two groups
    ``bit=0, bit=1`` (then ``cue``), told apart only by their timing.
    During bit A's window only the group for A's value spikes; likewise for
    B; the cue group spikes in the answer window.  ``info["groups"]`` and
    ``info["windows"]`` give the channel ranges and step windows.

    Spikes: ``"poisson"``: each channel of an active group spikes at each
    step with probability ``rate`` (spikes per step: dt = 1); ``"regular"``:
    each channel spikes every ``round(1/rate)`` steps with a random phase.
    Every active group is guaranteed at least one spike in its window.
    ``noise_rate`` adds background spikes on all channels at all steps.

    Labels: ``y = A xor B`` (int64, 2 classes).  The four bit combinations
    are equally frequent (exactly, up to ``N mod 4``), so the classes are
    balanced.  ``loss_weight`` and ``readout_weight`` are 1 exactly in the
    answer window, 0 elsewhere.  ``dt = 1.0``: time constants in steps.

    Train and test sets come from independent streams spawned from ``seed``
    (``numpy.random.SeedSequence(seed).spawn(2)``).
    """
    n_train = _check_int("n_train", n_train, 1)
    n_test = _check_int("n_test", n_test, 1)
    seed = _check_int("seed", seed, 0)
    bit_steps = _check_int("bit_steps", bit_steps, 1)
    gap_steps = _check_int("gap_steps", gap_steps, 0)
    delay_steps = _check_int("delay_steps", delay_steps, 0)
    answer_steps = _check_int("answer_steps", answer_steps, 1)
    k = _check_int("n_channels_per_bit", n_channels_per_bit, 1)
    rate = _check_fraction("rate", rate)
    if spikes not in ("poisson", "regular"):
        raise ValueError(f"spikes must be 'poisson' or 'regular', got {spikes!r}")
    noise_rate = float(noise_rate)
    if not (0.0 <= noise_rate < 1.0):
        raise ValueError(f"noise_rate must lie in [0, 1), got {noise_rate!r}")

    layout = _xor_layout(bit_steps, gap_steps, delay_steps, answer_steps, k,
                         shared_channels, cue)
    train_ss, test_ss = np.random.SeedSequence(seed).spawn(2)
    x_train, y_train = _make_xor_split(np.random.default_rng(train_ss), n_train, layout,
                                       spikes, rate, noise_rate)
    x_test, y_test = _make_xor_split(np.random.default_rng(test_ss), n_test, layout,
                                     spikes, rate, noise_rate)
    window = np.zeros(layout.steps, dtype=np.float32)
    window[layout.windows["answer"][0]:] = 1.0
    info = {
        "generator": "delayed_xor",
        "args": dict(n_train=n_train, n_test=n_test, seed=seed, bit_steps=bit_steps,
                     gap_steps=gap_steps, delay_steps=delay_steps, answer_steps=answer_steps,
                     n_channels_per_bit=k, rate=rate, spikes=spikes, cue=cue,
                     shared_channels=shared_channels, noise_rate=noise_rate),
        "windows": {w: list(v) for w, v in layout.windows.items()},
        "groups": {g: list(v) for g, v in layout.groups.items()},
        "label": "A xor B",
        "streams": "SeedSequence(seed).spawn(2): train, test",
    }
    return SequenceDataset(
        name="delayed-xor", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        task="classification", n_out=2, loss_weight=window, readout_weight=window.copy(),
        dt=1.0, info=info)


@dataclass(frozen=True)
class _XorLayout:
    """Where things happen in a delayed-XOR sequence.

    Attributes:
        steps: sequence length ``T``.
        windows: ``"A"``, ``"B"``, ``"answer"`` -> ``(start, stop)`` steps.
        groups: channel group name -> ``(first, stop)`` input channels, in
            channel order.
        group_of: ``(bit, value)`` (bit ``"A"`` or ``"B"``) -> index of the
            group that spikes for it.
        k: channels per group.
        cue: whether the last group is a cue that spikes in the answer window.
    """

    steps: int
    windows: dict[str, tuple[int, int]]
    groups: dict[str, tuple[int, int]]
    group_of: dict[tuple[str, int], int]
    k: int
    cue: bool


def _xor_layout(bit_steps: int, gap_steps: int, delay_steps: int, answer_steps: int,
                k: int, shared_channels: bool, cue: bool) -> _XorLayout:
    """The step windows and channel groups of :func:`delayed_xor` for its arguments."""
    a_start = 0
    b_start = bit_steps + gap_steps
    ans_start = b_start + bit_steps + delay_steps
    steps = ans_start + answer_steps
    windows = {"A": (a_start, a_start + bit_steps), "B": (b_start, b_start + bit_steps),
               "answer": (ans_start, steps)}
    if shared_channels:
        group_names = ["bit=0", "bit=1"]
        group_of = {("A", 0): 0, ("A", 1): 1, ("B", 0): 0, ("B", 1): 1}
    else:
        group_names = ["A=0", "A=1", "B=0", "B=1"]
        group_of = {("A", 0): 0, ("A", 1): 1, ("B", 0): 2, ("B", 1): 3}
    if cue:
        group_names.append("cue")
    groups = {g: (i * k, (i + 1) * k) for i, g in enumerate(group_names)}
    return _XorLayout(steps=steps, windows=windows, groups=groups, group_of=group_of, k=k,
                      cue=bool(cue))


def _make_xor_split(rng: np.random.Generator, n: int, layout: _XorLayout, spikes: str,
                    rate: float, noise_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences ``(n, T, n_groups * k)`` float32 and their int64 labels.

    The four bit combinations ``(A, B)`` come equally often, in the order of
    a permutation of ``arange(n) % 4``; each bit's group spikes in the bit's
    window, the cue group (if any) in the answer window, and background
    noise at ``noise_rate`` is or-ed on top.  The label is ``A xor B``.
    """
    k, steps, n_groups = layout.k, layout.steps, len(layout.groups)
    combos = rng.permutation(np.arange(n) % 4)
    bits = {"A": combos // 2, "B": combos % 2}
    x = np.zeros((n, steps, n_groups, k), dtype=bool)
    for which in ("A", "B"):
        s, e = layout.windows[which]
        block = _spike_block(rng, n, e - s, k, spikes, rate)
        for value in (0, 1):
            sel = bits[which] == value
            x[sel, s:e, layout.group_of[(which, value)]] = block[sel]
    if layout.cue:
        s, e = layout.windows["answer"]
        x[:, s:e, n_groups - 1] = _spike_block(rng, n, e - s, k, spikes, rate)
    if noise_rate > 0:
        x |= rng.random(x.shape) < noise_rate
    y = (bits["A"] ^ bits["B"]).astype(np.int64)
    return x.reshape(n, steps, n_groups * k).astype(np.float32), y


def _spike_block(rng: np.random.Generator, n: int, length: int, k: int, spikes: str,
                 rate: float) -> np.ndarray:
    """Boolean spikes ``(n, length, k)`` of one active group, at least one per sample.

    ``"poisson"``: each entry spikes with probability ``rate``;
    ``"regular"``: each channel every ``round(1/rate)`` steps from a random
    phase.  A sample left without spikes gets one at a random step and channel.
    """
    if spikes == "poisson":
        block = rng.random((n, length, k)) < rate
    else:
        period = max(1, int(round(1.0 / rate)))
        phase = rng.integers(0, period, size=(n, 1, k))
        block = ((np.arange(length)[None, :, None] - phase) % period) == 0
    empty = ~block.any(axis=(1, 2))
    if empty.any():  # guarantee at least one spike per active group
        idx = np.flatnonzero(empty)
        block[idx, rng.integers(0, length, idx.size), rng.integers(0, k, idx.size)] = True
    return block
