// The live evaluation session (docs/evaluation-session.md): one page for members, host and venue staff
// and regulators, over the docs/architecture.md §8 protocol (snapshot, numbered events, replay with last_seq, client
// message ids answered by ack/error). Every event makes the page ask for a fresh snapshot
// (`session.snapshot`), so the page never rebuilds state from events it might misread.
//
// Stable hooks for end-to-end tests (ids are unique; data-testid marks repeated elements). Panels that do
// not apply are rendered with `hidden`; those of another role are not rendered at all (regulators get none
// that act).
//   #session-header[data-role=member|host|venue_staff|regulator][data-stage=<stage>]
//   #session-connection (badge: 连接中 / 实时 / 连接中断) #session-stage (stage label) #session-countdown
//   #session-stage-bar li[data-stage].step-current | .step-done | .step-todo
//   #session-paused (banner) #session-paused-reason   #session-alert (errors without a form)
//   #session-read-only (regulators)   #session-you, #session-wait-check-in (members)
//   #presence-board section[data-venue] li[data-testid=presence-member][data-member]
//       data-checked-in / data-online / data-committed / data-leader / data-removed = "1" | "0"
//   staff:  #checkin-panel form[data-testid=checkin-form][data-member] input[data-testid=checkin-code]
//           input[data-testid=checkin-last4] button[data-testid=checkin-button] [data-testid=checkin-error]
//   host:   #pause-form #pause-reason #pause-button; #resume-row #resume-button;
//           #advance-form #advance-minutes #advance-button (check-in, qualification); #host-error
//   member: #commitment-panel #commitment-text input[data-testid=conflict][value=<bid id>] #commitment-sign
//           #commitment-done #commitment-error
//           #leader-panel #leader-round #leader-votes button[data-testid=leader-vote][data-member] #leader-error
//           #qualification-grid td[data-bid][data-criterion] input[data-testid=qualification-pass |
//           qualification-fail | qualification-reason] .cell-error; #qualification-submit
//           #qualification-locked #qualification-error
//           #score-grid input[data-testid=score-input][data-bid][data-criterion] (max = the weight; .saved
//           once acknowledged) .cell-error, td[data-testid=price-score]; #score-submit (confirm dialog)
//           #score-locked #score-returned #score-error
//           #leader-tools #leader-advance #leader-advance-error (leader: qualification, review, ranking)
//           #return-form #return-member #return-reason #return-button #return-error (leader, review)
//           #ranking-form #ranking-agree #dissent-text #dissent-button #ranking-done #ranking-error
//           #signing-row #report-sign (confirm dialog) #signing-error
//           #extension-form #extension-minutes #extension-reason #extension-request #extension-error
//           #extension-list li[data-extension] button[data-testid=extension-agree]
//           #clarify-form #clarify-bid #clarify-question #clarify-minutes #clarify-button #clarify-error
//   all:    #review-summary tr[data-testid=summary-row][data-bid] td[data-member](.flagged)
//           #ranking-table tr[data-testid=ranking-row][data-bid](.candidate) #ranking-candidates
//           #ranking-dissents p[data-testid=dissent][data-member]
//           #signing-status #report-link a#report-download
//           #bids-table tr[data-testid=bid-row][data-bid] a[data-testid=bid-file]
//           #clarification-list li[data-clarification] a[data-testid=answer-file]
//   other pages: draw page and tender page #session-open-form #session-open (staff, draw complete) or
//           #session-link a; the list /evaluation/sessions/ #session-filter #session-list
//           tr[data-testid=session-row][data-session] #session-list-empty
import { readJson } from "./api.js";

const config = readJson("session-config");
const msg = config.messages;
const $ = (id) => document.getElementById(id);
const S = { CHECK_IN: "check_in", COMMITMENTS: "commitments", LEADER: "leader", QUALIFICATION: "qualification",
  SCORING: "scoring", REVIEW: "review", RANKING: "ranking", SIGNING: "signing", CLOSED: "closed" };
