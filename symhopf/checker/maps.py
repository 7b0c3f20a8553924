"""The checker's theorems for maps: one Neimark-Sacker point re-proved from the model alone (docs/maps.md).

The theorem re-checked (Neimark-Sacker; Kuznetsov, Elements of Applied Bifurcation Theory, Thm 4.6 and
Sec. 5.4, 8.7.2). For ``x -> F(x, a)`` smooth, ``(x*, a*, theta*)`` with ``0 < theta* < pi``:
(1) ``F(x*, a*) = x*``; (2) ``A = D_x F(x*, a*)`` has the simple multipliers ``e^{+-i theta*}`` and every
other multiplier has modulus != 1; (3) ``e^{i k theta*} != 1`` for k = 1..4; (4) ``d|mu|/da != 0``
along the fixed-point branch; (5) ``d != 0``. Then an invariant closed curve bifurcates from the fixed
point at a*, on the side where ``|mu(a)| - 1`` has the sign of ``-d``: attracting (within the centre
manifold, "supercritical") if d < 0, repelling ("subcritical") if d > 0.

Notation as in :mod:`symhopf.checker.theorems`: ``<u, v> = conj(u)^T v``; every ball holds the exact value
for every point of its input balls; a stated enclosure is read as exact decimals and compared on exact
end points. Each claim passes only if the checker's own enclosure lies in the stated one, and a stated
enclosure that carries a hypothesis (theta, d, d|mu|/da, the other moduli) must satisfy it itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flint import acb, arb

from .jets import Field, ball
from .theorems import (Eigen, Failed, Pair, diagonalise, eigenvectors, ends, inside, interval_ball, krawczyk,
                       sign)


@dataclass
class NSPoint:
    """One proved Neimark-Sacker point's claims (exact stated enclosures) and its start data."""

    a: Pair
    theta: Pair
    x: list[Pair]
    d: Pair | None
    mu: Pair | None                  # d|mu|/da
    other: list[Pair] | None         # the other multipliers' moduli
    criticality: str | None
    centre: list[Fraction] | None
    phase: list[complex] | None
    theorem: str | None = None       # the certificate's proof.theorem (not a claim the checker relies on)

    @property
    def omega(self) -> Pair:
        """The angle coordinate, compared by the distinctness test like a Hopf point's omega."""
        return self.theta


def resonance(theta: Pair) -> None:
    """Item 3 on the stated enclosure (which holds the checker's, hence theta*): ``0 < theta < pi``,
    ``theta != pi/2`` (1:4) and ``theta != 2 pi/3`` (1:3); k = 1, 2 are ``theta in (0, pi)``.
    Decided on a ball holding the stated interval against Arb's enclosure of pi."""
    t, pi = interval_ball(theta), arb.pi()
    if not (t > 0 and t < pi):
        raise Failed(f"theta: stated [{float(theta[0]):.17g}, {float(theta[1]):.17g}] is not inside (0, pi)")
    for k, point, name in ((4, pi / 2, "pi/2"), (3, 2 * pi / 3, "2 pi/3")):
        if t.overlaps(point):
            raise Failed(f"strong resonance 1:{k} not excluded: the stated theta "
                         f"[{float(theta[0]):.17g}, {float(theta[1]):.17g}] meets {name}")


def other_moduli(E: list, pair: tuple[int, int], scale: arb, p: NSPoint) -> None:
    """Item 2 for the other multipliers. Every other multiplier lies in a disc E_j (j not in ``pair``), so its
    modulus lies in ``|E_j| * scale``; each must exclude 1 and lie in its own stated enclosure (a one-to-one
    assignment, found by augmenting paths), and each stated enclosure must exclude 1 itself."""
    moduli = [abs(e) * scale for j, e in enumerate(E) if j not in pair]
    for m in moduli:
        if not (m < 1 or m > 1):
            raise Failed("another multiplier may lie on the unit circle (its modulus enclosure contains 1)")
    if p.other is None or len(p.other) != len(moduli):
        raise Failed(f"other multipliers' moduli: {0 if p.other is None else len(p.other)} enclosure(s) stated "
                     f"for {len(moduli)} other multiplier(s)")
    for lo, hi in p.other:
        if lo <= 1 <= hi:
            raise Failed(f"other multipliers' moduli: the stated [{float(lo):.17g}, {float(hi):.17g}] contains 1")
    fits = [[s for s, (lo, hi) in enumerate(p.other) if lo <= e[0] and e[1] <= hi] for e in map(ends, moduli)]
    owner: dict[int, int] = {}

    def assign(i: int, seen: set) -> bool:
        free = next((s for s in fits[i] if s not in owner), None)
        if free is not None:
            owner[free] = i
            return True
        for s in fits[i]:
            if s not in seen:
                seen.add(s)
                if s not in owner or assign(owner[s], seen):
                    owner[s] = i
                    return True
        return False

    if not all(assign(i, set()) for i in range(len(moduli))):
        raise Failed("other multipliers' moduli: the stated enclosures do not contain the checker's, one each")


