"""Model: one system with one bifurcation parameter, as exact data.

Built from a TOML model file (``Model.from_toml``) or in Python
(``Model.ode(...)``, ``Model.rnn(...)``). Every number is exact: a decimal
``0.1`` in a model file means 1/10, a float given in Python means its binary
value. Bad input raises :class:`~symhopf.errors.InputError`.
"""
from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import sympy as sp

from .architectures import ARCHITECTURES, RNNArchitecture
from .errors import InputError
from .exact import ExactArray, to_fraction
from .formula import (FUNCTIONS, VectorFormula, check_name, equilibrium_radius, names_in,
                      check_scalars, parse_vector_formula, precompute)
from .parsing import check_name as check_identifier, parse_formula, show
from .weights import load_weights

TOP_KEYS = {"name", "system", "rnn", "search"}
SYSTEM_KEYS = {"variables", "parameter", "constants", "rhs", "map"}
RNN_KEYS = {"architecture", "activation", "weights", "weights_file", "bias", "parameter",
            "parameter_direction", "random", "layers", "formula", "data", "names", "time"}
#: [rnn] keys of a formula model (the others belong to the presets)
FORMULA_KEYS = {"formula", "parameter", "activation", "data", "weights_file", "names", "time"}
LAYER_KEYS = {"weights", "bias", "parameter_direction"}
SEARCH_KEYS = {"range", "equilibrium_guesses", "box"}
RANDOM_KEYS = {"n", "seed", "perturbation"}

Z = sp.Symbol("z", real=True)

#: nets up to this size prove in under a minute and 3 GB on 2 cores (bench/README.md: n = 2000,
#: 29 s, 2.8 GB); beyond it time grows like n^3, memory like n^2, and `prove` says so first
PRACTICAL_NEURONS = 2000
#: peak memory of a proof per weight, measured (2.8 GB / 2000^2 at n = 2000, bench/README.md)
RUN_BYTES_PER_WEIGHT = 700
#: a model file larger than this is refused unread (weights that large belong in a weights_file)
MAX_MODEL_BYTES = 256 * 2**20
#: no net larger than this is drawn at random when the machine's memory is unknown
MAX_NEURONS = 20000


def _check_keys(table: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(show(k, 24) for k in unknown[:5])} "
                         f"(allowed: {', '.join(sorted(allowed))})")
    return table


def _name(value: Any, what: str) -> str:
    return check_identifier(value, what)


