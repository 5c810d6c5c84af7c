"""A missing system tool is named with the package that brings it, in words that fit a wheel install
as well as a source checkout."""

import pytest

from tinygen.boards import get_board
from tinygen.errors import TinygenError
from tinygen.firmware import platformio_env
from tinygen.targets.qemu import qemu_command


@pytest.fixture
def empty_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))


def test_missing_arm_compiler_names_the_debian_packages(empty_path):
    with pytest.raises(TinygenError) as error:
        platformio_env.prepare()
    message = str(error.value)
    assert "arm-none-eabi-gcc is not installed" in message
    assert "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi" in message
    assert "pip cannot install it" in message and "source checkout" in message


def test_missing_qemu_names_the_debian_package(empty_path, tmp_path):
    with pytest.raises(TinygenError, match=r"apt-get install qemu-system-arm`"):
        qemu_command(get_board("mps2-an386"), tmp_path / "firmware.elf")
