// The drawing page: strokes on a canvas, sent as PNG to /predict?normalize=mnist once
// the pen rests, and the answer shown: the digit (or "not a digit", or "not sure"), ten
// probabilities, and the 28x28 image the model saw (return_input=true). In number mode
// (number.js) a wide canvas goes to /read instead. Under a digit's answer, "Wrong? It
// was: 0 … 9 / not a digit": one click sends the same image, the right label and the
// answer's X-Request-ID to /feedback. No framework, no build step.
"use strict";

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const seen = document.getElementById("seen").getContext("2d");
const statusLine = document.getElementById("status");
const digit = document.getElementById("digit");
const bars = document.getElementById("bars");
const pen = document.getElementById("pen");
const mode = document.getElementById("mode");
const boxes = document.getElementById("boxes");
const digitList = document.getElementById("digits");
const QUIET_MS = 250; // after the last stroke, before asking
const SURE = 0.75; // below this calibrated confidence the page says it is not sure
const MESSAGES = {
  no_digit: "Draw a digit: the box looks empty.",
  image_too_large: "That image is too large; try a smaller one.",
  payload_too_large: "That file is too large; try a smaller one.",
  undecodable_image: "That file is not an image the service can read.",
};

let strokes = []; // each: {width, points: [[x, y], ...]} in canvas pixels
let current = null;
let timer = null;
let asked = 0; // requests sent, so that only the newest answer is shown
const correct = document.getElementById("correct");
const thanks = document.getElementById("thanks");
const FEEDBACK_MESSAGES = {
  unauthorized: "Corrections need the operator's token on this server.",
  feedback_off: "Corrections are switched off on this server.",
  feedback_full: "The store of corrections is full; tell the operator.",
};
let answered = null; // {blob, type, requestId} of the digit shown, until corrected

function redraw() {
  ink.fillStyle = "#000";
  ink.fillRect(0, 0, pad.width, pad.height);
  ink.strokeStyle = "#fff";
  ink.lineCap = "round";
  ink.lineJoin = "round";
  for (const s of strokes) {
    ink.lineWidth = s.width;
    ink.beginPath();
    s.points.forEach(([x, y], i) => (i ? ink.lineTo(x, y) : ink.moveTo(x, y)));
    if (s.points.length === 1) ink.lineTo(s.points[0][0] + 0.1, s.points[0][1]);
    ink.stroke();
  }
  pad.dataset.strokes = String(strokes.length);
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * (pad.width / box.width),
          (event.clientY - box.top) * (pad.height / box.height)];
}

pad.addEventListener("pointerdown", (event) => {
  pad.setPointerCapture(event.pointerId);
  current = { width: Number(pen.value), points: [point(event)] };
  strokes.push(current);
  clearTimeout(timer);
  redraw();
});
pad.addEventListener("pointermove", (event) => {
  if (!current) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) current.points.push(point(e));
  redraw();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!current) return;
    current = null;
    clearTimeout(timer);
    timer = setTimeout(askAboutDrawing, QUIET_MS);
  });
}

document.getElementById("undo").addEventListener("click", () => {
  strokes.pop();
  redraw();
  clearTimeout(timer);
  if (strokes.length) timer = setTimeout(askAboutDrawing, QUIET_MS);
  else showEmpty();
});
document.getElementById("clear").addEventListener("click", () => {
  strokes = [];
  redraw();
  clearTimeout(timer);
  showEmpty();
});

function askAboutDrawing() {
  const forStrokes = strokes.length;
  pad.toBlob((blob) => ask(blob, "image/png", forStrokes), "image/png");
}

function reading() {
  return mode.value === "number";
}

async function ask(blob, type, forStrokes) {
  const mine = ++asked;
  const number = reading();
  statusLine.textContent = "Reading…";
  statusLine.classList.remove("error");
  let response, body;
  try {
    const url = number ? "/read?return_input=true" : "/predict?normalize=mnist&return_input=true";
    response = await fetch(url, { method: "POST", headers: { "Content-Type": type }, body: blob });
    body = await response.json();
  } catch (err) {
    if (mine === asked) showError("The service could not be reached.", forStrokes);
    return;
  }
  if (mine !== asked) return; // a newer drawing was sent meanwhile
  if (!response.ok) {
    const code = body && body.error ? body.error.code : "";
    showError(MESSAGES[code] || (body && body.error ? body.error.message : "Error"), forStrokes);
    return;
  }
  if (number) {
    clearDigit();
    showNumber(body, { statusLine, digit, list: digitList, boxes, forStrokes });
  } else {
    show(body.predictions[0], forStrokes);
    offerCorrection({ blob, type, requestId: response.headers.get("X-Request-ID") });
  }
}

