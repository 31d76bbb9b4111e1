// The monitoring page: targets dashboard, report board, my unit's report, projects over time.
// Every list and vocabulary (statuses, parts, report states) comes from the API; only colours are config.
// Labels come from the page's one translation table (i18n.js), in Vietnamese or English (?lang=, #lang=).
import { LANGUAGES, applyStaticLabels, t as translate } from "./i18n.js";

const config = JSON.parse(document.getElementById("pv-config").textContent);
const $ = (id) => document.getElementById(id);
const startHash = new URLSearchParams(location.hash.slice(1));
let lang = [startHash.get("lang"), new URLSearchParams(location.search).get("lang")].find((l) => LANGUAGES.includes(l)) ?? "vi";
const tr = (key, params) => translate(key, lang, params);
const locale = () => (lang === "vi" ? "vi-VN" : "en-GB");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function getJSON(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", ...options });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  return { ok: response.ok, status: response.status, body, etag: response.headers.get("ETag") };
}

const formatNumber = (v) =>
  v === null || v === undefined ? "—" : Number(v).toLocaleString(locale(), { maximumFractionDigits: 2 });
const formatDate = (v) => (v ? new Date(v).toLocaleDateString(locale()) : "");
const formatTime = (v) => (v ? new Date(v).toLocaleString(locale()) : "");
const named = (thing, field) => (lang === "en" && thing[`${field}_en`]) || thing[`${field}_vi`];
// every vocabulary (labels in both languages, project colours): GET /api/vocabularies, read once
let vocab = { project_statuses: [], task_statuses: [], target_statuses: [], plan_parts: [], report_states: [] };
const term = (list, value) => vocab[list].find((s) => s.value === value);
const label = (list, value) => (term(list, value) ? named(term(list, value), "label") : value ?? "—");
const projectLabel = (value) => (term("project_statuses", value) ? label("project_statuses", value) : tr("mon_nothing_recorded"));
const projectColor = (value) => term("project_statuses", value)?.color;

// ------------------------------------------------------------------ tabs
const loaded = {};
function showTab(name) {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const section of document.querySelectorAll(".pv-mon-tab")) section.hidden = section.id !== `pv-tab-${name}`;
  if (!loaded[name]) loaded[name] = loaders[name]();
  const params = new URLSearchParams(location.hash.slice(1));
  params.set("tab", name);
  history.replaceState(null, "", `#${params}`);
  return loaded[name];
}

// ------------------------------------------------------------------ targets
async function loadTargets() {
  const { body } = await getJSON("/api/targets");
  const legend = $("pv-status-legend");
  legend.replaceChildren(
    ...vocab.target_statuses.map((s) => el("span", {}, el("span", { class: `pv-badge pv-status-${s.value}` }, named(s, "label")))),
  );
  const container = $("pv-targets");
  container.replaceChildren();
  for (const part of vocab.plan_parts) {
    const targets = body.targets.filter((t) => t.part === part.value);
    const section = el("section", { class: "pv-part", "data-part": part.value }, el("h2", {}, named(part, "label")));
    if (!targets.length) section.append(el("p", { class: "pv-none" }, tr("mon_no_quantified")));
    const cards = el("div", { class: "pv-cards" });
    for (const target of targets) cards.append(targetCard(target));
    section.append(cards);
    container.append(section);
  }
}

function targetCard(t) {
  const status = t.status
    ? el("span", { class: `pv-badge pv-status-${t.status}`, "data-status": t.status }, label("target_statuses", t.status))
    : el("span", { class: "pv-none" }, tr("mon_baseline_info"));
  const goal = t.goal !== null ? `${t.comparator ?? ""} ${formatNumber(t.goal)} ${t.unit ?? ""}` : t.goal_text ?? "";
  const hover = el("div", { class: "pv-hover" });
  const card = el(
    "article",
    { class: "pv-card", "data-target": t.target_id },
    el("h3", {}, `${t.target_id} · ${named(t, "indicator")}`),
    el("div", { class: "pv-goal" }, `${tr("mon_goal", { goal })}${t.goal_year ? ` (${t.goal_year})` : ""} `, status),
  );
  if (t.by_year.length) {
    const chart = el("div", { class: "pv-chart" });
    card.append(chart, hover);
    drawChart(chart, t, hover);
    const last = t.by_year[t.by_year.length - 1];
    hover.textContent = describe(t, last);
  } else {
    card.append(el("div", { class: "pv-none" }, tr("mon_no_actuals")));
  }
  return card;
}

