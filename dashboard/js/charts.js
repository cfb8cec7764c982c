import uPlot from '/dashboard/vendor/uplot/uPlot.esm.js';
import { h } from './dom.js';

const TRAIN = '#2457c5';
const VALIDATION = '#c2571a';
const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** Groups Keras history keys into one chart per metric: `loss` with `val_loss`, `accuracy` with `val_accuracy`. */
export function metricsOf(keys) {
  return [...new Set(keys.map((key) => key.replace(/^val_/, '')))];
}

/** The figure's inner width: its panel padding and border take 34 pixels. */
function chartWidth(figure) {
  return Math.max(240, figure.clientWidth - 34);
}

/**
 * One uPlot chart per metric, redrawn from the whole history on each update.
 * Each chart's element keeps its uPlot instance as `chart`, so tests and
 * tools can read the plotted data.
 */
export class HistoryCharts {
  constructor(container) {
    this.container = container;
    this.charts = new Map();
    this.resize = new ResizeObserver(() => {
      for (const { plot, element } of this.charts.values()) plot.setSize({ width: chartWidth(element), height: 240 });
    });
    this.resize.observe(container);
  }

  update(history) {
    const epochs = Math.max(0, ...Object.values(history).map((values) => values.length));
    const x = Array.from({ length: epochs }, (_, i) => i + 1);
    for (const metric of metricsOf(Object.keys(history))) {
      const keys = [metric, `val_${metric}`].filter((key) => key in history);
      const data = [x, ...keys.map((key) => x.map((_, i) => history[key][i] ?? null))];
      const existing = this.charts.get(metric);
      if (existing && existing.keys.join() === keys.join()) {
        existing.plot.setData(data);
        continue;
      }
      existing?.element.remove();
      const element = h('figure', { class: 'chart panel', 'data-metric': metric }, h('figcaption', {}, h('h3', {}, metric)));
      this.container.append(element);
      const plot = new uPlot(
        {
          width: chartWidth(element),
          height: 240,
          scales: { x: { time: false } },
          legend: { live: false },
          // Whole epochs only on the x axis.
          axes: [{ label: 'epoch', incrs: EPOCH_STEPS }, {}],
          series: [{ label: 'epoch' }, ...keys.map((key) => ({ label: key, stroke: key.startsWith('val_') ? VALIDATION : TRAIN, width: 2, dash: key.startsWith('val_') ? [6, 4] : undefined }))],
        },
        data,
        element,
      );
      element.chart = plot;
      this.charts.set(metric, { plot, keys, element });
    }
  }

  destroy() {
    this.resize.disconnect();
    for (const { plot } of this.charts.values()) plot.destroy();
  }
}
