// The bidder's panel: fill the bid letter, seal on this machine, upload in parts with progress,
// resume after a network error or a reload (pending.js), finalize for a signed receipt; self-check and
// withdraw.
import { api, readJson } from "./api.js";
import { forget, keepSealed, pendingFor } from "./pending.js";
import { checkOwnEnvelope, importKeyFile, sealBid, toHex } from "./sealing.js";
import { explainSealingError, letterLines } from "./sealing-text.js";

const page = readJson("bid-page");
const $ = (id) => document.getElementById(id);
const clockOffset = Date.parse(page.server_now) - Date.now(); // server time is the only time
const serverNow = () => Date.now() + clockOffset;
const deadline = Date.parse(page.tender.deadline);
const msg = page.messages;
const sealingTexts = readJson("sealing-texts");
// A sealing or key file error in words (naming the file the person chose); otherwise the platform's message.
const reason = (error) => explainSealingError(error, sealingTexts)
  ?? `${error.code ? `[${error.code}] ` : ""}${error.message}`;
const slot = `${page.user}:${page.tender.id}`; // where this user's unfinished upload for this tender is kept

function fmtDuration(ms) {
  if (ms <= 0) return "0:00:00";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n, i) => (i ? String(n).padStart(2, "0") : String(n))).join(":");
  return d ? `${d}${msg.days} ${hms}` : hms;
}

function tick() {
  const left = deadline - serverNow();
  $("countdown").textContent = left > 0 ? fmtDuration(left) : msg.closed;
  if (left <= 0) $("seal-upload")?.setAttribute("disabled", "");
}
tick();
setInterval(tick, 1000);

function status(text, ok = true) {
  const node = $("bid-status");
  node.textContent = text;
  node.className = ok ? "ok" : "errors";
}

async function loadKeys() {
  const file = $("bid-key-file").files[0];
  if (!file) throw new Error(msg.choose_key);
  return importKeyFile(await file.text(), { passphrase: $("bid-passphrase").value || null, kind: "bidder" });
}

function bidLetter() {
  const letter = {};
  for (const field of page.tender.fields) {
    const input = $(`letter-${field.key}`);
    const raw = input.value.trim();
    if (!raw) {
      if (field.required) throw new Error(`${msg.required}: ${field.label}`);
      continue;
    }
    if (field.type === "money") {
      if (!/^\d+(\.\d{1,2})?$/.test(raw)) throw new Error(`${msg.bad_money}: ${field.label}`);
      const [yuan, cents = ""] = raw.split(".");
      letter[field.key] = Number(yuan) * 100 + Number(cents.padEnd(2, "0")); // integer fen
      if (!Number.isSafeInteger(letter[field.key])) throw new Error(`${msg.bad_money}: ${field.label}`);
    } else if (field.type === "integer") {
      if (!/^\d+$/.test(raw)) throw new Error(`${msg.bad_integer}: ${field.label}`);
      letter[field.key] = Number(raw);
    } else {
      letter[field.key] = raw;
    }
  }
  return letter;
}

// Parts go up in order; a part is kept until the server has it, so a failed part is sent again
// from the offset the server reports (nothing is sealed twice, nothing is lost).
async function sendPart(uploadId, offset, bytes) {
  const hash = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", await bytes.arrayBuffer())));
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await api(`/api/uploads/${uploadId}/parts/?offset=${offset}`, {
        method: "PUT", body: bytes, headers: { "Content-Type": "application/octet-stream", "X-Part-SHA256": hash },
      });
      return result.received;
    } catch (error) {
      if (error.code === "deadline_passed" || error.code === "part_beyond_size" || attempt >= 20) throw error;
      status(`${msg.retrying} (${attempt + 1})`, false);
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 15000)));
      const state = await api(`/api/uploads/${uploadId}/`).catch(() => null);
      if (state && state.received === offset + bytes.size) return state.received; // it did arrive
    }
  }
}

function showProgress(done, total) {
  const percent = total ? (100 * done) / total : 100;
  $("bid-progress").style.width = `${percent}%`;
  $("bid-progress-bar").setAttribute("aria-valuenow", String(Math.round(percent)));
}

// Beside the progress bar while sealing: plaintext sealed per second so far (sealing.js, with Web Workers
// where the browser has them). Same unit as the upload speed shown after it.
function showSealingSpeed({ bytesPerSecond }) {
  $("bid-seal-rate").textContent = `${(bytesPerSecond / 1048576).toFixed(1)} MB/s`;
  $("bid-seal-speed").hidden = false;
}

// Sends `envelope` (a File or Blob) from `offset`, the number of bytes the platform already holds,
// in parts of exactly `partSize` (the server refuses larger ones: its HTTP server holds a whole part
// before the platform streams it into the bid file).
async function uploadFrom(uploadId, envelope, partSize, offset) {
  const started = performance.now();
  const first = offset;
  let sent = offset;
  showProgress(sent, envelope.size);
  while (sent < envelope.size) {
    const length = Math.min(partSize, envelope.size - sent);
    sent = await sendPart(uploadId, sent, envelope.slice(sent, sent + length));
    const seconds = (performance.now() - started) / 1000;
    const speed = (sent - first) / Math.max(seconds, 0.001);
    const eta = (envelope.size - sent) / Math.max(speed, 1);
    showProgress(sent, envelope.size);
    $("bid-speed").textContent = `${(speed / 1048576).toFixed(1)} MB/s`;
    const left = deadline - serverNow();
    $("bid-eta").textContent = `${msg.eta} ${fmtDuration(eta * 1000)}` +
      (eta * 1000 > left ? ` — ${msg.too_slow}` : "");
  }
}

