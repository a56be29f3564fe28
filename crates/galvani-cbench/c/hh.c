/* Hand-written Hodgkin–Huxley (models/hh.gal, Dayan & Abbott 2001) exponential Euler,
 * second-order Rush–Larsen, forward Euler and classical RK4: the same algorithms as
 * galvani's `--method expeuler`, `expeuler2`, `euler` and `rk4` step programs, for a
 * speed comparison.
 *
 * Every state y with dy/dt = A − B·y (A, B evaluated at the start of the step) becomes
 *     y ← y + dt·(A − B·y)·φ(−B·dt),   φ(x) = (eˣ − 1)/x,
 * the gates with A = α, B = α + β, V with
 *     B = (g_Na m³h + g_K n⁴ + g_L)/c_m,  A = (I + g_Na m³h E_Na + g_K n⁴ E_K + g_L E_L)/c_m.
 * α_m and α_n use exprel(x) = x/(eˣ − 1), as galvani's singularity rewrite does. Units
 * ms, mV, uA/cm², mS/cm², uF/cm². A spike is counted when V crosses 0 mV upwards.
 *
 * expeuler2 (docs/numerics.md §4; every HH equation is linear in its own state): a half
 * step y½ = y + dt/2·(A − B·y)·φ(−B·dt/2) of every state, then A*, B* at y½ and
 *     y ← y + dt·(A* − B*·y)·φ(−B*·dt).
 *
 * euler: y ← y + dt·f(y); rk4: k₁ = f(y), k₂ = f(y + dt/2·k₁), k₃ = f(y + dt/2·k₂),
 * k₄ = f(y + dt·k₃), y ← y + dt/6·(k₁ + 2k₂ + 2k₃ + k₄); f = A − B·y of every state. */

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline double phi(double x) { return x != 0.0 ? expm1(x) / x : 1.0; }
static inline double exprel(double x) { return x != 0.0 ? x / expm1(x) : 1.0; }

void galvani_cbench_hh_expeuler(size_t count, size_t steps, double dt, double *restrict V,
                                double *restrict m, double *restrict h, double *restrict n,
                                const double *restrict I, uint64_t *restrict spikes) {
    const double c_m = 1.0, g_Na = 120.0, g_K = 36.0, g_L = 0.3;
    const double E_Na = 50.0, E_K = -77.0, E_L = -54.387;
    for (size_t k = 0; k < steps; k++) {
        for (size_t i = 0; i < count; i++) {
            double v = V[i], mi = m[i], hi = h[i], ni = n[i];
            double a_m = exprel(-0.1 * (v + 40.0));
            double b_m = 4.0 * exp(-(v + 65.0) / 18.0);
            double a_h = 0.07 * exp(-(v + 65.0) / 20.0);
            double b_h = 1.0 / (1.0 + exp(-0.1 * (v + 35.0)));
            double a_n = 0.1 * exprel(-0.1 * (v + 55.0));
            double b_n = 0.125 * exp(-(v + 65.0) / 80.0);
            double g_na = g_Na * mi * mi * mi * hi, g_k = g_K * ni * ni * ni * ni;
            double B = (g_na + g_k + g_L) / c_m;
            double A = (I[i] + g_na * E_Na + g_k * E_K + g_L * E_L) / c_m;
            double v_new = v + dt * (A - B * v) * phi(-B * dt);
            double Bm = a_m + b_m, Bh = a_h + b_h, Bn = a_n + b_n;
            m[i] = mi + dt * (a_m - Bm * mi) * phi(-Bm * dt);
            h[i] = hi + dt * (a_h - Bh * hi) * phi(-Bh * dt);
            n[i] = ni + dt * (a_n - Bn * ni) * phi(-Bn * dt);
            spikes[i] += (v <= 0.0) & (v_new > 0.0);
            V[i] = v_new;
        }
    }
}

