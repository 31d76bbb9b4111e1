// The monitoring page: targets dashboard, report board, my unit's report, projects over time.
// Every list and vocabulary (statuses, parts, report states) comes from the API; only colours are config.
const config = JSON.parse(document.getElementById("pv-config").textContent);
const $ = (id) => document.getElementById(id);

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

const numberVi = (v) =>
  v === null || v === undefined ? "—" : Number(v).toLocaleString("vi-VN", { maximumFractionDigits: 2 });
const dateVi = (v) => (v ? new Date(v).toLocaleDateString("vi-VN") : "");
const titleOf = (vocab, id) => vocab.find((x) => x.id === id)?.title_vi ?? id ?? "—";
// project statuses (labels, colours) and task statuses: GET /api/vocabularies, read once
let vocab = { project_statuses: [], task_statuses: [] };
const projectStatus = (value) => vocab.project_statuses.find((s) => s.value === value);
const projectLabel = (value) => projectStatus(value)?.label_vi ?? "chưa có ghi nhận";
const projectColor = (value) => projectStatus(value)?.color;
const taskLabel = (value) => vocab.task_statuses.find((s) => s.value === value)?.label_vi ?? value;

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
    ...body.statuses.map((s) => el("span", {}, el("span", { class: `pv-badge pv-status-${s.id}` }, s.title_vi))),
  );
  const container = $("pv-targets");
  container.replaceChildren();
  for (const part of body.parts) {
    const targets = body.targets.filter((t) => t.part === part.id);
    const section = el("section", { class: "pv-part", "data-part": part.id }, el("h2", {}, part.title_vi));
    if (!targets.length) section.append(el("p", { class: "pv-none" }, "Kế hoạch không đặt chỉ tiêu định lượng cho nội dung này."));
    const cards = el("div", { class: "pv-cards" });
    for (const target of targets) cards.append(targetCard(target, body.statuses));
    section.append(cards);
    container.append(section);
  }
}

function targetCard(t, statuses) {
  const status = t.status
    ? el("span", { class: `pv-badge pv-status-${t.status}`, "data-status": t.status }, titleOf(statuses, t.status))
    : el("span", { class: "pv-none" }, "số liệu nền / thông tin");
  const goal = t.goal !== null ? `${t.comparator ?? ""} ${numberVi(t.goal)} ${t.unit ?? ""}` : t.goal_text ?? "";
  const hover = el("div", { class: "pv-hover" });
  const card = el(
    "article",
    { class: "pv-card", "data-target": t.target_id },
    el("h3", {}, `${t.target_id} · ${t.indicator_vi}`),
    el("div", { class: "pv-goal" }, `Mục tiêu: ${goal}${t.goal_year ? ` (${t.goal_year})` : ""} `, status),
  );
  if (t.by_year.length) {
    const chart = el("div", { class: "pv-chart" });
    card.append(chart, hover);
    drawChart(chart, t, hover, statuses);
    const last = t.by_year[t.by_year.length - 1];
    hover.textContent = describe(t, last, statuses);
  } else {
    card.append(el("div", { class: "pv-none" }, "Chưa có số liệu thực hiện được công bố."));
  }
  return card;
}

function describe(t, row, statuses) {
  const kind = row.kind === "official" ? "chính thức" : "ước tính";
  const verdict = row.status ? ` — ${titleOf(statuses, row.status)}` : "";
  return `${row.year}: ${numberVi(row.value)} ${t.unit ?? ""} (${kind})${verdict}. Nguồn: ${row.source}`;
}

