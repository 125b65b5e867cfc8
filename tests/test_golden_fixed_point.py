"""Golden vectors of the fixed-point arithmetic, small enough to check by hand.

Each expected integer below is worked out in the comment beside it from the
bit-width table (Q7.16 state: 1.0 = 65536; 12-bit decays and gains: 1.0 =
4096; products rounded toward zero, ``sign(x f) (|x f| >> 12)``), not taken
from the code under test: a rule that changes by one LSB fails here even
where two code paths that share it still agree bit for bit.
"""
import warnings

import numpy as np
import pytest

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import FixedArithmetic as FA
from lava_vle.plasticity import LocalRule, eligibility_step

ONE = 65536


def test_euler_factors_of_dt_over_tau_and_the_prospective_gains():
    c = FA.neuron_constants(0.1, np.array([1.0]), np.array([0.5]))
    assert int(c["k_m"][0]) == 410    # round(0.1 / 1.0 * 4096) = round(409.6)
    assert int(c["k_r"][0]) == 2048   # 0.5 / 1.0 * 4096
    assert int(c["k_v"][0]) == 819    # round(0.1 / 0.5 * 4096) = round(819.2)
    assert int(c["k_e"][0]) == 8192   # 1.0 / 0.5 * 4096


def test_learning_epoch_trace_relaxes_by_one_nth_per_step():
    rule = LocalRule(0.5, FA, learning_epoch=8)
    assert int(rule.trace_decay) == 512                  # 4096 / 8
    y = np.array([0])
    y = rule.filtered(y, np.array([ONE]))
    assert int(y[0]) == 8192                             # 65536 * 512 >> 12
    y = rule.filtered(y, np.array([ONE]))
    assert int(y[0]) == 15360                            # 8192 + (57344 * 512 >> 12 = 7168)
    y = rule.filtered(y, np.array([-ONE]))
    assert int(y[0]) == 15360 - 10112                    # -(80896 * 512 >> 12) = -10112


def test_eprop_eligibility_first_two_steps():
    """eps(t) = eps + k_m (r - eps); elig = phi' (eps + k_r (r - eps)), with
    k_m = 410, k_r = 2048, phi' = 4096 (slope 1.0), r = 1.0 = 65536."""
    eps = np.zeros((1, 1), np.int64)
    r, phi_prime = np.array([ONE]), np.array([4096])
    k_m, k_r = np.array([410]), np.array([2048])
    eps, elig = eligibility_step(eps, r, phi_prime, k_m, k_r, FA)
    assert int(eps[0, 0]) == 6560     # 65536 * 410 >> 12 = 26869760 >> 12 = 6560
    assert int(elig[0, 0]) == 32768   # (65536 * 2048 >> 12) * 4096 >> 12
    eps, elig = eligibility_step(eps, r, phi_prime, k_m, k_r, FA)
    assert int(eps[0, 0]) == 12463    # 6560 + (58976 * 410 >> 12 = 5903)
    assert int(elig[0, 0]) == 36048   # 6560 + (58976 * 2048 >> 12 = 29488)
    _, elig = eligibility_step(eps, r, np.array([2048]), k_m, k_r, FA)
    assert int(elig[0, 0]) == 19499   # (12463 + (53073 * 2048 >> 12 = 26536)) * 2048 >> 12 = 38999 / 2


def test_negative_products_round_toward_zero():
    eps = np.array([[0]])
    eps, elig = eligibility_step(eps, np.array([-ONE]), np.array([4096]), np.array([410]),
                                 np.array([2048]), FA)
    assert int(eps[0, 0]) == -6560 and int(elig[0, 0]) == -32768


# --- helpers the Lava ports and the learning-engine path use, hand-checked -----------
def test_engine_product_shift_is_7n_plus_4_minus_15_and_never_negative():
    assert [fxp.engine_product_shift(n) for n in (1, 2, 3)] == [0, 3, 10]


