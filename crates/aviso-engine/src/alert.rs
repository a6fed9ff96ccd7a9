//! Alerts: `[[alerts]]` profile rules that turn a stream condition into a notification
//! (e.g. `heart_rate_update` with `actual` above 120 → "Ritmo cardíaco alto").
//!
//! An alert fires when its condition becomes true, not on every value while it stays true:
//! a heart rate that stays high would otherwise raise a toast per reading. Its id is a hash
//! of the rule, the channel and the value, so the same reading never alerts twice, even
//! across a restart (the store de-duplicates it).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::frame::{normalize_time, stable_id, FrameError};
use crate::model::Notification;
use crate::profile::{AlertRule, Threshold};
use crate::template::{self, lookup};

/// Whether each (rule, channel) condition held at the last value.
#[derive(Debug, Default)]
pub struct Alerts {
    held: HashMap<(usize, String), bool>,
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number as JSON, integral ones without `.0` (so a title reads "130 lpm").
fn num_json(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn threshold(t: &Threshold, params: &BTreeMap<String, String>) -> Result<f64, String> {
    match t {
        Threshold::Number(n) => Ok(*n),
        Threshold::Text(text) => {
            let rendered = template::render_with(text, |k| params.get(k).cloned())
                .map_err(|e| e.to_string())?;
            rendered
                .trim()
                .parse()
                .map_err(|_| format!("alert threshold `{text}` is `{rendered}`, not a number"))
        }
    }
}

impl Alerts {
    /// The notifications a stream value raises, and the rules that could not be applied.
    pub fn check(
        &mut self,
        rules: &[AlertRule],
        params: &BTreeMap<String, String>,
        account: &str,
        channel: &str,
        event: &str,
        data: &Value,
    ) -> (Vec<Notification>, Vec<FrameError>) {
        let mut raised = Vec::new();
        let mut errors = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.event != event || !(rule.channel.is_empty() || rule.channel == channel) {
                continue;
            }
            let Some(value) = lookup(data, &rule.field).and_then(number) else {
                continue;
            };
            let bounds = (
                rule.above
                    .as_ref()
                    .map(|t| threshold(t, params))
                    .transpose(),
                rule.below
                    .as_ref()
                    .map(|t| threshold(t, params))
                    .transpose(),
            );
            let (above, below) = match bounds {
                (Ok(a), Ok(b)) => (a, b),
                (Err(message), _) | (_, Err(message)) => {
                    errors.push(FrameError {
                        code: crate::ErrorCode::BadProfile,
                        message,
                    });
                    continue;
                }
            };
            let holds = above.is_some_and(|t| value > t) || below.is_some_and(|t| value < t);
            let held = self.held.insert((i, channel.to_string()), holds);
            if !holds || held == Some(true) {
                continue;
            }
            let limit = above.or(below).unwrap_or_default();
            match alert(rule, account, channel, event, data, value, limit, i) {
                Ok(n) => raised.push(n),
                Err(e) => errors.push(e),
            }
        }
        (raised, errors)
    }
}

#[expect(clippy::too_many_arguments)] // one call site; a struct would only rename them
fn alert(
    rule: &AlertRule,
    account: &str,
    channel: &str,
    event: &str,
    data: &Value,
    value: f64,
    limit: f64,
    index: usize,
) -> Result<Notification, FrameError> {
    let context = json!({
        "channel": channel,
        "event": event,
        "value": num_json(value),
        "threshold": num_json(limit),
        "data": data,
    });
    let render = |t: &str| {
        template::render(t, &context).map_err(|e| FrameError {
            code: crate::ErrorCode::BadProfile,
            message: e.to_string(),
        })
    };
    let id_source = json!({"rule": index, "channel": channel, "event": event, "data": data});
    Ok(Notification {
        account: account.to_string(),
        id: format!("alert-{}", stable_id(&id_source)),
        kind: render(&rule.kind)?,
        title: render(&rule.title)?,
        body: render(&rule.body)?,
        url: Some(render(&rule.url)?).filter(|u| !u.is_empty()),
        created_at: normalize_time(None),
        read: false,
        data: json!({
            "channel": channel,
            "event": event,
            "value": num_json(value),
            "threshold": num_json(limit),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> AlertRule {
        AlertRule {
            event: "heart_rate_update".into(),
            channel: String::new(),
            field: "actual".into(),
            above: Some(Threshold::Text("{max_bpm|120}".into())),
            below: None,
            kind: "ritmo_alto".into(),
            title: "Ritmo cardíaco alto: {value} lpm".into(),
            body: "Umbral {threshold} lpm ({channel})".into(),
            url: String::new(),
        }
    }

    #[test]
    fn fires_once_per_crossing_with_a_parameter_threshold() {
        let mut a = Alerts::default();
        let rules = [rule()];
        let params = BTreeMap::from([("max_bpm".to_string(), "100".to_string())]);
        let check = |a: &mut Alerts, bpm: u32| {
            a.check(
                &rules,
                &params,
                "acc",
                "heart_rate_today",
                "heart_rate_update",
                &json!({"actual": bpm}),
            )
        };
        assert!(check(&mut a, 90).0.is_empty());
        let (raised, errors) = check(&mut a, 130);
        assert!(errors.is_empty());
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].title, "Ritmo cardíaco alto: 130 lpm");
        assert_eq!(raised[0].body, "Umbral 100 lpm (heart_rate_today)");
        assert!(raised[0].id.starts_with("alert-h"));
        assert!(
            check(&mut a, 140).0.is_empty(),
            "still high: no second alert"
        );
        assert!(check(&mut a, 95).0.is_empty());
        assert_eq!(check(&mut a, 125).0.len(), 1, "a new crossing alerts again");
        // Other events and values that are not numbers are ignored.
        assert!(a
            .check(
                &rules,
                &params,
                "acc",
                "c",
                "sensor_update",
                &json!({"actual": 500})
            )
            .0
            .is_empty());
    }

    #[test]
    fn a_bad_threshold_is_an_error_not_a_panic() {
        let mut r = rule();
        r.above = Some(Threshold::Text("{max_bpm}".into()));
        let (raised, errors) = Alerts::default().check(
            &[r],
            &BTreeMap::new(),
            "acc",
            "c",
            "heart_rate_update",
            &json!({"actual": 200}),
        );
        assert!(raised.is_empty());
        assert_eq!(errors[0].code, crate::ErrorCode::BadProfile);
    }
}
