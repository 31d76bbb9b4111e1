// Tiny DOM helpers: build elements without innerHTML so data text is never parsed as markup.

/** h("li", {class: "x", onclick: fn}, "text", child) → an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children, skipping null and undefined (replaceChildren would print "null"). */
export function fill(el, ...kids) {
  el.replaceChildren(...kids.filter((k) => k !== null && k !== undefined));
  return el;
}

/** A link to a source URL, or the text itself when it is not a URL. */
export function sourceLink(url, label) {
  if (!url) return null;
  if (/^https?:\/\//.test(url)) return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label || url);
  return document.createTextNode(url);
}

/** A definition list from [label, value] pairs, skipping pairs whose value is null. */
export function fieldList(pairs) {
  const dl = h("dl", { class: "pv-fields" });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(h("dt", {}, label), h("dd", {}, value));
  }
  return dl;
}
