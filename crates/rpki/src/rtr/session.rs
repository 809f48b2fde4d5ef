//! One router's connection to the cache server: version negotiation, queries and their
//! answers, Serial Notify, and Error Reports for what the router gets wrong.
//!
//! Version negotiation (RFC 8210 section 7, draft-ietf-sidrops-8210bis section 7): the
//! router's first PDU fixes the version. A version the server speaks (at most
//! [`ServerConfig::max_version`]) is used for the whole session; a higher one gets an Error
//! Report "Unsupported Protocol Version" in the server's highest version, and the connection
//! is closed so the router can reconnect with that version. Once fixed, a PDU of any other
//! version gets "Unexpected Protocol Version" and the connection is closed. No PDU (not even a
//! Serial Notify) goes to a router before its first query.
//!
//! Serial Notify (RFC 8210 section 8.2: at most one per minute): a new cache state is notified
//! at once if the router was not notified within [`ServerConfig::notify_interval`], else when
//! that interval has passed, one notify for all states published meanwhile; none when the
//! router already holds (or was already told of) the current serial.
//!
//! Every Error Report the server sends is fatal: it is followed by closing the connection. An
//! Error Report from the router is never answered, and the connection is closed.

use super::pdu::{ErrorCode, Pdu, PduError, Version, HEADER_LEN};
use super::server::ServerConfig;
use super::state::{CacheState, SerialAnswer};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// The router closed the connection.
    Closed,
    /// The server sent a fatal Error Report (or the router sent one) and closed.
    Error,
    /// A write made no progress for the write timeout, or failed.
    Io,
    /// The server is shutting down.
    Shutdown,
    /// No query came within the first-query timeout.
    Idle,
}

type Rx = watch::Receiver<Arc<CacheState>>;

struct Session<'a> {
    cfg: &'a ServerConfig,
    wr: tokio::net::tcp::WriteHalf<'a>,
    /// The negotiated version, after the first query.
    version: Option<Version>,
    /// The serial the router holds (last End of Data) or was last notified of.
    told: Option<u32>,
    /// When the last Serial Notify went out.
    last_notify: Option<Instant>,
    /// A new state is waiting to be notified.
    pending: bool,
}

impl Session<'_> {
    /// Writes `bytes` in chunks, each of which must go out within the write timeout: a router
    /// that reads slowly but steadily is served, one that stops reading is dropped.
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        for chunk in bytes.chunks(64 * 1024) {
            tokio::time::timeout(self.cfg.write_timeout, self.wr.write_all(chunk))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "router stopped reading"))??;
        }
        Ok(())
    }

    async fn send(&mut self, pdu: &Pdu) -> io::Result<()> {
        self.write(&pdu.to_bytes()).await
    }

    async fn error_report(
        &mut self,
        version: Version,
        code: ErrorCode,
        erroneous: &[u8],
        text: &str,
    ) -> SessionEnd {
        let pdu = Pdu::ErrorReport {
            version,
            code: code.get(),
            pdu: erroneous.to_vec(),
            text: text.to_owned(),
        };
        let _ = self.send(&pdu).await;
        let _ = self.wr.shutdown().await;
        SessionEnd::Error
    }

    /// Cache Response, the payload PDUs, End of Data.
    async fn respond(&mut self, version: Version, st: &CacheState, body: &[u8]) -> io::Result<()> {
        let mut head = Vec::with_capacity(8);
        Pdu::CacheResponse {
            version,
            session_id: st.session_id(),
        }
        .encode(&mut head);
        self.write(&head).await?;
        self.write(body).await?;
        let eod = Pdu::EndOfData {
            version,
            session_id: st.session_id(),
            serial: st.serial(),
            intervals: (version > Version::V0).then_some(self.cfg.intervals),
        };
        self.send(&eod).await?;
        self.told = Some(st.serial());
        Ok(())
    }

    /// Handles one well-formed PDU from the router; `Err` ends the session.
    async fn handle(&mut self, pdu: Pdu, raw: &[u8], rx: &mut Rx) -> Result<(), SessionEnd> {
        let v = pdu.version();
        let version = match self.version {
            Some(fixed) if fixed != v => {
                if matches!(pdu, Pdu::ErrorReport { .. }) {
                    return Err(SessionEnd::Error);
                }
                return Err(self
                    .error_report(
                        fixed,
                        ErrorCode::UnexpectedProtocolVersion,
                        raw,
                        "PDU version differs from the version of this session",
                    )
                    .await);
            }
            Some(fixed) => fixed,
            None if v > self.cfg.max_version => {
                if matches!(pdu, Pdu::ErrorReport { .. }) {
                    return Err(SessionEnd::Error);
                }
                return Err(self
                    .error_report(
                        self.cfg.max_version,
                        ErrorCode::UnsupportedProtocolVersion,
                        raw,
                        "protocol version not supported by this cache",
                    )
                    .await);
            }
            None => v,
        };
        let io_end = |_| SessionEnd::Io;
        match pdu {
            Pdu::ResetQuery { .. } => {
                self.version = Some(version);
                let st = rx.borrow_and_update().clone();
                let body = st.full(version);
                self.respond(version, &st, &body).await.map_err(io_end)
            }
            Pdu::SerialQuery {
                session_id, serial, ..
            } => {
                self.version = Some(version);
                let st = rx.borrow_and_update().clone();
                match st.answer_serial(session_id, serial, version) {
                    SerialAnswer::Delta(body) => {
                        self.respond(version, &st, &body).await.map_err(io_end)
                    }
                    SerialAnswer::Reset => self
                        .send(&Pdu::CacheReset { version })
                        .await
                        .map_err(io_end),
                }
            }
            Pdu::ErrorReport { .. } => Err(SessionEnd::Error),
            _ => Err(self
                .error_report(
                    version,
                    ErrorCode::InvalidRequest,
                    raw,
                    "a router sends only Serial Query, Reset Query and Error Report",
                )
                .await),
        }
    }

    /// Reports bytes that are not a valid PDU, unless they are (meant as) an Error Report.
    async fn bad_pdu(&mut self, buf: &[u8], e: PduError) -> SessionEnd {
        if buf.get(1) == Some(&10) {
            return SessionEnd::Error;
        }
        let version = match self.version {
            Some(v) => v,
            None => Version::from_u8(buf[0])
                .filter(|v| *v <= self.cfg.max_version)
                .unwrap_or(self.cfg.max_version),
        };
        // The erroneous PDU as far as it arrived, never more than the header says nor more
        // than the limit.
        let claimed = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
        let take = buf
            .len()
            .min(claimed.max(HEADER_LEN))
            .min(self.cfg.max_pdu_len as usize);
        self.error_report(version, e.code, &buf[..take], e.reason)
            .await
    }
}

