"""Telling a county's officers that an account can now read case files.

An administrator reads no case file herself, but she can make (or turn an account into) one
that does: a hotline operator's account reads every case of the county.  So that this is never
done unseen, every new account, and every change of role or area, whose result reads cases is
mailed to the county officers of that county (DESIGN.md, "Accounts, sessions").  The message
names the account, its role and area, and who did it; it goes through the outbox in the
transaction of the change, like every notice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from casework.notify.messages import FOOTER, TAG
from casework.notify.queue import insert_rows, outbox_key, recipients
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.models import AccountEvent, Area, User

OFFICER = "county_officer"
COUNTY_CODE_LENGTH = 6
HEADLINES = {"user_created": "新增了可查看案件的账号", "user_changed": "账号变更后可查看案件"}


def notify_case_reader(cw, session: Session, user: User, entry: AccountEvent,
                       now: datetime) -> int:
    """Queue the mails about ``user`` (an account that reads cases after ``entry``); how many."""
    if not cw.settings.smtp_url:
        return 0
    county = user.area_code[:COUNTY_CODE_LENGTH]
    addresses = recipients(session, [OFFICER], county)
    if not addresses:
        return 0
    role = cw.workflow.roles[user.role].name.zh
    area = session.get(Area, user.area_code)
    headline = HEADLINES[entry.kind]
    text = "\n".join([
        f"{headline}：{user.username}。", "",
        f"账号：{user.username}", f"角色：{role}",
        f"区域：{area.name if area else ''}（{user.area_code}）",
        f"操作人：{entry.actor}",
        f"时间：{entry.at.astimezone(SHANGHAI).strftime('%Y-%m-%d %H:%M')}（北京时间）",
        "如非经您所知的安排，请立即联系系统管理员并在“账号日志”中核查。", "", FOOTER])
    rows = [{"case_id": None, "channel": "email", "recipient": address,
             "subject": f"{TAG}{headline}：{user.username}", "body": text, "urgent": True,
             "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now,
             "event_key": outbox_key("account", entry.id, "email", address)}
            for address in addresses]
    return insert_rows(session, rows)