def test_engine_payload_rounds_q7_16_to_frac_bits_and_saturates_to_one_unsigned_byte():
    # 1.5 at 4 fractional bits -> 24; 0.03 -> round(0.48) = 0; 20.0 -> 320 -> 255; < 0 -> 0
    x = fxp.to_state(np.array([1.5, 0.03, 0.0313, 20.0, -1.0]))
    assert fxp.engine_payload(x, 4).tolist() == [24, 0, 1, 255, 0]
    assert fxp.engine_payload(np.array([1 << 15]), 0).tolist() == [1]  # 0.5 rounds up
    assert fxp.engine_payload(np.array([3]), 17).tolist() == [6]  # more bits than the state


def test_engine_trace_rounds_half_up_and_saturates_to_seven_unsigned_bits():
    assert fxp.engine_trace(np.array([5, 6, 7, 2000, -9]), 2).tolist() == [1, 2, 2, 127, 0]
    assert fxp.engine_trace(np.array([127, 128]), 0).tolist() == [127, 127]


def test_payload_saturates_to_its_signed_width_and_refuses_other_widths():
    x = np.array([-(1 << 30), -129, -128, 5, 127, 128, 1 << 30])
    assert fxp.saturate_payload(x, 8).tolist() == [-128, -128, -128, 5, 127, 127, 127]
    assert fxp.saturate_payload(x, 24).tolist() == [-(1 << 23), -129, -128, 5, 127, 128,
                                                     (1 << 23) - 1]
    with pytest.raises(ValueError, match="num_message_bits"):
        fxp.saturate_payload(x, 25)
    with pytest.raises(ValueError, match="num_message_bits"):
        fxp.saturate_payload(x, 1)


def test_trace_decay_accepts_every_epoch_from_1_and_names_the_bound_it_breaks():
    assert fxp.trace_decay_to_fixed(1) == 4096  # N = 1: the trace is the value itself
    for bad, match in ((0, "learning_epoch=0 is out of range: allowed 1..4096 "
                           r"\(12-bit trace decay 1/N, N <= 4096\)"),
                       (4097, "learning_epoch=4097 is out of range: allowed 1..4096")):
        with pytest.raises(fxp.FixedPointRangeError, match=match):
            fxp.trace_decay_to_fixed(bad)


def test_range_errors_show_one_value_or_the_range_of_an_array():
    with pytest.raises(fxp.FixedPointRangeError, match=r"tau_m=0\.05 must be >= dt=0\.1"):
        fxp.decay_to_fixed(0.1, np.array([0.05, 0.05]), "tau_m")
    with pytest.raises(fxp.FixedPointRangeError, match=r"tau_m=0\.05 must be >= dt=0\.1"):
        fxp.decay_to_fixed(0.1, np.array([0.05]), "tau_m")
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"tau_m=\[0\.02\.\.0\.5\] must be >= dt=0\.1"):
        fxp.decay_to_fixed(0.1, np.array([0.05, 0.02, 0.5]), "tau_m")


def test_stochastic_shift_left_shifts_exactly_for_a_non_positive_shift():
    x = np.array([3, -5, 0])
    assert fxp.stochastic_shift(x, -2, seed=1, step=1, index=np.arange(3)).tolist() == [12, -20,
                                                                                        0]
    assert fxp.stochastic_shift(x, 0, seed=1, step=1, index=np.arange(3)).tolist() == [3, -5, 0]


def test_dequantized_weights_divide_out_the_accumulators_fractional_bits():
    # a 16-bit accumulator of 384 with 8 fractional bits is mantissa 1.5, at exponent -1: 0.75
    assert fxp.dequantize_weights(np.array([384, -256]), -1, extra_frac_bits=8).tolist() == [
        0.75, -0.5]
    assert fxp.dequantize_weights(np.array([3]), 2).tolist() == [12.0]


# --- range checks of the conversions: the edges are allowed, one step past is refused ---
def test_state_range_allows_its_largest_value_and_names_a_larger_one():
    fxp.check_state_range("x", np.array([fxp.STATE_MAX_REAL, -fxp.STATE_MAX_REAL]))
    fxp.check_state_range("x", np.array([]))  # nothing to check
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"x has \|values\| up to 200: allowed -128\.\.128 "
                             r"\(Q7\.16 state, 24-bit signed\)"):
        fxp.check_state_range("x", np.array([3.0, -200.0]))


