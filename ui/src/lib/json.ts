//! A stream value as one compact line of text: JSON without spaces, cut to fit a row.

export function compactJson(value: unknown, max = 160): string {
  let text: string;
  if (value === undefined) return "";
  if (typeof value === "string") text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
