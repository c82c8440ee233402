// Sealed bids (sealed-bid/1) in the browser, with WebCrypto only: keys, key files, sealing, self-check,
// custodian shares. Same format as sealedbid/*.py; the contract is docs/sealed-bid-format.md.
// Large files are read 1 MiB slice by slice (Blob.slice), so a gigabyte bid never sits in memory.

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a byte order mark stays in the text (and then
// fails canonical JSON), as in Python, instead of being silently dropped (docs §2: no byte order mark).
const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const FORMAT = "sealed-bid/1";
export const KEY_FILE_FORMAT = "sealed-bid-key/1";
export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const MIN_ITERATIONS = 600000;
const MAGIC = utf8.encode("sealed-bid/1\n");
const MIN_CHUNK_SIZE = 1 << 10;
const MAX_CHUNK_SIZE = 1 << 24;
const MAX_HEADER_SIZE = 1 << 16;
const MAX_MANIFEST_SIZE = 1 << 20;
const MAX_PLAINTEXT_SIZE = 2 ** 40;
const MAX_FILES = 1000;
const MAX_TENDER_ID_BYTES = 200;
const SALT_SIZE = 16;
const FILE_NONCE_SIZE = 12;
const TAG_SIZE = 16;
const SIGNATURE_SIZE = 64;
const WRAPPED_KEY_SIZE = 384;
const SHARE_SIZE = 33;
const RSA_OAEP = { name: "RSA-OAEP", hash: "SHA-256" };
const ECDSA_KEY = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SIGN = { name: "ECDSA", hash: "SHA-256" };
const HEADER_FIELDS = [
  "bidder_encryption_key_fingerprint", "bidder_signing_key", "bidder_signing_key_fingerprint", "bidder_wrapped_key",
  "chunk_count", "chunk_size", "format", "nonce_prefix", "opening_key_fingerprint", "opening_wrapped_key",
  "plaintext_size", "tender_id",
];

/**
 * Every failure carries a stable `code`, the same codes as the Python side (docs §8). Key file errors
 * also carry `given`: what the file the person chose is (see describeFile), so a page can name it.
 */
export class SealingError extends Error {
  constructor(code, message, given = null) {
    super(`${code}: ${message}`);
    this.code = code;
    this.given = given;
  }
}

/** docs §3.1: tender_id is 1 to 200 bytes of UTF-8 (not UTF-16 units, not code points). */
export function validTenderId(value) {
  if (typeof value !== "string" || !value.isWellFormed()) return false;
  const length = utf8.encode(value).length;
  return length >= 1 && length <= MAX_TENDER_ID_BYTES;
}

/**
 * What a file chosen as a key file really is, so that an error can say so: "bidder_key", "custodian_key",
 * "envelope" (a sealed bid), "opening_key_record", "receipt", "pem" (a public or private key in PEM),
 * "json" (some other JSON), "empty" or "other".
 */
export function describeFile(text) {
  if (typeof text !== "string" || !text.trim()) return "empty";
  if (text.startsWith("sealed-bid/1\n")) return "envelope";
  if (/^\s*-----BEGIN [A-Z ]+-----/.test(text)) return "pem";
  let doc;
  try { doc = JSON.parse(text); } catch { return "other"; }
  if (doc && doc.format === KEY_FILE_FORMAT && KEY_PARTS[doc.kind] && Object.hasOwn(KEY_PARTS, doc.kind)) {
    return `${doc.kind}_key`;
  }
  if (doc && doc.format === "sealed-bid-opening-key/1") return "opening_key_record";
  if (doc && typeof doc.format === "string" && doc.format.startsWith("bid-receipt")) return "receipt";
  return "json";
}

// --- bytes, base64, hex, canonical JSON --------------------------------------------------------------

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Strict base64, as the Python side: padding required, one spelling per value. */
export function fromBase64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    throw new SealingError("bad_base64", "invalid base64");
  }
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) throw new SealingError("bad_base64", "non-canonical base64");
  return bytes;
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));
export const sha256Hex = async (bytes) => toHex(await sha256(bytes));

