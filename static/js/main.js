// planview map page: wires the Folium-made Leaflet map to the API, the side panel and the URL.
//
// Context handed to initTools(ctx) in static/js/tools.js (screening engineer):
//   ctx.map                 the Leaflet map (L.Map); Leaflet.draw is loaded (L.Control.Draw, L.Draw.*)
//   ctx.lang()              current language, "vi" or "en"
//   ctx.t(key, params)      translate with the current language (keys in static/js/i18n.js; an
//                           unknown key is returned as is, so tools may pass their own text)
//   ctx.view                "default" | "planner" | "investor"
//   ctx.district            {code, name, bounds} when the page was opened with ?district=, else null
//   ctx.api(path, params, fetchOptions)  GET/POST `/api${path}`; resolves to JSON, throws ApiError
//                           (err.status, err.code, err.message = the API's description)
//   ctx.panel               {conflicts, siteFinder, screening, tools}: containers in the "Công cụ"
//                           tab (#pv-conflicts, #pv-site-finder, #pv-screening, #pv-tab-tools)
//   ctx.openTab(name)       show a panel tab: "layers" | "projects" | "zones" | "here" | "tools"
//   ctx.openPanel()         open the side panel (it starts closed on phones)
//   ctx.onLanguageChange(cb)  cb(lang) after the language switch (re-render your labels there)
//   ctx.highlight(geojson, {fit = true, style})  draw a GeoJSON on top (replaces the previous
//                           highlight), zoom to it; highlight(null) clears; returns the layer
//   ctx.showMessage(keyOrText, params)  the page's alert bar (role=alert)
//   ctx.setLayerVisible(layerKey, on)   switch a sheet layer / overlay like the layer tree does
//   ctx.placing             true while a planner places a project (projects.js): a draw:created
//                           event then belongs to that, not to the screening tool
import { makeApi } from "./api.js";
import { fill, h } from "./dom.js";
import { addTerms, applyStaticLabels, foldVi, formatNumber, LANGUAGES, sourceText, t as translate } from "./i18n.js";
import { LayerTree, loadBase } from "./layers.js";
import { ProjectsOverlay } from "./projects.js";
import { initSession, session } from "./session.js";
import { initPrint } from "./print.js";
import { initTools } from "./tools.js";
import { ZonesOverlay } from "./zones.js";

const config = JSON.parse(document.getElementById("pv-config").textContent);
const map = window[config.map];
// Folium passes zoom limits to tile layers only; markercluster needs them on the map itself.
map.setMaxZoom(18);
map.setMinZoom(6);
map.options.zoomSnap = 0.5; // the province fits the screen better at half zoom steps
// Cards (popups opened with {autoPan: false, pvFit: true}) are built when opened and Leaflet's auto-pan
// measures them before layout settles; pan once they are laid out so the whole card is in view.
map.on("popupopen", (e) => {
  if (!e.popup.options.pvFit) return;
  requestAnimationFrame(() => {
    const card = e.popup.getElement()?.getBoundingClientRect();
    const view = map.getContainer().getBoundingClientRect();
    if (!card) return;
    const pad = 10;
    let dx = 0;
    let dy = 0;
    if (card.top < view.top + pad) dy = card.top - view.top - pad;
    else if (card.bottom > view.bottom - pad) dy = Math.min(card.bottom - view.bottom + pad, card.top - view.top - pad);
    if (card.left < view.left + pad) dx = card.left - view.left - pad;
    else if (card.right > view.right - pad) dx = Math.min(card.right - view.right + pad, card.left - view.left - pad);
    if (dx || dy) map.panBy([dx, dy], { animate: false });
  });
});
const $ = (id) => document.getElementById(id);
const TABS = ["layers", "projects", "zones", "here", "tools"];
const PHONE_WIDTH = 760;

const state = {
  lang: LANGUAGES.includes(config.lang) ? config.lang : "vi",
  tab: null,
  layers: new Set(),
};
const languageListeners = [];
const api = makeApi(config.api);
const t = (key, params) => translate(key, state.lang, params);

// ---------------------------------------------------------------- messages, tabs, panel, language
function showMessage(keyOrText, params = {}) {
  $("pv-message-text").textContent = t(keyOrText, params);
  $("pv-message").hidden = false;
}
$("pv-message-close").addEventListener("click", () => ($("pv-message").hidden = true));

