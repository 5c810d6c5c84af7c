"""Package discovery (everything else is in pyproject.toml): every package under tinygen/ ships without
being listed by hand, and so does every folder of the top-level data folders templates/ and boards/,
which pyproject.toml's package-dir maps into the package as tinygen.templates and tinygen.board_files."""

from setuptools import find_namespace_packages, find_packages, setup

MAPPED_FOLDERS = {"templates": "tinygen.templates", "boards": "tinygen.board_files"}

packages = find_packages(include=["tinygen", "tinygen.*"])
for folder, package in MAPPED_FOLDERS.items():
    packages += [package] + [f"{package}.{name}" for name in find_namespace_packages(folder)]

setup(packages=packages)