const EXTENDABLE = [S.QUALIFICATION, S.SCORING, S.REVIEW, S.RANKING]; // evaluation.actions.review
const READING = [S.QUALIFICATION, S.SCORING, S.REVIEW, S.RANKING]; // evaluation/policies_documents.py
const ASKING = [S.QUALIFICATION, S.SCORING, S.REVIEW]; // evaluation.actions.clarify
let state = readJson("session-snapshot");
let lastSeq = null;
let socket = null;
let clockOffset = Date.parse(state.session.now) - Date.now();
let refreshTimer = null;
const pending = new Map();
const built = {}; // structure keys of the grids, so that re-renders keep what is being typed

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key === "cls" ? "class" : key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
const show = (id, visible) => { const node = $(id); if (node) node.hidden = !visible; };
const setText = (id, value) => { const node = $(id); if (node) node.textContent = value ?? ""; };
const fill = (template, vars) => template.replace(/%\((\w+)\)s/g, (_, k) => String(vars[k]));

function money(fen) {
  if (fen === null || fen === undefined) return "—";
  const abs = Math.abs(fen);
  return `${fen < 0 ? "-" : ""}¥${Math.floor(abs / 100).toLocaleString("zh-CN")}.${String(abs % 100).padStart(2, "0")}`;
}
function when(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—";
}

// --- who is looking, and what -------------------------------------------------------------------------

const me = () => state.me;
const mine = () => state.members.find((m) => m.id === state.me.member) || null;
const isMember = () => me().role === "member" && mine() !== null && !mine().removed;
const isLeader = () => isMember() && me().is_leader;
const active = () => state.members.filter((m) => !m.removed);
const bid = (id) => state.bids.find((b) => b.id === id);

function bidLabel(b) {
  if (!b) return "—";
  if (b.name) return state.session.anonymous && b.code ? `${b.code} · ${b.name}` : b.name;
  return `${b.code}（${msg.anonymous}）`;
}
function memberLabel(m) {
  if (!m) return "—";
  const n = state.members.indexOf(m) + 1;
  const name = m.name || fill(msg.member_n, { n });
  return m.id === me().member ? `${name}（${msg.you}）` : name;
}

// Mirrors evaluation/views_session.py `panels` (the page's first paint): element id → shown.
function panels() {
  const stage = state.session.stage;
  const member = isMember();
  const leader = isLeader();
  const m = mine();
  const host = me().role === "host";
  const afterReview = [S.REVIEW, S.RANKING, S.SIGNING, S.CLOSED];
  return {
    "checkin-panel": ["host", "venue_staff"].includes(me().role) && [S.CHECK_IN, S.COMMITMENTS].includes(stage),
    "host-panel": host && stage !== S.CLOSED,
    "pause-form": host && !state.session.paused,
    "resume-row": host && state.session.paused,
    "advance-form": host && [S.CHECK_IN, S.QUALIFICATION].includes(stage),
    "session-wait-check-in": member && !m.checked_in,
    "commitment-panel": member && stage === S.COMMITMENTS,
    "commitment-form": member && !m.committed,
    "commitment-done": member && m.committed,
    "leader-panel": member && stage === S.LEADER,
    "qualification-panel": member && stage === S.QUALIFICATION,
    "score-panel": member && (stage === S.SCORING || (stage === S.REVIEW && !m.sheet_submitted)),
    "review-panel": Boolean(state.summary) && afterReview.includes(stage),
    "return-form": leader && stage === S.REVIEW && Boolean(state.summary),
    "ranking-panel": Boolean(state.ranking) && afterReview.slice(1).includes(stage),
    "ranking-form": member && stage === S.RANKING && !m.agreed,
    "ranking-done": member && Boolean(m.agreed),
    "signing-panel": [S.SIGNING, S.CLOSED].includes(stage),
    "signing-row": member && stage === S.SIGNING && !m.signed,
    "leader-tools": leader && [S.QUALIFICATION, S.REVIEW, S.RANKING].includes(stage),
    "extension-panel": EXTENDABLE.includes(stage) || state.extensions.length > 0,
    "extension-form": member && EXTENDABLE.includes(stage),
    "clarification-panel": ["member", "host"].includes(me().role) && (READING.includes(stage) || state.clarifications.length > 0),
    "clarify-form": leader && ASKING.includes(stage),
  };
}

// --- rendering ----------------------------------------------------------------------------------------

