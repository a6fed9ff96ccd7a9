//! Windows toasts, shown through WinRT's `ToastNotification` with a `Tag` and a `Group`.
//!
//! Why not notify-rust here, as on Linux: its Windows side (tauri-winrt-notification 0.8)
//! builds the toast without a tag or group, and a tag and group are Microsoft's way to
//! update a toast in place: a toast shown with the tag and group of an earlier one replaces
//! it, in the pop-up and in the notification centre ("Toast content" and "Replace a toast
//! notification", ToastNotification.Tag/Group, learn.microsoft.com). A live burst's toast
//! (`aviso_engine::policy`) is one toast whose count grows, so each slot of the policy is
//! one tag.
//!
//! The toast's XML follows Microsoft's toast content schema (`ToastGeneric`: a title and a
//! body `<text>`, up to five `<action>` buttons whose `arguments` come back on activation,
//! the body's `launch` argument, `scenario="reminder"` for urgent toasts, `<audio>`). It is
//! built and unit-tested on every platform; showing it is Windows-only and cannot run under
//! Wine 8, which has no WinRT toast platform (`0x80040154`, README "Platforms").

/// The group of every Aviso toast; the tag tells them apart.
pub const GROUP: &str = "aviso";

/// The `launch` argument of a click on the toast's body.
pub const BODY_CLICK: &str = "default";

/// What one toast shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec<'a> {
    pub title: &'a str,
    /// Plain text (XML-escaped here; Windows shows text, never markup).
    pub body: &'a str,
    /// (arguments, label) of each button, in order; at most five are shown.
    pub buttons: Vec<(&'a str, &'a str)>,
    /// Urgent: the reminder scenario (the toast stays until the user acts on it).
    pub urgent: bool,
    /// The system's default notification sound; `false` is silent.
    pub sound: bool,
    /// An image file shown as the toast's logo.
    pub logo: Option<&'a str>,
}

/// The toast's XML document.
pub fn xml(spec: &Spec) -> String {
    let mut x = format!("<toast launch=\"{}\"", escape(BODY_CLICK));
    if spec.urgent {
        x.push_str(" scenario=\"reminder\"");
    }
    x.push_str("><visual><binding template=\"ToastGeneric\">");
    x.push_str(&format!("<text>{}</text>", escape(spec.title)));
    if !spec.body.is_empty() {
        x.push_str(&format!("<text>{}</text>", escape(spec.body)));
    }
    if let Some(logo) = spec.logo {
        x.push_str(&format!(
            "<image placement=\"appLogoOverride\" src=\"{}\"/>",
            escape(&file_uri(logo))
        ));
    }
    x.push_str("</binding></visual>");
    if !spec.buttons.is_empty() {
        x.push_str("<actions>");
        for (arguments, label) in spec.buttons.iter().take(5) {
            x.push_str(&format!(
                "<action content=\"{}\" arguments=\"{}\" activationType=\"foreground\"/>",
                escape(label),
                escape(arguments)
            ));
        }
        x.push_str("</actions>");
    }
    if spec.sound {
        x.push_str("<audio src=\"ms-winsoundevent:Notification.Default\"/>");
    } else {
        x.push_str("<audio silent=\"true\"/>");
    }
    x.push_str("</toast>");
    x
}

/// The tag of a policy slot's toast: unique to this run of the app (a slot number starts
/// again at 1 after a restart, and must not replace a toast left from the previous run).
/// Windows allows 64 characters.
pub fn tag(run: u64, slot: u64) -> String {
    format!("{run:x}-{slot}")
}

/// What an activation's arguments ask for: the body's click or a button's key.
pub fn response_of(arguments: &str) -> notify_rust::NotificationResponse {
    if arguments.is_empty() || arguments == BODY_CLICK {
        notify_rust::NotificationResponse::Default
    } else {
        notify_rust::NotificationResponse::Action(arguments.to_string())
    }
}

