"""The HTML report, opened in a real headless Chromium: what the page shows after its script ran
must equal the JSON reports for the same input (findings, counts, matrix cells, diff changes),
the page must make no network request, and hostile names must stay text.

One browser serves the whole module (launching it is the slow part). The screenshots of the seed
example are kept in tests/output/ (or $POLICYLINT_TEST_OUTPUT) for a person to look at.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from policylint.engine.ports import PortSet
from policylint.report.html.page import script_json
from tests.browser import Browser, Page, find_chromium
from tests.test_report_samples import EXAMPLES, ROOT, run

OUTPUT = Path(os.environ.get("POLICYLINT_TEST_OUTPUT") or ROOT / "tests" / "output")
DIFF_OLD, DIFF_NEW = "fixtures/diff/seed-fix/old", "fixtures/diff/seed-fix/new"
KINDS_OLD, KINDS_NEW = "fixtures/diff/every-kind/old", "fixtures/diff/every-kind/new"
HOSTILE = "</script><script>window.pwned=1</script><!--"


def cli(args: list[str]) -> str:
    result = run(args)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def write(tmp: Path, name: str, args: list[str]) -> Path:
    path = tmp / name
    path.write_text(cli(args), encoding="utf-8")
    return path


# -- without a browser ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [HOSTILE, "<!--<script>", "a&b>c", "\u2028\u2029", "</SCRIPT >", {"k<": ["</"]}])
def test_embedded_json_cannot_close_its_script_element(value: Any) -> None:
    text = script_json({"v": value})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"v": value}


def test_the_page_has_no_external_reference_and_a_strict_content_security_policy() -> None:
    page = cli(["check", EXAMPLES, "-f", "html"])
    head = page.split("<style>", 1)[0]
    assert "default-src 'none'" in head and "script-src 'sha256-" in head and "style-src 'sha256-" in head
    for needle in ("http://", "https://", "src=", "href=\"http", "@import"):
        assert needle not in page.replace("http://www.w3.org/2000/svg", ""), needle
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page (url(#arrow))


def test_matrix_html_refuses_filters() -> None:
    result = run(["matrix", EXAMPLES, "-f", "html", "--from", "data-services/*"])
    assert result.exit_code == 2
    assert "--format html shows the whole matrix" in result.stderr


def test_diff_html_is_deterministic() -> None:
    assert cli(["diff", DIFF_OLD, DIFF_NEW, "-f", "html"]) == cli(["diff", DIFF_OLD, DIFF_NEW, "-f", "html"])


# -- in Chromium ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine (.ci/run installs the Debian chromium package)")
    b = Browser(executable)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    write(tmp, "check.html", ["check", EXAMPLES, "-f", "html"])
    write(tmp, "check-fixes.html", ["check", EXAMPLES, "-f", "html", "--show-fixes"])
    write(tmp, "matrix.html", ["matrix", EXAMPLES, "-f", "html"])
    write(tmp, "diff.html", ["diff", DIFF_OLD, DIFF_NEW, "-f", "html"])
    write(tmp, "diff-kinds.html", ["diff", KINDS_OLD, KINDS_NEW, "-f", "html"])
    return tmp


def opened(browser: Browser, path: Path) -> Page:
    page = browser.open(path)
    assert page.eval("document.documentElement.getAttribute('data-ready')") == "true", page.problems()
    return page


def assert_offline_and_clean(page: Page, path: Path) -> None:
    assert page.requests() == [path.resolve().as_uri()]  # the page itself, nothing else
    assert page.problems() == []  # no exception, no CSP violation


def describe(ports: dict[str, list[list[int]]]) -> str:
    return PortSet.of({p: [tuple(i) for i in v] for p, v in ports.items()}).describe()


ALL_PAIRS_JS = """(() => {
  const out = [];
  for (const td of document.querySelectorAll('#heatmap td[data-pairs]')) {
    if (td.getAttribute('data-pairs') === '0') continue;
    td.click();
    while (document.querySelector('#pair-detail button.more')) document.querySelector('#pair-detail button.more').click();
    for (const tr of document.querySelectorAll('#pair-list tr[data-from]'))
      out.push([tr.getAttribute('data-from'), tr.getAttribute('data-to'), tr.getAttribute('data-ports')]);
  }
  return out;
})()"""

HEAT_JS = """[...document.querySelectorAll('#heatmap td[data-pairs]')].filter(td => td.getAttribute('data-pairs') !== '0')
  .map(td => [td.getAttribute('data-from'), td.getAttribute('data-to'), +td.getAttribute('data-pairs')])"""


def matrix_expectations() -> tuple[list[list[str]], list[list[Any]]]:
    full = json.loads(cli(["matrix", EXAMPLES, "-f", "json"]))
    pairs = sorted([c["from"], c["to"], describe(c["ports"])] for c in full["connections"])
    summary = json.loads(cli(["matrix", EXAMPLES, "-f", "json", "--aggregate", "namespace"]))
    heat = sorted([c["from"], c["to"], c["pairs"]] for c in summary["connections"])
    return pairs, heat


def test_check_page_equals_the_json_report(browser: Browser, pages: Path) -> None:
    path = pages / "check.html"
    page = opened(browser, path)
    report = json.loads(cli(["check", EXAMPLES, "-f", "json"]))
    cards = page.eval("Object.fromEntries([...document.querySelectorAll('#summary-cards [data-count]')]"
                      ".map(c => [c.getAttribute('data-count'), +c.querySelector('.n').textContent.replace(/,/g, '')]))")
    summary = report["summary"]
    assert cards == {**summary["findings"], **{k: summary[k] for k in ("files", "objects", "namespaces", "workloads", "policies")}}
    shown = page.eval("""[...document.querySelectorAll('#findings-list .finding')].map(a => [
        a.closest('.file').getAttribute('data-file'), +a.getAttribute('data-line'), a.getAttribute('data-code'),
        a.getAttribute('data-severity'), a.querySelector('.msg').textContent,
        (a.querySelector('.fix') || {textContent: 'Fix: '}).textContent.slice(5)])""")
    assert shown == [[f["file"], f["line"], f["code"], f["severity"], f["message"], f["remediation"]]
                     for f in report["findings"]]
    # the source lines shown are the file's own, the finding's line marked
    first = report["findings"][0]
    lines = Path(first["file"]).read_text(encoding="utf-8").splitlines()
    hit = page.eval("[...document.querySelector('#findings-list .finding .src .hit').childNodes].map(n => n.textContent)")
    assert hit == [str(first["line"]), lines[first["line"] - 1]]
    pairs, heat = matrix_expectations()
    assert sorted(page.eval(HEAT_JS)) == heat
    assert sorted(page.eval(ALL_PAIRS_JS)) == pairs
    assert_offline_and_clean(page, path)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(OUTPUT / "html-report-seed.png")
    page.close()


PATCHES_JS = """[...document.querySelectorAll('#findings-list .finding')].map(a => {
  const p = a.querySelector('.patch');
  return p && [p.getAttribute('data-safety'), p.querySelector('figcaption .title').textContent,
               [...p.querySelectorAll('pre.diff span')].map(s => s.textContent).join('')];
})"""


def test_fixes_are_shown_next_to_the_source_lines(browser: Browser, pages: Path) -> None:
    """With --show-fixes, each finding that has a proved fix shows it (safety, title, the unified
    diff as text), as the JSON report gives it; the others show none; without the flag, none."""
    path = pages / "check-fixes.html"
    page = opened(browser, path)
    report = json.loads(cli(["check", EXAMPLES, "-f", "json", "--show-fixes"]))
    expected = [[f["fix"]["safety"], f["fix"]["title"], f["fix"]["diff"]] if "fix" in f else None for f in report["findings"]]
    assert any(expected) and not all(expected)  # the seed has findings with and without a fix
    assert page.eval(PATCHES_JS) == expected
    # the patch sits beside the finding's own source lines, its added lines marked as such
    assert page.eval("[...document.querySelectorAll('.finding .code.two')].every(c => c.querySelector('.src') && c.querySelector('.patch'))")
    added = page.eval("[...document.querySelectorAll('.patch .add')].map(s => s.textContent)")
    assert added and all(line.startswith("+") and not line.startswith("+++") for line in added)
    assert_offline_and_clean(page, path)
    page.close()
    plain = opened(browser, pages / "check.html")
    assert plain.eval("document.querySelectorAll('.patch').length") == 0
    plain.close()


def test_filters_keyboard_and_explanation(browser: Browser, pages: Path) -> None:
    page = opened(browser, pages / "check.html")
    report = json.loads(cli(["check", EXAMPLES, "-f", "json"]))
    # severity filter: without errors, exactly the warnings and infos remain
    page.eval("document.getElementById('filter-error').click()")
    codes = page.eval("[...document.querySelectorAll('#findings-list .finding')].map(a => a.getAttribute('data-code'))")
    assert codes == [f["code"] for f in report["findings"] if f["severity"] != "error"]
    # rule filter
    page.eval("const s = document.getElementById('filter-rule'); s.value = 'PL404'; s.dispatchEvent(new Event('change'))")
    assert page.eval("document.querySelectorAll('#findings-list .finding').length") == \
        sum(1 for f in report["findings"] if f["code"] == "PL404")
    # keyboard: the grid's first cell takes focus, arrows move, Enter selects
    page.eval("""(() => { const td = document.querySelector('#heatmap td[tabindex="0"]'); td.focus();
        const key = k => document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
        key('ArrowRight'); key('Enter'); })()""")
    selected = page.eval("[...document.querySelectorAll('#heatmap td[aria-selected=true]')]"
                         ".map(td => [td.getAttribute('data-from'), td.getAttribute('data-to')])")
    assert selected == [["data-services", "kube-system"]]
    # a pair's explanation is the one `policylint reach` gives
    page.eval("document.querySelector('#pair-list tr[data-from]').click()")
    shown = page.eval("document.getElementById('explanation-text').textContent")
    src, dst = "data-services/feature-store[Deployment]", "kube-system/coredns[Deployment]"
    assert shown == run(["reach", EXAMPLES, "--from", src, "--to", dst]).stdout.rstrip("\n")
    page.close()


def test_training_jobs_view(browser: Browser, pages: Path) -> None:
    page = opened(browser, pages / "check.html")
    report = json.loads(cli(["check", EXAMPLES, "-f", "json"]))
    chips = page.eval("Object.fromEntries([...document.querySelectorAll('[data-job] .chip')]"
                      ".map(c => [c.getAttribute('data-code'), c.getAttribute('data-status')]))")
    failing = {f["code"] for f in report["findings"] if f["code"].startswith("PL5")}
    assert failing and {c for c, s in chips.items() if s == "fail"} == failing
    assert {c for c, s in chips.items() if s == "pass"} == set(chips) - failing
    assert page.eval("document.querySelector('[data-job]').getAttribute('data-job')") == "PyTorchJob ml-workloads/bert-pretrain"
    # the seed's policy isolates both directions of the job with no valid rule for its peers
    peers = page.eval("[...document.querySelectorAll('[data-part=\"Between its pods\"] tbody tr')].map(r => r.cells[2].textContent)")
    assert len(peers) == 4 and all("nothing" in cell for cell in peers)
    page.close()


def test_matrix_page_equals_the_matrix_json(browser: Browser, pages: Path) -> None:
    path = pages / "matrix.html"
    page = opened(browser, path)
    pairs, heat = matrix_expectations()
    assert sorted(page.eval(HEAT_JS)) == heat
    assert sorted(page.eval(ALL_PAIRS_JS)) == pairs
    assert page.eval("document.getElementById('findings')") is None
    # the graph: a namespace opens into its workloads and back
    page.eval("document.querySelector('#graph .node[data-group=\"data-services\"]').dispatchEvent(new MouseEvent('click'))")
    assert page.eval("document.getElementById('ego-title').textContent") == "Connections of namespace data-services"
    page.eval("document.getElementById('graph-back').click()")
    assert page.eval("document.querySelectorAll('#graph .node').length") == len({h[0] for h in heat} | {h[1] for h in heat} | {"ml-workloads"})
    assert_offline_and_clean(page, path)
    page.close()


def test_diff_page_equals_the_diff_json(browser: Browser, pages: Path) -> None:
    path = pages / "diff.html"
    page = opened(browser, path)
    diff = json.loads(cli(["diff", DIFF_OLD, DIFF_NEW, "-f", "json"]))
    cards = page.eval("Object.fromEntries([...document.querySelectorAll('#summary-cards [data-count]')]"
                      ".map(c => [c.getAttribute('data-count'), +c.querySelector('.n').textContent]))")
    assert cards == diff["summary"]["connections"]
    rows = page.eval("[...document.querySelectorAll('#all-changes tr[data-change]')].map(r => "
                     "[r.getAttribute('data-change'), r.getAttribute('data-from'), r.getAttribute('data-to')])")
    assert rows == [[c["change"], c["from"], c["to"]] for c in diff["connections"]]
    fixed = page.eval("[...document.querySelectorAll('#findings-list .finding .tag.fixed')].length")
    assert fixed == sum(diff["summary"]["findings"]["fixed"].values())
    assert_offline_and_clean(page, path)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(OUTPUT / "html-diff-seed-fix.png")
    page.close()


def test_hostile_names_stay_text(browser: Browser, tmp_path: Path) -> None:
    """Names, labels and file names that are markup reach the page as text and run nothing."""
    folder = tmp_path / "in"
    folder.mkdir()
    manifest = folder / "<img src=x onerror=window.pwned=2>.yaml"
    manifest.write_text(f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: "{HOSTILE}"
  namespace: "<b>ns</b>"
spec:
  podSelector:
    matchLabels: {{app: "{HOSTILE}"}}
  ingress:
  - from:
    - ipBlock: {{cidr: "</script>"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: "<svg onload=window.pwned=3>", namespace: "<b>ns</b>", labels: {{app: "{HOSTILE}"}}}}
spec: {{containers: [{{name: c, image: x}}]}}
""", encoding="utf-8")
    path = tmp_path / "hostile.html"
    result = run(["check", str(folder), "-f", "html", "-o", str(path)])
    assert result.exit_code == 1
    report = json.loads(cli(["check", str(folder), "-f", "json"]))
    page = opened(browser, path)
    assert page.eval("typeof window.pwned") == "undefined"
    assert page.eval("document.querySelectorAll('#main script, #main img').length") == 0
    assert page.eval("[...document.querySelectorAll('#main *')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))"
                     " || (e.tagName === 'B' && e.textContent === 'ns')).length") == 0
    messages = page.eval("[...document.querySelectorAll('#findings-list .msg')].map(m => m.textContent)")
    assert messages == [f["message"] for f in report["findings"]]
    assert any(HOSTILE in m for m in messages)
    assert page.eval("[...document.querySelectorAll('#findings-list .file')].map(s => s.getAttribute('data-file'))") == \
        sorted({f["file"] for f in report["findings"]}, key=[f["file"] for f in report["findings"]].index)
    assert page.eval("document.querySelector('#heatmap th.row').textContent") == "<b>ns</b>"
    assert_offline_and_clean(page, path)
    page.close()


