"""Queueing-theory predictions drawn next to measured curves. Standard library only.

Two models of a scenario with Poisson producers:
- 'mmc': one shared FIFO served by c identical consumers, M/M/c (Erlang C). With non-exponential service
  the Allen-Cunneen factor (1 + scv) / 2 scales the wait (exact for c = 1, Pollaczek-Khinchine).
- 'per_consumer_mm1': each message is bound at random to one of c consumers, so each consumer is its own
  queue fed by a Poisson stream of lambda / c: M/M/1, or M/G/1 (Pollaczek-Khinchine) when the service is
  not exponential. Consumers may differ; the prediction is the average over consumers (each gets 1/c of
  the messages).
- 'supermarket_d2': the supermarket model (power of two choices, N -> infinity): each message joins the
  shorter of two consumer queues sampled at random; with exponential service of mean E[S] and load rho per
  consumer the mean time in system is E[S] * T_2(rho), T_d = sum_{i>=1} rho^((d^i - d)/(d - 1)). Random
  assignment (d = 1) is 'per_consumer_mm1'.
"""

import math

from qlab_results import distribution_moments, parse_rate

MODELS = {
    "mmc": "M/M/c (Erlang C)",
    "per_consumer_mm1": "per-consumer M/M/1 (random split)",
    "supermarket_d2": "supermarket model, d = 2 (N -> inf)",
}


def supermarket_time(rho, d):
    """Mean time in system, in service times, of the supermarket model with d choices at load rho per
    server (Mitzenmacher; Vvedenskaya et al.): sum over i >= 1 of rho^((d^i - d) / (d - 1)); 1 / (1 - rho)
    for d = 1; inf if rho >= 1."""
    if rho >= 1:
        return math.inf
    if d == 1:
        return 1 / (1 - rho)
    total, i = 0.0, 1
    while True:
        term = rho ** ((d ** i - d) / (d - 1))
        total += term
        if term < 1e-12 or i > 60:
            return total
        i += 1


def erlang_c(c, a):
    """Probability that an arrival waits in M/M/c with offered load a = lambda * E[S] (Erlangs).
    Computed through the Erlang B recursion, which stays stable for large c."""
    if c < 1:
        raise ValueError("c must be at least 1")
    if a >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1 - rho * (1 - b))


def mmc_wait(lam, c, mean_service, scv=1.0):
    """Mean wait in queue (seconds) of M/M/c, scaled by (1 + scv) / 2 for general service; inf if rho >= 1."""
    a = lam * mean_service
    if a >= c:
        return math.inf
    wq = erlang_c(c, a) * mean_service / (c * (1 - a / c))
    return wq * (1 + scv) / 2


def mg1_wait(lam, mean_service, scv=1.0):
    """Pollaczek-Khinchine mean wait in queue (seconds) of M/G/1; M/M/1 when scv = 1."""
    rho = lam * mean_service
    if rho >= 1:
        return math.inf
    return rho / (1 - rho) * mean_service * (1 + scv) / 2


class TheoryInput:
    """What the models need from a resolved scenario: total Poisson rate and one (mean, scv) per consumer."""

    def __init__(self, lam, services):
        self.lam = lam
        self.services = services  # [(mean, scv)] per consumer

    @property
    def c(self):
        return len(self.services)


def theory_input(resolved):
    """TheoryInput from scenario_resolved, or a string saying why the models do not apply."""
    lam = 0.0
    for group in resolved.get("producers", []):
        arrival = group.get("arrival", "poisson")
        if arrival != "poisson":
            return "producers are not Poisson (%s arrivals)" % arrival
        lam += int(group.get("count", 1)) * parse_rate(group["rate"])
    services = []
    for group in resolved.get("consumers", []):
        moments = distribution_moments(group["service"])
        services.extend([moments] * int(group.get("count", 1)))
    if lam <= 0 or not services:
        return "no Poisson producers or no consumers"
    if resolved.get("faults"):
        return "the scenario injects faults"
    return TheoryInput(lam, services)


def predict(resolved, model):
    """{'wait': Wq, 'latency': Wq + E[S]} in seconds for one model, or a string saying why it does not
    apply. Values are inf beyond saturation."""
    inp = resolved if isinstance(resolved, TheoryInput) else theory_input(resolved)
    if isinstance(inp, str):
        return inp
    if model == "mmc":
        if len(set(inp.services)) > 1:
            return "consumers differ in service time (M/M/c needs identical servers)"
        mean, scv = inp.services[0]
        wait = mmc_wait(inp.lam, inp.c, mean, scv)
        return {"wait": wait, "latency": wait + mean}
    if model == "per_consumer_mm1":
        share = inp.lam / inp.c
        waits = [mg1_wait(share, mean, scv) for mean, scv in inp.services]
        wait = sum(waits) / len(waits)
        latency = sum(w + mean for w, (mean, _) in zip(waits, inp.services)) / len(waits)
        return {"wait": wait, "latency": latency}
    if model == "supermarket_d2":
        if len(set(inp.services)) > 1 or inp.services[0][1] != 1.0:
            return "the supermarket model needs identical consumers with exponential service"
        mean = inp.services[0][0]
        latency = mean * supermarket_time(inp.lam * mean / inp.c, 2)
        return {"wait": latency - mean, "latency": latency}
    raise ValueError("unknown theory model %r (known: %s)" % (model, ", ".join(MODELS)))


def model_label(model, resolved=None):
    """Legend label, naming M/G when the service is not exponential."""
    label = MODELS.get(model, model)
    inp = theory_input(resolved) if resolved is not None else None
    if isinstance(inp, TheoryInput) and any(scv != 1.0 for _, scv in inp.services):
        if model == "mmc":
            label = "M/G/c (Allen-Cunneen)"
        elif model == "per_consumer_mm1":
            label = "per-consumer M/G/1 (random split)"
    return label


# Metric keys a model predicts, and which prediction they take.
PREDICTED_METRICS = {"wait_mean": "wait", "latency_mean": "latency"}
