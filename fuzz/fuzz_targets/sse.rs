//! Fuzzes the SSE parser: any bytes a server can write, fed whole and in chunks, then each
//! event through the smartsales-sse profile's frame mapping.
#![no_main]

use std::sync::OnceLock;

use aviso_engine::frame::parse_frame;
use aviso_engine::profile::SseFrame;
use aviso_engine::transport::sse::{event_frame, Item, Parser};
use aviso_engine::Profile;
use libfuzzer_sys::fuzz_target;

/// Small, so over-size events are reached often.
const LIMIT: usize = 256;

fn profile() -> &'static Profile {
    static P: OnceLock<Profile> = OnceLock::new();
    P.get_or_init(|| Profile::load("smartsales-sse").unwrap())
}

fn parse(chunks: &[&[u8]]) -> Vec<Item> {
    let mut parser = Parser::new(LIMIT);
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut out);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else { return };
    let whole = parse(&[bytes]);
    // Where the network cuts the stream must not change what it means.
    let cut = (split as usize).min(bytes.len());
    let (a, b) = bytes.split_at(cut);
    assert_eq!(parse(&[a, b]), whole, "split at {cut}");
    let small: Vec<&[u8]> = bytes.chunks(1 + split as usize % 7).collect();
    assert_eq!(parse(&small), whole, "chunks of {}", 1 + split as usize % 7);
    for item in whole {
        match item {
            Item::Event { event, data, id } => {
                assert!(data.len() <= LIMIT, "an event over the limit got through");
                assert!(id.as_deref().is_none_or(|id| !id.contains('\0')));
                for shape in [SseFrame::Event, SseFrame::Data] {
                    let frame = event_frame(shape, &event, &data, id.as_deref());
                    if let Ok((_, errors)) = parse_frame(profile(), "fuzz", &frame) {
                        for e in errors {
                            assert!(!e.message.is_empty());
                        }
                    }
                }
            }
            Item::Id(id) => assert!(!id.contains('\0')),
            Item::Bad { message, .. } => assert!(!message.is_empty()),
            Item::Retry(_) | Item::Comment => {}
        }
    }
});
