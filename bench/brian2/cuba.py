"""CUBA benchmark in Brian2, as galvani's networks/cuba.gal (with models/lif_curr_exp.gal).

Brette R et al. (2007), J Comput Neurosci 23:349-398, benchmark 2 (after Vogels & Abbott
2005), with the values of Brian2's own CUBA example: 3200 E + 800 I LIF neurons,
tau_m = 20 ms, E_L = -49 mV, threshold -50 mV, reset -60 mV, refractory 5 ms, exponential
currents tau_e = 5 ms, tau_i = 10 ms, jumps w_e = 1.62 mV, w_i = -9 mV, connection
probability 2 % per ordered pair (no autapses, as galvani), V(0) uniform in [-60, -50] mV.

Differences from Brian2's example, made so that both sides run the same network:
- delay = dt (0.1 ms): galvani's default delay is one step (a spike emitted at the end of
  step k is applied after step k+1's integration); a Brian2 synapse with delay 0 applies
  it before step k+1's integration. With delay = dt Brian2 does what galvani does.
- autapses left out (i != j), as galvani leaves them out.
Integration: Brian2 'exact' (the linear system solved exactly); galvani expeuler2.

Run: python cuba.py --seed 1 [--device runtime|numpy|standalone] [--spikes s.csv]
"""

import brian2 as b2
from brian2 import ms, mV

import common

args = common.parse_args(__doc__.splitlines()[0])
common.setup(args)

N_E, N_I = 3200, 800
tau_m, E_L, V_th, V_r, t_ref = 20 * ms, -49 * mV, -50 * mV, -60 * mV, 5 * ms
tau_e, tau_i = 5 * ms, 10 * ms
w_e, w_i, p = 1.62 * mV, -9 * mV, 0.02

eqs = """
dV/dt = (E_L - V + x_e + x_i) / tau_m : volt (unless refractory)
dx_e/dt = -x_e / tau_e : volt
dx_i/dt = -x_i / tau_i : volt
"""
P = b2.NeuronGroup(N_E + N_I, eqs, threshold="V > V_th", reset="V = V_r",
                   refractory=t_ref, method="exact")
P.V = "V_r + rand() * (V_th - V_r)"
Pe, Pi = P[:N_E], P[N_E:]
Ce = b2.Synapses(Pe, P, on_pre="x_e += w_e", delay=common.DT_MS * ms)
Ci = b2.Synapses(Pi, P, on_pre="x_i += w_i", delay=common.DT_MS * ms)
Ce.connect(condition="i != j", p=p)            # Pe index i is P index i
Ci.connect(condition="i + N_E != j", p=p)      # Pi index i is P index i + N_E
mon = b2.SpikeMonitor(P)
net = b2.Network(P, Ce, Ci, mon)
times = common.run(args, net, globals())
common.report(args, "cuba", times, mon, [("E", 0, N_E), ("I", N_E, N_I)],
              {"synapses": int(len(Ce) + len(Ci))})
