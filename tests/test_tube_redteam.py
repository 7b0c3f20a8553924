"""Red-team cases for the moving-branch spectral Lemmas (proof/piece_spectrum.py): linear families
``Df(s) = A0 + s A1`` (s in [-h, h]) built so that a pair crosses iR twice, touches it, or crosses
near an end of [-h, h]; the ground truth (eigenvalues at 50 digits, mpmath) is computed in the test.
A Lemma that accepts such a family would be a false "complete"."""
import mpmath as mp
import numpy as np
import pytest
from flint import arb, arb_mat

from symhopf.proof.piece_spectrum import moving_discs_ok, moving_hopf_ok, piece_spectrum


def ball(M) -> arb_mat:
    return arb_mat([[arb(float(v)) for v in row] for row in np.asarray(M, float)])


def mean_value(A0, A1, h: float) -> arb_mat:
    """The ball holding A0 + s A1 for every s in [-h, h] (piece_spectrum's first-order form)."""
    n = len(A0)
    return arb_mat([[arb(float(A0[i][j])) + arb(0, h) * arb(float(A1[i][j])) for j in range(n)] for i in range(n)])


def pair_re(A0, A1, s: float) -> mp.mpf:
    """Re of the eigenvalue of A0 + s A1 nearest to +i (50 digits)."""
    with mp.workdps(50):
        M = mp.matrix([[mp.mpf(float(A0[i][j])) + mp.mpf(s) * mp.mpf(float(A1[i][j])) for j in range(len(A0))]
                       for i in range(len(A0))])
        ev = mp.eig(M, left=False, right=False)
        return mp.re(min(ev, key=lambda e: abs(e - 1j)))


def family(h: float, tiny: float, extra: float = -1.0):
    """Re mu(s) ~ delta + eps s + s^2 / 4 (pair +-i coupled to the eigenvalue ``extra``): vertex at
    s = -h / 2, minimum ~ -tiny, so two crossings near -h / 2 when tiny > 0 (a tangency at tiny = 0)."""
    eps = h / 4
    delta = eps * eps - tiny
    A0 = [[delta, -1, 0], [1, delta, 0], [0, 0, extra]]
    A1 = [[eps, 0, 1], [0, eps, 0], [1, 0, 0]]
    return A0, A1


@pytest.mark.parametrize("h", [1e-1, 1e-2, 1e-3, 1e-4, 1e-5])
@pytest.mark.parametrize("rel", [1e-1, 1e-3])
def test_pair_crossing_twice_on_a_piece_is_never_one_hopf_piece(h, rel):
    A0, A1 = family(h, rel * h * h / 16)
    vals = [pair_re(A0, A1, s) for s in (-h, -h / 2, 0.0)]
    assert vals[0] > 0 and vals[1] < 0 and vals[2] > 0          # ground truth: two crossings
    assert not moving_hopf_ok(ball(A0), ball(A1), h)
    got = piece_spectrum(mean_value(A0, A1, h), ball(A1))
    assert not (got.ok and got.pair is not None)
    assert not moving_discs_ok(ball(A0), ball(A1), h)
    got = piece_spectrum(mean_value(A0, A1, h), ball(A1))
    assert not (got.ok and got.pair is None)


@pytest.mark.parametrize("h", [1e-2, 1e-4])
def test_tangency_is_never_a_plain_piece(h):
    """tiny chosen by bisection (50 digits) so the pair's real part touches 0 within 1e-40."""
    eps = h / 4
    A1 = [[eps, 0, 1], [0, eps, 0], [1, 0, 0]]
    with mp.workdps(50):
        def minre(delta):
            A0 = [[delta, -1, 0], [1, delta, 0], [0, 0, -1]]
            return min(pair_re(A0, A1, s) for s in np.linspace(-h, h, 41))
        lo, hi = mp.mpf(0), mp.mpf(h) * h
        assert minre(lo) < 0 < minre(hi)
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if minre(mid) < 0 else (lo, mid)
    A0 = [[float(lo), -1, 0], [1, float(lo), 0], [0, 0, -1]]
    assert min(pair_re(A0, A1, s) for s in np.linspace(-h, h, 41)) <= 1e-12 * h * h
    assert not moving_discs_ok(ball(A0), ball(A1), h)
    got = piece_spectrum(mean_value(A0, A1, h), ball(A1))
    assert not (got.ok and got.pair is None)


@pytest.mark.parametrize("off", [1e-12, -1e-12])
def test_crossing_next_to_the_piece_end(off):
    """A pair crossing at s = h (1 +- 1e-12): inside [-h, h] it must not be plain; the Hopf form
    accepts at most this one crossing (Re mu' = 1 > 0)."""
    h = 1e-3
    c = h * (1 + off)
    A0 = [[-c, -1, 0.5], [1, -c, 0], [0, 0, -1]]       # upper block triangular: Re mu(s) = s - c exactly
    A1 = [[1, 0, 0.3], [0, 1, 0.7], [0, 0, 0]]
    inside = pair_re(A0, A1, h) >= 0
    assert inside == (off < 0)
    if inside:
        assert not moving_discs_ok(ball(A0), ball(A1), h)
        got = piece_spectrum(mean_value(A0, A1, h), ball(A1))
        assert not (got.ok and got.pair is None)