function render() {
  const session = state.session;
  $("session-header").dataset.stage = session.stage;
  setText("session-stage", config.stages[session.stage]);
  const order = Object.keys(config.stages);
  for (const li of $("session-stage-bar").children) {
    const i = order.indexOf(li.dataset.stage);
    const current = order.indexOf(session.stage);
    li.className = i === current ? "step-current" : i < current ? "step-done" : "step-todo";
    if (i === current) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
  }
  show("session-paused", session.paused);
  setText("session-paused-reason", session.paused_reason);
  for (const [id, visible] of Object.entries(panels())) show(id, visible);
  renderPresence();
  renderBids();
  if (["host", "venue_staff"].includes(me().role)) renderCheckIn();
  if (me().role === "member") renderMember();
  renderSummary();
  renderRanking();
  renderSigning();
  renderExtensions();
  renderClarifications();
  tick();
}

function flag(on) { return on ? "1" : "0"; }

// Where a member stands in the current stage (the board shows who the committee waits for).
function progressOf(m) {
  switch (state.session.stage) {
    case S.QUALIFICATION: return m.qualification_submitted ? msg.submitted : msg.not_submitted;
    case S.SCORING: case S.REVIEW: return m.sheet_submitted ? msg.submitted : msg.not_submitted;
    case S.RANKING: return m.agreed ? msg.agreed : null;
    case S.SIGNING: case S.CLOSED: return m.signed ? msg.signed : null;
    default: return null;
  }
}

function renderPresence() {
  const groups = [...state.venues.map((v) => ({ ...v, label: `${v.name}（${v.main ? msg.main_venue : msg.sub_venue}）` }))];
  if (state.members.some((m) => !state.venues.some((v) => v.id === m.venue))) groups.push({ id: "", label: msg.no_venue });
  $("presence-board").replaceChildren(...groups.map((venue) => {
    const rows = state.members.filter((m) => (venue.id === "" ? !state.venues.some((v) => v.id === m.venue) : m.venue === venue.id));
    return el("section", { dataset: { venue: venue.id } }, el("h3", { text: venue.label }),
      el("ul", { cls: "plain presence" }, ...rows.map((m) => {
        const badges = [m.checked_in ? msg.checked_in : msg.not_checked_in, m.online ? msg.online : msg.offline];
        if (m.committed) badges.push(msg.committed);
        if (m.is_leader) badges.push(msg.leader);
        if (m.removed) badges.push(msg.removed);
        const progress = progressOf(m);
        if (progress) badges.push(progress);
        return el("li", { "data-testid": "presence-member", cls: m.online ? "online" : "offline",
          dataset: { member: m.id, checkedIn: flag(m.checked_in), online: flag(m.online), committed: flag(m.committed),
            leader: flag(m.is_leader), removed: flag(m.removed) } },
        el("span", { cls: "dot", "aria-hidden": "true" }), `${memberLabel(m)} · ${badges.join(" · ")}`);
      })));
  }));
}

function renderBids() {
  $("bids-table").querySelector("tbody").replaceChildren(...state.bids.map((b) => {
    const qualification = b.qualified === null ? msg.pending : b.qualified ? msg.qualified
      : `${msg.not_qualified}：${b.fail_reasons.map((f) => `${state.qualification_criteria[f.criterion]?.name ?? f.criterion}（${f.reasons.join("；")}）`).join("；")}`;
    // Members read the decrypted bids while they examine them (evaluation/policies_documents.py).
    const linked = me().role === "host" || READING.includes(state.session.stage);
    const files = b.files.length ? b.files.map((f) => (linked
      ? el("a", { href: config.file_url.replace("{id}", f.id), "data-testid": "bid-file", text: f.name })
      : el("span", { text: f.name }))) : ["—"];
    const filesCell = el("td");
    files.forEach((f, i) => filesCell.append(...(i ? [el("br"), f] : [f])));
    return el("tr", { "data-testid": "bid-row", dataset: { bid: b.id } }, el("td", { text: bidLabel(b) }),
      el("td", { text: money(b.price_fen) }), el("td", { cls: b.qualified === false ? "errors" : "", text: qualification }),
      el("td", { text: b.price_score ?? "—" }), filesCell);
  }));
}

