"""End-to-end proofs on known systems, checked against independent 50-digit references.

The reference (``ref_hopf``) uses only f and its Jacobian in mpmath: the Hopf
point from Re lambda(a) = 0 along the equilibrium branch (mpmath eig, secant),
mu' = d Re lambda / da by a central difference, and l1 from hopf-math.md with
B and C obtained as Taylor coefficients of t -> f(x + t u) (trapezoid rule on a
circle, f analytic) and polarisation, so nothing is shared with the prover's
derivative code.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from flint import arb, ctx

from reference_systems import NetSystem, SympySystem, mp_field
from symhopf.candidate import Candidate
from symhopf.proof import prove_candidate

DPS = 50
BRUSSELATOR = ["1 - (a + 1)*x0 + x0**2*x1", "a*x0 - x0**2*x1"]


# ------------------------------------------------------------------ reference
def _dirs(f, x, a, u, scale, m: int = 32):
    """[f, D f[u], D^2 f[u]^2, D^3 f[u]^3] at (x, a) from the Cauchy formula on |t| = rho;
    rho is small against the distance to the nearest singularity (scale ~ |Df| + 1)."""
    rho = mp.mpf(1) / (8 * (1 + max(abs(t) for t in u) * scale))
    pts = [rho * mp.expjpi(mp.mpf(2 * j) / m) for j in range(m)]
    vals = [list(f([x[i] + t * u[i] for i in range(len(x))], a)) for t in pts]
    out = []
    for k in range(4):
        roots = [mp.expjpi(-mp.mpf(2 * j * k) / m) for j in range(m)]
        ck = [mp.fsum(vals[j][i] * roots[j] for j in range(m)) / m for i in range(len(x))]
        out.append(mp.matrix(ck) * (mp.factorial(k) / rho ** k))
    return out


def _B(f, x, a, s, u, v):
    return (_dirs(f, x, a, u + v, s)[2] - _dirs(f, x, a, u - v, s)[2]) / 4


def _C_uuv(f, x, a, s, u, v):
    return (_dirs(f, x, a, u + v, s)[3] - _dirs(f, x, a, u - v, s)[3] - 2 * _dirs(f, x, a, v, s)[3]) / 6


def _dot(p, z):
    return sum(mp.conj(p[i]) * z[i] for i in range(len(p)))


def _closest(E, target):
    return min(range(len(E)), key=lambda k: abs(E[k] - target))


def ref_hopf(system, x0, a0, lam0) -> dict:
    """Hopf point, mu', l1 (full and planar) at 60 digits, from f and Df only."""
    f, Df = mp_field(system)
    with mp.workdps(DPS):
        xg = mp.matrix([mp.mpf(float(t)) for t in x0])

        def branch(a):
            x = xg.copy()
            for _ in range(60):
                dx = mp.lu_solve(Df(x, a), f(x, a))
                x -= dx
                if mp.norm(dx) < mp.mpf(10) ** (-DPS + 5):
                    break
            A = Df(x, a)
            lam, q = mp.mpc(lam0), mp.matrix([1] * len(x))
            for _ in range(6):                                    # Rayleigh quotient iteration
                q = mp.lu_solve(A - (lam + mp.mpf(10) ** (-DPS + 2)) * mp.eye(len(x)), q)
                q = q / mp.norm(q)
                lam = _dot(q, A * q)
            return x, A, lam, q

        a, g = mp.mpf(a0), lambda s: mp.re(branch(s)[2])
        a1, g0 = a + mp.mpf(10) ** -10, g(a)
        for _ in range(12):                                       # secant on Re lambda(a) = 0
            g1 = g(a1)
            if g1 == g0 or abs(a1 - a) < mp.mpf(10) ** (-DPS + 3):
                break
            a, a1, g0 = a1, a1 - g1 * (a1 - a) / (g1 - g0), g1
        a = a1
        h = mp.mpf(10) ** -20
        mu = (mp.re(branch(a + h)[2]) - mp.re(branch(a - h)[2])) / (2 * h)
        x, A, lam, q = branch(a)
        w = mp.im(lam)
        q = q / mp.norm(q)
        E2, ER2 = mp.eig(A.T)
        p = ER2[:, _closest(E2, mp.conj(lam))]
        p = p / mp.conj(_dot(p, q))
        n, qb, s = len(q), q.conjugate(), 1 + mp.mnorm(A, 1)
        h11 = mp.lu_solve(A, _B(f, x, a, s, q, qb))
        h20 = mp.lu_solve(2j * w * mp.eye(n) - A, _B(f, x, a, s, q, q))
        c_term = _dot(p, _C_uuv(f, x, a, s, q, qb))
        full = mp.re(c_term - 2 * _dot(p, _B(f, x, a, s, q, h11)) + _dot(p, _B(f, x, a, s, qb, h20))) / (2 * w)
        E = sorted(mp.eig(A)[0], key=lambda e: abs(abs(e) - w) + abs(mp.re(e)))  # +-iw first
        return {"a": a, "w": w, "x": x, "mu": mu, "l1": full, "l1_planar": mp.re(c_term) / (2 * w),
                "others_max": max(mp.re(e) for e in E[2:]) if n > 2 else None}


