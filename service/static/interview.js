// The web interview. The answers live in this page only: every step sends them to POST /v1/interview,
// which evaluates them and names the most decisive question still open; the server keeps nothing.
"use strict";

const state = {
  facts: {},        // the fact document being built (nested sections, as in the contract)
  skipped: [],      // facts the person could not answer: not asked again
  history: [],      // facts in the order they were answered, for "Back"
  lang: "en",
  words: {},
  catalog: {},      // fact name → question, for changing an earlier answer
  editing: null,    // a fact being changed out of turn
  step: null,
  token: null,
};

const $ = (id) => document.getElementById(id);

function word(key) { return state.words[key] || key; }

async function call(method, path, body, accept) {
  const headers = {"Accept": accept || "application/json"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  if (response.status === 401 && !state.token) {
    const token = window.prompt("This service needs an access token:");
    if (token) { state.token = token.trim(); return call(method, path, body, accept); }
  }
  if (!response.ok) {
    let messages = [response.statusText];
    try { messages = (await response.json()).errors.map((e) => `${e.code}: ${e.message}`); } catch (ignored) { /* not JSON */ }
    throw new Error(messages.join("\n"));
  }
  return accept && accept.startsWith("text/") ? response.text() : response.json();
}

function showError(error) {
  const box = $("error");
  box.textContent = "";
  const heading = document.createElement("strong");
  heading.textContent = word("error");
  const detail = document.createElement("pre");
  detail.textContent = error ? String(error.message || error) : "";
  box.append(heading, detail);
  box.hidden = !error;
}

// --- the fact document -------------------------------------------------------------------------

function getFact(name) {
  let node = state.facts;
  for (const part of name.split(".")) {
    if (node === null || typeof node !== "object" || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

function setFact(name, value) {
  const parts = name.split(".");
  let node = state.facts;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part];
  }
  node[parts[parts.length - 1]] = value;
}

function dropFact(name) {
  const parts = name.split(".");
  const trail = [state.facts];
  for (const part of parts.slice(0, -1)) {
    const next = trail[trail.length - 1][part];
    if (typeof next !== "object" || next === null) return;
    trail.push(next);
  }
  delete trail[trail.length - 1][parts[parts.length - 1]];
  for (let i = trail.length - 1; i > 0; i--) {  // drop sections left empty
    if (Object.keys(trail[i]).length === 0) delete trail[i - 1][parts[i - 1]];
  }
}

// --- rendering ---------------------------------------------------------------------------------

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function choiceInputs(question, type, current) {
  const group = element("div", {class: "choices"});
  const chosen = Array.isArray(current) ? current : [current];
  question.choices.forEach((choice, index) => {
    const id = `choice-${index}`;
    const input = element("input", {type, id, name: "answer", value: choice.value});
    if (chosen.includes(choice.value)) input.checked = true;
    const label = element("label", {for: id}, choice.label);
    const row = element("div", {class: "choice"});
    row.append(input, label);
    group.append(row);
  });
  return group;
}

function recordRow(question, record, index) {
  const row = element("fieldset", {class: "record"});
  row.append(element("legend", {}, `${index + 1}`));
  for (const field of question.fields) {
    const id = `record-${index}-${field.name}`;
    const wrap = element("div", {class: "field"});
    let input;
    if (field.type === "boolean") {
      input = element("select", {id, "data-field": field.name});
      for (const [value, text] of [["", word("unknown")], ["true", word("yes")], ["false", word("no")]]) {
        const option = element("option", {value}, text);
        if (record[field.name] !== undefined && String(record[field.name]) === value) option.selected = true;
        input.append(option);
      }
    } else {
      input = element("input", {id, "data-field": field.name, type: field.type === "date" ? "date" : "text"});
      if (record[field.name] !== undefined) input.value = record[field.name];
    }
    wrap.append(element("label", {for: id}, field.question), input);
    row.append(wrap);
  }
  const remove = element("button", {type: "button", class: "remove"}, word("remove"));
  remove.addEventListener("click", () => { row.remove(); });
  row.append(remove);
  return row;
}

function renderInput(question) {
  const box = $("input");
  box.textContent = "";
  const current = getFact(question.fact);
  if (question.type === "boolean") {
    const yesNo = {choices: [{value: "true", label: word("yes")}, {value: "false", label: word("no")}]};
    box.append(choiceInputs(yesNo, "radio", current === undefined ? undefined : String(current)));
  } else if (question.type === "enum") {
    box.append(choiceInputs(question, "radio", current));
  } else if (question.type === "list" && question.choices) {
    box.append(choiceInputs(question, "checkbox", current || []));
  } else if (question.type === "list" && question.fields) {
    const rows = element("div", {id: "records"});
    (current || []).forEach((record, index) => rows.append(recordRow(question, record, index)));
    const add = element("button", {type: "button", id: "add-record"}, word("add_child"));
    add.addEventListener("click", () => rows.append(recordRow(question, {}, rows.children.length)));
    box.append(rows, add);
  } else {
    const attributes = {id: "answer", name: "answer", "aria-labelledby": "question-label"};
    if (question.type === "date") attributes.type = "date";
    else if (["number", "integer", "money"].includes(question.type)) {
      Object.assign(attributes, {type: "number", inputmode: "decimal", step: question.type === "integer" ? "1" : "any"});
      if (question.minimum !== undefined) attributes.min = question.minimum;
      if (question.maximum !== undefined) attributes.max = question.maximum;
    } else attributes.type = "text";
    const input = element("input", attributes);
    if (current !== undefined) input.value = current;
    box.append(input);
  }
}

function readAnswer(question) {
  const form = $("question-form");
  if (question.type === "boolean" || question.type === "enum") {
    const checked = form.querySelector("input[name=answer]:checked");
    if (!checked) return undefined;
    return question.type === "boolean" ? checked.value === "true" : checked.value;
  }
  if (question.type === "list" && question.choices) {
    return [...form.querySelectorAll("input[name=answer]:checked")].map((input) => input.value);
  }
  if (question.type === "list" && question.fields) {
    return [...form.querySelectorAll("fieldset.record")].map((row) => {
      const record = {};
      for (const input of row.querySelectorAll("[data-field]")) {
        if (input.value === "") continue;
        record[input.dataset.field] = input.tagName === "SELECT" ? input.value === "true" : input.value;
      }
      return record;
    });
  }
  const value = $("answer").value.trim();
  if (value === "") return undefined;
  if (["number", "integer", "money"].includes(question.type)) return Number(value);
  return value;
}

function currentQuestion() {
  return state.editing ? state.catalog[state.editing] : state.step && state.step.question;
}

function renderQuestion() {
  const question = currentQuestion();
  $("question-form").hidden = !question;
  $("done").hidden = Boolean(question);
  $("done").textContent = word("done");
  $("back").disabled = state.history.length === 0 && !state.editing;
  if (!question) return;
  $("question-label").textContent = question.question;
  $("help").textContent = question.help || "";
  $("help").hidden = !question.help;
  renderInput(question);
}

function renderStep() {
  const step = state.step;
  const total = step.answered + step.remaining;
  $("progress").max = Math.max(total, 1);
  $("progress").value = step.answered;
  $("progress-text").textContent =
    `${word("answered")}: ${step.answered}. ${word("remaining").replace("{n}", step.remaining)}.`;
  const list = $("determinations");
  list.textContent = "";
  for (const entry of step.determinations) {
    const item = element("li", {"data-id": entry.id, "data-value": entry.value, class: `status-${entry.status}`});
    item.append(element("span", {class: "title"}, entry.title + ": "), element("strong", {class: "value"}, entry.label));
    if (entry.status !== "undetermined" && entry.reasons.length) {
      const why = element("details", {});
      why.append(element("summary", {}, word("why")));
      const reasons = element("ul", {});
      for (const reason of entry.reasons) reasons.append(element("li", {}, reason));
      why.append(reasons);
      item.append(why);
    }
    list.append(item);
  }
  const given = $("given");
  given.textContent = "";
  for (const answer of step.answers) {
    const item = element("li", {"data-fact": answer.fact});
    item.append(element("span", {}, `${answer.question} `), element("strong", {}, answer.value), " ");
    const change = element("button", {type: "button", class: "change"}, word("change"));
    change.setAttribute("aria-label", `${word("change")}: ${answer.question}`);
    change.addEventListener("click", () => { state.editing = answer.fact; renderQuestion(); $("ask").focus(); });
    item.append(change);
    given.append(item);
  }
  const lawyer = step.done ? step.see_a_lawyer : [];
  $("lawyer").hidden = lawyer.length === 0;
  $("lawyer-reasons").textContent = "";
  for (const reason of lawyer) $("lawyer-reasons").append(element("li", {"data-code": reason.code}, reason.text));
  renderQuestion();
}

// Steps may overlap (a date changed while an answer is on its way): only the latest one is shown, and the
// page says it is busy (aria-busy) until every step has come back.
let latestStep = 0;
let stepsInFlight = 0;

async function step() {
  const mine = ++latestStep;
  stepsInFlight += 1;
  document.body.setAttribute("aria-busy", "true");
  try {
    const asOf = $("as-of").value || null;
    const reply = await call("POST", "/v1/interview",
      {facts: state.facts, skipped: state.skipped, lang: state.lang, as_of: asOf});
    if (mine !== latestStep) return;
    state.step = reply;
    showError(null);
    renderStep();
  } catch (error) {
    if (mine === latestStep) showError(error);
  } finally {
    stepsInFlight -= 1;
    if (stepsInFlight === 0) document.body.removeAttribute("aria-busy");
  }
}

// --- actions -----------------------------------------------------------------------------------

async function answer(event) {
  event.preventDefault();
  const question = currentQuestion();
  if (!question) return;
  const value = readAnswer(question);
  if (value === undefined) { showError(new Error(word("enter_value"))); return; }
  setFact(question.fact, value);
  state.skipped = state.skipped.filter((fact) => fact !== question.fact);
  if (!state.history.includes(question.fact)) state.history.push(question.fact);
  state.editing = null;
  await step();
  $("ask").focus();
}

async function dontKnow() {
  const question = currentQuestion();
  if (!question) return;
  dropFact(question.fact);
  if (!state.skipped.includes(question.fact)) state.skipped.push(question.fact);
  if (!state.history.includes(question.fact)) state.history.push(question.fact);
  state.editing = null;
  await step();
}

async function back() {
  if (state.editing) { state.editing = null; renderQuestion(); return; }
  const previous = state.history.pop();
  if (!previous) return;
  state.skipped = state.skipped.filter((fact) => fact !== previous);
  state.editing = previous;  // ask it again, with the earlier answer filled in
  await step();
}

async function finish() {
  try {
    const asOf = $("as-of").value;
    const page = await call("POST", "/v1/report?format=html" + (asOf ? `&as_of=${asOf}` : ""), state.facts,
      "text/html");
    $("report").srcdoc = page;
    $("report-section").hidden = false;
    $("report-language").hidden = state.lang === "en";
    $("report-section").scrollIntoView();
  } catch (error) {
    showError(error);
  }
}

function download() {
  const document_ = {...state.facts};
  if ($("as-of").value) document_.as_of = $("as-of").value;
  const blob = new Blob([JSON.stringify(document_, null, 2) + "\n"], {type: "application/json"});
  const link = element("a", {href: URL.createObjectURL(blob), download: "asylum-kb-answers.json"});
  document.body.append(link);
  link.click();
  link.remove();
}

async function resume(event) {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const loaded = JSON.parse(await file.text());
    if (typeof loaded !== "object" || loaded === null || Array.isArray(loaded)) throw new Error("not a fact document");
    if (loaded.as_of) $("as-of").value = loaded.as_of;
    delete loaded.as_of;
    state.facts = loaded;
    state.skipped = [];
    state.history = [];
    state.editing = null;
    await step();
  } catch (error) {
    showError(error);
  }
  event.target.value = "";
}

function restart() {
  Object.assign(state, {facts: {}, skipped: [], history: [], editing: null});
  $("report-section").hidden = true;
  step();
}

async function setLanguage(lang) {
  const interfaceWords = await call("GET", `/v1/interface?lang=${encodeURIComponent(lang)}`);
  state.lang = interfaceWords.language;
  state.words = interfaceWords.words;
  document.documentElement.lang = state.lang;
  const select = $("lang");
  select.textContent = "";
  for (const language of interfaceWords.languages) {
    const option = element("option", {value: language.code, lang: language.code}, language.name);
    option.selected = language.code === state.lang;
    select.append(option);
  }
  const texts = {title: "title", intro: "intro", next: "next", "dont-know": "dont_know", back: "back",
    finish: "finish", download: "download", "resume-label": "resume", restart: "restart",
    "answers-heading": "answers_so_far", "given-heading": "your_answers", "lawyer-heading": "lawyer_heading",
    "report-heading": "report", "report-language": "report_language", "language-label": "language",
    "as-of-label": "as_of", "progress-heading": "progress", disclaimer: "disclaimer"};
  for (const [id, key] of Object.entries(texts)) $(id).textContent = word(key);
  document.title = word("title");
  $("translation-note").textContent = interfaceWords.translation_note;
  $("translation-note").hidden = !interfaceWords.translation_note;
  const facts = await call("GET", `/v1/facts?lang=${encodeURIComponent(state.lang)}`);
  state.catalog = Object.fromEntries(facts.map((fact) => [fact.fact, fact]));
  const url = new URL(window.location.href);
  url.searchParams.set("lang", state.lang);
  window.history.replaceState(null, "", url);
}

async function start() {
  $("question-form").addEventListener("submit", answer);
  $("dont-know").addEventListener("click", dontKnow);
  $("back").addEventListener("click", back);
  $("finish").addEventListener("click", finish);
  $("download").addEventListener("click", download);
  $("resume").addEventListener("change", resume);
  $("restart").addEventListener("click", restart);
  $("as-of").addEventListener("change", step);
  $("lang").addEventListener("change", async (event) => { await setLanguage(event.target.value); await step(); });
  try {
    await setLanguage(new URLSearchParams(window.location.search).get("lang") || "en");
  } catch (error) {
    showError(error);
  }
  await step();
}

document.addEventListener("DOMContentLoaded", start);
