"""Maps: Neimark-Sacker points proved end to end (docs/maps.md), against independent 50-digit values,
direct iteration, degenerate cases that must not be proved, certificate keys, re-check, report."""
from __future__ import annotations

import json
import shutil
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from recheck import recheck

from symhopf.api import prove, summary
from symhopf.certificate import Certificate
from symhopf.errors import InputError
from symhopf.model import Model

mp.mp.dps = 50

NS_KEYS = {"status", "reason", "kind", "parameter", "theta", "x", "first_lyapunov", "transversality",
           "criticality", "other_multipliers_modulus", "proof", "time_seconds", "start"}


def contains(pair, value) -> bool:
    lo, hi = (mp.mpf(s) for s in pair)
    return lo <= value <= hi


def logistic() -> Model:
    return Model.ode(["x", "y"], ["r*x*(1 - y)", "x"], "r", range=["1.5", "2.5"], map=True,
                     name="delayed_logistic", search={"box": ["0", "1"]})


def elman_toml(tmp_path, W: str, rng: str = "[0.2, 2.0]", formula: str = "tanh(a * (W @ x))") -> Model:
    path = tmp_path / "elman.toml"
    path.write_text(f'name = "elman"\n[rnn]\nformula = "{formula}"\nparameter = "a"\ntime = "discrete"\n'
                    f'[rnn.data]\nW = {W}\n[search]\nrange = {rng}\nbox = [-1, 1]\n')
    return Model.from_toml(path)


def _left_right(A: mp.matrix, lam: mp.mpc) -> tuple[mp.matrix, mp.matrix]:
    """q, p with A q = lam q, A^T p = conj(lam) p, <q, q> = 1, <p, q> = 1 (50 digits)."""
    n = A.rows
    E, ER = mp.eig(A)
    k = min(range(n), key=lambda i: abs(E[i] - lam))
    q = ER[:, k]
    q = q / mp.sqrt(sum(abs(q[i]) ** 2 for i in range(n)))
    El, EL = mp.eig(A.T)
    k = min(range(n), key=lambda i: abs(El[i] - mp.conj(lam)))
    p = EL[:, k]
    pq = sum(mp.conj(p[i]) * q[i] for i in range(n))
    return q, p / mp.conj(pq)


def _dot(p, z) -> mp.mpc:
    return sum(mp.conj(p[i]) * z[i] for i in range(len(z)))


# ------------------------------------------------------------------ the delayed logistic map
def test_delayed_logistic_ns_at_r_2_is_proved_and_contains_50_digit_values():
    """x' = r x (1 - y), y' = x: NS at r = 2, theta = pi/3 (e^{i k pi/3} = 1 only for k = 6: no strong
    resonance), x* = (1/2, 1/2). d and d|mu|/da computed here with hand-derived B and D_r A."""
    assert all(abs(mp.exp(1j * k * mp.pi / 3) - 1) > 0.5 for k in (1, 2, 3, 4))
    assert abs(mp.exp(6j * mp.pi / 3) - 1) < mp.mpf(10) ** -40
    cert = prove(logistic())
    ns = [p for p in cert.hopf_points if p.status == "proved"]
    assert len(ns) == 1 and len(cert.hopf_points) == 1
    p = ns[0]
    r, theta = mp.mpf(2), mp.pi / 3
    A = mp.matrix([[1, -1], [1, 0]])
    lam = mp.exp(1j * theta)
    q, pv = _left_right(A, lam)
    B = lambda u, v: mp.matrix([-r * (u[0] * v[1] + u[1] * v[0]), 0])  # noqa: E731
    qb = mp.matrix([mp.conj(t) for t in q])
    I = mp.eye(2)
    h11 = mp.lu_solve(I - A, B(q, qb))
    h20 = mp.lu_solve(lam ** 2 * I - A, B(q, q))
    d = mp.re(mp.exp(-1j * theta) * (2 * _dot(pv, B(q, h11)) + _dot(pv, B(qb, h20)))) / 2
    xa = mp.lu_solve(I - A, mp.matrix([mp.mpf(1) / 4, 0]))          # F_r = (x (1 - y), 0)
    DrA = mp.matrix([[mp.mpf(1) / 2, -mp.mpf(1) / 2], [0, 0]])      # d/dr of [[r(1-y), -r x], [1, 0]]
    mu = _dot(pv, DrA * q + B(q, xa))
    dmod = mp.re(mp.exp(-1j * theta) * mu)
    assert contains(p.parameter, r) and contains(p.theta, theta)
    assert all(contains(e, mp.mpf(1) / 2) for e in p.x)
    assert contains(p.first_lyapunov, d) and contains(p.transversality, dmod)
    assert d < 0 and p.criticality == "supercritical"
    assert p.kind == "neimark-sacker" and p.proof["theorem"] == "krawczyk"
    assert recheck(cert) == []
    assert not cert.branches[0]["completeness"]["proved"] and "not proved" in cert.branches[0]["completeness"]["reason"]


