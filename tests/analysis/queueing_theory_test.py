"""Unit tests of analysis/queueing_theory.py against textbook values."""

import math
import os
import sys
import unittest

SOURCE_DIR = os.environ.get("QLAB_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE_DIR, "analysis"))

import queueing_theory as qt  # noqa: E402


def scenario(rate, consumers, producers=1, faults=None):
    out = {"producers": [{"count": producers, "arrival": "poisson", "rate": rate}],
           "consumers": [{"count": count, "service": service} for count, service in consumers]}
    if faults:
        out["faults"] = faults
    return out


EXP_1S = {"dist": "exponential", "mean": "1s"}


class ErlangCTest(unittest.TestCase):
    def test_two_servers_one_erlang_wait_with_probability_one_third(self):
        self.assertAlmostEqual(qt.erlang_c(2, 1.0), 1 / 3)

    def test_one_server_waits_with_probability_rho(self):
        self.assertAlmostEqual(qt.erlang_c(1, 0.8), 0.8)

    def test_saturation_always_waits(self):
        self.assertEqual(qt.erlang_c(4, 4.0), 1.0)
        self.assertEqual(qt.mmc_wait(4.0, 4, 1.0), math.inf)

    def test_many_servers_stay_finite(self):
        self.assertTrue(0 < qt.erlang_c(500, 450.0) < 1)


class WaitTest(unittest.TestCase):
    def test_mm1_mean_wait(self):
        # M/M/1 at rho 0.8 with mean service 1s: Wq = rho / (mu - lambda) = 4s.
        self.assertAlmostEqual(qt.mmc_wait(0.8, 1, 1.0), 4.0)
        self.assertAlmostEqual(qt.mg1_wait(0.8, 1.0, 1.0), 4.0)

    def test_md1_waits_half_as_long(self):
        self.assertAlmostEqual(qt.mg1_wait(0.8, 1.0, 0.0), 2.0)

    def test_mm8_at_rho_09(self):
        # The mm8 example: Erlang C for c=8, a=7.2 is 0.701533, so Wq = 0.701533 / (8 - 7.2) = 0.876916s.
        self.assertAlmostEqual(qt.erlang_c(8, 7.2), 0.701533, places=6)
        self.assertAlmostEqual(qt.mmc_wait(7.2, 8, 1.0), 0.876916, places=6)


class PredictTest(unittest.TestCase):
    def test_mmc_from_a_resolved_scenario(self):
        p = qt.predict(scenario("7.2/s", [(8, EXP_1S)]), "mmc")
        self.assertAlmostEqual(p["wait"], 0.876916, places=6)
        self.assertAlmostEqual(p["latency"], 1.876916, places=6)

    def test_producer_count_multiplies_the_rate(self):
        self.assertAlmostEqual(qt.predict(scenario("0.4/s", [(1, EXP_1S)], producers=2), "mmc")["wait"], 4.0)

    def test_per_consumer_queues_split_the_rate(self):
        # lambda 7.2 over 8 consumers: each an M/M/1 at rho 0.9, Wq = 0.9 / 0.1 * 1s = 9s.
        p = qt.predict(scenario("7.2/s", [(8, EXP_1S)]), "per_consumer_mm1")
        self.assertAlmostEqual(p["wait"], 9.0)
        self.assertAlmostEqual(p["latency"], 10.0)

    def test_per_consumer_queues_with_constant_service_use_pollaczek_khinchine(self):
        p = qt.predict(scenario("1.6/s", [(2, "1s")]), "per_consumer_mm1")
        self.assertAlmostEqual(p["wait"], 2.0)
        self.assertEqual(qt.model_label("per_consumer_mm1", scenario("1.6/s", [(2, "1s")])),
                         "per-consumer M/G/1 (random split)")

    def test_per_consumer_queues_average_over_different_consumers(self):
        # 1/s over two consumers: 0.5/s each; service 1s (rho .5, Wq 1) and 0.5s (rho .25, Wq 1/6).
        p = qt.predict(scenario("1/s", [(1, EXP_1S), (1, {"dist": "exponential", "mean": "500ms"})]),
                       "per_consumer_mm1")
        self.assertAlmostEqual(p["wait"], (1.0 + 1 / 6) / 2)

    def test_models_say_why_they_do_not_apply(self):
        mixed = scenario("1/s", [(1, EXP_1S), (1, "2s")])
        self.assertIn("differ", qt.predict(mixed, "mmc"))
        batch = {"producers": [{"arrival": "batch", "messages": 10}], "consumers": [{"service": "1s"}]}
        self.assertIn("not Poisson", qt.predict(batch, "mmc"))
        crashes = scenario("1/s", [(2, EXP_1S)], faults=[{"at": "1s", "action": "crash", "target": "x"}])
        self.assertIn("faults", qt.predict(crashes, "per_consumer_mm1"))

    def test_supermarket_model_matches_the_known_values_at_rho_0_9(self):
        self.assertAlmostEqual(qt.supermarket_time(0.9, 1), 10.0)
        self.assertAlmostEqual(qt.supermarket_time(0.9, 2), 2.6141, places=3)
        self.assertLess(qt.supermarket_time(0.9, 3), qt.supermarket_time(0.9, 2))
        self.assertEqual(qt.supermarket_time(1.0, 2), math.inf)

    def test_supermarket_prediction_scales_with_the_mean_service(self):
        # 90 consumers of mean 100 ms at 810/s: rho 0.9 each, T = 0.1 s * T_2(0.9).
        p = qt.predict(scenario("810/s", [(90, {"dist": "exponential", "mean": "100ms"})]), "supermarket_d2")
        self.assertAlmostEqual(p["latency"], 0.1 * qt.supermarket_time(0.9, 2))
        self.assertIn("exponential", qt.predict(scenario("1/s", [(2, "1s")]), "supermarket_d2"))

    def test_unknown_model(self):
        with self.assertRaises(ValueError):
            qt.predict(scenario("1/s", [(2, EXP_1S)]), "mm_infinity")


if __name__ == "__main__":
    unittest.main()
