//! The CLI's log output: stderr (stdout is the JSON-lines interface), filtered by
//! `AVISO_LOG`, coloured only when stderr is a terminal (a log file or a pipe gets plain
//! text, not escape codes) and `NO_COLOR` is unset or empty (<https://no-color.org>).

use std::io::IsTerminal;

/// `default`: the filter without `AVISO_LOG` (`warn`; `probe` says every frame's problem in
/// its report, so there only errors are logged).
pub fn init(default: &str) {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("AVISO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    for cap in aviso_engine::LOG_CAPS {
        filter = filter.add_directive(cap.parse().expect("LOG_CAPS are valid directives"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_writer(std::io::stderr)
        .init();
}

/// Whether the log is coloured: on a terminal, unless `NO_COLOR` is set to something.
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