def test_two_pairs_crossing_near_one_parameter():
    """Pairs +-i and +-(1 + 1e-3) i cross at s = 0 and s = 1e-6: never one Hopf piece."""
    h = 1e-4
    w2 = 1 + 1e-3
    A0 = np.array([[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, -1e-6, -w2], [0, 0, w2, -1e-6]])
    A1 = np.eye(4) + 0.01 * np.ones((4, 4))
    with mp.workdps(50):
        M = lambda s: mp.matrix((A0 + s * A1).tolist())          # noqa: E731
        re_neg = sorted(mp.re(e) for e in mp.eig(M(-h), left=False, right=False))
        re_pos = sorted(mp.re(e) for e in mp.eig(M(h), left=False, right=False))
    assert all(v < 0 for v in re_neg) and all(v > 0 for v in re_pos)  # both pairs cross on [-h, h]
    assert not moving_hopf_ok(ball(A0), ball(A1), h)
    got = piece_spectrum(mean_value(A0, A1, h), ball(A1))
    assert not (got.ok and got.pair is not None)


def test_non_finite_disc_is_never_isolated():
    """Hardening from the red team: a NaN centre or radius must fail the isolation test, never pass the
    float prefilter as a far-away disc."""
    from symhopf.proof.piece_spectrum import touching_isolated
    assert touching_isolated([0.1 + 1j, 5 + 0j], [0.01, 0.01], [True, False])
    assert not touching_isolated([0.1 + 1j, complex(float("nan"), 0)], [0.01, 0.01], [True, False])
    assert not touching_isolated([0.1 + 1j, 0.1 + 1.001j], [0.01, float("nan")], [True, False])


def _stale_basis(n: int, seed: int, V0=None):
    """An Eigenbasis whose prediction is V0 perturbed (a basis carried from a far-away piece) or,
    without V0, a random invertible matrix."""
    from symhopf.proof.piece_spectrum import Eigenbasis
    rng = np.random.default_rng(seed)
    b = Eigenbasis()
    V = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)) if V0 is None else \
        V0 + 0.05 * rng.standard_normal((n, n))
    b.store(("run",), 0.0, V.astype(complex), 0.3 * rng.standard_normal((n, n)).astype(complex))
    return b


@pytest.mark.parametrize("h", [1e-2, 1e-4])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_predicted_basis_never_accepts_two_crossings(h, seed):
    """The eigenvector basis predicted from an earlier piece is only a preconditioner: with a stale
    or random prediction, a pair crossing twice is still neither plain nor one Hopf piece, and a
    plain far-from-iR family is still accepted (after the fresh eigendecomposition)."""
    A0, A1 = family(h, 1e-1 * h * h / 16)
    V0 = np.linalg.eig(np.array(A0, float))[1]
    for basis in (_stale_basis(3, seed), _stale_basis(3, seed, V0)):
        assert not moving_hopf_ok(ball(A0), ball(A1), h, basis, (("run",), 0.5 * h))
        assert not moving_discs_ok(ball(A0), ball(A1), h, basis, (("run",), 0.5 * h))
    far = [[0.5, -1, 0], [1, 0.5, 0], [0, 0, -1]]
    assert moving_discs_ok(ball(far), ball(A1), h, _stale_basis(3, seed), (("run",), h))


def test_off_axis_discs_agree_with_ball_arithmetic():
    """piece_spectrum._off_axis (float bounds) never calls a disc off iR that 200-bit arithmetic
    cannot separate from it at s = -h or s = h (centres 1 ulp from the boundary included)."""
    from flint import ctx
    from symhopf.proof.piece_spectrum import _off_axis
    from symhopf.runtime.npball import NBall
    rng = np.random.default_rng(7)
    n, h = 400, 1e-3
    b1 = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    rho = np.abs(rng.standard_normal(n)) * 1e-3
    a = rho + h * np.abs(b1.real) + rng.choice([-1, 1], n) * rng.choice([0.0, 1e-16, 1e-6, 1e-3], n)
    a[::7] = np.nextafter(a[::7], np.inf)
    a *= rng.choice([-1.0, 1.0], n)
    r0, r1 = np.abs(rng.standard_normal(n)) * 1e-12, np.abs(rng.standard_normal(n)) * 1e-12
    B0 = NBall(np.diag(a + 0.5j), np.diag(r0))
    B1 = NBall(np.diag(b1), np.diag(r1))
    got = _off_axis(B0, B1, h, rho)
    assert 0 < got.sum() < n
    with ctx.workprec(200):
        for p in np.nonzero(got)[0]:
            vals = [arb(float(a[p])) + arb(s) * arb(float(b1[p].real)) for s in (-h, h)]
            rad = arb(float(r0[p])) + arb(h) * arb(float(r1[p])) + arb(float(rho[p]))
            assert all(v > rad for v in vals) or all(v < -rad for v in vals)