function u32(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; }
function u64(n) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; }
const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// Python sorts keys by code point; JavaScript's default sort is by UTF-16 unit, which differs above U+FFFF.
function byCodePoint(a, b) {
  const x = Array.from(a), y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

/** Canonical JSON (docs §2): sorted keys, no white space, UTF-8, integers only. Equals ledger.canonical. */
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError("canonical JSON takes integers within ±(2^53 − 1) only");
    return String(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new TypeError("lone surrogate in a string");
    return JSON.stringify(value); // the same escapes as Python's json.dumps(ensure_ascii=False)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort(byCodePoint);
    return `{${keys.map((k) => `${canonicalJson(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON cannot hold ${typeof value}`);
}

const canonicalBytes = (value) => utf8.encode(canonicalJson(value));

function parseCanonical(bytes, code, what) {
  try {
    const text = fromUtf8.decode(bytes);
    const value = JSON.parse(text);
    // A round trip catches floats, big integers, duplicate keys and every other second spelling.
    if (canonicalJson(value) !== text) throw new Error("not canonical JSON");
    return value;
  } catch (error) {
    throw new SealingError(code, `${what}: ${error.message}`);
  }
}

// --- keys ---------------------------------------------------------------------------------------------

export function pemToDer(pem) {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");
  return fromBase64(body);
}

export function derToPem(der, label = "PUBLIC KEY") {
  const lines = toBase64(der).match(/.{1,64}/g).join("\n");
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----`;
}

/** SHA-256 of the SPKI DER, lowercase hex: the fingerprint used everywhere in the format. */
export const fingerprint = (spki) => sha256Hex(spki);

async function describe(privateKey, publicKey) {
  const spki = new Uint8Array(await subtle.exportKey("spki", publicKey));
  return { privateKey, publicKey, spki, fingerprint: await fingerprint(spki), pem: derToPem(spki) };
}

const RSA_GEN = { ...RSA_OAEP, modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]) };

export async function generateBidderKeys() {
  const signing = await subtle.generateKey(ECDSA_KEY, true, ["sign", "verify"]);
  const encryption = await subtle.generateKey(RSA_GEN, true, ["encrypt", "decrypt"]);
  return {
    kind: "bidder",
    signing: await describe(signing.privateKey, signing.publicKey),
    encryption: await describe(encryption.privateKey, encryption.publicKey),
  };
}

export async function generateCustodianKeys() {
  const encryption = await subtle.generateKey(RSA_GEN, true, ["encrypt", "decrypt"]);
  return { kind: "custodian", encryption: await describe(encryption.privateKey, encryption.publicKey) };
}

async function rsaPublicFromSpki(spki) {
  return checkRsa(await subtle.importKey("spki", spki, RSA_OAEP, true, ["encrypt"]));
}

async function checkRsa(key) {
  const jwk = await subtle.exportKey("jwk", key);
  if (fromBase64Url(jwk.n).length !== 384 || jwk.e !== "AQAB") {
    throw new SealingError("bad_key", "expected an RSA-3072 key with e = 65537");
  }
  return key;
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

/** The tender's opening public key from its PEM: { publicKey, spki, fingerprint }. */
export async function importOpeningKey(pem) {
  const spki = pemToDer(pem);
  const publicKey = await rsaPublicFromSpki(spki);
  const canonical = new Uint8Array(await subtle.exportKey("spki", publicKey));
  return { publicKey, spki: canonical, fingerprint: await fingerprint(canonical) };
}

/** An opening private key (PKCS#8 DER) for openEnvelope(..., { which: "opening" }): the test vectors use it. */
export async function importOpeningPrivateKey(pkcs8) {
  const privateKey = await subtle.importKey("pkcs8", pkcs8, RSA_OAEP, true, ["decrypt"]);
  return describe(privateKey, await publicOf(privateKey, RSA_OAEP, ["encrypt"]));
}

// The public half of a private CryptoKey: drop the private members of its JWK and import it again.
async function publicOf(privateKey, algorithm, usages) {
  const jwk = await subtle.exportKey("jwk", privateKey);
  const pub = jwk.kty === "RSA"
    ? { kty: "RSA", n: jwk.n, e: jwk.e, alg: jwk.alg }
    : { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
  return subtle.importKey("jwk", { ...pub, ext: true }, algorithm, true, usages);
}

const KEY_PARTS = { bidder: ["encryption", "signing"], custodian: ["encryption"] };
const ALGORITHMS = {
  encryption: [RSA_OAEP, ["decrypt"], ["encrypt"]],
  signing: [ECDSA_KEY, ["sign"], ["verify"]],
};

async function fileKey(passphrase, salt, iterations, usage) {
  // NFC: the same passphrase typed on two systems must give the same bytes (Python does the same).
  const base = await subtle.importKey("raw", utf8.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash: "SHA-256" }, base, { name: "AES-GCM", length: 256 }, false, [usage],
  );
}

function sortedDeep(value) {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort(byCodePoint).map((k) => [k, sortedDeep(value[k])]));
  }
  return value;
}

/** The key file (docs §6) as text; with a passphrase the private keys are encrypted. */
export async function exportKeyFile(keys, { passphrase = null, iterations = MIN_ITERATIONS } = {}) {
  const parts = KEY_PARTS[keys.kind];
  const doc = { format: KEY_FILE_FORMAT, kind: keys.kind, public: {} };
  const privatePart = {};
  for (const name of parts) {
    doc.public[name] = toBase64(keys[name].spki);
    privatePart[name] = toBase64(new Uint8Array(await subtle.exportKey("pkcs8", keys[name].privateKey)));
  }
  if (passphrase === null) {
    doc.private = privatePart;
  } else {
    if (iterations < MIN_ITERATIONS) throw new RangeError(`at least ${MIN_ITERATIONS} PBKDF2 iterations`);
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const key = await fileKey(passphrase, salt, iterations, "encrypt");
    const sealed = await subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: canonicalBytes(doc) }, key, canonicalBytes(privatePart),
    );
    doc.protected = {
      cipher: "AES-256-GCM", ciphertext: toBase64(new Uint8Array(sealed)), iterations, kdf: "PBKDF2-HMAC-SHA256",
      nonce: toBase64(nonce), salt: toBase64(salt),
    };
  }
  return JSON.stringify(sortedDeep(doc), null, 2) + "\n";
}

