"""Every role of workflows.yaml x every action x every level/status x a case inside or outside
the user's area, through the JSON API.

The expected answer of each cell is read from workflows.yaml here, with its own reading of
the permission table (not casework's code): 404 for a role that works with no case files and
outside the user's area (the same answer as for a case that does not exist), 409 when the
action is not possible from the case's state, 403 when the table does not give the role the
action (or only as the level's unit, and the user is not that unit), else 200.  A refused
request must write nothing; a granted one writes one event.  The number of cells
tried is recorded as a figure for docs/reliability.md.
"""

from __future__ import annotations

from itertools import product

import yaml
from conftest import COUNTY, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, WORKFLOW, make_actor, petition
from sqlalchemy import func, select

from casework.imports.areas import add_area
from casework.lifecycle.actions import apply_action
from casework.lifecycle.cases import case_by_number
from casework.lifecycle.intake import receive
from casework.people.access import Actor
from casework.people.users import create_token
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Case, Event, Notification

SPEC = yaml.safe_load(WORKFLOW.read_text("utf-8"))
LEVELS = [level["id"] for level in SPEC["levels"]]
LEVEL = {level["id"]: level for level in SPEC["levels"]}
ROLES = {role["id"]: role for role in SPEC["roles"]}
ACTIONS = {action["id"]: action for action in SPEC["actions"]}
UNIT_LENGTH = {"county": 6, "township": 9, "village": 12}
OTHER_COUNTY = "450331"
# Where each role's user sits, inside the case's area (village 大李村) and outside it.
SEATS = {"county": (COUNTY, OTHER_COUNTY), "township": (TOWN_A, TOWN_B),
         "village": (VILLAGE_A1, VILLAGE_A2), "any": (COUNTY, OTHER_COUNTY)}
VALUES = {"note": "矩阵测试", "outcome": "advised", "agency": "police",
          "target_level": "township_federation", "reason": "矩阵测试", "days": 3,
          "satisfaction": "satisfied",
          "answers": {question["id"]: False for question in SPEC["risk"]["questions"]},
          "measure": "warning_letter", "stage": "issued"}


def extra(action: str) -> dict:
    """The fields an action takes beyond its ``needs``: a measure's stage fields."""
    if action != "measure":
        return {}
    return {"on": utcnow().astimezone(SHANGHAI).date().isoformat(), "authority": "派出所"}
# How a case reaches each status at its level, from pending (the system acts: no role check).
PATHS = {"pending": [], "in_progress": ["accept"], "waiting": ["accept", "wait"],
         "resolved": ["accept", "resolve"], "referred": ["accept", "refer"],
         "closed": ["accept", "resolve", "close"]}
CODES = {403: "forbidden", 404: "not_found", 409: "illegal_transition"}


def target_state(action: dict, level: str, status: str) -> tuple[str, str] | None:
    """Where the YAML sends a case, or None when the action is not possible from here."""
    sources = action["from"]
    if "any" not in sources and status not in sources:
        return None
    if level not in action.get("at", LEVELS):
        return None
    to = action["to"]
    index = LEVELS.index(level)
    where = {"next": index + 1, "previous": index - 1}.get(to.get("level", ""), index)
    if to.get("level") == "target_level":
        where = LEVELS.index(VALUES["target_level"])
    if not 0 <= where < len(LEVELS):
        return None
    to_level = LEVELS[where]
    to_status = status if to["status"] == "same" else to["status"]
    return (to_level, to_status) if to_status in LEVEL[to_level]["statuses"] else None


def expected(role: str, area: str, action_id: str, level: str, status: str) -> int:
    if not ROLES[role]["sees_cases"] or not VILLAGE_A1.startswith(area):
        return 404
    action = ACTIONS[action_id]
    if target_state(action, level, status) is None:
        return 409
    rule = action["roles"]
    if role in rule or "any" in rule:
        return 200
    if "unit" in rule and role in LEVEL[level]["roles"]:
        unit = VILLAGE_A1[:UNIT_LENGTH[LEVEL[level]["unit"]]]
        return 200 if area == unit else 403
    return 403


def written(cw) -> tuple[int, ...]:
    """Everything an action could write: rows of cases, events, outbox, and case versions."""
    with reading(cw.engine) as session:
        return tuple(session.execute(select(
            select(func.count()).select_from(Case).scalar_subquery(),
            select(func.count()).select_from(Event).scalar_subquery(),
            select(func.count()).select_from(Notification).scalar_subquery(),
            select(func.coalesce(func.sum(Case.version), 0)).scalar_subquery())).one())


