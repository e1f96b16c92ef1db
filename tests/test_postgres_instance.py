"""An ingest run with Dagster's instance storage in PostgreSQL (dagster-postgres), as in production."""

from __future__ import annotations

import os
import uuid

import dagster as dg
import psycopg2
import pytest
import yaml

from conftest import make_event, write_events

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


@pytest.fixture
def postgres_database():
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
    except psycopg2.OperationalError as exc:
        message = f"no PostgreSQL server answers at 127.0.0.1:5432 ({exc})"
        if os.environ.get("SYNCMON_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and SYNCMON_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    admin.autocommit = True
    name = f"syncmon_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_ingest_run_with_postgres_instance_storage(home, tmp_path, postgres_database):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    config = {
        "storage": {
            "postgres": {
                "postgres_db": {
                    "scheme": "postgresql+psycopg2",
                    "hostname": PG["host"],
                    "port": PG["port"],
                    "username": PG["user"],
                    "password": "",
                    "db_name": postgres_database,
                }
            }
        },
        "concurrency": {"pools": {"granularity": "op", "default_limit": 1}},
        "telemetry": {"enabled": False},
    }
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    write_events(home.landing, "a.ndjson", [make_event() for _ in range(25)])

    from syncmon_pipeline.definitions import defs

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        job = defs.resolve_job_def("ingest_job")
        result = job.execute_in_process(instance=instance, run_config={"ops": {"raw_events": {"config": {"files": ["a.ndjson"]}}}})
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey(["raw", "sync_events"]))
        assert event.asset_materialization.metadata["events_inserted"].value == 25

    with psycopg2.connect(dbname=postgres_database, **PG) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        assert cur.fetchone()[0] >= 3
