//! simplejwt-style HS256 access/refresh tokens and the two demo users.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// A demo account. The contract fixes these two: one staff user who receives every generated
/// event, and one plain customer whose WebSocket handshakes are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct User {
    pub id: u64,
    pub username: &'static str,
    password: &'static str,
    pub is_staff: bool,
}

pub(crate) const USERS: [User; 2] = [
    User {
        id: 1,
        username: "admin",
        password: "admin",
        is_staff: true,
    },
    User {
        id: 2,
        username: "cliente",
        password: "cliente",
        is_staff: false,
    },
];

pub(crate) fn login(username: &str, password: &str) -> Option<User> {
    USERS
        .into_iter()
        .find(|u| u.username == username && u.password == password)
}

pub(crate) fn user(id: u64) -> Option<User> {
    USERS.into_iter().find(|u| u.id == id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenType {
    Access,
    Refresh,
}

/// The exact claim set simplejwt puts in its tokens, so a client that peeks into the payload
/// (e.g. to schedule a refresh from `exp`) sees what a Django backend would send.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub token_type: TokenType,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub user_id: u64,
}

/// Why a token was refused. All of them end up as the same 401/403 on the wire (simplejwt does
/// not tell them apart either); the variants exist for the logs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TokenError {
    #[error("malformed or badly signed token")]
    Invalid,
    #[error("token of the wrong type")]
    WrongType,
    #[error("token expired")]
    Expired,
    #[error("token revoked")]
    Revoked,
}

pub(crate) struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Self {
        Signer {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Signs a fresh token; returns it with its claims so the caller can record the `jti`.
    pub fn issue(&self, kind: TokenType, user: User, ttl: Duration) -> (String, Claims) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // `exp` is rounded up so the JWT never claims to expire before the (sub-second precise)
        // deadline the store enforces.
        let exp = (now + ttl).as_secs() + u64::from((now + ttl).subsec_nanos() > 0);
        let claims = Claims {
            token_type: kind,
            exp,
            iat: now.as_secs(),
            jti: format!("{:032x}", rand::random::<u128>()),
            user_id: user.id,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail");
        (token, claims)
    }

    /// Checks signature, `exp` and `token_type`; revocation is the store's business.
    pub fn verify(&self, token: &str, kind: TokenType) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // jsonwebtoken allows 60 s of clock skew by default; the demo is its own clock, and tests
        // with short TTLs need expiry to be exact.
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            },
        )?;
        if data.claims.token_type != kind {
            return Err(TokenError::WrongType);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_type_check() {
        let signer = Signer::new(b"secret");
        let (token, claims) = signer.issue(TokenType::Access, USERS[0], Duration::from_secs(60));
        assert_eq!(
            signer.verify(&token, TokenType::Access).unwrap().jti,
            claims.jti
        );
        assert_eq!(
            signer.verify(&token, TokenType::Refresh).unwrap_err(),
            TokenError::WrongType
        );
        assert_eq!(
            Signer::new(b"other")
                .verify(&token, TokenType::Access)
                .unwrap_err(),
            TokenError::Invalid
        );
    }
}
