//! The HTTP side of the contract: simplejwt token endpoints and the notification REST API.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::{self, TokenType, User};
use crate::store::{DemoState, ListQuery, Notification};
use crate::App;

/// DRF's `max_limit` in the contract: a client asking for more gets this many a page.
const MAX_PAGE: usize = 500;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/api/token/", post(obtain))
        .route("/api/token/refresh/", post(refresh))
        .route("/api/admin/notificaciones/", get(list))
        .route(
            "/api/admin/notificaciones/{id}/marcar-leida/",
            post(mark_read),
        )
        .route(
            "/api/admin/notificaciones/marcar-todas-leidas/",
            post(mark_all_read),
        )
        .route("/api/admin/notificaciones/no-leidas/", get(unread_count))
}

/// An error answer the way DRF renders one: a status and a small JSON body.
pub(crate) struct Refusal(pub StatusCode, pub Value);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(self.1)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            // simplejwt's views and authentication both name this challenge; without one DRF
            // would turn the 401 into a 403.
            let challenge = HeaderValue::from_static("Bearer realm=\"api\"");
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

type Answer = Result<Response, Refusal>;

async fn obtain(State(state): State<DemoState>, headers: HeaderMap, body: Bytes) -> Answer {
    state.record(|s| s.token_obtain += 1);
    let fields = required(&fields(&headers, &body), &["username", "password"])?;
    let Some(user) = auth::login(&fields[0], &fields[1]) else {
        // Not even the username: people type passwords into the wrong field.
        tracing::info!("token obtain refused: wrong credentials");
        let detail = json!({"detail": "No active account found with the given credentials"});
        return Err(Refusal(StatusCode::UNAUTHORIZED, detail));
    };
    tracing::info!(username = user.username, "tokens issued");
    let refresh = state.issue(TokenType::Refresh, user);
    let access = state.issue(TokenType::Access, user);
    Ok(Json(json!({"refresh": refresh, "access": access})).into_response())
}

async fn refresh(State(state): State<DemoState>, headers: HeaderMap, body: Bytes) -> Answer {
    let checked = required(&fields(&headers, &body), &["refresh"]).and_then(|fields| {
        state.check(&fields[0], TokenType::Refresh).map_err(|e| {
            tracing::info!(reason = %e, "refresh refused");
            let detail =
                json!({"detail": "Token is invalid or expired", "code": "token_not_valid"});
            Refusal(StatusCode::UNAUTHORIZED, detail)
        })
    });
    state.record(|s| match checked {
        Ok(_) => s.refresh_ok += 1,
        Err(_) => s.refresh_failed += 1,
    });
    Ok(Json(json!({"access": state.issue(TokenType::Access, checked?)})).into_response())
}

/// simplejwt's serializers accept JSON or a form; non-string values count as missing.
fn fields(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return url::form_urlencoded::parse(body).into_owned().collect();
    }
    let object: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
    object
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
        .collect()
}

/// The named fields in order, or DRF's `400 {"field": ["This field is required."]}`.
fn required(fields: &HashMap<String, String>, names: &[&str]) -> Result<Vec<String>, Refusal> {
    let missing: Map<String, Value> = names
        .iter()
        .filter(|n| !fields.contains_key(**n))
        .map(|n| ((*n).to_owned(), json!(["This field is required."])))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal(StatusCode::BAD_REQUEST, Value::Object(missing)));
    }
    Ok(names.iter().map(|n| fields[*n].clone()).collect())
}

