"""The Loihi 2 resource estimate: counts that follow from the network, limits
that carry their sources, networks split across cores or refused with the
constraint named, the generated docs page and the ``lava-vle resources`` command."""
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lava_vle import fixed_point as fxp
from lava_vle.cli import main
from lava_vle.loihi2 import (BENCHMARKS, LIMITS, SOURCES, Limit, activation_ops, estimate, lif_ops,
                             markdown_report, soma_ops)
from lava_vle.spec import LayerSpec, NetworkSpec
from tests.data_sources import missing_data

ROOT = Path(__file__).resolve().parents[1]


def mnist1d_like(width: int = 53, **options) -> NetworkSpec:
    """1 -> 6 x width -> 10 with mixed time constants, as the MNIST-1D network."""
    fast = round(width / 3.1)
    tau_m = np.array([1.2] * fast + [0.6] * (width - fast))
    tau_r = np.array([1.2] * fast + [0.2] * (width - fast))
    hidden = tuple(LayerSpec(width, tau_m, tau_r, "hard_tanh") for _ in range(6))
    return NetworkSpec(1, hidden + (LayerSpec(10, 1.2, 1.2, "linear"),), dt=0.2, loss="ce",
                       recurrent_error="none", **options)


def recurrent(mode: str, log_spaced: bool = True, feedback: str = "mirrored") -> NetworkSpec:
    """4 -> 32 (recurrent memory) -> 8 -> 3, time constants log-spaced or uniform."""
    tau_m = np.geomspace(0.2, 5.0, 32) if log_spaced else 1.0
    tau_r = np.maximum(0.1, np.asarray(tau_m) / 8) if log_spaced else 0.5
    layers = (LayerSpec(32, tau_m, tau_r, "hard_tanh", recurrent=True),
              LayerSpec(8, 0.1, 0.1, "relu"), LayerSpec(3, 0.1, 0.1, "linear"))
    return NetworkSpec(4, layers, dt=0.1, loss="mse", feedback=feedback, recurrent_error=mode)


NETWORKS = {"mnist1d-15k": mnist1d_like(), "mnist1d-41k": mnist1d_like(89),
            "recurrent-eprop": recurrent("eprop"), "recurrent-none-random": recurrent(
                "none", feedback="random"), "spiking": NetworkSpec(
                    25, (LayerSpec(64, 1.0, 1.0, spiking=True), LayerSpec(32, spiking=True),
                         LayerSpec(2, activation="linear")), dt=1.0, loss="ce")}


@pytest.mark.parametrize("spec", NETWORKS.values(), ids=NETWORKS.keys())
def test_weights_equal_the_parameter_count_minus_the_biases(spec):
    est = estimate(spec)
    assert est.totals["weights"] == spec.n_parameters() - sum(spec.sizes[1:])
    assert sum(p.weights for p in est.projections) == est.totals["weights"]