def test_gain_is_an_integer_16_bit_factor_from_0_to_just_below_16():
    assert fxp.scale_to_fixed(np.array([0.0, 1.5, 65535 / 4096]), "gamma").tolist() == [
        0, 6144, 65535]
    assert fxp.scale_to_fixed(1.5, "gamma").dtype == np.int64
    for bad in (16.0, -0.001, np.nan, np.inf):
        with pytest.raises(fxp.FixedPointRangeError,
                           match=r"gamma=.* must lie in 0\.\.15\.9998 \(16-bit unsigned, 12 "
                                 r"fractional bits\)"):
            fxp.scale_to_fixed(bad, "gamma")
    with pytest.raises(fxp.FixedPointRangeError, match=r"beta=16 must lie"):
        fxp.scale_to_fixed(16.0, "beta")


def test_gain_refuses_inf_without_numpys_cast_warning_first():
    for bad in (np.inf, -np.inf):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # only our error, no "invalid value in cast"
            with pytest.raises(fxp.FixedPointRangeError, match="must lie in"):
                fxp.scale_to_fixed(np.array([1.0, bad]), "gamma")


def test_unsigned_factor_spans_1_to_2_to_the_bits_minus_1_and_names_its_range():
    top = ((1 << 16) - 1) / 4096
    fixed = fxp.fraction_to_fixed("g", np.array([1 / 4096, 1.5, top]), 16)
    assert fixed.tolist() == [1, 6144, 65535] and fixed.dtype == np.int64
    for bad in (16.0, 0.0):
        with pytest.raises(fxp.FixedPointRangeError,
                           match=r"g=.* is not representable: allowed 0\.000244141\.\.15\.9998 "
                                 r"\(16-bit unsigned, 12 fractional bits\)"):
            fxp.fraction_to_fixed("g", np.array([bad]), 16)
    assert fxp.fraction_to_fixed("k", np.array([1.0]), 12, allow_unity=True).tolist() == [4096]


def test_weight_exponent_is_clipped_to_its_range_and_names_non_finite_weights():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log2(0) on the way
        assert fxp.choose_weight_exp(0.0) == fxp.WEIGHT_EXP_MIN
    assert fxp.choose_weight_exp(1e-30) == fxp.WEIGHT_EXP_MIN
    assert fxp.choose_weight_exp(1e30) == fxp.WEIGHT_EXP_MAX
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"^weights has max\|w\|=inf \(headroom 1\.0\): "
                             r"weights must be finite"):
        fxp.choose_weight_exp(np.inf)


def test_modulator_is_a_signed_byte_with_6_fractional_bits():
    assert fxp.modulator_to_fixed(np.array([-2.0, 1.0, 1.984375])).tolist() == [-128, 64, 127]
    assert fxp.modulator_to_fixed(np.array([1.0])).dtype == np.int64
    for bad in (2.0, -2.02, np.nan):
        with pytest.raises(fxp.FixedPointRangeError,
                           match=r"m=.* is out of range: allowed -2\.0\.\.1\.984375 \(8-bit "
                                 r"signed, 6 fractional bits\)"):
            fxp.modulator_to_fixed(np.array([bad]))
    with pytest.raises(fxp.FixedPointRangeError, match=r"reward=3 is out of range"):
        fxp.modulator_to_fixed(np.array([3.0]), "reward")


