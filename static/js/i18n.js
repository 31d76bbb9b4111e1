// The one translation table of the page: every label the viewer shows comes from here.
// Keys are stable ids; {name} placeholders are filled by t(key, lang, {name: value}).

export const LANGUAGES = ["vi", "en"];

export const STRINGS = {
  app_title: { vi: "Quy hoạch tỉnh Bắc Kạn 2021–2030", en: "Bắc Kạn Provincial Plan 2021–2030" },
  monitoring_link: { vi: "Theo dõi thực hiện", en: "Monitoring" },
  toggle_panel: { vi: "Ẩn/hiện bảng bên", en: "Show/hide the side panel" },
  search_placeholder: { vi: "Tìm xã, huyện, khu, dự án, tọa độ VN-2000…", en: "Find a commune, district, zone, project, VN-2000 X Y…" },
  search_none: { vi: "Không tìm thấy “{q}”.", en: "Nothing found for “{q}”." },
  tab_layers: { vi: "Lớp bản đồ", en: "Layers" },
  tab_projects: { vi: "Dự án", en: "Projects" },
  tab_zones: { vi: "Khu, cụm", en: "Zones" },
  tab_here: { vi: "Tại đây", en: "Here" },
  tab_tools: { vi: "Công cụ", en: "Tools" },
  base_title: { vi: "Nền bản đồ", en: "Base map" },
  base_own: { vi: "Ranh giới, sông, đường, dân cư (dữ liệu planview)", en: "Boundaries, rivers, roads, places (planview data)" },
  base_web: { vi: "Bản đồ nền web", en: "Web base map" },
  sheets_title: { vi: "Sơ đồ, bản đồ quy hoạch", en: "Plan sheets" },
  sheet_no_data: { vi: "chưa có dữ liệu", en: "no data yet" },
  layer_opacity: { vi: "Độ trong suốt", en: "Opacity" },
  layer_tiles: { vi: "ô vector", en: "vector tiles" },
  layer_features: { vi: "{n} đối tượng", en: "{n} features" },
  layer_synthetic: { vi: "dữ liệu minh họa", en: "illustrative data" },
  layer_unofficial: { vi: "không phải bản chính thức", en: "not the official map" },
  layer_source: { vi: "Nguồn", en: "Source" },
  download: { vi: "Tải về", en: "Download" },
  download_title: { vi: "Tải lớp này về máy (GeoJSON, CSV, GeoPackage, Shapefile, KML)", en: "Download this layer (GeoJSON, CSV, GeoPackage, Shapefile, KML)" },
  download_vn2000_title: { vi: "Tọa độ VN-2000 / TM-3 106°30′ (EPSG:9213), mét", en: "VN-2000 / TM-3 106°30′ coordinates (EPSG:9213), metres" },
  downloads_menu: { vi: "Tải về", en: "Downloads" },
  download_plan_gpkg: { vi: "Toàn bộ quy hoạch (GeoPackage, VN-2000, có kiểu hiển thị QGIS)", en: "The whole plan (GeoPackage, VN-2000, QGIS styles)" },
  download_qgz: { vi: "Dự án QGIS (đọc trực tiếp từ máy chủ này)", en: "QGIS project (reads live from this server)" },
  coords_crs: { vi: "Hệ tọa độ con trỏ", en: "Cursor coordinates" },
  coords_both: { vi: "WGS 84 + VN-2000", en: "WGS 84 + VN-2000" },
  loading: { vi: "Đang tải…", en: "Loading…" },

  filter_status: { vi: "Tình trạng", en: "Status" },
  filter_sector: { vi: "Lĩnh vực", en: "Sector" },
  filter_district: { vi: "Huyện (trước 2025)", en: "District (before 2025)" },
  filter_all: { vi: "Tất cả", en: "All" },
  projects_shown: { vi: "Hiển thị {n} / {total} dự án", en: "Showing {n} of {total} projects" },
  projects_in_district: { vi: "Dự án tại {name}", en: "Projects in {name}" },
  projects_none: { vi: "Không có dự án nào khớp bộ lọc.", en: "No project matches the filters." },
  projects_no_location: { vi: "chưa công bố vị trí (chỉ biết huyện)", en: "location not published (district only)" },
  legend_status: { vi: "Chú giải tình trạng dự án", en: "Project status legend" },


  card_sector: { vi: "Lĩnh vực", en: "Sector" },
  card_district: { vi: "Huyện", en: "District" },
  card_commune: { vi: "Xã", en: "Commune" },
  card_agency: { vi: "Cơ quan chủ quản", en: "Responsible agency" },
  card_capital: { vi: "Nguồn vốn", en: "Capital source" },
  card_period: { vi: "Thời gian", en: "Period" },
  card_status: { vi: "Tình trạng", en: "Status" },
  card_progress: { vi: "Tiến độ", en: "Progress" },
  card_scale: { vi: "Quy mô", en: "Scale" },
  card_decisions: { vi: "Quyết định", en: "Decisions" },
  card_source: { vi: "Nguồn", en: "Source" },
  card_location: { vi: "Vị trí", en: "Location" },
  card_not_published: { vi: "chưa công bố", en: "not published" },
  card_unknown: { vi: "chưa rõ", en: "unknown" },
  level_site: { vi: "địa điểm", en: "site" },
  level_zone: { vi: "khu", en: "zone" },
  level_commune: { vi: "cấp xã", en: "commune level" },
  level_district: { vi: "cấp huyện", en: "district level" },
  level_multi_district: { vi: "nhiều huyện", en: "several districts" },
  level_province: { vi: "toàn tỉnh", en: "province-wide" },

  detail_title: { vi: "Thông tin dự án", en: "Project details" },
  detail_open: { vi: "Lịch sử, cập nhật tình trạng", en: "History, update status" },
  detail_close: { vi: "Đóng", en: "Close" },
  history_title: { vi: "Lịch sử tình trạng", en: "Status history" },
  history_none: { vi: "Chưa có lần cập nhật nào.", en: "No update recorded yet." },
  history_date: { vi: "Ngày ghi nhận", en: "Recorded on" },
  history_status: { vi: "Tình trạng", en: "Status" },
  history_progress: { vi: "Tiến độ", en: "Progress" },
  history_note: { vi: "Ghi chú", en: "Note" },
  history_by: { vi: "Người cập nhật", en: "Recorded by" },
  history_from_sources: { vi: "Theo nguồn đã công bố, ghi nhận khi nạp dữ liệu:", en: "As the sources published it, recorded at data load:" },
  update_title: { vi: "Cập nhật tình trạng", en: "Update status" },
  update_status: { vi: "Tình trạng mới", en: "New status" },
  update_progress: { vi: "Tiến độ (0–100 %, không bắt buộc)", en: "Progress (0–100 %, optional)" },
  update_note: { vi: "Ghi chú (không bắt buộc, tối đa 2.000 ký tự)", en: "Note (optional, at most 2,000 characters)" },
  update_by: { vi: "Người cập nhật (bắt buộc)", en: "Recorded by (required)" },
  update_submit: { vi: "Lưu tình trạng", en: "Save status" },
  update_saving: { vi: "Đang lưu…", en: "Saving…" },
  update_saved: { vi: "Đã lưu.", en: "Saved." },
  login_user: { vi: "Tên đăng nhập", en: "Username" },
  login_pass: { vi: "Mật khẩu", en: "Password" },
  login_submit: { vi: "Đăng nhập", en: "Log in" },
  login_failed: { vi: "Không đăng nhập được: {detail}", en: "Not logged in: {detail}" },
  logout: { vi: "Đăng xuất", en: "Log out" },
  session_expired: { vi: "Phiên làm việc đã hết; hãy đăng nhập lại.", en: "Your session has ended; please log in again." },
  update_login_again: {
    vi: "Phiên làm việc đã hết. Nội dung bạn nhập vẫn còn: đăng nhập lại ở đầu trang rồi bấm Lưu.",
    en: "Your session has ended. What you typed is kept: log in again at the top, then press Save.",
  },
  update_conflict: {
    vi: "Dự án đã được {who} thay đổi lúc {when} kể từ khi bạn mở. Không có gì được lưu.",
    en: "Changed by {who} at {when} since you opened it. Nothing was saved.",
  },
  update_reload: { vi: "Tải lại dự án", en: "Reload the project" },
  history_verified: { vi: "đã xác thực", en: "verified" },
  update_failed: { vi: "Không lưu được: {detail}", en: "Not saved: {detail}" },
  place_title: { vi: "Vị trí dự án", en: "Project location" },
  place_edit: { vi: "Sửa vị trí", en: "Edit location" },
  place_help: {
    vi: "Vẽ một điểm hoặc một đa giác, kéo các đỉnh để sửa, hoặc tải lên tệp GeoJSON (WGS 84, một đối tượng).",
    en: "Draw a point or a polygon, drag its vertices to edit it, or upload a GeoJSON file (WGS 84, one feature).",
  },
  place_draw_point: { vi: "Vẽ điểm", en: "Draw a point" },
  place_draw_polygon: { vi: "Vẽ đa giác", en: "Draw a polygon" },
  place_upload: { vi: "Tải lên tệp GeoJSON", en: "Upload a GeoJSON file" },
  place_save: { vi: "Lưu vị trí", en: "Save location" },
  place_cancel: { vi: "Hủy", en: "Cancel" },
  place_saved: { vi: "Đã lưu vị trí.", en: "Location saved." },
  place_repaired: { vi: "Đa giác không hợp lệ đã được sửa tự động ({detail}).", en: "The polygon was invalid and has been repaired ({detail})." },
  place_nothing: { vi: "Chưa có hình nào: hãy vẽ hoặc tải tệp lên.", en: "Nothing to save yet: draw a shape or upload a file." },
  place_bad_file: { vi: "Không đọc được tệp: {detail}", en: "Cannot read the file: {detail}" },
  place_failed: { vi: "Không lưu được vị trí: {detail}", en: "Location not saved: {detail}" },
  card_placed: { vi: "Số hóa", en: "Digitised" },
  placed_by: { vi: "Số hóa bởi {who} lúc {when}", en: "Digitised by {who} at {when}" },
  place_history_title: { vi: "Lịch sử vị trí", en: "Location history" },
  place_history_repaired: { vi: "đã sửa hình học", en: "geometry repaired" },
  what_project: { vi: "thông tin dự án", en: "the project record" },
  report_link: { vi: "Báo cáo thực hiện năm {year} (CSV)", en: "Implementation report {year} (CSV)" },
  report_scope_all: { vi: "toàn tỉnh", en: "whole province" },
  report_deadline: {
    vi: "Cán bộ huyện báo cáo tình trạng thực hiện từng dự án: hạn 20/10 hằng năm.",
    en: "District officials report each project's implementation status every year, deadline 20 October.",
  },

  zones_title: { vi: "Khu công nghiệp, cụm công nghiệp, khu du lịch", en: "Industrial zones, clusters and tourism areas" },
  zone_KCN: { vi: "Khu công nghiệp (KCN)", en: "Industrial zone (KCN)" },
  zone_CCN: { vi: "Cụm công nghiệp (CCN)", en: "Industrial cluster (CCN)" },
  zone_tourism: { vi: "Khu, điểm du lịch", en: "Tourism area" },
  zone_planned: { vi: "Diện tích quy hoạch", en: "Planned area" },
  zone_occupied: { vi: "Đã cho thuê / lấp đầy", en: "Occupied" },
  zone_available: { vi: "Còn trống", en: "Available" },
  zone_status: { vi: "Tình trạng", en: "Status" },
  zone_investor: { vi: "Chủ đầu tư hạ tầng", en: "Infrastructure investor" },
  zone_approx_note: { vi: "Ranh giới vẽ gần đúng (nét đứt).", en: "Footprint is approximate (dashed)." },
  zone_available_first: { vi: "Sắp theo diện tích còn trống", en: "Sorted by available land" },
  ha: { vi: "{n} ha", en: "{n} ha" },

  here_title: { vi: "Quy hoạch tại đây", en: "What the plan says here" },
  here_hint: { vi: "Bấm vào bản đồ để xem quy hoạch tại điểm đó.", en: "Click the map to see what the plan says there." },
  here_point: { vi: "Điểm", en: "Point" },
  here_vn2000: { vi: "VN-2000 (TM-3, KTT 106°30′): X = {x} m, Y = {y} m", en: "VN-2000 (TM-3, CM 106°30′): X (north) = {x} m, Y (east) = {y} m" },
  here_district: { vi: "Huyện (trước 2025)", en: "District (before 2025)" },
  here_commune: { vi: "Xã (2020–2025)", en: "Commune (2020–2025)" },
  here_commune_2009: { vi: "Xã trước 01/02/2020", en: "Commune before 1 Feb 2020" },
  here_unit_2025: { vi: "Đơn vị từ 01/07/2025", en: "Unit from 1 July 2025" },
  here_outside: { vi: "ngoài tỉnh Bắc Kạn", en: "outside Bắc Kạn province" },
  here_none: { vi: "Không có đối tượng quy hoạch nào tại điểm này trong dữ liệu đã nạp.", en: "No plan feature at this point in the loaded data." },
  here_unmapped: { vi: "Cũng trong huyện này, chưa công bố vị trí:", en: "Also in this district, location not published:" },
  here_at: { vi: "tại chỗ", en: "here" },
  here_distance: { vi: "cách {n} m", en: "{n} m away" },

  kind_commune: { vi: "xã", en: "commune" },
  kind_commune_2025: { vi: "xã (2025)", en: "commune (2025)" },
  kind_district: { vi: "huyện", en: "district" },
  kind_province: { vi: "tỉnh", en: "province" },
  kind_zone: { vi: "khu", en: "zone" },
  kind_project: { vi: "dự án", en: "project" },
  kind_settlement: { vi: "điểm dân cư", en: "settlement" },
  kind_coordinate: { vi: "tọa độ", en: "coordinate" },
  search_outside: { vi: "ngoài tỉnh Bắc Kạn", en: "outside Bắc Kạn" },
  valid_old: { vi: "trước 2025", en: "before 2025" },
  valid_new: { vi: "từ 2025", en: "from 2025" },

  tools_conflicts: { vi: "Xung đột quy hoạch", en: "Plan conflicts" },
  tools_site_finder: { vi: "Tìm địa điểm đầu tư", en: "Site finder" },

  msg_api_error: { vi: "Không tải được {what}: {detail}", en: "Could not load {what}: {detail}" },
  msg_unknown_district: { vi: "Không tìm thấy huyện “{name}”. Đang hiển thị toàn tỉnh.", en: "No district called “{name}”. Showing the whole province." },
  msg_bad_permalink: { vi: "Liên kết bản đồ không hợp lệ ({detail}); đã dùng giá trị mặc định.", en: "Malformed map link ({detail}); defaults used instead." },
  msg_unknown_view: { vi: "Chế độ xem không xác định; đang dùng chế độ mặc định.", en: "Unknown view; showing the default view." },
  msg_unknown_lang: { vi: "Ngôn ngữ không hỗ trợ; dùng tiếng Việt.", en: "Unsupported language; using Vietnamese." },
  what_sheets: { vi: "danh mục sơ đồ", en: "the sheet list" },
  what_base: { vi: "bản đồ nền", en: "the base map" },
  what_projects: { vi: "danh sách dự án", en: "the projects" },
  what_vocabularies: { vi: "danh mục tình trạng dự án", en: "the project statuses" },
  what_zones: { vi: "khu, cụm", en: "the zones" },
  what_layer: { vi: "lớp {name}", en: "layer {name}" },
  what_here: { vi: "thông tin tại điểm", en: "the plan at this point" },
  what_search: { vi: "kết quả tìm kiếm", en: "search results" },
  view_planner: { vi: "Chế độ cán bộ quy hoạch", en: "Planner view" },
  view_investor: { vi: "Chế độ nhà đầu tư", en: "Investor view" },

  print_button: { vi: "In bản đồ", en: "Print" },
  print_title: { vi: "In bản đồ theo tỉ lệ", en: "Print a map at scale" },
  print_paper: { vi: "Khổ giấy", en: "Paper" },
  print_orientation: { vi: "Hướng giấy", en: "Orientation" },
  print_landscape: { vi: "Ngang", en: "Landscape" },
  print_portrait: { vi: "Dọc", en: "Portrait" },
  print_scale: { vi: "Tỉ lệ", en: "Scale" },
  print_fit: { vi: "Vừa khung nhìn hiện tại", en: "Fit the current view" },
  print_note: { vi: "Bản đồ vẽ trong hệ VN-2000 (TM-3 106°30′), đúng tỉ lệ trên giấy.", en: "Drawn in VN-2000 (TM-3 106°30′), true to scale on paper." },
  print_open: { vi: "Mở bản in", en: "Open the print layout" },
  print_pdf: { vi: "Tải PDF", en: "Download PDF" },
  print_close: { vi: "Đóng", en: "Close" },

  // the monitoring page (/monitoring, static/js/monitoring.js)
  mon_title: { vi: "Theo dõi thực hiện", en: "Monitoring" },
  mon_page_title: { vi: "Theo dõi thực hiện Quy hoạch tỉnh Bắc Kạn — planview", en: "Monitoring the Bắc Kạn Provincial Plan — planview" },
  mon_sub: {
    vi: "Quy hoạch tỉnh Bắc Kạn 2021–2030 · Kế hoạch 56/KH-UBND: đơn vị báo cáo trước 20/10, Sở KH&ĐT tổng hợp trước 31/10",
    en: "Bắc Kạn Provincial Plan 2021–2030 · Plan 56/KH-UBND: units report by 20 October, the Department of Planning and Investment consolidates by 31 October",
  },
  mon_tab_targets: { vi: "Chỉ tiêu", en: "Targets" },
  mon_tab_board: { vi: "Bảng theo dõi báo cáo", en: "Report board" },
  mon_tab_unit: { vi: "Đơn vị của tôi", en: "My unit" },
  mon_tab_history: { vi: "Dự án theo thời gian", en: "Projects over time" },
  mon_back: { vi: "← Bản đồ", en: "← Map" },
  mon_targets_note: {
    vi: "Đánh giá theo từng năm so với lộ trình tuyến tính từ số liệu nền đến mục tiêu. Di chuột lên biểu đồ để xem giá trị và nguồn.",
    en: "Each year is judged against a straight path from the baseline to the target. Hover over a chart for the value and its source.",
  },
  mon_year: { vi: "Năm", en: "Year" },
  mon_unit: { vi: "Đơn vị", en: "Unit" },
  mon_col_code: { vi: "Mã", en: "Code" },
  mon_col_state: { vi: "Trạng thái", en: "State" },
  mon_col_sent: { vi: "Gửi lúc", en: "Sent at" },
  mon_col_late: { vi: "Trễ hạn", en: "Late" },
  mon_col_missing: { vi: "Quá hạn chưa gửi", en: "Overdue, not sent" },
  mon_col_task: { vi: "Nhiệm vụ", en: "Task" },
  mon_col_section: { vi: "Mục", en: "Section" },
  mon_col_due: { vi: "Hạn", en: "Due" },
  mon_col_status: { vi: "Trạng thái", en: "Status" },
  mon_col_progress: { vi: "Tiến độ", en: "Progress" },
  mon_tasks: { vi: "Nhiệm vụ", en: "Tasks" },
  mon_projects_at: { vi: "Dự án (tình trạng tại 20/10)", en: "Projects (status on 20 October)" },
  mon_indicators: { vi: "Chỉ tiêu do đơn vị phụ trách", en: "Targets this unit is responsible for" },
  mon_report: { vi: "Báo cáo", en: "Report" },
  mon_difficulties: { vi: "Khó khăn, vướng mắc", en: "Difficulties" },
  mon_proposals: { vi: "Kiến nghị, đề xuất", en: "Proposals" },
  mon_save: { vi: "Lưu bản nháp", en: "Save draft" },
  mon_submit: { vi: "Gửi báo cáo", en: "Submit the report" },
  mon_events: { vi: "Lịch sử", en: "History" },
  mon_day: { vi: "Ngày", en: "Day" },
  mon_no_quantified: { vi: "Kế hoạch không đặt chỉ tiêu định lượng cho nội dung này.", en: "The plan sets no quantified target for this part." },
  mon_baseline_info: { vi: "số liệu nền / thông tin", en: "baseline / information" },
  mon_goal: { vi: "Mục tiêu: {goal}", en: "Target: {goal}" },
  mon_no_actuals: { vi: "Chưa có số liệu thực hiện được công bố.", en: "No actual value published yet." },
  mon_kind_official: { vi: "chính thức", en: "official" },
  mon_kind_estimate: { vi: "ước tính", en: "estimate" },
  mon_source: { vi: "Nguồn", en: "Source" },
  mon_series_actual: { vi: "Thực hiện", en: "Actual" },
  mon_series_goal: { vi: "Mục tiêu", en: "Target" },
  mon_board_login: {
    vi: "Đăng nhập với vai trò chuyên viên Sở KH&ĐT để xem bảng theo dõi.",
    en: "Log in as a planner of the Department of Planning and Investment to see the board.",
  },
  mon_board_summary: {
    vi: "Hạn {deadline} (còn {days} ngày) · {units} đơn vị · đã tiếp nhận {accepted} · đã gửi {submitted} · trả lại {returned} · trễ hạn {late} · quá hạn chưa gửi {missing}",
    en: "Due {deadline} ({days} days left) · {units} units · accepted {accepted} · submitted {submitted} · returned {returned} · late {late} · overdue, not sent {missing}",
  },
  mon_doc_xlsx: { vi: "Tổng hợp (XLSX)", en: "Consolidated (XLSX)" },
  mon_doc_pdf: { vi: "Báo cáo (PDF)", en: "Report (PDF)" },
  mon_doc_html: { vi: "Bản in (HTML)", en: "Printable (HTML)" },
  mon_not_started: { vi: "chưa lập", en: "not started" },
  mon_days: { vi: "{n} ngày", en: "{n} days" },
  mon_yes: { vi: "có", en: "yes" },
  mon_not_logged_in: { vi: "Chưa đăng nhập.", en: "Not logged in." },
  mon_unit_login: { vi: "Đăng nhập bằng tài khoản cán bộ của đơn vị để lập báo cáo.", en: "Log in with an officer account of the unit to write its report." },
  mon_report_unreadable: { vi: "Không đọc được báo cáo.", en: "The report could not be read." },
  mon_state_line: { vi: "{unit} · năm {year} · {state}{late} · hạn {deadline} ({due})", en: "{unit} · {year} · {state}{late} · due {deadline} ({due})" },
  mon_late: { vi: " · trễ {n} ngày", en: " · {n} days late" },
  mon_days_left: { vi: "còn {n} ngày", en: "{n} days left" },
  mon_days_over: { vi: "đã quá hạn {n} ngày", en: "{n} days overdue" },
  mon_return_reason: { vi: "Lý do trả lại: {reason}", en: "Returned because: {reason}" },
  mon_overdue: { vi: " — quá hạn", en: " — overdue" },
  mon_no_data_yet: { vi: "chưa có số liệu", en: "no data yet" },
  mon_task_status: { vi: "trạng thái", en: "status" },
  mon_task_updated: { vi: "Đã cập nhật nhiệm vụ {id}.", en: "Task {id} updated." },
  mon_task_conflict: { vi: "Nhiệm vụ đã được sửa ở nơi khác; hãy tải lại.", en: "The task was changed elsewhere; reload the page." },
  mon_error: { vi: "Lỗi {status}", en: "Error {status}" },
  mon_saving: { vi: "Đang lưu…", en: "Saving…" },
  mon_saved: { vi: "Đã lưu.", en: "Saved." },
  mon_report_conflict: { vi: "Báo cáo đã được sửa ở nơi khác kể từ khi bạn mở; hãy tải lại.", en: "The report was changed elsewhere since you opened it; reload the page." },
  mon_sent: { vi: "Đã gửi.", en: "Sent." },
  mon_sent_late: { vi: "Đã gửi (trễ {n} ngày).", en: "Sent ({n} days late)." },
  mon_nothing_recorded: { vi: "chưa có ghi nhận", en: "nothing recorded" },
};

/** Add labels that come from the server (e.g. the project statuses of GET /api/vocabularies). */
export function addTerms(entries) {
  Object.assign(STRINGS, entries);
}

/** Translate a key; an unknown key shows itself so a missing label is visible, not blank. */
export function t(key, lang, params = {}) {
  const entry = STRINGS[key];
  let text = entry ? entry[lang] ?? entry.vi : key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** Fill every element carrying data-i18n / data-i18n-placeholder / data-i18n-title. */
export function applyStaticLabels(root, lang) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n, lang);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder, lang);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle, lang);
}

/** Format a number the way the language writes it (1.234,5 in Vietnamese). */
export function formatNumber(value, lang, digits = 1) {
  return Number(value).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: digits });
}

/** A source's text field in the page language: ``field_vi`` in Vietnamese when there is one, else ``field``. */
export function sourceText(properties, field, lang) {
  return (lang === "vi" && properties[`${field}_vi`]) || properties[field] || "";
}

/** Fold Vietnamese text for matching: lower case, no diacritics, đ → d (same rule as SQL fold_vi). */
export function foldVi(text) {
  return String(text ?? "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "d")
    .toLowerCase()
    .trim();
}
