//! The IANA special-purpose address registries, built in.
//!
//! Source: IANA "IPv4 Special-Purpose Address Registry" and "IPv6 Special-Purpose Address
//! Registry" (RFC 6890 structure), as published in 2024, plus multicast (IANA IPv4/IPv6
//! Multicast Address Space, RFC 5771 / RFC 4291) and, for IPv6, the space outside 2000::/3
//! that IANA has not allocated for global unicast (IANA IPv6 Address Space registry,
//! RFC 4291 section 2.4). Written by hand from the registries; review against
//! <https://www.iana.org/assignments/iana-ipv4-special-registry> and
//! <https://www.iana.org/assignments/iana-ipv6-special-registry> when they change.
//!
//! `bogon` follows the registries' "Globally Reachable" column: `false` entries are bogons;
//! the globally reachable ones (AS112, AMT, PCP/TURN anycast, NAT64 well-known prefix,
//! ORCHIDv2, DETs) are listed too, so that the longest match carves them out of a larger
//! bogon block. Where the registry says "N/A" we chose, and Team Cymru's fullbogons
//! (2024-03-10) agree on each choice:
//!
//! - 2001::/32 Teredo: not a bogon (Teredo relays announce it).
//! - 2002::/16 6to4: not a bogon (still announced by 6to4 relays; RFC 7526 deprecated only
//!   the anycast relay prefix).
//! - 192.88.99.0/24, the deprecated 6to4 relay anycast prefix (RFC 7526): not a bogon, as
//!   some operators still announce it and Cymru does not list it.

/// One entry of the built-in table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SpecialEntry {
    pub prefix: &'static str,
    pub name: &'static str,
    /// The RFC(s) defining it.
    pub rfc: &'static str,
    /// True when a route for (part of) it is a bogon.
    pub bogon: bool,
}

const fn e(
    prefix: &'static str,
    name: &'static str,
    rfc: &'static str,
    bogon: bool,
) -> SpecialEntry {
    SpecialEntry {
        prefix,
        name,
        rfc,
        bogon,
    }
}

/// IPv4 special-purpose and multicast space.
pub const IPV4: &[SpecialEntry] = &[
    e("0.0.0.0/8", "\"This network\"", "RFC 791 §3.2", true),
    e("10.0.0.0/8", "Private-Use", "RFC 1918", true),
    e("100.64.0.0/10", "Shared Address Space", "RFC 6598", true),
    e("127.0.0.0/8", "Loopback", "RFC 1122 §3.2.1.3", true),
    e("169.254.0.0/16", "Link Local", "RFC 3927", true),
    e("172.16.0.0/12", "Private-Use", "RFC 1918", true),
    e(
        "192.0.0.0/24",
        "IETF Protocol Assignments",
        "RFC 6890 §2.1",
        true,
    ),
    e(
        "192.0.0.0/29",
        "IPv4 Service Continuity Prefix",
        "RFC 7335",
        true,
    ),
    e("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", true),
    e(
        "192.0.0.9/32",
        "Port Control Protocol Anycast",
        "RFC 7723",
        false,
    ),
    e(
        "192.0.0.10/32",
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
        false,
    ),
    e(
        "192.0.0.170/31",
        "NAT64/DNS64 Discovery",
        "RFC 8880, RFC 7050",
        true,
    ),
    e(
        "192.0.2.0/24",
        "Documentation (TEST-NET-1)",
        "RFC 5737",
        true,
    ),
    e("192.31.196.0/24", "AS112-v4", "RFC 7535", false),
    e("192.52.193.0/24", "AMT", "RFC 7450", false),
    e(
        "192.88.99.0/24",
        "Deprecated (6to4 Relay Anycast)",
        "RFC 7526",
        false,
    ),
    e("192.168.0.0/16", "Private-Use", "RFC 1918", true),
    e(
        "192.175.48.0/24",
        "Direct Delegation AS112 Service",
        "RFC 7534",
        false,
    ),
    e("198.18.0.0/15", "Benchmarking", "RFC 2544", true),
    e(
        "198.51.100.0/24",
        "Documentation (TEST-NET-2)",
        "RFC 5737",
        true,
    ),
    e(
        "203.0.113.0/24",
        "Documentation (TEST-NET-3)",
        "RFC 5737",
        true,
    ),
    e("224.0.0.0/4", "Multicast", "RFC 5771", true),
    e("240.0.0.0/4", "Reserved", "RFC 1112 §4", true),
    e(
        "255.255.255.255/32",
        "Limited Broadcast",
        "RFC 8190, RFC 919 §7",
        true,
    ),
];

