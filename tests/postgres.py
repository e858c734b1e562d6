"""A throw-away PostgreSQL cluster for the tests: `initdb` and `pg_ctl` from the system's
PostgreSQL (Debian keeps them in /usr/lib/postgresql/N/bin, off PATH), listening only on a unix
socket in a temporary folder. PostgreSQL refuses to run as root, so under root the cluster runs
as the `postgres` user (or `nobody`), which owns that folder."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

SERVER_SETTINGS = """
listen_addresses = ''
unix_socket_directories = '{socket}'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
"""
HEAD = "podium_head"  # a database migrated to head once; each test's database is a copy


def find_initdb() -> Path | None:
    """`initdb` on PATH, else the newest /usr/lib/postgresql/N/bin/initdb."""
    found = shutil.which("initdb")
    if found:
        return Path(found)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    return candidates[-1] if candidates else None


def _owner() -> pwd.struct_passwd | None:
    """Who runs the server: this user, or under root an unprivileged one."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and there is neither a postgres nor a nobody user")


@dataclass
class Cluster:
    folder: Path
    bin: Path
    owner: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://podium@/{database}?host={self.folder}"

    def _run(self, *args: str) -> None:
        as_owner = (
            {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
            if self.owner
            else {}
        )
        done = subprocess.run(
            args, cwd=self.folder, capture_output=True, text=True, check=False, **as_owner
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}{tail}")

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "podium", "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_SETTINGS.format(socket=self.folder))
        self._run(
            str(self.bin / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data),
            "-l", str(self.folder / "server.log"),
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.data))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def execute(self, *statements: str) -> None:
        """Statements outside a transaction (CREATE/DROP DATABASE), as the superuser."""
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def create_database(self, name: str, template: str = "template0") -> str:
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_cluster(initdb: Path) -> Cluster:
    """A running cluster in a new folder under /tmp (short: a socket path holds ~100 bytes)."""
    owner = _owner()
    folder = Path(tempfile.mkdtemp(prefix="podium-pg-", dir="/tmp"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(folder, initdb.parent, owner)
    try:
        cluster.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return cluster
