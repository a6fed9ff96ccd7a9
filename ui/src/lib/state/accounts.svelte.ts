//! Mirror of the accounts and their connection state (`get_accounts`, `connection://state-changed`).
import type { Backend } from "../ipc";
import type { AccountView, LoginArgs, UnreadChanged } from "../types";

export class AccountsState {
  list = $state<AccountView[]>([]);
  loaded = $state(false);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  readonly totalUnread: number = $derived(this.list.reduce((sum, a) => sum + a.unread, 0));
  /** The first account whose session the server refused: the login view offers to renew it. */
  readonly needingLogin: AccountView | null = $derived(
    this.list.find((a) => a.state === "needs_login") ?? null,
  );
  readonly multiple: boolean = $derived(this.list.length > 1);

  async load(): Promise<void> {
    this.list = await this.#backend.getAccounts();
    this.loaded = true;
  }

  upsert(view: AccountView): void {
    const index = this.list.findIndex((a) => a.name === view.name);
    if (index === -1) this.list.push(view);
    else this.list[index] = view;
  }

  setUnread({ account, count }: UnreadChanged): void {
    const found = this.list.find((a) => a.name === account);
    if (found) found.unread = count;
  }

  async login(args: LoginArgs): Promise<AccountView> {
    const view = await this.#backend.login(args);
    this.upsert(view);
    return view;
  }

  /**
   * Renames `name` to `newName` everywhere (its history stays); then the shell's list is the truth. Throws the
   * IpcFailure (`name_taken`, `invalid_name`, `unknown_account`) for the view to say.
   */
  async rename(name: string, newName: string): Promise<AccountView> {
    const view = await this.#backend.renameAccount(name, newName);
    await this.load();
    return view;
  }

  /** After a logout the shell's list is the truth (no event announces a removed account). */
  async logout(name: string): Promise<void> {
    await this.#backend.logout(name);
    await this.load();
  }
}
