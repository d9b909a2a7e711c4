"""Unpacking a share bundle into a staging folder, trusting nothing it declares.

Every entry name, link flag, declared size and checksum is checked; bytes are
counted while they are read, so a zip bomb or a lying header stops early.
"""
from __future__ import annotations

import hashlib
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from workbench.core.errors import PresetError, Problem
from workbench.core.files import UnreadableFile, open_regular, os_reason
from workbench.core.presets.share.manifest import (ENTRY_PATTERN, MANIFEST_NAME, BundleLimits,
                                                  Manifest, parse_manifest)

CHUNK = 64 * 1024
LAYOUT = "manifest.json, experiments/*.yaml, models/*.yaml and models/*.pt"


def unpack_bundle(bundle: Path, staging: Path, limits: BundleLimits) -> Manifest:
    """Check ``bundle`` and extract its files under ``staging``; returns its manifest."""
    source = str(bundle)
    try:
        handle = open_regular(bundle)  # a named pipe is refused, not waited on
    except (OSError, UnreadableFile) as error:
        reason = os_reason(error) if isinstance(error, OSError) else str(error)
        raise PresetError(source, [Problem("", f"cannot read the bundle: {reason}")]) from None
    try:
        archive = zipfile.ZipFile(handle)
    except (OSError, zipfile.BadZipFile) as error:
        handle.close()
        raise PresetError(source, [Problem("", f"not a preset bundle (a zip file): {error}")]) \
            from None
    with handle, archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        _raise_if(source, entry_problems(archive.infolist(), limits))
        by_name = {info.filename: info for info in infos}
        if MANIFEST_NAME not in by_name:
            raise PresetError(source, [Problem("", f"has no {MANIFEST_NAME}; not a bundle "
                                               "written by `workbench presets export`")])
        manifest_info = by_name.pop(MANIFEST_NAME)
        manifest_bytes = _read(archive, manifest_info, limits.max_manifest_bytes, source)
        manifest = parse_manifest(manifest_bytes, source)
        _raise_if(source, listing_problems(by_name, manifest))
        total = 0
        for name, info in sorted(by_name.items()):
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with target.open("wb") as sink:
                total += _stream(archive, info, min(limits.max_file_bytes,
                                                    limits.max_total_bytes - total), source,
                                 lambda chunk: (digest.update(chunk), sink.write(chunk)))
            if digest.hexdigest() != manifest.files[name][0]:
                raise PresetError(source, [Problem(name, "checksum does not match the "
                                                   "manifest: the file was changed after export")])
    return manifest


def entry_problems(infos: list[zipfile.ZipInfo], limits: BundleLimits) -> list[Problem]:
    """Names, links, encryption, counts and declared sizes: everything before reading."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if problem := _name_problem(name, info):
            problems.append(Problem(name, problem))
        elif name in seen:
            problems.append(Problem(name, "appears twice in the zip"))
        elif info.file_size > limits.max_file_bytes:
            problems.append(Problem(name, f"declares {info.file_size} bytes, more than the "
                                    f"limit of {limits.max_file_bytes}"))
        seen.add(name)
    if len(infos) > limits.max_entries:
        problems.append(Problem("", f"has {len(infos)} entries, more than the limit of "
                                f"{limits.max_entries}"))
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_bytes:
        problems.append(Problem("", f"unpacks to {declared} bytes, more than the limit of "
                                f"{limits.max_total_bytes}"))
    return problems


def _name_problem(name: str, info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if "\\" in name:
        return "uses backslashes in its path; refused"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path; refused"
    if ".." in name.split("/"):
        return "has a '..' segment that would unpack outside the bundle; refused"
    if stat.S_ISLNK(mode):
        return "is a link; bundles hold plain files only"
    if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "is not a plain file; refused"
    if info.flag_bits & 0x1:
        return "is encrypted; refused"
    if info.is_dir():
        return None if name.rstrip("/") in ("experiments", "models") else \
            f"is an unexpected folder (a bundle holds {LAYOUT})"
    if name != MANIFEST_NAME and not ENTRY_PATTERN.match(name):
        return f"is not part of a preset bundle (a bundle holds {LAYOUT})"
    return None


def listing_problems(entries: dict[str, zipfile.ZipInfo], manifest: Manifest) -> list[Problem]:
    """Every file listed in the manifest, with the size it declares, and nothing else."""
    problems = [Problem(name, "is in the zip but not in the manifest")
                for name in sorted(set(entries) - set(manifest.files))]
    problems += [Problem(name, "is in the manifest but missing from the zip")
                 for name in sorted(set(manifest.files) - set(entries))]
    problems += [Problem(name, f"declares {entries[name].file_size} bytes, the manifest "
                         f"{manifest.files[name][1]}")
                 for name in sorted(set(entries) & set(manifest.files))
                 if entries[name].file_size != manifest.files[name][1]]
    return problems


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, source: str) -> bytes:
    chunks: list[bytes] = []
    _stream(archive, info, limit, source, chunks.append)
    return b"".join(chunks)


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, source: str,
            sink: Callable[[bytes], object]) -> int:
    """Pass one entry's bytes to ``sink``, counting what is actually produced.

    The count is checked against the declared size and ``limit`` while reading, so
    a header that lies about the size cannot make us unpack more.
    """
    cap = min(info.file_size, limit)
    count = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                count += len(chunk)
                if count > cap:
                    raise PresetError(source, [Problem(info.filename, "unpacks to more bytes "
                                                       f"than declared or allowed ({cap})")])
                sink(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
        raise PresetError(source, [Problem(info.filename, f"is damaged: {error}")]) from None
    if count != info.file_size:
        raise PresetError(source, [Problem(info.filename, f"holds {count} bytes but declares "
                                           f"{info.file_size}")])
    return count


def _raise_if(source: str, problems: list[Problem]) -> None:
    if problems:
        raise PresetError(source, problems)
