//! Loader tests with small hand-written inputs: each format, each defect and its position.

use super::*;
use crate::{Slurm, Ta, VrpSet};
use routenorms_types::Afi;

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

fn vrp(prefix: &str, max_len: u8, asn: u32, ta: Option<&str>) -> Vrp {
    Vrp {
        prefix: p(prefix),
        max_len,
        asn: Asn(asn),
        ta: ta.map(Ta::new),
    }
}

fn load_str(s: &str) -> Payload {
    load_bytes(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// (position, reason) of every rejected entry.
fn rejects(p: &Payload) -> Vec<(Position, RejectReason)> {
    p.rejected.iter().map(|r| (r.position, r.reason)).collect()
}

fn idx(array: &'static str, index: usize) -> Position {
    Position::Index { array, index }
}

#[test]
fn routinator_json_with_every_defect_reported_by_index() {
    let text = r#"{
      "metadata": {"generated": 1626853335, "generatedTime": "2021-07-21T07:42:15Z"},
      "roas": [
        {"asn": "AS13335", "prefix": "1.0.0.0/24", "maxLength": 24, "ta": "apnic"},
        {"asn": "AS13335", "prefix": null, "maxLength": 24, "ta": "apnic"},
        {"asn": "AS", "prefix": "10.100.0.0/14", "maxLength": 32, "ta": "DN42"},
        {"asn": "", "prefix": "10.100.0.0/14", "maxLength": 32, "ta": "DN42"},
        {"asn": "AS1", "prefix": "10.0.0.0/16", "maxLength": 15, "ta": "x"},
        {"asn": "AS1", "prefix": "10.0.0.0/16", "maxLength": 33, "ta": "x"},
        {"asn": "AS1", "prefix": "2001:db8::/32", "maxLength": 129, "ta": "x"},
        {"asn": "AS1", "prefix": "10.0.0.1/16", "maxLength": 16, "ta": "x"},
        {"asn": "AS1", "prefix": "10.0.0.0/33", "maxLength": 33, "ta": "x"},
        {"asn": "AS1", "prefix": "not a prefix", "maxLength": 16, "ta": "x"},
        {"asn": "AS1", "maxLength": 16},
        {"prefix": "10.0.0.0/16", "maxLength": 16},
        {"asn": "AS1", "prefix": "10.0.0.0/16"},
        {"asn": "AS1", "prefix": "10.0.0.0/16", "maxLength": "x"},
        {"asn": "AS4294967296", "prefix": "10.0.0.0/16", "maxLength": 16},
        {"asn": -1, "prefix": "10.0.0.0/16", "maxLength": 16},
        {"asn": true, "prefix": "10.0.0.0/16", "maxLength": 16},
        {"asn": 1, "prefix": "10.0.0.0/16", "maxLength": 16, "ta": 5},
        42,
        ["not", "an", "object"],
        {"asn": "AS2", "prefix": "2001:db8::/32", "maxLength": 48, "ta": "ripe"}
      ]
    }"#;
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RoutinatorJson);
    assert_eq!(
        pl.vrps,
        vec![
            vrp("1.0.0.0/24", 24, 13335, Some("apnic")),
            vrp("2001:db8::/32", 48, 2, Some("ripe"))
        ]
    );
    use RejectReason::*;
    let expected = [
        NullPrefix,
        BadAsn,
        BadAsn,
        MaxLengthBelowPrefix,
        MaxLengthAboveAfi,
        MaxLengthAboveAfi,
        HostBitsSet,
        PrefixTooLong,
        BadPrefix,
        MissingPrefix,
        MissingAsn,
        MissingMaxLength,
        BadMaxLength,
        BadAsn,
        BadAsn,
        BadAsn,
        BadTrustAnchor,
        NotAnObject,
        NotAnObject,
    ];
    let want: Vec<_> = expected
        .iter()
        .enumerate()
        .map(|(i, r)| (idx("roas", i + 1), *r))
        .collect();
    assert_eq!(rejects(&pl), want);
    assert_eq!(
        pl.rejected[1].text,
        r#"{"asn":"AS","prefix":"10.100.0.0/14","maxLength":32,"ta":"DN42"}"#
    );
    assert_eq!(pl.metadata.generated, Some(1_626_853_335));
}

