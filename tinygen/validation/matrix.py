"""`tinygen validate` over models x boards: each combination is one `tinygen validate` process, run
in parallel (at most `jobs` at a time: the machine's cores, or one per board for a labgrid farm,
whose places take one run each), their reports gathered into one."""

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..text_table import table_lines
from .report import REPORT_VERSION

RUN_TIMEOUT = 3600


def run_matrix(boards: list[str], models: list[str], options: list[str], labgrid: bool,
               jobs: int | None = None) -> dict:
    """options: the validate options every run shares (target, samples, gates...). Runs of one board
    go one after another on a labgrid farm (one place per board), in parallel otherwise."""
    combinations = [(board, model) for model in models for board in boards]
    lanes = defaultdict(list)
    for index, (board, model) in enumerate(combinations):
        lanes[board if labgrid else index].append((index, board, model))
    workers = len(lanes) if labgrid else min(len(lanes), jobs or os.cpu_count() or 1)
    results: list[dict | None] = [None] * len(combinations)
    with tempfile.TemporaryDirectory(prefix="tinygen-matrix-") as work, ThreadPoolExecutor(workers) as pool:
        def run_lane(lane):
            for index, board, model in lane:
                results[index] = _run_one(board, model, options, Path(work) / f"run{index}.json")
        for future in [pool.submit(run_lane, lane) for lane in lanes.values()]:
            future.result()
    return {"report_version": REPORT_VERSION, "matrix": results,
            "passed": all(run.get("exit_code") == 0 for run in results)}


def _run_one(board: str, model: str, options: list[str], report: Path) -> dict:
    command = [sys.executable, "-m", "tinygen.cli", "validate", "--board", board, "--model", model,
               "--json", str(report), *options]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"board": board, "model": model, "exit_code": None, "error": f"no result within {RUN_TIMEOUT} s"}
    if report.is_file():
        return {**json.loads(report.read_text()), "exit_code": run.returncode}
    return {"board": board, "model": model, "exit_code": run.returncode,
            "error": (run.stderr.strip() or run.stdout.strip())[-1500:]}


def summary(combined: dict) -> str:
    rows = [("model", "board", "verdict", "median", "flash", "gates")]
    for run in combined["matrix"]:
        if "error" in run:
            rows.append((Path(run["model"]).name, run["board"], "ERROR", run["error"].splitlines()[-1][:60], "", ""))
            continue
        timing, flash = run.get("timing") or {}, (run["memory"].get("flash_bytes") or {}).get("used")
        gates = run.get("gates") or []
        rows.append((Path(run["model"]).name, run["board"], "BIT-EXACT" if run["bit_exact"] else "MISMATCH",
                     f"{timing['median']:,.0f} {timing['unit']}" if timing else "",
                     f"{flash:,}" if flash else "",
                     f"{sum(g['passed'] for g in gates)}/{len(gates)} passed" if gates else ""))
    lines = table_lines(rows)
    lines.append(f"{len(combined['matrix'])} runs: {'all passed' if combined['passed'] else 'NOT all passed'}")
    return "\n".join(lines)
