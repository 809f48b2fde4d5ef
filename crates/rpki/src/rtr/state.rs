//! The cache's data: the payload set it serves, the changes between serials, and the encoded
//! PDUs every session shares.
//!
//! [`RtrPayload`] is what RTR can say: VRPs as (prefix, maxLength, ASN) without trust anchor,
//! deduplicated, and one ASPA per customer with its provider list as the ASPA PDU carries it.
//! [`Cache`] holds the current [`CacheState`] (session id, serial, payload, encoded PDUs) and
//! replaces it on [`Cache::update`]: the serial goes up by one, the change to the previous set
//! is composed into the net change from each serial still in the window, and every session
//! subscribed through [`Cache::subscribe`] is woken to send its router a Serial Notify.
//!
//! Encoded PDUs are built once and shared: the full set per protocol version lazily (only the
//! versions some router asks for are encoded), each net delta per version at update time, all
//! behind `Arc<[u8]>` so a thousand sessions write the same bytes without copying them.

use super::pdu::{Pdu, Version};
use crate::{Aspa, Vrp};
use routenorms_types::Asn;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::watch;

/// The number of serials [`Cache`] keeps deltas for unless configured otherwise: a router up
/// to 10 updates behind gets an incremental update, one further behind a Cache Reset (the same
/// default as Routinator's `history-size`). The deltas cost memory in proportion to the
/// changes within the window: validator runs change a few hundred VRPs, but ten updates that
/// each replaced the whole set would hold up to ten times (old + new) entries.
pub const DEFAULT_WINDOW: usize = 10;

/// The payload a cache serves: sorted, free of duplicates, in the form the PDUs carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtrPayload {
    vrps: Vec<Vrp>,
    aspas: Vec<Aspa>,
}

/// The provider list an ASPA PDU announces (see [`Pdu::from_aspa`]): sorted, deduplicated,
/// AS0 only alone, an empty set as AS0.
fn wire_providers(providers: &[Asn]) -> Vec<Asn> {
    match Pdu::from_aspa(true, &Aspa::new(Asn(0), providers.to_vec())) {
        Pdu::Aspa { providers, .. } => providers,
        _ => unreachable!("from_aspa builds an ASPA PDU"),
    }
}

impl RtrPayload {
    /// From any VRPs and ASPAs: trust anchors dropped, duplicate VRPs merged, ASPAs of the same
    /// customer merged (the union of their providers, as path verification reads them), family
    /// limits of early-profile ASPAs dropped (the ASPA PDU cannot carry them).
    pub fn new(
        vrps: impl IntoIterator<Item = Vrp>,
        aspas: impl IntoIterator<Item = Aspa>,
    ) -> RtrPayload {
        let mut vrps: Vec<Vrp> = vrps.into_iter().map(|v| v.with_ta(None)).collect();
        vrps.sort_unstable();
        vrps.dedup();
        let mut by_customer: BTreeMap<Asn, Vec<Asn>> = BTreeMap::new();
        for a in aspas {
            by_customer
                .entry(a.customer)
                .or_default()
                .extend(a.providers);
        }
        let aspas = by_customer
            .into_iter()
            .map(|(customer, p)| Aspa::new(customer, wire_providers(&p)))
            .collect();
        RtrPayload { vrps, aspas }
    }

    /// The VRPs, sorted (IPv4 first), without trust anchors.
    pub fn vrps(&self) -> &[Vrp] {
        &self.vrps
    }

    /// The ASPAs, one per customer, sorted by customer.
    pub fn aspas(&self) -> &[Aspa] {
        &self.aspas
    }

    /// The payload PDUs a router of `version` receives for the whole set: IPv4 prefixes, IPv6
    /// prefixes, then (version 2 only) ASPAs.
    pub fn encode(&self, version: Version) -> Vec<u8> {
        let aspa_len: usize = if version >= Version::V2 {
            self.aspas.iter().map(|a| 12 + 4 * a.providers.len()).sum()
        } else {
            0
        };
        let mut out = Vec::with_capacity(self.vrps.len() * 32 + aspa_len);
        for v in &self.vrps {
            Pdu::from_vrp(version, true, v).encode(&mut out);
        }
        if version >= Version::V2 {
            for a in &self.aspas {
                aspa_pdu(true, a.customer, a.providers.clone()).encode(&mut out);
            }
        }
        out
    }
}

