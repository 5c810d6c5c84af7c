"""Generated hardware-in-the-loop CI: the Renode/Robot suite per board (parsed by Robot Framework's
own parser, its expected lines checked against TFLM and against the firmware in QEMU) and the GitHub
Actions and GitLab CI pipelines (parsed by PyYAML). Renode and the CI runners are not here: nothing
is run in them."""

import shlex

import numpy as np
import pytest
import yaml
from robot.api import TestSuiteBuilder as SuiteBuilder  # not collected as a test class
from robot.api import get_model
from robot.api.parsing import ModelVisitor

from tinygen import default_model
from tinygen.boards import get_board
from tinygen.errors import TinygenError
from tinygen.firmware.build import build, compile_for
from tinygen.hil.ci_workflows import github_workflow, gitlab_pipeline
from tinygen.hil.renode_suite import renode_files
from tinygen.targets.qemu import run_elf
from tinygen.validation.reference import TflmReference

MODEL = default_model.DEFAULT_MODEL_PATH
AWKWARD_MODEL = "models/my model: v2 #1.tflite"
GATES = ["--max-ram", "64k", "--max-flash=256k", "--baseline", "runs/base line: 'old'.json"]


def tflm_hex(sample: list[np.ndarray]) -> list[str]:
    reference = TflmReference(MODEL, 1)
    try:
        return [np.ascontiguousarray(out).tobytes().hex() for out in reference.run(sample)]
    finally:
        reference.close()


