// Expert draw pages: the venue columns of a remote evaluation, and the regulator's secret, made here.

// Request form: venue, main venue and 异地 apply only to a remote evaluation.
const remote = document.getElementById("id_remote");
if (remote) {
  const show = () => {
    for (const cell of document.querySelectorAll("#draw-rows .remote-only")) cell.hidden = !remote.checked;
  };
  remote.addEventListener("change", show);
  show();
}

// Regulator: 32 random bytes from the browser's cryptographic generator, as 64 hex digits. Only the
// regulator's browser knows them until they are posted; the platform committed to its own secret before.
const secret = document.getElementById("id_secret_hex");
const generate = document.getElementById("generate-secret");
if (secret && generate) {
  const fill = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    secret.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  generate.addEventListener("click", fill);
  if (!secret.value) fill();
}
