import type { StoreChange } from './store.ts';

type Listener = (change: StoreChange) => void;

/** In-process fan-out of store changes; a throwing listener never stops the others. */
export class ChangeFeed {
  readonly #listeners = new Set<Listener>();

  add(listener: Listener): () => Promise<void> {
    this.#listeners.add(listener);
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  emit(change: StoreChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A subscriber's bug must not break the writer or other subscribers.
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