function offerCorrection(sent) {
  answered = sent;
  correct.hidden = !sent;
  thanks.textContent = "";
  thanks.classList.remove("error");
  delete thanks.dataset.id;
  for (const button of correct.querySelectorAll("button")) button.disabled = false;
}

correct.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-label]");
  if (!button || !answered) return;
  const sent = answered;
  answered = null; // one correction per answer
  for (const b of correct.querySelectorAll("button")) b.disabled = true;
  thanks.textContent = "Sending…";
  const query = new URLSearchParams({ normalize: "mnist", label: button.dataset.label });
  if (sent.requestId) query.set("request_id", sent.requestId);
  let response, body;
  try {
    response = await fetch(`/feedback?${query}`, {
      method: "POST", headers: { "Content-Type": sent.type }, body: sent.blob });
    body = await response.json();
  } catch (err) {
    thanks.textContent = "The correction could not be sent.";
    thanks.classList.add("error");
    return;
  }
  if (response.status === 201) {
    thanks.textContent = `Thank you: kept as correction ${body.id}.`;
    thanks.dataset.id = String(body.id);
    return;
  }
  const error = body && body.error ? body.error : {};
  thanks.textContent = FEEDBACK_MESSAGES[error.code] || error.message || "Error";
  thanks.classList.add("error");
});

function clearDigit() {
  bars.replaceChildren();
  seen.clearRect(0, 0, 28, 28);
}

function verdict(prediction) {
  if (!prediction.is_digit) return "not-digit";
  return prediction.confidence >= SURE ? "digit" : "unsure";
}

function show(prediction, forStrokes) {
  const judged = verdict(prediction);
  const percent = `${(100 * prediction.confidence).toFixed(0)}%`;
  statusLine.textContent = {
    "digit": "The model reads:",
    "unsure": `Not sure: perhaps a ${prediction.label} (${percent} sure).`,
    "not-digit": "That does not look like a digit.",
  }[judged];
  digit.textContent = judged === "not-digit" ? "?" : String(prediction.label);
  digit.dataset.verdict = judged;
  digit.dataset.forStrokes = String(forStrokes);
  drawSeen(prediction.input);
  bars.replaceChildren(...prediction.probabilities.map((p, label) => {
    const row = document.createElement("li");
    const name = document.createElement("span");
    const meter = document.createElement("meter");
    const value = document.createElement("span");
    name.textContent = String(label);
    meter.min = 0;
    meter.max = 1;
    meter.value = p;
    meter.setAttribute("aria-label", `probability of ${label}`);
    value.textContent = `${(100 * p).toFixed(1)}%`;
    if (label === prediction.label) row.className = "top";
    row.append(name, meter, value);
    return row;
  }));
}

function drawSeen(pixels) {
  const image = seen.createImageData(28, 28);
  pixels.flat().forEach((v, i) => {
    image.data.set([v, v, v, 255], 4 * i);
  });
  seen.putImageData(image, 0, 0);
}

function showError(message, forStrokes) {
  offerCorrection(null);
  statusLine.textContent = message;
  statusLine.classList.add("error");
  digit.textContent = "";
  digit.dataset.verdict = "";
  digit.dataset.forStrokes = String(forStrokes);
  bars.replaceChildren();
  digitList.replaceChildren();
  drawBoxes(boxes, []);
}

function showEmpty() {
  asked++; // an answer still on its way is for a drawing that is gone
  offerCorrection(null);
  statusLine.textContent = "Draw a digit in the box.";
  statusLine.classList.remove("error");
  digit.textContent = "";
  digit.dataset.verdict = "";
  digit.dataset.forStrokes = "0";
  bars.replaceChildren();
  seen.clearRect(0, 0, 28, 28);
  digitList.replaceChildren();
  drawBoxes(boxes, []);
}

mode.addEventListener("change", () => {
  const size = reading() ? NUMBER : DIGIT;
  for (const canvas of [pad, boxes]) {
    canvas.width = size.width;
    canvas.height = size.height;
  }
  document.body.classList.toggle("number", reading());
  strokes = [];
  redraw();
  showEmpty();
});

function askAboutFile(file) {
  if (!file) return;
  strokes = [];
  redraw();
  ask(file, file.type || "application/octet-stream", 0);
}

const drop = document.getElementById("drop");
const picker = document.getElementById("file");
picker.addEventListener("change", () => askAboutFile(picker.files[0]));
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  askAboutFile(event.dataTransfer.files[0]);
});

async function describeModel() {
  const line = document.getElementById("model");
  try {
    const model = await (await fetch("/model")).json();
    const accuracy = model.metrics && model.metrics.test_accuracy;
    line.textContent = `Model ${model.name} ${model.version}` +
      (accuracy ? `, ${(100 * accuracy).toFixed(2)}% on the MNIST test set` : "");
  } catch (err) {
    line.textContent = "The model's description could not be loaded.";
  }
}

redraw();
showEmpty();
describeModel();
