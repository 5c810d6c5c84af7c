"""CI pipelines for a project that uses tinygen: GitHub Actions and GitLab CI, each with four jobs.

build      `tinygen build` per board (a matrix), the firmware kept as an artifact
qemu       `tinygen validate` per board with the budget gates, JSON and HTML reports as artifacts
           (a board QEMU lacks runs on its nearest emulated core, as `tinygen validate` does)
renode     the Robot suites of renode_suite.py in Renode, for the boards that have a Renode platform
           (GitHub: antmicro/renode-test-action; GitLab: Renode's Docker image antmicro/renode)
labgrid    pytest with labgrid's plugin on a self-hosted runner wired to the boards

tinygen is not on PyPI: each job installs it with pip from TINYGEN_PIP, a pip requirement the project
sets as a CI variable (a wheel's URL or path, or a git URL of tinygen's repository); a job without it
stops with that message. The programs pip cannot install come from Debian/Ubuntu packages.
Every value from the caller (model path, gates) reaches the YAML as a quoted scalar and the shell as
one quoted word, so colons, spaces or quotes in them change nothing.
"""

import json
import shlex

from ..boards import get_board
from ..compiler.codegen import environment
from ..errors import TinygenError
from ..targets.renode import renode_board_ids

SYSTEM_PACKAGES = ("gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "qemu-system-arm")
RENODE_SUITE_DIR = "hil/renode"                  # where `tinygen hil init` writes <board>.robot/.resc
LABGRID_ENV = "hil/env.yaml"
LABGRID_TESTS = "hil/test_tinygen_hil.py"
REPORTS_DIR = "reports"
MISSING_TINYGEN = ("set the CI variable TINYGEN_PIP to a pip requirement for tinygen (a wheel, or "
                   "git+https://... of its repository): tinygen is not on PyPI")


def github_workflow(boards: list[str], model: str, gates: list[str], labgrid_runner_label: str = "tinygen-hil") -> str:
    """The GitHub Actions workflow. `gates` are `tinygen validate` words, e.g. ["--max-ram", "64k"]."""
    return _render("hil/github_workflow.yml.j2", boards, model, gates, labgrid_runner_label,
                   board="${{ matrix.board }}", sudo="sudo ")


def gitlab_pipeline(boards: list[str], model: str, gates: list[str], labgrid_runner_label: str = "tinygen-hil") -> str:
    """The GitLab CI pipeline (.gitlab-ci.yml), the same jobs as github_workflow."""
    return _render("hil/gitlab_pipeline.yml.j2", boards, model, gates, labgrid_runner_label,
                   board='"$BOARD"', sudo="")


def _render(template: str, boards: list[str], model: str, gates: list[str], runner_label: str,
            board: str, sudo: str) -> str:
    if not boards:
        raise TinygenError("a CI pipeline needs at least one board")
    for board_id in boards:
        get_board(board_id)                      # an unknown id stops here, with the known ones named
    quoted_model = shlex.quote(str(model))
    out_dir = f"firmware_out/{board}"
    reports = f"{REPORTS_DIR}/{board}"
    values = dict(
        boards=boards, renode_boards=[b for b in boards if b in renode_board_ids()],
        runner_label=runner_label, model=str(model), suite_dir=RENODE_SUITE_DIR, reports_dir=REPORTS_DIR,
        check_tinygen_pip=f'test -n "$TINYGEN_PIP" || {{ echo {shlex.quote(MISSING_TINYGEN)} >&2; exit 1; }}',
        apt_install=f"{sudo}apt-get update -q && {sudo}apt-get install -y -q {' '.join(SYSTEM_PACKAGES)}",
        pip_install='python -m pip install "$TINYGEN_PIP"',
        build=f"tinygen build --board {board} --model {quoted_model} --out {out_dir}",
        validate=(f"mkdir -p {REPORTS_DIR} && tinygen validate --board {board} --model {quoted_model} "
                  f"--json {reports}.json --html {reports}.html" + "".join(f" {shlex.quote(g)}" for g in gates)),
        labgrid_install='python -m pip install "$TINYGEN_PIP" labgrid pytest',
        labgrid=(f"mkdir -p {REPORTS_DIR} && pytest --lg-env {LABGRID_ENV} {LABGRID_TESTS} "
                 f"--junitxml {REPORTS_DIR}/labgrid.xml"))
    templates = environment()
    templates.filters["yaml"] = yaml_scalar
    return templates.get_template(template).render(values)


def yaml_scalar(value) -> str:
    """A double-quoted YAML scalar: JSON's string syntax is valid YAML and escapes every special character."""
    return json.dumps(str(value))
