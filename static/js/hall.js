// The opening hall: a live view over the docs/architecture.md §8 protocol (snapshot, numbered events, replay after
// reconnecting with last_seq, client message ids answered by ack/error).
import { readJson } from "./api.js";
import { decryptShare, importKeyFile } from "./sealing.js";
import { explainSealingError } from "./sealing-text.js";
import { fmt, fmtBytes, renderPresence, renderProgress, renderUnconfirmed } from "./hall-board.js";

const config = readJson("hall-config");
const msg = config.messages;
const texts = readJson("hall-texts");
const $ = (id) => document.getElementById(id);
let state = null;
let lastSeq = null;
let socket = null;
let clockOffset = 0;
let shownClosed = false; // whether the last render saw the confirmation window closed
const pending = new Map();
const selected = new Set(); // objections the host ticked, kept across re-renders

function text(node, value) { node.textContent = value ?? ""; return node; }
function li(content, cls) { const item = document.createElement("li"); text(item, content); if (cls) item.className = cls; return item; }

const clock = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
function serverNow() { return Date.now() + clockOffset; }
function windowClosed() { const until = state?.opening?.confirm_until; return Boolean(until) && serverNow() >= Date.parse(until); }

function fmtMoney(fen) {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString("zh-CN")}.${String(abs % 100).padStart(2, "0")}`;
}

function fieldValue(field, value) {
  if (value === undefined || value === null) return "—";
  return field.type === "money" ? fmtMoney(value) : String(value);
}

function render() {
  if (!state) return;
  const opening = state.opening;
  const status = state.tender.status === "failed" ? "failed" : opening ? opening.status : "waiting";
  text($("hall-stage"), msg[status] || "");
  const alert = $("hall-alert");
  alert.hidden = status !== "failed";
  if (status === "failed") text(alert, msg.failed);
  // Attendance: bidders are named only from the opening on (招标投标法 art. 22).
  const attendees = $("hall-attendees");
  attendees.replaceChildren(...state.attendees.map((a) => li(`${msg[a.role] || a.role} · ${a.name ?? msg.anonymous_bidder}`)));
  $("hall-sign-in-row").hidden = state.me.signed_in;
  // Keys
  const released = state.custodians.filter((c) => c.released).length;
  text($("hall-released"), String(released));
  text($("hall-threshold"), String(state.threshold ?? "?"));
  $("hall-custodians").replaceChildren(...state.custodians.map((c) => li(`${c.name} ${c.released ? "✔" : "…"}`)));
  $("hall-custodian-panel").hidden = !state.me.encrypted_share || state.me.released || status !== "awaiting_shares";
  // Results (唱标)
  const head = $("hall-results").querySelector("thead tr");
  const fieldsCell = head.querySelector("th.fields");
  if (fieldsCell) {
    fieldsCell.replaceWith(...config.fields.map((f) => { const th = document.createElement("th"); return text(th, f.label); }));
  }
  const body = $("hall-results").querySelector("tbody");
  body.replaceChildren(...state.results.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.number = r.number;
    const cells = [r.number, r.bidder, ...config.fields.map((f) => fieldValue(f, r.letter[f.key])), msg[r.outcome] + (r.reason ? `:${r.reason}` : "")];
    cells.forEach((value, i) => { const td = document.createElement("td"); text(td, String(value)); td.dataset.label = head.children[i]?.textContent ?? ""; // labelled rows at 390 px (site.css table.stack)
      if (i === cells.length - 1) td.className = `outcome-${r.outcome}`; tr.appendChild(td); });
    return tr;
  }));
  $("hall-bidder-panel").hidden = !(status === "reading" && config.is_bidder && !windowClosed());
  $("hall-host-panel").hidden = !(config.is_host && status === "reading");
  $("hall-window-form").hidden = windowClosed();
  const answering = config.is_host && status === "reading";
  const openIds = openObjections();
  for (const id of selected) if (!openIds.includes(id)) selected.delete(id);
  $("hall-answer-panel").hidden = !(answering && openIds.length);
  const list = $("hall-confirmations");
  list.replaceChildren(...state.confirmations.map((c) => confirmationItem(c, answering && openIds.includes(c.id), list)));
  if (opening?.record_url) {
    const link = Object.assign(document.createElement("a"), { href: opening.record_url, textContent: msg.download });
    $("hall-record").replaceChildren(document.createTextNode(`${msg.record_ready} `), link);
  }
  shownClosed = windowClosed();
  renderWindow();
  renderUnconfirmed(state, texts, status, shownClosed);
  renderProgress(state, texts);
}

// One confirmation or objection: who, what, the objection's text and the host's answer as written.
function confirmationItem(c, answerable, list) {
  const item = document.createElement("li");
  item.dataset.confirmation = c.id;
  item.append(text(document.createElement("span"), `${c.bidder} · ${msg[c.kind]}`));
  if (answerable) {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", checked: selected.has(c.id) });
    box.setAttribute("aria-label", list.dataset.selectLabel);
    box.addEventListener("change", () => { if (box.checked) selected.add(c.id); else selected.delete(c.id); });
    item.prepend(box);
  }
  if (c.text) item.append(Object.assign(document.createElement("p"), { className: "hall-text", textContent: c.text }));
  if (c.answer) item.append(Object.assign(document.createElement("p"), { className: "hall-answer", textContent: `${texts.host_answer}${c.answer}` }));
  if (answerable) {
    const button = text(document.createElement("button"), texts.answer_one);
    button.type = "button";
    button.addEventListener("click", () => { // this one objection, answered in the form below
      selected.clear();
      selected.add(c.id);
      render();
      $("hall-answer-text").focus();
    });
    item.append(button);
  }
  return item;
}

function renderWindow() {
  const node = $("hall-window");
  const until = state.opening?.confirm_until;
  const status = state.opening?.status;
  if (status !== "reading" && status !== "closed") { text(node, ""); return; }
  if (!until) { text(node, status === "reading" ? texts.window_none : ""); return; }
  const time = clock.format(new Date(until));
  const left = Date.parse(until) - serverNow();
  if (left <= 0) { text(node, fmt(texts.window_closed, { time })); return; }
  const s = Math.ceil(left / 1000);
  text(node, fmt(texts.window_until, { time, left: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` }));
}

