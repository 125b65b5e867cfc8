"""VLE on Lava's learning engine: rule construction, codings, and the demo task learned
by stock LearningDense synapses close to our learning-epoch rule."""
import numpy as np
import pytest
from lava.magma.core.learning import constants as lava_learning

from lava_vle import fixed_point as fxp
from lava_vle.experiments.benchmarks import learning_engine as bench
from lava_vle.learning_engine import (SignalCoding, dw_string, engine_weights, learning_rule,
                                      rule_scale, split)
from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.processes.learning_engine_network import build_engine_network
from lava_vle.synthetic_tasks import demo_spec

FLOAT = SignalCoding.fitting("float", 1.0, 0.01)
FIXED = SignalCoding.fitting("fixed", 1.0, 0.01)


def test_engine_widths_are_lavas():
    assert fxp.ENGINE_TRACE_BITS == lava_learning.W_TRACE
    assert fxp.ENGINE_WEIGHT_LIMITS == (-(2 ** lava_learning.W_WEIGHTS_U),
                                        2 ** lava_learning.W_WEIGHTS_U - 1)
    assert fxp.ENGINE_SCALE_MANT_BITS == lava_learning.W_S_MANT
    assert fxp.ENGINE_ACCUMULATOR_BITS == lava_learning.W_ACCUMULATOR_U
    assert fxp.engine_product_shift(2) == 3  # x1 * y1: the fixed_pt dw is 8x smaller
    assert fxp.engine_product_shift(1) == 0


def test_payloads_and_traces_round_and_saturate_at_8_and_7_bits():
    one = fxp.ONE
    assert fxp.engine_payload(np.array([0, one // 2, one, -one]), 8).tolist() == [0, 128, 255, 0]
    assert fxp.engine_trace(np.array([0, 3, 4, 1000, -5]), 3).tolist() == [0, 0, 1, 125, 0]
    assert fxp.engine_trace(np.array([10_000]), 3).tolist() == [127]
    pos, neg = split(np.array([-2.0, 0.0, 3.0]))
    assert pos.tolist() == [0, 0, 3] and neg.tolist() == [2, 0, 0]


def test_codings_fit_the_value_range_into_8_bit_payloads_and_7_bit_traces():
    assert (FIXED.payload_frac_bits, FIXED.trace_frac_bits) == (8, 13)  # 0.01 * 2**13 = 82 <= 127
    assert (FLOAT.payload_frac_bits, FLOAT.trace_frac_bits) == (0, 0)
    with pytest.raises(ValueError, match="learning_rate=0"):
        SignalCoding.fitting("fixed", 1.0, 0.0)


def test_rule_scale_makes_one_epoch_change_the_weight_by_n_y_x():
    # floating_pt: x1 = v / 2, so S = 2 N
    assert rule_scale(8, FLOAT, FLOAT, 0) == (1, 4)
    assert rule_scale(12, FLOAT, FLOAT, 0) == (3, 3)
    # fixed_pt: S = N 2**(3 + 1 - w - P - T), w the engine weight exponent
    assert rule_scale(8, FIXED, FIXED, -8) == (1, 3 + 3 + 1 + 8 - 8 - 13)
    assert dw_string(1, -6) == "2^-6 * x0 * x1 * y1 - 2^-6 * x0 * x1 * y2"
    assert learning_rule(8, FIXED, FIXED, -8).t_epoch == 8
    with pytest.raises(fxp.FixedPointRangeError, match="learning_epoch=9 .*mant <= 7"):
        rule_scale(9, FLOAT, FLOAT, 0)
    with pytest.raises(fxp.FixedPointRangeError, match="allowed -7..8"):
        rule_scale(8, FIXED, SignalCoding.fitting("fixed", 1.0, 1e-3), -4)


def test_engine_weights_hold_our_mantissas_through_lavas_even_truncation():
    units = engine_weights(np.array([[-128, 3], [127, 0]]), -7, FIXED)
    assert units.weights.tolist() == [[-256, 6], [254, 0]] and units.exp == -8
    assert units.dense_exp == -8 + fxp.STATE_FRAC_BITS - 8  # payload units -> Q7.16
    assert np.allclose(units.real(units.weights), np.ldexp([[-128, 3], [127, 0]], -7))
    assert engine_weights(np.ones((1, 1)), 0, FLOAT).dense_exp == 0


def test_engine_builder_rejects_what_it_cannot_build():
    recurrent = NetworkSpec(n_in=1, layers=(LayerSpec(3, recurrent=True), LayerSpec(1)))
    with pytest.raises(ValueError, match="recurrent"):
        build_engine_network(recurrent, init_params(recurrent), 0.01, "float")
    random = NetworkSpec(n_in=1, layers=(LayerSpec(3), LayerSpec(1)), feedback="random")
    with pytest.raises(ValueError, match="error_path='learned' mirrors W"):
        build_engine_network(random, init_params(random), 0.01, "float", error_path="learned")
    spec = demo_spec(8)
    with pytest.raises(ValueError, match="learning_rate=0"):
        build_engine_network(spec, init_params(spec), 0.0, "fixed")
    with pytest.raises(ValueError, match="precision='half'"):
        build_engine_network(spec, init_params(spec), 0.01, "half")


@pytest.mark.slow
def test_same_dw_string_changes_fixed_pt_weights_8x_less():
    probe = bench.product_shift_probe()
    # one epoch, S = 1, x1 = 100 / 2, y1 = 20; floating_pt decays x1 and y1 by
    # exp(-8 / 65535) each (tau 65535: "no decay")
    assert probe["float_dw"] == pytest.approx(50 * 20 * np.exp(-16 / 65535), rel=1e-9)
    assert probe["fixed_dw"] == 50 * 20 / 8
    assert probe["ratio"] == pytest.approx(8.0, rel=5e-4)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_learning_engine_network_halves_the_demo_error_close_to_our_learning_epoch_rule(precision):
    spec = demo_spec(learning_epoch=8)
    ts = bench.demo_task(spec, 400)
    row = bench.compare(spec, ts, bench.Schedule.of(ts, epochs=2), precision)
    frozen, engine, ours = row["engine_mse"][0], row["engine_mse"][-1], row["simulator_mse"][-1]
    assert frozen == pytest.approx(row["simulator_mse"][0], rel=1e-3)  # same network, frozen
    assert engine < 0.5 * frozen  # measured: 0.021 vs 0.098 (float and fixed)
    assert engine < 1.25 * ours  # measured: within 5 % of our rule after 2 epochs
    assert row["forward_weight_distance"][-1] < 0.15  # measured: 0.08 (float), 0.10 (fixed)


@pytest.mark.slow
def test_learning_engine_benchmark_writes_json_and_plot(tmp_path):
    results = bench.main(["--out", str(tmp_path), "--epochs", "1", "--steps", "80",
                          "--no-variants"])
    assert (tmp_path / "learning_engine.json").exists()
    assert (tmp_path / "learning_engine.png").exists()
    assert set(results["precisions"]) == {"float", "fixed"}
    assert results["limits"]["product_shift"]["ratio"] == pytest.approx(8.0, rel=5e-4)
    assert results["limits"]["structure"]["product_terms_per_pre_post_pair"]["engine"] == 4
