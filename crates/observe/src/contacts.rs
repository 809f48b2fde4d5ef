//! Contact information for MANRS action 3 (coordination, metric M6): which ASNs publish a
//! way to reach their operators. Two sources: PeeringDB (API responses, `{"data": [...]}`
//! pages of `net`, `poc` and `org` objects, as `GET /api/net` etc. return them) and the
//! aut-num objects of IRR / RIR whois data (the caller adds those; RPSL makes `admin-c` and
//! `tech-c` mandatory on an aut-num, so its presence is a registered contact).
//!
//! An ASN has PeeringDB contact information when a `net` record with its ASN has at least
//! one `poc` with an e-mail address or a phone number, or — when no `poc` page was given —
//! when the `net` record exists at all (the record itself is then the only evidence, and the
//! evidence says so). Pages of other object types (`ix`, `fac`, `netixlan`, …) are read and
//! counted but not used.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// What went wrong with a PeeringDB file (named by the caller).
#[derive(Debug, thiserror::Error)]
pub enum PeeringDbError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a PeeringDB API response: {0}")]
    Json(#[from] serde_json::Error),
}

/// One PeeringDB `net` record, reduced to what the report shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Network {
    pub id: u64,
    pub asn: u32,
    pub name: String,
    pub org_id: Option<u64>,
    pub updated: Option<String>,
}

/// One contact source for an ASN, as the M6 evidence shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ContactEvidence {
    /// `peeringdb` or `irr`.
    pub source: &'static str,
    pub detail: String,
}

/// Contact information by ASN, from every source given.
#[derive(Clone, Debug, Default)]
pub struct Contacts {
    networks: BTreeMap<u32, Network>,
    /// Reachable points of contact by PeeringDB net id (pages may come in any order).
    pocs_by_net: BTreeMap<u64, Vec<String>>,
    org_country: BTreeMap<u64, String>,
    irr: BTreeMap<u32, String>,
    pocs_seen: bool,
    /// Which kinds of source were given (`peeringdb`, `irr`); empty means "no data".
    pub sources: Vec<&'static str>,
    /// Objects read per PeeringDB object type (`net`, `poc`, `org`, `other`).
    pub counts: BTreeMap<&'static str, u64>,
    /// The latest `updated` time among the PeeringDB records read (the data's date).
    pub latest_update: Option<String>,
}

