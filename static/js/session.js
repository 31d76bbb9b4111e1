// Who is logged in: the account box in the header (log-in form, or name, role and log-out), the CSRF
// token the page sends with its writes, and which projects the server says this account may change.
import { h } from "./dom.js";

let me = null;
const listeners = [];
let box = null;
let translate = (key) => key;

function notify() {
  for (const cb of listeners) {
    try {
      cb(me);
    } catch (err) {
      console.warn("session listener failed", err);
    }
  }
}

export const session = {
  get me() {
    return me;
  },
  onChange(cb) {
    listeners.push(cb);
  },
  /** May this account change the project? (the server's answer from /api/auth/me; the server checks again) */
  mayEdit(projectId) {
    return !!me && (me.editable_projects === "all" || (me.editable_projects || []).includes(projectId));
  },
  /** May this account draw, edit or upload a project's place? (the server's answer; it checks again) */
  mayPlace() {
    return !!me && me.may_place_projects === true;
  },
  /** Headers a write made with the session cookie must carry. */
  headers() {
    return me?.csrf_token ? { "X-CSRF-Token": me.csrf_token } : {};
  },
  /** The server said 401: the session is over; show the log-in form again (open forms stay as they are). */
  expired() {
    me = null;
    render({ message: translate("session_expired"), quiet: true });
  },
};

async function readMe() {
  try {
    // /session answers 200 when logged out too (/me's 401 would be a console error on every visit)
    const response = await fetch("/api/auth/session", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    me = response.ok ? (await response.json()).user : null;
  } catch {
    me = null;
  }
}

async function logIn(username, password) {
  const response = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.description || `HTTP ${response.status}`);
  me = body;
}

async function logOut() {
  await fetch("/api/auth/logout", { method: "POST", headers: session.headers(), credentials: "same-origin" }).catch(() => null);
  me = null;
}

const SVG = "http://www.w3.org/2000/svg";

/** A padlock drawn inline (an emoji or symbol glyph is missing from the default fonts, DejaVu among them). */
function lockIcon() {
  const make = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };
  const icon = make("svg", { class: "pv-login-icon", viewBox: "0 0 16 16", width: "12", height: "12", "aria-hidden": "true", focusable: "false" });
  icon.append(
    make("path", { d: "M5 7.5V5a3 3 0 0 1 6 0v2.5", fill: "none", stroke: "currentColor", "stroke-width": "1.6" }),
    make("rect", { x: "3", y: "7", width: "10", height: "8", rx: "1.5", fill: "currentColor" }),
  );
  return icon;
}

function render({ message = null, quiet = false } = {}) {
  if (!box) return;
  const t = translate;
  if (me) {
    const role = document.documentElement.lang === "en" ? me.role_label_en : me.role_label_vi;
    box.replaceChildren(
      h("span", { id: "pv-account-name", title: me.username }, me.display_name || me.username),
      h("span", { id: "pv-account-role", class: "pv-account-role" }, role),
      h("button", { type: "button", id: "pv-logout", onclick: async () => { await logOut(); render(); notify(); } }, t("logout")),
    );
  } else {
    const user = h("input", { id: "pv-login-user", name: "username", autocomplete: "username", placeholder: t("login_user"), "aria-label": t("login_user"), maxlength: "64" });
    const pass = h("input", { id: "pv-login-pass", name: "password", type: "password", autocomplete: "current-password", placeholder: t("login_pass"), "aria-label": t("login_pass") });
    const error = h("span", { id: "pv-login-error", class: "pv-login-error", role: "alert" }, message || "");
    const form = h(
      "form",
      {
        id: "pv-login",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await logIn(user.value.trim(), pass.value);
          } catch (err) {
            error.textContent = t("login_failed", { detail: err.message });
            return;
          }
          render();
          notify();
        },
      },
      user,
      pass,
      h("button", { type: "submit", id: "pv-login-submit" }, t("login_submit")),
      error,
    );
    // folded behind one button so the header keeps room for the search box (phones included)
    const fold = h("details", { id: "pv-login-box", open: message ? true : undefined }, h("summary", { id: "pv-login-open", title: t("login_submit") }, lockIcon(), h("span", { class: "pv-login-label" }, ` ${t("login_submit")}`)), form);
    box.replaceChildren(fold);
  }
  if (!quiet) box.dataset.state = me ? "in" : "out";
  else box.dataset.state = "expired";
}

/** Put the account box in the header and learn who is logged in (before the panels draw). */
export async function initSession(ctx) {
  translate = ctx.t;
  box = h("div", { id: "pv-account" });
  const header = document.getElementById("pv-header");
  header.insertBefore(box, document.getElementById("pv-lang"));
  await readMe();
  render();
  ctx.onLanguageChange(() => render());
}
