// Options page: service URL and API key, validated before saving, and a connection test.
"use strict";

// The page's words in the browser's language; the English in the HTML is what shows without messages.
document.documentElement.lang = t("language"); // the language of the messages shown, English as a fallback
for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);

const form = document.getElementById("options");
const urlInput = document.getElementById("serviceUrl");
const keyInput = document.getElementById("apiKey");
const statusLine = document.getElementById("status");

function report(message, state) {
  statusLine.textContent = message;
  statusLine.className = state || "";
}

// The form's values, checked; marks the bad field and returns null when something is wrong.
function readForm() {
  urlInput.removeAttribute("aria-invalid");
  keyInput.removeAttribute("aria-invalid");
  const checked = normalizeServiceUrl(urlInput.value);
  if (checked.error) {
    urlInput.setAttribute("aria-invalid", "true");
    urlInput.focus();
    report(checked.error, "error");
    return null;
  }
  const apiKey = keyInput.value.trim();
  if (!apiKey) {
    keyInput.setAttribute("aria-invalid", "true");
    keyInput.focus();
    report(t("enter_key"), "error");
    return null;
  }
  urlInput.value = checked.url; // show what will be used, trailing slash gone
  return { serviceUrl: checked.url, apiKey };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const settings = readForm();
  if (!settings) return;
  await saveSettings(settings);
  report(t("saved"), "ok");
});

// GET /healthz says whether the service is up; GET /v1/forwarded/0 with the key says whether the
// key is accepted (401 if not, 404 "does not exist" if it is) without creating anything.
document.getElementById("test").addEventListener("click", async () => {
  const settings = readForm();
  if (!settings) return;
  report(t("testing", settings.serviceUrl));
  let health;
  try {
    const response = await fetch(`${settings.serviceUrl}/healthz`, {
      credentials: "omit",
      signal: AbortSignal.timeout(10000),
    });
    health = { status: response.status, body: await response.json().catch(() => null) };
  } catch {
    report(t("could_not_reach", settings.serviceUrl), "error");
    return;
  }
  if (!health.body || typeof health.body.status !== "string") {
    report(t("not_feedback_router", settings.serviceUrl, health.status), "error");
    return;
  }
  const checks = Object.entries(health.body.checks || {}).map(([name, value]) => `${name}: ${value}`);
  const lines = [t("service_state", health.body.status) + (checks.length ? ` (${checks.join("; ")})` : "")];
  let state = health.status === 200 ? "ok" : "error";

  try {
    const response = await fetch(`${settings.serviceUrl}/v1/forwarded/0`, {
      headers: { Authorization: `Bearer ${settings.apiKey}` },
      credentials: "omit",
      signal: AbortSignal.timeout(10000),
    });
    const body = await response.json().catch(() => null);
    const detail = body && typeof body.detail === "string" ? body.detail : "";
    if (response.status === 401) {
      lines.push(t("key_rejected"));
      state = "error";
    } else if (response.status === 403) {
      lines.push(t("key_may_not_forward", detail));
      state = "error";
    } else if (response.status === 404 && detail === "Not Found") {
      lines.push(t("key_not_checkable_old"));
    } else {
      lines.push(t("key_accepted"));
    }
  } catch {
    lines.push(t("key_not_checked"));
    state = "error";
  }
  report(lines.join("\n"), state);
});

loadSettings().then((settings) => {
  urlInput.value = settings.serviceUrl;
  keyInput.value = settings.apiKey;
  if (!settings.serviceUrl || !settings.apiKey) {
    report(t("set_up_first"));
  }
});
