"""The landing sensor: cursor on (mtime, name), unfinished files ignored, batches capped, stable run keys."""

from __future__ import annotations

import os
import time

import dagster as dg

from syncmon_pipeline.ingest.landing import Cursor, LandingFile, list_landing_files, next_batch

from conftest import make_event, write_events


def files(*specs: tuple[float, str]) -> list[LandingFile]:
    return [LandingFile(mtime, name, 10) for mtime, name in specs]


def batch(candidates, cursor=Cursor(), now=1000.0, max_files=100):
    return next_batch(candidates, cursor, now=now, settle_seconds=2, straggler_seconds=600, max_files=max_files)


def test_new_files_in_mtime_then_name_order_and_cursor_advances():
    chosen = batch(files((10, "b.ndjson"), (10, "a.ndjson"), (5, "c.ndjson")))
    assert [f.name for f in chosen.files] == ["c.ndjson", "a.ndjson", "b.ndjson"]
    assert chosen.cursor == Cursor(10, "b.ndjson")
    assert batch(files((10, "b.ndjson"), (10, "a.ndjson")), cursor=chosen.cursor, now=20) is None


def test_files_younger_than_the_settle_time_wait():
    assert batch(files((999.5, "fresh.ndjson")), now=1000.0) is None
    assert batch(files((999.5, "fresh.ndjson")), now=1002.0) is not None


def test_batches_are_capped_and_the_rest_follows():
    candidates = files(*[(float(i), f"{i:03d}.ndjson") for i in range(250)])
    first = batch(candidates, max_files=100, now=300)
    second = batch(candidates, cursor=first.cursor, max_files=100, now=300)
    third = batch(candidates, cursor=second.cursor, max_files=100, now=300)
    assert [len(b.files) for b in (first, second, third)] == [100, 100, 50]
    assert first.files[-1].name == "099.ndjson" and third.files[-1].name == "249.ndjson"


def test_new_files_go_before_stragglers():
    candidates = files((1, "old.ndjson"), (5000, "new.ndjson"))
    chosen = batch(candidates, cursor=Cursor(10, "x.ndjson"), now=10_000, max_files=1)
    assert [f.name for f in chosen.files] == ["new.ndjson"]


def test_a_straggler_behind_the_cursor_is_requested_again():
    cursor = Cursor(900, "z.ndjson")
    assert batch(files((800, "old.ndjson")), cursor=cursor, now=1000) is None  # not yet a straggler
    late = batch(files((100, "old.ndjson")), cursor=cursor, now=1000)
    assert [f.name for f in late.files] == ["old.ndjson"] and late.cursor == cursor


def test_run_key_is_stable_for_the_same_files_and_changes_otherwise():
    one = batch(files((10, "a.ndjson")))
    assert one.run_key == batch(files((10, "a.ndjson"))).run_key
    assert one.run_key != batch(files((11, "a.ndjson"))).run_key


def test_listing_skips_hidden_temporary_and_foreign_files(tmp_path):
    for name in ["ok.ndjson", "ok2.ndjson.gz", ".ok3.ndjson.tmp", ".hidden.ndjson", "notes.txt", "x.ndjson.part"]:
        (tmp_path / name).write_text("{}\n")
    (tmp_path / "sub.ndjson").mkdir()
    assert sorted(f.name for f in list_landing_files(tmp_path)) == ["ok.ndjson", "ok2.ndjson.gz"]
    assert list_landing_files(tmp_path / "missing") == []


def test_cursor_round_trips():
    cursor = Cursor(1234.5, "a b.ndjson")
    assert Cursor.parse(cursor.serialize()) == cursor and Cursor.parse(None) == Cursor()


def test_the_dagster_sensor_requests_an_ingest_run(home):
    from syncmon_pipeline.definitions import defs

    old = time.time() - 60
    for name in ["a.ndjson", "b.ndjson"]:
        path = write_events(home.landing, name, [make_event()])
        os.utime(path, (old, old))
    (home.landing / ".c.ndjson.tmp").write_text("{}\n")
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        result = sensor.evaluate_tick(context)
        (request,) = result.run_requests
        assert request.run_config["ops"]["raw_events"]["config"]["files"] == ["a.ndjson", "b.ndjson"]
        assert request.run_key.startswith("landing-")
        again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=result.cursor, definitions=defs))
        assert not again.run_requests and again.skip_message


def test_the_sensor_holds_back_while_an_ingest_run_is_waiting(home):
    from syncmon_pipeline.definitions import defs

    old = time.time() - 60
    path = write_events(home.landing, "a.ndjson", [make_event()])
    os.utime(path, (old, old))
    sensor = defs.resolve_sensor_def("landing_sensor")
    with dg.instance_for_test() as instance:
        instance.add_run(
            dg.DagsterRun(job_name="ingest_job", run_id="waiting-run", status=dg.DagsterRunStatus.NOT_STARTED)
        )
        result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
        assert not result.run_requests and "waiting" in result.skip_message
        assert result.cursor is None  # the file is still new for the next tick
