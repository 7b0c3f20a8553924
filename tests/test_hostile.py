"""Hostile and malformed input (issue 14): a model file is data.

No user text reaches generated source except through an escaper, no formula runs code,
and every malformed input ends in exit 2 with one short line (or a correct run).
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symhopf import api
from symhopf.cli import main
from symhopf.codegen.generate import (Code, environment, load_file, load_module, py_escape, py_str, render,
                                      source_key)
from symhopf.errors import InputError
from symhopf.model import Model, activation_bound

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

BRUSSELATOR = """name = {name}
[system]
variables = {variables}
parameter = {parameter}
constants = {constants}
rhs = {rhs}
[search]
range = [1.5, 2.5]
"""
VARIABLES, PARAMETER, CONSTANTS = '["x", "y"]', '"b"', "{ a = 1 }"
RHS = ["a - (b + 1)*x + x**2*y", "b*x - x**2*y"]
LEAKY = """name = "leaky"
[rnn]
architecture = "leaky"
parameter = {parameter}
activation = {activation}
weights = [[0.1, 2.0, -0.5], [-2.0, -0.2, 1.0], [0.5, -1.0, -0.8]]
bias = [0.2, -0.1, 0.1]
[search]
range = [1.0, 1.3]
"""


def toml_str(text: str) -> str:
    """A TOML basic string holding ``text`` (JSON's escapes are TOML's)."""
    return json.dumps(text)


def brusselator(name="brusselator", variables=VARIABLES, parameter=PARAMETER, constants=CONSTANTS, rhs=None):
    return BRUSSELATOR.format(name=toml_str(name), variables=variables, parameter=parameter,
                              constants=constants, rhs=json.dumps(rhs or RHS))


def leaky(activation="tanh", parameter="alpha"):
    return LEAKY.format(activation=toml_str(activation), parameter=toml_str(parameter))


def run(argv, capsys):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc, out, err, *words):
    assert rc == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("symhopf: error: "), err
    assert len(err) < 300, err
    for w in words:
        assert w in err, err


# ---------------------------------------------------------------- code execution
def hostile_texts(marker: Path) -> list[str]:
    """Text that would run ``touch marker`` if it were pasted into Python source unescaped."""
    p = f"import os; os.system('touch {marker}')"
    return [f'a"""; {p}; x="""', f"a'''; {p}; x='''", f'\\"""; {p}; #', "a\\", f'"""\n{p}\n"""',
            f'""" + __import__("os").system("touch {marker}") + """', f'\\N{{QUOTATION MARK}}"""; {p}',
            f"{{{{ {p} }}}} {{% raw %}}", "\u00fcn\u00efc\u00f8d\u00e9 \u2603 \U0001F600 \u202e", f"x\r{p}",
            f"x\u2028{p}", f"\x00{p}", f"\\x22\\x22\\x22; {p}"]


