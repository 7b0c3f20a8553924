"""The plain-piece test as tube.py calls it (issue 17, n = 200 speed): one ``Eigenbasis`` carried between
pieces, the first-order form and then the second-order form at the same ``where`` (the second call takes the
stored V itself, ``Eigenbasis.predict`` at the stored t, and ``_similar_factory`` reuses that V's
preconditioner; ``V^-1 A0 V`` and ``V^-1 A1 V`` come from one stacked product). Adversarial families of
test_piece_spectrum_long: a crossing 1e-12 inside the piece's end, two crossings close together, a pair
on iR all along, each refused in the cached path too; 50-digit eigenvalues inside the discs computed in
the stored basis."""
import mpmath as mp
import numpy as np
import pytest
from flint import arb

from symhopf.proof.piece_spectrum import Eigenbasis, _moving, _similar_factory, moving_discs_ok
from symhopf.runtime.npball import NBall, nmul, scalar
from test_piece_spectrum_long import _family, _on_axis, _second_form

KEY = ("chart", 1, 0)


def _both_forms(mats, h: float, basis: Eigenbasis, t: float) -> tuple[bool, bool]:
    """(first-order form, second-order form) at one ``where``, in tube._plain_ok's order."""
    Ad = NBall(mats[1], 0.0) + nmul(NBall(mats[2], 0.0), scalar(arb(0, 2 * h)))   # d/ds Df on [-h, h]
    first = moving_discs_ok(NBall(mats[0], 0.0), Ad, h, basis, (KEY, t))
    A0t, A1 = _second_form(mats, h)
    return first, moving_discs_ok(A0t, A1, h, basis, (KEY, t))


def _warm(basis: Eigenbasis, extra) -> None:
    """A previous piece at t = 0 whose family is far from iR: its basis is stored for the next piece."""
    mats, _ = _family((-0.5, 0.0, 0.0), extra=extra)
    assert moving_discs_ok(NBall(mats[0], 0.0), NBall(mats[1], 0.0), 1e-3, basis, (KEY, 0.0))
    assert basis.predict(KEY, 0.0) is basis.V


@pytest.mark.parametrize("extra", [(-1.0, 2.0), (-1.0, 2.0, 0.5, -3.0, 4.0, -0.25, 1.5, -2.5, 3.5, -0.75)])
@pytest.mark.parametrize("case", ["inside_1e-12", "two_crossings", "on_axis"])
def test_cached_basis_still_refuses(case, extra):
    h = 1e-3
    alpha = {"inside_1e-12": (-(h - 1e-12), 1 - (h - 1e-12), 1.0), "two_crossings": (-1e-8, 0.0, 1.0),
             "on_axis": (0.0, 0.0, 0.0)}[case]
    mats, _ = _family(alpha, extra=extra)
    basis = Eigenbasis()
    _warm(basis, extra)
    for t in (1e-3, 1e-3):                        # a predicted basis, then the stored one (cache hit)
        assert _both_forms(mats, h, basis, t) == (False, False)


def test_cached_basis_accepts_and_is_true_outside():
    """The pair crosses 1e-12 beyond the piece's end: an acceptance in the cached path must be true."""
    h = 1e-3
    mats, eig = _family((-(h + 1e-12), 1 - (h + 1e-12), 1.0))
    basis = Eigenbasis()
    _warm(basis, (-1.0, 2.0))
    got = _both_forms(mats, h, basis, 2e-3)
    if any(got):
        assert not _on_axis(eig, h)


def test_fifty_digit_eigenvalues_in_discs_of_the_stored_basis():
    """The discs from the stored V (second call at the same t: the cached factory) hold every 50-digit
    eigenvalue of Df(s) along the piece, as do the discs from a fresh eigenbasis."""
    h = 2e-2
    mats, eig = _family((0.3, 1.0, -2.0), omega=1.5, extra=(-1.0, 2.0, 0.5))
    A0t, A1 = _second_form(mats, h)
    V = np.linalg.eig(A0t.mid)[1]
    assert _similar_factory(V) is _similar_factory(V)
    for mv in (_moving(A0t, A1, h, V), _moving(A0t, A1, h, V), _moving(A0t, A1, h)):
        discs_hold(mv, eig, h)


def discs_hold(mv, eig, h: float) -> None:
    """Every 50-digit eigenvalue of Df(s), s on a grid of [-h, h], lies in a moving disc of ``mv`` (centre
    ``m + s B1_pp``, radius ``R - h |B1_pp|``)."""
    assert mv is not None
    b1 = np.diag(mv.B1.mid)
    for sv in np.linspace(-h, h, 11):
        cs = mv.m + sv * b1
        rs = mv.R - h * np.abs(b1)
        for ev in eig(mp.mpf(float(sv))):
            assert any(abs(ev - mp.mpc(complex(c))) <= mp.mpf(float(r)) for c, r in zip(cs, rs)), (sv, ev)
