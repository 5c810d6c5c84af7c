"""`tinygen flash`: the exact command per board, and a clear failure with no probe or no tool."""

import shutil

import pytest

from tinygen.cli import main


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("fw")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGEN_HOME", str(tmp_path_factory.mktemp("home")))
        projects = {}
        for board in ("nrf52840", "netduinoplus2"):
            projects[board] = out / board
            assert main(["build", "--board", board, "--out", str(projects[board])]) == 0
    return projects


def test_dry_run_prints_the_exact_command(built, capsys):
    capsys.readouterr()
    assert main(["flash", "--board", "nrf52840", "--dir", str(built["nrf52840"]), "--dry-run"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"nrfjprog -f NRF52 --program {built['nrf52840'] / 'firmware.hex'} --chiperase --verify --reset")


def test_without_the_tool_or_a_probe_it_fails_clearly(built, capsys):
    capsys.readouterr()
    code = main(["flash", "--board", "netduinoplus2", "--dir", str(built["netduinoplus2"])])
    error = capsys.readouterr().err
    assert code == 1
    if shutil.which("openocd"):
        assert "is the board connected with its debug probe?" in error
    else:
        assert "openocd is not installed" in error


def test_fpga_boards_and_unbuilt_projects_are_refused(tmp_path, capsys):
    assert main(["flash", "--board", "mps2-an386", "--dir", str(tmp_path), "--dry-run"]) == 1
    assert "cannot be flashed" in capsys.readouterr().err
    assert main(["flash", "--board", "nrf52840", "--dir", str(tmp_path), "--dry-run"]) == 1
    assert "no firmware" in capsys.readouterr().err
