// A sealed envelope kept on this computer until the platform holds all of it, so that an upload
// survives a reload, a crash or a closed tab: sealing is randomized, sealing again would give other
// bytes, and the platform resumes only the very bytes it began to receive.
//
// The envelope lives in the origin private file system (OPFS: no user-visible file, nothing sent
// anywhere); a small record in localStorage ties it to its slot (the user and the tender: several people
// may share one office computer) and to the platform's upload id.
// Where OPFS is missing the envelope is kept in memory: the upload still resumes after a network
// failure, only not after a reload.

const KEY_PREFIX = "bz-pending-upload:";

const storageKey = (slot) => `${KEY_PREFIX}${slot}`;
const fileName = (uploadId) => `sealed-${uploadId}.bin`;

async function directory() {
  try {
    return navigator.storage?.getDirectory ? await navigator.storage.getDirectory() : null;
  } catch {
    return null; // e.g. a private window that refuses storage
  }
}

function readRecord(slot) {
  try {
    const record = JSON.parse(localStorage.getItem(storageKey(slot)) || "null");
    return record && typeof record.upload === "string" && Number.isSafeInteger(record.size) ? record : null;
  } catch {
    return null;
  }
}

// Writes every piece of `sealed` (sealing.js sealBid's result) to this computer, then returns the
// envelope as a File (or a Blob in memory). `onProgress(written)` after each piece.
export async function keepSealed(slot, uploadId, sealed, onProgress = () => {}) {
  const dir = await directory();
  if (!dir) {
    const parts = [];
    let written = 0;
    for await (const piece of sealed.pieces()) {
      parts.push(piece);
      written += piece.length;
      onProgress(written);
    }
    return new Blob(parts, { type: "application/octet-stream" });
  }
  const record = { upload: uploadId, size: sealed.size, complete: false, at: new Date().toISOString() };
  localStorage.setItem(storageKey(slot), JSON.stringify(record));
  const handle = await dir.getFileHandle(fileName(uploadId), { create: true });
  const writable = await handle.createWritable();
  let written = 0;
  try {
    for await (const piece of sealed.pieces()) {
      await writable.write(piece);
      written += piece.length;
      onProgress(written);
    }
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => {});
    await forget(slot);
    throw error;
  }
  localStorage.setItem(storageKey(slot), JSON.stringify({ ...record, complete: true }));
  const file = await handle.getFile();
  if (file.size !== sealed.size) throw new Error("the sealed envelope was not kept whole on this computer");
  return file;
}

// The envelope left by an earlier visit in this slot, whole: { upload, size, file }; or null.
// A record whose file is missing, incomplete or of another size is forgotten.
export async function pendingFor(slot) {
  const record = readRecord(slot);
  if (!record) return null;
  const dir = await directory();
  if (dir && record.complete) {
    try {
      const file = await (await dir.getFileHandle(fileName(record.upload))).getFile();
      if (file.size === record.size) return { upload: record.upload, size: record.size, file };
    } catch {
      // missing: fall through and forget
    }
  }
  await forget(slot);
  return null;
}

// Removes the envelope kept in this slot (after finalize, or when the bidder discards it).
export async function forget(slot) {
  const record = readRecord(slot);
  localStorage.removeItem(storageKey(slot));
  const dir = await directory();
  if (record && dir) await dir.removeEntry(fileName(record.upload)).catch(() => {});
}