function drawChart(container, t, hover, statuses) {
  const years = t.by_year.map((r) => r.year);
  const values = t.by_year.map((r) => r.value);
  const series = [{}, { label: "Thực hiện", stroke: "#2166ac", width: 2, points: { size: 6 } }];
  const data = [years, values];
  if (t.goal !== null && t.assessed) {
    series.push({ label: "Mục tiêu", stroke: "#d73027", dash: [4, 4], points: { show: false } });
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
            if (i !== null && i !== undefined && t.by_year[i]) hover.textContent = describe(t, t.by_year[i], statuses);
          },
        ],
      },
    },
    data,
    container,
  );
  container.title = t.by_year.map((r) => describe(t, r, statuses)).join("\n");
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
      status === 401 ? "Đăng nhập với vai trò chuyên viên Sở KH&ĐT để xem bảng theo dõi." : body?.description ?? "";
    $("pv-board-docs").replaceChildren();
    return;
  }
  const c = body.counts;
  $("pv-board-summary").textContent =
    `Hạn ${dateVi(body.deadline)} (còn ${body.days_to_deadline} ngày) · ${c.units} đơn vị · đã tiếp nhận ${c.accepted} · ` +
    `đã gửi ${c.submitted} · trả lại ${c.returned} · trễ hạn ${c.late} · quá hạn chưa gửi ${c.missing}`;
  $("pv-board-docs").replaceChildren(
    el("a", { href: `/api/reports/${year}/consolidated.xlsx` }, "Tổng hợp (XLSX)"),
    el("a", { href: `/api/reports/${year}/consolidated.pdf` }, "Báo cáo (PDF)"),
    el("a", { href: `/api/reports/${year}/consolidated.html`, target: "_blank" }, "Bản in (HTML)"),
  );
  for (const u of body.units) {
    rows.append(
      el(
        "tr",
        { class: u.missing ? "pv-missing" : "", "data-unit": u.unit_id },
        el("td", {}, u.unit_id),
        el("td", {}, u.name_vi),
        el("td", {}, u.state ? titleOf(body.states, u.state) : "chưa lập"),
        el("td", {}, u.submitted_at ? new Date(u.submitted_at).toLocaleString("vi-VN") : ""),
        el("td", {}, u.late ? `${u.late_days} ngày` : ""),
        el("td", {}, u.missing ? "có" : ""),
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
  const line = $("pv-mon-who");
  line.textContent = who ? `${who.display_name ?? who.username} · ${who.role} · ${(who.units ?? []).join(", ")}` : "Chưa đăng nhập.";
}

async function loadUnitTab() {
  const units = (await getJSON("/api/reporting-units")).body.units;
  const mine = who?.units?.length ? units.filter((u) => who.units.includes(u.unit_id)) : units;
  const select = $("pv-unit");
  select.replaceChildren(...mine.map((u) => el("option", { value: u.unit_id }, `${u.unit_id} · ${u.name_vi}`)));
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
  $("pv-unit-message").textContent = ok
    ? ""
    : status === 401
      ? "Đăng nhập bằng tài khoản cán bộ của đơn vị để lập báo cáo."
      : body?.description ?? "Không đọc được báo cáo.";
  if (ok) renderReport(body);
}

function renderReport(body) {
  report = body;
  const state = titleOf(body.states, body.state);
  const late = body.late ? ` · trễ ${body.late_days} ngày` : "";
  const due = body.days_to_deadline >= 0 ? `còn ${body.days_to_deadline} ngày` : `đã quá hạn ${-body.days_to_deadline} ngày`;
  $("pv-unit-state").textContent = `${body.unit.name_vi} · năm ${body.year} · ${state}${late} · hạn ${dateVi(body.deadline)} (${due})`;
  $("pv-unit-state").dataset.state = body.state;
  if (body.return_reason && body.state === "returned") $("pv-unit-state").append(el("div", {}, `Lý do trả lại: ${body.return_reason}`));
  // the lead unit's officer updates a task (the server checks it again); others see the status
  const canEdit = body.editable && who?.role === "officer" && (who.units ?? []).includes(body.unit.unit_id);
  const tasks = $("pv-unit-tasks").tBodies[0];
  tasks.replaceChildren(
    ...body.tasks.map((t) =>
      el(
        "tr",
        { class: t.overdue ? "pv-overdue" : "", "data-task": t.task_id },
        el("td", {}, t.title_vi),
        el("td", {}, t.plan_section),
        el("td", {}, `${t.deadline_text ?? ""}${t.next_due ? ` (${dateVi(t.next_due)})` : ""}${t.overdue ? " — quá hạn" : ""}`),
        el("td", { "data-status": t.status }, canEdit ? taskEditor(t) : taskLabel(t.status)),
        el("td", {}, t.progress_pct !== null ? `${numberVi(t.progress_pct)} %` : ""),
      ),
    ),
  );
  $("pv-unit-projects").replaceChildren(
    ...body.projects.map((p) => el("li", {}, `${p.project_id} · ${p.name_vi} — ${projectLabel(p.status_at)}`)),
  );
  $("pv-unit-indicators").replaceChildren(
    ...body.indicators.map((i) =>
      el("li", {}, `${i.target_id} · ${i.indicator_vi}: ${i.value !== null ? numberVi(i.value) : "chưa có số liệu"} (${i.status ?? ""})`),
    ),
  );
  $("pv-difficulties").value = body.difficulties ?? "";
  $("pv-proposals").value = body.proposals ?? "";
  for (const id of ["pv-difficulties", "pv-proposals"]) {
    $(id).maxLength = body.max_text_chars;
    $(id).disabled = !body.editable;
  }
  $("pv-save").disabled = $("pv-submit").disabled = !body.editable;
  $("pv-unit-events").replaceChildren(
    ...body.events.map((e) => el("li", {}, `${new Date(e.at).toLocaleString("vi-VN")} · ${e.actor} · ${e.action}${e.note ? ` · ${e.note}` : ""}`)),
  );
  drawUnitMap(body.projects);
}

function taskEditor(task) {
  const select = el(
    "select",
    { "aria-label": "trạng thái" },
    vocab.task_statuses.map((s) => el("option", { value: s.value }, s.label_vi)),
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
      status.textContent = `Đã cập nhật nhiệm vụ ${task.task_id}.`;
      await loadReport();
    } else {
      status.textContent =
        result.status === 412 ? "Nhiệm vụ đã được sửa ở nơi khác; hãy tải lại." : result.body?.description ?? `Lỗi ${result.status}`;
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
  status.textContent = "Đang lưu…";
  const result = await getJSON(url, {
    method: url === reportUrl() ? "PUT" : "POST",
    headers: { "Content-Type": "application/json", ...headers, ...csrfHeader() },
    body: JSON.stringify(payload),
  });
  if (result.ok) {
    renderReport(result.body);
    status.textContent = "Đã lưu.";
  } else if (result.status === 412) {
    status.textContent = "Báo cáo đã được sửa ở nơi khác kể từ khi bạn mở; hãy tải lại.";
  } else {
    status.textContent = result.body?.description ?? `Lỗi ${result.status}`;
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
  if (result.ok) $("pv-form-status").textContent = result.body.late ? `Đã gửi (trễ ${result.body.late_days} ngày).` : "Đã gửi.";
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

async function showDay(day, preloaded) {
  const body = preloaded ?? (await getJSON(`/api/projects-as-of?date=${day}`)).body;
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

async function start() {
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
