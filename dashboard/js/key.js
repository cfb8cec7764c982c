const STORAGE = 'modelyard.api-key';

/** The API key, kept in sessionStorage: it lives as long as the tab. */
export function currentKey() {
  return sessionStorage.getItem(STORAGE);
}

let pending = null;

/** Opens the key dialog once, however many requests are waiting for it; resolves with the key entered. */
export function askForKey(reason) {
  if (pending) return pending;
  const dialog = document.getElementById('key-dialog');
  const form = document.getElementById('key-form');
  const input = document.getElementById('key-input');
  document.getElementById('key-reason').textContent = reason;
  input.value = '';
  pending = new Promise((resolve) => {
    form.addEventListener(
      'submit',
      () => {
        sessionStorage.setItem(STORAGE, input.value.trim());
        pending = null;
        resolve(input.value.trim());
      },
      { once: true },
    );
  });
  dialog.addEventListener('cancel', (event) => event.preventDefault(), { once: true });
  dialog.showModal();
  input.focus();
  return pending;
}
