//! `Secret`: a string that never shows itself in `Debug`, `Display` or serialised output.

use std::fmt;

/// A token or password. `Debug` prints `<redacted>`; there is deliberately no `Display`
/// and no `Serialize`, so a secret cannot end up in a log line or a file by accident.
/// Read it with [`Secret::expose`] at the one place that must send it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret's value, for the one call that puts it on the wire or in the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// Returns `url` with the value of every query parameter in `names` (and the userinfo
/// password) replaced by `<redacted>`, for logs and error messages.
pub fn redact_url(url: &url::Url, names: &[&str]) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("<redacted>"));
    }
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let hidden = names.iter().any(|n| *n == k) && !v.is_empty();
                (
                    k.into_owned(),
                    if hidden {
                        "<redacted>".to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("eyJhbGciOi.secret.value");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s)), "Some(<redacted>)");
    }

    #[test]
    fn redacts_token_query_parameter() {
        let url = url::Url::parse("wss://h.example/ws/?token=abc.def&x=1").unwrap();
        let shown = redact_url(&url, &["token"]);
        assert!(!shown.contains("abc.def"), "{shown}");
        assert!(shown.contains("x=1"));
        assert!(shown.contains("token=%3Credacted%3E"), "{shown}");
    }
}