export function isProtectedKeyFile(text) {
  try { return "protected" in JSON.parse(text); } catch { return false; }
}

/**
 * Keys from a key file (ours or the CLI's); checks that each private key belongs to its public key.
 * With `kind` ("bidder" or "custodian"), a key file of the other kind is refused (wrong_key_kind) before
 * any passphrase is asked for. Checks run in the order of docs §8.1, as in Python.
 */
export async function importKeyFile(text, { passphrase = null, kind = null } = {}) {
  try {
    return await readKeyFile(text, passphrase, kind);
  } catch (error) {
    const given = describeFile(text);
    if (error instanceof SealingError && !["bad_base64", "bad_key"].includes(error.code)) {
      error.given = given;
      throw error;
    }
    throw new SealingError("bad_key_file", error.message, given);
  }
}

// The public key whose SPKI DER is exactly `spki` (docs §2): importers are lenient, so export it again
// and demand the same bytes (this refuses a compressed EC point, for one).
async function exactSpki(spki, algorithm, usages, code, what) {
  let key;
  try {
    key = await subtle.importKey("spki", spki, algorithm, true, usages);
  } catch {
    throw new SealingError(code, `${what} is not the SPKI DER of the expected key`);
  }
  if (!equalBytes(new Uint8Array(await subtle.exportKey("spki", key)), spki)) {
    throw new SealingError(code, `${what} is not exactly the SPKI DER encoding of docs §2`);
  }
  return key;
}

async function readKeyFile(text, passphrase, expectedKind) {
  const bad = (message) => new SealingError("bad_key_file", message);
  let doc;
  try { doc = JSON.parse(text); } catch { throw bad("not JSON"); }
  if (!doc || typeof doc !== "object" || doc.format !== KEY_FILE_FORMAT || !Object.hasOwn(KEY_PARTS, doc.kind)) {
    throw bad("not a sealed-bid key file");
  }
  if (expectedKind && doc.kind !== expectedKind) {
    throw new SealingError("wrong_key_kind", `this is a ${doc.kind} key file, not a ${expectedKind} key file`);
  }
  const parts = KEY_PARTS[doc.kind];
  const sameNames = (obj) => obj && typeof obj === "object" && Object.keys(obj).sort().join() === parts.join();
  if (!sameNames(doc.public)) throw bad("the public keys do not match the kind of key file");
  for (const name of parts) {
    const [algorithm, , publicUsages] = ALGORITHMS[name];
    const key = await exactSpki(fromBase64(doc.public[name]), algorithm, publicUsages, "bad_key_file", `public ${name}`);
    if (name === "encryption") await checkRsa(key);
  }
  let privatePart = doc.private;
  if (privatePart === undefined && doc.protected !== undefined) {
    const p = doc.protected;
    if (!p || p.kdf !== "PBKDF2-HMAC-SHA256" || p.cipher !== "AES-256-GCM") throw bad("unsupported key file protection");
    if (!Number.isSafeInteger(p.iterations) || p.iterations < MIN_ITERATIONS) throw bad("too few PBKDF2 iterations");
    const salt = fromBase64(p.salt), nonce = fromBase64(p.nonce), sealed = fromBase64(p.ciphertext);
    if (salt.length !== SALT_SIZE || nonce.length !== FILE_NONCE_SIZE || sealed.length < 16) {
      throw bad(`the salt is ${SALT_SIZE} bytes, the nonce ${FILE_NONCE_SIZE}, the ciphertext at least the tag`);
    }
    if (passphrase === null) {
      throw new SealingError("passphrase_required", "this key file is protected by a passphrase");
    }
    const key = await fileKey(passphrase, salt, p.iterations, "decrypt");
    // docs §6: the associated data is {format, kind, public}, whatever other members the file has.
    const aad = canonicalBytes({ format: doc.format, kind: doc.kind, public: doc.public });
    let plain;
    try {
      plain = await subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, key, sealed);
    } catch {
      throw new SealingError("wrong_passphrase", "wrong passphrase (or a damaged key file)");
    }
    try { privatePart = JSON.parse(fromUtf8.decode(plain)); } catch { throw bad("the protected keys are not JSON"); }
  } else if (privatePart === undefined) {
    throw bad("no private keys in the key file");
  }
  if (!sameNames(privatePart)) throw bad("the private keys do not match the kind of key file");
  const keys = { kind: doc.kind };
  for (const name of parts) {
    const [algorithm, privateUsages, publicUsages] = ALGORITHMS[name];
    let privateKey;
    try {
      privateKey = await subtle.importKey("pkcs8", fromBase64(privatePart[name]), algorithm, true, privateUsages);
    } catch {
      throw bad(`the ${name} private key cannot be read`);
    }
    const publicKey = await publicOf(privateKey, algorithm, publicUsages);
    keys[name] = await describe(privateKey, publicKey);
    if (!equalBytes(keys[name].spki, fromBase64(doc.public[name]))) {
      throw bad(`the ${name} private key does not belong to the public key in the file`);
    }
  }
  return keys;
}

