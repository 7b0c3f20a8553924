"""``symhopf sweep``: items proved exactly as ``symhopf prove`` does, resumable, failures recorded.

Dask runs on a LocalCluster of worker processes on 127.0.0.1 only (never another address).
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import symhopf
from symhopf import api, cli
from symhopf.errors import InputError
from symhopf.sweep_items import MODEL_COLUMNS, POINT_COLUMNS, Item, run_item
from symhopf.sweep_run import items, parse_seeds, parse_sizes
from symhopf.sweep_table import aggregates, read_tables, summary

SYMHOPF = str(Path(sys.executable).with_name("symhopf"))


def template(n: int = 4, seed: int = 0, name: str = "tpl", rng: str = "[-0.3, 0.3]") -> str:
    return (f'name = "{name}"\n[rnn]\narchitecture = "asymmetric"\nactivation = "tanh"\n'
            f"random = {{ n = {n}, seed = {seed}, perturbation = 0.1 }}\n"
            f'parameter = "alpha"\n[search]\nrange = {rng}\n')


def without_times(obj):
    """The certificate without its timing fields (time_seconds, anything named *time*)."""
    if isinstance(obj, dict):
        return {k: without_times(v) for k, v in obj.items() if "time" not in k}
    if isinstance(obj, list):
        return [without_times(v) for v in obj]
    return obj


def prove_json(model_file: Path, out: Path) -> dict:
    """What `symhopf prove MODEL --json FILE` writes (same entry point as the command)."""
    assert cli.main(["prove", str(model_file), "--json", str(out), "--quiet"]) == 0
    return json.loads(out.read_text())


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def check_tables_agree(out: Path, stems: list[str]) -> None:
    """points.csv / models.csv: the columns, and every row equal to its certificate's entries."""
    points, models = read_csv(out / "points.csv"), read_csv(out / "models.csv")
    assert list(points[0]) == POINT_COLUMNS if points else True
    assert list(models[0]) == MODEL_COLUMNS
    assert [m["model"] for m in models] == stems
    for m in models:
        cert = json.loads((out / f"{m['model']}.json").read_text())
        mine = [p for p in points if p["model"] == m["model"]]
        hp = cert["hopf_points"]
        assert m["status"] == "done" and m["name"] == cert["model"]
        assert int(m["points"]) == len(hp) == len(mine)
        assert int(m["proved"]) == sum(p["status"] == "proved" for p in hp)
        assert int(m["supercritical"]) == sum(p.get("criticality") == "supercritical" for p in hp)
        complete = bool(cert["branches"]) and all(b["completeness"]["proved"] for b in cert["branches"])
        assert m["branches_complete"] == str(complete)
        for row, p in zip(mine, hp):
            assert int(row["point"]) == hp.index(p)
            assert row["status"] == p["status"] and row["criticality"] == (p["criticality"] or "")
            for col, key in (("parameter", "parameter"), ("omega", "omega"), ("l1", "first_lyapunov"),
                             ("mu_prime", "transversality")):
                assert [row[col + "_lo"], row[col + "_hi"]] == p[key]
                assert float(p[key][0]) <= float(row[col]) <= float(p[key][1])


