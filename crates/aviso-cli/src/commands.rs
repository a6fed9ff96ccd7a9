//! The CLI's commands: each resolves its inputs and calls the engine.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use aviso_engine::config::{parse_server, AccountConfig, Config};
use aviso_engine::credentials::Credentials;
use aviso_engine::dirs::Dirs;
use aviso_engine::engine::{flush_outbox_once, http_client};
use aviso_engine::policy::{self, Account, Clock, Lang, Policy, PolicyConfig};
use aviso_engine::store::{ListQuery, SearchQuery, Segment, Store};
use aviso_engine::{AccountSpec, Engine, EngineEvent, EngineOptions, Profile, Secret};
use tokio::sync::mpsc;

use crate::i18n::Text;
use crate::{toasts, Target};

pub(crate) fn load_config() -> Result<Config> {
    Ok(Config::load(&Dirs::from_env().config_file())?)
}

fn open_store() -> Result<Store> {
    let dir = Dirs::from_env().data;
    std::fs::create_dir_all(&dir)
        .with_context(|| Text::from_env().cannot_create(&dir.display().to_string()))?;
    Ok(Store::open(&dir.join("aviso.db"))?)
}

/// A line on stdout. A closed stdout (`aviso-cli list | head -1`) is an error here, a
/// broken pipe, which `main` ends quietly with status 0 (`println!` would panic instead).
pub(crate) fn say(out: &mut impl Write, line: &str) -> Result<()> {
    writeln!(out, "{line}")?;
    Ok(())
}

fn parse_params(params: &[String]) -> Result<BTreeMap<String, String>> {
    params
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!(Text::from_env().param_not_key_value(p)),
        })
        .collect()
}

/// The accounts a command is about: the named one, an ad-hoc server, or every configured
/// account (`all_if_none`) / the only one.
fn resolve(target: &Target, config: &Config, all_if_none: bool) -> Result<Vec<AccountSpec>> {
    resolve_accounts(target, config, all_if_none)?
        .iter()
        .map(|a| Ok(a.spec()?))
        .collect()
}

/// [`resolve`], as configured: each account with the profile name or file it names (what
/// `probe --suggest` starts from), its `--param`s applied, not yet loaded.
pub(crate) fn resolve_accounts(
    target: &Target,
    config: &Config,
    all_if_none: bool,
) -> Result<Vec<AccountConfig>> {
    let text = Text::from_env();
    let params = parse_params(&target.params)?;
    if target.server.is_none() && target.profile.is_some() {
        bail!(text.profile_needs_server());
    }
    if let Some(server) = &target.server {
        let server_url = parse_server(server)?;
        let profile = target.profile.as_deref().unwrap_or("smartsales");
        let account = AccountConfig {
            name: target
                .name
                .clone()
                .unwrap_or_else(|| aviso_engine::accounts::default_name(&server_url)),
            server: server.clone(),
            profile: profile.to_string(),
            username: None,
            params,
        };
        return Ok(vec![account]);
    }
    let chosen: Vec<&AccountConfig> = match &target.account {
        Some(name) => vec![config.account(name)?],
        None if config.accounts.len() == 1 || (all_if_none && !config.accounts.is_empty()) => {
            config.accounts.iter().collect()
        }
        None if config.accounts.is_empty() => bail!(text.no_account_configured()),
        None => bail!(text.several_accounts()),
    };
    Ok(chosen
        .into_iter()
        .map(|a| {
            let mut a = a.clone();
            a.params.extend(params.clone());
            a
        })
        .collect())
}

/// The engine's options for `watch` and `probe`: the config's CA file, the store in
/// `data_dir`.
pub(crate) fn engine_options(config: &Config, data_dir: std::path::PathBuf) -> EngineOptions {
    EngineOptions {
        data_dir,
        extra_ca: config.extra_ca.clone(),
    }
}

