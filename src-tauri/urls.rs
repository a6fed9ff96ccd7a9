//! Which notification URLs may be opened in the browser: `http(s)` on the account's own
//! server origin, or paths relative to it. Everything else (`javascript:`, `data:`, `file:`,
//! other hosts) is refused: a notification's text comes from the network.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a URL")]
    Invalid,
    #[error("scheme `{0}` is not allowed")]
    Scheme(String),
    #[error("host `{0}` is not the account's server")]
    ForeignOrigin(String),
}

/// Resolves `raw` against the account's server and checks it.
pub fn safe_target(server: &Url, raw: &str) -> Result<Url, Refused> {
    let raw = raw.trim();
    // Scheme-relative (`//evil.example/x`) would inherit the scheme and change the host.
    let url = server.join(raw).map_err(|_| Refused::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme(url.scheme().to_string()));
    }
    if url.origin() != server.origin() {
        return Err(Refused::ForeignOrigin(
            url.host_str().unwrap_or("").to_string(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Url {
        Url::parse("https://tienda.example:8443/").unwrap()
    }

    #[test]
    fn relative_paths_and_same_origin_urls_are_allowed() {
        assert_eq!(
            safe_target(&server(), "/admin/orders/1042/")
                .unwrap()
                .as_str(),
            "https://tienda.example:8443/admin/orders/1042/"
        );
        assert!(safe_target(&server(), "https://tienda.example:8443/x?y=1").is_ok());
    }

    #[test]
    fn hostile_urls_are_refused() {
        for raw in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "vbscript:msgbox",
        ] {
            assert!(
                matches!(safe_target(&server(), raw), Err(Refused::Scheme(_))),
                "{raw}"
            );
        }
        for raw in [
            "https://evil.example/admin/",
            "//evil.example/admin/",
            "http://tienda.example:8443/",
            "https://tienda.example/",
            "https://tienda.example:8443@evil.example/",
        ] {
            assert!(safe_target(&server(), raw).is_err(), "{raw}");
        }
    }
}
