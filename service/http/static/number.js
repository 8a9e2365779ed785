// Number mode: the drawing goes to /read?return_input=true, and the page shows the
// number read, a box around each digit on the drawing, and the 28x28 image each box
// became, with its digit and how sure the model is, of each digit and of the whole
// number, and under it "Wrong? It was: …": choosing the right answer sends that 28x28
// image to /feedback.
"use strict";

const NUMBER = { width: 840, height: 280 }; // the wide canvas for a number
const DIGIT = { width: 280, height: 280 };

function drawBoxes(canvas, digits) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.lineWidth = 3;
  for (const d of digits) {
    ctx.strokeStyle = d.is_digit ? "#4caf50" : "#e53935";
    const [x0, y0, x1, y1] = d.box;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  }
}

function digitItem(d, requestId) {
  const item = document.createElement("li");
  const seen = document.createElement("canvas");
  seen.width = 28;
  seen.height = 28;
  const image = seen.getContext("2d").createImageData(28, 28);
  d.input.flat().forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
  seen.getContext("2d").putImageData(image, 0, 0);
  seen.setAttribute("role", "img");
  seen.setAttribute("aria-label", "the 28 by 28 image this box became");
  const text = document.createElement("span");
  text.textContent = d.is_digit
    ? `${d.label} (${(100 * d.confidence).toFixed(0)}%)` : "not a digit";
  item.append(seen, text, correctionPicker(d, requestId));
  return item;
}

const FEEDBACK_MESSAGES = {
  unauthorized: "Corrections need the operator's token on this server.",
  feedback_off: "Corrections are switched off on this server.",
  feedback_full: "The store of corrections is full; tell the operator.",
};

// POST /feedback; resolves to {id} when stored, else {error: a message to show}.
async function postCorrection(body, type, query) {
  try {
    const response = await fetch(`/feedback?${query}`, {
      method: "POST", headers: { "Content-Type": type }, body });
    const answer = await response.json();
    if (response.status === 201) return { id: answer.id };
    const error = answer && answer.error ? answer.error : {};
    return { error: FEEDBACK_MESSAGES[error.code] || error.message || "Error" };
  } catch (err) {
    return { error: "The correction could not be sent." };
  }
}

// A digit of a number: choosing the right answer sends the 28x28 image it became (no
// recipe: it is the model's input already) with the /read answer's request id.
function correctionPicker(d, requestId) {
  const picker = document.createElement("select");
  picker.setAttribute("aria-label", "Wrong? It was:");
  const labels = [["", "Wrong? It was…"], ..."0123456789".split("").map((c) => [c, c]),
    ["none", "not a digit"]];
  picker.append(...labels.map(([value, text]) => new Option(text, value)));
  picker.addEventListener("change", async () => {
    if (!picker.value) return;
    picker.disabled = true;
    const query = new URLSearchParams({ label: picker.value });
    if (requestId) query.set("request_id", requestId);
    const sent = await postCorrection(JSON.stringify({ instances: [d.input] }),
                                      "application/json", query);
    const note = document.createElement("span");
    note.className = sent.id ? "muted" : "error";
    note.textContent = sent.id ? `kept as correction ${sent.id}` : sent.error;
    if (sent.id) picker.dataset.id = String(sent.id);
    picker.after(note);
  });
  return picker;
}

// How sure /read is of the whole number: its calibrated `confidence`, the probability
// that every digit is right (0 where a mark is read as no digit, a "?" in the text).
function sureOf(body) {
  const pct = Math.round(100 * body.confidence);
  if (body.text.includes("?")) return "? marks what is not a digit";
  return pct >= 90 ? `${pct}% sure it is all right` : `only ${pct}% sure: check it`;
}

function showNumber(body, parts) {
  const { statusLine, digit, list, boxes, forStrokes, requestId } = parts;
  statusLine.textContent = body.text ? `The model reads the number, ${sureOf(body)}:` :
    "No digit found in that drawing.";
  statusLine.dataset.confidence = String(body.confidence);
  digit.textContent = body.text;
  digit.dataset.verdict = body.text ? "digit" : "not-digit";
  digit.dataset.forStrokes = String(forStrokes);
  list.replaceChildren(...body.digits.map((d) => digitItem(d, requestId)));
  drawBoxes(boxes, body.digits);
}