function renderCheckIn() {
  const waiting = state.members.filter((m) => !m.checked_in && !m.removed && m.id_last4_needed);
  const key = waiting.map((m) => m.id).join(",");
  if (built.checkin === key) return;
  built.checkin = key;
  $("checkin-forms").replaceChildren(...(waiting.length ? waiting.map((m) => {
    const venue = state.venues.find((v) => v.id === m.venue);
    const error = el("p", { cls: "errors form-error", "data-testid": "checkin-error", role: "alert" });
    const form = el("form", { cls: "form checkin", novalidate: true, "data-testid": "checkin-form", dataset: { member: m.id } },
      el("h3", { text: `${memberLabel(m)}${venue ? ` · ${venue.name}` : ""}` }),
      el("label", {}, msg.code, el("input", { name: "code", "data-testid": "checkin-code", autocomplete: "off", maxlength: "12" })),
      el("label", {}, msg.id_last4, el("input", { name: "id_last4", "data-testid": "checkin-last4", autocomplete: "off", maxlength: "4" })),
      el("button", { type: "submit", cls: "primary", "data-testid": "checkin-button", text: msg.check_in }), error);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const code = form.elements.code.value.trim();
      const last4 = form.elements.id_last4.value.trim().toUpperCase();
      if (!code) return say(error, msg.bad_code);
      if (!/^[0-9]{3}[0-9X]$/.test(last4)) return say(error, msg.bad_last4);
      act(error, "session.check_in", { member: m.id, code, id_last4: last4 });
    });
    return form;
  }) : [el("p", { cls: "muted", text: msg.nothing })]));
}

// --- the member's own sheets ----------------------------------------------------------------------------

function renderMember() {
  const m = mine();
  if (!m) return;
  // Commitment: a box per bid
  if (!built.conflicts) {
    built.conflicts = true;
    $("commitment-conflicts").replaceChildren(...state.bids.map((b) => el("label", { cls: "inline-check" },
      el("input", { type: "checkbox", name: "conflict", value: b.id, "data-testid": "conflict" }), ` ${bidLabel(b)}`)));
  }
  // Leader election
  const votes = state.leader_votes || { cast: 0, of: active().length };
  setText("leader-round", state.session.leader_round);
  setText("leader-votes", `${votes.cast} / ${votes.of}`);
  const ids = state.session.leader_candidates.length ? state.session.leader_candidates : active().map((x) => x.id);
  const candidates = ids.map((id) => state.members.find((x) => x.id === id)).filter(Boolean);
  const voted = votes.mine ?? null;
  const key = `${state.session.leader_round}:${ids.join(",")}:${candidates.map((c) => c.name).join(",")}:${voted}`;
  if (built.leader !== key) {
    built.leader = key;
    $("leader-candidates").replaceChildren(...candidates.map((c) => el("li", { cls: c.id === voted ? "chosen" : "" },
      `${memberLabel(c)} `, voted === null
        ? el("button", { type: "button", "data-testid": "leader-vote", dataset: { member: c.id }, text: msg.vote,
          onclick: () => act($("leader-error"), "leader.vote", { member: c.id }) })
        : c.id === voted ? el("strong", { text: `✔ ${msg.voted}` }) : null)));
  }
  renderQualification(m);
  renderScores(m);
  const returnable = active().filter((x) => x.sheet_submitted);
  const select = $("return-member");
  const returnKey = returnable.map((x) => x.id).join(",");
  if (select && built.returnable !== returnKey) {
    built.returnable = returnKey;
    select.replaceChildren(...returnable.map((x) => el("option", { value: x.id, text: memberLabel(x) })));
  }
  const clarifyBid = $("clarify-bid");
  if (clarifyBid && !built.clarifyBids) {
    built.clarifyBids = true;
    clarifyBid.replaceChildren(...state.bids.map((b) => el("option", { value: b.id, text: bidLabel(b) })));
  }
}

function syncInputs(selector, value) {
  for (const input of document.querySelectorAll(selector)) {
    if (document.activeElement === input || input.dataset.dirty) continue;
    value(input);
  }
}