def module_skeleton(source: str) -> str:
    """The module's AST with every docstring emptied: what the template alone decides."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            node.body[0].value.value = ""
    return ast.dump(tree)


def top_level(source: str) -> list[str]:
    """Kind and name of every top-level statement and every method."""
    out = []
    for node in ast.parse(source).body:
        name = getattr(node, "name", None) or ",".join(ast.dump(t) for t in getattr(node, "targets", []))
        out.append(f"{type(node).__name__} {name}")
        out += [f"  {type(m).__name__} {getattr(m, 'name', '')}" for m in getattr(node, "body", [])
                if isinstance(node, ast.ClassDef)]
    return out


def imports(source: str) -> list[str]:
    return sorted(ast.dump(n) for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.Import, ast.ImportFrom)))


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "PWNED"
    yield path
    assert not path.exists(), "a model file ran code"


def hostile_models(marker: Path) -> list[tuple[str, str]]:
    """(where, model file text) with hostile text in every place a model file holds text."""
    cases = []
    for k, t in enumerate(hostile_texts(marker)):
        cases += [(f"name {k}", brusselator(name=t)),
                  (f"rhs comment {k}", brusselator(rhs=[RHS[0] + " #" + t, RHS[1]])),
                  (f"rhs {k}", brusselator(rhs=[t, RHS[1]])),
                  (f"constant key {k}", brusselator(constants="{ " + toml_str(t) + " = 1, a = 1 }")),
                  (f"constant value {k}", brusselator(constants="{ a = " + toml_str(t) + " }")),
                  (f"variable {k}", brusselator(variables=json.dumps(["x", t]))),
                  (f"parameter {k}", brusselator(parameter=toml_str(t))),
                  (f"activation {k}", leaky(activation=t)),
                  (f"activation comment {k}", leaky(activation="tanh(z) #" + t)),
                  (f"rnn parameter {k}", leaky(parameter=t))]
    greek = ["\u03b1", "\u00fd"]   # identifiers outside ASCII are names like any other
    cases.append(("unicode names", brusselator(variables=json.dumps(greek), parameter=toml_str("\u0142"),
                                               rhs=[r.replace("x", greek[0]).replace("y", greek[1]).replace("b", "\u0142")
                                                    for r in RHS])))
    return cases


def test_hostile_text_never_becomes_code(tmp_path, marker, capsys):
    """Every hostile model is refused (one line, exit 2) or renders to a module whose statements
    are exactly the benign module's, whose docstring holds the text verbatim, and which imports
    and runs without touching the marker."""
    models = {"ode": Model.from_toml(_write(tmp_path, brusselator(), "benign.toml")),
              "rnn": Model.from_toml(_write(tmp_path, leaky(), "benign_rnn.toml"))}
    benign = {k: render(m) for k, m in models.items()}
    rendered = refused = 0
    for k, (where, text) in enumerate(hostile_models(marker)):
        path = _write(tmp_path, text, f"m{k}.toml")
        try:
            model = Model.from_toml(path)
        except InputError:
            rc, out, err = run(["generate", path, "--out", tmp_path / "gen"], capsys)
            assert_one_line_error(rc, out, err)
            refused += 1
            continue
        source = render(model)
        if model.structure_hash("v") == models[model.kind].structure_hash("v"):
            assert module_skeleton(source) == module_skeleton(benign[model.kind]), where
        assert top_level(source) == top_level(benign[model.kind]), where
        assert imports(source) == imports(benign[model.kind]), where
        doc = ast.get_docstring(ast.parse(source), clean=False)
        assert model.name in doc and all(t in doc for t in model.rhs_text), where
        assert source.isascii(), where
        rc, out, err = run(["generate", path, "--out", tmp_path / "gen"], capsys)
        assert rc == 0, err
        load_file(Path(out.strip()), f"hostile_{k}")
        rendered += 1
    assert rendered >= 8 and refused >= 100   # both paths were exercised


def test_prove_imports_a_module_built_from_a_hostile_name(tmp_path, marker, capsys):
    names = [t for t in hostile_texts(marker) if t.isprintable()]
    assert len(names) >= 7
    for k, t in enumerate(names):
        rc, out, err = run(["prove", _write(tmp_path, brusselator(name=t), f"p{k}.toml"), "--quiet"], capsys)
        assert rc == 0, err
        assert out.startswith(t + ": 1 Hopf candidate(s)") and "PROVED" in out


@pytest.mark.parametrize("rhs", ['x*y #"""; import os', "x*y  # a comment", "x # comment\n"])
def test_comments_in_formulas_are_refused(tmp_path, rhs, capsys):
    rc, out, err = run(["derive", _write(tmp_path, brusselator(rhs=[rhs, RHS[1]]))], capsys)
    assert_one_line_error(rc, out, err, "comments (#) are not allowed")


def test_code_templates_print_only_code_and_escaped_text():
    env = environment()
    with pytest.raises(TypeError, match="raw str"):
        env.from_string("x = {{ v }}").render(v="1; import os")
    assert env.from_string("x = {{ v }}").render(v=Code("t0 + 1")) == "x = t0 + 1"
    assert env.from_string("x = {{ v }}").render(v=3) == "x = 3"
    assert env.from_string("x = {{ v | pystr }}").render(v='a"b') == 'x = "a\\"b"'


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(st.characters(exclude_categories=())))
def test_escaped_literals_round_trip(text):
    literal, body = str(py_str(text)), str(py_escape(text))   # plain str: Markup's + would HTML-escape
    assert ast.literal_eval(literal) == text
    assert ast.literal_eval('"""' + body + '"""') == text
    assert body.isascii() and "\n" not in body and '"' not in body.replace('\\"', "")


