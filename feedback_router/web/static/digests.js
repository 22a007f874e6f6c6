// The digests pages: drafting a digest for whole days, and not approving a draft with unsaved edits.
"use strict";

(() => {
  const { api, flash } = window.feedbackRouter;

  // "2026-11-22" plus one day, as the API's exclusive period end.
  function dayAfter(day) {
    const date = new Date(`${day}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + 1);
    return date.toISOString().slice(0, 10);
  }

  async function draft(event) {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button");
    const fields = form.elements;
    const body = {
      language: fields.language.value,
      period_start: `${fields.first_day.value}T00:00:00Z`,
      period_end: `${dayAfter(fields.last_day.value)}T00:00:00Z`,
    };
    if (fields.community.value.trim()) body.community = fields.community.value.trim();
    button.disabled = true;
    try {
      const digest = await api("POST", "/v1/digests", body);
      window.location.assign(`/digests/${digest.id}`);
    } catch (error) {
      flash(error.message, true);
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const create = document.getElementById("digest-create");
    if (create) create.addEventListener("submit", draft);

    const edit = document.getElementById("edit-form");
    const approve = document.getElementById("approve-form");
    if (!edit || !approve) return;
    let unsaved = false;
    edit.addEventListener("input", () => {
      unsaved = true;
      document.getElementById("unsaved").hidden = false;
    });
    // Approval takes the draft as saved: edits still in the form would be lost, so they come first.
    approve.addEventListener("submit", (event) => {
      if (!unsaved) return;
      event.preventDefault();
      event.stopPropagation();
      flash(document.getElementById("save-first").textContent, true);
      edit.querySelector("textarea").focus();
    });
  });
})();
