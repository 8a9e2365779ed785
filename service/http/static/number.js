// Number mode: the drawing goes to /read?return_input=true, and the page shows the
// number read, a box around each digit on the drawing, and the 28x28 image each box
// became, with its digit and how sure the model is, of each digit and of the whole number.
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

function digitItem(d) {
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
  item.append(seen, text);
  return item;
}

// How sure /read is of the whole number: its calibrated `confidence`, the probability
// that every digit is right (0 where a mark is read as no digit, a "?" in the text).
function sureOf(body) {
  const pct = Math.round(100 * body.confidence);
  if (body.text.includes("?")) return "? marks what is not a digit";
  return pct >= 90 ? `${pct}% sure it is all right` : `only ${pct}% sure: check it`;
}

function showNumber(body, parts) {
  const { statusLine, digit, list, boxes, forStrokes } = parts;
  statusLine.textContent = body.text ? `The model reads the number, ${sureOf(body)}:` :
    "No digit found in that drawing.";
  statusLine.dataset.confidence = String(body.confidence);
  digit.textContent = body.text;
  digit.dataset.verdict = body.text ? "digit" : "not-digit";
  digit.dataset.forStrokes = String(forStrokes);
  list.replaceChildren(...body.digits.map(digitItem));
  drawBoxes(boxes, body.digits);
}
