"""Family proof: every Neimark–Sacker point of a map's linear constant branch from ONE verified diagonalisation.

For a map ``x -> F(x, a)`` such as the Elman net ``F = tanh(a W x)``; docs/maps.md states the NS theorem.

Structure (ball arithmetic at 53 bits, ``S`` a ball holding 0 and the range [a0, a1], ``U = [-1, 1]^n``):

1. ``F(x0, S) = x0`` exactly: x0 is a fixed point for every a in S;
2. ``D_xF(x0, 0) = 0`` exactly and ``D_a^2 D_xF(x0, S) = 0`` exactly: ``D_a D_xF(x0, a) = M`` does not
   depend on a, so ``D_xF(x0, a) = a M`` on S (integrate from 0); M lies in the ball ``Mb = D_a D_xF(x0, S)``
   (106 bits; for Elman ``M = W`` and Mb holds the exact decimal weights);
3. ``B(x0, S, U, U) = 0`` exactly: ``B(x0, a, ., .) = 0`` for every a in S (a bilinear form vanishing on a
   neighbourhood of 0), so d has only its cubic term.

Spectrum: the verified diagonalisation of symhopf/proof/family.py (every real matrix in the ball Mb, so M)
puts each eigenvalue of M in a Gershgorin disc ``D_j = D(lam_j, rho_j)``; an isolated disc holds exactly one,
``nu_j``, real if the disc is real-centred, non-real if the disc is off the real axis (isolated from its
conjugate disc). The multipliers at a are ``a nu_j``, so ``|mu_j(a)| = |a| |nu_j|``; with
``m_j = |lam_j| + [-rho_j, rho_j]`` (holds ``|nu_j|``), ``s_j = sign(Im lam_j)``:

- crossings: a non-real ``nu_j`` gives the upper multiplier ``a nu_j`` (Im > 0) on the unit circle exactly at
  ``a_j = s_j / |nu_j|`` in ``s_j / m_j``, with ``theta_j = arg(s_j nu_j)`` in ``arg(s_j D_j)``; every
  parameter in the range at which a non-real multiplier has modulus 1 is such an ``a_j`` (or ``-a_j``, the
  same pair seen from the conjugate disc);
- transversality: ``d|mu|/da = s_j |nu_j|`` in ``s_j m_j`` (exactly, as ``|mu_j(a)|`` is linear in |a|);
- other multipliers at ``a_j``: every one is ``a_j nu`` with nu in some disc ``D_i``, ``i != j, j'``
  (``j'`` the conjugate disc; the isolated disc j holds only ``nu_j``), of modulus in ``|a_j| m_i``, which
  excludes 1 when ``m_i`` and ``m_j`` are disjoint: ``rho_j < tau_j <= min_i (| |lam_i| - |lam_j| | - rho_i)``
  (the modulus separation);
- no strong resonance: the enclosure of ``theta_j`` lies in (0, pi) and excludes pi/2, 2 pi/3
  (neimark_sacker.resonance);
- d: Kuznetsov's coefficient with B = 0, ``d = (1/2) Re(e^{-i theta} <p, C(q, q, conj q)>)`` with the
  generated ball C at ``(x0, a_j)``, and q, p from the enclosed right and left eigenvectors v, l of disc j
  (family.py's bounds: ``v = V (e_j + dv)``, ``l = (e_j + dl)^T V^{-1}``, ``|dv_i| <= rho_i / (|lam_j - lam_i|
  - rho_j)``): ``<p, C(q, q, conj q)> = l^T C(v, v, conj v) / (l^T v |v|^2)`` (multilinearity, <q,q> = <p,q> = 1).

Conclusion for a disc with every item decided: ``(x0, a_j, theta_j)`` is an NS point (docs/maps.md). Completeness
(method ``linear constant branch``): each disc whose possible crossings ``+-1 / m_j`` meet the exact range
(Fractions) must be isolated; a real-centred one gives a real multiplier (fold/flip, not NS); a non-real one's
crossing must lie inside the range (meeting an end is undecided); then the NS parameters of the branch in the
range are exactly the crossings, and the list is complete when every crossing is a proved point.

Certificate (``proof.theorem = "verified-diagonalisation"``, numbers exact binary64 unless marked):
``disc_centre = lam_j``, ``disc_radius = rho_j``, ``largest_disc_radius``, ``disc_separation = sigma_j <=
min_{i != j} (|lam_j - lam_i| - rho_i)``, ``modulus_separation = tau_j``, ``delta``, ``g``,
``eigenvector_error_bound`` (rounded up) ``>= rho_max / (sigma_j - rho_j + rho_max)``, ``parameter_sign = s_j``.
Hypotheses: ``delta < 1/2``, ``g (1 - delta) >= delta``, ``0 <= rho_j <= rho_max``, ``rho_j < sigma_j``,
``rho_j < tau_j``; conclusions: the parameter enclosure holds ``s_j / (|lam_j| +- rho_j)``, the
transversality enclosure ``s_j (|lam_j| +- rho_j)``, the theta enclosure ``arg(s_j D_j)``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from flint import acb, arb, arb_mat, ctx

from ..enclosure import Enclosure
from ..runtime.arbtools import exact_bounds, float_lower, float_upper, fraction, hull, in_range, interval_text, range_text
from ..runtime.ball import is_exact_zero
from ..runtime.fpbounds import ETA, U
from ..runtime.npball import NBall, as_nball, column_dots, column_norms2, to_acb
from .family import HIPREC, THEOREM, Diagonalisation, _dist_lower, diagonalise, eigenvector_radii
from .neimark_sacker import NSProof, resonance

PREC = 53
METHOD = ("family proof on a verified linear constant branch (F(x0,a)=x0, D_xF(x0,a) = a M on hull(0, range)): "
          "one verified diagonalisation of M (Gershgorin discs), multipliers a nu_j, crossings a = 1/|nu_j|, "
          "d by Kuznetsov's NS formula (B = 0) with the generated ball C and the enclosed eigenvectors")
COMPLETENESS_METHOD = ("linear constant branch: multipliers a nu_j with nu_j in the isolated Gershgorin discs of "
                       "the verified diagonalisation of M; crossings a = s_j / |nu_j| compared with the exact range")


@dataclass
class MapBranch:
    """A verified linear constant branch ``D_xF(x0, a) = a M`` (module docstring) and M's diagonalisation;
    ``moduli[j]`` holds ``|nu_j|`` for every eigenvalue nu_j in disc j."""

    ok: bool
    reason: str
    x0: np.ndarray | None = None
    diag: Diagonalisation | None = None
    moduli: list[arb] = field(default_factory=list)
    a_range: tuple[Fraction, Fraction] | None = None


@dataclass
class FamilyNS:
    """The outcome on one branch: an NSProof per crossing (sorted by parameter) and the completeness record."""

    points: list[NSProof]
    completeness: dict[str, Any]


def structure(system: Any, x0: np.ndarray, a_range: tuple) -> MapBranch:
    """Checks 1-3 of the module docstring and the diagonalisation of Mb; or why not."""
    lo, hi = fraction(a_range[0]), fraction(a_range[1])
    n = len(x0)
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        S = hull(min(lo, Fraction(0)), max(hi, Fraction(0)))
        xb = arb_mat([[arb(float(v))] for v in x0])
        box = arb_mat([[arb(0, 1)] for _ in range(n)])
        if not is_exact_zero(ev.f(xb, S) - xb):
            return MapBranch(False, "F(x0, a) = x0 not proved identically on hull(0, range)")
        if not (is_exact_zero(ev.Df(xb, arb(0))) and is_exact_zero(ev.Df_aa(xb, S))):
            return MapBranch(False, "D_xF(x0, a) = a M not proved on hull(0, range) (D_xF(x0, 0) = 0 and "
                                    "D_a^2 D_xF(x0, a) = 0 needed)")
        if not is_exact_zero(ev.B(xb, S, box, box)):
            return MapBranch(False, "B(x0, a) not proved 0 on the range (the family NS proof needs B = 0)")
    with ctx.workprec(HIPREC):
        Mb = system.ball(HIPREC).Df_a(arb_mat([[arb(float(v))] for v in x0]), S)
    d = diagonalise(Mb)
    if not d.ok:
        return MapBranch(False, "diagonalisation: " + d.reason)
    with ctx.workprec(PREC):
        moduli = [abs(acb(float(z.real), float(z.imag))) + arb(0, float(r)) for z, r in zip(d.lam, d.rho)]
    return MapBranch(True, "", np.asarray(x0, float), d, moduli, (lo, hi))


def _crossing(m: arb, s: int, a_range: tuple[Fraction, Fraction]) -> tuple[arb | None, bool | None]:
    """(enclosure of s / |nu|, whether it lies in the range: True, False, None undecided) for |nu| in m."""
    lo, hi = a_range
    if m > 0:
        a = s / m
        return a, in_range(a, lo, hi)
    # |nu| may be 0: |s / nu| >= 1 / m_hi, unbounded
    m_hi = exact_bounds(m)[1] if m.is_finite() else None
    outside = m_hi is not None and (m_hi == 0 or (s > 0 and 1 / m_hi > hi) or (s < 0 and -1 / m_hi < lo))
    return None, (False if outside else None)


def prove_branch(system: Any, br: MapBranch) -> FamilyNS:
    """An NSProof for every crossing of the branch in the range, and the completeness record."""
    d, rng = br.diag, br.a_range
    lam = d.lam
    n = len(lam)
    targets, undecided = [], ""
    with ctx.workprec(PREC):
        for j in range(n):
            for s in (1, -1):
                a, inside = _crossing(br.moduli[j], s, rng)
                if inside is False:
                    continue
                if not d.isolated[j]:
                    undecided = undecided or f"eigenvalue disc {j} (possible crossing in the range) overlaps another disc"
                    continue
                if lam[j].imag == 0 or s != (1 if lam[j].imag > 0 else -1):
                    continue        # a real multiplier (fold/flip), or the pair seen from its other disc
                targets.append((j, s, a, inside))
    points = _points(system, br, targets)
    order = sorted(range(len(points)), key=lambda i: float(targets[i][2].mid()) if targets[i][2] is not None else 0.0)
    points = [points[i] for i in order]
    bad = [p for p in points if not p.proved]
    if undecided:
        why = f"not proved: {undecided}"
    elif bad:
        why = f"not proved: a crossing is not a proved Neimark-Sacker point ({bad[0].reason})"
    else:
        why = (f"proved: the {len(points)} crossing(s) a = 1/|nu_j| of the complex eigenvalues of M in the range "
               "are the proved Neimark-Sacker points")
    return FamilyNS(points, {"proved": why.startswith("proved"), "reason": why, "method": COMPLETENESS_METHOD})


def _lower(v: float) -> float:
    """v rounded down past one float operation's error."""
    return float(v * (1 - 4 * U) if v > 0 else v * (1 + 4 * U))


