// Parts of the opening hall drawn from plain data, for hall.js: the presence board (who is online now,
// realtime/presence.py), the bidders who have not confirmed, each bid's decryption progress, and
// formatting. The server sends each socket the board its user may see (bidders named only from the
// opening on, 招标投标法 art. 22): this only draws it.
const $ = (id) => document.getElementById(id);
function text(node, value) { node.textContent = value ?? ""; return node; }
function li(content, cls) { const item = document.createElement("li"); text(item, content); if (cls) item.className = cls; return item; }

export function fmt(template, values) { return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? "")); }

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  const [unit, size] = n < 1048576 ? ["KB", 1024] : n < 1073741824 ? ["MB", 1048576] : ["GB", 1073741824];
  return `${(n / size).toFixed(1)} ${unit}`;
}

export function renderPresence(board, texts) {
  const names = (people) => (people.length ? people.map((p) => p.name).join("、") : texts.nobody);
  text($("hall-presence-hosts"), names(board.hosts));
  text($("hall-presence-supervisors"), names(board.supervisors));
  const keepers = board.custodians.map((c) => {
    const span = text(document.createElement("span"), `${c.name}(${c.released ? texts.share_released : texts.share_waiting})`);
    if (c.released) span.className = "released";
    return span;
  });
  $("hall-presence-custodians").replaceChildren(...(keepers.length ? keepers.flatMap((k, i) => (i ? [document.createTextNode("、"), k] : [k])) : [document.createTextNode(texts.nobody)]));
  const orgs = board.bidders.map((o) => {
    const item = li(`${o.name} · ${fmt(texts.people, { n: o.people })}${o.me ? `(${texts.my_organization})` : ""}`);
    if (o.me) item.className = "me";
    return item;
  });
  const bidders = $("hall-presence-bidders");
  const list = Object.assign(document.createElement("ul"), { className: "plain" });
  list.replaceChildren(...orgs);
  const summary = board.revealed ? fmt(texts.bidders_online, { n: board.bidder_count }) : texts.bidders_secret;
  bidders.replaceChildren(Object.assign(document.createElement("p"), { className: board.revealed ? "" : "muted", textContent: summary }), list);
}

// Bidders (by 唱标 number) whose organization has not confirmed; final once the window or the opening closed.
export function renderUnconfirmed(state, texts, status, closed) {
  const panel = $("hall-unconfirmed-panel");
  const names = state.bidder_names || [];
  panel.hidden = !(names.length && (status === "reading" || status === "closed"));
  if (panel.hidden) return;
  const confirmed = new Set(state.confirmations.filter((c) => c.kind === "confirm").map((c) => c.bidder));
  const objected = new Set(state.confirmations.filter((c) => c.kind === "objection").map((c) => c.bidder));
  text($("hall-unconfirmed-title"), closed || status === "closed" ? texts.unconfirmed_final : texts.unconfirmed);
  const rows = names.map((name, i) => ({ number: i + 1, name })).filter((b) => !confirmed.has(b.name));
  $("hall-unconfirmed").replaceChildren(...(rows.length ? rows.map((b) => {
    const item = li(`${b.number}. ${b.name}${objected.has(b.name) ? ` · ${texts.objected}` : ""}`);
    item.dataset.number = b.number;
    return item;
  }) : [li(texts.all_confirmed)]));
}

// Decryption of each bid in real units: bytes of the stored envelope read, of its size, and the rate.
export function renderProgress(state, texts) {
  const rows = Object.values(state.progress || {}).sort((a, b) => a.number - b.number);
  const done = new Set(state.results.map((r) => r.number));
  $("hall-progress-bids").replaceChildren(...rows.map((p) => {
    const item = document.createElement("li");
    item.dataset.number = p.number;
    const name = state.bidder_names?.[p.number - 1];
    item.append(text(document.createElement("span"), `${fmt(texts.progress_bid, { number: p.number })}${name ? ` · ${name}` : ""}`),
      text(document.createElement("span"), `${fmtBytes(p.bytes)} / ${fmtBytes(p.size)}`),
      text(document.createElement("span"), `${fmtBytes(p.rate)}/s`),
      text(document.createElement("span"), done.has(p.number) ? texts.progress_done : `${p.size ? Math.floor(100 * p.bytes / p.size) : 0}%`));
    return item;
  }));
}
