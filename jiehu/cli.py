"""The `jiehu` command: dev stack, workers, API, org loading and projection maintenance."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
import typer

from config.settings import Settings
from domain.enums import Role
from observability.logging import configure_logging

T = TypeVar("T")
app = typer.Typer(help="jiehu (街呼区应): closed-loop handling of residents' petitions.", no_args_is_help=True)
org_app = typer.Typer(help="The org tree and categories.", no_args_is_help=True)
projections_app = typer.Typer(help="Read models projected from the event log.", no_args_is_help=True)
calendar_app = typer.Typer(help="The working-day calendar (official holiday arrangements).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident event log (docs/audit.md).", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(calendar_app, name="calendar")
app.add_typer(projections_app, name="projections")
app.add_typer(audit_app, name="audit")


@app.command()
def dev(
    data_dir: Path = typer.Option(Path(".jiehu"), help="Where PostgreSQL and Temporal keep their data."),
    api_port: int = typer.Option(8000, help="Port of the REST API (it serves /metrics too)."),
    temporal_port: int = typer.Option(7233, help="gRPC port of Temporal (its UI listens 1000 above)."),
    pg_port: int = typer.Option(0, help="Port of PostgreSQL (default: the API port minus 2568, e.g. 5432)."),
    policy: str = typer.Option("default", help="SLA policy: default, fast, or a policy file."),
    dept_worker: list[str] = typer.Option([], "--dept-worker", help="Also serve this department's queue."),
    sdk_metrics_port: int = typer.Option(0, help="Port of the Temporal SDK's metrics (default: the API port + 1)."),
) -> None:
    """Start PostgreSQL, Temporal, the worker and the API in one process tree; Ctrl-C stops them."""
    from jiehu.devstack import DevOptions, run_dev

    configure_logging("console")
    run_dev(DevOptions(data_dir=data_dir, api_port=api_port, temporal_port=temporal_port,
                       pg_port=pg_port or api_port - 2568, policy=policy, dept_workers=dept_worker,
                       sdk_metrics_port=sdk_metrics_port or api_port + 1,
                       jwt_secret=dev_secret(data_dir, create=True) or ""))


@app.command()
def token(
    role: Role = typer.Option(..., help="grid_worker, community_staff, ..., dispatcher, supervisor, admin, auditor"),
    unit: str = typer.Option("", help="The caller's unit code (e.g. rc-yuehe-taibai-g1)."),
    name: str = typer.Option("", help="Display name (default: the role's Chinese label)."),
    subject: str = typer.Option("", help="Subject (default: role@unit)."),
    hours: float = typer.Option(12, help="Hours until it expires."),
    data_dir: Path = typer.Option(Path(".jiehu"), help="A `jiehu dev` data dir whose secret to use."),
) -> None:
    """Print a dev token (HS256, signed with JIEHU_JWT_SECRET or the dev stack's own secret)."""
    from api.auth import issue_token

    settings = Settings()
    secret = settings.jwt_secret or dev_secret(data_dir, create=False)
    if not secret:
        typer.echo("no secret: set JIEHU_JWT_SECRET or start `jiehu dev` first", err=True)
        raise typer.Exit(2)
    typer.echo(issue_token(secret, subject=subject or f"{role.value}@{unit or 'jiehu'}", name=name or role.label,
                           role=role, unit=unit, hours=hours, issuer=settings.jwt_issuer,
                           audience=settings.jwt_audience))


def dev_secret(data_dir: Path, *, create: bool) -> str | None:
    """The HS256 secret of a dev stack, kept in its data dir so tokens survive restarts."""
    import secrets

    path = data_dir / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(32))
    path.chmod(0o600)
    return path.read_text().strip()


@app.command()
def bench(
    duration: float = typer.Option(60, help="Seconds of simulated cadres."),
    rate: float = typer.Option(2.0, help="Petitions reported per second."),
    json_file: Path = typer.Option(None, "--json", help="Also write the results to this JSON file."),
    seed: int = typer.Option(20261128, help="Seed of the simulated mix."),
) -> None:
    """Drive a scratch embedded stack with simulated cadres (fast policy) and print its figures."""
    from benchmarks.run import run_bench

    configure_logging("console", "WARNING")
    run_bench(duration, rate, json_file, seed)


