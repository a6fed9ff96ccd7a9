//! `aviso-cli`: Aviso without a display. Parses arguments and calls the engine; every
//! command is a few lines (see `commands.rs`).

mod commands;
mod i18n;
mod logging;
mod probe;
mod toasts;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "aviso-cli",
    version,
    about = "Aviso's headless client: real-time admin notifications"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which account a command is about: a configured one by name, or an ad-hoc server.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Target {
    /// A configured account (see `aviso-cli login`).
    #[arg(long)]
    account: Option<String>,
    /// An ad-hoc server URL (with --profile), e.g. http://127.0.0.1:8000.
    #[arg(long, conflicts_with = "account")]
    server: Option<String>,
    /// A preset name or a profile TOML file (with --server, or with `watch --demo`:
    /// `smartsales`, the default, or `smartsales-sse`).
    #[arg(long)]
    profile: Option<String>,
    /// The account name to use with --server (default: the server's host:port).
    #[arg(long, requires = "server")]
    name: Option<String>,
    /// A profile parameter, KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run sessions and print one JSON object per line.
    Watch {
        #[command(flatten)]
        target: Target,
        /// Also raise native desktop notifications.
        #[arg(long)]
        toasts: bool,
        /// Start the embedded demo backend and watch it (no account or login needed).
        #[arg(long, conflicts_with_all = ["account", "server"])]
        demo: bool,
        /// Seconds between the demo's sample events (with --demo).
        #[arg(long, default_value_t = 8.0, requires = "demo")]
        demo_interval: f64,
    },
    /// Run an account as `watch` does, with a temporary store, and print each frame the
    /// server sends beside what it became, with warnings and a summary: how a server that
    /// differs from the presets maps (docs/profiles.md).
    Probe {
        #[command(flatten)]
        target: Target,
        /// How long to listen (Ctrl-C or SIGTERM ends sooner).
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// One JSON object per frame (and the state lines as `watch` prints them).
        #[arg(long)]
        json: bool,
        /// At the end, print a profile (TOML) that maps what was seen better; stdout then
        /// carries that profile alone, the report goes to stderr (`--suggest > mine.toml`).
        #[arg(long)]
        suggest: bool,
    },
    /// Print the unread count from the local store (no network).
    Unread {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List stored notifications, newest first (no network).
    List {
        #[arg(long)]
        account: Option<String>,
        /// Only notifications of this kind (`nueva_compra`).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        unread: bool,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Search stored notifications (no network): title, body and payload values, case and
    /// accents ignored, each word a prefix; newest first.
    Search {
        /// Words to find ("perez", "devolucion 1042"); all are required.
        #[arg(required = true, num_args = 1.., value_name = "QUERY")]
        query: Vec<String>,
        #[arg(long)]
        account: Option<String>,
        /// Only notifications of this kind (`nueva_compra`).
        #[arg(long)]
        kind: Option<String>,
        /// Only unread notifications (as the unread list: snoozed ones left out).
        #[arg(long)]
        unread: bool,
        /// One JSON object per hit: the notification and its highlighted pieces.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Each account's connection health as the running Aviso (the app or a `watch`) sees
    /// it: state and transport, connected since, the last event, the ping's round trip,
    /// reconnects today and why, the next attempt, the last catch-up, queued mark-reads,
    /// when the token expires, the local store's size (no network).
    Status {
        #[arg(long)]
        account: Option<String>,
        /// One JSON object per account (`"type": "health"`).
        #[arg(long)]
        json: bool,
    },
    /// Mark notifications read (queued and retried if the server is down).
    MarkRead {
        #[command(flatten)]
        target: Target,
        /// Mark every notification of the account read.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        #[arg(required_unless_present = "all")]
        ids: Vec<String>,
    },
    /// Log in: the password is read from stdin (or a prompt) and never stored; the
    /// tokens go to the OS keyring.
    Login {
        #[arg(long)]
        server: String,
        #[arg(long, default_value = "smartsales")]
        profile: String,
        #[arg(long)]
        username: String,
        /// The account's name (default: the server's host:port).
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
    },
    /// Forget an account's tokens (keyring) and local notifications.
    Logout {
        #[arg(long)]
        account: Option<String>,
    },
    /// Rename an account; its history, read marks and tokens go with it.
    Rename {
        /// The account's name now.
        from: String,
        /// Its new name.
        to: String,
    },
    /// List the built-in profiles.
    Profiles,
    /// Profile commands.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Notification rules, quiet hours and silence alarms (`[policy]` in config.toml).
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Snooze a notification: it leaves the unread list and comes back with a toast
    /// (from `watch --toasts`) at WHEN: 1h, 30m, 9:00, "mañana 9:00", 2026-12-08 09:00.
    Snooze {
        id: String,
        #[arg(required = true, num_args = 1.., value_name = "DURATION|TIME")]
        when: Vec<String>,
        /// The notification's account (needed only when several have this id).
        #[arg(long)]
        account: Option<String>,
    },
    /// Run the embedded demo backend (SmartSales365 dialect: WebSocket and SSE).
    DemoServer {
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Seconds between generated sample events (0: none).
        #[arg(long, default_value_t = 8.0)]
        interval: f64,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check the rules, quiet hours and silence alarms of a config.toml (default: yours)
    /// or the [[rules]] of a profile file.
    Check { file: Option<std::path::PathBuf> },
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// Print a preset's TOML (a starting point for your own profile), or a profile file as
    /// --profile reads it: its `extends` applied, every default filled in.
    Show {
        #[arg(value_name = "PRESET|FILE")]
        name: String,
    },
}

fn main() {
    let cli = Cli::parse();
    logging::init(match cli.command {
        Command::Probe { .. } => "error",
        _ => "warn",
    });
    let result = match cli.command {
        Command::Unread { account, json } => commands::unread(account.as_deref(), json),
        Command::List {
            account,
            kind,
            unread,
            json,
            limit,
        } => commands::list(account.as_deref(), kind, unread, json, limit),
        Command::Search {
            query,
            account,
            kind,
            unread,
            json,
            limit,
        } => commands::search(&query.join(" "), account, kind, unread, json, limit),
        Command::Rename { from, to } => commands::rename(&from, &to),
        Command::Status { account, json } => commands::status(account.as_deref(), json),
        Command::Profiles => commands::profiles(),
        Command::Profile {
            command: ProfileCommand::Show { name },
        } => commands::profile_show(&name),
        Command::Watch {
            target,
            toasts,
            demo: false,
            ..
        } => block_on(commands::watch(target, toasts)),
        Command::Watch {
            target,
            toasts,
            demo: true,
            demo_interval,
        } => block_on(commands::watch_demo(toasts, demo_interval, target.profile)),
        Command::Probe {
            target,
            seconds,
            json,
            suggest,
        } => block_on(probe::run(
            target,
            probe::Options {
                seconds,
                json,
                suggest,
            },
        )),
        Command::MarkRead { target, all, ids } => block_on(commands::mark_read(target, all, ids)),
        Command::Login {
            server,
            profile,
            username,
            name,
            params,
        } => block_on(commands::login(server, profile, username, name, params)),
        Command::Logout { account } => block_on(commands::logout(account)),
        Command::Rules {
            command: RulesCommand::Check { file },
        } => commands::rules_check(file),
        Command::Snooze { id, when, account } => commands::snooze(&id, &when.join(" "), account),
        Command::DemoServer { port, interval } => block_on(commands::demo_server(port, interval)),
    };
    if let Err(e) = result {
        // stdout closed by its reader (`aviso-cli list | head -1`): the output was not
        // wanted any more, which is no failure (as for `ls | head`).
        if is_broken_pipe(&e) {
            std::process::exit(0);
        }
        eprintln!("aviso-cli: {}", i18n::Text::from_env().error(&e));
        std::process::exit(1);
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
