"""Shan & Zhu's SIR model with hospital beds (examples/sir_hospital_beds.toml), checked independently.

S' = A - d S - beta S I / N,  I' = -(d + nu) I - mu(b, I) I + beta S I / N,  R' = mu(b, I) I - d R,
N = S + I + R,  mu(b, I) = mu0 + (mu1 - mu0) b / (I + b),  with A = 20, mu0 = 10, d = 1/10, nu = 1,
beta = 23/2, mu1 = 209/20 (J. Differential Equations 257 (2014) 1662-1688; the MatCont 7.2 BT notebook
SIRmodel.ipynb continues the endemic equilibrium in b).

The references are computed here at 60 digits: the vector field is written again from the paper's
formulas in SymPy (not read from the model file), its derivatives by ``sp.diff``, and each Hopf point
is the root of the extended system f(x, b) = 0, Df v = i omega v, v_I = 1 (11 real equations in
S, I, R, b, omega, Re v, Im v) by Newton's method in mpmath; l1 by Kuznetsov's formula
(<q, q> = 1, <p, q> = 1) with the second and third derivatives of f, and mu' = d Re(lambda)/db along
the branch. None of symhopf's derivation, generated code or prover is used for them. The fold is the
root of f = 0, Df v = 0, v_I = 1.

Published values (the notebook's MatCont run): H at (S, I, R, b) = (195.380284, 0.041037, 4.168310,
0.022089), MatCont's first Lyapunov coefficient (omega times Kuznetsov's l1) 3.908102e-04, LP at
b = 0.033419. symhopf also proves a second Hopf point at b ~ 0.0334157, on the same branch 3e-6 before
the fold, which the notebook's output does not list; it is checked here the same way.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import mpmath as mp
import numpy as np
import sympy as sp

import symhopf
from recheck import recheck
from symhopf.certificate import interval

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sir_hospital_beds.toml"
DPS = 60

S, I, R, b = sp.symbols("S I R b", real=True)
X = [S, I, R]
A, mu0, d, nu, beta, mu1 = 20, 10, sp.Rational(1, 10), 1, sp.Rational(23, 2), sp.Rational(209, 20)
_mu = mu0 + (mu1 - mu0) * b / (I + b)
F = sp.Matrix([A - d * S - beta * S * I / (S + I + R),
               -(d + nu) * I - _mu * I + beta * S * I / (S + I + R),
               _mu * I - d * R])
J = F.jacobian(X)


@lru_cache(maxsize=None)
def _derivatives():
    """f, Df and the tensors D^2 f, D^3 f as mpmath functions of (S, I, R, b)."""
    H = [[[sp.diff(F[i], X[j], X[k]) for k in range(3)] for j in range(3)] for i in range(3)]
    T = [[[[sp.diff(F[i], X[j], X[k], X[m]) for m in range(3)] for k in range(3)] for j in range(3)]
         for i in range(3)]
    args = [S, I, R, b]
    return (sp.lambdify(args, F, "mpmath"), sp.lambdify(args, J, "mpmath"),
            sp.lambdify(args, H, "mpmath"), sp.lambdify(args, T, "mpmath"))


@lru_cache(maxsize=None)
def _b_derivatives():
    """f_b and D_b Df as mpmath functions of (S, I, R, b)."""
    return sp.lambdify([S, I, R, b], F.diff(b), "mpmath"), sp.lambdify([S, I, R, b], J.diff(b), "mpmath")


def _newton(G, DG, u: mp.matrix, what: str) -> mp.matrix:
    for _ in range(40):
        du = mp.lu_solve(mp.matrix(DG(*u)), mp.matrix(G(*u)))
        u = u - du
        if mp.norm(du) < mp.mpf(10) ** (5 - DPS):
            assert mp.norm(mp.matrix(G(*u))) < mp.mpf(10) ** (10 - DPS), what
            return u
    raise AssertionError(f"{what}: Newton did not converge")


def _hopf(x0, b0: float) -> dict:
    """The Hopf point near (x0, b0): Newton on the extended system, then omega, q, p and l1 (Kuznetsov)."""
    w = sp.Symbol("w", real=True)
    vr, vi = sp.symbols("vr0:3", real=True), sp.symbols("vi0:3", real=True)
    Vr, Vi = sp.Matrix(vr), sp.Matrix(vi)
    G = sp.Matrix.vstack(F, J * Vr + w * Vi, J * Vi - w * Vr, sp.Matrix([vr[1] - 1, vi[1]]))
    U = [*X, b, w, *vr, *vi]
    Gf, DGf = sp.lambdify(U, G, "mpmath"), sp.lambdify(U, G.jacobian(U), "mpmath")
    with mp.workdps(DPS):
        _, Jf, Hf, Tf = _derivatives()
        A0 = mp.matrix(Jf(*[mp.mpf(t) for t in (*x0, b0)]))
        ev, V = mp.eig(A0)
        k = max(range(3), key=lambda i: mp.im(ev[i]))
        v = V[:, k] / V[1, k]
        u = _newton(Gf, DGf, mp.matrix([*[mp.mpf(t) for t in (*x0, b0)], mp.im(ev[k]),
                                        *[mp.re(t) for t in v], *[mp.im(t) for t in v]]), "Hopf")
        x, bs, omega = list(u[:3]), u[3], u[4]
        Am = mp.matrix(Jf(*x, bs))
        q = mp.matrix([u[5 + i] + 1j * u[8 + i] for i in range(3)])
        q = q / mp.sqrt(sum(abs(t) ** 2 for t in q))
        evT, VT = mp.eig(Am.T)
        kT = min(range(3), key=lambda i: abs(evT[i] + 1j * omega))      # A^T p = -i omega p
        p = VT[:, kT]
        p = p / mp.conj(sum(mp.conj(p[i]) * q[i] for i in range(3)))  # <p, q> = 1
        Ht, Tt = Hf(*x, bs), Tf(*x, bs)

        def B(y, z):
            return mp.matrix([sum(Ht[i][j][k] * y[j] * z[k] for j in range(3) for k in range(3)) for i in range(3)])

        def C(y, z, s):
            return mp.matrix([sum(Tt[i][j][k][m] * y[j] * z[k] * s[m] for j in range(3) for k in range(3)
                                  for m in range(3)) for i in range(3)])

        def dot(y, z):
            return sum(mp.conj(y[i]) * z[i] for i in range(3))

        qb = mp.matrix([mp.conj(t) for t in q])
        h11 = mp.lu_solve(Am, B(q, qb))
        h20 = mp.lu_solve(2j * omega * mp.eye(3) - Am, B(q, q))
        l1 = mp.re(dot(p, C(q, q, qb)) - 2 * dot(p, B(q, h11)) + dot(p, B(qb, h20))) / (2 * omega)
        # mu' = d Re(lambda)/db along the branch x(b): Re <p, (D_b Df + D^2 f[x'(b), .]) q>, x' = -Df^-1 f_b
        fb, Jb = _b_derivatives()
        xb = -mp.lu_solve(Am, mp.matrix(fb(*x, bs)))
        mu = mp.re(dot(p, mp.matrix(Jb(*x, bs)) * q + B(xb, q)))
        return {"x": x, "b": bs, "omega": omega, "l1": l1, "mu": mu}


def _fold(x0, b0: float):
    """b and x of the fold near (x0, b0): f = 0, Df v = 0, v_I = 1 (7 equations)."""
    vs = sp.symbols("v0:3", real=True)
    G = sp.Matrix.vstack(F, J * sp.Matrix(vs), sp.Matrix([vs[1] - 1]))
    U = [*X, b, *vs]
    Gf, DGf = sp.lambdify(U, G, "mpmath"), sp.lambdify(U, G.jacobian(U), "mpmath")
    with mp.workdps(DPS):
        Jn = np.array(sp.lambdify([*X, b], J)(*x0, b0), dtype=float)
        ev, V = np.linalg.eig(Jn)
        v = V[:, np.argmin(np.abs(ev))].real
        u = _newton(Gf, DGf, mp.matrix([*[mp.mpf(t) for t in (*x0, b0)], *[mp.mpf(t / v[1]) for t in v]]), "fold")
        return u[3], list(u[:3])


@lru_cache(maxsize=None)
def _certificate():
    # the completeness of the bending branch is not what this file tests (bench/run.py sir measures it)
    return symhopf.prove(EXAMPLE, budget=100, global_budget=0)


def _contains(pair, value, what: str) -> None:
    lo, hi = interval(pair)
    with mp.workdps(DPS):
        v = Fraction(mp.nstr(value, 55))
    assert lo <= v <= hi, f"{what}: {mp.nstr(value, 25)} not in [{pair[0]}, {pair[1]}]"


def _published(value, text: str) -> None:
    """value agrees with the printed number to its last printed digit (within half a unit there)."""
    half_ulp = Decimal(5).scaleb(Decimal(text).as_tuple().exponent - 1)
    with mp.workdps(DPS):
        assert abs(value - mp.mpf(text)) <= mp.mpf(str(half_ulp)), f"{mp.nstr(value, 20)} is not {text}"


def _check(point, ref: dict) -> None:
    assert point.status == "proved", point.reason
    _contains(point.parameter, ref["b"], "b*")
    _contains(point.omega, ref["omega"], "omega")
    for enc, v, name in zip(point.x, ref["x"], "SIR"):
        _contains(enc, v, name)
    _contains(point.first_lyapunov, ref["l1"], "l1")
    _contains(point.transversality, ref["mu"], "mu'")
    assert point.criticality == ("subcritical" if ref["l1"] > 0 else "supercritical")


def test_published_hopf_point_enclosed_and_matches_matcont():
    ref = _hopf([195.380284, 0.041037, 4.168310], 0.022089)
    _published(ref["b"], "0.022089")
    for v, text in zip(ref["x"], ("195.380284", "0.041037", "4.168310")):
        _published(v, text)
    _published(ref["omega"] * ref["l1"], "3.908102e-04")       # MatCont's l1 = omega * Kuznetsov's l1
    cert = _certificate()
    assert len(cert.hopf_points) == 2
    assert recheck(cert) == []          # each theorem's hypothesis holds for the certificate's own numbers
    first = min(cert.hopf_points, key=lambda p: interval(p.parameter)[0])
    _check(first, ref)
    assert interval(first.parameter)[1] - interval(first.parameter)[0] < Fraction(1, 10 ** 9)


def test_second_hopf_point_before_the_fold():
    """The pair that is born again just before the fold (omega ~ 0.0106, supercritical); the fold
    matches the notebook's LP (b = 0.033419) and lies above it."""
    ref = _hopf([198.0374, 0.017220, 1.77314], 0.0334157)
    b_lp, x_lp = _fold([198.069839, 0.016933, 1.743895], 0.033419)
    _published(b_lp, "0.033419")
    for v, text in zip(x_lp, ("198.069839", "0.016933", "1.743895")):
        _published(v, text)
    assert ref["b"] < b_lp and ref["l1"] < 0
    second = max(_certificate().hopf_points, key=lambda p: interval(p.parameter)[0])
    _check(second, ref)
    assert interval(second.parameter)[1] < Fraction(mp.nstr(b_lp, 30))


def test_both_branches_and_the_box_proved_complete_at_the_defaults():
    """At the default budgets the folding endemic branch is proved complete (parametrised tube pieces)
    and so is the global statement in the model's box: the global check glues its boxes to those
    pieces (its fat boxes take the axis-box Krawczyk test first; with the parametrised test alone the
    50000 boxes ran out)."""
    cert = symhopf.prove(EXAMPLE, global_budget=50000)     # the default for n <= 3 (tests set 200)
    assert [p.status for p in cert.hopf_points] == ["proved", "proved"]
    assert all(b["completeness"]["proved"] for b in cert.branches), [b["completeness"] for b in cert.branches]
    g = cert.global_completeness
    assert g["proved"] and g["glued"] > 0, g
