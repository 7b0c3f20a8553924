"""Unit tests of the proof stages: existence, spectrum, lyapunov, NaN handling."""
from __future__ import annotations

import numpy as np
from flint import acb, arb, arb_mat, ctx

from reference_systems import SympySystem
from symhopf.candidate import Candidate
from symhopf.proof import prove_candidate
from symhopf.proof.existence import op_norm_upper, prove_existence
from symhopf.proof.lyapunov import lyapunov
from symhopf.proof.newton import newton, phase_vector
from symhopf.proof.spectrum import prove_spectrum

BRUSSELATOR = ["1 - (a + 1)*x0 + x0**2*x1", "a*x0 - x0**2*x1"]
A_SQUARED = ["a**2*x0 - x1 - x0*(x0**2 + x1**2)", "x0 + a**2*x1 - x1*(x0**2 + x1**2)"]


def _brusselator_candidate(system):
    V = np.linalg.eig(system.flt.Df(np.array([1.0, 2.0]), 2.0))[1][:, 0]
    return Candidate(np.array([1.01, 1.99]), 2.01, 1.01, V)


def test_op_norm_is_an_upper_bound():
    M = arb_mat([[arb(1, 0.5), -2], [arb(0.25), arb(-3, 1)]])
    assert op_norm_upper(M) >= 4.25 and op_norm_upper(M) <= 4.25 + 1e-8   # radii are 30-bit mags


def test_existence_box_contains_solution_and_bounds_reported():
    system = SympySystem(BRUSSELATOR)
    nr = newton(system, _brusselator_candidate(system))
    ex = prove_existence(system, nr.c, nr.X, 53)
    assert ex.success and ex.radius < 1e-13 and ex.uniqueness_radius >= ex.radius
    assert ex.Y >= 0 and ex.Z1 < 1 and ex.Z2 >= 0
    assert ex.Y + (ex.Z1 + ex.Z2 * ex.radius - 1) * ex.radius < 0
    assert ex.box[2].contains(2) and ex.box[3].contains(1) and ex.box[0].contains(1)


def test_existence_fails_gracefully_far_from_a_zero():
    system = SympySystem(BRUSSELATOR)
    c = phase_vector(np.array([1.0, 1j]))
    X = [arb(t) for t in [1.3, 1.7, 2.4, 0.8, 1.0, 0.0, 0.0, 1.0]]
    ex = prove_existence(system, c, X, 53)
    assert not ex.success and ex.reason.startswith("existence")


def _ball_matrix(rows, rad=1e-10):
    return arb_mat([[arb(v, rad) for v in row] for row in rows])


def test_spectrum_isolates_pair_and_bounds_other_real_parts():
    A = _ball_matrix([[0, -2, 0, 0], [2, 0, 0, 0], [0, 0, -1, 1], [0, 0, 0, -3]])
    res = prove_spectrum(A, arb(2, 1e-9), 53)
    assert res.success
    assert res.pair[0].imag.contains(2) and res.pair[1].imag.contains(-2)
    assert res.other_max_real.contains(-1) and res.other_max_real.upper() < -0.99
    two = prove_spectrum(_ball_matrix([[0, -2], [2, 0]]), arb(2, 1e-9), 53)
    assert two.success and two.other_max_real is None


def test_spectrum_rejects_eigenvalue_on_axis_and_bad_omega():
    A = _ball_matrix([[0, -2, 0], [2, 0, 0], [0, 0, 0]])
    assert "imaginary axis" in prove_spectrum(A, arb(2, 1e-9), 53).reason
    B = _ball_matrix([[0, -2, 0, 0], [2, 0, 0, 0], [0, 0, 0, -2], [0, 0, 2, -1e-12]])
    assert not prove_spectrum(B, arb(2, 1e-9), 53).success          # a second pair near +-2i
    assert not prove_spectrum(_ball_matrix([[0, -2], [2, 0]]), arb(0, 1), 53).success


def test_lyapunov_reports_zero_transversality():
    system = SympySystem(A_SQUARED)
    box = [arb(0), arb(0), arb(0), arb(1), arb(1), arb(0), arb(0), arb(-1)]  # v = (1, -i), A v = i v
    res = lyapunov(system, box, 53)
    assert not res.success and res.reason == "transversality mu' enclosure contains 0"
    assert res.mu_prime.contains(0) and res.l1 < 0                     # l1 = -1 here