def contains(ball: arb, ref, tol: float = 1e-35) -> bool:
    """ball contains ref +- tol (tol: more than the reference's own error)."""
    with ctx.workprec(300):
        return ball.contains(arb(mp.nstr(mp.re(ref), 70)) + arb(0, tol))


def width(ball: arb) -> float:
    return 2 * float(ball.rad())


# ------------------------------------------------------------------ systems
def real_ode(rhs, constants=None):
    from symhopf.model import Model
    from symhopf.system import System
    return System.from_model(Model.ode(["x", "y"], rhs, "b", constants=constants))


def net_candidate(W, b, arch) -> Candidate:
    """Float candidate for the pair of W with largest Im: from the bias-free Hopf point, homotopy
    in the bias (t b, t = 0.1 .. 1); at each t a secant iteration on Re lambda(a) along the
    equilibrium branch (float64 Newton for x(a), continued from the previous step)."""
    W, b = np.asarray(W, float), np.asarray(b, float)
    ev, V = np.linalg.eig(W)
    k = int(np.argmax(ev.imag))
    st = {"x": np.zeros(len(ev)), "lam": 1j * ev[k].imag, "q": V[:, k]}
    a1 = -ev[k].real + (1.0 if arch == "leaky" else 0.0)
    for t in np.linspace(0.1, 1.0, 10) if b.any() else [1.0]:
        flt = NetSystem(W, t * b, arch).flt

        def g(a):
            x = st["x"]
            for _ in range(30):
                x = x - np.linalg.solve(flt.Df(x, a), flt.f(x, a))
            ev, V = np.linalg.eig(flt.Df(x, a))
            k = int(np.argmin(abs(ev - st["lam"])))
            st.update(x=x, lam=ev[k], q=V[:, k])
            return ev[k].real

        a0, g0 = a1, g(a1)
        a1 = a0 + 1e-4
        g1 = g(a1)
        for _ in range(30):
            if g1 == g0:
                break
            a0, a1, g0 = a1, a1 - g1 * (a1 - a0) / (g1 - g0), g1
            g1 = g(a1)
    return Candidate(st["x"], a1, st["lam"].imag, st["q"])


W4 = [[0.1, 1.4, -0.6, -1.6], [-1.2, 0.2, 0.9, 0.3], [0.5, -0.8, -0.3, 1.1], [1.3, -0.4, -1.0, 0.05]]


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("backend", ["inline", "constants"])
def test_brusselator_proved_with_known_values(backend):
    fake = SympySystem(BRUSSELATOR)
    system = fake if backend == "inline" else real_ode(
        ["a - (b + 1)*x + x**2*y", "b*x - x**2*y"], {"a": 1})
    A = fake.flt.Df(np.array([1.0, 2.0]), 2.0)
    ev, V = np.linalg.eig(A)
    k = int(np.argmax(ev.imag))
    res = prove_candidate(system, Candidate(np.array([1.02, 1.97]), 2.03, 0.97, V[:, k]), width_target=1e-12)
    assert res.proved, res.reason
    for ball, exact in [(res.parameter, 2), (res.omega, 1), (res.x[0], 1), (res.x[1], 2),
                        (res.transversality, mp.mpf(1) / 2)]:
        assert contains(ball, exact) and width(ball) < 1e-12
    ref = ref_hopf(fake, [1, 2], 2, 1j)
    assert contains(res.first_lyapunov, ref["l1"]) and width(res.first_lyapunov) < 1e-10
    assert res.criticality == ("supercritical" if ref["l1"] < 0 else "subcritical")
    assert res.other_eigenvalues_real_part_max is None          # n = 2
    assert res.proof["precision_bits"] in (53, 106) and res.proof["Y"] < 1e-12 and res.proof["Z1"] < 1e-12


def test_tanh_net_matches_50_digit_eigenvalues():
    fake = system = NetSystem(W4, np.zeros(4))
    res = prove_candidate(system, net_candidate(W4, np.zeros(4), "asymmetric"))
    assert res.proved, res.reason
    with mp.workdps(50):
        E = mp.eig(mp.matrix(W4))[0]
        lam = max(E, key=lambda z: mp.im(z))
        assert contains(res.parameter, -mp.re(lam)) and contains(res.omega, mp.im(lam))
        assert all(contains(t, 0) for t in res.x)
        assert contains(res.transversality, 1)
        others = max(mp.re(z) - mp.re(lam) for z in E if abs(z - lam) > 1e-9 and abs(z - mp.conj(lam)) > 1e-9)
        assert contains(res.other_eigenvalues_real_part_max, others)
    ref = ref_hopf(fake, np.zeros(4), -float(mp.re(lam)), complex(lam) - float(mp.re(lam)))
    assert contains(res.first_lyapunov, ref["l1"]) and width(res.first_lyapunov) < 1e-9
    assert abs(ref["l1"] - ref["l1_planar"]) < 1e-40          # B = 0 at x = 0, no bias