def _model_name(value: Any) -> str:
    """The model's name: a short line of printable text (it is shown, and escaped wherever it is written)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or not value.isprintable():
        raise InputError("name: expected a non-empty line of at most 200 printable characters")
    return value


@dataclass
class Search:
    """Where to look: the parameter range, seeds and box for equilibria."""

    range: tuple[Fraction, Fraction] | None = None
    equilibrium_guesses: list[list[float]] = field(default_factory=list)
    box: tuple[np.ndarray, np.ndarray] | None = None
    #: the box as the user wrote it (exact; ``box`` holds the nearest floats, for the float search)
    box_exact: tuple[list[Fraction], list[Fraction]] | None = None

    @classmethod
    def parse(cls, table: dict | None, n: int) -> "Search":
        table = _check_keys(table or {}, SEARCH_KEYS, "[search]")
        rng = None
        if "range" in table:
            r = table["range"]
            if not isinstance(r, (list, tuple)) or len(r) != 2:
                raise InputError("[search] range: expected [lo, hi]")
            lo, hi = (to_fraction(v, "[search] range") for v in r)
            if not lo < hi:
                raise InputError(f"[search] range: empty or reversed range [{float(lo):.17g}, {float(hi):.17g}]")
            rng = (lo, hi)
        guesses = []
        if not isinstance(table.get("equilibrium_guesses", []), list):
            raise InputError("[search] equilibrium_guesses: expected a list of points")
        for g in table.get("equilibrium_guesses", []):
            if not isinstance(g, (list, tuple)) or len(g) != n:
                raise InputError(f"[search] equilibrium_guesses: each guess needs {n} numbers")
            guesses.append([float(to_fraction(v, "[search] equilibrium_guesses")) for v in g])
        box, box_exact = None, None
        if "box" in table:
            b = table["box"]
            if not isinstance(b, list) or not b:
                raise InputError("[search] box: expected [lo, hi] or one [lo, hi] per variable")
            try:
                rows = [[to_fraction(v, "[search] box") for v in row] for row in b] \
                    if isinstance(b[0], (list, tuple)) else [[to_fraction(v, "[search] box") for v in b]] * n
            except InputError:
                raise
            except (TypeError, IndexError, ValueError):   # ragged rows
                raise InputError("[search] box: expected [lo, hi] or one [lo, hi] per variable") from None
            if len(rows) != n or any(len(r) != 2 or not r[0] < r[1] for r in rows):
                raise InputError("[search] box: expected [lo, hi] (lo < hi) or one per variable")
            box_exact = ([r[0] for r in rows], [r[1] for r in rows])
            box = tuple(np.array([float(v) for v in side]) for side in box_exact)
            if not np.all(box[0] < box[1]):
                raise InputError("[search] box: lo and hi round to the same float64")
        return cls(rng, guesses, box, box_exact)


#: ``sp.srepr`` by expression object (kept, so that its id is not reused): SymPy expressions are
#: immutable, and ``structure_key`` is asked several times per model (cache key, structure hash, embedding)
_SREPR: dict[int, tuple[sp.Basic, str]] = {}


def _srepr(expr: sp.Basic) -> str:
    """``sp.srepr(expr)``, computed once per expression object."""
    hit = _SREPR.get(id(expr))
    if hit is None or hit[0] is not expr:
        if len(_SREPR) > 4096:
            _SREPR.clear()
        hit = _SREPR[id(expr)] = (expr, sp.srepr(expr))
    return hit[1]


@dataclass
class Model:
    """A validated model. ``kind`` is "ode" (componentwise formulas) or "rnn" (structured)."""

    name: str
    kind: str
    parameter: str
    n: int
    search: Search
    # general ODE
    variables: list[str] = field(default_factory=list)
    constants: dict[str, Fraction] = field(default_factory=dict)
    rhs_text: list[str] = field(default_factory=list)
    rhs: list[sp.Expr] = field(default_factory=list)
    # RNN: a vector formula in x and named data (the presets are formulas too)
    formula: VectorFormula | None = None
    architecture: RNNArchitecture | None = None
    layers: int = 1
    activation_text: str = ""
    activation: sp.Expr | None = None
    data: dict[str, ExactArray] = field(default_factory=dict)
    dims: list[int] = field(default_factory=list)
    #: the formula's Precomputed matrices (e.g. R1 - R1.T + R2), exact, by name (formula.precompute)
    derived: dict[str, ExactArray] = field(default_factory=dict)
    #: a map x_{k+1} = F(x_k, a) (``[system] map = true``, ``[rnn] time = "discrete"``; docs/maps.md)
    map: bool = False

    # ---------------------------------------------------------------- building
    @classmethod
    def from_toml(cls, path: str | Path) -> "Model":
        """Read a model file; decimals are exact (``0.1`` is 1/10)."""
        path = Path(path)
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_MODEL_BYTES + 1)
            if len(data) > MAX_MODEL_BYTES:
                raise InputError(f"{path}: model file larger than {MAX_MODEL_BYTES // 2**20} MiB; "
                                 "put large weights in a weights_file")
            doc = tomllib.loads(data.decode(), parse_float=Decimal)
        except InputError:
            raise
        except FileNotFoundError:
            raise InputError(f"{path}: no such model file") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: malformed TOML: {exc}") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a text model file (not UTF-8)") from None
        except (ValueError, RecursionError) as exc:   # an integer of > 4300 digits, arrays nested too deeply
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(":")[0]
            raise InputError(f"{path}: malformed TOML: {reason}") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory, not a model file") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from None
        return cls.from_dict(doc, base_dir=path.parent, default_name=path.stem)

    @classmethod
    def from_dict(cls, doc: dict, base_dir: Path = Path("."), default_name: str = "model") -> "Model":
        _check_keys(doc, TOP_KEYS, "model file")
        name = _model_name(doc.get("name", default_name))
        if ("system" in doc) == ("rnn" in doc):
            raise InputError("model file: expected exactly one of [system] or [rnn]")
        if "system" in doc:
            s = _check_keys(doc["system"], SYSTEM_KEYS, "[system]")
            for key in ("variables", "parameter", "rhs"):
                if key not in s:
                    raise InputError(f"[system]: missing key {key!r}")
            if not isinstance(s.get("map", False), bool):
                raise InputError("[system] map: expected true or false")
            return cls.ode(s["variables"], s["rhs"], s["parameter"], constants=s.get("constants"),
                           name=name, search=doc.get("search"), map=s.get("map", False))
        r = _check_keys(doc["rnn"], RNN_KEYS, "[rnn]")
        return cls._rnn_from_table(r, base_dir, name, doc.get("search"))

    @classmethod
    def ode(cls, variables: Sequence[str], rhs: Sequence[str], parameter: str,
            constants: dict[str, Any] | None = None, name: str = "ode",
            range: Sequence[Any] | None = None, equilibrium_guesses: Sequence[Sequence[float]] | None = None,
            search: dict | None = None, map: bool = False) -> "Model":
        """A general ODE x' = f(x, a) given by SymPy-parsable strings (``map``: the map x -> f(x, a))."""
        if not isinstance(variables, (list, tuple)) or not variables:
            raise InputError("[system] variables: expected a non-empty list of names")
        variables = [_name(v, "[system] variables") for v in variables]
        if len(set(variables)) != len(variables):
            raise InputError("[system] variables: repeated name")
        parameter = _name(parameter, "[system] parameter")
        if not isinstance(constants or {}, dict):
            raise InputError("[system] constants: expected a table of name = number")
        constants = dict(constants or {})
        consts = {_name(k, "[system] constants"): to_fraction(v, f"[system] constants.{k}") for k, v in constants.items()}
        clash = ({parameter} | set(consts)) & set(variables) or ({parameter} & set(consts))
        if clash:
            raise InputError(f"[system]: name(s) used twice: {', '.join(sorted(clash))}")
        if not isinstance(rhs, (list, tuple)) or len(rhs) != len(variables):
            raise InputError(f"[system] rhs: expected {len(variables)} formulas (one per variable), got "
                             f"{len(rhs) if isinstance(rhs, (list, tuple)) else type(rhs).__name__}")
        names = {v: sp.Symbol(v, real=True) for v in [*variables, parameter, *consts]}
        exprs = [parse_formula(t, names, f"[system] rhs[{i}]") for i, t in enumerate(rhs)]
        search = Search.parse(_merge_search(search, range, equilibrium_guesses), len(variables))
        return cls(name=_model_name(name), kind="ode", parameter=parameter, n=len(variables), search=search,
                   variables=variables, constants=consts, rhs_text=list(rhs), rhs=exprs, map=bool(map))

    @classmethod
    def rnn(cls, architecture: str, weights: Any = None, activation: str = "tanh", bias: Any = None,
            parameter: str = "a", parameter_direction: Any = None, layers: Sequence[dict] | None = None,
            name: str = "rnn", range: Sequence[Any] | None = None,
            equilibrium_guesses: Sequence[Sequence[float]] | None = None, search: dict | None = None) -> "Model":
        """A net from the built-in library. Numpy arrays are exact binary values;
        nested lists may hold Decimals, ints or 'p/q' strings (exact)."""
        if not isinstance(architecture, str) or architecture not in ARCHITECTURES:
            shown = show(architecture, 24) if isinstance(architecture, str) else type(architecture).__name__
            raise InputError(f"[rnn] architecture: unknown {shown} (known: {', '.join(sorted(ARCHITECTURES))})")
        arch = ARCHITECTURES[architecture]
        parameter = _name(parameter, "[rnn] parameter")
        if arch.layered:
            if not layers:
                raise InputError("[rnn] layers: a multilayer net needs at least one [[rnn.layers]]")
            if weights is not None or bias is not None or parameter_direction is not None:
                raise InputError("[rnn]: a multilayer net takes weights, bias and parameter_direction per layer")
            specs = []
            if not isinstance(layers, (list, tuple)):
                raise InputError("[rnn] layers: expected a list of [[rnn.layers]] tables")
            for k, layer in enumerate(layers, 1):
                layer = _check_keys(layer, LAYER_KEYS, f"[[rnn.layers]] #{k}")
                if "weights" not in layer:
                    raise InputError(f"[[rnn.layers]] #{k}: missing weights")
                specs.append((layer["weights"], layer.get("bias"), layer.get("parameter_direction")))
        else:
            if layers:
                raise InputError(f"[rnn] layers: architecture {architecture!r} has a single layer")
            if weights is None:
                raise InputError("[rnn]: missing weights (give weights, weights_file or random)")
            specs = [(weights, bias, parameter_direction)]
        formula_names = {"x", "u", "v", "w", "z", "s", "I", "n"} | \
            {p + s for s in arch.suffixes(len(specs)) for p in ("W", "b", "E", "M", "m")}
        if parameter in formula_names:   # derive and the report would print (x*I + W)*s(x) - x
            raise InputError(f"[rnn] parameter: {parameter!r} already names the state, a direction, the data "
                             "or the activation in the architecture's formulas; choose another name")
        data, dims = _layer_data(arch, specs)
        if parameter in data:
            raise InputError(f"[rnn] parameter: {parameter!r} is a data name of the {architecture} preset")
        identity = {s: data["E" + s].is_identity() for s in arch.suffixes(len(specs))}
        model = cls._from_formula(arch.formula(len(specs), parameter, identity), data, parameter,
                                  activation, name, _merge_search(search, range, equilibrium_guesses),
                                  what=f"[rnn] {architecture} preset", keep_unused=True)
        model.architecture, model.layers, model.dims = arch, len(specs), dims
        return model

    @classmethod
    def from_formula(cls, formula: str, data: dict[str, Any], parameter: str = "a",
                     activation: str | None = None, name: str = "rnn", range: Sequence[Any] | None = None,
                     equilibrium_guesses: Sequence[Sequence[float]] | None = None,
                     search: dict | None = None) -> "Model":
        """A net ``x' = formula`` (the vector formula language, :mod:`symhopf.formula`).

        ``data`` maps names to arrays (numpy arrays and tensors are their binary values; nested
        lists may hold Decimals, ints or 'p/q' strings) or scalars; ``activation`` defines ``s``.
        """
        if not isinstance(data, dict):
            raise InputError("[rnn.data]: expected a table of named arrays and numbers")
        exact = {check_name(k, "[rnn.data]"): _as_data(v, f"[rnn.data] {k}") for k, v in data.items()}
        return cls._from_formula(formula, exact, parameter, activation, name,
                                 _merge_search(search, range, equilibrium_guesses))

    @classmethod
    def from_torch(cls, module: Any, formula: str, names: dict[str, str] | None = None,
                   parameter: str = "a", **kwargs: Any) -> "Model":
        """A net whose data are tensors of ``module.state_dict()`` (a torch ``nn.Module``):
        ``names`` maps formula names to state_dict keys; an unmapped name is its own key.
        The tensors' binary values are taken exactly. Other keywords: as :meth:`from_formula`."""
        state = module.state_dict()
        mapping = {check_name(k, "names"): v for k, v in (names or {}).items()}
        missing = sorted(v for v in mapping.values() if v not in state)
        if missing:
            raise InputError(f"from_torch: no tensor {missing[0]!r} in the state_dict")
        wanted = {n: n for n in names_in(formula) if n in state and n not in mapping}
        data = {k: state[key] for k, key in {**wanted, **mapping}.items()}
        return cls.from_formula(formula, data, parameter=parameter, **kwargs)

    @classmethod
    def _from_formula(cls, formula: Any, data: dict[str, ExactArray], parameter: Any, activation: Any,
                      name: str, search: dict, what: str = "[rnn] formula", keep_unused: bool = False) -> "Model":
        """The one construction of every net: parse, check shapes, keep the data the formula uses
        (``keep_unused``: all of it, e.g. a preset's identity directions, for the report)."""
        parameter = check_name(parameter, "[rnn] parameter")
        if parameter in data:
            raise InputError(f"[rnn] parameter: {parameter!r} is also a data name")
        functions, act, act_text = {}, None, ""
        if activation is not None:
            act_text, act = activation, _activation(activation)
            functions["s"] = act
        vf = parse_vector_formula(formula, parameter, {k: v.shape for k, v in data.items()}, functions, what)
        check_scalars(vf, data, what)
        n = vf.n
        return cls(name=_model_name(name), kind="rnn", parameter=parameter, n=n, search=Search.parse(search, n),
                   formula=vf, activation_text=act_text, activation=act,
                   data=data if keep_unused else {k: data[k] for k in vf.data},
                   dims=[n], derived=precompute(vf, data, what))

    @classmethod
    def _rnn_from_table(cls, r: dict, base_dir: Path, name: str, search: dict | None) -> "Model":
        if r.get("time") == "discrete":
            if "formula" not in r:
                raise InputError("[rnn] time = \"discrete\" needs a formula (the next state), not a preset")
            model = cls._formula_from_table(r, base_dir, name, search)
            model.map = True
            return model
        if "time" in r and r["time"] != "continuous":
            raise InputError(f"[rnn] time: expected \"continuous\" or \"discrete\", got {r['time']!r}")
        if "formula" in r:
            return cls._formula_from_table(r, base_dir, name, search)
        extra = sorted(set(r) & {"data", "names"})
        if extra:
            raise InputError(f"[rnn]: {', '.join(extra)} belong(s) to a formula model (give formula = \"...\")")
        for key in ("architecture", "parameter"):
            if key not in r:
                raise InputError(f"[rnn]: missing key {key!r}")
        sources = [k for k in ("weights", "weights_file", "random") if k in r]
        if len(sources) > 1:
            raise InputError(f"[rnn]: give only one of weights, weights_file, random (got {', '.join(sources)})")
        weights, bias = r.get("weights"), r.get("bias")
        if "weights_file" in r:
            weights, file_bias = _load_npz(base_dir / str(r["weights_file"]))
            if bias is None:
                bias = file_bias
        elif "random" in r:
            spec = _check_keys(r["random"], RANDOM_KEYS, "[rnn] random")
            missing = [k for k in ("n", "seed") if k not in spec]
            if missing:
                raise InputError(f"[rnn] random: missing key(s) {', '.join(missing)}")
            weights = random_weights(**spec)
        return cls.rnn(r["architecture"], weights=weights, activation=r.get("activation", "tanh"), bias=bias,
                       parameter=r["parameter"], parameter_direction=r.get("parameter_direction"),
                       layers=r.get("layers"), name=name, search=search)

    @classmethod
    def _formula_from_table(cls, r: dict, base_dir: Path, name: str, search: dict | None) -> "Model":
        extra = sorted(set(r) - FORMULA_KEYS)
        if extra:
            raise InputError(f"[rnn]: {', '.join(extra)} cannot be used with formula (allowed: "
                             f"{', '.join(sorted(FORMULA_KEYS))})")
        if "parameter" not in r:
            raise InputError("[rnn]: missing key 'parameter'")
        table = r.get("data", {})
        if not isinstance(table, dict):
            raise InputError("[rnn.data]: expected a table of named arrays and numbers")
        data = {check_name(k, "[rnn.data]"): _as_data(v, f"[rnn.data] {k}") for k, v in table.items()}
        names = r.get("names", {})
        if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise InputError("[rnn.names]: expected a table of formula name = \"key in the weights file\"")
        if names and "weights_file" not in r:
            raise InputError("[rnn.names]: maps names to keys of a weights file, but there is no weights_file")
        if "weights_file" in r:
            if not isinstance(r["weights_file"], str):
                raise InputError("[rnn] weights_file: expected a path")
            wanted = {check_name(k, "[rnn.names]"): v for k, v in names.items()}
            for k, v in wanted.items():
                if k in data:
                    raise InputError(f"[rnn.names] {k}: also given in [rnn.data]")
            for k, arr in load_weights(base_dir / r["weights_file"], names_in(r.get("formula")) - set(data),
                                       wanted).items():
                data[k] = _as_array(arr, f"{r['weights_file']}: {wanted.get(k, k)}", scalar=True)
        return cls._from_formula(r.get("formula"), data, r["parameter"], r.get("activation"), name, search or {})

    # ---------------------------------------------------------------- views
    @property
    def range(self) -> tuple[Fraction, Fraction] | None:
        return self.search.range

    def structure_key(self) -> str:
        """What fixes the generated code: the formulas, not the weights."""
        if self.kind == "ode":
            parts = [self.kind, self.parameter, *self.variables, *(_srepr(e) for e in self.rhs),
                     *(f"{k}={v}" for k, v in sorted(self.constants.items()))]
        else:
            parts = [self.kind, self.parameter, _srepr(self.formula.expr),
                     *(f"{k}={_srepr(g)}" for k, g in sorted(self.formula.functions.items())),
                     *(f"{k}:{'scalar' if self.data[k].shape == () else 'array'}" for k in sorted(self.formula.data))]
        return "\n".join(parts)

    def structure_hash(self, version: str) -> str:
        return hashlib.sha256((version + "\n" + self.structure_key()).encode()).hexdigest()[:16]

    def direction_is_identity(self, suffix: str) -> bool:
        """Presets: the direction E of layer ``suffix`` is the identity (the formula says I)."""
        return self.data["E" + suffix].is_identity()

    @property
    def equilibrium_guesses(self) -> list[list[float]]:
        return self.search.equilibrium_guesses

    def search_box_exact(self) -> tuple[list[Fraction], list[Fraction]] | None:
        """The user's ``[search] box`` as exact Fractions of the numbers written (TOML decimals read as
        Decimal: ``0.1`` is 1/10, not the float 0.1000000000000000055...), while ``search.box`` still holds
        their nearest floats (a caller that set ``search.box`` to other floats gets None); else None."""
        exact, box = self.search.box_exact, self.search.box
        if exact is None or box is None:
            return None
        if not all(np.array_equal(np.asarray(side, float), [float(v) for v in ex]) for side, ex in zip(box, exact)):
            return None
        return exact

    def equilibrium_box(self) -> tuple[np.ndarray, np.ndarray] | None:
        """A box containing every equilibrium for a in the range, when one is known.

        The user's ``[search] box`` first; else the architecture's a-priori bound
        (e.g. leaky nets with a bounded activation: |x| <= |W + a E| sup|s| + |b|).
        """
        if self.search.box is not None:
            return self.search.box
        if self.kind != "rnn" or self.range is None or self.map:   # the bound is for equilibria of f, not of F - x
            return None
        radius = equilibrium_radius(self.formula, self.float_data(), [float(v) for v in self.range],
                                    activation_bound)
        return None if radius is None else (-radius, radius)

    def equilibrium_box_note(self) -> str | None:
        """For a net without ``[search] box`` and without an a-priori bound: says so (else None)."""
        if self.kind != "rnn" or self.search.box is not None or self.range is None \
                or self.equilibrium_box() is not None:
            return None
        return ("no a-priori bound on the equilibria follows from the formula; the search seeds "
                "its default box (set [search] box = [lo, hi] to choose it)")

    def float_data(self) -> dict[str, np.ndarray]:
        return {k: v.values for k, v in {**self.data, **self.derived}.items()}

    def ball_data(self) -> dict:
        """Weights (and the precomputed matrices) as arb_mat balls (scalars as arb) at the current
        working precision."""
        return {k: self.ball_array(k) for k in {**self.data, **self.derived}}

    def ball_array(self, key: str):
        """One entry of :meth:`ball_data` (converted at the current working precision)."""
        v = {**self.data, **self.derived}[key]
        return v.to_arb_mat()[0, 0] if v.shape == () else v.to_arb_mat()


