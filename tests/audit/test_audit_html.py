"""The HTML report: the JSON document's numbers, pages a real parser accepts, safe markup."""

from __future__ import annotations

import ast
import json
from collections import Counter
from urllib.parse import unquote

import pytest

from autocapture._audit._html import write_html
from autocapture._audit._html_page import handler_end, read_source
from autocapture.audit import audit, render_html, render_json
from tests.audit.conftest import FIXTURE_APP, write_tree
from tests.audit.html_helpers import (
    by_id,
    classes,
    code_of,
    file_links,
    find_all,
    generate_tree,
    parse,
    render,
    text,
    verdict_of,
    words,
)

HOSTILE_NAME = "routes/we ird #1?q=%41&<img src=x onerror=alert(1)>ü.py"
HOSTILE_SOURCE = '''\
"""</script><script>alert(1)</script> <img src=x onerror="document.title='pwned'">"""


def handler():
    try:
        work("</script>")
    except Exception:  # <b onmouseover="alert(1)">not bold</b>
        pass
'''


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory):
    """The fixture app rendered once: (output folder, its JSON document)."""
    out = tmp_path_factory.mktemp("html") / "report"
    return out, render(FIXTURE_APP, out)


def test_report_json_is_the_json_format(fixture_report, run_audit_cli):
    """report.json holds the very document --format json prints."""
    _out, doc = fixture_report
    assert doc == run_audit_cli(FIXTURE_APP, "--format", "json").json()


def test_every_page_parses_without_an_error(fixture_report):
    """The index and every file page parse under html5lib's strict mode."""
    out, _ = fixture_report
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 10  # the index and 9 files
    for page in pages:
        parse(page)


def test_pages_load_nothing_from_elsewhere(fixture_report):
    """Every link, script and stylesheet is a file of the report; the policy forbids others."""
    out, _ = fixture_report
    for page in out.glob("*.html"):
        tree = parse(page)
        for element in tree.iter():
            for name in ("href", "src"):
                target = element.get(name)
                if target is None or target.startswith("#"):
                    continue
                assert (out / unquote(target.split("#")[0])).is_file(), (page.name, target)
        policy = [m.get("content") for m in find_all(tree, "meta") if m.get("http-equiv")]
        assert policy == [
            (
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:"
            )
        ]


def test_layer_bars_count_the_json_handlers(fixture_report):
    """Each layer's bar has, per verdict, the JSON's handlers; reached and coverage agree."""
    out, doc = fixture_report
    index = parse(out / "index.html")
    for name, layer in doc["layers"].items():
        row = next(r for r in find_all(index, "tr") if r.get("data-layer") == name)
        segments = [s for s in find_all(row, "span") if s.get("data-verdict")]
        bar = {s.get("data-verdict"): int(s.get("data-count")) for s in segments}
        expected = Counter(verdict_of(h) for h in doc["handlers"] if h["layer"] == name)
        assert bar == {k: v for k, v in expected.items() if v}
        assert bar.get("exception", 0) == layer["reached"]
        assert sum(bar.get(v, 0) for v in ("exception", "message", "not")) == layer["counted"]
        assert sum(bar.values()) == sum(layer["handlers"].values())
        assert f"{100 * layer['coverage']:.1f}%" in text(row)
    assert words(by_id(index, "coverage")) == "coverage 60.0% 18 of 30 counted handlers"
    assert words(by_id(index, "background")) == "background starts 10 5 without capture"


def test_assumptions_are_listed_with_their_reasons(fixture_report):
    """The index states every assumption, its value, source and reason."""
    out, doc = fixture_report
    index = parse(out / "index.html")
    rows = {r.get("data-assumption"): words(r) for r in find_all(index, "tr")}
    for name, assumption in doc["assumptions"].items():
        if isinstance(assumption, dict):
            value = "yes" if assumption["value"] else "no"
            assert rows[name].startswith(f"{name} {value} {assumption['source']} ")
            assert assumption["reason"] in rows[name]
    assert "status_codes: 500, 502-503" in rows["http_5xx_captured"]
    assert "sentry_init at main.py:20" in text(by_id(index, "setup"))


