//! The REST side of a profile: list after a cursor (with pagination and ETags), mark read,
//! mark all read, unread count.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::profile::{secs, AuthMode, Profile, RequestSpec};
use crate::secret::Secret;
use crate::session::{Detail, Failure};
use crate::template::{self, lookup, lookup_mut, to_text};

/// Follows at most this many `next` links in one catch-up: a server that links pages in a
/// loop must not keep the session busy forever. 1000 pages of 200 items is far more than
/// any real backlog.

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("the server refused the credentials (HTTP {0})")]
    Auth(u16),
    #[error("not found (HTTP 404)")]
    NotFound,
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    #[error("request timed out")]
    Timeout,
    /// The TLS handshake failed (an untrusted, self-signed, wrong-host or expired
    /// certificate): the sentence from [`crate::tls::describe`].
    #[error("{0}")]
    Tls(String),
    #[error("unexpected answer: {0}")]
    BadAnswer(String),
    #[error("the profile has no `rest.{0}`")]
    NotConfigured(&'static str),
}

impl RestError {
    /// An answer that will not change by asking again: a 4xx other than the credential
    /// ones (401/403), a timeout (408) and too many requests (429). The profile or the
    /// server has to change.
    pub fn is_persistent(&self) -> bool {
        match self {
            // Not `BadAnswer`: a body cut short by a flaky link reads the same as a wrong
            // page (the chaos run showed it), and that one heals by itself.
            RestError::NotFound => true,
            RestError::Status(s) => (400..500).contains(s) && !matches!(s, 401 | 403 | 408 | 429),
            _ => false,
        }
    }

    /// The HTTP status of the answer, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Auth(s) | RestError::Status(s) => Some(*s),
            RestError::NotFound => Some(404),
            _ => None,
        }
    }

    pub fn failure(&self) -> Failure {
        match self {
            RestError::Auth(_) => Failure::Auth,
            RestError::Timeout => Failure::Transient(Detail::Timeout),
            RestError::Unreachable(_) => Failure::Transient(Detail::Unreachable),
            RestError::Tls(_) => Failure::Transient(Detail::Tls),
            _ => Failure::Transient(Detail::ServerError),
        }
    }
}

/// A short description of a reqwest error including its causes (reqwest's own Display is
/// just "error sending request"), without the URL (which may carry a token). A TLS failure
/// is one sentence saying what is wrong with the certificate.
pub fn describe(e: &reqwest::Error) -> String {
    if let Some(tls) = crate::tls::describe(e) {
        return tls;
    }
    let head = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    crate::error_chain(head.to_string(), e)
}

/// One page of the list.
#[derive(Debug, Default)]
pub struct ListPage {
    pub items: Vec<Value>,
    /// `If-None-Match` matched: nothing new.
    pub not_modified: bool,
    /// The answer's ETag (valid for the same cursor next time when the page was empty).
    pub etag: Option<String>,
    /// The next page, when the server paginates.
    pub next: Option<url::Url>,
}

/// Which page [`Rest::list_page`] fetches.
pub enum PageAt<'a> {
    First {
        cursor: &'a str,
        etag: Option<&'a str>,
    },
    Next(url::Url),
    /// The first page of another list shaped like it (e.g. `rest.unread_list`), after
    /// `cursor` when the spec has `{cursor}`.
    Spec {
        spec: &'a str,
        cursor: &'a str,
    },
}
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    server: Url,
    profile: Arc<Profile>,
    params: BTreeMap<String, String>,
}

impl Rest {
    pub fn new(
        http: reqwest::Client,
        server: Url,
        profile: Arc<Profile>,
        params: BTreeMap<String, String>,
    ) -> Rest {
        Rest {
            http,
            server,
            profile,
            params,
        }
    }

    pub fn can_list(&self) -> bool {
        !self.profile.rest.list.is_empty()
    }

    /// Renders a REST spec's path with `{cursor}`/`{id}` and account parameters, URL-encoding
    /// the values.
    fn url(&self, spec: &str, extra: &[(&str, &str)]) -> Result<(http::Method, Url), RestError> {
        let spec = RequestSpec::parse(spec).map_err(RestError::BadAnswer)?;
        let path = template::render_with(&spec.path, |key| {
            let raw = extra
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
                .or_else(|| self.params.get(key).cloned())
                .or_else(|| self.profile.params.get(key).cloned())?;
            Some(url::form_urlencoded::byte_serialize(raw.as_bytes()).collect())
        })
        .map_err(|e| RestError::BadAnswer(e.to_string()))?;
        let url = self
            .server
            .join(&path)
            .map_err(|e| RestError::BadAnswer(e.to_string()))?;
        Ok((spec.method, url))
    }

