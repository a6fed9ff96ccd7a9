//! What can be wrong in the `[policy]` section, named by item and key, in Spanish and English.

use std::fmt;

/// The user's language for the policy's words (toasts, errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Es,
    #[default]
    En,
}

impl Lang {
    /// A language from a locale name (`es_ES.UTF-8`, `es-BO`, `en_US`): Spanish for `es*`,
    /// English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("es") {
            Lang::Es
        } else {
            Lang::En
        }
    }

    /// The language of messages as POSIX picks it: `LC_ALL`, then `LC_MESSAGES`, then
    /// `LANG` (the first one set and not empty wins).
    pub fn from_env() -> Lang {
        let var = |k: &str| std::env::var(k).ok();
        Lang::from_vars(var("LC_ALL"), var("LC_MESSAGES"), var("LANG"))
    }

    /// [`Lang::from_env`] given the three values.
    pub fn from_vars(
        lc_all: Option<String>,
        lc_messages: Option<String>,
        lang: Option<String>,
    ) -> Lang {
        [lc_all, lc_messages, lang]
            .into_iter()
            .flatten()
            .find(|v| !v.is_empty())
            .map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_lc_all_then_lc_messages_then_lang() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(Lang::from_vars(None, None, s("es_BO.UTF-8")), Lang::Es);
        assert_eq!(
            Lang::from_vars(None, s("en_US.UTF-8"), s("es_BO.UTF-8")),
            Lang::En
        );
        assert_eq!(
            Lang::from_vars(s("es_ES"), s("en_US"), s("en_US")),
            Lang::Es
        );
        assert_eq!(
            Lang::from_vars(s(""), None, s("es-MX")),
            Lang::Es,
            "empty is unset"
        );
        assert_eq!(Lang::from_vars(None, None, s("C")), Lang::En);
        assert_eq!(Lang::from_vars(None, None, None), Lang::En);
    }
}

/// Which item of the policy an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A rule, by its `name` (or its position when it has none).
    Rule(String),
    /// A window of `quiet_hours`, by position (1-based).
    QuietHours(usize),
    /// A silence alarm, by its `name` (or position).
    Silence(String),
    /// A key of `[policy]` itself.
    Policy,
}

/// What is wrong with the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    UnknownKey,
    Missing,
    NotText,
    NotList,
    BadAction(String),
    BadComparison(String),
    NotANumber { op: String, value: String },
    UnknownField { field: String, data: String },
    BadTime(String),
    BadDay(String),
    NoDays,
    EmptyWindow,
    BadTimeZone(String),
    BadDuration(String),
    UnknownAccount(String),
}

/// One error of the policy: the item, the key and the problem. `Display` is English;
/// [`PolicyError::message`] gives it in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub struct PolicyError {
    pub place: Place,
    pub key: String,
    pub problem: Problem,
}

impl PolicyError {
    pub fn new(place: Place, key: &str, problem: Problem) -> PolicyError {
        PolicyError {
            place,
            key: key.to_string(),
            problem,
        }
    }

    /// A stable code for the UI to switch on (`{code, message}` over IPC).
    pub fn code(&self) -> &'static str {
        match self.problem {
            Problem::UnknownKey => "unknown_key",
            Problem::Missing => "missing",
            Problem::NotText | Problem::NotList => "bad_type",
            Problem::BadAction(_) => "bad_action",
            Problem::BadComparison(_) | Problem::NotANumber { .. } => "bad_comparison",
            Problem::UnknownField { .. } => "unknown_field",
            Problem::BadTime(_) | Problem::BadDay(_) | Problem::NoDays | Problem::EmptyWindow => {
                "bad_schedule"
            }
            Problem::BadTimeZone(_) => "bad_time_zone",
            Problem::BadDuration(_) => "bad_duration",
            Problem::UnknownAccount(_) => "unknown_account",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let place = match (&self.place, lang) {
            (Place::Rule(name), Lang::Es) => format!("la regla «{name}»"),
            (Place::Rule(name), Lang::En) => format!("rule `{name}`"),
            (Place::QuietHours(i), Lang::Es) => format!("el horario de silencio n.º {i}"),
            (Place::QuietHours(i), Lang::En) => format!("quiet hours window {i}"),
            (Place::Silence(name), Lang::Es) => format!("la alarma de silencio «{name}»"),
            (Place::Silence(name), Lang::En) => format!("silence alarm `{name}`"),
            (Place::Policy, Lang::Es) => "[policy]".to_string(),
            (Place::Policy, Lang::En) => "[policy]".to_string(),
        };
        let key = &self.key;
        let problem = Words(&self.problem, lang).to_string();
        match lang {
            Lang::Es => format!("{place}, clave `{key}`: {problem}"),
            Lang::En => format!("{place}, key `{key}`: {problem}"),
        }
    }
}

