"""Red team 5h: piece_spectrum's stacked similarity transforms (``_similar_factory`` / ``_make_similar``: one
product ``[X1; ...; Xm] V``, one ``Y [T1, ..., Tm]``, the factory cached by V's identity) against 60-digit
``V^-1 X V`` at corners of the balls, for adversarial V; and the cache's identity key."""

import mpmath as mp
import numpy as np
import pytest

from symhopf.proof import piece_spectrum as ps
from symhopf.runtime.npball import NBall


def _mp(M):
    return mp.matrix([[mp.mpc(complex(v).real, complex(v).imag) for v in row] for row in M])


def _contains(B: NBall, exact, slack=0) -> bool:
    n, m = B.mid.shape
    for i in range(n):
        for j in range(m):
            c = complex(B.mid[i, j])
            if abs(exact[i, j] - mp.mpc(c.real, c.imag)) > mp.mpf(float(B.rad[i, j])):
                return False
    return True


def _bases(rng):
    n = 4
    yield "random complex", rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    W, _ = np.linalg.qr(rng.standard_normal((n, n)))
    yield "cond 1e9", (U * np.array([1, 1e-3, 1e-6, 1e-9])) @ W.T
    J = np.diag([1.0, 1.0 + 1e-7, -2.0, 3.0]) + np.diag([1.0, 0, 0], 1)     # nearly defective
    yield "nearly defective eigvecs", np.linalg.eig(J)[1]
    A = rng.standard_normal((n, n))
    A[0, 1], A[1, 0] = 5.0, -5.0
    yield "complex eigvecs of a real matrix", np.linalg.eig(A)[1]
    yield "huge/tiny columns", (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) * np.array([1e150, 1, 1e-150, 1e3])


@pytest.mark.parametrize("case", range(5))
def test_stacked_similar_contains_60_digit_corners(case):
    rng = np.random.default_rng(55 + case)
    name, V = list(_bases(np.random.default_rng(7)))[case]
    sim = ps._make_similar(V)
    if sim is None:
        pytest.skip(f"{name}: V not verified invertible (refusal is sound)")
    n = V.shape[0]
    Xs = [NBall(rng.standard_normal((n, n)) * 10.0 ** rng.integers(-3, 4),
                np.abs(rng.standard_normal((n, n))) * 10.0 ** rng.integers(-12, -2)) for _ in range(3)]
    out = sim(*Xs)
    assert len(out) == 3
    mp.mp.dps = 60
    Vm = _mp(V)
    Vi = Vm ** -1
    for X, B in zip(Xs, out):
        corners = [np.ones((n, n)), -np.ones((n, n))] + [rng.choice([-1.0, 1.0], (n, n)) for _ in range(4)]
        for sg in corners:
            Xc = mp.matrix([[mp.mpf(float(X.mid[i, j])) + int(sg[i, j]) * mp.mpf(float(X.rad[i, j]))
                             for j in range(n)] for i in range(n)])
            assert _contains(B, Vi * Xc * Vm), name


def test_stacked_equals_separate_calls():
    """Stacking m matrices in one product must give the same enclosures' containment as one at a time:
    every stacked ball contains the 60-digit image of its midpoint."""
    rng = np.random.default_rng(3)
    n = 5
    V = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    sim = ps._make_similar(V)
    Xs = [NBall(rng.standard_normal((n, n)) * s, 0.0) for s in (1e-8, 1.0, 1e8)]   # wildly different scales
    mp.mp.dps = 60
    Vm = _mp(V)
    Vi = Vm ** -1
    for X, B in zip(Xs, sim(*Xs)):
        assert _contains(B, Vi * _mp(X.mid) * Vm)
        assert float(B.rad.max()) <= 1e-10 * float(np.abs(B.mid).max())   # the small one is not swamped


def test_factory_key_new_array_is_never_stale():
    """A new array is never served a cached factory: the cache holds the keyed V, so its id is not reused."""
    rng = np.random.default_rng(1)
    n = 3
    X = NBall(rng.standard_normal((n, n)), 0.0)
    mp.mp.dps = 60
    for _ in range(50):
        V = rng.standard_normal((n, n))
        (B,) = ps._similar_factory(V)(X)
        assert _contains(B, _mp(V) ** -1 * _mp(X.mid) * _mp(V))
        del V


def test_factory_stale_after_in_place_mutation():
    """A V changed in place after a call (e.g. the array Eigenbasis.predict returns by reference) must not
    get the old V's factory: its balls hold V^-1 X V of the new V (red team r5h)."""
    rng = np.random.default_rng(2)
    n = 3
    X = NBall(rng.standard_normal((n, n)), 0.0)
    basis = ps.Eigenbasis()
    V0 = np.linalg.eig(rng.standard_normal((n, n)))[1]
    basis.store(("c",), 0.5, V0, np.zeros((n, n)))
    V = basis.predict(("c",), 0.5).W                # the stored array itself (the real basis W, h6big)
    ps._similar_factory(V)(X)
    V *= 2.0                                        # a caller scales "its" prediction
    V[0, 0] += 0.3
    (B,) = ps._similar_factory(V)(X)
    mp.mp.dps = 60
    assert _contains(B, _mp(V) ** -1 * _mp(X.mid) * _mp(V))


def test_badly_scaled_bases_contain_or_refuse():
    """V with rows/columns scaled by up to 1e+-160 (Y, T and their products near overflow/underflow), real and
    complex, X with radii down to 1e-300: every accepted V's balls hold the exact (700-digit) corner images;
    overflowing radii are inf, never a too-small finite radius."""
    rng = np.random.default_rng(0)
    acc = 0
    for trial in range(120):
        n = int(rng.integers(2, 6))
        V = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)) * rng.integers(0, 2)
        e = rng.integers(-160, 160, size=n) if trial % 3 == 0 else rng.integers(-20, 20, size=n)
        V = V * (10.0 ** e)[None, :]
        if trial % 5 == 0:
            V = V * (10.0 ** rng.integers(-150, 150, size=n))[:, None]
        with np.errstate(all="ignore"):
            sim = ps._make_similar(V)
            if sim is None:
                continue
            acc += 1
            X = NBall(rng.standard_normal((n, n)) * 10.0 ** rng.integers(-150, 150),
                      np.abs(rng.standard_normal((n, n))) * 10.0 ** rng.integers(-300, 0))
            (B,) = sim(X)
        with mp.workdps(700):
            Vm = _mp(V)
            Vi = Vm ** -1
            for sg in (np.ones((n, n)), -np.ones((n, n)), rng.choice([-1.0, 1.0], (n, n))):
                Xc = mp.matrix([[mp.mpf(float(X.mid[i, j])) + int(sg[i, j]) * mp.mpf(float(X.rad[i, j]))
                                 for j in range(n)] for i in range(n)])
                assert _contains(B, Vi * Xc * Vm), trial
    assert acc >= 5