/// `--account NAME` of `unread` and `list`: a configured account, or one the store has
/// notifications or a position of (an ad-hoc `--server` account). A name that is neither
/// is a mistake to say, not an empty account.
fn check_stored_account(store: &Store, account: Option<&str>) -> Result<()> {
    let Some(name) = account else {
        return Ok(());
    };
    let configured = load_config()?.accounts.iter().any(|a| a.name == name);
    if configured || store.total_count(Some(name))? > 0 || store.cursor(name)?.is_some() {
        return Ok(());
    }
    bail!(Text::from_env().unknown_stored_account(name))
}

pub fn unread(account: Option<&str>, json: bool) -> Result<()> {
    let store = open_store()?;
    check_stored_account(&store, account)?;
    let count = store.unread_count(account)?;
    let mut out = std::io::stdout().lock();
    if json {
        let line = serde_json::json!({ "account": account, "unread": count });
        say(&mut out, &line.to_string())
    } else {
        say(&mut out, &count.to_string())
    }
}

pub fn list(
    account: Option<&str>,
    kind: Option<String>,
    unread_only: bool,
    json: bool,
    limit: usize,
) -> Result<()> {
    let store = open_store()?;
    check_stored_account(&store, account)?;
    let items = store.list(&ListQuery {
        account: account.map(str::to_string),
        kind,
        unread_only,
        limit,
        ..ListQuery::default()
    })?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for n in &items {
        if json {
            say(&mut out, &serde_json::to_string(n)?)?;
        } else {
            let title = one_line(&n.title);
            let body = one_line(&n.body);
            say(&mut out, &text_line(n, &title, &body))?;
        }
    }
    if items.is_empty() && !json {
        say(&mut out, &Text::from_env().nothing_stored(unread_only))?;
    }
    out.flush()?;
    Ok(())
}

/// A notification as `list` and `search` print it: the title and the body (already made one
/// line, maybe marked) joined by ` — `, or the title alone when the body is empty.
fn text_line(n: &aviso_engine::Notification, title: &str, body: &str) -> String {
    let mark = if n.read { ' ' } else { '•' };
    let text = if body.trim().is_empty() {
        title.to_string()
    } else {
        format!("{title} — {body}")
    };
    format!(
        "{mark} {}  [{}] {text}  ({}#{})",
        n.created_at,
        one_line(&n.kind),
        one_line(&n.account),
        one_line(&n.id)
    )
}

/// `search QUERY`: the newest stored notifications that match, as `list` prints them, the
/// matched parts in bold red on a terminal (as grep marks them); with `--json`, one object
/// per hit: the notification's fields plus `highlights` (README, "The JSON lines of
/// `aviso-cli list` and `search`").
pub fn search(
    query: &str,
    account: Option<String>,
    kind: Option<String>,
    unread_only: bool,
    json: bool,
    limit: usize,
) -> Result<()> {
    let text = Text::from_env();
    let hits = open_store()?.search(&SearchQuery {
        text: query.to_string(),
        account,
        kind,
        unread_only,
        before: None,
        limit,
    })?;
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = std::io::BufWriter::new(stdout.lock());
    for hit in &hits {
        if json {
            let mut line = serde_json::to_value(&hit.notification)?;
            line["highlights"] = serde_json::json!({
                "title": hit.title_segments(),
                "body": hit.body_segments(),
            });
            say(&mut out, &line.to_string())?;
        } else {
            let title = marked(&hit.title_segments(), color);
            let body = marked(&hit.body_segments(), color);
            say(&mut out, &text_line(&hit.notification, &title, &body))?;
        }
    }
    if hits.is_empty() && !json {
        let line = if query.chars().any(char::is_alphanumeric) {
            text.no_results(&one_line(query))
        } else {
            text.query_has_no_words()
        };
        say(&mut out, &line)?;
    }
    out.flush()?;
    Ok(())
}

