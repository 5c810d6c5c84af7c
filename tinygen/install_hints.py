"""What to tell a user whose installation lacks something tinygen runs, whether tinygen came from a wheel
(pip) or from a source checkout (`.ci/install`)."""

import sys

from .errors import TinygenError


def missing_system_tool(tool: str, debian_packages: str) -> TinygenError:
    return TinygenError(f"{tool} is not installed (not found on PATH), and pip cannot install it: use the system's "
                        f"package manager (Debian/Ubuntu: `sudo apt-get install {debian_packages}`). In a tinygen "
                        "source checkout, `bash .ci/install` installs it with everything else.")


def missing_python_package(package: str) -> TinygenError:
    return TinygenError(f"{package} is not installed in this Python environment ({sys.executable}). It is one of "
                        f"tinygen's dependencies: `{sys.executable} -m pip install {package}`, or reinstall tinygen "
                        "without --no-deps. In a tinygen source checkout, `bash .ci/install` installs it.")
