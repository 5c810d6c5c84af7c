"""Progress bars for long steps, drawn on stderr only when it is a terminal (never in logs or CI)."""

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Item = TypeVar("Item")


@contextlib.contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[], None]]:
    """Yields a function that advances the bar by one step."""
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


def track(items: list[Item], description: str) -> Iterator[Item]:
    """Yields `items`, advancing a bar after each."""
    with progress_bar(description, len(items)) as advance:
        for item in items:
            yield item
            advance()