def test_to_state_saturates_values_beyond_the_q7_16_range_with_a_warning_counting_them():
    edges = np.array([-128.0, fxp.STATE_MAX_REAL, 1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the edges themselves fit: no warning
        assert fxp.to_state(edges).tolist() == [-(1 << 23), (1 << 23) - 1, 98304]
    with pytest.warns(RuntimeWarning, match=r"to_state: 2 of 3 values lie outside the Q7\.16 "
                                            r"state range -128\.\.128 \(largest \|x\| 300\) "
                                            r"and saturate"):
        out = fxp.to_state(np.array([-300.0, 0.5, 129.0]))
    assert out.tolist() == [-(1 << 23), 32768, (1 << 23) - 1] and out.dtype == np.int64
    with pytest.warns(RuntimeWarning):
        huge = fxp.to_state(np.array([1e300, -1e300]))  # clipped before the integer cast
    assert huge.tolist() == [(1 << 23) - 1, -(1 << 23)]
    with pytest.raises(fxp.FixedPointRangeError, match="1 NaN or inf"):
        fxp.to_state(np.array([1.0, np.nan]))


def test_to_state_saturation_warning_names_the_callers_line():
    # (deselected under mutmut, whose trampoline adds a frame between caller and callee)
    with pytest.warns(RuntimeWarning) as caught:
        fxp.to_state(np.array([1e300]))
    assert caught[0].filename == __file__


def test_spike_encoder_fires_at_exactly_one_and_sigma_delta_holds_at_exactly_the_threshold():
    one = fxp.ONE
    acc, spikes = fxp.integrate_and_fire(np.array([0, 0, 0, 5]), np.array([one, one - 1, -one, 0]))
    assert spikes.tolist() == [one, 0, -one, 0] and acc.tolist() == [0, one - 1, 0, 5]
    sent = fxp.sigma_delta_hold(np.array([110, 111, 89, 90]), np.array([100, 100, 100, 100]), 10)
    assert sent.tolist() == [100, 111, 89, 100]  # moved by the threshold itself: held


def test_shift_round_rounds_ties_up_at_every_shift_and_shifts_left_at_negative_ones():
    x = np.array([3, -3, 2, 5])
    assert fxp.shift_round(x, 1).tolist() == [2, -1, 1, 3]  # (x + 1) >> 1
    assert fxp.shift_round(x, 0).tolist() == [3, -3, 2, 5]
    assert fxp.shift_round(x, -2).tolist() == [12, -12, 8, 20]


def test_integer_checks_accept_integral_numbers_only_and_name_value_range_and_width():
    fxp.check_int_range("n", 3.0, 0, 5)
    fxp.check_int_range("n", np.array([0, 5]), 0, 5)
    for bad in (2.5, np.nan, "3", [1, 2], np.array(["a"])):
        with pytest.raises(fxp.FixedPointRangeError, match=r"^n=.* must be an integer in 0\.\.5$"):
            fxp.check_int_range("n", bad, 0, 5)
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"^n=9 is out of range: allowed 0\.\.5 \(3-bit\)$"):
        fxp.check_int_range("n", 9, 0, 5, bits="3-bit")
    assert fxp.check_weight_exp(np.array([3])) == 3 and fxp.check_weight_exp(-16) == -16
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"^weight_exp=array\(\[1, 2\]\) must be one integer in -16\.\.7$"):
        fxp.check_weight_exp(np.array([1, 2]))
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"^weight_exp=8 is out of range: allowed -16\.\.7$"):
        fxp.check_weight_exp(8)


def test_weights_beyond_the_register_are_refused_naming_the_matrix_and_the_remedy():
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"^weights has \|w\| up to 1, beyond the largest representable value "
                             r"0\.992188 \(8-bit register, weight_exp=-7\): scale the weights "
                             r"down or choose a larger weight_exp$"):
        fxp.quantize_weights(np.array([0.5, 1.0]), -7)
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"^weights contains NaN or inf: weights must be finite$"):
        fxp.quantize_weights(np.array([0.5, np.nan]), -7)


def test_weight_saturation_warning_names_the_callers_line():
    # (deselected under mutmut, whose trampoline adds a frame between caller and callee)
    with pytest.warns(UserWarning, match="clipped to") as caught:
        fxp.quantize_weights(np.array([2.0]), -7, saturate=True)
    assert caught[0].filename == __file__


def exact_matmul(a: np.ndarray, b: np.ndarray) -> list:
    """``a @ b`` in Python integers (no rounding anywhere)."""
    return (np.asarray(a).astype(object) @ np.asarray(b).astype(object)).tolist()


