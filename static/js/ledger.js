// Live tail of the trading log (docs/architecture.md §8 protocol): snapshot, then entries; reconnects with last_seq,
// and the server replays everything missed since (the snapshot, then `ledger.replay` pages).
const status = document.getElementById("live-status");
const body = document.querySelector("#ledger-table tbody");
let lastSeq = null;

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function addRow(entry) {
  if (lastSeq !== null && entry.seq <= lastSeq) return;
  lastSeq = entry.seq;
  const empty = body.querySelector("tr.empty");
  if (empty) empty.remove();
  const tr = document.createElement("tr");
  tr.className = "fresh";
  tr.dataset.seq = entry.seq;
  const time = new Date(entry.time).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  [entry.seq, time, entry.actor, entry.region, entry.tender].forEach((v) => tr.appendChild(cell(String(v ?? ""))));
  tr.appendChild(cell(entry.action, "mono"));
  tr.appendChild(cell(entry.hash.slice(0, 16) + "…", "mono hash"));
  body.prepend(tr);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = lastSeq === null ? "" : `?last_seq=${lastSeq}`;
  const socket = new WebSocket(`${scheme}://${location.host}${status.dataset.ws}${query}`);
  socket.onopen = () => { status.textContent = status.dataset.live || "●"; status.dataset.state = "live"; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "snapshot") {
      if (lastSeq === null) lastSeq = Math.max(0, ...Array.from(body.querySelectorAll("tr[data-seq]"), (r) => +r.dataset.seq), firstSeq());
      event.data.entries.forEach(addRow);
    } else if (event.type === "ledger.replay") {
      // The rest of what was missed while disconnected, page by page, oldest first (after the snapshot).
      event.data.entries.forEach(addRow);
    } else if (event.type === "ledger.entry") {
      addRow(event.data);
    }
  };
  socket.onclose = (event) => {
    status.dataset.state = "closed";
    if (event.code !== 4403) setTimeout(connect, 2000); // 4403: not allowed, do not retry
  };
}

function firstSeq() {
  const first = body.querySelector("tr td");
  return first ? Number(first.textContent) || 0 : 0;
}

connect();