function describe(t, row) {
  const kind = row.kind === "official" ? tr("mon_kind_official") : tr("mon_kind_estimate");
  const verdict = row.status ? ` — ${label("target_statuses", row.status)}` : "";
  return `${row.year}: ${formatNumber(row.value)} ${t.unit ?? ""} (${kind})${verdict}. ${tr("mon_source")}: ${row.source}`;
}

function drawChart(container, t, hover) {
  const years = t.by_year.map((r) => r.year);
  const values = t.by_year.map((r) => r.value);
  const series = [{}, { label: tr("mon_series_actual"), stroke: "#2166ac", width: 2, points: { size: 6 } }];
  const data = [years, values];
  if (t.goal !== null && t.assessed) {
    series.push({ label: tr("mon_series_goal"), stroke: "#d73027", dash: [4, 4], points: { show: false } });
    data.push(years.map(() => t.goal));
  }
  const plot = new uPlot(
    {
      width: 280,
      height: 120,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ values: (u, ticks) => ticks.map((v) => (Number.isInteger(v) ? String(v) : "")) }, { size: 40 }],
      series,
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i !== null && i !== undefined && t.by_year[i]) hover.textContent = describe(t, t.by_year[i]);
          },
        ],
      },
    },
    data,
    container,
  );
  container.title = t.by_year.map((r) => describe(t, r)).join("\n");
  return plot;
}

// ------------------------------------------------------------------ the board
function yearOptions(select, chosen) {
  const now = new Date().getFullYear();
  select.replaceChildren(...Array.from({ length: now + 2 - 2024 }, (_, i) => el("option", { value: 2024 + i }, 2024 + i)));
  select.value = String(chosen ?? now);
}

async function loadBoard() {
  const select = $("pv-board-year");
  if (!select.options.length) {
    yearOptions(select);
    select.addEventListener("change", () => (loaded.board = loadBoard()));
  }
  const year = select.value;
  const { ok, status, body } = await getJSON(`/api/reports/${year}`);
  const rows = $("pv-board").tBodies[0];
  rows.replaceChildren();
  if (!ok) {
    $("pv-board-summary").textContent =
      status === 401 ? tr("mon_board_login") : body?.description ?? "";
    $("pv-board-docs").replaceChildren();
    return;
  }
  const c = body.counts;
  $("pv-board-summary").textContent = tr("mon_board_summary", {
    deadline: formatDate(body.deadline),
    days: body.days_to_deadline,
    ...c,
  });
  $("pv-board-docs").replaceChildren(
    el("a", { href: `/api/reports/${year}/consolidated.xlsx` }, tr("mon_doc_xlsx")),
    el("a", { href: `/api/reports/${year}/consolidated.pdf` }, tr("mon_doc_pdf")),
    el("a", { href: `/api/reports/${year}/consolidated.html`, target: "_blank" }, tr("mon_doc_html")),
  );
  for (const u of body.units) {
    rows.append(
      el(
        "tr",
        { class: u.missing ? "pv-missing" : "", "data-unit": u.unit_id },
        el("td", {}, u.unit_id),
        el("td", {}, named(u, "name")),
        el("td", {}, u.state ? label("report_states", u.state) : tr("mon_not_started")),
        el("td", {}, formatTime(u.submitted_at)),
        el("td", {}, u.late ? tr("mon_days", { n: u.late_days }) : ""),
        el("td", {}, u.missing ? tr("mon_yes") : ""),
      ),
    );
  }
}

// ------------------------------------------------------------------ my unit
let who = null;
let report = null;
let unitMap = null;

async function loadWho() {
  const me = await getJSON("/api/auth/me");
  who = me.ok ? me.body : null;
  renderWho();
}

function renderWho() {
  const role = who ? (lang === "en" ? who.role_label_en : who.role_label_vi) ?? who.role : "";
  $("pv-mon-who").textContent = who ? `${who.display_name ?? who.username} · ${role} · ${(who.units ?? []).join(", ")}` : tr("mon_not_logged_in");
}