def test_int_matmul_is_exact_on_its_float_path_its_split_path_and_refuses_the_rest():
    rng = np.random.default_rng(5)
    small = rng.integers(-1000, 1000, (3, 4)), rng.integers(-1000, 1000, (4, 5))
    split = rng.integers(-2**20, 2**20, (3, 2)), rng.integers(-2**36, 2**36, (2, 5))
    for a, b in (small, split):
        got = fxp.int_matmul(a, b)
        assert got.dtype == np.int64 and got.tolist() == exact_matmul(a, b)
    # three products of (2**27 + 1)(2**25 + 1) sum to an odd number above 2**53, which
    # float64 cannot hold: the bound (counted over the inner axis of a stack) sends it
    # to the split path
    a = np.full((1, 1, 3), 2**27 + 1)
    b = np.full((1, 3, 1), 2**25 + 1)
    assert fxp.int_matmul(a, b).tolist() == exact_matmul(a, b)
    assert fxp.int_matmul(np.zeros((2, 0), np.int64), np.zeros((0, 3), np.int64)).tolist() == \
        [[0, 0, 0], [0, 0, 0]]
    # the split path's own bound: just below 2**53 is computed, at 2**53 refused
    a, b = np.full((1, 2), 2**41), np.full((2, 1), 2**20 - 1)
    assert fxp.int_matmul(a, b).tolist() == exact_matmul(a, b)
    with pytest.raises(OverflowError, match=r"^int_matmul: \|a\| <= 1073741824, \|b\| <= "
                                            r"17592186044415 over 2 terms exceeds 2\*\*53 even "
                                            r"after splitting; reduce the batch or bit width$"):
        fxp.int_matmul(np.full((1, 2), 2**30), np.full((2, 1), 2**44 - 1))


def test_learning_rate_is_an_8_bit_mantissa_normalised_to_128_255_and_a_5_bit_shift():
    smallest = 128 * 2.0 ** -(8 + 31)
    cases = {0.0: (0, 0), 0.5: (128, 0), 255 / 256: (255, 0), 0.3: (154, 1),
             smallest: (128, 31)}
    for eta, expected in cases.items():
        assert fxp.learning_rate_to_fixed(eta) == expected
    for bad in (1.0, smallest * 0.99):
        with pytest.raises(fxp.FixedPointRangeError,
                           match=r"^eta=.* is not representable: allowed 2\.33e-10\.\.0\.996 "
                                 r"\(8-bit mantissa, 5-bit shift\)$"):
            fxp.learning_rate_to_fixed(bad)
    for bad in (True, "0.1", -0.1, np.nan):
        with pytest.raises(fxp.FixedPointRangeError, match=r"^lr=.* must be a finite number >= 0$"):
            fxp.learning_rate_to_fixed(bad, "lr")


def test_fixed_arithmetic_names_the_time_constant_gain_or_modulator_out_of_range():
    from lava_vle.arithmetic import FixedArithmetic as A

    with pytest.raises(fxp.FixedPointRangeError, match=r"^tau_m=0\.05 must be >= dt=0\.1"):
        A.neuron_constants(0.1, [0.05], [0.05])
    with pytest.raises(fxp.FixedPointRangeError, match=r"^tau_r=0\.05 must be >= dt=0\.1"):
        A.neuron_constants(0.1, [1.0], [0.05])
    with pytest.raises(fxp.FixedPointRangeError, match=r"^tau_r/tau_m=20 is not representable"):
        A.neuron_constants(0.1, [0.1], [2.0])
    with pytest.raises(fxp.FixedPointRangeError, match=r"^beta=20 must lie in"):
        A.gain(20.0, "beta")
    with pytest.raises(fxp.FixedPointRangeError, match=r"^m=3 is out of range"):
        A.modulator(np.array([3.0]))
    with pytest.raises(fxp.FixedPointRangeError, match=r"^reward=3 is out of range"):
        A.modulator(np.array([3.0]), "reward")
