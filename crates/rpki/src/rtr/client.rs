//! An RTR client: connects to a cache as a router does, fetches the whole set (Reset Query)
//! and keeps it current (Serial Query, Serial Notify). Synchronous, on `std::net`.
//!
//! It checks what a careful router checks: every PDU of a response in the session's version
//! and session id, no announcement of what it already has, no withdrawal of what it does not
//! have (it answers those with an Error Report, as RFC 8210 section 12 asks, and fails). A
//! response is applied only when its End of Data arrives.
//!
//! Version negotiation (RFC 8210 section 7): the client proposes its version; a cache that
//! answers with a lower version (a Cache Response, or an Error Report "Unsupported Protocol
//! Version") makes the client use that version, reconnecting when the cache closed.

use super::pdu::{ErrorCode, Intervals, Pdu, PduError, Version};
use super::state::RtrPayload;
use crate::{Aspa, Vrp};
use routenorms_types::Asn;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    #[error("the cache sent a bad PDU: {0}")]
    Pdu(#[from] PduError),
    #[error("the cache reported an error: {} (code {code}): {text}", ErrorCode::from_u16(*code).map_or("unknown error", |c| c.name()))]
    ErrorReport { code: u16, text: String },
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    #[error("the cache closed the connection")]
    Closed,
}

/// What [`Client::refresh`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// An incremental update was applied (possibly empty).
    Delta { announced: usize, withdrawn: usize },
    /// The cache answered Cache Reset; the whole set was fetched again.
    Reset,
}

/// A router's view of one cache.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    stream: TcpStream,
    version: Version,
    timeout: Duration,
    /// Bytes received; `buf[pos..]` not yet decoded.
    buf: Vec<u8>,
    pos: usize,
    session_id: Option<u16>,
    serial: Option<u32>,
    intervals: Option<Intervals>,
    vrps: BTreeSet<Vrp>,
    aspas: BTreeMap<Asn, Vec<Asn>>,
    pending_notify: Option<u32>,
}

/// The data of one response, applied at End of Data.
#[derive(Default)]
struct Collected {
    announced: usize,
    withdrawn: usize,
}

impl Client {
    /// Connects to `addr`, proposing `version`; every read and write fails after `timeout`
    /// without progress. Nothing is sent yet.
    pub fn connect(
        addr: impl ToSocketAddrs,
        version: Version,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for addr in addr.to_socket_addrs()? {
            match Self::open(addr, timeout) {
                Ok(stream) => {
                    return Ok(Client {
                        addr,
                        stream,
                        version,
                        timeout,
                        buf: Vec::new(),
                        pos: 0,
                        session_id: None,
                        serial: None,
                        intervals: None,
                        vrps: BTreeSet::new(),
                        aspas: BTreeMap::new(),
                        pending_notify: None,
                    })
                }
                Err(e) => last = e,
            }
        }
        Err(last.into())
    }

