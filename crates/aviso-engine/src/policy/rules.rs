//! Rules: which notifications get which attention (mute, quiet, urgent, no badge, a sound).
//! The first rule that matches decides; a notification no rule matches is shown normally.
//!
//! A rule is a TOML table (in `config.toml`'s `[[policy.rules]]`, or a preset's `[[rules]]`):
//!
//! ```toml
//! [[policy.rules]]
//! name = "ventas grandes"
//! account = "tienda"          # optional: only this account
//! kind = "nueva_compra"       # a glob: `pago_*`, `*`
//! when = "datos.total >= 1000"
//! text = "urgente"            # in the title or the body, any case
//! action = "urgent"           # or a list: ["quiet", "no_badge"]
//! sound = "alarm"             # optional
//! ```
//!
//! Each rule is compiled on its own, so one that does not parse is reported (naming the
//! rule and the key) while the others keep working.

use serde_json::Value;

use super::error::{Place, PolicyError, Problem};
use crate::model::Notification;

/// What the rules decided for one notification.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Effect {
    /// Stored and listed, no toast.
    pub mute: bool,
    /// A toast without sound.
    pub quiet: bool,
    /// Breaks through pause, quiet hours and do-not-disturb; critical urgency.
    pub urgent: bool,
    /// Not counted on the tray badge.
    pub no_badge: bool,
    /// A sound of its own (a freedesktop sound name or a file, as the OS takes it).
    pub sound: Option<String>,
    /// The rule that matched.
    pub rule: Option<String>,
}

/// Where a rule's paths point: `datos.total` means the notification's `data.total` when
/// the profile maps `[fields] data = "datos"`.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The profile's `[fields] data` (`"."`: the whole server object is the data).
    pub data_field: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            data_field: "data".into(),
        }
    }
}

const FIELDS: &[&str] = &["kind", "title", "body", "url", "id"];

/// A compiled path into a notification.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldPath {
    Field(&'static str),
    Data(String),
}

impl Paths {
    /// Compiles `datos.total`, `title`, `data.x`… An unknown first segment is an error
    /// (unless the profile keeps the whole object as data, where any path can exist).
    pub fn compile(&self, path: &str) -> Result<FieldPath, Problem> {
        let path = path.trim();
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, r),
            None => (path, ""),
        };
        if let Some(f) = FIELDS.iter().find(|f| **f == head && rest.is_empty()) {
            return Ok(FieldPath::Field(f));
        }
        if head == "data" || (head == self.data_field && !head.is_empty()) {
            return Ok(FieldPath::Data(rest.to_string()));
        }
        if self.data_field == "." && !path.is_empty() {
            return Ok(FieldPath::Data(path.to_string()));
        }
        Err(Problem::UnknownField {
            field: path.to_string(),
            data: if self.data_field == "." {
                "data".into()
            } else {
                self.data_field.clone()
            },
        })
    }
}

impl FieldPath {
    pub fn get(&self, n: &Notification) -> Option<Value> {
        match self {
            FieldPath::Field("kind") => Some(Value::String(n.kind.clone())),
            FieldPath::Field("title") => Some(Value::String(n.title.clone())),
            FieldPath::Field("body") => Some(Value::String(n.body.clone())),
            FieldPath::Field("url") => n.url.clone().map(Value::String),
            FieldPath::Field(_) => Some(Value::String(n.id.clone())),
            FieldPath::Data(p) if p.is_empty() => Some(n.data.clone()),
            FieldPath::Data(p) => crate::template::lookup(&n.data, p).cloned(),
        }
    }
}

/// A number from a JSON value: numbers, and strings that hold one (`"150.00"`, as Django's
/// `DecimalField` serialises amounts).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

#[derive(Debug, Clone)]
struct Comparison {
    path: FieldPath,
    op: Op,
    text: String,
    number: Option<f64>,
}

