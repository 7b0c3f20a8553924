"""Family proof on constant branches: agrees with the per-point proof, contains 50-digit values,
refuses resonant (equal real part) pairs."""
import mpmath
import numpy as np
import pytest
from flint import arb, ctx

from test_search_systems import W4, net, random_asymmetric
from symhopf.api import prove_all
from symhopf.proof import family
from symhopf.proof.hopf import prove_candidate
from symhopf.search import find_candidates
from symhopf.proof.completeness import check_branch, ProvedHopf


def _net(W, pad=0.3):
    ev = np.linalg.eigvals(W)
    return net("asymmetric", W, (float(-ev.real.max() - pad), float(-ev.real.min() + pad)))


@pytest.mark.parametrize("n", [4, 6, 8])
def test_family_agrees_with_per_point_proof(n):
    W = W4 if n == 4 else random_asymmetric(n, 3)
    s = _net(W)
    res = find_candidates(s)
    proofs = prove_all(s, res, s.model.range, workers=1)
    assert proofs and all(p.proof["method"] == family.METHOD for p in proofs)
    for c, p in zip(res.candidates, proofs):
        q = prove_candidate(s, c)
        assert p.proved and q.proved, (p.reason, q.reason)
        for a, b in [(p.parameter, q.parameter), (p.omega, q.omega), (p.first_lyapunov, q.first_lyapunov),
                     (p.transversality, q.transversality),
                     (p.other_eigenvalues_real_part_max, q.other_eigenvalues_real_part_max)]:
            assert a.overlaps(b)
        assert p.transversality.contains(1)


def _l1_mpmath(W, lam):
    """Spec formula for f = tanh((W + a I) x) at x = 0 (B = 0, s'''(0) = -2), 50 digits."""
    n = W.rows
    a = -mpmath.re(lam)
    A = W + a * mpmath.eye(n)
    E, ER = mpmath.eig(A)
    k = min(range(n), key=lambda j: abs(E[j] - 1j * mpmath.im(lam)))
    q = ER[:, k]
    q = q / mpmath.sqrt(sum(abs(q[i]) ** 2 for i in range(n)))
    El, EL = mpmath.eig(A.T)
    j = min(range(n), key=lambda j: abs(El[j] + 1j * mpmath.im(lam)))
    p = EL[:, j]
    pq = sum(mpmath.conj(p[i]) * q[i] for i in range(n))
    p = p * mpmath.conj(1 / pq)      # <p, q> = 1
    Mq = A * q
    C = [-2 * Mq[i] * Mq[i] * mpmath.conj(Mq[i]) for i in range(n)]
    val = sum(mpmath.conj(p[i]) * C[i] for i in range(n))
    return a, mpmath.im(E[k]), mpmath.re(val) / (2 * mpmath.im(E[k]))


def test_family_contains_50_digit_values():
    W = random_asymmetric(6, 5)
    s = _net(W)
    res = find_candidates(s)
    proofs = prove_all(s, res, s.model.range, workers=1)
    mpmath.mp.dps = 50
    Wm = mpmath.matrix(W.tolist())
    lams = [z for z in mpmath.eig(Wm, left=False, right=False) if mpmath.im(z) > 0]
    assert len(lams) == len(proofs) == 3
    for lam in lams:
        a, w, l1 = _l1_mpmath(Wm, lam)
        with ctx.workprec(200):
            A, Om, L1 = (arb(mpmath.nstr(v, 45)) for v in (a, w, l1))
            hit = [p for p in proofs if p.parameter.contains(A)]
            assert len(hit) == 1 and hit[0].proved
            assert hit[0].omega.contains(Om) and hit[0].first_lyapunov.contains(L1)


def test_equal_real_parts_not_proved():
    # two pairs -0.1 +- 1i and -0.1 +- 2i: both cross the axis at a = 0.1 together
    W = np.zeros((4, 4))
    W[:2, :2] = [[-0.1, 1.0], [-1.0, -0.1]]
    W[2:, 2:] = [[-0.1, 2.0], [-2.0, -0.1]]
    s = net("asymmetric", W, (-0.5, 0.5))
    res = find_candidates(s)
    proofs = prove_all(s, res, s.model.range, workers=1)
    assert len(proofs) == 2 and not any(p.proved for p in proofs)
    assert all("equal real parts" in p.reason for p in proofs)
    fake = [ProvedHopf((c.a - 1e-9, c.a + 1e-9), (c.omega - 1e-9, c.omega + 1e-9)) for c in res.candidates]
    assert not check_branch(s, res.branches[0], fake).proved


