"""A workflows.yaml that is damaged, truncated, wrongly encoded or hostile is refused with one
``WorkflowError`` naming the file (and the line where there is one); never another exception.
``casework workflow check`` says it in one sentence on stderr with exit status 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import WORKFLOW
from hostile import ENCODINGS, FORMULAS, NASTY, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from processes import LONG, record

from casework.entrypoints.cli import main
from casework.errors import WorkflowError
from casework.workflow import Workflow, load_workflow, parse_workflow

EXAMPLES = 3000 if LONG else 300
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
SHIPPED = WORKFLOW.read_text(encoding="utf-8")
LINES = SHIPPED.splitlines(keepends=True)
ATOMS = NASTY + FORMULAS + ["", "~", "null", "[]", "{}", "-", ":", "? ", "&a", "*a", "!!binary",
                            "!!python/object/apply:os.system ['true']", "0x1F", "1_000",
                            "22:00", "yes", "no", ".inf", "2026-02-30", "'", "\"", "|", ">"]
tried = {"yaml": 0, "refused": 0, "accepted": 0}


def judge(load, source: str) -> None:
    tried["yaml"] += 1
    try:
        loaded = load()
    except WorkflowError as exc:
        tried["refused"] += 1
        assert source in exc.message, exc.message
        assert "\n" not in exc.message and len(exc.message) < 800, exc.message
        return
    tried["accepted"] += 1
    assert isinstance(loaded, Workflow)


@st.composite
def damaged(draw) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "double", "swap", "token", "insert", "indent"]))
        if how == "drop":
            del lines[at]
        elif how == "double":
            lines.insert(at, lines[at])
        elif how == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif how == "token":
            words = lines[at].split(" ")
            spot = draw(st.integers(0, len(words) - 1))
            words[spot] = draw(st.sampled_from(ATOMS))
            lines[at] = " ".join(words)
        elif how == "insert":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(st.sampled_from(ATOMS)) + lines[at][column:]
        else:
            lines[at] = " " * draw(st.integers(1, 3)) + lines[at]
    text = "".join(lines)
    if draw(st.booleans()):
        text = text[:int(draw(st.floats(0, 1)) * len(text))]
    return text


@given(text=damaged())
@FUZZ
def test_a_damaged_workflow_file_is_refused_with_its_line(text):
    judge(lambda: parse_workflow(text), "workflows.yaml")


@given(text=st.one_of(st.text(max_size=300), st.lists(st.sampled_from(ATOMS), max_size=30)
                      .map(" ".join), st.lists(st.sampled_from(ATOMS + ["\n", "  ", ": "]),
                                               max_size=60).map("".join)))
@FUZZ
def test_random_text_as_a_workflow_is_refused(text):
    judge(lambda: parse_workflow(text), "workflows.yaml")


@given(text=damaged(), encoding=st.sampled_from(ENCODINGS), bom=st.booleans())
@settings(max_examples=EXAMPLES // 3, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_a_workflow_file_in_another_encoding_is_refused_or_read(tmp_path_factory, text,
                                                                encoding, bom):
    path = tmp_path_factory.mktemp("wf") / "workflows.yaml"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + encode(text, encoding))
    judge(lambda: load_workflow(path), "workflows.yaml")


@pytest.mark.parametrize(("text", "readable"), [
    pytest.param("a: " + "[" * 20000 + "]" * 20000, False, id="deep-nesting"),
    pytest.param("a: &a [" + ",".join(["x"] * 50) + "]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 50) + "]\n"
        for i in range(8)), False, id="alias-bomb"),
    pytest.param("!!python/object/apply:os.system ['echo pwned']", False, id="python-tag"),
    pytest.param(SHIPPED.replace("levels:", "levels: !!binary aGVsbG8=\nx:", 1), False,
                 id="binary"),
    pytest.param(SHIPPED + "\x00", False, id="nul"),
    pytest.param("name: " + "x" * 5_000_000, False, id="huge"),
    pytest.param(SHIPPED[: len(SHIPPED) // 2], False, id="truncated"),
    # A BOM and Windows line ends are how Notepad saves the shipped file: read as it is.
    pytest.param("\ufeff" + SHIPPED.replace("\n", "\r\n"), True, id="bom-crlf"),
])
def test_hostile_workflow_files_are_refused_in_one_sentence(tmp_path, text, readable):
    judge(lambda: parse_workflow(text), "workflows.yaml")
    path = tmp_path / "workflows.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["workflow", "check", str(path)])
    if readable:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casework: "), result.stderr


@pytest.fixture(scope="module", autouse=True)
def figures_of_tried_inputs(tmp_path_factory):
    """The fuzz tests' figures, recorded once this process has run the module's tests (under
    xdist each process records what it tried: a fixture, not a test that would have to skip)."""
    yield
    if tried["yaml"]:
        record(tmp_path_factory.mktemp("figures"), "hostile-workflow", dict(tried))