function openTab(name) {
  if (!TABS.includes(name)) name = "layers";
  state.tab = name;
  for (const button of document.querySelectorAll("#pv-tabs [data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const section of document.querySelectorAll(".pv-tab")) section.hidden = section.dataset.tab !== name;
  writeHash();
}
for (const button of document.querySelectorAll("#pv-tabs [data-tab]")) {
  button.addEventListener("click", () => openTab(button.dataset.tab));
}

function setPanelOpen(open) {
  document.body.classList.toggle("pv-panel-closed", !open);
  $("pv-panel-toggle").setAttribute("aria-expanded", String(open));
  setTimeout(() => map.invalidateSize(), 250);
}
$("pv-panel-toggle").addEventListener("click", () => setPanelOpen(document.body.classList.contains("pv-panel-closed")));

function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  state.lang = lang;
  document.documentElement.lang = lang;
  applyStaticLabels(document, lang);
  for (const button of document.querySelectorAll("#pv-lang [data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  document.title = `${t("app_title")} — planview`;
  $("pv-monitoring-link").href = `/monitoring#lang=${lang}`; // the monitoring page opens in this language
  for (const cb of languageListeners) {
    try {
      cb(lang);
    } catch (err) {
      console.warn("language listener failed", err);
    }
  }
  writeHash();
}
for (const button of document.querySelectorAll("#pv-lang [data-lang]")) {
  button.addEventListener("click", () => setLanguage(button.dataset.lang));
}

// ---------------------------------------------------------------- the URL hash (shareable map state)
let hashReady = false;
function writeHash() {
  if (!hashReady) return;
  const params = new URLSearchParams();
  const c = map.getCenter();
  params.set("map", `${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  params.set("layers", [...state.layers].join(","));
  if (projects.filters.statuses) params.set("status", [...projects.filters.statuses].join(","));
  if (projects.filters.sector) params.set("sector", projects.filters.sector);
  if (projects.filters.district) params.set("pdistrict", projects.filters.district);
  params.set("lang", state.lang);
  if (state.tab) params.set("tab", state.tab);
  history.replaceState(null, "", `${location.pathname}${location.search}#${params.toString()}`);
}

/** Read the hash; returns {problems: [...]} plus whatever parsed cleanly. */
function readHash() {
  const out = { problems: [] };
  const raw = location.hash.replace(/^#/, "");
  if (!raw) return out;
  let params;
  try {
    params = new URLSearchParams(raw);
  } catch {
    out.problems.push("#");
    return out;
  }
  if (params.has("map")) {
    const parts = params.get("map").split("/").map(Number);
    const [z, lat, lon] = parts;
    if (parts.length === 3 && parts.every(Number.isFinite) && z >= 0 && z <= 20 && Math.abs(lat) <= 85 && Math.abs(lon) <= 180) {
      out.view = { zoom: z, center: [lat, lon] };
    } else {
      out.problems.push(`map=${params.get("map")}`);
    }
  }
  if (params.has("layers")) out.layers = params.get("layers").split(",").filter(Boolean);
  if (params.has("status")) out.statuses = params.get("status").split(",").filter(Boolean);
  if (params.has("sector")) out.sector = params.get("sector");
  if (params.has("pdistrict")) out.pdistrict = params.get("pdistrict");
  if (params.has("lang")) {
    if (LANGUAGES.includes(params.get("lang"))) out.lang = params.get("lang");
    else out.problems.push(`lang=${params.get("lang")}`);
  }
  if (params.has("tab")) {
    if (TABS.includes(params.get("tab"))) out.tab = params.get("tab");
    else out.problems.push(`tab=${params.get("tab")}`);
  }
  return out;
}

// ---------------------------------------------------------------- overlays and layer tree
const highlightLayer = L.featureGroup().addTo(map);
function highlight(geojson, { fit = true, style } = {}) {
  highlightLayer.clearLayers();
  if (!geojson) return null;
  const layer = L.geoJSON(geojson, { style: () => ({ color: "#d7191c", weight: 3, fillOpacity: 0.1, ...style }) });
  highlightLayer.addLayer(layer);
  if (fit && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { maxZoom: 15 });
  return layer;
}

const ctx = {
  map,
  config,
  view: config.view,
  district: null,
  lang: () => state.lang,
  t,
  api,
  panel: { conflicts: $("pv-conflicts"), siteFinder: $("pv-site-finder"), screening: $("pv-screening"), tools: $("pv-tab-tools") },
  openTab,
  openPanel: () => setPanelOpen(true),
  onLanguageChange: (cb) => languageListeners.push(cb),
  highlight,
  showMessage,
  setLayerVisible: (key, on) => setLayerVisible(key, on),
  placing: false, // true while a planner places a project (projects.js): drawings and map clicks are theirs
};

const projects = new ProjectsOverlay(ctx, {
  filters: $("pv-project-filters"),
  summary: $("pv-project-summary"),
  legend: $("pv-project-legend"),
  list: $("pv-project-list"),
  heading: $("pv-district-heading"),
});
const zones = new ZonesOverlay(ctx, { legend: $("pv-zone-legend"), list: $("pv-zone-list") });
const overlays = {
  priority_projects: projects,
  projects,
  industrial_zones: zones.controller(["KCN", "CCN"]),
  tourism_areas: zones.controller(["tourism"]),
};
const tree = new LayerTree(ctx, $("pv-layer-tree"), overlays);
projects.onChange = writeHash;
tree.onChange = writeHash;

async function setLayerVisible(key, on) {
  on ? state.layers.add(key) : state.layers.delete(key);
  if (tree.layers.has(key)) {
    await tree.setVisible(key, on);
    if (!tree.layers.get(key).on) state.layers.delete(key); // it failed to load: say so in the URL too
  } else if (overlays[key]) {
    on ? overlays[key].show() : overlays[key].hide();
  }
  writeHash();
}

// ---------------------------------------------------------------- base switcher (own drawn base / web tiles)
function renderBaseControls(base) {
  const items = [h("h2", {}, t("base_title"))];
  const ownBox = h("input", { type: "checkbox", checked: map.hasLayer(base.group), onchange: (e) => (e.target.checked ? base.group.addTo(map) : base.group.remove()) });
  items.push(h("label", { class: "pv-base-option" }, ownBox, " ", t("base_own")));
  const webLayer = Object.values(map._layers).find((layer) => layer instanceof L.TileLayer && !(layer instanceof L.GridLayer && layer.options?.vectorTileLayerStyles));
  if (config.baseTiles && webLayer) {
    const webBox = h("input", { type: "checkbox", checked: map.hasLayer(webLayer), onchange: (e) => (e.target.checked ? webLayer.addTo(map) : webLayer.remove()) });
    items.push(h("label", { class: "pv-base-option" }, webBox, " ", t("base_web")));
  }
  $("pv-base").replaceChildren(...items);
}

// ---------------------------------------------------------------- click anywhere: what the plan says here
const hereMarker = L.circleMarker([0, 0], { radius: 6, color: "#d7191c", weight: 2, fillOpacity: 0.6, interactive: false });
let lastHere = null;
async function showHere(latlng) {
  hereMarker.setLatLng(latlng).addTo(map);
  const box = $("pv-here");
  box.setAttribute("aria-busy", "true");
  box.replaceChildren(h("p", {}, t("loading")));
  openTab("here");
  setPanelOpen(true);
  try {
    lastHere = await api("/here", { lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6) });
    renderHere();
  } catch (err) {
    lastHere = null;
    box.replaceChildren(h("p", { class: "pv-error" }, t("msg_api_error", { what: t("what_here"), detail: err.message })));
  } finally {
    box.setAttribute("aria-busy", "false");
  }
}

/** " · status" of a place listed without a site: projects use the status vocabulary, zones the source's text. */
function unmappedStatus(place) {
  if (!place.status) return "";
  return ` · ${place.kind === "project" ? t(`status_${place.status}`) : sourceText(place, "status", state.lang)}`;
}

function renderHere() {
  if (!lastHere) return;
  const r = lastHere;
  const box = $("pv-here");
  const [lon, lat] = r.point || [];
  const parts = [
    h("p", { class: "pv-small" }, `${t("here_point")}: ${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}`),
    r.vn2000
      ? h(
          "p",
          { class: "pv-small", id: "pv-here-vn2000" },
          t("here_vn2000", { x: formatNumber(r.vn2000.x_north_m, state.lang, 2), y: formatNumber(r.vn2000.y_east_m, state.lang, 2) }),
        )
      : null,
    h(
      "dl",
      { class: "pv-fields" },
      h("dt", {}, t("here_district")),
      h("dd", { id: "pv-here-district" }, r.district?.name || t("here_outside")),
      h("dt", {}, t("here_commune")),
      h("dd", { id: "pv-here-commune" }, r.commune ? [r.commune.name, sourceText(r.commune, "status_2025", state.lang)].filter(Boolean).join(" — ") : "—"),
      ...(r.commune_2009
        ? [
            h("dt", {}, t("here_commune_2009")),
            h("dd", { id: "pv-here-commune2009" }, [r.commune_2009.name, sourceText(r.commune_2009, "status_2025", state.lang)].filter(Boolean).join(" — ")),
          ]
        : []),
      h("dt", {}, t("here_unit_2025")),
      h("dd", { id: "pv-here-unit2025" }, r.unit_2025 ? [r.unit_2025.name, r.unit_2025.province].filter(Boolean).join(", ") : "—"),
    ),
    // below the two-column list: a long note inside it would widen the label column off the panel
    r.unit_2025_note ? h("p", { id: "pv-here-unit2025-note", class: "pv-small pv-approx" }, sourceText(r, "unit_2025_note", state.lang)) : null,
  ];
  const sheets = (r.sheets || []).filter((s) => (s.features || []).length);
  if (!sheets.length) parts.push(h("p", {}, t("here_none")));
  for (const sheet of sheets) {
    parts.push(
      h(
        "section",
        { class: "pv-here-sheet", dataset: { sheet: sheet.sheet_id } },
        h("h3", {}, `${sheet.sheet_id} — ${(state.lang === "en" && sheet.title_en) || sheet.title_vi}`),
        h(
          "ul",
          {},
          sheet.features.map((f) =>
            h(
              "li",
              {},
              h("strong", {}, f.name || f.fid),
              f.layer_title_vi ? ` (${(state.lang === "en" && f.layer_title_en) || f.layer_title_vi})` : "",
              " — ",
              !f.distance_m ? t("here_at") : t("here_distance", { n: formatNumber(f.distance_m, state.lang, 0) }),
              f.properties?.geometry_quality === "approximate" ? h("span", { class: "pv-approx" }, ` · ${t("location_approximate")}`) : null,
            ),
          ),
        ),
      ),
    );
  }
  const unmapped = r.unmapped_in_district || [];
  if (unmapped.length) {
    parts.push(
      h(
        "section",
        { class: "pv-here-unmapped" },
        h("h3", {}, t("here_unmapped")),
        h("ul", {}, unmapped.map((u) => h("li", {}, u.name, ` (${t(`kind_${u.kind}`)}${unmappedStatus(u)})`))),
      ),
    );
  }
  fill(box, ...parts);
}
// While a shape is being drawn (screening tool) its clicks are vertices, not "what is here" questions.
let drawing = false;
map.on("draw:drawstart", () => (drawing = true));
map.on("draw:drawstop", () => setTimeout(() => (drawing = false), 0)); // after the closing click
map.on("click", (e) => {
  if (!drawing && !ctx.placing) showHere(e.latlng);
});

// ---------------------------------------------------------------- search
const searchInput = $("pv-search-input");
const searchResults = $("pv-search-results");
let searchTimer = null;
let searchSeq = 0;
let lastResults = [];

function goTo(result) {
  searchResults.hidden = true;
  const [w, s, e, n] = result.bbox || [];
  if ([w, s, e, n].every(Number.isFinite) && (w !== e || s !== n)) map.fitBounds([[s, w], [n, e]], { maxZoom: 14 });
  else if (result.centroid) map.setView([result.centroid[1], result.centroid[0]], 14);
  if (result.centroid) hereMarker.setLatLng([result.centroid[1], result.centroid[0]]).addTo(map);
}

async function runSearch() {
  const q = searchInput.value.trim();
  const seq = ++searchSeq;
  if (q.length < 2) {
    searchResults.hidden = true;
    return;
  }
  try {
    const body = await api("/search", { q, limit: 10 });
    if (seq !== searchSeq) return;
    lastResults = body?.results || [];
    searchResults.replaceChildren(
      ...(lastResults.length
        ? lastResults.map((r) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", class: "pv-search-hit", onclick: () => goTo(r) },
                h("strong", {}, r.name),
                h("span", { class: "pv-small" }, ` ${t(`kind_${r.kind}`)}${r.district ? ` · ${r.district}` : ""}${r.valid ? ` · ${t(`valid_${r.valid}`)}` : ""}${r.in_province === false ? ` · ${t("search_outside")}` : ""}`),
              ),
            ),
          )
        : [h("li", { class: "pv-empty" }, t("search_none", { q }))]),
    );
    searchResults.hidden = false;
  } catch (err) {
    if (seq === searchSeq) showMessage("msg_api_error", { what: t("what_search"), detail: err.message });
  }
}
searchInput.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 250);
});
$("pv-search").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  await runSearch();
  if (lastResults.length) goTo(lastResults[0]);
});
searchInput.addEventListener("keydown", (e) => {
  if (e.key === "Escape") searchResults.hidden = true;
});