def test_lyapunov_nan_box_is_not_proved():
    system = SympySystem(BRUSSELATOR)
    with ctx.workprec(53):
        box = [arb("1 +/- inf"), arb(2), arb(2), arb(1), arb(1), arb(0), arb(0), arb(-1)]
    res = lyapunov(system, box, 53)
    assert not res.success and res.reason


class _NanC:
    """Wraps a system; its ball C returns NaN (a broken evaluator must never give 'proved')."""

    def __init__(self, system):
        self.inner, self.n, self.flt, self.model = system, system.n, system.flt, system.model

    def ball(self, prec):
        inner = self.inner.ball(prec)

        class Ball:
            def __getattr__(self, name):
                return getattr(inner, name)

            def C(self, x, a, u, v, w):
                out = inner.C(x, a, u, v, w)
                return out * arb("nan")

        return Ball()


def test_nan_anywhere_is_not_proved():
    system = SympySystem(BRUSSELATOR)
    assert prove_candidate(system, _brusselator_candidate(system)).proved
    res = prove_candidate(_NanC(system), _brusselator_candidate(system))
    assert res.status == "not_proved" and "NaN" in res.reason


def test_newton_stops_at_rounding_noise_and_still_converges_from_afar(monkeypatch):
    """Newton stops once its steps are rounding noise (a step below 1e-12 (1 + |X|) that does not halve the
    one before) instead of running maxiter = 50 noise steps (the RG-flow model's candidates: steps ~1e-13
    for ever); from a start 1e-2 off it still takes the quadratic steps and ends at the zero (Brusselator:
    x = (1, 2), a = 2, w = 1)."""
    import pathlib

    import symhopf.proof.newton as nw
    from symhopf.model import Model
    from symhopf.search import find_candidates
    from symhopf.system import System
    system = SympySystem(BRUSSELATOR)
    steps = []
    solve = np.linalg.solve

    def counting(A, b):
        steps.append(float(np.max(np.abs(solve(A, b)))))
        return solve(A, b)
    monkeypatch.setattr(nw.np.linalg, "solve", counting)
    far = newton(system, _brusselator_candidate(system))
    assert far.converged and len(steps) < 15 and steps[0] > 1e-3
    assert np.allclose([float(t) for t in far.X[:4]], [1, 2, 2, 1], rtol=0, atol=1e-14)
    rg = System.from_model(Model.from_toml(pathlib.Path(__file__).resolve().parent.parent / "examples"
                                           / "rgflows_matcont.toml"))
    for cand in find_candidates(rg).candidates:
        steps.clear()
        res = newton(rg, cand)
        assert res.converged and len(steps) <= 3 and res.residual < 1e-12
        assert np.allclose([float(t) for t in res.X[:rg.n + 2]], [*cand.x, cand.a, cand.omega], rtol=1e-12, atol=1e-13)


def _net16_point():
    """A 16-neuron leaky tanh net without bias (numpy seed 3) and Newton's point at its first Hopf candidate."""
    from symhopf.model import Model
    from symhopf.search import find_candidates
    from symhopf.system import System
    W = 2.0 * np.random.default_rng(3).standard_normal((16, 16)) / 4
    ev = np.linalg.eigvals(W)
    s = System.from_model(Model.rnn("leaky", weights=W, parameter="alpha",
                                    range=[round(1 - ev.real.max() - 0.5, 3), round(1 - ev.real.min() + 0.5, 3)]))
    cand = find_candidates(s).candidates[0]
    return s, newton(s, cand)