@pytest.mark.parametrize("gap, proved", [(1e-14, False), (1e-3, True)])
def test_nearly_equal_real_parts_through_the_53_bit_jacobian(gap, proved):
    """Binary weights (the 53-bit Jacobian, RowRadii, rank-one error terms): two pairs whose real parts
    differ by 1e-14, below the disc radii, are not proved (another eigenvalue may be on the axis as
    the pair crosses); 1e-3 apart, both are proved."""
    blocks = np.zeros((4, 4))
    blocks[:2, :2] = [[-0.1, 1.0], [-1.0, -0.1]]
    blocks[2:, 2:] = [[-0.1 + gap, 2.0], [-2.0, -0.1 + gap]]
    P = np.random.default_rng(3).standard_normal((4, 4))
    W = P @ blocks @ np.linalg.inv(P)                 # a binary (float) W with about these eigenvalues
    s = net("asymmetric", W, (-0.5, 0.5))
    res = find_candidates(s)
    proofs = prove_all(s, res, s.model.range, workers=1)
    assert len(proofs) == 2
    if proved:
        assert all(p.proved for p in proofs)
    else:
        assert not any(p.proved for p in proofs) and all("imaginary axis" in p.reason for p in proofs)


def test_binary_weights_are_registered_as_exact_numpy_balls():
    """System.ball registers the ball matrix of a binary W (no entrywise conversion) as exactly the NBall
    that the entrywise conversion gives: products through either path are identical, so results do not
    depend on whether the registration is still cached (a sweep and a lone prove give the same
    certificate); decimal weights (balls of radius > 0) are not registered."""
    from flint import arb_mat
    from symhopf.runtime import npball
    W = random_asymmetric(6, 9)
    s = _net(W)
    with ctx.workprec(53):
        ev = s.ball(53)
    got = npball._data(ev.d_W)
    assert npball._DATA[id(ev.d_W)][0] is ev.d_W
    conv = npball.as_nball(ev.d_W)
    assert np.array_equal(got.mid, W) and np.array_equal(got.mid, conv.mid) and np.array_equal(got.rad, conv.rad)
    x = npball.NBall(np.random.default_rng(1).standard_normal((6, 2)), 1e-12)
    fast = npball.nmatmul(ev.d_W, x)
    slow = npball.nmatmul(arb_mat(W.tolist()), x)         # another object: converted entry by entry
    assert np.array_equal(fast.mid, slow.mid) and np.array_equal(fast.rad, slow.rad)
    from decimal import Decimal
    from symhopf.model import Model
    from symhopf.system import System
    dec = System.from_model(Model.rnn("asymmetric", weights=[[Decimal("0.1"), 1], [-1, Decimal("0.1")]],
                                      range=[-0.5, 0.5]))
    assert dec.model.data["W"].exact is not None       # 1/10: not a binary float
    with ctx.workprec(53):
        D = dec.ball(53).d_W
    assert not D[0, 0].is_exact()
    assert npball._DATA.get(id(D)) is None or npball._DATA[id(D)][0] is not D


def test_diagonalisation_refuses_a_defective_matrix():
    d = family.diagonalise(np.array([[0.0, 1.0], [0.0, 0.0]]), None)
    assert not d.ok or not d.isolated.all()