@app.command()
def faults(
    petitions: int = typer.Option(300, help="Petitions reported (each lives a short scripted life)."),
    rate: float = typer.Option(1.0, help="Petitions reported per second."),
    faults_per_kind: int = typer.Option(3, help="Faults of each kind (worker, API, Temporal, PostgreSQL, department)."),
    max_seconds: float = typer.Option(480, help="Cap on the acting phase, seconds (then settling and the checks)."),
    seed: int = typer.Option(20261130, help="Seed of the lives and of the faults' order and timing."),
    journal: Path = typer.Option(None, help="Also write every command and attempt to this JSON-lines file."),
) -> None:
    """Fault suite: a scratch loopback stack, simulated cadres, kill -9 / restart of every part, then the invariants
    (docs/reliability.md). Exit 1 on any violation."""
    from benchmarks.faults.run import FaultOptions, run_suite

    configure_logging("console", "WARNING")
    result = run_suite(FaultOptions(petitions=petitions, rate=rate, faults_per_kind=faults_per_kind,
                                    max_seconds=max_seconds, seed=seed, journal=journal))
    if any(result["violations"].values()):
        raise typer.Exit(1)


def _waiting_for_postgres(process: str) -> Callable[[str], None]:
    """What a process prints once when PostgreSQL cannot be reached at its start."""
    return lambda reason: typer.echo(f"jiehu {process}: PostgreSQL is not reachable ({reason}); waiting for it "
                                     "(Ctrl-C stops)", err=True)


@app.command()
def worker() -> None:
    """Run petition workflows, the monthly close, the evaluation projection and the webhooks of departments
    whose org data says `delivery: webhook` (JIEHU_* variables)."""
    settings = _settings()

    async def main() -> None:
        from prometheus_client import start_http_server

        from config.reference_data import load_scoring
        from eventstore.audit import run_anchors
        from eventstore.evaluation_projection import run_projector
        from eventstore.pool import create_pool_waiting
        from eventstore.store import EventStore
        from services.calendar import follow_calendar
        from services.gauges import OrgLevels, refresh_gauges
        from stack.department_workers import WebhookWorkers
        from stack.workers import ensure_monthly_close, ensure_visit_days, notifications, petition_worker
        from workflows.connection import connect_temporal

        pool = await create_pool_waiting(settings.database_url, max_size=settings.db_pool_size,
                                         on_wait=_waiting_for_postgres("worker"))
        assert pool is not None  # no stop event: it waits until PostgreSQL answers
        client = await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                        settings.temporal_sdk_metrics)
        await ensure_monthly_close(client, settings.task_queue)
        await ensure_visit_days(client, settings.task_queue)
        if settings.metrics_port:
            start_http_server(settings.metrics_port)
        levels, stop = OrgLevels(), asyncio.Event()
        background = [asyncio.create_task(run_projector(pool, stop)),  # scorecards stay current
                      asyncio.create_task(refresh_gauges(pool, client, levels, stop)),
                      # departments served by a webhook: their task queues, POSTing each order
                      asyncio.create_task(WebhookWorkers(client, pool, settings).run(stop))]
        if settings.anchor_seconds > 0:  # the tamper-evident log's anchors (docs/audit.md)
            background.append(asyncio.create_task(run_anchors(pool, stop, settings.anchor_seconds)))
        following = asyncio.create_task(follow_calendar(EventStore(pool)))  # the month's working days
        workers = [petition_worker(client, pool, settings.task_queue, load_scoring(settings.scoring), levels)]
        channels = None
        if settings.notifications:  # who is told what (docs/notifications.md)
            notifier, delivery_worker, channels = notifications(client, pool, settings)
            workers.append(delivery_worker)
            background.append(asyncio.create_task(notifier.run(stop)))
        try:
            await asyncio.gather(*(w.run() for w in workers))
        finally:
            stop.set()
            following.cancel()
            await asyncio.gather(*background)
            if channels is not None:
                await channels.aclose()

    asyncio.run(main())


