"""``symhopf verify``: an independent checker that re-proves a certificate from the model it embeds.

It shares no code with the prover: it imports the model parser (``symhopf.model``, ``.parsing``,
``.formula``, ``.exact``, ``.errors``, and the parser's node type ``calculus.Act``), python-flint,
SymPy and numpy, and nothing of ``symhopf.proof``, ``.search``, ``.runtime`` or ``.codegen``. Its own ball evaluation of f and its derivatives is in
:mod:`symhopf.checker.jets`, the theorem of each check in :mod:`symhopf.checker.theorems` (Hopf points)
and :mod:`symhopf.checker.maps` (Neimark-Sacker points of maps).
``symhopf.verify(cert)`` and ``symhopf verify CERT.json`` call :func:`verify` and :func:`main`.

What a certificate of format 2 must pass (each failure is printed with its reason):

1. Input (exit 2 when it fails): JSON with ``format`` 2, an ``embedded_model`` that the parser
   reads (an ODE's ``[system]``, or a net, presets included, as ``[rnn] formula`` with its data
   in ``[rnn.data]``), ``range_exact``. Format-1 files embed no model and are refused with that message.
2. Integrity: the SHA-256 of the embedded model's canonical JSON is the stated one,
   ``range_exact`` is the embedded model's range, the float ``range`` is the nearest floats of its
   ends, and ``normalisation`` is the one the checker computes l1 under (:data:`NORMALISATION`).
3. Per point with ``status: "proved"``: its parameter enclosure lies inside the exact range
   (Fractions), and the point is re-proved (hopf-math.md items 1-5): on a constant branch (every
   x enclosure a point) by ``theorems.prove_family``, else by ``theorems.prove_point`` (Krawczyk).
   Proved points are distinct: no two have enclosures that meet in every coordinate (parameter,
   omega, x), as such a pair may be one Hopf point stated twice.
   A map's points (``kind: "neimark-sacker"``) likewise by :mod:`symhopf.checker.maps`: on a constant
   branch by ``prove_ns_family``, else by ``prove_ns_point`` (Krawczyk with the critical multiplier
   e^{i theta}); a point whose kind is not the embedded model's is a failed claim.
4. Per branch: the record is consistent (indices valid and on one branch only, the proved points
   its completeness claim rests on are the proved points listed, the points of a constant branch
   share their equilibrium).

NOT re-checked, and listed as such (``Verdict.unchecked``, and the summary line): a branch's
completeness claim (its tube argument; for maps, the completeness of the NS list), and that the points listed on a branch of kind "curve"
lie on that branch (the record holds no samples of the curve).

Exit codes: 0 every checked claim holds (the summary line then counts the claims not re-checked),
1 some claim failed, 2 bad input.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from flint import ctx

from ..errors import InputError
from .maps import NSPoint, prove_ns_family, prove_ns_point
from .theorems import Failed, Pair, Point, prove_family, prove_point

FORMAT = 2
KINDS = {False: "hopf", True: "neimark-sacker"}    # the point kind of an ODE, of a map
#: the ``proof.theorem`` names the prover writes for a point of a map; the checker re-proves every point by
#: its own route (per-point Krawczyk with the start data, or the constant-branch family), whatever the name
KNOWN_NS_THEOREMS = ("krawczyk", "verified-diagonalisation")
NORMALISATION = "kuznetsov: <q,q>=1, <p,q>=1, <u,v>=conj(u)^T v"   # hopf-math.md: the l1 the checker computes
MAX_BITS = 1 << 14


@dataclass
class Verdict:
    """``ok`` when every checked claim re-verified; ``failures``: one "which: why" line per failed
    claim; ``unchecked``: the claims the certificate makes that the checker does not re-check."""

    verified: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def verify(cert: Any) -> Verdict:
    """Re-prove every claim of a certificate (a path, a JSON dict, or an object with ``to_dict``).
    Raises :class:`~symhopf.errors.InputError` on bad input."""
    from ..model import Model

    d = _load(cert)
    emb = d["embedded_model"]
    model = Model.from_dict(emb["data"])
    out = Verdict()
    digest = hashlib.sha256(json.dumps(emb["data"], sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    if digest != emb.get("sha256"):
        out.failures.append(f"embedded model: its SHA-256 is {digest}, not the stated {emb.get('sha256')}")
    if (d.get("model"), d.get("parameter")) != (model.name, model.parameter):
        out.failures.append(f"model {d.get('model')!r}, parameter {d.get('parameter')!r}: not the embedded model's "
                            f"({model.name!r}, {model.parameter!r})")
    rng = _pair(d["range_exact"], "range_exact")
    if model.range is None or tuple(model.range) != rng:
        out.failures.append(f"range: range_exact [{rng[0]}, {rng[1]}] is not the embedded model's range")
    if d.get("range") != [float(rng[0]), float(rng[1])]:
        out.failures.append(f"range: {d.get('range')!r} is not the nearest floats of range_exact [{rng[0]}, {rng[1]}]")
    if d.get("normalisation") != NORMALISATION:
        out.failures.append(f"normalisation {d.get('normalisation')!r}: the checker computes l1 under "
                            f"{NORMALISATION!r} only")
    records = d.get("hopf_points", [])
    proved = {i: _point(r, i) for i, r in enumerate(records) if _status(r, i) == "proved"}
    for i in list(proved):
        if records[i].get("kind", "hopf") != KINDS[model.map]:
            out.failures.append(f"point {i}: a {records[i].get('kind', 'hopf')} point, but the embedded model is "
                                f"{'a map' if model.map else 'an ODE'} (its points are {KINDS[model.map]} points)")
            del proved[i]
    for i, p in proved.items():
        if not (rng[0] <= p.a[0] and p.a[1] <= rng[1]):
            out.failures.append(f"point {i}: parameter enclosure [{p.a[0]}, {p.a[1]}] is not inside the range")
    out.failures += _distinct(proved)
    bits = max([_bits(records[i], i) for i in proved] or [53])
    with ctx.workprec(max(128, 2 * bits + 32)):
        for i, result in _reprove(model, rng, proved).items():
            if isinstance(result, Exception):
                out.failures.append(f"point {i}: {_why(result)}")
            else:
                out.verified.append(f"point {i}: {result}")
    out.failures += _branches(d.get("branches", []), records, proved, out.unchecked,
                              "Neimark-Sacker" if model.map else "Hopf", str(d.get("parameter", "a")))
    if (d.get("global_completeness") or {}).get("proved"):
        out.unchecked.append("global completeness: every Hopf point with x in the box and the parameter in the "
                             "range is listed (the branch and bound is not re-run)")
    return out


def _distinct(proved: dict[int, Point]) -> list[str]:
    """Item 3: no two proved points whose enclosures meet in every coordinate."""
    meet = lambda s, t: s[0] <= t[1] and t[0] <= s[1]  # noqa: E731
    items = sorted(proved.items())
    return [f"points {i} and {j}: their parameter, omega and x enclosures all meet (possibly one Hopf point "
            f"stated twice)" for k, (i, p) in enumerate(items) for j, q in items[k + 1:]
            if meet(p.a, q.a) and meet(p.omega, q.omega) and len(p.x) == len(q.x)
            and all(meet(s, t) for s, t in zip(p.x, q.x))]


def _bits(r: dict, i: int) -> int:
    proof = r.get("proof", {})
    bits = proof.get("precision_bits") if isinstance(proof, dict) else None
    if not isinstance(proof, dict) or not (bits is None or (type(bits) is int and 2 <= bits <= MAX_BITS)):
        raise InputError(f"hopf_points[{i}].proof: expected an object whose precision_bits is an integer "
                         f"in [2, {MAX_BITS}]")
    return bits or 53


def _reprove(model, rng: Pair, proved: dict[int, Point]) -> dict[int, str | Exception]:
    from .jets import Field

    try:
        F = Field(model)
    except Exception as exc:  # noqa: BLE001  (an unsupported model fails every claim, with the reason)
        return {i: exc for i in proved}
    results: dict[int, str | Exception] = {}
    groups: dict[tuple, list[int]] = {}
    one, family = (prove_ns_point, prove_ns_family) if model.map else (prove_point, prove_family)
    for i, p in proved.items():
        if all(lo == hi for lo, hi in p.x):
            groups.setdefault(tuple(lo for lo, _ in p.x), []).append(i)
        else:
            try:
                results[i] = one(F, p)
            except Exception as exc:  # noqa: BLE001
                results[i] = exc
    for x0, idx in groups.items():
        try:
            results.update(zip(idx, family(F, list(x0), rng, [proved[i] for i in idx])))
        except Exception as exc:  # noqa: BLE001
            results.update({i: exc for i in idx})
    return {i: _theorem_note(results[i], proved[i]) for i in sorted(results)}


def _theorem_note(result: str | Exception, p: Point | NSPoint) -> str | Exception:
    """Say so when a map's point states a theorem the checker does not know (its claims are re-proved by
    the checker's own route all the same, or fail with the reason)."""
    name = getattr(p, "theorem", None)
    if not isinstance(p, NSPoint) or name in KNOWN_NS_THEOREMS:
        return result
    note = f"the certificate's theorem {name!r} is not one the checker knows"
    if isinstance(result, Exception):
        return Failed(f"{note}; its own re-proof failed: {_why(result)}")
    return f"{result} ({note}: re-proved by the checker's own route)"


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, Failed) else f"not re-proved ({type(exc).__name__}: {exc})"


