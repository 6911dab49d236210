"""The hash chain's format (casework/lifecycle/chain.py): the exact text hashed, known answers, and
an encoding that no two different events share."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.lifecycle.chain import FIELDS, canonical, event_hash, link

BEIJING = timezone(timedelta(hours=8))
RESOLVE = {
    "seq": 2, "action": "resolve", "from_level": "village_congress",
    "from_status": "in_progress", "to_level": "village_congress", "to_status": "resolved",
    "actor_id": 7, "actor": "village_a1",
    "at": datetime(2026, 9, 29, 10, 0, 0, 123456, tzinfo=BEIJING), "note": "调解成功",
    "data": {"outcome": "mediated", "agency": "法院"},
    "due_at": datetime(2026, 10, 13, 16, 0, tzinfo=UTC),
    "warn_at": datetime(2026, 10, 12, 16, 0, tzinfo=UTC), "deadline_met": True,
    "village_code": "450330100201",
}
RESOLVE_TEXT = (
    "casework-event/1\n18:450330-2026-000001\n1:2\n7:resolve\n16:village_congress"
    "\n11:in_progress\n16:village_congress\n8:resolved\n1:7\n10:village_a1"
    "\n26:2026-09-29 02:00:00.123456\n4:调解成功\n36:{\"agency\":\"法院\",\"outcome\":\"mediated\"}"
    "\n26:2026-10-13 16:00:00.000000\n26:2026-10-12 16:00:00.000000\n1:1\n12:450330100201"
    "\n64:" + "ab" * 32)
RESOLVE_HASH = "cb5169bbeaf21cdf39d3694185bb7a4f974756df975159f1ce14ad69c58669c9"
INTAKE = {
    "seq": 1, "action": "intake", "from_level": None, "from_status": None,
    "to_level": "village_congress", "to_status": "pending", "actor_id": None,
    "actor": "system", "at": datetime(2026, 9, 29, 2, 0, tzinfo=UTC), "note": "", "data": {},
    "due_at": None, "warn_at": None, "deadline_met": None, "village_code": "450330100201",
}
INTAKE_TEXT = ("casework-event/1\n18:450330-2026-000001\n1:1\n6:intake\n~\n~\n16:village_congress"
               "\n7:pending\n~\n6:system\n26:2026-09-29 02:00:00.000000\n0:\n2:{}\n~\n~\n~"
               "\n12:450330100201\n~")
INTAKE_HASH = "ecd25b4c1315459b4bbb2c0936fb595f18a38a443a02939571495bfde7030b78"


def text_of(number: str, event: dict, prev: str | None) -> str:
    return canonical(number, *(event[name] for name in FIELDS), prev)


def test_an_event_is_hashed_over_exactly_this_text():
    assert text_of("450330-2026-000001", RESOLVE, "ab" * 32) == RESOLVE_TEXT
    assert text_of("450330-2026-000001", INTAKE, None) == INTAKE_TEXT


def test_known_answers():
    # The digests of the texts above, taken by hashlib alone: format 1 may never change them.
    assert hashlib.sha256(RESOLVE_TEXT.encode("utf-8")).hexdigest() == RESOLVE_HASH
    assert hashlib.sha256(INTAKE_TEXT.encode("utf-8")).hexdigest() == INTAKE_HASH
    assert event_hash("450330-2026-000001", RESOLVE, "ab" * 32) == RESOLVE_HASH
    assert event_hash("450330-2026-000001", INTAKE, None) == INTAKE_HASH


def test_link_sets_both_hashes_and_gives_the_new_head():
    event = dict(RESOLVE)
    assert link("450330-2026-000001", "ab" * 32, event) == RESOLVE_HASH
    assert (event["prev_hash"], event["hash"]) == ("ab" * 32, RESOLVE_HASH)


def test_the_same_moment_in_any_zone_is_the_same_text_and_a_naive_one_is_refused():
    utc = dict(RESOLVE, at=RESOLVE["at"].astimezone(UTC))
    assert event_hash("n", utc, None) == event_hash("n", RESOLVE, None)
    with pytest.raises(ValueError, match="naive"):
        event_hash("n", dict(RESOLVE, at=datetime(2026, 9, 29, 10)), None)


@pytest.mark.parametrize("name, other", [
    ("seq", 3), ("action", "refer"), ("from_level", None), ("from_status", "pending"),
    ("to_level", "township_federation"), ("to_status", "referred"), ("actor_id", 8),
    ("actor", "village_a2"), ("at", RESOLVE["at"] + timedelta(microseconds=1)),
    ("note", "调解成功 "), ("data", {"outcome": "mediated"}), ("due_at", None),
    ("warn_at", RESOLVE["due_at"]), ("deadline_met", False), ("village_code", "450330100202"),
])
def test_every_column_changes_the_hash(name, other):
    assert event_hash("n", dict(RESOLVE, **{name: other}), None) != event_hash("n", RESOLVE, None)


def test_the_case_number_and_the_previous_hash_change_it_too():
    assert event_hash("n", RESOLVE, None) != event_hash("m", RESOLVE, None)
    assert event_hash("n", RESOLVE, None) != event_hash("n", RESOLVE, "0" * 64)


def test_data_keys_in_any_order_are_the_same_text():
    reordered = dict(RESOLVE, data={"agency": "法院", "outcome": "mediated"})
    assert event_hash("n", reordered, None) == event_hash("n", RESOLVE, None)


def decode(text: str) -> list[str | None]:
    """The fields back from format 1's text (what an outside auditor's tool would do)."""
    head, _, rest = text.partition("\n")
    assert head == "casework-event/1"
    fields, at = [], 0
    while at < len(rest):
        if rest[at] == "~":
            fields.append(None)
            at += 2
            continue
        colon = rest.index(":", at)
        length = int(rest[at:colon])
        fields.append(rest[colon + 1:colon + 1 + length])
        at = colon + 1 + length + 1  # past the newline before the next field
    return fields


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(number=TEXT, action=TEXT, actor=TEXT, note=TEXT, level=st.none() | TEXT,
       prev=st.none() | TEXT)
def test_the_text_decodes_back_to_its_fields_whatever_they_hold(number, action, actor, note,
                                                                 level, prev):
    """Length-prefixed fields: a note holding "\\n3:abc" or "~" cannot pass for other fields,
    so two different events never share a text."""
    event = dict(RESOLVE, action=action, actor=actor, note=note, from_level=level)
    fields = decode(text_of(number, event, prev))
    assert len(fields) == 17
    assert (fields[0], fields[2], fields[3], fields[8], fields[10], fields[16]) == (
        number, action, level, actor, note, prev)
