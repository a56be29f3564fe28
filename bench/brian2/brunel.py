"""Brunel (2000) model A in Brian2, as galvani's networks/brunel.gal (AI: g = 5, eta = 2)
and networks/brunel_sr.gal (SR: --g 3), with models/lif_delta.gal.

Brunel N (2000), J Comput Neurosci 8:183-208, model A: N_E = 10000, N_I = 2500 LIF
neurons, tau_m = 20 ms, theta = 20 mV, V_r = 10 mV, tau_rp = 2 ms; each neuron receives
C_E = 800 excitatory and C_I = 200 inhibitory inputs (fixed in-degree, distinct, no
autapses, drawn here with numpy from the seed), J = 0.1 mV, inhibitory -g*J, delay
D = 1.5 ms, and C_E external Poisson inputs of rate nu_x = eta * nu_thr, where
nu_thr = theta / (J * C_E * tau_m) = 12.5 Hz (eta = 2: nu_x = 25 Hz). V(0) uniform in
[0, 20] mV. During the refractory period the neuron is insensitive: V is held at V_r and
arriving spikes (recurrent and external) are discarded, as in the paper and in galvani
(Brian2's own Brunel example lets them add to the held V).

Two sets of time-step conventions (--conventions):
- brian2 (default): Brian2's schedule. Each step integrates, then checks the threshold,
  then delivers spikes (synapses, PoissonInput), then resets. A neuron pushed above theta
  by an arrival is seen at the next step's threshold check, after one more step of decay
  (V -> V (1 - dt/tau_m), 0.1 mV at theta): an effective threshold about 0.1 mV (one J)
  higher than galvani's. Delay 1.5 ms, refractory 2 ms (the neuron integrates again in the
  20th step after the spike step).
- galvani: the threshold is checked after the deliveries of the step (galvani's step 5:
  a neuron pushed above theta by arrivals fires at once); because the spikes of a step are
  then pushed into the delay queue at the next step, the Brian2 delay is 1.4 ms for
  galvani's 15 steps; refractory 2.1 ms, because galvani holds V and ignores arrivals in the
  r = 20 steps after the spike step (as NEST does), so the neuron integrates again in the
  21st. With these, Brian2 runs galvani's semantics step for step (the random numbers
  differ).

External input: Brian2's PoissonInput (binomial(C_E, nu_x*dt) events per step, mean 2);
galvani's drive draws a Poisson number with the same mean (variance 2 vs 1.995).

Run: python brunel.py --seed 1 [--g 5] [--eta 2] [--conventions brian2|galvani]
                      [--device runtime|numpy|standalone] [--spikes s.csv]
"""

import brian2 as b2
from brian2 import ms, mV, Hz

import common


def extra(ap):
    ap.add_argument("--g", type=float, default=5.0)
    ap.add_argument("--eta", type=float, default=2.0)
    ap.add_argument("--conventions", choices=["brian2", "galvani"], default="brian2")


args = common.parse_args(__doc__.splitlines()[0], extra)
rng = common.setup(args)

N_E, N_I, C_E, C_I = 10000, 2500, 800, 200
tau_m, theta, V_r = 20 * ms, 20 * mV, 10 * mV
J, g, D = 0.1 * mV, args.g, 1.5 * ms
nu_thr = theta / (J * C_E * tau_m)
nu_x = args.eta * nu_thr
galvani_conv = args.conventions == "galvani"
dt = common.DT_MS * ms
t_ref = 2 * ms + (dt if galvani_conv else 0 * ms)
delay = D - dt if galvani_conv else D

P = b2.NeuronGroup(N_E + N_I, "dV/dt = -V / tau_m : volt (unless refractory)",
                   threshold="V > theta", reset="V = V_r", refractory=t_ref, method="exact")
if galvani_conv:
    P.thresholder["spike"].when = "after_synapses"
P.V = "rand() * theta"
Pe, Pi = P[:N_E], P[N_E:]
# Arrivals at a refractory neuron are discarded (int(not_refractory) is 0 there).
Ce = b2.Synapses(Pe, P, on_pre="V_post += J * int(not_refractory_post)", delay=delay)
Ci = b2.Synapses(Pi, P, on_pre="V_post += -g * J * int(not_refractory_post)", delay=delay)
# fixed_indegree: each post neuron draws C_E distinct E (C_I distinct I) neurons; a neuron
# never draws itself (galvani leaves autapses out). Post indices are P indices.
pre_ee, post_ee = common.fixed_indegree(rng, N_E, N_E, C_E, True)
pre_ei, post_ei = common.fixed_indegree(rng, N_E, N_I, C_E, False)
pre_ie, post_ie = common.fixed_indegree(rng, N_I, N_E, C_I, False)
pre_ii, post_ii = common.fixed_indegree(rng, N_I, N_I, C_I, True)
import numpy as np
Ce.connect(i=np.concatenate([pre_ee, pre_ei]), j=np.concatenate([post_ee, post_ei + N_E]))
Ci.connect(i=np.concatenate([pre_ie, pre_ii]), j=np.concatenate([post_ie, post_ii + N_E]))
del pre_ee, post_ee, pre_ei, post_ei, pre_ie, post_ie, pre_ii, post_ii
ext = b2.PoissonInput(P, "V", N=C_E, rate=nu_x, weight="J * int(not_refractory)")
mon = b2.SpikeMonitor(P)
net = b2.Network(P, Ce, Ci, ext, mon)
times = common.run(args, net, globals())
common.report(args, "brunel", times, mon, [("E", 0, N_E), ("I", N_E, N_I)],
              {"g": g, "eta": args.eta, "nu_x_hz": float(nu_x / Hz),
               "conventions": args.conventions, "synapses": int(len(Ce) + len(Ci))})