    fn open(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    /// [`Client::connect`] and [`Client::reset`].
    pub fn fetch(
        addr: impl ToSocketAddrs,
        version: Version,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        let mut c = Client::connect(addr, version, timeout)?;
        c.reset()?;
        Ok(c)
    }

    /// The protocol version in use (lower than proposed if the cache downgraded it).
    pub fn version(&self) -> Version {
        self.version
    }

    pub fn session_id(&self) -> Option<u16> {
        self.session_id
    }

    /// The serial of the data held, after a complete response.
    pub fn serial(&self) -> Option<u32> {
        self.serial
    }

    /// The timing of the last End of Data (versions 1 and 2).
    pub fn intervals(&self) -> Option<Intervals> {
        self.intervals
    }

    /// The VRPs held, sorted.
    pub fn vrps(&self) -> impl Iterator<Item = &Vrp> {
        self.vrps.iter()
    }

    /// The ASPAs held, sorted by customer.
    pub fn aspas(&self) -> Vec<Aspa> {
        self.aspas
            .iter()
            .map(|(c, p)| Aspa::new(*c, p.clone()))
            .collect()
    }

    /// The data held, as a payload (comparable with what a cache serves).
    pub fn payload(&self) -> RtrPayload {
        RtrPayload::new(self.vrps.iter().cloned(), self.aspas())
    }

    fn send(&mut self, pdu: &Pdu) -> Result<(), ClientError> {
        self.stream.write_all(&pdu.to_bytes())?;
        Ok(())
    }

    /// The next PDU from the cache; a decoding error is reported back to the cache.
    fn next_pdu(&mut self) -> Result<Pdu, ClientError> {
        loop {
            match Pdu::decode(&self.buf[self.pos..]) {
                Ok(Some((pdu, n))) => {
                    // Advance instead of draining: a full set is hundreds of thousands of
                    // PDUs per read buffer.
                    self.pos += n;
                    return Ok(pdu);
                }
                Ok(None) => {}
                Err(e) => {
                    let raw: Vec<u8> = self.buf[self.pos..].iter().take(64).copied().collect();
                    let _ = self.report(e.code, raw, e.reason);
                    return Err(e.into());
                }
            }
            self.buf.drain(..self.pos);
            self.pos = 0;
            let old = self.buf.len();
            self.buf.resize(old + 64 * 1024, 0);
            let n = match self.stream.read(&mut self.buf[old..]) {
                Ok(n) => n,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e.into());
                }
            };
            self.buf.truncate(old + n);
            if n == 0 {
                return Err(ClientError::Closed);
            }
        }
    }

    fn report(&mut self, code: ErrorCode, pdu: Vec<u8>, text: &str) -> Result<(), ClientError> {
        let report = Pdu::ErrorReport {
            version: self.version,
            code: code.get(),
            pdu,
            text: text.to_owned(),
        };
        self.send(&report)
    }

    /// Fails with an Error Report sent to the cache.
    fn fail(&mut self, code: ErrorCode, pdu: &Pdu, why: &'static str) -> ClientError {
        let _ = self.report(code, pdu.to_bytes(), why);
        ClientError::Protocol(why)
    }

    /// Reconnects (the cache closed after an Error Report).
    fn reconnect(&mut self) -> Result<(), ClientError> {
        self.stream = Self::open(self.addr, self.timeout)?;
        self.buf.clear();
        self.pos = 0;
        Ok(())
    }

    /// Sends a Reset Query and replaces the data with the complete set.
    pub fn reset(&mut self) -> Result<(), ClientError> {
        loop {
            let version = self.version;
            self.send(&Pdu::ResetQuery { version })?;
            match self.await_response()? {
                Some(session_id) => {
                    let (mut vrps, mut aspas) = (BTreeSet::new(), BTreeMap::new());
                    self.collect(session_id, &mut vrps, &mut aspas)?;
                    self.vrps = vrps;
                    self.aspas = aspas;
                    return Ok(());
                }
                // Downgraded by an Error Report: the cache closed; try again.
                None if self.version < version => self.reconnect()?,
                None => {
                    return Err(ClientError::Protocol(
                        "Cache Reset in answer to Reset Query",
                    ))
                }
            }
        }
    }

    /// Sends a Serial Query for the serial held (a Reset Query when none is) and applies the
    /// answer; a Cache Reset answer fetches the whole set.
    pub fn refresh(&mut self) -> Result<Refresh, ClientError> {
        let (Some(session_id), Some(serial)) = (self.session_id, self.serial) else {
            self.reset()?;
            return Ok(Refresh::Reset);
        };
        let version = self.version;
        self.send(&Pdu::SerialQuery {
            version,
            session_id,
            serial,
        })?;
        match self.await_response()? {
            Some(sid) => {
                let (mut vrps, mut aspas) = (self.vrps.clone(), self.aspas.clone());
                let c = self.collect(sid, &mut vrps, &mut aspas)?;
                self.vrps = vrps;
                self.aspas = aspas;
                Ok(Refresh::Delta {
                    announced: c.announced,
                    withdrawn: c.withdrawn,
                })
            }
            None => {
                if self.version < version {
                    self.reconnect()?;
                }
                self.reset()?;
                Ok(Refresh::Reset)
            }
        }
    }

    /// Waits up to `wait` for a Serial Notify; its serial, or `None` on timeout.
    pub fn wait_notify(&mut self, wait: Duration) -> Result<Option<u32>, ClientError> {
        if let Some(s) = self.pending_notify.take() {
            return Ok(Some(s));
        }
        self.stream.set_read_timeout(Some(wait))?;
        let r = self.next_pdu();
        self.stream.set_read_timeout(Some(self.timeout))?;
        match r {
            Ok(Pdu::SerialNotify { serial, .. }) => Ok(Some(serial)),
            Ok(Pdu::ErrorReport { code, text, .. }) => Err(ClientError::ErrorReport { code, text }),
            Ok(_) => Err(ClientError::Protocol("unsolicited PDU")),
            Err(ClientError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads up to the answer to a query: `Some(session id)` for a Cache Response, `None` for
    /// a Cache Reset or a downgrading Error Report (the version is then already lowered).
    fn await_response(&mut self) -> Result<Option<u16>, ClientError> {
        loop {
            let pdu = self.next_pdu()?;
            match pdu {
                Pdu::SerialNotify { serial, .. } => self.pending_notify = Some(serial),
                Pdu::CacheResponse {
                    version,
                    session_id,
                } => {
                    if version > self.version {
                        return Err(self.fail(
                            ErrorCode::UnexpectedProtocolVersion,
                            &pdu,
                            "cache answered in a higher version than proposed",
                        ));
                    }
                    // A lower version is a downgrade only while negotiating (RFC 8210
                    // section 7); later, a version change drops the session.
                    if version < self.version && self.serial.is_some() {
                        return Err(self.fail(
                            ErrorCode::UnexpectedProtocolVersion,
                            &pdu,
                            "cache changed the protocol version within the session",
                        ));
                    }
                    self.version = version;
                    return Ok(Some(session_id));
                }
                Pdu::CacheReset { .. } => return Ok(None),
                Pdu::ErrorReport {
                    version,
                    code,
                    text,
                    ..
                } => {
                    if code == ErrorCode::UnsupportedProtocolVersion.get()
                        && version < self.version
                        && self.serial.is_none()
                    {
                        self.version = version;
                        return Ok(None);
                    }
                    return Err(ClientError::ErrorReport { code, text });
                }
                _ => {
                    return Err(self.fail(
                        ErrorCode::InvalidRequest,
                        &pdu,
                        "expected Cache Response or Cache Reset",
                    ))
                }
            }
        }
    }

    /// Applies payload PDUs to `vrps`/`aspas` up to End of Data.
    fn collect(
        &mut self,
        session_id: u16,
        vrps: &mut BTreeSet<Vrp>,
        aspas: &mut BTreeMap<Asn, Vec<Asn>>,
    ) -> Result<Collected, ClientError> {
        let mut c = Collected::default();
        loop {
            let pdu = self.next_pdu()?;
            if pdu.version() != self.version {
                return Err(self.fail(
                    ErrorCode::UnexpectedProtocolVersion,
                    &pdu,
                    "PDU version differs from the session's",
                ));
            }
            if let Some((vrp, announce)) = pdu.to_vrp() {
                let ok = if announce {
                    vrps.insert(vrp)
                } else {
                    vrps.remove(&vrp)
                };
                if !ok {
                    return Err(self.bad_change(announce, &pdu));
                }
                count(&mut c, announce);
                continue;
            }
            if let Some((aspa, announce)) = pdu.to_aspa() {
                // An announcement replaces the customer's previous ASPA (8210bis 5.12).
                let ok = if announce {
                    aspas.insert(aspa.customer, aspa.providers);
                    true
                } else {
                    aspas.remove(&aspa.customer).is_some()
                };
                if !ok {
                    return Err(self.bad_change(false, &pdu));
                }
                count(&mut c, announce);
                continue;
            }
            match pdu {
                Pdu::EndOfData {
                    session_id: sid,
                    serial,
                    intervals,
                    ..
                } => {
                    if sid != session_id {
                        return Err(self.fail(
                            ErrorCode::CorruptData,
                            &pdu,
                            "End of Data for another session",
                        ));
                    }
                    self.session_id = Some(sid);
                    self.serial = Some(serial);
                    self.intervals = intervals;
                    return Ok(c);
                }
                // Router keys are not kept (no BGPsec here).
                Pdu::RouterKey { .. } => {}
                Pdu::ErrorReport { code, text, .. } => {
                    return Err(ClientError::ErrorReport { code, text })
                }
                _ => {
                    return Err(self.fail(
                        ErrorCode::InvalidRequest,
                        &pdu,
                        "unexpected PDU inside a response",
                    ))
                }
            }
        }
    }

    fn bad_change(&mut self, announce: bool, pdu: &Pdu) -> ClientError {
        if announce {
            self.fail(
                ErrorCode::DuplicateAnnouncement,
                pdu,
                "duplicate announcement",
            )
        } else {
            self.fail(
                ErrorCode::WithdrawalOfUnknownRecord,
                pdu,
                "withdrawal of an unknown record",
            )
        }
    }
}

fn count(c: &mut Collected, announce: bool) {
    if announce {
        c.announced += 1;
    } else {
        c.withdrawn += 1;
    }
}
