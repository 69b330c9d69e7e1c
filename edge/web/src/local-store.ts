// localStorage, when the browser allows it. Reading `localStorage` throws where storage is blocked
// (opaque origins, cookies off) and writing throws when it is full; callers get undefined or a
// message instead, and the page works on without remembering.

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function localStore(): KeyValueStore | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/** The JSON stored under `key`, or undefined when absent, unreadable or not JSON. */
export function readJson(store: KeyValueStore | undefined, key: string): unknown {
  try {
    const text = store?.getItem(key);
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `value` as JSON; returns null, or why it could not be stored. */
export function writeJson(store: KeyValueStore | undefined, key: string, value: unknown): string | null {
  if (!store) return "this browser does not allow local storage for the page";
  try {
    store.setItem(key, JSON.stringify(value));
    return null;
  } catch (err) {
    return `the browser refused to store it (${(err as Error).message || "storage full"})`;
  }
}