def test_existence_numpy_bounds_agree_with_arb_and_bound_the_true_norm(monkeypatch):
    """n >= NUMPY_N at 53 bits: Y, Z1, Z2 from numpy ball products. The same theorem holds: Y and Z2 agree with
    python-flint's to 1e-6, the radii agree, and Z1 bounds |I - A DG(x̄)| computed at 256 bits (its lower end)."""
    import symhopf.proof.existence as E
    from symhopf.proof.extended import DG_ball
    s, nr = _net16_point()
    assert s.n >= E.NUMPY_N
    fast = E.prove_existence(s, nr.c, nr.X, 53)
    monkeypatch.setattr(E, "NUMPY_N", 10 ** 9)
    slow = E.prove_existence(s, nr.c, nr.X, 53)
    assert fast.success and slow.success
    for a, b in ((fast.Y, slow.Y), (fast.Z2, slow.Z2), (fast.radius, slow.radius)):
        assert abs(float(a) - float(b)) <= 1e-6 * float(b)
    assert fast.Z1 < 1e-6 and fast.uniqueness_radius >= slow.uniqueness_radius / 1000
    N = len(nr.X)
    from symhopf.proof.extended import DG_nball
    from symhopf.runtime.npball import as_nball
    with ctx.workprec(53):
        nbl = DG_nball(s.ball(53), nr.c, nr.X)
        ref = as_nball(DG_ball(s.ball(53), nr.c, nr.X))
    assert np.array_equal(nbl.mid, ref.mid) and np.array_equal(nbl.rad, ref.rad)      # DG_nball: the same balls
    nb = E._NumpyBounds(nbl)
    with ctx.workprec(256):
        A = arb_mat(nb.A.mid.tolist())
        M = arb_mat([[1 if i == j else 0 for j in range(N)] for i in range(N)]) - A * DG_ball(s.ball(256), nr.c, nr.X)
        true_low = max(sum(abs(float(M[i, j].mid())) - float(M[i, j].rad()) for j in range(N)) for i in range(N))
    assert float(fast.Z1) >= true_low > 0


def test_op_norm_upper_np_bounds_the_exact_row_sums():
    from fractions import Fraction

    from symhopf.proof.existence import op_norm_upper_np
    from symhopf.runtime.npball import NBall
    rng = np.random.default_rng(9)
    for shape in ((5, 7), (40, 40), (3, 1)):
        mid = rng.standard_normal(shape) * 10.0 ** rng.integers(-200, 200, shape) + 1j * rng.standard_normal(shape)
        rad = np.abs(rng.standard_normal(shape)) * 1e-3
        got = op_norm_upper_np(NBall(mid, rad))
        exact = max(sum(abs(Fraction(z.real)) + abs(Fraction(z.imag)) + Fraction(r) for z, r in zip(mr, rr))
                    for mr, rr in zip(mid, rad))
        assert Fraction(float(got)) >= exact and float(got) <= float(exact) * (1 + 1e-12)
    assert not op_norm_upper_np(NBall(np.array([[1.0, np.nan]]), np.zeros((1, 2)))).is_finite()


def test_existence_numpy_z1_keeps_the_radii_of_DG():
    """DG = I +- 0.6 entrywise (N = 4): every A leaves |I - A DG| >= 0.6 N > 1 for some DG in the ball; the numpy
    Z1 must see it (it would not if the radii of DG were dropped: mid DG = I, A = I, I - A mid DG = 0)."""
    from symhopf.proof.existence import _NumpyBounds
    from symhopf.runtime.npball import as_nball
    DG = arb_mat([[arb(1 if i == j else 0, 0.6) for j in range(4)] for i in range(4)])
    nb = _NumpyBounds(as_nball(DG))
    assert np.array_equal(nb.A.mid, np.eye(4))
    assert nb.z1() >= 2.4


def test_spectrum_numpy_discs_agree_with_arb(monkeypatch):
    """n >= NUMPY_N at 53 bits: the Gershgorin boxes from numpy ball products prove what the python-flint ones
    prove on a 16-neuron net's Hopf point, with overlapping pair boxes and other_max_real."""
    import symhopf.proof.spectrum as S
    s, nr = _net16_point()
    n = s.n
    ex = prove_existence(s, nr.c, nr.X, 53)
    with ctx.workprec(53):
        A = s.ball(53).Df(arb_mat([[t] for t in ex.box[:n]]), ex.box[n])
    fast = prove_spectrum(A, ex.box[n + 1], 53)
    monkeypatch.setattr(S, "NUMPY_N", 10 ** 9)
    slow = prove_spectrum(A, ex.box[n + 1], 53)
    assert fast.success and slow.success
    assert all(f.overlaps(g) for f, g in zip(fast.pair, slow.pair))
    assert fast.other_max_real.overlaps(slow.other_max_real)