fn aspa_pdu(announce: bool, customer: Asn, providers: Vec<Asn>) -> Pdu {
    Pdu::Aspa {
        version: Version::V2,
        announce,
        customer,
        providers,
    }
}

/// The net change from one payload to another, each entry with its state before and after.
/// Composable: the change from serial `k` to `n + 1` is that from `k` to `n` followed by
/// that from `n` to `n + 1`, and entries whose before equals their after drop out (a VRP added
/// and removed again is no change, so a router is never told to withdraw what it never had).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// VRP → (present before, present after).
    vrps: BTreeMap<Vrp, (bool, bool)>,
    /// Customer → (providers before, providers after).
    aspas: BTreeMap<Asn, AspaChange>,
}

/// An ASPA's providers before and after a change; `None` = no ASPA.
type AspaChange = (Option<Vec<Asn>>, Option<Vec<Asn>>);

impl Changes {
    /// The change from `old` to `new` (both sorted, as [`RtrPayload`] keeps them).
    pub fn between(old: &RtrPayload, new: &RtrPayload) -> Changes {
        let mut out = Changes::default();
        merge_sorted(
            &old.vrps,
            &new.vrps,
            |a, b| a.cmp(b),
            |v, before, after| {
                if before.is_some() != after.is_some() {
                    out.vrps
                        .insert(v.clone(), (before.is_some(), after.is_some()));
                }
            },
        );
        merge_sorted(
            &old.aspas,
            &new.aspas,
            |a, b| a.customer.cmp(&b.customer),
            |a, before, after| {
                let (b, n) = (
                    before.map(|x| x.providers.clone()),
                    after.map(|x| x.providers.clone()),
                );
                if b != n {
                    out.aspas.insert(a.customer, (b, n));
                }
            },
        );
        out
    }

    /// This change followed by `next`.
    pub fn then(&mut self, next: &Changes) {
        for (v, &(before, after)) in &next.vrps {
            self.vrps
                .entry(v.clone())
                .and_modify(|e| e.1 = after)
                .or_insert((before, after));
        }
        for (c, (before, after)) in &next.aspas {
            self.aspas
                .entry(*c)
                .and_modify(|e| e.1 = after.clone())
                .or_insert_with(|| (before.clone(), after.clone()));
        }
        self.vrps.retain(|_, (b, a)| b != a);
        self.aspas.retain(|_, (b, a)| b != a);
    }

    pub fn is_empty(&self) -> bool {
        self.vrps.is_empty() && self.aspas.is_empty()
    }

    /// VRPs announced (new) by this change.
    pub fn announced_vrps(&self) -> impl Iterator<Item = &Vrp> {
        self.vrps.iter().filter(|(_, s)| s.1).map(|(v, _)| v)
    }

    /// VRPs withdrawn by this change.
    pub fn withdrawn_vrps(&self) -> impl Iterator<Item = &Vrp> {
        self.vrps.iter().filter(|(_, s)| !s.1).map(|(v, _)| v)
    }

    /// The number of ASPA customers whose ASPA appears, changes or disappears.
    pub fn aspa_changes(&self) -> usize {
        self.aspas.len()
    }

    /// The payload PDUs a router of `version` receives for this change: withdrawals before
    /// announcements; version 2 adds ASPA PDUs, an announcement for a customer whose ASPA is
    /// new or changed (it replaces the router's previous one, draft-ietf-sidrops-8210bis
    /// section 5.12) and a withdrawal for one whose ASPA is gone.
    pub fn encode(&self, version: Version) -> Vec<u8> {
        let mut out = Vec::new();
        for v in self.withdrawn_vrps() {
            Pdu::from_vrp(version, false, v).encode(&mut out);
        }
        for v in self.announced_vrps() {
            Pdu::from_vrp(version, true, v).encode(&mut out);
        }
        if version >= Version::V2 {
            for (c, (_, after)) in &self.aspas {
                if after.is_none() {
                    aspa_pdu(false, *c, Vec::new()).encode(&mut out);
                }
            }
            for (c, (_, after)) in &self.aspas {
                if let Some(p) = after {
                    aspa_pdu(true, *c, p.clone()).encode(&mut out);
                }
            }
        }
        out
    }
}

