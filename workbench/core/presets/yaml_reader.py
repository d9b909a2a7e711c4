"""The one YAML reader for presets: ``yaml.safe_load`` with limits on what a file may cost.

A preset may come from anyone (a share bundle, pasted text), so reading one
must never eat the machine. Limits apply before parsing (file size, text
encoding), while composing (nesting depth, alias count) and on the composed
document before any Python object is built (values after alias expansion,
string length, entries per list or mapping). Each refusal names the limit.

Also YAML 1.2 floats: PyYAML follows YAML 1.1, where ``1e-3`` and ``1e3`` are
strings; people write them as numbers, so this reader reads them as floats.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from workbench.core.errors import PresetError, Problem
from workbench.core.files import FileTooLarge, UnreadableFile, os_reason, read_capped

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """How much one YAML document may cost to read.

    Args:
        max_bytes: file or text size, checked before parsing.
        max_depth: lists and mappings nested in one another (also through aliases).
        max_aliases: ``*name`` references in the whole document.
        max_values: values of the document once every alias is expanded
            (each scalar counts its characters too): what the data costs in memory.
        max_chars: characters of one scalar (a string, a number).
        max_items: entries of one list or mapping.
    """

    max_bytes: int = MIB
    max_depth: int = 50
    max_aliases: int = 100
    max_values: int = 100_000
    max_chars: int = 10_000
    max_items: int = 10_000


PRESET_LIMITS = YamlLimits()
# "--set KEY=VALUE": one value typed on a command line.
OVERRIDE_LIMITS = YamlLimits(max_bytes=64 * 1024)

# Exponent forms YAML 1.1 leaves as strings (1e3, 1e-3, 2.5E4, .5e1); the 1.1 float
# pattern already covers forms with a dot and a signed exponent.
_YAML12_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


class NotYaml(PresetError):
    """The text is not valid YAML (as opposed to valid YAML over a limit)."""


class LimitExceeded(Exception):
    """A document went past one of the ``YamlLimits``; the message names which."""


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while it composes the node graph."""

    def __init__(self, text: str, limits: YamlLimits) -> None:
        super().__init__(text)
        self.limits = limits
        self._depth = 0
        self._aliases = 0
        self._values = 0  # nodes composed so far, each scalar counting its characters too

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise LimitExceeded(f"more than {self.limits.max_aliases} aliases (*name)"
                                    f"{_where(self.peek_event().start_mark)}")
            return super().compose_node(parent, index)
        self._count(parent)
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise LimitExceeded(f"nested deeper than {self.limits.max_depth} levels"
                                    f"{_where(self.peek_event().start_mark)}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _count(self, parent: Node | None) -> None:
        """Refuse early, while parsing, what the expansion check would refuse anyway."""
        event = self.peek_event()
        if parent is not None and len(parent.value) >= self.limits.max_items:
            raise LimitExceeded(f"a list or mapping of more than {self.limits.max_items:,} "
                                f"entries{_where(parent.start_mark)}")
        text = getattr(event, "value", None) or ""  # a scalar's text
        if len(text) > self.limits.max_chars:
            raise LimitExceeded(f"a value longer than {self.limits.max_chars:,} characters"
                                f"{_where(event.start_mark)}")
        self._values += 1 + len(text)
        if self._values > self.limits.max_values:
            raise LimitExceeded(f"more than {self.limits.max_values:,} values"
                                f"{_where(event.start_mark)}")


_LimitedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT,
                                     list("-+0123456789."))


def _where(mark: Any) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


