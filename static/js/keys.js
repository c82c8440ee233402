// Key registration: keys are generated in this browser; only public keys reach the platform.
import { api, download, readJson } from "./api.js";
import { derToPem, exportKeyFile, generateBidderKeys, generateCustodianKeys, importKeyFile } from "./sealing.js";
import { explainSealingError } from "./sealing-text.js";

const page = readJson("keys-page");
const status = document.getElementById("keys-status");
const say = (text, ok = true) => { status.textContent = text; status.className = ok ? "ok" : "errors"; };
const sealingTexts = readJson("sealing-texts");
// A key file error in words that name the file chosen; otherwise the platform's message.
const reason = (error) => explainSealingError(error, sealingTexts) ?? `${error.code || ""} ${error.message}`;

async function register(keys) {
  const parts = keys.kind === "bidder" ? [["signing", "bid_signing"], ["encryption", "bid_encryption"]]
                                       : [["encryption", "custodian"]];
  for (const [name, purpose] of parts) {
    await api("/api/keys/", { method: "POST", json: { purpose, pem: derToPem(keys[name].spki) } });
  }
}

document.getElementById("generate-keys")?.addEventListener("click", async (event) => {
  event.target.disabled = true;
  try {
    say(page.messages.generating);
    const keys = page.kind === "bidder" ? await generateBidderKeys() : await generateCustodianKeys();
    const passphrase = document.getElementById("key-passphrase").value || null;
    const file = await exportKeyFile(keys, { passphrase });
    download(`${page.kind}-key-${page.username}.json`, file);
    await register(keys);
    say(page.messages.registered);
    setTimeout(() => location.reload(), 1500);
  } catch (error) {
    say(`${page.messages.failed} ${reason(error)}`, false);
  } finally {
    event.target.disabled = false;
  }
});

document.getElementById("register-file")?.addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const passphrase = document.getElementById("key-passphrase").value || null;
    const keys = await importKeyFile(await file.text(), { passphrase, kind: page.kind });
    await register(keys);
    say(page.messages.registered);
    setTimeout(() => location.reload(), 1500);
  } catch (error) {
    say(`${page.messages.failed} ${reason(error)}`, false);
  }
});

document.getElementById("new-token")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const name = new FormData(event.target).get("name");
    const row = await api("/api/tokens/", { method: "POST", json: { name } });
    document.getElementById("token-value").textContent = row.token;
    document.getElementById("token-shown").hidden = false;
  } catch (error) {
    say(`${page.messages.failed} ${error.message}`, false);
  }
});

for (const button of document.querySelectorAll("button[data-revoke]")) {
  button.addEventListener("click", async () => {
    await api(`/api/tokens/${button.dataset.revoke}/`, { method: "DELETE" });
    location.reload();
  });
}
