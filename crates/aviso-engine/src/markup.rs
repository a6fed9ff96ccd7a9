//! Escaping for notification daemons: the freedesktop spec lets bodies carry a subset of
//! HTML, so text from a server must be escaped or `<b>`/`<a href>` from a hostile server
//! would render.

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape("<b>x</b> & 'y' <a href=\"j\">"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39; &lt;a href=&quot;j&quot;&gt;"
        );
    }
}