function renderQualification(m) {
  const criteria = state.qualification_criteria;
  const locked = Boolean(m.qualification_submitted);
  const key = `${state.bids.map((b) => b.id)}|${criteria.length}|${locked}|${state.bids.map(bidLabel)}`;
  const votes = state.mine?.qualification || {};
  if (built.qualification !== key) {
    built.qualification = key;
    const grid = $("qualification-grid");
    grid.tHead.replaceChildren(el("tr", {}, el("th", { text: msg.bidder }), ...criteria.map((c) => el("th", { text: c.name }))));
    grid.tBodies[0].replaceChildren(...state.bids.map((b) => el("tr", { dataset: { bid: b.id } }, el("th", { text: bidLabel(b) }),
      ...criteria.map((c) => qualificationCell(b, c, locked)))));
  }
  for (const cell of document.querySelectorAll("#qualification-grid td[data-bid]")) {
    const vote = votes[cell.dataset.bid]?.[cell.dataset.criterion];
    const [pass, fail, reason] = ["qualification-pass", "qualification-fail", "qualification-reason"]
      .map((t) => cell.querySelector(`[data-testid=${t}]`));
    if (!vote || cell.contains(document.activeElement) || reason.dataset.dirty) continue;
    pass.checked = vote.passed === true;
    fail.checked = vote.passed === false;
    reason.value = vote.reason || "";
    reason.hidden = vote.passed !== false;
  }
  show("qualification-locked", locked);
  show("qualification-submit", !locked);
}

function qualificationCell(b, c, locked) {
  const name = `q-${b.id}-${c.index}`;
  const error = el("span", { cls: "errors cell-error", role: "alert" });
  const reason = el("input", { type: "text", "data-testid": "qualification-reason", placeholder: msg.fail_reason,
    "aria-label": msg.fail_reason, maxlength: "300", disabled: locked, hidden: true });
  const radio = (passed) => el("input", { type: "radio", name, value: passed ? "pass" : "fail", disabled: locked,
    "data-testid": passed ? "qualification-pass" : "qualification-fail" });
  const pass = radio(true);
  const fail = radio(false);
  const vote = () => {
    if (fail.checked && !reason.value.trim()) { reason.hidden = false; reason.focus(); return say(error, msg.reason_required); }
    reason.dataset.dirty = "1";
    act(error, "qualification.vote", { bid: b.id, criterion: c.index, passed: pass.checked,
      reason: fail.checked ? reason.value.trim() : "" }).then(() => delete reason.dataset.dirty);
  };
  pass.addEventListener("change", vote);
  fail.addEventListener("change", () => { reason.hidden = false; if (reason.value.trim()) vote(); else reason.focus(); });
  reason.addEventListener("change", () => { if (fail.checked) vote(); });
  return el("td", { dataset: { bid: b.id, criterion: c.index } },
    el("label", { cls: "inline-check" }, pass, ` ${msg.pass}`), el("label", { cls: "inline-check" }, fail, ` ${msg.fail}`),
    reason, error);
}

const POINTS = /^\d{1,3}(\.\d{1,2})?$/;

function renderScores(m) {
  const locked = Boolean(m.sheet_submitted);
  const rows = state.bids.filter((b) => b.qualified !== false);
  const key = `${rows.map((b) => b.id)}|${state.criteria.length}|${locked}|${rows.map(bidLabel)}`;
  if (built.scores !== key) {
    built.scores = key;
    const grid = $("score-grid");
    grid.tHead.replaceChildren(el("tr", {}, el("th", { text: msg.bidder }),
      ...state.criteria.map((c) => el("th", { text: `${c.name}（${c.weight}）` }))));
    grid.tBodies[0].replaceChildren(...rows.map((b) => el("tr", { dataset: { bid: b.id } }, el("th", { text: bidLabel(b) }),
      ...state.criteria.map((c) => scoreCell(b, c, locked)))));
  }
  const scores = state.mine?.scores || {};
  syncInputs("#score-grid input[data-testid=score-input]", (input) => {
    input.value = scores[input.dataset.bid]?.[input.dataset.criterion] ?? "";
  });
  for (const cell of document.querySelectorAll("#score-grid td[data-testid=price-score]")) {
    cell.textContent = bid(Number(cell.dataset.bid))?.price_score ?? "—";
  }
  show("score-locked", locked);
  show("score-submit", !locked);
  const returned = !locked && m.returned_reason;
  show("score-returned", Boolean(returned));
  setText("score-returned", returned ? `${msg.returned} ${m.returned_reason}` : "");
}

