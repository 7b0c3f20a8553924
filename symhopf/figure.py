"""The numerical bifurcation diagram of a report: Re of the eigenvalues nearest the axis.

Floats only (nothing here is a proof): along the equilibrium branches through the
certificate's Hopf points, sampled over the search range, plot the real parts of
the few eigenvalues of ``Df(x(a), a)`` closest to the imaginary axis, with the
proved Hopf points marked. The branches are either the search stage's
``Branch`` objects (``.x``, ``.a``) or followed here by float Newton from each
point's x* in both directions (natural-parameter continuation; it stops at a
fold). matplotlib is an optional dependency (extra ``plot``): without it
:func:`bifurcation_diagram` returns None and the report says so.
"""
from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import numpy as np

#: how many eigenvalues (counting a complex pair once) are drawn per sample
N_EIGS = 4


def matplotlib_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _mid(pair: Sequence[str] | None) -> float | None:
    if not pair:
        return None
    return float((Decimal(pair[0]) + Decimal(pair[1])) / 2)


def _newton(flt: Any, x: np.ndarray, a: float, iters: int = 30) -> np.ndarray | None:
    for _ in range(iters):
        F = np.asarray(flt.f(x, a), float)
        try:
            dx = np.linalg.solve(np.asarray(flt.Df(x, a), float), F)
        except np.linalg.LinAlgError:
            return None
        x = x - dx
        if not np.all(np.isfinite(x)):
            return None
        if np.linalg.norm(dx, np.inf) <= 1e-12 * (1 + np.linalg.norm(x, np.inf)):
            return x
    return x if np.linalg.norm(np.asarray(flt.f(x, a), float), np.inf) < 1e-8 * (1 + np.linalg.norm(x, np.inf)) else None


