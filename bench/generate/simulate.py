"""One case's life through the workflow, simulated with the engine's own rules.

Each case goes step by step through intake, accept, notes, wait/resume, extend, escalate,
return, assign, resolve, refer, close and reopen, with the engine's deadline rules
(``casework.scheduling.timing.level_deadline``, ``extend_deadline``, ``shift_deadline``) in Chinese
working days, the scheduler's ``warn`` and ``overdue`` events where a deadline passes while the
clock runs, and the mailbox's automatic escalation of overdue letters.  The state after each
event is ``casework.lifecycle.projection.project``, the function the engine itself uses.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bench.generate.shapes import (
    AGENCIES,
    CATEGORIES,
    CHANNELS,
    DELAYS,
    EMPTY,
    NOTES,
    OUTCOMES,
    SATISFACTION,
    SCAN_LAG,
    SETTLE_SHARE,
    SYSTEM,
    URGENCY_SPEED,
    Users,
    as_json,
    pick,
)
from bench.rows import Ev
from casework.lifecycle.projection import project
from casework.scheduling.deadlines import Deadline, extend_deadline, shift_deadline
from casework.scheduling.timing import level_deadline


class CaseSim:
    """One case's life through the workflow, stopped at ``now``."""

    def __init__(self, cw, users: Users, rng: random.Random, now: datetime, notes: float = 0.0):
        self.cw, self.users, self.rng, self.now = cw, users, rng, now
        self.more_notes = notes / (notes + 1)  # a geometric count with mean ``notes``
        self.workflow, self.calendar = cw.workflow, cw.calendar

    # -- the primitives ---------------------------------------------------------------------
    def emit(self, action: str, at: datetime, actor: tuple, to_level: str, to_status: str,
             deadline: Deadline | None = None, note: str = "", data: str = EMPTY,
             met: bool | None = None) -> None:
        state = self.state
        if deadline is None and state.get("due_at") is not None:
            deadline = Deadline(state["due_at"], state["warn_at"] or state["due_at"])
        event = Ev(seq=len(self.events) + 1, action=action, from_level=state.get("level"),
                   from_status=state.get("status"), to_level=to_level, to_status=to_status,
                   actor_id=actor[0], actor=actor[1], at=at, note=note, data=data,
                   due_at=deadline.due_at if deadline else None,
                   warn_at=deadline.warn_at if deadline else None, deadline_met=met)
        self.events.append(event)
        self.state = project(state, event)

    def deadline(self, level: str, at: datetime) -> Deadline:
        return level_deadline(self.workflow, self.calendar, level=level, urgency=self.urgency,
                              entered_at=at)

    def hours(self, mean: float) -> timedelta:
        return timedelta(seconds=int(self.rng.expovariate(1 / (mean * 3600 * self.speed))) + 60)

    def last(self) -> datetime:
        return self.events[-1].at

    def scan_until(self, limit: datetime) -> bool:
        """The scheduler's events up to ``limit``; False if the case moved away by itself."""
        state = self.state
        if state["status"] not in ("pending", "in_progress"):
            return True
        if not state["warning"] and state["warn_at"] is not None:
            at = max(state["warn_at"], self.last()) + SCAN_LAG
            if at <= limit and at <= self.now:
                self.emit("warn", at, SYSTEM, state["level"], state["status"])
        state = self.state
        if not state["overdue"] and state["due_at"] is not None:
            at = max(state["due_at"], self.last()) + SCAN_LAG
            if at <= limit and at <= self.now:
                self.emit("overdue", at, SYSTEM, state["level"], state["status"])
                level = self.workflow.level(state["level"])
                if level.auto_escalate_overdue and state["status"] == "pending":
                    self.move("escalate", at, SYSTEM, note="escalated automatically: "
                              "deadline passed")
                    return False
        return True

    def act(self, at: datetime) -> bool:
        """Whether the unit's next action, due at ``at``, happens (before now, case unmoved)."""
        if self.stuck_at == self.state["level"]:
            self.scan_until(self.now)
            return False
        moved_on = not self.scan_until(at)
        if moved_on:
            return False
        return at <= self.now

    def move(self, action: str, at: datetime, actor: tuple, *, note: str = "",
             data: str = EMPTY, target: str | None = None) -> None:
        state = self.state
        to_level, to_status = self.workflow.next_state(state["level"], state["status"], action,
                                                       target_level=target)
        self.emit(action, at, actor, to_level, to_status, self.deadline(to_level, at),
                  note=note, data=data)

    def same(self, action: str, at: datetime, actor: tuple, to_status: str | None = None, *,
             deadline: Deadline | None = None, note: str = "", data: str = EMPTY,
             met: bool | None = None) -> None:
        state = self.state
        self.emit(action, at, actor, state["level"], to_status or state["status"], deadline,
                  note=note, data=data, met=met)

    # -- a life --------------------------------------------------------------------------------
    def run(self, received: datetime, village: str, stuck: bool) -> tuple[dict, list[Ev]]:
        rng = self.rng
        self.events: list[Ev] = []
        self.state = {"warning": False, "overdue": False, "extended": False,
                      "waiting_since": None, "concluded_at": None}
        channel = pick(rng, CHANNELS)
        urgency = rng.choices(("normal", "urgent", "emergency"), weights=(85, 12, 3))[0]
        if channel == "mailbox" and urgency == "emergency":
            urgency = "urgent"
        category = pick(rng, CATEGORIES)
        self.urgency, self.speed = urgency, URGENCY_SPEED[urgency]
        self.village = village
        self.waited = self.returned = False
        operator = self.users.operator(village)
        on_the_spot = (channel != "mailbox" and urgency != "emergency" and rng.random() < 0.10)
        if channel == "mailbox":
            start = "village_mailbox"
            intake_actor = self.users.unit(start, village)
        elif urgency == "emergency":
            start = "county_center"
            intake_actor = operator
        elif on_the_spot:
            start = self.workflow.resolve_now_level
            category = "consultation"
            intake_actor = operator
        else:
            start = rng.choices(("village_congress", "township_federation", "county_center"),
                                weights=(85, 10, 5))[0]
            intake_actor = operator
        self.stuck_at = None
        if stuck:
            self.stuck_at = rng.choice(("village_congress", "village_congress",
                                        "township_federation", "county_center"))
        deadline = self.deadline(start, received)
        self.emit("intake", received, intake_actor, start,
                  "in_progress" if on_the_spot else "pending", deadline,
                  data=as_json({"channel": channel}))
        if on_the_spot:
            self.same("resolve", received, operator, "resolved", note="电话中解答了相关法律问题",
                      data=as_json({"outcome": "advised", "on_the_spot": True}), met=True)
            self.after_conclusion()
        else:
            self.handle()
        return {"channel": channel, "category": category, "urgency": urgency}, self.events

    def handle(self) -> None:
        """Work the case at its level until it is concluded, moves on, or time runs out."""
        rng = self.rng
        while True:
            state = self.state
            level, status = state["level"], state["status"]
            unit = self.users.unit(level, self.village)
            accept_mean, conclude_mean = DELAYS[level]
            if level == "village_mailbox":
                at = self.last() + self.hours(accept_mean)
                if not self.act(at):
                    if self.state["level"] != level:
                        continue  # escalated by the scheduler
                    return
                self.move("escalate", at, unit, note="信箱来信已转村妇代会")
                continue
            if status == "pending":
                came_by = self.events[-1].action
                at = self.last() + self.hours(accept_mean)
                if not self.act(at):
                    return
                if level == "county_center" and self.urgency != "emergency" and (
                        came_by == "intake") and rng.random() < 0.6:
                    target = rng.choice(("village_congress", "township_federation"))
                    self.move("assign", at, self.users.officer(self.village),
                              data=as_json({"target_level": target}), target=target)
                    continue
                if came_by == "escalate" and level != "village_congress" and rng.random() < 0.03:
                    self.move("return", at, unit,
                              data=as_json({"reason": "请先由下级组织调解"}))
                    self.returned = True
                    continue
                if level != "county_center" and rng.random() < 0.02:
                    self.move("escalate", at, unit, note="情况紧急，直接上报")
                    continue
                self.same("accept", at, unit, "in_progress")
                continue
            if status == "waiting":
                at = self.last() + timedelta(days=rng.uniform(2, 15))
                if at > self.now:
                    return
                waited = at - state["waiting_since"]
                current = Deadline(state["due_at"], state["warn_at"])
                self.same("resume", at, unit, "in_progress",
                          deadline=shift_deadline(current, waited))
                continue
            if status != "in_progress":
                return
            while self.more_notes and rng.random() < self.more_notes:
                at = self.last() + self.hours(conclude_mean / 8)
                if not self.act(at):
                    return
                self.same("note", at, unit, note=rng.choice(NOTES))
            # In progress: maybe a note, a wait or an extension first, then the decision.
            extra = rng.random()
            if extra < 0.25:
                at = self.last() + self.hours(conclude_mean / 3)
                if not self.act(at):
                    return
                self.same("note", at, unit, note=rng.choice(NOTES))
            elif extra < 0.29 and not self.waited:
                at = self.last() + self.hours(conclude_mean / 3)
                if not self.act(at):
                    return
                self.waited = True
                self.same("wait", at, unit, "waiting", data=as_json({"reason": "当事人外出务工"}))
                continue
            elif extra < 0.33 and not state["extended"]:
                at = self.last() + self.hours(conclude_mean / 2)
                if not self.act(at):
                    return
                days = rng.choice((3, 5, 10))
                current = Deadline(state["due_at"], state["warn_at"])
                self.same("extend", at, unit, deadline=extend_deadline(
                    self.calendar, current, working_days=days),
                    data=as_json({"reason": "需要进一步核实情况", "days": days}))
            at = self.last() + self.hours(conclude_mean)
            if not self.act(at):
                return
            if self.returned or rng.random() < SETTLE_SHARE[level]:
                met = at <= self.state["due_at"]
                if rng.random() < 0.10:
                    self.same("refer", at, unit, "referred", note="已转介相关部门",
                              data=as_json({"agency": pick(rng, AGENCIES)}), met=met)
                else:
                    self.same("resolve", at, unit, "resolved", note="双方达成一致",
                              data=as_json({"outcome": pick(rng, OUTCOMES)}), met=met)
                self.after_conclusion()
                return
            self.move("escalate", at, unit, note="调解未果，上报上级妇联")

    def after_conclusion(self) -> None:
        rng = self.rng
        if rng.random() < 0.65:
            at = self.last() + timedelta(days=rng.uniform(2, 20))
            if at > self.now:
                return
            self.same("close", at, self.users.operator(self.village), "closed",
                      data=as_json({"satisfaction": pick(rng, SATISFACTION)}))
        if rng.random() < 0.01 and not any(e.action == "reopen" for e in self.events):
            at = self.last() + timedelta(days=rng.uniform(5, 30))
            if at > self.now:
                return
            state = self.state
            self.emit("reopen", at, self.users.officer(self.village), state["level"],
                      "in_progress", self.deadline(state["level"], at),
                      data=as_json({"reason": "当事人反映问题未解决"}))
            self.handle()