def _merge_search(search: dict | None, range: Any, guesses: Any) -> dict:
    table = dict(_check_keys(search or {}, SEARCH_KEYS, "[search]"))
    if range is not None:
        table["range"] = list(range)
    if guesses is not None:
        table["equilibrium_guesses"] = [list(g) for g in guesses]
    return table


def _as_array(value: Any, what: str, scalar: bool = False) -> ExactArray:
    if isinstance(value, ExactArray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):   # a torch tensor: its binary values
        value = value.detach().cpu().double().numpy()
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        if scalar and value.ndim == 0:
            return ExactArray.from_scalar(to_fraction(value[()], what))
        return ExactArray.from_float(value, what)
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise InputError(f"{what}: expected an array of numbers")
    try:
        return ExactArray.from_nested(value, what)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{what}: ragged or malformed array") from None


def _layer_data(arch: RNNArchitecture, specs: list) -> tuple[dict[str, ExactArray], list[int]]:
    """Exact W_k, E_k, b_k per layer, with shapes checked: W_k is d_k x d_(k-1), d_0 = d_L = n."""
    data: dict[str, ExactArray] = {}
    dims: list[int] = []
    for suffix, (w, b, e) in zip(arch.suffixes(len(specs)), specs):
        where = f"layer {suffix} " if suffix else ""
        W = _as_array(w, f"[rnn] {where}weights")
        if len(W.shape) != 2:
            raise InputError(f"[rnn] {where}weights: expected a matrix, got shape {W.shape}")
        rows, cols = W.shape
        if dims and cols != dims[-1]:
            raise InputError(f"[rnn] {where}weights: shape {W.shape} does not follow the previous layer ({dims[-1]} outputs)")
        if not dims:
            dims.append(cols)
        dims.append(rows)
        if e is None:
            if rows != cols:
                raise InputError(f"[rnn] {where}weights: a non-square layer needs a parameter_direction")
            E = ExactArray(np.eye(rows))
        else:
            E = _as_array(e, f"[rnn] {where}parameter_direction")
            if E.shape != W.shape:
                raise InputError(f"[rnn] {where}parameter_direction: shape {E.shape}, expected {W.shape}")
        if b is None:
            B = ExactArray(np.zeros(rows))
        else:
            B = _as_array(b, f"[rnn] {where}bias")
            if B.shape != (rows,):
                raise InputError(f"[rnn] {where}bias: length {B.shape}, expected ({rows},)")
        data.update({"W" + suffix: W, "E" + suffix: E, "b" + suffix: B})
    if dims[0] != dims[-1]:
        raise InputError(f"[rnn] weights: the net maps R^{dims[0]} to R^{dims[-1]}; a vector field needs a square net")
    return data, dims


