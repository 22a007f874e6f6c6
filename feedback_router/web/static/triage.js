// Triage: route each waiting item in one click or one key, with its corrected kind and topic.
"use strict";

(() => {
  const list = document.getElementById("triage-list");
  if (!list) return;
  const words = JSON.parse(list.dataset.words);
  const { api, flash } = window.feedbackRouter;
  let current = null;

  const items = () => [...list.querySelectorAll(".triage-item")];

  function choose(item, focus = true) {
    if (current) {
      current.classList.remove("current");
      current.removeAttribute("aria-current");
    }
    current = item || null;
    if (!current) return;
    current.classList.add("current");
    current.setAttribute("aria-current", "true");
    if (focus) {
      current.focus({ preventScroll: true });
      current.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const at = all.indexOf(current);
    choose(all[Math.min(Math.max(at + step, 0), all.length - 1)] || all[0]);
  }

  // A corrected kind proposes the team the rules give that kind, until the team is chosen by hand.
  function proposeTeam(form) {
    if (form.dataset.teamChosen) return;
    const team = JSON.parse(form.dataset.teams || "{}")[form.elements.kind.value];
    if (team) form.elements.team.value = team;
  }

  function ticketText(ticket) {
    const where = words[ticket.sink] || ticket.destination;
    const key = ticket.external_key || `#${ticket.id}`;
    return `${where} ${key} (${words[ticket.delivery] || ticket.delivery})`;
  }

  async function route(form) {
    const item = form.closest(".triage-item");
    const body = { team: form.elements.team.value };
    const corrected = {};
    if (form.elements.kind.value !== form.dataset.kind) corrected.kind = form.elements.kind.value;
    if (form.elements.topic.value !== form.dataset.topic) corrected.topic = form.elements.topic.value || null;
    if (Object.keys(corrected).length) body.labels = corrected;
    const buttons = form.querySelectorAll("button, select");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const answer = await api("POST", `/v1/feedback/${form.dataset.id}/route`, body);
      const tickets = answer.tickets.filter((t) => t.team === answer.team).map(ticketText).join(", ");
      flash(
        words.routed.replace("{id}", answer.id).replace("{team}", answer.team).replace("{tickets}", tickets || "—"),
        false,
      );
      const link = document.createElement("a");
      link.href = `/inbox?id=${answer.id}`;
      link.textContent = words.open;
      const box = document.getElementById("flash");
      box.append(" ", link);
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      if (current === item) current = null;
      if (next) choose(next);
      else {
        document.getElementById("triage-empty").hidden = false;
        document.getElementById("main").focus();
      }
    } catch (error) {
      flash(error.message, true);
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  list.addEventListener("submit", (event) => {
    const form = event.target.closest(".triage-form");
    if (!form) return;
    event.preventDefault();
    route(form);
  });

  list.addEventListener("change", (event) => {
    const form = event.target.closest(".triage-form");
    if (!form) return;
    if (event.target.name === "team") form.dataset.teamChosen = "1";
    if (event.target.name === "kind") proposeTeam(form);
  });

  // The item being worked on follows the focus and the pointer.
  list.addEventListener("focusin", (event) => {
    const item = event.target.closest(".triage-item");
    if (item && item !== current) choose(item, false);
  });
  list.addEventListener("click", (event) => {
    const item = event.target.closest(".triage-item");
    if (item && item !== current) choose(item, false);
  });

  const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (TYPING.has(target.tagName) || target.isContentEditable) return; // never steal typing
    const form = current && current.querySelector(".triage-form");
    const onControl = target.tagName === "BUTTON" || target.tagName === "A" || target.tagName === "SUMMARY";
    switch (event.key) {
      case "j":
      case "ArrowDown":
        move(current ? 1 : 0);
        break;
      case "k":
      case "ArrowUp":
        move(current ? -1 : 0);
        break;
      case "Enter":
        if (onControl || !form) return; // a focused button or link does its own thing
        form.requestSubmit();
        break;
      case "a":
        if (!form) return;
        form.requestSubmit();
        break;
      case "t":
        if (!form) return;
        form.elements.team.focus();
        break;
      default: {
        const number = Number(event.key);
        if (!form || !Number.isInteger(number) || number < 1 || number > form.elements.kind.options.length) return;
        form.elements.kind.selectedIndex = number - 1;
        proposeTeam(form);
      }
    }
    event.preventDefault();
  });

  choose(items()[0], false);
})();
