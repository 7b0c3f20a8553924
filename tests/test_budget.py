"""The completeness budget is work (tube pieces), not time: deterministic, configurable, recorded."""
import json
import subprocess
import sys

from symhopf.api import prove
from symhopf.model import Model
from symhopf.proof.tube import BUDGET


def lorenz() -> Model:
    return Model.ode(["x", "y", "z"], ["sigma*(y - x)", "x*(rho - z) - y", "x*y - beta*z"], "rho",
                     constants={"sigma": 10, "beta": "8/3"}, range=[20, 30])


def _completeness(cert) -> list[dict]:
    return [b["completeness"] for b in cert.branches]


def test_same_budget_same_answer_and_a_tiny_budget_is_stated():
    m = lorenz()
    full = _completeness(prove(m))
    assert all(c["proved"] and c["budget"] == BUDGET and not c["budget_exhausted"] for c in full)
    used = max(c["pieces"] for c in full)
    for budget in (used, used - 1, 3):
        runs = [_completeness(prove(m, budget=budget)) for _ in range(2)]
        assert runs[0] == runs[1]
    at_used = _completeness(prove(m, budget=used))
    assert all(c["proved"] for c in at_used)
    short = _completeness(prove(m, budget=used - 1))
    stopped = [c for c in short if not c["proved"]]
    assert stopped and all(c["budget_exhausted"] and c["pieces"] == used - 1 for c in stopped)
    for c in _completeness(prove(m, budget=3)):
        assert not c["proved"] and c["budget_exhausted"] and c["budget"] == 3
        assert c["reason"].startswith("budget of 3 pieces exhausted")


def test_budget_on_the_command_line(tmp_path):
    model = tmp_path / "bruss.toml"
    model.write_text('name = "bruss"\n[system]\nvariables = ["x", "y"]\nparameter = "b"\nconstants = { a = 1 }\n'
                     'rhs = ["a - (b+1)*x + x**2*y", "b*x - x**2*y"]\n[search]\nrange = [1.5, 2.5]\n')
    cert = tmp_path / "c.json"
    cmd = [sys.executable, "-m", "symhopf.cli", "prove", str(model), "--quiet", "--json", str(cert)]
    out = subprocess.run(cmd + ["--budget", "2"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "completeness not proved: budget of 2 pieces exhausted" in out.stdout
    (br,) = json.loads(cert.read_text())["branches"]
    assert br["completeness"]["budget"] == 2 and br["completeness"]["budget_exhausted"]
    bad = subprocess.run(cmd + ["--budget", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--budget" in bad.stderr
