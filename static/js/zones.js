// Zones overlay: industrial zones (KCN), clusters (CCN) and tourism areas with their land figures.
import { fieldList, fill, h, sourceLink } from "./dom.js";
import { downloadMenu } from "./downloads.js";
import { formatNumber, sourceText } from "./i18n.js";

const KINDS = ["KCN", "CCN", "tourism"];
const APPROXIMATE_DASH = "6 5";
const POPUP_OPTIONS = { maxWidth: 340, autoPan: false, pvFit: true }; // main.js pans once the card is laid out

export class ZonesOverlay {
  constructor(ctx, elements) {
    this.ctx = ctx;
    this.el = elements; // {legend, list}
    this.items = [];
    this.groups = Object.fromEntries(KINDS.map((k) => [k, L.featureGroup()]));
    this.shown = new Set();
    this.opacity = 1;
    this.onChange = () => {};
  }

  color(kind) {
    return this.ctx.config.styles.zoneKind[kind] || "#555555";
  }

  style(p) {
    const color = this.color(p.kind);
    return {
      color,
      weight: 2,
      opacity: this.opacity,
      fillColor: color,
      fillOpacity: 0.25 * this.opacity,
      dashArray: p.geometry_quality === "approximate" ? APPROXIMATE_DASH : null,
    };
  }

  async load() {
    const fc = await this.ctx.api("/collections/zones/items", { limit: 10000 });
    const map = this.ctx.map;
    if (!map.getPane("pv-zones")) map.createPane("pv-zones").style.zIndex = "425";
    this.items = (fc?.features || []).map((feature) => {
      const p = feature.properties || {};
      const item = { id: p.zone_id || feature.id, p, layer: null };
      if (feature.geometry) {
        item.layer = L.geoJSON(feature, {
          pane: "pv-zones",
          style: () => this.style(p),
          pointToLayer: (f, latlng) => L.circleMarker(latlng, { ...this.style(p), radius: 8, pane: "pv-zones" }),
        });
        item.layer.bindPopup(() => this.card(item), POPUP_OPTIONS);
        this.groups[p.kind]?.addLayer(item.layer);
      }
      return item;
    });
    this.render();
  }

  /** A controller the layer tree uses for the sheet layers that are views over zones. */
  controller(kinds) {
    return {
      show: () => this.showKinds(kinds, true),
      hide: () => this.showKinds(kinds, false),
      setOpacity: (opacity) => this.setOpacity(opacity),
    };
  }

  showKinds(kinds, on) {
    for (const kind of kinds) {
      if (on) {
        this.groups[kind].addTo(this.ctx.map);
        this.shown.add(kind);
      } else {
        this.groups[kind].remove();
        this.shown.delete(kind);
      }
    }
    this.onChange();
  }

  setOpacity(opacity) {
    this.opacity = opacity;
    for (const item of this.items) item.layer?.setStyle(this.style(item.p));
  }

  area(value) {
    const { t } = this.ctx;
    if (value === null || value === undefined || value === "") return h("span", { class: "pv-unknown" }, t("card_not_published"));
    return t("ha", { n: formatNumber(value, this.ctx.lang(), 1) });
  }

  sortedItems() {
    if (this.ctx.view !== "investor") return this.items;
    // Investors look for free land first; unknown availability goes last, never counted as 0.
    const key = (item) => (item.p.area_available_ha == null ? -1 : Number(item.p.area_available_ha));
    return [...this.items].sort((a, b) => key(b) - key(a));
  }

