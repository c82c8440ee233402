// A SealingError (sealing.js) as a sentence a person can act on, in the page's language. The texts come
// from the page's JSON messages (trading/sealing_messages.py: sealing_texts); they name the kind of file
// the person chose ("this is a bidder key file, not a key custodian's key file").
import { SealingError } from "./sealing.js";

const KEY_KINDS = { bidder_key: "bidder", custodian_key: "custodian" };

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => values[name] ?? "");
}

/** The sentence for `error`, or null when it is not a sealing error (the caller shows its own message). */
export function explainSealingError(error, texts) {
  if (!(error instanceof SealingError)) return null;
  const { codes } = texts;
  const given = texts.given[error.given] || "";
  const values = { given, code: error.code };
  if (error.code === "wrong_key_kind") {
    const expected = KEY_KINDS[error.given] === "bidder" ? "custodian" : "bidder";
    return fill(codes.wrong_key_kind, { given, expected: texts.kinds[expected] });
  }
  if (error.code === "bad_key_file" && !KEY_KINDS[error.given]) {
    return fill(given ? codes.not_a_key_file : codes.unknown_file, values);
  }
  return fill(codes[error.code] || codes.other, values);
}

function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString("zh-CN")}.${String(abs % 100).padStart(2, "0")}`;
}

function plain(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The bid letter as the tender's bid form showed it: [label, shown value] per field of the form, in its
 * order, money in yuan (¥11,800,000.00); members the form does not know follow under their own key.
 * Same as sealedbid/letter.py (the CLI's self-check).
 */
export function letterLines(letter, fields) {
  const lines = [];
  for (const field of fields) {
    if (!Object.hasOwn(letter, field.key)) continue;
    const value = letter[field.key];
    lines.push([field.label, field.type === "money" && Number.isSafeInteger(value) ? yuan(value) : plain(value)]);
  }
  const known = new Set(fields.map((f) => f.key));
  for (const key of Object.keys(letter).sort()) if (!known.has(key)) lines.push([key, plain(letter[key])]);
  return lines;
}
