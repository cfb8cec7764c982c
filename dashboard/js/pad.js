import { h } from './dom.js';

const SIDE = 280;
const DIGIT_BOX = 20;
const GRID = 28;

/**
 * A drawing pad for a 28×28 input. Reading it prepares the drawing as MNIST
 * prepared its digits: the ink's bounding box scaled to fit 20×20, then
 * centred by its centre of mass in 28×28, as grey levels 0..255.
 */
export function drawingPad({ onDraw } = {}) {
  const canvas = h('canvas', { class: 'pad', width: SIDE, height: SIDE, 'aria-label': 'drawing pad: draw a digit with the mouse, a pen or a finger' });
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, SIDE, SIDE);
  };
  clear();
  context.strokeStyle = '#fff';
  context.lineWidth = 20;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  let drawing = false;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * SIDE) / box.width, ((event.clientY - box.top) * SIDE) / box.height];
  };
  canvas.addEventListener('pointerdown', (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = point(event);
    context.beginPath();
    context.moveTo(x, y);
    context.lineTo(x + 0.1, y);
    context.stroke();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    const [x, y] = point(event);
    context.lineTo(x, y);
    context.stroke();
  });
  const stop = () => {
    if (!drawing) return;
    drawing = false;
    onDraw?.();
  };
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);
  return { canvas, clear, read: () => toGrid(canvas) };
}

function toGrid(canvas) {
  const { data } = canvas.getContext('2d').getImageData(0, 0, SIDE, SIDE);
  let [left, top, right, bottom] = [SIDE, SIDE, -1, -1];
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      if (data[(y * SIDE + x) * 4] === 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  const grid = Array.from({ length: GRID }, () => new Array(GRID).fill(0));
  if (right < 0) return grid;
  const width = right - left + 1;
  const height = bottom - top + 1;
  const scale = DIGIT_BOX / Math.max(width, height);
  const small = h('canvas', { width: GRID, height: GRID });
  const context = small.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingQuality = 'high';
  context.drawImage(canvas, left, top, width, height, (GRID - width * scale) / 2, (GRID - height * scale) / 2, width * scale, height * scale);
  const pixels = context.getImageData(0, 0, GRID, GRID).data;
  let [mass, mx, my] = [0, 0, 0];
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      const v = pixels[(y * GRID + x) * 4];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const dx = Math.round((GRID - 1) / 2 - mx / mass);
  const dy = Math.round((GRID - 1) / 2 - my / mass);
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      const [sx, sy] = [x - dx, y - dy];
      if (sx >= 0 && sx < GRID && sy >= 0 && sy < GRID) grid[y][x] = pixels[(sy * GRID + sx) * 4];
    }
  }
  return grid;
}