  render() {
    const { t } = this.ctx;
    fill(
      this.el.legend,
      h("h3", {}, t("zones_title")),
      h(
        "ul",
        { class: "pv-legend-items" },
        KINDS.map((k) => h("li", {}, h("span", { class: "pv-swatch", style: { background: this.color(k) } }), ` ${t(`zone_${k}`)}`)),
        h("li", {}, h("span", { class: "pv-swatch pv-swatch-dashed" }), ` ${t("zone_approx_note")}`),
      ),
      this.ctx.view === "investor" ? h("p", { class: "pv-small" }, t("zone_available_first")) : null,
    );
    this.el.list.replaceChildren(
      ...this.sortedItems().map((item) =>
        h(
          "li",
          { class: "pv-zone-item", dataset: { zone: item.id, kind: item.p.kind || "" } },
          h("span", { class: "pv-swatch", style: { background: this.color(item.p.kind) } }),
          h("button", { type: "button", class: "pv-link", onclick: () => this.focus(item) }, item.p.name_vi || item.id),
          h("div", { class: "pv-small" }, `${t("zone_available")}: `, this.area(item.p.area_available_ha), ` · ${t("zone_planned")}: `, this.area(item.p.area_planned_ha)),
        ),
      ),
    );
  }

  focus(item) {
    if (!item.layer) {
      const li = this.el.list.querySelector(`li[data-zone="${CSS.escape(item.id)}"]`);
      if (li && !li.querySelector(".pv-card")) li.append(this.card(item));
      return;
    }
    const kind = item.p.kind;
    if (!this.shown.has(kind)) this.ctx.setLayerVisible(kind === "tourism" ? "tourism_areas" : "industrial_zones", true);
    const bounds = item.layer.getBounds();
    // no animation: the card must open on the final view so main.js can pan it wholly into sight
    this.ctx.map.fitBounds(bounds, { maxZoom: 14, animate: false });
    item.layer.openPopup(bounds.getCenter());
  }

  card(item) {
    const { t } = this.ctx;
    const p = item.p;
    const approximate = p.geometry_quality === "approximate";
    const note = sourceText(p, "geometry_note", this.ctx.lang());
    const location =
      p.geometry_quality === "none" || !item.layer
        ? t("location_none")
        : approximate
          ? t("location_approximate")
          : t("location_exact");
    // the sources' notes keep a few English fragments; the site API says them in Vietnamese (*_vi)
    const sourceNote = (field) => (p[field] ? h("span", { dataset: { vi: field } }, p[field]) : null);
    const commune = p.commune_name || p.commune_new_2025
      ? h("span", {}, sourceNote("commune_name") || "", p.commune_name && p.commune_new_2025 ? " → " : "", p.commune_new_2025 || "")
      : null;
    const card = h(
      "div",
      { class: "pv-card pv-zone-card", dataset: { zone: item.id } },
      h("h3", {}, p.name_vi || item.id),
      h("span", { class: "pv-badge", style: { background: this.color(p.kind) } }, t(`zone_${p.kind}`)),
      fieldList([
        [t("zone_planned"), this.area(p.area_planned_ha)],
        [t("zone_occupied"), this.area(p.area_occupied_ha)],
        [t("zone_available"), this.area(p.area_available_ha)],
        ["", sourceNote("area_notes")],
        [t("zone_status"), [sourceText(p, "status", this.ctx.lang()), sourceText(p, "occupancy_note", this.ctx.lang())].filter(Boolean).join(" — ")],
        [t("card_period"), sourceNote("plan_horizon")],
        [t("card_district"), p.district_name],
        [t("card_commune"), commune],
        [t("card_decisions"), p.decisions],
        [t("zone_investor"), sourceNote("investor")],
        [t("card_location"), h("span", { class: approximate ? "pv-approx" : "" }, location, note ? ` — ${note}` : "", approximate ? ` ${t("zone_approx_note")}` : "")],
        [t("card_source"), p.source_url ? h("span", {}, sourceLink(p.source_url), p.source_url_2 ? h("br") : null, sourceLink(p.source_url_2)) : null],
      ]),
      downloadMenu(this.ctx, "zones", { zone_id: item.id }, item.id),
    );
    if (this.ctx.lang() === "vi" && card.querySelector("[data-vi]")) {
      this.ctx
        .api(`/sites/${encodeURIComponent(item.id)}`)
        .then((site) => {
          for (const el of card.querySelectorAll("[data-vi]")) el.textContent = site[`${el.dataset.vi}_vi`] || el.textContent;
          card.dataset.viNotes = "true";
        })
        .catch(() => {}); // the notes stay as the source wrote them
    }
    return card;
  }
}
