// edge-emo live page: state at load, then Server-Sent Events; charts drawn on a canvas.
"use strict";

const COLOURS = {
  neutral: "#9aa5b1", happiness: "#ffd166", sadness: "#4ea8de", anger: "#ef476f",
  fear: "#b388eb", disgust: "#06d6a0", surprise: "#ff9f1c",
};
const HISTORY_S = 300;
const $ = (id) => document.getElementById(id);

let labels = [];
let live = [];          // seconds of the live run, oldest first
let shown = null;       // a finished timeline being looked at, or null for live

function colour(label) { return COLOURS[label] || "#cccccc"; }

let tracks = false;     // several faces (--max-faces): bars per person, chart per chosen person
let chartTrack = null;  // the person the live chart draws
const lastSeen = {};    // person -> their newest second
const STALE_S = 5;      // a person's bars go once they have given no second for this long

function barRows(container, prefix) {
  for (const label of labels) {
    const row = document.createElement("div");
    row.className = "row";
    row.id = prefix + label;
    row.dataset.label = label;
    row.dataset.value = "";
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    const track = document.createElement("div");
    track.className = "track";
    const fill = document.createElement("div");
    fill.className = "fill";
    fill.style.background = colour(label);
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = "-";
    row.append(name, track, value);
    container.appendChild(row);
  }
}

function buildBars() {
  const bars = $("bars");
  bars.textContent = "";
  if (!tracks) barRows(bars, "bar-");
  const legend = $("legend");
  legend.textContent = "";
  for (const label of labels) {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = colour(label);
    item.append(swatch, label);
    legend.appendChild(item);
  }
}

function personGroup(track) {
  let group = $("person-" + track);
  if (group) return group;
  group = document.createElement("div");
  group.className = "person";
  group.id = "person-" + track;
  group.dataset.track = track;
  const title = document.createElement("h3");
  title.append("face " + track + " ", Object.assign(document.createElement("span"), { className: "dim top" }));
  group.appendChild(title);
  barRows(group, "bar-" + track + "-");
  const bars = $("bars");
  const after = [...bars.children].find((g) => Number(g.dataset.track) > track);
  bars.insertBefore(group, after || null);
  if (!shown) addChoice(track);
  return group;
}

function addChoice(track) {
  const select = $("chart-track");
  if ([...select.options].some((o) => Number(o.value) === track)) return;
  select.appendChild(Object.assign(document.createElement("option"), { value: track, textContent: "face " + track }));
  select.hidden = false;
  if (chartTrack === null) { chartTrack = track; select.value = track; }
}

function setChoices(ids) {
  const select = $("chart-track");
  select.textContent = "";
  select.hidden = true;
  chartTrack = null;
  for (const id of ids) addChoice(id);
}

function fillRows(container, second) {
  for (const row of container.querySelectorAll(".row")) {
    const label = row.dataset.label;
    const p = second.probs ? second.probs[label] : null;
    row.dataset.value = p === null ? "" : p.toFixed(3);
    row.querySelector(".fill").style.width = p === null ? "0" : (100 * p).toFixed(1) + "%";
    row.querySelector(".value").textContent = p === null ? "-" : p.toFixed(2);
    row.classList.toggle("top", second.top === label);
  }
}

function describe(second) {
  return second.face ? second.top + " " + second.confidence.toFixed(2) : "no face";
}

function showSecond(second) {
  $("second").textContent = "second " + second.t;
  if (second.track === undefined) {
    fillRows($("bars"), second);
    $("top").textContent = describe(second);
    return;
  }
  const group = personGroup(second.track);
  fillRows(group, second);
  group.querySelector(".top").textContent = describe(second);
  lastSeen[second.track] = second.t;
  for (const other of [...$("bars").children]) {
    if (lastSeen[other.dataset.track] < second.t - STALE_S) other.remove();
  }
  $("top").textContent = $("bars").children.length + " in view";
}

function series(seconds, several) {
  return several ? seconds.filter((s) => s.track === chartTrack) : seconds;
}

function liveTracks() {
  return [...new Set(live.map((s) => s.track).filter((t) => t !== undefined))].sort((a, b) => a - b);
}

function showStatus(status) {
  const pill = $("face-state");
  const state = status.finished ? "finished" : status.frames === 0 ? "waiting" : status.face ? "face" : "no face";
  pill.textContent = state === "face" && tracks ? status.faces + (status.faces === 1 ? " face" : " faces") : state;
  pill.dataset.face = state;
  pill.className = "pill " + (state === "face" ? "face" : state === "no face" ? "noface" : "waiting");
  $("fps").textContent = status.fps.toFixed(1) + " fps analysed";
  if (status.jpeg_seq > 0) {
    const img = $("frame");
    img.onload = () => { img.classList.add("loaded"); $("no-frame").hidden = true; };
    img.src = "/frame.jpg?seq=" + status.jpeg_seq;
  }
}

