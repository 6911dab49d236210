"""Case summaries, notes and reasons at rest (issue 18, hole 9): what the cadres wrote (the
abuser's name, the address, what happened) is in no database file, row or backup, while the
case page shows it, ``q`` still finds its words inside the reader's area, ``casework audit
verify`` holds, ``casework keys rotate`` re-seals it, and migration 0016 seals what was
stored before.  Written over HTTP, read as an attacker would: the files on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from conftest import DATA_KEY, TABLES, VILLAGE_A1, WORKFLOW, make_actor, petition
from sqlalchemy import inspect, text

from casework.entrypoints.cli import main
from casework.imports.areas import add_area
from casework.lifecycle.intake import receive
from casework.privacy.crypto import DataKeyError, generate_key
from casework.storage.db import writing
from casework.storage.schema import alembic_config, upgrade

API = "/api/v1"
# What the cadres wrote, each as a word no other text of the test holds.
SUMMARY = "丈夫张铁柱酗酒后殴打，住址幸福路十八号"
NOTE = "邻居王翠花目睹了殴打"
REASON = "当事人躲到娘家红旗村"
RESOLVED = "张铁柱写下保证书"
SECRETS = ("张铁柱", "幸福路十八号", "王翠花", "红旗村", "保证书")
OTHER_COUNTY = "450331"


def stored_text(url: str, engine) -> str:
    """Everything the database holds, as an attacker with a copy of it reads it: the SQLite
    files' bytes (database, WAL, shared memory), or every row of every table on PostgreSQL."""
    if url.startswith("sqlite"):
        base = Path(engine.url.database)
        return b"".join(path.read_bytes() for path in base.parent.glob(base.name + "*")
                        ).decode("utf-8", "replace")
    with engine.connect() as connection:
        # A test that migrated down reads the tables of that revision.
        present = set(inspect(connection).get_table_names())
        return "\n".join(row for table in TABLES if table in present
                         for row in connection.execute(
                             text(f"SELECT t::text FROM {table} t")).scalars())


def found_in(held: str, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    """The secrets ``held`` shows, as text or as JSON writes it (\\u escapes, in ``data``)."""
    escaped = {s: json.dumps(s)[1:-1] for s in secrets}
    # PostgreSQL's text of a row doubles the backslashes of the JSON inside it.
    return [s for s in secrets if s in held or escaped[s] in held
            or escaped[s].replace("\\", "\\\\") in held]


def worked_case(client, as_) -> str:
    """A case logged and worked over HTTP through a note, a wait with its reason, an
    escalation and a resolution (the driver path and the ORM path both)."""
    made = client.post(f"{API}/cases", json=petition(summary=SUMMARY), headers=as_("operator"))
    number = made.json["number"]
    steps = [("village_a1", {"action": "note", "note": NOTE}),
             ("village_a1", {"action": "accept"}),
             ("village_a1", {"action": "wait", "reason": REASON}),
             ("village_a1", {"action": "resume"}),
             ("village_a1", {"action": "resolve", "outcome": "mediated", "note": RESOLVED})]
    version = made.json["version"]
    for who, body in steps:
        answer = client.post(f"{API}/cases/{number}/actions", headers=as_(who),
                             json={**body, "version": version})
        assert answer.status_code == 200, answer.json
        version = answer.json["version"]
    return number


def cli(database_url: str, *args: str, key: str | None = DATA_KEY, older: str = ""):
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": key or "", "CASEWORK_OLD_DATA_KEYS": older}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_what_the_cadres_wrote_is_in_no_file_yet_the_case_shows_it(
        client, cw, as_, database_url, tmp_path):
    number = worked_case(client, as_)
    case = client.get(f"{API}/cases/{number}", headers=as_("village_a1")).json
    assert case["summary"] == SUMMARY
    assert [(e["action"], e["note"], e["data"].get("reason")) for e in case["events"]
            if e["note"] or e["data"].get("reason")] == [
        ("note", NOTE, None), ("wait", "", REASON), ("resolve", RESOLVED, None)]
    assert found_in(stored_text(database_url, cw.engine)) == []
    backup = tmp_path / "backup"
    assert cli(database_url, "backup", str(backup)).exit_code == 0
    held = backup.read_bytes()
    assert found_in(held.decode("utf-8", "replace")) == []
    # The check can fail: a text written in clear is found.
    with cw.engine.begin() as connection:
        connection.execute(text("UPDATE areas SET name = :name WHERE code = :code"),
                           {"name": SECRETS[0], "code": VILLAGE_A1})
    assert SECRETS[0] in stored_text(database_url, cw.engine)


def test_the_list_filter_still_finds_words_of_summaries_inside_the_readers_area(
        client, cw, as_, people):
    number = worked_case(client, as_)
    with writing(cw.engine) as session:
        add_area(session, OTHER_COUNTY, "恭城县")
        add_area(session, OTHER_COUNTY + "100", "栗木镇")
        add_area(session, OTHER_COUNTY + "100201", "大营村")
    outsider = make_actor(cw, "hotline_operator", OTHER_COUNTY, "hotline_b")
    elsewhere = client.post(f"{API}/cases", headers=as_("operator"), json=petition())
    assert elsewhere.status_code == 201
    theirs = receive(cw, outsider, petition(summary=SUMMARY,
                                            village_code=OTHER_COUNTY + "100201")).number
    for q, who, found in [("张铁柱", "operator", [number]), ("幸福路", "village_a1", [number]),
                          ("张铁柱", "village_a2", []), (number[-6:], "operator", [number]),
                          ("殴打", "township_a", [number]), ("nothing-like-it", "operator", [])]:
        listed = client.get(f"{API}/cases", query_string={"q": q}, headers=as_(who)).json
        assert [item["number"] for item in listed["items"]] == found, (q, who)
        assert listed["total"] == len(found)
    assert theirs not in str(client.get(f"{API}/cases", query_string={"q": "张铁柱"},
                                        headers=as_("county_officer")).json)


