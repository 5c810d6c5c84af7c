"""The reference figures (TFLM + CMSIS-NN on QEMU netduinoplus2) and which model a file is, by its md5."""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REFERENCE_FILE = Path(__file__).with_name("reference.json")


@dataclass(frozen=True)
class ReferenceFigure:
    name: str
    md5: str              # the whole digest, or its first 8 hex digits where only those were recorded
    macs: int
    instructions: int     # median instructions per inference
    flash_bytes: int
    ram_bytes: int
    arena_bytes: int


@cache
def reference_data() -> dict:
    return json.loads(REFERENCE_FILE.read_text())


def reference_for(model_path: Path) -> ReferenceFigure | None:
    digest = hashlib.md5(Path(model_path).read_bytes()).hexdigest()
    for entry in reference_data()["models"]:
        if digest.startswith(entry["md5"]):
            return ReferenceFigure(**entry)
    return None