def test_delayed_logistic_invariant_curve_radius_matches_d_by_iteration():
    """The sign and normalisation of d: at r = 2 + eps the orbit settles on a closed curve
    x* + 2 Re(z q), |z| = sqrt(eps (d|mu|/da) / |d|) (normal form); at r = 2 - eps it goes to x*."""
    cert = prove(logistic())
    p = cert.hopf_points[0]
    d = float(Fraction(p.first_lyapunov[0]))
    dmod = float(Fraction(p.transversality[0]))
    A = np.array([[1.0, -1.0], [1.0, 0.0]])
    w, V = np.linalg.eig(A)
    q = V[:, np.argmax(w.imag)]
    q = q / np.linalg.norm(q)
    shape = max(np.linalg.norm(2 * np.real(np.exp(1j * t) * q)) for t in np.linspace(0, 2 * np.pi, 2000))

    def amplitude(r: float, steps: int, tail: int = 3000) -> float:
        x, y = 0.5 + 1e-3, 0.5
        for _ in range(steps):
            x, y = r * x * (1 - y), x
        fixed, amp = 1 - 1 / r, 0.0
        for _ in range(tail):
            x, y = r * x * (1 - y), x
            amp = max(amp, float(np.hypot(x - fixed, y - fixed)))
        return amp

    eps = 1e-3
    ratio = amplitude(2 + eps, 200_000) / (shape * np.sqrt(eps * dmod / abs(d)))
    assert 0.99 < ratio < 1.04          # -> 1 as eps -> 0 (1.0135 at eps = 1e-3, 1.0068 at 2.5e-4)
    assert amplitude(2 - eps, 200_000) < 1e-6


# ------------------------------------------------------------------ Elman nets
W3 = "[[0.5, -1.2, 0.3], [1.0, 0.2, -0.4], [0.1, 0.6, 0.3]]"


def elman3_values() -> tuple:
    """x' = tanh(a W3 x) at x = 0, 50 digits: (a*, theta*, d, d|mu|/da, the other modulus). The multipliers are
    a lambda_j(W); NS at a = 1/|lambda| (lambda the complex eigenvalue), theta = arg lambda, d|mu|/da = |lambda|,
    d = (1/2) Re(e^{-i theta} <p, C(q, q, qbar)>) with C(u, v, w) = -2 (a W u)(a W v)(a W w) (B = 0 at x = 0)."""
    W = mp.matrix([[mp.mpf(s) for s in row] for row in json.loads(W3.replace(" ", ""))])
    E, _ = mp.eig(W)
    lam = max((e for e in E if mp.im(e) > 0), key=abs)
    real = [e for e in E if abs(mp.im(e)) < mp.mpf(10) ** -30][0]
    a, theta = 1 / abs(lam), mp.arg(lam)
    A = a * W
    q, pv = _left_right(A, mp.exp(1j * theta))
    qb = mp.matrix([mp.conj(t) for t in q])
    Wq, Wqb = a * W * q, a * W * qb
    C = mp.matrix([-2 * Wq[i] * Wq[i] * Wqb[i] for i in range(3)])
    return a, theta, mp.re(mp.exp(-1j * theta) * _dot(pv, C)) / 2, abs(lam), a * abs(real)


