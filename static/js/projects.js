// Projects overlay: markers/footprints coloured by status, filters with live counts, clusters, cards, list.
import { fieldList, h, sourceLink } from "./dom.js";
import { downloadMenu } from "./downloads.js";
import { session } from "./session.js";
import { formatNumber, sourceText } from "./i18n.js";

const APPROXIMATE_DASH = "6 5";
// a schematic line (only the points a source names, straight between them): dotted, unlike a survey
const SCHEMATIC_DASH = "2 6";
const POPUP_OPTIONS = { maxWidth: 340, autoPan: false, pvFit: true }; // main.js pans once the card is laid out
const MAX_NOTE_CHARS = 2000; // geo/projects.py MAX_NOTE_CHARS
const VIETNAM_TIME = "Asia/Ho_Chi_Minh";

// a place being drawn or edited (the project's own colour comes back once it is saved)
const PLACE_COLOR = "#08519c";
const PLACE_STYLE = { color: PLACE_COLOR, weight: 3, fillOpacity: 0.15 };

/** The newest change of a record: its last status event or its last placement, whichever is later. */
function lastChange(record) {
  const status = (record.history || [])[0];
  const placed = (record.placements || [])[0];
  const candidates = [
    status && { who: status.author?.display_name || status.recorded_by, at: status.recorded_at },
    placed && { who: placed.display_name || placed.username, at: placed.at },
  ].filter(Boolean);
  candidates.sort((a, b) => new Date(b.at) - new Date(a.at));
  return candidates[0] || {};
}

function markerIcon(color) {
  return L.divIcon({
    className: "pv-project-marker",
    html: `<span style="background:${color}"></span>`,
    iconSize: [16, 16],
    iconAnchor: [8, 8],
  });
}

/** district_codes may arrive as a JSON array or a Postgres array literal "{058,061}". */
function districtCodes(p) {
  const value = p.district_codes;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") return value.replace(/[{}"]/g, "").split(",").map((s) => s.trim()).filter(Boolean);
  return [];
}

function projectName(p) {
  return p.name_vi || p.name || p.project_id || "";
}

export class ProjectsOverlay {
  constructor(ctx, elements) {
    this.ctx = ctx;
    this.el = elements; // {filters, summary, legend, list, heading}
    this.items = []; // {id, p, marker, footprint, codes}
    this.filters = { statuses: null, sector: "", district: "" }; // statuses null = all
    this.lockedDistrict = null; // set by ?district=: the list shows only that district
    this.districtNames = new Map();
    this.visible = true;
    this.opacity = 1;
    this.cluster = L.markerClusterGroup({ disableClusteringAtZoom: 12, showCoverageOnHover: false, maxClusterRadius: 50 });
    this.footprints = L.layerGroup();
    this.onChange = () => {};
    // The panel card (record, history, status form) and the annual report link live in the projects tab.
    this.el.report = h("div", { id: "pv-report", class: "pv-report" });
    this.el.detail = h("div", { id: "pv-project-detail", hidden: true });
    this.el.heading.after(this.el.report, this.el.detail);
    this.detail = null; // {item, record, message: {kind, text}} of the project shown in the panel
    this.detailSeq = 0;
  }

  statusColor(status) {
    return this.ctx.config.styles.projectStatus[status] || "#444444";
  }

  async load() {
    const fc = await this.ctx.api("/collections/projects/items", { limit: 10000 });
    const map = this.ctx.map;
    if (!map.getPane("pv-footprints")) map.createPane("pv-footprints").style.zIndex = "430";
    this.items = (fc?.features || []).map((feature) => {
      const p = feature.properties || {};
      const id = p.project_id || feature.id;
      const item = { id, p, codes: districtCodes(p), marker: null, footprint: null };
      this.setShapes(item, feature.geometry);
      return item;
    });
    // a shape drawn while a project is being placed is that project's new place (not a footprint to screen)
    map.on("draw:created", (e) => {
      if (this.placing) this.setPlaceLayer(e.layer);
    });
    map.on("draw:editvertex draw:editmove", () => {
      if (this.placing) this.placing.payload = null; // the file's shape was edited: send what is drawn
    });
    this.refresh();
  }