def _separations(d: Diagonalisation, j: int) -> tuple[float, float | None]:
    """(sigma_j, tau_j): lower bounds of the distance from lam_j to every other disc and of the
    modulus separation (module docstring; None when the pair is the whole spectrum), formed in floats
    and rounded down."""
    lam, rho = d.lam, d.rho
    others = np.arange(len(lam)) != j
    sigma = _lower((_dist_lower(lam[others], lam[j]) - rho[others]).min(initial=math.inf))
    others[int(d.partner[j])] = False
    mod = np.abs(lam)
    mlo, mhi = _dist_lower(lam, 0), mod * (1 + 4 * U) + 4 * ETA
    gap = np.maximum(np.maximum(mlo[others] - mhi[j], mlo[j] - mhi[others]) * (1 - 4 * U), 0.0)
    tau = _lower((gap - rho[others]).min()) if others.any() else None
    return sigma, tau


def _points(system: Any, br: MapBranch, targets: list) -> list[NSProof]:
    d = br.diag
    out, good = [], []
    rmax = float(d.rho.max())
    xs = [arb(float(v)) for v in br.x0]          # one list shared by the points (certificate.py converts it once)
    mlo = np.maximum(np.nextafter(_dist_lower(d.lam, 0) - d.rho, -np.inf), 0.0)     # |lam_i| - rho_i rounded down
    mhi = np.nextafter(np.abs(d.lam) * (1 + 4 * U) + 4 * ETA + d.rho, np.inf)        # |lam_i| + rho_i rounded up
    for j, s, a, inside in targets:
        t0 = time.perf_counter()
        info = {"method": METHOD, "theorem": THEOREM, "precision_bits": PREC}
        p = NSProof("not_proved", "", a, None, xs, proof=info)
        out.append(p)
        if inside is None:
            p.reason = (f"crossing at a in {interval_text(a) if a is not None else '(unbounded)'} meets an end of the "
                        f"range {range_text(br.a_range)}: cannot decide whether it is in the range")
            continue
        sigma, tau = _separations(d, j)
        rk = float(d.rho[j])
        with ctx.workprec(PREC):
            eps = arb(rmax) / (arb(sigma) - arb(rk) + arb(rmax))
            box = acb(arb(float(d.lam[j].real), rk), arb(float(d.lam[j].imag), rk))
            p.theta = (s * box).arg()
            p.transversality = s * br.moduli[j]
        off_circle = False
        if rk < sigma:
            p.other_multipliers_modulus, off_circle = _other_moduli(d, j, a, mlo, mhi)
        info.update({"disc_centre": (float(d.lam[j].real), float(d.lam[j].imag)), "disc_radius": rk,
                     "largest_disc_radius": rmax, "disc_separation": sigma, "modulus_separation": tau,
                     "delta": float(d.delta), "g": float(d.g), "eigenvector_error_bound": eps.upper(),
                     "parameter_sign": s})
        p.time = time.perf_counter() - t0
        if not rk < sigma:
            p.reason = "multipliers: the eigenvalue disc of the pair is not isolated (disc radius >= disc separation)"
        elif tau is not None and not rk < tau:
            p.reason = ("multipliers: another multiplier may lie on the unit circle (its modulus enclosure meets "
                        "this pair's: modulus separation <= disc radius)")
        elif not off_circle:
            p.reason = "multipliers: another multiplier may lie on the unit circle (modulus enclosure contains 1)"
        else:
            p.reason = resonance(p.theta, PREC)
        if not p.reason:
            good.append((len(out) - 1, j))
    if good:
        pts = [out[i] for i, _ in good]
        try:        # all points in one batch; a failure is a failed proof, not a crash
            _coefficients(system, br, pts, np.array([j for _, j in good]))
        except Exception as exc:
            for p in pts:
                p.status, p.criticality, p.reason = "not_proved", None, f"family proof failed: {type(exc).__name__}: {exc}"
    return out