def test_files_table_has_each_file_once_with_its_json_counts(fixture_report):
    """The files table lists every file of the report with its handlers and gaps."""
    out, doc = fixture_report
    index = parse(out / "index.html")
    rows = find_all(find_all(by_id(index, "files"), "tbody")[0], "tr")
    paths = {h["path"] for h in doc["handlers"]} | {g["path"] for g in doc["gaps"]}
    assert sorted(text(r.find("*")) for r in rows) == sorted(paths)
    for row in rows:
        cells = [text(c) for c in find_all(row, "td")]
        path = cells[0]
        handlers = [h for h in doc["handlers"] if h["path"] == path]
        gaps = [g for g in doc["gaps"] if g["path"] == path]
        counts = Counter(verdict_of(h) for h in handlers)
        assert int(cells[2]) == len(handlers)
        assert [int(c) for c in cells[3:7]] == [
            counts[v] for v in ("exception", "message", "not", "uncounted")
        ]
        assert int(cells[8]) == len(gaps)
    chat = next(r for r in rows if text(r.find("*")) == "routes/chat.py")
    coverage = find_all(chat, "td")[7]
    assert (text(coverage), coverage.get("class")) == ("66.7%", "n cov-6")


def test_file_pages_mark_each_handler_at_its_json_line(fixture_report):
    """On each file's page the except lines marked are exactly the JSON's, by verdict."""
    out, doc = fixture_report
    links = file_links(parse(out / "index.html"))
    for path, page in links.items():
        tree = parse(out / page)
        heads = {
            int(e.get("id")[1:]): e.get("data-verdict")
            for e in find_all(tree, "div")
            if "head" in classes(e)
        }
        expected = {h["line"]: verdict_of(h) for h in doc["handlers"] if h["path"] == path}
        assert heads == expected, path
        assert by_id(tree, "L1").find("*").get("href") == "#L1"
        back = [a for a in find_all(tree, "a") if a.get("href") == "index.html"]
        assert back, path


def test_gaps_and_their_details_sit_under_their_lines(fixture_report):
    """Every gap of a file is a note right after its line, with its detail."""
    out, doc = fixture_report
    links = file_links(parse(out / "index.html"))
    for gap in doc["gaps"]:
        tree = parse(out / links[gap["path"]])
        source = next(e for e in find_all(tree, "div") if classes(e) == {"src"})
        children = list(source)
        position = children.index(by_id(tree, f"L{gap['line']}"))
        notes = []
        for element in children[position + 1 :]:
            if "note" not in classes(element):
                break
            notes.append(text(element))
        shown = " ".join(" ".join(notes).split())
        assert f"{gap['severity']} {gap['kind']}" in shown, gap
        assert gap["detail"] in shown, gap
        if gap.get("fix"):
            assert f"{gap['detail']}{gap['fix']}" in shown, gap


def test_handler_bodies_end_where_the_parser_says(fixture_report, tmp_path):
    """The marked body of every handler ends at the line ast gives as its end."""
    root = generate_tree(tmp_path / "tree", 40)
    for folder in (FIXTURE_APP, root):
        for path in folder.rglob("*.py"):
            lines = read_source(str(folder), path.relative_to(folder).as_posix())
            assert lines is not None
            for node in ast.walk(ast.parse(path.read_bytes())):
                if isinstance(node, ast.ExceptHandler):
                    assert handler_end(lines, node.lineno) == node.end_lineno, (path, node.lineno)


def test_generated_tree_pages_agree_with_the_json(tmp_path):
    """On a generated tree of 60 files, every handler is marked on its page at its line."""
    doc = render(generate_tree(tmp_path / "tree", 60), tmp_path / "out")
    links = file_links(parse(tmp_path / "out" / "index.html"))
    assert len(links) == 60
    assert len(list((tmp_path / "out").glob("*.html"))) == 61
    pages = {path: parse(tmp_path / "out" / page) for path, page in links.items()}
    for handler in doc["handlers"]:
        line = by_id(pages[handler["path"]], f"L{handler['line']}")
        assert line.get("data-verdict") == verdict_of(handler)
        assert "head" in classes(line)


def test_hostile_code_and_file_names_are_text(tmp_path):
    """Markup in code and in file names is shown as text: no element of it is created."""
    root = write_tree(tmp_path / "app", {HOSTILE_NAME: HOSTILE_SOURCE})
    out = tmp_path / "out"
    doc = render(root, out)
    assert [h["path"] for h in doc["handlers"]] == [HOSTILE_NAME]
    index = parse(out / "index.html")
    links = file_links(index)
    assert list(links) == [HOSTILE_NAME]
    page = parse(out / links[HOSTILE_NAME])
    for tree in (index, page):
        assert find_all(tree, "img") == []
        handlers = [(e.tag, a) for e in tree.iter() for a in e.attrib if a.startswith("on")]
        assert handlers == []
        scripts = find_all(tree, "script")
        assert [s.get("src") for s in scripts] == (["report.js"] if tree is index else [])
    assert code_of(by_id(page, "L1")) == HOSTILE_SOURCE.splitlines()[0]
    assert "<b onmouseover" in code_of(by_id(page, f"L{doc['handlers'][0]['line']}"))
    assert HOSTILE_NAME in text(find_all(page, "h1")[0])


