// A Web Worker that seals chunks of one bid for sealing.js (sealBid), so that several cores encrypt and
// hash at once. It is given the sealing state once ("start": the non-extractable content key, the nonce
// prefix, the header hash, the sizes and the Blob of the plaintext container, which it slices itself),
// then chunk numbers ("seal"); it answers each with the record and its SHA-256, or the failure. The bytes
// are those of sealing.js's sealChunk, the same function the page uses when it has no workers.

import { sealChunk } from "./sealing.js";

let state = null;

self.onmessage = async ({ data }) => {
  if (data.type === "start") {
    state = data.state;
    self.postMessage({ type: "ready" });
    return;
  }
  const { index } = data;
  try {
    const { record, digest } = await sealChunk(state, index);
    self.postMessage({ type: "sealed", index, record, digest }, [record, digest]);
  } catch (error) {
    // A SealingError's message starts with its code, which the page's SealingError adds again.
    const message = String(error.message).replace(error.code ? `${error.code}: ` : "", "");
    self.postMessage({ type: "failed", index, code: error.code || null, name: error.name, message });
  }
};
