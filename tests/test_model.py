"""Model files and the Python API: exact data, validation (issue 3)."""
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
import re
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from flint import arb, ctx, fmpq

from symhopf.cli import main
from symhopf.errors import InputError
from symhopf.model import Model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def write(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- valid files
def test_examples_parse():
    b = Model.from_toml(EXAMPLES / "brusselator.toml")
    assert (b.kind, b.n, b.parameter, b.variables) == ("ode", 2, "b", ["x", "y"])
    assert b.constants == {"a": Fraction(1)}
    assert b.range == (Fraction(3, 2), Fraction(5, 2))

    lz = Model.from_toml(EXAMPLES / "lorenz.toml")
    assert (lz.n, lz.parameter) == (3, "rho")
    assert lz.constants == {"sigma": Fraction(10), "beta": Fraction(8, 3)}
    assert lz.range == (Fraction(20), Fraction(30))
    # the two guesses are the symmetric equilibria C+ and C-
    g = np.array(lz.equilibrium_guesses)
    assert g.shape == (2, 3) and np.allclose(g[0, :2], -g[1, :2]) and g[0, 0] > 0

    a4 = Model.from_toml(EXAMPLES / "asymmetric4.toml")
    assert (a4.kind, a4.architecture.name, a4.n, a4.parameter) == ("rnn", "asymmetric", 4, "alpha")
    assert a4.activation == sp.tanh(sp.Symbol("z", real=True))
    assert a4.direction_is_identity("")

    lk = Model.from_toml(EXAMPLES / "leaky3_bias.toml")
    assert (lk.architecture.name, lk.n) == ("leaky", 3)
    assert list(lk.data["b"].fractions()) == [Fraction(1, 5), Fraction(-1, 10), Fraction(1, 10)]


def test_rnn_examples_have_a_hopf_point_in_range():
    """The documented Hopf points (numerically) lie inside the example ranges."""
    a4 = Model.from_toml(EXAMPLES / "asymmetric4.toml")
    lam = np.linalg.eigvals(a4.data["W"].values)
    hopf = [-l.real for l in lam if l.imag > 0]   # tanh((W + a I) x): a* = -Re(lambda)
    lo, hi = (float(v) for v in a4.range)
    assert any(lo < h < hi for h in hopf)

    lk = Model.from_toml(EXAMPLES / "leaky3_bias.toml")
    W, b = lk.data["W"].values, lk.data["b"].values
    x, crossings, prev = np.zeros(3), [], None
    for a in np.linspace(float(lk.range[0]), float(lk.range[1]), 61):
        M = W + a * np.eye(3)
        for _ in range(30):  # Newton on -x + M tanh(x) + b = 0 along the branch
            J = -np.eye(3) + M * (1 - np.tanh(x) ** 2)
            x = x - np.linalg.solve(J, -x + M @ np.tanh(x) + b)
        ev = np.linalg.eigvals(J)
        mu = max(e.real for e in ev if abs(e.imag) > 1e-6)
        if prev is not None and prev * mu < 0:
            crossings.append(a)
        prev = mu
    assert len(crossings) == 1


def test_decimals_are_exact():
    m = Model.from_toml(EXAMPLES / "asymmetric4.toml")
    W = m.data["W"]
    assert W.exact[0, 0] == Fraction(1, 10) and W.exact[0, 0] != Fraction(0.1)
    assert W.values[0, 0] == 0.1
    with ctx.workprec(53):
        ball = m.ball_data()["W"][0, 0]
    with ctx.workprec(200):
        tight = m.ball_data()["W"][0, 0]
    with ctx.workprec(400):   # compare with 1/10 to 400 bits
        tenth = arb(fmpq(1, 10))
        assert ball.contains(tenth) and tight.contains(tenth)
        assert not arb(0.1).contains(tenth)   # the float 0.1 is another number
    assert ball.rad() > 0 and 0 < tight.rad() < 2.0 ** -190


def test_exact_constants_and_decimals_in_formulas(tmp_path):
    lz = Model.from_toml(EXAMPLES / "lorenz.toml")
    assert lz.constants["beta"] == Fraction(8, 3)
    p = write(tmp_path, 'name = "d"\n[system]\nvariables = ["x"]\nparameter = "c"\n'
                        'constants = { k = 0.3 }\nrhs = ["0.1*x - k*c + 2.5e-1*x**3"]\n')
    m = Model.from_toml(p)
    assert m.constants["k"] == Fraction(3, 10)
    x, c, k = (sp.Symbol(s, real=True) for s in "xck")
    assert m.rhs[0] == sp.Rational(1, 10) * x - k * c + sp.Rational(1, 4) * x**3
    assert not m.rhs[0].atoms(sp.Float)


def test_python_api_builds_the_same_model_as_the_file():
    rows = [[Decimal(s) for s in r.split()] for r in
            ("0.1 1.4 -0.6 -1.6", "-1.2 -0.2 0.9 0.5", "0.7 -1.0 0.1 1.1", "1.5 -0.4 -1.3 0.2")]
    api = Model.rnn("asymmetric", weights=rows, activation="tanh", parameter="alpha",
                    name="asymmetric4", range=["-0.05", "0.05"])
    file = Model.from_toml(EXAMPLES / "asymmetric4.toml")
    assert list(api.data["W"].fractions()) == list(file.data["W"].fractions())
    assert list(api.data["b"].fractions()) == list(file.data["b"].fractions())
    assert (api.parameter, api.range, api.activation, api.n) == (file.parameter, file.range, file.activation, file.n)
    assert api.structure_hash("0") == file.structure_hash("0")

    ode = Model.ode(["x", "y"], ["a - (b + 1)*x + x**2*y", "b*x - x**2*y"], "b", constants={"a": 1},
                    name="brusselator", range=[Decimal("1.5"), Decimal("2.5")])
    bf = Model.from_toml(EXAMPLES / "brusselator.toml")
    assert ode.rhs == bf.rhs and ode.constants == bf.constants and ode.range == bf.range
    assert ode.structure_hash("0") == bf.structure_hash("0")


def test_numpy_weights_are_their_binary_values():
    m = Model.rnn("leaky", weights=np.array([[0.1, 1.0], [-1.0, 0.0]]), range=[-1, 1])
    assert next(iter(m.data["W"].fractions())) == Fraction(0.1) != Fraction(1, 10)
    with ctx.workprec(53):
        assert m.ball_data()["W"][0, 0].rad() == 0


# ---------------------------------------------------------------- weight sources
def test_weights_file_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((4, 4)), rng.standard_normal(4)
    np.savez(tmp_path / "w.npz", W=W, b=b)
    path = write(tmp_path, 'name = "f"\n[rnn]\narchitecture = "leaky"\nparameter = "a"\n'
                           'weights_file = "w.npz"\n[search]\nrange = [0, 1]\n')
    m = Model.from_toml(path)
    assert np.array_equal(m.data["W"].values, W) and np.array_equal(m.data["b"].values, b)
    assert [Fraction(float(v)) for v in W.ravel()] == list(m.data["W"].fractions())
    # bias in the file is optional; a bias in the model file wins
    np.savez(tmp_path / "w.npz", W=W)
    path.write_text(path.read_text().replace('"w.npz"', '"w.npz"\nbias = [1, 2, 3, 4]'))
    assert list(Model.from_toml(path).data["b"].fractions()) == [1, 2, 3, 4]


def test_random_weights_are_reproducible(tmp_path):
    text = ('name = "r"\n[rnn]\narchitecture = "asymmetric"\nparameter = "a"\n'
            'random = {{ n = 6, seed = {seed}, perturbation = 0.1 }}\n')
    w1 = Model.from_toml(write(tmp_path, text.format(seed=80), "a.toml")).data["W"].values
    w2 = Model.from_toml(write(tmp_path, text.format(seed=80), "b.toml")).data["W"].values
    w3 = Model.from_toml(write(tmp_path, text.format(seed=81), "c.toml")).data["W"].values
    assert np.array_equal(w1, w2) and not np.array_equal(w1, w3)
    rng = np.random.default_rng(80)   # the documented recipe
    r1 = rng.standard_normal((6, 6))
    r2 = 0.1 * rng.standard_normal((6, 6))
    assert np.array_equal(w1, r1 - r1.T + r2)


# ---------------------------------------------------------------- bad input
RNN = 'name = "t"\n[rnn]\narchitecture = "{arch}"\nparameter = "a"\n{body}\n[search]\nrange = [{range}]\n'
ODE = 'name = "o"\n[system]\nvariables = ["x", "y"]\nparameter = "b"\n{body}\n'
SQUARE = "weights = [[0, 1], [-1, 0]]"


def rnn(body: str, arch: str = "asymmetric", range: str = "-1, 1") -> str:
    return RNN.format(arch=arch, body=body, range=range)


BAD = {
    "malformed TOML": 'name = "t"\n[rnn\narchitecture = "asymmetric"\n',
    "unknown top key": 'colour = "red"\n' + rnn(SQUARE),
    "unknown rnn key": rnn(SQUARE + '\nweigths = [[1]]'),
    "unknown search key": rnn(SQUARE) + "ranges = [0, 1]\n",
    "unknown system key": ODE.format(body='rhs = ["x", "y"]\nconstant = { c = 1 }'),
    "unknown architecture": rnn(SQUARE, arch="hopfield"),
    "both system and rnn": rnn(SQUARE) + '[system]\nvariables = ["x"]\nparameter = "b"\nrhs = ["x"]\n',
    "rhs shorter than variables": ODE.format(body='rhs = ["x"]'),
    "rhs longer than variables": ODE.format(body='rhs = ["x", "y", "x*y"]'),
    "unparsable rhs": ODE.format(body='rhs = ["x +* y", "y"]'),
    "unknown symbol": ODE.format(body='rhs = ["x + q", "y"]'),
    "unknown function": ODE.format(body='rhs = ["g(x)", "y"]'),
    "non-smooth rhs": ODE.format(body='rhs = ["Abs(x)", "y"]'),
    "NaN constant": ODE.format(body='rhs = ["c*x", "y"]\nconstants = { c = nan }'),
    "non-square weights": rnn("weights = [[0, 1, 2], [-1, 0, 3]]"),
    "ragged weights": rnn("weights = [[0, 1], [-1]]"),
    "string weight": rnn('weights = [[0, "one"], [-1, 0]]'),
    "NaN weight": rnn("weights = [[0, nan], [-1, 0]]"),
    "inf weight": rnn("weights = [[0, inf], [-1, 0]]"),
    "-inf weight": rnn("weights = [[0, 1], [-inf, 0]]"),
    "bias too long": rnn(SQUARE + "\nbias = [1, 2, 3]"),
    "bias too short": rnn(SQUARE + "\nbias = [1]", arch="leaky"),
    "reversed range": rnn(SQUARE, range="1, -1"),
    "empty range": rnn(SQUARE, range="0.5, 0.5"),
    "NaN range": rnn(SQUARE, range="nan, 1"),
    "activation Abs": rnn(SQUARE + '\nactivation = "Abs(z)"'),
    "activation Max": rnn(SQUARE + '\nactivation = "Max(z, 0)"'),
    "activation softsign": rnn(SQUARE + '\nactivation = "z/(1 + abs(z))"'),
    "activation unknown symbol": rnn(SQUARE + '\nactivation = "tanh(z + y)"'),
    "activation unknown function": rnn(SQUARE + '\nactivation = "relu"'),
    "activation singular": rnn(SQUARE + '\nactivation = "1/z"'),
    "missing weights file": rnn('weights_file = "nothere.npz"'),
    "weights file not npz": rnn('weights_file = "not.npz"'),
    "weights file without W": rnn('weights_file = "nobody.npz"'),
    "two weight sources": rnn(SQUARE + "\nrandom = { n = 3, seed = 1 }"),
    "unknown random key": rnn("random = { n = 3, seed = 1, sigma = 2 }"),
    "wrong parameter_direction shape": rnn(SQUARE + "\nparameter_direction = [[1, 0, 0]]"),
    "multilayer without layers": rnn("", arch="multilayer"),
    "code in a formula": ODE.format(body='rhs = ["__import__(\'pathlib\').Path(\'PWNED\').touch()", "y"]'),
    "builtin call in a formula": ODE.format(body='rhs = ["eval(chr(120))", "y"]'),
    "lambda in a formula": ODE.format(body='rhs = ["lambda: x", "y"]'),
}


#: a word the one-line reason must contain (the right check fired)
REASON = {
    "malformed TOML": "malformed TOML", "unknown top key": "colour", "unknown rnn key": "weigths",
    "unknown search key": "ranges", "unknown system key": "constant", "unknown architecture": "hopfield",
    "both system and rnn": "exactly one", "rhs shorter than variables": "expected 2 formulas",
    "rhs longer than variables": "expected 2 formulas", "unparsable rhs": "cannot parse",
    "unknown symbol": "unknown symbol(s) q", "unknown function": "unknown function(s) g",
    "non-smooth rhs": "C^3", "NaN constant": "non-finite", "non-square weights": "non-square",
    "ragged weights": "weights", "string weight": "not a number", "NaN weight": "non-finite",
    "inf weight": "non-finite", "-inf weight": "non-finite", "bias too long": "bias",
    "bias too short": "bias", "reversed range": "reversed", "empty range": "empty",
    "NaN range": "non-finite", "activation Abs": "C^3", "activation Max": "C^3",
    "activation softsign": "C^3", "activation unknown symbol": "unknown symbol(s) y",
    "activation unknown function": "unknown function(s) relu", "activation singular": "C^3",
    "missing weights file": "not found", "weights file not npz": "not a readable .npz",
    "weights file without W": "no array 'W'", "two weight sources": "only one of",
    "unknown random key": "sigma", "wrong parameter_direction shape": "parameter_direction",
    "multilayer without layers": "layers", "code in a formula": "unsupported",
    "builtin call in a formula": "eval(...) is not a mathematical function",
    "lambda in a formula": "Lambda",
}


def test_every_bad_case_has_a_reason():
    assert set(REASON) == set(BAD)


@pytest.fixture
def bad_dir(tmp_path):
    (tmp_path / "not.npz").write_text("this is not an npz archive\n")
    np.savez(tmp_path / "nobody.npz", V=np.eye(2))
    return tmp_path


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(case, bad_dir, capsys, monkeypatch):
    monkeypatch.chdir(bad_dir)
    path = write(bad_dir, BAD[case], "bad.toml")
    with pytest.raises(InputError, match=re.escape(REASON[case])):
        Model.from_toml(path)
    assert main(["derive", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symhopf: error: "), err
    assert "Traceback" not in err
    assert not (bad_dir / "PWNED").exists()


def test_missing_model_file(tmp_path, capsys):
    assert main(["derive", str(tmp_path / "none.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.toml" in err


def test_bad_input_in_a_subprocess_is_one_line(tmp_path):
    """The installed entry point: exit 2, one line on stderr, no traceback."""
    path = write(tmp_path, rnn(SQUARE + '\nactivation = "Max(z, 0)"'), "bad.toml")
    run = subprocess.run([sys.executable, "-m", "symhopf.cli", "derive", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("symhopf: error: ")
    assert "C^3" in run.stderr


@pytest.mark.parametrize("activation", ["atan(z)", "z/sqrt(1 + z**2)", "1/(1 + exp(-z))", "tanh"])
def test_smooth_activations_are_accepted(activation):
    m = Model.rnn("asymmetric", weights=[[0, 1], [-1, 0]], activation=activation)
    assert m.activation.has(sp.Symbol("z", real=True))


def test_python_api_validates_too():
    with pytest.raises(InputError):
        Model.rnn("asymmetric", weights=np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(InputError):
        Model.rnn("leaky", weights=np.eye(3), bias=np.zeros(2))
    with pytest.raises(InputError):
        Model.ode(["x"], ["x"], "b", range=[2, 1])
    with pytest.raises(InputError):
        Model.rnn("asymmetric", weights=np.eye(2), activation="Abs(z)")