def test_line_numbers_follow_python_not_str_splitlines(tmp_path):
    """Form feeds and U+2028 inside a line do not shift the lines marked after them."""
    source = (
        '# -*- coding: latin-1 -*-\n\x0c\nNOTE = "caf\xe9 \u2028 two"\n'.replace("\u2028", "")
        + "def f():\n    try:\n        g()\n    except Exception:\n        pass\n"
    )
    data = source.encode("latin-1") + 'S = """a\x0cb"""\n'.encode("latin-1")
    root = write_tree(tmp_path / "app", {"db/legacy.py": data, "db/sep.py": 'X = "a\u2028b"\n'})
    (root / "db" / "sep.py").write_text(
        'X = "a\u2028b"\ndef f():\n    try:\n        g()\n    except Exception:\n        pass\n',
        encoding="utf-8",
    )
    doc = render(root, tmp_path / "out")
    links = file_links(parse(tmp_path / "out" / "index.html"))
    for handler in doc["handlers"]:
        page = parse(tmp_path / "out" / links[handler["path"]])
        line = by_id(page, f"L{handler['line']}")
        assert "except Exception:" in text(line), handler
    legacy = parse(tmp_path / "out" / links["db/legacy.py"])
    assert "café" in text(by_id(legacy, "L3"))


def test_unreadable_files_get_a_page_with_the_error(tmp_path):
    """A file that does not parse has a page saying why, with its source."""
    root = write_tree(tmp_path / "app", {"services/broken.py": "def f(:\n    pass\n"})
    doc = render(root, tmp_path / "out")
    page = parse(
        tmp_path / "out" / file_links(parse(tmp_path / "out" / "index.html"))["services/broken.py"]
    )
    assert doc["unreadable"][0]["error"] in text(by_id(page, "unreadable"))
    assert code_of(by_id(page, "L1")) == "def f(:"


def test_a_single_file_root_renders_its_source(tmp_path):
    """Auditing one file renders that file's page from the file itself."""
    file = write_tree(tmp_path, {"tasks.py": HOSTILE_SOURCE}) / "tasks.py"
    doc = render(file, tmp_path / "out")
    links = file_links(parse(tmp_path / "out" / "index.html"))
    page = parse(tmp_path / "out" / links["tasks.py"])
    assert by_id(page, f"L{doc['handlers'][0]['line']}").get("data-verdict") == "not"


def test_render_html_from_python(tmp_path):
    """render_html writes the report of an AuditReport and returns the index's path."""
    report = audit(str(FIXTURE_APP))
    index = render_html(report, tmp_path / "new" / "folder")
    assert index == tmp_path / "new" / "folder" / "index.html"
    saved = json.loads((index.parent / "report.json").read_text(encoding="utf-8"))
    assert saved == json.loads(render_json(report))
    assert {p.name for p in index.parent.iterdir()} >= {"report.css", "report.js", "index.html"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "html"), "--format html needs --output DIR"),
        (("--format", "json", "--output", "{tmp}"), "--output is only for --format html"),
        (("--output", "{tmp}"), "--output is only for --format html"),
    ],
)
def test_output_goes_with_the_html_format(run_audit_cli, tmp_path, args, message):
    """--format html needs --output, and --output needs --format html (exit 2, one line)."""
    result = run_audit_cli(FIXTURE_APP, *(a.format(tmp=tmp_path) for a in args))
    assert (result.code, result.out) == (2, "")
    assert result.err == f"autocapture audit: error: {message}" + result.err.split(message)[1]
    assert len(result.err.splitlines()) == 1


def test_an_output_that_is_a_file_exits_two(run_audit_cli, tmp_path):
    """An --output that cannot be a folder is bad usage: exit 2 and one line saying why."""
    blocker = tmp_path / "taken"
    blocker.write_text("", encoding="utf-8")
    result = run_audit_cli(FIXTURE_APP, "--format", "html", "--output", blocker)
    assert (result.code, result.out) == (2, "")
    expected = f"autocapture audit: error: cannot write the report to '{blocker}': "
    assert result.err.startswith(expected)
    assert len(result.err.splitlines()) == 1


