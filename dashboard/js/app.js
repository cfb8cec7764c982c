import { errorBox, h, replace } from './dom.js';
import { datasetsView } from './views/datasets.js';
import { defineView } from './views/define.js';
import { inspectView } from './views/inspect.js';
import { jobView, jobsView } from './views/jobs.js';
import { modelView, modelsView } from './views/models.js';
import { tryView } from './views/try.js';

/** Hash routes, so the server needs no fallback route: `#/models/iris/try`. */
const ROUTES = [
  [/^\/jobs$/, jobsView],
  [/^\/jobs\/([^/]+)$/, jobView],
  [/^\/models$/, modelsView],
  [/^\/models\/([^/]+)$/, modelView],
  [/^\/models\/([^/]+)\/try$/, tryView],
  [/^\/models\/([^/]+)\/inspect$/, inspectView],
  [/^\/define$/, defineView],
  [/^\/datasets$/, datasetsView],
];

const main = document.getElementById('main');
let leave = null;

async function route() {
  leave?.abort();
  leave = new AbortController();
  const path = location.hash.replace(/^#/, '') || '/jobs';
  for (const link of document.querySelectorAll('.top nav a[data-section]')) {
    if (path.startsWith(`/${link.dataset.section}`)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const found = ROUTES.map(([pattern, view]) => [pattern.exec(path), view]).find(([match]) => match);
  const view = h('div', { class: 'view' });
  replace(main, view);
  if (!found) return replace(view, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/jobs' }, 'Back to the jobs')));
  const [match, render] = found;
  try {
    await render(view, { params: match.slice(1).map(decodeURIComponent), signal: leave.signal });
  } catch (error) {
    if (error.name !== 'AbortError') view.append(errorBox(error));
  }
}

window.addEventListener('hashchange', () => {
  void route();
  main.focus({ preventScroll: true });
});
void route();
