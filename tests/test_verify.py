"""``symhopf verify``: certificates re-verify; tampered ones are rejected, each with its reason."""
from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import pytest

import symhopf
from symhopf.certificate import Certificate
from symhopf.checker import verify
from symhopf.errors import InputError
from symhopf.model import Model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PROVER = ("symhopf.proof", "symhopf.search", "symhopf.runtime", "symhopf.codegen")


def bautin() -> Model:
    """l1 = 0 at b = 0: the prover reports the candidate as not proved."""
    return Model.ode(["x", "y"], ["b*x - y + x*(x**2 + y**2)**2", "x + b*y + y*(x**2 + y**2)**2"], "b",
                     range=["-1/2", "1/3"], name="bautin")


def scaled_gain() -> Model:
    """gain3 with a scalar datum: tanh(g a W x + b), g = 2 and the range halved (the same Hopf point at a/2)."""
    m = Model.from_toml(EXAMPLES / "gain3.toml")
    return Model.from_formula("-x + tanh(g * a * W @ x + b)", {"W": m.data["W"], "b": m.data["b"], "g": "2"},
                              range=["1/4", "3/2"], name="gain3-scaled")


def python_net() -> Model:
    """A net built in Python (no model file), decimal weights: 1/10 is not a binary number."""
    W = [["0.1", "1.4", "-0.6", "-1.6"], ["-1.4", "0.1", "0.9", "0.3"], ["0.6", "-0.9", "0.1", "1.2"],
         ["1.6", "-0.3", "-1.2", "0.1"]]
    return Model.rnn("leaky", weights=[[Decimal(v) for v in row] for row in W], bias=["1/10", "0", "-1/5", "0"],
                     parameter="alpha", range=["-2", "2"], name="python-net")


@lru_cache(maxsize=None)
def _cert(name: str) -> str:
    model = {"bautin": bautin, "python_net": python_net, "scaled_gain": scaled_gain}.get(name)
    return symhopf.prove(model() if model else Model.from_toml(EXAMPLES / f"{name}.toml")).to_json()


def cert(name: str) -> dict:
    return json.loads(_cert(name))


def rehash(d: dict) -> dict:
    data = d["embedded_model"]["data"]
    d["embedded_model"]["sha256"] = hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return d


def failures(d: dict) -> str:
    v = verify(d)
    assert not v.ok
    return "\n".join(v.failures)


#: every example model (presets single-layer and multilayer, formulas with a hidden layer, a sigmoid
#: gate, a time constant, weights from a safetensors file, general ODEs) and models built in Python
@pytest.mark.parametrize("name", ["brusselator", "lorenz", "leaky3_bias", "asymmetric4", "paper_n4", "paper_n6",
                                  "paper_weight_diagonal", "paper_weight_antisymmetric", "paper_multilayer",
                                  "gru2", "wilson_cowan", "gain3", "mlp_ode", "mlp_torch", "bautin", "python_net",
                                  "scaled_gain"])
def test_certificates_verify(name):
    d = cert(name)
    assert d["format"] == 2 and d["embedded_model"]["sha256"]
    v = verify(d)
    assert v.ok, v.failures
    assert len(v.verified) == sum(p["status"] == "proved" for p in d["hopf_points"])


def test_the_certificate_object_verifies_through_the_package():
    c = Certificate.from_json(_cert("brusselator"))
    assert symhopf.verify(c).ok
    assert c.range_exact == ["3/2", "5/2"] and Certificate.from_json(c.to_json()).to_json() == c.to_json()


def test_l1_digit_moved_off_the_true_value():
    d = cert("brusselator")                     # l1 = -1/2 exactly; the enclosure now ends below it
    d["hopf_points"][0]["first_lyapunov"][1] = "-0.5000000000001"
    assert "point 0: first Lyapunov coefficient l1: stated" in failures(d)


def test_parameter_enclosure_shifted():
    d = cert("leaky3_bias")
    lo, hi = (Fraction(s) for s in d["hopf_points"][0]["parameter"])
    d["hopf_points"][0]["parameter"] = [str(float(lo + 2 * (hi - lo))), str(float(hi + 2 * (hi - lo)))]
    assert "point 0: parameter: stated" in failures(d)


def test_family_omega_shifted():
    d = cert("paper_n6")
    lo, hi = (Fraction(s) for s in d["hopf_points"][1]["omega"])
    d["hopf_points"][1]["omega"] = [str(float(hi + (hi - lo))), str(float(hi + 3 * (hi - lo)))]
    assert "point 1: 0 eigenvalue(s) of the branch match the stated point" in failures(d)