// --- the manifest (docs §4) ---------------------------------------------------------------------------

function checkManifest(manifest, manifestLength, plaintextSize) {
  const bad = (message) => new SealingError("bad_manifest", message);
  if (!manifest || typeof manifest !== "object" || Object.keys(manifest).sort().join() !== "bid_letter,files") {
    throw bad("the manifest has exactly the fields bid_letter and files");
  }
  const letter = manifest.bid_letter;
  if (!letter || typeof letter !== "object" || Array.isArray(letter)) throw bad("the bid letter is a JSON object");
  if (!Array.isArray(manifest.files) || manifest.files.length > MAX_FILES) throw bad("too many files");
  const names = new Set();
  let total = 4 + manifestLength;
  for (const entry of manifest.files) {
    if (!entry || Object.keys(entry).sort().join() !== "media_type,name,size") {
      throw bad("each file has exactly media_type, name and size");
    }
    const { name, media_type: mediaType, size } = entry;
    if (typeof name !== "string" || !name || utf8.encode(name).length > 255 || name === "." || name === ".."
        || /[\x00-\x1f\x7f/\\]/.test(name)) {
      throw bad(`file name ${JSON.stringify(name)} is not allowed`);
    }
    if (names.has(name)) throw bad(`file name ${JSON.stringify(name)} appears twice`);
    names.add(name);
    if (typeof mediaType !== "string" || !/^[\x21-\x7e]{1,255}$/.test(mediaType)) throw bad("media type not allowed");
    if (!Number.isSafeInteger(size) || size < 0) throw bad("file size out of range");
    total += size;
  }
  if (total !== plaintextSize) throw bad("the file sizes do not add up to the plaintext size");
  return manifest;
}

// --- the envelope (docs §3, §5) -----------------------------------------------------------------------

// Chunk i: nonce = prefix ‖ u64(i); the associated data ties the chunk to this header (its SHA-256),
// to its place (the index) and to the end (the last-chunk flag).
const gcm = (prefix, headerHash, index, last) => ({
  name: "AES-GCM",
  iv: concatBytes(prefix, u64(index)),
  additionalData: concatBytes(headerHash, u64(index), new Uint8Array([last ? 1 : 0])),
  tagLength: 128,
});
const recordSize = (h, i) => Math.min(h.chunk_size, h.plaintext_size - i * h.chunk_size) + TAG_SIZE;

export function envelopeSize(header) {
  return MAGIC.length + 4 + canonicalBytes(header).length + header.plaintext_size + TAG_SIZE * header.chunk_count
    + SIGNATURE_SIZE;
}

// Signed: the envelope prefix, then SHA-256 over the per-chunk SHA-256 digests. WebCrypto has no
// streaming hash, so hashing each chunk and then the list of digests is what lets us sign a gigabyte.
const signedMessage = (prefix, digests) => sha256(concatBytes(...digests)).then((d) => concatBytes(prefix, d));

function normalizeFile(item) {
  // A File, or { name, data: Blob | Uint8Array, mediaType } for content made in the page.
  const blob = item instanceof Blob ? item : item.data instanceof Blob ? item.data : new Blob([item.data]);
  // Browsers may report "" or add parameters ("text/plain;charset=utf-8"): keep the bare type, or the default.
  const type = (item.mediaType || (item instanceof Blob && item.type) || "").split(";")[0].trim();
  return {
    name: item.name,
    blob,
    size: blob.size,
    mediaType: /^[\x21-\x7e]{1,255}$/.test(type) ? type : "application/octet-stream",
  };
}

/**
 * Seal chunk `index` of `chunkCount` (docs §5.2): read it from `container` (a Blob over the plaintext
 * container), encrypt it, hash the record. Returns { record, digest } as ArrayBuffers. Used by sealBid in
 * this thread and by seal-worker.js in Web Workers, so both paths compute exactly the same bytes.
 */