def test_paging_a_search_counts_and_orders_as_the_list_does(client, cw, as_):
    numbers = [client.post(f"{API}/cases", headers=as_("operator"), json=petition(
        summary=f"第{i}次来电，反映家暴", urgency="urgent" if i % 2 else "normal")).json["number"]
        for i in range(5)]
    whole = client.get(f"{API}/cases", headers=as_("operator")).json["items"]
    order = [item["number"] for item in whole if item["number"] in numbers]
    pages = [client.get(f"{API}/cases", query_string={"q": "家暴", "per_page": 2, "page": page},
                        headers=as_("operator")).json for page in (1, 2, 3)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [item["number"] for p in pages for item in p["items"]] == order


def test_audit_verify_holds_and_keys_rotate_reseals_every_text(client, cw, as_, database_url):
    number = worked_case(client, as_)
    assert cli(database_url, "audit", "verify").exit_code == 0
    new = generate_key()
    rotated = cli(database_url, "keys", "rotate", key=new, older=DATA_KEY)
    assert rotated.exit_code == 0, rotated.output
    # one summary, and four events with text: the note, the wait's reason, the resolve note
    summary = "1 petitioners, 0 attachments, 4 case texts and 0 ledger uploads re-sealed"
    assert summary in rotated.output
    status = cli(database_url, "keys", "status", key=new).output
    assert "1 petitioners, 4 case texts (current)" in status and DATA_KEY not in status
    verified = cli(database_url, "audit", "verify", key=new)  # the new key alone
    assert verified.exit_code == 0, verified.output
    shown = cli(database_url, "audit", "verify", key=generate_key())  # a key that never sealed
    assert shown.exit_code == 1 and "sealed with key" in shown.stderr
    assert found_in(stored_text(database_url, cw.engine)) == []
    assert number


def test_migration_0016_seals_what_was_stored_in_clear_and_keeps_every_chain(
        client, cw, as_, database_url):
    number = worked_case(client, as_)
    before = client.get(f"{API}/cases/{number}", headers=as_("village_a1")).json
    config = alembic_config(cw.engine)
    config.attributes["casework_keys"] = lambda: cw.keyring
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0015")  # as a database before issue 18 held them
    assert found_in(stored_text(database_url, cw.engine)) == list(SECRETS)
    with pytest.raises(DataKeyError):  # text to seal and no key: refused, nothing changed
        upgrade(cw.engine, lambda: (_ for _ in ()).throw(DataKeyError("no key")))
    assert found_in(stored_text(database_url, cw.engine)) == list(SECRETS)
    upgrade(cw.engine, lambda: cw.keyring)
    assert found_in(stored_text(database_url, cw.engine)) == []
    after = client.get(f"{API}/cases/{number}", headers=as_("village_a1")).json
    assert after == before
    verified = cli(database_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output


PLACE, COURT, AUTHORITY = "和平路九号庇护点", "平乐县人民法院二庭", "城东派出所刘警官"


def test_a_shelters_place_and_the_court_are_sealed_at_rest_and_migration_0019_seals_old_ones(
        client, cw, as_, database_url):
    made = client.post(f"{API}/cases", json=petition(category="domestic_violence"),
                       headers=as_("operator"))
    number, version = made.json["number"], made.json["version"]
    today = made.json["received_at"][:10]
    for fields in ({"measure": "shelter", "stage": "placed", "on": today, "place": PLACE},
                   {"measure": "protection_order", "stage": "applied", "on": today,
                    "court": COURT},
                   {"measure": "warning_letter", "stage": "issued", "on": today,
                    "authority": AUTHORITY}):
        answer = client.post(f"{API}/cases/{number}/actions", headers=as_("operator"),
                             json={"action": "measure", "version": version, **fields})
        assert answer.status_code == 200, answer.json
        version = answer.json["version"]
    secrets = (PLACE, COURT, AUTHORITY)
    assert found_in(stored_text(database_url, cw.engine), secrets) == []
    before = client.get(f"{API}/cases/{number}", headers=as_("operator")).json
    assert sorted(str(m.get("place") or m.get("court") or m.get("authority"))
                  for m in before["measures"]) == sorted(secrets)
    config = alembic_config(cw.engine)
    config.attributes["casework_keys"] = lambda: cw.keyring
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0018")  # as a database before they were sealed held them
    assert found_in(stored_text(database_url, cw.engine), secrets) == list(secrets)
    upgrade(cw.engine, lambda: cw.keyring)
    assert found_in(stored_text(database_url, cw.engine), secrets) == []
    assert client.get(f"{API}/cases/{number}", headers=as_("operator")).json == before
    verified = cli(database_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
