(function () {
  "use strict";
  // Everything from the input reaches the page through textContent and setAttribute: never as markup.
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("policylint-data").textContent);
  // milliseconds per part, on the page for the benchmark (bench/html_load.py) to read
  var timings = { parse: Math.round(performance.now() - T0) };
  function timed(name, f) { var t = performance.now(); var r = f(); timings[name] = Math.round(performance.now() - t); return r; }
  var main = document.getElementById("main");
  var nav = document.getElementById("nav");
  var SVGNS = "http://www.w3.org/2000/svg";
  var PAGE = 200;
  var GRID_ROWS = 40;  // rows of a grid drawn at first; the others when needed

  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k === "on") Object.keys(v).forEach(function (e) { node.addEventListener(e, v[e]); });
      else node.setAttribute(k, String(v));
    });
  }
  function add(node, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(node, k); }); return; }
    node.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function short(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }
  function section(id, title, sub) {
    var s = el("section", { "class": "view", id: id, "aria-labelledby": id + "-h" },
      el("h2", { id: id + "-h", text: title }), sub ? el("p", { "class": "sub", text: sub }) : null);
    nav.appendChild(el("a", { href: "#" + id, text: title }));
    main.appendChild(s);
    return s;
  }
  function card(n, label, cls) {
    return el("div", { "class": "card " + (cls || "") }, el("span", { "class": "n", text: fmt(n) }), el("span", { "class": "k", text: label }));
  }
  var SEVERITIES = ["error", "warning", "info"];
  var SEV_GLYPH = { error: "\u2716", warning: "\u25B2", info: "\u25CF" };
  var KIND_GLYPH = { added: "+", removed: "\u2212", widened: "\u25B2", narrowed: "\u25BC", changed: "\u00B1" };
  var KINDS = ["added", "removed", "widened", "narrowed", "changed"];
  var KIND_DASH = { added: null, removed: "2 4", widened: "10 4", narrowed: "4 3", changed: "10 3 2 3" };
  function kindsOf(cell) { return KINDS.filter(function (k) { return cell.kinds[k]; }); }
  function dominant(cell) { return KINDS.slice().sort(function (a, b) { return (cell.kinds[b] || 0) - (cell.kinds[a] || 0) || KINDS.indexOf(a) - KINDS.indexOf(b); })[0]; }
  function describeKinds(cell) { return kindsOf(cell).map(function (k) { return cell.kinds[k] + " " + k; }).join(", "); }
  // The changes of a diff by namespace pair (indexes of the connectivity's groups) and by workload pair.
  function Overlay(groups, E, changes) {
    var gIndex = {}; groups.forEach(function (g, i) { gIndex[g] = i; });
    var cells = {}, pairs = {};
    changes.forEach(function (c, i) {
      var key = gIndex[E[c[1]][1]] + "," + gIndex[E[c[2]][1]];
      var cell = cells[key] || (cells[key] = { n: 0, kinds: {}, list: [] });
      cell.n++; cell.kinds[c[0]] = (cell.kinds[c[0]] || 0) + 1; cell.list.push(i);
      pairs[E[c[1]][0] + "\u0000" + E[c[2]][0]] = c[0];
    });
    return { cells: cells, pairs: pairs, E: E, changes: changes };
  }
  // A change marker: glyph and count, as text (colour only repeats it)
  function marks(cell) {
    return el("span", { "class": "marks" }, kindsOf(cell).map(function (k) {
      return el("span", { "class": "mark k-" + k, "data-kind": k, text: KIND_GLYPH[k] + cell.kinds[k] });
    }));
  }
  function changeRows(E, indexes) {
    return indexes.map(function (i) {
      var c = D.changes[i];
      return { cells: [KIND_GLYPH[c[0]] + " " + c[0], E[c[1]][0], E[c[2]][0], c[3], c[4], c[7].join("\n")], classes: ["nowrap", "mono", "mono", null, null, "mono pre"],
        attrs: { "data-change": c[0], "data-from": E[c[1]][0], "data-to": E[c[2]][0] } };
    });
  }
  var CHANGE_COLUMNS = ["Change", "From", "To", "Before", "After", "Because"];
  // The legend of the change marks: each kind a toggle button (shows or hides its marks)
  function changeLegend(scope, counts) {
    return el("div", { "class": "legend changes", role: "group", "aria-label": "Kinds of change (toggle their marks)" }, "changes:",
      KINDS.map(function (k) {
        var b = el("button", { type: "button", "class": "kind", "data-kind": k, "aria-pressed": "true",
          on: { click: function () {
            var on = b.getAttribute("aria-pressed") !== "true";
            b.setAttribute("aria-pressed", on ? "true" : "false");
            scope.classList.toggle("hide-" + k, !on);
          } } },
          el("span", { "class": "mark k-" + k, text: KIND_GLYPH[k] }),
          svg("svg", { "class": "dash", width: "28", height: "10", "aria-hidden": "true" },
            svg("line", { x1: "0", y1: "5", x2: "28", y2: "5", "class": "edge chg k-" + k, "stroke-dasharray": KIND_DASH[k] })),
          " " + k + " (" + (counts[k] || 0) + ")");
        return b;
      }));
  }

  // ---- summary -------------------------------------------------------------------------------
  function summaryView() {
    var s = D.summary;
    var sec = section("summary", "Summary");
    var verdict = s.failed ? el("span", { "class": "verdict fail", text: "fails at " + s.fail_on })
      : el("span", { "class": "verdict ok", text: "passes at " + s.fail_on });
    sec.appendChild(el("p", { "class": "sub" }, "policylint " + D.tool + " check", verdict));
    sec.appendChild(el("div", { "class": "cards", id: "summary-cards" },
      SEVERITIES.map(function (sev) {
        var c = card(s.findings[sev], sev === "info" ? "infos" : sev + "s", sev);
        c.setAttribute("data-count", sev); return c;
      }),
      [["files", "files"], ["objects", "objects"], ["namespaces", "namespaces"], ["workloads", "workloads"], ["policies", "policies"]].map(function (k) {
        var c = card(s[k[0]], k[1]); c.setAttribute("data-count", k[0]); return c;
      })));
    if (s.not_analysed.length) {
      sec.appendChild(el("div", { "class": "note", id: "not-analysed" },
        el("b", { text: "Not evaluated (" + s.not_analysed.length + "): " }),
        "these policy kinds change connectivity but are not part of the answers below: ",
        s.not_analysed.join(", ")));
    }
  }

  // ---- findings ------------------------------------------------------------------------------
  function findingNode(f, index) {
    var node = el("article", { "class": "finding " + f.severity, tabindex: "0", "data-code": f.code, "data-index": index,
      "data-severity": f.severity, "data-line": f.line, "aria-label": f.severity + " " + f.code + " at line " + f.line + ": " + f.message },
      el("div", { "class": "head" },
        el("span", { "class": "sev " + f.severity, text: SEV_GLYPH[f.severity] + " " + f.severity }),
        f.diff ? el("span", { "class": "tag " + f.diff, text: f.diff }) : null,
        el("span", { "class": "rule mono", text: f.code + " " + f.name }),
        el("span", { "class": "loc mono", text: "line " + f.line + ":" + f.column })),
      el("p", { "class": "msg", text: f.message }),
      (f.object || f.field) ? el("div", { "class": "meta" }, f.object ? f.object : "", f.field ? el("span", { "class": "mono", text: "  " + f.field }) : null) : null);
    var code = el("div", { "class": f.source && f.patch ? "code two" : "code" });
    if (f.source) {
      var first = f.source[0], end = Math.max(f.line, f.end_line || f.line);
      code.appendChild(el("div", { "class": "src", role: "figure", "aria-label": "source lines " + first + " to " + (first + f.source[1].length - 1) },
        f.source[1].map(function (text, i) {
          var n = first + i;
          return el("div", { "class": n >= f.line && n <= end ? "hit" : null }, el("span", { "class": "ln", text: n }), text);
        })));
    }
    if (f.patch) code.appendChild(patchNode(f.patch));
    if (code.firstChild) node.appendChild(code);
    if (f.fix) node.appendChild(el("p", { "class": "fix" }, el("b", { text: "Fix: " }), f.fix));
    if (f.related.length) {
      node.appendChild(el("ul", { "class": "related" }, f.related.map(function (r) {
        return el("li", {}, el("span", { "class": "mono", text: r[0] + ":" + r[1] }), " " + r[2]);
      })));
    }
    return node;
  }

  // A proved fix (check --show-fixes) as its unified diff: each line marked by a glyph and a class,
  // so that added and removed lines read the same without colour.
  function patchNode(p) {
    var lines = p.diff ? p.diff.replace(/\n$/, "").split("\n") : [];
    return el("figure", { "class": "patch", "data-safety": p.safety, "aria-label": "proposed fix: " + p.title },
      el("figcaption", {}, el("b", { text: "Proposed fix" }), " (" + p.safety + "): ", el("span", { "class": "title", text: p.title })),
      lines.length ? el("pre", { "class": "diff" }, lines.map(function (line) {
        var c = line.charAt(0), cls = line.indexOf("@@") === 0 ? "hunk" : line.indexOf("+++") === 0 || line.indexOf("---") === 0 ? "fname"
          : c === "+" ? "add" : c === "-" ? "del" : null;
        return el("span", { "class": cls, text: line + "\n" });
      })) : el("p", { "class": "empty", text: "Applies after another fix; run policylint fix to see it." }));
  }

  function findingsView(findings, title, sub) {
    var sec = section("findings", title, sub);
    var state = { sev: { error: true, warning: true, info: true }, rule: "", ns: "", text: "", shown: PAGE };
    var codes = {}, namespaces = {};
    findings.forEach(function (f) { codes[f.code] = f.name; if (f.namespace) namespaces[f.namespace] = 1; });
    var ruleSel = el("select", { id: "filter-rule", "aria-label": "Rule" }, el("option", { value: "", text: "all rules" }),
      Object.keys(codes).sort().map(function (c) { return el("option", { value: c, text: c + " " + codes[c] }); }));
    var nsSel = el("select", { id: "filter-namespace", "aria-label": "Namespace" }, el("option", { value: "", text: "all namespaces" }),
      Object.keys(namespaces).sort().map(function (n) { return el("option", { value: n, text: n }); }));
    var search = el("input", { type: "search", id: "filter-text", placeholder: "message, object, file\u2026", "aria-label": "Search findings" });
    var counts = {};
    SEVERITIES.forEach(function (s) { counts[s] = findings.filter(function (f) { return f.severity === s; }).length; });
    var sevBoxes = el("fieldset", {}, el("legend", { text: "Severity" }), SEVERITIES.map(function (s) {
      return el("label", {}, el("input", { type: "checkbox", checked: "checked", id: "filter-" + s, "data-severity": s,
        on: { change: function (e) { state.sev[s] = e.target.checked; state.shown = PAGE; draw(); } } }),
        el("span", { "class": "sev " + s, text: SEV_GLYPH[s] + " " + s }), el("span", { "class": "count", text: "(" + counts[s] + ")" }));
    }));
    var status = el("span", { "class": "count", id: "findings-shown", role: "status", "aria-live": "polite" });
    sec.appendChild(el("div", { "class": "filters", role: "search", "aria-label": "Filter findings" },
      sevBoxes, el("label", {}, "Rule ", ruleSel), el("label", {}, "Namespace ", nsSel), search, status));
    var list = el("div", { id: "findings-list" });
    sec.appendChild(list);
    ruleSel.addEventListener("change", function () { state.rule = ruleSel.value; state.shown = PAGE; draw(); });
    nsSel.addEventListener("change", function () { state.ns = nsSel.value; state.shown = PAGE; draw(); });
    search.addEventListener("input", function () { state.text = search.value.toLowerCase(); state.shown = PAGE; draw(); });
    function keep(f) {
      if (!state.sev[f.severity]) return false;
      if (state.rule && f.code !== state.rule) return false;
      if (state.ns && f.namespace !== state.ns) return false;
      if (state.text && (f.message + " " + (f.object || "") + " " + f.file + " " + f.code + " " + f.name).toLowerCase().indexOf(state.text) < 0) return false;
      return true;
    }
    function draw() {
      clear(list);
      var kept = [];
      findings.forEach(function (f, i) { if (keep(f)) kept.push(i); });
      status.textContent = kept.length === findings.length ? plural(findings.length, "finding") : kept.length + " of " + plural(findings.length, "finding");
      if (!findings.length) { list.appendChild(el("p", { "class": "empty", text: "No findings." })); return; }
      var byFile = null, last = null;
      kept.slice(0, state.shown).forEach(function (i) {
        var f = findings[i];
        if (f.file !== last) {
          last = f.file;
          var n = kept.filter(function (j) { return findings[j].file === f.file; }).length;
          byFile = el("section", { "class": "file", "data-file": f.file }, el("h3", { "class": "mono" }, f.file, el("span", { "class": "count", text: "  " + plural(n, "finding") })));
          list.appendChild(byFile);
        }
        byFile.appendChild(findingNode(f, i));
      });
      if (kept.length > state.shown) {
        list.appendChild(el("button", { "class": "more", text: "Show " + Math.min(PAGE, kept.length - state.shown) + " more of " + fmt(kept.length - state.shown),
          on: { click: function () { state.shown += PAGE; draw(); } } }));
      }
    }
    draw();
    // a printout holds every finding that the filters keep, not the first page of them
    window.addEventListener("beforeprint", function () { if (state.shown < findings.length) { state.shown = findings.length; draw(); } });
    return { filterRule: function (code) { ruleSel.value = code; state.rule = code; state.shown = PAGE; draw(); } };
  }

  // ---- shared: grids with keyboard navigation -------------------------------------------------
  // An ARIA grid: one cell is in the tab order; arrows, Home/End move; Enter or Space selects.
  function grid(label, rowNames, colNames, cellFor, onSelect, id) {
    var table = el("table", { "class": "grid", role: "grid", "aria-label": label, id: id });
    var head = el("tr", {}, el("th", { "class": "corner", scope: "col", text: "from \\ to" }));
    colNames.forEach(function (c) { head.appendChild(el("th", { "class": "col", scope: "col", title: c, text: short(c, 28) })); });
    table.appendChild(el("thead", {}, head));
    var body = el("tbody");
    var cells = [];
    // A big grid (a heat map of a hundred namespaces has ten thousand cells) draws its first rows
    // and the others when they are scrolled to, asked for, or reached with the keyboard.
    var more = null;
    function drawRows(upto) {
      upto = Math.min(upto, rowNames.length);
      if (more) { more.remove(); more = null; }
      for (var ri = cells.length; ri < upto; ri++) {
        var r = rowNames[ri];
        var tr = el("tr", {}, el("th", { "class": "row", scope: "row", title: r, text: short(r, 40) }));
        cells.push([]);
        for (var ci = 0; ci < colNames.length; ci++) {
          var td = document.createElement("td");
          td.setAttribute("role", "gridcell");
          td.tabIndex = -1;
          td.setAttribute("aria-selected", "false");
          td.ri = ri; td.ci = ci;
          cellFor(td, ri, ci);
          tr.appendChild(td);
          cells[ri].push(td);
        }
        body.appendChild(tr);
      }
      if (cells.length < rowNames.length) {
        var left = rowNames.length - cells.length;
        more = el("tr", { "class": "lazy" }, el("th", { "class": "row", scope: "row" },
          el("button", { type: "button", "class": "more-rows", on: { click: function () { drawRows(rowNames.length); } } },
            "Show the other " + plural(left, "row"))), el("td", { colspan: colNames.length, "class": "s0" }));
        body.appendChild(more);
        if (observer) observer.observe(more);
      }
    }
    var observer = typeof IntersectionObserver === "function" ? new IntersectionObserver(function (entries) {
      entries.forEach(function (x) { if (x.isIntersecting && x.target === more) drawRows(cells.length + GRID_ROWS); });
    }, { rootMargin: "200px" }) : null;
    drawRows(GRID_ROWS);
    table.appendChild(body);
    table.setAttribute("aria-rowcount", String(rowNames.length + 1));
    // one listener for the whole grid; the tooltip is the cell's label, set when the pointer comes
    table.addEventListener("click", function (e) { var td = e.target.closest("td"); if (td && td.ri !== undefined) pick(td.ri, td.ci, true); });
    table.addEventListener("mouseover", function (e) { var td = e.target.closest("td"); if (td && td.ri !== undefined && !td.title) td.title = td.getAttribute("aria-label") || ""; });
    var at = [0, 0], selected = null;
    if (cells.length && cells[0].length) cells[0][0].setAttribute("tabindex", "0");
    function move(ri, ci) {
      if (ri >= cells.length) drawRows(ri + GRID_ROWS);
      cells[at[0]][at[1]].setAttribute("tabindex", "-1");
      at = [ri, ci];
      var td = cells[ri][ci];
      td.setAttribute("tabindex", "0");
      td.focus();
    }
    function pick(ri, ci, focus) {
      if (ri >= cells.length) drawRows(ri + GRID_ROWS);
      if (focus) move(ri, ci);
      if (selected) selected.setAttribute("aria-selected", "false");
      selected = cells[ri][ci];
      selected.setAttribute("aria-selected", "true");
      onSelect(ri, ci, selected);
    }
    table.addEventListener("keydown", function (e) {
      if (!cells.length || e.target.tagName !== "TD") return;
      var r = at[0], c = at[1], rows = rowNames.length, cols = colNames.length;
      switch (e.key) {
        case "ArrowRight": c = Math.min(cols - 1, c + 1); break;
        case "ArrowLeft": c = Math.max(0, c - 1); break;
        case "ArrowDown": r = Math.min(rows - 1, r + 1); break;
        case "ArrowUp": r = Math.max(0, r - 1); break;
        case "Home": c = 0; break;
        case "End": c = cols - 1; break;
        case "Enter": case " ": pick(r, c, false); e.preventDefault(); return;
        default: return;
      }
      e.preventDefault();
      move(r, c);
    });
    // a printout holds every row
    window.addEventListener("beforeprint", function () { drawRows(rowNames.length); });
    table.pick = pick;
    return table;
  }

  function pairTable(rows, columns, onPick, id) {
    // rows: arrays of cell texts; paged so that a namespace pair of 100,000 workload pairs stays quick
    var wrap = el("div", { "class": "scroll" });
    var shown = PAGE;
    var table = el("table", { "class": "list", id: id });
    function draw() {
      clear(table);
      table.appendChild(el("thead", {}, el("tr", {}, columns.map(function (c) { return el("th", { scope: "col", text: c }); }))));
      var body = el("tbody");
      rows.slice(0, shown).forEach(function (row) {
        var tr = el("tr", { "class": onPick ? "pick" : null, tabindex: onPick ? "0" : null, "aria-selected": onPick ? "false" : null });
        row.cells.forEach(function (text, i) { tr.appendChild(el("td", { "class": row.classes && row.classes[i] ? row.classes[i] : null, text: text })); });
        if (row.attrs) setAttrs(tr, row.attrs);
        if (onPick) {
          var choose = function () {
            Array.prototype.forEach.call(body.querySelectorAll("tr[aria-selected=true]"), function (t) { t.setAttribute("aria-selected", "false"); });
            tr.setAttribute("aria-selected", "true");
            onPick(row);
          };
          tr.addEventListener("click", choose);
          tr.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
        }
        body.appendChild(tr);
      });
      table.appendChild(body);
    }
    draw();
    wrap.appendChild(table);
    var frag = el("div", {}, wrap);
    if (rows.length > shown) {
      var more = el("button", { "class": "more", on: { click: function () {
        shown += PAGE * 5; draw();
        if (rows.length <= shown) more.remove(); else more.textContent = "Show more (" + fmt(rows.length - shown) + " left)";
      } } }, "Show more (" + fmt(rows.length - shown) + " left)");
      frag.appendChild(more);
    }
    if (!rows.length) frag.appendChild(el("p", { "class": "empty", text: "Nothing." }));
    return frag;
  }

  function shellQuote(s) { return /^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'"; }

  // ---- connectivity ---------------------------------------------------------------------------
  function Connectivity(C) {
    var E = C.endpoints, groups = C.groups.map(function (g) { return g[0]; });
    var gIndex = {}; groups.forEach(function (g, i) { gIndex[g] = i; });
    var epGroup = E.map(function (e) { return gIndex[e[1]]; });
    var members = groups.map(function () { return []; });
    E.forEach(function (e, i) { members[epGroup[i]].push(i); });
    var rowOf = {}; C.rows.forEach(function (r, i) { rowOf[r[0]] = i; });
    var summary = {}; C.summary.forEach(function (s) { summary[s[0] + "," + s[1]] = s; });
    function ports(p) { return C.ports[p]; }
    // [[dst, port id]] of a source towards the destinations in a set (or all)
    function row(src, wanted) {
      var at = rowOf[src], out = [];
      if (at === undefined) return out;
      var r = C.cells[C.rows[at][1]];
      for (var k = 0; k < r.length; k += 2) {
        var p = r[k], ranges = C.sets[r[k + 1]];
        for (var j = 0; j < ranges.length; j += 2) {
          for (var d = ranges[j]; d <= ranges[j + 1]; d++) if (!wanted || wanted[d]) out.push([d, p]);
        }
      }
      out.sort(function (a, b) { return a[0] - b[0]; });
      return out;
    }
    function pairs(sg, dg) {
      var wanted = {}; members[dg].forEach(function (d) { wanted[d] = 1; });
      var out = [];
      members[sg].forEach(function (s) { row(s, wanted).forEach(function (x) { out.push([s, x[0], x[1]]); }); });
      return out;
    }
    function explanation(s, d) {
      var X = C.explanations;
      if (X) {
        var lines = X.pairs[s + "," + d];
        if (lines) return lines.map(function (i) { return X.strings[i]; }).join("\n");
        return E[s][0] + " -> " + E[d][0] + ": no explanation (NetworkPolicy does not govern traffic between two external ranges)";
      }
      var out = [E[s][0] + " -> " + E[d][0]], iso = C.isolation;
      [["egress at " + E[s][0], iso[s][0], E[s][2] === "External"], ["ingress at " + E[d][0], iso[d][1], E[d][2] === "External"]].forEach(function (side) {
        if (side[2]) out.push("  " + side[0] + ": an external range, not governed by NetworkPolicy");
        else if (!side[1].length) out.push("  " + side[0] + ": not isolated");
        else out.push("  " + side[0] + ": isolated by " + side[1].map(function (i) { return C.policies[i]; }).join(", "));
      });
      out.push("", "The rule-by-rule explanation of this pair (not embedded for a matrix this size):",
        "  policylint reach PATH\u2026 --from " + shellQuote(E[s][0]) + " --to " + shellQuote(E[d][0]));
      return out.join("\n");
    }
    return { E: E, groups: groups, members: members, summary: summary, ports: ports, row: row, pairs: pairs, explanation: explanation, epGroup: epGroup };
  }

  function shade(allowed, total) {
    if (!allowed) return "s0";
    var f = allowed / total;
    return f >= 1 ? "s4" : f >= 0.5 ? "s3" : f >= 0.25 ? "s2" : "s1";
  }

  function connectivityView(C, title, diff) {
    var K = Connectivity(C);
    var X = diff ? Overlay(K.groups, diff.E, diff.changes) : null;
    var sec = section("connectivity", title, X
      ? "The new version's connectivity, with what the change did marked on it. Rows are sources, columns destinations; a cell counts the workload pairs with something allowed now, and its marks count the pairs added, removed, widened, narrowed or changed. Select a cell for its changes and pairs, then a pair for the reach explanation."
      : "Who may connect to whom. Rows are sources, columns destinations; a cell counts the workload pairs with something allowed. Select a cell for its pairs and ports, then a pair for the reach explanation.");
    sec.appendChild(el("div", { "class": "cards" }, card(K.E.filter(function (e) { return e[2] !== "External"; }).length, "workloads"),
      card(K.E.filter(function (e) { return e[2] === "External"; }).length, "external ranges"), card(K.groups.length, "groups"),
      card(C.summary.reduce(function (a, s) { return a + s[3]; }, 0), "pairs allowed")));
    var legend = el("div", { "class": "legend", "aria-hidden": "true" }, "share of workload pairs allowed:",
      [["s0", "none"], ["s1", "< 25%"], ["s2", "25\u201350%"], ["s3", "50\u201399%"], ["s4", "all"]].map(function (x) {
        return el("span", {}, el("span", { "class": "sw " + x[0] }), x[1]);
      }), el("span", {}, "dashed or red frame: rests on a policy the API server would reject"));
    var detail = el("div", { "class": "box", id: "pair-detail", "aria-live": "polite" }, el("p", { "class": "empty", text: "Select a cell of the heat map or a namespace of the graph." }));
    var explain = el("div", { id: "explanation" });
    var table = grid("Connectivity between namespaces and external ranges", K.groups, K.groups, function (td, ri, ci) {
      var s = K.summary[ri + "," + ci];
      var total = K.members[ri].length * K.members[ci].length;
      var allowed = s ? s[3] : 0;
      td.className = shade(allowed, total) + (allowed ? " on" : "") + (s && s[4] ? " bad" : "");
      td.textContent = allowed ? fmt(allowed) : "";
      td.setAttribute("data-from", K.groups[ri]);
      td.setAttribute("data-to", K.groups[ci]);
      td.setAttribute("data-pairs", allowed);
      td.setAttribute("aria-label", K.groups[ri] + " to " + K.groups[ci] + ": " + (allowed ? fmt(allowed) + " of " + fmt(total) + " pairs allowed, " + K.ports(s[2])[0] : "nothing allowed"));
      var cell = X && X.cells[ri + "," + ci];
      if (cell) {
        td.classList.add("chg", "on");
        td.setAttribute("data-changes", cell.n);
        td.setAttribute("data-change-kinds", kindsOf(cell).map(function (k) { return k + ":" + cell.kinds[k]; }).join(" "));
        td.appendChild(marks(cell));
        td.setAttribute("aria-label", td.getAttribute("aria-label") + "; changed: " + describeKinds(cell));
      }
    }, function (ri, ci) { showPair(ri, ci); }, "heatmap");
    sec.appendChild(legend);
    if (X) {
      var counts = {}; D.changes.forEach(function (c) { counts[c[0]] = (counts[c[0]] || 0) + 1; });
      sec.appendChild(changeLegend(sec, counts));
    }
    var graphBox = el("div", { "class": "box graph", id: "graph" });
    sec.appendChild(el("div", { "class": "panes" }, el("div", { "class": "box scroll" }, table), el("div", {}, detail, explain)));
    sec.appendChild(el("h3", { text: "Graph", style: null }));
    sec.appendChild(graphBox);
    function showPair(sg, dg) {
      clear(explain);
      var list = K.pairs(sg, dg);
      var s = K.summary[sg + "," + dg];
      clear(detail);
      detail.appendChild(el("h3", {}, K.groups[sg], " \u2192 ", K.groups[dg]));
      detail.appendChild(el("p", { "class": "sub", text: s ? fmt(s[3]) + " of " + fmt(K.members[sg].length * K.members[dg].length) + " workload pairs allowed; ports: " + K.ports(s[2])[0]
        : "Nothing allowed between these " + plural(K.members[sg].length * K.members[dg].length, "pair") + "." }));
      var here = X && X.cells[sg + "," + dg];
      if (X) {
        detail.appendChild(el("h3", { text: "Changes here" + (here ? " (" + describeKinds(here) + ")" : "") }));
        detail.appendChild(here ? pairTable(changeRows(X.E, here.list), CHANGE_COLUMNS, null, "change-list") : el("p", { "class": "empty", text: "No change." }));
      }
      var src = K.members[sg], dst = K.members[dg];
      if (src.length <= 30 && dst.length <= 30 && !(K.groups[sg] === "(external)" && K.groups[dg] === "(external)")) {
        // the workload-level matrix of this cell; a blank cell is a pair with nothing allowed
        var lookup = {}; list.forEach(function (x) { lookup[x[0] + "," + x[1]] = x[2]; });
        detail.appendChild(el("div", { "class": "scroll" }, grid("Workloads of " + K.groups[sg] + " to workloads of " + K.groups[dg],
          src.map(function (i) { return K.E[i][3] + " " + K.E[i][2]; }), dst.map(function (i) { return K.E[i][3] + " " + K.E[i][2]; }),
          function (td, ri, ci) {
            var p = lookup[src[ri] + "," + dst[ci]];
            var text = p === undefined ? "" : K.ports(p)[0];
            td.className = (p === undefined ? "s0" : "s2 on") + (p !== undefined && K.ports(p)[2] ? " bad" : "");
            td.textContent = short(text, 14);
            td.setAttribute("aria-label", K.E[src[ri]][0] + " to " + K.E[dst[ci]][0] + ": " + (text || "nothing allowed"));
            var kind = X && X.pairs[K.E[src[ri]][0] + "\u0000" + K.E[dst[ci]][0]];
            if (kind) {
              var one = { kinds: {} }; one.kinds[kind] = 1;
              td.classList.add("chg");
              td.setAttribute("data-change", kind);
              td.appendChild(marks(one));
              td.setAttribute("aria-label", td.getAttribute("aria-label") + "; " + kind);
            }
            td.title = td.getAttribute("aria-label");
          }, function (ri, ci) { showExplanation(src[ri], dst[ci]); }, "workload-grid")));
      }
      detail.appendChild(el("h3", { text: X ? "Pairs with something allowed now" : "Pairs with something allowed" }));
      detail.appendChild(pairTable(list.map(function (x) {
        var p = K.ports(x[2]);
        return { cells: [K.E[x[0]][0], K.E[x[1]][0], p[0] + (p[2] ? " !" : "")], s: x[0], d: x[1],
          attrs: { "data-from": K.E[x[0]][0], "data-to": K.E[x[1]][0], "data-ports": p[0], "data-invalid": p[2] ? "true" : "false" } };
      }), ["From", "To", "Ports"], function (row) { showExplanation(row.s, row.d); }, "pair-list"));
    }
    function showExplanation(s, d) {
      clear(explain);
      explain.appendChild(el("div", { "class": "box" }, el("h3", { text: "Why: " + K.E[s][0] + " \u2192 " + K.E[d][0] }),
        el("pre", { "class": "explain", id: "explanation-text", text: K.explanation(s, d) })));
    }
    graphView(graphBox, K, function (sg, dg) { table.pick(sg, dg, false); table.scrollIntoView({ block: "nearest" }); }, X);
    if (C.unknown && C.unknown.length) {
      // ports a cluster-wide rule may decide but that cannot be judged offline: never counted above
      sec.appendChild(el("h3", { id: "unknown-h", text: "Unknown offline (" + plural(C.unknown.length, "pair") + ")" }));
      sec.appendChild(el("p", { "class": "sub", text: "A cluster-wide rule whose peer cannot be judged from manifests (nodes, domainNames, networks against pods of unknown IP) may decide these ports; they are not counted as allowed. `policylint reach` names the rule." }));
      sec.appendChild(pairTable(C.unknown.map(function (x) {
        var p = K.ports(x[2]);
        return { cells: [K.E[x[0]][0], K.E[x[1]][0], p[0]], attrs: { "data-from": K.E[x[0]][0], "data-to": K.E[x[1]][0], "data-ports": p[0] } };
      }), ["From", "To", "Ports"], null, "unknown-list"));
    }
    return { K: K, showPair: showPair };
  }

  // ---- graph: namespaces on a circle; a namespace opens into its workloads and their neighbours ----
  function graphView(box, K, onEdge, X) {
    var W = 960, H = 620, MAXNODES = 40;
    function draw(focus) {
      clear(box);
      var s;
      if (focus === null) s = overview(); else s = egoGraph(focus);
      box.appendChild(s);
    }
    function marker(root, id, colour) {
      root.appendChild(svg("defs", {}, svg("marker", { id: id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "11", markerHeight: "11", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }))));
    }
    function curve(x1, y1, x2, y2, r1, r2, bend) {
      var dx = x2 - x1, dy = y2 - y1, len = Math.sqrt(dx * dx + dy * dy) || 1;
      var ux = dx / len, uy = dy / len;
      var sx = x1 + ux * r1, sy = y1 + uy * r1, ex = x2 - ux * r2, ey = y2 - uy * r2;
      var mx = (sx + ex) / 2 - uy * bend, my = (sy + ey) / 2 + ux * bend;
      return { d: "M" + sx.toFixed(1) + "," + sy.toFixed(1) + " Q" + mx.toFixed(1) + "," + my.toFixed(1) + " " + ex.toFixed(1) + "," + ey.toFixed(1),
        lx: (sx + 2 * mx + ex) / 4, ly: (sy + 2 * my + ey) / 4 };
    }
    function overview() {
      var degree = K.groups.map(function () { return 0; });
      Object.keys(K.summary).forEach(function (k) { var s = K.summary[k]; degree[s[0]] += s[3]; degree[s[1]] += s[3]; });
      if (X) Object.keys(X.cells).forEach(function (k) {  // namespaces with changes come first
        var ij = k.split(","); degree[+ij[0]] += 1e12; degree[+ij[1]] += 1e12;
      });
      var order = K.groups.map(function (_, i) { return i; });
      var shown = order.length > MAXNODES ? order.slice().sort(function (a, b) { return degree[b] - degree[a] || a - b; }).slice(0, MAXNODES).sort(function (a, b) { return a - b; }) : order;
      var pos = {}, n = shown.length, R = Math.min(W, H) / 2 - 90;
      shown.forEach(function (g, i) {
        var a = -Math.PI / 2 + 2 * Math.PI * i / n;
        pos[g] = [W / 2 + R * Math.cos(a), H / 2 + R * Math.sin(a), a];
      });
      // [src group, dst group, port id, pairs, invalid] of the summary; a diff adds the pairs of
      // namespaces whose every connection was removed, with no port id
      var all = Object.keys(K.summary).map(function (k) { return K.summary[k]; });
      if (X) Object.keys(X.cells).forEach(function (k) { if (!K.summary[k]) { var ij = k.split(","); all.push([+ij[0], +ij[1], -1, 0, false]); } });
      var edges = all.filter(function (s) { return pos[s[0]] && pos[s[1]]; });
      var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "graph-title graph-desc" },
        svg("title", { id: "graph-title", text: "Connectivity between namespaces" }),
        svg("desc", { id: "graph-desc", text: n + " namespaces and external ranges" + (order.length > n ? " (the " + n + " most connected of " + order.length + ")" : "") + ", " + edges.length + " connections; the heat map above lists the same as a table." }));
      marker(root, "arrow", "#6e7781");
      var maxPairs = edges.reduce(function (m, s) { return Math.max(m, s[3]); }, 1);
      var labels = edges.length <= 40;
      var said = [];  // the graph as text: one line per edge, for screen readers and for print
      edges.forEach(function (s) {
        var a = pos[s[0]], b = pos[s[1]], width = 1 + 4 * Math.sqrt(s[3] / maxPairs);
        var now = s[2] < 0 ? "nothing allowed now" : fmt(s[3]) + " pairs, " + K.ports(s[2])[0];
        var cell = X && X.cells[s[0] + "," + s[1]];
        var title = K.groups[s[0]] + " \u2192 " + K.groups[s[1]] + ": " + now + (cell ? "; changed: " + describeKinds(cell) : "");
        var cls = "edge" + (s[4] ? " bad" : "") + (cell ? " chg k-" + dominant(cell) : X ? " faint" : "");
        var dash = cell ? KIND_DASH[dominant(cell)] : null;
        var pick = function () { onEdge(s[0], s[1]); };
        said.push(el("li", { "data-from": K.groups[s[0]], "data-to": K.groups[s[1]] }, (cell ? kindsOf(cell).map(function (k) { return KIND_GLYPH[k] + cell.kinds[k] + " "; }).join("") : "") + title));
        var g = svg("g", { "class": "edgeg" + (cell ? " chg" : ""), on: { click: pick } }, svg("title", { text: title }));
        if (cell) {
          setAttrs(g, { tabindex: "0", role: "button", "aria-label": title + "; select to see the changes", "data-from": K.groups[s[0]], "data-to": K.groups[s[1]],
            "data-change-kinds": kindsOf(cell).map(function (k) { return k + ":" + cell.kinds[k]; }).join(" "),
            on: { keydown: function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } } } });
        }
        var lx, ly;
        if (s[0] === s[1]) {
          var ox = a[0] - 34 * Math.cos(a[2]), oy = a[1] - 34 * Math.sin(a[2]);  // inside the circle, away from the label
          g.appendChild(svg("circle", { "class": cls, cx: ox.toFixed(1), cy: oy.toFixed(1), r: "14", "stroke-width": width.toFixed(1), "stroke-dasharray": dash }));
          lx = ox; ly = oy - 18;
        } else {
          var c = curve(a[0], a[1], b[0], b[1], 24, 28, 40);
          g.appendChild(svg("path", { "class": cls, d: c.d, "stroke-width": (cell ? Math.max(width, 2.5) : width).toFixed(1), "stroke-dasharray": dash, "marker-end": "url(#arrow)" }));
          if (labels && s[2] >= 0) g.appendChild(svg("text", { "class": "elabel", x: c.lx.toFixed(1), y: c.ly.toFixed(1), "text-anchor": "middle", text: short(K.ports(s[2])[0], 26) }));
          lx = c.lx; ly = c.ly + (labels && s[2] >= 0 ? 13 : 4);
        }
        if (cell) {
          g.appendChild(svg("text", { "class": "elabel chg", x: lx.toFixed(1), y: ly.toFixed(1), "text-anchor": "middle" },
            kindsOf(cell).map(function (k) { return svg("tspan", { "class": "mark k-" + k, "data-kind": k, text: KIND_GLYPH[k] + cell.kinds[k] + " " }); })));
        }
        root.appendChild(g);
      });
      shown.forEach(function (gi) {
        var p = pos[gi], external = K.groups[gi] === "(external)";
        var label = K.groups[gi] + " (" + K.members[gi].length + ")";
        var node = svg("g", { "class": "node", tabindex: "0", role: "button", "data-group": K.groups[gi],
          "aria-label": (external ? "external ranges" : "namespace " + K.groups[gi]) + ", " + plural(K.members[gi].length, external ? "range" : "workload") + "; open its workloads",
          on: { click: function () { draw(gi); }, keydown: function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); draw(gi); } } } },
          external ? svg("rect", { x: (p[0] - 22).toFixed(1), y: (p[1] - 22).toFixed(1), width: "44", height: "44", rx: "4", fill: "#f0e442" })
            : svg("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: "22", fill: "#56b4e9" }),
          svg("text", { x: (p[0] + 30 * Math.cos(p[2])).toFixed(1), y: (p[1] + 30 * Math.sin(p[2]) + 4).toFixed(1),
            "text-anchor": Math.cos(p[2]) > 0.3 ? "start" : Math.cos(p[2]) < -0.3 ? "end" : "middle", text: short(label, 34) }));
        root.appendChild(node);
      });
      return el("div", {}, el("p", { "class": "sub", text: "Circles are namespaces, the square is the external address ranges; line width grows with the pairs allowed, labels say the ports. Select a namespace (click, or Tab and Enter) to see its workloads." }), root,
        el("details", { "class": "alt", id: "graph-text" }, el("summary", { text: "The graph as text (" + plural(said.length, "connection") + ")" }), el("ul", {}, said)));
    }
    function egoGraph(gi) {
      var mine = K.members[gi], mineSet = {}; mine.forEach(function (i) { mineSet[i] = 1; });
      var out = [], inc = [];
      mine.forEach(function (s) { K.row(s).forEach(function (x) { if (!mineSet[x[0]]) out.push([s, x[0], x[1]]); }); });
      K.E.forEach(function (_, s) { if (mineSet[s]) return; K.row(s, mineSet).forEach(function (x) { inc.push([s, x[0], x[1]]); }); });
      if (X) {  // removed connections between endpoints that still exist, with no port id
        var idIndex = {}; K.E.forEach(function (e, i) { idIndex[e[0]] = i; });
        X.changes.forEach(function (c) {
          var s = idIndex[X.E[c[1]][0]], d = idIndex[X.E[c[2]][0]];
          if (c[0] !== "removed" || s === undefined || d === undefined) return;
          if (mineSet[s] && !mineSet[d]) out.push([s, d, -1]); else if (!mineSet[s] && mineSet[d]) inc.push([s, d, -1]);
        });
      }
      var CAP = 24;
      function column(list, key) { var seen = {}, order = []; list.forEach(function (x) { if (!seen[x[key]]) { seen[x[key]] = 1; order.push(x[key]); } }); order.sort(function (a, b) { return a - b; }); return order; }
      var left = column(inc, 0), right = column(out, 1), middle = mine.slice();
      var cols = [left.slice(0, CAP), middle.slice(0, CAP), right.slice(0, CAP)];
      var rows = Math.max(cols[0].length, cols[1].length, cols[2].length, 1);
      var h = Math.max(220, rows * 34 + 80), xs = [140, W / 2, W - 140], pos = [{}, {}, {}];
      cols.forEach(function (c, k) { c.forEach(function (e, i) { pos[k][e] = [xs[k], 60 + (i + 0.5) * (h - 80) / c.length]; }); });
      var root = svg("svg", { viewBox: "0 0 " + W + " " + h, role: "img", "aria-labelledby": "ego-title ego-desc" },
        svg("title", { id: "ego-title", text: "Connections of namespace " + K.groups[gi] }),
        svg("desc", { id: "ego-desc", text: plural(left.length, "source") + " from elsewhere on the left, the " + plural(mine.length, "workload") + " of " + K.groups[gi] + " in the middle, " + plural(right.length, "destination") + " elsewhere on the right." }));
      marker(root, "arrow2", "#6e7781");
      [["from elsewhere", 0, left.length], [K.groups[gi], 1, mine.length], ["to elsewhere", 2, right.length]].forEach(function (t) {
        root.appendChild(svg("text", { x: xs[t[1]], y: "28", "text-anchor": "middle", "font-weight": "700", "font-size": "13", text: short(t[0], 40) + (t[2] > CAP ? " (first " + CAP + " of " + t[2] + ")" : "") }));
      });
      var edges = inc.filter(function (x) { return pos[0][x[0]] && pos[1][x[1]]; }).map(function (x) { return [pos[0][x[0]], pos[1][x[1]], x]; })
        .concat(out.filter(function (x) { return pos[1][x[0]] && pos[2][x[1]]; }).map(function (x) { return [pos[1][x[0]], pos[2][x[1]], x]; }));
      edges.forEach(function (e) {
        var c = curve(e[0][0], e[0][1], e[1][0], e[1][1], 70, 74, 0), p = e[2][2] < 0 ? ["nothing now", null, false] : K.ports(e[2][2]);
        var kind = X && X.pairs[K.E[e[2][0]][0] + "\u0000" + K.E[e[2][1]][0]];
        var g = svg("g", kind ? { "class": "chg", "data-change": kind } : {}, svg("title", { text: K.E[e[2][0]][0] + " \u2192 " + K.E[e[2][1]][0] + ": " + p[0] + (kind ? "; " + kind : "") }),
          svg("path", { "class": "edge" + (p[2] ? " bad" : "") + (kind ? " chg k-" + kind : X ? " faint" : ""), d: c.d, "stroke-width": kind ? "2.5" : "1.4",
            "stroke-dasharray": kind ? KIND_DASH[kind] : null, "marker-end": "url(#arrow2)" }));
        var text = (kind ? KIND_GLYPH[kind] + " " : "") + (edges.length <= 30 ? short(p[0], 22) : "");
        if (text) g.appendChild(svg("text", { "class": "elabel" + (kind ? " chg" : ""), x: c.lx.toFixed(1), y: (c.ly - 3).toFixed(1), "text-anchor": "middle", text: text }));
        root.appendChild(g);
      });
      cols.forEach(function (c, k) {
        c.forEach(function (i) {
          var p = pos[k][i], ext = K.E[i][2] === "External";
          root.appendChild(svg("g", { "class": "node" }, svg("title", { text: K.E[i][0] + (K.E[i][4] ? " = " + K.E[i][4] : "") }),
            svg("rect", { x: (p[0] - 68).toFixed(1), y: (p[1] - 13).toFixed(1), width: "136", height: "26", rx: ext ? "2" : "10", fill: ext ? "#f0e442" : (k === 1 ? "#56b4e9" : "#d9ecf7") }),
            svg("text", { x: p[0].toFixed(1), y: (p[1] + 4).toFixed(1), "text-anchor": "middle", text: short(ext ? K.E[i][0] : K.E[i][1] + "/" + K.E[i][3], 21) })));
        });
      });
      var back = el("button", { id: "graph-back", on: { click: function () {
        draw(null);  // and the focus back where it was: the namespace just closed
        var node = box.querySelector('.node[data-group="' + K.groups[gi].replace(/["\\]/g, "\\$&") + '"]');
        if (node) node.focus();
      } } }, "\u2190 All namespaces");
      setTimeout(function () { back.focus(); }, 0);
      return el("div", {}, el("p", { "class": "sub" }, back, "  Connections of the workloads of ", el("b", { text: K.groups[gi] }), " with other namespaces and external ranges (connections inside the namespace are in the heat map)."), root);
    }
    draw(null);
  }

  // ---- training jobs ----------------------------------------------------------------------------
  function jobsView(jobs, findingsApi) {
    var sec = section("jobs", "Training jobs", "Each distributed training job, its replicas, the intent checks (PL5xx) for it, and what its pods may reach.");
    if (!jobs.length) { sec.appendChild(el("p", { "class": "empty", text: "No training job found (role training: Kubeflow, JobSet, KubeRay, Volcano, LeaderWorkerSet, or the seed label role=ml-training-pod)." })); return; }
    function blocked(text) { return !text || text.indexOf("0 of ") === 0; }
    var list = el("div", { "class": "jobs" });
    var shown = 0, JOBPAGE = 40;
    // jobs with failing checks first, then in the report's order
    var order = jobs.map(function (j, i) { return [j.checks.filter(function (c) { return c[2] === "fail"; }).length, i]; })
      .sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; }).map(function (x) { return jobs[x[1]]; });
    var more = el("button", { "class": "more", on: { click: function () { page(); } } });
    function page() {
      order.slice(shown, shown + JOBPAGE).forEach(drawJob);
      shown = Math.min(order.length, shown + JOBPAGE);
      if (shown < order.length) more.textContent = "Show more jobs (" + (order.length - shown) + " left)"; else more.remove();
    }
    function drawJob(j) {
      var box = el("article", { "class": "box job", "data-job": j.job, "aria-label": "training job " + j.job });
      box.appendChild(el("h3", { "class": "mono", text: j.job }));
      box.appendChild(el("ul", { "class": "checks", "aria-label": "intent checks" }, j.checks.map(function (c) {
        var glyph = c[2] === "pass" ? "\u2714" : c[2] === "fail" ? "\u2716" : "?";
        var chip = el("li", { "class": "chip " + c[2], "data-code": c[0], "data-status": c[2], title: c[2] === "unclear" ? "a finding of this rule names only some of the jobs it concerns" : c[1] },
          el("span", { "aria-hidden": "true", text: glyph }), c[0] + " " + c[1], el("span", { "class": "sr", text: " " + c[2] }));
        if (c[2] === "fail" && findingsApi) {
          chip.appendChild(el("button", { "aria-label": "show the " + c[0] + " findings", text: "show", on: { click: function () { findingsApi.filterRule(c[0]); location.hash = "#findings"; } } }));
        }
        return chip;
      })));
      box.appendChild(el("table", { "class": "list" }, el("thead", {}, el("tr", {}, ["Replica", "Role", "Pods"].map(function (c) { return el("th", { scope: "col", text: c }); }))),
        el("tbody", {}, j.replicas.map(function (r) { return el("tr", {}, el("td", { "class": "mono", text: r[0] }), el("td", { text: r[1] }), el("td", { text: r[2] === null ? "?" : r[2] })); }))));
      if (j.rendezvous) box.appendChild(el("p", { "class": "meta" }, "Rendezvous: ", el("span", { "class": "mono", text: j.rendezvous })));
      if (j.ssh) box.appendChild(el("p", { "class": "meta" }, "ssh: ", el("span", { "class": "mono", text: j.ssh })));
      var panes = el("div", { "class": "panes" });
      [["Between its pods", j.peers, false], ["Data service", j.data, true], ["DNS", j.dns, false], ["Object storage", j.storage, false]].forEach(function (part) {
        var rows = part[1];
        var t = el("table", { "class": "list", "data-part": part[0] },
          el("thead", {}, el("tr", {}, ["From", "To", part[2] ? "Allowed \u2192" : "Allowed"].concat(part[2] ? ["Allowed \u2190"] : []).map(function (c) { return el("th", { scope: "col", text: c }); }))),
          el("tbody", {}, rows.map(function (r) {
            return el("tr", {}, el("td", { "class": "mono", text: r[0] }), el("td", { "class": "mono", text: r[1] }),
              el("td", { "class": blocked(r[2]) ? "none" : null, text: r[2] || "\u2716 nothing" }),
              part[2] ? el("td", { "class": blocked(r[3]) ? "none" : null, text: r[3] || "\u2716 nothing" }) : null);
          })));
        panes.appendChild(el("div", {}, el("h3", { text: part[0] }), rows.length ? t : el("p", { "class": "empty", text: part[0] === "Data service" ? "No data-service workload (role data-service)." : part[0] === "Object storage" ? "No storage role." : "None found." })));
      });
      box.appendChild(panes);
      list.appendChild(box);
    }
    sec.appendChild(list);
    sec.appendChild(more);
    page();
  }

  // ---- diff: the summary, the new connectivity with the changes marked on it, every change ----
  function diffViews() {
    var S = D.summary;
    var sec = section("summary", "Summary");
    sec.appendChild(el("p", { "class": "sub" }, "policylint " + D.tool + " diff: ", el("span", { "class": "mono", text: D.sides.old.label }), " \u2192 ", el("span", { "class": "mono", text: D.sides.new.label }),
      D.gates.failed ? el("span", { "class": "verdict fail", text: "gate fails" }) : null));
    sec.appendChild(el("div", { "class": "cards", id: "summary-cards" }, KINDS.map(function (k) {
      var c = card(S.connections[k], KIND_GLYPH[k] + " " + k); c.setAttribute("data-count", k); return c;
    }), card(SEVERITIES.reduce(function (a, s) { return a + S.findings.introduced[s]; }, 0), "findings introduced", "error"),
      card(SEVERITIES.reduce(function (a, s) { return a + S.findings.fixed[s]; }, 0), "findings fixed")));
    if (D.gates.reasons.length) sec.appendChild(el("div", { "class": "note", text: D.gates.reasons.join("; ") }));
    var notEval = D.sides.old.not_evaluated.concat(D.sides.new.not_evaluated);
    if (notEval.length) sec.appendChild(el("div", { "class": "note", text: "Not evaluated: " + notEval.map(function (i) { return i.kind + " " + (i.namespace ? i.namespace + "/" : "") + i.name; }).join(", ") }));

    connectivityView(D.connectivity, "Connectivity and its changes", { E: D.endpoints, changes: D.changes });
    var all = section("changes", "Every change", "Each pair of endpoints that gained or lost ports, with its ports before and after and the rules responsible.");
    all.appendChild(pairTable(changeRows(D.endpoints, D.changes.map(function (_, i) { return i; })), CHANGE_COLUMNS, null, "all-changes"));

    var obj = section("objects", "Objects changed");
    ["workloads", "policies", "namespaces"].forEach(function (k) {
      var rows = D.objects[k];
      obj.appendChild(el("h3", { text: k.charAt(0).toUpperCase() + k.slice(1) + " (" + rows.length + ")" }));
      obj.appendChild(rows.length ? pairTable(rows.map(function (r) { return { cells: r, classes: [null, null, "mono", "mono"] }; }), ["Change", "Kind", "Id", "Where / what"], null, "objects-" + k)
        : el("p", { "class": "empty", text: "None." }));
    });
    findingsView(D.findings, "Findings introduced and fixed");
  }

  // ---- the page -----------------------------------------------------------------------------
  var started = performance.now();
  if (D.mode === "diff") {
    diffViews();
  } else {
    var findingsApi = null;
    if (D.mode === "check") {
      timed("summary", summaryView);
      findingsApi = timed("findings", function () { return findingsView(D.findings, "Findings", "Grouped by file, with the source lines around each finding and how to fix it."); });
    }
    if (D.connectivity) timed("connectivity", function () { connectivityView(D.connectivity, "Connectivity"); });
    if (D.jobs) timed("jobs", function () { jobsView(D.jobs, findingsApi); });
  }
  main.appendChild(el("footer", { text: "policylint " + D.tool + " \u2014 this page works offline and makes no network request." }));
  document.documentElement.setAttribute("data-ready", "true");
  document.documentElement.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
  document.documentElement.setAttribute("data-timings", JSON.stringify(timings));
})();
