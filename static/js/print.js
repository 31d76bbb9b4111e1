// "In bản đồ / Print": a small dialog choosing paper, orientation and scale for the current view; its
// links open the server's print layout (/print) and its PDF (/api/print.pdf) with the same parameters.

const $ = (id) => document.getElementById(id);

/** The print parameters of the current view: centre (or the view's bbox for "fit"), layers, language. */
export function printParams(ctx, layers, form) {
  const params = new URLSearchParams();
  params.set("paper", form.paper.value);
  params.set("orientation", form.orientation.value);
  params.set("scale", form.scale.value);
  if (form.scale.value === "fit") {
    const b = ctx.map.getBounds();
    params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","));
  } else {
    const c = ctx.map.getCenter();
    params.set("center", `${c.lng.toFixed(5)},${c.lat.toFixed(5)}`);
  }
  if (layers.length) params.set("layers", layers.join(","));
  params.set("lang", ctx.lang());
  return params;
}

/** Wire the header's print button; ``layers()`` gives the layer keys shown in the viewer. */
export function initPrint(ctx, layers) {
  const dialog = $("pv-print-dialog");
  const form = $("pv-print-form");
  if (!dialog || !form) return;
  const update = () => {
    const query = printParams(ctx, layers(), form).toString();
    $("pv-print-open").href = `/print?${query}`;
    $("pv-print-pdf").href = `/api/print.pdf?${query}`;
  };
  form.addEventListener("change", update);
  ctx.map.on("moveend", () => dialog.open && update());
  $("pv-print-button").addEventListener("click", () => {
    update();
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  });
}