function scoreCell(b, c, locked) {
  if (c.kind === "price") {
    return el("td", { "data-testid": "price-score", dataset: { bid: b.id, criterion: c.index }, title: msg.price_computed,
      text: b.price_score ?? "—" });
  }
  const error = el("span", { cls: "errors cell-error", role: "alert" });
  const input = el("input", { type: "number", min: "0", max: String(c.weight), step: "0.01", inputmode: "decimal",
    "data-testid": "score-input", dataset: { bid: b.id, criterion: c.index }, "aria-label": `${bidLabel(b)} · ${c.name}`,
    disabled: locked });
  input.addEventListener("input", () => { input.dataset.dirty = "1"; input.classList.remove("saved"); });
  input.addEventListener("change", () => {
    const text = input.value.trim();
    if (!POINTS.test(text) || Number(text) > Number(c.weight)) return say(error, fill(msg.bad_points, { max: c.weight }));
    act(error, "score.set", { bid: b.id, criterion: c.index, points: text }).then((reply) => {
      if (reply.type === "ack") { delete input.dataset.dirty; input.classList.add("saved"); }
    });
  });
  return el("td", { dataset: { bid: b.id, criterion: c.index } }, input, error);
}

// --- what the committee, staff and regulators read ---------------------------------------------------------

function renderSummary() {
  const summary = state.summary;
  if (!summary) return;
  const members = active();
  $("review-summary").tHead.replaceChildren(el("tr", {}, el("th", { text: msg.bidder }), el("th", { text: msg.mean }),
    ...members.map((m) => el("th", { text: memberLabel(m) }))));
  $("review-summary").tBodies[0].replaceChildren(...summary.bids.map((row) => {
    const flags = row.flags || [];
    return el("tr", { "data-testid": "summary-row", dataset: { bid: row.bid }, cls: flags.length ? "flagged-row" : "" },
      el("th", { text: bidLabel(bid(row.bid)) }), el("td", { text: row.mean }),
      ...members.map((m) => {
        const mine = flags.filter((f) => f.member === m.id);
        const title = mine.map((f) => `${state.criteria[f.criterion]?.name ?? f.criterion}: ${f.points}（${msg.mean} ${f.mean}）`).join("；");
        return el("td", { dataset: { member: m.id }, cls: mine.length ? "flagged" : "", title: mine.length ? `${msg.flagged}：${title}` : null,
          text: row.totals[m.id] ?? "—" });
      }));
  }));
}

function renderRanking() {
  const ranking = state.ranking;
  if (!ranking) return;
  const candidates = new Set(ranking.candidates);
  $("ranking-table").tHead.replaceChildren(el("tr", {}, ...[msg.rank, msg.bidder, msg.score, msg.price, msg.evaluated_price]
    .map((t) => el("th", { text: t }))));
  $("ranking-table").tBodies[0].replaceChildren(...ranking.order.map((r) => el("tr", { "data-testid": "ranking-row",
    dataset: { bid: r.bid }, cls: candidates.has(r.bid) ? "candidate" : "" },
  el("td", { text: r.rank }), el("td", { text: bidLabel(bid(r.bid)) }), el("td", { text: r.score ?? "—" }),
  el("td", { text: money(r.price_fen) }), el("td", { text: money(r.evaluated_price_fen) }))));
  setText("ranking-candidates", `${msg.candidates}：${ranking.candidates.map((id) => bidLabel(bid(id))).join("、") || "—"}`);
  const dissents = state.members.filter((m) => m.dissent);
  $("ranking-dissents").replaceChildren(...(dissents.length ? [el("h3", { text: msg.dissents }),
    ...dissents.map((m) => el("p", { "data-testid": "dissent", dataset: { member: m.id } }, el("strong", { text: memberLabel(m) }), `：${m.dissent}`))] : []));
}

