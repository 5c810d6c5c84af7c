"""validate over models x boards on one machine: the runs in parallel, one combined JSON and HTML,
the exit code of the worst run."""

import json

from tinygen.cli import main
from tinygen.default_model import DEFAULT_MODEL_PATH

import tf_models


def test_models_times_boards_in_parallel_into_one_report(tmp_path, capsys):
    second = tmp_path / "conv.tflite"
    second.write_bytes(tf_models.conv2d((8, 8, 1), 8, kernel=3, seed=5))
    out = tmp_path / "matrix.json"
    code = main(["validate", "--board", "mps2-an386", "--board", "lm3s6965evb", "--model", str(DEFAULT_MODEL_PATH),
                 "--model", str(second), "--samples", "2", "--jobs", "2", "--max-flash", "64k",
                 "--json", str(out), "--html", str(tmp_path / "matrix.html")])
    printed = capsys.readouterr().out
    combined = json.loads(out.read_text())
    assert code == 0, printed
    runs = {(run["board"], run["model"].rsplit("/", 1)[-1]) for run in combined["matrix"]}
    assert runs == {(b, m) for b in ("mps2-an386", "lm3s6965evb") for m in ("digits_int8.tflite", "conv.tflite")}
    assert all(run["bit_exact"] and run["gates"][0]["passed"] for run in combined["matrix"])
    assert "4 runs: all passed" in printed
    page = (tmp_path / "matrix.html").read_text()
    assert page.count("<h2>Run ") == 4 and page.count("Budget gates") == 4


def test_a_failed_gate_in_one_run_fails_the_matrix_with_4(tmp_path, capsys):
    code = main(["validate", "--board", "mps2-an386", "--board", "lm3s6965evb", "--samples", "2",
                 "--max-flash", "15000"])
    printed = capsys.readouterr().out
    assert code == 4, printed
    assert "NOT all passed" in printed and "1/1 passed" in printed and "0/1 passed" in printed