  /** The marker (and footprint for a line or polygon) of a project's place; none without a geometry. */
  setShapes(item, geometry) {
    const p = item.p;
    item.marker = null;
    item.footprint = null;
    if (!geometry) return;
    const feature = { type: "Feature", properties: p, geometry };
    const shape = L.geoJSON(feature);
    const center = geometry.type === "Point" ? shape.getLayers()[0].getLatLng() : shape.getBounds().getCenter();
    if (geometry.type !== "Point" && geometry.type !== "MultiPoint") {
      item.footprint = L.geoJSON(feature, {
        pane: "pv-footprints",
        style: () => this.footprintStyle(p),
      });
      item.footprint.bindPopup(() => this.card(item), POPUP_OPTIONS);
    }
    item.marker = L.marker(center, {
      icon: markerIcon(this.statusColor(p.status)),
      title: projectName(p),
      keyboard: true,
    });
    item.marker.projectId = item.id;
    item.marker.bindPopup(() => this.card(item), POPUP_OPTIONS);
  }

  footprintStyle(p) {
    const color = this.statusColor(p.status);
    return {
      color,
      weight: 2,
      fillColor: color,
      fillOpacity: 0.2 * this.opacity,
      opacity: this.opacity,
      dashArray: { approximate: APPROXIMATE_DASH, schematic: SCHEMATIC_DASH }[p.geometry_quality] || null,
    };
  }

  show() {
    this.visible = true;
    this.cluster.addTo(this.ctx.map);
    this.footprints.addTo(this.ctx.map);
  }

  hide() {
    this.visible = false;
    this.cluster.remove();
    this.footprints.remove();
  }

  setOpacity(opacity) {
    this.opacity = opacity;
    for (const item of this.items) {
      item.marker?.setOpacity(opacity);
      item.footprint?.setStyle(this.footprintStyle(item.p));
    }
  }

  setDistricts(districts) {
    for (const d of districts) this.districtNames.set(String(d.code), d.name);
  }

  matches(item, except = null) {
    const f = this.filters;
    const district = this.lockedDistrict || f.district;
    if (except !== "status" && f.statuses && !f.statuses.has(item.p.status)) return false;
    if (except !== "sector" && f.sector && item.p.sector !== f.sector) return false;
    if (except !== "district" && district && !item.codes.includes(district)) return false;
    return true;
  }

  visibleItems() {
    return this.items.filter((item) => this.matches(item));
  }

  /** Re-apply the filters to the map, the counts and the side list. */
  refresh() {
    const shown = this.visibleItems();
    this.cluster.clearLayers();
    this.footprints.clearLayers();
    this.cluster.addLayers(shown.filter((i) => i.marker).map((i) => i.marker));
    for (const item of shown) if (item.footprint) this.footprints.addLayer(item.footprint);
    this.renderFilters();
    this.renderList(shown);
    this.renderLegend();
    this.renderReport();
    this.renderDetail();
    this.onChange();
  }

  countBy(key, except) {
    const counts = new Map();
    for (const item of this.items) {
      if (!this.matches(item, except)) continue;
      const values = key === "district" ? item.codes : [item.p[key]];
      for (const v of values) counts.set(v, (counts.get(v) || 0) + 1);
    }
    return counts;
  }