def coefficients(F: Field, x: list, a: arb, lam: acb, eig: Eigen, k: int, solve, p: NSPoint) -> None:
    """Items 4-5: ``d|mu|/da`` and d in the stated enclosures, which exclude 0; the criticality is d's sign.

    Formulation (docs/maps.md). q, p the eigenvectors of the multiplier ``lam = e^{i theta*}`` of A*
    (:func:`~symhopf.checker.theorems.eigenvectors`: ``<q, q> = 1``, ``<p, q> = 1``); ``solve(z, y)``
    encloses ``(z I - A*)^{-1} y`` for every A* of the ball. ``x_a = (I - A)^{-1} F_a`` (the branch slope,
    from ``F(x(a), a) = x(a)``); ``mu' = <p, D_aA q + B(q, x_a)>`` (first-order perturbation of a simple
    eigenvalue along the branch) and ``d|mu|/da = Re(conj(lam) mu')`` (as ``|mu| = 1``);
    ``h11 = (I - A)^{-1} B(q, qbar)``, ``h20 = (lam^2 I - A)^{-1} B(q, q)``,
    ``d = Re(conj(lam) [<p, C(q,q,qbar)> + 2 <p, B(q, h11)> + <p, B(qbar, h20)>]) / 2``.
    ``I - A`` and ``lam^2 I - A`` are invertible: 1 and lam^2 are not multipliers (item 2 and 3).
    Conclusion. Continuous functions evaluated in ball arithmetic over balls holding
    (A*, q, p, x*, a*, lam), so the true values lie in the computed balls.
    """
    q, qb, dot = eigenvectors(eig, k)
    one = acb(1)
    xa = solve(one, F.D(x, a, ["a"]))
    mu = dot([s + t for s, t in zip(F.D(x, a, ["a", q]), F.D(x, a, [q, xa]))])
    h11, h20 = solve(one, F.D(x, a, [q, qb])), solve(lam * lam, F.D(x, a, [q, q]))
    g = dot(F.D(x, a, [q, q, qb])) + 2 * dot(F.D(x, a, [q, h11])) + dot(F.D(x, a, [qb, h20]))
    lb = lam.conjugate()
    sign((lb * mu).real, p.mu, "transversality d|mu|/da")
    d = (lb * g).real / 2
    if p.criticality != ("supercritical" if sign(d, p.d, "NS coefficient d") < 0 else "subcritical"):
        raise Failed(f"criticality stated {p.criticality!r}, but d is {'negative' if d < 0 else 'positive'}")


def _unique(E: list, target: acb, other_than: int | None, what: str) -> int:
    hits = [j for j, e in enumerate(E) if j != other_than and e.overlaps(target)]
    if len(hits) != 1:
        raise Failed(f"{len(hits)} multiplier disc(s) meet {what} (need 1)")
    return hits[0]


def prove_ns_point(F: Field, p: NSPoint) -> str:
    """A point with start data. Krawczyk on ``G = (F(x, a) - x, Re/Im(A v - e^{i theta} v), <c, v> - 1)``
    (:func:`~symhopf.checker.theorems.krawczyk`) gives the unique (x*, a*, theta*, v*) in the box, in the
    balls K; then one verified diagonalisation of ``A = D_x F(K_x, K_a)`` (valid for A*): the multiplier
    ``e^{i theta*}`` (an eigenvalue of A*, as v* != 0) lies in a disc meeting ``e^{i K_theta}``; if only one
    disc meets it and one other meets ``e^{-i K_theta}``, both multipliers are simple (disjoint discs hold
    one eigenvalue each); the other discs give the other moduli; then items 3-5.
    Local uniqueness: G has one zero in the box; as 1 is not a multiplier, x* is the only fixed point near
    (x*, a*) (implicit function theorem)."""
    resonance(p.theta)
    x, a, t = krawczyk(F, p, map_=True)
    eig = diagonalise(F.D(x, a, ["I"]))
    lam = acb(t.cos(), t.sin())
    k = _unique(eig.E, lam, None, "e^{i theta}")
    kk = _unique(eig.E, lam.conjugate(), k, "e^{-i theta}")
    other_moduli(eig.E, (k, kk), arb(1), p)
    coefficients(F, x, a, lam, eig, k, lambda z, y: eig.solve(z, y, arb(0)), p)
    return "Neimark-Sacker: Krawczyk box, verified eigen-decomposition, resonance, d and d|mu|/da"


