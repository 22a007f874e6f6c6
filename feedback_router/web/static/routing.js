// The routing page: check (and apply) a routing file, and explain where a text would go.
// Results are built as DOM nodes with textContent: member text and file content are never parsed as HTML.
"use strict";

(() => {
  const { api, request, flash } = window.feedbackRouter;
  const FLASH_KEY = "routing-flash";
  let strings = {};

  const say = (key, values = {}) =>
    (strings[key] || key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));

  // An element with a class and text (or children).
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.text !== undefined) node.textContent = options.text;
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // The routing file's YAML is sent as it is, as the request body.
  async function postYaml(url, text) {
    const headers = { "Content-Type": "application/yaml; charset=utf-8" };
    return (await request("POST", url, { body: text, headers })).data;
  }

  // Select a line of the textarea, so that a problem's line number leads to it.
  function selectLine(textarea, line) {
    const lines = textarea.value.split("\n");
    const index = Math.min(Math.max(line, 1), lines.length) - 1;
    const start = lines.slice(0, index).reduce((sum, text) => sum + text.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + lines[index].length);
    const height = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (index - 3) * height);
  }

  function renderCheck(box, textarea, result) {
    box.replaceChildren();
    if (!result.valid) {
      box.append(el("p", { className: "error", text: say("routing_invalid", { count: result.errors.length }) }));
      const list = el("ol", { className: "problems" });
      for (const problem of result.errors) {
        const item = el("li");
        if (problem.line !== null) {
          const jump = el("button", { className: "link", text: say("routing_line", { line: problem.line }) });
          jump.type = "button";
          jump.dataset.line = problem.line;
          jump.addEventListener("click", () => selectLine(textarea, problem.line));
          item.append(jump, ": ");
        }
        item.append(problem.path ? `${problem.path}: ${problem.reason}` : problem.reason);
        list.append(item);
      }
      box.append(list);
      return false;
    }
    const counts = say("routing_valid", { rules: result.rules, teams: result.teams });
    if (!result.missing_settings.length) {
      box.append(el("p", { className: "ok", text: counts }));
      return true;
    }
    box.append(el("p", { className: "notice", text: `${counts} ${say("routing_valid_missing")}` }));
    box.append(el("ul", {}, result.missing_settings.map((line) => el("li", { text: line }))));
    return false;
  }

  async function onFileSubmit(event) {
    event.preventDefault();
    const form = event.target;
    const action = event.submitter ? event.submitter.dataset.action : "check";
    const textarea = form.querySelector("textarea");
    const box = document.getElementById("check-result");
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    box.replaceChildren(el("p", { className: "muted", text: say("routing_checking") }));
    try {
      const checked = await postYaml("/v1/routing/check", textarea.value);
      const fine = renderCheck(box, textarea, checked);
      if (action !== "apply" || !fine) return;
      const question = event.submitter.dataset.confirm;
      if (question && !window.confirm(question)) return;
      const applied = await postYaml("/v1/routing/apply", textarea.value);
      let message = say("routing_applied", { rules: applied.rules, teams: applied.teams });
      if (applied.backup) message += ` ${say("routing_applied_backup", { backup: applied.backup })}`;
      window.sessionStorage.setItem(FLASH_KEY, message);
      window.location.reload();
    } catch (error) {
      box.replaceChildren();
      flash(error.message, true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  const pct = (value) => `${Math.round(value * 100)}%`;

  function labelRows(labels) {
    const word = (value, prefix = "value_") =>
      value === null || value === undefined ? say("routing_unknown") : strings[prefix + value] || String(value);
    const rows = [
      ["label_kind", `${word(labels.kind)} (${say("routing_confidence")} ${pct(labels.confidence)})`],
      ["label_sentiment", word(labels.sentiment)],
      ["label_urgency", word(labels.urgency)],
      ["label_language", labels.language || say("routing_unknown")],
      ["label_topic", labels.topic || say("routing_none")],
      ["label_abuse", labels.abuse === null ? say("routing_unknown") : say(labels.abuse ? "routing_yes" : "routing_no")],
      ["label_source", word(labels.source, "source_")],
    ];
    const list = el("dl", { className: "labels-list" });
    for (const [key, value] of rows) list.append(el("dt", { text: say(key) }), el("dd", { text: value }));
    return list;
  }

  function sinkText(sink) {
    const detail = { jira: () => `${sink.project} (${sink.issue_type})`, slack: () => sink.channel, webhook: () => sink.url }[sink.type];
    return detail ? `${sink.type} ${detail()}` : sink.type;
  }

  // One route explained: where it goes, why, the labels, every rule tried, the sinks.
  function explanationBlock(explanation, level) {
    const block = el("div", { className: "explanation" });
    const where = explanation.rule
      ? `${explanation.team} (${say("routing_by_rule", { rule: explanation.rule })})`
      : `${explanation.team} (${say("routing_no_rule_matched")})`;
    const heading = el(`h${level}`, { className: "goes-to" });
    heading.append(`${say("routing_goes_to")}: `, el("strong", { className: "team", text: explanation.team }));
    heading.append(where.slice(explanation.team.length));
    block.append(heading);
    block.append(el("p", {}, [el("span", { className: "muted", text: `${say("routing_reason")}: ` }), explanation.reason]));

    block.append(el(`h${level + 1}`, { text: say("routing_labels") }), labelRows(explanation.labels));

    block.append(el(`h${level + 1}`, { text: say("routing_trials") }));
    const trials = el("ol", { className: "trials" });
    for (const trial of explanation.rules) {
      const why = trial.matched ? trial.held.join(", ") || say("routing_no_conditions") : trial.failed;
      trials.append(
        el("li", { className: trial.matched ? "held" : "failed" }, [
          el("span", { className: "mark", text: trial.matched ? "✓" : "✗" }),
          el("span", { className: "visually-hidden", text: say(trial.matched ? "routing_held" : "routing_failed") }),
          " ",
          el("strong", { text: trial.rule }),
          `: ${why}`,
        ]),
      );
    }
    if (!explanation.rules.length) trials.append(el("li", { text: say("routing_none") }));
    block.append(trials);

    block.append(el(`h${level + 1}`, { text: say("routing_sinks") }));
    const sinks = explanation.sinks.map((sink) => el("li", { text: sinkText(sink) }));
    block.append(sinks.length ? el("ul", { className: "sinks" }, sinks) : el("p", { text: say("routing_none") }));
    return block;
  }

  function renderExplanation(box, explanation) {
    box.replaceChildren();
    if (!explanation.parts.length) {
      box.append(explanationBlock(explanation, 3));
      return;
    }
    box.append(el("p", { text: say("routing_mixed", { count: explanation.parts.length }) }));
    explanation.parts.forEach((part, index) => {
      const section = el("section", { className: "part" });
      section.append(el("h3", { text: say("routing_part", { number: index + 1 }) }));
      section.append(el("blockquote", { className: "quote", text: part.text }));
      section.append(explanationBlock(part, 4));
      box.append(section);
    });
    const whole = el("details", {}, [el("summary", { text: say("routing_whole") })]);
    whole.append(explanationBlock(explanation, 4));
    box.append(whole);
  }

  async function onTrySubmit(event) {
    event.preventDefault();
    const form = event.target;
    const box = document.getElementById("explanation");
    const button = form.querySelector("button");
    button.disabled = true;
    box.replaceChildren(el("p", { className: "muted", text: say("routing_explaining") }));
    try {
      const explanation = await api("POST", "/v1/routing/explain", {
        text: form.elements.text.value,
        source: form.elements.source.value,
      });
      renderExplanation(box, explanation);
    } catch (error) {
      box.replaceChildren();
      flash(error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    strings = JSON.parse(document.getElementById("routing-strings").textContent);
    const waiting = window.sessionStorage.getItem(FLASH_KEY);
    if (waiting) {
      window.sessionStorage.removeItem(FLASH_KEY);
      flash(waiting, false);
    }
    document.getElementById("routing-file").addEventListener("submit", onFileSubmit);
    const tryForm = document.getElementById("routing-try");
    tryForm.addEventListener("submit", onTrySubmit);
    tryForm.elements.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        tryForm.requestSubmit();
      }
    });
  });
})();
