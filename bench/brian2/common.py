"""Shared set-up for the Brian2 reproduction scripts of galvani's library networks.

Documentation and reproduction only: nothing in the build or CI runs these files. See
docs/comparison.md for how they were run and what they measured.

Every script takes the same options:
  --seed S            seed of Brian2's random numbers and of numpy's (connectivity drawn here)
  --device D          runtime (cython, falls back to numpy) | numpy | standalone (C++)
  --spikes FILE       write spikes in galvani's CSV format: population,neuron,t [ms]
  --t T               simulated time in ms (default 1000)
The simulate time printed is the wall and CPU time of the run itself: for the runtime
device the `run()` call (code generation and, on a cold cache, Cython compilation
included: run twice and take the second number); for the standalone device the
compiled binary's own main-loop time, and the CPU time of the whole binary.
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import brian2 as b2

DT_MS = 0.1


def parse_args(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", choices=["runtime", "numpy", "standalone"], default="runtime")
    ap.add_argument("--spikes", default=None)
    ap.add_argument("--t", type=float, default=1000.0, help="simulated time [ms]")
    ap.add_argument("--build-dir", default="/tmp/brian2_standalone")
    if extra is not None:
        extra(ap)
    return ap.parse_args()


def setup(args):
    """Choose the device and code-generation target, seed every random stream."""
    if args.device == "standalone":
        b2.set_device("cpp_standalone", build_on_run=False, directory=args.build_dir)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread
    elif args.device == "numpy":
        b2.prefs.codegen.target = "numpy"
    else:
        b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = DT_MS * b2.ms
    b2.seed(args.seed)
    return np.random.default_rng(args.seed)


def run(args, net, namespace):
    """Run `net` for args.t ms (names resolved in `namespace`, the script's globals) and
    return the times of the simulation."""
    duration = args.t * b2.ms
    if args.device == "standalone":
        net.run(duration, report=None, namespace=namespace)
        t0 = time.perf_counter()
        b2.device.build(directory=args.build_dir, compile=True, run=False)
        compile_s = time.perf_counter() - t0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        b2.device.run(directory=args.build_dir, with_output=False, run_args=[])
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        loop = getattr(b2.device, "_last_run_time", None)
        return {"compile_s": compile_s, "binary_wall_s": wall, "binary_cpu_s": cpu,
                "loop_wall_s": loop}
    w0, c0 = time.perf_counter(), time.process_time()
    net.run(duration, report=None, namespace=namespace)
    return {"run_wall_s": time.perf_counter() - w0, "run_cpu_s": time.process_time() - c0}


def write_spikes(path, mon, pops):
    """Spikes in galvani's format. `pops` is [(name, first index, size)] in file order.

    Brian2 labels a spike with the time t_k at the start of the step whose update crossed
    the threshold; galvani labels it with the end of that step, t_(k+1) (grid spikes). We
    write t_k + dt so that both files use galvani's grid convention."""
    i = np.asarray(mon.i[:])
    t = np.asarray(mon.t[:] / b2.ms) + DT_MS
    order = np.lexsort((i, t))
    i, t = i[order], t[order]
    names = np.empty(len(i), dtype=object)
    local = np.empty(len(i), dtype=np.int64)
    for name, first, size in pops:
        sel = (i >= first) & (i < first + size)
        names[sel] = name
        local[sel] = i[sel] - first
    with open(path, "w") as f:
        f.write("population,neuron,t [ms]\n")
        for n, k, s in zip(names, local, t):
            f.write(f"{n},{int(k)},{float(s)!r}\n")


def report(args, name, times, mon, pops, extra=None):
    counts = np.bincount(np.asarray(mon.i[:]), minlength=sum(p[2] for p in pops))
    out = {"network": name, "seed": args.seed, "device": args.device,
           "target": b2.prefs.codegen.target if args.device != "standalone" else "cpp",
           "brian2": b2.__version__, "t_ms": args.t, "dt_ms": DT_MS}
    for pname, first, size in pops:
        out[f"rate_{pname}_hz"] = float(counts[first:first + size].sum()) / size / (args.t / 1000)
    out.update(times)
    if extra:
        out.update(extra)
    print(json.dumps(out))
    if args.spikes:
        write_spikes(args.spikes, mon, pops)
    sys.stdout.flush()


def fixed_indegree(rng, n_pre, n_post, k, exclude_self):
    """Each post neuron draws k distinct pre neurons (galvani's fixed_indegree(K)); with
    exclude_self (pre and post the same population) neuron j never draws itself: it draws
    from the n_pre - 1 others."""
    pre = np.empty(n_post * k, dtype=np.int32)
    post = np.repeat(np.arange(n_post, dtype=np.int32), k)
    for j in range(n_post):
        if exclude_self:
            c = rng.choice(n_pre - 1, size=k, replace=False)
            c[c >= j] += 1
        else:
            c = rng.choice(n_pre, size=k, replace=False)
        pre[j * k:(j + 1) * k] = c
    return pre, post