@app.command("dept-worker")
def dept_worker_command(dept: str = typer.Option(..., help="Department unit code, e.g. rencheng-water.")) -> None:
    """Serve one district department's task queue (dept-<code>): POSTing to its webhook if its org data
    says `delivery: webhook`, else into the `department_inbox` table its system reads. Waits for Temporal
    while it is unreachable; Ctrl-C (or SIGTERM) stops it at any moment."""
    settings = _settings()
    asyncio.run(_serve_department(settings, dept))


async def _serve_department(settings: Settings, dept: str) -> None:
    import signal

    import httpx

    from eventstore.pool import create_pool_waiting
    from org.repository import load_org
    from stack.department_workers import department_adapter
    from stack.workers import department_worker
    from workflows.connection import connect_temporal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pool = await create_pool_waiting(settings.database_url, max_size=2, on_wait=_waiting_for_postgres("dept-worker"),
                                     stop=stop)
    if pool is None:  # stopped while PostgreSQL was away
        return
    http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
    try:
        client = None
        waiting = False
        while client is None and not stop.is_set():
            try:
                client = await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                                settings.temporal_sdk_metrics)  # its polls show in the SDK metrics
            except RuntimeError as error:
                if "metrics" in str(error).lower():
                    raise  # the SDK metrics address is taken: waiting will not help
                if not waiting:
                    typer.echo(f"jiehu dept-worker: Temporal at {settings.temporal_address} is not reachable; "
                               "waiting for it (Ctrl-C stops)", err=True)
                    waiting = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2)
        if client is not None:
            system = (await load_org(pool)).system_of(dept)  # its webhook, or the inbox table
            worker = department_worker(client, dept, department_adapter(dept, system, settings, pool, http))
            running = asyncio.create_task(worker.run())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if running.done():
                stopping.cancel()
                running.result()  # the worker failed on its own: say why
            else:
                # a graceful shutdown waits for polls in flight; with Temporal down they never end
                with contextlib.suppress(TimeoutError, Exception):
                    await asyncio.wait_for(worker.shutdown(), 10)
                running.cancel()
                with contextlib.suppress(BaseException):
                    await running
    finally:
        await http.aclose()
        await pool.close()
    typer.echo(f"jiehu dept-worker: stopped (dept-{dept})", err=True)


@app.command()
def api() -> None:
    """Serve the REST API (configured by JIEHU_* variables)."""
    import uvicorn

    from api.main import create_app

    settings = _settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from eventstore.migrate import migrate as apply

    typer.echo(f"applied: {_on_database(_settings(), apply) or 'nothing new'}")


