"""Re-check a certificate from its own numbers: exact rational arithmetic on its decimal strings.

:func:`recheck` lists what is wrong with the proved points of a certificate (empty: nothing).
For every point with ``status == "proved"``:

- its parameter enclosure lies inside the exact range ``cert.range`` (when known; certificates made by
  ``symhopf.api.prove`` keep the model's exact range; read back from JSON it is the binary one);
- ``omega > 0``; ``l1`` and ``mu'`` exclude 0 and ``criticality`` is the sign of ``l1``; the other
  eigenvalues' largest real part, when given, excludes 0;
- the hypothesis of the theorem named by ``proof.theorem`` holds for the printed numbers:

  ``newton-kantorovich``: ``Y, Z1, Z2 >= 0``, ``r > 0`` and ``p(r) = Y + (Z1 + Z2 r - 1) r < 0``;

  ``verified-diagonalisation`` (symhopf/proof/family.py, with ``rho`` the disc radius,
  ``sigma`` the disc separation, ``tau`` the real-part separation, ``lam`` the disc centre,
  ``c`` the branch slope, ``a_r`` the reference parameter): ``delta < 1/2``,
  ``g (1 - delta) >= delta``, ``0 <= rho <= rho_max``, ``rho < sigma``, ``rho < tau`` (when
  given), ``eps >= rho_max / (sigma - rho + rho_max)``, and the conclusions the enclosures
  rest on: the parameter enclosure holds ``a_r - (Re lam + [-rho, rho]) / c``, the omega
  enclosure ``Im lam + [-rho, rho]``; the Newton-Kantorovich numbers are absent (null).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

NK = "newton-kantorovich"
FAMILY = "verified-diagonalisation"


def _q(s: Any) -> Fraction:
    return Fraction(s) if isinstance(s, Fraction) else Fraction(str(s))


def _pair(p) -> tuple[Fraction, Fraction]:
    return _q(p[0]), _q(p[1])


def _excludes_zero(p) -> bool:
    lo, hi = _pair(p)
    return lo > 0 or hi < 0


def _nk(proof: dict) -> list[str]:
    try:
        Y, Z1, Z2, r = (_q(proof[k]) for k in ("Y", "Z1", "Z2", "radius"))
    except (KeyError, TypeError, ValueError):
        return ["newton-kantorovich: Y, Z1, Z2 or radius missing"]
    out = []
    if min(Y, Z1, Z2) < 0 or not r > 0:
        out.append(f"newton-kantorovich: a negative bound or a radius <= 0 (Y={Y}, Z1={Z1}, Z2={Z2}, r={r})")
    if not Y + (Z1 + Z2 * r - 1) * r < 0:
        out.append(f"newton-kantorovich: p(r) = Y + (Z1 + Z2 r - 1) r = {float(Y + (Z1 + Z2 * r - 1) * r):.3g} "
                   "is not < 0")
    return out


def _family(point: Any, proof: dict) -> list[str]:
    keys = ("disc_radius", "largest_disc_radius", "disc_separation", "delta", "g", "eigenvector_error_bound",
            "branch_slope", "reference_parameter")
    try:
        rho, rmax, sigma, delta, g, eps, c, a_r = (_q(proof[k]) for k in keys)
        re, im = _pair(proof["disc_centre"])
    except (KeyError, TypeError, ValueError):
        return ["verified-diagonalisation: a number of the theorem is missing"]
    tau = proof.get("real_part_separation")
    out = [f"verified-diagonalisation: Newton-Kantorovich number {k} = {proof[k]} printed under another theorem"
           for k in ("radius", "Y", "Z1", "Z2", "Z") if proof.get(k) is not None]
    checks = [(delta < Fraction(1, 2), "delta < 1/2"), (g * (1 - delta) >= delta, "g >= delta / (1 - delta)"),
              (0 <= rho <= rmax, "0 <= disc radius <= largest disc radius"),
              (rho < sigma, "disc radius < disc separation"),
              (tau is None or rho < _q(tau), "disc radius < real-part separation"), (c != 0, "branch slope != 0")]
    if rho < sigma:
        checks.append((eps >= rmax / (sigma - rho + rmax), "eigenvector bound >= rho_max / (sigma - rho + rho_max)"))
    if c != 0:
        a1, a2 = a_r - (re - rho) / c, a_r - (re + rho) / c
        lo, hi = _pair(point.parameter)
        checks.append((lo <= min(a1, a2) and max(a1, a2) <= hi, "parameter enclosure holds a_r - (Re lam +- rho) / c"))
    lo, hi = _pair(point.omega)
    checks.append((lo <= im - rho and im + rho <= hi, "omega enclosure holds Im lam +- rho"))
    return out + [f"verified-diagonalisation: hypothesis {what} fails" for ok, what in checks if not ok]


def recheck_point(point: Any, a_range: tuple[Fraction, Fraction] | None = None) -> list[str]:
    """What is wrong with one proved point (a ``PointRecord``) of a certificate over ``a_range``
    (None: range unknown, not checked)."""
    if point.status != "proved":
        return []
    out = []
    lo, hi = _pair(point.parameter)
    if a_range is not None and not (a_range[0] <= lo and hi <= a_range[1]):
        out.append(f"parameter enclosure [{point.parameter[0]}, {point.parameter[1]}] not inside the exact range "
                   f"[{a_range[0]}, {a_range[1]}]")
    if not _pair(point.omega)[0] > 0:
        out.append("omega enclosure not positive")
    for name in ("first_lyapunov", "transversality"):
        if not _excludes_zero(getattr(point, name)):
            out.append(f"{name} enclosure contains 0")
    if _excludes_zero(point.first_lyapunov) and point.criticality != (
            "supercritical" if _pair(point.first_lyapunov)[1] < 0 else "subcritical"):
        out.append(f"criticality {point.criticality} does not match the sign of l1")
    other = point.other_eigenvalues_real_part_max
    if other is not None and not _excludes_zero(other):
        out.append("largest real part of the other eigenvalues contains 0")
    proof = point.proof or {}
    theorem = proof.get("theorem")
    if theorem == NK:
        out += _nk(proof)
    elif theorem == FAMILY:
        out += _family(point, proof)
    else:
        out.append(f"proof.theorem {theorem!r} names no theorem symhopf states")
    return out


def recheck_proof(hp: Any) -> list[str]:
    """What is wrong with a ``HopfProof`` as its certificate record would state it (range not checked)."""
    from symhopf.certificate import PointRecord
    return recheck_point(PointRecord.from_proof(hp)) if hp.status == "proved" else []


def recheck_global(cert: Any) -> list[str]:
    """A proved global statement (``global_completeness``): its exact range is the certificate's, its
    box is bounded, non-empty and exact (the search's box)."""
    g = getattr(cert, "global_completeness", None) or {}
    if not g.get("proved"):
        return []
    out = []
    if [_q(v) for v in g["range"]] != [_q(v) for v in cert.range]:
        out.append("global: range differs from the certificate's exact range")
    box = [(_q(lo), _q(hi)) for lo, hi in g["box"]]
    if not box or any(not lo < hi for lo, hi in box):
        out.append("global: empty box")
    sbox = (cert.search or {}).get("box")
    if sbox and box != [(Fraction(lo), Fraction(hi)) for lo, hi in zip(*sbox)]:
        out.append("global: box differs from the search box")
    return out


def recheck(cert: Any) -> list[str]:
    """Problems of every proved point of ``cert`` (a ``Certificate``), each prefixed by model and index;
    then those of its global statement (:func:`recheck_global`)."""
    a_range = (_q(cert.range[0]), _q(cert.range[1]))
    return [f"{cert.model} point {i}: {why}" for i, p in enumerate(cert.hopf_points)
            for why in recheck_point(p, a_range)] + [f"{cert.model} {why}" for why in recheck_global(cert)]
