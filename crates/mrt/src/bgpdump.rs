//! Text in exactly the format of `bgpdump -m` (RIPE NCC bgpdump 1.6): one line per RIB entry,
//! announced or withdrawn prefix, and state change.
//!
//! Reproduced on purpose, because operators' scripts parse it: bgpdump's IPv6 notation
//! (`fmt_ipv6`: `::` also for a single zero group, `::a.b.c.d` for IPv4-compatible addresses),
//! its omission of extended and large communities, `no-export`-style names for well-known
//! communities, `255.255.255.255` for an absent next hop and `0` for absent LOCAL_PREF and MED.
//! Deliberately *not* reproduced, where bgpdump 1.6.2 contradicts the RFCs or loses data (each
//! difference is pinned by the oracle test in `crates/cli/tests/oracle.rs`): NLRI trailing bits
//! are cleared (RFC 4271 4.3); a 4-octet AGGREGATOR is read as such wherever it appears; ADD-PATH
//! NLRI that BIRD writes under plain BGP4MP subtypes are decoded with their path identifiers
//! (RFC 8050); AS4_PATH is merged as RFC 6793 4.2.3 says (bgpdump repeats the first segment);
//! records whose length field is short are repaired rather than dropped; RIB_GENERIC and
//! multicast RIB records (RFC 6396 4.3.2-4.3.3) are printed rather than ignored; the
//! `*_LOCAL_ADDPATH` subtypes are labelled `BGP4MP_LOCAL_AP` as newer bgpdump releases do.

use crate::attr::{communities, Attributes};
use crate::element::{walk, ElementKind, WalkNotes};
use crate::error::DecodeError;
use crate::record::{Addr, Decoded, PeerIndexTable, Record};
use routenorms_types::{Community, Prefix, Timestamp};

/// Writes `n` in decimal. The digits are pushed one by one: on this hot path a `memcpy` call
/// per number costs more than the digits.
#[inline]
pub fn put_u32(out: &mut Vec<u8>, n: u32) {
    let mut b = itoa::Buffer::new();
    let s = b.format(n).as_bytes();
    out.reserve(s.len());
    for &d in s {
        out.push(d);
    }
}

/// Dotted quad.
#[inline]
pub fn put_ipv4(out: &mut Vec<u8>, a: [u8; 4]) {
    for (i, o) in a.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        let o = *o;
        if o >= 100 {
            out.push(b'0' + o / 100);
            out.push(b'0' + (o / 10) % 10);
            out.push(b'0' + o % 10);
        } else if o >= 10 {
            out.push(b'0' + o / 10);
            out.push(b'0' + o % 10);
        } else {
            out.push(b'0' + o);
        }
    }
}

