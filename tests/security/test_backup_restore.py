"""Backup and restore (issue 14, item 9): scripts/backup and scripts/restore, run for real against PostgreSQL.

Data with an attachment is committed, backed up, and restored into a scratch database and folder; every
table's row count, the whole timeline and the attachment's bytes must come back the same. A non-empty
database or a damaged backup is refused and nothing is changed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
HAS_TOOLS = all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql"))

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="scripts/backup and scripts/restore back up PostgreSQL (pg_dump); "
                                               "SQLite is the development database and is not backed up"),
    pytest.mark.skipif(ON_POSTGRES and not HAS_TOOLS and os.environ.get("CI") != "true",
                       reason="the PostgreSQL client tools (pg_dump, pg_restore, psql) are not installed"),
    pytest.mark.django_db(transaction=True),  # committed rows: pg_dump reads them from another connection
]

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"  # binary, so that a text-mode copy would show


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def run(script: str, *args: str, attachments: Path, database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(database), "ATTACHMENTS_ROOT": str(attachments)}
    env.pop("ATTACHMENTS_S3_BUCKET", None)
    return subprocess.run([str(ROOT / "scripts" / script), *args], env=env, capture_output=True, text=True,
                          timeout=300)


def query(dsn: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on its own connection (autocommit: CREATE and DROP DATABASE need it)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def counts(dsn: str) -> dict[str, int]:
    tables = [row[0] for row in query(dsn, "select tablename from pg_tables where schemaname = 'public' "
                                           "order by tablename")]
    return {table: query(dsn, f'select count(*) from "{table}"')[0][0] for table in tables}


def timeline(dsn: str) -> list[tuple]:
    return query(dsn, "select * from escalations_timelineentry order by id")


@pytest.fixture
def scratch():
    """A scratch database name, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    admin = database_url("postgres")

    def drop():
        query(admin, f'drop database if exists "{name}"')

    drop()
    yield name
    drop()


@pytest.fixture
def held(settings, tmp_path, people, raise_escalation):
    """Committed data: the ladders, the demo people, an escalation with a note and an attachment."""
    from escalations import services
    from escalations.attachments import attachment_create

    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Called the school.")
    attachment = attachment_create(escalation=esc, actor=people["bexley-practitioner"],
                                   upload=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"))
    return attachment


def test_a_backup_restores_into_a_scratch_database_with_every_row_the_timeline_and_the_files(
        held, scratch, tmp_path, settings):
    source = connection.settings_dict["NAME"]
    backup = run("backup", "--output", str(tmp_path / "backups"), attachments=settings.ATTACHMENTS_ROOT,
                 database=source)
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert {path.name for path in folder.iterdir()} == {"database.dump", "attachments.tar.gz", "README.txt",
                                                        "SHA256SUMS"}
    assert folder.stat().st_mode & 0o077 == 0  # children's data: the owner's only

    restored_files = tmp_path / "restored-attachments"
    restore = run("restore", str(folder), "--database", scratch, "--attachments-root", str(restored_files),
                  attachments=restored_files, database=source)
    assert restore.returncode == 0, restore.stderr

    before, after = counts(database_url(source)), counts(database_url(scratch))
    assert after == before
    assert before["escalations_escalation"] == 1 and before["escalations_attachment"] == 1
    assert before["organisations_user"] > 20 and before["escalations_timelineentry"] >= 3
    assert timeline(database_url(scratch)) == timeline(database_url(source))
    assert (restored_files / held.file.name).read_bytes() == PDF


def test_a_non_empty_database_is_refused_without_force_and_replaced_with_it(held, scratch, tmp_path, settings):
    source = connection.settings_dict["NAME"]
    backup = run("backup", "--output", str(tmp_path / "backups"), attachments=settings.ATTACHMENTS_ROOT,
                 database=source)
    folder = backup.stdout.strip().splitlines()[-1]
    first = tmp_path / "first"
    assert run("restore", folder, "--database", scratch, "--attachments-root", str(first),
               attachments=first, database=source).returncode == 0
    query(database_url(scratch), "insert into escalations_participant (escalation_id, user_id, reason) "
                                 "select e.id, u.id, 'after the restore' from escalations_escalation e, "
                                 "organisations_user u where u.username = 'bexley-psw'")
    changed = counts(database_url(scratch))

    refused = run("restore", folder, "--database", scratch, "--attachments-root", str(tmp_path / "elsewhere"),
                  attachments=first, database=source)

    assert refused.returncode != 0
    assert f"the database {scratch} holds" in refused.stderr and "nothing restored" in refused.stderr
    assert counts(database_url(scratch)) == changed
    assert not (tmp_path / "elsewhere").exists()

    forced = run("restore", folder, "--database", scratch, "--attachments-root", str(first), "--force",
                 attachments=first, database=source)
    assert forced.returncode == 0, forced.stderr
    assert counts(database_url(scratch)) == counts(database_url(source))


def test_a_damaged_backup_is_refused_before_anything_is_touched(held, scratch, tmp_path, settings):
    source = connection.settings_dict["NAME"]
    backup = run("backup", "--output", str(tmp_path / "backups"), attachments=settings.ATTACHMENTS_ROOT,
                 database=source)
    folder = Path(backup.stdout.strip().splitlines()[-1])
    dump = folder / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    refused = run("restore", str(folder), "--database", scratch, attachments=tmp_path / "x", database=source)

    assert refused.returncode != 0 and "checksums do not match" in refused.stderr
    assert query(database_url("postgres"), "select 1 from pg_database where datname = %s", (scratch,)) == []
