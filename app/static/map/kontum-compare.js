/* Kon Tum poverty map — comparing two years (loaded after kontum-workbench.js).
 *
 * One indicator, one level, two years of the same poverty standard:
 *  - the change map: a diverging choropleth of the change (/workbench/change.json; a pair
 *    across two standards is refused by the server with a message naming both);
 *  - the swipe view: the indicator's map layer of the first year left of a divider, of the
 *    later year right of it (the two drawn in their own map panes, each clipped — the way
 *    leaflet-side-by-side does it, in a few lines of our own);
 *  - the play control: steps the map's year over the years, one a second and a half.
 * Strings: the catalogue's workbench table (T.<name> is workbench.<name>). Data text via textContent.
 */
(function () {
  "use strict";

  var KT = window.KontumMap;
  if (!KT) return;
  var C = {};
  KT.compare = C;
  var S = null, T = null, O = null;
  var STEP_MS = 1500;
  var SOURCE = { commune: "communes", district: "districts", commune_2025: "communes_2025" };

  var el = KT.el;  // kontum-map.js

  function fmt(x, digits, signed) {
    if (x === null || x === undefined || isNaN(x)) return "–";
    var s = Number(x).toLocaleString(S.lang === "vi" ? "vi-VN" : "en-GB",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return signed && Number(x.toFixed(digits)) > 0 ? "+" + s : s;
  }

  function select(id, items, value, onchange) {
    var s = el("select", { id: id, onchange: onchange });
    items.forEach(function (it) {
      s.appendChild(el("option", { value: it.id, text: it.label, selected: String(it.id) === String(value) ? true : null }));
    });
    return s;
  }

  function field(label, control, id) {
    return el("div", { class: "kt-wb-field" }, [el("label", { class: "kt-label", for: id, text: label }), control]);
  }

  // ------------------------------------------------------------ state
  C.init = function (state) {
    S = state; O = S.cfg.workbench; T = O.i18n;
    C.q = { level: "commune", indicator: "poor_rate", from: null, to: null };
    C.mode = null;        // null | "change" | "swipe"
    C.timer = null;
    C.seq = 0;
    [["kt-change", 415], ["kt-swipe-a", 416], ["kt-swipe-b", 417]].forEach(function (p) {
      S.map.createPane(p[0]).style.zIndex = p[1];
    });
    S.map.on("move zoom resize", clipSwipe);
    build();
  };

  function indicators(level) {
    return (O.indicators[level] || []).filter(function (x) { return x.kind !== "flag" && x.years.length > 1; });
  }

  function info() {
    return indicators(C.q.level).filter(function (x) { return x.id === C.q.indicator; })[0];
  }

  // The map layer that draws the indicator at the level (for the swipe view).
  function layerSpec() {
    return S.cfg.layers.filter(function (l) {
      return l.indicator === C.q.indicator && l.level === C.q.level && l.kind === "choropleth" && l.years.length > 1;
    })[0];
  }

  function fixYears() {
    var it = info();
    if (!it) { it = indicators(C.q.level)[0]; C.q.indicator = it ? it.id : null; }
    // the years most units have a value in (one stray value of a year is no map of it)
    var counts = it ? it.year_units || {} : {};
    var most = Math.max.apply(null, [0].concat(Object.keys(counts).map(function (y) { return counts[y]; })));
    var years = it ? it.years.filter(function (y) { return !most || (counts[String(y)] || 0) * 2 >= most; }) : [];
    if (years.indexOf(Number(C.q.from)) < 0) C.q.from = years.length ? years[0] : null;
    if (years.indexOf(Number(C.q.to)) < 0) C.q.to = years.length ? years[years.length - 1] : null;
    return years;
  }

  // ------------------------------------------------------------ panel
  function build() {
    var box = document.getElementById("kt-compare");
    if (!box) return;
    box.textContent = "";
    var years = fixYears();
    var q = C.q;
    var yearItems = years.map(function (y) { return { id: y, label: String(y) }; });
    box.appendChild(el("h2", { class: "kt-h2", text: T.compare }));
    var form = el("div", { class: "kt-wb-form kt-compare-form" });
    form.appendChild(field(T.level, select("kt-cmp-level", O.levels, q.level, function (ev) {
      q.level = ev.target.value; rebuild();
    }), "kt-cmp-level"));
    form.appendChild(field(T.indicator, select("kt-cmp-indicator", indicators(q.level).map(function (x) {
      return { id: x.id, label: x.name + (x.unit ? " (" + x.unit + ")" : "") };
    }), q.indicator, function (ev) { q.indicator = ev.target.value; rebuild(); }), "kt-cmp-indicator"));
    form.appendChild(el("div", { class: "kt-row kt-compare-years" }, [
      field(T.compare_from, select("kt-cmp-from", yearItems, q.from, function (ev) { q.from = Number(ev.target.value); refresh(); }), "kt-cmp-from"),
      field(T.compare_to, select("kt-cmp-to", yearItems, q.to, function (ev) { q.to = Number(ev.target.value); refresh(); }), "kt-cmp-to")]));
    box.appendChild(form);
    var spec = layerSpec();
    box.appendChild(el("div", { class: "kt-compare-buttons" }, [
      el("button", { type: "button", class: "kt-button", id: "kt-cmp-change", "aria-pressed": C.mode === "change" ? "true" : "false",
        text: T.change_map, onclick: function () { C.show("change"); } }),
      el("button", { type: "button", class: "kt-button", id: "kt-cmp-swipe", "aria-pressed": C.mode === "swipe" ? "true" : "false",
        disabled: spec ? null : true, text: T.swipe, onclick: function () { C.show("swipe"); } }),
      el("button", { type: "button", class: "kt-button", id: "kt-cmp-play", "aria-pressed": C.timer ? "true" : "false",
        text: C.timer ? T.pause : T.play, onclick: function () { C.play(!C.timer); } }),
      C.mode ? el("button", { type: "button", class: "kt-button kt-button-plain", id: "kt-cmp-off", text: T.compare_off,
        onclick: function () { C.show(null); } }) : null]));
    box.appendChild(el("div", { id: "kt-cmp-result", class: "kt-compare-result", "aria-live": "polite" }));
    if (C.answer && C.mode === "change") showSummary(C.answer);
  }

  function rebuild() { fixYears(); refresh(); }

  function refresh() {
    build();
    if (C.mode) C.show(C.mode);
  }

  // ------------------------------------------------------------ the change map
  function changeUrl() {
    var p = new URLSearchParams({ indicator: C.q.indicator, level: C.q.level, from: C.q.from, to: C.q.to, lang: S.lang });
    return S.cfg.urls.change + "?" + p.toString();
  }

  function message(text, status) {
    var box = document.getElementById("kt-cmp-result");
    if (!box) return;
    box.textContent = "";
    box.appendChild(el("div", { class: "kt-message", "data-status": status ? String(status) : null, text: text }));
  }

  // The comparison as one URL value "mode~level~indicator~from~to" (null: none shown), and back.
  C.param = function () {
    return C.mode ? [C.mode, C.q.level, C.q.indicator, C.q.from, C.q.to].join("~") : null;
  };
  C.restore = function (value) {
    var bits = String(value || "").split("~");
    if (bits[0] !== "change" && bits[0] !== "swipe") return Promise.resolve(null);  // a bad link: nothing
    if (O.levels.some(function (l) { return l.id === bits[1]; })) C.q.level = bits[1];
    C.q.indicator = bits[2] || C.q.indicator;
    C.q.from = Number(bits[3]); C.q.to = Number(bits[4]);
    fixYears();  // what the data do not have falls back to the defaults
    return C.show(bits[0]);
  };

  C.show = function (mode) {
    clearLayers();
    C.mode = mode;
    C.answer = null;
    var seq = ++C.seq;
    build();
    KT.emit("compare", mode);
    if (!mode) { document.body.removeAttribute("data-kt-compare"); return Promise.resolve(null); }
    document.body.setAttribute("data-kt-compare", "busy");
    var job = mode === "change" ? showChange(seq) : showSwipe(seq);
    return job.then(function (r) {
      if (seq === C.seq) document.body.setAttribute("data-kt-compare", r ? mode : "error");
      return r;
    });
  };

  function showChange(seq) {
    return fetch(changeUrl(), { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (seq !== C.seq) return null;
        if (!r.ok) { message(T.error + ": " + (body.description || r.status), r.status); return null; }
        return KT.geometry(SOURCE[C.q.level]).then(function (geo) {
          if (seq !== C.seq) return null;
          C.answer = body;
          drawChange(body, geo);
          showSummary(body);
          return body;
        });
      });
    }).catch(function (err) { message(T.error + ": " + err.message); return null; });
  }

  function changeText(body, f) {
    return f.change === null ? T.no_pair : fmt(f.change, body.digits, true) + (body.change_unit ? " " + body.change_unit : "");
  }

  function changePopup(body, f, props) {
    var rows = [[String(body.from), fmt(f.from, body.digits) + unitSuffix(body)], [String(body.to), fmt(f.to, body.digits) + unitSuffix(body)],
      [T.change, changeText(body, f)], [T.standard, body.standard || T.no_standard]];
    var table = el("table", { class: "kt-popup-table" }, rows.map(function (r) {
      return el("tr", null, [el("th", { text: r[0] }), el("td", { text: r[1] })]);
    }));
    return el("div", { class: "kt-popup kt-change-popup", "data-code": f.id }, [
      el("h3", { text: props.name || f.id }),
      el("div", { class: "kt-sub", text: body.name + " — " + T.change + " " + body.from + " → " + body.to }),
      table, f.synthetic ? el("div", { class: "kt-demo", text: "\u26A0 " + S.cfg.demo_label }) : null]);
  }

  function unitSuffix(body) { return !body.unit ? "" : body.unit === "%" ? "%" : " " + body.unit; }

  function drawChange(body, geo) {
    var byId = {};
    body.features.forEach(function (f) { byId[f.id] = f; });
    var features = geo.fc.features.filter(function (g) { return byId[g.id]; });
    C.layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      pane: "kt-change",
      style: function (g) {
        var f = byId[g.id];
        return { fillColor: f.color || "url(#kt-nodata)", fillOpacity: f.color ? 0.9 : 1, color: "#444", weight: 0.7, opacity: 0.9 };
      },
      onEachFeature: function (g, layer) {
        var f = byId[g.id];
        layer.bindTooltip(function () {
          return el("div", null, [el("strong", { text: g.properties.name || g.id }), el("div", { text: changeText(body, f) })]);
        }, { sticky: true, direction: "top", opacity: 0.95 });
        layer.bindPopup(function () { return changePopup(body, f, g.properties); }, KT.popupOptions());
        layer.on("add", function () {
          var node = layer.getElement();
          if (node) { node.setAttribute("aria-label", (g.properties.name || g.id) + ": " + changeText(body, f)); node.setAttribute("data-code", g.id); }
        });
      }
    }).addTo(S.map);
    C.legend = new (L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "kt-legend kt-change-legend");
        div.id = "kt-change-legend";
        L.DomEvent.disableClickPropagation(div);
        fillLegend(div, body);
        return div;
      }
    }))({ position: "topright" }).addTo(S.map);
  }

  // On a phone the legend starts folded to its title (a button) and its demo mark, so that it does
  // not cover the province's north; a tap unfolds it.
  function fillLegend(div, body) {
    var title = T.change + " " + body.from + " → " + body.to;
    if (window.innerWidth < KT.PHONE) {
      div.classList.add("kt-folded");
      div.appendChild(el("button", { type: "button", class: "kt-legend-title kt-change-toggle", "aria-expanded": "false",
        "aria-controls": "kt-change-legend", text: title, onclick: function (ev) {
          var open = div.classList.toggle("kt-folded") === false;
          ev.currentTarget.setAttribute("aria-expanded", open ? "true" : "false");
        } }));
    } else {
      div.appendChild(el("div", { class: "kt-legend-title", text: title }));
    }
    div.appendChild(el("div", { class: "kt-legend-note", text: body.name + (body.change_unit ? " (" + body.change_unit + ")" : "") }));
    body.legend.forEach(function (e) {
      div.appendChild(el("div", { class: "kt-legend-row" }, [
        el("span", { class: "kt-swatch", style: "background:" + e.color }),
        el("span", { text: e.label }), el("span", { class: "kt-count", text: "(" + e.count + ")" })]));
    });
    if (body.no_data) {
      div.appendChild(el("div", { class: "kt-legend-row" }, [el("span", { class: "kt-swatch kt-nodata" }),
        el("span", { text: body.no_data.label }), el("span", { class: "kt-count", text: "(" + body.no_data.count + ")" })]));
    }
    div.appendChild(el("div", { class: "kt-legend-note", text: body.standard }));
    if (body.synthetic) div.appendChild(el("div", { class: "kt-demo", text: "\u26A0 " + S.cfg.demo_label }));
  }

  function showSummary(body) {
    var box = document.getElementById("kt-cmp-result");
    if (!box) return;
    box.textContent = "";
    var s = body.summary;
    box.appendChild(el("div", { class: "kt-caption", id: "kt-cmp-caption",
      text: body.name + " — " + body.from + " → " + body.to + " — " + body.standard }));
    box.appendChild(el("div", { id: "kt-cmp-summary", "data-down": s.down, "data-up": s.up, "data-same": s.same,
      text: T.decrease + ": " + s.down + " · " + T.increase + ": " + s.up + " · " + T.no_change + ": " + s.same }));
  }

  // ------------------------------------------------------------ the swipe view
  function layerUrl(spec, year) {
    var q = new URLSearchParams({ lang: S.lang, year: year, geometry: "none" });
    return S.cfg.urls.layer.replace("__ID__", encodeURIComponent(spec.id)) + "?" + q.toString();
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(body.description || String(r.status));
        return body;
      });
    });
  }

  function yearLayer(payload, geo, pane, year) {
    var byId = {};
    payload.features.forEach(function (f) { byId[f.id] = f.properties; });
    var features = geo.fc.features.filter(function (g) { return byId[g.id]; });
    return L.geoJSON({ type: "FeatureCollection", features: features }, {
      pane: pane,
      style: function (g) {
        var p = byId[g.id];
        return { fillColor: p.color || "url(#kt-nodata)", fillOpacity: p.color ? 0.85 : 1, color: "#555", weight: 0.6, opacity: 0.9 };
      },
      onEachFeature: function (g, layer) {
        var p = byId[g.id];
        layer.bindTooltip(function () {
          return el("div", null, [el("strong", { text: g.properties.name || g.id }), el("div", { text: year + ": " + (p.value_text || "–") })]);
        }, { sticky: true, direction: "top", opacity: 0.95 });
      }
    });
  }

  function showSwipe(seq) {
    var spec = layerSpec();
    if (!spec) return Promise.resolve(null);
    var q = C.q;
    // the change endpoint refuses a pair across standards: ask it first, draw only a pair it accepts
    return getJSON(changeUrl()).then(function (body) {
      return Promise.all([getJSON(layerUrl(spec, q.from)), getJSON(layerUrl(spec, q.to)), KT.geometry(spec.source)]).then(function (res) {
        if (seq !== C.seq) return null;
        C.swipeA = yearLayer(res[0], res[2], "kt-swipe-a", q.from).addTo(S.map);
        C.swipeB = yearLayer(res[1], res[2], "kt-swipe-b", q.to).addTo(S.map);
        addDivider(q.from, q.to);
        C.answer = body;
        var box = document.getElementById("kt-cmp-result");
        if (box) {
          box.textContent = "";
          box.appendChild(el("div", { class: "kt-caption", id: "kt-cmp-caption",
            text: spec.title + " — " + q.from + " | " + q.to + " — " + body.standard }));
        }
        return body;
      });
    }).catch(function (err) { if (seq === C.seq) message(T.error + ": " + err.message); return null; });
  }

  function addDivider(a, b) {
    var wrap = el("div", { class: "kt-swipe", id: "kt-swipe" });
    var line = el("div", { class: "kt-swipe-line" });
    var range = el("input", { type: "range", min: "0", max: "1", step: "any", value: "0.5", class: "kt-swipe-range",
      id: "kt-swipe-range", "aria-label": T.swipe_handle });
    wrap.appendChild(el("span", { class: "kt-swipe-year kt-swipe-left", id: "kt-swipe-left", text: String(a) }));
    wrap.appendChild(el("span", { class: "kt-swipe-year kt-swipe-right", id: "kt-swipe-right", text: String(b) }));
    wrap.appendChild(line);
    wrap.appendChild(range);
    S.map.getContainer().appendChild(wrap);
    ["mousedown", "touchstart", "pointerdown", "dblclick", "wheel", "click"].forEach(function (ev) {
      L.DomEvent.on(range, ev, L.DomEvent.stopPropagation);
    });
    range.addEventListener("input", clipSwipe);
    C.divider = { wrap: wrap, line: line, range: range };
    clipSwipe();
  }

  // Clip the two panes at the divider (in the map's layer coordinates, as the map moves).
  function clipSwipe() {
    if (!C.divider) return;
    var map = S.map, size = map.getSize();
    var x = Math.round(size.x * Number(C.divider.range.value));
    var nw = map.containerPointToLayerPoint([0, 0]), se = map.containerPointToLayerPoint(size);
    var cut = map.containerPointToLayerPoint([x, 0]).x;
    map.getPane("kt-swipe-a").style.clip = "rect(" + [nw.y, cut, se.y, nw.x].join("px,") + "px)";
    map.getPane("kt-swipe-b").style.clip = "rect(" + [nw.y, se.x, se.y, cut].join("px,") + "px)";
    C.divider.line.style.left = x + "px";
    C.divider.wrap.setAttribute("data-x", String(x));
  }

  function clearLayers() {
    ["layer", "swipeA", "swipeB"].forEach(function (k) { if (C[k]) { S.map.removeLayer(C[k]); C[k] = null; } });
    if (C.legend) { S.map.removeControl(C.legend); C.legend = null; }
    if (C.divider) { C.divider.wrap.parentNode.removeChild(C.divider.wrap); C.divider = null; }
    ["kt-swipe-a", "kt-swipe-b"].forEach(function (p) { S.map.getPane(p).style.clip = ""; });
    S.map.closePopup();
  }

  // ------------------------------------------------------------ play over the years
  C.play = function (on) {
    if (C.timer) { clearInterval(C.timer); C.timer = null; }
    if (on) {
      var years = S.cfg.years;
      var i = years.indexOf(S.year);
      if (i < 0 || i === years.length - 1) { i = 0; KT.setYear(years[0]); }
      C.timer = setInterval(function () {
        i += 1;
        if (i >= years.length) { C.play(false); return; }
        KT.setYear(years[i]);
        if (i === years.length - 1) C.play(false);
      }, STEP_MS);
    }
    var btn = document.getElementById("kt-cmp-play");
    if (btn) {
      btn.textContent = C.timer ? T.pause : T.play;
      btn.setAttribute("aria-pressed", C.timer ? "true" : "false");
    }
  };
})();