    fn request(
        &self,
        method: http::Method,
        url: Url,
        token: Option<&Secret>,
    ) -> reqwest::RequestBuilder {
        let auth = &self.profile.auth;
        let mut req = self
            .http
            .request(method, url)
            .timeout(secs(self.profile.rest.timeout_secs));
        if let (Some(token), false) = (token, auth.mode == AuthMode::None) {
            req = req.header(
                auth.header.as_str(),
                format!("{}{}", auth.header_prefix, token.expose()),
            );
        }
        req
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, RestError> {
        let resp = req.send().await.map_err(|e| {
            if let Some(tls) = crate::tls::describe(&e) {
                RestError::Tls(tls)
            } else if e.is_timeout() {
                RestError::Timeout
            } else {
                RestError::Unreachable(describe(&e))
            }
        })?;
        match resp.status().as_u16() {
            200..=299 | 304 => Ok(resp),
            s @ (401 | 403) => Err(RestError::Auth(s)),
            404 => Err(RestError::NotFound),
            s => Err(RestError::Status(s)),
        }
    }

    /// Everything after `cursor`, following `next` links on the server's own origin only
    /// (a token is never sent to another host).
    /// One page of the list: the first (after `cursor`, conditional on `etag`) or the one
    /// at `next` (the previous page's link). Pages are handed out one at a time so a long
    /// backlog is stored as it arrives, never held whole in memory.
    pub async fn list_page(
        &self,
        token: Option<&Secret>,
        at: PageAt<'_>,
    ) -> Result<ListPage, RestError> {
        let rest = &self.profile.rest;
        if rest.list.is_empty() {
            return Err(RestError::NotConfigured("list"));
        }
        let (method, url, etag) = match at {
            PageAt::First { cursor, etag } => {
                let (method, url) = self.url(&rest.list, &[("cursor", cursor)])?;
                (method, url, etag.filter(|_| rest.conditional))
            }
            PageAt::Next(url) => (self.url(&rest.list, &[("cursor", "")])?.0, url, None),
            PageAt::Spec { spec, cursor } => {
                let (method, url) = self.url(spec, &[("cursor", cursor)])?;
                (method, url, None)
            }
        };
        let mut req = self.request(method, url.clone(), token);
        if let Some(tag) = etag {
            req = req.header(http::header::IF_NONE_MATCH, tag);
        }
        let resp = self.send(req).await?;
        let mut out = ListPage::default();
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            out.not_modified = true;
            return Ok(out);
        }
        out.etag = resp
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body: Value = resp
            .json()
            .await
            .map_err(|e| RestError::BadAnswer(format!("list answer is not JSON: {e}")))?;
        let next = (!rest.next.is_empty())
            .then(|| lookup(&body, &rest.next).map(to_text))
            .flatten()
            .filter(|n| !n.is_empty());
        if let Some(next) = next {
            let next = url
                .join(&next)
                .map_err(|e| RestError::BadAnswer(e.to_string()))?;
            if next.origin() != self.server.origin() {
                return Err(RestError::BadAnswer(
                    "the next page is on another origin; not following it".into(),
                ));
            }
            out.next = Some(next);
        }
        out.items = match lookup_mut(&mut body, &rest.items).map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(RestError::BadAnswer(format!(
                    "no `{}` list in the answer",
                    rest.items
                )))
            }
        };
        Ok(out)
    }

    pub async fn mark_read(&self, token: Option<&Secret>, id: &str) -> Result<(), RestError> {
        let spec = &self.profile.rest.mark_read;
        if spec.is_empty() {
            return Err(RestError::NotConfigured("mark_read"));
        }
        let (method, url) = self.url(spec, &[("id", id)])?;
        self.send(self.request(method, url, token)).await.map(drop)
    }

    pub async fn mark_all_read(&self, token: Option<&Secret>) -> Result<(), RestError> {
        let spec = &self.profile.rest.mark_all_read;
        if spec.is_empty() {
            return Err(RestError::NotConfigured("mark_all_read"));
        }
        let (method, url) = self.url(spec, &[])?;
        self.send(self.request(method, url, token)).await.map(drop)
    }

    /// Calls a `"METHOD /path"` spec (`extra` fills placeholders such as `{channel}`) and
    /// returns its JSON answer: a stream snapshot or a health check.
    pub async fn get_json(
        &self,
        spec: &str,
        token: Option<&Secret>,
        extra: &[(&str, &str)],
    ) -> Result<Value, RestError> {
        let (method, url) = self.url(spec, extra)?;
        self.send(self.request(method, url, token))
            .await?
            .json()
            .await
            .map_err(|e| RestError::BadAnswer(format!("the answer is not JSON: {e}")))
    }

    pub async fn unread_count(&self, token: Option<&Secret>) -> Result<u64, RestError> {
        let rest = &self.profile.rest;
        if rest.unread_count.is_empty() {
            return Err(RestError::NotConfigured("unread_count"));
        }
        let (method, url) = self.url(&rest.unread_count, &[])?;
        let body: Value = self
            .send(self.request(method, url, token))
            .await?
            .json()
            .await
            .map_err(|e| RestError::BadAnswer(e.to_string()))?;
        lookup(&body, &rest.unread_count_field)
            .and_then(Value::as_u64)
            .ok_or_else(|| RestError::BadAnswer(format!("no `{}` number", rest.unread_count_field)))
    }
}

/// The larger of two cursors: numerically when both are integers, else as text.
/// Whether cursor `a` comes after cursor `b` (numerically when both are numbers).
pub fn cursor_after(a: &str, b: &str) -> bool {
    match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => a > b,
    }
}

pub fn max_cursor(a: &str, b: &str) -> String {
    match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(x), Ok(y)) => if x >= y { a } else { b }.to_string(),
        _ => if a >= b { a } else { b }.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_compare_numerically_when_they_can() {
        assert_eq!(max_cursor("9", "10"), "10");
        assert_eq!(
            max_cursor("2025-01-02T00:00:00Z", "2025-01-01T00:00:00Z"),
            "2025-01-02T00:00:00Z"
        );
    }
}