  renderFilters() {
    const { t } = this.ctx;
    const statuses = Object.keys(this.ctx.config.styles.projectStatus).filter((s) => this.items.some((i) => i.p.status === s));
    const statusCounts = this.countBy("status", "status");
    const statusBox = h("fieldset", { class: "pv-filter", id: "pv-filter-status" }, h("legend", {}, t("filter_status")));
    for (const status of statuses) {
      const checked = !this.filters.statuses || this.filters.statuses.has(status);
      statusBox.append(
        h(
          "label",
          { class: "pv-filter-status", dataset: { status } },
          h("input", { type: "checkbox", value: status, checked, onchange: () => this.readStatusFilter() }),
          h("span", { class: "pv-dot", style: { background: this.statusColor(status) } }),
          ` ${t(`status_${status}`)} `,
          h("span", { class: "pv-count" }, `(${statusCounts.get(status) || 0})`),
        ),
      );
    }
    const sectorCounts = this.countBy("sector", "sector");
    const sectors = [...new Set(this.items.map((i) => i.p.sector).filter(Boolean))].sort((a, b) => a.localeCompare(b, "vi"));
    const sectorSelect = h(
      "select",
      { id: "pv-filter-sector", onchange: (e) => this.setFilter({ sector: e.target.value }) },
      h("option", { value: "" }, t("filter_all")),
      sectors.map((s) => h("option", { value: s, selected: s === this.filters.sector }, `${s} (${sectorCounts.get(s) || 0})`)),
    );
    const parts = [statusBox, h("label", { class: "pv-filter" }, t("filter_sector"), " ", sectorSelect)];
    if (!this.lockedDistrict) {
      const districtCounts = this.countBy("district", "district");
      const codes = [...this.districtNames.keys()].sort();
      const districtSelect = h(
        "select",
        { id: "pv-filter-district", onchange: (e) => this.setFilter({ district: e.target.value }) },
        h("option", { value: "" }, t("filter_all")),
        codes.map((c) => h("option", { value: c, selected: c === this.filters.district }, `${this.districtNames.get(c)} (${districtCounts.get(c) || 0})`)),
      );
      parts.push(h("label", { class: "pv-filter" }, t("filter_district"), " ", districtSelect));
    }
    this.el.filters.replaceChildren(...parts);
  }

  readStatusFilter() {
    const boxes = [...this.el.filters.querySelectorAll("#pv-filter-status input[type=checkbox]")];
    const on = boxes.filter((b) => b.checked).map((b) => b.value);
    this.setFilter({ statuses: on.length === boxes.length ? null : new Set(on) });
  }

  setFilter(change) {
    Object.assign(this.filters, change);
    this.refresh();
  }

  renderLegend() {
    const { t } = this.ctx;
    const items = Object.entries(this.ctx.config.styles.projectStatus).map(([status, color]) =>
      h("li", {}, h("span", { class: "pv-dot", style: { background: color } }), ` ${t(`status_${status}`)}`),
    );
    this.el.legend.replaceChildren(h("h3", {}, t("legend_status")), h("ul", { class: "pv-legend-items" }, items));
  }

  renderList(shown) {
    const { t } = this.ctx;
    const lang = this.ctx.lang();
    this.el.summary.textContent = t("projects_shown", { n: shown.length, total: this.items.length });
    if (this.lockedDistrict) {
      const name = this.districtNames.get(this.lockedDistrict) || this.lockedDistrict;
      this.el.heading.replaceChildren(h("h2", {}, t("projects_in_district", { name })));
    } else {
      this.el.heading.replaceChildren();
    }
    if (!shown.length) {
      this.el.list.replaceChildren(h("li", { class: "pv-empty" }, t("projects_none")));
      return;
    }
    this.el.list.replaceChildren(
      ...shown.map((item) => {
        const p = item.p;
        const where = p.districts_text || item.codes.map((c) => this.districtNames.get(c) || c).join(", ");
        return h(
          "li",
          { class: "pv-project-item", dataset: { project: item.id, status: p.status || "", districts: item.codes.join(",") } },
          h("span", { class: "pv-dot", style: { background: this.statusColor(p.status) } }),
          h("button", { type: "button", class: "pv-link", onclick: () => this.focus(item) }, projectName(p)),
          h("div", { class: "pv-small" }, [t(`status_${p.status}`), where].filter(Boolean).join(" · ")),
          item.marker ? null : h("div", { class: "pv-small pv-approx" }, t("projects_no_location")),
          p.progress_pct != null ? h("div", { class: "pv-small" }, `${t("card_progress")}: ${formatNumber(p.progress_pct, lang, 0)}%`) : null,
        );
      }),
    );
  }

