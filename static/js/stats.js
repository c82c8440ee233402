// Statistics charts (docs/statistics.md): Apache ECharts served from the platform (static/vendor/echarts/).
// The numbers come with the page (its tables) and from data.json; every chart has the table under it with
// the same numbers. ws/statistics/ says only "stats.changed": the page then refetches data.json and redraws.
/* global echarts */
const root = document.getElementById("stats-root");
const dark = root.dataset.theme === "dark";
const charts = [];
let fetching = false;
let again = false;

function column(table, index) { return table.rows.map((row) => row[index]); }

function bars(table, values, rateIndex) {
  // A category axis of the table's first column, bars for `values` (header indexes), an optional line on a
  // second axis for a rate.
  const header = table.header;
  const series = values.map((i) => ({ name: header[i], type: "bar", data: column(table, i) }));
  const yAxis = [{ type: "value", minInterval: 1 }];
  if (rateIndex !== undefined) {
    yAxis.push({ type: "value", axisLabel: { formatter: "{value} %" } });
    series.push({ name: header[rateIndex], type: "line", yAxisIndex: 1, connectNulls: true,
      data: column(table, rateIndex).map((v) => (v === "" || v === null ? null : v)) });
  }
  return {
    legend: { top: 0 },
    tooltip: { trigger: "axis", renderMode: "richText" },
    grid: { left: 48, right: 48, bottom: 48, top: 40 },
    xAxis: { type: "category", data: column(table, 0),
      axisLabel: { interval: 0, rotate: table.rows.length > 6 ? 30 : 0, width: 96, overflow: "break" } },
    yAxis,
    series,
  };
}

function options(data) {
  const [region, category, month, other] = data.tables;
  return [
    bars(region, [1, 2, 4], 6),
    {
      legend: { bottom: 0 },
      tooltip: { trigger: "item", renderMode: "richText" },
      // Categories with no tender stay in the legend and the table, not as empty slices.
      series: [{ name: category.header[1], type: "pie", radius: ["35%", "65%"],
        data: category.rows.map((row) => ({ name: row[0], value: row[1] || null })) }],
    },
    bars(month, [1, 4], 6),
    bars(other, [1]),
  ];
}

function cell(value) {
  if (value === null || value === "") return "—";
  // Grouped digits, at most two decimals, as the page's own tables show them (service/templatetags/stats_format.py).
  return typeof value === "number" ? value.toLocaleString("en-US", { maximumFractionDigits: 2 }) : String(value);
}

function fillTables(data) {
  data.tables.forEach(([, header, rows], index) => {
    const table = root.querySelector(`table[data-table="${index}"] tbody`);
    if (!table) return;
    const body = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const value of row) {
        const td = document.createElement("td");
        td.textContent = cell(value);
        tr.append(td);
      }
      body.append(tr);
    }
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = header.length;
      td.className = "muted";
      td.textContent = "—";
      tr.append(td);
      body.append(tr);
    }
    table.replaceChildren(body);
  });
}

function fillTotals(data) {
  const values = { ...data.totals, remote: data.evaluations.remote, green: data.green.projects };
  for (const dd of document.querySelectorAll("[data-total]")) dd.textContent = cell(values[dd.dataset.total]);
  if (values.savings_rate !== null) document.querySelector('[data-total="savings_rate"]').textContent += " %";
  const status = document.getElementById("stats-status");
  status.dataset.generated = data.generated_at;
  const time = status.querySelector("time");
  time.dateTime = data.generated_at;
  time.textContent = new Date(data.generated_at).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

function draw(data) {
  // The tables as JSON: {tables: [[title, header, rows]]} → objects the chart builders read.
  const shaped = { ...data, tables: data.tables.map(([title, header, rows]) => ({ title, header, rows })) };
  options(shaped).forEach((option, index) => {
    const el = document.getElementById(`chart-${index}`);
    if (!el) return;
    if (!charts[index]) charts[index] = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
    charts[index].setOption({ backgroundColor: "transparent", animation: false, ...option }, { notMerge: true });
  });
  root.dataset.drawn = data.generated_at;
}

async function refresh() {
  if (fetching) { again = true; return; }
  fetching = true;
  try {
    do {
      again = false;
      const response = await fetch(root.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      fillTables(data);
      fillTotals(data);
      draw(data);
    } while (again);
  } finally {
    fetching = false;
  }
}

function listen(delay = 1000) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${root.dataset.ws}`);
  socket.addEventListener("open", () => { root.dataset.live = "1"; delay = 1000; });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "stats.changed") refresh();
  });
  socket.addEventListener("close", () => {
    root.dataset.live = "";
    // Reconnect, then refetch: what changed while the socket was down is in data.json.
    setTimeout(() => { listen(Math.min(delay * 2, 30000)); refresh(); }, delay);
  });
}

window.addEventListener("resize", () => charts.forEach((chart) => chart && chart.resize()));
refresh();
listen();
