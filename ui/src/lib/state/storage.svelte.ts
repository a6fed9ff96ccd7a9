//! The local database's problems (`get_storage`, `storage://changed`): each is a banner until the shell says it is
//! over; only a database moved aside (already over, but worth knowing) is dismissed by the person.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { IpcError, StorageCode, StorageProblem } from "../types";

export class StorageState {
  /** Raw: the shell sends the whole list each time. */
  problems = $state.raw<StorageProblem[]>([]);
  /** A dismiss the shell refused. */
  error = $state<IpcError | null>(null);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Never throws: without an answer there is nothing to say. */
  async load(): Promise<void> {
    try {
      this.problems = await this.#backend.getStorage();
    } catch (error) {
      console.error("get_storage failed", error);
    }
  }

  /** `storage://changed`: the whole current list (empty: everything is fine again). */
  apply(problems: StorageProblem[]): void {
    this.problems = problems;
  }

  async dismiss(code: StorageCode): Promise<void> {
    try {
      this.error = null;
      await this.#backend.dismissStorage(code);
      this.problems = this.problems.filter((p) => p.code !== code);
    } catch (error) {
      this.error = toIpcError(error);
    }
  }
}