/// A notification's text on one terminal line: control characters (line breaks, escape
/// sequences a hostile server could send) become spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Segments joined on one line, the matched ones in bold red when `color`.
fn marked(segments: &[Segment], color: bool) -> String {
    let mut line = String::new();
    for s in segments {
        let text = one_line(&s.text);
        if s.matched && color {
            line.push_str("\x1b[1;31m");
            line.push_str(&text);
            line.push_str("\x1b[0m");
        } else {
            line.push_str(&text);
        }
    }
    line
}

pub fn profiles() -> Result<()> {
    let mut out = std::io::stdout().lock();
    for (name, description) in Profile::presets() {
        say(&mut out, &format!("{name:<20} {description}"))?;
    }
    Ok(())
}

/// `profile show NAME|FILE`: a preset's TOML as it ships (comments included), or a profile
/// file as `--profile` reads it: resolved, its `extends` applied and every default filled
/// in, so what is printed is what runs; a file that does not load is its error.
pub fn profile_show(name: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some(src) = Profile::preset_source(name) {
        write!(out, "{src}")?;
        return Ok(());
    }
    // A name that is no preset and no file is `unknown profile` (said by `Text::error`).
    let mut profile = Profile::load(name)?;
    // Applied: printing it again would apply it twice to whoever copies this output.
    let extends = profile.extends.take();
    let toml = toml::to_string_pretty(&profile)
        .with_context(|| Text::from_env().cannot_print_profile())?;
    say(
        &mut out,
        &Text::from_env().resolved_profile(name, extends.as_deref()),
    )?;
    write!(out, "{toml}")?;
    Ok(())
}

pub async fn watch(target: Target, with_toasts: bool) -> Result<()> {
    let config = load_config()?;
    let specs = resolve(&target, &config, true)?;
    let options = engine_options(&config, Dirs::from_env().data);
    let toasts = with_toasts.then_some(config.policy);
    run_watch(options, Credentials::from_env(), specs, toasts).await
}

/// `watch --demo`: the embedded demo backend on a free loopback port, logged in as its
/// admin with in-memory tokens; its data is kept apart from real accounts. `profile`:
/// `smartsales` (WebSocket, the default) or `smartsales-sse` (the same over SSE).
pub async fn watch_demo(with_toasts: bool, interval: f64, profile: Option<String>) -> Result<()> {
    let config = aviso_demo::DemoConfig {
        event_interval: (interval > 0.0).then(|| std::time::Duration::from_secs_f64(interval)),
        ..aviso_demo::DemoConfig::default()
    };
    let demo = aviso_demo::DemoServer::start(([127, 0, 0, 1], 0).into(), config).await?;
    let text = Text::from_env();
    eprintln!("{}", text.demo_watching(&demo.http_url()));
    let tls = aviso_engine::tls::client_config(None)?;
    let (_, spec, tokens) = aviso_engine::accounts::demo(
        &http_client(&tls)?,
        &demo.http_url(),
        profile.as_deref().unwrap_or("smartsales"),
    )
    .await?;
    // Each demo server starts its ids at 1: a store kept from an earlier demo would take
    // them for notifications already seen.
    let data_dir = Dirs::from_env().data.join("demo");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| text.cannot_reset(&data_dir.display().to_string()))?;
    }
    let options = EngineOptions {
        data_dir,
        extra_ca: None,
    };
    // The user's own rules and quiet hours apply to the demo too.
    let toasts = with_toasts.then(|| load_config().map(|c| c.policy).unwrap_or_default());
    let result = run_watch(options, Credentials::in_memory(tokens), vec![spec], toasts).await;
    demo.stop().await;
    result
}