#[test]
fn routinator_jsonext_takes_the_trust_anchor_from_source() {
    let text = r#"{"roas": [
        {"asn": "AS1", "prefix": "192.0.2.0/24", "maxLength": 24,
         "source": [{"type": "roa", "uri": "rsync://x/y.roa", "tal": "ripe",
                     "validity": {"notBefore": "2021-01-01T00:00:00Z"}}]},
        {"asn": "AS2", "prefix": "198.51.100.0/24", "maxLength": 24,
         "source": [{"type": "exception", "path": null}]}
      ],
      "aspas": [{"customer": "AS1", "providers": ["AS3", "AS2"],
                 "source": [{"type": "exception", "path": null}]}]}"#;
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RoutinatorJsonExt);
    assert_eq!(
        pl.vrps,
        vec![
            vrp("192.0.2.0/24", 24, 1, Some("ripe")),
            vrp("198.51.100.0/24", 24, 2, None)
        ]
    );
    assert_eq!(pl.aspas, vec![Aspa::new(Asn(1), vec![Asn(2), Asn(3)])]);
    assert!(pl.rejected.is_empty());
}

#[test]
fn rpki_client_json_current_aspa_format() {
    let text = r#"{
      "metadata": {"buildmachine": "x", "buildtime": "2024-01-02T03:04:05Z",
                   "vrps": 2, "uniquevrps": 2, "vaps": 2},
      "roas": [
        {"asn": 13335, "prefix": "1.0.0.0/24", "maxLength": 24, "ta": "apnic", "expires": 1},
        {"asn": 0, "prefix": "2001:db8::/32", "maxLength": 32, "ta": "apnic", "expires": 1}
      ],
      "aspas": [
        {"customer_asid": 64496, "expires": 1, "providers": [64498, 64497, 64497]},
        {"customer_asid": 64500, "expires": 1, "providers": [0]},
        {"customer_asid": "AS", "expires": 1, "providers": [1]},
        {"customer_asid": 64501, "expires": 1, "providers": [1, "x"]},
        {"expires": 1, "providers": [1]}
      ],
      "bgpsec_keys": []
    }"#;
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RpkiClientJson);
    assert_eq!(pl.vrps.len(), 2);
    assert_eq!(pl.vrps[1].asn, Asn(0));
    assert_eq!(
        pl.aspas,
        vec![
            Aspa::new(Asn(64496), vec![Asn(64497), Asn(64498)]),
            Aspa::new(Asn(64500), vec![Asn(0)]),
        ]
    );
    assert_eq!(
        rejects(&pl),
        vec![
            (idx("aspas", 2), RejectReason::BadAsn),
            (idx("aspas", 3), RejectReason::BadProviders),
            (idx("aspas", 4), RejectReason::MissingCustomer),
        ]
    );
    assert_eq!(
        pl.metadata,
        Metadata {
            generated: Some(1_704_164_645),
            vrps: Some(2),
            aspas: Some(2)
        }
    );
}

#[test]
fn rpki_client_per_family_provider_authorizations_merge_into_one_aspa() {
    let text = r#"{"roas": [], "provider_authorizations": {
        "ipv4": [{"customer_asid": 10, "expires": 1, "providers": [1, 2]},
                 {"customer_asid": 20, "expires": 1, "providers": [5]},
                 {"customer_asid": "", "expires": 1, "providers": [5]}],
        "ipv6": [{"customer_asid": 10, "expires": 1, "providers": [2, 3]}]}}"#;
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RpkiClientJson);
    assert_eq!(pl.aspas.len(), 2);
    let a = &pl.aspas[0];
    assert_eq!(a.customer, Asn(10));
    assert_eq!(a.providers, vec![Asn(1), Asn(2), Asn(3)]);
    assert_eq!(a.afi_limits, vec![(Asn(1), Afi::Ipv4), (Asn(3), Afi::Ipv6)]);
    assert_eq!(
        a.providers_for(Afi::Ipv4).collect::<Vec<_>>(),
        vec![Asn(1), Asn(2)]
    );
    assert_eq!(
        a.providers_for(Afi::Ipv6).collect::<Vec<_>>(),
        vec![Asn(2), Asn(3)]
    );
    assert_eq!(pl.aspas[1].afi_limits, vec![(Asn(5), Afi::Ipv4)]);
    assert_eq!(
        rejects(&pl),
        vec![(idx("provider_authorizations.ipv4", 2), RejectReason::BadAsn)]
    );
}

