"""The workflow page (``/workflow``): the chain of levels and the life of a case within a level as
server-side SVG arc diagrams, and the deadline and action tables, all read from the loaded
workflows.yaml, so an edit of that file shows here without a code change."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, render_template
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup, escape

from casework.workflow import Workflow
from webui.charts import text_width
from webui.context import casework

bp = Blueprint("workflow", __name__)

Node = tuple[str, str]  # label, smaller second line
Edge = tuple[int, int, str, str]  # from node, to node, label, css class
BOX_HEIGHT, GAP, RISE, STEP = 50, 44, 30, 26
CHANNELS = {"hotline_12338": _l("12338 hotline"), "mailbox": _l("mailbox"),
            "letter": _l("letter"), "visit": _l("visit"), "online": _l("online"),
            "referral": _l("referral")}


@bp.get("/workflow")
@login_required
def show():
    workflow = casework().workflow
    locale = str(get_locale() or "zh_CN")
    return render_template("workflow/show.html", workflow=workflow, locale=locale,
                           chain=chain_diagram(workflow, locale),
                           lifecycle=lifecycle_diagram(workflow, locale))


def _deadline(workflow: Workflow, level_id: str) -> str:
    level = workflow.level(level_id)
    if level.working_days:
        return ngettext("%(num)d working day", "%(num)d working days", level.working_days)
    return ngettext("%(num)d hour", "%(num)d hours", level.hours or 0)


def _merge(found: dict[tuple[int, int], list[str]], key: tuple[int, int], name: str) -> None:
    if name not in found.setdefault(key, []):
        found[key].append(name)


def chain_diagram(workflow: Workflow, locale: str) -> Markup:
    """Intake, then the levels in order; arcs above move a case up, arcs below move it down."""
    index = {level.id: i + 1 for i, level in enumerate(workflow.levels)}
    nodes = [(_("Intake"), _("hotline, letter, visit, mailbox"))]
    nodes += [(level.name.get(locale), _deadline(workflow, level.id)) for level in workflow.levels]
    starts: dict[tuple[int, int], list[str]] = {}
    for channel, level in workflow.channel_start_levels.items():
        _merge(starts, (0, index[level]), str(CHANNELS.get(channel, channel)))
    _merge(starts, (0, index[workflow.default_start_level]), _("other channels"))
    _merge(starts, (0, index[workflow.emergency_start_level]), _("emergency"))
    moves: dict[tuple[int, int], list[str]] = {}
    for action, source, dest in workflow.transitions:
        src, dst = source.split(".", 1)[0], dest.split(".", 1)[0]
        if src != dst:
            _merge(moves, (index[src], index[dst]), workflow.actions[action].name.get(locale))
    edges = [(a, b, ", ".join(names), "entry") for (a, b), names in starts.items()]
    edges += [(a, b, " / ".join(names), "") for (a, b), names in moves.items()]
    return arc_diagram("diagram-chain", _("The levels a case moves through"), nodes, edges)


def lifecycle_diagram(workflow: Workflow, locale: str) -> Markup:
    """The statuses of a case within one level and the actions between them."""
    statuses = list(workflow.statuses.values())
    index = {status.id: i for i, status in enumerate(statuses)}
    nodes = [(s.name.get(locale), _("concluded") if s.concluded else
              ("" if s.clock_running else _("clock stopped"))) for s in statuses]
    moves: dict[tuple[int, int], list[str]] = {}
    for action, source, dest in workflow.transitions:
        (src_level, src), (dst_level, dst) = source.split(".", 1), dest.split(".", 1)
        if src_level == dst_level and src != dst:
            _merge(moves, (index[src], index[dst]), workflow.actions[action].name.get(locale))
    edges = [(a, b, " / ".join(names), "") for (a, b), names in moves.items()]
    return arc_diagram("diagram-lifecycle", _("The statuses of a case at one level"), nodes,
                       edges)


def _height(span: int) -> float:
    return RISE + STEP * (span - 1)


def arc_diagram(diagram_id: str, title: str, nodes: Sequence[Node], edges: Sequence[Edge]
                ) -> Markup:
    """Nodes in a row; an arc above for each move to the right, below for each move back.

    An arc diagram lays out any chain of states without a graph-layout library: arcs of longer
    moves rise higher, so their labels do not sit on each other."""
    box = max(110.0, *(max(text_width(a), text_width(b, 11)) + 20 for a, b in nodes))
    up = max((_height(b - a) for a, b, *_rest in edges if b > a), default=0) * 0.75 + 20
    down = max((_height(a - b) for a, b, *_rest in edges if b < a), default=0) * 0.75 + 24
    width = len(nodes) * box + (len(nodes) - 1) * GAP + 8
    top, height = up, up + BOX_HEIGHT + down

    def centre(i: int) -> float:
        return 4 + i * (box + GAP) + box / 2

    ident = escape(diagram_id)
    parts = [f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path class="arrow" d="M0,0 L10,5 L0,10 z"/></marker>'
             f'<marker id="{ident}-back" viewBox="0 0 10 10" refX="9" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path class="arrow back" d="M0,0 L10,5 L0,10 z"/></marker></defs>']
    for i, (label, sub) in enumerate(nodes):
        x = centre(i) - box / 2
        parts.append(f'<g class="node"><rect x="{x:.1f}" y="{top:.1f}" width="{box:.1f}" '
                     f'height="{BOX_HEIGHT}" rx="6"/>'
                     f'<text x="{centre(i):.1f}" y="{top + 21:.1f}" text-anchor="middle">'
                     f'{escape(label)}</text><text class="sub" x="{centre(i):.1f}" '
                     f'y="{top + 38:.1f}" text-anchor="middle">{escape(sub)}</text></g>')
    described = []
    for a, b, label, css in edges:
        forward = b > a
        rise = _height(abs(b - a)) * (-1 if forward else 1)
        y = top if forward else top + BOX_HEIGHT
        x1, x2 = centre(a) + (10 if forward else -10), centre(b) - (10 if forward else -10)
        marker = "arrow" if forward else "back"
        apex = y + rise * 0.75
        parts.append(
            f'<g class="edge {"" if forward else "back"} {css}">'
            f'<path d="M{x1:.1f},{y:.1f} C{x1:.1f},{y + rise:.1f} {x2:.1f},{y + rise:.1f} '
            f'{x2:.1f},{y:.1f}" marker-end="url(#{ident}-{marker})"/>'
            f'<text class="halo" x="{(x1 + x2) / 2:.1f}" y="{apex + 4:.1f}" '
            f'text-anchor="middle">{escape(label)}</text>'
            f'<text x="{(x1 + x2) / 2:.1f}" y="{apex + 4:.1f}" text-anchor="middle">'
            f'{escape(label)}</text></g>')
        described.append(f"{nodes[a][0]} → {nodes[b][0]}: {label}")
    return Markup(
        f'<svg class="diagram" id="{ident}" role="img" aria-labelledby="{ident}-title '
        f'{ident}-desc" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape("; ".join(described))}</desc>'
        f'{"".join(parts)}</svg>')