CHANGED_CELLS_JS = """Object.fromEntries([...document.querySelectorAll(%r)].map(n => [
  n.getAttribute('data-from') + ' -> ' + n.getAttribute('data-to'),
  Object.fromEntries(n.getAttribute('data-change-kinds').split(' ').map(kv => [kv.split(':')[0], +kv.split(':')[1]]))]))"""


def change_cells(diff: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The JSON diff's changes counted by kind per namespace pair (external ranges as one group)."""
    group = {e["id"]: e.get("namespace") or "(external)" for e in diff["endpoints"]}
    out: dict[str, dict[str, int]] = {}
    for c in diff["connections"]:
        kinds = out.setdefault(f"{group[c['from']]} -> {group[c['to']]}", {})
        kinds[c["change"]] = kinds.get(c["change"], 0) + 1
    return out


def test_diff_marks_every_change_on_the_heat_map_and_the_graph(browser: Browser, pages: Path) -> None:
    """The every-kind fixture changes three policies so that each kind of change happens, by hand:
    db takes 5433 too from `app` (widened, web and api), and 5432 from `ops` (added, mon);
    api keeps only 8080 from its namespace (narrowed, web and api) and drops `ops` (removed, mon);
    mon moves from 9090 to 9091 for `app` (changed, web and api)."""
    path = pages / "diff-kinds.html"
    page = opened(browser, path)
    diff = json.loads(cli(["diff", KINDS_OLD, KINDS_NEW, "-f", "json"]))
    by_hand = {"app -> data": {"widened": 2}, "ops -> data": {"added": 1}, "app -> app": {"narrowed": 2},
               "ops -> app": {"removed": 1}, "app -> ops": {"changed": 2}}
    assert change_cells(diff) == by_hand
    assert page.eval(CHANGED_CELLS_JS % "#heatmap td[data-changes]") == by_hand
    assert page.eval(CHANGED_CELLS_JS % "#graph .edgeg.chg") == by_hand
    # every mark says its kind in text (a glyph and a count), not by colour alone
    marks = page.eval("[...document.querySelectorAll('#heatmap td[data-changes] .mark')].map(m => [m.getAttribute('data-kind'), m.textContent])")
    glyph = {"added": "+", "removed": "\u2212", "widened": "\u25b2", "narrowed": "\u25bc", "changed": "\u00b1"}
    assert sorted(marks) == sorted([k, glyph[k] + str(n)] for kinds in by_hand.values() for k, n in kinds.items())
    # the heat map under the marks is the new version's connectivity
    summary = json.loads(cli(["matrix", KINDS_NEW, "-f", "json", "--aggregate", "namespace"]))
    assert sorted(page.eval(HEAT_JS)) == sorted([c["from"], c["to"], c["pairs"]] for c in summary["connections"])
    # a changed edge is reached with the keyboard; Enter selects its cell, which lists its changes
    page.eval("document.querySelector('#graph .edgeg.chg[data-from=\"ops\"][data-to=\"app\"]').focus()")
    page.press("Enter")
    assert page.eval("[...document.querySelectorAll('#heatmap td[aria-selected=true]')].map(td => td.getAttribute('data-from') + ' -> ' + td.getAttribute('data-to'))") == ["ops -> app"]
    rows = page.eval("[...document.querySelectorAll('#change-list tr[data-change]')].map(r => [r.getAttribute('data-change'), r.getAttribute('data-from'), r.getAttribute('data-to')])")
    assert rows == [[c["change"], c["from"], c["to"]] for c in diff["connections"] if c["from"].startswith("ops/") and c["to"].startswith("app/")]
    # the namespace `ops` opened in the graph: mon's edges out (added to db; removed to api, drawn
    # although nothing is allowed now) and in (changed from web and api), each marked
    page.eval("document.querySelector('#graph .node[data-group=\"ops\"]').dispatchEvent(new MouseEvent('click'))")
    ego = page.eval("[...document.querySelectorAll('#graph g.chg[data-change]')].map(g => [g.getAttribute('data-change'), g.querySelector('title').textContent.split(':')[0]])")
    assert sorted(ego) == [["added", "ops/mon[Deployment] \u2192 data/db[Deployment]"],
                           ["changed", "app/api[Deployment] \u2192 ops/mon[Deployment]"],
                           ["changed", "app/web[Deployment] \u2192 ops/mon[Deployment]"],
                           ["removed", "ops/mon[Deployment] \u2192 app/api[Deployment]"]]
    page.eval("document.getElementById('graph-back').click()")
    # the legend: one toggle per kind, in the tab order; Enter hides that kind's marks and says so
    page.eval("document.querySelector('.legend.changes button[data-kind=\"narrowed\"]').focus()")
    page.press("Enter")
    assert page.eval("document.querySelector('.legend.changes button[data-kind=\"narrowed\"]').getAttribute('aria-pressed')") == "false"
    visible = page.eval("[...document.querySelectorAll('#heatmap .mark')].filter(m => m.offsetParent !== null).map(m => m.getAttribute('data-kind'))")
    assert sorted(visible) == ["added", "changed", "removed", "widened"]
    page.press("Enter")
    assert page.eval("[...document.querySelectorAll('#heatmap .mark')].filter(m => m.offsetParent !== null).length") == 5
    rows = page.eval("[...document.querySelectorAll('#all-changes tr[data-change]')].map(r => [r.getAttribute('data-change'), r.getAttribute('data-from'), r.getAttribute('data-to')])")
    assert rows == [[c["change"], c["from"], c["to"]] for c in diff["connections"]]
    assert_offline_and_clean(page, path)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(OUTPUT / "html-diff-every-kind.png")
    page.close()


FOCUSED_JS = """(() => {
  const a = document.activeElement;
  if (a.id && a.id.startsWith('filter-')) return 'filter:' + a.id;
  if (a.classList.contains('finding')) return 'finding:' + a.getAttribute('data-index');
  if (a.closest('#heatmap')) return 'heatmap:' + a.getAttribute('data-from') + ' -> ' + a.getAttribute('data-to');
  if (a.classList.contains('node') && a.closest('#graph')) return 'node:' + a.getAttribute('data-group');
  if (a.closest('#graph-text')) return 'graph-text';
  if (a.closest('#jobs')) return 'jobs';
  return 'other:' + a.tagName;
})()"""


def test_the_keyboard_reaches_filters_findings_cells_and_nodes(browser: Browser, pages: Path) -> None:
    """Real Tab presses from the first severity box: every filter, every finding, the heat map
    (one stop: arrows move inside), every namespace of the graph, in that order; Enter on a
    heat-map cell and on a graph node opens it, and closing the namespace gives the focus back."""
    page = opened(browser, pages / "check.html")
    report = json.loads(cli(["check", EXAMPLES, "-f", "json"]))
    _, heat = matrix_expectations()
    page.eval("document.getElementById('filter-error').focus()")
    stops = [page.eval(FOCUSED_JS)]
    while stops[-1] != "jobs" and len(stops) < 100:
        page.press("Tab")
        stops.append(page.eval(FOCUSED_JS))
    groups = sorted({h[0] for h in heat} | {h[1] for h in heat} | {"ml-workloads"}, key=lambda g: (g == "(external)", g))
    expected = ([f"filter:filter-{k}" for k in ("error", "warning", "info", "rule", "namespace", "text")]
                + [f"finding:{i}" for i in range(len(report["findings"]))]
                + [f"heatmap:{groups[0]} -> {groups[0]}"] + [f"node:{g}" for g in groups] + ["graph-text", "jobs"])
    assert [s for s in stops if not s.startswith("other:")] == expected
    # inside the heat map: arrows move, Enter selects and lists the pairs of the cell
    page.eval("document.querySelector('#heatmap td[tabindex=\"0\"]').focus()")
    page.press("ArrowDown")
    page.press("ArrowRight")
    page.press("Enter")
    selected = page.eval("[...document.querySelectorAll('#heatmap td[aria-selected=true]')].map(td => td.getAttribute('data-from') + ' -> ' + td.getAttribute('data-to'))")
    assert selected == [f"{groups[1]} -> {groups[1]}"]
    assert page.eval("document.getElementById('pair-detail').querySelector('h3').textContent") == f"{groups[1]} \u2192 {groups[1]}"
    # a namespace of the graph: Enter opens its workloads and puts the focus on the way back
    page.eval(f"document.querySelector('#graph .node[data-group=\"{groups[1]}\"]').focus()")
    page.press("Enter")
    assert page.wait_for("document.activeElement.id === 'graph-back'")
    assert page.eval("document.getElementById('ego-title').textContent") == f"Connections of namespace {groups[1]}"
    page.press("Enter")
    assert page.eval(FOCUSED_JS) == f"node:{groups[1]}"
    page.close()


def test_text_alternatives_of_the_pictures(browser: Browser, pages: Path) -> None:
    """Every heat-map cell says in words what it shows; the graph has a title, a description and
    a list of its connections, which equals the heat map's non-empty cells."""
    page = opened(browser, pages / "check.html")
    _, heat = matrix_expectations()
    labels = page.eval("Object.fromEntries([...document.querySelectorAll('#heatmap td')].map(td => [td.getAttribute('data-from') + ' -> ' + td.getAttribute('data-to'), td.getAttribute('aria-label')]))")
    for src, dst, pairs in heat:
        assert labels.pop(f"{src} -> {dst}").startswith(f"{src} to {dst}: {pairs} of ")
    assert labels and all(label.endswith(": nothing allowed") for label in labels.values())
    assert page.eval("document.getElementById('heatmap').getAttribute('aria-label')")
    assert page.eval("document.querySelector('#graph svg').getAttribute('role')") == "img"
    assert page.eval("document.getElementById('graph-title').textContent") == "Connectivity between namespaces"
    assert page.eval("document.getElementById('graph-desc').textContent")
    said = page.eval("[...document.querySelectorAll('#graph-text li')].map(li => [li.getAttribute('data-from'), li.getAttribute('data-to'), li.textContent])")
    assert sorted([s, d] for s, d, _ in said) == sorted([s, d] for s, d, _ in heat)
    for s, d, text in said:
        pairs = next(p for hs, hd, p in heat if (hs, hd) == (s, d))
        assert text.startswith(f"{s} \u2192 {d}: {pairs} pair")
    page.close()


VISIBLE_JS = """(selector) => [...document.querySelectorAll(selector)].filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
}).length"""


def test_print_keeps_the_report_and_drops_the_controls(browser: Browser, pages: Path) -> None:
    """Under print media (emulated as the print preview applies it): the summary, every finding
    with its source lines, the heat map with its legend and the graph are on paper; navigation,
    filters, paging buttons and the prompt to select a cell are not."""
    page = opened(browser, pages / "check.html")
    report = json.loads(cli(["check", EXAMPLES, "-f", "json"]))

    def visible(selector: str) -> int:
        return page.eval(f"({VISIBLE_JS})({json.dumps(selector)})")

    assert visible(".top") == 1 and visible(".filters") == 1 and visible("#pair-detail > .empty") == 1
    page.media("print")
    try:
        assert visible(".top") == 0 and visible(".filters") == 0 and visible("button.more") == 0
        assert visible("#pair-detail > .empty") == 0
        assert visible("#summary-cards .card") == 8
        assert visible("#findings-list .finding") == len(report["findings"])
        assert visible("#findings-list .finding .src") == sum(1 for f in report["findings"] if Path(f["file"]).is_file())
        assert visible("#heatmap") == 1 and visible(".legend") >= 1 and visible("#graph svg") == 1
        assert visible("[data-job]") >= 1
    finally:
        page.media("")
    page.close()


def test_a_big_heat_map_draws_its_rows_when_needed(browser: Browser, tmp_path: Path) -> None:
    """45 namespaces of one workload each and no policy: every pair is allowed. The heat map draws
    its first 40 rows at once and the others when reached with the keyboard, scrolled to, or asked
    for; drawn in full it equals the JSON matrix."""
    folder = tmp_path / "many"
    folder.mkdir()
    docs = []
    for i in range(45):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{i:02d}}}\n---\n"
                    f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ns{i:02d}, labels: {{app: p}}}}\n"
                    "spec: {containers: [{name: c, image: x}]}\n")
    (folder / "all.yaml").write_text("---\n".join(docs), encoding="utf-8")
    path = write(tmp_path, "many.html", ["matrix", str(folder), "-f", "html"])
    summary = json.loads(cli(["matrix", str(folder), "-f", "json", "--aggregate", "namespace"]))
    groups = sorted({c["from"] for c in summary["connections"]} | {c["to"] for c in summary["connections"]},
                    key=lambda g: (g == "(external)", g))
    assert len(groups) == 46  # 45 namespaces and the external ranges
    page = opened(browser, path)
    rows = "document.querySelectorAll('#heatmap tbody tr:not(.lazy)').length"
    assert page.eval(rows) == 40
    # the keyboard: ArrowDown from the last row drawn draws the next ones and moves there
    page.eval("document.querySelector('#heatmap td[tabindex=\"0\"]').focus()")
    for _ in range(40):
        page.press("ArrowDown")
    assert page.eval("document.activeElement.getAttribute('data-from')") == groups[40]
    assert page.eval(rows) == 46
    assert sorted(page.eval(HEAT_JS)) == sorted([c["from"], c["to"], c["pairs"]] for c in summary["connections"])
    page.close()
    # scrolled to: the row that stands for the others draws them when it comes into view
    page = opened(browser, path)
    page.eval("document.querySelector('#heatmap tr.lazy').scrollIntoView()")
    assert page.wait_for(f"{rows} === 46")
    page.close()
    # asked for: its button, with the keyboard
    page = opened(browser, path)
    assert page.eval("document.querySelector('#heatmap tr.lazy button').textContent") == "Show the other 6 rows"
    page.eval("document.querySelector('#heatmap tr.lazy button').focus()")
    page.press("Enter")
    assert page.eval(rows) == 46 and page.eval("document.querySelector('#heatmap tr.lazy')") is None
    page.close()


