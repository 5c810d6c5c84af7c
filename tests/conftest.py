"""Shared test helpers: where the reference models are, and a skip when they are absent."""

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED_MODELS = PROJECT.parent / "shared" / "models"

needs_shared_models = pytest.mark.skipif(
    not SHARED_MODELS.is_dir(),
    reason=f"reference models are not here ({SHARED_MODELS}): they sit beside the clone in CI only")


def shared_model(relative: str) -> Path:
    return SHARED_MODELS / relative
