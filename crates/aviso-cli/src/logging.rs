//! The CLI's log output: stderr (stdout is the JSON-lines interface), filtered by
//! `AVISO_LOG`, coloured only when stderr is a terminal (a log file or a pipe gets plain
//! text, not escape codes).

use std::io::IsTerminal;

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AVISO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
