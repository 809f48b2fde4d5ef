//! Fuzz target for the whois side: every line of the input through `parse_query` and a
//! `Session` over a small fixed registry (persistent mode, source selection, set expansion
//! with a cycle, object look-ups). Nothing may panic; every answer is framed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_irr::load::LoadOptions;
use routenorms_irr::whois::{parse_query, Session};
use routenorms_irr::IrrDb;
use std::sync::OnceLock;

const REGISTRY: &str = "\
route: 192.0.2.0/24\norigin: AS64500\nsource: A\n\n\
route6: 2001:db8::/32\norigin: AS64500\nsource: B\n\n\
as-set: AS-X\nmembers: AS64500, AS-Y\nsource: A\n\n\
as-set: AS-Y\nmembers: AS-X, AS64501\nsource: A\n\n\
route-set: RS-X\nmembers: 10.0.0.0/8^+, AS-X\nsource: A\n\n\
aut-num: AS64500\nmember-of: AS-X\nsource: A\n";

fn db() -> &'static IrrDb {
    static DB: OnceLock<IrrDb> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = IrrDb::new();
        let opts = LoadOptions {
            keep_text: true,
            threads: 1,
            ..LoadOptions::default()
        };
        db.load_reader(REGISTRY.as_bytes(), &opts)
            .expect("registry");
        db.finish();
        db
    })
}

fuzz_target!(|data: &[u8]| {
    let mut session = Session::new(db());
    for line in data.split(|&b| b == b'\n') {
        let _ = parse_query(line);
        let reply = session.answer_line(line);
        let b = &reply.bytes;
        assert!(
            b.is_empty()
                || b.starts_with(b"A")
                || b.starts_with(b"C\n")
                || b.starts_with(b"D\n")
                || b.starts_with(b"F ")
                || b.starts_with(b"%")
                || b.starts_with(b"route")
                || b.starts_with(b"as-set")
                || b.starts_with(b"route-set")
                || b.starts_with(b"aut-num"),
            "{:?}",
            String::from_utf8_lossy(b)
        );
        if reply.close {
            session = Session::new(db());
        }
    }
});