function drawChart(seconds, span) {
  const canvas = $("chart");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  const left = 36, right = 8, top = 8, bottom = 22;
  const w = width - left - right, h = height - top - bottom;
  g.strokeStyle = "#2c3542";
  g.fillStyle = "#8b96a5";
  g.font = "11px system-ui, sans-serif";
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + h * (1 - p);
    g.beginPath(); g.moveTo(left, y); g.lineTo(left + w, y); g.stroke();
    g.fillText(p.toFixed(2), 2, y + 4);
  }
  if (!seconds.length) return;
  const first = span ? Math.max(0, seconds[seconds.length - 1].t - span + 1) : seconds[0].t;
  const last = Math.max(seconds[seconds.length - 1].t, first + 1);
  const x = (t) => left + (w * (t - first)) / (last - first);
  g.fillText(first + " s", left, height - 6);
  g.fillText(last + " s", left + w - 30, height - 6);
  for (const label of labels) {
    g.strokeStyle = colour(label);
    g.lineWidth = 2;
    g.beginPath();
    let pen = false;
    for (const s of seconds) {
      if (s.t < first) continue;
      if (!s.probs) { pen = false; continue; }
      const px = x(s.t), py = top + h * (1 - s.probs[label]);
      if (pen) g.lineTo(px, py); else g.moveTo(px, py);
      pen = true;
    }
    g.stroke();
  }
}

function redraw() {
  if (shown) drawChart(series(shown.seconds, Boolean(shown.tracks)), 0);
  else drawChart(series(live, tracks), HISTORY_S);
}

async function loadFiles() {
  const response = await fetch("/api/timelines");
  if (!response.ok) return;
  const listing = await response.json();
  const list = $("files");
  list.textContent = "";
  if (!listing.files.length) {
    const none = document.createElement("li");
    none.className = "dim";
    none.textContent = listing.folder === null
      ? "start edge-emo serve with --timelines DIR to list finished timelines here"
      : "none in " + listing.folder + " yet";
    list.appendChild(none);
  }
  for (const file of listing.files) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.textContent = file.name;
    link.onclick = () => openFile(file.name);
    item.append(link, " ", Object.assign(document.createElement("span"),
      { className: "dim", textContent: new Date(file.modified * 1000).toLocaleString() }));
    list.appendChild(item);
  }
}

async function openFile(name) {
  const response = await fetch("/api/timelines/" + encodeURIComponent(name));
  if (!response.ok) return;
  shown = await response.json();
  setChoices(shown.tracks || []);
  $("chart-title").textContent = name;
  $("back-live").hidden = false;
  redraw();
}

async function start() {
  if (location.search.includes("token=")) history.replaceState(null, "", "/");  // keep it out of history
  const state = await (await fetch("/api/state")).json();
  labels = state.labels;
  live = state.history;
  tracks = Boolean(state.faces);
  $("model-name").textContent = state.model.name;
  $("model-quant").textContent = state.model.quantisation || "";
  $("model-data").textContent = state.model.training_data;
  $("licence").textContent = state.model.licence || "";
  if (state.notice) $("notice").textContent = state.notice;
  const src = state.source;
  $("source").textContent = src.camera !== null && src.camera !== undefined ? "camera " + src.camera
    : (src.replayed_file || src.path || "");
  buildBars();
  $("chart-track").onchange = () => { chartTrack = Number($("chart-track").value); redraw(); };
  for (const second of live) if (tracks || second === live[live.length - 1]) showSecond(second);
  showStatus(state.status);
  redraw();
  loadFiles();
  $("back-live").onclick = () => {
    shown = null;
    setChoices(liveTracks());
    $("chart-title").textContent = "Last 5 minutes";
    $("back-live").hidden = true;
    redraw();
  };
  window.addEventListener("resize", redraw);

  const events = new EventSource("/events");
  events.addEventListener("second", (e) => {
    const second = JSON.parse(e.data);
    live.push(second);
    if (live.length > HISTORY_S * (tracks ? state.faces.max : 1)) live.shift();
    showSecond(second);
    if (!shown) redraw();
  });
  events.addEventListener("status", (e) => {
    const status = JSON.parse(e.data);
    showStatus(status);
    if (status.finished) { events.close(); loadFiles(); }
  });
}

start();