def test_range_widened():
    d = cert("brusselator")
    d["range_exact"] = ["1", "5/2"]
    assert "range: range_exact [1, 5/2] is not the embedded model's range" in failures(d)


def test_parameter_name_changed():
    d = cert("brusselator")
    d["parameter"] = "a"
    assert "parameter 'a': not the embedded model's ('brusselator', 'b')" in failures(d)


def test_x_entry_changed():
    d = cert("lorenz")
    lo, hi = (Fraction(s) for s in d["hopf_points"][1]["x"][2])
    d["hopf_points"][1]["x"][2] = [str(float(lo + 3 * (hi - lo))), str(float(hi + 3 * (hi - lo)))]
    assert "point 1: x[2]: stated [" in failures(d)
    d["hopf_points"][1]["x"][2] = ["23.5", "23.6"]           # far off: no Krawczyk box at all
    assert "point 1: Krawczyk test fails" in failures(d)


def test_family_x_entry_changed():
    d = cert("paper_n4")
    d["hopf_points"][0]["x"][0] = ["0.5", "0.5"]
    assert "point 0: f(x0, a) = 0 on the whole range is not established exactly" in failures(d)


def test_weight_changed_in_the_embedded_model():
    d = cert("paper_n4")
    w = d["embedded_model"]["data"]["rnn"]["data"]["W"]
    w[0][1] = str(Fraction(w[0][1]) + Fraction(1, 1000))
    assert "embedded model: its SHA-256 is" in failures(d)
    rehash(d)                                   # a consistent hash does not help: the claims fail
    assert "point 0: 0 eigenvalue(s) of the branch match the stated point" in failures(d)


def test_formula_data_entry_changed_with_consistent_hash():
    d = cert("gru2")
    assert d["embedded_model"]["data"]["rnn"]["formula"] == "(1 - sigmoid(Wz @ x + bz)) * (tanh(a * (Wh @ x) + bh) - x)"
    d["embedded_model"]["data"]["rnn"]["data"]["Wh"][0][1] = "201/100"       # was 2
    assert failures(rehash(d)) == "point 0: Krawczyk test fails: K(X) is not inside X (coordinate 0)"
    d = rehash(cert("scaled_gain"))
    d["embedded_model"]["data"]["rnn"]["data"]["g"] = "21/10"                  # a scalar datum
    assert "point 0:" in failures(rehash(d))


def test_ode_constant_changed_with_consistent_hash():
    d = rehash(cert("brusselator"))
    d["embedded_model"]["data"]["system"]["constants"]["a"] = "11/10"
    assert "point 0:" in failures(rehash(d))


def test_status_flipped_to_proved_on_a_not_proved_candidate():
    d = cert("bautin")
    p = d["hopf_points"][0]
    assert p["status"] == "not_proved" and "l1" in p["reason"]
    p["status"], p["criticality"] = "proved", "supercritical"
    text = failures(d)
    assert "point 0:" in text and ("l1" in text or "first Lyapunov" in text)


def test_point_outside_the_range():
    d = cert("brusselator")                    # Hopf at b = 2; the range now ends at 19/10
    d["embedded_model"]["data"]["search"]["range"] = ["3/2", "19/10"]
    d["range_exact"] = ["3/2", "19/10"]
    assert "point 0: parameter enclosure [" in failures(rehash(d)) and "is not inside the range" in failures(d)


def test_branch_record_must_match_the_points():
    d = cert("lorenz")
    d["branches"][0]["hopf_points"] = [0, 1]
    assert "invalid or repeated Hopf point indices" in failures(d)
    d = cert("lorenz")
    d["branches"][0]["completeness"]["rests_on"]["proved_hopf_points"] = []
    assert "completeness rests on points []" in failures(d)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("format"), "format-1 certificate embeds no model"),
    (lambda d: d.update(format=3), "certificate format 3"),
    (lambda d: d.pop("embedded_model"), "does not embed its model"),
    (lambda d: d["hopf_points"][0].update(status="maybe"), "status 'proved' or 'not_proved'"),
    (lambda d: d["hopf_points"][0].update(parameter=["2", "x"]), "not a number"),
    (lambda d: d["hopf_points"][0].update(kind="fold"), "kind .fold. is not re-checked by this checker"),
    (lambda d: d["hopf_points"][0].update(kind="neimark-sacker"), "needs parameter, theta and x enclosures"),
    (lambda d: d["embedded_model"]["data"].update(rnn={"weights_file": "w.npz"}), "refers to a weights file"),
])
def test_bad_input_is_refused_with_a_message(change, message):
    d = copy.deepcopy(cert("brusselator"))
    change(d)
    with pytest.raises(InputError, match=message):
        verify(d)