@org_app.command("load")
def org_load(
    file: Path = typer.Argument(..., help="Org YAML file (format: docs/org-format.md)."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Only load when no org is stored yet."),
) -> None:
    """Replace the org tree and categories with those of FILE."""
    from org.loader import OrgFileError, load_org_file

    try:
        org = load_org_file(file)
    except OrgFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    from eventstore.migrate import migrate as apply
    from org.repository import org_is_empty, save_org

    async def load(conn: asyncpg.Connection) -> bool:
        await apply(conn)
        if if_empty and not await org_is_empty(conn):
            return False
        await save_org(conn, org)
        return True

    if _on_database(_settings(), load):
        typer.echo(f"loaded {len(org.units)} units and {len(org.categories)} categories")
    else:
        typer.echo("an org is already stored; left as it is")


@calendar_app.command("load")
def calendar_load(
    file: Path = typer.Argument(..., help="Arrangement YAML: source: <notice>, years: {2027: {holidays: "
                                           "{2027-01-01: 元旦, ...}, workdays: [2027-02-20, ...]}}"),
    operator: str = typer.Option("", help="Who loads it (recorded in the log); default: the OS user."),
) -> None:
    """Load the State Council's holiday arrangement of FILE's years into the log, without a release:
    running processes adopt it within 30 s, and every open petition re-plans the deadlines it moves."""
    import getpass
    from datetime import UTC, datetime

    from domain.errors import DomainError
    from domain.model import Actor
    from eventstore.pool import create_pool
    from eventstore.store import EventStore
    from services.calendar import check, load_arrangement, parse_arrangement_file
    from workflows.connection import connect_temporal

    settings = _settings()
    try:
        source, years = parse_arrangement_file(file.read_text("utf-8"))
        for year, (holidays, workdays) in sorted(years.items()):  # every year, before anything is recorded
            check(year, holidays, workdays, datetime.now(UTC))
    except (OSError, UnicodeDecodeError, DomainError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    who = operator or getpass.getuser()
    actor = Actor(id=f"cli:{who}"[:64], name=who[:64], unit_code="", role=Role.ADMIN)

    async def main() -> None:
        pool = await create_pool(settings.database_url, max_size=2)
        try:
            client = await connect_temporal(settings.temporal_address, settings.temporal_namespace)
            for year, (holidays, workdays) in sorted(years.items()):
                result = await load_arrangement(EventStore(pool), client, settings.task_queue, year=year,
                                                holidays=holidays, workdays=workdays, source=source, actor=actor,
                                                now=datetime.now(UTC))
                what = "loaded" if result.recorded else "unchanged (already in force)"
                typer.echo(f"{year}: {what}, sequence {result.arrangement.sequence}; "
                           f"open petitions re-planned by workflow {result.replan_workflow_id}")
        finally:
            await pool.close()

    try:
        asyncio.run(main())
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc


@app.command("simulate-month")
def simulate_month_command(
    month: str = typer.Option(..., help="The month to fill, e.g. 2026-10."),
    petitions: int = typer.Option(1500, help="How many petitions to report during it."),
    seed: int = typer.Option(1, help="Same seed, same month."),
    first: int = typer.Option(0, help="Number the petitions from here (to add to a month already simulated)."),
) -> None:
    """Fill a month with simulated, closed petitions (SIM<yyyymm>-n) for scorecards and rankings."""
    from domain.evaluation import Period
    from evaluation.simulate import simulate_month
    from org.repository import load_org

    settings = _settings()

    async def main() -> dict:
        from eventstore.pool import create_pool

        pool = await create_pool(settings.database_url, max_size=4)
        try:
            return await simulate_month(pool, await load_org(pool), Period.parse(month), petitions, seed, first,
                                        duplicates=True)
        finally:
            await pool.close()

    result = asyncio.run(main())
    typer.echo(f"{result['month']}: {result['written']} of {result['petitions']} petitions written "
               f"({result['events']} events); see GET /v1/rankings?period={result['month']}&level=street")
    by_channel = result.get("channels", {})
    if by_channel:
        typer.echo("by channel: " + ", ".join(f"{code} {n}" for code, n in sorted(by_channel.items())))
    if visits := result.get("visit_days"):  # issue 14 §4
        typer.echo(f"民意\"5\"来听: {visits['rounds']} visit rounds, {visits['matters']} matters "
                   f"({visits['on_the_spot']} resolved on the spot); see GET /v1/visit-teams/figures?"
                   f"period={result['month']}")
    routine = result.get("duplicates") or {}
    if routine.get("petitions"):
        typer.echo(f"  重复件 duplicates merged: {routine['merged']}; 突发集中诉求 one burst with "
                   f"{routine['burst_reporters']} reporters (SIMD{result['month'].replace('-', '')}-n)")


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Drop every read model and rebuild it from the event log. Refused (exit 1, the read models left as they
    are) when the log's audit fails: a rebuild would carry an edit made behind jiehu's back into them."""
    from eventstore import evaluation_projection
    from eventstore.audit import verify as audit
    from eventstore.petition_projection import UnreadableLog, rebuild

    settings = _settings()
    checked = _on_database(settings, audit)
    if not checked.intact:
        typer.echo(f"TAMPERED: the log is not intact ({len(checked.findings)} finding(s); `jiehu audit verify` names "
                   "them): a rebuild would carry the change into the read models, which were left as they were",
                   err=True)
        raise typer.Exit(1)
    try:
        report = _on_database(settings, rebuild)
    except UnreadableLog as e:
        typer.echo(f"UNREADABLE: {e}; the read models were left as they were", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"petitions: {report.petitions} rebuilt from {report.events} events in {report.seconds:.2f}s "
               f"({report.events_per_second:,.0f} events/s)")
    evaluation = _on_database(settings, evaluation_projection.rebuild)
    typer.echo(f"evaluation: facts, editions and property rounds rebuilt from {evaluation.events} events "
               f"in {evaluation.seconds:.2f}s")
    from eventstore.visit_rounds import rebuild_visit_rounds  # issue 14 §4

    typer.echo(f"visit rounds: {_on_database(settings, rebuild_visit_rounds)} rebuilt")


@projections_app.command("verify")
def projections_verify() -> None:
    """Rebuild into a scratch table and prove it equals the live read model."""
    from eventstore.petition_projection import UnreadableLog, verify

    try:
        differing = _on_database(_settings(), verify)
    except UnreadableLog as e:
        typer.echo(f"UNREADABLE: {e}", err=True)
        raise typer.Exit(1) from None
    if differing:
        typer.echo(f"MISMATCH: {len(differing)} petition(s) differ, e.g. {', '.join(differing[:10])}", err=True)
        raise typer.Exit(1)
    typer.echo("ok: the rebuilt read model equals the live one")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every stream's hash chain and every anchor; name each event or anchor that does not hold
    (exit 1), or say the log is intact (exit 0)."""
    from eventstore.audit import verify

    report = _on_database(_settings(), verify)
    for finding in report.findings:
        typer.echo(f"{finding.kind.upper()}: {finding.where}: {finding.detail}", err=True)
    if not report.intact:
        typer.echo(f"TAMPERED: {len(report.findings)} finding(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: every stream's hash chain holds; {report.anchors_checked} anchor(s) over "
               f"{report.events_anchored} events match")


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Seal every event committed since the last anchor into a new anchor and print its digest: copy it out
    of the database (a report, another system), where whoever can edit the log cannot reach it."""
    from eventstore.audit import make_anchor

    anchor = _on_database(_settings(), make_anchor)
    if anchor is None:
        typer.echo("nothing new since the last anchor")
        return
    typer.echo(f"anchor {anchor.anchor_id}: {anchor.events} events up to position {anchor.cursor.position}, "
               f"sha256 {anchor.digest}")


@app.command()
def backup(
    target: Path = typer.Argument(..., help="A new (or empty) directory to write the backup into."),
    data_dir: Path = typer.Option(Path(".jiehu"), help="The `jiehu dev` data dir whose Temporal file to copy."),
    temporal_db: Path = typer.Option(None, help="Temporal's SQLite file (default: <data-dir>/temporal/temporal.db)."),
    no_temporal: bool = typer.Option(False, "--no-temporal", help="Temporal's persistence is not a file (compose: "
                                     "back it up with its own tools, docs/backup.md); dump the database only."),
    even_if_tampered: bool = typer.Option(False, "--even-if-tampered", help="Back up a log whose audit fails (as "
                                          "evidence: the manifest lists the findings, no anchor is sealed)."),
) -> None:
    """Back up the stack: Temporal's SQLite file, then the database (pg_dump, custom format), then a manifest
    with the log's figures and its latest anchor. Stop the petition workers first for an exact copy
    (docs/backup.md)."""
    from stack.backup import BackupError
    from stack.backup import backup as run_backup

    settings = _settings()
    source = None if no_temporal else (temporal_db or data_dir / "temporal" / "temporal.db")
    try:
        manifest = run_backup(target, settings.database_url, source, even_if_tampered)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    figures = manifest["log"]
    typer.echo(f"backed up into {target}: {figures['events']} events, {figures['petitions']} petitions "
               f"({figures['open_petitions']} open), anchor {figures['anchor_id']} sha256 {figures['anchor_digest']}; "
               f"Temporal: {manifest['temporal']}")
    if not manifest["audit"]["intact"]:
        typer.echo(f"warning: the log backed up is not intact ({len(manifest['audit']['findings'])} finding(s), "
                   "listed in the manifest)", err=True)


@app.command()
def restore(
    source: Path = typer.Argument(..., help="A directory written by `jiehu backup`."),
    data_dir: Path = typer.Option(None, help="An empty `jiehu dev` data dir to restore into (then `jiehu dev "
                                  "--data-dir` it)."),
    database_url: str = typer.Option(None, help="Restore the database into this empty database instead of the "
                                     "data dir's embedded PostgreSQL."),
) -> None:
    """Restore a backup into an empty stack, check its figures against the manifest and its audit chain
    (docs/backup.md). Exit 1 when the restored log is not intact."""
    from stack.backup import BackupError
    from stack.backup import restore as run_restore

    configure_logging("console", "WARNING")
    if data_dir is None and database_url is None:
        typer.echo("error: say where: --data-dir, --database-url, or both", err=True)
        raise typer.Exit(2)
    try:
        restored = run_restore(source, data_dir, database_url)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    figures = restored.manifest["log"]
    typer.echo(f"restored {figures['events']} events, {figures['petitions']} petitions from {source} "
               f"(taken {restored.manifest['created_at']}, commit {restored.manifest['commit'] or 'unknown'})")
    if restored.temporal_db:
        typer.echo(f"Temporal's database: {restored.temporal_db}")
    if restored.advanced_to:
        typer.echo(f"PostgreSQL's next transaction id set to {restored.advanced_to} (above the restored log's)")
    report = restored.audit
    if not report.intact:
        for finding in report.findings:
            typer.echo(f"{finding.kind.upper()}: {finding.where}: {finding.detail}", err=True)
        typer.echo(f"TAMPERED: the restored log is not intact ({len(report.findings)} finding(s), docs/audit.md)",
                   err=True)
        raise typer.Exit(1)
    typer.echo(f"audit: intact ({report.anchors_checked} anchors over {report.events_anchored} events)")
    if data_dir is not None and database_url is None:
        typer.echo(f"start it with `jiehu dev --data-dir {data_dir}`")


@app.command("check-workflows")
def check_workflows_command(
    resync: bool = typer.Option(False, "--resync", help="Restart each workflow found behind from its stream."),
) -> None:
    """After a restore (worker running): name each open petition whose workflow does not know its whole stream
    in the log (exit 1), or restart them from the log with --resync (docs/backup.md)."""
    from eventstore.pool import create_pool
    from stack.backup import check_workflows
    from stack.backup import resync as restart
    from workflows.client import PetitionClient
    from workflows.connection import connect_temporal

    settings = _settings()

    async def main() -> dict[str, tuple[int, int]]:
        client = PetitionClient(await connect_temporal(settings.temporal_address, settings.temporal_namespace),
                                settings.task_queue)
        behind = await check_workflows(client, settings.database_url)
        if resync and behind:
            pool = await create_pool(settings.database_url, max_size=2)
            try:
                await restart(client, pool, sorted(behind))
            finally:
                await pool.close()
        return behind

    try:
        behind = asyncio.run(main())
    except (OSError, asyncpg.PostgresError, RuntimeError) as error:  # PostgreSQL or Temporal not reachable
        typer.echo(f"error: {type(error).__name__}: {str(error)[:300]}; the worker, Temporal and PostgreSQL must be "
                   "up (jiehu dev)", err=True)
        raise typer.Exit(2) from None
    for petition_id, (known, logged) in sorted(behind.items()):
        typer.echo(f"{petition_id}: workflow at version {known}, log at {logged}"
                   + (" — restarted from the log" if resync else ""))
    if behind and not resync:
        typer.echo(f"BEHIND: {len(behind)} workflow(s); run again with --resync", err=True)
        raise typer.Exit(1)
    typer.echo("ok: every open petition's workflow knows its whole stream" if not behind else
               f"restarted {len(behind)} workflow(s) from the log")


def _on_database(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on one connection to the configured database, then close it."""

    async def main() -> T:
        from eventstore.pool import connect

        try:
            conn = await connect(settings.database_url)
        except (OSError, asyncpg.PostgresError) as error:  # down, starting up, no such database, refused login
            typer.echo(f"error: cannot reach PostgreSQL at {_where(settings.database_url)} ({type(error).__name__}: "
                       f"{error}); is the stack running (jiehu dev), and JIEHU_DATABASE_URL right?", err=True)
            raise typer.Exit(2) from None
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(main())


def _where(database_url: str) -> str:
    """A database URL without its password, for a message."""
    from urllib.parse import urlsplit

    parts = urlsplit(database_url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    return settings
