"""Log files and crash reports: where they go, how they rotate, and that no secret gets in.

The GUI and the command line log to rotating files in the log folder
(platformdirs' user log folder, or ``$VMI_DATA_DIR/logs`` when that is set),
so IT at a site can collect them. An unexpected error writes a crash report
beside them: traceback, version and platform, never a secret. Every line and
report passes :func:`redact`, which blanks passwords in URLs and values of
secret-looking keys, because a database URL typed with a password may end up
in an exception message. No Qt import: the CLI uses this module as it is.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import re
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import platformdirs

from vmi_desktop import APP_ID, __version__

ENV_DATA_DIR = "VMI_DATA_DIR"
ENV_LOG_DIR = "VMI_LOG_DIR"
GUI_LOG_NAME = "vmi-desktop.log"
CLI_LOG_NAME = "vmi-desktop-cli.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)

_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?P<tail>@)")
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token|client_secret|api_key|authorization)\b\s*[=:]\s*"
    r"(?:bearer\s+)?['\"]?)(?P<secret>[^\s'\",;&]+)",
    re.IGNORECASE,
)
_SECRET_WORDS = ("passw", "pwd", "secret", "token", "api_key", "authorization")


def redact(text: str) -> str:
    """``text`` with URL passwords and the values of secret-looking keys replaced by ``***``."""
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}", text)
    lowered = text.lower()
    if any(word in lowered for word in _SECRET_WORDS):  # most lines have none: skip the regex
        text = _KEY_VALUE.sub(lambda m: f"{m['head']}***", text)
    return text


def log_dir() -> Path:
    """The folder for logs and crash reports: ``$VMI_LOG_DIR``, ``$VMI_DATA_DIR/logs``, or the platform's."""
    explicit = os.environ.get(ENV_LOG_DIR)
    if explicit:
        return Path(explicit)
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_ID, appauthor=False))


class RedactingFormatter(logging.Formatter):
    """A formatter whose output, tracebacks included, has passed :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_OUR_HANDLER = "_vmi_desktop_handler"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it per test)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def setup_logging(*, gui: bool, verbose: bool = False, folder: Path | None = None, console: bool = True) -> Path | None:
    """Configure the root logger: a rotating file in the log folder and, for the CLI, stderr.

    Returns the log file, or None when the folder cannot be written (a
    warning goes to stderr then, and the app runs on without a file).
    Calling it again replaces the handlers it added before (tests, or the
    GUI started from the CLI entry point).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OUR_HANDLER, False):
            root.removeHandler(handler)
            handler.close()
    level = logging.DEBUG if verbose else logging.INFO
    root.setLevel(level)
    formatter = RedactingFormatter(LOG_FORMAT)
    if console:
        stream = _StderrHandler()
        # The window keeps the terminal quiet but for problems; the CLI shows its progress.
        stream.setLevel(level if (verbose or not gui) else logging.WARNING)
        stream.setFormatter(formatter)
        setattr(stream, _OUR_HANDLER, True)
        root.addHandler(stream)
    path: Path | None = (folder or log_dir()) / (GUI_LOG_NAME if gui else CLI_LOG_NAME)
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
        )
    except OSError as exc:
        print(
            f"warning: cannot write logs to {path.parent} ({exc.strerror or exc}); logging to the terminal only",
            file=sys.stderr,
        )
        path = None
    else:
        file_handler.setLevel(level)
        file_handler.setFormatter(formatter)
        setattr(file_handler, _OUR_HANDLER, True)
        root.addHandler(file_handler)
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


def platform_summary() -> dict[str, str]:
    """What a crash report and the About dialog say about the machine and the build."""
    return {
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": "yes (bundle)" if getattr(sys, "frozen", False) else "no",
        "executable": sys.executable,
    }


@dataclass(frozen=True)
class CrashReport:
    """A written crash report: where it is and what it says (already redacted)."""

    path: Path | None
    text: str


def format_crash_report(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    *,
    context: str = "",
    extra: Mapping[str, str] | None = None,
    when: datetime | None = None,
) -> str:
    """The text of a crash report: what happened, on which build and machine, and the traceback."""
    when = when or datetime.now(UTC)
    lines = [
        "VMI Desktop crash report",
        f"time: {when.isoformat(timespec='seconds')}",
    ]
    if context:
        lines.append(f"where: {context}")
    info = {**platform_summary(), **(extra or {})}
    lines += [f"{key}: {value}" for key, value in info.items()]
    lines += ["", "".join(traceback.format_exception(exc_type, exc, tb)).rstrip()]
    return redact("\n".join(lines)) + "\n"


def write_crash_report(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    *,
    folder: Path | None = None,
    context: str = "",
    extra: Mapping[str, str] | None = None,
) -> CrashReport:
    """Write a crash report into the log folder and log it; the file name carries time and process.

    Never raises: if the folder cannot be written, the report is still
    returned (``path`` None) so the UI can show it.
    """
    now = datetime.now(UTC)
    text = format_crash_report(exc_type, exc, tb, context=context, extra=extra, when=now)
    target = (folder or log_dir()) / f"crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}.txt"
    path: Path | None = target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError:
        path = None
    where = f" in {context}" if context else ""
    log.critical(
        "unexpected error%s: %s: %s; crash report: %s", where, exc_type.__name__, redact(str(exc)), path or "-"
    )
    return CrashReport(path=path, text=text)