def test_elman_n3_constant_branch_ns_point_against_50_digits(tmp_path):
    """The proved enclosures contain the 50-digit values of :func:`elman3_values`."""
    cert = prove(elman_toml(tmp_path, W3))
    assert [p.status for p in cert.hopf_points] == ["proved"]
    p = cert.hopf_points[0]
    a, theta, d, dmod, other = elman3_values()
    assert contains(p.parameter, a) and contains(p.theta, theta)
    assert contains(p.first_lyapunov, d) and contains(p.transversality, dmod)
    assert all(contains(e, 0) for e in p.x)
    assert len(p.other_multipliers_modulus) == 1 and contains(p.other_multipliers_modulus[0], other)
    assert p.criticality == ("supercritical" if d < 0 else "subcritical")


def test_discrete_preset_is_refused(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[rnn]\narchitecture = "leaky"\nweights = [[0, 1], [-1, 0]]\nparameter = "a"\n'
                    'time = "discrete"\n')
    with pytest.raises(InputError, match="needs a formula"):
        Model.from_toml(path)


# ------------------------------------------------------------------ what must not be proved
def _only_candidate(model: Model):
    cert = prove(model)
    assert len(cert.hopf_points) == 1, summary(cert)
    return cert.hopf_points[0]


def test_one_to_four_resonance_is_not_proved():
    """x -> a R(pi/2) x + cubic terms: multipliers +-i a, theta = pi/2 exactly (1:4 resonance)."""
    p = _only_candidate(Model.ode(["x", "y"], ["-a*y - x**3", "a*x - y**3"], "a", range=["0.5", "1.5"], map=True))
    assert p.status == "not_proved" and "1:4" in p.reason


def test_d_zero_is_not_proved():
    """A linear map a R(theta0) x (cos theta0 = 0.6): every NS hypothesis holds except d = 0."""
    p = _only_candidate(Model.ode(["x", "y"], ["a*(3*x - 4*y)/5", "a*(4*x + 3*y)/5"], "a",
                                  range=["0.5", "1.5"], map=True))
    assert p.status == "not_proved" and "d enclosure contains 0" in p.reason


def test_multiplier_minus_one_is_not_proved():
    """A third multiplier -1 for every a (z -> -z + z^3): 'other multipliers off the unit circle' fails."""
    p = _only_candidate(Model.ode(["x", "y", "z"], ["a*(3*x - 4*y)/5 - x**3", "a*(4*x + 3*y)/5 - y**3", "-z + z**3"],
                                  "a", range=["0.5", "1.5"], map=True, search={"box": ["-0.5", "0.5"]}))
    assert p.status == "not_proved" and "unit circle" in p.reason


# ------------------------------------------------------------------ certificate, re-check, report
def test_certificate_keys_and_recheck_catches_false_numbers():
    cert = prove(logistic())
    d = json.loads(cert.to_json())
    entry = d["hopf_points"][0]
    assert set(entry) == NS_KEYS and entry["kind"] == "neimark-sacker"
    assert d["search"]["map"] is True
    back = Certificate.from_json(cert.to_json())
    assert recheck(back) == []
    for key, value, why in (("theta", ["1.5", "1.6"], "1:4"), ("theta", ["2.0", "2.1"], "1:3"),
                            ("first_lyapunov", ["-1", "1"], "first_lyapunov"),
                            ("other_multipliers_modulus", [["0.9", "1.1"]], "contains 1")):
        bad = json.loads(cert.to_json())
        bad["hopf_points"][0][key] = value
        assert any(why in w for w in recheck(Certificate.from_dict(bad))), key
    bad = json.loads(cert.to_json())
    bad["hopf_points"][0]["proof"]["Y"] = "1"
    assert any("krawczyk" in w for w in recheck(Certificate.from_dict(bad)))


