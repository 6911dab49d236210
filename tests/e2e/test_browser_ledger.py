"""A county clerk in a real browser (Chromium): a Chinese Excel ledger previewed with every
problem marked, fixed, imported, and sent again next week without doubling a case."""

from __future__ import annotations

from datetime import date, datetime

from openpyxl import Workbook
from sqlalchemy import func, select

from casework.storage.db import reading
from casework.storage.models import Case
from tests.e2e.browser import open_page
from tests.e2e.test_browser import log_in, shot

HEADS = ["登记日期", "乡镇", "村", "类别", "来源", "紧急程度", "情况摘要", "姓名", "电话",
         "办结层级", "办结日期", "结果"]
GOOD = [[datetime(2026, 3, 3, 9, 30), "", "沙子村", "家庭暴力", "来信", "一般", "丈夫酒后殴打",
         "李某", 13812345678, "村妇代会", date(2026, 3, 5), "调解成功"],
        ["2026/3/4", "", "新安村", "家暴", "热线", "紧急", "婚后财产", "王某", "13912345678",
         "乡镇妇联", "2026.3.10", "转介：法律援助"]]


def workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def case_count(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(Case)).scalar_one()


def test_a_clerk_previews_fixes_imports_and_resends_a_ledger(chromium, live_server, people, cw,
                                                             tmp_path):
    bad = [list(GOOD[0]), list(GOOD[1])]
    bad[0][3], bad[1][0] = "打架", "2026/13/4"
    page = open_page(chromium, live_server, "zh-CN")
    log_in(page, live_server, people["county_officer"].username)
    page.click("text=导入台账")
    page.set_input_files("input[name=file]", str(workbook(tmp_path / "台账.xlsx", bad)))
    page.click("text=检查文件")
    assert page.locator("#ledger-problems li").count() == 2
    assert page.locator("#ledger-rows td[data-problem]").count() == 2
    assert "不是可用的类别" in page.locator("td[data-problem=category]").inner_text()
    assert page.locator("#ledger-confirm").count() == 0
    shot(page, "ledger-problems")

    page.set_input_files("input[name=file]", str(workbook(tmp_path / "台账.xlsx", GOOD)))
    page.click("text=检查文件")
    assert page.locator("[data-count=new]").inner_text() == "2"
    assert "13812345678" not in page.content()
    page.click("#ledger-confirm button")
    page.wait_for_load_state("networkidle")
    assert "已导入 2 件案件" in page.content()
    assert case_count(cw) == 2
    # No petitioner data kept by the browser.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0

    page.set_input_files("input[name=file]", str(workbook(tmp_path / "台账.xlsx", GOOD)))
    page.click("text=检查文件")
    assert page.locator("[data-count=duplicates]").inner_text() == "2"
    assert page.locator("#ledger-confirm").count() == 0
    assert case_count(cw) == 2
    assert live_server.outside == []


def test_a_large_ledger_shows_its_progress_and_its_end_without_a_click(
        chromium, live_server, people, cw, tmp_path, monkeypatch):
    import threading

    from casework.imports import ledger_jobs
    from webui import ledger_import

    monkeypatch.setattr(ledger_import, "BACKGROUND_BYTES", 0)  # every file is "large"
    gate = threading.Event()

    def when_let(work):  # the check waits until the page has been seen checking
        def run():
            gate.wait(60)
            work()
        threading.Thread(target=run, daemon=True).start()

    monkeypatch.setattr(ledger_jobs, "in_a_thread", when_let)
    page = open_page(chromium, live_server, "zh-CN")
    log_in(page, live_server, people["county_officer"].username)
    page.goto(f"{live_server.url}/imports/ledger")
    page.set_input_files("input[name=file]", str(workbook(tmp_path / "台账.xlsx", GOOD)))
    page.click("text=检查文件")
    assert "正在检查 台账.xlsx" in page.locator("#ledger-progress").inner_text()
    assert "检查期间不写入任何数据" in page.content()
    shot(page, "ledger-checking")
    gate.set()
    # The script asks every two seconds and, the check done, shows the preview by itself.
    page.wait_for_selector("#ledger-confirm", timeout=60_000)
    assert page.locator("[data-count=new]").inner_text() == "2"
    assert case_count(cw) == 0
    page.click("#ledger-confirm button")
    page.wait_for_selector("#ledger-job[data-state=imported]", timeout=60_000)
    assert "已导入 2 件案件" in page.locator("#ledger-progress").inner_text()
    assert case_count(cw) == 2
    assert live_server.outside == []
