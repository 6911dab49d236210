"""What the accessibility tests measure in a page: axe-core's WCAG 2.1 A/AA rules, sideways
scrolling (reflow), and a visible focus on every stop of the Tab order.

Each function returns findings as sentences naming the page and the element, so that one
failing run lists everything that is wrong, not only the first thing.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG21_AA}, "resultTypes": ["violations"]}
AXE = Axe()  # reads axe.min.js (shipped in the wheel) once

# The widest element that sticks out of the page: what to look at when a page scrolls sideways.
WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  let worst = null, right = 0;
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    // Text that overflows its box (a long unbroken word) widens the page, not the box.
    const edge = box.left + Math.max(box.width, element.scrollWidth);
    if (box.width === 0 || edge <= width || edge < right) continue;
    // A container that scrolls by itself (a wide table's box), or anything inside one: that
    // container scrolls, the page does not.
    let inner = false;
    for (let up = element; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (['auto', 'scroll', 'hidden'].includes(overflow)) { inner = true; break; }
    }
    if (!inner) { worst = element; right = edge; }  // the deepest of the widest
  }
  return worst ? worst.outerHTML.slice(0, 160) : '';
}"""

# Where the focus is, and whether a person can see it there.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const again = element === window.__firstTabStop;
  window.__firstTabStop = window.__firstTabStop || element;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    html: element.outerHTML.slice(0, 160),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    again: again,
    shown: box.width > 0 && box.height > 0 && style.visibility !== 'hidden',
    action: element.matches('button[name=action]') ? element.value : null,
  };
}"""


def axe_violations(page, where: str) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now, one line each."""
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [f"{where}: {rule['id']} ({rule['impact']}) on {' '.join(node['target'])}: "
            f"{node['failureSummary'].splitlines()[-1].strip()} [{node['html'][:120]}]"
            for rule in results["violations"] for node in rule["nodes"]]


def colour_alone(page, where: str) -> list[str]:
    """A finding for each tinted row (overdue, due soon) with no mark in words (WCAG 1.4.1)."""
    rows = page.eval_on_selector_all(
        "tr.table-danger, tr.table-warning",
        "rows => rows.filter(row => !row.querySelector('[data-mark]'))"
        "            .map(row => row.outerHTML.slice(0, 120))")
    return [f"{where}: a row marked by colour alone: {row}" for row in rows]


def sideways_scroll(page, where: str) -> list[str]:
    """A finding when the page is wider than the window (WCAG 1.4.10: no scrolling in two
    directions; a table may scroll inside its own container, the page may not)."""
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if scroll <= client:
        return []
    return [f"{where}: the page scrolls sideways ({scroll} px of content in {client} px); "
            f"widest: {page.evaluate(WIDEST)}"]


def tab_stops(page, limit: int = 400) -> list[dict]:
    """Every stop of the Tab order from the top of the page, once round."""
    page.evaluate("window.__firstTabStop = null; document.activeElement?.blur()")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None or stop["again"]:
            break  # past the last stop, or round to the first again
        stops.append(stop)
    return stops


def invisible_focus(page, where: str) -> list[str]:
    """A finding for each Tab stop whose focus a person cannot see (WCAG 2.4.7): the theme's
    focus ring is an outline of 2 px or more (Bootstrap's own, a faint shadow, is not enough
    on the tinted rows and the grey navbar)."""
    return [f"{where}: focus not visible on {stop['html']}"
            for stop in tab_stops(page)
            if not (stop["shown"] and stop["outline"])]