# ---------------------------------------------------------------- the module cache
def test_cache_never_serves_another_model_text(tmp_path):
    """Models that share a structure but differ in text that reaches the source get their own
    module (same STRUCTURE_HASH, different source key); whenever two sources differ, so do keys."""
    variants = {
        "base": brusselator(),
        "name": brusselator(name="other name"),
        "text": brusselator(rhs=["a - b*x - x + y*x**2", RHS[1]]),
        "vars": brusselator(variables='["p", "q"]', rhs=["a - (b + 1)*p + p**2*q", "b*p - p**2*q"]),
        "parameter": brusselator(parameter='"c"', rhs=["a - (c + 1)*x + x**2*y", "c*x - x**2*y"]),
        "constant": brusselator(constants='{ a = "1" }'),
        "rnn alpha": leaky(), "rnn beta": leaky(parameter="beta"), "rnn tanh(z)": leaky(activation="tanh(z)"),
    }
    models = {k: Model.from_toml(_write(tmp_path, t, f"{k.replace(' ', '_')}.toml")) for k, t in variants.items()}
    sources = {k: render(m) for k, m in models.items()}
    for k1, m1 in models.items():
        for k2, m2 in models.items():
            if k1 < k2 and sources[k1] != sources[k2]:
                assert source_key(m1) != source_key(m2), (k1, k2)
    assert models["name"].structure_hash("v") == models["base"].structure_hash("v")
    for k in ("name", "rnn beta"):
        assert sources[k] != sources["base" if k == "name" else "rnn alpha"]
    for k, m in models.items():
        module = load_module(m)
        assert module.__doc__ == ast.get_docstring(ast.parse(sources[k]), clean=False), k


