"""Turns names from a model into safe C identifiers and comment text: model names never reach C raw."""

import re


class IdentifierPool:
    """Hands out unique, readable C identifiers."""

    def __init__(self):
        self.used: set[str] = set()

    def make(self, prefix: str, text: str = "", max_length: int = 48) -> str:
        core = re.sub(r"[^0-9A-Za-z]+", "_", _short(text)).strip("_").lower()
        base = f"{prefix}_{core}"[:max_length].rstrip("_") if core else prefix
        candidate, n = base, 2
        while candidate in self.used:
            candidate, n = f"{base}_{n}", n + 1
        self.used.add(candidate)
        return candidate


def _short(name: str) -> str:
    # Converter names look like "model/conv2d/Relu;model/conv2d/BiasAdd": keep the telling part.
    first = name.split(";")[0]
    return "_".join(first.split("/")[-2:])


def comment_text(name: str, max_length: int = 72) -> str:
    """Printable ASCII that cannot end a C comment."""
    text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in name)
    text = text.replace("*/", "*_/").replace("/*", "/_*")
    return text if len(text) <= max_length else text[:max_length - 3] + "..."