def _as_data(value: Any, what: str) -> ExactArray:
    """A named array or scalar of a formula model, exact."""
    if isinstance(value, (list, tuple, np.ndarray, ExactArray)) or hasattr(value, "detach"):
        return _as_array(value, what, scalar=True)
    return ExactArray.from_scalar(to_fraction(value, what))


def _activation(activation: Any) -> sp.Expr:
    """The activation s(z): a function name (tanh, sigmoid, ...) or a C^3 formula in z."""
    if not isinstance(activation, str):
        raise InputError("[rnn] activation: expected a formula in z or a function name")
    if activation.strip() in FUNCTIONS:
        act = FUNCTIONS[activation.strip()]
    else:
        formula = f"{activation}(z)" if activation.isidentifier() and activation != "z" else activation
        act = parse_formula(formula, {"z": Z}, "[rnn] activation")
    _check_activation(act)
    return act


def _check_activation(act: sp.Expr) -> None:
    """The activation depends on z, and it and its first three derivatives are finite reals
    near 0 (C^3 on R)."""
    if not act.has(Z):
        raise InputError(f"[rnn] activation: {show(str(act))} is constant; expected a function of z")
    for k in range(4):
        d = sp.diff(act, Z, k)
        for z0 in (-1, 0, sp.Rational(1, 2)):
            val = d.subs(Z, z0).evalf()
            if not (val.is_real and val.is_finite):
                raise InputError(f"[rnn] activation: not C^3 on R (derivative {k} undefined at z = {z0})")


