"""A large ledger checked and imported beside the request (casework/imports/ledger_jobs.py):
its progress in the database, one job per upload, a stopped one started again, and the
migration that added the progress columns going down and up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic import command
from conftest import COUNTY, DATA_KEY, WORKFLOW, make_actor
from sqlalchemy import func, inspect, select

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.errors import NotFound
from casework.imports import ledger_jobs
from casework.imports.ledger_jobs import job_of, start_again, start_check, start_import
from casework.imports.ledger_uploads import (
    MAX_AGE,
    keep_upload,
    rotate_uploads,
    take_upload,
    uploads_by_key,
)
from casework.privacy.crypto import generate_key
from casework.storage.db import reading, utcnow
from casework.storage.models import Case
from casework.storage.schema import alembic_config, upgrade

HEAD = "登记日期,乡镇,村,类别,来源,紧急程度,情况摘要,姓名,电话,办结层级,办结日期,结果\n"


def ledger(count: int) -> bytes:
    rows = "".join(f"2026/3/3,,沙子村,咨询,来访,一般,第{i}件,,,,,\n" for i in range(count))
    return (HEAD + rows).encode("gb18030")


def cases(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(Case)).scalar_one()


@pytest.fixture
def officer(cw, county):
    return make_actor(cw, "county_officer", COUNTY)


def test_a_check_and_an_import_in_a_thread_record_their_progress(cw, officer):
    token = keep_upload(cw, by=officer, filename="台账.csv", data=ledger(230))
    threads = []

    def in_a_thread(work):
        threads.append(threading.Thread(target=work))
        threads[-1].start()

    start_check(cw, by=officer, token=token, start=in_a_thread)
    threads[-1].join()
    job = job_of(cw, by=officer, token=token)
    assert (job.state, job.rows_checked, job.preview.new, job.running) == ("checked", 230, 230,
                                                                           False)
    assert cases(cw) == 0
    start_import(cw, by=officer, token=token, start=in_a_thread)
    threads[-1].join()
    job = job_of(cw, by=officer, token=token)
    assert (job.state, job.rows_written, job.imported, job.duplicates) == ("imported", 230,
                                                                           230, 0)
    assert cases(cw) == 230
    with pytest.raises(NotFound):  # imported once: the upload is no longer one to confirm
        start_import(cw, by=officer, token=token, start=in_a_thread)
    with pytest.raises(NotFound):
        take_upload(cw, by=officer, token=token)


def test_one_job_per_step_and_only_a_stopped_one_starts_again(cw, officer):
    token = keep_upload(cw, by=officer, filename="l.csv", data=ledger(3))
    started = []
    start_check(cw, by=officer, token=token, start=started.append)
    with pytest.raises(NotFound):
        start_check(cw, by=officer, token=token, start=started.append)
    with pytest.raises(NotFound):  # running, not stopped
        start_again(cw, by=officer, token=token, start=started.append)
    assert len(started) == 1
    later = utcnow() + ledger_jobs.STALE_AFTER + timedelta(seconds=1)
    assert job_of(cw, by=officer, token=token, now=later).stopped
    start_again(cw, by=officer, token=token, now=later, start=started.append)
    started[-1]()
    assert job_of(cw, by=officer, token=token).state == "checked"


def test_a_running_import_does_not_expire_while_it_moves(cw, officer):
    token = keep_upload(cw, by=officer, filename="l.csv", data=ledger(3))
    start_check(cw, by=officer, token=token, start=lambda work: None)
    # Sent longer ago than MAX_AGE, but its progress is recent: still there.
    assert job_of(cw, by=officer, token=token, now=utcnow() + MAX_AGE / 2).stopped
    with pytest.raises(NotFound):
        job_of(cw, by=officer, token=token, now=utcnow() + MAX_AGE + timedelta(minutes=1))


def test_a_file_that_is_no_table_fails_with_its_reason(cw, officer):
    token = keep_upload(cw, by=officer, filename="l.xlsx", data=b"not a workbook")
    start_check(cw, by=officer, token=token, start=lambda work: work())
    job = job_of(cw, by=officer, token=token)
    assert job.state == "failed" and job.refusal is not None and not job.running


def test_migration_0021_goes_down_and_up_keeping_the_uploads(cw, officer):
    token = keep_upload(cw, by=officer, filename="l.csv", data=ledger(3))
    config = alembic_config(cw.engine)
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")
    columns = {c["name"] for c in inspect(cw.engine).get_columns("ledger_uploads")}
    assert not columns & set(ledger_jobs_columns())
    upgrade(cw.engine, lambda: cw.keyring)
    columns = {c["name"] for c in inspect(cw.engine).get_columns("ledger_uploads")}
    assert set(ledger_jobs_columns()) <= columns
    job = job_of(cw, by=officer, token=token)  # an upload kept before: waiting, as it was
    assert (job.state, job.rows_checked) == ("kept", 0)


def ledger_jobs_columns() -> tuple[str, ...]:
    return ("state", "rows_checked", "rows_written", "progress_at", "outcome_sealed")


def test_keys_rotate_reseals_a_kept_upload_and_its_preview(cw, officer):
    """A clerk's preview kept across `keys rotate` still opens, and imports, once only the new
    key is left."""
    token = keep_upload(cw, by=officer, filename="台账.csv", data=ledger(3))
    start_check(cw, by=officer, token=token, start=lambda work: work())
    keep_upload(cw, by=officer, filename="上周.csv", data=ledger(1),
                now=utcnow() - MAX_AGE - timedelta(minutes=1))  # expired: dropped, not re-sealed
    new = generate_key()
    both = bootstrap(Settings(database_url=cw.settings.database_url, workflow_path=WORKFLOW,
                              data_key=new, old_data_keys=DATA_KEY))
    only_new = bootstrap(Settings(database_url=cw.settings.database_url,
                                  workflow_path=WORKFLOW, data_key=new))
    try:
        assert uploads_by_key(cw.engine) == {cw.keyring.current.key_id: 2}
        assert rotate_uploads(both.keyring, both.engine) == 1
        assert rotate_uploads(both.keyring, both.engine) == 0  # safe to run again
        assert uploads_by_key(cw.engine) == {both.keyring.current.key_id: 1}
        assert job_of(only_new, by=officer, token=token).preview.new == 3
        start_import(only_new, by=officer, token=token, start=lambda work: work())
        assert job_of(only_new, by=officer, token=token).imported == 3
        assert cases(cw) == 3
    finally:
        both.engine.dispose()
        only_new.engine.dispose()
