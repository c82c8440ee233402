// The tender form (templates/trading/form.html): scoring criteria as rows, added and removed here, with the
// running total of their points. Without this script the page works too: a fixed number of rows, unused
// ones left empty. The server checks everything again (trading/forms_criteria.py, trading/rules.py).

const form = document.getElementById("tender-form");
const table = document.getElementById("criteria-table");
const PREFIX = "criteria";

function rows() {
  return Array.from(table.querySelectorAll("tbody tr.criterion-row"));
}

// Rows are numbered 0..n-1 as Django's formset reads them; after a removal, number them again.
function renumber() {
  const pattern = new RegExp(`^(id_)?${PREFIX}-(\\d+|__prefix__)-`);
  rows().forEach((row, i) => {
    for (const el of row.querySelectorAll("[name], [id], label[for]")) {
      for (const attr of ["name", "id", "for"]) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(pattern, (_m, id) => `${id || ""}${PREFIX}-${i}-`));
      }
    }
  });
  document.getElementById(`id_${PREFIX}-TOTAL_FORMS`).value = String(rows().length);
}

function total() {
  let sum = 0;
  for (const input of table.querySelectorAll("input.weight")) {
    const value = input.value.trim();
    if (/^\d+$/.test(value)) sum += Number(value);
  }
  const output = document.getElementById("criteria-total");
  const note = document.getElementById("criteria-total-note");
  output.value = String(sum);
  output.textContent = String(sum);
  const key = sum < 100 ? "short" : sum > 100 ? "over" : "exact";
  note.textContent = note.dataset[key].replace("{n}", String(Math.abs(100 - sum)));
  note.className = sum === 100 ? "ok" : "muted";
}

function addRow() {
  const template = document.getElementById("criterion-row-template");
  const fragment = template.content.cloneNode(true);
  const row = fragment.querySelector("tr");
  for (const el of row.querySelectorAll(".js-only")) el.hidden = false;
  table.querySelector("tbody").appendChild(row);
  renumber();
  row.querySelector("input")?.focus();
  total();
}

// 综合评估法 only: with the lowest evaluated price method the rows are set aside (disabled: not sent).
function followMethod() {
  const method = document.getElementById("id_evaluation_method");
  const fieldset = document.getElementById("criteria-rows");
  if (!method || !fieldset) return;
  const comprehensive = method.value === "comprehensive";
  fieldset.disabled = !comprehensive;
  fieldset.hidden = !comprehensive;
}

if (form && table) {
  for (const el of form.querySelectorAll(".js-only")) el.hidden = false;
  document.getElementById("add-criterion").addEventListener("click", addRow);
  table.addEventListener("click", (event) => {
    const button = event.target.closest("button.remove-criterion");
    if (!button) return;
    button.closest("tr").remove();
    renumber();
    total();
  });
  table.addEventListener("input", total);
  document.getElementById("id_evaluation_method")?.addEventListener("change", followMethod);
  followMethod();
  total();
}

// After a failed save the summary of every error comes first: move there so it is read.
document.getElementById("error-summary")?.focus();
