// Planner and investor tools (issue 5): the conflicts list, "draw or upload a footprint and screen
// it", the site finder, and the conflicts shown on every project card. The context object `ctx` is
// documented at the top of static/js/main.js.
import { fill, h } from "./dom.js";

const TEXT = {
  vi: {
    conflicts_title: "Xung đột quy hoạch của các dự án",
    conflicts_none: "Không có xung đột với các quy tắc đang áp dụng.",
    conflicts_loading: "Đang đối chiếu…",
    conflicts_csv: "Tải danh sách (CSV, mở bằng Excel)",
    severity_all: "Mọi mức",
    block: "Chặn",
    review: "Cần xem xét",
    info: "Thông tin",
    approximate: "vị trí gần đúng",
    unverified: "ngưỡng chưa kiểm chứng",
    inactive_rules: "Quy tắc chưa áp dụng được (thiếu dữ liệu)",
    screen_title: "Đối chiếu một vị trí (vẽ hoặc tải lên)",
    draw: "Vẽ đa giác",
    upload: "Tải GeoJSON",
    sector: "Lĩnh vực (vd. công nghiệp)",
    district: "Huyện được giao (mã hoặc tên)",
    screen: "Đối chiếu",
    clear: "Xoá",
    no_footprint: "Hãy vẽ hoặc tải lên một vị trí trước.",
    bad_file: "Tệp không phải GeoJSON hợp lệ",
    print_sheet: "In phiếu đối chiếu (A4)",
    verdict_consistent: "Phù hợp quy hoạch",
    verdict_needs_review: "Cần xem xét",
    verdict_conflicts: "Xung đột với quy hoạch",
    verdict_not_screened: "Chưa đối chiếu được (không có vị trí)",
    not_stored: "Kết quả không được lưu.",
    sites_title: "Tìm địa điểm đầu tư",
    min_available: "Diện tích trống tối thiểu (ha)",
    max_road: "Cách quốc lộ tối đa (km)",
    max_city: "Cách TP Bắc Kạn tối đa (km)",
    kinds: "Loại",
    kind_KCN: "Khu công nghiệp",
    kind_CCN: "Cụm công nghiệp",
    kind_tourism: "Du lịch",
    no_block: "Bỏ địa điểm có xung đột chặn",
    find: "Tìm",
    available: "Còn trống",
    unknown: "chưa công bố",
    fact_sheet: "Phiếu thông tin",
    excluded: "Bị loại",
    excl_available_unknown: "chưa công bố diện tích trống",
    excl_too_small: "diện tích trống quá nhỏ",
    excl_distance_unknown: "chưa rõ khoảng cách",
    excl_too_far: "quá xa",
    excl_blocking_conflict: "có xung đột chặn",
    card_conflicts: "Xung đột quy hoạch",
    card_conformity: "Phiếu đối chiếu",
    overlap: "chồng lấn",
    distance: "cách",
  },
  en: {
    conflicts_title: "Plan conflicts of the projects",
    conflicts_none: "No conflict with the active rules.",
    conflicts_loading: "Screening…",
    conflicts_csv: "Download the list (CSV, opens in Excel)",
    severity_all: "All severities",
    block: "Block",
    review: "Review",
    info: "Info",
    approximate: "approximate location",
    unverified: "threshold unverified",
    inactive_rules: "Rules not evaluated (data missing)",
    screen_title: "Screen a footprint (draw or upload)",
    draw: "Draw a polygon",
    upload: "Upload GeoJSON",
    sector: "Sector (e.g. industry / công nghiệp)",
    district: "Assigned district (code or name)",
    screen: "Screen",
    clear: "Clear",
    no_footprint: "Draw or upload a footprint first.",
    bad_file: "The file is not valid GeoJSON",
    print_sheet: "Print the conformity sheet (A4)",
    verdict_consistent: "Consistent with the plan",
    verdict_needs_review: "Needs review",
    verdict_conflicts: "Conflicts with the plan",
    verdict_not_screened: "Not screened (no location)",
    not_stored: "Nothing was stored.",
    sites_title: "Find a site",
    min_available: "Minimum available area (ha)",
    max_road: "Max distance to a national road (km)",
    max_city: "Max distance to Bắc Kạn city (km)",
    kinds: "Kind",
    kind_KCN: "Industrial park",
    kind_CCN: "Industrial cluster",
    kind_tourism: "Tourism",
    no_block: "Hide sites with a blocking conflict",
    find: "Find",
    available: "Available",
    unknown: "unknown (not published)",
    fact_sheet: "Fact sheet",
    excluded: "Excluded",
    excl_available_unknown: "available area not published",
    excl_too_small: "too little available area",
    excl_distance_unknown: "distance unknown",
    excl_too_far: "too far",
    excl_blocking_conflict: "blocking conflict",
    card_conflicts: "Plan conflicts",
    card_conformity: "Conformity sheet",
    overlap: "overlap",
    distance: "at",
  },
};
// Read when the module loads, before main.js writes the current tab into the hash.
const TAB_IN_PERMALINK = /(^|[#&])tab=/.test(location.hash);
const SEVERITY_COLOURS = { block: "#b2182b", review: "#e66101", info: "#2166ac" };
// replaceChildren() would print optional parts that are absent as the text "null"

export function initTools(ctx) {
  const tr = (key) => TEXT[ctx.lang()]?.[key] ?? TEXT.vi[key] ?? ctx.t(key);
  const num = (value, digits = 1) =>
    value == null ? tr("unknown") : Number(value).toLocaleString(ctx.lang() === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: digits });
  const panels = ctx.panel || {};
  const state = { severity: "", footprint: null, report: null, sites: null };

  // ------------------------------------------------------------ a conflict as a list item
  function conflictItem(c, { project } = {}) {
    const amount = [];
    if (c.overlap_ha) amount.push(`${tr("overlap")} ${num(c.overlap_ha, 2)} ha${c.overlap_pct != null ? ` (${num(c.overlap_pct, 1)} %)` : ""}`);
    if (c.distance_m) amount.push(`${tr("distance")} ${num(c.distance_m, 0)} m`);
    return h(
      "li",
      { class: `pv-conflict pv-sev-${c.severity}`, dataset: { rule: c.rule_code, project: project?.id || "" } },
      h(
        "button",
        {
          type: "button",
          class: "pv-conflict-show",
          title: c.legal_basis || "",
          onclick: () => c.geometry && ctx.highlight(c.geometry, { style: { color: SEVERITY_COLOURS[c.severity], weight: 3, fillOpacity: 0.35 } }),
        },
        h("span", { class: "pv-sev-badge", style: { background: SEVERITY_COLOURS[c.severity] } }, tr(c.severity)),
        " ",
        project ? h("b", {}, `${project.id} `) : null,
        ctx.lang() === "vi" ? c.message_vi : c.message_en,
      ),
      h(
        "div",
        { class: "pv-small" },
        [c.constraint?.name || c.constraint?.layer, amount.join(", ")].filter(Boolean).join(" — "),
        c.approximate ? h("span", { class: "pv-approx" }, ` · ${tr("approximate")}`) : null,
      ),
      h("div", { class: "pv-small" }, c.legal_basis || "", c.threshold_verified ? "" : ` (${tr("unverified")})`),
    );
  }

  function inactiveList(rules) {
    if (!rules?.length) return null;
    return h(
      "details",
      { class: "pv-inactive" },
      h("summary", {}, `${tr("inactive_rules")}: ${rules.length}`),
      h("ul", {}, rules.map((r) => h("li", { dataset: { rule: r.rule_code } }, h("b", {}, r.rule_code), ` — ${(ctx.lang() === "vi" && r.reason_vi) || r.reason}`))),
    );
  }

  // ------------------------------------------------------------ planner: the conflicts list
  async function renderConflicts() {
    const root = panels.conflicts;
    if (!root) return;
    fill(root, h("h3", {}, tr("conflicts_title")), h("p", { class: "pv-small" }, tr("conflicts_loading")));
    let data;
    try {
      data = await ctx.api("/conflicts", { severity: state.severity, district: ctx.district?.code });
    } catch (err) {
      fill(root, h("h3", {}, tr("conflicts_title")), h("p", { class: "pv-error", role: "alert" }, err.message));
      return;
    }
    const select = h(
      "select",
      { "aria-label": tr("severity_all"), class: "pv-severity-filter", onchange: (e) => ((state.severity = e.target.value), renderConflicts()) },
      ["", "block", "review", "info"].map((s) => h("option", { value: s, selected: s === state.severity }, s ? tr(s) : tr("severity_all"))),
    );
    const counts = ["block", "review", "info"].map((s) => `${tr(s)} ${data.counts[s]}`).join(" · ");
    const list = data.conflicts.length
      ? h("ul", { class: "pv-conflict-list" }, data.conflicts.map((c) => conflictItem(c, { project: c.project })))
      : h("p", {}, tr("conflicts_none"));
    const csv = new URLSearchParams({ f: "csv" });
    if (state.severity) csv.set("severity", state.severity);
    if (ctx.district?.code) csv.set("district", ctx.district.code);
    const download = h("a", { id: "pv-conflicts-csv", href: `${ctx.config.api}/conflicts?${csv}`, download: "" }, tr("conflicts_csv"));
    fill(root, h("h3", {}, tr("conflicts_title")), select, h("p", { class: "pv-small pv-conflict-counts" }, counts, " · ", download), list, inactiveList(data.inactive_rules));
  }

  // ------------------------------------------------------------ the screening tool
  const drawn = L.featureGroup().addTo(ctx.map);
  function setFootprint(geojson) {
    drawn.clearLayers();
    state.footprint = geojson;
    if (geojson) {
      const layer = L.geoJSON(geojson, { style: { color: "#08519c", weight: 2, fillOpacity: 0.2 } });
      drawn.addLayer(layer);
      if (layer.getBounds().isValid()) ctx.map.fitBounds(layer.getBounds(), { maxZoom: 15 });
    }
  }
  ctx.map.on(L.Draw ? L.Draw.Event.CREATED : "draw:created", (e) => {
    if (ctx.placing) return; // a planner is placing a project (projects.js): the drawing is theirs
    setFootprint(e.layer.toGeoJSON());
    screenFootprint();
  });

  function footprintBody() {
    return JSON.stringify(state.footprint);
  }

  async function screenFootprint() {
    const out = panels.screening?.querySelector(".pv-screen-result");
    if (!out) return;
    if (!state.footprint) {
      fill(out, h("p", { class: "pv-error", role: "alert" }, tr("no_footprint")));
      return;
    }
    fill(out, h("p", { class: "pv-small" }, tr("conflicts_loading")));
    const params = { sector: panels.screening.querySelector("[name=sector]").value.trim(), district: panels.screening.querySelector("[name=district]").value.trim() };
    try {
      state.report = await ctx.api("/screen", params, { method: "POST", body: footprintBody(), headers: { "Content-Type": "application/json", Accept: "application/json" } });
    } catch (err) {
      fill(out, h("p", { class: "pv-error", role: "alert", dataset: { status: err.status } }, err.message));
      return;
    }
    renderReport(out, state.report, params);
  }

  function renderReport(out, report, params) {
    const verdict = h("p", {}, h("span", { class: `pv-verdict pv-verdict-${report.verdict}`, dataset: { verdict: report.verdict } }, tr(`verdict_${report.verdict}`)));
    const area = report.subject.area_ha ? h("p", { class: "pv-small" }, `${num(report.subject.area_ha, 2)} ha · ${tr("not_stored")}`) : null;
    const list = report.conflicts.length ? h("ul", { class: "pv-conflict-list" }, report.conflicts.map((c) => conflictItem(c))) : h("p", {}, tr("conflicts_none"));
    const print = h("button", { type: "button", class: "pv-print-sheet", onclick: () => openConformity(params) }, tr("print_sheet"));
    fill(out, verdict, area, list, inactiveList(report.inactive_rules), print);
    const hits = report.conflicts.filter((c) => c.geometry).map((c) => ({ type: "Feature", properties: { severity: c.severity }, geometry: c.geometry }));
    if (hits.length) ctx.highlight({ type: "FeatureCollection", features: hits }, { fit: false, style: { color: "#b2182b", fillOpacity: 0.35 } });
  }

  async function openConformity(params) {
    const url = new URL("/conformity", location.origin);
    for (const [k, v] of Object.entries({ ...params, lang: ctx.lang() })) if (v) url.searchParams.set(k, v);
    const response = await fetch(url, { method: "POST", body: footprintBody(), headers: { "Content-Type": "application/json" } });
    const html = (await response.text()).replace("<head>", `<head><base href="${location.origin}/">`);
    window.open(URL.createObjectURL(new Blob([html], { type: "text/html" })), "_blank");
  }

  function renderScreening() {
    const root = panels.screening;
    if (!root) return;
    const sector = root.querySelector("[name=sector]")?.value || "";
    const district = root.querySelector("[name=district]")?.value || ctx.district?.code || "";
    const file = h("input", {
      type: "file",
      accept: ".geojson,.json,application/geo+json,application/json",
      class: "pv-upload",
      "aria-label": tr("upload"),
      onchange: async (e) => {
        const chosen = e.target.files[0];
        e.target.value = ""; // the same file chosen again must screen again
        if (!chosen) return;
        try {
          setFootprint(JSON.parse(await chosen.text()));
        } catch (err) {
          ctx.showMessage(`${tr("bad_file")}: ${err.message}`);
          return;
        }
        screenFootprint();
      },
    });
    const drawButton = h(
      "button",
      { type: "button", class: "pv-draw", onclick: () => L.Draw && new L.Draw.Polygon(ctx.map, { showArea: false }).enable() },
      tr("draw"),
    );
    fill(
      root,
      h("h3", {}, tr("screen_title")),
      h("div", { class: "pv-tool-row" }, drawButton, h("label", { class: "pv-upload-label" }, tr("upload"), " ", file)),
      h("label", {}, tr("sector"), h("input", { name: "sector", value: sector, maxlength: 80 })),
      h("label", {}, tr("district"), h("input", { name: "district", value: district, maxlength: 80 })),
      h(
        "div",
        { class: "pv-tool-row" },
        h("button", { type: "button", class: "pv-screen", onclick: screenFootprint }, tr("screen")),
        h("button", { type: "button", onclick: () => (setFootprint(null), ctx.highlight(null), root.querySelector(".pv-screen-result").replaceChildren()) }, tr("clear")),
      ),
      h("div", { class: "pv-screen-result", "aria-live": "polite" }),
    );
    if (state.report) renderReport(root.querySelector(".pv-screen-result"), state.report, { sector, district });
  }

  // ------------------------------------------------------------ investor: the site finder
  function renderSiteForm() {
    const root = panels.siteFinder;
    if (!root) return;
    const input = (name, label) => h("label", {}, label, h("input", { name, type: "number", min: 0, step: "any", inputmode: "decimal" }));
    const kinds = ["KCN", "CCN", "tourism"].map((k) => h("label", { class: "pv-inline" }, h("input", { type: "checkbox", name: "kind", value: k, checked: true }), ` ${tr(`kind_${k}`)}`));
    const form = h(
      "form",
      { class: "pv-site-form", onsubmit: (e) => (e.preventDefault(), findSites()) },
      input("min_available_ha", tr("min_available")),
      input("max_road_km", tr("max_road")),
      input("max_city_km", tr("max_city")),
      h("fieldset", {}, h("legend", {}, tr("kinds")), kinds),
      h("label", { class: "pv-inline" }, h("input", { type: "checkbox", name: "no_blocking_conflict" }), ` ${tr("no_block")}`),
      h("button", { type: "submit", class: "pv-find" }, tr("find")),
    );
    fill(root, h("h3", {}, tr("sites_title")), form, h("div", { class: "pv-site-results", "aria-live": "polite" }));
  }

  async function findSites() {
    const root = panels.siteFinder;
    const form = root.querySelector("form");
    const value = (name) => form.querySelector(`[name=${name}]`).value;
    const params = {
      min_available_ha: value("min_available_ha"),
      max_road_km: value("max_road_km"),
      max_city_km: value("max_city_km"),
      kind: [...form.querySelectorAll("[name=kind]:checked")].map((el) => el.value).join(","),
      no_blocking_conflict: form.querySelector("[name=no_blocking_conflict]").checked ? "true" : "",
      district: ctx.district?.code,
    };
    const out = root.querySelector(".pv-site-results");
    try {
      state.sites = await ctx.api("/sites", params);
    } catch (err) {
      fill(out, h("p", { class: "pv-error", role: "alert" }, err.message));
      return;
    }
    renderSites(out, state.sites);
  }

  function renderSites(out, data) {
    const items = data.sites.map((s) =>
      h(
        "li",
        { class: "pv-site", dataset: { zone: s.zone_id } },
        h(
          "button",
          { type: "button", class: "pv-site-show", onclick: () => s.geometry && ctx.highlight(s.geometry, { style: { color: "#7b3294" } }) },
          h("b", {}, `${s.rank}. ${s.name_vi}`),
        ),
        h(
          "div",
          { class: "pv-small" },
          `${s.zone_id} · ${tr("available")}: `,
          h("span", { class: s.area_available_ha == null ? "pv-unknown" : "" }, s.area_available_ha == null ? tr("unknown") : `${num(s.area_available_ha, 1)} ha`),
        ),
        h("ul", { class: "pv-why" }, ((ctx.lang() === "vi" && s.why_vi) || s.why).map((w) => h("li", {}, w))),
        h("a", { href: `/sites/${encodeURIComponent(s.zone_id)}?lang=${ctx.lang()}`, target: "_blank", rel: "noopener" }, tr("fact_sheet")),
      ),
    );
    const counts = Object.entries(data.excluded_counts)
      .filter(([, n]) => n)
      .map(([code, n]) => `${n} ${tr(`excl_${code}`)}`);
    fill(
      out,
      h("ol", { class: "pv-site-list" }, items),
      data.excluded.length
        ? h(
            "details",
            { class: "pv-excluded" },
            h("summary", {}, `${tr("excluded")}: ${data.excluded.length} (${counts.join(", ")})`),
            h("ul", {}, data.excluded.map((e) => h("li", { dataset: { zone: e.zone_id } }, `${e.zone_id} ${e.name_vi}: ${e.reasons.map((r) => (ctx.lang() === "vi" ? tr(`excl_${r.code}`) : r.text)).join("; ")}`))),
          )
        : null,
    );
  }

  // ------------------------------------------------------------ project cards show their conflicts
  async function decorateCard(card) {
    const id = card.dataset.project;
    if (!id || card.querySelector(".pv-card-conflicts")) return;
    const inPopup = Boolean(card.closest(".leaflet-popup"));
    // In a map popup the verdict sits on the status badge's line (the popup must not grow past the
    // screen); a card in the panel gets the full list.
    const box = h(inPopup ? "span" : "div", { class: "pv-card-conflicts" });
    const badge = card.querySelector(".pv-badge");
    if (inPopup && badge) badge.after(" ", box);
    else card.append(box);
    let report;
    try {
      report = await ctx.api(`/projects/${encodeURIComponent(id)}/conflicts`);
    } catch (err) {
      fill(box, h("span", { class: "pv-error" }, err.message));
      return;
    }
    const lines = report.conflicts.map((c) => `${tr(c.severity)} ${c.rule_code}: ${ctx.lang() === "vi" ? c.message_vi : c.message_en}${c.approximate ? ` (${tr("approximate")})` : ""}`);
    const verdict = h(
      "button",
      {
        type: "button",
        class: `pv-verdict pv-verdict-${report.verdict}`,
        dataset: { verdict: report.verdict, rules: report.conflicts.map((c) => c.rule_code).join(" ") },
        title: [tr("card_conflicts"), ...lines].join("\n"),
        onclick: () => {
          const hits = report.conflicts.filter((c) => c.geometry).map((c) => ({ type: "Feature", properties: {}, geometry: c.geometry }));
          if (hits.length) ctx.highlight({ type: "FeatureCollection", features: hits }, { fit: false, style: { color: "#b2182b", fillOpacity: 0.35 } });
        },
      },
      `${tr(`verdict_${report.verdict}`)}${report.conflicts.length ? ` (${report.conflicts.length})` : ""}`,
    );
    const sheet = h("a", { href: `/projects/${encodeURIComponent(id)}/conformity?lang=${ctx.lang()}`, target: "_blank", rel: "noopener", title: tr("card_conformity") }, inPopup ? "A4" : tr("card_conformity"));
    if (inPopup) {
      fill(box, verdict, " ", sheet);
      return;
    }
    fill(
      box,
      h("h4", {}, tr("card_conflicts")),
      h("p", {}, verdict, " ", sheet),
      report.conflicts.length ? h("ul", { class: "pv-conflict-list" }, report.conflicts.map((c) => conflictItem(c))) : null,
    );
  }
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const cards = node.matches(".pv-project-card") ? [node] : node.querySelectorAll(".pv-project-card");
        for (const card of cards) decorateCard(card);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });

  // ------------------------------------------------------------ views, language
  function renderAll() {
    renderConflicts();
    renderScreening();
    renderSiteForm();
    if (state.sites) renderSites(panels.siteFinder.querySelector(".pv-site-results"), state.sites);
  }
  renderAll();
  // The investor view opens on the zones tab (the viewer's choice): the site finder goes on top of it.
  const zonesTab = document.querySelector('.pv-tab[data-tab="zones"]');
  if (ctx.view === "investor" && panels.siteFinder) {
    (zonesTab || panels.tools)?.prepend(panels.siteFinder);
    findSites();
  }
  if (ctx.view === "planner" && !TAB_IN_PERMALINK) ctx.openTab("tools");
  ctx.onLanguageChange(() => {
    renderConflicts();
    renderScreening();
    renderSiteForm();
    if (state.sites) renderSites(panels.siteFinder.querySelector(".pv-site-results"), state.sites);
  });
  // for scripted use (and tests): screen a GeoJSON as if it had been drawn
  window.planviewTools = { screen: (geojson) => (setFootprint(geojson), screenFootprint()), findSites };
}
