// Options page: service URL and API key, validated before saving, and a connection test.
"use strict";

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
    report("Enter the API key (ask an admin for a key with the forwarder role)", "error");
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
  report(`Saved. Select text on a page, right-click and choose "Forward to feedback-router".`, "ok");
});

// GET /healthz says whether the service is up; GET /v1/forwarded/0 with the key says whether the
// key is accepted (401 if not, 404 "does not exist" if it is) without creating anything.
document.getElementById("test").addEventListener("click", async () => {
  const settings = readForm();
  if (!settings) return;
  report(`Testing ${settings.serviceUrl} …`);
  let health;
  try {
    const response = await fetch(`${settings.serviceUrl}/healthz`, {
      credentials: "omit",
      signal: AbortSignal.timeout(10000),
    });
    health = { status: response.status, body: await response.json().catch(() => null) };
  } catch {
    report(`Could not reach ${settings.serviceUrl}`, "error");
    return;
  }
  if (!health.body || typeof health.body.status !== "string") {
    report(`${settings.serviceUrl} answered HTTP ${health.status}, but not like feedback-router does`, "error");
    return;
  }
  const checks = Object.entries(health.body.checks || {}).map(([name, value]) => `${name}: ${value}`);
  const lines = [`Service ${health.body.status}${checks.length ? ` (${checks.join("; ")})` : ""}`];
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
      lines.push("API key rejected");
      state = "error";
    } else if (response.status === 403) {
      lines.push(`API key accepted, but it may not forward: ${detail}`);
      state = "error";
    } else if (response.status === 404 && detail === "Not Found") {
      lines.push("Could not check the API key: this service has no /v1/forwarded yet");
    } else {
      lines.push("API key accepted");
    }
  } catch {
    lines.push("Could not check the API key");
    state = "error";
  }
  report(lines.join("\n"), state);
});

loadSettings().then((settings) => {
  urlInput.value = settings.serviceUrl;
  keyInput.value = settings.apiKey;
  if (!settings.serviceUrl || !settings.apiKey) {
    report("Set the service URL and API key to start forwarding.");
  }
});
