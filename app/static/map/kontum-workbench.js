/* Kon Tum poverty map — the planner's workbench (loaded after kontum-map.js).
 *
 * The targeting panel (everything /targets can do: one indicator or a weighted
 * composite, year, level, how many, the spatial constraint), the totals of the
 * selection, the attribute table of the layer shown, downloads of every layer
 * and selection in the six formats, the phone layout (panel as a bottom
 * sheet, collapsible legend) and the view in the URL.
 *
 * Its strings come from the server (config.workbench.i18n: the catalogue's workbench table,
 * geo/messages.toml).
 * Text from data goes in through textContent only.
 */
(function () {
  "use strict";

  var KT = window.KontumMap;
  if (!KT) return;
  var W = {};
  KT.workbench = W;
  var S = null, O = null, T = null;
  var PHONE = KT.PHONE;  // below this width the panel is a bottom sheet (kontum-map.js)

  var el = KT.el;  // kontum-map.js

  function fmt(x, digits) {
    if (x === null || x === undefined || isNaN(x)) return "–";
    return Number(x).toLocaleString(S.lang === "vi" ? "vi-VN" : "en-GB",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function option(value, label, selected) {
    return el("option", { value: value, text: label, selected: selected ? true : null });
  }

  function select(id, items, value, onchange) {
    var s = el("select", { id: id, onchange: onchange });
    items.forEach(function (it) { s.appendChild(option(it.id, it.label, String(it.id) === String(value))); });
    return s;
  }

  function field(label, control, id) {
    return el("div", { class: "kt-wb-field" }, [el("label", { class: "kt-label", for: id, text: label }), control]);
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // ------------------------------------------------------------ state
  function defaults() {
    return { mode: "single", indicator: "poor_rate", weights: { poor_rate: 1 }, level: "commune", top: 10,
      c: "border", country: "", km: 0, point: null, polygon: null, district: "", status: "p135", negate: false,
      active: false };
  }

  W.init = function (state) {
    S = state; O = S.cfg.workbench; T = O.i18n;
    S.map.invalidateSize({ animate: false });  // the page's stylesheets may have changed the map's box
    W.q = defaults();
    W.answer = null;
    W.seq = 0;
    var params = new URLSearchParams(window.location.search);
    if (params.get("t")) {
      try { Object.assign(W.q, JSON.parse(params.get("t"))); } catch (e) { /* a bad link: the defaults */ }
    }
    buildPanel();
    buildAttributes();
    phoneLayout();
    if (KT.compare) KT.compare.init(S);
    KT.on("year", function () { buildPanel(); if (W.q.active) W.run(); renderAttributes(); writeUrl(); });
    KT.on("layer", function () { renderAttributes(); writeUrl(); });
    KT.on("compare", function () { writeUrl(); });
    S.map.on("preclick", onMapClick);  // "click" does not reach the map when a commune's popup takes it
    S.map.on("popupopen", function (e) {
      W.selected = popupCode(e.popup);
      writeUrl();
      if (document.body.classList.contains("kt-sheet-open") && window.innerWidth < PHONE) W.sheet(false);
    });
    S.map.on("popupclose", function () { W.selected = null; writeUrl(); });
    return restoreView(params).then(function () {
      S.map.on("moveend", writeUrl);
      writeUrl();
      document.body.setAttribute("data-kt-workbench", "1");
    });
  };

  function popupCode(popup) {
    var src = popup && popup._source;
    var f = src && src.feature;
    if (!f || !f.id) {  // a short popup of a unit (no layer of its source shown)
      var box = popup && popup.getContent && popup.getContent();
      var code = box && box.getAttribute && box.getAttribute("data-code");
      if (!code) return null;
      return box.getAttribute("data-source") === "communes_2025" ? "communes_2025:" + code : code;
    }
    return f.properties && "members_2020" in f.properties ? "communes_2025:" + f.id : String(f.id);
  }

  // ------------------------------------------------------------ panel
  function indicatorsOf(level) { return O.indicators[level] || []; }

  function indicatorInfo(id) {
    return indicatorsOf(W.q.level).filter(function (x) { return x.id === id; })[0];
  }

  // The poverty standard of the values ranked (of the year chosen when the indicator has years).
  function standardText(info) {
    if (!info || !info.standards.length) return T.no_standard;
    return info.standard_by_year[String(S.year)] || info.standards.join("; ");
  }

  function buildPanel() {
    var box = document.getElementById("kt-workbench");
    if (!box) return;
    box.textContent = "";
    var q = W.q;
    var form = el("div", { class: "kt-wb-form" });
    form.appendChild(field(T.level, select("kt-wb-level", O.levels, q.level, function (ev) {
      q.level = ev.target.value;
      if (!indicatorInfo(q.indicator)) q.indicator = (indicatorsOf(q.level)[0] || {}).id;
      buildPanel(); changed();
    }), "kt-wb-level"));
    form.appendChild(field(T.mode, select("kt-wb-mode", [{ id: "single", label: T.mode_single },
      { id: "composite", label: T.mode_composite }], q.mode, function (ev) { q.mode = ev.target.value; buildPanel(); changed(); }),
      "kt-wb-mode"));
    if (q.mode === "single") {
      var items = indicatorsOf(q.level).map(function (x) { return { id: x.id, label: x.name + (x.unit ? " (" + x.unit + ")" : "") }; });
      form.appendChild(field(T.indicator, select("kt-wb-indicator", items, q.indicator, function (ev) {
        q.indicator = ev.target.value; buildPanel(); changed();
      }), "kt-wb-indicator"));
      form.appendChild(el("div", { class: "kt-hint kt-wb-standard", text: T.standard + ": " + standardText(indicatorInfo(q.indicator)) }));
    } else {
      form.appendChild(weightsBlock());
    }
    var years = S.cfg.years.map(function (y) { return { id: y, label: String(y) }; });
    var row = el("div", { class: "kt-row" }, [
      field(T.year, select("kt-wb-year", years, S.year, function (ev) { KT.setYear(parseInt(ev.target.value, 10)); }), "kt-wb-year"),
      field(T.top, el("input", { id: "kt-wb-top", type: "number", min: 1, max: 500, step: 1, value: q.top,
        oninput: function (ev) { var n = parseInt(ev.target.value, 10); if (n >= 1 && n <= 500) { q.top = n; changed(); } } }), "kt-wb-top")]);
    form.appendChild(row);
    var cs = ["none", "border", "roads", "point", "polygon", "district", "status"].map(function (c) {
      return { id: c, label: T["c_" + c] };
    });
    form.appendChild(field(T.constraint, select("kt-wb-constraint", cs, q.c, function (ev) {
      q.c = ev.target.value; buildPanel(); changed();
    }), "kt-wb-constraint"));
    form.appendChild(constraintBlock());
    form.appendChild(el("button", { type: "button", id: "kt-wb-run", class: "kt-button", text: T.run,
      onclick: function () { q.active = true; W.run(); } }));
    box.appendChild(form);
    box.appendChild(el("div", { id: "kt-targets", class: "kt-targets", "aria-live": "polite" }));
    if (W.answer) showAnswer(W.answer.body, W.answer.params);
  }

  function weightsBlock() {
    var q = W.q;
    var wrap = el("fieldset", { class: "kt-wb-weights" }, [el("legend", { text: T.weights })]);
    indicatorsOf(q.level).filter(function (x) { return x.kind !== "flag"; }).forEach(function (x) {
      var id = "kt-wb-w-" + x.id;
      var input = el("input", { id: id, type: "number", min: 0, step: 0.1, value: q.weights[x.id] || 0, "data-indicator": x.id,
        oninput: function (ev) {
          var v = parseFloat(ev.target.value);
          if (v > 0) q.weights[x.id] = v; else delete q.weights[x.id];
          changed();
        } });
      wrap.appendChild(el("div", { class: "kt-wb-weight" }, [input, " ",
        el("label", { for: id }, [x.name + (x.unit ? " (" + x.unit + ")" : ""), el("small", { text: T.standard + ": " + standardText(x) })])]));
    });
    return wrap;
  }

  function kmInput() {
    return field(T.within_km, el("input", { id: "kt-wb-km", type: "number", min: 0, max: 1000, step: 1, value: W.q.km,
      oninput: function (ev) { var v = parseFloat(ev.target.value); if (v >= 0) { W.q.km = v; changed(); } } }), "kt-wb-km");
  }

  function constraintBlock() {
    var q = W.q;
    var box = el("div", { class: "kt-wb-constraint" });
    if (q.c === "border") {
      var cs = [{ id: "", label: T.country_any }].concat(O.countries);
      box.appendChild(el("div", { class: "kt-row" }, [
        field(T.country, select("kt-wb-country", cs, q.country, function (ev) { q.country = ev.target.value; changed(); }), "kt-wb-country"),
        kmInput()]));
    } else if (q.c === "roads") {
      box.appendChild(kmInput());
    } else if (q.c === "point") {
      box.appendChild(kmInput());
      box.appendChild(el("div", { class: "kt-hint", id: "kt-wb-point",
        text: q.point ? T.point_set + ": " + q.point[1].toFixed(4) + ", " + q.point[0].toFixed(4) : T.point_hint }));
    } else if (q.c === "polygon") {
      box.appendChild(el("div", { class: "kt-hint", text: T.draw_first }));
    } else if (q.c === "district") {
      var ds = S.cfg.districts.map(function (d) { return { id: d.code, label: d.name }; });
      if (!q.district) q.district = ds[0].id;
      box.appendChild(field(T.district, select("kt-wb-district", ds, q.district, function (ev) { q.district = ev.target.value; changed(); }), "kt-wb-district"));
    } else if (q.c === "status") {
      box.appendChild(field(T.status, select("kt-wb-status", O.statuses, q.status, function (ev) { q.status = ev.target.value; changed(); }), "kt-wb-status"));
      box.appendChild(el("label", { class: "kt-hint" }, [el("input", { type: "checkbox", id: "kt-wb-negate", checked: q.negate ? true : null,
        onchange: function (ev) { q.negate = ev.target.checked; changed(); } }), " " + T.negate]));
    }
    return box;
  }

  var rerun = debounce(function () { W.run(); }, 250);
  function changed() { writeUrl(); if (W.q.active) rerun(); }

  function onMapClick(ev) {
    if (W.q.c !== "point") return;
    W.q.point = [Number(ev.latlng.lng.toFixed(5)), Number(ev.latlng.lat.toFixed(5))];
    W.q.active = true;
    buildPanel();
    W.run();
  }

  W.selectArea = function (geom) {
    Object.assign(W.q, { c: "polygon", polygon: geom, active: true });
    buildPanel();
    return W.run();
  };

  W.poorestBorder = function () {
    Object.assign(W.q, { mode: "single", indicator: "poor_rate", level: "commune", top: 10, c: "border", country: "", km: 0,
      active: true });
    buildPanel();
    return W.run();
  };

  // The /targets parameters of the query (without f / geometry).
  function targetParams() {
    var q = W.q;
    var p = { level: q.level, year: S.year, top: q.top, lang: S.lang };
    if (q.mode === "composite") {
      var ws = Object.keys(q.weights).filter(function (k) { return q.weights[k] > 0; });
      p.weights = ws.map(function (k) { return k + ":" + q.weights[k]; }).join(",");
    } else {
      p.indicator = q.indicator;
      var info = indicatorInfo(q.indicator);
      if (info && !info.years.length) delete p.year;  // a flag or an undated value
    }
    if (q.c === "border") { p.near = "border"; p.within_km = q.km || 0; if (q.country) p.country = q.country; }
    else if (q.c === "roads") { p.near = "roads"; p.within_km = q.km || 0; }
    else if (q.c === "point" && q.point) { p.near = "point:" + q.point[0] + "," + q.point[1]; p.within_km = q.km || 0; }
    else if (q.c === "polygon" && q.polygon) p.intersects = JSON.stringify(q.polygon);
    else if (q.c === "district" && q.district) p.district = q.district;
    else if (q.c === "status" && q.status) p.status = (q.negate ? "!" : "") + q.status;
    return p;
  }
  W.params = targetParams;

  function targetsUrl(params) {
    return S.cfg.urls.targets + "?" + new URLSearchParams(params).toString();
  }

  W.run = function () {
    var box = document.getElementById("kt-targets");
    var q = W.q;
    if (q.mode === "composite" && !Object.keys(q.weights).length) return Promise.resolve(null);
    if ((q.c === "point" && !q.point) || (q.c === "polygon" && !q.polygon)) {
      box.textContent = "";
      box.appendChild(el("div", { class: "kt-hint", text: q.c === "point" ? T.point_hint : T.draw_first }));
      return Promise.resolve(null);
    }
    var params = targetParams();
    var seq = ++W.seq;
    box.setAttribute("aria-busy", "true");
    var list = Object.assign({}, params, { geometry: "none" });
    if (q.level !== "commune" && q.level !== "district") delete list.geometry;  // no page geometry: take the server's
    writeUrl();
    return fetch(targetsUrl(list), { headers: { Accept: "application/geo+json, application/json" } }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (seq !== W.seq) return null;  // a newer question was asked
        box.removeAttribute("aria-busy");
        if (!r.ok) {
          W.answer = null;
          KT.clearHighlight();
          box.textContent = "";
          box.appendChild(el("div", { class: "kt-message", "data-status": String(r.status),
            text: T.error + ": " + (body.description || body.error || r.status) }));
          return null;
        }
        W.answer = { body: body, params: params };
        showAnswer(body, params);
        var source = q.level === "commune" ? "communes" : q.level === "district" ? "districts" : null;
        return KT.highlight(body.features || [], source, !W.restoring).then(function () { return body; });
      });
    }).catch(function (err) {
      box.removeAttribute("aria-busy");
      box.textContent = "";
      box.appendChild(el("div", { class: "kt-message", text: T.error + ": " + err.message }));
      return null;
    });
  };

  function caption(body) {
    var echo = body.query || {};
    var names = Object.keys(echo.indicators || {}).map(function (id) {
      var info = indicatorInfo(id);
      return info ? info.name : id;
    });
    var year = typeof echo.year === "object" && echo.year !== null
      ? Object.keys(echo.year).map(function (k) { return echo.year[k]; }).filter(function (y) { return y; }).join(", ")
      : echo.year;
    var level = (O.levels.filter(function (l) { return l.id === echo.level; })[0] || {}).label || echo.level;
    return names.join(" + ") + (year ? " — " + year : "") + " — " + level + constraintLabel(W.answer ? W.answer.params : {});
  }

  function labelOf(list, id) { return (list.filter(function (x) { return String(x.id) === String(id); })[0] || {}).label || id; }

  // The constraint of an answer, in words (from the parameters it was asked with).
  function constraintLabel(p) {
    var km = Number(p.within_km) > 0 ? " ≤ " + fmt(Number(p.within_km), 0) + " km" : "";
    if (p.near === "border") return " — " + T.c_border + (p.country ? " (" + labelOf(O.countries, p.country) + ")" : "") + km;
    if (p.near === "roads") return " — " + T.c_roads + km;
    if (p.near && p.near.indexOf("point:") === 0) return " — " + T.c_point + km;
    if (p.intersects) return " — " + T.c_polygon;
    if (p.district) return " — " + labelOf(S.cfg.districts.map(function (d) { return { id: d.code, label: d.name }; }), p.district);
    if (p.status) return " — " + (p.status.charAt(0) === "!" ? T.negate + " " : "") + labelOf(O.statuses, p.status.replace(/^!/, ""));
    return " — " + T.c_none;
  }

  function distanceColumns(params) {
    var cols = [{ key: "centre_to_border_km", label: T.to_border }];
    if (params.near === "roads") cols.push({ key: "distance_km", label: T.to_road });
    else if (params.near && params.near.indexOf("point:") === 0) cols.push({ key: "distance_km", label: T.to_point });
    else if (params.near === "border" && Number(params.within_km) > 0) cols.push({ key: "distance_km", label: T.to_border_edge });
    return cols;
  }

  function showAnswer(body, params) {
    var box = document.getElementById("kt-targets");
    if (!box) return;
    box.textContent = "";
    var features = body.features || [];
    box.appendChild(el("div", { class: "kt-caption", "data-year": (body.query || {}).year,
      text: caption(body) + " (" + features.length + (body.matched > features.length ? " / " + body.matched : "") + ")" }));
    if (!features.length) {
      box.appendChild(el("div", { class: "kt-hint", text: T.none_found }));
    } else {
      box.appendChild(rankingTable(body, params));
      if (body.synthetic) box.appendChild(el("div", { class: "kt-demo", text: "\u26A0 " + S.cfg.demo_label }));
      box.appendChild(totalsBlock(body.totals || {}));
    }
    box.appendChild(downloads(function (f, geom) {
      var p = Object.assign({}, params, { f: f });
      if (geom && (f === "csv" || f === "xlsx")) p.geometry = geom;
      return targetsUrl(p);
    }, "kt-downloads"));
  }

  function rankingTable(body, params) {
    var ids = Object.keys((body.query || {}).indicators || {});
    var single = ids.length === 1;
    var info = single ? indicatorInfo(ids[0]) : null;
    var dists = distanceColumns(params);
    var head = [el("th", { text: T.rank }), el("th", { text: T.unit }),
      el("th", { class: "kt-num", text: single ? (info ? info.name : ids[0]) + (info && info.unit ? " (" + info.unit + ")" : "") : T.score })];
    dists.forEach(function (d) { head.push(el("th", { class: "kt-num", text: d.label })); });
    var table = el("table", { class: "kt-targets-table" }, [el("thead", null, [el("tr", null, head)])]);
    var tbody = el("tbody");
    (body.features || []).forEach(function (f, i) {
      var p = f.properties || {};
      var v = single ? p[ids[0]] : p.score;
      var digits = single ? (info && (info.unit === "hộ" || info.unit === "households" || info.unit === "người" || info.unit === "persons") ? 0 : 1) : 3;
      var cells = [el("td", { text: p.rank !== null && p.rank !== undefined ? p.rank : "–" }),
        el("td", null, [el("span", { class: "kt-target-name", text: p.name || "" }), el("small", { text: p.district_name || p.gso_code || "" })]),
        el("td", { class: "kt-num", text: v === null || v === undefined ? "–" : fmt(v, digits) + unitText(single ? info : null) })];
      dists.forEach(function (d) {
        var km = p[d.key];
        cells.push(el("td", { class: "kt-num", "data-col": d.key, text: km === null || km === undefined ? "–" : fmt(km, 1) + " km" }));
      });
      var rankNo = p.rank !== null && p.rank !== undefined ? p.rank : "–";
      tbody.appendChild(el("tr", { "data-code": p.gso_code, tabindex: 0,
        "aria-label": KT.t("rank_row", { rank: rankNo, name: p.name || "", district: p.district_name || p.gso_code || "" }),
        onclick: function () { openUnit(W.q.level, p.gso_code); },
        onkeydown: function (ev) { if (ev.key === "Enter") ev.currentTarget.click(); } }, cells));
      void i;
    });
    table.appendChild(tbody);
    return el("div", { class: "kt-wb-scroll" }, [table]);
  }

  // Zoom to a unit of a level and open its popup (a district: zoom to it).
  function openUnit(level, code) {
    if (level === "district") KT.zoomDistrict(code);
    else KT.goTo(code, level === "commune_2025" ? "communes_2025" : "communes");
  }
  W.openUnit = openUnit;

  function unitText(info) {
    if (!info || !info.unit) return "";
    return info.unit === "%" ? "%" : " " + info.unit;
  }

  function totalsBlock(totals) {
    var box = el("div", { class: "kt-wb-totals", id: "kt-wb-totals" }, [el("div", { class: "kt-caption", text: T.totals })]);
    O.counts.forEach(function (id) {
      var t = totals[id];
      if (!t || !t.units) return;
      var note = [];
      if (t.years && t.years.length) note.push(t.years.join(", "));
      if (t.synthetic_share > 0) note.push(fmt(t.synthetic_share * 100, 0) + "% " + T.synthetic_share);
      if (t.units < t.of) note.push(t.units + "/" + t.of + " " + T.units_with_value);
      box.appendChild(el("div", { class: "kt-wb-total", "data-count": id }, [
        el("span", { text: T[id] + ": " }), el("strong", { text: fmt(t.total, 0) }),
        note.length ? el("small", { text: " (" + note.join("; ") + ")" }) : null]));
    });
    return box;
  }

  // Six format buttons (links); CSV / XLSX take the coordinates option.
  function downloads(urlOf, cls) {
    var wrap = el("div", { class: "kt-downloads " + (cls || "") }, [T.download + ": "]);
    var geomSel = el("select", { class: "kt-wb-geom", "aria-label": T.csv_geometry, onchange: update },
      O.geometry_options.map(function (g) { return option(g, T["geom_" + g], g === "none"); }));
    var links = O.formats.map(function (f) {
      var a = el("a", { class: "kt-dl", "data-format": f, download: "", text: f.toUpperCase() });
      wrap.appendChild(a);
      return a;
    });
    function update() {
      links.forEach(function (a) {
        var f = a.getAttribute("data-format");
        a.setAttribute("href", urlOf(f, geomSel.value === "none" ? null : geomSel.value));
      });
    }
    update();
    wrap.appendChild(el("label", { class: "kt-wb-geom-label" }, [T.csv_geometry + " ", geomSel]));
    return wrap;
  }

  // ------------------------------------------------------ attribute table
  function shownArea() {
    var hit = null;
    S.order.forEach(function (id) {
      var e = S.entries[id];
      if (!hit && e.spec.area && S.map.hasLayer(e.group) && e.meta && e.features) hit = e;
    });
    return hit;
  }

  var ATTR_SOURCES = ["communes", "districts", "communes_2025"];
  var LEVEL_OF = { communes: "commune", districts: "district", communes_2025: "commune_2025" };

  function buildAttributes() {
    W.attr = { sort: "value", dir: -1, min: "", max: "" };
  }

  function attrRows(entry, names) {
    var rows = entry.features.map(function (f) {
      var p = f.properties || {};
      var n = names[f.id] || {};
      return { code: f.id, name: n.name || p.name || f.id, district: n.district_name || "", value: p.value,
        text: entry.meta.kind === "choropleth" ? (p.value_text || "") : (p.label || String(p.category === undefined || p.category === null ? "" : p.category)),
        status: p.status || "" };
    });
    var a = W.attr;
    var lo = a.min === "" ? null : parseFloat(a.min), hi = a.max === "" ? null : parseFloat(a.max);
    rows = rows.filter(function (r) {
      if (lo === null && hi === null) return true;
      if (r.value === null || r.value === undefined) return false;
      return (lo === null || r.value >= lo) && (hi === null || r.value <= hi);
    });
    rows.sort(function (x, y) {
      var k = a.sort, u = x[k], v = y[k];
      if (u === null || u === undefined) return 1;
      if (v === null || v === undefined) return -1;
      return (typeof u === "number" ? u - v : String(u).localeCompare(String(v))) * a.dir;
    });
    return rows;
  }

  function renderAttributes() {
    var box = document.getElementById("kt-attributes");
    if (!box) return;
    var entry = shownArea();
    var open = box.querySelector("details") ? box.querySelector("details").open : false;
    box.textContent = "";
    var details = el("details", { open: open ? true : null }, [el("summary", { text: T.attr_table })]);
    box.appendChild(details);
    layerDownloads(details);
    if (!entry || ATTR_SOURCES.indexOf(entry.spec.source) < 0) {
      details.appendChild(el("div", { class: "kt-hint", text: T.attr_none }));
      return;
    }
    var names = {};
    var src = entry.spec.source;
    var geo = S.geometry[src];
    (geo ? geo : Promise.resolve(null)).then(function (g) {
      if (g) Object.keys(g.byCode).forEach(function (c) { names[c] = g.byCode[c].properties; });
      fillAttributes(details, entry, names);
    });
  }

  function fillAttributes(details, entry, names) {
    var a = W.attr;
    var numeric = entry.meta.kind === "choropleth";
    var title = entry.spec.title + (entry.meta.year ? " — " + entry.meta.year : "");
    details.appendChild(el("div", { class: "kt-caption", id: "kt-attr-title", text: title }));
    if (numeric) {
      var lo = el("input", { type: "number", step: "any", id: "kt-attr-min", value: a.min, "aria-label": T.attr_min,
        onchange: function (ev) { a.min = ev.target.value; renderAttributes(); writeUrl(); } });
      var hi = el("input", { type: "number", step: "any", id: "kt-attr-max", value: a.max, "aria-label": T.attr_max,
        onchange: function (ev) { a.max = ev.target.value; renderAttributes(); writeUrl(); } });
      details.appendChild(el("div", { class: "kt-wb-range" }, [T.attr_value + ": " + T.attr_min + " ", lo, " " + T.attr_max + " ", hi]));
    }
    var rows = attrRows(entry, names);
    var cols = [["name", T.unit], ["district", T.district], ["value", T.attr_value], ["status", T.attr_status]];
    var head = el("tr", null, cols.map(function (c) {
      var mark = a.sort === c[0] ? (a.dir > 0 ? " \u25B2" : " \u25BC") : "";
      return el("th", { "data-sort": c[0], tabindex: 0, title: T.sort_hint, "aria-sort": a.sort === c[0] ? (a.dir > 0 ? "ascending" : "descending") : null,
        class: c[0] === "value" ? "kt-num" : null,
        onclick: function () { if (a.sort === c[0]) a.dir = -a.dir; else { a.sort = c[0]; a.dir = c[0] === "value" ? -1 : 1; } renderAttributes(); writeUrl(); },
        onkeydown: function (ev) { if (ev.key === "Enter") ev.currentTarget.click(); } }, [c[1] + mark]);
    }));
    var tbody = el("tbody");
    rows.forEach(function (r) {
      tbody.appendChild(el("tr", { "data-code": r.code, tabindex: 0,
        onclick: function () { openUnit(LEVEL_OF[entry.spec.source], r.code); },
        onkeydown: function (ev) { if (ev.key === "Enter") ev.currentTarget.click(); } }, [
        el("td", { text: r.name }), el("td", { text: r.district }), el("td", { class: "kt-num", text: r.text }),
        el("td", { text: S.cfg.status[r.status] || r.status })]));
    });
    details.appendChild(el("div", { class: "kt-hint", id: "kt-attr-count", text: rows.length + " " + T.attr_rows }));
    details.appendChild(el("div", { class: "kt-wb-scroll kt-attr-scroll" }, [el("table", { class: "kt-targets-table kt-attr-table", id: "kt-attr-table" },
      [el("thead", null, [head]), tbody])]));
    var codes = rows.map(function (r) { return r.code; });
    details.appendChild(el("div", { class: "kt-caption", text: T.attr_download }));
    details.appendChild(downloads(function (f, geom) { return layerUrl(entry, f, geom, codes); }, "kt-attr-downloads"));
  }

  function layerUrl(entry, f, geom, codes) {
    var p = new URLSearchParams({ f: f, lang: S.lang });
    if (entry.spec.years.length > 1 && entry.spec.years.indexOf(S.year) >= 0) p.set("year", S.year);
    if (geom && (f === "csv" || f === "xlsx")) p.set("geometry", geom);
    if (codes) p.set("codes", codes.join(","));
    return S.cfg.urls.layer_download.replace("__ID__", encodeURIComponent(entry.spec.id)) + "?" + p.toString();
  }

  // Every visible layer, whole, in the six formats.
  function layerDownloads(details) {
    var box = el("div", { class: "kt-wb-layer-downloads", id: "kt-layer-downloads" });
    S.order.forEach(function (id) {
      var e = S.entries[id];
      if (!S.map.hasLayer(e.group)) return;
      box.appendChild(el("div", { class: "kt-wb-layer-dl", "data-layer": id }, [el("strong", { text: e.spec.title }),
        downloads(function (f, geom) { return layerUrl(e, f, geom, null); }, "kt-layer-dl")]));
    });
    details.appendChild(box);
  }

  // ------------------------------------------------------------ phones
  function phoneLayout() {
    var panel = document.getElementById("kt-panel");
    var toggle = document.getElementById("kt-panel-toggle");
    W.sheet = function (open) {
      document.body.classList.toggle("kt-sheet-open", open);
      if (!toggle) return;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? T.panel_close : T.panel_open;
    };
    if (toggle && panel) {
      toggle.addEventListener("click", function () { W.sheet(!document.body.classList.contains("kt-sheet-open")); });
    }
    var legend = document.getElementById("kt-legend");
    if (legend && !document.getElementById("kt-legend-toggle")) {
      var btn = el("button", { type: "button", id: "kt-legend-toggle", class: "kt-legend-toggle leaflet-control", "aria-controls": "kt-legend",
        "aria-expanded": "true", text: T.legend_toggle,
        onclick: function () {
          var collapsed = !legend.classList.contains("kt-collapsed");
          legend.classList.toggle("kt-collapsed", collapsed);
          btn.setAttribute("aria-expanded", collapsed ? "false" : "true");
        } });
      legend.parentNode.insertBefore(btn, legend);
      L.DomEvent.disableClickPropagation(btn);
      if (window.innerWidth < PHONE) { legend.classList.add("kt-collapsed"); btn.setAttribute("aria-expanded", "false"); }
    }
  }

  // ------------------------------------------------------------ URL state
  // year, layers, classes, centre/zoom, the targeting query, the attribute table and the open popup.
  function viewParams() {
    var p = new URLSearchParams();
    p.set("lang", S.lang);
    p.set("year", S.year);
    var shown = S.order.filter(function (id) { return S.map.hasLayer(S.entries[id].group); });
    p.set("layers", shown.join(","));
    var cls = [];
    shown.forEach(function (id) {
      var e = S.entries[id];
      if (e.scheme || e.k || e.breaks) cls.push([id, e.scheme || "", e.k || "", e.breaks || ""].join("~"));
    });
    if (cls.length) p.set("classes", cls.join("|"));
    var c = S.map.getCenter();
    p.set("c", c.lat.toFixed(5) + "," + c.lng.toFixed(5));
    p.set("z", String(Math.round(S.map.getZoom() * 100) / 100));
    if (W.q.active) p.set("t", JSON.stringify(W.q));
    if (W.attr && (W.attr.min !== "" || W.attr.max !== "" || W.attr.sort !== "value" || W.attr.dir !== -1)) {
      p.set("attr", [W.attr.sort, W.attr.dir, W.attr.min, W.attr.max].join("~"));
    }
    if (W.selected) p.set("sel", W.selected);
    var cmp = KT.compare && KT.compare.param && KT.compare.param();
    if (cmp) p.set("cmp", cmp);
    return p;
  }

  var writing = false;
  function writeUrl() {
    if (writing || !W.ready) return;
    var url = window.location.pathname + "?" + viewParams().toString();
    window.history.replaceState(null, "", url);
    KT.updateLangLink();
  }
  W.url = function () { return window.location.pathname + "?" + viewParams().toString(); };

  function restoreView(params) {
    var jobs = [];
    var want = params.get("layers");
    if (want !== null) {
      var ids = want ? want.split(",") : [];
      S.order.forEach(function (id) {
        var e = S.entries[id];
        var on = ids.indexOf(id) >= 0;
        if (on && !S.map.hasLayer(e.group)) S.map.addLayer(e.group);
        else if (!on && S.map.hasLayer(e.group)) S.map.removeLayer(e.group);
      });
    }
    (params.get("classes") || "").split("|").forEach(function (item) {
      if (!item) return;
      var bits = item.split("~");
      var e = S.entries[bits[0]];
      if (!e) return;
      e.scheme = bits[1] || null; e.k = bits[2] || null; e.breaks = bits[3] || null;
    });
    S.order.forEach(function (id) {
      var e = S.entries[id];
      if (S.map.hasLayer(e.group)) jobs.push(KT.reload(e));
    });
    if (params.get("attr")) {
      var a = params.get("attr").split("~");
      W.attr = { sort: a[0] || "value", dir: Number(a[1]) === 1 ? 1 : -1, min: a[2] || "", max: a[3] || "" };
    }
    var c = (params.get("c") || "").split(",").map(Number), z = Number(params.get("z"));
    var hasView = c.length === 2 && isFinite(c[0]) && isFinite(c[1]) && z > 0;
    function view() {
      if (hasView) S.map.setView([c[0], c[1]], z, { animate: false }); else fitProvince();
    }
    W.restoring = true;
    if (W.q.active) jobs.push(W.run());
    return Promise.all(jobs).then(function () {
      view();
      W.restoring = false;
      if (params.get("cmp") && KT.compare) KT.compare.restore(params.get("cmp"));  // draws on its own
      var sel = params.get("sel");
      W.ready = true;
      renderAttributes();
      if (sel) {
        var bits = sel.split(":");
        return (bits[0] === "communes_2025" ? KT.goTo(bits[1], bits[0]) : KT.goTo(sel)).then(view);
      }
    });
  }

  // The province fills the map at open (the legend's side kept free on wide screens).
  function fitProvince() {
    S.map.invalidateSize({ pan: false });  // the size as laid out now, not as first measured
    var size = S.map.getSize();
    var wide = size.x >= PHONE;
    S.map.fitBounds(KT.provinceBounds(), { paddingTopLeft: [10, 10], paddingBottomRight: [wide ? 260 : 10, 10], animate: false });
  }
  W.fitProvince = fitProvince;
})();
