// The drawn base map (our own boundaries, rivers, roads, places) and the layer tree by plan sheet.
import { h, sourceLink } from "./dom.js";
import { downloadMenu } from "./downloads.js";
import { formatNumber } from "./i18n.js";

// VectorGrid 1.3.0 still calls L.DomEvent.fakeStop, which Leaflet 1.8 renamed to _fakeStop.
if (window.L && L.DomEvent && !L.DomEvent.fakeStop) {
  L.DomEvent.fakeStop = L.DomEvent._fakeStop || function () {};
}

const PATH_KEYS = ["color", "weight", "opacity", "fill", "fillColor", "fillOpacity", "dashArray", "radius", "lineCap"];
const APPROXIMATE_DASH = "6 5";
// a schematic line (only the points a source names, straight between them): dotted, unlike a survey
const SCHEMATIC_DASH = "2 6";
const HOME_PROVINCE_CODE = "06"; // Bắc Kạn (pre-2025 code)
const NEIGHBOUR_STYLE = { fillColor: "#e3e3de", color: "#9a9a9a", weight: 1 };
const isHomeProvince = (feature) => String(feature?.properties?.code) === HOME_PROVINCE_CODE;
// Only what the base needs: names and codes (district lookup, place labels), not provenance.
const BASE_PROPERTIES = {
  provinces: "code,name",
  districts: "code,name,name_ascii,full_name",
  communes: "code,name",
  settlements: "name",
};
const BASE_ORDER = ["provinces", "communes", "districts", "rivers", "national_roads", "settlements"];

function pathStyle(style) {
  const out = {};
  for (const key of PATH_KEYS) if (style && style[key] !== undefined) out[key] = style[key];
  return out;
}

/** The Leaflet style of one feature: the layer style, its legend colour by land-use code, dashed if approximate. */
export function featureStyle(layer, properties, opacity = 1) {
  const base = { color: "#3b6ea5", weight: 1.5, fillOpacity: 0.45, ...pathStyle(layer.style) };
  const code = properties?.landuse_code;
  if (code && Array.isArray(layer.legend)) {
    const entry = layer.legend.find((item) => item.code === code);
    if (entry?.color) base.fillColor = entry.color;
  }
  if (properties?.geometry_quality === "approximate") base.dashArray = APPROXIMATE_DASH;
  if (properties?.geometry_quality === "schematic") base.dashArray = SCHEMATIC_DASH;
  base.opacity = (base.opacity ?? 1) * opacity;
  base.fillOpacity = (base.fillOpacity ?? 0.45) * opacity;
  return base;
}

function ensurePane(map, name, zIndex) {
  if (!map.getPane(name)) {
    const pane = map.createPane(name);
    pane.style.zIndex = String(zIndex);
  }
  return name;
}

/** Draw the light base from the API's boundary and network collections; resolves to the districts. */
export async function loadBase(ctx) {
  const { map, api, config } = ctx;
  ensurePane(map, "pv-base", 250);
  ensurePane(map, "pv-base-lines", 260);
  const group = L.layerGroup().addTo(map);
  const styles = config.styles.base;
  const districts = [];
  let provinceBounds = null;
  const results = await Promise.allSettled(
    BASE_ORDER.map((id) => api(`/collections/${id}/items`, { limit: 10000, properties: BASE_PROPERTIES[id] }).then((fc) => [id, fc])),
  );
  const failures = [];
  for (const result of results) {
    if (result.status !== "fulfilled") {
      failures.push(result.reason);
      continue;
    }
    const [id, fc] = result.value;
    const style = styles[id] || {};
    const layer = L.geoJSON(fc, {
      pane: id === "provinces" ? "pv-base" : "pv-base-lines",
      interactive: false,
      style: (feature) => (id === "provinces" && !isHomeProvince(feature) ? { ...style, ...NEIGHBOUR_STYLE } : { ...style }),
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, { radius: style.radius || 2.5, color: style.color, weight: 1, fillOpacity: 0.8, interactive: false, pane: "pv-base-lines" }),
    });
    if (id === "settlements") {
      // The shipped places are few: their names stay readable at province scale.
      layer.eachLayer((marker) => {
        const name = marker.feature?.properties?.name;
        // an element, not the string: Leaflet would parse a string as HTML, and imported names are data
        if (name) marker.bindTooltip(h("span", {}, String(name)), { permanent: true, direction: "right", className: "pv-place-label", interactive: false });
      });
    }
    layer.addTo(group);
    if (id === "provinces") {
      const home = (fc.features || []).filter(isHomeProvince);
      if (home.length) provinceBounds = L.geoJSON({ type: "FeatureCollection", features: home }).getBounds();
    }
    if (id === "districts") {
      for (const feature of fc.features || []) {
        const single = L.geoJSON(feature);
        districts.push({ ...feature.properties, bounds: single.getBounds(), feature });
      }
    }
  }
  return { group, districts, provinceBounds, failures };
}

