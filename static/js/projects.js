// Projects overlay: markers/footprints coloured by status, filters with live counts, clusters, cards, list.
import { fieldList, h, sourceLink } from "./dom.js";
import { formatNumber } from "./i18n.js";

const APPROXIMATE_DASH = "6 5";
const POPUP_OPTIONS = { maxWidth: 340, autoPan: false, pvFit: true }; // main.js pans once the card is laid out

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
          icon: L.divIcon({
            className: "pv-project-marker",
            html: `<span style="background:${color}"></span>`,
            iconSize: [16, 16],
            iconAnchor: [8, 8],
          }),
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
      dashArray: p.geometry_quality === "approximate" ? APPROXIMATE_DASH : null,
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
    if (!item.marker) {
      const li = this.el.list.querySelector(`li[data-project="${CSS.escape(item.id)}"]`);
      if (li && !li.querySelector(".pv-card")) li.append(this.card(item));
      return;
    }
    if (!this.visible) this.show();
    // Past disableClusteringAtZoom the marker stands alone; no animation, so the popup can pan into view.
    const map = this.ctx.map;
    map.setView(item.marker.getLatLng(), Math.max(map.getZoom(), 13), { animate: false });
    item.marker.openPopup();
  }

  card(item) {
    const { t } = this.ctx;
    const lang = this.ctx.lang();
    const p = item.p;
    const quality = p.geometry_quality || (item.marker ? "exact" : "none");
    const level = p.location_level ? t(`level_${p.location_level}`) : null;
    const location = [t(`location_${quality}`), level].filter(Boolean).join(", ");
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
        [t("card_status"), [t(`status_${p.status}`), p.status_note].filter(Boolean).join(" — ")],
        [t("card_progress"), progress],
        [t("card_scale"), p.scale],
        [t("card_decisions"), p.decisions],
        [t("card_location"), h("span", { class: quality === "exact" ? "" : "pv-approx" }, location, p.geometry_note ? ` — ${p.geometry_note}` : "")],
        [t("card_source"), p.source_url ? h("span", {}, sourceLink(p.source_url), p.source_url_2 ? h("br") : null, sourceLink(p.source_url_2)) : null],
      ]),
    );
  }
}
