"""Property (issue 14): a mutated example model never crashes the CLI, never runs code and
stays within a memory bound.

Hypothesis takes the example model files, mutates them (drops keys, duplicates a line,
replaces values by strings, NaN, huge or tiny numbers, unicode, nested lists, hostile
formulas and names) and runs ``symhopf derive|generate|prove`` in-process: every run ends
with exit 0 or exit 2 and one line, no exception escapes, a marker file that hostile text
would create never appears, and the peak resident memory grows by less than the bound.
"""
import contextlib
import io
import json
import os
import resource
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from symhopf.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["brusselator.toml", "lorenz.toml", "leaky3_bias.toml", "asymmetric4.toml", "paper_n4.toml"]
DOCS = {name: tomllib.loads((ROOT / "examples" / name).read_text(), parse_float=Decimal) for name in EXAMPLES}
WORK = Path(tempfile.mkdtemp(prefix="symhopf-hostile-"))
MARKER = WORK / "PWNED"
MEMORY_BOUND_KB = 1_000_000   # peak RSS may grow by less than 1 GB in any one run

PAYLOAD = f"import os; os.system('touch {MARKER}')"
HOSTILE = [f'a"""; {PAYLOAD}; x="""', f"x*y #\"\"\"; {PAYLOAD}", f"__import__('os').system('touch {MARKER}')",
           "lambda", "if", "u0", "c0", "x0", "self", "9**9**9**9", "x**100000",
           "exp(1000*x)", "1e400*x", "tanh(z) + z**3", "sin", "erf", "1", "z", "\u00e9\u2603\U0001F600",
           "\x00", "a\\", "{{ x }}", "1/0", "nan", "1e-400"]
#: long text, drawn through a function so that Hypothesis's reports stay short
LONG = st.sampled_from(["nested", "long"]).map(lambda k: "(" * 300 + "x" + ")" * 300 if k == "nested" else "x" * 20000)
NUMBERS = [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("1e400"), Decimal("1e-400"),
           Decimal("1e300"), Decimal("-1e-300"), Decimal("0"), Decimal("1e-99999999999"), 0, 1, 2, 3, -1,
           10 ** 18, 2 ** 63 - 1, -2 ** 63, True, False]
LEAVES = st.one_of(st.text(max_size=12), st.sampled_from(NUMBERS), st.sampled_from(HOSTILE), LONG,
                   st.integers(-5, 5), st.decimals(allow_nan=False, places=3, min_value=-10, max_value=10))
VALUES = st.one_of(LEAVES,
                   st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4), max_leaves=10),
                   st.dictionaries(st.sampled_from(["n", "seed", "range", "x", "W", "\u00e9"]), LEAVES, max_size=3),
                   st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=3))


# ---------------------------------------------------------------- a small TOML writer
def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)          # JSON's escapes are TOML's
    if isinstance(v, Decimal):
        return {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(str(v), str(v)) \
            if not v.is_finite() else (str(v) if ("." in str(v) or "E" in str(v)) else str(v) + ".0")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict) -> str:
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in doc.items())


# ---------------------------------------------------------------- mutations
def paths(node, prefix=()):
    """Every (container, key) in a document, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        yield prefix + (k,)
        yield from paths(v, prefix + (k,))


def get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


NAMES = ["u0", "u1", "c0", "t0", "x0", "v1", "self", "numpy", "_b", "a", "x", "z", "\u00e9", "lambda", "if"]


def near(v):
    """A value of the same kind as ``v``, usually still valid."""
    if isinstance(v, bool) or not isinstance(v, (int, Decimal, str, list)):
        return VALUES
    if isinstance(v, (int, Decimal)):
        return st.one_of(st.sampled_from(NUMBERS), st.decimals(allow_nan=False, places=2, min_value=-5, max_value=5),
                         st.integers(-3, 3))
    if isinstance(v, list):
        return st.lists(st.sampled_from(v) if v else VALUES, max_size=len(v) + 1)
    return st.one_of(st.sampled_from(NAMES), st.sampled_from(HOSTILE), st.just(v + " + 0*x"), st.just(v))


def mutate(data, doc: dict) -> str:
    for _ in range(data.draw(st.integers(0, 3), label="mutations")):
        where = list(paths(doc))
        op = data.draw(st.sampled_from(["replace", "near", "near", "drop", "add"]), label="op")
        if not where:
            break
        path = data.draw(st.sampled_from(where), label="path")
        parent = get(doc, path[:-1])
        if op == "drop":
            parent.pop(path[-1])
        elif op == "replace":
            parent[path[-1]] = data.draw(VALUES, label="value")
        elif op == "near":
            parent[path[-1]] = data.draw(near(parent[path[-1]]), label="value")
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["name", "rhs", "activation", "weights_file", "random", "box",
                                              "equilibrium_guesses", "\u00e9", "layers"]), label="key")] = \
                data.draw(VALUES, label="value")
    text = to_toml(doc)
    if data.draw(st.sampled_from([False, False, False, True]), label="duplicate a line"):
        text += text.splitlines(keepends=True)[0] if text else ""
    return text


def _deep(v):
    if isinstance(v, dict):
        return {k: _deep(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_deep(x) for x in v]
    return v


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@settings(max_examples=int(os.environ.get("SYMHOPF_FUZZ_EXAMPLES", 150)), deadline=None, derandomize=not os.environ.get("SYMHOPF_FUZZ_EXAMPLES"), database=None,
          phases=[Phase.explicit, Phase.generate] if os.environ.get("SYMHOPF_FUZZ_EXAMPLES") else list(Phase),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(st.data())
def test_mutated_models_exit_0_or_2(data):
    example = data.draw(st.sampled_from(EXAMPLES), label="example")
    text = mutate(data, _deep(DOCS[example]))
    path = WORK / "model.toml"
    path.write_text(text, encoding="utf-8")
    command = data.draw(st.sampled_from(["prove", "prove", "derive", "generate"]), label="command")
    argv = {"prove": ["prove", str(path), "--quiet", "--json", str(WORK / "c.json")],
            "derive": ["derive", str(path), "--format", "json"],
            "generate": ["generate", str(path), "--out", str(WORK / "gen")]}[command]
    out, err = io.StringIO(), io.StringIO()
    before = peak_rss_kb()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    event(f"{command} exit {rc}")
    assert rc in (0, 2), (rc, err.getvalue())
    if rc == 2:
        line = err.getvalue()
        assert line.count("\n") == 1 and line.startswith("symhopf: error: ") and len(line) < 300, line
    else:
        assert "Traceback" not in err.getvalue()
    assert not MARKER.exists(), f"code ran from:\n{text}"
    assert peak_rss_kb() - before < MEMORY_BOUND_KB