def follow(flt: Any, x0: np.ndarray, a0: float, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equilibria x(a) on the grid points reachable from (x0, a0) by Newton with a secant predictor."""
    x0 = _newton(flt, np.asarray(x0, float), a0)
    if x0 is None:
        return np.empty(0), np.empty((0, len(np.atleast_1d(x0))))
    pts: list[tuple[float, np.ndarray]] = [(a0, x0)]
    for side in (grid[grid > a0], grid[grid < a0][::-1]):
        prev_a, prev_x, slope = a0, x0, np.zeros_like(x0)
        for a in side:
            x = _newton(flt, prev_x + slope * (a - prev_a), float(a))
            if x is None or np.linalg.norm(x - prev_x, np.inf) > 10 * (1 + np.linalg.norm(prev_x, np.inf)):
                break
            slope = (x - prev_x) / (a - prev_a)
            pts.append((float(a), x))
            prev_a, prev_x = a, x
    pts.sort(key=lambda t: t[0])
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


def _seeds(certificate: Any) -> list[tuple[float, np.ndarray, int]]:
    out = []
    for k, p in enumerate(certificate.hopf_points, 1):
        a, xs = _mid(p.parameter), p.x
        if a is not None and xs:
            out.append((a, np.array([_mid(t) for t in xs]), k))
    return out


def branch_samples(system: Any, certificate: Any, branches: Sequence[Any] | None = None,
                   samples: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(a values, x values)] along the branches to draw (see the module docstring)."""
    flt, n = system.flt, system.n
    a0, a1 = (float(r) for r in certificate.range)
    if samples is None:
        samples = int(min(201, max(41, 2e7 / max(n, 1) ** 3)))
    grid = np.linspace(a0, a1, samples)
    curves: list[tuple[np.ndarray, np.ndarray]] = []
    for br in branches or []:
        A, X = np.asarray(br.a, float), np.asarray(br.x, float)
        if len(A) >= 10 and np.ptp(X) > 0:
            curves.append((A, X))
        elif len(A):
            curves.append(follow(flt, X[0], float(A[0]), grid))
    for a, x, _ in _seeds(certificate):
        if any(_on_curve(A, X, a, x) for A, X in curves):
            continue
        A, X = follow(flt, x, a, grid)
        if len(A):
            curves.append((A, X))
    return curves


def _on_curve(A: np.ndarray, X: np.ndarray, a: float, x: np.ndarray) -> bool:
    """Whether (a, x) is (nearly) a point of the sampled curve (A, X): skip drawing it twice."""
    if len(A) == 0:
        return False
    span = max(float(np.ptp(A)), 1e-12)
    d = np.abs(A - a) / span + np.max(np.abs(X - x), axis=1) / (1 + np.linalg.norm(x, np.inf))
    return bool(d.min() < 0.02)


def leading_real_parts(system: Any, A: np.ndarray, X: np.ndarray, k: int = N_EIGS
                       ) -> tuple[list[float], list[float], list[bool]]:
    """(a, Re lambda, lambda complex?) for the k eigenvalues (Im >= 0) nearest the axis."""
    aa, re, cplx = [], [], []
    for a, x in zip(A, X):
        ev = np.linalg.eigvals(np.asarray(system.flt.Df(x, float(a)), float))
        ev = ev[ev.imag >= -1e-12 * (1 + np.abs(ev))]
        for lam in ev[np.argsort(np.abs(ev.real))][:k]:
            aa.append(float(a))
            re.append(float(lam.real))
            cplx.append(bool(abs(lam.imag) > 1e-9 * (1 + abs(lam))))
    return aa, re, cplx


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend; None when matplotlib is not installed."""
    if not matplotlib_available():
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _prepare(system: Any, certificate: Any, path: str | Path, branches: Sequence[Any] | None,
             samples: int | None) -> tuple[Path, tuple[float, float], list[tuple[np.ndarray, np.ndarray]]]:
    """The output path (its directory made), the range as floats and the sampled branches."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    a0, a1 = (float(r) for r in certificate.range)
    return path, (a0, a1), branch_samples(system, certificate, branches, samples)


def bifurcation_diagram(system: Any, certificate: Any, path: str | Path,
                        branches: Sequence[Any] | None = None, samples: int | None = None) -> Path | None:
    """Write the diagram as a vector PDF at ``path``; None when matplotlib is not installed."""
    plt = _pyplot()
    if plt is None:
        return None
    path, (a0, a1), curves = _prepare(system, certificate, path, branches, samples)
    with plt.rc_context({"font.size": 9, "axes.titlesize": 9, "pdf.fonttype": 42}):
        fig, ax = plt.subplots(figsize=(6.0, 3.1))
        ax.axhline(0, color="0.4", lw=0.8)
        all_re: list[float] = []
        labelled = set()
        for A, X in curves:
            aa, re, cplx = leading_real_parts(system, A, X)
            aa, re, cplx = np.array(aa), np.array(re), np.array(cplx, bool)
            all_re += list(re)
            for mask, style, lab in ((cplx, dict(color="C0", marker="o", s=5), "complex pair"),
                                     (~cplx, dict(color="C1", marker="s", s=4), "real eigenvalue")):
                if mask.any():
                    ax.scatter(aa[mask], re[mask], linewidths=0, label=None if lab in labelled else lab,
                               zorder=2, **style)
                    labelled.add(lab)
        marks: list = []
        for k, p in enumerate(certificate.hopf_points, 1):
            a = _mid(p.parameter)
            if a is None:
                continue
            proved = p.status == "proved"
            ax.axvline(a, color="C3" if proved else "0.6", lw=0.7, ls="--" if proved else ":", zorder=1)
            ax.scatter([a], [0], marker="*" if proved else "x", s=70 if proved else 30, zorder=3,
                       color="C3" if proved else "0.4",
                       label=None if ("p" if proved else "n") in labelled else
                       ("proved Hopf point" if proved else "candidate, not proved"))
            labelled.add("p" if proved else "n")
            marks.append(((a, 0.0), f"H{k}", "C3" if proved else "0.4"))
        if all_re:
            lim = float(np.quantile(np.abs(all_re), 0.98)) * 1.15 or 1.0
            ax.set_ylim(-lim, lim)
        ax.set_xlim(a0, a1)
        name = certificate.parameter
        ax.set_xlabel(f"parameter ${_mathtext(name)}$")
        ax.set_ylabel(r"Re $\lambda$")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        if marks:
            annotate_without_overlap(fig, ax, *zip(*marks))
        else:
            fig.tight_layout()
        fig.savefig(path, format="pdf", metadata={"CreationDate": None}, bbox_inches="tight")
        plt.close(fig)
    return path


def _mathtext(name: str) -> str:
    greek = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
             "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"}
    if name in greek:
        return "\\" + name
    base, _, sub = name.partition("_")
    return base + (f"_{{{sub}}}" if sub else "")


