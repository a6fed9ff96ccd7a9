//! Auth: simplejwt-style obtain/refresh, token expiry, and the per-account token keeper
//! that refreshes before expiry and on an auth failure.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use crate::credentials::{CredentialError, Credentials, Tokens};
use crate::profile::{secs, AuthMode, AuthSection};
use crate::secret::Secret;
use crate::session::{Detail, Failure};
use crate::template::lookup;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("the server refused the refresh token; log in again")]
    Rejected,
    #[error("cannot reach {server}: {message}")]
    Unreachable { server: String, message: String },
    #[error("the server answered {status} to the token request")]
    Server { status: u16 },
    #[error("the token answer has no `{0}` field")]
    BadAnswer(String),
    #[error("{0}")]
    Credentials(#[from] CredentialError),
    #[error("not logged in: no token stored for this account")]
    NoToken,
    #[error("the server refused the access token, and there is no refresh token to renew it; log in again")]
    NoRefreshToken,
    #[error("the server refused the connection, and this profile sends no token (auth.mode = \"none\"); if the server needs a login, use a profile with an [auth] section (docs/profiles.md)")]
    NotSent,
}

impl AuthError {
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            AuthError::WrongCredentials => crate::ErrorCode::WrongCredentials,
            AuthError::Rejected | AuthError::NoToken | AuthError::NoRefreshToken => {
                crate::ErrorCode::NeedsLogin
            }
            AuthError::Unreachable { .. } => crate::ErrorCode::Unreachable,
            AuthError::Server { .. } | AuthError::BadAnswer(_) => crate::ErrorCode::ServerError,
            AuthError::Credentials(e) => e.code(),
            AuthError::NotSent => crate::ErrorCode::AuthRequired,
        }
    }

    /// How the session should treat this failure.
    pub fn failure(&self) -> Failure {
        match self {
            AuthError::WrongCredentials
            | AuthError::Rejected
            | AuthError::NoToken
            | AuthError::NoRefreshToken => Failure::RefreshRejected,
            AuthError::Credentials(_) => Failure::RefreshRejected,
            AuthError::NotSent => Failure::NoAuth,
            AuthError::Unreachable { .. } => Failure::Transient(Detail::Unreachable),
            AuthError::Server { .. } | AuthError::BadAnswer(_) => {
                Failure::Transient(Detail::ServerError)
            }
        }
    }
}

/// The `exp` claim of a JWT (seconds since the epoch), read without verifying the
/// signature: the client only needs to know when to refresh; the server verifies.
pub fn expires_at(token: &Secret) -> Option<u64> {
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<u64>,
    }
    let data = jsonwebtoken::dangerous::insecure_decode::<Claims>(token.expose()).ok()?;
    data.claims.exp
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn post_json(
    http: &reqwest::Client,
    server: &Url,
    path: &str,
    body: Value,
    timeout: Duration,
) -> Result<(u16, Value), AuthError> {
    let url = server.join(path).map_err(|e| AuthError::Unreachable {
        server: server.origin().ascii_serialization(),
        message: e.to_string(),
    })?;
    let unreachable = |e: reqwest::Error| AuthError::Unreachable {
        server: server.origin().ascii_serialization(),
        message: crate::rest::describe(&e),
    };
    let resp = http
        .post(url)
        .json(&body)
        .timeout(timeout)
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status().as_u16();
    let value = resp.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, value))
}