function openObjections() {
  return state.confirmations.filter((c) => c.kind === "objection" && !c.answered_at).map((c) => c.id);
}

// One answer for several objections, in one message: all are answered or none (the server says why).
function answerObjections(ids) {
  const answer = $("hall-answer-text").value.trim();
  const problem = !ids.length ? texts.choose_objections : checkText(answer, texts.answer_required);
  if (problem) { fieldError("hall-answer", problem); return; }
  fieldError("hall-answer", null);
  send("objections.answer", { confirmations: ids, answer }, "hall-answer").then((reply) => {
    if (reply.type === "ack") { $("hall-answer-text").value = ""; counter("hall-answer"); selected.clear(); render(); }
  });
}

function checkText(value, required) {
  if (!value) return required;
  return value.length > texts.max_text ? fmt(texts.too_long, { max: texts.max_text, n: value.length }) : null;
}

// A form field's message, next to it (null clears it).
function fieldError(prefix, message) {
  const node = $(`${prefix}-error`);
  const field = document.getElementById(`${prefix}-text`) || document.getElementById(`${prefix}-minutes`);
  node.hidden = !message;
  text(node, message);
  if (message) { field?.setAttribute("aria-invalid", "true"); field?.focus(); } else field?.removeAttribute("aria-invalid");
}

function counter(prefix) {
  text($(`${prefix}-count`), fmt(texts.characters, { n: $(`${prefix}-text`).value.trim().length, max: texts.max_text }));
}

function apply(event) {
  const d = event.data;
  switch (event.type) {
    case "hall.signed_in": state.attendees.push(d); break;
    case "opening.started":
      state.opening = { status: "awaiting_shares", confirm_until: null }; state.bids = d.bids; state.threshold = d.threshold;
      state.bidder_names = d.bidders;
      break;
    case "opening.failed": state.tender.status = "failed"; break;
    case "opening.share_released": {
      // By share index: names are not unique (two custodians may both be 张伟).
      const c = state.custodians.find((x) => x.index === d.index);
      if (c) c.released = true;
      if (c && c.me) state.me.released = true;
      break;
    }
    case "opening.decrypting": state.opening.status = "decrypting"; break;
    case "opening.progress": {
      state.progress = { ...(state.progress || {}), [d.number]: d };
      const pct = Math.round(100 * ((d.number - 1) + (d.size ? d.bytes / d.size : 0)) / d.total);
      $("hall-progress").style.width = `${pct}%`;
      text($("hall-progress-text"), `${d.number} / ${d.total} · ${fmtBytes(d.bytes)} / ${fmtBytes(d.size)} · ${fmtBytes(d.rate)}/s`);
      break;
    }
    case "opening.bid_opened": state.results.push(d); state.results.sort((a, b) => a.number - b.number); break;
    case "opening.decrypted": state.opening.status = "reading"; $("hall-progress").style.width = "100%"; break;
    case "opening.confirm": case "opening.objection": state.confirmations.push(d); break;
    case "opening.objection_answered": {
      const i = state.confirmations.findIndex((c) => c.id === d.id);
      if (i >= 0) state.confirmations[i] = d;
      break;
    }
    case "opening.confirm_window": state.opening.confirm_until = d.until; break;
    case "opening.closed": state.opening.status = "closed"; break;
    case "opening.record_ready": state.opening.record_url = d.url; break;
    default: break;
  }
}

