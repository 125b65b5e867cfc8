"""Energy estimates from counted operations, with every per-op figure sourced.

VLE on Loihi-like hardware (per training sample)::

    E_vle = (forward events + error-path events) * E_synop
          + weight updates * E_update + neuron compartment updates * E_neuron

BPTT in software (per training sample, fp32 on a CPU/GPU-like core)::

    E_bptt = 3 * forward MACs * (E_mul + E_add)        forward + 2 backward products
           + activation words stored and re-read * E_memory

Each figure has a nominal value and a low/high range; the estimate's range
combines all lows and all highs. The figures are data (``FIGURES``) so a
user can swap them. They are coarse: per-op energies of a 2018 chip and a
45 nm process, not measurements of this code.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from lava_vle.network import NetworkSpec
from lava_vle.synops import dense_synaptic_ops


@dataclass(frozen=True)
class Figure:
    """One per-operation energy in picojoules, with its range and source."""

    nominal_pj: float
    low_pj: float
    high_pj: float
    source: str


FIGURES: dict[str, Figure] = {
    "synop": Figure(23.6, 6.8, 23.6,
                    "Loihi synaptic spike op 23.6 pJ (Davies et al., IEEE Micro 2018, Table 1); "
                    "low: Loihi 2 / Hala Point <= ~6.8 pJ per synaptic op at max power "
                    "(Intel Hala Point release, 2024)"),
    "synaptic_update": Figure(120.0, 120.0 * 6.8 / 23.6, 120.0,
                              "Loihi synaptic update 120 pJ (Davies et al. 2018, Table 1); low: "
                              "scaled by the Loihi 2 / Loihi synop ratio (our assumption)"),
    "neuron_update": Figure(81.0, 52.0, 81.0,
                            "Loihi neuron update 52 pJ (inactive) .. 81 pJ (active) "
                            "(Davies et al. 2018, Table 1)"),
    "fp32_mul": Figure(3.7, 3.7, 3.7, "45 nm fp32 multiply 3.7 pJ (Horowitz, ISSCC 2014)"),
    "fp32_add": Figure(0.9, 0.9, 0.9, "45 nm fp32 add 0.9 pJ (Horowitz, ISSCC 2014)"),
    "memory_word": Figure(5.0, 5.0, 640.0,
                          "32-bit activation word: low 5 pJ on-chip SRAM (half of Horowitz's "
                          "10 pJ per 64-bit 8 KB cache access), high 640 pJ DRAM read "
                          "(Horowitz, ISSCC 2014)"),
}


def per_sample_counts(spec: NetworkSpec, steps: int, forward_events: float | None = None,
                      error_events: float | None = None,
                      weight_updates: float | None = None) -> dict:
    """Operation counts of one training sample of ``steps`` steps.

    ``forward_events`` / ``error_events`` / ``weight_updates`` override the
    dense counts with what a run measured
    (:func:`lava_vle.synops.effective_synops`); dense graded communication
    sends every synapse's message every step.
    """
    dense = dense_synaptic_ops(spec, steps, learning=True)
    neurons = sum(spec.sizes[1:])
    return {
        "forward_events": dense["forward"] if forward_events is None else forward_events,
        "error_events": dense["error_path"] if error_events is None else error_events,
        "weight_updates": dense["weight_updates"] if weight_updates is None else weight_updates,
        "neuron_updates": dense["neuron_updates"],  # representation + error compartment
        "forward_macs": dense["forward"],
        # BPTT stores u and r of every neuron at every step and reads them back
        "activation_words": 2 * 2 * neurons * steps,
    }


def estimate(counts: dict, figures: dict[str, Figure] = FIGURES) -> dict:
    """Energy per training sample in microjoules: nominal, low and high, and the ratio."""
    def vle(pick: str) -> float:
        f = {k: getattr(v, pick) for k, v in figures.items()}
        return ((counts["forward_events"] + counts["error_events"]) * f["synop"]
                + counts["weight_updates"] * f["synaptic_update"]
                + counts["neuron_updates"] * f["neuron_update"]) * 1e-6

    def bptt(pick: str) -> float:
        f = {k: getattr(v, pick) for k, v in figures.items()}
        return (3 * counts["forward_macs"] * (f["fp32_mul"] + f["fp32_add"])
                + counts["activation_words"] * f["memory_word"]) * 1e-6

    out = {"vle_uj": {p: vle(f"{p}_pj") for p in ("nominal", "low", "high")},
           "bptt_uj": {p: bptt(f"{p}_pj") for p in ("nominal", "low", "high")}}
    out["bptt_over_vle"] = {
        "nominal": out["bptt_uj"]["nominal"] / out["vle_uj"]["nominal"],
        "low": out["bptt_uj"]["low"] / out["vle_uj"]["high"],
        "high": out["bptt_uj"]["high"] / out["vle_uj"]["low"],
    }
    out["figures"] = {k: asdict(v) for k, v in figures.items()}
    return out