/// IPv6 special-purpose space, multicast, and the space outside 2000::/3.
pub const IPV6: &[SpecialEntry] = &[
    e(
        "::/3",
        "Outside 2000::/3 (not allocated for global unicast)",
        "RFC 4291 §2.4",
        true,
    ),
    e(
        "4000::/2",
        "Outside 2000::/3 (not allocated for global unicast)",
        "RFC 4291 §2.4",
        true,
    ),
    e(
        "8000::/1",
        "Outside 2000::/3 (not allocated for global unicast)",
        "RFC 4291 §2.4",
        true,
    ),
    e("::/128", "Unspecified Address", "RFC 4291", true),
    e("::1/128", "Loopback Address", "RFC 4291", true),
    e("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", true),
    e("64:ff9b::/96", "IPv4-IPv6 Translation", "RFC 6052", false),
    e(
        "64:ff9b:1::/48",
        "Local-use IPv4/IPv6 Translation",
        "RFC 8215",
        true,
    ),
    e("100::/64", "Discard-Only Address Block", "RFC 6666", true),
    e("2001::/23", "IETF Protocol Assignments", "RFC 2928", true),
    e("2001::/32", "TEREDO", "RFC 4380, RFC 8190", false),
    e(
        "2001:1::1/128",
        "Port Control Protocol Anycast",
        "RFC 7723",
        false,
    ),
    e(
        "2001:1::2/128",
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
        false,
    ),
    e("2001:2::/48", "Benchmarking", "RFC 5180", true),
    e("2001:3::/32", "AMT", "RFC 7450", false),
    e("2001:4:112::/48", "AS112-v6", "RFC 7535", false),
    e(
        "2001:10::/28",
        "Deprecated (previously ORCHID)",
        "RFC 4843",
        true,
    ),
    e("2001:20::/28", "ORCHIDv2", "RFC 7343", false),
    e(
        "2001:30::/28",
        "Drone Remote ID Protocol Entity Tags (DETs) Prefix",
        "RFC 9374",
        false,
    ),
    e("2001:db8::/32", "Documentation", "RFC 3849", true),
    e("2002::/16", "6to4", "RFC 3056", false),
    e(
        "2620:4f:8000::/48",
        "Direct Delegation AS112 Service",
        "RFC 7534",
        false,
    ),
    e("3fff::/20", "Documentation", "RFC 9637", true),
    e("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", true),
    e("fc00::/7", "Unique-Local", "RFC 4193, RFC 8190", true),
    e("fe80::/10", "Link-Local Unicast", "RFC 4291", true),
    e("ff00::/8", "Multicast", "RFC 4291", true),
];

#[cfg(test)]
mod tests {
    use super::*;
    use routenorms_types::Prefix;

    #[test]
    fn every_entry_is_a_canonical_prefix_listed_once() {
        for table in [IPV4, IPV6] {
            let mut seen = std::collections::HashSet::new();
            for e in table {
                let p: Prefix = e.prefix.parse().unwrap_or_else(|_| panic!("{}", e.prefix));
                assert!(seen.insert(p), "{} twice", e.prefix);
                assert!(e.rfc.starts_with("RFC "), "{}", e.prefix);
            }
        }
    }
}
