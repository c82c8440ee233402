// The bidder's clarification requests (澄清), live: a new request appears without a reload, an answered
// one flips to "answered" (also when another user of the company answered it). The socket only listens;
// answers go through each request's form, which may carry a file.
import { readJson } from "./api.js";

const config = readJson("clarifications-config");
const msg = config.messages;
const $ = (id) => document.getElementById(id);
const list = $("clarifications");
let clockOffset = Date.parse(config.now) - Date.now();

function url(pattern, id) { return pattern.replace("/0/", `/${id}/`); }

function setLines(node, value) {
  // Like Django's linebreaksbr: text nodes only, never HTML.
  const parts = String(value ?? "").split("\n");
  node.replaceChildren(...parts.flatMap((line, i) => (i ? [document.createElement("br"), line] : [line])));
}

function itemOf(id) { return list.querySelector(`article.clarification[data-id="${id}"]`); }

function fill(item, row) {
  const q = (cls) => item.querySelector(`.${cls}`);
  item.dataset.id = row.id;
  item.dataset.deadline = row.deadline;
  item.dataset.open = row.open ? "1" : "";
  q("c-tender-code").textContent = row.tender.code;
  q("c-tender-title").textContent = row.tender.title;
  q("c-receipt").textContent = row.receipt_no;
  setLines(q("c-question"), row.question);
  const deadline = q("c-deadline");
  deadline.dateTime = row.deadline;
  deadline.textContent = new Date(row.deadline).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  q("c-form").action = url(config.answer_url, row.id);
  showAnswer(item, row);
}

function showAnswer(item, row) {
  const q = (cls) => item.querySelector(`.${cls}`);
  const answered = Boolean(row.answered_at);
  q("c-state").textContent = answered ? msg.answered : row.open ? msg.open : msg.closed;
  q("c-answer").hidden = !answered;
  q("c-form").hidden = !row.open;
  if (!answered) return;
  item.dataset.open = "";
  setLines(q("c-answer-text"), row.answer);
  q("c-answered-at").textContent = new Date(row.answered_at).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  q("c-file").hidden = !row.file;
  if (row.file) {
    q("c-file-link").href = url(config.file_url, row.id);
    q("c-file-link").textContent = row.file.name;
    q("c-file-sha").textContent = row.file.sha256;
  }
}

function add(row) {
  const existing = itemOf(row.id);
  if (existing) { showAnswer(existing, row); return; }
  const item = $("clarification-template").content.firstElementChild.cloneNode(true);
  fill(item, row);
  $("clarifications-empty")?.remove();
  list.prepend(item);
  const alert = $("clarifications-alert");
  alert.textContent = msg.new_request;
  alert.hidden = false;
}

function onMessage(message) {
  const event = JSON.parse(message.data);
  if (event.type === "snapshot") {
    clockOffset = Date.parse(event.data.now) - Date.now();
    const open = new Set(event.data.clarifications.map((row) => String(row.id)));
    event.data.clarifications.forEach(add);
    // Open on the page but not on the server: answered or closed while this page was not connected.
    for (const item of list.querySelectorAll("article.clarification[data-open='1']")) {
      if (!open.has(item.dataset.id)) {
        item.dataset.open = "";
        item.querySelector(".c-form").hidden = true;
        item.querySelector(".c-state").textContent = msg.reload;
      }
    }
  } else if (event.type === "clarification.asked" || event.type === "clarification.answered") {
    add(event.data);
  }
  tick();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${config.ws}`);
  $("clarifications-connection").textContent = msg.connecting;
  socket.onopen = () => { $("clarifications-connection").textContent = msg.live; };
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    if (event.code === 4403) return;
    $("clarifications-connection").textContent = msg.reconnecting;
    setTimeout(connect, 1500);
  };
}

function tick() {
  const now = Date.now() + clockOffset;
  for (const item of list.querySelectorAll("article.clarification")) {
    const out = item.querySelector(".c-countdown");
    if (item.dataset.open !== "1") { out.textContent = ""; continue; }
    const left = Date.parse(item.dataset.deadline) - now;
    if (left <= 0) {
      out.textContent = msg.expired;
      item.querySelector(".c-form").hidden = true;
      continue;
    }
    const s = Math.floor(left / 1000);
    out.textContent = `${msg.left} ${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }
}

connect();
tick();
setInterval(tick, 1000);