/// Serves one router until it disconnects, errs, stalls or the server stops.
pub(crate) async fn run(mut stream: TcpStream, mut rx: Rx, cfg: Arc<ServerConfig>) -> SessionEnd {
    let _ = stream.set_nodelay(true);
    let (mut rd, wr) = stream.split();
    let mut s = Session {
        cfg: &cfg,
        wr,
        version: None,
        told: None,
        last_notify: None,
        pending: false,
    };
    // Bounded: the decoder rejects a header longer than max_pdu_len before its body arrives.
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 2048];
    // States published before the first query need no notify.
    rx.borrow_and_update();
    let first_query_deadline = Instant::now() + cfg.first_query_timeout;
    loop {
        loop {
            match Pdu::decode_with_limit(&buf, cfg.max_pdu_len) {
                Ok(Some((pdu, n))) => {
                    let raw: Vec<u8> = buf.drain(..n).collect();
                    if let Err(end) = s.handle(pdu, &raw, &mut rx).await {
                        return end;
                    }
                }
                Ok(None) => break,
                Err(e) => return s.bad_pdu(&buf, e).await,
            }
        }
        tokio::select! {
            r = rd.read(&mut chunk) => match r {
                Ok(0) | Err(_) => return SessionEnd::Closed,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            },
            _ = tokio::time::sleep_until(first_query_deadline), if s.version.is_none() => {
                return SessionEnd::Idle;
            }
            changed = rx.changed(), if s.version.is_some() => {
                if changed.is_err() {
                    return SessionEnd::Shutdown;
                }
                rx.borrow_and_update();
                s.pending = true;
            }
            _ = tokio::time::sleep_until(notify_due(&s)), if s.pending => {
                s.pending = false;
                let st = rx.borrow().clone();
                if s.told != Some(st.serial()) {
                    let notify = Pdu::SerialNotify {
                        version: s.version.unwrap_or(Version::V0),
                        session_id: st.session_id(),
                        serial: st.serial(),
                    };
                    if s.send(&notify).await.is_err() {
                        return SessionEnd::Io;
                    }
                    s.told = Some(st.serial());
                    s.last_notify = Some(Instant::now());
                }
            }
        }
    }
}

/// When the next Serial Notify may go out.
fn notify_due(s: &Session<'_>) -> Instant {
    match s.last_notify {
        Some(t) => t + s.cfg.notify_interval,
        None => Instant::now(),
    }
}