impl Comparison {
    fn parse(src: &str, paths: &Paths) -> Result<Comparison, Problem> {
        // Two-character operators first, so `>=` is not read as `>` then `=`.
        const OPS: &[(&str, Op)] = &[
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ];
        let bad = || Problem::BadComparison(src.to_string());
        let (at, sym, op) = OPS
            .iter()
            .filter_map(|(sym, op)| src.find(sym).map(|at| (at, *sym, *op)))
            .min_by_key(|(at, sym, _)| (*at, std::cmp::Reverse(sym.len())))
            .ok_or_else(bad)?;
        let left = src[..at].trim();
        let right = src[at + sym.len()..].trim();
        if left.is_empty() || right.is_empty() || left.contains(char::is_whitespace) {
            return Err(bad());
        }
        let path = paths.compile(left)?;
        let unquoted = right
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| right.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')));
        let text = unquoted.unwrap_or(right).to_string();
        let number = text.trim().parse::<f64>().ok().filter(|x| x.is_finite());
        if number.is_none() && matches!(op, Op::Ge | Op::Le | Op::Gt | Op::Lt) {
            return Err(Problem::NotANumber {
                op: sym.to_string(),
                value: text,
            });
        }
        Ok(Comparison {
            path,
            op,
            text,
            number,
        })
    }

    fn matches(&self, n: &Notification) -> bool {
        let Some(value) = self.path.get(n) else {
            return false;
        };
        // Numbers compare as numbers even when the server writes them as strings.
        if let (Some(want), Some(have)) = (self.number, number(&value)) {
            return match self.op {
                Op::Ge => have >= want,
                Op::Le => have <= want,
                Op::Gt => have > want,
                Op::Lt => have < want,
                Op::Eq => have == want,
                Op::Ne => have != want,
            };
        }
        let have = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match self.op {
            Op::Eq => have == self.text,
            Op::Ne => have != self.text,
            // An ordering against something that is not a number is never true.
            _ => false,
        }
    }
}

/// `*` any run of characters, `?` one character; anything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub account: Option<String>,
    kind: Option<String>,
    when: Option<Comparison>,
    text: Option<String>,
    effect: Effect,
}

impl Rule {
    pub fn matches(&self, n: &Notification) -> bool {
        self.account.as_ref().is_none_or(|a| *a == n.account)
            && self.kind.as_ref().is_none_or(|k| glob(k, &n.kind))
            && self.when.as_ref().is_none_or(|c| c.matches(n))
            && self.text.as_ref().is_none_or(|t| {
                n.title.to_lowercase().contains(t.as_str()) || n.body.to_lowercase().contains(t)
            })
    }

    pub fn effect(&self) -> &Effect {
        &self.effect
    }

    /// Compiles one rule table; `index` (1-based) names a rule without `name`.
    pub fn compile(table: &toml::Table, index: usize, paths: &Paths) -> Result<Rule, PolicyError> {
        let name = match table.get("name") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => format!("#{index}"),
        };
        let err = |key: &str, problem| PolicyError::new(Place::Rule(name.clone()), key, problem);
        for key in table.keys() {
            if !["name", "account", "kind", "when", "text", "action", "sound"]
                .contains(&key.as_str())
            {
                return Err(err(key, Problem::UnknownKey));
            }
        }
        let text_of = |key: &str| -> Result<Option<String>, PolicyError> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(err(key, Problem::NotText)),
            }
        };
        if table.get("name").is_some_and(|v| !v.is_str()) {
            return Err(err("name", Problem::NotText));
        }
        let when = match text_of("when")? {
            Some(src) => Some(Comparison::parse(&src, paths).map_err(|p| err("when", p))?),
            None => None,
        };
        let actions: Vec<String> = match table.get("action") {
            None => return Err(err("action", Problem::Missing)),
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| err("action", Problem::NotList))?,
            Some(_) => return Err(err("action", Problem::NotList)),
        };
        let mut effect = Effect {
            sound: text_of("sound")?.filter(|s| !s.is_empty()),
            rule: Some(name.clone()),
            ..Effect::default()
        };
        for a in &actions {
            match a.trim() {
                "mute" => effect.mute = true,
                "quiet" => effect.quiet = true,
                "urgent" => effect.urgent = true,
                "no_badge" => effect.no_badge = true,
                "normal" => {}
                other => return Err(err("action", Problem::BadAction(other.to_string()))),
            }
        }
        Ok(Rule {
            account: text_of("account")?,
            kind: text_of("kind")?.filter(|k| !k.is_empty()),
            when,
            text: text_of("text")?
                .filter(|t| !t.is_empty())
                .map(|t| t.to_lowercase()),
            effect,
            name,
        })
    }
}