// ---------------------------------------------------------------- cursor coordinates
// VN-2000 as well: the national grid planners read in decisions and survey drawings (X north, Y east).
// Which of the two is shown is the user's choice, remembered in this browser.
const toVn2000 = window.proj4 && config.vn2000 ? window.proj4(config.vn2000.proj4) : null;
const COORDS_KEY = "planview.cursorCrs";
const COORDS_CHOICES = ["both", "wgs84", "vn2000"];
const coordsChoice = $("pv-coords-crs");
function storedCoordsChoice() {
  try {
    const stored = window.localStorage.getItem(COORDS_KEY);
    return COORDS_CHOICES.includes(stored) ? stored : "both";
  } catch {
    return "both"; // storage refused (private mode): the default
  }
}
if (coordsChoice) {
  coordsChoice.value = storedCoordsChoice();
  coordsChoice.addEventListener("change", () => {
    try {
      window.localStorage.setItem(COORDS_KEY, coordsChoice.value);
    } catch {
      /* not remembered, still applied */
    }
    $("pv-coords").textContent = "";
  });
}
map.on("mousemove", (e) => {
  const { lat, lng } = e.latlng;
  const choice = coordsChoice ? coordsChoice.value : "both";
  const parts = [];
  if (choice !== "vn2000" || !toVn2000) parts.push(`${lat.toFixed(5)}, ${lng.toFixed(5)}`);
  if (toVn2000 && choice !== "wgs84") {
    const [east, north] = toVn2000.forward([lng, lat]);
    parts.push(`VN-2000 X ${formatNumber(north, state.lang, 0)} Y ${formatNumber(east, state.lang, 0)}`);
  }
  $("pv-coords").textContent = parts.join(" · ");
});