let myUnits = [];

function renderUnitOptions() {
  const select = $("pv-unit");
  const chosen = select.value;
  select.replaceChildren(...myUnits.map((u) => el("option", { value: u.unit_id }, `${u.unit_id} · ${named(u, "name")}`)));
  if (chosen) select.value = chosen;
}

async function loadUnitTab() {
  const units = (await getJSON("/api/reporting-units")).body.units;
  myUnits = who?.units?.length ? units.filter((u) => who.units.includes(u.unit_id)) : units;
  const select = $("pv-unit");
  const mine = myUnits;
  renderUnitOptions();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("unit");
  if (wanted && mine.some((u) => u.unit_id === wanted)) select.value = wanted;
  yearOptions($("pv-unit-year"), new URLSearchParams(location.hash.slice(1)).get("year"));
  select.addEventListener("change", () => loadReport());
  $("pv-unit-year").addEventListener("change", () => loadReport());
  $("pv-report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveDraft();
  });
  $("pv-submit").addEventListener("click", () => submitReport());
  await loadReport();
}

function reportUrl() {
  return `/api/reports/${$("pv-unit-year").value}/units/${encodeURIComponent($("pv-unit").value)}`;
}

async function loadReport() {
  const { ok, status, body } = await getJSON(reportUrl());
  $("pv-unit-report").hidden = !ok;
  unitMessage = ok ? null : status === 401 ? "mon_unit_login" : body?.description ?? "mon_report_unreadable";
  renderUnitMessage();
  if (ok) renderReport(body);
}

let unitMessage = null; // a key of the translation table, or the server's own description

function renderUnitMessage() {
  $("pv-unit-message").textContent = unitMessage ? (unitMessage.startsWith("mon_") ? tr(unitMessage) : unitMessage) : "";
}

function renderReport(body, { keepText = false } = {}) {
  report = body;
  const state = label("report_states", body.state);
  const late = body.late ? tr("mon_late", { n: body.late_days }) : "";
  const due = body.days_to_deadline >= 0 ? tr("mon_days_left", { n: body.days_to_deadline }) : tr("mon_days_over", { n: -body.days_to_deadline });
  $("pv-unit-state").textContent = tr("mon_state_line", { unit: named(body.unit, "name"), year: body.year, state, late, deadline: formatDate(body.deadline), due });
  $("pv-unit-state").dataset.state = body.state;
  if (body.return_reason && body.state === "returned") $("pv-unit-state").append(el("div", {}, tr("mon_return_reason", { reason: body.return_reason })));
  // the lead unit's officer updates a task (the server checks it again); others see the status
  const canEdit = body.editable && who?.role === "officer" && (who.units ?? []).includes(body.unit.unit_id);
  const tasks = $("pv-unit-tasks").tBodies[0];
  tasks.replaceChildren(
    ...body.tasks.map((t) =>
      el(
        "tr",
        { class: t.overdue ? "pv-overdue" : t.ended ? "pv-ended" : "", "data-task": t.task_id },
        el("td", {}, named(t, "title")),
        el("td", {}, t.plan_section),
        el("td", { class: "pv-due" }, taskDue(t)),
        el("td", { "data-status": t.status }, canEdit ? taskEditor(t) : label("task_statuses", t.status)),
        el("td", {}, t.progress_pct !== null ? `${formatNumber(t.progress_pct)} %` : ""),
      ),
    ),
  );
  $("pv-unit-projects").replaceChildren(
    ...body.projects.map((p) => el("li", {}, `${p.project_id} · ${p.name_vi} — ${projectLabel(p.status_at)}`)),
  );
  $("pv-unit-indicators").replaceChildren(
    ...body.indicators.map((i) =>
      el("li", {}, `${i.target_id} · ${named(i, "indicator")}: ${i.value !== null ? formatNumber(i.value) : tr("mon_no_data_yet")} (${i.status ? label("target_statuses", i.status) : ""})`),
    ),
  );
  if (!keepText) {
    $("pv-difficulties").value = body.difficulties ?? "";
    $("pv-proposals").value = body.proposals ?? "";
  }
  for (const id of ["pv-difficulties", "pv-proposals"]) {
    $(id).maxLength = body.max_text_chars;
    $(id).disabled = !body.editable;
  }
  $("pv-save").disabled = $("pv-submit").disabled = !body.editable;
  $("pv-unit-events").replaceChildren(
    ...body.events.map((e) => el("li", {}, `${formatTime(e.at)} · ${e.actor} · ${e.action}${e.note ? ` · ${e.note}` : ""}`)),
  );
  drawUnitMap(body.projects);
}

