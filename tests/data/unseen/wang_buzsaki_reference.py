"""Makes wang_buzsaki_spikes_reference.csv: the spike times (upward crossings of -20 mV) of
unseen/wang_buzsaki.gal under constant Iapp, T = 100 ms, from an independent Python
implementation of the paper's equations integrated by scipy's DOP853 at rtol = atol = 1e-12
with event location. Not run by the tests; run by hand with numpy and scipy installed.
"""
import numpy as np
from scipy.integrate import solve_ivp

C, gNa, gK, gL, ENa, EK, EL, phi = 1.0, 35.0, 9.0, 0.1, 55.0, -90.0, -65.0, 5.0


def vtrap(x, y):
    return x / np.expm1(x / y)


def rates(v):
    am = 0.1 * vtrap(-(v + 35), 10)
    bm = 4 * np.exp(-(v + 60) / 18)
    ah = phi * 0.07 * np.exp(-(v + 58) / 20)
    bh = phi / (np.exp(-0.1 * (v + 28)) + 1)
    an = phi * 0.01 * vtrap(-(v + 34), 10)
    bn = phi * 0.125 * np.exp(-(v + 44) / 80)
    return am, bm, ah, bh, an, bn


def rhs(t, y, current):
    v, h, n = y
    am, bm, ah, bh, an, bn = rates(v)
    minf = am / (am + bm)
    dv = (current - gNa * minf**3 * h * (v - ENa) - gK * n**4 * (v - EK) - gL * (v - EL)) / C
    return [dv, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def crossing(t, y, current):
    return y[0] + 20


crossing.direction = 1

print("Iapp [uA/cm^2],spike,t [ms]")
for current in (0.5, 1.0, 3.0):
    v0 = -64.0
    am, bm, ah, bh, an, bn = rates(v0)
    y0 = [v0, ah / (ah + bh), an / (an + bn)]
    sol = solve_ivp(rhs, (0, 100), y0, args=(current,), method="DOP853",
                    rtol=1e-12, atol=1e-12, events=crossing)
    for k, t in enumerate(sol.t_events[0]):
        print(f"{current},{k},{t:.9f}")
