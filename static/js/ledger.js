// Live tail of the trading log (docs/architecture.md §8 protocol): snapshot, then entries; reconnects with last_seq,
// and the server replays everything missed since (the snapshot, then `ledger.replay` pages).
// The socket only says that entries arrived: when one matches the console's filter, the tail asks the console
// for the entries after the last one it read (`?<filter>&after=N`), rendered as sentences and filtered by the
// server, and puts them on top. Only the first page is live; older pages stay as they are.
const status = document.getElementById("live-status");
const list = document.getElementById("ledger-entries");
const filter = {
  action: status.dataset.filterAction || "",
  region: status.dataset.filterRegion || "",
  tender: status.dataset.filterTender || "",
};
let socketSeq = null; // the last entry the socket told us about (for last_seq on reconnect)
let shownThrough = Number(status.dataset.head) || 0; // the console has read the log up to here
let fetching = false;
let again = false;

function matches(entry) {
  return (!filter.action || entry.action.startsWith(filter.action))
    && (!filter.region || entry.region === filter.region)
    && (!filter.tender || entry.tender === filter.tender);
}

async function fetchNew() {
  if (fetching) { again = true; return; }
  fetching = true;
  try {
    do {
      again = false;
      const query = status.dataset.query ? `${status.dataset.query}&` : "";
      const response = await fetch(`?${query}after=${shownThrough}`, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const through = Number(response.headers.get("X-Ledger-Through"));
      const html = (await response.text()).trim();
      if (html) {
        const empty = list.querySelector("li.empty");
        if (empty) empty.remove();
        const holder = document.createElement("ul");
        holder.innerHTML = html; // rendered and escaped by the server's template
        const items = Array.from(holder.children).filter((li) => +li.dataset.seq > shownThrough);
        items.forEach((li) => li.classList.add("fresh"));
        list.prepend(...items);
      }
      if (through > shownThrough) {
        again = again || through < (socketSeq ?? 0);
        shownThrough = through;
      }
    } while (again);
  } finally {
    fetching = false;
  }
}

function received(entries) {
  if (!entries.length) return;
  socketSeq = Math.max(socketSeq ?? 0, ...entries.map((e) => e.seq));
  if (status.dataset.tail && entries.some((e) => e.seq > shownThrough && matches(e))) fetchNew();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = socketSeq === null ? `?last_seq=${shownThrough}` : `?last_seq=${socketSeq}`;
  const socket = new WebSocket(`${scheme}://${location.host}${status.dataset.ws}${query}`);
  socket.onopen = () => { status.textContent = status.dataset.live || "●"; status.dataset.state = "live"; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "snapshot" || event.type === "ledger.replay") {
      received(event.data.entries);
    } else if (event.type === "ledger.entry") {
      received([event.data]);
    }
  };
  socket.onclose = (event) => {
    status.dataset.state = "closed";
    if (event.code !== 4403) setTimeout(connect, 2000); // 4403: not allowed, do not retry
  };
}

connect();
