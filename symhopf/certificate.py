"""The certificate of ``symhopf prove`` (interface.md): JSON with outward-rounded enclosures.

Format 2 (``"format": 2``) is self-contained: it embeds the model as exact data with the SHA-256
of that data (``embedded_model``), the exact range (``range_exact``) and, per point proved by the
Newton-Kantorovich route (and per Neimark-Sacker point of a map), the approximate zero and phase
vector a checker starts from (``start``);
``symhopf verify`` re-proves it from these alone. Format-1 files (no ``format`` key) still load.

Every enclosure is written as ``[lo, hi]``, two decimal strings with
lo <= every point of the ball <= hi when read as exact decimals: the ball's
exact binary end points are rounded down (lo) and up (hi) to decimal.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
from dataclasses import dataclass, field, fields
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np

from flint import arb

from .enclosure import Enclosure, wrap

try:
    from symhopf import __version__ as VERSION
except ImportError:  # the package __init__ may not define it yet
    VERSION = "0.1.0"

FORMAT = 2
NORMALISATION = "kuznetsov: <q,q>=1, <p,q>=1, <u,v>=conj(u)^T v"
Interval = list[str]


def exact_fraction(x: arb) -> Fraction:
    """The exact value of an exact (zero-radius) arb."""
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def round_decimal(value: Fraction, digits: int, up: bool) -> str:
    """A decimal string with about ``digits`` significant digits, >= value if up else <= value."""
    if value == 0:
        return "0"
    num, den = abs(value.numerator), value.denominator
    e10 = math.floor((num.bit_length() - den.bit_length()) * math.log10(2))
    k = digits - 1 - e10
    scaled = value * Fraction(10) ** k
    N = math.ceil(scaled) if up else math.floor(scaled)
    with localcontext() as ctx:
        ctx.prec = digits + 10
        return str(Decimal(N).scaleb(-k))


def enclosure(x: arb | None, digits: int | None = None) -> Interval | None:
    """``[lo, hi]`` decimal strings around the ball x (None for None; NaN/inf balls -> None)."""
    if x is None or not x.is_finite():
        return None
    if digits is None:
        digits = min(100, max(17, int(x.rel_accuracy_bits() * 0.30103) + 3))
    (m, e), (r, f) = x.mid().man_exp(), x.rad().man_exp()
    return Enclosure(_enclosure(int(m), int(e), int(r), int(f), digits))


@functools.lru_cache(maxsize=1 << 16)
def _enclosure(m: int, e: int, r: int, f: int, digits: int) -> tuple[str, str]:
    """Decimal end points of the ball ``m 2^e +- r 2^f`` (exact end points rounded outward); cached,
    as many enclosures repeat (the equilibrium of a constant branch in every one of its points).
    In integers (``2^g`` with ``g = min(e, f)`` taken out): the strings of :func:`round_decimal`."""
    g = min(e, f)
    mid, rad = m << (e - g), r << (f - g)
    return _round_dyadic(mid - rad, g, digits, False), _round_dyadic(mid + rad, g, digits, True)


def _round_dyadic(num: int, g: int, digits: int, up: bool) -> str:
    """``round_decimal(Fraction(num) * 2 ** g, digits, up)`` in integer arithmetic (the same string:
    the same lowest terms ``p / q``, the same digit count from their bit lengths, the same rounding)."""
    if num == 0:
        return "0"
    tz = (num & -num).bit_length() - 1            # lowest terms: num odd unless g >= 0
    if g < 0:
        t = min(tz, -g)
        num, g = num >> t, g + t
    p, q = (num << g, 1) if g >= 0 else (num, 1 << -g)
    e10 = math.floor((abs(p).bit_length() - q.bit_length()) * math.log10(2))
    k = digits - 1 - e10
    a, b = (p * 10 ** k, q) if k >= 0 else (p, q * 10 ** -k)
    N = -(-a // b) if up else a // b
    with localcontext() as ctx:
        ctx.prec = digits + 10
        return str(Decimal(N).scaleb(-k))


def upper_decimal(x: arb | None) -> str | None:
    """An upper bound of x as a short decimal string (None for None or NaN)."""
    if x is None or not x.is_finite():
        return None
    return round_decimal(exact_fraction(x.upper()), 17, True)


def lower_decimal(x: arb | None) -> str | None:
    """A lower bound of x as a short decimal string (for radii that must not be overstated)."""
    if x is None or not x.is_finite():
        return None
    return round_decimal(exact_fraction(x.lower()), 17, False)


def exact_decimal(x: float | arb | None) -> str | None:
    """The exact decimal expansion of a binary number (a float, or an arb of radius 0); None for
    None or a non-finite value."""
    if x is None or not (x.is_finite() if isinstance(x, arb) else math.isfinite(x)):
        return None
    if isinstance(x, arb) and not x.is_exact():
        raise ValueError(f"exact_decimal: {x} is not an exact number")
    if isinstance(x, float):
        return _float_decimal(float(x))
    return _fraction_decimal(exact_fraction(x) if isinstance(x, arb) else Fraction(x))


@functools.lru_cache(maxsize=1 << 12)
def _float_decimal(x: float) -> str:
    """:func:`exact_decimal` of a finite float, cached: the family records repeat theirs (delta, g, the
    slope, the reference parameter, the largest disc radius in every point of a branch). -0.0 and 0.0
    share an entry, both "0"."""
    return _fraction_decimal(Fraction(x))


def _fraction_decimal(q: Fraction) -> str:
    k = q.denominator.bit_length() - 1            # q = m / 2^k = m 5^k / 10^k
    with localcontext() as ctx:
        ctx.prec = len(str(abs(q.numerator) * 5 ** k)) + 2
        return str(Decimal(q.numerator * 5 ** k).scaleb(-k))


#: the family theorem's numbers (symhopf/proof/family.py), printed exactly (binary64 or exact balls)
_EXACT = ("disc_radius", "largest_disc_radius", "disc_separation", "real_part_separation", "delta", "g",
          "branch_slope", "reference_parameter")


def proof_record(info: dict[str, Any]) -> dict[str, Any]:
    """The certificate's ``proof`` of one point: ``method``, ``theorem`` (``"newton-kantorovich"`` or
    ``"verified-diagonalisation"``) and the numbers of that theorem under their names (see
    symhopf/proof/existence.py and symhopf/proof/family.py); the Newton-Kantorovich keys
    (radius, Y, Z1, Z2, Z, uniqueness_radius; those of interface.md) are null under another theorem.

    Each number stays what its name says: Y, Z1, Z2 rounded up and the radii down (the
    theorem holds on the smaller ball); if that rounding loses ``p(r) < 0``, the exact values
    (for which ball arithmetic proved it). The family numbers are exact, its eigenvector bound
    rounded up."""
    proof = {"method": info.get("method"), "theorem": info.get("theorem"), "precision_bits": info.get("precision_bits")}
    for key in ("radius", "Y", "Z1", "Z2", "uniqueness_radius"):
        proof[key] = (lower_decimal if "radius" in key else upper_decimal)(info.get(key))
    nk = ("Y", "Z1", "Z2", "radius")
    if all(proof[k] is not None for k in nk) and not _radii_polynomial_negative(*(proof[k] for k in nk)):
        for key in nk:
            proof[key] = exact_decimal(info[key])
    proof["Z"] = (upper_decimal(info["Z1"] + info["Z2"] * info["radius"])
                  if all(info.get(k) is not None for k in ("Z1", "Z2", "radius")) else None)
    if info.get("disc_centre") is not None:
        proof["disc_centre"] = [exact_decimal(t) for t in info["disc_centre"]]
    proof.update({key: exact_decimal(info[key]) for key in _EXACT if key in info})
    if "eigenvector_error_bound" in info:
        proof["eigenvector_error_bound"] = upper_decimal(info["eigenvector_error_bound"])
    return proof


def _radii_polynomial_negative(Y: str, Z1: str, Z2: str, r: str) -> bool:
    """``p(r) = Y + (Z1 + Z2 r - 1) r < 0`` exactly for the decimal strings (symhopf/proof/existence.py)."""
    y, z1, z2, rr = (Fraction(Decimal(t)) for t in (Y, Z1, Z2, r))
    return y + (z1 + z2 * rr - 1) * rr < 0


def krawczyk_record(info: dict[str, Any]) -> dict[str, Any]:
    """The ``proof`` of an NS point (``theorem = "krawczyk"``, symhopf/proof/neimark_sacker.py): Y and Z
    rounded up, the radii down; the exact values if that rounding loses ``Y + (Z - 1) r < 0``."""
    proof = {"method": info.get("method"), "theorem": info.get("theorem"), "precision_bits": info.get("precision_bits")}
    for key in ("radius", "Y", "Z", "uniqueness_radius"):
        proof[key] = (lower_decimal if "radius" in key else upper_decimal)(info.get(key))
    keys = ("Y", "Z", "radius")
    if all(proof[k] is not None for k in keys):
        y, z, r = (Fraction(Decimal(proof[k])) for k in keys)
        if not y + (z - 1) * r < 0:
            for key in keys:
                proof[key] = exact_decimal(info[key])
    return proof


def ns_family_record(info: dict[str, Any]) -> dict[str, Any]:
    """The ``proof`` of an NS point of the family theorem (``"verified-diagonalisation"``,
    symhopf/proof/ns_family.py): the numbers of :func:`proof_record` plus ``modulus_separation`` (exact)
    and ``parameter_sign``; no Newton-Kantorovich or Krawczyk numbers (null)."""
    proof = {k: v for k, v in proof_record(info).items() if k not in ("Z1", "Z2")}
    if info.get("modulus_separation") is not None:
        proof["modulus_separation"] = exact_decimal(info["modulus_separation"])
    if info.get("parameter_sign") is not None:
        proof["parameter_sign"] = int(info["parameter_sign"])
    return proof


def interval(pair: Interval) -> tuple[Fraction, Fraction]:
    """The exact rational end points of an enclosure as written in the certificate."""
    return Fraction(Decimal(pair[0])), Fraction(Decimal(pair[1]))


_LAST_X: list = [None, None]


def _x_enclosures(x: list | None) -> list[Interval] | None:
    """Enclosures of an equilibrium; the points of a constant branch share one list of balls,
    converted once into one list of enclosures that their records share (read-only; the last
    list of balls is kept, so its identity cannot be reused meanwhile)."""
    if not x:
        return None
    if _LAST_X[0] is not x:
        _LAST_X[:] = [x, [enclosure(t) for t in x]]
    return _LAST_X[1]


@dataclass
class PointRecord:
    """One Hopf point of the certificate (the ``hopf_points`` entries of interface.md)."""

    status: str
    reason: str = ""
    kind: str = "hopf"
    parameter: Interval | None = None
    omega: Interval | None = None
    x: list[Interval] | None = None
    first_lyapunov: Interval | None = None
    transversality: Interval | None = None
    criticality: str | None = None
    other_eigenvalues_real_part_max: Interval | None = None
    proof: dict[str, Any] = field(default_factory=dict)
    time_seconds: float | None = None
    start: dict[str, Any] | None = None     # format 2: where a checker starts (approximate, not a claim)
    #: Neimark-Sacker points of maps only (docs/maps.md): the argument of the critical multiplier and
    #: enclosures of the other multipliers' moduli (one per Gershgorin disc; each multiplier lies in one)
    theta: Interval | None = None
    other_multipliers_modulus: list[Interval] | None = None

    def __post_init__(self) -> None:
        """Enclosures as :class:`~symhopf.enclosure.Enclosure` (still the ``[lo, hi]`` lists of the JSON)."""
        for key in ("parameter", "omega", "first_lyapunov", "transversality", "other_eigenvalues_real_part_max",
                    "theta"):
            setattr(self, key, wrap(getattr(self, key)))
        if self.other_multipliers_modulus:
            self.other_multipliers_modulus = [wrap(t) for t in self.other_multipliers_modulus]
        if self.x and self.x is not _LAST_X[1] and not all(isinstance(t, Enclosure) for t in self.x):   # shared: wrapped
            self.x = [wrap(t) for t in self.x]

    def _repr_html_(self) -> str:
        from .notebook import point_html
        return point_html(self)

    def _repr_latex_(self) -> str:
        from .notebook import point_latex
        return point_latex(self)

    @classmethod
    def from_proof(cls, hp) -> "PointRecord":
        """From a ``symhopf.proof.HopfProof``."""
        proof = proof_record(hp.proof)
        return cls(
            status=hp.status, reason=hp.reason,
            parameter=enclosure(hp.parameter), omega=enclosure(hp.omega),
            x=_x_enclosures(hp.x),
            first_lyapunov=enclosure(hp.first_lyapunov), transversality=enclosure(hp.transversality),
            criticality=hp.criticality if hp.status == "proved" else None,
            other_eigenvalues_real_part_max=enclosure(hp.other_eigenvalues_real_part_max),
            proof=proof, time_seconds=round(hp.time, 6),
            start={"centre": hp.proof["centre"], "phase": hp.proof["phase"]} if "centre" in hp.proof else None)

    @classmethod
    def from_ns_proof(cls, ns) -> "PointRecord":
        """From a ``symhopf.proof.neimark_sacker.NSProof`` (first_lyapunov is d, transversality d|mu|/da)."""
        return cls(status=ns.status, reason=ns.reason, kind="neimark-sacker",
                   parameter=enclosure(ns.parameter), theta=enclosure(ns.theta), x=_x_enclosures(ns.x),
                   first_lyapunov=enclosure(ns.first_lyapunov), transversality=enclosure(ns.transversality),
                   criticality=ns.criticality if ns.status == "proved" else None,
                   other_multipliers_modulus=[m if isinstance(m, Enclosure) else enclosure(m)
                                              for m in ns.other_multipliers_modulus],
                   proof=(krawczyk_record if ns.proof.get("theorem") == "krawczyk" else ns_family_record)(ns.proof),
                   time_seconds=round(ns.time, 6),
                   start={"centre": ns.proof["centre"], "phase": ns.proof["phase"]} if "centre" in ns.proof else None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON entry: a Hopf point has no theta or multiplier keys, an NS point no omega or eigenvalue keys."""
        skip = {"theta", "other_multipliers_modulus"} if self.kind == "hopf" else \
            {"omega", "other_eigenvalues_real_part_max"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


@dataclass
class Certificate:
    """What ``prove`` established for one model; ``branches``: the equilibrium branches found and
    whether each one's list of Hopf points is proved complete; ``search``: how those branches were
    sought (every statement concerns the branches found, not branches the search missed)."""

    model: str
    parameter: str
    range: list[float]
    hopf_points: list[PointRecord] = field(default_factory=list)
    normalisation: str = NORMALISATION
    symhopf_version: str = VERSION
    branches: list[dict[str, Any]] = field(default_factory=list)
    search: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT
    range_exact: list[str] | None = None              # format 2: the range as exact 'p/q' strings
    embedded_model: dict[str, Any] | None = None      # format 2: embed_model(model)
    #: the global completeness check over box x range (proof/global_.py): proved or why not
    global_completeness: dict[str, Any] = field(default_factory=dict)
    #: a snapshot of the model (:func:`model_snapshot`) whose ``embed_model`` becomes ``embedded_model``
    #: on first use (:meth:`embedding`): the O(n^2) exact strings are built only when the certificate is
    #: written (0.5 s at n = 1000), not by every ``prove``
    embed_from: Any = field(default=None, repr=False, compare=False)

    def embedding(self) -> dict[str, Any] | None:
        """``embedded_model``, computed from ``embed_from`` the first time it is needed."""
        if self.embed_from is not None:
            self.embedded_model, self.embed_from = embed_model(self.embed_from), None
        return self.embedded_model

    def to_dict(self) -> dict[str, Any]:
        d = {"format": self.format, "symhopf_version": self.symhopf_version, "model": self.model,
             "parameter": self.parameter, "range": [float(r) for r in self.range]}
        if self.range_exact is not None:
            d["range_exact"] = self.range_exact
        d.update({"normalisation": self.normalisation,
                  "hopf_points": [p.to_dict() for p in self.hopf_points]})
        if self.search:
            d["search"] = self.search
        if self.branches:
            d["branches"] = self.branches
        if self.embedding() is not None:
            d["embedded_model"] = self.embedded_model
        if self.global_completeness:
            d["global_completeness"] = self.global_completeness
        return d

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text; with ``indent``, objects are laid out one key per line and every other value
        (an enclosure, the list of x enclosures) is written on its line compactly."""
        d = self.to_dict()
        return json.dumps(d) if indent is None else _layout(d, indent, 0)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Certificate":
        return cls(model=d["model"], parameter=d["parameter"], range=list(d["range"]),
                   hopf_points=[PointRecord(**p) for p in d.get("hopf_points", [])],
                   normalisation=d.get("normalisation", NORMALISATION),
                   symhopf_version=d.get("symhopf_version", VERSION), branches=d.get("branches", []),
                   search=d.get("search", {}), format=d.get("format", 1), range_exact=d.get("range_exact"),
                   embedded_model=d.get("embedded_model"), global_completeness=d.get("global_completeness", {}))

    @classmethod
    def from_json(cls, text: str) -> "Certificate":
        return cls.from_dict(json.loads(text))

    def _repr_html_(self) -> str:
        from .notebook import certificate_html
        return certificate_html(self)

    def _repr_latex_(self) -> str:
        from .notebook import certificate_latex
        return certificate_latex(self)


def embed_model(model) -> dict[str, Any] | None:
    """``{"encoding", "sha256", "data"}``: the model as exact data that ``Model.from_dict`` reads
    back (every number an exact ``'p/q'`` string), with the SHA-256 of its canonical JSON
    (``model_sha256``). None for a model this encoding cannot hold (checked by a round trip)."""
    from .model import Model  # the parser; loaded lazily like the rest of the package

    data = _model_data(model)
    if data is None or not _readable(model):
        return None
    back = Model.from_dict(_with_arrays(data, model))
    if (back.structure_key(), back.map) != (model.structure_key(), model.map):
        return None
    return {"encoding": "symhopf model table (as in a model file), numbers as exact 'p/q' strings",
            "sha256": model_sha256(data), "data": data}


def model_snapshot(model):
    """A copy of ``model`` for a later :func:`embed_model`: its own search table and data dict (so that
    changing the caller's model afterwards, e.g. its range, does not change what is embedded; the
    exact arrays themselves are shared, as the model never changes them)."""
    snap = copy.copy(model)
    snap.search = copy.copy(model.search)
    snap.data = dict(model.data)
    return snap


def model_sha256(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of embedded model data."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _model_data(model) -> dict[str, Any] | None:
    """The model table: an ODE's ``[system]``; every net (presets included) in the formula form,
    ``[rnn] formula`` with the data the formula uses in ``[rnn.data]`` (exact 'p/q' strings)."""
    search = {"range": [str(v) for v in model.range]} if model.range is not None else {}
    if model.kind == "ode":
        return {"name": model.name, "search": search,
                "system": {"variables": list(model.variables), "parameter": model.parameter,
                           "constants": {k: str(v) for k, v in model.constants.items()},
                           "rhs": list(model.rhs_text), **({"map": True} if model.map else {})}}
    if model.kind != "rnn" or model.formula is None:
        return None
    rnn: dict[str, Any] = {"formula": model.formula.text, "parameter": model.parameter,
                           **({"time": "discrete"} if model.map else {})}
    if model.activation is not None:
        if not isinstance(model.activation_text, str):
            return None
        rnn["activation"] = model.activation_text
    rnn["data"] = {k: _nested(exact_strings(model.data[k]), model.data[k].shape) for k in model.formula.data}
    return {"name": model.name, "search": search, "rnn": rnn}


def _with_arrays(data: dict[str, Any], model) -> dict[str, Any]:
    """``data`` with the model's own exact arrays in place of their 'p/q' strings: the round trip of
    :func:`embed_model` re-reads the formula, names and shapes; the strings need no re-reading, as
    ``to_fraction(str(q)) == q`` for every Fraction q the model holds (tests/test_verify.py)."""
    if "rnn" not in data:
        return data
    return {**data, "rnn": {**data["rnn"], "data": {k: model.data[k] for k in data["rnn"]["data"]}}}


def _readable(model) -> bool:
    """Every number of a binary-float array (read from floats, not through ``to_fraction``) is one whose
    'p/q' string ``to_fraction`` reads back: 0 or of magnitude in [2^-946, 2^996] (then p and q have at
    most 300 digits and the value lies in [1e-300, 1e300]; a sufficient test). Arrays of Fractions were
    read through ``to_fraction``."""
    for k in (model.formula.data if model.kind == "rnn" and model.formula is not None else ()):
        arr = model.data[k]
        if arr.exact is None:
            a = np.abs(arr.values)
            if not np.all((a == 0) | ((a >= 2.0 ** -946) & (a <= 2.0 ** 996))):
                return False
    return True


def exact_strings(arr) -> list[str]:
    """``str(q)`` of every entry q of an ExactArray, row-major ('p/q' in lowest terms, or 'p'); for a
    binary-float array straight from ``float.as_integer_ratio`` (the same strings, no Fractions)."""
    if arr.exact is not None:
        return [str(q) for q in arr.exact.ravel()]
    out = []
    for v in arr.values.ravel().tolist():
        p, q = v.as_integer_ratio()
        out.append(f"{p}/{q}" if q != 1 else str(p))
    return out


def _nested(flat: list[str], shape: tuple[int, ...]) -> list | str:
    if len(shape) == 0:
        return flat[0]
    if len(shape) == 1:
        return flat
    cols = shape[1]
    return [flat[i:i + cols] for i in range(0, len(flat), cols)]


def _layout(obj: Any, indent: int, level: int) -> str:
    """Objects (and lists holding objects) indented, any other value as compact JSON."""
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    if isinstance(obj, dict) and obj:
        items = [f"{inner}{json.dumps(k)}: {_layout(v, indent, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, dict) for v in obj):
        return "[\n" + ",\n".join(inner + _layout(v, indent, level + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj, separators=(", ", ": "))