/// IPv6 text as bgpdump's `fmt_ipv6` writes it: IPv4-mapped and IPv4-compatible addresses in
/// mixed notation, otherwise lowercase hex groups with the first longest run of zero groups
/// (even a single one) written as `::`.
pub fn put_ipv6(out: &mut Vec<u8>, a: [u8; 16]) {
    let w = |i: usize| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    let head_zero = a[..10].iter().all(|&b| b == 0);
    let tail = u32::from_be_bytes([a[12], a[13], a[14], a[15]]);
    if head_zero && w(5) == 0xffff {
        out.extend_from_slice(b"::ffff:");
        put_ipv4(out, [a[12], a[13], a[14], a[15]]);
        return;
    }
    if head_zero && w(5) == 0 && tail > 1 {
        out.extend_from_slice(b"::");
        put_ipv4(out, [a[12], a[13], a[14], a[15]]);
        return;
    }
    // The first longest run of zero groups.
    let (mut best, mut best_len) = (8usize, 0usize);
    let mut i = 0;
    while i < 8 {
        if w(i) == 0 {
            let start = i;
            while i < 8 && w(i) == 0 {
                i += 1;
            }
            if i - start > best_len {
                best = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut i = 0;
    while i < 8 {
        if i == best {
            if i == 0 {
                out.push(b':');
            }
            out.push(b':');
            i += best_len;
            continue;
        }
        let g = w(i);
        let mut started = false;
        for shift in [12u32, 8, 4, 0] {
            let d = ((g >> shift) & 0xf) as usize;
            if d != 0 || started || shift == 0 {
                out.push(HEX[d]);
                started = true;
            }
        }
        if i != 7 {
            out.push(b':');
        }
        i += 1;
    }
}

fn put_addr(out: &mut Vec<u8>, a: Addr) {
    match a {
        Addr::V4(a) => put_ipv4(out, a),
        Addr::V6(a) => put_ipv6(out, a),
    }
}

fn put_prefix(out: &mut Vec<u8>, p: &Prefix) {
    let bits = p.bits();
    match p.afi() {
        routenorms_types::Afi::Ipv4 => put_ipv4(out, (bits as u32).to_be_bytes()),
        routenorms_types::Afi::Ipv6 => put_ipv6(out, bits.to_be_bytes()),
    }
    out.push(b'/');
    put_u32(out, p.len() as u32);
}

fn put_time(out: &mut Vec<u8>, t: Timestamp, extended: bool) {
    put_u32(out, t.secs);
    if extended {
        out.push(b'.');
        let mut b = itoa::Buffer::new();
        let s = b.format(t.micros % 1_000_000);
        for _ in s.len()..6 {
            out.push(b'0');
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// The AS path text: bgpdump's segment notation, AS4_PATH merged.
pub fn put_as_path(out: &mut Vec<u8>, a: &Attributes<'_>) {
    let Some(path) = a.as_path else { return };
    if a.has_as4_merge() {
        let merged = a.effective_as_path();
        out.extend_from_slice(merged.to_string().as_bytes());
        return;
    }
    let mut first = true;
    for seg in path.segments() {
        let (open, sep, close): (&[u8], u8, &[u8]) = match seg.code {
            1 => (b"{", b',', b"}"),
            3 => (b"(", b' ', b")"),
            4 => (b"[", b',', b"]"),
            _ => (b"", b' ', b""),
        };
        if !first {
            out.push(b' ');
        }
        first = false;
        out.extend_from_slice(open);
        for (i, asn) in seg.asns().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            put_u32(out, asn);
        }
        out.extend_from_slice(close);
    }
}

fn put_origin(out: &mut Vec<u8>, a: &Attributes<'_>) {
    // bgpdump prints a missing ORIGIN as INCOMPLETE.
    out.extend_from_slice(match a.origin {
        Some(0) => b"IGP".as_slice(),
        Some(1) => b"EGP".as_slice(),
        _ => b"INCOMPLETE".as_slice(),
    });
}

fn put_communities(out: &mut Vec<u8>, a: &Attributes<'_>) {
    let Some(v) = a.communities else { return };
    for (i, c) in communities::standard(v).enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        match c {
            Community::NO_EXPORT => out.extend_from_slice(b"no-export"),
            Community::NO_ADVERTISE => out.extend_from_slice(b"no-advertise"),
            Community::NO_EXPORT_SUBCONFED => out.extend_from_slice(b"local-AS"),
            c => {
                put_u32(out, c.high() as u32);
                out.push(b':');
                put_u32(out, c.low() as u32);
            }
        }
    }
}

/// `|LOCAL_PREF|MED|COMMUNITIES|AG|AGGREGATOR|` after the next hop, then the newline.
fn put_tail(out: &mut Vec<u8>, a: &Attributes<'_>) {
    out.push(b'|');
    put_u32(out, a.local_pref.unwrap_or(0));
    out.push(b'|');
    put_u32(out, a.med.unwrap_or(0));
    out.push(b'|');
    put_communities(out, a);
    out.push(b'|');
    out.extend_from_slice(if a.atomic_aggregate { b"AG" } else { b"NAG" });
    out.push(b'|');
    if let Some(agg) = a.effective_aggregator() {
        put_u32(out, agg.asn);
        out.push(b' ');
        put_ipv4(out, agg.addr);
    }
    out.extend_from_slice(b"|\n");
}

/// The line label of a BGP4MP message: `_ET` for microsecond timestamps, `_LOCAL` for messages
/// the recorder sent, `_AP` when lines carry a path id.
fn message_label(extended: bool, local: bool, add_path: bool) -> &'static [u8] {
    match (extended, local, add_path) {
        (false, false, false) => b"BGP4MP|",
        (false, true, false) => b"BGP4MP_LOCAL|",
        (false, false, true) => b"BGP4MP_AP|",
        (false, true, true) => b"BGP4MP_LOCAL_AP|",
        (true, false, false) => b"BGP4MP_ET|",
        (true, true, false) => b"BGP4MP_ET_LOCAL|",
        (true, false, true) => b"BGP4MP_ET_AP|",
        (true, true, true) => b"BGP4MP_ET_LOCAL_AP|",
    }
}

/// Entries in the address text cache (direct-mapped; a documented default sized for the peer
/// and next-hop addresses of one collector).
const ADDR_CACHE_SLOTS: usize = 1024;

/// Appends the first `len` bytes of a fixed-size buffer. Copying the whole array has a size
/// known at compile time, so it becomes a few vector moves instead of a `memcpy` call; the
/// excess is cut off again.
#[inline]
fn put_short<const N: usize>(out: &mut Vec<u8>, text: &[u8; N], len: usize) {
    let start = out.len();
    out.extend_from_slice(text);
    out.truncate(start + len);
}

/// Identifies the attribute block (by address, within one record) and next hop a cached line
/// tail was formatted from.
type TailKey = (usize, Option<Addr>);

/// A bgpdump `-m` formatter. It remembers the text of recently printed addresses: a RIB dump
/// repeats the same few hundred peer and next-hop addresses millions of times, and IPv6 text
/// is the most expensive field of a line.
#[derive(Debug)]
pub struct Formatter {
    addrs: Vec<Option<(Addr, u8, [u8; 40])>>,
}

impl Default for Formatter {
    fn default() -> Self {
        Formatter {
            addrs: vec![None; ADDR_CACHE_SLOTS],
        }
    }
}

impl Formatter {
    pub fn new() -> Self {
        Self::default()
    }

    fn put_addr(&mut self, out: &mut Vec<u8>, a: Addr) {
        let (slot, bytes): (usize, &[u8]) = match &a {
            Addr::V4(b) => (u32::from_ne_bytes(*b) as usize, b),
            Addr::V6(b) => (
                u64::from_ne_bytes(b[8..].try_into().expect("8 bytes")) as usize,
                b,
            ),
        };
        let slot = (slot ^ (slot >> 17) ^ bytes[1] as usize) % ADDR_CACHE_SLOTS;
        if let Some((cached, len, text)) = &self.addrs[slot] {
            if *cached == a {
                put_short(out, text, *len as usize);
                return;
            }
        }
        let start = out.len();
        put_addr(out, a);
        let len = out.len() - start;
        let mut text = [0u8; 40];
        text[..len].copy_from_slice(&out[start..]);
        self.addrs[slot] = Some((a, len as u8, text));
    }

    /// Formats one decoded record, appending its lines to `out`. RIB records need the current
    /// PEER_INDEX_TABLE. Lines of the elements before a decode error stay in `out`.
    pub fn format(
        &mut self,
        out: &mut Vec<u8>,
        d: &Decoded<'_>,
        peers: Option<&PeerIndexTable>,
        notes: &mut WalkNotes,
    ) -> Result<(), DecodeError> {
        let kind: &[u8] = match &d.record {
            Record::TableDump(_) => b"TABLE_DUMP|",
            Record::Rib(r) if r.add_path => b"TABLE_DUMP2_AP|",
            Record::Rib(_) => b"TABLE_DUMP2|",
            Record::Message(m) => message_label(d.extended_time, m.local, m.add_path),
            Record::StateChange(_) if d.extended_time => b"BGP4MP_ET|",
            Record::StateChange(_) => b"BGP4MP|",
            Record::PeerIndexTable(_) | Record::Unsupported => return Ok(()),
        };
        let local = matches!(&d.record, Record::Message(m) if m.local);
        // Time and prefix are the same for many lines of a record: format them once.
        let mut time_text = Vec::with_capacity(24);
        put_time(&mut time_text, d.time, d.extended_time);
        let mut time = [0u8; 40];
        time[..time_text.len()].copy_from_slice(&time_text);
        let time_len = time_text.len();
        let mut prefix: Option<(Prefix, [u8; 64], usize)> = None;
        let mut tail: Option<(TailKey, Vec<u8>)> = None;
        walk(d, peers, notes, |r| {
            if r.path_id.is_some() && matches!(&d.record, Record::Message(_)) {
                // The label announces the path id field, also where only the NLRI revealed it.
                out.extend_from_slice(message_label(d.extended_time, local, true));
            } else {
                out.extend_from_slice(kind);
            }
            put_short(out, &time, time_len);
            out.extend_from_slice(match r.kind {
                ElementKind::Rib => b"|B|",
                ElementKind::Announce => b"|A|",
                ElementKind::Withdraw => b"|W|",
                ElementKind::State => b"|STATE|",
            });
            self.put_addr(out, r.peer_addr);
            out.push(b'|');
            put_u32(out, r.peer_asn);
            out.push(b'|');
            if let Some((old, new)) = r.state {
                put_u32(out, old as u32);
                out.push(b'|');
                put_u32(out, new as u32);
                out.push(b'\n');
                return;
            }
            if let Some(p) = r.prefix {
                match &prefix {
                    Some((cached, text, len)) if *cached == p => put_short(out, text, *len),
                    _ => {
                        let start = out.len();
                        put_prefix(out, &p);
                        let mut text = [0u8; 64];
                        let len = out.len() - start;
                        text[..len].copy_from_slice(&out[start..]);
                        prefix = Some((p, text, len));
                    }
                }
            }
            let Some(a) = r.attrs else {
                // A withdrawal: the path id, if any, closes the line.
                if let Some(id) = r.path_id {
                    out.push(b'|');
                    put_u32(out, id);
                }
                out.push(b'\n');
                return;
            };
            out.push(b'|');
            if let Some(id) = r.path_id {
                put_u32(out, id);
                out.push(b'|');
            }
            // Every prefix of one UPDATE shares the rest of the line: format it once.
            let key = (a as *const Attributes<'_> as usize, r.next_hop);
            match &tail {
                Some((k, text)) if *k == key => out.extend_from_slice(text),
                _ => {
                    let start = out.len();
                    put_as_path(out, a);
                    out.push(b'|');
                    put_origin(out, a);
                    out.push(b'|');
                    match r.next_hop {
                        Some(nh) => self.put_addr(out, nh),
                        None => put_ipv4(out, [255; 4]),
                    }
                    put_tail(out, a);
                    if matches!(&d.record, Record::Message(_)) {
                        tail = Some((key, out[start..].to_vec()));
                    }
                }
            }
        })
    }
}

/// Formats one decoded record with a fresh [`Formatter`] (convenient; a long-lived formatter
/// is faster).
pub fn format_record(
    out: &mut Vec<u8>,
    d: &Decoded<'_>,
    peers: Option<&PeerIndexTable>,
    notes: &mut WalkNotes,
) -> Result<(), DecodeError> {
    Formatter::new().format(out, d, peers, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let a: std::net::Ipv6Addr = s.parse().unwrap();
        let mut out = Vec::new();
        put_ipv6(&mut out, a.octets());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ipv6_text_matches_bgpdump_fmt_ipv6() {
        // bgpdump's own self-test cases (`bgpdump -T`).
        assert_eq!(v6("fe80::"), "fe80::");
        assert_eq!(v6("2001:db8::1"), "2001:db8::1");
        assert_eq!(v6("::ffff:192.168.2.1"), "::ffff:192.168.2.1");
        assert_eq!(v6("::192.168.1.2"), "::192.168.1.2");
        // A single zero group is still compressed, unlike RFC 5952.
        assert_eq!(v6("2001:db8:0:1:1:1:1:1"), "2001:db8::1:1:1:1:1");
        // The first of two equally long runs.
        assert_eq!(v6("2001:0:0:1:0:0:1:1"), "2001::1:0:0:1:1");
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
    }

    #[test]
    fn ipv4_text_is_a_dotted_quad() {
        let mut out = Vec::new();
        put_ipv4(&mut out, [10, 0, 255, 7]);
        assert_eq!(out, b"10.0.255.7");
    }

    #[test]
    fn et_timestamps_carry_six_digit_microseconds() {
        let mut out = Vec::new();
        put_time(
            &mut out,
            Timestamp {
                secs: 5,
                micros: 42,
            },
            true,
        );
        assert_eq!(out, b"5.000042");
    }
}