def test_leaky_net_with_bias_uses_full_l1_formula():
    W = [[0.2, -1.1, 0.4], [1.3, -0.1, 0.7], [-0.5, 0.6, -0.4]]
    b = [0.3, -0.2, 0.25]
    fake = system = NetSystem(W, b, "leaky")
    res = prove_candidate(system, net_candidate(W, b, "leaky"))
    assert res.proved, res.reason
    ref = ref_hopf(fake, [float(t.mid()) for t in res.x], float(res.parameter.mid()),
                   1j * float(res.omega.mid()))
    assert contains(res.parameter, ref["a"]) and contains(res.omega, ref["w"])
    assert contains(res.transversality, ref["mu"])
    assert contains(res.first_lyapunov, ref["l1"])
    assert not res.first_lyapunov.overlaps(arb(mp.nstr(ref["l1_planar"], 30)))
    assert abs(ref["l1"] - ref["l1_planar"]) > 1e3 * width(res.first_lyapunov)
    assert contains(res.other_eigenvalues_real_part_max, ref["others_max"])


def test_higher_precision_tightens_enclosures():
    fake = SympySystem(BRUSSELATOR)
    V = np.linalg.eig(fake.flt.Df(np.array([1.0, 2.0]), 2.0))[1][:, 0]
    res = prove_candidate(fake, Candidate(np.array([1.0, 2.0]), 2.0, 1.0, V), prec=106, max_prec=106)
    assert res.proved and res.proof["precision_bits"] == 106
    assert all(width(t) < 1e-28 for t in [res.parameter, res.omega, *res.x, res.transversality])
    assert contains(res.parameter, 2, tol=0) and width(res.first_lyapunov) < 1e-25


def _planar_candidate(system, a, w=1.0):
    V = np.linalg.eig(system.flt.Df(np.zeros(2), a))[1]
    return Candidate(np.array([1e-3, -2e-3]), a + 1e-3, w * 1.01, V[:, 0])


@pytest.mark.parametrize("rhs", [
    ["a*x0 - x1", "x0 + a*x1"],                                               # l1 = 0 (linear)
    ["a*x0 - x1 + x0*(x0**2 + x1**2)**2", "x0 + a*x1 + x1*(x0**2 + x1**2)**2"],  # Bautin, l1 = 0
])
def test_l1_zero_not_proved(rhs):
    system = SympySystem(rhs)
    res = prove_candidate(system, _planar_candidate(system, 0.0))
    assert res.status == "not_proved" and res.reason == "l1 enclosure contains 0"
    assert res.proof["precision_bits"] == 212                       # retried at higher precision
    assert res.first_lyapunov.contains(0) and contains(res.parameter, 0, tol=0)


def test_mu_prime_zero_not_proved():
    system = SympySystem(["a**2*x0 - x1 - x0*(x0**2 + x1**2)", "x0 + a**2*x1 - x1*(x0**2 + x1**2)"])
    res = prove_candidate(system, _planar_candidate(system, 0.0))
    assert res.status == "not_proved" and res.reason


def _exact_block_net(second):
    """W = P D P^{-1}, D = diag(rot(-1/8, 1), second block); P unimodular: W is exact in binary."""
    D = np.zeros((4, 4))
    D[:2, :2] = [[-0.125, -1], [1, -0.125]]
    D[2:, 2:] = second
    P = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1]], float)
    return P @ D @ np.linalg.inv(P)


@pytest.mark.parametrize("second,reason", [
    ([[-0.125, -2], [2, -0.125]], "imaginary axis"),    # a second pair +-2i on the axis at a* = 1/8
    ([[-0.125, 0], [0, -3]], ""),                          # a zero eigenvalue at a* = 1/8
])
def test_other_eigenvalue_on_axis_not_proved(second, reason):
    W = _exact_block_net(second)
    system = NetSystem(W)
    ev, V = np.linalg.eig(W)
    k = int(np.argmin(abs(ev - (-0.125 + 1j))))
    res = prove_candidate(system, Candidate(np.zeros(4), 0.125, 1.0, V[:, k]))
    assert res.status == "not_proved" and reason in res.reason


def test_symmetric_net_not_proved():
    W = np.array([[0.5, 0.25, 0.0], [0.25, -0.5, 0.125], [0.0, 0.125, 0.25]])
    system = NetSystem(W)
    lam, V = np.linalg.eigh(W)
    res = prove_candidate(system, Candidate(np.zeros(3), -lam[0], 0.5, V[:, 0] + 0.3j * V[:, 1]))
    assert res.status == "not_proved" and res.reason
