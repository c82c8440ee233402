// The opening hall: a live view over the docs/architecture.md §8 protocol (snapshot, numbered events, replay after
// reconnecting with last_seq, client message ids answered by ack/error).
import { readJson } from "./api.js";
import { decryptShare, importKeyFile } from "./sealing.js";
import { explainSealingError } from "./sealing-text.js";

const config = readJson("hall-config");
const msg = config.messages;
const $ = (id) => document.getElementById(id);
let state = null;
let lastSeq = null;
let socket = null;
let clockOffset = 0;
const pending = new Map();
const selected = new Set(); // objections the host ticked, kept across re-renders

function text(node, value) { node.textContent = value ?? ""; return node; }
function li(content, cls) { const item = document.createElement("li"); text(item, content); if (cls) item.className = cls; return item; }

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
  $("hall-bidder-panel").hidden = !(status === "reading" && config.is_bidder);
  $("hall-host-panel").hidden = !(config.is_host && status === "reading");
  const answering = config.is_host && status === "reading";
  const openIds = openObjections();
  for (const id of selected) if (!openIds.includes(id)) selected.delete(id);
  $("hall-answer-panel").hidden = !(answering && openIds.length);
  const list = $("hall-confirmations");
  list.replaceChildren(...state.confirmations.map((c) => {
    const item = li(`${c.bidder} · ${msg[c.kind]}${c.text ? `:${c.text}` : ""}${c.answer ? ` — ${c.answer}` : ""}`);
    item.dataset.confirmation = c.id;
    if (answering && openIds.includes(c.id)) {
      const box = Object.assign(document.createElement("input"), { type: "checkbox", checked: selected.has(c.id) });
      box.setAttribute("aria-label", list.dataset.selectLabel);
      box.addEventListener("change", () => { if (box.checked) selected.add(c.id); else selected.delete(c.id); });
      item.prepend(box);
      const button = document.createElement("button");
      text(button, msg.answer_prompt);
      button.type = "button";
      button.addEventListener("click", () => {
        const answer = prompt(msg.answer_prompt);
        if (answer) send("objection.answer", { confirmation: c.id, answer });
      });
      item.appendChild(button);
    }
    return item;
  }));
  if (opening?.record_url) {
    const link = Object.assign(document.createElement("a"), { href: opening.record_url, textContent: msg.download });
    $("hall-record").replaceChildren(document.createTextNode(`${msg.record_ready} `), link);
  }
}

function openObjections() {
  return state.confirmations.filter((c) => c.kind === "objection" && !c.answered_at).map((c) => c.id);
}

// One answer for several objections, in one message: all are answered or none (the server says why).
function answerObjections(ids) {
  const answer = $("hall-answer-text").value.trim();
  if (!ids.length || !answer) return;
  send("objections.answer", { confirmations: ids, answer }).then((reply) => {
    if (reply.type === "ack") { $("hall-answer-text").value = ""; selected.clear(); render(); }
  });
}

function apply(event) {
  const d = event.data;
  switch (event.type) {
    case "hall.signed_in": state.attendees.push(d); break;
    case "opening.started": state.opening = { status: "awaiting_shares" }; state.bids = d.bids; state.threshold = d.threshold; break;
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
      const pct = Math.round(100 * ((d.number - 1) + (d.size ? d.bytes / d.size : 0)) / d.total);
      $("hall-progress").style.width = `${pct}%`;
      text($("hall-progress-text"), `${d.number} / ${d.total} · ${(d.bytes / 1048576).toFixed(1)} MB`);
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
    case "opening.closed": state.opening.status = "closed"; break;
    case "opening.record_ready": state.opening.record_url = d.url; break;
    default: break;
  }
}

function onMessage(message) {
  const event = JSON.parse(message.data);
  if (event.type === "ack" || event.type === "error") {
    const done = pending.get(event.id);
    pending.delete(event.id);
    if (event.type === "error") text($("hall-alert"), `${msg.failed_action} ${event.data.detail} [${event.data.code}]`).hidden = false;
    done?.(event);
    return;
  }
  if (event.type === "snapshot") {
    state = event.data;
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
  socket.onopen = () => text($("hall-connection"), msg.live);
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    if (event.code === 4403) return;
    text($("hall-connection"), msg.reconnecting);
    setTimeout(connect, 1500);
  };
}

function send(type, data = {}) {
  const id = crypto.randomUUID();
  return new Promise((resolve) => {
    pending.set(id, resolve);
    socket.send(JSON.stringify({ id, type, data }));
  });
}

function tick() {
  if (!state) return;
  const left = Date.parse(state.tender.deadline) - (Date.now() + clockOffset);
  if (left <= 0) { text($("hall-countdown"), msg.opening_now); return; }
  const s = Math.floor(left / 1000);
  text($("hall-countdown"), `${msg.until_opening} ${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`);
}

$("hall-sign-in").addEventListener("click", () => send("hall.sign_in").then((reply) => {
  if (reply.type === "ack") { state.me.signed_in = true; render(); }
}));
$("hall-confirm").addEventListener("click", () => send("record.confirm"));
$("hall-object").addEventListener("click", () => {
  const textValue = prompt(msg.objection_prompt);
  if (textValue) send("record.object", { text: textValue });
});
$("hall-close").addEventListener("click", () => send("opening.close"));
$("hall-answer-selected").addEventListener("click", () => answerObjections([...selected]));
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
