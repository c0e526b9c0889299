"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests, from initdb/pg_ctl."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HOW_TO_ENABLE = (
    "PostgreSQL tests need the initdb and pg_ctl binaries (Debian: apt-get install postgresql); "
    "or point VMI_TEST_POSTGRES_URL at a server where the tests may create databases"
)
#: Names the folder holding initdb and pg_ctl (a PostgreSQL version of your choice); nothing else is searched.
PG_BIN_ENV = "VMI_TEST_PG_BIN"


def _has_pg_binaries(folder: Path) -> bool:
    return (folder / "initdb").exists() and (folder / "pg_ctl").exists()


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: ``VMI_TEST_PG_BIN``, else on PATH, else where Debian puts them."""
    chosen = os.environ.get(PG_BIN_ENV)
    if chosen is not None:
        return Path(chosen) if _has_pg_binaries(Path(chosen)) else None
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if _has_pg_binaries(Path(candidate)):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    """A running cluster; ``url(dbname)`` gives a SQLAlchemy URL for one database."""

    bin_dir: Path
    data_dir: Path
    port: int
    owner: str | None
    options: str = ""

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self._user}@127.0.0.1:{self.port}/{dbname}"

    @property
    def _user(self) -> str:
        return self.owner or pwd.getpwuid(os.getuid()).pw_name

    def stop_server(self) -> None:
        """Stop the server, keeping its data (a database that went down)."""
        _run(self.owner, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def start_server(self) -> None:
        """Start the stopped server again on the same port and data."""
        log = str(self.data_dir.parent / "log")
        _run(
            self.owner,
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", self.options, "-l", log, "-w", "start"],
        )

    def stop(self) -> None:
        _run(
            self.owner, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"], check=False
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _run(owner: str | None, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    if owner:
        cmd = ["runuser", "-u", owner, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)


def start_cluster(*, durable: bool = False) -> PgCluster:
    """initdb + pg_ctl start on a free loopback port (as the ``postgres`` user when root).

    Tests run without fsync (nothing to keep); ``durable`` keeps the server's defaults, for
    benchmarks whose figures include commits.
    """
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError(HOW_TO_ENABLE)
    owner = None
    if os.geteuid() == 0:
        owner = "postgres"
        try:
            pwd.getpwnam(owner)
        except KeyError as exc:
            raise RuntimeError("running as root needs a 'postgres' OS user to own the test cluster") from exc
    base = Path(tempfile.mkdtemp(prefix="vmi-pg-"))
    data = base / "data"
    if owner:
        shutil.chown(base, user=owner)
    os.chmod(base, 0o755)
    _run(
        owner,
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            owner or pwd.getpwuid(os.getuid()).pw_name,
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    superuser = owner or pwd.getpwuid(os.getuid()).pw_name
    # The cluster's superuser connects without a password; every other login (the app's users, created by
    # the tests through the app) must give its password: the identity tests prove that a login is needed.
    hba = data / "pg_hba.conf"
    hba.write_text(
        f"local all all trust\nhost all {superuser} 127.0.0.1/32 trust\nhost all {superuser} ::1/128 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
    )
    if owner:
        shutil.chown(hba, user=owner)
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=100"
    if not durable:
        opts += " -c fsync=off -c full_page_writes=off"
    _run(owner, [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"])
    cluster = PgCluster(bin_dir, data, port, owner, opts)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return cluster
        except OSError:
            time.sleep(0.2)
    cluster.stop()
    raise RuntimeError("the test PostgreSQL cluster did not start")