def test_hopf_points_say_kind_hopf():
    cert = prove(Model.ode(["x", "y"], ["1 - (b + 1)*x + x**2*y", "b*x - x**2*y"], "b", range=["1.5", "2.5"]))
    entry = json.loads(cert.to_json())["hopf_points"][0]
    assert entry["kind"] == "hopf" and "theta" not in entry and "omega" in entry


def test_map_report_states_the_ns_theorem_and_compiles(tmp_path):
    from symhopf.report import compile_pdf
    from symhopf.report_maps import write_map_report
    model = logistic()
    cert = prove(model)
    path = write_map_report(cert, model, tmp_path / "dl.tex")
    text = path.read_text()
    assert "invariant closed curve" in text and "periodic orbit" not in text
    assert "Neimark--Sacker" in text and "Krawczyk" in text and "not} proved complete" in text
    assert cert.hopf_points[0].proof["Y"].replace("E", "") in text.replace(r"\,\allowbreak ", "").replace(r"\cdot 10^{", "")
    if shutil.which("pdflatex"):
        ok, message = compile_pdf(path)
        assert ok, message


def test_symhopf_prove_cli_on_a_map(tmp_path, capsys):
    from symhopf.cli import main
    path = tmp_path / "dl.toml"
    path.write_text('name = "dl"\n[system]\nvariables = ["x", "y"]\nparameter = "r"\nrhs = ["r*x*(1 - y)", "x"]\n'
                    'map = true\n[search]\nrange = [1.5, 2.5]\nbox = [0, 1]\n')
    assert main(["prove", str(path), "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "Neimark-Sacker" in out and "invariant closed curve" in out and "PROVED" in out
    assert main(["derive", str(path)]) == 0
    assert "map x_(k+1)" in capsys.readouterr().out


def test_map_key_must_be_boolean(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[system]\nvariables = ["x"]\nparameter = "r"\nrhs = ["r*x"]\nmap = "yes"\n')
    with pytest.raises(InputError, match="map: expected true or false"):
        Model.from_toml(path)


# ------------------------------------------------------------------ a moving branch
GRU = {"Wz": [["0.2", "-0.1", "0.1"], ["0.3", "0.1", "0.0"], ["0.0", "0.2", "-0.1"]], "bz": ["0.1", "-0.2", "0.3"],
       "Wh": [["0.5", "-1.2", "0.3"], ["1.0", "0.2", "-0.4"], ["0.1", "0.6", "0.3"]], "bh": ["0.05", "-0.1", "0.02"]}


def gru(tmp_path) -> Model:
    """x' = (1 - s) x + s tanh(a Wh x + bh), s = sigmoid(Wz x + bz), the data GRU (a model file in tmp_path)."""
    def toml(v):
        return json.dumps([[float(t) for t in r] for r in v]) if isinstance(v[0], list) else json.dumps([float(t) for t in v])
    path = tmp_path / "gru.toml"
    path.write_text('name = "gru"\n[rnn]\nformula = "(1 - sigmoid(Wz @ x + bz)) * x + sigmoid(Wz @ x + bz) * '
                    'tanh(a * (Wh @ x) + bh)"\nparameter = "a"\ntime = "discrete"\n[rnn.data]\n'
                    + "".join(f"{k} = {toml(v)}\n" for k, v in GRU.items()) + "[search]\nrange = [0.2, 2.0]\nbox = [-1, 1]\n")
    return Model.from_toml(path)


def test_gru_like_cell_with_biases_moving_branch(tmp_path):
    """x' = (1 - s) x + s tanh(a Wh x + bh), s = sigmoid(Wz x + bz): the fixed point moves with a. The NS
    point is recomputed here at 50 digits (mpmath findroot on F(x, a) = x, det(DF - e^{i theta} I) = 0 with
    DF by complex steps) and must lie in the enclosures."""
    cert = prove(gru(tmp_path))
    assert [p.status for p in cert.hopf_points] == ["proved"]
    p = cert.hopf_points[0]
    M = {k: mp.matrix([[mp.mpf(t) for t in r] for r in v]) if isinstance(v[0], list) else mp.matrix([mp.mpf(t) for t in v])
         for k, v in GRU.items()}

    def F(x, a):
        zs, hs = M["Wz"] * x + M["bz"], a * (M["Wh"] * x) + M["bh"]
        return mp.matrix([(1 - 1 / (1 + mp.exp(-zs[i]))) * x[i] + mp.tanh(hs[i]) / (1 + mp.exp(-zs[i]))
                          for i in range(3)])

    def DF(x, a, h=mp.mpf(10) ** -40):
        cols = [F(x + mp.matrix([1j * h if i == j else 0 for i in range(3)]), a) for j in range(3)]
        return mp.matrix([[mp.im(cols[j][i]) / h for j in range(3)] for i in range(3)])

    def eqs(x1, x2, x3, a, t):
        x = mp.matrix([x1, x2, x3])
        g = F(x, a) - x
        dt = mp.det(DF(x, a) - mp.exp(1j * t) * mp.eye(3))
        return [g[0], g[1], g[2], mp.re(dt), mp.im(dt)]

    mid = [float((Fraction(e[0]) + Fraction(e[1])) / 2) for e in [*p.x, p.parameter, p.theta]]
    sol = mp.findroot(eqs, mid)
    assert all(contains(e, sol[i]) for i, e in enumerate(p.x))
    assert contains(p.parameter, sol[3]) and contains(p.theta, sol[4])
    assert not contains(p.x[0], 0)          # the branch moves: x* != 0


# ------------------------------------------------------------------ attacks on the resonance and range checks
def _rotation(c: str, s: str, rng=("0.5", "1.5")) -> Model:
    """x -> a R x - (x^3, y^3), R = [[c, -s], [s, c]]: NS at a = 1 (if c^2 + s^2 = 1) with theta = atan2(s, c)."""
    return Model.ode(["x", "y"], [f"a*(({c})*x - ({s})*y) - x**3", f"a*(({s})*x + ({c})*y) - y**3"], "a",
                     range=list(rng), map=True, search={"box": ["-0.5", "0.5"]})


def test_exact_one_to_three_resonance_is_not_proved_and_a_near_one_is():
    """theta = 2 pi/3 exactly: not proved (1:3); theta = 2 pi/3 - ~1e-9 (cos = -1/2 + 1e-9, |R| = 1 kept): proved."""
    p = _only_candidate(_rotation("-1/2", "sqrt(3)/2"))
    assert p.status == "not_proved" and "1:3" in p.reason
    c = "-1/2 + 10**(-9)"
    p = _only_candidate(_rotation(c, f"sqrt(1 - ({c})**2)"))
    assert p.status == "proved", p.reason
    assert mp.mpf(p.theta[1]) < 2 * mp.pi / 3


def test_ns_point_on_the_end_of_the_range_is_not_proved():
    """The NS point a* = 1 proved, then checked against the range [1/2, 1] (its enclosure meets the end: not
    proved there) and [1/2, 2] (inside: proved), as symhopf.maps.prove_map does."""
    from types import SimpleNamespace

    from symhopf.proof.batch import in_range_or_not
    from symhopf.proof.neimark_sacker import prove_ns
    from symhopf.system import System
    system = System.from_model(_rotation("3/5", "4/5"))
    A = system.flt.Df(np.zeros(2), 1.0)
    w, V = np.linalg.eig(A)
    k = int(np.argmax(w.imag))
    cand = SimpleNamespace(x=np.zeros(2), a=1.0, theta=float(np.angle(w[k])), q=V[:, k])
    inside = in_range_or_not(prove_ns(system, cand), (Fraction(1, 2), Fraction(2)))
    assert inside.status == "proved"
    end = in_range_or_not(prove_ns(system, cand), (Fraction(1, 2), Fraction(1)))
    assert end.status == "not_proved" and "meets an end of the range" in end.reason and end.criticality is None