def case_at(cw, operator: Actor, level: str, status: str) -> str:
    """A new case in 大李村 at ``level`` / ``status``."""
    body = petition(channel="mailbox") if level == "village_mailbox" else petition(
        start_level=level)
    number = receive(cw, operator, body).number
    for step in PATHS[status]:
        with writing(cw.engine) as session:
            case = case_by_number(session, number)
            needs = {name: VALUES[name] for name in ACTIONS[step].get("needs", [])}
            apply_action(cw, session, Actor.system(), case, step, needs, now=utcnow())
    return number


def test_every_role_action_state_and_area(client, cw, people, record_property):
    with writing(cw.engine) as session:
        add_area(session, OTHER_COUNTY, "恭城县")
    users = {}  # (role, inside) -> (area, headers)
    for role, inside in product(ROLES, (True, False)):
        area = SEATS[ROLES[role]["scope"]][0 if inside else 1]
        actor = make_actor(cw, role, area, f"m_{role}_{'in' if inside else 'out'}")
        users[role, inside] = area, {
            "Authorization": f"Bearer {create_token(cw, actor.username)}"}
    operator = people["operator"]
    states = [(level["id"], status) for level in SPEC["levels"] for status in level["statuses"]]
    tried = {200: 0, 403: 0, 404: 0, 409: 0}
    for level, status in states:
        shared = case_at(cw, operator, level, status)
        version = client.get(f"/api/v1/cases/{shared}", headers=users["county_officer", True][1]
                             ).json["version"]
        cells = [(role, inside, action, expected(role, users[role, inside][0], action, level,
                                                 status))
                 for role, inside, action in product(ROLES, (True, False), ACTIONS)]
        before = written(cw)
        for role, inside, action, want in cells:
            if want == 200:
                continue
            body = {"action": action, "version": version, **extra(action),
                    **{name: VALUES[name] for name in ACTIONS[action].get("needs", [])}}
            answer = client.post(f"/api/v1/cases/{shared}/actions", json=body,
                                 headers=users[role, inside][1])
            cell = f"{role} {'inside' if inside else 'outside'} {action} at {level}.{status}"
            assert (answer.status_code, answer.json["error"]) == (want, CODES[want]), cell
            tried[want] += 1
        assert written(cw) == before, f"a refused request wrote something at {level}.{status}"
        for role, inside, action, want in cells:
            if want != 200:
                continue
            number = case_at(cw, operator, level, status)
            body = {"action": action, "version": version, **extra(action),
                    **{name: VALUES[name] for name in ACTIONS[action].get("needs", [])}}
            answer = client.post(f"/api/v1/cases/{number}/actions", json=body,
                                 headers=users[role, inside][1])
            cell = f"{role} inside {action} at {level}.{status}"
            assert answer.status_code == 200, (cell, answer.json)
            assert answer.json["events"][-1]["action"] == action, cell
            assert answer.json["version"] == version + 1, cell
            tried[200] += 1
    cells_tried = sum(tried.values())
    assert cells_tried == len(ROLES) * 2 * len(ACTIONS) * len(states)
    assert all(tried.values()), tried  # every kind of answer was tried
    record_property("figure:permission cells tried", cells_tried)
    record_property("figure:permission cells by answer",
                    ", ".join(f"{code}: {n}" for code, n in sorted(tried.items())))


# -- evidence: who may add, list, open a case's attachments ---------------------------------
EVIDENCE_OPERATIONS = ("add", "list", "open", "thumbnail")


def expected_evidence(role: str, area: str, operation: str, level: str, status: str) -> int:
    """Adding evidence is the ``note`` action with a file: whoever may note the case may add
    it; reading it (list, file, thumbnail) is reading the case."""
    if not ROLES[role]["sees_cases"] or not VILLAGE_A1.startswith(area):
        return 404  # whoever may not see the case: not found, as for the case itself
    if operation == "add":
        return {200: 201}.get(expected(role, area, "note", level, status), 403)
    return 200


def stored_evidence(cw) -> tuple[int, ...]:
    from casework.storage.models import Attachment, AttachmentChunk

    with reading(cw.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Attachment, AttachmentChunk, Event))