function onMessage(message) {
  const event = JSON.parse(message.data);
  if (event.type === "ack" || event.type === "error") {
    const waiting = pending.get(event.id);
    pending.delete(event.id);
    if (event.type === "error") {
      const detail = `${event.data.detail} [${event.data.code}]`;
      if (waiting?.field) fieldError(waiting.field, detail); // a form's refusal, next to its field
      else text($("hall-alert"), `${msg.failed_action} ${detail}`).hidden = false;
    }
    waiting?.resolve(event);
    return;
  }
  if (event.type === "presence") { renderPresence(event.data, texts); return; } // no seq: not a stream event
  if (event.type === "snapshot") {
    state = event.data;
    state.progress = Object.fromEntries((state.progress || []).map((p) => [p.number, p]));
    lastSeq = event.seq;
    clockOffset = Date.parse(state.server_now) - Date.now();
  } else {
    if (lastSeq !== null && event.seq <= lastSeq) return; // already seen
    lastSeq = event.seq;
    apply(event);
  }
  render();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = lastSeq === null ? "" : `?last_seq=${lastSeq}`;
  socket = new WebSocket(`${scheme}://${location.host}${config.ws}${query}`);
  text($("hall-connection"), msg.connecting);
  socket.onopen = () => { text($("hall-connection"), msg.live); send("presence.watch"); };
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    if (event.code === 4403) return;
    text($("hall-connection"), msg.reconnecting);
    setTimeout(connect, 1500);
  };
}

// `field`: the form whose error element shows a refusal (else the page's alert).
function send(type, data = {}, field = null) {
  const id = crypto.randomUUID();
  return new Promise((resolve) => {
    pending.set(id, { resolve, field });
    socket.send(JSON.stringify({ id, type, data }));
  });
}

function tick() {
  if (!state) return;
  if (state.opening?.confirm_until) { // the window's countdown; at its closing the panels change
    if (windowClosed() !== shownClosed) render(); else renderWindow();
  }
  const left = Date.parse(state.tender.deadline) - serverNow();
  if (left <= 0) { text($("hall-countdown"), msg.opening_now); return; }
  const s = Math.floor(left / 1000);
  text($("hall-countdown"), `${msg.until_opening} ${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`);
}

$("hall-sign-in").addEventListener("click", () => send("hall.sign_in").then((reply) => {
  if (reply.type === "ack") { state.me.signed_in = true; render(); }
}));
$("hall-confirm").addEventListener("click", () => send("record.confirm"));
$("hall-objection-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("hall-objection-text").value.trim();
  const problem = checkText(value, texts.objection_required);
  fieldError("hall-objection", problem);
  if (problem) return;
  send("record.object", { text: value }, "hall-objection").then((reply) => {
    if (reply.type === "ack") { $("hall-objection-text").value = ""; counter("hall-objection"); }
  });
});
for (const prefix of ["hall-objection", "hall-answer"]) {
  $(`${prefix}-text`).addEventListener("input", () => counter(prefix));
  counter(prefix);
}
$("hall-window-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const minutes = Number($("hall-window-minutes").value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > texts.max_minutes) {
    fieldError("hall-window", fmt(texts.window_minutes_bad, { max: texts.max_minutes }));
    return;
  }
  fieldError("hall-window", null);
  send("record.window", { minutes }, "hall-window");
});
$("hall-close").addEventListener("click", () => send("opening.close"));
$("hall-answer-panel").addEventListener("submit", (event) => { event.preventDefault(); answerObjections([...selected]); });
$("hall-answer-all").addEventListener("click", () => answerObjections(openObjections()));
$("hall-release").addEventListener("click", async () => {
  const file = $("hall-key-file").files[0];
  if (!file) { text($("hall-alert"), msg.choose_key).hidden = false; return; }
  try {
    const keys = await importKeyFile(await file.text(), { passphrase: $("hall-passphrase").value || null, kind: "custodian" });
    const { share } = await decryptShare(keys, state.me.encrypted_share);
    if ((await send("share.release", { share })).type === "ack") {
      state.me.released = true;
      render();
    }
  } catch (error) {
    // A key file or share error in words that name the file chosen (a bidder key file, …).
    const reason = explainSealingError(error, readJson("sealing-texts")) ?? `${error.code || ""} ${error.message}`;
    text($("hall-alert"), `${msg.failed_action} ${reason}`).hidden = false;
  }
});

connect();
setInterval(tick, 1000);
