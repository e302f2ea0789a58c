/* Kon Tum poverty map — the controls Folium lacks.
 *
 * Folium renders the Leaflet map, the basemaps, scale, fullscreen, drawing
 * tools and the layer control; this script adds the thematic layers (fetched
 * from /layers/<id>.geojson and joined to the shared display geometry), the
 * legends, popups with a small chart, search, district zoom, the year
 * selector and the targeting panel (/targets).
 *
 * Every string that comes from data goes into the page through textContent
 * (or an attribute), never through innerHTML.
 */
(function () {
  "use strict";

  var KT = {};
  window.KontumMap = KT;
  var S = null;   // state, set by init (exposed as KontumMap.state for tests)

  // ------------------------------------------------------------ helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "class") node.className = v;
        else if (k === "text") node.textContent = v;
        else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return node;
  }

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  // The page's other scripts (workbench, allocation, compare) build their elements with these two.
  KT.el = el;
  KT.svgEl = svgEl;
  // px: below this width the page is laid out for a phone (as the max-width of kontum-map.css)
  var PHONE = 760;
  KT.PHONE = PHONE;

  // Escape for the few places Leaflet wants an HTML string (layer control names).
  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }

  // Diacritics-insensitive key: NFD, strip combining marks, đ→d, lower case.
  function norm(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }
  KT.norm = norm;

  // The page's first data were asked by the head's inline script (map_page._prefetch_script)
  // before the scripts loaded: each answer is taken once, later asks fetch anew.
  function asked(url) {
    var kept = window.KT_PREFETCH, found = kept && kept[url];
    if (found) delete kept[url];
    return found || fetch(url, { headers: { Accept: "application/json" } });
  }

  function getJSON(url) {
    return asked(url).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          var err = new Error((body && (body.description || body.error)) || ("HTTP " + r.status));
          err.status = r.status;
          throw err;
        });
      }
      return r.json();
    });
  }

  function fmt(x, digits) {
    if (x === null || x === undefined || isNaN(x)) return "";
    var s = Number(x).toLocaleString(S.lang === "vi" ? "vi-VN" : "en-GB",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return s;
  }

  // A message of the catalogue (geo/messages.toml, embedded in the page in the page's language):
  // t("no_data") is page.no_data, t("scheme.quantiles") the table "scheme"; {name} placeholders
  // are filled from params.
  function message(i18n, key, params) {
    var dot = key.indexOf("."), table = "page", k = key;
    if (dot > 0 && i18n[key.slice(0, dot)]) { table = key.slice(0, dot); k = key.slice(dot + 1); }
    var text = (i18n[table] || {})[k];
    if (text === undefined) { console.error("Kon Tum map: no message " + key); return key; }
    if (!params) return text;
    return text.replace(/\{(\w+)(![rs])?\}/g, function (m, name) {
      return params[name] === undefined || params[name] === null ? "" : String(params[name]);
    });
  }
  function t(key, params) { return message(S.cfg.i18n, key, params); }
  KT.t = function (key, params) { return t(key, params); };

  // Events for the workbench (kontum-workbench.js): "year", "layer" (an entry drawn or removed),
  // "compare" (the comparison of two years shown, changed or closed: kontum-compare.js).
  var listeners = {};
  KT.on = function (name, fn) { (listeners[name] = listeners[name] || []).push(fn); };
  function emit(name, data) {
    (listeners[name] || []).forEach(function (fn) {
      try { fn(data); } catch (e) { console.error("Kon Tum map: " + name + ": " + e.message); }
    });
  }
  KT.emit = emit;

  // ------------------------------------------------------------ pre-init
  // Runs from the page body, before Folium creates the drawing control.
  // Every text of Leaflet.draw from the catalogue's table "draw" (its keys are paths in L.drawLocal).
  KT.preInit = function (cfg) {
    if (!(window.L && L.drawLocal)) return;
    var table = cfg.i18n.draw || {};
    Object.keys(table).forEach(function (path) {
      var parts = path.split("."), node = L.drawLocal;
      for (var i = 0; i < parts.length - 1; i++) {
        if (typeof node[parts[i]] !== "object" || node[parts[i]] === null) node[parts[i]] = {};
        node = node[parts[i]];
      }
      node[parts[parts.length - 1]] = table[path];
    });
  };

  // ---------------------------------------------------------------- init
  KT.init = function (cfg, refs) {
    var params = new URLSearchParams(window.location.search);
    var year = parseInt(params.get("year"), 10);
    S = KT.state = {
      cfg: cfg, lang: cfg.lang, map: refs.map, control: refs.control, drawn: refs.drawn,
      bases: refs.bases, year: cfg.years.indexOf(year) >= 0 ? year : cfg.year,
      entries: {}, order: [], geometry: {}, series: null, highlight: null, flash: null, pending: 0
    };
    var map = S.map;
    [["kt-areas", 410], ["kt-outlines", 420], ["kt-lines", 430], ["kt-highlight", 440]].forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = p[1];
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="Leaflet">Leaflet</a>');
    map.attributionControl.addAttribution(esc(t("attribution_short")));
    var layersBox = document.getElementById("kt-layers");
    if (layersBox) layersBox.appendChild(S.control.getContainer());

    defineControls();
    S.legend = new LegendControl({ position: "bottomright" }).addTo(map);
    new NorthControl({ position: "bottomleft" }).addTo(map);

    decorateLayerControl();
    // The control is built once for all the layers: added one by one, it rebuilt its whole list
    // and measured the page (a forced layout) for each of them (~150 ms at opening).
    holdControl(true);
    cfg.layers.forEach(function (spec) { addEntry(spec); });
    S.seriesPromise = getJSON(cfg.urls.series).then(function (s) { S.series = s; return s; })
      .catch(function () { S.series = { units: {}, years: [] }; return S.series; });
    // National mode (cfg.tiles): the communes come as vector tiles; their names for the search
    // are fetched when the search box is first used, not at the opening view.
    S.geometryPromise = isTiled({ source: "communes" }) ? Promise.resolve(null)
      : geometry("communes").then(buildSearchIndex);

    var first = [];
    S.order.forEach(function (id) {
      var e = S.entries[id];
      if (e.spec.visible) { map.addLayer(e.group); first.push(e.loading); }
    });
    holdControl(false);
    wirePanel();
    wireDraw();
    wireKeyboard();
    wireBasemapFallback();
    var yearSel = document.getElementById("kt-year");
    if (yearSel) yearSel.value = String(S.year);
    updateLangLink();
    var restored = KT.workbench ? KT.workbench.init(S) : null;
    if (KT.allocation) KT.allocation.init(S);

    KT.ready = Promise.all(first.concat([S.geometryPromise, S.seriesPromise, restored])).then(function () {
      document.body.setAttribute("data-kt-ready", "1");
    }).catch(function (err) {
      console.error("Kon Tum map: " + err.message);
      document.body.setAttribute("data-kt-ready", "error");
    });
  };

  // -------------------------------------------------------------- layers
  function isPolySource(spec) {
    return spec.source === "communes" || spec.source === "districts" || spec.source === "communes_2025";
  }

  // Drawn from the OGC vector tiles (national mode) rather than the shared GeoJSON geometry.
  function isTiled(spec) {
    var tiles = S.cfg.tiles;
    return !!(tiles && window.L && L.vectorGrid && tiles.sources.indexOf(spec.source) >= 0);
  }

  function addEntry(spec) {
    var group;
    if (spec.kind === "points") {
      group = L.markerClusterGroup({
        maxClusterRadius: 36, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
        iconCreateFunction: function (cluster) {
          var color = (entry.meta && entry.meta.style.color) || "#455a64";
          var div = el("div", { class: "kt-cluster", style: "background:" + color },
            [String(cluster.getChildCount())]);
          return L.divIcon({ html: div, className: "kt-cluster-wrap", iconSize: L.point(28, 28) });
        }
      });
    } else {
      group = L.featureGroup();
    }
    var entry = { spec: spec, group: group, key: null, meta: null, leaflet: null, byCode: {}, scheme: null,
      loading: null };
    S.entries[spec.id] = entry;
    S.order.push(spec.id);
    group.on("add", function () { onEntryAdded(entry); });
    group.on("remove", function () { S.legend.update(); emit("layer", entry); });
    S.control.addOverlay(group, '<span class="kt-layer-name">' + esc(spec.title) + "</span>");
    entry.stamp = L.Util.stamp(group);
  }

  // Only one filled area layer at a time (their colours would hide each other).
  // Leaflet's layer control re-adds every checked layer while it handles a
  // click, so the choice is made after it, keeping the layer the user clicked.
  function onEntryAdded(entry) {
    if (entry.spec.area) {
      var keep = entry;
      if (S.control._handlingClick && S.lastClicked && S.lastClicked.spec.area) keep = S.lastClicked;
      setTimeout(function () { keepOnlyArea(keep); }, 0);
    }
    entry.loading = ensureLoaded(entry);
    S.legend.update();
  }

  function keepOnlyArea(keep) {
    if (!S.map.hasLayer(keep.group)) return;
    S.order.forEach(function (id) {
      var other = S.entries[id];
      if (other !== keep && other.spec.area && S.map.hasLayer(other.group)) S.map.removeLayer(other.group);
    });
    S.lastClicked = null;
    S.legend.update();
  }

  // The planner's own classes: a number of classes, or class bounds typed in.
  function classesForm(entry, cls) {
    var id = entry.spec.id;
    var kIn = el("input", { type: "number", min: "2", max: "9", step: "1", class: "kt-k", "data-layer": id,
      "aria-label": t("n_classes"), value: cls.scheme === "user_defined" ? "" : String(cls.k) });
    var bIn = el("input", { type: "text", class: "kt-breaks", "data-layer": id, "aria-label": t("own_breaks"),
      placeholder: t("breaks_ph"), value: entry.breaks || "" });
    var go = el("button", { type: "button", class: "kt-apply", "data-layer": id, text: t("apply"),
      onclick: function () { applyClasses(entry, cls, kIn.value, bIn.value); } });
    return el("div", { class: "kt-legend-note kt-classes-form" }, [
      el("label", {}, [t("n_classes") + " ", kIn]), " ",
      el("label", {}, [t("own_breaks") + " ", bIn]), " ", go]);
  }

  function applyClasses(entry, cls, k, breaks) {
    var prev = { k: entry.k, breaks: entry.breaks, scheme: entry.scheme };
    breaks = (breaks || "").trim();
    if (breaks) {
      entry.breaks = breaks; entry.k = null; entry.scheme = "user_defined";
    } else {
      entry.breaks = null;
      entry.k = k && Number(k) !== cls.default_k ? String(Number(k)) : null;
      if (entry.scheme === "user_defined") entry.scheme = cls.default_scheme === "user_defined" ? null : cls.default_scheme;
      if (entry.k && entry.scheme === null && cls.default_scheme === "user_defined") entry.scheme = "quantiles";
    }
    entry.classError = null;
    entry.loading = ensureLoaded(entry).then(function (e) {
      if (e.error) {  // keep the classes drawn, say why the new ones were refused
        e.classError = e.error; e.error = null;
        e.k = prev.k; e.breaks = prev.breaks; e.scheme = prev.scheme;
        S.legend.update();
      }
      return e;
    });
    return entry.loading;
  }

  function entryKey(entry) {
    var y = entry.spec.years.length > 1 && entry.spec.years.indexOf(S.year) >= 0 ? S.year : "";
    return [y, entry.scheme || "", entry.k || "", entry.breaks || "", S.lang].join("|");
  }

  function layerUrl(entry) {
    var q = new URLSearchParams({ lang: S.lang });
    if (entry.spec.years.length > 1 && entry.spec.years.indexOf(S.year) >= 0) q.set("year", S.year);
    if (entry.scheme) q.set("scheme", entry.scheme);
    if (entry.k) q.set("k", entry.k);
    if (entry.breaks) q.set("breaks", entry.breaks);
    if (isPolySource(entry.spec)) q.set("geometry", "none");
    return S.cfg.urls.layer.replace("__ID__", encodeURIComponent(entry.spec.id)) + "?" + q.toString();
  }

  // The shared polygon geometry of every level comes in one TopoJSON topology (each border
  // once); topojson-client turns the level asked for into GeoJSON features keyed by GSO code.
  // In the national mode (communes as vector tiles) a level that is not tiled comes as its own
  // GeoJSON: a topology of every commune of the country is what the tiles avoid sending.
  function topologyOnce() {
    if (!S.topology) S.topology = getJSON(S.cfg.urls.topology);
    return S.topology;
  }

  function geometry(source) {
    if (!S.geometry[source]) {
      var fcPromise = S.cfg.tiles ? getJSON(S.cfg.urls.geometry.replace("__SRC__", source))
        : topologyOnce().then(function (topo) { return topojson.feature(topo, topo.objects[source]); });
      S.geometry[source] = fcPromise.then(function (fc) {
        var byCode = {};
        fc.features.forEach(function (f) { byCode[f.id] = f; });
        return { fc: fc, byCode: byCode };
      });
    }
    return S.geometry[source];
  }

  KT.geometry = geometry;  // the page's own simplified shapes of a source, by code (a promise)

  KT.reload = function (entry) { entry.loading = ensureLoaded(entry); return entry.loading; };

  function ensureLoaded(entry) {
    var key = entryKey(entry);
    if (entry.key === key && entry.leaflet) return Promise.resolve(entry);
    if (entry.inflight && entry.inflightKey === key) return entry.inflight;
    S.pending += 1;
    var jobs = [getJSON(layerUrl(entry))];
    if (isPolySource(entry.spec) && !isTiled(entry.spec)) jobs.push(geometry(entry.spec.source));
    entry.inflightKey = key;
    entry.inflight = Promise.all(jobs).then(function (res) {
      if (entry.inflightKey !== key) return entry;       // a newer request won
      build(entry, res[0], res[1]);
      return entry.tilesDrawn || entry;  // tiles: loaded once the view's tiles are drawn
    }).then(function () {
      if (entry.inflightKey !== key) return entry;
      entry.key = key;
      entry.error = null;
      S.legend.update();
      emit("layer", entry);
      return entry;
    }).catch(function (err) {
      entry.error = err.message;
      console.error("Kon Tum map: layer " + entry.spec.id + ": " + err.message);
      S.legend.update();
      return entry;
    }).then(function (e) { S.pending -= 1; entry.inflight = null; return e; });
    return entry.inflight;
  }

  function build(entry, payload, geom) {
    var meta = entry.meta = payload.layer;
    entry.features = payload.features;
    entry.group.clearLayers();
    entry.byCode = {};
    if (meta.kind === "points") { buildPoints(entry, payload); return; }
    if (isTiled(meta)) { buildTiled(entry, payload); return; }
    var features = payload.features;
    if (geom) {
      features = features.map(function (f) {
        var g = geom.byCode[f.id];
        var props = Object.assign({}, g ? g.properties : {}, f.properties);
        return { type: "Feature", id: f.id, properties: props, geometry: g ? g.geometry : null };
      });
    }
    var outline = meta.display === "outline";
    var lines = meta.kind === "lines";
    if (outline) features = features.filter(function (f) { return f.properties.color; });
    var gj = L.geoJSON({ type: "FeatureCollection", features: features }, {
      pane: outline ? "kt-outlines" : (lines ? "kt-lines" : "kt-areas"),
      style: function (f) { return styleFor(meta, f); },
      onEachFeature: function (f, layer) {
        entry.byCode[f.id] = layer;
        bindFeature(entry, f, layer);
      }
    });
    entry.leaflet = gj;
    entry.group.addLayer(gj);
  }

  // ------------------------------------------------------- vector tiles
  // National mode: the layer's polygons come from /ogc/collections/<source>/tiles (MVT, drawn on
  // canvas by Leaflet.VectorGrid); colours and popups come from the layer's own payload
  // (geometry=none), joined by code, so they are the GeoJSON mode's; a click fetches the unit
  // from the OGC items route for its name and outline.
  var NO_DATA_FILL = "#d9d9d9";  // canvas has no SVG pattern: the no-data hatching becomes grey

  function tileStyle(entry, props) {
    var f = entry.tileFeatures[props.gso_code];
    var meta = entry.meta;
    if (!f) return [];
    if (meta.display === "outline" && !f.properties.color) return [];
    var st = styleFor(meta, f);
    if (meta.display === "outline") return st;
    st.fill = true;
    if (!f.properties.color) { st.fillColor = NO_DATA_FILL; st.fillOpacity = 0.9; }
    return st;
  }

  function buildTiled(entry, payload) {
    var meta = entry.meta;
    entry.tileFeatures = {};
    payload.features.forEach(function (f) { entry.tileFeatures[f.id] = f; });
    var styles = {};
    styles[entry.spec.source] = function (props) { return tileStyle(entry, props); };
    var url = S.cfg.tiles.url.replace("__SRC__", encodeURIComponent(entry.spec.source));
    // An interactive tile canvas takes every pointer event over its whole tile: the outlines
    // (drawn above the areas) stay non-interactive so a click reaches the filled communes.
    var vg = L.vectorGrid.protobuf(url, {
      rendererFactory: L.canvas.tile, vectorTileLayerStyles: styles, interactive: meta.display !== "outline",
      pane: meta.display === "outline" ? "kt-outlines" : "kt-areas", maxNativeZoom: S.cfg.tiles.max_zoom,
      getFeatureId: function (f) { return f.properties.gso_code; }
    });
    vg.on("click", function (ev) {
      var code = ev.layer && ev.layer.properties && ev.layer.properties.gso_code;
      if (code) openTiled(entry, String(code), ev.latlng);
    });
    // data-kt-tiles: the filled communes of the view are drawn (tests and bench/browser.py wait for it)
    if (meta.display !== "outline") vg.on("load", function () { document.body.setAttribute("data-kt-tiles", "1"); });
    entry.tilesDrawn = new Promise(function (resolve) {  // (a view with no tile to load fires none)
      vg.once("load", function () { resolve(entry); });
      setTimeout(function () { resolve(entry); }, 30000);
    });
    entry.leaflet = vg;
    entry.group.addLayer(vg);
  }

  // The unit from the OGC items route: its properties (name, district …) and its outline.
  function tiledItem(source, code) {
    var url = S.cfg.tiles.item.replace("__SRC__", encodeURIComponent(source)).replace("__ID__", encodeURIComponent(code));
    return getJSON(url);
  }

  function openTiled(entry, code, latlng) {
    var f = entry.tileFeatures[code];
    if (!f) return Promise.resolve(null);
    return tiledItem(entry.spec.source, code).then(function (item) {
      var p = item.properties || {};
      var props = Object.assign({ gso_code: code, name: p.name, district_name: p.district_name,
        quality_flag: p.quality_flag, name_2025: p.name_2025, code_2025: p.code_2025 }, f.properties);
      if (S.flash) S.map.removeLayer(S.flash);
      S.flash = L.geoJSON(item, { pane: "kt-highlight", interactive: false,
        style: { color: "#00b8d4", weight: 3, fill: false } }).addTo(S.map);
      var feature = { type: "Feature", id: code, properties: props, geometry: null };
      L.popup(popupOptions()).setLatLng(latlng || S.flash.getBounds().getCenter())
        .setContent(popup(entry, feature)).openOn(S.map);
      return feature;
    }).catch(function (err) { console.error("Kon Tum map: " + err.message); return null; });
  }
  KT.openTiled = function (layerId, code, latlng) { return openTiled(S.entries[layerId], code, latlng); };

  function styleFor(meta, f) {
    var p = f.properties;
    var st = meta.style || {};
    if (meta.kind === "lines") {
      return { color: st.color || "#333", weight: st.weight || 2, dashArray: st.dash || null, opacity: 0.95,
        fill: false, lineCap: "round" };
    }
    if (meta.display === "outline") {
      return { color: p.color, weight: st.weight || 3, opacity: 1, fill: false };
    }
    return {
      fillColor: p.color || "url(#kt-nodata)", fillOpacity: p.color ? (st.fill_opacity || 0.75) : 1,
      color: "#5b5b5b", weight: 0.6, opacity: 0.9
    };
  }

  // A permanent label centred on its shape.  Leaflet centres a tooltip by measuring it (a forced
  // layout for each label as it opens, and again at every zoom: ~70 ms at opening for 12 labels);
  // this one is placed at the anchor and centred by the stylesheet (.kt-centred: translate -50%).
  var CentredLabel = null;
  function bindLabel(layer, text, className) {
    if (!CentredLabel) {
      CentredLabel = L.Tooltip.extend({
        _setPosition: function (pos) {
          var offset = L.point(this.options.offset);
          L.DomUtil.addClass(this._container, "leaflet-tooltip-center");
          L.DomUtil.setPosition(this._container, pos.add(offset));
        }
      });
    }
    var label = new CentredLabel({ permanent: true, direction: "center", interactive: false,
      className: className + " kt-centred" });
    label.setContent(el("span", { text: text }));
    layer.bindTooltip(label);
  }

  function bindFeature(entry, f, layer) {
    var meta = entry.meta;
    var p = f.properties;
    if (meta.kind === "lines" && meta.style.labels === "permanent" && p.label) {
      var isPolygon = isPolySource(meta);
      bindLabel(layer, p.label, isPolygon ? "kt-district-label" : "kt-line-label");
    } else {
      layer.bindTooltip(function () { return hoverText(meta, p); }, { sticky: true, direction: "top", opacity: 0.95 });
    }
    layer.bindPopup(function () { return popup(entry, f); }, popupOptions());
    nameShape(layer, meta, p);
    if (meta.kind !== "lines") {
      layer.on("mouseover", function () {
        layer.setStyle({ weight: meta.display === "outline" ? (meta.style.weight || 3) + 2 : 2.2, color: meta.display === "outline" ? p.color : "#111" });
      });
      layer.on("mouseout", function () { entry.leaflet.resetStyle(layer); });
    }
  }

  function categoryLabel(meta, p) {
    if (p.category === null || p.category === undefined) return "";
    var item = meta.legend.filter(function (e) { return e.value === p.category; })[0];
    return item ? item.label : String(p.category);
  }

  function hoverText(meta, p) {
    var name = p.name || p.label || p.country_name || "";
    var value = "";
    if (meta.kind === "choropleth") value = p.value_text || t("no_data");
    else if (meta.kind === "categorical") value = categoryLabel(meta, p) || t("no_data");
    var node = el("div", null, [el("strong", { text: name })]);
    if (p.district_name && meta.source === "communes") node.appendChild(el("div", { text: p.district_name }));
    if (value) node.appendChild(el("div", { text: value }));
    return node;
  }

  function buildPoints(entry, payload) {
    var meta = entry.meta;
    var color = meta.style.color || "#455a64";
    payload.features.forEach(function (f) {
      if (!f.geometry) return;
      var c = f.geometry.coordinates;
      var dot = el("div", { class: "kt-point-icon", style: "background:" + color + ";width:14px;height:14px" });
      var m = L.marker([c[1], c[0]], { icon: L.divIcon({ html: dot, className: "kt-point-wrap", iconSize: [18, 18] }),
        title: f.properties.name || "" });
      m.bindTooltip(el("span", { text: f.properties.name || "" }), { direction: "top", offset: [0, -8] });
      m.bindPopup(function () { return popup(entry, f); }, popupOptions());
      entry.byCode[f.id] = m;
      entry.group.addLayer(m);
    });
    entry.leaflet = entry.group;
  }

  // -------------------------------------------------------------- popups
  // Popups fit inside the map (below the header, on phones too): sizes from the map's own box.
  function popupOptions() {
    var size = S.map.getSize();
    return { maxWidth: Math.max(200, Math.min(360, size.x - 60)), minWidth: Math.min(250, size.x - 80),
      maxHeight: Math.max(160, Math.min(440, size.y - 90)), autoPanPaddingTopLeft: [16, 16],
      autoPanPaddingBottomRight: [16, 16] };
  }
  KT.popupOptions = popupOptions;

  // Leaflet pans an opening popup into view once, from its size at that moment; a popup whose
  // content grows afterwards (the chart, a longer English text) or that opens right after a
  // programmatic move (search, ranking, attribute table) can still reach above the map's top,
  // under the header. After it is laid out, move the map down (or up) by what is missing.
  function keepPopupInView(popup) {
    window.requestAnimationFrame(function () {
      var box = popup.getElement(), map = S.map;
      if (!box || !map.hasLayer(popup)) return;
      var r = box.getBoundingClientRect(), c = map.getContainer().getBoundingClientRect(), pad = 12;
      var dy = 0;
      if (r.top < c.top + pad) dy = r.top - c.top - pad;
      else if (r.bottom > c.bottom - pad && r.height < c.height - 2 * pad) dy = r.bottom - c.bottom + pad;
      var dx = 0;
      if (r.left < c.left + pad) dx = r.left - c.left - pad;
      else if (r.right > c.right - pad && r.width < c.width - 2 * pad) dx = r.right - c.right + pad;
      if (dx || dy) map.panBy([dx, dy], { animate: false });
    });
  }
  KT.keepPopupInView = keepPopupInView;
  function badge(status) {
    if (!status) return null;
    return el("span", { class: "kt-badge kt-badge-" + status, title: status,
      text: (S.cfg.status[status] || status) });
  }

  function linkified(text) {
    var span = el("span");
    var parts = String(text).split(/(https?:\/\/[^\s;,()'"]+)/);
    parts.forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        span.appendChild(el("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
      } else if (part) {
        span.appendChild(document.createTextNode(part));
      }
    });
    return span;
  }

  function sourceBlock(meta, idx, label) {
    if (idx === null || idx === undefined) return null;
    var text = meta.sources[idx];
    if (!text) return null;
    var head = el("strong", { text: (label || t("source")) + ": " });
    if (text.length <= 170) return el("div", { class: "kt-source" }, [head, linkified(text)]);
    return el("div", { class: "kt-source" }, [head, text.slice(0, 150) + "… ",
      el("details", null, [el("summary", { text: t("more") }), linkified(text)])]);
  }

  // The year of a value; the period as worded in the source is data, shown labelled (periodNote).
  function when(p) {
    if (p.year !== null && p.year !== undefined) return String(p.year);
    return "";
  }

  // "2020 · Đa chiều 2016–2020": the year (or period) and, for a poverty value, its standard.
  function whenStd(meta, p) {
    var w = when(p);
    var std = (p.std !== null && p.std !== undefined && meta.standards_short) ? meta.standards_short[p.std] : "";
    return [w, std].filter(function (x) { return x; }).join(" \u00B7 ");
  }

  function periodNote(p) {
    var parts = [];
    if (p.period) parts.push(t("period") + ": " + p.period);
    if (p.note) parts.push(t("note") + ": " + p.note);
    return parts.length ? el("div", { class: "kt-period", text: parts.join(" · ") }) : null;
  }

  function fieldLabel(meta, id) {
    var f = (meta.popup_fields || []).filter(function (x) { return x.id === id; })[0];
    return f ? f.label : id;
  }

  function row(label, valueNodes) {
    return el("tr", null, [el("th", { text: label }), el("td", null, valueNodes)]);
  }

  function popup(entry, f) {
    var meta = entry.meta;
    var p = f.properties;
    var box = el("div", { class: "kt-popup" });
    var synthetic = p.status === "synthetic";
    var title = p.name || p.label || p.country_name || f.id;
    box.appendChild(el("h3", { text: title }));

    if (meta.kind === "points") return pointPopup(entry, f, box);

    var sub = [];
    if (meta.source === "communes") sub.push(p.district_name || "");
    if (p.gso_code) sub.push(t("gso_code") + " " + p.gso_code);
    if (meta.kind === "lines" && meta.source === "border") sub.push(meta.title);
    if (sub.length) box.appendChild(el("div", { class: "kt-sub", text: sub.join(" · ") }));

    var table = el("table");
    if (meta.kind === "choropleth" || meta.kind === "categorical") {
      var label = meta.indicator ? meta.indicator.name : meta.title;
      var w = whenStd(meta, p);
      var valueText = meta.kind === "choropleth" ? (p.value_text || t("no_data")) : (categoryLabel(meta, p) || t("no_data"));
      table.appendChild(row(label + (w ? " (" + w + ")" : ""), [
        el("span", { class: "kt-main", text: valueText }), badge(p.status), periodNote(p)]));
      if (p.std !== null && p.std !== undefined && meta.standards[p.std]) {
        table.appendChild(row(t("standard"), [meta.standards[p.std]]));
      }
    }
    (p.popup || []).forEach(function (item) {
      var lw = whenStd(meta, item);
      var text = item.missing ? el("span", { class: "kt-missing", text: item.text || t("no_data") }) : (item.text || "\u2013");
      table.appendChild(row(fieldLabel(meta, item.id) + (lw ? " (" + lw + ")" : ""), [text, badge(item.status),
        periodNote(item)]));
      if (item.status === "synthetic") synthetic = true;
    });
    if (p.quality_flag) {
      table.appendChild(row(t("quality"), [S.cfg.quality[p.quality_flag] || p.quality_flag]));
    }
    if (p.name_2025) {
      table.appendChild(row(t("unit_2025"), [p.name_2025 + " (" + t("gso_code") + " " + p.code_2025 + ")"]));
    }
    if (p.members_2020) table.appendChild(row(t("members_2020"), [p.members_2020]));
    if (table.childNodes.length) box.appendChild(table);
    var src = sourceBlock(meta, p.src);
    if (src) box.appendChild(src);

    if (p.reported && p.reported.length) {
      var list = el("ul", { style: "margin:2px 0 0;padding-left:16px" });
      p.reported.forEach(function (r) {
        var li = el("li", { class: r.other_standard ? "kt-other-standard" : null },
          [r.text + " (" + whenStd(meta, r) + ") ", badge(r.status), periodNote(r)]);
        if (r.other_standard) li.appendChild(el("em", { text: " \u2014 " + t("other_standard") }));
        if (r.src !== null && r.src !== undefined) {
          li.appendChild(el("div", { class: "kt-source" }, [linkified(meta.sources[r.src] || "")]));
        }
        list.appendChild(li);
      });
      box.appendChild(el("div", { class: "kt-source" }, [el("strong", { text: t("reported") + ":" }), list]));
    }
    if (isPolySource(meta)) {  // communes, districts and the 2025 communes: the series of their level
      if (meta.kind !== "lines" || meta.source === "districts") {
        var chart = el("div", { class: "kt-chart" });
        box.appendChild(chart);
        S.seriesPromise.then(function () {
          var syn = drawChart(chart, meta.level, f.id);
          if (syn && !synthetic) { synthetic = true; box.appendChild(demoMark()); }
        });
      }
    }
    if (synthetic) box.appendChild(demoMark());
    return box;
  }

  function demoMark() {
    return el("div", { class: "kt-demo kt-demo-popup", text: "\u26A0 " + S.cfg.demo_label });
  }

  function pointPopup(entry, f, box) {
    var meta = entry.meta;
    var p = f.properties;
    box.appendChild(el("div", { class: "kt-sub", text: p.kind_label || meta.title }));
    var table = el("table");
    if (p.commune) table.appendChild(row(t("commune"), [p.commune]));
    if (p.district_name) table.appendChild(row(t("district"), [p.district_name]));
    if (p.gso_code) table.appendChild(row(t("gso_code"), [p.gso_code]));
    (p.popup || []).forEach(function (item) {
      table.appendChild(row(fieldLabel(meta, item.id), [item.text || "–"]));
    });
    table.appendChild(row(t("status_label"), [badge(p.status) || "–"]));
    box.appendChild(table);
    box.appendChild(el("div", { class: "kt-location", text: p.location || "" }));
    if (p.description) {
      box.appendChild(el("div", { class: "kt-source" }, p.description.length <= 220 ? [p.description] : [
        p.description.slice(0, 200) + "… ",
        el("details", null, [el("summary", { text: t("more") }), p.description])]));
    }
    var src = sourceBlock(meta, p.src);
    if (src) box.appendChild(src);
    if (p.status === "synthetic") box.appendChild(demoMark());
    return box;
  }

  // Inline SVG line chart of the unit's poor / near-poor rates: one line per indicator
  // and poverty standard, never joined across standards (each later standard dashed),
  // over the years this unit has values.
  function drawChart(container, level, code) {
    var s = S.series;
    var unit = s && s.levels && s.levels[level] ? s.levels[level][code] : null;
    if (!unit) return false;
    var allYears = s.years;
    var inds = [["poor_rate", "#d7301f", t("poor")], ["near_poor_rate", "#7a0177", t("near_poor")]];
    var lines = [];
    inds.forEach(function (d) {
      (unit[d[0]] || []).forEach(function (line) { lines.push({ ind: d, line: line }); });
    });
    var lo = null, hi = null, all = [];
    lines.forEach(function (l) {
      l.line.values.forEach(function (v, i) {
        if (v === null) return;
        all.push(v);
        lo = lo === null ? i : Math.min(lo, i);
        hi = hi === null ? i : Math.max(hi, i);
      });
    });
    if (!all.length) return false;
    var years = allYears.slice(lo, hi + 1);
    var stdOrder = [];
    lines.forEach(function (l) { if (stdOrder.indexOf(l.line.std) < 0) stdOrder.push(l.line.std); });
    stdOrder.sort(function (a, b) { return firstIndex(a) - firstIndex(b); });
    function firstIndex(std) {
      var best = 1e9;
      lines.forEach(function (l) {
        if (l.line.std !== std) return;
        l.line.values.forEach(function (v, i) { if (v !== null && i < best) best = i; });
      });
      return best;
    }
    function stdName(i) {
      var x0 = s.standards[i];
      return x0 ? (x0.short[S.lang] || x0.label) : "";
    }
    var W = 300, H = 118, L0 = 30, R0 = 16, T0 = 8, B0 = 20;
    var max = Math.max.apply(null, all);
    var top = max <= 10 ? 10 : Math.ceil(max / 10) * 10;
    var n = Math.max(years.length - 1, 1);
    var x = function (i) { return L0 + (i - lo) * (W - L0 - R0) / n; };
    var y = function (v) { return T0 + (H - T0 - B0) * (1 - v / top); };
    var svg = svgEl("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": t("chart_title"), class: "kt-chart-svg" });
    [0, top / 2, top].forEach(function (v) {
      svg.appendChild(svgEl("line", { x1: L0, x2: W - R0, y1: y(v), y2: y(v), stroke: "#e0e0e0" }));
      svg.appendChild(svgEl("text", { x: L0 - 4, y: y(v) + 3, "text-anchor": "end", "font-size": 9, fill: "#666" }, fmt(v, 0)));
    });
    var yi = allYears.indexOf(S.year);
    if (yi >= lo && yi <= hi) svg.appendChild(svgEl("line", { x1: x(yi), x2: x(yi), y1: T0, y2: H - B0, stroke: "#90a4ae", "stroke-dasharray": "3 2" }));
    var step = years.length > 7 ? 2 : 1;
    years.forEach(function (yr, k) {
      if (k % step && k !== years.length - 1) return;
      svg.appendChild(svgEl("text", { x: x(lo + k), y: H - 6, "text-anchor": "middle", "font-size": 9, fill: "#555" }, yr));
    });
    var synthetic = false;
    lines.forEach(function (l) {
      var d = l.ind, line = l.line, vals = line.values, statuses = line.status;
      var dashed = stdOrder.indexOf(line.std) > 0;
      var pts = [];
      vals.forEach(function (v, i) {
        if (v === null) return;
        pts.push(x(i).toFixed(1) + "," + y(v).toFixed(1));
        var st = statuses ? statuses[i] : s.default_status;
        if (st === "synthetic") synthetic = true;
      });
      var attrs = { points: pts.join(" "), fill: "none", stroke: d[1], "stroke-width": 2,
        class: "kt-series", "data-indicator": d[0], "data-standard": (s.standards[line.std] || {}).key || "" };
      if (dashed) attrs["stroke-dasharray"] = "4 2";
      var poly = svgEl("polyline", attrs);
      poly.appendChild(svgEl("title", {}, d[2] + " \u00B7 " + stdName(line.std)));
      svg.appendChild(poly);
      vals.forEach(function (v, i) {
        if (v === null) return;
        var st = statuses ? statuses[i] : s.default_status;
        var c = svgEl("circle", { cx: x(i), cy: y(v), r: st === "synthetic" ? 2.5 : 3.5,
          fill: st === "synthetic" ? "#fff" : d[1], stroke: d[1], "stroke-width": 1.5 });
        c.appendChild(svgEl("title", {}, d[2] + " " + allYears[i] + ": " + fmt(v, 1) + "% \u00B7 " + stdName(line.std) +
          " (" + (S.cfg.status[st] || st || "") + ")"));
        svg.appendChild(c);
      });
    });
    var legend = el("div", { class: "kt-chart-title" }, [
      t("chart_title") + " \u2014 ",
      el("span", { style: "color:#d7301f", text: "\u25CF " + t("poor") }), " ",
      el("span", { style: "color:#7a0177", text: "\u25CF " + t("near_poor") })]);
    container.appendChild(legend);
    container.appendChild(svg);
    var names = stdOrder.map(function (i, k) { return (k > 0 ? "- - " : "\u2014 ") + stdName(i); });
    container.appendChild(el("div", { class: "kt-chart-standards", title: t("chart_standards"), text: names.join(" \u00B7 ") }));
    return synthetic;
  }

  // -------------------------------------------------------------- legend
  var LegendControl, NorthControl;
  function defineControls() {
  LegendControl = L.Control.extend({
    onAdd: function () {
      var div = L.DomUtil.create("div", "kt-legend");
      div.id = "kt-legend";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      this._div = div;
      return div;
    },
    update: function () {
      var div = this._div;
      if (!div) return;
      div.textContent = "";
      var visible = S.order.map(function (id) { return S.entries[id]; })
        .filter(function (e) { return S.map.hasLayer(e.group); });
      var rank = function (e) { return e.spec.area ? 0 : e.spec.kind === "categorical" ? 1 : e.spec.kind === "points" ? 2 : 3; };
      visible.sort(function (a, b) { return rank(a) - rank(b); });
      visible.forEach(function (e) { div.appendChild(legendBlock(e)); });
    }
  });

  NorthControl = L.Control.extend({
    onAdd: function () {
      var div = L.DomUtil.create("div", "kt-north");
      div.title = t("north_title");
      var svg = svgEl("svg", { width: 26, height: 38, viewBox: "0 0 26 38" });
      svg.appendChild(svgEl("polygon", { points: "13,2 21,24 13,19 5,24", fill: "#263238" }));
      svg.appendChild(svgEl("text", { x: 13, y: 36, "text-anchor": "middle", "font-size": 11, "font-weight": 700, fill: "#263238" }, t("north")));
      div.appendChild(svg);
      return div;
    }
  });
  }

  function legendBlock(entry) {
    var block = el("div", { class: "kt-legend-block", "data-layer": entry.spec.id });
    var meta = entry.meta;
    if (meta && !entry.error && (meta.kind === "points" || meta.kind === "lines")) {
      var item = meta.legend[0];
      var sw = item.symbol === "point"
        ? el("span", { class: "kt-swatch kt-point", style: "background:" + item.color })
        : el("span", { class: "kt-swatch kt-line", style: "border-top:3px " + (item.dash ? "dashed " : "solid ") + item.color });
      block.className += " kt-legend-compact";
      block.appendChild(el("div", { class: "kt-legend-row" }, [sw, el("strong", { text: entry.spec.title }),
        el("span", { class: "kt-count", text: "(" + item.count + ")" })]));
      if (meta.kind === "points" && meta.note) block.appendChild(el("div", { class: "kt-legend-note", text: meta.note }));
      return block;
    }
    var title = entry.spec.title;
    if (meta && meta.year && meta.years.length > 1) title += " — " + meta.year;
    block.appendChild(el("div", { class: "kt-legend-title", text: title }));
    if (entry.error) {
      block.appendChild(el("div", { class: "kt-message", text: t("layer_error") + ": " + entry.error }));
      return block;
    }
    if (!meta) {
      block.appendChild(el("div", { class: "kt-legend-note", text: t("loading") }));
      return block;
    }
    var cls = meta.classification;
    if (cls && cls.schemes && cls.schemes.length > 1) {
      var sel = el("select", { "aria-label": t("classes"), class: "kt-scheme", "data-layer": entry.spec.id,
        onchange: function (ev) {
          var sc = ev.target.value;
          if (sc === "user_defined") entry.k = null; else entry.breaks = null;
          entry.scheme = sc;
          entry.loading = ensureLoaded(entry);
        } });
      cls.schemes.forEach(function (sc) {
        var o = el("option", { value: sc, text: t("scheme." + sc) });
        if (sc === cls.scheme) o.selected = true;
        sel.appendChild(o);
      });
      block.appendChild(el("label", { class: "kt-legend-note" }, [t("classes") + ": ", sel]));
      block.appendChild(classesForm(entry, cls));
    }
    if (entry.classError) block.appendChild(el("div", { class: "kt-message kt-class-error", text: entry.classError }));
    meta.legend.forEach(function (item) {
      var sw;
      if (item.symbol === "point") sw = el("span", { class: "kt-swatch kt-point", style: "background:" + item.color });
      else if (item.symbol === "line") sw = el("span", { class: "kt-swatch kt-line", style: "border-top:3px " + (item.dash ? "dashed " : "solid ") + item.color });
      else if (meta.display === "outline") sw = el("span", { class: "kt-swatch kt-outline", style: "border-color:" + item.color });
      else sw = el("span", { class: "kt-swatch", style: "background:" + item.color });
      block.appendChild(el("div", { class: "kt-legend-row" }, [sw, el("span", { text: item.label }),
        el("span", { class: "kt-count", text: "(" + item.count + ")" })]));
    });
    if (meta.no_data) {
      block.appendChild(el("div", { class: "kt-legend-row kt-legend-nodata" }, [
        el("span", { class: "kt-swatch kt-nodata" }), el("span", { text: meta.no_data.label }),
        el("span", { class: "kt-count", text: "(" + meta.no_data.count + ")" })]));
    }
    if (cls && cls.across_years) block.appendChild(el("div", { class: "kt-legend-note", text: t("across_years") }));
    if (meta.note && meta.kind !== "lines") block.appendChild(el("div", { class: "kt-legend-note", text: meta.note }));
    if (meta.synthetic) block.appendChild(el("div", { class: "kt-demo kt-demo-legend", text: "\u26A0 " + meta.demo_label }));
    return block;
  }

  // Group headings in Leaflet's layer control (re-applied after each redraw).
  function decorateLayerControl() {
    var ctl = S.control;
    ctl.getContainer().addEventListener("click", function (ev) {
      var input = ev.target;
      if (!input || input.tagName !== "INPUT" || input.layerId === undefined) return;
      S.lastClicked = null;
      S.order.forEach(function (id) { if (S.entries[id].stamp === input.layerId) S.lastClicked = S.entries[id]; });
    }, true);
    var original = ctl._update;
    ctl._update = function () {
      if (S.controlHeld) return this;
      var out = original.apply(this, arguments);
      try { addHeadings(this); } catch (e) { /* the control still works without headings */ }
      return out;
    };
  }

  // While held, the layer control neither redraws its list nor measures the page; released, it
  // draws it once (and opens, as configured).
  function holdControl(hold) {
    var ctl = S.control;
    if (hold) {
      S.controlHeld = { collapsed: ctl.options.collapsed };
      ctl.options.collapsed = true;
      return;
    }
    var was = S.controlHeld;
    if (!was) return;
    S.controlHeld = null;
    ctl.options.collapsed = was.collapsed;
    if (ctl._map) { ctl._update(); ctl._expandIfNotCollapsed(); }
  }

  function addHeadings(ctl) {
    if (!ctl._overlaysList) return;
    var byStamp = {};
    S.order.forEach(function (id) { byStamp[S.entries[id].stamp] = S.entries[id]; });
    var last = null;
    Array.prototype.slice.call(ctl._overlaysList.children).forEach(function (label) {
      var input = label.querySelector("input");
      if (!input) return;
      var entry = byStamp[input.layerId];
      if (!entry) return;
      label.setAttribute("data-layer", entry.spec.id);
      if (entry.spec.group && entry.spec.group !== last) {
        ctl._overlaysList.insertBefore(el("div", { class: "kt-group", text: entry.spec.group }), label);
      }
      last = entry.spec.group;
    });
  }

  // --------------------------------------------------------------- panel
  function wirePanel() {
    var yearSel = document.getElementById("kt-year");
    if (yearSel) yearSel.addEventListener("change", function () { setYear(parseInt(yearSel.value, 10)); });
    var dist = document.getElementById("kt-district");
    if (dist) dist.addEventListener("change", function () {
      var d = S.cfg.districts.filter(function (x) { return x.code === dist.value; })[0];
      if (d) S.map.fitBounds(d.bounds, { padding: [20, 20] });
      else S.map.fitBounds(provinceBounds(), { padding: [10, 10] });
    });
    var btn = document.getElementById("kt-poorest-border");
    if (btn) btn.addEventListener("click", function () { return KT.poorestBorder(); });
    var pr = document.getElementById("kt-print");
    if (pr) pr.addEventListener("click", function () { window.open(KT.printUrl(), "_blank"); });
    wireSearch();
  }

  // The /print URL of what is on screen: the top visible layer (areas first), its year and
  // classes, the current extent and the language (GET /print, geo.printing.mapsheet).
  KT.printUrl = function () {
    var visible = S.order.map(function (id) { return S.entries[id]; })
      .filter(function (e) { return S.map.hasLayer(e.group); });
    var entry = visible.filter(function (e) { return isPolySource(e.spec); })[0] || visible[0];
    var q = new URLSearchParams({ format: "pdf", size: "A4", lang: S.lang });
    if (entry) {
      q.set("layer", entry.spec.id);
      if (entry.spec.level) q.set("level", entry.spec.level);
      if (entry.spec.years.length > 1 && entry.spec.years.indexOf(S.year) >= 0) q.set("year", S.year);
      if (entry.scheme) q.set("scheme", entry.scheme);
      if (entry.k) q.set("k", entry.k);
      if (entry.breaks) q.set("breaks", entry.breaks);
    }
    var b = S.map.getBounds();
    q.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
    return S.cfg.urls.print + "?" + q.toString();
  };

  function provinceBounds() {
    var b = null;
    S.cfg.districts.forEach(function (d) {
      var bb = L.latLngBounds(d.bounds);
      b = b ? b.extend(bb) : bb;
    });
    return b;
  }
  KT.provinceBounds = provinceBounds;

  function setYear(year) {
    S.year = year;
    var sel = document.getElementById("kt-year");
    if (sel && sel.value !== String(year)) sel.value = String(year);
    S.order.forEach(function (id) {
      var e = S.entries[id];
      if (e.spec.years.length > 1 && S.map.hasLayer(e.group)) e.loading = ensureLoaded(e);
    });
    updateLangLink();
    S.legend.update();
    emit("year", year);
  }
  KT.setYear = setYear;

  function updateLangLink() {
    var a = document.getElementById("kt-lang-toggle");
    if (!a) return;
    var u = new URL(S.cfg.urls.other_lang, window.location.href);
    var here = new URLSearchParams(window.location.search);  // the whole view goes along
    here.forEach(function (v, k) { if (k !== "lang") u.searchParams.set(k, v); });
    u.searchParams.set("year", S.year);
    a.setAttribute("href", u.pathname + u.search);
  }
  KT.updateLangLink = updateLangLink;

  // -------------------------------------------------------------- search
  function bareName(name) {
    return norm(String(name).replace(/^(Xã|Phường|Thị trấn|Huyện|Thành phố)\s+/i, ""));
  }

  // Communes by name, GSO code or district; districts by name or code.
  function buildSearchIndex(geo) {
    S.searchIndex = geo.fc.features.map(function (f) {
      var p = f.properties;
      return { kind: "commune", code: f.id, name: p.name, district: p.district_name, key: norm(p.name),
        bare: bareName(p.name), dkey: norm(p.district_name), dbare: bareName(p.district_name || "") };
    }).concat(S.cfg.districts.map(function (d) {
      return { kind: "district", code: d.code, name: d.name, district: "", key: norm(d.name), bare: bareName(d.name),
        dkey: "", dbare: "" };
    }));
    return geo;
  }

  // Score of an entry for the query: 0 name starts with it, 1 name contains it, 2 the district
  // itself, 3 a commune of a district matching it, 4 a code starting with it; -1 no match.
  function searchScore(x, q) {
    if (/^[0-9]+$/.test(q)) return x.code.indexOf(q) === 0 ? (x.code === q ? 0 : 4) : -1;
    if (x.kind === "district") return x.key.indexOf(q) >= 0 ? 2 : -1;
    if (x.bare.indexOf(q) === 0) return 0;
    if (x.key.indexOf(q) >= 0) return 1;
    if (x.dkey && x.dkey.indexOf(q) >= 0) return 3;
    return -1;
  }

  function search(query) {
    var q = norm(query);
    if (!q || !S.searchIndex) return [];
    var hits = [];
    S.searchIndex.forEach(function (x) {
      var sc = searchScore(x, q);
      if (sc >= 0) hits.push({ x: x, s: sc });
    });
    hits.sort(function (a, b) { return a.s - b.s || a.x.bare.localeCompare(b.x.bare); });
    return hits.slice(0, 12).map(function (h) { return h.x; });
  }
  KT.search = search;

  function wireSearch() {
    var input = document.getElementById("kt-search");
    var list = document.getElementById("kt-search-results");
    if (!input || !list) return;
    var active = -1, hits = [];
    function render() {
      list.textContent = "";
      if (!input.value.trim()) { list.hidden = true; return; }
      hits = search(input.value);
      if (!hits.length) {
        list.appendChild(el("li", { class: "kt-empty", text: t("no_match") }));
      }
      hits.forEach(function (h, i) {
        var li = el("li", { role: "option", "data-code": h.code, "data-kind": h.kind,
          class: i === active ? "kt-active" : null,
          onmousedown: function (ev) { ev.preventDefault(); choose(h); } },
          [h.name, " ", el("small", { text: "— " + (h.kind === "district" ? h.code : (h.district || "") + " · " + h.code) })]);
        list.appendChild(li);
      });
      list.hidden = false;
    }
    function choose(h) {
      input.value = h.name;
      list.hidden = true;
      if (h.kind === "district") zoomDistrict(h.code); else goTo(h.code);
    }
    input.addEventListener("input", function () { active = -1; render(); });
    if (isTiled({ source: "communes" })) {  // national mode: the names come with the first use of the search
      input.addEventListener("focus", function () {
        geometry("communes").then(buildSearchIndex).then(function () { if (input.value.trim()) render(); });
      }, { once: true });
    }
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") { active = Math.min(active + 1, hits.length - 1); render(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); ev.preventDefault(); }
      else if (ev.key === "Enter") { if (hits.length) choose(hits[Math.max(active, 0)]); ev.preventDefault(); }
      else if (ev.key === "Escape") { list.hidden = true; }
    });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 150); });
  }

  function zoomDistrict(code) {
    var d = S.cfg.districts.filter(function (x) { return x.code === code; })[0];
    var sel = document.getElementById("kt-district");
    if (sel) sel.value = d ? d.code : "";
    if (d) S.map.fitBounds(d.bounds, { padding: [20, 20] });
  }
  KT.zoomDistrict = zoomDistrict;

  // The map's view once it has stopped moving (a popup opened during a zoom pans wrongly).
  function whenStill(fn) {
    var done = false;
    function go() { if (!done) { done = true; fn(); } }
    S.map.once("moveend", go);
    setTimeout(go, 600);
  }

  // Zoom to a commune (``source``: "communes", the 2020 communes, by default, or "communes_2025"),
  // flash its outline and open its popup on the area layer of that source shown.
  function goTo(code, source) {
    source = source || "communes";
    // tiled (national) mode: the one unit from the OGC items route, not every commune's shape
    var unit = isTiled({ source: source })
      ? tiledItem(source, code).catch(function () { return null; })
      : geometry(source).then(function (geo) { return geo.byCode[code]; });
    return unit.then(function (f) {
      if (!f) return;
      if (S.flash) S.map.removeLayer(S.flash);
      S.flash = L.geoJSON(f, { pane: "kt-highlight", interactive: false,
        style: { color: "#00b8d4", weight: 4, fill: false } }).addTo(S.map);
      var size = S.map.getSize(), wide = size.x > PHONE;
      return new Promise(function (resolve) {
        whenStill(function () { openAt(code, f, source); resolve(); });
        // room above the outline for the popup, which opens upwards from the commune's centre
        S.map.fitBounds(S.flash.getBounds(), { maxZoom: 11.5, paddingTopLeft: [30, Math.min(320, size.y * 0.45)],
          paddingBottomRight: [wide ? 280 : 30, 30], animate: false });
      });
    });
  }
  KT.goTo = goTo;

  // The unit's popup on the shown area layer of its source (drawn or tiled), else a short one:
  // name, district or the 2020 communes it was made of, GSO code.
  function openAt(code, f, source) {
    var area = null;
    S.order.forEach(function (id) {
      var e = S.entries[id];
      if (!area && e.spec.area && e.spec.source === source && S.map.hasLayer(e.group) &&
        (e.byCode[code] || (e.tileFeatures && e.tileFeatures[code]))) area = e;
    });
    var where = S.flash.getBounds().getCenter();
    if (area && area.tileFeatures) { openTiled(area, code, where); return; }
    if (area) { area.byCode[code].openPopup(where); return; }
    var p = f.properties, sub = source === "communes_2025"
      ? t("members_2020") + ": " + (p.members_2020 || "") + " · " + t("gso_code") + " " + code
      : t("district") + ": " + (p.district_name || "") + " · " + t("gso_code") + " " + code;
    L.popup(popupOptions()).setLatLng(where)
      .setContent(el("div", { class: "kt-popup", "data-code": code, "data-source": source },
        [el("h3", { text: p.name }), el("div", { class: "kt-sub", text: sub })]))
      .openOn(S.map);
  }

  // ------------------------------------------------------------ keyboard
  // Leaflet's own controls in the page's language; Esc closes a popup wherever the focus is.
  function localiseControls() {
    var box = S.map.getContainer();
    [["in", "leaflet.zoom_in"], ["out", "leaflet.zoom_out"]].forEach(function (z) {
      var a = box.querySelector(".leaflet-control-zoom-" + z[0]);
      if (a) { a.title = t(z[1]); a.setAttribute("aria-label", t(z[1])); }
    });
    var toggle = S.control.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.title = t("leaflet.layers"); toggle.setAttribute("aria-label", t("leaflet.layers")); }
    S.control.getContainer().setAttribute("aria-label", t("layers"));
  }

  function wireKeyboard() {
    var map = S.map;
    localiseControls();
    map.on("popupopen", function (ev) {
      keepPopupInView(ev.popup);
      var close = ev.popup.getElement() && ev.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", t("popup_close")); close.title = t("popup_close"); }
      S.popupReturn = S.popupReturn || document.activeElement;
    });
    map.on("popupclose", function () {
      var back = S.popupReturn;
      S.popupReturn = null;
      if (back && back !== document.body && document.contains(back) && back.focus) back.focus();
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape" || !map._popup || !map.hasLayer(map._popup)) return;
      map.closePopup();
      ev.stopPropagation();
    });
  }
  KT.wireKeyboard = wireKeyboard;

  // An accessible name on a shape of the map: "Xã Đắk Blô: 12,3%".
  function nameShape(layer, meta, p) {
    layer.on("add", function () {
      var node = layer.getElement && layer.getElement();
      if (!node) return;
      var name = p.name || p.label || p.country_name || "";
      var value = meta.kind === "choropleth" ? (p.value_text || t("no_data"))
        : meta.kind === "categorical" ? (categoryLabel(meta, p) || t("no_data")) : meta.title;
      node.setAttribute("role", "img");
      node.setAttribute("aria-label", t("shape_name", { name: name, value: value }));
    });
  }

  // --------------------------------------------------------------- basemap
  // OpenStreetMap needs the Internet: before its tiles are asked for, one tile is tried; when it
  // fails, the page says so in its language and goes back to the offline background (instead of
  // some 40 failed requests and an empty map).  Chosen again later, it tries again.
  function wireBasemapFallback() {
    var osm = S.bases && S.bases.osm, context = S.bases && S.bases.context;
    if (!osm || !context || !osm._update) return;
    var state = null;  // null: not tried, "trying", "ok"
    var update = osm._update;
    osm._update = function () {
      if (state === "ok") return update.apply(this, arguments);
      if (state === null) probe();
    };
    osm.on("remove", function () { if (state !== "ok") state = null; });
    function probe() {
      state = "trying";
      var map = S.map, z = Math.max(osm.options.minZoom || 0, Math.min(osm.options.maxZoom || 19, Math.round(map.getZoom())));
      var p = map.project(map.getCenter(), z).divideBy(256).floor();
      var url = L.Util.template(osm._url, L.extend({ s: "a", x: p.x, y: p.y, z: z, r: "" }, osm.options));
      var img = new Image();
      img.onload = function () {
        state = "ok";
        if (S.map.hasLayer(osm)) osm.redraw();
      };
      img.onerror = function () {
        state = null;
        if (!S.map.hasLayer(osm)) return;
        S.map.removeLayer(osm);
        S.map.addLayer(context);
        showNotice(t("osm_offline"));
      };
      img.src = url;
    }
  }

  function showNotice(text) {
    var box = document.getElementById("kt-notice");
    if (!box) return;
    box.textContent = "";
    box.appendChild(el("span", { text: text }));
    box.appendChild(el("button", { type: "button", text: t("dismiss"), onclick: function () { box.hidden = true; } }));
    box.hidden = false;
  }
  KT.showNotice = showNotice;

  // ----------------------------------------------------------- targeting
  function targetsUrl(params) {
    return S.cfg.urls.targets + "?" + new URLSearchParams(params).toString();
  }

  function poorestBorder() {
    if (KT.workbench) return KT.workbench.poorestBorder();
    var params = { indicator: "poor_rate", year: S.year, near: "border", within_km: 0, top: 10, lang: S.lang };
    return runTargets(params, t("poorest_border") + " — " + S.year);
  }
  KT.poorestBorder = poorestBorder;

  function runTargets(params, caption) {
    var box = document.getElementById("kt-targets");
    box.textContent = "";
    box.appendChild(el("div", { class: "kt-hint", text: t("loading") }));
    // The list needs no geometry: the page highlights with its own simplified shapes.
    var listParams = Object.assign({}, params, { geometry: "none" });
    return fetch(targetsUrl(listParams), { headers: { Accept: "application/geo+json, application/json" } }).then(function (r) {
      if (r.status === 404) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          box.textContent = "";
          box.appendChild(el("div", { class: "kt-message", "data-status": "404",
            text: t("targets_missing") + (body && body.description ? " (" + body.description + ")" : "") }));
          return null;
        });
      }
      return r.json().then(function (body) {
        if (!r.ok) {
          box.textContent = "";
          box.appendChild(el("div", { class: "kt-message", text: t("error") + ": " + (body.description || body.error || r.status) }));
          return null;
        }
        showTargets(body, params, caption);
        return body;
      });
    }).catch(function (err) {
      box.textContent = "";
      box.appendChild(el("div", { class: "kt-message", text: t("error") + ": " + err.message }));
      return null;
    });
  }

  function showTargets(fc, params, caption) {
    var box = document.getElementById("kt-targets");
    box.textContent = "";
    var features = (fc && fc.features) || [];
    box.appendChild(el("div", { class: "kt-caption", text: caption + " (" + features.length + ")" }));
    if (!features.length) {
      box.appendChild(el("div", { class: "kt-hint", text: t("none_in_area") }));
    } else {
      var ind = params.indicator || "poor_rate";
      var table = el("table", { class: "kt-targets-table" });
      table.appendChild(el("thead", null, [el("tr", null, [
        el("th", { text: t("rank") }), el("th", { text: t("name") }),
        el("th", { class: "kt-num", text: t("poor_rate") }), el("th", { class: "kt-num", text: t("distance") })])]));
      var body = el("tbody");
      var synthetic = false;
      features.forEach(function (f, i) {
        var p = f.properties || {};
        if (p.synthetic) synthetic = true;
        var v = p[ind];
        var dist = p.distance_km;
        var rankNo = p.rank !== undefined && p.rank !== null ? p.rank : i + 1;
        body.appendChild(el("tr", { "data-code": p.gso_code, tabindex: "0",
          "aria-label": t("rank_row", { rank: rankNo, name: p.name || "", district: p.district_name || "" }),
          onclick: function () { goTo(p.gso_code); },
          onkeydown: function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); goTo(p.gso_code); } } }, [
          el("td", { text: p.rank !== undefined && p.rank !== null ? p.rank : i + 1 }),
          el("td", null, [el("span", { class: "kt-target-name", text: p.name || "" }),
            el("small", { text: p.district_name || "" })]),
          el("td", { class: "kt-num", text: v === null || v === undefined ? "–" : fmt(v, 1) + "%" }),
          el("td", { class: "kt-num", text: dist === null || dist === undefined ? "–" : fmt(dist, 1) + " km" })]));
      });
      table.appendChild(body);
      box.appendChild(table);
      if (synthetic) box.appendChild(el("div", { class: "kt-demo", text: "\u26A0 " + S.cfg.demo_label }));
    }
    var dl = el("div", { class: "kt-downloads" }, [t("download") + ": "]);
    ["geojson", "csv", "xlsx"].forEach(function (f) {
      var q = Object.assign({}, params, { f: f });
      dl.appendChild(el("a", { href: targetsUrl(q), download: "", "data-format": f, text: f.toUpperCase() }));
    });
    box.appendChild(dl);
    box.appendChild(el("button", { type: "button", class: "kt-link-button", text: t("clear"), onclick: clearTargets }));
    highlight(features);
  }

  // Highlight the listed communes with the page's own (simplified) geometry.
  // ``fit`` false: keep the view (a view restored from a link).
  // Each call supersedes the ones before it: an answer still waiting for its geometry when a
  // newer one arrives (a year switched while the communes load) draws nothing.
  var highlightSeq = 0;
  function removeHighlight() {
    highlightSeq += 1;
    if (S.highlight) S.map.removeLayer(S.highlight);
    S.highlight = null;
    return highlightSeq;
  }
  function highlight(features, source, fit) {
    var seq = removeHighlight();
    if (!features.length) return Promise.resolve();
    if (source === null) { drawHighlight(features, { byCode: {} }, fit); return Promise.resolve(); }
    return geometry(source || "communes").then(function (geo) {
      if (seq === highlightSeq) drawHighlight(features, geo, fit);
    });
  }
  KT.highlight = highlight;
  KT.clearHighlight = removeHighlight;

  function drawHighlight(features, geo, fit) {
    var withGeom = features.map(function (f) {
      var code = f.properties && f.properties.gso_code;
      var g = code && geo.byCode[code];
      return { type: "Feature", id: code, properties: f.properties || {},
        geometry: g ? g.geometry : f.geometry };
    }).filter(function (f) { return f.geometry; });
    if (!withGeom.length) return;
    S.highlight = L.geoJSON({ type: "FeatureCollection", features: withGeom }, {
      pane: "kt-highlight", interactive: false,
      style: { color: "#00b8d4", weight: 3.5, fill: true, fillColor: "#00b8d4", fillOpacity: 0.12 },
      onEachFeature: function (f, layer) {
        var rank = f.properties && f.properties.rank;
        if (rank !== undefined && rank !== null) {
          bindLabel(layer, String(rank), "kt-rank-label");
        }
      }
    }).addTo(S.map);
    if (fit === false) return;
    var wide = S.map.getSize().x > PHONE;
    S.map.fitBounds(S.highlight.getBounds(), { paddingTopLeft: [30, 30], paddingBottomRight: [wide ? 280 : 30, 30], maxZoom: 11 });
  }

  function clearTargets() {
    document.getElementById("kt-targets").textContent = "";
    removeHighlight();
    S.drawn.clearLayers();
  }

  function wireDraw() {
    if (!L.Draw) return;
    S.map.on(L.Draw.Event.DRAWSTART, function () { S.drawn.clearLayers(); });
    S.map.on(L.Draw.Event.CREATED, function (e) {
      var gj = e.layer.toGeoJSON(5);
      S.drawn.addLayer(e.layer);
      if (KT.workbench) KT.workbench.selectArea(gj.geometry); else selectArea(gj.geometry);
    });
  }

  function selectArea(geom) {
    var params = { intersects: JSON.stringify(geom), indicator: "poor_rate", year: S.year, lang: S.lang };
    return runTargets(params, t("in_area"));
  }
  KT.selectArea = selectArea;
})();
