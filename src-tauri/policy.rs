//! The engine's notification policy in the app: one `aviso_engine::policy::Feed` (what
//! `aviso-cli watch --toasts` holds too) decides which notifications become toasts, which
//! wait for a digest, when a snooze comes back and when a silence alarm fires. The shell
//! feeds it the engine's notifications, the tray's pause, the desktop's do-not-disturb and
//! the panel's snoozes, and renders its decisions (`Shell::apply`): toasts, the tray's
//! status, the panel's list and count. No rule of its own lives in the shell.

use std::sync::Arc;
use std::time::Duration;

use aviso_engine::config::Config;
use aviso_engine::policy::{Account, Clock, Feed, Policy, PolicyConfig, PolicyError};
use aviso_engine::store::Store;
use aviso_engine::Profile;

use crate::i18n::{self, Lang};

/// The longest the policy sleeps: its time is the wall clock's, which can be set forward
/// (or the machine wake) while it sleeps on the monotonic clock; a minute late is the most
/// a quiet-hours digest or an alarm can then be.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The feed for the accounts and `[policy]` of `config`, in `lang`, and what in `[policy]`
/// does not parse (left out; everything else works).
pub fn feed(
    config: &Config,
    lang: Lang,
    clock: Clock,
    store: Arc<Store>,
) -> (Feed, Vec<PolicyError>) {
    let (policy, errors) = compile(&config.policy, config, lang, clock);
    (Feed::new(policy, clock, store), errors)
}

/// `policy` compiled for the accounts of `config`.
pub fn compile(
    policy: &PolicyConfig,
    config: &Config,
    lang: Lang,
    clock: Clock,
) -> (Policy, Vec<PolicyError>) {
    let lang = i18n::policy_lang(lang);
    let accounts = config
        .accounts
        .iter()
        .filter_map(|a| {
            let profile = Profile::load(&a.profile).ok()?;
            Some(Account::from_profile(&a.name, &profile, lang))
        })
        .collect();
    // Rules are checked per account, with its profile's payload paths: with no account
    // yet (the panel shows the login view then) they are not checked until there is one.
    Policy::new(policy, accounts, lang, clock.now())
}

use crate::ipc::PolicyProblem;

pub fn problems(errors: &[PolicyError]) -> Vec<PolicyProblem> {
    errors
        .iter()
        .map(|e| PolicyProblem {
            code: e.code(),
            message_es: e.message(aviso_engine::policy::Lang::Es),
            message_en: e.message(aviso_engine::policy::Lang::En),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_the_engine_code_and_both_languages() {
        let bad: PolicyConfig = toml::from_str(
            r#"
            quiet_hours = [{ from = "22:00", to = "22:00" }]
            [[rules]]
            name = "grande"
            when = "datos.total >= mucho"
            action = "urgent"
            "#,
        )
        .unwrap();
        let mut with_account = Config::default();
        with_account.upsert(aviso_engine::config::AccountConfig {
            name: "tienda".into(),
            server: "https://tienda.example.com".into(),
            profile: "smartsales".into(),
            username: None,
            params: Default::default(),
        });
        let (_, errors) = compile(&bad, &with_account, Lang::Es, Clock::real());
        let mut p = problems(&errors);
        p.sort_by_key(|p| p.code);
        let codes: Vec<&str> = p.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["bad_comparison", "bad_schedule"], "{p:?}");
        assert!(
            p[0].message_es
                .starts_with("la regla «grande», clave `when`"),
            "{p:?}"
        );
        assert!(
            p[0].message_en.starts_with("rule `grande`, key `when`"),
            "{p:?}"
        );
        assert!(
            p[1].message_es.contains("horario de silencio n.º 1"),
            "{p:?}"
        );
        let (_, errors) = compile(
            &PolicyConfig::default(),
            &with_account,
            Lang::En,
            Clock::real(),
        );
        assert!(errors.is_empty());
    }
}
