"""A small bounds-checked reader for FlatBuffers binaries.

Every read is checked against the buffer, so a truncated or corrupt file raises ModelFormatError
instead of returning garbage or crashing deep inside the importer.
"""

import struct

from ..errors import ModelFormatError


class Buffer:
    def __init__(self, data: bytes, what: str):
        self.data = data
        self.what = what

    def _check(self, pos: int, size: int) -> None:
        if pos < 0 or size < 0 or pos + size > len(self.data):
            raise ModelFormatError(
                f"{self.what} is truncated or corrupt: read of {size} bytes at offset {pos} "
                f"is outside the {len(self.data)}-byte file"
            )

    def unpack(self, fmt: str, pos: int):
        size = struct.calcsize(fmt)
        self._check(pos, size)
        return struct.unpack_from(fmt, self.data, pos)[0]

    def slice(self, pos: int, size: int) -> bytes:
        self._check(pos, size)
        return self.data[pos:pos + size]

    def root(self) -> "Table":
        return Table(self, self.unpack("<I", 0))


class Table:
    """One flatbuffer table; fields are addressed by their index in the schema."""

    def __init__(self, buf: Buffer, pos: int):
        self.buf = buf
        self.pos = pos
        self.vtable = pos - buf.unpack("<i", pos)
        self.vtable_size = buf.unpack("<H", self.vtable)

    def _field_pos(self, index: int) -> int | None:
        entry = 4 + 2 * index
        if entry + 2 > self.vtable_size:
            return None
        offset = self.buf.unpack("<H", self.vtable + entry)
        return self.pos + offset if offset else None

    def has(self, index: int) -> bool:
        return self._field_pos(index) is not None

    def scalar(self, index: int, fmt: str, default=0):
        pos = self._field_pos(index)
        return default if pos is None else self.buf.unpack("<" + fmt, pos)

    def _target(self, index: int) -> int | None:
        pos = self._field_pos(index)
        return None if pos is None else pos + self.buf.unpack("<I", pos)

    def table(self, index: int) -> "Table | None":
        target = self._target(index)
        return None if target is None else Table(self.buf, target)

    def string(self, index: int, default: str = "") -> str:
        target = self._target(index)
        if target is None:
            return default
        length = self.buf.unpack("<I", target)
        return self.buf.slice(target + 4, length).decode("utf-8", errors="replace")

    def _vector(self, index: int) -> tuple[int, int] | None:
        target = self._target(index)
        if target is None:
            return None
        return target + 4, self.buf.unpack("<I", target)

    def scalar_vector(self, index: int, fmt: str) -> list:
        vec = self._vector(index)
        if vec is None:
            return []
        start, length = vec
        size = struct.calcsize("<" + fmt)
        raw = self.buf.slice(start, size * length)
        return list(struct.unpack("<" + fmt * length, raw))

    def bytes_vector(self, index: int) -> bytes | None:
        vec = self._vector(index)
        if vec is None:
            return None
        start, length = vec
        return self.buf.slice(start, length)

    def table_vector(self, index: int) -> list["Table"]:
        vec = self._vector(index)
        if vec is None:
            return []
        start, length = vec
        self.buf._check(start, 4 * length)
        tables = []
        for i in range(length):
            element = start + 4 * i
            tables.append(Table(self.buf, element + self.buf.unpack("<I", element)))
        return tables
