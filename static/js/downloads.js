// Download menus: a collection (or one feature of it) as GeoJSON, CSV, GeoPackage, Shapefile or KML.
import { h } from "./dom.js";

// [f= value, label, file extension for the browser when the server names none]
const FORMATS = [
  ["geojson", "GeoJSON", "geojson"],
  ["csv", "CSV", "csv"],
  ["gpkg", "GeoPackage", null],
  ["shp", "Shapefile (.zip)", null],
  ["kml", "KML", null],
];
// GeoJSON and CSV are pages of /items: ask for the largest page (the API's max_limit)
const WHOLE_PAGE = "10000";
const VN2000 = "EPSG:9213";

function itemsUrl(ctx, collection, filters, format, crs) {
  const url = new URL(`${ctx.config.api}/collections/${encodeURIComponent(collection)}/items`, window.location.origin);
  for (const [key, value] of Object.entries(filters || {})) url.searchParams.set(key, value);
  if (format === "geojson" || format === "csv") url.searchParams.set("limit", WHOLE_PAGE);
  url.searchParams.set("f", format);
  if (crs) url.searchParams.set("crs", crs);
  return url.pathname + url.search;
}

/** A "Download" menu for a collection, optionally narrowed by property filters (one project, one zone). */
export function downloadMenu(ctx, collection, filters = {}, basename = collection) {
  const { t } = ctx;
  const link = (format, label, extension, crs = null) =>
    h(
      "a",
      {
        href: itemsUrl(ctx, collection, filters, format, crs),
        download: extension ? `${basename}${crs ? "_vn2000" : ""}.${extension}` : "",
        class: "pv-download-link",
        dataset: { format, crs: crs || "CRS84" },
      },
      label,
    );
  return h(
    "details",
    { class: "pv-download", dataset: { collection } },
    h("summary", { title: t("download_title") }, t("download")),
    h(
      "div",
      { class: "pv-download-menu" },
      h("div", {}, h("span", { class: "pv-small" }, "WGS 84: "), ...FORMATS.map(([f, label, ext]) => link(f, label, ext))),
      h(
        "div",
        {},
        h("span", { class: "pv-small", title: t("download_vn2000_title") }, "VN-2000 (TM-3 106°30′): "),
        link("gpkg", "GeoPackage", null, VN2000),
        link("shp", "Shapefile (.zip)", null, VN2000),
        link("geojson", "GeoJSON", "geojson", VN2000),
      ),
    ),
  );
}