function renderSigning() {
  const members = active();
  setText("signing-status", `${msg.signed}: ${members.filter((m) => m.signed).length} / ${members.length}`);
  const report = state.session.report;
  if (report) {
    $("report-link").replaceChildren(`${msg.record_ready} `, el("a", { id: "report-download",
      href: config.record_url.replace("{id}", report), text: msg.download }));
  } else if (state.session.report_error) {
    setText("report-link", `${msg.report_error} ${state.session.report_error}`);
  } else {
    setText("report-link", state.session.stage === S.SIGNING && members.every((m) => m.signed) ? msg.report_pending : "");
  }
  // The host runs the report again after a failure (evaluation.actions.report.retry_report).
  if ($("report-retry-row")) $("report-retry-row").hidden = Boolean(report) || !state.session.report_error;
}

function renderExtensions() {
  const list = state.extensions;
  $("extension-list").replaceChildren(...(list.length ? list.map((x) => {
    const status = x.granted ? msg.granted : fill(msg.extension_progress, { agreed: x.agreed, needed: x.needed });
    const item = el("li", { dataset: { extension: x.id } }, `${x.minutes}′ · ${x.reason} · ${status} `);
    if (isMember() && !x.granted && !x.mine && EXTENDABLE.includes(state.session.stage)) {
      const error = el("span", { cls: "errors form-error", role: "alert" });
      item.append(el("button", { type: "button", "data-testid": "extension-agree", text: msg.agree,
        onclick: () => act(error, "extension.agree", { extension: x.id }) }), error);
    }
    return item;
  }) : [el("li", { cls: "muted", text: msg.nothing })]));
}

function renderClarifications() {
  const list = state.clarifications;
  $("clarification-list").replaceChildren(...(list.length ? list.map((c) => el("li", { dataset: { clarification: c.id } },
    el("strong", { text: bidLabel(bid(c.bid)) }), ` · ${c.question} · ${msg.by_deadline} ${when(c.deadline)}`, el("br"),
    c.answer ? `${msg.answer}（${msg.answered_at} ${when(c.answered_at)}）：${c.answer}` : el("span", { cls: "muted", text: msg.no_answer }),
    c.file ? el("span", {}, " · ", el("a", { href: config.answer_file_url.replace("{id}", c.id), "data-testid": "answer-file",
      text: c.file })) : null))
    : [el("li", { cls: "muted", text: msg.nothing })]));
}

// --- the socket ---------------------------------------------------------------------------------------------

function say(node, text) { if (node) { node.textContent = text; node.hidden = false; } }

function explain(reply) {
  const data = reply.data || {};
  return data.detail || config.errors[data.code || reply.code] || data.code || reply.code;
}

// Sends one message; an error is shown in `errorNode` (next to its form); resolves with the reply.
function act(errorNode, type, data = {}) {
  if (errorNode) errorNode.textContent = "";
  return send(type, data).then((reply) => {
    if (reply.type === "error") say(errorNode || $("session-alert"), explain(reply));
    else refresh();
    return reply;
  });
}

function send(type, data = {}) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve({ type: "error", data: { detail: msg.reconnecting } });
  const id = crypto.randomUUID();
  return new Promise((resolve) => { pending.set(id, resolve); socket.send(JSON.stringify({ id, type, data })); });
}

function takeSnapshot(snapshot) {
  state = snapshot;
  clockOffset = Date.parse(state.session.now) - Date.now();
  render();
}

// Events say that something changed: ask for the whole picture, once for a burst of events.
function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => send("session.snapshot").then((reply) => {
    if (reply.type === "ack" && reply.data?.snapshot) takeSnapshot(reply.data.snapshot);
  }), 150);
}