# ---------------------------------------------------------------- the per-item work, no Dask
def test_item_certificate_is_prove_json(tmp_path):
    """A template member is the model file with random = {n, seed}: same certificate as `prove --json`."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template(n=4, seed=0))
    rec = run_item(Item("tpl-n5-s3", str(tpl), n=5, seed=3), tmp_path / "out")
    assert rec["status"] == "done" and not rec["resumed"] and rec["n"] == 5 and rec["seed"] == 3
    by_hand = tmp_path / "by_hand.toml"
    by_hand.write_text(template(n=5, seed=3))
    want = prove_json(by_hand, tmp_path / "want.json")
    got = json.loads((tmp_path / "out" / "tpl-n5-s3.json").read_text())
    assert want["hopf_points"], "the test needs Hopf points to compare"
    assert without_times(got) == without_times(want)
    assert len(rec["rows"]) == len(want["hopf_points"]) and rec["row"]["points"] == len(want["hopf_points"])


def test_real_prove_command_writes_the_same_certificate(tmp_path):
    """Against the installed `symhopf prove --json` in its own process (one model: it is slow)."""
    model = Path("examples/asymmetric4.toml").resolve()
    rec = run_item(Item("asymmetric4", str(model)), tmp_path / "out")
    assert rec["status"] == "done"
    subprocess.run([SYMHOPF, "prove", str(model), "--json", str(tmp_path / "cli.json"), "--quiet"],
                   check=True, capture_output=True, timeout=300)
    assert without_times(json.loads((tmp_path / "out" / "asymmetric4.json").read_text())) == \
        without_times(json.loads((tmp_path / "cli.json").read_text()))
    # the certificate file is exactly the text `prove --json` writes (up to the time fields)
    text = (tmp_path / "out" / "asymmetric4.json").read_text()
    assert text.endswith("}\n") and json.loads(text)["model"] == "asymmetric4"


def test_resume_skips_finished_items(tmp_path, monkeypatch):
    """A rerun proves nothing again (counter on api.prove); a changed model file is proved again."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    calls = []
    real = api.prove
    monkeypatch.setattr(api, "prove", lambda *a, **k: calls.append(1) or real(*a, **k))
    symhopf.sweep(tpl, tmp_path / "out", seeds="0:3", n="4", workers=1, progress=False)
    assert len(calls) == 3
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("tpl-*.json")}
    symhopf.sweep(tpl, tmp_path / "out", seeds="0:4", n="4", workers=1, progress=False)
    assert len(calls) == 4                   # only seed 3 is new
    assert all((tmp_path / "out" / k).stat().st_mtime_ns == v for k, v in mtimes.items())
    tpl.write_text(template(rng="[-0.2, 0.2]"))   # another model: the stored certificates are stale
    symhopf.sweep(tpl, tmp_path / "out", seeds="0:4", n="4", workers=1, progress=False)
    assert len(calls) == 8
    cert = json.loads((tmp_path / "out" / "tpl-n4-s0.json").read_text())
    assert cert["range"] == [-0.2, 0.2]


def test_certificate_without_record_is_proved_again(tmp_path, monkeypatch):
    """Killed between the certificate and its record: not finished, proved again."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    symhopf.sweep(tpl, tmp_path / "out", seeds="0:2", workers=1, progress=False)
    (tmp_path / "out" / "items" / "tpl-n4-s1.json").unlink()
    calls = []
    real = api.prove
    monkeypatch.setattr(api, "prove", lambda *a, **k: calls.append(1) or real(*a, **k))
    symhopf.sweep(tpl, tmp_path / "out", seeds="0:2", workers=1, progress=False)
    assert len(calls) == 1 and (tmp_path / "out" / "items" / "tpl-n4-s1.json").exists()


def test_failed_items_are_recorded_and_the_rest_completes(tmp_path, monkeypatch):
    good = tmp_path / "good.toml"
    good.write_text(template())
    (tmp_path / "broken.toml").write_text("name = [unclosed\n")
    (tmp_path / "ragged.toml").write_text(
        'name = "ragged"\n[rnn]\narchitecture = "asymmetric"\nweights = [[1, 2], [3]]\nparameter = "a"\n'
        "[search]\nrange = [-1, 1]\n")
    crash = tmp_path / "crash.toml"
    crash.write_text(template(name="crash"))
    real = api.prove
    monkeypatch.setattr(api, "prove", lambda m, **k: (_ for _ in ()).throw(RuntimeError("boom"))
                        if m.name == "crash" else real(m, **k))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(tmp_path / "*.toml"), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    models = {m["model"]: m for m in read_csv(out / "models.csv")}
    assert list(models) == ["broken", "crash", "good", "ragged"]
    assert models["good"]["status"] == "done" and (out / "good.json").exists()
    assert models["broken"]["status"] == "failed" and "malformed TOML" in models["broken"]["reason"]
    assert models["ragged"]["status"] == "failed" and "[rnn] weights" in models["ragged"]["reason"]
    assert models["crash"]["reason"] == "RuntimeError: boom"
    assert not any((out / f"{s}.json").exists() for s in ("broken", "crash", "ragged"))
    assert {p["model"] for p in read_csv(out / "points.csv")} == {"good"}
    # failed items are not finished: a rerun tries them again
    calls = []
    monkeypatch.setattr(api, "prove", lambda m, **k: calls.append(m.name) or real(m, **k))
    assert cli.main(["sweep", str(tmp_path / "*.toml"), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert calls == ["crash"]
    assert read_csv(out / "models.csv")[1]["status"] == "done"


def test_weights_directory(tmp_path):
    """One item per .npz in the directory: the template with weights_file = that file."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template(name="ckpt"))
    wdir = tmp_path / "weights"
    wdir.mkdir()
    rng = np.random.default_rng(5)
    for k in range(2):
        r = rng.standard_normal((4, 4))
        np.savez(wdir / f"step{k}.npz", W=r - r.T + 0.1 * rng.standard_normal((4, 4)))
    (wdir / "notes.txt").write_text("not a weights file")
    rows = symhopf.sweep(tpl, tmp_path / "out", weights=wdir, workers=1, progress=False)
    assert sorted(set(rows["model"])) == ["tpl-step0", "tpl-step1"]
    assert set(rows["weights"]) == {"step0.npz", "step1.npz"}
    for k in range(2):
        by_hand = tmp_path / f"by_hand{k}.toml"
        by_hand.write_text(template(name="ckpt").replace("random = { n = 4, seed = 0, perturbation = 0.1 }",
                                                         f'weights_file = "weights/step{k}.npz"'))
        want = prove_json(by_hand, tmp_path / f"want{k}.json")
        got = json.loads((tmp_path / "out" / f"tpl-step{k}.json").read_text())
        assert without_times(got) == without_times(want)