// ---------------------------------------------------------------- start-up
function findDistrict(districts, wanted) {
  const key = foldVi(wanted).replace(/^(huyen|thanh pho|tp\.?|thi xa)\s+/, "");
  return districts.find((d) => String(d.code) === wanted.trim() || String(d.code).padStart(3, "0") === wanted.trim().padStart(3, "0"))
    || districts.find((d) => foldVi(d.name) === key || foldVi(d.name_ascii) === key || foldVi(d.full_name) === foldVi(wanted));
}

function defaultLayers() {
  const keys = ["priority_projects", "industrial_zones", "tourism_areas"];
  if (config.view === "planner") {
    for (const [key, s] of tree.layers) if (s.meta.loaded !== false && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** The status and geometry-quality vocabularies come from the server (GET /api/vocabularies): labels and colours, never a copy here. */
function useVocabularies(vocabularies) {
  const colors = {};
  const terms = {};
  for (const s of vocabularies.project_statuses) {
    colors[s.value] = s.color;
    terms[`status_${s.value}`] = { vi: s.label_vi, en: s.label_en };
  }
  // how a place was obtained (exact, approximate, schematic, digitised, none): labels from the same endpoint
  for (const q of vocabularies.geometry_qualities || []) terms[`location_${q.value}`] = { vi: q.label_vi, en: q.label_en };
  config.styles.projectStatus = colors;
  addTerms(terms);
}

async function start() {
  document.body.classList.add(`pv-view-${config.view}`);
  if (window.innerWidth <= PHONE_WIDTH) setPanelOpen(false);
  const hash = readHash();
  setLanguage(hash.lang || state.lang);
  for (const notice of config.notices || []) showMessage(`msg_${notice}`);
  if (hash.problems.length) showMessage("msg_bad_permalink", { detail: hash.problems.join(", ") });

  await initSession(ctx);
  // a log-in or log-out changes which projects show their edit form
  session.onChange(() => projects.detail && projects.renderDetail());
  try {
    useVocabularies(await api("/vocabularies"));
  } catch (err) {
    showMessage("msg_api_error", { what: t("what_vocabularies"), detail: err.message });
  }
  const [baseResult, sheetsResult, projectsResult, zonesResult] = await Promise.allSettled([
    loadBase(ctx),
    tree.load(),
    projects.load(),
    zones.load(),
  ]);
  const failed = [
    [baseResult, "what_base"],
    [sheetsResult, "what_sheets"],
    [projectsResult, "what_projects"],
    [zonesResult, "what_zones"],
  ].filter(([r]) => r.status === "rejected");
  for (const [r, what] of failed) showMessage("msg_api_error", { what: t(what), detail: r.reason?.message || r.reason });
  if (sheetsResult.status === "rejected") $("pv-layer-tree").replaceChildren(h("p", { class: "pv-error" }, t("msg_api_error", { what: t("what_sheets"), detail: sheetsResult.reason?.message })));

  const base = baseResult.status === "fulfilled" ? baseResult.value : null;
  baseState = base;
  if (base) {
    renderBaseControls(base);
    projects.setDistricts(base.districts);
    if (base.failures.length) showMessage("msg_api_error", { what: t("what_base"), detail: base.failures[0].message });
  }

  let fitTo = base?.provinceBounds;
  if (config.district) {
    const district = base ? findDistrict(base.districts, config.district) : null;
    if (district) {
      ctx.district = { code: String(district.code), name: district.name, bounds: district.bounds };
      projects.lockedDistrict = String(district.code);
      fitTo = district.bounds;
      document.body.classList.add("pv-view-district");
      // the official's own district stands out from its neighbours
      L.geoJSON(district.feature, {
        pane: "pv-base-lines",
        interactive: false,
        style: { color: "#1f5f8b", weight: 4, opacity: 0.9, fill: false, className: "pv-district-outline" },
      }).addTo(map);
    } else {
      showMessage("msg_unknown_district", { name: config.district });
    }
  }
  if (hash.statuses) projects.filters.statuses = new Set(hash.statuses);
  if (hash.sector) projects.filters.sector = hash.sector;
  if (hash.pdistrict && !projects.lockedDistrict) projects.filters.district = hash.pdistrict;
  projects.refresh();

  // Position first, so tiled layers ask only for the tiles of the view they will show.
  if (hash.view && !config.district) map.setView(hash.view.center, hash.view.zoom, { animate: false });
  else if (fitTo?.isValid()) map.fitBounds(fitTo, { padding: [10, 10], animate: false });

  const wanted = hash.layers || defaultLayers();
  const unknown = wanted.filter((k) => !tree.layers.has(k) && !overlays[k]);
  if (hash.layers && unknown.length && sheetsResult.status === "fulfilled") {
    showMessage("msg_bad_permalink", { detail: `layers=${unknown.join(",")}` });
  }
  await Promise.all(wanted.filter((k) => !unknown.includes(k)).map((k) => setLayerVisible(k, true)));


  const firstTab = hash.tab || (config.district ? "projects" : config.view === "investor" ? "zones" : "layers");
  hashReady = true;
  openTab(firstTab);
  map.on("moveend", writeHash);
  onLanguageRerender();
  try {
    initTools(ctx);
  } catch (err) {
    console.warn("tools failed to start", err);
  }
  initPrint(ctx, () => [...state.layers]);
  document.body.dataset.ready = "true";
  writeHash();
}

let baseState = null;
function onLanguageRerender() {
  ctx.onLanguageChange(() => {
    if (baseState) renderBaseControls(baseState);
    tree.render();
    projects.refresh();
    zones.render();
    renderHere();
    if (lastResults.length && !searchResults.hidden) runSearch();
  });
}

// Even when start-up fails half-way the map stays usable and says what went wrong.
start().catch((err) => {
  showMessage("msg_api_error", { what: "planview", detail: err.message });
  document.body.dataset.ready = "true";
});