def test_worker_failure_becomes_not_proved(monkeypatch):
    s = _net(W4)
    res = find_candidates(s)

    def boom(*args, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(family, "point_batch", boom)
    proofs = prove_all(s, res, s.model.range, workers=2)
    assert all(not p.proved and "boom" in p.reason for p in proofs)


@pytest.mark.parametrize("n", [100, 200])
def test_random_nets_all_points_proved_with_tight_discs(n):
    """The paper's random nets (seed 80): every Hopf point proved, every Gershgorin disc < 1e-9,
    l1 agreeing with the plain float formula (x = 0: B = 0, l1 = Re <p, C(q,q,conj q)> / (2 w))."""
    W = random_asymmetric(n, 80)
    s = _net(W, pad=0.01)
    res = find_candidates(s)
    proofs = prove_all(s, res, s.model.range, workers=1)
    assert len(proofs) == len(res.candidates) >= 0.4 * n
    assert all(p.proved for p in proofs), {p.reason for p in proofs if not p.proved}
    fd = family.branch_data(s, res.branches[0].x[0], s.model.range)
    assert fd.ok and fd.B_zero and fd.fa_zero
    # the double-double Jacobian keeps the discs near the float residual (a 53-bit Jacobian
    # would carry the rounding of the decimal weights, ~20x wider at n = 1000)
    assert float(fd.diag.rho.max()) < 2e-11 and fd.diag.isolated.all()
    assert check_branch(s, res.branches[0], [ProvedHopf((float(p.parameter.lower()), float(p.parameter.upper())))
                                             for p in proofs]).proved
    lam, V = np.linalg.eig(W)
    Y = np.linalg.inv(V)
    for p in proofs:
        k = int(np.argmin(np.abs(lam - (-float(p.parameter.mid()) + 1j * float(p.omega.mid())))))
        q = V[:, k] / np.linalg.norm(V[:, k])
        u = Y[k] / (Y[k] @ q)
        Mq = W @ q + (-lam[k].real) * q
        l1 = (u @ (-2 * Mq * Mq * Mq.conj())).real / (2 * lam[k].imag)
        assert abs(l1 - float(p.first_lyapunov.mid())) <= 1e-7 * (1 + abs(l1))
        assert float(p.first_lyapunov.rad()) < 1e-6


def test_family_with_quadratic_activation_term_agrees_with_per_point_proof():
    """s(z) = tanh(z) + z^2/4: s''(0) = 1/2, so B != 0 at x = 0 and the family proof takes both
    solves of l1 through the diagonalisation (batched B, h11 = A^-1 B(q, conj q), h20)."""
    from symhopf.model import Model
    from symhopf.system import System
    W = random_asymmetric(6, 5)
    ev = np.linalg.eigvals(W)
    s = System.from_model(Model.rnn("asymmetric", weights=W, activation="tanh(z) + z**2/4",
                                    range=[float(-ev.real.max() - 0.3), float(-ev.real.min() + 0.3)]))
    res = find_candidates(s)
    zero = next(br for br in res.branches if br.constant)
    fd = family.branch_data(s, zero.x[0], s.model.range)
    assert fd.ok and not fd.B_zero and not np.any(zero.x[0])
    proofs = prove_all(s, res, s.model.range, workers=1)
    on = [(c, p) for c, p in zip(res.candidates, proofs) if c.branch == zero.id]
    assert len(on) >= 2 and all(p.proof["method"] == family.METHOD for _, p in on)
    for c, p in on:
        q = prove_candidate(s, c)
        assert p.proved and q.proved, (p.reason, q.reason)
        assert p.first_lyapunov.overlaps(q.first_lyapunov) and p.transversality.overlaps(q.transversality)
        # the quadratic term matters: l1 differs from the pure tanh net's
        assert abs(float(p.first_lyapunov.mid())) > 0


def _prepared(n: int):
    """(system, family data, jobs, fails) of the paper's random net (seed 80) of size n."""
    s = _net(random_asymmetric(n, 80), pad=0.01)
    res = find_candidates(s)
    fd = family.branch_data(s, res.branches[0].x[0], s.model.range)
    return (s, fd) + family.prepare(fd, sorted(family.match_candidates(fd, res.candidates).values()))


def test_one_batch_agrees_with_single_point_batches():
    """All points of a branch in one evaluation (per-column parameter, numpy balls) give the same
    enclosures as one point at a time."""
    s, fd, jobs, fails = _prepared(60)
    assert len(jobs) >= 20 and not fails
    together = family.point_batch(s, fd, jobs)
    for job, r in zip(jobs, together):
        (alone,) = family.point_batch(s, fd, [job])
        assert not r["reason"] and not alone["reason"]
        for key in ("l1", "mu"):
            assert family.unpack_ball(r[key]).overlaps(family.unpack_ball(alone[key]))


def test_diagonalisation_moves_tiny_entries_into_the_radius():
    """Entries below the exact-product range (2^-400) are taken as 0 +- |a|: still verified, and
    every eigenvalue lies in its disc."""
    A = np.array([[0.0, -2.0, 1e-200], [2.0, 0.0, 0.0], [0.0, 1e-300, -1.0]])
    d = family.diagonalise(A)
    assert d.ok and d.isolated.all()
    for ev in np.linalg.eigvals(A):
        k = int(np.argmin(np.abs(d.lam - ev)))
        assert abs(d.lam[k] - ev) <= d.rho[k] + 1e-15


def test_a_non_finite_eigenvector_bound_is_not_proved_and_spares_the_others():
    W = random_asymmetric(20, 80)
    s = _net(W, pad=0.01)
    res = find_candidates(s)
    fd = family.branch_data(s, res.branches[0].x[0], s.model.range)
    jobs, _ = family.prepare(fd, sorted(family.match_candidates(fd, res.candidates).values()))
    jobs[0].qr = jobs[0].qr.copy()
    jobs[0].qr[3] = np.inf
    jobs[1].lm = jobs[1].lm.copy()
    jobs[1].lm[0] = np.nan
    out = family.point_batch(s, fd, jobs)
    assert out[0]["reason"] and out[1]["reason"]
    assert all(not r["reason"] for r in out[2:]) and len(out) > 4


def test_double_float_split_of_a_high_precision_ball_matrix():
    """A1 + A2 +- Ar holds every entry of a 106-bit ball matrix of decimals (checked at 300 bits)."""
    from flint import arb_mat, fmpq, fmpq_mat
    rng = np.random.default_rng(4)
    vals = [fmpq(int(v), 10 ** 17) for v in rng.integers(-10 ** 17, 10 ** 17, 36)]
    with ctx.workprec(106):
        A = arb_mat(fmpq_mat(6, 6, vals)) * arb(3) / 7
    A1, A2, Ar = family._double_floats(A)
    assert np.all(Ar < 1e-25)                      # the 53-bit rounding is gone
    with ctx.workprec(300):
        exact = arb_mat(fmpq_mat(6, 6, vals)) * arb(3) / 7
        for i in range(6):
            for j in range(6):
                hull = arb(float(A1[i, j])) + arb(float(A2[i, j])) + arb(0, float(Ar[i, j]))
                assert hull.contains(exact[i, j])


def _holds_w_plus_third(W, A1, Ar):
    """A1 +- Ar holds every entry of W + I / 3 (300 bits)."""
    n = len(W)
    with ctx.workprec(300):
        third = arb(1) / 3
        for i in range(n):
            for j in range(n):
                exact = arb(float(W[i, j])) + (third if i == j else 0)
                assert (arb(float(A1[i, j])) + arb(0, float(Ar[i, j]))).contains(exact)


def test_single_float_split_takes_binary_weights_and_refuses_decimals():
    """53 bits suffice when only the diagonal rounds (binary W + a I): A1 +- Ar holds every entry (300
    bits) and Ar is the diagonal rounding alone; a matrix of decimals goes to the 106-bit split."""
    from flint import arb_mat, fmpq, fmpq_mat
    rng = np.random.default_rng(5)
    W = rng.standard_normal((6, 6))
    a = arb(1) / 3                                  # not a float: the diagonal rounds
    with ctx.workprec(53):
        got = family._single_floats(arb_mat(W.tolist()) + a * arb_mat(6, 6, [1 if i % 7 == 0 else 0 for i in range(36)]))
        vals = [fmpq(int(v), 10 ** 17) for v in rng.integers(-10 ** 17, 10 ** 17, 36)]
        assert family._single_floats(arb_mat(fmpq_mat(6, 6, vals))) is None
    with ctx.workprec(106):         # exact 80-bit diagonal midpoints, radii 0: float() would round them
        B = arb_mat(W.tolist()) + arb_mat(6, 6, [arb(2) ** -80 if i % 7 == 0 else 0 for i in range(36)])
    assert B[0, 0].is_exact() and family._single_floats(B) is None
    assert got is not None
    A1, A2, rr = got
    Ar = rr.dense()
    assert not A2.any() and np.all(Ar[~np.eye(6, dtype=bool)] < 1e-300) and np.all(np.diag(Ar) < 1e-15)
    _holds_w_plus_third(W, A1, Ar)


def test_single_float_split_refuses_midpoints_float_would_round_or_flush():
    """Exact 53-bit midpoints that are not binary64 numbers: 2^-1100 (float() gives 0.0) and 3 2^-1070
    (subnormal: float() would round a longer mantissa) go to the 106-bit split; so does a 54-bit one."""
    from flint import arb_mat
    W = np.random.default_rng(6).standard_normal((4, 4))
    for k in range(3):
        with ctx.workprec(106):
            B = arb_mat(W.tolist())
            B[1, 2] = (arb(2) ** -1100, 3 * arb(2) ** -1070, arb(1) + arb(2) ** -53)[k]
        assert B[1, 2].is_exact() and family._single_floats(B) is None
    with ctx.workprec(53):
        got = family._single_floats(arb_mat(W.tolist()))
    assert got is not None and np.array_equal(got[0], W) and np.all(got[2].dense() < 1e-300)


def test_row_radii_bound_the_dense_product():
    """RowRadii.times_abs (O(n^2)) bounds the product of its dense form with |V| (exact rationals)."""
    from fractions import Fraction
    rng = np.random.default_rng(7)
    o, t = rng.random(5) * 1e-16, rng.random(5) * 1e-15
    Va = np.abs(rng.standard_normal((5, 5)))
    got = family.RowRadii(o, t).times_abs(Va)
    for i in range(5):
        for j in range(5):
            exact = sum(Fraction(o[i]) * Fraction(Va[l, j]) for l in range(5)) + Fraction(t[i]) * Fraction(Va[i, j])
            assert Fraction(got[i, j]) >= exact
    dense = family.RowRadii(o, t).dense()
    assert all(Fraction(dense[i, i]) >= Fraction(o[i]) + Fraction(t[i]) for i in range(5))


def test_norm_bounds_of_the_inverse_residual_hold_exactly():
    """_f_sums (row and column sums of |Yr| |Vr| by products with vectors) bounds both norms of
    I - Yr Vr computed in exact rationals, for an ill-conditioned Vr."""
    from fractions import Fraction
    rng = np.random.default_rng(8)
    n = 7
    V = rng.standard_normal((n, n))
    V[:, 1] = V[:, 0] + 1e-7 * V[:, 1]             # condition ~1e8: I - Yr Vr far from 0
    ev = np.linalg.eigvals(V @ np.diag(np.arange(1.0, n + 1)) @ np.linalg.inv(V))
    ap = family._approx((np.sort(ev.real).astype(complex), V))
    assert not isinstance(ap, str)
    dinf, d1 = family._f_sums(ap)
    F = [[(1 if i == j else 0) - sum(Fraction(ap.Yr[i, l]) * Fraction(ap.Vr[l, j]) for l in range(n))
          for j in range(n)] for i in range(n)]
    assert Fraction(dinf) >= max(sum(abs(x) for x in row) for row in F)
    assert Fraction(d1) >= max(sum(abs(F[i][j]) for i in range(n)) for j in range(n))
    assert dinf < 1e-3 and d1 < 1e-3                # and not vacuous (cond(Vr) ~ 1e8)


def _inflated(n: int, seed: int, r: float):
    """A net's family data with the diagonalisation re-verified for the ball ``A1 +- (r + 2u |A1|)``
    around the float Jacobian (it holds the exact A0 = W + a_r I): discs ~ n r, as at n = 4000."""
    import dataclasses
    s = _net(random_asymmetric(n, seed), pad=0.01)
    res = find_candidates(s)
    fd = family.branch_data(s, res.branches[0].x[0], s.model.range)
    A1 = s.flt.Df(fd.x0, fd.a_r_float)
    d = family.diagonalise(A1, np.full_like(A1, r) + 2.0 ** -52 * np.abs(A1))
    assert d.ok
    return s, res, dataclasses.replace(fd, diag=d), A1


def test_wide_discs_keep_l1_away_from_0():
    """Discs 100x wider than the tight ones: the per-entry eigenvector bound (|E_jk| instead of the
    row sum rho_j) keeps every l1 enclosure away from 0. The row-sum bound (before issue 17) left
    5 of these 30 points with "l1 enclosure contains 0"."""
    s, res, fd, _ = _inflated(60, 80, 1e-9)
    assert float(fd.diag.rho.max()) > 1e-6
    jobs, fails = family.prepare(fd, sorted(family.match_candidates(fd, res.candidates).values()))
    assert len(jobs) == 30 and not fails
    out = family.point_batch(s, fd, jobs)
    assert all(not r["reason"] for r in out), {r["reason"] for r in out}


def test_eigenvector_enclosures_contain_50_digit_eigenvectors():
    """q = V (e_k + d) and l = (e_k + d')^T V^-1 (normalised in the V basis) of the exact A0, at
    50 digits, lie in the enclosures of prepare, with discs made wide (their bounds are then
    far from the rounding level)."""
    s, res, fd, A1 = _inflated(10, 3, 1e-7)
    targets = sorted(family.match_candidates(fd, res.candidates).values())
    jobs, fails = family.prepare(fd, targets)
    tight, _ = family.prepare(fd, targets, tight_left=True)     # rows of V^-1 bounded one by one
    assert jobs and not fails and [j.k for j in tight] == [j.k for j in jobs]
    assert all(np.all(t.lr <= j.lr) for t, j in zip(tight, jobs))
    jobs = jobs + tight
    mpmath.mp.dps = 50
    V = mpmath.matrix(fd.diag.V.tolist())
    Vi = V ** -1
    A0 = mpmath.matrix(s.model.data["W"].values.tolist()) + mpmath.mpf(fd.a_r_float) * mpmath.eye(10)
    E, ER = mpmath.eig(A0)
    El, EL = mpmath.eig(A0.T)
    for job in jobs:
        lam = complex(fd.diag.lam[job.k])
        x = ER[:, min(range(10), key=lambda j: abs(E[j] - lam))]
        z = Vi * x
        v = V * (z / z[job.k])
        y = EL[:, min(range(10), key=lambda j: abs(El[j] - lam))]
        w = (y.T * V)
        l = (w / w[job.k]) * Vi
        assert max(abs(v[i] - job.qm[i]) / job.qr[i] for i in range(10)) <= 1
        assert max(abs(l[i] - job.lm[i]) / job.lr[i] for i in range(10)) <= 1
        # the enclosures are not trivially wide
        assert job.qr.max() < 1e-4 and job.lr.max() < 1e-3


def test_undecided_points_are_done_again_with_the_tight_left_vector():
    """retry_undecided redoes exactly the points whose first pass left l1 (or mu') undecided, and
    its results are proofs of their own."""
    s, fd, jobs, _ = _prepared(30)
    first = family.point_batch(s, fd, jobs)
    assert all(not r["reason"] for r in first)
    fake = [dict(r) for r in first]
    fake[1]["reason"], fake[1]["l1"] = "l1 enclosure contains 0", None
    fake[2]["reason"] = "lyapunov: NaN in l1 or mu'"           # not undecided: left as it is
    jobs2, out = family.retry_undecided(s, fd, jobs, fake)
    assert not out[1]["reason"] and family.unpack_ball(out[1]["l1"]).overlaps(family.unpack_ball(first[1]["l1"]))
    assert np.all(jobs2[1].lr <= jobs[1].lr) and jobs2[0] is jobs[0] and out[2] is fake[2]


def test_newton_stops_at_a_jacobian_with_a_zero_row_as_the_solve_would():
    """newton_equilibrium returns None without an LU for a Jacobian with an exactly zero row (saturated
    tanh): numpy's solve raises LinAlgError on the same matrix, so the search finds the same equilibria."""
    from symhopf.search.equilibria import newton_equilibrium
    s = _net(random_asymmetric(30, 2))
    x = np.full(30, 10.0)                              # |z| >> 19: tanh(z) = +-1, s'(z) = 0 exactly
    D = s.flt.Df(x, 0.0)
    assert not D.any(axis=1).all()
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.solve(D, -s.flt.f(x, 0.0))
    assert newton_equilibrium(s.flt, x, 0.0) is None
    assert np.abs(newton_equilibrium(s.flt, np.full(30, 1e-3), 0.0)).max() < 1e-12     # the regular case still converges


@pytest.mark.parametrize("pert, gap", [(1e-3, 1e-7), (1.0, 1e-7), (1.0, 1e-9)])
def test_diagonalisation_discs_hold_50_digit_eigenvalues_close_and_ill_conditioned(pert, gap):
    """The residual lemma (fpbounds Lemma 4) in the diagonalisation, adversarially: an exact binary matrix
    A = S diag(L) S^-1 (rounded) with two pairs ``gap`` apart, eigenvalues 60x larger than the
    eigenvector entries (the balancing D of the augmented product), S of condition ~1e6. Every
    eigenvalue (mpmath, 50 digits) lies in a disc, a disc proved isolated holds exactly one, and
    the near pairs are not both claimed isolated when their discs meet."""
    import mpmath
    rng = np.random.default_rng(5)
    n = 12
    L = np.array([30 + 40j, 30 + gap + 40j, -20 + 55j, 7 + 61j, 3.5 + 48j, -11 + 44j], complex)
    S = rng.standard_normal((n, n))
    S[:, 1] = S[:, 0] + pert * S[:, 1]                  # ill-conditioned eigenvectors
    D = np.zeros((n, n))
    for j, lam in enumerate(L):                          # real 2 x 2 blocks [[a, b], [-b, a]]
        D[2 * j:2 * j + 2, 2 * j:2 * j + 2] = [[lam.real, lam.imag], [-lam.imag, lam.real]]
    A = S @ D @ np.linalg.inv(S)                         # the exact binary floats are the matrix
    d = family.diagonalise(A)
    assert d.ok
    mpmath.mp.dps = 50
    ev = mpmath.eig(mpmath.matrix(A.tolist()), left=False, right=False)
    for e in ev:
        inside = [k for k in range(n) if abs(complex(e) - d.lam[k]) <= d.rho[k] * (1 - 1e-12)
                  or mpmath.fabs(e - mpmath.mpc(d.lam[k].real, d.lam[k].imag)) <= mpmath.mpf(float(d.rho[k]))]
        assert inside, f"eigenvalue {e} in no disc"
    assert 0 < d.isolated.sum() < n                      # not vacuous: some discs isolated, the near pairs not
    for k in np.nonzero(d.isolated)[0]:
        centre = mpmath.mpc(d.lam[k].real, d.lam[k].imag)
        assert sum(mpmath.fabs(e - centre) <= mpmath.mpf(float(d.rho[k])) for e in ev) == 1


class _Evaluator:
    """Stands for a generated ball evaluator: its data matrices are attributes."""

    def __init__(self, **data):
        self.__dict__.update(data)


def _registered(W: np.ndarray):
    from flint import arb_mat
    from symhopf.runtime import npball
    with ctx.workprec(53):
        Wd = arb_mat(W.tolist())
    npball.register(Wd, npball.exact_floats(W))
    return Wd


def test_data_float_split_holds_w_plus_a_rounded_diagonal():
    """A = W + a I (binary W, a = 1/3: the diagonal rounds) against the registered W: A1 +- Ar holds every
    entry of the exact matrix (300 bits), A1 is _single_floats' A1 and the radii are no wider than its."""
    from flint import arb_mat
    W = np.random.default_rng(11).standard_normal((6, 6))
    Wd = _registered(W)
    with ctx.workprec(53):
        A = Wd + arb_mat(6, 6, [arb(1) / 3 if i % 7 == 0 else 0 for i in range(36)])
        got = family._data_floats(A, _Evaluator(d_W=Wd, d_b=arb_mat(6, 1)))
        ref = family._single_floats(A)
    assert got is not None and ref is not None
    A1, A2, rr = got
    Ar = rr.dense()
    assert np.array_equal(A1, ref[0]) and not A2.any() and np.all(Ar <= ref[2].dense() + 1e-320)
    assert np.array_equal(A1[~np.eye(6, dtype=bool)], W[~np.eye(6, dtype=bool)])
    _holds_w_plus_third(W, A1, Ar)


def test_data_float_split_refuses_what_is_not_w_off_the_diagonal():
    """None (the caller converts A) when A differs from every registered data matrix off the diagonal by
    2^-60 of an entry, when an off-diagonal entry has a radius, or when the matrix is not registered."""
    from flint import arb_mat
    W = np.random.default_rng(12).standard_normal((5, 5))
    Wd = _registered(W)
    ev = _Evaluator(d_W=Wd)
    with ctx.workprec(106):
        A = arb_mat(Wd)
        A[3, 1] = A[3, 1] + arb(2) ** -60
    assert A[3, 1].is_exact() and family._data_floats(A, ev) is None
    with ctx.workprec(53):
        B = arb_mat(Wd)
        B[0, 4] = arb(B[0, 4].mid(), 1e-30)
        assert family._data_floats(B, ev) is None
        assert family._data_floats(arb_mat(Wd), _Evaluator(d_W=arb_mat(W.tolist()))) is None   # not registered
        assert family._data_floats(arb_mat(Wd), ev) is not None


def test_data_float_split_covers_an_entry_float_flushes():
    """An exact 2^-1100 in W (float() gives 0.0; the products' own conversion registers that 0.0): the
    off-diagonal radius n eta covers it, and A1 +- Ar holds the exact entry."""
    from flint import arb_mat
    from symhopf.runtime import npball
    W = np.random.default_rng(13).standard_normal((4, 4))
    with ctx.workprec(53):
        Wd = arb_mat(W.tolist())
        Wd[1, 2] = arb(2) ** -1100
    npball._data(Wd)                                  # converted by as_nball: mid 0.0 at (1, 2)
    with ctx.workprec(53):
        got = family._data_floats(arb_mat(Wd) + arb_mat(4, 4, [arb(1) / 7 if i % 5 == 0 else 0 for i in range(16)]),
                                  _Evaluator(d_W=Wd))
    assert got is not None and got[0][1, 2] == 0.0
    Ar = got[2].dense()
    with ctx.workprec(1200):
        assert (arb(0) + arb(0, float(Ar[1, 2]))).contains(arb(2) ** -1100)


def test_branch_jacobian_by_the_data_split_gives_the_same_discs(monkeypatch):
    """The family proof of a binary asymmetric net (n = 20) takes the Jacobian through _data_floats; with
    it switched off (the entrywise conversion) the discs, hence every proved number, are the same or wider."""
    W = random_asymmetric(20, 21)
    calls = []
    real = family._data_floats
    monkeypatch.setattr(family, "_data_floats", lambda A, ev: calls.append(1) or real(A, ev))
    s = _net(W)
    fd = family.branch_data(s, np.zeros(20), s.model.range)
    assert fd.ok and calls
    monkeypatch.setattr(family, "_data_floats", lambda A, ev: None)
    s2 = _net(W)
    fd2 = family.branch_data(s2, np.zeros(20), s2.model.range)
    assert fd2.ok and np.all(fd.diag.rho <= fd2.diag.rho * (1 + 1e-9))


def test_point_batch_reuses_w_times_conj_v_and_holds_50_digit_c(monkeypatch):
    """C(v, v, conj v) of a batch on numpy balls (n = 20, x = 0: -2 (Mv)^2 conj(Mv) with M = W + a I) holds
    the 50-digit values, with one BLAS product W [v] (conj(W v) reused for W conj(v))."""
    from flint import arb_mat
    from symhopf.runtime import npball
    from symhopf.runtime.npball import NBall
    n, m = 20, 3
    W = random_asymmetric(n, 22)
    s = _net(W)
    rng = np.random.default_rng(23)
    V = NBall(rng.standard_normal((n, m)) + 1j * rng.standard_normal((n, m)), 1e-14)
    values = [0.125, -0.25, 0.3]
    count = []
    real = npball.nmatmul
    monkeypatch.setattr(npball, "nmatmul", lambda A, x: count.append(1) or real(A, x))
    with ctx.workprec(53):
        ev = s.ball(53)
        got = ev.at_columns("C", arb_mat(n, 1), [arb(v) for v in values], V, V, V.conjugate())
    assert len(count) == 1 and isinstance(got, NBall)
    with mpmath.workdps(50):
        Wm = mpmath.matrix([[mpmath.mpf(float(w)) for w in row] for row in W])
        for j, a in enumerate(values):
            v = mpmath.matrix([mpmath.mpc(complex(z)) for z in V.mid[:, j]])
            Mv = (Wm + mpmath.mpf(a) * mpmath.eye(n)) * v
            for i in range(n):
                want = -2 * Mv[i] * Mv[i] * mpmath.conj(Mv[i])
                # the balls hold C at every v in V, so the value at the midpoint lies in them
                assert abs(want - mpmath.mpc(got.mid[i, j])) <= got.rad[i, j], (i, j)


def test_q_bound_with_row_radii_holds_exactly_at_the_corners_of_the_ball():
    """_q_sums with RowRadii (the rank-one |Yr| X bound from the column maxima of X): |Q| <= Qa entrywise
    with Q = Yr (A Vr - Vr Lb) in exact rationals, for matrices A at random corners of the ball
    A1 +- Ar (|A - A1|_ij = o_i off the diagonal, o_i + t_i on it); the row and column sums bound Qa's."""
    from fractions import Fraction
    rng = np.random.default_rng(31)
    n = 6
    A1 = rng.standard_normal((n, n)) + np.diag(np.full(n, 1 / 3))
    rr = family.RowRadii(rng.random(n) * 1e-12, rng.random(n) * 1e-11)
    ap = family._approx(np.linalg.eig(A1))
    rows, cols, Qa = family._q_sums(A1, np.zeros((n, n)), rr, ap)
    F = np.vectorize(Fraction, otypes=[object])
    Vr, Yr = F(ap.Vr), F(ap.Yr)
    Lb = np.zeros((n, n), dtype=object)
    for j in range(n):
        Lb[j, j] = Fraction(ap.lam[j].real)
    for j in ap.fi:
        Lb[j, j + 1], Lb[j + 1, j] = Fraction(ap.lam[j].imag), -Fraction(ap.lam[j].imag)
    for _ in range(4):
        signs = rng.choice([-1, 1], (n, n))
        A = F(A1) + np.array([[signs[i, j] * (Fraction(rr.o[i]) + (Fraction(rr.t[i]) if i == j else 0))
                               for j in range(n)] for i in range(n)], dtype=object)
        Q = Yr.dot(A.dot(Vr) - Vr.dot(Lb))
        for i in range(n):
            for j in range(n):
                assert abs(Q[i, j]) <= Fraction(Qa[i, j]), (i, j)
    assert np.all(rows >= Qa @ ap.sizes) and np.all(cols >= Qa.sum(axis=0))


def test_record_strings_in_integers_equal_the_fraction_strings():
    """certificate._enclosure's integer path (the family records: 5 enclosures per point) gives exactly
    round_decimal's strings of the exact end points m 2^e -+ r 2^f (Fractions), and exact_decimal of a
    float (cached) its exact expansion, for mantissas of 1-200 bits and exponents far below the floats."""
    import random
    from fractions import Fraction
    from symhopf import certificate as cert
    rng = random.Random(17)
    for _ in range(3000):
        m = rng.choice([0, 1, -1, rng.getrandbits(rng.randint(1, 200)) * rng.choice([1, -1])])
        r = rng.choice([0, 1, rng.getrandbits(rng.randint(1, 40))])
        e, f = rng.randint(-1200, 100), rng.randint(-1200, 100)
        d = rng.choice([5, 17, 40, 100])
        mid, rad = Fraction(m) * Fraction(2) ** e, Fraction(r) * Fraction(2) ** f
        assert cert._enclosure.__wrapped__(m, e, r, f, d) == (cert.round_decimal(mid - rad, d, False),
                                                               cert.round_decimal(mid + rad, d, True))
    for x in [0.0, -0.0, 0.1, -3.25e-300, 5e-324, 1.7976931348623157e308, 2.0 ** 60 + 2 ** 8]:
        q = Fraction(x)
        assert Fraction(cert.exact_decimal(x)) == q and cert.exact_decimal(x) == cert.exact_decimal(x)
    assert cert.exact_decimal(2 ** 60 + 1) == "1152921504606846977"      # an int: not through float()