def test_returns_rows_without_pandas(tmp_path, monkeypatch, capsys):
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    df = symhopf.sweep(tpl, tmp_path / "out", seeds="0:2", workers=1)
    assert list(df.columns) == POINT_COLUMNS
    err = capsys.readouterr().err                  # the progress bar (default progress=True)
    assert "sweep: 100%" in err and "2/2" in err
    monkeypatch.setitem(sys.modules, "pandas", None)
    rows = symhopf.sweep(tpl, tmp_path / "out", seeds="0:2", workers=1, progress=False)
    assert isinstance(rows, list) and rows == df.astype(object).where(df.notna(), None).to_dict("records")
    assert (tmp_path / "out" / "sweep.png").stat().st_size > 0


def test_without_dask(tmp_path, monkeypatch, capsys):
    """Default workers without dask: in this process, with a note; an explicit cluster: exit 2."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setenv("SYMHOPF_WORKERS", "2")
    assert cli.main(["sweep", str(tpl), "--seeds", "0:2", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert "dask.distributed is not installed" in capsys.readouterr().err
    assert cli.main(["sweep", str(tpl), "--seeds", "0:2", "--out", str(tmp_path / "b"), "--workers", "2"]) == 2
    assert "need dask.distributed" in capsys.readouterr().err


# ---------------------------------------------------------------- Dask (loopback LocalCluster)
def test_dask_sweep_equals_separate_prove_runs(tmp_path):
    """8 random n = 20 nets on a local cluster of 2 worker processes: the certificates of 8
    separate `symhopf prove --json` runs; the tables agree; a rerun recomputes nothing."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template(n=20, rng="[-0.1, 0.1]"))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(tpl), "--seeds", "0:8", "--n", "20", "--out", str(out),
                     "--workers", "2", "--quiet"]) == 0
    stems = [f"tpl-n20-s{s}" for s in range(8)]
    for s, stem in zip(range(8), stems):
        by_hand = tmp_path / f"seed{s}.toml"
        by_hand.write_text(template(n=20, seed=s, rng="[-0.1, 0.1]"))
        assert without_times(json.loads((out / f"{stem}.json").read_text())) == \
            without_times(prove_json(by_hand, tmp_path / f"seed{s}.json"))
    check_tables_agree(out, stems)
    assert sum(int(m["points"]) for m in read_csv(out / "models.csv")) > 8
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    assert cli.main(["sweep", str(tpl), "--seeds", "0:8", "--n", "20", "--out", str(out),
                     "--workers", "2", "--quiet"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")} == mtimes


def test_dask_records_a_bad_item(tmp_path, monkeypatch):
    """A bad model among good ones on Dask; the sweep's own cluster listens on 127.0.0.1 only."""
    import distributed

    seen = []
    real = distributed.LocalCluster

    def loopback_cluster(**kwargs):
        cluster = real(**kwargs)
        seen.append([cluster.scheduler_address, *cluster.scheduler_info["workers"]])
        return cluster

    monkeypatch.setattr(distributed, "LocalCluster", loopback_cluster)
    (tmp_path / "a.toml").write_text(template(n=5, seed=1))
    (tmp_path / "b.toml").write_text("[rnn]\narchitecture = 'nope'\n")
    (tmp_path / "c.toml").write_text(template(n=6, seed=2))
    df = symhopf.sweep([tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "c.toml"], tmp_path / "out",
                       workers=2, progress=False)
    models = read_csv(tmp_path / "out" / "models.csv")
    assert [m["status"] for m in models] == ["done", "failed", "done"]
    assert "missing key 'parameter'" in models[1]["reason"]
    assert set(df["model"]) <= {"a", "c"} and (tmp_path / "out" / "c.json").exists()
    assert len(seen) == 1 and len(seen[0]) == 3 and all(a.startswith("tcp://127.0.0.1:") for a in seen[0])


def test_killed_sweep_resumes(tmp_path):
    """SIGKILL a running `symhopf sweep` once some certificates exist; the rerun keeps them
    (same mtimes), proves the rest, and every certificate is whole JSON."""
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template(n=6))
    out = tmp_path / "out"
    cmd = [SYMHOPF, "sweep", str(tpl), "--seeds", "0:40", "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while len(list((out / "items").glob("*.json")) if (out / "items").exists() else []) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, "the sweep ended before it was killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "items").glob("*.json")}
    assert 3 <= len(kept) < 40 and not (out / "points.csv").exists()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert all((out / "items" / k).stat().st_mtime_ns == v for k, v in kept.items())
    assert len(read_csv(out / "models.csv")) == 40
    assert all(json.loads((out / f"tpl-n6-s{s}.json").read_text())["model"] == "tpl" for s in range(40))
    assert not list(out.glob(".*.tmp"))