@pytest.mark.parametrize("name", ["asymmetric4", "leaky3_bias", "paper_multilayer", "paper_weight_antisymmetric",
                                  "gru2", "wilson_cowan", "mlp_torch"])
def test_every_net_is_embedded_as_a_formula_with_exact_data(name):
    """Presets too: [rnn] formula + [rnn.data] ('p/q' strings); the round trip keeps structure and data."""
    from symhopf.certificate import embed_model, model_sha256

    model = Model.from_toml(EXAMPLES / f"{name}.toml")
    emb = embed_model(model)
    rnn = emb["data"]["rnn"]
    assert set(rnn) <= {"formula", "parameter", "activation", "data"} and rnn["formula"] == model.formula.text
    assert emb["sha256"] == model_sha256(emb["data"])
    back = Model.from_dict(json.loads(json.dumps(emb["data"])))
    assert back.structure_key() == model.structure_key() and sorted(back.data) == sorted(model.formula.data)
    for k in back.data:
        assert list(back.data[k].fractions()) == list(model.data[k].fractions())
    assert (back.range, back.parameter, back.activation_text) == (model.range, model.parameter, model.activation_text)


def test_preset_embedding_names_its_direction_only_when_not_identity():
    from symhopf.certificate import embed_model

    assert embed_model(Model.from_toml(EXAMPLES / "paper_n4.toml"))["data"]["rnn"]["formula"] == "s((W + alpha*I) @ x + b)"
    rnn = embed_model(Model.from_toml(EXAMPLES / "paper_weight_antisymmetric.toml"))["data"]["rnn"]
    assert rnn["formula"] == "s((W + alpha*E) @ x + b)" and sorted(rnn["data"]) == ["E", "W", "b"]


@pytest.mark.parametrize("case", ["gru2", "wilson-cowan", "gain3", "mlp-ode"])
def test_checker_jets_of_a_formula_agree_with_the_componentwise_system(case):
    """The checker's jets over the vector formula and over the hand-written componentwise [system]
    model (tests/test_formula.py) enclose the same derivatives, as tight balls."""
    from flint import acb, arb, ctx
    from test_formula import CASES, system_model

    from symhopf.checker.jets import Field, ball

    model = Model.from_toml(EXAMPLES / CASES[case][0])
    F, G = Field(model), Field(system_model(case, model))
    n = model.n
    with ctx.workprec(128):
        x = [arb(f"{(-1) ** i * (i + 1) / 7:.6f}") for i in range(n)]
        a = ball(sum(model.range) / 2 + Fraction(1, 3))
        u = [arb(1 + i) / 3 for i in range(n)]
        v = [arb(2 - i) / 5 for i in range(n)]
        q = [acb(arb(1) / (i + 2), arb(i - 1) / 3) for i in range(n)]
        qb = [t.conjugate() for t in q]
        for dirs in ([], ["I"], ["a"], ["a", "a"], ["a", "I"], [u, "I"], [u, v], ["a", u], [u, v, u], [q, q, qb],
                     ["a", q], [q, "I"]):
            got, want = F.D(x, a, dirs), G.D(x, a, dirs)
            pairs = [(got[i, j], want[i, j]) for i in range(n) for j in range(n)] if "I" in dirs else list(zip(got, want))
            for s, t in pairs:
                assert s.overlaps(t) and s.rad() < 1e-25, (dirs, s, t)
        shifted = F.D([t + arb("1e-15") for t in x], a, [u, v])         # the comparison can fail
        assert not all(s.overlaps(t) for s, t in zip(shifted, G.D(x, a, [u, v])))


def test_checker_refuses_an_x_dependent_matrix_term():
    """Its batch of n directions needs x in the last factor of every product: W @ x @ c @ d is refused."""
    from symhopf.checker.jets import Field, Unsupported

    m = Model.from_formula("-x + tanh(W @ x @ c @ d)", {"W": [["1", "2"], ["0", "1"]], "c": [["1", "2"]],
                                                         "d": [["1/2"], ["1/3"]]}, range=["0", "1"])
    with pytest.raises(Unsupported, match="has x in a factor other than the last"):
        Field(m)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symhopf.cli", *args], capture_output=True, text=True)


