"""An exchange folder: ``outbound``, ``inbound``, ``archive`` and ``rejected`` under one directory.

Files are written atomically (a dot-named temporary file, flushed to disk, then renamed), so a
partner never sees half a file; files are read from ``inbound`` only once they have settled (no
temporary name, unchanged for ``settle_s`` seconds), so we never read half of one. The folder may
be a mounted share; transport beyond it (SFTP, AS2, a VAN) is somebody else's job.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from vmi_desktop.errors import VmiError

SUBFOLDERS = ("outbound", "inbound", "archive", "rejected")
#: Names a writer uses while a file is not complete yet: never read.
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".crdownload")
#: Larger inbound files are refused unread (a message holds at most 1000 lines).
MAX_FILE_BYTES = 64 * 1024 * 1024


def resolve(folder: str, data_dir: Path) -> Path:
    """The exchange folder: absolute as given, or relative to the app's data folder."""
    if not folder.strip():
        raise VmiError("no exchange folder is set; set it in the vendor's connection settings")
    path = Path(os.path.expanduser(folder.strip()))
    return path if path.is_absolute() else data_dir / path


@dataclass(frozen=True)
class ExchangeFolder:
    """The four subfolders of one vendor's exchange folder (created when missing)."""

    root: Path

    def __post_init__(self) -> None:
        try:
            for name in SUBFOLDERS:
                (self.root / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VmiError(f"exchange folder {self.root} cannot be used: {exc.strerror or exc}") from None

    @property
    def outbound(self) -> Path:
        return self.root / "outbound"

    @property
    def inbound(self) -> Path:
        return self.root / "inbound"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def rejected(self) -> Path:
        return self.root / "rejected"

    def write(self, name: str, data: bytes) -> Path:
        """Write ``outbound/name`` atomically (an existing file of that name, a retry, is replaced)."""
        return write_atomically(self.outbound / name, data)

    def ready(self, settle_s: float, now: float | None = None) -> list[Path]:
        """Inbound files that are complete: no temporary name, untouched for ``settle_s``; oldest first."""
        moment = time.time() if now is None else now
        found = []
        for entry in os.scandir(self.inbound):
            name = entry.name
            if name.startswith((".", "~")) or name.lower().endswith(_PARTIAL_SUFFIXES) or not entry.is_file():
                continue
            stat = entry.stat()
            if moment - stat.st_mtime < settle_s:
                continue
            found.append((stat.st_mtime, name, Path(entry.path)))
        return [p for _, _, p in sorted(found)]

    def archive_file(self, path: Path) -> Path:
        """Move a processed inbound file to ``archive`` (a name already there gets a number)."""
        return _move(path, self.archive)

    def reject_file(self, path: Path, reason: str) -> Path:
        """Move an inbound file to ``rejected`` with ``<name>.reason.txt`` beside it."""
        target = _move(path, self.rejected)
        write_atomically(target.with_name(target.name + ".reason.txt"), (reason.rstrip() + "\n").encode("utf-8"))
        return target


def write_atomically(target: Path, data: bytes) -> Path:
    """``target`` with ``data``, never visible half-written (temporary name, fsync, rename)."""
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target


def _move(path: Path, folder: Path) -> Path:
    target = folder / path.name
    number = 1
    while target.exists():
        target = folder / f"{path.stem}.{number}{path.suffix}"
        number += 1
    os.replace(path, target)
    return target
