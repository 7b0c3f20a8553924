"""Red team 5h: Lemma H2's derivative ball in piece_spectrum.moving_hopf_ok (and the plain second-order
Lemma moving_discs_ok) on exact quadratic families ``Df(s) = M0 + c I + s M1 + s^2 M2`` whose curvature
comes from a non-normal, non-commuting M2 (the pair's eigenvectors rotate along the piece): the balls are
exact (A0 = M0 + c I + [0, h^2] M2 holds g(0) + s^2 g''/2, A1 = M1 = g'(0), Ad = M1 + 2 [-h, h] M2 holds g'
on the piece). Ground truth: 50-digit eigenvalues of Df(s) (mpmath)."""
import mpmath as mp
import numpy as np
import pytest
from flint import arb, arb_mat, ctx

from symhopf.proof.piece_spectrum import moving_discs_ok, moving_hopf_ok

H = 1e-3


def _balls(M0, c, M1, M2, h=H):
    with ctx.workprec(200):
        n = len(M0)
        m0 = arb_mat([[float(v) for v in r] for r in M0]) + arb_mat([[float(c) if i == j else 0 for j in range(n)] for i in range(n)])
        m1 = arb_mat([[float(v) for v in r] for r in M1])
        m2 = arb_mat([[float(v) for v in r] for r in M2])
        A0 = m0 + m2 * arb(0).union(arb(h) * arb(h))
        Ad = m1 + m2 * (2 * arb(0, h))
    return A0, m1, Ad


def _Df(M0, c, M1, M2, s):
    n = len(M0)
    return mp.matrix([[mp.mpf(float(M0[i][j])) + (mp.mpf(float(c)) if i == j else 0) + s * mp.mpf(float(M1[i][j]))
                       + s * s * mp.mpf(float(M2[i][j])) for j in range(n)] for i in range(n)])


def _re_mu(fam, s):
    ev = mp.eig(_Df(*fam, s), left=False, right=False)
    return max(ev, key=lambda z: mp.im(z)).real


def _family(rng, w=1.0, r1=0.1, m2=1e3):
    Q = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    Qi = np.linalg.inv(Q)
    M0 = Q @ np.array([[0, -w, 0], [w, 0, 0], [0, 0, -2.0]]) @ Qi
    M1 = Q @ np.diag([r1, r1, 0.3]) @ Qi + 0.05 * rng.standard_normal((3, 3))
    M2 = m2 * rng.standard_normal((3, 3))
    return M0, M1, M2


def _phi(fam0, s):
    M0, M1, M2 = fam0
    return _re_mu((M0, 0, M1, M2), s)


def _double_root_family(seed):
    """A family whose Re mu(s) = c + phi(s) has its minimum/maximum s* inside the piece, or None."""
    mp.mp.dps = 50
    rng = np.random.default_rng(seed)
    fam0 = _family(rng)
    try:
        ss = mp.findroot(lambda s: mp.diff(lambda t: _phi(fam0, t), s), mp.mpf(0))
    except (ValueError, ZeroDivisionError):
        return None
    if not abs(ss) < 0.7 * H:
        return None
    return fam0, ss, _phi(fam0, ss), mp.diff(lambda t: _phi(fam0, t), ss, 2)





@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("shape", ["two crossings 1e-9 apart", "tangential"])
def test_rotating_eigenvectors_two_crossings_refused(seed, shape):
    got = _double_root_family(seed)
    if got is None:
        pytest.skip("no interior extremum of Re mu for this seed")
    (M0, M1, M2), ss, ph, d2 = got
    delta = mp.mpf("5e-10")
    c = {"two crossings 1e-9 apart": -ph - d2 * delta ** 2 / 2, "tangential": -ph}[shape]
    # ground truth at 50 digits: two sign changes / a double zero / an extremum at ~0 near s*
    c = float(c)              # the balls take a double: nudge it so that Re mu(s*) has the sign of -phi''
    while (c + ph) * d2 >= 0:
        c = float(np.nextafter(c, -np.inf if d2 > 0 else np.inf))
    fam = (M0, c, M1, M2)
    vals = [_re_mu(fam, ss + k * delta * 2) for k in (-1, 0, 1)]
    if shape == "two crossings 1e-9 apart":
        assert vals[0] * vals[1] < 0 and vals[2] * vals[1] < 0
    else:                     # a double zero up to the last bit of c: two crossings ~1e-11 apart
        assert vals[1] * d2 < 0 and abs(vals[1]) < mp.mpf(10) ** -18
    A0, A1, Ad = _balls(M0, c, M1, M2)
    assert moving_hopf_ok(A0, A1, H)      # the attack bites: g'(0) alone would accept, only Ad can refuse
    assert not moving_hopf_ok(A0, A1, H, Ad=Ad), (shape, seed)
    assert not moving_discs_ok(A0, A1, H), (shape, seed)


def test_random_quadratic_families_accepts_are_true():
    """Random non-normal families with a crossing placed anywhere in [-1.3 h, 1.3 h] and curvature up to
    ~10x the slope over the piece: whenever the Hopf form accepts, Re mu is strictly monotone on a 41-point
    50-digit grid of the piece; whenever the plain form accepts, no eigenvalue's real part changes sign."""
    mp.mp.dps = 50
    rng = np.random.default_rng(2024)
    hopf_acc = plain_acc = 0
    for trial in range(120):
        M0, M1, M2 = _family(rng, r1=float(rng.uniform(0.05, 2)), m2=float(10 ** rng.uniform(0, 4)))
        s0 = rng.uniform(-1.3, 1.3) * H
        c = -float(_phi((M0, M1, M2), mp.mpf(s0)))
        fam = (M0, c, M1, M2)
        A0, A1, Ad = _balls(M0, c, M1, M2)
        hop, pla = moving_hopf_ok(A0, A1, H, Ad=Ad), moving_discs_ok(A0, A1, H)
        if not (hop or pla):
            continue
        grid = [mp.mpf(-H) + k * mp.mpf(2 * H) / 40 for k in range(41)]
        re = [_re_mu(fam, s) for s in grid]
        if hop:
            hopf_acc += 1
            d = [b - a for a, b in zip(re, re[1:])]
            assert all(x > 0 for x in d) or all(x < 0 for x in d), (trial, s0)
        if pla:
            plain_acc += 1
            assert all(x > 0 for x in re) or all(x < 0 for x in re), (trial, s0)
    assert hopf_acc >= 10          # the sweep exercises acceptances, not only refusals