# ---------------------------------------------------------------- input, summary
@pytest.mark.parametrize("args, message", [
    (["--seeds", "5:2"], "--seeds: expected 0 <= A < B"),
    (["--seeds", "a:b"], "--seeds: expected A:B"),
    (["--n", "1,4"], "--n: every size must be >= 2"),
    (["--workers", "0"], "--workers: expected a positive number"),
    (["--weights", "nowhere"], "not a directory"),
    (["--weights", ".", "--seeds", "0:2"], "either --weights or --seeds/--n"),
])
def test_bad_options_exit_2(tmp_path, capsys, args, message):
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    assert cli.main(["sweep", str(tpl), "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_inputs_exit_2(tmp_path, capsys):
    out = str(tmp_path / "out")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "m.toml").write_text(template())
    (tmp_path / "b" / "m.toml").write_text(template())
    (tmp_path / "fixed.toml").write_text(template().replace("random = { n = 4, seed = 0, perturbation = 0.1 }",
                                                            "weights = [[0, 1], [-1, 0]]"))
    (tmp_path / "broken.toml").write_text("name = [unclosed\n")
    (tmp_path / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    cases = [(["sweep", str(tmp_path / "none*.toml"), "--out", out], "no model files match"),
             (["sweep", str(tmp_path / "a" / "m.toml"), str(tmp_path / "b" / "m.toml"), "--out", out],
              "both would write m.json"),
             (["sweep", str(tmp_path / "fixed.toml"), "--seeds", "0:2", "--out", out], "[rnn] random"),
             (["sweep", str(tmp_path / "broken.toml"), "--seeds", "0:2", "--out", out], "not a readable TOML file"),
             (["sweep", str(tmp_path / "latin1.toml"), "--n", "4", "--out", out], "not a readable TOML file"),
             (["sweep", "--out", out], "give MODEL files"),
             (["sweep", "--summary", "--out", out], "no sweep table here")]
    for argv, message in cases:
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_items_and_option_parsing(tmp_path):
    assert parse_seeds("3:6") == [3, 4, 5] and parse_seeds("7") == [7]
    assert parse_sizes("4,50") == [4, 50]
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template(n=9, seed=4))
    assert [(i.stem, i.n, i.seed) for i in items([tpl], seeds=[0, 1])] == [("tpl-n9-s0", 9, 0), ("tpl-n9-s1", 9, 1)]
    assert [(i.stem, i.n, i.seed) for i in items([tpl], sizes=[4])] == [("tpl-n4-s4", 4, 4)]
    assert [i.stem for i in items([tmp_path])] == ["tpl"]           # a directory: its *.toml
    (tmp_path / "link.toml").symlink_to(tpl)
    assert [i.stem for i in items([tmp_path / "link.toml", tpl, tpl])] == ["link", "tpl"]
    with pytest.raises(InputError):
        Item("x", str(tmp_path / "missing.toml"), n=4, seed=0).model()


def test_summary_text_and_aggregates(tmp_path, capsys):
    points = [{"model": "a", "n": 4, "status": "proved", "criticality": "supercritical", "l1": -2.0},
              {"model": "a", "n": 4, "status": "proved", "criticality": "subcritical", "l1": 1.0},
              {"model": "b", "n": 6, "status": "not_proved", "criticality": None, "l1": 0.5}]
    models = [{"model": "a", "n": 4, "status": "done", "branches_complete": True, "time": 1.5, "reason": ""},
              {"model": "b", "n": 6, "status": "done", "branches_complete": False, "time": 0.25, "reason": ""},
              {"model": "c", "n": None, "status": "failed", "branches_complete": None, "time": 0.0,
               "reason": "c.toml: malformed TOML"}]
    agg = aggregates(points, models)
    assert [a["n"] for a in agg] == [4, 6, "all"]
    assert agg[0]["supercritical_fraction"] == 0.5 and agg[0]["l1_median"] == -0.5
    assert agg[2]["failed"] == 1 and agg[2]["points"] == 3 and agg[2]["proved"] == 2
    assert summary(points, models).splitlines() == [
        "sweep: 3 model(s), 3 Hopf point(s)",
        "     n  models failed  points  proved  super   l1 median complete  time (s)",
        "     4       1      0       2       2    50%        -0.5        1      1.50",
        "     6       1      0       1       0      -           -        0      0.25",
        "   all       3      1       3       2    50%        -0.5        1      1.75",
        "(super: supercritical share of the proved points; l1: midpoints of the proved enclosures; "
        "complete: models whose branches found all have their Hopf list proved complete; "
        "time: sum of the models' proof times)",
        "  failed c: c.toml: malformed TOML"]


def test_summary_reads_the_tables_back(tmp_path, capsys):
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    out = tmp_path / "out"
    assert cli.main(["sweep", str(tpl), "--seeds", "0:3", "--n", "4,5", "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert cli.main(["sweep", "--summary", "--out", str(out)]) == 0
    assert capsys.readouterr().out == printed
    points, models = read_tables(out)
    assert [m["n"] for m in models] == [4, 4, 4, 5, 5, 5] and all(isinstance(p["l1"], float) for p in points)
    assert printed.splitlines()[2].split()[:3] == ["4", "3", "0"]


def test_parquet_when_pyarrow(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template())
    symhopf.sweep(tpl, tmp_path / "out", seeds="0:2", workers=1, progress=False)
    table = pq.read_table(tmp_path / "out" / "points.parquet")
    assert table.column_names == POINT_COLUMNS
    assert table.num_rows == len(read_csv(tmp_path / "out" / "points.csv"))


class DyingItem(Item):
    """An item whose worker process dies while loading the model (shipped to Dask by value)."""

    def model(self):
        os._exit(3)


def test_dask_records_a_dead_worker(tmp_path):
    """A task whose worker process dies is recorded as failed; the other items complete."""
    import cloudpickle
    import dask

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    good = tmp_path / "good.toml"
    good.write_text(template(n=5, seed=1))
    todo = [Item("good", str(good)), DyingItem("dies", str(good))]
    from symhopf.sweep_run import execute
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            records = execute(todo, tmp_path / "out", workers=2, progress=False)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert records[0]["status"] == "done" and (tmp_path / "out" / "good.json").exists()
    assert records[1]["status"] == "failed" and records[1]["reason"].startswith("task failed: KilledWorker")
    assert records[1]["row"]["status"] == "failed" and records[1]["rows"] == []


def test_scheduler_address(tmp_path):
    """--scheduler: the items run on an existing cluster (here a loopback LocalCluster)."""
    from distributed import LocalCluster

    tpl = tmp_path / "tpl.toml"
    tpl.write_text(template(n=5))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        cluster.wait_for_workers(2)      # scheduler_info lists a worker only once it has registered
        workers = cluster.scheduler_info["workers"]
        addresses = [*workers, *(w["nanny"] for w in workers.values())]
        assert len(addresses) == 4 and all(str(a).startswith("tcp://127.0.0.1:") for a in addresses), addresses
        assert cli.main(["sweep", str(tpl), "--seeds", "0:4", "--out", str(tmp_path / "out"),
                         "--scheduler", cluster.scheduler_address, "--quiet"]) == 0
    check_tables_agree(tmp_path / "out", [f"tpl-n5-s{s}" for s in range(4)])
    serial = tmp_path / "serial"
    symhopf.sweep(tpl, serial, seeds="0:4", n="5", workers=1, progress=False)
    for s in range(4):
        assert without_times(json.loads((tmp_path / "out" / f"tpl-n5-s{s}.json").read_text())) == \
            without_times(json.loads((serial / f"tpl-n5-s{s}.json").read_text()))


def test_failed_rerun_leaves_no_stale_certificate(tmp_path):
    """The model file changed and now fails: its old certificate does not stay beside the failure."""
    m = tmp_path / "m.toml"
    m.write_text(template())
    symhopf.sweep(m, tmp_path / "out", workers=1, progress=False)
    assert (tmp_path / "out" / "m.json").exists()
    m.write_text(template().replace('architecture = "asymmetric"', 'architecture = "nope"'))
    symhopf.sweep(m, tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out" / "m.json").exists()
    row = read_csv(tmp_path / "out" / "models.csv")[0]
    assert row["status"] == "failed" and "unknown 'nope'" in row["reason"]
