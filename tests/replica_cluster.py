"""A throwaway PostgreSQL primary and a streaming standby of it on loopback, for the replica
test. The machine's own server allows no replication connection, so this starts its own:
`initdb`, a primary with wal_level=replica, `pg_basebackup -R` for the standby. Processes
run as the postgres user when the tests run as root (initdb refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

DATABASE = "tokenboard"


def bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian's layout), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    port: int
    data: Path
    log: Path

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def connect(self, dbname: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def one(self, sql: str, *params: object) -> object:
        with self.connect() as conn:
            row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    bin: Path
    root: Path
    primary: Server
    standby: Server

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=self.root)

    def start(self, server: Server) -> None:
        self.run("pg_ctl", "-D", str(server.data), "-l", str(server.log), "-w", "-t", "30", "start")

    def stop(self, server: Server) -> None:
        self.run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")

    def caught_up(self, timeout: float = 20.0) -> None:
        """Wait until the standby has replayed everything the primary has written."""
        target = self.primary.one("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.standby.one("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target)
            if done:
                return
            time.sleep(0.05)
        raise TimeoutError(f"the standby has not replayed up to {target} in {timeout} s")


def _configure(data: Path, port: int, socket_dir: Path, extra: str = "") -> None:
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
            "log_statement = 'all'\nlog_line_prefix = '%m [%p] '\n" + extra
        )


@contextmanager
def cluster() -> Iterator[Cluster]:
    """A running primary with database `tokenboard` and a standby replaying it; both are
    stopped and their data removed on the way out, whatever happened."""
    pg_bin = bin_dir()
    assert pg_bin is not None, "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
    root = Path(tempfile.mkdtemp(prefix="tb-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary = Server("primary", free_port(), root / "primary", root / "primary.log")
    standby = Server("standby", free_port(), root / "standby", root / "standby.log")
    made = Cluster(pg_bin, root, primary, standby)
    started: list[Server] = []
    try:
        made.run(
            "initdb",
            "-D",
            str(primary.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        _configure(primary.data, primary.port, root, "wal_level = replica\nmax_wal_senders = 4\n")
        with (primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("\nhost replication postgres 127.0.0.1/32 trust\n")
        made.start(primary)
        started.append(primary)
        with primary.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        made.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        _configure(standby.data, standby.port, root, "hot_standby = on\n")
        made.start(standby)
        started.append(standby)
        assert standby.one("SELECT pg_is_in_recovery()") is True
        made.caught_up()
        yield made
    finally:
        for server in reversed(started):
            # stopped already (a test stops the standby), or not answering: the rmtree
            # below still runs, and a server whose data directory is gone exits
            with suppress(subprocess.SubprocessError):
                made.stop(server)
        shutil.rmtree(root, ignore_errors=True)
