use super::*;
use crate::rir::StatsFile;

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

fn stats(text: &str) -> StatsFile {
    let f = StatsFile::read(text.as_bytes()).unwrap();
    assert!(f.errors.is_empty(), "{:?}", f.errors);
    f
}

/// IANA: 41/8 and 45.96/12 to AFRINIC, 200/8 to LACNIC, 1/8 to APNIC, 0/8 and 10/8 IETF,
/// one /24 held by IANA; ASNs 36864-37887 to AFRINIC, 1-1876 to ARIN, 0 IETF.
const IANA: &str = "2|iana|20190911|9|19830101|20190612|+0000
iana|ZZ|ipv4|0.0.0.0|16777216|19830101|ietf
iana|ZZ|ipv4|1.0.0.0|16777216|20100119|apnic
iana|ZZ|ipv4|10.0.0.0|16777216|19940301|ietf
iana|ZZ|ipv4|41.0.0.0|16777216|20050414|afrinic
iana|ZZ|ipv4|45.96.0.0|1048576|20140921|afrinic
iana|ZZ|ipv4|192.12.109.0|256|19960403|iana
iana|ZZ|ipv4|200.0.0.0|16777216|20020101|lacnic
iana|ZZ|ipv6|2c00::|12|20061003|afrinic
iana|ZZ|ipv6|2000::|16|19960801|ietf
iana|ZZ|asn|0|1|19920101|ietf
iana|ZZ|asn|1|1876|19920101|arin
iana|ZZ|asn|36864|1024|20050414|afrinic
";

/// AFRINIC: 41.0.0.0 + 768 addresses assigned (ZA), 41.0.3.0/24 available, 45.96.0.0/16
/// reserved, rest of 41/8 and 45.96/12 not listed; ASNs 36864-36865 allocated (MU), 36866
/// available.
const AFRINIC: &str = "2|afrinic|20240105|6|00000000|20240105|00000
afrinic|*|ipv4|*|3|summary
afrinic|ZA|ipv4|41.0.0.0|768|20050101|assigned|A1
afrinic||ipv4|41.0.3.0|256||available
afrinic|ZZ|ipv4|45.96.0.0|65536|20140921|reserved
afrinic|KE|ipv6|2c0f:f000::|32|20100101|allocated|A2
afrinic|MU|asn|36864|2|20050101|allocated|A3
afrinic||asn|36866|1||available
";

fn full() -> (Delegations, Bogons) {
    let d = Delegations::new(vec![stats(IANA), stats(AFRINIC)]);
    let b = Bogons::with_policy(
        Some(&d),
        None,
        BogonPolicy {
            rir_reserved: true,
            unlisted: true,
        },
    );
    (d, b)
}

#[test]
fn default_policy_counts_only_available_space_as_rir_bogons() {
    let d = Delegations::new(vec![stats(IANA), stats(AFRINIC)]);
    let b = Bogons::new(Some(&d), None);
    assert!(b.is_bogon_prefix(&p("41.0.3.0/24")), "available");
    let c = b.check_prefix(&p("45.96.128.0/17"));
    assert!(!c.bogon, "reserved");
    assert_eq!(
        c.status,
        SpaceStatus::NotDelegated {
            rir: Rir::Afrinic,
            status: Status::Reserved
        }
    );
    assert!(!b.is_bogon_prefix(&p("41.200.0.0/16")), "unlisted");
    assert!(!b.is_bogon_asn(37000), "unlisted ASN");
    assert!(b.is_bogon_asn(36866), "available ASN");
    assert!(b.is_bogon_prefix(&p("192.12.109.0/24")), "IANA-held");
}

#[test]
fn special_purpose_space_is_a_bogon_with_its_rfc() {
    let b = Bogons::special_only();
    for (prefix, rfc) in [
        ("10.1.0.0/16", "RFC 1918"),
        ("100.64.0.0/10", "RFC 6598"),
        ("192.0.2.0/24", "RFC 5737"),
        ("224.0.0.0/8", "RFC 5771"),
        ("255.255.255.255/32", "RFC 8190, RFC 919 §7"),
        ("2001:db8:1::/48", "RFC 3849"),
        ("fe80::/64", "RFC 4291"),
        ("fc00::/8", "RFC 4193, RFC 8190"),
    ] {
        let c = b.check_prefix(&p(prefix));
        assert!(c.bogon, "{prefix}");
        match c.status {
            SpaceStatus::Special { entry } => assert_eq!(entry.rfc, rfc, "{prefix}"),
            other => panic!("{prefix}: {other:?}"),
        }
    }
}

