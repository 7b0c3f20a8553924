"""The special-point table of ``symhopf prove``: Hopf points, folds and generalized-Hopf candidates.

One row per special point: the Hopf points in the certificate's order, then the folds, then the
generalized-Hopf candidates:

- ``H``: a Hopf candidate (proved or not) with its enclosures, ``omega * l1`` (the "first
  Lyapunov coefficient" MatCont prints: symhopf's ``l1`` is Kuznetsov's, divided by
  ``omega``), the side of the periodic orbits and the stability of the equilibrium on each
  side of ``a*``;
- ``LP``: a fold of an equilibrium branch, as located by the float search (not proved);
- ``GH?``: a generalized-Hopf candidate: two consecutive proved Hopf points of one branch where a
  pair may cross the axis and cross back (``mu'`` of opposite signs) with ``l1`` of opposite signs.
  Under a second parameter the Hopf curve joining them may pass ``l1 = 0``; nothing of this is
  proved. Consecutive points with the same sign of ``mu'`` are different pairs crossing (as on
  a constant branch, where every ``mu'`` is the same ``c``), so a sign change of ``l1`` between
  them says nothing about a generalized-Hopf point and is not listed.

Branch points (BP) are not sought by the search; the table says so rather than listing none.
Every enclosure is the certificate's, or (``omega * l1``) its exact product rounded outward.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Sequence

from .certificate import round_decimal

#: the CSV columns, in order
COLUMNS = ("type", "label", "branch", "parameter_lo", "parameter_hi", "omega_lo", "omega_hi", "l1_lo", "l1_hi",
           "omega_l1_lo", "omega_l1_hi", "mu_prime_lo", "mu_prime_hi", "status", "criticality", "orbits_side",
           "equilibrium_below", "equilibrium_above", "note")
#: what the table says about branch points
BP_NOTE = "branch points (BP) are not sought by the search"


@dataclass
class SpecialPoint:
    """One row of the table; enclosures as ``[lo, hi]`` decimal strings, sides as ``"<"`` / ``">"``."""

    type: str
    label: str
    branch: int | None
    parameter: Sequence[str] | None
    omega: Sequence[str] | None = None
    l1: Sequence[str] | None = None
    omega_l1: Sequence[str] | None = None
    mu_prime: Sequence[str] | None = None
    status: str = ""
    criticality: str = ""
    orbits_side: str = ""
    equilibrium_below: str = ""
    equilibrium_above: str = ""
    note: str = ""

    def row(self) -> dict[str, str]:
        """The CSV row (empty strings for absent values)."""
        out: dict[str, str] = {"type": self.type, "label": self.label,
                               "branch": "" if self.branch is None else str(self.branch)}
        for key in ("parameter", "omega", "l1", "omega_l1", "mu_prime"):
            pair = getattr(self, key)
            out[key + "_lo"], out[key + "_hi"] = (pair[0], pair[1]) if pair else ("", "")
        out.update({k: getattr(self, k) for k in ("status", "criticality", "orbits_side", "equilibrium_below",
                                                  "equilibrium_above", "note")})
        return out


def _q(pair: Sequence[str]) -> tuple[Fraction, Fraction]:
    return Fraction(Decimal(pair[0])), Fraction(Decimal(pair[1]))


def sign(pair: Sequence[str] | None) -> int:
    """+1 / -1 when the enclosure excludes 0, else 0."""
    if not pair:
        return 0
    lo, hi = _q(pair)
    return 1 if lo > 0 else -1 if hi < 0 else 0


def product(a: Sequence[str] | None, b: Sequence[str] | None) -> list[str] | None:
    """The exact product of two enclosures, rounded outward to 17 significant digits."""
    if not a or not b:
        return None
    (a0, a1), (b0, b1) = _q(a), _q(b)
    ends = [a0 * b0, a0 * b1, a1 * b0, a1 * b1]
    return [round_decimal(min(ends), 17, False), round_decimal(max(ends), 17, True)]


def equilibrium_sides(point: Any) -> tuple[str, str]:
    """The equilibrium's stability just below and just above ``a*`` ("stable" / "unstable" / "?").

    The critical pair has Re > 0 for sign(a - a*) = sign(mu'); the equilibrium is asymptotically
    stable on the other side only when every other eigenvalue has negative real part (or there is
    none, n = 2); with one of positive real part it is unstable on both sides."""
    s_mu, others = sign(point.transversality), point.other_eigenvalues_real_part_max
    s_o = -1 if others is None else sign(others)
    if point.status != "proved" or s_mu == 0 or s_o == 0:
        return "?", "?"
    if s_o > 0:
        return "unstable", "unstable"
    return ("stable", "unstable") if s_mu > 0 else ("unstable", "stable")


def orbits_side(point: Any) -> str:
    """``">"`` when the periodic orbits exist for a > a* (sign(a - a*) = -sign(l1 mu')), ``"<"`` for a < a*."""
    s = -sign(point.first_lyapunov) * sign(point.transversality)
    return "" if point.status != "proved" or s == 0 else (">" if s > 0 else "<")


def branch_of(certificate: Any) -> dict[int, int]:
    """Hopf point index (0-based) -> branch id, from the certificate's branches."""
    return {i: b["id"] for b in certificate.branches for i in b.get("hopf_points", [])}


def special_points(certificate: Any) -> list[SpecialPoint]:
    """The table's rows (module docstring): H points labelled H1, H2, ... as in the certificate's order."""
    owner = branch_of(certificate)
    rows: list[SpecialPoint] = []
    for i, p in enumerate(certificate.hopf_points):
        below, above = equilibrium_sides(p)
        rows.append(SpecialPoint(
            "H", f"H{i + 1}", owner.get(i), p.parameter, p.omega, p.first_lyapunov,
            product(p.omega, p.first_lyapunov), p.transversality,
            status=p.status, criticality=p.criticality or "", orbits_side=orbits_side(p),
            equilibrium_below=below, equilibrium_above=above,
            note="" if p.status == "proved" else p.reason))
    for b in certificate.branches:
        for a in b.get("folds", []):
            v = repr(float(a))
            rows.append(SpecialPoint("LP", f"LP{sum(r.type == 'LP' for r in rows) + 1}", b["id"], [v, v],
                                     note="fold located by the float search (approximate, not proved)"))
    for b in certificate.branches:
        mine = sorted((i for i in b.get("hopf_points", []) if certificate.hopf_points[i].status == "proved"),
                      key=lambda i: _q(certificate.hopf_points[i].parameter)[0])
        for i, j in zip(mine, mine[1:]):
            p, q = certificate.hopf_points[i], certificate.hopf_points[j]
            if (sign(p.first_lyapunov) * sign(q.first_lyapunov) < 0
                    and sign(p.transversality) * sign(q.transversality) < 0):
                rows.append(SpecialPoint(
                    "GH?", f"GH?{sum(r.type == 'GH?' for r in rows) + 1}", b["id"],
                    [p.parameter[0], q.parameter[1]],
                    note=f"l1 and mu' change sign between H{i + 1} and H{j + 1} (candidate, not proved)"))
    return rows


def to_csv(rows: Sequence[SpecialPoint]) -> str:
    """The table as CSV text with the header :data:`COLUMNS`."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r.row())
    return buf.getvalue()


def _short(pair: Sequence[str] | None) -> str:
    if not pair:
        return "-"
    return f"{float(Decimal(pair[0]) + Decimal(pair[1])) / 2:.6g}"


def text_table(rows: Sequence[SpecialPoint], parameter: str) -> str:
    """The table as aligned text (midpoints to 6 digits; the CSV has the enclosures)."""
    head = f"  {'':<5} {'br':>2} {parameter:>12} {'omega':>10} {'l1':>11} {'omega*l1':>11} {'mu_prime':>10}  remark"
    lines = ["special points (midpoints; exact enclosures in the certificate and --csv; "
             "MatCont's first Lyapunov coefficient is omega*l1):", head]
    for r in rows:
        if r.type == "H":
            remark = (f"{r.criticality}, orbits for {parameter} {r.orbits_side} {parameter}*, equilibrium "
                      f"{r.equilibrium_below} below / {r.equilibrium_above} above"
                      if r.status == "proved" else f"not proved: {r.note}")
        else:
            remark = r.note
        br = "" if r.branch is None else str(r.branch)
        lines.append(f"  {r.label:<5} {br:>2} {_short(r.parameter):>12} {_short(r.omega):>10} {_short(r.l1):>11} "
                     f"{_short(r.omega_l1):>11} {_short(r.mu_prime):>10}  {remark}")
    lines.append(f"  ({BP_NOTE})")
    return "\n".join(lines)