#[test]
fn early_rpki_client_provider_set_with_afi_limits() {
    let text = r#"{"roas": [], "aspas": [{"customer_asid": 10, "expires": 1, "provider_set": [
        {"asid": 1}, {"asid": 2, "afi_limit": "ipv4"}, {"asid": 3, "afi_limit": "ipv6"},
        {"asid": 4, "afi_limit": "ipv4"}, {"asid": 4, "afi_limit": "ipv6"}]}]}"#;
    let pl = load_str(text);
    let a = &pl.aspas[0];
    assert_eq!(a.providers, vec![Asn(1), Asn(2), Asn(3), Asn(4)]);
    assert_eq!(a.afi_limits, vec![(Asn(2), Afi::Ipv4), (Asn(3), Afi::Ipv6)]);
}

#[test]
fn rtr_json_asn_as_string_or_number() {
    let text = r#"{"metadata": {"counts": 3, "generated": 1643432200, "valid": 1643864200},
      "roas": [
        {"asn": "AS4242420916", "prefix": "fd00:114:514::/48", "maxLength": 64, "ta": "DN42", "mnt-by": "X"},
        {"asn": 64512, "prefix": "172.20.0.0/14", "maxLength": 24, "ta": "DN42"},
        {"asn": "64513", "prefix": "172.24.0.0/14", "maxLength": "24"}
      ]}"#;
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RtrJson);
    assert_eq!(pl.vrps.len(), 3);
    assert_eq!(pl.vrps[0].asn, Asn(4_242_420_916));
    assert_eq!(pl.vrps[2], vrp("172.24.0.0/14", 24, 64513, None));
    assert_eq!(pl.metadata.vrps, Some(3));
    assert_eq!(pl.metadata.generated, Some(1_643_432_200));
    // Trust anchors are shared, not copied.
    let (a, b) = (
        pl.vrps[0].ta.as_ref().unwrap(),
        pl.vrps[1].ta.as_ref().unwrap(),
    );
    assert_eq!(a, b);
}

#[test]
fn routinator_csv_and_csvcompat() {
    let text = "ASN,IP Prefix,Max Length,Trust Anchor\n\
                AS13335,1.0.0.0/24,24,apnic\n\
                AS13335,1.0.0.0/24,23,apnic\n\
                AS,1.0.0.0/24,24,apnic\n\
                AS1,2001:db8::/32,48,ripe\n\
                AS1,2001:db8::/32\n\
                \n\
                AS1,10.0.0.1/8,8,ripe\n";
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RoutinatorCsv);
    assert_eq!(
        pl.vrps,
        vec![
            vrp("1.0.0.0/24", 24, 13335, Some("apnic")),
            vrp("2001:db8::/32", 48, 1, Some("ripe"))
        ]
    );
    use RejectReason::*;
    assert_eq!(
        rejects(&pl),
        vec![
            (Position::Line(3), MaxLengthBelowPrefix),
            (Position::Line(4), BadAsn),
            (Position::Line(6), Syntax),
            (Position::Line(8), HostBitsSet),
        ]
    );
    assert_eq!(pl.rejected[1].text, "AS,1.0.0.0/24,24,apnic");

    let compat = "\"ASN\",\"IP Prefix\",\"Max Length\",\"Trust Anchor\"\n\
                  \"13335\",\"1.0.0.0/24\",\"24\",\"apnic\"\n";
    let pl = load_str(compat);
    assert_eq!(pl.format, Format::RoutinatorCsv);
    assert_eq!(pl.vrps, vec![vrp("1.0.0.0/24", 24, 13335, Some("apnic"))]);

    // rpki-client CSV: an Expires column after the trust anchor.
    let rc = "ASN,IP Prefix,Max Length,Trust Anchor,Expires\nAS1,10.0.0.0/8,8,ripe,1683277596\n";
    assert_eq!(
        load_str(rc).vrps,
        vec![vrp("10.0.0.0/8", 8, 1, Some("ripe"))]
    );
}

#[test]
fn routinator_csvext_has_no_trust_anchor_column() {
    let text = "URI,ASN,IP Prefix,Max Length,Not Before,Not After\n\
                rsync://rpki.example/a.roa,AS1,192.0.2.0/24,24,2021-01-01 00:00:00,2022-01-01 00:00:00\n\
                rsync://rpki.example/b.roa,AS2,192.0.2.0/24,40,2021-01-01 00:00:00,2022-01-01 00:00:00\n";
    let pl = load_str(text);
    assert_eq!(pl.format, Format::RoutinatorCsvExt);
    assert_eq!(pl.vrps, vec![vrp("192.0.2.0/24", 24, 1, None)]);
    assert_eq!(
        rejects(&pl),
        vec![(Position::Line(3), RejectReason::MaxLengthAboveAfi)]
    );
}

