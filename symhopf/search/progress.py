"""Optional progress reporting for the search: a callback ``(stage, fraction) -> None``.

``progress=None`` or ``False``: quiet. ``True``: a bar on stderr (tqdm when installed,
else one plain line rewritten in place). A callable is used as is.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

ProgressFn = Callable[[str, float], None]


class StderrBar:
    """Progress bar on stderr; call with (stage, fraction in [0, 1]), then ``close()``."""

    def __init__(self) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            self._bar: Any = None
        else:
            self._bar = tqdm(total=100, file=sys.stderr, leave=False, bar_format="{desc} {bar} {percentage:3.0f}%")
        self._stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        pct = int(round(100 * min(max(fraction, 0.0), 1.0)))
        if self._bar is not None:
            self._bar.set_description_str(f"symhopf search: {stage}")
            self._bar.n = pct
            self._bar.refresh()
        else:
            sys.stderr.write(f"\rsymhopf search: {stage:<14} {pct:3d}%")
            sys.stderr.flush()
        self._stage = stage

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._stage:
            sys.stderr.write("\n")
            sys.stderr.flush()


def make_progress(progress: bool | ProgressFn | None) -> tuple[ProgressFn, Callable[[], None]]:
    """The callback to use and a function to call when done."""
    if progress is True:
        bar = StderrBar()
        return bar, bar.close
    if callable(progress):
        return progress, lambda: None
    return (lambda stage, fraction: None), lambda: None