function onMessage(message) {
  const event = JSON.parse(message.data);
  if (event.type === "ack" || event.type === "error") {
    const done = pending.get(event.id);
    pending.delete(event.id);
    if (done) done(event); else if (event.type === "error") say($("session-alert"), explain(event));
    return;
  }
  if (event.type === "snapshot") {
    lastSeq = event.seq;
    takeSnapshot(event.data);
    return;
  }
  if (lastSeq !== null && event.seq <= lastSeq) return; // already seen
  lastSeq = event.seq;
  refresh();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${config.ws}${lastSeq === null ? "" : `?last_seq=${lastSeq}`}`);
  setText("session-connection", msg.connecting);
  socket.onopen = () => setText("session-connection", msg.live);
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    for (const done of pending.values()) done({ type: "error", data: { detail: msg.reconnecting } });
    pending.clear();
    if (event.code === 4403) { setText("session-connection", msg.refused); return; }
    setText("session-connection", msg.reconnecting);
    setTimeout(connect, 1500);
  };
}

function tick() {
  const deadline = state.session.deadline;
  if (!deadline || state.session.stage === S.CLOSED) { setText("session-countdown", msg.no_deadline); return; }
  const left = Date.parse(deadline) - (Date.now() + clockOffset);
  if (left <= 0) { setText("session-countdown", msg.overdue); return; }
  const s = Math.floor(left / 1000);
  setText("session-countdown", `${msg.deadline} ${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`);
}

// --- forms ---------------------------------------------------------------------------------------------------

function onSubmit(id, handler) { const form = $(id); if (form) form.addEventListener("submit", (e) => { e.preventDefault(); handler(form); }); }
function onClick(id, handler) { const node = $(id); if (node) node.addEventListener("click", handler); }
function minutes(input, low = 1, high = 600) {
  const text = input.value.trim();
  return /^\d{1,4}$/.test(text) && Number(text) >= low && Number(text) <= high ? Number(text) : null;
}

onSubmit("pause-form", () => {
  const reason = $("pause-reason").value.trim();
  if (!reason) return say($("host-error"), msg.pause_reason);
  act($("host-error"), "session.pause", { reason }).then((r) => { if (r.type === "ack") $("pause-reason").value = ""; });
});
onClick("resume-button", () => act($("host-error"), "session.resume"));
onSubmit("advance-form", () => {
  const text = $("advance-minutes").value.trim();
  const value = text ? minutes($("advance-minutes")) : undefined;
  if (value === null) return say($("host-error"), msg.bad_minutes);
  act($("host-error"), "session.advance", value ? { minutes: value } : {});
});
onClick("leader-advance", () => act($("leader-advance-error"), "session.advance"));
onSubmit("commitment-form", (form) => {
  const conflicts = [...form.querySelectorAll("input[name=conflict]:checked")].map((box) => Number(box.value));
  if (conflicts.length && !window.confirm(msg.confirm_conflict)) return;
  act($("commitment-error"), "commitment.sign", { conflicts });
});
onClick("qualification-submit", () => act($("qualification-error"), "qualification.submit"));
onClick("score-submit", () => { if (window.confirm(msg.confirm_submit)) act($("score-error"), "sheet.submit"); });
onSubmit("return-form", () => {
  const reason = $("return-reason").value.trim();
  if (!reason) return say($("return-error"), msg.reason_missing);
  act($("return-error"), "sheet.return", { member: Number($("return-member").value), reason })
    .then((r) => { if (r.type === "ack") $("return-reason").value = ""; });
});
onClick("ranking-agree", () => act($("ranking-error"), "ranking.agree"));
onClick("dissent-button", () => {
  const text = $("dissent-text").value.trim();
  if (!text) return say($("ranking-error"), msg.dissent_required);
  act($("ranking-error"), "ranking.dissent", { text });
});
onClick("report-retry", () => act($("report-retry-error"), "report.retry"));
onClick("report-sign", () => { if (window.confirm(msg.confirm_sign)) act($("signing-error"), "report.sign"); });
onSubmit("extension-form", () => {
  const value = minutes($("extension-minutes"));
  const reason = $("extension-reason").value.trim();
  if (value === null) return say($("extension-error"), msg.bad_minutes);
  if (!reason) return say($("extension-error"), msg.reason_missing);
  act($("extension-error"), "extension.request", { minutes: value, reason })
    .then((r) => { if (r.type === "ack") $("extension-reason").value = ""; });
});
onSubmit("clarify-form", () => {
  const value = minutes($("clarify-minutes"), 10, 1440);
  const question = $("clarify-question").value.trim();
  if (!question) return say($("clarify-error"), msg.question_required);
  if (value === null) return say($("clarify-error"), msg.bad_answer_minutes);
  act($("clarify-error"), "clarification.ask", { bid: Number($("clarify-bid").value), question, minutes: value })
    .then((r) => { if (r.type === "ack") $("clarify-question").value = ""; });
});

render();
connect();
setInterval(tick, 1000);
