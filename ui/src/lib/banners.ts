//! The panel's banners, one per problem the person can act on: the local database's (disk full, read-only, a
//! damaged file moved aside) and each store the app cannot reach securely (TLS). Each goes away by itself when the
//! shell says the problem is over; only `moved_aside` is dismissed by hand.
import { translate, type Lang } from "./i18n";
import type { AccountView, StorageCode, StorageProblem } from "./types";

export interface Banner {
  /** Stable per problem: "storage:disk_full", "tls:tienda". */
  id: string;
  kind: StorageCode | "tls";
  /** `alert` while something is failing now; `status` for what already happened (`moved_aside`). */
  role: "alert" | "status";
  title: string;
  /** What it means and what to do. */
  body: string;
  /** A file to show as it is (selectable): where the damaged database went. */
  path: string | null;
  /** The code to hand to `dismiss_storage`, for the banner that has a dismiss button. */
  dismiss: StorageCode | null;
}

const STORAGE_ORDER: StorageCode[] = ["disk_full", "read_only", "moved_aside"];

function storageBanner(lang: Lang, problem: StorageProblem): Banner {
  const { code, path } = problem;
  const body =
    code === "moved_aside" && !path
      ? translate(lang, "banner.moved_aside.bodyNoPath")
      : translate(lang, `banner.${code}.body`);
  return {
    id: `storage:${code}`,
    kind: code,
    role: code === "moved_aside" ? "status" : "alert",
    title: translate(lang, `banner.${code}.title`),
    body,
    path: code === "moved_aside" ? path : null,
    dismiss: code === "moved_aside" ? code : null,
  };
}

/** The banners for these problems and accounts, the most urgent first; text only (rendered as text). */
export function panelBanners(lang: Lang, problems: StorageProblem[], accounts: AccountView[]): Banner[] {
  const storage = STORAGE_ORDER.flatMap((code) => {
    const problem = problems.find((p) => p.code === code);
    return problem ? [storageBanner(lang, problem)] : [];
  });
  const tls = accounts
    .filter((a) => a.detail === "tls")
    .map((a): Banner => ({
      id: `tls:${a.name}`,
      kind: "tls",
      role: "alert",
      title: translate(lang, "banner.tls.title", { account: a.name }),
      body: translate(lang, "banner.tls.body"),
      path: null,
      dismiss: null,
    }));
  return [
    ...storage.filter((b) => b.kind !== "moved_aside"),
    ...tls,
    ...storage.filter((b) => b.kind === "moved_aside"),
  ];
}
