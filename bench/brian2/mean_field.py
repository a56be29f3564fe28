"""Brunel (2000) mean-field rate of model A's stationary state: the self-consistent
solution of the Siegert formula (Brunel 2000, eqs. 21-22), as a reference for the
simulated rates in docs/comparison.md. Documentation only; numpy is the only dependency.

  1/nu = tau_rp + tau sqrt(pi) * integral from (V_r - mu)/sigma to (theta - mu)/sigma
                                  of exp(u^2) (1 + erf u) du
  mu      = C_E J tau (nu_x + nu (1 - g gamma))          gamma = C_I / C_E = 0.25
  sigma^2 = C_E J^2 tau (nu_x + nu (1 + g^2 gamma))

It ignores the delay and the finite size, and in the SR regime the stationary state is
unstable (the network oscillates), so there it is only an order of magnitude.

Run: python mean_field.py
"""

import math

import numpy as np

TAU, THETA, V_R, T_RP = 0.020, 20.0, 10.0, 0.002   # s, mV, mV, s
J, C_E, GAMMA = 0.1, 800, 0.25                      # mV, inputs, C_I / C_E


def erfcx(x):
    """exp(x^2) erfc(x) = exp(u^2) (1 + erf u) at u = -x, without overflow for large x."""
    if x < 25:
        return math.exp(x * x) * math.erfc(x)
    return 1 / (x * math.sqrt(math.pi)) * (1 - 1 / (2 * x * x))


def siegert(mu, sigma):
    u = np.linspace((V_R - mu) / sigma, (THETA - mu) / sigma, 20001)
    f = np.array([erfcx(-x) for x in u])
    integral = float(np.sum((f[1:] + f[:-1]) * np.diff(u)) / 2)
    return 1 / (T_RP + TAU * math.sqrt(math.pi) * integral)


def rate(g, eta):
    nu_x = eta * THETA / (J * C_E * TAU)

    def excess(nu):
        mu = C_E * J * TAU * (nu_x + nu * (1 - g * GAMMA))
        sigma = math.sqrt(C_E * J * J * TAU * (nu_x + nu * (1 + g * g * GAMMA)))
        return siegert(mu, sigma) - nu

    lo, hi = 0.01, 1 / T_RP - 1
    for _ in range(60):  # bisection: excess changes sign once on (0, 1/tau_rp)
        mid = (lo + hi) / 2
        if excess(lo) * excess(mid) <= 0:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


if __name__ == "__main__":
    for g, eta in ((5, 2), (3, 2)):
        print(f"g = {g}, eta = {eta}: stationary rate {rate(g, eta):.1f} Hz")