  /** Zoom to a project and open its card (projects without a place get their card in the panel). */
  focus(item) {
    this.openDetail(item);
    if (!item.marker) return;
    if (!this.visible) this.show();
    // Past disableClusteringAtZoom the marker stands alone; no animation, so the popup can pan into view.
    const map = this.ctx.map;
    map.setView(item.marker.getLatLng(), Math.max(map.getZoom(), 13), { animate: false });
    item.marker.openPopup();
  }

  card(item, inPanel = false) {
    const { t } = this.ctx;
    const lang = this.ctx.lang();
    const p = item.p;
    const quality = p.geometry_quality || (item.marker ? "exact" : "none");
    const level = p.location_level ? t(`level_${p.location_level}`) : null;
    const location = [t(`location_${quality}`), level].filter(Boolean).join(", ");
    const note = sourceText(p, "geometry_note", this.ctx.lang());
    const progress = p.progress_pct != null ? `${formatNumber(p.progress_pct, lang, 0)}%` : t("card_unknown");
    return h(
      "div",
      { class: "pv-card pv-project-card", dataset: { project: item.id } },
      h("h3", {}, projectName(p)),
      h("span", { class: "pv-badge", style: { background: this.statusColor(p.status) } }, t(`status_${p.status}`)),
      fieldList([
        [t("card_sector"), p.sector],
        [t("card_district"), p.districts_text || item.codes.map((c) => this.districtNames.get(c) || c).join(", ")],
        [t("card_commune"), p.commune_name],
        [t("card_agency"), p.responsible_agency || t("card_not_published")],
        [t("card_capital"), p.capital_source || t("card_not_published")],
        [t("card_period"), p.period],
        [t("card_status"), [t(`status_${p.status}`), sourceText(p, "status_note", this.ctx.lang())].filter(Boolean).join(" — ")],
        [t("card_progress"), progress],
        [t("card_scale"), p.scale],
        [t("card_decisions"), p.decisions],
        [t("card_location"), h("span", { class: quality === "exact" || quality === "digitised" ? "" : "pv-approx" }, location, note && quality !== "digitised" ? ` — ${note}` : "")],
        [t("card_placed"), p.placed ? h("span", { class: "pv-placed-by" }, t("placed_by", { who: p.placed.display_name || p.placed.username, when: this.formatWhen(p.placed.at) })) : null],
        [t("card_source"), p.source_url ? h("span", {}, sourceLink(p.source_url), p.source_url_2 ? h("br") : null, sourceLink(p.source_url_2)) : null],
      ]),
      inPanel ? null : h("button", { type: "button", class: "pv-link pv-open-detail", onclick: () => this.openDetail(item) }, t("detail_open")),
      downloadMenu(this.ctx, "projects", { project_id: item.id }, item.id),
    );
  }

  /** The district the report is for: the district view's, else the district filter's; null = whole province. */
  reportDistrict() {
    return this.lockedDistrict || this.filters.district || null;
  }

  renderReport() {
    const { t } = this.ctx;
    const year = new Date().getFullYear();
    const district = this.reportDistrict();
    const url = new URL(`${this.ctx.config.api}/reports/implementation`, window.location.origin);
    url.searchParams.set("year", String(year));
    if (district) url.searchParams.set("district", district);
    url.searchParams.set("f", "csv");
    const scope = district ? this.districtNames.get(district) || district : t("report_scope_all");
    this.el.report.replaceChildren(
      h("a", { id: "pv-report-link", href: url.pathname + url.search, download: "", dataset: { district: district || "" } }, t("report_link", { year }), ` — ${scope}`),
      h("span", { class: "pv-small" }, t("report_deadline")),
    );
  }

