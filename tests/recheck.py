"""Re-check a certificate from its own numbers: exact rational arithmetic on its decimal strings.

:func:`recheck` lists what is wrong with the proved points of a certificate (empty: nothing).
For every point with ``status == "proved"``:

- its parameter enclosure lies inside the exact range ``cert.range`` (when known; certificates made by
  ``symhopf.api.prove`` keep the model's exact range; read back from JSON it is the binary one);
- ``omega > 0``; ``l1`` and ``mu'`` exclude 0 and ``criticality`` is the sign of ``l1``; the other
  eigenvalues' largest real part, when given, excludes 0;
- a Neimark-Sacker point of a map (``kind == "neimark-sacker"``, docs/maps.md): ``0 < theta < pi`` and
  theta excludes ``pi/2``, ``2 pi/3``; ``d`` and ``d|mu|/da`` exclude 0, ``criticality`` is the sign of d;
  every other multiplier's modulus excludes 1; ``krawczyk``: ``Y, Z >= 0``, ``r > 0``, ``Y + (Z - 1) r < 0``;
  ``verified-diagonalisation`` (the family of a map's linear constant branch, symhopf/proof/ns_family.py, with
  ``s`` the parameter sign): ``delta < 1/2``, ``g (1 - delta) >= delta``, ``0 <= rho <= rho_max``,
  ``rho < sigma``, ``rho < tau`` (the modulus separation; none when n = 2), the eigenvector bound, ``n - 2`` other moduli, and the
  conclusions: the parameter enclosure holds ``s / (|lam| +- rho)``, the transversality ``s (|lam| +- rho)``,
  the theta enclosure ``arg(s D)`` (D the disc, flint ball arithmetic); no Krawczyk numbers;
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
KRAWCZYK = "krawczyk"
NS = "neimark-sacker"
#: rational bounds of pi (35 decimals)
PI_LO, PI_HI = Fraction("3.14159265358979323846264338327950288"), Fraction("3.14159265358979323846264338327950289")


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


def _krawczyk(proof: dict) -> list[str]:
    try:
        Y, Z, r = (_q(proof[k]) for k in ("Y", "Z", "radius"))
    except (KeyError, TypeError, ValueError):
        return ["krawczyk: Y, Z or radius missing"]
    out = []
    if min(Y, Z) < 0 or not r > 0:
        out.append(f"krawczyk: a negative bound or a radius <= 0 (Y={Y}, Z={Z}, r={r})")
    if not Y + (Z - 1) * r < 0:
        out.append("krawczyk: Y + (Z - 1) r is not < 0")
    return out


def _coefficients(point: Any, l1: str) -> list[str]:
    """first_lyapunov (named ``l1``) and transversality exclude 0; criticality is the sign of first_lyapunov."""
    out = [f"{name} enclosure contains 0" for name in ("first_lyapunov", "transversality")
           if not _excludes_zero(getattr(point, name))]
    if _excludes_zero(point.first_lyapunov) and point.criticality != (
            "supercritical" if _pair(point.first_lyapunov)[1] < 0 else "subcritical"):
        out.append(f"criticality {point.criticality} does not match the sign of {l1}")
    return out


def _ge_root(m2: Fraction, x: Fraction) -> bool:
    """sqrt(m2) >= x, exactly."""
    return x <= 0 or m2 >= x * x


def _le_root(m2: Fraction, x: Fraction) -> bool:
    """sqrt(m2) <= x, exactly."""
    return x >= 0 and m2 <= x * x


def _ns_family(point: Any, proof: dict) -> list[str]:
    """The hypotheses and conclusions of the map family theorem (module docstring) for the printed numbers."""
    from flint import acb, arb, ctx

    from symhopf.runtime.arbtools import exact_bounds
    keys = ("disc_radius", "largest_disc_radius", "disc_separation", "delta", "g", "eigenvector_error_bound")
    try:
        rho, rmax, sigma, delta, g, eps = (_q(proof[k]) for k in keys)
        tau = None if len(point.x or []) == 2 else _q(proof["modulus_separation"])
        re, im = _pair(proof["disc_centre"])
        s = int(proof["parameter_sign"])
    except (KeyError, TypeError, ValueError):
        return ["verified-diagonalisation: a number of the theorem is missing"]
    out = [f"verified-diagonalisation: Krawczyk number {k} = {proof[k]} printed under another theorem"
           for k in ("radius", "Y", "Z") if proof.get(k) is not None]
    m2 = re * re + im * im
    checks = [(s in (1, -1) and s * im > 0, "parameter sign is the sign of Im lam"),
              (delta < Fraction(1, 2), "delta < 1/2"), (g * (1 - delta) >= delta, "g >= delta / (1 - delta)"),
              (0 <= rho <= rmax, "0 <= disc radius <= largest disc radius"),
              (rho < sigma, "disc radius < disc separation"),
              (tau is None or rho < tau, "disc radius < modulus separation"),
              (len(point.other_multipliers_modulus or []) == len(point.x or []) - 2, "n - 2 other moduli")]
    if rho < sigma:
        checks.append((eps >= rmax / (sigma - rho + rmax), "eigenvector bound >= rho_max / (sigma - rho + rho_max)"))
    lo, hi = (s * v for v in _pair(point.parameter)[::s])      # s a in [lo, hi] must hold 1 / (|lam| +- rho)
    checks.append((lo > 0 and _le_root(m2, 1 / lo - rho) and _ge_root(m2, 1 / hi + rho),
                   "parameter enclosure holds s / (|lam| +- rho)"))
    lo, hi = (s * v for v in _pair(point.transversality)[::s])
    checks.append((_ge_root(m2, lo + rho) and _le_root(m2, hi - rho), "transversality enclosure holds s (|lam| +- rho)"))
    with ctx.workprec(200):
        arg = (s * acb(arb(float(re), float(rho)), arb(float(im), float(rho)))).arg()
    b, (tlo, thi) = exact_bounds(arg), _pair(point.theta)
    checks.append((b is not None and tlo <= b[0] and b[1] <= thi, "theta enclosure holds arg(s D)"))
    return out + [f"verified-diagonalisation: hypothesis {what} fails" for ok, what in checks if not ok]


def _neimark_sacker(point: Any) -> list[str]:
    """An NS point of a map (docs/maps.md): 0 < theta < pi, theta excludes pi/2 and 2 pi/3 (no strong
    resonance), d and d|mu|/da exclude 0, criticality is the sign of d, every other multiplier's modulus
    enclosure excludes 1, and the Krawczyk hypothesis holds for the printed numbers."""
    out = []
    lo, hi = _pair(point.theta)
    if not (lo > 0 and hi < PI_LO):
        out.append("theta enclosure not inside (0, pi)")
    for k, (plo, phi) in ((4, (PI_LO / 2, PI_HI / 2)), (3, (2 * PI_LO / 3, 2 * PI_HI / 3))):
        if not (hi < plo or lo > phi):
            out.append(f"theta enclosure does not exclude the 1:{k} resonance")
    out += _coefficients(point, "d")
    for m in point.other_multipliers_modulus or []:
        mlo, mhi = _pair(m)
        if not (mhi < 1 or mlo > 1):
            out.append("a modulus enclosure of another multiplier contains 1")
    theorem = (point.proof or {}).get("theorem")
    if theorem == KRAWCZYK:
        return out + _krawczyk(point.proof)
    if theorem == FAMILY:
        return out + _ns_family(point, point.proof)
    return out + [f"proof.theorem {theorem!r} is not the theorem of an NS point"]


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
    if getattr(point, "kind", "hopf") == NS:
        return out + _neimark_sacker(point)
    if not _pair(point.omega)[0] > 0:
        out.append("omega enclosure not positive")
    out += _coefficients(point, "l1")
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
    """What is wrong with a ``HopfProof`` or ``NSProof`` as its certificate record would state it (range not
    checked)."""
    from symhopf.certificate import PointRecord
    if hp.status != "proved":
        return []
    return recheck_point(PointRecord.from_ns_proof(hp) if getattr(hp, "kind", "hopf") == NS else PointRecord.from_proof(hp))


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