class _Expansion:
    """Walks the composed graph once (memoized): expanded size, depth, and cycles."""

    def __init__(self, limits: YamlLimits) -> None:
        self.limits = limits
        self.sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height)
        self.open: set[int] = set()

    def measure(self, node: Node, depth: int = 1) -> tuple[int, int]:
        if depth > self.limits.max_depth:  # before recursing: the walk stays shallow too
            raise LimitExceeded(f"nested deeper than {self.limits.max_depth} levels once "
                                f"aliases are expanded{_where(node.start_mark)}")
        known = self.sizes.get(id(node))
        if known is None:
            if id(node) in self.open:
                raise LimitExceeded("an alias refers to a list or mapping that contains it "
                                    f"(an endless structure){_where(node.start_mark)}")
            self.open.add(id(node))
            known = self.sizes[id(node)] = self._measure(node, depth)
            self.open.discard(id(node))
        values, height = known
        if depth - 1 + height > self.limits.max_depth:
            raise LimitExceeded(f"nested deeper than {self.limits.max_depth} levels once "
                                f"aliases are expanded{_where(node.start_mark)}")
        return known

    def _measure(self, node: Node, depth: int) -> tuple[int, int]:
        limits = self.limits  # scalar length and entries were checked while composing
        if isinstance(node, ScalarNode):
            return 1 + len(node.value), 1
        children = ([part for pair in node.value for part in pair]
                    if isinstance(node, MappingNode) else list(node.value))
        values, height = 1, 1
        for child in children:
            child_values, child_height = self.measure(child, depth + 1)
            values += child_values
            height = max(height, child_height + 1)
            if values > limits.max_values:
                raise LimitExceeded(f"more than {limits.max_values:,} values once aliases are "
                                    f"expanded{_where(node.start_mark)}")
        return values, height


def load_yaml(text: str, source: str, limits: YamlLimits = PRESET_LIMITS) -> Any:
    """Parse one YAML document like ``yaml.safe_load``, within ``limits``.

    Raises:
        PresetError: naming ``source`` and the line, or the limit that was hit.
    """
    if len(text) > limits.max_bytes:
        raise _refused(source, f"the text is longer than {_size(limits.max_bytes)}")
    loader = None
    try:
        loader = _LimitedLoader(text, limits)
        node = loader.get_single_node()
        if node is None:
            return None
        _Expansion(limits).measure(node)
        return loader.construct_document(node)
    except LimitExceeded as error:
        raise _refused(source, str(error)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise NotYaml(source, [Problem("", f"not valid YAML{_where(mark)}: {reason}")]) from None
    except (ValueError, OverflowError) as error:  # a date 2020-13-45, an int of 5,000 digits
        reason = str(error).split(";")[0]  # not Python's advice on raising its own limit
        raise PresetError(source, [Problem("", f"a value cannot be read: {reason}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _refused(source: str, what: str) -> PresetError:
    return PresetError(source, [Problem("", f"refused by the preset reader: {what}")])


def _size(count: int) -> str:
    return f"{count // MIB} MiB" if count % MIB == 0 else f"{count:,} bytes"


def decode_text(data: bytes, source: str) -> str:
    """Bytes of a preset file as text: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Anything else is refused with the reason, never guessed: a wrong guess
    would turn names and numbers into other values without a word.
    """
    if data.startswith(_UTF32_BOMS):
        return _undecodable(source, "it is UTF-32 text")
    if b"\x00" in data and not data.startswith(_UTF16_BOMS):  # never in YAML text
        return _undecodable(source, "it contains NUL bytes (UTF-16 without a byte-order mark, "
                            "perhaps)")
    try:
        if data.startswith(_UTF16_BOMS):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig" if data.startswith(_UTF8_BOM) else "utf-8")
    except UnicodeDecodeError as error:
        encoding = "UTF-16" if data.startswith(_UTF16_BOMS) else "UTF-8"
        line = data[:error.start].count(b"\n") + 1
        byte = data[error.start:error.start + 1].hex()
        hint = " (Latin-1 or Windows-1252, perhaps)" if encoding == "UTF-8" else ""
        return _undecodable(source, f"it is not {encoding}{hint}: byte 0x{byte} on line "
                            f"{line} cannot be decoded")
    if "\x00" in text:
        return _undecodable(source, "it contains NUL characters")
    return text


def _undecodable(source: str, why: str) -> str:
    raise PresetError(source, [Problem("", f"cannot read the text: {why}; save it as UTF-8 "
                                       "(or UTF-16 with a byte-order mark)")])


def read_text(path: Path, source: str | None = None,
              limits: YamlLimits = PRESET_LIMITS) -> str:
    """A preset file's text, refusing files over ``limits.max_bytes`` before reading them."""
    source = str(path) if source is None else source
    try:  # opened without blocking: a named pipe is refused, not waited on
        data = read_capped(path, limits.max_bytes)
    except FileTooLarge:
        raise _refused(source, f"the file is larger than {_size(limits.max_bytes)}") from None
    except UnreadableFile as error:
        raise PresetError(source, [Problem("", str(error))]) from None
    except OSError as error:
        raise PresetError(source, [Problem("", f"cannot read file: {os_reason(error)}")]) \
            from None
    return decode_text(data, source)