export async function sealChunk({ contentKey, noncePrefix, headerHash, chunkCount, chunkSize, plaintextSize, container },
  index) {
  const start = index * chunkSize;
  const length = Math.min(chunkSize, plaintextSize - start);
  const plain = await container.slice(start, start + length).arrayBuffer();
  if (plain.byteLength !== length) throw new SealingError("file_changed", "a file changed while it was being sealed");
  const last = index === chunkCount - 1;
  const record = await subtle.encrypt(gcm(noncePrefix, headerHash, index, last), contentKey, plain);
  return { record, digest: await subtle.digest("SHA-256", record) };
}

// At most this many workers: the chunks of one bid are read from one disk and written in order.
const MAX_WORKERS = 4;

function workerCount(workers, chunkCount) {
  if (workers === 0 || chunkCount < 2 || typeof Worker === "undefined") return 0;
  const wanted = Number.isInteger(workers) && workers > 0 ? workers : (globalThis.navigator?.hardwareConcurrency || 2);
  return Math.min(wanted, MAX_WORKERS, chunkCount);
}

// Start `count` module workers running seal-worker.js, each given the sealing state (the content key is a
// non-extractable CryptoKey: it is cloned into the worker, never exported). Resolves to the workers, or to
// null when workers cannot run here (no module workers, blocked by policy, a script error): then the
// caller seals in this thread, as before, since nothing was sealed yet.
async function startWorkers(count, state) {
  if (!count) return null;
  const workers = [];
  try {
    for (let i = 0; i < count; i++) workers.push(new Worker(new URL("./seal-worker.js", import.meta.url), { type: "module" }));
    await Promise.all(workers.map((worker) => new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.type === "ready" ? resolve() : reject(new Error("unexpected message")));
      worker.onerror = (event) => { event.preventDefault(); reject(new Error("the worker did not start")); };
      worker.postMessage({ type: "start", state });
    })));
    return workers;
  } catch {
    for (const worker of workers) worker.terminate();
    return null;
  }
}

// The records of chunks 0, 1, … sealed by `workers`, in order. At most `window` chunks are handed out and
// not yet taken by the caller, so memory stays a few chunks whatever the size of the bid.
async function* sealedByWorkers(workers, chunkCount) {
  const window = 2 * workers.length;
  const pending = new Map(); // index -> { resolve, reject }
  const results = new Map(); // index -> promise of { record, digest }
  const fail = (error) => { for (const { reject } of pending.values()) reject(error); pending.clear(); };
  for (const worker of workers) {
    worker.onmessage = ({ data }) => {
      const waiting = pending.get(data.index);
      if (!waiting) return;
      pending.delete(data.index);
      if (data.type === "sealed") waiting.resolve(data);
      else waiting.reject(data.code ? new SealingError(data.code, data.message) : workerError(data));
    };
    worker.onerror = (event) => { event.preventDefault(); fail(new Error(`a sealing worker failed: ${event.message}`)); };
  }
  let next = 0;
  for (let index = 0; index < chunkCount; index++) {
    while (next < chunkCount && next < index + window) {
      const handed = next++;
      const result = new Promise((resolve, reject) => pending.set(handed, { resolve, reject }));
      result.catch(() => {}); // seen when its turn comes; until then not an "unhandled rejection"
      results.set(handed, result);
      workers[handed % workers.length].postMessage({ type: "seal", index: handed });
    }
    const result = await results.get(index);
    results.delete(index);
    yield result;
  }
}

// An error from a worker as the page would have seen it (a file that became unreadable: NotReadableError).
function workerError({ name, message }) {
  const error = new Error(message);
  error.name = name || "Error";
  return error;
}

async function* sealedHere(state) {
  for (let index = 0; index < state.chunkCount; index++) yield await sealChunk(state, index);
}

/**
 * Prepare a sealed envelope. Returns { header, size, chunkCount, pieces } where pieces() is an async
 * iterator of Uint8Array: the prefix, then one record per chunk, then the 64-byte signature. Concatenated,
 * they are the envelope; upload them as they come. onProgress({ done, total, chunk, chunks, bytesPerSecond })
 * after each chunk (bytesPerSecond: plaintext sealed per second so far).
 * Chunks are sealed by a small pool of Web Workers (seal-worker.js) where the browser has them, in this
 * thread otherwise; `workers`: how many (default: one per core, at most 4; 0: none). The bytes are the same.
 */
