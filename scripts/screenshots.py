"""Refresh docs/screenshots/ from the demo county: python scripts/screenshots.py [--phone]

Builds the demo in a temporary database, serves it on loopback, and photographs the main pages
with Playwright driving Debian's chromium, in Chinese (and the workflow in English), and the
village cadre's pages on a 390 px touch phone (phone-*.png; ``--phone``: those only)."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casework.entrypoints.demo import DEMO_PASSWORD  # noqa: E402
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, demo_county_served  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_county_served("screenshots") as (cw, url), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def session(user: str, locale: str = "zh-CN", phone: bool = False):
            screen = ({"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                       "is_mobile": True, "has_touch": True} if phone
                      else {"viewport": {"width": 1280, "height": 900}})
            page = browser.new_context(locale=locale, **screen,
                                       extra_http_headers={"Accept-Language": locale}).new_page()
            page.goto(f"{url}/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_load_state("networkidle")
            return page

        phone = session("village", phone=True)
        phone.screenshot(path=str(OUT / "phone-worklist.png"))
        phone.locator("table a[href^='/cases/']").first.click()
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=str(OUT / "phone-case.png"))
        phone.goto(f"{url}/cases/new")
        phone.screenshot(path=str(OUT / "phone-intake.png"))
        if "--phone" in sys.argv:
            browser.close()
            print(f"phone screenshots written to {OUT}")
            return
        village = session("village")
        village.screenshot(path=str(OUT / "worklist.png"))
        village.locator("table a[href^='/cases/']").first.click()
        village.wait_for_load_state("networkidle")
        village.screenshot(path=str(OUT / "case-detail.png"), full_page=True)
        hotline = session("hotline")
        hotline.goto(f"{url}/cases/new")
        hotline.screenshot(path=str(OUT / "intake.png"))
        county = session("county")
        county.goto(f"{url}/reports/monthly?area=450330")
        county.screenshot(path=str(OUT / "report.png"), full_page=True)
        english = session("county", "en-US")
        english.goto(f"{url}/workflow")
        english.screenshot(path=str(OUT / "workflow-en.png"), full_page=True)
        from casework.scheduling.scheduler import ScanJob

        ScanJob(cw, 60)()  # one scan as `casework serve` would run it, for the scheduler page
        admin = session("admin")
        admin.goto(f"{url}/admin/scheduler")
        admin.screenshot(path=str(OUT / "scheduler.png"), full_page=True)
        browser.close()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
