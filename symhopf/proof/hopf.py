"""prove_candidate: Newton -> existence -> spectrum -> l1 and mu', with adaptive precision.

A point is "proved" only when every stage succeeded rigorously (hopf-math.md,
items 1-5): a unique zero of the extended system in the proved box (existence.py),
omega > 0, +-i omega simple and every other eigenvalue off the imaginary axis on
the whole box (spectrum.py), and enclosures of l1 and mu' excluding 0
(lyapunov.py). When a stage fails after Newton converged, the whole attempt is
repeated at twice the working precision (up to max_prec): failures caused only
by rounding disappear, genuine degeneracies (l1 = 0, mu' = 0, eigenvalues on the
axis) do not.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from flint import arb, arb_mat, ctx

from ..candidate import Candidate
from .existence import THEOREM, prove_existence
from .lyapunov import lyapunov
from .newton import newton
from .spectrum import prove_spectrum

METHOD = ("Newton-Kantorovich (radii polynomial, sup norm) on the extended system; "
          "spectrum by Gershgorin discs of a verified eigenvector similarity; "
          "l1 by Kuznetsov's full n-dimensional formula with verified solves")


@dataclass
class HopfProof:
    """Outcome for one candidate; enclosures are arb balls (None when not computed)."""

    status: str
    reason: str
    parameter: arb | None = None
    omega: arb | None = None
    x: list[arb] = field(default_factory=list)
    first_lyapunov: arb | None = None
    transversality: arb | None = None
    criticality: str | None = None
    other_eigenvalues_real_part_max: arb | None = None
    proof: dict = field(default_factory=dict)
    time: float = 0.0

    @property
    def proved(self) -> bool:
        return self.status == "proved"


def prove_candidate(system, candidate: Candidate, prec: int = 53, max_prec: int = 212,
                    width_target: float | None = None) -> HopfProof:
    """Try to prove the Hopf point near candidate; never raises for a failed proof.

    width_target: also redo a successful proof at higher precision (up to max_prec)
    while an enclosure of a*, w, x*, l1 or mu' is wider than this.
    """
    t0 = time.perf_counter()
    p = prec
    while True:
        result, retry = _attempt(system, candidate, p)
        if result.proved and width_target is not None:
            retry = _max_width(result) > width_target
        if (result.proved and not retry) or not retry or 2 * p > max_prec:
            break
        p *= 2
    result.time = time.perf_counter() - t0
    return result


def _max_width(r: HopfProof) -> float:
    balls = [r.parameter, r.omega, *r.x, r.first_lyapunov, r.transversality]
    return max(2 * float(b.rad()) for b in balls)


def _attempt(system, cand: Candidate, prec: int) -> tuple[HopfProof, bool]:
    """One run at prec bits; the flag says whether higher precision may help."""
    n = system.n
    nr = newton(system, cand, prec)
    if not nr.converged:
        return HopfProof("not_proved", nr.reason, proof={"precision_bits": prec}), False
    ex = prove_existence(system, nr.c, nr.X, prec)
    info = {"method": METHOD, "theorem": THEOREM, "precision_bits": prec, "radius": ex.radius,
            "uniqueness_radius": ex.uniqueness_radius, "Y": ex.Y, "Z1": ex.Z1, "Z2": ex.Z2,
            # for the certificate's "start" (symhopf verify begins its own proof here)
            "centre": [t.str(int(prec * 0.30103) + 3, radius=False) for t in nr.X],
            "phase": [[float(z.real), float(z.imag)] for z in nr.c]}
    if not ex.success:
        return HopfProof("not_proved", ex.reason, proof=info), True
    box = ex.box
    out = HopfProof("not_proved", "", box[n], box[n + 1], box[:n], proof=info)
    with ctx.workprec(prec):
        A = system.ball(prec).Df(arb_mat([[t] for t in box[:n]]), box[n])
    sp = prove_spectrum(A, box[n + 1], prec)
    out.other_eigenvalues_real_part_max = sp.other_max_real
    ly = lyapunov(system, box, prec)
    out.first_lyapunov, out.transversality = ly.l1, ly.mu_prime
    if not sp.success:
        out.reason = sp.reason
        return out, True
    if not ly.success:
        out.reason = ly.reason
        return out, True
    out.status = "proved"
    out.criticality = "supercritical" if ly.l1 < 0 else "subcritical"
    return out, False
