import { ValidationError } from '../../errors.js';

/** Layer names unique within a model, and Keras's names (`dense`, `dense_1`, ...) for the unnamed. */
export class LayerNames {
  private readonly taken = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  claim(name: string | undefined, path: string): void {
    if (name === undefined) return;
    const previous = this.taken.get(name);
    if (previous !== undefined) throw ValidationError.at(path, `duplicate layer name "${name}" (also at ${previous})`);
    this.taken.set(name, path);
  }

  /** A name tfjs will use; a layer of the definition that has it must be renamed. */
  reserve(name: string, purpose: string): void {
    const holder = this.taken.get(name);
    if (holder !== undefined) throw ValidationError.at(holder, `the name "${name}" is taken by ${purpose}; rename this layer`);
    this.taken.set(name, purpose);
  }

  fresh(type: string): string {
    const base = snakeCase(type);
    for (;;) {
      const count = this.counters.get(base) ?? 0;
      this.counters.set(base, count + 1);
      const name = count === 0 ? base : `${base}_${count}`;
      if (!this.taken.has(name)) {
        this.taken.set(name, '(generated)');
        return name;
      }
    }
  }
}

/** Keras's `to_snake_case`: `MaxPooling2D` → `max_pooling2d`, `LSTM` → `lstm`. */
function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
