//! What happened meanwhile, per store: counts per kind and, where the profile maps an amount,
//! the total ("14 compras · $1.240,00 · 2 devoluciones"). Used by the "while you were away"
//! digest and by the live summary of a burst.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::Lang;
use super::rules::{number, FieldPath};
use crate::model::Notification;

/// How a store's notifications are counted and named: from its profile.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// kind → (singular, plural) in the user's language (`compra`, `compras`).
    pub labels: BTreeMap<String, (String, String)>,
    /// The profile's `[fields] amount` (`datos.total`).
    pub amount: Option<FieldPath>,
    /// The profile's `[fields] currency` (`$`, `Bs`, `EUR`).
    pub currency: String,
}

impl Vocabulary {
    /// "1 compra", "14 compras"; a kind without a label is written as is ("3 stock_bajo").
    pub fn count(&self, kind: &str, count: u64) -> String {
        match self.labels.get(kind) {
            Some((one, _)) if count == 1 => format!("1 {one}"),
            Some((_, many)) => format!("{count} {many}"),
            None => format!("{count} {kind}"),
        }
    }

    /// The amount of a notification in cents, when the profile maps one and it is a number.
    pub fn cents(&self, n: &Notification) -> Option<i64> {
        let value = self.amount.as_ref()?.get(n)?;
        number(&value).map(|x| (x * 100.0).round() as i64)
    }
}

/// `$1.240,00` (Spanish) or `$1,240.00` (English); a currency longer than one character is
/// written with a space (`Bs 1.240,00`).
pub fn money(cents: i64, currency: &str, lang: Lang) -> String {
    let (thousands, decimal) = match lang {
        Lang::Es => ('.', ','),
        Lang::En => (',', '.'),
    };
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && matches!((units.len() - i) % 3, 0) {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    let number = format!("{grouped}{decimal}{:02}", abs % 100);
    match currency.chars().count() {
        0 => format!("{sign}{number}"),
        1 => format!("{sign}{currency}{number}"),
        _ => format!("{sign}{currency} {number}"),
    }
}

/// One kind, how many of it and, where the profile maps an amount, their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub kind: String,
    pub count: u64,
    /// The sum of the kind's amounts as a decimal (`"1240.00"`); absent without any.
    /// Per kind, so a payment and the purchase it pays are never added up together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    #[serde(skip)]
    cents: Option<i64>,
}

/// One store's part of a digest or summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub account: String,
    /// Most frequent first; ties in order of arrival.
    pub kinds: Vec<KindCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The notifications counted (what a click opens).
    pub ids: Vec<String>,
}

fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    )
}

impl Tally {
    pub fn new(account: &str) -> Tally {
        Tally {
            account: account.to_string(),
            kinds: Vec::new(),
            currency: None,
            ids: Vec::new(),
        }
    }

    pub fn add(&mut self, n: &Notification, vocabulary: &Vocabulary) {
        let at = match self.kinds.iter().position(|k| k.kind == n.kind) {
            Some(i) => i,
            None => {
                self.kinds.push(KindCount {
                    kind: n.kind.clone(),
                    count: 0,
                    total: None,
                    cents: None,
                });
                self.kinds.len() - 1
            }
        };
        let k = &mut self.kinds[at];
        k.count += 1;
        if let Some(c) = vocabulary.cents(n) {
            let sum = k.cents.unwrap_or(0) + c;
            k.cents = Some(sum);
            k.total = Some(decimal(sum));
            self.currency = Some(vocabulary.currency.clone()).filter(|c| !c.is_empty());
        }
        // Stable: ties keep their order of arrival.
        self.kinds.sort_by_key(|k| std::cmp::Reverse(k.count));
        self.ids.push(n.id.clone());
    }

    pub fn count(&self) -> u64 {
        self.ids.len() as u64
    }

    /// "14 compras · $1.240,00 · 2 devoluciones".
    pub fn line(&self, vocabulary: &Vocabulary, lang: Lang) -> String {
        let mut parts = Vec::new();
        for k in &self.kinds {
            parts.push(vocabulary.count(&k.kind, k.count));
            if let Some(c) = k.cents {
                parts.push(money(c, &vocabulary.currency, lang));
            }
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::Paths;
    use serde_json::json;

    fn vocabulary() -> Vocabulary {
        let mut labels = BTreeMap::new();
        labels.insert("nueva_compra".into(), ("compra".into(), "compras".into()));
        labels.insert(
            "devolucion_solicitada".into(),
            ("devolución".into(), "devoluciones".into()),
        );
        Vocabulary {
            labels,
            amount: Some(
                Paths {
                    data_field: "datos".into(),
                }
                .compile("datos.total")
                .unwrap(),
            ),
            currency: "$".into(),
        }
    }

    fn n(id: u32, kind: &str, total: serde_json::Value) -> Notification {
        Notification {
            account: "tienda".into(),
            id: id.to_string(),
            kind: kind.into(),
            title: "t".into(),
            body: "b".into(),
            url: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            read: false,
            data: json!({ "total": total }),
        }
    }

    #[test]
    fn money_in_both_languages() {
        assert_eq!(money(124_000, "$", Lang::Es), "$1.240,00");
        assert_eq!(money(124_000, "$", Lang::En), "$1,240.00");
        assert_eq!(money(123_456_789, "Bs", Lang::Es), "Bs 1.234.567,89");
        assert_eq!(money(5, "", Lang::En), "0.05");
        assert_eq!(money(-150, "€", Lang::Es), "-€1,50");
    }

    #[test]
    fn counts_per_kind_and_the_total_of_the_amounts() {
        let v = vocabulary();
        let mut t = Tally::new("tienda");
        // 14 purchases whose totals, written as strings and numbers, add up to 1240.00.
        for i in 0..13 {
            t.add(&n(i, "nueva_compra", json!("80.00")), &v);
        }
        t.add(&n(13, "nueva_compra", json!(200)), &v);
        t.add(&n(14, "devolucion_solicitada", json!(null)), &v);
        t.add(&n(15, "devolucion_solicitada", json!(null)), &v);
        assert_eq!(
            t.line(&v, Lang::Es),
            "14 compras · $1.240,00 · 2 devoluciones"
        );
        assert_eq!(t.kinds[0].total.as_deref(), Some("1240.00"));
        assert_eq!(t.kinds[1].total, None);
        assert_eq!(t.count(), 16);
        let mut one = Tally::new("tienda");
        one.add(&n(1, "stock_bajo", json!(null)), &v);
        one.add(&n(2, "nueva_compra", json!("9.99")), &v);
        // Ties keep their order of arrival; unlabelled kinds are written as they are.
        assert_eq!(one.line(&v, Lang::En), "1 stock_bajo · 1 compra · $9.99");
        assert_eq!(
            serde_json::to_value(&one).unwrap(),
            json!({"account":"tienda","kinds":[{"kind":"stock_bajo","count":1},{"kind":"nueva_compra","count":1,"total":"9.99"}],"currency":"$","ids":["1","2"]})
        );
    }
}