/// An ordered list of rules: the first match decides.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Compiles each table; the ones that fail are returned as errors and left out.
    pub fn compile(tables: &[toml::Table], paths: &Paths) -> (Rules, Vec<PolicyError>) {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (i, t) in tables.iter().enumerate() {
            match Rule::compile(t, i + 1, paths) {
                Ok(r) => rules.push(r),
                Err(e) => errors.push(e),
            }
        }
        (Rules { rules }, errors)
    }

    /// Appends rules that come after these (a preset's defaults after the user's own).
    pub fn then(mut self, more: Rules) -> Rules {
        self.rules.extend(more.rules);
        self
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether some rule leaves what it matches off the tray's badge.
    pub fn any_no_badge(&self) -> bool {
        self.rules.iter().any(|r| r.effect.no_badge)
    }

    /// The effect of the first rule that matches; the default (shown normally) when none.
    pub fn effect(&self, n: &Notification) -> Effect {
        self.rules
            .iter()
            .find(|r| r.matches(n))
            .map(|r| r.effect.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(kind: &str, data: Value) -> Notification {
        Notification {
            account: "tienda".into(),
            id: "1".into(),
            kind: kind.into(),
            title: "Nueva Compra Realizada".into(),
            body: "Cliente Ana Pérez realizó compra #1042".into(),
            url: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            read: false,
            data,
        }
    }

    fn paths() -> Paths {
        Paths {
            data_field: "datos".into(),
        }
    }

    fn rules(src: &str) -> (Rules, Vec<PolicyError>) {
        #[derive(serde::Deserialize)]
        struct F {
            rules: Vec<toml::Table>,
        }
        let f: F = toml::from_str(src).unwrap();
        Rules::compile(&f.rules, &paths())
    }

    #[test]
    fn globs() {
        assert!(glob("pago_*", "pago_procesado"));
        assert!(glob("*", ""));
        assert!(glob("*_compra", "nueva_compra"));
        assert!(glob("n?eva_*a", "nueva_compra"));
        assert!(!glob("pago_*", "nueva_compra"));
        assert!(!glob("pago", "pago_procesado"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
    }

    #[test]
    fn the_first_match_wins() {
        let (r, errors) = rules(
            r#"
            [[rules]]
            name = "grandes"
            kind = "nueva_compra"
            when = "datos.total >= 1000"
            action = "urgent"
            [[rules]]
            name = "compras"
            kind = "nueva_*"
            action = ["quiet", "no_badge"]
            sound = "bell"
            [[rules]]
            name = "todo"
            action = "mute"
            "#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let big = r.effect(&n("nueva_compra", json!({"total": "1500.00"})));
        assert!(big.urgent && !big.quiet);
        assert_eq!(big.rule.as_deref(), Some("grandes"));
        let small = r.effect(&n("nueva_compra", json!({"total": "150.00"})));
        assert!(small.quiet && small.no_badge && !small.urgent);
        assert_eq!(small.sound.as_deref(), Some("bell"));
        let other = r.effect(&n("stock_bajo", json!({})));
        assert!(other.mute);
        assert_eq!(other.rule.as_deref(), Some("todo"));
        // Without rules: shown normally.
        assert_eq!(Rules::default().effect(&other_n()), Effect::default());
    }

    fn other_n() -> Notification {
        n("x", json!({}))
    }

    #[test]
    fn numbers_written_as_strings_compare_as_numbers() {
        let paths = paths();
        let c = |src: &str| Comparison::parse(src, &paths).unwrap();
        let item = |total: Value| n("nueva_compra", json!({ "total": total, "stock": "2" }));
        assert!(c("datos.total >= 150").matches(&item(json!("150.00"))));
        assert!(!c("datos.total > 150").matches(&item(json!("150.00"))));
        // As text "99.5" > "150" would hold; as numbers it does not.
        assert!(!c("datos.total >= 150").matches(&item(json!("99.5"))));
        assert!(c("datos.total < 1000").matches(&item(json!(999.99))));
        assert!(c("datos.total == 150").matches(&item(json!("150.00"))));
        assert!(c("datos.total != 150").matches(&item(json!(" 151 "))));
        assert!(c("datos.stock <= 2").matches(&item(json!(0))));
        assert!(c("data.stock<=2").matches(&item(json!(0))));
        // Missing or not a number: an ordering never holds.
        assert!(!c("datos.falta >= 1").matches(&item(json!(1))));
        assert!(!c("datos.total >= 1").matches(&item(json!("gratis"))));
        // Text equality, quoted or not.
        assert!(c("kind == \"nueva_compra\"").matches(&item(json!(1))));
        assert!(c("kind != stock_bajo").matches(&item(json!(1))));
        assert!(c("datos.total = '150.00'").matches(&item(json!("150.00"))));
    }

    #[test]
    fn text_matches_title_or_body_in_any_case() {
        let (r, errors) = rules(
            r#"
            [[rules]]
            text = "ANA PÉREZ"
            action = "urgent"
            "#,
        );
        assert!(errors.is_empty());
        assert!(r.effect(&other_n()).urgent);
        assert_eq!(r.effect(&other_n()).rule.as_deref(), Some("#1"));
    }

    #[test]
    fn account_limits_a_rule() {
        let (r, _) = rules(
            r#"
            [[rules]]
            account = "otra"
            action = "mute"
            "#,
        );
        assert!(!r.effect(&other_n()).mute);
    }

    #[test]
    fn a_bad_rule_is_named_with_its_key_and_the_others_keep_working() {
        let (r, errors) = rules(
            r#"
            [[rules]]
            name = "typo"
            kind = "nueva_compra"
            acton = "urgent"
            [[rules]]
            name = "sin número"
            when = "datos.total >= mucho"
            action = "urgent"
            [[rules]]
            name = "campo"
            when = "precio >= 3"
            action = "urgent"
            [[rules]]
            name = "acción"
            action = ["quiet", "gritar"]
            [[rules]]
            name = "rota"
            when = "datos.total"
            action = "quiet"
            [[rules]]
            name = "sin acción"
            kind = "x"
            [[rules]]
            name = "buena"
            kind = "nueva_compra"
            action = "urgent"
            "#,
        );
        assert_eq!(r.len(), 1);
        assert!(r.effect(&n("nueva_compra", json!({}))).urgent);
        let en: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            en,
            [
                "rule `typo`, key `acton`: unknown key (a typo?)",
                "rule `sin número`, key `when`: `>=` compares numbers, and `mucho` is not a number",
                "rule `campo`, key `when`: unknown field `precio` (use datos.FIELD, kind, title, body, url or id)",
                "rule `acción`, key `action`: unknown action `gritar` (valid: mute, quiet, urgent, no_badge, normal)",
                "rule `rota`, key `when`: `datos.total` is not a comparison: write FIELD OP VALUE, e.g. `datos.total >= 1000` (OP: >=, <=, >, <, ==, !=)",
                "rule `sin acción`, key `action`: is required",
            ]
        );
        assert_eq!(
            errors[0].message(super::super::Lang::Es),
            "la regla «typo», clave `acton`: clave desconocida (¿un error de escritura?)"
        );
        assert_eq!(
            errors[2].message(super::super::Lang::Es),
            "la regla «campo», clave `when`: campo desconocido `precio` (usa datos.CAMPO, kind, title, body, url o id)"
        );
        assert_eq!(errors[2].code(), "unknown_field");
    }

    #[test]
    fn a_profile_that_keeps_the_whole_object_accepts_any_path() {
        let whole = Paths {
            data_field: ".".into(),
        };
        assert_eq!(
            whole.compile("deseo_id").unwrap(),
            FieldPath::Data("deseo_id".into())
        );
        assert_eq!(whole.compile("title").unwrap(), FieldPath::Field("title"));
    }
}