  /** Show a project's card with its status history and the status form in the projects tab. */
  async openDetail(item) {
    const seq = ++this.detailSeq;
    this.detail = { item, record: null, message: null, loading: true };
    this.ctx.openTab("projects");
    if (document.body.classList.contains("pv-panel-closed")) this.ctx.openPanel?.();
    this.renderDetail();
    try {
      const record = await this.ctx.api(`/projects/${encodeURIComponent(item.id)}`);
      if (seq !== this.detailSeq) return;
      this.detail.record = record;
      item.p.placed = record.placements?.[0] || null; // who digitised it, from the audit trail
    } catch (err) {
      if (seq !== this.detailSeq) return;
      this.detail.message = { kind: "error", text: this.ctx.t("msg_api_error", { what: this.ctx.t("what_project"), detail: err.message }) };
    }
    this.detail.loading = false;
    this.renderDetail();
    this.el.detail.scrollIntoView({ block: "start" });
  }

  closeDetail() {
    this.stopPlacing();
    this.detailSeq++;
    this.detail = null;
    this.renderDetail();
  }

  formatWhen(value) {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value ?? "");
    const locale = this.ctx.lang() === "vi" ? "vi-VN" : "en-GB";
    return date.toLocaleString(locale, { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: VIETNAM_TIME });
  }

  renderDetail() {
    const box = this.el.detail;
    if (!this.detail) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    const { t } = this.ctx;
    const { item, record, message, loading } = this.detail;
    const parts = [
      h(
        "div",
        { class: "pv-detail-head" },
        h("h2", {}, t("detail_title")),
        h("button", { type: "button", class: "pv-detail-close", onclick: () => this.closeDetail() }, t("detail_close")),
      ),
      this.card(item, true),
    ];
    if (loading) parts.push(h("p", {}, t("loading")));
    if (record) parts.push(this.historyTable(record.history || []));
    // the form only where the server would accept the change (it checks again)
    if (record && session.mayEdit(item.id)) parts.push(this.statusForm(item));
    if (record?.placements?.length) parts.push(this.placeHistory(record.placements));
    // placing: only for the roles the server lets place projects (it checks again)
    if (record && session.mayPlace()) parts.push(this.placeControls(item));
    else if (this.placing) this.stopPlacing();
    if (message) parts.push(h("p", { class: message.kind === "error" ? "pv-error pv-form-message" : "pv-ok pv-form-message", role: "status" }, message.text));
    box.replaceChildren(...parts);
    box.hidden = false;
    box.dataset.project = item.id;
  }

  historyTable(history) {
    const { t } = this.ctx;
    const lang = this.ctx.lang();
    const section = h("section", { class: "pv-history" }, h("h3", {}, t("history_title")));
    if (!history.length) {
      section.append(h("p", { class: "pv-small" }, t("history_none")));
      return section;
    }
    section.append(
      h(
        "table",
        { class: "pv-history-table" },
        h("thead", {}, h("tr", {}, ["history_date", "history_status", "history_progress", "history_note", "history_by"].map((k) => h("th", {}, t(k))))),
        h(
          "tbody",
          {},
          history.map((e) =>
            h(
              "tr",
              { class: "pv-history-event", dataset: { status: e.status || "" } },
              h("td", {}, this.formatWhen(e.recorded_at)),
              h("td", {}, h("span", { class: "pv-dot", style: { background: this.statusColor(e.status) } }), t(`status_${e.status}`)),
              h("td", {}, e.progress_pct != null ? `${formatNumber(e.progress_pct, lang, 0)}%` : "—"),
              h("td", { class: "pv-history-note" }, e.note || ""),
              h("td", {}, e.from_sources ? h("span", {}, t("history_from_sources"), " ", sourceLink(e.source, t("card_source").toLowerCase())) : this.author(e)),
            ),
          ),
        ),
      ),
    );
    return section;
  }

  /** After a 412: take the server's current record into the list, the map and the card. */
  reloadAfterConflict(item, current) {
    this.stopPlacing();
    this.takeRecord(item, current);
    this.refresh();
    this.openDetail(item);
  }


  /** Take a project record from the server into the item: status, place and who placed it. */
  takeRecord(item, record) {
    const fields = ["status", "progress_pct", "status_note", "status_note_vi", "geometry_quality", "location_level", "geometry_note", "geometry_note_vi"];
    for (const key of fields) item.p[key] = record[key];
    item.p.placed = record.placements?.[0] || null;
    this.setShapes(item, record.geometry); // refresh() puts the new marker and footprint on the map
  }

  /** Who placed the project and when (the audit trail's placements, newest first). */
  placeHistory(placements) {
    const { t } = this.ctx;
    return h(
      "section",
      { class: "pv-place-history" },
      h("h3", {}, t("place_history_title")),
      h(
        "ul",
        { class: "pv-place-history-list" },
        placements.map((pl) =>
          h("li", { class: "pv-place-event" }, this.formatWhen(pl.at), " — ", this.author({ author: pl }), pl.repaired ? h("span", { class: "pv-small" }, ` (${t("place_history_repaired")})`) : null),
        ),
      ),
    );
  }

  /** "Edit location": Leaflet.draw on this project (a point or a polygon, vertices editable) or a file. */
  placeControls(item) {
    const { t } = this.ctx;
    const box = h("section", { class: "pv-placing", id: "pv-place" }, h("h3", {}, t("place_title")));
    const placing = this.placing?.item === item ? this.placing : null;
    if (!placing) {
      box.append(h("button", { type: "button", id: "pv-place-edit", onclick: () => this.startPlacing(item) }, t("place_edit")));
      return box;
    }
    const file = h("input", {
      type: "file",
      id: "pv-place-file",
      accept: ".geojson,.json,application/geo+json,application/json",
      "aria-label": t("place_upload"),
      onchange: (e) => this.readPlaceFile(e),
    });
    const save = h("button", { type: "button", id: "pv-place-save", onclick: () => this.savePlace(item) }, t("place_save"));
    if (placing.saving) {
      save.disabled = true;
      save.textContent = t("update_saving");
    }
    box.append(
      h("p", { class: "pv-small" }, t("place_help")),
      h(
        "div",
        { class: "pv-tool-row" },
        h("button", { type: "button", id: "pv-place-point", onclick: () => this.drawPlace("point") }, t("place_draw_point")),
        h("button", { type: "button", id: "pv-place-polygon", onclick: () => this.drawPlace("polygon") }, t("place_draw_polygon")),
      ),
      h("label", { class: "pv-upload-label" }, t("place_upload"), " ", file),
      h("div", { class: "pv-tool-row" }, save, h("button", { type: "button", id: "pv-place-cancel", onclick: () => (this.stopPlacing(), this.renderDetail()) }, t("place_cancel"))),
    );
    if (placing.message) box.append(placing.message);
    return box;
  }

  startPlacing(item) {
    this.stopPlacing();
    this.ctx.map.closePopup(); // the project's card would cover the shape being edited
    const group = L.featureGroup().addTo(this.ctx.map);
    this.placing = { item, group, payload: null, editor: null, drawer: null, message: null, saving: false };
    this.ctx.placing = true;
    const geometry = this.detail?.record?.geometry;
    if (geometry) this.setPlaceLayer(L.geoJSON(geometry, { pointToLayer: (f, latlng) => L.marker(latlng, { icon: markerIcon(PLACE_COLOR) }) }));
    this.renderDetail();
  }

  /** Put the shape (a drawn layer, or a GeoJSON layer of the current place or a file) up for editing. */
  setPlaceLayer(layer) {
    const placing = this.placing;
    placing.editor?.disable();
    placing.group.clearLayers();
    for (const part of layer.getLayers ? layer.getLayers() : [layer]) {
      if (part.setStyle) part.setStyle(PLACE_STYLE);
      placing.group.addLayer(part);
    }
    if (!placing.group.getLayers().length) return;
    placing.editor = new L.EditToolbar.Edit(this.ctx.map, { featureGroup: placing.group });
    placing.editor.enable();
    const bounds = placing.group.getBounds();
    if (bounds.isValid()) this.ctx.map.fitBounds(bounds, { maxZoom: 15, animate: false });
  }

  drawPlace(kind) {
    if (!this.placing) return;
    this.placing.drawer?.disable();
    const map = this.ctx.map;
    // showArea off: Leaflet.draw 1.0.4's area readout throws under strict mode
    this.placing.drawer = kind === "point" ? new L.Draw.Marker(map, { icon: markerIcon(PLACE_COLOR) }) : new L.Draw.Polygon(map, { showArea: false, shapeOptions: PLACE_STYLE });
    this.placing.drawer.enable();
  }

  async readPlaceFile(event) {
    const chosen = event.target.files[0];
    event.target.value = ""; // choosing the same file again reads it again
    if (!chosen || !this.placing) return;
    const { t } = this.ctx;
    let parsed;
    let layer;
    try {
      parsed = JSON.parse(await chosen.text());
      layer = L.geoJSON(parsed, { pointToLayer: (f, latlng) => L.marker(latlng, { icon: markerIcon(PLACE_COLOR) }) });
    } catch (err) {
      this.placeMessage("error", t("place_bad_file", { detail: err.message }));
      return;
    }
    this.setPlaceLayer(layer);
    // the file is sent as it is (the server checks it and names what is wrong), unless its shape is edited
    this.placing.payload = parsed;
    this.placeMessage(null);
  }

  placeMessage(kind, text, extra = null) {
    if (!this.placing) return;
    this.placing.message = kind ? h("p", { class: `${kind === "error" ? "pv-error" : "pv-ok"} pv-form-message pv-place-message`, role: "alert" }, text, extra ? " " : null, extra) : null;
    this.renderDetail();
  }

  stopPlacing() {
    const placing = this.placing;
    if (!placing) return;
    placing.drawer?.disable();
    placing.editor?.disable();
    placing.group.remove();
    this.placing = null;
    this.ctx.placing = false;
  }

  async savePlace(item) {
    const { t } = this.ctx;
    const placing = this.placing;
    const layers = placing.group.getLayers();
    if (!placing.payload && !layers.length) {
      this.placeMessage("error", t("place_nothing"));
      return;
    }
    const geometry = placing.payload ?? layers[layers.length - 1].toGeoJSON().geometry;
    placing.saving = true;
    this.renderDetail();
    let record;
    try {
      record = await this.ctx.api(`/projects/${encodeURIComponent(item.id)}/geometry`, {}, {
        method: "PUT",
        // the version this page read: the server refuses the change when someone saved in between
        headers: { Accept: "application/json", "Content-Type": "application/json", "If-Match": `"${this.detail?.record?.version}"`, ...session.headers() },
        body: JSON.stringify({ geometry }),
      });
    } catch (err) {
      placing.saving = false;
      if (err.status === 412 && err.body?.current) {
        const last = lastChange(err.body.current);
        const reload = h("button", { type: "button", class: "pv-link", id: "pv-place-reload", onclick: () => this.reloadAfterConflict(item, err.body.current) }, t("update_reload"));
        this.placeMessage("error", t("update_conflict", { who: last.who || "?", when: this.formatWhen(last.at) }), reload);
        this.placing?.message?.classList.add("pv-conflict-message");
        this.renderDetail();
      } else if (err.status === 401) {
        session.expired(); // the drawing stays; the header asks to log in again
        this.placeMessage("error", t("update_login_again"));
      } else {
        this.placeMessage("error", t("place_failed", { detail: err.message }));
      }
      return;
    }
    this.stopPlacing();
    this.takeRecord(item, record);
    if (this.detail?.item === item) {
      this.detail.record = record;
      const repaired = record.placement?.repaired;
      this.detail.message = { kind: "ok", text: repaired ? `${t("place_saved")} ${t("place_repaired", { detail: repaired })}` : t("place_saved") };
    }
    this.refresh(); // the map's new shape, the list and the panel card
  }

  /** Who made a change: the verified account of the audit trail when there is one. */
  author(e) {
    if (!e.author?.verified) return e.recorded_by || "";
    return h("span", { class: "pv-author", title: `${e.author.username} (${e.author.role})` }, e.author.display_name || e.author.username, " ", h("span", { class: "pv-verified" }, `✓ ${this.ctx.t("history_verified")}`));
  }

  statusForm(item) {
    const { t } = this.ctx;
    const statuses = Object.keys(this.ctx.config.styles.projectStatus);
    const status = h("select", { name: "status", id: "pv-status-select" }, statuses.map((s) => h("option", { value: s, selected: s === item.p.status }, t(`status_${s}`))));
    const progress = h("input", { name: "progress_pct", id: "pv-status-progress", type: "number", min: "0", max: "100", step: "any", inputmode: "decimal" });
    const note = h("textarea", { name: "note", id: "pv-status-note", rows: "3", maxlength: String(MAX_NOTE_CHARS) });
    const submit = h("button", { type: "submit", id: "pv-status-submit" }, t("update_submit"));
    // novalidate: the API checks the values and its description is shown under the form
    const form = h(
      "form",
      { class: "pv-status-form", novalidate: true, onsubmit: (event) => { event.preventDefault(); this.submitStatus(item, { status, progress, note, submit }); } },
      h("h3", {}, t("update_title")),
      h("label", {}, t("update_status"), status),
      h("label", {}, t("update_progress"), progress),
      h("label", {}, t("update_note"), note),
      submit,
    );
    return form;
  }

  async submitStatus(item, fields) {
    const { t } = this.ctx;
    const body = { status: fields.status.value };
    if (fields.progress.value.trim() !== "") body.progress_pct = Number(fields.progress.value);
    if (fields.note.value.trim() !== "") body.note = fields.note.value;
    fields.submit.disabled = true;
    fields.submit.textContent = t("update_saving");
    const seq = this.detailSeq;
    let record;
    try {
      record = await this.ctx.api(`/projects/${encodeURIComponent(item.id)}/status`, {}, {
        method: "POST",
        // the version this page read: the server refuses the change when someone saved in between
        headers: { Accept: "application/json", "Content-Type": "application/json", "If-Match": `"${this.detail?.record?.version}"`, ...session.headers() },
        body: JSON.stringify(body),
      });
    } catch (err) {
      fields.submit.disabled = false;
      fields.submit.textContent = t("update_submit");
      const old = this.el.detail.querySelector(".pv-form-message");
      let line;
      if (err.status === 412 && err.body?.current) {
        const last = (err.body.current.history || [])[0] || {};
        line = h(
          "p",
          { class: "pv-error pv-form-message pv-conflict-message", role: "alert" },
          t("update_conflict", { who: last.author?.display_name || last.recorded_by || "?", when: this.formatWhen(last.recorded_at) }),
          " ",
          h("button", { type: "button", class: "pv-link", id: "pv-status-reload", onclick: () => this.reloadAfterConflict(item, err.body.current) }, t("update_reload")),
        );
      } else if (err.status === 401) {
        session.expired(); // the form and what was typed stay; the header asks to log in again
        line = h("p", { class: "pv-error pv-form-message", role: "alert" }, t("update_login_again"));
      } else {
        line = h("p", { class: "pv-error pv-form-message", role: "alert" }, t("update_failed", { detail: err.message }));
      }
      old ? old.replaceWith(line) : this.el.detail.append(line);
      return;
    }
    Object.assign(item.p, { status: record.status, progress_pct: record.progress_pct, status_note: record.status_note, status_note_vi: record.status_note_vi });
    if (item.marker) item.marker.setIcon(markerIcon(this.statusColor(record.status)));
    if (item.footprint) item.footprint.setStyle(this.footprintStyle(item.p));
    if (seq === this.detailSeq && this.detail?.item === item) {
      this.detail.record = record;
      this.detail.message = { kind: "ok", text: t("update_saved") };
    }
    this.refresh(); // live counts, list, and the panel card
  }
}