export async function sealBid({
  bidLetter, files, tenderId, openingKeyPem, bidderKeys, chunkSize = DEFAULT_CHUNK_SIZE, onProgress = null,
  workers = null,
}) {
  if (!validTenderId(tenderId)) throw new TypeError(`tenderId is 1 to ${MAX_TENDER_ID_BYTES} bytes of UTF-8`);
  if (!(chunkSize >= MIN_CHUNK_SIZE && chunkSize <= MAX_CHUNK_SIZE)) throw new RangeError("chunkSize out of range");
  const entries = files.map(normalizeFile);
  const manifest = canonicalBytes({
    bid_letter: bidLetter,
    files: entries.map((f) => ({ media_type: f.mediaType, name: f.name, size: f.size })),
  });
  const plaintextSize = 4 + manifest.length + entries.reduce((n, f) => n + f.size, 0);
  try {
    checkManifest(JSON.parse(fromUtf8.decode(manifest)), manifest.length, plaintextSize);
  } catch (error) {
    throw new TypeError(error.message); // a caller's mistake, not a damaged envelope
  }
  if (plaintextSize > MAX_PLAINTEXT_SIZE || manifest.length > MAX_MANIFEST_SIZE) throw new RangeError("bid too large");

  const opening = await importOpeningKey(openingKeyPem);
  const rawKey = crypto.getRandomValues(new Uint8Array(32));
  const noncePrefix = crypto.getRandomValues(new Uint8Array(4));
  const wrap = async (publicKey) => new Uint8Array(await subtle.encrypt(RSA_OAEP, publicKey, rawKey));
  const openingWrapped = await wrap(opening.publicKey);
  const bidderWrapped = await wrap(bidderKeys.encryption.publicKey);
  const contentKey = await subtle.importKey("raw", rawKey, "AES-GCM", false, ["encrypt"]);
  rawKey.fill(0);
  const chunkCount = Math.ceil(plaintextSize / chunkSize);
  const header = {
    bidder_encryption_key_fingerprint: bidderKeys.encryption.fingerprint,
    bidder_signing_key: toBase64(bidderKeys.signing.spki),
    bidder_signing_key_fingerprint: bidderKeys.signing.fingerprint,
    bidder_wrapped_key: toBase64(bidderWrapped),
    chunk_count: chunkCount,
    chunk_size: chunkSize,
    format: FORMAT,
    nonce_prefix: toHex(noncePrefix),
    opening_key_fingerprint: opening.fingerprint,
    opening_wrapped_key: toBase64(openingWrapped),
    plaintext_size: plaintextSize,
    tender_id: tenderId,
  };
  const headerBytes = canonicalBytes(header);
  const headerHash = await sha256(headerBytes);
  const prefix = concatBytes(MAGIC, u32(headerBytes.length), headerBytes);
  // One Blob over the manifest and the files: slicing it reads from disk, it copies nothing.
  const container = new Blob([u32(manifest.length), manifest, ...entries.map((f) => f.blob)]);

  const state = { contentKey, noncePrefix, headerHash, chunkCount, chunkSize, plaintextSize, container };

  let started = false;
  async function* pieces() {
    // Once only: a second pass over files that changed meanwhile would reuse nonces with new plaintext.
    if (started) throw new Error("pieces() can be iterated once; call sealBid again");
    started = true;
    yield prefix;
    const pool = await startWorkers(workerCount(workers, chunkCount), state);
    const digests = [];
    const began = performance.now();
    try {
      let index = 0;
      for await (const { record, digest } of pool ? sealedByWorkers(pool, chunkCount) : sealedHere(state)) {
        digests.push(new Uint8Array(digest));
        yield new Uint8Array(record);
        index++;
        const done = Math.min(index * chunkSize, plaintextSize);
        const seconds = (performance.now() - began) / 1000;
        if (onProgress) {
          onProgress({ done, total: plaintextSize, chunk: index, chunks: chunkCount,
                       bytesPerSecond: done / Math.max(seconds, 0.001) });
        }
      }
    } finally {
      for (const worker of pool || []) worker.terminate();
    }
    const message = await signedMessage(prefix, digests);
    yield new Uint8Array(await subtle.sign(ECDSA_SIGN, bidderKeys.signing.privateKey, message));
  }
  return { header, size: envelopeSize(header), chunkCount, pieces };
}

/** sealBid collected into one Blob (the browser may keep a large Blob on disk). */
export async function sealBidToBlob(options) {
  const sealed = await sealBid(options);
  const parts = [];
  for await (const piece of sealed.pieces()) parts.push(piece);
  return { header: sealed.header, size: sealed.size, blob: new Blob(parts, { type: "application/octet-stream" }) };
}

async function readSlice(blob, start, length) {
  const bytes = new Uint8Array(await blob.slice(start, start + length).arrayBuffer());
  if (bytes.length !== length) throw new SealingError("truncated", "the envelope ends early");
  return bytes;
}