#[derive(serde::Deserialize)]
struct Page {
    data: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl Contacts {
    pub fn new() -> Contacts {
        Contacts::default()
    }

    /// Reads one PeeringDB API page (any object type). Returns the number of objects read.
    pub fn add_peeringdb_file(&mut self, path: &Path) -> Result<usize, PeeringDbError> {
        let bytes = std::fs::read(path)?;
        self.add_peeringdb(&bytes)
    }

    /// Reads one PeeringDB API page from memory.
    pub fn add_peeringdb(&mut self, bytes: &[u8]) -> Result<usize, PeeringDbError> {
        let page: Page = serde_json::from_slice(bytes)?;
        if !self.sources.contains(&"peeringdb") {
            self.sources.push("peeringdb");
        }
        let mut pocs: Vec<(u64, String)> = Vec::new();
        for obj in &page.data {
            let u64_of = |k: &str| obj.get(k).and_then(|v| v.as_u64());
            let str_of = |k: &str| obj.get(k).and_then(|v| v.as_str()).unwrap_or("");
            if let Some(t) = obj.get("updated").and_then(|v| v.as_str()) {
                if self.latest_update.as_deref().is_none_or(|l| t > l) {
                    self.latest_update = Some(t.to_string());
                }
            }
            // The object type shows in its fields: nets carry `asn` and `info_type`, pocs
            // `net_id` and `role`, orgs an address and no `asn`.
            let kind = if obj.contains_key("asn") && obj.contains_key("info_type") {
                let (Some(id), Some(asn)) = (u64_of("id"), u64_of("asn")) else {
                    continue;
                };
                let Ok(asn) = u32::try_from(asn) else {
                    continue;
                };
                if str_of("status") != "ok" && obj.contains_key("status") {
                    continue;
                }
                let e = self.networks.entry(asn).or_insert_with(|| Network {
                    id,
                    asn,
                    name: String::new(),
                    org_id: None,
                    updated: None,
                });
                e.id = id;
                e.name = str_of("name").to_string();
                e.org_id = u64_of("org_id");
                e.updated = obj
                    .get("updated")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                "net"
            } else if obj.contains_key("net_id") && obj.contains_key("role") {
                let reachable =
                    !str_of("email").trim().is_empty() || !str_of("phone").trim().is_empty();
                if let (Some(net), true) = (u64_of("net_id"), reachable) {
                    pocs.push((net, str_of("role").to_string()));
                }
                "poc"
            } else if obj.contains_key("country")
                && obj.contains_key("address1")
                && !obj.contains_key("org_id")
            {
                if let (Some(id), cc) = (u64_of("id"), str_of("country")) {
                    if cc.len() == 2 {
                        self.org_country.insert(id, cc.to_ascii_uppercase());
                    }
                }
                "org"
            } else {
                "other"
            };
            *self.counts.entry(kind).or_default() += 1;
        }
        if self.counts.contains_key("poc") {
            self.pocs_seen = true;
        }
        for (net, role) in pocs {
            self.pocs_by_net.entry(net).or_default().push(role);
        }
        Ok(page.data.len())
    }

    /// Records an aut-num object for `asn` from IRR / RIR whois data (`detail` names it,
    /// e.g. `AS-EXAMPLE in RIPE`).
    pub fn add_irr_aut_num(&mut self, asn: u32, detail: String) {
        if !self.sources.contains(&"irr") {
            self.sources.push("irr");
        }
        self.irr.entry(asn).or_insert(detail);
    }

    /// Marks IRR data as given even when it holds no aut-num (absence is then evidence).
    pub fn irr_given(&mut self) {
        if !self.sources.contains(&"irr") {
            self.sources.push("irr");
        }
    }

    /// True when no contact source was given at all (M6 is then "no data").
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The PeeringDB record of `asn`.
    pub fn network(&self, asn: u32) -> Option<&Network> {
        self.networks.get(&asn)
    }

    /// Roles of the reachable points of contact (e-mail or phone) of `asn`'s net record.
    pub fn contact_roles(&self, asn: u32) -> &[String] {
        self.network(asn)
            .and_then(|n| self.pocs_by_net.get(&n.id))
            .map_or(&[], Vec::as_slice)
    }

    /// The country of the organisation behind `asn`'s PeeringDB record.
    pub fn country(&self, asn: u32) -> Option<&str> {
        let org = self.network(asn)?.org_id?;
        self.org_country.get(&org).map(String::as_str)
    }

    /// Every contact source that names `asn` (empty: none found in the sources given).
    pub fn evidence(&self, asn: u32) -> Vec<ContactEvidence> {
        let mut out = Vec::new();
        if let Some(n) = self.network(asn) {
            let contacts = self.contact_roles(asn);
            if !contacts.is_empty() {
                let mut roles = contacts.to_vec();
                roles.sort();
                roles.dedup();
                out.push(ContactEvidence {
                    source: "peeringdb",
                    detail: format!(
                        "net {} \"{}\": {} point(s) of contact ({})",
                        n.id,
                        n.name,
                        contacts.len(),
                        roles.join(", ")
                    ),
                });
            } else if !self.pocs_seen {
                out.push(ContactEvidence {
                    source: "peeringdb",
                    detail: format!(
                        "net {} \"{}\" (no poc pages given: the record itself counts)",
                        n.id, n.name
                    ),
                });
            }
        }
        if let Some(d) = self.irr.get(&asn) {
            out.push(ContactEvidence {
                source: "irr",
                detail: format!("aut-num {d}"),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = r#"{"data": [
        {"id": 7, "org_id": 3, "name": "Example Net", "asn": 64500, "info_type": "NSP",
         "updated": "2024-01-02T00:00:00Z", "status": "ok"},
        {"id": 8, "org_id": 3, "name": "Silent Net", "asn": 64501, "info_type": "NSP",
         "updated": "2025-01-02T00:00:00Z", "status": "ok"},
        {"id": 9, "org_id": 3, "name": "Deleted", "asn": 64502, "info_type": "NSP",
         "status": "deleted"}]}"#;
    const POC: &str = r#"{"data": [
        {"id": 1, "net_id": 7, "role": "NOC", "email": "noc@example.net", "phone": ""},
        {"id": 2, "net_id": 8, "role": "Policy", "email": "", "phone": ""}]}"#;
    const ORG: &str = r#"{"data": [
        {"id": 3, "name": "Example Org", "address1": "1 Road", "country": "nl"}]}"#;

    #[test]
    fn a_net_with_a_reachable_poc_has_contacts_and_one_without_has_none() {
        let mut c = Contacts::new();
        c.add_peeringdb(NET.as_bytes()).unwrap();
        c.add_peeringdb(POC.as_bytes()).unwrap();
        c.add_peeringdb(ORG.as_bytes()).unwrap();
        assert_eq!(c.evidence(64500).len(), 1);
        assert!(c.evidence(64500)[0].detail.contains("NOC"));
        assert!(c.evidence(64501).is_empty(), "poc without e-mail or phone");
        assert!(c.network(64502).is_none(), "deleted records are skipped");
        assert_eq!(c.country(64500), Some("NL"));
        assert_eq!(c.counts["net"], 2);
        assert_eq!(c.counts["poc"], 2);
        assert_eq!(c.latest_update.as_deref(), Some("2025-01-02T00:00:00Z"));
    }

    #[test]
    fn pocs_read_before_their_nets_are_attached_when_the_nets_arrive() {
        let mut c = Contacts::new();
        c.add_peeringdb(POC.as_bytes()).unwrap();
        c.add_peeringdb(NET.as_bytes()).unwrap();
        assert_eq!(c.contact_roles(64500), ["NOC".to_string()]);
    }

    #[test]
    fn without_poc_pages_the_net_record_itself_is_the_evidence() {
        let mut c = Contacts::new();
        c.add_peeringdb(NET.as_bytes()).unwrap();
        let e = c.evidence(64501);
        assert_eq!(e.len(), 1);
        assert!(e[0].detail.contains("no poc pages"));
    }

    #[test]
    fn aut_nums_count_as_whois_contacts_and_no_source_means_no_data() {
        let mut c = Contacts::new();
        assert!(c.is_empty());
        c.add_irr_aut_num(64510, "AS-TEN in TEST".into());
        assert!(!c.is_empty());
        assert_eq!(c.evidence(64510)[0].source, "irr");
        assert!(c.evidence(64511).is_empty());
    }

    #[test]
    fn a_file_that_is_not_an_api_page_is_an_error() {
        let mut c = Contacts::new();
        assert!(c.add_peeringdb(b"[1,2]").is_err());
        assert!(c.add_peeringdb(b"{\"data\": 3}").is_err());
    }
}