# ---------------------------------------------------------------- the MatCont/AUTO-style diagram
#: label font size (points) of the H/LP labels
LABEL_SIZE = 7


def _measure(X: np.ndarray, component: int | None) -> np.ndarray:
    """The plotted state measure: the Euclidean norm of x, or one component (0-based)."""
    X = np.atleast_2d(X)
    return np.linalg.norm(X, axis=1) if component is None else X[:, component]


def _stable(system: Any, A: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Whether every eigenvalue of Df(x(a), a) has negative real part, per sample (floats)."""
    return np.array([bool(np.max(np.linalg.eigvals(np.asarray(system.flt.Df(x, float(a)), float)).real) < 0)
                     for a, x in zip(A, X)], bool)


def place_labels(points: Sequence[tuple[float, float]], texts: Sequence[str], width: float, height: float,
                 step: float) -> list[float]:
    """Vertical offsets (display units) so that no two label boxes overlap: each label (centred on its
    point's x, ``width`` per character, ``height`` tall) goes to the lowest free level, one ``step``
    apart. Points and sizes in the same display units."""
    placed: list[tuple[float, float, float, float]] = []
    offsets = []
    for (x, y), t in sorted(zip(points, texts), key=lambda p: p[0][0]):
        w = width * len(t)
        for level in range(200):
            y0 = y + step * (1 + level)
            box = (x - w / 2, x + w / 2, y0, y0 + height)
            if all(box[1] <= b[0] or box[0] >= b[1] or box[3] <= b[2] or box[2] >= b[3] for b in placed):
                break
        placed.append(box)
        offsets.append(((x, y, t), step * (1 + level)))
    order = {(x, y, t): off for (x, y, t), off in offsets}
    return [order[(x, y, t)] for (x, y), t in zip(points, texts)]


def annotate_without_overlap(fig: Any, ax: Any, pts: Sequence[tuple[float, float]], texts: Sequence[str],
                             colors: Sequence[str]) -> None:
    """Label the points (data coordinates) above themselves at the levels of :func:`place_labels`
    (a thin leader line when raised); the upper y limit grows so that every label stays inside."""
    if not pts:
        return
    fig.tight_layout()

    def offsets() -> tuple[list[tuple[float, float]], list[float]]:
        disp = [tuple(ax.transData.transform(p) * 72.0 / fig.dpi) for p in pts]
        return disp, place_labels(disp, texts, 0.6 * LABEL_SIZE, LABEL_SIZE, 1.3 * LABEL_SIZE)

    disp, offs = offsets()
    top_pt = max(d[1] + o for d, o in zip(disp, offs)) + 2 * LABEL_SIZE
    box = ax.get_window_extent()
    ax_top_pt, h_pt = box.y1 * 72.0 / fig.dpi, box.height * 72.0 / fig.dpi
    if top_pt > ax_top_pt:
        y_lo, y_hi = ax.get_ylim()
        ax.set_ylim(y_lo, y_hi + (top_pt - ax_top_pt) * (y_hi - y_lo) / max(h_pt - (top_pt - ax_top_pt), 1.0))
        disp, offs = offsets()
    for (a, y), t, c, o in zip(pts, texts, colors, offs):
        ax.annotate(t, (a, y), textcoords="offset points", xytext=(0, o), ha="center", va="bottom",
                    fontsize=LABEL_SIZE, color=c,
                    arrowprops=dict(arrowstyle="-", lw=0.4, color="0.6", shrinkA=0, shrinkB=2)
                    if o > 1.5 * LABEL_SIZE else None)


def state_diagram(system: Any, certificate: Any, path: str | Path, branches: Sequence[Any] | None = None,
                  component: int | None = None, samples: int | None = None) -> Path | None:
    """The bifurcation diagram as MatCont/AUTO draw it, as a vector PDF at ``path`` (None without
    matplotlib): ``|x|`` (or ``x[component]``) of the equilibria against the parameter, solid where
    the equilibrium is stable and dashed where it is unstable (float eigenvalues), the Hopf points
    labelled H1, H2, ... without overlap (proved: filled, not proved: open), the search's folds as
    LP. Floats only, for orientation; branch points are not sought and not marked."""
    plt = _pyplot()
    if plt is None:
        return None
    path, (a0, a1), curves = _prepare(system, certificate, path, branches, samples)
    ylabel = r"$\|x\|_2$" if component is None else f"$x_{{{component + 1}}}$"
    with plt.rc_context({"font.size": 9, "pdf.fonttype": 42}):
        fig, ax = plt.subplots(figsize=(6.0, 3.2))
        ys: list[float] = []
        for A, X in curves:
            if len(A) < 2:
                continue
            Y, st = _measure(X, component), _stable(system, A, X)
            ys += list(Y)
            start = 0
            for i in range(1, len(A) + 1):
                if i == len(A) or st[i] != st[start]:
                    seg = slice(start, min(i + 1, len(A)))
                    ax.plot(A[seg], Y[seg], color="C0", lw=1.2, ls="-" if st[start] else "--")
                    start = i
        pts, texts, colors = [], [], []
        for k, p in enumerate(certificate.hopf_points, 1):
            a = _mid(p.parameter)
            if a is None or not p.x:
                continue
            y = float(_measure(np.array([[_mid(t) for t in p.x]]), component)[0])
            proved = p.status == "proved"
            ax.plot([a], [y], "o", ms=4, color="C3", mfc="C3" if proved else "white", zorder=3)
            pts.append((a, y)), texts.append(f"H{k}"), colors.append("C3" if proved else "0.4")
            ys.append(y)
        for b in certificate.branches:
            for a in b.get("folds", []):
                match = [(A, X) for A, X in curves if len(A) and min(A) - 1e-9 <= a <= max(A) + 1e-9]
                if not match:
                    continue
                A, X = match[0]
                i = int(np.argmin(np.abs(A - a)))
                y = float(_measure(X[i:i + 1], component)[0])
                ax.plot([a], [y], "s", ms=4, color="C2", zorder=3)
                pts.append((a, y)), texts.append("LP"), colors.append("C2")
        ax.set_xlim(a0, a1)
        lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        pad = (hi - lo) * 0.1 or max(abs(hi), 1.0) * 0.1
        ax.set_ylim(lo - (pad if hi > lo else pad / 4), hi + pad)
        annotate_without_overlap(fig, ax, pts, texts, colors)
        ax.plot([], [], color="C0", ls="-", label="stable equilibrium")
        ax.plot([], [], color="C0", ls="--", label="unstable equilibrium")
        ax.set_xlabel(f"parameter ${_mathtext(certificate.parameter)}$")
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        fig.savefig(path, format="pdf", metadata={"CreationDate": None}, bbox_inches="tight")
        plt.close(fig)
    return path