@pytest.mark.parametrize("args", [
    ["check", EXAMPLES, "-f", "html", "--show-fixes"],
    ["matrix", EXAMPLES, "-f", "html"],
    ["diff", KINDS_OLD, KINDS_NEW, "-f", "html"],
], ids=["check", "matrix", "diff"])
def test_pages_are_byte_identical_across_processes(args: list[str]) -> None:
    """Two processes with different string hashing (set and dict orders that depend on it would
    show) write the same bytes."""
    import subprocess
    import sys

    def page(seed: str) -> bytes:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "policylint", *args], cwd=ROOT, env=env, capture_output=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        return done.stdout

    first = page("1")
    assert first.startswith(b"<!DOCTYPE html>") and first == page("2")


def test_ports_unknown_offline_are_listed_apart_as_in_the_json(browser: Browser, tmp_path: Path) -> None:
    from tests.test_tier_matrix import CLUSTER

    (tmp_path / "cluster.yaml").write_text(CLUSTER, encoding="utf-8")
    matrix = json.loads(cli(["matrix", str(tmp_path / "cluster.yaml"), "-f", "json"]))
    path = write(tmp_path, "tiers.html", ["matrix", str(tmp_path / "cluster.yaml"), "-f", "html"])
    page = opened(browser, path)
    shown = page.eval("""(() => {
      const table = document.getElementById('unknown-list');
      let more;
      while ((more = table.closest('div').parentElement.querySelector(':scope > button.more'))) more.click();
      return [...document.querySelectorAll('#unknown-list tr[data-from]')]
        .map(tr => [tr.getAttribute('data-from'), tr.getAttribute('data-to'), tr.getAttribute('data-ports')]);
    })()""")
    assert sorted(shown) == sorted([c["from"], c["to"], describe(c["ports"])] for c in matrix["unknown"])
    assert ["y/b", "x/a", "all ports"] in shown  # hand-derived in tests/test_tier_matrix.py
    # never among the allowed pairs
    allowed = {(c["from"], c["to"]) for c in matrix["connections"]}
    assert ("y/b", "x/a") not in allowed
    assert_offline_and_clean(page, path)
    page.close()


def test_a_page_without_cluster_wide_rules_has_no_unknown_section(browser: Browser, pages: Path) -> None:
    page = opened(browser, pages / "matrix.html")
    assert page.eval("document.getElementById('unknown-list')") is None
    page.close()