/// The policy for these accounts, in the language of LANG/LC_MESSAGES. Settings that do
/// not parse are reported (as `error` lines with code `bad_policy`) and left out.
fn policy_for(
    config: &PolicyConfig,
    specs: &[AccountSpec],
    clock: &Clock,
) -> (Policy, Vec<EngineEvent>) {
    let lang = Lang::from_env();
    let accounts = specs
        .iter()
        .map(|s| Account::from_profile(&s.name, &s.profile, lang))
        .collect();
    let (policy, errors) = Policy::new(config, accounts, lang, clock.now());
    let errors = errors
        .into_iter()
        .map(|e| EngineEvent::Error {
            account: String::new(),
            code: aviso_engine::ErrorCode::BadPolicy,
            message: e.message(lang),
        })
        .collect();
    (policy, errors)
}

/// `toasts`: with `--toasts`, the `[policy]` that shapes them.
async fn run_watch(
    options: EngineOptions,
    creds: Credentials,
    specs: Vec<AccountSpec>,
    toasts: Option<PolicyConfig>,
) -> Result<()> {
    let clock = Clock::from_env().map_err(anyhow::Error::msg)?;
    let policy = toasts.map(|config| policy_for(&config, &specs, &clock));
    let (engine, mut events) = Engine::open(options, creds)?;
    for spec in specs {
        engine.add(spec);
    }
    let (toast_tx, toast_rx) = mpsc::channel(1024);
    // The policy's decisions, as JSON lines, printed by this loop with the engine's.
    let (line_tx, mut line_rx) = mpsc::unbounded_channel::<String>();
    // Buffered: a burst goes out in one write per batch of queued events (stdout alone
    // would write each line as it ends).
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let print = |out: &mut std::io::BufWriter<std::io::StdoutLock<'_>>,
                 event: &EngineEvent|
     -> Result<()> {
        writeln!(out, "{}", serde_json::to_string(event)?)?;
        Ok(())
    };
    let with_toasts = policy.is_some();
    let toaster = match policy {
        Some((policy, errors)) => {
            for e in &errors {
                print(&mut stdout, e)?;
            }
            stdout.flush()?;
            Some(tokio::spawn(toasts::run(
                policy,
                clock,
                engine.store().clone(),
                toast_rx,
                line_tx.clone(),
            )))
        }
        None => None,
    };
    // Made once: a signal future made anew per event would register a handler each time.
    let stop = stop_signal();
    tokio::pin!(stop);
    // Ends on a signal, or on an error writing stdout (a reader that went away: a broken
    // pipe, which `main` ends quietly), which stops the engine as a signal does.
    let outcome: Result<()> = loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break Ok(()) };
                // What else is already queued goes out with it, in one flush.
                let mut next = Some(event);
                let mut written = Ok(());
                while let Some(event) = next.take() {
                    written = print(&mut stdout, &event);
                    if written.is_err() {
                        break;
                    }
                    if with_toasts {
                        match &event {
                            EngineEvent::Notification(n) => {
                                let _ = toast_tx.try_send(toasts::Input::Notification(n.clone()));
                            }
                            EngineEvent::Unread { account, .. } => {
                                let _ = toast_tx.try_send(toasts::Input::Unread(account.clone()));
                            }
                            EngineEvent::Error { account, code, .. } => {
                                let _ = toast_tx.try_send(toasts::Input::Problem {
                                    account: account.clone(),
                                    code: *code,
                                });
                            }
                            _ => {}
                        }
                    }
                    next = events.try_recv().ok();
                }
                if let Err(e) = written.and_then(|()| Ok(stdout.flush()?)) {
                    break Err(e);
                }
            }
            Some(line) = line_rx.recv() => {
                let mut written = say(&mut stdout, &line);
                while written.is_ok() {
                    let Ok(line) = line_rx.try_recv() else { break };
                    written = say(&mut stdout, &line);
                }
                if let Err(e) = written.and_then(|()| Ok(stdout.flush()?)) {
                    break Err(e);
                }
            }
            _ = &mut stop => break Ok(()),
        }
    };
    engine.shutdown().await;
    drop(toast_tx);
    drop(line_tx);
    if let Some(t) = toaster {
        let _ = t.await;
    }
    outcome?;
    // The links' last words (the `stopped` states) are still queued, and the policy's last
    // decisions.
    while let Ok(event) = events.try_recv() {
        print(&mut stdout, &event)?;
    }
    while let Ok(line) = line_rx.try_recv() {
        say(&mut stdout, &line)?;
    }
    stdout.flush()?;
    Ok(())
}