async function parseHeader(headerBytes) {
  const h = parseCanonical(headerBytes, "bad_header", "header");
  const bad = (message) => new SealingError("bad_header", message);
  if (!h || typeof h !== "object" || Object.keys(h).sort().join() !== HEADER_FIELDS.join()) {
    throw bad("missing or unknown fields");
  }
  if (h.format !== FORMAT) throw bad(`format is not ${FORMAT}`);
  if (!validTenderId(h.tender_id)) throw bad(`tender_id is not 1 to ${MAX_TENDER_ID_BYTES} bytes of UTF-8`);
  for (const f of ["opening_key_fingerprint", "bidder_signing_key_fingerprint", "bidder_encryption_key_fingerprint"]) {
    if (!/^[0-9a-f]{64}$/.test(h[f])) throw bad(`${f} is not 64 lowercase hex digits`);
  }
  if (!/^[0-9a-f]{8}$/.test(h.nonce_prefix)) throw bad("nonce_prefix");
  const within = (value, low, high) => Number.isInteger(value) && value >= low && value <= high;
  if (!within(h.chunk_size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)) throw bad("chunk_size out of range");
  if (!within(h.plaintext_size, 1, MAX_PLAINTEXT_SIZE)) throw bad("plaintext_size out of range");
  if (h.chunk_count !== Math.ceil(h.plaintext_size / h.chunk_size)) throw bad("chunk_count");
  // Exactly the §2 encoding, and the fingerprint is of those very bytes.
  let signingSpki;
  try { signingSpki = fromBase64(h.bidder_signing_key); } catch { throw bad("bidder_signing_key is not base64"); }
  const verifyKey = await exactSpki(signingSpki, ECDSA_KEY, ["verify"], "bad_header", "bidder_signing_key");
  if ((await fingerprint(signingSpki)) !== h.bidder_signing_key_fingerprint) {
    throw bad("bidder_signing_key does not match its fingerprint");
  }
  // Every bad_header rule comes before the wrapped keys: the precedence of docs §8.1.
  for (const f of ["opening_wrapped_key", "bidder_wrapped_key"]) {
    let wrapped;
    try { wrapped = fromBase64(h[f]); } catch { throw new SealingError("bad_wrapped_key", `${f} is not base64`); }
    if (wrapped.length !== WRAPPED_KEY_SIZE) {
      throw new SealingError("bad_wrapped_key", `${f} is not ${WRAPPED_KEY_SIZE} bytes`);
    }
  }
  return { header: h, verifyKey };
}

/**
 * Open an envelope (a Blob or File) with the bidder's own keys (which = "bidder", the self-check) or with an
 * opening private key ({ privateKey } of RSA-OAEP, which = "opening"). Every chunk is authenticated, then the
 * signature. onData(fileIndex, entry, bytes) receives the plaintext of each file in order; without it the
 * plaintext is discarded. signingFingerprint: the bidder's registered signing key (wrong_signing_key otherwise;
 * the self-check uses the bidder's own). Checks run in the order of docs §8.1. Resolves to { header, manifest }.
 */
export async function openEnvelope(
  blob, keys, { which = "bidder", onData = null, onProgress = null, signingFingerprint = null } = {},
) {
  if (which !== "bidder" && which !== "opening") throw new TypeError('which is "bidder" or "opening"');
  const start = await readSlice(blob, 0, Math.min(blob.size, MAGIC.length + 4));
  if (!equalBytes(start.subarray(0, MAGIC.length), MAGIC)) {
    throw new SealingError("bad_magic", "not a sealed-bid/1 envelope");
  }
  if (start.length < MAGIC.length + 4) throw new SealingError("truncated", "the envelope ends early");
  const headerLength = new DataView(start.buffer).getUint32(MAGIC.length);
  if (headerLength < 2 || headerLength > MAX_HEADER_SIZE) {
    throw new SealingError("bad_header", "header length out of range");
  }
  const headerBytes = await readSlice(blob, MAGIC.length + 4, headerLength);
  const { header, verifyKey } = await parseHeader(headerBytes);
  // The registered signing key: given, or (self-check) the bidder's own.
  const expectedSigner = signingFingerprint ?? (which === "bidder" ? keys.signing?.fingerprint : null);
  if (expectedSigner && expectedSigner !== header.bidder_signing_key_fingerprint) {
    throw new SealingError("wrong_signing_key", "this envelope is not signed by the bidder's registered key");
  }
  const size = envelopeSize(header);
  if (blob.size < size) throw new SealingError("truncated", "the envelope is shorter than its header says");
  if (blob.size > size) throw new SealingError("bad_size", "bytes after the signature");

  const key = which === "bidder" ? keys.encryption : keys;
  const field = which === "bidder" ? "bidder_encryption_key_fingerprint" : "opening_key_fingerprint";
  if (!key.fingerprint) throw new TypeError("the key has no fingerprint: use importKeyFile or importOpeningPrivateKey");
  if (key.fingerprint !== header[field]) {
    throw new SealingError("wrong_key", `this key is not the envelope's ${which} key`);
  }
  let rawKey;
  try {
    rawKey = new Uint8Array(await subtle.decrypt(RSA_OAEP, key.privateKey, fromBase64(header[`${which}_wrapped_key`])));
  } catch {
    throw new SealingError("wrong_key", "the wrapped content key does not decrypt with this key");
  }
  if (rawKey.length !== 32) throw new SealingError("bad_wrapped_key", "the content key is not 32 bytes");
  const contentKey = await subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  rawKey.fill(0);

  const prefixLength = MAGIC.length + 4 + headerLength;
  const headerHash = await sha256(headerBytes);
  const noncePrefix = fromHex(header.nonce_prefix);
  const reader = new PlaintextReader(header.plaintext_size, onData);
  const digests = [];
  let offset = prefixLength;
  for (let index = 0; index < header.chunk_count; index++) {
    const record = await readSlice(blob, offset, recordSize(header, index));
    offset += record.length;
    digests.push(await sha256(record));
    let plain;
    try {
      const last = index === header.chunk_count - 1;
      plain = await subtle.decrypt(gcm(noncePrefix, headerHash, index, last), contentKey, record);
    } catch {
      throw new SealingError("corrupt_chunk", `chunk ${index} fails authentication`);
    }
    reader.push(new Uint8Array(plain));
    if (onProgress) onProgress({ done: offset, total: size, chunk: index + 1, chunks: header.chunk_count });
  }
  // A plaintext that ends inside the manifest (docs §4), before the signature is looked at (§8.1).
  if (reader.manifest === null) throw new SealingError("bad_manifest", "the plaintext ends inside the manifest");
  const signature = await readSlice(blob, offset, SIGNATURE_SIZE);
  const message = await signedMessage(concatBytes(MAGIC, u32(headerLength), headerBytes), digests);
  if (!(await subtle.verify(ECDSA_SIGN, verifyKey, signature, message))) {
    throw new SealingError("bad_signature", "the bidder's signature does not verify");
  }
  return { header, manifest: reader.manifest };
}

