// Ticks every <span class="countdown" data-deadline data-now> on the page (templates/countdown.html).
// Time runs on the server's clock: the offset between the server's `now` (rendered into the page) and
// the browser's clock at load is added to the browser's clock, so a browser set to the wrong time still
// counts down to the right instant. Without JavaScript the server-rendered text stays.
const spans = [...document.querySelectorAll("span.countdown[data-deadline][data-now]")];

function pad(n) { return String(n).padStart(2, "0"); }

export function formatLeft(ms, days) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = `${Math.floor((s % 86400) / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return d > 0 ? `${d}${days} ${hms}` : hms;
}

if (spans.length) {
  // One offset for the page: every span carries the same server `now` (one request).
  const offset = Date.parse(spans[0].dataset.now) - Date.now();
  const tick = () => {
    const serverNow = Date.now() + offset;
    for (const span of spans) {
      const left = Date.parse(span.dataset.deadline) - serverNow;
      span.textContent = left > 0
        ? `(${span.dataset.left.replace("{left}", formatLeft(left, span.dataset.days))})`
        : `(${span.dataset.passed})`;
      span.classList.toggle("passed", left <= 0);
    }
  };
  tick();
  setInterval(tick, 1000);
}