/// Walks two sorted slices together, calling `each` once per distinct element with its
/// occurrence in `a` and in `b`.
fn merge_sorted<'x, T>(
    a: &'x [T],
    b: &'x [T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    mut each: impl FnMut(&'x T, Option<&'x T>, Option<&'x T>),
) {
    use std::cmp::Ordering::*;
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let ord = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => cmp(x, y),
            (Some(_), None) => Less,
            _ => Greater,
        };
        match ord {
            Less => {
                each(&a[i], Some(&a[i]), None);
                i += 1;
            }
            Greater => {
                each(&b[j], None, Some(&b[j]));
                j += 1;
            }
            Equal => {
                each(&a[i], Some(&a[i]), Some(&b[j]));
                i += 1;
                j += 1;
            }
        }
    }
}

/// Bytes shared by every session: one encoding per protocol version.
type PerVersion = [Arc<[u8]>; 3];

fn per_version(f: impl Fn(Version) -> Vec<u8>) -> PerVersion {
    [Version::V0, Version::V1, Version::V2].map(|v| Arc::from(f(v)))
}

/// One published state of the cache. Immutable; [`Cache::update`] publishes a new one.
#[derive(Debug)]
pub struct CacheState {
    session_id: u16,
    serial: u32,
    payload: Arc<RtrPayload>,
    full: [OnceLock<Arc<[u8]>>; 3],
    /// (from serial, the encoded net change from it to `serial`), newest first.
    deltas: Vec<(u32, PerVersion)>,
}

/// What a Serial Query gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SerialAnswer {
    /// The payload PDUs that bring the router from its serial to the current one (empty when
    /// it is current).
    Delta(Arc<[u8]>),
    /// The serial (or session) is unknown or too old: Cache Reset.
    Reset,
}

impl CacheState {
    pub fn session_id(&self) -> u16 {
        self.session_id
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    pub fn payload(&self) -> &RtrPayload {
        &self.payload
    }

    /// The payload PDUs of the whole set for `version`, encoded on first use and then shared.
    pub fn full(&self, version: Version) -> Arc<[u8]> {
        self.full[usize::from(version.get())]
            .get_or_init(|| Arc::from(self.payload.encode(version)))
            .clone()
    }

    /// The answer to a Serial Query for `serial` in session `session_id`.
    pub fn answer_serial(&self, session_id: u16, serial: u32, version: Version) -> SerialAnswer {
        if session_id != self.session_id {
            return SerialAnswer::Reset;
        }
        if serial == self.serial {
            return SerialAnswer::Delta(Arc::from(Vec::new()));
        }
        match self.deltas.iter().find(|(from, _)| *from == serial) {
            Some((_, d)) => SerialAnswer::Delta(d[usize::from(version.get())].clone()),
            None => SerialAnswer::Reset,
        }
    }

    /// The serials a Serial Query gets an incremental update from (the current one included).
    pub fn window(&self) -> Vec<u32> {
        std::iter::once(self.serial)
            .chain(self.deltas.iter().map(|d| d.0))
            .collect()
    }
}

/// Settings of a [`Cache`].
#[derive(Clone, Copy, Debug)]
pub struct CacheConfig {
    /// The session id; `None` picks one from the clock and process id (RFC 8210 section 5.1:
    /// a new one whenever the cache restarts).
    pub session_id: Option<u16>,
    /// The first serial.
    pub initial_serial: u32,
    /// How many older serials get incremental updates ([`DEFAULT_WINDOW`]).
    pub window: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            session_id: None,
            initial_serial: 0,
            window: DEFAULT_WINDOW,
        }
    }
}

/// What [`Cache::update`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateSummary {
    pub serial: u32,
    pub vrps_announced: usize,
    pub vrps_withdrawn: usize,
    pub aspa_changes: usize,
    pub vrps: usize,
    pub aspas: usize,
}