/** Build the expandable tree of sheets; each loaded layer gets a checkbox, an opacity slider and a legend. */
export class LayerTree {
  constructor(ctx, container, overlays) {
    this.ctx = ctx;
    this.container = container;
    this.overlays = overlays; // collection id → controller {show(), hide(), setOpacity(x)} for rich overlays
    this.sheets = [];
    this.layers = new Map(); // layer_key → {meta, leaflet, opacity, on}
    this.onChange = () => {};
  }

  async load() {
    const body = await this.ctx.api("/sheets");
    this.sheets = body?.sheets || [];
    for (const sheet of this.sheets) {
      for (const layer of sheet.layers || []) {
        this.layers.set(layer.layer_key, { meta: layer, leaflet: null, opacity: 1, on: false });
      }
    }
    this.render();
  }

  title(item) {
    const lang = this.ctx.lang();
    return (lang === "en" && item.title_en) || item.title_vi || item.title_en || item.sheet_id || item.layer_key;
  }

  render() {
    const { t } = this.ctx;
    const lang = this.ctx.lang();
    const open = new Set([...this.container.querySelectorAll("details[open]")].map((d) => d.dataset.sheet));
    this.container.replaceChildren();
    this.container.append(h("h2", {}, t("sheets_title")));
    const children = new Map();
    for (const sheet of this.sheets) {
      const parent = sheet.parent_id || "";
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(sheet);
    }
    const ids = new Set(this.sheets.map((s) => s.sheet_id));
    const roots = this.sheets.filter((s) => !s.parent_id || !ids.has(s.parent_id));
    const expandAll = this.ctx.view === "planner";
    const renderSheet = (sheet) => {
      const kids = children.get(sheet.sheet_id) || [];
      const hasData = sheet.loaded || kids.some((k) => k.loaded);
      const details = h("details", {
        class: `pv-sheet${hasData ? "" : " pv-sheet-empty"}`,
        dataset: { sheet: sheet.sheet_id },
        open: open.has(sheet.sheet_id) || (expandAll && hasData),
      });
      details.append(
        h(
          "summary",
          {},
          h("span", { class: "pv-sheet-number" }, sheet.sheet_id),
          " ",
          h("span", { class: "pv-sheet-title" }, this.title(sheet)),
          hasData ? null : h("span", { class: "pv-nodata" }, t("sheet_no_data")),
        ),
      );
      const list = h("ul", { class: "pv-layers" });
      for (const layer of sheet.layers || []) list.append(this.renderLayer(layer, lang));
      if ((sheet.layers || []).length) details.append(list);
      for (const kid of kids) details.append(renderSheet(kid));
      return details;
    };
    for (const sheet of roots) this.container.append(renderSheet(sheet));
    this.container.setAttribute("aria-busy", "false");
  }

