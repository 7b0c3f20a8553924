"""Rigorous Neimark–Sacker points of maps x -> F(x, a) (docs/maps.md states the theorem).

``prove_ns(system, cand)``: float Newton on the extended system, then in ball arithmetic

- existence and local uniqueness of a zero of
  G(X) = (F(x, a) - x, Re/Im(A v - e^{i theta} v), Re <c, v> - 1, Im <c, v>),
  X = (x, a, theta, vr, vi), A = D_x F, by the first-order (Krawczyk) test on a sup-norm box:
  |R G(X̄)| <= Y, sup_{B_r} |I - R DG| <= Z, Y + (Z - 1) r < 0  =>  exactly one zero in B_r;
- the multipliers: Gershgorin discs of a verified similarity of A over the box; e^{+-i theta}
  each in one isolated disc (simple), every other disc's modulus excludes 1;
- no strong resonance: the theta enclosure lies in (0, pi) and excludes pi/2 and 2 pi/3;
- Kuznetsov's NS coefficient d and d|mu|/da over the box (verified solves), each excluding 0.

Any failure is ``not_proved`` with the reason; the whole attempt is repeated at twice the
precision while that may help (up to ``max_prec``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from flint import acb, acb_mat, arb, arb_mat, ctx

from .existence import op_norm_upper
from .extended import normalisation_rows
from .lyapunov import _dot, _finite
from .spectrum import gershgorin_boxes

#: the existence theorem a proved NS point states (``proof.theorem``)
THEOREM = "krawczyk"
METHOD = ("Krawczyk test (sup-norm box) on the extended system F(x,a)-x, A v - e^{i theta} v, <c,v>-1; "
          "multipliers by Gershgorin discs of a verified eigenvector similarity; "
          "d by Kuznetsov's n-dimensional NS formula with verified solves")


@dataclass
class NSProof:
    """Outcome for one NS candidate; enclosures are arb balls (None when not computed)."""

    status: str
    reason: str
    parameter: arb | None = None
    theta: arb | None = None
    x: list[arb] = field(default_factory=list)
    first_lyapunov: arb | None = None
    transversality: arb | None = None
    criticality: str | None = None
    other_multipliers_modulus: list = field(default_factory=list)   # arb balls, or Enclosures (ns_family)
    proof: dict = field(default_factory=dict)
    time: float = 0.0
    kind: str = "neimark-sacker"

    @property
    def proved(self) -> bool:
        return self.status == "proved"


# ----------------------------------------------------------------- extended system
def _split(X, n: int):
    return X[:n], X[n], X[n + 1], X[n + 2:2 * n + 2], X[2 * n + 2:]


def G_float(flt, c: np.ndarray, X: np.ndarray) -> np.ndarray:
    n = len(c)
    x, a, t, vr, vi = _split(X, n)
    A, ct, st = flt.Df(x, a), np.cos(t), np.sin(t)
    cv = np.vdot(c, vr + 1j * vi)
    return np.concatenate([flt.f(x, a) - x, A @ vr - ct * vr + st * vi, A @ vi - st * vr - ct * vi,
                           [cv.real - 1, cv.imag]])


def DG_float(flt, c: np.ndarray, X: np.ndarray) -> np.ndarray:
    n = len(c)
    x, a, t, vr, vi = _split(X, n)
    I, ct, st = np.eye(n), np.cos(t), np.sin(t)
    A, Dfa = flt.Df(x, a), flt.Df_a(x, a)
    z = np.zeros((1, n + 2))
    return np.block([
        [A - I, flt.f_a(x, a)[:, None], np.zeros((n, 1)), np.zeros((n, n)), np.zeros((n, n))],
        [flt.B(x, a, vr, I), (Dfa @ vr)[:, None], (st * vr + ct * vi)[:, None], A - ct * I, st * I],
        [flt.B(x, a, vi, I), (Dfa @ vi)[:, None], (st * vi - ct * vr)[:, None], -st * I, A - ct * I],
        [z, c.real[None, :], c.imag[None, :]],
        [z, -c.imag[None, :], c.real[None, :]],
    ])


def _col(vals) -> arb_mat:
    return arb_mat([[v] for v in vals])


def G_ball(ball, c: np.ndarray, X: list[arb]) -> arb_mat:
    """Enclosure of G over the box X. Call inside ctx.workprec."""
    n = len(c)
    x, a, t, vr, vi = _split(X, n)
    xm, vrm, vim = _col(x), _col(vr), _col(vi)
    A, ct, st = ball.Df(xm, a), t.cos(), t.sin()
    cr, ci = [arb(float(s)) for s in c.real], [arb(float(s)) for s in c.imag]
    re = sum((cr[j] * vr[j] + ci[j] * vi[j] for j in range(n)), arb(-1))
    im = sum((cr[j] * vi[j] - ci[j] * vr[j] for j in range(n)), arb(0))
    g = [ball.f(xm, a) - xm, A * vrm - vrm * ct + vim * st, A * vim - vrm * st - vim * ct]
    return _col([m[i, 0] for m in g for i in range(n)] + [re, im])


def DG_ball(ball, c: np.ndarray, X: list[arb]) -> arb_mat:
    """Enclosure of DG(X') for every X' in the box X (the Jacobian of DG_float). Call inside ctx.workprec."""
    n = len(c)
    x, a, t, vr, vi = _split(X, n)
    xm, vrm, vim = _col(x), _col(vr), _col(vi)
    I = arb_mat([[1 if i == j else 0 for j in range(n)] for i in range(n)])
    A, fa, Dfa = ball.Df(xm, a), ball.f_a(xm, a), ball.Df_a(xm, a)
    ct, st = t.cos(), t.sin()
    Bvr, Bvi, Dvr, Dvi = ball.B(xm, a, vrm, I), ball.B(xm, a, vim, I), Dfa * vrm, Dfa * vim
    N = 3 * n + 2
    M = [[arb(0)] * N for _ in range(N)]
    for i in range(n):
        for j in range(n):
            M[i][j] = A[i, j] - (1 if i == j else 0)
            M[n + i][j], M[2 * n + i][j] = Bvr[i, j], Bvi[i, j]
            M[n + i][n + 2 + j] = M[2 * n + i][2 * n + 2 + j] = A[i, j] - (ct if i == j else 0)
        M[i][n] = fa[i, 0]
        M[n + i][n], M[2 * n + i][n] = Dvr[i, 0], Dvi[i, 0]
        M[n + i][n + 1], M[2 * n + i][n + 1] = st * vr[i] + ct * vi[i], st * vi[i] - ct * vr[i]
        M[n + i][2 * n + 2 + i], M[2 * n + i][n + 2 + i] = st, -st
    normalisation_rows(M, c)
    return arb_mat(M)


def newton_float(flt, c: np.ndarray, X: np.ndarray, tol: float = 1e-13, iters: int = 40) -> np.ndarray | None:
    """Float Newton on G from X; the converged point or None."""
    for _ in range(iters):
        try:
            step = np.linalg.solve(DG_float(flt, c, X), -G_float(flt, c, X))
        except np.linalg.LinAlgError:
            return None
        X = X + step
        if not np.all(np.isfinite(X)):
            return None
        if np.linalg.norm(step, np.inf) <= tol * (1 + np.linalg.norm(X, np.inf)):
            return X
    return X if np.linalg.norm(G_float(flt, c, X), np.inf) < 1e-9 else None


def initial_point(cand) -> tuple[np.ndarray, np.ndarray]:
    """(c, X0) from a candidate with x, a, theta, q: c = q / |q|, v0 = c so <c, v0> = 1."""
    q = np.asarray(cand.q, complex)
    c = q / np.linalg.norm(q)
    X0 = np.concatenate([np.asarray(cand.x, float), [cand.a, cand.theta], c.real, c.imag])
    return c, X0


# ----------------------------------------------------------------- existence
@dataclass
class Existence:
    success: bool
    reason: str
    radius: arb | None = None
    uniqueness_radius: arb | None = None
    Y: arb | None = None
    Z: arb | None = None
    box: list[arb] = field(default_factory=list)


def _refine(ball, c: np.ndarray, X: list[arb], prec: int, steps: int = 3) -> list[arb]:
    """Newton steps on the midpoints at prec bits (only the centre moves; nothing is claimed)."""
    for _ in range(steps):
        Xm = [t.mid() for t in X]
        step = DG_ball(ball, c, Xm).mid().solve(G_ball(ball, c, Xm).mid(), nonstop=True, algorithm="approx")
        new = [(Xm[i] - step[i, 0]).mid() for i in range(len(X))]
        if not all(t.is_finite() for t in new):
            break
        X = new
    return X


def krawczyk(ball, c: np.ndarray, X: list[arb], prec: int, tries: int = 8, uniqueness_steps: int = 4) -> Existence:
    """The theorem of the module docstring around the exact centre X; never raises on failure."""
    N = len(X)
    out = Existence(False, "")
    eye = arb_mat([[1 if i == j else 0 for j in range(N)] for i in range(N)])
    DG0 = DG_ball(ball, c, X)
    if prec <= 53:
        mid = np.array([[float(DG0[i, j].mid()) for j in range(N)] for i in range(N)])
        try:
            R = arb_mat(np.linalg.inv(mid).tolist())
        except np.linalg.LinAlgError:
            out.reason = "existence: extended Jacobian numerically singular"
            return out
    else:
        R = DG0.mid().solve(eye, nonstop=True, algorithm="approx").mid()
    out.Y = op_norm_upper(R * G_ball(ball, c, X))
    if not out.Y.is_finite():
        out.reason = "existence: NaN/inf in Y"
        return out

    def Z(r: arb) -> arb:
        return op_norm_upper(eye - R * DG_ball(ball, c, [x + arb(0, r) for x in X]))

    scale = max(1.0, max(abs(float(x)) for x in X))
    r = max((4 * out.Y).upper(), arb(2.0 ** (4 - prec) * scale))
    for _ in range(tries):
        z = Z(r)
        if not z.is_finite():
            out.reason = "existence: NaN/inf in Z"
            return out
        if out.Y + (z - 1) * r < 0:
            out.success, out.radius, out.Z = True, r, z
            out.box = [x + arb(0, r) for x in X]
            break
        if not z < 1:
            out.reason = f"existence: Z = {float(z.mid()):.3g} >= 1 (extended Jacobian ill-conditioned or singular)"
            return out
        r = (4 * r).upper()
    if not out.success:
        out.reason = f"existence: Krawczyk inequality Y + (Z - 1) r < 0 not met (Y = {float(out.Y.mid()):.3g})"
        return out
    out.uniqueness_radius = R_ = r
    for _ in range(uniqueness_steps):
        R_ = (1000 * R_).upper()
        if R_ > 0.1 or not Z(R_) < 1:
            break
        out.uniqueness_radius = R_
    return out


# ----------------------------------------------------------------- the other items
def multipliers(A: arb_mat, theta: arb, prec: int) -> tuple[str, list[arb]]:
    """("", moduli of the other Gershgorin discs) if e^{+-i theta} are simple and every other multiplier
    has modulus != 1; else (reason, [])."""
    boxes = gershgorin_boxes(A, prec)
    if boxes is None:
        return "multipliers: eigenvector matrix not verified invertible (NaN)", []
    with ctx.workprec(prec):
        ct, st = theta.cos(), theta.sin()
        pair = []
        for target in (acb(ct, st), acb(ct, -st)):
            hit = [i for i, b in enumerate(boxes) if b.overlaps(target)]
            if len(hit) != 1 or any(boxes[hit[0]].overlaps(b) for j, b in enumerate(boxes) if j != hit[0]):
                return "multipliers: the multiplier near e^{+-i theta} is not isolated", []
            pair.append(hit[0])
        if pair[0] == pair[1]:
            return "multipliers: the multiplier near e^{+-i theta} is not isolated", []
        moduli = [abs(b) for i, b in enumerate(boxes) if i not in pair]
    if any(not (m < 1 or m > 1) for m in moduli):
        return "multipliers: another multiplier may lie on the unit circle (modulus enclosure contains 1)", moduli
    return "", moduli


def resonance(theta: arb, prec: int) -> str:
    """"" if 0 < theta < pi and theta excludes pi/2, 2 pi/3 (no e^{i k theta} = 1, k = 1..4); else why not."""
    with ctx.workprec(prec):
        pi = arb.pi()
        if not (theta > 0 and theta < pi):
            return "theta enclosure not inside (0, pi)"
        for k, point in ((4, pi / 2), (3, 2 * pi / 3)):
            if theta.overlaps(point):
                return f"strong resonance 1:{k} not excluded (theta enclosure meets {'pi/2' if k == 4 else '2 pi/3'})"
    return ""


def coefficients(ball, box: list[arb], n: int, prec: int) -> tuple[str, arb | None, arb | None]:
    """("", d, d|mu|/da) enclosed over the box (docs/maps.md), or (reason, ...)."""
    with ctx.workprec(prec):
        x = arb_mat([[t] for t in box[:n]])
        a, theta = box[n], box[n + 1]
        lam = acb(theta.cos(), theta.sin())
        v = acb_mat([[acb(box[n + 2 + j], box[2 * n + 2 + j])] for j in range(n)])
        A = ball.Df(x, a)
        norm = sum((v[j, 0].real ** 2 + v[j, 0].imag ** 2 for j in range(n)), arb(0)).sqrt()
        q = v * (1 / acb(norm))
        K = acb_mat(n + 1, n + 1)          # [A^T - lam I, conj q; q^T, 0] [u; s] = [0; 1], p = conj u
        for i in range(n):
            for j in range(n):
                K[i, j] = A[j, i] - (lam if i == j else 0)
            K[i, n], K[n, i] = q[i, 0].conjugate(), q[i, 0]
        sol = K.solve(acb_mat([[0]] * n + [[1]]), nonstop=True)
        if not (_finite(q) and _finite(sol)):
            return "coefficients: eigenvectors q, p not enclosed (NaN)", None, None
        u = acb_mat([[sol[i, 0]] for i in range(n)])
        qb = q.conjugate()
        Ac = acb_mat(A)
        I1, I2 = acb_mat(n, n), acb_mat(n, n)
        for i in range(n):
            I1[i, i], I2[i, i] = 1, lam * lam
        h11 = (I1 - Ac).solve(ball.B(x, a, q, qb), nonstop=True)
        h20 = (I2 - Ac).solve(ball.B(x, a, q, q), nonstop=True)
        xa = (I1 - Ac).solve(acb_mat(ball.f_a(x, a)), nonstop=True)
        if not (_finite(h11) and _finite(h20) and _finite(xa)):
            return "coefficients: verified solve failed (NaN)", None, None
        g = _dot(u, ball.C(x, a, q, q, qb)) + 2 * _dot(u, ball.B(x, a, q, h11)) + _dot(u, ball.B(x, a, qb, h20))
        d = (lam.conjugate() * g).real / 2
        mu_prime = _dot(u, acb_mat(ball.Df_a(x, a)) * q + ball.B(x, a, q, xa))
        dmod = (lam.conjugate() * mu_prime).real
    if not (d.is_finite() and dmod.is_finite()):
        return "coefficients: NaN in d or d|mu|/da", None, None
    if not (d < 0 or d > 0):
        return "NS coefficient d enclosure contains 0", d, dmod
    if not (dmod < 0 or dmod > 0):
        return "transversality d|mu|/da enclosure contains 0", d, dmod
    return "", d, dmod


# ----------------------------------------------------------------- the whole proof
def prove_ns(system, cand, prec: int = 53, max_prec: int = 212) -> NSProof:
    """Try to prove the NS point near ``cand`` (x, a, theta in (0, pi), q: A q ~ e^{i theta} q)."""
    t0 = time.perf_counter()
    c, X0 = initial_point(cand)
    Xf = newton_float(system.flt, c, X0)
    if Xf is None:
        out = NSProof("not_proved", "Newton on the extended system did not converge")
    else:
        p = prec
        while True:
            out, retry = _attempt(system, c, Xf, p)
            if out.proved or not retry or 2 * p > max_prec:
                break
            p *= 2
    out.time = time.perf_counter() - t0
    return out


def _attempt(system, c: np.ndarray, Xf: np.ndarray, prec: int) -> tuple[NSProof, bool]:
    n, ball = system.n, system.ball(prec)
    with ctx.workprec(prec):
        X = [arb(float(t)) for t in Xf]
        if prec > 53:
            X = _refine(ball, c, X, prec)
        ex = krawczyk(ball, c, X, prec)
    info = {"method": METHOD, "theorem": THEOREM, "precision_bits": prec, "radius": ex.radius,
            "uniqueness_radius": ex.uniqueness_radius, "Y": ex.Y, "Z": ex.Z,
            # for the certificate's "start" (symhopf verify begins its own proof here)
            "centre": [t.str(int(prec * 0.30103) + 3, radius=False) for t in X],
            "phase": [[float(z.real), float(z.imag)] for z in c]}
    if not ex.success:
        return NSProof("not_proved", ex.reason, proof=info), True
    box = ex.box
    out = NSProof("not_proved", "", box[n], box[n + 1], box[:n], proof=info)
    why = resonance(box[n + 1], prec)
    if why:
        out.reason = why
        return out, True
    with ctx.workprec(prec):
        A = ball.Df(arb_mat([[t] for t in box[:n]]), box[n])
    why, out.other_multipliers_modulus = multipliers(A, box[n + 1], prec)
    if why:
        out.reason = why
        return out, True
    why, out.first_lyapunov, out.transversality = coefficients(ball, box, n, prec)
    if why:
        out.reason = why
        return out, True
    out.status = "proved"
    out.criticality = "supercritical" if out.first_lyapunov < 0 else "subcritical"
    return out, False