def prove_ns_family(F: Field, x0: list[Fraction], a_range: Pair, points: list[NSPoint]) -> list[str | Exception]:
    """Points of one constant branch x(a) = x0 of a map whose Jacobian there is linear in a, from ONE
    diagonalisation (the Elman net ``tanh(a W x)`` at x0 = 0: multipliers ``a lambda_j(W)``).

    Formulation. Let R be a ball holding the range and H one holding the hull of 0 and the range. If,
    exactly (zero-radius balls), ``F(x0, R) = x0``, ``D_x F(x0, 0) = 0`` and ``D_a^2 D_x F(x0, H) = 0``, then
    x0 is a fixed point for every a of the range and ``A(a) := D_x F(x0, a) = a M`` on it with
    ``M = D_a D_x F(x0, 0)`` (Taylor in a about 0 with zero remainder).
    Bounds. ``diagonalise(M)``: disjoint discs E_j, one simple eigenvalue lambda_j each.
    Conclusion. The multipliers at a are ``a lambda_j``; for the unique (k, s), s = +-1, with ``Im(s E_k) > 0``,
    ``s / |E_k|`` meeting the stated parameter and ``arg(s E_k)`` the stated theta: ``a* = s/|lambda_k|``,
    ``theta* = arg(s lambda_k)``, ``e^{+-i theta*} = a* lambda_k, a* conj(lambda_k)`` are simple, the other
    moduli are ``|lambda_j| / |lambda_k|`` (must exclude 1), ``(z I - a M)^{-1} = a^{-1} ((z/a) I - M)^{-1}``
    gives the solves of items 4-5. Local uniqueness: ``|mu_k(a)| = |a| |lambda_k|`` is strictly monotone, and
    x0 is the only fixed point near (x0, a*) (1 is not a multiplier).
    """
    n = F.n
    xb = [ball(t) for t in x0]
    if not all(t.is_exact() for t in xb):
        raise Failed("the stated fixed point is not a binary number")
    R, H = interval_ball(a_range), interval_ball((min(a_range[0], Fraction(0)), max(a_range[1], Fraction(0))))
    if not all((u - v).is_zero() for u, v in zip(F.D(xb, R, []), xb)):
        raise Failed("F(x0, a) = x0 on the whole range is not established exactly")
    A0, A2 = F.D(xb, arb(0), ["I"]), F.D(xb, H, ["a", "a", "I"])
    if not all(A0[i, j].is_zero() and A2[i, j].is_zero() for i in range(n) for j in range(n)):
        raise Failed("D_x F(x0, a) = a M (linear in a) is not established exactly: no family theorem applies")
    eig = diagonalise(F.D(xb, arb(0), ["a", "I"]))
    E = eig.E
    out: list[str | Exception] = []
    for p in points:
        try:
            resonance(p.theta)
            a_b, t_b = interval_ball(p.a), interval_ball(p.theta)
            ks = [(j, s) for j, e in enumerate(E) for s in (1, -1)
                  if (s * e).imag > 0 and (s / abs(e)).overlaps(a_b) and (s * e).arg().overlaps(t_b)]
            if len(ks) != 1:
                raise Failed(f"{len(ks)} multiplier(s) of the branch match the stated point (need 1)")
            k, s = ks[0]
            a, t = s / abs(E[k]), (s * E[k]).arg()
            inside(a, p.a, "parameter")
            inside(t, p.theta, "theta")
            kk = _unique(E, E[k].conjugate(), k, "the conjugate of the critical eigenvalue")
            other_moduli(E, (k, kk), abs(a), p)
            coefficients(F, xb, a, acb(t.cos(), t.sin()), eig, k,
                         lambda z, y: [s / a for s in eig.solve(z / a, y, arb(0))], p)
            out.append("Neimark-Sacker, constant branch: one verified eigen-decomposition of D_a D_x F, "
                       "resonance, d and d|mu|/da")
        except Exception as exc:  # noqa: BLE001  (a failed claim, reported with its reason)
            out.append(exc)
    return out