struct Words<'a>(&'a Problem, Lang);

impl fmt::Display for Words<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Problem::*;
        let es = self.1 == Lang::Es;
        match self.0 {
            UnknownKey if es => write!(f, "clave desconocida (¿un error de escritura?)"),
            UnknownKey => write!(f, "unknown key (a typo?)"),
            Missing if es => write!(f, "falta y es obligatoria"),
            Missing => write!(f, "is required"),
            NotText if es => write!(f, "debe ser un texto"),
            NotText => write!(f, "must be a string"),
            NotList if es => write!(f, "debe ser un texto o una lista de textos"),
            NotList => write!(f, "must be a string or a list of strings"),
            BadAction(a) if es => write!(
                f,
                "acción desconocida `{a}` (válidas: mute, quiet, urgent, no_badge, normal)"
            ),
            BadAction(a) => write!(
                f,
                "unknown action `{a}` (valid: mute, quiet, urgent, no_badge, normal)"
            ),
            BadComparison(t) if es => write!(
                f,
                "`{t}` no es una comparación: escribe CAMPO OP VALOR, p. ej. `datos.total >= 1000` (OP: >=, <=, >, <, ==, !=)"
            ),
            BadComparison(t) => write!(
                f,
                "`{t}` is not a comparison: write FIELD OP VALUE, e.g. `datos.total >= 1000` (OP: >=, <=, >, <, ==, !=)"
            ),
            NotANumber { op, value } if es => {
                write!(f, "`{op}` compara números, y `{value}` no es un número")
            }
            NotANumber { op, value } => {
                write!(f, "`{op}` compares numbers, and `{value}` is not a number")
            }
            UnknownField { field, data } if es => write!(
                f,
                "campo desconocido `{field}` (usa {data}.CAMPO, kind, title, body, url o id)"
            ),
            UnknownField { field, data } => write!(
                f,
                "unknown field `{field}` (use {data}.FIELD, kind, title, body, url or id)"
            ),
            BadTime(t) if es => write!(f, "`{t}` no es una hora HH:MM entre 00:00 y 24:00"),
            BadTime(t) => write!(f, "`{t}` is not a time HH:MM between 00:00 and 24:00"),
            BadDay(d) if es => write!(
                f,
                "día desconocido `{d}` (lun, mar, mie, jue, vie, sab, dom, laborables, fin_de_semana, todos; o mon…sun)"
            ),
            BadDay(d) => write!(
                f,
                "unknown day `{d}` (mon, tue, wed, thu, fri, sat, sun, weekdays, weekend, all; or lun…dom)"
            ),
            NoDays if es => write!(f, "la lista de días está vacía: el horario nunca se cumpliría"),
            NoDays => write!(f, "the list of days is empty: the schedule would never apply"),
            EmptyWindow if es => write!(
                f,
                "`from` y `to` son la misma hora: el horario no dura nada (para todo el día: 00:00 a 24:00)"
            ),
            EmptyWindow => write!(
                f,
                "`from` and `to` are the same time: the window is empty (for a whole day: 00:00 to 24:00)"
            ),
            BadTimeZone(z) if es => write!(
                f,
                "zona horaria desconocida `{z}` (un nombre IANA como America/La_Paz)"
            ),
            BadTimeZone(z) => {
                write!(f, "unknown time zone `{z}` (an IANA name such as America/La_Paz)")
            }
            BadDuration(d) if es => write!(
                f,
                "`{d}` no es una duración (p. ej. 90s, 30m, 2h, 1h30m)"
            ),
            BadDuration(d) => write!(f, "`{d}` is not a duration (e.g. 90s, 30m, 2h, 1h30m)"),
            UnknownAccount(a) if es => write!(f, "no hay ninguna cuenta `{a}`"),
            UnknownAccount(a) => write!(f, "there is no account `{a}`"),
        }
    }
}