@pytest.mark.parametrize("spec", NETWORKS.values(), ids=NETWORKS.keys())
def test_memory_bytes_are_synapses_times_weight_bits_over_8(spec):
    for p in estimate(spec).projections:
        assert p.weight_bytes == p.weights * fxp.WEIGHT_BITS // 8
        assert p.engine_bytes == p.engine_synapses * fxp.WEIGHT_BITS // 8
        assert p.tag_bytes == -(-p.tags * LIMITS["tag_bits"].value // 8)


def test_compartments_are_two_per_neuron_plus_one_per_mse_output():
    mse, ce = recurrent("none"), mnist1d_like()
    assert estimate(mse).totals["compartments"] == 2 * sum(mse.sizes[1:]) + mse.n_out
    assert estimate(ce).totals["compartments"] == 2 * sum(ce.sizes[1:])


def test_engine_synapses_are_two_sign_sets_plus_bias_plus_the_error_path():
    mirrored, random = recurrent("none"), recurrent("none", feedback="random")
    for spec, error_sets in ((mirrored, 2), (random, 1)):
        for p in estimate(spec).projections:
            n_post = spec.sizes[p.post]
            expected = 2 * p.weights + n_post * p.has_bias
            expected += error_sets * p.weights if spec.carries_error(
                next(q for q in spec.projections if q.name == p.name)) else 0
            assert p.engine_synapses == expected, p.name


def test_engine_synapses_agree_with_the_learning_engine_network_of_the_demo():
    from lava_vle import demo_spec
    from lava_vle.experiments.learning_engine_comparison import structure_counts

    spec = demo_spec()
    ours = sum(p.engine_synapses for p in estimate(spec).projections)
    assert ours == structure_counts(spec)["synapses"]["engine_learned_error_path"]


def test_a_population_beyond_the_memory_per_core_is_split_across_cores():
    est = estimate(mnist1d_like(600))
    layer = est.populations[2]
    assert layer.limited_by == "memory" and layer.cores > 1
    assert layer.cores == -(-layer.neurons // layer.neurons_per_core)
    assert layer.neurons_per_core * layer.bytes_per_neuron + layer.input_trace_bytes \
        <= LIMITS["memory_per_core"].value
    assert est.fits and est.totals["cores"] == sum(p.cores for p in est.populations)


def test_a_population_beyond_the_compartments_per_core_is_split_across_cores():
    spec = NetworkSpec(1, (LayerSpec(5000), LayerSpec(1, activation="linear")), loss="mse")
    layer = estimate(spec).populations[0]
    assert layer.limited_by == "compartments"
    assert layer.neurons_per_core == LIMITS["compartments_per_core"].value // 2
    assert layer.cores == 2


def test_more_memory_per_core_never_needs_more_cores():
    for spec in (*NETWORKS.values(), mnist1d_like(600)):
        est = estimate(spec)
        assert est.totals["cores_high_memory"] <= est.totals["cores"]


def test_a_too_wide_network_is_refused_naming_the_constraint_value_and_limit():
    est = estimate(mnist1d_like(1100))
    assert not est.fits
    fan_in = next(c for c in est.checks if c.name == "fan-in per core")
    assert not fan_in.ok and fan_in.value == 4 * 1100 + 2 and fan_in.margin < 0
    message = next(m for m in est.failures if m.startswith("fan-in per core"))
    assert f"{fan_in.value:,} input axons > 4,096" in message and "Davies 2018" in message


def test_fan_in_of_a_hidden_layer_is_four_per_unit_of_width_and_breaks_at_1024():
    def fan_in(width):
        return next(c for c in estimate(mnist1d_like(width)).checks
                    if c.name == "fan-in per core")

    assert fan_in(1023).value == 4 * 1023 + 2 and fan_in(1023).ok  # r+-, e+-, bias, m
    assert not fan_in(1024).ok


def test_eprop_recurrent_weights_need_a_tag_and_more_post_traces_than_the_chip_has():
    est = estimate(recurrent("eprop"))
    rec = next(p for p in est.projections if p.pre == p.post)
    assert rec.rule == "e-prop" and rec.tags_per_synapse == 1 and rec.tags == rec.weights * 2
    assert rec.post_traces == 4  # A+, A-, k_r and k_m (both vary per neuron)
    assert est.populations[0].post_traces == 2 + 4  # with the forward weights' y+, y-
    assert not est.fits and any("post traces per compartment" in m for m in est.failures)
    assert any("e-prop eligibility" in m for m in est.requantized)


def test_eprop_on_every_weight_with_uniform_time_constants_fits_three_post_traces():
    est = estimate(recurrent("eprop-all", log_spaced=False))
    assert est.populations[0].post_traces == 2
    assert all(p.products_per_set == 2 + 4 for p in est.projections)
    assert est.fits


def test_the_local_rule_needs_the_engine_rule_of_lava_vle_learning_engine():
    from lava_vle.learning_engine import PRODUCTS_PER_SYNAPSE, SYNAPSE_SETS_PER_PATH

    for p in estimate(recurrent("none")).projections:
        assert (p.pre_traces, p.post_traces, p.tags_per_synapse) == (1, 2, 0)
        assert p.products_per_set == PRODUCTS_PER_SYNAPSE
        assert p.products_per_weight == PRODUCTS_PER_SYNAPSE * SYNAPSE_SETS_PER_PATH


def test_every_limit_and_fact_has_a_source_and_a_year():
    from lava_vle.loihi2 import MICROCODE_FACTS

    for name, lim in LIMITS.items():
        assert lim.source in SOURCES and lim.year == SOURCES[lim.source].year, name
        assert 2017 <= lim.year <= 2026 and lim.unit and lim.value > 0, name
        assert (lim.low or lim.value) <= lim.value <= (lim.high or lim.value), name
        if lim.generation != "Loihi 2" or lim.low is not None:
            assert lim.note, f"{name}: a Loihi 1 or uncertain figure must say why"
    for text, source, year in MICROCODE_FACTS:
        assert text and SOURCES[source].year == year
    for source in SOURCES.values():
        assert source.citation and source.where and 2017 <= source.year <= 2026


@pytest.mark.parametrize("kwargs, match", [
    ({"source": "Nobody 2020", "year": 2020}, "source='Nobody 2020' must be one of"),
    ({"source": "Intel 2021", "year": 2022}, "year=2022 differs from Intel 2021's 2021"),
    ({"source": "Intel 2021", "year": 2021, "low": 5}, "value=1 must lie in its range"),
])
def test_a_limit_without_a_known_source_or_with_a_wrong_year_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Limit(1, "unit", **kwargs)


def test_every_check_carries_its_limit_margin_and_message():
    est = estimate(mnist1d_like())
    assert est.fits and not est.failures
    for c in est.checks:
        if c.limit is None:
            assert c.kind == "unpublished" and "no published limit" in c.message
        else:
            assert c.margin == c.limit.value - c.value
            assert c.limit.source in c.message and c.name in c.message


def test_precision_checks_name_what_the_engine_requantizes():
    names = {c.name: c.ok for c in estimate(mnist1d_like()).checks if c.kind == "precision"}
    assert names["weight mantissa"] and names["neuron state (u, u_breve, v, e_breve)"]
    assert not names["learning traces x, y"] and not names["rate payload into a learning synapse"]


def test_microcode_counts_follow_the_layer_options():
    base = LayerSpec(8)
    plain = soma_ops(base, 0.0, True, False, False, 1)
    assert soma_ops(replace(base, spiking=True), 0.0, True, False, False, 1).add == plain.add + 2
    assert soma_ops(replace(base, sigma_delta=0.1), 0.0, True, False, False, 1).compare \
        == plain.compare + 3
    assert soma_ops(base, 0.5, True, False, False, 1).mul == plain.mul + 1  # gamma e_breve
    assert soma_ops(base, 0.0, True, True, False, 8).mul \
        > soma_ops(base, 0.0, True, True, False, 1).mul  # the filtered trace of N > 1
    assert soma_ops(base, 0.0, True, False, True, 1).mul == plain.mul + 3  # e-prop's A
    assert activation_ops("relu").compare < activation_ops("hard_tanh").compare
    with pytest.raises(ValueError, match="activation='tanh' has no fixed-point microcode"):
        activation_ops("tanh")


def test_a_vle_neuron_costs_more_microcode_than_lavas_lif():
    est = estimate(mnist1d_like())
    assert lif_ops().arithmetic == 16
    assert est.microcode["vle_over_lif"] > 1
    step = est.microcode["network_per_step"]
    assert step == sum((p.step_ops for p in est.populations[1:]), est.populations[0].step_ops)


def test_estimate_refuses_what_is_not_a_network_spec():
    with pytest.raises(TypeError, match="spec must be a NetworkSpec, got dict"):
        estimate({})


def test_docs_page_equals_the_generated_report():
    missing = missing_data(task for _, task, _, _ in BENCHMARKS)
    if missing:
        pytest.skip(f"needs data the README's install command does not bring ({missing})")
    page = (ROOT / "docs" / "loihi2.md").read_text()
    assert page == markdown_report(), \
        "docs/loihi2.md is stale: lava-vle resources --markdown > docs/loihi2.md"


def test_cli_prints_the_estimate_and_writes_json(tmp_path, capsys):
    path = tmp_path / "digits.json"
    main(["resources", "--task", "digits", "--learning-epoch", "8", "--json", str(path)])
    out = capsys.readouterr().out
    assert "neurocores" in out and "checks:" in out and f"wrote {path}" in out
    data = json.loads(path.read_text())
    assert data["estimate"]["fits"] and data["estimate"]["learning_epoch"] == 8
    assert data["estimate"]["totals"]["weights"] == 8 * 32 + 32 * 10
    assert data["limits"]["cores_per_chip"] == {**data["limits"]["cores_per_chip"],
                                               "value": 128, "source": "Intel 2021",
                                               "year": 2021}


def test_cli_exits_with_status_1_naming_the_broken_limit(capsys):
    with pytest.raises(SystemExit) as done:
        main(["resources", "--task", "mnist1d", "--width", "1100"])
    assert "does not fit on Loihi 2: fan-in per core: 4,402 input axons > 4,096" \
        in str(done.value.code)
    assert "DOES NOT FIT" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    ("resources", "one of the arguments --task --markdown is required"),
    ("resources --markdown --width 89", "--width: only with --task"),
    ("resources --task digits --width 40", "width applies to the mnist1d network only"),
    ("resources --task mnist1d --width 2", "width=2 must be an integer >= 3"),
    ("resources --task digits --learning-epoch 5000", "learning_epoch=5000 must be an integer"),
])
def test_a_bad_resources_option_is_one_line_with_exit_status_2(argv, message, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv.split())
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and message in err


def test_every_resources_option_has_help():
    import argparse

    from lava_vle.cli import build_parser

    parser = build_parser()[0]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert all(action.help for action in sub.choices["resources"]._actions)
