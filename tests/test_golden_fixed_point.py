"""Golden vectors of the fixed-point arithmetic, small enough to check by hand.

Each expected integer below is worked out in the comment beside it from the
bit-width table (Q7.16 state: 1.0 = 65536; 12-bit decays and gains: 1.0 =
4096; products rounded toward zero, ``sign(x f) (|x f| >> 12)``), not taken
from the code under test: a rule that changes by one LSB fails here even
where two code paths that share it still agree bit for bit.
"""
import numpy as np

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