// Splits the decrypted stream into length prefix, manifest and files, as chunks arrive.
class PlaintextReader {
  constructor(plaintextSize, onData) {
    this.plaintextSize = plaintextSize;
    this.onData = onData;
    this.head = new Uint8Array(0); // the length prefix and the manifest: at most 4 bytes + 1 MiB
    this.manifestLength = null;
    this.manifest = null;
    this.file = 0;
    this.left = 0;
  }

  take(bytes, need) {
    const n = Math.min(need - this.head.length, bytes.length);
    this.head = concatBytes(this.head, bytes.subarray(0, n));
    return bytes.subarray(n);
  }

  push(bytes) {
    while (this.manifest === null) {
      if (this.manifestLength === null) {
        bytes = this.take(bytes, 4);
        if (this.head.length < 4) return;
        this.manifestLength = new DataView(this.head.buffer).getUint32(0);
        if (this.manifestLength > MAX_MANIFEST_SIZE) throw new SealingError("bad_manifest", "manifest too large");
      }
      bytes = this.take(bytes, 4 + this.manifestLength);
      if (this.head.length < 4 + this.manifestLength) return;
      const manifestBytes = this.head.subarray(4);
      const manifest = parseCanonical(manifestBytes, "bad_manifest", "manifest");
      this.manifest = checkManifest(manifest, manifestBytes.length, this.plaintextSize);
      this.head = null;
      this.nextFile(-1);
    }
    while (bytes.length) {
      if (this.file >= this.manifest.files.length) {
        throw new SealingError("bad_manifest", "plaintext after the last file");
      }
      const n = Math.min(this.left, bytes.length);
      if (this.onData) this.onData(this.file, this.manifest.files[this.file], bytes.subarray(0, n));
      bytes = bytes.subarray(n);
      this.left -= n;
      if (!this.left) this.nextFile(this.file);
    }
  }

  nextFile(current) {
    // Empty files are announced to onData too (with no bytes), so the caller sees every file.
    this.file = current + 1;
    while (this.file < this.manifest.files.length && this.manifest.files[this.file].size === 0) {
      if (this.onData) this.onData(this.file, this.manifest.files[this.file], new Uint8Array(0));
      this.file += 1;
    }
    this.left = this.file < this.manifest.files.length ? this.manifest.files[this.file].size : 0;
  }
}

/** The bidder's self-check: signed by my key, opens with my key, complete. Resolves to { header, manifest }. */
export function checkOwnEnvelope(blob, bidderKeys, options = {}) {
  return openEnvelope(blob, bidderKeys, { ...options, which: "bidder" });
}

// --- custodian shares (docs §7) -----------------------------------------------------------------------

/** Decrypt a custodian's share (base64 or bytes): { share (base64), index, hash (hex SHA-256) }. */
export async function decryptShare(custodianKeys, encryptedShare) {
  const ciphertext = typeof encryptedShare === "string"
    ? fromBase64(encryptedShare.replace(/\s+/g, ""))
    : encryptedShare;
  let share;
  try {
    share = new Uint8Array(await subtle.decrypt(RSA_OAEP, custodianKeys.encryption.privateKey, ciphertext));
  } catch {
    throw new SealingError("wrong_shares", "this share was not encrypted to this custodian key");
  }
  if (share.length !== SHARE_SIZE) throw new SealingError("wrong_shares", "a decrypted share is 33 bytes");
  return { share: toBase64(share), index: share[0], hash: await sha256Hex(share) };
}
