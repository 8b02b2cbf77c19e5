"""`jiehu backup` / `jiehu restore` (issue 16 §5; docs/backup.md): the PostgreSQL database, Temporal's own
persistence and a manifest, taken so that the event log — the system of record — is never behind a workflow.

A backup directory holds:

- `temporal.db` — a consistent copy of the Temporal dev server's SQLite file (SQLite's online backup,
  safe while the server runs); absent for a Temporal whose persistence is not a file (the compose stack:
  Temporal's own database is backed up with its own tools, docs/backup.md);
- `jiehu.dump` — `pg_dump --format=custom` of the jiehu database, read in the same snapshot as the manifest's
  figures;
- `manifest.json` — format, when (UTC), the commit of the code, the files' SHA-256, and the log's figures
  (events, streams, petitions, open petitions, head position, latest anchor and its digest, migrations).

Order: Temporal's file first, the database second, so whatever the workers did in between is in the log and a
restored workflow can only be behind its stream, never ahead of it (a workflow ahead of the log would hold
events the system of record lost). With the petition workers stopped (the documented procedure) the two are
exact; `check_workflows` after a restore names any running petition whose workflow is behind its stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from temporalio.service import RPCError, RPCStatusCode

from eventstore import backup as log_backup
from eventstore.audit import AuditReport
from eventstore.audit import verify as audit_verify
from eventstore.petition_projection import fold_stored
from eventstore.pool import connect
from eventstore.store import EventStore, stream_version, transaction_ids
from stack.embedded import PG_BIN, EmbeddedPostgres, free_port, resetwal_ids
from workflows.client import PetitionClient

T = TypeVar("T")

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "jiehu.dump"
TEMPORAL = "temporal.db"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _commit() -> str:
    """The git commit of the running code ('' outside a checkout, e.g. in the image)."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False,
                                cwd=Path(__file__).resolve().parents[1], stdin=subprocess.DEVNULL)
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included) with SQLite's online backup API."""
    if not source.is_file():
        raise BackupError(f"no Temporal database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


async def _pg_tool(program: str, *args: str) -> None:
    process = await asyncio.create_subprocess_exec(str(PG_BIN / program), *args, stdin=subprocess.DEVNULL,
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{program} failed ({process.returncode}): {(err or out).decode(errors='replace').strip()}")


def backup(target: Path, database_url: str, temporal_db: Path | None, even_if_tampered: bool = False
           ) -> dict[str, Any]:
    """Write a backup of the stack into `target` (a new or empty directory) and return its manifest.
    `temporal_db`: the Temporal dev server's SQLite file (None: not a file; documented as not covered).

    The files are written into a staging directory beside `target` and moved into place at the end, so a backup
    that fails or is interrupted leaves no half-written `target`. A log whose hash chains or anchors do not hold
    (docs/audit.md) is refused, since the backup would seal a new anchor over it: `even_if_tampered` takes it
    anyway (the evidence), records the findings in the manifest and seals nothing.
    BackupError when `target` is not empty or cannot be written, a file is missing, the log is not intact, or a
    tool fails. Blocking: from async code, run it in a thread."""
    target = target.absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not empty (or not a directory); back up into a new directory")
    staging = target.parent / f".{target.name}.partial-{os.getpid()}"
    try:
        staging.mkdir(parents=True)
    except OSError as error:
        raise BackupError(f"cannot write beside {target}: {error.strerror or error}") from error
    try:
        files: dict[str, Any] = {}
        if temporal_db is not None:  # first: the log may only be ahead of the workflows, never behind them
            copy_sqlite(temporal_db, staging / TEMPORAL)
            files[TEMPORAL] = {"sha256": _sha256(staging / TEMPORAL), "source": str(temporal_db)}
        try:
            summary, findings = asyncio.run(_dump_database(database_url, str(staging / DUMP), even_if_tampered))
        except (OSError, asyncpg.PostgresError) as error:
            raise BackupError(f"cannot reach PostgreSQL ({type(error).__name__}: {error}): the database must be up "
                              "for a backup (docs/backup.md)") from error
        files[DUMP] = {"sha256": _sha256(staging / DUMP)}
        manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "commit": _commit(),
                    "files": files, "temporal": "sqlite file" if temporal_db else "not included (not a file)",
                    "log": summary.as_dict(), "audit": {"intact": not findings, "findings": findings}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        if target.exists():
            target.rmdir()  # empty, checked above
        staging.rename(target)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


async def _dump_database(database_url: str, dump_file: str, even_if_tampered: bool
                         ) -> tuple[log_backup.LogSummary, list[str]]:
    """Audit the log; seal it (only an intact one), then read its figures and pg_dump it in one snapshot.
    Returns the figures and the audit's findings (empty: intact)."""
    conn = await connect(database_url)
    try:
        report = await audit_verify(conn)
        findings = [f"{f.kind.upper()}: {f.where}: {f.detail}" for f in report.findings]
        if findings and not even_if_tampered:
            raise BackupError(f"the log is not intact ({len(findings)} finding(s), e.g. {findings[0]}): a backup "
                              "would seal a new anchor over it. `jiehu audit verify` names them; back it up as "
                              "evidence with --even-if-tampered")
        if not findings:
            await log_backup.seal(conn)  # the manifest carries a digest over everything the dump holds
        snapshot = await log_backup.begin_snapshot(conn)
        try:
            summary = await log_backup.log_summary(conn)
            await _pg_tool("pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                           f"--file={dump_file}", f"--dbname={database_url}")
        finally:
            await log_backup.end_snapshot(conn)
    finally:
        await conn.close()
    return summary, findings


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of the backup in `source`, its files checked against their SHA-256.
    BackupError when it is missing, of another format, or a file differs."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} holds no readable {MANIFEST}: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BackupError(f"{source}: backup format {found!r}, this jiehu reads {FORMAT}")
    missing = [key for key, kind in (("files", dict), ("log", dict), ("created_at", str))
               if not isinstance(manifest.get(key), kind)]
    if missing or not all(isinstance(f, dict) and isinstance(f.get("sha256"), str) for f in manifest["files"].values()):
        raise BackupError(f"{source / MANIFEST} is not a whole manifest (missing or wrong: "
                          f"{', '.join(missing) or 'a file entry'}); was it edited by hand?")
    for name, facts in manifest["files"].items():
        if not (source / name).is_file() or _sha256(source / name) != facts["sha256"]:
            raise BackupError(f"{source / name} is missing or differs from the manifest's SHA-256")
    return manifest


@dataclass(frozen=True)
class Restored:
    """What a restore did: the manifest it restored, the database URL it filled (for the embedded server:
    its URL while it was up), the Temporal file written (None: none in the backup or none asked for) and
    the next transaction id the server was advanced to (None: it was already above the log's), and the audit
    of the restored log's hash chains and anchors (docs/audit.md)."""

    manifest: dict[str, Any]
    database_url: str
    temporal_db: Path | None
    advanced_to: int | None
    audit: AuditReport


async def restore_database(source: Path, manifest: dict[str, Any], database_url: str) -> log_backup.LogSummary:
    """pg_restore the dump of the backup in `source` into the (empty) database at `database_url` and return
    its figures, which must equal the `manifest`'s. BackupError when the database already holds events, or
    the restored figures differ."""
    if not await _on(database_url, log_backup.is_empty):
        raise BackupError("the target database already holds jiehu's tables; restore into an empty database "
                          "(before `jiehu migrate` runs on it)")
    await _pg_tool("pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                   f"--dbname={database_url}", str(source / DUMP))
    summary = await _on(database_url, log_backup.log_summary)
    restored, expected = summary.as_dict(), manifest["log"]
    if restored != expected:
        keys = sorted(k for k in set(restored) | set(expected) if restored.get(k) != expected.get(k))
        differing = ", ".join(f"{k} {restored.get(k)!r} (manifest: {expected.get(k)!r})" for k in keys)
        raise BackupError(f"the restored log differs from the manifest: {differing}. Delete the restored database "
                          "(or data dir) and restore again from an intact backup")
    return summary


async def _on(database_url: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on one connection to `database_url`, then close it."""
    conn = await connect(database_url)
    try:
        return await work(conn)
    finally:
        await conn.close()


async def _audit(database_url: str) -> AuditReport:
    return await _on(database_url, audit_verify)


async def _next_transaction_id(database_url: str) -> int:
    return await _on(database_url, log_backup.next_transaction_id)


async def transaction_ids_behind(database_url: str) -> int:
    """0 when the server's next transaction id is above every restored event's, else the id it must pass
    (readers of the log go in (tx_id, position) order; docs/backup.md)."""
    top, next_id = await _on(database_url, transaction_ids)
    return top if next_id <= top else 0


def restore(source: Path, data_dir: Path | None = None, database_url: str | None = None) -> Restored:
    """Restore the backup in `source` into an empty stack.

    - `data_dir` (a `jiehu dev` data dir, stopped): Temporal's file goes to `<data_dir>/temporal/temporal.db`;
      without `database_url` the database goes into the embedded PostgreSQL of `<data_dir>/postgres` (started
      for the restore and stopped again), whose transaction ids are then advanced above the log's.
    - `database_url`: the database goes there (must be empty). Its server's transaction ids must already be
      above the log's (BackupError otherwise, saying the id to pass; docs/backup.md).

    BackupError when the target is not empty, a check fails or a tool fails."""
    manifest = read_manifest(source)
    temporal_target = None
    if data_dir is not None and TEMPORAL in manifest["files"]:
        temporal_target = data_dir.resolve() / "temporal" / TEMPORAL
        if temporal_target.exists():
            raise BackupError(f"{temporal_target} exists; restore into an empty data dir")
    if database_url is not None:
        top = manifest["log"].get("top_transaction_id", 0)
        if asyncio.run(_next_transaction_id(database_url)) <= top:
            xid, epoch = resetwal_ids(top)
            raise BackupError(
                f"this server's next transaction id is not above the log's ({top}): new events would sort before "
                f"the restored ones. Stop it, run `pg_resetwal -x {xid} -e {epoch} <its data directory>` as its "
                "owner, start it and restore again (docs/backup.md); nothing was restored")
        asyncio.run(restore_database(source, manifest, database_url))
        url, advanced = database_url, None
        audit = asyncio.run(_audit(url))
    else:
        if data_dir is None:
            raise BackupError("say where to restore: a data dir, a database URL, or both")
        pg_dir = data_dir.resolve() / "postgres"
        if (pg_dir / "PG_VERSION").exists():
            raise BackupError(f"{pg_dir} holds a PostgreSQL already; restore into an empty data dir")
        postgres = EmbeddedPostgres(pg_dir, free_port())
        postgres.start()
        try:
            url = postgres.url()
            asyncio.run(restore_database(source, manifest, url))
            behind = asyncio.run(transaction_ids_behind(url))
            audit = asyncio.run(_audit(url))
        finally:
            postgres.stop()
        advanced = postgres.advance_transaction_ids(behind) if behind else None
    if temporal_target is not None:
        temporal_target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / TEMPORAL, temporal_target)
    return Restored(manifest, url, temporal_target, advanced, audit)


async def check_workflows(client: PetitionClient, database_url: str, settle: float = 1.0
                          ) -> dict[str, tuple[int, int]]:
    """After a restore, with the worker running: each open petition whose workflow does not know its whole
    stream, as {petition id: (workflow's version, 0 when it has no workflow; log's version)} (empty: every
    workflow knows its stream). A petition listed here lost commands taken between the copies of Temporal
    and the database; `resync` restarts it from the log (docs/backup.md). A workflow folds its events only
    after their append commits, so the workflow is asked first and the log read after; one seen behind is
    asked again after `settle` and then 2 × `settle` seconds, and counts as behind only if it never reaches the
    version the log held at the try before (a petition still climbing under a running worker does)."""
    conn = await connect(database_url)
    try:
        behind = {}
        for petition_id in await log_backup.open_petition_versions(conn):
            earlier = None  # what the log held at the try before: a live workflow reaches it within `settle`
            for attempt in range(3):
                known = await _known_version(client, petition_id)
                logged = await stream_version(conn, petition_id)
                if known >= logged or (earlier is not None and known >= earlier):
                    break
                earlier = logged
                if attempt < 2:
                    await asyncio.sleep(settle * (attempt + 1))
            else:
                behind[petition_id] = (known, logged)
    finally:
        await conn.close()
    return behind


async def _known_version(client: PetitionClient, petition_id: str) -> int:
    try:
        return (await client.state(petition_id)).version
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        return 0  # reported after Temporal's copy: the log has it, Temporal does not


async def resync(client: PetitionClient, pool: asyncpg.Pool, petition_ids: list[str]) -> None:
    """Restart each petition's workflow from its stream in the log (the system of record): the cure for the
    workflows `check_workflows` names."""
    store = EventStore(pool)
    for petition_id in petition_ids:
        await client.restart_from(fold_stored(petition_id, await store.read_stream(petition_id)))