/// DRF's `IsAdminUser` behind simplejwt's `JWTAuthentication`: 401 without a usable access
/// token, 403 for a valid one of a non-staff user.
fn authenticate(state: &DemoState, headers: &HeaderMap) -> Result<User, Refusal> {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        state.record(|s| s.rest.unauthorized += 1);
        let detail = json!({"detail": "Authentication credentials were not provided."});
        return Err(Refusal(StatusCode::UNAUTHORIZED, detail));
    };
    match state.check(token.trim(), TokenType::Access) {
        Ok(user) if user.is_staff => Ok(user),
        Ok(_) => {
            let detail = json!({"detail": "You do not have permission to perform this action."});
            Err(Refusal(StatusCode::FORBIDDEN, detail))
        }
        Err(e) => {
            tracing::debug!(reason = %e, "bearer token refused");
            state.record(|s| s.rest.unauthorized += 1);
            Err(Refusal(
                StatusCode::UNAUTHORIZED,
                json!({
                    "detail": "Given token not valid for any token type",
                    "code": "token_not_valid",
                    "messages": [{"token_class": "AccessToken", "token_type": "access",
                                  "message": "Token is invalid or expired"}],
                }),
            ))
        }
    }
}

/// A struct rather than `json!` so notification fields keep Django's order on the wire.
#[derive(Serialize)]
struct Page {
    count: usize,
    next: Option<String>,
    results: Vec<Notification>,
}

async fn list(State(state): State<DemoState>, headers: HeaderMap, query: RawQuery) -> Answer {
    state.record(|s| s.rest.list += 1);
    let user = authenticate(&state, &headers)?;
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.0.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let Ok(after) = params.get("after").map_or(Ok(0), |a| a.parse::<u64>()) else {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            json!({"after": ["Enter a whole number."]}),
        ));
    };
    // Like DRF's LimitOffsetPagination: a bad or zero limit means the default, a big one the max.
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(state.config().page_limit)
        .min(MAX_PAGE);
    let leida = match params
        .get("leida")
        .map(|l| l.to_ascii_lowercase())
        .as_deref()
    {
        None => None,
        Some("false" | "0") => Some(false),
        Some("true" | "1") => Some(true),
        Some(_) => {
            let detail = json!({"leida": ["Must be a valid boolean."]});
            return Err(Refusal(StatusCode::BAD_REQUEST, detail));
        }
    };
    let (count, results, more) = state.list(
        user,
        &ListQuery {
            after,
            limit,
            leida,
        },
    );
    let next = results.last().filter(|_| more).map(|last| {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let filter = leida.map(|l| format!("&leida={l}")).unwrap_or_default();
        format!(
            "http://{host}/api/admin/notificaciones/?after={}&limit={limit}{filter}",
            last.id
        )
    });
    let body = serde_json::to_vec(&Page {
        count,
        next,
        results,
    })
    .expect("plain JSON values");
    // Django's ConditionalGetMiddleware hashes the content too. DefaultHasher has fixed keys, so
    // tags stay stable for the life of the process, across in-process restarts included.
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let if_none_match = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
    {
        state.record(|s| s.rest.list_not_modified += 1);
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response());
    }
    Ok((
        [(CONTENT_TYPE, "application/json".to_owned()), (ETAG, etag)],
        body,
    )
        .into_response())
}

async fn mark_read(
    State(state): State<DemoState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    state.record(|s| s.rest.mark_read += 1);
    let user = authenticate(&state, &headers)?;
    // `<int:pk>` in a Django URL: a non-number does not match the route at all.
    match id.parse::<u64>() {
        Ok(id) if state.mark_read(user, id) => {
            Ok(Json(json!({"id": id, "leida": true})).into_response())
        }
        _ => Err(Refusal(
            StatusCode::NOT_FOUND,
            json!({"detail": "Not found."}),
        )),
    }
}

async fn mark_all_read(State(state): State<DemoState>, headers: HeaderMap) -> Answer {
    state.record(|s| s.rest.mark_all_read += 1);
    let user = authenticate(&state, &headers)?;
    Ok(Json(json!({"marcadas": state.mark_all_read(user)})).into_response())
}

async fn unread_count(State(state): State<DemoState>, headers: HeaderMap) -> Answer {
    state.record(|s| s.rest.unread_count += 1);
    let user = authenticate(&state, &headers)?;
    Ok(Json(json!({"count": state.unread(user)})).into_response())
}