def test_cli_exit_codes(tmp_path):
    good, bad, junk = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "junk.json"
    good.write_text(_cert("brusselator"))
    d = cert("brusselator")
    d["hopf_points"][0]["first_lyapunov"][1] = "-0.5000000000001"
    bad.write_text(json.dumps(d))
    junk.write_text("{ not json")
    r = _run("verify", str(good))
    assert r.returncode == 0 and "every checked claim re-verified" in r.stdout
    r = _run("verify", str(bad))
    assert r.returncode == 1 and "FAILED    point 0: first Lyapunov coefficient l1" in r.stdout
    for path in (junk, tmp_path / "missing.json"):
        r = _run("verify", str(path))
        assert r.returncode == 2 and r.stderr.startswith("symhopf verify: error:") and "Traceback" not in r.stderr


def test_verify_loads_no_prover_module(tmp_path):
    """A process running `symhopf verify` imports nothing of the prover (issue 21)."""
    path = tmp_path / "n4.json"
    path.write_text(_cert("paper_n4"))
    code = ("import sys; from symhopf.cli import main; rc = main(['verify', sys.argv[1]]); "
            f"print([m for m in sys.modules if m.startswith({PROVER!r})]); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_checker_sources_import_no_prover_code():
    import ast

    for path in (Path(symhopf.__file__).parent / "checker").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                name = ("symhopf." if node.level else "") + (node.module or "")
                assert not any(p.split(".")[1] in name.split(".") for p in PROVER), (path, name)
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith(PROVER) for a in node.names), path


def test_crossing_just_outside_the_range_is_rejected():
    d = cert("brusselator")                    # Hopf at b = 2 exactly; the range now ends 1e-16 before it
    d["embedded_model"]["data"]["search"]["range"] = d["range_exact"] = ["3/2", "19999999999999999/10000000000000000"]
    assert "point 0: parameter enclosure [" in failures(rehash(d))


def test_criticality_flipped():
    d = cert("lorenz")                         # subcritical
    d["hopf_points"][0]["criticality"] = "supercritical"
    assert "point 0: criticality stated 'supercritical', but l1 is positive" in failures(d)


def test_report_prints_the_verify_command(tmp_path):
    cert_path, tex = tmp_path / "b.json", tmp_path / "b.tex"
    r = _run("prove", str(EXAMPLES / "brusselator.toml"), "--json", str(cert_path), "--report", str(tex), "--quiet")
    assert r.returncode == 0, r.stderr
    from symhopf.report import tex_tt

    assert tex_tt(f"symhopf verify {cert_path}") in tex.read_text()       # breakable after '/' (long paths)
    assert _run("verify", str(cert_path)).returncode == 0


def test_diagonalise_encloses_50_digit_eigenvalues_vectors_and_solves():
    import mpmath as mp
    import numpy as np
    from flint import acb, arb_mat, ctx

    from symhopf.checker.theorems import diagonalise

    rng = np.random.default_rng(5)
    W = rng.standard_normal((6, 6))
    mp.mp.dps = 50
    Wm = mp.matrix([[mp.mpf(float(v)) for v in row] for row in W])
    ev, _ = mp.eig(Wm)
    with ctx.workprec(128):
        eig = diagonalise(arb_mat(W.tolist()))
        for lam in ev:
            hits = [e for e in eig.E if e.contains(_acb(lam))]
            assert len(hits) == 1
        k = max(range(6), key=lambda j: float(eig.E[j].imag.mid()))
        r, l = eig.right(k), eig.left(k)
        lam = eig.E[k]
        for i in range(6):              # A r = lam r and l A = lam l, as balls
            assert sum((float(W[i, j]) * r[j] for j in range(6)), acb(0)).overlaps(lam * r[i])
            assert sum((l[j] * float(W[j, i]) for j in range(6)), acb(0)).overlaps(lam * l[i])
        y = [acb(1), acb(0), acb(-2), acb(0.5), acb(0), acb(3)]
        z = acb(0.25, 1)
        t = eig.solve(z, y, acb(0))
        exact = mp.lu_solve(mp.mpc(0.25, 1) * mp.eye(6) - Wm, mp.matrix([1, 0, -2, 0.5, 0, 3]))
        for i in range(6):
            assert t[i].contains(_acb(exact[i]))


@pytest.mark.parametrize("A", [[[1, 0], [0, 1]], [[1, 1], [0, 1]], [[0, 1e-30], [0, 0]]])
def test_diagonalise_refuses_multiple_eigenvalues(A):
    from flint import arb_mat, ctx

    from symhopf.checker.theorems import Failed, diagonalise

    with ctx.workprec(128), pytest.raises(Failed):
        diagonalise(arb_mat(A))


def _acb(z):
    """A tight ball around a 50-digit mpmath complex number."""
    import mpmath as mp
    from flint import acb, arb

    return acb(arb(mp.nstr(mp.re(z), 45)), arb(mp.nstr(mp.im(z), 45)))