#[test]
fn plain_csv_with_and_without_header() {
    let no_header = "# a comment\n13335,1.0.0.0/24,24\nAS1,10.0.0.0/8,16,mine\n1,10.0.0.0/8,x\n";
    let pl = load_str(no_header);
    assert_eq!(pl.format, Format::PlainCsv);
    assert_eq!(
        pl.vrps,
        vec![
            vrp("1.0.0.0/24", 24, 13335, None),
            vrp("10.0.0.0/8", 16, 1, Some("mine"))
        ]
    );
    assert_eq!(
        rejects(&pl),
        vec![(Position::Line(4), RejectReason::BadMaxLength)]
    );
    let header = "asn,prefix,max_length\n13335,1.0.0.0/24,24\n,1.0.0.0/24,24\n";
    let pl = load_str(header);
    assert_eq!(pl.format, Format::PlainCsv);
    assert_eq!(pl.vrps.len(), 1);
    assert_eq!(
        rejects(&pl),
        vec![(Position::Line(3), RejectReason::MissingAsn)]
    );
}

#[test]
fn bird1_and_bird2_tables_with_comments_and_broken_lines() {
    let bird1 = "# generated\n\
                 roa fd00:114:514::/48 max 64 as 4242420916; # DN42/ALANYHQ-MNT\n\
                 roa  max 112 as 64654; # CHAOSVPN/DN42-MNT\n\
                 \n\
                 roa 10.100.0.0/14 max 32 as ; # DN42/DN42-MNT\n\
                 roa 172.20.0.0/14 max 24 as 4242420000;\n\
                 roa 172.20.0.0/14 max 12 as 4242420000;\n\
                 route 172.20.0.0/14 max 24 as 1;\n\
                 roa 172.20.0.0/14 max 24 as 1\n";
    let pl = load_str(bird1);
    assert_eq!(pl.format, Format::Bird1);
    assert_eq!(
        pl.vrps,
        vec![
            vrp("fd00:114:514::/48", 64, 4_242_420_916, None),
            vrp("172.20.0.0/14", 24, 4_242_420_000, None)
        ]
    );
    use RejectReason::*;
    assert_eq!(
        rejects(&pl),
        vec![
            (Position::Line(3), NullPrefix),
            (Position::Line(5), MissingAsn),
            (Position::Line(7), MaxLengthBelowPrefix),
            (Position::Line(8), Syntax),
            (Position::Line(9), Syntax),
        ]
    );
    assert_eq!(
        pl.rejected[1].text,
        "roa 10.100.0.0/14 max 32 as ; # DN42/DN42-MNT"
    );

    let bird2 = "route 10.0.0.0/8 max 24 as 64512; # x\nroute 10.0.0.0/8 max 24 as AS; # y\n";
    let pl = load_str(bird2);
    assert_eq!(pl.format, Format::Bird2);
    assert_eq!(pl.vrps, vec![vrp("10.0.0.0/8", 24, 64512, None)]);
    assert_eq!(rejects(&pl), vec![(Position::Line(2), BadAsn)]);
}

#[test]
fn gzip_is_detected_by_magic_bytes() {
    use std::io::Write;
    let text = "route 10.0.0.0/8 max 24 as 64512;\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let pl = load(&bytes[..]).unwrap();
    assert_eq!(pl.format, Format::Bird2);
    assert_eq!(pl.vrps.len(), 1);
}