fn field(value: &Value, name: &str) -> Option<Secret> {
    lookup(value, name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}

/// Exchanges a username and password for tokens (`POST auth.obtain`).
pub async fn obtain(
    http: &reqwest::Client,
    server: &Url,
    auth: &AuthSection,
    username: &str,
    password: &Secret,
) -> Result<Tokens, AuthError> {
    let mut body = serde_json::Map::new();
    body.insert(auth.username_field.clone(), json!(username));
    body.insert(auth.password_field.clone(), json!(password.expose()));
    let (status, value) = post_json(
        http,
        server,
        &auth.obtain,
        Value::Object(body),
        Duration::from_secs(20),
    )
    .await?;
    match status {
        200 | 201 => Ok(Tokens {
            access: field(&value, &auth.access_field)
                .ok_or_else(|| AuthError::BadAnswer(auth.access_field.clone()))?,
            refresh: field(&value, &auth.refresh_field),
        }),
        400 | 401 | 403 => Err(AuthError::WrongCredentials),
        status => Err(AuthError::Server { status }),
    }
}

/// Exchanges a refresh token for a new access token (`POST auth.refresh`).
pub async fn refresh(
    http: &reqwest::Client,
    server: &Url,
    auth: &AuthSection,
    refresh: &Secret,
) -> Result<Tokens, AuthError> {
    let body = json!({ auth.refresh_field.clone(): refresh.expose() });
    let (status, value) =
        post_json(http, server, &auth.refresh, body, Duration::from_secs(20)).await?;
    match status {
        200 | 201 => Ok(Tokens {
            access: field(&value, &auth.access_field)
                .ok_or_else(|| AuthError::BadAnswer(auth.access_field.clone()))?,
            // simplejwt rotates the refresh token only when ROTATE_REFRESH_TOKENS is on.
            refresh: field(&value, &auth.refresh_field).or_else(|| Some(refresh.clone())),
        }),
        400 | 401 | 403 => Err(AuthError::Rejected),
        status => Err(AuthError::Server { status }),
    }
}

/// A token handed out by [`TokenKeeper::access`], with the generation it belongs to.
#[derive(Debug, Clone)]
pub struct Access {
    pub token: Option<Secret>,
    /// Bumped by every refresh and login. A socket refused with generation `g` asks for a
    /// refresh *after* `g`: when another socket already refreshed, it just reconnects.
    pub generation: u64,
}

struct KeeperState {
    tokens: Option<Tokens>,
    generation: u64,
    /// The generation whose refresh the server refused: asking again would only repeat
    /// the refusal (seed 002 has five sockets per account; a revoked token must cost the
    /// server one refresh attempt, not five).
    rejected: Option<u64>,
}

/// Holds one account's tokens, shared by every socket of the account: loads them from the
/// keyring, refreshes them before they expire and when the server refuses them (once per
/// generation, whichever socket asks first), and stores refreshed ones back.
///
/// The state sits behind a Tokio mutex held across the refresh request, so sockets that
/// are refused at the same moment queue behind the one refresh and then see its outcome.
pub struct TokenKeeper {
    account: String,
    server: Url,
    auth: AuthSection,
    http: reqwest::Client,
    creds: Arc<Credentials>,
    state: tokio::sync::Mutex<KeeperState>,
}

impl TokenKeeper {
    pub fn new(
        account: &str,
        server: Url,
        auth: AuthSection,
        http: reqwest::Client,
        creds: Arc<Credentials>,
    ) -> TokenKeeper {
        TokenKeeper {
            account: account.into(),
            server,
            auth,
            http,
            creds,
            state: tokio::sync::Mutex::new(KeeperState {
                tokens: None,
                generation: 0,
                rejected: None,
            }),
        }
    }

    pub fn needs_token(&self) -> bool {
        self.auth.mode != AuthMode::None
    }

    /// Replaces the tokens (after a login): a new generation.
    pub async fn set(&self, tokens: Tokens) {
        let mut st = self.state.lock().await;
        st.tokens = Some(tokens);
        st.generation += 1;
        st.rejected = None;
    }

    async fn load(&self, st: &mut KeeperState) -> Result<(), AuthError> {
        if st.tokens.is_none() {
            let creds = self.creds.clone();
            let account = self.account.clone();
            let loaded = tokio::task::spawn_blocking(move || creds.load(&account))
                .await
                .map_err(|e| AuthError::Credentials(CredentialError::Other(e.to_string())))??;
            st.tokens = Some(loaded.ok_or(AuthError::NoToken)?);
        }
        Ok(())
    }

    /// A usable access token (None when the profile needs none), refreshed first when it
    /// expires within the profile's margin.
    pub async fn access(&self) -> Result<Access, AuthError> {
        if !self.needs_token() {
            return Ok(Access {
                token: None,
                generation: 0,
            });
        }
        let mut st = self.state.lock().await;
        self.load(&mut st).await?;
        let tokens = st.tokens.as_ref().ok_or(AuthError::NoToken)?;
        let margin = secs(self.auth.refresh_margin_secs as f64).as_secs();
        let stale = expires_at(&tokens.access).is_some_and(|exp| exp <= now_secs() + margin);
        if stale && tokens.refresh.is_some() && st.rejected != Some(st.generation) {
            self.refresh_locked(&mut st).await?;
        }
        Ok(Access {
            token: st.tokens.as_ref().map(|t| t.access.clone()),
            generation: st.generation,
        })
    }

    /// Refreshes after the server refused a token of `generation`. When another socket
    /// already refreshed since, this succeeds at once (the caller reconnects with the new
    /// token); when the refresh of that generation was already refused, this fails at once.
    /// Either way the server sees at most one refresh per generation. `Ok(false)`: nothing
    /// was refreshed, a newer token is there to try (it has had no verdict yet).
    pub async fn refresh_after(&self, generation: u64) -> Result<bool, AuthError> {
        if !self.needs_token() {
            // Nothing to renew, and no keyring to ask: the server wants what we never send.
            return Err(AuthError::NotSent);
        }
        let mut st = self.state.lock().await;
        self.load(&mut st).await?;
        if st.generation != generation {
            return Ok(false);
        }
        if st.rejected == Some(generation) {
            return Err(AuthError::Rejected);
        }
        self.refresh_locked(&mut st).await.map(|()| true)
    }

    async fn refresh_locked(&self, st: &mut KeeperState) -> Result<(), AuthError> {
        let Some(refresh_token) = st.tokens.as_ref().and_then(|t| t.refresh.clone()) else {
            st.rejected = Some(st.generation);
            return Err(AuthError::NoRefreshToken);
        };
        let fresh = match refresh(&self.http, &self.server, &self.auth, &refresh_token).await {
            Ok(fresh) => fresh,
            Err(e) => {
                if matches!(e, AuthError::Rejected) {
                    st.rejected = Some(st.generation);
                }
                return Err(e);
            }
        };
        let creds = self.creds.clone();
        let account = self.account.clone();
        let to_store = fresh.clone();
        tokio::task::spawn_blocking(move || creds.save(&account, &to_store))
            .await
            .map_err(|e| AuthError::Credentials(CredentialError::Other(e.to_string())))??;
        st.tokens = Some(fresh);
        st.generation += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp_without_verifying() {
        // {"alg":"HS256","typ":"JWT"} . {"exp":1700000000,"user_id":1} . junk signature
        let token = Secret::new(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDAwMDAsInVzZXJfaWQiOjF9.c2ln",
        );
        assert_eq!(expires_at(&token), Some(1_700_000_000));
        assert_eq!(expires_at(&Secret::new("not-a-jwt")), None);
    }
}