  renderLayer(meta, lang) {
    const { t } = this.ctx;
    const state = this.layers.get(meta.layer_key);
    const loaded = meta.loaded !== false;
    const checkbox = h("input", {
      type: "checkbox",
      class: "pv-layer-toggle",
      checked: state.on,
      disabled: !loaded,
      onchange: (event) => this.ctx.setLayerVisible(meta.layer_key, event.target.checked),
    });
    const slider = h("input", {
      type: "range",
      class: "pv-layer-opacity",
      min: "0",
      max: "1",
      step: "0.05",
      value: String(state.opacity),
      title: t("layer_opacity"),
      "aria-label": t("layer_opacity"),
      disabled: !loaded,
      oninput: (event) => this.setOpacity(meta.layer_key, Number(event.target.value)),
    });
    const notes = [];
    if (!loaded) notes.push(t("sheet_no_data"));
    else if (meta.big) notes.push(t("layer_tiles"));
    else if (meta.feature_count != null) notes.push(t("layer_features", { n: formatNumber(meta.feature_count, lang, 0) }));
    if (meta.is_synthetic) notes.push(t("layer_synthetic"));
    if (meta.is_official === false) notes.push(t("layer_unofficial"));
    const legend = h("ul", { class: "pv-legend-items" });
    for (const item of meta.legend || []) {
      const label = (lang === "en" && item.label_en) || item.label_vi || item.label_en || item.code || "";
      legend.append(
        h("li", {}, h("span", { class: "pv-swatch", style: { background: item.color || "transparent" } }), item.code ? `${item.code} — ${label}` : label),
      );
    }
    return h(
      "li",
      { class: `pv-layer${loaded ? "" : " pv-layer-empty"}`, dataset: { layer: meta.layer_key } },
      h("label", {}, checkbox, " ", this.title(meta)),
      h("span", { class: "pv-layer-note" }, notes.join(" · ")),
      slider,
      loaded ? downloadMenu(this.ctx, meta.collection || meta.layer_key) : null,
      (meta.legend || []).length ? legend : null,
      meta.source ? h("div", { class: "pv-layer-source" }, `${t("layer_source")}: `, sourceLink(meta.source, meta.source)) : null,
    );
  }

  activeKeys() {
    return [...this.layers.entries()].filter(([, s]) => s.on).map(([key]) => key);
  }

  async setVisible(key, on) {
    const state = this.layers.get(key);
    if (!state) return;
    state.on = on;
    const box = this.container.querySelector(`li[data-layer="${CSS.escape(key)}"] .pv-layer-toggle`);
    if (box) box.checked = on;
    const overlay = this.overlays[state.meta.collection || key];
    try {
      if (overlay) {
        on ? overlay.show() : overlay.hide();
      } else if (on) {
        if (!state.leaflet) state.leaflet = await this.makeLayer(state);
        if (state.on) state.leaflet.addTo(this.ctx.map);
      } else if (state.leaflet) {
        state.leaflet.remove();
      }
    } catch (err) {
      console.warn("layer failed", key, err);
      state.on = false;
      if (box) box.checked = false;
      this.ctx.showMessage("msg_api_error", { what: this.ctx.t("what_layer", { name: this.title(state.meta) }), detail: err.message });
    }
    this.onChange();
  }

  setOpacity(key, opacity) {
    const state = this.layers.get(key);
    if (!state) return;
    state.opacity = opacity;
    const overlay = this.overlays[state.meta.collection || key];
    if (overlay) return overlay.setOpacity(opacity);
    const layer = state.leaflet;
    if (!layer) return;
    if (layer.setOpacity && !layer.setStyle) layer.setOpacity(opacity);
    else layer.setStyle((feature) => featureStyle(state.meta, feature.properties, opacity));
  }

  async makeLayer(state) {
    const meta = state.meta;
    const collection = meta.collection || meta.layer_key;
    const pane = ensurePane(this.ctx.map, `pv-sheet-${meta.geometry_type === "polygon" ? "poly" : "line"}`, meta.geometry_type === "polygon" ? 400 : 420);
    if (meta.big) {
      const url = `${this.ctx.config.api}/collections/${encodeURIComponent(collection)}/tiles/WebMercatorQuad/{z}/{x}/{y}`;
      return L.vectorGrid.protobuf(url, {
        pane,
        rendererFactory: L.canvas.tile,
        interactive: false,
        maxNativeZoom: 16,
        opacity: state.opacity,
        vectorTileLayerStyles: {
          // generalised low-zoom cells (merged parcels) are drawn without outlines, like a land-use raster
          [collection]: (properties) => ({
            ...featureStyle(meta, properties),
            fill: meta.geometry_type !== "line",
            ...(properties.generalised ? { stroke: false, weight: 0 } : {}),
          }),
        },
      });
    }
    const fc = await this.ctx.api(`/collections/${encodeURIComponent(collection)}/items`, { limit: 10000 });
    // Not interactive: a click on the plan's layers is a "what the plan says here" question, answered
    // for every sheet at once (a feature popup would swallow the click; the province outline covers all).
    return L.geoJSON(fc, {
      pane,
      interactive: false,
      style: (feature) => featureStyle(meta, feature.properties, state.opacity),
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, { ...featureStyle(meta, feature.properties, state.opacity), radius: meta.style?.radius || 5, pane, interactive: false }),
    });
  }
}