def _branches(branches: list, records: list, proved: dict[int, Point], unchecked: list[str],
              kind: str = "Hopf", parameter: str = "a") -> list[str]:
    """Item 4 of the module docstring; the claims it cannot check go to ``unchecked``."""
    fails, seen = [], set()
    for b in branches:
        idx = b.get("hopf_points", [])
        name = f"branch {b.get('id')}"
        if not all(isinstance(i, int) and 0 <= i < len(records) and i not in seen for i in idx):
            fails.append(f"{name}: invalid or repeated Hopf point indices {idx}")
            continue
        seen.update(idx)
        rests = (b.get("completeness") or {}).get("rests_on") or {}
        listed = sorted(i for i in idx if i in proved)
        if "proved_hopf_points" in rests and sorted(rests["proved_hopf_points"]) != listed:
            fails.append(f"{name}: completeness rests on points {rests['proved_hopf_points']}, "
                         f"but its proved points are {listed}")
        if b.get("kind") == "constant" and len({tuple(proved[i].x) for i in listed}) > 1:
            fails.append(f"{name}: a constant branch whose proved points have different equilibria")
        elif b.get("kind") != "constant" and listed:
            unchecked.append(f"{name}: that its points {listed} lie on it (the record holds no samples of the curve)")
        if (b.get("completeness") or {}).get("proved"):
            where = _within((b.get("completeness") or {}).get("ends") or [], parameter)
            unchecked.append(f"{name}: completeness (no {kind} point in the range" + (f", {where}," if where else "")
                             + " but the proved ones listed)")
    return fails


