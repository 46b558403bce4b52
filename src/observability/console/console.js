/* global document, window, fetch */
// The live console: polls /api/stats every second and draws the last two
// minutes of operations per second, average latency, memory and clients on
// canvases, with the newest slow log entries below. Plain browser JavaScript
// with no dependencies, served as is.
'use strict';

const POLL_MS = 1000;
const POINTS = 120;

/** One chart: a canvas and the series drawn on it, each a list of numbers. */
function createChart(canvasId, seriesColors) {
  return {
    canvas: document.getElementById(canvasId),
    colors: seriesColors,
    series: seriesColors.map(() => []),
    draws: 0,
  };
}

const charts = {
  ops: createChart('ops-chart', ['#3867d6']),
  latency: createChart('latency-chart', ['#8854d0']),
  memory: createChart('memory-chart', ['#20bf6b', '#a5b1c2']),
  clients: createChart('clients-chart', ['#fa8231']),
};

function push(chart, values) {
  values.forEach((value, index) => {
    const series = chart.series[index];
    series.push(value);
    if (series.length > POINTS) series.shift();
  });
}

function formatNumber(value) {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(1);
}

/** Draws the chart's series as lines scaled to the highest value shown. */
function draw(chart) {
  const canvas = chart.canvas;
  const context = canvas.getContext('2d');
  const width = canvas.width;
  const height = canvas.height;
  const top = Math.max(1, ...chart.series.flat()) * 1.1;

  context.clearRect(0, 0, width, height);
  context.strokeStyle = '#eef1f4';
  context.lineWidth = 1;
  for (let line = 1; line < 4; line++) {
    const y = Math.round((height * line) / 4) + 0.5;
    context.beginPath();
    context.moveTo(0, y);
    context.lineTo(width, y);
    context.stroke();
  }

  context.fillStyle = '#6b7785';
  context.font = '11px sans-serif';
  context.fillText(formatNumber(top), 4, 12);

  chart.series.forEach((series, index) => {
    context.strokeStyle = chart.colors[index];
    context.lineWidth = 2;
    context.beginPath();
    series.forEach((value, point) => {
      const x = (width * (point + POINTS - series.length)) / (POINTS - 1);
      const y = height - (height * value) / top;
      if (point === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.stroke();
  });

  chart.draws++;
  canvas.dataset.draws = String(chart.draws);
  canvas.dataset.points = String(chart.series[0].length);
  canvas.dataset.max = String(Math.max(0, ...chart.series.flat()));
}

function showValue(id, text) {
  document.getElementById(id).textContent = text;
}

function cell(text, className) {
  const element = document.createElement('td');
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function showSlowlog(entries) {
  const body = document.getElementById('slowlog-rows');
  body.replaceChildren(
    ...entries.map((entry) => {
      const row = document.createElement('tr');
      row.append(
        cell(String(entry.id)),
        cell(new Date(entry.time * 1000).toLocaleTimeString()),
        cell(String(entry.durationMicros)),
        cell(entry.args.join(' '), 'command'),
        cell(entry.clientAddress),
      );
      return row;
    }),
  );
}

let previous = null;

/** Turns two consecutive samples into chart points: rates need the previous sample. */
function update(stats) {
  if (previous !== null) {
    const seconds = Math.max(0.001, (stats.time - previous.time) / 1000);
    const ops = Math.max(0, stats.commandsProcessed - previous.commandsProcessed) / seconds;
    const calls = stats.commandCalls - previous.commandCalls;
    const latency = calls > 0 ? (stats.commandMicros - previous.commandMicros) / calls : 0;
    push(charts.ops, [ops]);
    push(charts.latency, [latency]);
    showValue('ops-value', formatNumber(ops));
    showValue('latency-value', formatNumber(latency));
  }
  const mb = 1024 * 1024;
  push(charts.memory, [stats.memory.used / mb, stats.memory.rss / mb]);
  push(charts.clients, [stats.clients.connected]);
  showValue('memory-value', `${formatNumber(stats.memory.used / mb)} used`);
  showValue('clients-value', String(stats.clients.connected));
  Object.values(charts).forEach(draw);
  showSlowlog(stats.slowlog);
  previous = stats;
}

function setStatus(text, isError) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.className = isError ? 'status error' : 'status';
}

async function poll() {
  try {
    const response = await fetch('api/stats', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const stats = await response.json();
    update(stats);
    const keys = stats.keys.toLocaleString('en-US');
    setStatus(stats.loading ? 'loading data…' : `live · ${keys} keys`, false);
  } catch (error) {
    setStatus(`no data: ${error.message}`, true);
  } finally {
    window.setTimeout(poll, POLL_MS);
  }
}

poll();
