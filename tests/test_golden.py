"""The committed modules in generated/ are exactly what `symhopf generate` produces today.

Refresh them with `pytest tests/test_golden.py --update-golden` (`make golden`).
"""
import subprocess
import sys
from pathlib import Path

import pytest

from symhopf.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = {  # committed module -> the example it is generated from
    "asymmetric_tanh.py": "asymmetric4.toml",
    "leaky_tanh.py": "leaky3_bias.toml",
    "lorenz.py": "lorenz.toml",
    "paper_transpose.py": "paper_transpose.toml",   # a formula with a transpose
}


@pytest.mark.parametrize("module, example", sorted(GOLDEN.items()))
def test_generated_module_matches_golden(module, example, tmp_path, update_golden, capsys):
    out = ROOT / "generated" if update_golden else tmp_path
    assert main(["generate", str(ROOT / "examples" / example), "--out", str(out)]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written == out / module, f"{example} generates {written.name}, expected {module}"
    if update_golden:
        return
    golden = ROOT / "generated" / module
    assert golden.exists(), f"{golden} missing: run pytest tests/test_golden.py --update-golden"
    assert written.read_bytes() == golden.read_bytes(), \
        f"{golden} is stale: run pytest tests/test_golden.py --update-golden and review the diff"


def test_generated_module_runs_on_its_own():
    run = subprocess.run([sys.executable, str(ROOT / "generated" / "lorenz.py"), "--help"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "usage: lorenz.py" in run.stdout and "--json" in run.stdout