def test_spectrum_numpy_boxes_hold_the_eigenvalues_of_every_matrix_in_the_ball():
    """A = diag(1, ..., 20) + 0.3 i-rotations, radius 0.05 entrywise: the eigenvalues (mpmath, 30 digits) of
    matrices at corners of the ball lie in the union of the numpy boxes, and an isolated box holds exactly
    one eigenvalue of each."""
    import mpmath

    from symhopf.proof.spectrum import _gershgorin_np
    rng = np.random.default_rng(4)
    mid = np.diag(np.arange(1.0, 21.0)) + 0.3 * rng.standard_normal((20, 20))
    A = arb_mat([[arb(v, 0.05) for v in row] for row in mid])
    boxes = _gershgorin_np(A)
    assert boxes is not None and len(boxes) == 20
    for trial in range(3):
        corner = mid + 0.05 * rng.choice([-1.0, 1.0], (20, 20))
        with mpmath.workdps(30):
            ev = mpmath.eig(mpmath.matrix(corner.tolist()), left=False, right=False)
        pts = [acb(arb(mpmath.nstr(mpmath.re(lam), 25)), arb(mpmath.nstr(mpmath.im(lam), 25))) for lam in ev]
        assert all(any(b.contains(z) for b in boxes) for z in pts)
        for i, b in enumerate(boxes):
            if not any(b.overlaps(c) for j, c in enumerate(boxes) if j != i):
                assert sum(b.contains(z) for z in pts) == 1


def test_spectrum_numpy_defective_block_claims_only_the_truth():
    """+-2i and a defective Jordan block of -1 (18 x 18; float eigenvectors numerically parallel, R^-1 huge):
    whatever is claimed is true (the pair boxes hold +-2i, the other real parts hold -1); with the block's
    eigenvalue 0 instead, nothing is proved."""
    def block(lam: float) -> arb_mat:
        J = np.zeros((20, 20))
        J[0, 1], J[1, 0] = -2.0, 2.0
        J[2:, 2:] = lam * np.eye(18) + np.diag(np.ones(17), 1)
        return arb_mat([[arb(v) for v in row] for row in J])
    res = prove_spectrum(block(-1.0), arb(2, 1e-12), 53)
    if res.success:
        assert res.pair[0].contains(acb(0, 2)) and res.pair[1].contains(acb(0, -2))
        assert res.other_max_real.contains(-1)
    assert not prove_spectrum(block(0.0), arb(2, 1e-12), 53).success


def test_lyapunov_numpy_solves_agree_with_arb(monkeypatch):
    """n >= NUMPY_N at 53 bits: l1 and mu' from numpy ball solves overlap python-flint's, with radii of the
    same order, on a 16-neuron net's Hopf point."""
    import symhopf.proof.lyapunov as L
    s, nr = _net16_point()
    ex = prove_existence(s, nr.c, nr.X, 53)
    fast = lyapunov(s, ex.box, 53)
    monkeypatch.setattr(L, "NUMPY_N", 10 ** 9)
    slow = lyapunov(s, ex.box, 53)
    assert fast.success and slow.success
    assert fast.l1.overlaps(slow.l1) and fast.mu_prime.overlaps(slow.mu_prime)
    assert fast.l1.rad() <= 10 * slow.l1.rad() and fast.mu_prime.rad() <= 10 * slow.mu_prime.rad()
    assert all(fast.p[i, 0].overlaps(slow.p[i, 0]) for i in range(s.n))


def test_solve_nb_holds_the_solutions_at_corners_and_refuses_singular_balls():
    """_solve_nb (complex D and r with radii): D'^-1 r' at corners of the balls (mpmath, 30 digits) lies in the
    result; a ball holding a singular matrix gives None."""
    import mpmath

    from symhopf.proof.lyapunov import _solve_nb
    from symhopf.runtime.npball import NBall
    rng = np.random.default_rng(12)
    n = 20
    Dm = np.eye(n) * 4 + rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    rm = rng.standard_normal((n, 1)) + 1j * rng.standard_normal((n, 1))
    z = _solve_nb(NBall(Dm, np.full((n, n), 1e-3)), NBall(rm, np.full((n, 1), 1e-3)))
    assert z is not None
    for _ in range(2):
        Dc = Dm + 0.999e-3 * rng.choice([-1, 1], (n, n)) / np.sqrt(2) * (1 + 1j)
        rc = rm + 0.999e-3 * rng.choice([-1, 1], (n, 1))
        with mpmath.workdps(30):
            sol = mpmath.lu_solve(mpmath.matrix(Dc.tolist()), mpmath.matrix(rc.tolist()))
        for i in range(n):
            assert abs(complex(sol[i]) - z.mid[i, 0]) <= z.rad[i, 0]
    sing = np.ones((4, 4))
    assert _solve_nb(NBall(sing, np.zeros((4, 4))), NBall(np.ones((4, 1)), np.zeros((4, 1)))) is None
    assert _solve_nb(NBall(np.eye(4), np.full((4, 4), 0.6)), NBall(np.ones((4, 1)), np.zeros((4, 1)))) is None