/// Text for an XML attribute or element: the engine's markup escape (the same five
/// characters), after the characters XML 1.0 cannot carry (LoadXml would refuse the whole
/// toast) become spaces.
fn escape(s: &str) -> String {
    let carried: String = s
        .chars()
        .map(|c| {
            if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    aviso_engine::markup::escape(&carried)
}

/// `C:\Users\x\icon.png` → `file:///C:/Users/x/icon.png`.
fn file_uri(path: &str) -> String {
    if path.contains("://") {
        return path.to_string();
    }
    format!(
        "file:///{}",
        path.replace('\\', "/").trim_start_matches('/')
    )
}

/// Shows the toast; `on_response` hears its activation (a button's arguments, or the body's
/// click) on a WinRT thread while this process runs.
#[cfg(target_os = "windows")]
pub fn show(
    xml: &str,
    tag: &str,
    on_response: impl Fn(notify_rust::NotificationResponse) + Send + 'static,
) -> windows::core::Result<()> {
    use windows::core::{IInspectable, Interface, Ref, HSTRING};
    use windows::Data::Xml::Dom::XmlDocument;
    use windows::Foundation::TypedEventHandler;
    use windows::UI::Notifications::{
        ToastActivatedEventArgs, ToastNotification, ToastNotificationManager,
    };

    let doc = XmlDocument::new()?;
    doc.LoadXml(&HSTRING::from(xml))?;
    let toast = ToastNotification::CreateToastNotification(&doc)?;
    toast.SetTag(&HSTRING::from(tag))?;
    toast.SetGroup(&HSTRING::from(GROUP))?;
    toast.Activated(&TypedEventHandler::<ToastNotification, IInspectable>::new(
        move |_, args: Ref<IInspectable>| {
            let arguments = args
                .as_ref()
                .and_then(|a| a.cast::<ToastActivatedEventArgs>().ok())
                .and_then(|a| a.Arguments().ok())
                .map(|s| s.to_string())
                .unwrap_or_default();
            on_response(response_of(&arguments));
            Ok(())
        },
    ))?;
    ToastNotificationManager::CreateToastNotifierWithId(&HSTRING::from(
        crate::app_id::APP_USER_MODEL_ID,
    ))?
    .Show(&toast)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_rust::NotificationResponse as R;

    fn spec() -> Spec<'static> {
        Spec {
            title: "Nueva compra #1042",
            body: "Pérez & Hijos <b>S.A.</b> \"urgente\"",
            buttons: vec![
                ("mark_read", "Marcar como leída"),
                ("snooze_1h", "Recordar en 1 h"),
            ],
            urgent: false,
            sound: true,
            logo: None,
        }
    }

    #[test]
    fn the_xml_carries_the_texts_as_text_and_each_button_with_its_key() {
        assert_eq!(
            xml(&spec()),
            "<toast launch=\"default\"><visual><binding template=\"ToastGeneric\">\
             <text>Nueva compra #1042</text>\
             <text>Pérez &amp; Hijos &lt;b&gt;S.A.&lt;/b&gt; &quot;urgente&quot;</text>\
             </binding></visual><actions>\
             <action content=\"Marcar como leída\" arguments=\"mark_read\" activationType=\"foreground\"/>\
             <action content=\"Recordar en 1 h\" arguments=\"snooze_1h\" activationType=\"foreground\"/>\
             </actions><audio src=\"ms-winsoundevent:Notification.Default\"/></toast>"
        );
    }

    #[test]
    fn urgent_is_a_reminder_silent_has_no_sound_and_a_logo_is_a_file_uri() {
        let mut s = spec();
        s.urgent = true;
        s.sound = false;
        s.buttons.clear();
        s.logo = Some(r"C:\Users\ana\AppData\Local\Aviso\icon.png");
        let x = xml(&s);
        assert!(
            x.starts_with("<toast launch=\"default\" scenario=\"reminder\">"),
            "{x}"
        );
        assert!(x.ends_with("<audio silent=\"true\"/></toast>"), "{x}");
        assert!(!x.contains("<actions>"), "{x}");
        assert!(
            x.contains(
                "<image placement=\"appLogoOverride\" src=\"file:///C:/Users/ana/AppData/Local/Aviso/icon.png\"/>"
            ),
            "{x}"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_become_spaces() {
        let mut s = spec();
        s.body = "línea\u{1}otra\tfin";
        assert!(xml(&s).contains("<text>línea otra\tfin</text>"));
    }

    #[test]
    fn at_most_five_buttons() {
        let mut s = spec();
        s.buttons = vec![("a", "A"); 7];
        assert_eq!(xml(&s).matches("<action ").count(), 5);
    }

    #[test]
    fn a_tag_is_per_run_and_slot_and_tag_and_group_fit_windows_limit() {
        assert_eq!(tag(0x5f3a, 7), "5f3a-7");
        assert_ne!(tag(1, 7), tag(2, 7));
        assert!(tag(u64::MAX, u64::MAX).len() <= 64);
        assert!(!GROUP.is_empty() && GROUP.len() <= 64);
    }

    #[test]
    fn activations_map_to_the_same_responses_as_on_linux() {
        assert_eq!(response_of(""), R::Default);
        assert_eq!(response_of("default"), R::Default);
        assert_eq!(response_of("mark_read"), R::Action("mark_read".into()));
    }
}