#[test]
fn globally_reachable_special_entries_are_not_bogons() {
    let b = Bogons::special_only();
    for prefix in [
        "192.31.196.0/24",
        "192.175.48.0/24",
        "192.88.99.0/24",
        "64:ff9b::/96",
        "2001::/32",
        "2002::/16",
        "2001:4:112::/48",
        "2620:4f:8000::/48",
    ] {
        assert!(!b.is_bogon_prefix(&p(prefix)), "{prefix}");
    }
}

#[test]
fn the_most_specific_covering_special_entry_decides() {
    let b = Bogons::special_only();
    // 192.0.0.0/24 holds two anycast /32s but is itself a bogon to announce.
    assert!(b.is_bogon_prefix(&p("192.0.0.0/24")));
    assert!(!b.is_bogon_prefix(&p("192.0.0.9/32")));
    // 2001::/23 is a bogon; Teredo inside it is not; a /48 inside Teredo is not.
    assert!(b.is_bogon_prefix(&p("2001::/23")));
    assert!(!b.is_bogon_prefix(&p("2001:0:1::/48")));
    // 2001:5::/32 (in 2001::/23, no more specific entry) is.
    assert!(b.is_bogon_prefix(&p("2001:5::/32")));
}

#[test]
fn ipv6_outside_2000_slash_3_is_a_bogon() {
    let b = Bogons::special_only();
    for prefix in ["1000::/4", "4000::/3", "8000::/16", "e000::/8", "::/8"] {
        assert!(b.is_bogon_prefix(&p(prefix)), "{prefix}");
    }
    assert!(!b.is_bogon_prefix(&p("2a00::/12")));
    // A prefix straddling bogon and global unicast space is not all bogon.
    assert!(!b.is_bogon_prefix(&p("::/0")));
}

#[test]
fn without_registry_data_ordinary_space_is_unknown_not_bogon() {
    let b = Bogons::special_only();
    let c = b.check_prefix(&p("8.8.8.0/24"));
    assert!(!c.bogon);
    assert_eq!(c.status, SpaceStatus::Unknown { rir: None });
}

#[test]
fn bogon_asns_are_exactly_the_reserved_ranges() {
    let b = Bogons::special_only();
    let bogon = [
        0, 23456, 64496, 64511, 64512, 65000, 65534, 65535, 65536, 65551, 65552, 100000, 131071,
        4200000000, 4294967294, 4294967295,
    ];
    let fine = [1, 3356, 23455, 23457, 64495, 131072, 4199999999];
    for a in bogon {
        assert!(b.is_bogon_asn(a), "AS{a}");
    }
    for a in fine {
        assert!(!b.is_bogon_asn(a), "AS{a}");
        assert_eq!(b.check_asn(a), SpaceStatus::Unknown { rir: None });
    }
}

#[test]
fn rir_stats_decide_within_the_rirs_own_space() {
    let (_, b) = full();
    // Assigned: the /23 and the /24 after it (768 addresses).
    let c = b.check_prefix(&p("41.0.2.0/24"));
    assert!(!c.bogon);
    assert!(
        matches!(c.status, SpaceStatus::Delegated { rir: Rir::Afrinic, ref cc, .. } if cc == "ZA")
    );
    // Available in AFRINIC's file.
    let c = b.check_prefix(&p("41.0.3.0/24"));
    assert!(c.bogon);
    assert_eq!(
        c.status,
        SpaceStatus::NotDelegated {
            rir: Rir::Afrinic,
            status: Status::Available
        }
    );
    // Reserved.
    assert!(b.is_bogon_prefix(&p("45.96.128.0/17")));
    // In AFRINIC's /8, not in its file.
    let c = b.check_prefix(&p("41.200.0.0/16"));
    assert!(c.bogon);
    assert_eq!(c.status, SpaceStatus::NotInRirStats { rir: Rir::Afrinic });
    // A prefix covering delegated and available space is not a bogon.
    assert!(!b.is_bogon_prefix(&p("41.0.0.0/22")));
}

#[test]
fn space_of_rirs_whose_stats_were_not_given_is_unknown_not_bogon() {
    let (_, b) = full();
    let c = b.check_prefix(&p("1.1.1.0/24"));
    assert!(!c.bogon);
    assert_eq!(
        c.status,
        SpaceStatus::Unknown {
            rir: Some(Rir::Apnic)
        }
    );
    assert_eq!(
        b.check_prefix(&p("200.1.0.0/16")).status,
        SpaceStatus::Unknown {
            rir: Some(Rir::Lacnic)
        }
    );
    assert!(!b.is_bogon_asn(1));
    assert_eq!(
        b.check_asn(1),
        SpaceStatus::Unknown {
            rir: Some(Rir::Arin)
        }
    );
}