def _exact(q: Fraction) -> str:
    """q exactly: its terminating decimal expansion (0.10000001), else p/q."""
    k, d = 0, q.denominator
    while d % 2 == 0 or d % 5 == 0:
        d, k = d // (2 if d % 2 == 0 else 5), k + 1
    if d != 1:
        return f"{q.numerator}/{q.denominator}"
    s = str(abs(q.numerator) * 10 ** k // q.denominator).rjust(k + 1, "0")
    s = (s[:-k] + "." + s[-k:]).rstrip("0").rstrip(".") if k else s
    return ("-" if q < 0 else "") + s


def _within(ends: list, parameter: str) -> str:
    """``"within the search box (it leaves the box at a ~ ... through the face x = ...)"`` for a branch
    record whose ends include box exits (the prover's wording), else ``""``."""
    exits = [e for e in ends if isinstance(e, dict) and e.get("kind") == "box exit"]
    if not exits:
        return ""
    try:
        parts = [f"{parameter} ~ {0.5 * (float(e['a'][0]) + float(e['a'][1])):.6g} through the face "
                 f"{e.get('variable', 'x' + str(int(e['coordinate']) + 1))} = {_exact(Fraction(str(e['face'])))}"
                 for e in exits]
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        raise InputError("branches: a box exit record is malformed") from None
    return f"within the search box (it leaves the box at {' and at '.join(parts)})"


def _load(cert: Any) -> dict:
    if isinstance(cert, (str, Path)):
        try:
            cert = json.loads(Path(cert).read_text())
        except FileNotFoundError:
            raise InputError(f"{cert}: no such certificate") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{cert}: not a readable JSON certificate ({type(exc).__name__})") from None
    elif hasattr(cert, "to_dict"):
        cert = cert.to_dict()
    if not isinstance(cert, dict) or "hopf_points" not in cert:
        raise InputError("not a symhopf certificate (no hopf_points)")
    fmt = cert.get("format", 1)
    if fmt == 1 or fmt is None:
        raise InputError("a format-1 certificate embeds no model and cannot be re-checked; "
                         "run `symhopf prove MODEL --json FILE` again to write format 2")
    if fmt != FORMAT:
        raise InputError(f"certificate format {fmt!r}: this checker reads format {FORMAT}")
    emb = cert.get("embedded_model")
    if not isinstance(emb, dict) or not isinstance(emb.get("data"), dict) or "range_exact" not in cert:
        raise InputError("the certificate does not embed its model and exact range (embedded_model, range_exact)")
    if isinstance(emb["data"].get("rnn"), dict) and "weights_file" in emb["data"]["rnn"]:
        raise InputError("the embedded model refers to a weights file: it must hold its data itself")
    if not isinstance(cert["hopf_points"], list) or not isinstance(cert.get("branches", []), list):
        raise InputError("hopf_points and branches must be lists")
    return cert


def _status(r: Any, i: int) -> str:
    if not isinstance(r, dict) or r.get("status") not in ("proved", "not_proved"):
        raise InputError(f"hopf_points[{i}]: expected an object with status 'proved' or 'not_proved'")
    return r["status"]


def _num(s: Any, what: str) -> Fraction:
    """An exact number: a decimal or 'p/q' string, or a JSON number (its exact binary value)."""
    try:
        if isinstance(s, bool) or not isinstance(s, (str, int, float)):
            raise TypeError
        return Fraction(s)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        raise InputError(f"{what}: not a number: {s!r}") from None


def _pair(v: Any, what: str) -> Pair:
    if not (isinstance(v, list) and len(v) == 2):
        raise InputError(f"{what}: expected [lo, hi]")
    lo, hi = (_num(t, what) for t in v)
    if lo > hi:
        raise InputError(f"{what}: reversed interval")
    return lo, hi


def _point(r: dict, i: int) -> Point | NSPoint:
    """The claims of a proved point (None where the certificate states none: that claim then fails)."""
    w = f"hopf_points[{i}]"
    kind = r.get("kind", "hopf")
    if kind not in KINDS.values():
        raise InputError(f"{w}: kind {kind!r} is not re-checked by this checker (it checks {', '.join(KINDS.values())})")
    opt = lambda key: None if r.get(key) is None else _pair(r[key], f"{w}.{key}")  # noqa: E731
    angle = "omega" if kind == "hopf" else "theta"
    if r.get("parameter") is None or r.get(angle) is None or not isinstance(r.get("x"), list):
        raise InputError(f"{w}: a proved point needs parameter, {angle} and x enclosures")
    start = r.get("start") or {}
    try:
        centre = [_num(t, f"{w}.start") for t in start["centre"]] if "centre" in start else None
        phase = [complex(_num(t[0], w), _num(t[1], w)) for t in start["phase"]] if "phase" in start else None
    except (TypeError, KeyError, IndexError):
        raise InputError(f"{w}.start: expected centre (numbers) and phase ([re, im] pairs)") from None
    common = dict(a=_pair(r["parameter"], f"{w}.parameter"), x=[_pair(t, f"{w}.x") for t in r["x"]],
                  criticality=r.get("criticality"), centre=centre, phase=phase)
    if kind == "hopf":
        return Point(omega=_pair(r["omega"], f"{w}.omega"), l1=opt("first_lyapunov"), mu=opt("transversality"),
                     other=opt("other_eigenvalues_real_part_max"), **common)
    other = r.get("other_multipliers_modulus")
    if other is not None and not isinstance(other, list):
        raise InputError(f"{w}.other_multipliers_modulus: expected a list of [lo, hi]")
    return NSPoint(theta=_pair(r["theta"], f"{w}.theta"), d=opt("first_lyapunov"), mu=opt("transversality"),
                   other=None if other is None else [_pair(t, f"{w}.other_multipliers_modulus") for t in other],
                   theorem=(r.get("proof") or {}).get("theorem") if isinstance(r.get("proof"), dict) else None,
                   **common)


def main(path: str) -> int:
    """The ``symhopf verify CERT.json`` command (exit codes in the module docstring)."""
    try:
        verdict = verify(path)
    except InputError as exc:
        print(f"symhopf verify: error: {exc}", file=sys.stderr)
        return 2
    for line in verdict.verified:
        print(f"  verified  {line}")
    for line in verdict.unchecked:
        print(f"  NOT CHECKED  {line}")
    for line in verdict.failures:
        print(f"  FAILED    {line}")
    tail = f"; claims not re-checked: {len(verdict.unchecked)}" if verdict.unchecked else ""
    print(f"{path}: " + ("every checked claim re-verified" if verdict.ok else
                         f"{len(verdict.failures)} claim(s) FAILED") + tail)
    return 0 if verdict.ok else 1