/// The mutable cache: the current state, the net changes of the window, and the channel that
/// tells sessions about a new state.
#[derive(Debug)]
pub struct Cache {
    tx: watch::Sender<Arc<CacheState>>,
    /// (from serial, net change from it to the current serial), newest first.
    history: Mutex<VecDeque<(u32, Changes)>>,
    window: usize,
}

fn pick_session_id() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish() as u16
}

impl Cache {
    pub fn new(payload: RtrPayload, config: CacheConfig) -> Cache {
        let state = CacheState {
            session_id: config.session_id.unwrap_or_else(pick_session_id),
            serial: config.initial_serial,
            payload: Arc::new(payload),
            full: Default::default(),
            deltas: Vec::new(),
        };
        Cache {
            tx: watch::Sender::new(Arc::new(state)),
            history: Mutex::new(VecDeque::new()),
            window: config.window,
        }
    }

    /// The current state.
    pub fn current(&self) -> Arc<CacheState> {
        self.tx.borrow().clone()
    }

    /// A receiver woken on every new state (the sessions' source of Serial Notify).
    pub fn subscribe(&self) -> watch::Receiver<Arc<CacheState>> {
        self.tx.subscribe()
    }

    /// Replaces the payload. `None` when it equals the current one (no new serial); otherwise
    /// the serial is incremented (wrapping, RFC 1982), the deltas of the window are updated
    /// and sessions are notified.
    pub fn update(&self, payload: RtrPayload) -> Option<UpdateSummary> {
        let old = self.current();
        let change = Changes::between(&old.payload, &payload);
        if change.is_empty() {
            return None;
        }
        let serial = old.serial.wrapping_add(1);
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        for (_, net) in history.iter_mut() {
            net.then(&change);
        }
        history.push_front((old.serial, change.clone()));
        history.truncate(self.window);
        // Composition can cancel out: a serial whose set equals the new one gets an empty
        // delta, which is still an answer (not a Cache Reset).
        let deltas = history
            .iter()
            .map(|(from, net)| (*from, per_version(|v| net.encode(v))))
            .collect();
        let summary = UpdateSummary {
            serial,
            vrps_announced: change.announced_vrps().count(),
            vrps_withdrawn: change.withdrawn_vrps().count(),
            aspa_changes: change.aspa_changes(),
            vrps: payload.vrps.len(),
            aspas: payload.aspas.len(),
        };
        let state = CacheState {
            session_id: old.session_id,
            serial,
            payload: Arc::new(payload),
            full: Default::default(),
            deltas,
        };
        self.tx.send_replace(Arc::new(state));
        Some(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vrp(p: &str, max: u8, asn: u32) -> Vrp {
        Vrp::new(p.parse().unwrap(), max, Asn(asn)).unwrap()
    }

    fn payload(vrps: &[(&str, u8, u32)], aspas: &[(u32, &[u32])]) -> RtrPayload {
        RtrPayload::new(
            vrps.iter().map(|&(p, m, a)| vrp(p, m, a)),
            aspas
                .iter()
                .map(|(c, p)| Aspa::new(Asn(*c), p.iter().map(|&x| Asn(x)).collect())),
        )
    }

    fn decode_all(mut bytes: &[u8]) -> Vec<Pdu> {
        let mut out = Vec::new();
        while let Some((pdu, n)) = Pdu::decode(bytes).unwrap() {
            out.push(pdu);
            bytes = &bytes[n..];
        }
        assert!(bytes.is_empty());
        out
    }

    #[test]
    fn payload_drops_duplicates_and_trust_anchors_and_merges_aspas_per_customer() {
        let ta = Some(crate::Ta::new("ripe"));
        let p = RtrPayload::new(
            [
                vrp("192.0.2.0/24", 24, 1).with_ta(ta),
                vrp("192.0.2.0/24", 24, 1),
                vrp("2001:db8::/32", 48, 1),
            ],
            [
                Aspa::new(Asn(5), vec![Asn(7)]),
                Aspa::new(Asn(5), vec![Asn(6), Asn(0)]),
            ],
        );
        assert_eq!(p.vrps().len(), 2);
        assert_eq!(p.aspas(), &[Aspa::new(Asn(5), vec![Asn(6), Asn(7)])]);
    }

    #[test]
    fn full_set_has_aspa_pdus_only_in_version_2() {
        let p = payload(
            &[("192.0.2.0/24", 24, 1), ("2001:db8::/32", 48, 2)],
            &[(5, &[6])],
        );
        assert_eq!(decode_all(&p.encode(Version::V0)).len(), 2);
        assert_eq!(decode_all(&p.encode(Version::V1)).len(), 2);
        let v2 = decode_all(&p.encode(Version::V2));
        assert_eq!(v2.len(), 3);
        assert_eq!(v2[2].to_aspa().unwrap().0, Aspa::new(Asn(5), vec![Asn(6)]));
        assert!(matches!(v2[0], Pdu::Ipv4Prefix { .. }));
        assert!(matches!(v2[1], Pdu::Ipv6Prefix { .. }));
    }

    #[test]
    fn composed_changes_cancel_out_and_keep_the_first_before_state() {
        let a = payload(&[("192.0.2.0/24", 24, 1)], &[(5, &[6])]);
        let b = payload(&[("192.0.2.0/24", 24, 1), ("10.0.0.0/8", 8, 2)], &[]);
        let c = payload(&[("10.0.0.0/8", 8, 2)], &[(5, &[6])]);
        let mut net = Changes::between(&a, &b);
        net.then(&Changes::between(&b, &c));
        assert_eq!(net, Changes::between(&a, &c));
        // 10/8 added, 192.0.2.0/24 withdrawn; the ASPA is back as it was: no change.
        assert_eq!(net.announced_vrps().count(), 1);
        assert_eq!(net.withdrawn_vrps().count(), 1);
        assert_eq!(net.aspa_changes(), 0);
        let mut back = Changes::between(&a, &c);
        back.then(&Changes::between(&c, &a));
        assert!(back.is_empty());
    }

    #[test]
    fn changed_aspa_is_announced_again_and_removed_one_withdrawn() {
        let a = payload(&[], &[(5, &[6]), (8, &[9])]);
        let b = payload(&[], &[(5, &[6, 7])]);
        let pdus = decode_all(&Changes::between(&a, &b).encode(Version::V2));
        assert_eq!(
            pdus.iter()
                .map(|p| p.to_aspa().unwrap())
                .collect::<Vec<_>>(),
            vec![
                (Aspa::new(Asn(8), vec![]), false),
                (Aspa::new(Asn(5), vec![Asn(6), Asn(7)]), true)
            ]
        );
        assert!(Changes::between(&a, &b).encode(Version::V1).is_empty());
    }

    #[test]
    fn cache_keeps_deltas_for_the_window_and_resets_older_serials() {
        let cache = Cache::new(
            payload(&[], &[]),
            CacheConfig {
                session_id: Some(7),
                initial_serial: u32::MAX,
                window: 2,
            },
        );
        for (i, p) in ["10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/8"]
            .iter()
            .enumerate()
        {
            let mut vrps: Vec<_> = ["10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/8"][..=i]
                .iter()
                .map(|p| (*p, 8, 1))
                .collect();
            vrps.sort();
            let s = cache.update(payload(&vrps, &[])).unwrap();
            assert_eq!(s.vrps_announced, 1, "{p}");
        }
        assert!(cache.update(cache.current().payload().clone()).is_none());
        let st = cache.current();
        // Serial wrapped: MAX → 0 → 1 → 2.
        assert_eq!(st.serial(), 2);
        assert_eq!(st.window(), vec![2, 1, 0]);
        let SerialAnswer::Delta(d) = st.answer_serial(7, 0, Version::V1) else {
            panic!("serial 0 is in the window")
        };
        assert_eq!(decode_all(&d).len(), 2);
        assert_eq!(
            st.answer_serial(7, u32::MAX, Version::V1),
            SerialAnswer::Reset
        );
        assert_eq!(st.answer_serial(8, 2, Version::V1), SerialAnswer::Reset);
        assert_eq!(
            st.answer_serial(7, 2, Version::V1),
            SerialAnswer::Delta(Arc::from(Vec::new()))
        );
    }
}