#[test]
fn iana_held_space_and_asns_not_given_to_any_rir_are_bogons() {
    let (_, b) = full();
    let c = b.check_prefix(&p("192.12.109.0/24"));
    assert!(c.bogon);
    assert_eq!(
        c.status,
        SpaceStatus::IanaNotAllocated {
            holder: IanaHolder::Iana
        }
    );
    assert!(b.is_bogon_prefix(&p("2000::/16")));
    // Not in IANA's file at all: unknown.
    assert!(!b.is_bogon_asn(50000));
}

#[test]
fn asns_not_delegated_by_their_rir_are_bogons() {
    let (_, b) = full();
    assert!(!b.is_bogon_asn(36864));
    assert!(b.is_bogon_asn(36866), "available");
    assert!(b.is_bogon_asn(37000), "in AFRINIC's block, not in its file");
    assert_eq!(
        b.check_asn(37000),
        SpaceStatus::NotInRirStats { rir: Rir::Afrinic }
    );
}

#[test]
fn country_and_rir_of_prefixes_and_asns() {
    let (d, _) = full();
    assert_eq!(d.prefix_country(&p("41.0.1.0/24")), Some("ZA"));
    assert_eq!(d.prefix_rir(&p("41.0.1.0/24")), Some(Rir::Afrinic));
    // Longest match: the /32 record, not the /12 IANA block.
    assert_eq!(d.prefix_country(&p("2c0f:f000:1::/48")), Some("KE"));
    // Reserved record with ZZ: RIR known, no country.
    assert_eq!(d.prefix_country(&p("45.96.0.0/16")), None);
    assert_eq!(d.prefix_rir(&p("45.96.0.0/16")), Some(Rir::Afrinic));
    // Spanning two records: no single record, but one IANA block.
    assert_eq!(d.prefix_country(&p("41.0.0.0/22")), None);
    assert_eq!(d.prefix_rir(&p("41.0.0.0/22")), Some(Rir::Afrinic));
    assert_eq!(d.prefix_rir(&p("1.0.0.0/8")), Some(Rir::Apnic));
    assert_eq!(d.prefix_rir(&p("8.0.0.0/8")), None);
    assert_eq!(d.asn_country(36865), Some("MU"));
    assert_eq!(d.asn_rir(36865), Some(Rir::Afrinic));
    assert_eq!(d.asn_rir(100), Some(Rir::Arin));
    assert_eq!(d.asn_rir(0), None);
    assert_eq!(d.loaded_rirs(), &[Rir::Afrinic]);
    assert!(d.has_iana());
}

#[test]
fn a_full_bogons_list_marks_its_prefixes_and_nothing_else() {
    let list = BogonList::read(
        "# last updated 1710089701 (Sun Mar 10 16:55:01 2024 GMT)\n0.0.0.0/8\n23.135.225.0/24\n2c0f:ffff::/32\nnot a prefix\n41.0.0.1/24\n"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(list.prefixes.len(), 3);
    assert_eq!(
        list.errors,
        vec![ListError { line: 5 }, ListError { line: 6 }]
    );
    assert!(list.updated.as_deref().unwrap().starts_with("1710089701"));
    let b = Bogons::new(None, Some(&list));
    assert_eq!(
        b.check_prefix(&p("23.135.225.0/24")).status,
        SpaceStatus::Listed
    );
    assert!(b.is_bogon_prefix(&p("23.135.225.128/25")));
    assert!(!b.is_bogon_prefix(&p("23.135.224.0/23")));
    assert_eq!(
        b.check_prefix(&p("8.8.8.0/24")).status,
        SpaceStatus::NotListed
    );
    // Special-purpose entries still apply on top.
    assert!(b.is_bogon_prefix(&p("10.0.0.0/8")));
}

#[test]
fn bogon_prefixes_export_splits_ranges_into_cidrs() {
    let (_, b) = full();
    let v4 = b.bogon_prefixes(Afi::Ipv4);
    // 41.0.3.0/24 (available) + the unlisted rest of 41/8 merge with it.
    assert!(v4.contains(&p("41.0.3.0/24")) || v4.iter().any(|x| x.covers(&p("41.0.3.0/24"))));
    assert!(!v4.iter().any(|x| x.covers(&p("41.0.2.0/24"))));
    for x in &v4 {
        assert!(b.is_bogon_prefix(x), "{x}");
    }
}
