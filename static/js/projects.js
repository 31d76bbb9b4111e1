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
      const color = this.statusColor(p.status);
      if (feature.geometry) {
        const shape = L.geoJSON(feature);
        const center = feature.geometry.type === "Point" ? shape.getLayers()[0].getLatLng() : shape.getBounds().getCenter();
        if (feature.geometry.type !== "Point" && feature.geometry.type !== "MultiPoint") {
          item.footprint = L.geoJSON(feature, {
            pane: "pv-footprints",
            style: () => this.footprintStyle(p),
          });
          item.footprint.bindPopup(() => this.card(item), POPUP_OPTIONS);
        }
        item.marker = L.marker(center, {
          icon: markerIcon(color),
          title: projectName(p),
          keyboard: true,
        });
        item.marker.projectId = id;
        item.marker.bindPopup(() => this.card(item), POPUP_OPTIONS);
      }
      return item;
    });
    this.refresh();
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
        [t("card_location"), h("span", { class: quality === "exact" ? "" : "pv-approx" }, location, note ? ` — ${note}` : "")],
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
    } catch (err) {
      if (seq !== this.detailSeq) return;
      this.detail.message = { kind: "error", text: this.ctx.t("msg_api_error", { what: this.ctx.t("what_project"), detail: err.message }) };
    }
    this.detail.loading = false;
    this.renderDetail();
    this.el.detail.scrollIntoView({ block: "start" });
  }

  closeDetail() {
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
    Object.assign(item.p, { status: current.status, progress_pct: current.progress_pct, status_note: current.status_note, status_note_vi: current.status_note_vi });
    if (item.marker) item.marker.setIcon(markerIcon(this.statusColor(current.status)));
    if (item.footprint) item.footprint.setStyle(this.footprintStyle(item.p));
    this.refresh();
    this.openDetail(item);
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
