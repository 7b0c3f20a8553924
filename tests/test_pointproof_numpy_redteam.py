"""Red-team attacks on the 53-bit numpy ball path of the per-point Hopf proof (n >= NUMPY_N): existence
(Y, Z1, Z2 from numpy ball products, ``DG_nball``), spectrum (``_gershgorin_np``), Lyapunov (``_solve_nb``,
``_eigenvectors_np``, ``_shifted``) and the float Newton's early stop.

Ground truth: block systems whose Hopf point is known in closed form. The critical block
``x0' = a x0 - W x1 + c x0 r^2 + d x0 x2``, ``x1' = W x0 + a x1 + c x1 r^2 + d x1 x2`` (``r^2 = x0^2 + x1^2``),
``x2' = -x2 + r^2`` has its Hopf point at x = 0, a = 0, omega = W, with mu' = 1 and, with Kuznetsov's
normalisation (<q, q> = <p, q> = 1), ``l1 = 2 (c + d) / W`` (the x2 term enters through h11: on the centre
manifold x2 = r^2); the other coordinates are slaves (``x_k' = -lam_k x_k + ...`` driven by the block, never
feeding back), so they change the spectrum and the conditioning but none of these values. Other truths: mpmath
at 30-50 digits. Everything claimed must hold; degenerate systems (l1 = 0, mu' = 0, a double pair, a second
pair on the axis) must not be proved.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import acb, arb, arb_mat, ctx

from reference_systems import SympySystem
from symhopf.candidate import Candidate
from symhopf.proof import prove_candidate

N16 = 16


def _block_system(c="1", d="-1/2", W="2", n=N16, slaves=None, extra=(), a_term="a"):
    """The block system above; ``slaves(k)`` gives the right-hand side of x_k (k >= 3 + len(extra))."""
    rhs = [f"({a_term})*x0 - ({W})*x1 + ({c})*x0*(x0**2+x1**2) + ({d})*x0*x2",
           f"({W})*x0 + ({a_term})*x1 + ({c})*x1*(x0**2+x1**2) + ({d})*x1*x2",
           "-x2 + x0**2 + x1**2", *extra]
    for k in range(len(rhs), n):
        rhs.append(slaves(k) if slaves else f"-{k}*x{k} + x{k - 1}*x0")
    return SympySystem(rhs, rng=(-1, 1))


def _cand(n, W=2.0, a=0.01, x=1e-3):
    q = np.zeros(n, complex)
    q[0], q[1] = 1, -1j
    return Candidate(np.full(n, x), a, W * 1.005, q)


def _flint_path(monkeypatch):
    """Route every stage through the python-flint code (the previous path) on the same inputs."""
    import symhopf.proof.existence as E
    import symhopf.proof.lyapunov as L
    import symhopf.proof.spectrum as S
    for mod in (E, L, S):
        monkeypatch.setattr(mod, "NUMPY_N", 10 ** 9)


def _contains(b: arb, value) -> bool:
    """b contains the exact rational value (Fraction): compared against exact end points."""
    return _exact_lo(b) <= Fraction(value) <= _exact_hi(b)


def _exact_lo(b: arb) -> Fraction:
    m, e = b.lower().mid().man_exp()
    return Fraction(int(m)) * Fraction(2) ** int(e)


def _exact_hi(b: arb) -> Fraction:
    m, e = b.upper().mid().man_exp()
    return Fraction(int(m)) * Fraction(2) ** int(e)


def _check_truth(r, l1, W=Fraction(2), mu=Fraction(1), n=N16):
    assert _contains(r.parameter, 0) and _contains(r.omega, W)
    assert all(_contains(t, 0) for t in r.x[:n])
    assert _contains(r.first_lyapunov, l1) and _contains(r.transversality, mu)
    assert r.criticality == ("supercritical" if l1 < 0 else "subcritical")


# ------------------------------------------------------------- closed-form Hopf points, numpy vs flint
@pytest.mark.parametrize("c,d,W,n", [("1", "-1/2", "2", 16), ("-3", "1", "5", 16), ("1/4", "1/4", "1", 40)])
def test_block_system_enclosures_hold_the_closed_form_values(c, d, W, n, monkeypatch):
    s = _block_system(c, d, W, n)
    l1 = 2 * (Fraction(c) + Fraction(d)) / Fraction(W)
    fast = prove_candidate(s, _cand(n, float(Fraction(W))), max_prec=53)
    assert fast.status == "proved", fast.reason
    _check_truth(fast, l1, Fraction(W), n=n)
    _flint_path(monkeypatch)
    slow = prove_candidate(s, _cand(n, float(Fraction(W))), max_prec=53)
    assert slow.status == "proved"
    assert fast.first_lyapunov.overlaps(slow.first_lyapunov) and fast.transversality.overlaps(slow.transversality)
    assert fast.first_lyapunov.rad() <= 100 * slow.first_lyapunov.rad() + 1e-300


# ------------------------------------------------------------- l1 near 0 and degenerate systems
@pytest.mark.parametrize("d,l1", [("-1", Fraction(0)), ("-1 + 2**(-60)", Fraction(1, 2 ** 60))])
def test_l1_zero_or_below_resolution_is_not_proved(d, l1):
    """l1 = 0 exactly (c + d = 0: the cubic term cancels the h11 feedback), or l1 = 2^-60 far below the
    enclosure's width: not proved (the l1 enclosure holds the truth and so 0)."""
    r = prove_candidate(_block_system("1", d), _cand(N16), max_prec=53)
    assert r.status == "not_proved" and "l1" in r.reason
    assert _contains(r.first_lyapunov, l1)


