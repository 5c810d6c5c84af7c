"""Static memory plan: every activation buffer gets a fixed offset in one arena.

Lifetimes (first write, last read) over the execution order go in, offsets come out. Buffers whose
lifetimes overlap never overlap in memory. Placement is greedy first-fit; a few orderings are tried
and the smallest arena wins (deterministically).
"""

from dataclasses import dataclass

ALIGNMENT = 16


@dataclass
class PlannedBuffer:
    name: str
    size: int
    first: int          # index of the first layer that writes it
    last: int           # index of the last layer that reads it
    offset: int = -1

    def lives_with(self, other: "PlannedBuffer") -> bool:
        return self.first <= other.last and other.first <= self.last


def _align(value: int) -> int:
    return (value + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _first_fit(buffers: list[PlannedBuffer], order: list[int]) -> tuple[int, list[int]]:
    offsets = [-1] * len(buffers)
    placed: list[int] = []
    arena = 0
    for i in order:
        buf = buffers[i]
        conflicts = sorted((offsets[j], offsets[j] + buffers[j].size) for j in placed if buf.lives_with(buffers[j]))
        offset = 0
        for start, end in conflicts:
            if offset + buf.size <= start:
                break
            offset = max(offset, _align(end))
        offsets[i] = offset
        placed.append(i)
        arena = max(arena, offset + buf.size)
    return _align(arena), offsets


def plan(buffers: list[PlannedBuffer]) -> int:
    """Sets each buffer's offset; returns the arena size in bytes (a multiple of ALIGNMENT)."""
    if not buffers:
        return 0
    indices = range(len(buffers))
    orderings = [
        sorted(indices, key=lambda i: (-buffers[i].size, buffers[i].first, i)),
        sorted(indices, key=lambda i: (buffers[i].first, -buffers[i].size, i)),
        sorted(indices, key=lambda i: (-(buffers[i].last - buffers[i].first), -buffers[i].size, i)),
    ]
    arena, offsets = min((_first_fit(buffers, order) for order in orderings), key=lambda result: result[0])
    for buf, offset in zip(buffers, offsets):
        buf.offset = offset
    return arena


def describe(buffers: list[PlannedBuffer], arena: int) -> str:
    """A printable plan: one line per buffer, with its lifetime and place."""
    lines = [f"arena {arena} bytes, alignment {ALIGNMENT}"]
    for buf in sorted(buffers, key=lambda b: (b.offset, b.first)):
        lines.append(f"  [{buf.offset:>7} .. {buf.offset + buf.size:>7})  layers {buf.first:>3}..{buf.last:<3} {buf.name}")
    return "\n".join(lines)


@dataclass
class Peak:
    position: int                       # the layer (execution order) at which the arena is fullest
    live: list[PlannedBuffer]           # the buffers alive there, largest first
    bytes: int                          # the end of the highest of them: the arena's size


def peak(buffers: list[PlannedBuffer]) -> Peak | None:
    """Where a planned arena reaches its size, and what lives there: what to shrink for a smaller one."""
    if not buffers:
        return None
    positions = range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)
    def top(position: int) -> int:
        return max((b.offset + b.size for b in buffers if b.first <= position <= b.last), default=0)
    position = max(positions, key=lambda p: (top(p), -p))
    live = sorted((b for b in buffers if b.first <= position <= b.last), key=lambda b: (-b.size, b.name))
    return Peak(position, live, top(position))