def test_every_role_and_area_adds_lists_and_opens_evidence_as_the_workflow_says(
        client, cw, people, record_property):
    import io

    from evidence_files import jpeg

    with writing(cw.engine) as session:
        add_area(session, OTHER_COUNTY, "恭城县")
    users = {}
    for role, inside in product(ROLES, (True, False)):
        area = SEATS[ROLES[role]["scope"]][0 if inside else 1]
        actor = make_actor(cw, role, area, f"e_{role}_{'in' if inside else 'out'}")
        users[role, inside] = area, {
            "Authorization": f"Bearer {create_token(cw, actor.username)}"}
    operator_headers = users["hotline_operator", True][1]
    tried: dict[int, int] = {}
    photo = jpeg()
    for level, status in (("village_mailbox", "pending"), ("county_center", "closed")):
        number = case_at(cw, people["operator"], level, status)
        seeded = client.post(f"/api/v1/cases/{number}/attachments", headers=operator_headers,
                             data={"file": (io.BytesIO(photo), "p.jpg")},
                             content_type="multipart/form-data").json["id"]
        base = f"/api/v1/cases/{number}/attachments"
        for (role, inside), operation in product(users, EVIDENCE_OPERATIONS):
            area, headers = users[role, inside]
            want = expected_evidence(role, area, operation, level, status)
            before = stored_evidence(cw)
            if operation == "add":
                answer = client.post(base, headers=headers, content_type="multipart/form-data",
                                     data={"file": (io.BytesIO(photo), "p.jpg")})
            else:
                path = {"list": "", "open": f"/{seeded}", "thumbnail": f"/{seeded}/thumbnail"}
                answer = client.get(base + path[operation], headers=headers)
            cell = f"{role} {'inside' if inside else 'outside'} {operation} at {level}.{status}"
            assert answer.status_code == want, (cell, answer.status_code)
            after = stored_evidence(cw)
            if want >= 400:
                assert after == before, f"a refused request wrote something: {cell}"
            elif operation in ("add", "open"):  # one attach or view_attachment event each
                assert after[2] == before[2] + 1, cell
            tried[want] = tried.get(want, 0) + 1
    assert sum(tried.values()) == 2 * len(users) * len(EVIDENCE_OPERATIONS)
    assert set(tried) == {200, 201, 404}, tried
    record_property("figure:evidence permission cells by answer",
                    ", ".join(f"{code}: {n}" for code, n in sorted(tried.items())))


# Every route that names a case, as the API and the pages answer it (method, path, form).
CASE_ROUTES = [
    ("GET", "/api/v1/cases/{n}", None),
    ("POST", "/api/v1/cases/{n}/actions", {"action": "note", "version": 1, "note": "看看"}),
    ("POST", "/api/v1/cases/{n}/phone", None),
    ("GET", "/cases/{n}", None),
    ("POST", "/cases/{n}", {"action": "note", "version": "1", "note": "看看"}),
    ("POST", "/cases/{n}/phone", None),
]


def _answer(client, method: str, path: str, form: dict | None, headers: dict):
    if path.startswith("/api/"):
        return client.open(path, method=method, json=form, headers=headers)
    return client.open(path, method=method, data=form)


def test_who_may_not_see_a_case_gets_the_same_404_whether_it_exists_or_not(app, cw, people):
    """Leaders, admins and users of other areas (other villages, townships, counties): the
    same answer for a case that exists and for one that does not, on every case route, through
    the API (a bearer token) and the pages (a logged-in browser), so that no one can count
    another county's cases by their numbers."""
    from e2e.conftest import PASSWORD, counts

    with writing(cw.engine) as session:
        add_area(session, OTHER_COUNTY, "恭城县")
    existing = receive(cw, people["operator"], petition()).number
    county, year, seq = existing.rsplit("-", 2)
    missing = f"{county}-{year}-{int(seq) + 1:06d}"
    elsewhere = f"{OTHER_COUNTY}-{year}-000001"  # another county's number, not logged
    outsiders = {
        "leader": people["leader"], "admin": people["admin"],
        "leader elsewhere": make_actor(cw, "leader", OTHER_COUNTY, "leader_elsewhere"),
        "admin elsewhere": make_actor(cw, "admin", OTHER_COUNTY, "admin_elsewhere"),
        "village cadre next door": people["village_a2"],
        "township cadre next door": people["township_b"],
        "officer of another county": make_actor(cw, "county_officer", OTHER_COUNTY, "officer_b"),
    }
    before = counts(cw)
    tried = 0
    for who, person in outsiders.items():
        client = app.test_client()
        assert client.post("/login", data={"username": person.username,
                                           "password": PASSWORD}).status_code == 302
        headers = {"Authorization": f"Bearer {create_token(cw, person.username)}"}
        for method, route, form in CASE_ROUTES:
            seen = set()
            for number in (existing, missing, elsewhere):
                answer = _answer(client, method, route.format(n=number), form, headers)
                body = answer.json if route.startswith("/api/") else None
                seen.add((answer.status_code, str(body)))
                assert answer.status_code == 404, (who, method, route, number, body)
                tried += 1
            assert len(seen) == 1, (who, method, route, seen)
    assert counts(cw) == before  # not even a phone view was recorded
    assert tried == len(outsiders) * len(CASE_ROUTES) * 3