@pytest.mark.parametrize("d,sign", [("-1 + 2**(-40)", 1), ("-1 - 2**(-38)", -1)])
def test_l1_near_zero_sign_claimed_only_when_true(d, sign, monkeypatch):
    """l1 = +-2^-40.. (about 1e-12, near the enclosure width): if proved, the enclosure holds the exact value
    and the criticality is right; the python-flint path agrees."""
    eps = Fraction(1, 2 ** 40) if sign > 0 else -Fraction(1, 2 ** 38)
    l1 = 2 * eps / 2
    r = prove_candidate(_block_system("1", d), _cand(N16), max_prec=53)
    assert _contains(r.first_lyapunov, l1)
    if r.status == "proved":
        _check_truth(r, l1)
    _flint_path(monkeypatch)
    slow = prove_candidate(_block_system("1", d), _cand(N16), max_prec=53)
    assert _contains(slow.first_lyapunov, l1) and slow.first_lyapunov.overlaps(r.first_lyapunov)


@pytest.mark.parametrize("a_term", ["a**2", "a**3", "a**3 + a**2"])
def test_transversality_zero_is_not_proved(a_term):
    """mu' = 0 exactly (the pair touches the axis without crossing): never proved, at any precision."""
    r = prove_candidate(_block_system(a_term=a_term), _cand(N16), max_prec=106)
    assert r.status == "not_proved"


@pytest.mark.parametrize("extra", [("-2*x4", "2*x3"), ("-2*x4 + x0", "2*x3 + x1"),
                                   ("-(2 + 10**(-10))*x4", "(2 + 10**(-10))*x3")])
def test_second_pair_on_the_axis_is_not_proved(extra):
    """A double pair +-2i (semisimple, or a Jordan block with the critical one), or a second pair
    +-(2 + 1e-10) i exactly on the axis: not a (generic) Hopf point; never proved."""
    r = prove_candidate(_block_system(extra=extra), _cand(N16), max_prec=106)
    assert r.status == "not_proved"


@pytest.mark.parametrize("eps,eps_value", [("-10**(-10)", -Fraction(1, 10 ** 10)), ("10**(-10)", Fraction(1, 10 ** 10))])
def test_second_pair_1e10_apart_claims_only_the_truth(eps, eps_value, monkeypatch):
    """A second pair eps +- (2 + 1e-10) i, eps = -+1e-10: if proved, omega, l1, mu' are the block's and
    other_eigenvalues_real_part_max holds eps (the largest other real part)."""
    extra = (f"({eps})*x3 - (2+10**(-10))*x4", f"(2+10**(-10))*x3 + ({eps})*x4")
    s = _block_system(extra=extra)
    r = prove_candidate(s, _cand(N16), max_prec=53)
    if r.status == "proved":
        _check_truth(r, Fraction(1, 2))
        assert _contains(r.other_eigenvalues_real_part_max, eps_value)
    _flint_path(monkeypatch)
    slow = prove_candidate(s, _cand(N16), max_prec=53)
    assert slow.status == r.status


def test_stiff_and_small_scale_slaves_claim_only_the_truth():
    """Slave rates 1e-5 .. 1e7 (stiff): proved with the closed-form values; other real parts max = -1e-5."""
    r = prove_candidate(_block_system(slaves=lambda k: f"-(10**({k}-8))*x{k} + x{k - 1}*x0"), _cand(N16), max_prec=53)
    assert r.status == "proved", r.reason
    _check_truth(r, Fraction(1, 2))
    assert _contains(r.other_eigenvalues_real_part_max, -Fraction(1, 10 ** 5))


@pytest.mark.parametrize("W,c,x,Wv,l1", [("10**6", "10**6", 1e-3, Fraction(10 ** 6), Fraction(2 * 10 ** 6 - 1, 10 ** 6)),
                                        ("10**(-6)", "1", 1e-9, Fraction(1, 10 ** 6), Fraction(10 ** 6))])
def test_extreme_frequencies_claim_only_the_truth(W, c, x, Wv, l1):
    """omega = 1e6 (c = 1e6: l1 = 2 (1e6 - 1/2) / 1e6) and omega = 1e-6 (l1 = 1e6)."""
    r = prove_candidate(_block_system(c=c, W=W), _cand(N16, float(Wv), a=x, x=x), max_prec=53)
    assert r.status == "proved", r.reason
    _check_truth(r, l1, Wv)


def test_ill_conditioned_slaves_claim_only_the_truth(monkeypatch):
    """Slaves with a non-normal chain (x_k' = -(1 + k/100) x_k + 30 x_(k+1)): eigenvector matrix with
    condition ~1e10; whatever is proved holds the closed-form values, and the flint path proves as much."""
    def slave(k):
        nxt = f" + 30*x{k + 1}" if k < N16 - 1 else ""
        return f"-(1 + {k}/100)*x{k}{nxt} + x{k - 1}*x0"
    s = _block_system(slaves=slave)
    r = prove_candidate(s, _cand(N16), max_prec=53)
    if r.status == "proved":
        _check_truth(r, Fraction(1, 2))
        assert _contains(r.other_eigenvalues_real_part_max, -Fraction(103, 100))
    _flint_path(monkeypatch)
    slow = prove_candidate(s, _cand(N16), max_prec=53)
    assert slow.status == r.status or r.status == "not_proved"


def test_nan_in_the_ball_evaluation_is_not_proved():
    """sqrt(x5 + 1e-20): finite at the float point x5 = 0, nan on every ball around it wider than 1e-20."""
    s = _block_system(slaves=lambda k: f"-{k}*x{k} + x{k - 1}*x0" + (" + x5*sqrt(x5 + 10**(-20))" if k == 5 else ""))
    with np.errstate(invalid="ignore"):
        r = prove_candidate(s, _cand(N16), max_prec=53)
    assert r.status == "not_proved"
