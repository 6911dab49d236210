"""The words of a notification.  Only what a cadre needs to find the case: its number, level,
status, deadline, category and the page's path; never the petitioner's name, phone or story
(the summary often names people), because mail and chat groups leave the system's protection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from casework.scheduling.deadlines import SHANGHAI
from casework.storage.models import Case
from casework.workflow import Workflow

TAG = "[妇联维权] "
CATEGORY_NAMES = {
    "domestic_violence": "家庭暴力", "marriage_family": "婚姻家庭", "property": "财产权益",
    "employment": "就业歧视", "child": "儿童权益", "personal_rights": "人身权利",
    "neighbor_dispute": "邻里纠纷", "consultation": "法律咨询", "other": "其他",
}
URGENCY_NAMES = {"normal": "一般", "urgent": "加急", "emergency": "紧急（暴力正在发生）"}
HEADLINES = {
    "intake": "新案件进入{level}，请及时受理",
    "escalate": "案件已上报至{level}，请及时受理",
    "assign": "案件已交办至{level}，请及时受理",
    "warn": "案件在{level}即将到期，请抓紧办理",
    "overdue": "案件在{level}已逾期，请尽快办理",
    # The protection order's clocks (反家庭暴力法 art. 28, 30): the unit follows up with the court.
    "measure_overdue": "人身安全保护令申请已超过法定期限尚未裁定，请与法院联系",
    "order_expiring": "人身安全保护令7日内到期，如需要请协助申请延长",
}
FOOTER = ("本消息由维权案件系统自动发送，请勿回复。为保护当事人，消息不含当事人信息，"
          "请登录系统查看案件。")
DIGEST_LIMIT = 100  # cases listed in one digest; a longer list is the worklist's job


@dataclass(frozen=True)
class Message:
    subject: str
    text: str  # the mail's body
    markdown: str  # the robot's message


def deadline_text(due: datetime | None) -> str:
    """A deadline in Beijing time; one ending at midnight reads as 24:00 of its last day, as
    the Civil Code counts it (a mail saying "13 Oct 00:00" makes people think of the 13th)."""
    if due is None:
        return "无"
    local = due.astimezone(SHANGHAI)
    if local.time() == time():
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def case_message(workflow: Workflow, case: Case, action: str) -> Message:
    level = workflow.level(case.level).name.zh
    headline = HEADLINES[action].format(level=level)
    emergency = case.urgency == "emergency"
    subject = f"{TAG}{'【紧急】' if emergency else ''}{case.number} {headline}"
    facts = [
        ("案件编号", case.number),
        ("层级", level),
        ("状态", workflow.statuses[case.status].name.zh),
        ("办理期限", deadline_text(case.due_at) + "（北京时间）"),
        ("类别", CATEGORY_NAMES.get(case.category, case.category)),
        ("紧急程度", URGENCY_NAMES.get(case.urgency, case.urgency)),
        ("查看", f"/cases/{case.number}"),
    ]
    text = "\n".join([headline + "。", "", *(f"{k}：{v}" for k, v in facts), "", FOOTER])
    colour = "warning" if emergency or action in ("warn", "overdue") else "info"
    markdown = "\n".join([f'**<font color="{colour}">{headline}</font>**',
                          *(f"> {k}：{v}" for k, v in facts)])
    return Message(subject=subject, text=text, markdown=markdown)


def digest_message(workflow: Workflow, unit_name: str, day: date,
                   cases: Sequence[Case]) -> Message:
    overdue = sum(1 for case in cases if case.overdue)
    warned = len(cases) - overdue
    subject = f"{TAG}{day.isoformat()} {unit_name}：逾期 {overdue} 件，即将到期 {warned} 件"
    lines = [f"{unit_name} {day.isoformat()} 待办提醒：逾期 {overdue} 件，即将到期 {warned} 件。",
             ""]
    for case in cases[:DIGEST_LIMIT]:
        flag = "逾期" if case.overdue else "即将到期"
        lines.append(f"{flag}  {case.number}  {workflow.level(case.level).name.zh}  "
                     f"{workflow.statuses[case.status].name.zh}  "
                     f"期限 {deadline_text(case.due_at)}  /cases/{case.number}")
    if len(cases) > DIGEST_LIMIT:
        lines.append(f"……另有 {len(cases) - DIGEST_LIMIT} 件，请在系统工作台查看。")
    lines += ["", FOOTER]
    text = "\n".join(lines)
    return Message(subject=subject, text=text, markdown=text)