def write_suite(tmp_path, sample=None):
    files = renode_files(get_board("nrf52840"), MODEL, sample)
    assert sorted(files) == ["nrf52840.resc", "nrf52840.robot"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path / "nrf52840.robot", files


def parse_errors(path) -> list:
    errors = []

    class Collect(ModelVisitor):
        def generic_visit(self, node):
            errors.extend(getattr(node, "errors", ()))
            super().generic_visit(node)

    Collect().visit(get_model(str(path)))
    return errors


def expected_outputs(robot_path) -> list[tuple[str, str]]:
    test, = SuiteBuilder().build(str(robot_path)).tests
    return [tuple(step.args) for step in test.body if step.name == "Output Should Be"]


def test_renode_suite_parses_with_renode_keywords_and_expects_tflm_bytes(tmp_path):
    robot_path, _ = write_suite(tmp_path)
    assert parse_errors(robot_path) == []
    suite = SuiteBuilder().build(str(robot_path))
    assert [i.name for i in suite.resource.imports] == ["${RENODEKEYWORDS}"]
    assert (suite.setup.name, suite.teardown.name) == ("Setup", "Teardown")
    test, = suite.tests
    assert test.name == "Outputs Equal The TFLM Reference"
    assert (test.setup.name, test.teardown.name, test.timeout) == ("Reset Emulation", "Test Teardown", "5 minutes")
    assert [step.name for step in test.body] == ["Start Firmware", "Wait For Line On Uart", "Output Should Be",
                                                 "Wait For Line On Uart", "Wait For Line On Uart"]
    assert test.body[-1].args == ("tg-done",)
    keywords = {keyword.name: keyword for keyword in suite.resource.keywords}
    assert [step.name for step in keywords["Start Firmware"].body] == [
        "Execute Command", "Execute Script", "Create Terminal Tester", "Start Emulation"]
    wait, = keywords["Output Should Be"].body
    assert wait.name == "Wait For Line On Uart"
    assert wait.args == ("^tg-output ${position} ${hex}$", "treatAsRegex=true")
    # `tinygen build` embeds the held-out digit for the default model.
    assert expected_outputs(robot_path) == [("0", tflm_hex([default_model.sample_input()[0]])[0])]


def test_renode_suite_expects_tflm_bytes_of_a_given_sample(tmp_path):
    sample = [np.full((1, 8, 8, 1), 37, dtype=np.int8)]
    robot_path, _ = write_suite(tmp_path, sample)
    assert expected_outputs(robot_path) == [("0", tflm_hex(sample)[0])]


def test_renode_suite_expects_what_the_firmware_prints(tmp_path):
    """The same model and input built for nrf52840's nearest emulated core and run in QEMU print
    exactly the lines the suite waits for."""
    robot_path, _ = write_suite(tmp_path)
    board = get_board("mps2-an386")
    result = build(board, compile_for(board, MODEL), tmp_path / "fw", sample=[default_model.sample_input()[0]])
    run = run_elf(board, result.elf, timeout=120)
    assert run.exit_code == 0, run.uart
    assert [tuple(line.split()) for line in run.lines("tg-output ")] == expected_outputs(robot_path)


def test_renode_script_names_the_platform_and_takes_the_elf_as_a_variable(tmp_path):
    _, files = write_suite(tmp_path)
    script = files["nrf52840.resc"]
    assert "machine LoadPlatformDescription @platforms/cpus/nrf52840.repl" in script
    assert "$elf ?= @firmware_out/nrf52840/firmware.elf" in script
    assert "sysbus LoadELF $elf" in script
    assert "Execute Command    $elf = @${ELF}" in files["nrf52840.robot"]


def test_a_board_without_a_renode_platform_is_refused_by_name():
    with pytest.raises(TinygenError, match="no Renode platform for mps2-an386.*nrf52840"):
        renode_files(get_board("mps2-an386"), MODEL)


def words(command: str) -> list[str]:
    return shlex.split(command)


def test_github_workflow_has_the_jobs_matrix_gates_runner_and_artifacts():
    workflow = yaml.safe_load(github_workflow(["nrf52840", "netduinoplus2"], AWKWARD_MODEL, GATES, "lab-rack-2"))
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    jobs = workflow["jobs"]
    assert list(jobs) == ["build", "qemu", "renode", "labgrid"]
    for name in ("build", "qemu"):
        assert jobs[name]["strategy"]["matrix"]["board"] == ["nrf52840", "netduinoplus2"]
    assert jobs["renode"]["strategy"]["matrix"]["board"] == ["nrf52840"]   # the board with a Renode platform
    assert workflow["env"]["TINYGEN_MODEL"] == AWKWARD_MODEL
    uses = {name: [step.get("uses", "") for step in job["steps"]] for name, job in jobs.items()}
    assert all("actions/checkout@v4" in steps for steps in uses.values())
    assert "actions/setup-python@v5" in uses["qemu"]
    runs = {name: [step["run"] for step in job["steps"] if "run" in step] for name, job in jobs.items()}
    assert 'python -m pip install "$TINYGEN_PIP"' in runs["build"][0]
    build_words = words(runs["build"][-1])
    assert build_words[:2] == ["tinygen", "build"] and "--board" in build_words
    assert build_words[build_words.index("--model") + 1] == AWKWARD_MODEL
    validate = words(runs["qemu"][-1].split("&&", 1)[1])
    assert validate[:2] == ["tinygen", "validate"]
    assert validate[validate.index("--model") + 1] == AWKWARD_MODEL
    assert validate[-len(GATES):] == GATES
    assert "--json" in validate and "--html" in validate
    report_upload, = [s for s in jobs["qemu"]["steps"] if s.get("uses") == "actions/upload-artifact@v4"]
    assert report_upload["if"] == "always()" and report_upload["with"]["path"] == "reports/"
    renode, = [s for s in jobs["renode"]["steps"] if s.get("uses", "").startswith("antmicro/renode-test-action@")]
    assert renode["with"]["tests-to-run"] == "hil/renode/${{ matrix.board }}.robot"
    assert "--variable ELF:" in renode["with"]["renode-arguments"]
    assert jobs["labgrid"]["runs-on"] == ["self-hosted", "lab-rack-2"]
    assert words(runs["labgrid"][-1].split("&&", 1)[1])[:4] == ["pytest", "--lg-env", "hil/env.yaml",
                                                               "hil/test_tinygen_hil.py"]
    assert "actions/upload-artifact@v4" in uses["labgrid"] and "actions/download-artifact@v4" in uses["labgrid"]


def test_github_workflow_without_renode_boards_has_no_renode_job():
    workflow = yaml.safe_load(github_workflow(["mps2-an386"], "model.tflite", []))
    assert list(workflow["jobs"]) == ["build", "qemu", "labgrid"]
    assert workflow["jobs"]["labgrid"]["runs-on"] == ["self-hosted", "tinygen-hil"]


def test_gitlab_pipeline_has_the_stages_matrix_gates_tags_and_artifacts():
    pipeline = yaml.safe_load(gitlab_pipeline(["nrf52840", "netduinoplus2"], AWKWARD_MODEL, GATES, "lab-rack-2"))
    assert pipeline["stages"] == ["build", "validate", "hil"]
    assert pipeline["variables"]["TINYGEN_MODEL"] == AWKWARD_MODEL
    for name in ("build", "qemu"):
        assert pipeline[name]["parallel"]["matrix"] == [{"BOARD": ["nrf52840", "netduinoplus2"]}]
        assert pipeline[name]["extends"] == ".tinygen"
    assert pipeline["renode"]["parallel"]["matrix"] == [{"BOARD": ["nrf52840"]}]
    assert words(pipeline["renode"]["script"][0])[-1] == "hil/renode/$BOARD.robot"
    build_words = words(pipeline["build"]["script"][0])
    assert build_words[build_words.index("--model") + 1] == AWKWARD_MODEL
    validate = words(pipeline["qemu"]["script"][0].split("&&", 1)[1])
    assert validate[validate.index("--model") + 1] == AWKWARD_MODEL
    assert validate[-len(GATES):] == GATES
    assert validate[validate.index("--json") + 1] == "reports/$BOARD.json"
    assert pipeline["qemu"]["artifacts"] == {"name": "reports-$BOARD", "when": "always", "paths": ["reports/"]}
    assert pipeline["build"]["artifacts"]["paths"] == ["firmware_out/$BOARD/"]
    labgrid = pipeline["labgrid"]
    assert labgrid["tags"] == ["lab-rack-2"] and labgrid["stage"] == "hil"
    assert "pytest --lg-env hil/env.yaml hil/test_tinygen_hil.py" in labgrid["script"][0]
    assert labgrid["artifacts"]["reports"]["junit"] == "reports/labgrid.xml"


def test_pipelines_refuse_unknown_boards_and_an_empty_list():
    for generate in (github_workflow, gitlab_pipeline):
        with pytest.raises(TinygenError, match="no-such-board"):
            generate(["no-such-board"], "model.tflite", [])
        with pytest.raises(TinygenError, match="at least one board"):
            generate([], "model.tflite", [])
