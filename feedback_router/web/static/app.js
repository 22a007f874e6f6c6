// The web app's behaviour: every action goes to the JSON API with the session's CSRF token.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

// Calls the API with the session's CSRF token. ``body`` is sent as it is (a JSON body is given as
// ``json``); resolves to the status and the JSON answer, or rejects with the API's own message.
async function request(method, url, { json, body, headers } = {}) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), ...headers },
    body: json === undefined ? body : JSON.stringify(json),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail = data && data.detail ? data.detail : response.statusText;
    const fields = data && data.errors ? data.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : "";
    throw new Error(fields ? `${detail}: ${fields}` : detail);
  }
  return { status: response.status, data };
}

// The JSON answer of an API call (see request).
async function api(method, url, json) {
  return (await request(method, url, { json })).data;
}

function flash(message, isError) {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.className = isError ? "error" : "ok";
  box.setAttribute("role", isError ? "alert" : "status");
}

// Form fields to JSON: empty optional fields are left out, data-type="number|bool|list|null-empty" converts.
function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled || field.name === "csrf") continue;
    if ((field.type === "checkbox" || field.type === "radio") && !field.checked) continue;
    let value = field.value;
    const type = field.dataset.type;
    if (type === "list") {
      (body[field.name] = body[field.name] || []).push(Number.isNaN(Number(value)) ? value : Number(value));
      continue;
    }
    if (value === "" && type !== "null-empty") continue;
    if (type === "number") value = Number(value);
    if (type === "bool") value = value === "true";
    if (type === "null-empty" && value === "") value = null;
    body[field.name] = value;
  }
  return body;
}

// <form data-api="POST /v1/..." data-then="reload|/path/{id}">: sent as JSON, then reload or go on.
async function submitApiForm(form, submitter) {
  const [method, url] = (submitter && submitter.dataset.api ? submitter.dataset.api : form.dataset.api).split(" ");
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    const answer = await api(method, url, method === "GET" || method === "DELETE" ? undefined : formBody(form));
    const then = (submitter && submitter.dataset.then) || form.dataset.then || "reload";
    if (form.dataset.done) flash(form.dataset.done, false);
    if (then === "reload") window.location.reload();
    else if (then !== "stay") window.location.assign(then.replace("{id}", answer && answer.id));
    return answer;
  } catch (error) {
    flash(error.message, true);
    throw error;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.dataset.api) return;
  event.preventDefault();
  submitApiForm(form, event.submitter).catch(() => {});
});

// The inbox asks for rows that arrived or changed since its last look and puts them in place.
function liveTable(table) {
  let since = table.dataset.since;
  const body = table.tBodies[0];
  async function poll() {
    try {
      const url = new URL(table.dataset.live, window.location.origin);
      url.searchParams.set("changed_since", since);
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) {
        since = response.headers.get("X-Changed-Until") || since;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const rows = [...template.content.querySelectorAll("tr[data-id]")].reverse();
        for (const row of rows) {
          const old = body.querySelector(`tr[data-id="${row.dataset.id}"]`);
          if (old) old.replaceWith(row);
          else body.prepend(row);
          row.classList.add("fresh");
        }
        if (rows.length) document.querySelectorAll(".empty").forEach((e) => e.remove());
      }
    } finally {
      window.setTimeout(poll, 3000);
    }
  }
  window.setTimeout(poll, 3000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-live]").forEach(liveTable);
});

window.feedbackRouter = { api, request, flash, submitApiForm, formBody };