def _other_moduli(d: Diagonalisation, j: int, a: arb, mlo: np.ndarray, mhi: np.ndarray) -> tuple[list[Enclosure], bool]:
    """Enclosures ``|a| [mlo_i, mhi_i]`` of the moduli of the other multipliers (discs i != j, j') at a, from
    float bounds rounded outward (each product, then once more so that the shortest decimal of the float
    is still outside: it is within half an ulp of it); and whether every one excludes 1."""
    keep = np.ones(len(d.lam), bool)
    keep[[j, int(d.partner[j])]] = False
    alo, ahi = float_lower(abs(a)), float_upper(abs(a))
    lo = np.nextafter(np.nextafter(alo * mlo[keep], -np.inf), -np.inf)
    hi = np.nextafter(np.nextafter(ahi * mhi[keep], np.inf), np.inf)
    return ([Enclosure((repr(float(l)) if l > 0 else "0", repr(float(h)))) for l, h in zip(lo, hi)],
            bool(np.all((lo > 1) | (hi < 1))))


def _coefficients(system: Any, br: MapBranch, points: list[NSProof], G: np.ndarray) -> None:
    """d for the points (discs G) in one batch of the generated C (module docstring); sets status."""
    t0 = time.perf_counter()
    d = br.diag
    qrad, lrad = eigenvector_radii(d, G)
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        xb = arb_mat([[arb(float(v))] for v in br.x0])
        V = NBall(d.V[:, G], qrad.T.copy())
        L = NBall(d.Y[G, :].T.copy(), lrad.T.copy())
        Cv = as_nball(ev.at_columns("C", xb, [p.parameter for p in points], V, V, V.conjugate()))

        def dots(X: NBall) -> list[acb]:
            mid, rad = column_dots(L, X)
            return [to_acb(z, r) for z, r in zip(mid, rad)]

        n2m, n2r = column_norms2(V)
        for p, sigma, c, z, r in zip(points, dots(V), dots(Cv), n2m, n2r):
            nu2 = arb(float(z), float(r))
            if not (sigma.real.is_finite() and abs(sigma) > 0 and nu2 > 0):
                p.reason = "coefficients: <p, q> not enclosed away from 0"
                continue
            p.first_lyapunov = (acb(p.theta.cos(), -p.theta.sin()) * c / (sigma * nu2)).real / 2
            if not p.first_lyapunov.is_finite():
                p.reason = "coefficients: NaN in d"
            elif not (p.first_lyapunov < 0 or p.first_lyapunov > 0):
                p.reason = "NS coefficient d enclosure contains 0"
            else:
                p.status = "proved"
                p.criticality = "supercritical" if p.first_lyapunov < 0 else "subcritical"
    dt = (time.perf_counter() - t0) / len(points)
    for p in points:
        p.time += dt