/// Ctrl-C or SIGTERM (a supervisor's stop): how `watch` and `probe` end.
pub(crate) async fn stop_signal() {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm() => {}
    }
}

#[cfg(unix)]
async fn sigterm() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn sigterm() {
    std::future::pending().await
}

pub async fn mark_read(target: Target, all: bool, ids: Vec<String>) -> Result<()> {
    let config = load_config()?;
    let spec = resolve(&target, &config, false)?.remove(0);
    let store = open_store()?;
    let changed = if all {
        aviso_engine::outbox::queue_mark_all(&store, &spec.name, &spec.profile)?.count
    } else {
        store.mark_read(&spec.name, &ids, true)?.len() as u64
    };
    let tls = aviso_engine::tls::client_config(config.extra_ca.as_deref())?;
    let http = http_client(&tls)?;
    let creds = Arc::new(Credentials::from_env());
    let flushed = flush_outbox_once(&store, &http, creds, &spec).await;
    let text = Text::from_env();
    let mut out = std::io::stdout().lock();
    let f = match flushed {
        Ok(f) => f,
        Err(e) => {
            let why = text.error(&anyhow::Error::from(e));
            return say(&mut out, &text.marked_queued_not_sent(changed, &why));
        }
    };
    // Only what the server answered for is said to be confirmed; what it does not know or
    // refused is said, and makes the exit status 1.
    let asked: Vec<String> = if all { vec!["*".into()] } else { ids.clone() };
    let unknown: Vec<&String> = asked.iter().filter(|id| f.not_found.contains(id)).collect();
    let refused: Vec<&String> = asked.iter().filter(|id| f.forbidden.contains(id)).collect();
    let confirmed = if f.pending > 0 || f.local_only > 0 {
        0
    } else if all {
        if unknown.is_empty() && refused.is_empty() {
            changed
        } else {
            0
        }
    } else {
        (asked.len() - unknown.len() - refused.len()) as u64
    };
    if f.pending > 0 {
        say(&mut out, &text.marked_queued(changed, f.pending))?;
    } else if f.local_only > 0 {
        say(&mut out, &text.marked_here_only(changed))?;
    } else if confirmed > 0 || (unknown.is_empty() && refused.is_empty()) {
        say(&mut out, &text.marked_confirmed(confirmed))?;
    }
    for id in &unknown {
        eprintln!("{}", text.server_does_not_know(id));
    }
    for id in &refused {
        eprintln!("{}", text.server_refused_mark(id));
    }
    if !unknown.is_empty() || !refused.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn read_password() -> Result<Secret> {
    let text = Text::from_env();
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        rpassword::prompt_password(text.password_prompt())?
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if password.is_empty() {
        bail!(text.empty_password());
    }
    Ok(Secret::new(password))
}

pub async fn login(
    server: String,
    profile: String,
    username: String,
    name: Option<String>,
    params: Vec<String>,
) -> Result<()> {
    let (account, spec) = aviso_engine::accounts::new_account(
        &server,
        &profile,
        &username,
        name.as_deref(),
        parse_params(&params)?,
    )?;
    let password = read_password()?;
    let config = load_config()?;
    let tls = aviso_engine::tls::client_config(config.extra_ca.as_deref())?;
    let http = http_client(&tls)?;
    let creds = Arc::new(Credentials::keyring());
    aviso_engine::engine::login(&http, &creds, &spec, &username, &password).await?;
    Config::update(&Dirs::from_env().config_file(), |c| {
        c.upsert(account.clone())
    })?;
    let origin = spec.server.origin().ascii_serialization();
    let line = Text::from_env().logged_in(&username, &origin, &account.name);
    say(&mut std::io::stdout(), &line)
}

pub async fn logout(account: Option<String>) -> Result<()> {
    let config = load_config()?;
    let target = Target {
        account,
        ..Target::default()
    };
    let spec = resolve(&target, &config, false)?.remove(0);
    aviso_engine::accounts::logout(
        &Dirs::from_env().config_file(),
        &open_store()?,
        &Arc::new(Credentials::keyring()),
        &spec.name,
    )
    .await?;
    say(
        &mut std::io::stdout(),
        &Text::from_env().logged_out(&spec.name),
    )
}

/// `rename OLD NEW`: the account's history, read marks, queued mark-reads and tokens go to
/// the new name (`aviso_engine::accounts::rename`). A running app or `watch` keeps the old
/// name until it restarts.
pub fn rename(from: &str, to: &str) -> Result<()> {
    let store = open_store()?;
    let creds = std::sync::Arc::new(Credentials::from_env());
    let renamed =
        aviso_engine::accounts::rename(&Dirs::from_env().config_file(), &store, &creds, from, to)?;
    say(
        &mut std::io::stdout(),
        &Text::from_env().renamed(from, &renamed.name),
    )
}

pub async fn demo_server(port: u16, interval: f64) -> Result<()> {
    let text = Text::from_env();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| text.cannot_listen(&addr.to_string()))?;
    let local = listener.local_addr()?;
    let config = aviso_demo::DemoConfig {
        event_interval: (interval > 0.0).then(|| std::time::Duration::from_secs_f64(interval)),
        ..aviso_demo::DemoConfig::default()
    };
    let banner = text.demo_server(
        &local.to_string(),
        aviso_demo::WS_PATH,
        aviso_demo::SSE_PATH,
    );
    eprintln!("{banner}");
    // Not a message: the line a supervisor waits for.
    say(&mut std::io::stdout(), &format!("READY {}", local.port()))?;
    aviso_demo::serve(listener, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// `rules check [FILE]`: compiles the `[policy]` of a `config.toml` (default: the user's)
/// against its accounts' profiles, or the `[[rules]]` of a profile file, and says what is
/// wrong, item by item, in the user's language.
pub fn rules_check(file: Option<std::path::PathBuf>) -> Result<()> {
    let text = Text::from_env();
    let lang = text.lang();
    let path = file
        .clone()
        .unwrap_or_else(|| Dirs::from_env().config_file());
    let shown = path.display().to_string();
    if file.is_some() && !path.exists() {
        bail!(text.file_does_not_exist(&shown));
    }
    let source = std::fs::read_to_string(&path).unwrap_or_default();
    let table: toml::Table = source.parse().with_context(|| text.not_toml(&shown))?;
    let is_profile = table.contains_key("rules") || table.contains_key("fields");
    let (config, accounts) = if is_profile && !table.contains_key("policy") {
        let profile = Profile::load(&path.display().to_string())?;
        let name = profile.name.clone();
        (
            PolicyConfig::default(),
            vec![Account::from_profile(&name, &profile, lang)],
        )
    } else {
        let config = Config::load(&path)?;
        let mut accounts = Vec::new();
        for a in &config.accounts {
            let profile = Profile::load(&a.profile)?;
            accounts.push(Account::from_profile(&a.name, &profile, lang));
        }
        (config.policy, accounts)
    };
    let rules = config.rules.len() + accounts.iter().map(|a| a.preset_rules.len()).sum::<usize>();
    let (_, errors) = Policy::new(&config, accounts, lang, policy::Timestamp::now());
    let mut out = std::io::stdout().lock();
    if errors.is_empty() {
        let (quiet, silence) = (config.quiet_hours.len(), config.silence.len());
        return say(&mut out, &text.rules_ok(&shown, rules, quiet, silence));
    }
    for e in &errors {
        say(&mut out, &format!("{shown}: {}", e.message(lang)))?;
    }
    bail!(text.rules_errors(errors.len(), &shown))
}

/// `snooze ID WHEN`: the notification leaves the unread list until WHEN (a duration, a
/// time of day, "mañana 9:00", a date and time); `watch --toasts` brings it back with a
/// toast. The time is read on the policy's clock, in the account's time zone.
pub fn snooze(id: &str, when: &str, account: Option<String>) -> Result<()> {
    let text = Text::from_env();
    let lang = text.lang();
    let store = open_store()?;
    let config = load_config()?;
    let account = match account {
        Some(a) => a,
        None => {
            let owners: Vec<String> = config
                .accounts
                .iter()
                .map(|a| a.name.clone())
                .chain(store_accounts(&store)?)
                .filter(|a| store.get(a, id).ok().flatten().is_some())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            match owners.as_slice() {
                [one] => one.clone(),
                [] => bail!(text.no_stored_notification(id)),
                _ => bail!(text.several_have(id, &owners.join(", "))),
            }
        }
    };
    let clock = Clock::from_env().map_err(anyhow::Error::msg)?;
    let zone = config
        .policy
        .time_zones
        .get(&account)
        .unwrap_or(&config.policy.time_zone);
    let tz = policy::schedule::time_zone(Some(zone)).map_err(|p| {
        anyhow::anyhow!(
            policy::PolicyError::new(policy::Place::Policy, "time_zone", p).message(lang)
        )
    })?;
    let Some(until) = policy::schedule::parse_when(when, clock.now(), &tz) else {
        bail!(text.not_a_future_time(when))
    };
    if !store.snooze(&account, id, until)? {
        bail!(text.cannot_snooze(id, &account))
    }
    let local = until.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string();
    say(
        &mut std::io::stdout(),
        &text.snoozed_until(&account, id, &local),
    )
}

/// The accounts the local store holds notifications of (ad-hoc `--server` accounts too).
fn store_accounts(store: &Store) -> Result<Vec<String>> {
    let items = store.list(&ListQuery {
        limit: 10_000,
        ..ListQuery::default()
    })?;
    let names: std::collections::BTreeSet<String> = items.into_iter().map(|n| n.account).collect();
    Ok(names.into_iter().collect())
}

/// `status`: each account's connection health, as the running Aviso (the app or a
/// `watch`) published it in the store, with the store's own figures read now. An account
/// no running Aviso publishes is said to be not running, with what was last known.
pub fn status(account: Option<&str>, json: bool) -> Result<()> {
    use aviso_engine::health::{Health, STALE_AFTER};
    let text = Text::from_env();
    let store = open_store()?;
    let config = load_config()?;
    let published = store.healths()?;
    let mut names: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
    for (h, _) in &published {
        if !names.contains(&h.account) {
            names.push(h.account.clone());
        }
    }
    if let Some(name) = account {
        if !names.iter().any(|n| n == name) {
            check_stored_account(&store, Some(name))?;
            names = vec![name.to_string()];
        } else {
            names.retain(|n| n == name);
        }
    }
    if names.is_empty() && !json {
        bail!(text.no_account_configured());
    }
    let bytes = store.file_bytes();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for name in names {
        let found = published.iter().find(|(h, _)| h.account == name);
        let running = found.is_some_and(|(_, age)| *age < STALE_AFTER);
        // The store's figures, read now (what the running Aviso published may be 30 s old).
        let queued = store.queued_marks(&name)?;
        let unread = store.unread_count(Some(&name))?;
        let mut health = found.map(|(h, _)| h.clone());
        if let Some(h) = &mut health {
            h.queued_marks = queued;
            h.unread = unread;
            h.store_bytes = bytes;
        }
        if json {
            let mut line = match &health {
                Some(h) => serde_json::to_value(h)?,
                None => serde_json::json!({
                    "account": name,
                    "queued_marks": queued,
                    "unread": unread,
                    "store_bytes": bytes,
                }),
            };
            line["type"] = "health".into();
            line["running"] = running.into();
            say(&mut out, &line.to_string())?;
            continue;
        }
        let l = text.status_labels();
        let server = health.as_ref().map(|h| h.server.as_str()).unwrap_or("");
        if server.is_empty() {
            say(&mut out, &one_line(&name))?;
        } else {
            say(
                &mut out,
                &format!("{}  ({})", one_line(&name), one_line(server)),
            )?;
        }
        let row = |out: &mut std::io::BufWriter<_>, label: &str, value: String| {
            say(out, &format!("  {:<22} {value}", format!("{label}:")))
        };
        if !running {
            let last = health.as_ref().map(|h| when(&h.as_of));
            say(
                &mut out,
                &format!("  {}", text.status_not_running(last.as_deref())),
            )?;
        }
        let none = || l.none.to_string();
        if let Some(h) = health.as_ref().filter(|_| running) {
            let Health {
                state, transport, ..
            } = h;
            let mut s = text.state_word(*state).to_string();
            if let Some(t) = transport {
                s.push_str(&format!(" ({})", crate::i18n::transport_name(*t)));
            }
            if let Some(since) = &h.connected_since {
                s.push_str(&format!(", {} {}", l.since, when(since)));
            }
            row(&mut out, l.state, s)?;
            if !h.detail.is_none() {
                row(&mut out, l.reason, h.detail.to_string())?;
            }
            row(
                &mut out,
                l.last_event,
                h.last_event
                    .as_ref()
                    .map(|e| {
                        format!(
                            "{} [{}] {}",
                            when(&e.at),
                            one_line(&e.kind),
                            one_line(&e.title)
                        )
                    })
                    .unwrap_or_else(none),
            )?;
            row(
                &mut out,
                l.rtt,
                h.rtt_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(none),
            )?;
            let reasons: Vec<String> = h
                .reconnect_reasons
                .iter()
                .map(|(why, n)| format!("{why} ×{n}"))
                .collect();
            row(
                &mut out,
                l.reconnects,
                if reasons.is_empty() {
                    h.reconnects_today.to_string()
                } else {
                    format!("{} ({})", h.reconnects_today, reasons.join(", "))
                },
            )?;
            if let Some(at) = &h.next_retry_at {
                row(&mut out, l.next_retry, when(at))?;
            }
            row(
                &mut out,
                l.catch_up,
                h.last_catch_up
                    .as_ref()
                    .map(|c| {
                        if c.ok {
                            let word = if c.items == 1 { l.new_one } else { l.new_items };
                            format!("{}, {} {word}", when(&c.at), c.items)
                        } else {
                            format!("{}, {}", when(&c.at), l.failed)
                        }
                    })
                    .unwrap_or_else(none),
            )?;
            row(
                &mut out,
                l.token,
                h.token_expires_at.as_deref().map(when).unwrap_or_else(none),
            )?;
        }
        row(&mut out, l.queued, queued.to_string())?;
        row(&mut out, l.unread, unread.to_string())?;
        row(&mut out, l.store, size_words(bytes))?;
    }
    out.flush()?;
    Ok(())
}

/// An RFC 3339 time as the person reads it: local, `HH:MM:SS` today, else with the date.
fn when(at: &str) -> String {
    let Ok(ts) = at.parse::<jiff::Timestamp>() else {
        return one_line(at);
    };
    let tz = jiff::tz::TimeZone::system();
    let zoned = ts.to_zoned(tz.clone());
    if zoned.date() == jiff::Timestamp::now().to_zoned(tz).date() {
        zoned.strftime("%H:%M:%S").to_string()
    } else {
        zoned.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// Bytes as KiB / MiB.
fn size_words(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}