/* A and B of every state (V, m, h, n) at the state (v, m, h, n) with input i. */
static inline void coefficients(double v, double m, double h, double n, double i,
                                double A[4], double B[4]) {
    const double c_m = 1.0, g_Na = 120.0, g_K = 36.0, g_L = 0.3;
    const double E_Na = 50.0, E_K = -77.0, E_L = -54.387;
    double a_m = exprel(-0.1 * (v + 40.0));
    double b_m = 4.0 * exp(-(v + 65.0) / 18.0);
    double a_h = 0.07 * exp(-(v + 65.0) / 20.0);
    double b_h = 1.0 / (1.0 + exp(-0.1 * (v + 35.0)));
    double a_n = 0.1 * exprel(-0.1 * (v + 55.0));
    double b_n = 0.125 * exp(-(v + 65.0) / 80.0);
    double g_na = g_Na * m * m * m * h, g_k = g_K * n * n * n * n;
    B[0] = (g_na + g_k + g_L) / c_m;
    A[0] = (i + g_na * E_Na + g_k * E_K + g_L * E_L) / c_m;
    A[1] = a_m, B[1] = a_m + b_m;
    A[2] = a_h, B[2] = a_h + b_h;
    A[3] = a_n, B[3] = a_n + b_n;
}

void galvani_cbench_hh_expeuler2(size_t count, size_t steps, double dt, double *restrict V,
                                 double *restrict m, double *restrict h, double *restrict n,
                                 const double *restrict I, uint64_t *restrict spikes) {
    for (size_t k = 0; k < steps; k++) {
        for (size_t i = 0; i < count; i++) {
            double y[4] = {V[i], m[i], h[i], n[i]}, half[4], A[4], B[4];
            coefficients(y[0], y[1], y[2], y[3], I[i], A, B);
            for (int s = 0; s < 4; s++)
                half[s] = y[s] + 0.5 * dt * (A[s] - B[s] * y[s]) * phi(-B[s] * 0.5 * dt);
            coefficients(half[0], half[1], half[2], half[3], I[i], A, B);
            double out[4];
            for (int s = 0; s < 4; s++)
                out[s] = y[s] + dt * (A[s] - B[s] * y[s]) * phi(-B[s] * dt);
            spikes[i] += (y[0] <= 0.0) & (out[0] > 0.0);
            V[i] = out[0], m[i] = out[1], h[i] = out[2], n[i] = out[3];
        }
    }
}

/* dy/dt = A − B·y of every state at (v, m, h, n) with input i. */
static inline void derivatives(const double y[4], double i, double d[4]) {
    double A[4], B[4];
    coefficients(y[0], y[1], y[2], y[3], i, A, B);
    for (int s = 0; s < 4; s++)
        d[s] = A[s] - B[s] * y[s];
}

void galvani_cbench_hh_euler(size_t count, size_t steps, double dt, double *restrict V,
                             double *restrict m, double *restrict h, double *restrict n,
                             const double *restrict I, uint64_t *restrict spikes) {
    for (size_t k = 0; k < steps; k++) {
        for (size_t i = 0; i < count; i++) {
            double y[4] = {V[i], m[i], h[i], n[i]}, d[4];
            derivatives(y, I[i], d);
            double out[4];
            for (int s = 0; s < 4; s++)
                out[s] = y[s] + dt * d[s];
            spikes[i] += (y[0] <= 0.0) & (out[0] > 0.0);
            V[i] = out[0], m[i] = out[1], h[i] = out[2], n[i] = out[3];
        }
    }
}

void galvani_cbench_hh_rk4(size_t count, size_t steps, double dt, double *restrict V,
                           double *restrict m, double *restrict h, double *restrict n,
                           const double *restrict I, uint64_t *restrict spikes) {
    for (size_t k = 0; k < steps; k++) {
        for (size_t i = 0; i < count; i++) {
            double y[4] = {V[i], m[i], h[i], n[i]}, k1[4], k2[4], k3[4], k4[4], z[4];
            derivatives(y, I[i], k1);
            for (int s = 0; s < 4; s++)
                z[s] = y[s] + 0.5 * dt * k1[s];
            derivatives(z, I[i], k2);
            for (int s = 0; s < 4; s++)
                z[s] = y[s] + 0.5 * dt * k2[s];
            derivatives(z, I[i], k3);
            for (int s = 0; s < 4; s++)
                z[s] = y[s] + dt * k3[s];
            derivatives(z, I[i], k4);
            double out[4];
            for (int s = 0; s < 4; s++)
                out[s] = y[s] + dt / 6.0 * (k1[s] + 2.0 * k2[s] + 2.0 * k3[s] + k4[s]);
            spikes[i] += (y[0] <= 0.0) & (out[0] > 0.0);
            V[i] = out[0], m[i] = out[1], h[i] = out[2], n[i] = out[3];
        }
    }
}
