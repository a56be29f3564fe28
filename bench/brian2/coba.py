"""COBA benchmark in Brian2, as galvani's networks/coba.gal (with models/lif_cond_exp.gal).

Brette R et al. (2007), J Comput Neurosci 23:349-398, benchmark 1 (after Vogels & Abbott
2005), with the values of Brian2's own COBA example: 3200 E + 800 I LIF neurons,
C = 200 pF, g_L = 10 nS (tau_m = 20 ms), E_L = -60 mV, E_e = 0 mV, E_i = -80 mV,
threshold -50 mV, reset -60 mV, refractory 5 ms, a constant drive of 0.2 nA (20 mV),
exponential conductances tau_e = 5 ms, tau_i = 10 ms with jumps 6 nS and 67 nS,
connection probability 2 % per ordered pair (no autapses), V(0) uniform in [-60, -50] mV,
g_e(0) = g_i(0) = 0.

Written with physical units (C, g_L, nS jumps) as galvani's model is; Brian2's example
divides through by g_L (weights 0.6 and 6.7), which is the same system.
Differences from Brian2's example, made so that both sides run the same network:
- delay = dt (0.1 ms), galvani's default of one step (see cuba.py);
- autapses left out (i != j), as galvani leaves them out.
Integration: Brian2 'exponential_euler' (as its example); galvani expeuler2.

Run: python coba.py --seed 1 [--device runtime|numpy|standalone] [--spikes s.csv]
"""

import brian2 as b2
from brian2 import ms, mV, nS, pF, nA

import common

args = common.parse_args(__doc__.splitlines()[0])
common.setup(args)

N_E, N_I = 3200, 800
C, g_L, E_L, E_e, E_i = 200 * pF, 10 * nS, -60 * mV, 0 * mV, -80 * mV
V_th, V_r, t_ref, I_e = -50 * mV, -60 * mV, 5 * ms, 0.2 * nA
tau_e, tau_i = 5 * ms, 10 * ms
dg_e, dg_i, p = 6 * nS, 67 * nS, 0.02

eqs = """
dV/dt = (g_L * (E_L - V) + g_e * (E_e - V) + g_i * (E_i - V) + I_e) / C : volt (unless refractory)
dg_e/dt = -g_e / tau_e : siemens
dg_i/dt = -g_i / tau_i : siemens
"""
P = b2.NeuronGroup(N_E + N_I, eqs, threshold="V > V_th", reset="V = V_r",
                   refractory=t_ref, method="exponential_euler")
P.V = "V_r + rand() * (V_th - V_r)"
Pe, Pi = P[:N_E], P[N_E:]
Ce = b2.Synapses(Pe, P, on_pre="g_e += dg_e", delay=common.DT_MS * ms)
Ci = b2.Synapses(Pi, P, on_pre="g_i += dg_i", delay=common.DT_MS * ms)
Ce.connect(condition="i != j", p=p)
Ci.connect(condition="i + N_E != j", p=p)
mon = b2.SpikeMonitor(P)
net = b2.Network(P, Ce, Ci, mon)
times = common.run(args, net, globals())
common.report(args, "coba", times, mon, [("E", 0, N_E), ("I", N_E, N_I)],
              {"synapses": int(len(Ce) + len(Ci))})
