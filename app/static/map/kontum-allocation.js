/* Kon Tum poverty map — allocating a programme's capital among units by a rule (loaded after kontum-workbench.js).
 *
 * The panel's "Phân bổ vốn" box: choose a rule (rules/*.toml, from GET /allocations/rules) with its
 * legal source or its "minh họa" flag, an envelope in million VND, the year and the level; edit its
 * coefficients and points (the answer then says "tùy chỉnh" / "custom"); POST /allocations answers
 * one row per unit, the totals and the equity view.  Shown as a map layer (amount per unit as a
 * choropleth, ineligible units hatched), a table, the downloads of exactly that allocation (XLSX annex,
 * CSV), two scenarios side by side (A kept, B current, B − A per unit and on the map) and the equity
 * view (poorest and border shares, money per poor household by district, the Lorenz curve).
 *
 * Every word comes from the message catalogue (table "alloc" of geo/messages.toml); text from data goes
 * in through textContent only.
 */
(function () {
  "use strict";

  var KT = window.KontumMap;
  if (!KT) return;
  var A = {};
  KT.allocation = A;
  var S = null;
  // Envelopes the source report gives (UBND tỉnh Kon Tum, report on the national target programmes in
  // 2020, data/sources/seeds/001_f26814173eaf0652.txt; docs/ALLOCATION.md). Other rules: the planner types one.
  var KNOWN_ENVELOPES = { tmr_kp_2020_minh_hoa: 40744, p135_2020_minh_hoa: 67057 };
  var AMOUNT_COLOURS = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"];  // greens: not the poverty reds
  var DIFF_MORE = ["#c6dbef", "#6baed6", "#2171b5"], DIFF_LESS = ["#fcbba1", "#fb6a4a", "#cb181d"];

  function t(key, params) { return KT.t(key, params); }

  var el = KT.el;  // kontum-map.js

  var svg = KT.svgEl;  // kontum-map.js

  function fmt(x, digits) {
    if (x === null || x === undefined || isNaN(x)) return "–";
    return Number(x).toLocaleString(S.lang === "vi" ? "vi-VN" : "en-GB",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function pct(x) { return x === null || x === undefined ? "–" : fmt(x * 100, 1) + "%"; }
  function copy(x) { return JSON.parse(JSON.stringify(x)); }
  function byLang(obj, base) { return (S.lang === "en" ? obj[base + "_en"] : "") || obj[base + "_vi"] || ""; }

  function field(label, control, id) {
    return el("div", { class: "kt-wb-field" }, [el("label", { class: "kt-label", for: id, text: label }), control]);
  }
  function select(id, items, value, onchange) {
    var s = el("select", { id: id, onchange: onchange });
    items.forEach(function (it) {
      s.appendChild(el("option", { value: it.id, text: it.label, selected: String(it.id) === String(value) ? true : null }));
    });
    return s;
  }

  // ------------------------------------------------------------ state
  A.init = function (state) {
    S = state;
    A.st = { rules: null, standards: {}, id: null, rule: null, original: null, envelope: null, year: null,
      level: null, result: null, a: null, show: "amount", onlyEligible: true, seq: 0 };
    S.map.createPane("kt-alloc").style.zIndex = 415;  // above the choropleths, below outlines and lines
    var details = document.getElementById("kt-alloc-details");
    if (details) details.addEventListener("toggle", function () { if (details.open) A.load(); });
  };

  A.load = function () {
    if (A.st.rules) return Promise.resolve(A.st.rules);
    if (A.loading) return A.loading;
    var url = S.cfg.urls.allocations + "/rules?lang=" + encodeURIComponent(S.lang);
    A.loading = fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (body) {
      A.st.rules = body.rules || [];
      A.st.standards = body.standards || {};
      var first = A.st.rules.filter(function (r) { return r.id === "tmr_kp_2020_minh_hoa"; })[0] || A.st.rules[0];
      if (first) chooseRule(first.id);
      buildForm();
      return A.st.rules;
    }).catch(function (err) {
      showError(err.message);
      return null;
    });
    return A.loading;
  };

  function ruleEntry(id) { return A.st.rules.filter(function (r) { return r.id === id; })[0]; }

  function chooseRule(id) {
    var entry = ruleEntry(id);
    var st = A.st;
    st.id = id;
    st.original = copy(entry.rule);
    st.rule = copy(entry.rule);
    st.year = entry.years.indexOf(S.year) >= 0 ? S.year : entry.years[entry.years.length - 1];
    st.level = entry.rule.levels[0];
    st.envelope = KNOWN_ENVELOPES[id] || null;
  }

  function edited() { return JSON.stringify(A.st.rule) !== JSON.stringify(A.st.original); }

  // ------------------------------------------------------------ the form
  function buildForm() {
    var box = document.getElementById("kt-alloc");
    if (!box) return;
    box.textContent = "";
    var st = A.st;
    if (!st.rules || !st.rules.length) return;
    var entry = ruleEntry(st.id);
    var form = el("div", { class: "kt-wb-form kt-alloc-form" });
    var items = st.rules.map(function (r) { return { id: r.id, label: byLang(r.rule, "name") }; });
    form.appendChild(field(t("alloc.rule"), select("kt-alloc-rule", items, st.id, function (ev) {
      chooseRule(ev.target.value); buildForm();
    }), "kt-alloc-rule"));
    form.appendChild(ruleStatus(entry));
    var years = entry.years.map(function (y) { return { id: y, label: String(y) }; });
    var levels = entry.rule.levels.map(function (l) { return { id: l, label: t("alloc.level_" + l) }; });
    form.appendChild(el("div", { class: "kt-row kt-alloc-row" }, [
      field(t("alloc.envelope"), el("input", { id: "kt-alloc-envelope", type: "number", min: 1, step: 1,
        value: st.envelope === null ? "" : st.envelope, inputmode: "numeric",
        oninput: function (ev) { st.envelope = ev.target.value === "" ? null : Number(ev.target.value); } }), "kt-alloc-envelope"),
      field(t("alloc.year"), select("kt-alloc-year", years, st.year, function (ev) { st.year = parseInt(ev.target.value, 10); }),
        "kt-alloc-year")]));
    form.appendChild(field(t("alloc.level"), select("kt-alloc-level", levels, st.level, function (ev) { st.level = ev.target.value; }),
      "kt-alloc-level"));
    form.appendChild(weightsBlock());
    form.appendChild(el("div", { class: "kt-alloc-actions" }, [
      el("button", { type: "button", id: "kt-alloc-run", class: "kt-button", text: t("alloc.run"), onclick: function () { A.run(); } }),
      el("button", { type: "button", id: "kt-alloc-reset", class: "kt-link-button", text: t("alloc.reset"),
        onclick: function () { st.rule = copy(st.original); buildForm(); } })]));
    box.appendChild(form);
    box.appendChild(el("div", { id: "kt-alloc-message", class: "kt-alloc-message", role: "alert" }));
    box.appendChild(el("div", { id: "kt-alloc-result", class: "kt-alloc-result", "aria-live": "polite" }));
    if (st.result) renderResult();
  }

  function ruleStatus(entry) {
    var r = entry.rule, src = r.source || {};
    var box = el("div", { class: "kt-alloc-status", id: "kt-alloc-status" });
    if (entry.illustrative) {
      box.appendChild(el("div", { class: "kt-demo kt-alloc-flag", "data-status": "illustrative", text: "\u26A0 " + t("alloc.illustrative") }));
    } else {
      box.appendChild(el("div", { class: "kt-alloc-official", "data-status": "official", text: t("alloc.official") }));
    }
    var note = byLang(r, "note");
    if (note) box.appendChild(el("div", { class: "kt-hint", text: note }));
    var legal = [src.document, src.article, src.date].filter(function (x) { return x; }).join("; ");
    var line = el("div", { class: "kt-hint kt-alloc-legal" }, [el("strong", { text: t("alloc.legal") + ": " }), legal]);
    if (src.address && /^https?:\/\//.test(src.address)) {
      line.appendChild(document.createTextNode(" "));
      line.appendChild(el("a", { href: src.address, target: "_blank", rel: "noopener", text: t("alloc.source_text") }));
    }
    box.appendChild(line);
    return box;
  }

  // One number input per coefficient / points of the rule; a change edits the copy sent (→ "custom").
  function weightsBlock() {
    var st = A.st;
    var wrap = el("fieldset", { class: "kt-wb-weights kt-alloc-weights", id: "kt-alloc-weights" }, [el("legend", { text: t("alloc.weights") })]);
    if (edited()) wrap.appendChild(el("div", { class: "kt-alloc-custom", id: "kt-alloc-custom-flag", text: t("alloc.custom") }));
    (st.rule.criteria || []).forEach(function (c, i) {
      var label = byLang(c, "label") || c.id;
      if (c.kind === "bands") {
        wrap.appendChild(el("div", { class: "kt-alloc-crit-name", text: label }));
        (c.bands || []).forEach(function (b, j) {
          var words = b.max === undefined ? t("alloc.band_open", { min: fmt(b.min, 0) }) : t("alloc.band", { min: fmt(b.min, 0), max: fmt(b.max, 0) });
          wrap.appendChild(numberRow("kt-alloc-w-" + c.id + "-" + j, words + " (" + t("alloc.points") + ")", b.points,
            function (v) { st.rule.criteria[i].bands[j].points = v; }));
        });
      } else if (c.kind === "base") {
        wrap.appendChild(numberRow("kt-alloc-w-" + c.id, label + " — " + t("alloc.base_points"), c.points,
          function (v) { st.rule.criteria[i].points = v; }));
      } else {
        wrap.appendChild(numberRow("kt-alloc-w-" + c.id, label + " — " + t("alloc.coefficient"), c.coefficient,
          function (v) { st.rule.criteria[i].coefficient = v; }));
      }
    });
    return wrap;
  }

  function numberRow(id, label, value, set) {
    var input = el("input", { id: id, type: "number", min: 0, step: "any", value: value, class: "kt-alloc-w",
      oninput: function (ev) {
        var v = parseFloat(ev.target.value);
        var ok = ev.target.value !== "" && isFinite(v) && v >= 0;
        ev.target.setAttribute("aria-invalid", ok ? "false" : "true");
        if (!ok) return;
        set(v);
        var flag = document.getElementById("kt-alloc-custom-flag");
        if (edited() && !flag) {
          var legend = document.querySelector("#kt-alloc-weights legend");
          legend.parentNode.insertBefore(el("div", { class: "kt-alloc-custom", id: "kt-alloc-custom-flag", text: t("alloc.custom") }), legend.nextSibling);
        } else if (!edited() && flag) flag.parentNode.removeChild(flag);
      } });
    return el("div", { class: "kt-wb-weight" }, [input, " ", el("label", { for: id, text: label })]);
  }

  function showError(text) {
    var box = document.getElementById("kt-alloc-message");
    if (!box) return;
    box.textContent = "";
    if (text) box.appendChild(el("div", { class: "kt-message", text: t("alloc.error") + ": " + text }));
  }

  // ------------------------------------------------------------ asking the server
  function request(f) {
    var st = A.st;
    return { rule: st.rule, envelope: st.envelope, year: st.year, level: st.level, f: f };
  }

  function post(body) {
    return fetch(S.cfg.urls.allocations + "?lang=" + encodeURIComponent(S.lang), {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/geo+json, application/json",
        "Accept-Language": S.lang },
      body: JSON.stringify(body)
    });
  }

  function checkInputs() {
    var st = A.st;
    if (!(st.envelope > 0) || Math.floor(st.envelope) !== st.envelope) return t("alloc.envelope_invalid");
    if (document.querySelector("#kt-alloc-weights input[aria-invalid=true]")) return t("alloc.number_invalid");
    return null;
  }

  A.run = function () {
    var problem = checkInputs();
    if (problem) { showError(problem); return Promise.resolve(null); }
    showError("");
    var st = A.st, seq = ++st.seq;
    var body = request("geojson");
    var out = document.getElementById("kt-alloc-result");
    out.setAttribute("aria-busy", "true");
    var btn = document.getElementById("kt-alloc-run");
    if (btn) btn.textContent = t("alloc.computing");
    return post(body).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (doc) {
        if (seq !== st.seq) return null;
        out.removeAttribute("aria-busy");
        if (btn) btn.textContent = t("alloc.run");
        if (!r.ok) { showError(doc.description || doc.error || String(r.status)); return null; }
        st.result = { fc: doc, totals: doc.totals, equity: doc.equity, body: body, level: body.level };
        renderResult();
        return drawMap().then(function () { legend(); return doc; });
      });
    }).catch(function (err) {
      out.removeAttribute("aria-busy");
      if (btn) btn.textContent = t("alloc.run");
      showError(err.message);
      return null;
    });
  };

  // A download of exactly the allocation shown: the same body, f=xlsx|csv, saved from a blob.
  A.download = function (f) {
    var res = A.st.result;
    if (!res) return Promise.resolve(null);
    return post(Object.assign({}, res.body, { f: f })).then(function (r) {
      if (!r.ok) return r.json().then(function (doc) { showError(doc.description || String(r.status)); return null; });
      var name = ((r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/) || [])[1] || "allocation." + f;
      return r.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el("a", { href: url, download: name, hidden: true });
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(url); a.parentNode.removeChild(a); }, 1000);
        return name;
      });
    });
  };

  // ------------------------------------------------------------ the answer
  function units(res) { return (res.fc.features || []).map(function (f) { return f.properties || {}; }); }

  function ruleName(totals) { return S.lang === "en" ? totals.name_en : totals.name_vi; }

  function label(res) {
    var tt = res.totals;
    return ruleName(tt) + (tt.custom ? " (" + t("alloc.custom") + ")" : "") + " — " + fmt(tt.envelope, 0) + " — " + tt.year;
  }

  function renderResult() {
    var out = document.getElementById("kt-alloc-result");
    var res = A.st.result;
    if (!out || !res) return;
    out.textContent = "";
    var tt = res.totals;
    out.appendChild(el("div", { class: "kt-caption", id: "kt-alloc-caption" }, [ruleName(tt),
      tt.custom ? el("span", { class: "kt-alloc-custom", "data-custom": "1", text: t("alloc.custom") }) : null]));
    if (tt.custom) out.appendChild(el("div", { class: "kt-hint", text: t("alloc.custom_note") }));
    if (tt.illustrative) out.appendChild(el("div", { class: "kt-demo", text: "\u26A0 " + t("alloc.illustrative") }));
    out.appendChild(el("div", { class: "kt-alloc-summary", id: "kt-alloc-summary", text: t("alloc.summary", {
      allocated: fmt(tt.allocated, 0), envelope: fmt(tt.envelope, 0), eligible: tt.eligible, units: tt.units, year: tt.year }) }));
    out.appendChild(el("div", { class: "kt-demo", id: "kt-alloc-syn-criteria", "data-share": tt.synthetic_criteria_share,
      text: t("alloc.synthetic_criteria", { share: pct(tt.synthetic_criteria_share), n: tt.synthetic_criteria_units }) }));
    out.appendChild(el("div", { class: "kt-demo", id: "kt-alloc-syn-household", "data-share": tt.synthetic_per_household_share,
      text: t("alloc.synthetic_per_household", { share: pct(tt.synthetic_per_household_share), n: tt.synthetic_per_household_units }) }));
    out.appendChild(actions());
    out.appendChild(mapChoice());
    out.appendChild(el("div", { id: "kt-alloc-legend", class: "kt-alloc-legend" }));
    out.appendChild(resultTable(res));
    if (A.st.a) out.appendChild(compareBlock(A.st.a, res));
    out.appendChild(equityBlock(res));
    legend();
  }

  function actions() {
    var st = A.st;
    var wrap = el("div", { class: "kt-downloads kt-alloc-downloads" }, [t("alloc.download") + ": "]);
    wrap.appendChild(el("button", { type: "button", class: "kt-dl", id: "kt-alloc-xlsx", "data-format": "xlsx", text: t("alloc.xlsx"),
      onclick: function () { A.download("xlsx"); } }));
    wrap.appendChild(el("button", { type: "button", class: "kt-dl", id: "kt-alloc-csv", "data-format": "csv", text: t("alloc.csv"),
      onclick: function () { A.download("csv"); } }));
    var keep = el("div", { class: "kt-alloc-actions" }, [
      el("button", { type: "button", class: "kt-button", id: "kt-alloc-keep", text: t("alloc.keep_a"), onclick: function () {
        st.a = st.result; st.show = "amount"; renderResult(); drawMap();
        var msg = document.getElementById("kt-alloc-message");
        msg.textContent = "";
        msg.appendChild(el("div", { class: "kt-hint", id: "kt-alloc-a-kept", text: t("alloc.a_kept") }));
      } }),
      st.a ? el("button", { type: "button", class: "kt-link-button", id: "kt-alloc-drop", text: t("alloc.drop_a"), onclick: function () {
        st.a = null; st.show = "amount"; renderResult(); drawMap();
      } }) : null]);
    return el("div", null, [wrap, keep]);
  }

  function comparable() {
    var st = A.st;
    return st.a && st.result && st.a !== st.result && st.a.level === st.result.level;
  }

  function mapChoice() {
    var st = A.st;
    var items = [{ id: "amount", label: comparable() ? t("alloc.map_amount") : t("alloc.map_amount_only") }];
    if (comparable()) items.push({ id: "diff", label: t("alloc.map_diff") });
    items.push({ id: "off", label: t("alloc.map_off") });
    if (!items.some(function (i) { return i.id === st.show; })) st.show = "amount";
    return field(t("alloc.map_show"), select("kt-alloc-show", items, st.show, function (ev) {
      st.show = ev.target.value; drawMap().then(legend);
    }),
      "kt-alloc-show");
  }

  function criteriaShown(totals) {
    var rule = A.st.result && A.st.result.body.rule;
    return ((rule && rule.criteria) || []).filter(function (c) { return c.kind !== "base"; });
  }

  function valueNote(p, id) {
    var bits = [p[id + "_year"], A.st.standards[p[id + "_standard"]] || p[id + "_standard"], S.cfg.status[p[id + "_status"]] || p[id + "_status"]];
    return bits.filter(function (b) { return b !== null && b !== undefined && b !== ""; }).join(", ");
  }

  function resultTable(res) {
    var st = A.st;
    var crits = criteriaShown(res.totals);
    var rows = units(res).slice().sort(function (x, y) {
      return (y.eligible - x.eligible) || (y.amount - x.amount) || String(x.gso_code).localeCompare(String(y.gso_code));
    });
    if (st.onlyEligible) rows = rows.filter(function (p) { return p.eligible; });
    // the money first (what a planner reads), then why: eligibility, each criterion, the score
    var head = [el("th", { text: t("alloc.col_unit") }), el("th", { class: "kt-num", text: t("alloc.col_amount") }),
      el("th", { class: "kt-num", text: t("alloc.col_poor_households") }), el("th", { class: "kt-num", text: t("alloc.col_per_household") }),
      el("th", { text: t("alloc.col_eligible") })];
    crits.forEach(function (c) { head.push(el("th", { class: "kt-num kt-alloc-crit", text: byLang(c, "label") || c.id })); });
    head.push(el("th", { class: "kt-num", text: t("alloc.col_score") }));
    var tbody = el("tbody");
    var sumAmount = 0, sumHh = 0;
    rows.forEach(function (p) {
      sumAmount += p.amount || 0;
      if (p.eligible && p.poor_households) sumHh += p.poor_households;
      var cells = [el("td", null, [el("span", { class: "kt-target-name", text: p.name || p.gso_code }), el("small", { text: p.district_name || "" })]),
        el("td", { class: "kt-num", "data-col": "amount", text: fmt(p.amount, 0) }),
        el("td", { class: "kt-num", text: fmt(p.poor_households, 0) }),
        el("td", { class: "kt-num", text: fmt(p.amount_per_poor_household, 3) }),
        // why: the conditions failed are shown; the conditions met (the same for every eligible unit) on hover
        el("td", { class: "kt-alloc-why", title: (S.lang === "en" ? p.reason_en : p.reason) || "" },
          [el("span", { text: p.eligible ? t("alloc.yes") : t("alloc.no") }),
            p.eligible ? null : el("small", { class: "kt-alloc-reason", text: (S.lang === "en" ? p.reason_en : p.reason) || "" })])];
      crits.forEach(function (c) {
        var v = p[c.id + "_value"];
        cells.push(el("td", { class: "kt-num", "data-col": c.id }, [v === null || v === undefined ? "–" : fmt(v, Math.abs(v - Math.round(v)) > 1e-9 ? 1 : 0),
          el("small", { text: valueNote(p, c.id) })]));
      });
      cells.push(el("td", { class: "kt-num", text: fmt(p.score, 2) }));
      tbody.appendChild(el("tr", { "data-code": p.gso_code, "data-eligible": p.eligible ? "1" : "0", tabindex: 0,
        onclick: function () { goTo(p.gso_code); }, onkeydown: function (ev) { if (ev.key === "Enter") ev.currentTarget.click(); } }, cells));
    });
    var foot = el("tfoot", null, [el("tr", null, [el("th", { text: t("alloc.total") }), el("th", { class: "kt-num", id: "kt-alloc-total", text: fmt(sumAmount, 0) }),
      el("th", { class: "kt-num", text: fmt(sumHh, 0) }), el("th", { class: "kt-num", text: sumHh ? fmt(sumAmount / sumHh, 3) : "–" }),
      el("th", { text: res.totals.eligible + "/" + res.totals.units }), el("th", { colspan: crits.length + 1 })])]);
    var only = el("label", { class: "kt-hint kt-alloc-only" }, [el("input", { type: "checkbox", id: "kt-alloc-only", checked: st.onlyEligible ? true : null,
      onchange: function (ev) { st.onlyEligible = ev.target.checked; renderResult(); } }), " " + t("alloc.only_eligible")]);
    var first = units(res).filter(function (p) { return p.eligible; })[0];
    var met = first ? el("div", { class: "kt-hint", id: "kt-alloc-met", text: (S.lang === "en" ? first.reason_en : first.reason) || "" }) : null;
    return el("div", null, [only, met, el("div", { class: "kt-wb-scroll kt-alloc-scroll" }, [el("table", { class: "kt-targets-table kt-alloc-table", id: "kt-alloc-table" },
      [el("thead", null, [el("tr", null, head)]), tbody, foot])])]);
  }

  function goTo(code) {
    var level = A.st.result.level;
    if (level === "district") KT.zoomDistrict(code);
    else if (level === "commune_2025") KT.goTo(code, "communes_2025");
    else KT.goTo(code);
  }

  // ------------------------------------------------------------ scenarios
  function diffRows(a, b) {
    var byCode = {};
    units(a).forEach(function (p) { byCode[p.gso_code] = { p: p, a: p.amount || 0, b: 0 }; });
    units(b).forEach(function (p) { var r = byCode[p.gso_code] || (byCode[p.gso_code] = { p: p, a: 0, b: 0 }); r.b = p.amount || 0; r.p = p; });
    return Object.keys(byCode).map(function (c) { var r = byCode[c]; return { code: c, p: r.p, a: r.a, b: r.b, d: r.b - r.a }; });
  }

  function compareBlock(a, b) {
    var box = el("div", { class: "kt-alloc-compare", id: "kt-alloc-compare" }, [el("h3", { class: "kt-h3", text: t("alloc.compare_title") })]);
    box.appendChild(el("div", { class: "kt-hint" }, [el("strong", { text: t("alloc.scenario_a") + ": " }), label(a)]));
    box.appendChild(el("div", { class: "kt-hint" }, [el("strong", { text: t("alloc.scenario_b") + ": " }), label(b)]));
    if (a.level !== b.level) { box.appendChild(el("div", { class: "kt-message", text: t("alloc.compare_other_level") })); return box; }
    var ea = a.equity, eb = b.equity;
    var side = el("table", { class: "kt-targets-table kt-alloc-side", id: "kt-alloc-side" }, [el("thead", null, [el("tr", null, [el("th"),
      el("th", { class: "kt-num", text: t("alloc.col_a") }), el("th", { class: "kt-num", text: t("alloc.col_b") })])])]);
    var sb = el("tbody");
    [[t("alloc.col_eligible"), a.totals.eligible, b.totals.eligible, 0],
      [t("alloc.col_amount"), a.totals.allocated, b.totals.allocated, 0],
      [t("alloc.gini_short"), ea.gini, eb.gini, 3],
      [t("alloc.gini_eligible_short"), ea.gini_eligible, eb.gini_eligible, 3]].forEach(function (r) {
      sb.appendChild(el("tr", null, [el("td", { text: r[0] }), el("td", { class: "kt-num", text: fmt(r[1], r[3]) }), el("td", { class: "kt-num", text: fmt(r[2], r[3]) })]));
    });
    sb.appendChild(el("tr", null, [el("td", { text: t("alloc.poorest_short") }), el("td", { class: "kt-num", text: pct(ea.poorest.amount_share) }),
      el("td", { class: "kt-num", text: pct(eb.poorest.amount_share) })]));
    if (ea.border && eb.border) {
      sb.appendChild(el("tr", null, [el("td", { text: t("alloc.border_short") }), el("td", { class: "kt-num", text: pct(ea.border.amount_share) }),
        el("td", { class: "kt-num", text: pct(eb.border.amount_share) })]));
    }
    side.appendChild(sb);
    box.appendChild(el("div", { class: "kt-wb-scroll" }, [side]));
    var rows = diffRows(a, b).filter(function (r) { return r.a || r.b; })
      .sort(function (x, y) { return Math.abs(y.d) - Math.abs(x.d) || x.code.localeCompare(y.code); });
    var tbody = el("tbody");
    rows.forEach(function (r) {
      tbody.appendChild(el("tr", { "data-code": r.code, "data-diff": r.d, tabindex: 0, onclick: function () { goTo(r.code); },
        onkeydown: function (ev) { if (ev.key === "Enter") ev.currentTarget.click(); } }, [
        el("td", null, [el("span", { class: "kt-target-name", text: r.p.name || r.code }), el("small", { text: r.p.district_name || "" })]),
        el("td", { class: "kt-num", text: fmt(r.a, 0) }), el("td", { class: "kt-num", text: fmt(r.b, 0) }),
        el("td", { class: "kt-num kt-alloc-d" + (r.d > 0 ? " kt-up" : r.d < 0 ? " kt-down" : ""), text: (r.d > 0 ? "+" : "") + fmt(r.d, 0) })]));
    });
    box.appendChild(el("div", { class: "kt-wb-scroll kt-alloc-scroll" }, [el("table", { class: "kt-targets-table", id: "kt-alloc-diff" }, [
      el("thead", null, [el("tr", null, [el("th", { text: t("alloc.col_unit") }), el("th", { class: "kt-num", text: t("alloc.col_a") }),
        el("th", { class: "kt-num", text: t("alloc.col_b") }), el("th", { class: "kt-num", text: t("alloc.col_diff") })])]), tbody])]));
    return box;
  }

  // ------------------------------------------------------------ equity
  function equityBlock(res) {
    var e = res.equity, tt = res.totals;
    var box = el("div", { class: "kt-alloc-equity", id: "kt-alloc-equity" }, [el("h3", { class: "kt-h3", text: t("alloc.equity_title") })]);
    box.appendChild(el("p", { class: "kt-alloc-fact", id: "kt-alloc-poorest", text: t("alloc.poorest", { money: pct(e.poorest.amount_share),
      n: e.poorest.units, pct: fmt(e.poorest.fraction * 100, 0) + "%", year: tt.year, households: pct(e.poorest.poor_households_share) }) }));
    if (e.border) {
      box.appendChild(el("p", { class: "kt-alloc-fact", id: "kt-alloc-border", text: t("alloc.border", { money: pct(e.border.amount_share),
        n: e.border.units, households: pct(e.border.poor_households_share) }) }));
    }
    box.appendChild(el("p", { class: "kt-alloc-fact", id: "kt-alloc-gini", text: t("alloc.gini", { all: fmt(e.gini, 3), eligible: fmt(e.gini_eligible, 3) }) }));
    box.appendChild(lorenzChart(e));
    if (e.without_households && e.without_households.units) box.appendChild(el("div", { class: "kt-hint", text: t("alloc.without_households", { n: e.without_households.units }) }));
    box.appendChild(el("div", { class: "kt-caption", text: t("alloc.districts_title") }));
    var tbody = el("tbody");
    e.districts.forEach(function (d) {
      tbody.appendChild(el("tr", { "data-district": d.district_code }, [el("td", { text: d.district_name }),
        el("td", { class: "kt-num", text: d.eligible + "/" + d.units }), el("td", { class: "kt-num", text: fmt(d.amount, 0) }),
        el("td", { class: "kt-num", text: fmt(d.poor_households, 0) }), el("td", { class: "kt-num", text: fmt(d.amount_per_poor_household, 3) })]));
    });
    box.appendChild(el("div", { class: "kt-wb-scroll" }, [el("table", { class: "kt-targets-table", id: "kt-alloc-districts" }, [
      el("thead", null, [el("tr", null, [el("th", { text: t("page.district") }), el("th", { class: "kt-num", text: t("alloc.col_eligible") }),
        el("th", { class: "kt-num", text: t("alloc.col_amount") }), el("th", { class: "kt-num", text: t("alloc.col_poor_households") }),
        el("th", { class: "kt-num", text: t("alloc.col_per_household") })])]), tbody])]));
    if (e.synthetic && (e.synthetic.poor_rate || e.synthetic.poor_households)) {
      box.appendChild(el("div", { class: "kt-demo", id: "kt-alloc-equity-synthetic", text: "\u26A0 " + t("alloc.equity_synthetic") }));
    }
    return box;
  }

  function lorenzChart(e) {
    var W = 280, H = 230, L0 = 40, T0 = 10, R0 = 10, B0 = 38;
    var w = W - L0 - R0, h = H - T0 - B0;
    function X(x) { return (L0 + x * w).toFixed(1); }
    function Y(y) { return (T0 + (1 - y) * h).toFixed(1); }
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "kt-alloc-lorenz", id: "kt-alloc-lorenz", role: "img",
      "aria-label": t("alloc.lorenz_title") });
    root.appendChild(svg("title", {}, t("alloc.lorenz_title")));
    [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
      root.appendChild(svg("line", { x1: X(0), x2: X(1), y1: Y(v), y2: Y(v), stroke: "#e3e7eb" }));
      root.appendChild(svg("text", { x: L0 - 4, y: Number(Y(v)) + 3, "text-anchor": "end", "font-size": 9, fill: "#555" }, String(v * 100)));
      root.appendChild(svg("text", { x: X(v), y: T0 + h + 11, "text-anchor": "middle", "font-size": 9, fill: "#555" }, String(v * 100)));
    });
    root.appendChild(svg("rect", { x: L0, y: T0, width: w, height: h, fill: "none", stroke: "#9aa5b1" }));
    root.appendChild(svg("line", { x1: X(0), y1: Y(0), x2: X(1), y2: Y(1), stroke: "#777", "stroke-dasharray": "4 3" }));
    function curve(points, colour, cls) {
      if (!points || !points.length) return;
      root.appendChild(svg("polyline", { points: points.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" "),
        fill: "none", stroke: colour, "stroke-width": 2, class: cls, "data-points": points.length }));
    }
    curve(e.lorenz, "#d9480f", "kt-lorenz-all");
    curve(e.lorenz_eligible, "#1864ab", "kt-lorenz-eligible");
    root.appendChild(svg("text", { x: L0 + w / 2, y: H - 14, "text-anchor": "middle", "font-size": 9, fill: "#333" }, t("alloc.lorenz_x_short")));
    var yl = svg("text", { x: 10, y: T0 + h / 2, "text-anchor": "middle", "font-size": 9, fill: "#333", transform: "rotate(-90 10 " + (T0 + h / 2) + ")" }, t("alloc.lorenz_y"));
    root.appendChild(yl);
    var keys = el("div", { class: "kt-alloc-keys" }, [
      el("span", { class: "kt-key kt-key-all", text: t("alloc.lorenz_all") + " (" + fmt(e.gini, 3) + ")" }),
      el("span", { class: "kt-key kt-key-eligible", text: t("alloc.lorenz_eligible") + " (" + fmt(e.gini_eligible, 3) + ")" }),
      el("span", { class: "kt-key kt-key-equal", text: t("alloc.lorenz_equal") })]);
    return el("figure", { class: "kt-alloc-figure" }, [el("figcaption", { class: "kt-caption", text: t("alloc.lorenz_title") }), root, keys,
      el("div", { class: "kt-hint", text: t("alloc.lorenz_x") })]);
  }

  // ------------------------------------------------------------ the map layer
  function breaksOf(values, k) {
    var v = values.filter(function (x) { return x > 0; }).sort(function (a, b) { return a - b; });
    if (!v.length) return [];
    var out = [];
    for (var i = 1; i < k; i++) {
      var q = v[Math.min(v.length - 1, Math.floor(i * v.length / k))];
      if (!out.length || q > out[out.length - 1]) out.push(q);
    }
    return out;  // class i: below out[i]; the last: at or above the last break
  }

  function classOf(x, breaks) {
    for (var i = 0; i < breaks.length; i++) if (x < breaks[i]) return i;
    return breaks.length;
  }

  function mapModel() {
    var st = A.st, res = st.result;
    if (!res || st.show === "off") return null;
    if (st.show === "diff" && comparable()) {
      var rows = diffRows(st.a, res);
      var mags = rows.map(function (r) { return Math.abs(r.d); });
      var br = breaksOf(mags, 3);
      var by = {};
      rows.forEach(function (r) {
        var c = r.d === 0 ? "#f1f3f5" : (r.d > 0 ? DIFF_MORE : DIFF_LESS)[Math.min(2, classOf(Math.abs(r.d), br))];
        by[r.code] = { fill: c, hatch: false, text: (r.p.name || r.code) + ": " + (r.d > 0 ? "+" : "") + fmt(r.d, 0) };
      });
      return { kind: "diff", byCode: by, breaks: br };
    }
    var list = units(res);
    var breaks = breaksOf(list.map(function (p) { return p.amount; }), AMOUNT_COLOURS.length);
    var out = {};
    list.forEach(function (p) {
      out[p.gso_code] = p.eligible
        ? { fill: AMOUNT_COLOURS[classOf(p.amount, breaks)], hatch: false, text: (p.name || p.gso_code) + ": " + fmt(p.amount, 0) }
        : { fill: "url(#kt-nodata)", hatch: true, text: (p.name || p.gso_code) + ": " + t("alloc.legend_ineligible") };
    });
    return { kind: "amount", byCode: out, breaks: breaks };
  }

  function drawMap() {
    var st = A.st;
    if (A.layer) { S.map.removeLayer(A.layer); A.layer = null; }
    var model = mapModel();
    if (!model) return Promise.resolve(null);
    var source = { district: "districts", commune_2025: "communes_2025" }[st.result.level] || "communes";
    return KT.geometry(source).then(function (geo) {
      var feats = Object.keys(model.byCode).map(function (code) {
        var g = geo.byCode[code];
        return g ? { type: "Feature", id: code, properties: { code: code }, geometry: g.geometry } : null;
      }).filter(function (f) { return f; });
      A.layer = L.geoJSON({ type: "FeatureCollection", features: feats }, {
        pane: "kt-alloc",
        style: function (f) {
          var m = model.byCode[f.id];
          return { fillColor: m.fill, fillOpacity: m.hatch ? 0.85 : 0.88, color: "#444", weight: 0.7, opacity: 0.9 };
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(el("span", { text: model.byCode[f.id].text }), { sticky: true });
          layer.on("click", function () { goTo(f.id); });
        }
      }).addTo(S.map);
      A.model = model;
      document.body.setAttribute("data-kt-alloc-map", model.kind);
      return A.layer;
    });
  }

  // The legend, in the panel and on the map (top right: the layer control lives in the panel).
  function legend() {
    var box = document.getElementById("kt-alloc-legend");
    if (box) fillLegend(box, false);
    if (!A.control) {
      var Control = L.Control.extend({ onAdd: function () {
        var div = L.DomUtil.create("div", "kt-alloc-map-legend leaflet-control");
        div.id = "kt-alloc-map-legend";
        L.DomEvent.disableClickPropagation(div);
        return div;
      } });
      A.control = new Control({ position: "topright" }).addTo(S.map);
    }
    var onMap = document.getElementById("kt-alloc-map-legend");
    fillLegend(onMap, true);
    onMap.hidden = !A.layer && !mapModel();
  }

  function fillLegend(box, onMap) {
    box.textContent = "";
    var model = mapModel();
    if (!model) return;
    if (onMap) box.appendChild(el("div", { class: "kt-alloc-map-title", text: t("alloc.title") + " — " + ruleName(A.st.result.totals) }));
    var b = model.breaks;
    function item(colour, text, hatch) {
      var sw = el("span", { class: "kt-alloc-swatch" + (hatch ? " kt-alloc-hatch" : "") });
      if (!hatch) sw.style.background = colour;
      return el("div", { class: "kt-alloc-legend-item" }, [sw, " " + text]);
    }
    function ranges(prefix) {
      var out = [];
      for (var i = 0; i <= b.length; i++) {
        var lo = i === 0 ? null : b[i - 1], hi = i < b.length ? b[i] : null;
        out.push(prefix + (lo === null ? "< " + fmt(hi, 0) : hi === null ? "≥ " + fmt(lo, 0) : fmt(lo, 0) + "–" + fmt(hi, 0)));
      }
      return out;
    }
    if (model.kind === "amount") {
      box.appendChild(el("div", { class: "kt-caption", text: t("alloc.legend_amount") }));
      ranges("").forEach(function (text, i) { box.appendChild(item(AMOUNT_COLOURS[i], b.length ? text : "> 0")); });
      box.appendChild(item(null, t("alloc.legend_ineligible"), true));
    } else {
      box.appendChild(el("div", { class: "kt-caption", text: t("alloc.legend_diff") }));
      var r = ranges("");
      r.slice().reverse().forEach(function (text, k) { var i = r.length - 1 - k; box.appendChild(item(DIFF_MORE[Math.min(2, i)], "+ " + text)); });
      box.appendChild(item("#f1f3f5", t("alloc.legend_same")));
      r.forEach(function (text, i) { box.appendChild(item(DIFF_LESS[Math.min(2, i)], "− " + text)); });
    }
  }
})();