def activation_bound(act: sp.Expr) -> float | None:
    """sup |s(z)| over R when s has finite limits at +-inf and no larger value on a grid, else None.

    A limit that does not exist but is bounded (SymPy's AccumBounds, e.g. for sin) gives its bounds.
    """
    ends = []
    try:
        for end in (sp.oo, -sp.oo):
            lim = sp.limit(act, Z, end)
            ends += [lim.min, lim.max] if isinstance(lim, sp.AccumBounds) else [lim]
    except (NotImplementedError, ValueError, TypeError):
        return None
    if not all(v.is_real and v.is_finite for v in ends):
        return None
    from .runtime import floats   # lazily: the model parser loads no prover module (symhopf verify)
    f = sp.lambdify(Z, act, [{"erf": floats.erf, "erfc": lambda z: 1 - floats.erf(z)}, "numpy"])
    with np.errstate(all="ignore"):
        grid = np.abs(np.broadcast_to(f(np.linspace(-50, 50, 20001)), (20001,)))
    if not np.all(np.isfinite(grid)):
        return None
    return float(max(max(abs(float(v)) for v in ends), np.max(grid))) * (1 + 1e-9)


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """W (and b, if present) from an .npz archive written by ``numpy.savez(path, W=W, b=b)``."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: weights file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a weights file") from None
    except (ValueError, OSError, EOFError):
        raise InputError(f"{path}: not a readable .npz weights file") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise InputError(f"{path}: a single .npy array; expected an .npz archive with arrays W "
                         "(and optionally b), e.g. numpy.savez(path, W=W, b=b)")
    try:
        with loaded as npz:
            if "W" not in npz.files:
                found = ", ".join(show(k, 20) for k in npz.files[:10]) or "none"
                raise InputError(f"{path}: weights file has no array 'W' (arrays found: {found})")
            return npz["W"], (npz["b"] if "b" in npz.files else None)
    except (ValueError, OSError, EOFError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: not a readable .npz weights file") from None


#: bytes per weight the random draw holds at its peak (R1, R2, R1^T and the sum, float64)
_DRAW_BYTES = 4 * 8


def size_note(n: int) -> str:
    """What a net of n neurons costs, for a note before the run (from the measured n = 2000)."""
    have = memory_bytes()
    machine = f" (this machine has {have / 2**30:.3g} GiB)" if have else ""
    return (f"n = {n} is beyond the practical n <= {PRACTICAL_NEURONS} (29 s, 2.8 GB there): expect about "
            f"{RUN_BYTES_PER_WEIGHT * n * n / 2**30:.3g} GiB of memory{machine} and a time growing like n^3")


def memory_bytes() -> int | None:
    """Physical memory of this machine, when the OS says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def random_weights(n: Any, seed: Any, perturbation: Any = Decimal("0.1")) -> np.ndarray:
    """W = R1 - R1^T + perturbation R2, R1, R2 ~ N(0,1) from numpy default_rng(seed).

    (MATLAB's randn streams of the paper cannot be reproduced; the float64 W is taken exactly.)
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise InputError("[rnn] random.n: expected an integer >= 2")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError("[rnn] random.seed: expected a non-negative integer")
    need, have = _DRAW_BYTES * n * n, memory_bytes()
    if (have is None and n > MAX_NEURONS) or (have is not None and need > have // 2):
        raise InputError(f"[rnn] random.n = {n}: drawing the weights alone needs about {need / 2**30:.3g} GiB "
                         f"(this machine has {have / 2**30:.3g} GiB); practical sizes are n <= {PRACTICAL_NEURONS}"
                         if have else f"[rnn] random.n = {n}: too large (at most {MAX_NEURONS})")
    pert = float(to_fraction(perturbation, "[rnn] random.perturbation"))
    rng = np.random.default_rng(seed)
    r1 = rng.standard_normal((n, n))
    r2 = pert * rng.standard_normal((n, n))
    return r1 - r1.T + r2