// A random id kept in this browser: bids of different companies from one device are a collusion sign
// the regulators are alerted to (实施条例 art. 40). The server stores only its SHA-256.
function deviceId() {
  try {
    let id = localStorage.getItem("bz-device-id");
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem("bz-device-id", id);
    }
    return id;
  } catch {
    return ""; // storage disabled: no device recorded
  }
}

async function finalize(uploadId) {
  status(msg.finalizing);
  // Each part's hash was checked on arrival; the signature covers every chunk (docs §5).
  const bid = await api(`/api/uploads/${uploadId}/finalize/`,
    { method: "POST", json: {}, headers: { "X-Client-Device": deviceId() } });
  await forget(slot);
  status(`${msg.accepted} ${bid.receipt_no}`);
  setTimeout(() => location.reload(), 2500);
}

async function sealAndUpload() {
  const keys = await loadKeys();
  const letter = bidLetter();
  const files = Array.from($("bid-files").files);
  if (!files.length) throw new Error(msg.choose_files);
  const sealed = await sealBid({
    bidLetter: letter, files, tenderId: page.tender.code, openingKeyPem: page.tender.opening_key_pem,
    bidderKeys: keys, onProgress: showSealingSpeed,
  });
  await forget(slot); // a new bid replaces an unfinished upload kept from before
  $("bid-resume")?.setAttribute("hidden", "");
  const upload = await api("/api/uploads/", { method: "POST", json: { tender: page.tender.id, size: sealed.size } });
  // Sealed whole onto this computer first: the upload then resumes even after a reload.
  status(msg.sealing);
  const envelope = await keepSealed(slot, upload.id, sealed, (written) => showProgress(written, sealed.size));
  status(msg.uploading);
  await uploadFrom(upload.id, envelope, upload.part_size, 0);
  await finalize(upload.id);
}

async function withButtonsDisabled(run) {
  const buttons = ["seal-upload", "resume-upload", "discard-upload"].map($).filter(Boolean);
  for (const button of buttons) button.disabled = true;
  try {
    await run();
  } catch (error) {
    status(`${msg.failed} ${reason(error)}`, false);
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

$("seal-upload")?.addEventListener("click", () => withButtonsDisabled(sealAndUpload));

// An envelope kept from an earlier visit: offer to continue from what the platform holds.
async function offerResume() {
  const box = $("bid-resume");
  if (!box) return;
  const pending = await pendingFor(slot);
  if (!pending) return;
  let state;
  try {
    state = await api(`/api/uploads/${pending.upload}/`);
  } catch (error) {
    if (error.status === 404) await forget(slot); // no such upload any more
    return; // otherwise (offline, signed out) ask again on the next visit
  }
  if (state.status !== "open") {
    await forget(slot); // finalized (the bid is listed below) or refused
    return;
  }
  $("bid-resume-text").textContent = `${msg.resume_found} ${(state.received / 1048576).toFixed(1)} / ` +
    `${(pending.size / 1048576).toFixed(1)} MB`;
  showProgress(state.received, pending.size);
  box.removeAttribute("hidden");
  $("resume-upload").addEventListener("click", () => withButtonsDisabled(async () => {
    const now = await api(`/api/uploads/${pending.upload}/`);
    status(msg.uploading);
    await uploadFrom(pending.upload, pending.file, now.part_size, now.received);
    box.setAttribute("hidden", "");
    await finalize(pending.upload);
  }));
  $("discard-upload").addEventListener("click", () => withButtonsDisabled(async () => {
    // The platform deletes what it holds too: unfinished uploads per tender are limited.
    await api(`/api/uploads/${pending.upload}/`, { method: "DELETE" }).catch(() => null);
    await forget(slot);
    box.setAttribute("hidden", "");
    showProgress(0, 1);
    status(msg.discarded);
  }));
}
offerResume();

// The self-check's result: the bid letter as the form showed it (labels, yuan), then the files.
function showLetter(out, manifest) {
  const list = document.createElement("dl");
  list.className = "terms";
  const lines = letterLines(manifest.bid_letter, page.tender.fields);
  lines.push([sealingTexts.bid_files, manifest.files.map((f) => f.name).join("、") || "—"]);
  for (const [label, value] of lines) {
    const term = document.createElement("dt");
    const detail = document.createElement("dd");
    term.textContent = label;
    detail.textContent = value;
    list.append(term, detail);
  }
  const head = document.createElement("p");
  head.textContent = msg.check_ok;
  out.replaceChildren(head, list);
  out.className = "ok";
}

for (const button of document.querySelectorAll("button[data-self-check]")) {
  button.addEventListener("click", async () => {
    const out = $(`check-${button.dataset.selfCheck}`);
    try {
      const keys = await loadKeys();
      out.textContent = msg.checking;
      const response = await fetch(`/api/bids/${button.dataset.selfCheck}/envelope/`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { manifest } = await checkOwnEnvelope(await response.blob(), keys);
      showLetter(out, manifest);
    } catch (error) {
      out.textContent = `${msg.check_failed} ${reason(error)}`;
      out.className = "errors";
    }
  });
}

for (const button of document.querySelectorAll("button[data-withdraw]")) {
  button.addEventListener("click", async () => {
    if (!confirm(msg.confirm_withdraw)) return;
    try {
      await api(`/api/bids/${button.dataset.withdraw}/withdraw/`, { method: "POST" });
      location.reload();
    } catch (error) {
      status(`${msg.failed} ${error.message}`, false);
    }
  });
}