# ---------------------------------------------------------------- no tracebacks
def _write(tmp_path: Path, text: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_binary_model_file(tmp_path, capsys):
    path = tmp_path / "binary.toml"
    path.write_bytes(b'name = "\xff\xfe\x00"\n')
    assert_one_line_error(*run(["prove", path], capsys), "not UTF-8")


@pytest.mark.parametrize("text, words", [
    ("a = " + "9" * 5000, "malformed TOML"),
    ("a = " + "[" * 5000, "malformed TOML"),
])
def test_toml_the_parser_chokes_on(tmp_path, text, words, capsys):
    assert_one_line_error(*run(["derive", _write(tmp_path, text)], capsys), words)


def test_endless_model_file_is_refused_unread(capsys):
    assert_one_line_error(*run(["derive", "/dev/zero"], capsys), "larger than 256 MiB")


def test_model_path_is_a_directory(tmp_path, capsys):
    assert_one_line_error(*run(["derive", tmp_path], capsys), "is a directory")


@pytest.mark.parametrize("rhs", ["a - (b + 1e400)*x + x**2*y", "1e-400*x + a - (b + 1)*x + x**2*y",
                                 "a - (b + 1e300*1e300)*x + x**2*y"])
def test_numbers_beyond_float64_in_formulas(tmp_path, rhs, capsys):
    rc, out, err = run(["prove", _write(tmp_path, brusselator(rhs=[rhs, RHS[1]]))], capsys)
    assert_one_line_error(rc, out, err, "out of range")


@pytest.mark.parametrize("rng", [("1e400", "1e401"), ("1", "1e-99999999999"), ("0", "1e301")])
def test_range_beyond_float64(tmp_path, rng, capsys):
    rc, out, err = run(["prove", _write(tmp_path, brusselator()), "--range", *rng], capsys)
    assert_one_line_error(rc, out, err, "out of range")


@pytest.mark.parametrize("value", ["1e-99999999999", "1e400", "-1e99999999"])
def test_huge_exponents_in_model_numbers_are_refused_without_work(tmp_path, value, capsys):
    rc, out, err = run(["derive", _write(tmp_path, brusselator(constants="{ a = " + value + " }"))], capsys)
    assert_one_line_error(rc, out, err, "out of range")


@pytest.mark.parametrize("rhs, words", [("9**9**9**9", "number too large"), ("(x + y)**100000", "exponent"),
                                        ("x**(10**9)", "exponent"), ("sin(x, y)", "wrong arguments")])
def test_formulas_that_would_exhaust_time_or_memory(tmp_path, rhs, words, capsys):
    rc, out, err = run(["derive", _write(tmp_path, brusselator(rhs=[rhs, RHS[1]]))], capsys)
    assert_one_line_error(rc, out, err, words)


@pytest.mark.parametrize("activation", ["1", "0", "2 + pi"])
def test_constant_activation(tmp_path, activation, capsys):
    assert_one_line_error(*run(["prove", _write(tmp_path, leaky(activation=activation))], capsys), "constant")


@pytest.mark.parametrize("activation, bound", [("erf", 1.0), ("sin", 1.0), ("cos", 1.0), ("tanh", 1.0),
                                               ("atan", float(sp.pi / 2)), ("z", None), ("exp", None)])
def test_activation_bound(activation, bound):
    got = activation_bound(Model.rnn("leaky", weights=np.eye(2), activation=activation).activation)
    if bound is None:
        assert got is None
    else:
        assert bound <= got <= bound * (1 + 1e-6)


@pytest.mark.parametrize("activation", ["erf", "sin", "cos"])
def test_leaky_nets_with_erf_sin_cos_run(tmp_path, activation, capsys):
    rc, out, err = run(["prove", _write(tmp_path, leaky(activation=activation)), "--quiet",
                        "--json", tmp_path / "c.json"], capsys)
    assert rc == 0, err
    cert = json.loads((tmp_path / "c.json").read_text())
    assert all(b["completeness"]["reason"] is not None or b["completeness"]["proved"] for b in cert["branches"])
    if activation != "cos":   # erf and sin nets have the tanh net's Hopf point, moved
        assert any(p["status"] == "proved" for p in cert["hopf_points"])


def test_one_dimensional_ode_runs(tmp_path, capsys):
    """x' = a - x^2: a fold at a = 0 and no Hopf point (a 1 x 1 Jacobian has a real eigenvalue)."""
    text = '[system]\nvariables = ["x"]\nparameter = "a"\nrhs = ["a - x**2"]\n[search]\nrange = [-1, 1]\n'
    rc, out, err = run(["prove", _write(tmp_path, text), "--quiet", "--json", tmp_path / "c.json"], capsys)
    assert rc == 0, err
    cert = json.loads((tmp_path / "c.json").read_text())
    assert cert["hopf_points"] == [] and cert["branches"]
    assert all(b["completeness"]["proved"] for b in cert["branches"])


def _weights_file_model(tmp_path: Path, file: str) -> Path:
    return _write(tmp_path, f'[rnn]\narchitecture = "leaky"\nparameter = "a"\nweights_file = "{file}"\n'
                            "[search]\nrange = [1, 2]\n")


def test_weights_file_npy(tmp_path, capsys):
    np.save(tmp_path / "w.npy", np.eye(3))
    rc, out, err = run(["prove", _weights_file_model(tmp_path, "w.npy")], capsys)
    assert_one_line_error(rc, out, err, "single .npy array", "numpy.savez(path, W=W, b=b)")


def test_weights_file_without_w_lists_the_arrays(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", V=np.eye(3), bias=np.zeros(3))
    rc, out, err = run(["prove", _weights_file_model(tmp_path, "w.npz")], capsys)
    assert_one_line_error(rc, out, err, "no array 'W'", "'V'", "'bias'")


def test_weights_file_is_a_directory(tmp_path, capsys):
    (tmp_path / "w.npz").mkdir()
    assert_one_line_error(*run(["prove", _weights_file_model(tmp_path, "w.npz")], capsys), "directory")


def test_huge_random_net_is_refused_with_its_memory_estimate(tmp_path, capsys):
    text = '[rnn]\narchitecture = "leaky"\nparameter = "a"\nrandom = {n = 100000, seed = 1}\n[search]\nrange = [1, 2]\n'
    rc, out, err = run(["prove", _write(tmp_path, text)], capsys)
    assert_one_line_error(rc, out, err, "random.n = 100000", "GiB", "practical sizes are n <= 2000")


def test_large_nets_are_announced_up_front(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(api, "PRACTICAL_NEURONS", 2)
    rc, out, err = run(["prove", EXAMPLES / "leaky3_bias.toml"], capsys)
    assert rc == 0
    assert err.startswith("symhopf: note: n = 3 is beyond the practical n <= 2000 (29 s, 2.8 GB there): "
                          "expect about 5.87e-06 GiB of memory")
    rc, out, err = run(["prove", EXAMPLES / "leaky3_bias.toml", "--quiet"], capsys)
    assert rc == 0 and err == ""


def test_search_reports_progress_seed_by_seed():
    """A large net spends minutes per seed parameter in Newton solves: the bar moves per seed."""
    from symhopf.search import find_candidates
    from symhopf.system import load

    seen = []
    find_candidates(load(EXAMPLES / "leaky3_bias.toml"), progress=lambda stage, f: seen.append((stage, f)))
    fractions = [f for stage, f in seen if stage == "branches"]
    assert fractions == sorted(fractions) and len(fractions) > 50
    assert sum(f * 5 % 1 != 0 for f in fractions) > 40   # not only at the 5 seed parameters


@pytest.mark.parametrize("flag", ["--json", "--report"])
def test_outputs_into_a_missing_directory_or_onto_a_directory(tmp_path, flag, capsys):
    model = _write(tmp_path, brusselator())
    suffix = ".json" if flag == "--json" else ".tex"
    assert_one_line_error(*run(["prove", model, flag, tmp_path / "missing" / f"c{suffix}"], capsys), "does not exist")
    (tmp_path / "dir").mkdir()
    assert_one_line_error(*run(["prove", model, flag, tmp_path / "dir"], capsys), "is a directory")


def test_generate_out_onto_a_file(tmp_path, capsys):
    model = _write(tmp_path, brusselator())
    assert_one_line_error(*run(["generate", model, "--out", model], capsys), "is a file")
    assert_one_line_error(*run(["generate", model, "--out", model / "sub"], capsys), "cannot create")


@pytest.mark.parametrize("flag", ["--pdf", "--appendix"])
def test_pdf_and_appendix_need_report(tmp_path, flag, capsys):
    assert_one_line_error(*run(["prove", _write(tmp_path, brusselator()), flag], capsys), f"{flag} needs --report")


def test_deep_nesting_is_one_short_line_with_the_reason(tmp_path, capsys):
    rhs = "(" * 3000 + "x" + ")" * 3000
    rc, out, err = run(["derive", _write(tmp_path, brusselator(rhs=[rhs, RHS[1]]))], capsys)
    assert_one_line_error(rc, out, err, "too many nested parentheses")
    for rhs in ("-" * 5000 + "x", "+".join(["x"] * 3000), "sin(" * 150 + "x" + ")" * 150):
        rc, out, err = run(["derive", _write(tmp_path, brusselator(rhs=[rhs, RHS[1]]))], capsys)
        assert_one_line_error(rc, out, err, "nested")
    rc, out, err = run(["derive", _write(tmp_path, brusselator(rhs=["x" * 20000, RHS[1]]))], capsys)
    assert_one_line_error(rc, out, err, "too long")


@pytest.mark.parametrize("where", ["variables", "parameter", "constants", "rnn parameter"])
@pytest.mark.parametrize("word", ["lambda", "if", "None", "class"])
def test_reserved_words_as_names(tmp_path, where, word, capsys):
    text = {"variables": brusselator(variables=json.dumps(["x", word])),
            "parameter": brusselator(parameter=toml_str(word)),
            "constants": brusselator(constants="{ " + word + " = 1, a = 1 }"),
            "rnn parameter": leaky(parameter=word)}[where]
    assert_one_line_error(*run(["derive", _write(tmp_path, text)], capsys), f"{word!r} is a reserved word")


def test_names_python_would_read_differently(tmp_path, capsys):
    """Python reads the identifier \ufb01 (the fi ligature) in a formula as fi."""
    text = brusselator(variables=json.dumps(["\ufb01", "y"]), rhs=["a - (b + 1)*\ufb01", "b*\ufb01 - y"])
    assert_one_line_error(*run(["derive", _write(tmp_path, text)], capsys), "as 'fi'")


def test_library_warnings_do_not_reach_the_terminal(tmp_path):
    """exp overflows in the float search: no raw RuntimeWarning, one line in the summary."""
    text = ('[system]\nvariables = ["x", "y"]\nparameter = "a"\n'
            'rhs = ["a*x - y + exp(100*x*y) - 1", "x + a*y - y*(x**2 + y**2)"]\n[search]\nrange = [-1, 1]\n')
    run_ = subprocess.run([sys.executable, "-m", "symhopf.cli", "prove", str(_write(tmp_path, text)), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert run_.returncode == 0, run_.stderr
    assert run_.stderr == ""
    assert "note: numpy met non-finite values (overflow encountered" in run_.stdout
    assert "a = 0  omega = 1" in run_.stdout and "PROVED" in run_.stdout


def test_hostile_name_reaches_the_latex_report_escaped(tmp_path, capsys):
    name = r"\input{/etc/passwd} \immediate\write18{touch PWNED} $x$ % # & ~ ^ _ { } \end{document}"
    report = tmp_path / "r.tex"
    rc, out, err = run(["prove", _write(tmp_path, brusselator(name=name)), "--quiet", "--report", report], capsys)
    assert rc == 0, err
    tex = report.read_text()
    for raw in (r"\input{/etc", r"\write18", r"\immediate", "$x$", r"\end{document} ", "% #"):
        assert raw not in tex, raw
    assert r"\char92{}input\char123{}/etc/passwd\char125{}" in tex


@pytest.mark.parametrize("rhs, words", [("(x + y + a)**100", None), ("sin(" * 10 + "x" + ")" * 10, None),
                                        ("sin(" * 11 + "x" + ")" * 11, "functions nested more than 10 deep")])
def test_formulas_whose_derivatives_could_explode(tmp_path, rhs, words, capsys):
    """Powers of sums stay unexpanded in B and C; function nesting is bounded."""
    rc, out, err = run(["derive", _write(tmp_path, brusselator(rhs=[rhs, RHS[1]]))], capsys)
    if words is None:
        assert rc == 0 and "B_u = " in out
    else:
        assert_one_line_error(rc, out, err, words)