// a task whose lead unit has ended has no due date left: the server says why (ended_reason_vi/_en)
function taskDue(t) {
  if (t.ended) return `${t.deadline_text ?? ""} — ${named(t, "ended_reason")}`;
  return `${t.deadline_text ?? ""}${t.next_due ? ` (${formatDate(t.next_due)})` : ""}${t.overdue ? tr("mon_overdue") : ""}`;
}

function taskEditor(task) {
  const select = el(
    "select",
    { "aria-label": tr("mon_task_status") },
    vocab.task_statuses.map((s) => el("option", { value: s.value }, named(s, "label"))),
  );
  select.value = task.status;
  select.addEventListener("change", async () => {
    delete $("pv-form-status").dataset.result;
    const result = await getJSON(`/api/tasks/${encodeURIComponent(task.task_id)}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", "If-Match": `"${task.version}"`, ...csrfHeader() },
      body: JSON.stringify({ status: select.value }),
    });
    const status = $("pv-form-status");
    status.dataset.result = String(result.status);
    if (result.ok) {
      status.textContent = tr("mon_task_updated", { id: task.task_id });
      await loadReport();
    } else {
      status.textContent =
        result.status === 412 ? tr("mon_task_conflict") : result.body?.description ?? tr("mon_error", { status: result.status });
    }
  });
  return select;
}

function drawUnitMap(projects) {
  if (!unitMap) {
    unitMap = L.map("pv-unit-map", { zoomControl: true }).setView([22.15, 105.85], 9);
  }
  unitMap.eachLayer((layer) => layer instanceof L.CircleMarker && unitMap.removeLayer(layer));
  const points = projects.filter((p) => p.centroid);
  for (const p of points) {
    L.circleMarker([p.centroid[1], p.centroid[0]], {
      radius: 7,
      color: "#333",
      weight: 1,
      fillColor: projectColor(p.status_at) ?? "#bbb",
      fillOpacity: 0.9,
    })
      .bindTooltip(`${p.project_id} · ${p.name_vi}`)
      .addTo(unitMap);
  }
  if (points.length) unitMap.fitBounds(points.map((p) => [p.centroid[1], p.centroid[0]]), { maxZoom: 11, padding: [20, 20] });
}

async function writeReport(url, payload, headers = {}) {
  // a result shown is the answer to this write, never a leftover of the previous one
  const status = $("pv-form-status");
  delete status.dataset.result;
  status.textContent = tr("mon_saving");
  const result = await getJSON(url, {
    method: url === reportUrl() ? "PUT" : "POST",
    headers: { "Content-Type": "application/json", ...headers, ...csrfHeader() },
    body: JSON.stringify(payload),
  });
  if (result.ok) {
    renderReport(result.body);
    status.textContent = tr("mon_saved");
  } else if (result.status === 412) {
    status.textContent = tr("mon_report_conflict");
  } else {
    status.textContent = result.body?.description ?? tr("mon_error", { status: result.status });
  }
  status.dataset.result = String(result.status);
  return result;
}

function csrfHeader() {
  return who?.csrf_token ? { "X-CSRF-Token": who.csrf_token } : {};
}

function saveDraft() {
  return writeReport(
    reportUrl(),
    { difficulties: $("pv-difficulties").value, proposals: $("pv-proposals").value },
    { "If-Match": `"${report.version}"` },
  );
}

async function submitReport() {
  const saved = await saveDraft();
  if (!saved.ok) return;
  const result = await writeReport(`${reportUrl()}/submit`, { version: report.version });
  if (result.ok) $("pv-form-status").textContent = result.body.late ? tr("mon_sent_late", { n: result.body.late_days }) : tr("mon_sent");
}

// ------------------------------------------------------------------ projects over time
let historyMap = null;
let historyLayer = null;

async function loadHistory() {
  historyMap = L.map("pv-history-map").setView([22.15, 105.85], 9);
  const outline = await getJSON("/api/collections/districts/items?limit=50");
  if (outline.ok) L.geoJSON(outline.body, { style: config.baseStyles.districts, interactive: false }).addTo(historyMap);
  const today = new Date();
  const first = await getJSON(`/api/projects-as-of?date=${today.toISOString().slice(0, 10)}`);
  const start = new Date(first.body.span.first ?? today);
  start.setMonth(start.getMonth() - 1);
  const days = Math.max(1, Math.round((today - start) / 86400000));
  const slider = $("pv-day");
  slider.max = String(days);
  slider.value = String(days);
  const dayOf = (n) => new Date(start.getTime() + n * 86400000).toISOString().slice(0, 10);
  slider.addEventListener("change", () => showDay(dayOf(Number(slider.value))));
  slider.addEventListener("input", () => ($("pv-day-label").value = dayOf(Number(slider.value))));
  await showDay(dayOf(days), first.body);
}

let shownDay = null;

async function showDay(day, preloaded) {
  const body = preloaded ?? (await getJSON(`/api/projects-as-of?date=${day}`)).body;
  shownDay = day;
  $("pv-day-label").value = body.as_of;
  if (historyLayer) historyMap.removeLayer(historyLayer);
  historyLayer = L.geoJSON(body, {
    pointToLayer: (f, latlng) =>
      L.circleMarker(latlng, {
        radius: 7,
        color: "#333",
        weight: 1,
        fillColor: projectColor(f.properties.status) ?? "#ffffff",
        fillOpacity: f.properties.status ? 0.9 : 0.3,
      }).bindTooltip(`${f.properties.project_id} · ${f.properties.name_vi}: ${projectLabel(f.properties.status)}`),
  }).addTo(historyMap);
  $("pv-day-counts").textContent = Object.entries(body.counts)
    .map(([k, n]) => `${projectLabel(k === "none" ? null : k)}: ${n}`)
    .join(" · ");
  document.body.dataset.asOf = body.as_of;
}

const loaders = { targets: loadTargets, board: loadBoard, unit: loadUnitTab, history: loadHistory };

// ------------------------------------------------------------------ language
function setLanguage(next) {
  lang = next;
  document.documentElement.lang = lang;
  applyStaticLabels(document, lang);
  document.title = tr("mon_page_title");
  for (const button of document.querySelectorAll("#pv-lang [data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  $("pv-mon-back").href = `/?lang=${lang}`;
  const params = new URLSearchParams(location.hash.slice(1));
  params.set("lang", lang);
  history.replaceState(null, "", `#${params}`);
}

/** Say everything shown in the other language; what the user typed stays. */
async function switchLanguage(next) {
  if (next === lang || !LANGUAGES.includes(next)) return;
  document.body.dataset.ready = "false";
  setLanguage(next);
  renderWho();
  if (loaded.targets) loaded.targets = loadTargets();
  if (loaded.board) loaded.board = loadBoard();
  if (loaded.unit) {
    renderUnitOptions();
    renderUnitMessage();
    if (report) renderReport(report, { keepText: true });
  }
  if (loaded.history && shownDay) loaded.history = showDay(shownDay);
  await Promise.all(Object.values(loaded));
  document.body.dataset.ready = "true";
}

async function start() {
  setLanguage(lang);
  for (const button of document.querySelectorAll("#pv-lang [data-lang]")) {
    button.addEventListener("click", () => switchLanguage(button.dataset.lang));
  }
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.addEventListener("click", async () => {
      document.body.dataset.ready = "false";
      await showTab(button.dataset.tab);
      document.body.dataset.ready = "true";
    });
  }
  vocab = (await getJSON("/api/vocabularies")).body;
  await loadWho();
  const tab = new URLSearchParams(location.hash.slice(1)).get("tab") ?? "targets";
  await showTab(loaders[tab] ? tab : "targets");
  document.body.dataset.ready = "true";
}

if (document.readyState === "complete") start();
else window.addEventListener("load", start);
