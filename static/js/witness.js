// The regulator's console as a witness of the trading log (docs/trading-log.md): fetch the latest signed
// tree head, check with a consistency proof (RFC 9162 §2.1.4.2, WebCrypto SHA-256) that it extends every
// head this regulator co-signed before (the platform's record and this browser's own memory), then
// co-sign it. A head that does not extend them is a rolled-back or forked log: warn, do not co-sign.
import { api } from "./api.js";

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text) => Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));

async function nodeHash(left, right) {
  const data = new Uint8Array(1 + left.length + right.length);
  data[0] = 1;
  data.set(left, 1);
  data.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

// Sizes as BigInt: JavaScript's bit operators stop at 32 bits.
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  let fn = BigInt(first), sn = BigInt(second);
  if (fn < 1n || fn > sn) return false;
  if (fn === sn) return proof.length === 0 && firstRoot === secondRoot;
  if (proof.length === 0) return false;
  const path = proof.map(unhex);
  if ((fn & (fn - 1n)) === 0n) path.unshift(unhex(firstRoot));
  fn -= 1n;
  sn -= 1n;
  while (fn & 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && hex(fr) === firstRoot && hex(sr) === secondRoot;
}

async function extendsPrior(panel, prior, latest) {
  if (prior.size > latest.tree_size) return false;
  if (prior.size === latest.tree_size) return prior.root === latest.root_hash;
  const proof = await api(`${panel.dataset.proofUrl}?from=${prior.size}&to=${latest.tree_size}`);
  return verifyConsistency(prior.size, latest.tree_size, prior.root, latest.root_hash, proof.consistency_path);
}

async function witness(panel) {
  const status = panel.querySelector("#witness-status");
  const say = (text) => { status.textContent = text; };
  const alarm = (text) => {
    panel.querySelector("#witness-server-warning")?.remove(); // this browser's own finding replaces the server's
    const p = Object.assign(document.createElement("p"), { id: "witness-alarm", className: "errors", textContent: text });
    p.setAttribute("role", "alert");
    panel.append(p);
    say("");
  };
  say(panel.dataset.msgChecking);
  let latest;
  try {
    latest = await api(panel.dataset.sthUrl);
  } catch {
    say(panel.dataset.msgNoHead);
    return;
  }
  const memory = `bz-witness-${panel.dataset.user}`;
  const priors = [];
  if (panel.dataset.lastSize) priors.push({ size: Number(panel.dataset.lastSize), root: panel.dataset.lastRoot });
  const remembered = JSON.parse(localStorage.getItem(memory) || "null");
  if (remembered && !priors.some((p) => p.size === remembered.size && p.root === remembered.root)) priors.push(remembered);
  for (const prior of priors) {
    if (!(await extendsPrior(panel, prior, latest))) {
      alarm(panel.dataset.msgWarning.replace("%(last)s", prior.size).replace("%(size)s", latest.tree_size));
      return;
    }
  }
  const done = () => {
    localStorage.setItem(memory, JSON.stringify({ size: latest.tree_size, root: latest.root_hash }));
    say(panel.dataset.msgCosigned.replace("%(size)s", latest.tree_size));
  };
  if (Number(panel.dataset.lastSize) === latest.tree_size) return done(); // co-signed already
  try {
    await api(panel.dataset.cosignUrl, { method: "POST", json: { tree_size: latest.tree_size, root_hash: latest.root_hash } });
    done();
  } catch (err) {
    if (err.status === 409) alarm(err.message);
    else say(panel.dataset.msgFailed);
  }
}

const panel = typeof document === "undefined" ? null : document.getElementById("witness");
if (panel && panel.dataset.witness) witness(panel);