def test_fail_under_still_applies_to_html(run_audit_cli, tmp_path):
    """--fail-under gates the html format too, after writing the report."""
    result = run_audit_cli(
        FIXTURE_APP, "--format", "html", "--output", tmp_path / "r", "--fail-under", "90"
    )
    assert result.code == 1
    assert result.out == f"HTML report written: {tmp_path / 'r' / 'index.html'}\n"
    assert (tmp_path / "r" / "index.html").is_file()


def test_page_names_are_unique_and_plain(tmp_path):
    """Paths that fold to the same slug still get pages of their own, with ASCII names."""
    names = ["a b.py", "a_b.py", "A_b.py", "ü.py", "%41.py", "#.py", "?.py"]
    src = "def f():\n    try:\n        g()\n    except Exception:\n        pass\n"
    root = write_tree(tmp_path / "app", dict.fromkeys(names, src))
    render(root, tmp_path / "out")
    links = file_links(parse(tmp_path / "out" / "index.html"))
    assert sorted(links) == sorted(names)
    pages = set(links.values())
    assert len({p.lower() for p in pages}) == len(names)
    assert all(p.isascii() and (tmp_path / "out" / p).is_file() for p in pages)


def test_fields_the_document_gains_show_on_the_pages(tmp_path):
    """reaches_as, a gap's suggested fix and unknown keys are rendered from the document."""
    doc = json.loads(render_json(audit(str(FIXTURE_APP))))
    logged = next(h for h in doc["handlers"] if h["class"] == "swallowed")
    for handler in doc["handlers"]:
        handler["reaches_as"] = "exception" if handler["reaches"] else None
    logged["reaches_as"] = "message"
    gap = next(
        g for g in doc["gaps"] if (g["path"], g["line"]) == (logged["path"], logged["line"])
    )
    gap["fix"] = "log with exc_info=True"
    gap["fingerprint"] = "abc123"
    gap["function"] = "load_user"
    gap["confidence"] = "likely"
    doc["accepted"] = [{**gap, "line": 1, "detail": "accepted on purpose", "fix": None}]
    doc["migrations"] = ["db/migrations/0001.py"]
    other = next(g for g in doc["gaps"] if g is not gap)
    other.pop("fix", None)  # documents of schema 1 have none; 2 calls it "fix"
    other["suggestion"] = {"text": "add `from exc`"}
    write_html(doc, tmp_path / "out")
    index = parse(tmp_path / "out" / "index.html")
    row = next(r for r in find_all(index, "tr") if r.get("data-layer") == logged["layer"])
    messages = [s for s in find_all(row, "span") if s.get("data-verdict") == "message"]
    assert [s.get("data-count") for s in messages] == ["1"]
    assert "log with exc_info=True" in words(by_id(index, "gaps"))
    assert "add `from exc`" in words(by_id(index, "gaps"))
    page = parse(tmp_path / "out" / file_links(index)[logged["path"]])
    assert by_id(page, f"L{logged['line']}").get("data-verdict") == "message"
    notes = " ".join(words(n) for n in find_all(page, "div") if "gap" in classes(n))
    notes = notes.replace(" :", ":")
    assert "log with exc_info=True" in notes
    assert "swallowed in load_user:" in notes
    assert "confidence: likely" in notes
    assert "abc123" not in notes
    accepted = [
        words(n).replace(" :", ":") for n in find_all(page, "div") if "accepted" in classes(n)
    ]
    assert len(accepted) == 1
    assert "accepted: swallowed in load_user: accepted on purpose" in accepted[0]
    assert "1 accepted by ignore comments" in words(by_id(index, "gap-count"))
    assert "1 migration scripts left out" in words(index.find(".//{*}main"))


def test_a_source_gone_since_the_audit_still_gets_its_page(tmp_path):
    """A file deleted between audit and rendering gets a page that says so."""
    root = write_tree(tmp_path / "app", {"db/gone.py": HOSTILE_SOURCE})
    report = audit(str(root))
    (root / "db" / "gone.py").unlink()
    index = render_html(report, tmp_path / "out")
    page = parse(index.parent / file_links(parse(index))["db/gone.py"])
    assert "could not be read when rendering" in words(page.find(".//{*}main"))


def test_an_unknown_coding_cookie_reads_as_utf8(tmp_path):
    """A file whose coding cookie names no codec is unreadable, and shown as UTF-8."""
    source = "# coding: no-such-codec\nNAME = 'café'\n".encode()
    doc = render(write_tree(tmp_path / "app", {"x.py": source}), tmp_path / "out")
    assert [u["path"] for u in doc["unreadable"]] == ["x.py"]
    page = parse(tmp_path / "out" / file_links(parse(tmp_path / "out" / "index.html"))["x.py"])
    assert code_of(by_id(page, "L2")) == "NAME = 'café'"
