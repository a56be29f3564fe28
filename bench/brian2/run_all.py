"""Run galvani and Brian2 on the library networks and collect rates, CVs and times.

Documentation and reproduction only (never run by the build or CI); the numbers in
docs/comparison.md come from it. For each network, seed and side it runs the simulation,
writes the spikes in galvani's CSV format to a scratch file, measures them with
`galvani stats FILE --from 100ms --t 1000ms --summary json` (the same code on both sides,
so rate and CV have one definition), appends one JSON line to --out and deletes the
spikes.

  python run_all.py --galvani /path/to/galvani --out results.jsonl \
      [--networks cuba coba brunel brunel_sr] [--seeds 1 2] \
      [--sides galvani runtime standalone brunel-galvani-conv]
  python run_all.py --table results.jsonl      # markdown tables: mean ± half range

Times: galvani's own simulate time (wall) from its JSON summary and the CPU time
(user + sys) of the whole galvani process; Brian2's from common.py (runtime: the run()
call; standalone: the binary's main loop and the CPU of the binary).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRATCH = "/tmp/galvani_cmp"

NETS = {
    # name: (galvani network file, Brian2 script, extra Brian2 args)
    "cuba": ("networks/cuba.gal", "cuba.py", []),
    "coba": ("networks/coba.gal", "coba.py", []),
    "brunel": ("networks/brunel.gal", "brunel.py", ["--g", "5"]),
    "brunel_sr": ("networks/brunel_sr.gal", "brunel.py", ["--g", "3"]),
}


def timed(cmd):
    """Run cmd; return (stdout, wall s, CPU s of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.stdout, wall, cpu


def stats(galvani, spikes, t0):
    out, _, _ = timed([galvani, "stats", spikes, "--from", f"{t0}ms", "--t", "1000ms",
                       "--summary", "json"])
    return {p["name"]: {"rate": p["mean_rate_hz"], "cv": p["cv_isi"]}
            for p in json.loads(out)["populations"]}


def run_galvani(a, net, seed, spikes):
    gal = NETS[net][0]
    out, wall, cpu = timed([a.galvani, "run", gal, "--t", "1000ms", "--dt", "0.1ms",
                            "--seed", str(seed), "--spikes", spikes, "--summary", "json"])
    s = json.loads(out)
    return {"simulate_wall_s": s["simulate_ms"] / 1000, "build_s": s["build_ms"] / 1000,
            "compile_s": s["compile_ms"] / 1000, "process_wall_s": wall,
            "process_cpu_s": cpu, "synapses": s["synapses"]}


def run_brian(a, net, seed, spikes, device, conventions):
    script = os.path.join(HERE, NETS[net][1])
    cmd = [a.python, script, "--seed", str(seed), "--device", device, "--spikes", spikes,
           "--build-dir", os.path.join(SCRATCH, f"standalone_{net}")] + NETS[net][2]
    if conventions:
        cmd += ["--conventions", conventions]
    out, wall, cpu = timed(cmd)
    r = json.loads(out.strip().splitlines()[-1])
    r["process_wall_s"], r["process_cpu_s"] = wall, cpu
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--galvani", default=os.path.join(ROOT, "target/release/galvani"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--out", default="results.jsonl")
    ap.add_argument("--networks", nargs="+", default=list(NETS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--sides", nargs="+", default=["galvani", "runtime"])
    ap.add_argument("--from-ms", type=float, default=100.0)
    ap.add_argument("--table", default=None)
    a = ap.parse_args()
    if a.table:
        return table(a.table)
    os.makedirs(SCRATCH, exist_ok=True)
    for net in a.networks:
        for side in a.sides:
            if side == "brunel-galvani-conv" and not net.startswith("brunel"):
                continue
            for seed in a.seeds:
                spikes = os.path.join(SCRATCH, f"{net}_{side}_{seed}.csv")
                if side == "galvani":
                    r = run_galvani(a, net, seed, spikes)
                elif side == "brunel-galvani-conv":
                    r = run_brian(a, net, seed, spikes, "runtime", "galvani")
                else:
                    r = run_brian(a, net, seed, spikes, side, None)
                r.update({"net": net, "side": side, "seed": seed,
                          "stats": stats(a.galvani, spikes, a.from_ms)})
                os.remove(spikes)
                if os.path.exists(spikes + ".json"):
                    os.remove(spikes + ".json")
                with open(a.out, "a") as f:
                    f.write(json.dumps(r) + "\n")
                print(json.dumps(r), flush=True)


def table(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    groups = {}
    for r in rows:
        groups.setdefault((r["net"], r["side"]), []).append(r)

    def ms(vals, fmt):
        m = sum(vals) / len(vals)
        h = (max(vals) - min(vals)) / 2
        return f"{m:{fmt}} ± {h:{fmt}}"

    for (net, side), rs in groups.items():
        cells = []
        for pop in ("E", "I"):
            cells.append(ms([r["stats"][pop]["rate"] for r in rs], ".2f"))
            cells.append(ms([r["stats"][pop]["cv"] for r in rs], ".3f"))
        sim = [r.get("simulate_wall_s") or r.get("run_wall_s") or r.get("loop_wall_s") or 0
               for r in rs]
        cpu = [r.get("process_cpu_s") if side == "galvani" else
               (r.get("run_cpu_s") or r.get("binary_cpu_s") or 0) for r in rs]
        print(f"| {net} | {side} | {len(rs)} | " + " | ".join(cells) +
              f" | {ms(sim, '.2f')} | {ms(cpu, '.2f')} |")


if __name__ == "__main__":
    main()
