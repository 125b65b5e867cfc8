"""Property tests of the fixed-point core against slow pure-Python references."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_vle import fixed_point as fxp
from lava_vle.spec import FixedParams, LayerSpec, NetworkSpec, init_params

BIG = 2**40
ints = st.integers(-BIG, BIG)
int_lists = st.lists(ints, min_size=1, max_size=20)


def ref_saturate(x: int, bits: int) -> int:
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return min(max(x, lo), hi)


def ref_mul_shift(x: int, f: int, s: int) -> int:
    p = x * f
    return (1 if p > 0 else -1 if p < 0 else 0) * (abs(p) // 2**s)


def ref_round_half_up(x: int, s: int) -> int:
    return int(np.floor(Fraction(x, 2**s) + Fraction(1, 2)))


@given(int_lists, st.integers(2, 40))
def test_saturate_clips_to_signed_range_like_reference(xs, bits):
    assert fxp.saturate(xs, bits).tolist() == [ref_saturate(x, bits) for x in xs]


def test_state_register_edges_saturate():
    top, bottom = 2**23 - 1, -(2**23)
    assert fxp.saturate_state([top + 1, bottom - 1, top, bottom]).tolist() == [top, bottom, top, bottom]


@given(st.lists(st.integers(-(2**23), 2**23 - 1), min_size=1, max_size=20),
       st.integers(0, 2**16 - 1), st.integers(0, 16))
def test_mul_shift_rounds_toward_zero_like_lava_lif(xs, factor, shift):
    assert fxp.mul_shift(xs, factor, shift).tolist() == [ref_mul_shift(x, factor, shift) for x in xs]


@given(int_lists, st.integers(-16, 7))
def test_shift_exponent_matches_floor_of_power_of_two_product(xs, exp):
    expected = [x * 2**exp if exp >= 0 else x // 2 ** (-exp) for x in xs]
    assert fxp.shift_exponent(xs, exp).tolist() == expected


@given(int_lists, st.lists(st.integers(-16, 7), min_size=1, max_size=4))
def test_shift_exponent_of_a_stack_shifts_each_layer_by_its_own_exponent(xs, exps):
    stack = np.array([xs] * len(exps))
    got = fxp.shift_exponent(stack, np.array(exps)[:, None])
    assert got.tolist() == [fxp.shift_exponent(xs, e).tolist() for e in exps]


@given(int_lists, st.integers(0, 30))
def test_shift_round_rounds_half_up(xs, shift):
    assert fxp.shift_round(xs, shift).tolist() == [ref_round_half_up(x, shift) for x in xs]


@given(st.integers(-(2**23), 2**23 - 1), st.integers(-(2**23), 2**23 - 1),
       st.integers(1, 2**16 - 1))
def test_relax_toward_saturates_difference_and_result_at_24_bits(x, target, factor):
    delta = ref_saturate(target - x, 24)
    expected = ref_saturate(x + ref_mul_shift(delta, factor, 12), 24)
    assert int(fxp.relax_toward(x, target, factor)) == expected


def test_relax_toward_with_unity_decay_reaches_target_unless_difference_saturates():
    x = np.array([-(2**23), 5, 2**23 - 1])
    target = np.array([2**23 - 1, -7, -(2**23)])
    # target - x saturates at 24 bits, so the two extremes end half-way, at -1
    assert fxp.relax_toward(x, target, fxp.DECAY_UNITY).tolist() == [-1, -7, -1]


@settings(max_examples=50)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(1, 5), st.integers(8, 24),
       st.integers(8, 30), st.integers(0, 2**32 - 1))
def test_int_matmul_is_exact_even_beyond_float64_mantissa(m, k, n, bits_a, bits_b, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-(2 ** (bits_a - 1)), 2 ** (bits_a - 1), size=(m, k))
    b = rng.integers(-(2 ** (bits_b - 1)), 2 ** (bits_b - 1), size=(k, n))
    a[0, 0], b[0, 0] = -(2 ** (bits_a - 1)), -(2 ** (bits_b - 1))  # edge values
    expected = [[sum(int(a[i, j]) * int(b[j, q]) for j in range(k)) for q in range(n)]
                for i in range(m)]
    assert fxp.int_matmul(a, b).tolist() == expected


def ref_lowbias32(x: int) -> int:
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**31), st.lists(st.integers(0, 2**31), max_size=10))
def test_counter_hash_matches_pure_python_reference(seed, step, index):
    key = ref_lowbias32(ref_lowbias32(seed) ^ step)
    expected = [ref_lowbias32(key ^ i) for i in index]
    assert fxp.counter_hash(seed, step, np.array(index, dtype=np.int64)).tolist() == expected


def test_counter_hash_bits_are_balanced_and_keyed_by_every_counter():
    bits = fxp.counter_hash(7, 3, np.arange(100_000))
    frac_ones = np.unpackbits(bits.astype(">u4").view(np.uint8)).mean()
    assert abs(frac_ones - 0.5) < 0.005
    assert np.mean(bits == fxp.counter_hash(7, 4, np.arange(100_000))) < 1e-3
    assert np.mean(bits == fxp.counter_hash(8, 3, np.arange(100_000))) < 1e-3


@given(st.integers(-(2**40), 2**40), st.integers(1, 40))
def test_stochastic_shift_lands_on_floor_or_ceil(x, shift):
    out = fxp.stochastic_shift(np.full(64, x), shift, seed=1, step=2, index=np.arange(64))
    q = Fraction(x, 2**shift)
    assert set(out.tolist()) <= {int(np.floor(q)), int(np.ceil(q))}


@given(st.lists(st.integers(-(2**40), 2**40), min_size=3, max_size=3),
       st.lists(st.integers(-3, 40), min_size=3, max_size=3), st.integers(0, 2**31))
def test_keyed_shift_of_a_stack_rounds_each_layer_as_its_own_stochastic_shift(xs, shifts, step):
    """One call over (layers, synapses) with a shift and a hash key per layer
    gives each layer's stochastic_shift bits (the fused chain's update)."""
    seeds, index = [fxp.stream_seed(9, k) for k in range(3)], np.arange(5)
    keys = np.array([fxp.hash_key(seed, step) for seed in seeds], np.uint64)[:, None]
    stack = np.array(xs)[:, None] * np.ones(5, np.int64)
    got = fxp.keyed_shift(stack, np.array(shifts)[:, None], keys, index)
    want = [fxp.stochastic_shift(row, shift, seed, step, index)
            for row, shift, seed in zip(stack, shifts, seeds)]
    assert got.tolist() == np.array(want).tolist()


@pytest.mark.parametrize("x,shift", [(5, 4), (-5, 4), (1000, 9), (-3, 2), (12345, 20)])
def test_stochastic_shift_is_unbiased(x, shift):
    n = 200_000
    mean = fxp.stochastic_shift(np.full(n, x), shift, seed=3, step=11, index=np.arange(n)).mean()
    assert mean == pytest.approx(x / 2**shift, abs=4 / np.sqrt(n) + 1e-9)


@given(st.floats(1e-6, 1e3))
def test_choose_weight_exp_is_the_smallest_that_fits(max_abs):
    exp = fxp.choose_weight_exp(max_abs)
    if fxp.WEIGHT_EXP_MIN < exp < fxp.WEIGHT_EXP_MAX:
        assert max_abs <= 127 * 2.0**exp
        assert max_abs > 127 * 2.0 ** (exp - 1)


@given(st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=30), st.integers(-12, -7))
def test_quantize_weights_rounds_to_nearest_and_saturates_8_bits_only_when_asked(ws, exp):
    exact = [int(np.rint(w * 2.0 ** (-exp))) for w in ws]
    if all(-128 <= q <= 127 for q in exact):
        assert fxp.quantize_weights(np.array(ws), exp).tolist() == exact
        return
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"W1_0 has \|w\| up to .* largest representable value .*8-bit"):
        fxp.quantize_weights(np.array(ws), exp, name="W1_0")
    with pytest.warns(UserWarning, match=r"W1_0 .* clipped to"):
        q = fxp.quantize_weights(np.array(ws), exp, name="W1_0", saturate=True)
    assert q.tolist() == [max(-128, min(127, e)) for e in exact]


def test_weights_beyond_the_largest_exponent_or_not_finite_raise_naming_the_matrix():
    spec = NetworkSpec(n_in=2, layers=(LayerSpec(3), LayerSpec(2, activation="linear")))
    params = init_params(spec)
    params.weights[1] *= 1e6
    with pytest.raises(fxp.FixedPointRangeError,
                       match=r"W2_1 has \|w\| up to .*largest representable value 16383.5 \(16-bit"):
        FixedParams.from_float(spec, params)
    params.weights[1][0, 0] = np.nan
    with pytest.raises(ValueError, match="W2_1 contains NaN"):
        FixedParams.from_float(spec, params)


def test_to_state_rejects_nan_and_inf():
    for bad in (np.nan, np.inf, [0.5, -np.inf]):
        with pytest.raises(fxp.FixedPointRangeError, match="to_state: x contains 1 NaN or inf"):
            fxp.to_state(bad)


def test_accumulator_to_mantissa_rounds_and_saturates():
    acc = np.array([-(2**15), 2**15 - 1, 127, 128, -129, 300])
    assert fxp.accumulator_to_mantissa(acc).tolist() == [-128, 127, 0, 1, -1, 1]


def test_decay_conversion_names_parameter_range_and_bit_width():
    assert fxp.decay_to_fixed(0.1, np.array([1.0, 0.1]), "tau_m").tolist() == [410, 4096]
    with pytest.raises(fxp.FixedPointRangeError, match=r"tau_m.*>= dt=0\.2.*12-bit"):
        fxp.decay_to_fixed(0.2, 0.1, "tau_m")
    with pytest.raises(fxp.FixedPointRangeError, match=r"dt/tau_r.*12-bit unsigned"):
        fxp.decay_to_fixed(1e-5, 1.0, "tau_r")


def test_gain_conversion_rejects_ratios_beyond_16_bits():
    assert int(fxp.gain_to_fixed(6.0, "tau_m/tau_r")) == 6 * 4096
    with pytest.raises(fxp.FixedPointRangeError, match=r"tau_m/tau_r=20.*16-bit unsigned"):
        fxp.gain_to_fixed(20.0, "tau_m/tau_r")


@given(st.floats(1e-9, 0.99))
def test_learning_rate_mantissa_is_normalised_8_bit(eta):
    mant, shift = fxp.learning_rate_to_fixed(eta)
    assert 128 <= mant <= 255 and 0 <= shift <= 31
    assert mant * 2.0 ** -(8 + shift) == pytest.approx(eta, rel=1 / 256)


def test_learning_rate_and_modulator_errors_name_the_parameter():
    with pytest.raises(fxp.FixedPointRangeError, match=r"eta=2\.0.*8-bit mantissa"):
        fxp.learning_rate_to_fixed(2.0)
    with pytest.raises(fxp.FixedPointRangeError, match=r"eta=-1"):
        fxp.learning_rate_to_fixed(-1)
    with pytest.raises(fxp.FixedPointRangeError, match=r"m=3.*8-bit signed"):
        fxp.modulator_to_fixed(3.0)
    with pytest.raises(fxp.FixedPointRangeError, match=r"num_message_bits=30.*2\.\.24"):
        fxp.saturate_payload([1], 30)


def test_plastic_update_matches_float_rule_on_average():
    rng = np.random.default_rng(0)
    e = fxp.to_state(rng.uniform(-0.5, 0.5, size=(4, 3)))
    r = fxp.to_state(rng.uniform(-1, 1, size=(4, 5)))
    eta, exp = 1e-2, -9
    mant, shift = fxp.learning_rate_to_fixed(eta)
    trace = fxp.modulated_error(e, np.full(4, 64), mant)
    deltas = np.stack([fxp.plastic_update(np.zeros((3, 5)), trace, r, exp, shift, seed=0, step=s)
                       for s in range(1, 4001)])
    real = deltas.mean(0) * 2.0 ** (exp - fxp.ACC_FRAC_BITS)
    expected = mant * 2.0 ** -(8 + shift) * fxp.from_state(e).T @ fxp.from_state(r)
    np.testing.assert_allclose(real, expected, atol=2.0 ** (exp - fxp.ACC_FRAC_BITS) * 0.05)


def test_plastic_update_saturates_the_16_bit_accumulator():
    trace = fxp.to_state(np.full((1, 2), 100.0))
    r = fxp.to_state(np.full((1, 1), 100.0))
    acc = fxp.plastic_update(np.array([[2**15 - 10], [-(2**15) + 10]]), trace * [[1, -1]], r,
                             weight_exp=0, eta_shift=0, seed=0, step=1)
    assert acc.ravel().tolist() == [2**15 - 1, -(2**15)]


def test_oversized_weights_error_offers_only_what_the_caller_can_do():
    from lava_vle.processes import PlasticSynapse, graded_dense

    with pytest.raises(fxp.FixedPointRangeError, match="choose a larger weight_exp$"):
        PlasticSynapse(weights=np.full((2, 2), 1e4), weight_exp=0)
    with pytest.raises(fxp.FixedPointRangeError, match="pass saturate=True"):
        graded_dense(np.full((2, 2), 1e9), "fixed")


def test_relax_toward_with_two_factors_equals_each_factor_alone():
    rng = np.random.default_rng(0)
    x, target = (rng.integers(-2**23, 2**23, 50) for _ in range(2))
    k_a, k_b = rng.integers(0, 4097, 50), rng.integers(0, 2**16, 50)
    both = fxp.relax_toward(x, target, k_a, k_b)
    assert [a.tolist() for a in both] == [fxp.relax_toward(x, target, k).tolist()
                                          for k in (k_a, k_b)]