#[test]
fn what_is_not_a_payload_file_is_an_error() {
    assert!(matches!(load_bytes(b""), Err(LoadError::UnknownFormat(_))));
    assert!(matches!(
        load_bytes(b"\x00\x01\x02\xff"),
        Err(LoadError::UnknownFormat(_))
    ));
    assert!(matches!(
        load_bytes(b"hello world\n"),
        Err(LoadError::UnknownFormat(_))
    ));
    assert!(matches!(
        load_bytes(br#"{"something": 1}"#),
        Err(LoadError::UnknownFormat(_))
    ));
    match load_bytes(b"{\"roas\": [\n{\"asn\": 1,,}]}") {
        Err(LoadError::Json { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        load_bytes(br#"{"slurmVersion": 1, "locallyAddedAssertions": {}}"#),
        Err(LoadError::IsSlurm)
    ));
    assert!(matches!(
        load_bytes(b"\x1f\x8bnot gzip"),
        Err(LoadError::Io(_))
    ));
}

#[test]
fn slurm_filters_and_assertions() {
    let text = r#"{
      "slurmVersion": 1,
      "validationOutputFilters": {
        "prefixFilters": [
          {"prefix": "192.0.2.0/24", "comment": "all VRPs in 192.0.2.0/24"},
          {"asn": 64496},
          {"prefix": "198.51.100.0/24", "asn": 64497},
          {"comment": "neither"},
          {"prefix": "198.51.100.1/24"}
        ],
        "bgpsecFilters": [{"asn": 1, "comment": "ignored"}]
      },
      "locallyAddedAssertions": {
        "prefixAssertions": [
          {"asn": 64501, "prefix": "203.0.113.0/24"},
          {"asn": 64502, "prefix": "203.0.113.0/24", "maxPrefixLength": 26, "comment": "x"},
          {"asn": 64503, "prefix": "203.0.113.0/24", "maxPrefixLength": 23},
          {"asn": "", "prefix": "203.0.113.0/24", "maxPrefixLength": 24},
          {"asn": 64504, "prefix": null, "maxPrefixLength": 24}
        ],
        "bgpsecAssertions": []
      }
    }"#;
    let slurm = Slurm::load(text.as_bytes()).unwrap();
    assert_eq!(slurm.prefix_filters.len(), 3);
    assert_eq!(slurm.bgpsec_entries, 1);
    assert_eq!(
        slurm.prefix_assertions,
        vec![
            vrp("203.0.113.0/24", 24, 64501, None),
            vrp("203.0.113.0/24", 26, 64502, None)
        ]
    );
    use RejectReason::*;
    assert_eq!(
        slurm
            .rejected
            .iter()
            .map(|r| (r.position, r.reason))
            .collect::<Vec<_>>(),
        vec![
            (idx("prefixFilters", 3), EmptyFilter),
            (idx("prefixFilters", 4), HostBitsSet),
            (idx("prefixAssertions", 2), MaxLengthBelowPrefix),
            (idx("prefixAssertions", 3), BadAsn),
            (idx("prefixAssertions", 4), NullPrefix),
        ]
    );

    let mut payload = load_str(
        "ASN,IP Prefix,Max Length,Trust Anchor\n\
         AS1,192.0.2.0/25,25,ripe\n\
         AS1,192.0.0.0/16,24,ripe\n\
         AS64496,10.0.0.0/8,8,ripe\n\
         AS64497,198.51.100.0/24,24,ripe\n\
         AS64498,198.51.100.0/24,24,ripe\n",
    );
    let applied = slurm.apply(&mut payload);
    assert_eq!(
        applied,
        crate::SlurmApplied {
            filtered: 3,
            asserted: 2
        }
    );
    let set = VrpSet::new(payload.vrps);
    let keys: Vec<_> = set.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        keys,
        [
            "192.0.0.0/16-24 AS1",
            "198.51.100.0/24-24 AS64498",
            "203.0.113.0/24-24 AS64501",
            "203.0.113.0/24-26 AS64502"
        ]
    );
}

#[test]
fn slurm_loader_refuses_non_slurm_json() {
    assert!(Slurm::load(&br#"{"roas": []}"#[..]).is_err());
    assert!(Slurm::load(&b"[1]"[..]).is_err());
}

#[test]
fn aspa_csv_merges_lines_per_customer_and_reports_bad_ones() {
    let text = "# ASPAs\ncustomer,providers\nAS64500,AS64501 AS64502\n64500,64503\n\
                64510,AS0\nAS,64501\n64520,\n64521,64501;AS64502\n";
    let pl = load_bytes(text.as_bytes()).unwrap();
    assert_eq!(pl.format, Format::AspaCsv);
    assert!(pl.vrps.is_empty());
    assert_eq!(
        pl.aspas,
        vec![
            Aspa::new(Asn(64500), vec![Asn(64501), Asn(64502), Asn(64503)]),
            Aspa::new(Asn(64510), vec![Asn(0)]),
            Aspa::new(Asn(64521), vec![Asn(64501), Asn(64502)]),
        ]
    );
    let rejected: Vec<_> = pl.rejected.iter().map(|r| (r.position, r.reason)).collect();
    assert_eq!(
        rejected,
        vec![
            (Position::Line(6), RejectReason::BadAsn),
            (Position::Line(7), RejectReason::BadProviders),
        ]
    );
}
